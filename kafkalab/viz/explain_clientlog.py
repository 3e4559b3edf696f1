"""The player's sentences for a client's log (:mod:`kafkalab.tracelog`): it has the client's side
only, so a request is told as the client sent it (whether and when the coordinator got it is not
in the log), and a close spans the milliseconds from its
:class:`~kafkalab.sim.events.ConsumerClosing` to its :class:`~kafkalab.sim.events.ConsumerStopped`
instead of one virtual instant.
"""

from __future__ import annotations

from typing import Any, Optional

from ..sim.events import (
    ConsumerClosing,
    ConsumerStopped,
    MessageDelivered,
    MessageSent,
    PartitionsRevoked,
    PollTimeoutExpired,
)
from ..trace import api_name
from .phrases import for_members, secs, sentence
from .tracetools import short_member_id

__all__ = ["ClientLogSentences"]


class ClientLogSentences:
    """Sentences of a client-log trace (a mixin of :class:`~kafkalab.viz.explain.Explainer`, which
    gives it ``events``)."""

    events: Any

    def since_closing(self, i: int, consumer: str) -> Optional[list[Any]]:
        """In a client's log: ``consumer``'s events from its ConsumerClosing up to index ``i``, or
        None when it is not closing at ``i``."""
        out: list[Any] = []
        for x in reversed(self.events[:i]):
            if getattr(x, "consumer", None) == consumer and isinstance(x, ConsumerStopped):
                return None
            if getattr(x, "consumer", None) == consumer or (isinstance(x, MessageSent) and x.src == consumer):
                out.append(x)
            if isinstance(x, ConsumerClosing) and x.consumer == consumer:
                out.reverse()
                return out
        return None

    def since_joined(self, i: int, consumer: str) -> list[Any]:
        """In a client's log: ``consumer``'s own events since it last sent JoinGroup (or the start)."""
        out: list[Any] = []
        for x in reversed(self.events[:i]):
            if isinstance(x, MessageSent) and x.src == consumer and api_name(x.message) == "JoinGroup":
                break
            if getattr(x, "consumer", None) == consumer:
                out.append(x)
        out.reverse()
        return out

    def client_request(self, e: MessageDelivered) -> str:
        """A request in a client's log: what the client sent and why, from the message's fields."""
        c, broker, m = e.src, e.dst, e.message
        api = api_name(m)
        if api == "FindCoordinator":
            return sentence(f"{c} asked {broker} which broker coordinates group {getattr(m, 'key', '?')} "
                             "(FindCoordinator): any broker can answer, because the coordinator is the leader "
                             "of the group's __consumer_offsets partition")
        if api == "JoinGroup":
            if not m.member_id:
                return sentence(f"{c} sent JoinGroup with no member id yet: since JoinGroup v4 (KIP-394) the "
                                 "coordinator first answers MEMBER_ID_REQUIRED with an id for it to join with")
            return sentence(f"{c} sent JoinGroup (member id {short_member_id(m.member_id)}) to {broker}: the "
                             "coordinator answers it when the join phase completes, once every known member has "
                             "rejoined or the rebalance timeout has run out")
        if api == "SyncGroup":
            if m.assignments:
                return sentence(f"The leader {c} sent SyncGroup with the assignment it computed for "
                                 f"{for_members(len(m.assignments))}; the coordinator stores it and answers every "
                                 "member's SyncGroup with its partitions")
            return sentence(f"{c} sent SyncGroup with no assignment: a follower waits for the one the leader sends")
        if api == "Heartbeat":
            return sentence(f"{c} sent a heartbeat (generation {m.generation_id}) to {broker}")
        if api == "LeaveGroup":
            return self.client_leave(e)
        return sentence(f"{c} sent {api} to {broker}")

    def client_leave(self, e: MessageDelivered) -> str:
        c, i = e.src, self.events.index(e) if e in self.events else len(self.events)
        poll_timeout = next((x for x in self.since_joined(i, c) if isinstance(x, PollTimeoutExpired)), None)
        if poll_timeout is not None:
            return sentence(f"{c}'s client sent LeaveGroup on its own because the application did not call poll() "
                             f"within max.poll.interval.ms ({secs(poll_timeout.max_poll_interval_ms)}): the "
                             "coordinator removes it at once, without waiting for session.timeout.ms, so its "
                             f"partitions go to members that make progress; {c} has dropped its member id and "
                             "joins as a new member when the application polls again")
        if self.since_closing(i, c) is not None:
            return sentence(f"{c} sent LeaveGroup as it closes: a dynamic member that closes leaves at once, so the "
                             "coordinator removes it and rebalances the group without waiting for session.timeout.ms")
        return sentence(f"{c} sent LeaveGroup: the coordinator removes it at once, without waiting for "
                         "session.timeout.ms")

    def client_stopped(self, i: int, e: ConsumerStopped) -> str:
        c = e.consumer
        window = self.since_closing(i, c) or []
        done = []
        if any(isinstance(x, MessageSent) and api_name(x.message) == "OffsetCommit" for x in window):
            done.append("committed its offsets")
        if any(isinstance(x, PartitionsRevoked) and not x.lost for x in window):
            done.append("revoked its partitions")
        left = any(isinstance(x, MessageSent) and x.src == c and api_name(x.message) == "LeaveGroup" for x in window)
        if left:
            done.append("sent LeaveGroup")
            tail = "so the coordinator rebalances the group at once and the others get its partitions"
        else:
            tail = ("but its log shows no LeaveGroup (it was not in a generation, or knew no coordinator), so if "
                    "the coordinator still counts it as a member, only its session timeout removes it")
        did = ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1] if done else ""
        return sentence(f"{c} closed: it {did}, {tail}" if did else f"{c} closed {tail}")

    # -- per kind
