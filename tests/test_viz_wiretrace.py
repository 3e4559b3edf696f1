"""The player on a consumer-protocol (KIP-848) run of real clients: :func:`kafkalab.viz.wire_steps`
reads a wire server's coordinator trace (ConsumerGroupHeartbeat requests, answers and the consumer
group's records) and tells it with the simulation's consumer-protocol steps and sentences
(docs/consumer-protocol.md §2.4, docs/wire.md).

The recorded run drives kafkalab's Coordinator as the wire server does (an ``Origin`` per request,
the member id made by the client, KIP-1082); the live run uses real librdkafka consumers and is
skipped when confluent_kafka is missing.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from kafkalab import Coordinator, CoordinatorConfig
from kafkalab.messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatTopicPartitions
from kafkalab.modern import MetadataImage
from kafkalab.modern.state import ConsumerGroupState
from kafkalab.sim import events as ev
from kafkalab.trace import RequestReceived, ResponseSent
from kafkalab.viz import Player
from kafkalab.viz.player import members_table_html
from kafkalab.viz.wiretrace import wire_events, wire_steps
from kafkalab.wire.broker import Origin

CGHB = "ConsumerGroupHeartbeat"


def recorded_run():
    """Two clients join group g (6 partitions), reconcile, and ``b`` leaves: the coordinator's trace
    as a wire server records it (origins are connections, member ids are the clients')."""
    image = MetadataImage.of({"orders": 6})
    topic_id = image.topic("orders").topic_id
    coordinator = Coordinator(CoordinatorConfig(), metadata=image)
    corr = itertools.count(1)
    epochs: dict[str, int] = {}

    def hb(conn, member, epoch, now, owned=None):
        owned_field = None if owned is None else (ConsumerGroupHeartbeatTopicPartitions(topic_id, tuple(owned)),)
        subscribed = ("orders",) if epoch == 0 else None
        request = ConsumerGroupHeartbeatRequest(group_id="g", member_id=member, member_epoch=epoch,
                                                rebalance_timeout_ms=30_000, subscribed_topic_names=subscribed,
                                                topic_partitions=owned_field if epoch != 0 else (),
                                                client_id=conn)
        replies = coordinator.handle(request, Origin(f"{conn}#1", next(corr), 1), now)
        answer = next(r.response for r in replies)
        epochs[conn] = answer.member_epoch
        return answer

    a = hb("a", "member-a", 0, 0)
    assert a.assignment is not None
    hb("a", "member-a", epochs["a"], 100, owned=range(6))
    hb("b", "member-b", 0, 200)                       # b waits for partitions a still owns
    kept = hb("a", "member-a", epochs["a"], 300, owned=range(6))
    mine = sorted(p for t in kept.assignment.topic_partitions for p in t.partitions)
    hb("a", "member-a", epochs["a"], 400, owned=mine)  # a revoked: b may take them now
    hb("b", "member-b", epochs["b"], 500, owned=())
    hb("b", "member-b", epochs["b"], 600, owned=sorted(set(range(6)) - set(mine)))
    hb("b", "member-b", -1, 1_000)
    return {0: coordinator.trace}


def test_wire_events_name_consumer_protocol_clients_by_client_id_and_origins_by_exchange():
    events = wire_events(recorded_run())
    sent = [e for e in events if isinstance(e, ev.MessageSent) and not e.src.startswith("broker-")]
    assert {e.src for e in sent} == {"a", "b"}
    for e in events:
        if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, (RequestReceived, ResponseSent)):
            name, correlation = e.event.origin
            assert name in ("a", "b") and isinstance(correlation, int)
    # The coordinator's record of an answer comes right before the answer, as in the simulated world.
    for k, e in enumerate(events):
        if isinstance(e, ev.MessageSent) and e.src.startswith("broker-"):
            before = events[k - 1]
            assert isinstance(before, ev.CoordinatorEvent) and isinstance(before.event, ResponseSent)
            assert before.event.origin == (e.dst, e.correlation_id)


def test_a_recorded_consumer_protocol_run_shows_heartbeat_steps_with_epochs_and_the_leave():
    steps, events = wire_steps(recorded_run(), "g")
    assert all(s.consumer_group for s in steps)
    requests = [s for s in steps if s.kind == "request"]
    # a's first acknowledgement (epoch 1, it owns all six, nothing changes) is routine, so hidden.
    assert [(s.event.src, s.event.message.member_epoch) for s in requests] == [
        ("a", 0), ("b", 0), ("a", 1), ("a", 1), ("b", 2), ("b", -1)]
    first = requests[0]
    assert "a joins with ConsumerGroupHeartbeat epoch 0" in first.sentence
    assert "computed the target assignment for epoch 1" in first.sentence
    assert first.member("a").state == "JOINING" and first.member("a").member_epoch == 1
    # b's join makes a revoke half of its partitions before b gets them, as the coordinator recorded.
    joined_b = requests[1]
    assert joined_b.member("b").member_state == "UNRELEASED_PARTITIONS" and joined_b.member("b").assignment == ()
    revoking = requests[2]
    assert revoking.member("a").member_state == "UNREVOKED_PARTITIONS"
    assert revoking.member("a").pending_revocation == (("orders", 3), ("orders", 4), ("orders", 5))
    assert "must first revoke orders-3,4,5" in revoking.sentence
    answer = steps[revoking.index + 1]
    assert answer.kind == "response" and answer.member("a").state == "RECONCILING"
    assert "member epoch 1 with the assignment orders-0,1,2" in answer.sentence
    stable = next(s for s in steps if s.kind == "group-state" and s.group_state is ConsumerGroupState.STABLE
                  and s.generation == 2)
    assert stable.member("a").member_epoch == stable.member("b").member_epoch == 2
    assert stable.member("a").assignment == (("orders", 0), ("orders", 1), ("orders", 2))
    assert stable.member("b").assignment == (("orders", 3), ("orders", 4), ("orders", 5))
    # The leave (epoch -1) is a step of its own; afterwards b is shown as left, with nothing.
    leave = requests[-1]
    assert leave.actor == "broker-0" and "b leaves with ConsumerGroupHeartbeat epoch -1" in leave.sentence
    assert steps[leave.index - 1].member("b").state == "STABLE"
    last = steps[-1].member("b")
    assert (last.state, last.in_group, last.member_epoch, last.assignment) == ("left", False, None, ())
    assert steps[-1].group_state is ConsumerGroupState.ASSIGNING
    # The same player as for a simulation; its members table says where a real client's partitions
    # and state come from (the broker does not see its callbacks).
    table = members_table_html(stable)
    assert ">member epoch</th>" in table and ">UNREVOKED_PARTITIONS<" not in table
    assert "as the coordinator recorded them (a real client" in table and "callbacks gave it" not in table
    Player(steps, trace=events)


def test_heartbeats_that_changed_nothing_are_hidden_unless_asked_for():
    hidden, _ = wire_steps(recorded_run(), "g")
    shown, _ = wire_steps(recorded_run(), "g", heartbeats=True)
    count = [sum(1 for s in steps if s.kind == "request" and s.event.message.member_epoch > 0)
             for steps in (hidden, shown)]
    assert count[0] < count[1]


# ---------------------------------------------------------------- real librdkafka consumers

@pytest.mark.interop
def test_real_librdkafka_consumers_on_the_consumer_protocol_show_cghb_steps_with_epochs():
    ck = pytest.importorskip("confluent_kafka")
    from kafkalab.modern import ConsumerGroupConfig
    from kafkalab.wire import Server

    config = CoordinatorConfig(group_initial_rebalance_delay_ms=0, consumer=ConsumerGroupConfig(
        group_consumer_heartbeat_interval_ms=300, group_consumer_min_heartbeat_interval_ms=100,
        group_consumer_session_timeout_ms=10_000, group_consumer_min_session_timeout_ms=1_000))
    server = Server(config=config, topics={"orders": 4}).start()
    owned: dict[str, set] = {"c1": set(), "c2": set()}
    stop = threading.Event()

    def consume(name):
        consumer = ck.Consumer({"bootstrap.servers": server.bootstrap_servers, "group.id": "g", "client.id": name,
                                "group.protocol": "consumer", "log_level": 3})
        consumer.subscribe(["orders"], on_assign=lambda c, ps: owned[name].update(p.partition for p in ps),
                           on_revoke=lambda c, ps: owned[name].difference_update(p.partition for p in ps))
        while not stop.is_set():
            consumer.poll(0.05)
        consumer.close()

    threads = [threading.Thread(target=consume, args=(n,), daemon=True) for n in owned]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                sorted(p for ps in owned.values() for p in ps) == [0, 1, 2, 3] and all(owned.values())
                and server.describe("g").get("state") == "Stable"):
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(20)
        server.stop()
    steps, _ = wire_steps(server, "g")
    requests = [s for s in steps if s.kind == "request" and s.event.message.__class__.__name__.startswith(CGHB)]
    assert {s.event.src for s in requests} == {"c1", "c2"}
    assert {s.event.message.member_epoch for s in requests} >= {0, -1}
    assert any(s.event.message.member_epoch > 0 for s in requests)
    assert any(s.member(n).member_epoch and s.member(n).member_epoch > 0 for s in steps for n in ("c1", "c2"))
    assert all(s.consumer_group for s in steps)
    assert steps[-1].group_state is ConsumerGroupState.EMPTY
