"""What the notebooks *say* agrees with what they *show*.

nbval checks that a fresh run prints the stored outputs; these tests check that the prose around
them (and the player's static views) still matches those outputs, so that a change in the
simulator that moves a number shows up here, not in a confused learner. Each test names the
lesson it guards; they read the committed .ipynb files (outputs included) and, where the prose
states a number no output prints, run the same scenario.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(name: str) -> str:
    return "\n".join(source(c) for c in cells(name) if c["cell_type"] == "markdown")


def code_cell(name: str, marker: str) -> dict:
    found = [c for c in cells(name) if c["cell_type"] == "code" and marker in source(c)]
    assert len(found) == 1, f"{name}: {len(found)} code cells contain {marker!r}"
    return found[0]


def output(name: str, marker: str) -> str:
    """The printed output of the one code cell of ``name`` whose source contains ``marker``."""
    return "".join("".join(o.get("text", "")) for o in code_cell(name, marker).get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def markdown_after(name: str, marker: str) -> str:
    """The markdown cell right after the code cell containing ``marker``."""
    cs = cells(name)
    i = next(k for k, c in enumerate(cs) if c["cell_type"] == "code" and marker in source(c))
    return source(cs[i + 1])


# ---------------------------------------------------------------------- 05: the storm and the numbers

def storm_rows() -> dict[str, dict]:
    rows = {}
    for line in output("05-liveness.ipynb", "def slow_batches").splitlines()[1:]:
        parts = line.split()
        rows[parts[0]] = {"over": int(parts[1]), "rebalances": int(parts[2]), "per": parts[3],
                          "shortest": float(parts[6]) if parts[6] != "-" else None,
                          "longest": float(parts[8]) if len(parts) > 8 else None}
    return rows


def test_05_storm_text_and_table_agree():
    rows = storm_rows()
    assert set(rows) == {"29s", "31s", "45s"}
    assert rows["29s"]["over"] == rows["29s"]["rebalances"] == 0
    # "one rebalance per slow batch" at 31 s (the rejoin joins the leave's rebalance), a second at 45 s
    assert rows["31s"]["per"] == "1" and rows["31s"]["rebalances"] == rows["31s"]["over"] > 0
    assert rows["45s"]["per"] == "2" and rows["45s"]["rebalances"] == 2 * rows["45s"]["over"] > 0
    # "each leave comes just after a heartbeat (the longest), each rejoin just before one (the shortest)"
    assert rows["31s"]["shortest"] == rows["31s"]["longest"] >= 2.9
    assert rows["45s"]["shortest"] < 0.1 and rows["45s"]["longest"] >= 2.9
    text = markdown("05-liveness.ipynb")
    assert "With 31 s batches" in text and "**one**" in text and "With 45 s batches" in text and "**second**" in text
    assert "every slow\nbatch costs two rebalances" not in text and "each slow\nbatch costs one or two" in text


def test_05_session_numbers_are_printed_from_the_run():
    out = output("05-liveness.ipynb", 'world, stable = lose_c2("crash")')
    beats = re.search(r"reached the broker at ([\d, ]+) ms; (\d+) \+ 45000 = (\d+)", out)
    removed = re.search(r"removed it at (\d+) ms", out)
    assert beats and removed, out
    last = int(beats[1].split(", ")[-1])
    assert last == int(beats[2]) and int(beats[3]) == last + 45_000 == int(removed[1])
    assert "9007" not in markdown("05-liveness.ipynb")   # no longer typed into the prose
    # scenario 3: "a pause of 8 s ends before the session does; 8.1 s does not"
    out = output("05-liveness.ipynb", "for pause_ms in (5_000, 8_000, 8_100, 12_000, 30_000):")
    ends = int(re.search(r"its session ends at (\d+) ms", out)[1])
    assert 20_000 + 8_000 < ends <= 20_000 + 8_100
    table = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}
    assert table["8s"] == "no" and table["8.1s"] == "yes"


def test_05_session_timer_table_names_every_request_that_restarts_it():
    row = next(line for line in markdown("05-liveness.ipynb").splitlines() if line.startswith("| `session.timeout.ms`"))
    for what in ("heartbeat", "`OffsetCommit`", "`JoinGroup`", "`SyncGroup`"):
        assert what in row, row


def test_the_session_timer_really_restarts_on_each_request_the_table_names():
    """A member that sends only commits (or only rejoins/syncs) keeps its place past session.timeout.ms."""
    from kafkalab import CoordinatorConfig, ErrorCode
    from kafkalab.sim.byhand import ByHand

    def member(keep_alive):
        hand = ByHand(config=CoordinatorConfig(group_initial_rebalance_delay_ms=0), session_timeout_ms=10_000,
                      rebalance_timeout_ms=10_000, show=False)
        hand.form("a")
        hand.sync("a", {"a-1": [("orders", 0)]})
        for t in range(6_000, 36_001, 6_000):    # never 10 s without the request under test
            hand.at(t, show=False)
            keep_alive(hand, t)
        hand.at(36_000 + 9_999, show=False)       # just under a session after the last one
        return hand.describe()["members"]

    assert member(lambda h, t: h.heartbeat("a", show=False))
    assert member(lambda h, t: h.commit("a", 1, t, show=False) == ErrorCode.NONE)
    assert member(lambda h, t: (h.join("a", show=False), h.sync("a", {"a-1": [("orders", 0)]}, show=False)))
    assert not member(lambda h, t: None)          # nothing: removed after 10 s


# ---------------------------------------------------------------------- numbers typed into prose

def test_04_the_barrier_wait_is_read_from_the_table():
    out = output("04-syncgroup.ipynb", 'world.set_latency("c1", "broker-0", 50)')
    waits = {line.split()[0]: int(line.split()[-2]) for line in out.splitlines()[2:]}
    assert waits["c1"] == 0 and len({waits[c] for c in ("c2", "c3", "c4")}) == 1
    # "the time it took the JoinGroup answer to reach the leader over its slow link (50 ms each way) and
    # the leader's SyncGroup to come back"
    assert abs(waits["c2"] - 2 * 50) <= 5
    text = markdown_after("04-syncgroup.ipynb", 'world.set_latency("c1", "broker-0", 50)')
    assert "(the last column)" in text and not re.search(r"\d+ ms", text)


def test_09_the_times_in_the_list_are_the_printed_ones():
    out = output("09-offsets.ipynb", "for e in slow.trace:")
    printed = {round(int(line.split()[0]) / 1000, 2) for line in out.splitlines() if line.strip()[:1].isdigit()}
    text = markdown_after("09-offsets.ipynb", "for e in slow.trace:")
    typed = [float(x) for x in re.findall(r"^\d\. (\d+\.\d+) s:", text, re.M)]
    assert typed == [7.16, 17.03, 22.13], typed
    assert all(t in printed for t in typed), (typed, sorted(printed))
    assert "c3: started" in out


def test_07_the_fencing_and_session_times_are_printed_not_typed():
    out = output("07-static-membership.ipynb", 'd = twins.describe("g")')
    sent = int(re.search(r"fenced it at (\d+) ms", out)[1])
    twin = int(re.search(r"twin got c2's partitions at (\d+) ms", out)[1])
    failed = int(re.search(r"(\d+) ms  c2: OffsetCommit failed with FENCED_INSTANCE_ID", out)[1])
    assert twin < sent < failed
    out = output("07-static-membership.ipynb", "gone = three_consumers(static=True)")
    committed, plus, removed_calc = map(int, re.search(r"(\d+) ms: c2's last OffsetCommit .*; \d+ \+ (\d+) = (\d+)", out).groups())
    removed = int(re.search(r"(\d+) ms: c2 removed", out)[1])
    assert committed + plus == removed_calc == removed and plus == 30_000
    text = markdown("07-static-membership.ipynb")
    assert "11.009" not in text and "10.001" not in text


def test_02_the_join_timer_times_in_the_prose_are_the_players():
    from kafkalab.sim import World
    from kafkalab.viz import build_steps

    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], stagger_ms=2_000)
    world.run(until=4_000)
    world.run_until_stable("g")
    timers = [s.at for s in build_steps(world, "g") if s.kind == "timer"]
    text = markdown("02-joining.ipynb")
    m = re.search(r"Watch the join timer fire at (\d+) and (\d+) ms .* at (\d+) ms", text, re.S)
    assert m and [int(x) for x in m.groups()] == timers


# ---------------------------------------------------------------------- players open where the text says

PLAYER_NOTEBOOKS = ["01-groups-and-coordinator.ipynb", "03-leader-and-protocol.ipynb", "05-liveness.ipynb",
                    "08-cooperative.ipynb", "09-offsets.ipynb", "02-joining.ipynb", "04-syncgroup.ipynb",
                    "06-assignors.ipynb", "07-static-membership.ipynb"]


@pytest.mark.parametrize("name", PLAYER_NOTEBOOKS)
def test_a_player_told_where_to_open_shows_that_step_in_its_static_view(name):
    players = [c for c in cells(name) if c["cell_type"] == "code" and "Player(" in source(c)
               and "import Player" not in source(c).split("Player(")[-1]]
    assert players
    for c in players:
        src = source(c)
        assert "show_step(" not in src, "open the player with Player(..., start=...), so its static view agrees"
        html = next("".join(o["data"]["text/html"]) for o in c["outputs"] if "text/html" in o.get("data", {}))
        shown = re.search(r"static view of (?:the last of (\d+) steps|step (\d+) of (\d+) steps)", html)
        assert shown, html[:200]
        if "start=" in src:
            assert shown[2] is not None, f"{name}: a player with start= shows its last step: {src}"
            assert f"<b>Step {shown[2]} of " in html


def test_the_notebooks_that_said_where_their_player_opens_now_tell_it():
    for name in ("01-groups-and-coordinator.ipynb", "03-leader-and-protocol.ipynb", "05-liveness.ipynb",
                 "08-cooperative.ipynb", "09-offsets.ipynb"):
        assert any("start=" in source(c) for c in cells(name) if "Player(" in source(c)), name


# ---------------------------------------------------------------------- stopped consumers, odd states, noise

def test_closed_and_failed_consumers_are_not_listed_as_owning_nothing():
    for name, marker in [("00-start-here.ipynb", 'world.close("c2")'),
                         ("05-liveness.ipynb", 'world, stable = lose_c2("crash")'),
                         ("03-leader-and-protocol.ipynb", "leader_history(world)"),
                         ("03-leader-and-protocol.ipynb", 'partition_assignment_strategy=["roundrobin"])\nworld.run(until=20_000)')]:
        out = output(name, marker)
        assert "c2 []" not in out and "'c1': []" not in out and "'c3': []" not in out, (name, out)


def test_03_the_by_hand_group_is_stable_when_it_refuses_carol_and_dave():
    out = output("03-leader-and-protocol.ipynb", 'for name, protocol_type, strategy in [("carol"')
    assert out.rstrip().endswith("group: Stable, generation 1, 2 members")
    assert "a Stable group of two members" in markdown("03-leader-and-protocol.ipynb")


def test_10_prints_nothing_on_stderr():
    for c in cells("10-real-clients.ipynb"):
        for o in c.get("outputs", []):
            assert not (o.get("output_type") == "stream" and o.get("name") == "stderr"), "".join(o.get("text", ""))


def test_10_the_player_shows_a_consumer_that_left_as_left():
    html = next("".join(o["data"]["text/html"]) for c in cells("10-real-clients.ipynb") if "wire_steps(server" in source(c)
                for o in c["outputs"] if "text/html" in o.get("data", {}))
    row = re.search(r"<tr><td[^>]*>c2</td>(.*?)</tr>", html, re.S)[1]
    assert ">left<" in row and "STABLE" not in row


# ---------------------------------------------------------------------- plumbing lives in the package

@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")))
def test_notebook_cells_show_the_lesson_not_the_harness(name):
    defined = set()
    for c in cells(name):
        if c["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(source(c))
        except SyntaxError:
            continue
        defined |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert not defined & {"Broker", "wire_log", "commit", "answer", "group"}, defined
