"""Arbitrary type-correct requests to a two-broker WireCluster, through the codec as bytes.

The group requests of tests/hostile_requests.py (edge values, duplicates, every version) are
encoded as Kafka frames with kio, decoded by kafkalab's codec and handled by the WireCluster,
together with FindCoordinator, Metadata and the admin APIs (CreateTopics, CreatePartitions,
DeleteTopics) drawn with edge values too. Every answer must encode in its request's version and
read back with kio; everything tests/hostile_requests.py checks holds after every call (for the
groups of both brokers' coordinators); every 7th request goes to the broker that does not
coordinate its group. A frame the codec cannot take (a null array where the schema forbids one)
must be refused with DecodeError, which closes the connection, as Kafka does.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any, Optional

import kio.index
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkalab import CoordinatorConfig
from kafkalab import messages as m
from kafkalab.cluster import Broker
from kafkalab.errors import DecodeError
from kafkalab.wire.broker import Origin, WireCluster
from kafkalab.wire.codec import API_VERSIONS, GROUP_APIS, OffsetFetchBatch, build, decode_frame, encode_response
from hostile_requests import CONFIGS, INT32_MAX, INT32_MIN, STEP, Checker, Driver, warm_up
from wire_helpers import parse_response, request_frame

KEYS = {cls.API: key for key, cls in GROUP_APIS.items()}
TOPICS = st.sampled_from(["t", "t", "u", "", "x" * 300, "bad name", "__consumer_offsets"])
TIMEOUTS = st.sampled_from([INT32_MIN, -1, 0, 1, 30_000, 30_000, 30_000, 30_000])
COUNTS = st.sampled_from([INT32_MIN, -1, 0, 1, 2, 3, 7, 10_001, INT32_MAX])
TOPIC_IDS = st.sampled_from([None, uuid.UUID(int=5), "t", "u"])  # a name: that topic's current id


def served(key: int):
    lo, hi = API_VERSIONS[key]
    return st.integers(lo, hi)


ADMIN_STEPS = st.one_of(
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(10), "v": served(10), "values": st.fixed_dictionaries({
        "key": st.sampled_from(["g", "", "h" * 300]), "key_type": st.sampled_from([0, 1, 2, -1, 127]),
        "coordinator_keys": st.lists(st.sampled_from(["g", "g", ""]), max_size=3)})}),
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(3), "v": served(3), "values": st.fixed_dictionaries({
        "topics": st.one_of(st.none(), st.lists(st.fixed_dictionaries({"name": TOPICS, "topic_id": TOPIC_IDS}),
                                                max_size=3)),
        "allow_auto_topic_creation": st.booleans(), "include_cluster_authorized_operations": st.booleans(),
        "include_topic_authorized_operations": st.booleans()})}),
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(19), "v": served(19), "values": st.fixed_dictionaries({
        "topics": st.lists(st.fixed_dictionaries({
            "name": TOPICS, "num_partitions": COUNTS, "replication_factor": st.sampled_from([-1, 0, 1, 2, 3, 32767]),
            "assignments": st.one_of(st.just([]), st.lists(st.fixed_dictionaries({
                "partition_index": st.sampled_from([0, 1, -1, INT32_MAX]),
                "broker_ids": st.lists(st.sampled_from([0, 1, 5, -1]), max_size=3)}), max_size=2)),
            "configs": st.just([])}), max_size=3),
        "timeout": TIMEOUTS, "validate_only": st.booleans()})}),
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(37), "v": served(37), "values": st.fixed_dictionaries({
        "topics": st.lists(st.fixed_dictionaries({
            "name": TOPICS, "count": COUNTS,
            "assignments": st.one_of(st.none(), st.none(), st.lists(st.fixed_dictionaries({"broker_ids": st.lists(
                st.sampled_from([0, 1, 5, -1]), max_size=3)}), max_size=3))}), max_size=3),
        "timeout": TIMEOUTS, "validate_only": st.booleans()})}),
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(20), "v": served(20), "values": st.fixed_dictionaries({
        "topic_names": st.lists(TOPICS, max_size=3),
        "topics": st.lists(st.fixed_dictionaries({"name": st.one_of(st.none(), TOPICS), "topic_id": TOPIC_IDS}),
                           max_size=3),
        "timeout": TIMEOUTS})}),
)
# KIP-848: heartbeats of a few members to a consumer group ("k"), to the classic group of the
# warm-up ("g") and to "" (each answered, never an exception), with edge epochs and fields.
CONSUMER_STEPS = st.one_of(
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(68), "v": served(68), "values": st.fixed_dictionaries({
        "group_id": st.sampled_from(["k", "k", "k", "g", ""]), "member_id": st.sampled_from(["m1", "m2", "m3", "", " "]),
        "member_epoch": st.sampled_from([0, 0, 1, 2, 3, -1, -2, -3, INT32_MAX]),
        "instance_id": st.sampled_from([None, None, "i1", ""]), "rack_id": st.sampled_from([None, "r1", ""]),
        "rebalance_timeout": st.sampled_from([-1, 0, 30_000, INT32_MAX]),
        "subscribed_topic_names": st.sampled_from([None, ["t"], ["t", "u"], [], ["nope"]]),
        "subscribed_topic_regex": st.sampled_from([None, None, "", "t|u", "["]),
        "server_assignor": st.sampled_from([None, None, "uniform", "range", "bogus"]),
        "topic_partitions": st.one_of(st.none(), st.just([]), st.lists(st.fixed_dictionaries({
            "topic_id": TOPIC_IDS, "partitions": st.lists(st.sampled_from([0, 1, 2, -1, 7]), max_size=3)}),
            max_size=2))})}),
    st.fixed_dictionaries({"api": st.just("raw"), "key": st.just(69), "v": served(69), "values": st.fixed_dictionaries({
        "group_ids": st.lists(st.sampled_from(["k", "g", "", "none"]), max_size=3),
        "include_authorized_operations": st.booleans()})}),
)
WIRE_STEPS = st.lists(st.one_of(STEP, STEP, ADMIN_STEPS, CONSUMER_STEPS), min_size=1, max_size=40)


class WireChecker(Checker):
    @staticmethod
    def response_name(request: Any) -> str:
        if isinstance(request, OffsetFetchBatch):
            return "OffsetFetchBatchResponse"
        return Checker.response_name(request)


class WireDriver(Driver):
    """The Driver of tests/hostile_requests.py, but every request is a frame through the codec."""

    def __init__(self, config: CoordinatorConfig) -> None:
        self.config = config
        self.cluster = WireCluster([Broker(i, "127.0.0.1", 9092 + i) for i in range(2)], config, seed=1)
        self.cluster.create_topic("t", 3)
        self.cluster.create_topic("u", 1, replication_factor=2)
        self.checker = WireChecker(list(self.cluster.coordinators.values()))
        self.correlation_ids = itertools.count(1)
        self.headers: dict[Origin, Any] = {}
        self.refused = 0
        self.misroute = False   # send every 7th request to the other broker (not during the warm-up)
        self.now = 0

    def next_deadline(self) -> Optional[int]:
        return self.cluster.next_deadline()

    def advance(self, ms: int) -> None:
        self.now += ms
        self.deliver(self.cluster.on_timer(self.now))

    def send(self, request: Optional[m.Request]) -> None:
        if request is None:
            return
        key, v = KEYS[request.API], request.api_version
        cls = kio.index.load_request_schema(key, v)
        if key == 9 and v >= 8:
            topics = None if request.topics is None else [
                {"name": t.name, "partition_indexes": t.partition_indexes} for t in request.topics]
            body = build(cls, groups=[{"group_id": request.group_id, "member_id": None, "member_epoch": -1,
                                       "topics": topics}], require_stable=request.require_stable)
        else:
            body = build(cls, request)
        client_id = request.client_id if isinstance(request, m.JoinGroupRequest) else "hostile"
        group = getattr(request, "group_id", "g")
        self.send_frame(key, v, body, client_id, group)

    def send_raw(self, step: dict) -> None:
        values = dict(step["values"])
        if step["key"] == 3 and values["topics"]:
            values["topics"] = [dict(t, topic_id=self.topic_id(t["topic_id"])) for t in values["topics"]]
        if step["key"] == 20:
            values["topics"] = [dict(t, topic_id=self.topic_id(t["topic_id"])) for t in values["topics"]]
        if step["key"] == 68 and values["topic_partitions"]:
            values["topic_partitions"] = [dict(t, topic_id=self.topic_id(t["topic_id"]) or uuid.UUID(int=0))
                                          for t in values["topic_partitions"]]
        cls = kio.index.load_request_schema(step["key"], step["v"])
        group = values.get("group_id", "g") or "g"
        self.send_frame(step["key"], step["v"], build(cls, values), "admin", group)

    def topic_id(self, ref) -> Optional[uuid.UUID]:
        if isinstance(ref, str):
            topic = self.cluster.topics.get(ref)
            return topic.topic_id if topic is not None else uuid.UUID(int=7)
        return ref

    def send_frame(self, key: int, v: int, body: Any, client_id: str, group: str) -> None:
        correlation_id = next(self.correlation_ids)
        frame = request_frame(key, v, correlation_id, body, client_id=client_id)
        try:
            header, decoded = decode_frame(frame[4:])
        except DecodeError as exc:
            # Only a null array where the schema forbids one (kio writes it; Kafka's parser and
            # kafkalab's codec refuse it and close the connection).
            assert "was serialized as null" in str(exc), exc
            self.refused += 1
            return
        node = self.cluster.cluster.coordinator_for(group).node_id
        if self.misroute and correlation_id % 7 == 0:
            node = 1 - node
        origin = Origin("hostile", correlation_id, v)
        self.headers[origin] = header
        self.checker.sent(origin, decoded)
        self.deliver(self.cluster.handle(node, header, decoded, origin, self.now), origin)

    def deliver(self, replies, origin=None) -> None:
        for reply in replies:
            header = self.headers[reply.origin]
            data = encode_response(header, reply.response)
            correlation_id, _ = parse_response(header.api_key, header.api_version, data[4:])
            assert correlation_id == header.correlation_id
        self.checker.received(replies, origin)

    def run(self, steps: list[dict]) -> None:
        warm_up(self)
        self.misroute = True
        for step in steps:
            if step["api"] == "advance":
                self.advance(step["ms"])
            elif step["api"] == "raw":
                self.send_raw(step)
            else:
                self.send(self.checker.build(step))
        self.drain()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CONFIGS, WIRE_STEPS)
def test_arbitrary_requests_through_the_codec_never_escape_wedge_or_lose_an_answer(config, steps):
    WireDriver(config).run(steps)


def test_the_driver_forms_a_real_group_and_misroutes_requests_to_the_other_broker():
    """The driver is not vacuous: the warm-up forms a Stable group of three, and a request sent
    to the broker that does not coordinate the group is answered NOT_COORDINATOR."""
    driver = WireDriver(CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    warm_up(driver)
    described = driver.cluster.describe("g")
    assert described["state"] == "Stable" and len(described["members"]) == 3
    driver.misroute = True
    while next(driver.correlation_ids) % 7 != 6:
        pass
    member = described["members"][0]["member_id"]
    driver.send(m.HeartbeatRequest(group_id="g", generation_id=described["generation_id"], member_id=member))
    [(origin, request)] = [(o, r) for o, r in driver.checker.requests.items() if isinstance(r, m.HeartbeatRequest)]
    assert origin.correlation_id % 7 == 0 and origin in driver.checker.answered
    answers = [e.response for c in driver.cluster.coordinators.values() for e in c.trace
               if type(e).__name__ == "ResponseSent" and e.origin == origin]
    assert [a.error_code.name for a in answers] == ["NOT_COORDINATOR"]


def test_a_join_group_frame_listing_a_protocol_twice_is_answered_by_the_wire_cluster():
    """The wedge of issue 16, sans-IO through the codec: a Stable group of three, then a JoinGroup
    v5 frame listing "range" twice. Kafka would count "range" 5 times for 4 members, refuse the
    others' rejoins and throw in its join timer; here everyone gets an answer in one generation."""
    driver = WireDriver(CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    warm_up(driver)
    generation = driver.cluster.describe("g")["generation_id"]
    protocols = (m.JoinGroupRequestProtocol("range", b"\x00\x00"),) * 2
    driver.send(m.JoinGroupRequest(group_id="g", session_timeout_ms=10_000, rebalance_timeout_ms=10_000,
                                   protocols=protocols, api_version=5, client_id="hostile"))
    driver.send(m.JoinGroupRequest(group_id="g", session_timeout_ms=10_000, rebalance_timeout_ms=10_000,
                                   member_id=driver.checker.member_ids[-1], protocols=protocols, api_version=5,
                                   client_id="hostile"))
    for i in range(3):                                   # the three members rejoin
        driver.send(driver.checker.follow({"group_id": "g", "kind": "join", "who": i, "duplicate": False}))
    assert not driver.checker.outstanding
    described = driver.cluster.describe("g")
    assert described["state"] == "CompletingRebalance" and len(described["members"]) == 4
    assert described["generation_id"] == generation + 1 and described["protocol_name"] == "range"


def test_the_consumer_steps_reach_a_consumer_group():
    """The KIP-848 steps are not vacuous: a join with names forms consumer group "k" (on the broker
    that coordinates it), another member joins, and ConsumerGroupDescribe sees both."""
    driver = WireDriver(CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    join = {"group_id": "k", "member_epoch": 0, "instance_id": None, "rack_id": None, "rebalance_timeout": 30_000,
            "subscribed_topic_names": ["t"], "subscribed_topic_regex": None, "server_assignor": None,
            "topic_partitions": []}
    for member in ("m1", "m2"):
        driver.send_raw({"key": 68, "v": 1, "values": {**join, "member_id": member}})
    driver.send_raw({"key": 69, "v": 1, "values": {"group_ids": ["k"], "include_authorized_operations": False}})
    assert not driver.checker.outstanding
    [group] = [d for d in (driver.cluster.describe("k"),) if d.get("group_type") == "consumer"]
    assert sorted(x["member_id"] for x in group["members"]) == ["m1", "m2"]
    answers = [e.response for c in driver.cluster.coordinators.values() for e in c.trace
               if type(e).__name__ == "ResponseSent" and isinstance(e.response, m.ConsumerGroupDescribeResponse)]
    assert [[x.member_id for x in a.groups[0].members] for a in answers] == [["m1", "m2"]]
