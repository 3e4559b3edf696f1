"""kafka-python 3.x clients against kafkalab.wire.Server: admin, idempotent producer, consumer group.

While the group forms, consumes and rebalances, each kafka-python consumer polls in a thread of
its own, as an application would (a consumer is touched only by its thread while that runs; the
test thread only reads assignments); every wait has a deadline and every client is closed before
its server stops.
"""

from __future__ import annotations

import threading
import time

import pytest

kafka = pytest.importorskip("kafka")
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from kafka.errors import RebalanceInProgressError  # noqa: E402

from kafkalab import trace as tr  # noqa: E402

pytestmark = pytest.mark.interop

WAIT_S = 30.0


def consumer(bootstrap: str, name: str, group: str, **kwargs) -> KafkaConsumer:
    options = dict(bootstrap_servers=bootstrap, group_id=group, client_id=name, auto_offset_reset="earliest",
                   enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=300,
                   request_timeout_ms=10000)
    options.update(kwargs)
    return KafkaConsumer(**options)


def owned(c: KafkaConsumer) -> set[int]:
    return {tp.partition for tp in c.assignment()}


def covers(consumers, partitions: int) -> bool:
    sets = [owned(c) for c in consumers]
    return all(sets) and sum(map(len, sets)) == partitions and set().union(*sets) == set(range(partitions))


def drive(consumers, predicate, seen=None, timeout: float = WAIT_S, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {[sorted(owned(c)) for c in consumers]}")
        for c in consumers:
            for tp, records in c.poll(timeout_ms=10).items():
                if seen is not None:
                    seen.extend((tp.partition, r.offset, r.value) for r in records)


class Pollers:
    """One polling thread per consumer; ``stop()`` hands the consumers back to the test thread."""

    def __init__(self, consumers, seen=None) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.seen = seen
        self.threads = [threading.Thread(target=self._run, args=(c,), daemon=True) for c in consumers]
        for t in self.threads:
            t.start()

    def _run(self, c: KafkaConsumer) -> None:
        while not self._stop.is_set():
            for tp, records in c.poll(timeout_ms=50).items():
                if self.seen is not None:
                    with self._lock:
                        self.seen.extend((tp.partition, r.offset, r.value) for r in records)

    def wait(self, consumers, predicate, timeout: float = WAIT_S, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {[sorted(owned(c)) for c in consumers]}")
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        for t in self.threads:
            t.join(10)


def commit(c: KafkaConsumer, others, timeout: float = WAIT_S) -> None:
    """``commit()``, retried while kafka-python says a rebalance is pending (polling everyone)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            c.commit()
            return
        except RebalanceInProgressError:
            if time.monotonic() > deadline:
                raise
            drive(others, lambda: True)
            for o in others:
                o.poll(timeout_ms=20)


def test_admin_idempotent_producer_and_a_group_of_three(make_server):
    # kafka-python 3.0.12 can hang for good after its leader's second SyncGroup in quick succession
    # (its I/O threads idle, nothing outstanding at the server; seen in about 1 run in 8). That
    # happens when the first leader assigns before it has the topic's metadata and rejoins at
    # once. So the consumers load the metadata first, and a 1.5 s initial rebalance delay lets
    # all three join the first generation (see docs/wire.md).
    server = make_server(brokers=2, group_initial_rebalance_delay_ms=1_500)
    bootstrap = server.bootstrap_servers
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    consumers: list[KafkaConsumer] = []
    try:
        admin.create_topics([NewTopic("kp", 6, 1)])
        group = "kp-group"
        consumers.extend(consumer(bootstrap, f"k{i}", group) for i in range(3))
        for c in consumers:
            assert c.partitions_for_topic("kp") == set(range(6))
        for c in consumers:
            c.subscribe(["kp"])
        seen: list = []
        pollers = Pollers(consumers, seen)
        try:
            pollers.wait(consumers, lambda: covers(consumers, 6) and server.describe(group)["state"] == "Stable",
                         what="three members to cover six partitions")
            producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", request_timeout_ms=10000)
            try:
                futures = [producer.send("kp", value=b"v%d" % i, partition=i % 6) for i in range(120)]
                producer.flush(10)
                offsets = [f.get(timeout=10) for f in futures]
            finally:
                producer.close(timeout=5)
            assert sorted(o.offset for o in offsets if o.partition == 0) == list(range(20))
            everything = {b"v%d" % i for i in range(120)}
            pollers.wait(consumers, lambda: {v for _, _, v in list(seen)} >= everything, what="every record")
        finally:
            pollers.stop()
        # At least once, not exactly once: kafka-python 3.0.12 rejoins on a REBALANCE_IN_PROGRESS
        # heartbeat answer even while it is already rejoining (the Java client ignores it outside
        # STABLE), so a leader can start one more rebalance right after a sync, and uncommitted
        # partitions are read again from the start (see docs/wire.md).
        assert {v for _, _, v in seen} == everything
        assert {(p, o) for p, o, _ in seen} == {(p, o) for p in range(6) for o in range(20)}

        for c in consumers:
            commit(c, consumers)
        assert {p: consumers[0].committed(TopicPartition("kp", p)) for p in owned(consumers[0])} == \
            {p: 20 for p in owned(consumers[0])}

        listed = admin.list_groups()  # ListGroups, sent to every broker
        assert [g["group_id"] for g in listed] == [group]
        described = admin.describe_groups([group])[group]  # DescribeGroups at its coordinator
        assert described["group_state"] == "Stable" and len(described["members"]) == 3
        assert {mb["client_id"] for mb in described["members"]} == {"k0", "k1", "k2"}

        generation = server.describe(group)["generation_id"]
        leaver = consumers.pop(0)
        leaver.close()
        pollers = Pollers(consumers)
        try:
            pollers.wait(consumers, lambda: covers(consumers, 6), what="the survivors to take over")
        finally:
            pollers.stop()
        assert server.describe(group)["generation_id"] > generation
        coordinator = server.cluster.coordinator_for(group)
        assert any(isinstance(e, tr.MemberRemoved) and e.reason is tr.MemberRemovalReason.LEAVE_GROUP for e in coordinator.trace)
    finally:
        for c in consumers:
            c.close()
        admin.close()


def test_admin_grows_and_deletes_topics_and_gets_kafkas_errors(make_server):
    """kafka-python's admin client uses CreatePartitions v3 and DeleteTopics v6 here (the newest
    both sides know); errors come back as Kafka's error classes, with the controller's message."""
    from kafka.admin import NewPartitions
    from kafka.errors import InvalidPartitionsError, UnknownTopicOrPartitionError

    server = make_server(topics={"kp-grow": 2, "kp-gone": 1})
    admin = KafkaAdminClient(bootstrap_servers=server.bootstrap_servers, request_timeout_ms=10000)
    try:
        grown = admin.create_partitions({"kp-grow": NewPartitions(total_count=5)})
        assert [(r.name, r.error_code, r.error_message) for r in grown.results] == [("kp-grow", 0, None)]
        assert server.call(lambda: server.cluster.topics["kp-grow"].num_partitions) == 5
        gone_id = server.call(lambda: server.cluster.topics["kp-gone"].topic_id)
        deleted = admin.delete_topics(["kp-gone"])
        assert [(t["name"], t["topic_id"], t["error_code"]) for t in deleted["topics"]] == [
            ("kp-gone", str(gone_id), 0)]
        assert "kp-gone" not in admin.list_topics()
        with pytest.raises(InvalidPartitionsError, match="The topic kp-grow currently has 5 partition"):
            admin.create_partitions({"kp-grow": NewPartitions(total_count=2)})
        with pytest.raises(UnknownTopicOrPartitionError):
            admin.create_partitions({"nope": NewPartitions(total_count=2)})
        with pytest.raises(UnknownTopicOrPartitionError, match="This server does not host this topic-partition"):
            admin.delete_topics(["nope"])
    finally:
        admin.close()
