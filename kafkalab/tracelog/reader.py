"""Read a real client's log into the trace the player shows: step through an incident from your own consumers.

(:mod:`kafkalab.tracelog` re-exports this module's API; :mod:`kafkalab.trace` re-exports
:func:`read_log` and :class:`LogFormatError`.)

How it works
------------
:func:`read_log` takes librdkafka logs captured with ``debug=cgrp`` (confluent-kafka, the C/C++
client, ...) and Java consumer logs at INFO (the lines of ``ConsumerCoordinator`` and
``ConsumerRebalanceListenerInvoker``), one file per consumer or several consumers in one file, and
returns the events :class:`kafkalab.viz.Player` steps through - the same event types the
simulated consumers record (:mod:`kafkalab.sim.events`):

* the group requests and answers the log shows, as a ``MessageSent`` and a ``MessageDelivered``
  each (FindCoordinator, JoinGroup, SyncGroup, LeaveGroup, and the heartbeats that were answered
  with an error: a client does not log a heartbeat answered without one);
* :class:`~kafkalab.sim.events.ClientStateChanged` with the member id, generation and reason
  (UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, as the Java client names them);
* the rebalance callbacks (:class:`~kafkalab.sim.events.PartitionsAssigned`,
  :class:`~kafkalab.sim.events.PartitionsRevoked`, ``lost=True`` for onPartitionsLost), at the
  time the application ran them;
* notes: :class:`~kafkalab.sim.events.PollTimeoutExpired`, :class:`~kafkalab.sim.events.RejoinRequested`,
  :class:`~kafkalab.sim.events.AssignmentPerformed` (the leader ran the assignor),
  :class:`~kafkalab.sim.events.ConsumerClosing`, :class:`~kafkalab.sim.events.CoordinatorUnknown`,
  :class:`~kafkalab.sim.events.ConsumerStarted` (Java, from its "ConsumerConfig values" block),
  and :class:`~kafkalab.sim.events.ConsumerStopped` when the consumer closed.

Each consumer is named by its ``client.id`` (``c1#consumer-1`` in librdkafka's lines, ``clientId=c1``
in Java's), so give every consumer its own ``client.id``.  Times are milliseconds since the first
line read (across all files), taken from the lines' own timestamps; files are merged by time.

Every line is split by :func:`kafkalab.logformat.parse_line` and matched against the templates
table of :mod:`kafkalab.logformat`, the one the simulated consumers will use to write the same
lines.  A line of neither client, or a client line no template knows, is skipped; a line that
starts like a client's line but cannot be read raises :class:`LogFormatError` with its file and
line number (a cut-off *last* line, as a log being written ends, is skipped).

What a client log cannot show: the coordinator's side (the group's state, who else is a member).
The player then shows each consumer as its own log tells it; read the broker's view from
``kafkalab serve`` (:func:`kafkalab.viz.wire_events`) when the run was against kafkalab.
"""

from __future__ import annotations

import heapq
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from .. import logformat as lf
from ..consumer_protocol import encode_assignment
from ..errors import ErrorCode
from ..messages import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    JoinGroupResponseMember,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from ..sim import events as ev

__all__ = ["read_log", "LogFormatError", "FORMATS", "DEFAULT_MAX_POLL_INTERVAL_MS"]

FORMATS = ("auto", "librdkafka", "java")

#: ``max.poll.interval.ms``'s default; the Java poll-timeout warning does not say the value, so it
#: is read from the consumer's "ConsumerConfig values" block and falls back to this.
DEFAULT_MAX_POLL_INTERVAL_MS = 300_000

UNJOINED, PREPARING, COMPLETING, STABLE = "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE"

Source = Union[str, os.PathLike, Iterable[str], io.IOBase]


class LogFormatError(ValueError):
    """A log that cannot be read: says which file and line, and what to do.

    Attributes: ``path`` (a file name, or ``"<lines>"``) and ``line_number`` (1-based, or None).
    """

    def __init__(self, message: str, path: Optional[str] = None, line_number: Optional[int] = None) -> None:
        where = f"{path}:{line_number}: " if path and line_number else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line_number = line_number


@dataclass
class _Record:
    ts: float
    file: int
    number: int
    line: lf.LogLine
    config: Optional[dict] = None
    label: Optional[str] = None


# ---------------------------------------------------------------------------- reading the files

def read_log(source: Union[Source, list, tuple], format: str = "auto") -> list:  # noqa: A002 - the option's name
    """Read client logs into player events.

    Args:
        source: a path to a log file, a list of paths (one consumer per file, merged by time), an
            open text file, or the log's lines (a list of strings, or one string with newlines).
        format: ``"librdkafka"``, ``"java"`` or ``"auto"`` (each file's first client line decides).

    Returns:
        The events, in time order: ``Player(read_log(...))`` steps through them.

    Raises:
        LogFormatError: a file is missing or has no client lines, or a line cannot be read (its
            file and line number are in the message).
        ValueError: an unknown ``format``.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not {format!r}")
    files = _sources(source)
    records: list[_Record] = []
    for index, (label, lines) in enumerate(files):
        records.extend(_read_file(index, label, lines, format))
    if not records:
        raise LogFormatError("no lines to read")
    records.sort(key=lambda r: (r.ts, r.file, r.number))
    t0 = records[0].ts
    by_consumer: dict[tuple, list[_Record]] = {}
    for r in records:
        by_consumer.setdefault(_key(r), []).append(r)
    names = _names(by_consumer)
    streams = []
    for order, (key, recs) in enumerate(by_consumer.items()):
        cls = _RdConsumer if key[0] == "librdkafka" else _JavaConsumer
        consumer = cls(names[key], recs, t0)
        consumer.run()
        streams.append([(at, order, seq, e) for seq, (at, e) in enumerate(consumer.out)])
    for stream in streams:
        stream.sort(key=lambda x: (x[0], x[2]))
    return [e for _, _, _, e in heapq.merge(*streams, key=lambda x: (x[0], x[1], x[2]))]


def _sources(source: Any) -> list[tuple[str, Iterable[str]]]:
    if isinstance(source, (str, os.PathLike)) and not (isinstance(source, str) and "\n" in source):
        return [_open(source)]
    if isinstance(source, str):
        return [("<lines>", source.splitlines())]
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        return [(getattr(source, "name", "<file>"), source.read().splitlines())]
    if isinstance(source, (list, tuple)):
        if source and all(isinstance(s, os.PathLike) or (isinstance(s, str) and _path_like(s)) for s in source):
            return [_open(s) for s in source]
        if all(isinstance(s, str) for s in source):
            return [("<lines>", list(source))]
    raise TypeError("read_log takes a path, a list of paths, an open text file or a list of lines, "
                    f"not {type(source).__name__}")


_FILE_NAME = re.compile(r"^[\w.~/\\:-]+\.(?:log|txt|out|err)(?:\.\d+)?$")


def _path_like(text: str) -> bool:
    """A string in a list names a file if it is one, or looks like a log file's name (``c1.log``)."""
    return "\n" not in text and (os.path.isfile(text) or bool(_FILE_NAME.match(text)))


def _open(path: Any) -> tuple[str, list[str]]:
    p = Path(path)
    if not p.is_file():
        raise LogFormatError("no such file; pass the path of a client log (or the log's lines)", str(path))
    with open(p, encoding="utf-8", errors="replace") as f:
        return str(path), f.read().splitlines()


_CONFIG_HEADER = re.compile(r"\bConsumerConfig values:\s*$")
_CONFIG_ITEM = re.compile(r"^\s+([\w.]+) = (.*?)\s*$")


def _read_file(index: int, label: str, lines: Iterable[str], fmt: str) -> list[_Record]:
    lines = list(lines)
    out: list[_Record] = []
    client: Optional[str] = None if fmt == "auto" else fmt
    last = len(lines)
    k = 0
    while k < last:
        number, text = k + 1, lines[k]
        k += 1
        if _CONFIG_HEADER.search(text):
            config, k = _config_block(lines, k)
            try:
                ts = lf.parse_timestamp(text)
            except ValueError as e:
                raise LogFormatError(str(e), label, number) from None
            if ts is not None and config.get("client.id"):
                line = lf.LogLine("java", ts, "INFO", config["client.id"], config.get("group.id"),
                                  config.get("group.instance.id") or None, "ConsumerConfig", "ConsumerConfig values:")
                out.append(_Record(ts, index, number, line, config, label))
            continue
        try:
            line = lf.parse_line(text)
        except lf.MalformedLine as e:
            if number == last:
                continue  # a cut-off last line: the log was still being written
            raise LogFormatError(f"{e}: {text[:100]!r}", label, number) from None
        if line is None:
            continue
        if client is None:
            client = line.client
        elif line.client != client:
            if fmt != "auto":
                raise LogFormatError(f"this is a {_CLIENT_NAMES[line.client]} line, but format={fmt!r}; "
                                     f"use format={line.client!r} or 'auto'", label, number)
            raise LogFormatError(f"a {_CLIENT_NAMES[line.client]} line in a {_CLIENT_NAMES[client]} log; "
                                 "keep each client's log in a file of its own", label, number)
        out.append(_Record(line.timestamp_ms, index, number, line, None, label))
    if not out:
        raise LogFormatError("no librdkafka or Java consumer log lines found: capture librdkafka with "
                             "debug=cgrp, or the Java consumer's INFO log (docs/logs.md)", label)
    return out


_CLIENT_NAMES = {"librdkafka": "librdkafka", "java": "Java consumer"}


def _config_block(lines: list[str], k: int) -> tuple[dict, int]:
    config: dict[str, str] = {}
    while k < len(lines):
        m = _CONFIG_ITEM.match(lines[k])
        if not m:
            break
        config[m.group(1)] = m.group(2)
        k += 1
    return config, k


def _key(r: _Record) -> tuple:
    line = r.line
    if line.client == "librdkafka":
        return ("librdkafka", r.file, line.name)
    return ("java", line.name)


def _client_id(key: tuple) -> str:
    if key[0] == "librdkafka":
        name = key[2] or "rdkafka"
        return re.sub(r"#(consumer|producer)-\d+$", "", name) or name
    return key[1] or "consumer"


def _names(by_consumer: dict) -> dict[tuple, str]:
    """Consumers by ``client.id``; handles that share one get their handle name or file number."""
    counts: dict[str, int] = {}
    for key in by_consumer:
        counts[_client_id(key)] = counts.get(_client_id(key), 0) + 1
    names: dict[tuple, str] = {}
    for key in by_consumer:
        name = _client_id(key)
        if counts[name] > 1:
            name = f"{key[2]}@{key[1] + 1}" if key[0] == "librdkafka" else name
        names[key] = name
    return names


# ---------------------------------------------------------------------------- one consumer

class _Consumer:
    """One consumer's records turned into events (``out``: ``(at, event)`` in emission order)."""

    client = ""

    def __init__(self, name: str, records: list[_Record], t0: float) -> None:
        self.name = name
        self.records = records
        self.t0 = t0
        self.out: list[tuple[int, Any]] = []
        self.group: Optional[str] = None
        self.state = UNJOINED
        self.member_id = ""
        self.generation = -1
        self.protocol: Optional[str] = None
        self.leader = False
        self._identity = ("", -1)
        self.owned: set = set()
        self.corr = 0
        self.coordinator: Optional[str] = None
        self.pending: dict[str, tuple[int, str]] = {}
        self.closing = False
        self.leave_reason: Optional[ev.ClientStateReason] = None
        self.instance_id: Optional[str] = None

    def at(self, r: _Record) -> int:
        return int(round(r.ts - self.t0))

    def emit(self, at: int, event: Any) -> None:
        self.out.append((at, event))

    def matched(self, r: _Record) -> Optional[tuple[lf.Template, dict]]:
        return lf.match(self.client, r.line.message)

    def run(self) -> None:
        for i, r in enumerate(self.records):
            if self.group is None and r.line.group:
                self.group = r.line.group
            if r.config is not None:
                self.on_config(r)
                continue
            found = self.matched(r)
            if found is None:
                continue
            template, values = found
            if self.group is None and values.get("group"):
                self.group = values["group"]
            handler = getattr(self, "on_" + template.key, None)
            if handler is not None:
                handler(i, r, values)

    # -- shared helpers

    def broker(self) -> str:
        return self.coordinator or "broker-coordinator"

    def request(self, at: int, dst: str, message: Any, kind: str) -> int:
        self.corr += 1
        self.emit(at, ev.MessageSent(at, self.name, dst, message, self.corr))
        self.emit(at, ev.MessageDelivered(at, self.name, dst, message, self.corr, at))
        self.pending[kind] = (self.corr, dst)
        return self.corr

    def answer(self, at: int, kind: str, message: Any, sent_at: Optional[int] = None) -> None:
        corr, src = self.pending.pop(kind, (None, self.broker()))
        if corr is None:  # the request is not in the log (it was sent before the log starts)
            self.corr += 1
            corr = self.corr
        self.emit(at, ev.MessageSent(at, src, self.name, message, corr))
        self.emit(at, ev.MessageDelivered(at, src, self.name, message, corr, at if sent_at is None else sent_at))

    def set_state(self, at: int, new: str, reason: ev.ClientStateReason, code: Optional[ErrorCode] = None,
                  leader: bool = False) -> None:
        identity = (self.member_id, self.generation)
        if new != self.state or identity != self._identity:
            self.emit(at, ev.ClientStateChanged(at, self.name, self.state, new, reason, self.member_id,
                                                self.generation, code, leader))
            self._identity = identity
            self.state = new

    def assigned(self, at: int, partitions) -> None:
        parts = tuple(sorted(partitions))
        self.emit(at, ev.PartitionsAssigned(at, self.name, parts, self.generation))
        self.owned |= set(parts)

    def revoked(self, at: int, partitions, lost: bool = False) -> None:
        parts = tuple(sorted(partitions))
        self.emit(at, ev.PartitionsRevoked(at, self.name, parts, lost))
        self.owned -= set(parts)

    def join_request(self, at: int) -> None:
        self.set_state(at, PREPARING, ev.ClientStateReason.JOIN_GROUP_SENT)
        self.request(at, self.broker(), JoinGroupRequest(
            group_id=self.group or "", member_id=self.member_id, group_instance_id=self.instance_id,
            client_id=self.name, protocol_type="consumer"), "join")

    def join_answered(self, at: int, code: ErrorCode, generation: int, protocol: Optional[str], leader_id: str,
                      member_id: str, members: tuple) -> None:
        self.answer(at, "join", JoinGroupResponse(
            error_code=code, generation_id=generation, protocol_type="consumer" if code is ErrorCode.NONE else None,
            protocol_name=protocol, leader=leader_id, member_id=member_id,
            members=tuple(JoinGroupResponseMember(m) for m in members)))
        if code is ErrorCode.NONE:
            self.member_id, self.generation, self.protocol = member_id, generation, protocol
            self.leader = bool(leader_id) and leader_id == member_id
            self.set_state(at, COMPLETING, ev.ClientStateReason.JOIN_GROUP_ANSWERED, leader=self.leader)
            return
        if code is ErrorCode.MEMBER_ID_REQUIRED:
            self.member_id = member_id
        elif code is ErrorCode.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.JOIN_GROUP_ERROR, code)

    def sync_request(self, at: int, plan: Optional[dict]) -> None:
        assignments = tuple(SyncGroupRequestAssignment(m, encode_assignment(ps)) for m, ps in (plan or {}).items())
        self.request(at, self.broker(), SyncGroupRequest(
            group_id=self.group or "", generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.instance_id, protocol_type="consumer", protocol_name=self.protocol,
            assignments=assignments), "sync")

    def sync_answered(self, at: int, code: ErrorCode, partitions: Optional[tuple]) -> None:
        assignment = encode_assignment(partitions) if partitions is not None else b""
        self.answer(at, "sync", SyncGroupResponse(
            error_code=code, protocol_type="consumer" if code is ErrorCode.NONE else None,
            protocol_name=self.protocol if code is ErrorCode.NONE else None,
            assignment=assignment if code is ErrorCode.NONE else b""))
        if code is ErrorCode.NONE:
            self.set_state(at, STABLE, ev.ClientStateReason.SYNC_GROUP_ANSWERED)
            return
        if code is ErrorCode.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
        elif code is ErrorCode.ILLEGAL_GENERATION:
            self.generation = -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.SYNC_GROUP_ERROR, code)

    def heartbeat_failed(self, sent_at: int, at: int, generation: int, code: ErrorCode) -> None:
        self.request(sent_at, self.broker(), HeartbeatRequest(
            group_id=self.group or "", generation_id=generation, member_id=self.member_id,
            group_instance_id=self.instance_id), "heartbeat")
        self.answer(at, "heartbeat", HeartbeatResponse(error_code=code), sent_at=sent_at)
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            if self.state == STABLE:
                self.emit(at, ev.RejoinRequested(at, self.name, ev.RejoinReason.REBALANCE_IN_PROGRESS))
            return
        if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
            self.member_id, self.generation = "", -1
        elif code is ErrorCode.ILLEGAL_GENERATION:
            self.generation = -1
        else:
            return
        self.set_state(at, UNJOINED, ev.ClientStateReason.HEARTBEAT_ERROR, code)

    def on_config(self, r: _Record) -> None:
        """A Java consumer's "ConsumerConfig values" block (other clients have none)."""

    def leave_request(self, at: int, member_id: str) -> None:
        self.request(at, self.broker(), LeaveGroupRequest(group_id=self.group or "", member_id=member_id,
                                                          api_version=1), "leave")

    def stopped(self, at: int) -> None:
        self.emit(at, ev.ConsumerStopped(at, self.name, ev.StopKind.CLOSED, tuple(sorted(self.owned))))
        self.owned.clear()
        self.member_id, self.generation = "", -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.CLOSED)


# ---------------------------------------------------------------------------- librdkafka

_ITEM = re.compile(r"^\s+(?P<topic>\S+) \[(?P<partition>-?\d+)\]")
_BROKER = re.compile(r"^(?P<addr>\S+?)/(?P<id>\d+|bootstrap)$")


class _RdConsumer(_Consumer):
    """librdkafka's ``debug=cgrp`` lines (its join states: init, wait-join, wait-metadata, wait-sync,
    wait-assign-call, steady, wait-unassign-call, ...)."""

    client = "librdkafka"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.addresses: dict[str, int] = {}
        self.queries: dict[str, int] = {}
        self.heartbeat_sent: Optional[tuple[int, int]] = None
        self.plan: Optional[dict] = None
        self.sync_assignment: tuple = ()
        self.group_assignment: tuple = ()
        self.lost = False
        self.delegated: Optional[tuple[str, tuple, bool]] = None
        self.last_member_id = ""

    def matched(self, r: _Record) -> Optional[tuple[lf.Template, dict]]:
        return lf.match(self.client, r.line.message, r.line.logger)

    def broker_name(self, prefix: str) -> str:
        """``127.0.0.1:9092/0`` -> ``broker-0``; a bootstrap address by the id it turned out to have."""
        m = _BROKER.match(prefix)
        if not m:
            return prefix
        if m.group("id") != "bootstrap":
            self.addresses.setdefault(m.group("addr"), int(m.group("id")))
            return f"broker-{m.group('id')}"
        node = self.addresses.get(m.group("addr"))
        return f"broker-{node}" if node is not None else f"broker-{m.group('addr')}"

    def items(self, i: int, facility: str) -> tuple:
        """The partitions listed by the lines of ``facility`` that follow record ``i``."""
        out = []
        for r in self.records[i + 1:]:
            if r.line.logger != facility:
                break
            m = _ITEM.match(r.line.message)
            if not m:
                break
            out.append((m.group("topic"), int(m.group("partition"))))
        return tuple(out)

    def next_list(self, i: int, facility: str, stop: tuple[str, ...] = ()) -> Optional[tuple]:
        """The partitions of the next "List with N partition(s):" of ``facility`` after record ``i``."""
        for j in range(i + 1, min(i + 40, len(self.records))):
            r = self.records[j]
            if r.line.logger == facility and r.line.message.startswith("List with "):
                return self.items(j, facility)
            if r.line.logger in stop:
                return None
        return None

    # -- coordinator

    def on_coordinator_query(self, i: int, r: _Record, v: dict) -> None:
        self.queries[v["broker"]] = self.at(r)

    def on_coordinator_is(self, i: int, r: _Record, v: dict) -> None:
        node = int(v["node_id"])
        self.addresses[f"{v['host']}:{v['port']}"] = node
        coordinator = f"broker-{node}"
        if coordinator == self.coordinator:
            return  # librdkafka asks again now and then; only a change is news
        at = self.at(r)
        asked = self.broker_name(v["broker"])
        self.request(self.queries.get(v["broker"], at), asked,
                     FindCoordinatorRequest(key=self.group or v["group"], key_type=0), "find")
        self.answer(at, "find", FindCoordinatorResponse(node_id=node, host=v["host"], port=int(v["port"])))
        self.coordinator = coordinator

    # -- join and sync

    def on_joining(self, i: int, r: _Record, v: dict) -> None:
        self.member_id = v["member_id"]
        if self.coordinator is None:
            self.coordinator = self.broker_name(v["broker"])
        self.join_request(self.at(r))

    def on_join_response(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        if code is None:  # a local error: the request failed without an answer
            self.pending.pop("join", None)
            self.set_state(at, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
            return
        members: tuple = ()
        if code is ErrorCode.NONE and v["me"]:
            members = self.subscribers(i) or ("",) * int(v["member_count"])
        self.join_answered(at, code, int(v["generation_id"]), v["protocol"] or None, v["leader_id"], v["member_id"],
                           members)

    def subscribers(self, i: int) -> tuple:
        """The member ids the leader lists when it runs the assignor after JoinGroup answer ``i``."""
        out = []
        for r in self.records[i + 1:i + 400]:
            if r.line.logger == "JOINGROUP" and r.line.message.startswith("JoinGroup response"):
                break
            found = lf.TEMPLATES["librdkafka"]["subscription_member"].match(r.line.message)
            if found and r.line.logger == "ASSIGN":
                out.append(found["member_id"])
            elif r.line.logger == "ASSIGNOR":
                break
        return tuple(out)

    def on_leader_plan(self, i: int, r: _Record, v: dict) -> None:
        plan: dict[str, list] = {}
        member_line = lf.TEMPLATES["librdkafka"]["leader_plan_member"]
        for j in range(i + 1, len(self.records)):
            rec = self.records[j]
            if rec.line.logger != "ASSIGN":
                break
            found = member_line.match(rec.line.message)
            if found:
                plan[found["member_id"]] = list(self.items(j, "ASSIGN"))
            elif not _ITEM.match(rec.line.message):
                break
        self.plan = plan

    def on_assignor_run(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.AssignmentPerformed(at, self.name, v["assignor"], int(v["member_count"]), self.generation))

    def on_join_state(self, i: int, r: _Record, v: dict) -> None:
        if v["new_state"] == "wait-sync":
            self.sync_request(self.at(r), self.plan if self.leader else None)
            self.plan = None

    def on_sync_response(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        if code is None:
            self.pending.pop("sync", None)
            self.set_state(at, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
            return
        partitions = self.next_list(i, "ASSIGNMENT", stop=("JOINGROUP", "SYNCGROUP")) if code is ErrorCode.NONE else None
        if partitions is not None:
            self.sync_assignment = partitions
        self.sync_answered(at, code, partitions if partitions is not None else ())

    # -- the application's rebalance callbacks

    def on_group_assignment_set(self, i: int, r: _Record, v: dict) -> None:
        listed = self.next_list(i, "GRPASSIGNMENT")
        self.group_assignment = listed if listed is not None else self.sync_assignment

    def on_group_assignment_cleared(self, i: int, r: _Record, v: dict) -> None:
        self.group_assignment = ()

    def on_lost(self, i: int, r: _Record, v: dict) -> None:
        self.lost = True

    def on_not_lost(self, i: int, r: _Record, v: dict) -> None:
        self.lost = False

    def on_delegating(self, i: int, r: _Record, v: dict) -> None:
        if v["action"] == "assign":
            parts = self.sync_assignment
        else:
            parts = self.group_assignment or tuple(sorted(self.owned))
        self.delegated = (v["action"], tuple(parts), self.lost)

    def on_delegating_incremental(self, i: int, r: _Record, v: dict) -> None:
        count = int(v["count"])
        owned = set(self.owned)
        if v["action"] == "assign":
            parts = tuple(sorted(set(self.sync_assignment) - owned))
        else:
            moving = tuple(sorted(owned - set(self.sync_assignment)))
            parts = moving if len(moving) == count else tuple(sorted(owned))
        self.delegated = (v["action"], parts, self.lost)

    def on_received_op(self, i: int, r: _Record, v: dict) -> None:
        if "ASSIGN" not in v["op"] or self.delegated is None:
            return
        action, parts, lost = self.delegated
        self.delegated = None
        at = self.at(r)
        if action == "assign":
            self.assigned(at, parts)
        else:
            self.revoked(at, parts, lost)

    # -- heartbeats, the poll timeout, leaving

    def on_heartbeat(self, i: int, r: _Record, v: dict) -> None:
        self.heartbeat_sent = (self.at(r), int(v["generation_id"]))

    def on_heartbeat_error(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        sent_at, generation = self.heartbeat_sent or (at, self.generation)
        self.heartbeat_sent = None
        if code is None:
            if "transport" in v["rd_error"].lower():
                self.emit(at, ev.CoordinatorUnknown(at, self.name, ev.CoordinatorUnknownReason.DISCONNECTED,
                                                    "heartbeat", self.coordinator))
            return
        self.heartbeat_failed(sent_at, at, generation, code)

    def on_max_poll(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.PollTimeoutExpired(at, self.name, int(v["ms"])))
        self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT

    def on_member_id(self, i: int, r: _Record, v: dict) -> None:
        old, new = v["old"], v["new"]
        if old not in ("", "(not-set)"):
            self.last_member_id = old
        self.member_id = "" if new == "(not-set)" else new

    def on_leave(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.leave_request(at, self.member_id or self.last_member_id)
        if self.leave_reason is not None:
            self.member_id, self.generation = "", -1
            self.set_state(at, UNJOINED, self.leave_reason)
            self.leave_reason = None

    def on_leave_response(self, i: int, r: _Record, v: dict) -> None:
        if "leave" in self.pending:
            self.answer(self.at(r), "leave", LeaveGroupResponse(error_code=ErrorCode.NONE))

    def on_leave_error(self, i: int, r: _Record, v: dict) -> None:
        code = lf.error_from_librdkafka(v["rd_error"])
        if "leave" in self.pending and code is not None:
            self.answer(self.at(r), "leave", LeaveGroupResponse(error_code=code))

    def on_closing(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.closing = True
        self.emit(at, ev.ConsumerClosing(at, self.name))

    def on_closed(self, i: int, r: _Record, v: dict) -> None:
        self.stopped(self.at(r))


# ---------------------------------------------------------------------------- Java

_COMMIT_ERROR = re.compile(r"^encountered (\w+) from OFFSET_COMMIT response$")


class _JavaConsumer(_Consumer):
    """The Java consumer's INFO lines (AbstractCoordinator's MemberState: UNJOINED,
    PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE)."""

    client = "java"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.max_poll_interval_ms = DEFAULT_MAX_POLL_INTERVAL_MS

    def run(self) -> None:
        for r in self.records:
            if r.line.instance_id:
                self.instance_id = r.line.instance_id
                break
        super().run()

    def matched(self, r: _Record) -> Optional[tuple[lf.Template, dict]]:
        if r.config is not None:
            return None
        return lf.match(self.client, r.line.message)

    def ahead(self, i: int, keys: tuple[str, ...], stop: tuple[str, ...]) -> Optional[tuple[int, dict]]:
        """The next record after ``i`` matching one of ``keys``, unless one of ``stop`` comes first."""
        for j in range(i + 1, len(self.records)):
            found = self.matched(self.records[j])
            if found is None:
                continue
            if found[0].key in keys:
                return j, found[1]
            if found[0].key in stop:
                return None
        return None

    def on_discovered(self, i: int, r: _Record, v: dict) -> None:
        host, port, node = lf.parse_java_node(v["coordinator"])
        at = self.at(r)
        coordinator = f"broker-{node}"
        # The Java log names the coordinator but not the broker that answered FindCoordinator.
        self.request(at, coordinator, FindCoordinatorRequest(key=self.group or "", key_type=0), "find")
        self.answer(at, "find", FindCoordinatorResponse(node_id=node, host=host, port=port))
        self.coordinator = coordinator

    def on_coordinator_unknown(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        cause = v["cause"]
        if v["is_disconnected"] == "true":
            reason = ev.CoordinatorUnknownReason.DISCONNECTED
        elif cause.startswith("session timed out"):
            reason = ev.CoordinatorUnknownReason.SESSION_TIMED_OUT
        elif cause.startswith("error response"):
            reason = None  # the error answer is on a line of its own
        else:
            reason = ev.CoordinatorUnknownReason.REQUEST_TIMED_OUT
        if reason is not None:
            self.emit(at, ev.CoordinatorUnknown(at, self.name, reason, None, self.coordinator))
        self.coordinator = None

    def on_joining(self, i: int, r: _Record, v: dict) -> None:
        self.join_request(self.at(r))

    def on_request_rejoin(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        reason = v["reason"]
        if reason.startswith("need to re-join with the given member-id: "):
            member_id = reason.split(": ", 1)[1].strip()
            self.join_answered(at, ErrorCode.MEMBER_ID_REQUIRED, -1, None, "", member_id, ())
        elif reason == "group is already rebalancing":
            self.heartbeat_failed(at, at, self.generation, ErrorCode.REBALANCE_IN_PROGRESS)
        elif reason.startswith("need to revoke partitions"):
            self.emit(at, ev.RejoinRequested(at, self.name, ev.RejoinReason.PARTITIONS_REVOKED))

    def on_heartbeat_rebalancing_2x(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.heartbeat_failed(at, at, self.generation, ErrorCode.REBALANCE_IN_PROGRESS)

    def on_joined(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        generation, member_id, protocol = lf.parse_java_generation(v["generation"])
        finished = self.ahead(i, ("finished_assignment",), stop=("joining", "joined", "synced"))
        members: tuple = ()
        leader_id = ""
        if finished is not None:
            leader_id = member_id
            try:
                members = tuple(lf.parse_java_assignments(finished[1]["assignments"]))
            except ValueError:
                members = ()
        self.join_answered(at, ErrorCode.NONE, generation, protocol, leader_id, member_id, members)
        if not self.leader:
            self.sync_request(at, None)

    def on_finished_assignment(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        try:
            plan = lf.parse_java_assignments(v["assignments"])
        except ValueError as e:
            raise LogFormatError(str(e), r.label, r.number) from None
        self.emit(at, ev.AssignmentPerformed(at, self.name, self.protocol or "?", len(plan), int(v["generation_id"])))
        self.sync_request(at, plan)

    def _join_failed(self, r: _Record, code: Optional[ErrorCode]) -> None:
        if code is not None:
            self.join_answered(self.at(r), code, -1, None, "", self.member_id, ())

    def on_join_failed_rejoin(self, i: int, r: _Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_join_failed_coordinator(self, i: int, r: _Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_join_failed_rebalancing(self, i: int, r: _Record, v: dict) -> None:
        self._join_failed(r, ErrorCode.REBALANCE_IN_PROGRESS)

    def on_join_failed_fatal(self, i: int, r: _Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_synced(self, i: int, r: _Record, v: dict) -> None:
        nxt = self.ahead(i, ("notifying_assignor",), stop=("joining", "joined", "synced"))
        partitions = lf.parse_java_assignment(nxt[1]["assignment"]) if nxt is not None else None
        self.sync_answered(self.at(r), ErrorCode.NONE, partitions)

    def on_sync_failed_rebalancing(self, i: int, r: _Record, v: dict) -> None:
        self.sync_answered(self.at(r), ErrorCode.REBALANCE_IN_PROGRESS, None)

    def on_sync_failed_rejoin(self, i: int, r: _Record, v: dict) -> None:
        code = lf.error_from_java_message(v["error_message"])
        if code is not None:
            self.sync_answered(self.at(r), code, None)

    def on_sync_failed_coordinator(self, i: int, r: _Record, v: dict) -> None:
        self.on_sync_failed_rejoin(i, r, v)

    def on_adding(self, i: int, r: _Record, v: dict) -> None:
        self.assigned(self.at(r), lf.parse_java_partitions(v["partitions"]))

    def on_revoking(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        if not self.closing:
            leave = self.ahead(i, ("leaving",), stop=("joining", "adding", "revoking", "losing"))
            if leave is not None and leave[1]["reason"] == "the consumer is being closed":
                self.closing = True
                self.emit(at, ev.ConsumerClosing(at, self.name))
        self.revoked(at, lf.parse_java_partitions(v["partitions"]))

    def on_losing(self, i: int, r: _Record, v: dict) -> None:
        self.revoked(self.at(r), lf.parse_java_partitions(v["partitions"]), lost=True)

    def on_heartbeat_failed(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        generation, _, _ = lf.parse_java_generation(v["generation"])
        try:
            code = ErrorCode[v["error"]]
        except KeyError:
            return
        self.heartbeat_failed(at, at, generation, code)

    def on_poll_timeout(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.PollTimeoutExpired(at, self.name, self.max_poll_interval_ms))
        self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT

    def on_leaving(self, i: int, r: _Record, v: dict) -> None:
        at = self.at(r)
        if v["reason"] == "the consumer is being closed" and not self.closing:
            self.closing = True
            self.emit(at, ev.ConsumerClosing(at, self.name))
        elif v["reason"].startswith("consumer poll timeout has expired"):
            self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT
        self.leave_request(at, v["member_id"])

    def on_resetting(self, i: int, r: _Record, v: dict) -> None:
        commit = _COMMIT_ERROR.match(v["reason"])
        if commit is not None and commit.group(1) in ErrorCode.__members__:
            # An OffsetCommit answer said the member or generation is gone (resetGenerationOnResponseError).
            at = self.at(r)
            if v["and_member_id"]:
                self.member_id = ""
            self.generation = -1
            self.set_state(at, UNJOINED, ev.ClientStateReason.OFFSET_COMMIT_ERROR, ErrorCode[commit.group(1)])
            return
        if v["reason"] != "consumer pro-actively leaving the group":
            return
        if self.leave_reason is not None:
            at = self.at(r)
            self.member_id, self.generation = "", -1
            self.set_state(at, UNJOINED, self.leave_reason)
            self.leave_reason = None

    def on_unregistered(self, i: int, r: _Record, v: dict) -> None:
        self.stopped(self.at(r))

    def on_config(self, r: _Record) -> None:
        c = r.config
        strategies = c.get("partition.assignment.strategy", "")
        cooperative = bool(strategies) and all("Cooperative" in s for s in re.findall(r"[\w.$]+Assignor", strategies))
        at = self.at(r)
        try:
            session = int(c.get("session.timeout.ms", "45000"))
            self.max_poll_interval_ms = int(c.get("max.poll.interval.ms", str(DEFAULT_MAX_POLL_INTERVAL_MS)))
        except ValueError as e:
            raise LogFormatError(f"a ConsumerConfig value is not a number: {e}", r.label, r.number) from None
        self.instance_id = c.get("group.instance.id") or self.instance_id
        if self.instance_id == "null":
            self.instance_id = None
        self.emit(at, ev.ConsumerStarted(at, self.name, False, c.get("client.id", self.name), self.instance_id,
                                         session, self.max_poll_interval_ms,
                                         "COOPERATIVE" if cooperative else "EAGER"))
