"""Exercises of notebook 11 (diagnosing rebalances from logs and metrics), on incidents the notebook
does not show (:mod:`kafkalab.sim.incidents`): the expected cause is the incident's own record, and a
fix is checked by playing the incident again with it."""

from __future__ import annotations

from ..assignors import get_assignor
from ..sim import incidents
from .core import exercise, invalid, right, want_int, wrong

NB11 = "11-diagnosing-rebalances"
SESSION_LIMITS = (6_000, 1_800_000)  # group.min/max.session.timeout.ms


def _cause(answer) -> tuple:
    """The cause key of an answer, or an INVALID verdict."""
    if not isinstance(answer, str) or answer.strip() not in incidents.CAUSES:
        return None, invalid("answer with one of the keys of kafkalab.sim.incidents.CAUSES, e.g. "
                             f"\"{next(iter(incidents.CAUSES))}\"")
    return answer.strip(), None


@exercise("11.1", NB11, "The group rebalances every two minutes, naming c2 each time: what is the cause?",
          name="gc_cause", kind="diagnose", pain=("the three timeouts confused",), minutes=8, transfer=True,
          hints=("First ask who ended c2's membership each time: did c2 leave (a LeaveGroup with its own WARN), "
                 "or did the coordinator remove it (\"has failed\")?",
                 "Then compare each removal with c2's own log at that time, and c2's time-between-poll-max with "
                 "its usual 100 ms per batch: what was c2 doing while it was being removed?"))
def _ex11_1(answer):
    cause, bad = _cause(answer)
    if bad:
        return bad
    expected = incidents.run("gc-pauses").cause
    if cause == expected:
        return right("c2's JVM stops (full GCs) for longer than session.timeout.ms: the coordinator removes a "
                     "member that is alive, and its log has a hole exactly where the removal happens")
    if cause == "poll-loop-too-slow":
        return wrong("a member whose poll loop is too slow leaves by itself, after its own WARN \"consumer poll "
                     "timeout has expired\"; c2 never logs that, and its longest gap between polls is far below "
                     "max.poll.interval.ms")
    if cause == "heartbeats-lost-on-the-network":
        return wrong("the coordinator does remove c2 for a missed session; but a consumer cut off from the network "
                     "keeps running and logging. What does c2's log show during each removal, and how long is "
                     "its longest gap between two polls?")
    return wrong("that cause leaves other traces; who removes c2, and what does c2's own log say at those times?")


@exercise("11.2", NB11, "Pick session.timeout.ms so c2's 15 s GC pauses no longer cost rebalances",
          name="gc_session_timeout_ms", kind="configure", pain=("the three timeouts confused",), minutes=6,
          transfer=True,
          hints=("The coordinator counts the session from the last heartbeat that reached it, not from the start "
                 "of the pause; heartbeats go out every heartbeat.interval.ms (3 s here).",
                 "Longer is not free: when a consumer really dies, its partitions wait a whole session timeout. "
                 "Stay at or below 60000 ms."))
def _ex11_2(answer):
    bad = want_int(answer, "a session timeout in ms")
    if bad:
        return bad
    low, high = SESSION_LIMITS
    if not low <= answer <= high:
        return wrong(f"{answer} ms is outside group.min/max.session.timeout.ms ({low}..{high}): the broker would "
                     "answer INVALID_SESSION_TIMEOUT")
    if answer <= 3_000:
        return wrong("session.timeout.ms must be above heartbeat.interval.ms (3000 ms), or the client refuses to start")
    run = incidents.run("gc-pauses", {"*": {"session_timeout_ms": answer}})
    if run.problems():
        return wrong(f"with {answer} ms the group still rebalanced {run.problems()} times: a pause of 15 s can come "
                     "up to one heartbeat interval after the last heartbeat that got through")
    if answer > 60_000:
        return wrong("no more rebalances, but a consumer that really crashes would now leave its partitions "
                     "unprocessed for over a minute; find a smaller value that still covers the pauses")
    return right(f"{answer} ms outlasts a 15 s pause plus the time since the last heartbeat: no rebalance in the "
                 "replay (and shorter GC pauses would be the real fix)")


@exercise("11.3", NB11, "Every consumer logged that its coordinator was unavailable: what happened?",
          name="unavailable_cause", kind="diagnose", pain=("coordinator versus leader",), minutes=6, transfer=True,
          hints=("Read the broker lines with their prefixes: which broker's coordinator logs about the group "
                 "before 09:01, and which one after?",
                 "Did any member leave, fail or rejoin? Look at rebalance-total and at what the consumers log "
                 "right after \"unavailable\"."))
def _ex11_3(answer):
    cause, bad = _cause(answer)
    if bad:
        return bad
    expected = incidents.run("coordinator-moved").cause
    if cause == expected:
        return right("the broker coordinating the group went away; another broker loaded the group from "
                     "__consumer_offsets and the consumers found it: no rebalance, nothing to fix in them")
    if cause in ("heartbeats-lost-on-the-network", "pauses-longer-than-session-timeout"):
        return wrong("those end with the coordinator removing a member (\"has failed\") and a rebalance; here "
                     "rebalance-total did not move. Which broker logs about the group afterwards?")
    return wrong("look at which broker's coordinator logs about the group, before and after the consumers' "
                 "\"unavailable\" lines")


@exercise("11.4", NB11, "A rolling deploy to cooperative-sticky crash-loops: which assignors for the first bounce?",
          name="first_bounce_assignors", kind="configure",
          pain=("eager to cooperative migration", "joins refused or given up"), minutes=8, transfer=True,
          hints=("A member can join only if it shares at least one assignor with every member already in the "
                 "group; look at what the old members list in their JoinGroup.",
                 "Answer with a list of assignor names in order of preference, e.g. [\"sticky\"]; Kafka's documented "
                 "migration to the cooperative protocol takes two rolling bounces."))
def _ex11_4(answer):
    if isinstance(answer, str) or not isinstance(answer, (list, tuple)) or not answer:
        return invalid("answer with a non-empty list of assignor names, e.g. [\"range\"]")
    for name in answer:
        try:
            get_assignor(name)
        except (ValueError, KeyError, TypeError):
            return invalid(f"{name!r} is not an assignor; use \"range\", \"roundrobin\", \"sticky\" or "
                           "\"cooperative-sticky\"")
    names = [str(a) for a in answer]
    run = incidents.run("no-common-assignor", {"*": {"partition_assignment_strategy": names}})
    if run.problems():
        return wrong(f"the replayed deploy still crashed {run.problems()} times with INCONSISTENT_GROUP_PROTOCOL: "
                     "the new instances share no assignor with the ones still running the old version")
    if "cooperative-sticky" not in names:
        return wrong("the deploy goes through, but it brings the group no closer to the cooperative protocol")
    return right(f"{names}: every new instance shares range with the old ones, so the deploy completes; a second "
                 "bounce with [\"cooperative-sticky\"] alone then switches the group to the cooperative protocol")
