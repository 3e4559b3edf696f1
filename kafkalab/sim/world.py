"""A deterministic world to run simulated consumers in: brokers, topics, a network, a clock.

How it works
------------
:class:`World` owns a virtual clock and one event queue.  The brokers are the core's
:class:`~kafkalab.brokers.Brokers`: one sans-IO :class:`~kafkalab.Coordinator` per broker (all
sharing one :class:`~kafkalab.GroupLog`, the replicated ``__consumer_offsets``), FindCoordinator
answered from the :class:`~kafkalab.cluster.Cluster` model, leader changes applied to both.
Consumers (:class:`~kafkalab.sim.consumer.SimConsumer`) send requests over a simulated network
with per-link latency, loss and partitions.  :meth:`World.run` pops the earliest event -
a message arriving, a consumer's timer, a coordinator's timer - and hands it to its owner with
``now``.  Ties run in the order they were scheduled; randomness (member ids, packet loss) comes
from generators seeded with ``seed``.  So the same script gives the same trace, every time.

The cluster's topics are one :class:`~kafkalab.sim.topics.TopicsImage` (``world.metadata``); an
administrator changes them during a run with :meth:`World.create_topic`, :meth:`World.add_partitions`
and :meth:`World.delete_topic`.  Each change is recorded (:class:`~kafkalab.sim.events.TopicChanged`)
and passed to the listeners registered with :meth:`World.on_metadata_change`; consumers learn of it
from their own metadata refreshes, as Kafka's clients do.

A notebook needs about five lines::

    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"])
    world.run_until_stable("g")
    world.assignments("g")          # {'c1': [('orders', 0), ('orders', 1)], ...}
    world.trace                     # every message, state change and callback, in time order
"""

from __future__ import annotations

import heapq
import itertools
import random
from typing import Any, Callable, Optional, Sequence

from ..brokers import Brokers
from ..cluster import Cluster
from ..config import CoordinatorConfig
from ..coordinator import Coordinator
from ..grouplog import GroupLog
from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatResponse, FindCoordinatorRequest
from ..classic.state import GroupState
from ..modern.state import ConsumerGroupState
from . import events as ev
from .async_client import AsyncSimConsumer, restart_with_protocol
from .config import check_group_protocol_configs
from .consumer import ConsumerConfig, SimConsumer
from .logs import broker_log, consumer_log
from .metrics import METRICS as _METRIC_NAMES
from .metrics import consumer_metrics, metrics_series
from .topics import TopicsDelta, TopicsImage

TopicPartition = tuple[str, int]


class SimulationError(RuntimeError):
    """The simulation could not reach what was asked (e.g. a group never became stable)."""


class World:
    """Brokers, topics, consumers and a network on one virtual clock.

    Args:
        topics: ``{topic: partition count}`` (or ``{topic: (partitions, records per partition)}``).
        brokers: number of brokers (node ids 0..n-1).
        config: the brokers' :class:`~kafkalab.CoordinatorConfig` (Kafka's defaults).
        seed: seeds member ids and packet loss, so a run repeats exactly.
        latency_ms: one-way network latency on every link (changeable per link).
        produce_rate: records appended per second to every partition (0: only the initial records).
    """

    def __init__(
        self,
        topics: dict[str, Any] | None = None,
        *,
        brokers: int = 1,
        config: CoordinatorConfig | None = None,
        seed: int = 0,
        latency_ms: int = 1,
        produce_rate: float = 0.0,
        trace: bool = True,
    ) -> None:
        self.config = config or CoordinatorConfig()
        self.seed = seed
        self.now = 0
        self._rng = random.Random(seed)
        #: The brokers: the cluster's metadata, the shared log, one coordinator per broker.
        self.brokers = Brokers(brokers, self.config, seed=seed, trace=trace)
        self._id_counter = itertools.count()
        self._coord_trace_pos = {n: 0 for n in self.coordinators}
        self.produce_rate = produce_rate
        self.consumers: dict[str, SimConsumer] = {}
        self.trace: list = []
        self._tracing = trace
        #: The cluster's topics now (swap for kafkalab.modern.metadata.MetadataImage: same interface).
        self.metadata = TopicsImage()
        #: Per partition: (virtual time it was created, records it held then).
        self._partition_origin: dict[TopicPartition, tuple[int, int]] = {}
        self._metadata_listeners: list[Callable[[TopicsImage, TopicsDelta, int], Any]] = []
        for name, spec in (topics or {}).items():
            partitions, records = spec if isinstance(spec, tuple) else (spec, 0)
            self._check_records(name, records)
            self._apply_metadata(self.metadata.with_topic(name, partitions), records=records, record=False)
        self.processed: dict[tuple[str, int, int], int] = {}
        # Network
        self.latency_ms = latency_ms
        self._link_latency: dict[frozenset, int] = {}
        self._link_loss: dict[frozenset, float] = {}
        self._blocked: set[frozenset] = set()
        # Event queue: (time, seq, kind, payload)
        self._queue: list = []
        self._seq = itertools.count()
        self._corr = itertools.count(1)
        self._scheduled: dict[Any, int] = {}  # actor -> time of its pending wake-up
        self._tally: dict[str, tuple] = {}
        self._running: dict[str, int] = {}
        self._settled: dict[tuple, int] = {}
        #: Per consumer-protocol group: heartbeat answers on the wire that bring a member news
        #: (an assignment or an error); the group is not stable until its members have them.
        self._news_in_flight: dict[str, int] = {}

    # ------------------------------------------------------------------ setup

    @property
    def topics(self) -> dict[str, int]:
        """``{topic: partition count}`` now (a copy; change topics with :meth:`create_topic` and friends)."""
        return {t.name: t.num_partitions for t in self.metadata.topics()}

    def create_topic(self, name: str, partitions: int, records: int = 0) -> None:
        """Create a topic (``kafka-topics.sh --create``) with ``partitions`` partitions holding
        ``records`` records each.  Consumers see it at their next metadata refresh.

        Raises:
            ValueError: the topic exists, an illegal name, or a count below 1.
        """
        if name in self.topics:
            raise ValueError(f"topic {name!r} already exists with {self.topics[name]} partitions (Kafka: "
                             "TOPIC_ALREADY_EXISTS); use add_partitions() to grow it")
        self._check_records(name, records)
        self._apply_metadata(self.metadata.with_topic(name, partitions), records=records)

    def add_topic(self, name: str, partitions: int, records: int = 0) -> None:
        """The same as :meth:`create_topic`."""
        self.create_topic(name, partitions, records)

    def add_partitions(self, topic: str, total: int) -> None:
        """Grow ``topic`` to ``total`` partitions (``kafka-topics.sh --alter --partitions``, Kafka's
        CreatePartitions).  Kafka only ever adds partitions.  The new ones start empty; consumers see
        them at their next metadata refresh, and the group's leader then starts a rebalance.

        Raises:
            ValueError: an unknown topic, or ``total`` not above the current count.
        """
        current = self.topics.get(topic)
        if current is None:
            raise ValueError(f"there is no topic {topic!r} to add partitions to (Kafka: UNKNOWN_TOPIC_OR_PARTITION); "
                             f"topics: {sorted(self.topics)}")
        if isinstance(total, bool) or not isinstance(total, int) or total <= current:
            raise ValueError(f"topic {topic!r} has {current} partitions: ask for a larger total (Kafka: "
                             f"INVALID_PARTITIONS; a topic can only grow), got {total!r}")
        self._apply_metadata(self.metadata.with_topic(topic, total))

    def delete_topic(self, name: str) -> None:
        """Delete a topic (``kafka-topics.sh --delete``).  Consumers notice it at their next metadata
        refresh or, for those that own its partitions, at once from a failing fetch.

        Raises:
            ValueError: no such topic.
        """
        if name not in self.topics:
            raise ValueError(f"there is no topic {name!r} to delete (Kafka: UNKNOWN_TOPIC_OR_PARTITION); "
                             f"topics: {sorted(self.topics)}")
        self._apply_metadata(self.metadata.without_topic(name))

    def on_metadata_change(self, listener: Callable[[TopicsImage, TopicsDelta, int], Any]) -> None:
        """Call ``listener(image, delta, now)`` after every change of the cluster's topics (the hook a
        KIP-848 coordinator needs: Kafka's ``onNewMetadataImage``)."""
        self._metadata_listeners.append(listener)

    def _apply_metadata(self, image: TopicsImage, *, records: int = 0, record: bool = True) -> None:
        """The one place where the cluster's topics change: record it, then tell the listeners."""
        old, self.metadata = self.metadata, image
        delta = image.delta(old)
        for name in sorted(delta.changed):
            before = old.topic(name).num_partitions if old.topic(name) else 0
            after = image.topic(name).num_partitions
            for p in range(before, after):
                self._partition_origin[(name, p)] = (self.now, records if name in delta.created else 0)
            if record:
                change = ev.TopicChange.CREATED if name in delta.created else ev.TopicChange.PARTITIONS_ADDED
                self._record(ev.TopicChanged(self.now, name, change, before, after, image.version))
        for name in sorted(delta.deleted):
            n = old.topic(name).num_partitions
            for p in range(n):
                self._partition_origin.pop((name, p), None)
            if record:
                self._record(ev.TopicChanged(self.now, name, ev.TopicChange.DELETED, n, 0, image.version))
        # Every broker's coordinator hears of it (the consumer groups' onNewMetadataImage).
        self.brokers.update_topics({t.name: t.num_partitions for t in image.topics()}, self.now,
                                   on_call=self._after_leader_change_call if record else None)
        for listener in self._metadata_listeners:
            listener(image, delta, self.now)
        # Consumers with nothing else to do may now have a refresh or a fetch to make.
        for c in self.consumers.values():
            self._reschedule(c)

    @staticmethod
    def _check_records(name: str, records: Any) -> None:
        if isinstance(records, bool) or not isinstance(records, int) or records < 0:
            raise ValueError(f"topic {name!r}: records must be an int >= 0, got {records!r}")

    def end_offset(self, tp: TopicPartition) -> int:
        """The log-end offset of a partition now (0 for a partition that does not exist)."""
        origin = self._partition_origin.get(tp)
        if origin is None:
            return 0
        born, records = origin
        return records + int(self.produce_rate * self.now / 1000) - int(self.produce_rate * born / 1000)

    def consumer(self, name: str, group: str = "group", topics: Sequence[str] = (), *,
                 pattern: Any = None, start_at: Optional[int] = None, **config: Any) -> SimConsumer:
        """Add a consumer (Kafka consumer configs as keyword arguments, e.g.
        ``session_timeout_ms=10_000``, ``group_instance_id="i1"``,
        ``partition_assignment_strategy=["cooperative-sticky"]``) and start it.  It subscribes to
        ``topics`` (default: every topic there is now) or to the regex ``pattern``.

        Raises:
            ValueError: a duplicate name, an unknown config name (the message lists the valid
                ones), a value out of range, or an invalid pattern.
        """
        if name in self.consumers:
            raise ValueError(f"a consumer named {name!r} already exists; pick another name")
        if not group:
            raise ValueError("group must be a non-empty group id")
        if isinstance(topics, str):
            topics = [topics]
        if pattern is not None and topics:
            raise ValueError("give a consumer topics or a pattern, not both")
        if not topics and pattern is None:
            topics = sorted(self.topics)
        valid = set(ConsumerConfig.__dataclass_fields__)
        unknown = sorted(set(config) - valid)
        if unknown:
            raise ValueError(f"unknown consumer config {unknown}; valid names: {sorted(valid)}")
        check_group_protocol_configs(config)
        cfg = ConsumerConfig(**config)
        cls = AsyncSimConsumer if cfg.group_protocol == "consumer" else SimConsumer
        c = cls(self, name, group, topics, cfg, pattern=pattern)
        self.consumers[name] = c
        when = self.now if start_at is None else start_at
        if when <= self.now:
            c.start(self.now)
            self._refresh(c)
            self._reschedule(c)
        else:
            self._push(when, "start", c)
        return c

    def add_consumers(self, n: int, group: str = "group", topics: Sequence[str] = (), *,
                      prefix: str = "c", stagger_ms: int = 0, **config: Any) -> list[SimConsumer]:
        """Add consumers ``c1..cN`` (started ``stagger_ms`` apart)."""
        start = len([k for k in self.consumers if k.startswith(prefix)])
        return [self.consumer(f"{prefix}{start + i + 1}", group, topics,
                              start_at=self.now + i * stagger_ms, **config) for i in range(n)]

    def __getitem__(self, name: str) -> SimConsumer:
        return self.consumers[name]

    # ------------------------------------------------------------------ actions during a run

    def crash(self, name: str) -> None:
        self.consumers[name].crash(self.now)
        self._refresh(self.consumers[name])
        self._reschedule(self.consumers[name])

    def restart(self, name: str, **config: Any) -> None:
        """Restart a consumer as a new process; keyword arguments change its configs (a bounce).
        A new ``group_protocol`` is a rolling upgrade (or downgrade) of that consumer
        (:func:`~kafkalab.sim.async_client.restart_with_protocol`)."""
        old = self.consumers[name]
        protocol = config.get("group_protocol")
        if isinstance(protocol, str) and protocol.lower() != old.config.group_protocol:
            self._scheduled.pop(old, None)
            self.consumers[name] = restart_with_protocol(self, old, config)
        else:
            old.restart(self.now, **config)
        self._refresh(self.consumers[name])
        self._reschedule(self.consumers[name])

    def close(self, name: str, membership: Any = ev.GroupMembershipOperation.DEFAULT) -> None:
        """``consumer.close(CloseOptions.groupMembershipOperation(membership))`` (KIP-1092, Kafka 4.1):
        ``"DEFAULT"`` (a dynamic member leaves, a static one stays), ``"LEAVE_GROUP"`` or
        ``"REMAIN_IN_GROUP"`` (or a :class:`~kafkalab.sim.events.GroupMembershipOperation`)."""
        self.consumers[name].close(self.now, membership)
        self._after_action(self.consumers[name])

    def subscribe(self, name: str, topics: Optional[Sequence[str]] = None, *, pattern: Any = None) -> None:
        """``world[name].subscribe(...)`` (handy inside :meth:`at`)."""
        self.consumers[name].subscribe(topics, pattern=pattern)

    def unsubscribe(self, name: str) -> None:
        """``world[name].unsubscribe()`` (handy inside :meth:`at`)."""
        self.consumers[name].unsubscribe()

    def _after_action(self, c: SimConsumer) -> None:
        self._refresh(c)
        self._reschedule(c)

    def pause(self, name: str, duration_ms: int) -> None:
        self.consumers[name].pause(self.now, duration_ms)
        self._refresh(self.consumers[name])
        self._reschedule(self.consumers[name])

    def at(self, time_ms: int, action: Callable[["World"], Any]) -> None:
        """Run ``action(world)`` at virtual time ``time_ms`` during a later :meth:`run`."""
        self._push(time_ms, "call", action)

    def fail_broker(self, node_id: int) -> None:
        """Stop a broker: its ``__consumer_offsets`` partitions move to other brokers, whose
        coordinators load the groups from the log (coordinator failover)."""
        self.brokers.fail_broker(node_id, self.now, on_call=self._after_leader_change_call)
        self._after_leader_changes()

    def restore_broker(self, node_id: int) -> None:
        self.brokers.restore_broker(node_id, self.now, on_call=self._after_leader_change_call)
        self._after_leader_changes()

    def move_coordinator(self, group: str, node_id: int) -> None:
        """Move leadership of ``group``'s ``__consumer_offsets`` partition to broker ``node_id``
        (a controlled leader move, e.g. a preferred-leader election): the old coordinator unloads
        the group, the new one loads it from the log, and clients get NOT_COORDINATOR."""
        self.brokers.move_coordinator(group, node_id, self.now, on_call=self._after_leader_change_call)
        self._after_leader_changes()

    def _after_leader_change_call(self, node: int, replies: list) -> None:
        # Each call's trace is recorded right after it, so world.trace keeps the order of the calls
        # across brokers (the old leader unloads before the new one loads).
        self._sync_coordinator_trace(node)
        self._deliver_replies(node, replies)

    def _after_leader_changes(self) -> None:
        for n in self.coordinators:
            self._sync_coordinator_trace(n)
            self._reschedule(("broker", n))

    def set_latency(self, a: str, b: str, ms: int) -> None:
        self._link_latency[frozenset((a, b))] = ms

    def set_loss(self, a: str, b: str, probability: float) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"loss probability must be between 0 and 1, got {probability}")
        self._link_loss[frozenset((a, b))] = probability

    def partition_network(self, a: str, b: str) -> None:
        """Cut the link between two nodes (consumer names or ``broker-N``)."""
        self._blocked.add(frozenset((a, b)))

    def heal_network(self, a: str | None = None, b: str | None = None) -> None:
        if a is None:
            self._blocked.clear()
        else:
            self._blocked.discard(frozenset((a, b)))

    # ------------------------------------------------------------------ queries

    @property
    def cluster(self) -> Cluster:
        """The cluster's metadata: brokers up or down, the leader of each offsets partition."""
        return self.brokers.cluster

    @property
    def log(self) -> GroupLog:
        """The replicated ``__consumer_offsets`` every broker's coordinator reads and writes."""
        return self.brokers.log

    @property
    def coordinators(self) -> dict[int, Coordinator]:
        """Each broker's coordinator, by node id."""
        return self.brokers.coordinators

    def broker_name(self, node_id: Optional[int]) -> str:
        return f"broker-{node_id}"

    def _bootstrap_broker(self) -> str:
        live = self.cluster.live_brokers
        return self.broker_name(live[0].node_id if live else self.cluster.brokers[0].node_id)

    def coordinator_for(self, group: str) -> Optional[Coordinator]:
        """The coordinator (a broker's) that owns ``group`` now, or None if no broker leads it."""
        return self.brokers.coordinator_for(group)

    def describe(self, group: str) -> dict:
        """The coordinator's view of a group (see :meth:`Coordinator.describe`)."""
        coord = self.coordinator_for(group)
        return coord.describe(group) if coord else {"group_id": group, "state": "Dead", "members": []}

    def group_state(self, group: str) -> str:
        return self.describe(group)["state"]

    def members_of(self, group: str) -> list[SimConsumer]:
        return [c for c in self.consumers.values() if c.group_id == group]


    def assignments(self, group: str, *, stopped: bool = False) -> dict[str, list[TopicPartition]]:
        """What each running consumer of ``group`` owns now (the client's view), by consumer name.

        A consumer that stopped (closed, crashed, or failed with a fatal error) owns nothing and is
        left out; ``stopped=True`` lists it too, with ``[]``."""
        return {c.name: c.assignment for c in self.members_of(group)
                if stopped or c.status not in ("closed", "crashed", "failed")}

    def is_stable(self, group: str) -> bool:
        """The coordinator says Stable, its members are exactly the running consumers of the
        group, and each of them is STABLE in the current generation with no rebalance pending.

        O(1): the world keeps per-group counts of running and settled consumers up to date
        after every event (see :meth:`_refresh`)."""
        coord = self.coordinator_for(group)
        g = coord.groups.get(group) if coord else None
        if g is None:
            # A consumer-protocol group (KIP-848): Stable, and every member settled at the group epoch.
            cg = self._consumer_group(coord, group)
            if cg is None or cg.state is not ConsumerGroupState.STABLE or self._news_in_flight.get(group):
                return False
            epoch, members = cg.group_epoch, len(cg.members)
        elif g.state is not GroupState.STABLE:
            return False
        else:
            epoch, members = g.generation_id, len(g.members)
        running = self._running.get(group, 0)
        settled = self._settled.get((group, epoch), 0)
        return running == settled == members

    @staticmethod
    def _consumer_group(coord: Optional[Coordinator], group: str) -> Any:
        """The coordinator's consumer-protocol group ``group`` (a ``kafkalab.modern`` ConsumerGroup), or None."""
        return coord.consumer_groups.groups.get(group) if coord is not None else None

    def _refresh(self, c: SimConsumer) -> None:
        """Recount ``c`` in the per-group running/settled tallies used by :meth:`is_stable`."""
        is_running = c.is_running and c.subscriptions.has_auto_assigned_partitions
        settled_gen = c.generation_id if (is_running and c.settled) else None
        new = (is_running, settled_gen)
        old = self._tally.get(c.name, (False, None))
        if new == old:
            return
        self._tally[c.name] = new
        g = c.group_id
        self._running[g] = self._running.get(g, 0) + int(new[0]) - int(old[0])
        if old[1] is not None:
            self._settled[(g, old[1])] -= 1
        if new[1] is not None:
            self._settled[(g, new[1])] = self._settled.get((g, new[1]), 0) + 1

    # ------------------------------------------------------------------ running

    def run(self, until: Optional[int] = None, *, for_ms: Optional[int] = None,
            max_events: int = 10_000_000) -> int:
        """Run events up to virtual time ``until`` (or ``now + for_ms``); return the time reached."""
        if until is None and for_ms is None:
            raise ValueError("run() needs until= or for_ms=")
        end = until if until is not None else self.now + for_ms
        if end < self.now:
            raise ValueError(f"cannot run backwards to {end} (now is {self.now})")
        self._loop(lambda: False, end, max_events)
        self.now = max(self.now, end)
        return self.now

    def run_until(self, predicate: Callable[["World"], bool], timeout_ms: int = 600_000,
                  max_events: int = 10_000_000) -> int:
        """Run until ``predicate(world)`` holds; return the time. Raises SimulationError on timeout."""
        end = self.now + timeout_ms
        if predicate(self):
            return self.now
        if self._loop(lambda: predicate(self), end, max_events):
            return self.now
        raise SimulationError(f"condition not reached within {timeout_ms} ms of virtual time (now {self.now})")

    def run_until_stable(self, group: str = "group", timeout_ms: int = 600_000) -> int:
        """Run until :meth:`is_stable` holds for ``group``; return the time it did."""
        try:
            return self.run_until(lambda w: w.is_stable(group), timeout_ms)
        except SimulationError:
            raise SimulationError(
                f"group {group!r} did not become stable within {timeout_ms} ms of virtual time; "
                f"it is {self.group_state(group)} at {self.now} ms (look at world.trace)") from None

    def _loop(self, stop: Callable[[], bool], end: int, max_events: int) -> bool:
        q = self._queue
        n = 0
        while q and q[0][0] <= end:
            time, _seq, kind, payload = heapq.heappop(q)
            if kind in ("consumer", "broker-timer"):
                if self._scheduled.get(payload) != time:
                    continue  # superseded wake-up
            self.now = max(self.now, time)
            self._dispatch(kind, payload)
            n += 1
            if n >= max_events:
                raise SimulationError(f"more than {max_events} events; is something looping?")
            if stop():
                return True
        return False

    def _push(self, time: int, kind: str, payload: Any) -> None:
        heapq.heappush(self._queue, (time, next(self._seq), kind, payload))

    def _reschedule(self, actor: Any) -> None:
        if isinstance(actor, tuple):  # ("broker", node_id)
            t = self.coordinators[actor[1]].next_deadline()
            key = actor
            kind = "broker-timer"
        else:
            t = actor.next_deadline()
            key = actor
            kind = "consumer"
        if t is None:
            self._scheduled.pop(key, None)
            return
        t = max(t, self.now)
        if self._scheduled.get(key) == t:
            return
        self._scheduled[key] = t
        self._push(t, kind, key)

    def _dispatch(self, kind: str, payload: Any) -> None:
        if kind == "deliver":
            self._on_deliver(*payload)
        elif kind == "consumer":
            c: SimConsumer = payload
            self._scheduled.pop(c, None)
            c.on_timer(self.now)
            self._refresh(c)
            self._reschedule(c)
        elif kind == "broker-timer":
            node = payload[1]
            self._scheduled.pop(payload, None)
            replies = self.coordinators[node].on_timer(self.now)
            self._sync_coordinator_trace(node)
            self._deliver_replies(node, replies)
            self._reschedule(payload)
        elif kind == "start":
            payload.start(self.now)
            self._refresh(payload)
            self._reschedule(payload)
        elif kind == "call":
            payload(self)
            for c in self.consumers.values():
                self._refresh(c)

    # ------------------------------------------------------------------ network

    def _send(self, src: str, dst: str, message: Any, now: int, corr: Optional[int] = None) -> int:
        """Put a message on the network; a response reuses its request's correlation id."""
        if corr is None:
            corr = next(self._corr)
        self._record(ev.MessageSent(now, src, dst, message, corr))
        link = frozenset((src, dst))
        if link in self._blocked:
            self._record(ev.MessageDropped(now, src, dst, message, corr, ev.DropReason.NETWORK_PARTITION))
            return corr
        loss = self._link_loss.get(link, 0.0)
        if loss and self._rng.random() < loss:
            self._record(ev.MessageDropped(now, src, dst, message, corr, ev.DropReason.PACKET_LOSS))
            return corr
        latency = self._link_latency.get(link, self.latency_ms)
        if isinstance(message, ConsumerGroupHeartbeatResponse) and dst in self.consumers \
                and (message.assignment is not None or message.error_code is not ErrorCode.NONE):
            group = self.consumers[dst].group_id
            self._news_in_flight[group] = self._news_in_flight.get(group, 0) + 1
        self._push(now + latency, "deliver", (src, dst, message, corr, now))
        return corr

    def _on_deliver(self, src: str, dst: str, message: Any, corr: int, sent_at: int) -> None:
        self._record(ev.MessageDelivered(self.now, src, dst, message, corr, sent_at))
        if dst.startswith("broker-"):
            node = int(dst.split("-", 1)[1])
            broker = self.cluster.broker(node)
            consumer = self.consumers[src]
            if not broker.up:
                # Connection refused: the client learns at once (after one latency).
                self._push(self.now + self.latency_ms, "call",
                           lambda w, c=consumer, k=corr: (c.on_disconnect(k, w.now), w._reschedule(c)))
                return
            if isinstance(message, FindCoordinatorRequest):
                self._send(dst, src, self.cluster.handle_find_coordinator(message), self.now, corr)
                return
            replies = self.coordinators[node].handle(message, (src, corr), self.now)
            self._sync_coordinator_trace(node)
            self._deliver_replies(node, replies)
            self._reschedule(("broker", node))
        else:
            consumer = self.consumers.get(dst)
            if consumer is None:
                return
            if isinstance(message, ConsumerGroupHeartbeatResponse) and \
                    (message.assignment is not None or message.error_code is not ErrorCode.NONE):
                self._news_in_flight[consumer.group_id] -= 1
            consumer.on_response(corr, message, self.now)
            self._refresh(consumer)
            self._reschedule(consumer)

    def _deliver_replies(self, node: int, replies) -> None:
        src = self.broker_name(node)
        for reply in replies:
            consumer_name, request_corr = reply.origin
            self._send(src, consumer_name, reply.response, self.now, request_corr)

    # ------------------------------------------------------------------ trace

    def _record(self, event) -> None:
        if self._tracing:
            self.trace.append(event)

    def _sync_coordinator_trace(self, node: int) -> None:
        if not self._tracing:
            return
        coord_trace = self.coordinators[node].trace
        pos = self._coord_trace_pos[node]
        for e in coord_trace[pos:]:
            self.trace.append(ev.CoordinatorEvent(e.at, node, e))
        self._coord_trace_pos[node] = len(coord_trace)

    def _processed(self, now: int, consumer: str, tp: TopicPartition, first: int, last: int) -> None:
        for off in range(first, last + 1):
            key = (tp[0], tp[1], off)
            self.processed[key] = self.processed.get(key, 0) + 1
        self._record(ev.RecordsProcessed(now, consumer, tp[0], tp[1], first, last))

    # ------------------------------------------------------------------ what Kafka would log and measure

    def logs(self, *names: str) -> list[str]:
        """The Java consumer log lines of this run so far (of ``names``, default all): see
        :func:`kafkalab.sim.logs.consumer_log`; ``kafkalab.trace.read_log`` reads them back."""
        return consumer_log(self, names or None)

    def broker_logs(self, broker: Optional[int] = None, group: Optional[str] = None) -> list[str]:
        """The brokers' group coordinator log lines of this run so far (:func:`kafkalab.sim.logs.broker_log`)."""
        return broker_log(self, broker, group)

    def metrics(self, name: str, at: Optional[int] = None) -> dict[str, float]:
        """Consumer ``name``'s metrics by Kafka's names, measured now or at ``at`` (:mod:`kafkalab.sim.metrics`)."""
        return consumer_metrics(self.consumers[name], at)

    def metrics_series(self, name: str, names: Sequence[str] = (), *, every_ms: int = 5_000) -> dict[str, Any]:
        """Consumer ``name``'s metrics scraped every ``every_ms`` from 0 to now (:func:`kafkalab.sim.metrics.metrics_series`)."""
        return metrics_series(self.consumers[name], names or tuple(_METRIC_NAMES), every_ms=every_ms)

    def duplicates(self) -> int:
        """How many record deliveries were repeats (processed more than once)."""
        return sum(n - 1 for n in self.processed.values() if n > 1)
