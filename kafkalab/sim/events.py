"""What the simulated world records: messages on the network and what consumers did.

Together with each broker's coordinator trace (``kafkalab.trace``) these events are the
course's raw material: the player steps through them, the sequence diagram draws the
``MessageSent``/``MessageDelivered`` pairs, the timeline plots ``PartitionsAssigned`` and
``PartitionsRevoked``.  Every event has ``at`` (virtual ms) and ``describe()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..trace import TraceEvent, api_name


def _code(message: Any) -> str:
    code = getattr(message, "error_code", None)
    if code is None or not hasattr(code, "name"):
        return ""
    return f" {code.name}"


@dataclass(frozen=True)
class MessageSent(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int

    def describe(self) -> str:
        return f"{self.src} sent {api_name(self.message)}{_code(self.message)} to {self.dst}"


@dataclass(frozen=True)
class MessageDelivered(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int
    sent_at: int

    def describe(self) -> str:
        kind = "response" if type(self.message).__name__.endswith("Response") else "request"
        return f"{self.dst} received {api_name(self.message)} {kind}{_code(self.message)} from {self.src}"


@dataclass(frozen=True)
class MessageDropped(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int
    reason: str

    def describe(self) -> str:
        return f"the network dropped {api_name(self.message)} from {self.src} to {self.dst} ({self.reason})"


@dataclass(frozen=True)
class ClientStateChanged(TraceEvent):
    consumer: str
    old: str
    new: str
    reason: str = ""

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.consumer}: {self.old} -> {self.new}{why}"


@dataclass(frozen=True)
class PartitionsAssigned(TraceEvent):
    consumer: str
    partitions: tuple[tuple[str, int], ...]
    generation_id: int

    def describe(self) -> str:
        return f"{self.consumer} onPartitionsAssigned({_fmt(self.partitions)}) in generation {self.generation_id}"


@dataclass(frozen=True)
class PartitionsRevoked(TraceEvent):
    consumer: str
    partitions: tuple[tuple[str, int], ...]
    lost: bool = False

    def describe(self) -> str:
        cb = "onPartitionsLost" if self.lost else "onPartitionsRevoked"
        return f"{self.consumer} {cb}({_fmt(self.partitions)})"


@dataclass(frozen=True)
class ConsumerNote(TraceEvent):
    """A consumer-side happening in plain words (poll timeout, crash, fatal error, ...)."""

    consumer: str
    text: str

    def describe(self) -> str:
        return f"{self.consumer}: {self.text}"


@dataclass(frozen=True)
class ConsumerStopped(TraceEvent):
    """The consumer's process stopped (``how`` is "crashed" or "closed"); it owns nothing after."""

    consumer: str
    how: str
    partitions: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        held = f", dropping {_fmt(self.partitions)}" if self.partitions else ""
        return f"{self.consumer} {self.how}{held}"


@dataclass(frozen=True)
class RecordsProcessed(TraceEvent):
    consumer: str
    topic: str
    partition: int
    first_offset: int
    last_offset: int

    def describe(self) -> str:
        return (f"{self.consumer} processed {self.topic}-{self.partition} offsets "
                f"{self.first_offset}..{self.last_offset}")


@dataclass(frozen=True)
class CoordinatorEvent(TraceEvent):
    """A coordinator trace event, tagged with the broker it happened on."""

    broker: int
    event: TraceEvent

    def describe(self) -> str:
        return f"[broker {self.broker}] {self.event.describe()}"


def _fmt(partitions) -> str:
    if not partitions:
        return "none"
    by_topic: dict[str, list[int]] = {}
    for t, p in partitions:
        by_topic.setdefault(t, []).append(p)
    return ", ".join(f"{t}-{','.join(map(str, sorted(ps)))}" for t, ps in sorted(by_topic.items()))


def format_partitions(partitions) -> str:
    """``[("t", 0), ("t", 1)]`` -> ``"t-0,1"``."""
    return _fmt(partitions)
