"""Which Java ``HashSet`` orders the uniform assignor sees, and fast paths for the usual cases.

Two steps of Kafka's ``UniformHomogeneousAssignmentBuilder`` depend on the iteration order of a
``new HashSet<>(collection)`` (the order itself is :func:`kafkalab.java.hash_set_order`):

* the subscribed topics, ``new HashSet<>(firstMember.subscribedTopicIds())``: :func:`topic_order`;
* for a member that holds more partitions of a topic than its quota, which ones it keeps: the
  first ones its ``Set<Integer>`` yields, which Kafka's coordinator loads as
  ``new HashSet<>(partitionList)`` from an ascending list: :func:`partition_order`.

``Integer.hashCode()`` is the value and ``Integer.compareTo`` the numeric order;
``Uuid.hashCode()`` is :meth:`Uuid.java_hash_code` and ``Uuid.compareTo`` :attr:`Uuid.compare_key`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kafkalab.java import collection_capacity, hash_set_order
from kafkalab.modern.assignor.topic_id import Uuid


def _int_value(p: int) -> int:
    return p


def partition_order(partitions: Iterable[int]) -> list[int]:
    """How Java iterates a partition set built as ``new HashSet<>(ascending partitions)``.

    Args:
        partitions: distinct non-negative partition numbers, in any order.

    Returns:
        The partitions in iteration order: ascending when every partition is below the table size
        (the usual case, answered without hashing), else by bucket.
    """
    ordered = sorted(partitions)
    if not ordered or ordered[-1] < collection_capacity(len(ordered)):
        return ordered  # bucket p holds p alone: ascending buckets are ascending partitions
    return hash_set_order(ordered, _int_value, _int_value)


def topic_order(topic_ids: Sequence[Uuid]) -> list[Uuid]:
    """How Java iterates ``new HashSet<>(topicIds)`` for topic ids given in this order.

    Args:
        topic_ids: distinct topic ids in the source set's iteration order.

    Returns:
        The topic ids in Java iteration order.
    """
    return hash_set_order(topic_ids, Uuid.java_hash_code, Uuid.compare_key.fget)
