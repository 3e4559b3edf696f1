""""What if" controls: change a knob, add an incident, run the scenario again, compare.

``WhatIf(...)`` shows ipywidgets controls (consumers, assignor, the three timeouts, static
membership) and an incident editor (crash / pause / stall / close / restart / join a consumer at a
time), runs :func:`kafkalab.sim.scenario.run_scenario` deterministically on "Run", and shows the
outcome: a one-line summary, the partition-ownership timeline, and (optionally) a player.
Bad values are refused with a message in the widget; nothing a learner types raises.
"""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as w
from IPython.display import display

from ..sim.scenario import INCIDENTS, Incident, Scenario, run_scenario, summary
from .player import Player


class WhatIf:
    """An interactive scenario.  ``WhatIf(consumers=3, assignor="range", incidents=[...])``.

    Keyword arguments are :class:`~kafkalab.sim.scenario.Scenario` fields (the starting values).
    ``run()`` runs with the current control values and returns the world (tests call it too).
    """

    ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")

    def __init__(self, *, show_player: bool = False, **start: Any) -> None:
        self._lock = threading.Lock()
        self.show_player = show_player
        base = Scenario(**start)
        self.incidents: list[Incident] = list(base.incidents)
        self._base = base
        style = {"description_width": "170px"}
        lay = w.Layout(width="360px")
        self.consumers = w.BoundedIntText(value=base.consumers, min=1, max=50, description="consumers", style=style, layout=lay)
        self.partitions = w.BoundedIntText(value=base.partitions, min=1, max=500, description="partitions", style=style, layout=lay)
        assignor = base.assignor if isinstance(base.assignor, str) else base.assignor[0]
        self.assignor = w.Dropdown(options=self.ASSIGNORS, value=assignor, description="assignor", style=style, layout=lay)
        self.session = w.IntText(value=base.session_timeout_ms, description="session.timeout.ms", style=style, layout=lay)
        self.heartbeat = w.IntText(value=base.heartbeat_interval_ms, description="heartbeat.interval.ms", style=style, layout=lay)
        self.max_poll = w.IntText(value=base.max_poll_interval_ms, description="max.poll.interval.ms", style=style, layout=lay)
        self.static = w.Checkbox(value=base.static, description="static members (group.instance.id)")
        self.run_ms = w.IntText(value=base.run_ms, description="run for (ms)", style=style, layout=lay)
        self.kind = w.Dropdown(options=sorted(INCIDENTS), value="crash", description="incident",
                               layout=w.Layout(width="200px"))
        self.who = w.Text(value="c2", description="consumer", layout=w.Layout(width="200px"))
        self.at = w.IntText(value=20_000, description="at (ms)", layout=w.Layout(width="200px"))
        self.ms = w.IntText(value=0, description="for (ms)", layout=w.Layout(width="200px"))
        self.add_button = w.Button(description="Add incident", icon="plus")
        self.clear_button = w.Button(description="Clear incidents", icon="trash")
        self.run_button = w.Button(description="Run", icon="play", button_style="primary")
        self.incident_list = w.HTML()
        self.message = w.HTML()
        self.output = w.Output()
        self.widget = w.VBox([
            w.HBox([w.VBox([self.consumers, self.partitions, self.assignor, self.static]),
                    w.VBox([self.session, self.heartbeat, self.max_poll, self.run_ms])]),
            w.HBox([self.kind, self.who, self.at, self.ms, self.add_button, self.clear_button]),
            self.incident_list, w.HBox([self.run_button]), self.message, self.output,
        ])
        self.add_button.on_click(lambda _b: self.add_incident())
        self.clear_button.on_click(lambda _b: self.clear_incidents())
        self.run_button.on_click(lambda _b: self.show())
        self._render_incidents()
        self.world = None

    # -------------------------------------------------------------- controls

    def _render_incidents(self) -> None:
        if not self.incidents:
            self.incident_list.value = "<i>no incidents: the group just runs</i>"
            return
        items = "".join(
            f"<li>{i.at} ms: {i.kind} {i.consumer}{f' for {i.ms} ms' if i.kind in ('pause', 'stall') else ''}</li>"
            for i in sorted(self.incidents, key=lambda i: i.at))
        self.incident_list.value = f"<ul style='margin:0'>{items}</ul>"

    def add_incident(self) -> bool:
        try:
            inc = Incident(self.kind.value, self.who.value.strip(), int(self.at.value), int(self.ms.value))
        except (ValueError, TypeError) as exc:
            self.message.value = f"<span style='color:#b00'>Not added: {exc}</span>"
            return False
        self.incidents.append(inc)
        self.message.value = ""
        self._render_incidents()
        return True

    def clear_incidents(self) -> None:
        self.incidents.clear()
        self._render_incidents()

    def scenario(self) -> Scenario:
        return Scenario(consumers=int(self.consumers.value), partitions=int(self.partitions.value),
                        topics=self._base.topics, assignor=(self.assignor.value,),
                        session_timeout_ms=int(self.session.value), heartbeat_interval_ms=int(self.heartbeat.value),
                        max_poll_interval_ms=int(self.max_poll.value), processing_ms=self._base.processing_ms,
                        static=bool(self.static.value), initial_rebalance_delay_ms=self._base.initial_rebalance_delay_ms,
                        incidents=tuple(self.incidents), run_ms=int(self.run_ms.value), seed=self._base.seed)

    def run(self):
        """Run with the current values; returns the World, or None with a message on bad input."""
        with self._lock:
            try:
                self.world = run_scenario(self.scenario())
            except (ValueError, TypeError) as exc:
                self.message.value = f"<span style='color:#b00'>Cannot run: {exc}</span>"
                self.world = None
                return None
            self.message.value = ""
            return self.world

    def show(self) -> None:
        world = self.run()
        self.output.clear_output(wait=True)
        if world is None:
            return
        from .plots import ownership_timeline  # lazy: matplotlib loads on the first show()

        s = summary(world)
        with self.output:
            print(f"{s['rebalances']} rebalance(s); generation {s['generation']}; group {s['state']} "
                  f"with {s['members']} member(s) at {world.now} ms")
            display(ownership_timeline(world, "group"))
            if self.show_player:
                display(Player(world, "group"))

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle = dict(bundle)
        bundle.setdefault("text/html", "<p><i>Interactive controls: run this notebook to use them.</i></p>")
        return bundle
