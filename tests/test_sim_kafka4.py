"""The simulated consumer as Kafka 4.x ships it: request versions, KIP-800 reasons, KIP-814's
``skip_assignment``, KIP-1092's close options, and the client-side JoinGroup timeout.

Older request versions stay available per consumer; where the version changes what happens (JoinGroup
v3 has no MEMBER_ID_REQUIRED; before v9 a restarted static leader is told the old leader id) both are
checked.  docs/classic-protocol.md §12 and §12.1 state the rules.
"""

from __future__ import annotations

import pytest

from kafkalab import CoordinatorConfig, ErrorCode
from kafkalab.messages import (
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupResponse,
    LeaveGroupRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    SyncGroupRequest,
)
from kafkalab.sim import World
from kafkalab.sim import events as ev
from kafkalab.trace import MemberRemovalReason, MemberRemoved, StateChanged

RANGE = {"partition_assignment_strategy": ["range"]}


def sent(world, api, src=None):
    return [e.message for e in world.trace if isinstance(e, ev.MessageSent) and type(e.message) is api
            and (src is None or e.src == src)]


def group_after_close(membership, static):
    world = World(topics={"orders": 4})
    for i in (1, 2):
        world.consumer(f"c{i}", "g", ["orders"], session_timeout_ms=30_000,
                       **({"group_instance_id": f"i{i}"} if static else {}), **RANGE)
    world.run_until_stable("g")
    world.run(until=10_000)
    world.close("c2", membership=membership)
    world.run(until=12_000)
    return world


def test_by_default_the_consumer_speaks_kafka_4_versions():
    world = World(topics={"orders": 4})
    world.add_consumers(2, group="g", topics=["orders"], **RANGE)
    world.run_until_stable("g")
    world.run(for_ms=10_000)
    world.close("c2")
    world.run(for_ms=1_000)
    versions = {api.__name__: {m.api_version for m in sent(world, api)}
                for api in (JoinGroupRequest, SyncGroupRequest, HeartbeatRequest, LeaveGroupRequest,
                            OffsetCommitRequest, OffsetFetchRequest)}
    assert versions == {"JoinGroupRequest": {9}, "SyncGroupRequest": {5}, "HeartbeatRequest": {4},
                        "LeaveGroupRequest": {5}, "OffsetCommitRequest": {9}, "OffsetFetchRequest": {9}}
    [leave] = sent(world, LeaveGroupRequest)
    assert leave.members[0].member_id.startswith("c2-") and leave.members[0].group_instance_id is None
    assert leave.members[0].reason == "the consumer is being closed"


def test_versions_stay_configurable_per_consumer_and_older_ones_keep_their_shape():
    world = World(topics={"orders": 4})
    world.consumer("old", "g", ["orders"], join_group_version=5, sync_group_version=3, heartbeat_version=3,
                   leave_group_version=1, offset_commit_version=8, offset_fetch_version=7, **RANGE)
    world.consumer("new", "g", ["orders"], **RANGE)
    world.run_until_stable("g")
    world.run(for_ms=6_000)
    world.close("old")
    world.run(for_ms=1_000)
    assert {m.api_version for m in sent(world, JoinGroupRequest, "old")} == {5}
    assert all(m.reason is None for m in sent(world, JoinGroupRequest, "old"))   # no reason before v8
    [leave] = sent(world, LeaveGroupRequest, "old")
    assert leave.api_version == 1 and leave.member_id and leave.members == ()
    with pytest.raises(ValueError, match=r"join_group_version must be an int in 0\.\.9"):
        world.consumer("bad", "g", ["orders"], join_group_version=10)
    with pytest.raises(ValueError, match="cannot carry group.instance.id"):
        world.consumer("bad", "g", ["orders"], group_instance_id="i", heartbeat_version=2)


def test_joingroup_v3_has_no_member_id_required_round_trip_and_v4_plus_has():
    def first_answers(version):
        world = World(topics={"orders": 4})
        world.consumer("c1", "g", ["orders"], join_group_version=version, **RANGE)
        return world.run_until_stable("g"), [m.error_code for m in sent(world, JoinGroupResponse)]
    t3, answers3 = first_answers(3)
    t9, answers9 = first_answers(9)
    assert answers3 == [ErrorCode.NONE]
    assert answers9 == [ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.NONE]
    assert t9 - t3 == 2           # one more round trip of 1 ms each way


def test_joingroup_carries_the_java_clients_kip_800_reasons():
    world = World(topics={"orders": 4})
    world.add_consumers(2, group="g", topics=["orders"], **RANGE)
    world.run_until_stable("g")
    reasons = [m.reason for m in sent(world, JoinGroupRequest, "c2")]
    assert reasons == ["", f"need to re-join with the given member-id: {world['c2'].member_id}"]
    world.close("c1")
    world.run_until_stable("g")
    assert sent(world, JoinGroupRequest, "c2")[-1].reason == "group is already rebalancing"


def test_a_restarted_static_leader_skips_the_assignment_with_v9_and_is_a_follower_before():
    def restart_leader(version):
        world = World(topics={"orders": 4})
        for i in (1, 2):
            world.consumer(f"s{i}", "g", ["orders"], group_instance_id=f"i{i}", join_group_version=version, **RANGE)
        world.run_until_stable("g")
        before = world.assignments("g")
        mark = len(world.trace)
        world.close("s1")
        world.run(for_ms=5_000)
        world.restart("s1")
        world.run_until_stable("g")
        answer = [e.message for e in world.trace[mark:] if isinstance(e, ev.MessageSent)
                  and isinstance(e.message, JoinGroupResponse) and e.dst == "s1"][-1]
        ran = [e for e in world.trace[mark:] if isinstance(e, ev.AssignmentPerformed)]
        syncs = [m for m in sent(world, SyncGroupRequest, "s1")][-1]
        return world, before, answer, ran, syncs
    for version, leader_is_new, skip in ((9, True, True), (5, False, False)):
        world, before, answer, ran, sync = restart_leader(version)
        assert (answer.leader == answer.member_id) is leader_is_new
        assert answer.skip_assignment is skip
        assert ran == [] and sync.assignments == ()          # nobody recomputes the assignment
        assert world.assignments("g") == before and world.describe("g")["generation_id"] == 1


@pytest.mark.parametrize("membership, static, leaves", [
    ("DEFAULT", False, True), ("DEFAULT", True, False),
    ("LEAVE_GROUP", False, True), ("LEAVE_GROUP", True, True),
    ("REMAIN_IN_GROUP", False, False), ("REMAIN_IN_GROUP", True, False),
])
def test_close_options_decide_whether_a_member_leaves(membership, static, leaves):
    world = group_after_close(membership, static)
    assert bool(sent(world, LeaveGroupRequest, "c2")) is leaves
    removed = [e.event for e in world.trace if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, MemberRemoved)]
    assert [r.reason for r in removed] == ([MemberRemovalReason.LEAVE_GROUP] if leaves else [])
    skipped = [e for e in world.trace if isinstance(e, ev.LeaveGroupSkipped)]
    assert [s.membership.name for s in skipped] == ([] if leaves else [membership])
    stopped = [e for e in world.trace if isinstance(e, ev.ConsumerStopped)]
    assert stopped[-1].membership is ev.GroupMembershipOperation[membership]


def test_a_member_that_remains_in_the_group_is_removed_by_its_session_timeout():
    world = group_after_close("REMAIN_IN_GROUP", static=False)
    world.run_until_stable("g")
    removed = [e for e in world.trace if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, MemberRemoved)]
    assert [e.event.reason for e in removed] == [MemberRemovalReason.HEARTBEAT_EXPIRATION]
    assert 10_000 + 30_000 - 3_000 <= removed[0].at <= 10_000 + 30_000 + 100


def test_a_static_member_that_leaves_frees_its_instance_id_at_once():
    world = group_after_close("LEAVE_GROUP", static=True)
    world.run_until_stable("g")
    assert world.assignments("g")["c1"] == [("orders", p) for p in range(4)]
    assert [m["group_instance_id"] for m in world.describe("g")["members"]] == ["i1"]
    world.restart("c2")                                   # a new process with the same instance id
    world.run_until_stable("g")
    assert world.describe("g")["generation_id"] == 3      # it is a new member: another rebalance


def test_bad_membership_is_refused_with_the_choices():
    world = World(topics={"orders": 4})
    world.consumer("c1", "g", ["orders"])
    with pytest.raises(ValueError, match="DEFAULT, LEAVE_GROUP, REMAIN_IN_GROUP"):
        world.close("c1", membership="goodbye")
    assert world["c1"].status != "closed"


def test_the_client_gives_up_on_a_joingroup_after_its_rebalance_timeout_plus_5_s():
    """A member's JoinGroup may be parked for the *group's* rebalance timeout (the largest
    max.poll.interval.ms); the client waits only for its own plus 5 s, then rediscovers the
    coordinator and sends JoinGroup again."""
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.consumer("slow", "g", ["orders"], max_poll_interval_ms=60_000, processing_ms=50_000, **RANGE)
    world.consumer("quick", "g", ["orders"], max_poll_interval_ms=10_000, request_timeout_ms=5_000, **RANGE)
    world.run_until_stable("g")
    world.run(for_ms=2_000)
    start = world.now
    world.consumer("late", "g", ["orders"], **RANGE)        # a rebalance that waits for slow's next poll
    world.run(for_ms=40_000)
    timed_out = [e for e in world.trace if isinstance(e, ev.CoordinatorUnknown) and e.consumer == "quick"
                 and e.request_kind == "join"]
    assert timed_out, "quick's parked JoinGroup should time out on the client"
    quick_joins = [e for e in world.trace if isinstance(e, ev.MessageSent) and e.src == "quick"
                   and isinstance(e.message, JoinGroupRequest) and e.at >= start]
    assert timed_out[0].at - quick_joins[0].at == 10_000 + 5_000
    retry = [e for e in quick_joins if e.at > timed_out[0].at][0]
    assert retry.message.reason == "rebalance failed due to DisconnectException"


def test_group_max_size_refuses_the_extra_member_fatally_and_the_group_keeps_working():
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_max_size=2))
    world.add_consumers(3, group="g", topics=["orders"], **RANGE)
    world.run(for_ms=20_000)
    failed = [c for c in world.consumers.values() if c.fatal_error is not None]
    assert [c.fatal_error for c in failed] == [ErrorCode.GROUP_MAX_SIZE_REACHED]
    assert world.is_stable("g") and len(world.describe("g")["members"]) == 2
    assert sorted(p for ps in world.assignments("g").values() for p in ps) == [("orders", p) for p in range(4)]


def test_a_new_member_that_never_completes_its_join_is_removed_after_5_minutes():
    """The coordinator gives a new member's session the 300 s new-member join timeout while its
    JoinGroup is parked (it has no id to heartbeat with): here a new member joins a rebalance that
    a stuck member holds open, then crashes."""
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.consumer("stuck", "g", ["orders"], max_poll_interval_ms=900_000, processing_ms=1_000, **RANGE)
    world.run_until_stable("g")
    world["stuck"].stall(800_000)
    world.run(for_ms=2_000)
    world.consumer("newbie", "g", ["orders"], **RANGE)
    world.run_until(lambda w: any(isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, StateChanged)
                                  and e.event.new.value == "PreparingRebalance" for e in w.trace[-5:]),
                    timeout_ms=10_000)
    joined_at = world.now
    world.crash("newbie")
    world.run(for_ms=310_000)
    removed = [e for e in world.trace if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, MemberRemoved)
               and e.event.member_id.startswith("newbie-")]
    assert len(removed) == 1
    assert removed[0].at - joined_at == pytest.approx(300_000, abs=10)
