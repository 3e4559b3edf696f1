"""Plumbing shared by kafkalab's sans-IO state machines (the coordinator, the wire cluster).

Every entry point takes ``now`` (int milliseconds, never decreasing) and returns the replies the
call caused; these two helpers check the clock and collect the replies of one call.
"""

from __future__ import annotations

from typing import Any


class SansIO:
    """Mixin: ``_begin(now)`` at the start of an entry point, ``_end()`` returns its replies."""

    _now: int = 0
    _out: list

    def _begin(self, now: int) -> None:
        if isinstance(now, bool) or not isinstance(now, int):
            raise TypeError(f"now must be an int of milliseconds, got {now!r}")
        if now < self._now:
            raise ValueError(f"time went backwards: now={now} after {self._now}")
        self._now = now
        self._out = []

    def _end(self) -> list[Any]:
        out, self._out = self._out, []
        return out
