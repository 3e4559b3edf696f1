"""Turn a world's trace into the player's steps: one meaningful event each, explained.

How it works
------------
``world.trace`` interleaves the simulation's events (messages sent, delivered and dropped; client
state changes; rebalance callbacks; consumers stopping) with each broker's coordinator trace,
wrapped in ``CoordinatorEvent``.  :func:`build_steps` walks it once, keeping a small model of the
group that it updates from the events alone (group state, generation, leader, members, each
consumer's client state, member id, generation and partitions), and cuts the trace into steps.

A step starts at a **primary** event - a message delivered, a message dropped, a group state
change, a coordinator timer firing, a rebalance callback, a consumer stopping, a client state
change or a note that is not the immediate reaction to the previous step - and covers every
event up to the next one (the coordinator's bookkeeping, the replies it sends, the client's
reaction).  Its snapshot is the model at the end of that range, so it is cheap: no re-simulation.

Each step carries one plain sentence saying what happened and *why*, using Kafka's rules
(KIP-394's member id round trip, KIP-134's initial rebalance delay, the eager protocol's
stop-the-world revocation, KIP-429's cooperative second rebalance, ...).

Routine traffic can be hidden: ``heartbeats=False`` and ``offsets=False`` drop heartbeat and
offset exchanges that were answered without error.  Exchanges that carried an error stay, because
a Heartbeat answered REBALANCE_IN_PROGRESS is how a Stable member learns that it must rejoin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence

from ..errors import ErrorCode
from ..state import GroupState, Trigger
from ..trace import (
    LeaderChanged,
    MemberAdded,
    MemberRemoved,
    Note,
    RequestReceived,
    ResponseSent,
    StateChanged,
    TimerFired,
    api_name,
    who,
)
from ..sim.events import (
    ClientStateChanged,
    ConsumerNote,
    ConsumerStopped,
    CoordinatorEvent,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    PartitionsAssigned,
    PartitionsRevoked,
    format_partitions,
)

__all__ = [
    "Step", "MemberRow", "build_steps", "events_of", "unwrap", "is_broker", "is_response",
    "error_code", "exchange_key", "routine_exchanges", "consumer_groups", "short_member_id",
    "HEARTBEAT_APIS", "OFFSET_APIS",
]

HEARTBEAT_APIS = frozenset({"Heartbeat"})
OFFSET_APIS = frozenset({"OffsetCommit", "OffsetFetch"})

TopicPartition = tuple[str, int]


# ---------------------------------------------------------------------- trace helpers

def events_of(world_or_events: Any) -> tuple[list, Any]:
    """``(events, world_or_None)`` from a :class:`~kafkalab.sim.World` or a list of events."""
    trace = getattr(world_or_events, "trace", None)
    if trace is not None and hasattr(world_or_events, "consumers"):
        return list(trace), world_or_events
    if world_or_events is None:
        raise TypeError("expected a kafkalab.sim.World or a list of trace events, got None")
    return list(world_or_events), None


def unwrap(event: Any) -> tuple[Any, Optional[int]]:
    """``(inner event, broker node id)`` for a ``CoordinatorEvent``; ``(event, None)`` otherwise."""
    if isinstance(event, CoordinatorEvent):
        return event.event, event.broker
    return event, None


def is_broker(name: str) -> bool:
    """Brokers are named ``broker-N`` in the simulated world."""
    return isinstance(name, str) and name.startswith("broker-")


def is_response(message: Any) -> bool:
    return type(message).__name__.endswith("Response")


def error_code(message: Any) -> Optional[ErrorCode]:
    """A response's error code; for per-partition responses (OffsetCommit) the worst partition's."""
    code = getattr(message, "error_code", None)
    if code is None and hasattr(message, "topics"):
        codes = [p.error_code for t in message.topics for p in getattr(t, "partitions", ())
                 if getattr(p, "error_code", None) is not None]
        bad = [c for c in codes if c != ErrorCode.NONE]
        code = max(bad, key=int) if bad else (ErrorCode.NONE if codes else None)
    return code


def exchange_key(event: Any) -> Optional[tuple[str, int]]:
    """``(consumer, correlation id)`` naming the request/response exchange a message belongs to."""
    if not isinstance(event, (MessageSent, MessageDelivered, MessageDropped)):
        return None
    consumer = event.dst if is_broker(event.src) else event.src
    return consumer, event.correlation_id


def routine_exchanges(events: Sequence[Any], apis: Iterable[str]) -> set[tuple[str, int]]:
    """Exchanges of the given APIs whose response was delivered without an error."""
    apis = frozenset(apis)
    if not apis:
        return set()
    out = set()
    for e in events:
        if isinstance(e, MessageDelivered) and is_response(e.message) and api_name(e.message) in apis:
            code = error_code(e.message)
            if code is None or code == ErrorCode.NONE:
                out.add(exchange_key(e))
    return out


def _group_of_message(message: Any) -> Optional[str]:
    gid = getattr(message, "group_id", None)
    if gid is None and type(message).__name__ == "FindCoordinatorRequest":
        gid = getattr(message, "key", None)
    return gid


def consumer_groups(events: Sequence[Any], world: Any = None) -> dict[str, str]:
    """``{consumer: group}``: from the world if given, else from the requests each consumer sent."""
    if world is not None:
        return {name: c.group_id for name, c in world.consumers.items()}
    out: dict[str, str] = {}
    for e in events:
        if isinstance(e, MessageSent) and not is_broker(e.src) and e.src not in out:
            gid = _group_of_message(e.message)
            if gid:
                out[e.src] = gid
    return out


def _first_group(events: Sequence[Any], groups: dict[str, str]) -> Optional[str]:
    for e in events:
        inner, _ = unwrap(e)
        if isinstance(inner, StateChanged):
            return inner.group_id
        if isinstance(e, MessageSent) and e.src in groups:
            return groups[e.src]
    return next(iter(groups.values()), None)


_UUID_ID = re.compile(r"^(?P<prefix>.*)-(?P<hex>[0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def short_member_id(member_id: Optional[str]) -> str:
    """``c1-e3e70682-c209-4cac-...`` -> ``c1-e3e7…`` (member ids are long UUIDs)."""
    if not member_id:
        return ""
    m = _UUID_ID.match(member_id)
    if m:
        return f"{m['prefix']}-{m['hex'][:4]}…"
    return member_id if len(member_id) <= 16 else member_id[:15] + "…"


def _secs(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _sentence(*parts: str) -> str:
    text = "".join(p for p in parts if p).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


# ---------------------------------------------------------------------- snapshots

@dataclass(frozen=True)
class MemberRow:
    """One consumer of the group at a step, as the trace tells it.

    ``state`` is the client state (UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE) or
    ``crashed``/``closed``/``failed`` once the consumer stopped; ``generation`` is the generation the client
    last joined (-1 when it has none); ``in_group`` says whether the coordinator counts it as a member.
    """

    name: str
    member_id: str
    instance_id: Optional[str]
    state: str
    generation: int
    assignment: tuple[TopicPartition, ...]
    in_group: bool
    leader: bool

    @property
    def member_id_short(self) -> str:
        return short_member_id(self.member_id)

    @property
    def assignment_text(self) -> str:
        return format_partitions(self.assignment) if self.assignment else "-"


@dataclass(frozen=True)
class Step:
    """One step of the player.

    Attributes:
        index: the step's number (0-based).
        kind: ``request``, ``response``, ``dropped``, ``group-state``, ``timer``, ``callback``,
            ``stopped``, ``client-state`` or ``note``.
        at: virtual time (ms).
        event: the primary event (unwrapped from ``CoordinatorEvent``).
        event_index: its index in the trace; ``end_index``: the last trace index the step covers.
        actor: who acted (a consumer name, ``broker-N`` or ``coordinator``).
        sentence: what happened and why, in one plain sentence.
        group_state, generation, leader, protocol: the group at the end of the step (leader is a
            consumer name when known, else a member id).
        members: one :class:`MemberRow` per consumer of the group.
        message_index: the trace index of the delivered/dropped message to highlight, if any.
        transition: ``(old state, trigger)`` for a group state change, else None.
    """

    index: int
    kind: str
    at: int
    event: Any
    event_index: int
    end_index: int
    actor: str
    sentence: str
    group: Optional[str]
    group_state: Optional[GroupState]
    generation: int
    leader: Optional[str]
    protocol: Optional[str]
    members: tuple[MemberRow, ...]
    message_index: Optional[int] = None
    transition: Optional[tuple[Optional[GroupState], Trigger]] = None

    def member(self, name: str) -> MemberRow:
        for row in self.members:
            if row.name == name:
                return row
        raise KeyError(f"no consumer {name!r} at step {self.index}; members: {[r.name for r in self.members]}")

    @property
    def assignments(self) -> dict[str, list[TopicPartition]]:
        """``{consumer: sorted partitions}``, comparable with ``world.assignments(group)``."""
        return {r.name: sorted(r.assignment) for r in self.members}

    @property
    def state_text(self) -> str:
        return self.group_state.value if self.group_state else "(no group yet)"


@dataclass
class _Client:
    name: str
    state: str = "UNJOINED"
    member_id: str = ""
    instance_id: Optional[str] = None
    generation: int = -1
    owned: set = field(default_factory=set)
    stopped: Optional[str] = None
    session_timeout_ms: Optional[int] = None
    rebalance_timeout_ms: Optional[int] = None
    cooperative: Optional[bool] = None
    paused: bool = False


class _Model:
    """The group as the trace tells it, updated event by event."""

    def __init__(self, group: Optional[str], consumers: Sequence[str], world: Any = None) -> None:
        self.group = group
        self.state: Optional[GroupState] = None
        self.generation = 0
        self.leader_id: Optional[str] = None
        self.protocol: Optional[str] = None
        self.members: dict[str, Optional[str]] = {}  # member id -> instance id (coordinator's view)
        self.clients: dict[str, _Client] = {}
        self.names: dict[str, str] = {}  # member id -> consumer name
        self.last_origin: Optional[str] = None
        self.prep_from: Optional[GroupState] = None
        self.join_timer_at: Optional[int] = None
        self.initial_delay_ms: Optional[int] = None
        # What the last group record in __consumer_offsets holds: a coordinator that loads the
        # group after a failover starts from it (members, leader), not from the old one's memory.
        self.written_members: dict[str, Optional[str]] = {}
        self.written_leader: Optional[str] = None
        self._replacing: Optional[str] = None  # old id of a static member being replaced in Stable
        self._replaced = False  # the last MemberRemoved was a static replacement (its MemberAdded follows)
        # Kafka's new_member_added: a member joined during the initial rebalance since the delayed
        # join timer last fired (the first member, which moves the group out of Empty, does not count).
        self.new_member_added = False
        if world is not None:
            self.initial_delay_ms = world.config.group_initial_rebalance_delay_ms
        for name in consumers:
            c = self.clients[name] = _Client(name)
            if world is not None and name in world.consumers:
                sim = world.consumers[name]
                c.instance_id = sim.config.group_instance_id
                c.cooperative = getattr(sim, "rebalance_protocol", "EAGER") == "COOPERATIVE"
                c.session_timeout_ms = sim.config.session_timeout_ms
                c.rebalance_timeout_ms = sim.config.max_poll_interval_ms

    def client(self, name: str) -> _Client:
        c = self.clients.get(name)
        if c is None:
            c = self.clients[name] = _Client(name)
        return c

    def name_of(self, member_id: Optional[str]) -> Optional[str]:
        if not member_id:
            return None
        name = self.names.get(member_id)
        if name is None:
            for cname in self.clients:
                if member_id.startswith(cname + "-"):
                    return cname
        return name or member_id

    @property
    def leader(self) -> Optional[str]:
        return self.name_of(self.leader_id)

    def rows(self) -> tuple[MemberRow, ...]:
        member_names = {self.name_of(m) for m in self.members}
        leader = self.leader
        out = []
        for c in self.clients.values():
            in_group = c.name in member_names
            out.append(MemberRow(
                name=c.name, member_id=c.member_id, instance_id=c.instance_id,
                state=c.stopped or c.state, generation=c.generation,
                assignment=tuple(sorted(c.owned)), in_group=in_group,
                leader=in_group and c.name == leader))
        return tuple(out)

    # -------------------------------------------------------------- applying events

    def apply(self, e: Any) -> None:
        inner, _broker = unwrap(e)
        if inner is not e:
            self._apply_coordinator(inner)
            return
        who_ = getattr(e, "consumer", None)
        if who_ is not None and who_ not in self.clients:
            return  # a consumer of another group
        if isinstance(e, MessageSent):
            if not is_broker(e.src) and e.src in self.clients:
                c = self.client(e.src)
                m = e.message
                mid = getattr(m, "member_id", None)
                if mid:
                    c.member_id = mid
                    self.names.setdefault(mid, c.name)
                name = api_name(m)
                if name == "JoinGroup":
                    c.session_timeout_ms = m.session_timeout_ms
                    c.rebalance_timeout_ms = m.rebalance_timeout_ms
                    if m.group_instance_id is not None:
                        c.instance_id = m.group_instance_id
                    if c.cooperative is None:
                        names = [p.name for p in m.protocols]
                        c.cooperative = bool(names) and all("cooperative" in n for n in names)
                elif name in ("SyncGroup", "Heartbeat", "OffsetCommit") and getattr(m, "generation_id", -1) >= 0:
                    c.generation = m.generation_id
        elif isinstance(e, MessageDelivered):
            if is_broker(e.src) and e.dst in self.clients and api_name(e.message) == "JoinGroup":
                c = self.client(e.dst)
                m = e.message
                code = error_code(m)
                if m.member_id:
                    c.member_id = m.member_id
                    self.names.setdefault(m.member_id, c.name)
                if code == ErrorCode.NONE:
                    c.generation = m.generation_id
                    if m.protocol_name:
                        self.protocol = m.protocol_name
                elif code == ErrorCode.UNKNOWN_MEMBER_ID:
                    c.generation, c.member_id = -1, ""
        elif isinstance(e, ClientStateChanged):
            c = self.client(e.consumer)
            c.state = e.new
            if e.new == "UNJOINED":
                reason = e.reason or ""
                if "UNKNOWN_MEMBER_ID" in reason or "poll timeout" in reason:
                    c.generation, c.member_id = -1, ""
                elif "ILLEGAL_GENERATION" in reason:
                    c.generation = -1
        elif isinstance(e, PartitionsAssigned):
            self.client(e.consumer).owned |= set(e.partitions)
        elif isinstance(e, PartitionsRevoked):
            self.client(e.consumer).owned -= set(e.partitions)
        elif isinstance(e, ConsumerStopped):
            c = self.client(e.consumer)
            c.owned.clear()
            c.stopped = ("crashed" if e.how.startswith("crash") else
                         "failed" if e.how.startswith("failed") else "closed")
        elif isinstance(e, ConsumerNote):
            c = self.client(e.consumer)
            if e.text.startswith("paused for"):
                c.paused = True
            elif e.text.startswith("resumed"):
                c.paused = False
            if c.stopped:  # a stopped consumer speaks again only when it restarts: a new process
                fresh = _Client(c.name, instance_id=c.instance_id, cooperative=c.cooperative,
                                session_timeout_ms=c.session_timeout_ms,
                                rebalance_timeout_ms=c.rebalance_timeout_ms)
                self.clients[c.name] = fresh

    def _apply_coordinator(self, inner: Any) -> None:
        if isinstance(inner, RequestReceived):
            self.last_origin = who(inner.origin)
            return
        gid = getattr(inner, "group_id", None)
        if isinstance(inner, TimerFired):
            gid = inner.key[1] if len(inner.key) > 1 else None
            if gid == self.group and inner.key[0] == "join":
                self.join_timer_at = inner.at
                self.new_member_added = False
            return
        if gid != self.group:
            return
        if isinstance(inner, StateChanged):
            if inner.new is GroupState.PREPARING_REBALANCE:
                self.prep_from = inner.old
                self.join_timer_at = inner.at
            if inner.trigger is Trigger.GROUP_CREATED:
                # A new group (also one re-created after its coordinator moved): no members yet.
                self.members, self.leader_id, self.protocol, self.prep_from = {}, None, None, None
                self.written_members, self.written_leader = {}, None
            elif inner.trigger is Trigger.GROUP_LOADED:
                # The new coordinator emits no MemberAdded: it reads the members (and leader) of
                # the last group record; a record without members loads as Empty.
                self.prep_from = None
                if inner.new is GroupState.EMPTY:
                    self.members, self.leader_id, self.protocol = {}, None, None
                    self.written_members, self.written_leader = {}, None
                else:
                    self.members = dict(self.written_members)
                    self.leader_id = self.written_leader if self.written_leader in self.members else None
            elif inner.trigger is Trigger.ASSIGNMENT_WRITTEN:
                self.written_members, self.written_leader = dict(self.members), self.leader_id
            elif inner.new is GroupState.EMPTY:
                self.written_members, self.written_leader = {}, None
            if inner.new is not GroupState.PREPARING_REBALANCE:
                self.new_member_added = False
            self._replacing = None
            self.state = inner.new
            self.generation = inner.generation_id
        elif isinstance(inner, MemberAdded):
            if (self.state is GroupState.PREPARING_REBALANCE and self.prep_from is GroupState.EMPTY
                    and not self._replaced):
                self.new_member_added = True
            self._replaced = False
            self.members[inner.member_id] = inner.group_instance_id
            if self.last_origin and inner.member_id not in self.names:
                self.names[inner.member_id] = self.last_origin
            if self._replacing is not None:
                # A static replacement in Stable without a rebalance rewrites the group record.
                self.written_members.pop(self._replacing, None)
                self.written_members[inner.member_id] = inner.group_instance_id
                if self.written_leader == self._replacing:
                    self.written_leader = inner.member_id
                self._replacing = None
        elif isinstance(inner, MemberRemoved):
            self.members.pop(inner.member_id, None)
            self._replaced = inner.reason.startswith("replaced by")
            if self.state is GroupState.STABLE and inner.reason.startswith("replaced by"):
                self._replacing = inner.member_id
        elif isinstance(inner, LeaderChanged):
            self.leader_id = inner.new


# ---------------------------------------------------------------------- explanations

_ERROR_WHY: dict[str, str] = {
    "MEMBER_ID_REQUIRED": ("since JoinGroup v4 (KIP-394) a new member must first get an id and send JoinGroup "
                           "again, so that a client retrying after a timeout cannot fill the group with unused members"),
    "UNKNOWN_MEMBER_ID": ("the coordinator does not know this member id (it was removed, e.g. its session "
                          "expired), so the client forgets its id and generation and joins as a new member"),
    "ILLEGAL_GENERATION": ("the request names an old generation: the group rebalanced without this member, "
                           "so it must rejoin (a commit from it would be a CommitFailedException)"),
    "REBALANCE_IN_PROGRESS": ("the group is rebalancing, so the member must send JoinGroup again "
                              "(within its rebalance timeout, max.poll.interval.ms)"),
    "FENCED_INSTANCE_ID": ("another process with the same group.instance.id replaced this one (KIP-345), "
                           "so this one is fenced and fails with a fatal error"),
    "COORDINATOR_NOT_AVAILABLE": ("the coordinator cannot serve the group right now (it is inactive, or the "
                                  "group is being unloaded), so the client marks the coordinator unknown and "
                                  "looks it up again with FindCoordinator"),
    "NOT_COORDINATOR": ("the group's __consumer_offsets partition is led by another broker now (coordinator "
                        "failover), so the client marks the coordinator unknown and looks it up again with "
                        "FindCoordinator"),
    "COORDINATOR_LOAD_IN_PROGRESS": ("the coordinator is still loading the group from __consumer_offsets, "
                                     "so the client retries after retry.backoff.ms"),
    "GROUP_MAX_SIZE_REACHED": "the group already has group.max.size members, so this one is refused",
    "INCONSISTENT_GROUP_PROTOCOL": ("the member shares no assignor (or protocol type) with the group's "
                                    "members, so it cannot join"),
    "INVALID_SESSION_TIMEOUT": ("its session.timeout.ms is outside the broker's group.min/max.session.timeout.ms, "
                                "so the coordinator refuses it"),
    "UNKNOWN_SERVER_ERROR": "the coordinator failed (e.g. writing to __consumer_offsets failed)",
}


def _code_name(code: Any) -> str:
    return code.name if hasattr(code, "name") else str(code)


def _why_error(code: Any) -> str:
    return _ERROR_WHY.get(_code_name(code), "")


def _is_ok(code: Any) -> bool:
    """An answer without error.  ``None`` (no answer at all) is *not* a success."""
    return code is not None and code == ErrorCode.NONE


def _subscriptions_of(n: int) -> str:
    """What the leader's JoinGroup answer carries, with the right number."""
    if n == 1:
        return "only its own subscription (it is the only member)"
    if n == 2:
        return "both members' subscriptions"
    return f"all {n} members' subscriptions"


def _for_members(n: int) -> str:
    if n == 1:
        return "its only member (itself)"
    if n == 2:
        return "both members"
    return f"all {n} members"


def _refusal(broker: str, code: Any, verb: str = "answers") -> str:
    """Who refused and how: a broker that is not (or no longer) the coordinator is named."""
    name = _code_name(code)
    if name == "NOT_COORDINATOR":
        return f"{broker} is no longer the group's coordinator and {verb} NOT_COORDINATOR"
    if name == "COORDINATOR_NOT_AVAILABLE":
        return f"{broker} cannot serve the group right now and {verb} COORDINATOR_NOT_AVAILABLE"
    return f"the coordinator {verb} {name}"


def _gives(n: int) -> str:
    return "it" if n == 1 else "them"


class _Explainer:
    """Builds each step's sentence from the events around it and the model before/after."""

    def __init__(self, events: Sequence[Any], model: _Model) -> None:
        self.events = events
        self.model = model

    # -- helpers
    def burst(self, start: int) -> list[Any]:
        """The coordinator's immediate reaction: unwrapped coordinator events and broker sends
        right after ``start``."""
        out = []
        at = self.events[start].at
        for e in self.events[start + 1:]:
            if e.at != at:
                break
            inner, broker = unwrap(e)
            if broker is not None:
                out.append(inner)
            elif isinstance(e, MessageSent) and is_broker(e.src):
                out.append(e)
            else:
                break
        return out

    def later_sends(self, start: int, end: int, consumer: str) -> list[str]:
        return [api_name(e.message) for e in self.events[start + 1:end + 1]
                if isinstance(e, MessageSent) and e.src == consumer]

    def reached(self, i: int, e: MessageDelivered) -> bool:
        """Whether the broker handled the request delivered at ``i``.  A broker that is down
        refuses the connection (``World._on_deliver``): no coordinator event, no answer."""
        for x in self.events[i + 1:i + 4]:
            if x.at != e.at:
                break
            inner, _ = unwrap(x)
            if isinstance(inner, RequestReceived) and inner.origin == (e.src, e.correlation_id):
                return True
            if (isinstance(x, MessageSent) and x.src == e.dst and x.dst == e.src
                    and x.correlation_id == e.correlation_id):
                return True
        return False

    def sent_index(self, i: int, consumer: str, correlation_id: int) -> Optional[int]:
        """The trace index of the ``MessageSent`` of the request delivered at ``i``."""
        for k in range(i - 1, -1, -1):
            x = self.events[k]
            if isinstance(x, MessageSent) and x.src == consumer and x.correlation_id == correlation_id:
                return k
        return None

    def around(self, k: int, consumer: str) -> list[Any]:
        """The consumer's own events at the same virtual time as trace index ``k``."""
        at = self.events[k].at
        out = []
        for x in reversed(self.events[:k]):
            if x.at != at:
                break
            if getattr(x, "consumer", None) == consumer:
                out.append(x)
        out.reverse()
        for x in self.events[k + 1:]:
            if x.at != at:
                break
            if getattr(x, "consumer", None) == consumer:
                out.append(x)
        return out

    def state_changed_after(self, i: int, consumer: str) -> bool:
        """Whether ``consumer`` changed client state right after the response delivered at ``i``
        (a JoinGroup or SyncGroup answered NONE always moves a client that waits for it)."""
        at = self.events[i].at
        for x in self.events[i + 1:]:
            if x.at != at:
                return False
            if isinstance(x, ClientStateChanged) and x.consumer == consumer:
                return True
        return False

    def fate(self, i: int, sent: MessageSent) -> Optional[str]:
        """Why the request ``sent`` never reached a coordinator (dropped, or its broker is down);
        None when it was handled (or is still on the way at the end of the trace)."""
        for k in range(i + 1, len(self.events)):
            x = self.events[k]
            if isinstance(x, (MessageDelivered, MessageDropped)) and x.src == sent.src \
                    and x.correlation_id == sent.correlation_id:
                if isinstance(x, MessageDropped):
                    return f"dropped by the network: {x.reason}"
                return None if self.reached(k, x) else f"{x.dst} is down"
        return None

    def committed_before(self, i: int, consumer: str) -> bool:
        """Whether ``consumer`` sent an OffsetCommit at the same virtual time, just before ``i``
        (``close()`` commits first, then revokes and leaves)."""
        at = self.events[i].at
        for x in reversed(self.events[:i]):
            if x.at != at:
                return False
            if isinstance(x, MessageSent) and x.src == consumer and api_name(x.message) == "OffsetCommit":
                return True
        return False

    def revoked_since_stable(self, i: int, consumer: str) -> tuple:
        """Partitions ``consumer`` revoked (not lost) since the group last became Stable."""
        out: list = []
        for x in reversed(self.events[:i]):
            inner, broker = unwrap(x)
            if (broker is not None and isinstance(inner, StateChanged) and inner.group_id == self.model.group
                    and inner.new is GroupState.STABLE):
                break
            if isinstance(x, PartitionsRevoked) and x.consumer == consumer and not x.lost:
                out.extend(x.partitions)
        return tuple(sorted(set(out)))

    # -- per kind
    def request(self, i: int, e: MessageDelivered) -> str:
        c, broker, m = e.src, e.dst, e.message
        api = api_name(m)
        if not self.reached(i, e):
            return self.refused(c, broker, api)
        burst = self.burst(i)
        answer = next((x for x in burst if isinstance(x, ResponseSent)
                       and who(x.origin) == c and isinstance(x.origin, tuple)
                       and len(x.origin) > 1 and x.origin[1] == e.correlation_id), None)
        changed = any(isinstance(x, StateChanged) and x.trigger is not Trigger.GROUP_CREATED for x in burst)
        created = any(isinstance(x, StateChanged) and x.trigger is Trigger.GROUP_CREATED for x in burst)
        completed = any(isinstance(x, StateChanged) and x.trigger is Trigger.JOIN_COMPLETED for x in burst)
        added = any(isinstance(x, MemberAdded) for x in burst)
        replaced = next((x for x in burst if isinstance(x, MemberRemoved) and x.reason.startswith("replaced by")), None)
        others = sum(1 for x in burst if isinstance(x, ResponseSent) and x is not answer)
        code = answer.error_code if answer is not None else None
        if api == "FindCoordinator":
            return _sentence(f"{c} asked {broker} which broker coordinates group {getattr(m, 'key', '?')} "
                             "(FindCoordinator): any broker can answer, because the coordinator is the leader "
                             "of the group's __consumer_offsets partition")
        if api == "JoinGroup":
            who_part = (f"{c}'s JoinGroup v{m.api_version} with no member id yet" if not m.member_id
                        else f"{c}'s JoinGroup (member id {short_member_id(m.member_id)})")
            if m.group_instance_id:
                who_part += f", static instance {m.group_instance_id},"
            if answer is not None and not _is_ok(code):
                if code == ErrorCode.MEMBER_ID_REQUIRED:
                    tail = "; a pending member id is not a member; the group's membership is unchanged"
                    if created:
                        tail += f" (this JoinGroup also created group {self.model.group}: next step)"
                else:
                    tail = "" if changed else "; the group did not change state"
                return _sentence(f"{who_part} reached {broker} and {_refusal(broker, code, 'answered')}: "
                                 f"{_why_error(code) or 'it refused the join'}{tail}")
            if answer is not None:
                if completed:
                    everyone = ("every parked JoinGroup is answered" if others else
                                "its JoinGroup, the only one, is answered")
                    return _sentence(f"{who_part} reached {broker}: it was the last JoinGroup the coordinator "
                                     f"waited for, so the join phase completes at once and {everyone}")
                state = self.model.state
                gen = getattr(answer.response, "generation_id", self.model.generation)
                if replaced is not None:
                    old = short_member_id(replaced.member_id)
                    new = short_member_id(getattr(answer.response, "member_id", "")) or "a new id"
                    return _sentence(
                        f"{who_part} reached {broker}: instance {m.group_instance_id} is already a member under "
                        f"the old member id {old}, so the coordinator replaced that id with a new one ({new}) that "
                        f"keeps the old member's assignment, and - the group being Stable and its assignor "
                        f"unchanged - answered at once with the current generation {gen}, without a rebalance "
                        "(KIP-345); the old id is fenced from now on (FENCED_INSTANCE_ID)")
                if state is GroupState.COMPLETING_REBALANCE:
                    return _sentence(f"{who_part} reached {broker} and was answered at once with the current "
                                     f"generation {gen}: the group is waiting for SyncGroup and this member's "
                                     "protocols (its subscription) did not change")
                if state is GroupState.STABLE:
                    return _sentence(f"{who_part} reached {broker} and was answered at once with the current "
                                     f"generation {gen}, without a rebalance: in a Stable group a follower whose "
                                     "protocols (its subscription) did not change just gets the current "
                                     "generation back")
                return _sentence(f"{who_part} reached {broker} and was answered at once")
            initial = (self.model.state is GroupState.PREPARING_REBALANCE and self.model.prep_from is GroupState.EMPTY) \
                or any(isinstance(x, StateChanged) and x.old is GroupState.EMPTY for x in burst)
            parked = ("the join phase of a new group ends only when the initial rebalance delay runs out"
                      if initial else
                      "JoinGroup is answered only when every known member has rejoined or the rebalance "
                      "timeout runs out")
            return _sentence(f"{who_part} reached {broker}; the coordinator "
                             f"{'added it as a member and ' if added else ''}parks the request: {parked}")
        if api == "SyncGroup":
            leader = bool(getattr(m, "assignments", ()))
            role = (f"The leader {c}'s SyncGroup carries the assignment for {_for_members(len(m.assignments))}"
                    if leader else f"{c}'s SyncGroup (a follower's, with no assignment)")
            if answer is None:
                return _sentence(f"{role} reached {broker}; the coordinator parks it until the leader's "
                                 "SyncGroup brings the assignment")
            if not _is_ok(code):
                return _sentence(f"{role} reached {broker}; {_refusal(broker, code)}: {_why_error(code)}")
            if leader:
                return _sentence(f"{role}; the coordinator stores it in __consumer_offsets and answers "
                                 "every waiting SyncGroup with that member's partitions")
            return _sentence(f"{role} was answered at once, because the leader's assignment is already stored")
        if api == "Heartbeat":
            what = f"{c}'s heartbeat (generation {m.generation_id}) reached {broker}"
            if answer is None:
                return _sentence(f"{what}; the coordinator has not answered it yet")
            if _is_ok(code):
                return _sentence(f"{what}; the coordinator restarts its session timer "
                                 f"(session.timeout.ms) and answers NONE")
            return _sentence(f"{what}; {_refusal(broker, code)}: {_why_error(code)}")
        if api == "LeaveGroup":
            return self.leave(i, e, burst, answer, code)
        if api == "OffsetCommit":
            gen = getattr(m, "generation_id", -1)
            what = f"{c} commits offsets (generation {gen})"
            if answer is None:
                return _sentence(f"{what}; the coordinator has not answered yet")
            if _is_ok(code):
                return _sentence(f"{what}; the coordinator accepts them, so a restart resumes from there")
            return _sentence(f"{what}; {_refusal(broker, code, 'refuses with')}: {_why_error(code)}")
        if api == "OffsetFetch":
            if answer is not None and not _is_ok(code):
                return _sentence(f"{c} asks {broker} for the committed offsets of its new partitions; "
                                 f"{_refusal(broker, code)}: {_why_error(code)}")
            return _sentence(f"{c} asks {broker} for the committed offsets of its new partitions, "
                             "to know where to resume")
        return _sentence(f"{c}'s {api} reached {broker}"
                         + (f"; answered {_code_name(code)}" if code is not None else ""))

    def refused(self, c: str, broker: str, api: str) -> str:
        """A request delivered to a broker that is down: the connection fails, nothing is answered."""
        if api == "FindCoordinator":
            return _sentence(f"{c}'s FindCoordinator to {broker} failed: {broker} is down, so the connection "
                             f"was refused and no answer comes; {c} asks again after retry.backoff.ms")
        lost = {
            "OffsetCommit": " (these offsets are not committed)",
            "Heartbeat": " (the heartbeat is lost)",
            "LeaveGroup": " (the member is not removed; only its session timeout will remove it)",
        }.get(api, "")
        head = f"{c}'s {api} to {broker} got no answer: {broker} is down and refused the connection{lost}"
        stopped = self.model.client(c).stopped
        if stopped:
            return _sentence(f"{head}; {c} has {stopped}, so nothing follows")
        return _sentence(f"{head}, so {c} marks the coordinator unknown and looks it up again with FindCoordinator")

    def leave(self, i: int, e: MessageDelivered, burst: list, answer: Any, code: Any) -> str:
        c, broker = e.src, e.dst
        k = self.sent_index(i, c, e.correlation_id)
        mine = self.around(k, c) if k is not None else []
        poll_timeout = next((x for x in mine if isinstance(x, ConsumerNote) and "max.poll.interval.ms" in x.text), None)
        closing = any(isinstance(x, ConsumerStopped) for x in mine)
        if poll_timeout is not None:
            client = self.model.clients.get(c)
            ms = f" ({_secs(client.rebalance_timeout_ms)})" if client and client.rebalance_timeout_ms else ""
            head = (f"{c}'s heartbeat thread sent LeaveGroup because the application did not call poll() within "
                    f"max.poll.interval.ms{ms}: the coordinator removes it at once, without waiting for "
                    "session.timeout.ms, so its partitions go to members that make progress; "
                    f"{c} has dropped its member id and will join as a new member at its next poll()")
        elif closing:
            head = (f"{c} sent LeaveGroup as it closes: a dynamic member that closes leaves at once, so the "
                    "coordinator removes it without waiting for session.timeout.ms")
        else:
            head = (f"{c} sent LeaveGroup: the coordinator removes it at once, without waiting for "
                    "session.timeout.ms")
        if answer is not None and not _is_ok(code):
            return _sentence(f"{c} sent LeaveGroup to {broker}; {_refusal(broker, code)}: {_why_error(code)}")
        handover = next((x for x in burst if isinstance(x, LeaderChanged)), None)
        tail = ""
        if handover is not None and self.model.name_of(handover.old) == c:
            new = self.model.name_of(handover.new)
            tail = (f"; {c} was the leader, so leadership passes to {new}, which will compute the next "
                    "assignment" if new else f"; {c} was the leader and no member is left to lead")
        return _sentence(head + tail)

    def response(self, i: int, end: int, e: MessageDelivered) -> str:
        c, m = e.dst, e.message
        api = api_name(m)
        code = error_code(m)
        then = self.later_sends(i, end, c)
        next_part = f"; it sends {then[0]}" if then else ""
        got = f"{c} got the {api} response {_code_name(code) if code is not None else ''}".rstrip()
        if api == "FindCoordinator":
            if _is_ok(code):
                return _sentence(f"{c} learned that broker-{m.node_id} coordinates its group{next_part}")
            return _sentence(f"{got}: no coordinator yet, so it retries after retry.backoff.ms")
        stopped = self.model.client(c).stopped
        if stopped and not (stopped == "closed" and api in ("LeaveGroup", "OffsetCommit")):
            return _sentence(f"{got}, but {c} has {stopped}, so nobody handles the answer")
        if api in ("JoinGroup", "SyncGroup") and _is_ok(code) and not self.state_changed_after(i, c):
            if self.model.client(c).paused:
                return _sentence(f"{got} while it is paused: it handles the answer when it resumes")
            return _sentence(f"{got}, but {c} no longer waits for it (it gave up that request or already moved "
                             "on), so it ignores the answer")
        if api == "JoinGroup":
            if code == ErrorCode.MEMBER_ID_REQUIRED:
                return _sentence(f"{got} with the member id {short_member_id(m.member_id)}: as KIP-394 asks, "
                                 "it sends JoinGroup again at once, now with that id")
            if _is_ok(code):
                return self.joined(c, m)
            return _sentence(f"{got}: {_why_error(code)}")
        if api == "SyncGroup":
            if _is_ok(code):
                return self.synced(c, m)
            return _sentence(f"{got}: {_why_error(code)}")
        if api == "Heartbeat":
            if _is_ok(code):
                return _sentence(f"{got}: its session is alive")
            if code == ErrorCode.REBALANCE_IN_PROGRESS:
                return _sentence(f"{got}: the group is rebalancing, and a heartbeat is how a Stable member "
                                 "learns it; it will send JoinGroup at its next poll(), which must come "
                                 "within max.poll.interval.ms")
            return _sentence(f"{got}: {_why_error(code)}")
        if api == "LeaveGroup":
            if _is_ok(code):
                return _sentence(f"{got}: the coordinator confirmed that {c} left the group")
            return _sentence(f"{got}: {_why_error(code)}")
        if api == "OffsetCommit":
            if _is_ok(code):
                return _sentence(f"{c}'s offsets are committed{next_part}")
            return _sentence(f"{got}: {_why_error(code)}")
        if api == "OffsetFetch":
            if _is_ok(code):
                return _sentence(f"{got}: it now knows where to resume each new partition "
                                 "(auto.offset.reset applies where nothing was committed)")
            return _sentence(f"{got}: {_why_error(code)}")
        return _sentence(f"{got}{next_part}")

    def joined(self, c: str, m: Any) -> str:
        """A JoinGroup answered NONE, for the leader or a follower."""
        g = m.generation_id
        if m.leader and m.leader == m.member_id:
            if getattr(m, "skip_assignment", False):
                return _sentence(f"{c} rejoined generation {g} as the leader of a Stable group: skip_assignment "
                                 "is set (KIP-814), so it does not run the assignor again and its SyncGroup just "
                                 "fetches its stored assignment")
            return _sentence(f"{c} joined generation {g} as the leader: it got {_subscriptions_of(len(m.members))}, "
                             f"runs the {m.protocol_name} assignor itself (the coordinator never assigns) and "
                             "sends the result in SyncGroup")
        head = f"{c} joined generation {g} as a follower"
        if m.leader and self.model.name_of(m.leader) == c:
            head += (" although it leads the group: before JoinGroup v9 the answer names the leader's old member "
                     "id, so a rejoined static leader does not run the assignor again")
        state = self.model.state
        if state is GroupState.COMPLETING_REBALANCE:
            return _sentence(f"{head}: it sends SyncGroup with no assignment and waits for the leader's")
        if state is GroupState.STABLE:
            return _sentence(f"{head}: the group is Stable, so its SyncGroup is answered at once with the "
                             "assignment the coordinator has stored for it")
        if state is GroupState.PREPARING_REBALANCE:
            return _sentence(f"{head}, but the group is already rebalancing again: its SyncGroup will get "
                             "REBALANCE_IN_PROGRESS and it must rejoin")
        return _sentence(f"{head}: it sends SyncGroup with no assignment")

    def synced(self, c: str, m: Any) -> str:
        """A SyncGroup answered NONE: what the member does with its assignment."""
        assigned: tuple = ()
        try:
            from ..consumer_protocol import decode_assignment
            assigned = tuple(sorted(decode_assignment(m.assignment).assigned_partitions))
        except Exception:  # an empty or foreign assignment
            assigned = ()
        client = self.model.client(c)
        gen = client.generation
        got = f"{c} received its assignment for generation {gen}: {format_partitions(assigned) if assigned else 'no partitions'}"
        if not client.cooperative:
            if not assigned:
                return _sentence(f"{got}; it is STABLE but idle: nothing to consume in this generation")
            return _sentence(f"{got}; it is STABLE and will start consuming "
                             f"{_gives(len(assigned))} from the committed offsets")
        owned = set(client.owned)
        kept = sorted(set(assigned) & owned)
        added = sorted(set(assigned) - owned)
        revoked = sorted(owned - set(assigned))
        parts = []
        if kept:
            parts.append(f"it keeps consuming {format_partitions(kept)}, which it already owned")
        if added:
            parts.append(f"it starts consuming {format_partitions(added)} from the committed offsets")
        if revoked:
            them = _gives(len(revoked))
            parts.append(f"it must give up {format_partitions(revoked)}, which move{'s' if len(revoked) == 1 else ''} "
                         f"to another member: it revokes {them} and asks for a follow-up rebalance that hands "
                         f"{them} over (KIP-429)")
        if not parts:
            return _sentence(f"{got}; it is STABLE with nothing to consume in this generation (with cooperative "
                             "rebalancing a partition that changes owner is handed over only in a follow-up "
                             "rebalance, once its old owner has revoked it)")
        return _sentence(f"{got}; " + "; ".join(parts))

    def dropped(self, e: MessageDropped) -> str:
        if is_response(e.message):
            return _sentence(f"The network dropped {e.src}'s {api_name(e.message)} response to {e.dst} ({e.reason}): "
                             f"{e.dst} never gets the answer and notices only when request.timeout.ms passes")
        return _sentence(f"The network dropped {e.src}'s {api_name(e.message)} request to {e.dst} ({e.reason}): "
                         f"the coordinator never sees it, and {e.src} notices only when request.timeout.ms passes "
                         "without an answer")

    def group_state(self, i: int, inner: StateChanged) -> str:
        old = inner.old.value if inner.old else "(no group)"
        head = f"Group {inner.group_id} went {old} -> {inner.new.value} because {inner.trigger.value}"
        t, g = inner.trigger, inner.generation_id
        why = ""
        if t is Trigger.GROUP_CREATED:
            why = "the first JoinGroup for an unknown group id creates it, Empty, in generation 0"
        elif t is Trigger.MEMBER_ADDED and inner.old is GroupState.EMPTY:
            d = self.model.initial_delay_ms
            delay = f" ({_secs(d)})" if d else ""
            why = (f"a group leaving Empty starts the delayed initial rebalance (KIP-134), in which the coordinator "
                   f"waits group.initial.rebalance.delay.ms{delay} for more members before completing the join phase")
        elif t is Trigger.MEMBER_ADDED:
            why = "a new member needs partitions, so every member must send JoinGroup again within the rebalance timeout"
        elif t is Trigger.LEADER_REJOINED:
            why = ("a JoinGroup from the leader in a Stable group always starts a rebalance (§6.4), whatever its "
                   "subscription, so every member must rejoin")
            leader = self.model.leader
            client = self.model.clients.get(leader) if leader else None
            revoked = self.revoked_since_stable(i, leader) if leader else ()
            if revoked and client is not None and client.cooperative:
                why += (f"; here the leader {leader} had just revoked {format_partitions(revoked)} for another "
                        "member, so this is KIP-429's cooperative follow-up rebalance, which hands "
                        f"{_gives(len(revoked))} to the new owner")
        elif t is Trigger.PROTOCOLS_CHANGED:
            why = "a member's subscription or assignors changed, so the assignment must be recomputed"
        elif t is Trigger.STATIC_MEMBER_REPLACED:
            why = "a new process took over a static member's group.instance.id (KIP-345), so the group rebalances"
        elif t is Trigger.SESSION_EXPIRED:
            removed = self._removed_near(i)
            why = (f"the coordinator heard nothing from {removed or 'a member'} within its session.timeout.ms, "
                   "removed it, and its partitions must be reassigned")
        elif t is Trigger.MEMBER_LEFT:
            removed = self._removed_near(i)
            why = (f"{removed or 'a member'} sent LeaveGroup, so its partitions are reassigned at once instead "
                   "of after a session timeout; the others learn of it from their next heartbeat")
        elif t is Trigger.PENDING_SYNC_EXPIRED:
            why = "members did not send SyncGroup in time after the join phase; they were removed and the group rebalances again"
        elif t is Trigger.ASSIGNMENT_WRITE_FAILED:
            why = "storing the assignment in __consumer_offsets failed, so the group rebalances again"
        elif t is Trigger.JOIN_COMPLETED and inner.new is GroupState.EMPTY:
            why = f"no member is left, so generation {g} begins with no members"
        elif t is Trigger.JOIN_COMPLETED:
            leader = self.model.leader
            why = (f"generation {g} begins, so the coordinator answers every parked JoinGroup and sends the "
                   f"members' subscriptions only to the leader{(' ' + leader) if leader else ''}, which computes the assignment")
        elif t is Trigger.ASSIGNMENT_WRITTEN:
            why = (f"the leader's SyncGroup brought the assignment, which the coordinator stored in "
                   f"__consumer_offsets; generation {g} is Stable and each SyncGroup is answered with its member's partitions")
        elif t is Trigger.UNLOADED:
            why = ("this broker no longer leads the group's __consumer_offsets partition (coordinator failover), "
                   "so it drops the group; its clients will get NOT_COORDINATOR (or a connection error if the "
                   "broker is down) and look up the new coordinator")
        elif t is Trigger.GROUP_LOADED:
            why = f"the new coordinator loaded group {inner.group_id} from __consumer_offsets; "
            if inner.new is GroupState.EMPTY:
                why += (f"its last record has no members, so the group is Empty in generation {g}: clients that "
                        "come back with a member id get UNKNOWN_MEMBER_ID and join again as new members")
            else:
                n = len(self.model.members)
                count = f"{n} member{'s' if n != 1 else ''}" if n else "members"
                why += (f"its last record has {count} and their assignment, and a rebalance in progress is never "
                        f"stored, so the group resumes as Stable in generation {g}, each member with a fresh "
                        "session timer")
        return _sentence(head, ": " + why if why else "")

    def _removed_near(self, i: int) -> str:
        """The consumer(s) removed in the coordinator events just before index ``i``."""
        names = []
        for e in reversed(self.events[max(0, i - 8):i]):
            inner, broker = unwrap(e)
            if broker is None:
                break
            if isinstance(inner, MemberRemoved):
                names.append(self.model.name_of(inner.member_id) or inner.member_id)
        return " and ".join(reversed(names))

    def timer(self, i: int, inner: TimerFired, before: _Model) -> str:
        kind = inner.key[0]
        burst = self.burst(i)
        removed = [(self.model.name_of(x.member_id) or x.member_id, x.reason)
                   for x in burst if isinstance(x, MemberRemoved)]
        completed = any(isinstance(x, StateChanged) and x.trigger is Trigger.JOIN_COMPLETED for x in burst)
        if kind == "join":
            since = before.join_timer_at
            waited = inner.at - since if since is not None else None
            if before.prep_from is GroupState.EMPTY:
                d = _secs(waited) if waited else "initial"
                if completed:
                    n = len(before.members)
                    joined = f"the {n} member{'s' if n != 1 else ''} that joined"
                    if before.new_member_added:
                        return _sentence(f"The join timer fired after the {d} initial rebalance delay "
                                         "(group.initial.rebalance.delay.ms): new members joined during it, but "
                                         "the first member's rebalance timeout is used up, so there is no further "
                                         f"extension and the join phase completes with {joined}")
                    return _sentence(f"The join timer fired: no new member joined during the last {d} "
                                     f"initial rebalance delay (group.initial.rebalance.delay.ms), so the join "
                                     f"phase completes with {joined}")
                return _sentence(f"The join timer fired: the {d} initial rebalance delay "
                                 "(group.initial.rebalance.delay.ms) was extended because new members joined "
                                 "during it; extensions stop once the first member's rebalance timeout is used up")
            gone = ", ".join(n for n, _ in removed)
            return _sentence("The join timer fired: the rebalance timeout (the largest max.poll.interval.ms "
                             "among the members) ran out",
                             f", so {gone} did not rejoin in time and {'is' if len(removed) == 1 else 'are'} removed"
                             if removed else "",
                             "; the join phase completes with the members that rejoined" if completed else "")
        if kind == "heartbeat":
            name = self.model.name_of(inner.key[2]) if len(inner.key) > 2 else "a member"
            c = self.model.clients.get(name)
            st = c.session_timeout_ms if c else None
            timeout = f" ({_secs(st)})" if st else ""
            if removed:
                reason = removed[0][1]
                return _sentence(f"The session timer of {name} fired: the coordinator heard nothing from it "
                                 f"for session.timeout.ms{timeout}, so it removes it ({reason})")
            return _sentence(f"The session timer of {name} fired, but the member is waiting in a JoinGroup or "
                             "SyncGroup, which counts as alive, so nothing happens")
        if kind == "sync":
            if removed:
                gone = ", ".join(n for n, _ in removed)
                return _sentence(f"The pending-sync timer fired: {gone} did not send SyncGroup within the "
                                 "rebalance timeout, so the coordinator removes them and rebalances again")
            return _sentence("The pending-sync timer fired, but every member had already sent SyncGroup")
        return _sentence(inner.describe())

    def callback(self, i: int, e: Any) -> str:
        c = e.consumer
        parts = format_partitions(e.partitions)
        client = self.model.clients.get(c)
        if isinstance(e, PartitionsAssigned):
            if not e.partitions:
                return _sentence(f"{c}'s onPartitionsAssigned(none) ran for generation {e.generation_id}: "
                                 "it gets no new partition and keeps what it owns")
            one = len(e.partitions) == 1
            return _sentence(f"{c}'s onPartitionsAssigned({parts}) ran for generation {e.generation_id}: it owns "
                             f"{'it' if one else 'them'} now and first fetches {'its' if one else 'their'} committed "
                             "offsets (OffsetFetch) to know where to resume")
        if e.lost:
            return _sentence(f"{c}'s onPartitionsLost({parts}) ran: it lost its membership, so these partitions may "
                             "already belong to others and it must not commit them")
        mine = self.around(i, c)
        closing = any(isinstance(x, ConsumerStopped) and x.how.startswith("closed") for x in mine)
        if closing:
            commits = "it commits its offsets and " if self.committed_before(i, c) else "it "
            static = client.instance_id if client is not None else None
            if static:
                return _sentence(f"{c} is closing: {commits}gives up its partitions locally "
                                 f"(onPartitionsRevoked({parts})), but as a static member (group.instance.id "
                                 f"{static}) it sends no LeaveGroup: the coordinator keeps its place and its "
                                 "assignment until it returns or its session times out, and nobody consumes them "
                                 "meanwhile")
            return _sentence(f"{c} is closing: {commits}gives up its partitions (onPartitionsRevoked({parts})) "
                             "and sends LeaveGroup so the group can reassign them at once")
        if not e.partitions:
            return _sentence(f"{c}'s onPartitionsRevoked(none) ran before it (re)joins: with the eager protocol the "
                             "listener is called at the start of every rebalance, even when the member owns nothing")
        if client is not None and client.cooperative:
            return _sentence(f"{c}'s onPartitionsRevoked({parts}) ran: with cooperative rebalancing (KIP-429) a "
                             "member gives up only the partitions that move, then rejoins so a second rebalance "
                             "can hand them to their new owner, while it keeps consuming the rest")
        return _sentence(f"{c}'s onPartitionsRevoked({parts}) ran before it rejoins: with the eager protocol every "
                         "member gives up all its partitions at the start of a rebalance, so nobody consumes "
                         "them until the new assignment arrives (stop-the-world)")

    def stopped(self, i: int, e: ConsumerStopped) -> str:
        c = e.consumer
        client = self.model.clients.get(c)
        if e.how.startswith("crash"):
            st = client.session_timeout_ms if client else None
            timeout = f" ({_secs(st)})" if st else ""
            held = f" and drops {format_partitions(e.partitions)}" if e.partitions else ""
            return _sentence(f"{c} crashed{held}: it sends no LeaveGroup and commits nothing, so the coordinator "
                             f"notices only when its session.timeout.ms{timeout} passes, and records processed "
                             "since its last commit will be processed again")
        if e.how.startswith("failed"):
            held = f" and drops {format_partitions(e.partitions)}" if e.partitions else ""
            return _sentence(f"{c} stopped: it {e.how}, a fatal error thrown to the application{held}; it sends "
                             "no LeaveGroup, so if the coordinator still counts it as a member, only its session "
                             "timeout removes it")
        if client is not None and client.instance_id:
            return _sentence(f"{c} closed: a static member (group.instance.id {client.instance_id}) sends no "
                             "LeaveGroup, so it keeps its place and assignment until it returns or its session "
                             "times out (KIP-345)")
        done = ["committed its offsets"] if self.committed_before(i, c) else []
        if any(isinstance(x, PartitionsRevoked) and x.consumer == c and not x.lost for x in self.around(i, c)):
            done.append("revoked its partitions")
        sent = next((x for x in reversed(self.events[max(0, i - 8):i]) if x.at == e.at
                     and isinstance(x, MessageSent) and x.src == c and api_name(x.message) == "LeaveGroup"), None)
        left = sent is not None
        if left:
            done.append("sent LeaveGroup")
            tail = "so the group rebalances at once"
            fate = self.fate(i, sent)
            if fate is not None:
                tail = (f"but the LeaveGroup is lost ({fate}), so only its session timeout removes it from the "
                        "group")
        else:
            tail = ("but sent no LeaveGroup (it had no generation or knew no coordinator), so if the coordinator "
                    "still counts it as a member, only its session timeout removes it")
        did = ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1] if done else ""
        if did:
            return _sentence(f"{c} closed: it {did}{', ' if left else ' '}{tail}")
        return _sentence(f"{c} closed {tail}" if not left else f"{c} closed: {tail}")

    def client_state(self, e: ClientStateChanged) -> str:
        head = f"{e.consumer}: {e.old} -> {e.new}" + (f" ({e.reason})" if e.reason else "")
        why = ""
        if e.new == "PREPARING_REBALANCE":
            why = "it sent JoinGroup and waits for the coordinator to complete the join phase"
        elif e.new == "COMPLETING_REBALANCE":
            why = "JoinGroup was answered; it now needs SyncGroup's assignment"
        elif e.new == "STABLE":
            why = "it has its assignment for the current generation"
        elif e.new == "UNJOINED":
            why = "it is not in a generation and must (re)join at its next poll()"
        return _sentence(head, ": " + why if why else "")

    def note(self, text: str, actor: str) -> str:
        extra = ""
        if "max.poll.interval.ms" in text:
            extra = ("; the heartbeat thread does this so that a stuck application does not hold its partitions "
                     "(KIP-62 split the session timeout from the poll interval)")
        elif "connection to" in text and "failed" in text:
            extra = ("; the broker is down, so the consumer marks the coordinator unknown and looks it up again "
                     "with FindCoordinator")
        elif "marked unknown" in text:
            extra = "; it will look the coordinator up again with FindCoordinator"
        elif "started" in text and "joins" in text:
            extra = "; first it must find the group's coordinator"
        return _sentence(f"{actor}: {text}" if actor else text, extra)


# ---------------------------------------------------------------------- building steps

def build_steps(world_or_events: Any, group: Optional[str] = None, *, heartbeats: bool = False,
                offsets: bool = False, notes: bool = True) -> list[Step]:
    """Cut a trace into the player's steps.

    Args:
        world_or_events: a :class:`~kafkalab.sim.World` (its ``trace``, consumers and config) or a
            list of trace events.
        group: the group to follow (default: the first one in the trace).  Events of other groups
            are folded into the surrounding steps.
        heartbeats: show heartbeat exchanges that were answered NONE as steps (errors always show).
        offsets: show OffsetCommit/OffsetFetch exchanges that were answered NONE as steps.
        notes: make consumer and coordinator notes that are not a reaction to the previous step
            steps of their own (e.g. "c1: started").

    Returns:
        The steps in trace order; ``steps[k].index == k``.  An empty trace gives ``[]``.
    """
    events, world = events_of(world_or_events)
    groups = consumer_groups(events, world)
    if group is None:
        group = _first_group(events, groups)
    consumers = [n for n, g in groups.items() if g == group]
    hidden_apis = set()
    if not heartbeats:
        hidden_apis |= HEARTBEAT_APIS
    if not offsets:
        hidden_apis |= OFFSET_APIS
    routine = routine_exchanges(events, hidden_apis)
    model = _Model(group, consumers, world)
    explain = _Explainer(events, model)
    mine = set(consumers)

    steps: list[Step] = []
    pending: Optional[dict] = None  # the open step: fields, filled when it closes

    def close(end: int) -> None:
        nonlocal pending
        if pending is None:
            return
        p = pending
        pending = None
        sentence = p.pop("explain")(end)
        steps.append(Step(index=len(steps), end_index=end, sentence=sentence, group=group,
                          group_state=model.state, generation=model.generation, leader=model.leader,
                          protocol=model.protocol, members=model.rows(), **p))

    for i, e in enumerate(events):
        inner, broker = unwrap(e)
        primary: Optional[dict] = None
        cur_actor = pending["actor"] if pending else None
        cur_at = pending["at"] if pending else None

        if isinstance(e, MessageDelivered):
            consumer = e.dst if is_broker(e.src) else e.src
            if consumer in mine and exchange_key(e) not in routine:
                if is_broker(e.dst):
                    primary = dict(kind="request", actor=e.dst, message_index=i,
                                   explain=lambda end, i=i, e=e: explain.request(i, e))
                else:
                    primary = dict(kind="response", actor=e.dst, message_index=i,
                                   explain=lambda end, i=i, e=e: explain.response(i, end, e))
        elif isinstance(e, MessageDropped):
            consumer = e.dst if is_broker(e.src) else e.src
            if consumer in mine and exchange_key(e) not in routine:
                primary = dict(kind="dropped", actor=e.src, message_index=i,
                               explain=lambda end, e=e: explain.dropped(e))
        elif broker is not None:
            if isinstance(inner, StateChanged) and inner.group_id == group:
                primary = dict(kind="group-state", actor="coordinator",
                               transition=(inner.old, inner.trigger),
                               explain=lambda end, i=i, x=inner: explain.group_state(i, x))
            elif isinstance(inner, TimerFired) and len(inner.key) > 1 and inner.key[1] == group:
                before = _copy_model(model)
                primary = dict(kind="timer", actor="coordinator",
                               explain=lambda end, i=i, x=inner, b=before: explain.timer(i, x, b))
            elif (isinstance(inner, Note) and inner.group_id == group and notes
                  and not (cur_actor in ("coordinator", f"broker-{broker}") and cur_at == inner.at)):
                primary = dict(kind="note", actor="coordinator",
                               explain=lambda end, x=inner: explain.note(x.text, "the coordinator"))
        elif isinstance(e, (PartitionsAssigned, PartitionsRevoked)) and e.consumer in mine:
            primary = dict(kind="callback", actor=e.consumer, explain=lambda end, i=i, e=e: explain.callback(i, e))
        elif isinstance(e, ConsumerStopped) and e.consumer in mine:
            primary = dict(kind="stopped", actor=e.consumer, explain=lambda end, i=i, e=e: explain.stopped(i, e))
        elif isinstance(e, ClientStateChanged) and e.consumer in mine:
            if not (cur_actor == e.consumer and cur_at == e.at):
                primary = dict(kind="client-state", actor=e.consumer,
                               explain=lambda end, e=e: explain.client_state(e))
        elif isinstance(e, ConsumerNote) and e.consumer in mine and notes:
            if not (cur_actor == e.consumer and cur_at == e.at):
                primary = dict(kind="note", actor=e.consumer,
                               explain=lambda end, e=e: explain.note(e.text, e.consumer))

        if primary is not None:
            close(i - 1)
            pending = dict(at=e.at, event=inner, event_index=i, message_index=primary.pop("message_index", None),
                           transition=primary.pop("transition", None), **primary)
        model.apply(e)
    close(len(events) - 1)
    return steps


def _copy_model(model: _Model) -> _Model:
    """A shallow copy of what the timer sentence needs from before the timer fired."""
    m = _Model.__new__(_Model)
    m.__dict__.update(model.__dict__)
    m.members = dict(model.members)
    return m
