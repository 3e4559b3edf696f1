"""What the simulated world records: messages on the network and what consumers did.

Together with each broker's coordinator trace (``kafkalab.trace``) these events are the
course's raw material: the player steps through them, the sequence diagram draws the
``MessageSent``/``MessageDelivered`` pairs, the timeline plots ``PartitionsAssigned`` and
``PartitionsRevoked``.  Every event has ``at`` (virtual ms) and ``describe()``.

Like the coordinator's, these events are data: a consumer's state change carries its member id,
generation and a :class:`ClientStateReason` (with the error code when an answer carried one);
everything else a consumer does or notices is a typed :class:`ConsumerNote` (started, paused,
resumed, a poll timeout, a lost coordinator, a failed commit, a fatal error, a metadata refresh
that changed something, a new subscription, a request to rejoin with its :class:`RejoinReason`,
...), and :class:`ConsumerStopped` says how it stopped with a :class:`StopKind`.  The cluster's own
metadata changes (a topic created, grown or deleted) are :class:`TopicChanged`.  Sentences are rendered from
those fields; views read the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

from ..errors import ErrorCode
from ..trace import TraceEvent, api_name


def _name(code: Any) -> str:
    return code.name if hasattr(code, "name") else str(code)


def _code(message: Any) -> str:
    code = getattr(message, "error_code", None)
    if code is None or not hasattr(code, "name"):
        return ""
    return f" {code.name}"


@dataclass(frozen=True)
class MessageSent(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int

    def describe(self) -> str:
        return f"{self.src} sent {api_name(self.message)}{_code(self.message)} to {self.dst}"


@dataclass(frozen=True)
class MessageDelivered(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int
    sent_at: int

    def describe(self) -> str:
        kind = "response" if type(self.message).__name__.endswith("Response") else "request"
        return f"{self.dst} received {api_name(self.message)} {kind}{_code(self.message)} from {self.src}"


class DropReason(Enum):
    """Why the simulated network lost a message."""

    NETWORK_PARTITION = "network partition"
    PACKET_LOSS = "packet loss"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class MessageDropped(TraceEvent):
    src: str
    dst: str
    message: Any
    correlation_id: int
    reason: DropReason

    def describe(self) -> str:
        return f"the network dropped {api_name(self.message)} from {self.src} to {self.dst} ({self.reason})"


class ClientStateReason(Enum):
    """What made a consumer's group state change: an answer, an error code in an answer (the code is
    the event's ``error_code``), the poll timeout, a lost coordinator, ``close()``."""

    JOIN_GROUP_SENT = "sent JoinGroup"
    JOIN_GROUP_ANSWERED = "JoinGroup answered"
    JOIN_GROUP_ERROR = "JoinGroup failed"
    SYNC_GROUP_ANSWERED = "SyncGroup answered with the assignment"
    SYNC_GROUP_ERROR = "SyncGroup answered with an error"
    HEARTBEAT_ERROR = "Heartbeat answered with an error"
    OFFSET_COMMIT_ERROR = "OffsetCommit answered with an error"
    POLL_TIMEOUT = "consumer poll timeout has expired"
    COORDINATOR_LOST = "coordinator lost during the rebalance"
    UNSUBSCRIBED = "unsubscribed from all topics"
    CLOSED = "closed"
    # The consumer protocol's member (KIP-848, ``AsyncKafkaConsumer``'s MemberState):
    SUBSCRIBED = "subscribed: its next poll() joins"
    CONSUMER_HEARTBEAT_ANSWERED = "ConsumerGroupHeartbeat answered"
    CONSUMER_HEARTBEAT_ERROR = "ConsumerGroupHeartbeat answered with an error"
    RECONCILED = "reconciliation done: revoked, then assigned"
    ACKNOWLEDGED = "sent the heartbeat acknowledging its assignment"
    PARTITIONS_LOST = "gave up its partitions (onPartitionsLost); rejoins with epoch 0"
    LEFT = "sent its leave heartbeat"
    LEAVE_SKIPPED = "no coordinator to send its leave heartbeat to"


_ERROR_API = {ClientStateReason.SYNC_GROUP_ERROR: "SyncGroup", ClientStateReason.HEARTBEAT_ERROR: "Heartbeat",
              ClientStateReason.OFFSET_COMMIT_ERROR: "OffsetCommit",
              ClientStateReason.CONSUMER_HEARTBEAT_ERROR: "ConsumerGroupHeartbeat"}


@dataclass(frozen=True)
class ClientStateChanged(TraceEvent):
    """The consumer's group state (UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE), member
    id or generation changed; ``member_id`` and ``generation_id`` are the consumer's after the change
    (``""`` and -1 when it has none).  For a consumer-protocol member (``group_protocol="consumer"``)
    the states are Java's ``MemberState`` (JOINING, RECONCILING, ACKNOWLEDGING, STABLE, FENCED, ...)
    and ``generation_id`` is its member epoch.  ``leader`` is set for a JoinGroup answer naming it leader."""

    consumer: str
    old: str
    new: str
    reason: ClientStateReason
    member_id: str
    generation_id: int
    error_code: Optional[ErrorCode] = None
    leader: bool = False

    @property
    def why(self) -> str:
        """The reason as a phrase (``"JoinGroup failed: MEMBER_ID_REQUIRED"``)."""
        r = self.reason
        if r is ClientStateReason.JOIN_GROUP_ANSWERED:
            return f"JoinGroup answered: generation {self.generation_id}, {'leader' if self.leader else 'follower'}"
        if r is ClientStateReason.JOIN_GROUP_ERROR:
            return f"JoinGroup failed: {_name(self.error_code)}"
        if r in _ERROR_API:
            return f"{_ERROR_API[r]}: {_name(self.error_code)}"
        return r.value

    def describe(self) -> str:
        return f"{self.consumer}: {self.old} -> {self.new} ({self.why})"


@dataclass(frozen=True)
class PartitionsAssigned(TraceEvent):
    consumer: str
    partitions: tuple[tuple[str, int], ...]
    generation_id: int

    def describe(self) -> str:
        return f"{self.consumer} onPartitionsAssigned({_fmt(self.partitions)}) in generation {self.generation_id}"


@dataclass(frozen=True)
class PartitionsRevoked(TraceEvent):
    consumer: str
    partitions: tuple[tuple[str, int], ...]
    lost: bool = False

    def describe(self) -> str:
        cb = "onPartitionsLost" if self.lost else "onPartitionsRevoked"
        return f"{self.consumer} {cb}({_fmt(self.partitions)})"


@dataclass(frozen=True)
class ConsumerNote(TraceEvent):
    """Something a consumer did or noticed besides a state change or a callback: the typed events
    below (started, paused, a poll timeout, a lost coordinator, a failed commit, a fatal error, ...).
    Each renders its sentence from its fields."""

    consumer: str

    def _text(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__

    def describe(self) -> str:
        return f"{self.consumer}: {self._text()}"


@dataclass(frozen=True)
class ConsumerStarted(ConsumerNote):
    """The consumer's process started (``restarted``: again, as a new process); its first ``poll()``
    joins the group.  Carries the configs the group sees: a fresh process has no member id, no
    generation and no partitions."""

    restarted: bool
    client_id: str
    group_instance_id: Optional[str]
    session_timeout_ms: int
    max_poll_interval_ms: int
    rebalance_protocol: str  # "EAGER" or "COOPERATIVE"; "CONSUMER" for group_protocol="consumer"
    metadata_max_age_ms: int = 300_000
    topics: tuple[str, ...] = ()
    pattern: Optional[str] = None

    def _text(self) -> str:
        return "restarted as a new process" if self.restarted else "started; its first poll() joins the group"


@dataclass(frozen=True)
class ConsumerPaused(ConsumerNote):
    """Both threads froze (a long GC pause, a stopped container) for ``duration_ms``."""

    duration_ms: int

    def _text(self) -> str:
        return f"paused for {self.duration_ms} ms (no heartbeats, no polls)"


@dataclass(frozen=True)
class ConsumerResumed(ConsumerNote):
    def _text(self) -> str:
        return "resumed"


class GroupMembershipOperation(Enum):
    """What ``close(CloseOptions)`` does with the group membership (KIP-1092, Kafka 4.1): Kafka's
    ``CloseOptions.GroupMembershipOperation``.  DEFAULT: a dynamic member leaves, a static one stays."""

    DEFAULT = "default"
    LEAVE_GROUP = "leave group"
    REMAIN_IN_GROUP = "remain in group"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: Any) -> "GroupMembershipOperation":
        """An operation from itself or its name (``"LEAVE_GROUP"``, ``"leave_group"``); ValueError otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper().replace(" ", "_").replace("-", "_")
            if key.startswith("GROUPMEMBERSHIPOPERATION."):
                key = key.split(".", 1)[1]
            if key in cls.__members__:
                return cls[key]
        raise ValueError(f"unknown group membership operation {value!r}; choose one of "
                         f"{', '.join(cls.__members__)} (Kafka's CloseOptions.GroupMembershipOperation)")


@dataclass(frozen=True)
class ConsumerClosing(ConsumerNote):
    """The application called ``close()``; what close does (revoke, LeaveGroup) follows, and
    :class:`ConsumerStopped` ends it.  A real client's close takes a few milliseconds (librdkafka
    logs "Closing consumer" ... "Consumer closed"), so a log read by :mod:`kafkalab.tracelog` has
    this note first."""

    def _text(self) -> str:
        return "close() called: it gives up its partitions and leaves the group"


@dataclass(frozen=True)
class LeaveGroupSkipped(ConsumerNote):
    """``close()`` sent no LeaveGroup although the consumer was a member: a static member by default
    (KIP-345), or any member closed with REMAIN_IN_GROUP (KIP-1092).  It keeps its place until it
    returns or its session times out.  ``group_instance_id`` is None for a dynamic member."""

    group_instance_id: Optional[str]
    membership: GroupMembershipOperation = GroupMembershipOperation.DEFAULT

    def _text(self) -> str:
        if self.membership is GroupMembershipOperation.REMAIN_IN_GROUP:
            return ("closed with REMAIN_IN_GROUP: no LeaveGroup, it keeps its place until it returns or its "
                    "session times out")
        return "closed without LeaveGroup: a static member keeps its place until its session times out"


@dataclass(frozen=True)
class PollTimeoutExpired(ConsumerNote):
    """The heartbeat thread saw no ``poll()`` for ``max.poll.interval.ms``: it leaves the group (KIP-62)."""

    max_poll_interval_ms: int

    def _text(self) -> str:
        return (f"poll() not called for max.poll.interval.ms ({self.max_poll_interval_ms} ms): "
                "leaving the group")


class CoordinatorUnknownReason(Enum):
    """Why the client marked its coordinator unknown (the Java client's ``markCoordinatorUnknown``)."""

    REQUEST_TIMED_OUT = "request timed out"
    SESSION_TIMED_OUT = "no successful heartbeat within session.timeout.ms"
    DISCONNECTED = "the connection failed"


@dataclass(frozen=True)
class CoordinatorUnknown(ConsumerNote):
    """The client marked the coordinator unknown; it looks it up again with FindCoordinator.
    ``request_kind`` names the consumer's request concerned (``join``, ``sync``, ``heartbeat``,
    ``commit``, ``fetch``, ``find``, ``leave``) and ``broker`` the broker it went to, if any."""

    reason: CoordinatorUnknownReason
    request_kind: Optional[str] = None
    broker: Optional[str] = None

    def _text(self) -> str:
        if self.reason is CoordinatorUnknownReason.REQUEST_TIMED_OUT:
            return f"{self.request_kind} request timed out; the coordinator is marked unknown"
        if self.reason is CoordinatorUnknownReason.SESSION_TIMED_OUT:
            return "no successful heartbeat within session.timeout.ms; the coordinator is marked unknown"
        return f"{self.request_kind}: the connection to {self.broker} failed"


@dataclass(frozen=True)
class RequestNotSent(ConsumerNote):
    """A request could not go out: no coordinator is known (it is looked up first)."""

    request_kind: str

    def _text(self) -> str:
        return f"{self.request_kind}: no coordinator is known; it is looked up first"


class RejoinReason(Enum):
    """Why a consumer asked to (re)join the group (the Java client's ``requestRejoin`` call sites).  The
    value is a phrase for sentences; :attr:`RejoinRequested.kafka_reason` is the short reason the Java
    client writes into the next JoinGroup (v8+, KIP-800)."""

    REBALANCE_IN_PROGRESS = "a heartbeat was answered REBALANCE_IN_PROGRESS"
    PARTITIONS_REVOKED = "it revoked partitions that move to another member (KIP-429)"
    METADATA_CHANGED = "the partition counts of the group's topics changed since the leader assigned them"
    SUBSCRIPTION_CHANGED = "its subscription changed since it last joined"
    ASSIGNMENT_MISMATCH = "the assignment it received does not match its subscription"
    MEMBER_ID_REQUIRED = "the coordinator handed it a member id to join with (KIP-394)"
    REBALANCE_FAILED = "its JoinGroup or SyncGroup failed"
    RESPONSE_ERROR = "an answer said its generation or member id is no longer valid"
    LEFT_GROUP = "it left the group"
    COMMIT_REBALANCING = "an offset commit was answered REBALANCE_IN_PROGRESS"

    def __str__(self) -> str:
        return self.value


#: The Java client's short reasons (``AbstractCoordinator``/``ConsumerCoordinator.requestRejoin``), with
#: ``{detail}`` the member id, the exception's simple name, or ``ERROR from API``.
KAFKA_REJOIN_REASONS = {
    RejoinReason.REBALANCE_IN_PROGRESS: "group is already rebalancing",
    RejoinReason.PARTITIONS_REVOKED: "need to revoke partitions and re-join",
    RejoinReason.METADATA_CHANGED: "cached metadata has changed",
    RejoinReason.SUBSCRIPTION_CHANGED: "subscription has changed",
    RejoinReason.ASSIGNMENT_MISMATCH: "received assignment does not match the current subscription",
    RejoinReason.MEMBER_ID_REQUIRED: "need to re-join with the given member-id: {detail}",
    RejoinReason.REBALANCE_FAILED: "rebalance failed due to {detail}",
    RejoinReason.RESPONSE_ERROR: "encountered {detail} response",
    RejoinReason.LEFT_GROUP: "consumer pro-actively leaving the group",
    RejoinReason.COMMIT_REBALANCING: "offset commit failed since group is already rebalancing",
}


@dataclass(frozen=True)
class RejoinRequested(ConsumerNote):
    """The consumer must (re)join at its next ``poll()``.  ``detail`` completes the Java reason: the
    member id (MEMBER_ID_REQUIRED), the exception's simple name (REBALANCE_FAILED, e.g.
    ``UnknownMemberIdException``) or ``"<ERROR> from <API>"`` (RESPONSE_ERROR)."""

    reason: RejoinReason
    detail: Optional[str] = None

    @property
    def kafka_reason(self) -> str:
        """The reason string a Java consumer sends in its next JoinGroup (KIP-800)."""
        return KAFKA_REJOIN_REASONS[self.reason].format(detail=self.detail or "")

    def _text(self) -> str:
        r = self.reason
        if r is RejoinReason.REBALANCE_IN_PROGRESS:
            return "heartbeat says the group is rebalancing; it rejoins at its next poll()"
        if r is RejoinReason.PARTITIONS_REVOKED:
            return "revoked partitions that moved away; requesting a second rebalance"
        return f"{r.value}; it rejoins at its next poll() (reason \"{self.kafka_reason}\")"


class MetadataRefreshReason(Enum):
    """Why a consumer refreshed its metadata (Kafka's ``Metadata``: expiry, or ``requestUpdate``)."""

    MAX_AGE = "metadata.max.age.ms passed since its last refresh"
    NEW_TOPICS = "its subscription named topics it had no metadata for"
    UNKNOWN_TOPIC = "a topic it needs was unknown at its last refresh"
    FETCH_FAILED = "a fetch failed because the partition's topic no longer exists"
    BEFORE_REJOIN = "a member subscribed to a pattern refreshes its metadata before it rejoins"
    GROUP_TOPICS = "as the leader it needs the metadata of every member's topics"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class MetadataRefreshed(ConsumerNote):
    """A metadata refresh changed what the consumer knows: topics it wants appeared (``created``:
    (topic, partitions)), grew (``grown``: (topic, before, after)) or disappeared (``deleted``).
    Refreshes that change nothing are not recorded."""

    reason: MetadataRefreshReason
    created: tuple[tuple[str, int], ...] = ()
    grown: tuple[tuple[str, int, int], ...] = ()
    deleted: tuple[str, ...] = ()
    version: int = 0

    def changes(self) -> str:
        parts = [f"{t} has {n - o} new partition{'s' if n - o != 1 else ''} ({o} -> {n})" for t, o, n in self.grown]
        parts += [f"topic {t} appeared with {n} partition{'s' if n != 1 else ''}" for t, n in self.created]
        parts += [f"topic {t} is gone" for t in self.deleted]
        return "; ".join(parts)

    def _text(self) -> str:
        return f"metadata refresh ({self.reason}): {self.changes()}"


class SubscriptionChange(Enum):
    """How a consumer's subscription changed."""

    SUBSCRIBED = "the application called subscribe(topics)"
    PATTERN_SUBSCRIBED = "the application called subscribe(pattern)"
    PATTERN_MATCHED = "its metadata changed what its pattern matches"
    UNSUBSCRIBED = "the application called unsubscribe()"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SubscriptionChanged(ConsumerNote):
    """The consumer's subscription went from ``old`` to ``new`` topics (``pattern``: the subscribed
    pattern, if any)."""

    how: SubscriptionChange
    old: tuple[str, ...]
    new: tuple[str, ...]
    pattern: Optional[str] = None

    def _text(self) -> str:
        if self.how is SubscriptionChange.UNSUBSCRIBED:
            return "unsubscribe(): it gives up its partitions and leaves the group"
        if self.how is SubscriptionChange.PATTERN_SUBSCRIBED:
            return f"subscribe(pattern {self.pattern!r})"
        if self.how is SubscriptionChange.PATTERN_MATCHED:
            return f"pattern {self.pattern!r} now matches {list(self.new)} (was {list(self.old)})"
        return f"subscribe({list(self.new)}) (was {list(self.old)})"


class TopicChange(Enum):
    """What an administrator did to a topic."""

    CREATED = "created"
    PARTITIONS_ADDED = "partitions added"
    DELETED = "deleted"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TopicChanged(TraceEvent):
    """The cluster's metadata changed: ``topic`` was created (``old_partitions`` 0), grew, or was
    deleted (``new_partitions`` 0).  ``version`` is the cluster metadata's version after the change.
    Clients learn of it only from their next metadata refresh."""

    topic: str
    change: TopicChange
    old_partitions: int
    new_partitions: int
    version: int

    def describe(self) -> str:
        if self.change is TopicChange.CREATED:
            return f"topic {self.topic} was created with {self.new_partitions} partitions"
        if self.change is TopicChange.DELETED:
            return f"topic {self.topic} ({self.old_partitions} partitions) was deleted"
        return f"topic {self.topic} grew from {self.old_partitions} to {self.new_partitions} partitions"


@dataclass(frozen=True)
class AssignmentPerformed(ConsumerNote):
    """As the leader, the consumer ran the group's assignor over ``member_count`` subscriptions."""

    assignor: str
    member_count: int
    generation_id: int

    def _text(self) -> str:
        return f"as leader ran the {self.assignor} assignor over {self.member_count} member(s)"


class CommitFailureReason(Enum):
    """Why an offset commit failed: locally (no coordinator, no stable generation) or by the answer."""

    COORDINATOR_UNKNOWN = "no coordinator is known"
    REBALANCE_IN_PROGRESS = "the member is rebalancing"
    NOT_IN_ACTIVE_GROUP = "the member is not part of an active group"
    ERROR_RESPONSE = "the coordinator answered with an error"


@dataclass(frozen=True)
class CommitFailed(ConsumerNote):
    """An offset commit failed.  ``exception`` is what a ``commitSync()`` would throw; ``error_code``
    the coordinator's answer (ERROR_RESPONSE only); ``partitions`` what was to be committed."""

    reason: CommitFailureReason
    partitions: tuple[tuple[str, int], ...] = ()
    exception: Optional[str] = None
    error_code: Optional[ErrorCode] = None

    def _text(self) -> str:
        if self.reason is CommitFailureReason.COORDINATOR_UNKNOWN:
            return "commit skipped: no coordinator is known yet (commitSync would look it up first)"
        if self.reason is CommitFailureReason.ERROR_RESPONSE:
            return f"offset commit failed with {_name(self.error_code)} ({self.exception} for a commitSync)"
        detail = ": not part of an active group (kicked out?)" if self.reason is CommitFailureReason.NOT_IN_ACTIVE_GROUP else ""
        return f"commit of {_fmt(self.partitions)} failed locally: {self.exception}{detail}"


@dataclass(frozen=True)
class FatalError(ConsumerNote):
    """``api`` was answered with a fatal ``error_code``: the application gets an exception and the
    consumer stops (a :class:`ConsumerStopped` with FAILED follows)."""

    api: str
    error_code: ErrorCode

    def _text(self) -> str:
        return (f"{self.api} failed with {self.error_code.name}: the application gets an exception and "
                "the consumer stops")


class StopKind(Enum):
    """How a consumer's process stopped."""

    CRASHED = "crashed"
    CLOSED = "closed"
    FAILED = "failed"


@dataclass(frozen=True)
class ConsumerStopped(TraceEvent):
    """The consumer's process stopped: crashed (no LeaveGroup, no commit), closed, or failed with a
    fatal ``error_code``; it owns nothing after (``partitions``: what it dropped).  ``membership`` is
    the close option a closed consumer was given (KIP-1092)."""

    consumer: str
    how: StopKind
    partitions: tuple[tuple[str, int], ...] = ()
    error_code: Optional[ErrorCode] = None
    membership: Optional[GroupMembershipOperation] = None

    def describe(self) -> str:
        held = f", dropping {_fmt(self.partitions)}" if self.partitions else ""
        if self.how is StopKind.CRASHED:
            return f"{self.consumer} crashed (no LeaveGroup, no commit){held}"
        if self.how is StopKind.FAILED:
            return f"{self.consumer} failed with {_name(self.error_code)}{held}"
        option = (f" with {self.membership.name}" if self.membership not in (None, GroupMembershipOperation.DEFAULT)
                  else "")
        return f"{self.consumer} closed{option}{held}"


@dataclass(frozen=True)
class RecordsProcessed(TraceEvent):
    consumer: str
    topic: str
    partition: int
    first_offset: int
    last_offset: int

    def describe(self) -> str:
        return (f"{self.consumer} processed {self.topic}-{self.partition} offsets "
                f"{self.first_offset}..{self.last_offset}")


@dataclass(frozen=True)
class CoordinatorEvent(TraceEvent):
    """A coordinator trace event, tagged with the broker it happened on."""

    broker: int
    event: TraceEvent

    def describe(self) -> str:
        return f"[broker {self.broker}] {self.event.describe()}"


def _fmt(partitions) -> str:
    if not partitions:
        return "none"
    by_topic: dict[str, list[int]] = {}
    for t, p in partitions:
        by_topic.setdefault(t, []).append(p)
    return ", ".join(f"{t}-{','.join(map(str, sorted(ps)))}" for t, ps in sorted(by_topic.items()))


def format_partitions(partitions) -> str:
    """``[("t", 0), ("t", 1)]`` -> ``"t-0,1"``."""
    return _fmt(partitions)
