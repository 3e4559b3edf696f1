"""confluent-kafka (librdkafka 2.16) consumers with ``group.protocol=consumer`` (KIP-848) against
kafkalab.wire.Server: ConsumerGroupHeartbeat and ConsumerGroupDescribe over the wire, answered by
kafkalab's consumer groups (docs/consumer-protocol.md, docs/wire.md).

The members are polled round-robin from the test thread (librdkafka heartbeats from its own
threads); every wait has a deadline. The broker side is short-timed so that a test never waits
for Kafka's 45 s session timeout: a 10 s session and a 300 ms heartbeat interval.
"""

from __future__ import annotations

import time

import pytest

ck = pytest.importorskip("confluent_kafka")
from confluent_kafka import ConsumerGroupState, ConsumerGroupType, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

from kafkalab import CoordinatorConfig  # noqa: E402
from kafkalab import messages as m  # noqa: E402
from kafkalab import trace as tr  # noqa: E402
from kafkalab.modern import ConsumerGroupConfig  # noqa: E402
from kafkalab.modern import events as ev  # noqa: E402
from kafkalab.wire.codec import uuid_from_text  # noqa: E402
from test_wire_confluent import CALLBACKS, Member, covers, create_topic, drive, produce  # noqa: E402

pytestmark = pytest.mark.interop

WAIT_S = 60.0   # generous: a loaded 2-core machine runs the clients' threads late
CONSUMER = {"group.protocol": "consumer"}
CONFIG = CoordinatorConfig(
    group_initial_rebalance_delay_ms=0, group_min_session_timeout_ms=1000,
    consumer=ConsumerGroupConfig(group_consumer_session_timeout_ms=10_000, group_consumer_min_session_timeout_ms=1000,
                                 group_consumer_heartbeat_interval_ms=300,
                                 group_consumer_min_heartbeat_interval_ms=100))


def start(make_server, **kwargs):
    return make_server(config=CONFIG, **kwargs)


def group_of(server, group: str) -> dict:
    described = server.describe(group)
    assert described.get("group_type") == "consumer", described
    return described


def stable(server, group: str, members: int) -> bool:
    """The group is Stable with ``members`` members, every one reconciled to the target."""
    described = server.describe(group)
    return (described.get("state") == "Stable" and len(described["members"]) == members
            and all(x["reconciled"] and not x["pending_revocation"] for x in described["members"]))


def settle(group: list[Member], seconds: float) -> None:
    """Poll every open member for ``seconds`` (a window in which nothing is expected to happen)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for mb in group:
            if not mb.closed:
                mb.poll()


def owners_never_overlap(server, group: str) -> None:
    """Replay the coordinator's member records: at no point may a partition be held by two
    members (what a member holds is its assigned partitions plus those pending revocation)."""
    held: dict[str, set[tuple[str, int]]] = {}
    for e in server.trace:
        if getattr(e, "group_id", None) != group:
            continue
        if isinstance(e, ev.MemberAssignmentUpdated):
            held[e.member_id] = {(t, p) for part in (e.assigned, e.pending_revocation)
                                 for t, ps in part for p in ps}
        elif isinstance(e, ev.MemberRemoved):
            held.pop(e.member_id, None)
        else:
            continue
        seen: dict[tuple[str, int], str] = {}
        for member, partitions in held.items():
            for tp in partitions:
                assert tp not in seen, f"{tp} held by {seen[tp]} and {member} at {e.at} ms ({e})"
                seen[tp] = member


# ---------------------------------------------------------------- joining, consuming, leaving

def test_three_consumers_consume_every_record_once_and_a_leavers_partitions_move_without_stopping_the_others(
        make_server, members):
    server = start(make_server, brokers=3)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "orders", 6)
    group = [Member(f"c{i}", bootstrap, "orders-848", **CONSUMER).subscribe("orders") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6) and stable(server, "orders-848", 3), timeout=WAIT_S,
          what="three members to share six partitions")
    described = group_of(server, "orders-848")
    assert described["assignor"] == "uniform" and sorted(len(x["assigned"]["orders"]) for x in described["members"]) \
        == [2, 2, 2]
    # The ConsumerGroupHeartbeats reached the group's coordinator only, in v1 (librdkafka's only version).
    coordinator = server.cluster.coordinator_for("orders-848")
    heartbeats = [e.request for e in server.trace
                  if isinstance(e, tr.RequestReceived) and isinstance(e.request, m.ConsumerGroupHeartbeatRequest)]
    assert heartbeats and {h.api_version for h in heartbeats} == {1}
    assert {h.client_id for h in heartbeats if h.member_epoch == 0} == {"c0", "c1", "c2"}
    assert all(not any(isinstance(e, tr.RequestReceived) and e.group_id == "orders-848" for e in c.trace)
               for c in server.cluster.coordinators.values() if c is not coordinator)

    produced = produce(bootstrap, "orders", 6, 120, prefix="a-")
    drive(group, lambda: sum(len(mb.records) for mb in group) >= len(produced), timeout=WAIT_S, what="every record")
    consumed = [(p, o) for mb in group for p, o, _ in mb.records]
    assert len(consumed) == len(set(consumed)) == len(produced)               # exactly once
    assert {v for mb in group for _, _, v in mb.records} == produced
    for mb in group:                                                           # each read only what it owned
        assert {p for p, _, _ in mb.records} <= mb.owned

    # One member commits what it read and leaves: its partitions move, the others keep theirs.
    leaver, survivors = group[0], group[1:]
    kept = {mb.name: set(mb.owned) for mb in survivors}
    marks = {mb.name: len(mb.events) for mb in survivors}
    leaver.consumer.commit(asynchronous=False)
    leaver.close()
    drive(survivors, lambda: covers(survivors, 6) and stable(server, "orders-848", 2), timeout=WAIT_S,
          what="the survivors to take the leaver's partitions")
    for mb in survivors:
        assert mb.owned >= kept[mb.name]
        assert all(kind == "assign" for kind, _ in mb.events[marks[mb.name]:])  # nothing revoked: no stop
    removed = [e for e in server.trace if isinstance(e, ev.MemberRemoved) and e.group_id == "orders-848"]
    assert [e.reason for e in removed] == [ev.RemovalReason.MEMBER_LEFT]
    more = produce(bootstrap, "orders", 6, 60, prefix="b-")
    drive(survivors, lambda: {v for mb in survivors for _, _, v in mb.records} >= more, timeout=WAIT_S,
          what="the records produced after the leave")
    after = [v for mb in survivors for _, _, v in mb.records if v.startswith(b"b-")]
    assert len(after) == len(set(after)) == len(more)
    owners_never_overlap(server, "orders-848")


def test_a_newcomer_gets_partitions_only_after_their_owner_released_them(make_server, members):
    server = start(make_server)
    server.create_topic("t", 6)
    first = [Member(f"n{i}", server.bootstrap_servers, "handover", **CONSUMER).subscribe("t") for i in range(2)]
    members.extend(first)
    drive(first, lambda: covers(first, 6) and stable(server, "handover", 2), timeout=WAIT_S, what="two members")
    before = {mb.name: set(mb.owned) for mb in first}
    mark = len(CALLBACKS)
    epoch = group_of(server, "handover")["group_epoch"]

    newcomer = Member("n2", server.bootstrap_servers, "handover", **CONSUMER).subscribe("t")
    members.append(newcomer)
    everyone = first + [newcomer]
    drive(everyone, lambda: covers(everyone, 6) and stable(server, "handover", 3), timeout=WAIT_S,
          what="three members with two partitions each")
    assert sorted(len(mb.owned) for mb in everyone) == [2, 2, 2]
    assert group_of(server, "handover")["group_epoch"] == epoch + 1            # one rebalance, one epoch
    callbacks = CALLBACKS[mark:]
    for mb in first:  # the owners only gave up (librdkafka follows a revocation with an empty assign)
        mine = [(kind, parts) for name, kind, parts in callbacks if name == mb.name]
        assert {kind for kind, parts in mine if parts} == {"revoke"}, mine
        assert {p for _, parts in mine for p in parts} == before[mb.name] - mb.owned
    # The newcomer was given each partition after its owner's revocation callback had run.
    for i, (name, kind, parts) in enumerate(callbacks):
        if name == "n2" and kind == "assign":
            for p in parts:
                assert any(n != "n2" and k == "revoke" and p in ps for n, k, ps in callbacks[:i]), (p, callbacks)
    # The coordinator's view: never two holders, and the newcomer waited for released partitions.
    owners_never_overlap(server, "handover")


# ---------------------------------------------------------------- static membership

def test_a_static_member_restarts_without_a_reassignment(make_server, members):
    server = start(make_server)
    server.create_topic("t", 6)
    group = [Member(f"s{i}", server.bootstrap_servers, "static-848", **CONSUMER,
                    **{"group.instance.id": f"instance-{i}"}).subscribe("t") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6) and stable(server, "static-848", 3), timeout=WAIT_S,
          what="three static members")
    described = group_of(server, "static-848")
    epoch = described["group_epoch"]
    target = {x["instance_id"]: x["target"] for x in described["members"]}
    victim, survivors = group[0], group[1:]
    before = set(victim.owned)
    marks = {mb.name: len(mb.events) for mb in survivors}
    old_id = next(x["member_id"] for x in described["members"] if x["instance_id"] == "instance-0")

    victim.close()     # a static member leaves "temporarily" (epoch -2): its partitions wait for it
    restarted = Member("s0-again", server.bootstrap_servers, "static-848", **CONSUMER,
                       **{"group.instance.id": "instance-0"}).subscribe("t")
    members.append(restarted)
    drive(survivors + [restarted], lambda: restarted.owned and stable(server, "static-848", 3), timeout=WAIT_S,
          what="the restarted member's assignment")
    assert restarted.owned == before
    settle(survivors + [restarted], 1.0)
    assert all(len(mb.events) == marks[mb.name] for mb in survivors)     # no rebalance reached them
    described = group_of(server, "static-848")
    assert described["group_epoch"] == epoch                              # no new target was computed
    assert {x["instance_id"]: x["target"] for x in described["members"]} == target
    new_id = next(x["member_id"] for x in described["members"] if x["instance_id"] == "instance-0")
    assert new_id != old_id                   # the restarted client is a new member id on the same instance
    leaves = [e for e in server.trace if isinstance(e, tr.RequestReceived) and e.group_id == "static-848"
              and isinstance(e.request, m.ConsumerGroupHeartbeatRequest) and e.request.member_id == old_id
              and e.request.member_epoch < 0]
    assert [e.request.member_epoch for e in leaves] == [-2]
    assert not any(isinstance(e, ev.GroupEpochBumped) and e.group_id == "static-848" and e.new_epoch > epoch
                   for e in server.trace)


# ---------------------------------------------------------------- offsets and describing

def test_commits_carry_the_member_epoch_and_are_read_back(make_server, members):
    server = start(make_server, brokers=2)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "ledger", 2)
    produced = produce(bootstrap, "ledger", 2, 20)
    reader = Member("r0", bootstrap, "ledger-848", **CONSUMER).subscribe("ledger")
    members.append(reader)
    drive([reader], lambda: len(reader.records) >= len(produced) and stable(server, "ledger-848", 1),
          timeout=WAIT_S, what="every record")
    reader.consumer.commit(asynchronous=False)
    [member] = group_of(server, "ledger-848")["members"]
    commits = [e.request for e in server.trace if isinstance(e, tr.RequestReceived)
               and isinstance(e.request, m.OffsetCommitRequest) and e.group_id == "ledger-848"]
    assert commits and commits[-1].api_version >= 9                       # v9: the first with member epochs
    assert (commits[-1].member_id, commits[-1].generation_id) == (member["member_id"], member["member_epoch"])
    answers = [e.response for e in server.trace if isinstance(e, tr.ResponseSent)
               and isinstance(e.response, m.OffsetCommitResponse) and e.group_id == "ledger-848"]
    assert all(p.error_code == 0 for a in answers for t in a.topics for p in t.partitions)

    partitions = [TopicPartition("ledger", p) for p in range(2)]
    assert {tp.partition: tp.offset for tp in reader.consumer.committed(partitions, timeout=10)} == {0: 10, 1: 10}
    # librdkafka 2.16 reads offsets (v9) without its member id and epoch, as an admin read would
    # (docs/wire.md); a read as the member would have to carry its current epoch.
    fetches = [e.request for e in server.trace if isinstance(e, tr.RequestReceived) and e.group_id == "ledger-848"
               and isinstance(e.request, m.OffsetFetchRequest)]
    assert len(fetches) >= 2 and {f.api_version for f in fetches} == {9}
    assert {(f.member_id, f.member_epoch) for f in fetches} <= {(None, -1), (member["member_id"],
                                                                             member["member_epoch"])}
    # An outsider (no member id: an admin read) reads the same offsets.
    outsider = Member("r1", bootstrap, "ledger-848", **CONSUMER)
    members.append(outsider)
    assert {tp.partition: tp.offset for tp in outsider.consumer.committed(partitions, timeout=10)} == {0: 10, 1: 10}


def test_the_admin_client_describes_the_group_as_a_consumer_group(make_server, members):
    server = start(make_server, brokers=2)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "described", 4)
    group = [Member(f"d{i}", bootstrap, "described-848", **CONSUMER, **{"client.rack": f"rack-{i}"})
             .subscribe("described") for i in range(2)]
    members.extend(group)
    drive(group, lambda: covers(group, 4) and stable(server, "described-848", 2), timeout=WAIT_S,
          what="two members")
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    futures = admin.describe_consumer_groups(["described-848", "nobody-848"], request_timeout=20)
    described = futures["described-848"].result(timeout=30)
    assert described.type is ConsumerGroupType.CONSUMER
    assert described.state is ConsumerGroupState.STABLE
    assert described.partition_assignor == "uniform"
    assert described.coordinator.id == server.coordinator_id("described-848")
    by_client = {x.client_id: x for x in described.members}
    assert set(by_client) == {"d0", "d1"}
    for mb in group:
        x = by_client[mb.name]
        assert {tp.partition for tp in x.assignment.topic_partitions} == mb.owned
        assert {tp.partition for tp in x.target_assignment.topic_partitions} == mb.owned
        assert {tp.topic for tp in x.assignment.topic_partitions} == {"described"}
    core = group_of(server, "described-848")
    assert {x.member_id for x in described.members} == {x["member_id"] for x in core["members"]}
    # One ConsumerGroupDescribe (v0, librdkafka's only version) per group, to the group's coordinator.
    requests = {e.request.group_ids: (e.request.api_version, node) for node, trace in server.traces.items()
                for e in trace if isinstance(e, tr.RequestReceived)
                and isinstance(e.request, m.ConsumerGroupDescribeRequest)}
    assert requests == {("described-848",): (0, server.coordinator_id("described-848")),
                        ("nobody-848",): (0, server.coordinator_id("nobody-848"))}
    # A group ConsumerGroupDescribe does not find (GROUP_ID_NOT_FOUND) is asked for again with the
    # classic DescribeGroups, which answers Dead: librdkafka reports a dead classic group.
    missing = futures["nobody-848"].result(timeout=30)
    assert (missing.type, missing.state, missing.members) == (ConsumerGroupType.CLASSIC, ConsumerGroupState.DEAD, [])
    classic = [e.request.groups for e in server.trace if isinstance(e, tr.RequestReceived)
               and isinstance(e.request, m.DescribeGroupsRequest)]
    assert classic == [("nobody-848",)]


# ---------------------------------------------------------------- the coordinators' metadata

def test_partitions_added_to_a_topic_reach_the_group_and_ids_match_metadata(make_server, members):
    server = start(make_server)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "growing", 2)
    group = [Member(f"g{i}", bootstrap, "growing-848", **CONSUMER).subscribe("growing") for i in range(2)]
    members.extend(group)
    drive(group, lambda: covers(group, 2) and stable(server, "growing-848", 2), timeout=WAIT_S, what="two members")
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    from confluent_kafka.admin import NewPartitions
    admin.create_partitions([NewPartitions("growing", 4)], operation_timeout=10)["growing"].result(timeout=30)
    drive(group, lambda: covers(group, 4) and stable(server, "growing-848", 2), timeout=WAIT_S,
          what="the new partitions to be assigned")
    # The topic id the heartbeats carry is the one Metadata v10+ serves.
    topic_id = server.call(lambda: server.cluster.topics["growing"].topic_id)
    sent = {uuid_from_text(tp.topic_id) for e in server.trace if isinstance(e, tr.ResponseSent)
            and isinstance(e.response, m.ConsumerGroupHeartbeatResponse) and e.response.assignment is not None
            for tp in e.response.assignment.topic_partitions}
    assert sent == {topic_id}


# ---------------------------------------------------------------- online migration

def test_a_rolling_restart_from_classic_to_the_consumer_protocol_loses_no_record(make_server, members):
    """Classic librdkafka consumers (range) restarted one by one with ``group.protocol=consumer``:
    the first consumer-protocol join converts the classic group (docs/consumer-protocol.md §7.1),
    the remaining classic members keep consuming inside it (§7.3), and every record produced
    before, during and after the roll is consumed."""
    server = start(make_server)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "rolling", 6)
    classic = {"session.timeout.ms": 10000, "heartbeat.interval.ms": 300}
    group = [Member(f"m{i}", bootstrap, "rolling", **classic).subscribe("rolling") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6) and server.describe("rolling").get("state") == "Stable", timeout=WAIT_S,
          what="three classic members")
    produced = produce(bootstrap, "rolling", 6, 60, prefix="before-")

    def consumed(everyone) -> set[bytes]:
        return {v for mb in everyone for _, _, v in mb.records}

    def commit(mb: Member) -> None:
        try:
            mb.consumer.commit(asynchronous=False)
        except ck.KafkaException as exc:          # nothing new read since the last commit
            assert exc.args[0].code() == ck.KafkaError._NO_OFFSET, exc

    everyone = list(group)
    drive(group, lambda: consumed(everyone) >= produced, timeout=WAIT_S, what="the records produced before")
    live = list(group)
    for i in range(3):
        old = live.pop(0)
        commit(old)
        old.close()
        new = Member(f"m{i}-848", bootstrap, "rolling", **CONSUMER).subscribe("rolling")
        members.append(new)
        everyone.append(new)
        live.append(new)
        batch = produce(bootstrap, "rolling", 6, 30, prefix=f"roll{i}-")
        produced |= batch
        drive(live, lambda: covers(live, 6) and consumed(everyone) >= produced, timeout=WAIT_S,
              what=f"the group to cover every partition after restart {i}")
        for mb in live:
            commit(mb)
    described = group_of(server, "rolling")
    assert len(described["members"]) == 3 and described["state"] in ("Stable", "Reconciling", "Assigning")
    after = produce(bootstrap, "rolling", 6, 60, prefix="after-")
    produced |= after
    drive(live, lambda: consumed(everyone) >= produced, timeout=WAIT_S, what="every record")
    assert consumed(everyone) == produced                                  # nothing lost
    # The first consumer-protocol join converted the classic group with its two remaining members,
    # at their generation; they kept consuming inside the consumer group until their own restart.
    [upgrade] = [e for e in server.trace if isinstance(e, ev.GroupEpochBumped) and e.group_id == "rolling"
                 and e.reason is ev.EpochBumpReason.CLASSIC_GROUP_UPGRADED]
    joins = [e.response for e in server.trace if isinstance(e, tr.ResponseSent) and e.group_id == "rolling"
             and isinstance(e.response, m.JoinGroupResponse) and e.response.error_code == 0 and e.at <= upgrade.at]
    assert upgrade.new_epoch == max(j.generation_id for j in joins)
    for mb in group[1:]:
        assert any(v.startswith(b"roll0-") for _, _, v in mb.records), mb.name
    owners_never_overlap(server, "rolling")


def test_a_rolling_restart_back_to_the_classic_protocol_loses_no_record(make_server, members):
    """The way back: consumer-protocol members restarted one by one as classic (range) consumers.
    The classic ones live inside the consumer group (docs/consumer-protocol.md §7.3) until the last
    consumer-protocol member leaves, when the group becomes a classic group (§7.2)."""
    server = start(make_server)
    bootstrap = server.bootstrap_servers
    create_topic(bootstrap, "back", 6)
    group = [Member(f"b{i}-848", bootstrap, "back", **CONSUMER).subscribe("back") for i in range(3)]
    members.extend(group)
    drive(group, lambda: covers(group, 6) and stable(server, "back", 3), timeout=WAIT_S, what="three members")
    produced = produce(bootstrap, "back", 6, 60, prefix="before-")
    everyone, live = list(group), list(group)

    def consumed() -> set[bytes]:
        return {v for mb in everyone for _, _, v in mb.records}

    def commit(mb: Member) -> None:
        try:
            mb.consumer.commit(asynchronous=False)
        except ck.KafkaException as exc:          # nothing new read since the last commit
            assert exc.args[0].code() == ck.KafkaError._NO_OFFSET, exc

    drive(live, lambda: consumed() >= produced, timeout=WAIT_S, what="the records produced before")
    classic = {"session.timeout.ms": 10000, "heartbeat.interval.ms": 300}
    for i in range(3):
        old = live.pop(0)
        commit(old)
        old.close()
        new = Member(f"b{i}", bootstrap, "back", **classic).subscribe("back")
        members.append(new)
        everyone.append(new)
        live.append(new)
        produced |= produce(bootstrap, "back", 6, 30, prefix=f"roll{i}-")
        drive(live, lambda: covers(live, 6) and consumed() >= produced, timeout=WAIT_S,
              what=f"the group to cover every partition after restart {i}")
        for mb in live:
            commit(mb)
    drive(live, lambda: server.describe("back").get("state") == "Stable", timeout=WAIT_S, what="a stable group")
    described = server.describe("back")
    assert described.get("group_type", "classic") == "classic" and len(described["members"]) == 3
    produced |= produce(bootstrap, "back", 6, 60, prefix="after-")
    drive(live, lambda: consumed() >= produced, timeout=WAIT_S, what="every record")
    assert consumed() == produced                                          # nothing lost
    downgrades = [e for e in server.trace if isinstance(e, ev.MemberRemoved) and e.group_id == "back"
                  and e.reason is ev.RemovalReason.GROUP_DOWNGRADED]
    assert downgrades
