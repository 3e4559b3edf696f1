"""A simulated consumer that speaks the consumer group protocol (KIP-848): the Java ``AsyncKafkaConsumer``.

How it works
------------
:class:`AsyncSimConsumer` is a :class:`~kafkalab.sim.consumer.SimConsumer` (same lifecycle, same
``poll()``/processing loop, same metadata, offsets and network layer) whose group membership is
:class:`~kafkalab.sim.membership.ConsumerMembership` instead of the classic ``ConsumerCoordinator``:
no JoinGroup/SyncGroup/Heartbeat, one ConsumerGroupHeartbeat request that joins, heartbeats,
acknowledges and leaves; the assignment is computed by the broker (``group_remote_assignor``
picks its assignor).  Create one with ``world.consumer(name, group_protocol="consumer")`` or
``world.add_consumers(n, group_protocol="consumer")``.

The two threads of the Java client: the application thread calls ``poll()`` (:meth:`_drive`): it
joins after ``subscribe()``, runs the rebalance callbacks (the reconciliation), fetches committed
offsets for new partitions and processes records; the background thread
(:meth:`~kafkalab.sim.membership.ConsumerMembership._heartbeat_thread`) sends the heartbeats and
watches ``max.poll.interval.ms``.  Offset commits carry the member epoch
(OffsetCommit v9 ``GenerationIdOrMemberEpoch``), and offset fetches the member id and epoch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from ..errors import ErrorCode
from ..messages import (
    FindCoordinatorRequest,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
)
from . import events as ev
from .config import ConsumerConfig, check_group_protocol_configs
from .consumer import SimConsumer
from .membership import (
    ACKNOWLEDGING,
    FATAL,
    FENCED,
    NOT_IN_GROUP,
    PREPARE_LEAVING,
    RECONCILING,
    STABLE,
    UNSUBSCRIBED,
    ConsumerMembership,
)

__all__ = ["AsyncSimConsumer", "restart_with_protocol"]

TopicPartition = tuple[str, int]

#: The states of a member in the group (it may process its partitions and commit).
IN_GROUP = frozenset({RECONCILING, ACKNOWLEDGING, STABLE})


class AsyncSimConsumer(ConsumerMembership, SimConsumer):
    """One simulated consumer-protocol consumer; create it with :meth:`World.consumer` and
    ``group_protocol="consumer"``."""

    def _reset_all(self) -> None:
        super()._reset_all()
        self._reset_membership()
        self.rebalance_protocol = "CONSUMER"  # no client-side assignor: the broker assigns

    def restart(self, now: int, **config) -> None:
        """A new process (a new member id; the same ``group.instance.id`` for a static member), with
        some configs changed if given.

        Raises:
            ValueError: an unknown config, or one the consumer protocol refuses.
        """
        check_group_protocol_configs({"group_protocol": "consumer", **config})
        super().restart(now, **config)

    def __repr__(self) -> str:
        return (f"AsyncSimConsumer({self.name!r}, state={self.state}, member_epoch={self.member_epoch}, "
                f"owned={self.assignment})")

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> Optional[int]:
        if self.status in ("crashed", "closed", "failed", "new"):
            return None
        now = self.world.now
        if self.paused_until is not None:
            return self.paused_until
        times = [f.deadline for f in self.inflight.values()]
        if self.status == "processing" and self.next_poll_at is not None:
            times.append(self.next_poll_at)
        if self.status == "in_poll" and self.backoff_until > now:
            times.append(self.backoff_until)
        if self.is_running:
            times.append(max(self.metadata.next_update_at(), now))
        due = self._heartbeat_due_at(now)
        if due is not None:
            times.append(due)
        poll_deadline = self._poll_timer_deadline()
        if poll_deadline is not None:
            times.append(poll_deadline)
        return min(times) if times else None

    # ------------------------------------------------------------------ the application thread

    def _drive(self, now: int) -> None:
        """Advance ``poll()`` as far as it can go at ``now``."""
        if self.status != "in_poll" or self.paused_until is not None or self.fatal_error is not None:
            return
        self._maybe_refresh_metadata(now)
        self._maybe_update_subscription_metadata(now)
        self._on_consumer_poll(now)
        if not self.subscriptions.has_auto_assigned_partitions:
            return
        kinds = {f.kind for f in self.inflight.values()}
        if self.coordinator is None:
            if "find" not in kinds and now >= self.backoff_until:
                self._send(now, "find", FindCoordinatorRequest(key=self.group_id, key_type=0, api_version=2),
                           dst=self.world._bootstrap_broker())
            return
        if kinds & {"find", "fetch", "commit-sync"} or self.state not in IN_GROUP:
            return
        missing = [tp for tp in sorted(self.owned) if tp not in self.positions]
        if missing:
            self._send_offset_fetch(now, missing)
            return
        self._process_batch(now)

    def _coordinator_unknown(self, now: int) -> None:
        """``markCoordinatorUnknown``: requests to the old coordinator are abandoned; a heartbeat among
        them failed (a full one follows after the backoff)."""
        self.coordinator = None
        self.backoff_until = now + self.config.retry_backoff_ms
        for corr in [c for c, f in self.inflight.items() if f.kind != "find"]:
            flight = self.inflight.pop(corr)
            if flight.kind == "cghb":
                self._on_heartbeat_failed(now)
            elif flight.kind == "commit-sync":
                self._after_reconcile_commit(now)

    # ------------------------------------------------------------------ the application's calls

    def close(self, now: int, membership: Any = ev.GroupMembershipOperation.DEFAULT) -> None:
        """``consumer.close(CloseOptions)``: commit, then leave the group (``leaveGroupOnClose``):
        revoke, then a leave heartbeat with epoch -1 (-2 for a static member, which keeps its
        assignment for its session timeout).  REMAIN_IN_GROUP sends no leave (KIP-1092)."""
        membership = ev.GroupMembershipOperation.parse(membership)
        if self.status in ("crashed", "closed"):
            return
        if self.state in IN_GROUP and self.config.enable_auto_commit:
            self._send_commit(now, "close")
        if membership is ev.GroupMembershipOperation.REMAIN_IN_GROUP and self.state not in NOT_IN_GROUP | {FATAL}:
            if self.owned:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned))))
                self._drop(self.owned)
            self.world._record(ev.LeaveGroupSkipped(now, self.name, self.config.group_instance_id, membership))
        else:
            self._leave_group(now, ev.ClientStateReason.CLOSED, membership)
        self.status = "closed"
        self.metrics_recorder.ended(now)
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.CLOSED, membership=membership))

    def unsubscribe(self) -> None:
        """``consumer.unsubscribe()``: revoke, leave the group (epoch -1, or -2 for a static member),
        UNSUBSCRIBED until the next :meth:`subscribe`.

        Raises:
            ValueError: a closed, crashed or failed consumer.
        """
        self._check_open("unsubscribe")
        now = self.world.now
        old = self.topics
        if not self.subscriptions.has_auto_assigned_partitions:
            return
        if self.is_running:
            self._leave_group(now, ev.ClientStateReason.UNSUBSCRIBED)
        self.subscriptions.unsubscribe()
        self._subscription_spec = ("none", ())
        self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.UNSUBSCRIBED, old, ()))
        self.world._after_action(self)

    def _leave_group(self, now: int, reason: ev.ClientStateReason,
                     membership: ev.GroupMembershipOperation = ev.GroupMembershipOperation.DEFAULT) -> None:
        """``leaveGroup``: PREPARE_LEAVING (``onPartitionsRevoked``, or ``onPartitionsLost`` without a
        positive epoch), then the leave heartbeat."""
        if self.state in (UNSUBSCRIBED, FATAL):
            return
        if self.state in NOT_IN_GROUP:  # FENCED or STALE: the partitions are lost, no leave to send
            if self.owned:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)), lost=True))
                self._drop(self.owned)
            if self.state == FENCED:
                self._transition(now, UNSUBSCRIBED, reason)
            return
        self._transition(now, PREPARE_LEAVING, reason)
        if self.owned:
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)),
                                                    lost=self.member_epoch <= 0))
            self._drop(self.owned)
        self._send_leave_heartbeat(now, reason, membership)

    # ------------------------------------------------------------------ offsets with the member epoch

    def _send_commit(self, now: int, why: str, sync: bool = False) -> bool:
        """An OffsetCommit with the member id and epoch (``CommitRequestManager``); a member out of
        the group commits with epoch -1 and no member id, as the Java client does."""
        offsets = {tp: off for tp, off in self.positions.items() if tp in self.owned or why != "poll"}
        if not offsets:
            return False
        if self.coordinator is None:
            self.commit_failures.append("coordinator unknown")
            self.world._record(ev.CommitFailed(now, self.name, ev.CommitFailureReason.COORDINATOR_UNKNOWN,
                                               tuple(sorted(offsets))))
            return False
        in_group = self.member_epoch > 0
        by_topic: dict[str, list[OffsetCommitRequestPartition]] = {}
        for (t, p), off in sorted(offsets.items()):
            by_topic.setdefault(t, []).append(OffsetCommitRequestPartition(p, off))
        self._send(now, "commit-sync" if sync else "commit", OffsetCommitRequest(
            group_id=self.group_id, generation_id=self.member_epoch if in_group else -1,
            member_id=self.member_id if in_group else "", group_instance_id=self.config.group_instance_id,
            topics=tuple(OffsetCommitRequestTopic(t, tuple(ps)) for t, ps in by_topic.items()),
            api_version=self.config.offset_commit_version))
        return True

    def _on_commit(self, flight, resp, now: int) -> None:
        if flight.kind == "commit-sync":
            self._after_reconcile_commit(now)
        code = self._commit_error(flight, resp, now, {"STALE_MEMBER_EPOCH": "StaleMemberEpochException",
                                                      "FENCED_INSTANCE_ID": "FencedInstanceIdException"})
        if code is None:
            return
        if code in (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE):
            self._coordinator_unknown(now)

    _on_commit_sync = _on_commit

    def _send_offset_fetch(self, now: int, partitions) -> None:
        """OffsetFetch v9+ as the member (member id and epoch)."""
        by_topic: dict[str, list[int]] = {}
        for t, p in partitions:
            by_topic.setdefault(t, []).append(p)
        v = self.config.offset_fetch_version
        self._send(now, "fetch", OffsetFetchRequest(
            group_id=self.group_id,
            topics=tuple(OffsetFetchRequestTopic(t, tuple(ps)) for t, ps in sorted(by_topic.items())),
            api_version=v, member_id=self.member_id if v >= 9 else None,
            member_epoch=self.member_epoch if v >= 9 else -1))



def restart_with_protocol(world: Any, old: SimConsumer, config: dict) -> SimConsumer:
    """A rolling upgrade (or downgrade) of one consumer: its process restarts with the other
    ``group.protocol`` (a new member id, nothing owned), as a new :class:`AsyncSimConsumer` or
    :class:`SimConsumer` under the same name; the group migrates online (docs/consumer-protocol.md §7).

    Raises:
        ValueError: an unknown config, or one the new protocol refuses.
    """
    unknown = sorted(set(config) - set(ConsumerConfig.__dataclass_fields__))
    if unknown:
        raise ValueError(f"unknown consumer config {unknown}")
    check_group_protocol_configs(config)
    changes = dict(config)
    if config["group_protocol"].lower() == "classic":
        changes.setdefault("group_remote_assignor", None)
    cfg = replace(old.config, **changes)
    cls = AsyncSimConsumer if cfg.group_protocol == "consumer" else SimConsumer
    kind, value = old._subscription_spec
    new = cls(world, old.name, old.group_id, value if kind == "topics" else (),
              cfg, pattern=value if kind == "pattern" else None)
    if old.status not in ("crashed", "closed", "failed", "new"):
        old.metrics_recorder.ended(world.now)
    old.status = "closed"  # the old process is gone (without leaving: a restart)
    new.incarnation = old.incarnation + 1
    new._reset_all()
    new.metric_recorders, new.process_configs = old.metric_recorders, old.process_configs
    new.start(world.now, restarted=True)
    return new
