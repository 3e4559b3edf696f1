"""The rebalance of a classic group: preparing it, completing the join phase, handing out the
assignment, and the three timers that end a wait.

How it works
------------
A rebalance starts with :func:`prepare_rebalance` (the group goes PreparingRebalance and its join
timer starts: the delayed initial rebalance for an Empty group, the rebalance timeout otherwise).
The join phase ends in :func:`complete_join` when every member has rejoined
(:func:`maybe_complete_join_phase`) or when the join timer fires (:func:`expire_join`): the
generation is bumped, the protocol selected, every parked JoinGroup answered and the pending-sync
timer started.  The leader's SyncGroup (:mod:`kafkalab.classic.sync`) hands out the assignment
through :func:`propagate_assignment`; members that never send it are removed by
:func:`expire_pending_sync`, and silent members by :func:`expire_heartbeat`.

The names are Kafka's ``GroupMetadataManager`` methods in snake_case (``prepareRebalance``,
``maybeCompleteJoinPhase``, ``completeClassicGroupJoin``, ``expirePendingSync``,
``expireClassicGroupMemberHeartbeat``, ...).
"""

from __future__ import annotations

from typing import Optional

from .. import trace as tr
from ..errors import ErrorCode
from ..messages import SyncGroupResponse
from ..runtime import Runtime
from ..timers import HeartbeatTimer, InitialDelay, JoinTimer, SyncTimer
from .common import (
    answer_join,
    answer_sync,
    assignment_changed,
    join_error,
    join_response,
    members_for_leader,
    remove_member,
    schedule_heartbeat,
    set_leader,
    transition,
    write_group,
)
from .group import Group, Member
from .state import CAN_REBALANCE, GroupState, Trigger

__all__ = [
    "maybe_prepare_rebalance_or_complete_join", "maybe_complete_join_phase", "prepare_rebalance",
    "complete_join", "propagate_assignment", "expire_join", "expire_pending_sync", "expire_heartbeat",
]

S = GroupState


def maybe_prepare_rebalance_or_complete_join(rt: Runtime, group: Group, trigger: Trigger) -> None:
    """Start a rebalance if the group can (Kafka's ``canRebalance``), else see whether the join
    phase in progress can complete."""
    if group.state in CAN_REBALANCE:
        prepare_rebalance(rt, group, trigger)
    else:
        maybe_complete_join_phase(rt, group)


def maybe_complete_join_phase(rt: Runtime, group: Group) -> None:
    """Complete the join phase if everyone has joined, except during the initial rebalance,
    which only its delayed-join timer ends."""
    if group.state is not S.PREPARING_REBALANCE:
        return
    if group.previous_state is S.EMPTY:
        return
    if group.has_all_members_joined():
        complete_join(rt, group)


def prepare_rebalance(rt: Runtime, group: Group, trigger: Trigger) -> None:
    """Move the group to PreparingRebalance and start its join timer."""
    if group.state is S.COMPLETING_REBALANCE:
        # Members waiting in SyncGroup must rejoin.
        for member in group.members.values():
            member.assignment = b""
        assignment_changed(rt, group)
        propagate_assignment(rt, group, ErrorCode.REBALANCE_IN_PROGRESS)
    group.pending_sync_members.clear()
    rt.timers.cancel(SyncTimer(group.group_id))
    initial = group.state is S.EMPTY
    if initial:
        delay = rt.config.group_initial_rebalance_delay_ms
        remaining = max(group.rebalance_timeout_ms() - delay, 0)
        rt.timers.schedule(JoinTimer(group.group_id), rt.now + delay, InitialDelay(delay, remaining))
    transition(rt, group, trigger)
    if not initial:
        if group.has_all_members_joined():
            complete_join(rt, group)
        else:
            rt.timers.schedule(JoinTimer(group.group_id), rt.now + group.rebalance_timeout_ms())


def expire_join(rt: Runtime, group_id: str, initial: Optional[InitialDelay]) -> None:
    """The group's join timer fired: the initial delay ran out (``initial`` is its payload), or
    the rebalance timeout did (Kafka's ``InitialDelayedJoin`` and ``DelayedJoin``)."""
    group = rt.groups.get(group_id)
    if group is None:
        return
    if initial is not None:
        try_complete_initial_rebalance(rt, group, initial)
    else:
        complete_join(rt, group)


def try_complete_initial_rebalance(rt: Runtime, group: Group, initial: InitialDelay) -> None:
    """End the delayed initial rebalance, unless newcomers arrived during the delay: then wait up
    to another initial delay, within the rebalance timeout."""
    delay, remaining = initial
    if group.new_member_added and remaining != 0:
        group.new_member_added = False
        new_delay = min(rt.config.group_initial_rebalance_delay_ms, remaining)
        new_remaining = max(remaining - delay, 0)
        rt.emit(tr.InitialRebalanceDelayEnded(rt.now, group.group_id, delay, True, new_delay))
        rt.timers.schedule(JoinTimer(group.group_id), rt.now + new_delay, InitialDelay(new_delay, new_remaining))
    else:
        rt.emit(tr.InitialRebalanceDelayEnded(rt.now, group.group_id, delay, group.new_member_added, None))
        complete_join(rt, group)


def complete_join(rt: Runtime, group: Group) -> None:
    """Kafka's ``completeClassicGroupJoin``: drop the dynamic members that did not rejoin, bump the
    generation, select the protocol, answer every parked JoinGroup (the leader gets the member
    list) and start the pending-sync timer; a group left without members goes Empty."""
    gid = group.group_id
    rt.timers.cancel(JoinTimer(gid))
    not_rejoined = [m for m in group.members.values() if m.awaiting_join is None and not m.is_static]
    for member in not_rejoined:
        remove_member(rt, group, member.member_id, tr.MemberRemovalReason.NOT_REJOINED)
        rt.timers.cancel(HeartbeatTimer(gid, member.member_id))
    if group.state is S.DEAD:
        return
    if not maybe_elect_new_joined_leader(rt, group) and group.members:
        # Only static members that did not rejoin are left: wait another rebalance timeout
        # until their sessions expire.  A rebalance timeout of 0 or less (no client sends one)
        # makes Kafka retry at once, busy-looping; kafkalab retries 1 ms later, as an on_timer
        # call cannot loop forever at one instant (docs/differences.md).
        wait = max(group.rebalance_timeout_ms(), 1)
        rt.emit(tr.JoinPhaseExtended(rt.now, gid, wait))
        rt.timers.schedule(JoinTimer(gid), rt.now + wait)
        return
    group.generation_id += 1
    if group.members:
        group.protocol_name = group.select_protocol()
        transition(rt, group, Trigger.JOIN_COMPLETED)
        leader_members = members_for_leader(group)
        for member in group.members.values():
            parked = member.awaiting_join
            if parked is not None:
                answer_join(rt, group, member, join_response(
                    parked.api_version, member_id=member.member_id, generation_id=group.generation_id,
                    protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                    leader=group.leader_id or "",
                    members=leader_members if group.is_leader(member.member_id) else ()))
            schedule_heartbeat(rt, group, member)
            member.is_new = False
            group.pending_sync_members[member.member_id] = None
        rt.timers.schedule(SyncTimer(gid), rt.now + group.rebalance_timeout_ms(), group.generation_id)
    else:
        group.protocol_name = None
        transition(rt, group, Trigger.JOIN_COMPLETED)
        write_group(rt, group)  # a failed write only logs a warning in Kafka


def maybe_elect_new_joined_leader(rt: Runtime, group: Group) -> bool:
    """Keep a leader that rejoined, or make a rejoined member the leader; ``False`` when no
    member rejoined."""
    leader = group.members.get(group.leader_id) if group.leader_id else None
    if leader is None:
        return False
    if leader.awaiting_join is not None:
        return True
    # Kafka picks any member with a parked JoinGroup (HashMap order); kafkalab picks the
    # earliest-joined one.
    for member in group.members.values():
        if member.awaiting_join is not None:
            set_leader(rt, group, member.member_id)
            return True
    return False


def propagate_assignment(rt: Runtime, group: Group, error: ErrorCode) -> None:
    """Answer every parked SyncGroup with the member's assignment (or ``error``)."""
    for member in group.members.values():
        response = SyncGroupResponse(
            error_code=error,
            protocol_type=group.protocol_type if error is ErrorCode.NONE else None,
            protocol_name=group.protocol_name if error is ErrorCode.NONE else None,
            assignment=member.assignment,
        )
        if answer_sync(rt, group, member, response):
            # Sessions that expired while parked were ignored: start them again.
            schedule_heartbeat(rt, group, member)


def expire_pending_sync(rt: Runtime, group_id: str, generation_id: int) -> None:
    """The pending-sync timer of ``generation_id`` fired: remove the members that never sent
    SyncGroup and rebalance."""
    group = rt.groups.get(group_id)
    if group is None or generation_id != group.generation_id:
        return
    if group.state in (S.COMPLETING_REBALANCE, S.STABLE) and group.pending_sync_members:
        for member_id in list(group.pending_sync_members):
            remove_member(rt, group, member_id, tr.MemberRemovalReason.PENDING_SYNC_EXPIRATION)
            rt.timers.cancel(HeartbeatTimer(group_id, member_id))
        prepare_rebalance(rt, group, Trigger.PENDING_SYNC_EXPIRED)


def expire_heartbeat(rt: Runtime, group_id: str, member_id: str) -> None:
    """A session timer fired: remove the pending member id, or the member unless it is parked
    (a parked member needs no heartbeat unless it is new)."""
    group = rt.groups.get(group_id)
    if group is None or group.state is S.DEAD:
        return
    if group.is_pending(member_id):
        remove_member(rt, group, member_id, tr.MemberRemovalReason.PENDING_MEMBER_EXPIRATION)
        if group.state is S.PREPARING_REBALANCE and group.has_all_members_joined():
            complete_join(rt, group)
        return
    member = group.members.get(member_id)
    if member is None or member.has_satisfied_heartbeat():
        return
    remove_member_and_update_group(rt, group, member, Trigger.SESSION_EXPIRED,
                                   tr.MemberRemovalReason.HEARTBEAT_EXPIRATION)


def remove_member_and_update_group(rt: Runtime, group: Group, member: Member, trigger: Trigger,
                                   reason: tr.MemberRemovalReason) -> None:
    """Remove ``member`` and rebalance, or complete the join phase it was holding up."""
    # A new member may time out with a parked JoinGroup: answer it so the client retries.
    if member.awaiting_join is not None:
        answer_join(rt, group, member, join_error(member.awaiting_join.api_version, ErrorCode.UNKNOWN_MEMBER_ID, ""))
    remove_member(rt, group, member.member_id, reason)
    if group.state in (S.STABLE, S.COMPLETING_REBALANCE):
        maybe_prepare_rebalance_or_complete_join(rt, group, trigger)
    elif group.state is S.PREPARING_REBALANCE and group.has_all_members_joined():
        complete_join(rt, group)
