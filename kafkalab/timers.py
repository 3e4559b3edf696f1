"""A keyed timer table on a caller-supplied clock.

Timers are data: a key such as ``("heartbeat", group_id, member_id)``, ``("join", group_id)``
or ``("sync", group_id)``, a deadline in milliseconds and a payload.  Scheduling an existing key
replaces it (as Kafka's coordinator timer does); :meth:`TimerTable.due` hands back expired
timers sorted by ``(deadline, schedule order)``, so timers with equal deadlines fire in the order
they were scheduled, which Kafka's own tests rely on.

Implementation: a dict from key to entry plus a heap with lazy deletion, so schedule, cancel and
pop are O(log n) however many members a group has.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any, Hashable


@dataclass(frozen=True)
class Timer:
    """One scheduled timer."""

    key: tuple
    deadline: int
    payload: Any = None
    seq: int = 0


class TimerTable:
    """Keyed timers: ``schedule`` / ``cancel`` / ``pop_due`` / ``next_deadline``."""

    def __init__(self) -> None:
        self._by_key: dict[Hashable, Timer] = {}
        self._heap: list[tuple[int, int, Hashable]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._by_key

    def get(self, key: Hashable) -> Timer | None:
        """The timer scheduled under ``key``, or None."""
        return self._by_key.get(key)

    def schedule(self, key: tuple, deadline: int, payload: Any = None) -> Timer:
        """Schedule (or replace) the timer ``key`` to fire at ``deadline``."""
        timer = Timer(key, deadline, payload, next(self._seq))
        self._by_key[key] = timer
        heapq.heappush(self._heap, (deadline, timer.seq, key))
        return timer

    def cancel(self, key: Hashable) -> Timer | None:
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

    def keys(self) -> list[tuple]:
        """The scheduled keys, sorted by (deadline, seq)."""
        return [t.key for t in sorted(self._by_key.values(), key=lambda t: (t.deadline, t.seq))]
