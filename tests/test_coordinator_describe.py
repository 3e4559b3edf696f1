"""DescribeGroups and ListGroups (testDescribeGroup*, testListGroups, GroupCoordinatorServiceTest)."""

from __future__ import annotations

import pytest

from helpers import E, Harness
from kafkalab.messages import (
    DescribedGroup,
    DescribedGroupMember,
    DescribeGroupsRequest,
    ListedGroup,
    ListGroupsRequest,
    ListGroupsResponse,
)


def describe(h: Harness, *groups: str, version: int = 5) -> tuple[DescribedGroup, ...]:
    return h.send(DescribeGroupsRequest(groups=groups or ("g",), api_version=version))[0].response.groups


def list_groups(h: Harness, states=(), types=(), version: int = 5) -> ListGroupsResponse:
    return h.send(ListGroupsRequest(states_filter=states, types_filter=types, api_version=version))[0].response


def test_describe_stable_group_has_metadata_and_assignments():
    """testDescribeGroupStable."""
    h = Harness(initial_rebalance_delay_ms=0, protocols=(("range", b"\x00\x01\x02"),))
    h.join("a", instance_id="ia", client_host="client-host")
    h.complete_join()
    h.sync("a", {"a": b"\x00"})
    assert describe(h) == (DescribedGroup(
        error_code=E.NONE, group_id="g", group_state="Stable", protocol_type="consumer", protocol_data="range",
        members=(DescribedGroupMember("ia-1", "ia", "a", "client-host", b"\x00\x01\x02", b"\x00"),)),)


def test_describe_rebalancing_group_keeps_assignments_but_not_metadata():
    """testDescribeGroupRebalancing: describeNoMetadata() still carries the assignment."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b", assignments={"a": b"A", "b": b"B"})
    h.join("a")
    (g,) = describe(h)
    assert (g.group_state, g.protocol_type, g.protocol_data) == ("PreparingRebalance", "consumer", "")
    assert [(m.member_id, m.member_metadata, m.member_assignment) for m in g.members] == [
        ("a-1", b"", b"A"), ("b-2", b"", b"B")]


def test_describe_missing_group_is_dead_without_error():
    """testDescribeGroupsGroupIdNotFoundException."""
    assert describe(Harness(), "nope") == (DescribedGroup(error_code=E.NONE, group_id="nope", group_state="Dead"),)


def test_describe_hides_the_instance_id_before_v4():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", instance_id="ia")
    assert describe(h, version=3)[0].members[0].group_instance_id is None
    assert describe(h, version=4)[0].members[0].group_instance_id == "ia"


def test_describe_errors_per_group():
    h = Harness(owned_partitions={Harness().c.partition_of("g")})
    (mine, other) = describe(h, "g", "my-group")
    assert mine.error_code is E.NONE and other.error_code is E.NOT_COORDINATOR
    h.c.active = False
    assert [g.error_code for g in describe(h, "g", "my-group")] == [E.COORDINATOR_NOT_AVAILABLE] * 2


def test_list_groups_lists_classic_groups_with_state_and_protocol_type():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    h.commit(group_id="simple")
    assert list_groups(h) == ListGroupsResponse(groups=(
        ListedGroup("g", "consumer", "Stable", "classic"), ListedGroup("simple", "", "Empty", "classic")))


@pytest.mark.parametrize("states, listed", [
    ((), ["g", "simple"]), (("empty",), ["simple"]), ((" Stable ",), ["g"]), (("STABLE", "Empty"), ["g", "simple"]),
    (("Dead",), []), (("bogus",), []),
])
def test_list_groups_state_filter_is_case_insensitive_and_trimmed(states, listed):
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    h.commit(group_id="simple")
    assert [g.group_id for g in list_groups(h, states=states).groups] == listed


@pytest.mark.parametrize("types, listed", [
    ((), ["g"]), (("classic",), ["g"]), (("Classic",), ["g"]), (("consumer",), []), (("unknown-type",), []),
])
def test_list_groups_type_filter(types, listed):
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    assert [g.group_id for g in list_groups(h, types=types).groups] == listed


def test_list_groups_filters_need_their_versions():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a")
    assert len(list_groups(h, states=("empty",), version=3).groups) == 1  # v3 has no states filter
    assert len(list_groups(h, types=("consumer",), version=4).groups) == 1  # v4 has no types filter


def test_list_groups_coordinator_errors_and_ownership():
    h = Harness(owned_partitions={Harness().c.partition_of("g")})
    h.commit(group_id="g")
    h.c.owned_partitions = set()  # (as after another broker took the partition, minus the unload)
    assert list_groups(h).groups == ()  # NOT_COORDINATOR partitions contribute nothing
    h = Harness()
    h.commit()
    h.c.load_partition(h.c.partition_of("other"), now=0, loading=True)
    assert list_groups(h) == ListGroupsResponse(error_code=E.COORDINATOR_LOAD_IN_PROGRESS)
    h.c.active = False
    assert list_groups(h).error_code is E.COORDINATOR_NOT_AVAILABLE
