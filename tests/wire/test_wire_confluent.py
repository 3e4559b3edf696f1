"""confluent-kafka (librdkafka) consumers and producers against kafkalab.wire.Server.

The consumers are polled round-robin from the test thread (librdkafka heartbeats from its own
threads); every wait has a deadline, and every client is closed before its server stops.
"""

from __future__ import annotations

import time

import pytest

ck = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from kafkalab import messages as m  # noqa: E402
from kafkalab import trace as tr  # noqa: E402
from kafkalab.errors import ErrorCode  # noqa: E402

pytestmark = pytest.mark.interop

WAIT_S = 20.0


#: Configs librdkafka refuses with ``group.protocol=consumer`` (the broker decides them).
CLASSIC_ONLY = ("session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy")

#: Every callback any member ran, in the order the test thread ran them (callbacks run inside
#: ``poll()``): ``(member name, kind, partitions)``.
CALLBACKS: list[tuple[str, str, tuple[int, ...]]] = []


class Member:
    """One librdkafka consumer and what its rebalance callbacks and messages told it.

    ``group.protocol=consumer`` (KIP-848) drops the classic-only configs; its callbacks are
    incremental, as with cooperative-sticky.
    """

    def __init__(self, name: str, bootstrap: str, group: str, **conf) -> None:
        self.name = name
        config = {
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 300,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "partition.assignment.strategy": "range", "socket.timeout.ms": 10000,
            "log_level": 3,
        }
        config.update(conf)
        if config.get("group.protocol") == "consumer":
            for key in CLASSIC_ONLY:
                config.pop(key)
            self.cooperative = True
        else:
            self.cooperative = config["partition.assignment.strategy"] == "cooperative-sticky"
        self.consumer = Consumer(config)
        self.owned: set[int] = set()
        self.events: list[tuple[str, tuple[int, ...]]] = []
        self.records: list[tuple[int, int, bytes]] = []
        self.errors: list = []
        self.closed = False

    def subscribe(self, topic: str) -> "Member":
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                on_lost=self._on_lost)
        return self

    def _on_assign(self, consumer, partitions) -> None:
        parts = tuple(sorted(p.partition for p in partitions))
        self.events.append(("assign", parts))
        CALLBACKS.append((self.name, "assign", parts))
        if self.cooperative:  # incremental: these partitions are added
            self.owned |= set(parts)
        else:
            self.owned = set(parts)

    def _on_revoke(self, consumer, partitions) -> None:
        parts = tuple(sorted(p.partition for p in partitions))
        self.events.append(("revoke", parts))
        CALLBACKS.append((self.name, "revoke", parts))
        if self.cooperative:  # incremental: only these are given up
            self.owned -= set(parts)
        else:
            self.owned = set()

    def _on_lost(self, consumer, partitions) -> None:
        self.events.append(("lost", tuple(sorted(p.partition for p in partitions))))
        CALLBACKS.append((self.name, "lost", self.events[-1][1]))
        self.owned -= {p.partition for p in partitions}

    def poll(self, timeout: float = 0.01) -> None:
        msg = self.consumer.poll(timeout)
        if msg is None:
            return
        if msg.error():
            self.errors.append(msg.error())
            return
        self.records.append((msg.partition(), msg.offset(), msg.value()))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.consumer.close()


def drive(members: list[Member], predicate, timeout: float = WAIT_S, what: str = "condition") -> float:
    """Poll every open member round-robin until ``predicate()``; return the seconds it took."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            state = {mb.name: (sorted(mb.owned), mb.events[-3:]) for mb in members}
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {state}")
        for mb in members:
            if not mb.closed:
                mb.poll()
    return time.monotonic() - t0


def covers(members: list[Member], partitions: int) -> bool:
    """Every member owns something, and together they own each partition exactly once."""
    sets = [mb.owned for mb in members]
    return all(sets) and sum(map(len, sets)) == partitions and set().union(*sets) == set(range(partitions))


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=10)
    futures[name].result(timeout=10)


def produce(bootstrap: str, topic: str, partitions: int, count: int, *, compression: str = "none",
            prefix: str = "m") -> set[bytes]:
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": compression, "linger.ms": 5,
                         "log_level": 3})
    failures = []
    values = set()
    for i in range(count):
        value = f"{prefix}{i}".encode()
        values.add(value)
        producer.produce(topic, value=value, key=str(i).encode(), partition=i % partitions,
                         on_delivery=lambda err, msg: err and failures.append(err))
    assert producer.flush(10) == 0
    assert not failures, failures
    return values


def join_responses(server, group: str) -> list:
    return [e.response for e in server.trace
            if isinstance(e, tr.ResponseSent) and e.group_id == group and isinstance(e.response, m.JoinGroupResponse)]


def test_three_consumers_share_six_partitions_consume_everything_once_commit_and_rebalance_on_close(
        make_server, members):
    server = make_server(brokers=3)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "orders", 6)
    group = [Member(f"c{i}", bootstrap, "orders-group") for i in range(3)]
    members.extend(group)
    for mb in group:
        mb.subscribe("orders")
    drive(group, lambda: covers(group, 6) and server.describe("orders-group")["state"] == "Stable",
          what="three members to cover six partitions")
    # Produced once the group is stable: with no commits yet, records read in an earlier
    # generation would be read again by the partition's next owner (at-least-once).
    produced = set()
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        produced |= produce(bootstrap, "orders", 6, 60, compression=codec, prefix=f"{codec}-")
    drive(group, lambda: sum(len(mb.records) for mb in group) >= len(produced), what="every record")
    time.sleep(0.3)
    for mb in group:
        mb.poll(0.05)
    consumed = [(p, o) for mb in group for p, o, _ in mb.records]
    assert len(consumed) == len(set(consumed)) == len(produced)          # exactly once
    assert {v for mb in group for _, _, v in mb.records} == produced
    for mb in group:                                                      # each read only what it owned
        assert {p for p, _, _ in mb.records} <= mb.owned

    for mb in group:
        mb.consumer.commit(asynchronous=False)
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "orders-group", "log_level": 3})
    try:
        committed = reader.committed([TopicPartition("orders", p) for p in range(6)], timeout=10)
    finally:
        reader.close()
    assert {tp.partition: tp.offset for tp in committed} == {p: 50 for p in range(6)}  # 5 codecs x 10 each

    # The coordinator's own record: the first JoinGroup of each new member was answered
    # MEMBER_ID_REQUIRED (KIP-394), and the first generation is 1.
    coordinator = server.cluster.coordinator_for("orders-group")
    joins = join_responses(server, "orders-group")
    assert joins[0].error_code is ErrorCode.MEMBER_ID_REQUIRED
    assert sum(j.error_code is ErrorCode.MEMBER_ID_REQUIRED for j in joins) == 3
    assert min(j.generation_id for j in joins if j.error_code is ErrorCode.NONE) == 1
    assert [e.new.value for e in coordinator.trace if isinstance(e, tr.StateChanged)][:3] == [
        "Empty", "PreparingRebalance", "CompletingRebalance"]
    other_brokers = [c for c in server.cluster.coordinators.values() if c is not coordinator]
    assert all(not any(isinstance(e, tr.RequestReceived) and e.group_id == "orders-group" for e in c.trace)
               for c in other_brokers)

    generation = server.describe("orders-group")["generation_id"]
    leaver, survivors = group[0], group[1:]
    t0 = time.monotonic()
    leaver.close()
    drive(survivors, lambda: covers(survivors, 6), what="the survivors to take over")
    assert time.monotonic() - t0 < 10
    described = server.describe("orders-group")
    assert described["generation_id"] == generation + 1 and len(described["members"]) == 2
    assert any(isinstance(e, tr.MemberRemoved) and e.reason is tr.MemberRemovalReason.LEAVE_GROUP for e in coordinator.trace)


def test_groups_are_coordinated_by_different_brokers(make_server, members):
    server = make_server(brokers=3, topics={"t": 2})
    by_node: dict[int, str] = {}
    for i in range(200):
        by_node.setdefault(server.coordinator_id(f"g{i}"), f"g{i}")
    assert len(by_node) == 3
    group = [Member(f"c{node}", server.bootstrap_servers, g).subscribe("t") for node, g in sorted(by_node.items())]
    members.extend(group)
    drive(group, lambda: all(len(mb.owned) == 2 for mb in group), what="each group to own both partitions")
    traces = server.traces
    for node, g in by_node.items():
        assert server.describe(g)["state"] == "Stable"
        seen = {e.group_id for e in traces[node] if isinstance(e, tr.RequestReceived)}
        assert seen == {g}


def test_cooperative_sticky_hands_over_only_the_moved_partitions(make_server, members):
    server = make_server()
    server.create_topic("t", 6)
    conf = {"partition.assignment.strategy": "cooperative-sticky"}
    first = [Member(f"c{i}", server.bootstrap_servers, "coop", **conf).subscribe("t") for i in range(2)]
    members.extend(first)
    drive(first, lambda: covers(first, 6) and all(len(mb.owned) == 3 for mb in first), what="two members")
    drive(first, lambda: server.describe("coop")["state"] == "Stable", what="a stable group")
    before = {mb.name: set(mb.owned) for mb in first}
    marks = {mb.name: len(mb.events) for mb in first}

    newcomer = Member("c2", server.bootstrap_servers, "coop", **conf).subscribe("t")
    members.append(newcomer)
    everyone = first + [newcomer]
    drive(everyone, lambda: covers(everyone, 6) and all(len(mb.owned) == 2 for mb in everyone),
          what="three members with two partitions each")
    for mb in first:
        revoked = {p for kind, parts in mb.events[marks[mb.name]:] if kind == "revoke" for p in parts}
        assigned = {p for kind, parts in mb.events[marks[mb.name]:] if kind == "assign" for p in parts}
        assert revoked == before[mb.name] - mb.owned        # only what moved was given up
        assert len(revoked) == 1 and not assigned            # nothing came back or was reshuffled
        assert not any(kind == "lost" for kind, _ in mb.events)
    assert newcomer.owned == set().union(*(before[mb.name] - mb.owned for mb in first))

    marks = {mb.name: len(mb.events) for mb in everyone}
    newcomer.close()
    survivors = first
    drive(survivors, lambda: covers(survivors, 6), what="the survivors to take the leaver's partitions")
    for mb in survivors:
        assert all(kind == "assign" for kind, _ in mb.events[marks[mb.name]:])  # survivors only gain


def test_a_static_member_restarted_within_its_session_timeout_gets_its_partitions_back_without_a_rebalance(
        make_server, members):
    server = make_server()
    server.create_topic("t", 6)
    group = [Member(f"c{i}", server.bootstrap_servers, "static", **{"group.instance.id": f"instance-{i}"})
             .subscribe("t") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6), what="three static members")
    drive(group, lambda: server.describe("static")["state"] == "Stable", what="a stable group")
    time.sleep(0.5)
    for mb in group:
        mb.poll(0.05)
    described = server.describe("static")
    generation = described["generation_id"]
    leader = described["leader_id"]
    # Restart a member that is not the leader (librdkafka static members send no LeaveGroup).
    victim = next(mb for mb in group if f"instance-{mb.name[1]}" != next(
        x["group_instance_id"] for x in described["members"] if x["member_id"] == leader))
    survivors = [mb for mb in group if mb is not victim]
    before = set(victim.owned)
    marks = {mb.name: len(mb.events) for mb in survivors}
    victim.close()
    restarted = Member(victim.name + "-again", server.bootstrap_servers, "static",
                       **{"group.instance.id": f"instance-{victim.name[1]}"}).subscribe("t")
    members.append(restarted)
    drive(survivors + [restarted], lambda: restarted.owned, what="the restarted member's assignment")
    assert restarted.owned == before
    end = time.monotonic() + 1.0     # survivors keep heartbeating: no rebalance reaches them
    while time.monotonic() < end:
        for mb in survivors + [restarted]:
            mb.poll()
    assert all(len(mb.events) == marks[mb.name] for mb in survivors)
    described = server.describe("static")
    assert described["generation_id"] == generation and described["state"] == "Stable"
    removed = [e for e in server.trace if isinstance(e, tr.MemberRemoved) and e.group_id == "static"]
    assert len(removed) == 1 and removed[0].reason is tr.MemberRemovalReason.STATIC_MEMBER_REPLACED
    assert removed[0].replaced_by in {m["member_id"] for m in described["members"]}


def test_consumers_find_their_groups_new_coordinator_after_a_leader_move_and_carry_on(make_server, members):
    """Moving the group's ``__consumer_offsets`` partition to another broker (a leader election)
    moves its coordinator: the consumers find the new one and go on consuming and committing,
    with their member ids, in the same generation (the group was loaded from the log)."""
    server = make_server(brokers=3)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "moving", 6)
    # Sessions long enough that a slow machine never expires a member while it looks for the
    # new coordinator; commits every 200 ms, so they keep reaching whichever broker coordinates.
    conf = {"session.timeout.ms": 30000, "enable.auto.commit": True, "auto.commit.interval.ms": 200}
    group = [Member(f"c{i}", bootstrap, "moving", **conf).subscribe("moving") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6) and server.describe("moving")["state"] == "Stable", timeout=60,
          what="three members to cover six partitions")

    def consumed() -> set[bytes]:
        return {v for mb in group for _, _, v in mb.records}

    before = produce(bootstrap, "moving", 6, 60, prefix="before-")
    drive(group, lambda: consumed() >= before, timeout=60, what="the records produced before the move")
    described = server.describe("moving")
    member_ids, generation = {x["member_id"] for x in described["members"]}, described["generation_id"]
    old = server.coordinator_id("moving")
    new = (old + 1) % 3
    seen = {node: len(events) for node, events in server.traces.items()}
    marks = {mb.name: len(mb.events) for mb in group}

    server.move_coordinator("moving", new)
    assert server.coordinator_id("moving") == new
    assert server.call(lambda: "moving" not in server.cluster.coordinators[old].groups)
    after = produce(bootstrap, "moving", 6, 60, prefix="after-")

    def on_new_coordinator(request_type) -> set[str]:
        """Member ids whose ``request_type`` requests for the group reached the new coordinator."""
        return {e.request.member_id for e in server.traces[new][seen[new]:]
                if isinstance(e, tr.RequestReceived) and e.group_id == "moving"
                and isinstance(e.request, request_type)}

    drive(group, lambda: consumed() >= before | after and on_new_coordinator(m.HeartbeatRequest) == member_ids
          and on_new_coordinator(m.OffsetCommitRequest) == member_ids, timeout=60,
          what="every record, and heartbeats and commits from every member at the new coordinator")
    described = server.describe("moving")
    assert described["state"] == "Stable"
    assert {x["member_id"] for x in described["members"]} == member_ids
    assert described["generation_id"] == generation
    values = [v for mb in group for _, _, v in mb.records]
    assert len(values) == len(set(values)) == len(before | after)        # every record, once
    assert all(len(mb.events) == marks[mb.name] for mb in group)        # no rebalance reached them
    # A JoinGroup never reached either coordinator after the move: the group was not rebuilt.
    for node in (old, new):
        assert not any(isinstance(e, tr.RequestReceived) and isinstance(e.request, m.JoinGroupRequest)
                       for e in server.traces[node][seen[node]:])

    # A client that has never met the group finds the new coordinator and reads what the
    # members committed on both sides of the move: 20 records per partition.
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "moving", "log_level": 3})
    try:
        deadline = time.monotonic() + 60
        while True:
            committed = reader.committed([TopicPartition("moving", p) for p in range(6)], timeout=10)
            offsets = {tp.partition: tp.offset for tp in committed}
            if offsets == {p: 20 for p in range(6)} or time.monotonic() > deadline:
                break
            for mb in group:
                mb.poll()
    finally:
        reader.close()
    assert offsets == {p: 20 for p in range(6)}
