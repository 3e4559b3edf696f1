"""The general sticky algorithm (step 3 of :mod:`kafkalab.assignors.sticky_assignor`): Java's
``AbstractStickyAssignor.GeneralAssignmentBuilder``, for groups whose members subscribe to
different topics."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from kafkalab.java import TopicPartitionHashSet, string_compare_key
from kafkalab.assignors.base import (
    DEFAULT_GENERATION,
    AssignorError,
    GroupView,
    TopicPartition,
)
from kafkalab.assignors.sticky_common import _optional_generation, _Ownership, _RackInfo


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
