"""Inputs, the learner-facing :class:`Assignor` base class, and input validation.

The leader's view of the group is what Java's ``ConsumerPartitionAssignor.GroupSubscription``
holds: for every member a :class:`Subscription` (topics, owned partitions, generation, rack,
plus the ``group.instance.id`` from the JoinGroup member list) and the topic metadata
(partition counts, and for rack awareness the racks of each partition's replicas).

:class:`GroupView` turns user input into that view once, so that the algorithms never see bad
input: it checks types, drops what Kafka's client drops before an assignor runs, and computes
the member visiting order of the leader's ``HashMap``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

from kafkalab.java import hash_map_order, string_compare_key

TopicPartition = tuple[str, int]
Assignment = dict[str, list[TopicPartition]]

#: ``AbstractStickyAssignor.DEFAULT_GENERATION``: the generation of a member that has none.
DEFAULT_GENERATION = -1


class RebalanceProtocol(Enum):
    """Java's ``ConsumerPartitionAssignor.RebalanceProtocol``, with its wire ids.

    EAGER: every member revokes all its partitions before it rejoins (stop the world).
    COOPERATIVE: members keep their partitions during the rebalance and give up only the ones
    the new assignment takes away (KIP-429); those move in a follow-up rebalance.
    """

    EAGER = 0
    COOPERATIVE = 1


class UnknownAssignorError(ValueError):
    """An assignor name that no built-in assignor has."""


class AssignorError(RuntimeError):
    """Raised where Kafka's Java assignor itself throws (the real leader's ``poll()`` would fail).

    Attributes:
        java_exception: the exception Java throws at that point, e.g. ``"NullPointerException"``
            or ``"IllegalStateException"``.
    """

    def __init__(self, message: str, java_exception: str = "IllegalStateException") -> None:
        super().__init__(message)
        self.java_exception = java_exception


@dataclass(frozen=True)
class Subscription:
    """One member's ``ConsumerProtocolSubscription``, as the group leader receives it.

    Attributes:
        topics: subscribed topic names.  A Java consumer sends a set, so duplicates are removed
            (first occurrence kept).
        owned_partitions: ``(topic, partition)`` pairs the member owns (KIP-429 field, protocol
            v1+).  ``cooperative-sticky`` reads them here, as Kafka does.  The eager ``sticky``
            assignor in Kafka reads the member's previous assignment from its own user data
            instead (eager members have revoked everything before they rejoin, so this field
            is empty on the wire); kafkalab has no user data, so **``sticky`` takes the
            previous assignment from this field too**.  ``range`` and ``roundrobin`` ignore it.
            A mapping ``{topic: [partitions]}`` is accepted as well.
        generation: the generation in which the member got ``owned_partitions`` (protocol v2+);
            ``None`` when unknown (Java's ``Optional.empty()``, treated as -1).
        rack: the consumer's ``client.rack`` (protocol v3+); ``None`` or ``""`` for none.
        group_instance_id: the static member id (KIP-345), from the JoinGroup member list.
    """

    topics: tuple[str, ...]
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation: int | None = None
    rack: str | None = None
    group_instance_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", _topics_tuple(self.topics))
        object.__setattr__(self, "owned_partitions", _owned_tuple(self.owned_partitions))
        if self.generation is not None and (
            not isinstance(self.generation, int) or isinstance(self.generation, bool)
        ):
            raise TypeError(f"generation must be an int or None, not {self.generation!r}")
        for name in ("rack", "group_instance_id"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, not {value!r}")


_SUBSCRIPTION_FIELDS = ("topics", "owned_partitions", "generation", "rack", "group_instance_id")


def _topics_tuple(topics: Any) -> tuple[str, ...]:
    if isinstance(topics, (str, bytes)):
        raise TypeError(f"topics must be a collection of topic names, not the single string {topics!r}")
    if not isinstance(topics, Iterable):
        raise TypeError(f"topics must be a collection of topic names, not {topics!r}")
    out: dict[str, None] = {}
    for t in topics:
        if not isinstance(t, str):
            raise TypeError(f"a topic name must be a str, not {t!r}")
        out[t] = None
    return tuple(out)


def _partition_number(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what}: a partition number must be an int, not {value!r}")
    if value < 0:
        raise ValueError(f"{what}: a partition number cannot be negative ({value})")
    return value


def _owned_tuple(owned: Any) -> tuple[TopicPartition, ...]:
    if isinstance(owned, (str, bytes)) or not isinstance(owned, Iterable):
        raise TypeError(f"owned_partitions must be (topic, partition) pairs or {{topic: [partitions]}}, not {owned!r}")
    pairs: list[Any] = []
    if isinstance(owned, Mapping):
        for topic, partitions in owned.items():
            if isinstance(partitions, (str, bytes)) or not isinstance(partitions, Iterable):
                raise TypeError(f"owned_partitions[{topic!r}] must be a collection of partition numbers, not {partitions!r}")
            pairs.extend((topic, p) for p in partitions)
    else:
        pairs = list(owned)
    out: dict[TopicPartition, None] = {}
    for pair in pairs:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
            raise TypeError(f"an owned partition must be a (topic, partition) pair, not {pair!r}")
        pair = tuple(pair)
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise TypeError(f"an owned partition must be a (topic, partition) pair, not {pair!r}")
        out[(pair[0], _partition_number(pair[1], f"owned partition {pair!r}"))] = None
    return tuple(out)


def as_subscription(member_id: str, value: Any) -> Subscription:
    """Coerce one ``subscriptions`` value to a :class:`Subscription`.

    Args:
        member_id: the member, named in error messages.
        value: a :class:`Subscription`, a mapping with its field names, or a collection of topics.

    Returns:
        The subscription.

    Raises:
        TypeError: the value or one of its fields has the wrong type.
        ValueError: an owned partition number is negative.
    """
    try:
        if isinstance(value, Subscription):
            return value
        if isinstance(value, Mapping):
            unknown = set(value) - set(_SUBSCRIPTION_FIELDS)
            if unknown:
                raise TypeError(f"unknown subscription field(s) {sorted(map(str, unknown))}; expected {list(_SUBSCRIPTION_FIELDS)}")
            if "topics" not in value:
                raise TypeError("a subscription needs 'topics'")
            return Subscription(**value)
        return Subscription(topics=value)
    except (TypeError, ValueError) as e:
        raise type(e)(f"subscription of member {member_id!r}: {e}") from None


@dataclass
class GroupView:
    """The validated input every built-in assignor works on.

    Attributes:
        partitions_per_topic: partition count of every topic that at least one member subscribes
            to and that has partitions.  ``AbstractPartitionAssignor.assign(Cluster, ...)`` builds
            exactly this map before calling an assignor: topics nobody subscribes to, topics
            missing from metadata and topics with no partitions are skipped.
        subscriptions: the members' subscriptions, in input (JoinGroup response) order.
        partition_racks: replica racks of each existing partition (missing: no rack known).
    """

    partitions_per_topic: dict[str, int]
    subscriptions: dict[str, Subscription]
    partition_racks: dict[TopicPartition, frozenset[str]]

    @cached_property
    def owned(self) -> dict[str, list[TopicPartition]]:
        """Each member's owned partitions that exist in ``partitions_per_topic``.

        An owned partition of a deleted topic, or beyond its topic's partition count, is dropped
        (Java drops the first kind; the second cannot happen in Kafka, where partitions are
        never removed).
        """
        ppt = self.partitions_per_topic
        return {
            m: [tp for tp in s.owned_partitions if tp[1] < ppt.get(tp[0], 0)] for m, s in self.subscriptions.items()
        }

    @cached_property
    def java_order(self) -> list[str]:
        """Member ids in the iteration order of the leader's ``HashMap`` (may be overridden)."""
        return hash_map_order(self.subscriptions)

    def member_info_order(self) -> list[str]:
        """Members sorted like ``MemberInfo`` (see :func:`member_sort_key`).

        Java sorts a list built in ``HashMap`` order with a stable sort, so the ``HashMap``
        order matters only between members with equal keys: two static members with the same
        ``group.instance.id``, which a coordinator never lets into one group.
        """
        keys = {m: member_sort_key(m, s) for m, s in self.subscriptions.items()}
        base = self.java_order if len(set(keys.values())) < len(keys) else list(self.subscriptions)
        return sorted(base, key=keys.__getitem__)

    @cached_property
    def plain_str_order_is_java_order(self) -> bool:
        """True when every topic name is in the BMP, where Python's str order is Java's."""
        return all(max(t, default="\0") < "\U00010000" for t in self.partitions_per_topic)

    @classmethod
    def build(
        cls,
        partitions_per_topic: Mapping[str, int],
        subscriptions: Mapping[str, Any],
        partition_racks: Mapping[TopicPartition, Iterable[str | None] | str] | None = None,
    ) -> "GroupView":
        """Validate and normalise an assignor's input.

        Args:
            partitions_per_topic: ``{topic: partition count}`` (cluster metadata).
            subscriptions: ``{member_id: Subscription | dict | [topics]}``.
            partition_racks: ``{(topic, partition): racks of its replicas}``; optional.

        Returns:
            The view.

        Raises:
            TypeError: wrong types (the message names the member or topic).
            ValueError: a negative partition count or partition number.
        """
        if not isinstance(partitions_per_topic, Mapping):
            raise TypeError(f"partitions_per_topic must be a mapping {{topic: count}}, not {type(partitions_per_topic).__name__}")
        counts: dict[str, int] = {}
        for topic, n in partitions_per_topic.items():
            if not isinstance(topic, str):
                raise TypeError(f"partitions_per_topic: a topic name must be a str, not {topic!r}")
            if not isinstance(n, int) or isinstance(n, bool):
                raise TypeError(f"partitions_per_topic[{topic!r}] must be an int, not {n!r}")
            if n < 0:
                raise ValueError(f"partitions_per_topic[{topic!r}] = {n}: a partition count cannot be negative")
            counts[topic] = n
        if not isinstance(subscriptions, Mapping):
            raise TypeError(f"subscriptions must be a mapping {{member_id: Subscription}}, not {type(subscriptions).__name__}")
        subs: dict[str, Subscription] = {}
        for member_id, value in subscriptions.items():
            if not isinstance(member_id, str):
                raise TypeError(f"subscriptions: a member id must be a str, not {member_id!r}")
            subs[member_id] = as_subscription(member_id, value)

        subscribed = {t for s in subs.values() for t in s.topics}
        ppt = {t: n for t, n in counts.items() if n > 0 and t in subscribed}
        racks: dict[TopicPartition, frozenset[str]] = {}
        if partition_racks is not None:
            if not isinstance(partition_racks, Mapping):
                raise TypeError(f"partition_racks must be a mapping {{(topic, partition): racks}}, not {type(partition_racks).__name__}")
            for key, value in partition_racks.items():
                if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)):
                    raise TypeError(f"partition_racks: a key must be a (topic, partition) tuple, not {key!r}")
                _partition_number(key[1], f"partition_racks key {key!r}")
                if isinstance(value, str):
                    value = (value,)
                if not isinstance(value, Iterable):
                    raise TypeError(f"partition_racks[{key!r}] must be a collection of rack names, not {value!r}")
                rack_set = set()
                for r in value:
                    if r is None:  # a replica on a broker without broker.rack
                        continue
                    if not isinstance(r, str):
                        raise TypeError(f"partition_racks[{key!r}]: a rack must be a str, not {r!r}")
                    rack_set.add(r)
                if key[1] < ppt.get(key[0], 0):
                    racks[key] = frozenset(rack_set)
        return cls(ppt, subs, racks)

    def consumer_rack(self, member_id: str) -> str | None:
        """The member's rack, or ``None``; ``""`` counts as none (``rackId().filter(r -> !r.isEmpty())``)."""
        rack = self.subscriptions[member_id].rack
        return rack or None

    def all_partitions(self) -> list[TopicPartition]:
        """Every partition, sorted by topic (``String.compareTo``) then partition."""
        topics = sorted(self.partitions_per_topic, key=string_compare_key)
        return [(t, p) for t in topics for p in range(self.partitions_per_topic[t])]


def member_sort_key(member_id: str, subscription: Subscription) -> tuple[int, bytes]:
    """``AbstractPartitionAssignor.MemberInfo.compareTo`` as a sort key.

    Static members (with a ``group.instance.id``) come first, ordered by instance id; then
    dynamic members by member id; both with ``String.compareTo``.  Sorting is stable, as
    Java's ``Collections.sort``: equal keys keep their ``HashMap`` order.
    """
    if subscription.group_instance_id is not None:
        return (0, string_compare_key(subscription.group_instance_id))
    return (1, string_compare_key(member_id))


class Assignor:
    """A client-side partition assignor, as Java's ``ConsumerPartitionAssignor``.

    The group leader runs the assignor named by the coordinator's protocol vote and sends the
    result in its SyncGroup request.  To write your own, subclass this, give it a ``name`` and
    the ``supported_protocols`` it honours, and implement :meth:`assign`::

        class EverythingToTheFirst(Assignor):
            name = "first"

            def assign(self, partitions_per_topic, subscriptions, partition_racks=None):
                members = sorted(subscriptions)
                out = {m: [] for m in members}
                for topic, n in sorted(partitions_per_topic.items()):
                    subscribed = [m for m in members if topic in subscriptions[m].topics]
                    if subscribed:
                        out[subscribed[0]].extend((topic, p) for p in range(n))
                return out

    A COOPERATIVE assignor must never give a partition to a member while another member still
    owns it: it has to leave it unassigned for one round (see ``cooperative-sticky``).

    Attributes:
        name: the protocol name sent in JoinGroup (``partition.assignment.strategy``).
        supported_protocols: the :class:`RebalanceProtocol` values this assignor supports.
    """

    name: str = "custom"
    supported_protocols: tuple[RebalanceProtocol, ...] = (RebalanceProtocol.EAGER,)

    def assign(
        self,
        partitions_per_topic: Mapping[str, int],
        subscriptions: Mapping[str, Subscription],
        partition_racks: Mapping[TopicPartition, Iterable[str]] | None = None,
    ) -> Assignment:
        """Compute the group assignment.

        Args:
            partitions_per_topic: ``{topic: partition count}``.
            subscriptions: ``{member_id: Subscription}``.
            partition_racks: ``{(topic, partition): racks of its replicas}``, or ``None``.

        Returns:
            ``{member_id: [(topic, partition), ...]}`` with every member present.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement assign()")

    def __repr__(self) -> str:
        protocols = ", ".join(p.name for p in self.supported_protocols)
        return f"<{type(self).__name__} {self.name!r} ({protocols})>"
