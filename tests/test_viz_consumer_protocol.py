"""kafkalab.viz on a consumer-protocol run (KIP-848): the consumer group's state machine drawn from
the core's table, steps and snapshots with epochs, ConsumerGroupHeartbeat sentences and labels, and
a member's reconciliation per heartbeat.  Everything is compared with what the core recorded
(``world.describe``, the trace's typed events), never with numbers typed here."""

from __future__ import annotations

import re

import pytest

from kafkalab.errors import ErrorCode
from kafkalab.modern import events as mev
from kafkalab.modern.state import ConsumerGroupState, MemberState, Trigger, all_transitions
from kafkalab.sim import World
from kafkalab.sim.events import CoordinatorEvent, MessageDelivered
from kafkalab.trace import api_name
from kafkalab.viz import build_steps
from kafkalab.viz.dot import HIGHLIGHT_COLOR, consumer_group_state_machine_dot, message_label, sequence_dot
from kafkalab.viz.reconciliation import reconciliation_plot, reconciliation_rows, reconciliation_table
from kafkalab.viz.tracetools import HEARTBEAT_APIS, routine_exchanges

EDGE = re.compile(r'^\s*(\w+) -> (\w+) \[(.*)\]$', re.MULTILINE)
ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def world():
    w = World(topics={"orders": 6})
    w.add_consumers(2, group="g", topics=["orders"], group_protocol="consumer")
    w.run(until=10_000)
    w.consumer("c3", "g", ["orders"], group_protocol="consumer")
    w.run(until=20_000)
    return w


def edges(text):
    return [(a, b, dict(ATTR.findall(attrs))) for a, b, attrs in EDGE.findall(text)]


def test_the_state_machine_draws_every_transition_of_the_core_table():
    drawn = {(a, b, line) for a, b, attrs in edges(consumer_group_state_machine_dot())
             for line in attrs["label"].split("\\l") if line}
    for frm, trig, to in all_transitions():
        assert ((frm.name if frm else "START"), to.name, trig.value) in drawn
    assert len(drawn) == len(all_transitions())
    assert "DEAD" not in consumer_group_state_machine_dot()   # no transition reaches it


def test_the_state_machine_highlights_the_state_and_the_change_taken():
    text = consumer_group_state_machine_dot("Reconciling", (ConsumerGroupState.STABLE, Trigger.CONSUMER_GROUP_HEARTBEAT))
    assert re.search(r"RECONCILING \[.*penwidth=\"3\"", text)
    red = [(a, b) for a, b, attrs in edges(text) if attrs.get("color") == HIGHLIGHT_COLOR]
    assert red == [("STABLE", "RECONCILING")]
    with pytest.raises(ValueError, match="Reconciling"):
        consumer_group_state_machine_dot("PreparingRebalance")


def test_steps_carry_the_consumer_groups_state_and_epochs(world):
    steps = build_steps(world, "g")
    last = steps[-1]
    d = world.describe("g")
    assert last.consumer_group and last.group_state is ConsumerGroupState(d["state"])
    assert (last.generation, last.assignment_epoch, last.protocol) == (d["group_epoch"], d["assignment_epoch"], d["assignor"])
    by_client = {m["client_id"]: m for m in d["members"]}
    for row in last.members:
        assert row.member_epoch == by_client[row.name]["member_epoch"]
        assert row.member_state == by_client[row.name]["state"]
        assert sorted(row.assignment) == world.assignments("g")[row.name]
    changes = [e.event for e in world.trace if isinstance(e, CoordinatorEvent)
               and isinstance(e.event, mev.ConsumerGroupStateChanged)]
    shown = [s for s in steps if s.kind == "group-state"]
    assert [(s.transition, s.group_state) for s in shown] == [((c.old, c.trigger), c.new) for c in changes]


def test_a_revoking_member_shows_its_pending_revocation_and_the_sentence_names_its_epoch(world):
    steps = build_steps(world, "g")
    revoking = [(s, r) for s in steps for r in s.members if r.member_state == MemberState.UNREVOKED_PARTITIONS.name]
    assert revoking
    step, row = revoking[0]
    assert row.pending_revocation
    cghb = [s for s in steps if s.kind == "request" and api_name(world.trace[s.message_index].message) == "ConsumerGroupHeartbeat"]
    assert cghb and all("epoch" in s.sentence for s in cghb)
    told = [s for s in cghb if MemberState.UNREVOKED_PARTITIONS.name in s.sentence]
    assert told and all("revoke" in s.sentence for s in told)


def test_routine_heartbeats_hide_only_exchanges_that_changed_nothing(world):
    routine = routine_exchanges(world.trace, HEARTBEAT_APIS)
    responses = [e for e in world.trace if isinstance(e, MessageDelivered)
                 and api_name(e.message) == "ConsumerGroupHeartbeat" and type(e.message).__name__.endswith("Response")]
    hidden = [e for e in responses if (e.dst, e.correlation_id) in routine]
    assert hidden and len(hidden) < len(responses)
    assert all(e.message.assignment is None for e in hidden)
    assert all(e.message.assignment is None or (e.dst, e.correlation_id) not in routine for e in responses)


def test_sequence_labels_carry_the_epochs(world):
    cghb = [e.message for e in world.trace if isinstance(e, MessageDelivered)
            and api_name(e.message) == "ConsumerGroupHeartbeat"]
    requests = [m for m in cghb if not type(m).__name__.endswith("Response")]
    responses = [m for m in cghb if type(m).__name__.endswith("Response")]
    for m in requests:
        assert message_label(m).startswith(f"CGHB epoch {m.member_epoch}")
    for m in responses:
        label = message_label(m)
        assert label.startswith(f"CGHB: NONE epoch {m.member_epoch}")
        assert label.endswith("]") == (m.assignment is not None)
    text = sequence_dot(world, group="g")
    assert "CGHB: NONE epoch" in text and f"Stable (epoch {world.describe('g')['group_epoch']})" in text


def test_reconciliation_rows_are_what_the_coordinator_answered_and_recorded(world):
    rows = reconciliation_rows(world, "c1")
    records = [e.event for e in world.trace if isinstance(e, CoordinatorEvent)
               and isinstance(e.event, mev.MemberAssignmentUpdated) and e.event.member_id == world["c1"].member_id]
    recorded = [r for r in rows if r.member_state is not None]
    assert [(r.response_epoch, r.member_state) for r in recorded] == [(x.member_epoch, x.state.name) for x in records]
    assert rows[0].request_epoch == 0 and all(r.error == ErrorCode.NONE for r in rows)
    assert rows[-1].response_epoch == next(m["member_epoch"] for m in world.describe("g")["members"] if m["client_id"] == "c1")
    assert any(r.pending_revocation for r in rows)
    assert len(reconciliation_table(rows).splitlines()) == len(rows) + 1
    fig = reconciliation_plot(world, "c1")
    cells, now = 0, 0
    for r in rows:   # a heartbeat without a record keeps the last recorded assignment
        if r.assigned is not None:
            now = len(r.assigned) + len(r.pending_revocation or ())
        cells += now
    assert len(fig.axes[0].patches) == cells
    with pytest.raises(ValueError, match="consumer-protocol"):
        reconciliation_rows(world, "nobody")


def test_the_player_shows_epochs_and_the_consumer_groups_state_machine(world):
    from kafkalab.viz import Player

    player = Player(world, "g", start=lambda s: s.kind == "group-state" and s.at >= 10_000)
    step = player.steps[player.static_step]
    assert step.group_state is ConsumerGroupState.RECONCILING
    html = player.static_html()
    for column in ("member epoch", "reconciliation", "pending revocation"):
        assert f">{column}</th>" in html
    assert f"group epoch {step.generation}" in html and f"target assignment epoch {step.assignment_epoch}" in html
    _, state_svg = player._svgs_for(player.static_step)
    assert "Assigning" in state_svg and "PreparingRebalance" not in state_svg
