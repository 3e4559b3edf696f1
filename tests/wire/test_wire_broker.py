"""WireCluster, sans-IO: every request goes through the codec as bytes, no socket, no clock.

Record batches come from kafka-python's encoder and are read back with its decoder, so the
offset patching is checked by an independent implementation (CRC included).
"""

from __future__ import annotations

import struct
import uuid

import pytest
from kio.schema.errors import ErrorCode as K

pytest.importorskip("kafka.record.memory_records")  # kafka-python builds and reads the record batches

from kafkalab import messages as m
from kafkalab.cluster import OFFSETS_TOPIC, Broker, partition_for_group
from kafkalab.config import CoordinatorConfig
from kafkalab.errors import ErrorCode
from kafkalab.wire.broker import CLOSE_CONNECTION, NO_RESPONSE, NoResponse, Origin, WireCluster
from kafkalab.wire.codec import API_VERSIONS, OffsetFetchBatchResponse, RequestHeader, decode_frame, encode_response
from kafkalab.wire.records import crc32c
from wire_helpers import parse_response, read_records, record_batch, request_frame

GZIP, ZSTD = 1, 4


class Client:
    """Sends requests to a WireCluster as a connection would; collects every reply."""

    def __init__(self, wc: WireCluster, node: int = 0, name: str = "c1") -> None:
        self.wc, self.node, self.name = wc, node, name
        self.corr = 0
        self.now = 0

    def send(self, api_key: int, v: int, /, *, node: int | None = None, now: int | None = None, **values):
        self.corr += 1
        if now is not None:
            self.now = now
        header, request = decode_frame(request_frame(api_key, v, self.corr, **values)[4:])
        origin = Origin(self.name, self.corr, v)
        replies = self.wc.handle(self.node if node is None else node, header, request, origin, self.now)
        return origin, replies

    def call(self, api_key: int, v: int, /, **values):
        """Send a request; return its answer as a client reads it (encoded, then decoded by kio)."""
        origin, replies = self.send(api_key, v, **values)
        mine = [r.response for r in replies if r.origin == origin]
        assert len(mine) == 1, replies
        if isinstance(mine[0], NoResponse):
            return mine[0]
        data = encode_response(RequestHeader(api_key, v, origin.correlation_id), mine[0])
        corr, response = parse_response(api_key, v, data[4:])
        assert corr == origin.correlation_id
        return response


def cluster(brokers: int = 1, **kwargs) -> WireCluster:
    kwargs.setdefault("config", CoordinatorConfig(group_initial_rebalance_delay_ms=0, group_min_session_timeout_ms=1000))
    return WireCluster([Broker(i, "127.0.0.1", 9092 + i) for i in range(brokers)], **kwargs)


def produce(client: Client, topic: str, partition: int, batch: bytes, *, v: int = 8, acks: int = -1, node=None):
    return client.call(0, v, node=node, transactional_id=None, acks=acks, timeout=1000,
                       topic_data=[{"name": topic, "partition_data": [{"index": partition, "records": batch}]}])


def fetch_request(topic: str, partition: int, offset: int, *, v: int = 11, topic_id=None, max_wait: int = 0,
                  min_bytes: int = 1, max_bytes: int = 50_000_000, partition_max_bytes: int = 1_048_576,
                  session_id: int = 0, session_epoch: int = -1, isolation_level: int = 0) -> dict:
    return dict(replica_id=-1, max_wait=max_wait, min_bytes=min_bytes, max_bytes=max_bytes,
                isolation_level=isolation_level, session_id=session_id, session_epoch=session_epoch,
                topics=[{"topic": topic, "topic_id": topic_id, "partitions": [{
                    "partition": partition, "current_leader_epoch": -1, "fetch_offset": offset,
                    "last_fetched_epoch": -1, "log_start_offset": -1, "partition_max_bytes": partition_max_bytes}]}],
                forgotten_topics_data=[], rack_id="")


def fetch(client: Client, topic: str, partition: int, offset: int, *, node=None, v: int = 11, **kw):
    return client.call(1, v, node=node, **fetch_request(topic, partition, offset, v=v, **kw))


def only_partition(response):
    [topic] = response.responses
    [partition] = topic.partitions
    return partition


# ---------------------------------------------------------------- ApiVersions

def test_api_versions_advertises_exactly_what_the_codec_serves():
    c = Client(cluster())
    for v in range(0, 5):
        r = c.call(18, v, client_software_name="kafkalab-test", client_software_version="1.0")
        assert r.error_code == K.none
        assert {k.api_key: (k.min_version, k.max_version) for k in r.api_keys} == API_VERSIONS


def test_api_versions_v3_with_an_invalid_software_name_is_invalid_request():
    r = Client(cluster()).call(18, 3, client_software_name="-bad name", client_software_version="1")
    assert r.error_code == K.invalid_request and r.api_keys == ()


def test_api_versions_v5_is_answered_in_v0_with_unsupported_version():
    wc = cluster()
    payload = struct.pack(">hhi", 18, 5, 1) + b"\x00\x00"
    header, request = decode_frame(payload)
    [reply] = wc.handle(0, header, request, Origin("c", 1, 5), 0)
    assert reply.response.__version__ == 0
    assert reply.response.error_code == K.unsupported_version
    assert [(k.api_key, k.min_version, k.max_version) for k in reply.response.api_keys] == [(18, 0, 4)]


# ---------------------------------------------------------------- Metadata and topics

def test_metadata_lists_brokers_topics_and_consumer_offsets_with_the_coordinators_as_leaders():
    wc = cluster(3)
    wc.create_topic("t", 4)
    c = Client(wc)
    r = c.call(3, 12, topics=None, allow_auto_topic_creation=False, include_topic_authorized_operations=False)
    assert [(b.node_id, b.port) for b in r.brokers] == [(0, 9092), (1, 9093), (2, 9094)]
    assert r.controller_id == 0 and r.cluster_id == "kafkalab"
    topics = {t.name: t for t in r.topics}
    assert set(topics) == {"t", OFFSETS_TOPIC}
    assert [p.leader_id for p in topics["t"].partitions] == [0, 1, 2, 0]
    offsets = topics[OFFSETS_TOPIC]
    assert offsets.is_internal and len(offsets.partitions) == 50
    p = partition_for_group("my-group", 50)
    assert offsets.partitions[p].leader_id == wc.cluster.coordinator_for("my-group").node_id


def test_topic_ids_are_stable_and_found_by_id():
    wc = cluster()
    wc.create_topic("t", 2)
    c = Client(wc)
    ids = {c.call(3, v, topics=[{"name": "t", "topic_id": None}], allow_auto_topic_creation=False,
                  include_cluster_authorized_operations=False,
                  include_topic_authorized_operations=False).topics[0].topic_id for v in (10, 11, 12)}
    assert ids == {wc.topics["t"].topic_id} and wc.topics["t"].topic_id.int > 1
    by_id = c.call(3, 12, topics=[{"name": None, "topic_id": wc.topics["t"].topic_id}],
                   allow_auto_topic_creation=False, include_topic_authorized_operations=False)
    assert by_id.topics[0].name == "t"
    unknown = c.call(3, 12, topics=[{"name": None, "topic_id": uuid.uuid4()}],
                     allow_auto_topic_creation=False, include_topic_authorized_operations=False)
    assert unknown.topics[0].error_code == K.unknown_topic_id


def test_metadata_auto_creates_a_topic_like_kafka_answering_leader_not_available_first():
    c = Client(cluster())
    first = c.call(3, 5, topics=[{"name": "new"}], allow_auto_topic_creation=True)
    assert first.topics[0].error_code == K.leader_not_available
    second = c.call(3, 5, topics=[{"name": "new"}], allow_auto_topic_creation=True)
    assert second.topics[0].error_code == K.none and len(second.topics[0].partitions) == 1
    assert c.call(3, 5, topics=[{"name": "nope"}], allow_auto_topic_creation=False).topics[0].error_code \
        == K.unknown_topic_or_partition
    assert c.call(3, 5, topics=[{"name": "bad name"}], allow_auto_topic_creation=True).topics[0].error_code \
        == K.invalid_topic_exception


def test_metadata_v0_with_no_topics_means_all_topics():
    wc = cluster()
    wc.create_topic("a")
    assert {t.name for t in Client(wc).call(3, 0, topics=[]).topics} == {"a", OFFSETS_TOPIC}


def create(c: Client, v: int = 5, **topic):
    spec = {"num_partitions": 3, "replication_factor": 1, "assignments": [], "configs": []} | topic
    return c.call(19, v, topics=[spec], timeout=1000, validate_only=topic.pop("validate_only", False)).topics[0]


def test_create_topics_answers_as_kafka_does():
    wc = cluster(2)
    c = Client(wc)
    ok = create(c, v=7, name="t", num_partitions=3, replication_factor=2)
    assert (ok.error_code, ok.num_partitions, ok.replication_factor) == (K.none, 3, 2)
    assert ok.topic_id == wc.topics["t"].topic_id
    assert wc.topics["t"].replicas == [(0, 1), (1, 0), (0, 1)]
    assert create(c, name="t").error_code == K.topic_already_exists
    assert create(c, name="u", num_partitions=0).error_code == K.invalid_partitions
    assert create(c, name="u", replication_factor=3).error_code == K.invalid_replication_factor
    assert create(c, name="u.$", num_partitions=1).error_code == K.invalid_topic_exception
    default = create(c, name="d", num_partitions=-1, replication_factor=-1)
    assert (default.error_code, default.num_partitions) == (K.none, 1)
    assert create(c, name="v", validate_only=True).error_code == K.none and "v" not in wc.topics
    manual = create(c, name="w", num_partitions=-1, replication_factor=-1,
                    assignments=[{"partition_index": 0, "broker_ids": [1]}, {"partition_index": 1, "broker_ids": [0]}])
    assert manual.error_code == K.none and wc.topics["w"].replicas == [(1,), (0,)]
    r = c.call(19, 2, topics=[{"name": "x", "num_partitions": 1, "replication_factor": 1, "assignments": [],
                               "configs": []}] * 2, timeout=1000, validate_only=False)
    assert [t.error_code for t in r.topics] == [K.invalid_request] * 2


# ---------------------------------------------------------------- Produce and Fetch

def test_produced_batches_get_offsets_by_header_patching_and_fetch_returns_them_from_the_right_batch():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    batches = [record_batch([b"a%d" % i for i in range(5)]),
               record_batch([b"x" * 200 + b"%d" % i for i in range(5)], compression=GZIP),
               record_batch([b"c%d" % i for i in range(5)])]
    assert batches[1][21:23] == b"\x00\x01"  # really gzip
    bases = [produce(c, "t", 0, b).responses[0].partition_responses[0] for b in batches]
    assert [(p.error_code, p.base_offset) for p in bases] == [(K.none, 0), (K.none, 5), (K.none, 10)]
    assert wc.topics["t"].partitions[0].batches[1][8:] == batches[1][8:12] + b"\x00\x00\x00\x00" + batches[1][16:]

    p = only_partition(fetch(c, "t", 0, 7))
    assert (p.error_code, p.high_watermark, p.last_stable_offset, p.log_start_offset) == (K.none, 15, 15, 0)
    records = read_records(p.records)  # from the batch holding offset 7: offsets 5..14
    assert [o for o, _, _ in records] == list(range(5, 15))
    assert records[2][2] == b"x" * 200 + b"2"
    assert [o for o, _, _ in read_records(only_partition(fetch(c, "t", 0, 0)).records)] == list(range(15))
    assert only_partition(fetch(c, "t", 0, 15)).records == b""
    assert only_partition(fetch(c, "t", 0, 16)).error_code == K.offset_out_of_range


def test_fetch_v13_and_later_name_topics_by_id():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    produce(c, "t", 0, record_batch([b"v"]), v=9)
    tid = wc.topics["t"].topic_id
    r = fetch(c, "t", 0, 0, v=16, topic_id=tid)
    assert r.responses[0].topic_id == tid
    assert read_records(only_partition(r).records)[0][2] == b"v"
    assert only_partition(fetch(c, "t", 0, 0, v=16, topic_id=uuid.uuid4())).error_code == K.unknown_topic_id


def test_fetch_respects_byte_limits_but_always_returns_one_whole_batch_first():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    sizes = []
    for i in range(3):
        batch = record_batch([b"v" * 100])
        sizes.append(len(batch))
        produce(c, "t", 0, batch)
    assert len(only_partition(fetch(c, "t", 0, 0, partition_max_bytes=10)).records) == sizes[0]
    assert len(only_partition(fetch(c, "t", 0, 0, partition_max_bytes=sizes[0] * 2 + 1)).records) == 2 * sizes[0]
    assert len(only_partition(fetch(c, "t", 0, 0, max_bytes=sizes[0] + 1)).records) == sizes[0]


def test_requests_for_a_partition_led_elsewhere_get_not_leader_with_the_leader():
    wc = cluster(2)
    wc.create_topic("t", 2)   # partition 1 is led by broker 1
    c = Client(wc)
    p = produce(c, "t", 1, record_batch([b"v"]), v=10, node=0).responses[0].partition_responses[0]
    assert p.error_code == K.not_leader_or_follower and p.current_leader.leader_id == 1
    r = fetch(c, "t", 1, 0, v=16, topic_id=wc.topics["t"].topic_id, node=0)
    assert only_partition(r).error_code == K.not_leader_or_follower
    assert only_partition(r).current_leader.leader_id == 1
    assert [(e.node_id, e.port) for e in r.node_endpoints] == [(1, 9093)]
    assert produce(c, "t", 1, record_batch([b"v"]), node=1).responses[0].partition_responses[0].error_code == K.none


def test_crc32c_is_castagnoli():
    # CRC-32C's published check value (CRC-32/ISCSI over "123456789"), from bytes and from a buffer slice.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(memoryview(b"--123456789")[2:]) == 0xE3069283


def with_attributes(batch: bytes, attributes: int) -> bytes:
    out = bytearray(batch)
    struct.pack_into(">h", out, 21, attributes)
    struct.pack_into(">I", out, 17, crc32c(bytes(out[21:])))
    return bytes(out)


@pytest.mark.parametrize(("records", "v", "error"), [
    (b"", 8, K.invalid_record),
    (None, 8, K.invalid_record),
    (record_batch([b"a"]) + record_batch([b"b"]), 8, K.invalid_record),          # two batches
    (record_batch([b"a"])[:40], 8, K.invalid_record),                             # a cut-off batch
    (record_batch([b"a"])[:-1] + b"!", 8, K.corrupt_message),                     # CRC mismatch
    (with_attributes(record_batch([b"a"]), ZSTD), 3, K.unsupported_compression_type),
    (with_attributes(record_batch([b"a"]), 0x20), 8, K.invalid_record),          # a control batch
    (record_batch([b"a"])[:16] + b"\x01" + record_batch([b"a"])[17:], 8, K.invalid_record),  # magic 1
    (record_batch([b"x" * 2_000_000]), 8, K.message_too_large),
])
def test_produce_rejects_what_kafka_rejects(records, v, error):
    wc = cluster()
    wc.create_topic("t", 1)
    p = produce(Client(wc), "t", 0, records, v=v).responses[0].partition_responses[0]
    assert (p.error_code, p.base_offset) == (error, -1)
    assert wc.topics["t"].partitions[0].next_offset == 0


def test_produce_drops_trailing_bytes_that_are_not_a_whole_batch():
    wc = cluster()
    wc.create_topic("t", 1)
    batch = record_batch([b"a", b"b"])
    p = produce(Client(wc), "t", 0, batch + b"\x00\x00\x00").responses[0].partition_responses[0]
    assert (p.error_code, p.base_offset) == (K.none, 0)
    assert wc.topics["t"].partitions[0].batches[0][12:] == b"\x00\x00\x00\x00" + batch[16:]


def test_produce_to_unknown_or_internal_topics_and_with_bad_acks():
    wc = cluster()
    c = Client(wc)
    batch = record_batch([b"a"])
    assert produce(c, "nope", 0, batch).responses[0].partition_responses[0].error_code == K.unknown_topic_or_partition
    assert produce(c, OFFSETS_TOPIC, 0, batch).responses[0].partition_responses[0].error_code \
        == K.invalid_topic_exception
    wc.create_topic("t", 1)
    assert produce(c, "t", 3, batch).responses[0].partition_responses[0].error_code == K.unknown_topic_or_partition
    assert produce(c, "t", 0, batch, acks=2).responses[0].partition_responses[0].error_code == K.invalid_required_acks


def test_produce_with_acks_0_gets_no_answer_or_a_closed_connection_on_error():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    assert produce(c, "t", 0, record_batch([b"a"]), acks=0) is NO_RESPONSE
    assert wc.topics["t"].partitions[0].next_offset == 1
    assert produce(c, "t", 0, b"junk", acks=0) is CLOSE_CONNECTION


def test_a_fetch_with_nothing_to_return_waits_until_a_produce_or_its_max_wait():
    wc = cluster()
    wc.create_topic("t", 1)
    consumer, producer = Client(wc, name="consumer"), Client(wc, name="producer")
    origin, replies = consumer.send(1, 11, now=1000, **fetch_request("t", 0, 0, max_wait=500))
    assert replies == [] and wc.next_deadline() == 1500
    producer.now = 1100
    _, replies = producer.send(0, 8, transactional_id=None, acks=1, timeout=1000,
                               topic_data=[{"name": "t", "partition_data": [{"index": 0, "records": record_batch([b"x"])}]}])
    fetched = [r for r in replies if r.origin == origin]
    assert len(fetched) == 1 and read_records(only_partition(fetched[0].response).records)[0][2] == b"x"
    assert wc.next_deadline() is None

    origin, replies = consumer.send(1, 11, now=2000, **fetch_request("t", 0, 1, max_wait=500))
    assert replies == [] and wc.next_deadline() == 2500
    assert wc.on_timer(2499) == []
    [reply] = wc.on_timer(2500)
    assert reply.origin == origin and only_partition(reply.response).records == b""

    consumer.send(1, 11, now=3000, **fetch_request("t", 0, 1, max_wait=500))
    wc.connection_closed("consumer")
    assert wc.next_deadline() is None


def test_fetch_sessions_are_never_created():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    assert fetch(c, "t", 0, 0, session_id=0, session_epoch=0).session_id == 0      # asks for one: declined
    assert fetch(c, "t", 0, 0, session_id=5, session_epoch=1).error_code == K.fetch_session_id_not_found
    assert fetch(c, "t", 0, 0, session_id=0, session_epoch=3).error_code == K.invalid_fetch_session_epoch


def test_read_committed_fetches_get_an_empty_aborted_transactions_list():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    assert only_partition(fetch(c, "t", 0, 0, isolation_level=1)).aborted_transactions == ()
    assert only_partition(fetch(c, "t", 0, 0, isolation_level=0)).aborted_transactions is None


# ---------------------------------------------------------------- ListOffsets

def list_offsets(c: Client, timestamp: int, v: int = 7):
    r = c.call(2, v, replica_id=-1, isolation_level=0, timeout=1000,
               topics=[{"name": "t", "partitions": [{"partition_index": 0, "current_leader_epoch": -1,
                                                     "timestamp": timestamp}]}])
    p = r.topics[0].partitions[0]
    return p.error_code, p.timestamp, p.offset


def test_list_offsets_earliest_latest_max_timestamp_and_by_timestamp():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    assert list_offsets(c, -1) == (K.none, -1, 0)
    produce(c, "t", 0, record_batch([b"a", b"b", b"c"], timestamp=1000))          # offsets 0-2 at 1000-1002
    produce(c, "t", 0, record_batch([b"d" * 300] * 3, timestamp=5000, compression=GZIP))  # offsets 3-5 at 5000-5002
    produce(c, "t", 0, record_batch([b"e"], timestamp=2000))                      # offset 6 at 2000
    assert list_offsets(c, -2) == (K.none, -1, 0)
    assert list_offsets(c, -1) == (K.none, -1, 7)
    assert list_offsets(c, -3) == (K.none, 5002, 5)
    assert list_offsets(c, 1001) == (K.none, 1001, 1)
    assert list_offsets(c, 1003) == (K.none, 5000, 3)
    assert list_offsets(c, 5001) == (K.none, 5001, 4)
    assert list_offsets(c, 9999) == (K.none, -1, -1)
    assert list_offsets(c, -1, v=1) == (K.none, -1, 7)


# ---------------------------------------------------------------- idempotent producers

def test_init_producer_id_and_sequence_checks():
    wc = cluster()
    wc.create_topic("t", 1)
    c = Client(wc)
    r = c.call(22, 4, transactional_id=None, transaction_timeout=60000, producer_id=-1, producer_epoch=-1)
    assert r.error_code == K.none and r.producer_epoch == 0
    pid = r.producer_id
    assert c.call(22, 0, transactional_id=None, transaction_timeout=1).producer_id != pid

    def send(seq, n=2, epoch=0):
        batch = record_batch([b"v"] * n, producer_id=pid, producer_epoch=epoch, base_sequence=seq)
        p = produce(c, "t", 0, batch).responses[0].partition_responses[0]
        return p.error_code, p.base_offset

    assert send(0) == (K.none, 0)
    assert send(2) == (K.none, 2)
    assert send(2) == (K.none, 2)                           # a retried batch: acknowledged, not stored twice
    assert wc.topics["t"].partitions[0].next_offset == 4
    assert send(7)[0] == K.out_of_order_sequence_number
    assert send(0, epoch=1) == (K.none, 4)                  # a new epoch starts at 0
    assert send(2, epoch=0)[0] == K.invalid_producer_epoch
    r = c.call(22, 4, transactional_id="tx", transaction_timeout=60000, producer_id=-1, producer_epoch=-1)
    assert r.error_code == K.invalid_request                # no transactions in kafkalab


# ---------------------------------------------------------------- group APIs go to the coordinators

def groups_on_different_brokers(wc: WireCluster) -> tuple[str, str]:
    by_node: dict[int, str] = {}
    for i in range(100):
        g = f"group-{i}"
        by_node.setdefault(wc.cluster.coordinator_for(g).node_id, g)
    assert len(by_node) >= 2
    return by_node[min(by_node)], by_node[max(by_node)]


def test_find_coordinator_points_groups_at_different_brokers_and_joins_go_to_that_coordinator():
    wc = cluster(3)
    g0, g1 = groups_on_different_brokers(wc)
    c = Client(wc)
    n0 = c.call(10, 2, key=g0, key_type=0).node_id
    n1 = c.call(10, 2, key=g1, key_type=0).node_id
    assert n0 != n1
    batched = c.call(10, 4, key_type=0, coordinator_keys=[g0, g1])
    assert [(x.key, x.node_id) for x in batched.coordinators] == [(g0, n0), (g1, n1)]

    join = dict(group_id=g0, session_timeout=6000, rebalance_timeout=10000, member_id="", group_instance_id=None,
                protocol_type="consumer", protocols=[{"name": "range", "metadata": b""}])
    wrong = c.call(11, 5, node=n1, **join)
    assert wrong.error_code == K.not_coordinator
    first = c.call(11, 5, node=n0, **join)
    assert first.error_code == K.member_id_required and first.member_id.startswith("test-")
    origin, replies = c.send(11, 5, node=n0, **{**join, "member_id": first.member_id})
    assert replies == [] and wc.next_deadline() == c.now  # group.initial.rebalance.delay.ms=0: due at once
    [reply] = wc.on_timer(c.now)
    assert reply.origin == origin
    assert (reply.response.error_code, reply.response.generation_id, reply.response.leader) == (
        ErrorCode.NONE, 1, first.member_id)
    coordinator = wc.coordinators[n0]
    assert wc.describe(g0)["state"] == "CompletingRebalance"
    received = [e for e in coordinator.trace if type(e).__name__ == "RequestReceived"]
    assert received[-1].origin == origin and received[-1].request.client_id == "test"
    assert wc.coordinators[n1].groups == {}


def test_offset_fetch_v8_batches_groups_and_answers_each_from_its_coordinator():
    wc = cluster(2)
    g0, g1 = groups_on_different_brokers(wc)
    node = wc.cluster.coordinator_for(g0).node_id
    c = Client(wc, node=node)
    commit = c.call(8, 8, group_id=g0, generation_id_or_member_epoch=-1, member_id="", group_instance_id=None,
                    topics=[{"name": "t", "partitions": [{"partition_index": 0, "committed_offset": 42,
                                                          "committed_leader_epoch": -1, "committed_metadata": ""}]}])
    assert commit.topics[0].partitions[0].error_code == K.none
    r = c.call(9, 8, require_stable=False, groups=[
        {"group_id": g0, "topics": [{"name": "t", "partition_indexes": [0, 1]}]},
        {"group_id": g1, "topics": None}])
    assert [(g.group_id, g.error_code) for g in r.groups] == [(g0, K.none), (g1, K.not_coordinator)]
    assert [(p.partition_index, p.committed_offset) for p in r.groups[0].topics[0].partitions] == [(0, 42), (1, -1)]


def test_offset_fetch_v1_puts_a_group_error_on_every_partition():
    wc = cluster(2)
    g0, g1 = groups_on_different_brokers(wc)
    wrong = 1 - wc.cluster.coordinator_for(g0).node_id
    r = Client(wc, node=wrong).call(9, 1, group_id=g0, topics=[{"name": "t", "partition_indexes": [0, 3]}])
    assert [(p.partition_index, p.error_code) for p in r.topics[0].partitions] == [
        (0, K.not_coordinator), (3, K.not_coordinator)]


def test_the_coordinators_share_one_group_log_and_each_owns_its_brokers_partitions():
    wc = cluster(3)
    logs = {id(c.log) for c in wc.coordinators.values()}
    assert logs == {id(wc.log)}
    for node, c in wc.coordinators.items():
        assert c.owned_partitions == set(wc.cluster.partitions_led_by(node))
    assert isinstance(OffsetFetchBatchResponse((("g", m.OffsetFetchResponse()),)), OffsetFetchBatchResponse)


# ---------------------------------------------------------------- moving a group's coordinator

def test_move_coordinator_answers_parked_requests_and_points_every_api_at_the_new_broker():
    wc = cluster(3)
    old = wc.cluster.coordinator_for("g").node_id
    new = (old + 1) % 3
    p = partition_for_group("g", 50)
    a, b = Client(wc, node=old, name="a"), Client(wc, node=old, name="b")
    join = dict(group_id="g", session_timeout=30000, rebalance_timeout=60000, group_instance_id=None,
                protocol_type="consumer", protocols=[{"name": "range", "metadata": b""}])
    a_id = a.call(11, 5, member_id="", **join).member_id
    origin, _ = a.send(11, 5, member_id=a_id, **join)
    [joined] = wc.on_timer(0)                                    # group.initial.rebalance.delay.ms=0
    assert joined.origin == origin and joined.response.generation_id == 1
    assert a.call(14, 3, group_id="g", generation_id=1, member_id=a_id, group_instance_id=None,
                  assignments=[{"member_id": a_id, "assignment": b"t-0"}]).error_code == K.none
    commit = a.call(8, 8, group_id="g", generation_id_or_member_epoch=1, member_id=a_id, group_instance_id=None,
                    topics=[{"name": "t", "partitions": [{"partition_index": 0, "committed_offset": 42,
                                                          "committed_leader_epoch": -1, "committed_metadata": ""}]}])
    assert commit.topics[0].partitions[0].error_code == K.none
    b_id = b.call(11, 5, member_id="", **join).member_id
    parked, replies = b.send(11, 5, member_id=b_id, **join)      # a new member: a rebalance starts
    assert replies == [] and wc.describe("g")["state"] == "PreparingRebalance"

    [answer] = wc.move_coordinator("g", new, 10)
    assert answer.origin == parked and answer.response.error_code is ErrorCode.NOT_COORDINATOR
    assert "g" not in wc.coordinators[old].groups
    a.now = b.now = 10
    heartbeat = dict(group_id="g", generation_id=1, member_id=a_id, group_instance_id=None)
    assert a.call(12, 3, **heartbeat).error_code == K.not_coordinator                  # the old broker
    assert a.call(10, 2, key="g", key_type=0).node_id == new                           # asked anywhere
    assert a.call(12, 3, node=new, **heartbeat).error_code == K.none
    # The new coordinator read the group back from the log: the last record (generation 1, a
    # alone, a's assignment) and a's committed offset; b's rebalance was never written.
    described = wc.describe("g")
    assert (described["state"], described["generation_id"]) == ("Stable", 1)
    assert [(x["member_id"], x["assignment"]) for x in described["members"]] == [(a_id, b"t-0")]
    fetched = a.call(9, 8, node=new, require_stable=False,
                     groups=[{"group_id": "g", "topics": [{"name": "t", "partition_indexes": [0]}]}])
    assert fetched.groups[0].topics[0].partitions[0].committed_offset == 42

    # Metadata names the new leader of the group's __consumer_offsets partition, in a new epoch,
    # and that epoch fences requests made with the old one.
    md = a.call(3, 12, topics=None, allow_auto_topic_creation=False, include_topic_authorized_operations=False)
    [offsets] = [t for t in md.topics if t.name == OFFSETS_TOPIC]
    assert (offsets.partitions[p].leader_id, offsets.partitions[p].leader_epoch) == (new, 1)
    assert {x.leader_epoch for i, x in enumerate(offsets.partitions) if i != p} == {0}

    def list_offsets_at(node: int, epoch: int):
        r = a.call(2, 7, node=node, replica_id=-1, isolation_level=0, timeout=1000, topics=[{
            "name": OFFSETS_TOPIC, "partitions": [{"partition_index": p, "current_leader_epoch": epoch,
                                                   "timestamp": -1}]}])
        x = r.topics[0].partitions[0]
        return x.error_code, x.leader_epoch
    assert list_offsets_at(old, 1)[0] == K.not_leader_or_follower
    assert list_offsets_at(new, 0)[0] == K.fenced_leader_epoch
    assert list_offsets_at(new, 2)[0] == K.unknown_leader_epoch
    assert list_offsets_at(new, 1) == (K.none, 1)
    assert list_offsets_at(new, -1) == (K.none, 1)

    assert wc.move_coordinator("g", new, 20) == []               # already there: nothing happens
    with pytest.raises(ValueError, match="unknown broker id 7"):
        wc.move_coordinator("g", 7, 20)
