"""``sticky`` and ``cooperative-sticky``: Java's ``AbstractStickyAssignor`` and its two subclasses.

Goals, in order (KIP-54): a balanced assignment, then as little movement as possible.

1. **Previous ownership** (``allSubscriptionsEqual``).  Members are visited in the iteration
   order of the leader's ``HashMap`` (see :mod:`kafkalab.java`).  Each member's owned
   partitions of topics that still exist are claimed in turn; a partition claimed by two
   members of the *same* generation is taken from both and remembered as "claimed by multiple
   previous owners" (KAFKA-12984); with *different* generations the higher one keeps it.
2. **Constrained algorithm** when every member subscribes to the same topics
   (``ConstrainedAssignmentBuilder``, near-linear): with P partitions and C members,
   ``min_quota = P // C``, ``max_quota = ceil(P / C)`` and exactly ``P % C`` members end with
   ``max_quota``.  Visiting members in ``HashMap`` order, each keeps its owned partitions
   (sorted by partition, then topic) up to ``min_quota``, or up to ``max_quota`` while fewer
   than ``P % C`` members have been granted ``max_quota``; the rest are released.  The
   unassigned partitions (sorted by topic, partition) are dealt round-robin to the members
   still under ``min_quota`` (sorted by member id), then one each to members at ``min_quota``.
   Because of the ``HashMap`` walk, *which* of two over-full owners keeps the extra partition
   depends on ``String.hashCode`` of their ids (Kafka's
   ``testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers``).
3. **General algorithm** otherwise (``GeneralAssignmentBuilder``): keep every still-valid
   owned partition, give each unassigned partition (topics with fewer potential consumers
   first) to the eligible member with the fewest partitions (ties by member id), then move
   partitions from members with 2+ more partitions than another eligible member until the
   assignment is balanced or nothing can move; a rebalance that does not improve the balance
   score is undone.  kafkalab computes the same moves as Java, with indexes instead of
   Java's full rescans (``isBalanced`` is evaluated once per change, eligible members are
   grouped by subscription and rack, each group kept in a heap).
4. **Racks** (KIP-881, Kafka 3.5+): when consumer and replica racks are known and not every
   partition is on every rack, owned partitions on another rack are given up and new ones are
   first dealt to members on a replica's rack.

``cooperative-sticky`` (KIP-429) then removes from the result every partition that moves from
one member to another in this round ("partitions transferring ownership"): the old owner loses
it now, nobody gets it, and the follow-up rebalance gives it to its new owner.

Kafka behaviour reproduced on purpose (each has a test): a member with no topics that the
``HashMap`` visits first makes the group look uniform, and then receives partitions of topics
it does not read; a claim from an older generation on a topic its member no longer reads can
bring the partition back to that member (an invalid assignment), or make Java throw
``NullPointerException`` (:class:`~kafkalab.assignors.AssignorError` here) when that member
cannot take partitions.

Kafka reads previous ownership differently in the two assignors: ``cooperative-sticky`` from
the subscription's owned partitions and generation (protocol v1/v2 fields), eager ``sticky``
from its own user data.  kafkalab has no user data: both take it from
:attr:`Subscription.owned_partitions` and :attr:`Subscription.generation`.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kafkalab.java import TopicPartitionHashSet, hash_map_order, string_compare_key
from kafkalab.assignors.base import (
    DEFAULT_GENERATION,
    Assignment,
    AssignorError,
    GroupView,
    RebalanceProtocol,
    TopicPartition,
)
from kafkalab.assignors.builtin import BuiltinAssignor, finish, use_rack_aware_assignment


@dataclass
class StickyOutcome:
    """Everything one sticky run computed, for tests and notebooks.

    Attributes:
        assignment: the result (for ``cooperative-sticky``: after withholding).
        constrained: whether the constrained (uniform subscription) algorithm ran.
        partitions_transferring_ownership: Java's field of that name after the run:
            ``{partition: new owner}`` from the constrained algorithm, ``None`` after the
            general one (Java sets it to null there).
        withheld: partitions ``cooperative-sticky`` removed from their new owner this round
            (``{partition: intended owner}``); empty for eager ``sticky``.
        movements: the general algorithm's ``PartitionMovements`` (``{partition: (from, to)}``),
            ``None`` after the constrained one.
    """

    assignment: Assignment
    constrained: bool
    partitions_transferring_ownership: dict[TopicPartition, str] | None
    withheld: dict[TopicPartition, str]
    movements: dict[TopicPartition, tuple[str, str]] | None


# --------------------------------------------------------------------------------------------
# Shared preparation
# --------------------------------------------------------------------------------------------


def _optional_generation(view: GroupView, member: str) -> int | None:
    # Java's Subscription turns a negative generation into Optional.empty().
    g = view.subscriptions[member].generation
    return None if g is None or g < 0 else g


def _generation(view: GroupView, member: str) -> int:
    g = _optional_generation(view, member)
    return DEFAULT_GENERATION if g is None else g


@dataclass
class _Ownership:
    """Result of ``allSubscriptionsEqual``."""

    all_equal: bool
    owned: dict[str, dict[TopicPartition, None]]  # consumerToOwnedPartitions (ordered sets)
    multiple_previous_owners: set[TopicPartition]
    max_generation: int


def _all_subscriptions_equal(view: GroupView, order: list[str]) -> _Ownership:
    subscribed: set[str] = set()
    all_equal = True
    previous_owner: dict[TopicPartition, str] = {}
    owned: dict[str, dict[TopicPartition, None]] = {}
    multiple: set[TopicPartition] = set()
    max_generation = DEFAULT_GENERATION
    for member in order:
        topics = view.subscriptions[member].topics
        # Java fills the reference set from the first subscription *while it is empty*, so a
        # member with no topics visited first does not count as different (a Kafka quirk:
        # it then makes the group look uniform and the empty member receives partitions).
        if not subscribed:
            subscribed.update(topics)
        elif all_equal and not (len(topics) == len(subscribed) and subscribed.issuperset(topics)):
            all_equal = False
        generation = _generation(view, member)
        max_generation = max(max_generation, generation)
        mine: dict[TopicPartition, None] = {}
        owned[member] = mine
        for tp in view.owned[member]:
            other = previous_owner.get(tp)
            if other is None:
                mine[tp] = None
                previous_owner[tp] = member
                continue
            other_generation = _generation(view, other)
            if generation == other_generation:
                # Two owners in one generation: nobody keeps it (KAFKA-12984).
                multiple.add(tp)
                owned[other].pop(tp, None)
                previous_owner[tp] = member
            elif generation > other_generation:
                mine[tp] = None
                owned[other].pop(tp, None)
                previous_owner[tp] = member
            # else: the other member's claim is newer; it keeps the partition.
    return _Ownership(all_equal, owned, multiple, max_generation)


class _RackInfo:
    """``AbstractStickyAssignor.RackInfo``."""

    def __init__(self, view: GroupView, order: list[str], prefer: bool):
        consumers_by_rack: dict[str, list[str]] = {}
        for member in order:
            rack = view.consumer_rack(member)
            if rack is not None:
                consumers_by_rack.setdefault(rack, []).append(member)
        partition_racks: dict[TopicPartition, frozenset[str]] = {}
        all_racks: set[str] = set()
        if consumers_by_rack:
            for topic, n in view.partitions_per_topic.items():
                for p in range(n):
                    racks = view.partition_racks.get((topic, p), frozenset())
                    partition_racks[(topic, p)] = racks
                    all_racks |= racks
        if use_rack_aware_assignment(set(consumers_by_rack), all_racks, partition_racks, prefer):
            self.consumer_racks = {m: r for r, ms in consumers_by_rack.items() for m in ms}
            self.partition_racks = partition_racks
        else:
            self.consumer_racks = {}
            self.partition_racks = {}
        # Computed whenever consumers have racks, even when rack-aware assignment is off (as Java).
        counts = {r: len(ms) for r, ms in consumers_by_rack.items()}
        self.num_consumers_by_partition = {
            tp: sum(counts.get(r, 0) for r in racks) for tp, racks in partition_racks.items()
        }

    def racks_mismatch(self, consumer: str, tp: TopicPartition) -> bool:
        rack = self.consumer_racks.get(consumer)
        if rack is None:
            return False
        racks = self.partition_racks.get(tp)
        return racks is None or rack not in racks

    def sort_partitions_by_rack_consumers(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        if not self.num_consumers_by_partition:
            return partitions
        # Partitions that fewer consumers can read locally go first (stable sort, as Java's).
        return sorted(partitions, key=lambda tp: self.num_consumers_by_partition.get(tp, 0))

    def next_rack_consumer(self, tp: TopicPartition, consumers: Sequence[str], first_index: int) -> int:
        racks = self.partition_racks.get(tp)
        if not racks:
            return -1
        n = len(consumers)
        for i in range(n):
            index = (first_index + i) % n
            rack = self.consumer_racks.get(consumers[index])
            if rack is not None and rack in racks:
                return index
        return -1


# --------------------------------------------------------------------------------------------
# Constrained algorithm (all members subscribe to the same topics)
# --------------------------------------------------------------------------------------------


def _constrained_assign(
    view: GroupView, order: list[str], ownership: _Ownership, rack: _RackInfo
) -> tuple[dict[str, list[TopicPartition]], dict[TopicPartition, str]]:
    """``ConstrainedAssignmentBuilder.build``; returns the assignment and the transfers."""
    # Java walks consumerToOwnedPartitions, a fresh `new HashMap<>()` filled in the order the
    # subscriptions map was iterated: the same order in a real leader, re-derived here so that
    # an overridden subscriptions order (Kafka tests using `new HashMap<>(n)`) is honoured too.
    members = hash_map_order(order)
    total = sum(view.partitions_per_topic.values())
    n = len(members)
    min_quota = total // n
    max_quota = -(-total // n)
    expected_over_min = total % n  # members that must end with max_quota
    current_over_min = 0
    multiple = ownership.multiple_previous_owners
    transferring: dict[TopicPartition, str] = {}
    maybe_revoked: dict[TopicPartition, str] = {}
    assignment: dict[str, list[TopicPartition]] = {m: [] for m in members}
    assigned: set[TopicPartition] = set()
    under_min: list[str] = []  # unfilledMembersWithUnderMinQuotaPartitions
    exactly_min: deque[str] = deque()  # unfilledMembersWithExactlyMinQuotaPartitions

    # 1. Reassign previously owned partitions, visiting members in HashMap order.
    for member in members:
        owned = []
        for tp in ownership.owned[member]:
            if rack.racks_mismatch(member, tp):
                maybe_revoked[tp] = member  # rack-aware: give up partitions on other racks
            else:
                owned.append(tp)
        owned.sort(key=lambda tp: (tp[1], string_compare_key(tp[0])))
        if multiple:
            owned = [tp for tp in owned if tp not in multiple]
        mine = assignment[member]
        if len(owned) < min_quota:
            mine.extend(owned)
            assigned.update(owned)
            under_min.append(member)
        elif len(owned) >= max_quota and current_over_min < expected_over_min:
            current_over_min += 1
            if current_over_min == expected_over_min:
                exactly_min.clear()
            mine.extend(owned[:max_quota])
            assigned.update(owned[:max_quota])
            for tp in owned[max_quota:]:
                maybe_revoked[tp] = member
        else:
            mine.extend(owned[:min_quota])
            assigned.update(owned[:min_quota])
            for tp in owned[min_quota:]:
                maybe_revoked[tp] = member
            if current_over_min < expected_over_min:
                exactly_min.append(member)

    unassigned = [tp for tp in view.all_partitions() if tp not in assigned]
    under_min.sort(key=string_compare_key)
    exactly_min = deque(sorted(exactly_min, key=string_compare_key))
    unassigned = rack.sort_partitions_by_rack_consumers(unassigned)

    def assign_new_partition(tp: TopicPartition, consumer: str) -> int:
        mine = assignment[consumer]
        mine.append(tp)
        # It was owned (and released) by someone else, or claimed twice: it changes owner.
        previous = maybe_revoked.get(tp)
        if (previous is not None and previous != consumer) or tp in multiple:
            transferring[tp] = consumer
        return len(mine)

    # 2. Rack-aware round robin (only when rack-aware assignment is on).
    if rack.consumer_racks:
        remaining = []
        next_index = 0
        for tp in unassigned:
            consumer = None
            index = rack.next_rack_consumer(tp, under_min, next_index)
            if index >= 0:
                consumer = under_min[index]
                count = len(assignment[consumer]) + 1
                if count >= min_quota:
                    del under_min[index]
                    if count < max_quota and current_over_min < expected_over_min:
                        exactly_min.append(consumer)
                else:
                    index += 1
                next_index = index % len(under_min) if under_min else 0
            elif exactly_min:
                first = rack.next_rack_consumer(tp, exactly_min, 0)
                if first >= 0:
                    consumer = exactly_min[first]
                    if len(assignment[consumer]) + 1 == max_quota:
                        del exactly_min[first]
                        current_over_min += 1
                        if current_over_min == expected_over_min:
                            exactly_min.clear()
            if consumer is not None:
                assign_new_partition(tp, consumer)
            else:
                remaining.append(tp)
        unassigned = remaining

    # 3. Round robin: members under min_quota (sorted), then one each to members at min_quota.
    pos = 0  # the Java iterator over under_min: next index to return
    for tp in unassigned:
        from_iterator = True
        if pos < len(under_min):
            consumer = under_min[pos]
            pos += 1
        elif not under_min and not exactly_min:
            raise AssignorError("no more unfilled consumers to be assigned")
        elif not under_min:
            consumer = exactly_min.popleft()
            from_iterator = False
        else:
            consumer = under_min[0]
            pos = 1
        count = assign_new_partition(tp, consumer)
        if count == min_quota:
            if not from_iterator:
                raise AssignorError("a member at min quota reached min quota again")
            pos -= 1
            del under_min[pos]
            exactly_min.append(consumer)
        elif count == max_quota:
            current_over_min += 1

    # verifyUnfilledMembers: everyone left under min quota must in fact be at it.
    if under_min:
        if current_over_min != expected_over_min:
            raise AssignorError("expected number of members with more than min quota not reached")
        for member in under_min:
            if len(assignment[member]) != min_quota:
                raise AssignorError(f"consumer {member!r} does not reach min quota")
    return assignment, transferring


# --------------------------------------------------------------------------------------------
# General algorithm (subscriptions differ)
# --------------------------------------------------------------------------------------------


class _PartitionMovements:
    """``AbstractStickyAssignor.PartitionMovements``: where each partition moved this round."""

    def __init__(self) -> None:
        self.movements: dict[TopicPartition, tuple[str, str]] = {}
        self.by_topic: dict[str, dict[tuple[str, str], TopicPartitionHashSet]] = {}

    def _remove_record(self, tp: TopicPartition) -> tuple[str, str]:
        pair = self.movements.pop(tp)
        pairs = self.by_topic[tp[0]]
        pairs[pair].discard(tp)
        if not len(pairs[pair]):
            del pairs[pair]
        if not pairs:
            del self.by_topic[tp[0]]
        return pair

    def _add_record(self, tp: TopicPartition, pair: tuple[str, str]) -> None:
        self.movements[tp] = pair
        self.by_topic.setdefault(tp[0], {}).setdefault(pair, TopicPartitionHashSet()).add(tp)

    def move_partition(self, tp: TopicPartition, old: str, new: str) -> None:
        if tp in self.movements:
            src, _ = self._remove_record(tp)
            if src != new:  # not moving back to where it started
                self._add_record(tp, (src, new))
        else:
            self._add_record(tp, (old, new))

    def actual_partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        """``getTheActualPartitionToBeMoved``: prefer undoing an earlier move of the same topic.

        If a partition of this topic already moved from ``new`` to (the original owner of)
        ``old``, moving that one back keeps both members' original partitions; Java picks
        ``iterator().next()`` of a ``HashSet``, reproduced by :class:`TopicPartitionHashSet`.
        """
        pairs = self.by_topic.get(tp[0])
        if pairs is None:
            return tp
        if tp in self.movements:
            old = self.movements[tp][0]
        reverse = pairs.get((new, old))
        if reverse is None:
            return tp
        return reverse.first()


class _SortedConsumers:
    """Java's ``sortedCurrentSubscriptions`` TreeSet (by partition count, then member id).

    The general algorithm asks it: the smallest and largest count, and "the first member in
    this order that can take a partition of topic t" (optionally only members without a rack
    or on one of the partition's racks).  Members live in lazy min-heaps of
    ``(count, id key, member)``, one heap per *key*: either one key per (topic, rack), so that a
    query reads one or a few heaps and a count change pushes into every topic of the member;
    or one key per (set of eligible topics, rack), so that a change pushes once and a query
    reads every group containing the topic.  The caller picks the cheaper layout.
    """

    def __init__(self, counts: Callable[[str], int], member_keys: dict[str, list[tuple]],
                 topic_keys: dict[str, list[tuple]]) -> None:
        self._count = counts  # callable: member -> current count
        self._member_keys = member_keys
        self._topic_keys = topic_keys
        self._jkey = {m: string_compare_key(m) for m in member_keys}
        self._heaps: dict[tuple, list] = {k: [] for ks in member_keys.values() for k in ks}
        self._min: list = []
        self._max: list = []
        self.present: set[str] = set()

    def add(self, member: str) -> None:
        self.present.add(member)
        self.touch(member)

    def remove(self, member: str) -> None:
        self.present.discard(member)

    def touch(self, member: str) -> None:
        """Record the member's current count (call after every change)."""
        if member not in self.present:
            return
        count = self._count(member)
        entry = (count, self._jkey[member], member)
        for key in self._member_keys[member]:
            heapq.heappush(self._heaps[key], entry)
        heapq.heappush(self._min, entry)
        heapq.heappush(self._max, (-count, member))

    def _valid(self, count: int, member: str) -> bool:
        return member in self.present and self._count(member) == count

    def min_count(self) -> int:
        heap = self._min
        while not self._valid(heap[0][0], heap[0][2]):
            heapq.heappop(heap)
        return heap[0][0]

    def max_count(self) -> int:
        heap = self._max
        while not self._valid(-heap[0][0], heap[0][1]):
            heapq.heappop(heap)
        return -heap[0][0]

    def first_for_topic(self, topic: str, racks: frozenset[str] | None = None) -> tuple[int, str] | None:
        """The first member (by count, then id) eligible for ``topic``, and its count.

        Args:
            topic: the partition's topic.
            racks: when given, only members without a rack or on one of these racks.

        Returns:
            ``(count, member)`` or ``None``.
        """
        best = None
        for key in self._topic_keys.get(topic, ()):
            if racks is not None and key[1] is not None and key[1] not in racks:
                continue
            heap = self._heaps[key]
            while heap and not self._valid(heap[0][0], heap[0][2]):
                heapq.heappop(heap)
            if heap and (best is None or heap[0] < best):
                best = heap[0]
        return None if best is None else (best[0], best[2])


def _index_layout(potential_topics: dict[str, list[str]],
                  racks: dict[str, str]) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]]]:
    """Heap keys per member and per topic for :class:`_SortedConsumers` (the cheaper layout).

    A query for a topic costs one heap read per key of the topic; a count change costs one push
    per key of the member.  Per (topic, rack) keys make queries cheap and changes cost the
    member's topic count; per (topic set, rack) keys the other way round.
    """
    groups = {m: (frozenset(ts), racks.get(m)) for m, ts in potential_topics.items()}
    group_keys_of_topic: dict[str, list[tuple]] = {}
    for g in dict.fromkeys(groups.values()):
        for t in g[0]:
            group_keys_of_topic.setdefault(t, []).append(g)
    topics = max(1, len(group_keys_of_topic))
    groups_per_topic = sum(map(len, group_keys_of_topic.values())) / topics
    topics_per_member = sum(map(len, potential_topics.values())) / max(1, len(potential_topics))
    if groups_per_topic <= topics_per_member:
        return {m: [g] for m, g in groups.items()}, group_keys_of_topic
    member_keys = {m: [(t, racks.get(m)) for t in ts] for m, ts in potential_topics.items()}
    topic_keys: dict[str, list[tuple]] = {}
    for keys in member_keys.values():
        for key in keys:
            topic_keys.setdefault(key[0], [])
    for key in dict.fromkeys(k for keys in member_keys.values() for k in keys):
        topic_keys[key[0]].append(key)
    return member_keys, topic_keys


def _balance_score(counts: Iterable[int]) -> int:
    """``getBalanceScore``: the sum of |a - b| over all pairs of members."""
    ordered = sorted(counts)
    n = len(ordered)
    return sum(c * (2 * i - n + 1) for i, c in enumerate(ordered))


class _GeneralAssignment:
    """``GeneralAssignmentBuilder``."""

    def __init__(self, view: GroupView, order: list[str], ownership: _Ownership, rack: _RackInfo):
        self.view = view
        self.order = order
        self.rack = rack
        self.max_generation = ownership.max_generation
        ppt = view.partitions_per_topic
        # topic2AllPotentialConsumers / consumer2AllPotentialTopics
        self.potential_consumers: dict[str, list[str]] = {t: [] for t in ppt}
        self.potential_topics: dict[str, list[str]] = {}
        for member in order:
            topics = [t for t in view.subscriptions[member].topics if t in ppt]
            self.potential_topics[member] = topics
            for t in topics:
                self.potential_consumers[t].append(member)
        self.max_size = {m: sum(ppt[t] for t in ts) for m, ts in self.potential_topics.items()}
        self.current: dict[str, dict[TopicPartition, None]] = ownership.owned
        self.partition_consumer: dict[TopicPartition, str] = {
            tp: m for m, parts in self.current.items() for tp in parts
        }
        topic_order = sorted(ppt, key=lambda t: (len(self.potential_consumers[t]), string_compare_key(t)))
        self.sorted_all: list[TopicPartition] = [(t, p) for t in topic_order for p in range(ppt[t])]
        self.movements = _PartitionMovements()
        self.revocation_required = False
        self._version = 0
        self._balanced_at = (-1, False)

        member_keys, topic_keys = _index_layout(self.potential_topics, rack.consumer_racks)
        self.sorted_consumers = _SortedConsumers(self._count, member_keys, topic_keys)
        # isBalanced skips members whose count equals their number of potential partitions.
        self.not_full = _SortedConsumers(self._count, member_keys, topic_keys)
        # For isBalanced: which topics each member holds partitions of, and per topic a lazy
        # max-heap of its holders' counts.  Built when the reassignment phase starts.
        self.held: dict[str, dict[str, int]] = {}
        self.holder_heaps: dict[str, list] = {}

    def _count(self, member: str) -> int:
        return len(self.current[member])

    def build(self) -> dict[str, list[TopicPartition]]:
        previous = self._prepopulate_previous_assignment()
        assigned = self._assign_owned_partitions()
        if not assigned:
            unassigned = self.sorted_all  # Java returns the very same list object
        else:
            taken = set(assigned)
            unassigned = [tp for tp in self.sorted_all if tp not in taken]
        for member in self.current:
            self.sorted_consumers.add(member)
        self._balance(previous, unassigned)
        return {m: list(parts) for m, parts in self.current.items()}

    def _prepopulate_previous_assignment(self) -> dict[TopicPartition, tuple[str, int]]:
        # Claims from generations older than the newest one: the partition's previous owner,
        # used to move a partition back where it came from when that helps balance.
        previous: dict[TopicPartition, tuple[str, int]] = {}
        for member in self.order:
            generation = _optional_generation(self.view, member)
            if generation is not None and generation < self.max_generation:
                claim = generation
            elif generation is None and self.max_generation > DEFAULT_GENERATION:
                claim = DEFAULT_GENERATION
            else:
                continue
            for tp in self.view.owned[member]:
                if tp not in previous or claim > previous[tp][1]:
                    previous[tp] = (member, claim)
        return previous

    def _assign_owned_partitions(self) -> list[TopicPartition]:
        assigned = []
        for member, parts in self.current.items():
            topics = set(self.view.subscriptions[member].topics)
            for tp in list(parts):
                if tp[0] not in topics or self.rack.racks_mismatch(member, tp):
                    # No longer subscribed (or on another rack): it must be revoked.  Java
                    # leaves currentPartitionConsumer stale here; it is overwritten below.
                    del parts[tp]
                    self.revocation_required = True
                else:
                    assigned.append(tp)
        return assigned

    def _maybe_assign(self, partitions: list[TopicPartition], rack_matching: bool) -> list[TopicPartition]:
        """Assign each partition to the first eligible member; returns those left unassigned."""
        left = []
        for tp in partitions:
            racks = None
            if rack_matching:
                racks = self.rack.partition_racks.get(tp, frozenset())
            found = self.sorted_consumers.first_for_topic(tp[0], racks)
            if found is None:
                left.append(tp)
                continue
            member = found[1]
            self.current[member][tp] = None
            self.partition_consumer[tp] = member
            self.sorted_consumers.touch(member)
        return left

    def _can_participate(self, member: str) -> bool:
        parts = self.current[member]
        if len(parts) < self.max_size[member]:
            return True
        return any(len(self.potential_consumers[tp[0]]) >= 2 for tp in parts)

    def _balance(self, previous: dict[TopicPartition, tuple[str, int]], unassigned: list[TopicPartition]) -> None:
        initializing = self.sorted_consumers.max_count() == 0
        if self.rack.consumer_racks:
            left = self._maybe_assign(unassigned, rack_matching=True)
            self._maybe_assign(left, rack_matching=False)
        else:
            self._maybe_assign(unassigned, rack_matching=False)

        # Only partitions of topics with 2+ potential consumers can move.
        fixed_topics = {t for t, ms in self.potential_consumers.items() if len(ms) < 2}
        if fixed_topics:
            alias = unassigned is self.sorted_all
            self.sorted_all = [tp for tp in self.sorted_all if tp[0] not in fixed_topics]
            unassigned = self.sorted_all if alias else [tp for tp in unassigned if tp[0] not in fixed_topics]

        fixed: dict[str, dict[TopicPartition, None]] = {}
        for member in self.order:
            if not self._can_participate(member):
                self.sorted_consumers.remove(member)
                fixed[member] = self.current.pop(member)

        pre_balance = {m: dict(parts) for m, parts in self.current.items()}
        pre_balance_partition_consumer = dict(self.partition_consumer)
        for member, parts in self.current.items():
            held = self.held[member] = {}
            for topic, _ in parts:
                held[topic] = held.get(topic, 0) + 1
            self._touch_holder(member)
            self._touch_not_full(member)

        # Without forced revocations, first try to balance by moving only the new partitions.
        if not self.revocation_required:
            self._perform_reassignments(unassigned, previous)
        performed = self._perform_reassignments(self.sorted_all, previous)

        if (
            not initializing
            and performed
            and _balance_score(map(len, self.current.values())) >= _balance_score(map(len, pre_balance.values()))
        ):
            # Not better balanced than before: keep the previous assignment (stickiness wins).
            self.current.clear()
            self.current.update(pre_balance)
            self.partition_consumer = pre_balance_partition_consumer
            self._version += 1
        for member, parts in fixed.items():
            self.current[member] = parts

    def _touch_not_full(self, member: str) -> None:
        if len(self.current[member]) == self.max_size[member]:
            self.not_full.remove(member)
        elif member in self.not_full.present:
            self.not_full.touch(member)
        else:
            self.not_full.add(member)

    def _touch_holder(self, member: str) -> None:
        entry = (-len(self.current[member]), member)
        for topic in self.held[member]:
            heapq.heappush(self.holder_heaps.setdefault(topic, []), entry)

    def _max_holder_count(self, topic: str) -> int | None:
        heap = self.holder_heaps.get(topic)
        while heap:
            count, member = -heap[0][0], heap[0][1]
            if member in self.sorted_consumers.present and self.held[member].get(topic) and len(self.current[member]) == count:
                return count
            heapq.heappop(heap)
        return None

    def _is_balanced(self) -> bool:
        """``isBalanced``, evaluated once per state change, per topic instead of per partition.

        Java: balanced if counts differ by at most one, or if no member that lacks some of its
        potential partitions could take one from a member with 2+ more partitions.  Such a move
        exists iff some topic has a holder whose count is at least 2 above the smallest count
        among the topic's potential members that are not "full" (Java's test: count equal to
        the number of potential partitions).
        """
        if self._balanced_at[0] == self._version:
            return self._balanced_at[1]
        result = True
        if self.sorted_consumers.min_count() < self.sorted_consumers.max_count() - 1:
            for topic in self.holder_heaps:
                most = self._max_holder_count(topic)
                if most is None:
                    continue
                least = self.not_full.first_for_topic(topic)
                if least is not None and most >= least[0] + 2:
                    result = False
                    break
        self._balanced_at = (self._version, result)
        return result

    def _perform_reassignments(self, partitions: list[TopicPartition],
                               previous: dict[TopicPartition, tuple[str, int]]) -> bool:
        performed = False
        while True:
            modified = False
            for tp in partitions:
                if self._is_balanced():
                    break
                consumer = self.partition_consumer[tp]
                prev = previous.get(tp)
                if prev is not None:
                    prev_owner = prev[0]
                    if prev_owner not in self.current:
                        # Java: currentAssignment.get(...) is null -> NullPointerException.
                        # Happens when a member claimed the partition in an older generation and
                        # now cannot take any partition that moves (it is "fixed").
                        raise AssignorError(
                            f"{tp} was owned in an older generation by {prev_owner!r}, which can no "
                            "longer take partitions: Java's AbstractStickyAssignor throws "
                            "NullPointerException here",
                            "NullPointerException",
                        )
                    if self._count(consumer) > self._count(prev_owner) + 1:
                        self._reassign(tp, prev_owner)
                        performed = modified = True
                        continue
                # Is there a member with 2+ fewer partitions that can take it?  (Java first looks
                # for one on the partition's rack, then for any; both end in the same move.)
                best = self.sorted_consumers.first_for_topic(tp[0])
                if best is not None and self._count(consumer) > best[0] + 1:
                    self._reassign(tp, best[1])
                    performed = modified = True
            if not modified:
                return performed

    def _reassign(self, tp: TopicPartition, new: str) -> None:
        consumer = self.partition_consumer[tp]
        moved = self.movements.actual_partition_to_move(tp, consumer, new)
        old = self.partition_consumer[moved]
        self.movements.move_partition(moved, old, new)
        del self.current[old][moved]
        self.current[new][moved] = None
        self.partition_consumer[moved] = new
        topic = moved[0]
        self.held[old][topic] -= 1
        if not self.held[old][topic]:
            del self.held[old][topic]
        self.held[new][topic] = self.held[new].get(topic, 0) + 1
        self.sorted_consumers.touch(old)
        self.sorted_consumers.touch(new)
        self._touch_holder(old)
        self._touch_holder(new)
        self._touch_not_full(old)
        self._touch_not_full(new)
        self._version += 1


# --------------------------------------------------------------------------------------------
# The assignors
# --------------------------------------------------------------------------------------------


class AbstractStickyAssignor(BuiltinAssignor):
    """Java's ``AbstractStickyAssignor``: shared by ``sticky`` and ``cooperative-sticky``.

    Args:
        prefer_rack_aware_logic: Java's package-private test switch: use rack-aware assignment
            even when every partition has replicas on every rack.  Off in real consumers.
    """

    def __init__(self, *, prefer_rack_aware_logic: bool = False) -> None:
        self.prefer_rack_aware_logic = prefer_rack_aware_logic

    def assign_with_details(
        self,
        partitions_per_topic: Mapping[str, int],
        subscriptions: Mapping[str, Any],
        partition_racks: Mapping[TopicPartition, Iterable[str]] | None = None,
        *,
        java_member_order: list[str] | None = None,
    ) -> StickyOutcome:
        """Like :meth:`assign`, and also report how the result was reached.

        Args:
            partitions_per_topic: ``{topic: partition count}``.
            subscriptions: ``{member_id: Subscription}``.
            partition_racks: ``{(topic, partition): replica racks}``, or ``None``.
            java_member_order: override the ``HashMap`` iteration order of the members (the
                default is the order of ``ConsumerCoordinator``'s ``new HashMap<>()``).  Only
                needed to replay Kafka tests that build their map differently.

        Returns:
            A :class:`StickyOutcome`.

        Raises:
            TypeError, ValueError: bad input, as for :meth:`assign`.
        """
        view = GroupView.build(partitions_per_topic, subscriptions, partition_racks)
        if java_member_order is not None:
            if sorted(java_member_order) != sorted(view.subscriptions):
                raise ValueError("java_member_order must list exactly the members of subscriptions")
            view.java_order = list(java_member_order)
        return self._run(view)

    def _assign(self, view: GroupView) -> dict[str, list[TopicPartition]]:
        return self._run(view).assignment

    def _run(self, view: GroupView) -> StickyOutcome:
        if not view.subscriptions:
            return StickyOutcome({}, True, {}, {}, None)
        order = view.java_order
        ownership = _all_subscriptions_equal(view, order)
        rack = _RackInfo(view, order, self.prefer_rack_aware_logic)
        if ownership.all_equal:
            raw, transferring = _constrained_assign(view, order, ownership, rack)
            outcome = StickyOutcome(finish(view, raw), True, transferring, {}, None)
        else:
            general = _GeneralAssignment(view, order, ownership, rack)
            raw = general.build()
            outcome = StickyOutcome(finish(view, raw), False, None, {}, general.movements.movements)
        return self._adjust(view, outcome)

    def _adjust(self, view: GroupView, outcome: StickyOutcome) -> StickyOutcome:
        return outcome


class StickyAssignor(AbstractStickyAssignor):
    """The eager ``sticky`` assignor (Java ``StickyAssignor``, KIP-54).

    Previous ownership comes from :attr:`Subscription.owned_partitions` and
    :attr:`Subscription.generation` (Kafka keeps it in the assignor's user data).
    """

    name = "sticky"
    supported_protocols = (RebalanceProtocol.EAGER,)


class CooperativeStickyAssignor(AbstractStickyAssignor):
    """The ``cooperative-sticky`` assignor (Java ``CooperativeStickyAssignor``, KIP-429).

    Same placement as ``sticky``, but every partition that changes owner is withheld for one
    round: the old owner gives it up now, and the follow-up rebalance (which the old owner
    requests after revoking) hands it to the new owner.
    """

    name = "cooperative-sticky"
    supported_protocols = (RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)

    def _adjust(self, view: GroupView, outcome: StickyOutcome) -> StickyOutcome:
        if outcome.partitions_transferring_ownership is not None:
            transferring = outcome.partitions_transferring_ownership
        else:
            transferring = _compute_partitions_transferring_ownership(view, outcome.assignment)
        for tp, member in transferring.items():
            outcome.assignment[member].remove(tp)
        outcome.withheld = dict(transferring)
        return outcome


def _compute_partitions_transferring_ownership(
    view: GroupView, assignment: Assignment
) -> dict[TopicPartition, str]:
    """``CooperativeStickyAssignor.computePartitionsTransferringOwnership``.

    After the general algorithm: a partition is transferring if some member is given it without
    owning it while some member owns it and is not given it (owned partitions as sent, whatever
    their generation).
    """
    added: dict[TopicPartition, str] = {}
    revoked: set[TopicPartition] = set()
    for member, parts in assignment.items():
        owned = view.subscriptions[member].owned_partitions
        owned_set = set(owned)
        for tp in parts:
            if tp not in owned_set:
                added[tp] = member
        parts_set = set(parts)
        revoked.update(tp for tp in owned if tp not in parts_set)
    return {tp: m for tp, m in added.items() if tp in revoked}
