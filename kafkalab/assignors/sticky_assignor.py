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

Where each step lives: steps 1 and 4 in :mod:`kafkalab.assignors.sticky_common`, step 3 in
:mod:`kafkalab.assignors.sticky_general`; step 2, the two assignors and the withholding of
``cooperative-sticky`` here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kafkalab.java import hash_map_order, string_compare_key
from kafkalab.assignors.base import (
    Assignment,
    AssignorError,
    GroupView,
    RebalanceProtocol,
    TopicPartition,
)
from kafkalab.assignors.builtin import BuiltinAssignor, finish
from kafkalab.assignors.sticky_common import _all_subscriptions_equal, _Ownership, _RackInfo
from kafkalab.assignors.sticky_general import _GeneralAssignment


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
