"""A step-through player for a run: the sequence diagram, the state machine and the members, step by step.

How it works
------------
:class:`Player` cuts the trace into steps (:func:`kafkalab.viz.steps.build_steps`) and shows one at
a time in ipywidgets 8: Previous/Next buttons, a ``Play`` joined to an ``IntSlider`` with
``jslink`` (the link runs in the browser, so playing costs no kernel round trip per tick), the
step's sentence, the message sequence diagram up to the step with its message highlighted, the
group state machine with the current state (and the transition just taken) highlighted, and the
members table.

The slider's ``observe`` callback builds the step's HTML; SVGs are rendered once per step and
cached, so revisiting a step is free.  Callbacks may run on a kernel subshell thread (JupyterLab
4.6 + ipykernel 7), so rendering holds a lock and wasm Graphviz holds its own.  A bad step number
is refused with a message in the widget, never a traceback.

``Player`` also has a ``text/html`` fallback in its ``_repr_mimebundle_``: one step's diagrams (as
``<img src="data:image/svg+xml;base64,...">``) and table, which is what GitHub or an unrun
notebook shows.  It is the step the player opens at: tell it where with ``start`` (a step number,
or a test on the steps such as ``start=lambda s: s.at >= 10_000``, "the first step where ..."),
so the widget and the static view show the step the text talks about.  Without ``start`` the
widget opens at step 0 and the static view shows the last step (how the run ended).

ipywidgets is imported when a Player is built, never when :mod:`kafkalab` is imported.
"""

from __future__ import annotations

import html
import threading
from typing import Any, Callable, Optional, Sequence, Union

import ipywidgets as w

from . import dot as _dot
from ..sim.events import format_partitions
from .render import img_tag, render_svg
from .steps import Step, build_steps, events_of

__all__ = ["Player", "members_table_html", "step_html", "find_step"]

#: Where a player opens: a step number, or a test on the steps (the first step it accepts).
Start = Union[int, Callable[[Step], bool], None]


def find_step(steps: Sequence[Step], start: Start) -> Optional[int]:
    """The index of the step ``start`` names: ``start`` itself when it is a step number, the first
    step for which ``start(step)`` is true when it is a function, ``None`` for ``None``.

    Raises:
        ValueError: a number out of range, or a test that no step passes (the message says what
            there is), so a notebook cell fails loudly instead of opening somewhere else.
        TypeError: anything else.
    """
    n = len(steps)
    if start is None or n == 0:
        return None
    if isinstance(start, bool) or not (isinstance(start, int) or callable(start)):
        raise TypeError(f"start must be a step number or a function of a step (e.g. lambda s: s.at >= 10_000), "
                        f"not {start!r}")
    if isinstance(start, int):
        if not 0 <= start < n:
            raise ValueError(f"start={start} is out of range: this run has steps 0 to {n - 1}")
        return start
    for k, s in enumerate(steps):
        if start(s):
            return k
    raise ValueError(f"no step of the {n} steps passes start=...; the run goes from t={steps[0].at} ms to "
                     f"t={steps[-1].at} ms")


_STATE_COLORS = {
    "UNJOINED": "#e5e7e9",
    "PREPARING_REBALANCE": "#fad7a0",
    "COMPLETING_REBALANCE": "#f9e79f",
    "STABLE": "#abebc6",
    "JOINING": "#fad7a0",
    "RECONCILING": "#f9e79f",
    "ACKNOWLEDGING": "#f9e79f",
    "FENCED": "#f5b7b1",
    "crashed": "#f5b7b1",
    "closed": "#d5d8dc",
    "left": "#d5d8dc",
}
_CELL = "padding:2px 8px;border-bottom:1px solid #e5e7e9;text-align:left;white-space:nowrap"


def members_table_html(step: Step) -> str:
    """The members of ``step`` as an HTML table (name, member id, instance id, client state,
    generation, assignment, whether the coordinator counts it as a member).  For a consumer group
    (KIP-848) the generation column is the member epoch the coordinator recorded, and two columns
    show the member's reconciliation state and its partitions pending revocation."""
    if step.consumer_group:
        return _consumer_members_table_html(step)
    head = ["member", "member id", "instance id", "client state", "gen", "assignment", "in group"]
    rows = ["<tr>" + "".join(f'<th style="{_CELL};background:#f4f6f7">{h}</th>' for h in head) + "</tr>"]
    for r in step.members:
        name = html.escape(r.name) + (" &#9733;" if r.leader else "")
        cells = [
            name,
            f'<span title="{html.escape(r.member_id)}">{html.escape(r.member_id_short) or "-"}</span>',
            html.escape(r.instance_id or "-"),
            f'<span style="background:{_STATE_COLORS.get(r.state, "#ffffff")};padding:0 4px;border-radius:3px">'
            f"{html.escape(r.state)}</span>",
            str(r.generation),
            html.escape(r.assignment_text),
            "yes" if r.in_group else "no",
        ]
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
    # A narrow column scrolls sideways instead of cutting the last columns off.
    table = ('<div style="overflow-x:auto;max-width:100%"><table style="border-collapse:collapse;font-size:12px;'
             'margin-top:6px">' + "".join(rows) + "</table></div>")
    return table + '<div style="font-size:11px;color:#7f8c8d">&#9733; leader</div>'


def _consumer_members_table_html(step: Step) -> str:
    head = ["member", "member id", "instance id", "client state", "member epoch", "reconciliation", "owns",
            "pending revocation", "in group"]
    rows = ["<tr>" + "".join(f'<th style="{_CELL};background:#f4f6f7">{h}</th>' for h in head) + "</tr>"]
    for r in step.members:
        cells = [
            html.escape(r.name),
            f'<span title="{html.escape(r.member_id)}">{html.escape(r.member_id_short) or "-"}</span>',
            html.escape(r.instance_id or "-"),
            f'<span style="background:{_STATE_COLORS.get(r.state, "#ffffff")};padding:0 4px;border-radius:3px">'
            f"{html.escape(r.state)}</span>",
            "-" if r.member_epoch is None else str(r.member_epoch),
            html.escape(r.member_state or "-"),
            html.escape(r.assignment_text),
            html.escape(format_partitions(r.pending_revocation) if r.pending_revocation else "-"),
            "yes" if r.in_group else "no",
        ]
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
    return ('<div style="overflow-x:auto;max-width:100%"><table style="border-collapse:collapse;font-size:12px;'
            'margin-top:6px">' + "".join(rows) + "</table></div>"
            '<div style="font-size:11px;color:#7f8c8d">owns: ' + (
                "its assigned partitions and those pending revocation, as the coordinator recorded them (a real "
                "client's callbacks are not visible to the broker); client state: inferred from its heartbeats"
                if step.real_clients else "what the consumer's callbacks gave it") +
            "; member epoch, reconciliation and pending revocation: as the coordinator recorded them</div>")


def _group_line(step: Step) -> str:
    if step.consumer_group:
        bits = [f"group <b>{html.escape(str(step.group))}</b>: <b>{html.escape(step.state_text)}</b>",
                f"group epoch {step.generation}", f"target assignment epoch {step.assignment_epoch}"]
        if step.protocol:
            bits.append(f"server assignor {html.escape(step.protocol)}")
        return " &middot; ".join(bits)
    bits = [f"group <b>{html.escape(str(step.group))}</b>: <b>{html.escape(step.state_text)}</b>",
            f"generation {step.generation}"]
    if step.leader:
        bits.append(f"leader {html.escape(step.leader)}")
    if step.protocol:
        bits.append(f"assignor {html.escape(step.protocol)}")
    return " &middot; ".join(bits)


def step_html(step: Step, sequence_svg: Optional[str], state_svg: Optional[str], *, total: int) -> str:
    """The body of the player for one step (also the static fallback)."""
    # The sequence diagram has a row of its own, the width of the notebook: its labels must be
    # readable without zooming, so it shrinks at most to SEQUENCE_MIN_SCALE and scrolls beyond that.
    seq = (img_tag(sequence_svg, alt="message sequence diagram", style="max-width:100%;height:auto",
                   min_scale=_dot.SEQUENCE_MIN_SCALE)
           if sequence_svg else '<i style="color:#7f8c8d">no trace to draw</i>')
    sm = img_tag(state_svg, alt="group state machine", style="max-width:100%;height:auto") if state_svg else ""
    return (
        '<div class="kafkalab-player-step" style="font-family:Helvetica,Arial,sans-serif;font-size:13px">'
        f'<div style="margin:4px 0 8px 0"><b>Step {step.index} of {total - 1}</b> &middot; t = {step.at} ms'
        f' &middot; {html.escape(step.kind)}<br/>{html.escape(step.sentence)}</div>'
        f'<div class="kafkalab-sequence">{seq}</div>'
        '<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;margin-top:8px">'
        f'<div style="flex:1 1 340px;min-width:280px;max-width:560px"><div>{_group_line(step)}</div>{sm}</div>'
        f'<div style="flex:1 1 420px;min-width:300px">{members_table_html(step)}</div>'
        "</div></div>"
    )


class Player:
    """Step through a run.

    Args:
        source: a :class:`~kafkalab.sim.World`, a list of trace events, or a list of
            :class:`~kafkalab.viz.steps.Step` (then pass ``trace=`` to get sequence diagrams).
        group: the group to follow (default: the first in the trace).
        heartbeats, offsets: also step through routine (error-free) heartbeat / offset traffic.
        notes: make consumer notes ("c1: started") steps of their own.
        window: rows of the sequence diagram shown up to the current step.
        interval: milliseconds between steps when playing.
        trace: the trace, when ``source`` is a list of steps.
        start: where the player opens, in the widget and in the static view: a step number, or
            a function of a :class:`Step` (the first step for which it is true), e.g.
            ``start=lambda s: s.at >= 10_000`` or ``start=lambda s: "GROUP_MAX_SIZE_REACHED" in s.sentence``.
            Default: the widget opens at step 0 and the static view shows the last step.

    Attributes:
        steps: the :class:`Step` list.  ``step`` is the current index, ``current`` the Step.
        widget: the ipywidgets ``VBox`` (displaying the Player displays it).
        body, message: the ``HTML`` widgets (the step, and refusals/errors).
    """

    def __init__(self, source: Any, group: Optional[str] = None, *, heartbeats: bool = False,
                 offsets: bool = False, notes: bool = True, window: int = 24, interval: int = 900,
                 trace: Optional[Sequence[Any]] = None, start: Start = None) -> None:
        if isinstance(source, (list, tuple)) and source and all(isinstance(s, Step) for s in source):
            self.steps = list(source)
            self._events = list(trace) if trace is not None else None
            self._world = None
        else:
            events, world = events_of(source)
            self._events = events
            self._world = world
            self.steps = build_steps(world if world is not None else events, group,
                                     heartbeats=heartbeats, offsets=offsets, notes=notes)
        if group is None and self.steps:
            group = self.steps[0].group
        self.group = group
        self._seq_kwargs = dict(heartbeats=heartbeats, offsets=offsets, window=window)
        self._participants = None
        if self._events is not None:
            self._participants = _dot.sequence_participants(
                self._world if self._world is not None else self._events, group)
        self._lock = threading.RLock()
        self._svgs: dict[int, tuple[Optional[str], Optional[str]]] = {}
        self._index = -1
        #: the step the static view shows (None: the last one); set by ``start`` and show_step()
        self._opened_at = find_step(self.steps, start)

        n = len(self.steps)
        last = max(n - 1, 0)
        self.prev_button = w.Button(description="Previous", icon="step-backward", tooltip="previous step",
                                    layout=w.Layout(width="110px"))
        self.next_button = w.Button(description="Next", icon="step-forward", tooltip="next step",
                                    layout=w.Layout(width="90px"))
        self.play = w.Play(value=0, min=0, max=last, step=1, interval=interval, show_repeat=False,
                           description="play")
        self.slider = w.IntSlider(value=0, min=0, max=last, description="step", continuous_update=False,
                                  layout=w.Layout(width="420px"))
        self._link = w.jslink((self.play, "value"), (self.slider, "value"))
        self.body = w.HTML()
        self.message = w.HTML()
        self.widget = w.VBox([
            w.HBox([self.prev_button, self.play, self.slider, self.next_button]),
            self.message,
            self.body,
        ])
        self.prev_button.on_click(lambda _b: self.show_step(self.step - 1))
        self.next_button.on_click(lambda _b: self.show_step(self.step + 1))
        self.slider.observe(self._on_slider, names="value")
        if n == 0:
            self.body.value = '<i>Nothing to play: the trace has no steps for this group.</i>'
            self.prev_button.disabled = self.next_button.disabled = True
            self.play.disabled = self.slider.disabled = True
        else:
            self._render_first(self._opened_at or 0)

    # -------------------------------------------------------------- public API

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def step(self) -> int:
        """The index of the step shown (-1 before the first is shown)."""
        return self._index

    @step.setter
    def step(self, k: int) -> None:
        self.show_step(k)

    @property
    def current(self) -> Optional[Step]:
        return self.steps[self._index] if 0 <= self._index < len(self.steps) else None

    def show_step(self, k: Any) -> bool:
        """Show step ``k`` (the static view then shows it too).  Returns False (and says why in
        ``message``) for a bad ``k``."""
        n = len(self.steps)
        if isinstance(k, bool) or not isinstance(k, int):
            return self._refuse(f"step must be a whole number from 0 to {n - 1}, not {k!r}")
        if not 0 <= k < n:
            if n == 0:
                return self._refuse("there are no steps to show")
            hint = " (already at the first step)" if k == -1 else " (already at the last step)" if k == n else ""
            return self._refuse(f"step {k} is out of range: this run has steps 0 to {n - 1}{hint}")
        self._opened_at = k
        if self.slider.value != k:
            self.slider.value = k  # the observer renders; the browser's Play follows via jslink
        else:
            self._render(k)
        return True

    def prerender(self) -> None:
        """Render every step's SVGs now (e.g. before a demo), so each step then shows at once."""
        for k in range(len(self.steps)):
            self._svgs_for(k)

    @property
    def static_step(self) -> Optional[int]:
        """The step the static view shows: where the player was told to open (``start``, or the
        last :meth:`show_step`), else the last step."""
        if not self.steps:
            return None
        return self._opened_at if self._opened_at is not None else len(self.steps) - 1

    def static_html(self, k: Optional[int] = None) -> str:
        """The HTML of step ``k`` (default: :attr:`static_step`), with diagrams as ``<img>`` data URIs."""
        if not self.steps:
            return "<p><i>kafkalab player: no steps to show.</i></p>"
        k = self.static_step if k is None else k
        seq, sm = self._svgs_for(k)
        which = f"the last of {len(self.steps)} steps" if k == len(self.steps) - 1 else \
            f"step {k} of {len(self.steps)} steps"
        note = ('<div style="font-size:11px;color:#7f8c8d;margin-bottom:4px">kafkalab player, static view of '
                f'{which} (run the notebook to step through them).</div>')
        return note + step_html(self.steps[k], seq, sm, total=len(self.steps))

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude, **kwargs) or {})
        try:
            bundle["text/html"] = self.static_html()
        except Exception as e:  # a fallback must never break display
            bundle["text/html"] = f"<p>kafkalab player ({len(self.steps)} steps); no static view: {html.escape(str(e))}</p>"
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        last = self.steps[-1] if self.steps else None
        epoch = "group epoch" if last is not None and last.consumer_group else "generation"
        tail = f", ends {last.state_text} in {epoch} {last.generation}" if last else ""
        return f"<kafkalab Player: {len(self.steps)} steps of group {self.group!r}{tail}>"

    # -------------------------------------------------------------- internals

    def _refuse(self, text: str) -> bool:
        self.message.value = f'<span style="color:#c0392b">{html.escape(text)}</span>'
        return False

    def _render_first(self, k: int) -> None:
        if self.slider.value != k:
            self.slider.value = k  # the observer renders
        else:
            self._render(k)

    def _on_slider(self, change: dict) -> None:
        self._render(change["new"])

    def _svgs_for(self, k: int) -> tuple[Optional[str], Optional[str]]:
        with self._lock:
            cached = self._svgs.get(k)
        if cached is not None:
            return cached
        step = self.steps[k]
        seq = None
        if self._events is not None:
            src = _dot.sequence_dot(self._events, upto=step.end_index, highlight=step.message_index
                                    if step.message_index is not None else step.event_index,
                                    participants=self._participants, group=self.group, **self._seq_kwargs)
            seq = render_svg(src, engine=_dot.SEQUENCE_ENGINE)
        if step.consumer_group:
            sm_src = _dot.consumer_group_state_machine_dot(step.group_state, step.transition)
        else:
            sm_src = _dot.state_machine_dot(step.group_state, step.transition)
        sm = render_svg(sm_src, engine=_dot.STATE_MACHINE_ENGINE)
        with self._lock:
            self._svgs[k] = (seq, sm)
        return seq, sm

    def _render(self, k: int) -> None:
        try:
            if not 0 <= k < len(self.steps):
                self._refuse(f"step {k} is out of range: this run has steps 0 to {len(self.steps) - 1}")
                return
            seq, sm = self._svgs_for(k)
            body = step_html(self.steps[k], seq, sm, total=len(self.steps))
            with self._lock:
                if self.slider.value != k:
                    return  # another thread moved the slider meanwhile; its render shows that step
                self._index = k
                self.body.value = body
                self.message.value = ""
                self.prev_button.disabled = k == 0
                self.next_button.disabled = k == len(self.steps) - 1
        except Exception as e:  # show, never raise, from a widget callback
            self._refuse(f"could not draw step {k}: {type(e).__name__}: {e}")
