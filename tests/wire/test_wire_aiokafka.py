"""aiokafka clients against kafkalab.wire.Server: admin, producer, a group of three, rebalance on stop.

Everything runs in one ``asyncio.run`` with ``asyncio.wait_for`` deadlines; every client is
stopped before the server.
"""

from __future__ import annotations

import asyncio
import time

import pytest

aiokafka = pytest.importorskip("aiokafka")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402

from kafkalab import trace as tr  # noqa: E402

pytestmark = pytest.mark.interop

WAIT_S = 20.0


def owned(c: AIOKafkaConsumer) -> set[int]:
    return {tp.partition for tp in c.assignment()}


def covers(consumers, partitions: int) -> bool:
    sets = [owned(c) for c in consumers]
    return all(sets) and sum(map(len, sets)) == partitions and set().union(*sets) == set(range(partitions))


async def drive(consumers, predicate, seen=None, timeout: float = WAIT_S, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {[sorted(owned(c)) for c in consumers]}")
        for c in consumers:
            batches = await c.getmany(timeout_ms=10)
            for tp, records in batches.items():
                if seen is not None:
                    seen.extend((tp.partition, r.offset, r.value) for r in records)


async def scenario(server) -> None:
    bootstrap = server.bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await asyncio.wait_for(admin.start(), 10)
    consumers: list[AIOKafkaConsumer] = []
    try:
        await asyncio.wait_for(admin.create_topics([NewTopic("aio", 6, 1)]), 10)
        for i in range(3):
            c = AIOKafkaConsumer("aio", bootstrap_servers=bootstrap, group_id="aio-group", client_id=f"a{i}",
                                 auto_offset_reset="earliest", enable_auto_commit=False, session_timeout_ms=6000,
                                 heartbeat_interval_ms=300, request_timeout_ms=10000)
            consumers.append(c)
            await asyncio.wait_for(c.start(), 10)
        await drive(consumers, lambda: covers(consumers, 6) and server.describe("aio-group")["state"] == "Stable",
                    what="three members to cover six partitions")

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", request_timeout_ms=10000)
        await asyncio.wait_for(producer.start(), 10)
        try:
            sent = [await producer.send("aio", value=b"v%d" % i, partition=i % 6) for i in range(60)]
            metadata = await asyncio.wait_for(asyncio.gather(*sent), 10)
        finally:
            await producer.stop()
        assert sorted(md.offset for md in metadata if md.partition == 5) == list(range(10))

        seen: list = []
        await drive(consumers, lambda: len(seen) >= 60, seen, what="every record")
        assert len(seen) == len({(p, o) for p, o, _ in seen}) == 60
        for c in consumers:
            await asyncio.wait_for(c.commit(), 10)
        first = consumers[0]
        for p in owned(first):
            assert await asyncio.wait_for(first.committed(TopicPartition("aio", p)), 10) == 10

        generation = server.describe("aio-group")["generation_id"]
        leaver = consumers.pop(0)
        await asyncio.wait_for(leaver.stop(), 10)
        await drive(consumers, lambda: covers(consumers, 6), what="the survivors to take over")
        assert server.describe("aio-group")["generation_id"] > generation
        coordinator = server.cluster.coordinator_for("aio-group")
        assert any(isinstance(e, tr.MemberRemoved) and e.reason is tr.MemberRemovalReason.LEAVE_GROUP for e in coordinator.trace)
    finally:
        for c in consumers:
            await asyncio.wait_for(c.stop(), 10)
        await admin.close()


def test_admin_producer_and_a_group_of_three(make_server):
    server = make_server(brokers=2)
    asyncio.run(asyncio.wait_for(scenario(server), 60))
