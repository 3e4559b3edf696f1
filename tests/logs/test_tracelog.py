"""kafkalab.tracelog: real client logs read into the trace the player shows.

The librdkafka fixture (fixtures/librdkafka) was captured from three confluent-kafka consumers
against kafkalab.wire.Server (tests/logs/capture_librdkafka.py): they join one generation, c3
closes, c2 stops polling past max.poll.interval.ms, rejoins, and both close.  ``server.json`` holds
the coordinator's records of the same run, so these tests check what the log reader says against
what the coordinator did.  The Java fixture is built from Kafka's own log statements.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafkalab import logformat as lf
from kafkalab.consumer_protocol import decode_assignment
from kafkalab.errors import ErrorCode
from kafkalab.sim import events as ev
from kafkalab.trace import LogFormatError, api_name, read_log
from kafkalab.viz import build_steps

FIXTURES = Path(__file__).parent / "fixtures"
RD = FIXTURES / "librdkafka"
RD_LOGS = [RD / "c1.log", RD / "c2.log", RD / "c3.log"]
JAVA_LOG = FIXTURES / "java" / "incident.log"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((RD / "server.json").read_text())


@pytest.fixture(scope="module")
def rd_events() -> list:
    return read_log(RD_LOGS)


@pytest.fixture(scope="module")
def java_events() -> list:
    return read_log(JAVA_LOG)


def of(events, cls, consumer=None):
    return [e for e in events if isinstance(e, cls) and (consumer is None or getattr(e, "consumer", None) == consumer)]


def joins(events) -> dict[int, dict[str, tuple[str, bool]]]:
    """generation -> {consumer: (member id, leader)} from the JoinGroup answers each client logged."""
    out: dict[int, dict] = {}
    for e in of(events, ev.ClientStateChanged):
        if e.reason is ev.ClientStateReason.JOIN_GROUP_ANSWERED:
            out.setdefault(e.generation_id, {})[e.consumer] = (e.member_id, e.leader)
    return out


def assigned(events) -> dict[int, dict[str, tuple]]:
    """generation -> {consumer: partitions} from the onPartitionsAssigned callbacks."""
    out: dict[int, dict] = {}
    for e in of(events, ev.PartitionsAssigned):
        out.setdefault(e.generation_id, {})[e.consumer] = e.partitions
    return out


def coordinator_generations(truth: dict) -> dict[int, dict]:
    """generation -> {"members": {member id: client id}, "leader": member id, "assignment": {member: parts}}."""
    members: dict[str, str] = {}
    current: set[str] = set()
    leader = None
    out: dict[int, dict] = {}
    for r in truth["records"]:
        kind = r["record"]
        if kind == "MemberAdded":
            members[r["member_id"]] = r["client_id"]
            current.add(r["member_id"])
        elif kind == "MemberRemoved":
            current.discard(r["member_id"])
        elif kind == "LeaderChanged":
            leader = r["leader"]
        elif kind == "StateChanged" and r["trigger"] == "JOIN_COMPLETED" and r["state"] == "CompletingRebalance":
            out[r["generation"]] = {"members": {m: members[m] for m in current}, "leader": leader}
        elif kind == "AssignmentChanged":
            gen = max(out)
            out[gen]["assignment"] = {m: tuple(tuple(tp) for tp in ps) for m, ps in r["assignments"].items()}
    return out


# ---------------------------------------------------------------------------- librdkafka vs the coordinator

def test_every_generation_the_coordinator_formed_is_in_the_clients_logs(rd_events, truth):
    coordinator = coordinator_generations(truth)
    logged = joins(rd_events)
    assert sorted(logged) == sorted(coordinator) == [1, 2, 3, 4]
    for gen, formed in coordinator.items():
        # Who joined which generation, with which member id, and who led it.
        assert {c: m for c, (m, _) in logged[gen].items()} == {c: m for m, c in formed["members"].items()}
        leaders = [c for c, (_, lead) in logged[gen].items() if lead]
        assert leaders == [formed["members"][formed["leader"]]]


def test_the_assignments_match_the_coordinators(rd_events, truth):
    coordinator = coordinator_generations(truth)
    callbacks = assigned(rd_events)
    for gen, formed in coordinator.items():
        expected = {formed["members"][m]: parts for m, parts in formed["assignment"].items()}
        assert callbacks[gen] == expected
        assert synced_partitions(rd_events)[gen] == expected


def synced_partitions(events) -> dict[int, dict[str, tuple]]:
    """generation -> {consumer: partitions} from the SyncGroup answers (the state change that follows
    each answer says the generation)."""
    out: dict[int, dict] = {}
    for i, e in enumerate(events):
        if isinstance(e, ev.MessageDelivered) and api_name(e.message) == "SyncGroup" and e.dst != "broker-0":
            state = next(x for x in events[i:] if isinstance(x, ev.ClientStateChanged) and x.consumer == e.dst)
            assert state.new == "STABLE" and state.at == e.at
            parts = tuple(sorted(decode_assignment(e.message.assignment).assigned_partitions))
            out.setdefault(state.generation_id, {})[e.dst] = parts
    return out


def test_the_leader_sent_the_whole_assignment_in_its_syncgroup(rd_events, truth):
    coordinator = coordinator_generations(truth)
    leader_syncs = [e.message for e in of(rd_events, ev.MessageSent)
                    if api_name(e.message) == "SyncGroup" and not type(e.message).__name__.endswith("Response")
                    and e.message.assignments]
    assert [s.generation_id for s in leader_syncs] == [1, 2, 3, 4]
    for sync in leader_syncs:
        plan = {a.member_id: tuple(decode_assignment(a.assignment).assigned_partitions) for a in sync.assignments}
        assert plan == coordinator[sync.generation_id]["assignment"]


def test_the_close_is_a_leave_and_a_rebalance(rd_events, truth):
    # c3 closed: it revoked, sent LeaveGroup, stopped; the coordinator removed it for LeaveGroup.
    c3 = [e for e in rd_events if getattr(e, "consumer", None) == "c3" or getattr(e, "src", None) == "c3"]
    kinds = [type(e).__name__ if not isinstance(e, ev.MessageSent) else "sent " + api_name(e.message)
             for e in c3 if isinstance(e, (ev.ConsumerClosing, ev.PartitionsRevoked, ev.MessageSent, ev.ConsumerStopped))]
    assert kinds[-4:] == ["ConsumerClosing", "PartitionsRevoked", "sent LeaveGroup", "ConsumerStopped"]
    removed = [r for r in truth["records"] if r["record"] == "MemberRemoved"]
    c3_member = joins(rd_events)[1]["c3"][0]
    assert {"member_id": c3_member, "reason": "LEAVE_GROUP"} in [{k: r[k] for k in ("member_id", "reason")}
                                                                for r in removed]
    # The survivors learn of the rebalance from a heartbeat answered REBALANCE_IN_PROGRESS, then revoke and rejoin.
    closed_at = of(rd_events, ev.ConsumerStopped, "c3")[0].at
    for name in ("c1", "c2"):
        answers = [e for e in of(rd_events, ev.MessageDelivered) if e.dst == name and e.at >= closed_at
                   and api_name(e.message) == "Heartbeat"]
        assert answers[0].message.error_code is ErrorCode.REBALANCE_IN_PROGRESS
        note = of(rd_events, ev.RejoinRequested, name)
        assert note and note[0].reason is ev.RejoinReason.REBALANCE_IN_PROGRESS


def test_the_poll_timeout_leaves_the_group_and_loses_the_partitions(rd_events, truth):
    timeout = of(rd_events, ev.PollTimeoutExpired, "c2")
    assert [t.max_poll_interval_ms for t in timeout] == [3000]
    t = timeout[0].at
    after = [e for e in rd_events if e.at >= t and (getattr(e, "consumer", None) == "c2" or getattr(e, "src", None) == "c2")]
    leave = next(e for e in after if isinstance(e, ev.MessageSent) and api_name(e.message) == "LeaveGroup")
    gen2_member = joins(rd_events)[2]["c2"][0]
    assert leave.message.member_id == gen2_member
    state = next(e for e in after if isinstance(e, ev.ClientStateChanged))
    assert (state.new, state.reason, state.member_id) == ("UNJOINED", ev.ClientStateReason.POLL_TIMEOUT, "")
    # The coordinator removed that member for its LeaveGroup, as the log says.
    assert {"member_id": gen2_member, "reason": "LEAVE_GROUP"} in [
        {k: r[k] for k in ("member_id", "reason")} for r in truth["records"] if r["record"] == "MemberRemoved"]
    # The application ran onPartitionsLost only when it polled again, later; then c2 joined as a new member.
    lost = of(rd_events, ev.PartitionsRevoked, "c2")
    lost = [e for e in lost if e.lost]
    assert len(lost) == 1 and lost[0].partitions == (("orders", 3), ("orders", 4), ("orders", 5))
    assert lost[0].at > t + 500
    assert joins(rd_events)[4]["c2"][0] != gen2_member


def test_times_follow_the_log(rd_events, truth):
    ats = [e.at for e in rd_events]
    assert ats == sorted(ats) and ats[0] >= 0
    first_line = min(lf.parse_line(p.read_text().splitlines()[0]).timestamp_ms for p in RD_LOGS)
    # The coordinator's JOIN_COMPLETED of generation 1, on the wall clock, is when the clients got their answers.
    join_completed = next(r["at"] for r in truth["records"] if r["record"] == "StateChanged"
                          and r["generation"] == 1 and r["trigger"] == "JOIN_COMPLETED")
    answered = min(e.at for e in of(rd_events, ev.ClientStateChanged)
                   if e.reason is ev.ClientStateReason.JOIN_GROUP_ANSWERED)
    wall = truth["server_start_wall_ms"] + join_completed
    assert abs((first_line + answered) - wall) < 100


# ---------------------------------------------------------------------------- the player

def test_the_log_renders_in_the_player(rd_events):
    pytest.importorskip("ipywidgets")
    from kafkalab.viz import Player

    player = Player(rd_events)
    assert len(player) > 50 and player.group == "incident"
    sentences = [s.sentence for s in player.steps]
    close = next(i for i, s in enumerate(player.steps) if s.kind == "stopped" and s.actor == "c3")
    assert "sent LeaveGroup" in sentences[close] and "rebalances the group" in sentences[close]
    timeout = next(i for i, s in enumerate(player.steps) if isinstance(s.event, ev.PollTimeoutExpired))
    assert "max.poll.interval.ms (3000 ms)" in sentences[timeout]
    assert any("did not call poll() within max.poll.interval.ms" in s for s in sentences[timeout:])
    assert any("onPartitionsLost" in s for s in sentences[timeout:])
    for k in (0, close, timeout, len(player) - 1):
        html = player.static_html(k)
        assert f"Step {k} of {len(player) - 1}" in html and "<img" in html
    assert player.show_step(close) and player.current.index == close
    assert player.message.value == ""


def test_steps_show_each_consumer_as_its_log_tells_it(rd_events, truth):
    steps = build_steps(rd_events)
    assert all(s.client_log and s.group_state is None for s in steps)
    assert steps[0].state_text == "(not in a client log)"
    coordinator = coordinator_generations(truth)
    for gen, formed in coordinator.items():
        # Once the last member ran onPartitionsAssigned, the members own what the coordinator assigned.
        last = [s for s in steps if isinstance(s.event, ev.PartitionsAssigned) and s.event.generation_id == gen][-1]
        owners = {formed["members"][m]: parts for m, parts in formed["assignment"].items()}
        assert {n: tuple(last.assignments[n]) for n in owners} == owners
        assert last.leader == formed["members"][formed["leader"]]
        assert {r.name for r in last.members if r.in_group} == set(owners)
        if gen == 3:
            # c2's application has not polled since its poll timeout: its onPartitionsLost has not run, so
            # by its own account it still holds the partitions the coordinator gave c1.
            assert tuple(last.assignments["c2"]) == (("orders", 3), ("orders", 4), ("orders", 5))
        else:
            assert {n for n, p in last.assignments.items() if p} == set(owners)
    final = steps[-1]
    assert {r.name: r.state for r in final.members} == {"c1": "closed", "c2": "closed", "c3": "closed"}
    assert not any(r.in_group for r in final.members)


def test_routine_heartbeats_are_not_in_the_log_but_errors_are(rd_events):
    heartbeats = [e for e in of(rd_events, ev.MessageDelivered) if api_name(e.message) == "Heartbeat"
                  and type(e.message).__name__.endswith("Response")]
    assert heartbeats and all(e.message.error_code is ErrorCode.REBALANCE_IN_PROGRESS for e in heartbeats)


# ---------------------------------------------------------------------------- Java

def test_java_log_reads_into_the_same_events(java_events, rd_events):
    def kinds(events):
        return {type(e).__name__ for e in events}
    assert kinds(java_events) >= {"ClientStateChanged", "PartitionsAssigned", "PartitionsRevoked", "PollTimeoutExpired",
                                  "ConsumerClosing", "ConsumerStopped", "RejoinRequested", "AssignmentPerformed",
                                  "MessageSent", "MessageDelivered", "ConsumerStarted"}
    assert kinds(rd_events) - kinds(java_events) <= set()  # nothing librdkafka gives that Java does not
    j = joins(java_events)
    assert sorted(j) == [1, 2, 3, 4]
    assert {c for c, (_, lead) in j[1].items() if lead} == {"c1"} and sorted(j[1]) == ["c1", "c2", "c3"]
    assert sorted(j[3]) == ["c1"] and sorted(j[4]) == ["c1", "c2"]
    assert assigned(java_events)[2] == {"c1": (("orders", 0), ("orders", 1), ("orders", 2)),
                                        "c2": (("orders", 3), ("orders", 4), ("orders", 5))}
    # max.poll.interval.ms comes from c2's ConsumerConfig block (the warning does not carry it).
    assert [t.max_poll_interval_ms for t in of(java_events, ev.PollTimeoutExpired)] == [3000]
    started = {e.consumer: e for e in of(java_events, ev.ConsumerStarted)}
    assert started["c2"].session_timeout_ms == 10000 and started["c2"].rebalance_protocol == "EAGER"
    lost = [e for e in of(java_events, ev.PartitionsRevoked, "c2") if e.lost]
    assert [e.partitions for e in lost] == [(("orders", 3), ("orders", 4), ("orders", 5))]
    # The leader's SyncGroup carries its "Finished assignment" plan; followers' carry none.
    syncs = [e.message for e in of(java_events, ev.MessageSent) if api_name(e.message) == "SyncGroup"
             and not type(e.message).__name__.endswith("Response")]
    assert [len(s.assignments) for s in syncs if s.assignments] == [3, 2, 1, 2]


def test_java_log_renders_in_the_player(java_events):
    pytest.importorskip("ipywidgets")
    from kafkalab.viz import Player

    player = Player(java_events)
    sentences = " ".join(s.sentence for s in player.steps)
    assert "c3 closed: it revoked its partitions and sent LeaveGroup" in sentences
    assert "poll() not called for max.poll.interval.ms (3000 ms)" in sentences
    assert "<img" in player.static_html()


# ---------------------------------------------------------------------------- formats and bad input

RD_LINE = ('%7|1796662011.380|JOINGROUP|c2#consumer-1| [thrd:main]: JoinGroup response: GenerationId 1, Protocol '
           'range, LeaderId c1-a, my MemberId c2-b, member metadata count 0: (no error)')
JOIN_LINE = '%7|1796662011.379|JOIN|c2#consumer-1| [thrd:main]: 127.0.0.1:9092/0: Joining group "g" with 1 subscribed topic(s) and member id "c2-b"'


def test_a_python_logger_line_reads_like_the_stderr_line():
    stderr = read_log([JOIN_LINE, RD_LINE])
    logger = read_log([
        '2026-12-07 16:46:03,379 DEBUG ck JOIN [c2#consumer-1] [thrd:main]: 127.0.0.1:9092/0: Joining group "g" with '
        '1 subscribed topic(s) and member id "c2-b"',
        '2026-12-07 16:46:03,380 DEBUG ck JOINGROUP [c2#consumer-1] [thrd:main]: JoinGroup response: GenerationId 1, '
        'Protocol range, LeaderId c1-a, my MemberId c2-b, member metadata count 0: (no error)'])
    assert [e.describe() for e in stderr] == [e.describe() for e in logger]
    state = of(logger, ev.ClientStateChanged)[-1]
    assert (state.consumer, state.new, state.generation_id, state.leader) == ("c2", "COMPLETING_REBALANCE", 1, False)


@pytest.mark.parametrize("stamp, ms", [
    ("[2026-03-02 09:15:00,250]", 250), ("2026-03-02T09:15:00.250Z", 250), ("2026-03-02 09:15:00.250", 250),
    ("2026-03-02T10:15:00.250+01:00", 250), ("2026-03-02T04:15:00.250-0500", 250), ("2026-03-02T09:15:00.25 UTC", 250),
    ("2026-03-02T09:15:00.250123Z", 250),
])
def test_timestamp_variants_of_log4j_and_logback(stamp, ms):
    base = "[2026-03-02 09:15:00,000] INFO [Consumer clientId=c1, groupId=g] (Re-)joining group (x)"
    line = f"{stamp} INFO [Consumer clientId=c1, groupId=g] Successfully joined group with generation " \
           "Generation{generationId=1, memberId='c1-a', protocol='range'} (org.apache.kafka.clients.consumer.internals.ConsumerCoordinator)"
    events = read_log([base, line])
    answered = of(events, ev.ClientStateChanged)[-1]
    assert answered.generation_id == 1 and answered.at == ms


def test_logback_layout_and_the_kafka_2x_heartbeat_line():
    lines = [
        "2026-03-02T09:15:00.000Z  INFO 4242 --- [main] o.a.k.c.c.internals.ConsumerCoordinator  : "
        "[Consumer clientId=c1, groupId=g] Successfully joined group with generation "
        "Generation{generationId=3, memberId='c1-a', protocol='range'}",
        "2026-03-02T09:15:00.010Z  INFO 4242 --- [main] o.a.k.c.c.internals.ConsumerCoordinator  : "
        "[Consumer clientId=c1, groupId=g] Successfully synced group in generation "
        "Generation{generationId=3, memberId='c1-a', protocol='range'}",
        "2026-03-02T09:15:01.000Z  INFO 4242 --- [hb] o.a.k.c.c.internals.ConsumerCoordinator  : "
        "[Consumer clientId=c1, groupId=g] Attempt to heartbeat failed since group is rebalancing",
    ]
    events = read_log(lines, format="java")
    states = [(e.new, e.generation_id) for e in of(events, ev.ClientStateChanged)]
    assert states == [("COMPLETING_REBALANCE", 3), ("STABLE", 3)]
    hb = [e for e in of(events, ev.MessageDelivered) if api_name(e.message) == "Heartbeat"]
    assert hb[-1].message.error_code is ErrorCode.REBALANCE_IN_PROGRESS and hb[-1].at == 1000


def test_a_static_members_prefix_and_heartbeat_errors():
    prefix = "[2026-03-02 09:15:00,000] INFO [Consumer instanceId=i1, clientId=c1, groupId=g] "
    logger = " (org.apache.kafka.clients.consumer.internals.ConsumerCoordinator)"
    events = read_log([
        prefix + "Successfully joined group with generation Generation{generationId=5, memberId='c1-a', "
        "protocol='range'}" + logger,
        prefix.replace(",000", ",500") + "Attempt to heartbeat with Generation{generationId=5, memberId='c1-a', "
        "protocol='range'} and group instance id Optional[i1] failed due to UNKNOWN_MEMBER_ID, resetting generation"
        + logger,
    ])
    joined = of(events, ev.MessageSent)[-2].message  # the heartbeat request
    assert joined.group_instance_id == "i1" and joined.generation_id == 5
    last = of(events, ev.ClientStateChanged)[-1]
    assert (last.new, last.reason, last.error_code, last.member_id) == (
        "UNJOINED", ev.ClientStateReason.HEARTBEAT_ERROR, ErrorCode.UNKNOWN_MEMBER_ID, "")


def test_unknown_lines_are_skipped():
    events = read_log(["hello", "", "2026-03-02 09:15:00,000 INFO some other library said something",
                       "%7|1796662011.100|FETCH|c2#consumer-1| [thrd:main]: Fetch topic orders [0] at offset 0",
                       JOIN_LINE, RD_LINE, "trailing garbage"])
    assert [type(e).__name__ for e in events][0] == "ClientStateChanged"
    assert events[0].at == 279  # the FETCH line at .100 is the first line read


def test_a_malformed_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "c1.log"
    path.write_text("\n".join([JOIN_LINE, "%7|17966620x1.380|JOINGROUP|c2#consumer-1| [thrd:main]: x", RD_LINE]) + "\n")
    with pytest.raises(LogFormatError) as info:
        read_log(path)
    assert info.value.path == str(path) and info.value.line_number == 2
    assert "librdkafka timestamp" in str(info.value) and f"{path}:2:" in str(info.value)
    bad_date = "[2026-13-02 09:15:00,000] INFO [Consumer clientId=c1, groupId=g] (Re-)joining group (x)"
    with pytest.raises(LogFormatError, match=r"<lines>:1: .*not a valid date"):
        read_log([bad_date, bad_date])


def test_a_truncated_last_line_is_skipped():
    cut = RD_LINE[:12]
    assert lf.parse_line(JOIN_LINE) is not None
    with pytest.raises(lf.MalformedLine):
        lf.parse_line(cut)
    events = read_log([JOIN_LINE, cut])
    assert [api_name(e.message) for e in of(events, ev.MessageSent)] == ["JoinGroup"]


def test_inputs_that_are_not_logs_get_a_clear_error(tmp_path):
    with pytest.raises(LogFormatError, match="no such file"):
        read_log(tmp_path / "missing.log")
    with pytest.raises(LogFormatError, match="c1.log: no such file"):
        read_log(["c1.log", "c2.log"])
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")
    with pytest.raises(LogFormatError, match="debug=cgrp"):
        read_log(empty)
    with pytest.raises(LogFormatError, match="format='java'"):
        read_log([JOIN_LINE], format="java")
    with pytest.raises(ValueError, match="format must be one of"):
        read_log([JOIN_LINE], format="log4j")
    with pytest.raises(TypeError, match="a path, a list of paths"):
        read_log(42)


def test_one_file_of_several_consumers_and_a_text_block():
    other = RD_LINE.replace("c2#consumer-1", "c3#consumer-2").replace("my MemberId c2-b", "my MemberId c3-c")
    events = read_log("\n".join([JOIN_LINE, RD_LINE, other]))
    assert {e.consumer for e in of(events, ev.ClientStateChanged)} == {"c2", "c3"}


def test_files_merge_by_time_and_an_open_file_reads(tmp_path):
    c1, c2 = tmp_path / "c1.log", tmp_path / "c2.log"
    c1.write_text(JOIN_LINE.replace("c2", "c1").replace("011.379", "011.500") + "\n")
    c2.write_text(JOIN_LINE + "\n")
    events = read_log([c1, c2])
    assert [(e.consumer, e.at) for e in of(events, ev.ClientStateChanged)] == [("c2", 0), ("c1", 121)]
    with open(c2) as f:
        assert len(read_log(f)) == len(read_log(c2))


# ---------------------------------------------------------------------------- the shared templates

def test_every_template_formats_a_line_its_own_parser_reads_back():
    samples = {
        "generation": lf.java_generation(2, "c1-a", "range"), "partitions": lf.java_partitions([("t", 0), ("t", 1)]),
        "assignment": lf.java_assignment([("t", 0)]), "assignments": lf.java_assignments({"m1": [("t", 0)], "m2": []}),
        "coordinator": lf.java_node("localhost", 9092, 0), "instance_id": lf.java_optional(None),
        "error": "UNKNOWN_MEMBER_ID", "error_message": "The coordinator is not aware of this member.",
        "member_id": "c1-a", "reason": "the consumer is being closed", "cause": "coordinator unavailable",
        "is_disconnected": "true", "client_id": "c1", "and_member_id": "and member id ", "group": "g",
        "broker": "127.0.0.1:9092/0", "rd_error": "(no error)", "me": " (me)", "protocol": "range",
        "leader_id": "c1-a", "action": "revoke", "queue": "rd_kafka_cgrp_new", "state": "up",
        "join_state": "steady", "host": "127.0.0.1", "op": "ASSIGN", "assignor": "range", "old": "", "new": "c1-a",
        "error_name": "NOT_COORDINATOR", "elapsed": "0.025", "old_state": "init", "new_state": "wait-join",
        "change": "added to", "group_id": "g", "group_state": "PreparingRebalance", "member_list": "[c1-a, c2-b]",
        "group_instance_id": "i-1", "existing_member_id": "i-1-b", "operation": "heartbeat",
    }
    for client, templates in lf.TEMPLATES.items():
        for key, template in templates.items():
            values = {f: samples.get(f, "7") for f in template.fields}
            message = lf.format(client, key, **values)
            found = lf.match(client, message, template.logger)
            assert found is not None and found[0].key == key and found[1] == values, (client, key, message)
            if client == "broker":
                line = lf.broker_line("2026-03-02 09:15:00,123", template.level, 1, 12, message, template.logger)
                assert lf.parse_line(line) is None, "a broker line is no client's"
                parsed = lf.parse_broker_line(line)
                assert parsed is not None and parsed.message == message and parsed.logger == template.logger
                assert (parsed.name, parsed.group, parsed.timestamp_ms) == ("broker-1", "12", 1772442900123.0)
                continue
            if client == "java":
                line = lf.java_line("2026-03-02 09:15:00,123", template.level, "c1", "g", message, template.logger)
            else:
                line = lf.librdkafka_line(1767225600123, template.level, template.logger, "c1#consumer-1", message)
            parsed = lf.parse_line(line)
            assert parsed is not None and parsed.message.strip() == message.strip() and parsed.name in ("c1", "c1#consumer-1")
            assert parsed.timestamp_ms in (1772442900123.0, 1767225600123.0)


def test_field_spellings_round_trip():
    assert lf.parse_java_generation(lf.java_generation(3, "m", "range")) == (3, "m", "range")
    assert lf.parse_java_generation("Generation{generationId=-1, memberId='', protocol='null'}") == (-1, "", None)
    assert lf.parse_java_partitions("[my-topic-0, my-topic-12]") == (("my-topic", 0), ("my-topic", 12))
    assert lf.parse_java_node(lf.java_node("h", 9093, 2)) == ("h", 9093, 2)
    assert lf.parse_java_assignments("{a=Assignment(partitions=[t-0], userDataSize=4), b=Assignment(partitions=[])}") \
        == {"a": (("t", 0),), "b": ()}
    with pytest.raises(ValueError):
        lf.parse_java_partitions("t0")
    assert lf.error_from_librdkafka("Broker: Unknown member") is ErrorCode.UNKNOWN_MEMBER_ID
    assert lf.error_from_librdkafka("Local: Broker transport failure") is None
    with pytest.raises(ValueError, match="needs"):
        lf.format("java", "joined")


def test_cooperative_callbacks_are_what_each_application_received():
    coop = FIXTURES / "librdkafka-cooperative"
    events = read_log([coop / "c1.log", coop / "c2.log"])
    received = json.loads((coop / "callbacks.json").read_text())
    for name, calls in received.items():
        read = [("assign" if isinstance(e, ev.PartitionsAssigned) else "lost" if e.lost else "revoke",
                 [p for _, p in e.partitions])
                for e in events if isinstance(e, (ev.PartitionsAssigned, ev.PartitionsRevoked)) and e.consumer == name]
        assert [list(x) for x in read] == calls, name
    # KIP-429: c1 gave up only the partitions that moved (0-2), kept 3-5, and c2 got 0-2 one rebalance later.
    c2_assigned = [(e.generation_id, e.partitions) for e in of(events, ev.PartitionsAssigned, "c2")]
    assert c2_assigned[:2] == [(2, ()), (3, (("orders", 0), ("orders", 1), ("orders", 2)))]
