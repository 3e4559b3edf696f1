"""The notebooks' harness, now in the package: kafkalab.sim.byhand (a coordinator driven by hand)
and kafkalab.viz.wirelog (one consumer's messages as text)."""

from __future__ import annotations

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode
from kafkalab.messages import JoinGroupRequest, JoinGroupRequestProtocol
from kafkalab.sim import World
from kafkalab.sim.byhand import ByHand, numbered_member_ids, print_group, print_replies
from kafkalab.viz.wirelog import wire_log, wire_log_lines


def test_by_hand_prints_each_request_answer_and_what_the_coordinator_did(capsys):
    broker = ByHand(session_timeout_ms=10_000, rebalance_timeout_ms=30_000)
    broker.join("a")
    broker.join("a")
    broker.at(3_000)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "     0 ms  a -> JoinGroup(member_id='')",
        "           · group g: (new) -> Empty because group created",
        "           <- a: JoinGroup MEMBER_ID_REQUIRED (79), member id a-1",
        "     0 ms  a -> JoinGroup(member_id='a-1')",
        "           (parked: no answer yet)",
        "           · group g: Empty -> PreparingRebalance because a new member joined",
        "  3000 ms  (clock)",
        "           · the join timer of g fired",
        "           · group g: PreparingRebalance -> CompletingRebalance because the join phase completed",
        "           <- a: JoinGroup NONE (0), generation 1, leader a-1, members ['a-1']",
    ]
    assert broker.member_id == {"a": "a-1"} and broker.generation == {"a": 1}
    broker.sync("a", {"a-1": [("orders", 0)]})
    assert "assignment ['orders-0']" in capsys.readouterr().out
    assert broker.describe()["state"] == "Stable"


def test_by_hand_forms_a_group_quietly_and_returns_replies_when_not_showing(capsys):
    broker = ByHand()
    broker.form("a", "b")          # Kafka's defaults: the initial delay is extended once, to 6 s
    assert capsys.readouterr().out == "group g: CompletingRebalance, generation 1, leader a-1\n"
    assert broker.now == 6_000 and broker.generation == {"a": 1, "b": 1}
    assert [m.member_id for m in broker.members_seen["a"]] == ["a-1", "b-2"] and broker.members_seen["b"] == ()
    replies = broker.heartbeat("b", show=False)
    assert [r.response.error_code for r in replies] == [ErrorCode.NONE] and capsys.readouterr().out == ""
    assert broker.leave("b", show=False)[0].response.error_code == ErrorCode.NONE


def test_commit_rows_name_the_state_before_and_the_answer(capsys):
    broker = ByHand(config=CoordinatorConfig(group_initial_rebalance_delay_ms=0), show=False)
    broker.form("c1")
    broker.sync("c1", {"c1-1": [("orders", 0)]})
    capsys.readouterr()
    assert broker.commit("c1", 1, 10, now=100) == ErrorCode.NONE
    assert broker.commit("c1", 0, 10) == ErrorCode.ILLEGAL_GENERATION
    assert broker.commit("", 3, 10, group="nope", version=9, show=False) == ErrorCode.GROUP_ID_NOT_FOUND
    rows = capsys.readouterr().out.splitlines()
    assert rows == [
        "Stable (gen 1)                 c1           g      generation  1, v8  ->  NONE",
        "Stable (gen 1)                 c1           g      generation  0, v8  ->  ILLEGAL_GENERATION",
    ]
    assert ByHand.COMMIT_HEADER.startswith("group state before") and ByHand.COMMIT_HEADER.endswith("answer")


def test_print_replies_and_print_group_for_requests_built_by_hand(capsys):
    coordinator = Coordinator(CoordinatorConfig(group_initial_rebalance_delay_ms=0),
                              new_member_id=numbered_member_ids())
    join = JoinGroupRequest(group_id="g", group_instance_id="i-1", api_version=5,
                            protocols=(JoinGroupRequestProtocol("range", b""),))
    print_replies("A: JoinGroup", coordinator.handle(join, "A", now=0))
    print_replies("   timer", coordinator.on_timer(now=0))
    print_group(coordinator)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{'A: JoinGroup':<44} (parked: no answer yet)"
    assert out[1] == f"{'   timer':<44} -> A: JoinGroupResponse NONE generation 1, member id 'i-1-1', leader 'i-1-1'"
    assert out[2] == f"{'':44}    group CompletingRebalance, generation 1, members: i-1-1 (i-1)"


def test_wire_log_shows_what_a_consumer_sent_and_got_and_hides_routine_traffic(capsys):
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"])
    world.run_until_stable("g")
    world.run(until=20_000)
    world.close("c2")
    world.run(until=30_000)
    lines = wire_log_lines(world, "c1")
    assert lines[:5] == [
        "      1 ms  c1 -> broker-0: FindCoordinator",
        "      2 ms  c1 <- broker-0: FindCoordinator NONE (broker-0)",
        "      3 ms  c1 -> broker-0: JoinGroup (no member id)",
        "      4 ms  c1 <- broker-0: JoinGroup MEMBER_ID_REQUIRED, here is your id: c1-e3e7…",
        "      5 ms  c1 -> broker-0: JoinGroup (member id c1-e3e7…)",
    ]
    assert any(line.endswith("JoinGroup NONE, generation 1, leader") for line in lines)
    # error-free heartbeats and commits are left out; the heartbeat answered REBALANCE_IN_PROGRESS, and the
    # request it answered, are shown
    rip = [i for i, line in enumerate(lines) if "Heartbeat REBALANCE_IN_PROGRESS" in line]
    assert len(rip) == 1 and "-> broker-0: Heartbeat (generation 1)" in lines[rip[0] - 1]
    assert not any("OffsetCommit" in line for line in lines)
    everything = wire_log_lines(world, "c1", skip=())
    assert sum("Heartbeat NONE" in line for line in everything) > 3 and len(everything) > len(lines)
    window = wire_log_lines(world, "c1", since=20_000, until=25_000)
    assert window and all(20_000 <= int(line.split()[0]) <= 25_000 for line in window)
    wire_log(world, "c1", since=20_000, until=25_000)
    assert capsys.readouterr().out.splitlines() == window
