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
  consumer group id (§7.3: classic members inside a consumer group, :mod:`.migration`);
* the classic side of the online migration (§7.1, §7.2): :meth:`RuntimeClassicGroups.view`,
  :meth:`~RuntimeClassicGroups.convert_out` and :meth:`~RuntimeClassicGroups.create_downgraded`;
* :func:`cleanup_consumer_groups`, the consumer-group half of the offsets retention check.

The service's checks (coordinator active, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) stay in
:meth:`Coordinator.precheck <kafkalab.Coordinator.precheck>`, one path for every API.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .. import offsets
from .. import trace as tr
from ..classic.common import answer_join, answer_sync, join_error, join_response, schedule_heartbeat, transition
from ..classic.group import Group, Member
from ..classic.join import handle_join_group
from ..classic.lifecycle import delete_group
from ..classic.rebalance import prepare_rebalance
from ..classic.state import GroupState
from ..classic.state import Trigger as ClassicTrigger
from ..config import CoordinatorConfig
from ..consumer_protocol import decode_subscription, encode_assignment
from ..grouplog import group_metadata_record
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
from . import heartbeat as hb
from .group import ConsumerGroupMember
from .manager import ConsumerGroupManager
from .migration import (PROTOCOL_TYPE, ClassicGroupView, ClassicJoin, ClassicMemberView, classic_heartbeat, classic_join,
                        classic_leave_member, classic_sync)
from .state import ConsumerGroupState, Trigger

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

    def view(self, group_id: str) -> ClassicGroupView:
        """The classic group as the manager's online upgrade reads it (§7.1)."""
        g = self.rt.groups[group_id]
        return ClassicGroupView(group_id, g.protocol_type, g.protocol_name, g.generation_id, tuple(
            ClassicMemberView(m.member_id, m.group_instance_id, m.client_id, m.client_host, m.rebalance_timeout_ms,
                              m.session_timeout_ms, m.protocols, m.assignment)
            for m in g.members.values()))

    def convert_out(self, group_id: str, now: int) -> None:
        """``convertToConsumerGroup``'s classic part: parked JoinGroup and SyncGroup requests get
        REBALANCE_IN_PROGRESS, and the classic group is tombstoned (its offsets stay)."""
        group = self.rt.groups[group_id]
        for member in group.members.values():
            if member.awaiting_join is not None:
                answer_join(self.rt, group, member, join_error(member.awaiting_join.api_version,
                                                               E.REBALANCE_IN_PROGRESS, member.member_id))
            answer_sync(self.rt, group, member, SyncGroupResponse(error_code=E.REBALANCE_IN_PROGRESS))
        delete_group(self.rt, group_id, tr.GroupRemovalReason.REPLACED_BY_CONSUMER_GROUP)

    def create_downgraded(self, view: ClassicGroupView, now: int) -> None:
        """``convertToClassicGroup``'s classic part (``ClassicGroup.fromConsumerGroup``): a Stable
        group at generation = the group epoch, protocol type ``consumer``, the protocol the members
        vote for, each member's target assignment serialized with its protocol's version; the
        record is written, sessions start, and a rebalance begins (§7.2)."""
        rt = self.rt
        group = Group(view.group_id)
        group.generation_id = view.generation_id
        for m in view.members:
            group.add(Member(m.member_id, m.instance_id, m.client_id, m.client_host, m.rebalance_timeout_ms,
                             m.session_timeout_ms, PROTOCOL_TYPE, m.protocols))
        group.protocol_name = group.select_protocol()
        for m in view.members:
            member = group.members[m.member_id]
            try:
                version = decode_subscription(member.metadata(group.protocol_name)).version
            except ValueError:
                version = 0
            member.assignment = encode_assignment([(t, p) for t, ps in m.target for p in ps], None, version=version)
        rt.groups[view.group_id] = group
        transition(rt, group, ClassicTrigger.GROUP_DOWNGRADED)
        for member in group.members.values():
            rt.emit(tr.MemberAdded(now, group.group_id, member.member_id, member.group_instance_id, member.client_id,
                                   member.client_host, member.session_timeout_ms, member.rebalance_timeout_ms,
                                   member.assignment))
        rt.emit(tr.LeaderChanged(now, group.group_id, None, group.leader_id))
        rt.append_group_record(group_metadata_record(group))
        for member in group.members.values():
            schedule_heartbeat(rt, group, member)
        prepare_rebalance(rt, group, ClassicTrigger.GROUP_DOWNGRADED)


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
    # the join goes on as for a classic group; one with members takes the joiner as a classic
    # member (classicGroupJoinToConsumerGroup, §7.3).
    mgr = manager_of(rt)
    if not mgr.groups[req.group_id].members:
        mgr.delete_group(req.group_id, rt.now)
        return handle_join_group(rt, req, origin)
    result = mgr.run_classic(req.group_id, lambda group, batch: classic_join(
        mgr, group, member_id=req.member_id, instance_id=req.group_instance_id, protocol_type=req.protocol_type,
        protocols=tuple((p.name, p.metadata) for p in req.protocols), session_timeout_ms=req.session_timeout_ms,
        rebalance_timeout_ms=req.rebalance_timeout_ms, api_version=req.api_version, client_id=req.client_id,
        client_host=req.client_host, batch=batch), Trigger.CLASSIC_MEMBER_JOINED, rt.now)
    if isinstance(result, hb.ApiError):
        response = join_error(req.api_version, result.code, req.member_id)
    elif isinstance(result, ClassicJoin) and result.error is not E.NONE:
        response = join_error(req.api_version, result.error, result.member_id)
    else:
        # Every classic client is a follower: no leader, no member list.
        response = join_response(req.api_version, member_id=result.member_id, generation_id=result.generation_id,
                                 protocol_type=PROTOCOL_TYPE, protocol_name=result.protocol_name, leader="")
    rt.send(origin, req.group_id, response)


def _sync_group(rt: Runtime, req: SyncGroupRequest, origin: Any) -> None:
    # classicGroupSync: an empty group has no member; else classicGroupSyncToConsumerGroup.
    mgr = manager_of(rt)
    if not mgr.groups[req.group_id].members:
        return rt.send(origin, req.group_id, SyncGroupResponse(error_code=E.UNKNOWN_MEMBER_ID))
    result = mgr.run_classic(req.group_id, lambda group, batch: classic_sync(
        mgr, group, member_id=req.member_id, instance_id=req.group_instance_id, generation_id=req.generation_id,
        protocol_type=req.protocol_type, protocol_name=req.protocol_name, batch=batch),
        Trigger.CONSUMER_GROUP_HEARTBEAT, rt.now)
    if isinstance(result, hb.ApiError):
        return rt.send(origin, req.group_id, SyncGroupResponse(error_code=result.code))
    _name, assigned, version = result
    assignment = encode_assignment([(t, p) for t, ps in assigned.items() for p in ps], None, version=version)
    if req.api_version >= 5:
        response = SyncGroupResponse(protocol_type=req.protocol_type, protocol_name=req.protocol_name,
                                     assignment=assignment)
    else:
        response = SyncGroupResponse(assignment=assignment)
    rt.send(origin, req.group_id, response)


def _heartbeat(rt: Runtime, req: HeartbeatRequest, origin: Any) -> None:
    # classicGroupHeartbeatToConsumerGroup.
    mgr = manager_of(rt)
    result = mgr.run_classic(req.group_id, lambda group, batch: classic_heartbeat(
        mgr, group, member_id=req.member_id, instance_id=req.group_instance_id, generation_id=req.generation_id,
        batch=batch), Trigger.CONSUMER_GROUP_HEARTBEAT, rt.now)
    rt.send(origin, req.group_id, HeartbeatResponse(error_code=result.code if isinstance(result, hb.ApiError)
                                                    else result))


def _leave_group(rt: Runtime, req: LeaveGroupRequest, origin: Any) -> None:
    # classicGroupLeaveToConsumerGroup: one answer per identity, the valid ones removed together
    # (one epoch bump).
    mgr = manager_of(rt)
    group = mgr.groups[req.group_id]
    identities = req.members if req.api_version >= 3 else (MemberIdentity(member_id=req.member_id),)
    answers: list[MemberResponse] = []
    leaving: list[ConsumerGroupMember] = []
    for i in identities:
        try:
            member = classic_leave_member(group, i.member_id, i.group_instance_id)
        except hb.ApiError as err:
            answers.append(MemberResponse(i.member_id, i.group_instance_id, err.code))
            continue
        if all(m.member_id != member.member_id for m in leaving):
            leaving.append(member)
        answers.append(MemberResponse(member.member_id, i.group_instance_id))
    if leaving:
        # Kafka's classic LeaveGroup path removes them without checking for a downgrade.
        mgr.run_classic(req.group_id, lambda g, batch: hb.fence_members(
            mgr, g, leaving, ev.RemovalReason.MEMBER_LEFT, batch, may_downgrade=False), Trigger.MEMBERS_FENCED, rt.now)
    if req.api_version < 3:
        return rt.send(origin, req.group_id, LeaveGroupResponse(error_code=answers[0].error_code))
    rt.send(origin, req.group_id, LeaveGroupResponse(members=tuple(answers)))


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
