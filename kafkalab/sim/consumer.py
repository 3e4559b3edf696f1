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

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..errors import ErrorCode
from ..messages import FindCoordinatorRequest
from . import events as ev
from .config import ConsumerConfig
from .coordinator_client import (
    COMPLETING_REBALANCE,
    COORDINATOR_ERRORS,
    LEAVE_CLOSING,
    LEAVE_UNSUBSCRIBED,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
    ConsumerCoordinator,
    InFlight,
    resolve_assignor,
    select_protocol,
)
from .metadata import ConsumerMetadata, MetadataSnapshot, SubscriptionState, compile_pattern
from .metrics import MetricConfig, MetricsRecorder
from .offsets import OffsetClient
from .topics import check_topic_name

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["SimConsumer", "ConsumerConfig", "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE",
           "COORDINATOR_ERRORS"]

TopicPartition = tuple[str, int]


class SimConsumer(ConsumerCoordinator, OffsetClient):
    """One simulated consumer; create it with :meth:`World.consumer`."""

    def __init__(self, world: "World", name: str, group_id: str, topics: Sequence[str], config: ConsumerConfig,
                 pattern: Optional[Any] = None):
        self.world = world
        self.name = name
        self.group_id = group_id
        # What the application subscribes to; a restarted process subscribes to it again.
        self._subscription_spec: tuple = (("pattern", compile_pattern(pattern)) if pattern is not None
                                          else ("topics", _check_topics(topics)))
        self.config = config
        self.client_id = config.client_id or name
        self.assignors = [resolve_assignor(a) for a in config.partition_assignment_strategy]
        self.rebalance_protocol = select_protocol(self.assignors)
        self.incarnation = 0
        #: One :class:`~kafkalab.sim.metrics.MetricsRecorder` per process (a restart starts a new one).
        self.metric_recorders: list[MetricsRecorder] = []
        #: The configs of each process, in start order (a restart may change them).
        self.process_configs: list[ConsumerConfig] = []
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
        #: Java's rejoinReason: the reason the next JoinGroup carries (KIP-800); "" for the first join.
        self.rejoin_reason = ""
        self.subscriptions = SubscriptionState()
        kind, value = self._subscription_spec
        if kind == "pattern":
            self.subscriptions.subscribe_pattern(value)
        elif kind == "topics" and value:
            self.subscriptions.subscribe(value)
        self.metadata = ConsumerMetadata(self.config.metadata_max_age_ms, self.config.retry_backoff_ms,
                                         self.config.retry_backoff_max_ms)
        self._metadata_why = ev.MetadataRefreshReason.MAX_AGE
        self.metadata_snapshot: Optional[MetadataSnapshot] = None
        #: The leader's snapshot of the partition counts it assigned with (None on followers).
        self.assignment_snapshot: Optional[MetadataSnapshot] = None
        #: The topics of the last JoinGroup's subscription.
        self.joined_subscription: Optional[frozenset[str]] = None

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics this consumer subscribes to now (a pattern's matches, sorted)."""
        return self.subscriptions.topics

    @property
    def pattern(self) -> Optional[str]:
        """The subscribed pattern, or None."""
        return self.subscriptions.pattern.pattern if self.subscriptions.pattern is not None else None

    @property
    def is_running(self) -> bool:
        return self.status in ("in_poll", "processing")

    @property
    def settled(self) -> bool:
        """STABLE with nothing that will make it rejoin at its next ``poll()``: no rejoin requested, the
        subscription it joined with, and (for the leader) the partition counts it assigned with."""
        if self.state != STABLE or self.rejoin_needed:
            return False
        if self.joined_subscription is not None and self.joined_subscription != self.subscriptions.subscription:
            return False
        if self.assignment_snapshot is not None and self.metadata.version != self.assignment_snapshot.version:
            return self.assignment_snapshot.matches(MetadataSnapshot.take(self.subscriptions, self.metadata))
        return True

    @property
    def assignment(self) -> list[TopicPartition]:
        """The partitions this consumer owns now, sorted."""
        return sorted(self.owned)

    def __repr__(self) -> str:
        return f"SimConsumer({self.name!r}, state={self.state}, generation={self.generation_id}, owned={self.assignment})"

    # ------------------------------------------------------------------ lifecycle (called by World)

    @property
    def metrics_recorder(self) -> MetricsRecorder:
        """What the running process records for its metrics (``world.metrics(name)`` reads them)."""
        return self.metric_recorders[-1]

    def start(self, now: int, *, restarted: bool = False) -> None:
        if self.metric_recorders:
            self.metric_recorders[-1].ended(now)
        self.process_configs.append(self.config)
        self.metric_recorders.append(MetricsRecorder(
            now, MetricConfig(self.config.metrics_num_samples, self.config.metrics_sample_window_ms),
            self.config.poll_timeout_ms))
        self.status = "in_poll"
        self.metrics_recorder.poll_started(now)
        self.last_poll_at = now
        self.next_auto_commit_at = now + self.config.auto_commit_interval_ms
        self.world._record(ev.ConsumerStarted(
            now, self.name, restarted, self.client_id, self.config.group_instance_id, self.config.session_timeout_ms,
            self.config.max_poll_interval_ms, self.rebalance_protocol, self.config.metadata_max_age_ms, self.topics,
            self.pattern))
        self._drive(now)

    def crash(self, now: int) -> None:
        """The process dies: no LeaveGroup, no commit; the coordinator finds out by session timeout."""
        self.status = "crashed"
        self.metrics_recorder.ended(now)
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
            if config.get("group_protocol", self.config.group_protocol) != self.config.group_protocol:
                raise ValueError(f"consumer.restart() keeps group_protocol={self.config.group_protocol!r}: use "
                                 "world.restart(name, group_protocol=...) for a rolling upgrade or downgrade")
            self.config = replace(self.config, **config)
            self.assignors = [resolve_assignor(a) for a in self.config.partition_assignment_strategy]
            self.rebalance_protocol = select_protocol(self.assignors)
        self.incarnation += 1
        self._reset_all()
        self.start(now, restarted=True)

    def pause(self, now: int, duration_ms: int) -> None:
        """Freeze both threads (a long GC pause, a stopped container) for ``duration_ms``."""
        self.paused_until = now + duration_ms
        self.metrics_recorder.paused(now, now + duration_ms)
        self.world._record(ev.ConsumerPaused(now, self.name, duration_ms))

    def stall(self, duration_ms: int) -> None:
        """Make the next batch take ``duration_ms`` longer to process (a slow external call)."""
        self.extra_processing_ms += duration_ms

    def close(self, now: int, membership: Any = ev.GroupMembershipOperation.DEFAULT) -> None:
        """``consumer.close(CloseOptions)``: commit, revoke, then LeaveGroup or not as ``membership`` says
        (KIP-1092): DEFAULT leaves for a dynamic member and stays for a static one; LEAVE_GROUP and
        REMAIN_IN_GROUP choose for either."""
        membership = ev.GroupMembershipOperation.parse(membership)
        if self.status in ("crashed", "closed"):
            return
        if self.state == STABLE and self.config.enable_auto_commit:
            self._send_commit(now, "close")
        if self.owned:
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned))))
            self.owned.clear()
        if self._leaves_on(membership) and self._can_leave():
            self._send_leave_group(now, LEAVE_CLOSING)
        elif self.is_static or self._can_leave():
            self.world._record(ev.LeaveGroupSkipped(now, self.name, self.config.group_instance_id, membership))
        self.status = "closed"
        self.metrics_recorder.ended(now)
        self._set_state(now, UNJOINED, ev.ClientStateReason.CLOSED)
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.CLOSED, membership=membership))

    # ------------------------------------------------------------------ subscriptions (the application's calls)

    def _check_open(self, action: str) -> None:
        if self.status in ("closed", "crashed", "failed"):
            raise ValueError(f"cannot {action} on consumer {self.name!r}: it has {self.status} (Kafka: "
                             "IllegalStateException, this consumer has already been closed); start another "
                             "consumer or restart this one first")

    def subscribe(self, topics: Optional[Sequence[str]] = None, *, pattern: Any = None) -> None:
        """``consumer.subscribe(topics)`` or ``consumer.subscribe(pattern)``, at the world's current time.
        The consumer rejoins at its next ``poll()`` with the new subscription; an empty list is
        :meth:`unsubscribe`.

        Raises:
            ValueError: a closed, crashed or failed consumer; both or neither of topics and pattern; an
                illegal topic name or an invalid pattern; switching between topics and a pattern
                without :meth:`unsubscribe` (mutually exclusive in Kafka).
        """
        self._check_open("subscribe")
        if (topics is None) == (pattern is None):
            raise ValueError("subscribe() takes a list of topics or pattern=..., not both and not neither")
        now = self.world.now
        old = self.topics
        if pattern is not None:
            compiled = compile_pattern(pattern)
            self.subscriptions.subscribe_pattern(compiled)
            self._subscription_spec = ("pattern", compiled)
            self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.PATTERN_SUBSCRIBED,
                                                      old, self.topics, compiled.pattern))
            if self.is_running:
                self._update_pattern_subscription(now)
            self._request_metadata(ev.MetadataRefreshReason.NEW_TOPICS, new_topics=True)
        else:
            topics = _check_topics(topics)
            if not topics:
                return self.unsubscribe()
            changed = self.subscriptions.subscribe(topics)
            self._subscription_spec = ("topics", topics)
            if changed:
                self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.SUBSCRIBED, old,
                                                          self.topics))
                self._request_metadata(ev.MetadataRefreshReason.NEW_TOPICS, new_topics=True)
        self.world._after_action(self)

    def unsubscribe(self) -> None:
        """``consumer.unsubscribe()``: give up the partitions, leave the group (a dynamic member sends
        LeaveGroup) and stop consuming until the next :meth:`subscribe`.

        Raises:
            ValueError: a closed, crashed or failed consumer.
        """
        self._check_open("unsubscribe")
        now = self.world.now
        old = self.topics
        if not self.subscriptions.has_auto_assigned_partitions:
            return
        if self.owned:  # onLeavePrepare
            lost = self.generation_id == -1 or not self.member_id or self.state in (PREPARING_REBALANCE,
                                                                                      COMPLETING_REBALANCE)
            self.world._record(ev.PartitionsRevoked(now, self.name, tuple(sorted(self.owned)), lost=lost))
            self._drop(self.owned)
        if self.is_running:
            self._maybe_leave_group(now, ev.ClientStateReason.UNSUBSCRIBED, LEAVE_UNSUBSCRIBED, record_rejoin=False)
        self.subscriptions.unsubscribe()
        self._subscription_spec = ("none", ())
        self.world._record(ev.SubscriptionChanged(now, self.name, ev.SubscriptionChange.UNSUBSCRIBED, old, ()))
        self.world._after_action(self)

    # ------------------------------------------------------------------ metadata (the network client)

    def _request_metadata(self, why: ev.MetadataRefreshReason, *, new_topics: bool = False) -> None:
        if not self.metadata.update_requested or new_topics:
            self._metadata_why = why
        if new_topics:
            self.metadata.request_update_for_new_topics()
        else:
            self.metadata.request_update()

    def _maybe_refresh_metadata(self, now: int) -> None:
        if self.is_running and self.metadata.next_update_at() <= now:
            self._refresh_metadata(now)

    def _refresh_metadata(self, now: int) -> None:
        """One metadata refresh: read the cluster's topics as they are now (recorded when it changed
        something the consumer wants to know)."""
        expired = self.metadata.last_refresh is not None and \
            now >= self.metadata.last_refresh + self.metadata.max_age_ms
        why = self._metadata_why if self.metadata.update_requested and not expired else ev.MetadataRefreshReason.MAX_AGE
        wanted = None if self.subscriptions.has_pattern else self.subscriptions.metadata_topics()
        change = self.metadata.update(now, self.world.metadata, wanted)
        if change:
            self.world._record(ev.MetadataRefreshed(now, self.name, why, change.created, change.grown, change.deleted,
                                                    self.metadata.version))
        self._metadata_why = ev.MetadataRefreshReason.UNKNOWN_TOPIC if change.missing else ev.MetadataRefreshReason.MAX_AGE

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
        if self.is_running:
            times.append(max(self.metadata.next_update_at(), self.world.now))
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
        self._maybe_refresh_metadata(now)
        self._heartbeat_thread(now)
        if self.status == "processing" and self.next_poll_at is not None and now >= self.next_poll_at:
            self.status = "in_poll"
            if not self.config.enable_auto_commit and self.positions:
                # The at-least-once loop: commitSync() what was processed, then poll() again.
                self._send_commit(now, "after processing", sync=True)
            self.last_poll_at = now
            self.metrics_recorder.poll_started(now)
        self._drive(now)

    # ------------------------------------------------------------------ the application thread

    def _drive(self, now: int) -> None:
        """Advance the consumer's ``poll()`` as far as it can go at ``now``."""
        if self.status != "in_poll" or self.paused_until is not None:
            return
        if self.fatal_error is not None:
            return
        self._maybe_refresh_metadata(now)
        self._maybe_update_subscription_metadata(now)
        if not self.subscriptions.has_auto_assigned_partitions:
            return  # nothing subscribed: poll() returns nothing and joins no group
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
        if self._rejoin_needed_or_pending(now):
            if self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE):
                return
            if not self.join_prepared:
                self.join_prepared = True
                if self._on_join_prepare(now):
                    return  # a synchronous commit is in flight; the join follows its answer
            if self.subscriptions.has_pattern:
                # A pattern-subscribed member refreshes its metadata before it rejoins, so that one new
                # topic costs the group one rebalance rather than one per member.
                self._request_metadata(ev.MetadataRefreshReason.BEFORE_REJOIN)
                self._refresh_metadata(now)
                self._maybe_update_subscription_metadata(now)
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
        self.metrics_recorder.poll_ended(now)  # poll() returns the batch
        self.poll_count += 1
        budget = self.config.max_poll_records
        for tp in sorted(self.owned):
            if budget <= 0:
                break
            if self.world.metadata.topic(tp[0]) is None:
                # The fetch fails (UNKNOWN_TOPIC_OR_PARTITION): the client asks for fresh metadata.
                if not self.metadata.update_requested:
                    self._request_metadata(ev.MetadataRefreshReason.FETCH_FAILED)
                continue
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
                                        (self.generation_id, self.member_id), now)

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
        self.metrics_recorder.ended(now)
        self.inflight.clear()
        self.world._record(ev.FatalError(now, self.name, what, code))
        self.world._record(ev.ConsumerStopped(now, self.name, ev.StopKind.FAILED, tuple(sorted(self.owned)), code))
        self.owned.clear()
        self.positions.clear()



def _check_topics(topics: Any) -> tuple[str, ...]:
    """The topics of a ``subscribe(topics)`` call, checked as Kafka checks them."""
    if isinstance(topics, str):
        topics = [topics]
    if topics is None or isinstance(topics, re.Pattern) or not hasattr(topics, "__iter__"):
        raise ValueError(f"topics must be a list of topic names, got {topics!r} (use pattern=... for a regex)")
    out = []
    for t in topics:
        if not isinstance(t, str) or not t.strip():
            raise ValueError(f"the topics to subscribe to cannot contain null or empty names, got {t!r}")
        out.append(check_topic_name(t))
    return tuple(dict.fromkeys(out))
