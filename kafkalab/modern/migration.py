"""Classic members and online migration (docs/consumer-protocol.md §7): Kafka's
``validateOnlineUpgrade`` / ``convertToConsumerGroup``, ``classicGroup{Join,Sync,Heartbeat,Leave}
ToConsumerGroup`` and ``validateOnlineDowngradeWithFencedMembers`` / ``convertToClassicGroup``.

How it works
------------
The manager never touches a classic group: it sees one as a :class:`ClassicGroupView` (given by
the coordinator's ``ClassicGroups.view``) and hands a :class:`ClassicGroupView` back when a
consumer group becomes classic (``ClassicGroups.create_downgraded``).  Everything else works like
ConsumerGroupHeartbeat: a :class:`~kafkalab.modern.heartbeat.Batch` of records that the manager
applies only if the request succeeds.

* :func:`upgrade` (§7.1): a ConsumerGroupHeartbeat join to a classic group with members, if
  ``group.consumer.migration.policy`` allows it, turns every classic member into a member at
  epoch = generation (its subscription and its current assignment as target and assigned
  partitions) and the join goes on as usual.
* :func:`classic_join`, :func:`classic_sync`, :func:`classic_heartbeat` (§7.3): what a classic
  client gets inside a consumer group.  Its JoinGroup goes through the same subscription, target
  and reconciliation steps as a heartbeat (``subscribe_and_reconcile``), with the subscription and
  owned partitions read from the embedded ConsumerProtocol bytes; every classic client is a
  follower and collects its assignment with SyncGroup.
* :func:`should_downgrade` / :func:`downgrade` (§7.2): when the members about to be removed are the
  last ones using the consumer protocol, the group is tombstoned instead and a classic group with
  the remaining members (their *target* assignments) takes its place, policy permitting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from ..consumer_protocol import decode_assignment, decode_subscription
from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatTopicPartitions
from . import events as ev
from .assignment import freeze
from .group import ConsumerGroup, ConsumerGroupMember
from .heartbeat import ApiError, Batch, subscribe_and_reconcile
from .state import MemberState
from .timers import classic_join_timeout_key, classic_sync_timeout_key, session_timeout_key

if TYPE_CHECKING:
    from .manager import ConsumerGroupManager

__all__ = ["ClassicMemberView", "ClassicGroupView", "upgrade", "classic_join", "ClassicJoin", "classic_sync",
           "classic_heartbeat", "should_downgrade", "downgrade"]

E = ErrorCode
PROTOCOL_TYPE = "consumer"


@dataclass(frozen=True)
class ClassicMemberView:
    """A classic member as the manager sees it (``target`` only when going back to classic)."""

    member_id: str
    instance_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    #: topic name -> partitions: the member's target in the consumer group (downgrade).
    target: tuple[tuple[str, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class ClassicGroupView:
    """A classic group as the manager sees it."""

    group_id: str
    protocol_type: Optional[str]
    protocol_name: Optional[str]
    generation_id: int
    members: tuple[ClassicMemberView, ...]


def _policy_allows(mgr: "ConsumerGroupManager", direction: str) -> bool:
    return mgr.config.group_consumer_migration_policy in (direction, "bidirectional")


def _topic_ids(mgr: "ConsumerGroupManager", pairs: Iterable[tuple[str, Iterable[int]]]) -> dict[str, frozenset[int]]:
    """Topic name -> partitions to topic id -> partitions; topics the image lacks are left out."""
    out: dict[str, set[int]] = {}
    for name, partitions in pairs:
        topic = mgr.metadata.topic(name)
        if topic is not None:
            out.setdefault(topic.topic_id, set()).update(partitions)
    return {t: frozenset(ps) for t, ps in out.items()}


# ---------------------------------------------------------------------------- upgrade (§7.1)

def upgrade(mgr: "ConsumerGroupManager", view: ClassicGroupView, batch: Batch) -> ConsumerGroup:
    """``validateOnlineUpgrade`` then ``convertToConsumerGroup``: the consumer group the joining
    member's request goes on with, its conversion records already replayed into it.

    Raises:
        ApiError: GROUP_ID_NOT_FOUND when the upgrade is refused (policy, protocol type, size,
            a custom assignor's user data, malformed embedded protocol).
    """
    gid = view.group_id
    prefix = f"Cannot upgrade classic group {gid} to consumer group because"
    if not _policy_allows(mgr, "upgrade"):
        raise ApiError(E.GROUP_ID_NOT_FOUND, f"{prefix} online upgrade is disabled.")
    if view.protocol_type != PROTOCOL_TYPE:
        raise ApiError(E.GROUP_ID_NOT_FOUND, f"{prefix} the group does not use the consumer embedded protocol.")
    if len(view.members) > mgr.config.group_consumer_max_size:
        raise ApiError(E.GROUP_ID_NOT_FOUND, f"{prefix} the group size exceeds the consumer group maximum size.")
    now = batch.now
    generation = view.generation_id
    records: list[ev.GroupRecord] = [ev.ConsumerGroupCreated(now, gid)]
    members = []
    for m in view.members:
        metadata = dict(m.protocols).get(view.protocol_name or "", b"")
        try:
            subscription = decode_subscription(metadata)
            assignment = decode_assignment(m.assignment)
        except ValueError:
            raise ApiError(E.GROUP_ID_NOT_FOUND, f"Cannot upgrade the classic group {gid} to consumer group "
                                                 "because the embedded consumer protocol is malformed.") from None
        if assignment.user_data:
            raise ApiError(E.GROUP_ID_NOT_FOUND, f"{prefix} an unsupported custom assignor is in use. Please refer "
                                                 "to the documentation or switch to a default assignor before "
                                                 "re-attempting the upgrade.")
        assigned = _topic_ids(mgr, _by_topic(assignment.assigned_partitions))
        members.append(ConsumerGroupMember(
            m.member_id, member_epoch=generation, previous_member_epoch=generation, state=MemberState.STABLE,
            instance_id=m.instance_id, rack_id=subscription.rack_id, rebalance_timeout_ms=m.rebalance_timeout_ms,
            client_id=m.client_id, client_host=m.client_host,
            subscribed_topic_names=frozenset(subscription.topics), assigned_partitions=assigned,
            classic=ev.ClassicMemberMetadata(m.session_timeout_ms, m.protocols)))
    # Kafka's createConsumerGroupRecords, in its order.
    from .heartbeat import _assignment_record, _subscription_record
    records += [_subscription_record(now, gid, c) for c in members]
    records.append(ev.GroupEpochBumped(now, gid, 0, generation, ev.EpochBumpReason.CLASSIC_GROUP_UPGRADED))
    records += [ev.TargetAssignmentUpdated(now, gid, c.member_id, freeze(c.assigned_partitions)) for c in members]
    records.append(ev.TargetAssignmentComputed(now, gid, generation, view.protocol_name or ""))
    records += [_assignment_record(now, gid, c) for c in members]
    group = ConsumerGroup(gid)
    for record in records:
        group.replay(record)
    batch.records.extend(records)
    batch.preapplied = len(records)
    batch.new_group = True
    batch.convert_classic_group = gid
    for converted in members:
        assert converted.classic is not None
        batch.schedule(session_timeout_key(gid, converted.member_id), now + converted.classic.session_timeout_ms)
    return group


def _by_topic(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    out: dict[str, list[int]] = {}
    for topic, partition in pairs:
        out.setdefault(topic, []).append(partition)
    return list(out.items())


# ---------------------------------------------------------------------------- classic members (§7.3)

@dataclass(frozen=True)
class ClassicJoin:
    """What a classic member's JoinGroup to a consumer group produced."""

    error: ErrorCode
    member_id: str
    generation_id: int = -1
    protocol_name: Optional[str] = None
    message: Optional[str] = None


def classic_join(mgr: "ConsumerGroupManager", group: ConsumerGroup, *, member_id: str,
                 instance_id: Optional[str], protocol_type: str, protocols: tuple[tuple[str, bytes], ...],
                 session_timeout_ms: int, rebalance_timeout_ms: int, api_version: int, client_id: str,
                 client_host: str, batch: Batch) -> ClassicJoin:
    """Kafka's ``classicGroupJoinToConsumerGroup`` for a dynamic member (a JoinGroup whose group
    id is a consumer group with members).

    Raises:
        ApiError: GROUP_MAX_SIZE_REACHED, INCONSISTENT_GROUP_PROTOCOL, a reconciliation error.
    """
    gid, now = group.group_id, batch.now
    unknown = member_id == ""
    if unknown:
        member_id = mgr.generate_member_id()  # Kafka's Uuid.randomUuid().toString(), no client id prefix
    max_size = mgr.config.group_consumer_max_size
    if len(group.members) >= max_size and member_id not in group.members:
        raise ApiError(E.GROUP_MAX_SIZE_REACHED,
                       f"The consumer group has reached its maximum capacity of {max_size} members.")
    if not group.supports_classic_protocols(protocol_type, [name for name, _ in protocols]):
        raise ApiError(E.INCONSISTENT_GROUP_PROTOCOL, f"Member {member_id}'s protocols are not supported.")
    if unknown and api_version >= 4 and instance_id is None:
        return ClassicJoin(E.MEMBER_ID_REQUIRED, member_id)  # no record: the member rejoins with it
    if instance_id is not None:
        static = group.static_member(instance_id)
        if static is not None and static.member_id != member_id:
            # Replacing a static member through JoinGroup is not modelled (docs/differences-consumer.md).
            raise ApiError(E.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id {instance_id} "
                                                 f"was fenced by member {static.member_id}.")
    member = group.members.get(member_id) or ConsumerGroupMember(member_id)
    try:
        subscription = decode_subscription(protocols[0][1])
    except ValueError:
        raise ApiError(E.UNKNOWN_SERVER_ERROR, "Malformed embedded consumer protocol in subscription "
                                               "deserialization.") from None
    updated = dataclasses.replace(
        member,
        instance_id=instance_id if instance_id is not None else member.instance_id,
        rack_id=subscription.rack_id if subscription.rack_id is not None else member.rack_id,
        rebalance_timeout_ms=rebalance_timeout_ms if rebalance_timeout_ms != -1 else member.rebalance_timeout_ms,
        subscribed_topic_names=frozenset(subscription.topics), client_id=client_id, client_host=client_host,
        classic=ev.ClassicMemberMetadata(session_timeout_ms, protocols))
    owned = tuple(ConsumerGroupHeartbeatTopicPartitions(t, tuple(sorted(ps))) for t, ps in sorted(
        _topic_ids(mgr, _by_topic(subscription.owned_partitions)).items()))
    reconciled = subscribe_and_reconcile(mgr, group, member, updated, owned, batch)
    batch.cancel(classic_join_timeout_key(gid, member_id))
    batch.schedule(session_timeout_key(gid, member_id), now + session_timeout_ms)
    batch.schedule(classic_sync_timeout_key(gid, member_id), now + rebalance_timeout_ms)
    return ClassicJoin(E.NONE, member_id, reconciled.member_epoch, protocols[0][0])


def _classic_member(group: ConsumerGroup, member_id: str, instance_id: Optional[str]) -> ConsumerGroupMember:
    """``validateConsumerGroupMember`` + ``throwIfMemberDoesNotUseClassicProtocol``."""
    if instance_id is None:
        member = group.members.get(member_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {group.group_id}.")
    else:
        member = group.static_member(instance_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member with instance id {instance_id} is not a member of group "
                                                f"{group.group_id}.")
        if member.member_id != member_id:
            raise ApiError(E.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id {instance_id} "
                                                 f"was fenced by member {member.member_id}.")
    if member.classic is None:
        raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {member.member_id} does not use the classic protocol.")
    return member


def _check_generation(member: ConsumerGroupMember, generation_id: int) -> None:
    if member.member_epoch != generation_id:
        raise ApiError(E.ILLEGAL_GENERATION, f"The request generation id {generation_id} is not equal to the "
                                             f"member epoch {member.member_epoch} of member {member.member_id}.")


def classic_sync(mgr: "ConsumerGroupManager", group: ConsumerGroup, *, member_id: str, instance_id: Optional[str],
                 generation_id: int, protocol_type: Optional[str], protocol_name: Optional[str],
                 batch: Batch) -> tuple[str, dict[str, list[int]], int]:
    """``classicGroupSyncToConsumerGroup``.

    Returns:
        The member's protocol name, its assigned partitions by topic name, and the ConsumerProtocol
        version to write them with.

    Raises:
        ApiError: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION,
            INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS (a join timer starts).
    """
    member = _classic_member(group, member_id, instance_id)
    _check_generation(member, generation_id)
    assert member.classic is not None
    name, metadata = member.classic.protocols[0]
    if (protocol_type is not None and protocol_type != PROTOCOL_TYPE) or \
            (protocol_name is not None and protocol_name != name):
        raise ApiError(E.INCONSISTENT_GROUP_PROTOCOL, f"The protocol type or name of member {member.member_id} "
                                                      "does not match the group's.")
    gid = group.group_id
    if group.group_epoch > member.member_epoch and member.state is not MemberState.UNREVOKED_PARTITIONS:
        _schedule_join_timeout(mgr, gid, member, batch)
        raise ApiError(E.REBALANCE_IN_PROGRESS, f"A new rebalance is triggered in group {gid} and member "
                                                f"{member.member_id} should rejoin to catch up.")
    batch.cancel(classic_sync_timeout_key(gid, member.member_id))
    batch.schedule(session_timeout_key(gid, member.member_id), batch.now + member.classic.session_timeout_ms)
    assigned: dict[str, list[int]] = {}
    for topic_id, ps in member.assigned_partitions.items():
        topic = mgr.metadata.topic_by_id(topic_id)
        if topic is not None and ps:
            assigned[topic.name] = sorted(ps)
    try:
        version = decode_subscription(metadata).version
    except ValueError:
        version = 0
    return name, dict(sorted(assigned.items())), version


def _schedule_join_timeout(mgr: "ConsumerGroupManager", group_id: str, member: ConsumerGroupMember,
                           batch: Batch) -> None:
    # scheduleConsumerGroupJoinTimeoutIfAbsent: a timer, not a record, so it is armed even when
    # the request then fails with REBALANCE_IN_PROGRESS.
    key = classic_join_timeout_key(group_id, member.member_id)
    if key not in mgr.timers:
        mgr.timers.schedule(key, batch.now + member.rebalance_timeout_ms, None)


def classic_heartbeat(mgr: "ConsumerGroupManager", group: ConsumerGroup, *, member_id: str,
                      instance_id: Optional[str], generation_id: int, batch: Batch) -> ErrorCode:
    """``classicGroupHeartbeatToConsumerGroup``: keeps the session alive; REBALANCE_IN_PROGRESS
    (and a join timer) when the member must rejoin to make progress.

    Raises:
        ApiError: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION.
    """
    member = _classic_member(group, member_id, instance_id)
    _check_generation(member, generation_id)
    assert member.classic is not None
    gid = group.group_id
    batch.schedule(session_timeout_key(gid, member.member_id), batch.now + member.classic.session_timeout_ms)
    if member.member_epoch < group.group_epoch or member.state is MemberState.UNREVOKED_PARTITIONS or (
            member.state is MemberState.UNRELEASED_PARTITIONS and not group.waiting_on_unreleased_partition(member)):
        _schedule_join_timeout(mgr, gid, member, batch)
        return E.REBALANCE_IN_PROGRESS
    return E.NONE


def classic_leave_member(group: ConsumerGroup, member_id: str, instance_id: Optional[str]) -> ConsumerGroupMember:
    """One identity of a LeaveGroup to a consumer group (``classicGroupLeaveToConsumerGroup``):
    the member to remove.  An admin removal names the instance id with member id ``""``.

    Raises:
        ApiError: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID.
    """
    if instance_id is None:
        member = group.members.get(member_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {group.group_id}.")
    else:
        member = group.static_member(instance_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Instance id {instance_id} is unknown.")
        if member_id and member.member_id != member_id:
            raise ApiError(E.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id {instance_id} "
                                                 f"was fenced by member {member.member_id}.")
    if member.classic is None:
        raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {member.member_id} does not use the classic protocol.")
    return member


# ---------------------------------------------------------------------------- downgrade (§7.2)

def should_downgrade(mgr: "ConsumerGroupManager", group: ConsumerGroup, leaving: list[ConsumerGroupMember]) -> bool:
    """``validateOnlineDowngradeWithFencedMember``: every other member uses the classic protocol,
    some remain, the policy allows downgrades and they fit the classic group size
    (``group.max.size``).  (Kafka does not look at the fenced member's own protocol.)"""
    ids = {m.member_id for m in leaving}
    remaining = [m for m in group.members.values() if m.member_id not in ids]
    if not remaining or any(m.classic is None for m in remaining):
        return False
    return _policy_allows(mgr, "downgrade") and len(remaining) <= mgr.classic_group_max_size


def downgrade(mgr: "ConsumerGroupManager", group: ConsumerGroup, leaving: list[ConsumerGroupMember],
              reason: ev.RemovalReason, batch: Batch) -> None:
    """``convertToClassicGroup``: tombstones for the whole consumer group, and the classic group
    the coordinator builds from the remaining members (``ClassicGroup.fromConsumerGroup``: their
    target assignments, generation = the group epoch; a rebalance follows)."""
    from .heartbeat import cancel_member_timers
    from .timers import regex_refresh_key
    gid, now = group.group_id, batch.now
    ids = {m.member_id for m in leaving}
    members = []
    for m in group.members.values():
        batch.records.append(ev.MemberRemoved(now, gid, m.member_id, m.instance_id, m.member_epoch,
                                              reason if m.member_id in ids else ev.RemovalReason.GROUP_DOWNGRADED))
        cancel_member_timers(gid, m.member_id, batch)
        if m.member_id in ids or m.classic is None:
            continue
        target = []
        for topic_id, ps in sorted(group.target_assignment.get(m.member_id, {}).items()):
            topic = mgr.metadata.topic_by_id(topic_id)
            if topic is not None and ps:
                target.append((topic.name, tuple(sorted(ps))))
        members.append(ClassicMemberView(m.member_id, m.instance_id, m.client_id, m.client_host,
                                         m.rebalance_timeout_ms, m.classic.session_timeout_ms, m.classic.protocols,
                                         target=tuple(sorted(target))))
    batch.records.append(ev.ConsumerGroupDeleted(now, gid))
    batch.cancel(regex_refresh_key(gid))
    batch.downgrade = ClassicGroupView(gid, PROTOCOL_TYPE, None, group.group_epoch, tuple(members))
