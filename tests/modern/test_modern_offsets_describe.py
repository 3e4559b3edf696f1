"""Offsets with member epochs, ConsumerGroupDescribe, ListGroups, DeleteGroups
(docs/consumer-protocol.md §6, §7.4)."""

from __future__ import annotations

import pytest

from kafkalab.errors import ErrorCode
from kafkalab.messages import ConsumerGroupDescribeRequest, ListedGroup
from kafkalab.modern import events as ev
from kafkalab.modern.group import fold
from modern_helpers import Harness

E = ErrorCode


def commit(h, member_id, epoch, version=9, instance=None, txn=False):
    return h.mgr.validate_offset_commit("g", member_id, instance, epoch, version, is_transactional=txn)


# ---------------------------------------------------------------------------- §6 OffsetCommit / OffsetFetch

def test_offset_commit_needs_the_exact_member_epoch():
    """docs/consumer-protocol.md §6 rule 5: epoch != memberEpoch -> STALE_MEMBER_EPOCH, exact equality:
    the previous epoch is rejected and so is a larger one."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.settle()
    a = h.member("a")
    assert a.previous_member_epoch < a.member_epoch
    assert commit(h, "a", a.member_epoch) is None
    assert commit(h, "a", a.previous_member_epoch) is E.STALE_MEMBER_EPOCH
    assert commit(h, "a", a.member_epoch + 1) is E.STALE_MEMBER_EPOCH


def test_offset_commit_from_an_unknown_member_or_an_old_version():
    """docs/consumer-protocol.md §6 rules 3-4: unknown member id (also "" with members present) ->
    UNKNOWN_MEMBER_ID; a consumer-protocol member below v9 -> UNSUPPORTED_VERSION (not for
    TxnOffsetCommit)."""
    h = Harness()
    h.join("a")
    assert commit(h, "zz", 1) is E.UNKNOWN_MEMBER_ID
    assert commit(h, "", -1) is E.UNKNOWN_MEMBER_ID
    assert commit(h, "a", 1, version=8) is E.UNSUPPORTED_VERSION
    assert commit(h, "a", 1, version=8, txn=True) is None


def test_admin_commits_are_accepted_only_by_an_empty_group():
    """docs/consumer-protocol.md §6 rule 2: epoch < 0 and no members -> accepted; TxnOffsetCommit with no
    member id, epoch or instance id -> accepted."""
    h = Harness()
    h.join("a")
    assert commit(h, "", -1, txn=True) is None
    h.leave("a")
    assert h.state == "Empty"
    assert commit(h, "", -1) is None


def test_offset_fetch_with_member_epochs():
    """docs/consumer-protocol.md §6: OffsetFetch v9: null id and epoch < 0 accepted (admin); otherwise an
    unknown member (also "") -> UNKNOWN_MEMBER_ID, another epoch -> STALE_MEMBER_EPOCH."""
    h = Harness()
    h.join("a")
    v = h.mgr.validate_offset_fetch
    assert v("g", None, -1) is None
    assert v("g", "a", 1) is None
    assert v("g", "a", 0) is E.STALE_MEMBER_EPOCH
    assert v("g", "", -1) is E.UNKNOWN_MEMBER_ID
    assert v("g", "zz", 1) is E.UNKNOWN_MEMBER_ID


def test_offset_expiry_keeps_offsets_of_subscribed_topics():
    """docs/consumer-protocol.md §6: an offset of a topic no member subscribes to can expire."""
    h = Harness({"foo": 1, "bar": 1})
    h.join("a", topics=("foo",), regex="b.*")
    h.advance(0)
    assert h.mgr.is_subscribed_to_topic("g", "foo") and h.mgr.is_subscribed_to_topic("g", "bar")
    assert not h.mgr.is_subscribed_to_topic("g", "baz")


# ---------------------------------------------------------------------------- §7.4 describe

def test_consumer_group_describe():
    """docs/consumer-protocol.md §7.4: state, epochs, assignor, members with epoch, assignment (not
    pending revocation), target, subscriptions, MemberType 1 (v1)."""
    h = Harness({"foo": 4, "bar": 1})
    h.join("a", topics=("foo",), rack_id="r1", instance_id="ia")
    h.join("b", topics=("foo", "bar"), assignor="range")
    h.heartbeat("a", owned=None)
    resp = h.mgr.consumer_group_describe(ConsumerGroupDescribeRequest(group_ids=("g", "nope", "")), h.now)
    g, missing, blank = resp.groups
    assert (missing.error_code, blank.error_code) == (E.GROUP_ID_NOT_FOUND, E.INVALID_GROUP_ID)
    assert (g.error_code, g.group_state, g.group_epoch, g.assignment_epoch, g.assignor_name) == (
        E.NONE, "Reconciling", 2, 2, "range")
    a, b = g.members
    assert (a.member_id, a.instance_id, a.rack_id, a.member_epoch, a.subscribed_topic_names, a.member_type) == (
        "a", "ia", "r1", 1, ("foo",), 1)
    assert [(t.topic_name, t.partitions) for t in a.assignment.topic_partitions] == [("foo", (0, 1))]
    assert [(t.topic_name, t.partitions) for t in a.target_assignment.topic_partitions] == [("foo", (0, 1))]
    assert [(t.topic_name, t.partitions) for t in b.target_assignment.topic_partitions] == [("bar", (0,)), ("foo", (2, 3))]
    assert [(t.topic_name, t.partitions) for t in b.assignment.topic_partitions] == [("bar", (0,))]  # foo-2,3 still a's
    v0 = h.mgr.consumer_group_describe(ConsumerGroupDescribeRequest(group_ids=("g",), api_version=0), h.now)
    assert {m.member_type for m in v0.groups[0].members} == {-1}


def test_describe_leaves_out_topics_no_longer_in_the_image():
    """docs/consumer-protocol.md §7.4: assignment topics are described by id and name from the image; a
    deleted topic's partitions are left out."""
    h = Harness({"foo": 2, "bar": 1})
    h.join("a", topics=("foo", "bar"))
    h.delete_topic("bar")
    g = h.mgr.describe_group("g")
    assert [t.topic_name for t in g.members[0].assignment.topic_partitions] == ["foo"]


def test_describe_snapshot_shows_epochs_target_and_reconciliation_state():
    """describe(): a consumer group's epochs, target and each member's reconciliation state."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.heartbeat("a", owned=None)
    d = h.mgr.describe("g")
    assert (d["state"], d["group_epoch"], d["assignment_epoch"], d["group_type"]) == ("Reconciling", 2, 2, "consumer")
    a, b = d["members"]
    assert (a["state"], a["member_epoch"], a["assigned"], a["pending_revocation"], a["target"], a["reconciled"]) == (
        "UNREVOKED_PARTITIONS", 1, {"foo": [0, 1, 2]}, {"foo": [3, 4, 5]}, {"foo": [0, 1, 2]}, False)
    assert (b["state"], b["member_epoch"], b["assigned"], b["target"]) == (
        "UNRELEASED_PARTITIONS", 2, {}, {"foo": [3, 4, 5]})
    assert h.mgr.describe("nope") is None


# ---------------------------------------------------------------------------- ListGroups / DeleteGroups

def test_list_groups_with_types_and_states():
    """docs/consumer-protocol.md §7.3: ListGroups lists consumer groups with type "consumer" and their
    state; filters are case-insensitive."""
    h = Harness()
    h.join("a")
    h.join("x", group_id="other")
    h.leave("x", group_id="other")
    assert h.mgr.list_groups() == [ListedGroup("g", "consumer", "Stable", "consumer"),
                                   ListedGroup("other", "consumer", "Empty", "consumer")]
    assert [g.group_id for g in h.mgr.list_groups(states_filter=[" EMPTY "])] == ["other"]
    assert h.mgr.list_groups(types_filter=["Classic"]) == []
    assert len(h.mgr.list_groups(types_filter=["CONSUMER"])) == 2


def test_only_an_empty_group_can_be_deleted():
    """docs/consumer-protocol.md §6: DeleteGroups -> NON_EMPTY_GROUP unless the state is Empty."""
    h = Harness()
    h.join("a")
    assert h.mgr.delete_group("g", h.now) is E.NON_EMPTY_GROUP
    h.leave("a")
    assert h.mgr.delete_group("g", h.now) is E.NONE
    assert h.mgr.groups == {} and fold(h.trace) == {}
    assert h.mgr.delete_group("g", h.now) is E.GROUP_ID_NOT_FOUND
    assert h.join("a").member_epoch == 1  # a new group, epoch from 0 again
    assert isinstance(h.records()[-1], ev.MemberAssignmentUpdated)


def test_offset_validation_of_a_group_that_is_not_here_is_a_caller_bug():
    """The coordinator routes only its consumer groups here; anything else is a KeyError."""
    h = Harness()
    with pytest.raises(KeyError):
        h.mgr.validate_offset_commit("nope", "a", None, 1, 9)
