"""What moves the group epoch, and how the target assignment is computed (docs/consumer-protocol.md
§3.1, §3.2, §5.1)."""

from __future__ import annotations

from kafkalab.errors import ErrorCode
from kafkalab.modern import events as ev
from kafkalab.modern.group import SubscriptionType
from modern_helpers import FailingAssignor, Harness, RangeAssignor, StickyAssignor

E = ErrorCode
R = ev.EpochBumpReason


def bumps(h: Harness) -> list[tuple[int, R]]:
    return [(b.new_epoch, b.reason) for b in h.records(ev.GroupEpochBumped)]


# ---------------------------------------------------------------------------- §3.1

def test_the_first_heartbeat_of_a_new_group_bumps_it_to_epoch_one():
    """docs/consumer-protocol.md §3.1: new group 0 -> 1 (bumpGroupEpoch = groupEpoch == 0), even for a
    member subscribed to nothing."""
    h = Harness()
    h.join("a", topics=())
    assert bumps(h) == [(1, R.NEW_GROUP)] and h.group.assignment_epoch == 1


def test_a_new_member_with_topic_names_bumps_and_one_without_does_not():
    """docs/consumer-protocol.md §3.1: {} -> a list counts as a subscription change; a member joining with
    an empty subscription does not bump (inferred in the reference)."""
    h = Harness()
    h.join("a")
    h.join("b")
    assert bumps(h)[-1] == (2, R.SUBSCRIPTION_CHANGED)
    h.join("c", topics=())
    assert h.group.group_epoch == 2 and "c" in h.group.members


def test_an_unchanged_heartbeat_does_not_bump():
    """docs/consumer-protocol.md §3.1 "not a bump": a heartbeat with unchanged fields."""
    h = Harness()
    h.join("a")
    h.heartbeat("a", topics=("foo",), full=True)
    assert h.group.group_epoch == 1 and len(bumps(h)) == 1


def test_a_subscribed_topic_that_appears_bumps_at_the_next_heartbeat_only():
    """docs/consumer-protocol.md §3.1: a topic created, grown or deleted changes the subscription metadata;
    onNewMetadataImage only requests a refresh, the next heartbeat recomputes it and bumps."""
    h = Harness({"foo": 2})
    h.join("a", topics=("foo", "bar"))
    assert h.owned("a") == {"foo": [0, 1]}
    h.create_topic("bar", 2)
    assert h.group.group_epoch == 1 and h.records(ev.MetadataRefreshRequested)[-1].topics == ("bar",)
    h.heartbeat("a")
    assert bumps(h)[-1] == (2, R.SUBSCRIPTION_METADATA_CHANGED) and h.owned("a") == {"bar": [0, 1], "foo": [0, 1]}
    h.set_metadata(h.mgr.metadata.with_topic("foo", 3))
    h.heartbeat("a")
    assert h.group.group_epoch == 3 and h.owned("a")["foo"] == [0, 1, 2]
    h.delete_topic("bar")
    h.heartbeat("a")
    assert h.group.group_epoch == 4 and h.target("a") == {"foo": [0, 1, 2]}


def test_metadata_changes_of_topics_nobody_reads_do_not_touch_the_group():
    """docs/consumer-protocol.md §3.1: only groups subscribed to a changed topic are asked to refresh."""
    h = Harness({"foo": 2})
    h.join("a")
    h.create_topic("other", 5)
    h.heartbeat("a")
    assert h.group.group_epoch == 1 and h.records(ev.MetadataRefreshRequested) == []


def test_leaving_or_being_fenced_bumps_the_epoch():
    """docs/consumer-protocol.md §3.1: a member leaving (-1) or fenced by a timeout bumps once."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.join("c")
    h.leave("c")
    assert bumps(h)[-1] == (4, R.MEMBERS_FENCED)
    h.advance(10_000)
    h.settle("a")
    h.advance_to(45_000)  # b never heartbeated since its join; a did at 10 s
    assert bumps(h)[-1] == (5, R.MEMBERS_FENCED) and "b" not in h.group.members


def test_a_static_temporary_leave_and_rejoin_do_not_bump():
    """docs/consumer-protocol.md §3.1 "not a bump": a static member's -2 and its rejoin with the same
    subscription."""
    h = Harness()
    h.join("a", instance_id="i")
    h.join("b")
    h.settle()
    epoch = h.group.group_epoch
    h.leave("a")
    h.join("a", instance_id="i", member_id="a2")
    assert h.group.group_epoch == epoch


# ---------------------------------------------------------------------------- §3.2 target

def test_the_target_is_computed_for_all_members_at_once():
    """docs/consumer-protocol.md §3.2: one assignor run per new epoch, covering every member, with epoch
    = group epoch; a TargetAssignmentComputed record follows the per-member records."""
    h = Harness({"foo": 6})
    h.join("a")
    h.join("b")
    h.join("c")
    spec = h.assignors[0].calls[-1]
    assert spec.member_ids == ("a", "b", "c")
    computed = h.records(ev.TargetAssignmentComputed)[-1]
    assert (computed.epoch, computed.assignor) == (3, "uniform")
    targets = [h.target(m)["foo"] for m in "abc"]
    assert sorted(p for t in targets for p in t) == [0, 1, 2, 3, 4, 5] and {len(t) for t in targets} == {2}


def test_only_changed_targets_are_written():
    """docs/consumer-protocol.md §3.2: a record per member whose target changed (always one for a member
    without a stored target), none for the others."""
    h = Harness({"foo": 2, "bar": 2})
    h.join("a", topics=("foo",))
    h.join("b", topics=("bar",))
    before = len(h.records(ev.TargetAssignmentUpdated))
    h.join("c", topics=())
    written = [r.member_id for r in h.records(ev.TargetAssignmentUpdated)[before:]]
    assert written == []  # c's empty subscription did not bump: no new target at all
    h.join("d", topics=("bar",))
    written = [r.member_id for r in h.records(ev.TargetAssignmentUpdated)[before:]]
    assert written == ["b", "c", "d"]  # a's target is unchanged; c has no stored target yet


def test_the_assignor_is_the_one_most_members_name_else_the_default():
    """docs/consumer-protocol.md §3.2: the most-voted ServerAssignor (a member's choice is only a vote),
    else the first of group.consumer.assignors; ties go to the one listed first (kafkalab's rule,
    docs/differences-consumer.md)."""
    h = Harness()
    h.join("a")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "uniform"
    h.join("b", assignor="range")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "range"
    h.join("c", assignor="uniform")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "uniform"  # 1-1 tie: listed first
    h.join("d", assignor="range")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "range"
    assert h.mgr.describe("g")["assignor"] == "range"


def test_the_assignor_sees_previous_targets_and_only_existing_subscribed_topics():
    """docs/consumer-protocol.md §3.2 / §5.1: each member's previous *target* (not what it owns), its
    subscribed topic ids restricted to existing topics, rack and instance id; isPartitionAssigned
    reads the stored target."""
    h = Harness({"foo": 4})
    sticky = h.assignors[0]
    h.join("a", topics=("foo", "ghost"), rack_id="r1", instance_id="ia")
    h.join("b")
    spec = sticky.calls[-1]
    a = spec.member_subscription("a")
    assert set(a.subscribed_topic_ids) == {h.tid("foo")}
    assert (a.rack_id, a.instance_id) == ("r1", "ia")
    assert {t: sorted(p) for t, p in a.partitions.items()} == {h.tid("foo"): [0, 1, 2, 3]}  # previous target
    assert spec.is_partition_assigned(h.tid("foo"), 3) and not spec.is_partition_assigned(h.tid("foo"), 4)
    assert h.owned("a") == {"foo": [0, 1, 2, 3]}  # a still owns everything ...
    h.join("c")
    spec = sticky.calls[-1]
    assert {t: sorted(p) for t, p in spec.member_subscription("a").partitions.items()} == {h.tid("foo"): [0, 1]}


def test_a_static_member_replacing_an_old_id_inherits_its_target():
    """docs/consumer-protocol.md §3.2: a joining static member that replaces an old member id inherits the
    old member's target; the old id is dropped from the assignor's input."""
    h = Harness({"foo": 4, "bar": 1})
    sticky = h.assignors[0]
    h.join("a", instance_id="i")
    h.join("b")
    h.settle()
    h.leave("a")
    h.join("a", topics=("foo", "bar"), instance_id="i", member_id="a2")  # changed subscription: new target
    spec = sticky.calls[-1]
    assert spec.member_ids == ("a2", "b")
    assert {t: sorted(p) for t, p in spec.member_subscription("a2").partitions.items()} == {h.tid("foo"): [0, 1]}


def test_subscription_type_given_to_the_assignor():
    """docs/consumer-protocol.md §5.1: HOMOGENEOUS iff every subscribed topic has every member as a
    by-name subscriber -- a member with an empty subscription makes the group HETEROGENEOUS."""
    h = Harness({"foo": 2, "bar": 2})
    h.join("a", topics=("foo",))
    h.join("b", topics=("foo",))
    assert h.assignors[0].calls[-1].subscription_type in ("HOMOGENEOUS", SubscriptionType.HOMOGENEOUS) or \
        h.assignors[0].calls[-1].subscription_type.name == "HOMOGENEOUS"
    h.join("c", topics=())
    h.join("d", topics=("bar",))
    assert str(getattr(h.assignors[0].calls[-1].subscription_type, "name",
                       h.assignors[0].calls[-1].subscription_type)) == "HETEROGENEOUS"


def test_an_assignor_failure_is_unknown_server_error_and_changes_nothing():
    """docs/consumer-protocol.md §2.2 / §3.2: PartitionAssignorException -> UNKNOWN_SERVER_ERROR
    "Failed to compute a new target assignment for epoch N: ..."; no record is written."""
    h = Harness(assignors=[StickyAssignor(), FailingAssignor()])
    h.join("a")
    snapshot, records = h.group.snapshot(), len(h.trace)
    resp = h.join("b", assignor="failing")
    assert (resp.error_code, resp.error_message) == (
        E.UNKNOWN_SERVER_ERROR, "Failed to compute a new target assignment for epoch 2: no way")
    assert h.group.snapshot() == snapshot and len(h.trace) == records
    assert h.join("b").error_code is E.NONE


def test_a_topic_the_describer_does_not_know_makes_the_assignor_fail():
    """docs/consumer-protocol.md §5.1: numPartitions is -1 for a topic not in the subscription metadata."""
    class Peeking(RangeAssignor):
        def assign(self, group_spec, describer):
            assert describer.num_partitions("AAAAAAAAAAAAAAAAAAAAAA") == -1
            return super().assign(group_spec, describer)

    h = Harness(assignors=[Peeking()])
    assert h.join("a").error_code is E.NONE


def test_a_replacing_static_member_counts_once():
    """docs/consumer-protocol.md §3.2 / §4.4: Kafka updates the subscription counts and assignor votes
    incrementally (old member out, new member in), so the copy of a static member under its new id
    takes the old id's place: the subscription stays HOMOGENEOUS and its assignor vote counts once."""
    h = Harness({"foo": 4})
    h.join("a", instance_id="i", assignor="range")
    h.join("b", assignor="uniform")
    h.settle()
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "uniform"  # 1-1: listed first
    h.leave("a")
    h.set_metadata(h.mgr.metadata.with_topic("foo", 6))  # the rejoin will recompute and bump
    h.join("a", instance_id="i", member_id="a-2")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "uniform"
    spec = h.assignors[0].calls[-1]
    assert spec.member_ids == ("a-2", "b")
    assert str(getattr(spec.subscription_type, "name", spec.subscription_type)) == "HOMOGENEOUS"


def test_the_subscription_metadata_is_refreshed_only_on_request():
    """docs/consumer-protocol.md §1.1: METADATA_REFRESH_INTERVAL_MS is Integer.MAX_VALUE, so after a
    recomputation the next one happens only when onNewMetadataImage asks for it."""
    h = Harness()
    h.join("a")
    assert h.group.metadata_refresh_deadline == 2_147_483_647
    h.create_topic("other", 1)  # nobody reads it: no request
    assert h.group.metadata_refresh_deadline == 2_147_483_647
    h.set_metadata(h.mgr.metadata.with_topic("foo", 7))
    assert h.group.metadata_refresh_deadline == 0


def test_the_records_of_a_join_that_creates_the_group_come_in_kafkas_order():
    """docs/consumer-protocol.md §2.4: MemberSubscription, SubscriptionMetadata, GroupEpoch,
    TargetAssignment, TargetAssignmentEpoch, CurrentAssignment."""
    h = Harness()
    h.join("a")
    assert [type(r).__name__ for r in h.records()] == [
        "ConsumerGroupCreated", "MemberSubscriptionUpdated", "SubscriptionMetadataUpdated", "GroupEpochBumped",
        "TargetAssignmentUpdated", "TargetAssignmentComputed", "MemberAssignmentUpdated"]


def test_fencing_nobody_changes_nothing():
    """docs/consumer-protocol.md §4.2: removing an empty set of members is a no-op (no epoch bump)."""
    from kafkalab.modern.heartbeat import Batch, fence_members

    h = Harness()
    h.join("a")
    batch = Batch(h.now)
    fence_members(h.mgr, h.group, [], ev.RemovalReason.SESSION_EXPIRED, batch)
    assert batch.records == [] and batch.timer_ops == []
