"""Client-side partition assignors, computed exactly as Apache Kafka's Java client computes them.

In Kafka's classic group protocol the broker does not decide who reads which partition: the
coordinator picks one member as leader, hands it every member's subscription in the JoinGroup
response, and the leader runs a *client-side assignor* and sends the result back in SyncGroup.
This package holds the four assignors every Java consumer ships with, as pure functions:

* ``range`` (``RangeAssignor``): per topic, contiguous ranges; KIP-881 rack-aware;
* ``roundrobin`` (``RoundRobinAssignor``): all partitions dealt round-robin;
* ``sticky`` (``StickyAssignor``): balanced, and keeps what members already own;
* ``cooperative-sticky`` (``CooperativeStickyAssignor``): sticky, but a partition that changes
  owner is withheld for one round (KIP-429), so members never stop consuming the rest.

One call does it::

    from kafkalab.assignors import assign, Subscription
    assign("cooperative-sticky", {"orders": 6},
           {"c1": Subscription(["orders"], owned_partitions=[("orders", p) for p in range(6)], generation=3),
            "c2": Subscription(["orders"])})
    # -> {'c1': [('orders', 0), ('orders', 1), ('orders', 2)], 'c2': []}
    #    orders-3..5 are withheld this round; the follow-up rebalance gives them to c2.

How the results are made to match Kafka's Java classes exactly (checked against the compiled
classes themselves, see tests/test_assignors_java_golden.py):

* Ties are broken as Java breaks them: member order is ``MemberInfo`` order (static members by
  ``group.instance.id``, then dynamic members by member id, compared as Java strings);
  the sticky assignor visits members in the iteration order of the leader's ``HashMap``,
  which :mod:`kafkalab.java` reproduces from ``String.hashCode``.
* The input is reduced as Java's ``AbstractPartitionAssignor`` reduces it before any
  assignor runs (topics without subscribers or partitions are dropped).
* Each member's list is sorted by topic and partition (Kafka's list order is an artifact of
  hash-map iteration; consumers treat an assignment as a set).

Known differences from Kafka's Java classes: member lists are sorted (above); a subscription's
duplicate topics or owned partitions are collapsed (a Java consumer sends sets); owned
partitions beyond a topic's partition count are dropped (Kafka never shrinks a topic); eager
``sticky`` reads previous ownership from :attr:`Subscription.owned_partitions` instead of its
user data; ``maxGeneration``, a field Java's sticky assignor never resets between calls, is
computed per call; where Java throws, :class:`AssignorError` is raised; a Java ``HashMap``
bucket with 9+ colliding member ids is ordered as a list, not as Java's tree.

Also here: the :class:`Assignor` base class for your own assignors, the :data:`ASSIGNORS`
registry, :func:`select_rebalance_protocol`, and helpers for plots (:func:`member_counts`,
:func:`balance`, :func:`moved_partitions`, :func:`unowned_partitions`).

Everything is pure and deterministic: no randomness, no clock, no I/O.
"""

from kafkalab.assignors.base import (
    DEFAULT_GENERATION,
    Assignment,
    Assignor,
    AssignorError,
    RebalanceProtocol,
    Subscription,
    TopicPartition,
    UnknownAssignorError,
)
from kafkalab.assignors.metrics import PartitionMove, balance, member_counts, moved_partitions, unowned_partitions
from kafkalab.assignors.range_assignor import RangeAssignor
from kafkalab.assignors.registry import ASSIGNORS, assign, get_assignor, select_rebalance_protocol
from kafkalab.assignors.roundrobin_assignor import RoundRobinAssignor
from kafkalab.assignors.sticky_assignor import (
    AbstractStickyAssignor,
    CooperativeStickyAssignor,
    StickyAssignor,
    StickyOutcome,
)

__all__ = [
    "ASSIGNORS",
    "AbstractStickyAssignor",
    "Assignment",
    "Assignor",
    "AssignorError",
    "CooperativeStickyAssignor",
    "DEFAULT_GENERATION",
    "PartitionMove",
    "RangeAssignor",
    "RebalanceProtocol",
    "RoundRobinAssignor",
    "StickyAssignor",
    "StickyOutcome",
    "Subscription",
    "TopicPartition",
    "UnknownAssignorError",
    "assign",
    "balance",
    "get_assignor",
    "member_counts",
    "moved_partitions",
    "select_rebalance_protocol",
    "unowned_partitions",
]
