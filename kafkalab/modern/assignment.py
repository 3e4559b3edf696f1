"""Sets of partitions by topic id, the currency of the consumer protocol.

How it works
------------
Kafka passes ``Map<Uuid, Set<Integer>>`` around (a member's assigned partitions, its partitions
pending revocation, its target).  kafkalab uses a plain ``dict[topic_id, frozenset[int]]`` that is
never mutated in place (:data:`Assignment`); topics without partitions are left out, so two equal
assignments are equal dicts.  :func:`freeze` turns one into a sorted tuple for frozen trace events
and :func:`thaw` turns it back.  :func:`from_request` / :func:`to_response` convert to and from the
``TopicPartitions`` lists of ConsumerGroupHeartbeat.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

from ..messages import ConsumerGroupHeartbeatAssignment, ConsumerGroupHeartbeatTopicPartitions

__all__ = [
    "Assignment", "FrozenAssignment", "EMPTY", "normalize", "freeze", "thaw", "union", "minus",
    "intersect", "overlaps", "from_request", "to_response", "partitions_of", "describe_assignment",
]

#: ``{topic_id: frozenset(partitions)}``; never mutated, empty topics left out.
Assignment = Mapping[str, frozenset[int]]
#: The same, as ``((topic_id, (p0, p1, ...)), ...)`` sorted: hashable, for frozen events.
FrozenAssignment = tuple[tuple[str, tuple[int, ...]], ...]

EMPTY: Assignment = {}


def normalize(partitions: Mapping[str, Iterable[int]]) -> dict[str, frozenset[int]]:
    """A copy with frozenset values, topics without partitions dropped, topic ids sorted (as
    plain ``str``: an assignor may hand back a ``str`` subclass such as its ``Uuid``)."""
    out = {}
    for topic_id in sorted(partitions):
        ps = frozenset(partitions[topic_id])
        if ps:
            out[str(topic_id)] = ps
    return out


def freeze(a: Assignment) -> FrozenAssignment:
    """``{"t": {1, 0}}`` -> ``(("t", (0, 1)),)``."""
    return tuple((t, tuple(sorted(ps))) for t, ps in sorted(a.items()) if ps)


def thaw(f: FrozenAssignment) -> dict[str, frozenset[int]]:
    """The inverse of :func:`freeze`."""
    return {t: frozenset(ps) for t, ps in f if ps}


def union(a: Assignment, b: Assignment) -> dict[str, frozenset[int]]:
    return normalize({t: a.get(t, frozenset()) | b.get(t, frozenset()) for t in set(a) | set(b)})


def minus(a: Assignment, b: Assignment) -> dict[str, frozenset[int]]:
    return normalize({t: ps - b.get(t, frozenset()) for t, ps in a.items()})


def intersect(a: Assignment, b: Assignment) -> dict[str, frozenset[int]]:
    return normalize({t: ps & b.get(t, frozenset()) for t, ps in a.items()})


def overlaps(a: Assignment, b: Assignment) -> bool:
    """Whether some partition is in both."""
    return any(ps & b.get(t, frozenset()) for t, ps in a.items())


def partitions_of(a: Assignment) -> set[tuple[str, int]]:
    """``{(topic_id, partition), ...}``."""
    return {(t, p) for t, ps in a.items() for p in ps}


def from_request(topic_partitions: Optional[Iterable[ConsumerGroupHeartbeatTopicPartitions]]
                 ) -> Optional[dict[str, frozenset[int]]]:
    """The owned partitions a heartbeat reports, merged by topic (None stays None)."""
    if topic_partitions is None:
        return None
    merged: dict[str, set[int]] = {}
    for tp in topic_partitions:
        merged.setdefault(tp.topic_id, set()).update(tp.partitions)
    return normalize(merged)


def to_response(a: Assignment) -> ConsumerGroupHeartbeatAssignment:
    """A heartbeat response's ``Assignment`` (topics and partitions in ascending order)."""
    return ConsumerGroupHeartbeatAssignment(tuple(
        ConsumerGroupHeartbeatTopicPartitions(t, tuple(sorted(ps))) for t, ps in sorted(a.items()) if ps))


def describe_assignment(a: Assignment | FrozenAssignment, names: Optional[Mapping[str, str]] = None) -> str:
    """``"orders-0,1 payments-2"`` (topic names when ``names`` maps ids to names), ``"-"`` if empty."""
    items = a if isinstance(a, tuple) else freeze(a)
    if not items:
        return "-"
    return " ".join(f"{(names or {}).get(t, t)}-{','.join(map(str, ps))}" for t, ps in items)
