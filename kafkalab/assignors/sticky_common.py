"""What both sticky algorithms start from: the members' previous ownership (step 1 of
:mod:`kafkalab.assignors.sticky_assignor`) and the racks (step 4), as Java's
``AbstractStickyAssignor.allSubscriptionsEqual`` and ``RackInfo`` compute them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafkalab.assignors.base import DEFAULT_GENERATION, GroupView, TopicPartition
from kafkalab.assignors.builtin import use_rack_aware_assignment


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
