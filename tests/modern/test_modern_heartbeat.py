"""Regular heartbeats, member-epoch validation and leaves (docs/consumer-protocol.md §2.4-§2.6, §4.5)."""

from __future__ import annotations

from kafkalab.errors import ErrorCode
from kafkalab.modern import events as ev
from kafkalab.modern.state import MemberState
from kafkalab.modern.timers import session_timeout_key
from modern_helpers import Harness

E = ErrorCode


class Classic:
    """The coordinator's classic groups, as the manager sees them."""

    def __init__(self, **states):
        self.states = dict(states)
        self.deleted = []

    def state_of(self, group_id):
        return self.states.get(group_id)

    def delete_empty(self, group_id, now):
        assert self.states.pop(group_id) == "Empty"
        self.deleted.append((group_id, now))


# ---------------------------------------------------------------------------- §2.4 step 1: the group

def test_a_join_creates_the_group_and_a_heartbeat_does_not():
    """docs/consumer-protocol.md §2.4 step 1: epoch 0 gets or creates the group; epoch > 0 (or a leave)
    to a missing group is GROUP_ID_NOT_FOUND."""
    h = Harness()
    resp = h.heartbeat("a", epoch=1)
    assert (resp.error_code, resp.error_message) == (E.GROUP_ID_NOT_FOUND, "Consumer group g not found.")
    resp = h.leave("a")
    assert (resp.error_code, resp.error_message) == (E.GROUP_ID_NOT_FOUND, "Group g not found.")
    assert h.mgr.groups == {}
    assert h.join("a").member_epoch == 1
    assert h.group.group_epoch == 1


def test_an_empty_classic_group_is_replaced_and_a_non_empty_one_keeps_its_id():
    """docs/consumer-protocol.md §2.4 step 1: an empty classic group is tombstoned and replaced by a
    consumer group; any other classic group makes the id GROUP_ID_NOT_FOUND (the online upgrade
    of §7.1 comes with the coordinator integration)."""
    classic = Classic(g="Empty", busy="Stable")
    h = Harness(classic_groups=classic)
    assert h.join("a").error_code is E.NONE
    assert classic.deleted == [("g", 0)]
    resp = h.join("a", group_id="busy")
    assert (resp.error_code, resp.error_message) == (E.GROUP_ID_NOT_FOUND, "Group busy is not a consumer group.")
    classic.states["quiet"] = "Empty"
    resp = h.heartbeat("a", group_id="quiet", epoch=1)
    assert resp.error_code is E.GROUP_ID_NOT_FOUND and "quiet" in classic.states


def test_a_failed_join_does_not_create_the_group():
    """docs/consumer-protocol.md §2.4: a new group exists only once its first heartbeat succeeded."""
    h = Harness(max_size=1)
    h.join("a", regex="[")
    assert h.mgr.groups == {} and h.trace == []


# ---------------------------------------------------------------------------- §2.4 step 2 / §4.5: size

def test_a_full_group_refuses_new_members_but_not_existing_ones():
    """docs/consumer-protocol.md §2.4 step 2, §4.5: GROUP_MAX_SIZE_REACHED when numMembers >= max for a
    new member id (or an empty v0 id); existing members always pass."""
    h = Harness(max_size=2)
    h.join("a")
    h.join("b")
    resp = h.join("c")
    assert (resp.error_code, resp.error_message) == (
        E.GROUP_MAX_SIZE_REACHED, "The consumer group has reached its maximum capacity of 2 members.")
    assert h.join("c", member_id="", version=0).error_code is E.GROUP_MAX_SIZE_REACHED
    assert h.heartbeat("a").error_code is E.NONE
    assert h.join("b").error_code is E.NONE  # an existing id passes the size check (its epoch check follows)


def test_the_size_check_comes_before_the_member_lookup():
    """docs/consumer-protocol.md §4.5: an unknown member of a full group gets GROUP_MAX_SIZE_REACHED,
    not UNKNOWN_MEMBER_ID."""
    h = Harness(max_size=1)
    h.join("a")
    assert h.heartbeat("zz", epoch=3).error_code is E.GROUP_MAX_SIZE_REACHED


# ---------------------------------------------------------------------------- §2.4 steps 4-5

def test_unknown_member_with_a_non_zero_epoch():
    """docs/consumer-protocol.md §2.4 step 4: unknown id and epoch != 0 -> UNKNOWN_MEMBER_ID."""
    h = Harness()
    h.join("a")
    resp = h.heartbeat("b", epoch=1)
    assert (resp.error_code, resp.error_message) == (E.UNKNOWN_MEMBER_ID, "Member b is not a member of group g.")


def test_null_fields_mean_unchanged():
    """docs/consumer-protocol.md §2.4 step 5: only non-null request fields (and RebalanceTimeoutMs != -1)
    update the member; client id and host always come from the request."""
    h = Harness({"foo": 2, "bar": 2})
    h.join("a", topics=("foo",), rack_id="r1", assignor="range", rebalance_timeout_ms=1234)
    h.heartbeat("a", client_id="other")
    m = h.member("a")
    assert (m.subscribed_topic_names, m.rack_id, m.server_assignor_name, m.rebalance_timeout_ms) == (
        frozenset({"foo"}), "r1", "range", 1234)
    assert m.client_id == "other"
    h.heartbeat("a", rack_id="r2", rebalance_timeout_ms=99, server_assignor="uniform")
    m = h.member("a")
    assert (m.rack_id, m.rebalance_timeout_ms, m.server_assignor_name) == ("r2", 99, "uniform")


def test_only_a_change_of_topic_names_bumps_the_epoch():
    """docs/consumer-protocol.md §2.4 step 6: ServerAssignor, RackId, RebalanceTimeoutMs changes write the
    member record but do not bump the epoch; a changed name set does; order and duplicates do not count."""
    h = Harness({"foo": 2, "bar": 2})
    h.join("a", topics=("foo", "bar"))
    epoch = h.group.group_epoch
    h.heartbeat("a", rack_id="r9", server_assignor="range", rebalance_timeout_ms=5)
    assert h.group.group_epoch == epoch
    assert h.records(ev.MemberSubscriptionUpdated)[-1].rack_id == "r9"
    h.heartbeat("a", topics=("bar", "foo", "foo"))
    assert h.group.group_epoch == epoch
    h.heartbeat("a", topics=("bar",))
    assert h.group.group_epoch == epoch + 1
    assert h.records(ev.GroupEpochBumped)[-1].reason is ev.EpochBumpReason.SUBSCRIPTION_CHANGED


def test_a_target_is_computed_only_when_the_epoch_moved_past_it():
    """docs/consumer-protocol.md §2.4 step 8: groupEpoch > targetAssignmentEpoch -> a new target for the
    whole group; otherwise the stored target is used and the assignor is not called."""
    h = Harness()
    sticky = h.assignors[0]
    h.join("a")
    h.join("b")
    calls = len(sticky.calls)
    h.settle()
    assert len(sticky.calls) == calls
    h.leave("b")
    assert h.group.group_epoch == h.group.assignment_epoch + 1
    h.heartbeat("a")
    assert len(sticky.calls) == calls + 1 and h.group.assignment_epoch == h.group.group_epoch


def test_the_session_timer_is_rescheduled_by_each_successful_heartbeat():
    """docs/consumer-protocol.md §2.4 step 10 / §4.1: 45 s (group.consumer.session.timeout.ms) from the
    last successful heartbeat, or the group's override."""
    from kafkalab.modern import GroupConfig

    h = Harness()
    h.join("a")
    assert h.timers.get(session_timeout_key("g", "a")).deadline == 45_000
    h.advance(20_000)
    h.heartbeat("a")
    assert h.timers.get(session_timeout_key("g", "a")).deadline == 65_000
    h.mgr.set_group_config("g", GroupConfig(consumer_session_timeout_ms=50_000, consumer_heartbeat_interval_ms=6_000))
    resp = h.heartbeat("a")
    assert h.timers.get(session_timeout_key("g", "a")).deadline == 70_000
    assert resp.heartbeat_interval_ms == 6_000


def test_assignment_is_sent_on_join_on_full_requests_and_on_change_only():
    """docs/consumer-protocol.md §2.4 step 11: Assignment iff epoch 0, a full request (rebalance timeout,
    names or regex, and TopicPartitions all set), or the assigned set changed; else null = "no change"."""
    h = Harness()
    assert h.join("a", topics=()).assignment is not None  # a join always gets one, even empty
    assert h.join("a2", topics=()).assignment.topic_partitions == ()
    assert h.heartbeat("a").assignment is None
    assert h.heartbeat("a", full=True).assignment is not None
    assert h.heartbeat("a", rebalance_timeout_ms=1000, owned={}).assignment is None  # no names: not full
    assert h.heartbeat("a", rebalance_timeout_ms=1000, subscribed_topic_regex="", owned={}).assignment is not None
    resp = h.heartbeat("a", topics=("foo",))  # subscription change -> new partitions
    assert resp.assignment is not None and h.owned("a") == {"foo": [0, 1, 2, 3, 4, 5]}


# ---------------------------------------------------------------------------- §2.5 epoch validation

def test_a_greater_epoch_is_fenced():
    """docs/consumer-protocol.md §2.5: e > memberEpoch -> FENCED_MEMBER_EPOCH with Kafka's message."""
    h = Harness()
    h.join("a")
    resp = h.heartbeat("a", epoch=2)
    assert resp.error_code is E.FENCED_MEMBER_EPOCH
    assert resp.error_message == ("The consumer group member has a greater member epoch (2) than the one known by "
                                  "the group coordinator (1). The member must abandon all its partitions and rejoin.")


def test_the_previous_epoch_is_accepted_with_a_subset_of_the_assigned_partitions():
    """docs/consumer-protocol.md §2.5: e == previousMemberEpoch with TopicPartitions ⊆ assigned is
    accepted (the epoch-moving response was lost) and answered with the current epoch."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.heartbeat("a")  # revoke
    h.heartbeat("a")  # -> epoch 2, previous 1
    assert (h.member("a").member_epoch, h.member("a").previous_member_epoch) == (2, 1)
    resp = h.heartbeat("a", epoch=1, owned={"foo": [0]})
    assert (resp.error_code, resp.member_epoch) == (E.NONE, 2)


def test_the_previous_epoch_is_fenced_without_a_subset():
    """docs/consumer-protocol.md §2.5: previous epoch but TopicPartitions omitted, or not a subset of
    the assigned partitions (including a reported topic it has no partition of) -> fenced."""
    h = Harness({"foo": 4, "bar": 1})
    h.join("a")
    h.join("b")
    h.heartbeat("a")
    h.heartbeat("a")
    for owned in (None, {"foo": [3]}, {"bar": []}):
        resp = h.heartbeat("a", epoch=1, owned=owned)
        assert resp.error_code is E.FENCED_MEMBER_EPOCH, owned
        assert "smaller member epoch (1)" in resp.error_message


def test_a_rejoin_with_a_known_id_is_accepted_only_if_the_previous_epoch_is_zero():
    """docs/consumer-protocol.md §2.5: epoch 0 with an existing id goes through the same check: accepted
    when the first response was lost (previous epoch 0), fenced otherwise (4.0, before KAFKA-19233)."""
    h = Harness()
    h.join("a")
    assert h.member("a").previous_member_epoch == 0
    resp = h.join("a")  # first response lost: join again
    assert (resp.error_code, resp.member_epoch) == (E.NONE, 1)
    h.join("b")
    h.settle()
    assert h.member("a").previous_member_epoch != 0
    for _ in range(3):
        assert h.join("a").error_code is E.FENCED_MEMBER_EPOCH
    h.advance(45_000)  # errors never refreshed the session: the server removes a ...
    assert "a" not in h.group.members
    assert h.join("a").error_code is E.NONE  # ... and the next join creates it afresh


# ---------------------------------------------------------------------------- §2.6 leave

def test_a_dynamic_leave_removes_the_member_bumps_the_epoch_and_computes_no_target():
    """docs/consumer-protocol.md §2.6: -1 fences the member (epoch not validated); the response carries
    MemberEpoch -1 and nothing else; the group goes to Assigning until the next heartbeat."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.settle()
    epoch, target_epoch = h.group.group_epoch, h.group.assignment_epoch
    resp = h.leave("b", epoch=-1)
    assert (resp.error_code, resp.member_id, resp.member_epoch, resp.heartbeat_interval_ms, resp.assignment) == (
        E.NONE, "b", -1, 0, None)
    assert "b" not in h.group.members
    assert (h.group.group_epoch, h.group.assignment_epoch, h.state) == (epoch + 1, target_epoch, "Assigning")
    assert h.records(ev.MemberRemoved)[-1].reason is ev.RemovalReason.MEMBER_LEFT
    h.heartbeat("a")
    assert h.state == "Stable" and h.owned("a") == {"foo": [0, 1, 2, 3, 4, 5]}


def test_a_leave_from_an_unknown_member_or_with_a_wrong_epoch():
    """docs/consumer-protocol.md §2.6: unknown id -> UNKNOWN_MEMBER_ID; the request epoch is not checked."""
    h = Harness()
    h.join("a")
    assert h.leave("zz").error_code is E.UNKNOWN_MEMBER_ID
    h.epochs["a"] = 77
    assert h.leave("a").error_code is E.NONE


def test_static_leave_checks_the_instance_id_then_the_member_id():
    """docs/consumer-protocol.md §2.6: static leave: unknown instance -> UNKNOWN_MEMBER_ID; the instance
    held by another member id -> FENCED_INSTANCE_ID."""
    h = Harness()
    h.join("a", instance_id="i-a")
    resp = h.leave("a", instance_id="i-zz")
    assert (resp.error_code, resp.error_message) == (E.UNKNOWN_MEMBER_ID, "Instance id i-zz is unknown.")
    resp = h.leave("a", member_id="impostor")
    assert (resp.error_code, resp.error_message) == (
        E.FENCED_INSTANCE_ID, "Static member impostor with instance id i-a was fenced by member a.")


def test_static_leave_minus_one_removes_the_member_for_good():
    """docs/consumer-protocol.md §2.6 / §4.4: a static member's -1 is a full removal like a dynamic leave."""
    h = Harness()
    h.join("a", instance_id="i-a")
    resp = h.leave("a", epoch=-1)
    assert (resp.error_code, resp.member_epoch) == (E.NONE, -1)
    assert h.group.members == {} and h.group.static_members == {} and h.state == "Empty"
    assert session_timeout_key("g", "a") not in h.timers


def test_static_temporary_leave_keeps_the_member_at_epoch_minus_two():
    """docs/consumer-protocol.md §2.6 / §4.4: -2 keeps the member with its partitions (still owned),
    clears pending revocations, no epoch bump, answer epoch -2."""
    h = Harness()
    h.join("a", instance_id="i-a")
    h.join("b")
    h.heartbeat("a", owned=None)  # a must revoke 3 partitions; it does not acknowledge
    assert h.member("a").state is MemberState.UNREVOKED_PARTITIONS
    epoch = h.group.group_epoch
    resp = h.leave("a")
    assert (resp.error_code, resp.member_id, resp.member_epoch) == (E.NONE, "a", -2)
    a = h.group.members["a"]
    assert a.member_epoch == -2 and a.partitions_pending_revocation == {}
    assert h.by_name(a.assigned_partitions) == {"foo": [0, 1, 2]}
    assert h.group.group_epoch == epoch and h.state == "Reconciling"
    assert {tp for tp, e in h.group.partition_epochs().items() if e == -2} == {(h.tid("foo"), p) for p in (0, 1, 2)}
