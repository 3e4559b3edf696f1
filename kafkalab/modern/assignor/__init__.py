"""Server-side assignors of the KIP-848 consumer protocol, computed exactly as Kafka's Java classes.

With ``group.protocol=consumer`` the group coordinator, not a group leader, decides who reads
which partition: on every group epoch bump it runs a ``ConsumerGroupPartitionAssignor`` over the
members' subscriptions and current targets and stores the result as the new *target assignment*.
Kafka ships two, configured by ``group.consumer.assignors`` (default ``uniform,range``; a member
may ask for one with ``group.remote.assignor``):

* ``uniform`` (:class:`UniformAssignor`, the default): balanced (member sizes differ by at most
  one where subscriptions allow), then sticky -- members keep what they have where balance allows;
* ``range`` (:class:`RangeAssignor`): contiguous ranges per topic, co-partitioned, not sticky.

Example::

    from kafkalab.modern.assignor import (GroupSpec, MemberSubscriptionAndAssignment as Member,
                                          SubscribedTopicDescriberImpl, Uuid, get_assignor)
    orders = Uuid("T1-A4s3VTwiI5CTbEp6POw")
    spec = GroupSpec({"A": Member([orders], {orders: {0, 1, 2}}), "B": Member([orders])})
    get_assignor("uniform").assign(spec, SubscribedTopicDescriberImpl({orders: 3})).partitions()
    # -> {'A': {Uuid('T1-A4s3VTwiI5CTbEp6POw'): [0, 1]}, 'B': {Uuid('T1-A4s3VTwiI5CTbEp6POw'): [2]}}

Plug in your own by subclassing :class:`ConsumerGroupPartitionAssignor` (as Kafka's own tests
install a mock assignor): :func:`get_assignor` accepts the instance wherever a name is accepted.

Fidelity: the results equal Kafka's compiled classes (apache/kafka ``group-coordinator`` at
commit 1eb7644, whose assignors are those docs/consumer-protocol.md §5 describes) on thousands of
random groups, including the places where Java's ``HashSet`` iteration order decides
(:mod:`kafkalab.java`); see
tests/test_modern_assignors_java_golden.py.  Iteration order is part of the input: the order of
``GroupSpec.members`` is ``memberIds()`` order, and so on (see :mod:`.api`).

Everything is pure and deterministic: no randomness, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from kafkalab.modern.assignor.api import (
    ConsumerGroupPartitionAssignor,
    GroupAssignment,
    GroupSpec,
    MemberAssignment,
    MemberSubscription,
    MemberSubscriptionAndAssignment,
    PartitionAssignorError,
    RangeSet,
    SubscribedTopicDescriber,
    SubscribedTopicDescriberImpl,
    SubscriptionType,
    subscription_type_of,
)
from kafkalab.modern.assignor.topic_id import Uuid
from kafkalab.modern.assignor.range_assignor import RangeAssignor
from kafkalab.modern.assignor.uniform_assignor import (
    UniformAssignor,
    UniformHeterogeneousAssignmentBuilder,
    UniformHomogeneousAssignmentBuilder,
)

#: The built-in assignors by name, in ``group.consumer.assignors`` default order.
ASSIGNORS: Mapping[str, ConsumerGroupPartitionAssignor] = MappingProxyType(
    {a.name: a for a in (UniformAssignor(), RangeAssignor())}
)

#: Kafka's class names, accepted as well (``group.consumer.assignors`` takes class names).
JAVA_CLASS_NAMES: Mapping[str, str] = MappingProxyType({
    "org.apache.kafka.coordinator.group.assignor.UniformAssignor": "uniform",
    "org.apache.kafka.coordinator.group.assignor.RangeAssignor": "range",
})


def get_assignor(name_or_object: str | ConsumerGroupPartitionAssignor | type[ConsumerGroupPartitionAssignor]) -> ConsumerGroupPartitionAssignor:
    """Look up a server-side assignor.

    Args:
        name_or_object: ``"uniform"`` or ``"range"`` (or Kafka's class name for either), a
            :class:`ConsumerGroupPartitionAssignor` instance (returned as is), or a subclass
            (instantiated without arguments).

    Returns:
        The assignor.

    Raises:
        ValueError: an unknown name (the message lists the known ones), or an assignor without a
            name.
        TypeError: neither a name nor an assignor.
    """
    if isinstance(name_or_object, type) and issubclass(name_or_object, ConsumerGroupPartitionAssignor):
        name_or_object = name_or_object()
    if isinstance(name_or_object, ConsumerGroupPartitionAssignor):
        if not isinstance(name_or_object.name, str) or not name_or_object.name:
            raise ValueError(f"{name_or_object!r} has no name: set the class attribute `name`")
        return name_or_object
    if isinstance(name_or_object, str):
        name = JAVA_CLASS_NAMES.get(name_or_object.strip(), name_or_object.strip())
        try:
            return ASSIGNORS[name]
        except KeyError:
            raise ValueError(
                f"unknown server-side assignor {name_or_object!r}; known: {', '.join(ASSIGNORS)} "
                "(or pass your own ConsumerGroupPartitionAssignor)"
            ) from None
    raise TypeError(
        f"expected an assignor name ({', '.join(ASSIGNORS)}) or a ConsumerGroupPartitionAssignor, not {name_or_object!r}"
    )


def get_assignors(config: str | Iterable[Any]) -> list[ConsumerGroupPartitionAssignor]:
    """Resolve a ``group.consumer.assignors`` value: the first one is the group's default.

    Args:
        config: a comma-separated string (``"uniform,range"``) or a list of names, assignors or
            assignor classes.

    Returns:
        The assignors, in order.

    Raises:
        ValueError: an empty list, an unknown name, or two assignors with the same name.
        TypeError: an entry that is neither a name nor an assignor.
    """
    entries = [e for e in config.split(",") if e.strip()] if isinstance(config, str) else list(config)
    assignors = [get_assignor(e) for e in entries]
    if not assignors:
        raise ValueError("at least one server-side assignor is needed (Kafka's default: uniform,range)")
    names = [a.name for a in assignors]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two assignors are named {', '.join(map(repr, duplicates))}; names must be unique")
    return assignors


__all__ = [
    "ASSIGNORS",
    "ConsumerGroupPartitionAssignor",
    "GroupAssignment",
    "GroupSpec",
    "JAVA_CLASS_NAMES",
    "MemberAssignment",
    "MemberSubscription",
    "MemberSubscriptionAndAssignment",
    "PartitionAssignorError",
    "RangeAssignor",
    "RangeSet",
    "SubscribedTopicDescriber",
    "SubscribedTopicDescriberImpl",
    "SubscriptionType",
    "UniformAssignor",
    "UniformHeterogeneousAssignmentBuilder",
    "UniformHomogeneousAssignmentBuilder",
    "Uuid",
    "get_assignor",
    "get_assignors",
    "subscription_type_of",
]
