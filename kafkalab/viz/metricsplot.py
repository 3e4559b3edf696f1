"""A matplotlib picture of consumers' metrics over virtual time, as a dashboard scraping JMX would draw them.

:func:`metrics_plot` scrapes each consumer's metrics (:func:`kafkalab.sim.metrics.metrics_series`)
every ``every_ms`` and draws one panel per metric, one line per consumer.  A gap in a line is a
time when no process of that consumer ran (not started yet, crashed, failed) or when a windowed
metric had no sample (an average or a max with nothing recorded in the last two windows is NaN in
Kafka).  Like :mod:`.plots`, it returns a :class:`~kafkalab.viz.plots.CourseFigure` built with the
object-oriented API.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..sim.metrics import METRICS, metrics_series
from .plots import CourseFigure, _palette

__all__ = ["metrics_plot"]


def metrics_plot(source: Any, consumers: Optional[Sequence[str]] = None, names: Sequence[str] = (
        "rebalance-rate-per-hour", "time-between-poll-max"), *, every_ms: int = 10_000,
        title: Optional[str] = None, width: float = 9.0) -> CourseFigure:
    """One panel per metric in ``names``, one line per consumer, x in minutes of virtual time.

    Args:
        source: a :class:`~kafkalab.sim.world.World` or an incident run
            (:class:`~kafkalab.sim.incidents.IncidentRun`: its world and consumers).
        consumers: the consumers to draw (default: the incident's, or every consumer of the world).
        names: Kafka's metric names (:data:`kafkalab.sim.metrics.METRICS`).
        every_ms: the scrape interval.

    Raises:
        ValueError: an unknown metric or consumer.
    """
    world = getattr(source, "world", source)
    if consumers is None:
        consumers = getattr(source, "consumers", None) or sorted(world.consumers)
    names = list(names)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown}; known: {sorted(METRICS)}")
    missing = [c for c in consumers if c not in world.consumers]
    if missing:
        raise ValueError(f"no consumer {missing}; consumers: {sorted(world.consumers)}")
    fig = CourseFigure(figsize=(width, 1.9 * len(names) + 0.6))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    colors = _palette(list(consumers))
    for name in consumers:
        series = metrics_series(world.consumers[name], names, every_ms=every_ms)
        minutes = [t / 60_000 for t in series["t_ms"]]
        for ax, metric in zip(axes, names):
            ax.plot(minutes, series[metric], label=name, color=colors[name], linewidth=1.4)
    for ax, metric in zip(axes, names):
        group, what, stat = METRICS[metric]
        ax.set_title(f"{metric}  ({group}; {stat})", fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=8)
    axes[0].legend(fontsize=8, loc="upper right", ncol=len(consumers))
    axes[-1].set_xlabel("virtual time (minutes)", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
