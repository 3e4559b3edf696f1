"""Coordinator timers (docs/classic-protocol.md §11) and the clock contract (``now`` passed in)."""

from __future__ import annotations

import pytest

from helpers import Harness, S
from kafkalab import Coordinator
from kafkalab.messages import HeartbeatRequest
from kafkalab.timers import HeartbeatTimer, InitialDelay, JoinTimer, OffsetsExpiryTimer, SyncTimer, TimerTable


# ---------------------------------------------------------------- the table


def test_scheduling_an_existing_key_replaces_it():
    t = TimerTable()
    t.schedule(HeartbeatTimer("g", "m"), 100)
    t.schedule(HeartbeatTimer("g", "m"), 50)
    assert len(t) == 1 and t.next_deadline() == 50
    assert t.pop_next_due(49) is None
    assert t.pop_next_due(50).deadline == 50 and t.pop_next_due(10_000) is None


def test_equal_deadlines_fire_in_schedule_order():
    t = TimerTable()
    for key in [JoinTimer("b"), JoinTimer("a"), JoinTimer("c")]:
        t.schedule(key, 10)
    t.schedule(SyncTimer("z"), 5)
    order = [SyncTimer("z"), JoinTimer("b"), JoinTimer("a"), JoinTimer("c")]
    assert [x.key for x in t.due(10)] == order
    assert [t.pop_next_due(10).key for _ in range(4)] == order


def test_rescheduling_moves_a_timer_behind_its_equals():
    t = TimerTable()
    t.schedule(JoinTimer("a"), 10), t.schedule(JoinTimer("b"), 10), t.schedule(JoinTimer("a"), 10)
    assert [x.key for x in t.due(10)] == [JoinTimer("b"), JoinTimer("a")]


def test_cancel_returns_the_timer_or_none():
    t = TimerTable()
    t.schedule(JoinTimer("g"), 3, payload=InitialDelay(3, 0))
    assert t.cancel(JoinTimer("g")).payload == InitialDelay(delay_ms=3, remaining_ms=0)
    assert t.cancel(JoinTimer("g")) is None and t.next_deadline() is None


def test_timer_keys_are_equal_by_kind_and_ids():
    assert HeartbeatTimer("g", "m") == HeartbeatTimer("g", "m") != HeartbeatTimer("g", "n")
    assert JoinTimer("g") != SyncTimer("g") and OffsetsExpiryTimer() == OffsetsExpiryTimer()
    assert [k.group_id for k in (HeartbeatTimer("g", "m"), JoinTimer("g"), SyncTimer("g"), OffsetsExpiryTimer())] \
        == ["g", "g", "g", None]


# ---------------------------------------------------------------- in the coordinator


def test_timer_keys_and_lengths():
    h = Harness(rebalance_timeout_ms=20_000)
    h.join("a", round_trip=False, session_timeout_ms=7_000)           # pending id: its requested session
    assert h.deadline("heartbeat", "a") == 7_000
    h.join("a")                                                       # new member: 5 minutes
    assert h.deadline("heartbeat", "a") == 300_000
    assert h.deadline("join") == 3_000                                # the delayed join (initial delay)
    h.advance_to(3_000)
    assert h.deadline("heartbeat", "a") == 3_000 + 10_000             # the member's session timeout
    assert h.deadline("sync") == 3_000 + 20_000                       # the group rebalance timeout
    assert set(h.c.timers.keys()) == {HeartbeatTimer("g", "a-1"), SyncTimer("g"), OffsetsExpiryTimer()}


def test_equal_deadlines_heartbeat_scheduled_first_fires_first():
    """testCompleteJoinRemoveNotYetRejoinedDynamicMembers: a's session (scheduled at the join
    completion) and the join timer (scheduled when b joined) are both due at 1000; the session
    fires first, removes a and completes the join, which cancels the join timer."""
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=1_000, rebalance_timeout_ms=1_000)
    h.join("a"), h.complete_join()
    h.join("b")
    fired = h.advance(1_000)
    assert [t.key for t in fired] == [HeartbeatTimer("g", "a-1")]
    assert h.members == ["b"] and h.generation == 2


def test_equal_deadlines_join_timer_scheduled_first_fires_first():
    """testRebalanceCompletesBeforeMemberJoins: the join timer (scheduled at 0) and a's session
    (restarted by a heartbeat at 5000) are both due at 10000; the join timer fires first and its
    completion restarts a's session, so a's old timer never fires."""
    h = Harness(initial_rebalance_delay_ms=0, session_timeout_ms=5_000, rebalance_timeout_ms=10_000)
    h.join("a", instance_id="ia"), h.complete_join(), h.sync("a")
    h.join("b")
    h.heartbeat("a", at=2_500), h.heartbeat("a", at=5_000)
    fired = h.advance_to(10_000)
    assert [t.key for t in fired] == [JoinTimer("g")]
    assert h.members == ["a", "b"] and h.deadline("heartbeat", "a") == 15_000


def test_on_timer_fires_timers_scheduled_for_now_while_firing():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a"), h.join("b")  # b extends the (zero) delay: a second delayed-join timer at 0
    replies = h.c.on_timer(0)
    assert h.state is S.COMPLETING_REBALANCE and len(replies) == 2


def test_next_deadline_is_the_earliest_timer():
    c = Coordinator()
    assert c.next_deadline() is None
    h = Harness()
    h.join("a", at=5)
    assert h.c.next_deadline() == 5 + 3_000


def test_now_must_not_go_backwards_or_be_anything_but_an_int():
    h = Harness()
    h.join("a", at=100)
    with pytest.raises(ValueError, match="backwards"):
        h.c.handle(HeartbeatRequest(group_id="g"), "a", 99)
    with pytest.raises(ValueError, match="backwards"):
        h.c.on_timer(50)
    for bad in (100.0, True, "100"):
        with pytest.raises(TypeError):
            h.c.on_timer(bad)
    assert h.c.on_timer(100) == []  # the same instant is fine
