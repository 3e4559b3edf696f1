"""Classic members and online migration through the Coordinator (docs/consumer-protocol.md §7).

One test (or one parametrised test) per rule of §7: each would fail if its rule were broken.
"""

from __future__ import annotations

import pytest

from coord_helpers import ClassicClient, CoordHarness, catch_up, classic_group, commit
from kafkalab import trace
from kafkalab.consumer_protocol import decode_assignment, encode_assignment, encode_subscription
from kafkalab.errors import ErrorCode
from kafkalab.messages import (
    ConsumerGroupDescribeRequest,
    ConsumerGroupHeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    LeaveGroupRequest,
    MemberIdentity,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from kafkalab.modern import ConsumerGroupConfig
from kafkalab.modern import events as ev
from kafkalab.modern.group import fold
from kafkalab.modern.timers import classic_join_timeout_key, classic_sync_timeout_key, session_timeout_key

E = ErrorCode


def policy(name: str) -> dict:
    return {"consumer": ConsumerGroupConfig(group_consumer_migration_policy=name)}


def upgraded(**config) -> tuple[CoordHarness, ClassicClient, ClassicClient]:
    """Classic members c1 (foo 0, 2, 4) and c2 (foo 1, 3, 5) at generation 1; then the consumer
    member "n" joins and the group becomes a consumer group."""
    h = CoordHarness(**config)
    c1, c2 = ClassicClient(h, "c1"), ClassicClient(h, "c2")
    classic_group(h, c1, c2)
    assert h.join("n").error_code is E.NONE
    return h, c1, c2


# ---------------------------------------------------------------------------- §7: the policy gates non-empty groups only

@pytest.mark.parametrize("name", ["disabled", "downgrade", "upgrade", "bidirectional"])
def test_empty_groups_change_type_whatever_the_policy(name):
    h = CoordHarness(**policy(name))
    c = ClassicClient(h, "c")
    classic_group(h, c)
    c.leave()
    assert h.coord.groups["g"].state.value == "Empty"
    assert h.join("n").error_code is E.NONE          # empty classic -> consumer
    h.leave("n")
    assert c.join() is None                           # empty consumer -> classic (the initial delay)
    assert "g" in h.coord.groups and "g" not in h.coord.consumer_groups.groups


# ---------------------------------------------------------------------------- §7.1 upgrade

@pytest.mark.parametrize("name, upgrades", [("disabled", False), ("downgrade", False), ("upgrade", True),
                                            ("bidirectional", True)])
def test_the_policy_decides_whether_a_classic_group_with_members_is_upgraded(name, upgrades):
    h = CoordHarness(**policy(name))
    classic_group(h, ClassicClient(h, "c1"))
    resp = h.join("n")
    if upgrades:
        assert resp.error_code is E.NONE and h.coord.describe("g")["group_type"] == "consumer"
    else:
        assert (resp.error_code, resp.error_message) == (E.GROUP_ID_NOT_FOUND, "Cannot upgrade classic group g to "
                                                         "consumer group because online upgrade is disabled.")
        assert h.coord.groups["g"].state.value == "Stable"


def _classic_join(h: CoordHarness, name: str, protocol_type: str, metadata: bytes) -> None:
    req = JoinGroupRequest(group_id="g", session_timeout_ms=10_000, protocol_type=protocol_type, api_version=3,
                           protocols=(JoinGroupRequestProtocol("range", metadata),), client_id=name)
    h.coord.handle(req, name, h.now)


@pytest.mark.parametrize("case, message", [
    ("protocol type", "because the group does not use the consumer embedded protocol."),
    ("size", "because the group size exceeds the consumer group maximum size."),
    ("user data", "because an unsupported custom assignor is in use. Please refer to the documentation or switch "
                  "to a default assignor before re-attempting the upgrade."),
    ("malformed", "because the embedded consumer protocol is malformed."),
])
def test_an_upgrade_is_refused_with_group_id_not_found_and_a_message(case, message):
    h = CoordHarness(consumer=ConsumerGroupConfig(group_consumer_max_size=1 if case == "size" else 2_147_483_647,
                                                  group_consumer_session_timeout_ms=45_000))
    sub = encode_subscription(["foo"], version=3)
    if case in ("protocol type", "malformed", "size"):
        for name in ("c1", "c2") if case == "size" else ("c1",):
            _classic_join(h, name, "connect" if case == "protocol type" else "consumer",
                          b"\x00" if case == "malformed" else sub)
        h.advance_to(3_000)
    else:
        c = ClassicClient(h, "c1")
        c.join()
        h.advance_to(3_000)
        c.member_id = next(iter(h.coord.groups["g"].members))
        c.generation = 1
        assert h.send(SyncGroupRequest(group_id="g", generation_id=1, member_id=c.member_id, assignments=(
            SyncGroupRequestAssignment(c.member_id, encode_assignment([("foo", 0)], b"sticky")),))).error_code is E.NONE
    resp = h.join("n")
    prefix = "Cannot upgrade the classic group g to consumer group " if case == "malformed" else \
        "Cannot upgrade classic group g to consumer group "
    assert (resp.error_code, resp.error_message) == (E.GROUP_ID_NOT_FOUND, prefix + message)
    assert "g" in h.coord.groups and "g" not in h.coord.consumer_groups.groups


def test_the_conversion_answers_parked_requests_rebalance_in_progress_and_tombstones_the_classic_group():
    h = CoordHarness()
    c1, c2 = ClassicClient(h, "c1"), ClassicClient(h, "c2")
    classic_group(h, c1, c2)
    assert c1.join() is None  # the leader rejoins: a rebalance starts and its JoinGroup is parked
    replies = h.coord.handle(ConsumerGroupHeartbeatRequest(
        group_id="g", member_id="n", member_epoch=0, rebalance_timeout_ms=30_000, subscribed_topic_names=("foo",),
        topic_partitions=()), "n", h.now)
    assert {r.origin: r.response.error_code for r in replies} == {"c1": E.REBALANCE_IN_PROGRESS, "n": E.NONE}
    assert "g" not in h.coord.log.groups and "g" not in h.coord.groups
    assert fold(h.coord.log.consumer_groups["g"])["g"].snapshot() == h.group.snapshot()


def test_classic_members_become_members_at_the_generation_with_their_assignment():
    h, c1, c2 = upgraded()
    converted = [e for e in h.coord.trace if isinstance(e, ev.MemberAssignmentUpdated)
                 and e.member_id in (c1.member_id, c2.member_id)]
    assert [(e.member_epoch, e.previous_member_epoch, e.state.name) for e in converted] == [(1, 1, "STABLE")] * 2
    bumps = [(e.old_epoch, e.new_epoch, e.reason) for e in h.coord.trace if isinstance(e, ev.GroupEpochBumped)]
    assert bumps == [(0, 1, ev.EpochBumpReason.CLASSIC_GROUP_UPGRADED), (1, 2, ev.EpochBumpReason.SUBSCRIPTION_CHANGED)]
    d = {m["member_id"]: m for m in h.coord.describe("g")["members"]}
    assert d[c1.member_id]["assigned"] == {"foo": [0, 2, 4]} and d[c2.member_id]["assigned"] == {"foo": [1, 3, 5]}
    assert d[c1.member_id]["protocol"] == "classic" and d["n"]["protocol"] == "consumer"
    # Their sessions run with their classic session timeout (10 s), the newcomer's with 45 s.
    assert h.coord.timers.get(session_timeout_key("g", c1.member_id)).deadline == h.now + 10_000
    assert h.coord.timers.get(session_timeout_key("g", "n")).deadline == h.now + 45_000


def test_the_newcomer_waits_for_partitions_the_classic_members_still_own():
    h, c1, c2 = upgraded()
    d = {m["member_id"]: m for m in h.coord.describe("g")["members"]}
    assert (h.coord.describe("g")["state"], h.group.group_epoch) == ("Reconciling", 2)
    assert d["n"]["state"] == "UNRELEASED_PARTITIONS" and d["n"]["assigned"] == {} and d["n"]["target"]
    # Once the classic members rejoin (giving partitions up) the newcomer gets its target.
    for c in (c1, c2):
        assert c.heartbeat() is E.REBALANCE_IN_PROGRESS
        catch_up(c)
    resp = h.heartbeat("n")
    assert sorted(p for t in resp.assignment.topic_partitions for p in t.partitions) == sorted(
        p for t in h.group.target_assignment["n"].values() for p in t)


# ---------------------------------------------------------------------------- §7.2 downgrade

def test_the_last_consumer_member_leaving_downgrades_the_group():
    h, c1, c2 = upgraded()
    epoch = h.group.group_epoch
    target = {m: dict(h.group.target_assignment[m]) for m in (c1.member_id, c2.member_id)}
    h.leave("n")
    assert "g" not in h.coord.consumer_groups.groups and "g" not in h.coord.log.consumer_groups
    g = h.coord.groups["g"]
    assert (g.state.value, g.generation_id, g.protocol_type, g.protocol_name) == ("PreparingRebalance", epoch,
                                                                                  "consumer", "range")
    states = [(e.old, e.new, e.trigger.name) for e in h.coord.trace if type(e).__name__ == "StateChanged"][-2:]
    assert [(o and o.value, n.value, t) for o, n, t in states] == [
        (None, "Stable", "GROUP_DOWNGRADED"), ("Stable", "PreparingRebalance", "GROUP_DOWNGRADED")]
    for mid, t in target.items():  # each member's *target*, serialized
        tid = next(iter(t))
        assert list(decode_assignment(g.members[mid].assignment).assigned_partitions) == [
            ("foo", p) for p in sorted(t[tid])]
    assert h.coord.log.groups["g"].generation_id == epoch
    assert trace.fold(h.coord.trace, "g").describe() == h.coord.describe("g")  # the trace says it all
    # The classic members carry on in the classic group: their generation is behind, they rejoin.
    assert c1.heartbeat() is E.ILLEGAL_GENERATION


def test_the_last_consumer_member_timing_out_downgrades_the_group():
    h, c1, c2 = upgraded()
    catch_up(c1), catch_up(c2)
    for _ in range(5):  # the classic members keep their sessions; n never heartbeats again
        h.advance_to(h.now + 9_000)
        c1.heartbeat(), c2.heartbeat()
    assert "g" not in h.coord.consumer_groups.groups
    assert h.coord.groups["g"].state.value == "PreparingRebalance"
    assert [e.reason for e in h.coord.trace if isinstance(e, ev.MemberRemoved) and e.member_id == "n"] == [
        ev.RemovalReason.SESSION_EXPIRED]


@pytest.mark.parametrize("config", [policy("upgrade"), policy("disabled"), {"group_max_size": 1}])
def test_a_downgrade_is_refused_by_the_policy_or_the_classic_group_size(config):
    h = CoordHarness(**config)
    h.join("n")
    c1, c2 = ClassicClient(h, "c1"), ClassicClient(h, "c2")
    assert c1.join().error_code is E.NONE and c2.join().error_code is E.NONE  # classic members inside
    h.leave("n")
    assert "g" in h.coord.consumer_groups.groups and "g" not in h.coord.groups
    assert sorted(m["protocol"] for m in h.coord.describe("g")["members"]) == ["classic", "classic"]


# ---------------------------------------------------------------------------- §7.3 JoinGroup

def test_a_classic_join_to_a_consumer_group_is_answered_as_a_follower():
    h = CoordHarness()
    h.join("n")
    c = ClassicClient(h, "c")
    resp = c.join(version=7)
    assert (resp.error_code, resp.generation_id, resp.protocol_type, resp.protocol_name, resp.leader,
            resp.members) == (E.NONE, 2, "consumer", "range", "", ())
    assert resp.member_id == c.member_id and h.group.members[c.member_id].classic is not None
    assert h.coord.timers.get(session_timeout_key("g", c.member_id)).deadline == h.now + 10_000
    assert h.coord.timers.get(classic_sync_timeout_key("g", c.member_id)).deadline == h.now + 30_000


def test_an_unknown_classic_member_gets_member_id_required_without_a_record():
    h = CoordHarness()
    h.join("n")
    before = len(h.coord.log.consumer_groups["g"])
    resp = h.send(JoinGroupRequest(group_id="g", session_timeout_ms=10_000, api_version=4,
                                   protocols=(JoinGroupRequestProtocol("range", encode_subscription(["foo"])),)))
    assert resp.error_code is E.MEMBER_ID_REQUIRED and resp.member_id
    assert len(h.coord.log.consumer_groups["g"]) == before and resp.member_id not in h.group.members


@pytest.mark.parametrize("protocol_type, protocol, code", [
    ("connect", "range", E.INCONSISTENT_GROUP_PROTOCOL),
    ("consumer", "roundrobin", E.INCONSISTENT_GROUP_PROTOCOL),  # c1 supports range only
    ("consumer", "range", E.NONE),
])
def test_a_classic_join_needs_the_consumer_type_and_a_protocol_every_classic_member_supports(
        protocol_type, protocol, code):
    h, c1, c2 = upgraded()
    req = JoinGroupRequest(group_id="g", member_id="x", session_timeout_ms=10_000, protocol_type=protocol_type,
                           protocols=(JoinGroupRequestProtocol(protocol, encode_subscription(["foo"])),),
                           api_version=5)
    resp = h.send(req)
    assert resp.error_code is code
    if code is not E.NONE:
        assert resp.member_id == "x" and "x" not in h.group.members


def test_a_classic_join_to_a_full_consumer_group_is_group_max_size_reached():
    h = CoordHarness(consumer=ConsumerGroupConfig(group_consumer_max_size=1))
    h.join("n")
    assert ClassicClient(h, "c").join().error_code is E.GROUP_MAX_SIZE_REACHED


# ---------------------------------------------------------------------------- §7.3 SyncGroup, Heartbeat, LeaveGroup, offsets

def test_classic_sync_group_checks_then_hands_out_the_assigned_partitions():
    h, c1, c2 = upgraded()
    assert c1.sync().error_code is E.REBALANCE_IN_PROGRESS  # group epoch 2 > its epoch 1
    assert classic_join_timeout_key("g", c1.member_id) in h.coord.timers
    catch_up(c1)  # rejoin, give up what the new target takes away, rejoin: epoch 2
    c1.join()
    real = c1.member_id
    c1.member_id = "n"
    assert c1.sync().error_code is E.UNKNOWN_MEMBER_ID      # not a classic member
    c1.member_id = "zz"
    assert c1.sync().error_code is E.UNKNOWN_MEMBER_ID
    c1.member_id = real
    c1.generation = 1
    assert c1.sync().error_code is E.ILLEGAL_GENERATION
    c1.generation = 2
    assert c1.sync(protocol_type="consumer", protocol_name="roundrobin").error_code is E.INCONSISTENT_GROUP_PROTOCOL
    resp = c1.sync(protocol_type="consumer", protocol_name="range", api_version=5)
    assert (resp.error_code, resp.protocol_type, resp.protocol_name) == (E.NONE, "consumer", "range")
    assert decode_assignment(resp.assignment).version == 3
    assert sorted(p for _t, p in decode_assignment(resp.assignment).assigned_partitions) == sorted(
        p for ps in h.group.members[real].assigned_partitions.values() for p in ps)
    assert classic_sync_timeout_key("g", real) not in h.coord.timers


def test_classic_heartbeat_in_a_consumer_group():
    h, c1, c2 = upgraded()
    c1.generation = 2
    assert c1.heartbeat() is E.ILLEGAL_GENERATION
    c1.generation = 1
    assert c1.heartbeat() is E.REBALANCE_IN_PROGRESS        # its epoch is below the group epoch
    catch_up(c1)
    assert c1.heartbeat() is E.NONE
    assert h.coord.timers.get(session_timeout_key("g", c1.member_id)).deadline == h.now + 10_000


def test_classic_leave_group_removes_classic_members_with_one_epoch_bump():
    h, c1, c2 = upgraded()
    epoch, c1_id, c2_id = h.group.group_epoch, c1.member_id, c2.member_id
    resp = h.send(LeaveGroupRequest(group_id="g", members=(MemberIdentity(c1_id), MemberIdentity(c2_id))))
    assert [(m.member_id, m.error_code) for m in resp.members] == [(c1_id, E.NONE), (c2_id, E.NONE)]
    assert list(h.group.members) == ["n"] and h.group.group_epoch == epoch + 1
    resp = h.send(LeaveGroupRequest(group_id="g", members=(MemberIdentity("n"),)))
    assert resp.members[0].error_code is E.UNKNOWN_MEMBER_ID  # a consumer-protocol member cannot leave this way


def test_classic_members_commit_with_their_generation():
    h, c1, c2 = upgraded()
    assert h.send(commit("g", c1.member_id, 1, version=8)).topics[0].partitions[0].error_code is E.NONE
    assert h.send(commit("g", c1.member_id, 2, version=8)).topics[0].partitions[0].error_code is E.ILLEGAL_GENERATION
    assert h.send(commit("g", "n", 1, version=9)).topics[0].partitions[0].error_code is E.STALE_MEMBER_EPOCH


def test_consumer_group_describe_shows_classic_members_as_type_0():
    h, c1, c2 = upgraded()
    (g,) = h.send(ConsumerGroupDescribeRequest(group_ids=("g",))).groups
    assert {m.member_id: m.member_type for m in g.members} == {c1.member_id: 0, c2.member_id: 0, "n": 1}


@pytest.mark.parametrize("timer", ["sync", "join"])
def test_a_classic_member_that_does_not_sync_or_rejoin_in_time_is_fenced(timer):
    h, c1, c2 = upgraded()
    if timer == "sync":
        c = ClassicClient(h, "c3")
        c.join()
        deadline = h.coord.timers.get(classic_sync_timeout_key("g", c.member_id)).deadline
        reason = ev.RemovalReason.CLASSIC_SYNC_TIMEOUT
    else:
        c = c1
        assert c.heartbeat() is E.REBALANCE_IN_PROGRESS
        deadline = h.coord.timers.get(classic_join_timeout_key("g", c.member_id)).deadline
        reason = ev.RemovalReason.CLASSIC_JOIN_TIMEOUT
    assert deadline == h.now + 30_000
    while h.now < deadline:  # everyone else stays alive
        h.advance_to(min(deadline, h.now + 5_000))
        h.heartbeat("n")
        for other in {c1, c2, c}:  # heartbeats keep sessions alive but neither join nor sync
            if other.member_id in h.group.members:
                other.heartbeat()
    assert c.member_id not in h.group.members
    assert [e.reason for e in h.coord.trace if isinstance(e, ev.MemberRemoved) and e.member_id == c.member_id] == [
        reason]


def test_classic_members_survive_a_coordinator_failover():
    """Their classic metadata is in their records, so the new coordinator's replay keeps them classic."""
    from kafkalab.brokers import Brokers

    brokers = Brokers(2)
    brokers.update_topics({"foo": 6}, 0)
    old = brokers.cluster.leader_of(brokers.partition_for("g"))
    h = CoordHarness(coordinator=brokers.coordinators[old])
    c1, c2 = ClassicClient(h, "c1"), ClassicClient(h, "c2")
    classic_group(h, c1, c2)
    h.join("n")
    before = h.coord.describe("g")
    brokers.move_coordinator("g", 1 - old, h.now)
    h.coord = brokers.coordinators[1 - old]
    assert h.coord.describe("g") == before
    assert c1.heartbeat() is E.REBALANCE_IN_PROGRESS  # still a classic member, behind the group epoch
    catch_up(c1)
    assert c1.heartbeat() is E.NONE


def test_a_classic_member_waiting_for_partitions_heartbeats_until_they_are_free():
    """§7.3 Heartbeat: UNRELEASED_PARTITIONS is fine while others still own the partitions, and
    REBALANCE_IN_PROGRESS once they are free (the member rejoins to collect them)."""
    h, c1, c2 = upgraded()
    catch_up(c1), catch_up(c2)
    h.heartbeat("n")
    c3 = ClassicClient(h, "c3")
    assert c3.join().error_code is E.NONE
    assert h.group.members[c3.member_id].state.name == "UNRELEASED_PARTITIONS"
    assert c3.heartbeat() is E.NONE                   # c1 / c2 still own what c3 waits for
    catch_up(c1), catch_up(c2)                        # the others give those partitions up
    for _ in range(3):
        h.heartbeat("n")
    assert not h.group.waiting_on_unreleased_partition(h.group.members[c3.member_id])
    assert c3.heartbeat() is E.REBALANCE_IN_PROGRESS
    assert c3.join().error_code is E.NONE             # already at the group epoch: it rejoins to collect them
    assert c3.sync(protocol_type="consumer", protocol_name="range").error_code is E.NONE
    assert c3.heartbeat() is E.NONE and h.group.members[c3.member_id].state.name == "STABLE"


def test_fencing_any_member_downgrades_a_group_left_with_classic_members_only():
    """validateOnlineDowngradeWithFencedMember looks at the members that remain, not at the fenced
    one: a group that could not downgrade (too big for group.max.size) does once a classic member
    times out; a classic LeaveGroup never downgrades."""
    h = CoordHarness(group_max_size=2)
    h.join("n")
    c1, c2, c3 = (ClassicClient(h, name) for name in ("c1", "c2", "c3"))
    for c in (c1, c2, c3):
        assert c.join().error_code is E.NONE
    h.leave("n")                                      # three classic members > group.max.size
    assert "g" in h.coord.consumer_groups.groups
    c3.leave()                                        # two would fit, but LeaveGroup does not check
    assert "g" in h.coord.consumer_groups.groups
    for _ in range(3):                                # c2 stops heartbeating; c1 keeps its session
        h.advance_to(h.now + 4_000)
        c1.heartbeat()
    assert "g" not in h.coord.consumer_groups.groups
    assert list(h.coord.groups["g"].members) == [c1.member_id]
