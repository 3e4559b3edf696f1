"""The player's sentences: what each step did and why, from the events' fields and the snapshots.

:class:`Explainer` words one step from its primary event, the coordinator's reaction right after it
(the same virtual millisecond) and the :class:`~kafkalab.viz.snapshots.Snapshot` at the end of the
step.  It reads enums and fields only - a removal's :class:`~kafkalab.trace.MemberRemovalReason`, a
client's :class:`~kafkalab.sim.events.ClientStateReason`, how a consumer stopped - and explains them
with Kafka's rules (KIP-394's member id round trip, KIP-134's initial rebalance delay, the eager
protocol's stop-the-world revocation, KIP-429's cooperative second rebalance, ...).

A client's log (``client_log``, :mod:`kafkalab.tracelog`) has the client's side only; its
sentences are in :mod:`kafkalab.viz.explain_clientlog`.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..consumer_protocol import decode_assignment
from ..errors import ErrorCode
from ..sim.events import (
    ClientStateChanged,
    ConsumerStopped,
    GroupMembershipOperation,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    PartitionsAssigned,
    PartitionsRevoked,
    PollTimeoutExpired,
    StopKind,
    SubscriptionChange,
    SubscriptionChanged,
    format_partitions,
)
from ..classic.state import GroupState, Trigger
from ..trace import (
    InitialRebalanceDelayEnded,
    LeaderChanged,
    MemberAdded,
    MemberRemovalReason,
    MemberRemoved,
    RequestReceived,
    ResponseSent,
    StateChanged,
    TimerFired,
    TimerKind,
    TraceEvent,
    api_name,
    who,
)
from .explain_clientlog import ClientLogSentences
from .explain_consumer import CGHB, ConsumerProtocolSentences
from .explain_triggers import TRIGGER_REASONS, TriggerSentences
from .phrases import code_name, for_members, gives, is_ok, refusal, secs, sentence, subscriptions_of, why_error
from .snapshots import Snapshot
from .tracetools import error_code, is_broker, is_response, short_member_id, unwrap

__all__ = ["Explainer"]


class Explainer(TriggerSentences, ClientLogSentences, ConsumerProtocolSentences):
    """Builds each step's sentence from the events around it and the snapshot at its end."""

    def __init__(self, events: Sequence[Any], snap: Snapshot, *, client_log: bool = False) -> None:
        self.events = events
        self.snap = snap
        self.client_log = client_log

    # -- helpers
    def burst(self, start: int) -> list[Any]:
        """The coordinator's immediate reaction: unwrapped coordinator events and broker sends
        right after ``start``."""
        out = []
        at = self.events[start].at
        for e in self.events[start + 1:]:
            if e.at != at:
                break
            inner, broker = unwrap(e)
            if broker is not None:
                out.append(inner)
            elif isinstance(e, MessageSent) and is_broker(e.src):
                out.append(e)
            else:
                break
        return out

    def later_sends(self, start: int, end: int, consumer: str) -> list[str]:
        return [api_name(e.message) for e in self.events[start + 1:end + 1]
                if isinstance(e, MessageSent) and e.src == consumer]

    def reached(self, i: int, e: MessageDelivered) -> bool:
        """Whether the broker handled the request delivered at ``i``.  A broker that is down
        refuses the connection (``World._on_deliver``): no coordinator event, no answer."""
        for x in self.events[i + 1:i + 4]:
            if x.at != e.at:
                break
            inner, _ = unwrap(x)
            if isinstance(inner, RequestReceived) and inner.origin == (e.src, e.correlation_id):
                return True
            if (isinstance(x, MessageSent) and x.src == e.dst and x.dst == e.src
                    and x.correlation_id == e.correlation_id):
                return True
        return False

    def sent_index(self, i: int, consumer: str, correlation_id: int) -> Optional[int]:
        """The trace index of the ``MessageSent`` of the request delivered at ``i``."""
        for k in range(i - 1, -1, -1):
            x = self.events[k]
            if isinstance(x, MessageSent) and x.src == consumer and x.correlation_id == correlation_id:
                return k
        return None

    def around(self, k: int, consumer: str) -> list[Any]:
        """The consumer's own events at the same virtual time as trace index ``k``."""
        at = self.events[k].at
        out = []
        for x in reversed(self.events[:k]):
            if x.at != at:
                break
            if getattr(x, "consumer", None) == consumer:
                out.append(x)
        out.reverse()
        for x in self.events[k + 1:]:
            if x.at != at:
                break
            if getattr(x, "consumer", None) == consumer:
                out.append(x)
        return out

    def state_changed_after(self, i: int, consumer: str) -> bool:
        """Whether ``consumer`` changed client state right after the response delivered at ``i``
        (a JoinGroup or SyncGroup answered NONE always moves a client that waits for it)."""
        at = self.events[i].at
        for x in self.events[i + 1:]:
            if x.at != at:
                return False
            if isinstance(x, ClientStateChanged) and x.consumer == consumer:
                return True
        return False

    def fate(self, i: int, sent: MessageSent) -> Optional[str]:
        """Why the request ``sent`` never reached a coordinator (dropped, or its broker is down);
        None when it was handled (or is still on the way at the end of the trace)."""
        for k in range(i + 1, len(self.events)):
            x = self.events[k]
            if isinstance(x, (MessageDelivered, MessageDropped)) and x.src == sent.src \
                    and x.correlation_id == sent.correlation_id:
                if isinstance(x, MessageDropped):
                    return f"dropped by the network: {x.reason}"
                return None if self.reached(k, x) else f"{x.dst} is down"
        return None

    def sends_at(self, i: int, consumer: str, api: str) -> bool:
        """Whether ``consumer`` sent an ``api`` request at the virtual time of trace index ``i``."""
        at = self.events[i].at
        for rng in (range(i, -1, -1), range(i + 1, len(self.events))):
            for k in rng:
                x = self.events[k]
                if x.at != at:
                    break
                if isinstance(x, MessageSent) and x.src == consumer and api_name(x.message) == api:
                    return True
        return False

    def committed_before(self, i: int, consumer: str) -> bool:
        """Whether ``consumer`` sent an OffsetCommit at the same virtual time, just before ``i``
        (``close()`` commits first, then revokes and leaves)."""
        at = self.events[i].at
        for x in reversed(self.events[:i]):
            if x.at != at:
                return False
            if isinstance(x, MessageSent) and x.src == consumer and api_name(x.message) == "OffsetCommit":
                return True
        return False

    def revoked_since_stable(self, i: int, consumer: str) -> tuple:
        """Partitions ``consumer`` revoked (not lost) since the group last became Stable."""
        out: list = []
        for x in reversed(self.events[:i]):
            inner, broker = unwrap(x)
            if (broker is not None and isinstance(inner, StateChanged) and inner.group_id == self.snap.group
                    and inner.new is GroupState.STABLE):
                break
            if isinstance(x, PartitionsRevoked) and x.consumer == consumer and not x.lost:
                out.extend(x.partitions)
        return tuple(sorted(set(out)))

    def request(self, i: int, e: MessageDelivered) -> str:
        c, broker, m = e.src, e.dst, e.message
        api = api_name(m)
        if self.client_log:
            return self.client_request(e)
        if not self.reached(i, e):
            return self.refused(c, broker, api)
        if api == CGHB:
            return self.cghb_request(i, e)
        burst = self.burst(i)
        answer = next((x for x in burst if isinstance(x, ResponseSent)
                       and who(x.origin) == c and isinstance(x.origin, tuple)
                       and len(x.origin) > 1 and x.origin[1] == e.correlation_id), None)
        changed = any(isinstance(x, StateChanged) and x.trigger is not Trigger.GROUP_CREATED for x in burst)
        created = any(isinstance(x, StateChanged) and x.trigger is Trigger.GROUP_CREATED for x in burst)
        completed = any(isinstance(x, StateChanged) and x.trigger is Trigger.JOIN_COMPLETED for x in burst)
        added = any(isinstance(x, MemberAdded) for x in burst)
        replaced = next((x for x in burst if isinstance(x, MemberRemoved)
                         and x.reason is MemberRemovalReason.STATIC_MEMBER_REPLACED), None)
        others = sum(1 for x in burst if isinstance(x, ResponseSent) and x is not answer)
        code = answer.error_code if answer is not None else None
        if api == "FindCoordinator":
            return sentence(f"{c} asked {broker} which broker coordinates group {getattr(m, 'key', '?')} "
                             "(FindCoordinator): any broker can answer, because the coordinator is the leader "
                             "of the group's __consumer_offsets partition")
        if api == "JoinGroup":
            who_part = (f"{c}'s JoinGroup v{m.api_version} with no member id yet" if not m.member_id
                        else f"{c}'s JoinGroup (member id {short_member_id(m.member_id)})")
            if m.group_instance_id:
                who_part += f", static instance {m.group_instance_id},"
            k = self.sent_index(i, c, e.correlation_id)
            cause = self.rejoin_before(k, c) if k is not None else None
            if cause is not None and cause.reason in TRIGGER_REASONS and getattr(m, "reason", None):
                who_part += f" with the reason \"{m.reason}\" (KIP-800)"
            if answer is not None and not is_ok(code):
                if code == ErrorCode.MEMBER_ID_REQUIRED:
                    tail = "; a pending member id is not a member; the group's membership is unchanged"
                    if created:
                        tail += f" (this JoinGroup also created group {self.snap.group}: next step)"
                else:
                    tail = "" if changed else "; the group did not change state"
                return sentence(f"{who_part} reached {broker} and {refusal(broker, code, 'answered')}: "
                                 f"{why_error(code) or 'it refused the join'}{tail}")
            if answer is not None:
                if completed:
                    everyone = ("every parked JoinGroup is answered" if others else
                                "its JoinGroup, the only one, is answered")
                    return sentence(f"{who_part} reached {broker}: it was the last JoinGroup the coordinator "
                                     f"waited for, so the join phase completes at once and {everyone}")
                state = self.snap.state
                gen = getattr(answer.response, "generation_id", self.snap.generation)
                if replaced is not None:
                    old = short_member_id(replaced.member_id)
                    new = short_member_id(getattr(answer.response, "member_id", "")) or "a new id"
                    return sentence(
                        f"{who_part} reached {broker}: instance {m.group_instance_id} is already a member under "
                        f"the old member id {old}, so the coordinator replaced that id with a new one ({new}) that "
                        f"keeps the old member's assignment, and - the group being Stable and its assignor "
                        f"unchanged - answered at once with the current generation {gen}, without a rebalance "
                        "(KIP-345); the old id is fenced from now on (FENCED_INSTANCE_ID)")
                if state is GroupState.COMPLETING_REBALANCE:
                    return sentence(f"{who_part} reached {broker} and was answered at once with the current "
                                     f"generation {gen}: the group is waiting for SyncGroup and this member's "
                                     "protocols (its subscription) did not change")
                if state is GroupState.STABLE:
                    return sentence(f"{who_part} reached {broker} and was answered at once with the current "
                                     f"generation {gen}, without a rebalance: in a Stable group a follower whose "
                                     "protocols (its subscription) did not change just gets the current "
                                     "generation back")
                return sentence(f"{who_part} reached {broker} and was answered at once")
            view = self.snap.view
            initial = (view.state is GroupState.PREPARING_REBALANCE and view.previous_state is GroupState.EMPTY) \
                or any(isinstance(x, StateChanged) and x.old is GroupState.EMPTY for x in burst)
            parked = ("the join phase of a new group ends only when the initial rebalance delay runs out"
                      if initial else
                      "JoinGroup is answered only when every known member has rejoined or the rebalance "
                      "timeout runs out")
            return sentence(f"{who_part} reached {broker}; the coordinator "
                             f"{'added it as a member and ' if added else ''}parks the request: {parked}")
        if api == "SyncGroup":
            leader = bool(getattr(m, "assignments", ()))
            role = (f"The leader {c}'s SyncGroup carries the assignment for {for_members(len(m.assignments))}"
                    if leader else f"{c}'s SyncGroup (a follower's, with no assignment)")
            if answer is None:
                return sentence(f"{role} reached {broker}; the coordinator parks it until the leader's "
                                 "SyncGroup brings the assignment")
            if not is_ok(code):
                return sentence(f"{role} reached {broker}; {refusal(broker, code)}: {why_error(code)}")
            if leader:
                return sentence(f"{role}; the coordinator stores it in __consumer_offsets and answers "
                                 "every waiting SyncGroup with that member's partitions")
            return sentence(f"{role} was answered at once, because the leader's assignment is already stored")
        if api == "Heartbeat":
            what = f"{c}'s heartbeat (generation {m.generation_id}) reached {broker}"
            if answer is None:
                return sentence(f"{what}; the coordinator has not answered it yet")
            if is_ok(code):
                return sentence(f"{what}; the coordinator restarts its session timer "
                                 f"(session.timeout.ms) and answers NONE")
            return sentence(f"{what}; {refusal(broker, code)}: {why_error(code)}")
        if api == "LeaveGroup":
            return self.leave(i, e, burst, answer, code)
        if api == "OffsetCommit":
            gen = getattr(m, "generation_id", -1)
            what = f"{c} commits offsets (generation {gen})"
            if answer is None:
                return sentence(f"{what}; the coordinator has not answered yet")
            if is_ok(code):
                return sentence(f"{what}; the coordinator accepts them, so a restart resumes from there")
            return sentence(f"{what}; {refusal(broker, code, 'refuses with')}: {why_error(code)}")
        if api == "OffsetFetch":
            if answer is not None and not is_ok(code):
                return sentence(f"{c} asks {broker} for the committed offsets of its new partitions; "
                                 f"{refusal(broker, code)}: {why_error(code)}")
            return sentence(f"{c} asks {broker} for the committed offsets of its new partitions, "
                             "to know where to resume")
        return sentence(f"{c}'s {api} reached {broker}"
                         + (f"; answered {code_name(code)}" if code is not None else ""))

    def refused(self, c: str, broker: str, api: str) -> str:
        """A request delivered to a broker that is down: the connection fails, nothing is answered."""
        if api == "FindCoordinator":
            return sentence(f"{c}'s FindCoordinator to {broker} failed: {broker} is down, so the connection "
                             f"was refused and no answer comes; {c} asks again after retry.backoff.ms")
        lost = {
            "OffsetCommit": " (these offsets are not committed)",
            "Heartbeat": " (the heartbeat is lost)",
            "LeaveGroup": " (the member is not removed; only its session timeout will remove it)",
        }.get(api, "")
        head = f"{c}'s {api} to {broker} got no answer: {broker} is down and refused the connection{lost}"
        stopped = self.snap.client(c).stopped
        if stopped:
            return sentence(f"{head}; {c} has {stopped.value}, so nothing follows")
        return sentence(f"{head}, so {c} marks the coordinator unknown and looks it up again with FindCoordinator")

    def leave(self, i: int, e: MessageDelivered, burst: list, answer: Any, code: Any) -> str:
        c, broker = e.src, e.dst
        k = self.sent_index(i, c, e.correlation_id)
        mine = self.around(k, c) if k is not None else []
        poll_timeout = next((x for x in mine if isinstance(x, PollTimeoutExpired)), None)
        closing = any(isinstance(x, ConsumerStopped) for x in mine)
        unsubscribed = any(isinstance(x, SubscriptionChanged) and x.how is SubscriptionChange.UNSUBSCRIBED for x in mine)
        static = self.snap.clients[c].instance_id if c in self.snap.clients else None
        if unsubscribed:
            head = (f"{c} sent LeaveGroup because its application called unsubscribe(): the coordinator removes it "
                    "at once; it joins again, as a new member, only when it subscribes again")
        elif closing and static:
            head = (f"{c} sent LeaveGroup as it closes with LEAVE_GROUP (KIP-1092): even a static member can leave at "
                    f"once, and the coordinator frees its group.instance.id {static} and rebalances without it")
        elif poll_timeout is not None:
            ms = f" ({secs(poll_timeout.max_poll_interval_ms)})"
            head = (f"{c}'s heartbeat thread sent LeaveGroup because the application did not call poll() within "
                    f"max.poll.interval.ms{ms}: the coordinator removes it at once, without waiting for "
                    "session.timeout.ms, so its partitions go to members that make progress; "
                    f"{c} has dropped its member id and will join as a new member at its next poll()")
        elif closing:
            head = (f"{c} sent LeaveGroup as it closes: a dynamic member that closes leaves at once, so the "
                    "coordinator removes it without waiting for session.timeout.ms")
        else:
            head = (f"{c} sent LeaveGroup: the coordinator removes it at once, without waiting for "
                    "session.timeout.ms")
        if answer is not None and not is_ok(code):
            return sentence(f"{c} sent LeaveGroup to {broker}; {refusal(broker, code)}: {why_error(code)}")
        handover = next((x for x in burst if isinstance(x, LeaderChanged)), None)
        tail = ""
        if handover is not None and self.snap.name_of(handover.old) == c:
            new = self.snap.name_of(handover.new)
            tail = (f"; {c} was the leader, so leadership passes to {new}, which will compute the next "
                    "assignment" if new else f"; {c} was the leader and no member is left to lead")
        return sentence(head + tail)

    def response(self, i: int, end: int, e: MessageDelivered) -> str:
        c, m = e.dst, e.message
        api = api_name(m)
        code = error_code(m)
        then = self.later_sends(i, end, c)
        next_part = f"; it sends {then[0]}" if then else ""
        got = f"{c} got the {api} response {code_name(code) if code is not None else ''}".rstrip()
        if api == "FindCoordinator":
            if is_ok(code):
                return sentence(f"{c} learned that broker-{m.node_id} coordinates its group{next_part}")
            return sentence(f"{got}: no coordinator yet, so it retries after retry.backoff.ms")
        stopped = self.snap.client(c).stopped
        if stopped and not (stopped is StopKind.CLOSED and api in ("LeaveGroup", "OffsetCommit", CGHB)):
            return sentence(f"{got}, but {c} has {stopped.value}, so nobody handles the answer")
        if api == CGHB and not self.client_log:
            return self.cghb_response(e, next_part)
        if api in ("JoinGroup", "SyncGroup") and is_ok(code) and not self.state_changed_after(i, c):
            if self.snap.client(c).paused:
                return sentence(f"{got} while it is paused: it handles the answer when it resumes")
            return sentence(f"{got}, but {c} no longer waits for it (it gave up that request or already moved "
                             "on), so it ignores the answer")
        if api == "JoinGroup":
            if code == ErrorCode.MEMBER_ID_REQUIRED:
                return sentence(f"{got} with the member id {short_member_id(m.member_id)}: as KIP-394 asks, "
                                 "it sends JoinGroup again at once, now with that id")
            if is_ok(code):
                return self.joined(c, m)
            return sentence(f"{got}: {why_error(code)}")
        if api == "SyncGroup":
            if is_ok(code):
                return self.synced(c, m)
            return sentence(f"{got}: {why_error(code)}")
        if api == "Heartbeat":
            if is_ok(code):
                return sentence(f"{got}: its session is alive")
            if code == ErrorCode.REBALANCE_IN_PROGRESS:
                return sentence(f"{got}: the group is rebalancing, and a heartbeat is how a Stable member "
                                 "learns it; it will send JoinGroup at its next poll(), which must come "
                                 "within max.poll.interval.ms")
            return sentence(f"{got}: {why_error(code)}")
        if api == "LeaveGroup":
            if is_ok(code):
                return sentence(f"{got}: the coordinator confirmed that {c} left the group")
            return sentence(f"{got}: {why_error(code)}")
        if api == "OffsetCommit":
            if is_ok(code):
                return sentence(f"{c}'s offsets are committed{next_part}")
            return sentence(f"{got}: {why_error(code)}")
        if api == "OffsetFetch":
            if is_ok(code):
                return sentence(f"{got}: it now knows where to resume each new partition "
                                 "(auto.offset.reset applies where nothing was committed)")
            return sentence(f"{got}: {why_error(code)}")
        return sentence(f"{got}{next_part}")

    def joined(self, c: str, m: Any) -> str:
        """A JoinGroup answered NONE, for the leader or a follower."""
        g = m.generation_id
        if m.leader and m.leader == m.member_id:
            if getattr(m, "skip_assignment", False):
                return sentence(f"{c} rejoined generation {g} as the leader of a Stable group: skip_assignment "
                                 "is set (KIP-814), so it does not run the assignor again and its SyncGroup just "
                                 "fetches its stored assignment")
            return sentence(f"{c} joined generation {g} as the leader: it got {subscriptions_of(len(m.members))}, "
                             f"runs the {m.protocol_name} assignor itself (the coordinator never assigns) and "
                             "sends the result in SyncGroup")
        head = f"{c} joined generation {g} as a follower"
        if m.leader and self.snap.name_of(m.leader) == c:
            head += (" although it leads the group: before JoinGroup v9 the answer names the leader's old member "
                     "id, so a rejoined static leader does not run the assignor again")
        state = self.snap.state
        if state is GroupState.COMPLETING_REBALANCE:
            return sentence(f"{head}: it sends SyncGroup with no assignment and waits for the leader's")
        if state is GroupState.STABLE:
            return sentence(f"{head}: the group is Stable, so its SyncGroup is answered at once with the "
                             "assignment the coordinator has stored for it")
        if state is GroupState.PREPARING_REBALANCE:
            return sentence(f"{head}, but the group is already rebalancing again: its SyncGroup will get "
                             "REBALANCE_IN_PROGRESS and it must rejoin")
        return sentence(f"{head}: it sends SyncGroup with no assignment")

    def synced(self, c: str, m: Any) -> str:
        """A SyncGroup answered NONE: what the member does with its assignment."""
        assigned: tuple = ()
        try:
            assigned = tuple(sorted(decode_assignment(m.assignment).assigned_partitions))
        except Exception:  # an empty or foreign assignment
            assigned = ()
        client = self.snap.client(c)
        gen = client.generation
        got = f"{c} received its assignment for generation {gen}: {format_partitions(assigned) if assigned else 'no partitions'}"
        if not client.cooperative:
            if not assigned:
                return sentence(f"{got}; it is STABLE but idle: nothing to consume in this generation")
            return sentence(f"{got}; it is STABLE and will start consuming "
                             f"{gives(len(assigned))} from the committed offsets")
        owned = set(client.owned)
        kept = sorted(set(assigned) & owned)
        added = sorted(set(assigned) - owned)
        revoked = sorted(owned - set(assigned))
        parts = []
        if kept:
            parts.append(f"it keeps consuming {format_partitions(kept)}, which it already owned")
        if added:
            parts.append(f"it starts consuming {format_partitions(added)} from the committed offsets")
        if revoked:
            them = gives(len(revoked))
            parts.append(f"it must give up {format_partitions(revoked)}, which move{'s' if len(revoked) == 1 else ''} "
                         f"to another member: it revokes {them} and asks for a follow-up rebalance that hands "
                         f"{them} over (KIP-429)")
        if not parts:
            return sentence(f"{got}; it is STABLE with nothing to consume in this generation (with cooperative "
                             "rebalancing a partition that changes owner is handed over only in a follow-up "
                             "rebalance, once its old owner has revoked it)")
        return sentence(f"{got}; " + "; ".join(parts))

    def dropped(self, e: MessageDropped) -> str:
        if is_response(e.message):
            return sentence(f"The network dropped {e.src}'s {api_name(e.message)} response to {e.dst} ({e.reason}): "
                             f"{e.dst} never gets the answer and notices only when request.timeout.ms passes")
        return sentence(f"The network dropped {e.src}'s {api_name(e.message)} request to {e.dst} ({e.reason}): "
                         f"the coordinator never sees it, and {e.src} notices only when request.timeout.ms passes "
                         "without an answer")

    def group_state(self, i: int, inner: StateChanged) -> str:
        old = inner.old.value if inner.old else "(no group)"
        head = f"Group {inner.group_id} went {old} -> {inner.new.value} because {inner.trigger.value}"
        t, g = inner.trigger, inner.generation_id
        why = ""
        if t is Trigger.GROUP_CREATED:
            why = "the first JoinGroup for an unknown group id creates it, Empty, in generation 0"
        elif t is Trigger.MEMBER_ADDED and inner.old is GroupState.EMPTY:
            d = self.snap.initial_delay_ms
            delay = f" ({secs(d)})" if d else ""
            why = (f"a group leaving Empty starts the delayed initial rebalance (KIP-134), in which the coordinator "
                   f"waits group.initial.rebalance.delay.ms{delay} for more members before completing the join phase")
        elif t is Trigger.MEMBER_ADDED:
            why = "a new member needs partitions, so every member must send JoinGroup again within the rebalance timeout"
        elif t is Trigger.LEADER_REJOINED:
            why = ("a JoinGroup from the leader in a Stable group always starts a rebalance (§6.4), whatever its "
                   "subscription, so every member must rejoin")
            leader = self.snap.leader
            client = self.snap.clients.get(leader) if leader else None
            revoked = self.revoked_since_stable(i, leader) if leader else ()
            if revoked and client is not None and client.cooperative:
                why += (f"; here the leader {leader} had just revoked {format_partitions(revoked)} for another "
                        "member, so this is KIP-429's cooperative follow-up rebalance, which hands "
                        f"{gives(len(revoked))} to the new owner")
            cause = self.cause_of_join(i)
            if cause:
                why += f"; it rejoined because {cause}"
        elif t is Trigger.PROTOCOLS_CHANGED:
            why = "a member's subscription or assignors changed, so the assignment must be recomputed"
            cause = self.cause_of_join(i)
            if cause:
                why += f": {cause}"
        elif t is Trigger.STATIC_MEMBER_REPLACED:
            why = "a new process took over a static member's group.instance.id (KIP-345), so the group rebalances"
        elif t is Trigger.SESSION_EXPIRED:
            removed = self._removed_near(i)
            why = (f"the coordinator heard nothing from {removed or 'a member'} within its session.timeout.ms, "
                   "removed it, and its partitions must be reassigned")
        elif t is Trigger.MEMBER_LEFT:
            removed = self._removed_near(i)
            why = (f"{removed or 'a member'} sent LeaveGroup, so its partitions are reassigned at once instead "
                   "of after a session timeout; the others learn of it from their next heartbeat")
        elif t is Trigger.PENDING_SYNC_EXPIRED:
            why = "members did not send SyncGroup in time after the join phase; they were removed and the group rebalances again"
        elif t is Trigger.ASSIGNMENT_WRITE_FAILED:
            why = "storing the assignment in __consumer_offsets failed, so the group rebalances again"
        elif t is Trigger.JOIN_COMPLETED and inner.new is GroupState.EMPTY:
            why = f"no member is left, so generation {g} begins with no members"
        elif t is Trigger.JOIN_COMPLETED:
            leader = self.snap.leader
            why = (f"generation {g} begins, so the coordinator answers every parked JoinGroup and sends the "
                   f"members' subscriptions only to the leader{(' ' + leader) if leader else ''}, which computes the assignment")
        elif t is Trigger.ASSIGNMENT_WRITTEN:
            why = (f"the leader's SyncGroup brought the assignment, which the coordinator stored in "
                   f"__consumer_offsets; generation {g} is Stable and each SyncGroup is answered with its member's partitions")
        elif t is Trigger.UNLOADED:
            why = ("this broker no longer leads the group's __consumer_offsets partition (coordinator failover), "
                   "so it drops the group; its clients will get NOT_COORDINATOR (or a connection error if the "
                   "broker is down) and look up the new coordinator")
        elif t is Trigger.GROUP_LOADED:
            why = f"the new coordinator loaded group {inner.group_id} from __consumer_offsets; "
            if inner.new is GroupState.EMPTY:
                why += (f"its last record has no members, so the group is Empty in generation {g}: clients that "
                        "come back with a member id get UNKNOWN_MEMBER_ID and join again as new members")
            else:
                n = len(self.snap.view.members)
                count = f"{n} member{'s' if n != 1 else ''}" if n else "members"
                why += (f"its last record has {count} and their assignment, and a rebalance in progress is never "
                        f"stored, so the group resumes as Stable in generation {g}, each member with a fresh "
                        "session timer")
        return sentence(head, ": " + why if why else "")

    def _removed_near(self, i: int) -> str:
        """The consumer(s) removed in the coordinator events just before index ``i``."""
        names = []
        for e in reversed(self.events[max(0, i - 8):i]):
            inner, broker = unwrap(e)
            if broker is None:
                break
            if isinstance(inner, MemberRemoved):
                names.append(self.snap.name_of(inner.member_id) or inner.member_id)
        return " and ".join(reversed(names))

    def timer(self, i: int, inner: TimerFired, members_before: int) -> str:
        """A group timer fired; ``members_before``: the coordinator's member count just before."""
        kind = inner.kind
        burst = self.burst(i)
        removed = [(self.snap.name_of(x.member_id) or x.member_id, x.why)
                   for x in burst if isinstance(x, MemberRemoved)]
        completed = any(isinstance(x, StateChanged) and x.trigger is Trigger.JOIN_COMPLETED for x in burst)
        if kind is TimerKind.JOIN:
            initial = next((x for x in burst if isinstance(x, InitialRebalanceDelayEnded)), None)
            if initial is not None:
                d = secs(initial.delay_ms) if initial.delay_ms else "initial"
                if completed:
                    n = members_before
                    joined = f"the {n} member{'s' if n != 1 else ''} that joined"
                    if initial.new_member_added:
                        return sentence(f"The join timer fired after the {d} initial rebalance delay "
                                         "(group.initial.rebalance.delay.ms): new members joined during it, but "
                                         "the first member's rebalance timeout is used up, so there is no further "
                                         f"extension and the join phase completes with {joined}")
                    return sentence(f"The join timer fired: no new member joined during the last {d} "
                                     f"initial rebalance delay (group.initial.rebalance.delay.ms), so the join "
                                     f"phase completes with {joined}")
                return sentence(f"The join timer fired: the {d} initial rebalance delay "
                                 "(group.initial.rebalance.delay.ms) was extended because new members joined "
                                 "during it; extensions stop once the first member's rebalance timeout is used up")
            gone = ", ".join(n for n, _ in removed)
            return sentence("The join timer fired: the rebalance timeout (the largest max.poll.interval.ms "
                             "among the members) ran out",
                             f", so {gone} did not rejoin in time and {'is' if len(removed) == 1 else 'are'} removed"
                             if removed else "",
                             "; the join phase completes with the members that rejoined" if completed else "")
        if kind is TimerKind.HEARTBEAT:
            name = self.snap.name_of(inner.member_id) or "a member"
            c = self.snap.clients.get(name)
            st = c.session_timeout_ms if c else None
            timeout = f" ({secs(st)})" if st else ""
            if removed:
                reason = removed[0][1]
                return sentence(f"The session timer of {name} fired: the coordinator heard nothing from it "
                                 f"for session.timeout.ms{timeout}, so it removes it ({reason})")
            return sentence(f"The session timer of {name} fired, but the member is waiting in a JoinGroup or "
                             "SyncGroup, which counts as alive, so nothing happens")
        if kind is TimerKind.SYNC:
            if removed:
                gone = ", ".join(n for n, _ in removed)
                return sentence(f"The pending-sync timer fired: {gone} did not send SyncGroup within the "
                                 "rebalance timeout, so the coordinator removes them and rebalances again")
            return sentence("The pending-sync timer fired, but every member had already sent SyncGroup")
        return sentence(inner.describe())

    def callback(self, i: int, e: Any) -> str:
        c = e.consumer
        parts = format_partitions(e.partitions)
        client = self.snap.clients.get(c)
        if isinstance(e, PartitionsAssigned):
            if client is not None and client.consumer_protocol:
                return sentence(f"{c}'s onPartitionsAssigned({parts or 'none'}) ran at member epoch {e.generation_id}"
                                 + (": it gets no new partition" if not e.partitions else
                                    ": it fetches their committed offsets (OffsetFetch, with its member epoch), "
                                    "then consumes them"))
            if not e.partitions:
                return sentence(f"{c}'s onPartitionsAssigned(none) ran for generation {e.generation_id}: "
                                 "it gets no new partition and keeps what it owns")
            one = len(e.partitions) == 1
            return sentence(f"{c}'s onPartitionsAssigned({parts}) ran for generation {e.generation_id}: it owns "
                             f"{'it' if one else 'them'} now and first fetches {'its' if one else 'their'} committed "
                             "offsets (OffsetFetch) to know where to resume")
        if e.lost:
            return sentence(f"{c}'s onPartitionsLost({parts}) ran: it lost its membership, so these partitions may "
                             "already belong to others and it must not commit them")
        mine = self.around(i, c)
        closing = any(isinstance(x, ConsumerStopped) and x.how is StopKind.CLOSED for x in mine)
        if self.client_log:
            closing = self.since_closing(i, c) is not None
        if closing:
            commits = "it commits its offsets and " if self.committed_before(i, c) else "it "
            static = client.instance_id if client is not None else None
            if self.client_log:
                # A client's log shows the close over several milliseconds: its LeaveGroup comes later.
                window = self.since_closing(i, c) or []
                leaves = not static or any(isinstance(x, MessageSent) and api_name(x.message) == "LeaveGroup"
                                           for x in window)
                membership = None
            else:
                leaves = self.sends_at(i, c, "LeaveGroup")
                stop = next((x for x in mine if isinstance(x, ConsumerStopped)), None)
                membership = stop.membership if stop is not None else None
            if leaves and static:
                return sentence(f"{c} is closing with LEAVE_GROUP (KIP-1092): {commits}gives up its partitions "
                                 f"(onPartitionsRevoked({parts})) and, although it is a static member, sends LeaveGroup "
                                 "so the group can reassign them at once")
            if not leaves and static:
                return sentence(f"{c} is closing: {commits}gives up its partitions locally "
                                 f"(onPartitionsRevoked({parts})), but as a static member (group.instance.id "
                                 f"{static}) it sends no LeaveGroup: the coordinator keeps its place and its "
                                 "assignment until it returns or its session times out, and nobody consumes them "
                                 "meanwhile")
            if not leaves and membership is GroupMembershipOperation.REMAIN_IN_GROUP:
                return sentence(f"{c} is closing with REMAIN_IN_GROUP (KIP-1092): {commits}gives up its partitions "
                                 f"locally (onPartitionsRevoked({parts})) but sends no LeaveGroup, so the coordinator "
                                 "keeps it as a member until its session times out, and nobody consumes them meanwhile")
            return sentence(f"{c} is closing: {commits}gives up its partitions (onPartitionsRevoked({parts})) "
                             "and sends LeaveGroup so the group can reassign them at once")
        if not e.partitions:
            return sentence(f"{c}'s onPartitionsRevoked(none) ran before it (re)joins: with the eager protocol the "
                             "listener is called at the start of every rebalance, even when the member owns nothing")
        if client is not None and client.consumer_protocol:
            return sentence(f"{c}'s onPartitionsRevoked({parts}) ran: with the consumer protocol (KIP-848) the broker "
                             "took them out of its assignment; its next heartbeat acknowledges, then the broker hands "
                             "them to their new owner, while it keeps consuming the rest")
        if client is not None and client.cooperative:
            return sentence(f"{c}'s onPartitionsRevoked({parts}) ran: with cooperative rebalancing (KIP-429) a "
                             "member gives up only the partitions that move, then rejoins so a second rebalance "
                             "can hand them to their new owner, while it keeps consuming the rest")
        return sentence(f"{c}'s onPartitionsRevoked({parts}) ran before it rejoins: with the eager protocol every "
                         "member gives up all its partitions at the start of a rebalance, so nobody consumes "
                         "them until the new assignment arrives (stop-the-world)")

    def coordinator_note(self, e: TraceEvent) -> str:
        """A coordinator's decision or removal of the group that is a step of its own."""
        return sentence(f"the coordinator: {e.describe()}")
