"""Thousands of random, truncated and mutated frames while a real consumer keeps consuming.

Each Hypothesis example opens a loopback connection, writes a list of frames and closes it. The
frames are random bytes, valid requests of every served API and version cut short, with bytes
flipped, or with their size prefix fixed up around a damaged body. Meanwhile a producer thread
keeps producing and a confluent-kafka consumer keeps consuming in its own group. At the end the
consumer must have every record, its group must not have rebalanced, and kafkalab must have
raised no internal error. Bounded: at most ``MAX_EXAMPLES`` examples and ``BUDGET_S`` seconds.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ck = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, Producer  # noqa: E402

from kafkalab.wire.codec import API_VERSIONS  # noqa: E402
from wire_helpers import RawClient, address, request_frame, sample_values, wait_for  # noqa: E402

pytestmark = pytest.mark.interop

MAX_EXAMPLES = int(os.environ.get("WIRE_FUZZ_EXAMPLES", "1000"))
BUDGET_S = float(os.environ.get("WIRE_FUZZ_BUDGET_S", "25"))

SEEDS = [request_frame(key, v, 7, **sample_values(key))
         for key, (lo, hi) in sorted(API_VERSIONS.items()) if key != 19 for v in range(lo, hi + 1)]


def _truncate(args) -> bytes:
    frame, cut = args
    return frame[:cut % (len(frame) + 1)]


def _resize(args) -> bytes:
    """A damaged body behind a size prefix that matches it: the codec must reject the body."""
    frame, cut, flips = args
    body = bytearray(frame[4:4 + cut % (len(frame) - 3)])
    for pos, value in flips:
        if body:
            body[pos % len(body)] = value
    return struct.pack(">i", len(body)) + bytes(body)


def _flip(args) -> bytes:
    frame, flips = args
    out = bytearray(frame)
    for pos, value in flips:
        out[4 + pos % (len(out) - 4)] = value
    return bytes(out)


def _header(args) -> bytes:
    key, version, rest = args
    payload = struct.pack(">hhi", key, version, 1) + rest
    return struct.pack(">i", len(payload)) + payload


flips = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4)
FRAMES = st.one_of(
    st.binary(max_size=48),                                                          # raw junk
    st.binary(max_size=96).map(lambda b: struct.pack(">i", len(b)) + b),             # framed junk
    st.tuples(st.sampled_from(SEEDS), st.integers(0, 1 << 16)).map(_truncate),       # cut short
    st.tuples(st.sampled_from(SEEDS), st.integers(0, 1 << 16), flips).map(_resize),  # damaged, re-framed
    st.tuples(st.sampled_from(SEEDS), flips).map(_flip),                             # bytes flipped
    st.tuples(st.integers(-5, 100), st.integers(-2, 30), st.binary(max_size=24)).map(_header),  # any key/version
    st.sampled_from(SEEDS),                                                          # valid requests
)


class Traffic:
    """A producer thread and a consumer thread on topic ``live`` (3 partitions), group ``live-group``."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.stop = threading.Event()
        self.produced: set[bytes] = set()
        self.consumed: list[bytes] = []
        self.assignments: list[tuple[int, ...]] = []
        self.failures: list = []
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "live-group", "client.id": "live",
                                  "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
                                  "auto.offset.reset": "earliest", "enable.auto.commit": True, "log_level": 3})
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2, "log_level": 3})
        self.consumer.subscribe(["live"], on_assign=lambda c, ps: self.assignments.append(
            tuple(sorted(p.partition for p in ps))))
        self.threads = [threading.Thread(target=self._consume, daemon=True),
                        threading.Thread(target=self._produce, daemon=True)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _consume(self) -> None:
        while not self.stop.is_set():
            msg = self.consumer.poll(0.05)
            if msg is not None and not msg.error():
                self.consumed.append(msg.value())

    def _produce(self) -> None:
        i = 0
        while not self.stop.wait(0.02):
            value = b"live-%d" % i
            self.produced.add(value)
            self.producer.produce("live", value=value, partition=i % 3,
                                  on_delivery=lambda err, msg: err and self.failures.append(err))
            self.producer.poll(0)
            i += 1

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)
        assert self.producer.flush(10) == 0

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)
        self.consumer.close()
        self.producer = None  # destroyed now, before its server stops


def test_random_and_truncated_frames_do_not_disturb_a_real_consumer(make_server):
    server = make_server(brokers=3, topics={"live": 3}, max_frame_bytes=1 << 20)
    traffic = Traffic(server.bootstrap_servers)
    try:
        traffic.start()
        wait_for(lambda: traffic.consumed, 15, what="the live consumer's first record")
        generation = server.describe("live-group")["generation_id"]
        t_end = time.monotonic() + BUDGET_S
        sent = {"frames": 0, "examples": 0}
        refused: list[str] = []

        # No shrinking: the body never fails (it records), so a slow shrink can never eat the budget.
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  phases=(Phase.explicit, Phase.reuse, Phase.generate))
        @given(st.lists(FRAMES, min_size=1, max_size=16), st.sampled_from([0, 1, 2]))
        def fuzz(frames, node):
            if time.monotonic() > t_end:
                return
            try:
                with socket.create_connection(address(server, node), timeout=2) as sock:
                    try:
                        sock.sendall(b"".join(frames))
                    except OSError:
                        pass  # the server may close first, as Kafka does
            except OSError as exc:
                refused.append(repr(exc))
                return
            sent["frames"] += len(frames)
            sent["examples"] += 1

        fuzz()
        assert not refused, refused[:5]
        assert sent["frames"] >= 2000, sent
        with RawClient(address(server)) as health:
            assert health.call(18, 3, client_software_name="h", client_software_version="1").error_code == 0
        traffic.finish()
        wait_for(lambda: set(traffic.consumed) >= traffic.produced, 15, what="every produced record")
        assert not traffic.failures
        assert len(traffic.consumed) == len(set(traffic.consumed))
        assert server.describe("live-group")["generation_id"] == generation
        assert len(traffic.assignments) == 1 and traffic.assignments[0] == (0, 1, 2)
        assert server.malformed  # plenty of frames closed their connections
    finally:
        traffic.close()
