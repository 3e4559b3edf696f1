"""The server-side assignor interface and its data types (Kafka's ``group-coordinator-api``).

A KIP-848 group coordinator computes every member's *target assignment* itself, by calling a
``ConsumerGroupPartitionAssignor``.  Kafka defines that plug-in interface in
``org.apache.kafka.coordinator.group.api.assignor`` and the coordinator's implementations of its
inputs in ``org.apache.kafka.coordinator.group.modern``; this module holds the same types with
Kafka's names in snake_case:

* :class:`~.topic_id.Uuid` (in :mod:`.topic_id`) -- a topic id, Kafka's ``org.apache.kafka.common.Uuid``;
* :class:`SubscriptionType` -- ``HOMOGENEOUS`` when every member subscribes to the same topics;
* :class:`MemberSubscriptionAndAssignment` -- one member as the assignor sees it: subscribed topic
  ids, rack id, instance id and its current target (``MemberSubscriptionAndAssignmentImpl``);
* :class:`GroupSpec` -- all members, the subscription type and the inverted target assignment
  (``GroupSpec`` / ``GroupSpecImpl``);
* :class:`SubscribedTopicDescriber` / :class:`SubscribedTopicDescriberImpl` -- partition counts
  and partition racks of the subscribed topics;
* :class:`MemberAssignment`, :class:`GroupAssignment` -- the result;
* :class:`ConsumerGroupPartitionAssignor` -- the base class (``name`` + ``assign``);
* :class:`PartitionAssignorError` -- Kafka's ``PartitionAssignorException``.

Iteration order.  Kafka's assignors are deterministic given the Java runtime, and two of their
steps depend on the iteration order of Java collections (see :mod:`kafkalab.java` and
:mod:`._java`).  Here, every ordered input is taken as that Java iteration order: ``GroupSpec``'s
member mapping gives ``memberIds()`` order, a member's ``subscribed_topic_ids`` sequence gives its
topic set's order, and its ``partitions`` mapping gives the order of its assignment's topics.  A
topic's partitions are a set; the assignors iterate them as Java iterates
``new HashSet<>(ascending list)``.  (Kafka's coordinator loads a target assignment as
``new HashSet<>(list from the record)``, ``Assignment.fromRecord``; the list's own order only
matters among partitions that share a hash bucket.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from enum import Enum
from types import MappingProxyType
from typing import Any

from kafkalab.errors import ErrorCode

from .topic_id import Uuid, as_topic_id

class SubscriptionType(Enum):
    """Kafka's ``SubscriptionType``: which uniform builder runs, and which range path."""

    HOMOGENEOUS = "Homogeneous"
    HETEROGENEOUS = "Heterogeneous"


class PartitionAssignorError(RuntimeError):
    """An assignor could not compute an assignment (Kafka's ``PartitionAssignorException``).

    The coordinator turns it into ``UNKNOWN_SERVER_ERROR`` for the heartbeat that triggered the
    computation, as Kafka does.

    Attributes:
        java_exception: the simple name of the exception Kafka's Java code throws in this case
            (``PartitionAssignorException``, or ``ArrayIndexOutOfBoundsException`` for a current
            assignment with a partition beyond the topic's partition count).
        error_code: :attr:`ErrorCode.UNKNOWN_SERVER_ERROR`.
    """

    error_code = ErrorCode.UNKNOWN_SERVER_ERROR

    def __init__(self, message: str, java_exception: str = "PartitionAssignorException") -> None:
        super().__init__(message)
        self.java_exception = java_exception


class RangeSet(AbstractSet):
    """The partitions ``start <= p < end`` as a set (Kafka's ``RangeSet``; the range assignor's output).

    Equal to any set with the same elements; ``len`` and ``in`` take constant time, and building
    one does not build its elements.  kafkalab's assignors also use it, with a ``step``, for
    partitions they hand out as an arithmetic progression.
    """

    __slots__ = ("_range",)

    def __init__(self, start: int, end: int, step: int = 1) -> None:
        """The set ``range(start, end, step)``.

        Raises:
            TypeError: non-int bounds.
            ValueError: a step below 1.
        """
        if not all(type(v) is int for v in (start, end, step)):
            raise TypeError(f"RangeSet bounds must be ints, not {(start, end, step)!r}")
        if step < 1:
            raise ValueError(f"a RangeSet's step must be at least 1, not {step}")
        self._range = range(start, end, step)

    @classmethod
    def _of(cls, r: range) -> RangeSet:
        self = _new(cls)
        self._range = r
        return self

    @property
    def start(self) -> int:
        """The first partition (when not empty)."""
        return self._range.start

    @property
    def end(self) -> int:
        """The end of the range (exclusive)."""
        return self._range.stop

    def __len__(self) -> int:
        return len(self._range)

    def __contains__(self, partition: object) -> bool:
        return partition in self._range

    def __iter__(self) -> Iterator[int]:
        return iter(self._range)

    def __eq__(self, other: object) -> bool:
        if type(other) is RangeSet:
            return self._range == other._range  # both ascending: equal sequences = equal sets
        return AbstractSet.__eq__(self, other)

    __hash__ = AbstractSet._hash

    @classmethod
    def _from_iterable(cls, it):
        # Set operators (|, &, -, ^) build their result with this: a plain frozenset.
        return frozenset(it)

    def __repr__(self) -> str:
        r = self._range
        return f"RangeSet({r.start}, {r.stop})" if r.step == 1 else f"RangeSet({r.start}, {r.stop}, {r.step})"


_new = object.__new__
_TOPIC_SETS: dict[frozenset, frozenset] = {}


def _partition_set(value: Any, where: str) -> AbstractSet:
    if isinstance(value, (frozenset, RangeSet)):
        parts = value
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{where}: partitions must be a collection of ints, not {value!r}")
    else:
        parts = frozenset(value)
    if type(parts) is frozenset:
        for p in parts:
            if type(p) is not int:
                raise TypeError(f"{where}: a partition must be an int, not {p!r}")
        if parts and min(parts) < 0:
            raise ValueError(f"{where}: partition numbers cannot be negative: {sorted(parts)}")
    elif parts and parts.start < 0:
        raise ValueError(f"{where}: partition numbers cannot be negative: {parts!r}")
    return parts


def _assignment_map(value: Any, where: str) -> Mapping[Uuid, AbstractSet]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}: an assignment must be a mapping {{topic_id: partitions}}, not {value!r}")
    out: dict[Uuid, AbstractSet] = {}
    for topic, parts in value.items():
        topic_id = as_topic_id(topic)
        parts = _partition_set(parts, f"{where}, topic {topic_id}")
        if parts:  # Kafka's coordinator never stores a topic without partitions.
            out[topic_id] = parts
    return MappingProxyType(out)


class MemberAssignment:
    """A member's partitions by topic id (Kafka's ``MemberAssignment``).

    Attributes:
        partitions: read-only ``{topic_id: set of partitions}``; topics without partitions are left
            out.  Compared as sets: two assignments are equal when they hold the same partitions.
    """

    __slots__ = ("partitions",)

    def __init__(self, partitions: Mapping[Any, Iterable[int]] | None = None) -> None:
        """Build an assignment.

        Args:
            partitions: ``{topic_id: partitions}``; topic ids as :class:`Uuid` or text.

        Raises:
            TypeError: a topic id or a partition of the wrong type.
            ValueError: a malformed topic id or a negative partition.
        """
        self.partitions = _assignment_map(partitions, "MemberAssignment")

    @classmethod
    def _trusted(cls, partitions: Mapping[Uuid, AbstractSet]) -> MemberAssignment:
        # For the built-in assignors: their output is well-formed by construction.
        self = _new(cls)
        self.partitions = partitions
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemberAssignment):
            return NotImplemented
        return dict(self.partitions) == dict(other.partitions)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{str(t)!r}: {sorted(p)}" for t, p in self.partitions.items())
        return f"{type(self).__name__}({{{inner}}})"


class MemberSubscriptionAndAssignment(MemberAssignment):
    """One member as an assignor sees it (Kafka's ``MemberSubscriptionAndAssignmentImpl``).

    Attributes:
        subscribed_topic_ids: the topic ids the member subscribes to, as a tuple in the order in
            which Java iterates the member's topic set (only the uniform homogeneous builder's
            tie-breaking depends on it).
        partitions: its current target assignment (see :class:`MemberAssignment`); the mapping's
            order is Java's iteration order of the member's assignment map.
        rack_id: the member's rack (``client.rack``), or None.  Carried, but neither built-in
            assignor uses it.
        instance_id: ``group.instance.id`` of a static member, or None (the range assignor orders
            static members first).
    """

    # _total, _topics and _as_assignment (the partition count, the topics of ``partitions``, and
    # ``partitions`` as a MemberAssignment) let an assignor look at many members in bulk.
    __slots__ = ("subscribed_topic_ids", "_topic_set", "rack_id", "instance_id", "_total", "_topics", "_as_assignment")

    def __init__(
        self,
        subscribed_topic_ids: Iterable[Any] = (),
        partitions: Mapping[Any, Iterable[int]] | None = None,
        *,
        rack_id: str | None = None,
        instance_id: str | None = None,
    ) -> None:
        """Describe a member.

        Args:
            subscribed_topic_ids: topic ids (:class:`Uuid` or text).  A sequence is taken in its
                order; a set is ordered by ``Uuid.compareTo``.  Duplicates are dropped.
            partitions: the member's current target assignment, ``{topic_id: partitions}``.
            rack_id: the member's rack, or None.
            instance_id: its ``group.instance.id``, or None.

        Raises:
            TypeError, ValueError: malformed topic ids, partitions, rack or instance id.
        """
        if isinstance(subscribed_topic_ids, (str, bytes)) or not isinstance(subscribed_topic_ids, Iterable):
            raise TypeError(f"subscribed_topic_ids must be a collection of topic ids, not {subscribed_topic_ids!r}")
        ids = [as_topic_id(t) for t in subscribed_topic_ids]
        if isinstance(subscribed_topic_ids, AbstractSet):
            ids.sort(key=Uuid.compare_key.fget)
        self.subscribed_topic_ids: tuple[Uuid, ...] = tuple(dict.fromkeys(ids))
        self._topic_set = frozenset(self.subscribed_topic_ids)
        for name, value in (("rack_id", rack_id), ("instance_id", instance_id)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, not {value!r}")
        self.rack_id = rack_id
        self.instance_id = instance_id
        self._set_partitions(_assignment_map(partitions, "current assignment"))

    def _set_partitions(self, partitions: Mapping[Uuid, AbstractSet]) -> None:
        self.partitions = partitions
        self._total = sum(map(len, partitions.values()))
        topics = frozenset(partitions)
        if len(_TOPIC_SETS) >= 4096:
            _TOPIC_SETS.clear()
        self._topics = _TOPIC_SETS.setdefault(topics, topics)  # shared: cheap to collect in a set
        self._as_assignment = MemberAssignment._trusted(partitions)

    @classmethod
    def _from_coordinator(
        cls,
        subscribed_topic_ids: tuple[Uuid, ...],
        partitions: Mapping[Uuid, AbstractSet],
        rack_id: str | None = None,
        instance_id: str | None = None,
    ) -> MemberSubscriptionAndAssignment:
        # For the coordinator: ids distinct and in order, a read-only map without empty topics.
        self = _new(cls)
        self.subscribed_topic_ids = subscribed_topic_ids
        self._topic_set = frozenset(subscribed_topic_ids)
        self.rack_id = rack_id
        self.instance_id = instance_id
        self._set_partitions(partitions)
        return self

    def is_subscribed(self, topic_id: Any) -> bool:
        """Whether the member subscribes to ``topic_id`` (``subscribedTopicIds().contains``)."""
        return topic_id in self._topic_set

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemberSubscriptionAndAssignment):
            return NotImplemented
        return (
            self.subscribed_topic_ids == other.subscribed_topic_ids
            and self.rack_id == other.rack_id
            and self.instance_id == other.instance_id
            and MemberAssignment.__eq__(self, other)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        topics = [str(t) for t in self.subscribed_topic_ids]
        extra = "".join(f", {k}={getattr(self, k)!r}" for k in ("rack_id", "instance_id") if getattr(self, k) is not None)
        parts = {str(t): sorted(p) for t, p in self.partitions.items()}
        return f"MemberSubscriptionAndAssignment({topics}, {parts}{extra})"


#: Kafka's names for the two views of one member object.
MemberSubscription = MemberSubscriptionAndAssignment


def subscription_type_of(members: Mapping[str, MemberSubscriptionAndAssignment]) -> SubscriptionType:
    """Kafka's rule (``ModernGroup.subscriptionType``) applied to the members' topic ids.

    HOMOGENEOUS when every subscribed topic has as many subscribers as the group has members
    (a group where nobody subscribes to anything is HOMOGENEOUS too); otherwise HETEROGENEOUS.
    Kafka counts topic *names*, including names with no topic behind them, so a group whose
    members differ only in a nonexistent topic is HETEROGENEOUS there: pass
    ``subscription_type`` to :class:`GroupSpec` explicitly to reproduce that.

    Args:
        members: ``{member_id: member}``.

    Returns:
        The subscription type.
    """
    counts: dict[Uuid, int] = {}
    for member in members.values():
        for t in member.subscribed_topic_ids:
            counts[t] = counts.get(t, 0) + 1
    n = len(members)
    return SubscriptionType.HOMOGENEOUS if all(c == n for c in counts.values()) else SubscriptionType.HETEROGENEOUS


class GroupSpec:
    """Everything an assignor knows about the group (Kafka's ``GroupSpec`` / ``GroupSpecImpl``).

    Attributes:
        members: read-only ``{member_id: MemberSubscriptionAndAssignment}``; its order is
            ``memberIds()`` order (Kafka's coordinator uses a ``HashMap``, its tests sorted ids).
        subscription_type: :class:`SubscriptionType`.
        inverted_member_assignment: read-only ``{topic_id: {partition: member_id}}``, the group's
            stored target assignment inverted; :meth:`is_partition_assigned` reads it.
    """

    __slots__ = ("members", "subscription_type", "inverted_member_assignment")

    def __init__(
        self,
        members: Mapping[str, MemberSubscriptionAndAssignment | Iterable[Any]],
        subscription_type: SubscriptionType | str | None = None,
        inverted_member_assignment: Mapping[Any, Mapping[int, str]] | None = None,
    ) -> None:
        """Describe a group.

        Args:
            members: ``{member_id: MemberSubscriptionAndAssignment}`` in ``memberIds()`` order;
                a plain collection of topic ids stands for a member with no current assignment.
            subscription_type: HOMOGENEOUS / HETEROGENEOUS (enum or its name); by default
                computed with :func:`subscription_type_of`.
            inverted_member_assignment: ``{topic_id: {partition: member_id}}``; by default
                computed from the members' current assignments (a later member wins a partition
                two members hold, as Kafka's test helper ``invertedTargetAssignment`` does).

        Raises:
            TypeError, ValueError: malformed members, member ids, or subscription type.
        """
        if not isinstance(members, Mapping):
            raise TypeError(f"members must be a mapping {{member_id: MemberSubscriptionAndAssignment}}, not {members!r}")
        specs: dict[str, MemberSubscriptionAndAssignment] = {}
        for member_id, spec in members.items():
            if not isinstance(member_id, str):
                raise TypeError(f"a member id must be a str, not {member_id!r}")
            if not isinstance(spec, MemberSubscriptionAndAssignment):
                spec = MemberSubscriptionAndAssignment(spec)
            specs[member_id] = spec
        self.members: Mapping[str, MemberSubscriptionAndAssignment] = MappingProxyType(specs)
        if subscription_type is None:
            subscription_type = subscription_type_of(specs)
        elif isinstance(subscription_type, str):
            try:
                subscription_type = SubscriptionType[subscription_type.upper()]
            except KeyError:
                raise ValueError(
                    f"unknown subscription type {subscription_type!r}; use HOMOGENEOUS or HETEROGENEOUS"
                ) from None
        elif not isinstance(subscription_type, SubscriptionType):
            raise TypeError(f"subscription_type must be a SubscriptionType, not {subscription_type!r}")
        self.subscription_type: SubscriptionType = subscription_type
        inverted: dict[Uuid, Mapping[int, str]] = {}
        if inverted_member_assignment is None:
            for member_id, spec in specs.items():
                for topic_id, parts in spec.partitions.items():
                    owners = inverted.setdefault(topic_id, {})
                    for p in parts:
                        owners[p] = member_id
        else:
            if not isinstance(inverted_member_assignment, Mapping):
                raise TypeError("inverted_member_assignment must be a mapping {topic_id: {partition: member_id}}")
            for topic_id, owners in inverted_member_assignment.items():
                if not isinstance(owners, Mapping):
                    raise TypeError(f"inverted_member_assignment[{topic_id!r}] must be a mapping {{partition: member_id}}")
                inverted[as_topic_id(topic_id)] = dict(owners)
        self.inverted_member_assignment: Mapping[Uuid, Mapping[int, str]] = MappingProxyType(inverted)

    @classmethod
    def _trusted(
        cls,
        members: dict[str, MemberSubscriptionAndAssignment],
        subscription_type: SubscriptionType,
        inverted_member_assignment: dict[Uuid, Mapping[int, str]],
    ) -> GroupSpec:
        # For the coordinator: its own well-formed data, taken over (not copied).
        self = _new(cls)
        self.members = MappingProxyType(members)
        self.subscription_type = subscription_type
        self.inverted_member_assignment = MappingProxyType(inverted_member_assignment)
        return self

    @property
    def member_ids(self) -> tuple[str, ...]:
        """``memberIds()``, in iteration order."""
        return tuple(self.members)

    def is_partition_assigned(self, topic_id: Any, partition: int) -> bool:
        """``isPartitionAssigned``: whether the stored target gives ``partition`` to anyone."""
        owners = self.inverted_member_assignment.get(topic_id)
        return owners is not None and partition in owners

    def member_subscription(self, member_id: str) -> MemberSubscriptionAndAssignment:
        """``memberSubscription``: the member's subscription.

        Raises:
            ValueError: unknown member id (Java: ``IllegalArgumentException``).
        """
        try:
            return self.members[member_id]
        except KeyError:
            raise ValueError(f"Member Id {member_id} not found.") from None

    def member_assignment(self, member_id: str) -> MemberAssignment:
        """``memberAssignment``: the member's current target, or an empty one for an unknown id."""
        spec = self.members.get(member_id)
        return spec if spec is not None else MemberAssignment()

    def __repr__(self) -> str:
        return f"GroupSpec({dict(self.members)!r}, {self.subscription_type.name})"


class SubscribedTopicDescriber:
    """Partition counts and racks of the subscribed topics (Kafka's ``SubscribedTopicDescriber``)."""

    def num_partitions(self, topic_id: Uuid) -> int:
        """The topic's partition count, or -1 when the topic is unknown."""
        raise NotImplementedError

    def racks_for_partition(self, topic_id: Uuid, partition: int) -> frozenset[str]:
        """The racks of the partition's replicas (empty when unknown)."""
        raise NotImplementedError


class SubscribedTopicDescriberImpl(SubscribedTopicDescriber):
    """A :class:`SubscribedTopicDescriber` over plain data (Kafka's ``SubscribedTopicDescriberImpl``)."""

    __slots__ = ("_counts", "_racks")

    def __init__(
        self,
        partitions_per_topic: Mapping[Any, int],
        partition_racks: Mapping[tuple[Any, int], Iterable[str]] | None = None,
    ) -> None:
        """Describe topics.

        Args:
            partitions_per_topic: ``{topic_id: partition count}``.
            partition_racks: ``{(topic_id, partition): racks of its replicas}``, optional.

        Raises:
            TypeError, ValueError: malformed topic ids, counts or racks.
        """
        if not isinstance(partitions_per_topic, Mapping):
            raise TypeError(f"partitions_per_topic must be a mapping {{topic_id: count}}, not {partitions_per_topic!r}")
        counts: dict[Uuid, int] = {}
        for topic, n in partitions_per_topic.items():
            if type(n) is not int:
                raise TypeError(f"the partition count of topic {topic!r} must be an int, not {n!r}")
            if n < 0:
                raise ValueError(f"the partition count of topic {topic!r} cannot be negative: {n}")
            counts[as_topic_id(topic)] = n
        racks: dict[tuple[Uuid, int], frozenset[str]] = {}
        for (topic, partition), names in (partition_racks or {}).items():
            racks[(as_topic_id(topic), partition)] = frozenset(names)
        self._counts = counts
        self._racks = racks

    def num_partitions(self, topic_id: Uuid) -> int:
        """The topic's partition count, or -1 when the topic is unknown."""
        return self._counts.get(topic_id, -1)

    def racks_for_partition(self, topic_id: Uuid, partition: int) -> frozenset[str]:
        """The racks of the partition's replicas (empty when unknown)."""
        return self._racks.get((topic_id, partition), frozenset())

    def __repr__(self) -> str:
        return f"SubscribedTopicDescriberImpl({ {str(t): n for t, n in self._counts.items()} })"


class GroupAssignment:
    """An assignor's result: the new target assignment (Kafka's ``GroupAssignment``).

    Attributes:
        members: read-only ``{member_id: MemberAssignment}``.  A member may be missing (the uniform
            assignor returns nothing when nobody subscribes to anything); the coordinator treats a
            missing member as having an empty assignment.
    """

    __slots__ = ("members",)

    def __init__(self, members: Mapping[str, MemberAssignment]) -> None:
        """Wrap ``{member_id: MemberAssignment}``.

        Raises:
            TypeError: not a mapping of str to :class:`MemberAssignment`.
        """
        if not isinstance(members, Mapping):
            raise TypeError(f"GroupAssignment needs a mapping {{member_id: MemberAssignment}}, not {members!r}")
        for member_id, assignment in members.items():
            if not isinstance(member_id, str) or not isinstance(assignment, MemberAssignment):
                raise TypeError(
                    f"GroupAssignment: {member_id!r} -> {assignment!r} is not a member id and a MemberAssignment"
                )
        self.members: Mapping[str, MemberAssignment] = MappingProxyType(dict(members))

    @classmethod
    def _trusted(cls, members: dict[str, MemberAssignment]) -> GroupAssignment:
        self = _new(cls)
        self.members = MappingProxyType(members)
        return self

    def partitions(self) -> dict[str, dict[Uuid, list[int]]]:
        """Plain data: ``{member_id: {topic_id: sorted partitions}}``, for printing and comparing."""
        return {
            m: {t: sorted(p) for t, p in a.partitions.items()}
            for m, a in self.members.items()
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupAssignment):
            return NotImplemented
        return dict(self.members) == dict(other.members)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"GroupAssignment({self.partitions()!r})"


class ConsumerGroupPartitionAssignor:
    """Base class of server-side assignors (Kafka's ``ConsumerGroupPartitionAssignor``).

    To plug in your own, subclass it, set ``name`` and implement :meth:`assign`; a coordinator
    accepts the instance wherever it accepts a built-in name::

        class EverythingToTheFirst(ConsumerGroupPartitionAssignor):
            name = "first"

            def assign(self, group_spec, subscribed_topic_describer):
                first, *rest = group_spec.member_ids
                topics = group_spec.member_subscription(first).subscribed_topic_ids
                parts = {t: range(subscribed_topic_describer.num_partitions(t)) for t in topics}
                return GroupAssignment({first: MemberAssignment(parts),
                                        **{m: MemberAssignment() for m in rest}})
    """

    #: The name members ask for in ``ServerAssignor`` (``group.remote.assignor``).
    name: str = ""

    def assign(self, group_spec: GroupSpec, subscribed_topic_describer: SubscribedTopicDescriber) -> GroupAssignment:
        """Compute the group's new target assignment.

        Args:
            group_spec: the members, their subscriptions and current targets.
            subscribed_topic_describer: partition counts of the subscribed topics.

        Returns:
            The new target assignment.

        Raises:
            PartitionAssignorError: no assignment can be computed (e.g. a subscribed topic that the
                describer does not know).
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
