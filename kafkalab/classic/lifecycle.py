"""A classic group's life on a broker outside its requests: loaded from the log when the broker
becomes leader of its ``__consumer_offsets`` partition, unloaded when it stops being leader,
deleted once it is Empty and its offsets have expired.

These are the classic-group parts of Kafka's ``GroupMetadataManager.onLoaded`` / ``onUnloaded``
and ``maybeDeleteGroup``; the service (:class:`~kafkalab.Coordinator`) decides when they run.
"""

from __future__ import annotations

from .. import trace as tr
from ..errors import ErrorCode
from ..grouplog import GroupRecord
from ..messages import SyncGroupResponse
from ..runtime import Runtime
from ..timers import HeartbeatTimer, JoinTimer, SyncTimer
from .common import answer_join, answer_sync, join_error, schedule_heartbeat, transition
from .group import Group
from .state import Trigger

__all__ = ["load_group", "on_loaded", "unload_group", "delete_group"]


def load_group(rt: Runtime, group: Group, record: GroupRecord | None) -> None:
    """``group`` was read back from ``record`` (:func:`~kafkalab.grouplog.group_from_record`) and
    put in ``rt.groups``: it goes Stable with members and Empty without (the rebalance state is
    not persisted), and the load is recorded."""
    transition(rt, group, Trigger.GROUP_LOADED)
    if rt.tracing:
        rt.emit(tr.GroupLoaded(rt.now, group.group_id, group.generation_id, group.protocol_type, group.protocol_name,
                               group.leader_id, tuple(
                                   tr.LoadedMember(m.member_id, m.group_instance_id, m.client_id, m.client_host,
                                                   m.session_timeout_ms, m.rebalance_timeout_ms, m.assignment)
                                   for m in group.members.values())))
    if record is not None:
        group.current_state_timestamp = record.current_state_timestamp


def on_loaded(rt: Runtime, group: Group) -> None:
    """The group's partition finished loading: every member's session timer starts now."""
    for member in group.members.values():
        schedule_heartbeat(rt, group, member)


def unload_group(rt: Runtime, group: Group) -> None:
    """The group left ``rt.groups`` because this broker lost its partition: answer its parked
    requests NOT_COORDINATOR (so the clients rediscover the coordinator), stop its timers, and
    move it to Dead."""
    group_id = group.group_id
    for member in group.members.values():
        if member.awaiting_join is not None:
            answer_join(rt, group, member, join_error(
                member.awaiting_join.api_version, ErrorCode.NOT_COORDINATOR, member.member_id))
        answer_sync(rt, group, member, SyncGroupResponse(error_code=ErrorCode.NOT_COORDINATOR))
        rt.timers.cancel(HeartbeatTimer(group_id, member.member_id))
    for pending in group.pending_join_members:
        rt.timers.cancel(HeartbeatTimer(group_id, pending))
    rt.timers.cancel(JoinTimer(group_id))
    rt.timers.cancel(SyncTimer(group_id))
    transition(rt, group, Trigger.UNLOADED)
    rt.emit(tr.GroupRemoved(rt.now, group_id, tr.GroupRemovalReason.UNLOADED))


def delete_group(rt: Runtime, group_id: str,
                 reason: tr.GroupRemovalReason = tr.GroupRemovalReason.EMPTY_WITHOUT_OFFSETS) -> None:
    """Delete an Empty group: Kafka writes a tombstone and drops the group (pending member ids
    included); its offsets are the caller's business (gone already, or kept for the consumer group
    that takes the id)."""
    del rt.groups[group_id]
    rt.log.groups.pop(group_id, None)
    rt.cancel_group_timers(group_id)
    rt.emit(tr.GroupRemoved(rt.now, group_id, reason))
