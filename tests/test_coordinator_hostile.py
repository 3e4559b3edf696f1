"""Hostile input to the classic coordinator: nothing may wedge a group or escape ``handle``/``on_timer``.

* **A JoinGroup that lists a protocol name twice.** Kafka keeps a JoinGroup's protocols in an
  ``ImplicitLinkedHashMultiCollection`` (the duplicate stays) and ``ClassicGroup`` counts every
  entry in ``supportedProtocols``, so the name counts twice for one member. Then no protocol is
  listed "by every member": Kafka refuses the other members' rejoins with
  INCONSISTENT_GROUP_PROTOCOL, and its join phase throws in ``selectProtocol`` (``vote``) inside
  the join timer, leaving the group in PreparingRebalance with its JoinGroups unanswered.
  kafkalab counts each name once per member (the member's first entry votes and supplies the
  metadata, as in Kafka), so such a member is an ordinary one (docs/differences.md).
* **An internal error** in a handler or a timer (injected here) is answered with an error code
  and the group is rebuilt from its last record.
* **Property tests** send arbitrary type-correct requests with edge values (duplicates, empty
  strings, huge and negative numbers, every version) to a Coordinator and, encoded and decoded
  by the codec, to a two-broker WireCluster, on a random clock: no exception escapes, every
  request is answered at once or parked (and a parked one answered later, or dropped only
  where Kafka drops it), every parked request is answered once time runs past its timeouts,
  and the group invariants hold after every call.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode, GroupState
from kafkalab import coordinator as coordinator_module
from kafkalab import messages as m
from kafkalab import trace as tr
from kafkalab.classic import join as classic_join
from kafkalab.classic.group import Group
from kafkalab.messages import JoinGroupResponse
from helpers import Harness, protocols
from hostile_requests import CONFIGS, STEPS, Driver

E = ErrorCode
S = GroupState


# ---------------------------------------------------------------------------- a duplicated protocol name

def stable(*names: str, **kwargs) -> Harness:
    h = Harness(initial_rebalance_delay_ms=0, **kwargs)
    h.join_and_sync(*names)
    return h


def test_a_join_listing_a_protocol_twice_is_answered_and_the_group_completes_its_rebalance():
    h = stable("a", "b", rebalance_timeout_ms=5_000)
    generation = h.generation
    dup = (("range", b"first"), ("range", b"second"))
    assert h.join("x", protocols=dup) is None        # admitted, as Kafka admits it
    assert h.state is S.PREPARING_REBALANCE
    assert h.group.supported_protocols == Counter({"range": 3})   # once per member (Kafka: 4)
    assert h.join("a") is None                        # Kafka: INCONSISTENT_GROUP_PROTOCOL
    answer = h.join("b")                              # everyone rejoined: the join phase completes
    assert answer.error_code is E.NONE and answer.protocol_name == "range"
    answers = {n: h.last(n, JoinGroupResponse) for n in ("a", "b", "x")}
    assert all(a.error_code is E.NONE and a.generation_id == generation + 1 for a in answers.values())
    leader = answers[h.leader]
    # The leader sees the member's first entry, as Kafka's metadata(protocol) returns it.
    assert {mb.member_id: mb.metadata for mb in leader.members}[h.id("x")] == b"first"
    h.sync(h.leader, {"a": b"A", "b": b"B", "x": b"X"})
    for n in ("a", "b", "x"):
        if n != h.leader:
            assert h.sync(n).error_code is E.NONE
    assert h.state is S.STABLE


def test_a_lone_member_listing_a_protocol_twice_forms_a_group():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("x", protocols=protocols("range", "range"))
    h.advance(0)                                      # Kafka: selectProtocol throws in the timer
    answer = h.last("x", JoinGroupResponse)
    assert answer.error_code is E.NONE and answer.protocol_name == "range"
    assert h.state is S.COMPLETING_REBALANCE


def test_duplicates_do_not_inflate_the_support_count_for_later_members():
    # Kafka: "x" counts 3 for 2 members after b joins, so c is refused INCONSISTENT_GROUP_PROTOCOL
    # and the join phase throws. kafkalab: everyone is in, protocol x.
    h = Harness(initial_rebalance_delay_ms=0, rebalance_timeout_ms=5_000)
    h.join("a", protocols=protocols("x"))
    h.advance(0)
    h.sync("a", {"a": b""})
    h.join("b", protocols=protocols("x", "x"))
    assert h.join("c", protocols=protocols("x")) is None
    h.join("a", protocols=protocols("x"))
    assert {n: h.last(n, JoinGroupResponse).error_code for n in "abc"} == dict.fromkeys("abc", E.NONE)
    assert h.group.protocol_name == "x"


def test_the_first_entry_of_a_repeated_name_is_the_one_that_votes():
    # a prefers y (listed twice) over x; b too. Kafka's counts (y=3 for 2 members) leave only x
    # as a candidate; kafkalab's leave y and x, and both members vote y.
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", protocols=protocols("y", "y", "x"))
    h.join("b", protocols=protocols("y", "x"))
    h.advance(0)
    assert h.group.protocol_name == "y"
    # A member that supports nothing every member lists is refused, as in Kafka.
    assert h.join("c", protocols=protocols("z")).error_code is E.INCONSISTENT_GROUP_PROTOCOL


def test_a_static_member_restarting_with_a_repeated_name_keeps_a_stable_group_stable():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", instance_id="ia")
    h.join("s", instance_id="is")
    h.advance(0)
    h.sync(h.leader, {"a": b"A", "s": b"S"})
    h.sync("s" if h.leader == "a" else "a")
    generation = h.generation
    # Kafka's selectProtocol throws here (range counts 3 for 2 members).
    answer = h.join("s", new=True, protocols=protocols("range", "range"))
    assert answer.error_code is E.NONE and answer.generation_id == generation
    assert h.state is S.STABLE


# ---------------------------------------------------------------------------- a zero rebalance timeout

def test_waiting_for_static_members_with_a_zero_rebalance_timeout_retries_each_millisecond():
    """Found by the property test: with only static members that did not rejoin, the join phase
    retries after the rebalance timeout; at 0 (or less) that retry was due at once, again and
    again, and on_timer never returned. Kafka busy-loops there; kafkalab retries 1 ms later."""
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=10_000)
    h.join("a", instance_id="ia", rebalance_timeout_ms=0)
    h.join("b", rebalance_timeout_ms=30_000)
    h.advance(0)
    h.sync(h.leader, {"a": b"A", "b": b"B"})
    h.sync("b" if h.leader == "a" else "a")
    assert h.state is S.STABLE
    h.leave("b", at=100)                               # a rebalance a (static) does not rejoin
    assert h.state is S.PREPARING_REBALANCE
    h.advance(0)                                       # returns: the retry is 1 ms later
    assert h.deadline("join") == 101 and h.state is S.PREPARING_REBALANCE
    h.advance(5)
    assert h.deadline("join") == 106
    answer = h.join("a", rebalance_timeout_ms=0)      # a rejoins: everyone has, the phase completes
    assert answer.error_code is E.NONE and h.state is S.COMPLETING_REBALANCE


# ---------------------------------------------------------------------------- an internal error

class Boom(Exception):
    pass


def test_an_internal_error_in_a_handler_is_answered_and_the_group_is_rebuilt_from_its_record(monkeypatch):
    h = stable("a", "b", rebalance_timeout_ms=5_000)
    generation = h.generation
    h.join("c")                                        # parked: the group is rebalancing
    assert h.state is S.PREPARING_REBALANCE

    def explode(*args, **kwargs):
        raise Boom("injected")

    monkeypatch.setattr(classic_join, "update_member_and_rebalance", explode)
    answer = h.join("a")                               # raises inside the handler
    monkeypatch.undo()
    assert answer.error_code is E.UNKNOWN_SERVER_ERROR
    assert h.last("c", JoinGroupResponse).error_code is E.NOT_COORDINATOR
    errors = h.events(tr.InternalError)
    assert [(e.group_id, e.error) for e in errors] == [("g", "Boom: injected")]
    removed = h.events(tr.GroupRemoved)
    assert [e.reason for e in removed] == [tr.GroupRemovalReason.INTERNAL_ERROR]
    # Back to the last record: Stable in the old generation with a and b, each with a session.
    assert h.state is S.STABLE and h.generation == generation and set(h.members) == {"a", "b"}
    assert all(h.deadline("heartbeat", n) is not None for n in ("a", "b"))
    # The clients carry on: a rebalance with the newcomer completes.
    assert h.join("c", new=True) is None
    h.join("a")
    assert h.join("b").error_code is E.NONE
    assert h.state is S.COMPLETING_REBALANCE and set(h.members) == {"a", "b", "c"}


def test_an_internal_error_in_a_timer_answers_every_parked_request(monkeypatch):
    h = stable("a", "b", rebalance_timeout_ms=5_000)
    h.join("c")
    h.join("a")
    monkeypatch.setattr(Group, "select_protocol", lambda self: (_ for _ in ()).throw(Boom("in a timer")))
    h.advance(5_000)                                   # the join timer: b did not rejoin
    monkeypatch.undo()
    assert h.last("a", JoinGroupResponse).error_code is E.NOT_COORDINATOR
    assert h.last("c", JoinGroupResponse).error_code is E.NOT_COORDINATOR
    assert h.state is S.STABLE and set(h.members) == {"a", "b"}
    assert h.c.next_deadline() is not None


def test_an_internal_error_for_a_group_never_written_drops_it(monkeypatch):
    h = Harness(initial_rebalance_delay_ms=0)
    monkeypatch.setattr(classic_join, "add_member_and_rebalance",
                        lambda *a, **k: (_ for _ in ()).throw(Boom("first join")))
    assert h.join("a").error_code is E.UNKNOWN_SERVER_ERROR
    monkeypatch.undo()
    assert h.group is None or h.state is S.EMPTY
    h.join("a", new=True)
    h.advance(0)
    assert h.last("a", JoinGroupResponse).error_code is E.NONE


@pytest.mark.parametrize("request_", [
    m.SyncGroupRequest(group_id="g", generation_id=1, member_id="m"),
    m.HeartbeatRequest(group_id="g", generation_id=1, member_id="m"),
    m.LeaveGroupRequest(group_id="g", members=(m.MemberIdentity("m"),)),
    m.OffsetCommitRequest(group_id="g", topics=(m.OffsetCommitRequestTopic("t", (
        m.OffsetCommitRequestPartition(0, 5), m.OffsetCommitRequestPartition(1, 6))),)),
    m.OffsetFetchRequest(group_id="g"),
    m.DescribeGroupsRequest(groups=("g", "h")),
    m.ListGroupsRequest(),
], ids=lambda r: r.API)
def test_every_api_answers_an_internal_error_with_unknown_server_error(monkeypatch, request_):
    c = Coordinator(CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    def explode(*args, **kwargs):
        raise Boom("x")

    if type(request_) in coordinator_module.ROUTES:
        routes = dict(coordinator_module.ROUTES)
        routes[type(request_)] = dataclasses.replace(routes[type(request_)], handler=explode)
        monkeypatch.setattr(coordinator_module, "ROUTES", routes)
    else:  # DescribeGroups and ListGroups are answered by the service itself
        monkeypatch.setattr(Coordinator, "_describe_groups", explode)
        monkeypatch.setattr(Coordinator, "_list_groups", explode)
    [reply] = c.handle(request_, "o", 0)
    codes = [reply.response.error_code] if hasattr(reply.response, "error_code") else [
        p.error_code for t in getattr(reply.response, "topics", ()) for p in t.partitions] or [
        g.error_code for g in reply.response.groups]
    assert codes and set(codes) == {E.UNKNOWN_SERVER_ERROR}


# ---------------------------------------------------------------------------- property tests

@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CONFIGS, STEPS)
def test_arbitrary_requests_never_escape_wedge_or_lose_an_answer(config, steps):
    Driver(config).run(steps)


def test_requests_of_versions_kafka_does_not_serve_are_refused_before_they_reach_a_group():
    for api, (lo, hi) in m.API_VERSIONS.items():
        cls = getattr(m, f"{api}Request")
        for v in (lo - 1, hi + 1, -1, 2**15):
            with pytest.raises(ValueError, match=f"api_version={v} is outside the modelled range"):
                cls(api_version=v)
