"""A model of Kafka's Java consumer (classic protocol) and a world that drives a Coordinator.

Used by ``tests/test_coordinator_properties.py``.  Nothing here is part of kafkalab: it is a
test double written from docs/classic-protocol.md §12 (``AbstractCoordinator`` / ``ConsumerCoordinator``):

* JoinGroup answers: NONE -> COMPLETING_REBALANCE, the leader runs a plain range assignor over
  :data:`TOPICS` and sends every assignment in SyncGroup, followers send an empty SyncGroup;
  MEMBER_ID_REQUIRED -> retry at once with the returned id; UNKNOWN_MEMBER_ID -> reset generation
  and member id, retry at once; REBALANCE_IN_PROGRESS -> retry at once; coordinator errors -> retry
  after ``retry.backoff.ms``; anything else is fatal (the client stops).
* SyncGroup answers: NONE -> STABLE with the assignment; REBALANCE_IN_PROGRESS -> rejoin;
  UNKNOWN_MEMBER_ID -> reset generation and member id, rejoin; ILLEGAL_GENERATION -> reset the
  generation, keep the member id, rejoin; coordinator errors -> rejoin after backoff; else fatal.
* Heartbeats every ``heartbeat.interval.ms`` while COMPLETING_REBALANCE or STABLE; answers:
  REBALANCE_IN_PROGRESS -> rejoin if STABLE (ignored while COMPLETING_REBALANCE);
  ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID -> reset and rejoin unless the generation changed since the
  heartbeat was sent; FENCED_INSTANCE_ID -> fatal.
* Eager rebalancing: every partition is revoked before a JoinGroup is sent.
* Request timeouts: JoinGroup ``max(request.timeout.ms, rebalance timeout + 5000)``, SyncGroup
  ``request.timeout.ms``; on timeout the request is abandoned and the client rejoins.
* Dynamic members send LeaveGroup when they close; static members just stop (§9).

:class:`World` owns the virtual clock, sends every request with a unique ``origin``, delivers the
replies, and after **every** call into the coordinator checks the invariants listed in
:meth:`World.check`.  A failed invariant raises ``AssertionError`` with the trace tail.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Optional

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode, GroupState, Trigger
from kafkalab.messages import (
    DescribeGroupsResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    ListGroupsResponse,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from kafkalab.classic.state import TRANSITIONS, TRANSITIONS_TO_EMPTY
from kafkalab.timers import HeartbeatTimer, JoinTimer, OffsetsExpiryTimer, SyncTimer
from kafkalab.trace import GroupView

E = ErrorCode
S = GroupState

GROUP = "orders"
TOPICS = {"t0": 4, "t1": 3}
ALL_PARTITIONS = frozenset((t, p) for t, n in TOPICS.items() for p in range(n))
RETRY_BACKOFF_MS = 100
REQUEST_TIMEOUT_MS = 30_000

#: Codes documented for each API (docs/classic-protocol.md §3 and §6-§10).  UNKNOWN_SERVER_ERROR is the
#: documented internal error of §6.2 (a pending member id rejoining with a group.instance.id) and a
#: mapped storage error (§3); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR are also mapped storage errors.
DOCUMENTED: dict[str, frozenset] = {
    "JoinGroup": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                            E.INVALID_GROUP_ID, E.INVALID_SESSION_TIMEOUT, E.INCONSISTENT_GROUP_PROTOCOL,
                            E.UNKNOWN_MEMBER_ID, E.GROUP_MAX_SIZE_REACHED, E.MEMBER_ID_REQUIRED,
                            E.FENCED_INSTANCE_ID, E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED}),
    "SyncGroup": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                            E.INVALID_GROUP_ID, E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION,
                            E.INCONSISTENT_GROUP_PROTOCOL, E.REBALANCE_IN_PROGRESS, E.FENCED_INSTANCE_ID,
                            E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED}),
    "Heartbeat": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.INVALID_GROUP_ID,
                            E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION, E.REBALANCE_IN_PROGRESS,
                            E.FENCED_INSTANCE_ID, E.GROUP_AUTHORIZATION_FAILED}),
    "LeaveGroup": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                             E.INVALID_GROUP_ID, E.UNKNOWN_MEMBER_ID, E.FENCED_INSTANCE_ID,
                             E.GROUP_AUTHORIZATION_FAILED}),
    "OffsetCommit": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                               E.INVALID_GROUP_ID, E.OFFSET_METADATA_TOO_LARGE, E.ILLEGAL_GENERATION,
                               E.UNKNOWN_MEMBER_ID, E.REBALANCE_IN_PROGRESS, E.GROUP_ID_NOT_FOUND,
                               E.FENCED_INSTANCE_ID, E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED}),
    "OffsetFetch": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                              E.INVALID_GROUP_ID, E.UNSTABLE_OFFSET_COMMIT, E.GROUP_AUTHORIZATION_FAILED}),
    "DescribeGroups": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR,
                                 E.COORDINATOR_LOAD_IN_PROGRESS, E.GROUP_AUTHORIZATION_FAILED}),
    "ListGroups": frozenset({E.NONE, E.COORDINATOR_NOT_AVAILABLE}),
}

RESPONSE_OF = {
    "JoinGroup": JoinGroupResponse, "SyncGroup": SyncGroupResponse, "Heartbeat": HeartbeatResponse,
    "LeaveGroup": LeaveGroupResponse, "OffsetCommit": OffsetCommitResponse, "OffsetFetch": OffsetFetchResponse,
    "DescribeGroups": DescribeGroupsResponse, "ListGroups": ListGroupsResponse,
}


def response_codes(response) -> list:
    """Every error code an answer carries (top level, per member, per partition, per group)."""
    codes = []
    if hasattr(response, "error_code"):
        codes.append(response.error_code)
    if isinstance(response, LeaveGroupResponse):
        codes += [m.error_code for m in response.members]
    if isinstance(response, (OffsetCommitResponse, OffsetFetchResponse)):
        codes += [p.error_code for t in response.topics for p in t.partitions]
    if isinstance(response, DescribeGroupsResponse):
        codes += [g.error_code for g in response.groups]
    return codes


# ---------------------------------------------------------------------------- the consumer protocol, simplified

def encode_subscription(topics) -> bytes:
    return ("sub:" + ",".join(sorted(topics))).encode()


@functools.lru_cache(maxsize=1024)
def decode_subscription(metadata: bytes) -> tuple[str, ...]:
    if not metadata.startswith(b"sub:"):
        return ()  # not ours (a rogue's junk): subscribed to nothing
    return tuple(t for t in metadata[4:].decode("utf-8", "replace").split(",") if t in TOPICS)


def encode_assignment(partitions) -> bytes:
    return json.dumps(sorted([t, p] for t, p in partitions)).encode()


@functools.lru_cache(maxsize=4096)
def decode_assignment(data: bytes) -> frozenset:
    """``b""`` (no assignment yet) and ``b"[]"`` both decode to the empty set."""
    if not data:
        return frozenset()
    return frozenset((t, p) for t, p in json.loads(data))


def range_assign(members) -> dict[str, bytes]:
    """The leader's assignor: per topic, members subscribed to it (static first by instance id, then
    dynamic by member id, §13), each gets a consecutive range, the first ``P mod C`` one more."""
    order = sorted(members, key=lambda m: (m.group_instance_id is None, m.group_instance_id or "", m.member_id))
    subs = {m.member_id: decode_subscription(m.metadata) for m in order}
    out: dict[str, list] = {m.member_id: [] for m in order}
    for topic, n in sorted(TOPICS.items()):
        consumers = [m.member_id for m in order if topic in subs[m.member_id]]
        if not consumers:
            continue
        quota, extra = divmod(n, len(consumers))
        start = 0
        for i, member_id in enumerate(consumers):
            count = quota + (1 if i < extra else 0)
            out[member_id] += [(topic, p) for p in range(start, start + count)]
            start += count
    return {m: encode_assignment(parts) for m, parts in out.items()}


# ---------------------------------------------------------------------------- the model client

UNJOINED, PREPARING, COMPLETING, STABLE = "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE"
COORDINATOR_ERRORS = {E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS}


@dataclass(frozen=True)
class ClientSpec:
    name: str
    instance_id: Optional[str]
    join_version: int
    session_timeout_ms: int
    rebalance_timeout_ms: int
    heartbeat_interval_ms: int
    topics: tuple[str, ...]
    #: how long the application takes to come back to ``poll()``: the leader's assignment and every
    #: SyncGroup go out that much after the JoinGroup answer, and a rejoin asked for by a heartbeat
    #: answer waits for it too (the heartbeat thread only flags it, §12).
    poll_delay_ms: int = 0

    @property
    def sync_version(self) -> int:
        return 5 if self.join_version >= 7 else 3


class ModelClient:
    """One Java consumer process (one ``incarnation`` per start/restart)."""

    def __init__(self, spec: ClientSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.status = "idle"  # idle | active | crashed | closed | fatal
        self.incarnation = 0
        self.fatal_error: Optional[ErrorCode] = None
        # The subscription survives a restart (same application, same config).  A static member that
        # came back with a *different* subscription would rejoin Stable without a rebalance (§6.3:
        # only a change of the selected protocol rebalances), and nobody would ever assign the new
        # topics -- Kafka's behaviour, but not what the convergence property is about.
        self.topics = spec.topics
        self._reset()

    def _reset(self) -> None:
        self.state = UNJOINED
        self.member_id = ""
        self.generation = -1
        self.protocol: Optional[str] = None
        self.join_origin = None
        self.join_deadline: Optional[int] = None
        self.sync_origin = None
        self.sync_deadline: Optional[int] = None
        self.next_heartbeat_at: Optional[int] = None
        #: what the next ``poll()`` does, and when: ``(at, "join" | "sync", assignments)``
        self.deferred: Optional[tuple] = None
        self.paused_until: Optional[int] = None
        self.inbox: deque = deque()
        self.owned: frozenset = frozenset()
        self.owned_generation = -1

    # -- lifecycle
    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def paused(self) -> bool:
        return self.paused_until is not None

    def start(self, world: "World") -> None:
        if self.status == "idle":
            self.status = "active"
            self.send_join(world)

    def restart(self, world: "World") -> None:
        if self.status in ("crashed", "closed", "fatal"):
            self.incarnation += 1
            self._reset()
            self.status = "active"
            self.fatal_error = None
            self.send_join(world)

    def crash(self) -> None:
        if self.status == "active":
            self.status = "crashed"

    def pause(self, world: "World", ms: int) -> None:
        if self.active:
            self.paused_until = max(self.paused_until or 0, world.now + ms)

    def close(self, world: "World", leave_version: int) -> None:
        """``consumer.close()``: a dynamic member sends LeaveGroup; a static one just stops."""
        if not self.active or self.paused:
            return
        if self.spec.instance_id is None and self.member_id:
            if leave_version >= 3:
                req = LeaveGroupRequest(group_id=GROUP, api_version=leave_version,
                                        members=(MemberIdentity(self.member_id, None),))
            else:
                req = LeaveGroupRequest(group_id=GROUP, api_version=leave_version, member_id=self.member_id)
            world.send(self, req)
        self.status = "closed"

    def _fatal(self, code) -> None:
        self.status = "fatal"
        self.fatal_error = code

    # -- requests
    def send_join(self, world: "World") -> None:
        self.owned = frozenset()  # eager: revoke everything before rejoining
        self.state = PREPARING
        self.sync_origin = self.sync_deadline = None
        self.next_heartbeat_at = None
        self.deferred = None
        meta = encode_subscription(self.topics)
        req = JoinGroupRequest(
            group_id=GROUP, session_timeout_ms=self.spec.session_timeout_ms,
            rebalance_timeout_ms=self.spec.rebalance_timeout_ms, member_id=self.member_id,
            group_instance_id=self.spec.instance_id, protocol_type="consumer",
            protocols=(JoinGroupRequestProtocol("range", meta), JoinGroupRequestProtocol("roundrobin", meta)),
            api_version=self.spec.join_version, client_id=self.name)
        self.join_origin = None
        origin = world.send(self, req)
        self.join_origin = origin
        self.join_deadline = world.now + max(REQUEST_TIMEOUT_MS, self.spec.rebalance_timeout_ms + 5_000)

    def _send_sync(self, world: "World", assignments: dict[str, bytes]) -> None:
        v = self.spec.sync_version
        req = SyncGroupRequest(
            group_id=GROUP, generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.spec.instance_id,
            protocol_type="consumer" if v >= 5 else None, protocol_name=self.protocol if v >= 5 else None,
            assignments=tuple(SyncGroupRequestAssignment(m, a) for m, a in assignments.items()), api_version=v)
        self.sync_origin = world.send(self, req)
        self.sync_deadline = world.now + REQUEST_TIMEOUT_MS

    def heartbeat(self, world: "World") -> None:
        if self.active and not self.paused and self.state in (COMPLETING, STABLE):
            world.send(self, HeartbeatRequest(group_id=GROUP, generation_id=self.generation,
                                              member_id=self.member_id, group_instance_id=self.spec.instance_id,
                                              api_version=4))

    def commit(self, world: "World") -> None:
        if self.active and not self.paused and self.state == STABLE and self.owned:
            by_topic: dict[str, list] = {}
            for t, p in sorted(self.owned):
                by_topic.setdefault(t, []).append(OffsetCommitRequestPartition(p, world.now))
            world.send(self, OffsetCommitRequest(
                group_id=GROUP, generation_id=self.generation, member_id=self.member_id,
                group_instance_id=self.spec.instance_id, api_version=8,
                topics=tuple(OffsetCommitRequestTopic(t, tuple(ps)) for t, ps in by_topic.items())))

    def request_rejoin(self, world: "World", change_subscription: bool) -> None:
        """The application changed its subscription, or (leader) topic metadata changed."""
        if self.active and not self.paused and self.state == STABLE:
            if change_subscription:
                self.topics = ("t0",) if self.topics != ("t0",) else ("t0", "t1")
            self.send_join(world)

    # -- answers
    def on_reply(self, world: "World", origin, request, response) -> None:
        if isinstance(response, JoinGroupResponse):
            if origin == self.join_origin:
                self.join_origin = self.join_deadline = None
                self._on_join(world, response)
        elif isinstance(response, SyncGroupResponse):
            if origin == self.sync_origin:
                self.sync_origin = self.sync_deadline = None
                self._on_sync(world, response)
        elif isinstance(response, HeartbeatResponse):
            self._on_member_error(world, request, response.error_code)
        elif isinstance(response, OffsetCommitResponse):
            codes = {p.error_code for t in response.topics for p in t.partitions}
            if len(codes) == 1:
                self._on_member_error(world, request, codes.pop())

    def _rejoin_after_backoff(self, world: "World") -> None:
        self.state = UNJOINED
        self.deferred = (world.now + RETRY_BACKOFF_MS, "join", None)

    def _next_poll(self, world: "World", what: str, assignments=None) -> None:
        if self.spec.poll_delay_ms == 0:
            self._do(world, what, assignments)
        else:
            self.deferred = (world.now + self.spec.poll_delay_ms, what, assignments)

    def _do(self, world: "World", what: str, assignments) -> None:
        self.deferred = None
        if what == "join":
            self.send_join(world)
        else:
            self._send_sync(world, assignments)

    def _on_join(self, world: "World", resp: JoinGroupResponse) -> None:
        code = resp.error_code
        if code is E.NONE:
            self.generation = resp.generation_id
            self.member_id = resp.member_id
            self.protocol = resp.protocol_name
            self.state = COMPLETING
            self.next_heartbeat_at = world.now + self.spec.heartbeat_interval_ms
            if resp.leader == self.member_id and not resp.skip_assignment:
                self._next_poll(world, "sync", range_assign(resp.members))
            else:
                self._next_poll(world, "sync", {})
        elif code is E.MEMBER_ID_REQUIRED:
            self.member_id = resp.member_id
            self.send_join(world)
        elif code is E.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
            self.send_join(world)
        elif code is E.REBALANCE_IN_PROGRESS:
            self.send_join(world)
        elif code in COORDINATOR_ERRORS:
            self._rejoin_after_backoff(world)
        else:
            self._fatal(code)

    def _on_sync(self, world: "World", resp: SyncGroupResponse) -> None:
        code = resp.error_code
        if code is E.NONE:
            self.state = STABLE
            self.owned = decode_assignment(resp.assignment)
            self.owned_generation = self.generation
        elif code is E.REBALANCE_IN_PROGRESS:
            self.send_join(world)
        elif code is E.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
            self.send_join(world)
        elif code is E.ILLEGAL_GENERATION:
            self.generation = -1
            self.send_join(world)
        elif code in COORDINATOR_ERRORS:
            self._rejoin_after_backoff(world)
        else:
            self._fatal(code)

    def _on_member_error(self, world: "World", request, code) -> None:
        """Heartbeat and OffsetCommit answers (ignored when the generation moved on meanwhile)."""
        if self.state not in (COMPLETING, STABLE):
            return
        if request.generation_id != self.generation or request.member_id != self.member_id:
            return
        if code is E.REBALANCE_IN_PROGRESS:
            if self.state == STABLE:
                self._next_poll(world, "join")
        elif code is E.ILLEGAL_GENERATION:
            self.generation = -1
            self.state = UNJOINED
            self._next_poll(world, "join")
        elif code is E.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
            self.state = UNJOINED
            self._next_poll(world, "join")
        elif code is E.FENCED_INSTANCE_ID:
            self._fatal(code)

    # -- time
    def next_event_time(self) -> Optional[int]:
        if self.status != "active":
            return None
        if self.paused:
            return self.paused_until
        times = [self.join_deadline, self.sync_deadline, self.deferred[0] if self.deferred else None]
        if self.state in (COMPLETING, STABLE):
            times.append(self.next_heartbeat_at)
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def tick(self, world: "World") -> None:
        """Do whatever is due at ``world.now``."""
        now = world.now
        if self.status != "active":
            return
        if self.paused:
            if self.paused_until > now:
                return
            self.paused_until = None
            world.pump()  # the answers that arrived during the pause are read first
            if self.status != "active":
                return
        if self.join_deadline is not None and self.join_deadline <= now:
            self.join_origin = self.join_deadline = None  # abandoned: the answer, if any, is ignored
            self.send_join(world)
        if self.sync_deadline is not None and self.sync_deadline <= now:
            self.sync_origin = self.sync_deadline = None
            self.send_join(world)
        if self.deferred is not None and self.deferred[0] <= now:
            _at, what, assignments = self.deferred
            self._do(world, what, assignments)
        if self.state in (COMPLETING, STABLE) and self.next_heartbeat_at is not None \
                and self.next_heartbeat_at <= now:
            self.next_heartbeat_at = now + self.spec.heartbeat_interval_ms
            self.heartbeat(world)


# ---------------------------------------------------------------------------- the world

@dataclass
class Sent:
    origin: Any
    sender: Any  # a ModelClient, or "rogue" / "admin"
    request: Any
    at: int
    parked_member: Optional[str] = None


@dataclass
class Stats:
    states: Counter = field(default_factory=Counter)
    transitions: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    lost: Counter = field(default_factory=Counter)
    calls: int = 0


class World:
    """A virtual clock, the coordinator, the clients, and the invariants."""

    def __init__(self, config: CoordinatorConfig, specs: list[ClientSpec]) -> None:
        counter = itertools.count(1)
        self.coord = Coordinator(config, new_member_id=lambda prefix: f"{prefix}-m{next(counter)}")
        self.config = config
        self.now = 0
        self.coord_time = 0
        self.clients = [ModelClient(s) for s in specs]
        self.outstanding: dict[Any, Sent] = {}
        self.answered: set = set()
        self._seq = itertools.count()
        self._trace_pos = 0
        #: the group folded from the coordinator's records alone (kafkalab.trace.GroupView)
        self.view = GroupView(GROUP)
        self.state: Optional[GroupState] = None
        self.last_generation = -1
        #: what the last accepted leader SyncGroup asked to store: (generation, sorted assignments)
        self.written: Optional[tuple[int, list[bytes]]] = None
        self.known_ids: dict[str, None] = {}
        self._answered_entry: Optional[Sent] = None
        self._created_now = False
        self._changes_now: list = []
        self._joined_now: set = set()
        self._members_before: Optional[set] = set()
        self._pending_before: Optional[set] = set()
        self.stats = Stats()

    # ------------------------------------------------------------------ requests and replies

    def send(self, sender, request) -> Any:
        name = sender.name if isinstance(sender, ModelClient) else sender
        incarnation = sender.incarnation if isinstance(sender, ModelClient) else 0
        origin = (name, incarnation, next(self._seq))
        self.outstanding[origin] = Sent(origin, sender, request, self.now)
        self.coord_time = self.now
        group = self.coord.groups.get(GROUP)
        self._members_before = set(group.members) if group is not None else set()
        self._pending_before = set(group.pending_join_members) if group is not None else set()
        replies = self.coord.handle(request, origin, self.now)
        self.after_call(replies, sent=origin)
        return origin

    def on_timer(self, now: int) -> None:
        self.now = self.coord_time = now
        before = len(self.coord.trace)
        replies = self.coord.on_timer(now)
        fired = [e for e in self.coord.trace[before:] if type(e).__name__ == "TimerFired"]
        assert fired, f"next_deadline() said {now} but on_timer({now}) fired nothing"
        self._members_before = self._pending_before = None
        self.after_call(replies)

    def probe(self, t: int) -> None:
        """``next_deadline()`` must not lie: before it, ``on_timer`` does nothing."""
        deadline = self.coord.next_deadline()
        assert deadline is None or t < deadline
        before = len(self.coord.trace)
        replies = self.coord.on_timer(t)
        self.coord_time = t
        assert replies == [] and len(self.coord.trace) == before, \
            f"on_timer({t}) before next_deadline()={deadline} did something"

    def after_call(self, replies, sent=None) -> None:
        self.stats.calls += 1
        group = self.coord.groups.get(GROUP)
        self._check_trace(sent)
        answered_now = set()
        #: member ids whose JoinGroup was answered NONE in this call
        self._joined_now = {r.response.member_id for r in replies
                            if isinstance(r.response, JoinGroupResponse) and r.response.error_code is E.NONE}
        for reply in replies:
            origin = reply.origin
            assert origin in self.outstanding, (
                f"reply to {origin}, which is not an outstanding request "
                f"({'answered twice' if origin in self.answered else 'never sent'}): {reply.response}")
            entry = self.outstanding.pop(origin)
            self.answered.add(origin)
            if origin == sent:
                self._answered_entry = entry
            answered_now.add(origin)
            api = entry.request.API
            assert isinstance(reply.response, RESPONSE_OF[api]), (api, reply.response)
            for code in response_codes(reply.response):
                self.stats.codes[(api, code.name if hasattr(code, "name") else code)] += 1
                assert code in DOCUMENTED[api], f"{api} answered with undocumented {code!r}: {reply.response}"
            self._check_answer(entry, reply.response, group)
            sender = entry.sender
            if isinstance(sender, ModelClient) and sender.active and sender.incarnation == origin[1]:
                sender.inbox.append((origin, entry.request, reply.response))
        if sent is not None and sent not in answered_now:
            member = self._parked_on(group, sent)
            assert member is not None, (
                f"{self.outstanding[sent].request} got no answer and is not parked on any member")
            self.outstanding[sent].parked_member = member
        self._check_parked(group, sent)
        self.check(group)
        if group is not None:
            self._check_call_effects(group, sent)

    def _parked_on(self, group, origin) -> Optional[str]:
        if group is None:
            return None
        for m in group.members.values():
            for parked in (m.awaiting_join, m.awaiting_sync):
                if parked is not None and parked.origin == origin:
                    return m.member_id
        return None

    def _check_parked(self, group, sent=None) -> None:
        """A parked JoinGroup/SyncGroup is answered, still parked, or dropped as Kafka does."""
        newer = self.outstanding.get(sent) or (self._answered_entry if sent in self.answered else None)
        for origin, entry in list(self.outstanding.items()):
            if entry.parked_member is None:
                continue
            member = group.members.get(entry.parked_member) if group is not None else None
            is_join = entry.request.API == "JoinGroup"
            slot = None if member is None else (member.awaiting_join if is_join else member.awaiting_sync)
            if slot is not None and slot.origin == origin:
                continue
            if slot is not None or (newer is not None and newer.request.API == entry.request.API
                                    and newer.request.member_id == entry.parked_member):
                # §6.4: a JoinGroup parked again by the same member drops the earlier one unanswered
                # (Kafka's setAwaitingSyncFuture does the same for a second SyncGroup); the newer one
                # may have been answered in the same call (it completed the join phase).
                reason = "superseded"
            elif member is None and not is_join:
                reason = "member gone"  # e.g. it left while its SyncGroup was parked (§9)
            else:
                raise AssertionError(
                    f"parked {entry.request.API} {origin} of {entry.parked_member} vanished without an answer "
                    f"(member {'gone' if member is None else 'still there'})\n{self.trace_tail()}")
            self.stats.lost[(entry.request.API, reason)] += 1
            del self.outstanding[origin]

    def _check_answer(self, entry: Sent, response, group) -> None:
        """Answer contents that must agree with the group right after the call (§6.11, §7, §8)."""
        req = entry.request
        if isinstance(response, JoinGroupResponse):
            self._check_join_answer(entry, response, group)
        elif isinstance(response, SyncGroupResponse):
            v = req.api_version
            if response.error_code is E.NONE:
                member = group.members[req.member_id]
                assert response.assignment == member.assignment
                assert group.state is S.STABLE
                if v >= 5:
                    assert (response.protocol_type, response.protocol_name) == \
                        (group.protocol_type, group.protocol_name), response
            if v < 5 or response.error_code is not E.NONE:
                assert response.protocol_type is None and response.protocol_name is None, response
        elif isinstance(response, HeartbeatResponse):
            if response.error_code in (E.NONE, E.REBALANCE_IN_PROGRESS):
                # §8: an accepted heartbeat restarts the session timer
                member = group.members[req.member_id]
                timer = self.coord.timers.get(HeartbeatTimer(GROUP, req.member_id))
                assert timer is not None and timer.deadline == self.now + member.session_timeout_ms, timer

    def _check_join_answer(self, entry: Sent, response: JoinGroupResponse, group) -> None:
        req = entry.request
        v = req.api_version
        code = response.error_code
        # §6.11 / Kafka's JoinGroupResponse: protocol_type only from v7; protocol_name "" before v7
        # when absent, null from v7; skip_assignment only from v9.
        if v < 7:
            assert response.protocol_type is None, response
            assert response.protocol_name is not None, response
        else:
            assert response.protocol_name != "", response
        if v < 9:
            assert response.skip_assignment is False
        if code is E.NONE:
            assert group is not None and response.member_id in group.members, response
            assert response.generation_id == group.generation_id, (response, group.generation_id)
            assert (response.protocol_name or None) == group.protocol_name, response
            if v >= 7:
                assert response.protocol_type == group.protocol_type, response
            static_rejoin = req.member_id == "" and req.group_instance_id is not None
            if not static_rejoin:  # v<9 static rejoin in Stable echoes the *old* leader id (§6.3)
                assert response.leader == group.leader_id, (response, group.leader_id)
                assert not response.skip_assignment
            if response.members:
                # only the leader gets the member list, with each member's metadata for the protocol
                assert response.member_id == group.leader_id
                assert {m.member_id: m.metadata for m in response.members} == {
                    mid: m.metadata(group.protocol_name) for mid, m in group.members.items()}
            elif response.member_id == group.leader_id and not static_rejoin and group.state is not S.STABLE:
                raise AssertionError(f"the leader's JoinGroup answer has no member list: {response}")
        else:
            assert response.members == () and not response.skip_assignment, response
            revert = code in (E.NOT_COORDINATOR, E.COORDINATOR_NOT_AVAILABLE, E.UNKNOWN_SERVER_ERROR) \
                and response.generation_id != -1  # §6.3: a failed static-replacement write
            if not revert:
                assert response.generation_id == -1 and response.leader == "", response
            if code is E.MEMBER_ID_REQUIRED:
                if group is None:  # the group's creation was undone after this answer (§6.1.5)
                    assert self._created_now, response
                else:
                    assert response.member_id in group.pending_join_members, response
            elif code in (E.GROUP_MAX_SIZE_REACHED,) or revert:
                assert response.member_id == "", response
            elif code is E.FENCED_INSTANCE_ID:
                # a parked JoinGroup fenced by a newer instance carries the id it was parked under
                assert response.member_id in (req.member_id, entry.parked_member), response
            elif code in (E.UNKNOWN_MEMBER_ID, E.NOT_COORDINATOR, E.COORDINATOR_NOT_AVAILABLE,
                          E.COORDINATOR_LOAD_IN_PROGRESS, E.UNKNOWN_SERVER_ERROR):
                # echoed; or "" when a parked JoinGroup of a removed (new) member is answered, for the
                # runtime's errors (Kafka's handleOperationException) and for mapped storage errors
                assert response.member_id in (req.member_id, ""), response
            else:
                assert response.member_id == req.member_id, response

    # ------------------------------------------------------------------ invariants

    def _check_trace(self, sent) -> None:
        events = self.coord.trace[self._trace_pos:]
        self._trace_pos = len(self.coord.trace)
        self._created_now = False
        self._changes_now = []
        for e in events:
            self.view.apply(e)
        # the records rebuild exactly what the coordinator describes: the fold has no rules of its own
        assert self.view.describe() == self.coord.describe(GROUP), (self.view.describe(), self.coord.describe(GROUP))
        for e in events:
            if type(e).__name__ != "StateChanged" or e.group_id != GROUP:
                continue
            self._changes_now.append(e)
            listed = TRANSITIONS.get((e.old, e.trigger)) is e.new or \
                TRANSITIONS_TO_EMPTY.get((e.old, e.trigger)) is e.new
            assert listed, f"unlisted transition {e.describe()}"
            assert e.old is self.state, f"StateChanged does not chain: {self.state} then {e.describe()}"
            self.state = e.new
            self.stats.transitions[(e.old.value if e.old else None, e.trigger.name, e.new.value)] += 1
            if e.trigger is Trigger.GROUP_CREATED:
                self.last_generation = -1  # a new incarnation of the group id
                self._created_now = True
            # §6.10: +1 exactly when the join phase completes (also into Empty), otherwise unchanged
            if e.trigger is Trigger.JOIN_COMPLETED:
                assert e.generation_id == self.last_generation + 1, (e, self.last_generation)
            elif e.trigger is not Trigger.GROUP_CREATED:
                assert e.generation_id == self.last_generation, (e, self.last_generation)
            self.last_generation = e.generation_id
            if e.trigger is Trigger.ASSIGNMENT_WRITTEN:
                # only the leader's SyncGroup writes the assignment (§7); it is still outstanding here
                req = self.outstanding[sent].request
                assert isinstance(req, SyncGroupRequest), req
                group = self.coord.groups[GROUP]
                given = {a.member_id: a.assignment for a in req.assignments}
                self.written = (group.generation_id, sorted(given.get(m, b"") for m in group.members))
            if e.new is S.DEAD or e.trigger is Trigger.UNLOADED:
                self.written = None

    def check(self, group=None) -> None:
        """Every invariant of the coordinator-side group (run after every call)."""
        if group is None:
            group = self.coord.groups.get(GROUP)
        if group is None:
            # never created; deleted by the offsets-retention check, which only drops an Empty group
            # without offsets (§10); or created by this very JoinGroup and undone because writing
            # its record failed (§6.1.5)
            assert self.state in (None, S.EMPTY) or self._created_now, f"group vanished while {self.state}"
            self.state = None
            self.last_generation = -1
            self.written = None
            return
        self.stats.states[group.state.value] += 1
        assert group.state is self.state, (group.state, self.state)
        d = self.coord.describe(GROUP)
        members = group.members
        # generation never decreases, and only changes with a JOIN_COMPLETED transition
        assert group.generation_id == self.last_generation, (group.generation_id, self.last_generation)
        for mid in members:
            self.known_ids.setdefault(mid, None)
        for mid in group.pending_join_members:
            self.known_ids.setdefault(mid, None)
        # the leader (when set) is a member; a group with members has a leader
        if group.leader_id is not None:
            assert group.leader_id in members, f"leader {group.leader_id} is not a member"
        assert (group.leader_id is not None) == bool(members), (group.leader_id, list(members))
        # num_awaiting_join counts exactly the members with a parked JoinGroup
        awaiting = sum(1 for m in d["members"] if m["awaiting_join"])
        assert group.num_awaiting_join == awaiting, (group.num_awaiting_join, awaiting)
        assert awaiting == sum(1 for m in members.values() if m.awaiting_join is not None)
        # no partition owned twice (the stored assignments all come from one generation's write)
        seen: dict = {}
        for m in d["members"]:
            for tp in decode_assignment(m["assignment"]):
                assert tp not in seen, f"{tp} stored for both {seen[tp]} and {m['member_id']}"
                seen[tp] = m["member_id"]
        state = group.state
        # Stable: every member holds what the leader's accepted SyncGroup gave it
        if state is S.STABLE:
            assert self.written is not None and self.written[0] == group.generation_id, \
                f"Stable at generation {group.generation_id} but the last write was {self.written}"
            assert sorted(m["assignment"] for m in d["members"]) == self.written[1]
            union = frozenset().union(*(decode_assignment(a) for a in self.written[1]))
            assert frozenset(seen) == union
        # parked requests only where they can be parked
        for m in members.values():
            if m.awaiting_join is not None:
                assert state is S.PREPARING_REBALANCE, f"a JoinGroup is parked in {state}"
            if m.awaiting_sync is not None:
                assert state is S.COMPLETING_REBALANCE, f"a SyncGroup is parked in {state}"
            if m.is_new:
                assert m.awaiting_join is not None and state is S.PREPARING_REBALANCE
        # state-specific shape
        if state is S.EMPTY:
            assert not members and group.protocol_name is None and group.leader_id is None
        if state in (S.COMPLETING_REBALANCE, S.STABLE):
            assert members and group.protocol_name is not None
            assert all(group.protocol_name in m.protocol_names for m in members.values())
        timers = self.coord.timers
        if state is S.PREPARING_REBALANCE:
            assert JoinTimer(GROUP) in timers, "PreparingRebalance without a join timer: stuck forever"
        if state is S.COMPLETING_REBALANCE:
            assert SyncTimer(GROUP) in timers, "CompletingRebalance without a pending-sync timer"
            assert set(group.pending_sync_members) <= set(members)
        # nobody lingers: a member not parked has a session timer; so does a pending member id
        for mid, m in members.items():
            if m.awaiting_join is None and m.awaiting_sync is None:
                assert HeartbeatTimer(GROUP, mid) in timers, f"{mid} has no session timer and is not parked"
        for mid in group.pending_join_members:
            assert mid not in members
            assert HeartbeatTimer(GROUP, mid) in timers, f"pending {mid} has no timer"
        # the static-member map and the protocol counts agree with the members
        assert group.static_members == {m.group_instance_id: mid for mid, m in members.items() if m.is_static}
        counts = Counter(n for m in members.values() for n in m.protocol_names)
        assert +group.supported_protocols == counts, (group.supported_protocols, counts)

    def _check_call_effects(self, group, sent) -> None:
        """Rules about what one call must leave behind, judged from the last transition it caused."""
        now = self.now
        timers = self.coord.timers
        last = self._changes_now[-1] if self._changes_now else None
        if last is not None and last.trigger is Trigger.JOIN_COMPLETED and group.state is S.COMPLETING_REBALANCE:
            # §6.9: only members that rejoined (parked) or static members stay; the leader rejoined;
            # every member restarts its session, owes a SyncGroup; the pending-sync timer starts.
            for mid, m in group.members.items():
                assert mid in self._joined_now or m.is_static, f"{mid} stayed without rejoining"
                timer = timers.get(HeartbeatTimer(GROUP, mid))
                assert timer is not None and timer.deadline == now + m.session_timeout_ms, (mid, timer)
            assert group.leader_id in self._joined_now, "the new leader must be a member that rejoined"
            assert set(group.pending_sync_members) == set(group.members)
            sync = timers.get(SyncTimer(GROUP))
            assert sync is not None and sync.deadline == now + group.rebalance_timeout_ms(), sync
            # §6.6: the protocol with the most first-choice votes (ties are kafkalab's rule: not checked)
            candidates = {n for n, c in group.supported_protocols.items() if c == len(group.members)}
            votes = Counter(next(n for n in m.protocol_names if n in candidates) for m in group.members.values())
            ranked = votes.most_common()
            if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
                assert group.protocol_name == ranked[0][0], (group.protocol_name, votes)
        if sent is None:
            return
        # handle() only from here: one request, so the last transition is the last thing that happened
        if last is not None and last.new is S.PREPARING_REBALANCE and group.state is S.PREPARING_REBALANCE:
            join = timers.get(JoinTimer(GROUP))
            if last.old is S.EMPTY:
                # §6.8.3: the delayed initial rebalance
                delay = self.config.group_initial_rebalance_delay_ms
                assert join.deadline == now + delay, join
                assert join.payload == (delay, max(group.rebalance_timeout_ms() - delay, 0)), join
            elif not group.has_all_members_joined():
                # §6.8.4: the join timer is the group rebalance timeout
                assert join.deadline == now + group.rebalance_timeout_ms(), join
        for mid in set(group.members) - self._members_before:
            m = group.members[mid]
            if m.is_new:
                # §6.5: a new member gets the new-member join timeout, not its session timeout
                timer = timers.get(HeartbeatTimer(GROUP, mid))
                assert timer.deadline == now + self.config.new_member_join_timeout_ms, timer
        req = self.outstanding[sent].request if sent in self.outstanding else self._answered_entry.request
        for mid in set(group.pending_join_members) - self._pending_before:
            # §6.2: a pending member id gets a timer of the requested session timeout
            assert timers.get(HeartbeatTimer(GROUP, mid)).deadline == now + req.session_timeout_ms

    def check_clients(self) -> None:
        """Client side: no partition owned by two live members of the same generation."""
        owners: dict = {}
        for c in self.clients:
            if c.active and c.state == STABLE:
                for tp in c.owned:
                    key = (c.owned_generation, tp)
                    assert key not in owners, f"{tp} owned by {owners[key]} and {c.name} in generation {key[0]}"
                    owners[key] = c.name

    # ------------------------------------------------------------------ driving

    def pump(self) -> None:
        """Let every running client read its answers (which may send more requests)."""
        for _ in range(10_000):
            progressed = False
            for c in self.clients:
                while c.active and not c.paused and c.inbox:
                    origin, request, response = c.inbox.popleft()
                    if origin[1] != c.incarnation:
                        continue
                    c.on_reply(self, origin, request, response)
                    progressed = True
            if not progressed:
                self.check_clients()
                return
        raise AssertionError("the clients and the coordinator live-locked at one instant")

    def _next_event(self) -> Optional[int]:
        times = [c.next_event_time() for c in self.clients]
        times.append(self.coord.next_deadline())
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def advance(self, ms: int) -> None:
        self.advance_to(self.now + ms)

    def advance_to(self, target: int) -> None:
        for _ in range(100_000):
            t = self._next_event()
            if t is None or t > target:
                break
            t = max(t, self.now)
            deadline = self.coord.next_deadline()
            if deadline is not None and deadline <= t:
                if deadline - 1 >= self.coord_time:
                    self.probe(deadline - 1)
                self.on_timer(t)
                self.pump()
            else:
                self.now = t
                self.probe(t)
            for c in self.clients:
                c.tick(self)
            self.pump()
        else:
            raise AssertionError("too many events in one advance")
        if target > self.coord_time:
            self.probe(target)
        self.now = target

    # ------------------------------------------------------------------ schedule actions

    def client(self, index: int) -> ModelClient:
        return self.clients[index % len(self.clients)]

    def generation(self) -> int:
        group = self.coord.groups.get(GROUP)
        return group.generation_id if group is not None else 0

    def rogue(self, api: int, who: int, gen: int, inst: int, variant: int) -> None:
        """A request no well-behaved client would send: stale generations, wrong or old member ids,
        random instance ids, unsupported protocols."""
        pool = list(self.known_ids)
        group = self.coord.groups.get(GROUP)
        current = list(group.members) if group is not None else []
        if who < 8 or not pool:
            member_id = ""  # a new member (or, with an instance id, a static replacement)
        elif who < 10:
            member_id = "junk-id"
        elif who < 26 and current:
            member_id = current[(who - 10) % len(current)]  # a current member's id
        else:
            member_id = pool[(who - 10) % len(pool)]  # current, pending or long-gone member ids
        g = self.generation()
        generation = [-1, g - 1, g, g + 1, 0][gen % 5]
        instances = [None, None, "rogue-instance"] + [c.spec.instance_id for c in self.clients if c.spec.instance_id]
        instance = instances[inst % len(instances)]
        kind = api % 5
        if kind == 0:
            version = [1, 3, 5, 9][variant % 4]
            metas = [encode_subscription(("t0", "t1")), encode_subscription(("t1",)), b"junk"]
            names = [("range",), ("range", "roundrobin"), ("roundrobin",), ("sticky",)][(variant // 4) % 4]
            meta = metas[(variant // 16) % 3]
            req = JoinGroupRequest(
                group_id=GROUP, session_timeout_ms=10_000, rebalance_timeout_ms=10_000, member_id=member_id,
                group_instance_id=instance if version >= 5 else None,
                protocols=tuple(JoinGroupRequestProtocol(n, meta) for n in names),
                api_version=version, client_id="rogue")
        elif kind == 1:
            req = SyncGroupRequest(group_id=GROUP, generation_id=generation, member_id=member_id,
                                   group_instance_id=instance, api_version=5 if variant % 2 else 3,
                                   protocol_name="roundrobin" if variant % 4 == 3 else None)
        elif kind == 2:
            req = HeartbeatRequest(group_id=GROUP, generation_id=generation, member_id=member_id,
                                   group_instance_id=instance, api_version=4)
        elif kind == 3:
            if variant % 2:
                req = LeaveGroupRequest(group_id=GROUP, api_version=3,
                                        members=(MemberIdentity(member_id, instance),))
            else:
                req = LeaveGroupRequest(group_id=GROUP, api_version=1, member_id=member_id)
        else:
            req = OffsetCommitRequest(
                group_id=GROUP, generation_id=generation, member_id=member_id, group_instance_id=instance,
                api_version=9 if variant % 2 else 8,
                topics=(OffsetCommitRequestTopic("t0", (OffsetCommitRequestPartition(0, 7),)),))
        self.send("rogue", req)
        self.pump()

    def impostor(self, index: int, variant: int) -> None:
        """A second process configured with the same group.instance.id (KIP-345's fencing case):
        JoinGroup with an empty member id and a static client's instance id, either with the same
        protocols or with only ``roundrobin`` (which changes the protocol the group would select)."""
        c = self.client(index)
        if c.spec.instance_id is None:
            return
        meta = encode_subscription(c.topics)
        names = ("range", "roundrobin") if variant % 2 == 0 else ("roundrobin",)
        self.send("impostor", JoinGroupRequest(
            group_id=GROUP, session_timeout_ms=c.spec.session_timeout_ms,
            rebalance_timeout_ms=c.spec.rebalance_timeout_ms, group_instance_id=c.spec.instance_id,
            protocols=tuple(JoinGroupRequestProtocol(n, meta) for n in names),
            api_version=9 if variant % 4 >= 2 else 5, client_id=c.name))
        self.pump()

    def admin_remove(self, index: int) -> None:
        """LeaveGroup v3 by group.instance.id with an empty member id (the admin path of §9)."""
        c = self.client(index)
        if c.spec.instance_id is not None:
            self.send("admin", LeaveGroupRequest(group_id=GROUP, api_version=3,
                                                 members=(MemberIdentity("", c.spec.instance_id),)))
            self.pump()

    def run(self, action: tuple) -> None:
        kind, *args = action
        if kind == "advance":
            self.advance(args[0])
            return
        if kind == "rogue":
            self.rogue(*args)
            return
        if kind == "impostor":
            self.impostor(*args)
            return
        if kind == "admin_remove":
            self.admin_remove(args[0])
            return
        if kind == "write_error":
            self.coord.inject_write_error([E.NOT_LEADER_OR_FOLLOWER, E.REQUEST_TIMED_OUT,
                                           E.MESSAGE_TOO_LARGE][args[0] % 3])
            return
        c = self.client(args[0])
        if kind == "start":
            c.start(self)
        elif kind == "restart":
            c.restart(self)
        elif kind == "crash":
            c.crash()
        elif kind == "pause":
            c.pause(self, args[1])
        elif kind == "leave":
            c.close(self, args[1])
        elif kind == "heartbeat":
            c.heartbeat(self)
        elif kind == "commit":
            c.commit(self)
        elif kind == "rejoin":
            c.request_rejoin(self, args[1])
        else:  # pragma: no cover
            raise ValueError(kind)
        self.pump()

    # ------------------------------------------------------------------ endings

    def drain(self) -> None:
        """Stop every client, let every timer run out, then check nothing was left unanswered."""
        for c in self.clients:
            c.crash()
        for _ in range(10_000):
            if not [k for k in self.coord.timers.keys() if not isinstance(k, OffsetsExpiryTimer)]:
                break
            self.advance_to(max(self.coord.next_deadline(), self.now))
        else:
            raise AssertionError(f"timers never ran out: {self.coord.timers.keys()}")
        unanswered = [(e.request.API, o) for o, e in self.outstanding.items()]
        assert not unanswered, f"requests never answered: {unanswered}\n{self.trace_tail()}"
        group = self.coord.groups.get(GROUP)
        if group is not None:
            assert group.state is S.EMPTY and not group.members and not group.pending_join_members

    def converged(self) -> bool:
        """Every running client is STABLE in the coordinator's current generation, the group is
        Stable with exactly those members, and together they own every subscribed partition."""
        group = self.coord.groups.get(GROUP)
        live = [c for c in self.clients if c.active]
        if not live:
            return group is None or (group.state is S.EMPTY and not group.members)
        if group is None or group.state is not S.STABLE:
            return False
        if set(group.members) != {c.member_id for c in live}:
            return False
        if any(c.state != STABLE or c.generation != group.generation_id for c in live):
            return False
        subscribed = {t for c in live for t in c.topics}
        wanted = frozenset(tp for tp in ALL_PARTITIONS if tp[0] in subscribed)
        owned = [tp for c in live for tp in c.owned]
        return len(owned) == len(set(owned)) and frozenset(owned) == wanted

    def trace_tail(self, n: int = 40) -> str:
        return "\n".join(f"  {e.at:>8} {e.describe()}" for e in self.coord.trace[-n:])
