"""LeaveGroup on a classic group (Kafka's ``classicGroupLeave``).

After the service's checks, each member identity in the request (v3+ batches them; before v3 the
request names one member) is removed: a pending member id, a member validated by its member id
and instance id, or (admin removal, KIP-345) a static member named only by its instance id.  If
anyone left, the group rebalances or completes the join phase they were holding up.
"""

from __future__ import annotations

from typing import Any

from .. import trace as tr
from ..errors import ErrorCode
from ..messages import LeaveGroupRequest, LeaveGroupResponse, MemberIdentity, MemberResponse
from ..runtime import Runtime
from ..timers import HeartbeatTimer
from .common import answer_join, join_error, remove_member
from .group import Group
from .rebalance import maybe_complete_join_phase, maybe_prepare_rebalance_or_complete_join
from .state import GroupState, Trigger

__all__ = ["handle_leave_group"]

S = GroupState


def handle_leave_group(rt: Runtime, req: LeaveGroupRequest, origin: Any) -> None:
    """Kafka's ``classicGroupLeave``: remove each member identity; one answer per identity (v3+)."""
    gid = req.group_id
    v = req.api_version
    identities = req.members if v >= 3 else (MemberIdentity(member_id=req.member_id),)

    def reply(top: ErrorCode, members: tuple[MemberResponse, ...] = ()) -> None:
        if v < 3:
            # v0-2 have no per-member list: the member's error becomes the top-level error.
            if top is ErrorCode.NONE and members:
                top = members[0].error_code
            members = ()
        rt.send(origin, gid, LeaveGroupResponse(error_code=top, members=members))

    group = rt.groups.get(gid)
    if group is None:
        return reply(ErrorCode.NONE, tuple(
            MemberResponse(i.member_id, i.group_instance_id, ErrorCode.UNKNOWN_MEMBER_ID) for i in identities))
    if group.state is S.DEAD:
        return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)

    responses = []
    any_left = False
    for ident in identities:
        code = ErrorCode.NONE
        if ident.member_id == "":
            # Admin removal of a static member by its group.instance.id.
            target = group.current_static_member_id(ident.group_instance_id) if ident.group_instance_id else None
            if target is None:
                code = ErrorCode.UNKNOWN_MEMBER_ID
            else:
                remove_current_member(rt, group, target)
        elif group.is_pending(ident.member_id):
            remove_member(rt, group, ident.member_id, tr.MemberRemovalReason.PENDING_MEMBER_LEFT)
            rt.timers.cancel(HeartbeatTimer(gid, ident.member_id))
        else:
            error = group.validate_member(ident.member_id, ident.group_instance_id)
            if error is not None:
                code = error
            else:
                remove_current_member(rt, group, ident.member_id)
        any_left = any_left or code is ErrorCode.NONE
        responses.append(MemberResponse(ident.member_id, ident.group_instance_id, code))
    if any_left:
        if group.state in (S.STABLE, S.COMPLETING_REBALANCE):
            maybe_prepare_rebalance_or_complete_join(rt, group, Trigger.MEMBER_LEFT)
        elif group.state is S.PREPARING_REBALANCE:
            maybe_complete_join_phase(rt, group)
    reply(ErrorCode.NONE, tuple(responses))


def remove_current_member(rt: Runtime, group: Group, member_id: str) -> None:
    """Remove a member that left: stop its session, answer its parked JoinGroup (UNKNOWN_MEMBER_ID)."""
    member = group.members[member_id]
    rt.timers.cancel(HeartbeatTimer(group.group_id, member_id))
    if member.awaiting_join is not None:
        answer_join(rt, group, member, join_error(member.awaiting_join.api_version, ErrorCode.UNKNOWN_MEMBER_ID, ""))
    remove_member(rt, group, member_id, tr.MemberRemovalReason.LEAVE_GROUP)
