"""confluent-kafka (librdkafka 2.16) against kafkalab.wire.Server: topics changing under a group,
librdkafka's assignor rules, and a hostile JoinGroup next to a real consumer.

* ``AdminClient.create_partitions`` grows a topic while three librdkafka consumers (default
  assignors) are in a group; the group rebalances onto the new partitions. librdkafka notices a
  partition count change at its next metadata refresh (``topic.metadata.refresh.interval.ms``,
  5 minutes by default, 1 s here).
* DeleteTopics of another topic, of an unknown topic, and growing a topic to fewer partitions:
  each error names the problem, and the group keeps consuming without a rebalance. Deleting a
  topic the group is subscribed to makes it vanish: the members get "Subscribed topic not
  available" and a rebalance leaves them the other topic's partitions.
* librdkafka's default ``partition.assignment.strategy`` is ``range,roundrobin``; it refuses to
  create a consumer whose list mixes eager and cooperative assignors; a cooperative-sticky
  consumer cannot join a group of eager members (INCONSISTENT_GROUP_PROTOCOL, retried every few
  seconds) until the last eager member is gone; an eager-to-eager change (range to roundrobin)
  works as a rolling restart in two steps. docs/real-clients.md §8 records the findings.
* A raw JoinGroup that lists "range" twice, next to a real consumer: it is answered, and the
  consumer keeps consuming.

Every consumer polls in a thread of its own (callbacks run there); the test thread only reads
what they recorded. Every wait has a generous deadline, for a loaded 2-core machine.
"""

from __future__ import annotations

import threading
from typing import Optional

import pytest

ck = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic  # noqa: E402

from kafkalab import messages as m  # noqa: E402
from kafkalab import trace as tr  # noqa: E402
from wire_helpers import RawClient, address, wait_for  # noqa: E402

pytestmark = pytest.mark.interop

WAIT_S = 45.0


class Member:
    """One librdkafka consumer, polled by its own thread; what its callbacks and messages told it."""

    def __init__(self, name: str, bootstrap: str, group: str, topics: list[str], **conf) -> None:
        self.name = name
        config = {
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000,
            "socket.timeout.ms": 10000, "log_level": 0,
        }
        config.update(conf)
        self.cooperative = config.get("partition.assignment.strategy") == "cooperative-sticky"
        self.consumer = Consumer(config)
        self.lock = threading.Lock()
        self.owned: set[tuple[str, int]] = set()
        self.assignments = 0
        self.records: list[tuple[str, int, int, bytes]] = []
        self.errors: list[KafkaError] = []
        self.stop = threading.Event()
        self.consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.thread = threading.Thread(target=self._run, name=f"poll-{name}", daemon=True)
        self.thread.start()

    def _on_assign(self, consumer, partitions) -> None:
        got = {(p.topic, p.partition) for p in partitions}
        with self.lock:
            self.owned = self.owned | got if self.cooperative else got
            self.assignments += 1

    def _on_revoke(self, consumer, partitions) -> None:
        with self.lock:
            self.owned = self.owned - {(p.topic, p.partition) for p in partitions} if self.cooperative else set()

    def _on_lost(self, consumer, partitions) -> None:
        self._on_revoke(consumer, partitions)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                msg = self.consumer.poll(0.05)
                if msg is None:
                    continue
                with self.lock:
                    if msg.error():
                        self.errors.append(msg.error())
                    else:
                        self.records.append((msg.topic(), msg.partition(), msg.offset(), msg.value()))
        finally:
            self.consumer.close()

    def snapshot(self) -> set[tuple[str, int]]:
        with self.lock:
            return set(self.owned)

    def values(self) -> set[bytes]:
        with self.lock:
            return {v for _, _, _, v in self.records}

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


@pytest.fixture
def members():
    made: list[Member] = []
    yield made
    for member in made:
        member.close()


def owns_exactly(group: list[Member], partitions: set[tuple[str, int]]) -> bool:
    """Every member owns something and together they own ``partitions``, each once."""
    sets = [mb.snapshot() for mb in group]
    return all(sets) and sum(map(len, sets)) == len(partitions) and set().union(*sets) == partitions


def produce(bootstrap: str, topic: str, partitions: list[int], per_partition: int, prefix: str) -> set[bytes]:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "log_level": 0})
    failures: list = []
    values = set()
    for p in partitions:
        for i in range(per_partition):
            value = f"{prefix}-{p}-{i}".encode()
            values.add(value)
            producer.produce(topic, value=value, partition=p, on_delivery=lambda err, msg: err and failures.append(err))
    assert producer.flush(30) == 0
    assert not failures, failures
    return values


def admin_error(future) -> KafkaError:
    with pytest.raises(KafkaException) as info:
        future.result(30)
    return info.value.args[0]


def joins(server, group: str) -> list[m.JoinGroupRequest]:
    return [e.request for e in server.trace if isinstance(e, tr.RequestReceived) and e.group_id == group
            and isinstance(e.request, m.JoinGroupRequest)]


def join_answers(server, group: str, client: Optional[str] = None) -> list[m.JoinGroupResponse]:
    return [e.response for e in server.trace if isinstance(e, tr.ResponseSent) and e.group_id == group
            and isinstance(e.response, m.JoinGroupResponse)
            and (client is None or str(e.origin.connection).startswith(client + "#"))]


# ---------------------------------------------------------------------------- topics changing under a group

def test_growing_a_topic_under_a_librdkafka_group_rebalances_onto_the_new_partitions(make_server, members):
    server = make_server(brokers=3)
    bootstrap = server.bootstrap_servers
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    admin.create_topics([NewTopic("grow", 6, 1)])["grow"].result(30)
    group = [Member(f"c{i}", bootstrap, "grow-group", ["grow"]) for i in range(3)]  # default assignors
    members.extend(group)
    six = {("grow", p) for p in range(6)}
    wait_for(lambda: owns_exactly(group, six) and server.describe("grow-group")["state"] == "Stable", WAIT_S,
             what="three members to share six partitions")
    assert {tuple(p.name for p in j.protocols) for j in joins(server, "grow-group")} == {("range", "roundrobin")}
    before = produce(bootstrap, "grow", list(range(6)), 10, "before")
    wait_for(lambda: set().union(*(mb.values() for mb in group)) >= before, WAIT_S, what="the first records")
    generation = server.describe("grow-group")["generation_id"]

    assert admin.create_partitions([NewPartitions("grow", 9)])["grow"].result(30) is None
    assert server.call(lambda: server.cluster.topics["grow"].num_partitions) == 9
    nine = {("grow", p) for p in range(9)}
    wait_for(lambda: owns_exactly(group, nine) and server.describe("grow-group")["state"] == "Stable", WAIT_S,
             what="the group to rebalance onto nine partitions")
    assert server.describe("grow-group")["generation_id"] > generation
    after = produce(bootstrap, "grow", list(range(9)), 10, "after")
    wait_for(lambda: set().union(*(mb.values() for mb in group)) >= after, WAIT_S, what="the records after growing")
    records = [r for mb in group for r in mb.records if r[3] in after]
    on_new = [(p, o) for _, p, o, _ in records if p >= 6]
    assert len(on_new) == len(set(on_new)) == 30                       # the new partitions: exactly once
    assert {v for *_, v in records} == after
    for mb in group:                                                   # each read what it owns now
        assert {("grow", p) for _, p, _, v in mb.records if v in after} <= mb.snapshot()


def test_admin_errors_name_the_problem_and_the_group_keeps_consuming(make_server, members):
    server = make_server(topics={"work": 4, "other": 2})
    bootstrap = server.bootstrap_servers
    group = [Member(f"c{i}", bootstrap, "work-group", ["work"], **{"partition.assignment.strategy": "range"})
             for i in range(2)]
    members.extend(group)
    four = {("work", p) for p in range(4)}
    wait_for(lambda: owns_exactly(group, four) and server.describe("work-group")["state"] == "Stable", WAIT_S,
             what="two members to share four partitions")
    generation = server.describe("work-group")["generation_id"]
    assignments = [mb.assignments for mb in group]
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})

    assert admin.delete_topics(["other"])["other"].result(30) is None   # DeleteTopics v4
    assert "other" not in admin.list_topics(timeout=30).topics
    error = admin_error(admin.delete_topics(["nope"])["nope"])
    assert (error.code(), error.str()) == (KafkaError.UNKNOWN_TOPIC_OR_PART, "Broker: Unknown topic or partition")
    error = admin_error(admin.create_partitions([NewPartitions("work", 3)])["work"])
    assert (error.code(), error.str()) == (
        KafkaError.INVALID_PARTITIONS, "The topic work currently has 4 partition(s); 3 would not be an increase.")
    error = admin_error(admin.create_partitions([NewPartitions("work", 4)])["work"])
    assert (error.code(), error.str()) == (KafkaError.INVALID_PARTITIONS, "Topic already has 4 partition(s).")
    error = admin_error(admin.create_partitions([NewPartitions("nope", 4)])["nope"])
    assert error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    error = admin_error(admin.delete_topics(["__consumer_offsets"])["__consumer_offsets"])
    assert error.code() == KafkaError.INVALID_REQUEST

    values = produce(bootstrap, "work", list(range(4)), 5, "still")
    wait_for(lambda: set().union(*(mb.values() for mb in group)) >= values, WAIT_S, what="records after the errors")
    assert server.describe("work-group")["generation_id"] == generation   # nothing made it rebalance
    assert [mb.assignments for mb in group] == assignments            # no callback either


def test_a_deleted_topic_vanishes_from_its_subscribers(make_server, members):
    server = make_server(topics={"keep": 2, "gone": 2})
    bootstrap = server.bootstrap_servers
    group = [Member(f"c{i}", bootstrap, "both", ["keep", "gone"]) for i in range(2)]
    members.extend(group)
    everything = {(t, p) for t in ("keep", "gone") for p in range(2)}
    wait_for(lambda: owns_exactly(group, everything), WAIT_S, what="two members to share both topics")
    generation = server.describe("both")["generation_id"]
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    assert admin.delete_topics(["gone"])["gone"].result(30) is None
    keep = {("keep", p) for p in range(2)}
    wait_for(lambda: owns_exactly(group, keep) and server.describe("both")["state"] == "Stable", WAIT_S,
             what="the members to drop the deleted topic")
    assert server.describe("both")["generation_id"] > generation
    # Each member reports it at its next metadata refresh (a ListOffsets or Fetch of the topic
    # may fail first with the same code: "Failed to query logical offset BEGINNING: ...").
    gone = "Subscribed topic not available: gone: Broker: Unknown topic or partition"
    for mb in group:
        wait_for(lambda: any(e.str() == gone and e.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
                             for e in list(mb.errors)), WAIT_S, what=f"{mb.name} to report the topic gone")
    assert "gone" not in server.call(lambda: set(server.cluster.topics))  # not created again by the consumers


# ---------------------------------------------------------------------------- librdkafka's assignor rules

MIXED_ERROR = ("Failed to create consumer: All partition.assignment.strategy (range,cooperative-sticky) assignors "
               "must have the same protocol type, online migration between assignors with different protocol "
               "types is not supported")


def test_librdkafka_refuses_a_strategy_list_that_mixes_eager_and_cooperative_assignors():
    with pytest.raises(KafkaException) as info:
        Consumer({"bootstrap.servers": "127.0.0.1:9", "group.id": "g",
                  "partition.assignment.strategy": "range,cooperative-sticky"})
    error = info.value.args[0]
    assert (error.code(), error.str()) == (KafkaError._INVALID_ARG, MIXED_ERROR)


def test_a_cooperative_member_cannot_join_an_eager_group_until_the_last_eager_member_is_gone(make_server, members):
    """A rolling restart from range to cooperative-sticky, one member at a time: each restarted
    member is refused (INCONSISTENT_GROUP_PROTOCOL, retried) while any range member is left, and
    the range members keep consuming; once the last one leaves, the cooperative members form the
    group and go on from the committed offsets."""
    server = make_server(topics={"roll": 4})
    bootstrap = server.bootstrap_servers
    commit = {"enable.auto.commit": True, "auto.commit.interval.ms": 200}
    eager = [Member(f"r{i}", bootstrap, "roll", ["roll"], **{"partition.assignment.strategy": "range"}, **commit)
             for i in range(2)]
    members.extend(eager)
    four = {("roll", p) for p in range(4)}
    wait_for(lambda: owns_exactly(eager, four) and server.describe("roll")["state"] == "Stable", WAIT_S,
             what="two range members")
    first = produce(bootstrap, "roll", list(range(4)), 5, "first")
    wait_for(lambda: set().union(*(mb.values() for mb in eager)) >= first, WAIT_S, what="the first records")
    generation = server.describe("roll")["generation_id"]

    eager[0].close()                                                     # step 1: restart r0 ...
    coop = [Member("k0", bootstrap, "roll", ["roll"], **{"partition.assignment.strategy": "cooperative-sticky"},
                   **commit)]                                            # ... as cooperative-sticky
    members.extend(coop)
    refused = lambda: [e for e in coop[0].errors if e.code() == KafkaError.INCONSISTENT_GROUP_PROTOCOL]  # noqa: E731
    wait_for(lambda: len(refused()) >= 2, WAIT_S, what="k0 to be refused twice (it retries)")
    assert refused()[0].str() == "JoinGroup failed: Broker: Inconsistent group protocol"
    wait_for(lambda: eager[1].snapshot() == four, WAIT_S, what="r1 to take r0's partitions")
    assert not coop[0].snapshot()
    assert {a.error_code.name for a in join_answers(server, "roll", "k0")} == {"INCONSISTENT_GROUP_PROTOCOL"}
    second = produce(bootstrap, "roll", list(range(4)), 5, "second")
    wait_for(lambda: eager[1].values() >= second, WAIT_S, what="r1 to consume alone")

    eager[1].close()                                                     # step 2: the last range member goes
    coop.append(Member("k1", bootstrap, "roll", ["roll"], **{"partition.assignment.strategy": "cooperative-sticky"},
                       **commit))
    members.append(coop[-1])
    wait_for(lambda: owns_exactly(coop, four) and server.describe("roll")["state"] == "Stable", WAIT_S,
             what="the cooperative members to form the group")
    assert server.describe("roll")["protocol_name"] == "cooperative-sticky"
    assert server.describe("roll")["generation_id"] > generation
    third = produce(bootstrap, "roll", list(range(4)), 5, "third")
    wait_for(lambda: set().union(*(mb.values() for mb in coop)) >= third, WAIT_S, what="the cooperative members")
    # Committed offsets carried the group over: nothing of the first round was read again.
    assert not set().union(*(mb.values() for mb in coop)) & first


def test_an_eager_assignor_change_works_as_a_two_step_rolling_restart(make_server, members):
    """range -> roundrobin: first restart every member with librdkafka's default list
    (range,roundrobin; the group keeps range, everyone's first choice), then with roundrobin alone:
    the first roundrobin member makes roundrobin the only protocol every member supports."""
    server = make_server(topics={"swap": 4})
    bootstrap = server.bootstrap_servers
    four = {("swap", p) for p in range(4)}

    def member(name: str, strategy: Optional[str]) -> Member:
        conf = {} if strategy is None else {"partition.assignment.strategy": strategy}
        made = Member(name, bootstrap, "swap", ["swap"], **conf)
        members.append(made)
        return made

    group = [member("a", "range"), member("b", "range")]
    wait_for(lambda: owns_exactly(group, four), WAIT_S, what="two range members")
    for step, strategy, protocol in ((1, None, "range"), (2, "roundrobin", "roundrobin")):
        for i in range(2):
            group[i].close()
            group[i] = member(f"{'ab'[i]}{step}", strategy)
            wait_for(lambda: owns_exactly(group, four) and server.describe("swap")["state"] == "Stable", WAIT_S,
                     what=f"step {step}: the group with {group[i].name}")
        assert server.describe("swap")["protocol_name"] == protocol
    assert not any(e.code() == KafkaError.INCONSISTENT_GROUP_PROTOCOL for mb in group for e in mb.errors)
    assert {a.error_code.name for a in join_answers(server, "swap")} <= {"NONE", "MEMBER_ID_REQUIRED"}


# ---------------------------------------------------------------------------- a hostile JoinGroup

SUBSCRIPTION = b"\x00\x00\x00\x00\x00\x01\x00\x03dup\xff\xff\xff\xff"   # consumer protocol v0: topic "dup"


def test_a_join_group_listing_a_protocol_twice_is_answered_and_a_real_consumer_keeps_consuming(make_server, members):
    server = make_server(topics={"dup": 2})
    bootstrap = server.bootstrap_servers
    real = Member("real", bootstrap, "dup-group", ["dup"], **{"partition.assignment.strategy": "range"})
    members.append(real)
    two = {("dup", 0), ("dup", 1)}
    wait_for(lambda: real.snapshot() == two and server.describe("dup-group")["state"] == "Stable", WAIT_S,
             what="the real consumer to own both partitions")
    first = produce(bootstrap, "dup", [0, 1], 5, "first")
    wait_for(lambda: real.values() >= first, WAIT_S, what="the first records")

    join = dict(group_id="dup-group", session_timeout=2000, rebalance_timeout=10000, group_instance_id=None,
                protocol_type="consumer", protocols=[{"name": "range", "metadata": SUBSCRIPTION},
                                                     {"name": "range", "metadata": SUBSCRIPTION}])
    coordinator = server.coordinator_id("dup-group")
    with RawClient(address(server, coordinator), timeout=WAIT_S) as raw:
        answer = raw.call(11, 5, member_id="", **join)
        assert answer.error_code == 79                                 # MEMBER_ID_REQUIRED, as from Kafka
        answer = raw.call(11, 5, member_id=answer.member_id, **join)   # parked until the real one rejoins
        assert (answer.error_code, answer.protocol_name) == (0, "range")
        # The raw member never syncs or heartbeats: its session ends and the real consumer gets
        # both partitions back, consuming all along.
        wait_for(lambda: real.snapshot() == two and len(server.describe("dup-group")["members"]) == 1
                 and server.describe("dup-group")["state"] == "Stable", WAIT_S,
                 what="the raw member's session to end")
    second = produce(bootstrap, "dup", [0, 1], 5, "second")
    wait_for(lambda: real.values() >= second, WAIT_S, what="records after the hostile join")
    assert server.describe("dup-group")["protocol_name"] == "range"
