"""Arbitrary type-correct group requests with edge values, and a checker of what they must leave behind.

Shared by the property tests of tests/test_coordinator_hostile.py (sent to a Coordinator) and
tests/wire/test_wire_hostile.py (encoded and decoded by the codec, sent to a WireCluster).

* The strategies draw requests of every group API and version with edge values: empty and very
  long strings, duplicates (protocol names, members, partitions, groups), INT32_MIN/MAX,
  negative timeouts, null where the schema allows it; member ids and generations are drawn as
  references to ones handed out so far (resolved when sent), so requests also hit real members.
  "follow" steps send a well-formed request of a current member, so that groups get somewhere,
  and :func:`warm_up` starts every run with a Stable group of three members.
* :class:`Checker`, after every call: each answer goes to a request owed one, once, of the right
  type; a request not answered at once is parked on a member, and a parked one disappears only
  answered or where Kafka drops it (superseded by the same member's next one, or a SyncGroup
  whose member is gone); :func:`check_groups` holds (leader, counts, timers, states).
* :meth:`Driver.drain` runs every timer at the end: nothing may stay unanswered and every group
  must end Empty.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any, Optional

from hypothesis import strategies as st

from kafkalab import Coordinator, CoordinatorConfig, GroupState
from kafkalab import messages as m
from kafkalab.classic.group import Group
from kafkalab.messages import JoinGroupResponse
from kafkalab.timers import HeartbeatTimer, JoinTimer, OffsetsExpiryTimer, SyncTimer

S = GroupState
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


# ---------------------------------------------------------------------------- values and requests

NAMES = ["range", "roundrobin", "cooperative-sticky", "", "r" * 300, "é"]
STRINGS = st.sampled_from(["", "a", "consumer", "x" * 1000, "\u00e9\u4e2d", "-"])
INT32 = st.sampled_from([INT32_MIN, -1, 0, 1, 2, 5, 1_000, 6_000, 10_000, 300_000, INT32_MAX])
TIMEOUTS = st.one_of(st.sampled_from([6_000, 10_000, 30_000]),
                     st.sampled_from([INT32_MIN, -1, 0, 1, 10, 1_000, 1_800_000, INT32_MAX]))
GROUP_IDS = st.sampled_from(["g", "g", "g", "g", "h", ""])
INSTANCE_IDS = st.sampled_from([None, None, None, "i1", "i2", ""])
METADATA = st.sampled_from([b"", b"\x00", b"\x00\x03\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x00", b"\xff" * 64])
# A member id is an index into the ids seen so far, latest first (resolved when sent), or an
# edge value; the same for generations.
MEMBER_REFS = st.one_of(st.integers(0, 6), st.integers(0, 6), st.sampled_from(["", "unknown", "x" * 500]))
GENERATIONS = st.one_of(st.integers(0, 6).map(lambda i: ("gen", i)), st.integers(0, 6).map(lambda i: ("gen", i)),
                        INT32)


def versions(api: str):
    lo, hi = m.API_VERSIONS[api]
    return st.integers(lo, hi)


join_requests = st.fixed_dictionaries({
    "api": st.just("JoinGroup"), "group_id": GROUP_IDS, "session_timeout_ms": TIMEOUTS,
    "rebalance_timeout_ms": TIMEOUTS, "member_id": MEMBER_REFS, "group_instance_id": INSTANCE_IDS,
    "protocol_type": st.sampled_from(["consumer", "consumer", "", "connect"]),
    "protocols": st.lists(st.tuples(st.sampled_from(NAMES), METADATA), max_size=4),
    "reason": st.sampled_from([None, "", "why"]), "api_version": versions("JoinGroup"),
    "client_id": STRINGS})
sync_requests = st.fixed_dictionaries({
    "api": st.just("SyncGroup"), "group_id": GROUP_IDS, "generation_id": GENERATIONS, "member_id": MEMBER_REFS,
    "group_instance_id": INSTANCE_IDS, "protocol_type": st.sampled_from([None, "consumer", ""]),
    "protocol_name": st.sampled_from([None, "range", "", "roundrobin"]),
    "assignments": st.lists(st.tuples(MEMBER_REFS, METADATA), max_size=4), "api_version": versions("SyncGroup")})
heartbeat_requests = st.fixed_dictionaries({
    "api": st.just("Heartbeat"), "group_id": GROUP_IDS, "generation_id": GENERATIONS, "member_id": MEMBER_REFS,
    "group_instance_id": INSTANCE_IDS, "api_version": versions("Heartbeat")})
leave_requests = st.fixed_dictionaries({
    "api": st.just("LeaveGroup"), "group_id": GROUP_IDS, "member_id": MEMBER_REFS,
    "members": st.lists(st.tuples(MEMBER_REFS, INSTANCE_IDS), max_size=4), "api_version": versions("LeaveGroup")})
commit_requests = st.fixed_dictionaries({
    "api": st.just("OffsetCommit"), "group_id": GROUP_IDS, "generation_id": GENERATIONS, "member_id": MEMBER_REFS,
    "group_instance_id": INSTANCE_IDS, "retention_time_ms": st.sampled_from([-1, 0, 1, INT32_MAX]),
    "offsets": st.lists(st.tuples(st.sampled_from(["t", "", "u"]), INT32, INT32, STRINGS), max_size=4),
    "api_version": versions("OffsetCommit")})
fetch_requests = st.fixed_dictionaries({
    "api": st.just("OffsetFetch"), "group_id": GROUP_IDS, "require_stable": st.booleans(),
    "topics": st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(["t", ""]), st.lists(INT32, max_size=3)),
                                            max_size=3)),
    "api_version": versions("OffsetFetch")})
describe_requests = st.fixed_dictionaries({
    "api": st.just("DescribeGroups"), "groups": st.lists(GROUP_IDS, max_size=4),
    "api_version": versions("DescribeGroups")})
list_requests = st.fixed_dictionaries({
    "api": st.just("ListGroups"), "states_filter": st.lists(st.sampled_from(["Stable", "Empty", "", "bogus"]),
                                                            max_size=3),
    "types_filter": st.lists(st.sampled_from(["classic", "consumer", ""]), max_size=2),
    "api_version": versions("ListGroups")})
# "follow": a well-formed request from a current member of a group (its id, its generation; the
# leader's SyncGroup carries an assignment for every member), so that groups get somewhere.
follow_requests = st.fixed_dictionaries({
    "api": st.just("follow"), "group_id": st.sampled_from(["g", "g", "h"]),
    "kind": st.sampled_from(["join", "join", "sync", "sync", "heartbeat", "leave"]), "who": st.integers(0, 6),
    "duplicate": st.booleans()})
REQUESTS = st.one_of(join_requests, join_requests, sync_requests, heartbeat_requests, leave_requests,
                     commit_requests, fetch_requests, describe_requests, list_requests,
                     follow_requests, follow_requests, follow_requests)
ADVANCES = st.sampled_from([0, 1, 500, 3_000, 6_000, 30_000, 300_000, 600_001, 2**31])
STEP = st.one_of(REQUESTS, REQUESTS, ADVANCES.map(lambda ms: {"api": "advance", "ms": ms}))
STEPS = st.lists(STEP, min_size=1, max_size=40)
CONFIGS = st.builds(
    CoordinatorConfig,
    group_min_session_timeout_ms=st.sampled_from([0, 6_000]),
    group_max_session_timeout_ms=st.sampled_from([1_800_000, INT32_MAX]),
    group_initial_rebalance_delay_ms=st.sampled_from([0, 3_000]),
    group_max_size=st.sampled_from([1, 3, INT32_MAX]),
    new_member_join_timeout_ms=st.sampled_from([1, 300_000]),
)


# ---------------------------------------------------------------------------- the checker

class Checker:
    """Resolves member references, builds the requests, tracks what is owed an answer, checks invariants."""

    def __init__(self, coordinators: list[Coordinator]) -> None:
        self.coordinators = coordinators
        self.member_ids: list[str] = []
        self.generations: list[int] = []
        self.outstanding: dict[Any, m.Request] = {}   # origin -> request, not yet answered
        self.parked: dict[Any, tuple[Coordinator, str, str, str]] = {}  # origin -> (coord, group, member, kind)
        self.answered: set = set()
        self.requests: dict[Any, Any] = {}            # origin -> every request ever sent
        self.dropped: Counter = Counter()

    # -- building requests

    def member(self, ref) -> str:
        if isinstance(ref, int):
            return self.member_ids[-1 - ref % len(self.member_ids)] if self.member_ids else ""
        return ref

    def generation(self, ref) -> int:
        if isinstance(ref, tuple):
            return self.generations[-1 - ref[1] % len(self.generations)] if self.generations else -1
        return ref

    def group(self, group_id: str) -> Optional[Group]:
        for coordinator in self.coordinators:
            if group_id in coordinator.groups:
                return coordinator.groups[group_id]
        return None

    def follow(self, step: dict) -> Optional[m.Request]:
        group = self.group(step["group_id"])
        if group is None or not group.members:
            return None
        ids = list(group.members)
        member = group.members[ids[step["who"] % len(ids)]]
        gid, mid, iid = group.group_id, member.member_id, member.group_instance_id
        kind = step["kind"]
        if kind == "join":
            protocols = member.protocols + (member.protocols[:1] if step["duplicate"] else ())
            return m.JoinGroupRequest(group_id=gid, session_timeout_ms=member.session_timeout_ms,
                                      rebalance_timeout_ms=member.rebalance_timeout_ms, member_id=mid,
                                      group_instance_id=iid, protocol_type=member.protocol_type,
                                      protocols=tuple(m.JoinGroupRequestProtocol(n, md) for n, md in protocols),
                                      api_version=5, client_id=member.client_id)
        if kind == "sync":
            assignments = tuple(m.SyncGroupRequestAssignment(x, x.encode()) for x in ids) \
                if group.leader_id == mid else ()
            return m.SyncGroupRequest(group_id=gid, generation_id=group.generation_id, member_id=mid,
                                      group_instance_id=iid, assignments=assignments, api_version=3)
        if kind == "heartbeat":
            return m.HeartbeatRequest(group_id=gid, generation_id=group.generation_id, member_id=mid,
                                      group_instance_id=iid)
        return m.LeaveGroupRequest(group_id=gid, members=(m.MemberIdentity(mid, iid),), api_version=3)

    def build(self, step: dict) -> Optional[m.Request]:
        if step["api"] == "follow":
            return self.follow(step)
        api, v = step["api"], step["api_version"]
        if api == "JoinGroup":
            return m.JoinGroupRequest(
                group_id=step["group_id"], session_timeout_ms=step["session_timeout_ms"],
                rebalance_timeout_ms=step["rebalance_timeout_ms"], member_id=self.member(step["member_id"]),
                group_instance_id=step["group_instance_id"], protocol_type=step["protocol_type"],
                protocols=tuple(m.JoinGroupRequestProtocol(n, md) for n, md in step["protocols"]),
                reason=step["reason"], api_version=v, client_id=step["client_id"])
        if api == "SyncGroup":
            return m.SyncGroupRequest(
                group_id=step["group_id"], generation_id=self.generation(step["generation_id"]),
                member_id=self.member(step["member_id"]), group_instance_id=step["group_instance_id"],
                protocol_type=step["protocol_type"], protocol_name=step["protocol_name"],
                assignments=tuple(m.SyncGroupRequestAssignment(self.member(r), a) for r, a in step["assignments"]),
                api_version=v)
        if api == "Heartbeat":
            return m.HeartbeatRequest(group_id=step["group_id"], generation_id=self.generation(step["generation_id"]),
                                      member_id=self.member(step["member_id"]),
                                      group_instance_id=step["group_instance_id"], api_version=v)
        if api == "LeaveGroup":
            return m.LeaveGroupRequest(
                group_id=step["group_id"], member_id=self.member(step["member_id"]) if v < 3 else "",
                members=tuple(m.MemberIdentity(self.member(r), i) for r, i in step["members"]) if v >= 3 else (),
                api_version=v)
        if api == "OffsetCommit":
            topics: dict[str, list] = {}
            for t, p, o, md in step["offsets"]:
                topics.setdefault(t, []).append(m.OffsetCommitRequestPartition(p, o, -1, md))
            return m.OffsetCommitRequest(
                group_id=step["group_id"], generation_id=self.generation(step["generation_id"]),
                member_id=self.member(step["member_id"]), group_instance_id=step["group_instance_id"],
                retention_time_ms=step["retention_time_ms"],
                topics=tuple(m.OffsetCommitRequestTopic(t, tuple(ps)) for t, ps in topics.items()), api_version=v)
        if api == "OffsetFetch":
            topics_ = None if step["topics"] is None else tuple(
                m.OffsetFetchRequestTopic(t, tuple(ps)) for t, ps in step["topics"])
            return m.OffsetFetchRequest(group_id=step["group_id"], topics=topics_,
                                        require_stable=step["require_stable"], api_version=v)
        if api == "DescribeGroups":
            return m.DescribeGroupsRequest(groups=tuple(step["groups"]), api_version=v)
        return m.ListGroupsRequest(states_filter=tuple(step["states_filter"]),
                                   types_filter=tuple(step["types_filter"]), api_version=v)

    # -- after every call

    @staticmethod
    def response_name(request: Any) -> str:
        """The class name of the response ``request`` must get."""
        return type(request).__name__.replace("Request", "Response")

    def sent(self, origin, request: Any) -> None:
        assert origin not in self.requests
        self.outstanding[origin] = request
        self.requests[origin] = request

    def received(self, replies, sent_origin=None) -> None:
        """Check the replies of one call (``sent_origin``: the request it handled, if any)."""
        same_call = self.requests.get(sent_origin)
        for reply in replies:
            origin = reply.origin
            assert origin in self.outstanding, f"an answer to {origin}, which is owed nothing: {reply}"
            request = self.outstanding.pop(origin)
            self.answered.add(origin)
            self.parked.pop(origin, None)
            assert type(reply.response).__name__ == self.response_name(request), (request, reply.response)
            response = reply.response
            if isinstance(response, JoinGroupResponse):
                if response.member_id:
                    self.member_ids.append(response.member_id)
                if response.generation_id >= 0:
                    self.generations.append(response.generation_id)
        now_parked: dict[Any, tuple] = {}
        for coordinator in self.coordinators:
            for gid, group in coordinator.groups.items():
                for mid, member in group.members.items():
                    for kind, slot in (("join", member.awaiting_join), ("sync", member.awaiting_sync)):
                        if slot is not None:
                            assert slot.origin not in now_parked, f"{slot.origin} parked twice"
                            now_parked[slot.origin] = (coordinator, gid, mid, kind)
        for origin in now_parked:
            assert origin in self.outstanding, f"{origin} is parked but was answered or never sent"
        # A request that is neither answered nor parked was dropped: only where Kafka drops it.
        for origin in [o for o in self.outstanding if o not in now_parked]:
            before = self.parked.get(origin)
            assert before is not None, f"{self.outstanding[origin]} was neither answered nor parked"
            coordinator, gid, mid, kind = before
            group = coordinator.groups.get(gid)
            member = group.members.get(mid) if group is not None else None
            if member is not None and (member.awaiting_join if kind == "join" else member.awaiting_sync) is not None:
                reason = "superseded"       # the same member parked a newer one (Kafka drops the old)
            elif same_call is not None and _kind(same_call) == kind and same_call.member_id == mid:
                reason = "superseded"       # ... and that newer one was answered in the same call
            elif kind == "sync" and member is None:
                reason = "member gone"      # its member left or was removed while it waited
            else:
                raise AssertionError(f"parked {kind} {origin} of {mid} vanished without an answer")
            self.dropped[(kind, reason)] += 1
            del self.outstanding[origin]
            del self.parked[origin]
        self.parked.update(now_parked)
        for coordinator in self.coordinators:
            check_groups(coordinator)


def _kind(request: Any) -> Optional[str]:
    return {"JoinGroup": "join", "SyncGroup": "sync"}.get(getattr(request, "API", None))


def check_groups(coordinator: Coordinator) -> None:
    """The invariants of every group a coordinator holds (see model_client.World.check)."""
    timers = coordinator.timers
    for gid, group in coordinator.groups.items():
        members = group.members
        state = group.state
        assert isinstance(state, GroupState), state
        assert state is not S.DEAD, f"a Dead group {gid!r} is still held"
        if group.leader_id is not None:
            assert group.leader_id in members, f"leader {group.leader_id} of {gid!r} is not a member"
        assert (group.leader_id is not None) == bool(members), (gid, group.leader_id, list(members))
        assert group.num_awaiting_join == sum(1 for x in members.values() if x.awaiting_join is not None)
        for mid, x in members.items():
            if x.awaiting_join is not None:
                assert state is S.PREPARING_REBALANCE, f"a JoinGroup is parked in {state}"
            if x.awaiting_sync is not None:
                assert state is S.COMPLETING_REBALANCE, f"a SyncGroup is parked in {state}"
            if x.awaiting_join is None and x.awaiting_sync is None:
                assert HeartbeatTimer(gid, mid) in timers, f"{mid} of {gid!r} has no session timer"
        for mid in group.pending_join_members:
            assert mid not in members and HeartbeatTimer(gid, mid) in timers
        if state is S.EMPTY:
            assert not members and group.leader_id is None
        if state in (S.COMPLETING_REBALANCE, S.STABLE):
            assert members and group.protocol_name is not None
            assert all(group.protocol_name in x.protocol_names for x in members.values())
        if state is S.PREPARING_REBALANCE:
            assert JoinTimer(gid) in timers, f"{gid!r} is PreparingRebalance without a join timer: stuck"
        if state is S.COMPLETING_REBALANCE:
            assert SyncTimer(gid) in timers, f"{gid!r} is CompletingRebalance without a pending-sync timer"
            assert set(group.pending_sync_members) <= set(members)
        if members:
            assert any(c == len(members) for c in group.supported_protocols.values()), \
                f"no protocol of {gid!r} is supported by every member: {group.supported_protocols}"
        assert group.static_members == {x.group_instance_id: mid for mid, x in members.items() if x.is_static}
        assert +group.supported_protocols == Counter(n for x in members.values() for n in dict.fromkeys(x.protocol_names))
    # next_deadline() never lies: it is the earliest scheduled timer
    deadlines = [timers.get(k).deadline for k in timers.keys()]
    assert coordinator.next_deadline() == (min(deadlines) if deadlines else None)


class Driver:
    """Sends requests to a Coordinator and checks every call (tests/wire/test_wire_hostile.py
    has a WireCluster variant)."""

    def __init__(self, config: CoordinatorConfig) -> None:
        self.config = config
        self.coordinator = Coordinator(config, member_id_seed=1)
        self.checker = Checker([self.coordinator])
        self.origins = itertools.count()
        self.now = 0

    def send(self, request: Optional[m.Request]) -> None:
        if request is None:
            return
        origin = next(self.origins)
        self.checker.sent(origin, request)
        self.checker.received(self.coordinator.handle(request, origin, self.now), origin)

    def advance(self, ms: int) -> None:
        self.now += ms
        self.checker.received(self.coordinator.on_timer(self.now))

    def next_deadline(self) -> Optional[int]:
        return self.coordinator.next_deadline()

    def run(self, steps: list[dict]) -> None:
        warm_up(self)
        for step in steps:
            if step["api"] == "advance":
                self.advance(step["ms"])
            else:
                self.send(self.checker.build(step))
        self.drain()

    def drain(self) -> None:
        """Run every timer (but the periodic offsets check) until none is left; then nothing
        may be owed an answer and every group must be Empty."""
        for _ in range(1_000):
            pending = [c.timers.get(k).deadline for c in self.checker.coordinators for k in c.timers.keys()
                       if not isinstance(k, OffsetsExpiryTimer)]
            if not pending:
                break
            # Jump to the last deadline: everything due fires, in deadline order (late, as after
            # Kafka's MockTime.sleep), and whatever it schedules is due later still.
            self.advance(max(0, max(pending) - self.now))
        else:  # pragma: no cover
            raise AssertionError("timers never ran out")
        assert not self.checker.outstanding, f"never answered: {self.checker.outstanding}"
        for coordinator in self.checker.coordinators:
            for group in coordinator.groups.values():
                assert group.state is S.EMPTY and not group.members and not group.pending_join_members


SUBSCRIPTION = b"\x00\x00\x00\x00\x00\x01\x00\x01t\xff\xff\xff\xff"  # consumer protocol v0: topic "t"


def warm_up(driver, group_id: str = "g", members: int = 3) -> None:
    """Three well-behaved members form ``group_id`` (join, wait for the join phase, sync), so
    that the arbitrary requests that follow meet a Stable group with members."""
    checker = driver.checker
    for i in range(members):
        join = m.JoinGroupRequest(group_id=group_id, session_timeout_ms=10_000, rebalance_timeout_ms=10_000,
                                  protocols=(m.JoinGroupRequestProtocol("range", SUBSCRIPTION),),
                                  api_version=5, client_id=f"warm{i}")
        driver.send(join)
        if checker.member_ids:
            driver.send(m.JoinGroupRequest(**{**vars(join), "member_id": checker.member_ids[-1]}))
    for _ in range(5):
        group = checker.group(group_id)
        if group is None or group.state is not S.PREPARING_REBALANCE:
            break
        driver.advance(max(0, driver.next_deadline() - driver.now))
    group = checker.group(group_id)
    if group is not None and group.state is S.COMPLETING_REBALANCE:
        for who in [group.leader_id] + [x for x in group.members if x != group.leader_id]:
            driver.send(checker.follow({"group_id": group_id, "kind": "sync", "who": list(group.members).index(who),
                                        "duplicate": False}))
