#!/usr/bin/env python3
"""Real librdkafka consumers on ``kafkalab.wire.Server``: the classic protocol against the consumer
protocol (KIP-848, ``group.protocol=consumer``), in one run.

For each protocol and group size (10 consumers by default) it starts a one-broker kafkalab server
in process on a free loopback port with a topic of ``2 * N`` partitions holding a few records each,
then measures

* **join**: from the first consumer's ``subscribe()`` until the N consumers own every partition,
  each at least one, with no overlap (as their ``on_assign``/``on_revoke`` callbacks report);
* **consumed again**: from the start of one consumer's ``close()`` until every partition it owned
  has delivered a record to another consumer. Nothing is committed (``enable.auto.commit=false``),
  so the new owner reads each such partition from its first offset (``auto.offset.reset=earliest``):
  the time covers the leave, the reassignment, the new owner's offset lookup and its first fetch.

Each consumer polls in its own thread (``poll(0.05)``). Classic: the eager ``range`` assignor,
``session.timeout.ms=6000``, ``heartbeat.interval.ms=500`` and ``group.initial.rebalance.delay.ms=0``
(Kafka's default is 3000). Consumer protocol: the broker's ``uniform`` assignor and a 500 ms
``group.consumer.heartbeat.interval.ms`` (Kafka's default is 5000), so both protocols heartbeat
every 500 ms. Needs ``pip install confluent-kafka``.

Usage: PYTHONPATH=. python benchmarks/bench_real_clients.py [--sizes 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from kafkalab import CoordinatorConfig
from kafkalab.modern import ConsumerGroupConfig
from kafkalab.wire import Server

TIMEOUT_S = 60.0
HEARTBEAT_MS = 500
RECORDS_PER_PARTITION = 5


class Member(threading.Thread):
    """One confluent-kafka consumer polling in its own thread."""

    def __init__(self, name: str, bootstrap: str, protocol: str, shared: "Shared") -> None:
        super().__init__(name=name, daemon=True)
        from confluent_kafka import Consumer

        config = {"bootstrap.servers": bootstrap, "group.id": "bench-group", "client.id": name,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest", "socket.timeout.ms": 10000}
        if protocol == "consumer":
            config["group.protocol"] = "consumer"   # no classic-only settings: the broker has them
        else:
            config.update({"session.timeout.ms": 6000, "heartbeat.interval.ms": HEARTBEAT_MS,
                           "partition.assignment.strategy": "range"})
        self.consumer = Consumer(config)
        self.incremental = protocol == "consumer"  # its callbacks name only what changes
        self.shared = shared
        self.stop_flag = threading.Event()
        self.closed = threading.Event()
        self.close_started = 0.0

    def _assign(self, consumer, partitions) -> None:
        with self.shared.lock:
            mine = self.shared.owned.setdefault(self.name, set())
            if not self.incremental:
                mine.clear()
            mine.update(p.partition for p in partitions)

    def _revoke(self, consumer, partitions) -> None:
        with self.shared.lock:
            mine = self.shared.owned.setdefault(self.name, set())
            if self.incremental:
                mine.difference_update(p.partition for p in partitions)
            else:
                mine.clear()

    def subscribe(self) -> None:
        self.consumer.subscribe(["bench"], on_assign=self._assign, on_revoke=self._revoke, on_lost=self._revoke)

    def run(self) -> None:
        while not self.stop_flag.is_set():
            msg = self.consumer.poll(0.05)
            if msg is not None and not msg.error():
                self.shared.consumed(self.name, msg.partition())
        self.close_started = time.perf_counter()
        with self.shared.lock:
            self.shared.owned.pop(self.name, None)
        self.consumer.close()
        self.closed.set()


class Shared:
    """What the members' callbacks and polls report, and the first record each partition gave a
    consumer other than ``watch_skip`` once ``watching`` is set."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owned: dict[str, set[int]] = {}
        self.watching = False
        self.skip = ""
        self.first: dict[int, float] = {}

    def consumed(self, name: str, partition: int) -> None:
        if self.watching and name != self.skip:
            with self.lock:
                self.first.setdefault(partition, time.perf_counter())

    def covered(self, names: list[str], partitions: int) -> bool:
        with self.lock:
            sets = [set(self.owned.get(n, ())) for n in names]
        return all(sets) and sum(len(s) for s in sets) == partitions and set().union(*sets) == set(range(partitions))


def wait_for(pred, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    return False


def produce(bootstrap: str, partitions: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap})
    for p in range(partitions):
        for i in range(RECORDS_PER_PARTITION):
            producer.produce("bench", value=f"{p}-{i}".encode(), partition=p)
    if producer.flush(30):
        raise RuntimeError("the producer did not deliver every record")


def run(protocol: str, n: int) -> tuple[float, float]:
    partitions = 2 * n
    config = CoordinatorConfig(group_initial_rebalance_delay_ms=0, consumer=ConsumerGroupConfig(
        group_consumer_heartbeat_interval_ms=HEARTBEAT_MS, group_consumer_min_heartbeat_interval_ms=100))
    with Server(config=config, topics={"bench": partitions}) as server:
        produce(server.bootstrap_servers, partitions)
        shared = Shared()
        members = [Member(f"m{i}", server.bootstrap_servers, protocol, shared) for i in range(n)]
        names = [mb.name for mb in members]
        try:
            t0 = time.perf_counter()
            for mb in members:
                mb.subscribe()
                mb.start()
            if not wait_for(lambda: shared.covered(names, partitions), TIMEOUT_S):
                raise RuntimeError(f"{n} consumers were not all assigned within {TIMEOUT_S} s: {shared.owned}")
            join = time.perf_counter() - t0
            time.sleep(1.0)  # let heartbeats settle and the first reads finish
            victim = members[0]
            with shared.lock:
                moved = set(shared.owned[victim.name])
            shared.skip, shared.watching = victim.name, True
            victim.stop_flag.set()
            if not victim.closed.wait(TIMEOUT_S):
                raise RuntimeError("close() did not return")
            if not wait_for(lambda: moved <= set(shared.first), TIMEOUT_S):
                raise RuntimeError(f"the survivors did not read {sorted(moved)} within {TIMEOUT_S} s")
            again = max(shared.first[p] for p in moved) - victim.close_started
        finally:
            for mb in members:
                mb.stop_flag.set()
            for mb in members:
                mb.join(TIMEOUT_S)
        if server.errors:
            raise RuntimeError(f"server errors: {server.errors}")
    return join, again


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[10])
    ap.add_argument("--protocols", nargs="*", default=["classic", "consumer"], choices=["classic", "consumer"])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case, alternating protocols; the median is printed")
    args = ap.parse_args()
    print(f"confluent-kafka consumers on kafkalab.wire.Server, heartbeats every {HEARTBEAT_MS} ms, "
          f"2 partitions per consumer, median of {args.repeat}")
    print(f"{'protocol':>9} {'consumers':>9} {'join (s)':>9} {'close -> consumed again (s)':>28}   runs (join/again)")
    for n in args.sizes:
        results: dict[str, list[tuple[float, float]]] = {p: [] for p in args.protocols}
        for _ in range(args.repeat):
            for protocol in args.protocols:  # alternate, so that machine load hits both alike
                results[protocol].append(run(protocol, n))
        for protocol, rs in results.items():
            join = statistics.median(r[0] for r in rs)
            again = statistics.median(r[1] for r in rs)
            runs = " ".join(f"{j:.2f}/{a:.2f}" for j, a in rs)
            print(f"{protocol:>9} {n:>9} {join:>9.3f} {again:>28.3f}   {runs}", flush=True)


if __name__ == "__main__":
    main()
