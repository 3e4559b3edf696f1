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

The code follows the Java client's seams: this module is the ``KafkaConsumer`` itself (lifecycle,
``poll()``, processing, the network layer); :mod:`.coordinator_client` is its ``AbstractCoordinator``
and ``ConsumerCoordinator`` (join, sync, heartbeat, leave, the leader's assignment); :mod:`.offsets`
its commits and offset fetches; :mod:`.config` its configs (``ConsumerConfig``).

Client states are Kafka's: UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE.  Config
keys are Kafka's consumer configs in snake_case with Kafka's defaults.  The consumer is driven by
the :class:`~kafkalab.sim.world.World`: it never reads a clock; the world calls
:meth:`SimConsumer.on_timer`, :meth:`SimConsumer.on_response` and friends with ``now``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Optional, Sequence

from ..errors import ErrorCode
from ..messages import FindCoordinatorRequest
from . import events as ev
from .config import ConsumerConfig
from .coordinator_client import (
    COMPLETING_REBALANCE,
    COORDINATOR_ERRORS,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
    ConsumerCoordinator,
    InFlight,
    resolve_assignor,
    select_protocol,
)
from .offsets import OffsetClient

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["SimConsumer", "ConsumerConfig", "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE",
           "COORDINATOR_ERRORS"]

TopicPartition = tuple[str, int]


class SimConsumer(ConsumerCoordinator, OffsetClient):
    """One simulated consumer; create it with :meth:`World.consumer`."""

    def __init__(self, world: "World", name: str, group_id: str, topics: Sequence[str], config: ConsumerConfig):
        self.world = world
        self.name = name
        self.group_id = group_id
        self.topics = tuple(topics)
        self.config = config
        self.client_id = config.client_id or name
        self.assignors = [resolve_assignor(a) for a in config.partition_assignment_strategy]
        self.rebalance_protocol = select_protocol(self.assignors)
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
        self.inflight: dict[int, InFlight] = {}
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
    def assignment(self) -> list[TopicPartition]:
        """The partitions this consumer owns now, sorted."""
        return sorted(self.owned)

    def __repr__(self) -> str:
        return f"SimConsumer({self.name!r}, state={self.state}, generation={self.generation_id}, owned={self.assignment})"

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
            self.assignors = [resolve_assignor(a) for a in self.config.partition_assignment_strategy]
            self.rebalance_protocol = select_protocol(self.assignors)
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
            self._send_leave_group(now)
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

    # ------------------------------------------------------------------ network

    def _send(self, now: int, kind: str, request, dst: Optional[str] = None, timeout: Optional[int] = None) -> None:
        if dst is None:
            if self.coordinator is None:
                self.world._record(ev.RequestNotSent(now, self.name, kind))
                return
            dst = self.world.broker_name(self.coordinator)
        corr = self.world._send(self.name, dst, request, now)
        self.inflight[corr] = InFlight(kind, request, dst, now + (timeout or self.config.request_timeout_ms),
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

