"""The ``range`` server-side assignor, computed exactly as Kafka's ``RangeAssignor``.

How it works (Kafka's ``group-coordinator/.../assignor/RangeAssignor.java``):

* Members are sorted (``sortMemberIds``): static members first, by ``group.instance.id``, then
  the others by member id, both compared as Java strings (UTF-16 code units).
* Every topic is cut into contiguous ranges over its subscribers in that order: with N
  partitions and S subscribers, each gets ``N // S`` partitions, and the first ``N % S`` one more
  (``TopicMetadata.maybeComputeQuota``, ``addPartitionsToAssignment``).  Subscribers beyond the
  partition count get nothing from that topic.
* HOMOGENEOUS groups (``assignHomogeneousGroup``) take the topics of the first sorted member and
  S = the group size; HETEROGENEOUS ones (``assignHeterogeneousGroup``) count each topic's
  subscribers.  When every topic has the same partition count the result is co-partitioned.
* The current assignment is ignored: range is **not sticky**.  A static member that rejoins with
  a new member id under the same instance id gets its old ranges back (``testStaticMembership``),
  which is the only stickiness it has.
* Every member is in the result, with an empty assignment when it gets nothing.  Ranges are
  :class:`RangeSet` objects, like Kafka's ``RangeSet``.
"""

from __future__ import annotations

from types import MappingProxyType

from kafkalab.java import string_compare_key
from kafkalab.modern.assignor.api import (
    ConsumerGroupPartitionAssignor,
    GroupAssignment,
    GroupSpec,
    MemberAssignment,
    PartitionAssignorError,
    RangeSet,
    SubscribedTopicDescriber,
    SubscriptionType,
)

_NON_EXISTENT = "Member is subscribed to a non-existent topic"
_range_set = RangeSet._of
_new = object.__new__


def _java_sorted(items: list, key) -> list:
    # String.compareTo order.  For ASCII strings it is Python's own (and faster); a stable sort,
    # like Java's List.sort.
    if all(key(i).isascii() for i in items):
        return sorted(items, key=key)
    return sorted(items, key=lambda i: string_compare_key(key(i)))


def sort_member_ids(group_spec: GroupSpec) -> list[str]:
    """Kafka's ``RangeAssignor.sortMemberIds``.

    Args:
        group_spec: the group.

    Returns:
        Static members by instance id, then dynamic members by member id (Java string order;
        the sort is stable, like Java's).
    """
    members = group_spec.members
    static = [m for m, spec in members.items() if spec.instance_id is not None]
    if not static:
        return _java_sorted(list(members), str)
    dynamic = [m for m, spec in members.items() if spec.instance_id is None]
    return _java_sorted(static, lambda m: members[m].instance_id) + _java_sorted(dynamic, str)


class RangeAssignor(ConsumerGroupPartitionAssignor):
    """Kafka's ``RangeAssignor`` (``"range"``): contiguous ranges per topic, co-partitioned, not sticky."""

    name = "range"

    def assign(self, group_spec: GroupSpec, subscribed_topic_describer: SubscribedTopicDescriber) -> GroupAssignment:
        """Compute the new target assignment.

        Args:
            group_spec: the members and their subscriptions (current assignments are ignored).
            subscribed_topic_describer: partition counts of the subscribed topics.

        Returns:
            The new target assignment, with every member.

        Raises:
            PartitionAssignorError: a member subscribes to a topic the describer does not know.
        """
        if not group_spec.members:
            return GroupAssignment._trusted({})
        if group_spec.subscription_type is SubscriptionType.HOMOGENEOUS:
            return self._assign_homogeneous_group(group_spec, subscribed_topic_describer)
        return self._assign_heterogeneous_group(group_spec, subscribed_topic_describer)

    @staticmethod
    def _assign_homogeneous_group(group_spec: GroupSpec, describer: SubscribedTopicDescriber) -> GroupAssignment:
        member_ids = sort_member_ids(group_spec)
        topics = group_spec.members[member_ids[0]].subscribed_topic_ids
        for topic_id in topics:
            if describer.num_partitions(topic_id) == -1:
                raise PartitionAssignorError(_NON_EXISTENT)
        everyone = range(len(member_ids))
        return _ranges(member_ids, [(topic_id, describer.num_partitions(topic_id), everyone) for topic_id in topics])

    @staticmethod
    def _assign_heterogeneous_group(group_spec: GroupSpec, describer: SubscribedTopicDescriber) -> GroupAssignment:
        member_ids = sort_member_ids(group_spec)
        members = group_spec.members
        # Each topic's subscribers, as positions in the sorted member list (ascending).
        by_subscription: dict[tuple, list[int]] = {}
        for position, member_id in enumerate(member_ids):
            by_subscription.setdefault(members[member_id].subscribed_topic_ids, []).append(position)
        subscribers: dict = {}
        for topic_ids, positions in by_subscription.items():
            for topic_id in topic_ids:
                subscribers.setdefault(topic_id, []).extend(positions)
        if len(by_subscription) > 1:
            for positions in subscribers.values():
                positions.sort()
        for topic_id in subscribers:
            if describer.num_partitions(topic_id) == -1:
                raise PartitionAssignorError(_NON_EXISTENT)
        return _ranges(member_ids, [(t, describer.num_partitions(t), positions) for t, positions in subscribers.items()])


def _ranges(member_ids: list[str], topics: list[tuple]) -> GroupAssignment:
    """Cut every topic into ranges over its subscribers (``addPartitionsToAssignment``).

    The subscriber at rank k (of S, in sorted member order) of a topic with N partitions gets
    ``[k*q + min(k, r), ...)`` of size ``q + (k < r)``, where ``q, r = divmod(N, S)``: the ranges
    Kafka hands out one member after the other.  Topics with the same partition count and the
    same subscribers give every member the same range, so they share one (immutable) RangeSet.

    Args:
        member_ids: the sorted member ids.
        topics: ``(topic id, partition count, subscriber positions in member_ids)``.

    Returns:
        The assignment, with every member.
    """
    classes: dict[tuple, list] = {}
    for topic_id, n, positions in topics:
        key = (n, positions if type(positions) is range else tuple(positions))
        group = classes.get(key)
        if group is None:
            classes[key] = [topic_id]
        else:
            group.append(topic_id)
    assignments: list[dict] = [{} for _ in member_ids]
    range_sets: dict[range, RangeSet] = {}  # immutable, so members can share them
    for (n, positions), topic_ids in classes.items():
        count = len(positions)
        quota, extra = divmod(n, count)
        start = 0
        for rank in range(count if quota else extra):
            end = start + quota + (1 if rank < extra else 0)
            r = range(start, end)
            ranges = range_sets.get(r)
            if ranges is None:
                ranges = range_sets[r] = _range_set(r)
            assignment = assignments[positions[rank]]
            if len(topic_ids) == 1:
                assignment[topic_ids[0]] = ranges
            else:
                assignment.update(dict.fromkeys(topic_ids, ranges))
            start = end
    out = {}
    for member_id, assignment in zip(member_ids, assignments):
        out[member_id] = result = _new(MemberAssignment)
        result.partitions = MappingProxyType(assignment)
    return GroupAssignment._trusted(out)
