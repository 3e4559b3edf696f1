"""The incident library (kafkalab.sim.incidents): each goes wrong as described, and its fix, played
again in the simulator, makes the symptom go away."""

from __future__ import annotations

import pytest

from kafkalab.sim import incidents
from kafkalab.sim import events as ev


@pytest.mark.parametrize("key", list(incidents.INCIDENTS))
def test_each_incident_has_a_known_cause_and_its_fix_removes_the_symptom(key):
    incident = incidents.run(key)
    assert incident.cause in incidents.CAUSES and incident.key == key and not incident.fixed
    if not incident.fix:
        assert incident.problems() == 0  # nothing went wrong in the group: nothing to fix
        return
    assert incident.problems() >= 2, "the incident shows its symptom more than once"
    fixed = incidents.run(key, incident.fix)
    assert fixed.fixed and fixed.problems() == 0


def test_the_slow_batch_outlasts_the_poll_interval_and_the_metrics_show_it():
    incident = incidents.run("slow-processing")
    timeouts = [e for e in incident.world.trace if isinstance(e, ev.PollTimeoutExpired)]
    assert {e.consumer for e in timeouts} == {"c1", "c2", "c3"}
    series = incident.series("c2", ("time-between-poll-max",), every_ms=10_000)
    assert max(v for v in series["time-between-poll-max"] if v == v) == 320_000


def test_a_coordinator_that_moves_costs_no_rebalance():
    incident = incidents.run("coordinator-moved")
    unknown = [e for e in incident.world.trace if isinstance(e, ev.CoordinatorUnknown)]
    assert {e.consumer for e in unknown} == {"c1", "c2", "c3"}
    assert incident.rebalances() == 0


def test_bad_requests_get_clear_errors():
    with pytest.raises(ValueError, match="incidents: slow-processing"):
        incidents.run("nope")
    with pytest.raises(ValueError, match="maps a consumer name"):
        incidents.run("gc-pauses", {"session_timeout_ms": 45_000})
    with pytest.raises(ValueError, match="unknown consumer config"):
        incidents.run("gc-pauses", {"*": {"session_timeout": 45_000}})
