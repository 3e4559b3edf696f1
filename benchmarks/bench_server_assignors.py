#!/usr/bin/env python3
"""Time kafkalab's server-side assignors next to Kafka's Java ones on the same input.

Groups of M members and P partitions spread over ``--topics`` topics (100 by default), shaped
as in Kafka's own ``ServerSideAssignorBenchmark``:

* ``homogeneous``: every member subscribes to every topic;
* ``heterogeneous``: members and topics are split into 5 buckets, each bucket's members
  subscribe to that bucket's topics (``createHeterogeneousBucketedMembers``);
* ``full``: nobody owns anything yet; ``incremental``: M-1 members own the assignment the
  assignor computed for them, and one new member joins (``simulateIncrementalRebalance``).

For each assignor (uniform, range) the table shows kafkalab's time (the best of ``--runs`` calls
to ``assign`` with Python's cyclic garbage collector paused, as ``timeit`` does; building the
input is not timed, as in Kafka's benchmark), Kafka's time on the same input in a fresh JVM (the
best of ``--runs`` calls after ``--warmup-ms`` of untimed calls, i.e. JIT-warmed), the wall time
of Java's very first call (cold: class loading and interpreter included), the ratio kafkalab /
warm Java, and whether both computed the same assignment.

Times are, by default (``--clock cpu``), the process's CPU time per call, averaged over calls
that take at least ``--batch-ms`` of CPU time (for Java it includes the garbage collector's
threads): on a shared machine other jobs add wall time but not CPU time.  ``--clock wall``
gives the best elapsed time of ``--runs`` calls instead.  The load average is printed first.

The Java side needs a JDK and Kafka's group-coordinator classes (see tests/server_assignors_java.py),
given with ``--kafka-classpath`` or the ``KAFKA_CLASSPATH`` environment variable; without them
the Java columns read "java: unavailable".

Usage::

    python benchmarks/bench_server_assignors.py --kafka-classpath 'KAFKA_LIBS/*'
    python benchmarks/bench_server_assignors.py --sizes 1000x10000 --assignors uniform
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from server_assignors_java import JavaOracle, encode, parse, run_kafkalab, to_python  # noqa: E402

from kafkalab.modern.assignor import Uuid, get_assignor  # noqa: E402

SIZES = ["1000x10000", "10000x100000"]
SHAPES = ["homogeneous", "heterogeneous"]
MODES = ["full", "incremental"]
BUCKETS = 5  # ServerSideAssignorBenchmark.MAX_BUCKET_COUNT


def make_case(assignor: str, shape: str, size: str, topics: int, mode: str) -> dict:
    """The benchmark group as a golden-file style case (see tests/server_assignors_java.py)."""
    members, partitions = map(int, size.lower().split("x"))
    per_topic = partitions // topics
    labels = [f"t{i}" for i in range(topics)]
    topic_table = {
        label: {"id": str(Uuid.from_bits(0x4B4146 + i, 0x6B61666B616C6162 ^ (i * 0x9E3779B97F4A7C15))), "partitions": per_topic}
        for i, label in enumerate(labels)
    }
    if shape == "homogeneous":
        subs = [labels] * members
    else:
        b = min(BUCKETS, members)
        topics_per_bucket, members_per_bucket = -(-topics // b), -(-members // b)
        subs = [labels[(i // members_per_bucket) * topics_per_bucket:][:topics_per_bucket] for i in range(members)]
    case = {
        "assignor": assignor,
        "subscription_type": "HOMOGENEOUS" if shape == "homogeneous" else "HETEROGENEOUS",
        "topics": topic_table,
        "members": [{"id": f"member{i}", "topics": subs[i], "assignment": []} for i in range(members)],
    }
    if mode == "incremental":
        # The first M-1 members own what the assignor gave them; the last one is new.
        joiner = case["members"].pop()
        result = run_kafkalab(case)["members"]
        for m in case["members"]:
            m["assignment"] = [[t, p] for t, p in result.get(m["id"], {}).items()]
        case["members"].append(joiner)
    return case


def time_kafkalab(case: dict, runs: int, batch_ms: int, clock: str) -> tuple[float, dict]:
    spec, describer = to_python(case)
    assignor = get_assignor(case["assignor"])
    assignor.assign(spec, describer)  # warm the caches
    gc.collect()
    gc.disable()  # as timeit does
    try:
        if clock == "wall":
            times = []
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                assignor.assign(spec, describer)
                times.append(time.perf_counter_ns() - t0)
            per_call = min(times)
        else:
            c0 = c1 = time.process_time_ns()
            calls = 0
            while calls < runs or c1 - c0 < batch_ms * 1_000_000:
                assignor.assign(spec, describer)
                calls += 1
                c1 = time.process_time_ns()
            per_call = (c1 - c0) / calls
    finally:
        gc.enable()
    return per_call / 1e9, run_kafkalab(case)


def time_java(oracle: JavaOracle, case: dict, warmup_ms: int, runs: int, batch_ms: int, clock: str) -> tuple[float, float, dict]:
    out = oracle.raw(encode(case, bench=(warmup_ms, runs, batch_ms)))
    result = parse(out, [case])[0]
    wall = result.pop("times_ns")
    cpu_total, calls = result.pop("cpu_ns")
    per_call = min(wall[1:]) if clock == "wall" else cpu_total / calls
    return per_call / 1e9, wall[0] / 1e9, result


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=SIZES, help="MEMBERSxPARTITIONS")
    parser.add_argument("--assignors", nargs="+", default=["uniform", "range"], choices=["uniform", "range"])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, choices=SHAPES)
    parser.add_argument("--modes", nargs="+", default=MODES, choices=MODES)
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10, help="timed calls per input (kafkalab and Java)")
    parser.add_argument("--warmup-ms", type=int, default=3000, help="Java: keep calling untimed for this long first")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--batch-ms", type=int, default=2000, help="CPU time to average over (--clock cpu)")
    parser.add_argument("--kafka-classpath", default=os.environ.get("KAFKA_CLASSPATH"))
    args = parser.parse_args()

    oracle = None
    why = "java: unavailable (no --kafka-classpath / KAFKA_CLASSPATH)"
    if args.kafka_classpath:
        try:
            oracle = JavaOracle(args.kafka_classpath)
        except RuntimeError as e:
            why = f"java: unavailable ({str(e).splitlines()[0]})"
    if oracle is None:
        print(why)
    how = f"best wall time of {args.runs} calls" if args.clock == "wall" else f"mean CPU time over {args.batch_ms} ms of calls"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; per call: {how}")

    header = f"{'assignor':8} {'subscriptions':13} {'members x partitions':20} {'mode':11} {'kafkalab':>10} {'java warm':>10} {'java cold':>10} {'ratio':>6}  same"
    print(header)
    print("-" * len(header))
    ratios = []
    try:
        for size in args.sizes:
            for assignor in args.assignors:
                for shape in args.shapes:
                    for mode in args.modes:
                        case = make_case(assignor, shape, size, args.topics, mode)
                        py, py_result = time_kafkalab(case, args.runs, args.batch_ms, args.clock)
                        warm = cold = None
                        same = "-"
                        if oracle is not None:
                            warm, cold, java_result = time_java(oracle, case, args.warmup_ms, args.runs, args.batch_ms, args.clock)
                            same = "yes" if java_result == py_result else "NO"
                            ratios.append(py / warm)
                        ratio = f"{py / warm:.1f}x" if warm else "-"
                        print(f"{assignor:8} {shape:13} {size:20} {mode:11} {ms(py):>10} {ms(warm):>10} {ms(cold):>10} {ratio:>6}  {same}", flush=True)
    finally:
        if oracle is not None:
            oracle.close()
    if ratios:
        print(f"\nkafkalab / warm Java: median {statistics.median(ratios):.1f}x, worst {max(ratios):.1f}x (target: 3x)")


if __name__ == "__main__":
    main()
