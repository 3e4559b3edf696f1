"""The consumer-protocol member of a simulated consumer: Kafka's ``ConsumerMembershipManager`` and
``ConsumerHeartbeatRequestManager`` (KIP-848, ``group.protocol=consumer``).

How it works
------------
:class:`ConsumerMembership` is the part of :class:`~kafkalab.sim.async_client.AsyncSimConsumer` that
the Java ``AsyncKafkaConsumer`` keeps in its background thread's membership manager and heartbeat
request manager (docs/consumer-protocol.md §8).  It is a mixin, like the classic consumer's
:class:`~kafkalab.sim.coordinator_client.ConsumerCoordinator`: the state lives on the consumer.

* **States** are Java's ``MemberState`` with its allowed transitions (:data:`VALID_PREVIOUS`); each
  change is recorded as a :class:`~kafkalab.sim.events.ClientStateChanged` whose ``generation_id`` is
  the member epoch.
* **Heartbeats** (:meth:`ConsumerMembership._heartbeat_thread`): none without a coordinator or in
  UNSUBSCRIBED, FATAL, STALE and FENCED; at once in JOINING and ACKNOWLEDGING (when none is in
  flight) and in LEAVING; otherwise when the interval from the last response's
  ``HeartbeatIntervalMs`` has passed.  A request carries every field when JOINING or after an
  error (``HeartbeatState`` forgets what it sent); otherwise only the fields that changed since
  they were last sent, the owned partitions included (tracked with a local assignment epoch).
* **Responses**: the member adopts the returned epoch; a new assignment makes it RECONCILING.
  The reconciliation runs on the application thread, at ``poll()`` (the rebalance listener's
  callbacks run there): auto-commit first, then ``onPartitionsRevoked`` for what is no longer
  assigned, then ``onPartitionsAssigned`` for what is new (even when empty), then ACKNOWLEDGING,
  whose heartbeat reports the new owned partitions at once.  Topic ids become names through the
  consumer's own metadata; ids it cannot resolve yet wait for a metadata refresh.
* **Errors**: NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE - find the coordinator again, retry at
  once; COORDINATOR_LOAD_IN_PROGRESS - retry after a backoff; FENCED_MEMBER_EPOCH and
  UNKNOWN_MEMBER_ID - FENCED: ``onPartitionsLost``, then JOINING with epoch 0 and the same member
  id; anything else - FATAL, and the error stops the consumer (thrown from ``poll()`` in Java).
* **Leaving**: ``close()`` and ``unsubscribe()`` go PREPARE_LEAVING (revoke, or lose when the epoch is
  not positive) then LEAVING (a heartbeat with epoch -1, -2 for a static member) then
  UNSUBSCRIBED; an expired ``max.poll.interval.ms`` sends the same leave and goes STALE
  (``onPartitionsLost`` at the next ``poll()``, which rejoins).
"""

from __future__ import annotations

import base64
import random
import uuid
from typing import Optional

from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, ConsumerGroupHeartbeatTopicPartitions
from . import events as ev
from .coordinator_client import COORDINATOR_ERRORS

TopicPartition = tuple[str, int]
TopicIdPartition = tuple[str, int]

UNSUBSCRIBED = "UNSUBSCRIBED"
JOINING = "JOINING"
RECONCILING = "RECONCILING"
ACKNOWLEDGING = "ACKNOWLEDGING"
STABLE = "STABLE"
FENCED = "FENCED"
PREPARE_LEAVING = "PREPARE_LEAVING"
LEAVING = "LEAVING"
STALE = "STALE"
FATAL = "FATAL"

#: Java's ``MemberState.previousValidStates``: the states each state may be entered from.
VALID_PREVIOUS: dict[str, frozenset[str]] = {
    UNSUBSCRIBED: frozenset({PREPARE_LEAVING, LEAVING, FENCED}),
    JOINING: frozenset({FENCED, UNSUBSCRIBED, STALE}),
    RECONCILING: frozenset({STABLE, JOINING, ACKNOWLEDGING, RECONCILING}),
    ACKNOWLEDGING: frozenset({RECONCILING}),
    STABLE: frozenset({JOINING, ACKNOWLEDGING, RECONCILING}),
    FENCED: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING}),
    PREPARE_LEAVING: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, UNSUBSCRIBED}),
    LEAVING: frozenset({PREPARE_LEAVING}),
    STALE: frozenset({LEAVING}),
    FATAL: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING, UNSUBSCRIBED}),
}

#: ``shouldSkipHeartbeat``: states that send no heartbeat.
SKIP_HEARTBEAT = frozenset({UNSUBSCRIBED, FATAL, STALE, FENCED})
#: ``isNotInGroup``: states whose heartbeat answers are disregarded.
NOT_IN_GROUP = frozenset({UNSUBSCRIBED, FENCED, FATAL, STALE})
#: ``canHandleNewAssignment``.
CAN_HANDLE_ASSIGNMENT = frozenset({JOINING, RECONCILING, ACKNOWLEDGING, STABLE})
#: Errors that fence the member: it loses its partitions and rejoins with epoch 0.
FENCING_ERRORS = frozenset({ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID})

LEAVE_GROUP_MEMBER_EPOCH = -1
LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2

#: ``LocalAssignment.NONE``: no assignment yet (local epoch -1).
NO_ASSIGNMENT: tuple[int, frozenset[TopicIdPartition]] = (-1, frozenset())


def member_id_for(seed: int, name: str, incarnation: int) -> str:
    """The member id a consumer process generates (KIP-1082: ``Uuid.randomUuid()``), made from the
    world's seed, the consumer's name and its process number so that a run repeats exactly.
    Written as Kafka writes a ``Uuid``: 22 characters of URL-safe base64."""
    rng = random.Random(f"{seed}/{name}/{incarnation}")
    while True:
        raw = uuid.UUID(int=rng.getrandbits(128), version=4).bytes
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):
            return text


class ConsumerMembership:
    """The consumer-protocol membership half of :class:`~kafkalab.sim.async_client.AsyncSimConsumer`."""

    # ------------------------------------------------------------------ state

    def _reset_membership(self) -> None:
        self.state = UNSUBSCRIBED
        self.member_id = member_id_for(self.world.seed, self.name, self.incarnation)
        self.member_epoch = 0
        self.generation_id = 0
        #: ``currentAssignment`` and ``currentTargetAssignment``: (local epoch, topic-id partitions).
        self.current_assignment = NO_ASSIGNMENT
        self.target_assignment = NO_ASSIGNMENT
        #: ``HeartbeatState.SentFields``; None = forgotten (the next request carries every field).
        self.sent_fields: Optional[dict] = None
        self.heartbeat_interval = 0
        self.next_heartbeat_at: Optional[int] = 0
        self.heartbeat_attempts = 0
        self.heartbeat_backoff_until = 0
        self.reconciling_to: Optional[tuple[int, frozenset[TopicIdPartition]]] = None
        self.reconcile_commit_pending = False
        #: Why the owned partitions must be given up at the next ``poll()`` (FENCED, STALE).
        self.poll_timer_expired = False

    @property
    def is_static(self) -> bool:
        return self.config.group_instance_id is not None

    def _transition(self, now: int, new: str, reason: ev.ClientStateReason,
                    error_code: Optional[ErrorCode] = None) -> None:
        """``transitionTo``: refuse what Java refuses, record the change."""
        if new != self.state and self.state not in VALID_PREVIOUS[new]:
            raise RuntimeError(f"{self.name}: invalid member state transition {self.state} -> {new} "
                               "(a kafkalab bug: please report it)")
        if new in (JOINING, FENCED, PREPARE_LEAVING, LEAVING, STALE, FATAL, UNSUBSCRIBED):
            self.reconciling_to = None
            self.reconcile_commit_pending = False
        # The rebalance metrics (ConsumerRebalanceMetricsManager): a rebalance is a reconciliation.
        if self.state == RECONCILING and new in (STABLE, ACKNOWLEDGING):
            self.metrics_recorder.rebalance_ended(now)
        elif self.state != RECONCILING and new == RECONCILING:
            self.metrics_recorder.join_initiated(now)
        self._set_state(now, new, reason, error_code)

    def _set_epoch(self, epoch: int) -> None:
        self.member_epoch = epoch
        self.generation_id = epoch

    @property
    def settled(self) -> bool:
        """STABLE with its target assignment reconciled and its subscription sent."""
        return (self.state == STABLE and self.current_assignment == self.target_assignment
                and self.sent_fields is not None
                and self.sent_fields.get("topics") == tuple(sorted(self.subscriptions.subscription)))

    # ------------------------------------------------------------------ topic ids

    def _topic_id(self, name: str) -> Optional[str]:
        """The topic id of ``name`` in the cluster's metadata (the brokers' image), None if unknown."""
        topic = self.world.brokers.metadata.topic(name)
        return topic.topic_id if topic is not None else None

    def _resolve(self, partitions: frozenset[TopicIdPartition]) -> frozenset[TopicIdPartition]:
        """The part of ``partitions`` whose topic id this consumer's metadata knows (asks for a
        metadata refresh when some are unknown: ``findResolvableAssignmentAndTriggerMetadataUpdate``)."""
        known = {self._topic_id(t) for t in self.metadata.partitions}
        resolved = frozenset(tp for tp in partitions if tp[0] in known)
        if len(resolved) != len(partitions) and not self.metadata.update_requested:
            self._request_metadata(ev.MetadataRefreshReason.NEW_TOPICS, new_topics=True)
        return resolved

    def _names(self, partitions: frozenset[TopicIdPartition]) -> set[TopicPartition]:
        names = {self._topic_id(t): t for t in self.metadata.partitions}
        return {(names[tid], p) for tid, p in partitions if tid in names}

    # ------------------------------------------------------------------ the application thread's part (poll())

    def _on_consumer_poll(self, now: int) -> None:
        """What ``poll()`` does for the membership: join after ``subscribe()``, release and rejoin after
        a fencing or a poll timeout (the lost callback runs here), and reconcile."""
        if self.state == UNSUBSCRIBED and self.subscriptions.has_auto_assigned_partitions:
            self._transition_to_joining(now, ev.ClientStateReason.SUBSCRIBED)
        elif self.state in (FENCED, STALE):
            self.poll_timer_expired = False
            if self.owned:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)), lost=True))
                self._drop(self.owned)
            self._transition_to_joining(now, ev.ClientStateReason.PARTITIONS_LOST)
        if self.state == RECONCILING:
            self._maybe_reconcile(now)

    def _transition_to_joining(self, now: int, reason: ev.ClientStateReason) -> None:
        self._set_epoch(0)
        self.current_assignment = NO_ASSIGNMENT
        self.target_assignment = NO_ASSIGNMENT
        self.sent_fields = None
        self._transition(now, JOINING, reason)

    def _maybe_reconcile(self, now: int) -> None:
        """``maybeReconcile`` then ``revokeAndAssign`` (callbacks on the application thread)."""
        if self.reconcile_commit_pending:
            return  # waiting for the auto-commit that precedes the revocation
        if self.reconciling_to is None:
            if self.current_assignment == self.target_assignment:
                return
            epoch, target = self.target_assignment
            resolved = self._resolve(target)
            if self.current_assignment != NO_ASSIGNMENT and resolved == self.current_assignment[1]:
                # Only unresolved partitions changed: acknowledge the resolvable part.
                self.current_assignment = (epoch, resolved)
                self._transition(now, ACKNOWLEDGING, ev.ClientStateReason.RECONCILED)
                return
            self.reconciling_to = (epoch, resolved)
            if self.config.enable_auto_commit and self._send_commit(now, "rebalance", sync=True):
                self.reconcile_commit_pending = True
                return
        assert self.reconciling_to is not None
        epoch, resolved = self.reconciling_to
        assigned = self._names(resolved)
        revoked = self.owned - assigned
        added = assigned - self.owned
        if revoked:
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(revoked))))
            self._drop(revoked)
        self.owned |= added
        self.world._record(ev.PartitionsAssigned(now, self.name, tuple(sorted(added)), self.member_epoch))
        self.reconciling_to = None
        self.current_assignment = (epoch, resolved)
        self._transition(now, ACKNOWLEDGING, ev.ClientStateReason.RECONCILED)

    def _after_reconcile_commit(self, now: int) -> None:
        """The auto-commit before a revocation is answered (whatever the answer, the reconciliation goes on)."""
        self.reconcile_commit_pending = False

    # ------------------------------------------------------------------ the background thread: heartbeats

    def _heartbeat_in_flight(self) -> bool:
        return any(f.kind == "cghb" for f in self.inflight.values())

    def _heartbeat_due_at(self, now: int) -> Optional[int]:
        """When the heartbeat manager sends its next request (None: not while nothing changes)."""
        if self.coordinator is None or self.state in SKIP_HEARTBEAT:
            return None
        if self.state == LEAVING:
            return now
        in_flight = self._heartbeat_in_flight()
        if in_flight:
            return None
        backoff = max(now, self.heartbeat_backoff_until)
        if self.state in (JOINING, ACKNOWLEDGING):
            return backoff
        return max(backoff, self.next_heartbeat_at or 0)

    def _poll_timer_deadline(self) -> Optional[int]:
        if self.status != "processing" or self.coordinator is None or self.state in SKIP_HEARTBEAT \
                or self.state in (PREPARE_LEAVING, LEAVING):
            return None
        return self.last_poll_at + self.config.max_poll_interval_ms

    def _heartbeat_enabled(self) -> bool:
        return False  # the classic heartbeat thread's timers are not used

    def _heartbeat_thread(self, now: int) -> None:
        """``AbstractHeartbeatRequestManager.poll``."""
        if self.coordinator is None or self.state in SKIP_HEARTBEAT:
            if self.state == LEAVING:  # onHeartbeatRequestSkipped
                self._transition(now, UNSUBSCRIBED, ev.ClientStateReason.LEAVE_SKIPPED)
            return
        deadline = self._poll_timer_deadline()
        if deadline is not None and now >= deadline:
            self.world._record(ev.PollTimeoutExpired(now, self.name, self.config.max_poll_interval_ms))
            self.poll_timer_expired = True
            self._transition(now, PREPARE_LEAVING, ev.ClientStateReason.POLL_TIMEOUT)
            self._send_leave_heartbeat(now, ev.ClientStateReason.POLL_TIMEOUT)
            return
        due = self._heartbeat_due_at(now)
        if due is not None and now >= due:
            self._send_heartbeat(now)

    def _leave_epoch(self, membership: ev.GroupMembershipOperation = ev.GroupMembershipOperation.DEFAULT) -> int:
        """``leaveGroupEpoch``: -2 for a static member (a temporary leave that keeps its assignment),
        -1 otherwise; ``CloseOptions`` LEAVE_GROUP makes a static member leave for good (KIP-1092)."""
        if membership is ev.GroupMembershipOperation.LEAVE_GROUP or not self.is_static:
            return LEAVE_GROUP_MEMBER_EPOCH
        return LEAVE_GROUP_STATIC_MEMBER_EPOCH

    def _send_leave_heartbeat(self, now: int, reason: ev.ClientStateReason,
                              membership: ev.GroupMembershipOperation = ev.GroupMembershipOperation.DEFAULT) -> None:
        """``transitionToSendingLeaveGroup`` then the leave heartbeat (sent at once, never retried, its
        answer ignored), then ``onHeartbeatRequestGenerated``: STALE after a poll timeout, else UNSUBSCRIBED."""
        self._set_epoch(self._leave_epoch(membership))
        self.current_assignment = NO_ASSIGNMENT
        self._transition(now, LEAVING, reason)
        if self.coordinator is None:
            self._transition(now, UNSUBSCRIBED, ev.ClientStateReason.LEAVE_SKIPPED)
            return
        self._send_heartbeat(now)
        self.sent_fields = None  # resetHeartbeatState: a later join sends every field

    def _build_heartbeat(self) -> ConsumerGroupHeartbeatRequest:
        """``HeartbeatState.buildRequestData``: identity always; the rest when JOINING, after an error,
        or when it changed since it was last sent."""
        full = self.state == JOINING or self.sent_fields is None
        sent = {} if full or self.sent_fields is None else self.sent_fields
        fields: dict = {}
        timeout = self.config.max_poll_interval_ms
        if sent.get("rebalance_timeout_ms") != timeout:
            fields["rebalance_timeout_ms"] = timeout
        topics = tuple(sorted(self.subscriptions.subscription))
        if "topics" not in sent or sent["topics"] != topics:
            fields["subscribed_topic_names"] = topics
        assignor = self.config.group_remote_assignor
        if assignor is not None and sent.get("server_assignor") != assignor:
            fields["server_assignor"] = assignor
        if full:
            fields["rack_id"] = self.config.client_rack
        local = self.current_assignment
        if "assignment" not in sent or sent["assignment"] != local:
            by_topic: dict[str, list[int]] = {}
            for tid, p in sorted(local[1]):
                by_topic.setdefault(tid, []).append(p)
            fields["topic_partitions"] = tuple(ConsumerGroupHeartbeatTopicPartitions(tid, tuple(ps))
                                               for tid, ps in by_topic.items())
        if self.member_epoch >= 0:
            self.sent_fields = {"rebalance_timeout_ms": timeout, "topics": topics, "server_assignor": assignor,
                                "assignment": local}
        return ConsumerGroupHeartbeatRequest(
            group_id=self.group_id, member_id=self.member_id, member_epoch=self.member_epoch,
            instance_id=self.config.group_instance_id, client_id=self.client_id, **fields)

    def _send_heartbeat(self, now: int) -> None:
        self.metrics_recorder.heartbeat_sent(now)
        self._send(now, "cghb", self._build_heartbeat())
        # onHeartbeatRequestGenerated
        if self.state == ACKNOWLEDGING:
            if self.current_assignment == self.target_assignment:
                self._transition(now, STABLE, ev.ClientStateReason.ACKNOWLEDGED)
            else:
                self._transition(now, RECONCILING, ev.ClientStateReason.ACKNOWLEDGED)
        elif self.state == LEAVING:
            if self.poll_timer_expired:
                self._transition(now, STALE, ev.ClientStateReason.POLL_TIMEOUT)
            else:
                self._transition(now, UNSUBSCRIBED, ev.ClientStateReason.LEFT)

    # ------------------------------------------------------------------ the background thread: answers

    def _on_cghb(self, flight, resp: ConsumerGroupHeartbeatResponse, now: int) -> None:
        self.metrics_recorder.heartbeat_answered(now, now - flight.sent_at)
        if flight.request.member_epoch < 0:
            return  # the answer to a leave: ignored
        code = resp.error_code
        if code is ErrorCode.NONE:
            self.heartbeat_attempts = 0
            self.heartbeat_backoff_until = 0
            self.heartbeat_interval = resp.heartbeat_interval_ms
            self.next_heartbeat_at = now + resp.heartbeat_interval_ms
            self._on_heartbeat_success(resp, now)
            return
        self._on_heartbeat_error(flight, resp, now)

    def _on_heartbeat_success(self, resp: ConsumerGroupHeartbeatResponse, now: int) -> None:
        """``ConsumerMembershipManager.onHeartbeatSuccess``."""
        if self.state == LEAVING or self.state in NOT_IN_GROUP:
            return
        if resp.member_epoch != self.member_epoch:
            self._set_epoch(resp.member_epoch)
        if resp.assignment is None or self.state not in CAN_HANDLE_ASSIGNMENT:
            return
        new = frozenset((t.topic_id, p) for t in resp.assignment.topic_partitions for p in t.partitions)
        if new != self.target_assignment[1]:
            self.target_assignment = (self.target_assignment[0] + 1, new)
        if self.current_assignment != self.target_assignment:
            self._transition(now, RECONCILING, ev.ClientStateReason.CONSUMER_HEARTBEAT_ANSWERED)
        elif self.state in (RECONCILING, JOINING):
            self._transition(now, STABLE, ev.ClientStateReason.CONSUMER_HEARTBEAT_ANSWERED)

    def _heartbeat_backoff(self) -> int:
        """``ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms)`` (without its jitter)."""
        ms = self.config.retry_backoff_ms * 2 ** max(0, self.heartbeat_attempts - 1)
        return min(ms, self.config.retry_backoff_max_ms)

    def _on_heartbeat_failed(self, now: int) -> None:
        """``resetHeartbeatState`` and ``onFailedAttempt``: a full request after a backoff."""
        self.sent_fields = None
        self.heartbeat_attempts += 1
        self.heartbeat_backoff_until = now + self._heartbeat_backoff()

    def _on_heartbeat_error(self, flight, resp: ConsumerGroupHeartbeatResponse, now: int) -> None:
        """``AbstractHeartbeatRequestManager.onErrorResponse``."""
        code = resp.error_code
        self._on_heartbeat_failed(now)
        if self.metrics_recorder.rebalance_started_at is not None:  # onHeartbeatFailure
            self.metrics_recorder.rebalance_failed(now)
            self.metrics_recorder.rebalance_started_at = None
        if code in COORDINATOR_ERRORS:
            self._coordinator_unknown(now)
            self.heartbeat_backoff_until = 0
        elif code is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            pass  # retried after the backoff
        elif code in FENCING_ERRORS:
            self.heartbeat_backoff_until = 0
            self._transition_to_fenced(now, code)
        else:
            self._transition_to_fatal(now, code, resp.error_message)

    def _transition_to_fenced(self, now: int, code: ErrorCode) -> None:
        """``transitionToFenced``: epoch 0; ``onPartitionsLost`` and the rejoin follow at the next
        ``poll()`` (at once when nothing is owned)."""
        if self.state == LEAVING:
            self._transition(now, UNSUBSCRIBED, ev.ClientStateReason.CONSUMER_HEARTBEAT_ERROR, code)
            return
        if self.state in NOT_IN_GROUP:
            return
        self._set_epoch(0)
        self._transition(now, FENCED, ev.ClientStateReason.CONSUMER_HEARTBEAT_ERROR, code)
        if not self.owned:
            self._transition_to_joining(now, ev.ClientStateReason.PARTITIONS_LOST)

    def _transition_to_fatal(self, now: int, code: ErrorCode, message: Optional[str]) -> None:
        """``transitionToFatal``: lose the partitions; the error ends the consumer."""
        if self.state in VALID_PREVIOUS[FATAL]:
            self._transition(now, FATAL, ev.ClientStateReason.CONSUMER_HEARTBEAT_ERROR, code)
            if self.owned:
                self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)), lost=True))
                self._drop(self.owned)
        self._fail(now, code, "ConsumerGroupHeartbeat")
