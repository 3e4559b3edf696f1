"""Every (group state, request kind) pair: the documented error code and the documented transition.

Each group state is built through the public API (``Coordinator.handle`` / ``on_timer`` /
``unload_partition``; only "Dead (held)" then puts the Dead group back, see below), with three members: a dynamic leader ``L``, a dynamic follower ``F`` and a
static follower ``S`` (group.instance.id ``s-1``).  Then one request of each kind is sent and the
test checks, against docs/classic-protocol.md:

* the error code of the answer to *that* request (or that it was parked: no answer yet),
  from the per-state table of §5 and the validation orders of §6.1/§6.4/§6.7 (JoinGroup),
  §7 (SyncGroup), §8 (Heartbeat), §9 (LeaveGroup), §10 (OffsetCommit/OffsetFetch);
* the state afterwards, and the exact chain of ``StateChanged`` triggers the request caused, each
  of which must be a row of :data:`kafkalab.classic.state.TRANSITIONS` (or the join phase ending in Empty);
* every other answer the request caused carries a code documented for its API, and no origin is
  answered twice.

The states (§5):

* ``Missing``: no such group (a fresh coordinator);
* ``Empty``: the three members left a Stable group (generation 1 -> Empty at generation 2, §9);
* ``PreparingRebalance``: Stable, then ``L`` and ``S`` rejoined (``L``'s JoinGroup is
  LEADER_REJOINED, §6.4); ``F`` has not rejoined, so the join phase is still open;
* ``CompletingRebalance``: all three rejoined, generation 2; nobody has sent SyncGroup yet;
* ``Stable``: generation 1, every member synced;
* ``Dead``: Stable, then the group's ``__consumer_offsets`` partition was unloaded
  (``unload_partition``): the group is gone from this coordinator, whose gate answers
  NOT_COORDINATOR (§3, "on unload");
* ``Dead (held)``: the same Dead group object, put back where a request can still reach it -- the
  window Kafka's own tests build with ``group.transitionTo(DEAD)`` (``testJoinGroupUnknownConsumer
  NewDeadGroup``, ``testHeartbeatDeadGroup``, ``testLeaveDeadGroup``...): the §5 "Dead" row,
  COORDINATOR_NOT_AVAILABLE.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode, GroupState, Trigger
from kafkalab.messages import (
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    ListGroupsRequest,
    ListGroupsResponse,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    OffsetFetchResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from kafkalab.classic.state import TRANSITIONS, TRANSITIONS_TO_EMPTY
from model_client import response_codes

E = ErrorCode
S = GroupState
T = Trigger

GID = "orders"
SESSION_MS = 10_000
REBALANCE_MS = 30_000
INSTANCE = "s-1"
META = b"subscription:t0,t1"
OTHER_META = b"subscription:t0"

#: Codes documented for each API's answers (docs/classic-protocol.md §3, §6-§10), used for every answer
#: a request causes (including answers to other, parked requests).
DOCUMENTED = {
    JoinGroupResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                        E.INVALID_GROUP_ID, E.INVALID_SESSION_TIMEOUT, E.INCONSISTENT_GROUP_PROTOCOL,
                        E.UNKNOWN_MEMBER_ID, E.GROUP_MAX_SIZE_REACHED, E.MEMBER_ID_REQUIRED,
                        E.FENCED_INSTANCE_ID, E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED},
    SyncGroupResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                        E.INVALID_GROUP_ID, E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION,
                        E.INCONSISTENT_GROUP_PROTOCOL, E.REBALANCE_IN_PROGRESS, E.FENCED_INSTANCE_ID,
                        E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED},
    HeartbeatResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.INVALID_GROUP_ID,
                        E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION, E.REBALANCE_IN_PROGRESS,
                        E.FENCED_INSTANCE_ID, E.GROUP_AUTHORIZATION_FAILED},
    LeaveGroupResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                         E.INVALID_GROUP_ID, E.UNKNOWN_MEMBER_ID, E.FENCED_INSTANCE_ID,
                         E.GROUP_AUTHORIZATION_FAILED},
    OffsetCommitResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                           E.INVALID_GROUP_ID, E.OFFSET_METADATA_TOO_LARGE, E.ILLEGAL_GENERATION,
                           E.UNKNOWN_MEMBER_ID, E.REBALANCE_IN_PROGRESS, E.GROUP_ID_NOT_FOUND,
                           E.FENCED_INSTANCE_ID, E.UNKNOWN_SERVER_ERROR, E.GROUP_AUTHORIZATION_FAILED},
    OffsetFetchResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR, E.COORDINATOR_LOAD_IN_PROGRESS,
                          E.INVALID_GROUP_ID, E.UNSTABLE_OFFSET_COMMIT, E.GROUP_AUTHORIZATION_FAILED},
    DescribeGroupsResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR,
                             E.COORDINATOR_LOAD_IN_PROGRESS, E.GROUP_AUTHORIZATION_FAILED},
    ListGroupsResponse: {E.NONE, E.COORDINATOR_NOT_AVAILABLE},
}

PARKED = "parked"  # the request is held: no answer to it yet (§6.4, §6.5, §7)


# ---------------------------------------------------------------------------- building the states

def protocols(meta: bytes = META) -> tuple[JoinGroupRequestProtocol, ...]:
    return (JoinGroupRequestProtocol("range", meta),)


def _id_generator() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}-{next(counter)}"


@dataclass
class Ctx:
    """A coordinator with group ``GID`` in one state, and what the requests need to know."""

    coord: Coordinator
    now: int
    leader: str = "L-ghost"
    follower: str = "F-ghost"
    static: str = "S-ghost"
    generation: int = 0
    assignments: dict = field(default_factory=dict)
    #: origins of requests parked while building the state (so their later answers are expected)
    parked: set = field(default_factory=set)


def _join(ctx: Ctx, origin, member_id="", instance=None, version=5, meta=META, client_id="consumer"):
    return ctx.coord.handle(JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        member_id=member_id, group_instance_id=instance, protocols=protocols(meta),
        api_version=version, client_id=client_id), origin, ctx.now)


def _only(replies, origin):
    mine = [r.response for r in replies if r.origin == origin]
    assert len(mine) <= 1, f"{origin} answered {len(mine)} times"
    return mine[0] if mine else None


def _fire_until(ctx: Ctx, state: GroupState) -> list:
    """Advance to each next deadline until the group reaches ``state``; return the replies."""
    replies = []
    for _ in range(10):
        if ctx.coord.groups[GID].state is state:
            return replies
        ctx.now = ctx.coord.next_deadline()
        replies += ctx.coord.on_timer(ctx.now)
    raise AssertionError(f"group never reached {state}")


def build_stable() -> Ctx:
    """L, F (dynamic, JoinGroup v5 so MEMBER_ID_REQUIRED first) and S (static) -> Stable, gen 1."""
    ctx = Ctx(Coordinator(CoordinatorConfig(), new_member_id=_id_generator()), now=0)
    for name in ("L", "F"):
        resp = _only(_join(ctx, (name, "mid"), client_id=name), (name, "mid"))
        assert resp.error_code is E.MEMBER_ID_REQUIRED
        assert _only(_join(ctx, (name, "join1"), member_id=resp.member_id, client_id=name), (name, "join1")) is None
        setattr(ctx, {"L": "leader", "F": "follower"}[name], resp.member_id)
    assert _only(_join(ctx, ("S", "join1"), instance=INSTANCE, client_id="S"), ("S", "join1")) is None
    ctx.static = ctx.coord.groups[GID].static_members[INSTANCE]
    replies = _fire_until(ctx, S.COMPLETING_REBALANCE)
    answers = {r.origin: r.response for r in replies}
    assert {o: a.error_code for o, a in answers.items()} == {
        ("L", "join1"): E.NONE, ("F", "join1"): E.NONE, ("S", "join1"): E.NONE}
    assert answers[("L", "join1")].leader == ctx.leader
    ctx.generation = 1
    ctx.assignments = {ctx.leader: b"t0-0", ctx.follower: b"t0-1", ctx.static: b"t1-0"}
    _sync(ctx, ("L", "sync1"), ctx.leader, ctx.assignments)
    _sync(ctx, ("F", "sync1"), ctx.follower)
    _sync(ctx, ("S", "sync1"), ctx.static, instance=INSTANCE)
    assert ctx.coord.groups[GID].state is S.STABLE
    return ctx


def _sync(ctx: Ctx, origin, member_id, assignments=None, instance=None):
    resp = _only(ctx.coord.handle(SyncGroupRequest(
        group_id=GID, generation_id=ctx.generation, member_id=member_id, group_instance_id=instance,
        assignments=tuple(SyncGroupRequestAssignment(m, a) for m, a in (assignments or {}).items())),
        origin, ctx.now), origin)
    assert resp is not None and resp.error_code is E.NONE


def build_missing() -> Ctx:
    return Ctx(Coordinator(CoordinatorConfig(), new_member_id=_id_generator()), now=0)


def build_empty() -> Ctx:
    ctx = build_stable()
    ctx.now += 1_000
    replies = ctx.coord.handle(LeaveGroupRequest(group_id=GID, api_version=3, members=(
        MemberIdentity(ctx.leader), MemberIdentity(ctx.follower), MemberIdentity(ctx.static, INSTANCE))),
        "admin", ctx.now)
    assert [m.error_code for m in _only(replies, "admin").members] == [E.NONE] * 3
    group = ctx.coord.groups[GID]
    assert group.state is S.EMPTY and group.generation_id == 2  # §9: generation + 1
    ctx.generation = 2
    return ctx


def build_preparing() -> Ctx:
    ctx = build_stable()
    ctx.now += 1_000
    assert _only(_join(ctx, ("L", "join2"), member_id=ctx.leader), ("L", "join2")) is None
    assert _only(_join(ctx, ("S", "join2"), member_id=ctx.static, instance=INSTANCE), ("S", "join2")) is None
    assert ctx.coord.groups[GID].state is S.PREPARING_REBALANCE
    assert ctx.coord.groups[GID].previous_state is S.STABLE
    ctx.parked = {("L", "join2"), ("S", "join2")}
    return ctx


def build_completing() -> Ctx:
    ctx = build_preparing()
    replies = _join(ctx, ("F", "join2"), member_id=ctx.follower)
    assert {r.origin: r.response.error_code for r in replies} == {
        ("L", "join2"): E.NONE, ("S", "join2"): E.NONE, ("F", "join2"): E.NONE}
    assert ctx.coord.groups[GID].state is S.COMPLETING_REBALANCE
    ctx.generation = 2
    ctx.parked = set()
    return ctx


def build_dead() -> Ctx:
    ctx = build_stable()
    ctx.now += 1_000
    ctx.coord.unload_partition(ctx.coord.partition_of(GID), ctx.now)
    assert GID not in ctx.coord.groups
    return ctx


def build_dead_held() -> Ctx:
    ctx = build_stable()
    ctx.now += 1_000
    group = ctx.coord.groups[GID]
    ctx.coord.unload_partition(ctx.coord.partition_of(GID), ctx.now)
    assert group.state is S.DEAD
    # Kafka's tests: ``group.transitionTo(DEAD)`` on a group the coordinator still holds.
    ctx.coord.groups[GID] = group
    ctx.coord.owned_partitions = None
    return ctx


STATES: dict[str, Callable[[], Ctx]] = {
    "Missing": build_missing,
    "Empty": build_empty,
    "PreparingRebalance": build_preparing,
    "CompletingRebalance": build_completing,
    "Stable": build_stable,
    "Dead": build_dead,
    "Dead (held)": build_dead_held,
}


# ---------------------------------------------------------------------------- the request kinds

def _commit(ctx: Ctx, member_id: str, generation: int, version: int) -> OffsetCommitRequest:
    return OffsetCommitRequest(
        group_id=GID, generation_id=generation, member_id=member_id, api_version=version,
        topics=(OffsetCommitRequestTopic("t0", (OffsetCommitRequestPartition(0, 42),)),))


REQUESTS: dict[str, Callable[[Ctx], object]] = {
    # JoinGroup from a new dynamic member: v3 is added at once (§6.2 "Version < 4"), v5 gets
    # MEMBER_ID_REQUIRED with a pending id (KIP-394).
    "join new member v3": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        protocols=protocols(), api_version=3, client_id="newbie"),
    "join new member v5": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        protocols=protocols(), api_version=5, client_id="newbie"),
    # JoinGroup from known members (§6.4).
    "join known follower": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        member_id=c.follower, protocols=protocols(), api_version=5),
    "join known follower, changed protocols": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        member_id=c.follower, protocols=protocols(OTHER_META), api_version=5),
    "join known leader": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        member_id=c.leader, protocols=protocols(), api_version=5),
    # A known group.instance.id with an empty member id: static replacement (§6.3).
    "join static member, empty member id": lambda c: JoinGroupRequest(
        group_id=GID, session_timeout_ms=SESSION_MS, rebalance_timeout_ms=REBALANCE_MS,
        group_instance_id=INSTANCE, protocols=protocols(), api_version=5),
    "sync leader": lambda c: SyncGroupRequest(
        group_id=GID, generation_id=c.generation, member_id=c.leader,
        assignments=tuple(SyncGroupRequestAssignment(m, a) for m, a in c.assignments.items())),
    "sync follower": lambda c: SyncGroupRequest(group_id=GID, generation_id=c.generation, member_id=c.follower),
    "heartbeat": lambda c: HeartbeatRequest(group_id=GID, generation_id=c.generation, member_id=c.follower),
    "heartbeat, stale generation": lambda c: HeartbeatRequest(
        group_id=GID, generation_id=c.generation - 1, member_id=c.follower),
    "heartbeat, instance id of another member": lambda c: HeartbeatRequest(
        group_id=GID, generation_id=c.generation, member_id=c.follower, group_instance_id=INSTANCE),
    "leave v1": lambda c: LeaveGroupRequest(group_id=GID, member_id=c.follower, api_version=1),
    "leave v3": lambda c: LeaveGroupRequest(group_id=GID, members=(MemberIdentity(c.follower),), api_version=3),
    "commit, current generation, v8": lambda c: _commit(c, c.follower, c.generation, 8),
    "commit, current generation, v9": lambda c: _commit(c, c.follower, c.generation, 9),
    "commit, generation -1, no member": lambda c: _commit(c, "", -1, 8),
    "offset fetch": lambda c: OffsetFetchRequest(
        group_id=GID, topics=(OffsetFetchRequestTopic("t0", (0,)),)),
    "describe": lambda c: DescribeGroupsRequest(groups=(GID,)),
    "list": lambda c: ListGroupsRequest(),
}


# ---------------------------------------------------------------------------- the expected table

@dataclass(frozen=True)
class Outcome:
    """The documented answer to the request (an ErrorCode, or PARKED), the state afterwards
    (``None``: no group), and the triggers of the state changes it causes, in order."""

    code: object
    state: Optional[GroupState]
    triggers: tuple = ()
    #: LeaveGroup v3: the per-member code
    member_code: Optional[ErrorCode] = None
    why: str = ""


def O(code, state, triggers=(), member_code=None, why=""):  # noqa: E743 - table shorthand
    return Outcome(code, state, tuple(triggers), member_code, why)


U, IG, RIP, CNA, NC = E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION, E.REBALANCE_IN_PROGRESS, \
    E.COORDINATOR_NOT_AVAILABLE, E.NOT_COORDINATOR
MISSING, EMPTY, PR, CR, STABLE, DEAD = None, S.EMPTY, S.PREPARING_REBALANCE, S.COMPLETING_REBALANCE, S.STABLE, S.DEAD

EXPECTED: dict[tuple[str, str], Outcome] = {
    # ---------------------------------------------------------------- Missing (no group)
    ("Missing", "join new member v3"): O(PARKED, PR, [T.GROUP_CREATED, T.MEMBER_ADDED],
                                         why="§6.1.5 created (empty member id), §6.5 added -> initial rebalance"),
    ("Missing", "join new member v5"): O(E.MEMBER_ID_REQUIRED, EMPTY, [T.GROUP_CREATED],
                                         why="§6.1.5 created; §6.2 v4+: pending id, no state change"),
    ("Missing", "join known follower"): O(U, MISSING, why="§6.1.5 non-empty member id for a missing group"),
    ("Missing", "join known follower, changed protocols"): O(U, MISSING, why="§6.1.5"),
    ("Missing", "join known leader"): O(U, MISSING, why="§6.1.5"),
    ("Missing", "join static member, empty member id"): O(PARKED, PR, [T.GROUP_CREATED, T.MEMBER_ADDED],
                                                          why="§6.3 unknown instance -> added (§6.5)"),
    ("Missing", "sync leader"): O(U, MISSING, why="§7 group missing"),
    ("Missing", "sync follower"): O(U, MISSING, why="§7 group missing"),
    ("Missing", "heartbeat"): O(U, MISSING, why="§8 group missing"),
    ("Missing", "heartbeat, stale generation"): O(U, MISSING, why="§8 group missing"),
    ("Missing", "heartbeat, instance id of another member"): O(U, MISSING, why="§8 group missing"),
    ("Missing", "leave v1"): O(U, MISSING, why="§9 group missing -> member UNKNOWN_MEMBER_ID, folded into "
                                                "the top level for v0-2"),
    ("Missing", "leave v3"): O(E.NONE, MISSING, member_code=U, why="§9 group missing: top-level NONE"),
    ("Missing", "commit, current generation, v8"): O(IG, MISSING, why="§10.1 generation >= 0 below v9"),
    ("Missing", "commit, current generation, v9"): O(E.GROUP_ID_NOT_FOUND, MISSING, why="§10.1 v9+"),
    ("Missing", "commit, generation -1, no member"): O(E.NONE, EMPTY, [T.GROUP_CREATED],
                                                       why="§10.1 simple group created"),
    ("Missing", "offset fetch"): O(E.NONE, MISSING, why="§10 unknown group -> -1 offsets, no error"),
    ("Missing", "describe"): O(E.NONE, MISSING, why="described as Dead, no error"),
    ("Missing", "list"): O(E.NONE, MISSING),
    # ---------------------------------------------------------------- Empty (generation 2)
    ("Empty", "join new member v3"): O(PARKED, PR, [T.MEMBER_ADDED], why="§5 Empty -> PreparingRebalance"),
    ("Empty", "join new member v5"): O(E.MEMBER_ID_REQUIRED, EMPTY, why="§5 MEMBER_ID_REQUIRED: no state change"),
    ("Empty", "join known follower"): O(U, EMPTY, why="§5 Empty row / §6.7 not a member"),
    ("Empty", "join known follower, changed protocols"): O(U, EMPTY, why="§6.7"),
    ("Empty", "join known leader"): O(U, EMPTY, why="§6.7"),
    ("Empty", "join static member, empty member id"): O(PARKED, PR, [T.MEMBER_ADDED],
                                                        why="§6.3 instance unknown again -> added"),
    ("Empty", "sync leader"): O(U, EMPTY, why="§7 group Empty"),
    ("Empty", "sync follower"): O(U, EMPTY, why="§7 group Empty"),
    ("Empty", "heartbeat"): O(U, EMPTY, why="§8 member validation"),
    ("Empty", "heartbeat, stale generation"): O(U, EMPTY, why="§8 member validation before generation"),
    ("Empty", "heartbeat, instance id of another member"): O(U, EMPTY, why="§6.7 unknown instance"),
    ("Empty", "leave v1"): O(U, EMPTY, why="§9 not a member (folded into top level)"),
    ("Empty", "leave v3"): O(E.NONE, EMPTY, member_code=U, why="§9 per-member UNKNOWN_MEMBER_ID"),
    ("Empty", "commit, current generation, v8"): O(U, EMPTY, why="§10.4 member validation"),
    ("Empty", "commit, current generation, v9"): O(U, EMPTY, why="§10.4 member validation"),
    ("Empty", "commit, generation -1, no member"): O(E.NONE, EMPTY, why="§10.3 accepted"),
    ("Empty", "offset fetch"): O(E.NONE, EMPTY),
    ("Empty", "describe"): O(E.NONE, EMPTY),
    ("Empty", "list"): O(E.NONE, EMPTY),
    # ---------------------------------------------------------------- PreparingRebalance (L, S parked; F not)
    ("PreparingRebalance", "join new member v3"): O(PARKED, PR, why="§6.5 added, F still missing"),
    ("PreparingRebalance", "join new member v5"): O(E.MEMBER_ID_REQUIRED, PR, why="§6.2"),
    ("PreparingRebalance", "join known follower"): O(E.NONE, CR, [T.JOIN_COMPLETED],
                                                      why="§6.4 park, everyone joined -> §6.9 complete"),
    ("PreparingRebalance", "join known follower, changed protocols"): O(E.NONE, CR, [T.JOIN_COMPLETED],
                                                                         why="§6.4 same as unchanged in PR"),
    ("PreparingRebalance", "join known leader"): O(PARKED, PR, why="§6.4 re-parked (old one dropped)"),
    ("PreparingRebalance", "join static member, empty member id"): O(PARKED, PR,
                                                                      why="§6.3.4 PR: try to complete; F missing"),
    ("PreparingRebalance", "sync leader"): O(RIP, PR, why="§7 PreparingRebalance"),
    ("PreparingRebalance", "sync follower"): O(RIP, PR, why="§7 PreparingRebalance"),
    ("PreparingRebalance", "heartbeat"): O(RIP, PR, why="§8 PreparingRebalance"),
    ("PreparingRebalance", "heartbeat, stale generation"): O(IG, PR, why="§8 generation check"),
    ("PreparingRebalance", "heartbeat, instance id of another member"): O(E.FENCED_INSTANCE_ID, PR, why="§6.7"),
    ("PreparingRebalance", "leave v1"): O(E.NONE, CR, [T.JOIN_COMPLETED],
                                          why="§9 PR: try to complete; L and S joined -> complete"),
    ("PreparingRebalance", "leave v3"): O(E.NONE, CR, [T.JOIN_COMPLETED], member_code=E.NONE, why="§9"),
    ("PreparingRebalance", "commit, current generation, v8"): O(E.NONE, PR, why="§10 old generation accepted"),
    ("PreparingRebalance", "commit, current generation, v9"): O(E.NONE, PR, why="§10"),
    ("PreparingRebalance", "commit, generation -1, no member"): O(U, PR, why="§10.5 not Empty"),
    ("PreparingRebalance", "offset fetch"): O(E.NONE, PR),
    ("PreparingRebalance", "describe"): O(E.NONE, PR),
    ("PreparingRebalance", "list"): O(E.NONE, PR),
    # ---------------------------------------------------------------- CompletingRebalance (generation 2)
    ("CompletingRebalance", "join new member v3"): O(PARKED, PR, [T.MEMBER_ADDED], why="§5 new member added"),
    ("CompletingRebalance", "join new member v5"): O(E.MEMBER_ID_REQUIRED, CR, why="§6.2"),
    ("CompletingRebalance", "join known follower"): O(E.NONE, CR, why="§6.4 same metadata: immediate reply"),
    ("CompletingRebalance", "join known follower, changed protocols"): O(PARKED, PR, [T.PROTOCOLS_CHANGED],
                                                                          why="§6.4 changed -> rebalance"),
    ("CompletingRebalance", "join known leader"): O(E.NONE, CR, why="§6.4 same metadata: immediate reply"),
    ("CompletingRebalance", "join static member, empty member id"): O(PARKED, PR, [T.STATIC_MEMBER_REPLACED],
                                                                       why="§6.3.4 CR: always rebalance"),
    ("CompletingRebalance", "sync leader"): O(E.NONE, STABLE, [T.ASSIGNMENT_WRITTEN], why="§7 leader's write"),
    ("CompletingRebalance", "sync follower"): O(PARKED, CR, why="§7 park until the leader's assignment"),
    ("CompletingRebalance", "heartbeat"): O(E.NONE, CR, why="§8"),
    ("CompletingRebalance", "heartbeat, stale generation"): O(IG, CR, why="§8"),
    ("CompletingRebalance", "heartbeat, instance id of another member"): O(E.FENCED_INSTANCE_ID, CR, why="§6.7"),
    ("CompletingRebalance", "leave v1"): O(E.NONE, PR, [T.MEMBER_LEFT], why="§9 -> prepare rebalance"),
    ("CompletingRebalance", "leave v3"): O(E.NONE, PR, [T.MEMBER_LEFT], member_code=E.NONE, why="§9"),
    ("CompletingRebalance", "commit, current generation, v8"): O(RIP, CR, why="§10.6"),
    ("CompletingRebalance", "commit, current generation, v9"): O(RIP, CR, why="§10.6"),
    ("CompletingRebalance", "commit, generation -1, no member"): O(U, CR, why="§10.5"),
    ("CompletingRebalance", "offset fetch"): O(E.NONE, CR),
    ("CompletingRebalance", "describe"): O(E.NONE, CR),
    ("CompletingRebalance", "list"): O(E.NONE, CR),
    # ---------------------------------------------------------------- Stable (generation 1)
    ("Stable", "join new member v3"): O(PARKED, PR, [T.MEMBER_ADDED], why="§5"),
    ("Stable", "join new member v5"): O(E.MEMBER_ID_REQUIRED, STABLE, why="§6.2"),
    ("Stable", "join known follower"): O(E.NONE, STABLE, why="§6.4 follower, same metadata"),
    ("Stable", "join known follower, changed protocols"): O(PARKED, PR, [T.PROTOCOLS_CHANGED], why="§6.4"),
    ("Stable", "join known leader"): O(PARKED, PR, [T.LEADER_REJOINED], why="§6.4 leader always rebalances"),
    ("Stable", "join static member, empty member id"): O(E.NONE, STABLE,
                                                         why="§6.3.4 Stable, same protocol: no rebalance"),
    ("Stable", "sync leader"): O(E.NONE, STABLE, why="§7 stored assignment"),
    ("Stable", "sync follower"): O(E.NONE, STABLE, why="§7 stored assignment"),
    ("Stable", "heartbeat"): O(E.NONE, STABLE, why="§8"),
    ("Stable", "heartbeat, stale generation"): O(IG, STABLE, why="§8"),
    ("Stable", "heartbeat, instance id of another member"): O(E.FENCED_INSTANCE_ID, STABLE, why="§6.7"),
    ("Stable", "leave v1"): O(E.NONE, PR, [T.MEMBER_LEFT], why="§9"),
    ("Stable", "leave v3"): O(E.NONE, PR, [T.MEMBER_LEFT], member_code=E.NONE, why="§9"),
    ("Stable", "commit, current generation, v8"): O(E.NONE, STABLE, why="§10"),
    ("Stable", "commit, current generation, v9"): O(E.NONE, STABLE, why="§10"),
    ("Stable", "commit, generation -1, no member"): O(U, STABLE, why="§10.5"),
    ("Stable", "offset fetch"): O(E.NONE, STABLE),
    ("Stable", "describe"): O(E.NONE, STABLE),
    ("Stable", "list"): O(E.NONE, STABLE),
}
# Dead, unloaded: this broker no longer leads the partition, so every group request is refused by
# the coordinator gate with NOT_COORDINATOR and nothing is created (§3 "on unload").
for _kind in REQUESTS:
    EXPECTED[("Dead", _kind)] = O(NC, MISSING, why="§3 NOT_COORDINATOR on unload")
EXPECTED[("Dead", "list")] = O(E.NONE, MISSING, why="the coordinator is active; the group is not listed")
# Dead, still held (the §5 Dead row): COORDINATOR_NOT_AVAILABLE for the group APIs.
for _kind in REQUESTS:
    EXPECTED[("Dead (held)", _kind)] = O(CNA, DEAD, why="§5 Dead row, §6.2, §7, §8, §9, §10.2")
EXPECTED[("Dead (held)", "offset fetch")] = O(E.NONE, DEAD, why="§10 Dead group -> -1 offsets, no error")
EXPECTED[("Dead (held)", "describe")] = O(E.NONE, DEAD, why="described as Dead")
EXPECTED[("Dead (held)", "list")] = O(E.NONE, DEAD, why="Dead groups are not listed")

PAIRS = list(itertools.product(STATES, REQUESTS))


def test_the_table_covers_every_pair():
    assert set(EXPECTED) == set(PAIRS)
    assert len(PAIRS) == len(STATES) * len(REQUESTS)


def _is_listed_transition(old, trigger, new) -> bool:
    if TRANSITIONS.get((old, trigger)) is new:
        return True
    return TRANSITIONS_TO_EMPTY.get((old, trigger)) is new


_codes = response_codes  # the model client's: every code an answer carries


def _primary_code(response):
    if isinstance(response, OffsetCommitResponse):
        codes = {p.error_code for t in response.topics for p in t.partitions}
        assert len(codes) == 1, codes
        return codes.pop()
    if isinstance(response, DescribeGroupsResponse):
        (group,) = response.groups
        return group.error_code
    return response.error_code


@pytest.mark.parametrize("state, kind", PAIRS, ids=[f"{s}-{k}" for s, k in PAIRS])
def test_state_request_pair(state, kind):
    ctx = STATES[state]()
    expected = EXPECTED[(state, kind)]
    coord = ctx.coord
    ctx.now += 10
    trace_start = len(coord.trace)
    group_before = coord.groups.get(GID)
    state_before = group_before.state if group_before is not None else None
    generation_before = group_before.generation_id if group_before is not None else None

    origin = ("probe", kind)
    replies = coord.handle(REQUESTS[kind](ctx), origin, ctx.now)

    # -- every answer carries a documented code, and no origin is answered twice
    origins = [r.origin for r in replies]
    assert len(origins) == len(set(origins)), f"an origin was answered twice: {origins}"
    for r in replies:
        allowed = DOCUMENTED[type(r.response)]
        assert set(_codes(r.response)) <= allowed, (r.origin, r.response)
        assert r.origin == origin or r.origin in ctx.parked, f"answer to an unknown origin {r.origin}"

    # -- the answer to this request
    mine = [r.response for r in replies if r.origin == origin]
    if expected.code is PARKED:
        assert mine == [], f"expected the request to be parked, got {mine}"
        group = coord.groups[GID]
        parked = [m for m in group.members.values() if (m.awaiting_join or m.awaiting_sync)
                  and (m.awaiting_join or m.awaiting_sync).origin == origin]
        assert len(parked) == 1, "a request without an answer must be parked on its member"
    else:
        assert len(mine) == 1, f"expected one answer, got {mine}"
        assert _primary_code(mine[0]) is expected.code, f"{expected.why}: got {mine[0]}"
        if expected.member_code is not None:
            assert [m.error_code for m in mine[0].members] == [expected.member_code]
        elif isinstance(mine[0], LeaveGroupResponse):
            assert mine[0].members == ()  # v0-2 have no member list

    # -- the state afterwards and every transition on the way
    changes = [e for e in coord.trace[trace_start:] if type(e).__name__ == "StateChanged"]
    for e in changes:
        assert _is_listed_transition(e.old, e.trigger, e.new), e
    assert tuple(e.trigger for e in changes) == expected.triggers, [e.describe() for e in changes]
    previous = state_before
    for e in changes:
        assert e.old is previous, "StateChanged events must chain"
        previous = e.new
    group = coord.groups.get(GID)
    assert (group.state if group is not None else None) is expected.state
    if not changes:
        assert (group.state if group is not None else None) is state_before, "state changed without a trace"
    if group is not None and generation_before is not None and group is group_before:
        assert group.generation_id >= generation_before

    _check_details(state, kind, ctx, mine[0] if mine else None, replies)


def _check_details(state, kind, ctx, answer, replies):
    """Answer contents that the per-pair table implies (§6.11, §7, §10)."""
    group = ctx.coord.groups.get(GID)
    if kind == "describe" and answer is not None and state not in ("Dead",):
        (described,) = answer.groups
        expected_state = "Dead" if group is None else group.state.value
        assert described.group_state == expected_state
    if kind == "list" and answer is not None:
        listed = {g.group_id for g in answer.groups}
        assert (GID in listed) == (state in ("Empty", "PreparingRebalance", "CompletingRebalance", "Stable"))
    if kind == "offset fetch" and answer is not None and answer.error_code is E.NONE:
        (topic,) = answer.topics
        assert [(p.partition_index, p.committed_offset) for p in topic.partitions] == [(0, -1)]
    if kind == "join new member v5" and answer is not None and answer.error_code is E.MEMBER_ID_REQUIRED:
        assert answer.member_id and answer.generation_id == -1
        assert answer.member_id in group.pending_join_members and answer.member_id not in group.members
    if state == "Stable" and kind in ("sync leader", "sync follower"):
        member = ctx.leader if kind == "sync leader" else ctx.follower
        assert answer.assignment == ctx.assignments[member]
    if state == "CompletingRebalance" and kind == "sync leader":
        assert answer.assignment == ctx.assignments[ctx.leader]
        assert {m.member_id: m.assignment for m in group.members.values()} == ctx.assignments
    if state in ("CompletingRebalance", "Stable") and kind.startswith("join known") and answer is not None \
            and answer.error_code is E.NONE:
        # §6.11: current generation, the leader; the member list only for the leader.
        assert answer.generation_id == ctx.generation
        assert answer.leader == ctx.leader
        is_leader = kind == "join known leader"
        assert bool(answer.members) == (is_leader and state == "CompletingRebalance")
    if state == "PreparingRebalance" and group is not None and group.state is S.COMPLETING_REBALANCE:
        # §6.9.6: every parked JoinGroup answered NONE with the new generation.
        answered = {r.origin: r.response for r in replies if isinstance(r.response, JoinGroupResponse)}
        assert set(ctx.parked) <= set(answered)
        assert all(a.error_code is E.NONE and a.generation_id == ctx.generation + 1 for a in answered.values())
    if state == "PreparingRebalance" and kind == "join known leader":
        # §6.4: the previously parked JoinGroup of the same member is dropped, never answered.
        assert not any(r.origin == ("L", "join2") for r in replies)
    if kind == "join static member, empty member id" and state in ("PreparingRebalance", "CompletingRebalance",
                                                                   "Stable"):
        new_id = group.static_members[INSTANCE]
        assert new_id != ctx.static and ctx.static not in group.members
        if state == "PreparingRebalance":
            # §6.3.2: the old member's parked JoinGroup is answered FENCED_INSTANCE_ID.
            fenced = [r.response for r in replies if r.origin == ("S", "join2")]
            assert [f.error_code for f in fenced] == [E.FENCED_INSTANCE_ID]
        if state == "Stable":
            # §6.3.4: v5 < 9: member id N, current generation, the *old* leader id.
            assert answer.member_id == new_id and answer.generation_id == ctx.generation
            assert answer.leader == ctx.leader
            assert group.members[new_id].assignment == ctx.assignments[ctx.static]
    if kind in ("commit, current generation, v8", "commit, current generation, v9",
                "commit, generation -1, no member") and answer is not None:
        accepted = _primary_code(answer) is E.NONE
        stored = group is not None and ("t0", 0) in ctx.coord.runtime.offsets.get(GID, {})
        assert accepted == stored
