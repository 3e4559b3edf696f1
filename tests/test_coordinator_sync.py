"""SyncGroup (docs/classic-protocol.md §7) and the pending-sync expiry (§7.1)."""

from __future__ import annotations

import pytest

from helpers import E, Harness, S
from kafkalab.messages import SyncGroupResponse
from kafkalab.timers import SyncTimer


def completing(*names: str, **kw) -> Harness:
    """A group that just completed its join phase (generation 1, CompletingRebalance)."""
    kw.setdefault("initial_rebalance_delay_ms", 0)
    h = Harness(**kw)
    for n in names:
        h.join(n)
    h.complete_join()
    assert h.state is S.COMPLETING_REBALANCE
    return h


# ---------------------------------------------------------------- validation order


def test_sync_validation_before_the_group_lookup():
    h = Harness(owned_partitions=set())
    h.c.active = False
    assert h.sync("a", group_id="").error_code is E.COORDINATOR_NOT_AVAILABLE
    h.c.active = True
    assert h.sync("a", group_id="").error_code is E.INVALID_GROUP_ID  # before NOT_COORDINATOR
    assert h.sync("a").error_code is E.NOT_COORDINATOR


def test_sync_to_a_missing_group_is_unknown_member():
    """testSyncGroupFromUnknownGroup."""
    h = Harness()
    assert h.sync("a", member_id="member-id", generation=1).error_code is E.UNKNOWN_MEMBER_ID


def test_sync_to_an_empty_group_is_unknown_member():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    gen, mid = h.generations["a"], h.id("a")
    h.leave("a")
    assert h.state is S.EMPTY
    assert h.sync("a", generation=gen, member_id=mid).error_code is E.UNKNOWN_MEMBER_ID


def test_sync_to_a_dead_group():
    h = completing("a")
    h.make_dead()
    assert h.sync("a").error_code is E.COORDINATOR_NOT_AVAILABLE


def test_sync_member_validation():
    """testSyncGroupFromUnknownMember / testStaticMemberSyncAsLeaderWithInvalidMemberId."""
    h = completing("a")
    h.instance_ids["s"] = "is"
    h.join("s")  # a static member: the group goes back to PreparingRebalance
    h.join("a")
    assert h.sync("x", member_id="unknown-member-id", generation=2).error_code is E.UNKNOWN_MEMBER_ID
    assert h.sync("s", group_instance_id="unknown-instance").error_code is E.UNKNOWN_MEMBER_ID
    assert h.sync("a", group_instance_id="is").error_code is E.FENCED_INSTANCE_ID


def test_generation_is_checked_before_the_protocol():
    """testSyncGroupFromIllegalGeneration."""
    h = completing("a")
    r = h.sync("a", generation=2, version=5, protocol_type="connect")
    assert r.error_code is E.ILLEGAL_GENERATION


@pytest.mark.parametrize("field, value", [("protocol_type", "connect"), ("protocol_name", "roundrobin")])
def test_v5_protocol_type_and_name_must_match(field, value):
    """testSyncGroupReturnsAnErrorWhenProtocolTypeIsInconsistent / ...NameIsInconsistent."""
    h = completing("a")
    assert h.sync("a", version=5, **{field: value}).error_code is E.INCONSISTENT_GROUP_PROTOCOL
    assert h.sync("a", version=4, **{field: value}).error_code is E.NONE  # not checked before v5


def test_v5_absent_protocol_fields_are_not_checked_and_consistent_ones_pass():
    """testSyncGroupSucceedWhenProtocolTypeAndNameAreNotProvided / ...AreConsistent."""
    h = completing("a", "b")
    assert h.sync("b", version=5) is None
    r = h.sync("a", {"a": b"A", "b": b"B"}, version=5, protocol_type="consumer", protocol_name="range")
    assert r == SyncGroupResponse(error_code=E.NONE, protocol_type="consumer", protocol_name="range", assignment=b"A")
    assert h.last("b") == SyncGroupResponse(error_code=E.NONE, protocol_type="consumer",
                                            protocol_name="range", assignment=b"B")


def test_v5_protocol_fields_are_not_checked_against_a_group_without_them():
    """isProtocolInconsistent() needs both sides: a group loaded from a record without a
    protocol name accepts any requested name (and, as in Kafka, the first loaded member's ""
    protocol type becomes the group's, so a type is still compared)."""
    from kafkalab.grouplog import GroupLog, GroupRecord, MemberRecord

    log = GroupLog()
    log.groups["g"] = GroupRecord("g", "consumer", 3, None, "m-1", 0, (
        MemberRecord("m-1", None, "c", "h", 30_000, 10_000, b"", b"A"),))
    h = Harness(log=log)
    h.load()
    r = h.sync("a", member_id="m-1", generation=3, version=5, protocol_type="consumer", protocol_name="range")
    assert (r.error_code, r.assignment) == (E.NONE, b"A")
    r = h.sync("a", member_id="m-1", generation=3, version=5, protocol_type="connect")
    assert r.error_code is E.INCONSISTENT_GROUP_PROTOCOL


def test_sync_in_preparing_rebalance_is_rebalance_in_progress():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b")
    h.join("a")
    assert h.state is S.PREPARING_REBALANCE
    assert h.sync("b").error_code is E.REBALANCE_IN_PROGRESS  # generation 1 is still current


# ---------------------------------------------------------------- CompletingRebalance


def test_follower_before_leader_waits_for_the_leaders_assignment():
    """testSyncGroupLeaderAfterFollower."""
    h = completing("a", "b", session_timeout_ms=5_000)
    assert h.sync("b", {"b": b"ignored"}, at=1_000) is None  # a follower's assignments are ignored
    writes = h.c.log.writes
    r = h.sync("a", {"a": b"\x00", "b": b"\x01"}, at=2_000)
    assert h.c.log.writes == writes + 1
    assert (r.error_code, r.assignment) == (E.NONE, b"\x00")
    assert h.last("b") == SyncGroupResponse(error_code=E.NONE, assignment=b"\x01")
    assert h.state is S.STABLE
    record = h.c.log.groups["g"]
    assert [m.assignment for m in record.members] == [b"\x00", b"\x01"]
    # Kafka's record keeps the time the group entered its current state (CompletingRebalance at 0).
    assert (record.generation_id, record.leader_id, record.current_state_timestamp) == (1, "a-1", 0)
    # every answered member's session restarts
    assert h.deadline("heartbeat", "a") == h.deadline("heartbeat", "b") == 2_000 + 5_000


def test_follower_after_leader_gets_its_assignment_at_once():
    """testSyncGroupFollowerAfterLeader."""
    h = completing("a", "b")
    h.sync("a", {"a": b"\x00", "b": b"\x01"})
    assert h.state is S.STABLE
    r = h.sync("b")
    assert (r.error_code, r.assignment) == (E.NONE, b"\x01")


def test_members_missing_from_the_leaders_assignment_get_an_empty_one():
    """testSyncGroupEmptyAssignment."""
    h = completing("a", "b")
    h.sync("b")
    h.sync("a", {"a": b"A"})
    assert h.last("b").assignment == b"" and h.last("b").error_code is E.NONE
    assert h.heartbeat("b").error_code is E.NONE


def test_sync_removes_the_member_from_pending_sync_and_the_last_one_cancels_the_timer():
    h = completing("a", "b", "c")
    assert list(h.group.pending_sync_members) == ["a-1", "b-2", "c-3"] and h.deadline("sync") == 30_000
    h.sync("b")
    assert list(h.group.pending_sync_members) == ["a-1", "c-3"] and h.deadline("sync") == 30_000
    h.sync("a", {})
    assert h.state is S.STABLE and h.deadline("sync") == 30_000
    h.sync("c")
    assert not h.group.pending_sync_members and h.deadline("sync") is None


def test_leader_assignment_write_failure():
    """testSyncGroupAsLeaderAppendFailureTransformsError: NOT_LEADER_OR_FOLLOWER -> NOT_COORDINATOR."""
    h = completing("a", "b")
    h.sync("b")
    h.c.inject_write_error(E.NOT_LEADER_OR_FOLLOWER)
    r = h.sync("a", {"a": b"A", "b": b"B"})
    assert r == SyncGroupResponse(error_code=E.NOT_COORDINATOR)
    assert h.last("b") == SyncGroupResponse(error_code=E.NOT_COORDINATOR)
    assert h.state is S.PREPARING_REBALANCE and h.generation == 1
    assert [m.assignment for m in h.group.members.values()] == [b"", b""]


def test_sync_in_stable_returns_the_stored_assignment_without_restarting_the_session():
    """The new coordinator does not restart the session here (the old Scala one did)."""
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=5_000)
    h.join_and_sync("a", "b", assignments={"a": b"A", "b": b"B"})
    before = h.deadline("heartbeat", "b")
    r = h.sync("b", version=5, at=1_000)
    assert r == SyncGroupResponse(error_code=E.NONE, protocol_type="consumer", protocol_name="range", assignment=b"B")
    assert h.deadline("heartbeat", "b") == before


def test_leader_session_expiry_while_a_follower_waits_in_sync():
    """testLeaderFailureInSyncGroup."""
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=5_000, rebalance_timeout_ms=10_000)
    h.join_and_sync("a")
    h.join("b"), h.join("a")
    assert h.state is S.COMPLETING_REBALANCE and h.leader == "a"
    assert h.sync("b") is None
    h.advance_to(5_000)
    assert h.last("b") == SyncGroupResponse(error_code=E.REBALANCE_IN_PROGRESS)
    assert h.members == ["b"] and h.state is S.PREPARING_REBALANCE
    assert h.deadline("heartbeat", "b") == 10_000


# ---------------------------------------------------------------- §7.1 pending-sync expiry


def test_pending_sync_expiry_removes_everyone_and_empties_the_group():
    """testRebalanceTimesOutWhenSyncRequestIsNotReceived: heartbeats do not satisfy it."""
    h = completing("a", "b", "c", session_timeout_ms=5_000, rebalance_timeout_ms=5_000)
    for n in "abc":
        assert h.heartbeat(n, at=2_500).error_code is E.NONE
    fired = h.advance_to(5_000)
    assert [t.key for t in fired] == [SyncTimer("g")]
    assert h.state is S.EMPTY and h.generation == 2 and h.members == []
    assert h.c.log.groups["g"].generation_id == 2
    for n in "abc":
        assert h.heartbeat(n).error_code is E.UNKNOWN_MEMBER_ID


def test_pending_sync_expiry_removes_followers_that_did_not_sync():
    """testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromFollowers."""
    h = completing("a", "b", "c", session_timeout_ms=5_000, rebalance_timeout_ms=5_000)
    for n in "abc":
        h.heartbeat(n, at=2_500)
    h.sync("a", {})
    assert h.state is S.STABLE and h.heartbeat("a").error_code is E.NONE
    fired = h.advance_to(5_000)
    assert [t.key for t in fired] == [SyncTimer("g")]
    assert h.heartbeat("a").error_code is E.REBALANCE_IN_PROGRESS
    assert [h.heartbeat(n).error_code for n in "bc"] == [E.UNKNOWN_MEMBER_ID] * 2
    assert h.state is S.PREPARING_REBALANCE and h.members == ["a"]


def test_pending_sync_expiry_removes_a_leader_that_did_not_sync():
    """testRebalanceTimesOutWhenSyncRequestIsNotReceivedFromLeaders."""
    h = completing("a", "b", "c", session_timeout_ms=5_000, rebalance_timeout_ms=5_000)
    for n in "abc":
        h.heartbeat(n, at=2_500)
    assert h.sync("b") is None and h.sync("c") is None
    h.advance_to(5_000)
    assert [h.last(n, SyncGroupResponse).error_code for n in "bc"] == [E.REBALANCE_IN_PROGRESS] * 2
    assert h.heartbeat("a").error_code is E.UNKNOWN_MEMBER_ID
    assert [h.heartbeat(n).error_code for n in "bc"] == [E.REBALANCE_IN_PROGRESS] * 2
    assert h.state is S.PREPARING_REBALANCE and h.leader == "b"


def test_no_pending_sync_expiry_when_everyone_synced():
    """testRebalanceDoesNotTimeOutWhenAllSyncAreReceived."""
    h = completing("a", "b", "c", session_timeout_ms=5_000, rebalance_timeout_ms=5_000)
    for n in "abc":
        h.heartbeat(n, at=2_500)
    h.sync("a", {}), h.sync("b"), h.sync("c")
    assert h.deadline("sync") is None
    for t in (5_000, 7_500):
        assert [h.heartbeat(n, at=t).error_code for n in "abc"] == [E.NONE] * 3
    assert h.state is S.STABLE


def test_pending_sync_expiry_also_removes_static_members():
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=60_000, rebalance_timeout_ms=5_000)
    h.join("a", instance_id="ia")
    h.complete_join()
    h.advance_to(5_000)
    assert h.state is S.EMPTY and h.group.static_members == {}
