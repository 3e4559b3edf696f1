"""The tap's sans-IO connection: bytes pass unchanged however they are split, group frames are
decoded into the trace, broker addresses are rewritten, bad frames close only their connection."""

from __future__ import annotations

import dataclasses
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tap_helpers import frames, parse_response, request_frame, response_frame

from kafkalab import messages as m
from kafkalab.errors import ErrorCode
from kafkalab.tap.stream import Directory, TapConnection
from kafkalab.wire.codec import OffsetFetchBatch, OffsetFetchBatchResponse

UPSTREAM = "10.1.2.3:9092"


def opener():
    opened: list[str] = []

    def open_listener(upstream: str) -> tuple[str, int]:
        opened.append(upstream)
        return "127.0.0.1", 41000 + len(opened)
    return open_listener, opened


def connection(**kwargs) -> TapConnection:
    open_listener, _ = opener()
    directory = Directory(open_listener)
    directory.add(UPSTREAM, ("127.0.0.1", 41000))
    return TapConnection(1, UPSTREAM, directory, **kwargs)


def raw_frame(api_key: int, version: int, corr: int, body: bytes, client_id: bytes = b"raw") -> bytes:
    payload = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id + body
    return struct.pack(">i", len(payload)) + payload


SUBSCRIPTION = b"\x00\x01\x00\x00\x00\x01\x00\x06orders\xff\xff\xff\xff\x00\x00\x00\x00"
ASSIGNMENT = b"\x00\x01\x00\x00\x00\x01\x00\x06orders\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff"

# (api key, version, request values, response values): group APIs, KIP-848, and others.
EXCHANGES = [
    (18, 3, dict(client_software_name="t", client_software_version="1"),
     dict(error_code=0, api_keys=[{"api_key": 0, "min_version": 3, "max_version": 9}], throttle_time=0)),
    (11, 5, dict(group_id="g", session_timeout=6000, rebalance_timeout=300_000, member_id="", group_instance_id=None,
                 protocol_type="consumer", protocols=[{"name": "range", "metadata": SUBSCRIPTION}]),
     dict(error_code=79, generation_id=-1, protocol_name="", leader="", member_id="c1-1", members=[])),
    (14, 3, dict(group_id="g", generation_id=1, member_id="c1-1", group_instance_id=None,
                 assignments=[{"member_id": "c1-1", "assignment": ASSIGNMENT}]),
     dict(error_code=0, assignment=ASSIGNMENT)),
    (12, 4, dict(group_id="g", generation_id=1, member_id="c1-1", group_instance_id=None), dict(error_code=27)),
    (8, 8, dict(group_id="g", generation_id_or_member_epoch=1, member_id="c1-1", group_instance_id=None,
                topics=[{"name": "orders", "partitions": [{"partition_index": 0, "committed_offset": 5,
                                                           "committed_leader_epoch": -1, "committed_metadata": ""}]}]),
     dict(topics=[{"name": "orders", "partitions": [{"partition_index": 0, "error_code": 0}]}])),
    (9, 8, dict(groups=[{"group_id": "g", "topics": [{"name": "orders", "partition_indexes": [0, 1]}]}],
                require_stable=True),
     dict(groups=[{"group_id": "g", "error_code": 0, "topics": [{"name": "orders", "partitions": [
         {"partition_index": 0, "committed_offset": 5, "committed_leader_epoch": -1, "metadata": "", "error_code": 0},
         {"partition_index": 1, "committed_offset": -1, "committed_leader_epoch": -1, "metadata": "",
          "error_code": 0}]}]}])),
    (13, 1, dict(group_id="g", member_id="c1-1"), dict(error_code=0)),
    (68, 0, dict(group_id="g", member_id="", member_epoch=0, instance_id=None, rack_id=None, rebalance_timeout=300_000,
                 subscribed_topic_names=["orders"], server_assignor=None, topic_partitions=[]),
     dict(error_code=0, error_message=None, member_id="m-848", member_epoch=1, heartbeat_interval=5000,
          assignment=None)),
    (8, 10, dict(group_id="g", generation_id_or_member_epoch=1, member_id="m-848", group_instance_id=None,
                 topics=[]), dict(topics=[])),
]


def client_stream() -> bytes:
    data = b"".join(request_frame(k, v, i + 1, client_id="c1", **req) for i, (k, v, req, _) in enumerate(EXCHANGES))
    # Frames the tap does not read: a Produce with an opaque body, an API no one knows, a 0-byte frame.
    data += raw_frame(0, 9, 50, os.urandom(300))
    data += raw_frame(999, 7, 51, os.urandom(40))
    return data + struct.pack(">i", 0)


def broker_stream() -> bytes:
    data = b"".join(response_frame(k, v, i + 1, **resp) for i, (k, v, _, resp) in enumerate(EXCHANGES))
    return data + struct.pack(">ii", 4 + 20, 50) + os.urandom(20)


CLIENT = client_stream()
BROKER = broker_stream()


def feed(conn: TapConnection, data: bytes, cuts, *, from_client: bool):
    out, records = bytearray(), []
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    for piece in pieces:
        result = (conn.from_client if from_client else conn.from_broker)(piece, 1.0)
        assert result.close is None, result.close
        for chunk in result.data:
            out += chunk
        records += result.records
    return bytes(out), records


def test_whole_streams_pass_unchanged_and_group_frames_are_decoded():
    conn = connection()
    up, req_records = feed(conn, CLIENT, [], from_client=True)
    down, resp_records = feed(conn, BROKER, [], from_client=False)
    assert up == CLIENT and down == BROKER
    kinds = [(r.kind, r.api, r.version) for r in req_records + resp_records]
    assert ("error", None, None) in kinds  # the 0-byte frame, forwarded and noted
    requests = {r.correlation_id: r for r in req_records if r.kind == "request"}
    responses = {r.correlation_id: r for r in resp_records if r.kind == "response"}
    # ApiVersions, Produce and the unknown API are passed without a record; the group APIs are recorded.
    assert sorted(requests) == sorted(responses) == [2, 3, 4, 5, 6, 7, 8, 9]
    join = requests[2].message
    assert isinstance(join, m.JoinGroupRequest) and join.client_id == "c1" and join.session_timeout_ms == 6000
    assert join.protocols == (m.JoinGroupRequestProtocol("range", SUBSCRIPTION),)
    assert responses[2].message.error_code is ErrorCode.MEMBER_ID_REQUIRED and responses[2].message.member_id == "c1-1"
    assert responses[3].message.assignment == ASSIGNMENT
    assert responses[4].message.error_code is ErrorCode.REBALANCE_IN_PROGRESS
    fetch = requests[6].message
    assert isinstance(fetch, OffsetFetchBatch) and fetch.requests[0].group_id == "g" and fetch.requests[0].require_stable
    answer = responses[6].message
    assert isinstance(answer, OffsetFetchBatchResponse) and answer.groups[0][1].topics[0].partitions[0].committed_offset == 5
    # KIP-848's heartbeat becomes kafkalab's message (the client id from the header, as for JoinGroup).
    heartbeat = requests[8].message
    assert isinstance(heartbeat, m.ConsumerGroupHeartbeatRequest) and requests[8].fields is None
    assert (heartbeat.subscribed_topic_names, heartbeat.member_epoch, heartbeat.client_id) == (("orders",), 0, "c1")
    assert responses[8].message == m.ConsumerGroupHeartbeatResponse(member_id="m-848", member_epoch=1,
                                                                    heartbeat_interval_ms=5000)
    # An OffsetCommit version kafkalab does not model keeps kio's fields.
    assert requests[9].message is None and requests[9].fields["member_id"] == "m-848"
    assert all(r.client_id == "c1" and r.conn == 1 and r.broker == UPSTREAM for r in requests.values())
    assert conn.pending == 1  # the unknown API's request, which the broker never answered


@pytest.mark.parametrize("direction", ["client", "broker"])
def test_every_split_point_forwards_the_same_bytes_and_records(direction):
    whole = connection()
    feed(whole, CLIENT, [], from_client=True)
    expected = [(r.kind, r.api, r.correlation_id, r.message, r.fields)
                for r in feed(whole, BROKER, [], from_client=False)[1]] if direction == "broker" else \
        [(r.kind, r.api, r.correlation_id, r.message, r.fields) for r in feed(connection(), CLIENT, [], from_client=True)[1]]
    data = CLIENT if direction == "client" else BROKER
    for cut in range(1, len(data)):
        conn = connection()
        if direction == "broker":
            feed(conn, CLIENT, [], from_client=True)
        out, records = feed(conn, data, [cut], from_client=direction == "client")
        assert out == data, f"split at byte {cut}"
        assert [(r.kind, r.api, r.correlation_id, r.message, r.fields) for r in records] == expected


def test_one_byte_at_a_time():
    conn = connection()
    out_up, _ = feed(conn, CLIENT, list(range(1, len(CLIENT))), from_client=True)
    out_down, records = feed(conn, BROKER, list(range(1, len(BROKER))), from_client=False)
    assert out_up == CLIENT and out_down == BROKER
    assert len([r for r in records if r.kind == "response"]) == 8


@given(st.lists(st.integers(1, len(CLIENT) - 1), max_size=12, unique=True),
       st.lists(st.integers(1, len(BROKER) - 1), max_size=12, unique=True))
def test_random_splits(up_cuts, down_cuts):
    conn = connection()
    assert feed(conn, CLIENT, sorted(up_cuts), from_client=True)[0] == CLIENT
    assert feed(conn, BROKER, sorted(down_cuts), from_client=False)[0] == BROKER


@given(st.binary(min_size=0, max_size=400))
def test_garbage_is_forwarded_unchanged_or_closes_the_connection(garbage):
    """Whatever a client sends: the bytes forwarded are a prefix of what it sent, and they stop only
    at a frame whose size is out of range (which closes the connection)."""
    conn = TapConnection(1, UPSTREAM, Directory(lambda up: ("127.0.0.1", 1)), max_frame_bytes=1000)
    out = bytearray()
    for i in range(0, len(garbage), 7):
        result = conn.from_client(garbage[i:i + 7], 1.0)
        for chunk in result.data:
            out += chunk
        if result.close:
            assert "frame" in result.close
            break
    assert garbage.startswith(bytes(out))


def test_a_group_frame_that_does_not_decode_is_forwarded_and_noted():
    frame = raw_frame(11, 5, 7, b"\x00\x01g\xff\xff\xff")  # a JoinGroup v5 body cut short
    conn = connection()
    result = conn.from_client(frame, 3.0)
    assert b"".join(result.data) == frame
    [record] = result.records
    assert record.kind == "error" and "cannot decode JoinGroup v5 request" in record.text and record.correlation_id == 7


@pytest.mark.parametrize("size", [100_001, -5])
def test_an_oversized_or_negative_frame_closes_the_connection_and_is_not_forwarded(size):
    conn = connection(max_frame_bytes=100_000)
    good = request_frame(12, 3, 1, group_id="g", generation_id=1, member_id="m", group_instance_id=None)
    result = conn.from_client(good + struct.pack(">i", size) + b"\x00" * 64, 1.0)
    assert b"".join(result.data) == good
    assert result.close and ("over the limit" in result.close if size > 0 else "negative" in result.close)
    assert result.records[-1].kind == "error"
    assert conn.from_client(b"more", 2.0).data == []  # a closed connection forwards nothing more


def test_an_oversized_response_closes_the_connection():
    conn = connection(max_frame_bytes=1000)
    conn.from_client(request_frame(1, 12, 1, client_id="c1", replica_id=-1, max_wait=0, min_bytes=1, max_bytes=1,
                                   isolation_level=0, session_id=0, session_epoch=-1, topics=[],
                                   forgotten_topics_data=[], rack_id=""), 1.0)
    result = conn.from_broker(struct.pack(">ii", 5000, 1), 2.0)
    assert result.data == [] and "the broker sent a frame of 5000 bytes" in result.close


def test_answers_pair_by_correlation_id_and_unanswered_requests_are_forgotten():
    conn = connection()
    # An acks=0 Produce (never answered), then a Heartbeat; the broker answers only the Heartbeat.
    conn.from_client(raw_frame(0, 9, 1, b"opaque") + request_frame(12, 3, 2, group_id="g", generation_id=1,
                                                                   member_id="m", group_instance_id=None), 1.0)
    assert conn.pending == 2
    result = conn.from_broker(response_frame(12, 3, 2, error_code=0), 2.0)
    assert [(r.kind, r.api, r.correlation_id) for r in result.records] == [("response", "Heartbeat", 2)]
    assert conn.pending == 0
    stray = conn.from_broker(response_frame(12, 3, 9, error_code=0), 3.0)
    assert b"".join(stray.data) == response_frame(12, 3, 9, error_code=0)
    assert stray.records[0].kind == "error" and "correlation id 9" in stray.records[0].text


# ---------------------------------------------------------------- address rewriting

BROKERS = [{"node_id": 1, "host": "kafka-1.example", "port": 9092, "rack": None},
           {"node_id": 2, "host": "kafka-2.example", "port": 9093, "rack": "r2"}]


@pytest.mark.parametrize("version", range(0, 14))
def test_metadata_answers_name_the_taps_listeners(version):
    open_listener, opened = opener()
    conn = TapConnection(1, UPSTREAM, Directory(open_listener))
    conn.from_client(request_frame(3, version, 5, topics=None, allow_auto_topic_creation=True,
                                   include_cluster_authorized_operations=False,
                                   include_topic_authorized_operations=False), 1.0)
    answer = response_frame(3, version, 5, brokers=BROKERS, cluster_id="c", controller_id=1, topics=[], throttle_time=0,
                            error_code=0)
    out, records = feed(conn, answer, [len(answer) // 2], from_client=False)
    corr, body = parse_response(3, version, frames(out)[0])
    assert corr == 5
    assert [(b.node_id, b.host, b.port) for b in body.brokers] == [(1, "127.0.0.1", 41001), (2, "127.0.0.1", 41002)]
    assert opened == ["kafka-1.example:9092", "kafka-2.example:9093"]
    assert [(r.kind, r.node_id, r.listen) for r in records] == [("broker", 1, "127.0.0.1:41001"),
                                                                ("broker", 2, "127.0.0.1:41002")]
    _, original = parse_response(3, version, frames(answer)[0])
    assert body == dataclasses.replace(original, brokers=body.brokers)  # nothing else changed
    # The same brokers again: the same listeners, no new records.
    conn.from_client(request_frame(3, version, 6, topics=None, allow_auto_topic_creation=True,
                                   include_cluster_authorized_operations=False,
                                   include_topic_authorized_operations=False), 2.0)
    again = conn.from_broker(response_frame(3, version, 6, brokers=BROKERS, cluster_id="c", controller_id=1,
                                            topics=[], throttle_time=0, error_code=0), 3.0)
    assert again.records == [] and opened == ["kafka-1.example:9092", "kafka-2.example:9093"]


@pytest.mark.parametrize("version", range(0, 7))
def test_find_coordinator_answers_name_the_taps_listener_and_are_traced(version):
    open_listener, opened = opener()
    conn = TapConnection(1, UPSTREAM, Directory(open_listener))
    conn.from_client(request_frame(10, version, 3, key="g", key_type=0, coordinator_keys=["g", "h"]), 1.0)
    entry = {"key": "g", "node_id": 2, "host": "kafka-2.example", "port": 9093, "error_code": 0, "error_message": None}
    missing = {"key": "h", "node_id": -1, "host": "", "port": -1, "error_code": 15, "error_message": None}
    result = conn.from_broker(response_frame(10, version, 3, error_code=0, error_message=None, node_id=2,
                                             host="kafka-2.example", port=9093, coordinators=[entry, missing],
                                             throttle_time=0), 2.0)
    _, body = parse_response(10, version, frames(b"".join(result.data))[0])
    if version >= 4:
        assert [(c.node_id, c.host, c.port) for c in body.coordinators] == [(2, "127.0.0.1", 41001), (-1, "", -1)]
    else:
        assert (body.node_id, body.host, body.port) == (2, "127.0.0.1", 41001)
    response = [r for r in result.records if r.kind == "response"][0]
    # The trace keeps what the broker said, not the rewritten address.
    assert response.api == "FindCoordinator"
    assert (response.message.port if version < 4 else response.message.coordinators[0].port) == 9093
    assert opened == ["kafka-2.example:9093"]


@pytest.mark.parametrize("version", range(0, 3))
def test_describe_cluster_answers_name_the_taps_listeners(version):
    conn = connection()
    conn.from_client(request_frame(60, version, 4, include_cluster_authorized_operations=False, endpoint_type=1,
                                   include_fenced_brokers=False), 1.0)
    brokers = [{"broker_id": 7, "host": "k7", "port": 19092, "rack": None, "is_fenced": False}]
    result = conn.from_broker(response_frame(60, version, 4, error_code=0, error_message=None, endpoint_type=1,
                                             cluster_id="c", controller_id=7, brokers=brokers,
                                             cluster_authorized_operations=0, throttle_time=0), 2.0)
    _, body = parse_response(60, version, frames(b"".join(result.data))[0])
    assert [(b.broker_id, b.host, b.port) for b in body.brokers] == [(7, "127.0.0.1", 41001)]


def test_a_metadata_answer_that_cannot_be_rewritten_closes_the_connection():
    conn = connection()
    conn.from_client(request_frame(3, 12, 5, topics=None, allow_auto_topic_creation=True,
                                   include_cluster_authorized_operations=False,
                                   include_topic_authorized_operations=False), 1.0)
    result = conn.from_broker(struct.pack(">ii", 7, 5) + b"\xff\xff\xff", 2.0)
    assert result.data == []
    assert "cannot decode Metadata v12 response" in result.close and "bypass the tap" in result.close


# ---------------------------------------------------------------- SASL

def test_sasl_handshake_v1_and_authenticate_pass_byte_for_byte():
    conn = connection()
    up = request_frame(17, 1, 1, mechanism="PLAIN") + request_frame(36, 2, 2, auth_bytes=b"\x00user\x00secret")
    down = (response_frame(17, 1, 1, error_code=0, mechanisms=["PLAIN"])
            + response_frame(36, 2, 2, error_code=0, error_message=None, auth_bytes=b"", session_lifetime=0))
    assert feed(conn, up, [3, 30], from_client=True) == (up, [])
    assert feed(conn, down, [5], from_client=False) == (down, [])


def test_sasl_plain_over_handshake_v0_passes_the_raw_tokens_then_reads_frames_again():
    conn = connection()
    token = b"\x00user\x00" + b"\x0b" * 40  # raw PLAIN token: no Kafka header
    meta = request_frame(3, 12, 2, topics=None, allow_auto_topic_creation=True,
                         include_cluster_authorized_operations=False, include_topic_authorized_operations=False)
    up1 = request_frame(17, 0, 1, mechanism="PLAIN")
    assert b"".join(conn.from_client(up1, 1.0).data) == up1
    down1 = response_frame(17, 0, 1, error_code=0, mechanisms=["PLAIN"])
    assert b"".join(conn.from_broker(down1, 2.0).data) == down1
    up2 = struct.pack(">i", len(token)) + token + meta
    sent = conn.from_client(up2, 3.0)
    assert b"".join(sent.data) == up2 and sent.records == []
    down2 = struct.pack(">i", 0)  # the broker's empty token: success
    answer = response_frame(3, 12, 2, brokers=BROKERS[:1], cluster_id="c", controller_id=1, topics=[], throttle_time=0)
    got = conn.from_broker(down2 + answer, 4.0)
    out = b"".join(got.data)
    assert out.startswith(down2) and [r.kind for r in got.records] == ["broker"]
    _, body = parse_response(3, 12, frames(out[4:])[0])
    assert body.brokers[0].host == "127.0.0.1"


def test_trace_all_records_every_frame_head():
    conn = connection(trace_all=True)
    _, records = feed(conn, CLIENT, [], from_client=True)
    assert ("request", "Produce", 50) in [(r.kind, r.api, r.correlation_id) for r in records]
    assert ("request", "ApiVersions", 1) in [(r.kind, r.api, r.correlation_id) for r in records]
    assert ("request", "ApiKey999", 51) in [(r.kind, r.api, r.correlation_id) for r in records]
    _, records = feed(conn, BROKER, [], from_client=False)
    assert ("response", "ApiVersions", 1) in [(r.kind, r.api, r.correlation_id) for r in records]
