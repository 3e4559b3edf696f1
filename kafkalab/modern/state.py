"""A consumer group's states, its members' reconciliation states, and every legal change.

How it works
------------
A classic group *moves* from state to state when something happens.  A KIP-848 consumer group
does not: Kafka's ``ConsumerGroup.maybeUpdateGroupState`` **recomputes** the state from the group's
data after every change (:func:`compute_state`):

1. no members -> ``Empty``;
2. group epoch > target assignment epoch -> ``Assigning`` (a new target is due);
3. some member is not ``STABLE`` at the target assignment epoch -> ``Reconciling``;
4. otherwise ``Stable``.

kafkalab still keeps a table of the changes that can happen, keyed like the classic one by
``(from_state, Trigger)`` (:data:`TRANSITIONS`), so the course can draw the diagram and so that
:func:`next_state` refuses a change the protocol cannot produce (a bug): the manager computes the
new state with Kafka's rule, then checks it against the table.  ``Dead`` exists in Kafka's enum
but this state machine never sets it (a deleted group is simply gone).

A member's state (:class:`MemberState`, Kafka's ``MemberState``) is what
``CurrentAssignmentBuilder`` leaves it in after each of its heartbeats; :data:`MEMBER_TRANSITIONS`
lists the reachable changes for the member-state diagram.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from ..errors import IllegalTransition

__all__ = [
    "ConsumerGroupState", "MemberState", "Trigger", "TRANSITIONS", "MEMBER_TRANSITIONS",
    "compute_state", "next_state", "all_transitions",
]


class ConsumerGroupState(Enum):
    """A consumer group's state, with the names Kafka prints (ConsumerGroupDescribe, ListGroups)."""

    EMPTY = "Empty"
    """No members (committed offsets may remain).

    action: a ConsumerGroupHeartbeat join (epoch 0) creates the first member; any other epoch gets
    UNKNOWN_MEMBER_ID; OffsetCommit with epoch < 0 is accepted (admin / manual commits).
    transition: a member joins -> Stable (the first member takes every free partition at once).
    """

    ASSIGNING = "Assigning"
    """The group epoch moved past the target assignment epoch: a new target is due.

    Only visible after an epoch bump that no heartbeat completed: a leave, a session or rebalance
    timeout, or the result of a regular-expression resolution.
    action: the next heartbeat of any member computes the target for the whole group (then
    reconciles that member); OffsetCommit needs the member's exact epoch.
    transition: a heartbeat -> Reconciling or Stable; the last member is removed -> Empty.
    """

    RECONCILING = "Reconciling"
    """The target is computed, but some member has not reached it (revoking, waiting for
    partitions others still own, or a static member away at epoch -2).

    action: each heartbeat reconciles its own member (revoke before assign); OffsetCommit needs
    the member's exact epoch (STALE_MEMBER_EPOCH otherwise).
    transition: the last member reaches the target -> Stable; a member is removed -> Assigning or
    Empty; a regular expression resolves to new topics -> Assigning.
    """

    STABLE = "Stable"
    """Every member is STABLE at the target assignment epoch.

    action: heartbeats keep sessions alive and return no assignment unless something changed.
    transition: a member joins or changes its subscription -> Reconciling; a static member leaves
    temporarily -> Reconciling; a member is removed -> Assigning or Empty; a regular expression
    resolves to new topics -> Assigning.
    """

    DEAD = "Dead"
    """In Kafka's enum for completeness; never set by the consumer group's state machine.

    action: none (a deleted group no longer exists; requests get GROUP_ID_NOT_FOUND).
    transition: none.
    """

    def __str__(self) -> str:
        return self.value


class MemberState(Enum):
    """A member's reconciliation state (Kafka's ``MemberState``, with its byte values)."""

    STABLE = 0
    """Fully reconciled to what it can have now (at its epoch)."""
    UNREVOKED_PARTITIONS = 1
    """Must revoke ``partitions_pending_revocation`` before it moves to the next epoch."""
    UNRELEASED_PARTITIONS = 2
    """Already at the target epoch, waiting for partitions that other members still own."""
    UNKNOWN = 127
    """A state byte this coordinator does not know (written by a newer one)."""

    def __str__(self) -> str:
        return self.name


class Trigger(Enum):
    """Why a consumer group's data changed, named after the Kafka code path that changed it."""

    GROUP_CREATED = "the group was created by its first member's heartbeat"
    CONSUMER_GROUP_HEARTBEAT = "a member's heartbeat updated the group"
    STATIC_MEMBER_TEMPORARILY_LEFT = "a static member left temporarily (epoch -2)"
    MEMBERS_FENCED = "members were removed from the group"
    REGULAR_EXPRESSIONS_RESOLVED = "the group's regular expressions were resolved again"
    CLASSIC_GROUP_UPGRADED = "a ConsumerGroupHeartbeat join upgraded a classic group with members"
    CLASSIC_MEMBER_JOINED = "a classic member's JoinGroup updated the group"


S = ConsumerGroupState
T = Trigger
M = MemberState

#: Every change a consumer group's state can make: ``(from_state, trigger) -> possible new states``
#: (``None`` = the group did not exist).  Pairs that leave the state unchanged are not listed.
TRANSITIONS: dict[tuple[Optional[ConsumerGroupState], Trigger], frozenset[ConsumerGroupState]] = {
    # The first member of a new group finds every partition free: it is Stable at once.
    (None, T.GROUP_CREATED): frozenset({S.STABLE}),
    (S.EMPTY, T.CONSUMER_GROUP_HEARTBEAT): frozenset({S.STABLE}),
    (S.ASSIGNING, T.CONSUMER_GROUP_HEARTBEAT): frozenset({S.RECONCILING, S.STABLE}),
    (S.RECONCILING, T.CONSUMER_GROUP_HEARTBEAT): frozenset({S.STABLE}),
    (S.STABLE, T.CONSUMER_GROUP_HEARTBEAT): frozenset({S.RECONCILING}),
    (S.STABLE, T.STATIC_MEMBER_TEMPORARILY_LEFT): frozenset({S.RECONCILING}),
    (S.STABLE, T.MEMBERS_FENCED): frozenset({S.ASSIGNING, S.EMPTY}),
    (S.RECONCILING, T.MEMBERS_FENCED): frozenset({S.ASSIGNING, S.EMPTY}),
    (S.ASSIGNING, T.MEMBERS_FENCED): frozenset({S.EMPTY}),
    (S.STABLE, T.REGULAR_EXPRESSIONS_RESOLVED): frozenset({S.ASSIGNING}),
    # The classic members keep their old epoch: the joining member's epoch bump leaves them to
    # reconcile by rejoining.
    (None, T.CLASSIC_GROUP_UPGRADED): frozenset({S.RECONCILING}),
    (S.STABLE, T.CLASSIC_MEMBER_JOINED): frozenset({S.RECONCILING}),
    (S.ASSIGNING, T.CLASSIC_MEMBER_JOINED): frozenset({S.RECONCILING, S.STABLE}),
    (S.RECONCILING, T.CLASSIC_MEMBER_JOINED): frozenset({S.STABLE}),
    (S.RECONCILING, T.REGULAR_EXPRESSIONS_RESOLVED): frozenset({S.ASSIGNING}),
}

#: Every change of a member's state that ``CurrentAssignmentBuilder`` can make (for diagrams):
#: ``(from, to) -> what happened``.
MEMBER_TRANSITIONS: dict[tuple[MemberState, MemberState], str] = {
    (M.STABLE, M.UNREVOKED_PARTITIONS): "new target takes owned partitions away: revoke first",
    (M.STABLE, M.UNRELEASED_PARTITIONS): "new target; some partitions are still owned by others",
    (M.UNREVOKED_PARTITIONS, M.UNREVOKED_PARTITIONS): "revoked; epoch + 1, but the newer target revokes more",
    (M.UNREVOKED_PARTITIONS, M.UNRELEASED_PARTITIONS): "revoked; waits for partitions others still own",
    (M.UNREVOKED_PARTITIONS, M.STABLE): "revoked; reached the target",
    (M.UNRELEASED_PARTITIONS, M.UNREVOKED_PARTITIONS): "a newer target takes owned partitions away",
    (M.UNRELEASED_PARTITIONS, M.STABLE): "the awaited partitions were released and assigned",
    (M.UNKNOWN, M.STABLE): "rejoined with nothing owned; reconciled from scratch",
    (M.UNKNOWN, M.UNRELEASED_PARTITIONS): "rejoined with nothing owned; waits for others",
}


def compute_state(num_members: int, group_epoch: int, target_assignment_epoch: int,
                  all_reconciled: bool) -> ConsumerGroupState:
    """Kafka's ``ConsumerGroup.maybeUpdateGroupState`` rule.

    Args:
        num_members: how many members the group has.
        group_epoch: the group epoch.
        target_assignment_epoch: the epoch of the current target assignment.
        all_reconciled: whether every member is STABLE at ``target_assignment_epoch``.

    Returns:
        The group's state.
    """
    if num_members == 0:
        return S.EMPTY
    if group_epoch > target_assignment_epoch:
        return S.ASSIGNING
    if not all_reconciled:
        return S.RECONCILING
    return S.STABLE


def next_state(current: Optional[ConsumerGroupState], trigger: Trigger,
               computed: ConsumerGroupState) -> ConsumerGroupState:
    """Check that moving from ``current`` to ``computed`` because of ``trigger`` is legal.

    Args:
        current: the state before the change (None: the group is new).
        trigger: why the group changed.
        computed: the state :func:`compute_state` gives after the change.

    Returns:
        ``computed``.

    Raises:
        IllegalTransition: the change is not in :data:`TRANSITIONS` (a bug in the coordinator).
    """
    if computed is current:
        return computed
    if computed not in TRANSITIONS.get((current, trigger), frozenset()):
        raise IllegalTransition(f"no consumer-group transition from {current} to {computed} on {trigger.name}")
    return computed


def all_transitions() -> list[tuple[Optional[ConsumerGroupState], Trigger, ConsumerGroupState]]:
    """Every legal ``(from, trigger, to)`` triple, for diagrams and tests."""
    return [(f, t, to) for (f, t), tos in TRANSITIONS.items() for to in sorted(tos, key=lambda s: s.value)]
