#!/usr/bin/env python3
"""Time kafkalab's assignors, and kafka-python's on the same input.

Groups of C consumers and P partitions (one topic, or ten topics of P/10 partitions), all
members subscribed to every topic, in three situations:

* ``fresh``: nobody owns anything (a new group);
* ``leave``: the C members own a balanced assignment and the last one leaves (C-1 members);
* ``join``: C-1 members own everything and a new member joins (C members).

Owned partitions are dealt round-robin over the owners, every member in generation 1.  With
``--general`` each ten-topic group is also run with one member (the first) subscribed to one
topic only, which sends the sticky assignors down their general (non-uniform) algorithm; there
the previous assignment is the sticky assignment of the group before the change.  For each
assignor the table shows kafkalab's time (best of a few runs for small inputs), the Python
allocation peak of one run (tracemalloc), kafka-python 3.0.12's time and peak RSS on the same
input, run in a subprocess killed after ``--kp-timeout`` seconds, and the ratio.  When
kafka-python times out on an input it is not run on bigger inputs of the same kind.

Usage::

    python benchmarks/bench_assignors.py              # everything (kafka-python makes it ~20 min)
    python benchmarks/bench_assignors.py --quick      # 100x1000 and 1000x10000, no kafka-python > 10 s
    python benchmarks/bench_assignors.py --sizes 1000x10000 --assignors sticky --modes leave
    python benchmarks/bench_assignors.py --no-kafka-python
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ASSIGNORS = ["range", "roundrobin", "sticky", "cooperative-sticky"]
SIZES = ["100x1000", "1000x10000", "2000x100000"]
MODES = ["fresh", "leave", "join"]
TOPIC_COUNTS = [1, 10]
TARGETS = {  # seconds, for kafkalab on a 2-core machine
    ("range", "1000x10000"): 0.05,
    ("roundrobin", "1000x10000"): 0.05,
    ("sticky", "1000x10000"): 1.0,
    ("cooperative-sticky", "1000x10000"): 1.0,
    ("sticky", "2000x100000"): 15.0,
    ("cooperative-sticky", "2000x100000"): 15.0,
}


def scenario(size: str, topics: int, mode: str, shape: str = "uniform"):
    """Plain-data input: (partitions_per_topic, {member: (topics, owned, generation)})."""
    consumers, partitions = map(int, size.lower().split("x"))
    names = [f"topic-{i}" for i in range(topics)]
    per_topic = partitions // topics
    ppt = {t: per_topic for t in names}
    ids = [f"consumer-{i:05d}" for i in range(consumers)]
    topics_of = {m: names for m in ids}
    if shape == "odd":
        topics_of[ids[0]] = names[:1]
    if mode == "fresh":
        return ppt, {m: (topics_of[m], [], None) for m in ids}
    owners = ids if mode == "leave" else ids[:-1]
    live = ids[:-1] if mode == "leave" else ids
    if shape == "odd":
        from kafkalab.assignors import assign

        before = assign("sticky", ppt, {m: topics_of[m] for m in owners})
        return ppt, {m: (topics_of[m], before.get(m, []), 1) for m in live}
    owned: dict[str, list] = {m: [] for m in owners}
    everything = [(t, p) for t in names for p in range(per_topic)]
    for i, tp in enumerate(everything):
        owned[owners[i % len(owners)]].append(tp)
    return ppt, {m: (names, owned.get(m, []), 1) for m in live}


def kafkalab_input(size, topics, mode, shape):
    from kafkalab.assignors import Subscription

    ppt, plain = scenario(size, topics, mode, shape)
    return ppt, {m: Subscription(ts, owned, generation) for m, (ts, owned, generation) in plain.items()}


def time_kafkalab(name: str, size: str, topics: int, mode: str, shape: str) -> tuple[float, float]:
    """(best seconds, tracemalloc peak MiB) for one input."""
    from kafkalab.assignors import assign

    ppt, subs = kafkalab_input(size, topics, mode, shape)
    best, spent = float("inf"), 0.0
    while spent < 0.5 or best == float("inf"):
        gc.collect()
        start = time.perf_counter()
        assign(name, ppt, subs)
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if elapsed > 0.5:
            break
    gc.collect()
    tracemalloc.start()
    assign(name, ppt, subs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20


def kafka_python_worker(name: str, size: str, topics: int, mode: str, shape: str) -> None:
    """Run kafka-python's assignor once (in a subprocess) and print JSON {seconds, rss_mib}."""
    from collections import namedtuple

    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
    from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription as S
    from kafka.structs import TopicPartition

    class Cluster:
        def __init__(self, ppt):
            self._p = {t: set(range(n)) for t, n in ppt.items()}

        def topics(self, exclude_internal_topics=True):
            return set(self._p)

        def partitions_for_topic(self, topic):
            return self._p.get(topic)

    Member = namedtuple("Member", "member_id group_instance_id metadata")
    ppt, plain = scenario(size, topics, mode, shape)
    members = []
    for m, (ts, owned, generation) in plain.items():
        gen = -1 if generation is None else generation
        if name == "sticky":
            md = StickyPartitionAssignor._metadata(ts, [TopicPartition(t, p) for t, p in owned] or None, gen)
        elif name == "cooperative-sticky":
            by_topic: dict = {}
            for t, p in owned:
                by_topic.setdefault(t, []).append(p)
            md = S(version=2, topics=sorted(ts), user_data=b"", generation_id=gen,
                   owned_partitions=[S.TopicPartition(topic=t, partitions=ps) for t, ps in by_topic.items()])
        else:
            md = S(version=0, topics=ts, user_data=b"")
        members.append(Member(m, None, md))
    assignor = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
                "sticky": StickyPartitionAssignor(), "cooperative-sticky": CooperativeStickyAssignor()}[name]
    cluster = Cluster(ppt)
    start = time.perf_counter()
    assignor.assign(cluster, members)
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rss_mib": rss}))


def time_kafka_python(name, size, topics, mode, shape, timeout):
    """kafka-python's (seconds, rss MiB), None on timeout, or a string when it cannot run."""
    cmd = [sys.executable, __file__, "--kafka-python-worker", name, size, str(topics), mode, shape]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        if "No module named 'kafka'" in last:
            return "not installed"
        return "crashed: " + last.split(":")[0][:12]  # e.g. roundrobin's KeyError (docs/real-clients.md bug 1)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["seconds"], result["rss_mib"]


def fmt_seconds(s: float) -> str:
    return f"{s * 1000:8.1f} ms" if s < 1 else f"{s:8.2f} s "


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes 100x1000 and 1000x10000, kafka-python timeout 10 s")
    parser.add_argument("--sizes", default=",".join(SIZES), help="CxP list, e.g. 1000x10000")
    parser.add_argument("--assignors", default=",".join(ASSIGNORS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--topics", default="1,10", help="topic counts, e.g. 1 or 1,10")
    parser.add_argument("--kp-timeout", type=float, default=60.0, help="seconds before kafka-python is stopped")
    parser.add_argument("--no-kafka-python", action="store_true")
    parser.add_argument("--general", action="store_true",
                        help="also ten-topic groups where one member reads one topic (general sticky algorithm)")
    parser.add_argument("--kafka-python-worker", nargs=5, metavar=("NAME", "CxP", "TOPICS", "MODE", "SHAPE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.kafka_python_worker:
        name, size, topics, mode, shape = args.kafka_python_worker
        kafka_python_worker(name, size, int(topics), mode, shape)
        return 0

    sizes = args.sizes.split(",")
    timeout = args.kp_timeout
    if args.quick:
        sizes = [s for s in sizes if s in ("100x1000", "1000x10000")] or ["100x1000", "1000x10000"]
        timeout = min(timeout, 10.0)
    names = args.assignors.split(",")
    modes = args.modes.split(",")
    topic_counts = [int(t) for t in args.topics.split(",")]

    shapes = [(t, "uniform") for t in topic_counts]
    if args.general:
        shapes += [(10, "odd")]
    print(f"{'assignor':19s} {'CxP':>11s} {'topics':>6s} {'mode':5s} | {'kafkalab':>11s} {'peak MiB':>8s} | "
          f"{'kafka-python':>12s} {'RSS MiB':>7s} {'ratio':>7s} | target")
    timed_out: set = set()
    misses = []
    for name in names:
        for topics, shape in shapes:
            for mode in modes:
                for size in sizes:
                    ours, peak = time_kafkalab(name, size, topics, mode, shape)
                    kp_text, rss_text, ratio = "-", "", ""
                    if not args.no_kafka_python:
                        key = (name, topics, mode, shape)
                        if key in timed_out:
                            kp_text = f"> {timeout:.0f} s"
                        else:
                            kp = time_kafka_python(name, size, topics, mode, shape, timeout)
                            if kp is None:
                                timed_out.add(key)
                                kp_text = f"> {timeout:.0f} s"
                            elif isinstance(kp, str):
                                kp_text = kp
                            else:
                                kp_text = fmt_seconds(kp[0]).strip()
                                rss_text = f"{kp[1]:.0f}"
                                r = kp[0] / ours if ours > 0 else float("inf")
                                ratio = f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"
                    target = TARGETS.get((name, size)) if shape == "uniform" else None
                    verdict = ""
                    if target is not None:
                        ok = ours <= target
                        verdict = f"{'ok' if ok else 'MISSED'} (< {target:g} s)"
                        if not ok:
                            misses.append((name, size, topics, mode, ours))
                    label = f"{topics}" if shape == "uniform" else f"{topics}*"
                    print(f"{name:19s} {size:>11s} {label:>6s} {mode:5s} | {fmt_seconds(ours):>11s} {peak:8.1f} | "
                          f"{kp_text:>12s} {rss_text:>7s} {ratio:>7s} | {verdict}", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.general:
        print("\n10* = ten topics, one member subscribed to topic-0 only (general algorithm)")
    print(f"\nkafkalab process peak RSS: {rss:.0f} MiB (target < 1024 MiB)")
    for miss in misses:
        print("target missed:", miss)
    return 1 if misses or rss >= 1024 else 0


if __name__ == "__main__":
    sys.exit(main())
