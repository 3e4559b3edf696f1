"""Reconciliation, revoke before assign (docs/consumer-protocol.md §3.3), on CurrentAssignmentBuilder
directly and through heartbeats."""

from __future__ import annotations

import pytest

from kafkalab.errors import ErrorCode
from kafkalab.messages import ConsumerGroupHeartbeatTopicPartitions as TP
from kafkalab.modern import events as ev
from kafkalab.modern.group import ConsumerGroupMember
from kafkalab.modern.reconcile import FencedMemberEpoch, reconcile
from kafkalab.modern.state import MemberState
from kafkalab.modern.timers import rebalance_timeout_key
from modern_helpers import Harness, RangeAssignor

E = ErrorCode
S = MemberState
T1, T2 = "topic1", "topic2"


def member(state=S.STABLE, epoch=10, previous=9, assigned=None, revoking=None):
    return ConsumerGroupMember("m", member_epoch=epoch, previous_member_epoch=previous, state=state,
                               rebalance_timeout_ms=1000,
                               assigned_partitions={t: frozenset(p) for t, p in (assigned or {}).items()},
                               partitions_pending_revocation={t: frozenset(p) for t, p in (revoking or {}).items()})


def owners(**epochs):
    """current_partition_epoch from {"topic1_3": 10, ...}."""
    table = {(k.rsplit("_", 1)[0], int(k.rsplit("_", 1)[1])): v for k, v in epochs.items()}
    return lambda t, p: table.get((t, p), -1)


def tps(**parts):
    return tuple(TP(t, tuple(p)) for t, p in parts.items())


def view(m):
    return (m.state, m.member_epoch, m.previous_member_epoch,
            {t: sorted(p) for t, p in m.assigned_partitions.items()},
            {t: sorted(p) for t, p in m.partitions_pending_revocation.items()})


# ---------------------------------------------------------------------------- CurrentAssignmentBuilder

def test_stable_at_the_target_epoch_is_unchanged():
    """docs/consumer-protocol.md §3.3 STABLE: nothing to do when memberEpoch == T."""
    m = member(assigned={T1: [1, 2]})
    assert reconcile(m, 10, {T1: frozenset({1, 2, 3})}, owners(), None) is m


def test_stable_moves_straight_to_a_new_epoch_when_nothing_is_revoked():
    """docs/consumer-protocol.md §3.3 next() rule 2/4: no revocation -> epoch T at once, STABLE; every
    epoch change keeps the old epoch as previous."""
    m = member(assigned={T1: [1, 2]})
    out = reconcile(m, 11, {T1: frozenset({1, 2, 3})}, owners(), tps())
    assert view(out) == (S.STABLE, 11, 10, {T1: [1, 2, 3]}, {})
    out = reconcile(m, 11, {T1: frozenset({1, 2})}, owners(), None)
    assert view(out) == (S.STABLE, 11, 10, {T1: [1, 2]}, {})


def test_revocation_comes_first_and_nothing_is_added_meanwhile():
    """docs/consumer-protocol.md §3.3 next() rule 1: revoke != {} and the member may own it ->
    UNREVOKED_PARTITIONS at the *current* epoch, A = keep, R = revoke, no new partition."""
    m = member(assigned={T1: [1, 2, 3]})
    target = {T1: frozenset({3, 4}), T2: frozenset({0})}
    for owned in (None, tps(topic1=[1, 2, 3])):
        out = reconcile(m, 11, target, owners(), owned)
        assert view(out) == (S.UNREVOKED_PARTITIONS, 10, 10, {T1: [3]}, {T1: [1, 2]})


def test_revocation_is_skipped_when_the_member_no_longer_reports_the_revoked_partitions():
    """docs/consumer-protocol.md §3.3: rule 1 is skipped when the heartbeat's TopicPartitions has none of
    the partitions to revoke (testStableToUnreleasedPartitionsWithOwnedPartitionsNotHavingRevokedPartitions)."""
    m = member(assigned={T1: [1, 2, 3]})
    out = reconcile(m, 11, {T1: frozenset({3, 4})}, owners(topic1_4=10), tps(topic1=[3]))
    assert view(out) == (S.UNRELEASED_PARTITIONS, 11, 10, {T1: [3]}, {})


def test_unrevoked_waits_while_the_member_may_still_own_a_revoked_partition():
    """docs/consumer-protocol.md §3.3 UNREVOKED_PARTITIONS: TopicPartitions omitted, or still holding one
    of R -> unchanged (a heartbeat without TopicPartitions never acknowledges a revocation)."""
    m = member(S.UNREVOKED_PARTITIONS, assigned={T1: [3]}, revoking={T1: [1, 2]})
    for owned in (None, tps(topic1=[2, 3])):
        assert reconcile(m, 11, {T1: frozenset({3, 4})}, owners(topic1_1=10, topic1_2=10), owned) is m


def test_unrevoked_moves_to_epoch_plus_one_once_the_revocation_is_acknowledged():
    """docs/consumer-protocol.md §3.3: once none of R is reported -> next(memberEpoch + 1, A)."""
    m = member(S.UNREVOKED_PARTITIONS, assigned={T1: [3]}, revoking={T1: [1, 2]})
    out = reconcile(m, 11, {T1: frozenset({3, 4})}, owners(topic1_1=10, topic1_2=10), tps(topic1=[3]))
    assert view(out) == (S.STABLE, 11, 10, {T1: [3, 4]}, {})


def test_a_newer_target_during_revocation_moves_one_epoch_at_a_time():
    """docs/consumer-protocol.md §3.3: target changed again while UNREVOKED at e: after revoking the member
    moves to e+1, possibly still UNREVOKED for the newer target -- not straight to T."""
    m = member(S.UNREVOKED_PARTITIONS, assigned={T1: [3, 4]}, revoking={T1: [1, 2]})
    out = reconcile(m, 12, {T1: frozenset({4})}, owners(), tps(topic1=[3, 4]))
    assert view(out) == (S.UNREVOKED_PARTITIONS, 11, 10, {T1: [4]}, {T1: [3]})


def test_unreleased_partitions_are_added_as_they_are_freed():
    """docs/consumer-protocol.md §3.3 UNRELEASED_PARTITIONS -> next(memberEpoch, A): free partitions are
    added, owned ones (currentPartitionEpoch != -1) wait."""
    m = member(S.UNRELEASED_PARTITIONS, epoch=11, previous=10, assigned={T1: [1]})
    target = {T1: frozenset({1, 2, 3})}
    out = reconcile(m, 11, target, owners(topic1_2=10, topic1_3=10), None)
    assert view(out) == (S.UNRELEASED_PARTITIONS, 11, 11, {T1: [1]}, {})  # previous = current now
    assert reconcile(out, 11, target, owners(topic1_2=10, topic1_3=10), None) == out
    out = reconcile(out, 11, target, owners(topic1_3=10), None)
    assert view(out) == (S.UNRELEASED_PARTITIONS, 11, 11, {T1: [1, 2]}, {})
    out = reconcile(out, 11, target, owners(), None)
    assert view(out) == (S.STABLE, 11, 11, {T1: [1, 2, 3]}, {})


def test_own_pending_revocations_count_as_owned():
    """docs/consumer-protocol.md §3.3: a partition the member itself still has pending revocation is
    owned (partition epoch set), so a newer target giving it back waits one heartbeat."""
    m = member(S.UNREVOKED_PARTITIONS, assigned={T1: [3]}, revoking={T1: [1]})
    out = reconcile(m, 12, {T1: frozenset({1, 3})}, owners(topic1_1=10), tps(topic1=[3]))
    assert view(out) == (S.UNRELEASED_PARTITIONS, 12, 10, {T1: [3]}, {})


@pytest.mark.parametrize("owned", [None, tps(topic1=[1])])
def test_unknown_state_is_fenced_unless_it_owns_an_empty_list(owned):
    """docs/consumer-protocol.md §3.3 UNKNOWN: O null or non-empty -> FENCED_MEMBER_EPOCH."""
    m = member(S.UNKNOWN, assigned={T1: [1]})
    with pytest.raises(FencedMemberEpoch, match="unknown state"):
        reconcile(m, 11, {T1: frozenset({1, 2})}, owners(), owned)


def test_unknown_state_with_an_empty_list_restarts_at_the_target_epoch():
    """docs/consumer-protocol.md §3.3 UNKNOWN: O == [] -> next(T, A)."""
    m = member(S.UNKNOWN, assigned={T1: [1]})
    out = reconcile(m, 11, {T1: frozenset({2})}, owners(), ())
    assert view(out) == (S.STABLE, 11, 10, {T1: [2]}, {})


# ---------------------------------------------------------------------------- through heartbeats

def test_reconciliation_process_of_kafkas_test():
    """docs/consumer-protocol.md §3.3 worked trace (testReconciliationProcess, shape): M3 joins a group of
    M1, M2; they revoke at their old epoch, M3 picks partitions up as they are freed, and every
    member reaches the new epoch on its own."""
    h = Harness({"foo": 6, "bar": 3}, assignors=[RangeAssignor()])
    for n in ("m1", "m2"):
        h.join(n, topics=("foo", "bar"))
    h.settle()
    assert h.state == "Stable" and h.group.group_epoch == 2
    h.join("m3", topics=("foo", "bar"))
    assert (h.group.group_epoch, h.member("m3").state, h.owned("m3")) == (3, S.UNRELEASED_PARTITIONS, {})
    # range: m1 foo 0-1 bar 0, m2 foo 2-3 bar 1, m3 foo 4-5 bar 2 (all still owned by m2)
    r1 = h.heartbeat("m1", owned=None)
    assert (r1.member_epoch, h.member("m1").state) == (2, S.UNREVOKED_PARTITIONS)
    assert h.owned("m1") == {"bar": [0], "foo": [0, 1]}  # Assignment = kept partitions only
    r2 = h.heartbeat("m2", owned=None)
    assert (r2.member_epoch, h.member("m2").state) == (2, S.UNREVOKED_PARTITIONS)
    assert h.owned("m2") == {"foo": [3]}  # foo-2 and bar-1 are still m1's: nothing added while revoking
    assert h.heartbeat("m3").assignment is None  # still waiting: nothing freed
    assert h.heartbeat("m1").member_epoch == 3 and h.member("m1").state is S.STABLE
    assert h.heartbeat("m3").assignment is None  # m1 freed foo-2 and bar-1, which are m2's
    h.heartbeat("m2")  # acknowledges; picks up what m1 released
    assert (h.member("m2").member_epoch, h.member("m2").state) == (3, S.STABLE)
    assert h.owned("m2") == {"bar": [1], "foo": [2, 3]}
    assert h.state == "Reconciling"
    h.heartbeat("m3")
    assert h.member("m3").state is S.STABLE and h.owned("m3") == {"bar": [2], "foo": [4, 5]}
    assert h.state == "Stable"
    records = len(h.records())
    assert all(h.heartbeat(n).assignment is None for n in ("m1", "m2", "m3"))
    assert len(h.records()) == records  # heartbeats that change nothing write nothing
    h.check()


def test_no_partition_is_given_while_another_member_still_owns_it():
    """docs/consumer-protocol.md §3.3: no double ownership -- a partition goes to its new owner only once
    nobody owns it (pending revocation counts as owned)."""
    h = Harness()
    h.join("a")
    h.join("b")
    for _ in range(3):
        h.heartbeat("a", owned=None)  # a never acknowledges
        h.heartbeat("b")
        assert h.owned("b") == {} and h.member("b").state is S.UNRELEASED_PARTITIONS
        h.check()


def test_members_reach_the_new_epoch_independently():
    """docs/consumer-protocol.md §3.3: no global barrier -- a member with nothing to give up moves to the
    new epoch at its next heartbeat while another is still revoking."""
    h = Harness({"foo": 4, "bar": 2})
    h.join("a", topics=("foo",))
    h.join("b", topics=("bar",))
    h.settle()
    h.join("c", topics=("foo",))
    h.heartbeat("b")
    assert (h.member("b").member_epoch, h.member("b").state) == (h.group.group_epoch, S.STABLE)
    h.heartbeat("a", owned=None)
    assert h.member("a").state is S.UNREVOKED_PARTITIONS and h.member("a").member_epoch < h.group.group_epoch


def test_entering_unrevoked_schedules_the_rebalance_timer_and_leaving_it_cancels_it():
    """docs/consumer-protocol.md §3.3 / §4.3: UNREVOKED schedules rebalance-timeout-<group>-<member> with
    the member's rebalance timeout and epoch; reconciling to any other state cancels it."""
    h = Harness(rebalance_timeout_ms=7_000)
    h.join("a")
    h.join("b")
    h.heartbeat("a", owned=None)
    timer = h.timers.get(rebalance_timeout_key("g", "a"))
    assert (timer.deadline, timer.payload) == (h.now + 7_000, 1)
    h.advance(1_000)
    h.heartbeat("a")
    assert rebalance_timeout_key("g", "a") not in h.timers
    assert rebalance_timeout_key("g", "b") not in h.timers  # UNRELEASED has no timeout


def test_a_reconciliation_step_writes_one_current_assignment_record():
    """docs/consumer-protocol.md §3.3: a changed member writes a CurrentAssignment record."""
    h = Harness()
    h.join("a")
    h.join("b")
    before = len(h.records(ev.MemberAssignmentUpdated))
    h.heartbeat("a", owned=None)
    rec = h.records(ev.MemberAssignmentUpdated)[before:]
    assert len(rec) == 1 and rec[0].member_id == "a" and rec[0].state is S.UNREVOKED_PARTITIONS
    assert h.by_name(dict(rec[0].pending_revocation)) == {"foo": [3, 4, 5]}
