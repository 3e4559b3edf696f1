#!/usr/bin/env python3
"""What the tap costs: produce and consume throughput with and without ``kafkalab tap``, in one run.

It starts ``kafkalab serve`` (one broker) and ``kafkalab tap`` in front of it, each in its own
process, as a user would run them, then alternates the same two workloads directly against the
server and through the tap:

* **produce**: one confluent-kafka producer sends N records of S bytes to a fresh topic of 6
  partitions (``linger.ms=5``, ``acks=1``) and flushes;
* **consume**: one confluent-kafka consumer reads them all back from the start (partitions
  assigned directly, no group: this is the Fetch path, which is what a tap mostly forwards).

It prints records/s and MB/s (of record values) for each, the median of ``--repeat`` runs, and the
tap's overhead in percent (target: at most 20 %). The server is Python too, so on a small machine
the three processes share the cores; the overhead includes that. Needs ``pip install confluent-kafka``.

Usage: python benchmarks/bench_tap.py [--records 100000] [--size 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 6
TIMEOUT_S = 120.0


def start(args: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "kafkalab.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"kafkalab {args[0]} did not start")
    return proc, line


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def create_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(timeout=30)


def produce(bootstrap: str, topic: str, records: int, size: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1,
                         "queue.buffering.max.messages": records + 1000})
    value = os.urandom(size)
    t0 = time.perf_counter()
    for i in range(records):
        while True:
            try:
                producer.produce(topic, value, partition=i % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.01)
    if producer.flush(TIMEOUT_S):
        raise RuntimeError("the producer did not flush every record")
    return time.perf_counter() - t0


def consume(bootstrap: str, topic: str, records: int) -> float:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-tap", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 50})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = 0
    t0 = time.perf_counter()
    try:
        while got < records:
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise RuntimeError(f"consumed only {got} of {records} records in {TIMEOUT_S} s")
            for msg in consumer.consume(num_messages=10_000, timeout=0.5):
                if not msg.error():
                    got += 1
        return time.perf_counter() - t0
    finally:
        consumer.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=1000, help="bytes per record value (small records measure "
                    "mostly the client's own Python loop)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per case; the median is printed")
    args = ap.parse_args()
    trace = tempfile.NamedTemporaryFile(prefix="bench-tap-", suffix=".jsonl", delete=False)
    trace.close()
    serve, line = start(["serve", "--port", "0"])
    tap = None
    try:
        server = line.split("bootstrap.servers=")[1].split()[0].rstrip(";")
        tap, line = start(["tap", "--upstream", server, "--port", "0", "--out", trace.name])
        tapped = line.split()[2]
        times: dict[tuple[str, str], list[float]] = {}
        for run in range(args.repeat):
            for label, bootstrap in (("direct", server), ("tap", tapped)):
                topic = f"bench-{label}-{run}"
                create_topic(bootstrap, topic)
                times.setdefault(("produce", label), []).append(produce(bootstrap, topic, args.records, args.size))
                times.setdefault(("consume", label), []).append(consume(bootstrap, topic, args.records))
    finally:
        if tap is not None:
            stop(tap)
        stop(serve)
        os.unlink(trace.name)
    mb = args.records * args.size / 1e6
    print(f"confluent-kafka, {args.records} records of {args.size} bytes, {PARTITIONS} partitions, "
          f"kafkalab serve and kafkalab tap in their own processes, median of {args.repeat}")
    print(f"{'workload':<9} {'path':<7} {'records/s':>10} {'MB/s':>7}   runs (s)")
    for workload in ("produce", "consume"):
        medians = {}
        for label in ("direct", "tap"):
            runs = times[(workload, label)]
            medians[label] = statistics.median(runs)
            print(f"{workload:<9} {label:<7} {args.records / medians[label]:>10,.0f} {mb / medians[label]:>7.1f}   "
                  + " ".join(f"{t:.2f}" for t in runs))
        overhead = (medians["tap"] / medians["direct"] - 1) * 100
        print(f"{workload:<9} tap overhead: {overhead:+.1f} % of the direct time (target: at most +20 %)")


if __name__ == "__main__":
    main()
