"""Conformance replay without a network: traces written by a scripted "real broker" (a kafkalab
coordinator, changed where a test wants a deviating broker) are replayed and compared."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from kafkalab import messages as m
from kafkalab.cli import main
from kafkalab.config import CoordinatorConfig
from kafkalab.consumer_protocol import encode_assignment, encode_subscription
from kafkalab.coordinator import Coordinator
from kafkalab.errors import ErrorCode
from kafkalab.tap import TapRecord, conform, save_trace

API_KEYS = {"JoinGroup": 11, "SyncGroup": 14, "Heartbeat": 12, "LeaveGroup": 13, "OffsetCommit": 8,
            "OffsetFetch": 9, "FindCoordinator": 10}
SUB = encode_subscription(["t"])


class RealBroker:
    """Plays a real broker: a Coordinator whose requests and answers are written as tap records.

    Steps are ``(t, conn, client, make_request)``; ``make_request(seen)`` builds the request from
    ``seen`` (the client's latest answers by API), so clients follow what "the real broker" said.
    ``answer`` may change each response before the client sees it (a deviating broker).
    """

    def __init__(self, config: CoordinatorConfig, *, answer=None, ids=None) -> None:
        counter = itertools.count(1)
        self.coordinator = Coordinator(config, new_member_id=ids or (lambda prefix: f"{prefix}-real-{next(counter)}"))
        self.answer = answer or (lambda request, response: response)
        self.records: list[TapRecord] = []
        self.seen: dict[str, dict[str, m.Response]] = {}
        self.pending: dict[tuple, tuple] = {}
        self.corr = itertools.count(1)

    def _record(self, kind, t, conn, client, api, corr, message):
        self.records.append(TapRecord(kind, float(t), conn=conn, broker="b:1", node_id=0, client_id=client,
                                      api_key=API_KEYS[api], api=api, version=getattr(message, "api_version", 5)
                                      if kind == "request" else self.pending[(conn, corr)][2].api_version,
                                      correlation_id=corr, message=message))

    def _deliver(self, replies, t):
        for reply in replies:
            conn, corr = reply.origin
            client, api, request = self.pending.pop((conn, corr))
            response = self.answer(request, reply.response)
            self.pending[(conn, corr)] = (client, api, request)
            self._record("response", t, conn, client, api, corr, response)
            del self.pending[(conn, corr)]
            self.seen.setdefault(client, {})[api] = response

    def run(self, steps) -> list[TapRecord]:
        for t, conn, client, make in steps:
            while (d := self.coordinator.next_deadline()) is not None and d <= t:
                self._deliver(self.coordinator.on_timer(d), d)
            request = make(self.seen.get(client, {}))
            api = type(request).__name__[:-len("Request")]
            corr = next(self.corr)
            self.pending[(conn, corr)] = (client, api, request)
            self._record("request", t, conn, client, api, corr, request)
            self._deliver(self.coordinator.handle(request, (conn, corr), t), t)
        return self.records


def member(seen):
    return seen["JoinGroup"].member_id


def gen(seen):
    return seen["JoinGroup"].generation_id


def join(client):
    return lambda seen: m.JoinGroupRequest(group_id="g", session_timeout_ms=6000, member_id=member(seen) if seen else "",
                                           protocols=(m.JoinGroupRequestProtocol("range", SUB),), client_id=client)


def sync(seen):
    j = seen["JoinGroup"]
    plan = ()
    if j.leader == j.member_id:
        ids = sorted(x.member_id for x in j.members)
        plan = tuple(m.SyncGroupRequestAssignment(mid, encode_assignment([("t", i)])) for i, mid in enumerate(ids))
    return m.SyncGroupRequest(group_id="g", generation_id=j.generation_id, member_id=j.member_id, assignments=plan)


def heartbeat(seen):
    return m.HeartbeatRequest(group_id="g", generation_id=gen(seen), member_id=member(seen))


def commit(seen):
    return m.OffsetCommitRequest(group_id="g", generation_id=gen(seen), member_id=member(seen), topics=(
        m.OffsetCommitRequestTopic("t", (m.OffsetCommitRequestPartition(0, 42),)),))


def fetch(seen):
    return m.OffsetFetchRequest(group_id="g", topics=(m.OffsetFetchRequestTopic("t", (0, 1)),))


def leave(seen):
    return m.LeaveGroupRequest(group_id="g", member_id=member(seen), api_version=1)


#: Two consumers: c1 forms the group, c2 joins (c1 learns it from a heartbeat), they commit, c2 leaves.
STEPS = [
    (0, 1, "c1", join("c1")), (5, 1, "c1", join("c1")), (10, 1, "c1", sync), (20, 1, "c1", heartbeat),
    (100, 2, "c2", join("c2")), (105, 2, "c2", join("c2")), (120, 1, "c1", heartbeat), (125, 1, "c1", join("c1")),
    (130, 1, "c1", sync), (131, 2, "c2", sync), (200, 1, "c1", commit), (210, 2, "c2", fetch),
    (220, 1, "c1", heartbeat), (300, 2, "c2", leave), (310, 1, "c1", heartbeat),
]
CONFIG = CoordinatorConfig(group_initial_rebalance_delay_ms=0, group_min_session_timeout_ms=1000)


def test_a_trace_of_kafkalab_replays_with_no_differences():
    trace = RealBroker(CONFIG).run(STEPS)
    report = conform(trace, CONFIG)
    assert report.ok and report.differences == []
    assert report.replayed == report.compared == len(STEPS)
    assert report.unanswered == 0
    assert "no differences" in report.table()
    # The replay used the real broker's member ids, so the coordinator's group has them.
    ids = {mb["member_id"] for mb in report.coordinator.describe("g")["members"]}
    assert ids == {"c1-real-1"}


def test_member_ids_come_from_the_real_answers():
    counter = itertools.count(1)
    trace = RealBroker(CONFIG, ids=lambda prefix: f"{next(counter):04d}-{prefix}-uuid").run(STEPS)
    assert conform(trace, CONFIG).ok


def test_a_broker_that_counts_generations_from_0_differs_once_per_generation():
    def from_zero(request, response):
        if isinstance(response, m.JoinGroupResponse) and response.generation_id >= 0:
            return dataclasses.replace(response, generation_id=response.generation_id - 1)
        return response

    broker = RealBroker(CONFIG, answer=from_zero)
    # The broker must also accept the generations it handed out: translate them back on the way in.
    handle = broker.coordinator.handle

    def handle_shifted(request, origin, now):
        g = getattr(request, "generation_id", None)
        if g is not None and g >= 0:
            request = dataclasses.replace(request, generation_id=g + 1)
        return handle(request, origin, now)
    broker.coordinator.handle = handle_shifted
    trace = broker.run(STEPS)
    report = conform(trace, CONFIG)
    assert {(d.api, d.field) for d in report.differences} == {("JoinGroup", "generation_id")}
    assert sorted((d.real, d.kafkalab) for d in report.differences) == [("0", "1"), ("1", "2"), ("1", "2")]
    assert not any(d.field == "error_code" for d in report.differences)  # no ILLEGAL_GENERATION cascade


def test_a_join_held_longer_shows_with_its_share_of_the_session_timeout():
    held = CoordinatorConfig(group_initial_rebalance_delay_ms=3000, group_min_session_timeout_ms=1000)
    steps = [(0, 1, "c1", join("c1")), (5, 1, "c1", join("c1")), (3010, 1, "c1", sync)]
    trace = RealBroker(held).run(steps)
    report = conform(trace, CONFIG, time_tolerance_ms=500)
    [d] = report.differences
    assert (d.api, d.field, d.real, d.kafkalab) == ("JoinGroup", "held for", "3.00 s", "0.00 s")
    assert d.note == "the real broker held it 0.50 x the session timeout"
    assert conform(trace, CONFIG, time_tolerance_ms=3500).ok
    assert conform(trace, held).ok


def test_changed_answers_are_reported_field_by_field():
    def tamper(request, response):
        if isinstance(response, m.HeartbeatResponse) and response.error_code == ErrorCode.NONE:
            return dataclasses.replace(response, error_code=ErrorCode.ILLEGAL_GENERATION)
        if isinstance(response, m.SyncGroupResponse) and response.assignment:
            return dataclasses.replace(response, assignment=encode_assignment([("t", 7)]))
        if isinstance(response, m.OffsetFetchResponse):
            return m.OffsetFetchResponse(topics=(m.OffsetFetchResponseTopic("t", (
                m.OffsetFetchResponsePartition(0, 41), m.OffsetFetchResponsePartition(1, -1))),))
        return response

    trace = RealBroker(CONFIG, answer=tamper).run(STEPS)
    report = conform(trace, CONFIG)
    kinds = report.kinds()
    assert kinds[("Heartbeat", "error_code")] == 2
    assert kinds[("SyncGroup", "assignment")] == 3
    assert kinds[("OffsetFetch", "offsets")] == 1
    sync_diff = next(d for d in report.differences if d.field == "assignment")
    assert sync_diff.real == "t-7" and sync_diff.kafkalab == "t-0"
    fetch_diff = next(d for d in report.differences if d.field == "offsets")
    assert (fetch_diff.real, fetch_diff.kafkalab) == ("t-0@41, t-1@-1", "t-0@42, t-1@-1")
    hb = next(d for d in report.differences if d.api == "Heartbeat")
    assert (hb.client, hb.real, hb.kafkalab) == ("c1", "ILLEGAL_GENERATION", "NONE")
    assert not report.ok
    table = report.table()
    assert "Differences by kind:" in table and "ILLEGAL_GENERATION" in table and "t-7" in table


def test_requests_a_coordinator_never_saw_are_not_replayed_and_unanswered_ones_not_compared():
    trace = RealBroker(CONFIG).run(STEPS)
    # The trace ends before the last heartbeat is answered; one FindCoordinator; one NOT_COORDINATOR.
    trace = [r for r in trace if not (r.kind == "response" and r.correlation_id == len(STEPS))]
    trace.append(TapRecord("request", 400.0, conn=3, client_id="c3", api="FindCoordinator", api_key=10, version=2,
                           correlation_id=1, message=m.FindCoordinatorRequest(key="g")))
    trace.append(TapRecord("request", 401.0, conn=3, client_id="c3", api="Heartbeat", api_key=12, version=3,
                           correlation_id=2, message=m.HeartbeatRequest(group_id="g", generation_id=9, member_id="x")))
    trace.append(TapRecord("response", 402.0, conn=3, client_id="c3", api="Heartbeat", api_key=12, version=3,
                           correlation_id=2, message=m.HeartbeatResponse(error_code=ErrorCode.NOT_COORDINATOR)))
    trace.append(TapRecord("request", 403.0, conn=3, client_id="c3", api="ConsumerGroupHeartbeat", api_key=68,
                           version=0, correlation_id=3, fields={"group_id": "g"}))
    report = conform(trace, CONFIG)
    assert report.ok and report.unanswered == 1 and report.replayed == len(STEPS)
    assert sum(report.skipped.values()) == 3
    assert any("NOT_COORDINATOR" in why for why in report.skipped)
    assert "1 replayed requests had no answer from the real broker" in report.table()


def test_only_the_chosen_group_is_replayed():
    trace = RealBroker(CONFIG).run(STEPS)
    assert conform(trace, CONFIG, group="other").replayed == 0
    assert conform(trace, CONFIG, group="g").replayed == len(STEPS)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="time_tolerance_ms"):
        conform([], CONFIG, time_tolerance_ms=-1)
    with pytest.raises(ValueError, match="group_min_session_timeout_ms"):
        conform([], group_min_session_timeout_ms=-5)


def test_the_conform_command_exits_0_1_or_2(tmp_path, capsys):
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    save_trace(RealBroker(CONFIG).run(STEPS), good)

    def tamper(request, response):
        if isinstance(response, m.LeaveGroupResponse):
            return dataclasses.replace(response, error_code=ErrorCode.UNKNOWN_MEMBER_ID)
        return response
    save_trace(RealBroker(CONFIG, answer=tamper).run(STEPS), bad)
    flags = ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000"]
    assert main(["conform", str(good), *flags]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["conform", str(bad), *flags]) == 1
    out = capsys.readouterr().out
    assert "LeaveGroup" in out and "UNKNOWN_MEMBER_ID" in out
    (tmp_path / "junk.jsonl").write_text("hello\n")
    assert main(["conform", str(tmp_path / "junk.jsonl")]) == 2
    assert "line 1 is not JSON" in capsys.readouterr().err
    assert main(["conform", str(good), "--group-min-session-timeout-ms", "9", "--group-max-session-timeout-ms",
                 "1"]) == 2
    assert "must not exceed" in capsys.readouterr().err
