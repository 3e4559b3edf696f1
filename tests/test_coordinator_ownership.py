"""Which broker coordinates a group (docs/classic-protocol.md §4), loading, unloading and failover through the
shared ``GroupLog`` (the Dead state, §5, and the runtime errors of §3)."""

from __future__ import annotations

import pytest

from helpers import E, Harness, S
from kafkalab.cluster import partition_for_group
from kafkalab.grouplog import GroupLog
from kafkalab.timers import OffsetsExpiryTimer
from kafkalab.messages import (
    DescribeGroupsRequest,
    JoinGroupResponse,
    OffsetFetchRequest,
    SyncGroupResponse,
)


@pytest.mark.parametrize("group_id, partition", [
    ("my-group", 12), ("group-id", 13), ("test-consumer-group", 31), ("a", 47),
    ("polygenelubricants", 0), ("orders-consumer", 40), ("été", 42), ("", 0),
])
def test_partition_for_matches_kafkas_hash(group_id, partition):
    assert partition_for_group(group_id, 50) == partition


def test_partition_for_foo_in_the_service_test():
    assert (partition_for_group("foo", 10), partition_for_group("foo", 50)) == (4, 24)


def _every_request(h: Harness) -> dict[str, E]:
    return {
        "join": h.join("a", member_id="m").error_code,
        "sync": h.sync("a", member_id="m", generation=1).error_code,
        "heartbeat": h.heartbeat("a", member_id="m", generation=1).error_code,
        "leave": h.leave("a").error_code,
        "commit": h.commit().topics[0].partitions[0].error_code,
        "fetch": h.send(OffsetFetchRequest(group_id="g"))[0].response.error_code,
        "describe": h.send(DescribeGroupsRequest(groups=("g",)))[0].response.groups[0].error_code,
    }


def test_groups_of_partitions_this_broker_does_not_lead_get_not_coordinator():
    h = Harness(owned_partitions={0})
    assert h.c.partition_of("g") != 0
    assert set(_every_request(h).values()) == {E.NOT_COORDINATOR}


def test_loading_partition_answers_load_in_progress_but_heartbeats_none():
    h = Harness()
    h.load(loading=True)
    got = _every_request(h)
    assert got.pop("heartbeat") is E.NONE
    assert set(got.values()) == {E.COORDINATOR_LOAD_IN_PROGRESS}
    h.finish_loading()
    assert h.join("a") is None and h.state is S.PREPARING_REBALANCE


def test_unload_makes_groups_dead_and_answers_parked_joins_not_coordinator():
    """testClassicGroupOnUnloadedEmptyAndPreparingRebalance."""
    h = Harness()
    h.commit(group_id="empty-group")
    h.join("a", version=3), h.join("b", version=3)  # parked in the initial rebalance
    groups = [h.c.groups["empty-group"], h.group]
    h.unload("g"), h.unload("empty-group")
    assert [g.state for g in groups] == [S.DEAD, S.DEAD] and h.c.groups == {}
    assert h.last("a") == JoinGroupResponse(error_code=E.NOT_COORDINATOR, member_id="a-1", protocol_name="")
    assert h.last("b") == JoinGroupResponse(error_code=E.NOT_COORDINATOR, member_id="b-2", protocol_name="")
    assert [k for k in h.c.timers.keys() if k != OffsetsExpiryTimer()] == []
    assert h.heartbeat("a", member_id="a-1", generation=0).error_code is E.NOT_COORDINATOR


def test_unload_answers_parked_syncs_not_coordinator():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.join("b"), h.complete_join()
    assert h.sync("b") is None
    h.unload()
    assert h.last("b") == SyncGroupResponse(error_code=E.NOT_COORDINATOR)


def test_failover_loads_the_group_stable_with_fresh_session_timers():
    log = GroupLog()
    a = Harness(log=log, initial_rebalance_delay_ms=0)
    a.join_and_sync("x", "y", assignments={"x": b"X", "y": b"Y"})
    a.advance_to(1_000)
    a.unload()

    b = Harness(log=log, owned_partitions=set(), start=2_000)
    b.member_ids, b.names, b.generations = a.member_ids, a.names, a.generations
    b.load()
    assert b.state is S.STABLE and b.generation == 1 and b.leader == "x" and b.members == ["x", "y"]
    assert b.protocol == "range" and b.group.previous_state is None
    assert b.deadline("heartbeat", "x") == b.deadline("heartbeat", "y") == 2_000 + 10_000
    assert b.sync("y").assignment == b"Y"
    assert b.heartbeat("x", at=5_000).error_code is E.NONE
    b.advance_to(12_000)  # y never heartbeats at the new coordinator
    assert b.members == ["x"] and b.state is S.PREPARING_REBALANCE


def test_loading_starts_sessions_when_loading_finishes():
    log = GroupLog()
    a = Harness(log=log, initial_rebalance_delay_ms=0)
    a.join_and_sync("x")
    b = Harness(log=log)
    b.load(loading=True)
    b.advance_to(50_000)
    assert b.members == ["x"]  # no session runs while loading (Kafka schedules them in onLoaded)
    b.finish_loading()
    assert b.deadline("heartbeat", member_id="x-1") == 60_000


def test_loading_a_record_without_members_gives_an_empty_group_with_its_offsets():
    log = GroupLog()
    a = Harness(log=log, initial_rebalance_delay_ms=0)
    a.join_and_sync("x")
    a.commit("x", offsets={("t", 3): 42})
    a.leave("x")
    b = Harness(log=log)
    b.load()
    assert b.state is S.EMPTY and b.generation == 2 and b.fetch() == {("t", 3): (42, -1, "")}


def test_a_group_created_by_a_static_member_loads_empty_after_an_early_failover():
    """Kafka writes the *empty* group record when a JoinGroup creates a group, even when that
    JoinGroup (a static member, or JoinGroup < v4) already added its member."""
    from kafkalab.sim import World

    world = World(topics={"t": 3}, brokers=3)
    for i in (1, 2, 3):
        world.consumer(f"s{i}", "g", ["t"], group_instance_id=f"i{i}", partition_assignment_strategy=["range"])
    world.run(for_ms=1_000)
    world.fail_broker(world.cluster.coordinator_for("g").node_id)
    world.run_until_stable("g", timeout_ms=120_000)
    assert all(c.fatal_error is None for c in world.consumers.values())
    assert sorted(p for ps in world.assignments("g").values() for p in ps) == [("t", 0), ("t", 1), ("t", 2)]
