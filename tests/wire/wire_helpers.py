"""Helpers for the wire tests: kio request frames, a blocking raw client, record batches, waiting.

Nothing here is part of kafkalab. Every socket has a timeout; every wait has a deadline.
"""

from __future__ import annotations

import io
import socket
import struct
import time
import uuid
from typing import Any, Callable, Optional

import kio.index
from kio.serial import entity_reader, entity_writer

from kafkalab.wire.codec import build

SOCKET_TIMEOUT_S = 5.0

# Every field any version of each group API has (build() drops what a version lacks).
SAMPLE_REQUESTS: dict[int, dict] = {
    10: dict(key="g", key_type=0, coordinator_keys=["g", "h"]),
    11: dict(group_id="g", session_timeout=6000, rebalance_timeout=300_000, member_id="", group_instance_id="i1",
             protocol_type="consumer", protocols=[{"name": "range", "metadata": b"\x00\x01"},
                                                  {"name": "roundrobin", "metadata": b""}], reason="why"),
    14: dict(group_id="g", generation_id=3, member_id="m", group_instance_id="i1", protocol_type="consumer",
             protocol_name="range", assignments=[{"member_id": "m", "assignment": b"abc"}]),
    12: dict(group_id="g", generation_id=3, member_id="m", group_instance_id="i1"),
    13: dict(group_id="g", member_id="m", members=[{"member_id": "m", "group_instance_id": "i1", "reason": "bye"},
                                                   {"member_id": "", "group_instance_id": "i2", "reason": None}]),
    8: dict(group_id="g", generation_id_or_member_epoch=3, member_id="m", group_instance_id="i1", retention_time=-1,
            topics=[{"name": "t", "partitions": [{"partition_index": 0, "committed_offset": 5,
                                                  "committed_leader_epoch": 0, "committed_metadata": "md"},
                                                 {"partition_index": 1, "committed_offset": 7,
                                                  "committed_leader_epoch": -1, "committed_metadata": None}]}]),
    9: dict(group_id="g", topics=[{"name": "t", "partition_indexes": [0, 1]}], require_stable=True,
            groups=[{"group_id": "g", "member_id": None, "member_epoch": -1,
                     "topics": [{"name": "t", "partition_indexes": [0, 1]}]},
                    {"group_id": "h", "member_id": None, "member_epoch": -1, "topics": None}]),
    15: dict(groups=["g", "h"], include_authorized_operations=False),
    16: dict(states_filter=["Stable"], types_filter=["classic"]),
    # KIP-848: topics by id (a uuid.UUID for kio; the codec gives kafkalab Kafka's text form).
    68: dict(group_id="g", member_id="m", member_epoch=0, instance_id="i1", rack_id="r1", rebalance_timeout=300_000,
             subscribed_topic_names=["t", "u"], subscribed_topic_regex="^t.*", server_assignor="uniform",
             topic_partitions=[{"topic_id": uuid.UUID(int=1), "partitions": [0, 2]}]),
    69: dict(group_ids=["g", "h"], include_authorized_operations=True),
}


def sample_values(api_key: int) -> dict:
    """Request fields for any served API (the group APIs' from :data:`SAMPLE_REQUESTS`)."""
    if api_key in SAMPLE_REQUESTS:
        return SAMPLE_REQUESTS[api_key]
    partition = {"partition": 0, "partition_index": 0, "index": 0, "fetch_offset": 0, "current_leader_epoch": -1,
                 "last_fetched_epoch": -1, "log_start_offset": -1, "partition_max_bytes": 1 << 20,
                 "timestamp": -1, "records": record_batch([b"fuzz"])}
    topic = {"name": "fz", "topic": "fz", "topic_id": None, "partitions": [partition], "partition_data": [partition]}
    return {
        0: dict(transactional_id=None, acks=1, timeout=1000, topic_data=[topic]),
        1: dict(replica_id=-1, max_wait=0, min_bytes=1, max_bytes=1 << 20, isolation_level=0, session_id=0,
                session_epoch=-1, topics=[topic], forgotten_topics_data=[], rack_id=""),
        2: dict(replica_id=-1, isolation_level=0, timeout=1000, topics=[topic]),
        3: dict(topics=[{"name": "fz", "topic_id": None}], allow_auto_topic_creation=True,
                include_cluster_authorized_operations=False, include_topic_authorized_operations=False),
        18: dict(client_software_name="fuzz", client_software_version="1"),
        20: dict(topic_names=["fz-deleted"], topics=[{"name": "fz-deleted", "topic_id": None}], timeout=1000),
        22: dict(transactional_id=None, transaction_timeout=1000, producer_id=-1, producer_epoch=-1),
        37: dict(topics=[{"name": "fz", "count": 4, "assignments": None}], timeout=1000, validate_only=True),
    }[api_key]



def request_frame(api_key: int, api_version: int, correlation_id: int, body: Any = None, /, *,
                  client_id: Optional[str] = "test", **values: Any) -> bytes:
    """A whole request frame: ``body`` is a kio request object, or ``values`` build one."""
    cls = kio.index.load_request_schema(api_key, api_version)
    if body is None:
        body = build(cls, values)
    hdr_cls = cls.__header_schema__
    out = io.BytesIO()
    entity_writer(hdr_cls)(out, hdr_cls(request_api_key=api_key, request_api_version=api_version,
                                        correlation_id=correlation_id, client_id=client_id))
    entity_writer(cls)(out, body)
    payload = out.getvalue()
    return struct.pack(">i", len(payload)) + payload


def parse_response(api_key: int, api_version: int, payload: bytes) -> tuple[int, Any]:
    """``(correlation_id, kio response)`` from a response frame's payload (after the size)."""
    cls = kio.index.load_response_schema(api_key, api_version)
    header, used = entity_reader(cls.__header_schema__)(payload, 0)
    body, _ = entity_reader(cls)(payload, used)
    return header.correlation_id, body


def split_frames(data: bytes) -> list[bytes]:
    out = []
    pos = 0
    while len(data) - pos >= 4:
        (size,) = struct.unpack_from(">i", data, pos)
        out.append(data[pos + 4:pos + 4 + size])
        pos += 4 + size
    assert pos == len(data), "trailing partial frame"
    return out


class RawClient:
    """A blocking Kafka connection for tests (loopback, every call bounded by a timeout)."""

    def __init__(self, address: tuple[str, int], timeout: float = SOCKET_TIMEOUT_S) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.settimeout(timeout)
        self.correlation_id = 0

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, api_key: int, api_version: int, body: Any = None, /, **values: Any) -> int:
        self.correlation_id += 1
        self.sock.sendall(request_frame(api_key, api_version, self.correlation_id, body, **values))
        return self.correlation_id

    def read_frame(self) -> bytes:
        size = struct.unpack(">i", self._read_exactly(4))[0]
        return self._read_exactly(size)

    def _read_exactly(self, n: int) -> bytes:
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def call(self, api_key: int, api_version: int, body: Any = None, /, **values: Any) -> Any:
        corr = self.send(api_key, api_version, body, **values)
        got, response = parse_response(api_key, api_version, self.read_frame())
        assert got == corr
        return response

    def is_closed_by_peer(self, timeout: float = SOCKET_TIMEOUT_S) -> bool:
        """True when the server closes the connection (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def address(server, node: int = 0) -> tuple[str, int]:
    return server.advertised_host, server.ports[node]


def record_batch(values: list[bytes], *, compression: int = 0, timestamp: int = 1_700_000_000_000,
                 producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1) -> bytes:
    """A magic-2 record batch built by kafka-python (an independent encoder)."""
    from kafka.record.memory_records import MemoryRecordsBuilder

    builder = MemoryRecordsBuilder(magic=2, compression_type=compression, batch_size=1 << 22,
                                   producer_id=producer_id, producer_epoch=producer_epoch,
                                   base_sequence=base_sequence)
    for i, value in enumerate(values):
        builder.append(timestamp + i, key=None, value=value, headers=[])
    builder.close()
    return bytes(builder.buffer())


def read_records(data: bytes) -> list[tuple[int, int, bytes]]:
    """``(offset, timestamp, value)`` of every record in concatenated batches (kafka-python reads them)."""
    from kafka.record.memory_records import MemoryRecords

    records = MemoryRecords(bytes(data))
    out = []
    while True:
        batch = records.next_batch()
        if batch is None:
            return out
        assert batch.validate_crc()
        out.extend((r.offset, r.timestamp, r.value) for r in batch)


def wait_for(predicate: Callable[[], Any], timeout: float, step: float = 0.01, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)
