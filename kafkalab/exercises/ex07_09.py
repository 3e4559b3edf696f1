"""Exercises of notebooks 07 (static membership), 08 (cooperative rebalancing) and 09 (offsets)."""

from __future__ import annotations

from ..assignors import get_assignor, moved_partitions, select_rebalance_protocol
from ..messages import HeartbeatRequest, OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic
from ..sim import World
from .core import exercise, invalid, judge_code, right, want_error_code, want_int, wrong
from .ex02_04 import _coord, _join, _stable_pair, _sync
from .ex05_06 import _rebalances

NB07 = "07-static-membership"


def _static_world(session_timeout_ms: int, downtime_ms: int):
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"s{i}", "g", ["orders"], group_instance_id=f"s{i}-instance",
                       session_timeout_ms=session_timeout_ms, partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    gen = world.describe("g")["generation_id"]
    world.crash("s2")
    world.run(for_ms=downtime_ms)
    world.restart("s2")
    world.run_until_stable("g", timeout_ms=600_000)
    return world, gen


@exercise("07.1", NB07, "A static member restarts 20 s after a crash (session 45 s): the generation afterwards?",
          name="generation_after_static_restart", kind="predict", pain=("static membership surprises",), minutes=4,
          transfer=False,
          hints=("What does the coordinator do when a JoinGroup with a known group.instance.id and no member id "
                 "arrives while the group is Stable, and does that need a new generation?",))
def _ex07_1(answer):
    bad = want_int(answer, "a generation id")
    if bad:
        return bad
    world, before = _static_world(45_000, 20_000)
    expected = world.describe("g")["generation_id"]
    if answer == expected:
        return right(f"still generation {expected}: no rebalance; s2 got its partitions back with a new member id")
    if answer == before + 1:
        return wrong("that is what a dynamic member's restart would give; what does the coordinator do with a "
                     "known group.instance.id that comes back within its session?")
    return wrong("the generation changes only when a rebalance completes: count the rebalances this restart caused")


@exercise("07.2", NB07, "Two processes share one group.instance.id: what does the older one's next Heartbeat get?",
          name="fenced_error", kind="predict", pain=("static membership surprises",), minutes=3, transfer=False,
          hints=("When a known instance id joins with an empty member id, the old member id is replaced. What "
                 "must the coordinator tell the old process, which still sends that instance id?",))
def _ex07_2(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    coord = _coord(group_initial_rebalance_delay_ms=0)
    _join(coord, "old", 0, instance="i-1")
    coord.on_timer(coord.next_deadline())
    old_id = coord.describe("g")["members"][0]["member_id"]
    gen = coord.describe("g")["generation_id"]
    _sync(coord, "old", old_id, gen, 1, ((old_id, b"x"),))
    _join(coord, "new", 2, instance="i-1")
    r = coord.handle(HeartbeatRequest(group_id="g", member_id=old_id, generation_id=gen, group_instance_id="i-1"),
                     "old", 3)
    expected = r[0].response.error_code
    return judge_code(code, expected,
                      f"{expected.name}: the newer process owns the instance id; the Java client treats it as fatal", {
        "UNKNOWN_MEMBER_ID": "that is the answer without the instance id; with it, the coordinator says something sharper",
    }, "which error is reserved for a stale holder of a group.instance.id?")


@exercise("07.3", NB07, "Pick session.timeout.ms so a static restart taking 70 s does not rebalance",
          name="static_session_timeout_ms", kind="configure", pain=("static membership surprises",), minutes=8,
          transfer=True,
          hints=("A static member is removed (and the group rebalances) only when its session times out; "
                 "until then its partitions sit idle. Longer is not free: a real crash leaves them idle that long.",))
def _ex07_3(answer):
    bad = want_int(answer, "a session timeout in ms")
    if bad:
        return bad
    if not 6_000 <= answer <= 1_800_000:
        return wrong(f"{answer} ms is outside group.min/max.session.timeout.ms (6000..1800000): "
                     "the broker would answer INVALID_SESSION_TIMEOUT")
    world, before = _static_world(answer, 70_000)
    if world.describe("g")["generation_id"] != before:
        return wrong("the session expired during the restart, so the group rebalanced (twice: once without "
                     "s2, once when it came back)")
    if answer > 300_000:
        return wrong("no rebalance, but after a real crash s2's partitions would sit idle for over 5 minutes; "
                     "keep some margin over 70 s without going that far")
    return right(f"{answer} ms covers the 70 s restart: same generation, same partitions")


def _close_world(membership: str, static: bool, restart_after_ms=None):
    """Three consumers of orders; c2 closes at 20 s with ``membership`` (and restarts later, if asked)."""
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], partition_assignment_strategy=["range"],
                       **({"group_instance_id": f"orders-{i}"} if static else {}))
    world.run_until_stable("g")
    world.run(until=20_000)
    world.close("c2", membership=membership)
    if restart_after_ms is not None:
        world.run(for_ms=restart_after_ms)
        world.restart("c2")
    return world


@exercise("07.4", NB07, "A static member is removed for good (scale down): which close option gives its partitions away at once?",
          name="scale_down_membership", kind="configure", pain=("static membership surprises",), minutes=5,
          transfer=False,
          hints=("By default a static member keeps its place when it closes, so that a restart costs no rebalance. "
                 "Kafka 4.1 (KIP-1092) lets close() choose what happens to the membership.",
                 "Answer with one of \"DEFAULT\", \"LEAVE_GROUP\", \"REMAIN_IN_GROUP\"."))
def _ex07_4(answer):
    if not isinstance(answer, str) or answer.strip().upper() not in ("DEFAULT", "LEAVE_GROUP", "REMAIN_IN_GROUP"):
        return invalid("answer with \"DEFAULT\", \"LEAVE_GROUP\" or \"REMAIN_IN_GROUP\"")
    world = _close_world(answer.strip().upper(), static=True)
    world.run(for_ms=10_000)
    owners = [c for c, ps in world.assignments("g").items() if ("orders", 2) in ps]
    if owners:
        return right(f"{answer.strip().upper()}: c2 sent LeaveGroup, so the coordinator freed its group.instance.id "
                     f"and {owners[0]} took over its partitions within seconds")
    if answer.strip().upper() == "DEFAULT":
        return wrong("with the default a static member sends no LeaveGroup: its partitions wait for its session to "
                     "time out, as for a restart")
    return wrong("the coordinator still counts c2 as a member 10 s later: nothing told it that c2 is gone")


@exercise("07.5", NB07, "A dynamic consumer closes with REMAIN_IN_GROUP and restarts 5 s later: when is the group stable again (s)?",
          name="stable_again_at_s", kind="predict", pain=("static membership surprises", "rebalance storms during deploys"),
          minutes=8, transfer=False,
          hints=("Remaining in the group keeps the old member id in it. Does the restarted dynamic consumer come "
                 "back under that id, and who must rejoin before the coordinator can finish the rebalance it starts?",
                 "Answer in seconds of virtual time (a number; within 2 s counts as right). c2 closes at 20 s with "
                 "Kafka's default session.timeout.ms."))
def _ex07_5(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return invalid(f"expected a time in seconds (a number), got {type(answer).__name__} {answer!r}")
    world = _close_world("REMAIN_IN_GROUP", static=False, restart_after_ms=5_000)
    expected = world.run_until_stable("g") / 1000
    if abs(answer - expected) <= 2:
        return right(f"about {expected:.0f} s: the restarted process joined as a new member, and the rebalance it "
                     "started waited for the old member id until its session timed out; REMAIN_IN_GROUP pays off for "
                     "static members only")
    if answer <= 30:
        return wrong("that is what a static member gets; a dynamic consumer comes back with a new member id, so "
                     "what happens to the old one?")
    return wrong("follow the old member id: which of the coordinator's timers removes it, and when did that timer "
                 "last restart?")


NB08 = "08-cooperative"


@exercise("08.1", NB08, "Default partition.assignment.strategy [range, cooperative-sticky]: which rebalance protocol?",
          name="default_protocol", kind="predict", pain=("which assignor a group runs", "eager to cooperative migration"),
          minutes=3, transfer=False,
          hints=("The consumer uses the highest protocol that *every* configured assignor supports.",))
def _ex08_1(answer):
    if not isinstance(answer, str):
        return invalid("answer \"EAGER\" or \"COOPERATIVE\"")
    expected = select_rebalance_protocol([get_assignor("range"), get_assignor("cooperative-sticky")]).name
    if answer.strip().upper() == expected:
        return right(f"{expected}: range supports only EAGER, so the whole list runs EAGER (and the vote picks range)")
    return wrong("cooperative-sticky supports both, but does range?")


def _cooperative_world(consumers: int = 3):
    world = World(topics={"t": 6})
    world.add_consumers(consumers, group="g", topics=["t"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    return world


@exercise("08.2", NB08, "A member leaves a cooperative-sticky group of three: how many rebalances (join phases)?",
          name="cooperative_rebalances", kind="predict", pain=("cooperative callbacks and the second rebalance",),
          minutes=6, transfer=True,
          hints=("Notebook 08 explains why a member that *joins* costs two rounds. Does the reason hold when a "
                 "member leaves (with close(), so LeaveGroup)?",))
def _ex08_2(answer):
    bad = want_int(answer, "a number of rebalances")
    if bad:
        return bad
    world = _cooperative_world()
    before = _rebalances(world)
    world.close("c3")
    world.run_until_stable("g")
    expected = _rebalances(world) - before
    if answer == expected:
        return right(f"{expected}: c3's partitions belong to nobody once it left, so the first round can hand them "
                     "out; the second round exists only to free partitions that someone still owns")
    if answer == 2:
        return wrong("two rounds are needed when a partition must first be taken away from its owner; whose "
                     "partitions move here, and does anyone still own them?")
    return wrong("count the join phases until the survivors own every partition")


@exercise("08.3", NB08, "Plan the migration from [range] to cooperative-sticky in two rolling bounces",
          name="migration_plan", kind="configure", pain=("eager to cooperative migration",), minutes=10,
          transfer=False,
          hints=("During a bounce old and new configs meet in one group: they must share an assignor, and the "
                 "group may only run COOPERATIVE once nobody lists an EAGER-only assignor.",
                 "Answer with two lists of assignor names: the config after the first bounce, then after the second."))
def _ex08_3(answer):
    if (not isinstance(answer, (list, tuple)) or len(answer) != 2
            or not all(isinstance(x, (list, tuple)) and x and all(isinstance(n, str) for n in x) for x in answer)):
        return invalid("answer with two non-empty lists of assignor names, e.g. [[...], [...]]")

    first, second = [list(x) for x in answer]
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    for plan in (first, second):
        for i in (1, 2, 3):
            world.close(f"c{i}" if plan is first else f"d{i}")
            name = f"d{i}" if plan is first else f"e{i}"
            world.consumer(name, "g", ["orders"], partition_assignment_strategy=plan)
            world.run(for_ms=20_000)
            failed = [c for c in world.consumers.values() if c.fatal_error is not None]
            if failed:
                return wrong(f"during the bounce to {plan}, {failed[0].name} was refused with "
                             f"{failed[0].fatal_error.name}: old and new members had no assignor in common")
    world.run_until_stable("g", timeout_ms=120_000)
    final = [c for c in world.consumers.values() if c.status in ("in_poll", "processing")]
    if not all(c.rebalance_protocol == "COOPERATIVE" for c in final):
        return wrong("after both bounces the group still runs EAGER: an EAGER-only assignor is still listed")
    if world.describe("g")["protocol_name"] != "cooperative-sticky":
        return wrong("the group ends on another assignor than cooperative-sticky")
    return right("no member was refused, and the group ends on cooperative-sticky with the COOPERATIVE protocol")


@exercise("08.4", NB08, "A fourth consumer joins a cooperative-sticky group of three: how many partitions change owner?",
          name="partitions_moved", kind="predict", pain=("partitions that move at every rebalance",), minutes=6,
          transfer=True,
          hints=("Six partitions, two each. What is a balanced assignment for four members, and what is the least "
                 "that has to move to reach one from where the group is?",))
def _ex08_4(answer):
    bad = want_int(answer, "a number of partitions")
    if bad:
        return bad
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    before = world.assignments("g")
    world.consumer("c4", "g", ["orders"], partition_assignment_strategy=["cooperative-sticky"])
    world.run_until_stable("g")
    expected = len(moved_partitions(before, world.assignments("g")))
    if answer == expected:
        return right(f"{expected}: four members over six partitions is 2, 2, 1, 1, so the newcomer needs only one "
                     "partition and one member gives one up; the sticky assignor moves nothing else")
    if answer in (2, 3):
        return wrong("balanced means counts differ by at most one: must c4 get as many partitions as the others, "
                     "and must everyone give something up?")
    if answer == 6:
        return wrong("that would be an eager, non-sticky assignor re-dealing everything")
    return wrong("work out a balanced assignment for four members that keeps as much of the current one as possible")


NB09 = "09-offsets"


def _commit(coord, who, member_id, generation, now):
    r = coord.handle(OffsetCommitRequest(group_id="g", member_id=member_id, generation_id=generation,
                                         topics=(OffsetCommitRequestTopic("orders", (OffsetCommitRequestPartition(0, 42),)),)),
                     who, now)
    return r[0].response.topics[0].partitions[0].error_code


@exercise("09.1", NB09, "OffsetCommit while the group is CompletingRebalance: the error?", name="commit_completing",
          kind="predict", pain=("commits failing around a rebalance",), minutes=3, transfer=False,
          hints=("The member already knows the new generation but has no assignment yet.",))
def _ex09_1(answer):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    coord, a, b = _stable_pair()  # CompletingRebalance: JoinGroups answered, no SyncGroup yet
    expected = _commit(coord, "a", a, coord.describe("g")["generation_id"], 1)
    return judge_code(code, expected,
                      f"{expected.name}: commit again after SyncGroup gave you your partitions", {
        "ILLEGAL_GENERATION": "the generation matches: the member got it from its JoinGroup answer",
    }, "the group is between JoinGroup and SyncGroup; which error tells the member to finish it?")


@exercise("09.2", NB09, "Commit with the previous generation while the group is PreparingRebalance, then after the join completes",
          name="commit_old_generation", kind="predict", pain=("commits failing around a rebalance",), minutes=5,
          transfer=False,
          hints=("The generation is bumped only when the join phase completes.",
                 "Answer with a pair of error codes: (during PreparingRebalance, after the join phase completed)."))
def _ex09_2(answer):
    if not isinstance(answer, (list, tuple)) or len(answer) != 2:
        return invalid("answer with a pair of error codes (names or numbers)")
    codes = []
    for x in answer:
        code, bad = want_error_code(x)
        if bad:
            return bad
        codes.append(code)
    coord, a, b = _stable_pair()
    gen = coord.describe("g")["generation_id"]
    _sync(coord, "a", a, gen, 1, ((a, b"A"), (b, b"B")))
    _sync(coord, "b", b, gen, 1)
    _join(coord, "a", 2, member_id=a)            # the leader rejoins: PreparingRebalance
    during = _commit(coord, "b", b, gen, 3)
    _join(coord, "b", 4, member_id=b)            # everyone rejoined: generation + 1
    after = _commit(coord, "b", b, gen, 5)
    expected = (during, after)
    if tuple(codes) == expected:
        return right(f"{during.name} then {after.name}: commit before you rejoin, or lose the commit")
    if codes[0].name != "NONE":
        return wrong("the first commit: which generation is the group's current one while it is PreparingRebalance?")
    return wrong("once the join phase completes, what happens to a commit carrying the old generation?")


@exercise("09.3", NB09, "A consumer is kicked out mid-batch: how many records were processed twice?",
          name="duplicates", kind="diagnose", pain=("records processed twice", "max.poll.interval exceeded"),
          minutes=6, transfer=False,
          hints=("The records of the batch whose commit failed are processed again by the partition's next "
                 "owner, from the last committed offset. world.duplicates() counts them.",))
def _ex09_3(answer):
    bad = want_int(answer, "a number of records")
    if bad:
        return bad
    world = duplicates_world()
    expected = world.duplicates()
    if answer == expected:
        return right(f"{expected} records: at-least-once delivery; make processing idempotent or commit more often")
    if answer == 0:
        return wrong("c2's last commit failed, so its batch is delivered again")
    return wrong("run the scenario and count with world.duplicates()")


def duplicates_world():
    """The 09.3 scenario (also used by the exercise notebook)."""
    cfg = dict(enable_auto_commit=False, max_poll_records=10, processing_ms=100, max_poll_interval_ms=10_000,
               session_timeout_ms=10_000, partition_assignment_strategy=["range"])
    world = World(topics={"orders": (2, 10_000)})
    world.consumer("c1", "g", ["orders"], **cfg)
    world.consumer("c2", "g", ["orders"], **cfg)
    world.run_until_stable("g")
    world.run(for_ms=1_000)
    world["c2"].stall(15_000)
    world.run(for_ms=150)
    world.consumer("c3", "g", ["orders"], **cfg)
    world.run_until_stable("g", timeout_ms=120_000)
    world.run(for_ms=2_000)
    return world


def _crash_world(crash_at: int):
    """Notebook 09's crash scenario: two auto-committing consumers on orders (4 partitions, 10 records
    a second each); c2 crashes at ``crash_at``."""
    world = World(topics={"orders": 4}, produce_rate=10)
    world.add_consumers(2, group="g", topics=["orders"], processing_ms=200, session_timeout_ms=10_000)
    world.run(until=crash_at)
    world.crash("c2")
    world.run(until=crash_at + 25_000)
    return world


@exercise("09.4", NB09, "c2 crashes at 25.5 s instead of 24 s: about how many records are processed twice?",
          name="processed_twice", kind="predict", pain=("records processed twice",), minutes=8, transfer=True,
          hints=("What is processed twice is what c2 processed after its last commit that reached the coordinator. "
                 "When does an auto-committing consumer commit, and when would c2's next commit after 21 s have been?",
                 "Answer with a number of records (within 12 counts as right)."))
def _ex09_4(answer):
    bad = want_int(answer, "a number of records")
    if bad:
        return bad
    expected = _crash_world(25_500).duplicates()
    if abs(answer - expected) <= 12:
        return right(f"about {expected}: c2 last committed at about 21 s, so what it processed of its two "
                     "partitions (10 records a second each) in the 4.5 s up to the crash was processed again by c1")
    if answer <= 20:
        return wrong("did c2 manage another auto-commit before it crashed at 25.5 s? Count from its last commit that "
                     "really happened")
    return wrong("count the records c2's two partitions received between its last auto-commit and the crash")
