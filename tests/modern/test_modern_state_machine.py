"""The consumer group's states: the rule, the table, and every (state, request kind) pair
(docs/consumer-protocol.md §1.1, §1.2)."""

from __future__ import annotations

import itertools

import pytest

from kafkalab.errors import ErrorCode, IllegalTransition
from kafkalab.messages import ConsumerGroupDescribeRequest
from kafkalab.modern import ConsumerGroupConfig
from kafkalab.modern import events as ev
from kafkalab.modern.group import ConsumerGroupMember
from kafkalab.modern.state import (
    MEMBER_TRANSITIONS,
    TRANSITIONS,
    ConsumerGroupState,
    MemberState,
    Trigger,
    all_transitions,
    compute_state,
    next_state,
)
from coord_helpers import ClassicClient, CoordHarness, catch_up, classic_group
from modern_helpers import Harness

E = ErrorCode
S = ConsumerGroupState


def test_the_state_is_computed_from_the_groups_data():
    """docs/consumer-protocol.md §1.1: no members -> Empty; groupEpoch > targetAssignmentEpoch ->
    Assigning; a member not STABLE at the target epoch -> Reconciling; else Stable."""
    assert compute_state(0, 5, 3, False) is S.EMPTY
    assert compute_state(2, 5, 4, True) is S.ASSIGNING
    assert compute_state(2, 5, 5, False) is S.RECONCILING
    assert compute_state(2, 5, 5, True) is S.STABLE


def test_member_defaults_and_epoch_updates():
    """docs/consumer-protocol.md §1.2: a new member is epoch 0, previous -1, STABLE, rebalance timeout -1,
    empty regex; updateMemberEpoch keeps the old epoch as previous (equal when unchanged)."""
    m = ConsumerGroupMember("m")
    assert (m.member_epoch, m.previous_member_epoch, m.state, m.rebalance_timeout_ms, m.subscribed_topic_regex,
            m.server_assignor_name, m.assigned_partitions) == (0, -1, MemberState.STABLE, -1, "", None, {})
    assert (m.with_member_epoch(3).previous_member_epoch, m.with_member_epoch(3).with_member_epoch(3).previous_member_epoch) == (0, 3)
    assert m.is_reconciled_to(0) and not m.is_reconciled_to(1)


def test_dead_is_never_set():
    """docs/consumer-protocol.md §1.1: Dead exists in the enum but no transition leads to it."""
    assert all(to is not S.DEAD for _f, _t, to in all_transitions())


def test_a_change_not_in_the_table_is_a_bug():
    """The table guards the rule: a computed change it does not list raises IllegalTransition."""
    with pytest.raises(IllegalTransition):
        next_state(S.STABLE, Trigger.CONSUMER_GROUP_HEARTBEAT, S.ASSIGNING)
    with pytest.raises(IllegalTransition):
        next_state(S.EMPTY, Trigger.MEMBERS_FENCED, S.ASSIGNING)
    assert next_state(S.STABLE, Trigger.MEMBERS_FENCED, S.STABLE) is S.STABLE  # no change is always fine


def observed(h: Harness) -> set:
    return {(e.old, e.trigger, e.new) for e in h.trace if isinstance(e, ev.ConsumerGroupStateChanged)}


def test_every_listed_transition_happens():
    """docs/consumer-protocol.md §1.1: every row of TRANSITIONS is reachable (and, by the manager's check,
    nothing else happens); Assigning is only visible after a bump without a heartbeat."""
    seen = set()
    h = Harness({"foo": 4, "bar": 2})
    h.join("a")                     # (new) -> Stable
    h.join("b")                     # Stable -> Reconciling
    h.settle()                      # Reconciling -> Stable
    h.leave("b")                    # Stable -> Assigning
    h.heartbeat("a")                # Assigning -> Stable
    h.leave("a")                    # Assigning? no: Stable -> Assigning ... -> Empty below
    seen |= observed(h)
    h = Harness({"foo": 4})
    h.join("a")
    h.join("b")
    h.leave("a")                    # Reconciling -> Assigning
    h.leave("b")                    # Assigning -> Empty
    h.join("c")                     # Empty -> Stable
    h.join("d")
    h.leave("d")                    # Reconciling? d is UNRELEASED: Reconciling -> Assigning
    h.join("e")                     # Assigning -> Reconciling
    seen |= observed(h)
    h = Harness({"foo": 4})
    h.join("a")
    h.leave("a")                    # Stable -> Empty
    h.join("s", instance_id="i")
    h.join("t")
    h.settle()
    h.leave("s")                    # Stable -> Reconciling (static -2)
    seen |= observed(h)
    h = Harness({"foo": 4})
    h.join("s", instance_id="i")
    h.leave("s")                    # Stable -> Reconciling: the only member is away at -2
    h.advance(45_000)               # Reconciling -> Empty: its session expires
    seen |= observed(h)
    h = Harness({"orders": 2, "other": 1})
    h.join("a", topics=("other",))
    h.join("b", topics=None, regex="orders")
    h.advance(0)                    # Stable -> Assigning (regex resolved)
    h.heartbeat("a")
    h.join("c", topics=("other",))
    h.join("d", topics=None, regex="ord.*")
    h.advance(11_000)
    h.heartbeat("d")                # Reconciling, then the refresh resolves ord.*
    h.advance(0)                    # Reconciling -> Assigning
    seen |= observed(h)
    seen |= _classic_member_transitions()
    assert seen == set(all_transitions())


def _classic_member_transitions() -> set:
    """The transitions only classic members cause (docs/consumer-protocol.md §7), through the
    Coordinator: the upgrade, and classic JoinGroups in every state they can change."""
    seen = set()

    def run(policy: str, clients: tuple[str, ...], newcomer_topics: tuple[str, ...]):
        h = CoordHarness({"foo": 6, "bar": 2}, consumer=ConsumerGroupConfig(group_consumer_migration_policy=policy))
        cs = [ClassicClient(h, name) for name in clients]
        classic_group(h, *cs)
        h.join("n", topics=newcomer_topics)             # (new) -> Reconciling: upgraded
        return h, cs

    h, (c1,) = run("bidirectional", ("c1",), ("bar",))
    catch_up(c1)                                         # Reconciling -> Stable: the classic member rejoined
    ClassicClient(h, "c3").join()                        # Stable -> Reconciling: a classic member joined
    seen |= {(e.old, e.trigger, e.new) for e in h.coord.trace if isinstance(e, ev.ConsumerGroupStateChanged)}
    h, (c1,) = run("upgrade", ("c1",), ("bar",))
    catch_up(c1)
    h.leave("n")                                         # no downgrade under "upgrade": Assigning
    catch_up(c1)                                         # Assigning -> Stable
    seen |= {(e.old, e.trigger, e.new) for e in h.coord.trace if isinstance(e, ev.ConsumerGroupStateChanged)}
    h, (c1,) = run("upgrade", ("c1",), ("foo",))
    catch_up(c1)
    h.join("m")
    h.heartbeat("n"), h.heartbeat("m")
    h.leave("m")                                         # Assigning
    catch_up(c1)                                         # Assigning -> Reconciling: n must still catch up
    seen |= {(e.old, e.trigger, e.new) for e in h.coord.trace if isinstance(e, ev.ConsumerGroupStateChanged)}
    return seen


# ---------------------------------------------------------------------------- every (state, request) pair

def build(state: str) -> Harness:
    h = Harness()
    if state == "none":
        return h
    h.join("a")
    h.join("b")
    if state == "reconciling":
        return h  # b UNRELEASED, a must revoke
    h.settle()
    if state == "assigning":
        h.leave("b")
    elif state == "empty":
        h.leave("b")
        h.leave("a")
    return h


def describe(h):
    return h.mgr.consumer_group_describe(ConsumerGroupDescribeRequest(group_ids=("g",)), h.now).groups[0]


KINDS = {
    "join": lambda h: h.join("c"),
    "static join": lambda h: h.join("s", instance_id="i"),
    "heartbeat": lambda h: h.heartbeat("a", epoch=h.epochs.get("a", 1)),
    "heartbeat unknown member": lambda h: h.heartbeat("zz", epoch=1),
    "heartbeat wrong epoch": lambda h: h.heartbeat("a", epoch=h.epochs.get("a", 1) + 5),
    "leave": lambda h: h.leave("a"),
    "static leave unknown instance": lambda h: h.leave("a", instance_id="nope"),
    "describe": describe,
    "offset commit (member epoch)": lambda h: h.mgr.validate_offset_commit("g", "a", None, h.epochs["a"], 9),
    "offset commit (admin)": lambda h: h.mgr.validate_offset_commit("g", "", None, -1, 9),
}

# (state, kind) -> (error code, state afterwards); None = no group.
EXPECTED = {
    ("none", "join"): (E.NONE, "Stable"),
    ("empty", "join"): (E.NONE, "Stable"),
    ("assigning", "join"): (E.NONE, "Reconciling"),
    ("reconciling", "join"): (E.NONE, "Reconciling"),
    ("stable", "join"): (E.NONE, "Reconciling"),
    ("none", "heartbeat"): (E.GROUP_ID_NOT_FOUND, None),
    ("empty", "heartbeat"): (E.UNKNOWN_MEMBER_ID, "Empty"),
    ("assigning", "heartbeat"): (E.NONE, "Stable"),
    ("reconciling", "heartbeat"): (E.NONE, "Reconciling"),
    ("stable", "heartbeat"): (E.NONE, "Stable"),
    ("none", "leave"): (E.GROUP_ID_NOT_FOUND, None),
    ("empty", "leave"): (E.UNKNOWN_MEMBER_ID, "Empty"),
    ("assigning", "leave"): (E.NONE, "Empty"),
    ("reconciling", "leave"): (E.NONE, "Assigning"),
    ("stable", "leave"): (E.NONE, "Assigning"),
}
for _s in ("none", "empty", "assigning", "reconciling", "stable"):
    EXPECTED[(_s, "static join")] = EXPECTED[(_s, "join")]
    for _k in ("heartbeat unknown member", "heartbeat wrong epoch", "static leave unknown instance"):
        if _s == "none":
            EXPECTED[(_s, _k)] = (E.GROUP_ID_NOT_FOUND, None)
        elif _k == "heartbeat wrong epoch" and _s != "empty":
            EXPECTED[(_s, _k)] = (E.FENCED_MEMBER_EPOCH, _s.capitalize())
        else:
            EXPECTED[(_s, _k)] = (E.UNKNOWN_MEMBER_ID, _s.capitalize())
    EXPECTED[(_s, "describe")] = (E.GROUP_ID_NOT_FOUND, None) if _s == "none" else (E.NONE, _s.capitalize())
    if _s != "none":  # the coordinator answers offsets of groups it does not hold
        EXPECTED[(_s, "offset commit (member epoch)")] = (
            E.UNKNOWN_MEMBER_ID if _s == "empty" else E.NONE, _s.capitalize())
        EXPECTED[(_s, "offset commit (admin)")] = (E.NONE if _s == "empty" else E.UNKNOWN_MEMBER_ID, _s.capitalize())


@pytest.mark.parametrize("state, kind", sorted(EXPECTED), ids=[f"{s}-{k}" for s, k in sorted(EXPECTED)])
def test_every_state_and_request_kind(state, kind):
    """docs/consumer-protocol.md §1.1 and §2: each request kind in each state gets a documented code and
    leaves the group in the listed state; an error changes nothing."""
    h = build(state)
    assert h.state == ("(none)" if state == "none" else state.capitalize())
    snapshot = h.group.snapshot() if state != "none" else None
    events = len(h.trace)
    out = KINDS[kind](h)
    code = getattr(out, "error_code", E.NONE if out is None else out)
    want_code, want_state = EXPECTED[(state, kind)]
    assert code is want_code
    assert h.state == (want_state or "(none)")
    if code is not E.NONE or kind.startswith(("describe", "offset")):
        assert len(h.trace) == events and (snapshot is None or h.group.snapshot() == snapshot)
    h.check()


def test_the_pair_table_is_complete():
    """Every state is crossed with every request kind."""
    states = ("none", "empty", "assigning", "reconciling", "stable")
    missing = {p for p in itertools.product(states, KINDS) if p not in EXPECTED}
    assert missing == {("none", "offset commit (member epoch)"), ("none", "offset commit (admin)")}


def test_member_transitions_table_lists_what_reconciliation_does():
    """docs/consumer-protocol.md §3.3: the member-state table used for diagrams has only reachable pairs."""
    assert (MemberState.STABLE, MemberState.UNREVOKED_PARTITIONS) in MEMBER_TRANSITIONS
    assert all(to is not MemberState.UNKNOWN for _f, to in MEMBER_TRANSITIONS)
    assert (MemberState.UNKNOWN, MemberState.UNREVOKED_PARTITIONS) not in MEMBER_TRANSITIONS
    assert set(TRANSITIONS) >= {(None, Trigger.GROUP_CREATED)}
