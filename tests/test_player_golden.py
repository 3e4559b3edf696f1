"""The player's sentences for the course's lesson scenarios, against reviewed golden files.

Where a sentence is itself the lesson (why a member was removed, why a rebalance started), the
test is the whole text: each scenario's steps are written one per line as
``index  at ms  kind  actor: sentence`` and compared with ``tests/golden/player_sentences_<name>.txt``.

When a change improves a sentence on purpose, regenerate the files and review the diff before
committing it::

    KAFKALAB_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_player_golden.py

(the run that rewrites the files fails, so an update is never silent).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from kafkalab import Coordinator, CoordinatorConfig
from kafkalab.messages import (
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    LeaveGroupRequest,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from kafkalab.consumer_protocol import encode_assignment, encode_subscription
from kafkalab.sim import World
from kafkalab.viz import build_steps
from kafkalab.viz.wiretrace import wire_steps
from kafkalab.wire.broker import Origin

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KAFKALAB_UPDATE_GOLDEN") == "1"


# ---------------------------------------------------------------------- lesson scenarios

def join_then_close():
    """00/01/02: three eager range consumers form a group; c2 closes; 20 s of heartbeats."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.close("c2")
    world.run_until_stable("g")
    world.run(for_ms=20_000)
    return world


def staggered_joins():
    """02: consumers start 2 s apart, inside the initial rebalance delay, which is extended."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], stagger_ms=2_000)
    world.run(until=4_000)
    world.run_until_stable("g")
    return world


def leader_leaves():
    """03: the leader closes; leadership passes on."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"])
    world.run_until_stable("g")
    world.run(until=10_000)
    world.close("c1")
    world.run_until_stable("g")
    return world


def crash():
    """05: c2 crashes; the coordinator removes it when its session times out."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(until=20_000)
    world.crash("c2")
    world.run_until_stable("g")
    return world


def poll_timeout():
    """05: c2's batch outlasts max.poll.interval.ms; its heartbeat thread leaves the group."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], max_poll_interval_ms=30_000)
    world.run_until_stable("g")
    world.run(until=20_000)
    world["c2"].stall(45_000)
    world.run(until=80_000)
    return world


def pause():
    """05: c2 freezes for 12 s with a 10 s session: removed, then back as a new member."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], session_timeout_ms=10_000)
    world.run_until_stable("g")
    world.run(until=20_000)
    world.pause("c2", 12_000)
    world.run(until=60_000)
    return world


def static_bounce():
    """07: static s1, s2; s2 closes (no LeaveGroup) and comes back 5 s later."""
    world = World(topics={"orders": 4})
    for name, iid in (("s1", "i-1"), ("s2", "i-2")):
        world.consumer(name, group="g", topics=["orders"], group_instance_id=iid,
                       partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=5_000)
    world.close("s2")
    world.run(for_ms=5_000)
    world.restart("s2")
    world.run_until_stable("g")
    return world


def static_twin():
    """07: a second process with c2's group.instance.id fences the first."""
    world = World(topics={"orders": 6}, produce_rate=10)
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], session_timeout_ms=30_000, group_instance_id=f"orders-{i}")
    world.run(until=10_000)
    world.consumer("twin", "g", ["orders"], session_timeout_ms=30_000, group_instance_id="orders-2")
    world.run(until=12_000)
    world.close("c2")
    world.run(until=20_000)
    return world


def cooperative_growth():
    """08: cooperative-sticky c1, c2 Stable; c3 joins: revoke first, hand over in a second rebalance."""
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    world.add_consumers(1, group="g", topics=["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    return world


def kicked_out():
    """09: manual commits; c2 stalls past max.poll.interval.ms and its commit fails afterwards."""
    config = dict(enable_auto_commit=False, max_poll_records=10, processing_ms=100, max_poll_interval_ms=10_000,
                  session_timeout_ms=10_000, partition_assignment_strategy=["range"])
    world = World(topics={"orders": (2, 10_000)})
    world.consumer("c1", "g", ["orders"], **config)
    world.consumer("c2", "g", ["orders"], **config)
    world.run_until_stable("g")
    world.run(for_ms=1_000)
    world["c2"].stall(15_000)
    world.run(for_ms=150)
    world.consumer("c3", "g", ["orders"], **config)
    world.run_until_stable("g", timeout_ms=120_000)
    world.run(for_ms=2_000)
    return world


def failover():
    """Coordinator failover: broker-0 fails for good; the group is loaded with its members."""
    world = World(topics={"orders": 6}, brokers=3)
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=5_000)
    world.fail_broker(0)
    world.run(for_ms=16_000)
    return world


def failover_during_initial_delay():
    """Coordinator failover before the first generation: the group is loaded Empty."""
    world = World(topics={"orders": 6}, brokers=3)
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.at(1_000, lambda w: w.fail_broker(0))
    world.run_until_stable("g")
    return world


def coordinator_moves():
    """A controlled leader move: the old coordinator answers NOT_COORDINATOR."""
    world = World(topics={"orders": 4}, brokers=3)
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=4_000)
    world.move_coordinator("g", 1)
    world.run(for_ms=6_000)
    return world


def short_rebalance_timeout():
    """max.poll.interval.ms 500: the initial delay runs in full and is not extended."""
    world = World(topics={"orders": 4})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                        max_poll_interval_ms=500)
    world.run_until_stable("g")
    return world


def partitions_added():
    """06: orders grows from 6 to 9 partitions; the leader notices at its metadata refresh and rejoins."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(until=20_000)
    world.add_partitions("orders", 9)
    world.run_until(lambda w: len([p for ps in w.assignments("g").values() for p in ps]) == 9, timeout_ms=400_000)
    return world


def pattern_new_topic():
    """06: consumers subscribed to a pattern; a matching topic is created; each member's subscription changes."""
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", pattern="orders.*", partition_assignment_strategy=["range"],
                        metadata_max_age_ms=60_000)
    world.run_until_stable("g")
    world.run(until=20_000)
    world.create_topic("orders-eu", 2)
    world.run(until=65_000)
    return world


def subscription_changed():
    """06: a follower drops a topic from its subscription; it rejoins and the group rebalances."""
    world = World(topics={"orders": 4, "payments": 2})
    world.add_consumers(2, group="g", topics=["orders", "payments"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(until=20_000)
    world["c2"].subscribe(["orders"])
    world.run_until_stable("g")
    return world


def close_options():
    """07: KIP-1092: a static member leaves with LEAVE_GROUP, a dynamic one stays with REMAIN_IN_GROUP."""
    world = World(topics={"orders": 6})
    world.consumer("s1", "g", ["orders"], group_instance_id="i1", partition_assignment_strategy=["range"],
                   session_timeout_ms=20_000)
    world.consumer("c2", "g", ["orders"], partition_assignment_strategy=["range"], session_timeout_ms=20_000)
    world.consumer("c3", "g", ["orders"], partition_assignment_strategy=["range"], session_timeout_ms=20_000)
    world.run_until_stable("g")
    world.run(until=10_000)
    world.close("s1", membership="LEAVE_GROUP")
    world.run_until_stable("g")
    world.run(until=20_000)
    world.close("c2", membership="REMAIN_IN_GROUP")
    world.run(until=45_000)
    return world


def wire_two_clients():
    """10: what the player tells of real clients, from the coordinator's trace alone."""
    ids = itertools.count(1)
    coordinator = Coordinator(CoordinatorConfig(group_initial_rebalance_delay_ms=0),
                              new_member_id=lambda client_id: f"{client_id}-{next(ids)}")
    corr = itertools.count(1)
    protocols = (JoinGroupRequestProtocol("range", encode_subscription(["orders"])),)

    def send(conn, request, now):
        return coordinator.handle(request, Origin(conn, next(corr), request.api_version), now)

    def join(conn, member_id, now):
        replies = send(conn, JoinGroupRequest(group_id="g", member_id=member_id, client_id=conn,
                                              session_timeout_ms=10_000, rebalance_timeout_ms=20_000,
                                              protocols=protocols), now)
        return {r.origin.connection: r.response for r in replies}

    a = join("a", "", 0)["a"].member_id
    join("a", a, 0)
    coordinator.on_timer(0)
    send("a", SyncGroupRequest(group_id="g", generation_id=1, member_id=a,
                               assignments=(SyncGroupRequestAssignment(a, encode_assignment([("orders", 0)])),)), 1)
    b = join("b", "", 1_000)["b"].member_id
    join("b", b, 1_000)
    send("a", HeartbeatRequest(group_id="g", generation_id=1, member_id=a), 2_000)
    answers = join("a", a, 2_000)
    plan = {a: [("orders", 0)], b: [("orders", 1)]}
    send("b", SyncGroupRequest(group_id="g", generation_id=2, member_id=b), 2_001)
    send("a", SyncGroupRequest(group_id="g", generation_id=answers["a"].generation_id, member_id=a, assignments=tuple(
        SyncGroupRequestAssignment(m, encode_assignment(tps)) for m, tps in plan.items())), 2_001)
    send("b", LeaveGroupRequest(group_id="g", member_id=b, api_version=1), 5_000)
    coordinator.on_timer(40_000)
    return {0: coordinator.trace}


WORLDS = {f.__name__: f for f in (
    join_then_close, staggered_joins, leader_leaves, crash, poll_timeout, pause, static_bounce, static_twin,
    cooperative_growth, kicked_out, failover, failover_during_initial_delay, coordinator_moves,
    short_rebalance_timeout, partitions_added, pattern_new_topic, subscription_changed, close_options)}


def player_text(name: str) -> str:
    if name == "wire_two_clients":
        steps, _ = wire_steps(wire_two_clients(), "g", heartbeats=True)
    else:
        steps = build_steps(WORLDS[name](), "g")
    return "".join(f"{s.index:>3} {s.at:>7} ms  {s.kind:<12} {s.actor}: {s.sentence}\n" for s in steps)


@pytest.mark.parametrize("name", [*WORLDS, "wire_two_clients"])
def test_player_sentences_match_the_reviewed_golden_file(name):
    path = GOLDEN / f"player_sentences_{name}.txt"
    text = player_text(name)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8")
        assert old == text, f"{path.name} rewritten: review the diff (git diff {path}) and commit it"
    assert path.exists(), f"no golden file {path}; create it with KAFKALAB_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8").splitlines()
    actual = text.splitlines()
    for k, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"{path.name} line {k + 1} differs"
    assert len(actual) == len(expected), f"{path.name}: {len(actual)} steps, golden has {len(expected)}"


def test_a_member_that_left_is_shown_as_left_not_as_stable():
    """10: after a LeaveGroup answered NONE the client's row says so (no generation, no partitions)."""
    steps, _ = wire_steps(wire_two_clients(), "g", heartbeats=True)
    leave = next(s for s in steps if s.kind == "response" and "LeaveGroup" in s.sentence)
    before = steps[leave.index - 3].member("b")
    assert before.state == "STABLE" and before.generation == 2 and before.assignment == (("orders", 1),)
    for step in steps[leave.index:]:
        b = step.member("b")
        assert (b.state, b.generation, b.assignment, b.in_group) == ("left", -1, (), False)
    assert steps[-1].member("a").state == "STABLE"
