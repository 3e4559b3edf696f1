"""Consumer groups served by the broker's one Coordinator (docs/consumer-protocol.md §2, §6, §7).

Every API goes through ``Coordinator.handle`` (prechecks, routing), timers through ``on_timer``,
topic changes through ``on_metadata_update`` and failover through load/unload of the
``__consumer_offsets`` partition, with Kafka's default ``group.consumer.*`` configs and assignors.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from kafkalab.brokers import Brokers
from kafkalab.errors import ErrorCode
from kafkalab.messages import (
    ConsumerGroupDescribedGroup,
    ConsumerGroupDescribeRequest,
    ConsumerGroupHeartbeatResponse,
    DescribedGroup,
    DescribeGroupsRequest,
    HeartbeatRequest,
    LeaveGroupRequest,
    ListGroupsRequest,
    MemberIdentity,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    SyncGroupRequest,
)
from kafkalab.modern import ConsumerGroupConfig, topic_id_for
from kafkalab.modern import events as ev
from kafkalab.modern.group import fold
from kafkalab.modern.timers import ConsumerTimer, rebalance_timeout_key, session_timeout_key

from coord_helpers import SESSION, CoordHarness, classic_join, classic_member, commit, fetch

E = ErrorCode


# ---------------------------------------------------------------------------- ConsumerGroupHeartbeat

def test_a_join_through_handle_creates_the_group_and_writes_its_records_to_the_log():
    h = CoordHarness()
    resp = h.join("a")
    assert (resp.error_code, resp.member_id, resp.member_epoch, resp.heartbeat_interval_ms) == (E.NONE, "a", 1, 5_000)
    assert resp.assignment.as_dict() == {topic_id_for("foo"): frozenset(range(6))}
    d = h.coord.describe("g")
    assert (d["group_type"], d["state"], d["group_epoch"], d["assignment_epoch"]) == ("consumer", "Stable", 1, 1)
    assert [(m["member_id"], m["state"], m["assigned"]) for m in d["members"]] == [("a", "STABLE", {"foo": list(range(6))})]
    # The log holds exactly the records the trace shows, and they rebuild the group.
    records = [e for e in h.coord.trace if isinstance(e, ev.GroupRecord)]
    assert h.coord.log.consumer_groups["g"] == records
    assert fold(records)["g"].snapshot() == h.group.snapshot()


def _inactive(h: CoordHarness) -> None:
    h.coord.active = False


def _not_owner(h: CoordHarness) -> None:
    h.coord.owned_partitions = set(range(50)) - {h.coord.partition_of("g")}


def _loading(h: CoordHarness) -> None:
    h.coord.load_partition(h.coord.partition_of("g"), h.now, loading=True)


@pytest.mark.parametrize("setup, code", [
    (_inactive, E.COORDINATOR_NOT_AVAILABLE),
    (_not_owner, E.NOT_COORDINATOR),
    (_loading, E.COORDINATOR_LOAD_IN_PROGRESS),
])
def test_heartbeat_prechecks_answer_the_code_without_a_message(setup, code):
    """GroupCoordinatorService.consumerGroupHeartbeat + handleOperationException (generic messages dropped)."""
    h = CoordHarness()
    setup(h)
    assert h.join("a") == ConsumerGroupHeartbeatResponse(error_code=code)
    assert "g" not in h.coord.consumer_groups.groups


def test_heartbeat_with_the_consumer_protocol_disabled_is_unsupported_version():
    h = CoordHarness(consumer=ConsumerGroupConfig(group_coordinator_rebalance_protocols=("classic",)))
    assert h.join("a") == ConsumerGroupHeartbeatResponse(error_code=E.UNSUPPORTED_VERSION)


def test_an_empty_group_id_is_checked_after_ownership_by_the_manager():
    """§2.3: the validation runs in the manager, after the runtime's checks."""
    h = CoordHarness(group_id="")
    resp = h.join("a")
    assert (resp.error_code, resp.error_message) == (E.INVALID_REQUEST, "GroupId can't be empty.")
    _not_owner_of = set(range(50)) - {h.coord.partition_of("")}
    h.coord.owned_partitions = _not_owner_of
    assert h.join("a").error_code is E.NOT_COORDINATOR


# ---------------------------------------------------------------------------- ConsumerGroupDescribe / DescribeGroups / ListGroups

def test_consumer_group_describe_answers_each_group_id():
    """§7.4: found, missing, classic, empty id, another coordinator's."""
    h = CoordHarness()
    h.join("a")
    classic_join(h, "c")
    other = next(gid for gid in (f"o{i}" for i in range(100)) if h.coord.partition_of(gid) != h.coord.partition_of("g")
                 and h.coord.partition_of(gid) != h.coord.partition_of("c"))
    h.coord.owned_partitions = {h.coord.partition_of("g"), h.coord.partition_of("c"), h.coord.partition_of("nope")}
    groups = h.send(ConsumerGroupDescribeRequest(group_ids=("g", "nope", "c", "", other))).groups
    assert groups[0] == h.coord.consumer_groups.describe_group("g")
    assert (groups[0].group_state, groups[0].group_epoch, [m.member_id for m in groups[0].members]) == ("Stable", 1, ["a"])
    assert groups[1:] == (
        ConsumerGroupDescribedGroup(error_code=E.GROUP_ID_NOT_FOUND, group_id="nope", error_message="Group nope not found."),
        ConsumerGroupDescribedGroup(error_code=E.GROUP_ID_NOT_FOUND, group_id="c",
                                    error_message="Group c is not a consumer group"),
        ConsumerGroupDescribedGroup(error_code=E.INVALID_GROUP_ID, group_id=""),
        ConsumerGroupDescribedGroup(error_code=E.NOT_COORDINATOR, group_id=other),
    )


@pytest.mark.parametrize("config, setup, code", [
    ({}, _inactive, E.COORDINATOR_NOT_AVAILABLE),
    ({}, _loading, E.COORDINATOR_LOAD_IN_PROGRESS),
    ({"consumer": ConsumerGroupConfig(group_coordinator_rebalance_protocols=("classic",))}, None, E.UNSUPPORTED_VERSION),
])
def test_consumer_group_describe_errors_apply_to_every_group(config, setup, code):
    h = CoordHarness(**config)
    if setup is not None:
        setup(h)
    h.coord.owned_partitions = {h.coord.partition_of("g")}
    groups = h.send(ConsumerGroupDescribeRequest(group_ids=("g", "h"))).groups
    assert groups[0] == ConsumerGroupDescribedGroup(error_code=code, group_id="g")
    # Only the loading partition answers COORDINATOR_LOAD_IN_PROGRESS; "h" is not this broker's.
    other = E.NOT_COORDINATOR if code is E.COORDINATOR_LOAD_IN_PROGRESS else code
    assert groups[1] == ConsumerGroupDescribedGroup(error_code=other, group_id="h")


def test_describe_groups_of_a_consumer_group_is_dead():
    """§7.3: the classic DescribeGroups (v0-v5) sees no classic group by that id."""
    h = CoordHarness()
    h.join("a")
    assert h.send(DescribeGroupsRequest(groups=("g",))).groups == (DescribedGroup(group_id="g", group_state="Dead"),)


@pytest.mark.parametrize("version, states, types, expected", [
    (5, (), (), ["c", "e", "g"]),
    (5, (), ("consumer",), ["e", "g"]),
    (5, (), ("CONSUMER",), ["e", "g"]),
    (5, (), ("classic",), ["c"]),
    (5, (), ("classic", "consumer"), ["c", "e", "g"]),
    (5, (), ("share",), []),
    (5, ("stable",), (), ["g"]),
    (5, (" Empty ",), (), ["e"]),
    (5, ("CompletingRebalance", "stable"), (), ["c", "g"]),
    (5, ("empty",), ("classic",), []),
    (4, (), ("classic",), ["c", "e", "g"]),  # v4 has no types filter
    (3, ("stable",), (), ["c", "e", "g"]),   # v3 has no states filter
])
def test_list_groups_lists_both_types_with_filters(version, states, types, expected):
    h = CoordHarness()
    h.join("a")
    h.join("b", group_id="e")
    h.cghb("b", -1, group_id="e")
    classic_member(h, "c")
    listed = h.send(ListGroupsRequest(states_filter=states, types_filter=types, api_version=version)).groups
    assert [g.group_id for g in listed] == expected
    by_id = {g.group_id: g for g in listed}
    for gid in by_id:
        want = ("consumer", "consumer", h.state(gid)) if gid != "c" else ("classic", "consumer", "CompletingRebalance")
        assert (by_id[gid].group_type, by_id[gid].protocol_type, by_id[gid].group_state) == want


# ---------------------------------------------------------------------------- one namespace of group ids

def test_join_group_to_an_empty_consumer_group_replaces_it_and_keeps_its_offsets():
    """classicGroupJoin: the empty consumer group is tombstoned and the join creates a classic group."""
    h = CoordHarness()
    h.join("a")
    assert h.send(commit("g", "a", 1)).topics[0].partitions[0].error_code is E.NONE
    h.leave("a")
    assert h.state() == "Empty"
    resp = classic_join(h, "g")
    assert resp.error_code is E.MEMBER_ID_REQUIRED
    assert "g" not in h.coord.consumer_groups.groups and "g" not in h.coord.log.consumer_groups
    assert h.coord.describe("g")["state"] == "Empty" and "group_type" not in h.coord.describe("g")
    assert [e.group_id for e in h.coord.trace if isinstance(e, ev.ConsumerGroupDeleted)] == ["g"]
    assert h.send(fetch("g", version=8)).topics[0].partitions[0].committed_offset == 42


@pytest.mark.parametrize("policy", ["disabled", "downgrade"])
def test_heartbeat_to_a_classic_group_with_members_is_group_id_not_found_without_upgrades(policy):
    """getOrMaybeCreateConsumerGroup when the policy refuses the online upgrade (§7.1)."""
    h = CoordHarness(consumer=ConsumerGroupConfig(group_consumer_migration_policy=policy))
    classic_member(h, "c")
    resp = h.join("a", group_id="c")
    assert (resp.error_code, resp.error_message) == (
        E.GROUP_ID_NOT_FOUND, "Cannot upgrade classic group c to consumer group because online upgrade is disabled.")
    assert h.coord.groups["c"].state.value == "CompletingRebalance"
    assert "c" not in h.coord.consumer_groups.groups


def test_heartbeat_to_an_empty_classic_group_takes_its_id_and_keeps_its_offsets():
    """§7.1: an empty classic group (here a simple one, created by a commit) is tombstoned."""
    h = CoordHarness()
    assert h.send(commit("c", "", -1, version=8)).topics[0].partitions[0].error_code is E.NONE
    assert h.coord.groups["c"].state.value == "Empty"
    assert h.join("a", group_id="c").error_code is E.NONE
    assert "c" not in h.coord.groups and "c" not in h.coord.log.groups
    assert h.coord.describe("c")["group_type"] == "consumer"
    resp = h.send(fetch("c", "a", 1))
    assert resp.error_code is E.NONE and resp.topics[0].partitions[0].committed_offset == 42


def test_classic_sync_heartbeat_and_leave_to_a_consumer_group_are_unknown_member():
    """classicGroup{Sync,Heartbeat,Leave}ToConsumerGroup: a member that does not use the classic
    protocol is unknown to them; a static member's instance id claimed by another member id is
    fenced."""
    h = CoordHarness()
    h.join("a", instance_id="ia")
    assert h.send(SyncGroupRequest(group_id="g", generation_id=1, member_id="a")).error_code is E.UNKNOWN_MEMBER_ID
    assert h.send(HeartbeatRequest(group_id="g", generation_id=1, member_id="a")).error_code is E.UNKNOWN_MEMBER_ID
    assert h.send(HeartbeatRequest(group_id="g", generation_id=1, member_id="b",
                                   group_instance_id="ia")).error_code is E.FENCED_INSTANCE_ID
    leave = h.send(LeaveGroupRequest(group_id="g", members=(
        MemberIdentity("a"), MemberIdentity("b", "ia"), MemberIdentity("", "ia"), MemberIdentity("", "zz"))))
    assert leave.error_code is E.NONE
    assert [(m.member_id, m.group_instance_id, m.error_code) for m in leave.members] == [
        ("a", None, E.UNKNOWN_MEMBER_ID), ("b", "ia", E.FENCED_INSTANCE_ID), ("", "ia", E.UNKNOWN_MEMBER_ID),
        ("", "zz", E.UNKNOWN_MEMBER_ID)]
    assert h.send(LeaveGroupRequest(group_id="g", member_id="a", api_version=2)).error_code is E.UNKNOWN_MEMBER_ID
    assert [m["member_id"] for m in h.coord.describe("g")["members"]] == ["a"]


# ---------------------------------------------------------------------------- offsets (§6)

@pytest.mark.parametrize("member, epoch, version, code", [
    ("a", 1, 9, E.NONE),
    ("a", 0, 9, E.STALE_MEMBER_EPOCH),
    ("a", 2, 9, E.STALE_MEMBER_EPOCH),
    ("zz", 1, 9, E.UNKNOWN_MEMBER_ID),
    ("", -1, 9, E.UNKNOWN_MEMBER_ID),   # members exist: an admin commit is refused
    ("a", 1, 8, E.UNSUPPORTED_VERSION),
])
def test_offset_commit_checks_the_member_epoch(member, epoch, version, code):
    h = CoordHarness()
    h.join("a")
    resp = h.send(commit("g", member, epoch, version))
    assert resp.topics[0].partitions[0].error_code is code
    stored = h.coord.runtime.offsets.get("g", {}).get(("foo", 0))
    assert (stored is not None) == (code is E.NONE)
    assert h.coord.log.offsets.get("g", {}).get(("foo", 0)) == stored


def test_offset_commit_to_an_empty_consumer_group_accepts_an_admin_commit():
    h = CoordHarness()
    h.join("a")
    h.leave("a")
    assert h.send(commit("g", "", -1)).topics[0].partitions[0].error_code is E.NONE
    assert h.send(commit("g", "a", 1)).topics[0].partitions[0].error_code is E.UNKNOWN_MEMBER_ID


@pytest.mark.parametrize("member, epoch, version, code", [
    ("a", 1, 9, E.NONE),
    (None, -1, 9, E.NONE),
    ("a", 0, 9, E.STALE_MEMBER_EPOCH),
    ("zz", 1, 9, E.UNKNOWN_MEMBER_ID),
    ("", 1, 9, E.UNKNOWN_MEMBER_ID),
    ("zz", 1, 8, E.NONE),   # before v9 the request carries no member
])
def test_offset_fetch_checks_the_member_epoch_from_v9(member, epoch, version, code):
    h = CoordHarness()
    h.join("a")
    h.send(commit("g", "a", 1))
    req = OffsetFetchRequest(group_id="g", api_version=version, topics=(OffsetFetchRequestTopic("foo", (0,)),),
                             **({"member_id": member, "member_epoch": epoch} if version >= 9 else {}))
    resp = h.send(req)
    assert resp.error_code is code
    if code is E.NONE:
        assert resp.topics[0].partitions[0].committed_offset == 42


def test_offsets_expire_and_an_empty_consumer_group_is_deleted():
    """cleanupGroupMetadata: offsets of a topic no member subscribes to expire after
    offsets.retention.minutes; an Empty group left without offsets is tombstoned."""
    h = CoordHarness(offsets_retention_minutes=1, offsets_retention_check_interval_ms=10_000)
    h.join("a")
    h.send(commit("g", "a", 1))
    h.advance_to(SESSION - 1)
    h.heartbeat("a")
    h.advance_to(80_000)  # a still subscribes to foo: kept
    assert ("foo", 0) in h.coord.runtime.offsets["g"]
    h.leave("a")
    h.advance_to(200_000)
    assert "g" not in h.coord.consumer_groups.groups and "g" not in h.coord.runtime.offsets
    assert "g" not in h.coord.log.consumer_groups and "g" not in h.coord.log.offsets


# ---------------------------------------------------------------------------- timers

def test_session_timeout_through_on_timer_fences_the_member():
    h = CoordHarness()
    h.join("a")
    h.join("b")
    assert h.coord.next_deadline() == SESSION
    h.advance_to(SESSION - 1)
    h.heartbeat("a")
    h.advance_to(SESSION)  # b never heartbeated again
    d = h.coord.describe("g")
    assert [m["member_id"] for m in d["members"]] == ["a"]
    assert (d["state"], d["group_epoch"]) == ("Assigning", 3)
    removed = [e for e in h.coord.trace if isinstance(e, ev.MemberRemoved)]
    assert [(e.member_id, e.reason) for e in removed] == [("b", ev.RemovalReason.SESSION_EXPIRED)]
    assert session_timeout_key("g", "a") in h.coord.timers and session_timeout_key("g", "b") not in h.coord.timers


def test_rebalance_timeout_through_on_timer_fences_a_member_that_does_not_revoke():
    h = CoordHarness()
    h.join("a", rebalance_timeout_ms=20_000)
    h.join("b")
    resp = h.cghb("a", 1, owned=None)  # no acknowledgement: a learns it must revoke
    assert h.group.members["a"].state.name == "UNREVOKED_PARTITIONS"
    deadline = h.coord.timers.get(rebalance_timeout_key("g", "a")).deadline
    assert resp.error_code is E.NONE and deadline == 20_000
    h.advance_to(10_000)
    h.cghb("a", h.epochs["a"], owned=None)
    h.cghb("b", h.epochs["b"], owned=None)
    h.advance_to(deadline)
    assert "a" not in h.group.members
    assert [e.reason for e in h.coord.trace if isinstance(e, ev.MemberRemoved)] == [ev.RemovalReason.REBALANCE_TIMEOUT]


# ---------------------------------------------------------------------------- metadata

def test_a_metadata_update_bumps_the_group_epoch_at_the_next_heartbeat():
    """§3.1: onNewMetadataImage asks the group to refresh; the next heartbeat bumps the epoch."""
    h = CoordHarness({"foo": 4})
    h.join("a")
    assert h.coord.on_metadata_update(h.image.with_topic("foo", 6), 10) == []
    assert h.group.group_epoch == 1
    h.now = 10
    resp = h.heartbeat("a")
    assert (resp.member_epoch, h.group.group_epoch) == (2, 2)
    assert resp.assignment.as_dict() == {topic_id_for("foo"): frozenset(range(6))}


def test_the_world_tells_every_coordinator_about_topic_changes():
    from kafkalab.sim import World

    w = World({"foo": 3}, brokers=3)
    for c in w.coordinators.values():
        assert c.consumer_groups.metadata.topic("foo").topic_id == topic_id_for("foo")
    w.add_partitions("foo", 5)
    w.create_topic("bar", 2)
    w.delete_topic("foo")
    w.create_topic("foo", 1)
    for c in w.coordinators.values():
        image = c.consumer_groups.metadata
        assert {t.name: (t.topic_id, t.num_partitions) for t in image.topics()} == {
            "bar": (topic_id_for("bar"), 2), "foo": (topic_id_for("foo", 1), 1)}


# ---------------------------------------------------------------------------- failover

def _two_brokers_with_group() -> tuple[Brokers, CoordHarness, int, int]:
    brokers = Brokers(2)
    brokers.update_topics({"foo": 6}, 0)
    old_node = brokers.cluster.leader_of(brokers.partition_for("g"))
    h = CoordHarness(coordinator=brokers.coordinators[old_node])
    return brokers, h, old_node, 1 - old_node


def test_failover_rebuilds_the_consumer_group_on_the_new_coordinator():
    brokers, h, old, new = _two_brokers_with_group()
    h.join("a", rebalance_timeout_ms=20_000)
    h.join("b")
    h.cghb("a", 1, owned=None)  # a now has partitions to revoke
    before = h.coord.describe("g")
    h.now = 5_000
    brokers.move_coordinator("g", new, h.now)
    assert h.coord.describe("g")["state"] == "Dead"
    assert not [k for k in h.coord.timers.keys() if isinstance(k, tuple)]
    assert h.join("c").error_code is E.NOT_COORDINATOR
    h.coord = brokers.coordinators[new]
    assert h.coord.describe("g") == before
    assert h.coord.timers.get(session_timeout_key("g", "a")).deadline == 5_000 + SESSION
    assert h.coord.timers.get(rebalance_timeout_key("g", "a")).deadline == 5_000 + 20_000
    assert h.heartbeat("b").error_code is E.NONE  # the member carries on with its epoch
    loaded = [e for e in h.coord.trace if isinstance(e, ev.ConsumerGroupLoaded)]
    assert [(e.group_id, e.state.value, e.members) for e in loaded] == [("g", "Reconciling", ("a", "b"))]


def test_a_loading_partition_answers_load_in_progress_and_starts_timers_when_loaded():
    brokers, h, old, new = _two_brokers_with_group()
    h.join("a")
    p = brokers.partition_for("g")
    h.coord.unload_partition(p, 1_000)
    h.coord = brokers.coordinators[new]
    h.coord.load_partition(p, 1_000, loading=True)
    h.now = 1_000
    assert h.heartbeat("a").error_code is E.COORDINATOR_LOAD_IN_PROGRESS
    assert session_timeout_key("g", "a") not in h.coord.timers
    h.coord.finish_loading(p, 3_000)
    assert h.coord.timers.get(session_timeout_key("g", "a")).deadline == 3_000 + SESSION
    h.now = 3_000
    assert h.heartbeat("a").error_code is E.NONE


def test_a_deleted_consumer_group_is_not_loaded_again():
    brokers, h, old, new = _two_brokers_with_group()
    h.join("a")
    h.leave("a")
    assert h.coord.consumer_groups.delete_group("g", 0) is E.NONE
    brokers.move_coordinator("g", new, 0)
    assert brokers.coordinators[new].describe("g")["state"] == "Dead"


# ---------------------------------------------------------------------------- every (state, request) pair

def _empty(h: CoordHarness) -> None:
    h.join("a")
    h.leave("a")


def _stable(h: CoordHarness) -> None:
    h.join("a")


def _reconciling(h: CoordHarness) -> None:
    h.join("a")
    h.join("b")


def _assigning(h: CoordHarness) -> None:
    h.join("a")
    h.join("b")
    h.advance_to(SESSION - 1)
    h.heartbeat("a")
    h.advance_to(SESSION)


STATES = {"Empty": _empty, "Stable": _stable, "Reconciling": _reconciling, "Assigning": _assigning}


def _member_of(h: CoordHarness) -> Optional[str]:
    return next(iter(h.group.members), None)


REQUESTS = {
    "join": lambda h: h.join("n"),
    "heartbeat": lambda h: h.heartbeat(_member_of(h)) if _member_of(h) else h.cghb("a", 1),
    "leave": lambda h: h.cghb(_member_of(h) or "a", -1),
    "describe": lambda h: h.send(ConsumerGroupDescribeRequest(group_ids=("g",))),
    "describe_groups": lambda h: h.send(DescribeGroupsRequest(groups=("g",))),
    "list_groups": lambda h: h.send(ListGroupsRequest(api_version=5)),
    "offset_commit": lambda h: h.send(commit("g", _member_of(h) or "", h.epochs.get(_member_of(h), -1)
                                             if _member_of(h) else -1)),
    "offset_fetch": lambda h: h.send(fetch("g", _member_of(h), h.epochs.get(_member_of(h), -1)
                                           if _member_of(h) else -1)),
    "join_group": lambda h: classic_join(h, "g"),
    "sync_group": lambda h: h.send(SyncGroupRequest(group_id="g", generation_id=1, member_id="a")),
    "classic_heartbeat": lambda h: h.send(HeartbeatRequest(group_id="g", generation_id=1, member_id="a")),
    "leave_group": lambda h: h.send(LeaveGroupRequest(group_id="g", members=(MemberIdentity("a"),))),
}


def _error_of(resp: Any) -> ErrorCode:
    if hasattr(resp, "groups") and resp.groups and hasattr(resp.groups[0], "error_code"):
        return resp.groups[0].error_code
    if hasattr(resp, "topics") and resp.topics and hasattr(resp.topics[0].partitions[0], "error_code") \
            and not hasattr(resp, "error_code"):
        return resp.topics[0].partitions[0].error_code
    if getattr(resp, "members", None) and hasattr(resp.members[0], "error_code"):
        return resp.members[0].error_code
    return getattr(resp, "error_code", E.NONE)


@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("state", list(STATES))
def test_every_state_and_request(state, request_name):
    h = CoordHarness()
    STATES[state](h)
    assert h.state() == state
    members = dict(h.group.members)
    resp = REQUESTS[request_name](h)
    error = _error_of(resp)
    classic = request_name in ("join_group", "sync_group", "classic_heartbeat", "leave_group")
    if request_name == "join_group":
        # An empty consumer group gives way to a classic group; one with members takes the joiner
        # as a classic member (§7.3); either way a v5 join without a member id gets one first.
        assert error is E.MEMBER_ID_REQUIRED
        assert ("g" in h.coord.consumer_groups.groups) == bool(members)
    elif classic:
        assert error is E.UNKNOWN_MEMBER_ID
    elif request_name == "heartbeat" and not members:
        assert error is E.UNKNOWN_MEMBER_ID
    elif request_name == "leave" and not members:
        assert error is E.UNKNOWN_MEMBER_ID
    else:
        assert error is E.NONE, resp
    if request_name == "describe":
        assert resp.groups[0].group_state == state
    if request_name == "describe_groups":
        assert resp.groups[0].group_state == "Dead"
    if request_name == "list_groups":
        assert [(g.group_id, g.group_state, g.group_type) for g in resp.groups] == [("g", state, "consumer")]
    if "g" in h.coord.consumer_groups.groups:
        # Whatever happened, the log replays to the group the coordinator holds.
        assert fold(h.coord.log.consumer_groups["g"])["g"].snapshot() == h.group.snapshot()
        assert all(k[0] in tuple(ConsumerTimer) for k in h.coord.timers.keys() if isinstance(k, tuple))
