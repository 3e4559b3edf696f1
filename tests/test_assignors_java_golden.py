"""Replay results computed by Kafka's own Java assignor classes.

``tests/golden/assignors_java.jsonl`` holds random groups (up to 20 members, racks, static
members, odd member ids, previous ownership with conflicting generations, empty subscriptions,
Kafka's NullPointerException case) and what apache/kafka's ``RangeAssignor``,
``RoundRobinAssignor`` and ``AbstractStickyAssignor`` (commit 1eb7644, the snapshot
docs/classic-protocol.md is written from) returned for them, run by the driver below.
Each case must come out of kafkalab identically: the assignment, for the sticky assignors also
which algorithm ran and ``partitionsTransferringOwnership``, or the same exception.

One case per line, as JSON (the format is in ``tests/golden/README.md``), so a regenerated file
shows in a diff exactly the cases whose results changed.

The Java side contains no Kafka code and builds none: it is a small driver of its own
(:data:`DRIVER`), compiled with ``javac`` against Kafka's classes on a classpath you give it
(``kafka-clients`` and ``slf4j-api``, e.g. the ``libs/`` folder of a Kafka binary release). It
builds Kafka's real ``Cluster``/``PartitionInfo``/``Node`` and ``Subscription`` objects, puts the
subscriptions in a ``new HashMap<>()`` as ``ConsumerCoordinator.onLeaderElected`` does, and calls
Kafka's assignors. For the two sticky assignors it subclasses ``AbstractStickyAssignor``: eager
``sticky`` gets its previous assignment from the subscription fields (as kafkalab does) instead of
Kafka's user data, and ``CooperativeStickyAssignor``'s post-processing is re-implemented without
its user-data schema.

Regenerate (needs a JDK 17+, ``javac`` and ``java``; rewrites tests/golden/assignors_java.jsonl
unless ``--out`` says otherwise; see tests/golden/README.md for the classes used)::

    python tests/test_assignors_java_golden.py --kafka-classpath 'KAFKA_LIBS/*' [--groups 45]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
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

GOLDEN_PATH = Path(__file__).resolve().parent / "golden" / "assignors_java.jsonl"
#: The keys of a case, in the order each line holds them: the input, then Kafka's result.
CASE_KEYS = ("assignor", "prefer", "ppt", "racks", "members", "expect")


# ------------------------------------------------------------------------------ the cases


def generate_groups(seed: int, count: int) -> list[dict]:
    """Deterministic random groups in the JSON form of the golden file (without results)."""
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


def format_case(case: dict) -> str:
    """One line of the golden file: ``case``'s keys in CASE_KEYS order, UTF-8 as is."""
    return json.dumps({key: case[key] for key in CASE_KEYS}, ensure_ascii=False, separators=(", ", ": "))


def _golden() -> list[dict]:
    lines = GOLDEN_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


GOLDEN = _golden()


def test_golden_file_is_in_its_canonical_form():
    """Each line is exactly what regenerate() writes, so a hand edit or a stray reformat shows up."""
    lines = GOLDEN_PATH.read_text(encoding="utf-8").splitlines()
    assert lines == [format_case(case) for case in GOLDEN]


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

#: The Java side: a driver of our own, compiled against Kafka's classes. It sits in Kafka's
#: ``internals`` package for one thing only: setting ``preferRackAwareLogic``, a package-private
#: field Kafka's own tests set. Reads cases on stdin (one block per case: ``A name prefer``,
#: ``T topic n``, ``R topic p rack..``, ``M member gen|- rack|- instance|-``, ``S topics..``,
#: ``O t p t p ..``, ``END``); prints ``member: t p t p`` lines, ``CONSTRAINED``, ``TRANSFERS`` or
#: ``ERROR``, then ``END``.
DRIVER = r"""
package org.apache.kafka.clients.consumer.internals;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class Oracle {
  /** The sticky assignors: Kafka's AbstractStickyAssignor, member data taken from the subscription. */
  static final class Sticky extends AbstractStickyAssignor {
    final boolean cooperative;
    Map<TopicPartition, String> lastTransfers;

    Sticky(boolean cooperative) { this.cooperative = cooperative; }

    @Override public String name() { return cooperative ? "cooperative-sticky" : "sticky"; }

    @Override protected MemberData memberData(Subscription s) {
      return new MemberData(s.ownedPartitions(), s.generationId(), s.rackId());
    }

    @Override public Map<String, List<TopicPartition>> assignPartitions(Map<String, List<PartitionInfo>> ppt,
                                                                        Map<String, Subscription> subs) {
      Map<String, List<TopicPartition>> a = super.assignPartitions(ppt, subs);
      lastTransfers = partitionsTransferringOwnership == null ? null : new HashMap<>(partitionsTransferringOwnership);
      if (!cooperative) return a;
      // CooperativeStickyAssignor: hold back every partition that changes owner this round.
      Map<TopicPartition, String> t = partitionsTransferringOwnership;
      if (t == null) {  // the general algorithm ran: compute the transfers from the result
        Map<TopicPartition, String> added = new HashMap<>();
        Set<TopicPartition> revoked = new HashSet<>();
        for (Map.Entry<String, List<TopicPartition>> e : a.entrySet()) {
          List<TopicPartition> owned = subs.get(e.getKey()).ownedPartitions();
          for (TopicPartition tp : e.getValue()) if (!owned.contains(tp)) added.put(tp, e.getKey());
          for (TopicPartition tp : owned) if (!e.getValue().contains(tp)) revoked.add(tp);
        }
        added.keySet().retainAll(revoked);
        t = added;
      }
      for (Map.Entry<TopicPartition, String> e : t.entrySet()) a.get(e.getValue()).remove(e.getKey());
      return a;
    }
  }

  public static void main(String[] args) throws Exception {
    // Results go to the real stdout; anything a logging backend on the classpath prints goes to stderr.
    PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), false, "UTF-8");
    System.setOut(System.err);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String name = null;
    boolean prefer = false;
    Map<String, Integer> topics = new LinkedHashMap<>();
    Map<TopicPartition, List<String>> racks = new HashMap<>();
    List<String[]> members = new ArrayList<>();
    Map<String, List<String>> subTopics = new HashMap<>();
    Map<String, List<TopicPartition>> owned = new HashMap<>();
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
          topics = new LinkedHashMap<>(); racks = new HashMap<>(); members = new ArrayList<>();
          subTopics = new HashMap<>(); owned = new HashMap<>();
          break;
        default: break;
      }
    }
    out.flush();
  }

  static void run(PrintStream out, String name, boolean prefer, Map<String, Integer> topics,
                  Map<TopicPartition, List<String>> racks, List<String[]> members,
                  Map<String, List<String>> subTopics, Map<String, List<TopicPartition>> owned) {
    // The cluster: one broker per rack; a partition's replicas are the brokers of its racks, the
    // first one its leader (no rack: no replica, no leader).
    Map<String, Node> nodes = new HashMap<>();
    List<PartitionInfo> partitions = new ArrayList<>();
    for (Map.Entry<String, Integer> e : topics.entrySet()) {
      for (int p = 0; p < e.getValue(); p++) {
        List<String> r = racks.getOrDefault(new TopicPartition(e.getKey(), p), Collections.emptyList());
        Node[] replicas = new Node[r.size()];
        for (int i = 0; i < r.size(); i++) replicas[i] = nodes.computeIfAbsent(r.get(i), k -> new Node(nodes.size(), "h", 1, k));
        partitions.add(new PartitionInfo(e.getKey(), p, replicas.length > 0 ? replicas[0] : Node.noNode(), replicas, replicas));
      }
    }
    Cluster cluster = new Cluster("oracle", nodes.values(), partitions, Collections.emptySet(), Collections.emptySet());
    Map<String, Subscription> subs = new HashMap<>();  // as ConsumerCoordinator.onLeaderElected
    for (String[] m : members) {
      Subscription s = new Subscription(subTopics.get(m[1]), null, owned.get(m[1]),
                                        m[2].equals("-") ? -1 : Integer.parseInt(m[2]),
                                        m[3].equals("-") ? Optional.empty() : Optional.of(m[3]));
      s.setGroupInstanceId(m[4].equals("-") ? Optional.empty() : Optional.of(m[4]));
      subs.put(m[1], s);
    }
    AbstractPartitionAssignor a;
    Sticky sticky = null;
    if (name.equals("range")) a = new RangeAssignor();
    else if (name.equals("roundrobin")) a = new RoundRobinAssignor();
    else a = sticky = new Sticky(name.equals("cooperative-sticky"));
    a.preferRackAwareLogic = prefer;
    try {
      Map<String, Assignment> res = a.assign(cluster, new GroupSubscription(subs)).groupAssignment();
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
}
"""
DRIVER_CLASS = "org.apache.kafka.clients.consumer.internals.Oracle"


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


def run_java(kafka_classpath: str, cases: list[dict]) -> list[dict]:  # pragma: no cover - needs a JDK
    """Kafka's results for ``cases``: compile :data:`DRIVER` against ``kafka_classpath`` and run it.

    Args:
        kafka_classpath: a Java classpath (``os.pathsep``-separated; ``dir/*`` for every jar of a
            folder) holding ``kafka-clients`` and ``slf4j-api``.
        cases: golden-file cases (with ``assignor``).

    Raises:
        RuntimeError: no JDK, the driver does not compile against the classpath, or Java failed.
    """
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found: install a JDK (17 or later) to run Kafka's assignors")
    with tempfile.TemporaryDirectory(prefix="kafkalab-client-assignors-") as tmp:
        src = Path(tmp, "Oracle.java")
        src.write_text(DRIVER, encoding="utf-8")
        done = subprocess.run(
            ["javac", "-proc:none", "-encoding", "UTF-8", "-cp", kafka_classpath, "-d", tmp, str(src)],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                "the driver does not compile against --kafka-classpath (does it hold Kafka's kafka-clients "
                f"jar and slf4j-api, e.g. 'kafka_2.13-X.Y.Z/libs/*'?):\n{done.stdout}{done.stderr}"
            )
        done = subprocess.run(
            ["java", "-cp", os.pathsep.join([tmp, kafka_classpath]), DRIVER_CLASS],
            input="\n".join(_encode(c) for c in cases) + "\n", capture_output=True, text=True, encoding="utf-8",
        )
    if done.returncode != 0:
        raise RuntimeError(f"java failed:\n{done.stderr[-4000:]}")
    results = _parse(done.stdout)
    if len(results) != len(cases):
        raise RuntimeError(f"the driver answered {len(results)} of {len(cases)} cases:\n{done.stderr[-4000:]}")
    return results


def regenerate(kafka_classpath: str, groups: int, out: Path) -> None:  # pragma: no cover - needs a JDK
    """Run every case through Kafka's classes and write the golden file to ``out``."""
    cases = [
        dict(group, assignor=name)
        for group in generate_groups(1, groups)
        for name in ASSIGNOR_CLASSES
    ]
    for case, expect in zip(cases, run_java(kafka_classpath, cases), strict=True):
        case["expect"] = expect
    out.write_text("".join(format_case(case) + "\n" for case in cases), encoding="utf-8")
    differ = sum(run_kafkalab(c) != c["expect"] for c in cases)
    print(f"wrote {len(cases)} cases to {out}; kafkalab differs on {differ}")


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kafka-classpath", required=True,
        help="Java classpath with Kafka's kafka-clients jar and slf4j-api, e.g. 'kafka_2.13-X.Y.Z/libs/*' (quoted)",
    )
    parser.add_argument("--groups", type=int, default=45)
    parser.add_argument("--out", type=Path, default=GOLDEN_PATH, help="where to write (default: the golden file)")
    args = parser.parse_args()
    try:
        regenerate(args.kafka_classpath, args.groups, args.out)
    except RuntimeError as e:
        sys.exit(f"error: {e}")
