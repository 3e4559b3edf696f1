"""Scenarios and the "what if" controls."""

from __future__ import annotations

import pytest

from kafkalab.sim.scenario import Incident, run_scenario, summary


def test_same_scenario_same_outcome_and_a_crash_costs_one_rebalance():
    a = summary(run_scenario(incidents=(Incident("crash", "c2", 20_000),), session_timeout_ms=10_000))
    b = summary(run_scenario(incidents=(Incident("crash", "c2", 20_000),), session_timeout_ms=10_000))
    assert a == b
    calm = summary(run_scenario())
    assert calm["rebalances"] == 1 and calm["members"] == 3
    assert a["rebalances"] == 2 and a["members"] == 2 and a["generation"] == 2


def test_static_restart_within_session_timeout_does_not_rebalance():
    s = summary(run_scenario(static=True, incidents=(Incident("crash", "c2", 20_000), Incident("restart", "c2", 25_000))))
    assert s["rebalances"] == 1 and s["generation"] == 1 and s["members"] == 3


@pytest.mark.parametrize("bad, match", [
    (dict(consumers=0), "consumers"),
    (dict(incidents=(Incident("crash", "zz", 10),)), "unknown consumer"),
])
def test_bad_scenarios_are_refused_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        run_scenario(**bad)
    with pytest.raises(ValueError, match="unknown incident"):
        Incident("explode", "c1", 0)


def test_whatif_widget_runs_and_refuses_bad_input_in_the_widget():
    from kafkalab.viz.lab import WhatIf

    w = WhatIf(consumers=3, session_timeout_ms=10_000, run_ms=40_000)
    w.kind.value, w.who.value, w.at.value = "crash", "c3", 15_000
    assert w.add_incident()
    world = w.run()
    assert world is not None and summary(world)["members"] == 2
    w.kind.value, w.at.value = "pause", 1_000
    w.ms.value = 0
    assert not w.add_incident() and "Not added" in w.message.value
    w.consumers.value = 3
    w.session.value = 10           # not above heartbeat.interval.ms: refused like Kafka's client does
    assert w.run() is None and "heartbeat_interval_ms" in w.message.value
    w.heartbeat.value = 3          # now valid for the client, but below group.min.session.timeout.ms
    world = w.run()
    assert world is not None
    assert {c.fatal_error.name for c in world.consumers.values()} == {"INVALID_SESSION_TIMEOUT"}
    w.who.value = "nobody"
    w.kind.value, w.at.value = "crash", 100
    assert w.add_incident()
    assert w.run() is None and "unknown consumer" in w.message.value
    bundle = w._repr_mimebundle_()
    assert "text/html" in bundle
