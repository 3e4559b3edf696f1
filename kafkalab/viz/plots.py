"""Matplotlib pictures of a run: who owned which partition when, client states, balance, movement.

Every function returns a :class:`matplotlib.figure.Figure` (a :class:`CourseFigure`, which
displays itself as a PNG in a notebook even when pyplot was never imported) built with the
object-oriented API and never touches pyplot: pyplot figures drawn in widget callbacks came out blank in JupyterLab 4.6 with
ipykernel 7 (comms on a subshell thread), while ``Figure`` objects are safe anywhere.  A notebook
shows a returned Figure as an image; ``fig.savefig(...)`` works as usual.

The data come from the trace only: ownership intervals from ``PartitionsAssigned``,
``PartitionsRevoked`` and ``ConsumerStopped``; client states from ``ClientStateChanged``; the
group's state from the coordinator's ``StateChanged``.  :func:`ownership_intervals` and
:func:`ownership_gaps` return the numbers behind the timeline, for checks and exercises.
"""

from __future__ import annotations

import io
from typing import Any, Mapping, Optional, Sequence

from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..sim.events import (
    ClientStateChanged,
    ConsumerStopped,
    PartitionsAssigned,
    PartitionsRevoked,
    TopicChange,
    TopicChanged,
)
from ..classic.state import GroupState
from ..modern.events import ConsumerGroupStateChanged
from ..modern.state import ConsumerGroupState
from ..trace import StateChanged
from .steps import consumer_groups, events_of, unwrap

__all__ = ["CourseFigure", "ownership_intervals", "ownership_gaps", "partition_lifetimes", "group_state_intervals",
           "client_state_intervals", "ownership_timeline", "member_states", "balance_bars", "movement_bars"]

TopicPartition = tuple[str, int]
Interval = tuple[int, int, str]

CLIENT_STATE_COLORS = {
    "UNJOINED": "#c7c7c7",
    "PREPARING_REBALANCE": "#f39c12",
    "COMPLETING_REBALANCE": "#f7dc6f",
    "STABLE": "#27ae60",
    "stopped": "#34495e",
    # the consumer protocol's member states (docs/consumer-protocol.md §8)
    "JOINING": "#f39c12",
    "RECONCILING": "#f7dc6f",
    "ACKNOWLEDGING": "#aed6f1",
    "PREPARE_LEAVING": "#d7bde2",
    "LEAVING": "#af7ac5",
    "FENCED": "#e74c3c",
    "FATAL": "#641e16",
}
GROUP_STATE_COLORS: dict[Any, str] = {
    GroupState.EMPTY: "#d5d8dc",
    GroupState.PREPARING_REBALANCE: "#f39c12",
    GroupState.COMPLETING_REBALANCE: "#f7dc6f",
    GroupState.STABLE: "#27ae60",
    GroupState.DEAD: "#34495e",
    ConsumerGroupState.EMPTY: "#d5d8dc",
    ConsumerGroupState.ASSIGNING: "#f39c12",
    ConsumerGroupState.RECONCILING: "#f7dc6f",
    ConsumerGroupState.STABLE: "#27ae60",
}
#: Group states drawn as "rebalancing" in the ownership timeline (classic and consumer groups).
REBALANCING_STATES = (GroupState.PREPARING_REBALANCE, GroupState.COMPLETING_REBALANCE,
                      ConsumerGroupState.ASSIGNING, ConsumerGroupState.RECONCILING)


class CourseFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that shows itself in a notebook.

    IPython displays a bare ``Figure`` as an image only after pyplot has registered the inline
    back end's formatter, which never happens when nothing imports pyplot; then a plot would show
    as ``<Figure size 900x350 with 1 Axes>``.  ``_repr_png_`` makes it an image either way (when
    the formatter is registered, IPython uses that instead, so there is still one image).
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def _palette(names: Sequence[str]) -> dict[str, Any]:
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _group_consumers(events: list, world: Any, group: Optional[str]) -> tuple[Optional[str], list[str]]:
    groups = consumer_groups(events, world)
    if group is None:
        for e in events:
            inner, _ = unwrap(e)
            if isinstance(inner, StateChanged):
                group = inner.group_id
                break
        else:
            group = next(iter(groups.values()), None)
    return group, [c for c, g in groups.items() if g == group]


def _end_time(events: list, world: Any, until: Optional[int]) -> int:
    if until is not None:
        return until
    if world is not None:
        return world.now
    return events[-1].at if events else 0


# ---------------------------------------------------------------------- data

def ownership_intervals(world_or_events: Any, group: Optional[str] = None, *,
                        until: Optional[int] = None) -> dict[TopicPartition, list[Interval]]:
    """``{(topic, partition): [(start_ms, end_ms, consumer), ...]}`` for the group's consumers.

    A consumer owns a partition from its ``onPartitionsAssigned`` until its ``onPartitionsRevoked``
    (or ``onPartitionsLost``) or until it stops.  Intervals still open end at ``until`` (default:
    the world's ``now``, else the last event).  Two consumers may own a partition at once (a
    paused "zombie" that has not noticed it was removed); those intervals overlap.
    """
    events, world = events_of(world_or_events)
    group, consumers = _group_consumers(events, world, group)
    mine = set(consumers)
    end = _end_time(events, world, until)
    open_: dict[tuple[TopicPartition, str], int] = {}
    out: dict[TopicPartition, list[Interval]] = {}
    if world is not None:
        for topic, n in sorted(world.topics.items()):
            subscribed = any(topic in world.consumers[c].topics for c in consumers)
            if subscribed:
                for p in range(n):
                    out.setdefault((topic, p), [])

    def close(tp: TopicPartition, consumer: str, at: int) -> None:
        start = open_.pop((tp, consumer), None)
        if start is not None:
            out.setdefault(tp, []).append((start, at, consumer))

    for e in events:
        if e.at > end:
            break
        if isinstance(e, PartitionsAssigned) and e.consumer in mine:
            for tp in e.partitions:
                out.setdefault(tp, [])
                open_.setdefault((tp, e.consumer), e.at)
        elif isinstance(e, PartitionsRevoked) and e.consumer in mine:
            for tp in e.partitions:
                close(tp, e.consumer, e.at)
        elif isinstance(e, ConsumerStopped) and e.consumer in mine:
            for tp, c in [k for k in open_ if k[1] == e.consumer]:
                close(tp, c, e.at)
    for tp, c in list(open_):
        close(tp, c, end)
    return {tp: sorted(v) for tp, v in sorted(out.items())}


def ownership_gaps(intervals: Mapping[TopicPartition, Sequence[Interval]], *, start: Optional[int] = None,
                   end: Optional[int] = None,
                   lifetimes: Optional[Mapping[TopicPartition, tuple[int, Optional[int]]]] = None,
                   ) -> dict[TopicPartition, list[tuple[int, int]]]:
    """When each partition had no owner, between its first owner and ``end`` (default: the last
    interval's end).  Gaps of zero length are left out.  With ``lifetimes`` (from
    :func:`partition_lifetimes`), a partition created during the run counts as unowned from its
    creation, and nothing counts after its topic was deleted."""
    all_ends = [iv[1] for ivs in intervals.values() for iv in ivs]
    stop = end if end is not None else max(all_ends, default=0)
    out: dict[TopicPartition, list[tuple[int, int]]] = {}
    for tp, ivs in intervals.items():
        gaps = []
        born, died = (lifetimes or {}).get(tp, (None, None))
        if not ivs and born is None:
            out[tp] = gaps
            continue
        cursor = start if start is not None else (born if born is not None else ivs[0][0])
        last = stop if died is None else min(stop, died)
        for s, e, _ in sorted(ivs):
            if s > cursor:
                gaps.append((cursor, min(s, last)))
            cursor = max(cursor, e)
        if last > cursor:
            gaps.append((cursor, last))
        out[tp] = [(s, e) for s, e in gaps if e > s]
    return out


def partition_lifetimes(world_or_events: Any) -> dict[TopicPartition, tuple[int, Optional[int]]]:
    """``{(topic, partition): (created_ms, deleted_ms or None)}`` for partitions created or deleted
    during the run (from :class:`~kafkalab.sim.events.TopicChanged`); partitions that existed from the
    start and were never deleted are left out."""
    events, _ = events_of(world_or_events)
    out: dict[TopicPartition, tuple[int, Optional[int]]] = {}
    for e in events:
        if not isinstance(e, TopicChanged):
            continue
        if e.change is TopicChange.DELETED:
            for p in range(e.old_partitions):
                born, _ = out.get((e.topic, p), (0, None))
                out[(e.topic, p)] = (born, e.at)
        else:
            for p in range(e.old_partitions, e.new_partitions):
                out[(e.topic, p)] = (e.at, None)
    return out


def group_state_intervals(world_or_events: Any, group: Optional[str] = None, *,
                          until: Optional[int] = None) -> list[tuple[int, int, Any]]:
    """``[(start_ms, end_ms, state)]`` of the group as its coordinator(s) reported it: a
    :class:`GroupState` for a classic group, a :class:`ConsumerGroupState` for a consumer group."""
    events, world = events_of(world_or_events)
    group, _ = _group_consumers(events, world, group)
    end = _end_time(events, world, until)
    out = []
    cur: Optional[tuple[int, GroupState]] = None
    for e in events:
        inner, broker = unwrap(e)
        if broker is None or not isinstance(inner, (StateChanged, ConsumerGroupStateChanged)) \
                or inner.group_id != group:
            continue
        if inner.at > end:
            break
        if cur is not None and inner.at >= cur[0]:
            out.append((cur[0], inner.at, cur[1]))
        cur = (inner.at, inner.new)
    if cur is not None:
        out.append((cur[0], max(end, cur[0]), cur[1]))
    return [iv for iv in out if iv[1] > iv[0] or iv is out[-1]]


def client_state_intervals(world_or_events: Any, group: Optional[str] = None, *,
                           until: Optional[int] = None) -> dict[str, list[tuple[int, int, str]]]:
    """``{consumer: [(start_ms, end_ms, state)]}``; ``stopped`` after a crash or close."""
    events, world = events_of(world_or_events)
    group, consumers = _group_consumers(events, world, group)
    end = _end_time(events, world, until)
    cur: dict[str, tuple[int, str]] = {}
    out: dict[str, list[tuple[int, int, str]]] = {c: [] for c in consumers}
    first_seen: dict[str, int] = {}

    def switch(c: str, at: int, state: str) -> None:
        prev = cur.get(c)
        if prev is not None:
            if prev[1] == state:
                return
            out[c].append((prev[0], at, prev[1]))
        cur[c] = (at, state)

    for e in events:
        if e.at > end:
            break
        c = getattr(e, "consumer", None) or getattr(e, "src", None)
        if c in out and c not in first_seen:
            first_seen[c] = e.at
            switch(c, e.at, "UNJOINED")
        if isinstance(e, ClientStateChanged) and e.consumer in out:
            switch(e.consumer, e.at, e.new)
        elif isinstance(e, ConsumerStopped) and e.consumer in out:
            switch(e.consumer, e.at, "stopped")
    for c, (start, state) in cur.items():
        out[c].append((start, max(end, start), state))
    return out


# ---------------------------------------------------------------------- figures

def _bars(ax, y: float, spans: Sequence[tuple[float, float]], height: float, min_width: float, **kw) -> None:
    ax.broken_barh([(s, max(e - s, min_width)) for s, e in spans], (y - height / 2, height), **kw)


def ownership_timeline(world_or_events: Any, group: Optional[str] = None, *, until: Optional[int] = None,
                       shade_rebalances: bool = True, mark_gaps: bool = True, title: Optional[str] = None,
                       width: float = 9.0) -> Figure:
    """Partition ownership over virtual time: one row per partition, one colour per consumer.

    White gaps are times when nobody owned the partition: with the eager protocol every member
    revokes everything when a rebalance starts, so the whole group stops ("stop-the-world"); with
    the cooperative protocol only moving partitions have gaps.  Red marks (``mark_gaps``) flag
    every gap, however short; grey bands mark times when the group was rebalancing.
    """
    events, world = events_of(world_or_events)
    group, consumers = _group_consumers(events, world, group)
    intervals = ownership_intervals(events if world is None else world, group, until=until)
    end = _end_time(events, world, until)
    lifetimes = partition_lifetimes(events)
    for tp, (born, _) in sorted(lifetimes.items()):
        if tp not in intervals and born <= end and tp[0] in {t for t, _ in intervals}:
            intervals[tp] = []  # a new partition of a topic the group reads, not owned yet
    tps = sorted(intervals)
    owners = sorted({iv[2] for ivs in intervals.values() for iv in ivs},
                    key=lambda c: (consumers.index(c) if c in consumers else len(consumers), c))
    colors = _palette(consumers or owners)
    fig = CourseFigure(figsize=(width, 1.4 + 0.32 * max(len(tps), 1)), layout="constrained")
    ax = fig.add_subplot()
    span_s = max(end, 1) / 1000
    handles = []
    if shade_rebalances:
        shaded = set()
        for s, e, st in group_state_intervals(events if world is None else world, group, until=until):
            if st in REBALANCING_STATES:
                ax.axvspan(s / 1000, max(e / 1000, s / 1000 + span_s / 500), color="#bdc3c7", alpha=0.35, lw=0)
                # a consumer group has no rebalance barrier: it is assigning or reconciling
                shaded.add("rebalancing" if isinstance(st, GroupState) else "assigning / reconciling")
        if shaded:
            handles.append(Patch(color="#bdc3c7", alpha=0.5, label="group " + " or ".join(sorted(shaded, reverse=True))))
    for row, tp in enumerate(tps):
        for s, e, c in intervals[tp]:
            _bars(ax, row, [(s / 1000, e / 1000)], 0.7, span_s / 500, facecolors=colors.get(c, "#7f8c8d"),
                  linewidth=0)
    gaps = ownership_gaps(intervals, end=end, lifetimes=lifetimes)
    n_gaps = sum(len(g) for g in gaps.values())
    if mark_gaps and n_gaps:
        # A stop-the-world pause can last a few ms of a minutes-long run: mark every unowned
        # stretch (at least 1/250 of the axis wide) so that none is invisible.
        for row, tp in enumerate(tps):
            if gaps.get(tp):
                _bars(ax, row, [(s / 1000, e / 1000) for s, e in gaps[tp]], 0.3, span_s / 250,
                      facecolors="#e74c3c", linewidth=0)
        handles.append(Patch(color="#e74c3c", label="no owner"))
    ax.set_yticks(range(len(tps)), [f"{t}-{p}" for t, p in tps])
    ax.set_ylim(len(tps) - 0.5, -0.5)
    ax.set_xlim(0, span_s)
    ax.set_xlabel("virtual time (s)")
    ax.set_ylabel("partition")
    ax.set_title(title or f"Partition ownership in group {group} ({n_gaps} unowned stretch{'es' if n_gaps != 1 else ''})",
                 fontsize=11)
    handles += [Patch(color=colors[c], label=c) for c in owners if c in colors]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def member_states(world_or_events: Any, group: Optional[str] = None, *, until: Optional[int] = None,
                  title: Optional[str] = None, width: float = 9.0) -> Figure:
    """Client states over virtual time, one row per consumer, with the group's state on top.

    Very short states (a member is PREPARING_REBALANCE for a few ms) are drawn at least 1/500 of
    the time axis wide so that they stay visible.
    """
    events, world = events_of(world_or_events)
    group, consumers = _group_consumers(events, world, group)
    src = events if world is None else world
    clients = client_state_intervals(src, group, until=until)
    group_ivs = group_state_intervals(src, group, until=until)
    end = _end_time(events, world, until)
    span_s = max(end, 1) / 1000
    rows = [f"group {group}"] + list(clients)
    fig = CourseFigure(figsize=(width, 1.5 + 0.4 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    minw = span_s / 500
    for s, e, st in group_ivs:
        _bars(ax, 0, [(s / 1000, e / 1000)], 0.6, minw, facecolors=GROUP_STATE_COLORS.get(st, "#7f8c8d"),
              linewidth=0)
    for row, (c, ivs) in enumerate(clients.items(), start=1):
        for s, e, st in ivs:
            _bars(ax, row, [(s / 1000, e / 1000)], 0.6, minw, facecolors=CLIENT_STATE_COLORS.get(st, "#7f8c8d"),
                  linewidth=0)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, span_s)
    ax.set_xlabel("virtual time (s)")
    ax.set_title(title or f"Client states in group {group} (top row: the coordinator's group state)", fontsize=11)
    # The legend names what is drawn: each client state that appears, or whose group state of the
    # same name (and colour) appears on the top row; and the group states no client state shares.
    drawn = {st for ivs in clients.values() for _, _, st in ivs}
    group_drawn = {st for _, _, st in group_ivs}
    handles = [Patch(color=v, label=k) for k, v in CLIENT_STATE_COLORS.items()
               if k in drawn or any(g.name == k for g in group_drawn)]
    handles += [Patch(color=GROUP_STATE_COLORS[g], label=f"group {g.value}")
                for g in (*GroupState, *ConsumerGroupState) if g in group_drawn and g.name not in CLIENT_STATE_COLORS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _as_assignment(assignment: Any) -> dict[str, list[TopicPartition]]:
    if hasattr(assignment, "assignments") and not isinstance(assignment, Mapping):
        assignment = assignment.assignments  # a Step
    if not isinstance(assignment, Mapping):
        raise TypeError(f"expected {{member: [(topic, partition), ...]}}, got {type(assignment).__name__}")
    return {str(m): sorted(tuple(tp) for tp in tps) for m, tps in assignment.items()}


def balance_bars(assignment: Any, *, title: Optional[str] = None, width: float = 7.0) -> Figure:
    """Partitions per member (stacked by topic), with the ideal (even) share as a dashed line.

    Args:
        assignment: ``{member: [(topic, partition), ...]}``, e.g. ``world.assignments("g")``,
            an assignor's result, or a player :class:`~kafkalab.viz.steps.Step`.
    """
    a = _as_assignment(assignment)
    members = list(a)
    topics = sorted({t for tps in a.values() for t, _ in tps})
    colors = _palette(topics)
    fig = CourseFigure(figsize=(width, 3.4), layout="constrained")
    ax = fig.add_subplot()
    bottoms = [0] * len(members)
    for t in topics:
        counts = [sum(1 for tt, _ in a[m] if tt == t) for m in members]
        ax.bar(members, counts, bottom=bottoms, color=colors[t], label=t, edgecolor="white")
        bottoms = [b + c for b, c in zip(bottoms, counts)]
    total = sum(bottoms)
    if members:
        ideal = total / len(members)
        ax.axhline(ideal, color="#34495e", linestyle="--", linewidth=1, label=f"even share {ideal:g}")
        for i, n in enumerate(bottoms):
            ax.annotate(str(n), (i, n), ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    spread = (max(bottoms) - min(bottoms)) if bottoms else 0
    ax.set_ylabel("partitions")
    ax.set_ylim(0, max(bottoms + [1]) * 1.2)
    ax.set_title(title or f"{total} partitions over {len(members)} members (max - min = {spread})", fontsize=11)
    if topics or members:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def movement_bars(before: Any, after: Any, *, title: Optional[str] = None, width: float = 7.0) -> Figure:
    """What a rebalance changed, per member: partitions kept (grey), gained (green, up) and lost
    (red, down).  The title counts partitions whose owner changed."""
    b, a = _as_assignment(before), _as_assignment(after)
    members = list(dict.fromkeys(list(b) + list(a)))
    owner_before = {tp: m for m, tps in b.items() for tp in tps}
    owner_after = {tp: m for m, tps in a.items() for tp in tps}
    moved = sorted(tp for tp in set(owner_before) | set(owner_after) if owner_before.get(tp) != owner_after.get(tp))
    kept = [len(set(b.get(m, ())) & set(a.get(m, ()))) for m in members]
    gained = [len(set(a.get(m, ())) - set(b.get(m, ()))) for m in members]
    lost = [len(set(b.get(m, ())) - set(a.get(m, ()))) for m in members]
    fig = CourseFigure(figsize=(width, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(members, kept, color="#95a5a6", label="kept", edgecolor="white")
    ax.bar(members, gained, bottom=kept, color="#27ae60", label="gained", edgecolor="white")
    ax.bar(members, [-x for x in lost], color="#c0392b", label="lost", edgecolor="white")
    ax.axhline(0, color="black", linewidth=0.8)
    for i, (k, g, lo) in enumerate(zip(kept, gained, lost)):
        if g:
            ax.annotate(f"+{g}", (i, k + g), ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        if lo:
            ax.annotate(f"-{lo}", (i, -lo), ha="center", va="top", fontsize=8, xytext=(0, -2), textcoords="offset points")
    total = len(set(owner_before) | set(owner_after))
    ax.set_ylabel("partitions")
    top = max([k + g for k, g in zip(kept, gained)] + [1])
    ax.set_ylim(-max(lost + [1]) * 1.3, top * 1.25)
    ax.set_title(title or f"{len(moved)} of {total} partitions changed owner", fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig
