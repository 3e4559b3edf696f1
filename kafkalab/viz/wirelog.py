"""One consumer's messages, as text: what it sent and what it was answered, with arrival times.

:func:`wire_log` prints the lines the notebooks read a scenario with (01's failover, 02's joins)::

      11011 ms  c1 -> broker-0: OffsetCommit (generation 1)
      11012 ms  c1 <- broker-0: OffsetCommit NOT_COORDINATOR
      11114 ms  c1 <- broker-0: FindCoordinator NONE (broker-1)

Routine traffic is left out: an exchange (a request and its answer) of one of the ``skip`` APIs is
printed only when its answer carried an error.  Requests show the detail that matters to a
rebalance (the member id a JoinGroup carries, the generation of a SyncGroup, Heartbeat or
OffsetCommit), answers their error code and what came with it (the member id handed out with
MEMBER_ID_REQUIRED, the generation and role a JoinGroup answer gives, the coordinator a
FindCoordinator answer names); a ConsumerGroupHeartbeat (KIP-848) shows the member epoch it
carries, whether it reports the owned partitions, and whether its answer brings an assignment.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ..sim.events import MessageDelivered
from ..trace import api_name
from .tracetools import error_code, events_of, short_member_id

__all__ = ["wire_log", "wire_log_lines", "ROUTINE"]

#: The APIs whose error-free exchanges :func:`wire_log` leaves out by default.
ROUTINE = ("Heartbeat", "OffsetCommit", "OffsetFetch")


def wire_log_lines(world_or_events: Any, consumer: str, *, since: int = 0, until: Optional[int] = None,
                   skip: Iterable[str] = ROUTINE) -> list[str]:
    """The lines :func:`wire_log` prints."""
    events, _ = events_of(world_or_events)
    skip = set(skip)
    delivered = [e for e in events if isinstance(e, MessageDelivered) and consumer in (e.src, e.dst)]
    failed = {e.correlation_id for e in delivered if e.dst == consumer and _code_name(e.message) not in (None, "NONE")}
    lines = []
    for e in delivered:
        if e.at < since or (until is not None and e.at > until):
            continue
        api = api_name(e.message)
        if api in skip and e.correlation_id not in failed:
            continue
        m = e.message
        if e.dst == consumer:
            code = _code_name(m)
            extra = ""
            if api == "JoinGroup" and code == "MEMBER_ID_REQUIRED":
                extra = f", here is your id: {short_member_id(m.member_id)}"
            elif api == "JoinGroup" and code == "NONE":
                extra = f", generation {m.generation_id}, {'leader' if m.leader == m.member_id else 'follower'}"
            elif api == "FindCoordinator" and code == "NONE":
                extra = f" (broker-{m.node_id})"
            elif api == "ConsumerGroupHeartbeat" and code == "NONE":
                extra = f", epoch {m.member_epoch}" + (", new assignment" if m.assignment is not None else "")
            lines.append(f"{e.at:>7} ms  {consumer} <- {e.src}: {api} {code or ''}{extra}")
        else:
            extra = ""
            if api == "JoinGroup":
                extra = f" (member id {short_member_id(m.member_id)})" if m.member_id else " (no member id)"
            elif api in ("Heartbeat", "OffsetCommit", "SyncGroup"):
                extra = f" (generation {m.generation_id})"
            elif api == "ConsumerGroupHeartbeat":
                owns = m.topic_partitions is not None and m.member_epoch > 0  # a join's empty list reports nothing
                extra = f" (epoch {m.member_epoch}" + (", owned partitions" if owns else "") + ")"
            lines.append(f"{e.at:>7} ms  {consumer} -> {e.dst}: {api}{extra}")
    return lines


def wire_log(world_or_events: Any, consumer: str, *, since: int = 0, until: Optional[int] = None,
             skip: Iterable[str] = ROUTINE) -> None:
    """Print what ``consumer`` sent and received between ``since`` and ``until`` (ms, arrival times).

    Args:
        world_or_events: a :class:`~kafkalab.sim.World` or its trace.
        consumer: the consumer's name.
        since, until: the time window (inclusive); ``until=None``: to the end.
        skip: APIs whose exchanges are printed only when answered with an error (default
            :data:`ROUTINE`: heartbeats and offset traffic); ``skip=()`` prints everything.
    """
    for line in wire_log_lines(world_or_events, consumer, since=since, until=until, skip=skip):
        print(line)


def _code_name(message: Any) -> Optional[str]:
    code = error_code(message)
    if code is None:
        return None
    return code.name if hasattr(code, "name") else str(code)
