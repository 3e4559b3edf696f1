"""The consumer-group half of a group coordinator (Kafka's ``GroupMetadataManager``, consumer part).

Section numbers (§) refer to docs/consumer-protocol.md.

How it works
------------
:class:`ConsumerGroupManager` owns a broker's consumer groups and answers what concerns them:
ConsumerGroupHeartbeat (:meth:`~ConsumerGroupManager.consumer_group_heartbeat`),
ConsumerGroupDescribe (:meth:`~ConsumerGroupManager.consumer_group_describe`), the member-epoch
checks of OffsetCommit / OffsetFetch, ListGroups entries, its timers
(:meth:`~ConsumerGroupManager.on_timer`) and metadata changes
(:meth:`~ConsumerGroupManager.on_metadata_update`).  It is sans-IO like the classic coordinator:
``now`` comes in on every call, timers go to a shared table, trace events to an ``emit`` callable.

The coordinator in front of it does the checks shared by all group APIs (coordinator active,
NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) and keeps one namespace of group ids: a group id is
either classic or consumer.  The manager asks it about classic groups through
:class:`ClassicGroups` (``state_of`` / ``delete_empty``).

Every request or timer works on a :class:`~kafkalab.modern.heartbeat.Batch`: the handlers compute
records without touching the group; only if the whole request succeeds does :meth:`_commit` emit
them, replay them into the group, apply the timer operations and recompute the group's state
(checked against :data:`kafkalab.modern.state.TRANSITIONS`).

Wiring it into a coordinator::

    manager = ConsumerGroupManager(config, timers=coordinator.timers, emit=coordinator._emit,
                                   metadata=image, classic_groups=coordinator_view_of_classic_groups)
    # ConsumerGroupHeartbeat, after the shared checks (active, NOT_COORDINATOR, loading):
    response = manager.consumer_group_heartbeat(request, now)
    # ConsumerGroupDescribe: per group id the coordinator serves
    described = manager.describe_group(group_id, request.api_version)
    # a due timer whose key is_consumer_timer(key):
    manager.on_timer(timer.key, timer.payload, now)
    # the world's topics changed:
    manager.on_metadata_update(new_image, now)
    # OffsetCommit / OffsetFetch for a group id in manager.groups:
    code = manager.validate_offset_commit(group_id, member_id, instance_id, generation_or_epoch, api_version)
    code = manager.validate_offset_fetch(group_id, member_id, member_epoch)
    # ListGroups, DescribeGroups of the coordinator, notebooks:
    manager.list_groups(states_filter, types_filter); manager.describe(group_id)
"""

from __future__ import annotations

import base64
import random
from typing import Any, Callable, Iterable, Optional, Protocol

from ..errors import ConfigError, ErrorCode
from ..messages import (
    ConsumerGroupDescribeAssignment,
    ConsumerGroupDescribedGroup,
    ConsumerGroupDescribeMember,
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse,
    ConsumerGroupDescribeTopicPartitions,
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
    ListedGroup,
)
from ..trace import TraceEvent
from . import events as ev
from . import heartbeat as hb
from .assignment import Assignment
from .config import ConsumerGroupConfig, GroupConfig
from .group import ConsumerGroup, ConsumerGroupMember
from .metadata import MetadataImage
from .state import ConsumerGroupState, MemberState, Trigger, next_state
from .target import assignor_name, get_assignor
from .timers import (ConsumerTimer, Timers, is_consumer_timer, rebalance_timeout_key, regex_refresh_key,
                     session_timeout_key)

__all__ = ["ConsumerGroupManager", "ClassicGroups", "NoClassicGroups"]

E = ErrorCode


class ClassicGroups(Protocol):
    """What the manager needs to know about the coordinator's classic groups.

    For the online migration (docs/consumer-protocol.md §7) an implementation also offers
    ``view(group_id) -> migration.ClassicGroupView``, ``convert_out(group_id, now)`` (the upgraded
    classic group goes) and ``create_downgraded(view, now)`` (a classic group takes the consumer
    group's place); without ``view`` a classic group with members is never upgraded."""

    def state_of(self, group_id: str) -> Optional[str]:
        """The classic group's state name (``"Empty"``, ``"Stable"``, ...) or None if there is none."""

    def delete_empty(self, group_id: str, now: int) -> None:
        """Tombstone the empty classic group ``group_id`` (its offsets stay): a consumer group
        takes its id."""


class NoClassicGroups:
    """A :class:`ClassicGroups` for a manager used on its own."""

    def state_of(self, group_id: str) -> Optional[str]:
        return None

    def delete_empty(self, group_id: str, now: int) -> None:  # pragma: no cover - never asked
        raise KeyError(group_id)


class ConsumerGroupManager:
    """A broker's consumer groups (see the module docstring).

    Args:
        config: the ``group.consumer.*`` configs (Kafka's defaults when omitted).
        timers: the timer table to schedule into (``kafkalab.timers.TimerTable``).
        emit: called with every trace event, in order.
        metadata: the topics the coordinator sees now.
        classic_groups: the coordinator's classic groups (none by default).
        member_id_seed: seed of the ids generated for v0 joins without a member id.
        new_member_id: optional ``f() -> str`` replacing that generator.
        regex_resolution_delay_ms: how long the asynchronous regex resolution takes (Kafka runs
            it on an executor thread at once; 0 = at the next ``on_timer`` call).

    Raises:
        TypeError: ``config`` is not a :class:`ConsumerGroupConfig`.
        ConfigError: an assignor name is unknown, or two assignors share a name.
    """

    def __init__(
        self,
        config: Optional[ConsumerGroupConfig] = None,
        *,
        timers: Timers,
        emit: Callable[[TraceEvent], None],
        metadata: Optional[MetadataImage] = None,
        classic_groups: Optional[ClassicGroups] = None,
        member_id_seed: int = 0,
        new_member_id: Optional[Callable[[], str]] = None,
        regex_resolution_delay_ms: int = 0,
    ) -> None:
        if config is None:
            config = ConsumerGroupConfig()
        if not isinstance(config, ConsumerGroupConfig):
            raise TypeError(f"config must be a ConsumerGroupConfig, got {type(config).__name__}")
        self.config = config
        self.timers = timers
        self._emit = emit
        self.metadata = metadata if metadata is not None else MetadataImage()
        if not isinstance(self.metadata, MetadataImage):
            raise TypeError(f"metadata must be a MetadataImage, got {type(self.metadata).__name__}")
        self.classic_groups: ClassicGroups = classic_groups or NoClassicGroups()
        self.groups: dict[str, ConsumerGroup] = {}
        self.group_configs: dict[str, GroupConfig] = {}
        self.assignors: dict[str, Any] = {}
        for a in config.group_consumer_assignors:
            obj = get_assignor(a)
            name = assignor_name(obj)
            if name in self.assignors:
                raise ConfigError(f"two server-side assignors are named {name!r}")
            self.assignors[name] = obj
        self._rng = random.Random(member_id_seed)
        self._new_member_id = new_member_id
        self.regex_resolution_delay_ms = regex_resolution_delay_ms
        #: The classic ``group.max.size`` (a downgrade must fit it, §7.2); the coordinator sets it.
        self.classic_group_max_size = 2_147_483_647
        #: Kafka's ``lastMetadataImageWithNewTopics``: the image version that last created topics.
        self.last_metadata_version_with_new_topics = self.metadata.version if self.metadata.topics() else 0

    # ------------------------------------------------------------------ configuration

    @property
    def default_assignor(self) -> str:
        """The first of ``group.consumer.assignors``."""
        return next(iter(self.assignors))

    def session_timeout_ms(self, group_id: str) -> int:
        """``consumerGroupSessionTimeoutMs(groupId)``: the group's override or the broker's."""
        override = self.group_configs.get(group_id)
        if override is not None and override.consumer_session_timeout_ms is not None:
            return override.consumer_session_timeout_ms
        return self.config.group_consumer_session_timeout_ms

    def heartbeat_interval_ms(self, group_id: str) -> int:
        """``consumerGroupHeartbeatIntervalMs(groupId)``: the group's override or the broker's."""
        override = self.group_configs.get(group_id)
        if override is not None and override.consumer_heartbeat_interval_ms is not None:
            return override.consumer_heartbeat_interval_ms
        return self.config.group_consumer_heartbeat_interval_ms

    def set_group_config(self, group_id: str, config: Optional[GroupConfig]) -> None:
        """Set (or with None, clear) a group's dynamic configs, as IncrementalAlterConfigs on a
        GROUP resource does; they apply from the next heartbeat.

        Raises:
            ConfigError: a value outside the broker's bounds.
        """
        if config is None:
            self.group_configs.pop(group_id, None)
            return
        if not isinstance(config, GroupConfig):
            raise TypeError(f"config must be a GroupConfig, got {type(config).__name__}")
        self.group_configs[group_id] = config.validated(self.config)

    def preferred_assignor(self, group: ConsumerGroup, old: Optional[ConsumerGroupMember],
                           new: Optional[ConsumerGroupMember]) -> Any:
        """Kafka's ``computePreferredServerAssignor``: the assignor most members name (ties: the
        one listed first in ``group.consumer.assignors``), else the default."""
        return self.assignors[self._preferred_name(group.server_assignor_votes(old, new))]

    def _preferred_name(self, votes: dict[str, int]) -> str:
        if not votes:
            return self.default_assignor
        order = list(self.assignors)
        return max(votes, key=lambda name: (votes[name], -order.index(name) if name in order else -len(order)))

    def generate_member_id(self) -> str:
        """A member id for a v0 join without one (Kafka: ``Uuid.randomUuid().toString()``)."""
        if self._new_member_id is not None:
            return self._new_member_id()
        while True:
            text = base64.urlsafe_b64encode(self._rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()
            if not text.startswith("-"):
                return text

    # ------------------------------------------------------------------ ConsumerGroupHeartbeat

    def consumer_group_heartbeat(self, request: ConsumerGroupHeartbeatRequest, now: int) -> ConsumerGroupHeartbeatResponse:
        """Handle one ConsumerGroupHeartbeat (docs/consumer-protocol.md §2).

        Args:
            request: the request (the coordinator has checked it may serve ``request.group_id``).
            now: virtual time in ms.

        Returns:
            The response; protocol errors are responses with Kafka's codes and messages.

        Raises:
            TypeError: ``request`` is not a :class:`ConsumerGroupHeartbeatRequest`.
        """
        if not isinstance(request, ConsumerGroupHeartbeatRequest):
            raise TypeError(f"consumer_group_heartbeat expects a ConsumerGroupHeartbeatRequest, "
                            f"got {type(request).__name__}")
        _check_now(now)
        if not self.config.consumer_protocol_enabled:
            return hb.error_response(E.UNSUPPORTED_VERSION, "The version of API is not supported.")
        error = hb.validate_request(request, tuple(self.assignors))
        if error is not None:
            return hb.error_response(error.code, error.message)
        batch = hb.Batch(now)
        try:
            if request.member_epoch in (-1, -2):
                response, group, trigger = hb.leave(self, request, batch)
            else:
                response, group, trigger = hb.regular_heartbeat(self, request, batch)
        except hb.ApiError as err:
            return hb.error_response(err.code, err.message)
        self._commit(batch, group, trigger)
        return response

    # ------------------------------------------------------------------ timers and metadata

    def on_timer(self, key: tuple, payload: Any, now: int) -> None:
        """Run the consumer-protocol timer ``key`` that fired at ``now`` (see :mod:`.timers`).

        Raises:
            ValueError: ``key`` is not a consumer-protocol timer.
        """
        _check_now(now)
        if not is_consumer_timer(key):
            raise ValueError(f"{key!r} is not a consumer-group timer")
        batch = hb.Batch(now)
        kind = key[0]
        if kind == ConsumerTimer.SESSION_TIMEOUT:
            group, trigger = hb.on_session_timeout(self, key[1], key[2], batch), Trigger.MEMBERS_FENCED
        elif kind in (ConsumerTimer.CLASSIC_JOIN_TIMEOUT, ConsumerTimer.CLASSIC_SYNC_TIMEOUT):
            reason = (ev.RemovalReason.CLASSIC_JOIN_TIMEOUT if kind == ConsumerTimer.CLASSIC_JOIN_TIMEOUT
                      else ev.RemovalReason.CLASSIC_SYNC_TIMEOUT)
            group, trigger = hb.on_member_timeout(self, key[1], key[2], reason, batch), Trigger.MEMBERS_FENCED
        elif kind == ConsumerTimer.REBALANCE_TIMEOUT:
            group, trigger = hb.on_rebalance_timeout(self, key[1], key[2], payload, batch), Trigger.MEMBERS_FENCED
        else:
            group, trigger = hb.on_regex_refresh(self, key[1], payload, batch), Trigger.REGULAR_EXPRESSIONS_RESOLVED
        if group is not None:
            self._commit(batch, group, trigger)

    def on_metadata_update(self, image: MetadataImage, now: int) -> None:
        """Kafka's ``onNewMetadataImage``: remember the image; every group subscribed (by name or
        through a resolved regex) to a created, changed or deleted topic will recompute its
        subscription metadata at its next heartbeat (no epoch moves now).

        Args:
            image: the new metadata image.
            now: virtual time in ms.
        """
        if not isinstance(image, MetadataImage):
            raise TypeError(f"image must be a MetadataImage, got {type(image).__name__}")
        _check_now(now)
        delta = image.delta(self.metadata)
        self.metadata = image
        if delta.created:
            self.last_metadata_version_with_new_topics = image.version
        touched = delta.changed | delta.deleted
        if not touched:
            return
        for gid, group in self.groups.items():
            topics = sorted(touched & set(group.subscribed_topic_names()))
            if topics:
                group.metadata_refresh_deadline = 0  # requestMetadataRefresh
                self._emit(ev.MetadataRefreshRequested(now, gid, tuple(topics)))

    # ------------------------------------------------------------------ classic members (§7.3)

    def run_classic(self, group_id: str, operation: Callable[[ConsumerGroup, hb.Batch], Any],
                    trigger: Trigger, now: int) -> Any:
        """Run one classic API ``operation(group, batch)`` on consumer group ``group_id`` (see
        :mod:`.migration`): its records and timers are applied only if it returns; an
        :class:`~kafkalab.modern.heartbeat.ApiError` it raises comes back as the result."""
        _check_now(now)
        group = self.groups[group_id]
        batch = hb.Batch(now)
        try:
            result = operation(group, batch)
        except hb.ApiError as err:
            return err
        self._commit(batch, group, trigger)
        return result

    # ------------------------------------------------------------------ loading and unloading

    def load_group(self, group_id: str, records: Iterable[ev.GroupRecord], now: int) -> ConsumerGroup:
        """Rebuild ``group_id`` by replaying its records in order (a coordinator became leader of
        its ``__consumer_offsets`` partition); no timer runs until :meth:`on_loaded`.

        Raises:
            IllegalState: the records do not replay (a broken log).
        """
        group = ConsumerGroup(group_id)
        for record in records:
            group.replay(record)
        group.state = group.compute_state()
        self.groups[group_id] = group
        self._emit(ev.ConsumerGroupLoaded(now, group_id, group.state, group.group_epoch, group.assignment_epoch,
                                          tuple(group.members)))
        return group

    def on_loaded(self, group_id: str, now: int) -> None:
        """Kafka's ``onLoaded`` for a consumer group: every member's session timer starts now, and
        a member that still has partitions to revoke gets its rebalance timer again."""
        group = self.groups[group_id]
        for member in group.members.values():
            # Kafka's onLoaded uses the group's consumer session timeout here, classic members too.
            self.timers.schedule(session_timeout_key(group_id, member.member_id), now + self.session_timeout_ms(group_id))
            if member.state is MemberState.UNREVOKED_PARTITIONS:
                self.timers.schedule(rebalance_timeout_key(group_id, member.member_id),
                                     now + member.rebalance_timeout_ms, member.member_epoch)

    def unload_group(self, group_id: str, now: int) -> None:
        """This coordinator no longer leads the group's partition: drop the group and its timers
        (its records stay in the log for the next coordinator)."""
        group = self.groups.pop(group_id, None)
        if group is None:
            return
        for member_id in group.members:
            self.timers.cancel(session_timeout_key(group_id, member_id))
            self.timers.cancel(rebalance_timeout_key(group_id, member_id))
        self.timers.cancel(regex_refresh_key(group_id))
        self._emit(ev.ConsumerGroupUnloaded(now, group_id))

    # ------------------------------------------------------------------ commit

    def _commit(self, batch: hb.Batch, group: ConsumerGroup, trigger: Trigger) -> None:
        old_state: Optional[ConsumerGroupState] = None if batch.new_group else group.state
        if batch.delete_classic_group is not None:
            self.classic_groups.delete_empty(batch.delete_classic_group, batch.now)
        if batch.convert_classic_group is not None:
            self.classic_groups.convert_out(batch.convert_classic_group, batch.now)  # type: ignore[attr-defined]
        if batch.new_group:
            self.groups[group.group_id] = group
        for i, record in enumerate(batch.records):
            self._emit(record)
            if i >= batch.preapplied:
                group.replay(record)
        for note in batch.notes:
            self._emit(note)
        for op, key, deadline, payload in batch.timer_ops:
            if op == "schedule":
                self.timers.schedule(key, deadline, payload)
            else:
                self.timers.cancel(key)
        if batch.refresh_deadline is not None:
            group.metadata_refresh_deadline = batch.refresh_deadline
        if batch.downgrade is not None:  # the group's tombstones were replayed: it is classic now
            del self.groups[group.group_id]
            self.group_configs.pop(group.group_id, None)
            self.classic_groups.create_downgraded(batch.downgrade, batch.now)  # type: ignore[attr-defined]
            return
        new_state = next_state(old_state, trigger, group.compute_state())
        if new_state is not old_state:
            group.state = new_state
            self._emit(ev.ConsumerGroupStateChanged(batch.now, group.group_id, old_state, new_state, trigger,
                                                    group.group_epoch, group.assignment_epoch))

    # ------------------------------------------------------------------ ConsumerGroupDescribe

    def consumer_group_describe(self, request: ConsumerGroupDescribeRequest, now: int) -> ConsumerGroupDescribeResponse:
        """Handle ConsumerGroupDescribe (docs/consumer-protocol.md §7.4) for groups this manager holds.

        The coordinator checks per group id whether it coordinates it (NOT_COORDINATOR, ...) and
        may call :meth:`describe_group` itself for the ids it serves.
        """
        if not isinstance(request, ConsumerGroupDescribeRequest):
            raise TypeError(f"consumer_group_describe expects a ConsumerGroupDescribeRequest, "
                            f"got {type(request).__name__}")
        _check_now(now)
        if not self.config.consumer_protocol_enabled:
            return ConsumerGroupDescribeResponse(groups=tuple(
                ConsumerGroupDescribedGroup(error_code=E.UNSUPPORTED_VERSION, group_id=g) for g in request.group_ids))
        return ConsumerGroupDescribeResponse(groups=tuple(
            self.describe_group(g, request.api_version) for g in request.group_ids))

    def describe_group(self, group_id: str, api_version: int = 1) -> ConsumerGroupDescribedGroup:
        """One group of a ConsumerGroupDescribe answer (INVALID_GROUP_ID for "", GROUP_ID_NOT_FOUND
        for a missing or classic group)."""
        if not group_id:
            return ConsumerGroupDescribedGroup(error_code=E.INVALID_GROUP_ID, group_id=group_id)
        group = self.groups.get(group_id)
        if group is None:
            return ConsumerGroupDescribedGroup(error_code=E.GROUP_ID_NOT_FOUND, group_id=group_id)
        members = tuple(
            ConsumerGroupDescribeMember(
                member_id=m.member_id, instance_id=m.instance_id, rack_id=m.rack_id,
                member_epoch=m.member_epoch, client_id=m.client_id, client_host=m.client_host,
                subscribed_topic_names=tuple(sorted(m.subscribed_topic_names)),
                subscribed_topic_regex=m.subscribed_topic_regex or None,
                assignment=self._describe_assignment(m.assigned_partitions),
                target_assignment=self._describe_assignment(group.target_assignment.get(m.member_id, {})),
                member_type=(0 if m.classic is not None else 1) if api_version >= 1 else -1)
            for m in group.members.values())
        return ConsumerGroupDescribedGroup(
            group_id=group_id, group_state=group.state.value, group_epoch=group.group_epoch,
            assignment_epoch=group.assignment_epoch,
            assignor_name=self._preferred_name(group.server_assignor_votes()), members=members)

    def _describe_assignment(self, a: Assignment) -> ConsumerGroupDescribeAssignment:
        parts = []
        for topic_id, ps in sorted(a.items()):
            topic = self.metadata.topic_by_id(topic_id)
            if topic is not None:  # topics no longer in the image are left out, as in Kafka
                parts.append(ConsumerGroupDescribeTopicPartitions(topic_id, topic.name, tuple(sorted(ps))))
        return ConsumerGroupDescribeAssignment(tuple(parts))

    # ------------------------------------------------------------------ offsets, listing, deletion

    def validate_offset_commit(self, group_id: str, member_id: str, group_instance_id: Optional[str],
                               member_epoch: int, api_version: int, *, is_transactional: bool = False
                               ) -> Optional[ErrorCode]:
        """Kafka's ``ConsumerGroup.validateOffsetCommit`` (docs/consumer-protocol.md §6).

        Args:
            group_id: a consumer group of this manager.
            member_id, group_instance_id: from the request.
            member_epoch: ``generation_id_or_member_epoch`` from the request.
            api_version: the OffsetCommit version.
            is_transactional: TxnOffsetCommit.

        Returns:
            None to accept the commit, else UNKNOWN_MEMBER_ID, UNSUPPORTED_VERSION or
            STALE_MEMBER_EPOCH.

        Raises:
            KeyError: ``group_id`` is not a consumer group here.
        """
        group = self.groups[group_id]
        if member_epoch < 0 and not group.members:
            return None  # the admin client, or a consumer without group management
        if is_transactional and member_epoch == -1 and member_id == "" and group_instance_id is None:
            return None
        member = group.members.get(member_id)
        if member is None:
            return E.UNKNOWN_MEMBER_ID
        if not is_transactional and api_version < 9 and member.classic is None:
            return E.UNSUPPORTED_VERSION  # "OffsetCommit version 9 or above must be used by members using the modern group protocol"
        if member_epoch != member.member_epoch:
            # exact equality: the previous epoch is stale too; a classic member's is its generation (§7.3)
            return E.ILLEGAL_GENERATION if member.classic is not None else E.STALE_MEMBER_EPOCH
        return None

    def validate_offset_fetch(self, group_id: str, member_id: Optional[str], member_epoch: int) -> Optional[ErrorCode]:
        """Kafka's ``ConsumerGroup.validateOffsetFetch``: None (accepted), UNKNOWN_MEMBER_ID or
        STALE_MEMBER_EPOCH.

        Raises:
            KeyError: ``group_id`` is not a consumer group here.
        """
        group = self.groups[group_id]
        if member_id is None and member_epoch < 0:
            return None
        member = group.members.get(member_id) if member_id is not None else None
        if member is None:
            return E.UNKNOWN_MEMBER_ID
        if member_epoch != member.member_epoch:
            return E.ILLEGAL_GENERATION if member.classic is not None else E.STALE_MEMBER_EPOCH
        return None

    def is_subscribed_to_topic(self, group_id: str, topic: str) -> bool:
        """Whether a member subscribes to ``topic`` (by name or resolved regex); its committed
        offsets then do not expire."""
        group = self.groups.get(group_id)
        return group is not None and topic in group.subscribed_topic_names()

    def list_groups(self, states_filter: Iterable[str] = (), types_filter: Iterable[str] = ()) -> list[ListedGroup]:
        """ListGroups entries of the consumer groups, by group id (filters as Kafka: states
        case-insensitive and trimmed, types case-insensitive; empty = all)."""
        states = {s.lower().strip() for s in states_filter}
        types = {t.lower() for t in types_filter}
        if types and "consumer" not in types:
            return []
        return [ListedGroup(gid, "consumer", g.state.value, "consumer") for gid, g in sorted(self.groups.items())
                if not states or g.state.value.lower() in states]

    def has_group(self, group_id: str) -> bool:
        return group_id in self.groups

    def delete_group(self, group_id: str, now: int) -> ErrorCode:
        """DeleteGroups for a consumer group: NON_EMPTY_GROUP unless Empty; else the group is
        tombstoned (``ConsumerGroupDeleted``) and forgotten.  GROUP_ID_NOT_FOUND if absent."""
        group = self.groups.get(group_id)
        if group is None:
            return E.GROUP_ID_NOT_FOUND
        if group.state is not ConsumerGroupState.EMPTY:
            return E.NON_EMPTY_GROUP
        self._emit(ev.ConsumerGroupDeleted(now, group_id))
        del self.groups[group_id]
        self.group_configs.pop(group_id, None)
        self.timers.cancel((ConsumerTimer.REGEX_REFRESH, group_id))
        return E.NONE

    # ------------------------------------------------------------------ snapshots

    def describe(self, group_id: str) -> Optional[dict]:
        """A plain snapshot of a consumer group for notebooks and tests, or None if absent:
        epochs, state, the target, and each member's reconciliation state (topic names instead of
        ids where the image knows them)."""
        group = self.groups.get(group_id)
        if group is None:
            return None

        def named(a: Assignment) -> dict[str, list[int]]:
            out = {}
            for topic_id, ps in sorted(a.items()):
                topic = self.metadata.topic_by_id(topic_id)
                out[topic.name if topic is not None else topic_id] = sorted(ps)
            return dict(sorted(out.items()))

        return {
            "group_id": group_id,
            "group_type": "consumer",
            "state": group.state.value,
            "group_epoch": group.group_epoch,
            "assignment_epoch": group.assignment_epoch,
            "assignor": self._preferred_name(group.server_assignor_votes()),
            "subscribed_topics": {t.name: t.num_partitions for t in group.subscription_metadata.values()},
            "regular_expressions": {r: sorted(v.topics) for r, v in sorted(group.resolved_regular_expressions.items())},
            "members": [
                {
                    "member_id": m.member_id,
                    "instance_id": m.instance_id,
                    "rack_id": m.rack_id,
                    "client_id": m.client_id,
                    "member_epoch": m.member_epoch,
                    "previous_member_epoch": m.previous_member_epoch,
                    "protocol": "classic" if m.classic is not None else "consumer",
                    "state": m.state.name,
                    "reconciled": m.is_reconciled_to(group.assignment_epoch),
                    "subscribed_topic_names": sorted(m.subscribed_topic_names),
                    "subscribed_topic_regex": m.subscribed_topic_regex or None,
                    "server_assignor": m.server_assignor_name,
                    "rebalance_timeout_ms": m.rebalance_timeout_ms,
                    "assigned": named(m.assigned_partitions),
                    "pending_revocation": named(m.partitions_pending_revocation),
                    "target": named(group.target_assignment.get(m.member_id, {})),
                }
                for m in group.members.values()
            ],
        }


def _check_now(now: Any) -> None:
    if isinstance(now, bool) or not isinstance(now, int):
        raise TypeError(f"now must be an int of milliseconds, got {now!r}")
