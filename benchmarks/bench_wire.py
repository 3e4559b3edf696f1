#!/usr/bin/env python3
"""Join and rebalance times of real confluent-kafka consumers against ``kafkalab.wire.Server``.

For each ``group.initial.rebalance.delay.ms`` (0 and Kafka's default 3000) and each group size
(3 and 10 consumers), it starts a one-broker kafkalab server on a free loopback port with a topic
of ``2 * N`` partitions, then measures

* **join**: from the first consumer's ``subscribe()`` until the N consumers own every partition,
  each at least one, with no overlap (as their ``on_assign``/``on_revoke`` callbacks report);
* **rebalance**: from the start of one consumer's ``close()`` (which sends LeaveGroup) until the
  other N-1 own every partition again.

Each consumer runs in its own thread calling ``poll(0.05)``. The consumers use the eager ``range``
assignor, ``session.timeout.ms=6000`` and ``heartbeat.interval.ms=500`` (survivors learn of a
rebalance from a heartbeat answer, so the heartbeat interval bounds the rebalance time; librdkafka's
default is 3000 ms). Needs ``pip install confluent-kafka``.

Usage: python benchmarks/bench_wire.py [--sizes 3 10] [--delays 0 3000] [--repeat K]
Target (2 cores): with delay 0, 10 consumers fully assigned in under 1.5 s, and the rebalance after
a close under 1.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from kafkalab.wire import Server

TIMEOUT_S = 30.0


class Member(threading.Thread):
    """One confluent-kafka consumer polling in its own thread."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, owned: dict, lock: threading.Lock,
                 heartbeat_ms: int) -> None:
        super().__init__(name=name, daemon=True)
        from confluent_kafka import Consumer

        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": heartbeat_ms,
            "partition.assignment.strategy": "range", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "socket.timeout.ms": 10000,
        })
        self.topic = topic
        self.owned, self.lock = owned, lock
        self.stop_flag = threading.Event()
        self.closed = threading.Event()
        self.close_started = 0.0

    def _assign(self, consumer, partitions) -> None:
        with self.lock:
            self.owned[self.name] = {p.partition for p in partitions}

    def _revoke(self, consumer, partitions) -> None:
        with self.lock:
            self.owned[self.name] = set()

    def subscribe(self) -> None:
        self.consumer.subscribe([self.topic], on_assign=self._assign, on_revoke=self._revoke, on_lost=self._revoke)

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.consumer.poll(0.05)
        self.close_started = time.perf_counter()
        with self.lock:
            self.owned.pop(self.name, None)
        self.consumer.close()
        self.closed.set()


def covered(owned: dict, lock: threading.Lock, names: list[str], partitions: int) -> bool:
    with lock:
        sets = [owned.get(n, set()) for n in names]
    if any(not s for s in sets):
        return False
    return sum(len(s) for s in sets) == partitions and set().union(*sets) == set(range(partitions))


def wait_for(pred, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    return False


def run(n: int, delay_ms: int, heartbeat_ms: int) -> tuple[float, float]:
    partitions = 2 * n
    with Server(group_initial_rebalance_delay_ms=delay_ms, topics={"bench": partitions}) as server:
        owned: dict = {}
        lock = threading.Lock()
        members = [Member(f"m{i}", server.bootstrap_servers, "bench-group", "bench", owned, lock, heartbeat_ms)
                   for i in range(n)]
        names = [mb.name for mb in members]
        try:
            t0 = time.perf_counter()
            for mb in members:
                mb.subscribe()
                mb.start()
            if not wait_for(lambda: covered(owned, lock, names, partitions), TIMEOUT_S):
                raise RuntimeError(f"{n} consumers were not all assigned within {TIMEOUT_S} s: {owned}")
            join = time.perf_counter() - t0
            time.sleep(0.5)  # let heartbeats settle
            victim, rest = members[0], names[1:]
            victim.stop_flag.set()
            if not victim.closed.wait(TIMEOUT_S):
                raise RuntimeError("close() did not return")
            if not wait_for(lambda: covered(owned, lock, rest, partitions), TIMEOUT_S):
                raise RuntimeError(f"the survivors did not take over within {TIMEOUT_S} s: {owned}")
            rebalance = time.perf_counter() - victim.close_started
        finally:
            for mb in members:
                mb.stop_flag.set()
            for mb in members:
                mb.join(TIMEOUT_S)
        if server.errors:
            raise RuntimeError(f"server errors: {server.errors}")
    return join, rebalance


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[3, 10])
    ap.add_argument("--delays", nargs="*", type=int, default=[0, 3000])
    ap.add_argument("--heartbeat-ms", type=int, default=500, help="heartbeat.interval.ms (default 500)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the median is printed")
    args = ap.parse_args()
    print(f"confluent-kafka consumers, range assignor, session.timeout.ms=6000, "
          f"heartbeat.interval.ms={args.heartbeat_ms}, median of {args.repeat}")
    print(f"{'delay (ms)':>10} {'consumers':>9} {'join (s)':>9} {'rebalance after close (s)':>26}   runs")
    for delay in args.delays:
        for n in args.sizes:
            results = [run(n, delay, args.heartbeat_ms) for _ in range(args.repeat)]
            join = statistics.median(r[0] for r in results)
            rebalance = statistics.median(r[1] for r in results)
            runs = " ".join(f"{j:.2f}/{r:.2f}" for j, r in results)
            print(f"{delay:>10} {n:>9} {join:>9.3f} {rebalance:>26.3f}   {runs}", flush=True)


if __name__ == "__main__":
    main()
