"""The simulated cluster's topics: names and partition counts, as one immutable image per change.

How it works
------------
Kafka's brokers publish the cluster's topics as a ``MetadataImage``; every change (a topic created,
partitions added, a topic deleted) is a new image.  :class:`TopicsImage` keeps the part the classic
protocol's simulation needs - topic names and partition counts - with the same method names as
``kafkalab.modern.metadata.MetadataImage`` (the KIP-848 core's image: ``with_topic``,
``without_topic``, ``topic(name).num_partitions``, ``topic_names()``, ``version``, ``delta()``), so
the world can use either.  :class:`~kafkalab.sim.world.World` holds the current image and applies
every change through one method, ``World._apply_metadata``, which is also where listeners (a
KIP-848 coordinator, for instance) hear of it.

Like Kafka, an image never shrinks a topic: ``with_topic`` refuses fewer partitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, Optional

__all__ = ["TopicImage", "TopicsImage", "TopicsDelta", "check_topic_name"]

_LEGAL_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")


def check_topic_name(name: object) -> str:
    """``name`` if Kafka accepts it as a topic name; otherwise a ValueError that says why."""
    if not isinstance(name, str):
        raise ValueError(f"a topic name must be a string, got {type(name).__name__} {name!r}")
    if not _LEGAL_TOPIC.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"illegal topic name {name!r}: Kafka allows 1-249 characters from [a-zA-Z0-9._-], "
                         "and not '.' or '..'")
    return name


@dataclass(frozen=True)
class TopicImage:
    """One topic: its name and how many partitions it has."""

    name: str
    num_partitions: int


@dataclass(frozen=True)
class TopicsDelta:
    """What changed between two images, by topic name: ``created`` topics are new, ``changed`` holds
    the created ones and those whose partition count changed, ``deleted`` the topics gone."""

    changed: frozenset[str]
    deleted: frozenset[str]
    created: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.changed or self.deleted)


class TopicsImage:
    """An immutable snapshot of the cluster's topics; each change returns a new image, ``version + 1``.

    Example::

        image = TopicsImage.of({"orders": 6})
        image = image.with_topic("orders", 9)      # add partitions
        image = image.without_topic("orders")      # delete
    """

    __slots__ = ("_by_name", "version")

    def __init__(self, topics: Iterable[TopicImage] = (), *, version: int = 0) -> None:
        self._by_name = MappingProxyType({t.name: t for t in sorted(topics, key=lambda t: t.name)})
        self.version = version

    @classmethod
    def of(cls, partitions: Mapping[str, int]) -> "TopicsImage":
        """An image with ``{name: partition count}`` topics (version 1; 0 when empty)."""
        image = cls()
        for name in sorted(partitions):
            image = image.with_topic(name, partitions[name])
        return cls(image.topics(), version=1 if partitions else 0)

    def with_topic(self, name: str, num_partitions: int) -> "TopicsImage":
        """Create topic ``name`` or grow it to ``num_partitions``; the same image when nothing changes.

        Raises:
            ValueError: an illegal name, a count below 1, or fewer partitions than the topic has.
        """
        check_topic_name(name)
        if isinstance(num_partitions, bool) or not isinstance(num_partitions, int) or num_partitions < 1:
            raise ValueError(f"topic {name!r}: the partition count must be an int >= 1, got {num_partitions!r}")
        old = self._by_name.get(name)
        if old is not None:
            if num_partitions < old.num_partitions:
                raise ValueError(f"topic {name!r} has {old.num_partitions} partitions; Kafka can add partitions "
                                 f"but never remove them (asked for {num_partitions})")
            if num_partitions == old.num_partitions:
                return self
        topics = [t for t in self._by_name.values() if t.name != name] + [TopicImage(name, num_partitions)]
        return TopicsImage(topics, version=self.version + 1)

    def without_topic(self, name: str) -> "TopicsImage":
        """Delete topic ``name``.

        Raises:
            KeyError: no such topic.
        """
        if name not in self._by_name:
            raise KeyError(f"no topic {name!r} (topics: {sorted(self._by_name)})")
        return TopicsImage([t for t in self._by_name.values() if t.name != name], version=self.version + 1)

    def topics(self) -> tuple[TopicImage, ...]:
        """Every topic, by name."""
        return tuple(self._by_name.values())

    def topic_names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def topic(self, name: str) -> Optional[TopicImage]:
        """The topic called ``name``, or None."""
        return self._by_name.get(name)

    def delta(self, older: "TopicsImage") -> TopicsDelta:
        """What changed from ``older`` to this image."""
        created = {n for n in self._by_name if n not in older._by_name}
        changed = created | {n for n, t in self._by_name.items() if n in older._by_name and older._by_name[n] != t}
        deleted = {n for n in older._by_name if n not in self._by_name}
        return TopicsDelta(frozenset(changed), frozenset(deleted), frozenset(created))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopicsImage) and dict(self._by_name) == dict(other._by_name)

    def __hash__(self) -> int:
        return hash(tuple(self._by_name.values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{t.name}:{t.num_partitions}" for t in self._by_name.values())
        return f"TopicsImage(v{self.version}, {{{inner}}})"
