"""The player's sentences about what consumers do on their own: their notes, state changes and stops, and the
rebalance triggers that start outside the group (topics that change, subscriptions that change, the
rejoins they cause), each traced back to its first cause.

:class:`TriggerSentences` is a mixin of :class:`~kafkalab.viz.explain.Explainer`; like it, it reads
event types and fields only: a :class:`~kafkalab.sim.events.TopicChanged` (what an administrator
did), a consumer's :class:`~kafkalab.sim.events.MetadataRefreshed` (what its refresh showed),
:class:`~kafkalab.sim.events.SubscriptionChanged` and :class:`~kafkalab.sim.events.RejoinRequested`
with its :class:`~kafkalab.sim.events.RejoinReason` (Kafka's ``requestRejoin`` reasons, KIP-800).
"""

from __future__ import annotations

from typing import Any, Optional

from ..sim.events import (
    ClientStateChanged,
    ConsumerNote,
    ConsumerStarted,
    ConsumerStopped,
    CoordinatorUnknown,
    CoordinatorUnknownReason,
    GroupMembershipOperation,
    LeaveGroupSkipped,
    MessageDelivered,
    MessageSent,
    MetadataRefreshed,
    PartitionsRevoked,
    PollTimeoutExpired,
    RejoinReason,
    RejoinRequested,
    StopKind,
    SubscriptionChange,
    SubscriptionChanged,
    TopicChange,
    TopicChanged,
    format_partitions,
)
from ..trace import api_name
from .phrases import secs, sentence
from .tracetools import is_broker

__all__ = ["TriggerSentences", "TRIGGER_REASONS"]

#: Rejoins caused by a rebalance trigger of their own (the player names them and their first cause).
TRIGGER_REASONS = frozenset({RejoinReason.METADATA_CHANGED, RejoinReason.SUBSCRIPTION_CHANGED,
                             RejoinReason.ASSIGNMENT_MISMATCH})


class TriggerSentences:
    """Sentences about consumers' notes, their state changes, and metadata and subscription triggers
    (a mixin; needs ``events``, ``snap``, ``client_log``, ``sent_index`` and ``client_stopped`` from
    :class:`~kafkalab.viz.explain.Explainer`)."""

    events: Any
    snap: Any
    client_log: bool

    def rejoin_before(self, k: int, consumer: str) -> Optional[RejoinRequested]:
        """``consumer``'s last request to rejoin before trace index ``k`` (since its last JoinGroup)."""
        for x in reversed(self.events[:k]):
            if isinstance(x, RejoinRequested) and x.consumer == consumer:
                return x
            if isinstance(x, MessageSent) and x.src == consumer and api_name(x.message) == "JoinGroup":
                return None
        return None

    def last_before(self, k: int, kind: type, consumer: Optional[str] = None) -> Any:
        """The last event of ``kind`` (of ``consumer``, if given) before trace index ``k``."""
        for x in reversed(self.events[:k]):
            if isinstance(x, kind) and (consumer is None or getattr(x, "consumer", None) == consumer):
                return x
        return None

    def first_cause(self, k: int, consumer: str) -> str:
        """Why ``consumer`` rejoined, traced back to what started it: a metadata refresh and the topic
        change it showed, a subscribe() call, a refused assignment.  ``k`` is the trace index of its
        JoinGroup; ``""`` when the rejoin had another reason."""
        r = self.rejoin_before(k, consumer)
        if r is None:
            return ""
        if r.reason is RejoinReason.METADATA_CHANGED:
            refresh = self.last_before(k, MetadataRefreshed, consumer)
            if refresh is None:
                return f"{consumer}'s metadata showed the partition counts it assigned with had changed"
            topic = self.last_before(k, TopicChanged)
            when = f", {_since(topic)}" if topic is not None else ""
            return (f"{consumer}'s metadata refresh at {refresh.at} ms ({refresh.reason}) showed "
                    f"{refresh.changes()}{when}, and the leader watches the partition counts of every member's topics")
        if r.reason is RejoinReason.SUBSCRIPTION_CHANGED:
            sub = self.last_before(k, SubscriptionChanged, consumer)
            if sub is None:
                return f"{consumer}'s subscription changed"
            if sub.how is SubscriptionChange.PATTERN_MATCHED:
                topic = self.last_before(k, TopicChanged)
                when = f", {_since(topic)}" if topic is not None else ""
                return (f"{consumer}'s pattern {sub.pattern!r} matches {list(sub.new)} now (was {list(sub.old)}){when}, "
                        "so its subscription changed")
            return f"{consumer}'s application called subscribe({list(sub.new)}) at {sub.at} ms (was {list(sub.old)})"
        if r.reason is RejoinReason.ASSIGNMENT_MISMATCH:
            return (f"{consumer} refused an assignment that named topics it no longer subscribes to (its subscription "
                    "changed while it was joining)")
        return ""

    def cause_of_join(self, i: int) -> str:
        """The first cause behind the JoinGroup whose handling produced the group event at ``i``."""
        at = self.events[i].at
        for k in range(i - 1, -1, -1):
            x = self.events[k]
            if x.at != at:
                return ""
            if isinstance(x, MessageDelivered) and is_broker(x.dst) and api_name(x.message) == "JoinGroup":
                sent = self.sent_index(k, x.src, x.correlation_id)
                return self.first_cause(sent, x.src) if sent is not None else ""
        return ""

    def topic_changed(self, e: TopicChanged) -> str:
        """An administrator created, grew or deleted a topic."""
        ages = sorted({c.metadata_max_age_ms for c in self.snap.clients.values() if c.metadata_max_age_ms})
        age = f", {secs(ages[0])}" if len(ages) == 1 else ""
        if e.change is TopicChange.PARTITIONS_ADDED:
            n = e.new_partitions - e.old_partitions
            return sentence(f"An administrator grew topic {e.topic} from {e.old_partitions} to {e.new_partitions} "
                            f"partitions (kafka-topics.sh --alter, Kafka's CreatePartitions). The brokers know at once, "
                            f"but a consumer sees the change only at its next metadata refresh, at the latest "
                            f"metadata.max.age.ms{age}, after its last one; then the group's leader, which watches the "
                            f"partition counts of every member's topics, rejoins. Until that rebalance nobody consumes "
                            f"the {n} new partition{'s' if n != 1 else ''}")
        if e.change is TopicChange.CREATED:
            return sentence(f"An administrator created topic {e.topic} with {e.new_partitions} partition"
                            f"{'s' if e.new_partitions != 1 else ''}. A consumer that subscribes to a pattern matching it "
                            f"picks it up at its next metadata refresh (at the latest metadata.max.age.ms{age}, after "
                            "its last one); one that subscribed "
                            "to it by name before it existed finds it within about a second, because an unknown "
                            "topic makes the client ask for metadata again, backing off up to retry.backoff.max.ms")
        return sentence(f"An administrator deleted topic {e.topic} ({e.old_partitions} partitions). Consumers that own "
                        "its partitions notice at their next fetch, which fails, and refresh their metadata; when the "
                        "leader's metadata shows the topic gone, it rejoins so that the assignment drops it")

    def metadata_refreshed(self, e: MetadataRefreshed) -> str:
        c = e.consumer
        head = f"{c} refreshed its metadata ({e.reason}) and found that {e.changes()}"
        leader = self.snap.leader == c
        if leader:
            return sentence(head, f": as the group's leader {c} watches the partition counts of every member's "
                            "topics, so at its next poll() it rejoins with the reason \"cached metadata has changed\" "
                            "and the group rebalances")
        client = self.snap.clients.get(c)
        if client is not None and client.pattern:
            return sentence(head, f": {c} subscribes to the pattern {client.pattern!r}, so at its next poll() it "
                            "matches the pattern again, and if its subscription changes it rejoins")
        return sentence(head, f": {c} is a follower, and only the leader acts on partition counts; a follower "
                        "rejoins only when its own subscription changes")

    def subscription_changed(self, e: SubscriptionChanged) -> str:
        c = e.consumer
        if e.how is SubscriptionChange.UNSUBSCRIBED:
            return sentence(f"{c}'s application called unsubscribe(): it gives up its partitions, leaves the group (a "
                            "dynamic member sends LeaveGroup) and joins no group until it subscribes again")
        if e.how is SubscriptionChange.PATTERN_SUBSCRIBED:
            return sentence(f"{c}'s application subscribed to the pattern {e.pattern!r}: the client matches it against "
                            "the topics its metadata lists (every topic of the cluster), and matches again after "
                            "every metadata refresh")
        if e.how is SubscriptionChange.PATTERN_MATCHED:
            return sentence(f"{c}'s pattern {e.pattern!r} now matches {list(e.new)} (was {list(e.old)}): its "
                            "subscription changed, so it rejoins with the reason \"subscription has changed\" and "
                            "the group reassigns the partitions")
        return sentence(f"{c}'s application called subscribe({list(e.new)}) (was {list(e.old)}): nothing is sent yet; "
                        "at its next poll() the consumer sees that its subscription differs from the one it joined "
                        "with and rejoins (reason \"subscription has changed\"); a cooperative member first revokes "
                        "only the partitions of the topics it dropped")

    def trigger_rejoin(self, e: RejoinRequested) -> str:
        c = e.consumer
        if e.reason is RejoinReason.METADATA_CHANGED:
            return sentence(f"{c}, the leader, rejoins: the partition counts of the topics it assigned last time "
                            "changed (its metadata no longer matches the snapshot it assigned with); its JoinGroup "
                            "carries the reason \"cached metadata has changed\" (KIP-800), and since the leader "
                            "rejoined a Stable group, the group rebalances")
        if e.reason is RejoinReason.SUBSCRIPTION_CHANGED:
            return sentence(f"{c} rejoins because its subscription changed since it joined; the coordinator sees new "
                            "protocol metadata from it and starts a rebalance (reason \"subscription has changed\")")
        return sentence(f"{c} refuses the assignment it just received: it names topics it no longer subscribes to "
                        "(its subscription changed while it was joining), so it rejoins at once with its current "
                        "subscription (reason \"received assignment does not match the current subscription\")")

    def client_state(self, e: ClientStateChanged) -> str:
        head = f"{e.consumer}: {e.old} -> {e.new} ({e.why})"
        why = ""
        if e.new == "PREPARING_REBALANCE":
            why = "it sent JoinGroup and waits for the coordinator to complete the join phase"
        elif e.new == "COMPLETING_REBALANCE":
            why = "JoinGroup was answered; it now needs SyncGroup's assignment"
        elif e.new == "STABLE" and e.old == "ACKNOWLEDGING":
            why = (f"its acknowledgement (sent at member epoch {e.generation_id}) went out; from now on it "
                   "heartbeats every heartbeat interval")
        elif e.new == "STABLE":
            why = "it has its assignment for the current generation"
        elif e.new == "UNJOINED":
            why = "it is not in a generation and must (re)join at its next poll()"
        return sentence(head, ": " + why if why else "")

    def consumer_note(self, e: ConsumerNote) -> str:
        """A consumer's note (started, paused, a poll timeout, a lost coordinator, a failed commit, ...)."""
        if isinstance(e, MetadataRefreshed):
            return self.metadata_refreshed(e)
        if isinstance(e, SubscriptionChanged):
            return self.subscription_changed(e)
        if isinstance(e, RejoinRequested) and e.reason in TRIGGER_REASONS:
            return self.trigger_rejoin(e)
        extra = ""
        if isinstance(e, PollTimeoutExpired) and self.client_log:
            extra = ("; the client's background thread (the Java consumer's heartbeat thread, librdkafka's main "
                     "thread) does this so that a stuck application does not hold its partitions (KIP-62 split the "
                     "session timeout from the poll interval): a rebalance follows without it")
        elif isinstance(e, PollTimeoutExpired):
            extra = ("; the heartbeat thread does this so that a stuck application does not hold its partitions "
                     "(KIP-62 split the session timeout from the poll interval)")
        elif isinstance(e, CoordinatorUnknown) and e.reason is CoordinatorUnknownReason.DISCONNECTED:
            extra = ("; the broker is down, so the consumer marks the coordinator unknown and looks it up again "
                     "with FindCoordinator")
        elif isinstance(e, CoordinatorUnknown) and e.request_kind == "join" \
                and e.reason is CoordinatorUnknownReason.REQUEST_TIMED_OUT:
            extra = ("; a JoinGroup may be parked for the group's rebalance timeout (the largest max.poll.interval.ms), "
                     "but the client waits only for its own max.poll.interval.ms plus 5 s: it gives up, looks the "
                     "coordinator up again and sends JoinGroup again")
        elif isinstance(e, CoordinatorUnknown):
            extra = "; it will look the coordinator up again with FindCoordinator"
        elif isinstance(e, ConsumerStarted) and not e.restarted:
            extra = "; first it must find the group's coordinator"
        elif isinstance(e, LeaveGroupSkipped) and e.membership is GroupMembershipOperation.REMAIN_IN_GROUP \
                and e.group_instance_id is None:
            extra = ("; KIP-1092 (Kafka 4.1) lets even a dynamic member stay, but a restarted dynamic member gets a new "
                     "member id, so the old one only waits for its session to time out")
        return sentence(e.describe(), extra)

    def stopped(self, i: int, e: ConsumerStopped) -> str:
        c = e.consumer
        client = self.snap.clients.get(c)
        if self.client_log and e.how is StopKind.CLOSED and not (client is not None and client.instance_id):
            return self.client_stopped(i, e)
        if e.how is StopKind.CRASHED:
            st = client.session_timeout_ms if client else None
            timeout = f" ({secs(st)})" if st else ""
            held = f" and drops {format_partitions(e.partitions)}" if e.partitions else ""
            return sentence(f"{c} crashed{held}: it sends no LeaveGroup and commits nothing, so the coordinator "
                             f"notices only when its session.timeout.ms{timeout} passes, and records processed "
                             "since its last commit will be processed again")
        if e.how is StopKind.FAILED:
            held = f" and drops {format_partitions(e.partitions)}" if e.partitions else ""
            code = e.error_code.name if e.error_code is not None else "a fatal error"
            return sentence(f"{c} stopped: it failed with {code}, a fatal error thrown to the application{held}; it sends "
                             "no LeaveGroup, so if the coordinator still counts it as a member, only its session "
                             "timeout removes it")
        sent = next((x for x in reversed(self.events[max(0, i - 8):i]) if x.at == e.at
                     and isinstance(x, MessageSent) and x.src == c and api_name(x.message) == "LeaveGroup"), None)
        left = sent is not None
        remain = e.membership is GroupMembershipOperation.REMAIN_IN_GROUP
        if client is not None and client.instance_id and not left:
            option = " closed with REMAIN_IN_GROUP" if remain else ""
            return sentence(f"{c} closed: a static member (group.instance.id {client.instance_id}){option} sends no "
                             "LeaveGroup, so it keeps its place and assignment until it returns or its session "
                             "times out (KIP-345)")
        done = ["committed its offsets"] if self.committed_before(i, c) else []
        if any(isinstance(x, PartitionsRevoked) and x.consumer == c and not x.lost for x in self.around(i, c)):
            done.append("revoked its partitions")
        if left:
            done.append("sent LeaveGroup" + (" (LEAVE_GROUP, KIP-1092)" if client is not None and client.instance_id
                                              else ""))
            tail = "so the group rebalances at once"
            fate = self.fate(i, sent)
            if fate is not None:
                tail = (f"but the LeaveGroup is lost ({fate}), so only its session timeout removes it from the "
                        "group")
        elif remain:
            st = client.session_timeout_ms if client else None
            timeout = f" ({secs(st)})" if st else ""
            tail = (f"but, closed with REMAIN_IN_GROUP (KIP-1092), sent no LeaveGroup: the coordinator keeps it as a "
                    f"member until its session.timeout.ms{timeout} passes, then rebalances")
        else:
            tail = ("but sent no LeaveGroup (it had no generation or knew no coordinator), so if the coordinator "
                    "still counts it as a member, only its session timeout removes it")
        did = ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1] if done else ""
        if did:
            return sentence(f"{c} closed: it {did}{', ' if left else ' '}{tail}")
        return sentence(f"{c} closed {tail}" if not left else f"{c} closed: {tail}")


def _since(e: TopicChanged) -> str:
    """What an administrator did and when, as a clause ("since topic orders grew to 9 partitions at 20000 ms")."""
    if e.change is TopicChange.CREATED:
        return f"since topic {e.topic} was created at {e.at} ms"
    if e.change is TopicChange.DELETED:
        return f"since topic {e.topic} was deleted at {e.at} ms"
    return f"since topic {e.topic} grew to {e.new_partitions} partitions at {e.at} ms"
