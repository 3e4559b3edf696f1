"""What one simulated consumer knows about topics: its subscription and its view of the cluster's metadata.

How it works
------------
Two classes named after the Java client's:

* :class:`SubscriptionState` - what the application subscribed to: a list of topics
  (``subscribe(topics)``) or a pattern (``subscribe(pattern)``, matched on the client against the
  topics its metadata lists, as the classic Java consumer does with ``Pattern.matcher(topic).matches()``),
  plus, for the group's leader, every member's topics (``groupSubscribe``).  ``metadata_topics()`` is
  what the consumer asks metadata for; ``assignment_matches()`` is
  ``checkAssignmentMatchedSubscription``.
* :class:`ConsumerMetadata` - the consumer's copy of the cluster's topics (Kafka's ``Metadata``).
  It is refreshed every ``metadata.max.age.ms`` (default 5 minutes) and sooner when the client asks
  (``requestUpdate``): a new subscription needs new topics, a subscribed topic is unknown, a fetch
  failed because its topic was deleted, a pattern-subscribed member is about to rejoin.  A requested
  refresh waits for ``retry.backoff.ms`` doubling per refresh that brought nothing new, up to
  ``retry.backoff.max.ms`` (Kafka's ``ExponentialBackoff``, without its random jitter).  Each refresh
  bumps ``version`` (``updateVersion``).

:class:`MetadataSnapshot` is ``ConsumerCoordinator.MetadataSnapshot``: the partition counts of the
topics a consumer watches, taken at one metadata version.  The leader keeps the one it assigned
with (``assignmentSnapshot``) and rejoins when the current one no longer matches it.

A refresh reads the world's :class:`~kafkalab.sim.topics.TopicsImage` at once: there is no
Metadata request on the simulated network (docs/differences.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from .topics import TopicsImage

__all__ = ["SubscriptionState", "ConsumerMetadata", "MetadataUpdate", "MetadataSnapshot", "compile_pattern"]

TopicPartition = tuple[str, int]


def compile_pattern(pattern: object) -> re.Pattern:
    """A topic pattern as a compiled regex; a ValueError that names the problem otherwise."""
    if isinstance(pattern, re.Pattern):
        if not pattern.pattern:
            raise ValueError("the topic pattern to subscribe to cannot be empty")
        return pattern
    if not isinstance(pattern, str):
        raise ValueError(f"a topic pattern must be a string (a regular expression), got {type(pattern).__name__} "
                         f"{pattern!r}")
    if not pattern:
        raise ValueError("the topic pattern to subscribe to cannot be empty")
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"invalid topic pattern {pattern!r}: {e}; write a regular expression that matches whole "
                         "topic names, e.g. 'orders-.*'") from None


class SubscriptionState:
    """What a consumer subscribed to (Kafka's ``SubscriptionState``, group management only)."""

    def __init__(self) -> None:
        self.kind = "NONE"  # NONE, AUTO_TOPICS or AUTO_PATTERN (Kafka's SubscriptionType)
        self.pattern: Optional[re.Pattern] = None
        self._topics: tuple[str, ...] = ()
        self.group_subscription: frozenset[str] = frozenset()

    @property
    def topics(self) -> tuple[str, ...]:
        """The subscribed topics: the application's list in its order, or the pattern's matches sorted."""
        return self._topics

    @property
    def subscription(self) -> frozenset[str]:
        return frozenset(self._topics)

    @property
    def has_auto_assigned_partitions(self) -> bool:
        return self.kind != "NONE"

    @property
    def has_pattern(self) -> bool:
        return self.kind == "AUTO_PATTERN"

    def subscribe(self, topics: Sequence[str]) -> bool:
        """``subscribe(topics)``; True when the set of topics changed.

        Raises:
            ValueError: the consumer is subscribed to a pattern (Kafka: IllegalStateException).
        """
        if self.kind == "AUTO_PATTERN":
            raise ValueError("this consumer is subscribed to a pattern; subscriptions to topics and to a pattern are "
                             "mutually exclusive: call unsubscribe() first")
        self.kind = "AUTO_TOPICS"
        return self._change(tuple(dict.fromkeys(topics)))

    def subscribe_pattern(self, pattern: re.Pattern) -> None:
        """``subscribe(pattern)``: the matching topics are found against metadata later.

        Raises:
            ValueError: the consumer is subscribed to a list of topics (Kafka: IllegalStateException).
        """
        if self.kind == "AUTO_TOPICS":
            raise ValueError("this consumer is subscribed to a list of topics; subscriptions to topics and to a "
                             "pattern are mutually exclusive: call unsubscribe() first")
        self.kind = "AUTO_PATTERN"
        self.pattern = pattern

    def subscribe_from_pattern(self, topics: Iterable[str]) -> bool:
        """Set the topics a pattern matches (``subscribeFromPattern``); True when they changed."""
        return self._change(tuple(sorted(set(topics))))

    def _change(self, topics: tuple[str, ...]) -> bool:
        changed = frozenset(topics) != frozenset(self._topics)
        if changed:
            self._topics = topics
        return changed

    def unsubscribe(self) -> None:
        self.kind, self.pattern, self._topics, self.group_subscription = "NONE", None, (), frozenset()

    def matches_pattern(self, topic: str) -> bool:
        """Whether ``topic`` matches the subscribed pattern as a whole (Java's ``matcher().matches()``)."""
        return self.has_pattern and self.pattern is not None and self.pattern.fullmatch(topic) is not None

    def group_subscribe(self, topics: Iterable[str]) -> bool:
        """The leader watches every member's topics; True when some are not in its own subscription."""
        self.group_subscription = frozenset(topics)
        return not self.group_subscription <= self.subscription

    def reset_group_subscription(self) -> None:
        self.group_subscription = frozenset()

    def metadata_topics(self) -> frozenset[str]:
        """The topics whose metadata the consumer needs: its own, and the whole group's for the leader."""
        return self.subscription | self.group_subscription

    def assignment_matches(self, partitions: Iterable[TopicPartition]) -> bool:
        """``checkAssignmentMatchedSubscription``: every assigned topic is subscribed (or matches the pattern)."""
        if self.has_pattern:
            return all(self.matches_pattern(t) for t, _ in partitions)
        return all(t in self.subscription for t, _ in partitions)

    def describe(self) -> str:
        if self.has_pattern:
            return f"pattern {self.pattern.pattern!r}" if self.pattern is not None else "a pattern"
        return f"topics {list(self._topics)}" if self.kind == "AUTO_TOPICS" else "nothing"


@dataclass(frozen=True)
class MetadataUpdate:
    """What a refresh changed in the consumer's view: topics that appeared, grew or disappeared among
    those it had asked for (or among all topics, for a pattern subscription), and the wanted topics
    the cluster does not have."""

    created: tuple[tuple[str, int], ...] = ()
    grown: tuple[tuple[str, int, int], ...] = ()
    deleted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.created or self.grown or self.deleted)


class ConsumerMetadata:
    """One consumer's view of the cluster's topics (Kafka's ``Metadata`` / ``ConsumerMetadata``)."""

    def __init__(self, max_age_ms: int, backoff_ms: int, backoff_max_ms: int) -> None:
        self.max_age_ms = max_age_ms
        self.backoff_ms = backoff_ms
        self.backoff_max_ms = backoff_max_ms
        self.partitions: dict[str, int] = {}
        self.missing: frozenset[str] = frozenset()
        self.all_topics = False
        self.version = 0
        self.last_refresh: Optional[int] = None
        self.update_requested = True  # the constructor's requestUpdate: the first poll() fetches metadata
        self._immediate = True
        self._equivalent = 0

    def request_update(self, reset_backoff: bool = False) -> None:
        """``requestUpdate``: refresh at the next allowed moment."""
        self.update_requested = True
        if reset_backoff:
            self._equivalent = 0

    def request_update_for_new_topics(self) -> None:
        """``requestUpdateForNewTopics``: refresh at once."""
        self.update_requested = True
        self._immediate = True
        self._equivalent = 0

    def _backoff(self, attempt: int) -> int:
        return min(self.backoff_ms * 2 ** attempt, self.backoff_max_ms)

    def next_update_at(self) -> int:
        """When the next refresh is due: ``metadata.max.age.ms`` after the last one, or, once an update
        was requested, as soon as the backoff allows."""
        if self._immediate or self.last_refresh is None:
            return 0
        expires = self.last_refresh + self.max_age_ms
        if not self.update_requested:
            return expires
        allowed = self.last_refresh + (self._backoff(self._equivalent - 1) if self._equivalent > 0 else 0)
        return min(allowed, expires)

    def update(self, now: int, image: TopicsImage, wanted: Optional[frozenset[str]]) -> MetadataUpdate:
        """Refresh from the cluster's ``image``: ``wanted`` topics, or every topic when it is None (a
        pattern subscription asks for all)."""
        names = image.topic_names() if wanted is None else sorted(wanted)
        new = {n: image.topic(n).num_partitions for n in names if image.topic(n) is not None}
        missing = frozenset(wanted - set(new)) if wanted is not None else frozenset()
        old, old_missing, first = self.partitions, self.missing, self.version == 0
        if first:
            change = MetadataUpdate(missing=tuple(sorted(missing)))
        else:
            appeared = [n for n in new if (n in old_missing or (wanted is None and self.all_topics and n not in old))]
            change = MetadataUpdate(
                created=tuple((n, new[n]) for n in sorted(appeared)),
                grown=tuple((n, old[n], new[n]) for n in sorted(new) if n in old and old[n] != new[n]),
                deleted=tuple(sorted(n for n in old if n not in new and (n in missing or wanted is None))),
                missing=tuple(sorted(missing)))
        self.partitions, self.missing, self.all_topics = new, missing, wanted is None
        self.version += 1
        self.last_refresh = now
        self._immediate = False
        self._equivalent = 0 if (change.created or change.grown) else self._equivalent + 1
        # A topic the cluster does not know is an InvalidMetadataException: Kafka asks again.
        self.update_requested = bool(missing)
        return change

    def partition_count(self, topic: str) -> Optional[int]:
        return self.partitions.get(topic)


@dataclass(frozen=True)
class MetadataSnapshot:
    """``ConsumerCoordinator.MetadataSnapshot``: partition counts of the watched topics at one version."""

    version: int
    partitions_per_topic: tuple[tuple[str, int], ...]

    @classmethod
    def take(cls, subscriptions: SubscriptionState, metadata: ConsumerMetadata) -> "MetadataSnapshot":
        counts = tuple(sorted((t, metadata.partitions[t]) for t in subscriptions.metadata_topics()
                              if t in metadata.partitions))
        return cls(metadata.version, counts)

    def matches(self, other: "MetadataSnapshot") -> bool:
        return self.version == other.version or self.partitions_per_topic == other.partitions_per_topic
