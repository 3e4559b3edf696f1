"""Real Kafka clients through the tap: groups of three consumers form and rebalance behind it on
kafkalab's server and on tansu; the player shows them; the conformance replay finds no difference
for kafkalab's server and exactly tansu's known deviations for tansu.

Each client library's test skips when the library is missing; the tansu tests skip without tansu.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time

import pytest
from tap_helpers import wait_for

from kafkalab import messages as m
from kafkalab.errors import ErrorCode
from kafkalab.tap import conform, load_trace, tap_events
from kafkalab.tap.events import assignments, tap_steps

pytestmark = pytest.mark.interop

WAIT_S = 40.0
TOPIC = "orders"
#: kafkalab's server waits this long for more members of a new group (Apache Kafka's default is 3 s).
#: With 0, the first member's join completes "at once" - at the server's next event-loop turn, which
#: on a busy machine comes after joins that arrived a few milliseconds later: an order the replay,
#: working from the tap's clock, cannot know (see docs/tap.md).
INITIAL_DELAY_MS = 1000


def joins(tap, group: str = "g") -> list[tuple[str, m.JoinGroupResponse, float]]:
    """``(client id, JoinGroup answer, how long it was held in ms)`` of every accepted join."""
    asked = {}
    out = []
    for r in tap.records:
        if r.api != "JoinGroup":
            continue
        if r.kind == "request" and r.message.group_id == group:
            asked[(r.conn, r.correlation_id)] = r
        elif r.kind == "response" and (r.conn, r.correlation_id) in asked and r.message.error_code == ErrorCode.NONE:
            out.append((r.client_id, r.message, r.t - asked[(r.conn, r.correlation_id)].t))
    return out


def check_player(tap, group: str = "g") -> None:
    """The player steps through the tapped group: joins, the leader, and the rebalance."""
    from kafkalab.viz import Player

    steps, events = tap_steps(tap, group)
    assert events == tap_events(tap)
    text = " ".join(s.sentence for s in steps)
    assert "MEMBER_ID_REQUIRED" in text or "is the leader of generation" in text
    generations = sorted({mb.generation for s in steps for mb in s.members if mb.generation >= 0})
    assert len(generations) >= 2, generations  # it formed, and it rebalanced
    player = Player(steps, trace=events)
    assert len(player) == len(steps) > 0
    assert player.show_step(len(steps) - 1)
    # What the broker handed out: in some generation three members share the six partitions; in the
    # last one, two do.
    handed = assignments(tap, group)
    whole = [(TOPIC, p) for p in range(6)]
    assert any(len(plan) == 3 and sorted(tp for parts in plan.values() for tp in parts) == whole
               for plan in handed.values()), handed
    last = handed[max(handed)]
    assert len(last) == 2 and sorted(tp for parts in last.values() for tp in parts) == whole, handed


# ---------------------------------------------------------------- confluent-kafka (librdkafka)

def ck_group(bootstrap: str, group: str = "g", strategy: str = "range", session_ms: int = 6000):
    ck = pytest.importorskip("confluent_kafka")

    class Member:
        def __init__(self, name: str) -> None:
            self.name = name
            self.owned: set[int] = set()
            self.consumer = ck.Consumer({
                "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                "session.timeout.ms": session_ms, "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest",
                "partition.assignment.strategy": strategy, "socket.timeout.ms": 10000, "log_level": 3})
            self.consumer.subscribe([TOPIC], on_assign=self._assign, on_revoke=self._revoke)
            self.closed = False

        def _assign(self, consumer, partitions) -> None:
            self.owned = {p.partition for p in partitions}

        def _revoke(self, consumer, partitions) -> None:
            self.owned = set()

        def close(self) -> None:
            if not self.closed:
                self.closed = True
                self.consumer.close()

    return Member


def ck_scenario(bootstrap: str, partitions: int = 6, session_ms: int = 6000) -> None:
    """Three librdkafka consumers form a group, one closes, the other two take over its partitions."""
    Member = ck_group(bootstrap, session_ms=session_ms)
    members = [Member(f"c{i}") for i in (1, 2, 3)]
    try:
        def drive(predicate, what):
            deadline = time.monotonic() + WAIT_S
            while not predicate():
                assert time.monotonic() < deadline, f"timed out waiting for {what}: {[m.owned for m in members]}"
                for mb in members:
                    if not mb.closed:
                        mb.consumer.poll(0.01)

        def covered(group):
            sets = [mb.owned for mb in group]
            return all(sets) and sum(map(len, sets)) == partitions and set().union(*sets) == set(range(partitions))

        drive(lambda: covered(members), "three members to share the partitions")
        members[1].close()
        drive(lambda: covered([members[0], members[2]]), "the two others to take over")
    finally:
        for mb in members:
            mb.close()


def test_confluent_kafka_group_on_kafkalab_conforms(make_server, make_tap):
    pytest.importorskip("confluent_kafka")
    server = make_server(topics={TOPIC: 6}, group_initial_rebalance_delay_ms=INITIAL_DELAY_MS)
    tap = make_tap(server.bootstrap_servers)
    ck_scenario(tap.bootstrap_servers)
    tap.stop()
    report = conform(tap, server.config)
    assert report.ok, report.table()
    assert report.compared >= 15 and report.unanswered == 0
    assert {client for client, _, _ in joins(tap)} == {"c1", "c2", "c3"}
    check_player(tap)


# ---------------------------------------------------------------- kafka-python

def test_kafka_python_group_on_kafkalab_conforms(make_server, make_tap):
    kafka = pytest.importorskip("kafka")
    server = make_server(topics={TOPIC: 6}, group_initial_rebalance_delay_ms=INITIAL_DELAY_MS)
    tap = make_tap(server.bootstrap_servers)
    consumers = [kafka.KafkaConsumer(TOPIC, bootstrap_servers=tap.bootstrap_servers, group_id="g", client_id=f"k{i}",
                                     auto_offset_reset="earliest", session_timeout_ms=6000,
                                     heartbeat_interval_ms=300, request_timeout_ms=10000)
                 for i in (1, 2, 3)]
    stop = {c: threading.Event() for c in consumers}

    def run(c) -> None:
        while not stop[c].is_set():
            c.poll(timeout_ms=50)
        c.close()

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in consumers]
    for t in threads:
        t.start()
    try:
        def covered(group):
            sets = [{tp.partition for tp in c.assignment()} for c in group]
            return all(sets) and sum(map(len, sets)) == 6 and set().union(*sets) == set(range(6))

        wait_for(lambda: covered(consumers), WAIT_S, step=0.05, what="three kafka-python members")
        stop[consumers[1]].set()
        threads[1].join(20)
        wait_for(lambda: covered([consumers[0], consumers[2]]), WAIT_S, step=0.05, what="the two others")
    finally:
        for c in consumers:
            stop[c].set()
        for t in threads:
            t.join(20)
    tap.stop()
    report = conform(tap, server.config)
    assert report.ok, report.table()
    assert report.compared >= 15
    assert {client for client, _, _ in joins(tap)} == {"k1", "k2", "k3"}
    check_player(tap)


# ---------------------------------------------------------------- aiokafka

def test_aiokafka_group_on_kafkalab_conforms(make_server, make_tap):
    aiokafka = pytest.importorskip("aiokafka")
    server = make_server(topics={TOPIC: 6}, group_initial_rebalance_delay_ms=INITIAL_DELAY_MS)
    tap = make_tap(server.bootstrap_servers)

    async def scenario() -> None:
        consumers = [aiokafka.AIOKafkaConsumer(TOPIC, bootstrap_servers=tap.bootstrap_servers, group_id="g",
                                               client_id=f"a{i}", auto_offset_reset="earliest",
                                               session_timeout_ms=6000, heartbeat_interval_ms=300,
                                               request_timeout_ms=10000) for i in (1, 2, 3)]
        try:
            for c in consumers:
                await asyncio.wait_for(c.start(), 20)

            async def drive(group, what):
                deadline = time.monotonic() + WAIT_S
                while True:
                    sets = [{tp.partition for tp in c.assignment()} for c in group]
                    if all(sets) and sum(map(len, sets)) == 6 and set().union(*sets) == set(range(6)):
                        return
                    assert time.monotonic() < deadline, f"timed out waiting for {what}"
                    for c in group:
                        await c.getmany(timeout_ms=10)

            await drive(consumers, "three aiokafka members")
            await asyncio.wait_for(consumers[1].stop(), 20)
            await drive([consumers[0], consumers[2]], "the two others")
        finally:
            for c in consumers:
                await asyncio.wait_for(c.stop(), 20)

    asyncio.run(scenario())
    tap.stop()
    report = conform(tap, server.config)
    assert report.ok, report.table()
    assert report.compared >= 15
    assert {client for client, _, _ in joins(tap)} == {"a1", "a2", "a3"}
    check_player(tap)


# ---------------------------------------------------------------- tansu

#: What tansu 0.6 does differently from Apache Kafka, as the replay reports it: generations are
#: counted from 0, and every JoinGroup is held for half the session timeout (a SyncGroup that waits
#: for the leader's may be answered up to a second late: tansu polls for the assignment).
TANSU_DEVIATIONS = {("JoinGroup", "generation_id"), ("JoinGroup", "held for"), ("SyncGroup", "held for")}


def test_confluent_kafka_group_on_tansu_shows_its_known_deviations(tansu, make_tap, tmp_path):
    pytest.importorskip("confluent_kafka")
    tansu.create_topic(TOPIC, 6)
    path = tmp_path / "tansu.jsonl"
    tap = make_tap(tansu.bootstrap, out=str(path))
    ck_scenario(tap.bootstrap_servers, session_ms=6000)
    tap.stop()
    accepted = joins(tap)
    assert {client for client, _, _ in accepted} == {"c1", "c2", "c3"}
    # tansu's first generation is 0 (Apache Kafka's is 1) ...
    assert min(j.generation_id for _, j, _ in accepted) == 0
    # ... and it holds every JoinGroup for half the session timeout (6 s), even in a rebalance.
    assert all(2700 <= held <= 4000 for _, _, held in accepted), [held for _, _, held in accepted]

    report = conform(str(path))  # Apache Kafka's defaults, offline from the saved trace
    kinds = set(report.kinds())
    assert kinds <= TANSU_DEVIATIONS, report.table()
    assert {("JoinGroup", "generation_id"), ("JoinGroup", "held for")} <= kinds, report.table()
    for d in report.differences:
        if d.field == "generation_id":
            assert int(d.kafkalab) == int(d.real) + 1  # the same generations, counted from 1
        if d.api == "JoinGroup" and d.field == "held for":
            assert d.note.startswith("the real broker held it 0.5"), d
    assert not report.ok
    table = report.table()
    assert "JoinGroup  generation_id" in table and "x the session timeout" in table
    check_player(load_trace(path))


# ---------------------------------------------------------------- the commands, end to end

def start(args: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a ``kafkalab`` command; return it and the first line it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "kafkalab.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(f"kafkalab {args[0]} did not start: {proc.communicate(timeout=10)[1]}")
    return proc, line


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out


def test_kafkalab_serve_tap_and_conform_commands(tmp_path):
    pytest.importorskip("confluent_kafka")
    path = tmp_path / "serve.jsonl"
    serve, line = start(["serve", "--port", "0", "--topic", f"{TOPIC}:6", "--group-initial-rebalance-delay-ms",
                         str(INITIAL_DELAY_MS), "--group-min-session-timeout-ms", "1000"])
    try:
        upstream = line.split("bootstrap.servers=")[1].split()[0].rstrip(";")
        tap, line = start(["tap", "--upstream", upstream, "--port", "0", "--out", str(path)])
        try:
            ck_scenario(line.split()[2])
        finally:
            stop(tap)
    finally:
        stop(serve)
    run = subprocess.run([sys.executable, "-m", "kafkalab.cli", "conform", str(path),
                          "--group-initial-rebalance-delay-ms", str(INITIAL_DELAY_MS),
                          "--group-min-session-timeout-ms", "1000"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no differences" in run.stdout
