"""Brokers: the cluster core World and the wire server share (coordinators following the leaders)."""

from __future__ import annotations

import pytest

from kafkalab import CoordinatorConfig, ErrorCode
from kafkalab.brokers import BrokerReply, Brokers
from kafkalab.cluster import Broker
from kafkalab.messages import (
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)

E = ErrorCode
CONFIG = CoordinatorConfig(group_initial_rebalance_delay_ms=0)
RANGE = (JoinGroupRequestProtocol("range", b""),)


def join(brokers: Brokers, node: int, name: str, member_id: str = "", now: int = 0):
    request = JoinGroupRequest(group_id="g", member_id=member_id, protocols=RANGE, client_id=name)
    return brokers.coordinators[node].handle(request, name, now)


def stable_group(brokers: Brokers, name: str = "a") -> tuple[int, str]:
    """One member joined and synced on the group's coordinator: (its node, the member id)."""
    node = brokers.cluster.coordinator_for("g").node_id
    [required] = join(brokers, node, name)
    member_id = required.response.member_id
    assert required.response.error_code is E.MEMBER_ID_REQUIRED
    assert join(brokers, node, name, member_id) == []
    [joined] = brokers.coordinators[node].on_timer(0)
    assert joined.response.error_code is E.NONE
    sync = SyncGroupRequest(group_id="g", generation_id=1, member_id=member_id,
                            assignments=(SyncGroupRequestAssignment(member_id, b"t-0"),))
    [synced] = brokers.coordinators[node].handle(sync, name, 0)
    assert synced.response.error_code is E.NONE
    return node, member_id


def heartbeat(brokers: Brokers, node: int, member_id: str, now: int) -> ErrorCode:
    request = HeartbeatRequest(group_id="g", generation_id=1, member_id=member_id)
    [reply] = brokers.coordinators[node].handle(request, "a", now)
    return reply.response.error_code


def test_one_coordinator_per_broker_sharing_one_log_each_owning_what_its_broker_leads():
    brokers = Brokers(3, CONFIG)
    assert sorted(brokers.coordinators) == [0, 1, 2]
    assert {id(c.log) for c in brokers.coordinators.values()} == {id(brokers.log)}
    for node, coordinator in brokers.coordinators.items():
        assert coordinator.owned_partitions == set(brokers.cluster.partitions_led_by(node))
        assert coordinator.config is CONFIG
    leader = brokers.cluster.leader_of(brokers.partition_for("g"))
    assert brokers.coordinator_for("g") is brokers.coordinators[leader]


def test_broker_records_keep_their_node_ids_and_addresses():
    brokers = Brokers([Broker(7, "h", 1), Broker(3, "h", 2)])
    assert sorted(brokers.coordinators) == [3, 7]
    assert [(b.node_id, b.port) for b in brokers.cluster.brokers] == [(3, 2), (7, 1)]


def test_member_ids_repeat_with_the_seed_and_differ_between_brokers():
    def first_member_ids(seed: int) -> list[str]:
        """The first member id each broker hands out, for a group it coordinates."""
        brokers = Brokers(3, CONFIG, seed=seed)
        ids = []
        for node, coordinator in brokers.coordinators.items():
            group = next(f"g{i}" for i in range(1000) if brokers.cluster.coordinator_for(f"g{i}").node_id == node)
            [reply] = coordinator.handle(JoinGroupRequest(group_id=group, protocols=RANGE, client_id="c"), "c", 0)
            assert reply.response.error_code is E.MEMBER_ID_REQUIRED
            ids.append(reply.response.member_id)
        return ids

    assert first_member_ids(1) == first_member_ids(1)
    assert len(set(first_member_ids(1))) == 3
    assert set(first_member_ids(1)).isdisjoint(first_member_ids(2))


def test_move_coordinator_unloads_on_the_old_broker_and_loads_from_the_log_on_the_new_one():
    brokers = Brokers(3, CONFIG)
    old, a = stable_group(brokers)
    new = (old + 1) % 3
    [required] = join(brokers, old, "b", now=5)
    assert join(brokers, old, "b", required.response.member_id, now=5) == []   # parked: a rebalance began

    replies = brokers.move_coordinator("g", new, 10)
    assert [(r.node_id, type(r.reply.response).__name__, r.reply.response.error_code) for r in replies] == [
        (old, "JoinGroupResponse", E.NOT_COORDINATOR)]
    assert isinstance(replies[0], BrokerReply) and replies[0].reply.origin == "b"
    assert brokers.coordinator_for("g") is brokers.coordinators[new]
    assert "g" not in brokers.coordinators[old].groups
    assert heartbeat(brokers, old, a, 10) is E.NOT_COORDINATOR
    assert heartbeat(brokers, new, a, 10) is E.NONE                   # generation 1 was in the log
    assert brokers.coordinators[new].describe("g")["state"] == "Stable"
    assert brokers.move_coordinator("g", new, 20) == []


def test_move_coordinator_refuses_a_broker_that_cannot_lead_the_partition():
    brokers = Brokers(5, CONFIG)                                      # 3 replicas per partition
    replicas = brokers.cluster.replicas_of(brokers.partition_for("g"))
    outsider = next(n for n in range(5) if n not in replicas)
    with pytest.raises(ValueError, match="holds no replica"):
        brokers.move_coordinator("g", outsider, 0)
    with pytest.raises(ValueError, match="unknown broker id 9"):
        brokers.move_coordinator("g", 9, 0)


def test_failing_the_coordinator_moves_the_group_and_restoring_it_brings_the_broker_back():
    brokers = Brokers(3, CONFIG)
    old, a = stable_group(brokers)
    assert brokers.fail_broker(old, 10) == []                         # nothing was parked
    new = brokers.cluster.coordinator_for("g").node_id
    assert new != old and brokers.coordinator_for("g") is brokers.coordinators[new]
    assert heartbeat(brokers, old, a, 10) is E.COORDINATOR_NOT_AVAILABLE
    assert heartbeat(brokers, new, a, 10) is E.NONE
    brokers.restore_broker(old, 20)
    assert heartbeat(brokers, old, a, 20) is E.NOT_COORDINATOR        # up again, but not the leader
    brokers.move_coordinator("g", old, 30)
    assert heartbeat(brokers, old, a, 30) is E.NONE
    for call in (brokers.fail_broker, brokers.restore_broker):
        with pytest.raises(ValueError, match="unknown broker id 9"):
            call(9, 40)


def test_with_every_replica_down_no_broker_coordinates_the_group():
    brokers = Brokers(1, CONFIG)
    brokers.fail_broker(0, 0)
    assert brokers.coordinator_for("g") is None
