"""JoinGroup on a classic group (Kafka's ``classicGroupJoin`` and the methods it calls).

How it works
------------
The service (:class:`~kafkalab.Coordinator`) has already checked the request (coordinator active,
group id, session timeout bounds, this broker leads the group's partition and is not loading it).
:func:`handle_join_group` creates the group if needed and :func:`join_group` decides, by member
kind and group state:

* a new dynamic member (v4+) gets MEMBER_ID_REQUIRED and a pending member id;
* a new member, or a pending one coming back with its id, is added
  (:func:`add_member_and_rebalance`);
* a known static instance with an empty member id replaces its old member
  (:func:`update_static_member_and_rebalance`, KIP-345);
* a known member either gets the current generation back at once, or its JoinGroup is parked
  and the group rebalances (:func:`update_member_and_rebalance`).

A parked JoinGroup is answered later, by :func:`kafkalab.classic.rebalance.complete_join`.
"""

from __future__ import annotations

from typing import Any

from .. import trace as tr
from ..errors import ErrorCode, map_storage_error
from ..grouplog import empty_group_metadata_record
from ..messages import JoinGroupRequest, JoinGroupResponse
from ..runtime import Runtime
from ..timers import HeartbeatTimer
from .common import (
    answer_join,
    join_error,
    join_response,
    member_updated,
    members_for_leader,
    remove_member,
    replace_static_member,
    schedule_heartbeat,
    transition,
    write_group,
)
from .group import Group, Member, Parked
from .rebalance import maybe_complete_join_phase, maybe_prepare_rebalance_or_complete_join, prepare_rebalance
from .state import GroupState, Trigger

__all__ = ["handle_join_group"]

S = GroupState
Protocols = tuple[tuple[str, bytes], ...]


def handle_join_group(rt: Runtime, req: JoinGroupRequest, origin: Any) -> None:
    """Kafka's ``classicGroupJoin``: join ``req.group_id``, creating the group for a member
    without an id.  The answer is sent now, or parked until the join phase completes."""
    gid = req.group_id
    group = rt.groups.get(gid)
    if group is not None:
        return join_group(rt, group, req, origin)
    if req.member_id != "":
        return rt.send(origin, gid, join_error(req.api_version, ErrorCode.UNKNOWN_MEMBER_ID, req.member_id))
    group = Group(gid)
    rt.groups[gid] = group
    transition(rt, group, Trigger.GROUP_CREATED)
    join_group(rt, group, req, origin)
    # Kafka appends the new (empty) group record after handling the join.  If the write
    # fails the snapshot is reverted, so the group was never created; a JoinGroup still
    # parked gets the storage error, but an answer already given (MEMBER_ID_REQUIRED,
    # INCONSISTENT_GROUP_PROTOCOL) stands, because a completed future cannot be completed again.
    error = rt.append_group_record(empty_group_metadata_record(group))
    if error is not ErrorCode.NONE:
        del rt.groups[gid]
        rt.cancel_group_timers(gid)
        for member in group.members.values():
            if member.awaiting_join is not None:
                answer_join(rt, group, member, join_error(member.awaiting_join.api_version, map_storage_error(error)))
        rt.emit(tr.GroupRemoved(rt.now, gid, tr.GroupRemovalReason.CREATION_WRITE_FAILED))


def join_group(rt: Runtime, group: Group, req: JoinGroupRequest, origin: Any) -> None:
    """Kafka's ``classicGroupJoinToClassicGroup`` from the size check on."""
    v = req.api_version
    gid = req.group_id
    is_unknown_member = req.member_id == ""

    def reply(resp: JoinGroupResponse) -> None:
        rt.send(origin, gid, resp)

    # JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
    rebalance_timeout = req.session_timeout_ms if v == 0 else req.rebalance_timeout_ms

    if not accept_joining_member(rt, group, req.member_id):
        if req.member_id in group.members or req.member_id in group.pending_join_members:
            rt.timers.cancel(HeartbeatTimer(gid, req.member_id))
            remove_member(rt, group, req.member_id, tr.MemberRemovalReason.GROUP_MAX_SIZE_REACHED)
        return reply(join_error(v, ErrorCode.GROUP_MAX_SIZE_REACHED, ""))

    protocols = tuple((p.name, p.metadata) for p in req.protocols)
    names = tuple(name for name, _ in protocols)
    if group.state is S.DEAD:
        return reply(join_error(v, ErrorCode.COORDINATOR_NOT_AVAILABLE, req.member_id))
    if not group.supports_protocols(req.protocol_type, names):
        return reply(join_error(v, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.member_id))

    parked = Parked(origin, v)
    if is_unknown_member:
        if req.group_instance_id is not None:
            new_id = rt.generate_member_id(req.group_instance_id)
            existing = group.current_static_member_id(req.group_instance_id)
            if existing is None:
                return add_member_and_rebalance(rt, group, req, new_id, protocols, rebalance_timeout, parked)
            return update_static_member_and_rebalance(
                rt, group, req, existing, new_id, protocols, rebalance_timeout, parked)
        new_id = rt.generate_member_id(req.client_id)
        if v >= 4:
            # KIP-394: hand out an id and ask the member to come back with it; the group
            # does not change state and the pending id is not a member yet.
            group.pending_join_members[new_id] = None
            if rt.tracing:
                rt.emit(tr.PendingMemberAdded(rt.now, gid, new_id))
            rt.timers.schedule(HeartbeatTimer(gid, new_id), rt.now + req.session_timeout_ms)
            return reply(join_error(v, ErrorCode.MEMBER_ID_REQUIRED, new_id))
        return add_member_and_rebalance(rt, group, req, new_id, protocols, rebalance_timeout, parked)

    member_id = req.member_id
    if group.is_pending(member_id):
        if req.group_instance_id is not None:
            # Kafka throws IllegalStateException here (a pending member is never static);
            # the runtime turns it into UNKNOWN_SERVER_ERROR without a member id.
            return reply(join_error(v, ErrorCode.UNKNOWN_SERVER_ERROR, ""))
        return add_member_and_rebalance(rt, group, req, member_id, protocols, rebalance_timeout, parked)

    error = group.validate_member(member_id, req.group_instance_id)
    if error is not None:
        return reply(join_error(v, error, member_id))
    member = group.members[member_id]
    if group.state is S.PREPARING_REBALANCE:
        return update_member_and_rebalance(rt, group, member, protocols, rebalance_timeout,
                                           req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
    if group.state is S.COMPLETING_REBALANCE:
        if member.protocols == protocols:
            # The member probably missed its JoinGroup answer: repeat the current generation.
            return reply(join_response(
                v, member_id=member_id, generation_id=group.generation_id,
                protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                leader=group.leader_id or "",
                members=members_for_leader(group) if group.is_leader(member_id) else ()))
        return update_member_and_rebalance(rt, group, member, protocols, rebalance_timeout,
                                           req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
    if group.state is S.STABLE:
        if group.is_leader(member_id):
            # The leader's JoinGroup always rebalances: that is how a consumer leader reacts
            # to topic metadata changes that do not change any subscription.
            return update_member_and_rebalance(rt, group, member, protocols, rebalance_timeout,
                                               req.session_timeout_ms, parked, Trigger.LEADER_REJOINED)
        if member.protocols != protocols:
            return update_member_and_rebalance(rt, group, member, protocols, rebalance_timeout,
                                               req.session_timeout_ms, parked, Trigger.PROTOCOLS_CHANGED)
        return reply(join_response(
            v, member_id=member_id, generation_id=group.generation_id,
            protocol_type=group.protocol_type, protocol_name=group.protocol_name,
            leader=group.leader_id or "", members=()))
    # Empty: cannot happen with a validated member; Kafka answers UNKNOWN_MEMBER_ID.
    return reply(join_error(v, ErrorCode.UNKNOWN_MEMBER_ID, member_id))


def accept_joining_member(rt: Runtime, group: Group, member_id: str) -> bool:
    """Kafka's ``acceptJoiningMember`` (``group.max.size``)."""
    max_size = rt.config.group_max_size
    if group.state in (S.EMPTY, S.DEAD):
        return True
    member = group.members.get(member_id)
    if group.state is S.PREPARING_REBALANCE:
        # Counting awaiting joiners (not members) lets the *last* rejoiners be refused
        # when a group is over a lowered limit.
        return (member is not None and member.awaiting_join is not None) or group.num_awaiting_join < max_size
    return member is not None or len(group.members) < max_size


def add_member_and_rebalance(rt: Runtime, group: Group, req: JoinGroupRequest, member_id: str,
                             protocols: Protocols, rebalance_timeout: int, parked: Parked) -> None:
    """Kafka's ``addMemberThenRebalanceOrCompleteJoin``: add a new member with its JoinGroup
    parked, and rebalance (or complete the join phase it completes)."""
    member = Member(member_id, req.group_instance_id, req.client_id, req.client_host,
                    rebalance_timeout, req.session_timeout_ms, req.protocol_type, protocols,
                    awaiting_join=parked, is_new=True)
    # A newcomer during the initial rebalance extends the delay (the first member, which
    # moves the group out of Empty, does not).
    if group.state is S.PREPARING_REBALANCE and group.previous_state is S.EMPTY:
        group.new_member_added = True
    old_leader = group.leader_id
    group.add(member)
    if rt.tracing:
        rt.emit(tr.MemberAdded(rt.now, group.group_id, member_id, req.group_instance_id, req.client_id,
                               req.client_host, req.session_timeout_ms, rebalance_timeout, b"", True))
    if group.leader_id != old_leader:
        rt.emit(tr.LeaderChanged(rt.now, group.group_id, old_leader, group.leader_id))
    # New members cannot heartbeat while their JoinGroup is parked, so they get the
    # new-member join timeout instead of their session timeout.
    schedule_heartbeat(rt, group, member, rt.config.new_member_join_timeout_ms)
    maybe_prepare_rebalance_or_complete_join(rt, group, Trigger.MEMBER_ADDED)


def update_member_and_rebalance(rt: Runtime, group: Group, member: Member, protocols: Protocols,
                                rebalance_timeout: int, session_timeout: int, parked: Parked,
                                trigger: Trigger) -> None:
    """Kafka's ``updateMemberThenRebalanceOrCompleteJoin``: take the member's new protocols and
    timeouts, park its JoinGroup, and rebalance (or complete the join phase)."""
    group.update_protocols(member, protocols, rebalance_timeout, session_timeout)
    # A JoinGroup parked earlier by the same member is dropped, never answered (as in Kafka).
    group.park_join(member, parked)
    member_updated(rt, group, member, session_timeout_ms=session_timeout,
                   rebalance_timeout_ms=rebalance_timeout, awaiting_join=True)
    maybe_prepare_rebalance_or_complete_join(rt, group, trigger)


def update_static_member_and_rebalance(rt: Runtime, group: Group, req: JoinGroupRequest, old_id: str,
                                       new_id: str, protocols: Protocols, rebalance_timeout: int,
                                       parked: Parked) -> None:
    """KIP-345 (Kafka's ``updateStaticMemberThenRebalanceOrCompleteJoin``): a known
    group.instance.id joins with an empty member id: replace the old member.  A Stable group whose
    protocol would not change only writes the new member id; otherwise the group rebalances."""
    v = req.api_version
    instance_id = req.group_instance_id
    assert instance_id is not None  # only static members come here
    leader_before = group.leader_id
    new_member = replace_static_member(rt, group, instance_id, old_id, new_id)
    schedule_heartbeat(rt, group, new_member)
    old_protocols = new_member.protocols
    old_rebalance, old_session = new_member.rebalance_timeout_ms, new_member.session_timeout_ms
    group.update_protocols(new_member, protocols, rebalance_timeout, req.session_timeout_ms)
    group.park_join(new_member, parked)
    member_updated(rt, group, new_member, session_timeout_ms=req.session_timeout_ms,
                   rebalance_timeout_ms=rebalance_timeout, awaiting_join=True)

    if group.state is S.STABLE:
        if group.protocol_name == group.select_protocol():
            # No rebalance: persist the new member id, answer after the write.
            error = write_group(rt, group)
            if error is not ErrorCode.NONE:
                group.park_join(new_member, None)
                group.update_protocols(new_member, old_protocols, old_rebalance, old_session)
                member_updated(rt, group, new_member, session_timeout_ms=old_session,
                               rebalance_timeout_ms=old_rebalance, awaiting_join=False)
                old_member = replace_static_member(rt, group, instance_id, new_id, old_id, fence=False)
                schedule_heartbeat(rt, group, old_member)
                rt.send(parked.origin, group.group_id, join_response(
                    v, error_code=map_storage_error(error), member_id="",
                    generation_id=group.generation_id, protocol_type=group.protocol_type,
                    protocol_name=group.protocol_name, leader=leader_before or ""))
                return
            if v >= 9:
                # KIP-814: the rejoined leader learns it leads but must not reassign.
                is_leader = group.is_leader(new_id)
                response = join_response(
                    v, member_id=new_id, generation_id=group.generation_id,
                    protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                    leader=group.leader_id or "", skip_assignment=is_leader,
                    members=members_for_leader(group) if is_leader else ())
            else:
                # Before v9 the old leader id is returned, so a rejoined static leader sees
                # itself as a follower and does not run the assignor.
                response = join_response(
                    v, member_id=new_id, generation_id=group.generation_id,
                    protocol_type=group.protocol_type, protocol_name=group.protocol_name,
                    leader=leader_before or "")
            answer_join(rt, group, new_member, response)
            return
        return maybe_prepare_rebalance_or_complete_join(rt, group, Trigger.STATIC_MEMBER_REPLACED)
    if group.state is S.COMPLETING_REBALANCE:
        # The leader may already be computing an assignment keyed by the old member id.
        return prepare_rebalance(rt, group, Trigger.STATIC_MEMBER_REPLACED)
    return maybe_complete_join_phase(rt, group)
