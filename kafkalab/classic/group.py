"""A classic group and its members, as the coordinator keeps them.

These mirror Kafka's ``ClassicGroup`` and ``ClassicGroupMember``.  A group keeps running counts
(members awaiting join, members listing each protocol) so that the "has everyone joined?" and
"does every member support this protocol?" questions are O(1) however large the group grows; the
methods that change members (:meth:`Group.add`, :meth:`Group.remove`, :meth:`Group.park_join`,
:meth:`Group.replace_static_member`) are the only code that touches those counts, and ``state``
changes only through :meth:`Group.transition`.

As in Kafka, the group also answers the questions other parts of the coordinator ask about it:
:meth:`Group.validate_member`, :meth:`Group.validate_offset_commit` and
:meth:`Group.offset_expiration_base` (for :mod:`kafkalab.offsets`), :meth:`Group.describe`,
:meth:`Group.described` and :meth:`Group.listed` (for ``describe``, DescribeGroups and ListGroups).
The handlers that change a group and record it in the trace are in :mod:`kafkalab.classic.common`.

A protocol name that one JoinGroup lists twice counts once for that member (its first entry is
the one that votes and whose metadata is used, as in Kafka). Kafka counts it twice, which can
leave a group with no protocol "every member supports": Kafka then refuses the other members'
JoinGroups with INCONSISTENT_GROUP_PROTOCOL, or its join phase throws and the group stays in
PreparingRebalance (docs/differences.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from ..consumer_protocol import decode_subscription
from ..errors import ErrorCode
from ..java import hash_map_order
from ..messages import DescribedGroup, DescribedGroupMember, ListedGroup
from .state import GroupState, Trigger, next_state


@dataclass
class Parked:
    """A request the coordinator holds and answers later (a JoinGroup or a SyncGroup)."""

    origin: Any
    api_version: int


@dataclass
class Member:
    """One member of a classic group (Kafka's ``ClassicGroupMember``)."""

    member_id: str
    group_instance_id: Optional[str]
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    #: ``(name, metadata)`` in the member's preference order.
    protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    awaiting_join: Optional[Parked] = None
    awaiting_sync: Optional[Parked] = None
    is_new: bool = False

    @property
    def is_static(self) -> bool:
        return self.group_instance_id is not None

    @property
    def protocol_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.protocols)

    @property
    def distinct_protocol_names(self) -> tuple[str, ...]:
        """The protocol names, each once (a JoinGroup may list one twice; no real client does)."""
        return tuple(dict.fromkeys(name for name, _ in self.protocols))

    def metadata(self, protocol: Optional[str]) -> bytes:
        """The subscription metadata the member sent for ``protocol``."""
        for name, meta in self.protocols:
            if name == protocol:
                return meta
        raise KeyError(protocol)

    def has_satisfied_heartbeat(self) -> bool:
        """Kafka: a member parked in JoinGroup or SyncGroup needs no heartbeat, unless it is new."""
        if self.is_new:
            return False
        return self.awaiting_join is not None or self.awaiting_sync is not None

    def vote(self, candidates: set[str]) -> str:
        """The first of the member's protocols that every member supports."""
        for name, _ in self.protocols:
            if name in candidates:
                return name
        raise ValueError("member supports none of the candidate protocols")


@dataclass
class Group:
    """One classic group (Kafka's ``ClassicGroup``)."""

    group_id: str
    #: ``None`` only until the creating transition (GROUP_CREATED / GROUP_LOADED) runs.
    state: Optional[GroupState] = None
    previous_state: Optional[GroupState] = None
    generation_id: int = 0
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None
    leader_id: Optional[str] = None
    members: dict[str, Member] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)
    pending_join_members: dict[str, None] = field(default_factory=dict)
    pending_sync_members: dict[str, None] = field(default_factory=dict)
    num_awaiting_join: int = 0
    supported_protocols: Counter = field(default_factory=Counter)
    new_member_added: bool = False
    current_state_timestamp: int = 0

    # ------------------------------------------------------------------ state

    def transition(self, trigger: Trigger, now: int) -> tuple[Optional[GroupState], GroupState]:
        """Move to the state ``trigger`` leads to (the only place that assigns ``state``).

        Returns:
            ``(old, new)``; ``old`` is ``None`` for a group being created or loaded.

        Raises:
            IllegalTransition: the move is not in :data:`~kafkalab.classic.state.TRANSITIONS`.
        """
        old = self.state
        new = next_state(old, trigger, empty=not self.members)
        self.previous_state = old
        self.state = new
        self.current_state_timestamp = now
        return old, new

    # ------------------------------------------------------------------ members

    def is_pending(self, member_id: str) -> bool:
        return member_id in self.pending_join_members

    def is_leader(self, member_id: str) -> bool:
        return self.leader_id == member_id

    def add(self, member: Member) -> None:
        """Add ``member``; the first member of an empty group sets the protocol type and leads."""
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        self.pending_join_members.pop(member.member_id, None)
        self.supported_protocols.update(member.distinct_protocol_names)
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if member.awaiting_join is not None:
            self.num_awaiting_join += 1
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove(self, member_id: str) -> Optional[Member]:
        """Remove a member (or a pending member id); hand the leadership on if it led."""
        if member_id in self.pending_join_members:
            del self.pending_join_members[member_id]
            return None
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        self.supported_protocols.subtract(member.distinct_protocol_names)
        self.supported_protocols += Counter()  # drop zero counts
        if member.awaiting_join is not None:
            self.num_awaiting_join -= 1
        if member.group_instance_id is not None and self.static_members.get(member.group_instance_id) == member_id:
            del self.static_members[member.group_instance_id]
        self.pending_sync_members.pop(member_id, None)
        if self.leader_id == member_id:
            # Kafka picks "any" remaining member (HashMap order); kafkalab picks the
            # earliest-joined one (see docs/differences.md).
            self.leader_id = next(iter(self.members), None)
        return member

    def update_protocols(self, member: Member, protocols: Iterable[tuple[str, bytes]], rebalance_timeout_ms: int,
                         session_timeout_ms: int) -> None:
        """Replace the member's protocols and timeouts, keeping the protocol counts right."""
        self.supported_protocols.subtract(member.distinct_protocol_names)
        member.protocols = tuple(protocols)
        self.supported_protocols.update(member.distinct_protocol_names)
        self.supported_protocols += Counter()
        member.rebalance_timeout_ms = rebalance_timeout_ms
        member.session_timeout_ms = session_timeout_ms

    def park_join(self, member: Member, parked: Optional[Parked]) -> None:
        """Set or clear the member's parked JoinGroup, keeping ``num_awaiting_join`` right."""
        if member.awaiting_join is None and parked is not None:
            self.num_awaiting_join += 1
        elif member.awaiting_join is not None and parked is None:
            self.num_awaiting_join -= 1
        member.awaiting_join = parked

    def has_all_members_joined(self) -> bool:
        return self.num_awaiting_join == len(self.members) and not self.pending_join_members

    def rebalance_timeout_ms(self) -> int:
        """The group's rebalance timeout: the largest of its members' (0 without members)."""
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def current_static_member_id(self, group_instance_id: str) -> Optional[str]:
        return self.static_members.get(group_instance_id)

    def replace_static_member(self, group_instance_id: str, old_member_id: str,
                              new_member_id: str) -> tuple[Member, Member]:
        """KIP-345: the member ``group_instance_id`` rejoined without its member id; give its
        place to ``new_member_id`` (Kafka's ``ClassicGroup.replaceStaticMember``).

        The new member keeps the old one's client, timeouts, protocols and assignment, and its
        leadership; it has no parked request.  The old member leaves the group with whatever it
        had parked, for the caller to answer (or drop).

        Returns:
            ``(old, new)``.
        """
        old = self.members.pop(old_member_id)
        if old.awaiting_join is not None:
            self.num_awaiting_join -= 1
        new = Member(new_member_id, old.group_instance_id, old.client_id, old.client_host,
                     old.rebalance_timeout_ms, old.session_timeout_ms, old.protocol_type,
                     old.protocols, old.assignment)
        self.members[new_member_id] = new
        self.static_members[group_instance_id] = new_member_id
        if self.leader_id == old_member_id:
            self.leader_id = new_member_id
        return old, new

    # ------------------------------------------------------------------ validation

    def validate_member(self, member_id: str, group_instance_id: Optional[str]) -> ErrorCode | None:
        """Kafka's ``ClassicGroup.validateMember``: the instance id first (unknown, or fenced by a
        newer member with the same instance id), then the member id.  ``None`` when valid."""
        if group_instance_id is not None:
            existing = self.current_static_member_id(group_instance_id)
            if existing is None:
                return ErrorCode.UNKNOWN_MEMBER_ID
            if existing != member_id:
                return ErrorCode.FENCED_INSTANCE_ID
        if member_id not in self.members:
            return ErrorCode.UNKNOWN_MEMBER_ID
        return None

    def validate_offset_commit(self, member_id: str, group_instance_id: Optional[str],
                               generation_id: int) -> ErrorCode | None:
        """Kafka's ``ClassicGroup.validateOffsetCommit``: may this member commit at this
        generation?  ``None`` when it may."""
        if self.state is GroupState.DEAD:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        if generation_id < 0 and self.state is GroupState.EMPTY:
            return None  # admin client or manual assignment
        if generation_id >= 0 or member_id or group_instance_id is not None:
            error = self.validate_member(member_id, group_instance_id)
            if error is not None:
                return error
            if generation_id != self.generation_id:
                return ErrorCode.ILLEGAL_GENERATION
        elif self.state is not GroupState.EMPTY:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if self.state is GroupState.COMPLETING_REBALANCE:
            # The member knows the new generation but has no assignment yet.
            return ErrorCode.REBALANCE_IN_PROGRESS
        return None

    # ------------------------------------------------------------------ offsets retention

    def subscribed_topics(self) -> Optional[set[str]]:
        """The topics a consumer group's members subscribe to, read from their subscriptions in
        the selected protocol; ``None`` when unknown (not a consumer group, no protocol yet, or a
        subscription that does not decode)."""
        if self.protocol_type != "consumer" or self.protocol_name is None:
            return None
        topics: set[str] = set()
        for m in self.members.values():
            try:
                topics.update(decode_subscription(m.metadata(self.protocol_name)).topics)
            except (ValueError, KeyError):
                return None
        return topics

    def offset_expiration_base(self) -> Optional[Callable[[int], int]]:
        """Kafka's ``ClassicGroup.offsetExpirationCondition``: a function from an offset's commit
        timestamp to where its retention period starts, or ``None`` when the group's offsets do
        not expire now."""
        if self.protocol_type is None:
            return lambda commit_timestamp_ms: commit_timestamp_ms  # simple group: commit time
        if self.state is GroupState.EMPTY:
            return lambda commit_timestamp_ms: self.current_state_timestamp  # since the group became Empty
        if self.state is GroupState.STABLE and self.subscribed_topics() is not None:
            # Only the topics it no longer reads (the caller skips the subscribed ones).
            return lambda commit_timestamp_ms: commit_timestamp_ms
        return None

    # ------------------------------------------------------------------ protocols

    def supports_protocols(self, protocol_type: str, names: tuple[str, ...]) -> bool:
        """Kafka's ``supportsProtocols``: an Empty group takes any non-empty type and list;
        otherwise the type must match and one name must be listed by every member."""
        if self.state is GroupState.EMPTY:
            return bool(protocol_type) and bool(names)
        n = len(self.members)
        return protocol_type == self.protocol_type and any(
            self.supported_protocols.get(name, 0) == n for name in names
        )

    def candidate_protocols(self) -> set[str]:
        n = len(self.members)
        return {name for name, count in self.supported_protocols.items() if count == n}

    def select_protocol(self) -> str:
        """The protocol vote at join completion (Kafka's ``ClassicGroup.selectProtocol``).

        Each member votes for its first protocol that every member supports; the most votes win.
        Kafka counts the votes in a ``HashMap`` and takes the first maximum in its iteration
        order, so ties go to the name whose hash bucket comes first (e.g. ``range`` before
        ``roundrobin``); kafkalab reproduces that order.
        """
        candidates = self.candidate_protocols()
        if not candidates:
            raise ValueError("no protocol is supported by every member")
        votes: dict[str, int] = {}
        for m in self.members.values():
            name = m.vote(candidates)
            votes[name] = votes.get(name, 0) + 1
        order = hash_map_order(votes)
        best_name = order[0]
        for name in order[1:]:
            if votes[name] > votes[best_name]:  # strictly greater: the first maximum wins, as Stream.max does
                best_name = name
        return best_name

    # ------------------------------------------------------------------ views

    def describe(self) -> dict:
        """A plain snapshot for notebooks and tests (:meth:`kafkalab.Coordinator.describe`)."""
        return {
            "group_id": self.group_id,
            "state": self.state.value if self.state is not None else None,
            "generation_id": self.generation_id,
            "protocol_type": self.protocol_type,
            "protocol_name": self.protocol_name,
            "leader_id": self.leader_id,
            "pending_members": list(self.pending_join_members),
            "members": [
                {
                    "member_id": m.member_id,
                    "group_instance_id": m.group_instance_id,
                    "client_id": m.client_id,
                    "client_host": m.client_host,
                    "session_timeout_ms": m.session_timeout_ms,
                    "rebalance_timeout_ms": m.rebalance_timeout_ms,
                    "assignment": m.assignment,
                    "awaiting_join": m.awaiting_join is not None,
                    "awaiting_sync": m.awaiting_sync is not None,
                }
                for m in self.members.values()
            ],
        }

    def described(self, api_version: int) -> DescribedGroup:
        """The group in a DescribeGroups response: members' metadata only when Stable, as Kafka's
        ``describeNoMetadata()`` does otherwise (the assignment is kept either way)."""
        stable = self.state is GroupState.STABLE
        members = tuple(
            DescribedGroupMember(
                m.member_id, m.group_instance_id if api_version >= 4 else None,
                m.client_id, m.client_host,
                m.metadata(self.protocol_name) if stable and self.protocol_name in m.protocol_names else b"",
                m.assignment)
            for m in self.members.values())
        return DescribedGroup(
            group_id=self.group_id, group_state=self.state.value if self.state is not None else "",
            protocol_type=self.protocol_type or "",
            protocol_data=(self.protocol_name or "") if stable else "", members=members)

    def listed(self) -> ListedGroup:
        """The group in a ListGroups response."""
        return ListedGroup(self.group_id, self.protocol_type or "",
                           self.state.value if self.state is not None else "", "classic")
