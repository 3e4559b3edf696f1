"""One-call scenarios: a group, its consumers and a list of incidents, run deterministically.

``run_scenario`` is what the course's "what if" controls call: change one knob (the assignor, a
timeout, when a consumer crashes) and run again; the same arguments give the same trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..config import CoordinatorConfig
from ..trace import StateChanged
from . import events as ev
from .world import World

#: Incident kinds and what they do to a consumer.
INCIDENTS = {
    "crash": "the process dies (no LeaveGroup)",
    "close": "consumer.close(): LeaveGroup for dynamic members",
    "restart": "a new process starts with the same config",
    "pause": "both threads freeze for `ms` (a long GC pause)",
    "stall": "the next batch takes `ms` longer to process",
    "join": "a new consumer with this name joins",
}


@dataclass(frozen=True)
class Incident:
    """Something that happens to consumer ``consumer`` at virtual time ``at`` ms."""

    kind: str
    consumer: str
    at: int
    ms: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INCIDENTS:
            raise ValueError(f"unknown incident {self.kind!r}; choose one of {sorted(INCIDENTS)}")
        if isinstance(self.at, bool) or not isinstance(self.at, int) or self.at < 0:
            raise ValueError(f"incident time must be an int >= 0 (ms), got {self.at!r}")
        if self.kind in ("pause", "stall") and (not isinstance(self.ms, int) or self.ms <= 0):
            raise ValueError(f"a {self.kind} needs a duration ms > 0, got {self.ms!r}")


@dataclass(frozen=True)
class Scenario:
    consumers: int = 3
    partitions: int = 6
    topics: Sequence[str] = ("orders",)
    assignor: Sequence[str] = ("range",)
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    processing_ms: int = 100
    static: bool = False
    initial_rebalance_delay_ms: int = 3_000
    incidents: Sequence[Incident] = field(default_factory=tuple)
    run_ms: int = 60_000
    seed: int = 0


def run_scenario(scenario: Optional[Scenario] = None, **overrides) -> World:
    """Build and run a scenario; return the world (its trace, assignments, ...).

    Raises:
        ValueError: a bad count, timeout or incident, with a message saying what is allowed.
    """
    s = scenario or Scenario()
    if overrides:
        s = Scenario(**{**s.__dict__, **overrides})
    if not 1 <= s.consumers <= 200:
        raise ValueError(f"consumers must be between 1 and 200, got {s.consumers}")
    if not 1 <= s.partitions <= 10_000:
        raise ValueError(f"partitions must be between 1 and 10000, got {s.partitions}")
    if s.run_ms <= 0:
        raise ValueError(f"run_ms must be > 0, got {s.run_ms}")
    assignor = [s.assignor] if isinstance(s.assignor, str) else list(s.assignor)
    world = World(topics={t: s.partitions for t in s.topics}, seed=s.seed,
                  config=CoordinatorConfig(group_initial_rebalance_delay_ms=s.initial_rebalance_delay_ms))
    config = dict(session_timeout_ms=s.session_timeout_ms, heartbeat_interval_ms=s.heartbeat_interval_ms,
                  max_poll_interval_ms=s.max_poll_interval_ms, processing_ms=s.processing_ms,
                  partition_assignment_strategy=assignor)

    def make(name: str, at: Optional[int] = None) -> None:
        extra = {"group_instance_id": f"{name}-instance"} if s.static else {}
        world.consumer(name, "group", list(s.topics), start_at=at, **config, **extra)

    for i in range(s.consumers):
        make(f"c{i + 1}")
    for inc in sorted(s.incidents, key=lambda i: i.at):
        if inc.kind == "join":
            make(inc.consumer, inc.at)
            continue
        if inc.consumer not in world.consumers and not any(
                j.kind == "join" and j.consumer == inc.consumer for j in s.incidents):
            raise ValueError(f"incident on unknown consumer {inc.consumer!r}; "
                             f"the consumers are {sorted(world.consumers)}")
        world.at(inc.at, _action(inc))
    world.run(until=s.run_ms)
    return world


def _action(inc: Incident):
    def act(world: World) -> None:
        c = world.consumers[inc.consumer]
        if inc.kind == "crash":
            world.crash(c.name)
        elif inc.kind == "close":
            world.close(c.name)
        elif inc.kind == "restart":
            world.restart(c.name)
        elif inc.kind == "pause":
            world.pause(c.name, inc.ms)
        elif inc.kind == "stall":
            c.stall(inc.ms)
    return act


def summary(world: World, group: str = "group") -> dict:
    """Numbers a learner compares between runs: rebalances, generation, unowned time, final owners."""
    rebalances = sum(1 for e in world.trace if isinstance(e, ev.CoordinatorEvent)
                     and isinstance(e.event, StateChanged) and e.event.new.value == "PreparingRebalance")
    d = world.describe(group)
    return {
        "rebalances": rebalances,
        "generation": d.get("generation_id"),
        "state": d.get("state"),
        "members": len(d.get("members", [])),
        "assignment": {k: v for k, v in world.assignments(group).items()},
    }
