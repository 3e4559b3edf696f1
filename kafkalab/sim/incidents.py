"""Rebalance incidents to diagnose from logs and metrics alone, each with its cause and fix as data.

How it works
------------
Each incident is a small, seeded :class:`~kafkalab.sim.world.World` script that goes wrong the way
production groups do.  :func:`run` plays it and returns an :class:`IncidentRun`: the world (so
``incident.logs()``, ``incident.broker_logs()`` and ``incident.metrics(name)`` give what an
engineer on call would have: Kafka's log lines and the consumers' metrics), the consumers worth
looking at, the cause (a key of :data:`CAUSES`) and the fix (consumer configs, as data).  Passing
``fix=incident.fix`` (or your own configs) plays the same script again with those configs, so a fix
is checked by running it, not by comparing text.

=====================================  ====================================  =============================
incident                                cause                                 fix (configs)
=====================================  ====================================  =============================
``slow-processing``                     ``poll-loop-too-slow``                ``max_poll_interval_ms``
``shared-group-id``                     ``group-id-shared-by-two-apps``       ``group`` of the other app
``flapping-member``                     ``heartbeats-lost-on-the-network``    ``session_timeout_ms``
``duplicate-instance-id``               ``duplicate-group-instance-id``       a unique ``group_instance_id``
``gc-pauses``                           ``pauses-longer-than-session-timeout``  ``session_timeout_ms``
``coordinator-moved``                   ``coordinator-moved``                 none needed
``no-common-assignor``                  ``no-common-assignor``                the first bounce's assignors
=====================================  ====================================  =============================

The first four are the course notebook's (``notebooks/11-diagnosing-rebalances.ipynb``); the
others are its exercises'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .. import trace as tr
from ..classic.state import GroupState
from . import events as ev
from .logs import broker_log, consumer_log
from .metrics import consumer_metrics, metrics_series
from .world import World

__all__ = ["CAUSES", "INCIDENTS", "IncidentRun", "Evidence", "run", "evidence", "rebalances"]

#: Every cause an incident can have: key -> what it is.
CAUSES: dict[str, str] = {
    "poll-loop-too-slow": "processing one batch takes longer than max.poll.interval.ms, so the consumer leaves the "
                          "group itself and rejoins at its next poll()",
    "group-id-shared-by-two-apps": "two applications use the same group.id, so every deploy of one rebalances the "
                                   "other",
    "heartbeats-lost-on-the-network": "a member's network link to the coordinator drops out for longer than "
                                      "session.timeout.ms, so it is removed while it keeps working, and rejoins, "
                                      "again and again",
    "duplicate-group-instance-id": "two processes run with the same group.instance.id, so each join of one fences "
                                   "the other",
    "pauses-longer-than-session-timeout": "the process stops for longer than session.timeout.ms (GC, a frozen "
                                          "container), so the coordinator removes a member that is still alive",
    "coordinator-moved": "the broker leading the group's __consumer_offsets partition went away and another "
                         "broker took over as coordinator",
    "no-common-assignor": "members list partition assignors with none in common, so the newcomers' JoinGroup is "
                          "refused with INCONSISTENT_GROUP_PROTOCOL",
}

GROUP = "orders-app"


@dataclass
class IncidentRun:
    """One incident as played: its world and what diagnosing it needs.

    Attributes:
        key: the incident's name (a key of :data:`INCIDENTS`).
        title: one line saying what the on-call engineer saw.
        world: the world, run to ``end_ms``.
        group: the consumer group in trouble.
        consumers: the consumers whose logs and metrics are worth reading, in order.
        cause: a key of :data:`CAUSES`.
        fix: consumer name -> configs that fix it (``{}``: nothing to fix); ``"*"`` means every
            consumer of the group.
        fix_text: the fix in a sentence.
        fixed: whether this run applied a fix.
        warmup_ms: when the group was first stable; rebalances are counted after it.
    """

    key: str
    title: str
    world: World
    group: str
    consumers: tuple[str, ...]
    cause: str
    fix: dict[str, dict[str, Any]]
    fix_text: str
    fixed: bool = False
    warmup_ms: int = 0
    notes: dict[str, Any] = field(default_factory=dict)
    #: What goes wrong, to count: "rebalances" after the warm-up, or "fatal-errors" (consumers that
    #: stopped with an error).
    symptom: str = "rebalances"

    def logs(self, *names: str) -> list[str]:
        """The Java consumers' log lines (of ``names``, default :attr:`consumers`)."""
        return consumer_log(self.world, names or self.consumers)

    def broker_logs(self) -> list[str]:
        """The brokers' group coordinator lines about :attr:`group`."""
        return broker_log(self.world, group=self.group)

    def metrics(self, name: str, at: Optional[int] = None) -> dict[str, float]:
        return consumer_metrics(self.world.consumers[name], at)

    def series(self, name: str, names: tuple[str, ...], every_ms: int = 10_000) -> dict[str, Any]:
        return metrics_series(self.world.consumers[name], names, every_ms=every_ms)

    def rebalances(self) -> int:
        """How many rebalances the coordinator started for :attr:`group` after the warm-up."""
        return rebalances(self.world, self.group, self.warmup_ms)

    def fatal_errors(self) -> int:
        """How many times a consumer stopped with a fatal error."""
        return sum(1 for e in self.world.trace if isinstance(e, ev.FatalError))

    def problems(self) -> int:
        """How often the incident's symptom happened (0: the fix worked)."""
        return self.fatal_errors() if self.symptom == "fatal-errors" else self.rebalances()


def rebalances(world: World, group: str, after_ms: int = 0) -> int:
    """The number of times ``group`` went to PreparingRebalance after ``after_ms`` (from the
    coordinators' records)."""
    return sum(1 for e in world.trace
               if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, tr.StateChanged)
               and e.event.group_id == group and e.event.new is GroupState.PREPARING_REBALANCE
               and e.event.at > after_ms)


def _config(fix: Optional[dict], name: str, base: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    if fix:
        out.update(fix.get("*", {}))
        out.update(fix.get(name, {}))
    return out


def _supervise(world: World, names: tuple[str, ...], every_ms: int, until_ms: int, start_ms: int = 0) -> None:
    """A process supervisor (Kubernetes, systemd): restart a failed consumer ``every_ms`` after it
    failed, as checked every ``every_ms``."""
    def check(w: World) -> None:
        for n in names:
            if w.consumers[n].status == "failed":
                w.restart(n)
    t = start_ms + every_ms
    while t <= until_ms:
        world.at(t, check)
        t += every_ms


# ---------------------------------------------------------------------------- the notebook's incidents

def slow_processing(fix: Optional[dict] = None) -> IncidentRun:
    """Three consumers; now and then a batch needs a slow downstream call (320 s)."""
    world = World(topics={"orders": (6, 1_000)}, produce_rate=20, seed=11)
    slow = {"c1": 1_200, "c2": 2_000, "c3": 2_900}

    def processing(first_slow: int) -> Callable[[int], int]:
        return lambda n: 320_000 if n % 3_000 == first_slow else 100
    for name, first in slow.items():
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {"processing_ms": processing(first)}))
    warm = world.run_until_stable(GROUP)
    world.run(until=1_800_000)
    return IncidentRun("slow-processing", "the orders consumers rebalance every few minutes; lag grows", world, GROUP,
                    ("c1", "c2", "c3"), "poll-loop-too-slow", {"*": {"max_poll_interval_ms": 600_000}},
                    "make max.poll.interval.ms longer than the slowest batch (600000 ms > 320 s), or make the slow "
                    "batches faster / smaller (max.poll.records)", bool(fix), warm)


def shared_group_id(fix: Optional[dict] = None) -> IncidentRun:
    """The orders app (a1, a2) and the payments app (b1, b2) were both configured with the same
    group.id; the payments team deploys (a rolling restart) at 60 s."""
    world = World(topics={"orders": (6, 1_000), "payments": (4, 1_000)}, produce_rate=10, seed=12)
    for name in ("a1", "a2"):
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {}))
    for name in ("b1", "b2"):
        cfg = _config(fix, name, {})
        group = cfg.pop("group", GROUP)
        world.consumer(name, group, ["payments"], **cfg)
    warm = world.run_until_stable(GROUP)
    for i, name in enumerate(("b1", "b2")):
        world.at(60_000 + i * 30_000, lambda w, n=name: w.close(n))
        world.at(70_000 + i * 30_000, lambda w, n=name: w.restart(n))
    world.run(until=240_000)
    return IncidentRun("shared-group-id", "the orders consumers rebalanced four times in two minutes, with no deploy "
                    "of orders", world, GROUP, ("a1", "a2"), "group-id-shared-by-two-apps",
                    {"b1": {"group": "payments-app"}, "b2": {"group": "payments-app"}},
                    "give each application its own group.id (payments-app for the payments consumers)", bool(fix), warm)


def flapping_member(fix: Optional[dict] = None) -> IncidentRun:
    """c3's network link to the coordinator drops out for 12 s every 150 s (a flaky switch port);
    someone had lowered session.timeout.ms to 10 s "to detect failures faster"."""
    world = World(topics={"orders": (6, 1_000)}, produce_rate=10, seed=13)
    for name in ("c1", "c2", "c3"):
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {"session_timeout_ms": 10_000}))
    warm = world.run_until_stable(GROUP)
    t = 60_000
    while t < 900_000:
        world.at(t, lambda w: w.partition_network("c3", "broker-0"))
        world.at(t + 12_000, lambda w: w.heal_network("c3", "broker-0"))
        t += 150_000
    world.run(until=900_000)
    return IncidentRun("flapping-member", "one consumer keeps leaving and rejoining; the whole group pauses each time",
                    world, GROUP, ("c1", "c2", "c3"), "heartbeats-lost-on-the-network",
                    {"*": {"session_timeout_ms": 45_000}},
                    "fix the network; meanwhile a session timeout longer than the outages (Kafka's default "
                    "45000 ms) keeps the member in the group", bool(fix), warm)


def duplicate_instance_id(fix: Optional[dict] = None) -> IncidentRun:
    """Three static consumers orders-1..3; at 60 s a fourth process starts with a copied config, so
    also with group.instance.id orders-2.  A supervisor restarts failed processes after 20 s."""
    world = World(topics={"orders": (6, 1_000)}, produce_rate=10, seed=14)
    for i in (1, 2, 3):
        name = f"s{i}"
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {"group_instance_id": f"orders-{i}"}))
    warm = world.run_until_stable(GROUP)
    world.consumer("s4", GROUP, ["orders"], start_at=60_000, **_config(fix, "s4", {"group_instance_id": "orders-2"}))
    _supervise(world, ("s1", "s2", "s3", "s4"), 20_000, 600_000, start_ms=60_000)
    world.run(until=600_000)
    return IncidentRun("duplicate-instance-id", "a scaled-up static group keeps losing a consumer, which restarts and "
                    "knocks out another", world, GROUP, ("s2", "s4"), "duplicate-group-instance-id",
                    {"s4": {"group_instance_id": "orders-4"}},
                    "give every process its own group.instance.id (from the pod or host name, not a copied config)",
                    bool(fix), warm, symptom="fatal-errors")


# ---------------------------------------------------------------------------- the exercises' incidents

def gc_pauses(fix: Optional[dict] = None) -> IncidentRun:
    """c2's JVM stops for 15 s every 2 minutes (full GCs); session.timeout.ms is 10 s."""
    world = World(topics={"orders": (6, 1_000)}, produce_rate=10, seed=15)
    for name in ("c1", "c2", "c3"):
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {"session_timeout_ms": 10_000}))
    warm = world.run_until_stable(GROUP)
    t = 60_000
    while t < 720_000:
        world.at(t, lambda w: w.pause("c2", 15_000))
        t += 120_000
    world.run(until=720_000)
    return IncidentRun("gc-pauses", "the group rebalances every two minutes; one consumer is named each time", world,
                    GROUP, ("c1", "c2", "c3"), "pauses-longer-than-session-timeout",
                    {"*": {"session_timeout_ms": 45_000}},
                    "a session timeout longer than the longest pause (45000 ms), and shorter GC pauses", bool(fix), warm)


def coordinator_moved(fix: Optional[dict] = None) -> IncidentRun:
    """Three brokers; the one coordinating the group is restarted at 60 s and back at 120 s."""
    world = World(topics={"orders": (6, 1_000)}, brokers=3, produce_rate=10, seed=16)
    for name in ("c1", "c2", "c3"):
        world.consumer(name, GROUP, ["orders"], **_config(fix, name, {}))
    warm = world.run_until_stable(GROUP)
    node = world.cluster.coordinator_for(GROUP)
    assert node is not None
    world.at(60_000, lambda w: w.fail_broker(node.node_id))
    world.at(120_000, lambda w: w.restore_broker(node.node_id))
    world.run(until=240_000)
    return IncidentRun("coordinator-moved", "every consumer logged that its group coordinator was unavailable", world,
                    GROUP, ("c1", "c2", "c3"), "coordinator-moved", {},
                    "nothing to fix in the consumers: they found the new coordinator and the group did not rebalance",
                    bool(fix), warm)


def no_common_assignor(fix: Optional[dict] = None) -> IncidentRun:
    """Three consumers with ["range"]; a rolling deploy (30 s apart, from 60 s) switches them to
    ["cooperative-sticky"] in one go.  A supervisor restarts failed processes after 20 s."""
    world = World(topics={"orders": (6, 1_000)}, produce_rate=10, seed=17)
    names = ("c1", "c2", "c3")
    for name in names:
        world.consumer(name, GROUP, ["orders"], partition_assignment_strategy=["range"])
    warm = world.run_until_stable(GROUP)
    strategy = list(_config(fix, "*", {"partition_assignment_strategy": ["cooperative-sticky"]})
                    ["partition_assignment_strategy"])
    for i, name in enumerate(names):
        world.at(60_000 + i * 30_000, lambda w, n=name: (w.close(n), w.restart(n, partition_assignment_strategy=strategy)))
    _supervise(world, names, 20_000, 360_000, start_ms=60_000)
    world.run(until=360_000)
    return IncidentRun("no-common-assignor", "during a rolling deploy the new instances crash at start-up, again and "
                    "again", world, GROUP, ("c1", "c2"), "no-common-assignor",
                    {"*": {"partition_assignment_strategy": ["cooperative-sticky", "range"]}},
                    "deploy in two bounces: first list both assignors (cooperative-sticky, range), then drop range",
                    bool(fix), warm, {"strategy": strategy}, symptom="fatal-errors")


#: Every incident by key.
INCIDENTS: dict[str, Callable[..., IncidentRun]] = {
    "slow-processing": slow_processing,
    "shared-group-id": shared_group_id,
    "flapping-member": flapping_member,
    "duplicate-instance-id": duplicate_instance_id,
    "gc-pauses": gc_pauses,
    "coordinator-moved": coordinator_moved,
    "no-common-assignor": no_common_assignor,
}


class Evidence:
    """What an engineer on call gets: an incident's title, its consumers' and brokers' log lines and
    the consumers' metrics, and nothing of its cause or fix (for exercises)."""

    def __init__(self, incident: IncidentRun) -> None:
        self._incident = incident
        self.title = incident.title
        self.group = incident.group
        self.consumers = incident.consumers

    def logs(self, *names: str) -> list[str]:
        """The Java consumers' log lines (of ``names``, default :attr:`consumers`)."""
        return self._incident.logs(*names)

    def broker_logs(self) -> list[str]:
        """The brokers' group coordinator lines about :attr:`group`."""
        return self._incident.broker_logs()

    def metrics(self, name: str, at: Optional[int] = None) -> dict[str, float]:
        """Consumer ``name``'s metrics by Kafka's names, at the end or at virtual time ``at`` (ms)."""
        return self._incident.metrics(name, at)

    def plot(self, names: tuple[str, ...] = ("rebalance-total", "time-between-poll-max"), every_ms: int = 10_000,
             consumers: Optional[tuple[str, ...]] = None) -> Any:
        """The consumers' metrics over time (:func:`kafkalab.viz.metrics_plot`)."""
        from ..viz.metricsplot import metrics_plot  # matplotlib loads only for a picture
        return metrics_plot(self._incident.world, consumers or self.consumers, names, every_ms=every_ms,
                            title=self.title)


def evidence(key: str) -> Evidence:
    """Play incident ``key`` and keep only what its logs and metrics show (:class:`Evidence`)."""
    return Evidence(run(key))


def run(key: str, fix: Optional[dict] = None) -> IncidentRun:
    """Play incident ``key``; with ``fix`` (consumer name or ``"*"`` -> configs), play it with those
    configs.

    Raises:
        ValueError: an unknown incident, or a fix that is not a dict of dicts of configs (an unknown
            config name says which names are valid).
    """
    if key not in INCIDENTS:
        raise ValueError(f"no incident {key!r}; incidents: {', '.join(INCIDENTS)}")
    if fix is not None and (not isinstance(fix, dict) or not all(isinstance(v, dict) for v in fix.values())):
        raise ValueError("a fix maps a consumer name (or \"*\" for all) to a dict of consumer configs, e.g. "
                         "{\"*\": {\"session_timeout_ms\": 45000}}")
    return INCIDENTS[key](fix)
