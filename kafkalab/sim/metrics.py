"""The Java consumer's group metrics, as Kafka defines them, over virtual time.

How it works
------------
Kafka's client metrics are *sensors*: a sensor is recorded with a value at a time, and each of
its stats keeps what it needs to answer ``measure(now)``.  This module has Kafka's stats
(``org.apache.kafka.common.metrics.stats``) with their exact semantics:

* :class:`Avg`, :class:`Max`, :class:`WindowedSum` / :class:`WindowedCount` are *sampled*
  stats (``SampledStat``): values go into samples of ``metrics.sample.window.ms`` (30 s by
  default) and at most ``metrics.num.samples`` (2) of them count, plus one sample that overlaps
  the monitored window; a sample with no event for ``samples * window`` ms is reset when
  measured; with no event at all ``Avg`` and ``Max`` measure NaN;
* :class:`Rate` divides a windowed stat by the elapsed window (at least ``samples - 1`` full
  windows, never below 1 ms), in the rate's time unit (per second, per hour);
* :class:`CumulativeSum` / :class:`CumulativeCount` never forget.

The sensors are the ones the Java consumer registers (Apache Kafka 3.8+/4.x,
``clients/src/main/java/org/apache/kafka/clients/consumer/internals/``):

* ``AbstractCoordinator.GroupCoordinatorMetrics`` (group ``consumer-coordinator-metrics``):
  ``heartbeat-latency`` (heartbeat-response-time-max; heartbeat-rate/-total), ``join-latency``
  (join-time-avg/-max; join-rate/-total), ``sync-latency`` (sync-time-avg/-max;
  sync-rate/-total), ``rebalance-latency`` (rebalance-latency-avg/-max/-total, rebalance-total,
  rebalance-rate-per-hour), ``failed-rebalance`` (failed-rebalance-total,
  failed-rebalance-rate-per-hour), and the gauges last-rebalance-seconds-ago and
  last-heartbeat-seconds-ago (-1 when there was none; whole seconds, truncated);
* ``metrics.KafkaConsumerMetrics`` (group ``consumer-metrics``): ``time-between-poll``
  (time-between-poll-avg/-max), ``poll-idle-ratio-avg`` and the gauge last-poll-seconds-ago.

What is recorded when is where the Java client records it, and the simulated consumer calls this
module's :class:`MetricsRecorder` at those points (one recorder per process, as a restarted JVM
starts its metrics afresh):

* join-latency / sync-latency: the request's latency (sent -> answer handled) of a JoinGroup /
  SyncGroup answered without error (``JoinGroupResponseHandler``, ``SyncGroupResponseHandler``);
* heartbeat-latency: the latency of every Heartbeat answer handled, whatever its error;
* rebalance-latency: from the first JoinGroup of a rebalance (``initiateJoinGroup`` keeps the
  start across failed attempts) to the successful SyncGroup answer; failed-rebalance: each failed
  JoinGroup/SyncGroup attempt, MEMBER_ID_REQUIRED included (the Java client fails the join future
  for it too, so a new dynamic member starts with failed-rebalance-total 1);
* time-between-poll: at each ``poll()`` start, the time since the previous ``poll()`` start (0 at
  the first); poll-idle-ratio: at each ``poll()`` end, time in poll / (time in poll + time between
  polls).  The simulated application calls ``poll(Duration.ofMillis(poll_timeout_ms))`` in a loop:
  while it waits in ``poll()`` (a rebalance, an offset fetch), each ``poll_timeout_ms`` one
  ``poll()`` returns empty and the next one starts (during a GC pause nothing runs, so a poll
  whose timeout falls in the pause ends when the pause does).

:func:`consumer_metrics` measures every metric at one time (``world.metrics(name)``);
:func:`metrics_series` scrapes them every ``every_ms`` as a monitoring system would (a scrape is
Kafka's ``measure``, which resets samples that expired, as in a JVM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .consumer import SimConsumer

__all__ = [
    "MetricConfig", "SampledStat", "Avg", "Max", "WindowedSum", "WindowedCount", "Rate", "CumulativeSum",
    "CumulativeCount", "Sensor", "MetricsRecorder", "METRICS", "COORDINATOR_GROUP", "CONSUMER_GROUP",
    "consumer_metrics", "metrics_series",
]

COORDINATOR_GROUP = "consumer-coordinator-metrics"
CONSUMER_GROUP = "consumer-metrics"

SECOND_MS = 1_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class MetricConfig:
    """Kafka's ``MetricConfig``: ``metrics.num.samples`` (2) samples of ``metrics.sample.window.ms``
    (30000 ms); ``event_window`` is unbounded for the consumer."""

    samples: int = 2
    time_window_ms: int = 30_000
    event_window: float = math.inf


# ---------------------------------------------------------------------------- stats

class _Sample:
    __slots__ = ("initial", "value", "event_count", "start_ms", "last_event_ms")

    def __init__(self, initial: float, now: float) -> None:
        self.initial = initial
        self.reset(now)

    def reset(self, now: float) -> None:
        self.value = self.initial
        self.event_count = 0
        self.start_ms = now
        self.last_event_ms = now

    def is_complete(self, now: float, config: MetricConfig) -> bool:
        return now - self.start_ms >= config.time_window_ms or self.event_count >= config.event_window


class SampledStat:
    """Kafka's ``SampledStat``: a ring of ``samples + 1`` samples (one may overlap the window)."""

    initial = 0.0

    def __init__(self) -> None:
        self.samples: list[_Sample] = []
        self.current = 0

    def record(self, config: MetricConfig, value: float, now: float) -> None:
        sample = self._current(now)
        if sample.is_complete(now, config):
            sample = self._advance(config, now)
        self.update(sample, value)
        sample.event_count += 1
        sample.last_event_ms = now

    def _advance(self, config: MetricConfig, now: float) -> _Sample:
        self.current = (self.current + 1) % (config.samples + 1)
        if self.current >= len(self.samples):
            sample = _Sample(self.initial, now)
            self.samples.append(sample)
            return sample
        sample = self.samples[self.current]
        sample.reset(now)
        return sample

    def _current(self, now: float) -> _Sample:
        if not self.samples:
            self.samples.append(_Sample(self.initial, now))
        return self.samples[self.current]

    def oldest(self, now: float) -> _Sample:
        if not self.samples:
            self.samples.append(_Sample(self.initial, now))
        return min(self.samples, key=lambda s: s.start_ms)

    def purge_obsolete_samples(self, config: MetricConfig, now: float) -> None:
        expire_age = config.samples * config.time_window_ms
        for sample in self.samples:
            if now - sample.last_event_ms >= expire_age:
                sample.reset(now)

    def measure(self, config: MetricConfig, now: float) -> float:
        self.purge_obsolete_samples(config, now)
        return self.combine()

    def update(self, sample: _Sample, value: float) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def combine(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


class Avg(SampledStat):
    """The mean of the values in the retained samples (NaN with none)."""

    def update(self, sample: _Sample, value: float) -> None:
        sample.value += value

    def combine(self) -> float:
        count = sum(s.event_count for s in self.samples)
        return math.nan if count == 0 else sum(s.value for s in self.samples) / count


class Max(SampledStat):
    """The largest value in the retained samples (NaN with none)."""

    initial = -math.inf

    def update(self, sample: _Sample, value: float) -> None:
        sample.value = max(sample.value, value)

    def combine(self) -> float:
        count = sum(s.event_count for s in self.samples)
        return math.nan if count == 0 else max(s.value for s in self.samples)


class WindowedSum(SampledStat):
    def update(self, sample: _Sample, value: float) -> None:
        sample.value += value

    def combine(self) -> float:
        return float(sum(s.value for s in self.samples))


class WindowedCount(WindowedSum):
    def update(self, sample: _Sample, value: float) -> None:
        sample.value += 1.0


class Rate:
    """Kafka's ``Rate``: a windowed stat divided by the elapsed window, in ``unit_ms`` units."""

    def __init__(self, unit_ms: int, stat: SampledStat) -> None:
        self.unit_ms = unit_ms
        self.stat = stat

    def record(self, config: MetricConfig, value: float, now: float) -> None:
        self.stat.record(config, value, now)

    def window_size(self, config: MetricConfig, now: float) -> float:
        self.stat.purge_obsolete_samples(config, now)
        elapsed = now - self.stat.oldest(now).start_ms
        full_windows = int(elapsed // config.time_window_ms)
        min_full_windows = config.samples - 1
        if full_windows < min_full_windows:
            elapsed += (min_full_windows - full_windows) * config.time_window_ms
        return max(elapsed, 1)

    def measure(self, config: MetricConfig, now: float) -> float:
        value = self.stat.measure(config, now)
        return value / (self.window_size(config, now) / self.unit_ms)


class CumulativeSum:
    def __init__(self) -> None:
        self.total = 0.0

    def record(self, config: MetricConfig, value: float, now: float) -> None:
        self.total += value

    def measure(self, config: MetricConfig, now: float) -> float:
        return self.total


class CumulativeCount(CumulativeSum):
    def record(self, config: MetricConfig, value: float, now: float) -> None:
        self.total += 1.0


class Sensor:
    """A named sensor: recording it records every one of its stats (``(metric name, stat)``)."""

    def __init__(self, name: str, stats: Sequence[tuple[str, Any]]) -> None:
        self.name = name
        self.stats = list(stats)

    def record(self, config: MetricConfig, value: float, now: float) -> None:
        for _, stat in self.stats:
            stat.record(config, value, now)


def _meter(base: str) -> list[tuple[str, Any]]:
    """``AbstractCoordinator.createMeter``: ``<base>-rate`` per second over a WindowedCount and
    ``<base>-total`` (a CumulativeSum of 1 per event)."""
    return [(f"{base}-rate", Rate(SECOND_MS, WindowedCount())), (f"{base}-total", _CountTotal())]


class _CountTotal(CumulativeSum):
    """Meter's total over a WindowedCount records 1.0 per event."""

    def record(self, config: MetricConfig, value: float, now: float) -> None:
        self.total += 1.0


def _sensors() -> dict[str, Sensor]:
    return {s.name: s for s in (
        Sensor("heartbeat-latency", [("heartbeat-response-time-max", Max()), *_meter("heartbeat")]),
        Sensor("join-latency", [("join-time-avg", Avg()), ("join-time-max", Max()), *_meter("join")]),
        Sensor("sync-latency", [("sync-time-avg", Avg()), ("sync-time-max", Max()), *_meter("sync")]),
        Sensor("rebalance-latency", [
            ("rebalance-latency-avg", Avg()), ("rebalance-latency-max", Max()),
            ("rebalance-latency-total", CumulativeSum()), ("rebalance-total", CumulativeCount()),
            ("rebalance-rate-per-hour", Rate(HOUR_MS, WindowedCount()))]),
        Sensor("failed-rebalance", [
            ("failed-rebalance-total", CumulativeCount()),
            ("failed-rebalance-rate-per-hour", Rate(HOUR_MS, WindowedCount()))]),
        Sensor("time-between-poll", [("time-between-poll-avg", Avg()), ("time-between-poll-max", Max())]),
        Sensor("poll-idle-ratio-avg", [("poll-idle-ratio-avg", Avg())]),
    )}


#: Every metric: name -> (Kafka's metric group, its description as Kafka registers it, the stat).
METRICS: dict[str, tuple[str, str, str]] = {
    "rebalance-latency-avg": (COORDINATOR_GROUP, "average time of a successful rebalance (ms), failed attempts "
                              "included", "Avg"),
    "rebalance-latency-max": (COORDINATOR_GROUP, "max time of a successful rebalance (ms)", "Max"),
    "rebalance-latency-total": (COORDINATOR_GROUP, "ms spent in successful rebalances since creation",
                                "CumulativeSum"),
    "rebalance-total": (COORDINATOR_GROUP, "successful rebalances since creation", "CumulativeCount"),
    "rebalance-rate-per-hour": (COORDINATOR_GROUP, "successful rebalances per hour", "Rate(HOURS, WindowedCount)"),
    "failed-rebalance-total": (COORDINATOR_GROUP, "failed rebalance attempts since creation", "CumulativeCount"),
    "failed-rebalance-rate-per-hour": (COORDINATOR_GROUP, "failed rebalance attempts per hour",
                                       "Rate(HOURS, WindowedCount)"),
    "last-rebalance-seconds-ago": (COORDINATOR_GROUP, "seconds since the last successful rebalance (-1: none)",
                                   "gauge"),
    "join-time-avg": (COORDINATOR_GROUP, "average JoinGroup latency (ms)", "Avg"),
    "join-time-max": (COORDINATOR_GROUP, "max JoinGroup latency (ms)", "Max"),
    "join-rate": (COORDINATOR_GROUP, "group joins per second", "Rate(SECONDS, WindowedCount)"),
    "join-total": (COORDINATOR_GROUP, "group joins", "CumulativeSum"),
    "sync-time-avg": (COORDINATOR_GROUP, "average SyncGroup latency (ms)", "Avg"),
    "sync-time-max": (COORDINATOR_GROUP, "max SyncGroup latency (ms)", "Max"),
    "sync-rate": (COORDINATOR_GROUP, "group syncs per second", "Rate(SECONDS, WindowedCount)"),
    "sync-total": (COORDINATOR_GROUP, "group syncs", "CumulativeSum"),
    "heartbeat-response-time-max": (COORDINATOR_GROUP, "max Heartbeat latency (ms)", "Max"),
    "heartbeat-rate": (COORDINATOR_GROUP, "heartbeats per second", "Rate(SECONDS, WindowedCount)"),
    "heartbeat-total": (COORDINATOR_GROUP, "heartbeats", "CumulativeSum"),
    "last-heartbeat-seconds-ago": (COORDINATOR_GROUP, "seconds since the last heartbeat was sent (-1: none)",
                                   "gauge"),
    "time-between-poll-avg": (CONSUMER_GROUP, "average delay between poll() calls (ms)", "Avg"),
    "time-between-poll-max": (CONSUMER_GROUP, "max delay between poll() calls (ms)", "Max"),
    "poll-idle-ratio-avg": (CONSUMER_GROUP, "average fraction of time in poll() rather than in the application",
                            "Avg"),
    "last-poll-seconds-ago": (CONSUMER_GROUP, "seconds since the last poll() (-1: none)", "gauge"),
}


# ---------------------------------------------------------------------------- what the consumer records

@dataclass
class MetricsRecorder:
    """What one consumer process recorded, in time order: sensor values and the gauges' inputs.

    The simulated consumer calls the methods below where the Java client records its sensors;
    measuring replays the records (:class:`_Registry`), so a value can be read at any past time.
    """

    started_at: int
    config: MetricConfig
    poll_timeout_ms: int
    ended_at: Optional[int] = None
    #: (time, sensor name, value)
    records: list[tuple[int, str, float]] = field(default_factory=list)
    #: poll() as the simulated application sees it: [start, end or None]
    polls: list[list[Optional[int]]] = field(default_factory=list)
    #: GC pauses: (start, end)
    pauses: list[tuple[int, int]] = field(default_factory=list)
    #: (time, "heartbeat-sent" | "rebalance-start" | "rebalance-end")
    marks: list[tuple[int, str]] = field(default_factory=list)
    rebalance_started_at: Optional[int] = None

    # -- AbstractCoordinator
    def join_initiated(self, now: int) -> None:
        """``initiateJoinGroup``: a rebalance starts unless a failed one is being retried."""
        if self.rebalance_started_at is None:
            self.rebalance_started_at = now

    def join_succeeded(self, now: int, latency_ms: int) -> None:
        self.records.append((now, "join-latency", latency_ms))

    def sync_succeeded(self, now: int, latency_ms: int) -> None:
        """A SyncGroup answered without error ends the rebalance (``SyncGroupResponseHandler``)."""
        self.records.append((now, "sync-latency", latency_ms))
        self.rebalance_ended(now)

    def rebalance_ended(self, now: int) -> None:
        """The rebalance ends: a SyncGroup answer, or (consumer protocol) the end of a reconciliation."""
        start = self.rebalance_started_at if self.rebalance_started_at is not None else now
        self.records.append((now, "rebalance-latency", now - start))
        self.marks.append((now, "rebalance-end"))
        self.rebalance_started_at = None

    def rebalance_failed(self, now: int) -> None:
        """The join future failed: a JoinGroup or SyncGroup error answer, or no answer."""
        self.records.append((now, "failed-rebalance", 1.0))

    def heartbeat_sent(self, now: int) -> None:
        self.marks.append((now, "heartbeat-sent"))

    def heartbeat_answered(self, now: int, latency_ms: int) -> None:
        self.records.append((now, "heartbeat-latency", latency_ms))

    # -- KafkaConsumer.poll()
    def poll_started(self, now: int) -> None:
        if self.polls and self.polls[-1][1] is None:
            return
        self.polls.append([now, None])

    def poll_ended(self, now: int) -> None:
        if self.polls and self.polls[-1][1] is None:
            self.polls[-1][1] = now

    def paused(self, now: int, until: int) -> None:
        self.pauses.append((now, until))

    def ended(self, now: int) -> None:
        """The process stopped (crash, close, fatal error): it records nothing more."""
        if self.ended_at is None:
            self.ended_at = now

    # -- replay
    def java_polls(self, until: int) -> list[tuple[int, Optional[int]]]:
        """The ``poll()`` calls the Java application made up to ``until``: each simulated wait in
        poll() split into ``poll(poll_timeout_ms)`` calls that return empty (``(start, end)``; the
        end is None for a poll still running at ``until``)."""
        out: list[tuple[int, Optional[int]]] = []
        timeout = self.poll_timeout_ms
        for start, end in self.polls:
            if start is None or start > until:
                break
            stop = end if end is not None and end <= until else None
            cur = start
            while True:
                nominal = self._after_pause(cur + timeout)
                if stop is not None and nominal >= stop:
                    out.append((cur, stop))
                    break
                if stop is None and nominal > until:
                    out.append((cur, None))
                    break
                out.append((cur, nominal))
                cur = nominal
        return out

    def _after_pause(self, t: int) -> int:
        for p0, p1 in self.pauses:
            if p0 <= t < p1:
                return p1
        return t

    def events(self, until: int) -> list[tuple[int, int, str, float]]:
        """Everything to replay up to ``until``: ``(time, order, what, value)`` sorted."""
        out: list[tuple[int, int, str, float]] = []
        # poll() calls first at equal times, in their own order (a poll that ends at t comes
        # before the next one starting at t, and a poll's start before its end).
        for start, end in self.java_polls(until):
            out.append((start, 0, "poll-start", 0.0))
            if end is not None:
                out.append((end, 0, "poll-end", 0.0))
        for t, name, value in self.records:
            if t <= until:
                out.append((t, 1, name, float(value)))
        for t, what in self.marks:
            if t <= until:
                out.append((t, 1, what, 0.0))
        out.sort(key=lambda e: (e[0], e[1]))  # stable: keeps each kind's order
        return out


class _Registry:
    """Kafka's ``Metrics`` for one consumer process: its sensors, gauges and poll bookkeeping."""

    def __init__(self, recorder: MetricsRecorder) -> None:
        self.recorder = recorder
        self.config = recorder.config
        self.sensors = _sensors()
        self.last_rebalance_end: Optional[int] = None
        self.last_heartbeat_send: Optional[int] = None
        self.last_poll: Optional[int] = None
        self.poll_start = 0
        self.time_since_last_poll = 0
        self._events: list[tuple[int, int, str, float]] = []
        self._pos = 0

    def advance(self, now: int) -> None:
        """Replay what was recorded up to ``now`` (``now`` only grows; :meth:`load` first)."""
        while self._pos < len(self._events) and self._events[self._pos][0] <= now:
            t, _, what, value = self._events[self._pos]
            self._pos += 1
            self._apply(t, what, value)

    def load(self, horizon: int) -> "_Registry":
        """Take the records up to ``horizon``.  Splitting a wait in poll() gives the same calls up
        to any earlier time, so one load serves every scrape before the horizon."""
        self._events = self.recorder.events(horizon)
        return self

    def _apply(self, t: int, what: str, value: float) -> None:
        if what == "poll-start":
            # KafkaConsumerMetrics.recordPollStart
            self.poll_start = t
            self.time_since_last_poll = t - self.last_poll if self.last_poll is not None else 0
            self.sensors["time-between-poll"].record(self.config, float(self.time_since_last_poll), t)
            self.last_poll = t
        elif what == "poll-end":
            # KafkaConsumerMetrics.recordPollEnd
            poll_time = t - self.poll_start
            total = poll_time + self.time_since_last_poll
            ratio = poll_time / total if total else math.nan
            self.sensors["poll-idle-ratio-avg"].record(self.config, ratio, t)
        elif what == "heartbeat-sent":
            self.last_heartbeat_send = t
        elif what == "rebalance-end":
            self.last_rebalance_end = t
        else:
            self.sensors[what].record(self.config, value, t)

    def measure(self, now: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for sensor in self.sensors.values():
            for name, stat in sensor.stats:
                out[name] = stat.measure(self.config, now)
        out["last-rebalance-seconds-ago"] = _seconds_ago(now, self.last_rebalance_end)
        out["last-heartbeat-seconds-ago"] = _seconds_ago(now, self.last_heartbeat_send)
        out["last-poll-seconds-ago"] = _seconds_ago(now, self.last_poll)
        return {name: out[name] for name in METRICS}


def _seconds_ago(now: int, then: Optional[int]) -> float:
    """``TimeUnit.SECONDS.convert(now - then, MILLISECONDS)`` (truncated), -1 when never."""
    return -1.0 if then is None else float((now - then) // 1000)


# ---------------------------------------------------------------------------- reading them

def _recorder_at(consumer: "SimConsumer", at: int) -> Optional[MetricsRecorder]:
    """The process of ``consumer`` running at ``at`` (the latest started at or before it)."""
    found = None
    for rec in consumer.metric_recorders:
        if rec.started_at <= at:
            found = rec
    return found


def consumer_metrics(consumer: "SimConsumer", at: Optional[int] = None) -> dict[str, float]:
    """Every metric of :data:`METRICS` of ``consumer`` measured at ``at`` (default: the world's now),
    by Kafka's names.  A process that has stopped keeps the values it had then.

    Raises:
        ValueError: the consumer had not started by ``at``.
    """
    now = consumer.world.now if at is None else at
    rec = _recorder_at(consumer, now)
    if rec is None:
        raise ValueError(f"consumer {consumer.name!r} had not started at {now} ms: it has no metrics yet")
    when = now if rec.ended_at is None else min(now, rec.ended_at)
    registry = _Registry(rec).load(when)
    registry.advance(when)
    return registry.measure(when)


def metrics_series(consumer: "SimConsumer", names: Iterable[str] = tuple(METRICS), *, every_ms: int = 5_000,
                   start: int = 0, end: Optional[int] = None) -> dict[str, Any]:
    """Scrape ``consumer``'s metrics every ``every_ms`` from ``start`` to ``end`` (default: now), as
    a monitoring system polling JMX would.  Returns ``{"t_ms": [...], name: [...], ...}``; a value is
    NaN while no process of the consumer runs (before it starts, after a crash or close).

    Raises:
        ValueError: an unknown metric name, or a step that is not a positive number of ms.
    """
    names = list(names)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown}; known: {sorted(METRICS)}")
    if isinstance(every_ms, bool) or not isinstance(every_ms, int) or every_ms <= 0:
        raise ValueError(f"every_ms must be a positive int of ms, got {every_ms!r}")
    stop = consumer.world.now if end is None else end
    out: dict[str, Any] = {"t_ms": []}
    for n in names:
        out[n] = []
    registries: dict[int, _Registry] = {}
    t = start
    while t <= stop:
        rec = _recorder_at(consumer, t)
        values: dict[str, float] = {}
        if rec is not None and (rec.ended_at is None or t < rec.ended_at):
            if id(rec) not in registries:
                registries[id(rec)] = _Registry(rec).load(stop if rec.ended_at is None else min(stop, rec.ended_at))
            registry = registries[id(rec)]
            registry.advance(t)
            values = registry.measure(t)
        out["t_ms"].append(t)
        for n in names:
            out[n].append(values.get(n, math.nan))
        t += every_ms
    return out
