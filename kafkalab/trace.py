"""Past-tense trace events: what the coordinator received, answered, fired and changed.

Every entry point of :class:`kafkalab.Coordinator` appends to ``coordinator.trace``; the course's
player, sequence diagrams and plots are drawn from it, and tests assert on it.  Each event has
``at`` (virtual milliseconds) and a ``describe()`` that says in one plain sentence what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .state import GroupState, Trigger


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
    def error_code(self):
        code = getattr(self.response, "error_code", None)
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
    key: tuple

    def describe(self) -> str:
        kind = self.key[0]
        if kind == "heartbeat":
            return f"the session timer of {self.key[2]} in {self.key[1]} expired"
        if kind == "join":
            return f"the join timer of {self.key[1]} fired"
        if kind == "sync":
            return f"the pending-sync timer of {self.key[1]} fired"
        return f"timer {self.key} fired"


@dataclass(frozen=True)
class StateChanged(TraceEvent):
    group_id: str
    old: Optional[GroupState]
    new: GroupState
    trigger: Trigger
    generation_id: int

    def describe(self) -> str:
        old = self.old.value if self.old else "(new)"
        return f"group {self.group_id}: {old} -> {self.new.value} because {self.trigger.value}"


@dataclass(frozen=True)
class MemberAdded(TraceEvent):
    group_id: str
    member_id: str
    group_instance_id: Optional[str]

    def describe(self) -> str:
        return f"{self.member_id} was added to group {self.group_id}"


@dataclass(frozen=True)
class MemberRemoved(TraceEvent):
    group_id: str
    member_id: str
    reason: str

    def describe(self) -> str:
        return f"{self.member_id} was removed from group {self.group_id}: {self.reason}"


@dataclass(frozen=True)
class LeaderChanged(TraceEvent):
    group_id: str
    old: Optional[str]
    new: Optional[str]

    def describe(self) -> str:
        return f"group {self.group_id}: leader {self.old or '(none)'} -> {self.new or '(none)'}"


@dataclass(frozen=True)
class Note(TraceEvent):
    """A free-form remark the coordinator makes (e.g. why a join could not complete)."""

    group_id: Optional[str]
    text: str

    def describe(self) -> str:
        return self.text
