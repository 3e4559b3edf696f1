"""A consumer group and its members, changed only by replaying records.

Section numbers (§) refer to docs/consumer-protocol.md.

How it works
------------
:class:`ConsumerGroupMember` is Kafka's ``ConsumerGroupMember``: an immutable record (change it with
``dataclasses.replace`` or :meth:`ConsumerGroupMember.with_member_epoch`).  :class:`ConsumerGroup` is
Kafka's ``ConsumerGroup``: the group epoch, the target assignment and its epoch, the members, the
static members (instance id -> member id), the subscription metadata, the resolved regular
expressions and the partition epochs (who owns what).  Handlers never assign its fields: they
build :mod:`records <kafkalab.modern.events>` from the group's current data and the manager hands
them to :meth:`ConsumerGroup.replay` once the request has succeeded, as Kafka's coordinator runtime
replays a handler's records.

The partition epochs are the protocol's safety net (``currentPartitionEpoch``): every partition a
member owns (assigned or pending revocation) is recorded at the member's epoch, and replaying a
member update that would give a partition to a second owner raises :class:`IllegalState` -- the
same ``IllegalStateException`` Kafka throws -- because it would be a bug.

The counters Kafka maintains incrementally (subscribers per topic, per regular expression, votes
per server assignor) are computed from the members when needed; the ``compute_*`` methods answer
"what would they be if this member changed", as Kafka's do, without changing the group.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional

from ..errors import KafkalabError
from . import events as ev
from .assignment import Assignment, freeze, thaw
from .metadata import MetadataImage, TopicImage
from .state import ConsumerGroupState, MemberState, compute_state

__all__ = [
    "ConsumerGroupMember", "ConsumerGroup", "ResolvedRegularExpression", "SubscriptionCount",
    "SubscriptionType", "IllegalState", "fold", "LEAVE_GROUP_MEMBER_EPOCH",
    "LEAVE_GROUP_STATIC_MEMBER_EPOCH",
]

#: Kafka's ``ConsumerGroupHeartbeatRequest.LEAVE_GROUP_MEMBER_EPOCH`` and
#: ``LEAVE_GROUP_STATIC_MEMBER_EPOCH``.
LEAVE_GROUP_MEMBER_EPOCH = -1
LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2


class IllegalState(KafkalabError, RuntimeError):
    """A record would break a consumer group's invariants (a bug, never a protocol outcome)."""


@dataclass(frozen=True)
class ConsumerGroupMember:
    """A member with Kafka's defaults for a new one (``ConsumerGroupMember.Builder(memberId)``)."""

    member_id: str
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: MemberState = MemberState.STABLE
    instance_id: Optional[str] = None
    rack_id: Optional[str] = None
    rebalance_timeout_ms: int = -1
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: frozenset[str] = frozenset()
    subscribed_topic_regex: str = ""
    server_assignor_name: Optional[str] = None
    assigned_partitions: Assignment = field(default_factory=dict)
    partitions_pending_revocation: Assignment = field(default_factory=dict)
    #: Set for a member that uses the classic protocol (docs/consumer-protocol.md §7).
    classic: Optional[ev.ClassicMemberMetadata] = None

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    def is_reconciled_to(self, epoch: int) -> bool:
        """Kafka's ``isReconciledTo``: STABLE at ``epoch``."""
        return self.state is MemberState.STABLE and self.member_epoch == epoch

    def with_member_epoch(self, epoch: int, **changes) -> "ConsumerGroupMember":
        """Kafka's ``Builder.updateMemberEpoch``: the old epoch becomes the previous epoch."""
        return dataclasses.replace(self, previous_member_epoch=self.member_epoch, member_epoch=epoch, **changes)

    @property
    def subscribed_topic_regex_or_none(self) -> Optional[str]:
        return self.subscribed_topic_regex or None

    def owned(self) -> dict[tuple[str, int], int]:
        """Every partition this member owns (assigned or pending revocation) -> its epoch."""
        out = {}
        for a in (self.assigned_partitions, self.partitions_pending_revocation):
            for t, ps in a.items():
                for p in ps:
                    out[(t, p)] = self.member_epoch
        return out


@dataclass(frozen=True)
class ResolvedRegularExpression:
    """Kafka's ``ResolvedRegularExpression``: the topics a regex matched, from which metadata
    version, and when."""

    topics: frozenset[str]
    version: int
    timestamp: int


@dataclass
class SubscriptionCount:
    """Kafka's ``SubscriptionCount``: subscribers of a topic by name and through resolved regexes."""

    by_name: int = 0
    by_regex: int = 0

    @property
    def total(self) -> int:
        return self.by_name + self.by_regex


class SubscriptionType:
    """Kafka's ``SubscriptionType`` (given to the assignor)."""

    HOMOGENEOUS = "HOMOGENEOUS"
    HETEROGENEOUS = "HETEROGENEOUS"


class ConsumerGroup:
    """One consumer group (Kafka's ``ConsumerGroup``); see the module docstring.

    Args:
        group_id: the group id.
    """

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id
        self.group_epoch = 0
        #: Kafka's ``targetAssignmentEpoch`` (``assignmentEpoch``).
        self.assignment_epoch = 0
        self.state = ConsumerGroupState.EMPTY
        self.members: dict[str, ConsumerGroupMember] = {}
        self.static_members: dict[str, str] = {}
        self.target_assignment: dict[str, Assignment] = {}
        self.subscription_metadata: dict[str, TopicImage] = {}
        self.resolved_regular_expressions: dict[str, ResolvedRegularExpression] = {}
        self._partition_epochs: dict[tuple[str, int], int] = {}
        #: Soft state (not a record): when the subscription metadata must be recomputed.
        #: Kafka's ``metadataRefreshDeadline``; 0 = at the next heartbeat.
        self.metadata_refresh_deadline = 0

    def __repr__(self) -> str:
        return (f"ConsumerGroup({self.group_id!r}, {self.state.value}, epoch={self.group_epoch}, "
                f"assignment_epoch={self.assignment_epoch}, members={list(self.members)})")

    # ------------------------------------------------------------------ queries

    def member(self, member_id: str) -> Optional[ConsumerGroupMember]:
        return self.members.get(member_id)

    def static_member(self, instance_id: Optional[str]) -> Optional[ConsumerGroupMember]:
        """The member holding ``instance_id`` (Kafka's ``staticMember``), or None."""
        member_id = self.static_members.get(instance_id) if instance_id is not None else None
        return self.members.get(member_id) if member_id is not None else None

    def current_partition_epoch(self, topic_id: str, partition: int) -> int:
        """The epoch of the member owning the partition, or -1 when it is free."""
        return self._partition_epochs.get((topic_id, partition), -1)

    def partition_epochs(self) -> dict[tuple[str, int], int]:
        """A copy of the ownership map ``(topic_id, partition) -> owner's epoch``."""
        return dict(self._partition_epochs)

    def owners(self) -> dict[tuple[str, int], str]:
        """``(topic_id, partition) -> member id`` of its owner (assigned or pending revocation)."""
        return {tp: m.member_id for m in self.members.values() for tp in m.owned()}

    def target_of(self, member_id: str, instance_id: Optional[str] = None) -> Assignment:
        """Kafka's ``targetAssignment(memberId, instanceId)``: a static member's target is the one
        stored under the member id currently holding its instance id."""
        if instance_id is not None:
            previous = self.static_members.get(instance_id)
            return self.target_assignment.get(previous, {}) if previous is not None else {}
        return self.target_assignment.get(member_id, {})

    def inverted_target_assignment(self) -> dict[tuple[str, int], str]:
        """``(topic_id, partition) -> member id`` of the stored target."""
        return {(t, p): mid for mid, a in self.target_assignment.items() for t, ps in a.items() for p in ps}

    def subscribed_regular_expressions(self) -> dict[str, int]:
        """regex -> number of members subscribed to it."""
        out: dict[str, int] = {}
        for m in self.members.values():
            if m.subscribed_topic_regex:
                out[m.subscribed_topic_regex] = out.get(m.subscribed_topic_regex, 0) + 1
        return out

    def num_subscribed_members(self, regex: str) -> int:
        return self.subscribed_regular_expressions().get(regex, 0)

    def subscribed_topic_names(self) -> dict[str, SubscriptionCount]:
        """topic name -> subscribers by name and by resolved regex (each regex counts once)."""
        counts: dict[str, SubscriptionCount] = {}
        for m in self.members.values():
            for name in m.subscribed_topic_names:
                counts.setdefault(name, SubscriptionCount()).by_name += 1
        for resolved in self.resolved_regular_expressions.values():
            for name in resolved.topics:
                counts.setdefault(name, SubscriptionCount()).by_regex += 1
        return counts

    def compute_subscribed_topic_names(self, old: Optional[ConsumerGroupMember],
                                       new: Optional[ConsumerGroupMember]) -> dict[str, SubscriptionCount]:
        """Kafka's ``computeSubscribedTopicNames(oldMember, newMember)``: the counts with ``old``'s
        names taken out and ``new``'s put in (incrementally, as Kafka does: a static member's copy
        under a new id takes the old id's place); the old member's regex topics go only if it was
        the regex's last subscriber and ``new`` does not keep it."""
        counts = self.subscribed_topic_names()
        if old is not None:
            for name in old.subscribed_topic_names:
                counts[name].by_name -= 1
            regex = old.subscribed_topic_regex
            if (regex and (new is None or new.subscribed_topic_regex != regex)
                    and self.num_subscribed_members(regex) == 1 and regex in self.resolved_regular_expressions):
                for name in self.resolved_regular_expressions[regex].topics:
                    counts[name].by_regex -= 1
        if new is not None:
            for name in new.subscribed_topic_names:
                counts.setdefault(name, SubscriptionCount()).by_name += 1
        return {name: c for name, c in counts.items() if c.total > 0}

    def compute_subscribed_topic_names_without(self, removed: Iterable[ConsumerGroupMember],
                                               removed_regexes: Iterable[str]) -> dict[str, SubscriptionCount]:
        """Kafka's ``computeSubscribedTopicNamesWithoutDeletedMembers``."""
        removed_ids = {m.member_id for m in removed}
        gone = set(removed_regexes)
        counts: dict[str, SubscriptionCount] = {}
        for m in self.members.values():
            if m.member_id in removed_ids:
                continue
            for name in m.subscribed_topic_names:
                counts.setdefault(name, SubscriptionCount()).by_name += 1
        for regex, resolved in self.resolved_regular_expressions.items():
            if regex in gone:
                continue
            for name in resolved.topics:
                counts.setdefault(name, SubscriptionCount()).by_regex += 1
        return counts

    @staticmethod
    def compute_subscription_metadata(counts: Mapping[str, SubscriptionCount],
                                      image: MetadataImage) -> dict[str, TopicImage]:
        """Kafka's ``computeSubscriptionMetadata``: the subscribed topics that exist, by name."""
        out = {}
        for name in sorted(counts):
            if counts[name].total > 0:
                topic = image.topic(name)
                if topic is not None:
                    out[name] = topic
        return out

    @staticmethod
    def compute_subscription_type(regexes: Mapping[str, int], counts: Mapping[str, SubscriptionCount],
                                  num_members: int) -> str:
        """Kafka's ``ModernGroup.subscriptionType`` (docs/consumer-protocol.md §3.4, §5.1)."""
        if not counts:
            return SubscriptionType.HOMOGENEOUS
        if not regexes:
            if all(c.by_name == num_members for c in counts.values()):
                return SubscriptionType.HOMOGENEOUS
            return SubscriptionType.HETEROGENEOUS
        if len(regexes) == 1 and next(iter(regexes.values())) == num_members:
            if all(c.by_name == 0 for c in counts.values()):
                return SubscriptionType.HOMOGENEOUS
        return SubscriptionType.HETEROGENEOUS

    def compute_subscribed_regular_expressions(self, old: Optional[ConsumerGroupMember],
                                               new: Optional[ConsumerGroupMember]) -> dict[str, int]:
        """Kafka's ``computeSubscribedRegularExpressions(oldMember, newMember)``."""
        counts = self.subscribed_regular_expressions()
        old_regex = old.subscribed_topic_regex_or_none if old is not None else None
        new_regex = new.subscribed_topic_regex_or_none if new is not None else None
        if old_regex != new_regex:
            if old_regex is not None:
                counts[old_regex] -= 1
                if counts[old_regex] <= 0:
                    del counts[old_regex]
            if new_regex is not None:
                counts[new_regex] = counts.get(new_regex, 0) + 1
        return counts

    def server_assignor_votes(self, old: Optional[ConsumerGroupMember] = None,
                              new: Optional[ConsumerGroupMember] = None) -> dict[str, int]:
        """Assignor name -> members naming it, with ``old``'s vote taken out and ``new``'s put in
        (Kafka's ``maybeUpdateServerAssignors`` on a copy of the counts)."""
        votes: dict[str, int] = {}
        for m in self.members.values():
            if m.server_assignor_name is not None:
                votes[m.server_assignor_name] = votes.get(m.server_assignor_name, 0) + 1
        if old is not None and old.server_assignor_name is not None:
            votes[old.server_assignor_name] -= 1
        if new is not None and new.server_assignor_name is not None:
            votes[new.server_assignor_name] = votes.get(new.server_assignor_name, 0) + 1
        return {name: n for name, n in votes.items() if n > 0}

    def last_regex_refresh_ms(self) -> Optional[int]:
        """Kafka's ``lastResolvedRegularExpressionRefreshTimeMs`` (None = Long.MIN_VALUE): the
        timestamp of one resolved regex, a proxy for all (they are resolved together)."""
        for resolved in self.resolved_regular_expressions.values():
            return resolved.timestamp
        return None

    def last_regex_version(self) -> int:
        """Kafka's ``lastResolvedRegularExpressionVersion`` (0 when none is resolved)."""
        for resolved in self.resolved_regular_expressions.values():
            return resolved.version
        return 0

    def num_classic_members(self) -> int:
        return sum(1 for m in self.members.values() if m.classic is not None)

    def supports_classic_protocols(self, protocol_type: Optional[str], names: Iterable[str]) -> bool:
        """Kafka's ``supportsClassicProtocols``: type ``consumer``, and a protocol name every
        classic member supports (any name when there is none)."""
        if protocol_type != "consumer":
            return False
        names = set(names)
        if not self.members:
            return bool(names)
        classic = [{p for p, _ in m.classic.protocols} for m in self.members.values() if m.classic is not None]
        return any(all(n in protocols for protocols in classic) for n in names)

    def waiting_on_unreleased_partition(self, member: ConsumerGroupMember) -> bool:
        """Kafka's ``waitingOnUnreleasedPartition``: an UNRELEASED_PARTITIONS member's target
        holds a partition another member still owns."""
        if member.state is not MemberState.UNRELEASED_PARTITIONS:
            return False
        for topic_id, ps in self.target_assignment.get(member.member_id, {}).items():
            mine = member.assigned_partitions.get(topic_id, set())
            if any(p not in mine and self.current_partition_epoch(topic_id, p) != -1 for p in ps):
                return True
        return False

    def compute_state(self) -> ConsumerGroupState:
        """Kafka's ``maybeUpdateGroupState`` rule on the current data."""
        return compute_state(
            len(self.members), self.group_epoch, self.assignment_epoch,
            all(m.is_reconciled_to(self.assignment_epoch) for m in self.members.values()))

    # ------------------------------------------------------------------ replay

    def replay(self, record: ev.GroupRecord) -> None:
        """Apply one record (Kafka's ``GroupMetadataManager.replay`` for that record type).

        Raises:
            IllegalState: the record breaks an invariant (a partition with two owners, an
                update of an unknown member).
        """
        if record.group_id != self.group_id:
            raise IllegalState(f"record for group {record.group_id!r} replayed into {self.group_id!r}")
        handler = _REPLAY.get(type(record))
        if handler is None:
            raise IllegalState(f"{type(record).__name__} is not a consumer-group record")
        handler(self, record)

    def _update_member(self, new: ConsumerGroupMember) -> None:
        old = self.members.get(new.member_id)
        if old is not None:
            for tp, epoch in old.owned().items():
                if self._partition_epochs.get(tp) != epoch:
                    raise IllegalState(f"cannot remove the epoch {epoch} of {tp}: it is owned at "
                                       f"{self._partition_epochs.get(tp)}")
                del self._partition_epochs[tp]
        for tp, epoch in new.owned().items():
            if tp in self._partition_epochs:
                raise IllegalState(f"cannot give {tp} to {new.member_id} at epoch {epoch}: it is still "
                                   f"owned at epoch {self._partition_epochs[tp]}")
            self._partition_epochs[tp] = epoch
        self.members[new.member_id] = new
        if new.instance_id is not None:
            self.static_members[new.instance_id] = new.member_id

    def _replay_subscription(self, r: ev.MemberSubscriptionUpdated) -> None:
        old = self.members.get(r.member_id) or ConsumerGroupMember(r.member_id)
        self._update_member(dataclasses.replace(
            old, instance_id=r.instance_id, rack_id=r.rack_id, client_id=r.client_id,
            client_host=r.client_host, rebalance_timeout_ms=r.rebalance_timeout_ms,
            subscribed_topic_names=frozenset(r.subscribed_topic_names),
            subscribed_topic_regex=r.subscribed_topic_regex, server_assignor_name=r.server_assignor,
            classic=r.classic))

    def _replay_assignment(self, r: ev.MemberAssignmentUpdated) -> None:
        old = self.members.get(r.member_id)
        if old is None:
            raise IllegalState(f"current assignment of unknown member {r.member_id}")
        self._update_member(dataclasses.replace(
            old, member_epoch=r.member_epoch, previous_member_epoch=r.previous_member_epoch,
            state=r.state, assigned_partitions=thaw(r.assigned),
            partitions_pending_revocation=thaw(r.pending_revocation)))

    def _replay_removed(self, r: ev.MemberRemoved) -> None:
        old = self.members.pop(r.member_id, None)
        if old is None:
            raise IllegalState(f"tombstone of unknown member {r.member_id}")
        for tp in old.owned():
            self._partition_epochs.pop(tp, None)
        if old.instance_id is not None and self.static_members.get(old.instance_id) == old.member_id:
            del self.static_members[old.instance_id]
        self.target_assignment.pop(r.member_id, None)

    def _replay_epoch(self, r: ev.GroupEpochBumped) -> None:
        self.group_epoch = r.new_epoch

    def _replay_target(self, r: ev.TargetAssignmentUpdated) -> None:
        self.target_assignment[r.member_id] = thaw(r.partitions)

    def _replay_target_epoch(self, r: ev.TargetAssignmentComputed) -> None:
        self.assignment_epoch = r.epoch

    def _replay_metadata(self, r: ev.SubscriptionMetadataUpdated) -> None:
        self.subscription_metadata = {t.name: t for t in r.topics}

    def _replay_regex(self, r: ev.RegularExpressionResolved) -> None:
        self.resolved_regular_expressions[r.regex] = ResolvedRegularExpression(
            frozenset(r.topics), r.version, r.timestamp)

    def _replay_regex_removed(self, r: ev.RegularExpressionRemoved) -> None:
        self.resolved_regular_expressions.pop(r.regex, None)

    def _replay_created(self, r: ev.ConsumerGroupCreated) -> None:
        pass

    def _replay_deleted(self, r: ev.ConsumerGroupDeleted) -> None:
        if self.members:
            raise IllegalState(f"tombstone of group {self.group_id}, which still has members")

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict:
        """Everything records determine, as plain data (for equality checks and ``describe``)."""
        return {
            "group_id": self.group_id,
            "state": self.state.value,
            "group_epoch": self.group_epoch,
            "assignment_epoch": self.assignment_epoch,
            "members": {mid: dataclasses.asdict(m) for mid, m in self.members.items()},
            "static_members": dict(self.static_members),
            "target_assignment": {mid: freeze(a) for mid, a in self.target_assignment.items()},
            "subscription_metadata": dict(self.subscription_metadata),
            "resolved_regular_expressions": dict(self.resolved_regular_expressions),
            "partition_epochs": dict(self._partition_epochs),
        }


_REPLAY: dict[type, Callable[[ConsumerGroup, object], None]] = {
    ev.ConsumerGroupCreated: ConsumerGroup._replay_created,
    ev.ConsumerGroupDeleted: ConsumerGroup._replay_deleted,
    ev.MemberSubscriptionUpdated: ConsumerGroup._replay_subscription,
    ev.MemberAssignmentUpdated: ConsumerGroup._replay_assignment,
    ev.MemberRemoved: ConsumerGroup._replay_removed,
    ev.GroupEpochBumped: ConsumerGroup._replay_epoch,
    ev.TargetAssignmentUpdated: ConsumerGroup._replay_target,
    ev.TargetAssignmentComputed: ConsumerGroup._replay_target_epoch,
    ev.SubscriptionMetadataUpdated: ConsumerGroup._replay_metadata,
    ev.RegularExpressionResolved: ConsumerGroup._replay_regex,
    ev.RegularExpressionRemoved: ConsumerGroup._replay_regex_removed,
}


def fold(events: Iterable[object]) -> dict[str, ConsumerGroup]:
    """Rebuild every consumer group from a trace by replaying its records in order (other events
    are skipped); each group's state is recomputed after each record.

    Returns:
        group id -> group.
    """
    groups: dict[str, ConsumerGroup] = {}
    for e in events:
        if isinstance(e, ev.GroupRecord):
            group = groups.get(e.group_id)
            if group is None:
                group = groups[e.group_id] = ConsumerGroup(e.group_id)
            group.replay(e)
            group.state = group.compute_state()
            if isinstance(e, ev.ConsumerGroupDeleted):
                del groups[e.group_id]
    return groups
