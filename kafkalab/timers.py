"""The coordinator's timers: typed keys, and a keyed timer table on a caller-supplied clock.

How it works
------------
Timers are data: a key, a deadline in milliseconds and a payload.  A key says which timer it is,
one frozen dataclass per kind, named after the Kafka timer it models:

* :class:`HeartbeatTimer` ``(group_id, member_id)`` -- a member's session, or a pending or new
  member's join timeout (Kafka's ``classicGroupHeartbeatKey``);
* :class:`JoinTimer` ``(group_id)`` -- the join phase's rebalance timeout, or the delayed initial
  rebalance with an :class:`InitialDelay` payload (``classicGroupJoinKey``);
* :class:`SyncTimer` ``(group_id)`` -- the pending-sync timeout, with the generation it guards
  as payload (``classicGroupSyncKey``);
* :class:`OffsetsExpiryTimer` ``()`` -- the periodic offsets retention check;
* the consumer protocol's timers: tuples whose first item is a
  :class:`~kafkalab.modern.timers.ConsumerTimer` (:mod:`kafkalab.modern.timers`), scheduled by the
  coordinator's :class:`~kafkalab.modern.ConsumerGroupManager` in the same table.

Scheduling an existing key replaces it (as Kafka's coordinator timer does); :meth:`TimerTable.due`
hands back expired timers sorted by ``(deadline, schedule order)``, so timers with equal deadlines
fire in the order they were scheduled, which Kafka's own tests rely on.  The coordinator
dispatches a fired timer on its key's type (``Coordinator.on_timer``).

Implementation: a dict from key to entry plus a heap with lazy deletion, so schedule, cancel and
pop are O(log n) however many members a group has.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, NamedTuple, Optional, Union

__all__ = [
    "TimerKind", "HeartbeatTimer", "JoinTimer", "SyncTimer", "OffsetsExpiryTimer", "ClassicTimerKey", "TimerKey",
    "InitialDelay", "Timer", "TimerTable",
]


class TimerKind(Enum):
    """The coordinator's timers (Kafka's delayed operations)."""

    HEARTBEAT = "heartbeat"
    """A member's session (DelayedHeartbeat), or a pending or new member's join timeout."""
    JOIN = "join"
    """The join phase: the rebalance timeout (DelayedJoin), or the initial delay (InitialDelayedJoin)."""
    SYNC = "sync"
    """The pending-sync timeout after the join phase completed."""
    OFFSETS_EXPIRY = "offsets-expiry"
    """The periodic offsets retention check (``offsets.retention.check.interval.ms``)."""


@dataclass(frozen=True)
class HeartbeatTimer:
    """A member's session timer, or a pending or new member's join timeout."""

    group_id: str
    member_id: str
    kind: ClassVar[TimerKind] = TimerKind.HEARTBEAT


@dataclass(frozen=True)
class JoinTimer:
    """The group's join-phase timer (rebalance timeout, or the delayed initial rebalance)."""

    group_id: str
    kind: ClassVar[TimerKind] = TimerKind.JOIN


@dataclass(frozen=True)
class SyncTimer:
    """The group's pending-sync timer (members that must send SyncGroup before it fires)."""

    group_id: str
    kind: ClassVar[TimerKind] = TimerKind.SYNC


@dataclass(frozen=True)
class OffsetsExpiryTimer:
    """The coordinator's periodic offsets retention check (no group: it checks them all)."""

    group_id: ClassVar[Optional[str]] = None
    kind: ClassVar[TimerKind] = TimerKind.OFFSETS_EXPIRY


#: The classic protocol's timer keys (and the retention check).
ClassicTimerKey = Union[HeartbeatTimer, JoinTimer, SyncTimer, OffsetsExpiryTimer]

#: Every timer key the coordinator schedules (a ``tuple`` is a consumer-group timer,
#: :func:`kafkalab.modern.timers.is_consumer_timer`).
TimerKey = Union[ClassicTimerKey, tuple]


class InitialDelay(NamedTuple):
    """The payload of a :class:`JoinTimer` during the delayed initial rebalance (Kafka's
    ``InitialDelayedJoin``): this delay, and how much of the rebalance timeout is left after it."""

    delay_ms: int
    remaining_ms: int


@dataclass(frozen=True)
class Timer:
    """One scheduled timer."""

    key: TimerKey
    deadline: int
    payload: Any = None
    seq: int = 0


class TimerTable:
    """Keyed timers: ``schedule`` / ``cancel`` / ``pop_due`` / ``next_deadline``."""

    def __init__(self) -> None:
        self._by_key: dict[TimerKey, Timer] = {}
        self._heap: list[tuple[int, int, TimerKey]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: TimerKey) -> bool:
        return key in self._by_key

    def get(self, key: TimerKey) -> Timer | None:
        """The timer scheduled under ``key``, or None."""
        return self._by_key.get(key)

    def schedule(self, key: TimerKey, deadline: int, payload: Any = None) -> Timer:
        """Schedule (or replace) the timer ``key`` to fire at ``deadline``."""
        timer = Timer(key, deadline, payload, next(self._seq))
        self._by_key[key] = timer
        heapq.heappush(self._heap, (deadline, timer.seq, key))
        return timer

    def cancel(self, key: TimerKey) -> Timer | None:
        """Remove the timer ``key``; return it, or None when there was none."""
        return self._by_key.pop(key, None)

    def _clean_top(self) -> None:
        heap = self._heap
        while heap:
            deadline, seq, key = heap[0]
            live = self._by_key.get(key)
            if live is not None and live.seq == seq:
                return
            heapq.heappop(heap)

    def next_deadline(self) -> int | None:
        """The earliest deadline, or None when no timer is scheduled."""
        self._clean_top()
        return self._heap[0][0] if self._heap else None

    def pop_next_due(self, now: int) -> Timer | None:
        """Remove and return the earliest timer due at ``now`` (ties: schedule order), or None."""
        self._clean_top()
        if not self._heap or self._heap[0][0] > now:
            return None
        _deadline, _seq, key = heapq.heappop(self._heap)
        return self._by_key.pop(key)

    def due(self, now: int) -> list[Timer]:
        """Every timer due at ``now`` without removing them, sorted by (deadline, seq)."""
        return sorted(
            (t for t in self._by_key.values() if t.deadline <= now),
            key=lambda t: (t.deadline, t.seq),
        )

    def keys(self) -> list[TimerKey]:
        """The scheduled keys, sorted by (deadline, seq)."""
        return [t.key for t in sorted(self._by_key.values(), key=lambda t: (t.deadline, t.seq))]
