"""JoinGroup (docs/classic-protocol.md §6.1-6.7 and §6.11): validation order, MEMBER_ID_REQUIRED, adding and
re-joining members, protocol checks and the response fields.

Facts ported from Kafka's GroupMetadataManagerTest / GroupCoordinatorServiceTest (test names in
the docstrings); the delayed initial rebalance and the join barrier are in
test_coordinator_rebalance.py, static membership in test_coordinator_static.py.
"""

from __future__ import annotations

import pytest

from helpers import E, Harness, S, protocols
from kafkalab.messages import JoinGroupResponse, JoinGroupResponseMember
from kafkalab.timers import HeartbeatTimer


def new_group(**kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    return Harness(**kw)


# ---------------------------------------------------------------- §6.1 validation order


def test_inactive_coordinator_answers_coordinator_not_available_first():
    h = new_group()
    h.c.active = False
    # Even an empty group id and an invalid session timeout lose against "not active".
    r = h.join("a", member_id="m-1", group_id="", session_timeout_ms=1)
    assert (r.error_code, r.member_id) == (E.COORDINATOR_NOT_AVAILABLE, "m-1")
    assert h.group is None


def test_empty_group_id_is_invalid_before_session_timeout_and_ownership():
    """testJoinGroupInvalidGroupId; the service checks the id before the partition's runtime."""
    h = new_group(owned_partitions=set())  # this broker coordinates nothing
    r = h.join("a", member_id="m-1", group_id="", session_timeout_ms=1)
    assert (r.error_code, r.member_id) == (E.INVALID_GROUP_ID, "m-1")


@pytest.mark.parametrize("session, ok", [(119, False), (120, True), (50_000, True), (50_001, False)])
def test_session_timeout_bounds_are_inclusive(session, ok):
    """testJoinGroupInvalidSessionTimeout: min 120, max 50000; 119 and 50001 are refused."""
    h = new_group(group_min_session_timeout_ms=120, group_max_session_timeout_ms=50_000)
    r = h.join("a", session_timeout_ms=session, version=3)
    if ok:
        assert r is None and h.members == ["a"]  # parked in the initial rebalance
    else:
        assert r.error_code is E.INVALID_SESSION_TIMEOUT and h.group is None


def test_invalid_session_timeout_wins_over_not_coordinator():
    h = new_group(owned_partitions=set())
    assert h.join("a", session_timeout_ms=1).error_code is E.INVALID_SESSION_TIMEOUT
    r = h.join("a", member_id="m-1")
    # The runtime's NOT_COORDINATOR does not echo the member id.
    assert (r.error_code, r.member_id, r.generation_id) == (E.NOT_COORDINATOR, "", -1)


def test_known_member_id_for_a_missing_group_is_unknown_and_creates_nothing():
    """testJoinGroupUnknownConsumerNewGroup (dynamic and static)."""
    h = new_group()
    r = h.join("a", member_id="ghost")
    assert (r.error_code, r.member_id) == (E.UNKNOWN_MEMBER_ID, "ghost")
    r = h.join("b", member_id="ghost-2", instance_id="ib")
    assert (r.error_code, r.member_id) == (E.UNKNOWN_MEMBER_ID, "ghost-2")
    assert h.group is None and h.c.log.groups == {}


def test_creating_a_group_appends_an_empty_group_record():
    """testGenerateRecordsOnNewClassicGroup: the first MEMBER_ID_REQUIRED creates an Empty group."""
    h = new_group()
    r = h.join("a", round_trip=False)
    assert r.error_code is E.MEMBER_ID_REQUIRED
    assert h.state is S.EMPTY and h.generation == 0
    rec = h.c.log.groups["g"]
    assert (rec.generation_id, rec.members, rec.leader_id, rec.protocol_name) == (0, (), None, None)


def test_failed_group_creation_write_reverts_the_group_and_fails_a_parked_join():
    """testGenerateRecordsOnNewClassicGroupFailureTransformsError: NOT_LEADER_OR_FOLLOWER ->
    NOT_COORDINATOR for the (parked) join of a new static member."""
    h = new_group()
    h.c.inject_write_error(E.NOT_LEADER_OR_FOLLOWER)
    r = h.join("a", instance_id="ia")
    assert (r.error_code, r.member_id) == (E.NOT_COORDINATOR, "")
    assert h.group is None and [k for k in h.c.timers.keys() if k.group_id == "g"] == []


def test_failed_group_creation_write_after_member_id_required_keeps_that_answer():
    """Kafka answers MEMBER_ID_REQUIRED before the group record is appended; a failed append
    reverts the group but cannot take the answer back.  The returned id is then unknown."""
    h = new_group()
    h.c.inject_write_error(E.NOT_LEADER_OR_FOLLOWER)
    r = h.join("a", round_trip=False)
    assert (r.error_code, r.member_id) == (E.MEMBER_ID_REQUIRED, "a-1")
    assert h.group is None
    assert h.join("a").error_code is E.UNKNOWN_MEMBER_ID


def test_group_max_size_with_member_id_required():
    """testDynamicMembersJoinGroupWithMaxSizeAndRequiredKnownMember (max 10 -> 3 here)."""
    h = Harness(group_max_size=3, initial_rebalance_delay_ms=50)
    first = [h.join(n, round_trip=False) for n in "abcd"]
    assert [r.error_code for r in first] == [E.MEMBER_ID_REQUIRED] * 4
    assert h.state is S.EMPTY and h.members == [] and len(h.pending) == 4  # Empty accepts all
    second = [h.join(n) for n in "abcd"]
    assert second[:3] == [None, None, None]  # parked
    assert (second[3].error_code, second[3].member_id) == (E.GROUP_MAX_SIZE_REACHED, "")
    assert h.pending == []  # the refused id was dropped from the pending set
    h.advance(50)  # newcomers arrived during the delay: extend once
    assert h.state is S.PREPARING_REBALANCE
    h.advance(50)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "b", "c"]
    # Accepted members may rejoin; the refused one still cannot.
    third = [h.join(n) for n in "abcd"]
    assert [r.error_code for r in third] == [E.NONE] * 3 + [E.GROUP_MAX_SIZE_REACHED]


def test_group_max_size_without_member_id_required():
    """testDynamicMembersJoinGroupWithMaxSizeAndNotRequiredKnownMember: v3 joins are added at once."""
    h = Harness(group_max_size=3, initial_rebalance_delay_ms=50)
    answers = [h.join(n, version=3) for n in "abcd"]
    assert answers[:3] == [None, None, None]
    assert (answers[3].error_code, answers[3].member_id) == (E.GROUP_MAX_SIZE_REACHED, "")
    assert len(h.members) == 3 and h.group.num_awaiting_join == 3
    h.advance(100)
    assert h.state is S.COMPLETING_REBALANCE and len(h.members) == 3


def test_group_max_size_in_stable_refuses_new_members_but_not_existing_ones():
    h = new_group(group_max_size=2)
    h.join_and_sync("a", "b")
    r = h.join("c")
    assert (r.error_code, r.member_id) == (E.GROUP_MAX_SIZE_REACHED, "")
    assert h.state is S.STABLE and h.pending == []
    assert h.join("b").error_code is E.NONE  # an existing member is always accepted here


def test_group_max_size_in_preparing_rebalance_counts_parked_joins():
    """acceptJoiningMember in PreparingRebalance: a member already parked is always accepted;
    anyone else only while fewer than group.max.size JoinGroups are parked."""
    h = new_group(group_max_size=2)
    h.join_and_sync("a", "b")
    h.join("a")  # the leader rejoins: PreparingRebalance, 1 parked
    assert h.join("c") is None  # new: 1 parked < 2, accepted (MEMBER_ID_REQUIRED round trip)
    assert h.members == ["a", "b", "c"] and h.group.num_awaiting_join == 2
    r = h.join("b")  # a member that has not rejoined yet: refused and removed
    assert (r.error_code, r.member_id) == (E.GROUP_MAX_SIZE_REACHED, "")
    assert h.members == ["a", "c"] and h.state is S.PREPARING_REBALANCE  # no completion check
    r = h.join("a")  # already parked: accepted; now everyone has joined
    assert (r.error_code, r.generation_id) == (E.NONE, 2)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "c"]


def test_last_rejoiners_are_refused_when_the_group_is_over_a_lowered_limit():
    """testLastJoiningMembersAreKickedOutWhenRejoiningGroupWithMaxSize: a group of 4 formed on
    a broker without a limit moves to one with group.max.size=2; the last 2 rejoiners are out."""
    from kafkalab.grouplog import GroupLog

    log = GroupLog()
    old = Harness(log=log, initial_rebalance_delay_ms=0)
    old.join_and_sync("a", "b", "c", "d")
    new = Harness(log=log, group_max_size=2, initial_rebalance_delay_ms=0)
    new.member_ids, new.names, new.generations = old.member_ids, old.names, old.generations
    new.c.load_partition(new.c.partition_of("g"), now=0)
    assert new.state is S.STABLE and new.members == ["a", "b", "c", "d"]
    answers = [new.join(n) for n in "abcd"]  # the leader's join starts the rebalance
    assert answers[:2] == [None, None]
    assert [a.error_code for a in answers[2:]] == [E.GROUP_MAX_SIZE_REACHED] * 2
    assert new.members == ["a", "b"]
    new.advance(30_000)  # the refusals do not re-check "all joined": the join timer ends it
    assert new.state is S.COMPLETING_REBALANCE and new.members == ["a", "b"]


# ---------------------------------------------------------------- §6.2 new dynamic members


def test_member_id_required_hands_out_an_id_and_changes_nothing_else():
    """testJoinGroupUnknownMemberNewGroup / testSecondMemberPartiallyJoinAndTimeout (first half)."""
    h = new_group()
    h.join_and_sync("a")
    r = h.join("b", round_trip=False, session_timeout_ms=7_000, at=100)
    assert (r.error_code, r.member_id, r.generation_id, r.leader, r.members) == (
        E.MEMBER_ID_REQUIRED, "b-2", -1, "", ())
    assert h.state is S.STABLE and h.members == ["a"] and h.pending == ["b"]
    # The pending id gets a heartbeat timer of the *requested* session timeout.
    assert h.deadline("heartbeat", member_id="b-2") == 100 + 7_000


@pytest.mark.parametrize("version", [0, 3, 4])
def test_before_v4_a_new_member_is_added_at_once(version):
    h = new_group()
    h.join_and_sync("a")
    r = h.join("b", version=version, round_trip=False)
    if version < 4:
        assert r is None  # parked, no MEMBER_ID_REQUIRED
        assert h.state is S.PREPARING_REBALANCE and "b" in h.members
    else:
        assert r.error_code is E.MEMBER_ID_REQUIRED and h.state is S.STABLE


def test_pending_member_expires_after_its_session_timeout():
    """testHeartbeatExpirationShouldRemovePendingMember / testSecondMemberPartiallyJoinAndTimeout."""
    h = new_group()
    h.join_and_sync("a")
    h.join("b", round_trip=False, session_timeout_ms=5_000)
    h.heartbeat("a", at=2_500), h.heartbeat("a", at=5_000)
    assert h.pending == []
    assert h.state is S.STABLE and h.members == ["a"] and h.generation == 1


def test_pending_member_expiry_completes_the_join_when_it_was_the_last_awaited():
    """testJoinGroupCompletionWhenPendingMemberTimesOut (setupGroupWithPendingMember)."""
    h = Harness(session_timeout_ms=5_000, rebalance_timeout_ms=10_000, initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b")
    h.join("a")  # leader rejoins: PreparingRebalance
    h.join("p", round_trip=False, session_timeout_ms=2_500)
    h.join("b")
    assert h.state is S.PREPARING_REBALANCE and h.pending == ["p"]
    h.advance_to(3_000)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "b"] and h.pending == []
    assert h.generation == 2


def test_pending_member_joining_completes_the_join():
    """testJoinGroupCompletionWhenPendingMemberJoins."""
    h = Harness(session_timeout_ms=5_000, rebalance_timeout_ms=10_000, initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b")
    h.join("a")
    h.join("p", round_trip=False, session_timeout_ms=2_500)
    h.join("b")
    r = h.join("p", member_id=h.id("p"))
    assert r.error_code is E.NONE and h.state is S.COMPLETING_REBALANCE
    assert h.members == ["a", "b", "p"] and h.pending == []


def test_pending_member_rejoining_is_added_regardless_of_version():
    h = new_group()
    h.join("a", round_trip=False)
    assert h.join("a", version=0, member_id=h.id("a")) is None  # added and parked
    assert h.members == ["a"] and h.state is S.PREPARING_REBALANCE


def test_pending_member_with_an_instance_id_is_an_internal_error():
    """testJoinGroupExistingPendingMemberWithGroupInstanceIdThrowsException."""
    h = new_group()
    h.join("a", round_trip=False)
    r = h.join("a", member_id=h.id("a"), instance_id="ia")
    assert (r.error_code, r.member_id) == (E.UNKNOWN_SERVER_ERROR, "")
    assert h.pending == ["a"] and h.members == []


def test_new_member_joining_a_dead_group_gets_coordinator_not_available():
    """testJoinGroupUnknownConsumerNewDeadGroup."""
    h = new_group()
    h.join("a", round_trip=False)
    h.make_dead()
    r = h.join("b", round_trip=False)
    assert (r.error_code, r.member_id) == (E.COORDINATOR_NOT_AVAILABLE, "")


# ---------------------------------------------------------------- §6.4 existing members


def test_existing_member_joining_a_dead_group_gets_coordinator_not_available():
    """testExistingMemberJoinDeadGroup: the member id is echoed."""
    h = new_group()
    h.join_and_sync("a")
    h.make_dead()
    r = h.join("a")
    assert (r.error_code, r.member_id) == (E.COORDINATOR_NOT_AVAILABLE, "a-1")


def test_protocol_check_comes_before_the_pending_and_member_checks():
    h = new_group()
    h.join_and_sync("a")
    h.join("p", round_trip=False)
    r = h.join("p", member_id=h.id("p"), protocol_type="connect")
    assert (r.error_code, r.member_id) == (E.INCONSISTENT_GROUP_PROTOCOL, "p-2")
    assert h.pending == ["p"]
    r = h.join("x", member_id="not-a-member", protocol_type="connect")
    assert r.error_code is E.INCONSISTENT_GROUP_PROTOCOL


def test_unknown_member_id_in_an_existing_group():
    """testJoinGroupUnknownConsumerExistingGroup."""
    h = new_group()
    h.join_and_sync("a")
    r = h.join("x", member_id="not-a-member")
    assert (r.error_code, r.member_id, r.generation_id) == (E.UNKNOWN_MEMBER_ID, "not-a-member", -1)
    assert h.state is S.STABLE


def test_rejoin_in_preparing_rebalance_updates_and_parks_dropping_an_earlier_parked_join():
    h = new_group()
    h.join_and_sync("a", "b")
    h.join("a")  # PreparingRebalance; a parked
    before = len(h.replies_to("a", JoinGroupResponse))
    h.join("a", protocols=protocols("range", "roundrobin"), rebalance_timeout_ms=40_000, session_timeout_ms=12_000)
    assert len(h.replies_to("a", JoinGroupResponse)) == before  # the first parked join is dropped
    member = h.c.describe("g")["members"][0]
    assert (member["rebalance_timeout_ms"], member["session_timeout_ms"]) == (40_000, 12_000)
    assert h.group.num_awaiting_join == 1
    h.join("b")
    assert len(h.replies_to("a", JoinGroupResponse)) == before + 1  # exactly one answer
    assert h.last("a").generation_id == 2


def test_rejoin_in_completing_rebalance_with_same_protocols_repeats_the_answer():
    """testJoinGroupFromUnchangedFollowerDoesNotRebalance (the CompletingRebalance half)."""
    h = new_group()
    h.join_and_sync("a")
    h.join("b"), h.join("a")
    assert h.state is S.COMPLETING_REBALANCE
    f = h.join("b")
    assert (f.error_code, f.generation_id, f.leader, f.members, f.protocol_name) == (E.NONE, 2, "a-1", (), "range")
    lead = h.join("a")
    assert [m.member_id for m in lead.members] == ["a-1", "b-2"]  # only the leader gets the list
    assert h.state is S.COMPLETING_REBALANCE and h.generation == 2


def test_rejoin_in_completing_rebalance_with_changed_protocols_rebalances():
    """testJoinGroupExistingMemberUpdatedMetadataTriggersRebalance."""
    h = new_group()
    h.join_and_sync("a")
    h.join("b"), h.join("a")
    # Same names, another order: not "the same protocols".
    assert h.join("b", protocols=protocols("roundrobin", "range")) is None
    assert h.state is S.PREPARING_REBALANCE


def test_leader_rejoin_in_stable_always_rebalances():
    """testJoinGroupFromUnchangedLeaderShouldRebalance / testGenerationIdIncrementsOnRebalance."""
    h = new_group()
    h.join_and_sync("a")
    r = h.join("a")  # same metadata
    assert (r.error_code, r.generation_id) == (E.NONE, 2)
    assert h.state is S.COMPLETING_REBALANCE


def test_follower_rejoin_in_stable_with_same_protocols_gets_the_current_generation():
    """testJoinGroupExistingMemberDoesNotTriggerRebalanceInStableState."""
    h = new_group()
    h.join_and_sync("a", "b")
    r = h.join("b")
    assert (r.error_code, r.generation_id, r.leader, r.members, r.protocol_type, r.protocol_name) == (
        E.NONE, 1, "a-1", (), "consumer", "range")
    assert h.state is S.STABLE and h.generation == 1


def test_follower_rejoin_in_stable_with_changed_protocols_rebalances():
    """testJoinGroupAsExistingMemberWithUpdatedMetadataTriggersRebalanceInStableState."""
    h = new_group()
    h.join_and_sync("a", "b")
    assert h.join("b", protocols=(("range", b"new-subscription"),)) is None
    assert h.state is S.PREPARING_REBALANCE


def test_rejoin_with_an_old_member_id_after_the_group_emptied():
    """testJoinGroupExistingMemberInEmptyState: UNKNOWN_MEMBER_ID, generation -1."""
    h = new_group()
    h.join_and_sync("a")
    old_id = h.id("a")
    h.leave("a")
    assert h.state is S.EMPTY
    r = h.join("a", member_id=old_id)
    assert (r.error_code, r.generation_id, r.member_id) == (E.UNKNOWN_MEMBER_ID, -1, old_id)


# ---------------------------------------------------------------- §6.5 adding members


def test_added_member_is_new_leads_an_empty_group_and_gets_the_new_member_timeout():
    h = Harness()  # default 3000 ms initial delay
    h.join("a", at=10)
    m = h.group.members["a-1"]
    assert m.is_new and h.leader == "a"
    assert h.deadline("heartbeat", "a") == 10 + 300_000  # not the 10 s session timeout
    h.advance_to(3_010)
    assert not h.group.members["a-1"].is_new
    assert h.deadline("heartbeat", "a") == 3_010 + 10_000


def test_new_member_join_timeout_removes_a_parked_new_member():
    """testNewMemberJoinExpiration."""
    big = 300_000
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", session_timeout_ms=5_000 + big, rebalance_timeout_ms=2 * big)
    h.complete_join()
    assert h.leader == "a"
    assert h.join("b", session_timeout_ms=5_000, rebalance_timeout_ms=5_000) is None
    assert h.members == ["a", "b"] and h.group.members["b-2"].is_new
    fired = h.advance(big)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "b-2")]
    r = h.last("b")
    assert (r.error_code, r.member_id) == (E.UNKNOWN_MEMBER_ID, "")
    assert h.members == ["a"] and h.state is S.PREPARING_REBALANCE


def test_only_joiner_hitting_the_new_member_timeout_completes_the_join_into_empty():
    """testHeartbeatExpirationShouldRemoveMember: initial delay 10 min > 5 min new-member timeout."""
    h = Harness(initial_rebalance_delay_ms=600_000)
    h.join("a")
    fired = h.advance(300_000)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "a-1")]
    assert h.last("a").error_code is E.UNKNOWN_MEMBER_ID
    assert h.state is S.EMPTY and h.generation == 1 and h.members == []
    assert h.c.log.groups["g"].generation_id == 1  # the Empty group record was written
    assert h.deadline("join") is None


def test_new_member_timeout_stops_applying_after_the_join_completes():
    """testNewMemberTimeoutCompletion: session 305000 ms after completion, not 300000."""
    h = Harness()
    h.join("a", session_timeout_ms=305_000)
    h.advance_to(3_000)
    h.sync("a")
    assert h.state is S.STABLE
    h.advance_to(3_000 + 300_000)
    assert h.members == ["a"]
    fired = h.advance_to(3_000 + 305_000)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "a-1")]
    assert h.state is S.EMPTY and h.generation == 2


def test_new_member_after_join_completion_follows_normal_session_expiry():
    """testNewMemberFailureAfterJoinGroupCompletion."""
    h = Harness(session_timeout_ms=5_000, rebalance_timeout_ms=10_000, initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    h.join("b", version=3), h.join("a")  # b is added and the join completes at once
    assert h.state is S.COMPLETING_REBALANCE
    fired = h.advance(5_000)
    assert {t.member_id for t in fired} == {"a-1", "b-2"}
    assert h.state is S.EMPTY


# ---------------------------------------------------------------- §6.6 protocols


@pytest.mark.parametrize("ptype, protos", [("", protocols("range")), ("consumer", ())])
def test_first_member_needs_a_protocol_type_and_a_protocol(ptype, protos):
    """testJoinGroupWithEmptyProtocolType / testJoinGroupWithEmptyGroupProtocol."""
    h = new_group()
    r = h.join("a", protocol_type=ptype, protocols=protos)
    assert (r.error_code, r.member_id) == (E.INCONSISTENT_GROUP_PROTOCOL, "")
    assert h.state is S.EMPTY and h.pending == []  # the group was created, nobody added


def test_the_first_members_protocol_type_becomes_the_groups():
    """testClassicGroupJoinInconsistentProtocolType."""
    h = new_group()
    h.join("a", protocol_type="connect", protocols=protocols("v1"))
    assert h.group.protocol_type == "connect"
    r = h.join("b", protocol_type="consumer", protocols=protocols("v1"))
    assert (r.error_code, r.member_id) == (E.INCONSISTENT_GROUP_PROTOCOL, "")


def test_a_new_member_needs_a_protocol_every_member_supports():
    """testJoinGroupInconsistentGroupProtocol / testJoinGroupSecondJoinInconsistentProtocol."""
    h = new_group()
    h.join("a", protocols=protocols("range"))
    r = h.join("b", protocols=protocols("roundrobin"))
    assert r.error_code is E.INCONSISTENT_GROUP_PROTOCOL
    assert h.join("c", protocols=protocols("roundrobin", "range")) is None


def test_single_member_rejoining_with_an_entirely_new_protocol_list_is_refused():
    """The counts include the requester's own previous protocols."""
    h = new_group()
    h.join_and_sync("a")
    r = h.join("a", protocols=protocols("roundrobin"))
    assert (r.error_code, r.member_id) == (E.INCONSISTENT_GROUP_PROTOCOL, "a-1")
    assert h.state is S.STABLE and h.group.members["a-1"].protocol_names == ("range",)


def test_protocol_vote_each_member_votes_its_first_common_protocol():
    h = new_group()
    h.join("a", protocols=protocols("sticky", "range", "roundrobin"))  # sticky is no candidate
    h.join("b", protocols=protocols("roundrobin", "range"))
    h.join("c", protocols=protocols("roundrobin", "range"))
    h.complete_join()
    assert h.protocol == "roundrobin"  # a: range, b: roundrobin, c: roundrobin


def test_default_client_assignors_select_range():
    h = new_group()
    for n in "abc":
        h.join(n, protocols=protocols("range", "cooperative-sticky"))
    h.complete_join()
    assert h.protocol == "range"


# ---------------------------------------------------------------- §6.11 response contents


def test_join_responses_leader_gets_the_member_list_with_selected_metadata():
    """testJoinGroupReturnsTheProtocolType and the member list of completeClassicGroupJoin."""
    h = new_group()
    h.join("a", instance_id="ia", protocols=(("range", b"A-range"), ("roundrobin", b"A-rr")), version=7)
    h.join("b", protocols=(("range", b"B-range"),), version=7)
    h.complete_join()
    lead, fol = h.last("a"), h.last("b")
    assert lead == JoinGroupResponse(
        error_code=E.NONE, generation_id=1, protocol_type="consumer", protocol_name="range",
        leader="ia-1", member_id="ia-1", skip_assignment=False,
        members=(JoinGroupResponseMember("ia-1", "ia", b"A-range"), JoinGroupResponseMember("b-2", None, b"B-range")))
    assert fol == JoinGroupResponse(
        error_code=E.NONE, generation_id=1, protocol_type="consumer", protocol_name="range",
        leader="ia-1", member_id="b-2", members=())


@pytest.mark.parametrize("version, ptype, pname_on_error", [(6, None, ""), (7, "consumer", None), (9, "consumer", None)])
def test_protocol_type_is_answered_from_v7_and_error_protocol_name_is_null_from_v7(version, ptype, pname_on_error):
    h = new_group()
    h.join("a", version=version)
    h.complete_join()
    assert h.last("a").protocol_type == ptype and h.last("a").protocol_name == "range"
    err = h.join("x", member_id="nope", version=version)
    assert (err.protocol_type, err.protocol_name, err.leader, err.generation_id) == (None, pname_on_error, "", -1)


def test_v0_uses_the_session_timeout_as_rebalance_timeout():
    h = new_group()
    h.join("a", version=0, session_timeout_ms=7_000, rebalance_timeout_ms=99_000)
    assert h.c.describe("g")["members"][0]["rebalance_timeout_ms"] == 7_000
