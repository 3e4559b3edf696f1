"""The records a classic group coordinator keeps: groups, members and committed offsets.

These mirror Kafka's ``ClassicGroup`` and ``ClassicGroupMember``.  A group keeps running counts
(members awaiting join, members listing each protocol) so that the "has everyone joined?" and
"does every member support this protocol?" questions are O(1) however large the group grows.
Only :mod:`kafkalab.coordinator` mutates these objects; ``state`` changes only through
:meth:`Group.transition`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

from ..java import hash_map_order
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

    def metadata(self, protocol: str) -> bytes:
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
class OffsetAndMetadata:
    committed_offset: int
    committed_leader_epoch: int
    metadata: str
    commit_timestamp_ms: int
    expire_timestamp_ms: Optional[int] = None


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
    offsets: dict[tuple[str, int], OffsetAndMetadata] = field(default_factory=dict)

    # ------------------------------------------------------------------ state

    def transition(self, trigger: Trigger, now: int) -> tuple[GroupState, GroupState]:
        """Move to the state ``trigger`` leads to (the only place that assigns ``state``)."""
        old = self.state
        new = next_state(old, trigger, empty=not self.members)
        self.previous_state = old
        self.state = new
        self.current_state_timestamp = now
        return old, new

    def is_in(self, *states: GroupState) -> bool:
        return self.state in states

    # ------------------------------------------------------------------ members

    def has_member(self, member_id: str) -> bool:
        return member_id in self.members

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
        self.supported_protocols.update(member.protocol_names)
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
        self.supported_protocols.subtract(member.protocol_names)
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

    def update_protocols(self, member: Member, protocols, rebalance_timeout_ms: int, session_timeout_ms: int) -> None:
        self.supported_protocols.subtract(member.protocol_names)
        member.protocols = tuple(protocols)
        self.supported_protocols.update(member.protocol_names)
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
        best_name, best = None, -1
        for name in hash_map_order(votes):
            if votes[name] > best:  # strictly greater: the first maximum wins, as Stream.max does
                best_name, best = name, votes[name]
        return best_name

    def would_select_protocol(self) -> str:
        return self.select_protocol()
