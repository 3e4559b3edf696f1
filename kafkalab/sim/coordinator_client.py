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
    MemberIdentity,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from . import events as ev
from .metadata import MetadataSnapshot

TopicPartition = tuple[str, int]

UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

COORDINATOR_ERRORS = {ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR}

#: ``AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE``: a JoinGroup may wait up to the rebalance timeout
#: on the coordinator, so the client waits that long plus 5 s before giving up on the answer.
JOIN_GROUP_TIMEOUT_LAPSE_MS = 5_000

#: The reasons the Java client gives in LeaveGroup (v5+, KIP-800).
LEAVE_POLL_TIMEOUT = "consumer poll timeout has expired."
LEAVE_CLOSING = "the consumer is being closed"
LEAVE_UNSUBSCRIBED = "the consumer unsubscribed from all topics"

#: The exception a Java client raises for an error answer to JoinGroup or SyncGroup; its simple name
#: goes into the next JoinGroup's reason ("rebalance failed due to ...").
EXCEPTION_NAMES = {
    ErrorCode.UNKNOWN_MEMBER_ID: "UnknownMemberIdException",
    ErrorCode.ILLEGAL_GENERATION: "IllegalGenerationException",
    ErrorCode.REBALANCE_IN_PROGRESS: "RebalanceInProgressException",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "CoordinatorNotAvailableException",
    ErrorCode.NOT_COORDINATOR: "NotCoordinatorException",
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS: "CoordinatorLoadInProgressException",
}


@dataclass
class InFlight:
    kind: str
    request: Any
    dst: str
    deadline: int
    generation: tuple[int, str]
    sent_at: int = 0


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

    def _request_rejoin(self, now: int, reason: ev.RejoinReason, detail: Optional[str] = None) -> None:
        """``requestRejoin(reason)``: rejoin at the next ``poll()``, telling the coordinator why (KIP-800).
        Recorded when it starts a rejoin or changes its reason."""
        event = ev.RejoinRequested(now, self.name, reason, detail)
        if not self.rejoin_needed or event.kafka_reason != self.rejoin_reason:
            self.world._record(event)
        self.rejoin_needed = True
        self.rejoin_reason = event.kafka_reason

    def _request_rejoin_if_necessary(self, now: int, reason: ev.RejoinReason) -> None:
        if not self.rejoin_needed:
            self._request_rejoin(now, reason)

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
            self._maybe_leave_group(now, ev.ClientStateReason.POLL_TIMEOUT, LEAVE_POLL_TIMEOUT)
            return
        if self.next_heartbeat_at is not None and now >= self.next_heartbeat_at:
            # Java's heartbeat thread sends whenever the heartbeat timer has expired, even with an
            # earlier heartbeat still unanswered (Heartbeat.hasInflight is read by no caller).
            self.metrics_recorder.heartbeat_sent(now)  # Heartbeat.sentHeartbeat
            self._send(now, "heartbeat", HeartbeatRequest(
                group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
                group_instance_id=self.config.group_instance_id, api_version=self.config.heartbeat_version))
            self.next_heartbeat_at = now + self.config.heartbeat_interval_ms

    def _leaves_on(self, membership: ev.GroupMembershipOperation) -> bool:
        """``shouldSendLeaveGroupRequest``: LEAVE_GROUP always, DEFAULT for dynamic members (KIP-1092)."""
        if membership is ev.GroupMembershipOperation.DEFAULT:
            return not self.is_static
        return membership is ev.GroupMembershipOperation.LEAVE_GROUP

    def _can_leave(self) -> bool:
        return bool(self.member_id) and self.coordinator is not None and self.state != UNJOINED

    def _maybe_leave_group(self, now: int, reason: ev.ClientStateReason, leave_reason: str,
                           membership: ev.GroupMembershipOperation = ev.GroupMembershipOperation.DEFAULT,
                           record_rejoin: bool = True) -> None:
        """``maybeLeaveGroup``: LeaveGroup (dynamic members by default), then forget the generation and
        member id (``resetGenerationOnLeaveGroup``, which also asks to rejoin)."""
        if self._leaves_on(membership) and self._can_leave():
            self._send_leave_group(now, leave_reason)
        self._reset_generation(now, keep_member_id=False, reason=reason)
        if record_rejoin:
            self._request_rejoin(now, ev.RejoinReason.LEFT_GROUP)
        else:
            self.rejoin_reason = ev.KAFKA_REJOIN_REASONS[ev.RejoinReason.LEFT_GROUP]

    def _send_leave_group(self, now: int, leave_reason: str) -> None:
        v = self.config.leave_group_version
        if v >= 3:
            request = LeaveGroupRequest(group_id=self.group_id, api_version=v, members=(MemberIdentity(
                member_id=self.member_id, reason=leave_reason if v >= 5 else None),))
        else:
            request = LeaveGroupRequest(group_id=self.group_id, member_id=self.member_id, api_version=v)
        self._send(now, "leave", request)

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
                self.metrics_recorder.rebalance_failed(now)
                self._set_state(now, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
                self._request_rejoin(now, ev.RejoinReason.REBALANCE_FAILED, "DisconnectException")

    # ------------------------------------------------------------------ metadata and subscription (poll())

    def _maybe_update_subscription_metadata(self, now: int) -> None:
        """``maybeUpdateSubscriptionMetadata``: after a metadata refresh, match the pattern again and
        take a new snapshot of the watched topics' partition counts."""
        if self.metadata_snapshot is not None and self.metadata.version <= self.metadata_snapshot.version:
            return
        if self.subscriptions.has_pattern:
            self._update_pattern_subscription(now)
        self.metadata_snapshot = MetadataSnapshot.take(self.subscriptions, self.metadata)

    def _update_pattern_subscription(self, now: int) -> None:
        old = self.subscriptions.topics
        matched = [t for t in self.metadata.partitions if self.subscriptions.matches_pattern(t)]
        if self.subscriptions.subscribe_from_pattern(matched):
            self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.PATTERN_MATCHED, old,
                                                      self.subscriptions.topics, self.subscriptions.pattern.pattern))
            self._request_metadata(ev.MetadataRefreshReason.NEW_TOPICS, new_topics=True)

    def _rejoin_needed_or_pending(self, now: int) -> bool:
        """``ConsumerCoordinator.rejoinNeededOrPending``: the leader rejoins when the partition counts it
        assigned with changed; anyone rejoins when its subscription changed since it joined."""
        if not self.subscriptions.has_auto_assigned_partitions:
            return False
        if self.assignment_snapshot is not None and self.metadata_snapshot is not None \
                and not self.assignment_snapshot.matches(self.metadata_snapshot):
            self._request_rejoin_if_necessary(now, ev.RejoinReason.METADATA_CHANGED)
            return True
        if self.joined_subscription is not None and self.joined_subscription != self.subscriptions.subscription:
            self._request_rejoin_if_necessary(now, ev.RejoinReason.SUBSCRIPTION_CHANGED)
            return True
        return self.rejoin_needed or self.state == UNJOINED

    def _update_group_subscription(self, now: int, topics: set[str]) -> None:
        """The leader watches every member's topics: it fetches their metadata (at once for topics it
        did not know) before it assigns, and keeps the snapshot it assigned with."""
        if self.subscriptions.group_subscribe(topics):
            self._request_metadata(ev.MetadataRefreshReason.GROUP_TOPICS, new_topics=True)
        if self.metadata.update_requested or self.metadata.next_update_at() <= now:
            self._refresh_metadata(now)  # ensureFreshMetadata
        self._maybe_update_subscription_metadata(now)

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
            gone = {tp for tp in self.owned if tp[0] not in self.subscriptions.subscription}
            if gone:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(gone))))
                self._drop(gone)
        self.is_leader = False
        self.subscriptions.reset_group_subscription()
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
        self.joined_subscription = self.subscriptions.subscription
        protocols = tuple(JoinGroupRequestProtocol(a.name, self._subscription_metadata(a)) for a in self.assignors)
        self._set_state(now, PREPARING_REBALANCE, ev.ClientStateReason.JOIN_GROUP_SENT)
        self.metrics_recorder.join_initiated(now)
        self.next_heartbeat_at = None
        v = self.config.join_group_version
        # The client waits for the answer up to the rebalance timeout plus 5 s (JOIN_GROUP_TIMEOUT_LAPSE).
        self._send(now, "join", JoinGroupRequest(
            group_id=self.group_id, session_timeout_ms=self.config.session_timeout_ms,
            rebalance_timeout_ms=self.config.max_poll_interval_ms, member_id=self.member_id,
            group_instance_id=self.config.group_instance_id, protocol_type="consumer",
            protocols=protocols, reason=self.rejoin_reason[:255] if v >= 8 else None,
            api_version=v, client_id=self.client_id),
            timeout=max(self.config.request_timeout_ms, self.config.max_poll_interval_ms + JOIN_GROUP_TIMEOUT_LAPSE_MS))

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
            self.metrics_recorder.join_succeeded(now, now - flight.sent_at)
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
            assignments = self._on_leader_elected(resp, now) if self.is_leader else ()
            self._send(now, "sync", SyncGroupRequest(
                group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
                group_instance_id=self.config.group_instance_id, protocol_type="consumer",
                protocol_name=self.protocol_name, assignments=assignments,
                api_version=self.config.sync_group_version))
            return
        # The join future fails, MEMBER_ID_REQUIRED included (AbstractCoordinator.initiateJoinGroup).
        self.metrics_recorder.rebalance_failed(now)
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
        if code is ErrorCode.MEMBER_ID_REQUIRED:
            self._request_rejoin(now, ev.RejoinReason.MEMBER_ID_REQUIRED, resp.member_id)
        else:
            self._request_rejoin(now, ev.RejoinReason.REBALANCE_FAILED, EXCEPTION_NAMES.get(code, code.name))
        self.join_prepared = True  # onJoinPrepare already ran for this rebalance

    def _on_leader_elected(self, resp: JoinGroupResponse, now: int):
        """The leader's ``ConsumerCoordinator.onLeaderElected``: watch every member's topics, then run
        the selected assignor over the leader's own metadata, unless the coordinator said
        ``skip_assignment`` (KIP-814: a restarted static leader keeps the stored assignment)."""
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
        self._update_group_subscription(now, topics)
        if resp.skip_assignment:
            self.assignment_snapshot = self.metadata_snapshot
            return ()
        partitions_per_topic = {t: n for t in sorted(topics) if (n := self.metadata.partition_count(t))}
        result = assignor.assign(partitions_per_topic, subscriptions)
        self.assignment_snapshot = self.metadata_snapshot
        self.world._record(ev.AssignmentPerformed(now, self.name, assignor.name, len(subscriptions), self.generation_id))
        return tuple(SyncGroupRequestAssignment(mid, encode_assignment(sorted(result.get(mid, ()))))
                     for mid in subscriptions)

    def _on_sync(self, flight, resp, now: int) -> None:
        code = resp.error_code
        if code is ErrorCode.NONE:
            self.metrics_recorder.sync_succeeded(now, now - flight.sent_at)
            self._set_state(now, STABLE, ev.ClientStateReason.SYNC_GROUP_ANSWERED)
            self.rejoin_needed = False
            self.rejoin_reason = ""
            self.join_prepared = False
            self.session_deadline = now + self.config.session_timeout_ms
            self._on_join_complete(now, set(decode_assignment(resp.assignment).assigned_partitions))
            return
        sync_error = ev.ClientStateReason.SYNC_GROUP_ERROR
        self.metrics_recorder.rebalance_failed(now)
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
        self._request_rejoin(now, ev.RejoinReason.REBALANCE_FAILED, EXCEPTION_NAMES.get(code, code.name))
        self.join_prepared = True

    def _on_join_complete(self, now: int, assigned: set) -> None:
        """``ConsumerCoordinator.onJoinComplete``: only the leader keeps watching metadata; an assignment
        that does not match the subscription is refused (rejoin); otherwise the callbacks run."""
        if not self.is_leader:
            self.assignment_snapshot = None
        if not self.subscriptions.assignment_matches(assigned):
            self._request_rejoin(now, ev.RejoinReason.ASSIGNMENT_MISMATCH)
            return
        if self.rebalance_protocol == "COOPERATIVE":
            revoked = self.owned - assigned
            added = assigned - self.owned
            if revoked:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(revoked))))
                self._drop(revoked)
                # KIP-429: give the revoked partitions up, then rebalance again so they move.
                self._request_rejoin(now, ev.RejoinReason.PARTITIONS_REVOKED)
            self.owned |= added
            self.world._record(ev.PartitionsAssigned(now, self.name, tuple(sorted(added)), self.generation_id))
        else:
            self.owned = set(assigned)
            self.world._record(ev.PartitionsAssigned(now, self.name, tuple(sorted(assigned)), self.generation_id))
        if self.subscriptions.has_pattern:
            # maybeUpdateJoinedSubscription: the leader may assign matching topics this member has not seen yet.
            extra = {t for t, _ in assigned} - self.subscriptions.subscription
            if extra:
                old = self.subscriptions.topics
                self.subscriptions.subscribe_from_pattern(set(old) | extra)
                self.joined_subscription = (self.joined_subscription or frozenset()) | extra
                self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.PATTERN_MATCHED, old,
                                                          self.subscriptions.topics, self.subscriptions.pattern.pattern))
                self._request_metadata(ev.MetadataRefreshReason.NEW_TOPICS, new_topics=True)
        self.last_assignment = tuple(sorted(assigned))
        self.sticky_previous = (self.last_assignment, self.generation_id)

    def _on_heartbeat(self, flight, resp, now: int) -> None:
        self.metrics_recorder.heartbeat_answered(now, now - flight.sent_at)
        code = resp.error_code
        if code is ErrorCode.NONE:
            self.session_deadline = now + self.config.session_timeout_ms
            return
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            self.session_deadline = now + self.config.session_timeout_ms
            if self.state == STABLE:
                self._request_rejoin(now, ev.RejoinReason.REBALANCE_IN_PROGRESS)
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
            self._request_rejoin(now, ev.RejoinReason.RESPONSE_ERROR, f"{code.name} from HEARTBEAT")
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
