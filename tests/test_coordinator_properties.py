"""Property-based tests: random schedules of model Java consumers (and rogues) against the Coordinator.

A schedule starts 2-8 model consumers (:mod:`model_client`, written from docs/classic-protocol.md §12:
MEMBER_ID_REQUIRED retry, range-assigning leader, heartbeats, rejoin on REBALANCE_IN_PROGRESS /
ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID), dynamic and static, with JoinGroup versions 0-9, then runs
a list of actions on a virtual clock: time advances (which fire coordinator timers, heartbeats,
request timeouts and the end of pauses), starts, crashes (a member stops sending anything),
pauses (it stops, then resumes and reads what arrived meanwhile), LeaveGroup (v1/v3) on close,
restarts (a static member comes back with an empty member id: static replacement), extra
heartbeats, offset commits, client-requested rejoins (with or without a changed subscription),
and -- in the first property -- rogue requests (stale generations, old or made-up member ids,
random group.instance.ids, unsupported protocols), impostors (a second process with a static
member's group.instance.id), admin removal by instance id, injected
``__consumer_offsets`` write failures and a small ``group.max.size``.

After **every** call into the coordinator, :meth:`model_client.World.check` and friends assert:

* every answer goes to an outstanding request (no origin answered twice), has the right type, and
  carries only codes documented for its API (§3, §6-§10);
* a request without an immediate answer is parked on a member; a parked JoinGroup/SyncGroup later
  gets its answer, or is dropped as Kafka drops it (superseded by the same member's next one, or a
  SyncGroup whose member left); ``drain()`` at the end checks nothing stays unanswered;
* no partition is stored for two members (all stored assignments come from one generation's write),
  and no two running clients of the same generation own the same partition;
* the generation never decreases; the leader is a member; ``num_awaiting_join`` counts the members
  with a parked JoinGroup; every StateChanged is a row of ``TRANSITIONS`` (or the join phase ending
  in Empty) and they chain;
* Stable means the stored assignments are exactly what the leader's accepted SyncGroup sent;
* PreparingRebalance always has a join timer, CompletingRebalance a pending-sync timer, and every
  member not parked (and every pending member id) a session timer, so nothing is stuck forever;
* ``next_deadline()`` never lies: ``on_timer`` before it does nothing, at it something fires.

The second property has no rogues: once the last pause is over and time runs on, the group must
converge to Stable with exactly the running clients, each owning its range of every subscribed
partition.

Runs: 300 + 250 generated schedules (``max_examples``); the CI profile (tests/conftest.py)
derandomizes them.
"""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkalab import CoordinatorConfig
from kafkalab.classic.state import TRANSITIONS, Trigger
from model_client import ClientSpec, World

INT32_MAX = 2_147_483_647

DURATIONS = [100, 500, 1_000, 2_500, 3_000, 5_000, 10_000, 30_000, 60_000]
PAUSES = [2_000, 8_000, 40_000]
POLL_DELAYS = [0, 0, 500, 2_000]
MAX_STEPS = 60


# ---------------------------------------------------------------------------- strategies

def actions(rogue: bool):
    idx = st.integers(0, 7)
    advance = st.tuples(st.just("advance"), st.sampled_from(DURATIONS))
    choices = [
        advance, advance, advance, advance,
        st.tuples(st.just("start"), idx),
        st.tuples(st.just("crash"), idx),
        st.tuples(st.just("pause"), idx, st.sampled_from(PAUSES)),
        st.tuples(st.just("leave"), idx, st.sampled_from([1, 3])),
        st.tuples(st.just("restart"), idx),
        st.tuples(st.just("heartbeat"), idx),
        st.tuples(st.just("commit"), idx),
        st.tuples(st.just("rejoin"), idx, st.booleans()),
    ]
    if rogue:
        rogue_request = st.tuples(st.just("rogue"), st.integers(0, 4), st.integers(0, 40), st.integers(0, 4),
                                  st.integers(0, 8), st.integers(0, 47))
        choices += [
            rogue_request, rogue_request,
            st.tuples(st.just("impostor"), idx, st.integers(0, 3)),
            st.tuples(st.just("admin_remove"), idx),
            st.tuples(st.just("write_error"), st.integers(0, 2)),
        ]
    return st.one_of(*choices)


@st.composite
def client_specs(draw):
    n = draw(st.integers(2, 8))
    specs = []
    for i in range(n):
        static = draw(st.booleans())
        version = draw(st.sampled_from([5, 7, 9] if static else [0, 1, 3, 4, 5, 7, 9]))
        specs.append(ClientSpec(
            name=f"c{i}", instance_id=f"instance-{i}" if static else None, join_version=version,
            session_timeout_ms=draw(st.sampled_from([6_000, 10_000, 30_000])),
            rebalance_timeout_ms=draw(st.sampled_from([5_000, 15_000, 30_000])),
            heartbeat_interval_ms=draw(st.sampled_from([2_000, 3_000])),
            topics=draw(st.sampled_from([("t0", "t1"), ("t0",), ("t1",)])),
            poll_delay_ms=draw(st.sampled_from(POLL_DELAYS))))
    return specs


@st.composite
def schedules(draw, rogue: bool):
    specs = draw(client_specs())
    config = CoordinatorConfig(
        group_initial_rebalance_delay_ms=draw(st.sampled_from([0, 3_000])),
        new_member_join_timeout_ms=draw(st.sampled_from([300_000, 20_000])),
        group_max_size=draw(st.sampled_from([INT32_MAX, INT32_MAX, 3])) if rogue else INT32_MAX)
    # Usually some clients start at t=0; with none, the schedule's own actions start them (and a
    # write error injected before the first JoinGroup makes the group's creation fail, §6.1.5).
    initial = draw(st.lists(st.integers(0, len(specs) - 1), min_size=0, max_size=len(specs), unique=True))
    steps = draw(st.lists(actions(rogue), min_size=5, max_size=MAX_STEPS))
    return config, specs, initial, steps


# ---------------------------------------------------------------------------- running a schedule

def start(config, specs, initial) -> World:
    world = World(config, specs)
    for i in initial:
        world.clients[i].start(world)
    world.pump()
    return world


def settle(world: World, limit_ms: int = 600_000) -> None:
    """Let the last pauses end, then run the clock until the group converges."""
    last_pause = max((c.paused_until for c in world.clients if c.paused_until is not None), default=world.now)
    world.advance_to(max(last_pause, world.now))
    end = world.now + limit_ms
    while not world.converged():
        assert world.now < end, (
            f"no convergence after {limit_ms} ms: state {world.state}, clients "
            f"{[(c.name, c.status, c.state, c.generation, c.fatal_error) for c in world.clients]}\n"
            f"{world.trace_tail()}")
        world.advance(1_000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schedules(rogue=True))
def test_invariants_hold_at_every_step_with_rogue_requests(schedule):
    config, specs, initial, steps = schedule
    world = start(config, specs, initial)
    for action in steps:
        world.run(action)
    world.drain()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schedules(rogue=False))
def test_well_behaved_clients_converge_to_stable(schedule):
    config, specs, initial, steps = schedule
    world = start(config, specs, initial)
    for action in steps:
        world.run(action)
    settle(world)
    world.drain()


# ---------------------------------------------------------------------------- the model reaches everything

def random_schedule(rng: random.Random, rogue: bool):
    """The same vocabulary as :func:`schedules`, from a seeded ``random.Random``."""
    n = rng.randint(2, 8)
    specs = []
    for i in range(n):
        static = rng.random() < 0.5
        specs.append(ClientSpec(
            f"c{i}", f"instance-{i}" if static else None,
            rng.choice([5, 7, 9] if static else [0, 1, 3, 4, 5, 7, 9]),
            rng.choice([6_000, 10_000, 30_000]), rng.choice([5_000, 15_000, 30_000]),
            rng.choice([2_000, 3_000]), rng.choice([("t0", "t1"), ("t0",), ("t1",)]),
            rng.choice(POLL_DELAYS)))
    config = CoordinatorConfig(
        group_initial_rebalance_delay_ms=rng.choice([0, 3_000]),
        new_member_join_timeout_ms=rng.choice([300_000, 20_000]),
        group_max_size=rng.choice([INT32_MAX, INT32_MAX, 3]) if rogue else INT32_MAX)
    initial = rng.sample(range(n), rng.randint(0, n))
    kinds = ["advance"] * 4 + ["start", "crash", "pause", "leave", "restart", "heartbeat", "commit", "rejoin"]
    if rogue:
        kinds += ["rogue", "rogue", "impostor", "admin_remove", "write_error"]
    steps = []
    for _ in range(rng.randint(5, MAX_STEPS)):
        kind = rng.choice(kinds)
        i = rng.randint(0, 7)
        steps.append({
            "advance": lambda: ("advance", rng.choice(DURATIONS)),
            "pause": lambda: ("pause", i, rng.choice(PAUSES)),
            "leave": lambda: ("leave", i, rng.choice([1, 3])),
            "rejoin": lambda: ("rejoin", i, rng.random() < 0.5),
            "rogue": lambda: ("rogue", rng.randint(0, 4), rng.randint(0, 40), rng.randint(0, 4),
                              rng.randint(0, 8), rng.randint(0, 47)),
            "write_error": lambda: ("write_error", rng.randint(0, 2)),
            "impostor": lambda: ("impostor", i, rng.randint(0, 3)),
        }.get(kind, lambda: (kind, i))())
    return config, specs, initial, steps


def test_the_model_reaches_every_state_and_transition():
    """The schedules are only worth their invariants if they reach every state and every transition a
    request or a timer can cause (loading and unloading are out of this test's scope)."""
    seen: Counter = Counter()
    rng = random.Random(20241025)
    for i in range(300):
        config, specs, initial, steps = random_schedule(rng, rogue=i % 2 == 0)
        world = start(config, specs, initial)
        for action in steps:
            world.run(action)
        if i % 2:
            settle(world)
        world.drain()
        seen.update(world.stats.transitions)
    reached = {(old, trigger) for old, trigger, _new in seen}
    wanted = {(old.value if old else None, trigger.name) for old, trigger in TRANSITIONS
              if trigger not in (Trigger.GROUP_LOADED, Trigger.UNLOADED, Trigger.GROUP_DOWNGRADED)}
    missing = wanted - reached
    assert not missing, f"never reached: {sorted(missing, key=str)}"
    assert ("PreparingRebalance", "JOIN_COMPLETED", "Empty") in seen
