"""The classic group coordinator, sans-IO: requests and time in, responses out.

How it works
------------
:class:`Coordinator` keeps the groups one Kafka broker coordinates.  It never reads a clock and
never touches a socket: every entry point receives ``now`` (virtual milliseconds) and returns the
:class:`Reply` objects it caused.  A JoinGroup or SyncGroup that Kafka would *park* is remembered
with its ``origin`` and answered by a later call (the last member's JoinGroup, the leader's
SyncGroup, or :meth:`Coordinator.on_timer`).  Timers are keyed data (see :mod:`kafkalab.timers`):

* ``("heartbeat", group, member)`` - the member's session (or the 5-minute new-member timeout),
* ``JoinTimer(group)`` - the join phase's rebalance timeout, or the delayed initial rebalance,
* ``SyncTimer(group)`` - the pending-sync timeout after the join phase completes,
* ``OffsetsExpiryTimer()`` - the periodic offsets retention check.

The logic follows Kafka's Java ``GroupMetadataManager`` (``classicGroupJoin``, ``classicGroupSync``,
``classicGroupHeartbeat``, ``classicGroupLeave``, ``completeClassicGroupJoin``, ...) and
``OffsetMetadataManager``, method by method, with Kafka's names in snake_case.  Where Kafka leaves a
choice to hash-map order (which member becomes leader, protocol vote ties) kafkalab picks a
documented deterministic rule; every such difference is listed in ``docs/differences.md``.

Group records (what Kafka writes to ``__consumer_offsets``) go to a :class:`GroupLog`, which
several coordinators can share; that is how a group survives a coordinator failover.  Writes
complete at once, unless a test or lesson injects a failure with
:meth:`Coordinator.inject_write_error`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, assert_never

from . import trace as tr
from .cluster import partition_for_group
from .config import CoordinatorConfig
from .errors import ErrorCode, map_storage_error
from .grouplog import GroupLog, empty_group_metadata_record, group_from_record, group_metadata_record
from .classic.group import Group, Member, OffsetAndMetadata, Parked
from .messages import (
    DescribedGroup,
    DescribedGroupMember,
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    JoinGroupResponseMember,
    LeaveGroupRequest,
    LeaveGroupResponse,
    ListedGroup,
    ListGroupsRequest,
    ListGroupsResponse,
    MemberIdentity,
    MemberResponse,
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
    OffsetFetchRequest,
    OffsetFetchResponse,
    OffsetFetchResponsePartition,
    OffsetFetchResponseTopic,
    Request,
    Response,
    SyncGroupRequest,
    SyncGroupResponse,
)
from .classic.state import CAN_REBALANCE, GroupState, Trigger
from .sansio import SansIO
from .timers import HeartbeatTimer, InitialDelay, JoinTimer, OffsetsExpiryTimer, SyncTimer, Timer, TimerTable

__all__ = ["Coordinator", "Reply"]

S = GroupState


@dataclass(frozen=True)
class Reply:
    """A response and where it goes (``origin`` is whatever the caller passed to ``handle``)."""

    origin: Any
    response: Response


# ---------------------------------------------------------------------------- the coordinator

class Coordinator(SansIO):
    """One broker's classic group coordinator.

    Args:
        config: broker configs (Kafka's defaults when omitted).
        member_id_seed: seed of the random UUIDs in generated member ids, so runs repeat exactly.
        new_member_id: optional ``f(prefix) -> member id`` replacing Kafka's
            ``prefix + "-" + UUID`` (the prefix is the client id, or the group instance id).
        log: a shared :class:`GroupLog` (one per cluster); a private one when omitted.
        owned_partitions: the ``__consumer_offsets`` partitions this broker leads; ``None`` means
            all of them (a one-broker cluster).  Requests for other groups get NOT_COORDINATOR.
        trace: keep a trace of every event (``coordinator.trace``).
    """

    def __init__(
        self,
        config: CoordinatorConfig | None = None,
        *,
        member_id_seed: int = 0,
        new_member_id: Callable[[str], str] | None = None,
        log: GroupLog | None = None,
        owned_partitions: set[int] | None = None,
        trace: bool = True,
    ) -> None:
        if config is None:
            config = CoordinatorConfig()
        if not isinstance(config, CoordinatorConfig):
            raise TypeError(f"config must be a CoordinatorConfig, got {type(config).__name__}")
        self.config = config
        self.groups: dict[str, Group] = {}
        self.log = log if log is not None else GroupLog(config.offsets_topic_num_partitions)
        self.owned_partitions = None if owned_partitions is None else set(owned_partitions)
        self.loading_partitions: set[int] = set()
        self.active = True
        self.trace: list[tr.TraceEvent] = []
        self._tracing = trace
        self._rng = random.Random(member_id_seed)
        self._new_member_id = new_member_id
        self.timers = TimerTable()
        self._out: list[Reply] = []
        self._now = 0
        self._write_errors: list[ErrorCode] = []
        self._partition_cache: dict[str, int] = {}

    # ------------------------------------------------------------------ public entry points

    def handle(self, request: Request, origin: Any, now: int) -> list[Reply]:
        """Handle one request at virtual time ``now``; return every reply it caused.

        Protocol problems come back as responses with Kafka's error codes.  Raises ``TypeError``
        only when ``request`` is not a kafkalab request object.
        """
        handler = self._HANDLERS.get(type(request))
        if handler is None:
            raise TypeError(
                f"Coordinator.handle expects a kafkalab.messages request, got {type(request).__name__}"
            )
        self._begin(now)
        self._emit(tr.RequestReceived(now, origin, getattr(request, "group_id", None), request))
        handler(self, request, origin)
        return self._end()

    def on_timer(self, now: int) -> list[Reply]:
        """Fire every timer due at ``now`` (ties in schedule order); return the replies caused."""
        self._begin(now)
        while True:
            timer = self.timers.pop_next_due(now)
            if timer is None:
                break
            self._emit(tr.TimerFired.for_key(now, timer.key))
            self._fire(timer)
        return self._end()

    def next_deadline(self) -> int | None:
        """When :meth:`on_timer` next has something to do, or ``None``."""
        return self.timers.next_deadline()

    def describe(self, group_id: str) -> dict:
        """A plain snapshot of a group for notebooks and tests (``{"state": "Dead"}`` if absent)."""
        group = self.groups.get(group_id)
        if group is None:
            return {"group_id": group_id, "state": "Dead", "generation_id": -1, "members": []}
        return {
            "group_id": group.group_id,
            "state": group.state.value,
            "generation_id": group.generation_id,
            "protocol_type": group.protocol_type,
            "protocol_name": group.protocol_name,
            "leader_id": group.leader_id,
            "pending_members": list(group.pending_join_members),
            "members": [
                {
                    "member_id": m.member_id,
                    "group_instance_id": m.group_instance_id,
                    "client_id": m.client_id,
                    "client_host": m.client_host,
                    "session_timeout_ms": m.session_timeout_ms,
                    "rebalance_timeout_ms": m.rebalance_timeout_ms,
                    "assignment": m.assignment,
                    "awaiting_join": m.awaiting_join is not None,
                    "awaiting_sync": m.awaiting_sync is not None,
                }
                for m in group.members.values()
            ],
        }

    def inject_write_error(self, error: ErrorCode, count: int = 1) -> None:
        """Make the next ``count`` group-record writes fail with the storage error ``error``
        (e.g. NOT_LEADER_OR_FOLLOWER), as a broken ``__consumer_offsets`` append would."""
        self._write_errors.extend([ErrorCode(error)] * count)

    # ------------------------------------------------------------------ partition ownership

    def partition_of(self, group_id: str) -> int:
        p = self._partition_cache.get(group_id)
        if p is None:
            p = self._partition_cache[group_id] = partition_for_group(
                group_id, self.config.offsets_topic_num_partitions)
        return p

    def owns(self, group_id: str) -> bool:
        return self.owned_partitions is None or self.partition_of(group_id) in self.owned_partitions

    def _gate(self, group_id: str) -> ErrorCode | None:
        """Kafka's runtime checks before the group logic: inactive, not the leader, loading."""
        if not self.active:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        if not self.owns(group_id):
            return ErrorCode.NOT_COORDINATOR
        if self.partition_of(group_id) in self.loading_partitions:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        return None

    def unload_partition(self, partition: int, now: int) -> list[Reply]:
        """This broker lost leadership of ``partition``: its groups go Dead and are dropped;
        parked requests are answered NOT_COORDINATOR so the clients rediscover the coordinator."""
        self._begin(now)
        if self.owned_partitions is not None:
            self.owned_partitions.discard(partition)
        else:
            self.owned_partitions = set(range(self.config.offsets_topic_num_partitions)) - {partition}
        self.loading_partitions.discard(partition)
        for group_id in [g for g in self.groups if self.partition_of(g) == partition]:
            group = self.groups.pop(group_id)
            for member in group.members.values():
                if member.awaiting_join is not None:
                    self._answer_join(group, member, self._join_error(
                        member.awaiting_join.api_version, ErrorCode.NOT_COORDINATOR, member.member_id))
                self._answer_sync(group, member, SyncGroupResponse(error_code=ErrorCode.NOT_COORDINATOR))
                self.timers.cancel(HeartbeatTimer(group_id, member.member_id))
            for pending in group.pending_join_members:
                self.timers.cancel(HeartbeatTimer(group_id, pending))
            self.timers.cancel(JoinTimer(group_id))
            self.timers.cancel(SyncTimer(group_id))
            self._transition(group, Trigger.UNLOADED)
            self._emit(tr.GroupRemoved(self._now, group_id, tr.GroupRemovalReason.UNLOADED))
        return self._end()

    def load_partition(self, partition: int, now: int, *, loading: bool = False) -> list[Reply]:
        """This broker became leader of ``partition``: read its groups back from the log.

        A group record with members loads as Stable (the rebalance state is not persisted) and
        every member gets a fresh session timer; one without members loads as Empty.
        With ``loading=True`` the partition stays in the loading state (requests get
        COORDINATOR_LOAD_IN_PROGRESS) until :meth:`finish_loading`.
        """
        self._begin(now)
        if self.owned_partitions is not None:
            self.owned_partitions.add(partition)
        for group_id in self.log.group_ids(partition):
            record = self.log.groups.get(group_id)
            group = group_from_record(group_id, record)
            group.offsets = dict(self.log.offsets.get(group_id, {}))
            self.groups[group_id] = group
            # GROUP_LOADED leads to Stable with members and to Empty without (rebalance state is
            # not persisted).
            self._transition(group, Trigger.GROUP_LOADED)
            if self._tracing:
                self._emit(tr.GroupLoaded(now, group_id, group.generation_id, group.protocol_type, group.protocol_name,
                                          group.leader_id, tuple(
                                              tr.LoadedMember(m.member_id, m.group_instance_id, m.client_id,
                                                              m.client_host, m.session_timeout_ms,
                                                              m.rebalance_timeout_ms, m.assignment)
                                              for m in group.members.values())))
            if record is not None:
                group.current_state_timestamp = record.current_state_timestamp
        if loading:
            self.loading_partitions.add(partition)
        else:
            self._on_loaded(partition)
        return self._end()

    def finish_loading(self, partition: int, now: int | None = None) -> list[Reply]:
        """The partition finished loading: its groups are served and, as in Kafka's
        ``onLoaded``, every loaded member's session timer starts now."""
        self._begin(self._now if now is None else now)
        if partition in self.loading_partitions:
            self.loading_partitions.discard(partition)
            self._on_loaded(partition)
        return self._end()

    def _on_loaded(self, partition: int) -> None:
        for group_id, group in self.groups.items():
            if self.partition_of(group_id) == partition:
                for member in group.members.values():
                    self._schedule_heartbeat(group, member)
        self._maybe_arm_offsets_expiry()

    # ------------------------------------------------------------------ plumbing

    def _emit(self, event: tr.TraceEvent) -> None:
        if self._tracing:
            self.trace.append(event)

    def _send(self, origin: Any, group_id: Optional[str], response: Response) -> None:
        self._out.append(Reply(origin, response))
        self._emit(tr.ResponseSent(self._now, origin, group_id, response))

    def _transition(self, group: Group, trigger: Trigger) -> None:
        old, new = group.transition(trigger, self._now)
        self._emit(tr.StateChanged(self._now, group.group_id, old, new, trigger, group.generation_id,
                                   group.protocol_type, group.protocol_name))
        if new is S.EMPTY:
            self._ensure_offsets_expiry_timer()  # an Empty group may be deleted by the next check

    def _set_leader(self, group: Group, leader: Optional[str]) -> None:
        if group.leader_id != leader:
            self._emit(tr.LeaderChanged(self._now, group.group_id, group.leader_id, leader))
            group.leader_id = leader

    def _remove(self, group: Group, member_id: str, reason: tr.MemberRemovalReason) -> Optional[Member]:
        old_leader = group.leader_id
        known = member_id in group.members or member_id in group.pending_join_members
        member = group.remove(member_id)
        if known:
            self._emit(tr.MemberRemoved(self._now, group.group_id, member_id, reason))
        if group.leader_id != old_leader:
            self._emit(tr.LeaderChanged(self._now, group.group_id, old_leader, group.leader_id))
        return member

    def _write_group(self, group: Group, assignments: dict[str, bytes] | None = None, *,
                     empty: bool = False) -> ErrorCode:
        """Append the group record; returns NONE or the (unmapped) storage error.

        ``empty`` writes Kafka's ``newEmptyGroupMetadataRecord`` (no members, no protocol, no
        leader), which is what a newly created group gets even if its first member was already
        added by the same JoinGroup."""
        if self._write_errors:
            error = self._write_errors.pop(0)
            self._emit(tr.GroupRecordWritten(self._now, group.group_id, group.generation_id, 0, error))
            return error
        record = empty_group_metadata_record(group) if empty else group_metadata_record(group, assignments)
        self.log.groups[group.group_id] = record
        self.log.writes += 1
        self._emit(tr.GroupRecordWritten(self._now, group.group_id, group.generation_id, len(record.members)))
        return ErrorCode.NONE

    def _member_updated(self, group: Group, member: Member, **changes) -> None:
        """Record changed member fields (``awaiting_join``, ``awaiting_sync``, the timeouts)."""
        if self._tracing:
            self.trace.append(tr.MemberUpdated(self._now, group.group_id, member.member_id, **changes))

    def _assignment_changed(self, group: Group) -> None:
        """Record every member's assignment as the group now keeps it."""
        if self._tracing:
            self.trace.append(tr.AssignmentChanged(self._now, group.group_id, tuple(
                (m.member_id, m.assignment) for m in group.members.values())))

    def _generate_member_id(self, prefix: str) -> str:
        if self._new_member_id is not None:
            return self._new_member_id(prefix)
        return f"{prefix}-{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"

    # ------------------------------------------------------------------ timers

    def _schedule_heartbeat(self, group: Group, member: Member, timeout_ms: int | None = None) -> None:
        timeout = member.session_timeout_ms if timeout_ms is None else timeout_ms
        self.timers.schedule(HeartbeatTimer(group.group_id, member.member_id), self._now + timeout)

    def _fire(self, timer: Timer) -> None:
        match timer.key:
            case HeartbeatTimer(group_id, member_id):
                self._expire_heartbeat(group_id, member_id)
            case JoinTimer(group_id):
                group = self.groups.get(group_id)
                if group is None:
                    return
                if timer.payload is not None:  # the delayed initial rebalance
                    self._try_complete_initial_rebalance(group, timer.payload)
                else:
                    self._complete_join(group)
            case SyncTimer(group_id):
                self._expire_pending_sync(group_id, timer.payload)
            case OffsetsExpiryTimer():
                self._cleanup_expired_offsets()
            case _:
                assert_never(timer.key)

    # ------------------------------------------------------------------ JoinGroup

    @staticmethod
    def _join_error(version: int, code: ErrorCode, member_id: str = "", **fields) -> JoinGroupResponse:
        return Coordinator._join_response(version, error_code=code, member_id=member_id, **fields)

    @staticmethod
    def _join_response(version: int, **fields) -> JoinGroupResponse:
        # Kafka's JoinGroupResponse constructor: protocol_name is "" instead of null before v7,
        # null instead of "" from v7; protocol_type only exists from v7; skip_assignment from v9.
        if version < 7:
            fields["protocol_type"] = None
            if fields.get("protocol_name") is None:
                fields["protocol_name"] = ""
        elif fields.get("protocol_name") == "":
            fields["protocol_name"] = None
        if version < 9:
            fields["skip_assignment"] = False
        return JoinGroupResponse(**fields)

    def _answer_join(self, group: Group, member: Member, response: JoinGroupResponse) -> bool:
        parked = member.awaiting_join
        if parked is None:
            return False
        group.park_join(member, None)
        self._member_updated(group, member, awaiting_join=False)
        self._send(parked.origin, group.group_id, response)
        return True

    def _answer_sync(self, group: Group, member: Member, response: SyncGroupResponse) -> bool:
        parked = member.awaiting_sync
        if parked is None:
            return False
        member.awaiting_sync = None
        self._member_updated(group, member, awaiting_sync=False)
        if parked.api_version < 5:
            response = SyncGroupResponse(error_code=response.error_code, assignment=response.assignment)
        self._send(parked.origin, group.group_id, response)
        return True

    def _members_for_leader(self, group: Group) -> tuple[JoinGroupResponseMember, ...]:
        proto = group.protocol_name
        return tuple(
            JoinGroupResponseMember(m.member_id, m.group_instance_id, m.metadata(proto))
            for m in group.members.values()
        )

    def _handle_join_group(self, req: JoinGroupRequest, origin: Any) -> None:
        v = req.api_version
        gid = req.group_id

        def reply(resp: JoinGroupResponse) -> None:
            self._send(origin, gid, resp)

        # Kafka's GroupCoordinatorService checks these before the request reaches the
        # partition's runtime, so they win over NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS.
        if not self.active:
            return reply(self._join_error(v, ErrorCode.COORDINATOR_NOT_AVAILABLE, req.member_id))
        if not gid:
            return reply(self._join_error(v, ErrorCode.INVALID_GROUP_ID, req.member_id))
        if not (self.config.group_min_session_timeout_ms <= req.session_timeout_ms
                <= self.config.group_max_session_timeout_ms):
            return reply(self._join_error(v, ErrorCode.INVALID_SESSION_TIMEOUT, req.member_id))
        gate = self._gate(gid)
        if gate is not None:
            # The runtime's errors come back without the member id (handleOperationException).
            return reply(self._join_error(v, gate, ""))

        is_unknown_member = req.member_id == ""
        group = self.groups.get(gid)
        if group is not None:
            return self._join_group(group, req, origin)
        if not is_unknown_member:
            return reply(self._join_error(v, ErrorCode.UNKNOWN_MEMBER_ID, req.member_id))
        group = Group(gid)
        self.groups[gid] = group
        self._transition(group, Trigger.GROUP_CREATED)
        self._join_group(group, req, origin)
        # Kafka appends the new (empty) group record after handling the join.  If the write
        # fails the snapshot is reverted, so the group was never created; a JoinGroup still
        # parked gets the storage error, but an answer already given (MEMBER_ID_REQUIRED,
        # INCONSISTENT_GROUP_PROTOCOL) stands, because a completed future cannot be completed again.
        error = self._write_group(group, empty=True)
        if error is not ErrorCode.NONE:
            del self.groups[gid]
            for key in [k for k in self.timers.keys() if k.group_id == gid]:
                self.timers.cancel(key)
            for member in group.members.values():
                if member.awaiting_join is not None:
                    self._answer_join(group, member, self._join_error(
                        member.awaiting_join.api_version, map_storage_error(error)))
            self._emit(tr.GroupRemoved(self._now, gid, tr.GroupRemovalReason.CREATION_WRITE_FAILED))

    def _join_group(self, group: Group, req: JoinGroupRequest, origin: Any) -> None:
        """Kafka's ``classicGroupJoinToClassicGroup`` from the size check on."""
        v = req.api_version
        gid = req.group_id
        is_unknown_member = req.member_id == ""

        def reply(resp: JoinGroupResponse) -> None:
            self._send(origin, gid, resp)

        # JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalance_timeout = req.session_timeout_ms if v == 0 else req.rebalance_timeout_ms

        if not self._accept_joining_member(group, req.member_id):
            if req.member_id in group.members or req.member_id in group.pending_join_members:
                self.timers.cancel(HeartbeatTimer(gid, req.member_id))
                self._remove(group, req.member_id, tr.MemberRemovalReason.GROUP_MAX_SIZE_REACHED)
            return reply(self._join_error(v, ErrorCode.GROUP_MAX_SIZE_REACHED, ""))

        protocols = tuple((p.name, p.metadata) for p in req.protocols)
        names = tuple(name for name, _ in protocols)
        if group.state is S.DEAD:
            return reply(self._join_error(v, ErrorCode.COORDINATOR_NOT_AVAILABLE, req.member_id))
        if not group.supports_protocols(req.protocol_type, names):
            return reply(self._join_error(v, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.member_id))

        parked = Parked(origin, v)
        if is_unknown_member:
            if req.group_instance_id is not None:
                new_id = self._generate_member_id(req.group_instance_id)
                existing = group.current_static_member_id(req.group_instance_id)
                if existing is None:
                    return self._add_member_and_rebalance(group, req, new_id, protocols, rebalance_timeout, parked)
                return self._update_static_member_and_rebalance(
                    group, req, existing, new_id, protocols, rebalance_timeout, parked)
            new_id = self._generate_member_id(req.client_id)
            if v >= 4:
                # KIP-394: hand out an id and ask the member to come back with it; the group
                # does not change state and the pending id is not a member yet.
                group.pending_join_members[new_id] = None
                if self._tracing:
                    self._emit(tr.PendingMemberAdded(self._now, gid, new_id))
                self.timers.schedule(HeartbeatTimer(gid, new_id), self._now + req.session_timeout_ms)
                return reply(self._join_error(v, ErrorCode.MEMBER_ID_REQUIRED, new_id))
            return self._add_member_and_rebalance(group, req, new_id, protocols, rebalance_timeout, parked)

        member_id = req.member_id
        if group.is_pending(member_id):
            if req.group_instance_id is not None:
                # Kafka throws IllegalStateException here (a pending member is never static);
                # the runtime turns it into UNKNOWN_SERVER_ERROR without a member id.
                return reply(self._join_error(v, ErrorCode.UNKNOWN_SERVER_ERROR, ""))
            return self._add_member_and_rebalance(group, req, member_id, protocols, rebalance_timeout, parked)

        error = self._validate_member(group, member_id, req.group_instance_id)
        if error is not None:
            return reply(self._join_error(v, error, member_id))
        member = group.members[member_id]
        if group.state is S.PREPARING_REBALANCE:
            return self._update_member_and_rebalance(group, member, protocols, rebalance_timeout,
                                                     req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
        if group.state is S.COMPLETING_REBALANCE:
            if member.protocols == protocols:
                # The member probably missed its JoinGroup answer: repeat the current generation.
                return reply(self._join_response(
                    v, member_id=member_id, generation_id=group.generation_id,
                    protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                    leader=group.leader_id or "",
                    members=self._members_for_leader(group) if group.is_leader(member_id) else ()))
            return self._update_member_and_rebalance(group, member, protocols, rebalance_timeout,
                                                     req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
        if group.state is S.STABLE:
            if group.is_leader(member_id):
                # The leader's JoinGroup always rebalances: that is how a consumer leader reacts
                # to topic metadata changes that do not change any subscription.
                return self._update_member_and_rebalance(group, member, protocols, rebalance_timeout,
                                                         req.session_timeout_ms, parked, Trigger.LEADER_REJOINED)
            if member.protocols != protocols:
                return self._update_member_and_rebalance(group, member, protocols, rebalance_timeout,
                                                         req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
            return reply(self._join_response(
                v, member_id=member_id, generation_id=group.generation_id,
                protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                leader=group.leader_id or "", members=()))
        # Empty: cannot happen with a validated member; Kafka answers UNKNOWN_MEMBER_ID.
        return reply(self._join_error(v, ErrorCode.UNKNOWN_MEMBER_ID, member_id))

    def _accept_joining_member(self, group: Group, member_id: str) -> bool:
        """Kafka's ``acceptJoiningMember`` (``group.max.size``)."""
        max_size = self.config.group_max_size
        if group.state in (S.EMPTY, S.DEAD):
            return True
        member = group.members.get(member_id)
        if group.state is S.PREPARING_REBALANCE:
            # Counting awaiting joiners (not members) lets the *last* rejoiners be refused
            # when a group is over a lowered limit.
            return (member is not None and member.awaiting_join is not None) or group.num_awaiting_join < max_size
        return member is not None or len(group.members) < max_size

    def _validate_member(self, group: Group, member_id: str, group_instance_id: Optional[str]) -> ErrorCode | None:
        """Kafka's ``validateMember``: instance id first (unknown / fenced), then the member id."""
        if group_instance_id is not None:
            existing = group.current_static_member_id(group_instance_id)
            if existing is None:
                return ErrorCode.UNKNOWN_MEMBER_ID
            if existing != member_id:
                return ErrorCode.FENCED_INSTANCE_ID
        if member_id not in group.members:
            return ErrorCode.UNKNOWN_MEMBER_ID
        return None

    def _add_member_and_rebalance(self, group: Group, req: JoinGroupRequest, member_id: str,
                                  protocols, rebalance_timeout: int, parked: Parked) -> None:
        member = Member(member_id, req.group_instance_id, req.client_id, req.client_host,
                        rebalance_timeout, req.session_timeout_ms, req.protocol_type, protocols,
                        awaiting_join=parked, is_new=True)
        # A newcomer during the initial rebalance extends the delay (the first member, which
        # moves the group out of Empty, does not).
        if group.state is S.PREPARING_REBALANCE and group.previous_state is S.EMPTY:
            group.new_member_added = True
        old_leader = group.leader_id
        group.add(member)
        if self._tracing:
            self._emit(tr.MemberAdded(self._now, group.group_id, member_id, req.group_instance_id, req.client_id,
                                      req.client_host, req.session_timeout_ms, rebalance_timeout, b"", True))
        if group.leader_id != old_leader:
            self._emit(tr.LeaderChanged(self._now, group.group_id, old_leader, group.leader_id))
        # New members cannot heartbeat while their JoinGroup is parked, so they get the
        # new-member join timeout instead of their session timeout.
        self._schedule_heartbeat(group, member, self.config.new_member_join_timeout_ms)
        self._maybe_prepare_rebalance_or_complete_join(group, Trigger.MEMBER_ADDED)

    def _update_member_and_rebalance(self, group: Group, member: Member, protocols, rebalance_timeout: int,
                                     session_timeout: int, parked: Parked, trigger: Trigger) -> None:
        group.update_protocols(member, protocols, rebalance_timeout, session_timeout)
        # A JoinGroup parked earlier by the same member is dropped, never answered (as in Kafka).
        group.park_join(member, parked)
        self._member_updated(group, member, session_timeout_ms=session_timeout,
                             rebalance_timeout_ms=rebalance_timeout, awaiting_join=True)
        self._maybe_prepare_rebalance_or_complete_join(group, trigger)

    def _update_static_member_and_rebalance(self, group: Group, req: JoinGroupRequest, old_id: str, new_id: str,
                                            protocols, rebalance_timeout: int, parked: Parked) -> None:
        """KIP-345: a known group.instance.id joins with an empty member id: replace the old member."""
        v = req.api_version
        leader_before = group.leader_id
        new_member = self._replace_static_member(group, req.group_instance_id, old_id, new_id)
        self._schedule_heartbeat(group, new_member)
        old_protocols = new_member.protocols
        old_rebalance, old_session = new_member.rebalance_timeout_ms, new_member.session_timeout_ms
        group.update_protocols(new_member, protocols, rebalance_timeout, req.session_timeout_ms)
        group.park_join(new_member, parked)
        self._member_updated(group, new_member, session_timeout_ms=req.session_timeout_ms,
                             rebalance_timeout_ms=rebalance_timeout, awaiting_join=True)

        if group.state is S.STABLE:
            if group.protocol_name == group.select_protocol():
                # No rebalance: persist the new member id, answer after the write.
                error = self._write_group(group)
                if error is not ErrorCode.NONE:
                    group.park_join(new_member, None)
                    group.update_protocols(new_member, old_protocols, old_rebalance, old_session)
                    self._member_updated(group, new_member, session_timeout_ms=old_session,
                                         rebalance_timeout_ms=old_rebalance, awaiting_join=False)
                    old_member = self._replace_static_member(group, req.group_instance_id, new_id, old_id,
                                                             fence=False)
                    self._schedule_heartbeat(group, old_member)
                    self._send(parked.origin, group.group_id, self._join_response(
                        v, error_code=map_storage_error(error), member_id="",
                        generation_id=group.generation_id, protocol_type=group.protocol_type,
                        protocol_name=group.protocol_name, leader=leader_before or ""))
                    return
                if v >= 9:
                    # KIP-814: the rejoined leader learns it leads but must not reassign.
                    is_leader = group.is_leader(new_id)
                    response = self._join_response(
                        v, member_id=new_id, generation_id=group.generation_id,
                        protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                        leader=group.leader_id or "", skip_assignment=is_leader,
                        members=self._members_for_leader(group) if is_leader else ())
                else:
                    # Before v9 the old leader id is returned, so a rejoined static leader sees
                    # itself as a follower and does not run the assignor.
                    response = self._join_response(
                        v, member_id=new_id, generation_id=group.generation_id,
                        protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                        leader=leader_before or "")
                self._answer_join(group, new_member, response)
                return
            return self._maybe_prepare_rebalance_or_complete_join(group, Trigger.STATIC_MEMBER_REPLACED)
        if group.state is S.COMPLETING_REBALANCE:
            # The leader may already be computing an assignment keyed by the old member id.
            return self._prepare_rebalance(group, Trigger.STATIC_MEMBER_REPLACED)
        return self._maybe_complete_join_phase(group)

    def _replace_static_member(self, group: Group, instance_id: str, old_id: str, new_id: str,
                               *, fence: bool = True) -> Member:
        old = group.members.pop(old_id)
        if fence:
            # Fence a duplicate instance immediately if it is waiting for an answer.
            if old.awaiting_join is not None:
                origin = old.awaiting_join.origin
                version = old.awaiting_join.api_version
                group.num_awaiting_join -= 1
                old.awaiting_join = None
                self._send(origin, group.group_id, self._join_error(
                    version, ErrorCode.FENCED_INSTANCE_ID, old_id, generation_id=-1))
            if old.awaiting_sync is not None:
                self._answer_sync(group, old, SyncGroupResponse(error_code=ErrorCode.FENCED_INSTANCE_ID))
        elif old.awaiting_join is not None:
            group.num_awaiting_join -= 1
        new = Member(new_id, old.group_instance_id, old.client_id, old.client_host,
                     old.rebalance_timeout_ms, old.session_timeout_ms, old.protocol_type,
                     old.protocols, old.assignment)
        group.members[new_id] = new
        group.static_members[instance_id] = new_id
        self._emit(tr.MemberRemoved(self._now, group.group_id, old_id,
                                    tr.MemberRemovalReason.STATIC_MEMBER_REPLACED, replaced_by=new_id))
        self._emit(tr.MemberAdded(self._now, group.group_id, new_id, instance_id, new.client_id, new.client_host,
                                  new.session_timeout_ms, new.rebalance_timeout_ms, new.assignment))
        if group.leader_id == old_id:
            self._set_leader(group, new_id)
        return new

    # ------------------------------------------------------------------ rebalance machinery

    def _maybe_prepare_rebalance_or_complete_join(self, group: Group, trigger: Trigger) -> None:
        if group.state in CAN_REBALANCE:
            self._prepare_rebalance(group, trigger)
        else:
            self._maybe_complete_join_phase(group)

    def _maybe_complete_join_phase(self, group: Group) -> None:
        """Complete the join phase if everyone has joined, except during the initial rebalance,
        which only its delayed-join timer ends."""
        if group.state is not S.PREPARING_REBALANCE:
            return
        if group.previous_state is S.EMPTY:
            return
        if group.has_all_members_joined():
            self._complete_join(group)

    def _prepare_rebalance(self, group: Group, trigger: Trigger) -> None:
        if group.state is S.COMPLETING_REBALANCE:
            # Members waiting in SyncGroup must rejoin.
            for member in group.members.values():
                member.assignment = b""
            self._assignment_changed(group)
            self._propagate_assignment(group, ErrorCode.REBALANCE_IN_PROGRESS)
        group.pending_sync_members.clear()
        self.timers.cancel(SyncTimer(group.group_id))
        initial = group.state is S.EMPTY
        if initial:
            delay = self.config.group_initial_rebalance_delay_ms
            remaining = max(group.rebalance_timeout_ms() - delay, 0)
            self.timers.schedule(JoinTimer(group.group_id), self._now + delay, InitialDelay(delay, remaining))
        self._transition(group, trigger)
        if not initial:
            if group.has_all_members_joined():
                self._complete_join(group)
            else:
                self.timers.schedule(JoinTimer(group.group_id), self._now + group.rebalance_timeout_ms())

    def _try_complete_initial_rebalance(self, group: Group, initial: InitialDelay) -> None:
        delay, remaining = initial
        if group.new_member_added and remaining != 0:
            # Newcomers arrived during the delay: wait up to another initial delay.
            group.new_member_added = False
            new_delay = min(self.config.group_initial_rebalance_delay_ms, remaining)
            new_remaining = max(remaining - delay, 0)
            self._emit(tr.InitialRebalanceDelayEnded(self._now, group.group_id, delay, True, new_delay))
            self.timers.schedule(JoinTimer(group.group_id), self._now + new_delay, InitialDelay(new_delay, new_remaining))
        else:
            self._emit(tr.InitialRebalanceDelayEnded(self._now, group.group_id, delay, group.new_member_added, None))
            self._complete_join(group)

    def _complete_join(self, group: Group) -> None:
        gid = group.group_id
        self.timers.cancel(JoinTimer(gid))
        not_rejoined = [m for m in group.members.values() if m.awaiting_join is None and not m.is_static]
        for member in not_rejoined:
            self._remove(group, member.member_id, tr.MemberRemovalReason.NOT_REJOINED)
            self.timers.cancel(HeartbeatTimer(gid, member.member_id))
        if group.state is S.DEAD:
            return
        if not self._maybe_elect_new_joined_leader(group) and group.members:
            # Only static members that did not rejoin are left: wait another rebalance timeout
            # until their sessions expire.
            self._emit(tr.JoinPhaseExtended(self._now, gid, group.rebalance_timeout_ms()))
            self.timers.schedule(JoinTimer(gid), self._now + group.rebalance_timeout_ms())
            return
        group.generation_id += 1
        if group.members:
            group.protocol_name = group.select_protocol()
            self._transition(group, Trigger.JOIN_COMPLETED)
            members_for_leader = self._members_for_leader(group)
            for member in group.members.values():
                parked = member.awaiting_join
                if parked is not None:
                    self._answer_join(group, member, self._join_response(
                        parked.api_version, member_id=member.member_id, generation_id=group.generation_id,
                        protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                        leader=group.leader_id or "",
                        members=members_for_leader if group.is_leader(member.member_id) else ()))
                self._schedule_heartbeat(group, member)
                member.is_new = False
                group.pending_sync_members[member.member_id] = None
            self.timers.schedule(SyncTimer(gid), self._now + group.rebalance_timeout_ms(), group.generation_id)
        else:
            group.protocol_name = None
            self._transition(group, Trigger.JOIN_COMPLETED)
            self._write_group(group)  # a failed write only logs a warning in Kafka

    def _maybe_elect_new_joined_leader(self, group: Group) -> bool:
        leader = group.members.get(group.leader_id) if group.leader_id else None
        if leader is None:
            return False
        if leader.awaiting_join is not None:
            return True
        # Kafka picks any member with a parked JoinGroup (HashMap order); kafkalab picks the
        # earliest-joined one.
        for member in group.members.values():
            if member.awaiting_join is not None:
                self._set_leader(group, member.member_id)
                return True
        return False

    def _propagate_assignment(self, group: Group, error: ErrorCode) -> None:
        for member in group.members.values():
            response = SyncGroupResponse(
                error_code=error,
                protocol_type=group.protocol_type if error is ErrorCode.NONE else None,
                protocol_name=group.protocol_name if error is ErrorCode.NONE else None,
                assignment=member.assignment,
            )
            if self._answer_sync(group, member, response):
                # Sessions that expired while parked were ignored: start them again.
                self._schedule_heartbeat(group, member)

    def _expire_pending_sync(self, group_id: str, generation_id: int) -> None:
        group = self.groups.get(group_id)
        if group is None or generation_id != group.generation_id:
            return
        if group.state in (S.COMPLETING_REBALANCE, S.STABLE) and group.pending_sync_members:
            for member_id in list(group.pending_sync_members):
                self._remove(group, member_id, tr.MemberRemovalReason.PENDING_SYNC_EXPIRATION)
                self.timers.cancel(HeartbeatTimer(group_id, member_id))
            self._prepare_rebalance(group, Trigger.PENDING_SYNC_EXPIRED)

    def _expire_heartbeat(self, group_id: str, member_id: str) -> None:
        group = self.groups.get(group_id)
        if group is None or group.state is S.DEAD:
            return
        if group.is_pending(member_id):
            self._remove(group, member_id, tr.MemberRemovalReason.PENDING_MEMBER_EXPIRATION)
            if group.state is S.PREPARING_REBALANCE and group.has_all_members_joined():
                self._complete_join(group)
            return
        member = group.members.get(member_id)
        if member is None or member.has_satisfied_heartbeat():
            return
        self._remove_member_and_update_group(group, member, Trigger.SESSION_EXPIRED,
                                             tr.MemberRemovalReason.HEARTBEAT_EXPIRATION, check_initial=False)

    def _remove_member_and_update_group(self, group: Group, member: Member, trigger: Trigger,
                                        reason: tr.MemberRemovalReason, *, check_initial: bool) -> None:
        # A new member may time out with a parked JoinGroup: answer it so the client retries.
        if member.awaiting_join is not None:
            self._answer_join(group, member, self._join_error(
                member.awaiting_join.api_version, ErrorCode.UNKNOWN_MEMBER_ID, ""))
        self._remove(group, member.member_id, reason)
        if group.state in (S.STABLE, S.COMPLETING_REBALANCE):
            self._maybe_prepare_rebalance_or_complete_join(group, trigger)
        elif group.state is S.PREPARING_REBALANCE and group.has_all_members_joined():
            self._complete_join(group)

    # ------------------------------------------------------------------ SyncGroup

    def _handle_sync_group(self, req: SyncGroupRequest, origin: Any) -> None:
        gid = req.group_id

        def reply(code: ErrorCode) -> None:
            self._send(origin, gid, SyncGroupResponse(error_code=code))

        # Kafka's service checks "active" and the group id before the partition's runtime.
        if not self.active:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if not gid:
            return reply(ErrorCode.INVALID_GROUP_ID)
        gate = self._gate(gid)
        if gate is not None:
            return reply(gate)
        group = self.groups.get(gid)
        if group is None or group.state is S.EMPTY:
            return reply(ErrorCode.UNKNOWN_MEMBER_ID)
        if group.state is S.DEAD:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        error = self._validate_member(group, req.member_id, req.group_instance_id)
        if error is not None:
            return reply(error)
        if req.generation_id != group.generation_id:
            return reply(ErrorCode.ILLEGAL_GENERATION)
        if req.api_version >= 5 and (
            (req.protocol_type is not None and group.protocol_type is not None
             and req.protocol_type != group.protocol_type)
            or (req.protocol_name is not None and group.protocol_name is not None
                and req.protocol_name != group.protocol_name)
        ):
            return reply(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        if group.state is S.PREPARING_REBALANCE:
            return reply(ErrorCode.REBALANCE_IN_PROGRESS)
        member = group.members[req.member_id]
        if group.state is S.COMPLETING_REBALANCE:
            member.awaiting_sync = Parked(origin, req.api_version)
            self._member_updated(group, member, awaiting_sync=True)
            self._remove_pending_sync_member(group, req.member_id)
            if group.is_leader(req.member_id):
                assignment = {a.member_id: a.assignment for a in req.assignments}
                for member_id in group.members:
                    assignment.setdefault(member_id, b"")
                error = self._write_group(group, assignment)
                if group.state is S.COMPLETING_REBALANCE and req.generation_id == group.generation_id:
                    if error is not ErrorCode.NONE:
                        for m in group.members.values():
                            m.assignment = b""
                        self._assignment_changed(group)
                        self._propagate_assignment(group, map_storage_error(error))
                        self._maybe_prepare_rebalance_or_complete_join(group, Trigger.ASSIGNMENT_WRITE_FAILED)
                    else:
                        for m in group.members.values():
                            m.assignment = assignment.get(m.member_id, b"")
                        self._assignment_changed(group)
                        self._propagate_assignment(group, ErrorCode.NONE)
                        self._transition(group, Trigger.ASSIGNMENT_WRITTEN)
            return
        # Stable: hand out the stored assignment.
        self._remove_pending_sync_member(group, req.member_id)
        response = SyncGroupResponse(
            error_code=ErrorCode.NONE, protocol_type=group.protocol_type,
            protocol_name=group.protocol_name, assignment=member.assignment)
        if req.api_version < 5:
            response = SyncGroupResponse(error_code=ErrorCode.NONE, assignment=member.assignment)
        self._send(origin, gid, response)

    def _remove_pending_sync_member(self, group: Group, member_id: str) -> None:
        group.pending_sync_members.pop(member_id, None)
        if group.state in (S.COMPLETING_REBALANCE, S.STABLE):
            if not group.pending_sync_members:
                self.timers.cancel(SyncTimer(group.group_id))
        else:
            self.timers.cancel(SyncTimer(group.group_id))

    # ------------------------------------------------------------------ Heartbeat

    def _handle_heartbeat(self, req: HeartbeatRequest, origin: Any) -> None:
        gid = req.group_id

        def reply(code: ErrorCode) -> None:
            self._send(origin, gid, HeartbeatResponse(error_code=code))

        if not self.active:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if not gid:
            return reply(ErrorCode.INVALID_GROUP_ID)
        gate = self._gate(gid)
        if gate is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            return reply(ErrorCode.NONE)  # Kafka answers heartbeats blindly while loading
        if gate is not None:
            return reply(gate)
        group = self.groups.get(gid)
        if group is None:
            return reply(ErrorCode.UNKNOWN_MEMBER_ID)
        if group.state is S.DEAD:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        error = self._validate_member(group, req.member_id, req.group_instance_id)
        if error is not None:
            return reply(error)
        if req.generation_id != group.generation_id:
            return reply(ErrorCode.ILLEGAL_GENERATION)
        if group.state is S.EMPTY:
            return reply(ErrorCode.UNKNOWN_MEMBER_ID)
        self._schedule_heartbeat(group, group.members[req.member_id])
        if group.state is S.PREPARING_REBALANCE:
            return reply(ErrorCode.REBALANCE_IN_PROGRESS)
        return reply(ErrorCode.NONE)

    # ------------------------------------------------------------------ LeaveGroup

    def _handle_leave_group(self, req: LeaveGroupRequest, origin: Any) -> None:
        gid = req.group_id
        v = req.api_version
        identities = req.members if v >= 3 else (MemberIdentity(member_id=req.member_id),)

        def reply(top: ErrorCode, members: tuple[MemberResponse, ...] = ()) -> None:
            if v < 3:
                # v0-2 have no per-member list: the member's error becomes the top-level error.
                if top is ErrorCode.NONE and members:
                    top = members[0].error_code
                members = ()
            self._send(origin, gid, LeaveGroupResponse(error_code=top, members=members))

        if not self.active:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if not gid:
            return reply(ErrorCode.INVALID_GROUP_ID)
        gate = self._gate(gid)
        if gate is not None:
            return reply(gate)
        group = self.groups.get(gid)
        if group is None:
            return reply(ErrorCode.NONE, tuple(
                MemberResponse(i.member_id, i.group_instance_id, ErrorCode.UNKNOWN_MEMBER_ID) for i in identities))
        if group.state is S.DEAD:
            return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)

        responses = []
        any_left = False
        for ident in identities:
            code = ErrorCode.NONE
            if ident.member_id == "":
                # Admin removal of a static member by its group.instance.id.
                target = group.current_static_member_id(ident.group_instance_id) if ident.group_instance_id else None
                if target is None:
                    code = ErrorCode.UNKNOWN_MEMBER_ID
                else:
                    self._remove_current_member(group, target)
            elif group.is_pending(ident.member_id):
                self._remove(group, ident.member_id, tr.MemberRemovalReason.PENDING_MEMBER_LEFT)
                self.timers.cancel(HeartbeatTimer(gid, ident.member_id))
            else:
                error = self._validate_member(group, ident.member_id, ident.group_instance_id)
                if error is not None:
                    code = error
                else:
                    self._remove_current_member(group, ident.member_id)
            any_left = any_left or code is ErrorCode.NONE
            responses.append(MemberResponse(ident.member_id, ident.group_instance_id, code))
        if any_left:
            if group.state in (S.STABLE, S.COMPLETING_REBALANCE):
                self._maybe_prepare_rebalance_or_complete_join(group, Trigger.MEMBER_LEFT)
            elif group.state is S.PREPARING_REBALANCE:
                self._maybe_complete_join_phase(group)
        reply(ErrorCode.NONE, tuple(responses))

    def _remove_current_member(self, group: Group, member_id: str) -> None:
        member = group.members[member_id]
        self.timers.cancel(HeartbeatTimer(group.group_id, member_id))
        if member.awaiting_join is not None:
            self._answer_join(group, member, self._join_error(
                member.awaiting_join.api_version, ErrorCode.UNKNOWN_MEMBER_ID, ""))
        self._remove(group, member_id, tr.MemberRemovalReason.LEAVE_GROUP)

    # ------------------------------------------------------------------ offsets

    def _handle_offset_commit(self, req: OffsetCommitRequest, origin: Any) -> None:
        gid = req.group_id

        def reply_all(code: ErrorCode) -> None:
            self._send(origin, gid, OffsetCommitResponse(topics=tuple(
                OffsetCommitResponseTopic(t.name, tuple(
                    OffsetCommitResponsePartition(p.partition_index, code) for p in t.partitions))
                for t in req.topics)))

        # Kafka accepts an empty group id here "for backwards compatibility" (only null is
        # INVALID_GROUP_ID, and a kafkalab request cannot carry null).
        gate = self._gate(gid)
        if gate is not None:
            return reply_all(gate)
        group = self.groups.get(gid)
        if group is None:
            if req.generation_id >= 0:
                return reply_all(ErrorCode.GROUP_ID_NOT_FOUND if req.api_version >= 9 else ErrorCode.ILLEGAL_GENERATION)
            # A "simple" group: created by a manual commit with generation -1.
            group = Group(gid)
            self.groups[gid] = group
            self._transition(group, Trigger.GROUP_CREATED)
        error = self._validate_offset_commit(group, req)
        if error is not None:
            return reply_all(error)
        topics = []
        stored = self.log.offsets.setdefault(gid, {})
        for t in req.topics:
            parts = []
            for p in t.partitions:
                meta = p.committed_metadata or ""
                # Kafka compares Java's String.length(): UTF-16 code units, not bytes.
                if len(meta.encode("utf-16-le", "surrogatepass")) // 2 > self.config.offset_metadata_max_bytes:
                    parts.append(OffsetCommitResponsePartition(p.partition_index, ErrorCode.OFFSET_METADATA_TOO_LARGE))
                    continue
                expire = None
                if 2 <= req.api_version <= 4 and req.retention_time_ms != -1:
                    expire = self._now + req.retention_time_ms
                oam = OffsetAndMetadata(p.committed_offset, p.committed_leader_epoch, meta, self._now, expire)
                group.offsets[(t.name, p.partition_index)] = oam
                stored[(t.name, p.partition_index)] = oam
                parts.append(OffsetCommitResponsePartition(p.partition_index, ErrorCode.NONE))
            topics.append(OffsetCommitResponseTopic(t.name, tuple(parts)))
        if group.state in (S.STABLE, S.PREPARING_REBALANCE) and req.member_id in group.members:
            self._schedule_heartbeat(group, group.members[req.member_id])
        self._ensure_offsets_expiry_timer()
        self._send(origin, gid, OffsetCommitResponse(topics=tuple(topics)))

    def _validate_offset_commit(self, group: Group, req: OffsetCommitRequest) -> ErrorCode | None:
        if group.state is S.DEAD:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        if req.generation_id < 0 and group.state is S.EMPTY:
            return None  # admin client or manual assignment
        if req.generation_id >= 0 or req.member_id or req.group_instance_id is not None:
            error = self._validate_member(group, req.member_id, req.group_instance_id)
            if error is not None:
                return error
            if req.generation_id != group.generation_id:
                return ErrorCode.ILLEGAL_GENERATION
        elif group.state is not S.EMPTY:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if group.state is S.COMPLETING_REBALANCE:
            # The member knows the new generation but has no assignment yet.
            return ErrorCode.REBALANCE_IN_PROGRESS
        return None

    def _handle_offset_fetch(self, req: OffsetFetchRequest, origin: Any) -> None:
        gid = req.group_id
        gate = self._gate(gid)  # an empty group id is allowed, as in Kafka
        if gate is not None:
            return self._send(origin, gid, OffsetFetchResponse(error_code=gate))
        group = self.groups.get(gid)
        offsets = group.offsets if group is not None and group.state is not S.DEAD else {}
        if req.topics is None:
            by_topic: dict[str, list] = {}
            for (topic, partition), oam in sorted(offsets.items()):
                by_topic.setdefault(topic, []).append(OffsetFetchResponsePartition(
                    partition, oam.committed_offset, oam.committed_leader_epoch, oam.metadata))
            topics = tuple(OffsetFetchResponseTopic(t, tuple(ps)) for t, ps in by_topic.items())
        else:
            topics = tuple(
                OffsetFetchResponseTopic(t.name, tuple(
                    OffsetFetchResponsePartition(p, o.committed_offset, o.committed_leader_epoch, o.metadata)
                    if (o := offsets.get((t.name, p))) is not None
                    else OffsetFetchResponsePartition(p, -1, -1, "")
                    for p in t.partition_indexes))
                for t in req.topics)
        self._send(origin, gid, OffsetFetchResponse(error_code=ErrorCode.NONE, topics=topics))

    def _ensure_offsets_expiry_timer(self) -> None:
        """Arm the retention check if it is not armed.  Kafka runs it every
        ``offsets.retention.check.interval.ms`` from the moment the partition was loaded; kafkalab
        keeps that phase (multiples of the interval since time 0) but arms the timer only while
        some group could lose offsets or be deleted, so an idle coordinator has no timers."""
        if OffsetsExpiryTimer() not in self.timers:
            interval = self.config.offsets_retention_check_interval_ms
            self.timers.schedule(OffsetsExpiryTimer(), (self._now // interval + 1) * interval)

    def _subscribed_topics(self, group: Group) -> Optional[set[str]]:
        if group.protocol_type != "consumer" or group.protocol_name is None:
            return None
        try:
            from .consumer_protocol import decode_subscription
        except ImportError:  # pragma: no cover
            return None
        topics: set[str] = set()
        for m in group.members.values():
            try:
                topics.update(decode_subscription(m.metadata(group.protocol_name)).topics)
            except (ValueError, KeyError):
                return None
        return topics

    def _offset_expiry_base(self, group: Group) -> Optional[Callable[[OffsetAndMetadata], int]]:
        """Kafka's ``ClassicGroup.offsetExpirationCondition``: where an offset's retention period
        starts, or None when the group's offsets do not expire now."""
        if group.protocol_type is None:
            return lambda oam: oam.commit_timestamp_ms  # simple group: commit time
        if group.state is S.EMPTY:
            return lambda oam: group.current_state_timestamp  # since the group became Empty
        if group.state is S.STABLE and self._subscribed_topics(group) is not None:
            return lambda oam: oam.commit_timestamp_ms  # only topics it no longer reads (below)
        return None

    def _cleanup_expired_offsets(self) -> None:
        """Kafka's ``cleanupGroupMetadata`` (every ``offsets.retention.check.interval.ms``):
        expire offsets, then delete every Empty group left without offsets."""
        retention = self.config.offsets_retention_minutes * 60_000
        now = self._now
        for gid in list(self.groups):
            group = self.groups[gid]
            if group.state is S.DEAD or not self.owns(gid) or self.partition_of(gid) in self.loading_partitions:
                continue
            base = self._offset_expiry_base(group)
            # Kafka's isSubscribedToTopic: only a Stable consumer group knows its topics here.
            subscribed = self._subscribed_topics(group) if group.state is S.STABLE else None
            all_expired = base is not None or not group.offsets
            expired = []
            if base is not None:
                for tp, oam in group.offsets.items():
                    if subscribed is not None and tp[0] in subscribed:
                        all_expired = False
                    elif (now >= oam.expire_timestamp_ms if oam.expire_timestamp_ms is not None
                          else now - base(oam) >= retention):
                        expired.append(tp)  # v2-v4 commits carry their own expire timestamp
                    else:
                        all_expired = False
            for tp in expired:
                del group.offsets[tp]
                self.log.offsets.get(gid, {}).pop(tp, None)
            if all_expired and group.state is S.EMPTY:
                # Kafka writes a tombstone and drops the group (pending member ids included).
                del self.groups[gid]
                self.log.groups.pop(gid, None)
                self.log.offsets.pop(gid, None)
                for key in [k for k in self.timers.keys() if k.group_id == gid]:
                    self.timers.cancel(key)
                self._emit(tr.GroupRemoved(now, gid, tr.GroupRemovalReason.EMPTY_WITHOUT_OFFSETS))
        self._maybe_arm_offsets_expiry()

    def _maybe_arm_offsets_expiry(self) -> None:
        if any(g.offsets or g.state is S.EMPTY for g in self.groups.values()):
            self._ensure_offsets_expiry_timer()

    # ------------------------------------------------------------------ DescribeGroups / ListGroups

    def _handle_describe_groups(self, req: DescribeGroupsRequest, origin: Any) -> None:
        out = []
        for gid in req.groups:
            gate = self._gate(gid)
            if gate is not None:
                out.append(DescribedGroup(error_code=gate, group_id=gid))
                continue
            group = self.groups.get(gid)
            if group is None or group.state is S.DEAD:
                out.append(DescribedGroup(group_id=gid, group_state=S.DEAD.value))
                continue
            stable = group.state is S.STABLE
            members = tuple(
                DescribedGroupMember(
                    m.member_id, m.group_instance_id if req.api_version >= 4 else None,
                    m.client_id, m.client_host,
                    m.metadata(group.protocol_name) if stable and group.protocol_name in m.protocol_names else b"",
                    m.assignment)  # Kafka's describeNoMetadata() keeps the assignment
                for m in group.members.values())
            out.append(DescribedGroup(
                group_id=gid, group_state=group.state.value, protocol_type=group.protocol_type or "",
                protocol_data=(group.protocol_name or "") if stable else "", members=members))
        self._send(origin, None, DescribeGroupsResponse(groups=tuple(out)))

    def _handle_list_groups(self, req: ListGroupsRequest, origin: Any) -> None:
        if not self.active:
            return self._send(origin, None, ListGroupsResponse(error_code=ErrorCode.COORDINATOR_NOT_AVAILABLE))
        if self.loading_partitions:
            # Kafka reads every partition; one still loading fails the whole request.
            return self._send(origin, None, ListGroupsResponse(error_code=ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))
        # Kafka lower-cases and trims the state names, and lower-cases the type names.
        states = {s.lower().strip() for s in req.states_filter} if req.api_version >= 4 else set()
        types = {t.lower() for t in req.types_filter} if req.api_version >= 5 else set()
        listed = []
        for gid in sorted(self.groups):
            group = self.groups[gid]
            if group.state is S.DEAD or not self.owns(gid):
                continue
            if states and group.state.value.lower() not in states:
                continue
            if types and "classic" not in types:
                continue
            listed.append(ListedGroup(gid, group.protocol_type or "", group.state.value, "classic"))
        self._send(origin, None, ListGroupsResponse(groups=tuple(listed)))

    _HANDLERS: dict[type, Callable[["Coordinator", Any, Any], None]] = {
        JoinGroupRequest: _handle_join_group,
        SyncGroupRequest: _handle_sync_group,
        HeartbeatRequest: _handle_heartbeat,
        LeaveGroupRequest: _handle_leave_group,
        OffsetCommitRequest: _handle_offset_commit,
        OffsetFetchRequest: _handle_offset_fetch,
        DescribeGroupsRequest: _handle_describe_groups,
        ListGroupsRequest: _handle_list_groups,
    }
