"""Replay groups whose assignment Kafka's own Java server-side assignors computed.

tests/golden/server_assignors_java.jsonl holds 2,500 deterministic random groups, one per line
(sorted keys): topics (``t0``, ``t1``... with their Uuid and partition count; ``null`` = unknown
to the describer), members in ``memberIds()`` order with their subscriptions (in set iteration
order), current targets (in map order), instance and rack ids, sometimes an explicit inverted
assignment (a departed member's stale entries, or missing entries) and partition racks; and
``expect``: what apache/kafka's ``UniformAssignor`` / ``RangeAssignor`` returned (every member
present in the result and its partitions per topic), or the exception they threw.  kafkalab must
return exactly the same for every group, errors and messages included.

The groups cover homogeneous and heterogeneous subscriptions, empty subscriptions and groups,
topics with no partitions and unknown topics, static members, odd member ids (non-BMP
characters, whose Java order differs from Python's), stale and overlapping current targets,
topic ids that collide in Java's ``HashSet`` buckets (up to treeified buckets), big topics dealt
round-robin (partition sets that Java stores as red-black trees) and chains of members that hit
the heterogeneous builder's 16-round limit.  How they are handed to Java is described in
tests/server_assignors_java.py.

Provenance: Kafka's classes compiled from apache/kafka ``1eb7644`` (see tests/golden/README.md),
run by OpenJDK 17.  Regenerate (needs a JDK and a classpath with Kafka's group-coordinator
classes, e.g. a Kafka 4.0 release's ``libs/``)::

    python tests/server_assignors_java.py --kafka-classpath 'KAFKA_LIBS/*'
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from server_assignors_java import GOLDEN, run_kafkalab

from kafkalab.java import collection_capacity

CASES = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def _kind(case: dict) -> str:
    return f"{case['assignor']}-{case['subscription_type'].lower()}"


def test_golden_file_is_one_sorted_json_object_per_line():
    for line, case in zip(GOLDEN.read_text(encoding="utf-8").splitlines(), CASES):
        assert json.dumps(case, sort_keys=True, ensure_ascii=False, separators=(",", ":")) == line
    assert [c["id"] for c in CASES] == list(range(len(CASES)))


def _over_quota_with_full_bucket(case: dict) -> bool:
    # A member of a homogeneous uniform group holding more than its quota of a topic, in a set
    # where Java's HashSet has 9+ partitions in one bucket (treeified or resized).
    if case["assignor"] != "uniform" or case["subscription_type"] != "HOMOGENEOUS" or not case["members"]:
        return False
    total = sum(t["partitions"] or 0 for t in case["topics"].values())
    quota = total // len(case["members"])
    for m in case["members"]:
        for _, parts in m["assignment"]:
            cap = collection_capacity(len(parts))
            if len(parts) > quota and max(Counter(p & (cap - 1) for p in parts).values()) > 8:
                return True
    return False


def test_golden_cases_cover_the_interesting_paths():
    kinds = Counter(_kind(c) for c in CASES)
    assert min(kinds.values()) >= 300, kinds
    messages = [c["expect"]["error"]["message"] for c in CASES if "error" in c["expect"]]

    def count(prefix):
        return sum(m.startswith(prefix) for m in messages)

    assert count("Members are subscribed to topic ") >= 20  # uniform: unknown topic
    assert count("Member is subscribed to a non-existent topic") >= 20  # range: unknown topic
    assert count("Partitions were left unassigned") >= 5  # uniform homogeneous, stale inverted assignment
    assert sum(not c["members"] for c in CASES) >= 10
    assert sum("error" not in c["expect"] and not c["expect"]["members"] and bool(c["members"]) for c in CASES) >= 20
    assert sum(c.get("inverted") is not None for c in CASES) >= 200
    assert sum(any("instance" in m for m in c["members"]) for c in CASES) >= 500
    assert sum(_over_quota_with_full_bucket(c) for c in CASES) >= 5
    assert sum(len(c["members"]) >= 64 for c in CASES) >= 10
    assert sum(any(ord(ch) > 0xFFFF for m in c["members"] for ch in m["id"]) for c in CASES) >= 200


@pytest.mark.parametrize("kind", ["uniform-homogeneous", "uniform-heterogeneous", "range-homogeneous", "range-heterogeneous"])
def test_same_result_as_kafkas_java_classes(kind):
    cases = [c for c in CASES if _kind(c) == kind]
    wrong = [c for c in cases if run_kafkalab(c) != c["expect"]]
    details = "\n".join(
        f"case {c['id']}:\n  kafka:    {c['expect']}\n  kafkalab: {run_kafkalab(c)}" for c in wrong[:3]
    )
    assert not wrong, f"{len(wrong)} of {len(cases)} {kind} groups differ from Kafka's:\n{details}"
