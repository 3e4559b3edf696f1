"""Small measurements of an assignment, for the notebooks' plots and tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple, cast

from kafkalab.assignors.base import TopicPartition
from kafkalab.assignors.builtin import sorted_partitions


class PartitionMove(NamedTuple):
    """A partition whose owner changed; ``None`` means "nobody"."""

    partition: TopicPartition
    from_member: str | None
    to_member: str | None


def _owners(assignment: Mapping[str, Iterable[TopicPartition]], what: str) -> dict[TopicPartition, str]:
    if not isinstance(assignment, Mapping):
        raise TypeError(f"{what} must be a mapping {{member_id: [(topic, partition), ...]}}, not {type(assignment).__name__}")
    owners: dict[TopicPartition, str] = {}
    for member, partitions in assignment.items():
        for partition in partitions:
            tp = cast(TopicPartition, tuple(partition))  # a list [topic, p] counts as the tuple
            if tp in owners:
                raise ValueError(f"{what}: partition {tp} is assigned to both {owners[tp]!r} and {member!r}")
            owners[tp] = member
    return owners


def member_counts(assignment: Mapping[str, Iterable[TopicPartition]]) -> dict[str, int]:
    """Number of partitions per member.

    Args:
        assignment: ``{member_id: [(topic, partition), ...]}``.

    Returns:
        ``{member_id: count}`` in the assignment's member order.
    """
    if not isinstance(assignment, Mapping):
        raise TypeError(f"assignment must be a mapping, not {type(assignment).__name__}")
    return {member: len(list(partitions)) for member, partitions in assignment.items()}


def balance(assignment: Mapping[str, Iterable[TopicPartition]]) -> int:
    """Spread of the assignment: largest minus smallest partition count (0 when balanced best).

    Args:
        assignment: ``{member_id: [(topic, partition), ...]}``.

    Returns:
        ``max - min`` over the members' counts; 0 for an empty group.
    """
    counts = member_counts(assignment).values()
    return max(counts) - min(counts) if counts else 0


def moved_partitions(
    before: Mapping[str, Iterable[TopicPartition]], after: Mapping[str, Iterable[TopicPartition]]
) -> list[PartitionMove]:
    """Partitions whose owner differs between two assignments.

    A partition only in ``after`` moves from ``None``; one only in ``before`` (for example a
    partition ``cooperative-sticky`` withholds for a round) moves to ``None``.

    Args:
        before: the earlier assignment (or the members' owned partitions).
        after: the later assignment.

    Returns:
        One :class:`PartitionMove` per changed partition, sorted by partition.

    Raises:
        ValueError: an assignment gives a partition to two members.
    """
    old = _owners(before, "before")
    new = _owners(after, "after")
    changed = [tp for tp in set(old) | set(new) if old.get(tp) != new.get(tp)]
    return [PartitionMove(tp, old.get(tp), new.get(tp)) for tp in sorted_partitions(changed)]


def unowned_partitions(
    partitions_per_topic: Mapping[str, int], assignment: Mapping[str, Iterable[TopicPartition]]
) -> list[TopicPartition]:
    """Partitions that exist but that no member has (e.g. withheld during a cooperative rebalance).

    Args:
        partitions_per_topic: ``{topic: partition count}``.
        assignment: ``{member_id: [(topic, partition), ...]}``.

    Returns:
        The unowned partitions, sorted.
    """
    owners = _owners(assignment, "assignment")
    return sorted_partitions(
        (t, p) for t, n in partitions_per_topic.items() for p in range(n) if (t, p) not in owners
    )
