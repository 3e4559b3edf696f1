"""What a consumer group keeps incrementally equals what its members give when counted again.

docs/consumer-protocol.md §3.2: Kafka keeps the subscribed topic names, the regex subscriptions, the
inverted target assignment and the member specs of the target assignment builder up to date as
records are replayed, instead of recounting the members at every heartbeat.  kafkalab does the
same; these property tests run the random schedules of test_modern_properties.py and, after every
step, recount everything from the group's members and stored target and compare (for the live
group and for the group folded from the trace).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkalab.modern.assignor.api import MemberSubscriptionAndAssignment
from kafkalab.modern.group import ConsumerGroup, fold
from kafkalab.modern.state import MemberState, compute_state
from kafkalab.modern.target import _cache_of, subscribed_topic_ids
from test_modern_properties import GROUP, World, action, client_spec, run


def recount(g: ConsumerGroup) -> dict:
    """Everything the group keeps incrementally, counted again from its members and target."""
    names: dict[str, list[int]] = {}
    regexes: dict[str, int] = {}
    votes: dict[str, int] = {}
    for m in g.members.values():
        for name in m.subscribed_topic_names:
            names.setdefault(name, [0, 0])[0] += 1
        if m.subscribed_topic_regex:
            regexes[m.subscribed_topic_regex] = regexes.get(m.subscribed_topic_regex, 0) + 1
        if m.server_assignor_name is not None:
            votes[m.server_assignor_name] = votes.get(m.server_assignor_name, 0) + 1
    for resolved in g.resolved_regular_expressions.values():
        for name in resolved.topics:
            names.setdefault(name, [0, 0])[1] += 1
    inverted: dict[str, dict[int, str]] = {}
    for member_id, a in g.target_assignment.items():
        for t, ps in a.items():
            for p in ps:
                assert p not in inverted.get(t, {}), f"{t}-{p} in two stored targets"
                inverted.setdefault(t, {})[p] = member_id
    reconciled = all(m.state is MemberState.STABLE and m.member_epoch == g.assignment_epoch
                     for m in g.members.values())
    return {
        "names": {n: tuple(c) for n, c in names.items()},
        "regexes": regexes,
        "votes": votes,
        "classic": sum(1 for m in g.members.values() if m.classic is not None),
        "state": compute_state(len(g.members), g.group_epoch, g.assignment_epoch, reconciled),
        "ids": sorted(g.members),
        "inverted": inverted,
    }


def kept(g: ConsumerGroup) -> dict:
    """The same, as the group answers from what it keeps."""
    return {
        "names": {n: (c.by_name, c.by_regex) for n, c in g.subscribed_topic_names().items()},
        "regexes": g.subscribed_regular_expressions(),
        "votes": g.server_assignor_votes(),
        "classic": g.num_classic_members(),
        "state": g.compute_state(),
        "ids": g.sorted_member_ids(),
        "inverted": g.inverted_target_by_topic(),
    }


def check_specs(g: ConsumerGroup, image) -> None:
    """The target builder's cached member specs equal specs built afresh."""
    cache = _cache_of(g, image)
    assert set(cache.specs) == set(g.members)
    for member_id, m in g.members.items():
        fresh = MemberSubscriptionAndAssignment(
            subscribed_topic_ids(g, m, image), dict(sorted(g.target_assignment.get(member_id, {}).items())),
            rack_id=m.rack_id, instance_id=m.instance_id)
        assert cache.specs[member_id] == fresh, member_id


class CheckedWorld(World):
    def check(self) -> None:
        super().check()
        g = self.group()
        if g is not None:
            assert kept(g) == recount(g)
            check_specs(g, self.h.mgr.metadata)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(client_spec, min_size=1, max_size=5), st.lists(action, max_size=40))
def test_kept_counters_and_specs_equal_a_recount(starts, actions):
    """After every step of a random schedule, and in the group folded from the trace."""
    world = CheckedWorld()
    for spec in starts:
        world.send(world.new_client(*spec))
    run(world, actions)
    world.converge()
    folded = fold(world.h.trace).get(GROUP)
    if folded is not None:
        assert kept(folded) == recount(folded)
