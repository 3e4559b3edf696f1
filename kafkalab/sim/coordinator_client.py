"""The simulated consumer's group membership: Kafka's ``AbstractCoordinator`` and ``ConsumerCoordinator``.

How it works
------------
:class:`ConsumerCoordinator` is the part of :class:`~kafkalab.sim.consumer.SimConsumer` that the Java
client keeps in ``AbstractCoordinator`` (the join/sync/heartbeat/leave state machine, the heartbeat
thread, coordinator discovery) and ``ConsumerCoordinator`` (``onJoinPrepare``, the leader's
assignment, ``onJoinComplete``).  It is a mixin: the consumer's state lives on the consumer, and the
consumer's network layer (``_send``, ``on_response``) calls the ``_on_<kind>`` answer handlers here.

Client states are Kafka's ``MemberState``: UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE,
STABLE.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Optional

from ..assignors import Subscription, get_assignor, select_rebalance_protocol
from ..consumer_protocol import decode_assignment, decode_subscription, encode_assignment, encode_subscription
from ..errors import ErrorCode
from ..messages import (
    FindCoordinatorResponse,
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from . import events as ev

TopicPartition = tuple[str, int]

UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

#: Errors after which the Java client retries the join at once, without backoff.
_RETRY_AT_ONCE = {ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION,
                  ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.MEMBER_ID_REQUIRED}
COORDINATOR_ERRORS = {ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR}


@dataclass
class InFlight:
    kind: str
    request: Any
    dst: str
    deadline: int
    generation: tuple[int, str]


class ConsumerCoordinator:
    """The group-membership half of :class:`~kafkalab.sim.consumer.SimConsumer` (a mixin)."""

    @property
    def is_static(self) -> bool:
        return self.config.group_instance_id is not None

    def _set_state(self, now: int, new: str, reason: ev.ClientStateReason,
                   error_code: Optional[ErrorCode] = None, leader: bool = False) -> None:
        """Move to client state ``new``; record it, and record a reset member id or generation even
        when the state stays the same (so the trace always knows the consumer's identity)."""
        identity = (self.member_id, self.generation_id)
        if new != self.state or identity != self._recorded_identity:
            self.world._record(ev.ClientStateChanged(now, self.name, self.state, new, reason, self.member_id,
                                                     self.generation_id, error_code, leader))
            self._recorded_identity = identity
            self.state = new

    # ------------------------------------------------------------------ the heartbeat thread

    def _heartbeat_enabled(self) -> bool:
        return self.state in (COMPLETING_REBALANCE, STABLE) and self.coordinator is not None

    def _heartbeat_thread(self, now: int) -> None:
        if not self._heartbeat_enabled():
            return
        if self.session_deadline is not None and now >= self.session_deadline:
            self.world._record(ev.CoordinatorUnknown(now, self.name, ev.CoordinatorUnknownReason.SESSION_TIMED_OUT))
            self._coordinator_unknown(now)
            return
        if self.status == "processing" and now - self.last_poll_at >= self.config.max_poll_interval_ms:
            self.world._record(ev.PollTimeoutExpired(now, self.name, self.config.max_poll_interval_ms))
            self._maybe_leave_group(now, ev.ClientStateReason.POLL_TIMEOUT)
            return
        if self.next_heartbeat_at is not None and now >= self.next_heartbeat_at:
            if not any(f.kind == "heartbeat" for f in self.inflight.values()):
                self._send(now, "heartbeat", HeartbeatRequest(
                    group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
                    group_instance_id=self.config.group_instance_id, api_version=3))
            self.next_heartbeat_at = now + self.config.heartbeat_interval_ms

    def _maybe_leave_group(self, now: int, reason: ev.ClientStateReason) -> None:
        if not self.is_static and self.member_id and self.coordinator is not None and self.state != UNJOINED:
            self._send_leave_group(now)
        self._reset_generation(now, keep_member_id=False, reason=reason)

    def _send_leave_group(self, now: int) -> None:
        self._send(now, "leave", LeaveGroupRequest(group_id=self.group_id, member_id=self.member_id, api_version=1))

    def _reset_generation(self, now: int, *, keep_member_id: bool, reason: ev.ClientStateReason,
                          error_code: Optional[ErrorCode] = None) -> None:
        self.generation_id = -1
        if not keep_member_id:
            self.member_id = ""
        self.protocol_name = None
        self.rejoin_needed = True
        self._set_state(now, UNJOINED, reason, error_code)

    def _coordinator_unknown(self, now: int) -> None:
        self.coordinator = None
        self.backoff_until = now + self.config.retry_backoff_ms
        # Requests to the old coordinator are abandoned (Kafka disconnects from it).
        for corr in [c for c, f in self.inflight.items() if f.kind != "find"]:
            flight = self.inflight.pop(corr)
            if flight.kind in ("join", "sync"):
                self._set_state(now, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
                self.rejoin_needed = True

    # ------------------------------------------------------------------ joining (poll() side)

    def _on_join_prepare(self, now: int) -> bool:
        """``ConsumerCoordinator.onJoinPrepare``: commit (if auto-commit) and revoke. Returns True
        when it sent a synchronous commit that the join must wait for."""
        sent_commit = False
        if self.config.enable_auto_commit and self.generation_id >= 0 and self.positions:
            sent_commit = self._send_commit(now, "rebalance", sync=True)
        if self.generation_id == -1 or not self.member_id:
            # No generation (never joined, or reset after an error): whatever is owned is lost.
            if self.owned:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)), lost=True))
                self._drop(self.owned)
        elif self.rebalance_protocol == "EAGER":
            # EAGER revokes everything before every rebalance, and calls the listener even with
            # an empty set (ConsumerCoordinator.onJoinPrepare).
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned))))
            self._drop(self.owned)
        else:
            gone = {tp for tp in self.owned if tp[0] not in self.topics}
            if gone:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(gone))))
                self._drop(gone)
        return sent_commit

    def _drop(self, partitions) -> None:
        for tp in list(partitions):
            self.owned.discard(tp)
            self.positions.pop(tp, None)

    def _subscription_metadata(self, assignor) -> bytes:
        owned = sorted(self.owned) if self.rebalance_protocol == "COOPERATIVE" else []
        user_data = None
        if getattr(assignor, "name", "") == "sticky":
            prev, gen = self.sticky_previous
            user_data = _encode_sticky_user_data(prev, gen)
        return encode_subscription(self.topics, user_data, owned, self.generation_id, self.config.client_rack)

    def _send_join(self, now: int) -> None:
        protocols = tuple(JoinGroupRequestProtocol(a.name, self._subscription_metadata(a)) for a in self.assignors)
        self._set_state(now, PREPARING_REBALANCE, ev.ClientStateReason.JOIN_GROUP_SENT)
        self.next_heartbeat_at = None
        self._send(now, "join", JoinGroupRequest(
            group_id=self.group_id, session_timeout_ms=self.config.session_timeout_ms,
            rebalance_timeout_ms=self.config.max_poll_interval_ms, member_id=self.member_id,
            group_instance_id=self.config.group_instance_id, protocol_type="consumer",
            protocols=protocols, api_version=self.config.join_group_version, client_id=self.client_id),
            timeout=max(self.config.request_timeout_ms, self.config.max_poll_interval_ms + 5_000))

    # ------------------------------------------------------------------ answers

    def _on_find(self, flight, resp: FindCoordinatorResponse, now: int) -> None:
        if resp.error_code is ErrorCode.NONE:
            self.coordinator = resp.node_id
            # AbstractCoordinator resets the session timer when it finds a coordinator.
            self.session_deadline = now + self.config.session_timeout_ms
        else:
            self.backoff_until = now + self.config.retry_backoff_ms

    def _on_join(self, flight, resp: JoinGroupResponse, now: int) -> None:
        code = resp.error_code
        if code is ErrorCode.NONE:
            self.generation_id = resp.generation_id
            self.member_id = resp.member_id
            self.protocol_name = resp.protocol_name
            self.leader_id = resp.leader
            self.is_leader = resp.leader == resp.member_id
            self._set_state(now, COMPLETING_REBALANCE, ev.ClientStateReason.JOIN_GROUP_ANSWERED,
                            leader=self.is_leader)
            # HeartbeatThread.enable() resets every heartbeat timer, the poll timer included.
            self.next_heartbeat_at = now + self.config.heartbeat_interval_ms
            self.session_deadline = now + self.config.session_timeout_ms
            self.last_poll_at = now
            assignments = ()
            if self.is_leader and not resp.skip_assignment:
                assignments = self._perform_assignment(resp, now)
            self._send(now, "sync", SyncGroupRequest(
                group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
                group_instance_id=self.config.group_instance_id, protocol_type="consumer",
                protocol_name=self.protocol_name, assignments=assignments, api_version=3))
            return
        # The member id and generation change first, so the recorded state change carries them.
        if code is ErrorCode.MEMBER_ID_REQUIRED:
            self.member_id = resp.member_id  # retry at once with the id the coordinator handed out
        elif code is ErrorCode.UNKNOWN_MEMBER_ID:
            if flight.generation == (self.generation_id, self.member_id):
                self.generation_id, self.member_id = -1, ""
        self._set_state(now, UNJOINED, ev.ClientStateReason.JOIN_GROUP_ERROR, code)
        if code in (ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.REBALANCE_IN_PROGRESS):
            pass  # rejoin at once
        elif code in COORDINATOR_ERRORS:
            self._coordinator_unknown(now)
        elif code is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            self.backoff_until = now + self.config.retry_backoff_ms
        else:
            return self._fail(now, code, "JoinGroup")
        self.rejoin_needed = True
        self.join_prepared = True  # onJoinPrepare already ran for this rebalance

    def _perform_assignment(self, resp: JoinGroupResponse, now: int):
        """The leader's ``ConsumerCoordinator.onLeaderElected``: run the selected assignor."""
        assignor = next(a for a in self.assignors if a.name == resp.protocol_name)
        subscriptions = {}
        topics: set[str] = set()
        for m in resp.members:
            sub = decode_subscription(m.metadata)
            owned, gen = sub.owned_partitions, sub.generation_id
            if assignor.name == "sticky":
                owned, gen = _decode_sticky_user_data(sub.user_data)
            subscriptions[m.member_id] = Subscription(
                tuple(sub.topics), owned, gen if gen >= 0 else None, sub.rack_id, m.group_instance_id)
            topics.update(sub.topics)
        partitions_per_topic = {t: self.world.topics[t] for t in sorted(topics) if t in self.world.topics}
        result = assignor.assign(partitions_per_topic, subscriptions)
        self.world._record(ev.AssignmentPerformed(now, self.name, assignor.name, len(subscriptions), self.generation_id))
        return tuple(SyncGroupRequestAssignment(mid, encode_assignment(sorted(result.get(mid, ()))))
                     for mid in subscriptions)

    def _on_sync(self, flight, resp, now: int) -> None:
        code = resp.error_code
        if code is ErrorCode.NONE:
            assigned = set(decode_assignment(resp.assignment).assigned_partitions)
            self._set_state(now, STABLE, ev.ClientStateReason.SYNC_GROUP_ANSWERED)
            self.rejoin_needed = False
            self.join_prepared = False
            self.session_deadline = now + self.config.session_timeout_ms
            if self.rebalance_protocol == "COOPERATIVE":
                revoked = self.owned - assigned
                added = assigned - self.owned
                if revoked:
                    self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(revoked))))
                    self._drop(revoked)
                self.owned |= added
                self.world._record(ev.PartitionsAssigned(now, self.name, tuple(sorted(added)), self.generation_id))
                if revoked:
                    # KIP-429: give the revoked partitions up, then rebalance again so they move.
                    self.rejoin_needed = True
                    self.world._record(ev.RejoinRequested(now, self.name, ev.RejoinReason.PARTITIONS_REVOKED))
            else:
                self.owned = set(assigned)
                self.world._record(ev.PartitionsAssigned(now, self.name, tuple(sorted(assigned)), self.generation_id))
            self.last_assignment = tuple(sorted(assigned))
            self.sticky_previous = (self.last_assignment, self.generation_id)
            return
        sync_error = ev.ClientStateReason.SYNC_GROUP_ERROR
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            self._set_state(now, UNJOINED, sync_error, code)
        elif code is ErrorCode.UNKNOWN_MEMBER_ID:
            self._reset_generation(now, keep_member_id=False, reason=sync_error, error_code=code)
        elif code is ErrorCode.ILLEGAL_GENERATION:
            self._reset_generation(now, keep_member_id=True, reason=sync_error, error_code=code)
        elif code in COORDINATOR_ERRORS:
            self._set_state(now, UNJOINED, sync_error, code)
            self._coordinator_unknown(now)
        else:
            return self._fail(now, code, "SyncGroup")
        self.rejoin_needed = True
        self.join_prepared = True

    def _on_heartbeat(self, flight, resp, now: int) -> None:
        code = resp.error_code
        if code is ErrorCode.NONE:
            self.session_deadline = now + self.config.session_timeout_ms
            return
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            self.session_deadline = now + self.config.session_timeout_ms
            if self.state == STABLE and not self.rejoin_needed:
                self.rejoin_needed = True
                self.world._record(ev.RejoinRequested(now, self.name, ev.RejoinReason.REBALANCE_IN_PROGRESS))
            return
        if code in (ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
            if flight.generation != (self.generation_id, self.member_id):
                return  # the generation changed meanwhile; this answer is stale
            heartbeat_error = ev.ClientStateReason.HEARTBEAT_ERROR
            if code is ErrorCode.FENCED_INSTANCE_ID:
                self._reset_generation(now, keep_member_id=False, reason=heartbeat_error, error_code=code)
                return self._fail(now, code, "Heartbeat")
            self._reset_generation(now, keep_member_id=code is ErrorCode.ILLEGAL_GENERATION,
                                   reason=heartbeat_error, error_code=code)
            return
        if code in COORDINATOR_ERRORS:
            self._coordinator_unknown(now)

    def _on_leave(self, flight, resp, now: int) -> None:
        pass


# ---------------------------------------------------------------------- assignors glue

def resolve_assignor(spec):
    return get_assignor(spec)


def select_protocol(assignors) -> str:
    return select_rebalance_protocol(assignors).name


def _encode_sticky_user_data(previous: tuple[TopicPartition, ...], generation: int) -> bytes:
    """Kafka's ``StickyAssignorUserData`` v1: the previous assignment and its generation."""
    by_topic: dict[str, list[int]] = {}
    for t, p in previous:
        by_topic.setdefault(t, []).append(p)
    out = [struct.pack(">i", len(by_topic))]
    for t, ps in by_topic.items():
        raw = t.encode()
        out.append(struct.pack(">h", len(raw)) + raw + struct.pack(">i", len(ps)))
        out.extend(struct.pack(">i", p) for p in ps)
    out.append(struct.pack(">i", generation))
    return b"".join(out)


def _decode_sticky_user_data(data: Optional[bytes]) -> tuple[tuple[TopicPartition, ...], int]:
    if not data:
        return (), -1
    try:
        off = 0
        (n,) = struct.unpack_from(">i", data, off)
        off += 4
        out = []
        for _ in range(n):
            (ln,) = struct.unpack_from(">h", data, off)
            off += 2
            t = data[off:off + ln].decode()
            off += ln
            (k,) = struct.unpack_from(">i", data, off)
            off += 4
            for _ in range(k):
                (p,) = struct.unpack_from(">i", data, off)
                off += 4
                out.append((t, p))
        gen = struct.unpack_from(">i", data, off)[0] if off + 4 <= len(data) else -1
        return tuple(out), gen
    except (struct.error, UnicodeDecodeError):
        return (), -1
