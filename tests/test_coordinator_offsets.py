"""OffsetCommit / OffsetFetch for classic groups and offsets retention (docs/classic-protocol.md §10).

Facts from Kafka's OffsetMetadataManagerTest (testGenericGroupOffsetCommit*, testSimpleGroup*,
testFetchOffsets*, testCleanupExpiredOffsets*) and GroupMetadataManagerTest.
"""

from __future__ import annotations

import pytest

from helpers import E, Harness, S
from kafkalab.consumer_protocol import encode_subscription
from kafkalab.grouplog import GroupLog
from kafkalab.messages import OffsetFetchRequest, OffsetFetchResponse
from kafkalab.timers import HeartbeatTimer


def code(resp, topic: str = "t", partition: int = 0) -> E:
    return {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}[(topic, partition)]


def stable(*names: str, **kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    h = Harness(**kw)
    h.join_and_sync(*names)
    return h


# ---------------------------------------------------------------- OffsetCommit validation


def test_simple_group_is_created_by_a_commit_with_generation_minus_one():
    """testSimpleGroupOffsetCommit / testSimpleGroupOffsetCommitWithInstanceId (instance ignored)."""
    h = Harness()
    r = h.commit(offsets={("bar", 0): 100}, instance_id="instance-id", at=7)
    assert code(r, "bar") is E.NONE
    assert h.state is S.EMPTY and h.group.protocol_type is None and h.generation == 0
    assert h.fetch() == {("bar", 0): (100, -1, "")}
    assert h.c.log.offsets["g"][("bar", 0)].commit_timestamp_ms == 7


@pytest.mark.parametrize("version, error", [(8, E.ILLEGAL_GENERATION), (9, E.GROUP_ID_NOT_FOUND)])
def test_commit_with_a_generation_to_an_unknown_group(version, error):
    """testOffsetCommitWithUnknownGroup."""
    h = Harness()
    r = h.commit(member_id="member", generation=10, version=version)
    assert code(r) is error and h.group is None


def test_commit_to_a_dead_group():
    """testGenericGroupOffsetCommitWithDeadGroup."""
    h = Harness()
    h.commit()
    h.make_dead()
    assert code(h.commit(member_id="member", generation=10)) is E.COORDINATOR_NOT_AVAILABLE


def test_commit_with_generation_minus_one_to_an_empty_group_ignores_the_member():
    h = stable("a")
    old_id = h.id("a")
    h.leave("a")
    assert h.state is S.EMPTY
    assert code(h.commit(member_id=old_id, generation=-1)) is E.NONE


def test_commit_member_checks():
    """testGenericGroupOffsetCommitWithUnknownMemberId / ...UnknownInstanceId /
    ...FencedInstanceId / ...IllegalGeneration."""
    h = Harness()
    h.commit()  # a simple, Empty group
    assert code(h.commit(member_id="member", generation=10)) is E.UNKNOWN_MEMBER_ID
    h = stable("a", "b")
    assert code(h.commit("a", instance_id="instanceid")) is E.UNKNOWN_MEMBER_ID
    assert code(h.commit("a", generation=10)) is E.ILLEGAL_GENERATION
    assert code(h.commit("x", member_id="nope", generation=1)) is E.UNKNOWN_MEMBER_ID
    assert code(h.commit("a")) is E.NONE


def test_commit_without_member_and_generation_to_a_non_empty_group():
    """testGenericGroupOffsetCommitWithoutMemberIdAndGeneration."""
    h = stable("a")
    assert code(h.commit()) is E.UNKNOWN_MEMBER_ID


def test_commit_in_completing_rebalance():
    """testGenericGroupOffsetCommitWhileInCompletingRebalanceState."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.complete_join()
    assert code(h.commit("a")) is E.REBALANCE_IN_PROGRESS
    assert h.fetch() == {}


def test_previous_generation_may_commit_during_preparing_rebalance_but_not_after():
    h = stable("a", "b")
    h.join("a")  # PreparingRebalance, generation still 1
    r = h.commit("b", at=2_000)
    assert code(r) is E.NONE and h.deadline("heartbeat", "b") == 2_000 + 10_000  # session refreshed
    h.join("b")  # the join phase completes: generation 2
    assert code(h.commit("b", generation=1)) is E.ILLEGAL_GENERATION


def test_commit_in_stable_maintains_the_session():
    """testGenericGroupOffsetCommitMaintainsSession."""
    h = stable("a", session_timeout_ms=5_000)
    h.commit("a", at=2_500)
    assert h.advance_to(7_499) == [] and h.members == ["a"]
    fired = h.advance_to(7_500)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "a-1")] and h.members == []


def test_metadata_too_large_fails_only_that_partition():
    """Kafka compares String.length() (UTF-16 code units) with offset.metadata.max.bytes."""
    h = Harness(offset_metadata_max_bytes=10)
    r = h.commit(offsets={("t", 0): (1, "x" * 10), ("t", 1): (2, "x" * 11),
                          ("t", 2): (3, "é" * 10), ("t", 3): (4, "\U0001F600" * 6)})
    assert [code(r, "t", p) for p in range(4)] == [E.NONE, E.OFFSET_METADATA_TOO_LARGE, E.NONE,
                                                   E.OFFSET_METADATA_TOO_LARGE]
    assert h.fetch() == {("t", 0): (1, -1, "x" * 10), ("t", 2): (3, -1, "é" * 10)}


def test_retention_time_sets_an_expire_timestamp_only_for_v2_to_v4():
    """testGenericGroupOffsetCommitWithRetentionTime."""
    h = stable("a")
    h.commit("a", offsets={("bar", 0): 100}, version=4, retention_time_ms=1_234, at=10)
    h.commit("a", offsets={("bar", 1): 100}, version=5, retention_time_ms=1_234)
    stored = h.c.log.offsets["g"]
    assert (stored[("bar", 0)].commit_timestamp_ms, stored[("bar", 0)].expire_timestamp_ms) == (10, 1_244)
    assert stored[("bar", 1)].expire_timestamp_ms is None


def test_empty_group_id_is_allowed_for_offsets():
    """Kafka only refuses a null group id here ("for backwards compatibility")."""
    h = Harness()
    assert code(h.commit(group_id="")) is E.NONE
    assert h.fetch(group_id="") == {("t", 0): (1, -1, "")}


def test_commit_and_fetch_when_not_coordinator():
    h = Harness(owned_partitions=set())
    assert code(h.commit()) is E.NOT_COORDINATOR
    resp = h.send(OffsetFetchRequest(group_id="g"))[0].response
    assert resp == OffsetFetchResponse(error_code=E.NOT_COORDINATOR)


# ---------------------------------------------------------------- OffsetFetch


def test_fetch_from_an_unknown_group():
    """testFetchOffsetsWithUnknownGroup / testFetchAllOffsetsWithUnknownGroup."""
    h = Harness()
    assert h.fetch([("foo", 0), ("foo", 1)]) == {("foo", 0): (-1, -1, ""), ("foo", 1): (-1, -1, "")}
    assert h.fetch() == {}


def test_fetch_needs_no_member_in_any_state():
    h = Harness(initial_rebalance_delay_ms=0)
    h.commit(offsets={("t", 0): (5, "meta")})
    h.join("a")
    for _ in range(2):  # PreparingRebalance, then CompletingRebalance
        assert h.fetch([("t", 0), ("t", 9)]) == {("t", 0): (5, -1, "meta"), ("t", 9): (-1, -1, "")}
        h.complete_join()


# ---------------------------------------------------------------- expiry and deletion


def expiring(**kw) -> Harness:
    kw.setdefault("initial_rebalance_delay_ms", 0)
    return Harness(offsets_retention_minutes=1, offsets_retention_check_interval_ms=10_000,
                   protocols=(("range", encode_subscription(["t"])),), **kw)


def test_empty_group_offsets_expire_a_retention_after_the_group_became_empty():
    h = expiring(session_timeout_ms=600_000)
    h.join_and_sync("a")
    h.commit("a", at=1_000)
    h.leave("a", at=20_000)
    h.advance_to(79_999)  # a commit-time base would have expired it at 70000
    assert h.fetch() == {("t", 0): (1, -1, "")}
    h.advance_to(80_000)
    assert h.group is None and h.fetch() == {}  # expired, then the empty group was deleted
    assert "g" not in h.c.log.groups


def test_stable_consumer_group_expires_only_offsets_of_topics_it_no_longer_reads():
    h = expiring(session_timeout_ms=600_000)
    h.join_and_sync("a")
    h.commit("a", offsets={("t", 0): 1, ("old", 0): 2}, at=1_000)
    h.advance_to(60_000)
    assert len(h.fetch()) == 2
    h.advance_to(70_000)  # 69000 >= 60000 since the commit
    assert h.fetch() == {("t", 0): (1, -1, "")} and h.state is S.STABLE


def test_simple_group_offsets_expire_by_commit_time_then_the_group_is_deleted():
    h = expiring()
    h.commit(offsets={("t", 0): 1}, at=5_000)
    h.commit(offsets={("t", 1): 1}, at=15_000)
    h.advance_to(70_000)
    assert h.fetch() == {("t", 1): (1, -1, "")} and h.state is S.EMPTY
    h.advance_to(80_000)
    assert h.group is None


def test_explicit_expire_timestamp_is_used_when_the_group_may_expire_offsets():
    h = expiring()
    h.commit(offsets={("t", 0): 1}, version=4, retention_time_ms=15_000, at=1_000)
    h.commit(offsets={("t", 1): 1}, version=4, retention_time_ms=-1, at=1_000)
    h.advance_to(10_000)
    assert len(h.fetch()) == 2
    h.advance_to(20_000)  # 20000 >= 16000
    assert h.fetch() == {("t", 1): (1, -1, "")}


def test_no_offset_expires_while_the_group_rebalances():
    """offsetExpirationCondition() is empty in PreparingRebalance/CompletingRebalance: not even
    an explicit expire timestamp applies."""
    h = expiring(session_timeout_ms=600_000, rebalance_timeout_ms=600_000)
    h.join_and_sync("a", "b")
    h.commit("a", offsets={("t", 0): 1, ("old", 0): 2}, version=4, retention_time_ms=5_000, at=1_000)
    h.join("a", at=2_000)
    h.advance_to(100_000)
    assert h.state is S.PREPARING_REBALANCE and len(h.fetch()) == 2


def test_empty_group_without_offsets_is_deleted_at_the_next_check():
    h = Harness(initial_rebalance_delay_ms=0, offsets_retention_check_interval_ms=10_000)
    h.join_and_sync("a")
    old_id = h.id("a")
    h.leave("a", at=1_000)
    assert h.state is S.EMPTY and h.deadline("offsets-expiry") == 10_000
    h.advance_to(10_000)
    assert h.group is None and h.c.describe("g")["state"] == "Dead"
    assert h.join("a", member_id=old_id).error_code is E.UNKNOWN_MEMBER_ID  # no such group any more


def test_a_non_empty_group_without_offsets_is_kept_and_the_check_disarms():
    h = Harness(initial_rebalance_delay_ms=0, offsets_retention_check_interval_ms=10_000,
                session_timeout_ms=600_000)
    h.join_and_sync("a")
    h.advance_to(10_000)
    assert h.state is S.STABLE and h.deadline("offsets-expiry") is None


def test_retention_checks_run_at_multiples_of_the_interval():
    h = Harness(offsets_retention_check_interval_ms=10_000)
    h.commit(at=12_345)
    assert h.deadline("offsets-expiry") == 20_000
    h.advance_to(20_000)
    assert h.deadline("offsets-expiry") == 30_000


def test_expiry_base_of_an_empty_group_survives_a_coordinator_failover():
    """The group record keeps the time the group became Empty (currentStateTimestamp)."""
    log = GroupLog()
    a = expiring(log=log, session_timeout_ms=600_000)
    a.join_and_sync("a")
    a.commit("a", at=1_000)
    a.leave("a", at=20_000)
    b = expiring(log=log, start=50_000)
    b.c.load_partition(b.c.partition_of("g"), now=50_000)
    assert b.state is S.EMPTY and b.group.current_state_timestamp == 20_000
    b.advance_to(79_999)
    assert b.fetch() == {("t", 0): (1, -1, "")}
    b.advance_to(80_000)
    assert b.group is None
