"""Past-tense trace events of consumer groups: Kafka's records, plus a few derived facts.

Section numbers (§) refer to docs/consumer-protocol.md.

How it works
------------
Kafka's ``GroupMetadataManager`` never changes a consumer group directly: a handler returns
*records* (``ConsumerGroupMemberMetadata``, ``ConsumerGroupMetadata`` (the group epoch),
``ConsumerGroupTargetAssignmentMember``, ``ConsumerGroupTargetAssignmentMetadata``,
``ConsumerGroupCurrentMemberAssignment``, their tombstones, ``ConsumerGroupRegularExpression``,
``ConsumerGroupPartitionMetadata``) and the group is changed by *replaying* them.  kafkalab does the
same with the :class:`GroupRecord` events below: a handler collects them, and only when it
succeeds are they emitted into the trace and replayed by :meth:`ConsumerGroup.replay
<kafkalab.modern.group.ConsumerGroup.replay>`.  So a group can always be rebuilt by folding its
records (:func:`kafkalab.modern.group.fold`), and a failed request leaves no trace in the group.

Every event carries ``at`` (virtual ms), the ids and epochs it concerns and, where something
happened for a reason, an enum named after Kafka's code path; ``describe()`` renders the sentence
from those fields.  Three events are not records: :class:`ConsumerGroupStateChanged` (the state
is recomputed after each batch), :class:`MetadataRefreshRequested` and
:class:`RegularExpressionRefreshScheduled` (soft state Kafka keeps in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from ..trace import TraceEvent
from .assignment import FrozenAssignment, describe_assignment
from .metadata import TopicImage
from .state import ConsumerGroupState, MemberState, Trigger

__all__ = [
    "EpochBumpReason", "RemovalReason", "GroupRecord",
    "ConsumerGroupCreated", "ConsumerGroupDeleted", "MemberSubscriptionUpdated", "SubscriptionMetadataUpdated",
    "GroupEpochBumped", "TargetAssignmentUpdated", "TargetAssignmentComputed",
    "MemberAssignmentUpdated", "MemberRemoved", "RegularExpressionResolved",
    "RegularExpressionRemoved", "ConsumerGroupStateChanged", "MetadataRefreshRequested",
    "RegularExpressionRefreshScheduled", "ConsumerGroupLoaded", "ConsumerGroupUnloaded", "ClassicMemberMetadata",
]


class EpochBumpReason(Enum):
    """Why the group epoch was bumped (docs/consumer-protocol.md §3.1), first matching cause in Kafka's
    order of checks."""

    NEW_GROUP = "the group was new"  # bumpGroupEpoch = group.groupEpoch() == 0
    SUBSCRIPTION_CHANGED = "a member changed its subscribed topic names"  # hasMemberSubscriptionChanged
    REGULAR_EXPRESSION_ALREADY_RESOLVED = "a member subscribed to an already resolved regular expression"
    SUBSCRIPTION_METADATA_CHANGED = "the subscribed topics' metadata changed"  # updateSubscriptionMetadata
    MEMBERS_FENCED = "members were removed"  # consumerGroupFenceMembers
    REGULAR_EXPRESSIONS_RESOLVED = "a regular expression now matches other topics"  # handleRegularExpressionsResult
    CLASSIC_GROUP_UPGRADED = "a classic group became this consumer group (the epoch is its generation)"


class RemovalReason(Enum):
    """Why a member was removed (the reasons Kafka logs when it fences a member)."""

    MEMBER_LEFT = "the member left the group"  # epoch -1 (consumerGroupLeave)
    SESSION_EXPIRED = "the member session expired"
    REBALANCE_TIMEOUT = "the member failed to revoke its partitions within the rebalance timeout"
    STATIC_MEMBER_REPLACED = "a new member took over its group.instance.id"  # replaceMember
    CLASSIC_JOIN_TIMEOUT = "the classic member failed to join within the rebalance timeout"
    CLASSIC_SYNC_TIMEOUT = "the classic member failed to sync within timeout"
    GROUP_DOWNGRADED = "the group became a classic group"  # convertToClassicGroup's tombstones


@dataclass(frozen=True)
class GroupRecord(TraceEvent):
    """Base of the events that are Kafka records (replayed into the group)."""

    group_id: str


@dataclass(frozen=True)
class ConsumerGroupCreated(GroupRecord):
    def describe(self) -> str:
        return f"consumer group {self.group_id} was created"


@dataclass(frozen=True)
class ConsumerGroupDeleted(GroupRecord):
    """The group's tombstones (DeleteGroups, or offsets expiry of an Empty group)."""

    def describe(self) -> str:
        return f"consumer group {self.group_id} was deleted"


@dataclass(frozen=True)
class ClassicMemberMetadata:
    """Kafka's ``ClassicMemberMetadata`` of a member that uses the classic protocol inside a
    consumer group (docs/consumer-protocol.md §7.3): its JoinGroup session timeout and protocols."""

    session_timeout_ms: int
    #: ``(name, metadata)`` in the member's preference order.
    protocols: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class MemberSubscriptionUpdated(GroupRecord):
    """Kafka's ``ConsumerGroupMemberMetadata`` record: who the member is and what it subscribes
    to.  It creates the member when it is new."""

    member_id: str
    instance_id: Optional[str]
    rack_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    subscribed_topic_names: tuple[str, ...]
    subscribed_topic_regex: str
    server_assignor: Optional[str]
    #: Set for a member that uses the classic protocol (§7).
    classic: Optional[ClassicMemberMetadata] = None

    def describe(self) -> str:
        what = ", ".join(self.subscribed_topic_names) or "no topic names"
        if self.subscribed_topic_regex:
            what += f" and regex {self.subscribed_topic_regex!r}"
        return f"{self.member_id} in {self.group_id} subscribes to {what}"


@dataclass(frozen=True)
class SubscriptionMetadataUpdated(GroupRecord):
    """Kafka's ``ConsumerGroupPartitionMetadata``: the subscribed topics that exist."""

    topics: tuple[TopicImage, ...]

    def describe(self) -> str:
        inner = ", ".join(f"{t.name} ({t.num_partitions} partitions)" for t in self.topics) or "no topics"
        return f"group {self.group_id} now reads {inner}"


@dataclass(frozen=True)
class GroupEpochBumped(GroupRecord):
    """Kafka's ``ConsumerGroupMetadata`` record (the group epoch)."""

    old_epoch: int
    new_epoch: int
    reason: EpochBumpReason

    def describe(self) -> str:
        return f"group {self.group_id}: epoch {self.old_epoch} -> {self.new_epoch} because {self.reason.value}"


@dataclass(frozen=True)
class TargetAssignmentUpdated(GroupRecord):
    """Kafka's ``ConsumerGroupTargetAssignmentMember``: one member's new target."""

    member_id: str
    partitions: FrozenAssignment

    def describe(self) -> str:
        return f"target of {self.member_id} in {self.group_id}: {describe_assignment(self.partitions)}"


@dataclass(frozen=True)
class TargetAssignmentComputed(GroupRecord):
    """Kafka's ``ConsumerGroupTargetAssignmentMetadata``: the target now matches ``epoch``."""

    epoch: int
    assignor: str

    def describe(self) -> str:
        return f"group {self.group_id}: target assignment for epoch {self.epoch} computed by {self.assignor}"


@dataclass(frozen=True)
class MemberAssignmentUpdated(GroupRecord):
    """Kafka's ``ConsumerGroupCurrentMemberAssignment``: a member's reconciliation step."""

    member_id: str
    member_epoch: int
    previous_member_epoch: int
    state: MemberState
    assigned: FrozenAssignment
    pending_revocation: FrozenAssignment

    def describe(self) -> str:
        tail = ""
        if self.pending_revocation:
            tail = f", must revoke {describe_assignment(self.pending_revocation)}"
        return (f"{self.member_id} in {self.group_id}: epoch {self.previous_member_epoch} -> "
                f"{self.member_epoch}, {self.state.name}, owns {describe_assignment(self.assigned)}{tail}")


@dataclass(frozen=True)
class MemberRemoved(GroupRecord):
    """Kafka's three member tombstones (current assignment, target, subscription)."""

    member_id: str
    instance_id: Optional[str]
    member_epoch: int
    reason: RemovalReason

    def describe(self) -> str:
        return f"{self.member_id} was removed from {self.group_id} at epoch {self.member_epoch}: {self.reason.value}"


@dataclass(frozen=True)
class RegularExpressionResolved(GroupRecord):
    """Kafka's ``ConsumerGroupRegularExpression`` record."""

    regex: str
    topics: tuple[str, ...]
    version: int
    timestamp: int

    def describe(self) -> str:
        return (f"group {self.group_id}: regex {self.regex!r} matches "
                f"{', '.join(self.topics) or 'no topic'} (metadata v{self.version})")


@dataclass(frozen=True)
class RegularExpressionRemoved(GroupRecord):
    """The ``ConsumerGroupRegularExpression`` tombstone: nobody uses ``regex`` any more."""

    regex: str

    def describe(self) -> str:
        return f"group {self.group_id}: regex {self.regex!r} is no longer used"


# ---------------------------------------------------------------- derived (not records)

@dataclass(frozen=True)
class ConsumerGroupStateChanged(TraceEvent):
    """The state recomputed after a batch of records differs from the one before."""

    group_id: str
    old: Optional[ConsumerGroupState]
    new: ConsumerGroupState
    trigger: Trigger
    group_epoch: int
    assignment_epoch: int

    def describe(self) -> str:
        old = self.old.value if self.old else "(new)"
        return f"group {self.group_id}: {old} -> {self.new.value} because {self.trigger.value}"


@dataclass(frozen=True)
class MetadataRefreshRequested(TraceEvent):
    """``onNewMetadataImage`` asked the group to recompute its subscription metadata at its next
    heartbeat (``requestMetadataRefresh``)."""

    group_id: str
    topics: tuple[str, ...]

    def describe(self) -> str:
        return f"group {self.group_id} will refresh its metadata: {', '.join(self.topics)} changed"


@dataclass(frozen=True)
class RegularExpressionRefreshScheduled(TraceEvent):
    """The asynchronous resolution of the group's regular expressions was scheduled."""

    group_id: str
    regexes: tuple[str, ...]

    def describe(self) -> str:
        return f"group {self.group_id}: resolving {', '.join(repr(r) for r in self.regexes)}"


@dataclass(frozen=True)
class ConsumerGroupLoaded(TraceEvent):
    """A coordinator that became leader of the group's ``__consumer_offsets`` partition rebuilt
    the group by replaying its records (Kafka's replay, then ``onLoaded``)."""

    group_id: str
    state: ConsumerGroupState
    group_epoch: int
    assignment_epoch: int
    members: tuple[str, ...]

    def describe(self) -> str:
        return (f"consumer group {self.group_id} was loaded: {self.state.value} at epoch {self.group_epoch} "
                f"with {len(self.members)} member(s)")


@dataclass(frozen=True)
class ConsumerGroupUnloaded(TraceEvent):
    """This coordinator stopped leading the group's partition: the group and its timers are
    dropped here (its records stay in the log)."""

    group_id: str

    def describe(self) -> str:
        return f"consumer group {self.group_id} was unloaded"
