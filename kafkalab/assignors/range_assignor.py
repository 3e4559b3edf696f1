"""``range``: Java's ``org.apache.kafka.clients.consumer.RangeAssignor``, including KIP-881 racks.

Per topic, the members subscribed to it are put in ``MemberInfo`` order (static members by
``group.instance.id`` first, then dynamic members by member id) and the partitions in numeric
order; with P partitions and C members each member gets ``P // C`` consecutive partitions and
the first ``P % C`` members one more.  Topics are independent, so a member subscribed to many
topics with few partitions each can end up with far more partitions than another member.

Rack-aware variant (Kafka 3.5+, KIP-881), used when at least one topic "needs" it (see
:func:`~kafkalab.assignors.builtin.use_rack_aware_assignment`): before the plain pass, each
member first takes partitions with a replica on its own rack, within the same per-topic quotas.
Topics subscribed by exactly the same members and with the same number of partitions are
handled together, partition index by partition index, so that partition *i* of all of them
lands on one member: co-partitioning is preserved even at the cost of rack alignment.  Whatever
is left is assigned by the plain pass.
"""

from __future__ import annotations

from kafkalab.assignors.base import Assignment, GroupView, RebalanceProtocol, TopicPartition
from kafkalab.assignors.builtin import BuiltinAssignor, use_rack_aware_assignment


class _TopicAssignmentState:
    """``RangeAssignor.TopicAssignmentState``: one topic's quotas and unassigned partitions."""

    def __init__(self, topic: str, num_partitions: int, consumers: list[str], view: GroupView, prefer: bool):
        self.topic = topic
        self.consumers = consumers
        self.rack_of = {c: view.consumer_rack(c) for c in consumers}
        # LinkedHashSet of partition numbers: ordered, O(1) removal.
        self.unassigned: dict[int, None] = dict.fromkeys(range(num_partitions))
        self.num_assigned = dict.fromkeys(consumers, 0)
        self.per_consumer = num_partitions // len(consumers) if consumers else 0
        self.remaining_with_extra = num_partitions % len(consumers) if consumers else 0

        consumer_racks = {r for r in self.rack_of.values() if r is not None}
        self.partition_racks: dict[int, frozenset[str]] = {}
        all_partition_racks: set[str] = set()
        if consumer_racks:
            for p in range(num_partitions):
                racks = view.partition_racks.get((topic, p), frozenset())
                self.partition_racks[p] = racks
                all_partition_racks |= racks
        self.needs_rack_aware = use_rack_aware_assignment(
            consumer_racks, all_partition_racks, self.partition_racks, prefer
        )
        # Per rack: the partitions with a replica there, and how far every earlier entry is
        # already assigned (so each member's "first k matching partitions" scan is amortised).
        self._rack_lists: dict[str, list[int]] = {}
        self._rack_pos: dict[str, int] = {}

    def racks_match(self, consumer: str, p: int) -> bool:
        # A consumer without a rack matches every partition.
        rack = self.rack_of[consumer]
        return rack is None or rack in self.partition_racks.get(p, ())

    def max_assignable(self, consumer: str) -> int:
        extra = 1 if self.remaining_with_extra > 0 else 0
        return max(0, self.per_consumer + extra - self.num_assigned[consumer])

    def on_assigned(self, consumer: str, partitions: list[int]) -> None:
        self.num_assigned[consumer] += len(partitions)
        if self.num_assigned[consumer] > self.per_consumer:
            self.remaining_with_extra -= 1
        for p in partitions:
            del self.unassigned[p]

    def first_unassigned(self, consumer: str, limit: int, rack_matching: bool) -> list[int]:
        """The first ``limit`` unassigned partitions, optionally only those on the consumer's rack."""
        if limit <= 0:
            return []
        rack = self.rack_of[consumer] if rack_matching else None
        if rack is None:
            out = []
            for p in self.unassigned:
                out.append(p)
                if len(out) == limit:
                    break
            return out
        if rack not in self._rack_lists:
            self._rack_lists[rack] = [p for p, racks in self.partition_racks.items() if rack in racks]
            self._rack_pos[rack] = 0
        candidates, i, out = self._rack_lists[rack], self._rack_pos[rack], []
        while i < len(candidates) and len(out) < limit:
            if candidates[i] in self.unassigned:
                out.append(candidates[i])
            i += 1
        self._rack_pos[rack] = i
        return out


class RangeAssignor(BuiltinAssignor):
    """The ``range`` assignor (Java ``RangeAssignor``): per-topic contiguous ranges.

    Javadoc example: C0 and C1 subscribe to t0 and t1, three partitions each ->
    ``C0: [t0p0, t0p1, t1p0, t1p1]``, ``C1: [t0p2, t1p2]``.

    Args:
        prefer_rack_aware_logic: Java's package-private test switch: run the rack-aware pass
            even when every partition has replicas on every rack.  Off in real consumers.
    """

    name = "range"
    supported_protocols = (RebalanceProtocol.EAGER,)

    def __init__(self, *, prefer_rack_aware_logic: bool = False) -> None:
        self.prefer_rack_aware_logic = prefer_rack_aware_logic

    def _assign(self, view: GroupView) -> dict[str, list[TopicPartition]]:
        # MemberInfo order.  Java sorts each topic's member list (built in HashMap order) with a
        # stable sort; sorting all members once and filtering per topic is the same.
        ordered = view.member_info_order()
        consumers_per_topic: dict[str, list[str]] = {}
        for member in ordered:
            for topic in view.subscriptions[member].topics:
                consumers_per_topic.setdefault(topic, []).append(member)
        assignment: dict[str, list[TopicPartition]] = {m: [] for m in view.subscriptions}

        if not any(view.consumer_rack(m) for m in ordered):
            # No consumer rack: no rack pass, and the plain pass is plain arithmetic.
            for topic, n in view.partitions_per_topic.items():
                members = consumers_per_topic.get(topic, [])
                if not members:
                    continue
                per, extra = divmod(n, len(members))
                partitions = [(topic, p) for p in range(n)]
                start = 0
                for i, member in enumerate(members):
                    size = per + 1 if i < extra else per
                    assignment[member].extend(partitions[start:start + size])
                    start += size
            return assignment

        states = [
            _TopicAssignmentState(topic, n, consumers_per_topic.get(topic, []), view, self.prefer_rack_aware_logic)
            for topic, n in view.partitions_per_topic.items()
        ]
        if any(s.needs_rack_aware for s in states):
            self._assign_with_rack_matching(states, assignment)
        for state in states:
            self._assign_ranges(state, False, assignment)
        return assignment

    @staticmethod
    def _give(consumer: str, partitions: list[int], state: _TopicAssignmentState, assignment: Assignment) -> None:
        assignment[consumer].extend((state.topic, p) for p in partitions)
        state.on_assigned(consumer, partitions)

    def _assign_ranges(self, state: _TopicAssignmentState, rack_matching: bool, assignment: Assignment) -> None:
        for consumer in state.consumers:
            if not state.unassigned:
                break
            partitions = state.first_unassigned(consumer, state.max_assignable(consumer), rack_matching)
            if partitions:
                self._give(consumer, partitions, state, assignment)

    def _assign_with_rack_matching(self, states: list[_TopicAssignmentState], assignment: Assignment) -> None:
        # Java groups by (consumer map, partitionRacks.size()); partitionRacks is empty for a
        # topic whose consumers have no rack, so such topics group under size 0 (and do nothing).
        groups: dict[tuple, list[_TopicAssignmentState]] = {}
        for s in states:
            groups.setdefault((tuple(s.consumers), len(s.partition_racks)), []).append(s)
        for (consumers, num_partitions), group in groups.items():
            if len(group) > 1:
                self._assign_co_partitioned(list(consumers), num_partitions, group, assignment)
            elif group[0].needs_rack_aware:
                self._assign_ranges(group[0], True, assignment)

    def _assign_co_partitioned(self, consumers: list[str], num_partitions: int, group: list[_TopicAssignmentState],
                               assignment: Assignment) -> None:
        remaining = consumers
        for p in range(num_partitions):
            match = next(
                (
                    c
                    for c in remaining
                    if all(s.racks_match(c, p) and s.max_assignable(c) > 0 for s in group)
                ),
                None,
            )
            if match is None:
                continue
            for s in group:
                self._give(match, [p], s, assignment)
            if all(s.max_assignable(match) <= 0 for s in group):
                remaining = [c for c in remaining if c != match]
                if not remaining:
                    break
