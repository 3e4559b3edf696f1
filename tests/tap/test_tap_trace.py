"""The tap's JSON-lines trace: messages and records round-trip, bad files are refused with the line."""

from __future__ import annotations

import io
import json

import pytest

from kafkalab import messages as m
from kafkalab.errors import ErrorCode
from kafkalab.tap import TapRecord, TraceFileError, load_trace, save_trace, tap_events
from kafkalab.tap.trace import message_from_json, message_to_json, record_from_json, record_to_json
from kafkalab.wire.codec import OffsetFetchBatch, OffsetFetchBatchResponse

MESSAGES = [
    m.FindCoordinatorRequest(api_version=4, coordinator_keys=("g", "h")),
    m.FindCoordinatorResponse(coordinators=(m.FindCoordinatorEntry("g", 1, "k1", 9092),
                                            m.FindCoordinatorEntry("h", -1, "", -1, ErrorCode.COORDINATOR_NOT_AVAILABLE))),
    m.JoinGroupRequest(group_id="g", member_id="", group_instance_id="i1", client_id="c1",
                       protocols=(m.JoinGroupRequestProtocol("range", b"\x00\x01\xff"),), api_version=9, reason="hi"),
    m.JoinGroupResponse(error_code=ErrorCode.NONE, generation_id=3, protocol_type="consumer", protocol_name="range",
                        leader="c1-1", member_id="c1-1",
                        members=(m.JoinGroupResponseMember("c1-1", "i1", b"\x00"), m.JoinGroupResponseMember("c2-1"))),
    m.JoinGroupResponse(error_code=9999, member_id="x"),  # an error code kafkalab does not know stays an int
    m.SyncGroupRequest(group_id="g", generation_id=3, member_id="c1-1",
                       assignments=(m.SyncGroupRequestAssignment("c1-1", b"\x00\x01"),)),
    m.SyncGroupResponse(error_code=ErrorCode.REBALANCE_IN_PROGRESS, assignment=b""),
    m.HeartbeatRequest(group_id="g", generation_id=3, member_id="c1-1"),
    m.LeaveGroupRequest(group_id="g", members=(m.MemberIdentity("c1-1", None, "bye"),), api_version=5),
    m.LeaveGroupResponse(members=(m.MemberResponse("c1-1", None, ErrorCode.UNKNOWN_MEMBER_ID),)),
    m.OffsetCommitRequest(group_id="g", generation_id=3, member_id="c1-1", topics=(
        m.OffsetCommitRequestTopic("t", (m.OffsetCommitRequestPartition(0, 5, -1, None),)),)),
    m.OffsetCommitResponse(topics=(m.OffsetCommitResponseTopic("t", (m.OffsetCommitResponsePartition(0),)),)),
    m.OffsetFetchRequest(group_id="g", topics=None, api_version=7),
    m.OffsetFetchResponse(topics=(m.OffsetFetchResponseTopic("t", (m.OffsetFetchResponsePartition(0, 5),)),)),
    OffsetFetchBatch((m.OffsetFetchRequest(group_id="g", api_version=9), m.OffsetFetchRequest(group_id="h", api_version=9))),
    OffsetFetchBatchResponse((("g", m.OffsetFetchResponse()), ("h", m.OffsetFetchResponse(error_code=ErrorCode.NOT_COORDINATOR)))),
    m.DescribeGroupsResponse(groups=(m.DescribedGroup(group_id="g", members=(
        m.DescribedGroupMember("c1-1", member_assignment=b"\x01"),)),)),
    m.ListGroupsResponse(groups=(m.ListedGroup("g"),)),
    # KIP-848: topic ids in Kafka's text form; None (unchanged) and () (empty) stay apart.
    m.ConsumerGroupHeartbeatRequest(group_id="g", member_id="m", member_epoch=3, subscribed_topic_names=(),
                                    subscribed_topic_regex="(^t.*)", client_id="c1", topic_partitions=(
                                        m.ConsumerGroupHeartbeatTopicPartitions("AAAAAAAAAAAAAAAAAAAAAQ", (0, 2)),)),
    m.ConsumerGroupHeartbeatRequest(group_id="g", member_id="m", member_epoch=-2, instance_id="i1", api_version=0),
    m.ConsumerGroupHeartbeatResponse(member_id="m", member_epoch=4, heartbeat_interval_ms=5000,
                                     assignment=m.ConsumerGroupHeartbeatAssignment(())),
    m.ConsumerGroupHeartbeatResponse(error_code=ErrorCode.FENCED_MEMBER_EPOCH, error_message="stale"),
    m.ConsumerGroupDescribeRequest(group_ids=("g",), api_version=0),
    m.ConsumerGroupDescribeResponse(groups=(m.ConsumerGroupDescribedGroup(group_id="g", members=(
        m.ConsumerGroupDescribeMember("m", target_assignment=m.ConsumerGroupDescribeAssignment((
            m.ConsumerGroupDescribeTopicPartitions("AAAAAAAAAAAAAAAAAAAAAQ", "t", (1,)),))),)),)),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda x: type(x).__name__)
def test_messages_round_trip_through_json(message):
    text = json.dumps(message_to_json(message))
    assert message_from_json(json.loads(text)) == message


def test_error_codes_are_written_by_name():
    data = message_to_json(m.HeartbeatResponse(error_code=ErrorCode.REBALANCE_IN_PROGRESS))
    assert data == {"type": "HeartbeatResponse", "error_code": "REBALANCE_IN_PROGRESS"}
    assert message_to_json(MESSAGES[4])["error_code"] == 9999


def records() -> list[TapRecord]:
    return [
        TapRecord("connection", 1.5, conn=1, broker="h:1", text="opened from 127.0.0.1:5"),
        TapRecord("broker", 2.0, broker="h:1", node_id=0, listen="127.0.0.1:7", text="broker 0 ..."),
        TapRecord("request", 3.25, conn=1, broker="h:1", node_id=0, client_id="c1", api_key=11, api="JoinGroup",
                  version=9, correlation_id=4, size=99, message=MESSAGES[2]),
        TapRecord("response", 4.125, conn=1, broker="h:1", node_id=0, client_id="c1", api_key=11, api="JoinGroup",
                  version=9, correlation_id=4, size=80, message=MESSAGES[3]),
        TapRecord("request", 5.0, conn=1, broker="h:1", client_id="c1", api_key=68, api="ConsumerGroupHeartbeat",
                  version=0, correlation_id=5, size=40, fields={"group_id": "g", "member_epoch": 0}),
        TapRecord("error", 6.0, conn=1, broker="h:1", text="the client sent a frame of 200000000 bytes"),
    ]


def test_records_round_trip_through_a_file(tmp_path):
    path = tmp_path / "trace.jsonl"
    save_trace(records(), path, upstream="h:1", listen="127.0.0.1:7", started="2024-01-01T00:00:00Z")
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"format": "kafkalab-tap", "version": 1, "upstream": "h:1",
                                    "listen": "127.0.0.1:7", "started": "2024-01-01T00:00:00Z"}
    assert "node_id" not in json.loads(lines[5])  # None fields are left out
    assert load_trace(path) == records()
    buffer = io.StringIO()
    save_trace(records(), buffer)
    buffer.seek(0)
    assert load_trace(buffer) == records()


def test_records_keep_their_fields():
    for record in records():
        assert record_from_json(json.loads(json.dumps(record_to_json(record)))) == record


@pytest.mark.parametrize("text, why", [
    ('{"kind": "request", "t": 1.0}\nnot json\n', "line 2 is not JSON"),
    ('{"format": "something-else", "version": 1}\n', "not a kafkalab tap trace"),
    ('{"format": "kafkalab-tap", "version": 99}\n', "format version 99"),
    ('{"kind": "gossip", "t": 1.0}\n', "line 1: \"kind\" must be one of"),
    ('{"kind": "request", "t": "soon"}\n', "\"t\" must be a number"),
    ('{"kind": "request", "t": 1, "colour": "red"}\n', "unknown key(s) colour"),
    ('{"kind": "request", "t": 1, "message": {"type": "TeleportRequest"}}\n', "unknown message type"),
    ('{"kind": "request", "t": 1, "message": {"type": "SyncGroupResponse", "assignment": "%%%"}}\n',
     "bad SyncGroupResponse message"),
    ('{"kind": "request", "t": 1, "message": {"type": "HeartbeatResponse", "error_code": "NOT_A_CODE"}}\n',
     "bad HeartbeatResponse message"),
])
def test_bad_trace_files_are_refused_with_the_line(tmp_path, text, why):
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(TraceFileError, match=why.replace("(", r"\(").replace(")", r"\)")):
        load_trace(path)


def test_a_missing_or_binary_file_is_refused(tmp_path):
    with pytest.raises(TraceFileError, match="cannot read"):
        load_trace(tmp_path / "nothing.jsonl")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(TraceFileError, match="not a text file"):
        load_trace(tmp_path / "bin")


def test_player_events_are_the_same_from_a_saved_trace(tmp_path):
    path = tmp_path / "trace.jsonl"
    save_trace(records(), path)
    live = tap_events(records())
    offline = tap_events(str(path))
    assert [e.describe() for e in live] == [e.describe() for e in offline]
    assert [type(e).__name__ for e in live if "Message" in type(e).__name__] == [
        "MessageSent", "MessageDelivered", "MessageSent", "MessageDelivered"]
    sent = [e for e in live if type(e).__name__ == "MessageSent"]
    assert (sent[0].src, sent[0].dst, sent[1].src, sent[1].dst) == ("c1", "broker-0", "broker-0", "c1")
    assert sent[0].message == MESSAGES[2] and sent[0].at == 3 and sent[1].at == 4
