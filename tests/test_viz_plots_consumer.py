"""kafkalab.viz.plots on consumer-protocol runs (KIP-848, docs/consumer-protocol.md §1.1 and §8):
the group's states come from the coordinator's ConsumerGroupStateChanged records, the members'
from their ClientStateChanged events, and both are drawn and named in the legends."""

from __future__ import annotations

from kafkalab.modern.events import ConsumerGroupStateChanged
from kafkalab.modern.state import ConsumerGroupState
from kafkalab.sim import World
from kafkalab.sim import events as ev
from kafkalab.viz import plots


def _join_world(protocol: str = "consumer") -> World:
    world = World(topics={"orders": 6}, seed=3)
    world.add_consumers(3, group="g", topics=["orders"], group_protocol=protocol, stagger_ms=1_000)
    world.run(until=20_000)
    world.consumer("c4", "g", ["orders"], group_protocol=protocol)
    world.run(until=40_000)
    return world


def test_a_consumer_groups_states_are_the_coordinators_records():
    world = _join_world()
    recorded = [e.event for e in world.trace if isinstance(e, ev.CoordinatorEvent)
                and isinstance(e.event, ConsumerGroupStateChanged) and e.event.group_id == "g"]
    intervals = plots.group_state_intervals(world, "g")
    assert recorded and intervals
    for start, _, state in intervals:  # each interval shows the state the coordinator recorded last
        assert [r.new for r in recorded if r.at <= start][-1] is state
    assert intervals[-1][2] is ConsumerGroupState.STABLE and intervals[-1][1] == world.now
    # c4's join sends the group to Reconciling until every member has reached the new target
    after_join = [st for s, _, st in intervals if s >= 20_000]
    assert after_join[0] is ConsumerGroupState.RECONCILING and after_join[-1] is ConsumerGroupState.STABLE
    for (_, end, _), (start, _, _) in zip(intervals, intervals[1:]):
        assert end == start


def test_consumer_protocol_states_are_drawn_and_named():
    world = _join_world()
    legend = [t.get_text() for t in plots.member_states(world, "g").axes[0].get_legend().get_texts()]
    drawn = {st for ivs in plots.client_state_intervals(world, "g").values() for _, _, st in ivs}
    assert {"RECONCILING", "ACKNOWLEDGING", "STABLE"} <= drawn <= set(plots.CLIENT_STATE_COLORS)
    assert set(legend) >= drawn
    timeline = [t.get_text() for t in plots.ownership_timeline(world, "g").axes[0].get_legend().get_texts()]
    assert "group assigning / reconciling" in timeline and "group rebalancing" not in timeline
    classic = [t.get_text() for t in plots.ownership_timeline(_join_world("classic"), "g").axes[0]
               .get_legend().get_texts()]
    assert "group rebalancing" in classic and not any("reconciling" in t for t in classic)
