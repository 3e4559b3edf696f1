"""Consumer groups inside the broker's one coordinator: the routing Kafka's
``GroupCoordinatorService`` and ``GroupMetadataManager`` do for groups of type ``consumer``.

Section numbers (§) refer to docs/consumer-protocol.md.

How it works
------------
:class:`~kafkalab.Coordinator` owns one :class:`~kafkalab.modern.ConsumerGroupManager` (in
``rt.consumer_groups``) next to its classic groups (``rt.groups``); a group id is in one of them at
most.  This module holds what joins the two:

* :class:`RuntimeClassicGroups`, the manager's view of the classic groups (a ConsumerGroupHeartbeat
  join takes over the id of an Empty classic group, §7.1);
* :func:`persisting_emit`, which writes every consumer-group record to the shared
  :class:`~kafkalab.grouplog.GroupLog` before it reaches the trace, so a coordinator that loads
  the partition later replays them (:func:`load_group`, :func:`unload_group`);
* the handlers the coordinator's routes call: ConsumerGroupHeartbeat, ConsumerGroupDescribe (per
  group id, like DescribeGroups), OffsetCommit / OffsetFetch for a consumer group (member epochs
  checked by the manager, §6, then :mod:`kafkalab.offsets`), and the classic APIs sent to a
  consumer group id (§7.3: kafkalab has no classic members inside consumer groups, so they are
  answered as Kafka answers them for a group without any);
* :func:`cleanup_consumer_groups`, the consumer-group half of the offsets retention check.

The service's checks (coordinator active, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) stay in
:meth:`Coordinator.precheck <kafkalab.Coordinator.precheck>`, one path for every API.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .. import offsets
from .. import trace as tr
from ..classic.common import join_error
from ..classic.join import handle_join_group
from ..classic.lifecycle import delete_group
from ..classic.state import GroupState
from ..config import CoordinatorConfig
from ..errors import ErrorCode
from ..messages import (
    ConsumerGroupDescribedGroup,
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse,
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    LeaveGroupRequest,
    LeaveGroupResponse,
    MemberIdentity,
    MemberResponse,
    OffsetCommitRequest,
    OffsetFetchRequest,
    OffsetFetchResponse,
    Response,
    SyncGroupRequest,
    SyncGroupResponse,
)
from ..runtime import Runtime
from . import events as ev
from .manager import ConsumerGroupManager
from .state import ConsumerGroupState

__all__ = [
    "RuntimeClassicGroups", "persisting_emit", "manager_of", "load_group", "unload_group", "reload_group",
    "protocol_enabled", "heartbeat_error", "handle_consumer_group_heartbeat", "describe_consumer_groups",
    "commit_offset", "fetch_offsets", "CLASSIC_HANDLERS", "cleanup_consumer_groups",
]

E = ErrorCode


class RuntimeClassicGroups:
    """The manager's view of the coordinator's classic groups (``ClassicGroups``)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def state_of(self, group_id: str) -> Optional[str]:
        group = self.rt.groups.get(group_id)
        if group is None or group.state is None or group.state is GroupState.DEAD:
            return None
        return group.state.value

    def delete_empty(self, group_id: str, now: int) -> None:
        # Kafka's maybeDeleteEmptyClassicGroup: the group's tombstone; its offsets stay.
        delete_group(self.rt, group_id, tr.GroupRemovalReason.REPLACED_BY_CONSUMER_GROUP)


def persisting_emit(rt: Runtime) -> Callable[[tr.TraceEvent], None]:
    """The manager's ``emit``: a consumer-group record is appended to the shared log (a group's
    tombstone drops its records) and then, like every event, goes to the trace."""
    def emit(event: tr.TraceEvent) -> None:
        if isinstance(event, ev.GroupRecord):
            if isinstance(event, ev.ConsumerGroupDeleted):
                rt.log.consumer_groups.pop(event.group_id, None)
            else:
                rt.log.consumer_groups.setdefault(event.group_id, []).append(event)
            rt.log.writes += 1
        rt.emit(event)
    return emit


def manager_of(rt: Runtime) -> ConsumerGroupManager:
    """The coordinator's consumer-group manager."""
    mgr = rt.consumer_groups
    if mgr is None:  # pragma: no cover - the Coordinator always sets it
        raise RuntimeError("this Runtime has no ConsumerGroupManager")
    return mgr


def protocol_enabled(config: CoordinatorConfig, request: Any) -> Optional[ErrorCode]:
    """``KafkaApis``' first check of ConsumerGroupHeartbeat and ConsumerGroupDescribe: the consumer
    protocol is in ``group.coordinator.rebalance.protocols``, else UNSUPPORTED_VERSION."""
    return None if config.consumer.consumer_protocol_enabled else E.UNSUPPORTED_VERSION


# ---------------------------------------------------------------------------- loading

def load_group(rt: Runtime, group_id: str) -> None:
    """Replay ``group_id``'s records from the log into the manager, and read its offsets back."""
    manager_of(rt).load_group(group_id, rt.log.consumer_groups[group_id], rt.now)
    offsets.load_offsets(rt, group_id)


def unload_group(rt: Runtime, group_id: str) -> None:
    """Drop the group here (its partition moved away): group, timers and offsets."""
    manager_of(rt).unload_group(group_id, rt.now)
    rt.offsets.pop(group_id, None)


def reload_group(rt: Runtime, group_id: str) -> None:
    """Rebuild the group from its records after an internal error, as a failover would."""
    mgr = manager_of(rt)
    mgr.unload_group(group_id, rt.now)
    if group_id in rt.log.consumer_groups:
        mgr.load_group(group_id, rt.log.consumer_groups[group_id], rt.now)
        mgr.on_loaded(group_id, rt.now)


# ---------------------------------------------------------------------------- ConsumerGroupHeartbeat

def heartbeat_error(req: ConsumerGroupHeartbeatRequest, code: ErrorCode, raised_by_runtime: bool) -> Response:
    """A failed precheck's ConsumerGroupHeartbeat answer: the code only (Kafka's
    ``handleOperationException`` drops the generic messages of NOT_COORDINATOR and
    COORDINATOR_LOAD_IN_PROGRESS; the inactive service and ``KafkaApis`` set none)."""
    return ConsumerGroupHeartbeatResponse(error_code=code)


def handle_consumer_group_heartbeat(rt: Runtime, req: ConsumerGroupHeartbeatRequest, origin: Any) -> None:
    """ConsumerGroupHeartbeat after the prechecks: the manager answers (§2)."""
    rt.send(origin, req.group_id, manager_of(rt).consumer_group_heartbeat(req, rt.now))


# ---------------------------------------------------------------------------- ConsumerGroupDescribe

def describe_consumer_groups(rt: Runtime, req: ConsumerGroupDescribeRequest, origin: Any,
                             precheck: Callable[[str], Optional[ErrorCode]]) -> None:
    """ConsumerGroupDescribe (§7.4), one group id at a time.

    Args:
        precheck: the coordinator's checks of one group id (active, INVALID_GROUP_ID for "",
            NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS); None when it may be described.
    """
    mgr = manager_of(rt)
    out = []
    for gid in req.group_ids:
        error = protocol_enabled(rt.config, req) or precheck(gid)
        if error is not None:
            out.append(ConsumerGroupDescribedGroup(error_code=error, group_id=gid))
        elif gid in mgr.groups:
            out.append(mgr.describe_group(gid, req.api_version))
        elif RuntimeClassicGroups(rt).state_of(gid) is not None:
            # Kafka's consumerGroup(groupId, committedOffset): no final period in 4.0.
            out.append(ConsumerGroupDescribedGroup(error_code=E.GROUP_ID_NOT_FOUND, group_id=gid,
                                                   error_message=f"Group {gid} is not a consumer group"))
        else:
            out.append(ConsumerGroupDescribedGroup(error_code=E.GROUP_ID_NOT_FOUND, group_id=gid,
                                                   error_message=f"Group {gid} not found."))
    rt.send(origin, None, ConsumerGroupDescribeResponse(groups=tuple(out)))


# ---------------------------------------------------------------------------- offsets (§6)

def commit_offset(rt: Runtime, req: OffsetCommitRequest, origin: Any) -> None:
    """OffsetCommit to a consumer group: ``ConsumerGroup.validateOffsetCommit`` (exact member
    epoch, v9 for consumer-protocol members), then the offsets are stored as for any group."""
    error = manager_of(rt).validate_offset_commit(req.group_id, req.member_id, req.group_instance_id,
                                                  req.generation_id, req.api_version)
    if error is not None:
        return rt.send(origin, req.group_id, offsets.commit_error_response(req, error))
    response = offsets.store_offsets(rt, req)
    rt.ensure_offsets_expiry_timer()
    rt.send(origin, req.group_id, response)


def fetch_offsets(rt: Runtime, req: OffsetFetchRequest, origin: Any) -> None:
    """OffsetFetch from a consumer group: v9 and later carry the member id and epoch, checked by
    ``ConsumerGroup.validateOffsetFetch``; then the stored offsets as for any group."""
    if req.api_version >= 9:
        error = manager_of(rt).validate_offset_fetch(req.group_id, req.member_id, req.member_epoch)
        if error is not None:
            return rt.send(origin, req.group_id, OffsetFetchResponse(error_code=error))
    offsets.fetch_offsets(rt, req, origin)


# ---------------------------------------------------------------------------- classic APIs to a consumer group

def _join_group(rt: Runtime, req: JoinGroupRequest, origin: Any) -> None:
    # Kafka's classicGroupJoin: an empty consumer group is deleted (tombstones; offsets stay) and
    # the join goes on as for a classic group.  One with members would take the joining member as
    # a classic member (§7.3), which kafkalab does not model yet: it answers as Kafka does for a
    # group of another type (docs/differences-consumer.md).
    mgr = manager_of(rt)
    if not mgr.groups[req.group_id].members:
        mgr.delete_group(req.group_id, rt.now)
        return handle_join_group(rt, req, origin)
    rt.send(origin, req.group_id, join_error(req.api_version, E.INCONSISTENT_GROUP_PROTOCOL, ""))


def _sync_group(rt: Runtime, req: SyncGroupRequest, origin: Any) -> None:
    # classicGroupSync: an empty group, and any member that is not a classic member.
    rt.send(origin, req.group_id, SyncGroupResponse(error_code=E.UNKNOWN_MEMBER_ID))


def _member_error(rt: Runtime, group_id: str, member_id: str, instance_id: Optional[str]) -> ErrorCode:
    """Kafka's ``validateConsumerGroupMember`` + ``throwIfMemberDoesNotUseClassicProtocol`` for a
    group without classic members: FENCED_INSTANCE_ID when the instance id is another member's,
    else UNKNOWN_MEMBER_ID."""
    group = manager_of(rt).groups[group_id]
    if instance_id is not None and member_id:
        member = group.static_member(instance_id)
        if member is not None and member.member_id != member_id:
            return E.FENCED_INSTANCE_ID
    return E.UNKNOWN_MEMBER_ID


def _heartbeat(rt: Runtime, req: HeartbeatRequest, origin: Any) -> None:
    # classicGroupHeartbeatToConsumerGroup (a missing static member is UNKNOWN_MEMBER_ID too).
    code = E.UNKNOWN_MEMBER_ID
    if req.group_instance_id is not None:
        member = manager_of(rt).groups[req.group_id].static_member(req.group_instance_id)
        if member is not None and member.member_id != req.member_id:
            code = E.FENCED_INSTANCE_ID
    rt.send(origin, req.group_id, HeartbeatResponse(error_code=code))


def _leave_group(rt: Runtime, req: LeaveGroupRequest, origin: Any) -> None:
    # classicGroupLeaveToConsumerGroup: one answer per identity; an admin removal by instance id
    # alone (member id "") is not fenced.
    identities = req.members if req.api_version >= 3 else (MemberIdentity(member_id=req.member_id),)
    members = tuple(MemberResponse(i.member_id, i.group_instance_id,
                                   _member_error(rt, req.group_id, i.member_id, i.group_instance_id))
                    for i in identities)
    if req.api_version < 3:
        return rt.send(origin, req.group_id, LeaveGroupResponse(error_code=members[0].error_code))
    rt.send(origin, req.group_id, LeaveGroupResponse(members=members))


#: The classic group APIs' handlers when the group id is a consumer group's.
CLASSIC_HANDLERS: dict[type, Callable[[Runtime, Any, Any], None]] = {
    JoinGroupRequest: _join_group,
    SyncGroupRequest: _sync_group,
    HeartbeatRequest: _heartbeat,
    LeaveGroupRequest: _leave_group,
    OffsetCommitRequest: commit_offset,
    OffsetFetchRequest: fetch_offsets,
}


# ---------------------------------------------------------------------------- retention

def cleanup_consumer_groups(rt: Runtime, serves: Callable[[str], bool]) -> None:
    """The consumer groups' part of Kafka's ``cleanupGroupMetadata``: offsets expire
    ``offsets.retention.minutes`` after their commit unless a member subscribes to their topic
    (``ConsumerGroup.offsetExpirationCondition`` / ``isSubscribedToTopic``), and an Empty group
    left without offsets is deleted (its tombstone).

    Args:
        serves: whether this coordinator serves the group now (owned and loaded).
    """
    mgr = manager_of(rt)
    for gid in list(mgr.groups):
        group = mgr.groups[gid]
        if not serves(gid):
            continue
        all_expired = offsets.expire_offsets(rt, gid, lambda commit_timestamp_ms: commit_timestamp_ms,
                                             group.subscribed_topic_names())
        if all_expired and group.state is ConsumerGroupState.EMPTY:
            offsets.delete_all_offsets(rt, gid)
            mgr.delete_group(gid, rt.now)
