"""``roundrobin``: Java's ``org.apache.kafka.clients.consumer.RoundRobinAssignor``.

All partitions of all subscribed topics are laid out sorted by topic name, then partition; the
members, in ``MemberInfo`` order (static members by ``group.instance.id`` first, then dynamic
members by member id), form a circle.  Each partition goes to the next member in the circle
that subscribes to its topic; members that do not are passed over (and lose their turn for that
partition only).  With identical subscriptions the counts differ by at most one; with different
subscriptions the result can be badly unbalanced.
"""

from __future__ import annotations

from kafkalab.java import string_compare_key
from kafkalab.assignors.base import GroupView, RebalanceProtocol, TopicPartition
from kafkalab.assignors.builtin import BuiltinAssignor


class RoundRobinAssignor(BuiltinAssignor):
    """The ``roundrobin`` assignor (Java ``RoundRobinAssignor``).

    Javadoc example: C0 and C1 subscribe to t0 and t1, three partitions each ->
    ``C0: [t0p0, t0p2, t1p1]``, ``C1: [t0p1, t1p0, t1p2]``.
    """

    name = "roundrobin"
    supported_protocols = (RebalanceProtocol.EAGER,)

    def _assign(self, view: GroupView) -> dict[str, list[TopicPartition]]:
        members = view.member_info_order()
        topics_of = {m: set(view.subscriptions[m].topics) for m in members}
        assignment: dict[str, list[TopicPartition]] = {m: [] for m in members}
        # Java: a TreeSet of every subscribed topic; topics without metadata are skipped.
        topics = sorted({t for m in members for t in topics_of[m]}, key=string_compare_key)
        i, n = 0, len(members)
        for topic in topics:
            for p in range(view.partitions_per_topic.get(topic, 0)):
                # CircularIterator: skip members not subscribed to this topic (one exists).
                while topic not in topics_of[members[i]]:
                    i = (i + 1) % n
                assignment[members[i]].append((topic, p))
                i = (i + 1) % n
        return assignment
