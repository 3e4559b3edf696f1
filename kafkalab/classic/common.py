"""What every classic handler does to a group: change it and record the change, arm its timers,
answer its parked requests, write its record.

How it works
------------
A :class:`~kafkalab.classic.group.Group` method changes the group; the function here that wraps
it also appends the trace record of the change (as Kafka's coordinator writes a record for every
change), so a view can fold the trace back into the group.  Parked JoinGroup and SyncGroup
requests are answered only through :func:`answer_join` and :func:`answer_sync`, which clear the
member's parked request before sending.  Every function takes the
:class:`~kafkalab.runtime.Runtime` first.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import trace as tr
from ..errors import ErrorCode
from ..grouplog import group_metadata_record
from ..messages import JoinGroupResponse, JoinGroupResponseMember, SyncGroupResponse
from ..runtime import Runtime
from ..timers import HeartbeatTimer
from .group import Group, Member
from .state import GroupState, Trigger

__all__ = [
    "transition", "set_leader", "remove_member", "replace_static_member", "member_updated",
    "assignment_changed", "schedule_heartbeat", "write_group", "join_response", "join_error",
    "members_for_leader", "answer_join", "answer_sync",
]


# ---------------------------------------------------------------------------- changes, recorded

def transition(rt: Runtime, group: Group, trigger: Trigger) -> None:
    """Move ``group`` on ``trigger`` (:data:`~kafkalab.classic.state.TRANSITIONS`) and record it."""
    old, new = group.transition(trigger, rt.now)
    rt.emit(tr.StateChanged(rt.now, group.group_id, old, new, trigger, group.generation_id,
                            group.protocol_type, group.protocol_name))
    if new is GroupState.EMPTY:
        rt.ensure_offsets_expiry_timer()  # an Empty group may be deleted by the next check


def set_leader(rt: Runtime, group: Group, leader: Optional[str]) -> None:
    """Make ``leader`` the group's leader (recorded when it changes)."""
    if group.leader_id != leader:
        rt.emit(tr.LeaderChanged(rt.now, group.group_id, group.leader_id, leader))
        group.leader_id = leader


def remove_member(rt: Runtime, group: Group, member_id: str, reason: tr.MemberRemovalReason) -> Optional[Member]:
    """Remove a member or a pending member id; record it, and the new leader if it led."""
    old_leader = group.leader_id
    known = member_id in group.members or member_id in group.pending_join_members
    member = group.remove(member_id)
    if known:
        rt.emit(tr.MemberRemoved(rt.now, group.group_id, member_id, reason))
    if group.leader_id != old_leader:
        rt.emit(tr.LeaderChanged(rt.now, group.group_id, old_leader, group.leader_id))
    return member


def replace_static_member(rt: Runtime, group: Group, group_instance_id: str, old_member_id: str,
                          new_member_id: str, *, fence: bool = True) -> Member:
    """KIP-345: ``new_member_id`` takes the place of the static member ``old_member_id``
    (:meth:`Group.replace_static_member`), and the change is recorded.

    Args:
        fence: answer the old member's parked JoinGroup and SyncGroup with FENCED_INSTANCE_ID,
            as Kafka does for a duplicate instance; ``False`` when a failed write puts the old
            member back (its parked requests were already answered or dropped).

    Returns:
        The new member.
    """
    old_leader = group.leader_id
    old, new = group.replace_static_member(group_instance_id, old_member_id, new_member_id)
    if fence:
        # Fence a duplicate instance immediately if it is waiting for an answer.
        parked = old.awaiting_join
        if parked is not None:
            old.awaiting_join = None
            rt.send(parked.origin, group.group_id, join_error(
                parked.api_version, ErrorCode.FENCED_INSTANCE_ID, old_member_id, generation_id=-1))
        if old.awaiting_sync is not None:
            answer_sync(rt, group, old, SyncGroupResponse(error_code=ErrorCode.FENCED_INSTANCE_ID))
    rt.emit(tr.MemberRemoved(rt.now, group.group_id, old_member_id,
                             tr.MemberRemovalReason.STATIC_MEMBER_REPLACED, replaced_by=new_member_id))
    rt.emit(tr.MemberAdded(rt.now, group.group_id, new_member_id, group_instance_id, new.client_id,
                           new.client_host, new.session_timeout_ms, new.rebalance_timeout_ms, new.assignment))
    if group.leader_id != old_leader:
        rt.emit(tr.LeaderChanged(rt.now, group.group_id, old_leader, group.leader_id))
    return new


def member_updated(rt: Runtime, group: Group, member: Member, **changes: Any) -> None:
    """Record changed member fields (``awaiting_join``, ``awaiting_sync``, the timeouts)."""
    if rt.tracing:
        rt.trace.append(tr.MemberUpdated(rt.now, group.group_id, member.member_id, **changes))


def assignment_changed(rt: Runtime, group: Group) -> None:
    """Record every member's assignment as the group now keeps it."""
    if rt.tracing:
        rt.trace.append(tr.AssignmentChanged(rt.now, group.group_id, tuple(
            (m.member_id, m.assignment) for m in group.members.values())))


def schedule_heartbeat(rt: Runtime, group: Group, member: Member, timeout_ms: int | None = None) -> None:
    """(Re)start the member's session timer: its session timeout, or ``timeout_ms``."""
    timeout = member.session_timeout_ms if timeout_ms is None else timeout_ms
    rt.timers.schedule(HeartbeatTimer(group.group_id, member.member_id), rt.now + timeout)


def write_group(rt: Runtime, group: Group, assignments: dict[str, bytes] | None = None) -> ErrorCode:
    """Append the group's record (:func:`~kafkalab.grouplog.group_metadata_record`); returns NONE
    or the (unmapped) storage error."""
    return rt.append_group_record(group_metadata_record(group, assignments))


# ---------------------------------------------------------------------------- answers

def join_response(version: int, **fields: Any) -> JoinGroupResponse:
    """A JoinGroupResponse as Kafka's constructor builds it for ``version``: protocol_name is ""
    instead of null before v7, null instead of "" from v7; protocol_type only exists from v7;
    skip_assignment from v9."""
    if version < 7:
        fields["protocol_type"] = None
        if fields.get("protocol_name") is None:
            fields["protocol_name"] = ""
    elif fields.get("protocol_name") == "":
        fields["protocol_name"] = None
    if version < 9:
        fields["skip_assignment"] = False
    return JoinGroupResponse(**fields)


def join_error(version: int, code: ErrorCode, member_id: str = "", **fields: Any) -> JoinGroupResponse:
    """A JoinGroupResponse carrying only an error (and the member id, when Kafka sends it)."""
    return join_response(version, error_code=code, member_id=member_id, **fields)


def members_for_leader(group: Group) -> tuple[JoinGroupResponseMember, ...]:
    """The member list the leader's JoinGroupResponse carries: every member's subscription in the
    selected protocol."""
    proto = group.protocol_name
    return tuple(
        JoinGroupResponseMember(m.member_id, m.group_instance_id, m.metadata(proto))
        for m in group.members.values()
    )


def answer_join(rt: Runtime, group: Group, member: Member, response: JoinGroupResponse) -> bool:
    """Answer the member's parked JoinGroup, if it has one; returns whether it had."""
    parked = member.awaiting_join
    if parked is None:
        return False
    group.park_join(member, None)
    member_updated(rt, group, member, awaiting_join=False)
    rt.send(parked.origin, group.group_id, response)
    return True


def answer_sync(rt: Runtime, group: Group, member: Member, response: SyncGroupResponse) -> bool:
    """Answer the member's parked SyncGroup, if it has one (without the v5 fields before v5);
    returns whether it had."""
    parked = member.awaiting_sync
    if parked is None:
        return False
    member.awaiting_sync = None
    member_updated(rt, group, member, awaiting_sync=False)
    if parked.api_version < 5:
        response = SyncGroupResponse(error_code=response.error_code, assignment=response.assignment)
    rt.send(parked.origin, group.group_id, response)
    return True
