"""Simulated consumers with ``group_protocol="consumer"`` (KIP-848): the Java ``AsyncKafkaConsumer``'s
membership manager and heartbeat manager (docs/consumer-protocol.md §8) against the coordinator's
consumer groups (docs/consumer-protocol.md §2-§4)."""

from __future__ import annotations

import pytest

from kafkalab import ErrorCode
from kafkalab.messages import (
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
    JoinGroupRequest,
    OffsetCommitRequest,
    OffsetCommitResponse,
)
from kafkalab.sim import SimulationError, World
from kafkalab.sim import events as ev
from kafkalab.sim.async_client import AsyncSimConsumer

CONSUMER = {"group_protocol": "consumer"}
ALL_SIX = [("orders", p) for p in range(6)]


def heartbeats(world, name=None, *, responses=False):
    """ConsumerGroupHeartbeat requests sent by ``name`` (or responses sent to it), in order."""
    kind = ConsumerGroupHeartbeatResponse if responses else ConsumerGroupHeartbeatRequest
    return [e for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, kind)
            and (name is None or (e.dst if responses else e.src) == name)]


def states(world, name):
    return [(e.old, e.new) for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == name]


def ownership_steps(world):
    """Replay the callbacks: at every step, who owns what. Fails if a partition is owned twice."""
    owned: dict[tuple[str, int], str] = {}
    steps = []
    for e in world.trace:
        if isinstance(e, ev.PartitionsRevoked):
            for tp in e.partitions:
                assert owned.get(tp) == e.consumer, (e, owned.get(tp))
                del owned[tp]
        elif isinstance(e, ev.PartitionsAssigned):
            for tp in e.partitions:
                assert tp not in owned, f"{tp} assigned to {e.consumer} at {e.at} while {owned[tp]} owns it"
                owned[tp] = e.consumer
        elif isinstance(e, ev.ConsumerStopped):
            for tp in e.partitions:
                owned.pop(tp, None)
        elif isinstance(e, ev.ConsumerStarted) and e.restarted:  # the old process's partitions died with it
            owned = {tp: n for tp, n in owned.items() if n != e.consumer}
        else:
            continue
        steps.append((e, dict(owned)))
    return steps


def ownership_steps_of(world, names):
    """Like :func:`ownership_steps` for the callbacks of ``names`` only; returns the overlaps (none)."""
    owned: dict[tuple[str, int], str] = {}
    overlaps = []
    for e in world.trace:
        if getattr(e, "consumer", None) not in names:
            continue
        if isinstance(e, ev.PartitionsRevoked):
            for tp in e.partitions:
                owned.pop(tp, None)
        elif isinstance(e, ev.PartitionsAssigned):
            overlaps += [(tp, e.consumer, owned[tp]) for tp in e.partitions if tp in owned]
            owned.update({tp: e.consumer for tp in e.partitions})
    return overlaps


def three(**config):
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], **{**CONSUMER, **config})
    return world


def all_owned(world, group="g"):
    return sorted(tp for ps in world.assignments(group).values() for tp in ps)


def test_three_consumers_reach_a_reconciled_stable_group_and_every_heartbeat_is_in_the_trace():
    world = three()
    assert all(isinstance(c, AsyncSimConsumer) for c in world.consumers.values())
    t = world.run_until_stable("g")
    assert all_owned(world) == ALL_SIX
    assert sorted(len(ps) for ps in world.assignments("g").values()) == [2, 2, 2]
    d = world.describe("g")
    assert d["state"] == "Stable"
    epoch = d["group_epoch"]
    assert epoch == 3  # one bump per member joining
    # c2 and c3 joined while c1 held everything: they learn their partitions at their next
    # heartbeat, one broker heartbeat interval (5 s) after joining.
    assert 5000 <= t < 6000
    world.run(for_ms=world.latency_ms)  # the answers to the last acknowledgements arrive
    for name, c in world.consumers.items():
        assert c.state == "STABLE" and c.member_epoch == epoch
        sent, answered = heartbeats(world, name), heartbeats(world, name, responses=True)
        assert len(sent) == len(answered)
        # The join is a full request with epoch 0 and the client's own member id (KIP-1082).
        first = sent[0].message
        assert first.member_epoch == 0 and first.member_id == c.member_id and len(c.member_id) == 22
        assert first.subscribed_topic_names == ("orders",) and first.topic_partitions == ()
        assert first.rebalance_timeout_ms == 300_000
        # Every answer carries the member's epoch; the epochs it sends follow them.
        epochs = [a.message.member_epoch for a in answered]
        assert epochs == sorted(epochs) and epochs[-1] == epoch
        for req, prev in zip(sent[1:], answered):
            assert req.message.member_epoch == prev.message.member_epoch
            assert req.message.member_id == c.member_id
            assert req.message.subscribed_topic_names is None  # unchanged: not sent again
    # The ClientStateChanged events carry the member epoch.
    last = [e for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == "c2"][-1]
    assert last.new == "STABLE" and last.generation_id == epoch


def test_a_member_with_partitions_reconciles_revoke_then_assign_then_acknowledges():
    world = three()
    world.run_until_stable("g")
    assert states(world, "c1")[:4] == [("UNSUBSCRIBED", "JOINING"), ("JOINING", "RECONCILING"),
                                       ("RECONCILING", "ACKNOWLEDGING"), ("ACKNOWLEDGING", "STABLE")]
    assert ("STABLE", "RECONCILING") in states(world, "c1")
    # The heartbeat that acknowledges carries the owned partitions; one without change does not.
    acks = [e.message for e in heartbeats(world, "c1") if e.message.topic_partitions]
    assert len(acks) >= 2
    c1 = world["c1"]
    assert {p for t in acks[-1].topic_partitions for p in t.partitions} == {p for _, p in c1.assignment}
    world.run(for_ms=20_000)
    later = [e.message for e in heartbeats(world, "c1") if e.at > world.now - 15_000]
    assert later and all(m.topic_partitions is None for m in later)
    # and heartbeats go out HeartbeatIntervalMs (the broker's 5 s) after the last answer arrived.
    answers = {e.correlation_id: e.at for e in world.trace if isinstance(e, ev.MessageDelivered)
               and isinstance(e.message, ConsumerGroupHeartbeatResponse) and e.dst == "c1"}
    sent = heartbeats(world, "c1")
    gaps = {b.at - answers[a.correlation_id] for a, b in zip(sent[-4:], sent[-3:])}
    assert gaps == {5000}


def test_a_fourth_member_gets_partitions_revoked_elsewhere_first_never_owned_twice():
    world = three()
    world.run_until_stable("g")
    before = world.assignments("g")
    start = len(world.trace)
    world.consumer("c4", "g", ["orders"], **CONSUMER)
    world.run_until_stable("g")
    after = world.assignments("g")
    assert all_owned(world) == ALL_SIX and sorted(len(v) for v in after.values()) == [1, 1, 2, 2]
    assert after["c4"]
    steps = ownership_steps(world)  # asserts no partition is owned twice at any step
    assert steps
    moved = set(after["c4"])
    for tp in moved:
        old_owner = next(n for n, ps in before.items() if tp in ps)
        revoked = [e.at for e in world.trace[start:] if isinstance(e, ev.PartitionsRevoked)
                   and e.consumer == old_owner and tp in e.partitions]
        assigned = [e.at for e in world.trace[start:] if isinstance(e, ev.PartitionsAssigned)
                    and e.consumer == "c4" and tp in e.partitions]
        assert revoked and assigned and revoked[0] < assigned[0]


def test_a_crashed_member_is_fenced_by_the_session_timeout_and_the_rest_reconcile():
    world = three()
    world.run_until_stable("g")
    world.crash("c1")
    t = world.run_until_stable("g", timeout_ms=120_000)
    last = heartbeats(world, "c1")[-1]
    assert t >= last.at + 45_000  # group.consumer.session.timeout.ms after its last heartbeat
    assert set(world.assignments("g")) == {"c2", "c3"}
    assert all_owned(world) == ALL_SIX
    assert len(world.describe("g")["members"]) == 2
    ownership_steps(world)


def test_a_slow_poll_leaves_with_epoch_minus_one_goes_stale_and_rejoins_at_the_next_poll():
    world = three()
    world.run_until_stable("g")
    c1 = world["c1"]
    member_id = c1.member_id
    c1.stall(400_000)  # the next batch takes 400 s > max.poll.interval.ms
    world.run(for_ms=300_500)
    expired = [e for e in world.trace if isinstance(e, ev.PollTimeoutExpired) and e.consumer == "c1"]
    assert len(expired) == 1
    leave = [e.message for e in heartbeats(world, "c1") if e.at == expired[0].at]
    assert [m.member_epoch for m in leave] == [-1] and leave[0].member_id == member_id
    assert c1.state == "STALE"
    assert states(world, "c1")[-3:] == [("STABLE", "PREPARE_LEAVING"), ("PREPARE_LEAVING", "LEAVING"),
                                        ("LEAVING", "STALE")]
    world.run_until_stable("g", timeout_ms=200_000)
    # At its next poll it loses its partitions (onPartitionsLost) and rejoins with epoch 0, same id.
    lost = [e for e in world.trace if isinstance(e, ev.PartitionsRevoked) and e.consumer == "c1" and e.lost]
    assert lost and lost[0].at > expired[0].at
    rejoin = [e.message for e in heartbeats(world, "c1") if e.at >= lost[0].at]
    assert rejoin[0].member_epoch == 0 and rejoin[0].member_id == member_id
    assert all_owned(world) == ALL_SIX and len(world.describe("g")["members"]) == 3
    # Until that poll c1 still believed it owned partitions the group had given to others (a
    # zombie, as in Kafka): only the members that stayed never overlapped.
    assert ownership_steps_of(world, {"c2", "c3"}) == []


def test_a_static_member_bounce_leaves_with_epoch_minus_two_and_gets_its_partitions_back():
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], group_instance_id=f"i{i}", **CONSUMER)
    world.run_until_stable("g")
    before = world.assignments("g")
    old_id = world["c1"].member_id
    world.close("c1")
    assert heartbeats(world, "c1")[-1].message.member_epoch == -2
    world.run(for_ms=5_000)
    assert world.assignments("g") == {"c2": before["c2"], "c3": before["c3"]}  # nobody took c1's partitions
    world.restart("c1")
    assert world["c1"].member_id != old_id  # a new process makes a new member id
    world.run_until_stable("g")
    assert world.assignments("g") == before
    assert len(world.describe("g")["members"]) == 3
    ownership_steps(world)


@pytest.mark.parametrize("configs, message", [
    ({"session_timeout_ms": 10_000}, "session.timeout.ms cannot be set when group.protocol=CONSUMER"),
    ({"heartbeat_interval_ms": 1_000}, "heartbeat.interval.ms cannot be set when group.protocol=CONSUMER"),
    ({"partition_assignment_strategy": ["range"]},
     "partition.assignment.strategy cannot be set when group.protocol=CONSUMER"),
    ({"session_timeout_ms": 10_000, "partition_assignment_strategy": ["range"]},
     "partition.assignment.strategy, session.timeout.ms cannot be set when group.protocol=CONSUMER"),
])
def test_configs_the_consumer_protocol_refuses_are_refused_with_kafkas_message(configs, message):
    world = World(topics={"orders": 6})
    with pytest.raises(ValueError) as info:
        world.consumer("c1", "g", ["orders"], **CONSUMER, **configs)
    assert str(info.value).startswith(message)
    assert "c1" not in world.consumers


def test_group_remote_assignor_is_refused_with_classic_and_sent_as_server_assignor_with_consumer():
    world = World(topics={"orders": 6})
    with pytest.raises(ValueError, match="^group.remote.assignor cannot be set when group.protocol=CLASSIC"):
        world.consumer("c0", "g", ["orders"], group_remote_assignor="range")
    world.add_consumers(2, group="g", topics=["orders"], group_remote_assignor="range", **CONSUMER)
    world.run_until_stable("g")
    first = heartbeats(world, "c1")[0].message
    assert first.server_assignor == "range"
    assert world.describe("g")["assignor"] == "range"
    # range gives each member a contiguous block
    assert world.assignments("g") == {"c1": ALL_SIX[:3], "c2": ALL_SIX[3:]}
    assert all(m.message.server_assignor is None for m in heartbeats(world, "c1")[1:])


def test_an_unknown_server_assignor_is_fatal_as_in_the_java_consumer():
    world = World(topics={"orders": 6})
    world.consumer("c1", "g", ["orders"], group_remote_assignor="nope", **CONSUMER)
    world.run(for_ms=1_000)
    c1 = world["c1"]
    assert c1.status == "failed" and c1.fatal_error is ErrorCode.UNSUPPORTED_ASSIGNOR
    assert states(world, "c1")[-1] == ("JOINING", "FATAL")
    fatal = [e for e in world.trace if isinstance(e, ev.FatalError)]
    assert [(e.consumer, e.error_code) for e in fatal] == [("c1", ErrorCode.UNSUPPORTED_ASSIGNOR)]
    sent = len(heartbeats(world, "c1"))
    world.run(for_ms=30_000)
    assert len(heartbeats(world, "c1")) == sent  # FATAL sends nothing more


def test_a_member_fenced_by_the_coordinator_loses_its_partitions_and_rejoins_with_epoch_zero():
    world = three()
    world.run_until_stable("g")
    c1 = world["c1"]
    member_id, owned = c1.member_id, c1.assignment
    world.pause("c1", 50_000)  # longer than the session timeout: the coordinator removes it
    world.run(for_ms=50_001)
    world.run_until_stable("g", timeout_ms=60_000)
    answers = [e.message for e in heartbeats(world, "c1", responses=True)]
    assert ErrorCode.UNKNOWN_MEMBER_ID in [a.error_code for a in answers]
    fenced = [e for e in world.trace if isinstance(e, ev.ClientStateChanged) and e.consumer == "c1"
              and e.new == "FENCED"]
    assert len(fenced) == 1 and fenced[0].error_code is ErrorCode.UNKNOWN_MEMBER_ID
    assert fenced[0].generation_id == 0
    lost = [e for e in world.trace if isinstance(e, ev.PartitionsRevoked) and e.consumer == "c1"
            and e.at >= fenced[0].at]
    assert lost[0].lost and list(lost[0].partitions) == owned
    rejoin = [e.message for e in heartbeats(world, "c1") if e.at >= fenced[0].at]
    assert rejoin[0].member_epoch == 0 and rejoin[0].member_id == member_id
    assert rejoin[0].subscribed_topic_names == ("orders",)  # a full request again
    assert all_owned(world) == ALL_SIX and len(world.describe("g")["members"]) == 3
    assert ownership_steps_of(world, {"c2", "c3"}) == []


def test_unsubscribe_leaves_and_subscribe_joins_again():
    world = three()
    world.run_until_stable("g")
    world.unsubscribe("c1")
    c1 = world["c1"]
    assert c1.state == "UNSUBSCRIBED" and c1.assignment == []
    assert heartbeats(world, "c1")[-1].message.member_epoch == -1
    world.run_until_stable("g")
    assert set(world.assignments("g")) == {"c1", "c2", "c3"}
    assert all_owned(world) == ALL_SIX and world.assignments("g")["c1"] == []
    assert len(world.describe("g")["members"]) == 2
    world.subscribe("c1", ["orders"])
    world.run_until_stable("g")
    assert len(world.describe("g")["members"]) == 3 and world.assignments("g")["c1"]
    ownership_steps(world)


def test_close_revokes_then_leaves_and_the_others_take_over():
    world = three()
    world.run_until_stable("g")
    owned = world["c2"].assignment
    world.close("c2")
    revoked = [e for e in world.trace if isinstance(e, ev.PartitionsRevoked) and e.consumer == "c2"][-1]
    assert list(revoked.partitions) == owned and not revoked.lost
    assert heartbeats(world, "c2")[-1].message.member_epoch == -1
    world.run_until_stable("g")
    assert set(world.assignments("g")) == {"c1", "c3"} and all_owned(world) == ALL_SIX
    ownership_steps(world)


def test_added_partitions_reach_the_group():
    world = three()
    world.run_until_stable("g")
    world.add_partitions("orders", 9)
    world.run_until(lambda w: w.is_stable("g") and len(all_owned(w)) == 9, timeout_ms=60_000)
    assert all_owned(world) == [("orders", p) for p in range(9)]
    assert sorted(len(v) for v in world.assignments("g").values()) == [3, 3, 3]
    ownership_steps(world)


def test_classic_and_consumer_protocol_groups_live_in_one_world():
    world = World(topics={"orders": 6, "payments": 4})
    world.add_consumers(2, group="classic", topics=["orders"], prefix="k")
    world.add_consumers(2, group="modern", topics=["payments"], prefix="m", **CONSUMER)
    world.run_until(lambda w: w.is_stable("classic") and w.is_stable("modern"))
    assert sorted(tp for ps in world.assignments("classic").values() for tp in ps) == ALL_SIX
    assert sorted(tp for ps in world.assignments("modern").values() for tp in ps) == [("payments", p) for p in range(4)]
    assert {e.src for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, JoinGroupRequest)} \
        == {"k1", "k2"}
    assert {e.src for e in heartbeats(world)} == {"m1", "m2"}


def test_commits_carry_the_member_epoch():
    world = World(topics={"orders": (6, 1_000)})
    world.add_consumers(3, group="g", topics=["orders"], **CONSUMER)
    world.run_until_stable("g")
    world.run(for_ms=12_000)
    commits = [e for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, OffsetCommitRequest)]
    assert commits
    for e in commits:
        epochs = [a.message.member_epoch for a in heartbeats(world, e.src, responses=True) if a.at < e.at]
        assert e.message.generation_id == epochs[-1] and e.message.member_id == world[e.src].member_id
        assert e.message.api_version >= 9
    answers = [e.message for e in world.trace if isinstance(e, ev.MessageSent) and isinstance(e.message, OffsetCommitResponse)]
    assert answers and all(p.error_code is ErrorCode.NONE for a in answers for t in a.topics for p in t.partitions)


def test_a_consumer_protocol_run_repeats_exactly():
    def run():
        world = three()
        world.run_until_stable("g")
        return [(e.at, e.describe()) for e in world.trace], {n: c.member_id for n, c in world.consumers.items()}

    assert run() == run()


def test_a_group_that_never_settles_says_so():
    world = World(topics={"orders": 6})
    world.consumer("c1", "g", ["orders"], group_remote_assignor="nope", **CONSUMER)
    with pytest.raises(SimulationError):
        world.run_until_stable("g", timeout_ms=5_000)


def test_a_member_over_group_consumer_max_size_fails_with_group_max_size_reached():
    from kafkalab import CoordinatorConfig
    from kafkalab.modern import ConsumerGroupConfig

    world = World(topics={"orders": 6},
                  config=CoordinatorConfig(consumer=ConsumerGroupConfig(group_consumer_max_size=2)))
    world.add_consumers(2, group="g", topics=["orders"], **CONSUMER)
    world.run_until_stable("g")
    world.consumer("c3", "g", ["orders"], **CONSUMER)
    world.run(for_ms=1_000)
    c3 = world["c3"]
    assert c3.status == "failed" and c3.fatal_error is ErrorCode.GROUP_MAX_SIZE_REACHED
    assert world.is_stable("g") and set(world.assignments("g")) == {"c1", "c2"}


def test_a_moved_coordinator_is_found_again_and_the_membership_goes_on():
    world = World(topics={"orders": 6}, brokers=3)
    world.add_consumers(3, group="g", topics=["orders"], **CONSUMER)
    world.run_until_stable("g")
    before, epochs = world.assignments("g"), {n: c.member_epoch for n, c in world.consumers.items()}
    old = world.coordinator_for("g")
    target = next(n for n, c in world.coordinators.items() if c is not old)
    world.move_coordinator("g", target)
    world.run(for_ms=12_000)
    answers = [e.message.error_code for e in heartbeats(world, responses=True)]
    assert ErrorCode.NOT_COORDINATOR in answers
    assert world.is_stable("g") and world.assignments("g") == before
    assert {n: c.member_epoch for n, c in world.consumers.items()} == epochs  # the group was loaded from the log
    found = [e for e in world.trace if isinstance(e, ev.MessageSent) and type(e.message).__name__ == "FindCoordinatorRequest"]
    assert {e.src for e in found if e.at > 0} == {"c1", "c2", "c3"}


def test_a_new_subscription_travels_in_the_next_heartbeat_and_moves_the_assignment():
    world = World(topics={"orders": 4, "payments": 4})
    world.add_consumers(2, group="g", topics=["orders"], **CONSUMER)
    world.run_until_stable("g")
    world.subscribe("c1", ["orders", "payments"])
    world.subscribe("c2", ["orders", "payments"])
    world.run_until(lambda w: w.is_stable("g") and len(all_owned(w)) == 8, timeout_ms=30_000)
    sent = [e.message.subscribed_topic_names for e in heartbeats(world, "c1") if e.message.subscribed_topic_names]
    assert sent == [("orders",), ("orders", "payments")]
    assert sorted(len(v) for v in world.assignments("g").values()) == [4, 4]
    ownership_steps(world)


def test_a_consumer_restart_keeps_its_protocol_and_refuses_what_it_refuses():
    world = three()
    world.run_until_stable("g")
    with pytest.raises(ValueError, match="^session.timeout.ms cannot be set when group.protocol=CONSUMER"):
        world.restart("c1", session_timeout_ms=10_000)
    with pytest.raises(ValueError, match="keeps group_protocol='consumer'"):
        world["c1"].restart(world.now, group_protocol="classic")  # world.restart() swaps the consumer
    classic = World(topics={"orders": 6})
    classic.consumer("k1", "g", ["orders"])
    with pytest.raises(ValueError, match="keeps group_protocol='classic'"):
        classic["k1"].restart(classic.now, group_protocol="consumer")
    with pytest.raises(ValueError, match="^partition.assignment.strategy cannot be set when group.protocol=CONSUMER"):
        classic.restart("k1", group_protocol="consumer", partition_assignment_strategy=["range"])


def test_the_player_steps_through_heartbeats_and_explains_a_revocation_as_kip_848():
    from kafkalab.viz import build_steps

    world = three()
    world.run_until_stable("g")
    steps = build_steps(world.trace)
    assert any(s.kind == "request" and "ConsumerGroupHeartbeat" in s.sentence for s in steps)
    revokes = [s for s in steps if isinstance(s.event, ev.PartitionsRevoked)]
    assert revokes and all("KIP-848" in s.sentence and "eager" not in s.sentence for s in revokes)
    # The members panel: every consumer in the group, the group epoch as the generation.
    last = steps[-1]
    assert [(m.name, m.in_group) for m in last.members] == [("c1", True), ("c2", True), ("c3", True)]
    assert last.generation == world.describe("g")["group_epoch"]
    world.crash("c3")
    world.run_until_stable("g", timeout_ms=120_000)
    assert [(m.name, m.in_group) for m in build_steps(world.trace)[-1].members] == [
        ("c1", True), ("c2", True), ("c3", False)]


def test_a_static_member_whose_poll_times_out_leaves_with_epoch_minus_two():
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], group_instance_id=f"i{i}", **CONSUMER)
    world.run_until_stable("g")
    before = world.assignments("g")
    world["c1"].stall(310_000)
    world.run(for_ms=300_500)
    leave = [e.message for e in heartbeats(world, "c1") if e.message.member_epoch < 0]
    assert [m.member_epoch for m in leave] == [-2] and world["c1"].state == "STALE"
    world.run_until_stable("g", timeout_ms=60_000)
    assert world.assignments("g") == before  # back within the session timeout: same partitions


def test_rebalance_metrics_count_reconciliations():
    world = three()
    world.run_until_stable("g")
    m1, m2 = world.metrics("c1"), world.metrics("c2")
    # c1 reconciled twice (everything, then giving four up); c2 once, when its partitions came
    assert m1["rebalance-total"] == 2 and m2["rebalance-total"] == 1
    assert m1["failed-rebalance-total"] == 0
    assert m2["rebalance-latency-max"] >= 0 and m1["last-rebalance-seconds-ago"] >= 0


def test_a_consumer_protocol_member_upgrades_a_classic_group_and_its_leave_downgrades_it():
    world = World(topics={"orders": 6})
    world.add_consumers(2, group="g", topics=["orders"], prefix="k")  # classic
    world.run_until_stable("g")
    world.consumer("m1", "g", ["orders"], **CONSUMER)
    world.run_until_stable("g")
    # Online migration (docs/consumer-protocol.md §7): a consumer group with two classic members.
    d = world.describe("g")
    assert d["group_type"] == "consumer" and len(d["members"]) == 3
    assert all_owned(world) == ALL_SIX and all(world.assignments("g").values())
    assert {e.src for e in heartbeats(world)} == {"m1"}
    ownership_steps(world)  # no partition owned twice, classic and consumer members alike
    world.close("m1")
    world.run_until_stable("g")
    assert world.describe("g").get("group_type", "classic") == "classic"
    assert set(world.assignments("g")) == {"k1", "k2"} and all_owned(world) == ALL_SIX
    ownership_steps(world)


def test_a_rolling_upgrade_restarts_each_classic_consumer_with_the_consumer_protocol():
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"])  # classic
    world.run_until_stable("g")
    for name in ("c1", "c2", "c3"):
        world.restart(name, group_protocol="consumer")
        assert isinstance(world[name], AsyncSimConsumer)
        world.run_until_stable("g", timeout_ms=120_000)
        assert all_owned(world) == ALL_SIX
    d = world.describe("g")
    assert d["group_type"] == "consumer" and len(d["members"]) == 3
    assert {e.src for e in heartbeats(world)} == {"c1", "c2", "c3"}
    ownership_steps(world)
    # and back: the last consumer-protocol member to go downgrades the group
    for name in ("c1", "c2", "c3"):
        world.restart(name, group_protocol="classic")
        world.run_until_stable("g", timeout_ms=120_000)
    assert world.describe("g").get("group_type", "classic") == "classic" and all_owned(world) == ALL_SIX
    ownership_steps(world)
