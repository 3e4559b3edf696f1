"""The log lines the simulated world writes (kafkalab.sim.logs): Kafka's templates, read back by read_log."""

from __future__ import annotations

import re

import pytest

from kafkalab import logformat as lf
from kafkalab.sim import World
from kafkalab.sim import events as ev
from kafkalab.sim import incidents
from kafkalab.sim.logs import VIRTUAL_EPOCH_MS, broker_log, consumer_log, excerpt, timestamp
from kafkalab.trace import read_log

RANGE = {"partition_assignment_strategy": ["range"]}


def _what_matters(events):
    """State changes (with generation and member id once joined), callbacks and poll timeouts, by
    time and consumer.  An UNJOINED or PREPARING_REBALANCE change is compared by state only: the
    simulated consumer keeps its old member id on the change close() records, where the Java client
    (and so its log) has reset it."""
    out = []
    for e in events:
        if isinstance(e, ev.ClientStateChanged):
            joined = e.new in ("COMPLETING_REBALANCE", "STABLE")
            out.append((e.at, e.consumer, e.new) + ((e.generation_id, e.member_id) if joined else ()))
        elif isinstance(e, ev.PartitionsAssigned):
            out.append((e.at, e.consumer, "assigned", e.partitions))
        elif isinstance(e, ev.PartitionsRevoked):
            out.append((e.at, e.consumer, "lost" if e.lost else "revoked", e.partitions))
        elif isinstance(e, ev.PollTimeoutExpired):
            out.append((e.at, e.consumer, "poll timeout", e.max_poll_interval_ms))
    return sorted(out, key=lambda x: (x[0], x[1]))


@pytest.mark.parametrize("key", list(incidents.INCIDENTS))
def test_the_java_log_of_an_incident_reads_back_into_the_same_events(key):
    world = incidents.run(key).world
    expected = _what_matters(world.trace)
    assert expected and any(x[2] == "STABLE" for x in expected)
    assert _what_matters(read_log(world.logs())) == expected


def test_every_line_is_a_template_of_the_shared_table():
    world = incidents.run("duplicate-instance-id").world
    lines = world.logs()
    seen = set()
    for line in lines:
        if line.startswith("\t") or line.startswith(" (") or "ConsumerConfig values:" in line:
            continue  # the ConsumerConfig block
        parsed = lf.parse_line(line)
        assert parsed is not None and parsed.client == "java", line
        found = lf.match("java", parsed.message, parsed.logger if parsed.logger != lf.JAVA_COORDINATOR_LOGGER
                         else None)
        assert found is not None, line
        seen.add(found[0].key)
    assert {"joined", "synced", "heartbeat_failed", "commit_fenced", "adding"} <= seen
    for line in world.broker_logs():
        parsed = lf.parse_broker_line(line)
        assert parsed is not None and lf.match("broker", parsed.message, parsed.logger) is not None, line


def test_lines_use_kafkas_layout_and_the_virtual_clock():
    assert timestamp(0) == "2026-03-02 09:00:00,000"
    assert timestamp(61_234) == "2026-03-02 09:01:01,234"
    world = World(topics={"orders": 2})
    world.consumer("c1", "g", ["orders"], group_instance_id="i-1", **RANGE)
    world.run_until_stable("g")
    lines = consumer_log(world, ["c1"])
    assert lines[0] == "[2026-03-02 09:00:00,000] INFO ConsumerConfig values: "
    assert "\tgroup.instance.id = i-1" in lines and "\tsession.timeout.ms = 45000" in lines
    joined = next(line for line in lines if "Successfully joined" in line)
    assert re.fullmatch(r"\[2026-03-02 09:00:\d\d,\d{3}\] INFO \[Consumer instanceId=i-1, clientId=c1, groupId=g\] "
                        r"Successfully joined group with generation Generation\{generationId=1, memberId='i-1-[^']+', "
                        r"protocol='range'\} \(org\.apache\.kafka\.clients\.consumer\.internals\.ConsumerCoordinator\)",
                        joined)
    assert lf.parse_line(joined).timestamp_ms >= VIRTUAL_EPOCH_MS
    assert any("Discovered group coordinator localhost:9092 (id: 2147483647 rack: null)" in line for line in lines)


def test_the_same_run_writes_the_same_lines():
    assert incidents.run("gc-pauses").logs() == incidents.run("gc-pauses").logs()


def test_a_paused_jvm_writes_nothing_while_paused():
    inc = incidents.run("gc-pauses")
    pause = next(e for e in inc.world.trace if isinstance(e, ev.ConsumerPaused) and e.consumer == "c2")
    start, end = VIRTUAL_EPOCH_MS + pause.at, VIRTUAL_EPOCH_MS + pause.at + pause.duration_ms
    times = [lf.parse_line(line).timestamp_ms for line in inc.logs("c2") if line.startswith("[") and
             "ConsumerConfig" not in line]
    assert not [t for t in times if start < t < end]
    # ... while the coordinator, which kept running, removed it during the pause.
    removed = [lf.parse_broker_line(line) for line in inc.broker_logs() if "has failed, removing it" in line]
    assert any(start < r.timestamp_ms < end for r in removed)


def _broker_messages(world, group="g"):
    return [lf.parse_broker_line(line).message for line in broker_log(world, group=group)]


def test_the_coordinators_reasons_name_the_member_and_the_clients_kip_800_reason():
    world = World(topics={"orders": 4})
    c1 = world.consumer("c1", "g", ["orders"], **RANGE)
    world.consumer("c2", "g", ["orders"], **RANGE)
    world.run_until_stable("g")
    c2_id = world["c2"].member_id
    world.close("c2")
    world.run_until_stable("g")
    messages = _broker_messages(world)
    assert (f"[Group g] Member {c2_id} has left group through explicit `LeaveGroup` request; "
            "client reason: the consumer is being closed") in messages
    assert ("Preparing to rebalance group g in state PreparingRebalance with old generation 1 "
            f"(reason: explicit `LeaveGroup` request for ({c2_id}) members.).") in messages
    assert "Stabilized group g generation 2 with 1 members." in messages
    first = next(m for m in messages if m.startswith("Preparing to rebalance"))
    assert c1.member_id in first
    assert re.fullmatch(r"Preparing to rebalance group g in state PreparingRebalance with old generation 0 \(reason: "
                        r"Adding new member c1-\S+ with group instance id null; client reason: need to re-join with "
                        r"the given member-id: c1-\S+\)\.", first)


def test_a_session_expiry_and_a_poll_timeout_are_told_apart_by_the_coordinator():
    world = World(topics={"orders": 4})
    world.consumer("c1", "g", ["orders"], session_timeout_ms=10_000, **RANGE)
    world.consumer("c2", "g", ["orders"], session_timeout_ms=10_000, max_poll_interval_ms=20_000,
                   processing_ms=lambda n: 25_000 if n == 50 else 100, **RANGE)
    world.run_until_stable("g")
    world.run(for_ms=60_000)
    messages = _broker_messages(world)
    assert any(m.endswith("client reason: consumer poll timeout has expired.") for m in messages)
    world.crash("c1")
    world.run(for_ms=30_000)
    messages = _broker_messages(world)
    failed = [m for m in messages if m.endswith("has failed, removing it from the group.")]
    assert len(failed) == 1 and failed[0].startswith("Member c1-")
    member = failed[0].split()[1]
    assert (f"Preparing to rebalance group g in state PreparingRebalance with old generation 3 (reason: removing member "
            f"{member} on heartbeat expiration.).") in messages


def test_a_fenced_static_member_is_logged_on_both_sides():
    inc = incidents.run("duplicate-instance-id")
    broker = [lf.parse_broker_line(line).message for line in inc.broker_logs()]
    assert any(re.fullmatch(r"Static member with groupInstanceId=orders-2 and unknown member id joins group orders-app "
                            r"in Stable state\. Replacing previously mapped member orders-2-\S+ with this "
                            r"groupInstanceId\.", m) for m in broker)
    operations = {m.rsplit(" ", 1)[1] for m in broker if "is fenced by existing memberId" in m}
    assert operations <= {"heartbeat", "txn-offset-commit", "sync-group", "join-group"} and operations
    client = [lf.parse_line(line).message for line in inc.logs() if "FENCED_INSTANCE_ID" in line or "fenced" in line]
    assert any("failed due to FENCED_INSTANCE_ID, resetting generation" in m or m.startswith("OffsetCommit failed with")
               for m in client)


def test_unknown_names_are_refused_with_the_valid_ones():
    world = World(topics={"orders": 1})
    world.consumer("c1", "g", ["orders"])
    with pytest.raises(ValueError, match="consumers: \\['c1'\\]"):
        consumer_log(world, ["nope"])
    with pytest.raises(ValueError, match="brokers: \\[0\\]"):
        broker_log(world, broker=3)


def test_excerpt_keeps_the_matching_lines_short_and_readable():
    world = World(topics={"orders": 2})
    world.consumer("c1", "g", ["orders"], **RANGE)
    world.run_until_stable("g")
    member = world["c1"].member_id
    lines = consumer_log(world) + broker_log(world)
    joined = excerpt(lines, "Successfully joined")
    # JoinGroup (with its member id) sent at 4 ms, arrives at 5, waits the 3000 ms initial delay, answered at 3006
    assert joined == [f"09:00:03,006 INFO  c1        Successfully joined group with generation Generation{{generationId=1, "
                      f"memberId='{member[:7]}', protocol='range'}}"]
    stabilized = excerpt(lines, "Stabilized")
    assert stabilized == ["09:00:03,005 INFO  broker-0  Stabilized group g generation 1 with 1 members."]
    assert all(len(line) <= 60 for line in excerpt(lines, width=60))
    assert len(excerpt(lines, limit=2)) == 2 and not excerpt(lines, "ConsumerConfig")
