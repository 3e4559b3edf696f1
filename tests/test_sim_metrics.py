"""The Java consumer's metrics (kafkalab.sim.metrics), against values worked out by hand from Kafka's
definitions: SampledStat windows of 30 s, 2 samples (+1 overlapping), Rate's elapsed window, and what
AbstractCoordinator / KafkaConsumerMetrics record when."""

from __future__ import annotations

import math

import pytest

from kafkalab.sim import World
from kafkalab.sim.metrics import (
    HOUR_MS,
    METRICS,
    Avg,
    CumulativeCount,
    Max,
    MetricConfig,
    MetricsRecorder,
    Rate,
    WindowedCount,
    _Registry,
)

CONFIG = MetricConfig()  # metrics.num.samples=2, metrics.sample.window.ms=30000


def test_avg_and_max_forget_samples_with_no_event_for_two_windows():
    avg, mx = Avg(), Max()
    for stat in (avg, mx):
        stat.record(CONFIG, 10, 0)
        stat.record(CONFIG, 20, 10_000)
    assert (avg.measure(CONFIG, 20_000), mx.measure(CONFIG, 20_000)) == (15, 20)
    # The sample's last event was at 10 s: kept while now - 10 s < 60 s ...
    assert (avg.measure(CONFIG, 69_999), mx.measure(CONFIG, 69_999)) == (15, 20)
    # ... and reset from 70 s on: no event left, NaN.
    assert math.isnan(avg.measure(CONFIG, 70_000)) and math.isnan(mx.measure(CONFIG, 70_000))


def test_a_third_window_reuses_the_oldest_sample_and_an_expired_one_stops_counting():
    avg, mx = Avg(), Max()
    for stat in (avg, mx):
        for t, v in ((0, 1), (30_000, 2), (60_000, 3), (90_000, 4)):
            stat.record(CONFIG, v, t)
    # Samples: [4 (reused at 90 s), 2 (last event 30 s: 60 s old -> reset), 3]
    assert avg.measure(CONFIG, 90_000) == 3.5
    assert mx.measure(CONFIG, 90_000) == 4


def test_rate_per_hour_assumes_at_least_one_full_window():
    rate = Rate(HOUR_MS, WindowedCount())
    rate.record(CONFIG, 1, 0)
    # elapsed 0 ms -> padded to samples-1 = 1 window of 30 s: 1 event / (30 s) = 120 per hour
    assert rate.measure(CONFIG, 0) == pytest.approx(120.0)
    # elapsed 45 s (one full window): 1 / 45 s = 80 per hour
    assert rate.measure(CONFIG, 45_000) == pytest.approx(80.0)
    # after 60 s without an event the sample is reset: 0 per hour
    assert rate.measure(CONFIG, 60_000) == 0.0
    count = CumulativeCount()
    for t in (0, 1, 100_000):
        count.record(CONFIG, 99, t)
    assert count.measure(CONFIG, 10**9) == 3  # a count, whatever the value, and never forgets


def _measure(rec: MetricsRecorder, now: int) -> dict:
    registry = _Registry(rec).load(now)
    registry.advance(now)
    return registry.measure(now)


def test_time_between_polls_and_the_idle_ratio_follow_kafka_consumer_metrics():
    rec = MetricsRecorder(0, CONFIG, poll_timeout_ms=100)
    rec.poll_started(0)
    rec.poll_ended(250)       # waited 250 ms in poll(): the application's poll(100 ms) returned twice empty
    rec.poll_started(1_250)   # then processed a batch for 1 s
    rec.poll_ended(1_250)
    m = _measure(rec, 1_250)
    # poll() calls: [0,100] [100,200] [200,250] [1250,1250]
    # time between poll starts: 0 (the first), 100, 100, 1050
    assert m["time-between-poll-max"] == 1_050
    assert m["time-between-poll-avg"] == pytest.approx((0 + 100 + 100 + 1_050) / 4)
    # idle ratio at each end: 100/(100+0), 100/(100+100), 50/(50+100), 0/(0+1050)
    assert m["poll-idle-ratio-avg"] == pytest.approx((1 + 0.5 + 1 / 3 + 0) / 4)
    assert m["last-poll-seconds-ago"] == 0
    assert _measure(rec, 3_249)["last-poll-seconds-ago"] == 1  # whole seconds, truncated


def test_a_gc_pause_stretches_the_poll_it_falls_in():
    rec = MetricsRecorder(0, CONFIG, poll_timeout_ms=100)
    rec.poll_started(0)
    rec.paused(50, 5_050)
    rec.poll_ended(5_120)
    # the poll due back at 100 ms returns when the JVM resumes at 5050, the next one runs to 5120
    assert rec.java_polls(10_000) == [(0, 5_050), (5_050, 5_120)]


def test_the_rebalance_sensors_of_one_rebalance_with_a_member_id_required_retry():
    rec = MetricsRecorder(0, CONFIG, poll_timeout_ms=100)
    rec.join_initiated(2)            # JoinGroup without a member id
    rec.rebalance_failed(4)          # MEMBER_ID_REQUIRED fails the join future
    rec.join_initiated(4)            # the retry keeps the rebalance's start
    rec.join_succeeded(3_006, 3_002)
    rec.sync_succeeded(3_008, 2)
    m = _measure(rec, 10_000)
    assert m["rebalance-latency-avg"] == m["rebalance-latency-max"] == m["rebalance-latency-total"] == 3_006
    assert (m["rebalance-total"], m["failed-rebalance-total"]) == (1, 1)
    assert (m["join-time-avg"], m["join-time-max"], m["join-total"]) == (3_002, 3_002, 1)
    assert (m["sync-time-avg"], m["sync-total"]) == (2, 1)
    assert m["last-rebalance-seconds-ago"] == 6          # (10000 - 3008) // 1000
    # one rebalance, oldest sample started at 3008: elapsed 6992 ms, padded by one 30 s window
    assert m["rebalance-rate-per-hour"] == pytest.approx(1 / ((6_992 + 30_000) / HOUR_MS))
    assert m["last-heartbeat-seconds-ago"] == -1 and math.isnan(m["heartbeat-response-time-max"])


def test_a_simulated_consumer_records_what_the_java_client_records():
    world = World(topics={"orders": 2}, latency_ms=1)
    world.consumer("c1", "g", ["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(until=10_000)
    m = world.metrics("c1")
    # FindCoordinator 0->2; JoinGroup at 2 answered MEMBER_ID_REQUIRED at 4; JoinGroup at 4 waits out
    # group.initial.rebalance.delay.ms (3000 ms, from its arrival at 5): answered at 3006 (3002 ms);
    # SyncGroup 3006 -> 3008 (2 ms).  The rebalance ran from the first JoinGroup (2) to 3008.
    assert (m["join-time-max"], m["sync-time-max"], m["rebalance-latency-max"]) == (3_002, 2, 3_006)
    assert (m["rebalance-total"], m["failed-rebalance-total"], m["join-total"], m["sync-total"]) == (1, 1, 1, 1)
    # heartbeats every 3 s from the JoinGroup answer: sent at 6006 and 9006, each answered in 2 ms
    assert (m["heartbeat-total"], m["heartbeat-response-time-max"]) == (2, 2)
    assert m["last-heartbeat-seconds-ago"] == 0 and m["last-rebalance-seconds-ago"] == 6
    assert set(m) == set(METRICS)


def test_a_second_rebalance_averages_with_the_first_until_it_expires():
    world = World(topics={"orders": 2}, latency_ms=1)
    world.consumer("c1", "g", ["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.consumer("c2", "g", ["orders"], partition_assignment_strategy=["range"], start_at=10_000)
    world.run(until=20_000)
    m = world.metrics("c1")
    # c2's JoinGroup is parked from 10005; c1 hears REBALANCE_IN_PROGRESS on a heartbeat and rejoins:
    # its JoinGroup completes the join phase at once (2 ms), its SyncGroup takes 2 ms: a 4 ms rebalance.
    assert m["rebalance-total"] == 2
    assert m["rebalance-latency-max"] == 3_006
    assert m["rebalance-latency-avg"] == (3_006 + 4) / 2
    assert m["join-time-avg"] == (3_002 + 2) / 2
    # Both went into one 30 s sample (it started at 3008, the second came at 12016): the sample keeps
    # both until its last event is 60 s old, then forgets both; the total never forgets.
    kept = world.metrics("c1", at=12_016 + 59_999)
    assert kept["rebalance-latency-max"] == 3_006 and kept["rebalance-latency-avg"] == 1_505
    gone = world.metrics("c1", at=12_016 + 60_000)
    assert math.isnan(gone["rebalance-latency-max"]) and gone["rebalance-total"] == 2


def test_series_are_nan_while_no_process_runs_and_a_restart_starts_afresh():
    world = World(topics={"orders": 2})
    world.consumer("c1", "g", ["orders"], start_at=10_000)
    world.run(until=30_000)
    world.crash("c1")
    world.run(until=40_000)
    world.restart("c1")
    stable = world.run_until_stable("g")
    assert 70_000 < stable < 80_000  # the crashed process's member id held the rebalance until its session expired
    world.run(until=80_000)
    s = world.metrics_series("c1", ["rebalance-total", "failed-rebalance-total"], every_ms=10_000)
    assert s["t_ms"] == [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000]
    total = s["rebalance-total"]
    assert math.isnan(total[0]) and total[1] == 0 and total[2] == 1  # started at 10 s, joined by 20 s
    assert math.isnan(total[3])                                       # crashed at 30 s
    assert total[4:8] == [0, 0, 0, 0] and total[8] == 1               # a new process: counting from 0 again
    assert s["failed-rebalance-total"][4:6] == [0, 1]                # its MEMBER_ID_REQUIRED, at 40004
    with pytest.raises(ValueError, match="unknown metric"):
        world.metrics_series("c1", ["rebalance-latency"])
    with pytest.raises(ValueError, match="had not started"):
        world.metrics("c1", at=-1)


def test_metrics_plot_draws_one_panel_per_metric_and_one_line_per_consumer():
    from kafkalab.viz import metrics_plot

    world = World(topics={"orders": 2})
    world.add_consumers(2, group="g", topics=["orders"])
    world.run(until=60_000)
    fig = metrics_plot(world, names=("rebalance-total", "time-between-poll-max"), every_ms=10_000)
    axes = fig.get_axes()
    assert [ax.get_title(loc="left").split()[0] for ax in axes] == ["rebalance-total", "time-between-poll-max"]
    assert [line.get_label() for line in axes[0].get_lines()] == ["c1", "c2"]
    assert list(axes[0].get_lines()[0].get_ydata()) == world.metrics_series("c1", ["rebalance-total"],
                                                                          every_ms=10_000)["rebalance-total"]
    with pytest.raises(ValueError, match="unknown metric"):
        metrics_plot(world, names=("rebalances",))
    with pytest.raises(ValueError, match="no consumer"):
        metrics_plot(world, ["c9"])
