"""kafkalab.assignors: public API, documented examples, tie-breaks, bad input, helpers.

Kafka's own test cases are in test_assignors_java_cases.py, randomized properties in
test_assignors_properties.py, results of the real Java classes in test_assignors_java_golden.py
and the comparison with kafka-python in test_assignors_kafka_python.py.
"""

from __future__ import annotations

import pytest

from kafkalab.assignors import (
    ASSIGNORS,
    Assignor,
    AssignorError,
    CooperativeStickyAssignor,
    PartitionMove,
    RangeAssignor,
    RebalanceProtocol,
    RoundRobinAssignor,
    StickyAssignor,
    Subscription,
    UnknownAssignorError,
    assign,
    balance,
    get_assignor,
    member_counts,
    moved_partitions,
    select_rebalance_protocol,
    unowned_partitions,
)
from kafkalab.java import TopicPartitionHashSet, hash_map_order, string_compare_key, string_hash_code_unsigned

ALL = ("range", "roundrobin", "sticky", "cooperative-sticky")


def parts(spec: str) -> list[tuple[str, int]]:
    """'t0p0 t1p2' -> [('t0', 0), ('t1', 2)] (the javadoc notation)."""
    out = []
    for token in spec.split():
        topic, _, p = token.rpartition("p")
        out.append((topic, int(p)))
    return sorted(out)


# ---------------------------------------------------------------------------- javadoc examples


def test_range_javadoc_example():
    # RangeAssignor javadoc: C0, C1 subscribed to t0, t1 with 3 partitions each.
    result = assign("range", {"t0": 3, "t1": 3}, {"C0": ["t0", "t1"], "C1": ["t0", "t1"]})
    assert result == {"C0": parts("t0p0 t0p1 t1p0 t1p1"), "C1": parts("t0p2 t1p2")}


def test_range_javadoc_member_ids_reshuffle_without_instance_ids():
    # After a rolling bounce C0 -> C3, C1 -> C2: the member id order flips, so the ranges swap.
    result = assign("range", {"t0": 3, "t1": 3}, {"C3": ["t0", "t1"], "C2": ["t0", "t1"]})
    assert result == {"C3": parts("t0p2 t1p2"), "C2": parts("t0p0 t0p1 t1p0 t1p1")}


def test_range_javadoc_static_members_keep_their_ranges():
    # With group.instance.id I0, I1 the order follows the instance ids, whatever the member ids.
    subs = {
        "C3": Subscription(["t0", "t1"], group_instance_id="I0"),
        "C2": Subscription(["t0", "t1"], group_instance_id="I1"),
    }
    assert assign("range", {"t0": 3, "t1": 3}, subs) == {
        "C3": parts("t0p0 t0p1 t1p0 t1p1"),
        "C2": parts("t0p2 t1p2"),
    }


def test_roundrobin_javadoc_identical_subscriptions():
    result = assign("roundrobin", {"t0": 3, "t1": 3}, {"C0": ["t0", "t1"], "C1": ["t0", "t1"]})
    assert result == {"C0": parts("t0p0 t0p2 t1p1"), "C1": parts("t0p1 t1p0 t1p2")}


def test_roundrobin_javadoc_different_subscriptions_skip_members():
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    result = assign("roundrobin", {"t0": 1, "t1": 2, "t2": 3}, subs)
    assert result == {"C0": parts("t0p0"), "C1": parts("t1p0"), "C2": parts("t1p1 t2p0 t2p1 t2p2")}


def test_roundrobin_javadoc_static_members():
    subs = {
        "C5": Subscription(["t0", "t1"], group_instance_id="I0"),
        "C3": Subscription(["t0", "t1"], group_instance_id="I1"),
        "C4": Subscription(["t0", "t1"], group_instance_id="I2"),
    }
    assert assign("roundrobin", {"t0": 3, "t1": 3}, subs) == {
        "C5": parts("t0p0 t1p0"),
        "C3": parts("t0p1 t1p1"),
        "C4": parts("t0p2 t1p2"),
    }
    # Without instance ids the same members are ordered by member id: C3, C4, C5.
    dynamic = {m: Subscription(["t0", "t1"]) for m in ("C5", "C3", "C4")}
    assert assign("roundrobin", {"t0": 3, "t1": 3}, dynamic) == {
        "C5": parts("t0p2 t1p2"),
        "C3": parts("t0p0 t1p0"),
        "C4": parts("t0p1 t1p1"),
    }


def test_sticky_javadoc_example_2():
    # StickyAssignor javadoc example 2: unbalanced subscriptions, then C0 leaves.
    ppt = {"t0": 1, "t1": 2, "t2": 3}
    first = assign("sticky", ppt, {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]})
    assert first == {"C0": parts("t0p0"), "C1": parts("t1p0 t1p1"), "C2": parts("t2p0 t2p1 t2p2")}
    second = assign(
        "sticky",
        ppt,
        {
            "C1": Subscription(["t0", "t1"], owned_partitions=first["C1"], generation=1),
            "C2": Subscription(["t0", "t1", "t2"], owned_partitions=first["C2"], generation=1),
        },
    )
    assert second == {"C1": parts("t0p0 t1p0 t1p1"), "C2": parts("t2p0 t2p1 t2p2")}


def test_sticky_javadoc_example_1_differs_from_current_kafka():
    """Named difference: the StickyAssignor javadoc shows the KIP-54 algorithm's output.

    Example 1 (4 topics x 2 partitions, C1 leaves) says C0 takes t2p0 and C2 takes t0p1.  Since
    KAFKA-9987 (2.8) uniform subscriptions use the constrained algorithm, which deals the free
    partitions (t0p1, t2p0, t3p1) round-robin to C0, C2 in member order.  Compiled Kafka
    classes at 1eb7644 return exactly this result (see test_assignors_java_golden.py).
    """
    ppt = {"t0": 2, "t1": 2, "t2": 2, "t3": 2}
    topics = list(ppt)
    first = assign("sticky", ppt, {c: topics for c in ("C0", "C1", "C2")})
    assert first == {"C0": parts("t0p0 t1p1 t3p0"), "C1": parts("t0p1 t2p0 t3p1"), "C2": parts("t1p0 t2p1")}
    second = assign(
        "sticky",
        ppt,
        {c: Subscription(topics, owned_partitions=first[c], generation=1) for c in ("C0", "C2")},
    )
    javadoc = {"C0": parts("t0p0 t1p1 t3p0 t2p0"), "C2": parts("t1p0 t2p1 t0p1 t3p1")}
    assert second == {"C0": parts("t0p0 t0p1 t1p1 t3p0"), "C2": parts("t1p0 t2p0 t2p1 t3p1")}
    assert second != javadoc
    # Both keep every previous partition: equally sticky, just a different tie-break.
    assert all(set(first[c]) <= set(second[c]) for c in second)


def test_semantics_doc_seven_partitions_three_members():
    ppt, subs = {"t": 7}, {"c1": ["t"], "c2": ["t"], "c3": ["t"]}
    assert assign("range", ppt, subs) == {"c1": parts("tp0 tp1 tp2"), "c2": parts("tp3 tp4"), "c3": parts("tp5 tp6")}
    for name in ("roundrobin", "sticky", "cooperative-sticky"):
        assert assign(name, ppt, subs) == {"c1": parts("tp0 tp3 tp6"), "c2": parts("tp1 tp4"), "c3": parts("tp2 tp5")}


# ---------------------------------------------------------------------------- member order


def test_member_ids_compare_as_java_strings_not_numbers():
    # "consumer10" < "consumer2" (String.compareTo), so consumer10 gets the extra partition.
    result = assign("range", {"t": 3}, {"consumer2": ["t"], "consumer10": ["t"]})
    assert result == {"consumer2": [("t", 2)], "consumer10": [("t", 0), ("t", 1)]}


def test_member_ids_compare_by_utf16_code_units():
    # U+FF21 (fullwidth A) is one UTF-16 unit 0xFF21; U+1F600 is the surrogate pair 0xD83D 0xDE00.
    # Java puts the emoji first (0xD83D < 0xFF21); Python's code point order would not.
    emoji, fullwidth = "\U0001F600", "\uFF21"
    assert fullwidth < emoji  # Python order
    assert string_compare_key(emoji) < string_compare_key(fullwidth)  # Java order
    result = assign("range", {"t": 3}, {fullwidth: ["t"], emoji: ["t"]})
    assert result[emoji] == [("t", 0), ("t", 1)]
    assert result[fullwidth] == [("t", 2)]


def test_static_members_come_first_then_dynamic_by_member_id():
    subs = {
        "a": Subscription(["t"]),
        "b": Subscription(["t"], group_instance_id="y"),
        "c": Subscription(["t"], group_instance_id="x"),
    }
    # Order: c (x), b (y), then a (dynamic); 5 partitions -> 2, 2, 1.
    assert assign("range", {"t": 5}, subs) == {"a": [("t", 4)], "b": [("t", 2), ("t", 3)], "c": [("t", 0), ("t", 1)]}
    assert assign("roundrobin", {"t": 5}, subs) == {"a": [("t", 2)], "b": [("t", 1), ("t", 4)], "c": [("t", 0), ("t", 3)]}


def test_mixed_static_and_dynamic_members_all_get_partitions():
    # kafka-python 3.0.12 drops "c3" here (docs/real-clients.md bug 2); Java orders s2, c1, c3.
    subs = {"c1": Subscription(["t"]), "c2": Subscription(["t"], group_instance_id="s2"), "c3": Subscription(["t"])}
    assert assign("range", {"t": 6}, subs) == {"c1": parts("tp2 tp3"), "c2": parts("tp0 tp1"), "c3": parts("tp4 tp5")}
    assert assign("roundrobin", {"t": 6}, subs) == {"c1": parts("tp1 tp4"), "c2": parts("tp0 tp3"), "c3": parts("tp2 tp5")}


# ---------------------------------------------------------------------------- Java HashMap order


def test_string_hash_matches_java():
    # "...".hashCode() printed by a JVM (as signed ints); "Aa" and "BB" collide at 2112; the
    # emoji counts as its two UTF-16 surrogates.
    assert string_hash_code_unsigned("hello") == 99162322
    assert string_hash_code_unsigned("") == 0
    assert string_hash_code_unsigned("consumer1") == -421004549 & 0xFFFFFFFF
    assert string_hash_code_unsigned("Aa") == string_hash_code_unsigned("BB") == 2112
    assert string_hash_code_unsigned("\U0001F600x") == 54959989


def test_hash_map_order_of_kafka_test_members():
    # Kafka's sticky test groups iterate consumer3, consumer2, consumer1 (buckets 10, 11, 12).
    assert hash_map_order(["consumer1", "consumer2", "consumer3"]) == ["consumer3", "consumer2", "consumer1"]
    # A map made with new HashMap<>(3) has 4 buckets, and another order.
    assert hash_map_order(["consumer0", "consumer1", "consumer2"], initial_capacity=3) == [
        "consumer1",
        "consumer0",
        "consumer2",
    ]


def test_hash_map_order_keeps_insertion_order_inside_a_bucket_and_grows():
    # "Aa" and "BB" share a hash, hence a bucket: insertion order decides.
    assert hash_map_order(["BB", "Aa"]) == ["BB", "Aa"]
    assert hash_map_order(["Aa", "BB"]) == ["Aa", "BB"]
    # 13 keys exceed 0.75 * 16, so the table has 32 buckets; printed by Java's HashMap.keySet():
    keys = [f"m{i}" for i in range(13)]
    assert hash_map_order(keys) == [f"m{i}" for i in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12)]


def test_topic_partition_hash_set_first_follows_buckets_then_insertion():
    s = TopicPartitionHashSet()
    for p in (5, 1, 3):
        s.add(("t", p))
    first = s.first()
    # TopicPartition.hashCode = 31 * (31 + p) + "t".hashCode(); lowest bucket first.
    def bucket(p):
        h = (31 * (31 + p) + string_hash_code_unsigned("t")) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & 15

    assert first == ("t", min((5, 1, 3), key=bucket))
    s.discard(first)
    assert first not in s and len(s) == 2


# ---------------------------------------------------------------------------- API shape


def test_registry_holds_the_four_java_assignors():
    assert list(ASSIGNORS) == list(ALL)
    assert isinstance(ASSIGNORS["range"], RangeAssignor)
    assert isinstance(ASSIGNORS["roundrobin"], RoundRobinAssignor)
    assert isinstance(ASSIGNORS["sticky"], StickyAssignor)
    assert isinstance(ASSIGNORS["cooperative-sticky"], CooperativeStickyAssignor)
    with pytest.raises(TypeError):
        ASSIGNORS["mine"] = RangeAssignor()  # read-only: pass your own assignor as an instance


def test_supported_protocols():
    assert ASSIGNORS["range"].supported_protocols == (RebalanceProtocol.EAGER,)
    assert ASSIGNORS["roundrobin"].supported_protocols == (RebalanceProtocol.EAGER,)
    assert ASSIGNORS["sticky"].supported_protocols == (RebalanceProtocol.EAGER,)
    assert set(ASSIGNORS["cooperative-sticky"].supported_protocols) == {
        RebalanceProtocol.EAGER,
        RebalanceProtocol.COOPERATIVE,
    }
    assert RebalanceProtocol.EAGER.value == 0 and RebalanceProtocol.COOPERATIVE.value == 1


@pytest.mark.parametrize(
    "configured, expected",
    [
        (["range", "cooperative-sticky"], RebalanceProtocol.EAGER),  # Kafka's default list
        (["cooperative-sticky"], RebalanceProtocol.COOPERATIVE),
        (["cooperative-sticky", "sticky"], RebalanceProtocol.EAGER),
        (["roundrobin"], RebalanceProtocol.EAGER),
    ],
)
def test_select_rebalance_protocol(configured, expected):
    assert select_rebalance_protocol(configured) is expected


def test_select_rebalance_protocol_needs_a_common_protocol():
    class CooperativeOnly(Assignor):
        name = "coop-only"
        supported_protocols = (RebalanceProtocol.COOPERATIVE,)

    assert select_rebalance_protocol([CooperativeOnly(), "cooperative-sticky"]) is RebalanceProtocol.COOPERATIVE
    with pytest.raises(ValueError, match="commonly supported"):
        select_rebalance_protocol([CooperativeOnly(), "range"])
    with pytest.raises(ValueError, match="at least one"):
        select_rebalance_protocol([])


def test_get_assignor_accepts_names_instances_and_classes():
    assert get_assignor("sticky") is ASSIGNORS["sticky"]
    mine = RangeAssignor()
    assert get_assignor(mine) is mine
    assert isinstance(get_assignor(RoundRobinAssignor), RoundRobinAssignor)
    with pytest.raises(TypeError, match="assignor name or an Assignor"):
        get_assignor(42)


def test_unknown_strategy_lists_the_available_ones():
    with pytest.raises(UnknownAssignorError) as info:
        assign("uniform", {"t": 1}, {"c": ["t"]})
    assert isinstance(info.value, ValueError)
    for name in ALL:
        assert name in str(info.value)


def test_a_learner_assignor_runs_through_assign_with_subscription_objects():
    class FirstTakesAll(Assignor):
        name = "first-takes-all"

        def assign(self, partitions_per_topic, subscriptions, partition_racks=None):
            members = sorted(subscriptions)
            out = {m: [] for m in members}
            for topic, n in sorted(partitions_per_topic.items()):
                takers = [m for m in members if topic in subscriptions[m].topics]
                if takers:
                    out[takers[0]].extend((topic, p) for p in range(n))
            return out

    mine = FirstTakesAll()
    assert mine.supported_protocols == (RebalanceProtocol.EAGER,)
    assert "first-takes-all" in repr(mine)
    # Plain topic lists are turned into Subscription objects before the learner sees them.
    assert assign(mine, {"a": 2, "b": 1}, {"m2": ["a", "b"], "m1": ["b"]}) == {
        "m1": [("b", 0)],
        "m2": [("a", 0), ("a", 1)],
    }
    with pytest.raises(NotImplementedError):
        Assignor().assign({}, {})


def test_subscriptions_may_be_subscription_dicts_or_topic_lists():
    as_objects = {"a": Subscription(["t"], rack="r1"), "b": Subscription(["t", "u"])}
    as_dicts = {"a": {"topics": ["t"], "rack": "r1"}, "b": {"topics": ("t", "u")}}
    as_lists = {"a": ["t"], "b": ["t", "u"]}
    expected = assign("roundrobin", {"t": 3, "u": 1}, as_objects)
    assert assign("roundrobin", {"t": 3, "u": 1}, as_dicts) == expected
    assert assign("roundrobin", {"t": 3, "u": 1}, as_lists) == expected


def test_subscription_normalises_its_fields():
    s = Subscription(["t", "u", "t"], owned_partitions={"t": [1, 0], "u": [2]}, generation=4)
    assert s.topics == ("t", "u")
    assert s.owned_partitions == (("t", 1), ("t", 0), ("u", 2))
    assert Subscription(("t",), owned_partitions=[["t", 0], ("t", 0)]).owned_partitions == (("t", 0),)
    assert hash(s) == hash(Subscription(("t", "u"), (("t", 1), ("t", 0), ("u", 2)), 4))


def test_every_member_is_present_in_input_order_and_lists_are_sorted():
    subs = {"z": ["t"], "a": ["t"], "m": ["nothing"]}
    for name in ALL:
        result = assign(name, {"t": 5}, subs)
        assert list(result) == ["z", "a", "m"]
        assert result["m"] == []
        for partitions in result.values():
            assert partitions == sorted(partitions)


def test_empty_group_gets_an_empty_assignment():
    for name in ALL:
        assert assign(name, {"t": 3}, {}) == {}


# ---------------------------------------------------------------------------- reduced input


@pytest.mark.parametrize("name", ALL)
def test_topics_missing_from_metadata_are_ignored(name):
    result = assign(name, {"t": 2}, {"c1": ["t", "gone"], "c2": ["gone"]})
    assert sorted(result["c1"] + result["c2"]) == [("t", 0), ("t", 1)]
    assert result["c2"] == []


@pytest.mark.parametrize("name", ALL)
def test_topics_nobody_subscribes_to_and_empty_topics_are_ignored(name):
    result = assign(name, {"t": 2, "other": 4, "empty": 0}, {"c1": ["t", "empty"], "c2": ["t", "empty"]})
    assert sorted(result["c1"] + result["c2"]) == [("t", 0), ("t", 1)]


@pytest.mark.parametrize("name", ALL)
def test_a_member_without_topics_gets_nothing_when_it_is_not_visited_first(name):
    # consumer1 (no topics) comes after consumer3/consumer2 in HashMap order.
    subs = {"consumer1": [], "consumer2": ["t"], "consumer3": ["t"]}
    result = assign(name, {"t": 4}, subs)
    assert result["consumer1"] == []
    assert len(result["consumer2"]) == len(result["consumer3"]) == 2


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
def test_kafka_quirk_a_member_without_topics_visited_first_looks_uniform(name):
    """Named Kafka behaviour (reproduced): AbstractStickyAssignor.allSubscriptionsEqual fills its
    reference topic set from the first subscription *while the set is empty*, so a member with
    no topics that comes first in HashMap order does not make the group non-uniform.  The
    constrained algorithm then deals it partitions of topics it never subscribed to (a Java
    consumer that receives them logs an error and rejoins).  consumer3 precedes consumer1,2.
    """
    subs = {"consumer1": ["t"], "consumer2": ["t"], "consumer3": []}
    result = get_assignor(name).assign_with_details({"t": 3}, subs)
    assert result.constrained
    assert result.assignment["consumer3"] == [("t", 2)]
    # The same group with the empty member visited later is not uniform: it gets nothing.
    later = get_assignor(name).assign_with_details({"t": 3}, {"consumer3": ["t"], "consumer2": ["t"], "consumer1": []})
    assert not later.constrained and later.assignment["consumer1"] == []


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
def test_owned_partitions_no_longer_in_metadata_are_dropped(name):
    subs = {
        "c1": Subscription(["t"], owned_partitions=[("t", 0), ("t", 7), ("deleted", 0)], generation=2),
        "c2": Subscription(["t"], owned_partitions=[("t", 1)], generation=2),
    }
    # t has 2 partitions now: ("t", 7) and the deleted topic's partition cannot be kept.
    assert assign(name, {"t": 2}, subs) == {"c1": [("t", 0)], "c2": [("t", 1)]}


def test_negative_generations_count_as_no_generation():
    # Java's Subscription constructor turns a negative generation into Optional.empty().
    subs = {"c1": Subscription(["t"], owned_partitions=[("t", 0)], generation=-5), "c2": Subscription(["t"], owned_partitions=[("t", 0)])}
    a = StickyAssignor().assign_with_details({"t": 2}, subs)
    assert a.partitions_transferring_ownership == {("t", 0): "c1"}  # same "generation": claimed twice


# ---------------------------------------------------------------------------- bad input


def test_negative_partition_count_names_topic_and_value():
    with pytest.raises(ValueError, match=r"partitions_per_topic\['orders'\] = -3"):
        assign("range", {"orders": -3}, {"c": ["orders"]})


@pytest.mark.parametrize(
    "ppt, subs, match",
    [
        ([("t", 1)], {"c": ["t"]}, "partitions_per_topic must be a mapping"),
        ({"t": "3"}, {"c": ["t"]}, r"partitions_per_topic\['t'\] must be an int"),
        ({"t": True}, {"c": ["t"]}, r"partitions_per_topic\['t'\] must be an int"),
        ({1: 3}, {"c": ["t"]}, "topic name must be a str"),
        ({"t": 1}, [("c", ["t"])], "subscriptions must be a mapping"),
        ({"t": 1}, {7: ["t"]}, "member id must be a str"),
        ({"t": 1}, {"c": "t"}, "member 'c'.*single string 't'"),
        ({"t": 1}, {"c": [1]}, "member 'c'.*topic name must be a str"),
        ({"t": 1}, {"c": {"topics": ["t"], "owned": []}}, "member 'c'.*unknown subscription field"),
        ({"t": 1}, {"c": {"rack": "a"}}, "member 'c'.*needs 'topics'"),
        ({"t": 1}, {"c": Subscription(["t"])} | {"d": 5}, "member 'd'"),
    ],
)
def test_wrong_types_raise_clear_type_errors(ppt, subs, match):
    for name in ALL:
        with pytest.raises(TypeError, match=match):
            assign(name, ppt, subs)


def test_subscription_field_type_errors():
    with pytest.raises(TypeError, match="generation must be an int"):
        Subscription(["t"], generation="1")
    with pytest.raises(TypeError, match="rack must be a str"):
        Subscription(["t"], rack=1)
    with pytest.raises(TypeError, match="group_instance_id must be a str"):
        Subscription(["t"], group_instance_id=b"x")
    with pytest.raises(TypeError, match=r"\(topic, partition\) pair"):
        Subscription(["t"], owned_partitions=[("t",)])
    with pytest.raises(TypeError, match="partition number must be an int"):
        Subscription(["t"], owned_partitions=[("t", "0")])


def test_negative_owned_partition_names_the_member():
    with pytest.raises(ValueError, match=r"member 'c2'.*cannot be negative \(-1\)"):
        assign("sticky", {"t": 2}, {"c1": ["t"], "c2": {"topics": ["t"], "owned_partitions": [("t", -1)]}})


def test_partition_racks_are_checked():
    with pytest.raises(TypeError, match="partition_racks must be a mapping"):
        assign("range", {"t": 1}, {"c": ["t"]}, partition_racks=[("t", 0)])
    with pytest.raises(TypeError, match=r"\(topic, partition\) tuple"):
        assign("range", {"t": 1}, {"c": ["t"]}, partition_racks={"t": ["a"]})
    with pytest.raises(TypeError, match="a rack must be a str"):
        assign("range", {"t": 1}, {"c": ["t"]}, partition_racks={("t", 0): [1]})
    # A single rack name and None (a broker without broker.rack) are accepted.
    assert assign("range", {"t": 1}, {"c": ["t"]}, partition_racks={("t", 0): "a", ("t", 9): [None]}) == {"c": [("t", 0)]}


def test_java_exception_in_stale_generation_case_is_reproduced():
    """Named Kafka behaviour (reproduced): GeneralAssignmentBuilder.performReassignments reads the
    partition count of a partition's previous owner (a claim from an older generation) without
    checking that this member can still take partitions; when it cannot (it is "fixed"),
    currentAssignment.get(...) is null and Java throws NullPointerException.  Found by the
    differential run against compiled Kafka classes; the same input fails there.
    """
    subs = {
        # c9 owned t0-0 in generation 1 but now only reads "solo"; it holds all of solo: fixed.
        "c9": Subscription(["solo"], owned_partitions=[("t0", 0), ("solo", 0)], generation=1),
        "c1": Subscription(["t0"], owned_partitions=[("t0", 0), ("t0", 1), ("t0", 2)], generation=2),
        "c2": Subscription(["t0", "t1"], generation=2),
    }
    with pytest.raises(AssignorError, match="NullPointerException") as info:
        assign("sticky", {"t0": 3, "t1": 1, "solo": 1}, subs)
    assert info.value.java_exception == "NullPointerException"


def test_kafka_rack_aware_cooperative_rebalances_can_cycle_for_ever():
    """Named Kafka behaviour (reproduced): with KIP-881 racks, cooperative-sticky can alternate
    between two assignments for ever.  A member on rack "a" owning a partition with no replica
    on "a" (t0-1 has no rack at all) gives it up as rack-misaligned; the general algorithm then
    wants it back where it was, so cooperative-sticky withholds it; once it is unowned the next
    round hands it back, and the round after revokes it again.  Every round is safe (nothing is
    handed over while owned); the group just never settles.  Each round here is exactly what
    Kafka's classes at 1eb7644 return (recorded in test_assignors_java_golden.py).
    """
    ppt = {"t0": 3, "t1": 4}
    racks = {("t0", 0): {"b"}, ("t0", 1): set(), ("t0", 2): {"b"}, ("t1", 0): {"a"}, ("t1", 1): {"b"}, ("t1", 2): set(), ("t1", 3): {"a"}}
    topics = {"c0": ["t0", "t1"], "c1": ["t0"], "c2": ["t0", "t1"], "c3": ["t0", "t1"]}
    rack = {"c0": None, "c1": "a", "c2": "a", "c3": "b"}
    full = {"c0": parts("t1p2 t1p3"), "c1": parts("t0p0 t0p1"), "c2": parts("t1p0 t1p1"), "c3": parts("t0p2")}
    thin = {"c0": parts("t1p3"), "c1": parts("t0p0"), "c2": parts("t1p0"), "c3": parts("t0p2")}
    owned = full
    for generation in range(1, 7):
        subs = {m: Subscription(topics[m], owned[m], generation, rack[m]) for m in topics}
        result = assign("cooperative-sticky", ppt, subs, partition_racks=racks)
        assert result == (thin if owned == full else full)
        owned = result
    assert unowned_partitions(ppt, thin) == [("t0", 1), ("t1", 1), ("t1", 2)]


# ---------------------------------------------------------------------------- helpers


def test_member_counts_and_balance():
    a = {"c1": [("t", 0), ("t", 1), ("t", 2)], "c2": [("t", 3)], "c3": []}
    assert member_counts(a) == {"c1": 3, "c2": 1, "c3": 0}
    assert balance(a) == 3
    assert balance({}) == 0
    assert balance(assign("sticky", {"t": 10}, {f"c{i}": ["t"] for i in range(4)})) == 1


def test_moved_partitions_reports_from_and_to():
    before = {"c1": [("t", 0), ("t", 1)], "c2": [("t", 2)]}
    after = {"c1": [("t", 0)], "c2": [("t", 2), ("t", 3)], "c3": [("t", 1)]}
    assert moved_partitions(before, after) == [
        PartitionMove(("t", 1), "c1", "c3"),
        PartitionMove(("t", 3), None, "c2"),
    ]
    with pytest.raises(ValueError, match=r"\('t', 0\) is assigned to both"):
        moved_partitions({"a": [("t", 0)], "b": [("t", 0)]}, {})


def test_cooperative_round_then_follow_up_with_helpers():
    ppt = {"t": 6}
    before = {"c1": [("t", p) for p in range(6)]}
    subs = {"c1": Subscription(["t"], owned_partitions=before["c1"], generation=1), "c2": Subscription(["t"])}
    first = assign("cooperative-sticky", ppt, subs)
    assert unowned_partitions(ppt, first) == [("t", 3), ("t", 4), ("t", 5)]
    assert [m.to_member for m in moved_partitions(before, first)] == [None, None, None]
    follow_up = assign(
        "cooperative-sticky",
        ppt,
        {m: Subscription(["t"], owned_partitions=first[m], generation=2) for m in ("c1", "c2")},
    )
    assert unowned_partitions(ppt, follow_up) == []
    assert follow_up == {"c1": [("t", 0), ("t", 1), ("t", 2)], "c2": [("t", 3), ("t", 4), ("t", 5)]}
    assert [(m.from_member, m.to_member) for m in moved_partitions(first, follow_up)] == [(None, "c2")] * 3


def test_pure_and_deterministic():
    ppt = {"a": 7, "b": 5}
    subs = {f"m{i}": Subscription(["a", "b"] if i % 2 else ["a"], owned_partitions=[("a", i)], generation=i % 3) for i in range(6)}
    snapshot = repr(subs)
    for name in ALL:
        assert assign(name, ppt, subs) == assign(name, dict(ppt), dict(subs))
    assert repr(subs) == snapshot
