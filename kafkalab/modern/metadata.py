"""What a consumer-group coordinator knows about topics: names, ids, partition counts and racks.

How it works
------------
Kafka's group coordinator reads the cluster's ``MetadataImage`` (``TopicsImage``: topic name <->
``Uuid`` topic id, partitions; ``ClusterImage``: brokers and their racks) and is told about every
change through ``GroupMetadataManager.onNewMetadataImage(newImage, delta)``.  kafkalab keeps the
part the consumer protocol needs in an immutable :class:`MetadataImage`: each change
(:meth:`MetadataImage.with_topic`, :meth:`MetadataImage.without_topic`, ...) returns a new image
with ``version + 1`` (Kafka's ``image.provenance().lastContainedOffset()``), and
:meth:`MetadataImage.delta` tells which topics changed between two images, as Kafka's
``TopicsDelta`` does.

Topic ids
---------
KIP-848 messages name topics by **topic id** only.  A real cluster draws a random ``Uuid`` when a
topic is created; kafkalab derives it deterministically so that notebooks print the same ids on
every run:

* ``uuid5(TOPIC_ID_NAMESPACE, name)`` for the first topic with that name, and
  ``uuid5(TOPIC_ID_NAMESPACE, f"{name}#{n}")`` for its n-th re-creation after a deletion (a topic
  deleted and created again gets a new id, as in Kafka, because its partitions are new);
* written as Kafka writes a ``Uuid``: the 16 bytes in URL-safe base64 without padding
  (22 characters, e.g. what ``kafka-topics.sh --describe`` prints);
* like ``Uuid.randomUuid()``, an id whose string starts with ``-`` (awkward on command lines) or
  that equals Kafka's reserved ``ZERO_UUID`` / ``ONE_UUID`` is skipped: the seed gets a ``/k`` suffix
  (k = 1, 2, ...) until the id is acceptable.

:func:`topic_id_for` computes it; docs/differences-consumer.md lists this among the deliberate
differences from Kafka.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, Optional

__all__ = ["TOPIC_ID_NAMESPACE", "topic_id_for", "TopicImage", "MetadataImage", "MetadataDelta"]

#: The uuid5 namespace of kafkalab's topic ids (a fixed, arbitrary UUID).
TOPIC_ID_NAMESPACE = uuid.UUID("6b61666b-616c-6162-8000-746f70696373")

_RESERVED = (bytes(16), bytes(15) + b"\x01")  # Kafka's Uuid.ZERO_UUID and Uuid.ONE_UUID
_LEGAL_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")


def _uuid_string(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def topic_id_for(name: str, incarnation: int = 0) -> str:
    """The deterministic topic id of topic ``name`` (see the module docstring).

    Args:
        name: the topic name.
        incarnation: 0 for the first topic with this name, n for its n-th re-creation.

    Returns:
        A 22-character Kafka ``Uuid`` string.
    """
    seed = name if incarnation == 0 else f"{name}#{incarnation}"
    k = 0
    while True:
        raw = uuid.uuid5(TOPIC_ID_NAMESPACE, seed if k == 0 else f"{seed}/{k}").bytes
        text = _uuid_string(raw)
        if raw not in _RESERVED and not text.startswith("-"):
            return text
        k += 1


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a topic name must be a str, got {type(name).__name__} {name!r}")
    if not _LEGAL_TOPIC.fullmatch(name) or name in (".", ".."):
        raise ValueError(
            f"illegal topic name {name!r}: Kafka allows 1-249 characters from [a-zA-Z0-9._-], "
            "and not '.' or '..'"
        )
    return name


def _check_partitions(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the partition count of topic {name!r} must be an int, got {n!r}")
    if n < 1:
        raise ValueError(f"topic {name!r} needs at least one partition, got {n}")
    return n


@dataclass(frozen=True)
class TopicImage:
    """One topic as the coordinator sees it (Kafka's ``TopicImage`` / ``TopicMetadata``).

    ``partition_racks[p]`` holds the racks of partition p's replicas (empty when unknown); Kafka
    carries them to the assignors, which do not use them in 4.0.
    """

    name: str
    topic_id: str
    num_partitions: int
    partition_racks: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class MetadataDelta:
    """What changed between two images (Kafka's ``TopicsDelta``), by topic name.

    ``changed`` holds topics created or whose partitions/racks changed; ``deleted`` the topics
    gone; ``created`` the subset of ``changed`` that did not exist before.
    """

    changed: frozenset[str]
    deleted: frozenset[str]
    created: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.changed or self.deleted)


class MetadataImage:
    """An immutable snapshot of the topics; every change returns a new image.

    Example::

        image = MetadataImage.of({"orders": 6, "payments": 3})
        image = image.with_topic("orders", 8)          # add partitions
        image = image.without_topic("payments")        # delete
        image.topic("orders").topic_id                 # deterministic id

    Raises:
        TypeError / ValueError: a name or a partition count is not what Kafka accepts.
    """

    __slots__ = ("_by_name", "_by_id", "_incarnations", "version")

    def __init__(
        self,
        topics: Iterable[TopicImage] = (),
        *,
        version: int = 0,
        incarnations: Optional[Mapping[str, int]] = None,
    ) -> None:
        by_name: dict[str, TopicImage] = {}
        for t in topics:
            if not isinstance(t, TopicImage):
                raise TypeError(f"MetadataImage expects TopicImage objects, got {type(t).__name__}")
            by_name[t.name] = t
        self._by_name = MappingProxyType(dict(sorted(by_name.items())))
        self._by_id = MappingProxyType({t.topic_id: t for t in by_name.values()})
        if len(self._by_id) != len(self._by_name):
            raise ValueError("two topics of a MetadataImage share a topic id")
        self._incarnations = MappingProxyType(dict(incarnations or {}))
        self.version = version

    # ------------------------------------------------------------------ construction

    @classmethod
    def of(cls, partitions: Mapping[str, int], *, racks: Optional[Mapping[str, Iterable[Iterable[str]]]] = None
           ) -> "MetadataImage":
        """An image with ``{name: partition count}`` topics at version 1 (0 when empty).

        Args:
            partitions: topic name -> number of partitions.
            racks: optional topic name -> per-partition iterable of rack names.
        """
        image = cls()
        for name in sorted(partitions):
            image = image.with_topic(name, partitions[name], racks=(racks or {}).get(name))
        return image if image.version == 0 else cls(image.topics(), version=1, incarnations=image._incarnations)

    def with_topic(self, name: str, num_partitions: int, *,
                   racks: Optional[Iterable[Iterable[str]]] = None) -> "MetadataImage":
        """Create topic ``name``, or grow it to ``num_partitions`` (Kafka cannot shrink a topic).

        Args:
            name: topic name.
            num_partitions: the partition count (>= the current one).
            racks: per-partition rack names; omitted -> unknown (empty) for new partitions.

        Returns:
            A new image (``version + 1``); the same image if nothing changes.

        Raises:
            ValueError: illegal name, fewer partitions than now, or racks of the wrong length.
        """
        _check_name(name)
        _check_partitions(name, num_partitions)
        old = self._by_name.get(name)
        if racks is None:
            kept = old.partition_racks if old is not None else ()
            rack_sets = tuple(kept[:num_partitions]) + (frozenset(),) * (num_partitions - len(kept))
        else:
            rack_sets = tuple(frozenset(r) for r in racks)
            if len(rack_sets) != num_partitions:
                raise ValueError(f"topic {name!r}: {len(rack_sets)} rack sets for {num_partitions} partitions")
        if old is not None:
            if num_partitions < old.num_partitions:
                raise ValueError(
                    f"topic {name!r} has {old.num_partitions} partitions; Kafka can add partitions "
                    f"but never remove them (asked for {num_partitions})"
                )
            new = TopicImage(name, old.topic_id, num_partitions, rack_sets)
            if new == old:
                return self
            incarnations = self._incarnations
        else:
            n = self._incarnations.get(name, -1) + 1
            new = TopicImage(name, topic_id_for(name, n), num_partitions, rack_sets)
            incarnations = {**self._incarnations, name: n}
        topics = [t for t in self._by_name.values() if t.name != name] + [new]
        return MetadataImage(topics, version=self.version + 1, incarnations=incarnations)

    def without_topic(self, name: str) -> "MetadataImage":
        """Delete topic ``name``.

        Raises:
            KeyError: no such topic.
        """
        if name not in self._by_name:
            raise KeyError(f"no topic {name!r} in this metadata image (topics: {sorted(self._by_name)})")
        topics = [t for t in self._by_name.values() if t.name != name]
        return MetadataImage(topics, version=self.version + 1, incarnations=self._incarnations)

    # ------------------------------------------------------------------ queries

    def topics(self) -> tuple[TopicImage, ...]:
        """Every topic, by name."""
        return tuple(self._by_name.values())

    def topic_names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def topic(self, name: str) -> Optional[TopicImage]:
        """The topic called ``name``, or None (Kafka's ``TopicsImage.getTopic(name)``)."""
        return self._by_name.get(name)

    def topic_by_id(self, topic_id: str) -> Optional[TopicImage]:
        """The topic with id ``topic_id``, or None."""
        return self._by_id.get(topic_id)

    def delta(self, older: "MetadataImage") -> MetadataDelta:
        """What changed from ``older`` to this image."""
        changed, created = set(), set()
        for name, t in self._by_name.items():
            before = older._by_name.get(name)
            if before is None or before.topic_id != t.topic_id:
                created.add(name)
                changed.add(name)
            elif before != t:
                changed.add(name)
        deleted = {name for name, t in older._by_name.items()
                   if name not in self._by_name or self._by_name[name].topic_id != t.topic_id}
        return MetadataDelta(frozenset(changed), frozenset(deleted), frozenset(created))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MetadataImage) and dict(self._by_name) == dict(other._by_name)

    def __hash__(self) -> int:
        return hash(tuple(self._by_name.values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{t.name}:{t.num_partitions}" for t in self._by_name.values())
        return f"MetadataImage(v{self.version}, {{{inner}}})"
