"""The asyncio server over real loopback sockets, with a raw kio client: ordering, one request at a
time per connection, and what closes a connection (while everyone else keeps being served)."""

from __future__ import annotations

import socket
import struct
import time

import pytest
from kio.schema.errors import ErrorCode as K

from kafkalab.trace import TimerFired, TimerKind
from kafkalab.wire import Server
from kafkalab.wire.codec import API_VERSIONS
from wire_helpers import RawClient, address, parse_response, record_batch, request_frame, wait_for

API_VERSIONS_V3 = dict(client_software_name="raw", client_software_version="1")
JOIN_V3 = dict(group_id="g", session_timeout=10_000, rebalance_timeout=10_000, member_id="",
               protocol_type="consumer", protocols=[{"name": "range", "metadata": b""}])


def assert_still_serving(server: Server) -> None:
    with RawClient(address(server)) as other:
        assert other.call(18, 3, **API_VERSIONS_V3).error_code == K.none


def test_a_server_starts_on_consecutive_loopback_ports_and_stops(make_server):
    server = make_server(brokers=3, topics=["t:4", "u"])
    assert server.ports == [server.ports[0] + i for i in range(3)]
    assert server.bootstrap_servers == ",".join(f"127.0.0.1:{p}" for p in server.ports)
    for node in range(3):
        with RawClient(address(server, node)) as c:
            r = c.call(3, 12, topics=None, allow_auto_topic_creation=False, include_topic_authorized_operations=False)
            assert {t.name: len(t.partitions) for t in r.topics if not t.is_internal} == {"t": 4, "u": 1}
    server.create_topic("v", 2)
    with pytest.raises(ValueError, match="TOPIC_ALREADY_EXISTS"):
        server.create_topic("v", 2)
    client = RawClient(address(server, server.coordinator_id("g")))
    assert client.call(11, 3, **JOIN_V3).generation_id == 1
    server.stop()
    assert client.is_closed_by_peer(timeout=5)
    client.close()
    assert server.describe("g")["state"] == "CompletingRebalance"  # still readable after the server stopped
    assert any(type(e).__name__ == "RequestReceived" for e in server.trace)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address(server), timeout=2)


def test_a_busy_port_fails_start_and_leaves_nothing_running(make_server):
    first = make_server()
    with pytest.raises(OSError):
        Server(port=first.ports[0]).start()


def test_api_versions_v5_gets_a_v0_answer_and_the_client_retries_on_the_same_connection(make_server):
    server = make_server()
    with RawClient(address(server)) as c:
        payload = struct.pack(">hhi", 18, 5, 41) + b"\x00\x04test\x00"
        c.send_raw(struct.pack(">i", len(payload)) + payload)
        corr, r = parse_response(18, 0, c.read_frame())
        assert corr == 41 and r.error_code == K.unsupported_version
        assert [(k.api_key, k.max_version) for k in r.api_keys] == [(18, API_VERSIONS[18][1])]
        full = c.call(18, 3, **API_VERSIONS_V3)
        assert len(full.api_keys) == len(API_VERSIONS)


def test_pipelined_requests_are_answered_in_order(make_server):
    server = make_server(topics={"t": 2})
    with RawClient(address(server)) as c:
        frames = []
        for corr in range(1, 31):
            if corr % 2:
                frames.append(request_frame(18, 3, corr, **API_VERSIONS_V3))
            else:
                frames.append(request_frame(3, 5, corr, topics=None, allow_auto_topic_creation=False))
        c.send_raw(b"".join(frames))
        got = [parse_response(18, 3, c.read_frame())[0] if corr % 2 else parse_response(3, 5, c.read_frame())[0]
               for corr in range(1, 31)]
        assert got == list(range(1, 31))


def test_a_parked_join_group_holds_back_the_next_request_on_its_connection(make_server):
    # Kafka serves one request per connection at a time: the ApiVersions sent after a JoinGroup
    # that waits for the initial rebalance delay is answered only after it.
    server = make_server(group_initial_rebalance_delay_ms=300)
    with RawClient(address(server)) as c, RawClient(address(server)) as other:
        t0 = time.monotonic()
        c.send(11, 3, **JOIN_V3)
        c.send(18, 3, **API_VERSIONS_V3)
        assert other.call(18, 3, **API_VERSIONS_V3).error_code == K.none  # another connection is not held
        corr, join = parse_response(11, 3, c.read_frame())
        waited = time.monotonic() - t0
        corr2, _ = parse_response(18, 3, c.read_frame())
        assert (corr, corr2) == (1, 2)
        assert join.error_code == K.none and join.generation_id == 1
        assert 0.25 <= waited < 3.0


@pytest.mark.parametrize(("data", "why"), [
    (struct.pack(">i", 2048) + b"\x00" * 10, "exceeds the limit of 1024 bytes"),
    (struct.pack(">i", -1), "negative"),
    (struct.pack(">i", 4) + b"\x00\x00\x00\x00", "too short"),
    (struct.pack(">i", 8) + struct.pack(">hhi", 42, 0, 1), "unknown or unsupported api key 42"),
    (struct.pack(">i", 8) + struct.pack(">hhi", 11, 99, 1), "JoinGroup v99 is not enabled"),
    (request_frame(11, 5, 1, **JOIN_V3, group_instance_id=None)[:-6], None),  # a size that promises more: waits
    (struct.pack(">i", 12) + struct.pack(">hhi", 11, 5, 1) + b"\xff\xff\x00\x00", "cannot decode JoinGroup v5"),
], ids=["oversized", "negative-size", "too-short", "unknown-api-key", "unsupported-version", "incomplete",
        "undecodable-body"])
def test_what_kafka_closes_the_connection_for_closes_it_and_everyone_else_is_still_served(make_server, data, why):
    server = make_server(max_frame_bytes=1024)
    with RawClient(address(server)) as c:
        c.send_raw(request_frame(18, 3, 100, **API_VERSIONS_V3) + data)
        assert parse_response(18, 3, c.read_frame())[0] == 100  # answered before the bad frame is read
        if why is None:
            assert not c.is_closed_by_peer(timeout=0.3)  # an incomplete frame is not an error yet
            return
        assert c.is_closed_by_peer()
    assert_still_serving(server)
    assert wait_for(lambda: server.malformed, 5, what="the malformed frame to be recorded")
    assert why in server.malformed[-1][1]


def test_produce_with_acks_0_is_not_answered_and_a_failed_one_closes_the_connection(make_server):
    pytest.importorskip("kafka.record.memory_records")  # kafka-python builds the record batch
    server = make_server(topics={"t": 1})
    produce = dict(transactional_id=None, timeout=1000,
                   topic_data=[{"name": "t", "partition_data": [{"index": 0, "records": record_batch([b"x"])}]}])
    with RawClient(address(server)) as c:
        c.send(0, 8, acks=0, **produce)
        assert c.call(18, 3, **API_VERSIONS_V3).error_code == K.none  # the next answer is the next request's
        assert c.correlation_id == 2
        c.send(0, 8, acks=0, **{**produce, "topic_data": [{"name": "nope", "partition_data": [
            {"index": 0, "records": record_batch([b"x"])}]}]})
        assert c.is_closed_by_peer()
    assert_still_serving(server)


def test_an_internal_error_closes_only_that_connection_and_is_recorded(make_server):
    server = make_server()

    def broken(*args):
        raise RuntimeError("a bug")
    server.call(lambda: server.cluster._HANDLERS.__setitem__(3, broken))
    try:
        with RawClient(address(server)) as c:
            c.send(3, 5, topics=None, allow_auto_topic_creation=False)
            assert c.is_closed_by_peer()
        assert_still_serving(server)
        assert [(e[1], "a bug" in e[2]) for e in server.errors] == [("Metadata", True)]
    finally:
        from kafkalab.wire.broker import WireCluster
        server.call(lambda: server.cluster._HANDLERS.__setitem__(3, WireCluster._metadata))
        server.errors.clear()


def test_a_member_that_stops_heartbeating_is_removed_after_its_session_timeout_in_real_time(make_server):
    server = make_server()
    with RawClient(address(server)) as c:
        join = dict(JOIN_V3, session_timeout=1000)
        first = c.call(11, 4, **join)
        assert first.error_code == K.member_id_required
        joined = c.call(11, 4, **{**join, "member_id": first.member_id})
        assert joined.generation_id == 1 and joined.leader == first.member_id
        t0 = time.monotonic()
        wait_for(lambda: server.describe("g")["state"] == "Empty", 5, what="the session to expire")
        assert 0.9 <= time.monotonic() - t0 + 0.05
    expired = [e for e in server.trace if isinstance(e, TimerFired) and e.kind is TimerKind.HEARTBEAT]
    assert expired and all(a.at <= b.at for a, b in zip(server.trace, server.trace[1:]))


def test_trace_limit_keeps_only_the_latest_events(make_server):
    server = make_server(trace_limit=10)
    with RawClient(address(server)) as c:
        for i in range(20):
            c.call(12, 3, group_id="g", generation_id=1, member_id=f"m{i}", group_instance_id=None)
    assert 10 <= len(server.trace) <= 15
    assert server.trace[-1].response.error_code.name == "UNKNOWN_MEMBER_ID"


def test_the_command_line_serves_until_interrupted(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "kafkalab.cli", "serve", "--port", "0", "--brokers", "2", "--topic", "orders:3",
         "--group-initial-rebalance-delay-ms", "0", "-v"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("kafkalab: 2 brokers on 127.0.0.1:"), banner
        bootstrap = banner.rsplit("bootstrap.servers=", 1)[1].strip()
        host, port = bootstrap.split(",")[0].split(":")
        with RawClient((host, int(port))) as c:
            r = c.call(3, 5, topics=None, allow_auto_topic_creation=False)
            assert [(t.name, len(t.partitions)) for t in r.topics if not t.is_internal] == [("orders", 3)]
            assert len(r.brokers) == 2
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0 and "kafkalab: stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_an_invalid_initial_topic_fails_start_and_frees_the_port():
    server = Server(topics={"not valid": 1})
    with pytest.raises(ValueError, match="INVALID_TOPIC_EXCEPTION"):
        server.start()
    assert not server.running and server._thread is None


@pytest.mark.parametrize(("argv", "message"), [
    (["--group-max-size", "0"], "--group-max-size=0 is out of range; allowed: 1..2147483647"),
    (["--group-min-session-timeout-ms", "7000", "--group-max-session-timeout-ms", "6000"],
     "--group-min-session-timeout-ms (7000) must not exceed --group-max-session-timeout-ms (6000)"),
    (["--offsets-topic-num-partitions", "-3"], "--offsets-topic-num-partitions=-3 is out of range"),
    (["--offset-metadata-max-bytes", str(2**31)], "--offset-metadata-max-bytes=2147483648 is out of range"),
    (["--new-member-join-timeout-ms", "0"], "--new-member-join-timeout-ms=0 is out of range"),
    (["--num-partitions", "0"], "--num-partitions must be at least 1"),
])
def test_the_command_line_refuses_bad_broker_configs_naming_the_option(capsys, argv, message):
    from kafkalab.cli import main

    assert main(["serve", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kafkalab serve: ") and message in err and "Traceback" not in err


def test_every_coordinator_config_is_a_command_line_option():
    import dataclasses

    from kafkalab.cli import _config_from_args, build_parser
    from kafkalab.config import CoordinatorConfig

    # Every int config (the group.consumer.* configs in CoordinatorConfig.consumer keep Kafka's
    # defaults on the command line for now).
    fields = [f.name for f in dataclasses.fields(CoordinatorConfig) if f.name != "consumer"]
    argv = ["serve"]
    for i, name in enumerate(fields):
        argv += ["--" + name.replace("_", "-"), str(7000 + i)]
    config = _config_from_args(build_parser().parse_args(argv))
    assert [getattr(config, name) for name in fields] == [7000 + i for i in range(len(fields))]
    assert _config_from_args(build_parser().parse_args(["serve"])) == CoordinatorConfig()


def test_the_command_line_applies_group_max_size(tmp_path):
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "kafkalab.cli", "serve", "--port", "0", "--group-max-size", "1",
         "--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = proc.stdout.readline()
        settings = proc.stdout.readline()
        assert "group.max.size=1" in settings, settings
        host, port = banner.rsplit("bootstrap.servers=", 1)[1].strip().split(":")
        join = dict(group_id="g", session_timeout=10_000, rebalance_timeout=10_000, group_instance_id=None,
                    protocol_type="consumer", protocols=[{"name": "range", "metadata": b""}], reason=None)
        with RawClient((host, int(port))) as first, RawClient((host, int(port))) as second:
            assert first.call(11, 3, member_id="", **join).error_code == 0          # v3: joins at once
            assert second.call(11, 3, member_id="", **join).error_code.name == "group_max_size_reached"
    finally:
        proc.send_signal(__import__("signal").SIGINT)
        try:
            proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
