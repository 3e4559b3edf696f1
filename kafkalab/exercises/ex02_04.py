"""Exercises of notebooks 02 (joining), 03 (leader and protocol vote) and 04 (SyncGroup).

Expected answers are computed by driving :class:`kafkalab.Coordinator` the way the exercise
describes, so they follow the implementation (and its tests against Kafka's rules).
"""

from __future__ import annotations

from ..config import CoordinatorConfig
from ..coordinator import Coordinator
from ..messages import (
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    LeaveGroupRequest,
    MemberIdentity,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from ..sim import World
from ..sim import events as ev
from ..trace import MemberRemoved
from .core import exercise, invalid, judge_code, right, want_error_code, want_int, wrong


def _coord(**config):
    return Coordinator(CoordinatorConfig(**config), new_member_id=_Ids())


class _Ids:
    def __init__(self):
        self.n = 0

    def __call__(self, prefix):
        self.n += 1
        return f"{prefix}-{self.n}"


def _join(coord, who, now, *, member_id="", version=5, protocols=(("range", b""),), rebalance_timeout_ms=300_000,
          session_timeout_ms=45_000, instance=None, group="g"):
    return coord.handle(JoinGroupRequest(
        group_id=group, member_id=member_id, api_version=version, client_id=who,
        session_timeout_ms=session_timeout_ms, rebalance_timeout_ms=rebalance_timeout_ms, group_instance_id=instance,
        protocols=tuple(JoinGroupRequestProtocol(n, m) for n, m in protocols)), who, now)


def _join_with_retry(coord, who, now, **kw):
    first = _join(coord, who, now, **kw)
    member_id = first[0].response.member_id
    return member_id, _join(coord, who, now, member_id=member_id, **kw)


def _time_answered(coord, who, start, end):
    """Advance the coordinator's timers up to ``end``; the time ``who``'s JoinGroup was answered."""
    t = start
    while True:
        d = coord.next_deadline()
        if d is None or d > end:
            return None
        t = max(t, d)
        for r in coord.on_timer(t):
            if r.origin == who and type(r.response).__name__ == "JoinGroupResponse":
                return t


NB02 = "02-joining"


@exercise("02.1", NB02, "What does the coordinator answer to a new member's first JoinGroup v5?",
          name="first_join_error", kind="predict", pain=("MEMBER_ID_REQUIRED looks like an error",), minutes=3,
          transfer=False,
          hints=("Since JoinGroup v4 (KIP-394) a dynamic member without a member id is handed one and asked "
                 "to come back with it; the answer's error code says so.",))
def _ex02_1(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    expected = _join(_coord(), "c1", 0)[0].response.error_code
    return judge_code(code, expected,
                      f"{expected.name} ({int(expected)}): not a failure; the client retries at once with the id", {
        "NONE": "with v4+ a new member is not added on its first JoinGroup",
        "UNKNOWN_MEMBER_ID": "UNKNOWN_MEMBER_ID is for a member id the group does not know; this request has none",
    }, "look at the first JoinGroup response in notebook 02's player")


def _emptied_then_joined():
    """Consumer a forms g alone and leaves at 10 s (the group is Empty); b joins at 20 s."""
    coord = _coord()
    a, _ = _join_with_retry(coord, "a", 0)
    formed = _time_answered(coord, "a", 0, 10_000_000)
    coord.handle(SyncGroupRequest(group_id="g", member_id=a, generation_id=1,
                                  assignments=(SyncGroupRequestAssignment(a, b""),)), "a", formed)
    coord.handle(LeaveGroupRequest(group_id="g", members=(MemberIdentity(a),)), "a", 10_000)
    assert coord.describe("g")["state"] == "Empty"
    _join_with_retry(coord, "b", 20_000)
    return _time_answered(coord, "b", 20_000, 10_000_000)


@exercise("02.2", NB02, "The group's last member left; a new consumer joins 10 s later: when is it answered (ms)?",
          name="answered_at", kind="predict", pain=("joins that take 3 s / 45 s",), minutes=6, transfer=True,
          hints=("Notebook 02 says which rebalances group.initial.rebalance.delay.ms delays. Is a group whose "
                 "members all left one of them?",
                 "Answer with a time in ms (an int): when the coordinator answers b's second JoinGroup."))
def _ex02_2(answer):
    bad = want_int(answer, "a time in milliseconds")
    if bad:
        return bad
    expected = _emptied_then_joined()
    if answer == expected:
        return right(f"{expected} ms: the group was Empty again, so its next rebalance waited "
                     "group.initial.rebalance.delay.ms like a brand-new group's")
    if 20_000 <= answer < 20_100:
        return wrong("b is not answered at once: nobody else has to rejoin, but the coordinator still waits before "
                     "it completes the join phase of this group. Why?")
    if answer < 20_000:
        return wrong("b joins at 20 s: its JoinGroup cannot be answered before it arrives")
    if answer >= 45_000:
        return wrong("no member is waited for here (a left with LeaveGroup), so no session or rebalance timeout "
                     "comes into it; what else delays the join phase of a group?")
    return wrong("b is the only member: which broker config delays the join phase of a group in b's state, and "
                 "by how much?")


ARRIVALS_02_3 = (("a", 1_000), ("b", 3_500), ("c", 6_500), ("d", 7_500))


@exercise("02.3", NB02, "Members join at 1000, 3500, 6500 and 7500 ms: when does the join phase complete (ms)?",
          name="join_completes_at", kind="predict", pain=("joins that take 3 s / 45 s",), minutes=8, transfer=True,
          hints=("Each time the delayed-join timer fires and a new member joined meanwhile, it waits another "
                 "min(3000, remaining) ms, where remaining starts at rebalance timeout − 3000 and shrinks by "
                 "each delay.",
                 "Answer with a time in ms (an int). The timer starts when the first member joins, with that "
                 "member's rebalance timeout."))
def _ex02_3(answer):
    bad = want_int(answer, "a time in milliseconds")
    if bad:
        return bad
    coord = _coord()
    done = None
    for who, at in ARRIVALS_02_3:
        done = done or _time_answered(coord, "a", 0, at - 1)
        _join_with_retry(coord, who, at, rebalance_timeout_ms=7_000)
    expected = done or _time_answered(coord, "a", ARRIVALS_02_3[-1][1], 10_000_000)
    if answer == expected:
        return right(f"{expected} ms: the delay was extended while newcomers kept arriving, until what was left of "
                     "the first member's rebalance timeout ran out")
    if answer == 4_000:
        return wrong("the timer fires at 4000, but a new member joined during the delay, so it waits again")
    if answer == 10_000:
        return wrong("that extends the delay by 3000 ms every time; each extension is also limited by what is left "
                     "of the rebalance timeout")
    if answer in (10_500, 13_500):
        return wrong("the extension is not measured from the last join: the timer reschedules when it fires")
    return wrong("follow the delayed-join timer from the first join: each time it fires, did someone join, and how "
                 "much of the rebalance timeout is left?")


def _limits_world(group_max_size: int, consumers: int):
    world = World(topics={"orders": 6}, config=CoordinatorConfig(group_max_size=group_max_size))
    world.add_consumers(consumers, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run(for_ms=60_000)
    return world


@exercise("02.4", NB02, "group.max.size is 3 and five consumers start together: how many are still running a minute later?",
          name="still_running", kind="predict", pain=("joins refused or given up",), minutes=5, transfer=False,
          hints=("The coordinator refuses a JoinGroup that would take the group beyond group.max.size. Ask "
                 "yourself whether the Java client retries that error or throws it to the application.",))
def _ex02_4(answer):
    bad = want_int(answer, "a number of consumers")
    if bad:
        return bad
    world = _limits_world(3, 5)
    expected = sum(1 for c in world.consumers.values() if c.status in ("in_poll", "processing"))
    if answer == expected:
        return right(f"{expected}: the others got GROUP_MAX_SIZE_REACHED, which the Java client throws "
                     "(GroupMaxSizeReachedException): they stop instead of waiting as standbys")
    if answer == 5:
        return wrong("the extra consumers do not wait as idle standbys here: look at what the coordinator answers "
                     "them and whether that error is retriable")
    return wrong("count the consumers whose status is still in_poll or processing once the group has settled")


def _newcomer_world():
    """A stuck member holds a rebalance open; a newcomer joins it, then crashes."""
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.consumer("stuck", "g", ["orders"], max_poll_interval_ms=900_000, processing_ms=1_000,
                   partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(until=9_000)
    world["stuck"].stall(800_000)
    world.run(until=10_000)
    world.consumer("newbie", "g", ["orders"], partition_assignment_strategy=["range"])
    world.run(until=20_000)
    world.crash("newbie")
    world.run(until=400_000)
    return world


@exercise("02.5", NB02, "A newcomer joins a rebalance that waits for a stuck member, then crashes: when is it removed (s)?",
          name="newcomer_removed_at_s", kind="predict", pain=("the three timeouts confused",), minutes=8,
          transfer=False,
          hints=("A new member has no member id to heartbeat with while its first JoinGroup is parked, so the "
                 "coordinator cannot use its session timeout then. Which timer does it run for such a member?",
                 "Answer in seconds of virtual time (a number; within 1 s counts as right)."))
def _ex02_5(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return invalid(f"expected a time in seconds (a number), got {type(answer).__name__} {answer!r}")
    world = _newcomer_world()
    removed = [e.at for e in world.trace if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, MemberRemoved)
               and e.event.member_id.startswith("newbie-")]
    expected = removed[0] / 1000
    if abs(answer - expected) <= 1:
        return right(f"about {expected:.0f} s: the coordinator gave the newcomer the new-member join timeout "
                     "(5 minutes) from the moment it was added, whatever its session.timeout.ms")
    if abs(answer - (20 + 45)) <= 2:
        return wrong("45 s after the crash would be its session timeout; but was its session timer running while "
                     "its first JoinGroup was parked?")
    if answer >= 900:
        return wrong("the rebalance timeout bounds the whole join phase; the newcomer is dealt with earlier, by a "
                     "timer of its own")
    return wrong("find when the coordinator added newbie, then which timer it armed for a member that is new")


def _quick_world(quick_max_poll_interval_ms: int):
    world = World(topics={"orders": 4}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=0))
    world.consumer("slow", "g", ["orders"], max_poll_interval_ms=60_000, processing_ms=50_000,
                   partition_assignment_strategy=["range"])
    world.consumer("quick", "g", ["orders"], max_poll_interval_ms=quick_max_poll_interval_ms,
                   partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.run(for_ms=2_000)
    world.consumer("late", "g", ["orders"], partition_assignment_strategy=["range"])
    world.run(for_ms=120_000)
    return world


@exercise("02.6", NB02, "Choose quick's max.poll.interval.ms so its JoinGroup is not given up during a long rebalance",
          name="quick_max_poll_interval_ms", kind="configure", pain=("joins refused or given up",), minutes=10,
          transfer=True,
          hints=("A JoinGroup can be parked for the group's rebalance timeout, the largest max.poll.interval.ms of "
                 "its members; the client waits for its own answer only so long. Find what that wait depends on.",
                 "Answer with an int of ms; staying under 5 minutes keeps a stuck quick from holding up rebalances."))
def _ex02_6(answer):
    bad = want_int(answer, "max.poll.interval.ms in ms")
    if bad:
        return bad
    if answer <= 0:
        return invalid("max.poll.interval.ms must be positive")
    if answer > 300_000:
        return wrong("that works, but a quick that really hangs would now hold every rebalance for over 5 minutes; "
                     "look for the smallest value with some margin")
    world = _quick_world(answer)
    gave_up = [e for e in world.trace if isinstance(e, ev.CoordinatorUnknown) and e.consumer == "quick"
               and e.request_kind == "join"]
    if gave_up:
        return wrong(f"quick gave up on its parked JoinGroup at {gave_up[0].at} ms and had to look up the coordinator "
                     "and join again: its wait ended before slow rejoined")
    return right(f"{answer} ms: quick waits long enough for the rebalance that slow holds open (its JoinGroup "
                 "timeout is max(request.timeout.ms, max.poll.interval.ms + 5 s))")


NB03 = "03-leader-and-protocol"


@exercise("03.1", NB03, "Which protocol does the group select?", name="selected_protocol", kind="predict",
          pain=("which assignor a group runs",), minutes=6, transfer=True,
          hints=("Candidates are the names every member lists; each member votes for the first candidate in "
                 "its own order; most votes wins.",))
def _ex03_1(answer):
    if not isinstance(answer, str):
        return invalid(f"answer with the assignor's name as a string, e.g. \"range\"; got {type(answer).__name__}")
    lists = [("range", "roundrobin", "sticky"), ("roundrobin", "sticky"), ("sticky", "roundrobin", "range"),
             ("roundrobin", "range", "sticky")]
    coord = _coord(group_initial_rebalance_delay_ms=0)
    for i, names in enumerate(lists):
        _join_with_retry(coord, f"m{i}", 0, protocols=tuple((n, b"") for n in names))
    coord.on_timer(coord.next_deadline())
    expected = coord.describe("g")["protocol_name"]
    if answer == expected:
        return right(f"{expected}: it is a candidate (everyone lists it) and gets the most votes")
    if answer == "range":
        return wrong("range is not listed by every member, so it is not even a candidate")
    if answer == "sticky":
        return wrong("sticky is a candidate, but count the votes: each member votes its first candidate")
    return wrong("first keep only names every member lists, then count first choices")


@exercise("03.2", NB03, "A member listing only sticky joins a Stable group of range members: the error?",
          name="mismatch_error", kind="predict", pain=("joins refused or given up",), minutes=3, transfer=False,
          hints=("A member is admitted only if at least one of its protocols is supported by every current member.",))
def _ex03_2(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    coord = _coord(group_initial_rebalance_delay_ms=0)
    _join_with_retry(coord, "a", 0)
    coord.on_timer(coord.next_deadline())
    r = _join(coord, "b", 10, protocols=(("sticky", b""),))
    expected = r[0].response.error_code
    return judge_code(code, expected,
                      f"{expected.name}: no common assignor; the Java client treats it as fatal", {
        "MEMBER_ID_REQUIRED": "the protocol check comes before handing out a member id",
    }, "which error says the member's protocols do not fit the group's?")


@exercise("03.3", NB03, "Identical JoinGroups in a Stable group: the generation after the follower's, then the leader's",
          name="generations_after_rejoins", kind="predict", pain=("rebalances nobody asked for",), minutes=8,
          transfer=True,
          hints=("Ask what each JoinGroup tells the coordinator. A follower whose protocols did not change asks for "
                 "nothing new; and how does a leader ask for a new assignment when its metadata changed "
                 "(notebook 06)?",
                 "Answer with a pair (generation after the follower's JoinGroup, generation once everyone rejoined "
                 "after the leader's)."))
def _ex03_3(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return invalid("answer with a pair of ints: (generation after the follower's JoinGroup, "
                       "generation after the leader's JoinGroup and everyone's rejoin)")
    for x in answer:
        bad = want_int(x, "a generation id")
        if bad:
            return bad
    coord, a, b = _stable_pair()
    gen = coord.describe("g")["generation_id"]
    _sync(coord, "a", a, gen, 1, ((a, b"A"), (b, b"B")))
    _sync(coord, "b", b, gen, 1)
    follower = _join(coord, "b", 2, member_id=b)[0].response.generation_id
    _join(coord, "a", 3, member_id=a)
    _join(coord, "b", 4, member_id=b)
    after_leader = coord.describe("g")["generation_id"]
    expected = (follower, after_leader)
    if tuple(answer) == expected:
        return right(f"{expected}: the follower's identical JoinGroup changes nothing; the leader's starts a "
                     "rebalance even with unchanged metadata")
    if answer[0] != follower:
        return wrong("the follower's first number is off: did its JoinGroup, with nothing changed, give the "
                     "coordinator a reason for a new generation?")
    return wrong("the second number is off: a consumer leader rejoins when it wants a new assignment; can the "
                 "coordinator tell that apart from a rejoin with nothing changed?")


NB04 = "04-syncgroup"


def _stable_pair():
    coord = _coord(group_initial_rebalance_delay_ms=0)
    a, _ = _join_with_retry(coord, "a", 0)
    b, _ = _join_with_retry(coord, "b", 0)
    coord.on_timer(coord.next_deadline())
    return coord, a, b


def _sync(coord, who, member_id, generation, now, assignments=()):
    return coord.handle(SyncGroupRequest(group_id="g", member_id=member_id, generation_id=generation,
                                         assignments=tuple(SyncGroupRequestAssignment(m, x) for m, x in assignments)),
                        who, now)


@exercise("04.1", NB04, "A SyncGroup still carrying the previous generation: the error?", name="stale_sync_error",
          kind="predict", pain=("errors answered during a rebalance",), minutes=3, transfer=False,
          hints=("SyncGroup is validated member first, then generation.",))
def _ex04_1(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    coord, a, b = _stable_pair()
    gen = coord.describe("g")["generation_id"]
    r = _sync(coord, "b", b, gen - 1, 5)
    expected = r[0].response.error_code
    return judge_code(code, expected,
                      f"{expected.name}: the member knows an old generation and must rejoin", {
        "REBALANCE_IN_PROGRESS": "the group is not rebalancing; it is the request's generation that is wrong",
    }, "which error names a generation mismatch?")


@exercise("04.2", NB04, "SyncGroup while the group is PreparingRebalance: the error?", name="sync_during_prepare",
          kind="predict", pain=("errors answered during a rebalance",), minutes=3, transfer=False,
          hints=("While the group waits for JoinGroups, there is no assignment to hand out yet.",))
def _ex04_2(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    coord, a, b = _stable_pair()
    gen = coord.describe("g")["generation_id"]
    _join_with_retry(coord, "c", 10)  # a newcomer: Completing -> PreparingRebalance
    r = _sync(coord, "b", b, gen, 11)
    expected = r[0].response.error_code
    return judge_code(code, expected,
                      f"{expected.name}: the member must send JoinGroup again", {
        "ILLEGAL_GENERATION": "the generation is still the current one: it only changes when the join phase completes",
    }, "the group is rebalancing; which error says so?")


def _leader_never_syncs():
    """a (the leader) and b are answered their JoinGroups at 0; both heartbeat every 3 s; b syncs at 3 s
    and waits; a never syncs.  b rejoins 1 ms after its SyncGroup is answered.  Returns (b's SyncGroup
    answer, the generation and the leader of b's JoinGroup answer)."""
    coord, a, b = _stable_pair()
    g1 = coord.describe("g")["generation_id"]
    sync_answer, t = None, 3_000
    while sync_answer is None and t <= 600_000:
        for r in coord.on_timer(t):
            if r.origin == "b" and type(r.response).__name__ == "SyncGroupResponse":
                sync_answer = r.response.error_code
        if t == 3_000:
            _sync(coord, "b", b, g1, t)
        for who, mid in (("a", a), ("b", b)):
            for r in coord.handle(HeartbeatRequest(group_id="g", member_id=mid, generation_id=g1), who, t):
                if r.origin == "b" and type(r.response).__name__ == "SyncGroupResponse":
                    sync_answer = r.response.error_code
        t += 3_000
    joined = _join(coord, "b", t - 3_000 + 1, member_id=b)
    answer = next(r.response for r in joined if r.origin == "b")
    return sync_answer, answer.generation_id, ("b" if answer.leader == b else "a" if answer.leader == a else answer.leader)


@exercise("04.3", NB04, "The leader never sends SyncGroup: what happens to the follower waiting at the barrier?",
          name="follower_outcome", kind="predict", pain=("errors answered during a rebalance", "coordinator versus leader"),
          minutes=10, transfer=True,
          hints=("Notebook 04's scenario 5 removes a follower that never syncs. Which timer is that, does it care "
                 "whether the member is the leader, and what does the coordinator do with a removed leader?",
                 "Answer with a triple: (the error code of b's SyncGroup answer, the generation in the answer to "
                 "b's next JoinGroup, \"a\" or \"b\" for who leads that generation)."))
def _ex04_3(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return invalid("answer with a triple: (an error code, a generation as an int, \"a\" or \"b\")")
    code, bad = want_error_code(answer[0])
    if bad:
        return bad
    bad = want_int(answer[1], "the generation")
    if bad:
        return bad
    leader = answer[2]
    if not isinstance(leader, str) or leader.strip().lower() not in ("a", "b"):
        return invalid(f"the leader is \"a\" or \"b\", got {leader!r}")
    expected = _leader_never_syncs()
    got = (code, answer[1], leader.strip().lower())
    if got == expected:
        return right(f"{expected[0].name}, then generation {expected[1]} led by {expected[2]}: the pending-sync timer "
                     "removed the leader that never synced, released b's parked SyncGroup, and b, alone, formed the "
                     "next generation as its leader")
    if code != expected[0]:
        if code.name == "NONE":
            return wrong("b's SyncGroup cannot succeed: the leader's plan never arrives. What ends its wait?")
        return wrong(f"b's SyncGroup is not answered {code.name}: what state does the group go to when a member "
                     "is removed, and what does that state answer a parked SyncGroup?")
    if answer[1] != expected[1]:
        return wrong("the error is right; now count generations: when does the coordinator bump the generation, and "
                     "how many times does that happen here?")
    return wrong("the error and generation are right; who can lead once the old leader is no longer a member?")
