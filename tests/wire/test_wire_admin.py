"""CreatePartitions, DeleteTopics and topic ids on WireCluster, sans-IO, through the codec as bytes.

Expected answers are those of Kafka's KRaft controller (``ControllerApis.createPartitions`` /
``deleteTopics``, ``ReplicationControlManager``), messages included.
"""

from __future__ import annotations

import uuid

import pytest
from kio.schema.errors import ErrorCode as K

pytest.importorskip("kafka.record.memory_records")  # kafka-python builds and reads the record batches

from kafkalab.cluster import OFFSETS_TOPIC
from kafkalab.modern.metadata import TOPIC_ID_NAMESPACE, topic_id_for
from kafkalab.wire.codec import uuid_from_text
from test_wire_broker import Client, cluster, fetch, fetch_request, only_partition, produce
from wire_helpers import read_records, record_batch

ZERO = uuid.UUID(int=0)


def grow(c: Client, *topics, v: int = 3, timeout: int = 5000, validate_only: bool = False) -> dict:
    """CreatePartitions; ``topics`` are ``(name, count)`` or ``(name, count, assignments)``."""
    specs = [{"name": t[0], "count": t[1],
              "assignments": None if len(t) < 3 else [{"broker_ids": b} for b in t[2]]} for t in topics]
    r = c.call(37, v, topics=specs, timeout=timeout, validate_only=validate_only)
    return [(x.name, x.error_code, x.error_message) for x in r.results]


def test_create_partitions_grows_a_topic_and_the_new_partitions_work():
    wc = cluster(2)
    wc.create_topic("t", 2)
    tid = wc.topics["t"].topic_id
    c = Client(wc)
    assert grow(c, ("t", 5), v=0) == [("t", K.none, None)]
    topic = wc.topics["t"]
    assert topic.num_partitions == 5 and topic.topic_id == tid      # the same topic, grown
    assert [r[0] for r in topic.replicas] == [0, 1, 0, 1, 0]          # partition p led by broker p mod 2
    metadata = c.call(3, 12, topics=[{"name": "t", "topic_id": None}], allow_auto_topic_creation=False,
                      include_topic_authorized_operations=False)
    assert [(p.partition_index, p.leader_id) for p in metadata.topics[0].partitions] == [
        (0, 0), (1, 1), (2, 0), (3, 1), (4, 0)]
    p = produce(c, "t", 4, record_batch([b"new"]), node=0).responses[0].partition_responses[0]
    assert (p.error_code, p.base_offset) == (K.none, 0)
    assert read_records(only_partition(fetch(c, "t", 4, 0, v=16, topic_id=tid)).records)[0][2] == b"new"


def test_create_partitions_refuses_what_kafkas_controller_refuses():
    wc = cluster(2)
    wc.create_topic("t", 3)
    wc.create_topic("u", 1, replication_factor=2)
    c = Client(wc)
    assert grow(c, ("t", 3)) == [("t", K.invalid_partitions, "Topic already has 3 partition(s).")]
    assert grow(c, ("t", 2)) == [
        ("t", K.invalid_partitions, "The topic t currently has 3 partition(s); 2 would not be an increase.")]
    assert grow(c, ("t", -1))[0][1] == K.invalid_partitions
    assert grow(c, ("nope", 4)) == [("nope", K.unknown_topic_or_partition, None)]
    assert grow(c, ("t", 5, [[0]])) == [("t", K.invalid_replica_assignment,
                                         "Attempted to add 2 additional partition(s), but only 1 assignment(s) "
                                         "were specified.")]
    assert grow(c, ("u", 2, [[]]))[0][1:] == (
        K.invalid_replica_assignment, "The manual partition assignment includes an empty replica list.")
    assert grow(c, ("u", 2, [[0, 7]]))[0][1:] == (
        K.invalid_replica_assignment, "The manual partition assignment includes broker 7, but no such broker "
                                      "is registered.")
    assert grow(c, ("u", 2, [[1, 1]]))[0][1:] == (
        K.invalid_replica_assignment, "The manual partition assignment includes the broker 1 more than once.")
    assert grow(c, ("u", 2, [[1]]))[0][1:] == (
        K.invalid_replica_assignment, "The manual partition assignment includes a partition with 1 replica(s), "
                                      "but this is not consistent with previous partitions, which have 2 replica(s).")
    assert grow(c, (OFFSETS_TOPIC, 60))[0][1] == K.invalid_request
    assert wc.topics["t"].num_partitions == 3 and wc.topics["u"].num_partitions == 1
    assert len(wc.topics[OFFSETS_TOPIC].partitions) == 50
    assert grow(c, ("u", 2, [[1, 0]])) == [("u", K.none, None)]
    assert wc.topics["u"].replicas == [(0, 1), (1, 0)]


def test_create_partitions_duplicates_validate_only_and_timeouts():
    wc = cluster()
    for name in ("a", "b", "c"):
        wc.create_topic(name, 1)
    c = Client(wc)
    # Duplicates are refused, each once; the others go ahead. Kafka lists the answers in the
    # order of its HashSets of names ("a", "b", "c" hash to consecutive buckets).
    assert grow(c, ("b", 2), ("a", 2), ("b", 3), ("c", 2)) == [
        ("b", K.invalid_request, "Duplicate topic name."), ("a", K.none, None), ("c", K.none, None)]
    assert [wc.topics[n].num_partitions for n in "abc"] == [2, 1, 2]
    assert grow(c, ("a", 4), validate_only=True) == [("a", K.none, None)]
    assert wc.topics["a"].num_partitions == 2
    assert grow(c, ("a", 4), validate_only=True, timeout=0) == [("a", K.request_timed_out, None)]
    for timeout in (0, -1):   # the controller's deadline has passed: nothing happens
        assert grow(c, ("a", 4), ("nope", 2), timeout=timeout) == [
            ("a", K.request_timed_out, None), ("nope", K.request_timed_out, None)]
    assert wc.topics["a"].num_partitions == 2
    # A request with nothing left after the duplicate check never reaches the controller.
    assert grow(c, ("a", 4), ("a", 5), timeout=0) == [("a", K.invalid_request, "Duplicate topic name.")]
    for v in range(4):
        assert grow(c, ("c", 3 + v), v=v) == [("c", K.none, None)]
    assert wc.topics["c"].num_partitions == 6


def delete(c: Client, *topics, v: int = 6, timeout: int = 5000) -> list:
    """DeleteTopics; a topic is a name (str), an id (UUID) or a (name, id) pair."""
    if v >= 6:
        states = [{"name": t, "topic_id": None} if isinstance(t, str) else
                  {"name": None, "topic_id": t} if isinstance(t, uuid.UUID) else
                  {"name": t[0], "topic_id": t[1]} for t in topics]
        r = c.call(20, v, topics=states, timeout=timeout)
    else:
        r = c.call(20, v, topic_names=list(topics), timeout=timeout)
    return [(x.name, getattr(x, "topic_id", None), x.error_code, getattr(x, "error_message", None))
            for x in r.responses]


def test_delete_topics_by_name_at_every_version():
    wc = cluster()
    c = Client(wc)
    for v in range(1, 7):
        wc.create_topic(f"t{v}", 2)
        tid = wc.topics[f"t{v}"].topic_id
        [(name, got_id, error, message)] = delete(c, f"t{v}", v=v)
        assert (name, error, message) == (f"t{v}", K.none, None)
        assert got_id == (tid if v >= 6 else None)
        assert f"t{v}" not in wc.topics
        [(name, _, error, message)] = delete(c, f"t{v}", v=v)
        assert (name, error) == (f"t{v}", K.unknown_topic_or_partition)
        assert message == ("This server does not host this topic-partition." if v >= 5 else None)


def test_delete_topics_refuses_what_kafkas_controller_refuses():
    wc = cluster()
    for name in ("a", "b", "c"):
        wc.create_topic(name, 1)
    ids = {n: wc.topics[n].topic_id for n in "abc"}
    c = Client(wc)
    unknown = uuid.UUID(int=12345)
    got = delete(c, "a", "a", ids["b"], ids["b"], unknown, (None, None), ("c", ids["c"]), "nope")
    assert got == [
        (None, None, K.invalid_request, "Neither topic name nor id were specified."),
        ("c", ids["c"], K.invalid_request, "You may not specify both topic name and topic id."),
        ("a", None, K.invalid_request, "Duplicate topic name."),
        (None, ids["b"], K.invalid_request, "Duplicate topic id."),
        (None, unknown, K.unknown_topic_id, "This server does not host this topic ID."),
        ("nope", None, K.unknown_topic_or_partition, "This server does not host this topic-partition."),
    ]
    assert set(wc.topics) == {OFFSETS_TOPIC, "a", "b", "c"}
    # A name and the id it maps to: Kafka refuses the name and quietly drops the id.
    assert delete(c, ids["a"], "a") == [
        ("a", ids["a"], K.invalid_request, "The provided topic name maps to an ID that was already supplied.")]
    assert "a" in wc.topics
    assert delete(c, OFFSETS_TOPIC)[0][2] == K.invalid_request and OFFSETS_TOPIC in wc.topics
    for timeout in (0, -5):
        assert delete(c, "a", ids["b"], timeout=timeout) == [
            ("a", None, K.request_timed_out, None), (None, ids["b"], K.request_timed_out, None)]
    assert {"a", "b"} <= set(wc.topics)
    assert delete(c, "a", "a", timeout=0) == [("a", None, K.invalid_request, "Duplicate topic name.")]
    assert delete(c, ids["a"], "b") == [("a", ids["a"], K.none, None), ("b", ids["b"], K.none, None)]
    assert set(wc.topics) == {OFFSETS_TOPIC, "c"}


def test_a_deleted_topic_is_gone_for_every_api_and_a_waiting_fetch_returns():
    wc = cluster()
    wc.create_topic("t", 2)
    old_id = wc.topics["t"].topic_id
    c = Client(wc)
    produce(c, "t", 0, record_batch([b"a", b"b"]))
    commit = c.call(8, 8, group_id="g", generation_id_or_member_epoch=-1, member_id="", group_instance_id=None,
                    topics=[{"name": "t", "partitions": [{"partition_index": 0, "committed_offset": 2,
                                                          "committed_leader_epoch": -1, "committed_metadata": ""}]},
                            {"name": "keep", "partitions": [{"partition_index": 0, "committed_offset": 9,
                                                             "committed_leader_epoch": -1,
                                                             "committed_metadata": ""}]}])
    assert all(p.error_code == K.none for t in commit.topics for p in t.partitions)
    waiting = Client(wc, name="waiting")
    origin, replies = waiting.send(1, 11, **fetch_request("t", 1, 0, max_wait=30_000))
    assert replies == []

    _, replies = c.send(20, 6, topics=[{"name": "t", "topic_id": None}], timeout=5000)
    # The parked Fetch comes back with the error, without waiting for its max_wait.
    [answer] = [r.response for r in replies if r.origin == origin]
    assert only_partition(answer).error_code == K.unknown_topic_or_partition
    assert "t" not in wc.topics

    def metadata(**topic):
        r = c.call(3, 12, topics=[{"name": None, "topic_id": None} | topic], allow_auto_topic_creation=False,
                   include_topic_authorized_operations=False)
        return r.topics[0].error_code

    assert metadata(name="t") == K.unknown_topic_or_partition
    assert metadata(topic_id=old_id) == K.unknown_topic_id
    everything = c.call(3, 12, topics=None, allow_auto_topic_creation=False, include_topic_authorized_operations=False)
    assert [t.name for t in everything.topics] == [OFFSETS_TOPIC]
    assert produce(c, "t", 0, record_batch([b"x"])).responses[0].partition_responses[0].error_code \
        == K.unknown_topic_or_partition
    assert only_partition(fetch(c, "t", 0, 0)).error_code == K.unknown_topic_or_partition
    assert only_partition(fetch(c, "t", 0, 0, v=16, topic_id=old_id)).error_code == K.unknown_topic_id
    listed = c.call(2, 7, replica_id=-1, isolation_level=0, timeout=1000, topics=[
        {"name": "t", "partitions": [{"partition_index": 0, "current_leader_epoch": -1, "timestamp": -1}]}])
    assert listed.topics[0].partitions[0].error_code == K.unknown_topic_or_partition
    # The group's committed offsets of the deleted topic are gone; the others stay.
    fetched = c.call(9, 7, group_id="g", topics=None, require_stable=False)
    assert [(t.name, [(p.partition_index, p.committed_offset) for p in t.partitions]) for t in fetched.topics] \
        == [("keep", [(0, 9)])]
    assert wc.log.offsets["g"] == {("keep", 0): wc.log.offsets["g"][("keep", 0)]}

    # Created again: a new topic with a new id and empty logs.
    wc.create_topic("t", 1)
    assert wc.topics["t"].topic_id == uuid_from_text(topic_id_for("t", 1)) != old_id
    assert only_partition(fetch(c, "t", 0, 0)).high_watermark == 0
    assert metadata(topic_id=old_id) == K.unknown_topic_id


def test_the_waiting_fetch_of_a_deleted_topic_is_answered_with_its_error():
    wc = cluster()
    wc.create_topic("t", 1)
    waiting = Client(wc, name="waiting")
    origin, replies = waiting.send(1, 16, **fetch_request("t", 0, 0, v=16, topic_id=wc.topics["t"].topic_id,
                                                          max_wait=30_000))
    assert replies == []
    [reply] = wc.delete_topic("t", 5)
    assert reply.origin == origin
    assert only_partition(reply.response).error_code == K.unknown_topic_id


def test_topic_ids_are_derived_from_the_name_and_change_when_the_topic_is_created_again():
    wc = cluster()
    wc.create_topic("orders", 3)
    # One scheme: the wire's ids are the core's (the coordinators' metadata image), as uuids.
    assert wc.topics["orders"].topic_id == uuid.uuid5(TOPIC_ID_NAMESPACE, "orders") == uuid_from_text(
        topic_id_for("orders")) == uuid_from_text(wc.metadata.topic("orders").topic_id)
    assert wc.topics[OFFSETS_TOPIC].topic_id == uuid_from_text(topic_id_for(OFFSETS_TOPIC))
    assert cluster(seed=7).topics[OFFSETS_TOPIC].topic_id == uuid_from_text(topic_id_for(OFFSETS_TOPIC))  # not seeded
    ids = [wc.topics["orders"].topic_id]
    for n in (1, 2):
        wc.delete_topic("orders", 0)
        wc.create_topic("orders", 3)
        ids.append(wc.topics["orders"].topic_id)
        assert ids[-1] == uuid.uuid5(TOPIC_ID_NAMESPACE, f"orders#{n}") == uuid_from_text(topic_id_for("orders", n))
        assert uuid_from_text(wc.metadata.topic("orders").topic_id) == ids[-1]
    assert len(set(ids)) == 3


def test_python_helpers_refuse_with_kafkas_errors():
    wc = cluster()
    wc.create_topic("t", 2)
    with pytest.raises(ValueError, match="INVALID_PARTITIONS: The topic t currently has 2 partition"):
        wc.create_partitions("t", 1)
    with pytest.raises(ValueError, match="UNKNOWN_TOPIC_OR_PARTITION"):
        wc.create_partitions("nope", 3)
    with pytest.raises(ValueError, match="UNKNOWN_TOPIC_OR_PARTITION"):
        wc.delete_topic("nope", 0)
    with pytest.raises(ValueError, match="INVALID_REQUEST: kafkalab cannot delete the internal topic"):
        wc.delete_topic(OFFSETS_TOPIC, 0)
    assert wc.create_partitions("t", 4).num_partitions == 4
