"""The group state machine (docs/classic-protocol.md §5): the valid-previous-states table, every listed
transition reached through requests and timers, and the answer of every (state, request) pair."""

from __future__ import annotations

import itertools

import pytest

from helpers import E, Harness, S
from kafkalab import IllegalTransition, Trigger
from kafkalab import trace as tr
from kafkalab.grouplog import GroupLog
from kafkalab.classic.state import VALID_PREVIOUS_STATES, all_transitions, next_state
from kafkalab.consumer_protocol import encode_assignment, encode_subscription
from kafkalab.messages import ConsumerGroupHeartbeatRequest

T = Trigger


def test_valid_previous_states_are_kafkas():
    assert VALID_PREVIOUS_STATES == {
        S.PREPARING_REBALANCE: {S.STABLE, S.COMPLETING_REBALANCE, S.EMPTY},
        S.COMPLETING_REBALANCE: {S.PREPARING_REBALANCE},
        S.STABLE: {S.COMPLETING_REBALANCE},
        S.EMPTY: {S.PREPARING_REBALANCE},
        S.DEAD: set(S),
    }
    assert [str(s) for s in S] == ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"]


def test_illegal_transitions_raise():
    with pytest.raises(IllegalTransition):
        next_state(S.EMPTY, T.ASSIGNMENT_WRITTEN)
    with pytest.raises(IllegalTransition):
        next_state(S.STABLE, T.JOIN_COMPLETED)
    assert not any(f is S.STABLE and to is S.EMPTY for f, _, to in all_transitions())  # no Stable -> Empty


def _scenarios() -> list[Harness]:
    """Drive groups through every transition of the reference's table."""
    hs = []

    def new(**kw):
        kw.setdefault("initial_rebalance_delay_ms", 0)
        h = Harness(**kw)
        hs.append(h)
        return h

    h = new(session_timeout_ms=600_000)                  # created, member added from Empty,
    h.join_and_sync("a", "b")                            # join completed, assignment written
    h.join("c")                                          # Stable: new member
    h.join("a"), h.join("b"), h.join("c")                # -> CompletingRebalance
    h.join("d")                                          # CompletingRebalance: new member
    for n in "abcd":
        h.join(n)
    h.join("a", protocols=(("range", b"v2"),))           # CompletingRebalance: protocols changed
    for n in "bcd":
        h.join(n)
    h.sync("a", {}), h.sync("b"), h.sync("c"), h.sync("d")
    h.join("a")                                          # Stable: leader rejoined
    for n in "bcd":
        h.join(n)
    h.sync("a", {}), h.sync("b"), h.sync("c"), h.sync("d")
    h.join("b", protocols=(("range", b"v2"),))           # Stable: protocols changed
    for n in "acd":
        h.join(n)
    h.leave("d")                                         # CompletingRebalance: member left
    for n in "abc":
        h.join(n)
    h.sync("a", {}), h.sync("b"), h.sync("c")
    h.leave("c")                                         # Stable: member left
    h.join("a"), h.join("b")
    h.c.inject_write_error(E.NOT_LEADER_OR_FOLLOWER)
    h.sync("a", {})                                      # CompletingRebalance: write failed
    h.join("a"), h.join("b")
    h.sync("a", {})                                      # (Stable; the sync timer still runs for b)
    h.advance(30_000)                                    # Stable: pending sync expired

    # The online downgrade (docs/consumer-protocol.md §7.2): a classic group upgraded by a
    # ConsumerGroupHeartbeat join becomes classic again when that member leaves.
    h = new(protocols=(("range", encode_subscription(["foo"], version=3)),))
    h.join_and_sync("a", assignments={"a": encode_assignment([("foo", 0)])})
    h.send(ConsumerGroupHeartbeatRequest(group_id="g", member_id="n", member_epoch=0, rebalance_timeout_ms=30_000,
                                         subscribed_topic_names=("foo",), topic_partitions=()), "n")
    h.send(ConsumerGroupHeartbeatRequest(group_id="g", member_id="n", member_epoch=-1), "n")

    h = new(session_timeout_ms=5_000)
    h.join_and_sync("a", "b")
    h.heartbeat("a", at=4_000)
    h.advance_to(5_000)                                  # Stable: session expired
    h.join("a")
    h.advance_to(9_000)                                  # CompletingRebalance: session expired
    h.advance_to(100_000)                                # (pending sync -> Empty)

    h = new(rebalance_timeout_ms=5_000, session_timeout_ms=60_000)
    h.join("a"), h.join("b"), h.complete_join()
    h.sync("b")
    h.advance_to(5_000)                                  # CompletingRebalance: pending sync expired

    h = new(protocols=(("range", b""), ("roundrobin", b"")))
    h.instance_ids.update(a="ia", b="ib")
    h.join_and_sync("a", "b")
    h.join("b2", instance_id="ib", protocols=(("roundrobin", b""),))  # Stable: replaced, protocol changes
    h.join("a")
    h.join("b3", instance_id="ib", protocols=(("roundrobin", b""),))  # CompletingRebalance: replaced

    log = GroupLog()                                     # loaded with members -> Stable; unloads
    h = new(log=log)
    h.join_and_sync("a")
    h.commit(group_id="simple")
    h2 = new(log=log)
    h2.c.load_partition(h2.c.partition_of("g"), now=0)
    h2.c.load_partition(h2.c.partition_of("simple"), now=0)
    for state_maker in ("empty", "preparing", "completing", "stable", "dead"):
        x = new()
        if state_maker == "empty":
            x.join("a", round_trip=False)
        elif state_maker == "preparing":
            x.join("a")
        elif state_maker == "completing":
            x.join("a"), x.complete_join()
        elif state_maker == "stable":
            x.join_and_sync("a")
        else:
            x.join("a", round_trip=False)
            x.make_dead()
            assert "g" in x.c.groups  # the Dead group is still there, so unloading moves it Dead -> Dead
        x.c.unload_partition(x.c.partition_of("g"), now=x.now)
    return hs


def test_every_listed_transition_is_reached_with_its_trigger():
    seen = set()
    for h in _scenarios():
        seen |= {(e.old, e.trigger, e.new) for e in h.events(tr.StateChanged)}
    assert seen == set(all_transitions())


# ---------------------------------------------------------------- the per-state answer table


def _group_in(state: S) -> Harness:
    """A group with members a (leader), b and c in ``state``; b's id/generation are current."""
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b", "c")
    if state is S.EMPTY:
        b_id, gen = h.id("b"), h.generations["b"]
        h.leave("a", "b", "c")
        h.member_ids["b"], h.generations["b"] = b_id, gen
    elif state is S.PREPARING_REBALANCE:
        h.join("a")
    elif state is S.COMPLETING_REBALANCE:
        h.join("a"), h.join("b"), h.join("c")
    elif state is S.DEAD:
        h.make_dead()
    assert h.state is state
    return h


EXPECTED = {
    # state: (JoinGroup from b with its id, SyncGroup, Heartbeat, OffsetCommit with member+generation)
    S.EMPTY: (E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID),
    S.PREPARING_REBALANCE: ("parked", E.REBALANCE_IN_PROGRESS, E.REBALANCE_IN_PROGRESS, E.NONE),
    S.COMPLETING_REBALANCE: (E.NONE, "parked", E.NONE, E.REBALANCE_IN_PROGRESS),
    S.STABLE: (E.NONE, E.NONE, E.NONE, E.NONE),
    S.DEAD: (E.COORDINATOR_NOT_AVAILABLE,) * 4,
}


@pytest.mark.parametrize("state, kind", list(itertools.product(EXPECTED, range(4))),
                         ids=lambda x: str(x) if isinstance(x, S) else ["join", "sync", "heartbeat", "commit"][x])
def test_answer_of_every_state_and_request(state, kind):
    h = _group_in(state)
    gen_before = h.generation
    if kind == 0:
        r = h.join("b")
        got = "parked" if r is None else r.error_code
        if state is S.EMPTY:
            assert r.generation_id == -1
    elif kind == 1:
        r = h.sync("b")
        got = "parked" if r is None else r.error_code
    elif kind == 2:
        got = h.heartbeat("b").error_code
    else:
        got = h.commit("b").topics[0].partitions[0].error_code
    assert got == EXPECTED[state][kind]
    assert h.state is state and h.generation == gen_before  # none of these moves the group


def test_empty_group_accepts_a_commit_with_generation_minus_one():
    h = _group_in(S.EMPTY)
    assert h.commit("b", generation=-1).topics[0].partitions[0].error_code is E.NONE


def test_transition_records_the_previous_state_and_timestamp():
    h = Harness()
    h.join("a", at=40)
    g = h.group
    assert (g.previous_state, g.state, g.current_state_timestamp) == (S.EMPTY, S.PREPARING_REBALANCE, 40)
    changes = h.events(tr.StateChanged)
    assert [(e.old, e.new, e.trigger, e.at) for e in changes] == [
        (None, S.EMPTY, T.GROUP_CREATED, 40), (S.EMPTY, S.PREPARING_REBALANCE, T.MEMBER_ADDED, 40)]
