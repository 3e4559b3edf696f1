"""Live: capture librdkafka logs from real confluent-kafka consumers against kafkalab.wire.Server,
read them with kafkalab.tracelog and render them in the player.

Two consumers join, one closes, the other rebalances alone (tests/logs/capture_librdkafka.py's
``capture_short``); the events the log reader finds must agree with the coordinator's records of
the same run.  Each consumer is a process of its own, so librdkafka stamps its log lines itself.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("confluent_kafka")

sys.path.insert(0, os.path.dirname(__file__))

from capture_librdkafka import capture_short  # noqa: E402

from kafkalab.sim import events as ev  # noqa: E402
from kafkalab.trace import read_log  # noqa: E402

pytestmark = pytest.mark.interop


def test_a_fresh_librdkafka_log_renders_in_the_player(tmp_path):
    truth = capture_short(tmp_path)
    events = read_log(sorted(tmp_path.glob("c*.log")))
    members = {r["member_id"]: r["client_id"] for r in truth["records"] if r["record"] == "MemberAdded"}
    removed = [members[r["member_id"]] for r in truth["records"] if r["record"] == "MemberRemoved"]
    assert removed[0] == "c2"  # the coordinator removed c2 first: its close sent LeaveGroup
    answered = {(e.consumer, e.generation_id, e.member_id) for e in events if isinstance(e, ev.ClientStateChanged)
                and e.reason is ev.ClientStateReason.JOIN_GROUP_ANSWERED}
    formed = [r["generation"] for r in truth["records"] if r["record"] == "StateChanged"
              and r["trigger"] == "JOIN_COMPLETED" and r["state"] == "CompletingRebalance"]
    assert {g for _, g, _ in answered} == set(formed)
    assert {(c, m) for c, _, m in answered} <= {(c, m) for m, c in members.items()}
    closed = [e.consumer for e in events if isinstance(e, ev.ConsumerStopped)]
    assert sorted(closed) == ["c1", "c2"]

    pytest.importorskip("ipywidgets")
    from kafkalab.viz import Player

    player = Player(events)
    stopped = next(s for s in player.steps if s.kind == "stopped" and s.actor == "c2")
    assert "sent LeaveGroup" in stopped.sentence
    last = player.steps[-1]
    assert "<img" in player.static_html() and last.generation == max(formed)
