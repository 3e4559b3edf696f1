"""Shared plumbing of the four built-in assignors: validate once, run, return sorted lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kafkalab.java import string_compare_key
from kafkalab.assignors.base import Assignment, Assignor, GroupView, TopicPartition


def use_rack_aware_assignment(
    consumer_racks: set[str],
    partition_racks: set[str],
    racks_per_partition: Mapping[Any, frozenset[str]],
    prefer_rack_aware_logic: bool = False,
) -> bool:
    """``AbstractPartitionAssignor.useRackAwareAssignment`` (KIP-881).

    Rack-aware assignment is worth it only when some consumer has a rack, some replica is on one
    of those racks, and *not every partition has replicas on every rack* (if it had, any
    consumer would be local to any partition).

    Args:
        consumer_racks: racks of the consumers concerned.
        partition_racks: union of the replica racks of the partitions concerned.
        racks_per_partition: each partition's replica racks.
        prefer_rack_aware_logic: Java's test-only switch that skips the last condition.

    Returns:
        Whether to run the rack-aware variant.
    """
    if not consumer_racks or consumer_racks.isdisjoint(partition_racks):
        return False
    if prefer_rack_aware_logic:
        return True
    return not all(racks == partition_racks for racks in racks_per_partition.values())


def sorted_partitions(partitions: Iterable[TopicPartition], plain_order: bool | None = None) -> list[TopicPartition]:
    """Sort ``(topic, partition)`` pairs like Java's ``TopicPartitionComparator``.

    Args:
        partitions: the pairs.
        plain_order: whether Python's str order is Java's for these topics (computed if None).
    """
    parts = list(partitions)
    if plain_order is None:
        plain_order = all(max(t, default="\0") < "\U00010000" for t in {tp[0] for tp in parts})
    if plain_order:
        # Without characters beyond the BMP, Python's str order is Java's String.compareTo order.
        parts.sort()
    else:
        parts.sort(key=lambda tp: (string_compare_key(tp[0]), tp[1]))
    return parts


class BuiltinAssignor(Assignor):
    """A built-in assignor: validates its input with :class:`GroupView` and runs ``_assign``.

    The result lists every member in input order; each member's partitions are sorted by topic
    and partition.  (Kafka returns Java lists whose order is an artifact of hash-map iteration;
    the consumer applies its assignment as a set, so kafkalab sorts them.)
    """

    def assign(
        self,
        partitions_per_topic: Mapping[str, int],
        subscriptions: Mapping[str, Any],
        partition_racks: Mapping[TopicPartition, Iterable[str]] | None = None,
    ) -> Assignment:
        """Compute the group assignment.

        Args:
            partitions_per_topic: ``{topic: partition count}``; topics nobody subscribes to, or
                with no partitions, are ignored.
            subscriptions: ``{member_id: Subscription}`` (a dict with the same keys, or a plain
                collection of topics, is accepted too).
            partition_racks: ``{(topic, partition): racks of its replicas}`` for rack-aware
                assignment (KIP-881); ``None`` when racks are unknown.

        Returns:
            ``{member_id: sorted [(topic, partition), ...]}``, every member present.

        Raises:
            TypeError: an argument has the wrong type (the message names the member or topic).
            ValueError: a negative partition count or partition number.
        """
        view = GroupView.build(partitions_per_topic, subscriptions, partition_racks)
        if not view.subscriptions:
            return {}
        return finish(view, self._assign(view))

    def _assign(self, view: GroupView) -> Mapping[str, Iterable[TopicPartition]]:
        raise NotImplementedError


def finish(view: GroupView, raw: Mapping[str, Iterable[TopicPartition]]) -> Assignment:
    """Every member in input order, each with a sorted list."""
    plain = view.plain_str_order_is_java_order
    return {m: sorted_partitions(raw.get(m, ()), plain) for m in view.subscriptions}
