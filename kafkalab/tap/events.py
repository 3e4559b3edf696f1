"""A tap trace for the player: the real broker's side of the group, in a wire server's trace shape.

The tap sees what a group coordinator receives and answers, which is what a
:class:`kafkalab.wire.Server`'s coordinators record. :func:`wire_traces` is the one adapter: it
turns the tap's records into those traces (a :class:`~kafkalab.trace.RequestReceived` per group
request, a :class:`~kafkalab.trace.ResponseSent` per answer, per broker), and the viz's wire entry
points do the rest, so the player, the sequence diagram and the plots show a tapped group as they
show a kafkalab server's.
"""

from __future__ import annotations

from typing import Any

from ..consumer_protocol import decode_assignment
from ..trace import RequestReceived, ResponseSent
from ..viz import wire_events, wire_steps
from ..wire.broker import Origin
from ..wire.codec import OffsetFetchBatch, OffsetFetchBatchResponse
from .trace import load_trace

__all__ = ["wire_traces", "tap_events", "tap_steps", "assignments", "COORDINATOR_APIS"]

#: The requests a group coordinator answers (FindCoordinator is answered by any broker).
COORDINATOR_APIS = frozenset({"JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch",
                              "DescribeGroups", "ListGroups"})


def wire_traces(trace: Any) -> dict[int, list]:
    """``{broker node id: [RequestReceived / ResponseSent, ...]}`` from a tap (or its records, or a
    trace file): each group request and answer the tap decoded, at the millisecond it passed.

    Connections are labelled ``"<client id>#<n>"`` as the wire server labels them; an OffsetFetch
    batch becomes one request and one answer per group, as a broker handles it.
    """
    records = load_trace(trace.records if hasattr(trace, "records") else trace)
    node_of = {r.broker: r.node_id for r in records if r.kind == "broker" and r.node_id is not None}
    labels: dict[Any, str] = {}
    groups: dict[tuple, Any] = {}  # (conn, correlation id) -> the request's group
    traces: dict[int, list] = {}
    for r in records:
        if r.kind not in ("request", "response") or r.api not in COORDINATOR_APIS or r.message is None:
            continue
        node = r.node_id if r.node_id is not None else node_of.get(r.broker, -1)
        label = labels.setdefault(r.conn, f"{r.client_id or 'client'}#{r.conn}")
        origin = Origin(label, r.correlation_id, r.version)
        at = int(round(r.t))
        if isinstance(r.message, OffsetFetchBatch):
            parts = [(q.group_id, q) for q in r.message.requests]
        elif isinstance(r.message, OffsetFetchBatchResponse):
            parts = list(r.message.groups)
        elif r.kind == "request":
            parts = [(getattr(r.message, "group_id", None), r.message)]
            groups[(r.conn, r.correlation_id)] = parts[0][0]
        else:
            parts = [(groups.pop((r.conn, r.correlation_id), None), r.message)]
        for group_id, message in parts:
            event = RequestReceived if r.kind == "request" else ResponseSent
            traces.setdefault(node, []).append(event(at, origin, group_id, message))
    return traces


def tap_events(trace: Any) -> list:
    """The player's events (MessageSent / MessageDelivered named by client id, and the broker's
    receive/answer events) from a tap trace: :func:`kafkalab.viz.wire_events` of :func:`wire_traces`."""
    return wire_events(wire_traces(trace))


def tap_steps(trace: Any, group: str, *, heartbeats: bool = False) -> tuple[list, list]:
    """Player steps of ``group`` from a tap trace: ``(steps, events)``, for
    ``Player(steps, trace=events)`` (:func:`kafkalab.viz.wire_steps` of :func:`wire_traces`)."""
    return wire_steps(wire_traces(trace), group, heartbeats=heartbeats)


def assignments(trace: Any, group: str) -> dict[int, dict[str, list[tuple[str, int]]]]:
    """``{generation: {client id: [(topic, partition), ...]}}``: what the broker's SyncGroup answers
    handed each member of ``group``, by the generation the member synced for (the broker's own
    numbering). The shape :func:`kafkalab.viz.balance_bars` and :func:`~kafkalab.viz.movement_bars` draw.

    This is the broker's side: when a client started or stopped consuming is not on the wire.
    """
    records = load_trace(trace.records if hasattr(trace, "records") else trace)
    asked: dict[tuple, Any] = {}
    out: dict[int, dict[str, list[tuple[str, int]]]] = {}
    for r in records:
        if r.api != "SyncGroup" or r.message is None:
            continue
        if r.kind == "request":
            if r.message.group_id == group:
                asked[(r.conn, r.correlation_id)] = r
            continue
        request = asked.pop((r.conn, r.correlation_id), None)
        if request is None or r.kind != "response" or int(r.message.error_code) != 0:
            continue
        try:
            parts = decode_assignment(r.message.assignment).assigned_partitions if r.message.assignment else ()
        except ValueError:
            continue  # not a consumer's assignment (another protocol type)
        out.setdefault(request.message.generation_id, {})[r.client_id or f"client-{r.conn}"] = sorted(parts)
    return dict(sorted(out.items()))
