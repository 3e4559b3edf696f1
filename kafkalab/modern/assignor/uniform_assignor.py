"""The ``uniform`` server-side assignor, computed exactly as Kafka's ``UniformAssignor``.

How it works (Kafka's ``group-coordinator/.../assignor/UniformAssignor.java`` and its two
builders).  ``UniformAssignor.assign`` returns nothing for a group without members, and otherwise
picks a builder by the group's :class:`SubscriptionType`:

**HOMOGENEOUS** -- every member subscribes to the same topics
(``UniformHomogeneousAssignmentBuilder``).  Balance first, then stickiness:

1. The topics are the first member's, in the order Java iterates ``new HashSet<>(topicIds)``
   (:func:`._java.topic_order`).  No topics: the result is empty (no member at all).
2. ``unassigned`` starts with every partition the group's stored target gives to nobody
   (``GroupSpec.isPartitionAssigned``), topic by topic, in ascending partition order.
3. With T partitions and M members, every member's quota is ``T // M``, plus one for the *first*
   ``T % M`` members in ``memberIds()`` order.  Each member keeps its current partitions of
   subscribed topics up to its quota (``maybeRevokePartitions``); when a topic does not fit, it
   keeps the first partitions its Java ``HashSet`` yields (:func:`._java.partition_order`) and the
   rest are appended to ``unassigned``.  Topics it no longer subscribes to are dropped.
4. Members below quota, in order, take the next partitions of ``unassigned``
   (``assignRemainingPartitions``); anything left over raises "Partitions were left unassigned".

**HETEROGENEOUS** -- subscriptions differ (``UniformHeterogeneousAssignmentBuilder``).  Members
are numbered 0..M-1 in ``memberIds()`` order; ``size[i]`` counts member i's partitions:

1. ``maybeRevokePartitions``: every member keeps all its current partitions of topics it still
   subscribes to (no quota here) and drops the others.
2. ``assignRemainingPartitions``: topics sorted by partitions per subscriber (descending, as a
   double), then subscriber count (ascending), then topic id (``Uuid.compareTo``); each topic's
   unowned partitions, in ascending order, go one by one to its least loaded subscriber (ties: the
   lower member index), through the :class:`_MemberAssignmentBalancer`'s least-loaded range.
3. ``balance``: over the topics with 2+ subscribers, in the same order, ``balanceTopic`` moves
   partitions from the most to the least loaded subscribers until their totals differ by at most
   one (a member gives up its highest-numbered partitions of that topic first); the topics are
   cycled at most 16 times (``MAX_ITERATION_COUNT``) and the loop stops once a full cycle moved
   nothing.

Neither builder uses racks (``rack_id``, ``racks_for_partition``), as in Kafka.  The results equal
Kafka's Java classes case for case: tests/test_modern_assignors_java_golden.py replays thousands
of groups computed by the compiled classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import chain, compress, repeat
from operator import attrgetter, ne
from collections.abc import Set as AbstractSet
from types import MappingProxyType

from kafkalab.modern.assignor._java import partition_order, topic_order
from kafkalab.modern.assignor.api import (
    ConsumerGroupPartitionAssignor,
    RangeSet,
    GroupAssignment,
    GroupSpec,
    MemberAssignment,
    PartitionAssignorError,
    SubscribedTopicDescriber,
    SubscriptionType,
)
from kafkalab.modern.assignor.topic_id import Uuid

#: ``UniformHeterogeneousAssignmentBuilder.MAX_ITERATION_COUNT``.
MAX_ITERATION_COUNT = 16

_new = object.__new__
_range_set = RangeSet._of
_TOTAL = attrgetter("_total")
_TOPICS = attrgetter("_topics")
_AS_ASSIGNMENT = attrgetter("_as_assignment")


def _assignment_of(assignment: Mapping[Uuid, AbstractSet]) -> MemberAssignment:
    result = _new(MemberAssignment)
    result.partitions = MappingProxyType(assignment) if type(assignment) is dict else assignment
    return result


def _missing_topic(topic_id: Uuid) -> PartitionAssignorError:
    return PartitionAssignorError(
        f"Members are subscribed to topic {topic_id} which doesn't exist in the topic metadata."
    )


class UniformAssignor(ConsumerGroupPartitionAssignor):
    """Kafka's ``UniformAssignor`` (``"uniform"``, the broker's default): balanced, then sticky."""

    name = "uniform"

    def assign(self, group_spec: GroupSpec, subscribed_topic_describer: SubscribedTopicDescriber) -> GroupAssignment:
        """Compute the new target assignment.

        Args:
            group_spec: the members, their subscriptions and current targets.
            subscribed_topic_describer: partition counts of the subscribed topics.

        Returns:
            The new target assignment: every member when anyone subscribes to something, else
            no member at all.

        Raises:
            PartitionAssignorError: a member subscribes to a topic the describer does not know.
        """
        if not group_spec.members:
            return GroupAssignment._trusted({})
        if group_spec.subscription_type is SubscriptionType.HOMOGENEOUS:
            return UniformHomogeneousAssignmentBuilder(group_spec, subscribed_topic_describer).build()
        return UniformHeterogeneousAssignmentBuilder(group_spec, subscribed_topic_describer).build()


class UniformHomogeneousAssignmentBuilder:
    """Kafka's ``UniformHomogeneousAssignmentBuilder``: one quota for everyone, kept partitions first."""

    def __init__(self, group_spec: GroupSpec, subscribed_topic_describer: SubscribedTopicDescriber) -> None:
        """Prepare a build.

        Args:
            group_spec: a group with at least one member; all subscriptions are taken to be the
                first member's.
            subscribed_topic_describer: partition counts.
        """
        self.group_spec = group_spec
        self.subscribed_topic_describer = subscribed_topic_describer
        first = next(iter(group_spec.members.values()))
        self.subscribed_topic_ids: list[Uuid] = topic_order(first.subscribed_topic_ids)

    def build(self) -> GroupAssignment:
        """Compute the assignment (``build``).

        Returns:
            The new target assignment.

        Raises:
            PartitionAssignorError: an unknown subscribed topic, or partitions left over.
        """
        topics = self.subscribed_topic_ids
        if not topics:
            return GroupAssignment._trusted({})
        spec = self.group_spec
        describer = self.subscribed_topic_describer
        inverted = spec.inverted_member_assignment
        # `unassigned` is a list of (topic id, partitions) segments, read in order.
        unassigned: list[tuple[Uuid, list[int] | range]] = []
        total = 0
        for topic_id in topics:
            n = describer.num_partitions(topic_id)
            if n == -1:
                raise _missing_topic(topic_id)
            owners = inverted.get(topic_id)
            if not owners:
                segment = range(n)
            else:  # the partitions nobody holds (isPartitionAssigned), ascending
                segment = sorted(set(range(n)).difference(owners))
            if segment:
                unassigned.append((topic_id, segment))
            total += n
        members = spec.members
        min_quota, extra = divmod(total, len(members))
        topic_set = frozenset(topics)
        specs = list(members.values())
        # Per member index whose target changes or that is below quota: its current target
        # (read-only) until it changes, then a dict.  Every other member keeps its target as is.
        targets: dict[int, Mapping[Uuid, AbstractSet] | dict[Uuid, AbstractSet]] = {}
        unfilled: list[tuple[int, int]] = []

        # maybeRevokePartitions: the first `extra` members get one partition more.  A member
        # whose target lies in the subscribed topics and holds exactly its quota keeps it, so
        # (when every target lies in them) only the other members are visited.
        try:  # what MemberSubscriptionAndAssignment keeps for bulk reads (absent: visit all)
            target_topics = set(map(_TOPICS, specs))
            plain = True
        except AttributeError:
            plain = False
        if plain and inverted and all(map(topic_set.issuperset, target_topics)):  # (nothing held: visit all)
            totals = list(map(_TOTAL, specs))
            quota1 = min_quota + 1
            visit: Iterable[int] = chain(
                compress(range(extra), map(ne, totals[:extra], repeat(quota1))),
                compress(range(extra, len(specs)), map(ne, totals[extra:], repeat(min_quota))))
        else:
            visit = range(len(specs))
        for index in visit:
            old = specs[index].partitions
            quota = min_quota + 1 if index < extra else min_quota
            if old:
                new: dict[Uuid, AbstractSet] | None = None
                for topic_id, parts in old.items():
                    if topic_id in topic_set:
                        size = len(parts)
                        if size <= quota:
                            quota -= size
                            continue
                        if new is None:
                            new = dict(old)
                        ordered = partition_order(parts)
                        if quota > 0:
                            new[topic_id] = frozenset(ordered[:quota])
                        else:
                            del new[topic_id]
                        unassigned.append((topic_id, ordered[quota:]))
                        quota = 0
                    else:
                        if new is None:
                            new = dict(old)
                        del new[topic_id]
                if new is not None:
                    targets[index] = new
            if quota > 0:
                unfilled.append((index, quota))
                targets.setdefault(index, old)

        # assignRemainingPartitions
        range_sets: dict[range, RangeSet] = {}  # immutable, so members can share them
        seg_index, offset = 0, 0
        n_segments = len(unassigned)
        for index, quota in unfilled:
            assignment = targets[index]
            if type(assignment) is not dict:
                assignment = targets[index] = dict(assignment) if assignment else {}
            while quota > 0 and seg_index < n_segments:
                topic_id, segment = unassigned[seg_index]
                take = segment[offset:offset + quota]
                current = assignment.get(topic_id)
                if current is not None:
                    assignment[topic_id] = frozenset(current).union(take)
                elif type(take) is range:  # free partitions in a row: no need to list them
                    ranges = range_sets.get(take)
                    if ranges is None:
                        ranges = range_sets[take] = _range_set(take)
                    assignment[topic_id] = ranges
                else:
                    assignment[topic_id] = frozenset(take)
                quota -= len(take)
                offset += len(take)
                if offset >= len(segment):
                    seg_index, offset = seg_index + 1, 0
        if seg_index < n_segments:
            raise PartitionAssignorError("Partitions were left unassigned")

        ids = list(members)
        if not plain or len(targets) == len(specs):
            out: dict[str, MemberAssignment] = {}
            for index, member_id in enumerate(ids):
                out[member_id] = _assignment_of(targets.get(index, specs[index].partitions))
        else:  # an unchanged member's result is its own target (the same mapping)
            out = dict(zip(ids, map(_AS_ASSIGNMENT, specs)))
            for index, assignment in targets.items():
                out[ids[index]] = _assignment_of(assignment)
        return GroupAssignment._trusted(out)


class _MemberAssignmentBalancer:
    """Kafka's ``MemberAssignmentBalancer``: the least and most loaded ranges of a topic's subscribers.

    ``sorted_members`` holds the subscribers by (partition count, index).  ``[0, ll_end)`` is the
    least loaded range, filled level by level (``next_least_loaded_member``);
    ``[ml_start, ml_end)`` is the most loaded range, emptied level by level from its end
    (``next_most_loaded_member``); members with nothing left to give are swapped out of it
    (``exclude_most_loaded_member``).  Balanced when the two ranges' levels differ by at most one.
    """

    __slots__ = ("sizes", "sorted_members", "ll_end", "ll_count", "next_ll", "ml_start", "ml_end", "ml_count", "next_ml")

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.sorted_members: list[int] = []

    def initialize(self, members: list[int]) -> int:
        """Reset for ``members``; returns the spread between the most and least loaded."""
        sizes = self.sizes
        s = self.sorted_members = sorted(members, key=sizes.__getitem__)  # members ascend: ties by index
        self.ll_end = 0
        self.ll_count = sizes[s[0]] - 1
        self.next_ll = 0
        self.ml_start = self.ml_end = len(s)
        self.ml_count = sizes[s[-1]] + 1
        self.next_ml = len(s) - 1
        return sizes[s[-1]] - sizes[s[0]]

    def next_least_loaded_member(self) -> int:
        """The member to give the next partition to (``nextLeastLoadedMember``)."""
        s = self.sorted_members
        if self.next_ll >= self.ll_end:
            self.ll_count += 1
            sizes, level, end = self.sizes, self.ll_count, self.ll_end
            while end < len(s) and sizes[s[end]] == level:
                end += 1
            self.ll_end = end
            self.next_ll = 0
        member = s[self.next_ll]
        self.next_ll += 1
        return member

    def next_most_loaded_member(self) -> int:
        """The member to take the next partition from, or -1 (``nextMostLoadedMember``)."""
        s = self.sorted_members
        if self.next_ml < self.ml_start:
            sizes = self.sizes
            if self.ml_end <= self.ml_start and self.ml_start > 0:
                self.ml_count = sizes[s[self.ml_start - 1]]
            else:
                self.ml_count -= 1
            start, level = self.ml_start, self.ml_count
            while start > 0 and sizes[s[start - 1]] == level:
                start -= 1
            self.ml_start = start
            self.next_ml = self.ml_end - 1
        if self.next_ml < 0:
            return -1
        member = s[self.next_ml]
        self.next_ml -= 1
        return member

    def exclude_most_loaded_member(self) -> None:
        """Drop the member last returned by :meth:`next_most_loaded_member` from the most loaded range."""
        s = self.sorted_members
        i, j = self.next_ml + 1, self.ml_end - 1
        s[i], s[j] = s[j], s[i]
        self.ml_end -= 1

    def is_balanced(self) -> bool:
        """Whether the two ranges' levels differ by at most one (``isBalanced``)."""
        return self.ml_count - self.ll_count <= 1


class UniformHeterogeneousAssignmentBuilder:
    """Kafka's ``UniformHeterogeneousAssignmentBuilder``: keep, fill the least loaded, rebalance."""

    def __init__(self, group_spec: GroupSpec, subscribed_topic_describer: SubscribedTopicDescriber) -> None:
        """Index the members and the subscribers of every topic.

        Args:
            group_spec: the group.
            subscribed_topic_describer: partition counts.

        Raises:
            PartitionAssignorError: a member subscribes to a topic the describer does not know
                (the first such topic in member order, then subscription order).
        """
        self.group_spec = group_spec
        self.subscribed_topic_describer = subscribed_topic_describer
        self.member_ids: list[str] = list(group_spec.members)
        # Members with the same subscription are indexed together; Kafka visits member by
        # member, topic by topic, and stops at the first unknown topic: the first subscription
        # (in member order) that has one names the same topic.
        by_subscription: dict[tuple[Uuid, ...], list[int]] = {}
        for index, member in enumerate(group_spec.members.values()):
            indices = by_subscription.get(member.subscribed_topic_ids)
            if indices is None:
                by_subscription[member.subscribed_topic_ids] = [index]
            else:
                indices.append(index)
        self.num_partitions: dict[Uuid, int] = {}
        self.topic_subscribers: dict[Uuid, list[int]] = {}
        for topic_ids, indices in by_subscription.items():
            for topic_id in topic_ids:
                subscribers = self.topic_subscribers.get(topic_id)
                if subscribers is None:
                    n = subscribed_topic_describer.num_partitions(topic_id)
                    if n == -1:
                        raise _missing_topic(topic_id)
                    self.num_partitions[topic_id] = n
                    self.topic_subscribers[topic_id] = list(indices)
                else:
                    subscribers.extend(indices)
        if len(by_subscription) > 1:
            for subscribers in self.topic_subscribers.values():
                subscribers.sort()  # ascending member index, as Kafka builds them
        self.member_target_assignment_sizes = [0] * len(self.member_ids)
        self.target_assignment_partition_owners: dict[Uuid, list[int]] = {
            t: [-1] * n for t, n in self.num_partitions.items()
        }
        # Per member: its current target (a read-only mapping) until changed, then a dict
        # (AssignorHelpers.deepCopyAssignment, done lazily); a topic's partitions become a
        # mutable set only when a partition is moved.
        self.target_assignment: list[Mapping[Uuid, AbstractSet] | dict[Uuid, AbstractSet]] = []
        self._moved: list[tuple[int, Uuid]] = []

    def _sort_topic_ids(self, topic_ids) -> list[Uuid]:
        counts, subscribers = self.num_partitions, self.topic_subscribers
        return sorted(
            topic_ids,
            key=lambda t: (-(counts[t] / len(subscribers[t])), len(subscribers[t]), t.compare_key),
        )

    def build(self) -> GroupAssignment:
        """Compute the assignment (``build``).

        Returns:
            The new target assignment, with every member.
        """
        if not self.num_partitions:
            return GroupAssignment._trusted({})
        self._maybe_revoke_partitions()
        self._assign_remaining_partitions()
        self._balance()
        for index, topic_id in self._moved:  # sets changed by balancing become immutable again
            assignment = self.target_assignment[index]
            if type(assignment.get(topic_id)) is set:
                assignment[topic_id] = frozenset(assignment[topic_id])
        out = {}
        for member_id, assignment in zip(self.member_ids, self.target_assignment):
            out[member_id] = result = _new(MemberAssignment)
            result.partitions = MappingProxyType(assignment) if type(assignment) is dict else assignment
        return GroupAssignment._trusted(out)

    def _maybe_revoke_partitions(self) -> None:
        owners = self.target_assignment_partition_owners
        sizes = self.member_target_assignment_sizes
        for index, member in enumerate(self.group_spec.members.values()):
            old = member.partitions
            new = None
            for topic_id, parts in old.items():
                if member.is_subscribed(topic_id):
                    sizes[index] += len(parts)
                    topic_owners = owners[topic_id]
                    try:
                        for p in parts:
                            topic_owners[p] = index
                    except IndexError:
                        raise PartitionAssignorError(
                            f"member {self.member_ids[index]!r} holds partition {max(parts)} of topic {topic_id}, "
                            f"which has {len(topic_owners)} partitions",
                            java_exception="ArrayIndexOutOfBoundsException",
                        ) from None
                else:
                    if new is None:
                        new = dict(old)
                    del new[topic_id]
            self.target_assignment.append(old if new is None else new)

    def _mutable(self, index: int, topic_id: Uuid) -> set[int]:
        assignment = self.target_assignment[index]
        if type(assignment) is not dict:
            assignment = self.target_assignment[index] = dict(assignment)
        current = assignment.get(topic_id)
        if type(current) is not set:
            current = assignment[topic_id] = set() if current is None else set(current)
            self._moved.append((index, topic_id))
        return current

    def _assign_partition(self, topic_id: Uuid, partition: int, index: int) -> None:
        # assignPartition: removePartitionFromTargetAssignment + addPartitionToTargetAssignment.
        owners = self.target_assignment_partition_owners[topic_id]
        sizes = self.member_target_assignment_sizes
        old = owners[partition]
        if old != -1:
            assignment = self.target_assignment[old]
            if type(assignment) is not dict:
                assignment = self.target_assignment[old] = dict(assignment)
            if topic_id in assignment:
                parts = self._mutable(old, topic_id)
                parts.discard(partition)
                if not parts:
                    del assignment[topic_id]
            owners[partition] = -1
            sizes[old] -= 1
        self._mutable(index, topic_id).add(partition)
        owners[partition] = index
        sizes[index] += 1

    def _assign_remaining_partitions(self) -> None:
        owners = self.target_assignment_partition_owners
        sizes = self.member_target_assignment_sizes
        targets = self.target_assignment
        range_sets: dict[range, RangeSet] = {}  # immutable, so members can share them
        singles: dict[int, RangeSet] = {}
        unassigned: dict[Uuid, list[int] | range] = {}
        for topic_id, topic_owners in owners.items():
            if not topic_owners or topic_owners[0] != -1 and -1 not in topic_owners:
                continue
            if topic_owners.count(-1) == len(topic_owners):
                unassigned[topic_id] = range(len(topic_owners))  # nobody holds any: all of them
            else:
                unassigned[topic_id] = [p for p, o in enumerate(topic_owners) if o == -1]
        for topic_id in self._sort_topic_ids(unassigned):
            # MemberAssignmentBalancer.initialize + nextLeastLoadedMember, one partition at a
            # time, hands the partitions out in rounds: each round gives one partition to every
            # member of the least loaded range, in (size, index) order, and the range grows when
            # its level reaches the next members' size.  While the range does not grow, partition
            # i of the stretch goes to range member i % e, so each member takes a slice.
            s = sorted(self.topic_subscribers[topic_id], key=sizes.__getitem__)  # stable: index order
            n_subs = len(s)
            free = unassigned[topic_id]
            n_free = len(free)
            topic_owners = owners[topic_id]
            level = sizes[s[0]]
            e = pos = 0
            while pos < n_free:
                while e < n_subs and sizes[s[e]] <= level:
                    e += 1
                rounds = sizes[s[e]] - level if e < n_subs else n_free
                take = min(rounds * e, n_free - pos)
                block = free[pos:pos + take]
                dealt = s[:take] if take <= e else (s[:e] * (take // e + 1))[:take]
                if block[-1] - block[0] == take - 1:  # contiguous partitions
                    topic_owners[block[0]:block[-1] + 1] = dealt
                else:
                    for p, member in zip(block, dealt):
                        topic_owners[p] = member
                if take <= e:  # one partition each: the usual case in big groups
                    for member, p in zip(dealt, block):
                        sizes[member] += 1
                        assignment = targets[member]
                        if type(assignment) is not dict:
                            assignment = targets[member] = dict(assignment)
                        current = assignment.get(topic_id)
                        if current is None:
                            one = singles.get(p)
                            if one is None:
                                one = singles[p] = _range_set(range(p, p + 1))
                            assignment[topic_id] = one
                        else:
                            assignment[topic_id] = frozenset(current).union((p,))
                    pos += take
                    level += rounds
                    continue
                for j in range(e):
                    member = s[j]
                    parts = block[j::e]
                    sizes[member] += len(parts)
                    assignment = targets[member]
                    if type(assignment) is not dict:
                        assignment = targets[member] = dict(assignment)
                    current = assignment.get(topic_id)
                    if current is not None:
                        assignment[topic_id] = frozenset(current).union(parts)
                    elif type(parts) is range:
                        ranges = range_sets.get(parts)
                        if ranges is None:
                            ranges = range_sets[parts] = _range_set(parts)
                        assignment[topic_id] = ranges
                    else:
                        assignment[topic_id] = frozenset(parts)
                pos += take
                level += rounds

    def _balance(self) -> None:
        topics = [t for t, subscribers in self.topic_subscribers.items() if len(subscribers) >= 2]
        if not topics:
            return
        sorted_topic_ids = self._sort_topic_ids(topics)
        last_rebalance_topic_index = -1
        balancer = _MemberAssignmentBalancer(self.member_target_assignment_sizes)
        for _ in range(MAX_ITERATION_COUNT):
            for topic_index, topic_id in enumerate(sorted_topic_ids):
                if topic_index == last_rebalance_topic_index:
                    return
                moved = self._balance_topic(topic_id, balancer)
                if moved > 0 or last_rebalance_topic_index == -1:
                    last_rebalance_topic_index = topic_index

    def _balance_topic(self, topic_id: Uuid, balancer: _MemberAssignmentBalancer) -> int:
        reassigned = 0
        if balancer.initialize(self.topic_subscribers[topic_id]) <= 1:
            return reassigned
        owners = self.target_assignment_partition_owners[topic_id]
        # The topic's partitions grouped by owner (then ascending), and each owner's slice.
        partitions = sorted(range(len(owners)), key=owners.__getitem__)
        start: dict[int, int] = {}
        end: dict[int, int] = {}
        for i, p in enumerate(partitions):
            o = owners[p]
            if o not in start:
                start[o] = i
            end[o] = i + 1
        while not balancer.is_balanced():
            while True:
                most = balancer.next_most_loaded_member()
                if most == -1:
                    break
                if most not in end or end[most] - start[most] <= 0:
                    balancer.exclude_most_loaded_member()
                    continue
                break
            if most == -1:
                break
            partition = partitions[end[most] - 1]
            end[most] -= 1
            least = balancer.next_least_loaded_member()
            if balancer.is_balanced():
                break
            self._assign_partition(topic_id, partition, least)
            reassigned += 1
        return reassigned
