"""Configuration (docs/classic-protocol.md §2), error codes (§3) and misuse of the API (exceptions, not codes)."""

from __future__ import annotations

import dataclasses

import pytest

from kafkalab import ConfigError, Coordinator, CoordinatorConfig, ErrorCode
from kafkalab.config import NEW_MEMBER_JOIN_TIMEOUT_MS
from kafkalab.errors import map_storage_error
from kafkalab.messages import HeartbeatRequest, JoinGroupRequest, JoinGroupRequestProtocol

E = ErrorCode


def test_broker_defaults_are_kafkas():
    c = CoordinatorConfig()
    assert (c.group_min_session_timeout_ms, c.group_max_session_timeout_ms) == (6_000, 1_800_000)
    assert (c.group_initial_rebalance_delay_ms, c.group_max_size) == (3_000, 2_147_483_647)
    assert (c.offsets_topic_num_partitions, c.offsets_retention_minutes) == (50, 10_080)
    assert (c.offsets_retention_check_interval_ms, c.offset_metadata_max_bytes) == (600_000, 4_096)
    assert c.new_member_join_timeout_ms == NEW_MEMBER_JOIN_TIMEOUT_MS == 300_000


def test_client_side_request_defaults_are_the_java_consumers():
    req = JoinGroupRequest(group_id="g")
    assert (req.session_timeout_ms, req.rebalance_timeout_ms, req.protocol_type) == (45_000, 300_000, "consumer")


@pytest.mark.parametrize("field, value", [
    ("group_max_size", 0), ("group_min_session_timeout_ms", -1), ("offsets_topic_num_partitions", 0),
    ("offsets_retention_minutes", 0), ("group_initial_rebalance_delay_ms", -5),
    ("group_max_size", True), ("offset_metadata_max_bytes", 1.5), ("group_max_size", "10"),
])
def test_config_errors_name_the_field(field, value):
    with pytest.raises(ConfigError, match=f"CoordinatorConfig.{field}"):
        CoordinatorConfig(**{field: value})


def test_min_session_timeout_must_not_exceed_max():
    with pytest.raises(ConfigError, match="group_min_session_timeout_ms.*group_max_session_timeout_ms"):
        CoordinatorConfig(group_min_session_timeout_ms=10, group_max_session_timeout_ms=9)
    assert CoordinatorConfig(group_min_session_timeout_ms=10, group_max_session_timeout_ms=10)


def test_config_is_frozen_and_only_a_config_is_accepted():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CoordinatorConfig().group_max_size = 3  # type: ignore[misc]
    with pytest.raises(TypeError, match="CoordinatorConfig"):
        Coordinator({"group_max_size": 3})  # type: ignore[arg-type]


def test_error_codes_have_kafkas_numbers():
    assert {e.name: int(e) for e in [
        E.UNKNOWN_SERVER_ERROR, E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION, E.OFFSET_METADATA_TOO_LARGE,
        E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR,
        E.NOT_ENOUGH_REPLICAS, E.ILLEGAL_GENERATION, E.INCONSISTENT_GROUP_PROTOCOL, E.INVALID_GROUP_ID,
        E.UNKNOWN_MEMBER_ID, E.INVALID_SESSION_TIMEOUT, E.REBALANCE_IN_PROGRESS,
        E.GROUP_AUTHORIZATION_FAILED, E.UNSUPPORTED_VERSION, E.INVALID_REQUEST, E.NON_EMPTY_GROUP,
        E.GROUP_ID_NOT_FOUND, E.MEMBER_ID_REQUIRED, E.GROUP_MAX_SIZE_REACHED, E.FENCED_INSTANCE_ID,
        E.UNSTABLE_OFFSET_COMMIT]} == {
        "UNKNOWN_SERVER_ERROR": -1, "NONE": 0, "UNKNOWN_TOPIC_OR_PARTITION": 3, "OFFSET_METADATA_TOO_LARGE": 12,
        "COORDINATOR_LOAD_IN_PROGRESS": 14, "COORDINATOR_NOT_AVAILABLE": 15, "NOT_COORDINATOR": 16,
        "NOT_ENOUGH_REPLICAS": 19, "ILLEGAL_GENERATION": 22, "INCONSISTENT_GROUP_PROTOCOL": 23,
        "INVALID_GROUP_ID": 24, "UNKNOWN_MEMBER_ID": 25, "INVALID_SESSION_TIMEOUT": 26,
        "REBALANCE_IN_PROGRESS": 27, "GROUP_AUTHORIZATION_FAILED": 30, "UNSUPPORTED_VERSION": 35,
        "INVALID_REQUEST": 42, "NON_EMPTY_GROUP": 68, "GROUP_ID_NOT_FOUND": 69, "MEMBER_ID_REQUIRED": 79,
        "GROUP_MAX_SIZE_REACHED": 81, "FENCED_INSTANCE_ID": 82, "UNSTABLE_OFFSET_COMMIT": 88}
    assert E.lookup(25) is E.UNKNOWN_MEMBER_ID and E.lookup(9999) == 9999


def test_storage_errors_are_mapped_before_reaching_clients():
    """testJoinGroupAppendErrorConversion."""
    assert {e: map_storage_error(e) for e in [
        E.UNKNOWN_TOPIC_OR_PARTITION, E.NOT_ENOUGH_REPLICAS, E.REQUEST_TIMED_OUT, E.NOT_LEADER_OR_FOLLOWER,
        E.KAFKA_STORAGE_ERROR, E.MESSAGE_TOO_LARGE, E.RECORD_LIST_TOO_LARGE, E.INVALID_FETCH_SIZE,
        E.LEADER_NOT_AVAILABLE]} == {
        E.UNKNOWN_TOPIC_OR_PARTITION: E.COORDINATOR_NOT_AVAILABLE, E.NOT_ENOUGH_REPLICAS: E.COORDINATOR_NOT_AVAILABLE,
        E.REQUEST_TIMED_OUT: E.COORDINATOR_NOT_AVAILABLE, E.NOT_LEADER_OR_FOLLOWER: E.NOT_COORDINATOR,
        E.KAFKA_STORAGE_ERROR: E.NOT_COORDINATOR, E.MESSAGE_TOO_LARGE: E.UNKNOWN_SERVER_ERROR,
        E.RECORD_LIST_TOO_LARGE: E.UNKNOWN_SERVER_ERROR, E.INVALID_FETCH_SIZE: E.UNKNOWN_SERVER_ERROR,
        E.LEADER_NOT_AVAILABLE: E.LEADER_NOT_AVAILABLE}


def test_message_field_types_are_checked_when_built():
    with pytest.raises(TypeError, match="JoinGroupRequest.session_timeout_ms must be an int"):
        JoinGroupRequest(group_id="g", session_timeout_ms="10000")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"JoinGroupRequest.protocols\[\] must be JoinGroupRequestProtocol"):
        JoinGroupRequest(group_id="g", protocols=["range"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="outside the modelled range"):
        HeartbeatRequest(group_id="g", api_version=99)
    req = JoinGroupRequest(group_id="g", protocols=[JoinGroupRequestProtocol("range", bytearray(b"x"))])
    assert isinstance(req.protocols, tuple) and req.protocols[0].metadata == b"x"


def test_handle_refuses_anything_but_a_request():
    c = Coordinator()
    with pytest.raises(TypeError, match="kafkalab.messages request"):
        c.handle({"group_id": "g"}, "a", 0)  # type: ignore[arg-type]
    assert c.trace == []
