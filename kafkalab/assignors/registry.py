"""The built-in assignors by name, protocol selection, and the one-call :func:`assign`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from kafkalab.assignors.base import (
    Assignment,
    Assignor,
    RebalanceProtocol,
    TopicPartition,
    UnknownAssignorError,
    as_subscription,
)
from kafkalab.assignors.range_assignor import RangeAssignor
from kafkalab.assignors.roundrobin_assignor import RoundRobinAssignor
from kafkalab.assignors.sticky_assignor import CooperativeStickyAssignor, StickyAssignor

#: The four assignors a Kafka Java consumer ships with, by ``partition.assignment.strategy`` name.
ASSIGNORS: Mapping[str, Assignor] = MappingProxyType(
    {
        a.name: a
        for a in (RangeAssignor(), RoundRobinAssignor(), StickyAssignor(), CooperativeStickyAssignor())
    }
)


def get_assignor(name_or_instance: str | Assignor | type[Assignor]) -> Assignor:
    """Look up an assignor.

    Args:
        name_or_instance: a built-in name (``"range"``, ``"roundrobin"``, ``"sticky"``,
            ``"cooperative-sticky"``), an :class:`Assignor` instance (returned as is), or an
            :class:`Assignor` subclass (instantiated without arguments).

    Returns:
        The assignor.

    Raises:
        UnknownAssignorError: an unknown name (a ``ValueError``; the message lists the names).
        TypeError: neither a name nor an assignor.
    """
    if isinstance(name_or_instance, Assignor):
        return name_or_instance
    if isinstance(name_or_instance, type) and issubclass(name_or_instance, Assignor):
        return name_or_instance()
    if isinstance(name_or_instance, str):
        try:
            return ASSIGNORS[name_or_instance]
        except KeyError:
            raise UnknownAssignorError(
                f"unknown assignor {name_or_instance!r}; available: {', '.join(ASSIGNORS)}"
            ) from None
    raise TypeError(f"expected an assignor name or an Assignor, not {name_or_instance!r}")


def select_rebalance_protocol(assignors: Iterable[str | Assignor | type[Assignor]]) -> RebalanceProtocol:
    """The rebalance protocol a consumer runs with these configured assignors.

    Java's ``ConsumerCoordinator`` keeps the protocols supported by *all* configured assignors
    and picks the highest; the coordinator's later choice of assignor does not change it.
    So the default ``[range, cooperative-sticky]`` runs EAGER, and only dropping ``range``
    switches the consumer to COOPERATIVE.

    Args:
        assignors: the configured assignors (names or instances), in preference order.

    Returns:
        :attr:`RebalanceProtocol.COOPERATIVE` or :attr:`RebalanceProtocol.EAGER`.

    Raises:
        ValueError: no assignors, or no protocol that all of them support.
    """
    resolved = [get_assignor(a) for a in assignors]
    if not resolved:
        raise ValueError("at least one assignor is needed to choose a rebalance protocol")
    common = set(resolved[0].supported_protocols)
    for a in resolved[1:]:
        common &= set(a.supported_protocols)
    if not common:
        names = ", ".join(a.name for a in resolved)
        raise ValueError(f"assignors [{names}] do not have a commonly supported rebalance protocol")
    return max(common, key=lambda p: p.value)


def assign(
    strategy: str | Assignor,
    partitions_per_topic: Mapping[str, int],
    subscriptions: Mapping[str, Any],
    *,
    partition_racks: Mapping[TopicPartition, Iterable[str]] | None = None,
) -> Assignment:
    """Run one assignor, as the group leader does after JoinGroup.

    Example::

        >>> assign("range", {"t": 7}, {"c1": ["t"], "c2": ["t"], "c3": ["t"]})["c1"]
        [('t', 0), ('t', 1), ('t', 2)]

    Args:
        strategy: an assignor name (see :data:`ASSIGNORS`) or an :class:`Assignor`.
        partitions_per_topic: ``{topic: partition count}``.
        subscriptions: ``{member_id: Subscription}``; a dict with the same keys, or just a
            collection of topics, is accepted too.
        partition_racks: ``{(topic, partition): racks of its replicas}`` (KIP-881), optional.

    Returns:
        ``{member_id: [(topic, partition), ...]}`` with every member present.

    Raises:
        UnknownAssignorError: an unknown strategy name (lists the available ones).
        TypeError: an argument of the wrong type.
        ValueError: a negative partition count or partition number.
    """
    assignor = get_assignor(strategy)
    if not isinstance(subscriptions, Mapping):
        raise TypeError(f"subscriptions must be a mapping {{member_id: Subscription}}, not {type(subscriptions).__name__}")
    # A learner's assignor always sees Subscription objects, whatever shorthand the caller used.
    subs = {}
    for member_id, value in subscriptions.items():
        if not isinstance(member_id, str):
            raise TypeError(f"subscriptions: a member id must be a str, not {member_id!r}")
        subs[member_id] = as_subscription(member_id, value)
    return assignor.assign(partitions_per_topic, subs, partition_racks)
