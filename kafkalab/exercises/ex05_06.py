"""Exercises of notebooks 05 (liveness) and 06 (assignors)."""

from __future__ import annotations

import random

from ..assignors import Assignor, Subscription, assign, balance
from ..sim import World
from ..sim import events as ev
from ..trace import StateChanged
from .core import exercise, invalid, right, want_int, wrong

NB05 = "05-liveness"
SESSION_LIMITS = (6_000, 1_800_000)  # group.min/max.session.timeout.ms


def _rebalances(world) -> int:
    return sum(1 for e in world.trace if isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, StateChanged)
               and e.event.new.value == "PreparingRebalance")


def _poll_timeouts(world) -> list:
    return [e for e in world.trace if isinstance(e, ev.PollTimeoutExpired)]


@exercise("05.1", NB05, "Timeouts for a consumer whose every batch takes 40 s", name="timeouts",
          kind="configure", pain=("max.poll.interval exceeded", "the three timeouts confused"), minutes=10,
          transfer=True,
          hints=("Processing time between two poll() calls is guarded by max.poll.interval.ms; "
                 "session.timeout.ms is about heartbeats, which a background thread keeps sending while "
                 "you process.",
                 "Answer with a dict: {'session_timeout_ms': ..., 'heartbeat_interval_ms': ..., "
                 "'max_poll_interval_ms': ...}."))
def _ex05_1(answer):
    keys = {"session_timeout_ms", "heartbeat_interval_ms", "max_poll_interval_ms"}
    if not isinstance(answer, dict) or set(answer) != keys:
        return invalid(f"answer with a dict with exactly the keys {sorted(keys)}")
    for k, v in answer.items():
        bad = want_int(v, k)
        if bad:
            return bad
    s, h, m = answer["session_timeout_ms"], answer["heartbeat_interval_ms"], answer["max_poll_interval_ms"]
    if not SESSION_LIMITS[0] <= s <= SESSION_LIMITS[1]:
        return wrong(f"session_timeout_ms={s} would be refused by the broker (INVALID_SESSION_TIMEOUT): "
                     f"it must be within group.min/max.session.timeout.ms {SESSION_LIMITS}")
    if h >= s:
        return wrong("heartbeat_interval_ms must be lower than session_timeout_ms (the client refuses it)")

    world = World(topics={"orders": 4})
    world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                        processing_ms=40_000, **answer)
    world.run_until_stable("g", timeout_ms=600_000)
    gen = world.describe("g")["generation_id"]
    world.run(for_ms=600_000)
    if _poll_timeouts(world) or world.describe("g")["generation_id"] != gen:
        if s > 40_000 and m <= 40_000:
            return wrong("a long session timeout does not help: the consumer still leaves the group when "
                         "poll() is not called within max.poll.interval.ms")
        return wrong("the consumers left the group: after 40 s without poll() a consumer gives up its membership")
    note = ""
    if m > 600_000:
        note = " (it works, but a very large max.poll.interval.ms also makes every rebalance wait that long for a stuck consumer)"
    return right(f"no member left in 10 minutes of 40 s batches{note}")


@exercise("05.2", NB05, "A crashed consumer is restarted 2 s later, yet the rebalance takes about 45 s: which config?",
          name="bounding_config", kind="diagnose", pain=("joins that take 3 s / 45 s", "the three timeouts confused"),
          minutes=8, transfer=True,
          hints=("The restarted process joins as a *new* member; the join phase waits for every known member to "
                 "rejoin, including the dead one, until something removes it.",))
def _ex05_2(answer):
    if not isinstance(answer, str):
        return invalid("answer with a Kafka config name, e.g. \"heartbeat.interval.ms\"")
    name = answer.strip().lower().replace("_", ".")

    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    t0 = world.run_until_stable("g")
    world.run(for_ms=1_000)
    world.crash("c2")
    world.run(for_ms=2_000)
    world.restart("c2")
    t1 = world.run_until_stable("g")
    took = (t1 - t0 - 1_000) / 1000
    if name == "session.timeout.ms":
        return right(f"the dead member was removed only when its session expired; the group was stable again "
                     f"{took:.0f} s after the crash")
    if name == "max.poll.interval.ms":
        return wrong("max.poll.interval.ms (the rebalance timeout, 300 s by default) is the upper bound of that "
                     "wait, but something ended it much sooner")
    if name in ("heartbeat.interval.ms", "group.initial.rebalance.delay.ms"):
        return wrong(f"{name} is a matter of a few seconds; the rebalance waited much longer, for something "
                     "to remove the dead member")
    return wrong("the join phase waited for the dead member until the coordinator removed it: which consumer "
                 "config decides when the coordinator gives up on a member that sends nothing?")


@exercise("05.3", NB05, "Repair: choose max.poll.records so a slow loop stays in the group", name="max_poll_records_for",
          kind="repair", answer="code", pain=("max.poll.interval exceeded",), minutes=12, transfer=True,
          hints=("A batch of max.poll.records records takes max.poll.records × per_record_ms; it must finish "
                 "well within max.poll.interval.ms (fixed at 60000 here), or the consumer leaves the group.",))
def _ex05_3(fn):
    if not callable(fn):
        return invalid("define a function max_poll_records_for(per_record_ms) that returns an int")

    for per_record in (20, 150, 900, 7_000):
        n = fn(per_record)
        bad = want_int(n, f"max_poll_records_for({per_record})")
        if bad:
            return bad
        if n < 1:
            return wrong(f"max_poll_records_for({per_record}) = {n}: a consumer must fetch at least 1 record")
        world = World(topics={"orders": (2, 1_000_000)})
        world.add_consumers(2, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                            max_poll_interval_ms=60_000, max_poll_records=n, processing_ms=n * per_record)
        world.run_until_stable("g")
        world.run(for_ms=300_000)
        if _poll_timeouts(world):
            return wrong(f"with {per_record} ms per record, {n} records take {n * per_record / 1000:.0f} s "
                         "per batch: longer than max.poll.interval.ms")
        if n * per_record < 6_000 and per_record < 1_000:
            return wrong(f"{n} records per poll at {per_record} ms each is safe but needlessly slow; "
                         "aim for batches that use a good part of the interval")
    return right("every loop stays in the group and still processes a useful batch per poll()")


@exercise("05.4", NB05, "A rolling restart of 4 dynamic consumers: how many rebalances?", name="deploy_rebalances",
          kind="diagnose", pain=("rebalance storms during deploys",), minutes=6, transfer=False,
          hints=("Run the scenario and count the group's transitions into PreparingRebalance after it first became "
                 "stable (the first one formed the group).",
                 "Before you count: what does a closing dynamic consumer send, and what is its replacement to the "
                 "coordinator?"))
def _ex05_4(answer):
    bad = want_int(answer, "a number of rebalances")
    if bad:
        return bad
    world = _deploy_world(static=False)
    expected = _rebalances(world) - 1
    if answer == expected:
        return right(f"{expected} rebalances for one deploy; static membership (notebook 07) avoids them")
    if answer == 4:
        return wrong("count again: what does each half of one consumer's restart (the close, the new process) do "
                     "to the group?")
    return wrong("count the group's state changes into PreparingRebalance in the trace after the first one")


def _deploy_world(static: bool):
    world = World(topics={"orders": 8})
    for i in range(1, 5):
        extra = {"group_instance_id": f"c{i}-instance", "session_timeout_ms": 60_000} if static else {}
        world.consumer(f"c{i}", "g", ["orders"], partition_assignment_strategy=["range"], **extra)
    world.run_until_stable("g")
    for i in range(1, 5):
        world.run(for_ms=20_000)
        if static:
            world.crash(f"c{i}")   # a static member leaves no LeaveGroup behind
        else:
            world.close(f"c{i}")
        world.run(for_ms=5_000)
        world.restart(f"c{i}")
    world.run(for_ms=60_000)
    return world


NB06 = "06-assignors"


@exercise("06.1", NB06, "Range over three topics of 4 partitions, consumers c1, c2, c3: partitions per consumer",
          name="range_counts", kind="predict", pain=("uneven range across topics",), minutes=6, transfer=True,
          hints=("Notebook 06 explains how range deals with several topics. Work it out for one topic first, then "
                 "ask whether the same members come first in the others.",
                 "Answer with a dict {\"c1\": ..., \"c2\": ..., \"c3\": ...} of partition counts."))
def _ex06_1(answer):
    topics = {"a": 4, "b": 4, "c": 4}
    result = assign("range", topics, {m: {"topics": list(topics)} for m in ("c1", "c2", "c3")})
    expected = {m: len(ps) for m, ps in result.items()}
    if not isinstance(answer, dict) or set(answer) != set(expected):
        return invalid("answer with a dict with the keys 'c1', 'c2' and 'c3' and partition counts as values")
    if answer == expected:
        return right(f"{expected}: 4 partitions over 3 members leave one extra per topic, and it goes to the same "
                     "first member every time; roundrobin would give 4, 4, 4")
    if sorted(answer.values()) == [4, 4, 4]:
        return wrong("that is an even split over all 12 partitions, what roundrobin or sticky would do; range "
                     "decides topic by topic")
    if sum(v for v in answer.values() if isinstance(v, int)) != 12:
        return wrong("every one of the 12 partitions goes to exactly one consumer: the counts must add up to 12")
    return wrong("assign each topic on its own, then add up: who gets the extra partition of each topic?")


@exercise("06.2", NB06, "Six consumers on orders (4 partitions) and payments (2): idle consumers with range, with roundrobin",
          name="idle_consumers", kind="predict", pain=("a consumer with no partitions", "uneven range across topics"),
          minutes=8, transfer=True,
          hints=("Six consumers and six partitions in all, so nobody need be idle. Does each assignor look at all "
                 "six partitions at once?",
                 "Answer with a pair (idle consumers with range, idle consumers with roundrobin)."))
def _ex06_2(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return invalid("answer with a pair of ints: (idle consumers with range, idle consumers with roundrobin)")
    for x in answer:
        bad = want_int(x, "a number of consumers")
        if bad:
            return bad
    topics = {"orders": 4, "payments": 2}
    members = {f"c{i}": {"topics": list(topics)} for i in range(1, 7)}
    expected = tuple(sum(1 for ps in assign(s, topics, members).values() if not ps) for s in ("range", "roundrobin"))
    if tuple(answer) == expected:
        return right(f"{expected}: range deals each topic to the first members in order, so the same ones get "
                     "both topics; roundrobin deals all six partitions in turn")
    if answer[1] != expected[1]:
        return wrong("the roundrobin count is off: it lays out every partition of every topic, then deals them "
                     "to the members in turn")
    return wrong("the range count is off: range assigns orders and payments separately, each to the members in "
                 "the same order")


@exercise("06.3", NB06, "Build an assignor that is balanced and sticky", name="BalancedSticky", kind="build",
          answer="code", points=3, pain=("partitions that move at every rebalance",), minutes=25, transfer=True,
          hints=("Keep each member's still-valid owned partitions up to its quota (⌊P/C⌋ or ⌈P/C⌉), then give "
                 "the free partitions to the members with the fewest.",
                 "Subscriptions carry owned_partitions; sort members and partitions so the result is deterministic."))
def _ex06_3(cls):
    if not isinstance(cls, type) or not issubclass(cls, Assignor):
        return invalid("define a class BalancedSticky(Assignor) with an assign(partitions_per_topic, "
                       "subscriptions, partition_racks=None) method")
    inst = cls()
    rng = random.Random(7)
    cases = 0
    for _ in range(60):
        topics = {f"t{i}": rng.randint(1, 12) for i in range(rng.randint(1, 3))}
        members = [f"m{i}" for i in range(rng.randint(1, 9))]
        all_tps = [(t, p) for t, n in topics.items() for p in range(n)]
        rng.shuffle(all_tps)
        owned = {m: [] for m in members}
        for tp in all_tps[: rng.randint(0, len(all_tps))]:
            owned[rng.choice(members)].append(tp)
        subs = {m: Subscription(tuple(sorted(topics)), tuple(owned[m]), 1)
                for m in members}
        result = inst.assign(topics, subs)
        cases += 1
        if set(result) != set(members):
            return wrong(f"every member must appear in the result (case {cases}: got {sorted(result)})")
        got = [tp for ps in result.values() for tp in ps]
        if sorted(got) != sorted((t, p) for t, n in topics.items() for p in range(n)):
            return wrong(f"case {cases}: every partition must be assigned exactly once")
        if balance(result) > 1:
            return wrong(f"case {cases}: counts differ by {balance(result)}; balanced means max - min <= 1")
        quota_hi = -(-len(all_tps) // len(members))
        for m in members:
            kept = len(set(owned[m]) & set(result[m]))
            if kept < min(len(owned[m]), len(all_tps) // len(members)):
                return wrong(f"case {cases}: {m} owned {len(owned[m])} partitions but kept only {kept}: "
                             "sticky means keeping what you own up to your quota")
        del quota_hi
    # and it must work in the simulator as a consumer's assignor

    world = World(topics={"orders": 7})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=[inst])
    world.run_until_stable("g")
    world.close("c2")
    world.run_until_stable("g")
    if sorted(tp for ps in world.assignments("g").values() for tp in ps) != [("orders", i) for i in range(7)]:
        return wrong("in the simulator the group did not end up owning every partition")
    return right(f"valid, balanced and sticky on {cases} random cases, and it runs in the simulator")


@exercise("06.4", NB06, "Range over 4 partitions with consumers consumer10, consumer2, consumer1: who gets partition 2?",
          name="owner_of_partition_2", kind="predict", pain=("member order (consumer10 before consumer2)",),
          minutes=4, transfer=False,
          hints=("Range walks the members in member-id order, compared as Java strings (String.compareTo), "
                 "character by character.",))
def _ex06_4(answer):
    if not isinstance(answer, str):
        return invalid("answer with a consumer name")
    result = assign("range", {"t": 4}, {m: {"topics": ["t"]} for m in ("consumer10", "consumer2", "consumer1")})
    expected = next(m for m, ps in result.items() if ("t", 2) in ps)
    if answer == expected:
        return right(f"{expected}: the order is consumer1, consumer10, consumer2 (string order, not numeric)")
    if answer == "consumer2":
        return wrong("that assumes numeric order; Kafka compares member ids as strings")
    return wrong("sort the three names as strings, then give the first one the extra partition")


def _grown_world(metadata_max_age_ms: int = 300_000, add_at: int = 20_000, leader_leaves_at=None):
    """Three range consumers on orders (6 partitions); orders grows to 9 at ``add_at`` (and, if
    ``leader_leaves_at`` is given, the leader c1 closes at that time first)."""
    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], partition_assignment_strategy=["range"],
                        metadata_max_age_ms=metadata_max_age_ms)
    world.run_until_stable("g")
    if leader_leaves_at is not None:
        world.run(until=leader_leaves_at)
        world.close("c1")
        world.run_until_stable("g")
    world.run(until=add_at)
    world.add_partitions("orders", 9)
    world.run_until(lambda w: len([p for ps in w.assignments("g").values() for p in ps]) == 9,
                    timeout_ms=add_at + 2 * metadata_max_age_ms + 60_000)
    return world


@exercise("06.5", NB06, "orders grows from 6 to 9 partitions at 301 s: when do all 9 have an owner (s)?",
          name="all_nine_owned_at_s", kind="predict", pain=("new partitions or topics not consumed",), minutes=6,
          transfer=True,
          hints=("The brokers know about the new partitions at once; the consumers know only what their own "
                 "metadata says. When did they last refresh it, and when will they next?",
                 "Answer in seconds of virtual time (a number; within 5 s counts as right)."))
def _ex06_5(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return invalid(f"expected a time in seconds (a number), got {type(answer).__name__} {answer!r}")
    expected = _grown_world(add_at=301_000).now / 1000
    if abs(answer - expected) <= 5:
        return right(f"about {expected:.0f} s: the consumers had refreshed their metadata a second before the "
                     "partitions were added, so nobody noticed them until the next refresh, metadata.max.age.ms "
                     "later, plus one rebalance")
    if abs(answer - (301 + 300)) <= 5 or abs(answer - 304) <= 5:
        return wrong("the refresh clock does not start when the partitions are added: it runs from each consumer's "
                     "own last refresh")
    if answer < 301:
        return wrong("the partitions are added at 301 s: nobody can own them before that")
    return wrong("find when the consumers refreshed their metadata last before 301 s, and when they refresh next")


@exercise("06.6", NB06, "The leader left, then partitions are added: which consumer starts the rebalance?",
          name="who_starts_it", kind="diagnose", pain=("new partitions or topics not consumed", "coordinator versus leader"),
          minutes=8, transfer=True,
          hints=("Every consumer's metadata refresh shows the new partitions, but only one member compares them with "
                 "what the assignment was computed from. Who computed the assignment in force?",
                 "Answer with the consumer's name, e.g. \"c3\"."))
def _ex06_6(answer):
    if not isinstance(answer, str):
        return invalid("answer with a consumer name such as \"c2\"")
    world = _grown_world(add_at=200_000, leader_leaves_at=100_000)
    first = next(e for e in world.trace if isinstance(e, ev.RejoinRequested) and e.at > 200_000)
    if answer.strip() == first.consumer:
        return right(f"{first.consumer}: it became the leader when c1 left and ran the assignor with the old "
                     "partition count, so it is the one that rejoins (\"cached metadata has changed\"); the others "
                     "follow from a heartbeat")
    if answer.strip() == "c1":
        return wrong("c1 closed at 100 s: it is not in the group any more. Who took over its job?")
    if answer.strip().lower() in ("coordinator", "broker", "broker-0"):
        return wrong("the coordinator does not watch topics at all; a consumer has to notice and rejoin")
    if answer.strip() in world.consumers:
        return wrong(f"{answer.strip()} saw the new partitions too, but did it compute the assignment in force?")
    return invalid(f"{answer!r} is not one of the group's consumers; answer with a consumer's name")


@exercise("06.7", NB06, "Choose metadata.max.age.ms so new partitions are consumed within 60 s of being added",
          name="metadata_max_age_ms", kind="configure", pain=("new partitions or topics not consumed",), minutes=8,
          transfer=True,
          hints=("Partitions added just after the leader's last metadata refresh wait the longest: a whole refresh "
                 "interval, then a rebalance of a few seconds.",
                 "Every refresh is a Metadata request to a broker: refreshing more often than every 10 s costs "
                 "more than it buys. Answer with an int of ms."))
def _ex06_7(answer):
    bad = want_int(answer, "metadata.max.age.ms in ms")
    if bad:
        return bad
    if answer < 10_000:
        return wrong(f"{answer} ms works, but every consumer would ask a broker for metadata that often; find a "
                     "value of at least 10000 ms")
    # the worst case: partitions added right after the consumers' first periodic refresh
    world = _grown_world(answer, add_at=answer + 1)
    waited = world.now - (answer + 1)
    if waited > 60_000:
        return wrong(f"partitions added just after a refresh waited {waited / 1000:.1f} s for an owner")
    return right(f"{answer} ms: even partitions added just after a refresh had an owner {waited / 1000:.1f} s later")
