#!/usr/bin/env python3
"""Wall time to take an empty group of N simulated consumers to Stable, and to recover after one leaves.

Each run builds a fresh World (one broker, one topic with max(N, 10) partitions, the range
assignor, Kafka's default timeouts and the 3 s initial rebalance delay), starts N consumers at
virtual time 0, runs until the coordinator and every consumer agree the group is Stable, then
closes one consumer (LeaveGroup) and runs until the survivors are Stable again.  The trace is
switched off (as for any large sweep); everything else is the code the notebooks run.

With ``--group-protocol consumer`` (or ``both``) the members are consumer-protocol consumers
(KIP-848, ``group_protocol="consumer"``, the broker's default ``uniform`` assignor): the clock runs
from an empty group until every member has reconciled its assignment and the group is Stable.
``both`` prints the two protocols next to each other for each N.

Usage: python benchmarks/bench_group.py [N ...] [--processing-ms MS] [--repeat K] [--group-protocol P]
Target on a 2-core machine: N=1000 under 1 s, N=5000 under 10 s (classic) and under 5 s (consumer),
growth no worse than N log N.
"""

from __future__ import annotations

import argparse
import math
import time

from kafkalab.sim import World


def run(n: int, processing_ms: int, protocol: str = "classic") -> tuple[float, float, int, int]:
    world = World(topics={"t": max(n, 10)}, trace=False)
    if protocol == "consumer":
        world.add_consumers(n, group="g", topics=["t"], group_protocol="consumer", processing_ms=processing_ms)
    else:
        world.add_consumers(n, group="g", topics=["t"], partition_assignment_strategy=["range"],
                            processing_ms=processing_ms)
    t0 = time.perf_counter()
    stable_at = world.run_until_stable("g")
    t1 = time.perf_counter()
    world.close("c1")
    t2 = time.perf_counter()
    recovered_at = world.run_until_stable("g")
    t3 = time.perf_counter()
    assert sum(len(a) for a in world.assignments("g").values()) == max(n, 10)
    return t1 - t0, t3 - t2, stable_at, recovered_at - stable_at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10, 100, 1000, 5000])
    ap.add_argument("--processing-ms", type=int, default=100, help="per-poll processing time (default 100)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the best is printed")
    ap.add_argument("--group-protocol", choices=("classic", "consumer", "both"), default="classic",
                    help="the members' group.protocol (default classic; both: one line each per N)")
    args = ap.parse_args()
    protocols = ("classic", "consumer") if args.group_protocol == "both" else (args.group_protocol,)
    print(f"{'N':>6} {'protocol':>9} {'join (s)':>9} {'recover (s)':>12} {'virtual join':>13} "
          f"{'virtual recover':>16} {'join/(N log2 N) us':>19}")
    for n in args.sizes:
        for protocol in protocols:
            best = min((run(n, args.processing_ms, protocol) for _ in range(args.repeat)),
                       key=lambda r: r[0] + r[1])
            join, recover, vjoin, vrec = best
            nlogn = n * max(1.0, math.log2(n))
            print(f"{n:>6} {protocol:>9} {join:>9.3f} {recover:>12.3f} {vjoin:>10} ms {vrec:>13} ms "
                  f"{1e6 * join / nlogn:>19.2f}", flush=True)


if __name__ == "__main__":
    main()
