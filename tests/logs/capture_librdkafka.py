"""Capture real librdkafka ``debug=cgrp`` logs from confluent-kafka consumers against kafkalab.wire.Server.

Each consumer runs in a process of its own (:data:`CONSUMER_PROGRAM`) whose stderr - where
librdkafka writes its log lines, stamped by librdkafka itself as they happen - goes to
``<out>/<client id>.log``.  The driver (this module) starts the server, tells each consumer what
to do over its stdin (``subscribe``, ``stall <ms>``, ``close``) and waits on what the server's
coordinator reports (``server.describe``), so the scenario does not depend on timing guesses.

The stderr route matters: confluent-kafka's ``logger=`` hands log lines to Python only while
``poll()`` runs, so a consumer that stops polling (the poll timeout below) would have its lines
stamped late; librdkafka's own stderr lines carry the time they were written.

:func:`capture` runs the course incident and also writes ``server.json``: the coordinator's own
records of the same run (generations, members, leaders, assignments, removals and their reasons),
and the server's start time on the wall clock, so a test can check the log reader against the
coordinator's truth.

Regenerate the fixtures (about 25 s)::

    .venv/bin/python tests/logs/capture_librdkafka.py tests/logs/fixtures/librdkafka

It needs confluent-kafka (a test dependency); tests/logs/test_tracelog_interop.py runs a shorter
capture live.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from kafkalab.consumer_protocol import decode_assignment
from kafkalab.trace import AssignmentChanged, LeaderChanged, MemberAdded, MemberRemoved, StateChanged
from kafkalab.wire import Server

GROUP = "incident"
TOPIC = "orders"
PARTITIONS = 6

#: The consumer process: a confluent-kafka Consumer driven by commands on stdin, reporting its
#: rebalance callbacks as JSON lines on stdout; librdkafka's log goes to stderr (the log file).
CONSUMER_PROGRAM = r"""
import json, queue, sys, threading, time
from confluent_kafka import Consumer

conf = json.loads(sys.argv[1])
topic = sys.argv[2]
commands = queue.Queue()

def read_stdin():
    for line in sys.stdin:
        commands.put(line.split())
    commands.put(["close"])

threading.Thread(target=read_stdin, daemon=True).start()

def report(kind, partitions=()):
    print(json.dumps({"ev": kind, "parts": sorted(p.partition for p in partitions)}), flush=True)

consumer = Consumer(conf)
report("ready")
subscribed = False
while True:
    try:
        cmd = commands.get_nowait()
    except queue.Empty:
        cmd = None
    if cmd and cmd[0] == "subscribe" and not subscribed:
        subscribed = True
        consumer.subscribe([topic], on_assign=lambda c, ps: report("assign", ps),
                           on_revoke=lambda c, ps: report("revoke", ps), on_lost=lambda c, ps: report("lost", ps))
    elif cmd and cmd[0] == "stall":
        report("stalling")
        time.sleep(int(cmd[1]) / 1000)   # the application is busy: no poll() meanwhile
        report("resumed")
    elif cmd and cmd[0] == "close":
        consumer.close()
        report("closed")
        break
    msg = consumer.poll(0.05)
    if msg is not None and msg.error():
        print(json.dumps({"ev": "error", "text": str(msg.error())}), flush=True)
"""


class Consumer:
    """One consumer process and what it reported."""

    def __init__(self, name: str, bootstrap: str, out: Path, **conf: Any) -> None:
        self.name = name
        config = {
            "bootstrap.servers": bootstrap, "group.id": GROUP, "client.id": name, "debug": "cgrp",
            "session.timeout.ms": 2000, "heartbeat.interval.ms": 500, "max.poll.interval.ms": 3000,
            "partition.assignment.strategy": "range", "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "socket.timeout.ms": 10000,
        }
        config.update(conf)
        self.log_path = out / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-c", CONSUMER_PROGRAM, json.dumps(config), TOPIC],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                     bufsize=1)
        self.reports: list[dict] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                self.reports.append(item)

    def seen(self, kind: str) -> int:
        with self._lock:
            return sum(1 for r in self.reports if r["ev"] == kind)

    def send(self, *words: Any) -> None:
        self.proc.stdin.write(" ".join(map(str, words)) + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def wait_for(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def stable_with(server: Server, names: set[str]) -> Callable[[], bool]:
    """The group is Stable with exactly these clients as members."""
    def check() -> bool:
        d = server.describe(GROUP)
        return d["state"] == "Stable" and {m["client_id"] for m in d["members"]} == names
    return check


def server_truth(server: Server, t0_wall_ms: int) -> dict:
    """The coordinator's records of the group, in a JSON-able shape."""
    records = []
    for e in server.trace:
        if getattr(e, "group_id", None) != GROUP:
            continue
        if isinstance(e, StateChanged):
            records.append({"at": e.at, "record": "StateChanged", "state": e.new.value, "trigger": e.trigger.name,
                            "generation": e.generation_id, "protocol": e.protocol_name})
        elif isinstance(e, MemberAdded):
            records.append({"at": e.at, "record": "MemberAdded", "member_id": e.member_id, "client_id": e.client_id})
        elif isinstance(e, MemberRemoved):
            records.append({"at": e.at, "record": "MemberRemoved", "member_id": e.member_id,
                            "reason": e.reason.name})
        elif isinstance(e, LeaderChanged):
            records.append({"at": e.at, "record": "LeaderChanged", "leader": e.new})
        elif isinstance(e, AssignmentChanged):
            records.append({"at": e.at, "record": "AssignmentChanged", "assignments": {
                m: [list(tp) for tp in decode_assignment(a).assigned_partitions] if a else []
                for m, a in e.assignments}})
    return {"group": GROUP, "topic": TOPIC, "partitions": PARTITIONS, "server_start_wall_ms": t0_wall_ms,
            "records": records}


def capture(out: Path, *, timeout: float = 20.0) -> dict:
    """Run the incident and write ``c1.log``, ``c2.log``, ``c3.log`` and ``server.json`` into ``out``.

    1. c1, c2 and c3 subscribe together and join one generation;
    2. c3 closes: it leaves the group, and c1 and c2 rebalance;
    3. c2's application stops polling for longer than max.poll.interval.ms (3 s): librdkafka
       leaves the group for it, c1 rebalances alone, and when c2 polls again it rejoins.
    4. c1 and c2 close.
    """
    out.mkdir(parents=True, exist_ok=True)
    wall_before = time.time()
    server = Server(group_initial_rebalance_delay_ms=1500, group_min_session_timeout_ms=1000,
                    topics={TOPIC: PARTITIONS}).start()
    t0_wall_ms = int((wall_before + time.time()) / 2 * 1000)
    consumers: dict[str, Consumer] = {}
    try:
        for name in ("c1", "c2", "c3"):
            consumers[name] = Consumer(name, server.bootstrap_servers, out)
        for c in consumers.values():
            wait_for(f"{c.name} ready", lambda c=c: c.seen("ready") == 1, timeout)
        for c in consumers.values():
            c.send("subscribe")
        wait_for("c1, c2, c3 stable", stable_with(server, {"c1", "c2", "c3"}), timeout)
        wait_for("assignments", lambda: all(c.seen("assign") >= 1 for c in consumers.values()), timeout)
        time.sleep(1.0)

        consumers["c3"].send("close")
        wait_for("c3 closed", lambda: consumers["c3"].seen("closed") == 1, timeout)
        wait_for("c1, c2 stable", stable_with(server, {"c1", "c2"}), timeout)
        wait_for("c1, c2 assigned", lambda: all(consumers[n].seen("assign") >= 2 for n in ("c1", "c2")), timeout)
        time.sleep(1.0)

        consumers["c2"].send("stall", 4500)
        wait_for("c1 alone", stable_with(server, {"c1"}), timeout)
        wait_for("c2 resumed", lambda: consumers["c2"].seen("resumed") == 1, timeout)
        wait_for("c1, c2 stable again", stable_with(server, {"c1", "c2"}), timeout)
        wait_for("c2 assigned again", lambda: consumers["c2"].seen("assign") >= 3, timeout)
        time.sleep(1.0)

        for name in ("c1", "c2"):
            consumers[name].send("close")
        for name in ("c1", "c2"):
            wait_for(f"{name} closed", lambda n=name: consumers[n].seen("closed") == 1, timeout)
    finally:
        for c in consumers.values():
            c.finish()
        server.stop()
    truth = server_truth(server, t0_wall_ms)
    (out / "server.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def capture_short(out: Path, *, timeout: float = 15.0) -> dict:
    """A shorter run for the live test: c1 and c2 join, c2 closes, c1 rebalances alone."""
    out.mkdir(parents=True, exist_ok=True)
    wall_before = time.time()
    server = Server(group_initial_rebalance_delay_ms=0, group_min_session_timeout_ms=1000,
                    topics={TOPIC: PARTITIONS}).start()
    t0_wall_ms = int((wall_before + time.time()) / 2 * 1000)
    consumers: dict[str, Consumer] = {}
    try:
        for name in ("c1", "c2"):
            consumers[name] = Consumer(name, server.bootstrap_servers, out)
        for c in consumers.values():
            wait_for(f"{c.name} ready", lambda c=c: c.seen("ready") == 1, timeout)
        for c in consumers.values():
            c.send("subscribe")
        wait_for("c1, c2 stable", stable_with(server, {"c1", "c2"}), timeout)
        wait_for("assignments", lambda: all(c.seen("assign") >= 1 for c in consumers.values()), timeout)
        consumers["c2"].send("close")
        wait_for("c2 closed", lambda: consumers["c2"].seen("closed") == 1, timeout)
        wait_for("c1 alone", stable_with(server, {"c1"}), timeout)
        consumers["c1"].send("close")
        wait_for("c1 closed", lambda: consumers["c1"].seen("closed") == 1, timeout)
    finally:
        for c in consumers.values():
            c.finish()
        server.stop()
    truth = server_truth(server, t0_wall_ms)
    (out / "server.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def _text(version: Any) -> str:
    return version[0] if isinstance(version, tuple) else str(version)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: capture_librdkafka.py OUT_DIR", file=sys.stderr)
        return 2
    import confluent_kafka
    out = Path(argv[0])
    truth = capture(out)
    (out / "VERSIONS").write_text(
        f"confluent-kafka {_text(confluent_kafka.version())}, librdkafka {confluent_kafka.libversion()[0]}, "
        f"Python {sys.version.split()[0]}, {os.uname().sysname}\n")
    print(f"wrote {out}: {len(truth['records'])} coordinator records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
