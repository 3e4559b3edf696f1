"""One consumer-protocol member's reconciliation, heartbeat by heartbeat (KIP-848).

How it works
------------
:func:`reconciliation_rows` walks a world's trace and, for every ConsumerGroupHeartbeat the
consumer sent that reached the coordinator, reads the typed fields of what happened: the request's
member epoch and the partitions it reported owning (``TopicPartitions``, ``None`` when left out),
the answer's error code, member epoch and ``Assignment`` (``None`` = unchanged,
``docs/consumer-protocol.md §2.4``), and the member's current-assignment record the coordinator
wrote while handling it (:class:`~kafkalab.modern.events.MemberAssignmentUpdated`: its
reconciliation state, assigned partitions and partitions pending revocation).  Topic ids are named
from the group's :class:`~kafkalab.modern.events.SubscriptionMetadataUpdated` records.  Nothing is
recomputed: the rows are what the coordinator recorded and answered.

:func:`reconciliation_plot` draws the rows: one column per heartbeat, one row per partition, a
partition the coordinator counts as assigned in green, pending revocation in orange; the member
epoch after each heartbeat is written above its column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..errors import ErrorCode
from ..modern import events as mev
from ..sim.events import MessageDelivered, format_partitions
from ..trace import ResponseSent, api_name, who
from .plots import CourseFigure
from .tracetools import events_of, is_broker, unwrap

__all__ = ["HeartbeatRow", "reconciliation_rows", "reconciliation_plot", "reconciliation_table"]

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class HeartbeatRow:
    """One ConsumerGroupHeartbeat of a member and what the coordinator made of it.

    ``owned`` and ``assignment`` are ``None`` when the request / answer left the field out;
    ``member_state``, ``assigned`` and ``pending_revocation`` are ``None`` when the coordinator
    wrote no current-assignment record for the member (nothing changed for it).
    """

    at: int
    request_epoch: int
    owned: Optional[tuple[TopicPartition, ...]]
    error: ErrorCode
    response_epoch: int
    assignment: Optional[tuple[TopicPartition, ...]]
    member_state: Optional[str]
    assigned: Optional[tuple[TopicPartition, ...]]
    pending_revocation: Optional[tuple[TopicPartition, ...]]


def _named(names: dict[str, str], pairs: Any) -> tuple[TopicPartition, ...]:
    return tuple(sorted((names.get(t, t), p) for t, ps in pairs for p in ps))


def reconciliation_rows(world_or_events: Any, consumer: str) -> list[HeartbeatRow]:
    """Every ConsumerGroupHeartbeat ``consumer`` sent that the coordinator answered, in order.

    Raises:
        ValueError: the trace has no ConsumerGroupHeartbeat from ``consumer`` (a classic consumer,
            or a name that is not in the run).
    """
    events, _ = events_of(world_or_events)
    names: dict[str, str] = {}
    rows: list[HeartbeatRow] = []
    for i, e in enumerate(events):
        inner, broker = unwrap(e)
        if isinstance(inner, mev.SubscriptionMetadataUpdated):
            names.update({t.topic_id: t.name for t in inner.topics})
            continue
        if not (isinstance(e, MessageDelivered) and e.src == consumer and is_broker(e.dst)
                and api_name(e.message) == "ConsumerGroupHeartbeat"):
            continue
        request = e.message
        record, answer = None, None
        for x in events[i + 1:]:
            if x.at != e.at:
                break
            y, b = unwrap(x)
            if b is None:
                continue
            if isinstance(y, mev.SubscriptionMetadataUpdated):
                names.update({t.topic_id: t.name for t in y.topics})
            elif isinstance(y, mev.MemberAssignmentUpdated) and y.member_id == request.member_id:
                record = y
            elif (isinstance(y, ResponseSent) and who(y.origin) == consumer and isinstance(y.origin, tuple)
                  and len(y.origin) > 1 and y.origin[1] == e.correlation_id):
                answer = y.response
                break
        if answer is None:
            continue
        owned = None if request.topic_partitions is None else _named(
            names, ((t.topic_id, t.partitions) for t in request.topic_partitions))
        assignment = None if answer.assignment is None else _named(
            names, ((t.topic_id, t.partitions) for t in answer.assignment.topic_partitions))
        rows.append(HeartbeatRow(
            at=e.at, request_epoch=request.member_epoch, owned=owned, error=answer.error_code,
            response_epoch=answer.member_epoch, assignment=assignment,
            member_state=record.state.name if record is not None else None,
            assigned=_named(names, record.assigned) if record is not None else None,
            pending_revocation=_named(names, record.pending_revocation) if record is not None else None))
    if not rows:
        raise ValueError(f"no ConsumerGroupHeartbeat from {consumer!r} in this trace: is it a consumer-protocol "
                         "consumer (group_protocol=\"consumer\") of this run?")
    return rows


def _parts(parts: Optional[tuple[TopicPartition, ...]], absent: str) -> str:
    if parts is None:
        return absent
    return format_partitions(parts) if parts else "none"


def reconciliation_table(rows: list[HeartbeatRow]) -> str:
    """The rows as fixed-width text, one line per heartbeat: when it reached the coordinator, the
    member epoch it carried, the partitions it reported owning, the answer (member epoch or
    error), the assignment in the answer, and the reconciliation state recorded for the member."""
    head = (f"{'t (ms)':>7}  {'epoch':>5}  {'owned (sent)':<20}{'answer':<16}{'assignment':<20}"
            "recorded by the coordinator")
    out = [head]
    for r in rows:
        answer = r.error.name if r.error != ErrorCode.NONE else f"epoch {r.response_epoch}"
        recorded = "(no change)" if r.member_state is None else r.member_state
        if r.pending_revocation:
            recorded += f", revoke {format_partitions(r.pending_revocation)}"
        out.append(f"{r.at:>7}  {r.request_epoch:>5}  {_parts(r.owned, '(not sent)'):<20}{answer:<16}"
                   f"{_parts(r.assignment, '(unchanged)'):<20}{recorded}".rstrip())
    return "\n".join(out)


def reconciliation_plot(world_or_events: Any, consumer: str, *, title: Optional[str] = None,
                        width: float = 9.0) -> CourseFigure:
    """The member's reconciliation drawn per heartbeat (see the module docstring)."""
    rows = reconciliation_rows(world_or_events, consumer)
    assigned: set[TopicPartition] = set()
    pending: set[TopicPartition] = set()
    columns = []
    for r in rows:
        if r.assigned is not None and r.pending_revocation is not None:
            assigned, pending = set(r.assigned), set(r.pending_revocation)
        columns.append((set(assigned), set(pending)))
    partitions = sorted({tp for a, p in columns for tp in a | p})
    fig = CourseFigure(figsize=(width, 1.2 + 0.32 * max(len(partitions), 1)))
    ax = fig.add_subplot(1, 1, 1)
    y_of = {tp: k for k, tp in enumerate(partitions)}
    for x, (a, p) in enumerate(columns):
        for tp in a:
            ax.add_patch(_cell(x, y_of[tp], "#27ae60"))
        for tp in p:
            ax.add_patch(_cell(x, y_of[tp], "#f39c12"))
        r = rows[x]
        label = f"e{r.response_epoch}" if r.error == ErrorCode.NONE else r.error.name
        ax.text(x, len(partitions) - 0.3, label, ha="center", va="bottom", fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(-0.6, len(partitions) + 0.4)
    ax.set_yticks(range(len(partitions)), [f"{t}-{p}" for t, p in partitions])
    ax.set_xticks(range(len(rows)), [f"{r.at / 1000:.1f}s" for r in rows], rotation=60, fontsize=7)
    ax.set_xlabel("heartbeats of " + consumer + " (time it reached the coordinator)")
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color="#27ae60", label="assigned"), Patch(color="#f39c12", label="pending revocation")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title(title or f"{consumer}: member epoch (top) and recorded assignment after each heartbeat", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _cell(x: int, y: int, color: str) -> Any:
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.4, y - 0.35), 0.8, 0.7, color=color)
