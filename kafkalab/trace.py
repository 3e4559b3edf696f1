"""Past-tense trace events: what the coordinator received, answered, fired and changed.

How it works
------------
Every entry point of :class:`kafkalab.Coordinator` appends to ``coordinator.trace``; the course's
player, sequence diagrams and plots are drawn from it, and tests assert on it.  An event is data:
it carries ``at`` (virtual milliseconds), the ids and generation it concerns and, where something
happened *for a reason*, an enum named after Kafka's reason.  Its ``describe()`` renders one plain
sentence from those fields; nothing reads the sentence back.

Three families of events:

* the coordinator's boundary: :class:`RequestReceived`, :class:`ResponseSent`, :class:`TimerFired`;
* **records** of every change the coordinator makes to a group, as Kafka's coordinator writes a
  record for every change: :class:`StateChanged` (with the generation and protocol),
  :class:`MemberAdded`, :class:`MemberUpdated`, :class:`MemberRemoved`,
  :class:`PendingMemberAdded`, :class:`LeaderChanged`, :class:`AssignmentChanged`,
  :class:`GroupLoaded` and :class:`GroupRemoved`; and :class:`GroupRecordWritten` for each write
  to ``__consumer_offsets``;
* decisions with no change of their own: :class:`InitialRebalanceDelayEnded` and
  :class:`JoinPhaseExtended`.

:class:`GroupView` folds the records back into a group: it applies each record mechanically, with
no protocol rule of its own, and its :meth:`GroupView.describe` is exactly
:meth:`kafkalab.Coordinator.describe` at that point of the trace (a property test checks this after
every call of random schedules).  That is how a view shows the group as the coordinator had it at
any step without keeping a second copy of the rules.

A real client's log reads into the same kind of trace: :func:`read_log` (from
:mod:`kafkalab.tracelog`, loaded on first use) turns librdkafka ``debug=cgrp`` and Java consumer
logs into the events the player steps through.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Iterable, Optional

from .classic.state import GroupState, Trigger
from .errors import ErrorCode
from .timers import ClassicTimerKey, HeartbeatTimer, TimerKey, TimerKind

__all__ = [
    "TraceEvent", "who", "api_name",
    "RequestReceived", "ResponseSent", "TimerKind", "TimerFired",
    "StateChanged", "MemberAdded", "MemberUpdated", "MemberRemovalReason", "MemberRemoved",
    "PendingMemberAdded", "LeaderChanged", "AssignmentChanged", "LoadedMember", "GroupLoaded",
    "GroupRemovalReason", "GroupRemoved", "GroupRecordWritten", "InternalError", "OffsetsDeleted",
    "InitialRebalanceDelayEnded", "JoinPhaseExtended", "GroupView", "fold",
]

#: Re-exported from :mod:`kafkalab.tracelog` when first used (``from kafkalab.trace import
#: read_log``): that module reads logs into :mod:`kafkalab.sim` events, and kafkalab.sim imports
#: this module, so it cannot load here.
_FROM_TRACELOG = ("read_log", "LogFormatError")


def __getattr__(name: str) -> Any:
    if name in _FROM_TRACELOG:
        return getattr(importlib.import_module(".tracelog", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Phrase(Enum):
    """An enum whose value is the phrase a sentence uses; ``str()`` gives the phrase."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TraceEvent:
    at: int

    def describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__


def who(origin: Any) -> str:
    """A readable name for a request's origin (``("c1", 7)`` -> ``c1``)."""
    if isinstance(origin, tuple) and origin:
        return str(origin[0])
    return str(origin)


def api_name(message: Any) -> str:
    """``JoinGroupRequest`` -> ``JoinGroup``."""
    name = type(message).__name__
    for suffix in ("Request", "Response"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------- the boundary

@dataclass(frozen=True)
class RequestReceived(TraceEvent):
    origin: Any
    group_id: Optional[str]
    request: Any

    def describe(self) -> str:
        member = getattr(self.request, "member_id", None)
        tail = "" if member is None else f" ({member or 'no member id yet'})"
        return f"{who(self.origin)} sent {api_name(self.request)} v{self.request.api_version}{tail}"


@dataclass(frozen=True)
class ResponseSent(TraceEvent):
    origin: Any
    group_id: Optional[str]
    response: Any

    @property
    def error_code(self) -> Optional[ErrorCode]:
        """The response's error code; for OffsetCommit (per-partition codes only) the highest."""
        code: Optional[ErrorCode] = getattr(self.response, "error_code", None)
        if code is None and hasattr(self.response, "topics"):
            codes = [p.error_code for t in self.response.topics for p in t.partitions]
            code = max(codes, key=int) if codes else None
        return code

    def describe(self) -> str:
        code = self.error_code
        tail = f" {code.name}" if code is not None and hasattr(code, "name") else ""
        return f"coordinator answered {who(self.origin)} {api_name(self.response)}{tail}"


@dataclass(frozen=True)
class TimerFired(TraceEvent):
    """A timer ran out.  ``key`` is the coordinator's timer key (:mod:`kafkalab.timers`); ``kind``,
    ``group_id`` and ``member_id`` say which timer it was (``None`` where the timer has no group
    or member)."""

    key: TimerKey
    kind: TimerKind
    group_id: Optional[str] = None
    member_id: Optional[str] = None

    @classmethod
    def for_key(cls, at: int, key: ClassicTimerKey) -> "TimerFired":
        """The event for the timer ``key`` firing at ``at``."""
        member_id = key.member_id if isinstance(key, HeartbeatTimer) else None
        return cls(at, key, key.kind, key.group_id, member_id)

    def describe(self) -> str:
        if self.kind is TimerKind.HEARTBEAT:
            return f"the session timer of {self.member_id} in {self.group_id} expired"
        if self.kind is TimerKind.JOIN:
            return f"the join timer of {self.group_id} fired"
        if self.kind is TimerKind.SYNC:
            return f"the pending-sync timer of {self.group_id} fired"
        return "the offsets retention check ran"


# ---------------------------------------------------------------------------- records of changes

@dataclass(frozen=True)
class StateChanged(TraceEvent):
    """The group moved to ``new`` because of ``trigger``; ``old`` is None for a group that did not
    exist.  Generation and protocol are the group's after the change (the join phase completing
    bumps the generation and selects the protocol)."""

    group_id: str
    old: Optional[GroupState]
    new: GroupState
    trigger: Trigger
    generation_id: int
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None

    def describe(self) -> str:
        old = self.old.value if self.old else "(new)"
        return f"group {self.group_id}: {old} -> {self.new.value} because {self.trigger.value}"


@dataclass(frozen=True)
class MemberAdded(TraceEvent):
    """A member joined the group (a new member, or the new id of a replaced static member), with
    what the coordinator keeps of it."""

    group_id: str
    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    assignment: bytes = b""
    awaiting_join: bool = False

    def describe(self) -> str:
        return f"{self.member_id} was added to group {self.group_id}"


@dataclass(frozen=True)
class MemberUpdated(TraceEvent):
    """Fields of a member changed; ``None`` means unchanged.  ``awaiting_join``/``awaiting_sync``
    say whether the coordinator holds a JoinGroup/SyncGroup of the member to answer later."""

    group_id: str
    member_id: str
    session_timeout_ms: Optional[int] = None
    rebalance_timeout_ms: Optional[int] = None
    awaiting_join: Optional[bool] = None
    awaiting_sync: Optional[bool] = None

    def describe(self) -> str:
        parts = []
        if self.session_timeout_ms is not None or self.rebalance_timeout_ms is not None:
            parts.append(f"session timeout {self.session_timeout_ms} ms, rebalance timeout "
                         f"{self.rebalance_timeout_ms} ms")
        for flag, api in ((self.awaiting_join, "JoinGroup"), (self.awaiting_sync, "SyncGroup")):
            if flag is not None:
                parts.append(f"{'' if flag else 'no longer '}waits for its {api} answer")
        return f"{self.member_id} in group {self.group_id}: {'; '.join(parts) or 'unchanged'}"


class MemberRemovalReason(_Phrase):
    """Why the coordinator removed a member (or a pending member id), after Kafka's reasons."""

    HEARTBEAT_EXPIRATION = "its session timed out"
    LEAVE_GROUP = "it sent LeaveGroup"
    NOT_REJOINED = "it did not rejoin before the join phase completed"
    PENDING_SYNC_EXPIRATION = "it did not send SyncGroup in time"
    STATIC_MEMBER_REPLACED = "a new member took over its group.instance.id"
    GROUP_MAX_SIZE_REACHED = "the group is full (group.max.size)"
    PENDING_MEMBER_EXPIRATION = "its pending member id was not used in time"
    PENDING_MEMBER_LEFT = "its pending member id left the group"


@dataclass(frozen=True)
class MemberRemoved(TraceEvent):
    """A member (or a pending member id) left the group; ``replaced_by`` is the new member id of a
    replaced static member."""

    group_id: str
    member_id: str
    reason: MemberRemovalReason
    replaced_by: Optional[str] = None

    @property
    def why(self) -> str:
        """The reason as a phrase (``"it sent LeaveGroup"``)."""
        if self.reason is MemberRemovalReason.STATIC_MEMBER_REPLACED and self.replaced_by is not None:
            return f"replaced by {self.replaced_by} with the same group.instance.id"
        return self.reason.value

    def describe(self) -> str:
        return f"{self.member_id} was removed from group {self.group_id}: {self.why}"


@dataclass(frozen=True)
class PendingMemberAdded(TraceEvent):
    """A member id was handed out with MEMBER_ID_REQUIRED (KIP-394): pending, not yet a member."""

    group_id: str
    member_id: str

    def describe(self) -> str:
        return f"{self.member_id} is a pending member of group {self.group_id} until it joins with that id"


@dataclass(frozen=True)
class LeaderChanged(TraceEvent):
    group_id: str
    old: Optional[str]
    new: Optional[str]

    def describe(self) -> str:
        return f"group {self.group_id}: leader {self.old or '(none)'} -> {self.new or '(none)'}"


@dataclass(frozen=True)
class AssignmentChanged(TraceEvent):
    """The assignment the coordinator keeps for these members (``b""``: none) was set."""

    group_id: str
    assignments: tuple[tuple[str, bytes], ...]

    def describe(self) -> str:
        n = len(self.assignments)
        what = "cleared" if not any(a for _, a in self.assignments) else "set"
        return f"group {self.group_id}: the assignment of {n} member{'s' if n != 1 else ''} was {what}"


@dataclass(frozen=True)
class LoadedMember:
    """A member as a loaded group record gives it back."""

    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    assignment: bytes


@dataclass(frozen=True)
class GroupLoaded(TraceEvent):
    """A coordinator read the group back from ``__consumer_offsets`` (after its StateChanged with
    trigger GROUP_LOADED): generation, protocol, leader and members of the last group record."""

    group_id: str
    generation_id: int
    protocol_type: Optional[str]
    protocol_name: Optional[str]
    leader_id: Optional[str]
    members: tuple[LoadedMember, ...]

    def describe(self) -> str:
        n = len(self.members)
        return (f"group {self.group_id} was loaded from __consumer_offsets: generation {self.generation_id}, "
                f"{n} member{'s' if n != 1 else ''}")


class GroupRemovalReason(_Phrase):
    """Why a group left its coordinator."""

    EMPTY_WITHOUT_OFFSETS = "it was empty without offsets and was deleted"
    """The offsets retention check deletes an Empty group with no offsets left (a tombstone)."""
    CREATION_WRITE_FAILED = "writing the new group failed; it was never created"
    """A JoinGroup created the group but appending its first record failed (the change is reverted)."""
    UNLOADED = "its __consumer_offsets partition moved to another broker"
    """This broker no longer leads the group's partition (coordinator failover or a leader move)."""
    REPLACED_BY_CONSUMER_GROUP = "a consumer group took its id"
    """A ConsumerGroupHeartbeat join created a consumer group with the id of this classic group
    (Empty, or upgraded online with its members): Kafka tombstones the classic group, its offsets
    stay (docs/consumer-protocol.md §7.1)."""
    INTERNAL_ERROR = "an internal error; it is rebuilt from its last record"
    """A bug in kafkalab raised inside a handler or timer: the group is dropped and read back from
    the log, as a failover would rebuild it (docs/differences.md)."""


@dataclass(frozen=True)
class GroupRemoved(TraceEvent):
    group_id: str
    reason: GroupRemovalReason

    def describe(self) -> str:
        if self.reason is GroupRemovalReason.EMPTY_WITHOUT_OFFSETS:
            return f"group {self.group_id} was empty without offsets and was deleted"
        if self.reason is GroupRemovalReason.CREATION_WRITE_FAILED:
            return f"writing the new group {self.group_id} failed; it was never created"
        if self.reason is GroupRemovalReason.REPLACED_BY_CONSUMER_GROUP:
            return f"classic group {self.group_id} was tombstoned: {self.reason.value}"
        return f"group {self.group_id} was unloaded: {self.reason.value}"


@dataclass(frozen=True)
class InternalError(TraceEvent):
    """An exception inside one of the coordinator's handlers or timers (a bug in kafkalab, never
    a protocol outcome); ``error`` is the exception's type and message. The group is rebuilt."""

    group_id: Optional[str]
    error: str

    def describe(self) -> str:
        where = f" in group {self.group_id}" if self.group_id else ""
        return f"internal error{where}: {self.error}; the affected requests were answered with errors"


@dataclass(frozen=True)
class OffsetsDeleted(TraceEvent):
    """The group's committed offsets of deleted topics' partitions were dropped (Kafka's
    ``onPartitionsDeleted`` writes an offset tombstone for each)."""

    group_id: str
    partitions: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        names = ", ".join(f"{t}-{p}" for t, p in self.partitions)
        return f"group {self.group_id}: committed offsets of deleted partitions dropped ({names})"


@dataclass(frozen=True)
class GroupRecordWritten(TraceEvent):
    """The coordinator appended the group's record to ``__consumer_offsets`` (``error_code`` NONE),
    or the append failed with a storage error."""

    group_id: str
    generation_id: int
    member_count: int
    error_code: ErrorCode = ErrorCode.NONE

    def describe(self) -> str:
        if self.error_code is not ErrorCode.NONE:
            return f"writing the record of group {self.group_id} failed with {self.error_code.name}"
        n = self.member_count
        return (f"the record of group {self.group_id} (generation {self.generation_id}, "
                f"{n} member{'s' if n != 1 else ''}) was written to __consumer_offsets")


# ---------------------------------------------------------------------------- decisions

@dataclass(frozen=True)
class InitialRebalanceDelayEnded(TraceEvent):
    """The delayed initial rebalance's timer ran out (Kafka's ``InitialDelayedJoin``).

    ``new_member_added`` says whether members joined during the delay (the first member, which
    started it, does not count); ``next_delay_ms`` is the extension when the coordinator waits
    again, ``None`` when the join phase completes now (no newcomer, or the first member's
    rebalance timeout is used up)."""

    group_id: str
    delay_ms: int
    new_member_added: bool
    next_delay_ms: Optional[int]

    def describe(self) -> str:
        head = f"group {self.group_id}: the {self.delay_ms} ms initial rebalance delay ended"
        if self.next_delay_ms is not None:
            return f"{head}; members joined during it, so it waits another {self.next_delay_ms} ms"
        if self.new_member_added:
            return f"{head}; members joined during it, but the rebalance timeout is used up, so the join phase completes"
        return f"{head} with no new member, so the join phase completes"


@dataclass(frozen=True)
class JoinPhaseExtended(TraceEvent):
    """The join timer fired but no member had rejoined: only static members that did not rejoin
    are left, so the join phase waits another rebalance timeout (``delay_ms``) for their sessions."""

    group_id: str
    delay_ms: int

    def describe(self) -> str:
        return "no member rejoined; the join phase waits another rebalance timeout"


# ---------------------------------------------------------------------------- the fold

class GroupView:
    """One group as its coordinator's records tell it, rebuilt event by event.

    :meth:`apply` takes coordinator trace events in order (others and other groups' are ignored)
    and changes exactly what each record says; :meth:`describe` then equals
    :meth:`kafkalab.Coordinator.describe` for the group at that point.  Attributes: ``exists``,
    ``state`` (``None`` before the group exists, DEAD once it is removed), ``previous_state`` (the
    state before the last change), ``generation_id`` (the last one, also after the group was
    removed), ``protocol_type``, ``protocol_name``,
    ``leader_id``, ``members`` (member id -> the member's ``describe()`` fields, in join order)
    and ``pending`` (pending member ids).  Applying costs O(1) per record (O(members) for a load
    or an assignment); :meth:`describe` builds a fresh dict, O(members).
    """

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id
        self.state: Optional[GroupState] = None
        self._clear()

    def _clear(self) -> None:
        self.exists = False
        self.previous_state: Optional[GroupState] = None
        self.generation_id = -1
        self.protocol_type: Optional[str] = None
        self.protocol_name: Optional[str] = None
        self.leader_id: Optional[str] = None
        self.members: dict[str, dict] = {}
        self.pending: dict[str, None] = {}

    def apply(self, event: Any) -> bool:
        """Apply one coordinator event; return whether it was a record of this group."""
        fold_one = _FOLD.get(type(event))
        if fold_one is None or event.group_id != self.group_id:
            return False
        fold_one(self, event)
        return True

    def describe(self) -> dict:
        """The group in :meth:`kafkalab.Coordinator.describe`'s shape (``{"state": "Dead"}`` if absent)."""
        if not self.exists or self.state is None:
            return {"group_id": self.group_id, "state": "Dead", "generation_id": -1, "members": []}
        return {
            "group_id": self.group_id,
            "state": self.state.value,
            "generation_id": self.generation_id,
            "protocol_type": self.protocol_type,
            "protocol_name": self.protocol_name,
            "leader_id": self.leader_id,
            "pending_members": list(self.pending),
            "members": [dict(m) for m in self.members.values()],
        }

    # -------------------------------------------------------------- one function per record

    def _state_changed(self, e: StateChanged) -> None:
        if e.old is None:  # a new group object: nothing of an earlier one carries over
            self._clear()
        self.exists = True
        self.previous_state, self.state = e.old, e.new
        self.generation_id = e.generation_id
        self.protocol_type, self.protocol_name = e.protocol_type, e.protocol_name

    def _member_added(self, e: MemberAdded) -> None:
        self.pending.pop(e.member_id, None)
        self.members[e.member_id] = _member(e.member_id, e.group_instance_id, e.client_id, e.client_host,
                                            e.session_timeout_ms, e.rebalance_timeout_ms, e.assignment,
                                            e.awaiting_join, False)

    def _member_updated(self, e: MemberUpdated) -> None:
        m = self.members[e.member_id]
        for name in ("session_timeout_ms", "rebalance_timeout_ms", "awaiting_join", "awaiting_sync"):
            value = getattr(e, name)
            if value is not None:
                m[name] = value

    def _member_removed(self, e: MemberRemoved) -> None:
        self.members.pop(e.member_id, None)
        self.pending.pop(e.member_id, None)

    def _pending_member_added(self, e: PendingMemberAdded) -> None:
        self.pending[e.member_id] = None

    def _leader_changed(self, e: LeaderChanged) -> None:
        self.leader_id = e.new

    def _assignment_changed(self, e: AssignmentChanged) -> None:
        for member_id, assignment in e.assignments:
            self.members[member_id]["assignment"] = assignment

    def _group_loaded(self, e: GroupLoaded) -> None:
        self.generation_id = e.generation_id
        self.protocol_type, self.protocol_name, self.leader_id = e.protocol_type, e.protocol_name, e.leader_id
        self.members = {m.member_id: _member(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                                             m.session_timeout_ms, m.rebalance_timeout_ms, m.assignment,
                                             False, False)
                        for m in e.members}
        self.pending = {}

    def _group_removed(self, e: GroupRemoved) -> None:
        previous, generation = self.state, self.generation_id
        self._clear()
        # describe() now says Dead (generation -1); the attributes keep the last generation.
        self.previous_state, self.state, self.generation_id = previous, GroupState.DEAD, generation


def _member(member_id: str, group_instance_id: Optional[str], client_id: str, client_host: str,
            session_timeout_ms: int, rebalance_timeout_ms: int, assignment: bytes, awaiting_join: bool,
            awaiting_sync: bool) -> dict:
    return {"member_id": member_id, "group_instance_id": group_instance_id, "client_id": client_id,
            "client_host": client_host, "session_timeout_ms": session_timeout_ms,
            "rebalance_timeout_ms": rebalance_timeout_ms, "assignment": assignment,
            "awaiting_join": awaiting_join, "awaiting_sync": awaiting_sync}


_FOLD: dict[type, Callable[[GroupView, Any], None]] = {
    StateChanged: GroupView._state_changed,
    MemberAdded: GroupView._member_added,
    MemberUpdated: GroupView._member_updated,
    MemberRemoved: GroupView._member_removed,
    PendingMemberAdded: GroupView._pending_member_added,
    LeaderChanged: GroupView._leader_changed,
    AssignmentChanged: GroupView._assignment_changed,
    GroupLoaded: GroupView._group_loaded,
    GroupRemoved: GroupView._group_removed,
}


def fold(events: Iterable[Any], group_id: str) -> GroupView:
    """The :class:`GroupView` of ``group_id`` after applying ``events`` (a coordinator's trace)."""
    view = GroupView(group_id)
    for e in events:
        view.apply(e)
    return view
