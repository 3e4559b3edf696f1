"""The trace is data: typed reasons and fields, sentences rendered from them, one fold of the records.

``tests/test_coordinator_properties.py`` checks after every coordinator call of its random schedules
that :class:`kafkalab.trace.GroupView` folded from the trace equals ``coordinator.describe(group)``.
Here the same fold runs over whole simulated worlds with several brokers (failovers, leader
moves, groups deleted by the offsets retention check), and the consumers' events are checked
against the consumers themselves.
"""

from __future__ import annotations

import random

import pytest

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode
from kafkalab import trace as tr
from kafkalab.messages import JoinGroupRequest, JoinGroupRequestProtocol
from kafkalab.sim import World
from kafkalab.sim import events as ev
from kafkalab.classic.state import GroupState, Trigger
from kafkalab.timers import HeartbeatTimer, JoinTimer, OffsetsExpiryTimer
from worlds import GROUPS, incident, random_world


def coordinator_events(world):
    return [e.event for e in world.trace if isinstance(e, ev.CoordinatorEvent)]


def assert_fold_matches(world):
    events = coordinator_events(world)
    for group in GROUPS:
        view = tr.fold(events, group)
        coordinator = world.coordinator_for(group)
        if coordinator is None:  # no broker leads the group's partition: nobody describes it
            assert view.describe()["state"] == "Dead"
            continue
        assert view.describe() == coordinator.describe(group), (group, world.now)


@pytest.mark.parametrize("seed", range(6))
def test_folding_a_worlds_trace_gives_what_each_coordinator_describes(seed):
    rng = random.Random(seed)
    world = random_world(seed)
    kinds_seen = set()
    for _ in range(25):
        world.run(for_ms=rng.choice([700, 3_000, 9_000, 30_000]))
        assert_fold_matches(world)
        incident(world, rng)
        assert_fold_matches(world)
    for group in GROUPS:  # everyone leaves; the retention check deletes the empty groups
        for c in world.members_of(group):
            world.close(c.name)
    world.run(for_ms=200_000)
    assert_fold_matches(world)
    for e in coordinator_events(world):
        kinds_seen.add(type(e))
    removed = {e.reason for e in coordinator_events(world) if isinstance(e, tr.GroupRemoved)}
    assert tr.GroupRemovalReason.EMPTY_WITHOUT_OFFSETS in removed
    assert {tr.GroupLoaded, tr.MemberAdded, tr.MemberRemoved, tr.MemberUpdated, tr.AssignmentChanged} <= kinds_seen


def test_a_failed_creation_write_removes_the_group_and_the_fold_follows():
    coordinator = Coordinator(CoordinatorConfig(), new_member_id=lambda prefix: f"{prefix}-1")
    coordinator.inject_write_error(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    join = JoinGroupRequest(group_id="g", member_id="", api_version=3, client_id="a",
                            protocols=(JoinGroupRequestProtocol("range", b""),))
    replies = coordinator.handle(join, "a", now=0)
    assert replies[0].response.error_code is ErrorCode.NOT_COORDINATOR
    removed = [e for e in coordinator.trace if isinstance(e, tr.GroupRemoved)]
    assert [(e.group_id, e.reason) for e in removed] == [("g", tr.GroupRemovalReason.CREATION_WRITE_FAILED)]
    written = [e for e in coordinator.trace if isinstance(e, tr.GroupRecordWritten)]
    assert [e.error_code for e in written] == [ErrorCode.NOT_LEADER_OR_FOLLOWER]
    view = tr.fold(coordinator.trace, "g")
    assert view.describe() == coordinator.describe("g") and view.state is GroupState.DEAD


def test_removal_reasons_are_kafkas_and_sentences_come_from_the_fields():
    world = World(topics={"orders": 4})
    world.consumer("s1", group="g", topics=["orders"], group_instance_id="i-1")
    world.add_consumers(2, group="g", topics=["orders"])
    world.run_until_stable("g")
    world.close("c1")                      # LeaveGroup
    world.crash("c2")                      # its session expires
    world.run_until_stable("g")
    s1 = world["s1"].member_id
    world.consumer("twin", group="g", topics=["orders"], group_instance_id="i-1")  # replaces s1
    world.run(for_ms=5_000)
    removed = [e for e in coordinator_events(world) if isinstance(e, tr.MemberRemoved)]
    reasons = [e.reason for e in removed]
    assert reasons == [tr.MemberRemovalReason.LEAVE_GROUP, tr.MemberRemovalReason.HEARTBEAT_EXPIRATION,
                       tr.MemberRemovalReason.STATIC_MEMBER_REPLACED]
    replaced = removed[-1]
    assert replaced.member_id == s1 and replaced.replaced_by == world["twin"].member_id
    assert replaced.describe() == (f"{replaced.member_id} was removed from group g: replaced by "
                                   f"{replaced.replaced_by} with the same group.instance.id")
    assert removed[0].describe().endswith(": it sent LeaveGroup") and str(removed[1].reason) == "its session timed out"
    expired = next(e for e in coordinator_events(world) if isinstance(e, tr.TimerFired)
                   and e.kind is tr.TimerKind.HEARTBEAT and e.member_id == removed[1].member_id)
    assert (expired.group_id, expired.key) == ("g", HeartbeatTimer("g", removed[1].member_id))


def test_timer_events_name_their_group_and_member():
    t = tr.TimerFired.for_key(5, HeartbeatTimer("g", "c1-1"))
    assert (t.kind, t.group_id, t.member_id) == (tr.TimerKind.HEARTBEAT, "g", "c1-1")
    assert t.describe() == "the session timer of c1-1 in g expired"
    j = tr.TimerFired.for_key(5, JoinTimer("g"))
    assert (j.kind, j.group_id, j.member_id) == (tr.TimerKind.JOIN, "g", None)
    o = tr.TimerFired.for_key(5, OffsetsExpiryTimer())
    assert (o.kind, o.group_id) == (tr.TimerKind.OFFSETS_EXPIRY, None)
    assert o.describe() == "the offsets retention check ran"


def test_the_initial_delay_records_whether_newcomers_extended_it():
    world = World(topics={"orders": 4})
    world.add_consumers(3, group="g", topics=["orders"], stagger_ms=1_000)
    world.run_until_stable("g")
    ends = [e for e in coordinator_events(world) if isinstance(e, tr.InitialRebalanceDelayEnded)]
    assert [(e.delay_ms, e.new_member_added, e.next_delay_ms) for e in ends] == [(3_000, True, 3_000),
                                                                                  (3_000, False, None)]
    assert ends[0].describe() == ("group g: the 3000 ms initial rebalance delay ended; members joined during it, "
                                  "so it waits another 3000 ms")


# ---------------------------------------------------------------------- the consumers' events

def consumer_facts(world, name):
    """(state, member id, generation) of a consumer, from its own events since it last started."""
    facts = ("UNJOINED", "", -1)
    for e in world.trace:
        if getattr(e, "consumer", None) != name:
            continue
        if isinstance(e, ev.ConsumerStarted):
            facts = ("UNJOINED", "", -1)
        elif isinstance(e, ev.ClientStateChanged):
            assert e.old == facts[0], f"{name}'s state changes do not chain: {facts[0]} then {e.describe()}"
            facts = (e.new, e.member_id, e.generation_id)
    return facts


@pytest.mark.parametrize("seed", range(4))
def test_client_state_changes_carry_the_consumers_member_id_and_generation(seed):
    rng = random.Random(100 + seed)
    world = random_world(seed)
    for _ in range(20):
        world.run(for_ms=rng.choice([700, 3_000, 9_000, 30_000]))
        incident(world, rng)
        for name, c in world.consumers.items():
            if c.status != "new":
                assert consumer_facts(world, name) == (c.state, c.member_id, c.generation_id), (name, world.now)


def test_consumer_events_are_typed():
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"], max_poll_interval_ms=10_000)
    world.consumer("s", group="g", topics=["orders"], group_instance_id="i-s")
    world.run_until_stable("g")
    world["c2"].stall(20_000)
    world.pause("c1", 1_000)
    world.run(for_ms=15_000)
    world.close("s")
    world.crash("c1")
    mine = [e for e in world.trace if isinstance(e, (ev.ConsumerNote, ev.ConsumerStopped))]
    started = [e for e in mine if isinstance(e, ev.ConsumerStarted)]
    assert [(e.consumer, e.restarted, e.group_instance_id, e.rebalance_protocol) for e in started] == [
        ("c1", False, None, "EAGER"), ("c2", False, None, "EAGER"), ("s", False, "i-s", "EAGER")]
    assert [e.duration_ms for e in mine if isinstance(e, ev.ConsumerPaused)] == [1_000]
    assert [e.consumer for e in mine if isinstance(e, ev.ConsumerResumed)] == ["c1"]
    timeouts = [e for e in mine if isinstance(e, ev.PollTimeoutExpired)]
    assert [(e.consumer, e.max_poll_interval_ms) for e in timeouts] == [("c2", 10_000)]
    left = next(e for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == "c2"
                and e.reason is ev.ClientStateReason.POLL_TIMEOUT)
    assert (left.new, left.member_id, left.generation_id) == ("UNJOINED", "", -1)
    assert left.describe() == "c2: STABLE -> UNJOINED (consumer poll timeout has expired)"
    assert [e.group_instance_id for e in mine if isinstance(e, ev.LeaveGroupSkipped)] == ["i-s"]
    stops = [(e.consumer, e.how) for e in mine if isinstance(e, ev.ConsumerStopped)]
    assert stops == [("s", ev.StopKind.CLOSED), ("c1", ev.StopKind.CRASHED)]


def test_join_errors_carry_the_code_and_the_new_member_id():
    world = World(topics={"orders": 2})
    world.consumer("c1", group="g", topics=["orders"])
    world.run_until_stable("g")
    first = [e for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == "c1"][:3]
    assert [(e.old, e.new, e.reason, e.error_code) for e in first] == [
        ("UNJOINED", "PREPARING_REBALANCE", ev.ClientStateReason.JOIN_GROUP_SENT, None),
        ("PREPARING_REBALANCE", "UNJOINED", ev.ClientStateReason.JOIN_GROUP_ERROR, ErrorCode.MEMBER_ID_REQUIRED),
        ("UNJOINED", "PREPARING_REBALANCE", ev.ClientStateReason.JOIN_GROUP_SENT, None)]
    assert first[1].member_id == world["c1"].member_id and first[1].generation_id == -1
    assert first[1].describe() == "c1: PREPARING_REBALANCE -> UNJOINED (JoinGroup failed: MEMBER_ID_REQUIRED)"
    answered = next(e for e in world.trace if isinstance(e, ev.ClientStateChanged)
                    and e.reason is ev.ClientStateReason.JOIN_GROUP_ANSWERED)
    assert (answered.generation_id, answered.leader) == (1, True)
    assert answered.why == "JoinGroup answered: generation 1, leader"


def test_a_fenced_consumer_records_the_fatal_error_with_its_code():
    world = World(topics={"orders": 6})
    world.consumer("c1", "g", ["orders"], group_instance_id="i-1", session_timeout_ms=30_000)
    world.run(until=10_000)
    world.consumer("twin", "g", ["orders"], group_instance_id="i-1", session_timeout_ms=30_000)
    world.run(until=20_000)
    fatal = [e for e in world.trace if isinstance(e, ev.FatalError)]
    assert [(e.consumer, e.error_code) for e in fatal] == [("c1", ErrorCode.FENCED_INSTANCE_ID)]
    stopped = [e for e in world.trace if isinstance(e, ev.ConsumerStopped)]
    assert [(e.consumer, e.how, e.error_code) for e in stopped] == [
        ("c1", ev.StopKind.FAILED, ErrorCode.FENCED_INSTANCE_ID)]
    assert stopped[0].describe().startswith("c1 failed with FENCED_INSTANCE_ID")


def test_state_changes_carry_the_generation_and_protocol():
    world = World(topics={"orders": 2})
    world.consumer("c1", group="g", topics=["orders"], partition_assignment_strategy=["roundrobin"])
    world.run_until_stable("g")
    changes = [e for e in coordinator_events(world) if isinstance(e, tr.StateChanged)]
    assert [(e.trigger, e.generation_id, e.protocol_type, e.protocol_name) for e in changes] == [
        (Trigger.GROUP_CREATED, 0, None, None), (Trigger.MEMBER_ADDED, 0, "consumer", None),
        (Trigger.JOIN_COMPLETED, 1, "consumer", "roundrobin"), (Trigger.ASSIGNMENT_WRITTEN, 1, "consumer", "roundrobin")]
