"""Run Kafka's own server-side assignors (Java) on the same groups as kafkalab's.

This module is the Java side of tests/test_modern_assignors_java_golden.py and of
benchmarks/bench_server_assignors.py.  It does not contain or build any Kafka code: it writes a
small Java driver of its own (:data:`DRIVER`) that implements Kafka's public assignor API
interfaces (``GroupSpec``, ``MemberSubscription``, ``MemberAssignment``,
``SubscribedTopicDescriber``), compiles that driver with ``javac`` against Kafka's classes found on
a classpath you give it, and feeds it groups on stdin.

The classpath must hold Kafka's ``org.apache.kafka.coordinator.group.assignor.UniformAssignor`` /
``RangeAssignor`` and what they use (``kafka-group-coordinator``, ``kafka-group-coordinator-api``,
``kafka-clients``, ``kafka-server-common`` and ``slf4j-api``), for example the ``libs/`` folder of
a Kafka 4.0 binary release: ``--kafka-classpath 'kafka_2.13-4.0.0/libs/*'``.

How a group is handed to Java, so that both sides iterate the same way: ``memberIds()`` is a
``LinkedHashMap``'s key set in the case's member order; a member's subscribed topics a
``LinkedHashSet`` in the case's order; its current assignment an unmodifiable ``LinkedHashMap``
in the case's order whose values are ``new HashSet<>(ascending partitions)`` (as Kafka's
coordinator loads them); the inverted assignment a ``HashMap``.

Regenerate the golden file (needs a JDK 17+)::

    python tests/server_assignors_java.py --kafka-classpath 'KAFKA_LIBS/*' [--cases 2500] [--seed 848]
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kafkalab.java import spread, string_compare_key  # noqa: E402
from kafkalab.modern.assignor import (  # noqa: E402
    GroupSpec,
    MemberSubscriptionAndAssignment,
    PartitionAssignorError,
    SubscribedTopicDescriberImpl,
    Uuid,
    get_assignor,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "server_assignors_java.jsonl"

DRIVER = r"""
import org.apache.kafka.common.Uuid;
import org.apache.kafka.coordinator.group.api.assignor.*;
import org.apache.kafka.coordinator.group.assignor.RangeAssignor;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;

/* Input, one case per block:  CASE assignor type [BENCH warmup-ms runs cpu-batch-ms] | T uuid n | R uuid p rack.. |
   M id instance|- rack|- | S uuid.. | A uuid p.. | I uuid p member | END.
   Output: RESULT | M id | P uuid p.. | ERROR class message | TIME ns.. | CPU ns calls | END. */
public class ServerAssignorOracle {
  static final class Member implements MemberSubscription, MemberAssignment {
    final Optional<String> instance, rack;
    final Set<Uuid> topics = new LinkedHashSet<>();
    final Map<Uuid, Set<Integer>> parts = new LinkedHashMap<>();
    final Map<Uuid, Set<Integer>> view = Collections.unmodifiableMap(parts);
    Member(Optional<String> instance, Optional<String> rack) { this.instance = instance; this.rack = rack; }
    public Optional<String> rackId() { return rack; }
    public Optional<String> instanceId() { return instance; }
    public Set<Uuid> subscribedTopicIds() { return topics; }
    public Map<Uuid, Set<Integer>> partitions() { return view; }
  }
  static final class Spec implements GroupSpec {
    final Map<String, Member> members = new LinkedHashMap<>();
    final Map<Uuid, Map<Integer, String>> inverted = new HashMap<>();
    SubscriptionType type;
    public Collection<String> memberIds() { return members.keySet(); }
    public SubscriptionType subscriptionType() { return type; }
    public boolean isPartitionAssigned(Uuid t, int p) { Map<Integer, String> m = inverted.get(t); return m != null && m.containsKey(p); }
    public MemberSubscription memberSubscription(String id) {
      Member m = members.get(id);
      if (m == null) throw new IllegalArgumentException("Member Id " + id + " not found.");
      return m;
    }
    public MemberAssignment memberAssignment(String id) {
      Member m = members.get(id);
      return m != null ? m : Collections::emptyMap;
    }
  }
  static final class Describer implements SubscribedTopicDescriber {
    final Map<Uuid, Integer> counts = new HashMap<>();
    final Map<Uuid, Map<Integer, Set<String>>> racks = new HashMap<>();
    public int numPartitions(Uuid t) { Integer n = counts.get(t); return n == null ? -1 : n; }
    public Set<String> racksForPartition(Uuid t, int p) {
      return racks.getOrDefault(t, Collections.emptyMap()).getOrDefault(p, Collections.emptySet());
    }
  }
  static Optional<String> opt(String s) { return s.equals("-") ? Optional.empty() : Optional.of(s); }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
    Spec spec = null; Describer describer = null; Member last = null; String name = null;
    int warmups = 0, runs = 0, batchMillis = 0;
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.split(" ", -1);
      switch (w[0]) {
        case "CASE":
          spec = new Spec(); describer = new Describer(); name = w[1];
          spec.type = SubscriptionType.valueOf(w[2]);
          warmups = runs = batchMillis = 0;
          if (w.length > 3 && w[3].equals("BENCH")) {
            warmups = Integer.parseInt(w[4]); runs = Integer.parseInt(w[5]); batchMillis = Integer.parseInt(w[6]);
          }
          break;
        case "T": describer.counts.put(Uuid.fromString(w[1]), Integer.parseInt(w[2])); break;
        case "R": {
          Set<String> r = new HashSet<>(Arrays.asList(w).subList(3, w.length));
          describer.racks.computeIfAbsent(Uuid.fromString(w[1]), k -> new HashMap<>()).put(Integer.parseInt(w[2]), r);
          break;
        }
        case "M": last = new Member(opt(w[2]), opt(w[3])); spec.members.put(w[1], last); break;
        case "S": for (int i = 1; i < w.length; i++) if (!w[i].isEmpty()) last.topics.add(Uuid.fromString(w[i])); break;
        case "A": {
          List<Integer> ps = new ArrayList<>();
          for (int i = 2; i < w.length; i++) ps.add(Integer.parseInt(w[i]));
          last.parts.put(Uuid.fromString(w[1]), new HashSet<>(ps));
          break;
        }
        case "I":
          spec.inverted.computeIfAbsent(Uuid.fromString(w[1]), k -> new HashMap<>()).put(Integer.parseInt(w[2]), w[3]);
          break;
        case "END": run(out, name, spec, describer, warmups, runs, batchMillis); break;
        default: break;
      }
    }
    out.flush();
  }

  static void run(PrintStream out, String name, Spec spec, Describer describer, int warmups, int runs, int batchMillis) {
    ConsumerGroupPartitionAssignor assignor = name.equals("range") ? new RangeAssignor() : new UniformAssignor();
    out.println("RESULT");
    try {
      GroupAssignment result = null;
      if (runs > 0) {
        // The first call (cold), then calls until warmups milliseconds have passed (at least 5),
        // then `runs` calls timed one by one (TIME, wall clock), then calls for at least
        // batchMillis of the process's CPU time (CPU: total and count; the CPU clock is coarse,
        // and it includes the garbage collector's threads).
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long t0 = System.nanoTime();
        result = assignor.assign(spec, describer);
        StringBuilder wall = new StringBuilder("TIME ").append(System.nanoTime() - t0);
        long until = System.nanoTime() + warmups * 1_000_000L;
        for (int i = 0; i < 5 || System.nanoTime() < until; i++) result = assignor.assign(spec, describer);
        for (int i = 0; i < runs; i++) {
          long t1 = System.nanoTime();
          result = assignor.assign(spec, describer);
          wall.append(' ').append(System.nanoTime() - t1);
        }
        out.println(wall);
        long c0 = os.getProcessCpuTime(), c1 = c0;
        int calls = 0;
        while (calls < runs || c1 - c0 < batchMillis * 1_000_000L) {
          result = assignor.assign(spec, describer);
          calls++;
          c1 = os.getProcessCpuTime();
        }
        out.println("CPU " + (c1 - c0) + " " + calls);
      } else {
        result = assignor.assign(spec, describer);
      }
      for (String id : spec.members.keySet()) {
        MemberAssignment a = result.members().get(id);
        if (a == null) continue;
        out.println("M " + id);
        for (Map.Entry<Uuid, Set<Integer>> e : a.partitions().entrySet()) {
          StringBuilder sb = new StringBuilder("P ").append(e.getKey());
          for (int p : e.getValue()) sb.append(' ').append(p);
          out.println(sb);
        }
      }
      if (result.members().size() > spec.members.size()) out.println("ERROR Extra unexpected members");
    } catch (RuntimeException e) {
      out.println("ERROR " + e.getClass().getSimpleName() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
    }
    out.println("END");
  }
}
"""


# ------------------------------------------------------------------------------ Java side


class JavaOracle:
    """The compiled driver: ``JavaOracle(classpath).run(cases)``.

    Args:
        kafka_classpath: a Java classpath (``os.pathsep``-separated; ``dir/*`` for jars) holding
            Kafka's group-coordinator classes.

    Raises:
        RuntimeError: no ``javac``/``java``, or the driver does not compile against the classpath.
    """

    def __init__(self, kafka_classpath: str) -> None:
        for tool in ("javac", "java"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not found: install a JDK (17 or later) to run Kafka's assignors")
        self._tmp = tempfile.TemporaryDirectory(prefix="kafkalab-server-assignors-")
        src = Path(self._tmp.name, "ServerAssignorOracle.java")
        src.write_text(DRIVER, encoding="utf-8")
        done = subprocess.run(
            ["javac", "-proc:none", "-encoding", "UTF-8", "-cp", kafka_classpath, "-d", self._tmp.name, str(src)],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                "the driver does not compile against --kafka-classpath (does it hold Kafka's "
                f"group-coordinator classes?):\n{done.stdout}{done.stderr}"
            )
        self.classpath = os.pathsep.join([self._tmp.name, kafka_classpath])

    def raw(self, text: str, *, jvm_args: tuple[str, ...] = ()) -> str:
        """Feed the driver ``text`` in one fresh JVM; returns its stdout."""
        done = subprocess.run(
            ["java", *jvm_args, "-cp", self.classpath, "ServerAssignorOracle"],
            input=text, capture_output=True, text=True, encoding="utf-8",
        )
        if done.returncode != 0:
            raise RuntimeError(f"java failed:\n{done.stderr[-4000:]}")
        return done.stdout

    def run(self, cases: list[dict]) -> list[dict]:
        """Kafka's results for ``cases`` (see :func:`parse`)."""
        return parse(self.raw("".join(encode(c) for c in cases)), cases)

    def close(self) -> None:
        """Remove the compiled driver."""
        self._tmp.cleanup()


def encode(case: dict, bench: tuple[int, int, int] | None = None) -> str:
    """One case in the driver's line format."""
    topics = case["topics"]
    head = f"CASE {case['assignor']} {case['subscription_type']}"
    if bench:
        head += " BENCH " + " ".join(map(str, bench))
    lines = [head]
    for label, t in topics.items():
        if t["partitions"] is not None:
            lines.append(f"T {t['id']} {t['partitions']}")
    for label, racks in (case.get("racks") or {}).items():
        lines += [f"R {topics[label]['id']} {p} " + " ".join(r) for p, r in enumerate(racks) if r]
    for m in case["members"]:
        lines.append(f"M {m['id']} {m.get('instance') or '-'} {m.get('rack') or '-'}")
        lines.append("S " + " ".join(topics[label]["id"] for label in m["topics"]))
        lines += [f"A {topics[label]['id']} " + " ".join(map(str, parts)) for label, parts in m["assignment"]]
    lines += [f"I {topics[label]['id']} {p} {owner}" for label, p, owner in inverted_entries(case)]
    lines.append("END")
    return "\n".join(lines) + "\n"


def parse(output: str, cases: list[dict]) -> list[dict]:
    """The driver's answers as ``expect`` dicts: ``{"members": {id: {label: partitions}}}`` or ``{"error": ...}``."""
    results, current, member, times, cpu = [], None, None, None, None
    for line in output.splitlines():
        if line == "RESULT":
            current, member, times, cpu = {"members": {}}, None, None, None
        elif line == "END":
            if times is not None:
                current["times_ns"] = times
            if cpu is not None:
                current["cpu_ns"] = cpu
            results.append(current)
        elif line.startswith("TIME "):
            times = [int(x) for x in line.split()[1:]]
        elif line.startswith("CPU "):
            cpu = [int(x) for x in line.split()[1:]]
        elif line.startswith("ERROR "):
            _, cls, *message = line.split(" ", 2)
            current = {"error": {"class": cls, "message": message[0] if message else ""}}
        elif line.startswith("M "):
            member = line[2:]
            current["members"][member] = {}
        elif line.startswith("P "):
            w = line.split()
            current["members"][member][w[1]] = sorted(int(x) for x in w[2:])
    if len(results) != len(cases):
        raise RuntimeError(f"the driver answered {len(results)} cases out of {len(cases)}")
    for case, result in zip(cases, results):
        labels = {t["id"]: label for label, t in case["topics"].items()}
        if "members" in result:
            result["members"] = {
                m: {labels[t]: parts for t, parts in sorted(a.items(), key=lambda kv: labels[kv[0]])}
                for m, a in result["members"].items()
            }
    return results


# ------------------------------------------------------------------------------ kafkalab side


def inverted_entries(case: dict) -> list[list]:
    """The inverted target assignment handed to both sides: the case's own, else the members'."""
    if case.get("inverted") is not None:
        return case["inverted"]
    owners: dict[tuple[str, int], str] = {}
    for m in case["members"]:
        for label, parts in m["assignment"]:
            for p in parts:
                owners[(label, p)] = m["id"]
    return [[label, p, owner] for (label, p), owner in owners.items()]


def to_python(case: dict) -> tuple[GroupSpec, SubscribedTopicDescriberImpl]:
    """The case as kafkalab objects."""
    ids = {label: Uuid(t["id"]) for label, t in case["topics"].items()}
    members = {
        m["id"]: MemberSubscriptionAndAssignment(
            [ids[label] for label in m["topics"]],
            {ids[label]: parts for label, parts in m["assignment"]},
            rack_id=m.get("rack"),
            instance_id=m.get("instance"),
        )
        for m in case["members"]
    }
    inverted: dict = {}
    for label, p, owner in inverted_entries(case):
        inverted.setdefault(ids[label], {})[p] = owner
    spec = GroupSpec(members, case["subscription_type"], inverted)
    racks = {
        (ids[label], p): r for label, per in (case.get("racks") or {}).items() for p, r in enumerate(per) if r
    }
    counts = {ids[label]: t["partitions"] for label, t in case["topics"].items() if t["partitions"] is not None}
    return spec, SubscribedTopicDescriberImpl(counts, racks)


def run_kafkalab(case: dict) -> dict:
    """kafkalab's answer for ``case``, in the same form as :func:`parse`."""
    spec, describer = to_python(case)
    labels = {t["id"]: label for label, t in case["topics"].items()}
    try:
        result = get_assignor(case["assignor"]).assign(spec, describer)
    except PartitionAssignorError as e:
        return {"error": {"class": e.java_exception, "message": str(e)}}
    return {
        "members": {
            m: {labels[t]: sorted(p) for t, p in sorted(a.partitions.items(), key=lambda kv: labels[kv[0]])}
            for m, a in result.members.items()
        }
    }


# ------------------------------------------------------------------------------ random groups

_ODD_CHARS = ["\u00e9", "\u03a9", "\U0001f600", "\uff21", "\u4e2d", "z", "Z", "_", "0"]


def _uuid(rng: random.Random) -> Uuid:
    return Uuid.from_bits(rng.getrandbits(64), rng.getrandbits(64))


def _bucket(u: Uuid) -> int:
    return spread(u.java_hash_code()) & 15


def _topic_ids(rng: random.Random, k: int, style: str) -> list[Uuid]:
    if style == "same-hash":  # xor of the two longs is constant: one Java hash for all
        c = rng.getrandbits(64)
        same = [Uuid.from_bits(m, m ^ c) for m in (rng.getrandbits(64) for _ in range(k))]
        return same[: k - k // 4] + [_uuid(rng) for _ in range(k // 4)]
    ids: list[Uuid] = []
    while len(ids) < k:
        u = _uuid(rng)
        if style == "collide" and ids and rng.random() < 0.6:
            target = _bucket(rng.choice(ids))
            for _ in range(200):
                if _bucket(u) == target:
                    break
                u = _uuid(rng)
        if u not in ids:
            ids.append(u)
    return ids


def _member_ids(rng: random.Random, m: int) -> list[str]:
    style = rng.choice(["letters", "uuid", "named", "odd"])
    ids: list[str] = []
    while len(ids) < m:
        i = len(ids)
        if style == "letters":
            name = chr(ord("A") + i) if i < 26 else f"A{i}"
        elif style == "uuid":
            name = str(_uuid(rng))  # KIP-848 clients send a random Uuid as their member id
        elif style == "named":
            name = f"consumer-{rng.randint(0, 99)}-{i}"
        else:
            name = "".join(rng.choice(_ODD_CHARS) for _ in range(rng.randint(1, 3))) + str(i)
        if name not in ids and name != "-":
            ids.append(name)
    return ids


def random_case(rng: random.Random, index: int) -> dict:
    """One random group (see the generator's comments for what varies)."""
    size = rng.choices(["small", "medium", "large", "stride", "chain"], [75, 19, 4, 1, 1])[0]
    assignor = rng.choice(["uniform", "uniform", "uniform", "range", "range"])
    if size == "stride":
        return _stride_case(rng, index, assignor)
    if size == "chain":
        return _chain_case(rng, index)
    k = {"small": rng.randint(1, 4), "medium": rng.randint(3, 8), "large": rng.randint(8, 14)}[size]
    id_style = rng.choices(["random", "collide", "same-hash"], [55, 40, 5])[0]
    if id_style == "same-hash":
        k = max(k, rng.randint(11, 16))
    counts = {"small": [0, 1, 1, 2, 3, 4, 5, 6, 8], "medium": [0, 1, 2, 3, 5, 8, 12, 16, 24],
              "large": [1, 2, 4, 7, 10, 16, 20, 32]}[size]
    ids = _topic_ids(rng, k, id_style)
    topics = {f"t{i}": {"id": str(u), "partitions": rng.choice(counts)} for i, u in enumerate(ids)}
    labels = list(topics)
    missing = []
    if rng.random() < 0.08:  # a topic that the describer does not know (deleted, or not yet in metadata)
        label = rng.choice(labels)
        topics[label]["partitions"] = None
        missing.append(label)
    live = [t for t in labels if t not in missing]

    m = 0 if rng.random() < 0.02 else {"small": rng.randint(1, 5), "medium": rng.randint(3, 12),
                                        "large": rng.randint(10, 30)}[size]
    member_ids = _member_ids(rng, m)
    if rng.random() < 0.3:
        member_ids.sort(key=string_compare_key)
    shape = rng.choices(["homogeneous", "random", "nested", "buckets", "one-off"], [35, 30, 10, 10, 15])[0]
    subscribable = live if (missing and live and rng.random() < 0.5) else labels
    subs: list[list[str]] = []
    for i in range(m):
        if shape == "homogeneous" or (shape == "one-off" and i != m // 2):
            ts = list(subscribable)
        elif shape == "one-off":
            ts = rng.sample(subscribable, rng.randint(0, len(subscribable)))
        elif shape == "nested":
            ts = subscribable[: 1 + i % len(subscribable)]
        elif shape == "buckets":
            b = i % 3
            ts = [t for j, t in enumerate(subscribable) if j % 3 == b] or [subscribable[0]]
        else:
            ts = [] if rng.random() < 0.1 else rng.sample(subscribable, rng.randint(1, len(subscribable)))
        rng.shuffle(ts)
        subs.append(ts)

    assignments = _previous_assignment(rng, topics, member_ids, subs)
    members = []
    used_instances: set[str] = set()
    for i, member_id in enumerate(member_ids):
        instance = None
        if rng.random() < 0.25:
            instance = rng.choice([f"instance-{rng.randint(0, 50)}", "\U0001f600" + str(i), "\uff21" + str(i), f"i{i}"])
            if instance in used_instances:
                instance = None
            else:
                used_instances.add(instance)
        member = {"id": member_id, "topics": subs[i], "assignment": assignments[i]}
        if instance is not None:
            member["instance"] = instance
        if rng.random() < 0.3:
            member["rack"] = rng.choice(["rack-a", "rack-b", "rack-c"])
        members.append(member)
    case = {"id": index, "assignor": assignor, "topics": topics, "members": members}
    id_sets = [frozenset(s) for s in subs]
    homogeneous = all(s == id_sets[0] for s in id_sets) if id_sets else True
    case["subscription_type"] = "HOMOGENEOUS" if homogeneous else "HETEROGENEOUS"
    if homogeneous and m and rng.random() < 0.08:
        # Kafka counts topic *names*: members that differ only in a topic that does not exist
        # have equal topic-id sets but make the group HETEROGENEOUS.
        case["subscription_type"] = "HETEROGENEOUS"
    if size == "small" and rng.random() < 0.2:
        case["racks"] = {
            label: [sorted(rng.sample(["rack-a", "rack-b", "rack-c"], rng.randint(0, 2))) for _ in range(t["partitions"])]
            for label, t in topics.items() if t["partitions"]
        }
    _maybe_edit_inverted(rng, case)
    return case


def _previous_assignment(rng: random.Random, topics: dict, member_ids: list[str], subs: list[list[str]]) -> list[list]:
    """Current targets: none, a clean earlier assignment, round-robin dealt, or random claims."""
    m = len(member_ids)
    mode = rng.choices(["none", "blocks", "dealt", "random", "overlap"], [25, 25, 20, 27, 3])[0]
    owned: list[dict[str, list[int]]] = [{} for _ in range(m)]
    if m == 0 or mode == "none":
        return [[] for _ in range(m)]
    for label, t in topics.items():
        n = t["partitions"]
        if n is None:  # a deleted topic can linger in a member's target
            if rng.random() < 0.3:
                owned[rng.randrange(m)][label] = sorted(rng.sample(range(8), rng.randint(1, 3)))
            continue
        subscribers = [i for i in range(m) if label in subs[i]]
        # Earlier owners: mostly this topic's subscribers, sometimes anybody (subscriptions changed).
        pool = subscribers if subscribers and rng.random() < 0.7 else list(range(m))
        pool = [i for i in pool if rng.random() < 0.85] or pool
        known = n if rng.random() < 0.7 else rng.randint(0, n)  # partitions may have been added since
        for p in range(known):
            if mode == "blocks":
                owner = pool[p * len(pool) // max(known, 1)]
            elif mode == "dealt":
                owner = pool[p % len(pool)]
            else:
                if rng.random() < 0.35:
                    continue
                owner = rng.randrange(m)
            owned[owner].setdefault(label, []).append(p)
            if mode == "overlap" and rng.random() < 0.2:
                owned[rng.randrange(m)].setdefault(label, []).append(p)
    result = []
    for i in range(m):
        items = [[label, sorted(set(ps))] for label, ps in owned[i].items()]
        rng.shuffle(items)  # the order of a member's assignment map is part of the input
        result.append(items)
    return result


def _maybe_edit_inverted(rng: random.Random, case: dict) -> None:
    roll = rng.random()
    if roll < 0.12:
        # A departed member's partitions are still in the stored target (not yet tombstoned).
        entries = inverted_entries(case)
        taken = {(label, p) for label, p, _ in entries}
        for label, t in case["topics"].items():
            for p in range(t["partitions"] or 0):
                if (label, p) not in taken and rng.random() < 0.4:
                    entries.append([label, p, "departed-member"])
        case["inverted"] = entries
    elif roll < 0.15:
        # A stale inverted assignment that misses some members' partitions.
        case["inverted"] = [e for e in inverted_entries(case) if rng.random() < 0.6]


def _stride_case(rng: random.Random, index: int, assignor: str) -> dict:
    """A big topic dealt round-robin over 32-128 members, then a member joins or leaves.

    Each member then holds partitions that all fall in one bucket of its Java ``HashSet``, which
    Java turns into a red-black tree: which partitions an over-quota member keeps depends on it.
    """
    owners = rng.choice([32, 64, 64, 128])
    n = rng.choice([owners * 9 + rng.randint(0, owners), owners * 12, owners * 16 + 3])
    topic = {"id": str(_uuid(rng)), "partitions": n}
    ids = [f"m{i:03d}" for i in range(owners)]
    members = [{"id": i, "topics": ["t0"], "assignment": [["t0", list(range(j, n, owners))]]} for j, i in enumerate(ids)]
    if rng.random() < 0.5:
        members.append({"id": "joiner", "topics": ["t0"], "assignment": []})
    else:
        members.pop(rng.randrange(len(members)))
    rng.shuffle(members)
    return {"id": index, "assignor": assignor, "subscription_type": rng.choice(["HOMOGENEOUS"] * 3 + ["HETEROGENEOUS"]),
            "topics": {"t0": topic}, "members": members}


def _chain_case(rng: random.Random, index: int) -> dict:
    """Members in a chain (member i reads topics i-1 and i), every topic held by its left reader.

    The surplus drains along the chain by halves, so the uniform heterogeneous balancer often
    stops at its 16-iteration limit (``MAX_ITERATION_COUNT``) before the group is balanced.
    """
    m = rng.randint(12, 18)
    c = rng.choice([16, 60, 60])  # with 60 partitions a topic it always takes more than 16 rounds
    ids = [_uuid(rng) for _ in range(m - 1)]
    topics = {f"t{j}": {"id": str(u), "partitions": c} for j, u in enumerate(ids)}
    members = []
    for i in range(m):
        member = {"id": f"m{i:02d}", "topics": [f"t{j}" for j in (i - 1, i) if 0 <= j < m - 1], "assignment": []}
        if i < m - 1:
            member["assignment"] = [[f"t{i}", list(range(c))]]
        members.append(member)
    if rng.random() < 0.3:
        rng.shuffle(members)
    return {"id": index, "assignor": "uniform", "subscription_type": "HETEROGENEOUS", "topics": topics, "members": members}


def generate_cases(seed: int, count: int) -> list[dict]:
    """``count`` deterministic random groups."""
    rng = random.Random(seed)
    return [random_case(rng, i) for i in range(count)]


def main() -> None:  # pragma: no cover - needs a JDK and Kafka's classes
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kafka-classpath", required=True, help="Java classpath with Kafka's group-coordinator classes")
    parser.add_argument("--cases", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=848)
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    started = time.monotonic()
    cases = generate_cases(args.seed, args.cases)
    oracle = JavaOracle(args.kafka_classpath)
    try:
        expects = oracle.run(cases)
    finally:
        oracle.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for case, expect in zip(cases, expects):
            case["expect"] = expect
            f.write(json.dumps(case, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
    differ = sum(run_kafkalab(c) != c["expect"] for c in cases)
    print(f"wrote {len(cases)} cases to {args.out} ({args.out.stat().st_size:,} bytes) in "
          f"{time.monotonic() - started:.1f} s; kafkalab differs on {differ}")


if __name__ == "__main__":
    main()
