"""DOT text for the course's diagrams: pure functions, no rendering.

* :func:`state_machine_dot` draws the classic group's state machine from
  :data:`kafkalab.classic.state.TRANSITIONS` (via :func:`~kafkalab.classic.state.all_transitions`), so what
  learners see is the table the coordinator runs.  Transitions between the same two states share
  one arrow whose label lists each trigger on its own line.
* :func:`consumer_group_state_machine_dot` draws a consumer group's (KIP-848) states from
  :data:`kafkalab.modern.state.TRANSITIONS` the same way.
* :func:`sequence_dot` draws a message sequence diagram from a trace: one lifeline per
  participant (brokers on the left, then consumers), one arrow per delivered message, time going
  down.  Positions are computed here and pinned (``pos="x,y!"``) and the ``nop`` engine only
  draws, so the layout is the same with every Graphviz and costs a few ms for 100 messages.

Render the text with :mod:`kafkalab.viz.render` (``Diagram(text, engine=...)`` or
``render_svg(text, engine=...)``); the engine to use is :data:`STATE_MACHINE_ENGINE` /
:data:`SEQUENCE_ENGINE`.  ``"nop"`` is not a layout program, so ``graphviz.Source`` refuses it:
:mod:`~kafkalab.viz.render` passes it to wasm Graphviz as is and runs ``neato -n`` natively.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..consumer_protocol import decode_assignment
from ..sim.events import (
    ConsumerStopped,
    StopKind,
    MessageDelivered,
    MessageDropped,
    PartitionsAssigned,
    PartitionsRevoked,
    format_partitions,
)
from ..classic.state import GroupState, Trigger, all_transitions
from ..modern import state as modern_state
from ..modern.events import ConsumerGroupStateChanged
from ..trace import StateChanged, TimerFired, TimerKind, api_name
from .steps import (
    HEARTBEAT_APIS,
    OFFSET_APIS,
    consumer_groups,
    error_code,
    events_of,
    exchange_key,
    is_broker,
    is_response,
    routine_exchanges,
    unwrap,
)

__all__ = ["state_machine_dot", "consumer_group_state_machine_dot", "sequence_dot", "sequence_participants", "message_label",
           "STATE_MACHINE_ENGINE", "SEQUENCE_ENGINE", "SEQUENCE_MIN_SCALE", "HIGHLIGHT_FILL", "HIGHLIGHT_COLOR"]

STATE_MACHINE_ENGINE = "dot"
#: Pinned positions: Graphviz's ``nop`` engine (``neato -n``); only :mod:`.render` understands the name.
SEQUENCE_ENGINE = "nop"

#: Font sizes of a sequence diagram, in points (1 pt is 4/3 CSS px at the diagram's own size):
#: the messages' labels, the notes and times, the lifelines' heads.
SEQUENCE_LABEL_PT, SEQUENCE_NOTE_PT, SEQUENCE_HEAD_PT = 10, 9, 11
#: The smallest text a reader must be able to read without zooming, in CSS pixels ...
SEQUENCE_MIN_TEXT_PX = 11
#: ... so a sequence diagram is shrunk to fit its column at most to this share of its size; a
#: wider one scrolls sideways (``img_tag(min_scale=...)``, the player, :func:`~kafkalab.viz.sequence`).
SEQUENCE_MIN_SCALE = SEQUENCE_MIN_TEXT_PX / (SEQUENCE_NOTE_PT * 4 / 3)

HIGHLIGHT_FILL = "#ffd54f"
HIGHLIGHT_COLOR = "#d62728"
_FONT = "Helvetica"


def _q(text: Any) -> str:
    """A DOT double-quoted string; Graphviz escapes such as ``\\l`` pass through."""
    s = str(text).replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def _attrs(**kw: Any) -> str:
    items = []
    for k, v in kw.items():
        if v is None:
            continue
        items.append(f"{k}={_q(v)}")
    return "[" + ", ".join(items) + "]"


def _label(triggers: Sequence[Trigger]) -> str:
    """One trigger value per line, left-justified (Graphviz ``\\l``; no HTML labels: the wasm
    Graphviz is built without expat and prints HTML-like labels as their edge name)."""
    if len(triggers) == 1:
        return triggers[0].value
    return "".join(t.value + "\\l" for t in triggers)


def _state_of(value: Any) -> Optional[GroupState]:
    if value is None or isinstance(value, GroupState):
        return value
    if isinstance(value, str):
        for s in GroupState:
            if value in (s.name, s.value):
                return s
    raise ValueError(f"unknown group state {value!r}; use a GroupState or one of "
                     f"{[s.value for s in GroupState]}")


# ---------------------------------------------------------------------- the state machine

def state_machine_dot(highlight: Any = None, transition: Optional[tuple] = None, *,
                      show_unloaded: bool = True, title: Optional[str] = None) -> str:
    """The classic group's state machine as DOT text, drawn from ``TRANSITIONS``.

    Args:
        highlight: the state to highlight (a :class:`GroupState`, or its name or value such as
            ``"Stable"``).
        transition: ``(from_state, trigger)`` of the transition just taken, drawn bold red.
        show_unloaded: draw the ``UNLOADED`` arrows (every state -> Dead, coordinator failover),
            grey and dashed because they are not part of a rebalance; only the first carries a
            visible label unless ``show_unloaded="all"`` (the others keep it as ``label_``, which
            Graphviz ignores, and as a tooltip).
        title: an optional caption.

    Returns:
        DOT text; node ids are the states' names (``STABLE``), ``START`` is "no group yet".
        Every ``(from, trigger, to)`` of :func:`~kafkalab.classic.state.all_transitions` appears as one
        line of an edge label; the taken ``transition`` gets an edge of its own.

    Raises:
        ValueError: an unknown state name.
    """
    hi = _state_of(highlight)
    hi_from, hi_trigger = (None, None)
    if transition is not None:
        hi_from, hi_trigger = _state_of(transition[0]), transition[1]
    edges: dict[tuple[Optional[GroupState], GroupState], list[Trigger]] = {}
    for frm, trig, to in all_transitions():
        if trig is Trigger.UNLOADED and not show_unloaded:
            continue
        edges.setdefault((frm, to), []).append(trig)

    lines = [
        "digraph group_states {",
        f"  graph {_attrs(rankdir='TB', fontname=_FONT, nodesep='0.9', ranksep='0.5', pad='0.3', bgcolor='white', labelloc='t', label=title)}",
        f"  node {_attrs(shape='box', style='rounded,filled', fillcolor='#eef3f8', color='#5b7083', fontname=_FONT, fontsize='12', margin='0.2,0.08')}",
        f"  edge {_attrs(fontname=_FONT, fontsize='9', color='#5b7083', fontcolor='#33414e', arrowsize='0.7')}",
        f"  START {_attrs(shape='circle', style='filled', fillcolor='#33414e', label='', width='0.18', fixedsize='true', tooltip='no group yet')}",
    ]
    for s in GroupState:
        if s is hi:
            lines.append(f"  {s.name} {_attrs(label=s.value, fillcolor=HIGHLIGHT_FILL, color=HIGHLIGHT_COLOR, penwidth='3', fontname=_FONT + '-Bold')}")
        else:
            lines.append(f"  {s.name} {_attrs(label=s.value)}")
    lines.append("  { rank=source; START; }")
    if show_unloaded:
        lines.append("  { rank=sink; DEAD; }")
    labelled_unloaded = False
    for (frm, to), triggers in edges.items():
        src = frm.name if frm is not None else "START"
        unloaded = triggers == [Trigger.UNLOADED]
        taken = hi_trigger if (transition is not None and frm is hi_from and hi_trigger in triggers) else None
        rest = [t for t in triggers if t is not taken]
        base: dict[str, Any] = {}
        if unloaded:
            base.update(style="dashed", color="#b0b0b0", fontcolor="#909090", fontsize="8")
            if show_unloaded != "all" and labelled_unloaded:
                # Five identical grey labels would bury the rebalance cycle: one speaks for all
                # (each edge keeps the trigger in its tooltip and in the label_ attribute).
                base.update(label_=Trigger.UNLOADED.value, label="")
            labelled_unloaded = True
        if frm is None and to is not GroupState.EMPTY:
            base.update(constraint="false")
        if rest:
            attrs = {"label": _label(rest), "tooltip": "; ".join(t.name for t in rest), **base}
            lines.append(f"  {src} -> {to.name} {_attrs(**attrs)}")
        if taken is not None:
            lines.append(f"  {src} -> {to.name} {_attrs(**{**base, 'label': _label([taken]), 'tooltip': taken.name, 'color': HIGHLIGHT_COLOR, 'fontcolor': HIGHLIGHT_COLOR, 'penwidth': '2.5', 'style': 'bold', 'fontname': _FONT + '-Bold', 'fontsize': '10'})}")
    lines.append("}")
    return "\n".join(x for x in lines if x) + "\n"


def consumer_group_state_machine_dot(highlight: Any = None, transition: Optional[tuple] = None, *,
                                     title: Optional[str] = None) -> str:
    """A consumer group's (KIP-848) state machine as DOT text, drawn from
    :data:`kafkalab.modern.state.TRANSITIONS` (via :func:`~kafkalab.modern.state.all_transitions`).

    Args:
        highlight: the state to highlight (a :class:`~kafkalab.modern.state.ConsumerGroupState`,
            or its name or value such as ``"Reconciling"``).
        transition: ``(from_state, trigger)`` of the change just made, drawn bold red.
        title: an optional caption.

    Returns:
        DOT text; node ids are the states' names, ``START`` is "no group yet".  ``Dead`` is left
        out: it is in Kafka's enum, but no transition of the table reaches it.

    Raises:
        ValueError: an unknown state name.
    """
    states = modern_state.ConsumerGroupState

    def state_of(value: Any) -> Any:
        if value is None or isinstance(value, states):
            return value
        for s in states:
            if value in (s.name, s.value):
                return s
        raise ValueError(f"unknown consumer group state {value!r}; use one of {[s.value for s in states]}")

    hi = state_of(highlight)
    hi_from, hi_trigger = (state_of(transition[0]), transition[1]) if transition is not None else (None, None)
    edges: dict[tuple[Any, Any], list[Any]] = {}
    for frm, trig, to in modern_state.all_transitions():
        edges.setdefault((frm, to), []).append(trig)
    drawn = {s for pair in edges for s in pair if s is not None}
    lines = [
        "digraph consumer_group_states {",
        f"  graph {_attrs(rankdir='TB', fontname=_FONT, nodesep='0.9', ranksep='0.55', pad='0.3', bgcolor='white', labelloc='t', label=title)}",
        f"  node {_attrs(shape='box', style='rounded,filled', fillcolor='#eef3f8', color='#5b7083', fontname=_FONT, fontsize='12', margin='0.2,0.08')}",
        f"  edge {_attrs(fontname=_FONT, fontsize='9', color='#5b7083', fontcolor='#33414e', arrowsize='0.7')}",
        f"  START {_attrs(shape='circle', style='filled', fillcolor='#33414e', label='', width='0.18', fixedsize='true', tooltip='no group yet')}",
        "  { rank=source; START; }",
    ]
    for s in states:
        if s not in drawn:
            continue
        if s is hi:
            lines.append(f"  {s.name} {_attrs(label=s.value, fillcolor=HIGHLIGHT_FILL, color=HIGHLIGHT_COLOR, penwidth='3', fontname=_FONT + '-Bold')}")
        else:
            lines.append(f"  {s.name} {_attrs(label=s.value)}")
    for (frm, to), triggers in edges.items():
        src = frm.name if frm is not None else "START"
        taken = hi_trigger if (transition is not None and frm is hi_from and hi_trigger in triggers) else None
        rest = [t for t in triggers if t is not taken]
        if rest:
            lines.append(f"  {src} -> {to.name} {_attrs(label=_label(rest), tooltip='; '.join(t.name for t in rest))}")
        if taken is not None:
            lines.append(f"  {src} -> {to.name} {_attrs(label=_label([taken]), tooltip=taken.name, color=HIGHLIGHT_COLOR, fontcolor=HIGHLIGHT_COLOR, penwidth='2.5', style='bold', fontname=_FONT + '-Bold', fontsize='10')}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- sequence diagrams

def message_label(message: Any) -> str:
    """A short arrow label: the API name, plus the error code (and a key detail) for responses."""
    api = api_name(message)
    if not is_response(message):
        if api == "JoinGroup" and not getattr(message, "member_id", "x"):
            return "JoinGroup (no member id)"
        if api == "SyncGroup" and getattr(message, "assignments", ()):
            return "SyncGroup + assignment"
        if api in ("Heartbeat", "OffsetCommit") and getattr(message, "generation_id", -1) >= 0:
            return f"{api} gen {message.generation_id}"
        if api == "ConsumerGroupHeartbeat":
            acks = " + owned" if message.topic_partitions is not None and message.member_epoch > 0 else ""
            return f"CGHB epoch {message.member_epoch}{acks}"
        return api
    code = error_code(message)
    name = code.name if hasattr(code, "name") else ("" if code is None else str(code))
    label = f"{api}: {name}" if name else api
    ok = code is None or name == "NONE"
    if api == "JoinGroup" and ok:
        role = "leader" if message.leader and message.leader == message.member_id else "follower"
        label += f" gen {message.generation_id} {role}"
    elif api == "SyncGroup" and ok:
        try:
            parts = decode_assignment(message.assignment).assigned_partitions
            label += f" [{format_partitions(parts)}]"
        except Exception:  # an empty or foreign assignment
            pass
    elif api == "ConsumerGroupHeartbeat":
        label = f"CGHB: {name}"
        if ok:
            label += f" epoch {message.member_epoch}"
            if message.assignment is not None:
                n = sum(len(t.partitions) for t in message.assignment.topic_partitions)
                label += f" [{n} partition{'s' if n != 1 else ''}]"
    elif api == "FindCoordinator" and ok:
        label += f" -> broker-{getattr(message, 'node_id', '?')}"
    return label


def sequence_participants(world_or_events: Any, group: Optional[str] = None) -> list[str]:
    """Lifelines in column order: brokers that took part (by node id), then consumers (in the
    world's order, else by first appearance)."""
    events, world = events_of(world_or_events)
    groups = consumer_groups(events, world)
    brokers: set[str] = set()
    consumers: list[str] = list(world.consumers) if world is not None else []
    for e in events:
        if isinstance(e, (MessageDelivered, MessageDropped)):
            for name in (e.src, e.dst):
                if is_broker(name):
                    brokers.add(name)
                elif name not in consumers:
                    consumers.append(name)
    if group is not None:
        consumers = [c for c in consumers if groups.get(c) == group]
    return sorted(brokers, key=lambda b: int(b.split("-", 1)[1]) if b.split("-", 1)[1].isdigit() else 0) + consumers


def sequence_dot(world_or_events: Any, upto: Optional[int] = None, highlight: Optional[int] = None,
                 participants: Optional[Sequence[str]] = None, *, group: Optional[str] = None,
                 heartbeats: bool = True, offsets: bool = True, notes: bool = True,
                 window: Optional[int] = None, title: Optional[str] = None,
                 column_width: int = 200, row_height: int = 24) -> str:
    """A message sequence diagram of a trace as DOT text (render with engine ``"nop"``).

    Args:
        world_or_events: a :class:`~kafkalab.sim.World` or a list of trace events.
        upto: the last trace index to draw (inclusive); default: the whole trace.
        highlight: the trace index of the message (or note) to highlight, e.g. the player's step.
        participants: lifelines in column order (default :func:`sequence_participants`); messages
            between other nodes are left out.
        group: keep only this group's consumers (and its coordinator notes).
        heartbeats: draw every Heartbeat; ``False`` hides the ones answered NONE (a heartbeat
            answered with an error, e.g. REBALANCE_IN_PROGRESS, stays: it tells a member to rejoin).
        offsets: the same for OffsetCommit and OffsetFetch.
        notes: add rows for group state changes and timers (on the coordinator's lifeline),
            rebalance callbacks and consumers stopping (on the consumer's lifeline).
        window: draw only the last ``window`` rows (messages and notes) up to ``upto``.
        title: an optional caption.

    Returns:
        DOT text.  Each delivered message is one edge with ``id="m<trace index>"`` and
        ``class="msg"``; a dropped one is ``id="x<trace index>"``, ``class="drop"``.
    """
    events, world = events_of(world_or_events)
    if upto is None:
        upto = len(events) - 1
    cols = list(participants) if participants is not None else sequence_participants(
        world if world is not None else events, group)
    xs = {name: i * column_width for i, name in enumerate(cols)}
    hidden: set = set()
    if not heartbeats:
        hidden |= HEARTBEAT_APIS
    if not offsets:
        hidden |= OFFSET_APIS
    routine = routine_exchanges(events, hidden)

    rows: list[tuple[str, int, Any]] = []  # (kind, trace index, event)
    for i, e in enumerate(events[: upto + 1]):
        inner, broker = unwrap(e)
        if isinstance(e, (MessageDelivered, MessageDropped)):
            if e.src in xs and e.dst in xs and exchange_key(e) not in routine:
                rows.append(("drop" if isinstance(e, MessageDropped) else "msg", i, e))
        elif not notes:
            continue
        elif broker is not None:
            bname = f"broker-{broker}"
            if bname not in xs:
                continue
            if isinstance(inner, (StateChanged, ConsumerGroupStateChanged)) \
                    and (group is None or inner.group_id == group):
                rows.append(("state", i, (bname, inner)))
            elif isinstance(inner, TimerFired) and inner.kind in _TIMER_NOTES \
                    and (group is None or inner.group_id == group):
                rows.append(("timer", i, (bname, inner)))
        elif isinstance(e, (PartitionsAssigned, PartitionsRevoked, ConsumerStopped)) and e.consumer in xs:
            rows.append(("client", i, e))

    hidden_rows = 0
    if window is not None and window > 0 and len(rows) > window:
        hidden_rows = len(rows) - window
        rows = rows[hidden_rows:]

    n = len(rows)
    top = (n + 1) * row_height + 30
    lines = [
        "digraph sequence {",
        f"  graph {_attrs(splines='line', outputorder='edgesfirst', bgcolor='white', pad='0.2', fontname=_FONT, labelloc='t', label=title)}",
        f"  node {_attrs(fontname=_FONT, fontsize=str(SEQUENCE_NOTE_PT), shape='point', width='0.01', height='0.01', label='')}",
        f"  edge {_attrs(fontname=_FONT, fontsize=str(SEQUENCE_LABEL_PT), arrowsize='0.6')}",
    ]
    bottom = 0
    for name, x in xs.items():
        fill = "#eef3f8" if is_broker(name) else "#fdf1e3"
        label = f"{name}\\n(coordinator)" if is_broker(name) and len([c for c in xs if is_broker(c)]) == 1 else name
        lines.append(f'  "h:{name}" [shape=box, style="rounded,filled", fillcolor="{fill}", color="#5b7083", '
                     f'fontsize={SEQUENCE_HEAD_PT}, width=1.1, height=0.42, fixedsize=false, label="{label}", pos="{x},{top}!"]')
        lines.append(f'  "f:{name}" [pos="{x},{bottom}!"]')
        lines.append(f'  "h:{name}" -> "f:{name}" [id="life_{_dot_id(name)}", class="lifeline", style=dashed, '
                     f'color="#b8c2cc", arrowhead=none]')
    if hidden_rows:
        lines.append(f'  more [shape=plaintext, fontsize={SEQUENCE_NOTE_PT}, fontcolor="#808080", '
                     f'label="... {hidden_rows} earlier row{"s" if hidden_rows != 1 else ""} not shown", '
                     f'pos="{-80},{top + 26:.0f}!"]')

    last_time = None
    slope = 6
    for r, (kind, i, payload) in enumerate(rows):
        y = top - (r + 1.4) * row_height
        hi = highlight == i
        at = payload[1].at if isinstance(payload, tuple) else payload.at
        if at != last_time:
            lines.append(f'  t{i} [shape=plaintext, fontsize={SEQUENCE_NOTE_PT}, fontcolor="#808080", label="{at} ms", '
                         f'pos="-80,{y:.0f}!"]')
            last_time = at
        if kind in ("msg", "drop"):
            e = payload
            x1, x2 = xs[e.src], xs[e.dst]
            label = message_label(e.message)
            resp = is_response(e.message)
            code = error_code(e.message) if resp else None
            bad = resp and code is not None and getattr(code, "name", "NONE") != "NONE"
            color = HIGHLIGHT_COLOR if hi else ("#c0392b" if bad else ("#2c3e50" if not resp else "#5d6d7e"))
            font = _FONT + "-Bold" if hi else _FONT
            eid = f"{'x' if kind == 'drop' else 'm'}{i}"
            lines.append(f'  s{i} [pos="{x1},{y:.0f}!"]')
            if kind == "drop":
                xm = (x1 + x2) / 2
                lines.append(f'  d{i} [shape=plaintext, fontsize=12, fontcolor="#c0392b", label="x", pos="{xm:.0f},{y - slope / 2:.0f}!"]')
                lines.append(f'  s{i} -> d{i} [id="{eid}", class="drop", color="#c0392b", style=dashed, arrowhead=none'
                             f'{", penwidth=2.5" if hi else ""}]')
                label = f"{label} (dropped)"
            else:
                lines.append(f'  r{i} [pos="{x2},{y - slope:.0f}!"]')
                lines.append(f'  s{i} -> r{i} [id="{eid}", class="msg", color="{color}"'
                             f'{", style=dashed" if resp and not hi else ""}{", penwidth=2.5" if hi else ", penwidth=1.1"}]')
            lx = (x1 + x2) / 2
            lines.append(f'  l{i} [shape=plaintext, style=filled, fillcolor=white, margin="0.02,0", height=0.15, '
                         f'fontsize={SEQUENCE_LABEL_PT}, fontname="{font}", fontcolor="{color}", label={_q(label)}, '
                         f'pos="{lx:.0f},{y + 8:.0f}!"]')
        else:
            where, text, fill = _note(kind, payload)
            lines.append(f'  n{i} [id="n{i}", class="note", shape=note, style=filled, fontsize={SEQUENCE_NOTE_PT}, height=0.2, margin="0.05,0.01", '
                         f'fillcolor="{HIGHLIGHT_FILL if hi else fill}", color="{HIGHLIGHT_COLOR if hi else "#9aa5b1"}"'
                         f'{", penwidth=2" if hi else ""}, label={_q(text)}, pos="{xs[where]},{y:.0f}!"]')
    lines.append("}")
    return "\n".join(lines) + "\n"


_TIMER_NOTES = {TimerKind.JOIN: "join timer fired", TimerKind.SYNC: "sync timer fired",
                TimerKind.HEARTBEAT: "session expired"}


def _dot_id(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def _note(kind: str, payload: Any) -> tuple[str, str, str]:
    """(lifeline, text, fill colour) of a note row."""
    if kind == "state":
        broker, sc = payload
        text = f"{sc.new.value}"
        if isinstance(sc, ConsumerGroupStateChanged):
            return broker, f"{text} (epoch {sc.group_epoch})", "#dbe9f6"
        if sc.new in (GroupState.COMPLETING_REBALANCE, GroupState.STABLE):
            text += f" (gen {sc.generation_id})"
        return broker, text, "#dbe9f6"
    if kind == "timer":
        broker, tf = payload
        return broker, _TIMER_NOTES[tf.kind], "#f6e7db"
    e = payload
    if isinstance(e, PartitionsAssigned):
        return e.consumer, f"+ {format_partitions(e.partitions)}", "#dff3e3"
    if isinstance(e, PartitionsRevoked):
        return e.consumer, f"{'lost' if e.lost else '-'} {format_partitions(e.partitions)}", "#f8dede"
    how = "crashed" if e.how is StopKind.CRASHED else "closed"
    return e.consumer, how, "#e0e0e0"
