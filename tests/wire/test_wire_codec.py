"""The sans-IO codec: frames whole, byte at a time and with trailing bytes; every group API version
decoded into kafkalab messages and every response encoded back (read with kio's own decoder)."""

from __future__ import annotations

import dataclasses
import struct
import uuid
from datetime import timedelta

import kio.index
import pytest
from kio.schema.errors import ErrorCode as KioErrorCode

from kafkalab import messages as m
from kafkalab.errors import ErrorCode
from kafkalab.wire.codec import (
    API_VERSIONS,
    Codec,
    Malformed,
    OffsetFetchBatch,
    OffsetFetchBatchResponse,
    RequestHeader,
    UnsupportedApiVersions,
    build,
    encode_response,
    to_message,
    uuid_from_text,
    uuid_text,
)
from wire_helpers import SAMPLE_REQUESTS, parse_response, request_frame

GROUP_VERSIONS = [(key, v) for key in SAMPLE_REQUESTS for v in range(API_VERSIONS[key][0], API_VERSIONS[key][1] + 1)]


def sample_frame(key: int, version: int, correlation_id: int = 7) -> bytes:
    return request_frame(key, version, correlation_id, **SAMPLE_REQUESTS[key])


def check_request(key: int, v: int, header: RequestHeader, req) -> None:
    assert header == RequestHeader(key, v, 7, "test")
    if key == 9 and v >= 8:
        assert isinstance(req, OffsetFetchBatch)
        assert [r.group_id for r in req.requests] == ["g", "h"]
        assert req.requests[0].topics == (m.OffsetFetchRequestTopic("t", (0, 1)),)
        assert req.requests[1].topics is None
        assert all(r.api_version == v and r.require_stable for r in req.requests)
        return
    assert req.api_version == v
    if key == 10:
        assert (req.key, req.coordinator_keys) == (("", ("g", "h")) if v >= 4 else ("g", ()))
    elif key == 11:
        assert (req.group_id, req.session_timeout_ms, req.member_id) == ("g", 6000, "")
        assert req.rebalance_timeout_ms == (300_000 if v >= 1 else m.JoinGroupRequest.rebalance_timeout_ms)
        assert req.group_instance_id == ("i1" if v >= 5 else None)
        assert req.protocols == (m.JoinGroupRequestProtocol("range", b"\x00\x01"), m.JoinGroupRequestProtocol("roundrobin"))
        assert req.reason == ("why" if v >= 8 else None)
        assert (req.client_id, req.client_host) == ("test", "/10.1.2.3")
    elif key == 14:
        assert (req.group_id, req.generation_id, req.member_id) == ("g", 3, "m")
        assert req.group_instance_id == ("i1" if v >= 3 else None)
        assert (req.protocol_type, req.protocol_name) == (("consumer", "range") if v >= 5 else (None, None))
        assert req.assignments == (m.SyncGroupRequestAssignment("m", b"abc"),)
    elif key == 12:
        assert (req.group_id, req.generation_id, req.member_id) == ("g", 3, "m")
        assert req.group_instance_id == ("i1" if v >= 3 else None)
    elif key == 13:
        if v >= 3:
            assert req.member_id == ""
            assert req.members == (m.MemberIdentity("m", "i1", "bye" if v >= 5 else None), m.MemberIdentity("", "i2"))
        else:
            assert (req.member_id, req.members) == ("m", ())
    elif key == 8:
        assert (req.group_id, req.generation_id, req.member_id) == ("g", 3, "m")
        assert req.group_instance_id == ("i1" if v >= 7 else None)
        assert req.retention_time_ms == -1
        p0, p1 = req.topics[0].partitions
        assert (p0.partition_index, p0.committed_offset, p0.committed_metadata) == (0, 5, "md")
        assert p0.committed_leader_epoch == (0 if v >= 6 else -1)
        assert (p1.committed_offset, p1.committed_metadata) == (7, None)
    elif key == 9:
        assert req.group_id == "g"
        assert req.topics == (m.OffsetFetchRequestTopic("t", (0, 1)),)
        assert req.require_stable == (v >= 7)
    elif key == 68:
        assert (req.group_id, req.member_id, req.member_epoch, req.instance_id, req.rack_id) == ("g", "m", 0, "i1", "r1")
        assert (req.rebalance_timeout_ms, req.subscribed_topic_names, req.server_assignor) == (
            300_000, ("t", "u"), "uniform")
        assert req.subscribed_topic_regex == ("^t.*" if v >= 1 else None)
        assert req.topic_partitions == (m.ConsumerGroupHeartbeatTopicPartitions("AAAAAAAAAAAAAAAAAAAAAQ", (0, 2)),)
        assert (req.client_id, req.client_host) == ("test", "/10.1.2.3")
    elif key == 69:
        assert (req.group_ids, req.include_authorized_operations) == (("g", "h"), True)
    elif key == 15:
        assert req.groups == ("g", "h")
    elif key == 16:
        assert req.states_filter == (("Stable",) if v >= 4 else ())
        assert req.types_filter == (("classic",) if v >= 5 else ())


@pytest.mark.parametrize(("key", "v"), GROUP_VERSIONS, ids=[f"{k}v{v}" for k, v in GROUP_VERSIONS])
def test_every_group_request_version_decodes_whole_byte_at_a_time_and_with_trailing_bytes(key, v):
    data = sample_frame(key, v)
    whole = Codec(client_host="/10.1.2.3").feed(data)
    assert len(whole) == 1
    check_request(key, v, *whole[0])

    codec = Codec(client_host="/10.1.2.3")
    items = []
    for i in range(len(data)):
        items += codec.feed(data[i:i + 1])
        assert len(items) == (1 if i == len(data) - 1 else 0)
    assert items == whole and codec.buffered == 0

    codec = Codec(client_host="/10.1.2.3")
    cut = len(data) // 2
    assert codec.feed(data + data + data[:cut]) == whole + whole
    assert codec.buffered == cut
    assert codec.feed(data[cut:]) == whole
    assert codec.buffered == 0


def test_a_frame_split_inside_its_size_prefix_waits_for_the_rest():
    data = sample_frame(12, 3)
    codec = Codec()
    assert codec.feed(data[:2]) == []
    assert codec.feed(data[2:3]) == []
    assert len(codec.feed(data[3:])) == 1


def test_a_null_client_id_becomes_an_empty_client_id_on_join_group():
    data = request_frame(11, 5, 1, client_id=None, **SAMPLE_REQUESTS[11])
    [(header, req)] = Codec().feed(data)
    assert header.client_id is None
    assert req.client_id == ""


# ---------------------------------------------------------------- responses

def sample_response(key: int, v: int):
    if key == 10:
        if v >= 4:
            return m.FindCoordinatorResponse(coordinators=(
                m.FindCoordinatorEntry("g", 1, "h1", 9093), m.FindCoordinatorEntry("h", -1, "", -1,
                                                                              ErrorCode.COORDINATOR_NOT_AVAILABLE)))
        return m.FindCoordinatorResponse(error_code=ErrorCode.NONE, error_message="NONE", node_id=1, host="h1", port=9093)
    if key == 11:
        return m.JoinGroupResponse(error_code=ErrorCode.MEMBER_ID_REQUIRED, generation_id=2,
                                   protocol_type="consumer" if v >= 7 else None,
                                   protocol_name="range", leader="m1", member_id="m2",
                                   members=(m.JoinGroupResponseMember("m1", "i1", b"meta"),))
    if key == 14:
        return m.SyncGroupResponse(error_code=ErrorCode.REBALANCE_IN_PROGRESS, protocol_type="consumer",
                                   protocol_name="range", assignment=b"asg")
    if key == 12:
        return m.HeartbeatResponse(error_code=ErrorCode.FENCED_INSTANCE_ID)
    if key == 13:
        return m.LeaveGroupResponse(error_code=ErrorCode.NONE, members=(
            m.MemberResponse("m1", "i1", ErrorCode.UNKNOWN_MEMBER_ID),) if v >= 3 else ())
    if key == 8:
        return m.OffsetCommitResponse(topics=(m.OffsetCommitResponseTopic("t", (
            m.OffsetCommitResponsePartition(0, ErrorCode.ILLEGAL_GENERATION),)),))
    if key == 9:
        resp = m.OffsetFetchResponse(error_code=ErrorCode.NONE, topics=(m.OffsetFetchResponseTopic("t", (
            m.OffsetFetchResponsePartition(0, 42, 3, "md"), m.OffsetFetchResponsePartition(1))),))
        if v >= 8:
            return OffsetFetchBatchResponse((("g", resp), ("h", m.OffsetFetchResponse(error_code=ErrorCode.NOT_COORDINATOR))))
        return resp
    if key == 15:
        return m.DescribeGroupsResponse(groups=(m.DescribedGroup(
            group_id="g", group_state="Stable", protocol_type="consumer", protocol_data="range",
            members=(m.DescribedGroupMember("m1", "i1", "c1", "/127.0.0.1", b"md", b"as"),)),))
    if key == 16:
        return m.ListGroupsResponse(groups=(m.ListedGroup("g", "consumer", "Stable"),))
    if key == 68:
        return CGHB_RESPONSE
    if key == 69:
        return CGD_RESPONSE if v >= 1 else CGD_RESPONSE_V0
    raise AssertionError(key)


ORDERS_ID = "jHB4_rVwU-qhJ138yefiVw"  # a topic id in Kafka's text form: uuid 8c7078fe-b570-53ea-a127-5dfcc9e7e257
CGHB_RESPONSE = m.ConsumerGroupHeartbeatResponse(
    member_id="m1", member_epoch=3, heartbeat_interval_ms=5000,
    assignment=m.ConsumerGroupHeartbeatAssignment((m.ConsumerGroupHeartbeatTopicPartitions(ORDERS_ID, (0, 2)),)))
_ASSIGNED = m.ConsumerGroupDescribeAssignment((m.ConsumerGroupDescribeTopicPartitions(ORDERS_ID, "orders", (1,)),))
_TARGET = m.ConsumerGroupDescribeAssignment((m.ConsumerGroupDescribeTopicPartitions(ORDERS_ID, "orders", (1, 3)),))
_MEMBER = m.ConsumerGroupDescribeMember(
    member_id="m1", instance_id="i1", rack_id="r1", member_epoch=3, client_id="c1", client_host="/127.0.0.1",
    subscribed_topic_names=("orders",), subscribed_topic_regex="^o.*", assignment=_ASSIGNED,
    target_assignment=_TARGET, member_type=1)
CGD_RESPONSE = m.ConsumerGroupDescribeResponse(groups=(
    m.ConsumerGroupDescribedGroup(group_id="g", group_state="Reconciling", group_epoch=4, assignment_epoch=4,
                                  assignor_name="uniform", members=(_MEMBER,)),
    m.ConsumerGroupDescribedGroup(error_code=ErrorCode.GROUP_ID_NOT_FOUND, error_message="Group h not found.",
                                  group_id="h")))
CGD_RESPONSE_V0 = m.ConsumerGroupDescribeResponse(groups=(
    dataclasses.replace(CGD_RESPONSE.groups[0], members=(dataclasses.replace(_MEMBER, member_type=-1),)),
    CGD_RESPONSE.groups[1]))


@pytest.mark.parametrize(("key", "v"), GROUP_VERSIONS, ids=[f"{k}v{v}" for k, v in GROUP_VERSIONS])
def test_every_group_response_version_encodes_and_kio_reads_it_back(key, v):
    data = encode_response(RequestHeader(key, v, 99), sample_response(key, v))
    (size,) = struct.unpack_from(">i", data)
    assert size == len(data) - 4
    corr, r = parse_response(key, v, data[4:])
    assert corr == 99
    if key == 10:
        if v >= 4:
            assert [(c.key, c.node_id, c.port, c.error_code) for c in r.coordinators] == [
                ("g", 1, 9093, KioErrorCode.none), ("h", -1, -1, KioErrorCode.coordinator_not_available)]
        else:
            assert (r.node_id, r.host, r.port, r.error_code) == (1, "h1", 9093, KioErrorCode.none)
    elif key == 11:
        assert (r.error_code, r.generation_id, r.leader, r.member_id) == (KioErrorCode.member_id_required, 2, "m1", "m2")
        assert r.members[0].metadata == b"meta"
        assert getattr(r.members[0], "group_instance_id", "i1") == "i1"
        if v >= 7:
            assert (r.protocol_type, r.protocol_name) == ("consumer", "range")
    elif key == 14:
        assert (r.error_code, r.assignment) == (KioErrorCode.rebalance_in_progress, b"asg")
    elif key == 12:
        assert r.error_code == KioErrorCode.fenced_instance_id
    elif key == 13:
        assert r.error_code == KioErrorCode.none
        if v >= 3:
            assert [(x.member_id, x.group_instance_id, x.error_code) for x in r.members] == [
                ("m1", "i1", KioErrorCode.unknown_member_id)]
    elif key == 8:
        assert r.topics[0].partitions[0].error_code == KioErrorCode.illegal_generation
    elif key == 9:
        topics = r.groups[0].topics if v >= 8 else r.topics
        p0, p1 = topics[0].partitions
        assert (p0.committed_offset, p0.metadata) == (42, "md")
        assert getattr(p0, "committed_leader_epoch", 3) == 3
        assert p1.committed_offset == -1
        if v >= 8:
            assert [(g.group_id, g.error_code) for g in r.groups] == [("g", KioErrorCode.none),
                                                                      ("h", KioErrorCode.not_coordinator)]
    elif key == 15:
        g = r.groups[0]
        assert (g.group_id, g.group_state, g.protocol_data) == ("g", "Stable", "range")
        assert (g.members[0].client_host, g.members[0].member_assignment) == ("/127.0.0.1", b"as")
    elif key == 16:
        assert r.groups[0].group_id == "g"
        assert getattr(r.groups[0], "group_state", "Stable") == "Stable"
    elif key == 68:
        assert (r.member_id, r.member_epoch, r.heartbeat_interval) == ("m1", 3, timedelta(seconds=5))
        [tp] = r.assignment.topic_partitions
        assert (tp.topic_id, tp.partitions) == (uuid.UUID("8c7078fe-b570-53ea-a127-5dfcc9e7e257"), (0, 2))
    elif key == 69:
        g, h = r.groups
        assert (g.group_state, g.group_epoch, g.assignment_epoch, g.assignor_name) == ("Reconciling", 4, 4, "uniform")
        assert (h.error_code, h.error_message) == (KioErrorCode.group_id_not_found, "Group h not found.")
        [member] = g.members
        assert member.target_assignment.topic_partitions[0].topic_id == uuid.UUID("8c7078fe-b570-53ea-a127-5dfcc9e7e257")
        assert member.target_assignment.topic_partitions[0].partitions == (1, 3)
        assert getattr(member, "member_type", 1) == 1
    if key in (68, 69):  # and back: kio's object converts to the very message that was encoded
        assert to_message(type(sample_response(key, v)), r) == sample_response(key, v)


@pytest.mark.parametrize("text", ["AAAAAAAAAAAAAAAAAAAAAQ", ORDERS_ID, "_____________________w"])
def test_topic_ids_convert_between_kafkas_text_form_and_uuids(text):
    assert uuid_text(uuid_from_text(text)) == text
    assert uuid_from_text(str(uuid_from_text(text))) == uuid_from_text(text)  # the hyphenated form is read too
    assert uuid_from_text(ORDERS_ID) == uuid.UUID("8c7078fe-b570-53ea-a127-5dfcc9e7e257")


def test_kafkas_zero_uuid_is_a_topic_id_not_a_null():
    # kio reads the all-zero Uuid as None; kafkalab's messages keep it as Kafka's text form.
    data = request_frame(68, 1, 7, **{**SAMPLE_REQUESTS[68], "topic_partitions": [
        {"topic_id": uuid.UUID(int=0), "partitions": [1]}]})
    [(_, req)] = Codec().feed(data)
    assert req.topic_partitions == (m.ConsumerGroupHeartbeatTopicPartitions("AAAAAAAAAAAAAAAAAAAAAA", (1,)),)
    response = m.ConsumerGroupHeartbeatResponse(member_id="m", member_epoch=1, assignment=m.ConsumerGroupHeartbeatAssignment(
        (m.ConsumerGroupHeartbeatTopicPartitions("AAAAAAAAAAAAAAAAAAAAAA", (1,)),)))
    _, r = parse_response(68, 1, encode_response(RequestHeader(68, 1, 7), response)[4:])
    assert to_message(m.ConsumerGroupHeartbeatResponse, r) == response


def test_a_string_that_is_no_topic_id_is_refused_with_the_form_expected():
    with pytest.raises(ValueError, match="22 characters of URL-safe base64"):
        uuid_from_text("orders")


def test_consumer_group_heartbeat_v0_has_no_regex_and_a_null_client_id_becomes_empty():
    data = request_frame(68, 0, 1, client_id=None, **SAMPLE_REQUESTS[68])
    [(header, req)] = Codec().feed(data)
    assert (header.client_id, req.client_id, req.api_version) == (None, "", 0)
    assert req.subscribed_topic_regex is None and req.subscribed_topic_names == ("t", "u")


def test_a_leave_heartbeat_keeps_its_nulls_and_unset_rebalance_timeout():
    # librdkafka's leave: epoch -1, every optional field null, RebalanceTimeoutMs -1 (unchanged).
    data = request_frame(68, 1, 1, group_id="g", member_id="m", member_epoch=-1, instance_id=None, rack_id=None,
                         rebalance_timeout=-1, subscribed_topic_names=None, subscribed_topic_regex=None,
                         server_assignor=None, topic_partitions=None)
    [(_, req)] = Codec().feed(data)
    assert (req.member_epoch, req.rebalance_timeout_ms) == (-1, -1)
    assert req.subscribed_topic_names is None and req.topic_partitions is None and req.instance_id is None


def test_durations_and_error_codes_convert_both_ways():
    cls = kio.index.load_response_schema(11, 5)
    obj = build(cls, m.JoinGroupResponse(error_code=ErrorCode.REBALANCE_IN_PROGRESS, protocol_name=""))
    assert obj.throttle_time == timedelta(0)  # kafkalab responses have no throttle: 0
    assert obj.error_code is KioErrorCode.rebalance_in_progress
    [(_, req)] = Codec().feed(request_frame(8, 3, 1, **{**SAMPLE_REQUESTS[8], "retention_time": 86_400_000}))
    assert req.retention_time_ms == 86_400_000


# ---------------------------------------------------------------- what closes a connection

def test_an_oversized_frame_is_malformed_as_soon_as_its_size_arrives():
    codec = Codec(max_frame_bytes=1000)
    [(header, item)] = codec.feed(struct.pack(">i", 1001))
    assert header is None and isinstance(item, Malformed) and "1001" in item.reason
    assert codec.broken is item
    assert codec.feed(sample_frame(12, 3)) == []  # nothing more is ever read


def test_a_negative_size_is_malformed():
    [(_, item)] = Codec().feed(struct.pack(">i", -5) + b"xxxx")
    assert isinstance(item, Malformed)


def test_earlier_frames_come_out_before_the_malformed_one():
    good = sample_frame(12, 3)
    items = Codec().feed(good + struct.pack(">i", 3) + b"abc" + good)
    assert len(items) == 2
    assert items[0][0].api_key == 12
    assert isinstance(items[1][1], Malformed) and "too short" in items[1][1].reason


@pytest.mark.parametrize(("key", "version", "why"), [
    (17, 1, "unknown or unsupported api key 17"),   # SaslHandshake: not served
    (999, 0, "unknown or unsupported api key 999"),
    (11, 10, "JoinGroup v10 is not enabled"),
    (1, 3, "Fetch v3 is not enabled"),
    (-1, 0, "unknown or unsupported api key -1"),
])
def test_unknown_api_keys_and_versions_are_malformed(key, version, why):
    payload = struct.pack(">hhi", key, version, 5) + b"\x00\x00"
    [(header, item)] = Codec().feed(struct.pack(">i", len(payload)) + payload)
    assert isinstance(item, Malformed) and why in item.reason
    assert header == RequestHeader(key, version, 5)


@pytest.mark.parametrize("cut", [10, 15, 25])
def test_a_truncated_body_is_malformed(cut):
    data = sample_frame(11, 5)
    payload = data[4:4 + cut]
    [(header, item)] = Codec().feed(struct.pack(">i", len(payload)) + payload)
    assert isinstance(item, Malformed) and "cannot decode JoinGroup v5" in item.reason


def test_bytes_after_the_body_inside_a_frame_are_ignored_as_kafka_does():
    data = sample_frame(12, 3)
    payload = data[4:] + b"junk"
    [(header, req)] = Codec().feed(struct.pack(">i", len(payload)) + payload)
    assert isinstance(req, m.HeartbeatRequest) and req.member_id == "m"


@pytest.mark.parametrize("version", [5, 127, -1])
def test_api_versions_of_an_unknown_version_is_answered_in_v0(version):
    payload = struct.pack(">hhi", 18, version, 3) + b"\x00\x04test\x00garbage"
    [(header, item)] = Codec().feed(struct.pack(">i", len(payload)) + payload)
    assert item == UnsupportedApiVersions(version)
    v0 = kio.index.load_response_schema(18, 0)
    answer = build(v0, error_code=35, api_keys=[{"api_key": 18, "min_version": 0, "max_version": 4}])
    data = encode_response(header, answer)
    corr, r = parse_response(18, 0, data[4:])
    assert corr == 3 and r.error_code == KioErrorCode.unsupported_version
    assert [(k.api_key, k.min_version, k.max_version) for k in r.api_keys] == [(18, 0, 4)]


def test_api_versions_v3_has_a_flexible_request_header_and_a_v0_response_header():
    data = request_frame(18, 3, 11, client_software_name="x", client_software_version="1")
    [(header, req)] = Codec().feed(data)
    assert header == RequestHeader(18, 3, 11, "test")
    cls = kio.index.load_response_schema(18, 3)
    out = encode_response(header, build(cls, error_code=0, api_keys=[], throttle_time=0))
    assert out[4:8] == struct.pack(">i", 11) and out[8] == 0  # v0 header: no tagged fields byte before the body


def test_a_null_array_where_the_schema_forbids_one_is_malformed():
    # kio reads it as None; Kafka's parser refuses it ("non-nullable field ... serialized as null").
    data = sample_frame(11, 5)
    cut = data.index(b"\x00\x05range") - 4
    payload = data[4:cut] + b"\xff\xff\xff\xff"
    [(_, item)] = Codec().feed(struct.pack(">i", len(payload)) + payload)
    assert isinstance(item, Malformed) and "non-nullable field protocols" in item.reason


def test_a_null_where_the_schema_allows_one_is_fine():
    [(_, req)] = Codec().feed(request_frame(9, 7, 7, group_id="g", topics=None, require_stable=False))
    assert req.topics is None
