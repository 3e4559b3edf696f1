"""The tap on loopback sockets: what the client sent is what the broker got and vice versa; bad
peers and bad frames cost only their own connection; clients stay behind the tap; loopback only."""

from __future__ import annotations

import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
from tap_helpers import FakeBroker, RawClient, parse_response, request_frame, response_frame, wait_for

from kafkalab import messages as m
from kafkalab.tap import Tap, load_trace
from kafkalab.tap.proxy import parse_address


def echo_answer(payload: bytes) -> bytes:
    """Answer every request with its correlation id and some random bytes (group APIs: a kio answer)."""
    if len(payload) < 8:
        return b""
    api_key, version, corr = struct.unpack_from(">hhi", payload)
    if api_key == 12:
        return response_frame(12, version, corr, error_code=27)
    if api_key == 999:
        return b""  # an API nobody knows: no answer
    body = os.urandom(random.randint(0, 3000))
    return struct.pack(">ii", 4 + len(body), corr) + body


def client_bytes(n: int) -> bytes:
    out = bytearray()
    for corr in range(1, n + 1):
        kind = corr % 4
        if kind == 0:
            out += request_frame(12, 3, corr, client_id="c1", group_id="g", generation_id=1, member_id="m",
                                 group_instance_id=None)
        elif kind == 1:  # a Produce-shaped frame with a random body
            body = os.urandom(random.randint(0, 5000))
            out += struct.pack(">ihhih", 12 + len(body), 0, 9, corr, 2) + b"c1" + body
        elif kind == 2:  # an API nobody knows, with garbage
            body = os.urandom(random.randint(0, 200))
            out += struct.pack(">ihhi", 8 + len(body), 999, 3, corr) + body
        else:  # a JoinGroup body that does not decode
            out += struct.pack(">ihhih", 10 + 3, 11, 5, corr, -1) + b"\x00\x01\x02"
    return bytes(out)


def send_in_pieces(client: RawClient, data: bytes, seed: int) -> None:
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        step = rng.choice([1, 2, 3, 7, 64, 1000, 4096])
        client.send(data[pos:pos + step])
        pos += step


def test_both_sides_see_the_same_bytes(make_tap):
    random.seed(7)
    with FakeBroker(echo_answer) as broker:
        tap = make_tap(broker.address)
        data = client_bytes(40)
        with RawClient(tap.bootstrap_servers) as client:
            # Read while sending: flow control would otherwise stall both (as it should).
            reader = threading.Thread(target=client.closed_by_peer, args=(30,), daemon=True)
            reader.start()
            send_in_pieces(client, data, seed=1)
            wait_for(lambda: broker.requests == [40], what="every request upstream")
            wait_for(lambda: len(client.received) == len(broker.sent[0]), what="every answer back")
        assert bytes(broker.received[0]) == client.sent
        assert bytes(client.received) == bytes(broker.sent[0])
    kinds = [(r.kind, r.api) for r in tap.records]
    assert kinds.count(("request", "Heartbeat")) == 10 and kinds.count(("response", "Heartbeat")) == 10
    # The undecodable JoinGroups and the random bytes answering them were forwarded and noted.
    assert sum(1 for r in tap.errors if "cannot decode JoinGroup v5 request" in r.text) == 10
    assert sum(1 for r in tap.errors if "cannot decode JoinGroup v5 response" in r.text) == 10


def test_listens_on_loopback_only_by_default(make_server, make_tap):
    server = make_server(brokers=2)
    tap = make_tap(server.bootstrap_servers.split(",")[0])
    with RawClient(tap.bootstrap_servers) as client:
        client.call(3, 12, 1, topics=None, allow_auto_topic_creation=False,
                    include_cluster_authorized_operations=False, include_topic_authorized_operations=False)
    listens = [tap.bootstrap_servers, *tap.brokers.values()]
    assert len(set(listens)) == 2 and all(parse_address(a)[0] == "127.0.0.1" for a in listens)
    # The same ports are closed on the machine's other addresses: another loopback address (Linux
    # routes all of 127.0.0.0/8 to lo) and the address of its outgoing interface, if it has one.
    others = {"127.0.0.2"} if sys.platform.startswith("linux") else set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            others.add(probe.getsockname()[0])
        except OSError:
            pass
    others.discard("127.0.0.1")
    for ip in others:
        for address in listens:
            with pytest.raises(OSError):
                socket.create_connection((ip, parse_address(address)[1]), timeout=2).close()


def test_clients_are_told_only_the_taps_addresses(make_server, make_tap):
    server = make_server(brokers=3, topics={"t": 6})
    tap = make_tap(server.bootstrap_servers.split(",")[0])
    server_ports = set(server.ports)
    with RawClient(tap.bootstrap_servers) as client:
        meta = client.call(3, 12, 1, topics=None, allow_auto_topic_creation=False,
                           include_cluster_authorized_operations=False, include_topic_authorized_operations=False)
        coordinator = client.call(10, 2, 2, key="g", key_type=0)
    addresses = {b.node_id: (b.host, b.port) for b in meta.brokers}
    assert sorted(addresses) == [0, 1, 2]
    assert all(host == "127.0.0.1" and port not in server_ports for host, port in addresses.values())
    assert len({port for _, port in addresses.values()}) == 3
    assert (coordinator.host, coordinator.port) == addresses[coordinator.node_id]
    # Each rewritten address reaches its own broker: a FindCoordinator answered by broker n names n's port.
    for node, (host, port) in addresses.items():
        with RawClient(f"{host}:{port}") as client:
            assert client.call(18, 3, 1, client_software_name="t", client_software_version="1").error_code == 0
    assert sorted(r.node_id for r in tap.records if r.kind == "broker") == [0, 1, 2]
    assert {parse_address(up)[1] for up in tap.brokers} == server_ports


def test_an_unreachable_upstream_closes_only_that_connection(make_tap):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    tap = make_tap(f"127.0.0.1:{closed_port}")
    with RawClient(tap.bootstrap_servers) as client:
        client.send(request_frame(12, 3, 1, group_id="g", generation_id=1, member_id="m", group_instance_id=None))
        assert client.closed_by_peer()
    assert any("cannot reach the upstream broker" in r.text for r in tap.errors)
    assert tap.running  # the tap itself goes on


def test_an_upstream_that_hangs_up_closes_only_that_connection(make_tap):
    with FakeBroker(echo_answer, close_after=1) as broker:
        tap = make_tap(broker.address)
        with RawClient(tap.bootstrap_servers) as a, RawClient(tap.bootstrap_servers) as b:
            heartbeat = request_frame(12, 3, 1, group_id="g", generation_id=1, member_id="m", group_instance_id=None)
            a.send(heartbeat)
            assert parse_response(12, 3, a.read_frame())[1].error_code == 27
            assert a.closed_by_peer()
            b.send(heartbeat)  # b's own upstream connection is still there
            assert parse_response(12, 3, b.read_frame())[1].error_code == 27
    closes = [r.text for r in tap.records if r.kind == "connection" and r.text.startswith("closed by the broker")]
    assert closes


def test_an_oversized_frame_closes_only_its_connection_and_is_never_forwarded(make_tap):
    with FakeBroker(echo_answer) as broker:
        tap = make_tap(broker.address, max_frame_bytes=10_000)
        with RawClient(tap.bootstrap_servers) as a, RawClient(tap.bootstrap_servers) as b:
            good = request_frame(12, 3, 1, group_id="g", generation_id=1, member_id="m", group_instance_id=None)
            a.send(good)
            a.read_frame()
            a.send(struct.pack(">ihhi", 20_000, 0, 9, 2) + b"\x00" * 5000)
            assert a.closed_by_peer()
            b.send(good)
            assert parse_response(12, 3, b.read_frame())[1].error_code == 27
        wait_for(lambda: len(broker.received) == 2, what="both upstream connections")
        assert bytes(broker.received[0]) == good  # nothing of the oversized frame went upstream
    assert any("over the limit of 10000 bytes" in r.text for r in tap.errors)


def test_the_trace_file_is_written_as_it_goes(make_server, make_tap, tmp_path):
    server = make_server()
    path = tmp_path / "t.jsonl"
    tap = make_tap(server.bootstrap_servers, out=str(path))
    with RawClient(tap.bootstrap_servers) as client:
        joined = client.call(11, 5, 1, client_id="c1", group_id="g", session_timeout=6000, rebalance_timeout=6000,
                             member_id="", group_instance_id=None, protocol_type="consumer",
                             protocols=[{"name": "range", "metadata": b""}])
        assert joined.error_code == 79
        wait_for(lambda: len([r for r in load_trace(path) if r.kind == "response"]) == 1, what="the answer on disk")
    tap.stop()
    records = load_trace(path)
    assert [(r.kind, r.api) for r in records if r.api] == [("request", "JoinGroup"), ("response", "JoinGroup")]
    assert [type(r.message) for r in records if r.api] == [m.JoinGroupRequest, m.JoinGroupResponse]
    assert records == tap.records


def test_bad_arguments_are_refused():
    for bad in ("nohost", "host:", "host:0", "host:99999", ":9092", 9092):
        with pytest.raises(ValueError, match="HOST:PORT"):
            Tap(bad)
    with pytest.raises(ValueError, match="port"):
        Tap("127.0.0.1:9092", port=-1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = Tap("127.0.0.1:9092").bootstrap_servers


def test_the_tap_command(make_server, tmp_path):
    server = make_server()
    path = tmp_path / "cli.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "kafkalab.cli", "tap", "--upstream", server.bootstrap_servers,
                             "--port", "0", "--out", str(path), "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("kafkalab tap: 127.0.0.1:"), first + proc.stderr.read()
        bootstrap = first.split()[2]
        with RawClient(bootstrap) as client:
            assert client.call(11, 5, 1, client_id="c1", group_id="g", session_timeout=6000, rebalance_timeout=6000,
                               member_id="", group_instance_id=None, protocol_type="consumer",
                               protocols=[{"name": "range", "metadata": b""}]).error_code == 79
        lines = [proc.stdout.readline() for _ in range(2)]
        assert "c1 -> JoinGroup v5" in lines[0] and "c1 <- JoinGroup v5 MEMBER_ID_REQUIRED" in lines[1]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert [r.api for r in load_trace(path) if r.kind in ("request", "response")] == ["JoinGroup", "JoinGroup"]
    assert subprocess.run([sys.executable, "-m", "kafkalab.cli", "conform", str(path),
                           "--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"],
                          capture_output=True, timeout=60).returncode == 0


def test_the_tap_command_refuses_a_bad_upstream():
    run = subprocess.run([sys.executable, "-m", "kafkalab.cli", "tap", "--upstream", "nowhere"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "HOST:PORT" in run.stderr and "Traceback" not in run.stderr


def test_stopping_the_tap_closes_its_connections(make_server):
    server = make_server()
    tap = Tap(server.bootstrap_servers).start()
    client = RawClient(tap.bootstrap_servers)
    try:
        client.call(18, 3, 1, client_software_name="t", client_software_version="1")
        started = time.monotonic()
        tap.stop()
        assert client.closed_by_peer(timeout=5) and time.monotonic() - started < 10
    finally:
        client.close()
