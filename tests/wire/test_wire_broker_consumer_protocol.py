"""WireCluster, sans-IO, with KIP-848's APIs: ConsumerGroupHeartbeat and ConsumerGroupDescribe go
through the codec as bytes to the coordinator of the connection's broker, and the cluster's topics
(created, grown, deleted) reach every coordinator's metadata with the ids Metadata v10+ serves
(docs/wire.md, docs/consumer-protocol.md §2)."""

from __future__ import annotations

import uuid

import pytest
from kio.schema.errors import ErrorCode as K

pytest.importorskip("kafka.record.memory_records")  # test_wire_broker's helpers need kafka-python

from kafkalab.cluster import OFFSETS_TOPIC, partition_for_group
from kafkalab.modern.metadata import topic_id_for
from kafkalab.wire.codec import API_VERSIONS, uuid_from_text
from test_wire_broker import Client, cluster

JOIN = dict(instance_id=None, rack_id=None, rebalance_timeout=30_000, subscribed_topic_regex=None,
            server_assignor=None, topic_partitions=[])


def heartbeat(c: Client, group: str, member: str, epoch: int, owned=None, *, node=None, **values):
    """A ConsumerGroupHeartbeat v1 (librdkafka's version); a join when ``epoch`` is 0."""
    fields = {**JOIN, "subscribed_topic_names": ["t"]} if epoch == 0 else dict(
        instance_id=None, rack_id=None, rebalance_timeout=-1, subscribed_topic_names=None,
        subscribed_topic_regex=None, server_assignor=None, topic_partitions=owned)
    fields.update(values)
    return c.call(68, 1, node=node, group_id=group, member_id=member, member_epoch=epoch, **fields)


def assigned(response) -> dict[uuid.UUID, tuple[int, ...]]:
    return {t.topic_id: tuple(t.partitions) for t in response.assignment.topic_partitions}


def metadata_id(c: Client, topic: str) -> uuid.UUID:
    r = c.call(3, 12, topics=[{"name": topic, "topic_id": None}], allow_auto_topic_creation=False,
               include_topic_authorized_operations=False)
    return r.topics[0].topic_id


def test_api_versions_advertise_what_librdkafka_needs_for_the_consumer_protocol():
    r = Client(cluster()).call(18, 3, client_software_name="t", client_software_version="1")
    served = {k.api_key: (k.min_version, k.max_version) for k in r.api_keys}
    assert served[68] == (0, 1) and served[69] == (0, 1)        # ConsumerGroupHeartbeat v1: librdkafka's only one
    assert served[8][1] >= 9 and served[9][1] >= 9              # OffsetCommit / OffsetFetch v9 (member epochs)
    assert served == API_VERSIONS


def test_a_join_is_answered_by_the_groups_coordinator_with_metadatas_topic_ids():
    wc = cluster(2)
    wc.create_topic("t", 3)
    node = wc.cluster.leader_of(partition_for_group("g", wc.config.offsets_topic_num_partitions))
    other = 1 - node
    c = Client(wc, node)
    r = heartbeat(c, "g", "m1", 0, node=other)
    assert r.error_code == K.not_coordinator
    r = heartbeat(c, "g", "m1", 0)
    assert (r.error_code, r.member_id, r.member_epoch) == (K.none, "m1", 1)
    tid = metadata_id(c, "t")
    assert tid == wc.topics["t"].topic_id == uuid_from_text(topic_id_for("t"))
    assert assigned(r) == {tid: (0, 1, 2)}
    assert r.heartbeat_interval.total_seconds() * 1000 == wc.config.consumer.group_consumer_heartbeat_interval_ms
    # Every broker's coordinator has the same image: the one Metadata describes.
    assert {c.consumer_groups.metadata.topic("t").topic_id for c in wc.coordinators.values()} == {topic_id_for("t")}
    assert wc.metadata.topic(OFFSETS_TOPIC) is not None


def test_topic_growth_deletion_and_recreation_reach_the_group_at_its_next_heartbeat():
    wc = cluster()
    wc.create_topic("t", 2)
    c = Client(wc)
    r = heartbeat(c, "g", "m1", 0)
    old = wc.topics["t"].topic_id
    assert assigned(r) == {old: (0, 1)}
    owned = [{"topic_id": old, "partitions": [0, 1]}]
    r = heartbeat(c, "g", "m1", 1, owned)
    assert r.member_epoch == 1 and r.assignment is None                   # stable: nothing new

    wc.create_partitions("t", 4)
    assert wc.metadata.topic("t").num_partitions == 4
    r = heartbeat(c, "g", "m1", 1, owned)
    assert r.member_epoch == 2 and assigned(r) == {old: (0, 1, 2, 3)}
    owned = [{"topic_id": old, "partitions": [0, 1, 2, 3]}]

    wc.delete_topic("t", c.now)
    assert wc.metadata.topic("t") is None
    r = heartbeat(c, "g", "m1", 2, owned)
    assert assigned(r) == {}                                              # the deleted topic's partitions go
    r = heartbeat(c, "g", "m1", r.member_epoch, [])                       # revoked: the new epoch
    epoch = r.member_epoch
    assert epoch == 3

    wc.create_topic("t", 1)
    new = wc.topics["t"].topic_id
    assert new != old and new == metadata_id(c, "t") == uuid_from_text(topic_id_for("t", 1))
    r = heartbeat(c, "g", "m1", epoch, [])
    assert r.member_epoch == epoch + 1 and assigned(r) == {new: (0,)}


def test_consumer_group_describe_names_the_topics_and_their_ids():
    wc = cluster()
    wc.create_topic("t", 2)
    c = Client(wc)
    heartbeat(c, "g", "m1", 0, rack_id="r1")
    for v in (0, 1):
        r = c.call(69, v, group_ids=["g", "nope"], include_authorized_operations=False)
        g, nope = r.groups
        assert (g.error_code, g.group_state, g.group_epoch, g.assignor_name) == (K.none, "Stable", 1, "uniform")
        [member] = g.members
        assert (member.member_id, member.rack_id, member.client_id, member.member_epoch) == ("m1", "r1", "test", 1)
        [tp] = member.assignment.topic_partitions
        assert (tp.topic_id, tp.topic_name, tp.partitions) == (wc.topics["t"].topic_id, "t", (0, 1))
        assert getattr(member, "member_type", 1) == 1                   # v1: a consumer-protocol member
        assert nope.error_code == K.group_id_not_found
