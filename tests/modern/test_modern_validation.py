"""ConsumerGroupHeartbeat validation, versions and error responses (docs/consumer-protocol.md §2.1-§2.3)."""

from __future__ import annotations

import pytest

from kafkalab.errors import ErrorCode
from kafkalab.messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatTopicPartitions
from kafkalab.modern.timers import session_timeout_key
from modern_helpers import Harness

E = ErrorCode


def request(**fields) -> ConsumerGroupHeartbeatRequest:
    base = dict(group_id="g", member_id="m", member_epoch=0, rebalance_timeout_ms=30_000,
                subscribed_topic_names=("foo",), topic_partitions=())
    base.update(fields)
    return ConsumerGroupHeartbeatRequest(**base)


# Each case breaks exactly one rule of §2.3, in Kafka's order.
INVALID = [
    ("blank member id (v1 join)", dict(member_id="  "), E.INVALID_REQUEST, "MemberId can't be empty."),
    ("blank member id (v0 heartbeat)", dict(api_version=0, member_id="", member_epoch=3), E.INVALID_REQUEST,
     "MemberId can't be empty."),
    ("blank member id (v0 leave)", dict(api_version=0, member_id="", member_epoch=-1), E.INVALID_REQUEST,
     "MemberId can't be empty."),
    ("blank group id", dict(group_id=" \t"), E.INVALID_REQUEST, "GroupId can't be empty."),
    ("blank instance id", dict(instance_id=""), E.INVALID_REQUEST, "InstanceId can't be empty."),
    ("blank rack id", dict(rack_id=" "), E.INVALID_REQUEST, "RackId can't be empty."),
    ("join without rebalance timeout", dict(rebalance_timeout_ms=-1), E.INVALID_REQUEST,
     "RebalanceTimeoutMs must be provided in first request."),
    ("join without TopicPartitions", dict(topic_partitions=None), E.INVALID_REQUEST,
     "TopicPartitions must be empty when (re-)joining."),
    ("join owning partitions", dict(topic_partitions=(ConsumerGroupHeartbeatTopicPartitions("x", (0,)),)),
     E.INVALID_REQUEST, "TopicPartitions must be empty when (re-)joining."),
    ("join without names or regex", dict(subscribed_topic_names=None), E.INVALID_REQUEST,
     "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining."),
    ("static leave without instance id", dict(member_epoch=-2), E.INVALID_REQUEST, "InstanceId can't be null."),
    ("epoch below -2", dict(member_epoch=-3), E.INVALID_REQUEST, "MemberEpoch is invalid."),
    ("unknown assignor", dict(server_assignor="bar"), E.UNSUPPORTED_ASSIGNOR,
     "ServerAssignor bar is not supported. Supported assignors: uniform, range."),
]


@pytest.mark.parametrize("case, fields, code, message", INVALID, ids=[c[0] for c in INVALID])
def test_each_validation_rule_answers_with_kafkas_code_and_message(case, fields, code, message):
    """docs/consumer-protocol.md §2.3: each check, with its exact code and message, before any group is touched."""
    h = Harness()
    resp = h.send(request(**fields))
    assert (resp.error_code, resp.error_message) == (code, message)
    assert h.mgr.groups == {} and h.trace == [] and len(h.timers) == 0


def test_validation_checks_run_in_kafkas_order_and_the_first_failure_wins():
    """docs/consumer-protocol.md §2.3: a request breaking several rules gets the earliest one's message."""
    h = Harness()
    everything_wrong = dict(member_id="", group_id="", instance_id="", rack_id="", rebalance_timeout_ms=-1,
                            topic_partitions=None, subscribed_topic_names=None, server_assignor="bar")
    expected = ["MemberId can't be empty.", "GroupId can't be empty.", "InstanceId can't be empty.",
                "RackId can't be empty.", "RebalanceTimeoutMs must be provided in first request.",
                "TopicPartitions must be empty when (re-)joining.",
                "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
                "ServerAssignor bar is not supported. Supported assignors: uniform, range."]
    fixes = [dict(member_id="m"), dict(group_id="g"), dict(instance_id=None), dict(rack_id=None),
             dict(rebalance_timeout_ms=1000), dict(topic_partitions=()), dict(subscribed_topic_names=("foo",)),
             dict(server_assignor=None)]
    for message, fix in zip(expected, fixes):
        assert h.send(request(**everything_wrong)).error_message == message
        everything_wrong.update(fix)
    assert h.send(request(**everything_wrong)).error_code is E.NONE


def test_an_empty_subscription_is_a_valid_join():
    """docs/consumer-protocol.md §2.3 rule 5: an empty list of names (or an empty regex) is accepted."""
    h = Harness()
    assert h.join("a", topics=()).error_code is E.NONE
    assert h.join("b", topics=None, regex="").error_code is E.NONE
    assert h.member("a").subscribed_topic_names == frozenset() and h.owned("a") == {}


def test_blank_means_only_control_characters_and_spaces_as_java_trim():
    """docs/consumer-protocol.md §2.3: "blank" is String.trim().isEmpty() (chars <= U+0020), so a
    non-breaking space is a valid member id."""
    h = Harness()
    assert h.send(request(member_id="\x00\x1f ")).error_message == "MemberId can't be empty."
    assert h.send(request(member_id="\u00a0")).error_code is E.NONE


def test_v0_join_with_empty_member_id_gets_a_generated_id():
    """docs/consumer-protocol.md §2.1: v0 lets the coordinator generate the member id on a join."""
    h = Harness()
    resp = h.send(request(api_version=0, member_id=""))
    assert resp.error_code is E.NONE and len(resp.member_id) == 22
    assert list(h.group.members) == [resp.member_id]
    again = h.send(request(api_version=0, member_id=""))
    assert again.member_id not in ("", resp.member_id)


def test_v0_join_with_a_member_id_uses_it_and_v1_requires_one():
    """docs/consumer-protocol.md §2.1: a non-empty id on a v0 join is used as-is; v1 (KIP-1082) refuses
    an empty id even on a join."""
    h = Harness()
    assert h.send(request(api_version=0, member_id="mine")).member_id == "mine"
    resp = h.send(request(api_version=1, member_id=""))
    assert (resp.error_code, resp.error_message) == (E.INVALID_REQUEST, "MemberId can't be empty.")


def test_every_successful_response_carries_the_member_id():
    """docs/consumer-protocol.md §2.1: MemberId is returned on every successful heartbeat (both versions)."""
    h = Harness()
    h.join("a")
    assert h.heartbeat("a").member_id == "a"
    assert h.heartbeat("a", api_version=0).member_id == "a"


def test_regex_is_a_v1_field():
    """docs/consumer-protocol.md §2.1: SubscribedTopicRegex exists from v1; a v0 request object with one
    is malformed (a clear ValueError, not a protocol answer)."""
    with pytest.raises(ValueError, match="api_version >= 1"):
        ConsumerGroupHeartbeatRequest(group_id="g", member_id="m", subscribed_topic_regex="f.*", api_version=0)
    with pytest.raises(ValueError, match="outside the modelled range 0..1"):
        ConsumerGroupHeartbeatRequest(api_version=2)


def test_malformed_request_objects_raise_type_errors():
    """Bad input: a request object with wrong field types raises a clear TypeError."""
    with pytest.raises(TypeError, match="member_epoch must be an int"):
        ConsumerGroupHeartbeatRequest(member_epoch="1")
    with pytest.raises(TypeError, match="subscribed_topic_names"):
        ConsumerGroupHeartbeatRequest(subscribed_topic_names="foo")
    h = Harness()
    with pytest.raises(TypeError, match="ConsumerGroupHeartbeatRequest"):
        h.mgr.consumer_group_heartbeat(object(), 0)


def test_an_error_response_carries_only_the_code_and_message():
    """docs/consumer-protocol.md §2.2: MemberId null, MemberEpoch 0, HeartbeatIntervalMs 0, no Assignment."""
    h = Harness()
    resp = h.send(request(member_epoch=5))
    assert resp.error_code is E.GROUP_ID_NOT_FOUND
    assert (resp.member_id, resp.member_epoch, resp.heartbeat_interval_ms, resp.assignment) == (None, 0, 0, None)


def test_errors_never_refresh_the_session_timer():
    """docs/consumer-protocol.md §2.2: the session timer is rescheduled only at the end of a successful heartbeat."""
    h = Harness()
    h.join("a")
    deadline = h.timers.get(session_timeout_key("g", "a")).deadline
    h.advance(10_000)
    assert h.heartbeat("a", epoch=7).error_code is E.FENCED_MEMBER_EPOCH
    assert h.timers.get(session_timeout_key("g", "a")).deadline == deadline
    h.heartbeat("a")
    assert h.timers.get(session_timeout_key("g", "a")).deadline == h.now + 45_000


def test_consumer_protocol_disabled_answers_unsupported_version():
    """docs/consumer-protocol.md §1.3: without `consumer` in group.coordinator.rebalance.protocols, CGHB
    and ConsumerGroupDescribe answer UNSUPPORTED_VERSION."""
    from kafkalab.messages import ConsumerGroupDescribeRequest

    h = Harness(group_coordinator_rebalance_protocols=("classic",))
    resp = h.send(request())
    assert (resp.error_code, resp.error_message) == (E.UNSUPPORTED_VERSION, "The version of API is not supported.")
    described = h.mgr.consumer_group_describe(ConsumerGroupDescribeRequest(group_ids=("g",)), 0)
    assert [g.error_code for g in described.groups] == [E.UNSUPPORTED_VERSION]


def test_topics_travel_by_topic_id_in_both_directions():
    """docs/consumer-protocol.md §2.1: Assignment and TopicPartitions name topics by id only; a topic
    reported by name is an unknown topic id."""
    h = Harness()
    h.join("a")
    h.join("b")
    h.settle()
    resp = h.heartbeat("a", full=True)
    assert [t.topic_id for t in resp.assignment.topic_partitions] == [h.mgr.metadata.topic("foo").topic_id]
    by_name = (ConsumerGroupHeartbeatTopicPartitions("foo", (0,)),)
    member = h.member("a")
    resp = h.send(ConsumerGroupHeartbeatRequest(group_id="g", member_id="a", member_epoch=member.previous_member_epoch,
                                                topic_partitions=by_name))
    assert resp.error_code is E.FENCED_MEMBER_EPOCH  # not a subset of what it is assigned
