"""Small helpers over a world's trace shared by the player, the diagrams and the plots.

They read event types and fields only: who sent what to whom, a response's error code, which
request/response exchange a message belongs to, which consumers belong to which group.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional, Sequence

from ..errors import ErrorCode
from ..sim.events import CoordinatorEvent, MessageDelivered, MessageDropped, MessageSent
from ..trace import StateChanged, api_name

__all__ = [
    "events_of", "unwrap", "is_broker", "is_response", "error_code", "exchange_key", "routine_exchanges",
    "consumer_groups", "first_group", "short_member_id", "HEARTBEAT_APIS", "OFFSET_APIS",
]

HEARTBEAT_APIS = frozenset({"Heartbeat", "ConsumerGroupHeartbeat"})
OFFSET_APIS = frozenset({"OffsetCommit", "OffsetFetch"})


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


def routine_exchanges(events: Sequence[Any], apis: Iterable[str], *, leaves: bool = False) -> set[tuple[str, int]]:
    """Exchanges of the given APIs whose response was delivered without an error.

    A ConsumerGroupHeartbeat (KIP-848) is the whole protocol, so it is routine only when it also
    changed nothing for its member: the answer carries no assignment (``None``: unchanged) and the
    same member epoch the request had.  With ``leaves=True`` a leave (a request at epoch -1 or -2)
    is never routine: in a trace without the consumers' own events it is the only sign of a close.
    """
    apis = frozenset(apis)
    if not apis:
        return set()
    out = set()
    epochs: dict[Any, int] = {}  # exchange -> the member epoch a ConsumerGroupHeartbeat request had
    for e in events:
        if not isinstance(e, MessageDelivered) or api_name(e.message) not in apis:
            continue
        if not is_response(e.message):
            if api_name(e.message) == "ConsumerGroupHeartbeat":
                epochs[exchange_key(e)] = e.message.member_epoch
            continue
        if leaves and epochs.get(exchange_key(e), 0) < 0:
            continue
        code = error_code(e.message)
        if code is None or code == ErrorCode.NONE:
            if api_name(e.message) == "ConsumerGroupHeartbeat" and (
                    e.message.assignment is not None or epochs.get(exchange_key(e)) != e.message.member_epoch):
                continue
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


def first_group(events: Sequence[Any], groups: dict[str, str]) -> Optional[str]:
    """The first group a trace talks about (a state change, or a consumer's request)."""
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
