"""Conformance: replay a tapped group's requests into kafkalab's coordinator and compare the answers.

How it works
------------
:func:`conform` takes a tap trace (records, a :class:`~kafkalab.tap.Tap` or a trace file) and
hands every classic group request in it - JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
OffsetCommit, OffsetFetch - to a fresh :class:`kafkalab.Coordinator`, through its sans-IO
contract only (``handle``, ``on_timer``, ``next_deadline``):

* **at the observed times**: a request is handed over at the millisecond the tap read it, and
  the coordinator's timers fire in between, at their deadlines;
* **one request per connection at a time**, as a broker serves them: a request that the client
  sent on a connection whose previous request kafkalab has not answered yet waits for that answer
  (so a JoinGroup kafkalab holds longer than the real broker did delays what follows it), and
  requests that waited go on in the order the clients sent them, across connections too;
* **with the real broker's member ids**: member ids are random UUIDs, so kafkalab's would never
  match. The coordinator's ``new_member_id`` hook returns the member id the real broker put in
  its answer to the request being replayed, so both brokers hand out the same ids and the
  requests that follow (which carry the real ids) name the same members in both;
* **with generations translated**: when both brokers accept a JoinGroup, the pair (real
  generation, kafkalab generation) is remembered, and later requests carrying the real
  generation (SyncGroup, Heartbeat, OffsetCommit) are handed to kafkalab with kafkalab's. A broker
  that numbers its generations differently (tansu starts at 0) then shows that difference once per
  rebalance, instead of every later request failing with ILLEGAL_GENERATION.

Every kafkalab answer is compared with the real broker's answer to the same request: the error
code, and when both agree on it, the generation, leader, member id, protocol, members (by id;
their order is not part of the protocol), assignment, per-partition commit errors and fetched
offsets. For JoinGroup and SyncGroup - the requests a coordinator holds - how long each broker
held the request (from receiving it to answering it) is compared too, with a tolerance
(``time_tolerance_ms``, 1 s by default: the tap's clock is not the broker's, and a loaded machine
adds its own delays). Requests the real broker answered
NOT_COORDINATOR (or COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS) never reached a
coordinator and are not replayed.

The real broker's group configs cannot be seen on the wire: pass them (``config=`` or the
``group_*`` shortcuts). The defaults are Apache Kafka's.
"""

from __future__ import annotations

import collections
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import messages as m
from ..config import CoordinatorConfig
from ..consumer_protocol import decode_assignment
from ..coordinator import Coordinator
from ..errors import ErrorCode
from ..sim.events import format_partitions
from ..wire.codec import OffsetFetchBatch, OffsetFetchBatchResponse
from .trace import TapRecord, load_trace

__all__ = ["conform", "ConformanceReport", "Difference", "REPLAYED_APIS"]

REPLAYED_APIS = frozenset({"JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch"})
TIMED_APIS = frozenset({"JoinGroup", "SyncGroup"})
_NOT_A_COORDINATOR = {ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
                      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}
#: After the last request, timers keep firing until every replayed request is answered, for at most this long.
_HORIZON_MS = 600_000


@dataclass(frozen=True)
class Difference:
    """One way in which kafkalab's answer differs from the real broker's."""

    at: float              # seconds since the tap started (the request's time)
    client: str
    api: str
    field: str
    real: str
    kafkalab: str
    conn: int = 0
    correlation_id: int = 0
    note: str = ""


@dataclass
class ConformanceReport:
    """What :func:`conform` found. ``ok`` is true when no answer differs."""

    differences: list[Difference]
    replayed: int
    compared: int
    skipped: dict[str, int]
    unanswered: int
    config: CoordinatorConfig
    time_tolerance_ms: int
    coordinator: Coordinator = field(repr=False)

    @property
    def ok(self) -> bool:
        return not self.differences

    def kinds(self) -> collections.Counter:
        """``Counter({(api, field): count})`` of the differences."""
        return collections.Counter((d.api, d.field) for d in self.differences)

    def table(self, limit: Optional[int] = 60) -> str:
        """The report as text: a summary, the differences by kind, then each difference (at most ``limit``)."""
        cfg = self.config
        lines = [f"Replayed {self.replayed} group requests into kafkalab's coordinator "
                 f"(group.initial.rebalance.delay.ms={cfg.group_initial_rebalance_delay_ms}, "
                 f"group.min.session.timeout.ms={cfg.group_min_session_timeout_ms}, "
                 f"group.max.session.timeout.ms={cfg.group_max_session_timeout_ms}) and compared "
                 f"{self.compared} answers with the real broker's: "
                 + ("no differences." if self.ok else f"{len(self.differences)} differ.")]
        if self.skipped:
            lines.append("Not replayed: " + "; ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) + ".")
        if self.unanswered:
            lines.append(f"{self.unanswered} replayed requests had no answer from the real broker in the trace "
                         "(the trace ended or the connection closed first); they are not compared.")
        if self.ok:
            return "\n".join(lines)
        lines += ["", "Differences by kind:"]
        kinds: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
        for d in self.differences:
            kinds[(d.api, d.field)][(d.real, d.kafkalab)] += 1
        rows = []
        for (api, fld), pairs in sorted(kinds.items(), key=lambda kv: -sum(kv[1].values())):
            if fld == "held for":  # durations: one row with their ranges
                real = sorted(float(r.split()[0]) for r, _ in pairs.elements())
                ours = sorted(float(k.split()[0]) for _, k in pairs.elements())
                rows.append([str(sum(pairs.values())), api, fld, _span(real), _span(ours)])
                continue
            for (real, ours), n in pairs.most_common(3):
                rows.append([str(n), api, fld, real, ours])
            if len(pairs) > 3:
                rest = sum(pairs.values()) - sum(n for _, n in pairs.most_common(3))
                rows.append([str(rest), api, fld, "(other values)", ""])
        lines += _grid(["count", "api", "field", "real broker", "kafkalab"], rows)
        lines += ["", "Every difference:" if limit is None or len(self.differences) <= limit else
                  f"The first {limit} of {len(self.differences)} differences:"]
        shown = self.differences if limit is None else self.differences[:limit]
        lines += _grid(["time (s)", "client", "api", "field", "real broker", "kafkalab", "note"],
                       [[f"{d.at:.3f}", d.client, d.api, d.field, d.real, d.kafkalab, d.note] for d in shown])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _span(values: list[float]) -> str:
    return f"{values[0]:.2f} s" if values[0] == values[-1] else f"{values[0]:.2f}-{values[-1]:.2f} s"


def _grid(header: list[str], rows: list[list[str]], width: int = 48) -> list[str]:
    """A plain-text table; cells longer than ``width`` are cut (the last column never is)."""
    rows = [[c if len(c) <= width or i == len(row) - 1 else c[:width - 1] + "…" for i, c in enumerate(row)]
            for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


# ---------------------------------------------------------------- the replay

@dataclass
class _Item:
    index: int
    request: TapRecord
    response: Optional[TapRecord]
    parts: list                                   # the kafkalab requests (several for an OffsetFetch batch)
    answers: dict = field(default_factory=dict)   # part -> (response, time)
    delivered: Optional[int] = None

    @property
    def at(self) -> int:
        return int(round(self.request.t))

    @property
    def real_parts(self) -> list:
        if self.response is None or self.response.message is None:
            return []
        msg = self.response.message
        return [r for _, r in msg.groups] if isinstance(msg, OffsetFetchBatchResponse) else [msg]


class _Replay:
    def __init__(self, records: list[TapRecord], config: CoordinatorConfig, group: Optional[str],
                 tolerance_ms: int) -> None:
        self.config = config
        self.tolerance = tolerance_ms
        self.coordinator = Coordinator(config, new_member_id=self._member_id)
        self.differences: list[Difference] = []
        self.skipped: collections.Counter = collections.Counter()
        self.items: list[_Item] = []
        self.names: dict[str, str] = {}             # member id -> client name (from the real answers)
        self.generations: dict[int, int] = {}       # real generation -> kafkalab's
        self.handed_out: set[str] = set()
        self.current: Optional[_Item] = None
        self.compared = 0
        self.unanswered = 0
        self._collect(records, group)

    # ---------------------------------------------------------------- what to replay

    def _collect(self, records: list[TapRecord], group: Optional[str]) -> None:
        open_: dict[tuple, _Item] = {}
        for r in records:
            if r.kind == "request" and r.api is not None:
                key = (r.conn, r.correlation_id)
                if r.api not in REPLAYED_APIS:
                    self.skipped[f"{r.api} requests (not among the classic group requests conform replays)"
                                 if r.api != "FindCoordinator" else
                                 "FindCoordinator requests (answered by the cluster, not a coordinator)"] += 1
                    continue
                if r.message is None:
                    self.skipped[f"{r.api} v{r.version} requests (a version kafkalab does not model)"] += 1
                    continue
                parts = list(r.message.requests) if isinstance(r.message, OffsetFetchBatch) else [r.message]
                if group is not None and all(getattr(p, "group_id", None) != group for p in parts):
                    continue
                item = _Item(len(self.items), r, None, parts)
                open_[key] = item
                self.items.append(item)
            elif r.kind == "response":
                item = open_.pop((r.conn, r.correlation_id), None)
                if item is not None:
                    item.response = r
        kept = []
        for item in self.items:
            real = item.real_parts
            if item.response is not None and real and all(getattr(p, "error_code", None) in _NOT_A_COORDINATOR
                                                           for p in real):
                self.skipped["requests the real broker answered as a non-coordinator (NOT_COORDINATOR, "
                             "COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS)"] += 1
                continue
            if item.request.api == "JoinGroup":
                for p in real:
                    if p.member_id:
                        self.names.setdefault(p.member_id, item.request.client_id or f"client-{item.request.conn}")
            item.index = len(kept)
            kept.append(item)
        self.items = kept

    # ---------------------------------------------------------------- member ids

    def _member_id(self, prefix: str) -> str:
        item = self.current
        real = item.real_parts[0] if item is not None and item.real_parts else None
        member_id = getattr(real, "member_id", "") if isinstance(real, m.JoinGroupResponse) else ""
        if not member_id or member_id in self.handed_out:
            member_id = f"{prefix}-kafkalab-{len(self.handed_out) + 1}"
        self.handed_out.add(member_id)
        return member_id

    # ---------------------------------------------------------------- running

    def run(self) -> None:
        """Hand the requests over in time order, one at a time per connection, with the timers in between.

        Requests that arrived while their connection waited for an answer queue up; whenever
        connections are free, the earliest-sent request among their queues goes first, so
        requests keep the order the clients sent them in, also across connections.
        """
        coordinator = self.coordinator
        busy: dict[int, _Item] = {}
        queues: dict[int, collections.deque] = collections.defaultdict(collections.deque)
        now = 0
        i = 0
        end = self.items[-1].at if self.items else 0

        def answered(replies: list, now: int) -> None:
            for reply in replies:
                index, part = reply.origin
                item = self.items[index]
                item.answers[part] = (reply.response, now)
                if len(item.answers) == len(item.parts):
                    self._compare(item)
                    if busy.get(item.request.conn) is item:
                        del busy[item.request.conn]

        def send_ready(now: int) -> None:
            while True:
                heads = [q[0] for conn, q in queues.items() if q and conn not in busy]
                if not heads:
                    return
                item = min(heads, key=lambda x: x.index)
                queues[item.request.conn].popleft()
                busy[item.request.conn] = item
                item.delivered = now
                self.current = item
                replies = []
                try:
                    for j, part in enumerate(item.parts):
                        replies += coordinator.handle(self._translate(part), (item.index, j), now)
                finally:
                    self.current = None
                answered(replies, now)

        while True:
            arrival = self.items[i].at if i < len(self.items) else None
            deadline = coordinator.next_deadline()
            if deadline is not None and (arrival is None or deadline <= arrival):
                if arrival is None and (not busy or deadline > end + _HORIZON_MS):
                    break
                now = max(now, deadline)
                answered(coordinator.on_timer(now), now)
            elif arrival is not None:
                now = max(now, arrival)
                while i < len(self.items) and self.items[i].at <= now:
                    queues[self.items[i].request.conn].append(self.items[i])
                    i += 1
            else:
                break
            send_ready(now)
        for item in self.items:
            if len(item.answers) < len(item.parts) and item.response is not None and item.real_parts:
                self._differ(item, "answer", _summary(item.real_parts[0]), "no answer",
                             "kafkalab had not answered when the replay ended")

    def _translate(self, request: Any) -> Any:
        gen = getattr(request, "generation_id", None)
        if gen is not None and gen in self.generations and self.generations[gen] != gen:
            return dataclasses.replace(request, generation_id=self.generations[gen])
        return request

    # ---------------------------------------------------------------- comparing

    def _differ(self, item: _Item, fld: str, real: str, ours: str, note: str = "") -> None:
        r = item.request
        self.differences.append(Difference(r.t / 1000, r.client_id or f"client-{r.conn}", r.api, fld, real, ours,
                                           r.conn, r.correlation_id, note))

    def _name(self, member_id: Optional[str]) -> str:
        if not member_id:
            return "(none)"
        return self.names.get(member_id, member_id if len(member_id) <= 24 else member_id[:23] + "…")

    def _compare(self, item: _Item) -> None:
        if item.response is None:
            self.unanswered += 1
            return
        reals = item.real_parts
        if not reals:
            return  # the real answer did not decode (the trace has an error record for it)
        self.compared += 1
        ours_parts = [item.answers[j][0] for j in range(len(item.parts))]
        for real, ours in zip(reals, ours_parts):
            self._compare_one(item, real, ours)
        if item.request.api in TIMED_APIS:
            # How long each broker held the request: from when it got it to when it answered.
            real_held = item.response.t - item.request.t
            ours_held = max(at for _, at in item.answers.values()) - item.delivered
            if abs(real_held - ours_held) > self.tolerance:
                note = ""
                session = getattr(item.parts[0], "session_timeout_ms", None)
                if session:
                    note = f"the real broker held it {real_held / session:.2f} x the session timeout"
                self._differ(item, "held for", f"{real_held / 1000:.2f} s", f"{ours_held / 1000:.2f} s", note)

    def _compare_one(self, item: _Item, real: Any, ours: Any) -> None:
        api = item.request.api
        if api == "OffsetCommit":
            a, b = _commit_errors(real), _commit_errors(ours)
            if a != b:
                self._differ(item, "partition errors", _codes(a), _codes(b))
            return
        if _code(real.error_code) != _code(ours.error_code):
            note = ""
            if api == "JoinGroup":
                note = f"generation {real.generation_id} vs {ours.generation_id}"
            self._differ(item, "error_code", _code(real.error_code), _code(ours.error_code), note)
            return
        if api == "JoinGroup":
            if real.member_id != ours.member_id:
                self._differ(item, "member_id", self._name(real.member_id), self._name(ours.member_id))
            if real.error_code == ErrorCode.NONE:
                self.generations.setdefault(real.generation_id, ours.generation_id)
                if real.generation_id != ours.generation_id:
                    self._differ(item, "generation_id", str(real.generation_id), str(ours.generation_id))
                if real.leader != ours.leader:
                    self._differ(item, "leader", self._name(real.leader), self._name(ours.leader))
                if real.protocol_name != ours.protocol_name:
                    self._differ(item, "protocol_name", str(real.protocol_name), str(ours.protocol_name))
                a = sorted(x.member_id for x in real.members)
                b = sorted(x.member_id for x in ours.members)
                if a != b:
                    self._differ(item, "members", ", ".join(map(self._name, a)) or "(none)",
                                 ", ".join(map(self._name, b)) or "(none)")
        elif api == "SyncGroup" and real.error_code == ErrorCode.NONE:
            a, b = _assignment(real.assignment), _assignment(ours.assignment)
            if a != b:
                self._differ(item, "assignment", a, b)
            if real.protocol_name is not None and ours.protocol_name is not None \
                    and real.protocol_name != ours.protocol_name:
                self._differ(item, "protocol_name", real.protocol_name, ours.protocol_name)
        elif api == "LeaveGroup":
            a = sorted((x.member_id, x.group_instance_id or "", _code(x.error_code)) for x in real.members)
            b = sorted((x.member_id, x.group_instance_id or "", _code(x.error_code)) for x in ours.members)
            if a != b:
                self._differ(item, "members", _leaves(a, self._name), _leaves(b, self._name))
        elif api == "OffsetFetch":
            a, b = _fetched(real), _fetched(ours)
            if a != b:
                self._differ(item, "offsets", _offsets(a), _offsets(b))


def _code(code: Any) -> str:
    return code.name if isinstance(code, ErrorCode) else str(code)


def _summary(message: Any) -> str:
    code = getattr(message, "error_code", None)
    return f"{type(message).__name__} {_code(code)}" if code is not None else type(message).__name__


def _commit_errors(message: Any) -> dict:
    return {(t.name, p.partition_index): _code(p.error_code) for t in message.topics for p in t.partitions}


def _codes(errors: dict) -> str:
    by_code: dict[str, list] = collections.defaultdict(list)
    for tp, code in sorted(errors.items()):
        by_code[code].append(tp)
    return "; ".join(f"{code}: {format_partitions(tps)}" for code, tps in sorted(by_code.items())) or "(none)"


def _fetched(message: Any) -> dict:
    return {(t.name, p.partition_index): (p.committed_offset, _code(p.error_code))
            for t in message.topics for p in t.partitions}


def _offsets(fetched: dict) -> str:
    return ", ".join(f"{t}-{p}@{off}" + ("" if code == "NONE" else f" {code}")
                     for (t, p), (off, code) in sorted(fetched.items())) or "(none)"


def _assignment(raw: bytes) -> str:
    if not raw:
        return "(empty)"
    try:
        return format_partitions(decode_assignment(raw).assigned_partitions)
    except ValueError:
        return f"{len(raw)} bytes (not a consumer assignment)"


def _leaves(entries: list, name: Any) -> str:
    return ", ".join(f"{name(mid) if mid else inst} {code}" for mid, inst, code in entries) or "(none)"


def conform(trace: Any, config: Optional[CoordinatorConfig] = None, *, group: Optional[str] = None,
            time_tolerance_ms: int = 1000, group_initial_rebalance_delay_ms: Optional[int] = None,
            group_min_session_timeout_ms: Optional[int] = None,
            group_max_session_timeout_ms: Optional[int] = None) -> ConformanceReport:
    """Replay a tap trace's group requests into kafkalab's coordinator and compare every answer.

    Args:
        trace: a :class:`~kafkalab.tap.Tap`, its records, or a trace file's path.
        config: the real broker's group configs (Apache Kafka's defaults when omitted); the
            ``group_*`` arguments override single fields of it.
        group: replay only this group's requests (default: every group in the trace).
        time_tolerance_ms: how far the time of a JoinGroup or SyncGroup answer may differ.

    Raises:
        kafkalab.tap.trace.TraceFileError: the trace file cannot be read.
        ValueError: a bad config value or tolerance.
    """
    if isinstance(time_tolerance_ms, bool) or not isinstance(time_tolerance_ms, int) or time_tolerance_ms < 0:
        raise ValueError(f"time_tolerance_ms must be an int >= 0, got {time_tolerance_ms!r}")
    config = config if config is not None else CoordinatorConfig()
    overrides = {k: v for k, v in (("group_initial_rebalance_delay_ms", group_initial_rebalance_delay_ms),
                                   ("group_min_session_timeout_ms", group_min_session_timeout_ms),
                                   ("group_max_session_timeout_ms", group_max_session_timeout_ms)) if v is not None}
    if overrides:
        config = dataclasses.replace(config, **overrides)
    records = load_trace(trace.records if hasattr(trace, "records") else trace)
    replay = _Replay(records, config, group, time_tolerance_ms)
    replay.run()
    replay.differences.sort(key=lambda d: (d.at, d.conn, d.correlation_id))
    return ConformanceReport(replay.differences, len(replay.items), replay.compared, dict(replay.skipped),
                             replay.unanswered, config, time_tolerance_ms, replay.coordinator)
