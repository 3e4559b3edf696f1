"""What every group handler works with: one broker's groups and offsets, its clock, timers, log,
trace and the replies of the current call.

How it works
------------
Kafka's coordinator splits this between the ``CoordinatorRuntime`` (the time, the timer, appending
records to ``__consumer_offsets`` and failing when the append fails, completing the responses) and
each partition's shard (the ``groups`` of ``GroupMetadataManager``, the ``offsets`` of
``OffsetMetadataManager``).  kafkalab's :class:`~kafkalab.Coordinator` serves all of a broker's
partitions from one :class:`Runtime`, and hands it explicitly to every handler: the classic
protocol's (:mod:`kafkalab.classic`) and the offsets' (:mod:`kafkalab.offsets`) take ``rt`` as
their first argument and touch the broker only through it.

A call of the coordinator starts with :meth:`Runtime.start` (which sets ``now``) and ends with
:meth:`Runtime.finish` (which hands back the :class:`Reply` objects :meth:`Runtime.send` collected
meanwhile).  Nothing here reads a clock or touches a socket.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import trace as tr
from .classic.group import Group
from .config import CoordinatorConfig
from .errors import ErrorCode
from .grouplog import GroupLog, GroupRecord, OffsetAndMetadata
from .messages import Response
from .sansio import SansIO
from .timers import OffsetsExpiryTimer, TimerTable

if TYPE_CHECKING:
    from .modern.manager import ConsumerGroupManager

__all__ = ["Reply", "Runtime"]


@dataclass(frozen=True)
class Reply:
    """A response and where it goes (``origin`` is whatever the caller passed to ``handle``)."""

    origin: Any
    response: Response


class Runtime(SansIO):
    """The shared state of one broker's coordinator, and the plumbing every handler uses.

    Args:
        config: the broker configs.
        log: the ``__consumer_offsets`` log (shared by the coordinators of one cluster).
        tracing: keep a trace of every event in :attr:`trace`.
        member_id_seed: seed of the random UUIDs in generated member ids.
        new_member_id: optional ``f(prefix) -> member id`` replacing Kafka's ``prefix-UUID``.
    """

    def __init__(self, config: CoordinatorConfig, log: GroupLog, *, tracing: bool = True,
                 member_id_seed: int = 0, new_member_id: Callable[[str], str] | None = None) -> None:
        self.config = config
        self.log = log
        #: The groups this broker coordinates, by group id.
        self.groups: dict[str, Group] = {}
        #: The broker's consumer groups (KIP-848), set by the coordinator; one namespace of group
        #: ids with :attr:`groups` (an id is in one of them at most).
        self.consumer_groups: Optional["ConsumerGroupManager"] = None
        #: The committed offsets of those groups (Kafka's ``OffsetMetadataManager.offsets``).
        self.offsets: dict[str, dict[tuple[str, int], OffsetAndMetadata]] = {}
        self.timers = TimerTable()
        self.trace: list[tr.TraceEvent] = []
        self.tracing = tracing
        self._rng = random.Random(member_id_seed)
        self._new_member_id = new_member_id
        self._write_errors: list[ErrorCode] = []
        self._out: list[Reply] = []

    # ------------------------------------------------------------------ one call

    @property
    def now(self) -> int:
        """The time of the current call (virtual milliseconds)."""
        return self._now

    def start(self, now: int) -> None:
        """Begin a call at ``now`` (it must not go backwards)."""
        self._begin(now)

    def finish(self) -> list[Reply]:
        """End the call: the replies it caused, in the order they were sent."""
        return self._end()

    def emit(self, event: tr.TraceEvent) -> None:
        """Append ``event`` to the trace (when tracing)."""
        if self.tracing:
            self.trace.append(event)

    def send(self, origin: Any, group_id: Optional[str], response: Response) -> None:
        """Answer the request that came from ``origin``."""
        self._out.append(Reply(origin, response))
        self.emit(tr.ResponseSent(self._now, origin, group_id, response))

    def answered_origins(self) -> set[Any]:
        """The origins this call has answered so far."""
        return {reply.origin for reply in self._out}

    # ------------------------------------------------------------------ the log

    def inject_write_error(self, error: ErrorCode, count: int = 1) -> None:
        """Make the next ``count`` group-record appends fail with the storage error ``error``."""
        self._write_errors.extend([ErrorCode(error)] * count)

    def append_group_record(self, record: GroupRecord) -> ErrorCode:
        """Append a group record to the log, as Kafka's runtime appends a write operation's records.

        Returns:
            NONE, or the injected storage error (unmapped: the caller maps it for its response).
        """
        if self._write_errors:
            error = self._write_errors.pop(0)
            self.emit(tr.GroupRecordWritten(self._now, record.group_id, record.generation_id, 0, error))
            return error
        self.log.groups[record.group_id] = record
        self.log.writes += 1
        self.emit(tr.GroupRecordWritten(self._now, record.group_id, record.generation_id, len(record.members)))
        return ErrorCode.NONE

    # ------------------------------------------------------------------ ids and timers

    def generate_member_id(self, prefix: str) -> str:
        """Kafka's ``prefix + "-" + UUID`` (seeded, so runs repeat), or the caller's own scheme."""
        if self._new_member_id is not None:
            return self._new_member_id(prefix)
        return f"{prefix}-{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"

    def cancel_group_timers(self, group_id: str) -> None:
        """Cancel every classic timer of ``group_id`` (its members' sessions, its join and sync
        timers); the consumer-group manager cancels its own (tuple keys)."""
        for key in [k for k in self.timers.keys() if not isinstance(k, tuple) and k.group_id == group_id]:
            self.timers.cancel(key)

    def ensure_offsets_expiry_timer(self) -> None:
        """Arm the retention check if it is not armed.  Kafka runs it every
        ``offsets.retention.check.interval.ms`` from the moment the partition was loaded; kafkalab
        keeps that phase (multiples of the interval since time 0) but arms the timer only while
        some group could lose offsets or be deleted, so an idle coordinator has no timers."""
        if OffsetsExpiryTimer() not in self.timers:
            interval = self.config.offsets_retention_check_interval_ms
            self.timers.schedule(OffsetsExpiryTimer(), (self._now // interval + 1) * interval)
