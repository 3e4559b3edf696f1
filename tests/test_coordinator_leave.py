"""LeaveGroup v0-v5 (docs/classic-protocol.md §9)."""

from __future__ import annotations

import pytest

from helpers import E, Harness, S
from kafkalab.messages import JoinGroupResponse, LeaveGroupResponse, MemberIdentity, MemberResponse


def stable(*names: str, **kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    h = Harness(**kw)
    h.join_and_sync(*names)
    return h


def with_pending_member() -> Harness:
    """Kafka's setupGroupWithPendingMember: a and b rejoined (PreparingRebalance), p pending."""
    h = stable("a", "b", session_timeout_ms=5_000, rebalance_timeout_ms=10_000)
    h.join("a")
    h.join("p", round_trip=False, session_timeout_ms=2_500)
    h.join("b")
    assert h.state is S.PREPARING_REBALANCE and h.pending == ["p"]
    return h


# ---------------------------------------------------------------- versions and validation


@pytest.mark.parametrize("version", [0, 1, 2])
def test_v0_to_v2_fold_the_member_error_into_the_top_level(version):
    h = stable("a", "b")
    assert h.leave("b", version=version) == LeaveGroupResponse(error_code=E.NONE, members=())
    h.member_ids["x"] = "not-a-member"
    assert h.leave("x", version=version) == LeaveGroupResponse(error_code=E.UNKNOWN_MEMBER_ID, members=())
    assert h.leave("a", version=version, group_id="missing") == LeaveGroupResponse(error_code=E.UNKNOWN_MEMBER_ID)


def test_leave_validation_before_the_group():
    h = Harness(owned_partitions=set())
    h.c.active = False
    assert h.leave("a", group_id="").error_code is E.COORDINATOR_NOT_AVAILABLE
    h.c.active = True
    assert h.leave("a", group_id="").error_code is E.INVALID_GROUP_ID
    assert h.leave("a").error_code is E.NOT_COORDINATOR


def test_leave_missing_group_answers_every_identity_unknown():
    """testStaticMembersLeaveUnknownGroup / testLeaveGroupInvalidGroup."""
    h = Harness()
    r = h.leave(identities=[MemberIdentity(group_instance_id="leader-instance-id"),
                            MemberIdentity(group_instance_id="follower-instance-id")])
    assert r == LeaveGroupResponse(error_code=E.NONE, members=(
        MemberResponse("", "leader-instance-id", E.UNKNOWN_MEMBER_ID),
        MemberResponse("", "follower-instance-id", E.UNKNOWN_MEMBER_ID)))
    assert h.leave(identities=[]) == LeaveGroupResponse(error_code=E.NONE, members=())


def test_leave_dead_group():
    """testLeaveDeadGroup."""
    h = stable("a")
    h.make_dead()
    assert h.leave("a") == LeaveGroupResponse(error_code=E.COORDINATOR_NOT_AVAILABLE, members=())


# ---------------------------------------------------------------- identities


@pytest.mark.parametrize("version", [3, 4, 5])
def test_v3_to_v5_answer_per_member_with_reasons_ignored(version):
    h = stable("a", "b")
    r = h.leave(identities=[MemberIdentity(h.id("b"), None, "shutting down" if version >= 5 else None)],
                version=version)
    assert r == LeaveGroupResponse(error_code=E.NONE, members=(MemberResponse("b-2", None, E.NONE),))


def test_leave_by_instance_id_alone_removes_the_static_member():
    """testLeaveGroupStaticMemberWithUnknownMemberId / testStaticMembersValidBatchLeaveGroup:
    the response echoes the request's (empty) member id, not the resolved one."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.instance_ids.update(a="ia", b="ib")
    h.join_and_sync("a", "b")
    r = h.leave(identities=[MemberIdentity(group_instance_id="ia"), MemberIdentity(group_instance_id="ib")])
    assert r.members == (MemberResponse("", "ia", E.NONE), MemberResponse("", "ib", E.NONE))
    assert h.members == [] and h.state is S.EMPTY and h.generation == 2


def test_leave_by_unknown_or_missing_instance_id():
    """testStaticMembersUnknownInstanceBatchLeaveGroup."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.instance_ids.update(a="ia", b="ib")
    h.join_and_sync("a", "b")
    r = h.leave(identities=[MemberIdentity(group_instance_id="unknown-instance-id"),
                            MemberIdentity(group_instance_id="ib"),
                            MemberIdentity()])
    assert [m.error_code for m in r.members] == [E.UNKNOWN_MEMBER_ID, E.NONE, E.UNKNOWN_MEMBER_ID]
    assert h.members == ["a"] and h.state is S.PREPARING_REBALANCE


def test_leave_with_a_fenced_instance_id():
    """testLeaveGroupWithFencedInstanceId / testStaticMembersFencedInstanceBatchLeaveGroup."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.instance_ids.update(a="ia", b="ib")
    h.join_and_sync("a", "b")
    r = h.leave(identities=[MemberIdentity(group_instance_id="ia"),
                            MemberIdentity("invalid-member-id", "ib")])
    assert r.members == (MemberResponse("", "ia", E.NONE), MemberResponse("invalid-member-id", "ib", E.FENCED_INSTANCE_ID))
    assert h.members == ["b"]


def test_leave_unknown_member_changes_nothing():
    """testLeaveGroupUnknownMemberIdExistingGroup."""
    h = stable("a")
    r = h.leave(identities=[MemberIdentity("unknown-member-id")])
    assert r.members == (MemberResponse("unknown-member-id", None, E.UNKNOWN_MEMBER_ID),)
    assert h.state is S.STABLE and h.members == ["a"]


def test_pending_member_leaving_completes_the_join():
    """testPendingMembersLeaveGroup."""
    h = with_pending_member()
    r = h.leave("p")
    assert r.members == (MemberResponse("p-3", None, E.NONE),)
    assert h.pending == [] and h.deadline("heartbeat", "p") is None
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "b"]


def test_pending_member_leaving_an_empty_group():
    h = Harness()
    h.join("a", round_trip=False)
    assert h.leave("a").members[0].error_code is E.NONE
    assert h.state is S.EMPTY and h.pending == []


def test_batch_leave_in_request_order():
    """testJoinedMemberPendingMemberBatchLeaveGroupWithUnknownMember."""
    h = with_pending_member()
    r = h.leave(identities=[MemberIdentity(h.id("a")), MemberIdentity(h.id("b")), MemberIdentity(h.id("p")),
                            MemberIdentity("unknown-member-id")])
    assert r.members == (MemberResponse("a-1", None, E.NONE), MemberResponse("b-2", None, E.NONE),
                         MemberResponse("p-3", None, E.NONE), MemberResponse("unknown-member-id", None, E.UNKNOWN_MEMBER_ID))
    # a and b were parked in JoinGroup: answered UNKNOWN_MEMBER_ID without a member id.
    assert h.last("a") == h.last("b") == JoinGroupResponse(error_code=E.UNKNOWN_MEMBER_ID, member_id="")
    assert h.state is S.EMPTY and h.generation == 2


def test_leaving_member_hands_over_leadership_and_cancels_its_timer():
    h = stable("a", "b")
    h.leave("a")
    assert h.leader == "b" and h.deadline("heartbeat", "a") is None
    assert h.state is S.PREPARING_REBALANCE


def test_leave_in_completing_rebalance_rebalances_and_in_preparing_rebalance_may_complete():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.join("b"), h.join("c"), h.complete_join()
    assert h.state is S.COMPLETING_REBALANCE
    h.leave("c")
    assert h.state is S.PREPARING_REBALANCE
    h.join("a")
    assert h.state is S.PREPARING_REBALANCE
    h.leave("b")  # the last one not rejoined: the join phase completes in the same call
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a"] and h.generation == 2
