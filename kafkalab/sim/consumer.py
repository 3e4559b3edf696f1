"""A simulated Kafka consumer that behaves like the Java client's group membership code.

How it works
------------
:class:`SimConsumer` models the two threads of a Java ``KafkaConsumer`` in the classic protocol:

* the **application thread**, which calls ``poll()``: inside ``poll()`` the consumer finds the
  coordinator (FindCoordinator), joins the group if needed (``AbstractCoordinator.joinGroupIfNeeded``:
  JoinGroup, the MEMBER_ID_REQUIRED retry, SyncGroup, the leader running the assignor), fetches
  committed offsets for new partitions (OffsetFetch), then hands records to the application, which
  "processes" them for ``processing_ms`` before the next ``poll()``;
* the **heartbeat thread**, which sends a Heartbeat every ``heartbeat_interval_ms`` while the
  member is COMPLETING_REBALANCE or STABLE, marks the coordinator unknown when no heartbeat
  succeeded for ``session_timeout_ms``, and - when the application has not called ``poll()`` for
  ``max_poll_interval_ms`` - leaves the group (LeaveGroup for dynamic members) and resets its
  generation.

Client states are Kafka's: UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE.  Config
keys are Kafka's consumer configs in snake_case with Kafka's defaults.  The consumer is driven by
the :class:`~kafkalab.sim.world.World`: it never reads a clock; the world calls
:meth:`SimConsumer.on_timer`, :meth:`SimConsumer.on_response` and friends with ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from ..consumer_protocol import decode_assignment, decode_subscription, encode_assignment, encode_subscription
from ..errors import ErrorCode
from ..messages import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from . import events as ev

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

TopicPartition = tuple[str, int]

UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

#: Errors after which the Java client retries the join at once, without backoff.
_RETRY_AT_ONCE = {ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION,
                  ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.MEMBER_ID_REQUIRED}
_COORDINATOR_ERRORS = {ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR}


@dataclass(frozen=True)
class ConsumerConfig:
    """Kafka consumer configs (``session.timeout.ms`` -> ``session_timeout_ms``), Kafka's defaults.

    ``processing_ms`` is not a Kafka config: it is how long the application takes to process
    what one ``poll()`` returned, which is what ``max.poll.interval.ms`` guards against.  It may
    be a number or a function ``f(poll_number) -> ms``.

    With ``enable_auto_commit=False`` the simulated application runs the usual at-least-once
    loop: process the batch, ``commitSync()``, ``poll()`` again.
    """

    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    partition_assignment_strategy: tuple = ("range", "cooperative-sticky")
    group_instance_id: Optional[str] = None
    client_id: Optional[str] = None
    client_rack: Optional[str] = None
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000
    auto_offset_reset: str = "earliest"
    max_poll_records: int = 500
    retry_backoff_ms: int = 100
    request_timeout_ms: int = 30_000
    join_group_version: int = 5
    processing_ms: Union[int, Callable[[int], int]] = 100

    def __post_init__(self) -> None:
        for name in ("session_timeout_ms", "heartbeat_interval_ms", "max_poll_interval_ms",
                     "auto_commit_interval_ms", "max_poll_records", "retry_backoff_ms", "request_timeout_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"consumer config {name} must be a positive int of ms, got {value!r}")
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            # Kafka's GroupRebalanceConfig rule.
            raise ValueError(
                f"heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be lower than "
                f"session_timeout_ms ({self.session_timeout_ms})"
            )
        if isinstance(self.partition_assignment_strategy, (str, bytes)) or not self.partition_assignment_strategy:
            object.__setattr__(self, "partition_assignment_strategy",
                               (self.partition_assignment_strategy,) if self.partition_assignment_strategy else ())
        if not self.partition_assignment_strategy:
            raise ValueError("partition_assignment_strategy needs at least one assignor")
        object.__setattr__(self, "partition_assignment_strategy", tuple(self.partition_assignment_strategy))
        if self.auto_offset_reset not in ("earliest", "latest"):
            raise ValueError(f"auto_offset_reset must be 'earliest' or 'latest', got {self.auto_offset_reset!r}")
        if not (0 <= self.join_group_version <= 9):
            raise ValueError(f"join_group_version must be in 0..9, got {self.join_group_version}")
        if not callable(self.processing_ms) and (
                isinstance(self.processing_ms, bool) or not isinstance(self.processing_ms, int) or self.processing_ms < 0):
            raise ValueError(f"processing_ms must be a non-negative int or a function, got {self.processing_ms!r}")


@dataclass
class _InFlight:
    kind: str
    request: Any
    dst: str
    deadline: int
    generation: tuple[int, str]


class SimConsumer:
    """One simulated consumer; create it with :meth:`World.consumer`."""

    def __init__(self, world: "World", name: str, group_id: str, topics: Sequence[str], config: ConsumerConfig):
        self.world = world
        self.name = name
        self.group_id = group_id
        self.topics = tuple(topics)
        self.config = config
        self.client_id = config.client_id or name
        self.assignors = [_resolve_assignor(a) for a in config.partition_assignment_strategy]
        self.rebalance_protocol = _select_protocol(self.assignors)
        self.incarnation = 0
        self._reset_all()
        self.status = "new"

    # ------------------------------------------------------------------ state

    def _reset_all(self) -> None:
        self.state = UNJOINED
        self.generation_id = -1
        self.member_id = ""
        self.protocol_name: Optional[str] = None
        self.leader_id = ""
        self.is_leader = False
        self.coordinator: Optional[int] = None
        self.owned: set[TopicPartition] = set()
        self.positions: dict[TopicPartition, int] = {}
        self.rejoin_needed = True
        self.join_prepared = False
        self.inflight: dict[int, _InFlight] = {}
        self.backoff_until = 0
        self.next_poll_at: Optional[int] = None
        self.last_poll_at = 0
        self.next_heartbeat_at: Optional[int] = None
        self.session_deadline: Optional[int] = None
        self.next_auto_commit_at = 0
        self.poll_count = 0
        self.extra_processing_ms = 0
        self.paused_until: Optional[int] = None
        self.held: list[tuple[str, tuple]] = []
        self.fatal_error: Optional[ErrorCode] = None
        #: Why commits failed: an error code name from the coordinator, or the exception the
        #: Java client raises locally when it has no stable generation.
        self.commit_failures: list[str] = []
        self.last_assignment: tuple[TopicPartition, ...] = ()
        self.sticky_previous: tuple[tuple[TopicPartition, ...], int] = ((), -1)
        self._recorded_identity = ("", -1)  # member id and generation of the last ClientStateChanged

    @property
    def is_static(self) -> bool:
        return self.config.group_instance_id is not None

    @property
    def assignment(self) -> list[TopicPartition]:
        """The partitions this consumer owns now, sorted."""
        return sorted(self.owned)

    def __repr__(self) -> str:
        return f"SimConsumer({self.name!r}, state={self.state}, generation={self.generation_id}, owned={self.assignment})"

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

    # ------------------------------------------------------------------ lifecycle (called by World)

    def start(self, now: int, *, restarted: bool = False) -> None:
        self.status = "in_poll"
        self.last_poll_at = now
        self.next_auto_commit_at = now + self.config.auto_commit_interval_ms
        self.world._record(ev.ConsumerStarted(
            now, self.name, restarted, self.client_id, self.config.group_instance_id, self.config.session_timeout_ms,
            self.config.max_poll_interval_ms, self.rebalance_protocol))
        self._drive(now)

    def crash(self, now: int) -> None:
        """The process dies: no LeaveGroup, no commit; the coordinator finds out by session timeout."""
        self.status = "crashed"
        self.inflight.clear()
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.CRASHED, tuple(sorted(self.owned))))
        self.owned.clear()
        self.positions.clear()

    def restart(self, now: int, **config) -> None:
        """A new process with the same config (same group.instance.id for a static member), or
        with some configs changed (a rolling bounce that deploys new settings)."""
        if config:
            unknown = sorted(set(config) - set(ConsumerConfig.__dataclass_fields__))
            if unknown:
                raise ValueError(f"unknown consumer config {unknown}")
            self.config = replace(self.config, **config)
            self.assignors = [_resolve_assignor(a) for a in self.config.partition_assignment_strategy]
            self.rebalance_protocol = _select_protocol(self.assignors)
        self.incarnation += 1
        self._reset_all()
        self.start(now, restarted=True)

    def pause(self, now: int, duration_ms: int) -> None:
        """Freeze both threads (a long GC pause, a stopped container) for ``duration_ms``."""
        self.paused_until = now + duration_ms
        self.world._record(ev.ConsumerPaused(now, self.name, duration_ms))

    def stall(self, duration_ms: int) -> None:
        """Make the next batch take ``duration_ms`` longer to process (a slow external call)."""
        self.extra_processing_ms += duration_ms

    def close(self, now: int) -> None:
        """``consumer.close()``: commit, revoke, LeaveGroup if dynamic (static members stay)."""
        if self.status in ("crashed", "closed"):
            return
        if self.state == STABLE and self.config.enable_auto_commit:
            self._send_commit(now, "close")
        if self.owned:
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned))))
            self.owned.clear()
        if not self.is_static and self.member_id and self.coordinator is not None and self.state != UNJOINED:
            self._send(now, "leave", LeaveGroupRequest(
                group_id=self.group_id, member_id=self.member_id, api_version=1))
        elif self.is_static:
            self.world._record(ev.LeaveGroupSkipped(now, self.name, self.config.group_instance_id))
        self.status = "closed"
        self._set_state(now, UNJOINED, ev.ClientStateReason.CLOSED)
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.CLOSED))

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> Optional[int]:
        if self.status in ("crashed", "closed", "failed", "new"):
            return None
        if self.paused_until is not None:
            return self.paused_until
        times = [f.deadline for f in self.inflight.values()]
        if self.status == "processing" and self.next_poll_at is not None:
            times.append(self.next_poll_at)
        if self.status == "in_poll" and self.backoff_until > self.world.now:
            times.append(self.backoff_until)
        if self._heartbeat_enabled():
            if self.next_heartbeat_at is not None:
                times.append(self.next_heartbeat_at)
            if self.session_deadline is not None:
                times.append(self.session_deadline)
            if self.status == "processing":
                times.append(self.last_poll_at + self.config.max_poll_interval_ms)
        return min(times) if times else None

    def _heartbeat_enabled(self) -> bool:
        return self.state in (COMPLETING_REBALANCE, STABLE) and self.coordinator is not None

    def on_timer(self, now: int) -> None:
        if self.status in ("crashed", "closed", "failed"):
            return
        if self.paused_until is not None:
            if now < self.paused_until:
                return
            self.paused_until = None
            self.world._record(ev.ConsumerResumed(now, self.name))
            held, self.held = self.held, []
            for kind, args in held:
                if kind == "response":
                    self.on_response(*args[:2], now=now)
        # Requests that never got an answer (lost on the network): Kafka's request timeout.
        for corr, flight in list(self.inflight.items()):
            if flight.deadline <= now:
                self.world._record(ev.CoordinatorUnknown(
                    now, self.name, ev.CoordinatorUnknownReason.REQUEST_TIMED_OUT, flight.kind, flight.dst))
                self._coordinator_unknown(now)
                self.inflight.pop(corr, None)
        self._heartbeat_thread(now)
        if self.status == "processing" and self.next_poll_at is not None and now >= self.next_poll_at:
            self.status = "in_poll"
            if not self.config.enable_auto_commit and self.positions:
                # The at-least-once loop: commitSync() what was processed, then poll() again.
                self._send_commit(now, "after processing", sync=True)
            self.last_poll_at = now
        self._drive(now)

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
            self._send(now, "leave", LeaveGroupRequest(group_id=self.group_id, member_id=self.member_id, api_version=1))
        self._reset_generation(now, keep_member_id=False, reason=reason)

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

    # ------------------------------------------------------------------ the application thread

    def _drive(self, now: int) -> None:
        """Advance the consumer's ``poll()`` as far as it can go at ``now``."""
        if self.status != "in_poll" or self.paused_until is not None:
            return
        if self.fatal_error is not None:
            return
        kinds = {f.kind for f in self.inflight.values()}
        if kinds & {"find", "fetch", "commit-sync"}:
            return
        if kinds & {"join", "sync"}:
            # poll() does not block on a rebalance (ensureActiveGroup with a zero timer): a
            # cooperative member keeps consuming the partitions it still owns meanwhile.
            if self.owned and all(tp in self.positions for tp in self.owned):
                self._process_batch(now)
            return
        if self.coordinator is None:
            if now >= self.backoff_until:
                self._send(now, "find", FindCoordinatorRequest(key=self.group_id, key_type=0, api_version=2),
                           dst=self.world._bootstrap_broker())
            return
        if now < self.backoff_until:
            return
        if self.rejoin_needed or self.state == UNJOINED:
            if self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE):
                return
            if not self.join_prepared:
                self.join_prepared = True
                if self._on_join_prepare(now):
                    return  # a synchronous commit is in flight; the join follows its answer
            self._send_join(now)
            return
        if self.state != STABLE:
            return
        missing = [tp for tp in sorted(self.owned) if tp not in self.positions]
        if missing:
            self._send_offset_fetch(now, missing)
            return
        self._process_batch(now)

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

    def _send_offset_fetch(self, now: int, partitions) -> None:
        by_topic: dict[str, list[int]] = {}
        for t, p in partitions:
            by_topic.setdefault(t, []).append(p)
        self._send(now, "fetch", OffsetFetchRequest(
            group_id=self.group_id,
            topics=tuple(OffsetFetchRequestTopic(t, tuple(ps)) for t, ps in sorted(by_topic.items())),
            api_version=7))

    def _send_commit(self, now: int, why: str, sync: bool = False) -> bool:
        offsets = {tp: off for tp, off in self.positions.items() if tp in self.owned or why != "poll"}
        if not offsets:
            return False
        if self.coordinator is None:
            self.commit_failures.append("coordinator unknown")
            self.world._record(ev.CommitFailed(now, self.name, ev.CommitFailureReason.COORDINATOR_UNKNOWN,
                                               tuple(sorted(offsets))))
            return False
        if self.state != STABLE:
            # ConsumerCoordinator fails the commit locally: the member has no stable generation.
            rebalancing = self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE)
            reason = ("RebalanceInProgressException" if rebalancing else
                      "CommitFailedException: not part of an active group (kicked out?)")
            self.commit_failures.append(reason)
            self.world._record(ev.CommitFailed(
                now, self.name,
                ev.CommitFailureReason.REBALANCE_IN_PROGRESS if rebalancing else ev.CommitFailureReason.NOT_IN_ACTIVE_GROUP,
                tuple(sorted(offsets)), "RebalanceInProgressException" if rebalancing else "CommitFailedException"))
            return False
        by_topic: dict[str, list[OffsetCommitRequestPartition]] = {}
        for (t, p), off in sorted(offsets.items()):
            by_topic.setdefault(t, []).append(OffsetCommitRequestPartition(p, off))
        self._send(now, "commit-sync" if sync else "commit", OffsetCommitRequest(
            group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
            group_instance_id=self.config.group_instance_id,
            topics=tuple(OffsetCommitRequestTopic(t, tuple(ps)) for t, ps in by_topic.items()),
            api_version=8))
        return True

    def _processing_time(self) -> int:
        base = self.config.processing_ms
        ms = base(self.poll_count) if callable(base) else base
        ms += self.extra_processing_ms
        self.extra_processing_ms = 0
        return max(0, int(ms))

    def _process_batch(self, now: int) -> None:
        self.poll_count += 1
        budget = self.config.max_poll_records
        for tp in sorted(self.owned):
            if budget <= 0:
                break
            end = self.world.end_offset(tp)
            pos = self.positions.get(tp, 0)
            n = min(budget, max(0, end - pos))
            if n > 0:
                self.world._processed(now, self.name, tp, pos, pos + n - 1)
                self.positions[tp] = pos + n
                budget -= n
        if self.config.enable_auto_commit:
            if now >= self.next_auto_commit_at:
                self._send_commit(now, "poll")
                self.next_auto_commit_at = now + self.config.auto_commit_interval_ms
        self.status = "processing"
        self.next_poll_at = now + self._processing_time()

    def commit_sync(self, now: int) -> None:
        """Commit the current positions now (as ``consumer.commitSync()``)."""
        self._send_commit(now, "manual")

    # ------------------------------------------------------------------ network

    def _send(self, now: int, kind: str, request, dst: Optional[str] = None, timeout: Optional[int] = None) -> None:
        if dst is None:
            if self.coordinator is None:
                self.world._record(ev.RequestNotSent(now, self.name, kind))
                return
            dst = self.world.broker_name(self.coordinator)
        corr = self.world._send(self.name, dst, request, now)
        self.inflight[corr] = _InFlight(kind, request, dst, now + (timeout or self.config.request_timeout_ms),
                                        (self.generation_id, self.member_id))

    def on_response(self, corr: int, response, now: int) -> None:
        if self.status in ("crashed", "closed", "failed"):
            return
        if self.paused_until is not None and now < self.paused_until:
            self.held.append(("response", (corr, response)))
            return
        flight = self.inflight.pop(corr, None)
        if flight is None:
            return  # an answer to an abandoned request
        getattr(self, f"_on_{flight.kind.replace('-', '_')}")(flight, response, now)
        self._drive(now)

    def on_disconnect(self, corr: int, now: int) -> None:
        flight = self.inflight.get(corr)
        if flight is None or self.status in ("crashed", "closed", "failed"):
            return
        self.world._record(ev.CoordinatorUnknown(now, self.name, ev.CoordinatorUnknownReason.DISCONNECTED,
                                                 flight.kind, flight.dst))
        self._coordinator_unknown(now)
        self.inflight.pop(corr, None)
        self._drive(now)

    def _fail(self, now: int, code: ErrorCode, what: str) -> None:
        self.fatal_error = code
        self.status = "failed"
        self.inflight.clear()
        self.world._record(ev.FatalError(now, self.name, what, code))
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.FAILED, tuple(sorted(self.owned)), code))
        self.owned.clear()
        self.positions.clear()

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
        elif code in _COORDINATOR_ERRORS:
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
            subscriptions[m.member_id] = _make_subscription(
                sub.topics, owned, gen if gen >= 0 else None, sub.rack_id, m.group_instance_id)
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
        elif code in _COORDINATOR_ERRORS:
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
        if code in _COORDINATOR_ERRORS:
            self._coordinator_unknown(now)

    def _on_leave(self, flight, resp, now: int) -> None:
        pass

    def _on_fetch(self, flight, resp, now: int) -> None:
        if resp.error_code is not ErrorCode.NONE:
            self.backoff_until = now + self.config.retry_backoff_ms
            if resp.error_code in _COORDINATOR_ERRORS:
                self._coordinator_unknown(now)
            return
        for t in resp.topics:
            for p in t.partitions:
                tp = (t.name, p.partition_index)
                if tp not in self.owned:
                    continue
                if p.committed_offset >= 0:
                    self.positions[tp] = p.committed_offset
                else:
                    self.positions[tp] = 0 if self.config.auto_offset_reset == "earliest" else self.world.end_offset(tp)

    def _on_commit(self, flight, resp, now: int) -> None:
        codes = {p.error_code for t in resp.topics for p in t.partitions}
        bad = [c for c in codes if c is not ErrorCode.NONE]
        if not bad:
            return
        code = bad[0]
        self.commit_failures.append(code.name)
        exception = {"FENCED_INSTANCE_ID": "FencedInstanceIdException",
                     "REBALANCE_IN_PROGRESS": "RebalanceInProgressException"}.get(code.name, "CommitFailedException")
        self.world._record(ev.CommitFailed(now, self.name, ev.CommitFailureReason.ERROR_RESPONSE, tuple(sorted(
            (t.name, p.partition_index) for t in flight.request.topics for p in t.partitions)), exception, code))
        if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
            if flight.generation == (self.generation_id, self.member_id):
                self._reset_generation(now, keep_member_id=code is ErrorCode.ILLEGAL_GENERATION,
                                       reason=ev.ClientStateReason.OFFSET_COMMIT_ERROR, error_code=code)
        elif code is ErrorCode.REBALANCE_IN_PROGRESS:
            self.rejoin_needed = True
        elif code is ErrorCode.FENCED_INSTANCE_ID:
            self._fail(now, code, "OffsetCommit")
        elif code in _COORDINATOR_ERRORS:
            self._coordinator_unknown(now)

    _on_commit_sync = _on_commit


# ---------------------------------------------------------------------- assignors glue

def _resolve_assignor(spec):
    from ..assignors import get_assignor

    return get_assignor(spec)


def _select_protocol(assignors) -> str:
    from ..assignors import select_rebalance_protocol

    return select_rebalance_protocol(assignors).name


def _make_subscription(topics, owned, generation, rack, group_instance_id):
    from ..assignors import Subscription

    return Subscription(tuple(topics), tuple(owned), generation, rack, group_instance_id)


def _encode_sticky_user_data(previous: tuple[TopicPartition, ...], generation: int) -> bytes:
    """Kafka's ``StickyAssignorUserData`` v1: the previous assignment and its generation."""
    import struct

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
    import struct

    if not data:
        return (), -1
    try:
        off = 0
        (n,) = struct.unpack_from(">i", data, off); off += 4
        out = []
        for _ in range(n):
            (ln,) = struct.unpack_from(">h", data, off); off += 2
            t = data[off:off + ln].decode(); off += ln
            (k,) = struct.unpack_from(">i", data, off); off += 4
            for _ in range(k):
                (p,) = struct.unpack_from(">i", data, off); off += 4
                out.append((t, p))
        gen = struct.unpack_from(">i", data, off)[0] if off + 4 <= len(data) else -1
        return tuple(out), gen
    except (struct.error, UnicodeDecodeError):
        return (), -1
