"""Exercises of notebooks 00 (start here) and 10 (real clients).

Notebook 10 runs real confluent-kafka consumers; its exercise must be checked anywhere, with no
client installed and no network (the grader's sandbox), so it asks about the coordinator's side,
which kafkalab's simulated world runs the same way for any client: the session timeout a real
client asks for in its ``JoinGroup`` and the heartbeats it sends are all the coordinator knows.
"""

from __future__ import annotations

from ..config import CoordinatorConfig
from ..sim import World
from .core import exercise, invalid, right, wrong

NB00 = "00-start-here"
NB10 = "10-real-clients"


def _five_together():
    world = World(topics={"orders": 6})
    world.add_consumers(5, group="g", topics=["orders"])
    stable_at = world.run_until_stable("g")
    return stable_at / 1000, max(len(ps) for ps in world.assignments("g").values())


@exercise("00.1", NB00, "Five consumers start together on 6 partitions: when is the group stable, and who owns most?",
          name="five_consumers", kind="predict", pain=("joins that take 3 s / 45 s", "a consumer with no partitions"),
          minutes=6, transfer=True,
          hints=("Notebook 00 explains the 6 s of three consumers: the first rebalance of an empty group is delayed, "
                 "and the delay is extended when members arrive during it. Is it extended once per member?",
                 "Answer with a pair: (seconds of virtual time until the group is stable, a number within 0.5 s; "
                 "the most partitions any one consumer owns then)."))
def _ex00_1(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return invalid("answer with a pair: (seconds until stable, the most partitions one consumer owns)")
    seconds, most = answer
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return invalid(f"the first number is a time in seconds, got {type(seconds).__name__} {seconds!r}")
    if isinstance(most, bool) or not isinstance(most, int):
        return invalid(f"the second number is a count of partitions (an int), got {type(most).__name__} {most!r}")
    stable_s, expected_most = _five_together()
    time_ok, most_ok = abs(seconds - stable_s) <= 0.5, most == expected_most
    if time_ok and most_ok:
        return right(f"about {stable_s:.0f} s and {expected_most} partitions: all five joined during the first delay, "
                     "which was extended once (not once per member), and 6 partitions over 5 consumers leave one "
                     "of them with two")
    if not time_ok:
        if seconds >= 12:
            return wrong("the delay is not paid once per member: when the delayed join timer fires, what does it "
                         "check before it waits again?")
        return wrong("the time is off: do five consumers that start together arrive during the first delay or "
                     "after it, and what does the timer do then?")
    return wrong("the partition count is off: each partition goes to exactly one consumer, and partitions are "
                 "not split")


_REAL_CLIENT = dict(session_timeout_ms=6_000, heartbeat_interval_ms=500, partition_assignment_strategy=["range"])


def _killed_world(crash_after_ms: int = 5_000):
    """Notebook 10's group (three consumers, session.timeout.ms 6000, heartbeats every 500 ms, a
    1 s initial delay), but c2's process is killed instead of closed."""
    world = World(topics={"orders": 6}, config=CoordinatorConfig(group_initial_rebalance_delay_ms=1_000,
                                                                  group_min_session_timeout_ms=1_000))
    world.add_consumers(3, group="g", topics=["orders"], **_REAL_CLIENT)
    world.run_until_stable("g")
    world.run(for_ms=crash_after_ms)
    killed_at = world.now
    world.crash("c2")
    owned = world.run_until(lambda w: w.is_stable("g") and sorted(
        p for ps in w.assignments("g").values() for _, p in ps) == list(range(6)), timeout_ms=120_000)
    return (owned - killed_at) / 1000


@exercise("10.1", NB10, "c2's process is killed instead of closed: how long until c1 and c3 own all six partitions (s)?",
          name="seconds_until_owned", kind="predict", pain=("the three timeouts confused",), minutes=6, transfer=True,
          hints=("A killed process sends no LeaveGroup. What does the coordinator go by to notice that a member is "
                 "gone, and which of notebook 10's consumer configs sets it?",
                 "Answer in seconds (a number; within 1 s counts as right)."))
def _ex10_1(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return invalid(f"expected a time in seconds (a number), got {type(answer).__name__} {answer!r}")
    expected = _killed_world()
    if abs(answer - expected) <= 1:
        return right(f"about {expected:.0f} s: the coordinator removed c2 when its session timed out, counted from "
                     "its last heartbeat, and c1 and c3 learned of the rebalance from their next heartbeat (every "
                     "500 ms); a close() would have taken milliseconds")
    if answer < 1:
        return wrong("that is what close() gives (LeaveGroup): a killed process says nothing, so what makes the "
                     "coordinator notice?")
    if answer >= 40:
        return wrong("that is the Java client's default session timeout; notebook 10's consumers set their own")
    return wrong("the coordinator notices a silent member when its session times out: which session timeout did "
                 "notebook 10's consumers ask for, and from when is it counted?")
