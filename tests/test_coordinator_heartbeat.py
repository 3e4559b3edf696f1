"""Heartbeat and session expiry (docs/classic-protocol.md §8)."""

from __future__ import annotations

from helpers import E, Harness, S
from kafkalab.classic.group import Member
from kafkalab import trace as tr
from kafkalab.messages import JoinGroupResponse, SyncGroupResponse
from kafkalab.timers import HeartbeatTimer


def stable(*names: str, **kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    h = Harness(**kw)
    h.join_and_sync(*names)
    return h


# ---------------------------------------------------------------- validation


def test_heartbeat_validation_order_before_the_group():
    h = Harness(owned_partitions=set())
    h.c.active = False
    assert h.heartbeat("a", group_id="").error_code is E.COORDINATOR_NOT_AVAILABLE
    h.c.active = True
    assert h.heartbeat("a", group_id="").error_code is E.INVALID_GROUP_ID
    assert h.heartbeat("a").error_code is E.NOT_COORDINATOR


def test_heartbeat_is_answered_none_blindly_while_loading():
    h = Harness()
    p = h.c.partition_of("g")
    h.c.load_partition(p, now=0, loading=True)
    assert h.heartbeat("a", member_id="whoever", generation=42).error_code is E.NONE
    assert h.heartbeat("a", group_id="").error_code is E.INVALID_GROUP_ID  # still checked first


def test_heartbeat_unknown_group():
    """testHeartbeatUnknownGroup."""
    assert Harness().heartbeat("a", member_id="member-id").error_code is E.UNKNOWN_MEMBER_ID


def test_heartbeat_dead_group():
    """testHeartbeatDeadGroup."""
    h = stable("a")
    h.make_dead()
    assert h.heartbeat("a").error_code is E.COORDINATOR_NOT_AVAILABLE


def test_heartbeat_unknown_member_in_an_existing_group():
    """testHeartbeatUnknownMemberExistingGroup."""
    h = stable("a")
    assert h.heartbeat("x", member_id="unknown-member-id", generation=1).error_code is E.UNKNOWN_MEMBER_ID


def test_heartbeat_static_member_validation():
    """testStaticMemberHeartbeatLeaderWithInvalidMemberId."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.instance_ids.update(a="ia", b="ib")
    h.join_and_sync("a", "b")
    assert h.heartbeat("a", member_id="invalid").error_code is E.FENCED_INSTANCE_ID
    assert h.heartbeat("a", instance_id="unknown").error_code is E.UNKNOWN_MEMBER_ID
    assert h.heartbeat("a").error_code is E.NONE


def test_heartbeat_illegal_generation():
    """testHeartbeatIllegalGeneration."""
    h = stable("a")
    assert h.heartbeat("a", generation=2).error_code is E.ILLEGAL_GENERATION


def test_heartbeat_in_an_empty_group():
    """testHeartbeatEmptyGroup (Kafka adds a member to an Empty group directly; so do we)."""
    h = Harness()
    h.join("a", round_trip=False)
    h.group.add(Member("member-id", None, "client-id", "client-host", 10_000, 5_000, "consumer", (("range", b""),)))
    assert h.state is S.EMPTY
    assert h.heartbeat("x", member_id="member-id", generation=0).error_code is E.UNKNOWN_MEMBER_ID


# ---------------------------------------------------------------- answers by state


def test_heartbeat_in_preparing_rebalance_refreshes_the_session_and_asks_to_rejoin():
    """testHeartbeatDuringPreparingRebalance / testHeartbeatDuringRebalanceCausesRebalanceInProgress."""
    h = stable("a", "b")
    h.join("a")
    assert h.heartbeat("b", at=4_000).error_code is E.REBALANCE_IN_PROGRESS
    assert h.deadline("heartbeat", "b") == 4_000 + 10_000


def test_heartbeat_during_the_initial_rebalance_with_generation_zero():
    h = Harness()
    h.join("a")
    assert h.state is S.PREPARING_REBALANCE
    assert h.heartbeat("a", generation=0).error_code is E.REBALANCE_IN_PROGRESS


def test_heartbeat_in_completing_rebalance_is_fine():
    """testHeartbeatDuringCompletingRebalance."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.complete_join()
    assert h.heartbeat("a", at=1_000).error_code is E.NONE
    assert h.deadline("heartbeat", "a") == 11_000


def test_heartbeats_keep_a_stable_member_alive():
    """testValidHeartbeat / testClassicGroupMemberHeartbeatMaintainsSession."""
    h = stable("a", session_timeout_ms=5_000)
    assert h.heartbeat("a", at=2_500).error_code is E.NONE
    assert h.heartbeat("a", at=5_000).error_code is E.NONE
    assert h.members == ["a"] and h.deadline("heartbeat", "a") == 10_000


# ---------------------------------------------------------------- session expiry in every state


def test_silent_member_is_removed_after_session_timeout():
    """The STYLE.md example / testClassicGroupMemberSessionTimeout."""
    h = Harness(session_timeout_ms=10_000, initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b")
    h.heartbeat("a", at=9_000)
    fired = h.advance_to(10_000)
    assert [t.kind for t in fired] == [tr.TimerKind.HEARTBEAT]
    assert h.state is S.PREPARING_REBALANCE
    assert h.heartbeat("a").error_code is E.REBALANCE_IN_PROGRESS
    assert h.heartbeat("b").error_code is E.UNKNOWN_MEMBER_ID


def test_last_member_session_expiry_in_stable_empties_the_group():
    h = stable("a", session_timeout_ms=5_000)
    h.advance_to(5_000)
    assert h.state is S.EMPTY and h.generation == 2


def test_session_expiry_in_completing_rebalance_answers_parked_syncs():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.join("b"), h.complete_join()
    h.sync("b", at=5_000)  # b parked in SyncGroup; a (the leader) is silent
    h.advance_to(10_000)
    assert h.members == ["b"] and h.state is S.PREPARING_REBALANCE
    assert h.last("b") == SyncGroupResponse(error_code=E.REBALANCE_IN_PROGRESS)


def test_session_expiry_in_preparing_rebalance_completes_the_join():
    """testClassicGroupMemberSessionTimeoutDuringRebalance."""
    h = stable("a", session_timeout_ms=5_000, rebalance_timeout_ms=10_000)
    h.join("b")  # new member: PreparingRebalance (its own timer is the 5-minute one)
    assert h.heartbeat("a", at=2_500).error_code is E.REBALANCE_IN_PROGRESS
    h.advance_to(7_500)  # a never rejoins; its session ends at 2500 + 5000
    assert h.heartbeat("a").error_code is E.UNKNOWN_MEMBER_ID
    assert h.last("b").error_code is E.NONE and h.members == ["b"] and h.generation == 2
    assert h.state is S.COMPLETING_REBALANCE


def test_a_member_parked_in_join_has_satisfied_its_heartbeat():
    """...and its timer is not restarted: the next restart comes from the join completion."""
    h = stable("a", "b", rebalance_timeout_ms=60_000)
    h.join("a")  # a parked in JoinGroup
    h.heartbeat("b", at=5_000)
    fired = h.advance_to(10_000)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "a-1")]
    assert h.members == ["a", "b"] and h.deadline("heartbeat", "a") is None
    h.advance_to(15_000)  # b, not parked, expires; everyone left has joined
    assert h.members == ["a"] and h.state is S.COMPLETING_REBALANCE
    assert h.deadline("heartbeat", "a") == 25_000


def test_a_member_parked_in_sync_has_satisfied_its_heartbeat():
    h = Harness(initial_rebalance_delay_ms=0, rebalance_timeout_ms=60_000)
    h.join("a"), h.join("b"), h.complete_join()
    assert h.sync("b") is None
    h.heartbeat("a", at=5_000)
    fired = h.advance_to(10_000)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "b-2")]
    assert h.members == ["a", "b"] and h.deadline("heartbeat", "b") is None
    h.sync("a", {"a": b"A", "b": b"B"}, at=12_000)
    assert h.last("b").assignment == b"B" and h.deadline("heartbeat", "b") == 22_000


def test_a_new_member_parked_in_join_is_not_protected():
    h = stable("a", session_timeout_ms=400_000, rebalance_timeout_ms=600_000)
    h.join("b")
    h.advance_to(300_000)
    assert h.members == ["a"]
    assert h.last("b") == JoinGroupResponse(error_code=E.UNKNOWN_MEMBER_ID, member_id="")


def test_leaving_cancels_the_session_timer():
    h = stable("a", "b")
    h.leave("b")
    assert h.deadline("heartbeat", "b") is None
    h.join("a")  # generation 2 with a alone
    h.heartbeat("a", at=5_000)
    fired = h.advance_to(10_000)
    assert fired == [] and h.members == ["a"]
