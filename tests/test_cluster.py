"""FindCoordinator: the group -> partition hash, the cluster model, failover and loading.

Worked examples come from docs/classic-protocol.md §4 (checked there against ``String.hashCode()`` on a
JVM) and Kafka's ``GroupCoordinatorServiceTest`` ("foo" over 10 partitions).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkalab.cluster import (
    INT32_MAX,
    INT32_MIN,
    Broker,
    Cluster,
    KeyType,
    LeaderChange,
    java_string_hashcode,
    kafka_abs,
    partition_for_group,
)
from kafkalab.errors import ErrorCode
from kafkalab.messages import FindCoordinatorEntry, FindCoordinatorRequest, FindCoordinatorResponse

E = ErrorCode

# ---------------------------------------------------------------- the hash

WORKED_EXAMPLES = [
    # group id, String.hashCode(), Utils.abs, partition of 50
    ("my-group", -1906497762, 1906497762, 12),
    ("group-id", 506313513, 506313513, 13),
    ("test-consumer-group", -1793216381, 1793216381, 31),
    ("a", 97, 97, 47),
    ("polygenelubricants", -2147483648, 0, 0),
    ("orders-consumer", -1204742690, 1204742690, 40),
    ("\u00e9t\u00e9", 227742, 227742, 42),  # "été": UTF-16 units 0xE9, 0x74, 0xE9
    ("", 0, 0, 0),
]


@pytest.mark.parametrize("group_id, hashcode, absolute, partition", WORKED_EXAMPLES)
def test_worked_examples_of_the_semantics_table(group_id, hashcode, absolute, partition):
    assert java_string_hashcode(group_id) == hashcode
    assert kafka_abs(hashcode) == absolute
    assert partition_for_group(group_id) == partition
    assert partition_for_group(group_id, 50) == partition


def test_foo_as_in_group_coordinator_service_test():
    assert java_string_hashcode("foo") == 101574
    assert partition_for_group("foo", 10) == 4
    assert partition_for_group("foo", 50) == 24


def test_astral_character_hashes_as_a_surrogate_pair():
    # U+1F600 is the UTF-16 pair D83D DE00 in Java: two steps of h = 31h + c, not one.
    assert java_string_hashcode("\U0001F600") == 0xD83D * 31 + 0xDE00 == 1772899
    assert java_string_hashcode("\U0001F600") != 0x1F600  # what hashing code points would give
    # A lone surrogate is a legal Java string of one code unit.
    assert java_string_hashcode("\ud800") == 0xD800


def test_min_value_needs_kafka_abs_not_a_plain_abs():
    h = java_string_hashcode("polygenelubricants")
    assert h == INT32_MIN
    assert partition_for_group("polygenelubricants") == 0
    # Java's Math.abs(Integer.MIN_VALUE) overflows back to MIN_VALUE, and Java's % keeps the
    # dividend's sign: Math.abs(h) % 50 would be the impossible partition -48.
    java_math_abs = h if h == INT32_MIN else abs(h)
    java_remainder = int(math.fmod(java_math_abs, 50))
    assert java_remainder == -48
    # Python's abs does not overflow, so it does not go negative, but it still picks the wrong
    # partition: 2**31 % 50 == 48, not Kafka's 0.
    assert abs(h) % 50 == 48 != partition_for_group("polygenelubricants")


def reference_hashcode(s: str) -> int:
    """Straightforward, independent String.hashCode: code points -> UTF-16 units -> polynomial."""
    units: list[int] = []
    for ch in s:
        cp = ord(ch)
        if cp >= 0x10000:
            cp -= 0x10000
            units += [0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)]
        else:
            units.append(cp)
    n = len(units)
    h = sum(u * pow(31, n - 1 - i, 1 << 32) for i, u in enumerate(units)) % (1 << 32)
    return h - (1 << 32) if h >= 1 << 31 else h


any_char = st.characters(exclude_categories=())  # includes lone surrogates
astral_char = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF)
java_strings = st.text(st.one_of(any_char, astral_char), max_size=40)


@given(java_strings, st.integers(min_value=1, max_value=INT32_MAX))
def test_hash_and_partition_match_an_independent_implementation(s, n):
    h = java_string_hashcode(s)
    assert h == reference_hashcode(s)
    assert INT32_MIN <= h <= INT32_MAX
    expected = (0 if h == INT32_MIN else abs(h)) % n
    assert partition_for_group(s, n) == expected
    assert 0 <= partition_for_group(s, n) < n


def test_hash_argument_checks():
    with pytest.raises(TypeError, match="str"):
        java_string_hashcode(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="group_id must be a str"):
        partition_for_group(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 1 and 2147483647"):
        partition_for_group("g", 0)
    with pytest.raises(ValueError, match="between 1 and 2147483647"):
        partition_for_group("g", -5)
    with pytest.raises(TypeError, match="int"):
        partition_for_group("g", 2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        partition_for_group("g", True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="32-bit"):
        kafka_abs(INT32_MAX + 1)
    assert kafka_abs(INT32_MAX) == INT32_MAX
    assert kafka_abs(-7) == 7


# ---------------------------------------------------------------- cluster layout

def test_default_cluster_places_leaders_round_robin_by_node_id():
    c = Cluster()
    assert [b.node_id for b in c.brokers] == [0, 1, 2]
    assert [(b.host, b.port) for b in c.brokers] == [("localhost", 9092), ("localhost", 9093), ("localhost", 9094)]
    assert c.leaders == tuple(p % 3 for p in range(50))
    assert c.replicas_of(0) == (0, 1, 2)
    assert c.replicas_of(1) == (1, 2, 0)
    assert c.partitions_led_by(1) == tuple(range(1, 50, 3))


def test_broker_records_are_sorted_by_node_id_whatever_the_given_order():
    c = Cluster([Broker(7, "h7", 1), Broker(3, "h3", 2), Broker(5, "h5", 3)], offsets_topic_num_partitions=4)
    assert [b.node_id for b in c.brokers] == [3, 5, 7]
    assert c.leaders == (3, 5, 7, 3)
    assert c.partition_for("my-group") == 1906497762 % 4 == 2
    assert c.coordinator_for("my-group") == Broker(7, "h7", 1)


def test_coordinator_for_uses_the_topic_partition_count():
    c = Cluster(offsets_topic_num_partitions=10)
    assert c.partition_for("foo") == 4
    assert c.coordinator_for("foo") == c.broker(4 % 3)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"brokers": 0}, ValueError, "at least 1 broker"),
    ({"brokers": []}, ValueError, "at least 1 broker"),
    ({"brokers": [Broker(1, "a", 1), Broker(1, "b", 2)]}, ValueError, r"unique, duplicated: \[1\]"),
    ({"brokers": ["b0"]}, TypeError, "Broker records"),
    ({"brokers": True}, TypeError, "bool"),
    ({"offsets_topic_num_partitions": 0}, ValueError, "offsets_topic_num_partitions must be between 1 and"),
    ({"transaction_state_num_partitions": -1}, ValueError, "transaction_state_num_partitions"),
    ({"replication_factor": 4}, ValueError, r"between 1 and the number of brokers \(3\)"),
    ({"replication_factor": 0}, ValueError, "replication_factor"),
    ({"offsets_topic_exists": 1}, TypeError, "offsets_topic_exists must be a bool"),
])
def test_cluster_argument_checks(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Cluster(**kwargs)


def test_broker_record_checks():
    with pytest.raises(TypeError, match="node_id"):
        Broker("0", "h", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="node_id must be between 0"):
        Broker(-1, "h", 1)
    with pytest.raises(ValueError, match="port"):
        Broker(0, "h", 70000)


def test_unknown_broker_ids_are_refused_clearly():
    c = Cluster()
    for call in (lambda: c.broker(9), lambda: c.is_coordinator(9, "g"), lambda: c.fail_broker(9),
                 lambda: c.restore_broker(9), lambda: c.move_leader(0, 9), lambda: c.partitions_led_by(9)):
        with pytest.raises(ValueError, match=r"unknown broker id 9; the cluster's brokers are \[0, 1, 2\]"):
            call()


# ---------------------------------------------------------------- FindCoordinator, single key (v0-v3)

@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_single_key_versions_answer_in_top_level_fields(version):
    c = Cluster()
    resp = c.handle_find_coordinator(FindCoordinatorRequest(api_version=version, key="my-group"))
    assert resp == FindCoordinatorResponse(
        error_code=E.NONE,
        # v0 has no error_message; v1+ carry Errors.NONE.message(), which is literally "NONE".
        error_message=None if version == 0 else "NONE",
        node_id=0, host="localhost", port=9092,
    )
    assert resp.coordinators == ()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_single_key_transaction_lookup_uses_transaction_state(version):
    c = Cluster(transaction_state_num_partitions=10)
    resp = c.handle_find_coordinator(
        FindCoordinatorRequest(api_version=version, key="foo", key_type=KeyType.TRANSACTION))
    assert (resp.error_code, resp.node_id) == (E.NONE, 4 % 3)
    assert c.transaction_coordinator_for("foo").node_id == 1


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_single_key_missing_offsets_topic_answers_15_then_creates_it(version):
    c = Cluster(offsets_topic_exists=False)
    assert c.coordinator_for("my-group") is None  # a query never creates the topic
    assert not c.offsets_topic_exists
    first = c.handle_find_coordinator(FindCoordinatorRequest(api_version=version, key="my-group"))
    assert first.error_code is E.COORDINATOR_NOT_AVAILABLE
    assert (first.node_id, first.host, first.port) == (-1, "", -1)  # Node.noNode()
    assert first.error_message == (None if version == 0 else "The coordinator is not available.")
    assert c.offsets_topic_exists
    second = c.handle_find_coordinator(FindCoordinatorRequest(api_version=version, key="my-group"))
    assert (second.error_code, second.node_id) == (E.NONE, 0)


def test_missing_transaction_topic_is_created_independently():
    c = Cluster(transaction_state_exists=False)
    req = FindCoordinatorRequest(api_version=3, key="tx", key_type=KeyType.TRANSACTION)
    assert c.handle_find_coordinator(req).error_code is E.COORDINATOR_NOT_AVAILABLE
    assert c.transaction_state_exists
    assert c.handle_find_coordinator(req).error_code is E.NONE
    # group lookups were never affected
    assert c.handle_find_coordinator(FindCoordinatorRequest(api_version=3, key="g")).error_code is E.NONE


@pytest.mark.parametrize("version", [1, 2, 3])
def test_single_key_share_and_unknown_key_types_are_invalid_requests(version):
    c = Cluster(offsets_topic_exists=False)
    for key_type in (KeyType.SHARE, 3, 127, -1):
        resp = c.handle_find_coordinator(
            FindCoordinatorRequest(api_version=version, key="g", key_type=key_type))
        assert resp.error_code is E.INVALID_REQUEST
        assert resp.error_message.startswith("This most likely occurs because of a request being malformed")
        assert resp.node_id == -1
    assert not c.offsets_topic_exists  # rejected before any topic lookup


def test_single_key_leaderless_partition_answers_15():
    c = Cluster(1, offsets_topic_num_partitions=5)
    c.fail_broker(0)
    resp = c.handle_find_coordinator(FindCoordinatorRequest(api_version=3, key="g"))
    assert (resp.error_code, resp.node_id) == (E.COORDINATOR_NOT_AVAILABLE, -1)


def test_unrepresentable_requests_are_misuse():
    c = Cluster()
    with pytest.raises(ValueError, match="v0 has no key_type"):
        c.handle_find_coordinator(FindCoordinatorRequest(api_version=0, key="t", key_type=1))
    with pytest.raises(ValueError, match="coordinator_keys` exists from v4"):
        c.handle_find_coordinator(FindCoordinatorRequest(api_version=3, coordinator_keys=("a",)))
    with pytest.raises(ValueError, match="`key` exists only in v0-v3"):
        c.handle_find_coordinator(FindCoordinatorRequest(api_version=4, key="a"))
    with pytest.raises(TypeError, match="FindCoordinatorRequest"):
        c.handle_find_coordinator("my-group")  # type: ignore[arg-type]


# ---------------------------------------------------------------- FindCoordinator, batched (v4-v6)

@pytest.mark.parametrize("version", [4, 5, 6])
def test_batched_keys_answer_one_entry_per_key_in_order(version):
    c = Cluster()
    keys = ("my-group", "group-id", "a", "my-group")
    resp = c.handle_find_coordinator(FindCoordinatorRequest(api_version=version, coordinator_keys=keys))
    # partitions 12, 13, 47, 12 over leaders p % 3
    assert resp.coordinators == (
        FindCoordinatorEntry(key="my-group", node_id=0, host="localhost", port=9092),
        FindCoordinatorEntry(key="group-id", node_id=1, host="localhost", port=9093),
        FindCoordinatorEntry(key="a", node_id=2, host="localhost", port=9094),
        FindCoordinatorEntry(key="my-group", node_id=0, host="localhost", port=9092),
    )
    assert all(co.error_message is None for co in resp.coordinators)


def test_batched_empty_key_list_answers_nothing():
    resp = Cluster().handle_find_coordinator(FindCoordinatorRequest(api_version=4))
    assert resp.coordinators == ()


def test_batched_missing_topic_fails_every_key_of_the_request():
    c = Cluster(offsets_topic_exists=False)
    req = FindCoordinatorRequest(api_version=4, coordinator_keys=("g1", "g2"))
    resp = c.handle_find_coordinator(req)
    # The auto-creation is asynchronous in Kafka: the second key of the same batch still sees
    # no topic. Per-key errors carry no message (getCoordinator's result never sets one).
    assert [(co.key, co.error_code, co.node_id, co.error_message) for co in resp.coordinators] == [
        ("g1", E.COORDINATOR_NOT_AVAILABLE, -1, None),
        ("g2", E.COORDINATOR_NOT_AVAILABLE, -1, None),
    ]
    assert [co.error_code for co in c.handle_find_coordinator(req).coordinators] == [E.NONE, E.NONE]


def test_batched_mixes_leaderless_and_served_keys():
    c = Cluster(2, replication_factor=1, offsets_topic_num_partitions=2)
    c.fail_broker(1)  # partition 1 had only replica 1
    keys = ("a", "b")  # hash 97 -> partition 1, hash 98 -> partition 0
    resp = c.handle_find_coordinator(FindCoordinatorRequest(api_version=5, coordinator_keys=keys))
    assert [(co.key, co.error_code, co.node_id) for co in resp.coordinators] == [
        ("a", E.COORDINATOR_NOT_AVAILABLE, -1),
        ("b", E.NONE, 0),
    ]


@pytest.mark.parametrize("version, expected", [(4, E.INVALID_REQUEST), (5, E.INVALID_REQUEST), (6, E.INVALID_REQUEST)])
def test_batched_share_keys(version, expected):
    # Below v6 by rule; at v6 because this cluster has no share coordinator (share groups off).
    resp = Cluster().handle_find_coordinator(
        FindCoordinatorRequest(api_version=version, key_type=KeyType.SHARE, coordinator_keys=("s",)))
    assert [(co.error_code, co.node_id, co.error_message) for co in resp.coordinators] == [(expected, -1, None)]


def test_batched_unknown_key_type_fails_the_whole_request_with_a_message():
    resp = Cluster().handle_find_coordinator(
        FindCoordinatorRequest(api_version=4, key_type=9, coordinator_keys=("a", "b")))
    assert [co.key for co in resp.coordinators] == ["a", "b"]
    assert {co.error_code for co in resp.coordinators} == {E.INVALID_REQUEST}
    assert all(co.error_message.startswith("This most likely occurs") for co in resp.coordinators)


def test_batched_transaction_keys():
    c = Cluster()
    resp = c.handle_find_coordinator(
        FindCoordinatorRequest(api_version=4, key_type=KeyType.TRANSACTION, coordinator_keys=("my-group",)))
    assert resp.coordinators[0].node_id == c.transaction_coordinator_for("my-group").node_id == 0


# ---------------------------------------------------------------- is_coordinator

def test_is_coordinator_gives_each_of_its_four_answers():
    c = Cluster()
    p = c.partition_for("my-group")  # 12, led by 0
    assert c.is_coordinator(0, "my-group") is E.NONE
    assert c.is_coordinator(1, "my-group") is E.NOT_COORDINATOR
    c.begin_loading(p)
    assert c.loading == {p}
    assert c.is_coordinator(0, "my-group") is E.COORDINATOR_LOAD_IN_PROGRESS
    assert c.is_coordinator(1, "my-group") is E.NOT_COORDINATOR
    assert c.finish_loading(p) is True
    assert c.finish_loading(p) is False
    assert c.is_coordinator(0, "my-group") is E.NONE
    c.fail_broker(0)
    assert c.is_coordinator(0, "my-group") is E.COORDINATOR_NOT_AVAILABLE


def test_is_coordinator_before_the_offsets_topic_exists():
    c = Cluster(offsets_topic_exists=False)
    assert {c.is_coordinator(b, "g") for b in (0, 1, 2)} == {E.NOT_COORDINATOR}
    with pytest.raises(TypeError, match="group_id"):
        c.is_coordinator(0, 42)  # type: ignore[arg-type]


def test_loading_checks():
    c = Cluster(1, offsets_topic_num_partitions=3)
    with pytest.raises(ValueError, match=r"between 0 and 2"):
        c.begin_loading(3)
    with pytest.raises(ValueError, match=r"between 0 and 2"):
        c.finish_loading(-1)
    c.fail_broker(0)
    with pytest.raises(ValueError, match="has no leader"):
        c.begin_loading(0)
    with pytest.raises(ValueError, match="does not exist yet"):
        Cluster(offsets_topic_exists=False).begin_loading(0)


# ---------------------------------------------------------------- failover

def test_failover_moves_the_coordinator_and_the_old_broker_says_not_coordinator():
    c = Cluster()
    before = c.partitions_led_by(0)
    assert c.coordinator_for("my-group").node_id == 0

    changes = c.fail_broker(0)

    # Every partition broker 0 led moves to its next replica, broker 1 (replicas p%3, p%3+1, ...).
    assert changes == [LeaderChange(p, 0, 1) for p in before]
    assert c.coordinator_for("my-group") == Broker(1, "localhost", 9093)
    assert c.is_coordinator(1, "my-group") is E.NONE
    assert c.is_coordinator(0, "my-group") is E.COORDINATOR_NOT_AVAILABLE
    resp = c.handle_find_coordinator(FindCoordinatorRequest(api_version=3, key="my-group"))
    assert (resp.error_code, resp.node_id, resp.port) == (E.NONE, 1, 9093)

    # Restoring broker 0 does not take leadership back ...
    assert c.restore_broker(0) == []
    assert c.is_coordinator(0, "my-group") is E.NOT_COORDINATOR
    assert c.coordinator_for("my-group").node_id == 1
    # ... the preferred leader election does.
    assert c.elect_preferred_leaders() == [LeaderChange(p, 1, 0) for p in before]
    assert c.is_coordinator(0, "my-group") is E.NONE
    assert c.elect_preferred_leaders() == []


def test_second_failure_moves_on_to_the_next_live_replica():
    c = Cluster()
    c.fail_broker(0)
    changes = c.fail_broker(1)
    # Partitions p % 3 == 0 (replicas 0,1,2) and p % 3 == 1 (replicas 1,2,0) now both sit on 2.
    assert {ch.new for ch in changes} == {2}
    assert [ch.partition for ch in changes] == [p for p in range(50) if p % 3 in (0, 1)]
    assert set(c.leaders) == {2}


def test_failing_every_replica_leaves_partitions_leaderless_until_one_returns():
    c = Cluster(3, offsets_topic_num_partitions=6)
    c.fail_broker(1)
    c.fail_broker(2)
    changes = c.fail_broker(0)
    assert changes == [LeaderChange(p, 0, None) for p in range(6)]
    assert c.leaders == (None,) * 6
    assert c.coordinator_for("g") is None
    assert c.handle_find_coordinator(FindCoordinatorRequest(api_version=2, key="g")).error_code \
        is E.COORDINATOR_NOT_AVAILABLE
    assert c.restore_broker(2) == [LeaderChange(p, None, 2) for p in range(6)]
    assert c.fail_broker(1) == []  # already down: nothing changes


def test_replication_factor_limits_where_leadership_can_go():
    c = Cluster(4, replication_factor=2, offsets_topic_num_partitions=4)
    assert [c.replicas_of(p) for p in range(4)] == [(0, 1), (1, 2), (2, 3), (3, 0)]
    c.fail_broker(1)
    c.fail_broker(2)
    assert c.leaders == (0, None, 3, 3)
    with pytest.raises(ValueError, match=r"holds no replica of __consumer_offsets-0; its replicas are \[0, 1\]"):
        c.move_leader(0, 3)


def test_move_leader():
    c = Cluster()
    p = c.partition_for("my-group")
    assert c.leader_epoch_of(p) == 0
    assert c.move_leader(p, 2) == [LeaderChange(p, 0, 2)]
    assert c.move_leader(p, 2) == []
    assert c.leader_epoch_of(p) == 1 and c.leader_epoch_of(p + 1) == 0  # a new epoch per election
    assert c.is_coordinator(2, "my-group") is E.NONE
    assert c.is_coordinator(0, "my-group") is E.NOT_COORDINATOR
    c.fail_broker(1)
    with pytest.raises(ValueError, match="broker 1 is down"):
        c.move_leader(p, 1)
    with pytest.raises(ValueError, match=r"between 0 and 49"):
        c.move_leader(50, 0)
    with pytest.raises(ValueError, match="does not exist yet"):
        Cluster(offsets_topic_exists=False).move_leader(0, 0)


def test_load_on_leader_change_makes_the_new_coordinator_load_first():
    c = Cluster(load_on_leader_change=True)
    p = c.partition_for("my-group")
    assert c.loading == frozenset()  # a freshly created topic has nothing to load
    c.fail_broker(0)
    assert c.loading == frozenset(range(0, 50, 3))  # the partitions broker 1 just took over
    assert c.is_coordinator(1, "my-group") is E.COORDINATOR_LOAD_IN_PROGRESS
    # FindCoordinator already names the loading broker.
    assert c.handle_find_coordinator(FindCoordinatorRequest(api_version=3, key="my-group")).node_id == 1
    # Moving the partition again abandons that load; the next leader loads from scratch.
    c.move_leader(p, 2)
    assert p in c.loading and c.is_coordinator(2, "my-group") is E.COORDINATOR_LOAD_IN_PROGRESS
    assert c.finish_loading(p)
    assert c.is_coordinator(2, "my-group") is E.NONE


def test_without_load_on_leader_change_a_leader_change_clears_a_manual_load():
    c = Cluster()
    p = c.partition_for("my-group")
    c.begin_loading(p)
    c.move_leader(p, 1)
    assert c.loading == frozenset()
    assert c.is_coordinator(1, "my-group") is E.NONE


def test_transaction_state_fails_over_too_but_is_not_reported():
    c = Cluster()
    assert c.transaction_coordinator_for("my-group").node_id == 0
    changes = c.fail_broker(0)
    assert len(changes) == 17  # only __consumer_offsets partitions 0, 3, ..., 48
    assert c.transaction_coordinator_for("my-group").node_id == 1


ops = st.lists(st.tuples(st.sampled_from(["fail", "restore", "prefer", "move"]),
                         st.integers(0, 3), st.integers(0, 11)), max_size=25)


@given(ops)
def test_leadership_invariants_and_reported_changes_under_any_failover_sequence(script):
    c = Cluster(4, offsets_topic_num_partitions=12)
    twin = Cluster(4, offsets_topic_num_partitions=12)
    for op, node, partition in script:
        before = c.leaders
        epochs = [c.leader_epoch_of(p) for p in range(12)]
        if op == "fail":
            changes = c.fail_broker(node)
        elif op == "restore":
            changes = c.restore_broker(node)
        elif op == "prefer":
            changes = c.elect_preferred_leaders()
        else:
            if not c.broker(node).up or node not in c.replicas_of(partition):
                continue
            changes = c.move_leader(partition, node)
        after = c.leaders
        # The changes are exactly the diff, in partition order.
        assert changes == [LeaderChange(p, before[p], after[p]) for p in range(12) if before[p] != after[p]]
        # Each leader change, and only a change, starts the partition's next leader epoch.
        assert [c.leader_epoch_of(p) - epochs[p] for p in range(12)] == [int(before[p] != after[p]) for p in range(12)]
        # Every leader is a live replica; a partition is leaderless only if no replica is live.
        for p, leader in enumerate(after):
            live = [r for r in c.replicas_of(p) if c.broker(r).up]
            if leader is None:
                assert live == []
            else:
                assert leader in live
        # The coordinator of a group is its partition's leader.
        gp = c.partition_for("my-group")
        coord = c.coordinator_for("my-group")
        assert (coord.node_id if coord else None) == after[gp]
    # Deterministic: replaying the script on a twin gives the same cluster.
    for op, node, partition in script:
        if op == "fail":
            twin.fail_broker(node)
        elif op == "restore":
            twin.restore_broker(node)
        elif op == "prefer":
            twin.elect_preferred_leaders()
        elif twin.broker(node).up and node in twin.replicas_of(partition):
            twin.move_leader(partition, node)
    assert twin.leaders == c.leaders and twin.brokers == c.brokers


def test_two_clusters_built_alike_answer_alike():
    keys = tuple(f"group-{i}" for i in range(200))
    a, b = Cluster(5), Cluster(5)
    req = FindCoordinatorRequest(api_version=4, coordinator_keys=keys)
    assert a.handle_find_coordinator(req) == b.handle_find_coordinator(req)
    assert a.fail_broker(3) == b.fail_broker(3)
    assert a.handle_find_coordinator(req) == b.handle_find_coordinator(req)
