"""SyncGroup on a classic group (Kafka's ``classicGroupSync``).

How it works
------------
After the service's checks, the member and generation are validated.  In CompletingRebalance
every SyncGroup is parked; the leader's carries the assignment, which is written to the log and
then handed to every parked member (:func:`kafkalab.classic.rebalance.propagate_assignment`), and
the group goes Stable.  In Stable the stored assignment is returned at once.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode, map_storage_error
from ..messages import SyncGroupRequest, SyncGroupResponse
from ..runtime import Runtime
from ..timers import SyncTimer
from .common import assignment_changed, member_updated, transition, write_group
from .group import Group, Parked
from .rebalance import maybe_prepare_rebalance_or_complete_join, propagate_assignment
from .state import GroupState, Trigger

__all__ = ["handle_sync_group"]

S = GroupState


def handle_sync_group(rt: Runtime, req: SyncGroupRequest, origin: Any) -> None:
    """Kafka's ``classicGroupSync``: park the member's SyncGroup until the leader's assignment is
    written, or answer with the stored assignment."""
    gid = req.group_id

    def reply(code: ErrorCode) -> None:
        rt.send(origin, gid, SyncGroupResponse(error_code=code))

    group = rt.groups.get(gid)
    if group is None or group.state is S.EMPTY:
        return reply(ErrorCode.UNKNOWN_MEMBER_ID)
    if group.state is S.DEAD:
        return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    error = group.validate_member(req.member_id, req.group_instance_id)
    if error is not None:
        return reply(error)
    if req.generation_id != group.generation_id:
        return reply(ErrorCode.ILLEGAL_GENERATION)
    if req.api_version >= 5 and (
        (req.protocol_type is not None and group.protocol_type is not None
         and req.protocol_type != group.protocol_type)
        or (req.protocol_name is not None and group.protocol_name is not None
            and req.protocol_name != group.protocol_name)
    ):
        return reply(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    if group.state is S.PREPARING_REBALANCE:
        return reply(ErrorCode.REBALANCE_IN_PROGRESS)
    member = group.members[req.member_id]
    if group.state is S.COMPLETING_REBALANCE:
        member.awaiting_sync = Parked(origin, req.api_version)
        member_updated(rt, group, member, awaiting_sync=True)
        remove_pending_sync_member(rt, group, req.member_id)
        if group.is_leader(req.member_id):
            assignment = {a.member_id: a.assignment for a in req.assignments}
            for member_id in group.members:
                assignment.setdefault(member_id, b"")
            error = write_group(rt, group, assignment)
            if group.state is S.COMPLETING_REBALANCE and req.generation_id == group.generation_id:
                if error is not ErrorCode.NONE:
                    for m in group.members.values():
                        m.assignment = b""
                    assignment_changed(rt, group)
                    propagate_assignment(rt, group, map_storage_error(error))
                    maybe_prepare_rebalance_or_complete_join(rt, group, Trigger.ASSIGNMENT_WRITE_FAILED)
                else:
                    for m in group.members.values():
                        m.assignment = assignment.get(m.member_id, b"")
                    assignment_changed(rt, group)
                    propagate_assignment(rt, group, ErrorCode.NONE)
                    transition(rt, group, Trigger.ASSIGNMENT_WRITTEN)
        return
    # Stable: hand out the stored assignment.
    remove_pending_sync_member(rt, group, req.member_id)
    response = SyncGroupResponse(
        error_code=ErrorCode.NONE, protocol_type=group.protocol_type,
        protocol_name=group.protocol_name, assignment=member.assignment)
    if req.api_version < 5:
        response = SyncGroupResponse(error_code=ErrorCode.NONE, assignment=member.assignment)
    rt.send(origin, gid, response)


def remove_pending_sync_member(rt: Runtime, group: Group, member_id: str) -> None:
    """The member sent its SyncGroup: it no longer holds up the pending-sync timer, which stops
    once nobody does."""
    group.pending_sync_members.pop(member_id, None)
    if group.state in (S.COMPLETING_REBALANCE, S.STABLE):
        if not group.pending_sync_members:
            rt.timers.cancel(SyncTimer(group.group_id))
    else:
        rt.timers.cancel(SyncTimer(group.group_id))
