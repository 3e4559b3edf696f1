"""kafkalab.modern.assignor: Kafka's own assignor unit tests, properties, Java order, API errors.

The named tests reproduce the cases of apache/kafka's ``OptimizedUniformAssignmentBuilderTest``
(homogeneous uniform), ``UniformHeterogeneousAssignmentBuilderTest`` and ``RangeAssignorTest``,
with the expected assignments of their assertions.  Like those tests, members are listed in
sorted order (Kafka's tests use a ``TreeMap`` or a ``GroupSpec`` that sorts), and a current
assignment built with ``mkAssignment`` (a ``HashMap``) lists its topics in Java ``HashMap``
order (:func:`hash_map`), one built with ``mkOrderedAssignment`` in the given order.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkalab.errors import ErrorCode
from kafkalab.modern.assignor import (
    ASSIGNORS,
    ConsumerGroupPartitionAssignor,
    GroupAssignment,
    GroupSpec,
    MemberAssignment,
    MemberSubscriptionAndAssignment,
    PartitionAssignorError,
    RangeAssignor,
    RangeSet,
    SubscribedTopicDescriberImpl,
    SubscriptionType,
    UniformAssignor,
    Uuid,
    get_assignor,
    get_assignors,
    subscription_type_of,
)
from kafkalab.java import spread
from kafkalab.modern.assignor._java import partition_order, topic_order

T1 = Uuid("T1-A4s3VTwiI5CTbEp6POw")
T2 = Uuid("T2-B4s3VTwiI5YHbPp6YUe")
T3 = Uuid("T3-CU8fVTLCz5YMkLoDQsa")
T4 = Uuid("T4-Tw9fVTLCz5HbPp6YQsa")
HOMO, HETERO = SubscriptionType.HOMOGENEOUS, SubscriptionType.HETEROGENEOUS


def M(topics=(), prev=None, instance=None):  # noqa: N802 - reads like Kafka's constructor
    return MemberSubscriptionAndAssignment(list(topics), prev, instance_id=instance)


def hash_map(prev: dict) -> dict:
    """The topics of ``mkAssignment`` (a ``HashMap``) in Java iteration order (distinct buckets here)."""
    buckets = {t: spread(t.java_hash_code()) & 15 for t in prev}
    assert len(set(buckets.values())) == len(buckets)
    return {t: prev[t] for t in sorted(prev, key=buckets.get)}


def run(assignor, counts, members, subscription_type=None):
    spec = GroupSpec(members, subscription_type)
    result = get_assignor(assignor).assign(spec, SubscribedTopicDescriberImpl(counts))
    return {m: {t: sorted(p) for t, p in a.partitions.items()} for m, a in result.members.items()}


def expect(**members):
    return {m: {t: list(p) for t, p in a.items()} for m, a in members.items()}


# ------------------------------------------------------------------------------ Kafka's tests: homogeneous uniform


def test_uniform_one_member_no_topic_subscription():
    assert run("uniform", {T1: 3}, {"A": M()}, HOMO) == {}


def test_uniform_one_member_subscribed_to_nonexistent_topic():
    with pytest.raises(PartitionAssignorError) as e:
        run("uniform", {T1: 3}, {"A": M([T2])}, HOMO)
    assert e.value.java_exception == "PartitionAssignorException"
    assert str(e.value) == f"Members are subscribed to topic {T2} which doesn't exist in the topic metadata."
    assert e.value.error_code is ErrorCode.UNKNOWN_SERVER_ERROR


def test_uniform_first_assignment_two_members_two_topics_no_member_racks():
    members = {"A": M([T1, T3]), "B": M([T1, T3])}
    assert run("uniform", {T1: 3, T3: 2}, members, HOMO) == expect(A={T1: [0], T3: [0, 1]}, B={T1: [1, 2]})


def test_uniform_first_assignment_num_members_greater_than_total_num_partitions():
    members = {"A": M([T3]), "B": M([T3]), "C": M([T3])}
    assert run("uniform", {T3: 2}, members, HOMO) == expect(A={T3: [0]}, B={T3: [1]}, C={})


def test_uniform_validity_and_balance_for_large_sample_set():
    rng = random.Random(1)
    counts = {Uuid.from_bits(rng.getrandbits(64), rng.getrandbits(64)): 3 for _ in range(1, 100)}
    members = {f"member{i}": M(counts) for i in sorted(range(1, 50), key=str)}
    result = run("uniform", counts, members, HOMO)
    assert_every_partition_once(result, counts, members)
    sizes = [sum(map(len, a.values())) for a in result.values()]
    assert max(sizes) - min(sizes) <= 1


def test_uniform_reassignment_for_two_members_two_topics_given_unbalanced_prev_assignment():
    members = {  # mkOrderedAssignment: the topics in the given order
        "A": M([T1, T2], {T1: {0, 1}, T2: {0, 1}}),
        "B": M([T1, T2], {T1: {2}, T2: {2}}),
    }
    assert run("uniform", {T1: 3, T2: 3}, members, HOMO) == expect(
        A={T1: [0, 1], T2: [0]}, B={T1: [2], T2: [1, 2]}
    )


def test_uniform_reassignment_when_partitions_are_added_for_two_members_two_topics():
    members = {"A": M([T1, T2], {T1: {0, 2}, T2: {0}}), "B": M([T1, T2], {T1: {1}, T2: {1, 2}})}
    assert run("uniform", {T1: 6, T2: 5}, members, HOMO) == expect(
        A={T1: [0, 2, 3], T2: [0, 3, 4]}, B={T1: [1, 4, 5], T2: [1, 2]}
    )


def test_uniform_reassignment_when_one_member_added_after_initial_assignment_with_two_members_two_topics():
    members = {
        "A": M([T1, T2], {T1: {0, 2}, T2: {0}}),
        "B": M([T1, T2], {T1: {1}, T2: {1, 2}}),
        "C": M([T1, T2]),
    }
    assert run("uniform", {T1: 3, T2: 3}, members, HOMO) == expect(
        A={T1: [0, 2]}, B={T1: [1], T2: [1]}, C={T2: [0, 2]}
    )


def test_uniform_reassignment_when_one_member_removed_after_initial_assignment_with_three_members_two_topics():
    members = {
        "A": M([T1, T2], hash_map({T1: {0}, T2: {0}})),
        "B": M([T1, T2], hash_map({T1: {1}, T2: {1}})),
    }
    assert run("uniform", {T1: 3, T2: 3}, members, HOMO) == expect(
        A={T1: [0], T2: [0, 2]}, B={T1: [1, 2], T2: [1]}
    )


def test_uniform_reassignment_when_one_subscription_removed_after_initial_assignment_with_two_members_two_topics():
    members = {
        "A": M([T2], hash_map({T1: {0}, T2: {0}})),
        "B": M([T2], hash_map({T1: {1}, T2: {1}})),
    }
    assert run("uniform", {T1: 2, T2: 2}, members, HOMO) == expect(A={T2: [0]}, B={T2: [1]})


# ------------------------------------------------------------------------------ Kafka's tests: heterogeneous uniform


def test_uniform_two_members_no_topic_subscription():
    assert run("uniform", {T1: 3}, {"A": M(), "B": M()}, HETERO) == {}


def test_uniform_two_members_subscribed_to_nonexistent_topics():
    with pytest.raises(PartitionAssignorError, match=f"subscribed to topic {T3} which doesn't exist"):
        run("uniform", {T1: 3}, {"A": M([T3]), "B": M([T2])}, HETERO)


def test_uniform_heterogeneous_first_assignment_two_members_two_topics():
    members = {"A": M([T1, T3]), "B": M([T3])}
    assert run("uniform", {T1: 3, T3: 6}, members, HETERO) == expect(
        A={T1: [0, 1, 2], T3: [4]}, B={T3: [0, 1, 2, 3, 5]}
    )


def test_uniform_heterogeneous_first_assignment_num_members_greater_than_total_num_partitions():
    members = {"A": M([T3]), "B": M([T3]), "C": M([T1])}
    assert run("uniform", {T3: 1, T1: 2}, members, HETERO) == expect(A={T3: [0]}, B={}, C={T1: [0, 1]})


def test_uniform_reassignment_for_two_members_three_topics_given_unbalanced_prev_assignment():
    members = {
        "A": M([T1], {T1: {0, 1, 2}}),
        "B": M([T1, T2], hash_map({T1: {3}, T2: {0}})),
        "C": M([T1, T2, T3], hash_map({T1: {4, 5}, T2: {1, 2, 3}, T3: {0, 1, 2, 3}})),
    }
    assert run("uniform", {T1: 6, T2: 4, T3: 4}, members, HETERO) == expect(
        A={T1: [0, 1, 2, 5]}, B={T1: [3], T2: [0, 1, 2, 3]}, C={T1: [4], T3: [0, 1, 2, 3]}
    )


def test_uniform_reassignment_when_partitions_are_added_for_two_members():
    members = {
        "A": M([T1, T3], hash_map({T1: {0, 1, 2, 3}, T3: {0, 1}})),
        "B": M([T1, T2, T3, T4], hash_map({T2: {0, 1, 2}, T4: {0, 1, 2}})),
    }
    assert run("uniform", {T1: 6, T2: 5, T3: 3, T4: 3}, members, HETERO) == expect(
        A={T1: [0, 1, 2, 3, 4, 5], T3: [0, 1, 2]}, B={T2: [0, 1, 2, 3, 4], T4: [0, 1, 2]}
    )


def test_uniform_reassignment_when_one_member_added_and_partitions_added_two_members_two_topics():
    members = {
        "A": M([T1], hash_map({T1: {0, 2}, T2: {0}})),
        "B": M([T1, T2], hash_map({T1: {1}, T2: {1, 2}})),
        "C": M([T1, T2]),
    }
    assert run("uniform", {T1: 6, T2: 7}, members, HETERO) == expect(
        A={T1: [0, 2, 3, 4, 5]}, B={T1: [1], T2: [1, 2, 6]}, C={T2: [0, 3, 4, 5]}
    )


def test_uniform_reassignment_when_one_member_removed_after_initial_assignment_with_three_members_three_topics():
    members = {
        "A": M([T1, T3], hash_map({T1: {0, 1, 2}, T3: {0, 1}})),
        "B": M([T2], {T2: {3, 4, 5, 6}}),
    }
    assert run("uniform", {T1: 3, T2: 8, T3: 3}, members, HETERO) == expect(
        A={T1: [0, 1, 2], T3: [0, 1, 2]}, B={T2: [0, 1, 2, 3, 4, 5, 6, 7]}
    )


def test_uniform_heterogeneous_reassignment_when_one_subscription_removed():
    members = {
        "A": M([T1], hash_map({T1: {0, 2}, T2: {1, 3}})),
        "B": M([T1, T2], hash_map({T1: {1}, T2: {0, 2, 4}})),
    }
    assert run("uniform", {T1: 3, T2: 5}, members, HETERO) == expect(A={T1: [0, 1, 2]}, B={T2: [0, 1, 2, 3, 4]})


def test_uniform_reassignment_when_topic_partitions_run_out_and_members_have_no_partitions():
    members = {
        "A": M([T1, T2, T3], hash_map({T1: {0, 1}, T2: {0, 1}, T3: {0, 1}})),
        "B": M([T1, T2, T3]),
    }
    assert run("uniform", {T1: 2, T2: 2, T3: 2}, members, HETERO) == expect(
        A={T2: [0], T3: [0, 1]}, B={T1: [0, 1], T2: [1]}
    )


def test_uniform_first_assignment_with_two_members_including_one_without_subscriptions():
    assert run("uniform", {T1: 3}, {"A": M([T1]), "B": M()}, HETERO) == expect(A={T1: [0, 1, 2]}, B={})


# ------------------------------------------------------------------------------ Kafka's tests: range


def test_range_one_member_no_topic():
    assert run("range", {T1: 3}, {"A": M()}, HOMO) == {"A": {}}


def test_range_one_member_subscribed_to_non_existent_topic():
    with pytest.raises(PartitionAssignorError, match="^Member is subscribed to a non-existent topic$"):
        run("range", {T1: 3}, {"A": M([T2])}, HOMO)


def test_range_first_assignment_two_members_two_topics_same_subscriptions():
    members = {"A": M([T1, T3]), "B": M([T1, T3])}
    assert run("range", {T1: 3, T3: 2}, members, HOMO) == expect(A={T1: [0, 1], T3: [0]}, B={T1: [2], T3: [1]})


def test_range_first_assignment_three_members_three_topics_different_subscriptions():
    members = {"A": M([T1, T2]), "B": M([T3]), "C": M([T2, T3])}
    assert run("range", {T1: 3, T2: 3, T3: 2}, members, HETERO) == expect(
        A={T1: [0, 1, 2], T2: [0, 1]}, B={T3: [0]}, C={T2: [2], T3: [1]}
    )


def test_range_first_assignment_num_members_greater_than_num_partitions():
    members = {"A": M([T1, T3]), "B": M([T1, T3]), "C": M([T1, T3])}
    assert run("range", {T1: 3, T3: 2}, members, HOMO) == expect(
        A={T1: [0], T3: [0]}, B={T1: [1], T3: [1]}, C={T1: [2]}
    )


def test_range_static_membership():
    members = {"A": M([T1], instance="instanceA"), "B": M([T1], instance="instanceB")}
    before = run("range", {T1: 3}, members, HOMO)
    del members["A"]
    members["memberA1"] = M([T1], instance="instanceA")
    after = run("range", {T1: 3}, members, HOMO)
    assert after["memberA1"] == before["A"] and after["B"] == before["B"]


def test_range_mixed_static_membership():
    members = {"A": M([T1], instance="instanceA"), "B": M([T1]), "C": M([T1], instance="instanceC")}
    before = run("range", {T1: 5}, members, HOMO)
    del members["A"]
    members["memberA1"] = M([T1], instance="instanceA")
    after = run("range", {T1: 5}, members, HOMO)
    assert (after["memberA1"], after["B"], after["C"]) == (before["A"], before["B"], before["C"])
    # Static members first, by instance id; then the others by member id.
    assert before == expect(A={T1: [0, 1]}, C={T1: [2, 3]}, B={T1: [4]})


def test_range_reassignment_num_members_greater_than_num_partitions_when_one_member_added():
    members = {"A": M([T1, T2], {T1: {0}, T2: {0}}), "B": M([T1, T2], {T1: {1}, T2: {1}}), "C": M([T1, T2])}
    assert run("range", {T1: 2, T2: 2}, members, HOMO) == expect(A={T1: [0], T2: [0]}, B={T1: [1], T2: [1]}, C={})


def test_range_reassignment_when_one_partition_added_for_two_members_two_topics():
    members = {"A": M([T1, T2], {T1: {0, 1}, T2: {0, 1}}), "B": M([T1, T2], {T1: {2}, T2: {2}})}
    assert run("range", {T1: 4, T2: 4}, members, HOMO) == expect(
        A={T1: [0, 1], T2: [0, 1]}, B={T1: [2, 3], T2: [2, 3]}
    )


def test_range_reassignment_when_one_member_added_after_initial_assignment_with_two_members_two_topics():
    members = {
        "A": M([T1, T2], {T1: {0, 1}, T2: {0, 1}}),
        "B": M([T1, T2], {T1: {2}, T2: {2}}),
        "C": M([T1, T2]),
    }
    # A and B lose partitions they held: range is not sticky.
    assert run("range", {T1: 3, T2: 3}, members, HOMO) == expect(
        A={T1: [0], T2: [0]}, B={T1: [1], T2: [1]}, C={T1: [2], T2: [2]}
    )


def test_range_reassignment_when_one_member_added_and_one_partition_after_initial_assignment():
    members = {
        "A": M([T1, T2], {T1: {0, 1}, T2: {0, 1}}),
        "B": M([T1, T2], {T1: {2}, T2: {2}}),
        "C": M([T1]),
    }
    assert run("range", {T1: 4, T2: 3}, members, HETERO) == expect(
        A={T1: [0, 1], T2: [0, 1]}, B={T1: [2], T2: [2]}, C={T1: [3]}
    )


def test_range_reassignment_when_one_member_removed_after_initial_assignment_with_two_members_two_topics():
    members = {"B": M([T1, T2], {T1: {2}, T2: {2}})}
    assert run("range", {T1: 3, T2: 3}, members, HOMO) == expect(B={T1: [0, 1, 2], T2: [0, 1, 2]})


def test_range_reassignment_when_multiple_subscriptions_removed_after_initial_assignment():
    members = {
        "A": M([T1], {T1: {0, 1, 2}, T2: {0}}),
        "B": M([T1, T2, T3], {T2: {1}}),
        "C": M([T2], {T2: {2}, T3: {0, 1}}),
    }
    assert run("range", {T1: 3, T2: 3, T3: 2}, members, HETERO) == expect(
        A={T1: [0, 1]}, B={T1: [2], T2: [0, 1], T3: [0, 1]}, C={T2: [2]}
    )


# ------------------------------------------------------------------------------ Java iteration order


def test_uuid_matches_kafkas_uuid_class():
    # Values printed by org.apache.kafka.common.Uuid (fromString, toString, hashCode, the longs).
    assert str(T2) == "T2-B4s3VTwiI5YHbPp6YUQ"  # unused trailing bits dropped, as toString() shows
    assert (T1.most_significant_bits, T1.least_significant_bits) == (5719431763388092168, -8582694466532503749)
    assert [t.java_hash_code() for t in (T1, T2, T3, T4)] == [418407434, 885118816, 365927798, -1944536819]
    assert str(Uuid.from_bits(0, 1)) == "AAAAAAAAAAAAAAAAAAAAAQ"
    assert str(Uuid.from_bits(-1, -1)) == "_____________________w"
    assert Uuid.from_bits(-1, -1).java_hash_code() == 0
    assert Uuid.from_bits(1 << 32, 5).java_hash_code() == 4
    ids = [T1, T2, T3, T4, Uuid.from_bits(-5, 3), Uuid.from_bits(-5, -3), Uuid.from_bits(7, 0)]
    assert [str(u) for u in sorted(ids, key=lambda u: u.compare_key)] == [
        "__________v__________Q", "__________sAAAAAAAAAAw", "AAAAAAAAAAcAAAAAAAAAAA",
        str(T1), str(T2), str(T3), str(T4),
    ]
    assert Uuid(str(T3)) == T3 and Uuid(T3) is T3 and hash(T3) == hash(str(T3))


def test_topic_order_is_java_hash_set_order():
    # new HashSet<>(...) of Kafka's test topic ids, as Java 17 prints them.
    assert topic_order([T1, T3]) == [T3, T1]
    assert topic_order([T1, T2]) == [T2, T1]
    assert topic_order([T1, T2, T3]) == [T2, T3, T1]
    assert topic_order([T1, T2, T3, T4]) == [T2, T4, T3, T1]


def test_partition_order_is_java_hash_set_order():
    # new HashSet<>(ascending list) as Java 17 prints it.
    assert partition_order([14, 15, 16, 17]) == [16, 17, 14, 15]
    assert partition_order([1, 2, 65536, 65537]) == [65537, 1, 65536, 2]
    assert partition_order(range(40)) == list(range(40))
    # 10 colliding partitions: the table doubles twice instead of building a tree.
    assert partition_order([3 + 32 * i for i in range(10)]) == [3, 67, 131, 195, 259, 35, 99, 163, 227, 291]
    # 12 and 16 colliding partitions in a 64-bucket table: a red-black tree, root first.
    assert partition_order([5 + 64 * i for i in range(12)]) == [197, 5, 69, 133, 261, 325, 389, 453, 517, 581, 645, 709]
    assert partition_order([7 + 64 * i for i in range(16)]) == [
        199, 7, 71, 135, 263, 327, 391, 455, 519, 583, 647, 711, 775, 839, 903, 967
    ]


def test_homogeneous_uniform_keeps_the_partitions_java_iterates_first():
    # 18 partitions, 9 members: quota 2.  A keeps the first two of {14, 15, 16, 17} in HashSet
    # order (16, 17); 14 and 15 go after the free partitions 0..13, so the last member gets them.
    # (Kafka's Java classes return exactly this.)
    members = {"A": M([T1], {T1: {14, 15, 16, 17}}), **{m: M([T1]) for m in "BCDEFGHI"}}
    assert run("uniform", {T1: 18}, members) == {
        "A": {T1: [16, 17]}, **{m: {T1: [2 * i, 2 * i + 1]} for i, m in enumerate("BCDEFGHI")}
    }


# ------------------------------------------------------------------------------ properties

UUIDS = st.builds(Uuid.from_bits, st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1))


@st.composite
def groups(draw, homogeneous=None):
    """A consistent group: disjoint current targets within the partition counts."""
    topic_ids = draw(st.lists(UUIDS, min_size=1, max_size=5, unique=True))
    counts = {t: draw(st.integers(0, 12)) for t in topic_ids}
    n = draw(st.integers(1, 7))
    member_ids = draw(st.lists(st.text("ABCDEFxyz\u00e9\U0001f600", min_size=1, max_size=3), min_size=n, max_size=n, unique=True))
    if homogeneous is None:
        homogeneous = draw(st.booleans())
    if homogeneous:
        common = draw(st.lists(st.sampled_from(topic_ids), unique=True))
        subs = [draw(st.permutations(common)) for _ in member_ids]
    else:
        subs = [draw(st.lists(st.sampled_from(topic_ids), unique=True)) for _ in member_ids]
    owned: list[dict] = [{} for _ in member_ids]
    for t, c in counts.items():
        for p in range(c):
            owner = draw(st.integers(-1, n - 1))
            if owner >= 0:
                owned[owner].setdefault(t, set()).add(p)
    instances = draw(st.lists(st.none() | st.sampled_from(["i1", "i2", "i3", "i4"]), min_size=n, max_size=n))
    seen: set = set()
    members = {}
    for i, m in enumerate(member_ids):
        instance = instances[i] if instances[i] not in seen else None
        seen.add(instance)
        members[m] = MemberSubscriptionAndAssignment(subs[i], owned[i], instance_id=instance)
    return GroupSpec(members), SubscribedTopicDescriberImpl(counts)


def sizes_of(result: GroupAssignment, spec: GroupSpec) -> dict[str, int]:
    return {m: sum(len(p) for p in result.members[m].partitions.values()) if m in result.members else 0 for m in spec.members}


def assert_every_partition_once(result: dict, counts: dict, members: dict) -> None:
    owners = Counter((t, p) for a in result.values() for t, ps in a.items() for p in ps)
    subscribed = {t for m in members.values() for t in m.subscribed_topic_ids}
    assert owners == Counter({(t, p): 1 for t in subscribed for p in range(counts[t])})
    for m, a in result.items():
        assert set(a) <= set(members[m].subscribed_topic_ids)


def plain(result: GroupAssignment) -> dict:
    return {m: {t: sorted(p) for t, p in a.partitions.items()} for m, a in result.members.items()}


@given(groups())
@settings(max_examples=150)
def test_every_subscribed_partition_is_assigned_exactly_once(group):
    spec, describer = group
    for assignor in ASSIGNORS.values():
        result = plain(assignor.assign(spec, describer))
        assert_every_partition_once(result, describer._counts, spec.members)


@given(groups(homogeneous=True))
@settings(max_examples=150)
def test_homogeneous_uniform_gives_the_first_members_the_extra_partitions_and_keeps_what_fits(group):
    spec, describer = group
    result = UniformAssignor().assign(spec, describer)
    topics = spec.members[spec.member_ids[0]].subscribed_topic_ids
    total = sum(describer.num_partitions(t) for t in topics)
    q, r = divmod(total, len(spec.members))
    if not topics:
        assert result.members == {}
        return
    assert list(sizes_of(result, spec).values()) == [q + 1] * r + [q] * (len(spec.members) - r)
    for i, (m, member) in enumerate(spec.members.items()):
        before = {(t, p) for t, ps in member.partitions.items() if t in topics for p in ps}
        after = {(t, p) for t, ps in result.members[m].partitions.items() for p in ps}
        assert len(before & after) == min(len(before), q + (i < r))


def assert_no_move_improves_balance(result: GroupAssignment, spec: GroupSpec) -> None:
    sizes = sizes_of(result, spec)
    for m, a in result.members.items():
        for t, parts in a.partitions.items():
            if parts:
                for other, member in spec.members.items():
                    if member.is_subscribed(t):
                        assert sizes[m] - sizes[other] <= 1, (m, other, t)


@given(groups())
@settings(max_examples=150)
def test_uniform_result_cannot_be_improved_by_moving_one_partition_and_is_stable(group):
    spec, describer = group
    result = UniformAssignor().assign(spec, describer)
    assert_no_move_improves_balance(result, spec)
    if spec.subscription_type is HOMO and result.members:
        assert max(sizes_of(result, spec).values()) - min(sizes_of(result, spec).values()) <= 1
    # Sticky: running again on its own output changes nothing.
    again = GroupSpec(
        {m: MemberSubscriptionAndAssignment(s.subscribed_topic_ids, result.members[m].partitions if m in result.members else None,
                                            instance_id=s.instance_id) for m, s in spec.members.items()},
        spec.subscription_type,
    )
    assert UniformAssignor().assign(again, describer) == result


@given(groups())
@settings(max_examples=100)
def test_range_ignores_current_assignments_and_is_co_partitioned(group):
    spec, describer = group
    result = RangeAssignor().assign(spec, describer)
    bare = GroupSpec(
        {m: MemberSubscriptionAndAssignment(s.subscribed_topic_ids, instance_id=s.instance_id) for m, s in spec.members.items()},
        spec.subscription_type,
    )
    assert RangeAssignor().assign(bare, describer) == result
    assert set(result.members) == set(spec.members)
    topics = spec.members[spec.member_ids[0]].subscribed_topic_ids
    if spec.subscription_type is HOMO and len({describer.num_partitions(t) for t in topics}) == 1:
        for a in result.members.values():
            assert len({frozenset(p) for p in a.partitions.values()}) <= 1


def test_uniform_heterogeneous_keeps_a_balanced_assignment_as_it_is():
    members = {
        "A": M([T1, T2], {T1: {0, 1}, T2: {0}}),
        "B": M([T2], {T2: {1, 2}}),
        "C": M([T1, T2, T3], {T1: {2}, T3: {0, 1}}),
    }
    counts = {T1: 3, T2: 3, T3: 2}
    assert run("uniform", counts, members) == expect(A={T1: [0, 1], T2: [0]}, B={T2: [1, 2]}, C={T1: [2], T3: [0, 1]})


def test_results_are_deterministic_and_do_not_depend_on_input_container_types():
    rng = random.Random(7)
    counts = {Uuid.from_bits(rng.getrandbits(64), rng.getrandbits(64)): rng.randint(0, 30) for _ in range(6)}
    topics = list(counts)

    def build(kind):
        members = {}
        for i in range(9):
            ts = topics if i % 3 else topics[: i % 4 + 1]
            prev = {t: (set if kind else list)(range(i, counts[t], 9)) for t in ts if range(i, counts[t], 9)}
            members[f"m{i}"] = M(ts, prev)
        return GroupSpec(members)

    for assignor in ("uniform", "range"):
        first = get_assignor(assignor).assign(build(True), SubscribedTopicDescriberImpl(counts))
        second = get_assignor(assignor).assign(build(False), SubscribedTopicDescriberImpl(dict(reversed(counts.items()))))
        assert first == second and plain(first) == plain(second)


# ------------------------------------------------------------------------------ API


def test_get_assignor_accepts_names_kafka_class_names_objects_and_classes():
    assert isinstance(get_assignor("uniform"), UniformAssignor)
    assert isinstance(get_assignor(" range "), RangeAssignor)
    assert get_assignor("org.apache.kafka.coordinator.group.assignor.RangeAssignor") is ASSIGNORS["range"]
    custom = UniformAssignor()
    assert get_assignor(custom) is custom
    assert isinstance(get_assignor(RangeAssignor), RangeAssignor)
    assert [a.name for a in get_assignors("uniform,range")] == ["uniform", "range"]
    assert list(ASSIGNORS) == ["uniform", "range"]


def test_bad_assignor_names_and_objects_are_clear_errors():
    with pytest.raises(ValueError, match="unknown server-side assignor 'sticky'; known: uniform, range"):
        get_assignor("sticky")
    with pytest.raises(TypeError, match="expected an assignor name"):
        get_assignor(42)
    with pytest.raises(ValueError, match="names must be unique"):
        get_assignors(["range", RangeAssignor()])
    with pytest.raises(ValueError, match="at least one"):
        get_assignors("")

    class Nameless(ConsumerGroupPartitionAssignor):
        pass

    with pytest.raises(ValueError, match="has no name"):
        get_assignor(Nameless())


def test_a_custom_assignor_plugs_in_like_kafkas_mock_assignor():
    class Fixed(ConsumerGroupPartitionAssignor):
        """Always returns the same target, as Kafka's tests install a MockPartitionAssignor."""

        name = "fixed"

        def __init__(self, target):
            self.target = target

        def assign(self, group_spec, subscribed_topic_describer):
            return GroupAssignment({m: MemberAssignment(a) for m, a in self.target.items()})

    fixed = get_assignor(Fixed({"A": {T1: [2, 0]}}))
    result = fixed.assign(GroupSpec({"A": M([T1])}), SubscribedTopicDescriberImpl({T1: 3}))
    assert result.members["A"].partitions == {T1: frozenset({0, 2})}
    assert [a.name for a in get_assignors([fixed, "uniform"])] == ["fixed", "uniform"]


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="not a topic id"):
        Uuid("orders")
    with pytest.raises(TypeError, match="topic id must be a Uuid"):
        Uuid(12)
    with pytest.raises(TypeError, match="must be a collection of topic ids"):
        MemberSubscriptionAndAssignment("T1-A4s3VTwiI5CTbEp6POw")
    with pytest.raises(ValueError, match="cannot be negative"):
        MemberSubscriptionAndAssignment([T1], {T1: {-1}})
    with pytest.raises(TypeError, match="a partition must be an int"):
        MemberSubscriptionAndAssignment([T1], {T1: {"0"}})
    with pytest.raises(TypeError, match="member id must be a str"):
        GroupSpec({1: M([T1])})
    with pytest.raises(ValueError, match="use HOMOGENEOUS or HETEROGENEOUS"):
        GroupSpec({"A": M([T1])}, "uniform")
    with pytest.raises(ValueError, match="Member Id B not found"):
        GroupSpec({"A": M([T1])}).member_subscription("B")
    with pytest.raises(ValueError, match="cannot be negative"):
        SubscribedTopicDescriberImpl({T1: -1})
    with pytest.raises(TypeError, match="not a member id and a MemberAssignment"):
        GroupAssignment({"A": {T1: [0]}})


def test_heterogeneous_uniform_rejects_a_partition_beyond_the_topic_like_java():
    spec = GroupSpec({"A": M([T1], {T1: {0, 5}}), "B": M([T2])})
    with pytest.raises(PartitionAssignorError) as e:
        UniformAssignor().assign(spec, SubscribedTopicDescriberImpl({T1: 3, T2: 1}))
    assert e.value.java_exception == "ArrayIndexOutOfBoundsException"


def test_group_spec_defaults_follow_kafka():
    spec = GroupSpec({"A": M([T1, T2], {T1: {0}}), "B": [T2, T1], "C": M([])})
    assert spec.member_ids == ("A", "B", "C")
    assert spec.subscription_type is HETERO  # C subscribes to nothing
    assert subscription_type_of({"A": M([T1]), "B": M([T1])}) is HOMO
    assert subscription_type_of({"A": M(), "B": M()}) is HOMO
    assert spec.is_partition_assigned(T1, 0) and not spec.is_partition_assigned(T1, 1)
    assert spec.is_partition_assigned(str(T1), 0)  # a topic id's text works as a key too
    assert spec.member_assignment("nobody").partitions == {}
    assert spec.members["B"].subscribed_topic_ids == (T2, T1)
    assert MemberSubscriptionAndAssignment({T2, T1}).subscribed_topic_ids == tuple(sorted([T1, T2], key=lambda u: u.compare_key))


def test_range_set_is_a_set():
    r = RangeSet(2, 5)
    assert r == {2, 3, 4} and {2, 3, 4} == r and frozenset(r) == frozenset({2, 3, 4})
    assert len(r) == 3 and 4 in r and 5 not in r and list(r) == [2, 3, 4]
    assert RangeSet(3, 3) == RangeSet(7, 7) == set() and hash(r) == hash(frozenset({2, 3, 4}))
    assert r | {9} == {2, 3, 4, 9} and r - {3} == {2, 4} and type(r & {2}) is frozenset
