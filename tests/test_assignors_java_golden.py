"""Replay results computed by Kafka's own Java assignor classes.

The GOLDEN block at the end of this file holds random groups (up to 20 members, racks, static
members, odd member ids, previous ownership with conflicting generations, empty subscriptions,
Kafka's NullPointerException case) and what apache/kafka's ``RangeAssignor``,
``RoundRobinAssignor`` and ``AbstractStickyAssignor`` (commit 1eb7644, the snapshot
kafka-semantics.md was written from) returned for them, compiled and run by the harness below.
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
# eNrtfUlzG7uS7n/hmozAWAP3b9vRex8tZFnuUPS99gkf+4Vf3NB/f2RNyAlVqCIlS1RubJGsAUhk5pdI5PDpP7u///65O/5n
# 99Psjna/+2l3x/i83/24f/jff3bHb7/+9a/97u8fj18ff+yOX+//9c/jfvfvx39/fvxx+vXTp93D92///Pr344+Db5qD2e0/
# nR90t//U/b83d3f7sO8ecv7n9P3ur1/GPLZ2uLJ7YX/56St7vuD8hz/dF8F9d/vd/T//PP3Pt++nUZzG9u1/Hk+3Pv7++/Gh
# G3z/478fv3WfyJiOYDDT64/DK834yundLg1i+CPc3T0/P+/fJam+//r25cf3z0/flF4l9Prn59PD//6/V6bVvnvqzx/3T98e
# v0ykOH3+9s/Xjhjngb5Tgj58//7344/7n0//9/Hw7ojbJOKOQzk9+f40g8+7u/El568+n776kr6yw1UP6Su3/zT97U//g6sD
# f0AEV1f857p7/t2ZLCXL3fq03GARB8oe7OWKtn9DWq/9mjUa5zxNeJpmXo98+JVZpdd1eV55eco13cstDVF8P3/8wnrv050u
# 3hUh6y0tZOwX0p0X1J3W1YsrOpLW9EsHqW26pUOrafoVvE8fA1iuLDtAVoAfBW4gHBb5VxV4Y83f2Jz+f8Bftfg11uBR2H7i
# 6bMT5uHBW23o3pE+x+EG+F1FXlqTzw0ZRMuf4UaRG+9zicYP6StLaOT4urlx3dCzprVzI6GnjxUgiUtSN3xsCIFcT2NwxZnG
# 6YOFH9zwaCDBPTcjARYs05FNJ+acWHJixs4KPQ1rkx1DBXfxXc8qcipyKnIzIldkoKrcqdyp3F1T7pYN1vUypwaoSqVK5SVS
# uW5L+RoS2vQSeuKtTkLP//mV3uSeTMAlbNgWN7ANbZMkIfF88iDvnlxH97Svrpw52OFN3Vi7ke7R+lhGlDj+UbP9t2e77ema
# NonlxDLdHx78ceHZlFnpweaugbs9pc46dqEkqhitarZarbBsFizgqCEw2dw4AD/+BAnpEkWHPyQDTxn1hRh1jYF+Ic1eml83
# kky59d1wazFoXsPlulb5vTCDX4dTN52DKju/DDtvsgffshL+gzzaMedpOqbn0U0BEU3d4rOi7lmnod2lJZyiIsCRT3uwpXf1
# 7zXGLd2wewq7refw/TzGlc0tlhmZZFoj1zMsndr4oHZikcQsE7ck6++8BQLzXM9gmIuE0+UPsNSrDvbxelsmrjVZOEjguQV3
# TN4bsvBQzpfW3TM+bDnzuI+53uUHzHitVxM3u9YbuIav9WqG2RKecPvcsC304MNzhhsiV5zkZoY+ZuRcfsD+Zg9+DtjRHLl3
# uiIuTdM7KsHHBj+jhSNBw4IuYDM4KaFrHA7MkpF17l/gIe9cv2RiZ/dv+tDADy2fhTPYqw7d6UuxN+PqAwfqwPDnMW3wlqUH
# XtVahUxYYtt0q5CWIBE/kT0RO1E6kTkRV0A55d73yr0ltpqysLLw22XhRSPjJtlXLYwPw+CrLGplduj1bfp9Vj4cnMRvwDgA
# A2K/xcANeGUEV1b4ypq8yvIoBAvkzo5yh8I87nGYx0M24pyFmoPABxK/YPEVDkQZePA3D3NAT6nAz/WK2AQ3RbTP7lubKk77
# ViApuz90cI0c6TMeYzc+xwHHYJxoNhEMbV37uV5NbrNHeyoVH0oqtp6Sq2ioaNy2aLz6kfybF4tLjthVdj6S7Fx8/q9ylJGj
# VSHnaLP+GceZky1uwLtgKkWf2UY9t8NdCEm/5yHpWITgRx6OTkLRYRj6fAw6kXsLM3dZADqOPr8nkef3JPKcPrrhcfWWhMk7
# g2PAUUQ3jy93PAp9Ti885HUCeXADfm7hGAx/oxVi4SdPy11JkBQpxhHPjxL0TOMOckmOFPlTp1oeu6em6WOlxAPJXOSvRcI+
# xV15T+Ku4sHnXTHnK4OYgh2ZkrLnKIL+9nth1iGYQ8xPIDDtZz0MT+DjqijJfUezHbikFofumOpNwYDO4CwAcBzczBwH7y7N
# WsWnuD2H4FPcxTTz/ZlB1qevF4MJCkA7c83x0/mrML2zno2yjIAx4aN6vjhSNkii0IC1oYBWJ9lNEts9vpoe2YfJ1NPnCjBs
# ErdJj8FD8IZEYqHYQccZdRK5KTqrTQonv+1SyFPIU8hTyLsFyFuZNV6Ee46DQkCjF5HPcv7wQM1TpItMd59IJGDetMtB2OfZ
# Lq4FyJfHu4rzlCWohEO0KNK0WdwLBPciZzeDMZnAHrQeKgH2GiH4i+Gywp7CnsKewt5tw96alHDHnGhVDgTlHDYn4FlA/DTh
# IeEOhnCGoIeIdcAhCEBPdF1WArREABgZILQAfk0eVSLb2fE0MIB54u43cPGxs5s/tPF0JUBs1QOquKi4qLiouLi1bMpmRLw+
# +lHQuxTr1kLcEqAtwNeLg9ZQKWpIMDd9gvkZwUIPaDETc4tCUleF3aKz7XtWMgpB0/iTBwo48Hq4odfJ8L1hhNSkTUOPb+Qr
# inEBQGvAR/QBn5VHMKiIowLWBNH6SSAjFEhJBTW1HRTvcCkW9HSds4de14ZBa4SRj0IvnRG9YByQTxn8Eaq3iWFjL1DxSvlE
# XCKmZPU4ii6ee3dbHErSk/keh4maiScmTpjWf1r1aa0TVcYlhmLogbWcLX6owqPCcw3h2ZDOxGtSvF0JsipBKkEvKkFrE0ws
# KI1iZmVFFqhXEZp9wh+18FTE/rCIXZLPVS5u70/KpgTFIY64FzM3yFlXOuMkaDZXM0MIfp3m782GkhmNqwZGSrW4AmXBwaVS
# BexSiacNu8veS3alFSspNX1jU92pMP3VsHWbFscaUrSra4H19auzPu93scyL3ApJfKTAGNy8xztGyK3Vn7qVerXURQtcEcQD
# gbkg47goLgw2/BHZAtfjH834R0vW/kKJZcqgZ82Ma8RP7hQ/eZX8xAaYDafJ2MSuNWFSP0Ua+OkUIYyzDuOswzjrAGdtp9n2
# 3qmRjye/1EsmnVJeh57UZ9VcH0dzrStmJqsv6cCTVRIyAjcHgXObGS71mfQGpMMsDviBOswxjVUx/QQW1glLXHEN4Lj+8kxb
# 1VwT2FUKrBIKWFK1W3MlawUdFwV91jJl7JjqrZhaA9pM1mFLBT0RS1uBuaOg0loGbgZWp1L19WHU14oKbAuqy+d1WD2nzOys
# MuOc6pdStZIuE62vGaNrztaSjB5BDQiqLMxoMJdTXEs858s065xW8vktXJM1tuLUqjajp2KuEN+yVpoDrpkEDGiX68ZS9ds1
# qk2+NV2nKu4jqrjrabYh9T4OnmmPXdN2fbF7WHM+EL6Z6B3PZCZ9aIGj1IqRNylCJEcQvv2I41pEuIrDcGK3Knd7e3FDm5f2
# OAG/qX1VL8YLdMlWzivivK0tJF/MYyDz4GvsQpX9Xp39rt+nbYXmux57/lnWU2B+Mf582Z6CyqtlvGo2cqG4x7ULv097nPHw
# veDSygjx6fK1NhxC4aWVm2LRc5dW8u+7pzriXXkb46HOXRzJFt46c2hK59OGQ1s6oegO1hRe7Jp4sDY35DDMz86t0QYj+7xV
# tMP/iBPIV92K4++6lcVfdSvYf1WRn/oFIU/o6E6+6+hLHtvTEX850GuYgutrzqogqSBdX5CK9wwqTSpNKk2XHoDdniStL5eu
# sqaydrmsrd/OfXS5G/vBWewm6L0EcSaynBTSnSmiu4dB6AsJ8PdC8vvUpAMV6215uryVyvxaPgZLKu7CtHCDq+TyorkoMN2l
# WHVQIxc2//ApDB6ErsO89CEq/jOPiv+CI+Lv8RUBBLUbEla/Ks79r1/G37f8EFk83L3YRSzGBDnm5jFLwU5xNrs9ei80G8zN
# aIv32bGgNx5dNsThX9K8bVyc4na0QowxL0jMw3ZZXkxPwU3+LnagJK55rsPxTLRxv+bPqsNUh6kOe0M6rMRfQBXZlvGKJwOe
# kZvPwJSotk2sMMMB8wtvVZGpIlNF9qYU2eKWMavE4pI1ZgtKfM/nWa2z00oiCWe65zmWlgbZAOrV5T3nqKXomJPOmuia9Fbu
# 4pD9JfLHVNmLa35xy7+yM4PODNFlZ+r4TDuNxb7KTNFnnxz4k2P24ogvVoeAYpBi0BvCoFUuTIpHDaOomyNbHkc8mVw3A9X1
# N6brh2KnZqh1uuYIZnyb9/FAO3yNsszSNeDBDNEYQp4FPimopqSToaTGxZn+/dDTEcC1Wm/t6bBT6n62DvuNLcGqlGVdh5da
# h/J8pHEN0nhffC0uK9B8Wwu1LYns3S2a9WhT4QoKWG3v1wm3FLTWVQV+rlmtK1JnG5W+ggWtPe/rGfADIr+i4uW44Qga/kpS
# 1NpS236ovY2KbtNeoLgPaK4JKHqsvG8Bpb6mB3lWBcyDnwL4O+IHVmRNfV+5C47CjzXI0VctGQntsOqHfR54sHX8MRaO0way
# 6fJTYXI0QiuMuitQDu9r8ERtC2lFaqSR4mhox0eKouHdHvwYcQG0Ct9bk63hZ7QtXFcIbdWO8JLw+Gu1apXrVUv98dz61q6v
# UX/plUoiXVyVbS8UWtxup5O6c8pVylXZgzO1L9S+UPtC7QtFArUvLqnErqylrKVGhhoZamSokaFIoEiwaGSsrZ6vbKVsNRkY
# 67O11ARRE0RNEDVBFCvUBLlGMx9lMWWxC8yRoStZHHul9+ZI3BKTU3t3MLyXMl3bOnXN5dXlflse1GOk/jrWipE7f/0y5rF1
# qd2Xow+x4CE8Vtk6xme0+hyKD7J2KCmRAMAuR1VbicNpQ2U4hiBOdtQEYZju1ELMsLeQdh0O8P/52X4qSEFqTLhqKG7hSYdx
# 3sPIwQe6XB2K2B7O1TB4mfGY6o3PhmS19VgiowNek4aE2nznBlBV8dCIpQtzWhQOsk20whzXDiMi4efiEvCl54ti+ItAhYpq
# rM/hSe84/sSkeeAytzvAPzYTHic+D6hGIL67p2AI4zh/sKDPvKcd2p1UwjyQaW8MC+41EWr+/Tt1Pg/5XuZtX9O71yFTqxtD
# Js9bnfd64Pgp3w2MF9MHlR8DqNOOHluN7c5hY2Yc9N9LFClUUveFSojO8bg9eycJR97LfiIBq2HSM16+/7rQBwxM08LARjTN
# nldwRl6veZ8VrxSvFK8Ur94lXq3KoZgHLZPJ6UWC6ET4ytPYzICYE/qLMJp6GcVsHsX8avAqwKyAMWtqc57HLscaRFkjQfNq
# zAqKWYpZilmKWe8Us8pTl2bwys224uvUCoOpmqsHn4MnGf1MDozEfRNCJUmY1+GULdlkAV0lAhaEs0XkaufwinWgJngF3Kkb
# 88EU1BTUFNQU1N4DqG3LzZ0HOBnFysBrEbMWoWotQl0ITDN4dCEMbW2NtBggs1wjJy10qA+83nUX2PDUjhWsxd+pQuVlrndf
# zk9xbrfZl90NLpkZoNp1eivYoz7fHqnWuVE+PL1WaLgMrYDDA9Jsy/nyu6fmRux4ecqOVd6aFSa3GL7EDZnAS345FiSCTcvd
# k212c/3hloxuOhiXq3UIw1IWTL7oD35pGC+e0YwDa8R+bzMVJ0G8DTU35ss/kq5ue0IVvBHkcUE4+Cdf51a575rcd2G+2xzl
# PGIGzoNzM7azTOhZXT1rRVplWDDXM5sst7Lga7DgJeGHxVQT2G+OiTDrUvYrptN69oN8rwj9Nhj0WrGyyqyiP5fkpVzMuik2
# nrtTyZn24L2CHOuIcyj4OlcCdqlRVV1VB1d060lQPOm0FR1m0+XXhpnLaXm6WH7tSONqxeOT48ZOzcWk+wIV/S+N/3L699GY
# Zm5J7RB5ACnYkoWL3k39x7IPsbx031+/vn511pqlW42sZqxduLFNrzwN2pFBB4dckeITmgWv89nh5bex7LnfmA0L769SiHt+
# 6WMVTky88KSYoubzT/J1e7DVgoQHdmASoI8/0FWqF57nmVvZQzdrzPmSq3AabLPwcMcc7g66NLMkPTd0axeebbFyhqcewjHU
# pVvRhbdRNXoEMkD15LFMV1MVOT6yTukW54vC9APisbPmO0psDNQcjUC1Ywc+rJ6OZZxCFdIR6o+kbIZCtpaH0MoMzVTGEao0
# pgx4V0FLuxAOAou/HGTvCDRPJzzHMk5mckFe2TP0Eaj0ZzUS1EhQI0GNBDUS3qqRsM1jCLpc5O2CgCB51kBwFGGwOeAwWAZy
# mD3hk5Ds4qk5ACtlU7MA2DNz5oHn3eSgMRCR8QKMAnjuzowDZmQRU6CSLQHZThhNAqA4BdsAmgEZG8Fje4sZC45Fm42mATSM
# cjZCrSaCmghqIqiJoCbC2zURNjvJLYVJYB4wwAdWgeMpqg4Ev1liA9QQ+h0JjqgyOUUA8UcrRkB8CwPy6rn9P7Y3MOYnGLTQ
# aSLurAnoN7KXAKI/M0YI+FeyFUaMAOJXkawBLE/EGvCZ8HVgDbAkYdEqwMxa1m5saMIVYeMtwjypShNlR9CZi3CH1KCrZ1Op
# QdewJqmiE+DBVNqp44FU2onyUyr0xFjiTk9c1FJSS0ktJbWU3qqldJXQgqzVJFlLkpWUs442H4ussYJKjZ9Zm6f8yENNnNs2
# ccYIKNebOEOSoO9rnWYb//UUhIbOb1MQqwQYZzBZWGlGkj2GFc7uqSJwFKp6sGAyT8rqme09k35fua4fjyrOxw1j6TvMVZ+w
# mXp8gam/joZHSi24AM/KNv4qrTDeCe+4bSzDWU55p4h3Fm2Zt8c3Iru4EnYxeQMQqKqNaYfKXJcZzcpopYw28JmUPQfrpRtY
# 7Hz4qTCZrq3EZLrPu4tKL/ZPncuvfHNTW5Ve+v7mV560yOe2Iefhjc1+W/rmNShB3Ltdhwffd3g4gYVZUyhlrtr8opPXTVWn
# mbuXNUjfz2GMbQVPkiu6s7kTnJ1nN4Mvur2e8QrV8RCKHlIJo49Fd85556KrDlXRU0LO11oX3e6FQTSLd6I661byrrXzz5DZ
# xRS92KAyF1kneXsCY1vywBZWU5mMnKbPavptXckzmlQxRXCL+pJH1Lgg0eBUy03P1SHrUsbPrViR4EzylI0lj4u4BMvgOGNT
# rkp0y5Xcy3NMNbgdm5LhrHQg27bkoQue4+0enYe5CH2Hg8fsTDC3x0fOjpxFOxzGDg7cSYD/WWEeoVZEgXcGl2kjiu4IdeKk
# v6aQgN5ebui5eiqY3VKX9KjaOqWSj+IPchT/oDuOyxBoUeTfbwtK9vQucetnov1jpoZcL9tHqOI78TxSGaxIHF5FnN9Qm1TI
# c21ZnXISmdik9w8ZAS2JP+g15rMaKGqgqIGiBooaKB/NQCnycIjZAcjisFLwOMJlx5tswENlL/jcTMY4wfJZEzMlZhpxACsF
# GUaVZK5gmwCYLRUxTVoOxSPWU6MlbyyItgqzAH/j7ME9RnZqo3DLQjJNoFaxkdooJmeAVPwIBhsg0EZxpIUKNE2wjm+pkeKh
# FlYrRa0UtVLUSlEr5aNZKcveeTO70ccWiid4k0dV5i6p5Xw+6jdBtkMEuQgYaTP+k4ANIGaaENNLRFLkUkEllrFxwpWIbJVQ
# 3YCMESTxyRTJCnLWFJHlU3abRNltkhElYpJ4Kaejma2WAC2TDC8Xx/s5w1ZfCsrr2AqE5I3sCALyRuaAoXftckKBmkpqKqmp
# pKaSmkq3ZiqtC2p4NbOp8JRpjZEkm0ZrLCI1hD6eIeSG3kTlAZkPc/VWh5SenL6152Vl8ZxxzmyZzRo8Z7T48qujweYIvHr3
# VEVU8zXyaQ65MumOPma0molQ3T3RtC/b4ETH6dFOUNapB4llLXVIWuhu41k766LVL1KfhuSEumo0RaknK+qdkmh4/ARzhKql
# DLCeOiRlq5u7mE+k3PxhuHnNwQzLSRtZGrK7y7T7WWZxK7O4YSy+lrOVoT8OQ68zRvPMbCEzG+qJ26yvA2TmrJqWZG1k6jKj
# x/aWTaWmyQfi/e2bsj8oB6/O/03P/6Z3UZrZNIG+QdT0twN/e/B3OP1/n26J4Keq++nc22n6ql6XbGCrTK7BiQPcjrsy5bZT
# gtMSXHh+WKxIAZQmSdr1snO62bBeBJ44AULKtsLsB3K2EM82LWhREFOKFod+Xf6XWP5VGUyIB0A7DCnCR+AB0IEizwNeeeCV
# eaA8t0lef1eqA6B4Z9ffAtWyLQFSmeQFmGRbMtz7YBgzHH6OZ59bGpE7kzIL0QrkjjmFLvQOxBzCI/65QmkhCjXWpoM4zxqg
# A198RA77ONP72uXf4LAn2iE3eUB+f3aeaPx96/OPtpnG0inGYTw7uKgZBlnCpbolYjNtkO2BTjK61Rmd2RVbjIZPjBR07IhP
# gjQcyYDh1B577XX0JXEnKUylX5fEA4DlnlVEPpSIrLICM3KygpA5Cdmy8llhKSYNk5TyBVM5+VByUm74LGHJwpLlRaR4GUpk
# ZAXFOZyUknTTWW8/ae4DUvm6Zfnatsn487J2SxJmffn5Ai0iXdhsVgh6og8Q26Tmfe51mBh/vscse8RvT++T+qSCg4Ta7S7v
# tpcvM2Vn26tjXgW9dKSaVufgI19WNEuqhadssJINtvVTykwRcoI8lAwnZOYrsoK8LMoLF/PC1btLS6GWAs9s5Qhxgpvaliun
# rOOUF+1J/k64xqHKmGPuietzT9wWE99X4XBpHopnplsr2I+RuNKmEo5DCcgwlbuPu5LsldktRFNn22KUhYdDa7gWLFLPtzW2
# ZSV3LWRp53dbHa79KuUDhef9pPtFpygd8yQM1Fu6X+8h3dNVKS4ktORAppHdkJ2eVXRuW3RWOWIl+bnuMiCpsRIrX0KTAiHi
# IhP5bt4KO+qapBOq/HwE+Sl3GmHZudJa0BWAgLOZgVcj0LVWgNC91Mtkm27eadD9R7X6blv0tvlu348Y3oLImS1S1UYSn5Tp
# cmcLrnEz18D2U+d9tSQWWyvLxz4OCUQ0W/zR8RZYvt+q3jgJ11WwVzpefDJ8AQ3Xe1ZujMobK/K/JsWxVePXF05J8G6Ezipn
# n56dXw5wMjukiDhYfeLyAtTS5ozQltQpNDD1+71TbFNFzEzTl0KyufdPtuK0ppn2OEuchp0gG4OB3xldN6WO/WkaD1E8Q7Gp
# Ztj52aHY1Om/uBG6qlYIpZ+pHpW7aC6WXly76zScLtoOehcPczV1OvItDLdaIFK9psdYOA2oKSLYRvO9W9U+4dCSBFyh158R
# 1WsKq0k1+qayQGnfCPZh6bppj592xcNuMPAitrznAmlz6UEBIJ8KE01FWsSGtv2ij1PgzQWmwU5jTRv49P5UIyhVDkZ5nmNe
# J03M75c4BbJnA19VpD+2SK/aTq6Tay+Ls2OVkxyTpUaQgMAFPS/UgcmyT3LKBM4JeqWZEWfDxNkyvVAL4uwFrdWuF2ebXGsq
# 1yrXl7k3MjKNOqO7XP9Mh4rTc3G/nnC/iCi/jODCcg4LAuyZc7tWE13lfrvcb3O4qQ64DR0wtqweMunjoATEhPrPKKEe5te7
# 7iNKkPf4itDdj67gGfYsu36Md+Q3t2Q8dHww49+6IX9/vMD184Ep/W6cE/rKgXG4fk7ncYCv6Lw86F3r+2d+KS8TUBmXO90G
# 2ftfdsIBcmUOdvHOh67gQF8hE3rC3aZ31iYcFjUuql8Q1unnuPjwCwve9PQWShHQPQEJZOqIzUJkSYfy0T2BCS3mh6AI3Y6q
# 42UVCPVF5VdDLj7YAZWHug/wbugulxeiOkF1wq3phHVuC6QYPBMbN6MPDI+qd0ggZYUQSb6YozVqsWIIIGQfek+AYrBMnxms
# zyLPBGjmjvFUMahiuDnFsGLPg5QCF5lQYiR4JpQurxOCWPl/ha1giEqgSkawEQxWdlTDbMoYU7WhauPG1MZGt4mqkE0qBGsQ
# EkjuCzQJUiNYRpFw3mPRc0T0HFY6vXBOf0cu3RX4ucavbrjGaOFozCDXU+gy1wyd1oHXeD5eC0doI/wAB2drQVs1wnctfqWD
# qggO2XOCBkDv0P8MBxuSMpzXZTNpxecIxElip7ImJd7meV2VyqD0MfJIzSVhaue0Feo9BQeZ1IMr6x3WJxxDtXeap3lsI3Qo
# B/QO6nOGFbfPmnf3VA2FKOv85CtSo2a3kxzj1aFZoEFEVVFCR01e6saaQ1tCjYCqz4zTse3QhksovHkvvC7ULWn7BTLFu0FK
# N9nTTTluMVLkVde1aELKDc4rmCA+VZSxPLrVzfqNEQS0EAIcT2bwmQSJjl3HtzTZtKYwAVTPoygul7jAzWx1HxowUwHveJvN
# 8WCY13MWiy4ASRtOSDKB+ZK/raHn7T37yKXYBzY5fppJR26FDbfCnsKewp7C3keAvbWllQqwz7C4K5xK2OZgEFGXdDaU0c8L
# IFLLFSqyMAgrZ9f87LxGtMzBoOU5jxHv0wQUNChCTIJ9ioJuAQVn0M/x7M5KsU+xT7FPse9jYt+momAI/8CmQ94DCkVKbQn6
# wU1gwdavkYGiZOeX3xfJm08Me6R+qmdnnfLej235Em4Xb/Xc3FaPV9OBxfw3Bm0pNCo0KjQqNH4AaLy4dmaZi9QVoeIKMPxj
# EFiMfO8I7zqEs0MgwcqMbaodhW4AU/p+A89T82H7Ns/h6cCzSbHw+7GtJjhR9dm0guawKEE8JA2XGa/xK+2oqizyZpxGcbCb
# M3e5rEn1yfezxdDHv/w4usjGW7O1yVRUsCkgLp1QV4QkaWHMJFZm8m/YccR2GnGimOUhuHjNioqw7/N13+USEpCBvMRJzyos
# b0BYttWFt4wfakFivMDOLeOSwCTGGhTCwUXGMS5sBPoELkPOsPWKmC0Y8RalxbOo2VbQFJGzjGHiUXFpdrNlVlRiXl1iNthy
# YrVyzqVtXpNyJm25sGRKo3ARLeFPWVh8RmgdddEvIYsvkmCfxUNh6ZC02G213lWeXl2eLtwnqWy9E9lqRtEqb8LxkHEMjfWm
# LPbatMEehI1/t7K8MYcrSVFmLTSq+TZqTWWx52e6MSZ2mxP5KN4cEmvwTiEV7zCSbyfS1v6wKjn7tEluxDFZJkjWEDJvruZH
# jnu7dcWBvniDJXVyz+xIzpf6jEegX70jX7FJKoASiCnzGcrI+XkVyL/C3dfOxMe7TqJuUCfpdvSRQBYAaiLbgl6F7MMK2coC
# kEWSFgiDZktL27EZ+koJ80kURAkzHJc2SVoEsLYsaQ4oGJU0lbSNNUOhjeZy4gZ5uyFM7rgcYIF5ENJg6lXIZq0geHSloLgB
# YzMjd1CA6oy0UXJvc7KrKH5wUdxUZvYmxfINSWPvQRkiPJo+wsOuL1hc1CwFksQItURQyaOh78ZcQargDrbk7SSfEZZqqu8W
# y87PPpr4NWBhqQVN4W02eEHqyGKkyo7xeju5vbgpE9fH4r4oeDkynYdxeVpSNp8JH62jhUWhpxzzLHmhMm7eIFS+v12+X725
# kheJTirH6pwW8pIKPM9XCM0xx/OENE4qQlcr839E5l9vWM2sy4KOnyFxQKqbM/4CCRcZP8zSp6jnVVfQg75oGj+b9N2dStOH
# k6bLtiwvIlkvJFB/UI6GMsFxiDYfywRvKQwc3Vh7ZmieggNhuaA4c7fQmyo9yMKn+Skqd+zSSJ0RrYEnt058QoMau++oy4E7
# LVJVldHPYKcuMfzqmGbgwTTS+yN6f0XCq2tz6H0LcMhBcKXUw0hmh1yFwZHgsbCapSrG7TCLIcw643g5ewNo8xw4bqwJd0++
# D1geXjKEIlvGNb73EoR89PoQkEzXVnA5obuA4vLwVB9r1Kn751+/vn511oZEwcRRJt1aZdnZRnIrZYY44zWK1h9sBdch85Ka
# cDwgiOCVGu9qRKedg01Q64CWq02TgeLFeyWhqkTh8j4yvYY5fhL6ovDQA3EgcHu6p/oCe4H4HtiT0OleD/TfpYOYIHRyQXd1
# kn2EIs0bPHTyOl2TafbSkpsGMWS9vo0cO56k7whVEpWvI9S4VIzGH7F/YZKXqeA33IJZUGkbw+PA6TCK3tbpYoi+NjnkIE1s
# my5v8t0wFO4U7hTuFO7+DNytKlYMMA+9ws9BHgOdDMANZ/wrgc26OUADzRYWkc2AZg9rgW3gewHGHOjMkMezCjeVyACbNSKg
# 1TKeedCyQgQ2HrIPAC7g7hTFSBdh/wmFPIU8hTyFvDcFeeU1dPEWDysSCndC7x0J8HCznmYW8WDIQBQAJc4hn8VoBhr/gChb
# GQstct8TKJQSrSAk4r2wk0GxxdCUAcVmBgprEQkrGQnjBvzzMuq5zP7uws5oCogKiAqICoh/BBC3FZi/VXDcgIk3gIV/EgO3
# wV3wudafu6fK7IiCrKfT7Su2ku+GcI1qDIs1LTCH1bBXQ77MxeW1KqQM9je2Vqv8V/KCObY8FU/ENAKZg0BSmDE6s2r53M96
# LoHXC8tZg6V7+wtWDjAfYLG2ZLy/reXcZjvo0uY7zzRDKYN+K+hZqcXyVfdm7I5tp07RZra79YNl26pss2y3mDBS1X6IygqT
# pW85A7a7VDAwDJcv7IpoKyVf2oK6GNp72rG0yYBTPhytuP1geeQXKBhAe1UjW7OjluCkmY+6H+nW3RhI4QPadpHXu3LAZnb5
# 2tjKlC/JlKtsmAxnkgV2LDtD4EwLM9FWc2bgDiVahxBxpl3gTJ/nTKuc+Uc4sxzRM1wZEUc82Bzo4/pilBlpoUc3w55EDjB7
# ClyJu+3MpLIT9rxkw6us+/Ksu80wVTZewcaxZ2O5DPgDbq96j9qrwr6qqKkqLHptQdVqC4qJ275cNWlEOp8zDhp/nnY8Dd7x
# VE0r7Hi6EtljpWmcx2Clpp04Vbod5IEJGOo9GuT8a7E/aWXNIeY2ccHstud84iYvPTVQoX+SZMCODvvp4pQFy/t5OlzVB08M
# FDh5VkZ7T4y2MsnSzXCbkbnNzHBbwEwVOBvaGW6zym3vi9vW5F6BHMHVLJdVcFSvLagzcAagKHt77Lg1LfA2WNPi9jB2096l
# NjHnnOZH8VVzEIuszmeHtpnSqUuFfsTfw9KTdk9N2JH0VHuIpQOAh7zV/FhG3qiXh1SRIcXGC91CFukfmqk1SHZjaYofa9ev
# ZWtS34/FgkVnbvGrX3Eu8mPD6tvcWXZj4dAaZ8aYklWzP8+oXn1bZU4zagqH1tand7RF79joW+8lHodN9JI9qUfQihKlLLew
# km6DmzV7sqEJvOMkqQ/fiSUuOuimrDEohaiVitg/Gs2lky1yQO/GuqdYlo5TfejOsWB4c+zB5UBTwh1LGzR9dxQEDr0E4IJV
# jqLOwPBH2CiJ8fURlD1jfHwE/ZEYtx4/iQ1vBqacyERqevVcCHrIcENd4UfhR+FH4WfLKdoaDCKKKwNCg9osQKFYgkLtehQK
# RShEFG0pDFVZGKo3w1AzC0ObUcjMoZDbDkJeMUgxSDFIMegK5+Uj/kheIIBDjhVtSuAzIYnnx5EtxR6TaSiXwGcEEIo5QOES
# 7BHAJGEOAwYMNI4CDemdAoCmkXdvI9CMmDIDONbKWyaCOO0c4sAw6xnsaWZ3QGYOfPzsBsiqk04RShFKEeoyhNoWFqNopWj1
# OmjlxGNOeGAJjjrvyqqpykd+uEM9uEY4FYwuHJx4dslxLPiDzx2JDvo98N+7tvbekyNT44XDSNRFvRIfRZKTyfROL6op0MRD
# I18am02RRbQZOiEl/q6nWf9doCV6Ohr035Em5oY73iN0eUjZUMpeb569iuOJLuIxiX/mec2KvKY89g55bF0F56vrMshPkM9k
# /tqQJKgc+NY5cHs98ffHjUOTZofr43cfQ//xNAxTEN8Gg9u6xQbs7AcOB3cE/IAIHlCBv2scONeAn9rT/5/BEAz5DMdkYcSd
# hSF3NuA3WDgSW5Efa/IOOB5LBuTMEKJXEMn3GQf9eXxnwB8jGJQF5LI9ucCVDfgJjs5O5EKvPZMMfXZgkWxPOHZPEL6LcKoV
# eXGNh3+mYccc8JqWB0I6yHJu1Jp3UwbG+EqPoy09iLb0INqyq3qf/o74lgr8VIO/G/B3C4jle4KmDxZ+cPjhHRmhhHiBjL4n
# I6KCH6j5AD7XZBQNeVcLBjKQMD0w9GT8sow0017SVYe5RhidvuDdMF6i7Mb+FWpszPQ+zjYaj5ls3rmm6FJzcDvNw07zsNM8
# 7DQPC3uNpw72qUu7W+wShuud805gvMo5r1y+F2qt74Wy5Km4T6oGtGdliGpQaSiVJkpljED2bExmysaYt56pj8q0yrSvxLTP
# aoepHaZ2mNphaocppN28HbYq+FONMeVcNcbUGFNjTI0xNcYU0hTSrmqMlceVqSGmXPvKhpieX6qppqaammpqqinoqam2LR1A
# zTbl4Ddvto15b4PV1qxIexszR1YkSUlXEmGIvJmBxZWuhxyZKFbhFR9umYDVRHhgwdkAU/bj5kI+iTypbMCyxDpQmrzOldFd
# VCG8lTyvqOtIpYEZbeNAHYMA1uBZuelq3FRyNMNZqmiihi1ileMsz1ih5Qwqzw1y1DKJIIc6ZamXYKlFS4Wz0/Lyi5rFz9f7
# XkO0dVwkUgXqT0XEV2S4VWayMp/EfAbxHvGW2eJN9hwDdo6AJ5r+YU2uGkGEaSq49mzmBQ/8+rnUdeHxoWAoaewu5koSxExJ
# 3OAOmYz10KeiBNRLNFeVAI+nyV20uRSkyTXc7FYLFbpy+KPHH1lSS0cyUn6qIwqrnnW+RM7gU179SLy6pn69Mqwy7J9m2OJ0
# wTfCrGorKDtfy7a+FdYmZ8mrinLl92Kg5zx0YwNXcyCO46HJt8uVGfKVIBCZ1zjmJK/zzmXBp3zOQM6Xz3ILw/DEnQ4d4VFy
# YN/t/Vh3y1U7VFUs946KufiTq9sJbvO7vc0Rto2HsPC2yFqAeTahrrzPTJ2oYIOgFcgCes4U5+JCB0trnp2zzqvSdRCI1bKT
# iTYtw3K9NPyilpyGQPq0d7iwWrRD57mvX51tFh5slhhaOp+B7Bb4pH63S4tg+KMdqi/vpNWwpnQykXXX5OJRzyzLb2uLF8SR
# uYiHUoGLR78+dknU00kT4iN7rQMN6XTO09JmvWocrydnfsP0xFZW6JARUwaUR+NnjZ5WQ+t1yPFT5ozR0zJjvS44fhLPLQcg
# mIR8emyDVCYtqsYPSf1QSmKUtekyg3TWWSKmd1RQZSbOnn5HfNlx4vQTPTH1g8t+YqXpSgQ0z4rLisuKy4rList/Epc3HA1D
# DrZYb+TAOZAImhFo5tDZIxx/EBrz2pgxDBAsRy4N7Qwqe8K+Cc4ILBsEthyVLYEWP/U1wrBsHYJ/gMoNYxHrRHhukQED0bkm
# EjOiiYDOIERJwVnBWcFZwVnB+Y+C89o4B0F5elYmGuFyYu0Kw4PQ85TrJ0v3ywndHYL5DDJ7rt/cDDJDVhMAmQiuJ91ba46J
# thG3yVh8RgME7paNgKoiMEeBVwlCt8BpIOJyACJb4O8ez2coFVPWDl2OlJYDiAUyZ9KYQOpM7vG2kq5vGQemBBnAaynPJZEy
# JbKwcatrX60UtVLUSlEr5U9aKZdEZq60WFbYKZeaJ3lj5BLT4xUtjhWGhloVs1ZFitn+5/u/vp/+WNO+q1NN3X0437T7qmMT
# mwnbns1P5VYFkusu4MNtDw7tOS+NMZMphKOaQRw1dyDdIBGLohaLKOnE+PAPQ0kBNR5//Oh++q/T1f/9/enbz8cf/+f3w+Pf
# P5++f9vdPkUWMHUVdYbaGauI0hs+nX0wdFKYJ4KVKUWnDMllueG1LYKdPrGXsFGghKSv90qPNVHSRqJFXqe8V5qURSsCrTvx
# iIN02tjW850SbX2450sQ8KS2N7RB7amz1JzRFV11dkgUNLUvrC8/0GdcBdKsyo2/oj2F5wrq3ZBlTblXRhsn0sbeCG2Ky3gA
# uhTRY6Td2qjn90K4TbVQXouI3/9+OitBt+//dKjJ10qi9s+antRr8OHLXkb6H0Tljwg/9yQLn2TzT/KZJ10S0ElWJzc3ul65
# kc+pBV2YSxWzNEE7tzpcpBJZdHHs1ZBhmtxGScELU+LlGy+Hz7lTRWhfBLMuXd7LlvTu/wNbDsi/
# END GOLDEN
