"""The consumer protocol with Kafka's server-side assignors (kafkalab.modern.assignor: uniform and
range), configured by name as on a broker (``group.consumer.assignors=uniform,range``);
docs/consumer-protocol.md §5.

The other tests use two small stand-in assignors through the same plug-in interface; this module
checks the real ones end to end and skips while kafkalab.modern.assignor is not in the tree.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("kafkalab.modern.assignor", reason="the server-side assignors are merged separately")

from kafkalab.errors import ErrorCode  # noqa: E402
from kafkalab.modern import events as ev  # noqa: E402
from kafkalab.modern.state import MemberState  # noqa: E402
from modern_helpers import Harness  # noqa: E402
from test_modern_properties import World, action, client_spec, run  # noqa: E402

E = ErrorCode
KAFKA = ("uniform", "range")


def test_uniform_is_the_default_and_range_is_chosen_by_vote():
    """docs/consumer-protocol.md §3.2 / §5.4: the default assignor is the first configured (uniform);
    range moves partitions (not sticky) and members revoke before others get them."""
    h = Harness({"foo": 6, "bar": 3}, assignors=KAFKA)
    h.join("m1", topics=("foo", "bar"))
    h.join("m2", topics=("foo", "bar"))
    h.settle()
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "uniform"
    assert sorted(sum(len(p) for p in h.owned(n).values()) for n in ("m1", "m2")) == [4, 5]  # balanced overall
    h.join("m3", topics=("foo", "bar"), assignor="range")
    h.join("m4", topics=("foo", "bar"), assignor="range")
    assert h.records(ev.TargetAssignmentComputed)[-1].assignor == "range"
    h.settle()
    assert h.state == "Stable"
    assert [h.owned(n) for n in ("m1", "m2", "m3", "m4")] == [
        {"bar": [0], "foo": [0, 1]}, {"bar": [1], "foo": [2, 3]}, {"bar": [2], "foo": [4]}, {"foo": [5]}]
    assert all(h.member(n).state is MemberState.STABLE for n in ("m1", "m2", "m3", "m4"))
    h.check()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(client_spec, min_size=1, max_size=5), st.lists(action, max_size=40))
def test_random_schedules_with_kafkas_assignors(starts, actions):
    """The safety and convergence properties of test_modern_properties, with uniform and range."""
    world = World(assignors=KAFKA)
    for spec in starts:
        world.send(world.new_client(*spec))
    run(world, actions)
    world.converge()
