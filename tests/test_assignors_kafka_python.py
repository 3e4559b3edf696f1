"""kafkalab's assignors against kafka-python 3.0.12's, on random groups of up to 50 members.

kafka-python (a test-only dependency) runs its assignors without a broker: a cluster object
with ``topics()`` / ``partitions_for_topic()`` and members with ``member_id``,
``group_instance_id`` and a decoded ``ConsumerProtocolSubscription``.  Its eager sticky reads the
previous assignment from its user data, its cooperative-sticky from the owned-partitions field.

Java is the reference: where the two disagree kafkalab follows Java, and each disagreement is
named below.  In the random comparison, exactly the cases that meet one of kafka-python's two
known bugs (docs/real-clients.md §6) are strict expected failures, so a kafka-python that fixes a
bug fails them (XPASS) until the mark goes; the named differences each have their own test:

* bug 1: roundrobin crashes (KeyError) when its walk has to skip a member that does not read a
  partition's topic (which only differing subscriptions can cause);
* bug 2: range and roundrobin drop members of mixed static/dynamic groups: ``itertools.groupby``
  over members in arrival order keeps only the last run of static and of dynamic ones;
* no constrained algorithm (KAFKA-9987, Kafka 2.6): with uniform subscriptions and owned
  partitions kafka-python keeps as many owned partitions and is as balanced, but releases
  different ones; in particular it does not follow Java's HashMap order;
* claims from the same generation: Java drops both (KAFKA-12984), kafka-python keeps the first;
* cooperative-sticky: kafka-python treats the last claimant as the owner, ignoring generations;
  and it does not declare EAGER support;
* member ids ordered by code point instead of UTF-16 code unit;
* no KIP-881 rack-aware assignment;
* Kafka's empty-subscription quirk is Java-only.
"""

from __future__ import annotations

import itertools
import random
from collections import namedtuple

import pytest

pytest.importorskip("kafka")

from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor as KpCooperativeSticky  # noqa: E402
from kafka.coordinator.assignors.range import RangePartitionAssignor as KpRange  # noqa: E402
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor as KpRoundRobin  # noqa: E402
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor as KpSticky  # noqa: E402
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription  # noqa: E402
from kafka.structs import TopicPartition as KpTopicPartition  # noqa: E402

from kafkalab.assignors import (  # noqa: E402
    RebalanceProtocol,
    Subscription,
    assign,
    get_assignor,
)
from kafkalab.assignors.base import member_sort_key  # noqa: E402

ALL = ["range", "roundrobin", "sticky", "cooperative-sticky"]
_Member = namedtuple("_Member", "member_id group_instance_id metadata")


class _Cluster:
    def __init__(self, partitions_per_topic):
        self._partitions = {t: set(range(n)) for t, n in partitions_per_topic.items() if n > 0}

    def topics(self, exclude_internal_topics=True):
        return set(self._partitions)

    def partitions_for_topic(self, topic):
        return self._partitions.get(topic)


def kafka_python_assign(name: str, ppt: dict, subs: dict) -> dict:
    """Run kafka-python's assignor ``name`` on kafkalab's input; same result shape as ``assign``."""
    members = []
    for member_id, s in subs.items():
        generation = -1 if s.generation is None else s.generation
        if name == "sticky":
            owned = [KpTopicPartition(t, p) for t, p in s.owned_partitions] if s.owned_partitions else None
            metadata = KpSticky._metadata(list(s.topics), owned, generation)
        elif name == "cooperative-sticky":
            by_topic: dict = {}
            for t, p in s.owned_partitions:
                by_topic.setdefault(t, []).append(p)
            metadata = ConsumerProtocolSubscription(
                version=2,
                topics=sorted(s.topics),
                user_data=b"",
                owned_partitions=[ConsumerProtocolSubscription.TopicPartition(topic=t, partitions=ps) for t, ps in by_topic.items()],
                generation_id=generation,
            )
        else:
            metadata = ConsumerProtocolSubscription(version=0, topics=list(s.topics), user_data=b"")
        members.append(_Member(member_id, s.group_instance_id, metadata))
    assignor = {"range": KpRange, "roundrobin": KpRoundRobin, "sticky": KpSticky(), "cooperative-sticky": KpCooperativeSticky()}[name]
    result = assignor.assign(_Cluster(ppt), members)
    out = {m: [] for m in subs}
    for member_id, assignment in result.items():
        out[member_id] = sorted((t, p) for t, ps in assignment.assigned_partitions for p in ps)
    return out


# --------------------------------------------------------------------------- random comparison


def random_group(seed: int):
    """A group of 1-50 members: fresh, or rejoining after members left and joined (one generation)."""
    rng = random.Random(seed)
    topics = [f"topic-{i}" for i in range(rng.randint(1, 5))]
    ppt = {t: rng.randint(0, 20) for t in topics}
    uniform = rng.random() < 0.5
    n = rng.choice([1, 2, 3, 5, 8, 13, 21, 34, 50])
    statics = rng.choice(["none", "none", "all", "mixed"])

    def topics_of():
        return list(topics) if uniform else rng.sample(topics, rng.randint(1, len(topics)))

    ids = [f"consumer-{rng.randint(0, 9999)}-{i}" for i in range(n)]
    instance_ids = rng.sample(range(10 * n), n)
    topic_lists = {m: topics_of() for m in ids}
    owned, generation = {m: () for m in ids}, {m: None for m in ids}
    if rng.random() < 0.6:
        before = {m: topic_lists[m] for m in ids if rng.random() < 0.85}
        before.update({f"left-{i}": topics_of() for i in range(rng.randint(0, 3))})
        if before:
            previous = assign("sticky", ppt, before)
            for m in ids:
                if m in previous:
                    owned[m], generation[m] = previous[m], 4
    subs = {}
    for i, m in enumerate(ids):
        static = statics == "all" or (statics == "mixed" and rng.random() < 0.5)
        subs[m] = Subscription(topic_lists[m], owned[m], generation[m],
                               group_instance_id=f"instance-{instance_ids[i]}" if static else None)
    return ppt, subs


BUG_1 = "kafka-python 3.0.12 bug 1: roundrobin crashes (KeyError) when its walk skips a member"
BUG_2 = "kafka-python 3.0.12 bug 2: range/roundrobin drop members of mixed static/dynamic groups"


def roundrobin_walk_skips_a_member(ppt: dict, subs: dict) -> bool:
    """Bug 1's trigger: Java's round-robin walk (members in MemberInfo order, partitions sorted)
    reaches a member that does not read the partition's topic and must skip it; kafka-python
    then looks the skipped member up by the wrong key."""
    order = sorted(subs, key=lambda m: member_sort_key(m, subs[m]))
    topics = {t for s in subs.values() for t in s.topics}
    partitions = sorted((t, p) for t in topics for p in range(ppt.get(t, 0)))
    return any(t not in subs[order[i % len(order)]].topics for i, (t, _) in enumerate(partitions))


def dropped_by_groupby(arrivals: list) -> set:
    """The members kafka-python's ``{static?: list(run) for runs in groupby(...)}`` loses: all but
    the last run of static members and the last run of dynamic members; ``arrivals`` holds
    ``(member_id, group_instance_id)`` pairs in the order the members are passed."""
    survivors = {}
    for static, run in itertools.groupby(arrivals, key=lambda a: a[1] is not None):
        survivors[static] = list(run)
    return set(arrivals) - {a for run in survivors.values() for a in run}


def groupby_drops_a_member_java_gives_partitions(name: str, subs: dict, java: dict) -> bool:
    """Bug 2's trigger, where it changes the result: a dropped member is one that Java gives a
    partition (``java`` is kafkalab's result, the same as Java's); range drops per topic."""
    arrivals = [(m, s.group_instance_id) for m, s in subs.items()]
    if name == "roundrobin":
        return any(java[m] for m, _ in dropped_by_groupby(arrivals))
    topics = {t for s in subs.values() for t in s.topics}
    return any(
        any(tp_topic == t for tp_topic, _ in java[m])
        for t in topics
        for m, _ in dropped_by_groupby([a for a in arrivals if t in subs[a[0]].topics])
    )


def known_kafka_python_bugs(name: str, ppt: dict, subs: dict) -> list[str]:
    """The known kafka-python bugs that ``name`` meets on this group (empty: none)."""
    if name not in ("range", "roundrobin"):
        return []
    bugs = []
    if name == "roundrobin" and roundrobin_walk_skips_a_member(ppt, subs):
        bugs.append(BUG_1)
    if groupby_drops_a_member_java_gives_partitions(name, subs, assign(name, ppt, subs)):
        bugs.append(BUG_2)
    return bugs


def constrained_with_owned_partitions(name: str, ppt: dict, subs: dict) -> bool:
    """The named difference 'no constrained algorithm' applies."""
    if name not in ("sticky", "cooperative-sticky"):
        return False
    uniform = len({frozenset(s.topics) for s in subs.values()}) == 1
    return uniform and any(s.owned_partitions for s in subs.values())


def kept(subs: dict, result: dict) -> int:
    return sum(len(set(result[m]) & set(subs[m].owned_partitions)) for m in subs)


def spread(result: dict) -> int:
    sizes = [len(v) for v in result.values()]
    return max(sizes) - min(sizes)


def _case(seed: int, name: str):
    ppt, subs = random_group(seed)
    bugs = known_kafka_python_bugs(name, ppt, subs)
    # bug 1 raises KeyError inside kafka-python; bug 2 makes the results differ
    raises = tuple({BUG_1: KeyError, BUG_2: AssertionError}[bug] for bug in bugs)
    marks = [pytest.mark.xfail(strict=True, reason="; ".join(bugs), raises=raises)] if bugs else []
    return pytest.param(seed, name, id=f"{name}-{seed}", marks=marks)


CASES = [_case(seed, name) for seed in range(60) for name in ALL]


@pytest.mark.parametrize("seed, name", CASES)
def test_same_result_as_kafka_python(seed, name):
    ppt, subs = random_group(seed)
    ours = assign(name, ppt, subs)
    theirs = kafka_python_assign(name, ppt, subs)
    if constrained_with_owned_partitions(name, ppt, subs):
        # Named difference (test_no_constrained_algorithm_in_kafka_python): same quality.
        if name == "sticky":
            assert kept(subs, ours) == kept(subs, theirs)
            assert spread(ours) <= 1 and spread(theirs) <= 1
        return
    assert ours == theirs


def test_random_cases_cover_every_kind_of_group():
    # The comparison above is only worth something if it meets every kind of group.
    kinds = set()
    for seed in range(60):
        ppt, subs = random_group(seed)
        kinds.add(("uniform" if len({frozenset(s.topics) for s in subs.values()}) == 1 else "mixed",
                   "owned" if any(s.owned_partitions for s in subs.values()) else "fresh",
                   len(subs) > 20))
    assert len(kinds) == 8


# --------------------------------------------------------------------------- known bugs


def test_bug_1_kafka_python_roundrobin_crashes_when_subscriptions_differ():
    ppt = {"t0": 1, "t1": 2, "t2": 3}
    subs = {"C0": Subscription(["t0"]), "C1": Subscription(["t0", "t1"]), "C2": Subscription(["t0", "t1", "t2"])}
    with pytest.raises(KeyError):
        kafka_python_assign("roundrobin", ppt, subs)
    # Java's RoundRobinAssignor javadoc example.
    assert assign("roundrobin", ppt, subs) == {
        "C0": [("t0", 0)],
        "C1": [("t1", 0)],
        "C2": [("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)],
    }


@pytest.mark.parametrize("name", ["range", "roundrobin"])
def test_bug_2_kafka_python_drops_members_of_mixed_static_dynamic_groups(name):
    subs = {"c1": Subscription(["t"]), "c2": Subscription(["t"], group_instance_id="s2"), "c3": Subscription(["t"])}
    theirs = kafka_python_assign(name, {"t": 6}, subs)
    ours = assign(name, {"t": 6}, subs)
    assert theirs["c1"] == []  # itertools.groupby over unsorted (static?, id) pairs loses c1
    assert all(ours[m] for m in subs)  # Java: s2 first, then c1, c3
    assert ours == {
        "range": {"c1": [("t", 2), ("t", 3)], "c2": [("t", 0), ("t", 1)], "c3": [("t", 4), ("t", 5)]},
        "roundrobin": {"c1": [("t", 1), ("t", 4)], "c2": [("t", 0), ("t", 3)], "c3": [("t", 2), ("t", 5)]},
    }[name]


# --------------------------------------------------------------------------- named differences


def test_no_constrained_algorithm_in_kafka_python_hash_map_order():
    """kafka-python's sticky is the pre-2.6 general algorithm for every group; Java runs the
    constrained one for uniform subscriptions (KAFKA-9987) and visits members in HashMap order.
    Kafka's testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: consumer2 keeps two."""
    both = ["topic1", "topic2"]
    subs = {
        "consumer1": Subscription(both, [("topic1", 0), ("topic2", 0)], 1),
        "consumer2": Subscription(both, [("topic1", 1), ("topic2", 1)], 1),
        "consumer3": Subscription(both, [], 1),
    }
    ppt = {"topic1": 2, "topic2": 2}
    assert assign("sticky", ppt, subs) == {
        "consumer1": [("topic1", 0)],
        "consumer2": [("topic1", 1), ("topic2", 1)],
        "consumer3": [("topic2", 0)],
    }
    assert kafka_python_assign("sticky", ppt, subs) == {
        "consumer1": [("topic1", 0), ("topic2", 0)],
        "consumer2": [("topic1", 1)],
        "consumer3": [("topic2", 1)],
    }


def test_no_constrained_algorithm_in_kafka_python_same_quality_other_partitions():
    # t0 has 10 partitions; m26 owned 4, m49 owned 3; three newcomers.  Both keep 2 + 2, but
    # Java releases m26's highest partitions (owned sorted by partition, first min_quota kept)
    # and deals the free ones round-robin in member order.
    owned = {"m26": [("t0", p) for p in (0, 3, 6, 9)], "m49": [("t0", p) for p in (1, 4, 7)]}
    subs = {m: Subscription(["t0"], owned.get(m, ()), 1) for m in ("m26", "m49", "n0", "n1", "n2")}
    ours = assign("sticky", {"t0": 10}, subs)
    theirs = kafka_python_assign("sticky", {"t0": 10}, subs)
    assert ours == {
        "m26": [("t0", 0), ("t0", 3)],
        "m49": [("t0", 1), ("t0", 4)],
        "n0": [("t0", 2), ("t0", 7)],
        "n1": [("t0", 5), ("t0", 8)],
        "n2": [("t0", 6), ("t0", 9)],
    }
    assert ours != theirs
    assert kept(subs, ours) == kept(subs, theirs) == 4
    assert spread(ours) == spread(theirs) == 0


def test_same_generation_double_claim_java_drops_both_kafka_python_keeps_the_first():
    # Kafka's testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumers...
    subs = {
        "consumer1": Subscription(["topic"], [("topic", 0), ("topic", 1)], 1),
        "consumer2": Subscription(["topic"], [("topic", 0), ("topic", 2)], 1),
        "consumer3": Subscription(["topic"], [], 1),
    }
    assert assign("sticky", {"topic": 3}, subs) == {
        "consumer1": [("topic", 1)],
        "consumer2": [("topic", 2)],
        "consumer3": [("topic", 0)],
    }
    assert kafka_python_assign("sticky", {"topic": 3}, subs) == {
        "consumer1": [("topic", 0)],
        "consumer2": [("topic", 2)],
        "consumer3": [("topic", 1)],
    }


@pytest.mark.parametrize("stale_generation", [9, None])
def test_kafka_python_cooperative_ignores_generations_of_owned_partitions(stale_generation):
    # Kafka's testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration / ...NoGeneration:
    # consumer1 (generation 10) keeps its partitions.  kafka-python's cooperative-sticky takes the
    # last claimant as "current owner", so it withholds all of consumer1's partitions.
    claim = [("topic", 0), ("topic", 2), ("topic2", 1)]
    subs = {
        "consumer1": Subscription(["topic", "topic2"], claim, 10),
        "consumer2": Subscription(["topic", "topic2"], claim, stale_generation),
    }
    ppt = {"topic": 3, "topic2": 3}
    rest = [("topic", 1), ("topic2", 0), ("topic2", 2)]
    assert assign("cooperative-sticky", ppt, subs) == {"consumer1": claim, "consumer2": rest}
    assert kafka_python_assign("cooperative-sticky", ppt, subs) == {"consumer1": [], "consumer2": rest}


def test_kafka_python_cooperative_does_not_declare_eager_support():
    # Java's CooperativeStickyAssignor.supportedProtocols() is [COOPERATIVE, EAGER], which is what
    # lets it share a consumer's list with range during the rolling upgrade (KIP-429).
    assert set(get_assignor("cooperative-sticky").supported_protocols) == {RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER}
    assert [p.name for p in KpCooperativeSticky().supported_protocols()] == ["COOPERATIVE"]


@pytest.mark.parametrize("name", ALL)
def test_member_order_utf16_in_java_code_points_in_kafka_python(name):
    subs = {"\uff21": Subscription(["t"]), "\U0001f600": Subscription(["t"])}
    ours = assign(name, {"t": 3}, subs)
    theirs = kafka_python_assign(name, {"t": 3}, subs)
    # Java sorts the emoji (surrogate 0xD83D) before U+FF21; Python the other way round.
    assert len(ours["\U0001f600"]) == 2 and len(theirs["\uff21"]) == 2


def test_kafka_python_has_no_rack_aware_assignment():
    # KIP-881 (Kafka 3.5): with replication 1 the member on rack "b" gets the partitions on "b".
    ppt = {"t": 4}
    racks = {("t", p): {"a" if p % 2 == 0 else "b"} for p in range(4)}
    subs = {"c1": Subscription(["t"], rack="a"), "c2": Subscription(["t"], rack="b")}
    assert assign("range", ppt, subs, partition_racks=racks) == {"c1": [("t", 0), ("t", 2)], "c2": [("t", 1), ("t", 3)]}
    assert assign("sticky", ppt, subs, partition_racks=racks) == {"c1": [("t", 0), ("t", 2)], "c2": [("t", 1), ("t", 3)]}
    # kafka-python's subscriptions carry no rack; it returns the rack-blind result.
    assert kafka_python_assign("range", ppt, subs) == {"c1": [("t", 0), ("t", 1)], "c2": [("t", 2), ("t", 3)]}


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
def test_empty_subscription_quirk_is_java_only(name):
    # See test_assignors.py::test_kafka_quirk_a_member_without_topics_visited_first_looks_uniform.
    subs = {"consumer1": Subscription(["t"]), "consumer2": Subscription(["t"]), "consumer3": Subscription([])}
    assert assign(name, {"t": 3}, subs)["consumer3"] == [("t", 2)]
    assert kafka_python_assign(name, {"t": 3}, subs)["consumer3"] == []


def test_stale_claim_on_unsubscribed_topic_same_in_kafka_python():
    # test_assignors.py's Java bug: kafka-python's older general algorithm has it too.
    subs = {
        "c0": Subscription(["t1", "t0"], [], 1),
        "c1": Subscription(["t0"], [("t1", 0)], 1),
        "c2": Subscription(["t0", "t1"], [("t0", 0), ("t1", 0)], 2),
    }
    ppt = {"t0": 1, "t1": 1}
    assert assign("sticky", ppt, subs) == kafka_python_assign("sticky", ppt, subs) == {
        "c0": [],
        "c1": [("t1", 0)],
        "c2": [("t0", 0)],
    }
