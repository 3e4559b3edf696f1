"""Scenario tests of the simulated world: consumers behaving like Kafka's Java client."""

from __future__ import annotations

import pytest

from kafkalab import CoordinatorConfig, ErrorCode
from kafkalab.messages import HeartbeatRequest, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest
from kafkalab.sim import UNJOINED, SimulationError, World
from kafkalab.sim import events as ev
from kafkalab.trace import StateChanged

RANGE = {"partition_assignment_strategy": ["range"]}


def sent(world, api, src=None):
    """Messages of type ``api`` put on the network (optionally by ``src``)."""
    return [e for e in world.trace if isinstance(e, ev.MessageSent) and type(e.message) is api
            and (src is None or e.src == src)]


def group_states(world):
    return [(e.event.old and e.event.old.value, e.event.new.value) for e in world.trace
            if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, StateChanged)]


def three_consumers(**config):
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], **{**RANGE, **config})
    return world


def test_three_consumers_form_a_group_in_generation_1_with_range():
    world = three_consumers()
    t = world.run_until_stable("g")
    assert world.assignments("g") == {
        "c1": [("orders", 0), ("orders", 1)],
        "c2": [("orders", 2), ("orders", 3)],
        "c3": [("orders", 4), ("orders", 5)],
    }
    d = world.describe("g")
    assert d["generation_id"] == 1 and d["protocol_name"] == "range"
    # Two newcomers joined during the 3 s initial delay, so it was extended once: ~6 s.
    assert 6000 <= t < 6100


def test_first_join_of_each_member_is_answered_member_id_required_then_retried_at_once():
    world = three_consumers()
    world.run_until_stable("g")
    for name in ("c1", "c2", "c3"):
        answers = [e for e in sent(world, JoinGroupResponse) if e.dst == name]
        assert answers[0].message.error_code is ErrorCode.MEMBER_ID_REQUIRED
        assert answers[1].message.error_code is ErrorCode.NONE
        joins = sent(world, JoinGroupRequest, name)
        assert joins[0].message.member_id == ""
        assert joins[1].message.member_id == answers[0].message.member_id
        # no backoff: the retry leaves as soon as the answer arrives
        assert joins[1].at == answers[0].at + world.latency_ms


def test_a_lone_consumer_joins_after_the_initial_rebalance_delay():
    world = World(topics={"t": 3})
    world.consumer("solo", "g", ["t"], **RANGE)
    t = world.run_until_stable("g")
    assert 3000 <= t < 3100
    world2 = World(topics={"t": 3}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world2.consumer("solo", "g", ["t"], **RANGE)
    assert world2.run_until_stable("g") < 50


def test_same_seed_same_trace_different_seed_different_member_ids():
    def run(seed):
        w = World(topics={"orders": 6}, seed=seed)
        w.add_consumers(3, group="g", topics=["orders"], **RANGE)
        w.run_until_stable("g")
        w.close("c2")
        w.run_until_stable("g")
        return [e.describe() for e in w.trace]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_close_sends_leave_group_and_the_rest_rebalance_at_their_next_heartbeat():
    world = three_consumers()
    t0 = world.run_until_stable("g")
    world.close("c2")
    t1 = world.run_until_stable("g")
    leaves = sent(world, LeaveGroupRequest, "c2")
    assert len(leaves) == 1
    # the closed c2 owns nothing and is not listed (unless asked for, with stopped=True)
    assert world.assignments("g") == {"c1": [("orders", 0), ("orders", 1), ("orders", 2)],
                                      "c3": [("orders", 3), ("orders", 4), ("orders", 5)]}
    assert world.assignments("g", stopped=True)["c2"] == []
    assert world.describe("g")["generation_id"] == 2
    # survivors learn through a heartbeat answered REBALANCE_IN_PROGRESS (interval 3 s)
    assert t1 - t0 <= 3000 + 50


def test_static_member_close_sends_no_leave_group():
    world = World(topics={"orders": 4})
    world.consumer("s1", "g", ["orders"], group_instance_id="i1", **RANGE)
    world.consumer("s2", "g", ["orders"], group_instance_id="i2", **RANGE)
    world.run_until_stable("g")
    world.close("s1")
    world.run(for_ms=1000)
    assert sent(world, LeaveGroupRequest) == []
    assert world.group_state("g") == "Stable"  # s1 keeps its place until its session expires


def test_crashed_member_is_removed_after_its_session_timeout():
    world = three_consumers(session_timeout_ms=10_000)
    t0 = world.run_until_stable("g")
    world.crash("c3")
    t1 = world.run_until_stable("g")
    assert sent(world, LeaveGroupRequest) == []
    assert 10_000 <= t1 - t0 <= 10_000 + 3_000 + 100
    assert world.describe("g")["generation_id"] == 2
    assert sorted(p for ps in world.assignments("g").values() for p in ps) == [("orders", i) for i in range(6)]


def test_paused_consumer_longer_than_session_timeout_loses_membership_then_rejoins():
    world = three_consumers(session_timeout_ms=10_000)
    world.run_until_stable("g")
    world.pause("c1", 15_000)
    world.run(for_ms=12_000)
    ids = {m["member_id"] for m in world.describe("g")["members"]}
    assert world["c1"].member_id not in ids
    world.run_until_stable("g")
    # after resuming, c1's heartbeat got UNKNOWN_MEMBER_ID and it joined again as a new member
    assert world.describe("g")["generation_id"] >= 3
    assert len(world.describe("g")["members"]) == 3


def test_slow_processing_beyond_max_poll_interval_makes_the_consumer_leave():
    world = three_consumers(max_poll_interval_ms=20_000)
    world.run_until_stable("g")
    world["c2"].stall(30_000)
    world.run(for_ms=25_000)
    timeouts = [e for e in world.trace if isinstance(e, ev.PollTimeoutExpired) and e.consumer == "c2"]
    assert [e.max_poll_interval_ms for e in timeouts] == [20_000]
    assert any(e.src == "c2" for e in sent(world, LeaveGroupRequest))
    assert world["c2"].state == UNJOINED
    world.run_until_stable("g")  # at its next poll it rejoins
    assert len(world.describe("g")["members"]) == 3


def test_static_member_restart_within_session_timeout_keeps_partitions_without_rebalance():
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"s{i}", "g", ["orders"], group_instance_id=f"instance-{i}", session_timeout_ms=30_000, **RANGE)
    world.run_until_stable("g")
    before = world.assignments("g")
    gen = world.describe("g")["generation_id"]
    world.crash("s2")
    world.run(for_ms=5_000)
    world.restart("s2")
    world.run_until_stable("g")
    assert world.describe("g")["generation_id"] == gen  # no rebalance
    assert world.assignments("g") == before
    changes = [s for s in group_states(world) if s[1] == "PreparingRebalance"]
    assert len(changes) == 1  # only the initial one


def test_a_member_with_no_common_protocol_is_refused_fatally_and_the_rest_stay_stable():
    world = World(topics={"t": 1})
    world.consumer("a", "g", ["t"], **RANGE)
    world.run_until_stable("g")
    world.consumer("b", "g", ["t"], partition_assignment_strategy=["roundrobin"])
    world.run(for_ms=5_000)
    assert world["b"].fatal_error is ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert world["b"].status == "failed"
    assert world.is_stable("g") and world.assignments("g") == {"a": [("t", 0)]}   # b failed: not listed
    assert world.assignments("g", stopped=True) == {"a": [("t", 0)], "b": []}


def test_run_until_stable_reports_a_group_that_cannot_stabilise():
    world = World(topics={"t": 1})
    world.consumer("a", "g", ["t"], **RANGE)
    world.partition_network("a", "broker-0")
    with pytest.raises(SimulationError, match="did not become stable"):
        world.run_until_stable("g", timeout_ms=20_000)


def test_unknown_consumer_config_is_refused_with_the_valid_names():
    world = World(topics={"t": 1})
    with pytest.raises(ValueError, match="session_timeout_ms"):
        world.consumer("a", "g", ["t"], session_timeout=10)
    with pytest.raises(ValueError, match="heartbeat_interval_ms"):
        world.consumer("a", "g", ["t"], heartbeat_interval_ms=50_000)
    with pytest.raises(ValueError, match="already exists"):
        world.consumer("x", "g", ["t"])
        world.consumer("x", "g", ["t"])


def test_coordinator_failover_moves_the_group_and_consumers_follow():
    world = World(topics={"orders": 4}, brokers=3)
    world.add_consumers(2, group="g", topics=["orders"], **RANGE)
    world.run_until_stable("g")
    old = world.cluster.coordinator_for("g").node_id
    before = world.assignments("g")
    world.fail_broker(old)
    new = world.cluster.coordinator_for("g").node_id
    assert new != old
    world.run(for_ms=10_000)
    world.run_until_stable("g")
    assert world.coordinators[new].groups["g"].state.value == "Stable"
    assert "g" not in world.coordinators[old].groups
    assert world.assignments("g") == before
    assert all(c.coordinator == new for c in world.consumers.values())


def test_commit_after_being_kicked_out_fails_and_its_records_are_processed_twice():
    # The at-least-once loop (process, then commitSync). c2's batch outlives the rebalance
    # timeout (max.poll.interval.ms), so the join phase completes without it, its partitions
    # go to c1 from the last committed offset, and its late commit is refused.
    cfg = dict(enable_auto_commit=False, max_poll_records=10, processing_ms=100,
               max_poll_interval_ms=10_000, session_timeout_ms=10_000, **RANGE)
    world = World(topics={"orders": (2, 10_000)})
    world.consumer("c1", "g", ["orders"], **cfg)
    world.consumer("c2", "g", ["orders"], **cfg)
    world.run_until_stable("g")
    world.run(for_ms=1_000)
    assert world.duplicates() == 0
    world["c2"].stall(15_000)
    world.run(for_ms=150)                     # c2 is now inside its slow batch
    world.consumer("c3", "g", ["orders"], **cfg)
    world.run_until_stable("g", timeout_ms=120_000)
    world.run(for_ms=2_000)
    assert any("CommitFailedException" in reason for reason in world["c2"].commit_failures)
    assert world.duplicates() > 0


def test_per_link_latency_delays_only_that_consumer():
    world = World(topics={"t": 2}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.set_latency("near", "broker-0", 5)
    world.consumer("near", "g", ["t"], **RANGE)
    world.run_until_stable("g")
    deliveries = [e for e in world.trace if isinstance(e, ev.MessageDelivered) and e.src == "near"]
    assert deliveries and all(e.at - e.sent_at == 5 for e in deliveries)
    with pytest.raises(ValueError):
        world.set_loss("near", "broker-0", 1.5)


def test_heartbeats_go_out_every_interval_even_while_earlier_ones_are_unanswered():
    # Java's heartbeat thread sends whenever its heartbeat timer expires; it does not wait for the
    # previous Heartbeat's answer (docs/classic-protocol.md §12). With 5 s each way, every answer
    # takes 10 s, yet a Heartbeat leaves every heartbeat.interval.ms (3 s).
    world = World(topics={"t": 2}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.consumer("slow", "g", ["t"], **RANGE)
    world.run_until_stable("g")
    start = world.now
    world.set_latency("slow", "broker-0", 5_000)
    world.run(for_ms=30_000)
    times = [e.at for e in sent(world, HeartbeatRequest, "slow") if e.at > start]
    assert len(times) == 10, times
    assert all(b - a == 3_000 for a, b in zip(times, times[1:])), times
    assert world.group_state("g") == "Stable"


def test_lossy_link_is_survived_through_request_timeouts_and_rediscovery():
    world = World(topics={"t": 4}, seed=3)
    # A lost JoinGroup answer costs max.poll.interval.ms + 5 s (the JoinGroup request timeout).
    world.add_consumers(2, group="g", topics=["t"], request_timeout_ms=5_000, max_poll_interval_ms=10_000,
                        **RANGE)
    world.set_loss("c2", "broker-0", 0.3)
    world.run_until_stable("g", timeout_ms=300_000)
    dropped = [e for e in world.trace if isinstance(e, ev.MessageDropped)]
    assert dropped and all(e.reason is ev.DropReason.PACKET_LOSS for e in dropped)
    assert sorted(p for ps in world.assignments("g").values() for p in ps) == [("t", i) for i in range(4)]


def test_cooperative_sticky_hands_over_moved_partitions_in_a_second_rebalance():
    coop = {"partition_assignment_strategy": ["cooperative-sticky"]}
    world = World(topics={"t": 6})
    world.add_consumers(2, group="g", topics=["t"], **coop)
    world.run_until_stable("g")
    assert world["c1"].rebalance_protocol == "COOPERATIVE"
    before = world.assignments("g")
    start = len(world.trace)
    world.consumer("c3", "g", ["t"], **coop)
    world.run_until_stable("g")
    after = world.assignments("g")
    tail = world.trace[start:]
    revoked = [e for e in tail if isinstance(e, ev.PartitionsRevoked)]
    assigned = [e for e in tail if isinstance(e, ev.PartitionsAssigned)]
    gens = sorted({e.generation_id for e in assigned})
    assert gens == [2, 3]  # two rebalances
    # round 1 (generation 2): c1 and c2 revoke only what moves; c3 gets nothing yet
    moved = {tp for e in revoked for tp in e.partitions}
    assert moved == set(after["c3"]) and len(moved) == 2
    assert all(set(e.partitions) <= set(before[e.consumer]) for e in revoked)
    round1 = {e.consumer: e.partitions for e in assigned if e.generation_id == 2}
    assert round1["c3"] == ()
    # survivors never stopped owning the partitions they keep
    for name in ("c1", "c2"):
        assert set(after[name]) <= set(before[name])
    # round 2 (generation 3): the withheld partitions reach c3
    round2 = {e.consumer: e.partitions for e in assigned if e.generation_id == 3}
    assert set(round2["c3"]) == moved


def test_default_assignor_list_runs_eager_and_selects_range():
    world = World(topics={"t": 6})
    world.add_consumers(3, group="g", topics=["t"])  # default: [range, cooperative-sticky]
    world.run_until_stable("g")
    assert world["c1"].rebalance_protocol == "EAGER"
    assert world.describe("g")["protocol_name"] == "range"


def test_cooperative_member_keeps_consuming_owned_partitions_during_a_rebalance():
    coop = {"partition_assignment_strategy": ["cooperative-sticky"]}
    world = World(topics={"t": (4, 100_000)})
    world.add_consumers(2, group="g", topics=["t"], max_poll_records=5, **coop)
    world.run_until_stable("g")
    world.consumer("c3", "g", ["t"], max_poll_records=5, **coop)
    start = world.now
    world.run_until_stable("g")
    join_phase = [e for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == "c1"
                  and e.at >= start and e.new in ("PREPARING_REBALANCE", "STABLE")]
    began, ended = join_phase[0].at, join_phase[-1].at
    processed = [e for e in world.trace if isinstance(e, ev.RecordsProcessed) and e.consumer == "c1"
                 and began < e.at < ended]
    assert processed, "c1 should keep processing its partitions while it rebalances"


def test_eager_member_processes_nothing_during_a_rebalance():
    world = World(topics={"t": (4, 100_000)})
    world.add_consumers(2, group="g", topics=["t"], max_poll_records=5, **RANGE)
    world.run_until_stable("g")
    world.consumer("c3", "g", ["t"], max_poll_records=5, **RANGE)
    start = world.now
    world.run_until_stable("g")
    revoked = [e for e in world.trace if isinstance(e, ev.PartitionsRevoked) and e.consumer == "c1" and e.at >= start]
    assigned = [e for e in world.trace if isinstance(e, ev.PartitionsAssigned) and e.consumer == "c1" and e.at >= start]
    assert not [e for e in world.trace if isinstance(e, ev.RecordsProcessed) and e.consumer == "c1"
                and revoked[0].at <= e.at < assigned[-1].at]


def test_restart_with_new_configs_performs_a_rolling_migration_to_cooperative():
    world = World(topics={"t": 6})
    world.add_consumers(3, group="g", topics=["t"], **RANGE)
    world.run_until_stable("g")
    for plan in (["cooperative-sticky", "range"], ["cooperative-sticky"]):
        for name in ("c1", "c2", "c3"):
            world.close(name)  # a clean shutdown (LeaveGroup), then the new process
            world.restart(name, partition_assignment_strategy=plan)
            world.run_until_stable("g")
    assert all(c.fatal_error is None for c in world.consumers.values())
    assert {c.rebalance_protocol for c in world.consumers.values()} == {"COOPERATIVE"}
    assert world.describe("g")["protocol_name"] == "cooperative-sticky"
    with pytest.raises(ValueError, match="unknown consumer config"):
        world.restart("c1", nonsense=1)


def test_a_fatal_error_stops_the_consumer_and_it_owns_nothing():
    world = World(topics={"t": 2})
    world.consumer("a", "g", ["t"], group_instance_id="i", **RANGE)
    world.run_until_stable("g")
    world.consumer("twin", "g", ["t"], group_instance_id="i", **RANGE)  # same instance id: a fences
    world.run(for_ms=10_000)
    assert world["a"].fatal_error is ErrorCode.FENCED_INSTANCE_ID
    assert world["a"].assignment == [] and world["a"].status == "failed"
    assert any(isinstance(e, ev.ConsumerStopped) and e.consumer == "a" for e in world.trace)


def test_move_coordinator_sends_clients_to_the_new_coordinator_with_not_coordinator():
    world = World(topics={"t": 2}, brokers=2)
    world.add_consumers(2, group="g", topics=["t"], **RANGE)
    world.run_until_stable("g")
    old = world.cluster.coordinator_for("g").node_id
    new = 1 - old
    world.move_coordinator("g", new)
    world.run(for_ms=10_000)
    assert world.cluster.coordinator_for("g").node_id == new
    answers = [e.message.error_code for e in world.trace if isinstance(e, ev.MessageDelivered)
               and e.src == f"broker-{old}" and hasattr(e.message, "error_code")]
    assert ErrorCode.NOT_COORDINATOR in answers
    world.run_until_stable("g")
    assert all(c.coordinator == new for c in world.consumers.values())
