"""The ``__consumer_offsets`` log as a coordinator reads it back, and the group records in it.

How it works
------------
Kafka's coordinator writes a record to ``__consumer_offsets`` for every change it makes and
replays them when a broker becomes leader of a partition.  kafkalab keeps only what a replay
needs: per group, the latest group record (Kafka's ``GroupMetadataValue``: members, generation,
protocol, leader, not the rebalance state) and the latest committed offset of each partition; per consumer group (KIP-848), its records in order
(``kafkalab.modern.events.GroupRecord``: Kafka writes a consumer group as many small records, and a
new coordinator replays them all).  :class:`GroupLog` is that store; the coordinators of one cluster share it, which is how a group
survives a coordinator failover.

The conversions live here too, as in Kafka's record helpers: :func:`group_metadata_record` and
:func:`empty_group_metadata_record` turn a :class:`~kafkalab.classic.group.Group` into a record
(``newGroupMetadataRecord`` / ``newEmptyGroupMetadataRecord``), and :func:`group_from_record`
turns one back into a group (``ClassicGroup.fromRecord``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .classic.group import Group, Member
from .classic.state import GroupState
from .cluster import partition_for_group

__all__ = [
    "GroupLog", "GroupRecord", "MemberRecord", "OffsetAndMetadata",
    "group_metadata_record", "empty_group_metadata_record", "group_from_record",
]


@dataclass(frozen=True)
class MemberRecord:
    """One member in a group record (Kafka's ``GroupMetadataValue.MemberMetadata``)."""

    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True)
class GroupRecord:
    """What Kafka's ``GroupMetadataValue`` record keeps (the rebalance state is not persisted)."""

    group_id: str
    protocol_type: Optional[str]
    generation_id: int
    protocol_name: Optional[str]
    leader_id: Optional[str]
    current_state_timestamp: int
    members: tuple[MemberRecord, ...]


@dataclass
class OffsetAndMetadata:
    """A committed offset (Kafka's ``OffsetAndMetadata``, the value of an offset commit record).

    ``expire_timestamp_ms`` is set only by OffsetCommit v2-v4 with a retention time."""

    committed_offset: int
    committed_leader_epoch: int
    metadata: str
    commit_timestamp_ms: int
    expire_timestamp_ms: Optional[int] = None


class GroupLog:
    """The replicated ``__consumer_offsets`` topic, reduced to what a coordinator reads back:
    the latest group record and the latest committed offsets per group, by partition, and each
    consumer group's records."""

    def __init__(self, num_partitions: int = 50) -> None:
        self.num_partitions = num_partitions
        self.groups: dict[str, GroupRecord] = {}
        self.offsets: dict[str, dict[tuple[str, int], OffsetAndMetadata]] = {}
        #: Each consumer group's records since its creation (dropped by its tombstone).
        self.consumer_groups: dict[str, list[Any]] = {}
        self.writes = 0

    def partition(self, group_id: str) -> int:
        """The partition of ``group_id`` (:func:`kafkalab.cluster.partition_for_group`)."""
        return partition_for_group(group_id, self.num_partitions)

    def group_ids(self, partition: int) -> list[str]:
        """The groups with a record or offsets in ``partition``, sorted."""
        ids = set(self.groups) | set(self.offsets) | set(self.consumer_groups)
        return sorted(g for g in ids if self.partition(g) == partition)


def group_metadata_record(group: Group, assignments: dict[str, bytes] | None = None) -> GroupRecord:
    """The record Kafka's ``newGroupMetadataRecord`` writes for ``group``.

    Args:
        group: the group as it is now.
        assignments: the assignment to record per member id (the leader's SyncGroup writes the new
            one before the members get it); a member not listed keeps its current assignment.

    Returns:
        The record; an Empty group's has no members.
    """
    assignments = assignments if assignments is not None else {}
    members = tuple(
        MemberRecord(
            m.member_id, m.group_instance_id, m.client_id, m.client_host,
            m.rebalance_timeout_ms, m.session_timeout_ms,
            m.metadata(group.protocol_name) if group.protocol_name in m.protocol_names else b"",
            assignments.get(m.member_id, m.assignment),
        )
        for m in group.members.values()
    ) if group.state is not GroupState.EMPTY else ()
    # Like Kafka's record, keep the time the group entered its current state (offset expiry of an
    # Empty group counts from it, also after a failover).
    return GroupRecord(group.group_id, group.protocol_type, group.generation_id, group.protocol_name,
                       group.leader_id, group.current_state_timestamp, members)


def empty_group_metadata_record(group: Group) -> GroupRecord:
    """Kafka's ``newEmptyGroupMetadataRecord``: no members, no protocol, no leader.  A newly
    created group gets it even if its first member was already added by the same JoinGroup."""
    return GroupRecord(group.group_id, group.protocol_type, group.generation_id, None, None,
                       group.current_state_timestamp, ())


def group_from_record(group_id: str, record: GroupRecord | None) -> Group:
    """The group a replay of ``record`` gives (Kafka's ``ClassicGroup.fromRecord``), before its
    state is set: the caller moves it with ``Trigger.GROUP_LOADED``.

    Args:
        group_id: the group id.
        record: its latest record, or ``None`` for a group that only has offsets.

    Returns:
        A :class:`Group` with the record's generation, protocol, leader and members (each member's
        only protocol is the group's, with its stored subscription).
    """
    group = Group(group_id)
    if record is None:
        return group
    group.protocol_type = record.protocol_type
    group.generation_id = record.generation_id
    group.protocol_name = record.protocol_name
    for m in record.members:
        protocols = ((record.protocol_name or "", m.subscription),)
        group.add(Member(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                         m.rebalance_timeout_ms, m.session_timeout_ms,
                         record.protocol_type or "", protocols, m.assignment))
    group.leader_id = record.leader_id if record.leader_id in group.members else group.leader_id
    return group
