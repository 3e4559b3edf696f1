"""Every rebalance trigger of the classic protocol, with the Java client's behaviour around it.

A group rebalances when a member joins, when a member leaves or crashes, when a member misses
``max.poll.interval.ms``, when a member's subscription changes, and when the partition count of a
subscribed topic changes (or a new topic matches a pattern subscription).  One test per trigger
checks its first cause in the trace and the coordinator's transition; the rest check the client
rules behind the last two (``ConsumerCoordinator.rejoinNeededOrPending``, the leader's assigned
metadata snapshot, ``onJoinComplete``'s subscription check, metadata refreshes) and the bad input
the world refuses.  docs/classic-protocol.md §12.1 states the rules.
"""

from __future__ import annotations

import pytest

from kafkalab import CoordinatorConfig
from kafkalab.messages import JoinGroupRequest, LeaveGroupRequest
from kafkalab.sim import World
from kafkalab.sim import events as ev
from kafkalab import Trigger
from kafkalab.trace import StateChanged

RANGE = {"partition_assignment_strategy": ["range"]}


def rebalances(world, since=0):
    """(time, trigger) of every Stable/Empty -> PreparingRebalance after ``since``."""
    return [(e.at, e.event.trigger) for e in world.trace if e.at >= since and isinstance(e, ev.CoordinatorEvent)
            and isinstance(e.event, StateChanged) and e.event.new.value == "PreparingRebalance"]


def rejoins(world, since=0, consumer=None):
    return [e for e in world.trace if isinstance(e, ev.RejoinRequested) and e.at >= since
            and (consumer is None or e.consumer == consumer)]


def owned(world, group="g"):
    return sorted(p for ps in world.assignments(group).values() for p in ps)


def joins(world, since=0):
    return [e for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, JoinGroupRequest)
            and e.at >= since]


def stable_group(n=3, topics=None, **config):
    world = World(topics=topics or {"orders": 6})
    world.add_consumers(n, group="g", topics=sorted(topics or {"orders": 6}), **{**RANGE, **config})
    world.run_until_stable("g")
    world.run(until=20_000)
    return world


# ---------------------------------------------------------------------------- one test per trigger

def test_trigger_a_member_joins():
    world = stable_group(2)
    world.consumer("c3", "g", ["orders"], **RANGE)
    world.run_until_stable("g")
    assert rebalances(world, 20_000)[0][1] is Trigger.MEMBER_ADDED
    assert world.describe("g")["generation_id"] == 2


def test_trigger_a_member_leaves_or_crashes():
    left = stable_group()
    left.close("c2")
    left.run_until_stable("g")
    assert rebalances(left, 20_000)[0] == (20_001, Trigger.MEMBER_LEFT)
    crashed = stable_group(session_timeout_ms=10_000)
    crashed.crash("c2")
    crashed.run_until_stable("g")
    [(at, trigger)] = rebalances(crashed, 20_000)
    assert trigger is Trigger.SESSION_EXPIRED and 28_000 <= at <= 31_000


def test_trigger_a_member_misses_max_poll_interval():
    world = stable_group(max_poll_interval_ms=30_000)
    world["c2"].stall(40_000)
    world.run(for_ms=45_000)
    expired = [e for e in world.trace if isinstance(e, ev.PollTimeoutExpired)]
    assert [e.consumer for e in expired] == ["c2"]
    assert rebalances(world, 20_000)[0][1] is Trigger.MEMBER_LEFT
    leave = [e.message for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, LeaveGroupRequest)]
    assert leave and leave[0].members[0].reason == "consumer poll timeout has expired."


def test_trigger_a_members_subscription_changes():
    world = stable_group(topics={"orders": 6, "payments": 3})
    world["c2"].subscribe(["orders"])                       # c2 drops payments
    world.run_until_stable("g")
    first = rejoins(world, 20_000)[0]
    assert (first.consumer, first.reason) == ("c2", ev.RejoinReason.SUBSCRIPTION_CHANGED)
    assert first.kafka_reason == "subscription has changed"
    assert rebalances(world, 20_000)[0][1] is Trigger.PROTOCOLS_CHANGED   # a follower's changed subscription
    assert not any(t == "payments" for t, _ in world.assignments("g")["c2"])
    assert owned(world) == sorted([("orders", p) for p in range(6)] + [("payments", p) for p in range(3)])
    # the JoinGroup (v9) carries the reason to the coordinator
    assert [j.message.reason for j in joins(world, 20_000) if j.src == "c2"][0] == "subscription has changed"


def test_trigger_the_partition_count_of_a_subscribed_topic_changes():
    """The issue's demonstration: 6 -> 9 partitions under three range consumers."""
    world = stable_group()
    world.add_partitions("orders", 9)
    done = world.run_until(lambda w: owned(w) == [("orders", p) for p in range(9)], timeout_ms=400_000)
    max_age = world["c1"].config.metadata_max_age_ms
    first = rejoins(world, 20_001)[0]
    assert (first.consumer, first.reason) == ("c1", ev.RejoinReason.METADATA_CHANGED)   # the leader, alone
    assert [r for r in rebalances(world, 20_000)] == [(r[0], Trigger.LEADER_REJOINED) for r in rebalances(world, 20_000)]
    assert len(rebalances(world, 20_000)) == 1
    # within metadata.max.age.ms of the consumers' last refresh (at start), plus one rebalance
    assert max_age < done <= max_age + 5_000
    assert world.describe("g")["generation_id"] == 2


def test_trigger_a_new_topic_matches_a_pattern_subscription():
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", pattern=r"orders.*", **RANGE)
    world.run_until_stable("g")
    world.run(until=20_000)
    world.create_topic("orders-eu", 3)
    want = sorted([("orders", p) for p in range(6)] + [("orders-eu", p) for p in range(3)])
    done = world.run_until(lambda w: owned(w) == want, timeout_ms=400_000)
    assert done <= world["c1"].config.metadata_max_age_ms + 5_000
    matched = [e for e in world.trace if isinstance(e, ev.SubscriptionChanged) and e.at >= 20_000]
    assert {e.consumer for e in matched} == {"c1", "c2", "c3"}
    assert all(e.how is ev.SubscriptionChange.PATTERN_MATCHED and e.new == ("orders", "orders-eu") for e in matched)
    assert len(rebalances(world, 20_000)) == 1      # every member noticed at the same refresh: one rebalance


# ---------------------------------------------------------------------------- the client rules behind them

def test_only_the_leader_acts_on_a_metadata_change():
    world = stable_group()
    world.add_partitions("orders", 8)
    world.run(until=300_005)
    refreshed = {e.consumer for e in world.trace if isinstance(e, ev.MetadataRefreshed)}
    assert refreshed == {"c1", "c2", "c3"}            # everyone sees the new partitions ...
    assert [e.consumer for e in rejoins(world, 20_001)] == []
    world.run(until=301_000)
    assert [(e.consumer, e.reason) for e in rejoins(world, 20_001)][:1] == [("c1", ev.RejoinReason.METADATA_CHANGED)]


def test_the_leader_assigns_from_its_own_metadata_and_rejoins_when_it_learns_more():
    """A rebalance soon after partitions were added still assigns the old count: the leader's metadata
    is up to metadata.max.age.ms old.  Its snapshot then differs at its next refresh: one more rebalance."""
    world = stable_group(2)
    world.add_partitions("orders", 8)
    world.consumer("c3", "g", ["orders"], **RANGE)
    world.run_until_stable("g")
    assert owned(world) == [("orders", p) for p in range(6)]       # orders-6 and 7 are not assigned yet
    world.run_until(lambda w: owned(w) == [("orders", p) for p in range(8)], timeout_ms=400_000)
    triggers = [t for _, t in rebalances(world, 20_000)]
    assert triggers == [Trigger.MEMBER_ADDED, Trigger.LEADER_REJOINED]


def test_a_refresh_that_changes_nothing_is_not_recorded_and_a_shorter_max_age_is_faster():
    world = stable_group(metadata_max_age_ms=30_000)
    world.run(until=100_000)
    assert not [e for e in world.trace if isinstance(e, ev.MetadataRefreshed)]
    world.add_partitions("orders", 9)
    done = world.run_until(lambda w: owned(w) == [("orders", p) for p in range(9)], timeout_ms=100_000)
    assert done - 100_000 <= 30_000 + 5_000


def test_a_subscribed_topic_that_does_not_exist_yet_is_found_within_a_second_of_its_creation():
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders", "audit"], **RANGE)
    world.run_until_stable("g")
    world.run(until=20_000)
    world.create_topic("audit", 2)
    done = world.run_until(lambda w: ("audit", 1) in owned(w), timeout_ms=60_000)
    # an unknown topic makes the client ask again, backing off up to retry.backoff.max.ms (1 s)
    assert done - 20_000 < 1_000 + 3_000 + 100
    refresh = next(e for e in world.trace if isinstance(e, ev.MetadataRefreshed) and e.consumer == "c1")
    assert refresh.reason is ev.MetadataRefreshReason.UNKNOWN_TOPIC and refresh.created == (("audit", 2),)


def test_an_assignment_that_does_not_match_the_subscription_is_refused_and_the_member_rejoins():
    world = stable_group(2, topics={"orders": 4, "payments": 4})
    world.consumer("c3", "g", ["orders", "payments"], **RANGE)
    # c2 rejoins the rebalance with its old subscription, then changes it while its JoinGroup waits
    world.run_until(lambda w: w["c2"].state == "PREPARING_REBALANCE", timeout_ms=30_000)
    world["c2"].subscribe(["payments"])
    world.run_until_stable("g", timeout_ms=60_000)
    mismatch = [e for e in rejoins(world, 20_000, "c2") if e.reason is ev.RejoinReason.ASSIGNMENT_MISMATCH]
    assert mismatch and mismatch[0].kafka_reason == "received assignment does not match the current subscription"
    # the refused assignment was never delivered: no onPartitionsAssigned with orders for c2 after it
    assigned = [e for e in world.trace if isinstance(e, ev.PartitionsAssigned) and e.consumer == "c2"
                and e.at >= mismatch[0].at]
    assert all(t == "payments" for a in assigned for t, _ in a.partitions)
    assert all(t == "payments" for t, _ in world.assignments("g")["c2"])


def test_a_cooperative_member_revokes_only_the_topics_it_dropped():
    world = stable_group(2, topics={"orders": 4, "payments": 4}, partition_assignment_strategy=["cooperative-sticky"])
    before = set(world.assignments("g")["c1"])
    world["c1"].subscribe(["orders"])
    world.run_until_stable("g")
    revoked = [e for e in world.trace if isinstance(e, ev.PartitionsRevoked) and e.consumer == "c1" and e.at >= 20_000]
    assert revoked[0].partitions == tuple(sorted(tp for tp in before if tp[0] == "payments"))
    assert all(t == "orders" for t, _ in world.assignments("g")["c1"])


def test_deleting_a_topic_rebalances_its_partitions_away():
    world = stable_group(topics={"orders": 6, "payments": 3})
    world.delete_topic("payments")
    world.run(for_ms=10_000)
    assert owned(world) == [("orders", p) for p in range(6)]
    deleted = [e for e in world.trace if isinstance(e, ev.MetadataRefreshed) and e.deleted == ("payments",)]
    assert deleted and deleted[0].reason is ev.MetadataRefreshReason.FETCH_FAILED


def test_unsubscribe_leaves_the_group_and_subscribe_joins_again_as_a_new_member():
    world = stable_group()
    old_id = world["c2"].member_id
    world["c2"].unsubscribe()
    world.run_until_stable("g")
    assert world.assignments("g")["c2"] == [] and len(world.describe("g")["members"]) == 2
    leave = [e for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, LeaveGroupRequest)]
    assert leave[0].message.members[0].reason == "the consumer unsubscribed from all topics"
    world["c2"].subscribe(["orders"])
    world.run_until_stable("g")
    assert world["c2"].member_id != old_id and len(world.describe("g")["members"]) == 3
    assert owned(world) == [("orders", p) for p in range(6)]


def test_restarted_static_leader_watches_metadata_only_with_joingroup_v9():
    """KIP-814: before v9 a restarted static leader is told the old leader id and thinks it is a
    follower, so no member watches the topics' partition counts until another rebalance."""
    def run(version):
        world = World(topics={"orders": 6})
        for i in (1, 2):
            world.consumer(f"s{i}", "g", ["orders"], group_instance_id=f"i{i}", join_group_version=version, **RANGE)
        world.run_until_stable("g")
        world.close("s1")                 # the leader; static: no LeaveGroup
        world.run(for_ms=5_000)
        world.restart("s1")
        world.run_until_stable("g")
        world.add_partitions("orders", 8)
        world.run(for_ms=400_000)
        return world
    v5, v9 = run(5), run(9)
    assert v5["s1"].is_leader is False and v9["s1"].is_leader is True
    assert owned(v5) == [("orders", p) for p in range(6)]
    assert owned(v9) == [("orders", p) for p in range(8)]


# ---------------------------------------------------------------------------- bad input

def test_growing_a_topic_to_fewer_or_equal_partitions_is_refused_and_the_group_keeps_working():
    world = stable_group()
    for total in (3, 6, "9"):
        with pytest.raises(ValueError, match="has 6 partitions: ask for a larger total"):
            world.add_partitions("orders", total)
    with pytest.raises(ValueError, match="no topic 'nope' to add partitions to"):
        world.add_partitions("nope", 9)
    world.run(for_ms=30_000)
    assert world.is_stable("g") and owned(world) == [("orders", p) for p in range(6)]


def test_deleting_or_creating_a_topic_wrongly_is_refused():
    world = stable_group()
    with pytest.raises(ValueError, match="no topic 'nope' to delete"):
        world.delete_topic("nope")
    with pytest.raises(ValueError, match="already exists"):
        world.create_topic("orders", 3)
    with pytest.raises(ValueError, match="illegal topic name"):
        world.create_topic("bad name", 3)
    world.run(for_ms=10_000)
    assert world.is_stable("g")


def test_an_invalid_pattern_is_refused_with_the_regex_error():
    world = stable_group()
    with pytest.raises(ValueError, match=r"invalid topic pattern 'orders\[': .*"):
        world["c1"].subscribe(pattern="orders[")
    with pytest.raises(ValueError, match="invalid topic pattern"):
        world.consumer("c9", "g", pattern="(")
    with pytest.raises(ValueError, match="cannot be empty"):
        world["c1"].subscribe(pattern="")
    with pytest.raises(ValueError, match="mutually exclusive"):
        world["c1"].subscribe(pattern="orders.*")
    world.run(for_ms=10_000)
    assert world.is_stable("g") and world["c1"].topics == ("orders",)


def test_subscribe_on_a_closed_consumer_is_refused_and_the_group_keeps_working():
    world = stable_group()
    world.close("c3")
    with pytest.raises(ValueError, match="cannot subscribe on consumer 'c3': it has closed"):
        world["c3"].subscribe(["orders"])
    with pytest.raises(ValueError, match="cannot unsubscribe on consumer 'c3'"):
        world["c3"].unsubscribe()
    with pytest.raises(ValueError, match="null or empty"):
        world["c1"].subscribe(["orders", ""])
    world.run_until_stable("g")
    assert owned(world) == [("orders", p) for p in range(6)]


def test_world_config_errors_for_metadata():
    with pytest.raises(ValueError, match="metadata_max_age_ms must be a positive int"):
        World(topics={"t": 1}).consumer("c", "g", ["t"], metadata_max_age_ms=0)
    with pytest.raises(ValueError, match="topics or a pattern, not both"):
        World(topics={"t": 1}).consumer("c", "g", ["t"], pattern="t")


def test_the_initial_delay_does_not_hide_a_second_rebalance_for_new_partitions():
    """Partitions added during the first join: the leader's metadata was fetched before, so the first
    assignment misses them and the next refresh fixes it (one more rebalance)."""
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=3_000))
    world.add_consumers(2, group="g", topics=["orders"], metadata_max_age_ms=60_000, **RANGE)
    world.run(until=1_000)
    world.add_partitions("orders", 6)
    world.run_until_stable("g")
    assert owned(world) == [("orders", p) for p in range(4)]
    world.run_until(lambda w: owned(w) == [("orders", p) for p in range(6)], timeout_ms=120_000)
    assert 60_000 <= world.now <= 65_000


def test_every_metadata_change_is_recorded_and_reaches_the_listeners_once():
    world = World(topics={"orders": 2})
    seen = []
    world.on_metadata_change(lambda image, delta, now: seen.append(
        (now, sorted(delta.created), sorted(delta.changed), sorted(delta.deleted), image.topic_names())))
    world.run(until=5)
    world.create_topic("audit", 1)
    world.add_partitions("orders", 3)
    world.delete_topic("audit")
    assert seen == [(5, ["audit"], ["audit"], [], ("audit", "orders")),
                    (5, [], ["orders"], [], ("audit", "orders")),
                    (5, [], [], ["audit"], ("orders",))]
    changes = [(e.topic, e.change, e.old_partitions, e.new_partitions) for e in world.trace
               if isinstance(e, ev.TopicChanged)]
    assert changes == [("audit", ev.TopicChange.CREATED, 0, 1), ("orders", ev.TopicChange.PARTITIONS_ADDED, 2, 3),
                       ("audit", ev.TopicChange.DELETED, 1, 0)]
    assert world.topics == {"orders": 3} and world.end_offset(("orders", 2)) == 0
