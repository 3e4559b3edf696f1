"""Preparing and completing a rebalance (docs/classic-protocol.md §6.8-6.10): the delayed initial rebalance, the
join barrier and its timeout, leader (re-)election and generation ids."""

from __future__ import annotations

from helpers import E, Harness, S, protocols
from kafkalab import trace as tr
from kafkalab.messages import SyncGroupResponse
from kafkalab.timers import JoinTimer


def group(**kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    return Harness(**kw)


# ---------------------------------------------------------------- §6.8 the delayed initial rebalance


def test_initial_rebalance_one_joiner_completes_after_exactly_one_delay():
    """§6.8 example 1: D=3000, rebalance timeout 500 -> remaining 0, completes at t=3000."""
    h = Harness(rebalance_timeout_ms=500)
    h.join("a")
    assert h.c.timers.get(JoinTimer("g")).payload == (3_000, 0)
    h.advance_to(2_999)
    assert h.state is S.PREPARING_REBALANCE and h.last("a").error_code is E.MEMBER_ID_REQUIRED
    h.advance_to(3_000)
    assert h.state is S.COMPLETING_REBALANCE and h.last("a").generation_id == 1


def test_initial_rebalance_is_extended_by_a_joiner_during_the_delay():
    """§6.8 example 2: rebalance timeout 9000, second joiner at 2999 -> completes at 6000."""
    h = Harness(rebalance_timeout_ms=9_000)
    h.join("a")
    h.join("b", at=2_999)
    h.advance_to(3_000)
    assert h.c.timers.get(JoinTimer("g")).payload == (3_000, 3_000)
    assert h.deadline("join") == 6_000
    h.advance_to(5_999)
    assert h.state is S.PREPARING_REBALANCE
    h.advance_to(6_000)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "b"]


def test_initial_rebalance_never_waits_longer_than_the_rebalance_timeout():
    """§6.8 example 3: rebalance timeout 6000, two joiners at 0, a third at 3001 -> at 3000 the
    timer is rescheduled with remaining 0, so it completes at 6000 even though c came later."""
    h = Harness(rebalance_timeout_ms=6_000)
    h.join("a"), h.join("b")
    h.advance_to(3_000)
    assert h.c.timers.get(JoinTimer("g")).payload == (3_000, 0)
    h.join("c", at=3_001)
    assert h.group.new_member_added
    h.advance_to(5_999)
    assert h.state is S.PREPARING_REBALANCE
    h.advance_to(6_000)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a", "b", "c"]


def test_initial_rebalance_extension_is_capped_by_the_remaining_time():
    """remaining < initial delay: rebalance timeout 4000 -> (3000, 1000), then (1000, 0)."""
    h = Harness(rebalance_timeout_ms=4_000)
    h.join("a")
    assert h.c.timers.get(JoinTimer("g")).payload == (3_000, 1_000)
    h.join("b", at=1_000)
    h.advance_to(3_000)
    assert h.c.timers.get(JoinTimer("g")).payload == (1_000, 0) and h.deadline("join") == 4_000
    h.advance_to(4_000)
    assert h.state is S.COMPLETING_REBALANCE


def test_initial_rebalance_with_kafkas_clock_jump():
    """testDelayRebalanceUptoRebalanceTimeout: Kafka's test sleeps 3001 ms at once, so the timer
    due at 3000 fires at 3001 and the reschedule is relative to 3001 -> completes at 6001."""
    h = Harness(rebalance_timeout_ms=6_000)
    h.join("a"), h.join("b")
    h.sleep(3_001)
    h.join("c")
    h.sleep(2_999)
    assert [h.last(n).error_code for n in "abc"] == [E.MEMBER_ID_REQUIRED] * 3
    h.sleep(1)
    assert [h.last(n).error_code for n in "abc"] == [E.NONE] * 3 and h.now == 6_001


def test_initial_rebalance_delay_on_an_empty_group():
    """testDelayInitialRebalanceByGroupInitialRebalanceDelayOnEmptyGroup."""
    h = Harness()
    h.join("a")
    h.sleep(1_500)
    assert h.state is S.PREPARING_REBALANCE
    h.sleep(1_501)
    assert h.last("a").error_code is E.NONE


def test_initial_rebalance_delay_is_reset_by_a_new_member():
    """testResetRebalanceDelayWhenNewMemberJoinsGroupDuringInitialRebalance (rebalance 9000)."""
    h = Harness(rebalance_timeout_ms=9_000)
    h.join("a")
    h.sleep(2_999)
    h.join("b")
    h.sleep(2)        # the 3000 timer fires at 3001 and waits another 3000
    h.sleep(1_501)
    assert h.state is S.PREPARING_REBALANCE
    h.sleep(1_500)    # 6002 >= 6001
    assert [h.last(n).error_code for n in "ab"] == [E.NONE, E.NONE]


def test_initial_rebalance_is_not_completed_by_joins_or_leaves():
    """maybeCompleteJoinPhase skips "all joined" while previous state is Empty."""
    h = Harness(rebalance_timeout_ms=60_000)
    h.join("a"), h.join("b")
    assert h.group.has_all_members_joined() and h.state is S.PREPARING_REBALANCE
    h.leave("b")
    assert h.state is S.PREPARING_REBALANCE and h.members == ["a"]
    h.advance_to(3_000)  # b's arrival still counts (the flag is not cleared by its leaving)
    assert h.state is S.PREPARING_REBALANCE and h.deadline("join") == 6_000
    h.advance_to(6_000)
    assert h.state is S.COMPLETING_REBALANCE and h.members == ["a"]


def test_first_member_does_not_set_new_member_added():
    h = Harness(rebalance_timeout_ms=60_000)
    h.join("a")
    assert not h.group.new_member_added
    h.join("b")
    assert h.group.new_member_added


def test_only_an_initial_rebalance_notes_new_members():
    """A newcomer during a later rebalance (previous state Stable) does not set the flag, so it
    cannot stretch the next initial rebalance."""
    h = Harness()
    h.join_and_sync("a", "b")
    assert not h.group.new_member_added
    h.join("a", at=h.now)  # PreparingRebalance after Stable
    h.join("c"), h.join("b")
    assert h.state is S.COMPLETING_REBALANCE and not h.group.new_member_added
    h.leave("a", "b", "c")
    assert h.state is S.EMPTY
    start = h.now
    h.join("d")
    h.advance_to(start + 3_000)  # one initial delay, no extension
    assert h.state is S.COMPLETING_REBALANCE


# ---------------------------------------------------------------- §6.8 non-initial rebalances


def test_rebalance_from_stable_starts_the_join_timer_at_the_largest_rebalance_timeout():
    h = group()
    h.join("a", rebalance_timeout_ms=20_000)
    h.join("b", rebalance_timeout_ms=45_000)
    h.complete_join()
    h.sync("a", {}), h.sync("b")
    h.join("a", at=100, rebalance_timeout_ms=20_000)
    assert h.state is S.PREPARING_REBALANCE and h.deadline("join") == 100 + 45_000
    assert h.c.timers.get(JoinTimer("g")).payload is None  # a plain join timer, not the delayed one


def test_rebalance_completes_in_the_same_call_when_everyone_has_joined():
    h = group()
    h.join_and_sync("a")
    r = h.join("a")
    assert (r.error_code, r.generation_id) == (E.NONE, 2) and h.deadline("join") is None


def test_rebalance_from_completing_rebalance_answers_parked_syncs_and_clears_assignments():
    h = group(session_timeout_ms=5_000)
    h.join_and_sync("a", "b", assignments={"a": b"A", "b": b"B"})
    h.join("a")
    h.join("b")  # generation 2, CompletingRebalance; assignments are still the old ones
    assert h.group.members["b-2"].assignment == b"B"
    assert h.sync("b", at=1_000) is None  # parked
    h.join("c", at=2_000)  # a new member: CompletingRebalance -> PreparingRebalance
    assert h.last("b") == SyncGroupResponse(error_code=E.REBALANCE_IN_PROGRESS)
    assert [m.assignment for m in h.group.members.values()] == [b"", b"", b""]
    assert h.deadline("heartbeat", "b") == 2_000 + 5_000  # restarted when answered
    assert h.deadline("sync") is None and not h.group.pending_sync_members


def test_a_member_joining_during_completing_rebalance_cancels_the_pending_sync_timer():
    h = group()
    h.join("a"), h.complete_join()
    assert h.deadline("sync") == 30_000
    h.join("b")
    assert h.deadline("sync") is None and h.state is S.PREPARING_REBALANCE


# ---------------------------------------------------------------- §6.9 the join barrier


def test_dynamic_members_that_do_not_rejoin_are_dropped_at_the_rebalance_timeout():
    """testCompleteJoinRemoveNotYetRejoinedDynamicMembers."""
    h = group(session_timeout_ms=1_000, rebalance_timeout_ms=1_000)
    h.join("a"), h.complete_join()
    assert h.generation == 1
    assert h.join("b") is None  # CompletingRebalance -> PreparingRebalance
    h.advance(1_000)
    assert h.last("b").error_code is E.NONE and h.members == ["b"] and h.generation == 2


def test_static_members_that_do_not_rejoin_are_kept():
    """testRebalanceCompletesBeforeMemberJoins."""
    h = group(session_timeout_ms=5_000, rebalance_timeout_ms=10_000)
    h.join("a", instance_id="ia")
    h.complete_join()
    h.sync("a")
    assert h.state is S.STABLE and h.generation == 1
    h.join("b", session_timeout_ms=2_500)  # new dynamic member: PreparingRebalance
    for t in (2_500, 5_000):
        assert h.heartbeat("a", at=t).error_code is E.REBALANCE_IN_PROGRESS
    h.advance_to(10_000)  # the join timer: a did not rejoin but is static, so it stays
    assert h.last("b").error_code is E.NONE and h.last("b").leader == h.id("b")
    assert h.members == ["a", "b"] and h.generation == 2 and h.state is S.COMPLETING_REBALANCE
    h.sync("b")
    assert h.state is S.STABLE
    assert h.heartbeat("a").error_code is E.ILLEGAL_GENERATION  # still a member, old generation
    # a's session was restarted at the join completion (10000 + 5000); it is removed then.
    codes = [h.heartbeat("b", at=t).error_code for t in (12_000, 14_000, 16_000)]
    assert codes == [E.NONE, E.NONE, E.REBALANCE_IN_PROGRESS]
    assert h.members == ["b"] and h.state is S.PREPARING_REBALANCE
    r = h.join("b", session_timeout_ms=2_500)
    assert (r.error_code, r.generation_id) == (E.NONE, 3)


def test_no_member_rejoined_extends_the_join_phase():
    """testCompleteJoinPhaseNoMembersRejoinedExtendsJoinPhase: only static members that did
    not rejoin -> the join timer is rescheduled for another rebalance timeout."""
    h = group(session_timeout_ms=30_000, rebalance_timeout_ms=10_000)
    h.join("a", instance_id="ia")
    h.complete_join()
    h.join("b", instance_id="ib")
    r = h.join("a")
    assert r.generation_id == 2 and h.last("b").generation_id == 2
    h.sync("a"), h.sync("b")
    # Kafka's test calls prepareRebalance(); here a dynamic member joins and leaves again.
    h.join("x", at=1_000)
    h.leave("x")
    assert h.state is S.PREPARING_REBALANCE and h.group.num_awaiting_join == 0
    h.advance_to(11_000)
    assert h.state is S.PREPARING_REBALANCE and h.deadline("join") == 21_000
    assert any(isinstance(e, tr.JoinPhaseExtended) for e in h.c.trace)
    h.advance_to(21_000)
    assert h.deadline("join") == 31_000 and h.generation == 2 and h.members == ["a", "b"]
    h.join("a")
    assert h.state is S.PREPARING_REBALANCE
    h.join("b")
    assert h.state is S.COMPLETING_REBALANCE and h.generation == 3


def test_join_completion_answers_restart_sessions_clear_is_new_and_start_pending_sync():
    h = group(session_timeout_ms=30_000)
    h.join("a", instance_id="ia", rebalance_timeout_ms=12_000)
    h.complete_join()
    h.sync("a")
    h.join("b", at=500, rebalance_timeout_ms=20_000)  # a does not rejoin (static: kept)
    writes = h.c.log.writes
    h.advance_to(500 + 20_000)
    g = h.group
    assert h.state is S.COMPLETING_REBALANCE
    assert not any(m.is_new for m in g.members.values())
    assert list(g.pending_sync_members) == ["ia-1", "b-2"]
    assert h.deadline("heartbeat", "a") == 20_500 + 30_000  # also the member that did not rejoin
    assert h.deadline("heartbeat", "b") == 20_500 + 30_000
    assert h.deadline("sync") == 20_500 + 20_000
    assert h.c.log.writes == writes  # nothing is written when entering CompletingRebalance
    r = h.last("b")
    assert (r.leader, r.skip_assignment, len(r.members)) == ("b-2", False, 2)


# ---------------------------------------------------------------- leaders


def test_first_member_leads_and_a_rejoined_leader_stays_leader():
    h = group()
    h.join_and_sync("a", "b", "c")
    assert h.leader == "a"
    h.join("a"), h.join("c"), h.join("b")
    assert h.state is S.COMPLETING_REBALANCE
    assert h.leader == "a" and h.last("b").leader == "a-1"


def test_leader_that_does_not_rejoin_is_replaced_by_the_earliest_joined_rejoined_member():
    """A static leader that does not rejoin stays a member but loses the leadership.  Kafka
    picks "any" member with a parked JoinGroup (HashMap order); kafkalab the earliest-joined."""
    h = group(session_timeout_ms=60_000)
    h.instance_ids["a"] = "ia"  # a is a static member
    h.join_and_sync("a", "b", "c")
    h.join("c", protocols=(("range", b"c-v2"),))  # c rejoins first (changed metadata)
    h.join("b")
    h.advance(30_000)  # the join timer; a did not rejoin
    assert h.members == ["a", "b", "c"] and h.leader == "b"
    assert [m.member_id for m in h.last("b").members] == ["ia-1", "b-2", "c-3"]
    assert h.last("c").members == () and h.last("c").leader == "b-2"
    assert [(e.old, e.new) for e in h.events(tr.LeaderChanged)][-1] == ("ia-1", "b-2")


def test_removed_leader_is_replaced_by_the_earliest_joined_member():
    h = group(session_timeout_ms=60_000)
    h.join_and_sync("a", "b", "c")
    h.join("c", protocols=(("range", b"c-v2"),))
    h.join("b")
    h.advance(30_000)  # a (dynamic) is dropped; the leadership passes on at the removal
    assert h.members == ["b", "c"] and h.leader == "b"


def test_leader_handover_when_the_leader_leaves():
    h = group()
    h.join_and_sync("a", "b", "c")
    h.leave("a")
    assert h.leader == "b"
    h.leave("b", "c")
    assert h.leader is None and h.state is S.EMPTY


def test_leader_handover_when_the_leader_session_expires():
    h = group()
    h.join_and_sync("a", "b")
    h.heartbeat("b", at=9_000)
    h.advance_to(10_000)
    assert h.members == ["b"] and h.leader == "b"


# ---------------------------------------------------------------- §6.10 generation ids


def test_generation_ids_as_kafka_increments_them():
    h = group()
    h.join("a")
    assert h.generation == 0
    h.complete_join()
    assert h.generation == 1                      # join phase completed
    h.sync("a")
    h.join("b", instance_id="ib")
    h.join("a")
    assert h.generation == 2                      # completed again
    assert h.join("b").generation_id == 2         # an immediate answer does not bump it
    h.sync("a"), h.sync("b")
    h.join("b2", instance_id="ib")                # static replacement in Stable: no rebalance
    assert h.state is S.STABLE and h.generation == 2
    h.c.inject_write_error(E.NOT_LEADER_OR_FOLLOWER)
    h.join("b3", instance_id="ib")                # failed write: reverted, no bump
    assert h.generation == 2
    h.leave("a")                                  # PreparingRebalance, b2 has not rejoined
    assert h.state is S.PREPARING_REBALANCE and h.generation == 2
    h.leave("b2")                                 # the last member leaves: Empty at g + 1
    assert h.state is S.EMPTY and h.generation == 3


def test_last_member_leaving_makes_the_group_empty_at_generation_plus_one_in_one_call():
    """testValidLeaveGroup: no direct Stable -> Empty; the record is written."""
    h = group()
    h.join_and_sync("a")
    mark = len(h.c.trace)
    h.leave("a")
    changes = [(e.old, e.new) for e in h.c.trace[mark:] if isinstance(e, tr.StateChanged)]
    assert changes == [(S.STABLE, S.PREPARING_REBALANCE), (S.PREPARING_REBALANCE, S.EMPTY)]
    assert h.generation == 2 and h.protocol is None
    rec = h.c.log.groups["g"]
    assert (rec.generation_id, rec.members, rec.protocol_name) == (2, (), None)


def test_protocol_is_selected_at_every_completion():
    h = group()
    h.join("a", protocols=protocols("roundrobin", "range"))
    h.complete_join()
    assert h.protocol == "roundrobin"
    h.join("b", protocols=protocols("range"))
    h.join("a", protocols=protocols("roundrobin", "range"))
    assert h.protocol == "range"
