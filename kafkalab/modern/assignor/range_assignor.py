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

from kafkalab.assignors._java import java_key
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
_new_range = RangeSet.__new__


def _range_set(start: int, end: int) -> RangeSet:
    r = _new_range(RangeSet)
    r.start = start
    r.end = end
    return r


def sort_member_ids(group_spec: GroupSpec) -> list[str]:
    """Kafka's ``RangeAssignor.sortMemberIds``.

    Args:
        group_spec: the group.

    Returns:
        Static members by instance id, then dynamic members by member id (Java string order;
        the sort is stable, like Java's).
    """
    members = group_spec.members

    def key(member_id: str) -> tuple[int, bytes]:
        instance_id = members[member_id].instance_id
        if instance_id is not None:
            return (0, java_key(instance_id))
        return (1, java_key(member_id))

    return sorted(members, key=key)


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
        num_members = len(member_ids)
        topics = []
        for topic_id in group_spec.members[member_ids[0]].subscribed_topic_ids:
            n = describer.num_partitions(topic_id)
            if n == -1:
                raise PartitionAssignorError(_NON_EXISTENT)
            topics.append((topic_id, n))
        # Member j (in sorted order) gets [j*q + min(j, r), ...) of size q (+1 while j < r):
        # the same ranges as handing them out one member after the other.
        assignments: list[dict] = [{} for _ in member_ids]
        for topic_id, n in topics:
            quota, extra = divmod(n, num_members)
            start = 0
            for assignment in assignments[: n if quota == 0 else num_members]:
                end = start + quota + (1 if extra > 0 else 0)
                if extra > 0:
                    extra -= 1
                assignment[topic_id] = _range_set(start, end)
                start = end
        return GroupAssignment._trusted({
            m: MemberAssignment._trusted(MappingProxyType(a)) for m, a in zip(member_ids, assignments)
        })

    @staticmethod
    def _assign_heterogeneous_group(group_spec: GroupSpec, describer: SubscribedTopicDescriber) -> GroupAssignment:
        member_ids = sort_member_ids(group_spec)
        members = group_spec.members
        # topic id -> [partitions, subscribers, min quota (-1: not computed yet), extra, next range]
        topics: dict = {}
        for member_id in member_ids:
            for topic_id in members[member_id].subscribed_topic_ids:
                meta = topics.get(topic_id)
                if meta is None:
                    n = describer.num_partitions(topic_id)
                    if n == -1:
                        raise PartitionAssignorError(_NON_EXISTENT)
                    meta = topics[topic_id] = [n, 0, -1, -1, 0]
                meta[1] += 1
        out = {}
        for member_id in member_ids:
            assignment = {}
            for topic_id in members[member_id].subscribed_topic_ids:
                meta = topics[topic_id]
                if meta[2] == -1:
                    meta[2], meta[3] = divmod(meta[0], meta[1])
                start = meta[4]
                quota = meta[2]
                if meta[3] > 0:
                    quota += 1
                    meta[3] -= 1
                end = min(start + quota, meta[0])
                meta[4] = end
                if start < end:
                    assignment[topic_id] = _range_set(start, end)
            out[member_id] = MemberAssignment._trusted(MappingProxyType(assignment))
        return GroupAssignment._trusted(out)
