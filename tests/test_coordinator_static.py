"""Static membership, KIP-345 and KIP-814 (docs/classic-protocol.md §6.3): replacement, fencing, the
no-rebalance restart in Stable and its failure path."""

from __future__ import annotations

import pytest

from helpers import E, Harness, S, protocols
from kafkalab.messages import JoinGroupResponse, JoinGroupResponseMember, SyncGroupResponse
from kafkalab.timers import HeartbeatTimer


def static_group(*names: str, version: int = 9, assignments=None, **kw) -> Harness:
    """A Stable group of static members (instance id ``"i" + name``), the first one leading."""
    kw.setdefault("initial_rebalance_delay_ms", 0)
    h = Harness(join_version=version, **kw)
    for n in names:
        h.instance_ids[n] = f"i{n}"
    h.join_and_sync(*names, assignments=assignments)
    return h


def restart(h: Harness, old: str, new: str, **kw) -> JoinGroupResponse:
    """Process ``new`` starts with ``old``'s group.instance.id and no member id."""
    return h.join(new, instance_id=h.instance_ids[old], new=True, **kw)


def test_new_static_member_never_gets_member_id_required():
    """testStaticMemberJoinAsFirstMember."""
    h = Harness(initial_rebalance_delay_ms=0)
    assert h.join("a", instance_id="ia", round_trip=False) is None  # added and parked
    assert h.members == ["a"] and h.group.static_members == {"ia": "ia-1"}
    h.complete_join()
    assert h.last("a").member_id == "ia-1"  # instance id + "-" + a fresh id


def test_replacement_in_stable_without_protocol_change_does_not_rebalance_v9_leader():
    """testReplaceStaticMemberInStableStateNoError / testStaticMemberRejoinWithLeaderIdAndUnknownMemberId
    (skip assignment supported): the rejoined leader learns it leads but must not reassign."""
    h = static_group("a", "b", assignments={"a": b"A", "b": b"B"})
    writes = h.c.log.writes
    r = restart(h, "a", "a2", protocols=protocols("range", "roundrobin"),
                rebalance_timeout_ms=7_000, session_timeout_ms=4_500)
    assert r == JoinGroupResponse(
        error_code=E.NONE, generation_id=1, protocol_type="consumer", protocol_name="range",
        leader="ia-3", member_id="ia-3", skip_assignment=True,
        # (the new id takes the place of the old one at the end of kafkalab's join order)
        members=(JoinGroupResponseMember("ib-2", "ib", b"range"), JoinGroupResponseMember("ia-3", "ia", b"range")))
    assert h.state is S.STABLE and h.generation == 1 and h.leader == "a2"
    assert h.c.log.writes == writes + 1 and h.c.log.groups["g"].leader_id == "ia-3"
    m = h.group.members["ia-3"]
    assert (m.rebalance_timeout_ms, m.session_timeout_ms, m.protocol_names) == (7_000, 4_500, ("range", "roundrobin"))
    assert h.sync("a2", generation=1).assignment == b"A"  # the old member's assignment carries over


def test_replacement_in_stable_v9_follower():
    h = static_group("a", "b")
    r = restart(h, "b", "b2")
    assert (r.error_code, r.member_id, r.leader, r.skip_assignment, r.members) == (E.NONE, "ib-3", "ia-1", False, ())
    assert h.state is S.STABLE


@pytest.mark.parametrize("version", [5, 7, 8])
def test_replacement_in_stable_before_v9_returns_the_old_leader_id(version):
    """Without KIP-814 the rejoined static leader is told the *old* leader id, so it sees itself
    as a follower and does not run the assignor (testReplaceStaticMemberInStableStateSucceeds)."""
    h = static_group("a", "b", version=version)
    r = restart(h, "a", "a2")
    assert (r.error_code, r.member_id, r.generation_id, r.leader, r.skip_assignment, r.members) == (
        E.NONE, "ia-3", 1, "ia-1", False, ())
    assert h.leader == "a2" and h.state is S.STABLE


def test_replacement_session_timer_uses_the_old_session_timeout():
    h = static_group("a", "b")
    restart(h, "b", "b2", session_timeout_ms=6_000, at=1_000)
    assert h.deadline("heartbeat", "b2") == 1_000 + 10_000  # b's timeout, restarted for the new id
    # The old id's timer is left to expire without effect, as in Kafka.
    h.heartbeat("a", at=5_000)
    fired = h.advance_to(10_000)
    assert HeartbeatTimer("g", "ib-2") in [t.key for t in fired]
    assert sorted(h.members) == ["a", "b2"] and h.state is S.STABLE


def test_replacement_write_failure_reverts_to_the_old_member():
    """testReplaceStaticMemberInStableStateErrors: UNKNOWN_TOPIC_OR_PARTITION ->
    COORDINATOR_NOT_AVAILABLE; the old member, its protocols and timeouts are restored."""
    h = static_group("a", "b", rebalance_timeout_ms=4_000, session_timeout_ms=3_000)
    h.c.inject_write_error(E.UNKNOWN_TOPIC_OR_PARTITION)
    r = restart(h, "a", "a2", protocols=protocols("range", "roundrobin"),
                rebalance_timeout_ms=7_000, session_timeout_ms=6_000, at=500)
    assert r == JoinGroupResponse(
        error_code=E.COORDINATOR_NOT_AVAILABLE, generation_id=1, protocol_type="consumer",
        protocol_name="range", leader="ia-1", member_id="", skip_assignment=False, members=())
    g = h.group
    assert sorted(g.members) == ["ia-1", "ib-2"] and g.static_members["ia"] == "ia-1" and h.leader == "a"
    m = g.members["ia-1"]
    assert (m.rebalance_timeout_ms, m.session_timeout_ms, m.protocol_names) == (4_000, 3_000, ("range",))
    assert g.num_awaiting_join == 0 and h.state is S.STABLE and h.generation == 1
    assert h.deadline("heartbeat", "a") == 500 + 3_000  # (ia-3's timer will expire without effect)
    assert h.heartbeat("a").error_code is E.NONE  # the old process was never fenced


def test_replacement_in_stable_with_a_different_selected_protocol_rebalances():
    """testReplaceStaticMemberInStableStateWithUpdatedProtocolTriggersRebalance."""
    h = Harness(initial_rebalance_delay_ms=0, protocols=protocols("range", "roundrobin"))
    h.instance_ids["a"] = "ia"
    h.join_and_sync("a")
    r = restart(h, "a", "a2", protocols=protocols("roundrobin"))
    assert (r.error_code, r.generation_id, r.protocol_name) == (E.NONE, 2, "roundrobin")
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a2"]


def test_replacement_in_completing_rebalance_always_rebalances():
    """testReplaceStaticMemberInCompletingRebalanceStateTriggersRebalance."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", instance_id="ia")
    h.complete_join()
    assert h.state is S.COMPLETING_REBALANCE
    r = restart(h, "a", "a2")  # same protocols, but the leader may be assigning for ia-1
    assert (r.error_code, r.generation_id) == (E.NONE, 2)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a2"]


def test_replacement_in_preparing_rebalance_fences_the_parked_join_and_waits():
    """testStaticMemberFenceDuplicateRejoinedFollower."""
    h = static_group("a", "b")
    h.join("c")  # a new member: PreparingRebalance
    assert h.join("b") is None  # the old follower rejoins with its id: parked
    assert restart(h, "b", "b2") is None  # the duplicate: replaces ib-2 and is parked
    assert h.last("b") == JoinGroupResponse(
        error_code=E.FENCED_INSTANCE_ID, generation_id=-1, protocol_type=None, protocol_name=None,
        leader="", member_id="ib-2", members=())
    assert h.state is S.PREPARING_REBALANCE and h.group.num_awaiting_join == 2  # c and b2
    h.join("a")
    assert h.state is S.COMPLETING_REBALANCE and h.last("b2").member_id == "ib-4"


def test_replacement_fences_a_parked_sync():
    """testStaticMemberFenceDuplicateSyncingFollowerAfterMemberIdChanged."""
    h = static_group("a", "b")
    h.join("a")
    h.join("b")  # generation 2, CompletingRebalance
    assert h.sync("b") is None
    restart(h, "b", "b2")
    assert h.last("b", SyncGroupResponse) == SyncGroupResponse(error_code=E.FENCED_INSTANCE_ID)
    assert h.state is S.PREPARING_REBALANCE


def test_the_replaced_id_is_fenced_everywhere_with_its_instance_id():
    """testStaticMemberRejoinWithLeaderIdAndUnknownMemberId and the fencing tests."""
    h = static_group("a", "b")
    restart(h, "a", "a2")
    assert h.join("a").error_code is E.FENCED_INSTANCE_ID
    assert h.sync("a").error_code is E.FENCED_INSTANCE_ID
    assert h.heartbeat("a").error_code is E.FENCED_INSTANCE_ID
    commit = h.commit("a")
    assert commit.topics[0].partitions[0].error_code is E.FENCED_INSTANCE_ID
    leave = h.leave("a")
    assert (leave.error_code, leave.members[0].error_code) == (E.NONE, E.FENCED_INSTANCE_ID)
    assert sorted(h.members) == ["a2", "b"] and h.state is S.STABLE


def test_the_replaced_id_without_instance_id_is_simply_unknown():
    h = static_group("a", "b")
    restart(h, "a", "a2")
    assert h.sync("a", group_instance_id=None).error_code is E.UNKNOWN_MEMBER_ID
    assert h.heartbeat("a", instance_id=None).error_code is E.UNKNOWN_MEMBER_ID


def test_every_restart_yields_a_different_member_id():
    """testGetDifferentStaticMemberIdAfterEachRejoin."""
    h = static_group("a")
    ids = {h.id("a")}
    for i in range(3):
        ids.add(restart(h, "a", "a").member_id)
    assert len(ids) == 4


def test_known_member_id_with_an_unknown_instance_id_is_unknown():
    """testStaticMemberJoinWithUnknownInstanceIdAndKnownMemberId."""
    h = static_group("a")
    r = h.join("a", instance_id="unknown-instance")
    assert (r.error_code, r.member_id) == (E.UNKNOWN_MEMBER_ID, "ia-1")


def test_known_member_id_with_another_members_instance_id_is_fenced():
    """testStaticMemberRejoinAsFollowerWithMismatchedInstanceId / ...AsLeader..."""
    h = static_group("a", "b")
    r = h.join("b", instance_id="ia")
    assert (r.error_code, r.member_id) == (E.FENCED_INSTANCE_ID, "ib-2")


def test_static_leader_rejoining_with_its_known_id_rebalances():
    """testStaticMemberRejoinWithLeaderIdAndKnownMemberId."""
    h = static_group("a", "b")
    assert h.join("a") is None
    assert h.state is S.PREPARING_REBALANCE


def test_static_follower_rejoining_with_its_known_id_and_same_protocols_does_not_rebalance():
    """testStaticMemberRejoinAsFollowerWithKnownMemberIdAndNoProtocolChange."""
    h = static_group("a", "b")
    r = h.join("b")
    assert (r.error_code, r.generation_id, r.leader) == (E.NONE, 1, "ia-1") and h.state is S.STABLE


def test_static_leader_that_fails_to_rejoin_is_listed_to_the_new_leader():
    """testStaticMemberLeaderFailToRejoinBeforeRebalanceTimeout (Kafka accepts either new leader)."""
    h = static_group("a", "b", rebalance_timeout_ms=10_000, session_timeout_ms=15_000)
    h.join("c", instance_id="ic", protocols=protocols("range", "roundrobin"))
    h.join("b")
    h.advance(10_000)
    lead, fol = h.last("b"), h.last("c")
    assert lead.leader == lead.member_id == "ib-2" and fol.leader == "ib-2"
    assert [(m.member_id, m.group_instance_id) for m in lead.members] == [
        ("ia-1", "ia"), ("ib-2", "ib"), ("ic-3", "ic")]
    assert fol.members == () and h.state is S.COMPLETING_REBALANCE and h.generation == 2


def test_static_members_are_removed_by_session_expiry():
    h = static_group("a", "b")
    h.heartbeat("a", at=9_000)
    h.advance_to(10_000)
    assert h.members == ["a"] and "ib" not in h.group.static_members


def test_group_stuck_in_rebalance_while_only_static_members_that_did_not_rejoin_remain():
    """testGroupStuckInRebalanceTimeoutDueToNonjoinedStaticMember."""
    h = static_group("a", "b", rebalance_timeout_ms=5_000, session_timeout_ms=10_000)
    h.join("c", session_timeout_ms=10_000)
    h.advance(5_000)
    r = h.last("c")
    assert (r.leader, len(r.members), r.generation_id) == ("c-3", 3, 2)
    leave = h.leave("b")  # the static follower leaves with its id and instance id
    assert leave.members[0].error_code is E.NONE and h.state is S.PREPARING_REBALANCE
    h.advance(5_000)  # c (dynamic) did not rejoin: dropped; a (static) is kept; nobody parked
    assert h.members == ["a"] and h.generation == 2 and h.state is S.PREPARING_REBALANCE
