"""Reconciliation: move one member toward its target, revoking before assigning.

How it works
------------
Kafka's ``CurrentAssignmentBuilder.build`` runs for one member at its own heartbeat (never for the
whole group at once) and returns the member's next step (docs/consumer-protocol.md §3.3).  Inputs: the
member (state, epoch, assigned partitions A, partitions pending revocation R), the target epoch T
and the member's target G, who owns each partition now (``current_partition_epoch``: the owner's
epoch, -1 if free) and the partitions the member says it owns (O; ``None`` when the heartbeat
omitted them).

* ``STABLE``: nothing to do at epoch T; otherwise ``next(epoch, A)``.
* ``UNREVOKED_PARTITIONS``: wait while the member may still own something in R (O omitted, or O
  meets R); once it reports none of R, ``next(epoch + 1, A)``.
* ``UNRELEASED_PARTITIONS``: ``next(epoch, A)`` (pick up partitions freed meanwhile).
* ``UNKNOWN``: FENCED_MEMBER_EPOCH unless O is an empty list; then ``next(T, A)``.

``next(epoch, A)`` keeps A ∩ G, revokes A − G and adds the partitions of G nobody owns.  If
something must be revoked and the member may still own it, the member stays at ``epoch`` in
``UNREVOKED_PARTITIONS`` **and gets nothing new** (revoke before assign); otherwise it moves to T,
``UNRELEASED_PARTITIONS`` when part of G is still owned by others, else ``STABLE``.  Because a
partition is only added when nobody owns it, no partition ever has two owners.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from ..messages import ConsumerGroupHeartbeatTopicPartitions
from .assignment import Assignment, intersect, minus, normalize, union
from .group import ConsumerGroupMember
from .state import MemberState

__all__ = ["FencedMemberEpoch", "reconcile", "owns_any"]


class FencedMemberEpoch(Exception):
    """Internal: the member must be fenced (FENCED_MEMBER_EPOCH); carries Kafka's message."""


def owns_any(owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]], partitions: Assignment) -> bool:
    """Kafka's ``ownsRevokedPartitions``: True when the member omitted its owned partitions, or
    reports one of ``partitions``."""
    if owned is None:
        return True
    return any(p in partitions.get(tp.topic_id, ()) for tp in owned for p in tp.partitions)


def reconcile(
    member: ConsumerGroupMember,
    target_epoch: int,
    target: Assignment,
    current_partition_epoch: Callable[[str, int], int],
    owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]],
) -> ConsumerGroupMember:
    """Kafka's ``CurrentAssignmentBuilder.build``: the member after one reconciliation step.

    Args:
        member: the member before this heartbeat (already updated with the request's fields).
        target_epoch: the group's target assignment epoch.
        target: this member's target partitions.
        current_partition_epoch: ``(topic_id, partition) -> owner's epoch or -1``, read from the
            group as it was before this heartbeat.
        owned: the ``topic_partitions`` of the heartbeat (None if omitted).

    Returns:
        The member unchanged, or a new member record.

    Raises:
        FencedMemberEpoch: the member is in the UNKNOWN state and did not report an empty list.
    """
    state = member.state
    if state is MemberState.STABLE:
        if member.member_epoch != target_epoch:
            return _next(member, member.member_epoch, target_epoch, target, current_partition_epoch, owned)
        return member
    if state is MemberState.UNREVOKED_PARTITIONS:
        if owns_any(owned, member.partitions_pending_revocation):
            return member
        return _next(member, member.member_epoch + 1, target_epoch, target, current_partition_epoch, owned)
    if state is MemberState.UNRELEASED_PARTITIONS:
        return _next(member, member.member_epoch, target_epoch, target, current_partition_epoch, owned)
    # UNKNOWN: written by a newer coordinator; start again from scratch.
    if owned is None or len(owned) > 0:
        raise FencedMemberEpoch("The consumer group member is in a unknown state. "
                                "The member must abandon all its partitions and rejoin.")
    return _next(member, target_epoch, target_epoch, target, current_partition_epoch, owned)


def _next(
    member: ConsumerGroupMember,
    epoch: int,
    target_epoch: int,
    target: Assignment,
    current_partition_epoch: Callable[[str, int], int],
    owned: Optional[Sequence[ConsumerGroupHeartbeatTopicPartitions]],
) -> ConsumerGroupMember:
    """Kafka's ``computeNextAssignment(memberEpoch, memberAssignedPartitions)``."""
    assigned = member.assigned_partitions
    keep = intersect(assigned, target)
    revoke = minus(assigned, keep)
    wanted = minus(target, keep)
    add = normalize({t: frozenset(p for p in ps if current_partition_epoch(t, p) == -1)
                     for t, ps in wanted.items()})
    has_unreleased = add != wanted

    if revoke and owns_any(owned, revoke):
        # Revoke first: stay at `epoch`, keep only what the target keeps, add nothing.
        return member.with_member_epoch(epoch, state=MemberState.UNREVOKED_PARTITIONS,
                                        assigned_partitions=keep, partitions_pending_revocation=revoke)
    if add:
        return member.with_member_epoch(
            target_epoch,
            state=MemberState.UNRELEASED_PARTITIONS if has_unreleased else MemberState.STABLE,
            assigned_partitions=union(keep, add), partitions_pending_revocation={})
    if has_unreleased:
        return member.with_member_epoch(target_epoch, state=MemberState.UNRELEASED_PARTITIONS,
                                        assigned_partitions=keep, partitions_pending_revocation={})
    return member.with_member_epoch(target_epoch, state=MemberState.STABLE,
                                    assigned_partitions=keep, partitions_pending_revocation={})
