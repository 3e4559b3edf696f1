"""Replay results computed by Kafka's own Java assignor classes.

The GOLDEN block at the end of this file holds random groups (up to 20 members, racks, static
members, odd member ids, previous ownership with conflicting generations, empty subscriptions,
Kafka's NullPointerException case) and what apache/kafka's ``RangeAssignor``,
``RoundRobinAssignor`` and ``AbstractStickyAssignor`` (commit 1eb7644, the snapshot
docs/classic-protocol.md is written from) returned for them, compiled and run by the harness below.
Each case must come out of kafkalab identically: the assignment, for the sticky assignors also
which algorithm ran and ``partitionsTransferringOwnership``, or the same exception.

The harness feeds eager ``sticky`` its previous assignment from the subscription fields (as
kafkalab does) instead of Kafka's user data, and re-implements ``CooperativeStickyAssignor``'s
post-processing without its user-data schema; everything else is Kafka's code.

Regenerate (needs a JDK and an apache/kafka checkout; rewrites the GOLDEN block)::

    python tests/test_assignors_java_golden.py --kafka-src /path/to/kafka [--groups 45]
"""

from __future__ import annotations

import base64
import json
import random
import sys
import zlib
from pathlib import Path

import pytest

from kafkalab.assignors import AssignorError, RangeAssignor, RoundRobinAssignor, Subscription
from kafkalab.assignors import CooperativeStickyAssignor, StickyAssignor

ASSIGNOR_CLASSES = {
    "range": RangeAssignor,
    "roundrobin": RoundRobinAssignor,
    "sticky": StickyAssignor,
    "cooperative-sticky": CooperativeStickyAssignor,
}


# ------------------------------------------------------------------------------ the cases


def generate_groups(seed: int, count: int) -> list[dict]:
    """Deterministic random groups in the JSON form stored in GOLDEN (without results)."""
    rng = random.Random(seed)
    groups = []
    for _ in range(count):
        topics = [f"t{i}" for i in range(rng.randint(1, 6))]
        ppt = {t: rng.choice([0, 1, 2, 3, 5, 8, 13, 21]) for t in topics}
        n = rng.choice([1, 2, 3, 4, 6, 9, 13, 20])
        shape = rng.choice(["uniform", "uniform", "random", "nested", "halves"])
        racks = None
        if rng.random() < 0.3:
            racks = [[t, p, sorted(rng.sample("abcd", rng.randint(0, 2)))] for t in topics for p in range(ppt[t])]

        def member_id(i):
            kind = rng.random()
            if kind < 0.5:
                return f"consumer-{rng.randint(0, 999)}-{i}"
            if kind < 0.7:
                return f"c{i}"
            if kind < 0.85:
                return rng.choice(["\u00e9", "\u03a9", "\U0001f600", "x", "\uff21"]) + str(i)
            return f"member{i:03d}"

        ids = [member_id(i) for i in range(n)]
        owned_mode = rng.choice(["none", "none", "previous", "previous", "claims"])
        members = []
        for i, m in enumerate(ids):
            if shape == "uniform":
                ts = list(topics)
            elif shape == "nested":
                ts = topics[: 1 + i % len(topics)]
            elif shape == "halves":
                half = max(1, len(topics) // 2)
                ts = topics[:half] if i % 3 == 0 else topics[half - 1:]
            else:
                ts = rng.sample(topics, rng.randint(0 if rng.random() < 0.05 else 1, len(topics)))
            owned, gen = [], None
            if owned_mode == "previous" and rng.random() < 0.85:
                # about one partition in n, round-robin style, as a previous assignment would be
                gen = rng.choice([5, 5, 5, 4, None])
                owned = [[t, p] for t in topics for p in range(ppt[t]) if (p + i) % n == 0 and t in ts]
            elif owned_mode == "claims":
                gen = rng.choice([None, 1, 2, 3, 3, -1])
                owned = [[t, p] for t in topics for p in range(ppt[t]) if rng.random() < 0.15]
            rack = rng.choice(["a", "b", "c", "d", None, ""]) if racks is not None else None
            instance = f"i{rng.randint(0, 99)}" if rng.random() < 0.2 else None
            members.append([m, ts, owned, gen, rack, instance])
        # Unique static ids, as the coordinator guarantees.
        seen = set()
        for member in members:
            if member[5] in seen:
                member[5] = None
            seen.add(member[5])
        groups.append({"ppt": ppt, "racks": racks, "prefer": rng.random() < 0.15, "members": members})
    return groups + FIXED_GROUPS


#: Groups named in test_assignors.py, so that Kafka's answer for each is on record here too.
FIXED_GROUPS = [
    # Java throws NullPointerException (stale claim by a member that cannot take partitions).
    {"ppt": {"t0": 3, "t1": 1, "solo": 1}, "racks": None, "prefer": False, "members": [
        ["c9", ["solo"], [["t0", 0], ["solo", 0]], 1, None, None],
        ["c1", ["t0"], [["t0", 0], ["t0", 1], ["t0", 2]], 2, None, None],
        ["c2", ["t0", "t1"], [], 2, None, None]]},
    # A stale claim on a topic its member no longer reads comes back to that member.
    {"ppt": {"t0": 1, "t1": 1}, "racks": None, "prefer": False, "members": [
        ["c0", ["t1", "t0"], [], 1, None, None],
        ["c1", ["t0"], [["t1", 0]], 1, None, None],
        ["c2", ["t0", "t1"], [["t0", 0], ["t1", 0]], 2, None, None]]},
    # An empty subscription visited first makes the group look uniform.
    {"ppt": {"t": 3}, "racks": None, "prefer": False, "members": [
        ["consumer1", ["t"], [], None, None, None],
        ["consumer2", ["t"], [], None, None, None],
        ["consumer3", [], [], None, None, None]]},
    # The two states of the rack-aware cooperative cycle (each leads to the other).
    *[
        {"ppt": {"t0": 3, "t1": 4}, "prefer": False,
         "racks": [["t0", 0, ["b"]], ["t0", 1, []], ["t0", 2, ["b"]], ["t1", 0, ["a"]], ["t1", 1, ["b"]],
                   ["t1", 2, []], ["t1", 3, ["a"]]],
         "members": [["c0", ["t0", "t1"], owned[0], generation, None, None],
                     ["c1", ["t0"], owned[1], generation, "a", None],
                     ["c2", ["t0", "t1"], owned[2], generation, "a", None],
                     ["c3", ["t0", "t1"], owned[3], generation, "b", None]]}
        for owned, generation in (
            ([[["t1", 2], ["t1", 3]], [["t0", 0], ["t0", 1]], [["t1", 0], ["t1", 1]], [["t0", 2]]], 8),
            ([[["t1", 3]], [["t0", 0]], [["t1", 0]], [["t0", 2]]], 9),
        )
    ],
    # testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: HashMap order decides.
    {"ppt": {"topic1": 2, "topic2": 2}, "racks": None, "prefer": False, "members": [
        ["consumer1", ["topic1", "topic2"], [["topic1", 0], ["topic2", 0]], 1, None, None],
        ["consumer2", ["topic1", "topic2"], [["topic1", 1], ["topic2", 1]], 1, None, None],
        ["consumer3", ["topic1", "topic2"], [], 1, None, None]]},
]


def as_input(case: dict):
    subs = {
        m: Subscription(ts, [tuple(tp) for tp in owned], gen, rack, instance)
        for m, ts, owned, gen, rack, instance in case["members"]
    }
    racks = None if case["racks"] is None else {(t, p): rs for t, p, rs in case["racks"]}
    return case["ppt"], subs, racks


def run_kafkalab(case: dict) -> dict:
    ppt, subs, racks = as_input(case)
    cls = ASSIGNOR_CLASSES[case["assignor"]]
    assignor = cls() if cls is RoundRobinAssignor else cls(prefer_rack_aware_logic=case["prefer"])
    try:
        if case["assignor"] in ("sticky", "cooperative-sticky"):
            outcome = assignor.assign_with_details(ppt, subs, racks)
            transfers = outcome.partitions_transferring_ownership
            return {
                "assignment": {m: [list(tp) for tp in v] for m, v in outcome.assignment.items()},
                "constrained": outcome.constrained,
                "transfers": None if transfers is None else sorted([t, p, m] for (t, p), m in transfers.items()),
            }
        result = assignor.assign(ppt, subs, racks)
        return {"assignment": {m: [list(tp) for tp in v] for m, v in result.items()}}
    except AssignorError as e:
        return {"error": e.java_exception}


# ------------------------------------------------------------------------------ the test


def _golden() -> list[dict]:
    text = Path(__file__).read_text(encoding="utf-8")
    start = text.index("# BEGIN GOLDEN\n") + len("# BEGIN GOLDEN\n")
    end = text.index("# END GOLDEN", start)
    body = "".join(line[2:] for line in text[start:end].splitlines())
    return json.loads(zlib.decompress(base64.b64decode(body)))


GOLDEN = _golden()


def test_golden_cases_cover_the_interesting_paths():
    kinds = {(c["assignor"], "error" in c["expect"], c["expect"].get("constrained")) for c in GOLDEN}
    assert ("sticky", True, None) in kinds  # Java throws
    assert ("sticky", False, True) in kinds and ("sticky", False, False) in kinds
    assert any(c["racks"] and c["assignor"] == "range" for c in GOLDEN)
    assert any(c["expect"].get("transfers") for c in GOLDEN)
    assert len(GOLDEN) >= 150


@pytest.mark.parametrize("index", range(len(GOLDEN)), ids=[f"{c['assignor']}-{i}" for i, c in enumerate(GOLDEN)])
def test_same_result_as_kafkas_java_classes(index):
    case = GOLDEN[index]
    assert run_kafkalab(case) == case["expect"]


# ------------------------------------------------------------------------------ regeneration

KAFKA_FILES = [
    "org/apache/kafka/common/TopicPartition.java",
    "org/apache/kafka/common/Node.java",
    "org/apache/kafka/common/PartitionInfo.java",
    "org/apache/kafka/common/Configurable.java",
    "org/apache/kafka/common/KafkaException.java",
    "org/apache/kafka/common/utils/CircularIterator.java",
    "org/apache/kafka/clients/consumer/ConsumerPartitionAssignor.java",
    "org/apache/kafka/clients/consumer/internals/AbstractPartitionAssignor.java",
    "org/apache/kafka/clients/consumer/internals/AbstractStickyAssignor.java",
    "org/apache/kafka/clients/consumer/internals/Utils.java",
    "org/apache/kafka/clients/consumer/RangeAssignor.java",
    "org/apache/kafka/clients/consumer/RoundRobinAssignor.java",
]

STUBS = {
    "org/slf4j/Logger.java": """package org.slf4j;
public interface Logger {
  default boolean isDebugEnabled() { return false; }
  default boolean isTraceEnabled() { return false; }
  default void debug(String s, Object... a) {}
  default void info(String s, Object... a) {}
  default void warn(String s, Object... a) {}
  default void error(String s, Object... a) {}
  default void trace(String s, Object... a) {}
}""",
    "org/slf4j/LoggerFactory.java": """package org.slf4j;
public class LoggerFactory { public static Logger getLogger(Class<?> c) { return new Logger() {}; } }""",
    "org/apache/kafka/common/utils/Utils.java": """package org.apache.kafka.common.utils;
import java.util.*;
public final class Utils {
  public static <T extends Comparable<? super T>> List<T> sorted(Collection<T> c) { List<T> r = new ArrayList<>(c); Collections.sort(r); return r; }
  public static <T> Class<? extends T> loadClass(String k, Class<T> b) throws ClassNotFoundException { throw new ClassNotFoundException(k); }
  public static <T> T newInstance(Class<T> c) { throw new UnsupportedOperationException(); }
}""",
    "org/apache/kafka/common/Cluster.java": """package org.apache.kafka.common;
import java.util.*;
public final class Cluster {
  private final Map<String, List<PartitionInfo>> byTopic;
  public Cluster(Map<String, List<PartitionInfo>> byTopic) { this.byTopic = byTopic; }
  public List<PartitionInfo> partitionsForTopic(String t) { return byTopic.getOrDefault(t, Collections.emptyList()); }
}""",
    "org/apache/kafka/clients/consumer/ConsumerGroupMetadata.java": """package org.apache.kafka.clients.consumer;
public class ConsumerGroupMetadata { public int generationId() { return -1; } }""",
    "org/apache/kafka/clients/consumer/internals/OracleSticky.java": """package org.apache.kafka.clients.consumer.internals;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import java.util.*;
public class OracleSticky extends AbstractStickyAssignor {
  final boolean cooperative; Map<TopicPartition, String> lastTransfers;
  public OracleSticky(boolean cooperative) { this.cooperative = cooperative; }
  @Override public String name() { return cooperative ? "cooperative-sticky" : "sticky"; }
  @Override protected MemberData memberData(Subscription s) { return new MemberData(s.ownedPartitions(), s.generationId(), s.rackId()); }
  @Override public Map<String, List<TopicPartition>> assignPartitions(Map<String, List<PartitionInfo>> ppt, Map<String, Subscription> subs) {
    Map<String, List<TopicPartition>> a = super.assignPartitions(ppt, subs);
    lastTransfers = partitionsTransferringOwnership == null ? null : new HashMap<>(partitionsTransferringOwnership);
    if (!cooperative) return a;
    Map<TopicPartition, String> t = partitionsTransferringOwnership;
    if (t == null) {  // computePartitionsTransferringOwnership
      Map<TopicPartition, String> added = new HashMap<>(); Set<TopicPartition> revoked = new HashSet<>();
      for (Map.Entry<String, List<TopicPartition>> e : a.entrySet()) {
        List<TopicPartition> owned = subs.get(e.getKey()).ownedPartitions();
        for (TopicPartition tp : e.getValue()) if (!owned.contains(tp)) added.put(tp, e.getKey());
        for (TopicPartition tp : owned) if (!e.getValue().contains(tp)) revoked.add(tp);
      }
      added.keySet().retainAll(revoked); t = added;
    }
    for (Map.Entry<TopicPartition, String> e : t.entrySet()) a.get(e.getValue()).remove(e.getKey());
    return a;
  }
}""",
    "org/apache/kafka/clients/consumer/internals/Oracle.java": """package org.apache.kafka.clients.consumer.internals;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.*;
import org.apache.kafka.common.*;
import java.io.*;
import java.util.*;
/* One case per block: A name prefer | T topic n | R topic p rack.. | M member gen|- rack|- instance|-
   | S topics.. | O t p t p .. | END.  Prints "member: t p t p", CONSTRAINED, TRANSFERS, ERROR, END. */
public class Oracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
    String name = null; boolean prefer = false; Map<String, Integer> topics = new LinkedHashMap<>();
    Map<TopicPartition, List<String>> racks = new HashMap<>(); List<String[]> members = new ArrayList<>();
    Map<String, List<String>> subTopics = new HashMap<>(); Map<String, List<TopicPartition>> owned = new HashMap<>();
    String line, last = null;
    while ((line = in.readLine()) != null) {
      String[] w = line.split(" ", -1);
      switch (w[0]) {
        case "A": name = w[1]; prefer = w[2].equals("1"); break;
        case "T": topics.put(w[1], Integer.parseInt(w[2])); break;
        case "R": racks.put(new TopicPartition(w[1], Integer.parseInt(w[2])), new ArrayList<>(Arrays.asList(w).subList(3, w.length))); break;
        case "M": members.add(w); last = w[1]; subTopics.put(last, new ArrayList<>()); owned.put(last, new ArrayList<>()); break;
        case "S": for (int i = 1; i < w.length; i++) if (!w[i].isEmpty()) subTopics.get(last).add(w[i]); break;
        case "O": for (int i = 1; i + 1 < w.length; i += 2) owned.get(last).add(new TopicPartition(w[i], Integer.parseInt(w[i + 1]))); break;
        case "END":
          run(out, name, prefer, topics, racks, members, subTopics, owned);
          topics = new LinkedHashMap<>(); racks = new HashMap<>(); members = new ArrayList<>(); subTopics = new HashMap<>(); owned = new HashMap<>();
          break;
        default: break;
      }
    }
    out.flush();
  }
  static void run(PrintStream out, String name, boolean prefer, Map<String, Integer> topics, Map<TopicPartition, List<String>> racks,
                  List<String[]> members, Map<String, List<String>> subTopics, Map<String, List<TopicPartition>> owned) {
    Map<String, List<PartitionInfo>> byTopic = new HashMap<>(); Map<String, Node> nodes = new HashMap<>();
    for (Map.Entry<String, Integer> e : topics.entrySet()) {
      List<PartitionInfo> ps = new ArrayList<>();
      for (int p = 0; p < e.getValue(); p++) {
        List<String> r = racks.getOrDefault(new TopicPartition(e.getKey(), p), Collections.emptyList());
        Node[] reps = new Node[r.size()];
        for (int i = 0; i < r.size(); i++) reps[i] = nodes.computeIfAbsent(r.get(i), k -> new Node(nodes.size(), "h", 1, k));
        ps.add(new PartitionInfo(e.getKey(), p, reps.length > 0 ? reps[0] : Node.noNode(), reps, reps));
      }
      byTopic.put(e.getKey(), ps);
    }
    Map<String, Subscription> subs = new HashMap<>();  // as ConsumerCoordinator.onLeaderElected
    for (String[] m : members) {
      Subscription s = new Subscription(subTopics.get(m[1]), null, owned.get(m[1]), m[2].equals("-") ? -1 : Integer.parseInt(m[2]),
                                        m[3].equals("-") ? Optional.empty() : Optional.of(m[3]));
      s.setGroupInstanceId(m[4].equals("-") ? Optional.empty() : Optional.of(m[4]));
      subs.put(m[1], s);
    }
    AbstractPartitionAssignor a; OracleSticky sticky = null;
    if (name.equals("range")) a = new RangeAssignor();
    else if (name.equals("roundrobin")) a = new RoundRobinAssignor();
    else a = sticky = new OracleSticky(name.equals("cooperative-sticky"));
    a.preferRackAwareLogic = prefer;
    try {
      Map<String, Assignment> res = a.assign(new Cluster(byTopic), new GroupSubscription(subs)).groupAssignment();
      for (String[] m : members) {
        StringBuilder sb = new StringBuilder(m[1]).append(":");
        for (TopicPartition tp : res.get(m[1]).partitions()) sb.append(' ').append(tp.topic()).append(' ').append(tp.partition());
        out.println(sb);
      }
      if (sticky != null) {
        out.println("CONSTRAINED " + (sticky.lastTransfers != null));
        if (sticky.lastTransfers != null) {
          StringBuilder sb = new StringBuilder("TRANSFERS");
          for (Map.Entry<TopicPartition, String> e : sticky.lastTransfers.entrySet())
            sb.append(' ').append(e.getKey().topic()).append(' ').append(e.getKey().partition()).append(' ').append(e.getValue());
          out.println(sb);
        }
      }
    } catch (RuntimeException t) {
      out.println("ERROR " + t.getClass().getSimpleName());
    }
    out.println("END");
  }
}""",
}


def _encode(case: dict) -> str:
    lines = [f"A {case['assignor']} {int(case['prefer'])}"]
    lines += [f"T {t} {n}" for t, n in case["ppt"].items()]
    lines += [f"R {t} {p} " + " ".join(rs) for t, p, rs in case["racks"] or []]
    for m, ts, owned, gen, rack, instance in case["members"]:
        lines.append(f"M {m} {'-' if gen is None else gen} {rack or '-'} {instance or '-'}")
        lines.append("S " + " ".join(ts))
        if owned:
            lines.append("O " + " ".join(f"{t} {p}" for t, p in owned))
    return "\n".join(lines + ["END"])


def _parse(output: str) -> list[dict]:
    results, current = [], {}
    for line in output.splitlines():
        if line == "END":
            results.append(current)
            current = {}
        elif line.startswith("ERROR"):
            current = {"error": line.split()[1]}
        elif line.startswith("CONSTRAINED"):
            current["constrained"] = line.split()[1] == "true"
            current["transfers"] = None
        elif line.startswith("TRANSFERS"):
            w = line.split()[1:]
            current["transfers"] = sorted([w[i], int(w[i + 1]), w[i + 2]] for i in range(0, len(w), 3))
        else:
            member, _, rest = line.partition(":")
            w = rest.split()
            current.setdefault("assignment", {})[member] = sorted([w[i], int(w[i + 1])] for i in range(0, len(w), 2))
    return results


def regenerate(kafka_src: Path, groups: int) -> None:  # pragma: no cover - needs a JDK
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "src")
        java_root = kafka_src / "clients/src/main/java"
        for rel in KAFKA_FILES:
            target = src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(java_root / rel, target)
        utils = src / "org/apache/kafka/clients/consumer/internals/Utils.java"
        text = utils.read_text().replace("import org.apache.kafka.common.TopicIdPartition;\n", "")
        start = text.index("    public static final class TopicIdPartitionComparator")
        utils.write_text(text[:start] + text[text.index("\n    }\n", start) + 7:])
        for rel, body in STUBS.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(body)
        out_dir = Path(tmp, "out")
        subprocess.run(["javac", "-proc:none", "-d", str(out_dir), *map(str, src.rglob("*.java"))], check=True)
        cases = [
            dict(group, assignor=name)
            for group in generate_groups(1, groups)
            for name in ASSIGNOR_CLASSES
        ]
        data = "\n".join(_encode(c) for c in cases) + "\n"
        output = subprocess.run(
            ["java", "-cp", str(out_dir), "org.apache.kafka.clients.consumer.internals.Oracle"],
            input=data, capture_output=True, text=True, encoding="utf-8", check=True,
        ).stdout
    for case, expect in zip(cases, _parse(output), strict=True):
        case["expect"] = expect
    body = base64.b64encode(zlib.compress(json.dumps(cases, separators=(",", ":")).encode(), 9)).decode()
    block = "".join(f"# {body[i:i + 96]}\n" for i in range(0, len(body), 96))
    path = Path(__file__)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("# BEGIN GOLDEN\n")
    path.write_text(head + "# BEGIN GOLDEN\n" + block + rest[rest.index("# END GOLDEN"):], encoding="utf-8")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kafka-src", type=Path, required=True, help="an apache/kafka checkout")
    parser.add_argument("--groups", type=int, default=45)
    args = parser.parse_args()
    regenerate(args.kafka_src, args.groups)
    sys.exit(0)

# The data: zlib-compressed JSON in base64, one string split over comment lines.
# Generated by regenerate(); do not edit by hand.
# BEGIN GOLDEN
# eNrtfUmPG7my7n/RWgI45qD9217cvbsW5XL5onDPsRvu7gc/HNR/f1JOjImZzJRqUsXGLkk5kMGI+ILBGL78Z/fnn3/vjv/Z
# /W12R7vf/W13x/i83/26f/jfv3bHH//861/73Z+/Hr8//todv9//66/H/e7fj//++vjr9OuXL7uHnz/++uffj78OvmkOZrf/
# cn7Q3f5L9//e3N3tw757yPmf0/e7P/4x5rG1w5XdC/vLT1/Z8wXnP/zpvgjuu9vv7v/66+l/fvw8jeI0th//83i69fH3n48P
# 3eD7H//9+KP7RMZ0BIOZXn8cXmnGV07vdmkQwx/h7u75+Xn/IUn1858f3379/Pr0Q+lVQq+//n56+N//98q02ndP/fvX/dOP
# x28TKU6ff/z1vSPGeaAflKAPP3/++fjr/u+n//t4+HDEbRJxx6Gcnnx/msHX3d34kvNXX09ffUtf2eGqh/SV23+Z/van/8HV
# gT8ggqsr/nPdPf/uTJaS5W59Wm6wiANlD/ZyRdu/Ia3Xfs0ajXOeJjxNM69HPv3KrNLrujyvvDzlmu7lloYovr9//YP13pc7
# XbwrQtZ7WsjYL6Q7L6g7rasXV3QkremXDlLbdEuHVtP0K3ifPgawXFl2gKwAPwrcQDgs8q8q8Maav7E5/f+Av2rxa6zBo7D9
# xNNnJ8zDg7fa0L0jfY7DDfC7iry0Jp8bMoiWP8ONIjfe5xKNH9JXltDI8XVz47qhZ01r50ZCTx8rQBKXpG742BACuZ7G4Ioz
# jdMHCz+44dFAgntuRgIsWKYjm07MObHkxIydFXoa1iY7hgru4rueVeRU5FTkZkSuyEBVuVO5U7m7ptwtG6zrZU4NUJVKlcpL
# pHLdlvI1JLTpJfTEW52Env/zK73JPZmAS9iwLW5gG9omSULi+eRB3j25ju5pX105c7DDm7qxdiPdo/WxjChx/KNm+2/PdtvT
# NW0Sy4lluj88+OPCsymz0oPNXQN3e0qddexCSVQxWtVstVph2SxYwFFDYLK5cQB+/AkS0iWKDn9IBp4y6gsx6hoD/UKavTS/
# biSZcuuH4dZi0LyGy3Wt8nthBr8Op246B1V2fhl23mQPvmcl/IY82jHnaTqm59FNARFN3eKzou5Zp6HdpSWcoiLAkU97sKV3
# 9e81xi3dsHsKu63n8P08xpXNLZYZmWRaI9czLJ3a+KB2YpHELBO3JOvvvAUC81zPYJiLhNPlT7DUqw728XpbJq41WThI4LkF
# d0zeG7LwUM6X1t0zPmw587jPud7lB8x4rVcTN7vWG7iGr/VqhtkSnnD73LAt9ODTc4YbIlec5GaGPmbkXH7A/mYPfg7Y0Ry5
# d7oiLk3TOyrBxwY/o4UjQcOCLmAzOCmhaxwOzJKRde5f4CHvXL9kYmf3b/rQwA8tn4Uz2KsO3elLsTfj6gMH6sDw5zFt8Jal
# B17VWoVMWGLbdKuQliARP5E9ETtROpE5EVdAOeXej8q9JbaasrCy8Ptl4UUj4ybZVy2MT8PgqyxqZXbo9W36fVY+HJzEb8A4
# AANiv8XADXhlBFdW+MqavMryKAQL5M6OcofCPO5xmMdDNuKchZqDwAcSv2DxFQ5EGXjwNw9zQE+pwM/1itgEN0W0z+5bmypO
# +1YgKbs3OrhGjvQZj7Ebn+OAYzBONJsIhrau/VyvJrfZoz2Vik8lFVtPyVU0VDRuWzRe/Uj+3YvFJUfsKjufSXYuPv9XOcrI
# 0aqQc7RZ/4rjzMkWN+BdMJWir2yjntvhLoSk3/OQdCxC8CMPRyeh6DAMfT4Gnci9hZm7LAAdR5/fk8jzexJ5Th/d8Lh6S8Lk
# ncEx4Ciim8eXOx6FPqcXHvI6gTy4AT+3cAyGv9EKsfCTp+WuJEiKFOOI50cJeqZxB7kkR4r8qVMtj91T0/SxUuKBZC7y1yJh
# n+KuvCdxV/Hg866Y85VBTMGOTEnZcxRBf/u9MOsQzCHmJxCY9rMehifwcVWU5L6j2Q5cUotDd0z1pmBAZ3AWADgObmaOg3eX
# Zq3iU9yeQ/Ap7mKa+f7MIOvT14vBBAWgnbnm+OX8VZjeWc9GWUbAmPBRPV8cKRskUWjA2lBAq5PsJontHl9Nj+zDZOrpcwUY
# NonbpMfgIXhDIrFQ7KDjjDqJ3BSd1SaFk992KeQp5CnkKeTdAuStzBovwj3HQSGg0YvIZzl/eKDmKdJFprtPJBIwb9rlIOzz
# bBfXAuTL413FecoSVMIhWhRp2izuBYJ7kbObwZhMYA9aD5UAe40Q/MVwWWFPYU9hT2HvtmFvTUq4Y060KgeCcg6bE/AsIH6a
# 8JBwB0M4Q9BDxDrgEASgJ7ouKwFaIgCMDBBaAL8mjyqR7ex4GhjAPHH3G7j42NnNH9p4uhIgtuoBVVxUXFRcVFzcWjZlMyJe
# H/0o6F2KdWshbgnQFuDrxUFrqBQ1JJibPsH8jGChB7SYiblFIamrwm7R2fY9KxmFoGn8yQMFHHg93NDrZPjeMEJq0qahxzfy
# FcW4AKA14CP6gM/KIxhUxFEBa4Jo/SSQEQqkpIKa2g6Kd7gUC3q6ztlDr2vDoDXCyEehl86IXjAOyKcM/gjV28SwsReoeKV8
# Ii4RU7J6HEUXz727LQ4l6cl8j8NEzcQTEydM6z+t+rTWiSrjEkMx9MBazhY/VOFR4bmG8GxIZ+I1Kd6vBFmVIJWgF5WgtQkm
# FpRGMbOyIgvUqwjNPuGPWngqYm8sYpfkc5WL28eTsilBcYgj7sXMDXLWlc44CZrN1cwQgl+n+XuzoWRG46qBkVItrkBZcHCp
# VAG7VOJpw+6y95JdacVKSk3f2FR3Kkx/NWzdpsWxhhTt6lpgff/urM/7XSzzIrdCEh8pMAY37/GOEXJr9adupV4tddECVwTx
# QGAuyDguiguDDX9EtsD1+Ecz/tGStb9QYpky6Fkz4xrxkzvFT14lP7EBZsNpMjaxa02Y1E+RBn46RQjjrMM46zDOOsBZ22m2
# vXdq5OPJL/WSSaeU16En9Vk11+fRXOuKmcnqSzrwZJWEjMDNQeDcZoZLfSa9AekwiwN+oA5zTGNVTD+BhXXCEldcAziuvzzT
# VjXXBHaVAquEApZU7dZcyVpBx0VBn7VMGTumeium1oA2k3XYUkFPxNJWYO4oqLSWgZuB1alUfX0a9bWiAtuC6vJ5HVbPKTM7
# q8w4p/qlVK2ky0Tra8bomrO1JKNHUAOCKgszGszlFNcSz/kyzTqnlXx+C9dkja04tarN6KmYK8S3rJXmgGsmAQPa5bqxVP12
# jWqT703XqYr7jCruepptSL2Pg2faY9e0XV/sHtacD4RvJnrHM5lJH1rgKLVi5E2KEMkRhG8/4rgWEa7iMJzYrcrd3l7c0Oal
# PU7Ab2pf1YvxAl2ylfOKOG9rC8kX8xjIPPgau1Blv1dnv+v3aVuh+a7Hnm/LegrML8afL9tTUHm1jFfNRi4U97h24fdpjzMe
# vhdcWhkhPl2+1oZDKLy0clMseu7SSv5991RHvCtvYzzUuYsj2cJbZw5N6XzacGhLJxTdwZrCi10TD9bmhhyG+dm5NdpgZJ+3
# inb4H3EC+apbcfxdt7L4q24F+68q8lO/IOQJHd3Jdx19yWN7OuIvB3oNU3B9zVkVJBWk6wtS8Z5BpUmlSaXp0gOw25Ok9eXS
# VdZU1i6XtfXbuc8ud2M/OIvdBL2XIM5ElpNCujNFdPcwCH0hAf5eSH6fmnSgYr0tT5e3Uplfy8dgScVdmBZucJVcXjQXBaa7
# FKsOauTC5h8+hcGD0HWYlz5ExX/lUfHfcET8Pb4igKB2Q8LqV8W5//GP8fctP0QWD3cvdhGLMUGOuXnMUrBTnM1uj94LzQZz
# M9rifXYs6I1Hlw1x+Jc0bxsXp7gdrRBjzAsS87BdlhfTU3CTv4sdKIlrnutwPBNt3K/5s+ow1WGqw96RDivxF1BFtmW84smA
# Z+TmMzAlqm0TK8xwwPzCW1VkqshUkb0rRba4ZcwqsbhkjdmCEt/zeVbr7LSSSMKZ7nmOpaVBNoB6dXnPOWopOuaksya6Jr2V
# uzhkf4n8MVX24ppf3PKv7MygM0N02Zk6PtNOY7GvMlP02ScH/uSYvTjii9UhoBikGPSOMGiVC5PiUcMo6ubIlscRTybXzUB1
# /Y3p+qHYqRlqna45ghnf5n080A5foyyzdA14MEM0hpBngU8KqinpZCipcXGmfz/0dARwrdZbezrslLqfrcN+Y0uwKmVZ1+Gl
# 1qE8H2lcgzTeF1+Lywo039ZCbUsi+3CLZj3aVLiCAlbb+3XCLQWtdVWBn2tW64rU2Ualr2BBa8/7egb8gMivqHg5bjiChr+S
# FLW21LYfam+jotu0FyjuA5prAooeK+9bQKmv6UGeVQHz4KcA/o74gRVZU99X7oKj8GMNcvRVS0ZCO6z6YZ8HHmwdf4yF47SB
# bLr8VJgcjdAKo+4KlMP7GjxR20JakRpppDga2vGRomh4twc/RlwArcL31mRr+BVtC9cVQlu1I7wkPP5arVrletVSfzy3vrXr
# a9RfeqWSSBdXZdsLhRa32+mk7pxylXJV9uBM7Qu1L9S+UPtCkUDti0sqsStrKWupkaFGhhoZamQoEigSLBoZa6vnK1spW00G
# xvpsLTVB1ARRE0RNEMUKNUGu0cxHWUxZ7AJzZOhKFsde6b05ErfE5NTeHQzvpUzXtk5dc3l1ud+WB/UYqb+OtWLkzh//GPPY
# utTuy9GHWPAQHqtsHeMzWn0OxQdZO5SUSABgl6OqrcThtKEyHEMQJztqgjBMd2ohZthbSLsOB/j//Gw/FaQgNSZcNRS38KTD
# OO9h5OADXa4ORWwP52oYvMx4TPXGZ0Oy2noskdEBr0lDQm2+cwOoqnhoxNKFOS0KB9kmWmGOa4cRkfBzcQn40vNFMfxFoEJF
# Ndbn8KR3HH9i0jxwmdsd4B+bCY8TnwdUIxDf3VMwhHGcP1jQZ97TDu1OKmEeyLQ3hgX3mgg1//6dOp+HfC/ztq/p3euQqdWN
# IZPnrc57PXD8ku8Gxovpg8qPAdRpR4+txnbnsDEzDvrvJYoUKqn7QiVE53jcnr2ThCPvZT+RgNUw6Rkv339d6AMGpmlhYCOa
# Zs8rOCOv17zPileKV4pXilcfEq9W5VDMg5bJ5PQiQXQifOVpbGZAzAn9RRhNvYxiNo9ifjV4FWBWwJg1tTnPY5djDaKskaB5
# NWYFxSzFLMUsxawPilnlqUszeOVmW/F1aoXBVM3Vg8/Bk4x+JgdG4r4JoZIkzOtwypZssoCuEgELwtkicrVzeMU6UBO8Au7U
# jflgCmoKagpqCmofAdS25ebOA5yMYmXgtYhZi1C1FqEuBKYZPLoQhra2RloMkFmukZMWOtQHXu+6C2x4ascK1uLvVKHyMte7
# b+enOLfb7MvuBpfMDFDtOr0V7FGfb49U69won55eKzRchlbA4QFptuV8+cNTcyN2vDxlxypvzQqTWwxf4oZM4CW/HAsSwabl
# 7sk2u7n+cEtGNx2My9U6hGEpCyZf9Ae/NIwXz2jGgTViv7eZipMg3oaaG/PlH0lXtz2hCt4I8rggHPyTr3Or3HdN7rsw322O
# ch4xA+fBuRnbWSb0rK6etSKtMiyY65lNlltZ8DVY8JLww2KqCew3x0SYdSn7FdNpPftBvleEfh8Meq1YWWVW0Z9L8lIuZt0U
# G8/dqeRMe/BeQY51xDkUfJ0rAbvUqKquqoMruvUkKJ502ooOs+nya8PM5bQ8XSy/dqRxteLxyXFjp+Zi0n2Biv63xn87/fto
# TDO3pHaIPIAUbMnCRe+m/mPZh1heuu+Pf75/d9aapVuNrGasXbixTa88DdqRQQeHXJHiE5oFr/PZ4eW3sey535gNC++vUoh7
# fuljFU5MvPCkmKLm80/ydXuw1YKEB3ZgEqCPP9BVqhee55lb2UM3a8z5kqtwGmyz8HDHHO4OujSzJD03dGsXnm2xcoanHsIx
# 1KVb0YW3UTV6BDJA9eSxTFdTFTk+sk7pFueLwvQD4rGz5jtKbAzUHI1AtWMHPqyejmWcQhXSEeqPpGyGQraWh9DKDM1UxhGq
# NKYMeFdBS7sQDgKLvxxk7wg0Tyc8xzJOZnJBXtkz9BGo9Gc1EtRIUCNBjQQ1Et6rkbDNYwi6XOTtgoAgedZAcBRhsDngMFgG
# cpg94ZOQ7OKpOQArZVOzANgzc+aB593koDEQkfECjAJ47s6MA2ZkEVOgki0B2U4YTQKgOAXbAJoBGRvBY3uLGQuORZuNpgE0
# jHI2Qq0mgpoIaiKoiaAmwvs1ETY7yS2FSWAeMMAHVoHjKaoOBL9ZYgPUEPodCY6oMjlFAPFHK0ZAfAsD8uq5/T+2NzDmJxi0
# 0Gki7qwJ6DeylwCiPzNGCPhXshVGjADiV5GsASxPxBrwmfB1YA2wJGHRKsDMWtZubGjCFWHjLcI8qUoTZUfQmYtwh9Sgq2dT
# qUHXsCapohPgwVTaqeOBVNqJ8lMq9MRY4k5PXNRSUktJLSW1lN6rpXSV0IKs1SRZS5KVlLOONh+LrLGCSo2fWZun/MhDTZzb
# NnHGCCjXmzhDkqDva51mG//1FISGzm9TEKsEGGcwWVhpRpI9hhXO7qkicBSqerBgMk/K6pntPZN+X7muH48qzscNY+k7zFWf
# sJl6fIGpv46GR0otuADPyjb+Kq0wPgjvuG0sw1lOeaeIdxZtmffHNyK7uBJ2MXkDEKiqjWmHylyXGc3KaKWMNvCZlD0H66Ub
# WOx8+Kkwma6txGS6r7uLSi/2T53Lr3x3U1uVXvrx5leetMjntiHn4Z3Nflv65jUoQdy7XYcH33d4OIGFWVMoZa7a/KKT101V
# p5m7lzVI389hjG0FT5IrurO5E5ydZzeDL7q9nvEK1fEQih5SCaOPRXfOeeeiqw5V0VNCztdaF93uhUE0i3eiOutW8q6188+Q
# 2cUUvdigMhdZJ3l7AmNb8sAWVlOZjJymz2r6bV3JM5pUMUVwi/qSR9S4INHgVMtNz9Uh61LGz61YkeBM8pSNJY+LuATL4Dhj
# U65KdMuV3MtzTDW4HZuS4ax0INu25KELnuPtHp2HuQh9h4PH7Ewwt8dHzo6cRTscxg4O3EmA/1lhHqFWRIF3BpdpI4ruCHXi
# pL+mkIDeXm7ouXoqmN1Sl/So2jqlko/iD3IU/6A7jssQaFHk328LSvb0LnHrZ6L9Y6aGXC/bR6jiO/E8UhmsSBxeRZzfUJtU
# yHNtWZ1yEpnYpPcPGQEtiT/oNeazGihqoKiBogaKGiifzUAp8nCI2QHI4rBS8DjCZcebbMBDZS/43EzGOMHyWRMzJWYacQAr
# BRlGlWSuYJsAmC0VMU1aDsUj1lOjJW8siLYKswB/4+zBPUZ2aqNwy0IyTaBWsZHaKCZngFT8CAYbINBGcaSFCjRNsI5vqZHi
# oRZWK0WtFLVS1EpRK+WzWSnL3nkzu9HHFooneJNHVeYuqeV8Puo3QbZDBLkIGGkz/pOADSBmmhDTS0RS5FJBJZaxccKViGyV
# UN2AjBEk8ckUyQpy1hSR5VN2m0TZbZIRJWKSeCmno5mtlgAtkwwvF8f7OcNWXwrK69gKhOSN7AgC8kbmgKF37XJCgZpKaiqp
# qaSmkppKt2YqrQtqeDWzqfCUaY2RJJtGaywiNYQ+nyHkht5E5QGZD3P1VoeUnpy+tedlZfGccc5smc0aPGe0+PKro8HmCLx6
# 91RFVPM18mkOuTLpjj5mtJqJUN090bQv2+BEx+nRTlDWqQeJZS11SFrobuNZO+ui1S9Sn4bkhLpqNEWpJyvqnZJoePwCc4Sq
# pQywnjokZaubu5hPpNz8abh5zcEMy0kbWRqyu8u0+1lmcSuzuGEsvpazlaE/D0OvM0bzzGwhMxvqidusrwNk5qyalmRtZOoy
# o8f2lk2lpskn4v3tm7I3lINX5/+m53/TuyjNbJpA3yBq+tuBvz34O5z+v0+3RPBT1f107u00fVWvSzawVSbX4MQBbsddmXLb
# KcFpCS48PyxWpABKkyTtetk53WxYLwJPnAAhZVth9gM5W4hnmxa0KIgpRYtDvy7/Syz/qgwmxAOgHYYU4SPwAOhAkecBrzzw
# yjxQntskr78r1QFQvLPrb4Fq2ZYAqUzyAkyyLRnuYzCMGQ4/x7PPLY3InUmZhWgFcsecQhd6B2IO4RH/XKG0EIUaa9NBnGcN
# 0IEvPiKHfZzpfe3yb3DYE+2Qmzwgvz87TzT+vvX5R9tMY+kU4zCeHVzUDIMs4VLdErGZNsj2QCcZ3eqMzuyKLUbDJ0YKOnbE
# J0EajmTAcGqPvfY6+pK4kxSm0q9L4gHAcs8qIp9KRFZZgRk5WUHInIRsWfmssBSThklK+YKpnHwqOSk3fJawZGHJ8iJSvAwl
# MrKC4hxOSkm66ay3nzT3Aal83bJ8bdtkvL2s3ZKEWV9+vkCLSBc2mxWCnugDxDapeZ97HSbGn+8xyx7x29P7pD6p4CChdrvL
# u+3ly0zZ2fbqmFdBLx2pptU5+MiXFc2SauEpG6xkg239lDJThJwgDyXDCZn5iqwgL4vywsW8cPXu0lKopcAzWzlCnOCmtuXK
# Kes45UV7kn8QrnGoMuaYe+L63BO3xcT3VThcmofimenWCvZjJK60qYTjUAIyTOXu464ke2V2C9HU2bYYZeHh0BquBYvU822N
# bVnJXQtZ2vndVodrv0r5QOF5P+l+0SlKxzwJA/WW7td7SPd0VYoLCS05kGlkN2SnZxWd2xadVY5YSX6uuwxIaqzEypfQpECI
# uMhEvpu3wo66JumEKj+fQX7KnUZYdq60FnQFIOBsZuDVCHStFSB0L/Uy2aabdxp0/1GtvtsWvW2+248jhrcgcmaLVLWRxCdl
# utzZgmvczDWw/dR5Xy2JxdbK8rGPQwIRzRZ/dLwFlu+3qjdOwnUV7JWOF58MX0DD9Z6VG6Pyxor8r0lxbNX49YVTErwbobPK
# 2adn55cDnMwOKSIOVp+4vAC1tDkjtCV1Cg1M/f7oFNtUETPT9KWQbO7jk604rWmmPc4Sp2EnyMZg4A9G102pY29N4yGKZyg2
# 1Qw7PzsUmzr9FzdCV9UKofQz1aNyF83F0otrd52G00XbQe/iYa6mTke+heFWC0Sq1/QYC6cBNUUE22i+d6vaJxxakoAr9Poz
# onpNYTWpRt9UFijtG8E+LF037fHTrnjYDQZexJb3XCBtLj0oAORTYaKpSIvY0LZf9HEKvLnANNhprGkDn96fagSlysEoz3PM
# 66SJ+f0Sp0D2bOCrivTnFulV28l1cu1lcXascpJjstQIEhC4oOeFOjBZ9klOmcA5Qa80M+JsmDhbphdqQZy9oLXa9eJsk2tN
# 5Vrl+jL3RkamUWd0l+uf6VBxei7u1xPuFxHllxFcWM5hQYA9c27XaqKr3G+X+20ON9UBt6EDxpbVQyZ9HJSAmFD/FSXUw/x6
# 131ECfIeXxG6+9EVPMOeZdeP8Y785paMh44PZvxbN+Tvjxe4fj4wpd+Nc0JfOTAO18/pPA7wFZ2XB71rff/Mb+VlAirjcqfb
# IHv/2044QK7MwS7e+dAVHOgrZEJPuNv0ztqEw6LGRfULwjr9HBcffmHBm57eQikCuicggUwdsVmILOlQPronMKHF/BAUodtR
# dbysAqG+qPxqyMUHO6DyUPcB3g3d5fJCVCeoTrg1nbDObYEUg2di42b0geFR9Q4JpKwQIskXc7RGLVYMAYTsQ+8JUAyW6TOD
# 9VnkmQDN3DGeKgZVDDenGFbseZBS4CITSowEz4TS5XVCECv/r7AVDFEJVMkINoLByo5qmE0ZY6o2VG3cmNrY6DZRFbJJhWAN
# QgLJfYEmQWoEyygSznsseo6InsNKpxfO6e/IpbsCP9f41Q3XGC0cjRnkegpd5pqh0zrwGs/Ha+EIbYQf4OBsLWirRviuxa90
# UBXBIXtO0ADoHfqf4WBDUobzumwmrfgcgThJ7FTWpMTbPK+rUhmUPkYeqbkkTO2ctkK9p+Agk3pwZb3D+oRjqPZO8zSPbYQO
# 5YDeQX3OsOL2WfPunqqhEGWdn3xFatTsdpJjvDo0CzSIqCpK6KjJS91Yc2hLqBFQ9ZlxOrYd2nAJhTfvhdeFuiVtv0CmeDdI
# 6SZ7uinHLUaKvOq6Fk1IucF5BRPEp4oylke3ulm/MYKAFkKA48kMPpMg0bHr+JYmm9YUJoDqeRTF5RIXuJmt7kMDZirgHW+z
# OR4M83rOYtEFIGnDCUkmMF/ytzX0vL1nH7kU+8Amxy8z6citsOFW2FPYU9hT2PsMsLe2tFIB9hkWd4VTCdscDCLqks6GMvp5
# AURquUJFFgZh5eyan53XiJY5GLQ85zHifZqAggZFiEmwT1HQLaDgDPo5nt1ZKfYp9in2KfZ9TuzbVBQM4R/YdMh7QKFIqS1B
# P7gJLNj6NTJQlOz88vsiefOJYY/UT/XsrFPe+7EtX8Lt4q2em9vq8Wo6sJj/xqAthUaFRoVGhcZPAI0X184sc5G6IlRcAYZv
# BoHFyPeB8K5DODsEEqzM2KbaUegGMKXvN/A8NR+2b/Mcng48mxQLvx/baoITVZ9NK2gOixLEQ9JwmfEav9KOqsoib8ZpFAe7
# OXOXy5pUn3w/Wwx9/MuPo4tsvDVbm0xFBZsC4tIJdUVIkhbGTGJlJv+GHUdspxEnilkegovXrKgI+z5f910uIQEZyEuc9KzC
# 8g6EZVtdeMv4oRYkxgvs3DIuCUxirEEhHFxkHOPCRqBP4DLkDFuviNmCEW9RWjyLmm0FTRE5yxgmHhWXZjdbZkUl5tUlZoMt
# J1Yr51za5jUpZ9KWC0umNAoX0RL+lIXFZ4TWURf9ErL4Ign2WTwUlg5Ji91W613l6dXl6cJ9ksrWB5GtZhSt8iYcDxnH0Fhv
# ymKvTRvsQdj4dyvLG3O4khRl1kKjmm+j1lQWe36mG2NitzmRj+LNIbEG7xRS8Q4j+XYibe0Pq5KzT5vkRhyTZYJkDSHz5mp+
# 5Li3W1cc6Is3WFIn98yO5Hypz3gE+tU78hWbpAIogZgyn6GMnJ9Xgfwr3H3tTHy86yTqBnWSbkcfCWQBoCayLehVyD6tkK0s
# AFkkaYEwaLa0tB2boa+UMJ9EQZQww3Fpk6RFAGvLkuaAglFJU0nbWDMU2mguJ26QtxvC5I7LARaYByENpl6FbNYKgkdXCoob
# MDYzcgcFqM5IGyX3Nie7iuInF8VNZWZvUizfkTT2HpQhwqPpIzzs+oLFRc1SIEmMUEsElTwa+m7MFaQK7mBL3k7yGWGppvpu
# sez87KOJXwMWllrQFN5mgxekjixGquwYr7eT24ubMnF9LO6Lgpcj03kYl6clZfOZ8NE6WlgUesoxz5IXKuPmDULl+9vl+9Wb
# K3mR6KRyrM5pIS+pwPN8hdAcczxPSOOkInS1Mv9nZP71htXMuizo+BkSB6S6OeMvkHCR8cMsfYp6XnUFPeiLpvGzSd/dqTR9
# Omm6bMvyIpL1QgL1hnI0lAmOQ7T5WCZ4S2Hg6MbaM0PzFBwIywXFmbuF3lTpQRY+zU9RuWOXRuqMaA08uXXiExrU2H1HXQ7c
# aZGqqox+Bjt1ieFXxzQDD6aR3h/R+ysSXl2bQ+9bgEMOgiulHkYyO+QqDI4Ej4XVLFUxbodZDGHWGcfL2RtAm+fAcWNNuHvy
# fcDy8JIhFNkyrvG9lyDko9eHgGS6toLLCd0FFJeHp/pYo07dP//45/t3Z21IFEwcZdKtVZadbSS3UmaIM16jaP3BVnAdMi+p
# CccDggheqfGuRnTaOdgEtQ5oudo0GShevFcSqkoULu8j02uY4xehLwoPPRAHArene6ovsBeI74E9CZ3u9UD/XTqICUInF3RX
# J9lHKNK8wUMnr9M1mWYvLblpEEPW69vIseNJ+o5QJVH5OkKNS8Vo/BH7FyZ5mQp+wy2YBZW2MTwOnA6j6G2dLoboa5NDDtLE
# tunyJt8NQ+FO4U7hTuHubeBuVbFigHnoFX4O8hjoZABuOONfCWzWzQEaaLawiGwGNHtYC2wD3wsw5kBnhjyeVbipRAbYrBEB
# rZbxzIOWFSKw8ZB9AHABd6coRroI+08o5CnkKeQp5L0ryCuvoYu3eFiRULgTeu9IgIeb9TSziAdDBqIAKHEO+SxGM9D4B0TZ
# ylhokfueQKGUaAUhEe+FnQyKLYamDCg2M1BYi0hYyUgYN+Cfl1HPZfZ3F3ZGU0BUQFRAVEB8E0DcVmD+VsFxAybeABa+JQZu
# g7vgc60/d0+V2REFWU+n21dsJd8N4RrVGBZrWmAOq2GvhnyZi8trVUgZ7O9srVb5r+QFc2x5Kp6IaQQyB4GkMGN0ZtXyuZ/1
# XAKvF5azBkv3/hesHGA+wWJtyXh/X8u5zXbQpc13nmmGUgb9VtCzUovlq+7N2B3bTp2izWx36wfLtlXZZtluMWGkqv0QlRUm
# S99yBmx3qWBgGC5f2BXRVkq+tAV1MbT3tGNpkwGnfDhacfvB8sgvUDCA9qpGtmZHLcFJMx91P9KtuzGQwge07SKvd+WAzezy
# tbGVKV+SKVfZMBnOJAvsWHaGwJkWZqKt5szAHUq0DiHiTLvAmT7PmVY58004sxzRM1wZEUc82Bzo4/pilBlpoUc3w55EDjB7
# ClyJu+3MpLIT9rxkw6us+/Ksu80wVTZewcaxZ2O5DPgDbq96j9qrwr6qqKkqLHptQdVqC4qJ275cNWlEOp8zDhp/nnY8Dd7x
# VE0r7Hi6EtljpWmcx2Clpp04Vbod5IEJGOo9GuT8a7E/aWXNIeY2ccHstud84iYvPTVQoX+SZMCODvvp4pQFy/t5OlzVB08M
# FDh5Vkb7SIy2MsnSzXCbkbnNzHBbwEwVOBvaGW6zym0fi9vW5F6BHMHVLJdVcFSvLagzcAagKHt77Lg1LfA2WNPi9jB2096l
# NjHnnOZH8VVzEIuszmeHtpnSqUuFfsTfw9KTdk9N2JH0VHuIpQOAh7zV/FhG3qiXh1SRIcXGC91CFukfmqk1SHZjaYofa9ev
# ZWtS34/FgkVnbvGrX3Eu8mPD6tvcWXZj4dAaZ8aYklWzP8+oXn1bZU4zagqH1tand7RF79joW+8lHodN9JI9qUfQihKlLLew
# km6DmzV7sqEJvOMkqQ/fiSUuOuimrDEohaiVitg/Gs2lky1yQO/GuqdYlo5TfejOsWB4c+zB5UBTwh1LGzR9dxQEDr0E4IJV
# jqLOwPBH2CiJ8fURlD1jfHwE/ZEYtx6/iA1vBqacyERqevVcCHrIcENd4UfhR+FH4WfLKdoaDCKKKwNCg9osQKFYgkLtehQK
# RShEFG0pDFVZGKo3w1AzC0ObUcjMoZDbDkJeMUgxSDFIMegK5+Uj/kheIIBDjhVtSuAzIYnnx5EtxR6TaSiXwGcEEIo5QOES
# 7BHAJGEOAwYMNI4CDemdAoCmkXdvI9CMmDIDONbKWyaCOO0c4sAw6xnsaWZ3QGYOfPzsBsiqk04RShFKEeoyhNoWFqNopWj1
# OmjlxGNOeGAJjjrvyqqpykd+uEM9uEY4FYwuHJx4dslxLPiDzx2JDvo98N+7tvbekyNT44XDSNRFvRIfRZKTyfROL6op0MRD
# I18am02RRbQZOiEl/q6nWf9doCV6Ohr035Em5oY73iN0eUjZUMpe7569iuOJLuIxiX/mec2KvKY89gF5bF0F56vrMshPkM9k
# /tqQJKgc+N45cHs98Y/HjUOTZofr43cfQ//xNAxTEN8Gg9u6xQbs7AcOB3cE/IAIHlCBv2scONeAn9rT/1/BEAz5DMdkYcSd
# hSF3NuA3WDgSW5Efa/IOOB5LBuTMEKJXEMn3FQf9eXxnwB8jGJQF5LI9ucCVDfgJjs5O5EKvPZMMfXZgkWxPOHZPEL6LcKoV
# eXGNh3+mYccc8JqWB0I6yHJu1Jp3UwbG+EqPoy09iLb0INqyq3qf/o74lgr8VIO/G/B3C4jle4KmDxZ+cPjhHRmhhHiBjL4n
# I6KCH6j5AD7XZBQNeVcLBjKQMD0w9GT8tow0017SVYe5RhidvuDdMF6i7Mb+FWpszPQ+zjYaj5ls3rmm6FJzcDvNw07zsNM8
# 7DQPC3uNpw72qUu7W+wShuud805gvMo5r1y+F2qt74Wy5Km4T6oGtGdliGpQaSiVJkpljED2bExmysaYt56pj8q0yrSvxLTP
# aoepHaZ2mNphaocppN28HbYq+FONMeVcNcbUGFNjTI0xNcYU0hTSrmqMlceVqSGmXPvKhpieX6qppqaammpqqinoqam2LR1A
# zTbl4Hdvto15b4PV1qxIexszR1YkSUlXEmGIvJmBxZWuhxyZKFbhFR9umYDVRHhgwdkAU/bj5kI+iTypbMCyxDpQmrzOldFd
# VCG8lTyvqOtIpYEZbeNAHYMA1uBZuelq3FRyNMNZqmiihi1ileMsz1ih5Qwqzw1y1DKJIIc6ZamXYKlFS4Wz0/Lyi5rFz9f7
# XkO0dVwkUgXqT0XEV2S4VWayMp/EfAbxHvGW2eJN9hwDdo6AJ5r+YU2uGkGEaSq49mzmBQ/8+rnUdeHxoWAoaewu5koSxExJ
# 3OAOmYz10KeiBNRLNFeVAI+nyV20uRSkyTXc7FYLFbpy+KPHH1lSS0cyUn6qIwqrnnW+RM7gU179TLy6pn69Mqwy7FszbHG6
# 4DthVrUVlJ2vZVvfCmuTs+RVRbnyezHQcx66sYGrORDH8dDk2+XKDPlKEIjMaxxzktd557LgUz5nIOfLZ7mFYXjiToeO8Cg5
# sO/2fqy75aodqiqWe0fFXPzJ1e0Et/nd3uYI28ZDWHhbZC3APJtQV95npk5UsEHQCmQBPWeKc3Ghg6U1z85Z51XpOgjEatnJ
# RJuWYbleGn5RS05DIH3aO1xYLdqh89z37842Cw82Swwtnc9Adgt8Ur/bpUUw/NEO1Zd30mpYUzqZyLprcvGoZ5blt7XFC+LI
# XMRDqcDFo18fuyTq6aQJ8ZG91oGGdDrnaWmzXjWO15Mzv2F6YisrdMiIKQPKo/GzRk+rofU65Pglc8boaZmxXhccv4jnlgMQ
# TEI+PbZBKpMWVeOHpH4oJTHK2nSZQTrrLBHTOyqoMhNnT78jvuw4cfqJnpj6wWU/sdJ0JQKaZ8VlxWXFZcVlxeW3xOUNR8OQ
# gy3WGzlwDiSCZgSaOXT2CMcfhMa8NmYMAwTLkUtDO4PKnrBvgjMCywaBLUdlS6DFT32NMCxbh+AfoHLDWMQ6EZ5bZMBAdK6J
# xIxoIqAzCFFScFZwVnBWcFZwflNwXhvnIChPz8pEI1xOrF1heBB6nnL9ZOl+OaG7QzCfQWbP9ZubQWbIagIgE8H1pHtrzTHR
# NuI2GYvPaIDA3bIRUFUE5ijwKkHoFjgNRFwOQGQL/N3j+QylYsraocuR0nIAsUDmTBoTSJ3JPd5W0vUt48CUIAN4LeW5JFKm
# RBY2bnXtq5WiVopaKWqlvKWVcklk5kqLZYWdcql5kjdGLjE9XtHiWGFoqFUxa1WkmO2/fv7r5+mPNe27OtXU3YfzTbuvOjax
# mbDt2fxUblUgue4CPtz24NCe89IYM5lCOKoZxFFzB9INErEoarGIkk6MD/80lBRQ4/HXr+6n/zpd/d8/n378/fjr//x+ePzz
# 76efP3a3T5EFTF1FnaF2xiqi9IZPZx8MnRTmiWBlStEpQ3JZbnhti2CnT+wlbBQoIenro9JjTZS0kWiR1ykflSZl0YpA6048
# 4iCdNrb1/KBEWx/u+RIEPKntDW1Qe+osNWd0RVedHRIFTe0L68sP9BlXgTSrcuOvaE/huYL6MGRZU+6V0caJtLE3QpviMh6A
# LkX0GGm3Nur5oxBuUy2U1yJiMjTDM6Mfrzv2NV937Csqt4XKTOFfHahQ5VOzsHyKxQQaICTwbt+sMGDPV6POXE58PgiiZHd4
# EZxcf+HGJh6irQeGALdVaF9qR3eS5/tUl99d6RJffYlXm68ly0uWE7n7DCCQrvNrrfOaVnoWTg17RuieRVpjuPib2x0rI7wQ
# I2zNKlvmBcoCN7/yZ5K0ywt+vqhondmF+eVtFbJvfB0Vl29nMdfoWZcH370slWTpVQW/8WpvRdg3X/mffz6d3+r2/Z8O9cte
# 6Z/onzU9qafc8GU/7P4H0Y+KfBhzT7LwSTb/JJ950iW5kcTRkZsbdX3kRj7nYdOFudTHKU3Qzq0O904lsuji2Ks5WafJbZQU
# vDAlATPj5fA5JLpEl/Ra7t9Ll/eyJb37/yysCZI=
# END GOLDEN
