"""Session and rebalance timeouts, fencing and static members (docs/consumer-protocol.md §4)."""

from __future__ import annotations

from kafkalab.errors import ErrorCode
from kafkalab.modern import events as ev
from kafkalab.modern.state import MemberState
from kafkalab.modern.timers import rebalance_timeout_key, session_timeout_key
from modern_helpers import Harness

E = ErrorCode
S = MemberState


# ---------------------------------------------------------------------------- §4.1 session timeout

def test_a_silent_member_is_fenced_when_its_session_expires():
    """docs/consumer-protocol.md §4.1: the timer fires once now >= deadline and fences the member
    ("the member session expired")."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.settle()
    h.advance_to(44_999)
    assert "a" in h.group.members
    fired = h.advance_to(45_000)
    assert fired == [session_timeout_key("g", "a"), session_timeout_key("g", "b")]
    removed = h.records(ev.MemberRemoved)
    assert [(r.member_id, r.reason) for r in removed] == [("a", ev.RemovalReason.SESSION_EXPIRED),
                                                         ("b", ev.RemovalReason.SESSION_EXPIRED)]
    assert h.state == "Empty"


def test_a_leave_cancels_the_session_timer_and_a_temporary_leave_does_not():
    """docs/consumer-protocol.md §4.1: cancelled on -1 leave and fencing; a -2 leave neither cancels nor
    reschedules it, so an absent static member is removed when it expires."""
    h = Harness()
    h.join("a")
    h.join("s", instance_id="i")
    h.leave("a")
    assert session_timeout_key("g", "a") not in h.timers
    h.advance(10_000)
    h.leave("s")
    assert h.timers.get(session_timeout_key("g", "s")).deadline == 45_000
    h.advance_to(45_000)
    assert h.group.members == {} and h.group.static_members == {}


# ---------------------------------------------------------------------------- §4.2 fencing

def test_a_fenced_members_partitions_are_free_but_reach_others_only_with_a_new_target():
    """docs/consumer-protocol.md §4.2: removal frees the partitions at once (partition epochs removed),
    bumps the epoch (Assigning); the next heartbeat computes the target that hands them out; the
    fenced member learns it at its next heartbeat: UNKNOWN_MEMBER_ID."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.settle()
    h.advance(30_000)
    h.heartbeat("a")
    h.advance_to(45_000)  # b expires
    assert h.state == "Assigning" and h.group.partition_epochs() == {(h.tid("foo"), p): 2 for p in (0, 1, 2)}
    assert h.heartbeat("b").error_code is E.UNKNOWN_MEMBER_ID
    h.heartbeat("a")
    assert h.owned("a") == {"foo": [0, 1, 2, 3, 4, 5]} and h.state == "Stable"


def test_fencing_a_member_that_is_gone_is_a_no_op():
    """docs/consumer-protocol.md §4.2: a stale session timer of a removed (or replaced) member does nothing."""
    h = Harness()
    h.join("a", instance_id="i")
    h.leave("a")
    h.advance(10_000)
    h.join("a", instance_id="i", member_id="a2")  # the old id's timer is not cancelled (Kafka's replaceMember)
    epoch, records = h.group.group_epoch, len(h.records())
    fired = h.advance_to(45_000)
    assert fired == [session_timeout_key("g", "a")]
    assert h.group.group_epoch == epoch and len(h.records()) == records and "a2" in h.group.members


# ---------------------------------------------------------------------------- §4.3 rebalance timeout

def test_a_member_that_does_not_revoke_in_time_is_fenced():
    """docs/consumer-protocol.md §4.3: UNREVOKED for longer than its RebalanceTimeoutMs (max.poll.interval.ms)
    -> fenced; the partitions then go to the waiting member."""
    h = Harness(rebalance_timeout_ms=20_000)
    h.join("a")
    h.join("b")
    h.heartbeat("a", owned=None)
    for t in (5_000, 10_000, 15_000):
        h.advance_to(t)
        h.heartbeat("a", owned=None)  # heartbeating does not help: it must revoke
        h.heartbeat("b")
    h.advance_to(20_000)
    assert "a" not in h.group.members
    assert h.records(ev.MemberRemoved)[-1].reason is ev.RemovalReason.REBALANCE_TIMEOUT
    h.heartbeat("b")
    assert h.owned("b") == {"foo": [0, 1, 2, 3, 4, 5]}


def test_a_stale_rebalance_timer_is_a_no_op():
    """docs/consumer-protocol.md §4.3: the timer fences only if the member is still at the epoch it was
    scheduled for."""
    h = Harness(rebalance_timeout_ms=20_000)
    h.join("a")
    h.join("b")
    h.heartbeat("a", owned=None)
    epoch = h.member("a").member_epoch
    # Re-arm the same key by hand with a stale epoch, as a superseded timer would be.
    h.timers.schedule(rebalance_timeout_key("g", "a"), 1_000, epoch - 1)
    h.advance_to(1_000)
    assert "a" in h.group.members


def test_there_is_no_timeout_for_unreleased_partitions():
    """docs/consumer-protocol.md §4.3: a gaining member just waits (only its session timer runs)."""
    h = Harness()
    h.join("a")
    h.join("b")
    assert h.member("b").state is S.UNRELEASED_PARTITIONS
    assert [k[0] for k in h.timers.keys() if k[2:] == ("b",)] == ["consumer-session-timeout"]


# ---------------------------------------------------------------------------- §4.4 static members

def test_a_static_join_while_the_instance_is_held_is_refused():
    """docs/consumer-protocol.md §4.4: the instance id's member is not at -2 -> UNRELEASED_INSTANCE_ID for
    the newcomer (classic fenced the old member instead); the holder is untouched."""
    h = Harness()
    h.join("a", instance_id="i")
    resp = h.join("a-new", instance_id="i")
    assert (resp.error_code, resp.error_message) == (
        E.UNRELEASED_INSTANCE_ID,
        "Static member a-new with instance id i cannot join the group because the instance id is owned by a member.")
    assert list(h.group.members) == ["a"]
    assert h.join("a", instance_id="i").error_code is E.UNRELEASED_INSTANCE_ID  # even with the same id


def test_a_static_member_back_within_its_session_gets_its_partitions_back_without_a_rebalance():
    """docs/consumer-protocol.md §4.4: the -2 member is replaced (tombstones for the old id, the new id
    with the old target and partitions at epoch 0 / previous 0), no epoch bump, and reconciliation
    returns the old partitions at the current target epoch."""
    h = Harness()
    h.join("a", instance_id="i")
    h.join("b")
    h.settle()
    before = h.owned("a")
    epoch = h.group.group_epoch
    h.leave("a")
    resp = h.join("a", instance_id="i", member_id="a-2")
    assert resp.member_id == "a-2" and resp.member_epoch == epoch and h.group.group_epoch == epoch
    assert h.owned("a") == before
    assert list(h.group.members) == ["b", "a-2"] and h.group.static_members == {"i": "a-2"}
    replaced = [r for r in h.records(ev.MemberRemoved) if r.reason is ev.RemovalReason.STATIC_MEMBER_REPLACED]
    assert [(r.member_id, r.member_epoch) for r in replaced] == [("a", -2)]
    first = [r for r in h.records(ev.MemberAssignmentUpdated) if r.member_id == "a-2"][0]
    assert (first.member_epoch, first.previous_member_epoch) == (0, 0)
    assert h.state == "Stable"
    h.check()


def test_a_static_rejoin_with_a_changed_subscription_bumps_as_usual():
    """docs/consumer-protocol.md §4.4: a changed subscription on the replacing join bumps the epoch."""
    h = Harness({"foo": 2, "bar": 2})
    h.join("a", instance_id="i")
    epoch = h.group.group_epoch
    h.leave("a")
    h.join("a", topics=("foo", "bar"), instance_id="i", member_id="a-2")
    assert h.group.group_epoch == epoch + 1 and h.owned("a") == {"bar": [0, 1], "foo": [0, 1]}


def test_partitions_of_an_absent_static_member_stay_reserved():
    """docs/consumer-protocol.md §4.4: at -2 the partitions are still owned, unavailable to others, until
    the member returns or its session expires."""
    h = Harness()
    h.join("a", instance_id="i")
    h.join("b")
    h.settle()
    h.leave("a")
    h.advance(5_000)
    h.leave("b", epoch=-1)
    h.join("c")
    h.settle("c")
    assert h.owned("c") == {"foo": [3, 4, 5]} or h.owned("c") == {"foo": [0, 1, 2]}  # only b's half
    h.advance_to(45_000)  # a's session expires: its half is freed
    h.settle("c")
    assert h.owned("c") == {"foo": [0, 1, 2, 3, 4, 5]}


def test_static_heartbeats_check_the_instance_id_then_the_epoch():
    """docs/consumer-protocol.md §4.4: epoch != 0: unknown instance -> UNKNOWN_MEMBER_ID, held by another
    id -> FENCED_INSTANCE_ID, then the epoch rules of §2.5."""
    h = Harness()
    h.join("a", instance_id="i")
    resp = h.heartbeat("a", instance_id="j")
    assert (resp.error_code, resp.error_message) == (E.UNKNOWN_MEMBER_ID, "Instance id j is unknown.")
    resp = h.heartbeat("a", member_id="other")
    assert (resp.error_code, resp.error_message) == (
        E.FENCED_INSTANCE_ID, "Static member other with instance id i was fenced by member a.")
    assert h.heartbeat("a", epoch=5).error_code is E.FENCED_MEMBER_EPOCH
    assert h.heartbeat("a").error_code is E.NONE


def test_a_fenced_static_member_rejoining_before_its_session_expires_gets_unreleased_instance_id():
    """docs/consumer-protocol.md §4.4 (inferred): fenced with FENCED_MEMBER_EPOCH, rejoining (epoch 0)
    while the server still holds it at an epoch != -2."""
    h = Harness()
    h.join("a", instance_id="i")
    assert h.heartbeat("a", epoch=9).error_code is E.FENCED_MEMBER_EPOCH
    assert h.join("a", instance_id="i").error_code is E.UNRELEASED_INSTANCE_ID
