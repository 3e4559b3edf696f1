"""ConsumerGroupHeartbeat: validation, join and heartbeat, leave, fencing, regex resolution.

How it works
------------
One module per API, as Kafka's ``GroupMetadataManager`` splits its ``consumerGroup*`` methods:

* :func:`validate_request` is ``throwIfConsumerGroupHeartbeatRequestIsInvalid`` (docs/consumer-protocol.md
  §2.3): checks in Kafka's order, before any group is looked at;
* :func:`regular_heartbeat` is ``consumerGroupHeartbeat(groupId, memberId, memberEpoch, ...)``
  (§2.4): get or create the group, check its size, find or create the member (dynamic:
  ``getOrMaybeSubscribeDynamicConsumerGroupMember``; static:
  ``getOrMaybeSubscribeStaticConsumerGroupMember``), apply the request's fields, decide whether the
  group epoch moves (``hasMemberSubscriptionChanged``, ``maybeUpdateRegularExpressions``, the
  subscription metadata), compute a new target if the epoch moved past the target's, reconcile this
  member (``maybeReconcile``), reschedule its session timer, and answer;
* :func:`leave` is ``consumerGroupLeave`` (§2.6): a -1 fences the member, a static member's -2
  keeps it at epoch -2 with its partitions (``consumerGroupStaticMemberGroupLeave``);
* :func:`fence_members` is ``consumerGroupFenceMembers`` (§4.2), also used by the session and
  rebalance timeouts (:func:`on_session_timeout`, :func:`on_rebalance_timeout`);
* :func:`on_regex_refresh` is ``refreshRegularExpressions`` + ``handleRegularExpressionsResult``
  (§3.4), run when the group's regex-refresh timer fires.

Nothing here changes a group.  Each function fills a :class:`Batch` -- records, timer operations,
soft-state updates -- and raises :class:`ApiError` (Kafka's ``ApiException``) for a protocol error;
the manager applies a batch only when the whole request succeeded, so a failed request leaves no
trace.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, ConsumerGroupHeartbeatTopicPartitions
from . import events as ev
from .assignment import freeze, to_response
from .config import INT32_MAX, REGEX_BATCH_REFRESH_INTERVAL_MS
from .group import (
    LEAVE_GROUP_MEMBER_EPOCH,
    LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    ConsumerGroup,
    ConsumerGroupMember,
    SubscriptionCount,
)
from .reconcile import FencedMemberEpoch, reconcile
from .regex import regex_error, resolve
from .state import MemberState, Trigger
from .target import AssignorFailed, build_target_assignment
from .timers import (classic_join_timeout_key, classic_sync_timeout_key, rebalance_timeout_key, regex_refresh_key,
                     session_timeout_key)

if TYPE_CHECKING:
    from .manager import ConsumerGroupManager

__all__ = ["ApiError", "Batch", "validate_request", "regular_heartbeat", "leave", "fence_members",
           "on_session_timeout", "on_rebalance_timeout", "on_regex_refresh", "error_response",
           "METADATA_REFRESH_INTERVAL_MS", "CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION"]

#: Kafka's ``METADATA_REFRESH_INTERVAL_MS``: the subscription metadata is recomputed on request only.
METADATA_REFRESH_INTERVAL_MS = INT32_MAX
#: From this version (KIP-1082) the client generates its member id; "" is refused even on a join.
CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION = 1

E = ErrorCode


class ApiError(Exception):
    """Internal: a protocol error (Kafka's ``ApiException``) carrying the code and message to send."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Batch:
    """What one request or timer wants to change, applied by the manager only on success."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.records: list[ev.GroupRecord] = []
        self.notes: list[ev.TraceEvent] = []
        self.timer_ops: list[tuple[str, tuple, int, Any]] = []
        self.refresh_deadline: Optional[int] = None
        self.new_group = False
        self.delete_classic_group: Optional[str] = None
        #: A non-empty classic group upgraded by this request (§7.1): its conversion records are
        #: the first ``preapplied`` records, already replayed into the new group.
        self.convert_classic_group: Optional[str] = None
        self.preapplied = 0
        #: The classic group to build when this batch downgrades the group (§7.2).
        self.downgrade: Any = None

    def schedule(self, key: tuple, deadline: int, payload: Any = None) -> None:
        self.timer_ops.append(("schedule", key, deadline, payload))

    def cancel(self, key: tuple) -> None:
        self.timer_ops.append(("cancel", key, 0, None))

    def schedules(self, key: tuple) -> bool:
        """Whether this batch schedules ``key`` (and does not cancel it afterwards)."""
        state = False
        for op, k, _d, _p in self.timer_ops:
            if k == key:
                state = op == "schedule"
        return state


def error_response(code: ErrorCode, message: Optional[str]) -> ConsumerGroupHeartbeatResponse:
    """An error answer: only the code and the message (member id null, epoch 0, interval 0)."""
    return ConsumerGroupHeartbeatResponse(error_code=code, error_message=message)


def _blank(value: Optional[str]) -> bool:
    # Java's value.trim().isEmpty(): trim() drops every char <= U+0020 at both ends.
    return value is not None and all(c <= " " for c in value)


# ---------------------------------------------------------------------------- validation (§2.3)

def validate_request(req: ConsumerGroupHeartbeatRequest, assignor_names: Sequence[str]) -> Optional[ApiError]:
    """Kafka's ``throwIfConsumerGroupHeartbeatRequestIsInvalid``: the first failing check, or None.

    Args:
        req: the request.
        assignor_names: the names of ``group.consumer.assignors``, in order.

    Returns:
        An :class:`ApiError` (INVALID_REQUEST, or UNSUPPORTED_ASSIGNOR) or None.
    """
    epoch = req.member_epoch
    invalid = E.INVALID_REQUEST
    if req.api_version >= CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION or epoch > 0 or epoch == LEAVE_GROUP_MEMBER_EPOCH:
        if _blank(req.member_id):
            return ApiError(invalid, "MemberId can't be empty.")
    if _blank(req.group_id):
        return ApiError(invalid, "GroupId can't be empty.")
    if _blank(req.instance_id):
        return ApiError(invalid, "InstanceId can't be empty.")
    if _blank(req.rack_id):
        return ApiError(invalid, "RackId can't be empty.")
    if epoch == 0:
        if req.rebalance_timeout_ms == -1:
            return ApiError(invalid, "RebalanceTimeoutMs must be provided in first request.")
        if req.topic_partitions is None or len(req.topic_partitions) > 0:
            return ApiError(invalid, "TopicPartitions must be empty when (re-)joining.")
        # An empty list of names (or an empty regex) joins with no topics: it is accepted.
        if req.subscribed_topic_names is None and req.subscribed_topic_regex is None:
            return ApiError(invalid, "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null "
                                     "when (re-)joining.")
    elif epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH:
        if req.instance_id is None:
            return ApiError(invalid, "InstanceId can't be null.")
    elif epoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH:
        return ApiError(invalid, "MemberEpoch is invalid.")
    if req.server_assignor is not None and req.server_assignor not in assignor_names:
        return ApiError(E.UNSUPPORTED_ASSIGNOR, f"ServerAssignor {req.server_assignor} is not supported. "
                                                f"Supported assignors: {', '.join(assignor_names)}.")
    return None


# ---------------------------------------------------------------------------- group and member lookup

def _consumer_group(mgr: "ConsumerGroupManager", group_id: str, *, create: bool, batch: Batch,
                    absent_message: str) -> ConsumerGroup:
    """Kafka's ``getOrMaybeCreateConsumerGroup`` (create) / ``consumerGroup`` (lookup)."""
    group = mgr.groups.get(group_id)
    if group is not None:
        return group
    classic_state = mgr.classic_groups.state_of(group_id)
    if classic_state is None:
        if not create:
            raise ApiError(E.GROUP_ID_NOT_FOUND, absent_message)
    elif create and classic_state == "Empty":
        # An empty classic group is tombstoned (its offsets stay) and replaced.
        batch.delete_classic_group = group_id
    else:
        view = getattr(mgr.classic_groups, "view", None)
        if not create or view is None:
            raise ApiError(E.GROUP_ID_NOT_FOUND, f"Group {group_id} is not a consumer group.")
        from .migration import upgrade  # the online upgrade (docs/consumer-protocol.md §7.1)
        return upgrade(mgr, view(group_id), batch)
    batch.new_group = True
    batch.records.append(ev.ConsumerGroupCreated(batch.now, group_id))
    return ConsumerGroup(group_id)


def _is_subset(owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]], assigned) -> bool:
    # Kafka's isSubset: every reported topic must be assigned, and every reported partition too.
    if owned is None:
        return False
    for tp in owned:
        parts = assigned.get(tp.topic_id)
        if parts is None or any(p not in parts for p in tp.partitions):
            return False
    return True


def _validate_member_epoch(member: ConsumerGroupMember, epoch: int,
                           owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]]) -> None:
    """Kafka's ``throwIfConsumerGroupMemberEpochIsInvalid`` (§2.5)."""
    if epoch > member.member_epoch:
        raise ApiError(E.FENCED_MEMBER_EPOCH,
                       f"The consumer group member has a greater member epoch ({epoch}) than the one known by "
                       f"the group coordinator ({member.member_epoch}). The member must abandon all its "
                       "partitions and rejoin.")
    if epoch < member.member_epoch:
        # The response that moved the member's epoch may have been lost: accept the previous
        # epoch if the member owns nothing it should not.
        if epoch != member.previous_member_epoch or not _is_subset(owned, member.assigned_partitions):
            raise ApiError(E.FENCED_MEMBER_EPOCH,
                           f"The consumer group member has a smaller member epoch ({epoch}) than the one known "
                           f"by the group coordinator ({member.member_epoch}). The member must abandon all its "
                           "partitions and rejoin.")


def _subscription_record(now: int, group_id: str, m: ConsumerGroupMember) -> ev.MemberSubscriptionUpdated:
    return ev.MemberSubscriptionUpdated(
        now, group_id, m.member_id, m.instance_id, m.rack_id, m.client_id, m.client_host,
        m.rebalance_timeout_ms, tuple(sorted(m.subscribed_topic_names)), m.subscribed_topic_regex,
        m.server_assignor_name, m.classic)


def _assignment_record(now: int, group_id: str, m: ConsumerGroupMember) -> ev.MemberAssignmentUpdated:
    return ev.MemberAssignmentUpdated(
        now, group_id, m.member_id, m.member_epoch, m.previous_member_epoch, m.state,
        freeze(m.assigned_partitions), freeze(m.partitions_pending_revocation))


def _static_member(group: ConsumerGroup, req: ConsumerGroupHeartbeatRequest, member_id: str,
                   create: bool, batch: Batch) -> ConsumerGroupMember:
    """Kafka's ``getOrMaybeSubscribeStaticConsumerGroupMember`` (§4.4)."""
    instance_id = req.instance_id
    existing = group.static_member(instance_id)
    if create:
        if existing is None:
            return group.members.get(member_id) or ConsumerGroupMember(member_id)
        if existing.member_epoch != LEAVE_GROUP_STATIC_MEMBER_EPOCH:
            # Unlike classic static membership, the newcomer is refused, not the old member fenced.
            raise ApiError(E.UNRELEASED_INSTANCE_ID,
                           f"Static member {member_id} with instance id {instance_id} cannot join the group "
                           f"because the instance id is owned by {existing.member_id} member.")
        new = dataclasses.replace(existing, member_id=member_id, member_epoch=0, previous_member_epoch=0)
        # replaceMember: tombstones for the old id, then the new id with the old target and
        # partitions.  The old id's timers are left to fire as no-ops, as in Kafka.
        gid, now = group.group_id, batch.now
        batch.records.append(ev.MemberRemoved(now, gid, existing.member_id, existing.instance_id,
                                              existing.member_epoch, ev.RemovalReason.STATIC_MEMBER_REPLACED))
        batch.records.append(_subscription_record(now, gid, new))
        batch.records.append(ev.TargetAssignmentUpdated(now, gid, new.member_id,
                                                        freeze(group.target_assignment.get(existing.member_id, {}))))
        batch.records.append(_assignment_record(now, gid, new))
        return new
    if existing is None:
        raise ApiError(E.UNKNOWN_MEMBER_ID, f"Instance id {instance_id} is unknown.")
    if existing.member_id != member_id:
        raise ApiError(E.FENCED_INSTANCE_ID, f"Static member {member_id} with instance id {instance_id} "
                                             f"was fenced by member {existing.member_id}.")
    _validate_member_epoch(existing, req.member_epoch, req.topic_partitions)
    return existing


# ---------------------------------------------------------------------------- regular heartbeat (§2.4)

def regular_heartbeat(mgr: "ConsumerGroupManager", req: ConsumerGroupHeartbeatRequest,
                      batch: Batch) -> tuple[ConsumerGroupHeartbeatResponse, ConsumerGroup, Trigger]:
    """Kafka's ``consumerGroupHeartbeat`` for member epochs >= 0 (see the module docstring).

    Returns:
        The response, the group (new or existing) and the trigger for its state change.

    Raises:
        ApiError: a protocol error; nothing of ``batch`` may then be applied.
    """
    now = batch.now
    gid = req.group_id
    epoch = req.member_epoch
    create = epoch == 0
    group = _consumer_group(mgr, gid, create=create, batch=batch, absent_message=f"Consumer group {gid} not found.")

    max_size = mgr.config.group_consumer_max_size
    if len(group.members) >= max_size and (not req.member_id or req.member_id not in group.members):
        raise ApiError(E.GROUP_MAX_SIZE_REACHED,
                       f"The consumer group has reached its maximum capacity of {max_size} members.")

    member_id = req.member_id or mgr.generate_member_id()  # v0 join: the coordinator picks the id
    if req.instance_id is None:
        member = group.members.get(member_id)
        if member is None:
            if not create:
                raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {gid}.")
            member = ConsumerGroupMember(member_id)
        _validate_member_epoch(member, epoch, req.topic_partitions)
    else:
        member = _static_member(group, req, member_id, create, batch)

    updated = dataclasses.replace(
        member,
        instance_id=req.instance_id if req.instance_id is not None else member.instance_id,
        rack_id=req.rack_id if req.rack_id is not None else member.rack_id,
        rebalance_timeout_ms=req.rebalance_timeout_ms if req.rebalance_timeout_ms != -1 else member.rebalance_timeout_ms,
        server_assignor_name=req.server_assignor if req.server_assignor is not None else member.server_assignor_name,
        subscribed_topic_names=(frozenset(req.subscribed_topic_names) if req.subscribed_topic_names is not None
                                else member.subscribed_topic_names),
        subscribed_topic_regex=(req.subscribed_topic_regex if req.subscribed_topic_regex is not None
                                else member.subscribed_topic_regex),
        client_id=req.client_id, client_host=req.client_host)

    reconciled = subscribe_and_reconcile(mgr, group, member, updated, req.topic_partitions, batch)
    batch.schedule(session_timeout_key(gid, updated.member_id), now + mgr.session_timeout_ms(gid))

    full = epoch == 0 or (req.rebalance_timeout_ms != -1
                          and (req.subscribed_topic_names is not None or req.subscribed_topic_regex is not None)
                          and req.topic_partitions is not None)
    changed = member.assigned_partitions != reconciled.assigned_partitions
    response = ConsumerGroupHeartbeatResponse(
        member_id=reconciled.member_id, member_epoch=reconciled.member_epoch,
        heartbeat_interval_ms=mgr.heartbeat_interval_ms(gid),
        assignment=to_response(reconciled.assigned_partitions) if full or changed else None)
    return response, group, (Trigger.GROUP_CREATED if batch.new_group and not batch.convert_classic_group
                             else Trigger.CLASSIC_GROUP_UPGRADED if batch.new_group
                             else Trigger.CONSUMER_GROUP_HEARTBEAT)


def subscribe_and_reconcile(mgr: "ConsumerGroupManager", group: ConsumerGroup, member: ConsumerGroupMember,
                            updated: ConsumerGroupMember,
                            owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]],
                            batch: Batch) -> ConsumerGroupMember:
    """The part of a join or heartbeat shared by ConsumerGroupHeartbeat and a classic member's
    JoinGroup (§2.4 steps, §7.3): record the member's new subscription, bump the group epoch if it
    changed (or the subscribed topics' metadata did), compute a new target when the epoch moved
    past it, then reconcile this member against ``owned``.

    Returns:
        The member after reconciliation.

    Raises:
        ApiError: the assignor failed, or the member must be fenced.
    """
    now, gid = batch.now, group.group_id
    # 1. The member's subscription and the group epoch.
    bump: Optional[ev.EpochBumpReason] = ev.EpochBumpReason.NEW_GROUP if group.group_epoch == 0 else None
    if updated != member:  # hasMemberSubscriptionChanged
        batch.records.append(_subscription_record(now, gid, updated))
        if updated.subscribed_topic_names != member.subscribed_topic_names:
            bump = bump or ev.EpochBumpReason.SUBSCRIPTION_CHANGED
    if _maybe_update_regular_expressions(mgr, group, member, updated, batch):
        bump = bump or ev.EpochBumpReason.REGULAR_EXPRESSION_ALREADY_RESOLVED

    group_epoch = group.group_epoch
    metadata = group.subscription_metadata
    subscription_type = group.compute_subscription_type(
        group.subscribed_regular_expressions(), group.subscribed_topic_names(), len(group.members))
    if bump is not None or now >= group.metadata_refresh_deadline:
        counts = group.compute_subscribed_topic_names(member, updated)
        metadata = group.compute_subscription_metadata(counts, mgr.metadata)
        num_members = len(group.members)
        if updated.member_id not in group.members and (
                updated.instance_id is None or updated.instance_id not in group.static_members):
            num_members += 1
        subscription_type = group.compute_subscription_type(
            group.compute_subscribed_regular_expressions(member, updated), counts, num_members)
        if metadata != group.subscription_metadata:
            bump = bump or ev.EpochBumpReason.SUBSCRIPTION_METADATA_CHANGED
            batch.records.append(ev.SubscriptionMetadataUpdated(now, gid, tuple(metadata.values())))
        if bump is not None:
            batch.records.append(ev.GroupEpochBumped(now, gid, group_epoch, group_epoch + 1, bump))
            group_epoch += 1
        batch.refresh_deadline = now + METADATA_REFRESH_INTERVAL_MS

    # 2. A new target for the whole group if the epoch moved past the target's.
    if group_epoch > group.assignment_epoch:
        assignor = mgr.preferred_assignor(group, member, updated)
        try:
            result = build_target_assignment(group, group_epoch, updated, metadata, subscription_type,
                                             mgr.metadata, assignor, now)
        except AssignorFailed as err:
            raise ApiError(err.code, err.message) from None
        batch.records.extend(result.records)
        target_epoch, target = group_epoch, result.targets.get(updated.member_id, {})
    else:
        target_epoch, target = group.assignment_epoch, group.target_of(updated.member_id, updated.instance_id)

    # 3. Reconcile this member only.
    return _maybe_reconcile(group, updated, target_epoch, target, owned, batch)


def _maybe_reconcile(group: ConsumerGroup, member: ConsumerGroupMember, target_epoch: int, target,
                     owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]],
                     batch: Batch) -> ConsumerGroupMember:
    """Kafka's ``maybeReconcile``: one reconciliation step, a record, the rebalance timer (§4.3)."""
    if member.is_reconciled_to(target_epoch):
        return member
    try:
        updated = reconcile(member, target_epoch, target, group.current_partition_epoch, owned)
    except FencedMemberEpoch as err:
        raise ApiError(E.FENCED_MEMBER_EPOCH, str(err)) from None
    if updated != member:
        batch.records.append(_assignment_record(batch.now, group.group_id, updated))
        key = rebalance_timeout_key(group.group_id, updated.member_id)
        if updated.state is MemberState.UNREVOKED_PARTITIONS:
            batch.schedule(key, batch.now + updated.rebalance_timeout_ms, updated.member_epoch)
        else:
            batch.cancel(key)
    return updated


def _maybe_update_regular_expressions(mgr: "ConsumerGroupManager", group: ConsumerGroup,
                                      member: ConsumerGroupMember, updated: ConsumerGroupMember,
                                      batch: Batch) -> bool:
    """Kafka's ``maybeUpdateRegularExpressions``: returns whether the epoch must move (§3.4)."""
    gid, now = group.group_id, batch.now
    old_regex, new_regex = member.subscribed_topic_regex, updated.subscribed_topic_regex
    bump = False
    require_refresh = False
    if old_regex != new_regex:
        if old_regex and group.num_subscribed_members(old_regex) == 1:
            batch.records.append(ev.RegularExpressionRemoved(now, gid, old_regex))
        if new_regex:
            if group.num_subscribed_members(new_regex) == 0:
                error = regex_error(new_regex)
                if error is not None:
                    raise ApiError(E.INVALID_REGULAR_EXPRESSION,
                                   f"SubscribedTopicRegex `{new_regex}` is not a valid regular expression: {error}.")
                require_refresh = True
            else:
                bump = new_regex in group.resolved_regular_expressions
    if not require_refresh and not group.subscribed_regular_expressions():
        return bump
    key = regex_refresh_key(gid)
    if key in mgr.timers or batch.schedules(key):
        return bump  # a resolution is already running
    last = group.last_regex_refresh_ms()
    if last is not None and now <= last + REGEX_BATCH_REFRESH_INTERVAL_MS:
        return bump
    regexes = group.compute_subscribed_regular_expressions(member, updated)
    require_refresh |= len(regexes) != len(group.resolved_regular_expressions)
    require_refresh |= group.last_regex_version() < mgr.last_metadata_version_with_new_topics
    if require_refresh and regexes:
        batch.schedule(key, now + mgr.regex_resolution_delay_ms, tuple(sorted(regexes)))
        batch.notes.append(ev.RegularExpressionRefreshScheduled(now, gid, tuple(sorted(regexes))))
    return bump


# ---------------------------------------------------------------------------- leave (§2.6, §4.4)

def leave(mgr: "ConsumerGroupManager", req: ConsumerGroupHeartbeatRequest,
          batch: Batch) -> tuple[ConsumerGroupHeartbeatResponse, ConsumerGroup, Trigger]:
    """Kafka's ``consumerGroupLeave`` for member epochs -1 and -2 (the epoch is not validated).

    Raises:
        ApiError: unknown group, member or instance id; fenced instance id.
    """
    gid = req.group_id
    group = _consumer_group(mgr, gid, create=False, batch=batch, absent_message=f"Group {gid} not found.")
    if req.instance_id is None:
        member = group.members.get(req.member_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Member {req.member_id} is not a member of group {gid}.")
    else:
        member = group.static_member(req.instance_id)
        if member is None:
            raise ApiError(E.UNKNOWN_MEMBER_ID, f"Instance id {req.instance_id} is unknown.")
        if member.member_id != req.member_id:
            raise ApiError(E.FENCED_INSTANCE_ID, f"Static member {req.member_id} with instance id "
                                                 f"{req.instance_id} was fenced by member {member.member_id}.")
        if req.member_epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH:
            # Stays in the group at epoch -2 with its partitions (still owned, so nobody else gets
            # them); no epoch bump; its session timer keeps running.
            away = dataclasses.replace(member, member_epoch=LEAVE_GROUP_STATIC_MEMBER_EPOCH,
                                       partitions_pending_revocation={})
            batch.records.append(_assignment_record(batch.now, gid, away))
            return (ConsumerGroupHeartbeatResponse(member_id=member.member_id,
                                                   member_epoch=LEAVE_GROUP_STATIC_MEMBER_EPOCH),
                    group, Trigger.STATIC_MEMBER_TEMPORARILY_LEFT)
    fence_members(mgr, group, [member], ev.RemovalReason.MEMBER_LEFT, batch)
    return (ConsumerGroupHeartbeatResponse(member_id=req.member_id, member_epoch=req.member_epoch),
            group, Trigger.MEMBERS_FENCED)


def fence_members(mgr: "ConsumerGroupManager", group: ConsumerGroup, members: list[ConsumerGroupMember],
                  reason: ev.RemovalReason, batch: Batch, *, may_downgrade: bool = True) -> None:
    """Kafka's ``consumerGroupFenceMembers`` (§4.2): tombstones, unused regexes, subscription
    metadata without them, one epoch bump, their timers cancelled.  No-op for no members."""
    if not members:
        return
    from .migration import downgrade, should_downgrade  # docs/consumer-protocol.md §7.2
    if may_downgrade and should_downgrade(mgr, group, members):
        return downgrade(mgr, group, members, reason, batch)
    gid, now = group.group_id, batch.now
    removed = {m.member_id for m in members}
    for m in members:
        batch.records.append(ev.MemberRemoved(now, gid, m.member_id, m.instance_id, m.member_epoch, reason))
    remaining = {}
    for m in group.members.values():
        if m.member_id not in removed and m.subscribed_topic_regex:
            remaining[m.subscribed_topic_regex] = True
    gone_regexes = sorted({m.subscribed_topic_regex for m in members if m.subscribed_topic_regex}
                          - set(remaining))
    for regex in gone_regexes:
        if regex in group.resolved_regular_expressions:
            batch.records.append(ev.RegularExpressionRemoved(now, gid, regex))
    metadata = group.compute_subscription_metadata(
        group.compute_subscribed_topic_names_without(members, gone_regexes), mgr.metadata)
    if metadata != group.subscription_metadata:
        batch.records.append(ev.SubscriptionMetadataUpdated(now, gid, tuple(metadata.values())))
    batch.records.append(ev.GroupEpochBumped(now, gid, group.group_epoch, group.group_epoch + 1,
                                             ev.EpochBumpReason.MEMBERS_FENCED))
    for m in members:
        cancel_member_timers(gid, m.member_id, batch)


def cancel_member_timers(group_id: str, member_id: str, batch: Batch) -> None:
    """Cancel every timer of a member that leaves the group (session, rebalance, classic join and sync)."""
    for key in (session_timeout_key, rebalance_timeout_key, classic_join_timeout_key, classic_sync_timeout_key):
        batch.cancel(key(group_id, member_id))


# ---------------------------------------------------------------------------- timers (§4.1, §4.3, §3.4)

def on_session_timeout(mgr: "ConsumerGroupManager", group_id: str, member_id: str, batch: Batch) -> Optional[ConsumerGroup]:
    """``consumerGroupFenceMemberOperation(..., "the member session expired")``; no-op (None) for
    a group or member that is gone."""
    group = mgr.groups.get(group_id)
    member = group.members.get(member_id) if group is not None else None
    if member is None:
        return None
    fence_members(mgr, group, [member], ev.RemovalReason.SESSION_EXPIRED, batch)
    return group


def on_member_timeout(mgr: "ConsumerGroupManager", group_id: str, member_id: str, reason: ev.RemovalReason,
                      batch: Batch) -> Optional[ConsumerGroup]:
    """A classic member's join or sync timer fired (§7.3): fence it; no-op (None) if it is gone."""
    group = mgr.groups.get(group_id)
    member = group.members.get(member_id) if group is not None else None
    if member is None:
        return None
    fence_members(mgr, group, [member], reason, batch)
    return group


def on_rebalance_timeout(mgr: "ConsumerGroupManager", group_id: str, member_id: str, epoch: int,
                         batch: Batch) -> Optional[ConsumerGroup]:
    """The member failed to revoke in time: fence it if it is still at the epoch the timer was
    scheduled for (a stale timer is a no-op, None)."""
    group = mgr.groups.get(group_id)
    member = group.members.get(member_id) if group is not None else None
    if member is None or member.member_epoch != epoch:
        return None
    fence_members(mgr, group, [member], ev.RemovalReason.REBALANCE_TIMEOUT, batch)
    return group


def on_regex_refresh(mgr: "ConsumerGroupManager", group_id: str, regexes: Sequence[str],
                     batch: Batch) -> Optional[ConsumerGroup]:
    """``refreshRegularExpressions`` against the current image, then
    ``handleRegularExpressionsResult``: one record per regex still used, and an epoch bump if a
    regex now matches other topics or the subscription metadata changed."""
    group = mgr.groups.get(group_id)
    if group is None:
        return None
    now, image = batch.now, mgr.metadata
    counts = group.subscribed_topic_names()
    bump: Optional[ev.EpochBumpReason] = None
    for regex in sorted(regexes):
        if group.num_subscribed_members(regex) == 0:
            continue
        topics = resolve(regex, image.topic_names())
        old = group.resolved_regular_expressions.get(regex)
        old_topics = old.topics if old is not None else frozenset()
        if old_topics != topics:
            bump = ev.EpochBumpReason.REGULAR_EXPRESSIONS_RESOLVED
            for name in old_topics:
                counts[name].by_regex -= 1
            for name in topics:
                counts.setdefault(name, SubscriptionCount()).by_regex += 1
        batch.records.append(ev.RegularExpressionResolved(now, group_id, regex, tuple(sorted(topics)),
                                                          image.version, now))
    metadata = group.compute_subscription_metadata(counts, image)
    if metadata != group.subscription_metadata:
        bump = bump or ev.EpochBumpReason.SUBSCRIPTION_METADATA_CHANGED
        batch.records.append(ev.SubscriptionMetadataUpdated(now, group_id, tuple(metadata.values())))
    if bump is not None:
        batch.records.append(ev.GroupEpochBumped(now, group_id, group.group_epoch, group.group_epoch + 1, bump))
        batch.refresh_deadline = now + METADATA_REFRESH_INTERVAL_MS
    return group
