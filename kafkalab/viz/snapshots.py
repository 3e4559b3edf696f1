"""What the player shows at a step: the group as its coordinator had it, each consumer as it had itself.

How it works
------------
:class:`Snapshot` is fed the trace one event at a time.  Coordinator events go to a
:class:`kafkalab.trace.GroupView`, the core's fold of the coordinator's records (state,
generation, protocol, leader, members); it has no protocol rules, and neither has this module.
Consumer events update one :class:`ClientView` per consumer from their fields alone: a
``ClientStateChanged`` gives the client state, member id and generation; callbacks give the
partitions it owns; ``ConsumerStarted`` (a new process) its configs; ``ConsumerPaused`` /
``ConsumerResumed`` and ``ConsumerStopped`` the rest.

A client's log (:mod:`kafkalab.tracelog`) has no coordinator events.  Until the trace shows one,
the generation and leader are the ones the consumers' own JoinGroup answers gave (the highest
generation answered, and the consumer that was told it leads it), and a consumer counts as in the
group while it holds a member id and a generation it completed the join of (COMPLETING_REBALANCE
or STABLE): what the client believes, since the coordinator's view is not in the log.

Member ids are shown by consumer name: an id is a consumer's once that consumer used it or was
given it (its state changes, its requests), or when the coordinator added it while handling that
consumer's request, or when the member's ``client.id`` is that consumer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..sim.events import (
    ClientStateChanged,
    ClientStateReason,
    ConsumerClosing,
    ConsumerPaused,
    ConsumerResumed,
    ConsumerStarted,
    ConsumerStopped,
    MessageSent,
    PartitionsAssigned,
    PartitionsRevoked,
    StopKind,
    SubscriptionChange,
    SubscriptionChanged,
    format_partitions,
)
from ..classic.state import GroupState
from ..modern.events import ConsumerGroupStateChanged, MemberRemoved, MemberSubscriptionUpdated
from ..trace import GroupLoaded, GroupView, MemberAdded, RequestReceived, who
from .tracetools import short_member_id, unwrap

__all__ = ["MemberRow", "ClientView", "Snapshot"]

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class MemberRow:
    """One consumer of the group at a step, as the trace tells it.

    ``state`` is the client state (UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE) or
    ``crashed``/``closed``/``failed`` once the consumer stopped; ``generation`` is the generation the client
    last joined (-1 when it has none); ``in_group`` says whether the coordinator counts it as a member.
    """

    name: str
    member_id: str
    instance_id: Optional[str]
    state: str
    generation: int
    assignment: tuple[TopicPartition, ...]
    in_group: bool
    leader: bool

    @property
    def member_id_short(self) -> str:
        return short_member_id(self.member_id)

    @property
    def assignment_text(self) -> str:
        return format_partitions(self.assignment) if self.assignment else "-"


@dataclass
class ClientView:
    """One consumer as its own events tell it."""

    name: str
    state: str = "UNJOINED"
    member_id: str = ""
    instance_id: Optional[str] = None
    client_id: Optional[str] = None
    generation: int = -1
    owned: set = field(default_factory=set)
    stopped: Optional[StopKind] = None
    session_timeout_ms: Optional[int] = None
    rebalance_timeout_ms: Optional[int] = None
    cooperative: Optional[bool] = None
    #: A consumer-protocol member (KIP-848, ``group_protocol="consumer"``): the broker assigns.
    consumer_protocol: bool = False
    paused: bool = False
    closing: bool = False
    metadata_max_age_ms: Optional[int] = None
    topics: tuple[str, ...] = ()
    pattern: Optional[str] = None


class Snapshot:
    """The group (``view``) and its consumers (``clients``), updated event by event."""

    def __init__(self, group: Optional[str], consumers: Sequence[str], world: Any = None) -> None:
        self.group = group
        self.view = GroupView(group)
        self.clients: dict[str, ClientView] = {}
        self.names: dict[str, str] = {}  # member id -> consumer name
        self.origin: Optional[str] = None  # the consumer whose request the coordinator handles
        self.initial_delay_ms: Optional[int] = None
        self.coordinator_seen = False  # False for a client's log: no coordinator events (yet)
        self.client_generation = -1  # the highest generation a consumer's JoinGroup answer gave
        self.client_leaders: dict[int, str] = {}  # generation -> the consumer told it leads it
        #: A consumer group's (KIP-848) member ids and its group epoch, from the coordinator's records.
        self.consumer_group_members: set[str] = set()
        self.group_epoch: Optional[int] = None
        if world is not None:
            self.initial_delay_ms = world.config.group_initial_rebalance_delay_ms
        for name in consumers:
            c = self.clients[name] = ClientView(name)
            if world is not None and name in world.consumers:
                sim = world.consumers[name]
                c.instance_id = sim.config.group_instance_id
                c.client_id = sim.client_id
                c.cooperative = sim.rebalance_protocol == "COOPERATIVE"
                c.consumer_protocol = sim.rebalance_protocol == "CONSUMER"
                c.session_timeout_ms = sim.config.session_timeout_ms
                c.rebalance_timeout_ms = sim.config.max_poll_interval_ms
                c.metadata_max_age_ms = sim.config.metadata_max_age_ms

    # -------------------------------------------------------------- reading

    @property
    def state(self) -> Optional[GroupState]:
        return self.view.state

    @property
    def generation(self) -> int:
        if not self.coordinator_seen:
            return max(self.client_generation, 0)
        if self.view.state is None and self.group_epoch is not None:
            return self.group_epoch  # a consumer group: its group epoch
        return self.view.generation_id if self.view.state is not None else 0

    @property
    def leader(self) -> Optional[str]:
        if not self.coordinator_seen:
            return self.client_leaders.get(self.client_generation)
        return self.name_of(self.view.leader_id)

    def client(self, name: str) -> ClientView:
        c = self.clients.get(name)
        if c is None:
            c = self.clients[name] = ClientView(name)
        return c

    def name_of(self, member_id: Optional[str]) -> Optional[str]:
        """The consumer a member id belongs to (the id itself when no consumer is known for it)."""
        if not member_id:
            return None
        return self.names.get(member_id, member_id)

    def rows(self) -> tuple[MemberRow, ...]:
        member_names = {self.name_of(m) for m in (*self.view.members, *self.consumer_group_members)}
        leader = self.leader
        out = []
        for c in self.clients.values():
            if self.coordinator_seen:
                in_group = c.name in member_names
            else:
                in_group = (c.stopped is None and bool(c.member_id) and c.generation >= 0
                            and c.state in ("COMPLETING_REBALANCE", "STABLE"))
            out.append(MemberRow(
                name=c.name, member_id=c.member_id, instance_id=c.instance_id,
                state=c.stopped.value if c.stopped else c.state, generation=c.generation,
                assignment=tuple(sorted(c.owned)), in_group=in_group,
                leader=in_group and c.name == leader))
        return tuple(out)

    # -------------------------------------------------------------- applying events

    def apply(self, e: Any) -> None:
        inner, broker = unwrap(e)
        if broker is not None:
            self.coordinator_seen = True
            self._apply_coordinator(inner)
            return
        name = getattr(e, "consumer", None)
        if name is not None and name not in self.clients:
            return  # a consumer of another group
        if isinstance(e, MessageSent):
            if e.src in self.clients:
                self._name(getattr(e.message, "member_id", None), e.src)
        elif isinstance(e, ClientStateChanged):
            c = self.client(name)
            c.state, c.member_id, c.generation = e.new, e.member_id, e.generation_id
            self._name(e.member_id, name)
            if e.reason is ClientStateReason.JOIN_GROUP_ANSWERED and e.generation_id >= self.client_generation:
                self.client_generation = e.generation_id
                if e.leader:
                    self.client_leaders[e.generation_id] = name
        elif isinstance(e, PartitionsAssigned):
            self.client(name).owned |= set(e.partitions)
        elif isinstance(e, PartitionsRevoked):
            self.client(name).owned -= set(e.partitions)
        elif isinstance(e, ConsumerStopped):
            c = self.client(name)
            c.owned.clear()
            c.stopped = e.how
        elif isinstance(e, ConsumerStarted):
            # A new process: no member id, no generation, no partitions; its configs from the event.
            self.clients[name] = ClientView(
                name, instance_id=e.group_instance_id, client_id=e.client_id,
                session_timeout_ms=e.session_timeout_ms, rebalance_timeout_ms=e.max_poll_interval_ms,
                cooperative=e.rebalance_protocol == "COOPERATIVE", consumer_protocol=e.rebalance_protocol == "CONSUMER",
                metadata_max_age_ms=e.metadata_max_age_ms,
                topics=e.topics, pattern=e.pattern)
        elif isinstance(e, ConsumerClosing):
            self.client(name).closing = True
        elif isinstance(e, SubscriptionChanged):
            c = self.client(name)
            c.topics = e.new
            c.pattern = e.pattern if e.how is not SubscriptionChange.UNSUBSCRIBED else None
        elif isinstance(e, ConsumerPaused):
            self.client(name).paused = True
        elif isinstance(e, ConsumerResumed):
            self.client(name).paused = False

    def _apply_coordinator(self, inner: Any) -> None:
        if isinstance(inner, RequestReceived):
            name = who(inner.origin)
            self.origin = name if name in self.clients else None
            return
        if isinstance(inner, MemberSubscriptionUpdated) and inner.group_id == self.group:
            # A consumer group's member (KIP-848): added while handling that consumer's heartbeat.
            self.consumer_group_members.add(inner.member_id)
            self._name(inner.member_id, self.origin)
            return
        if isinstance(inner, MemberRemoved) and inner.group_id == self.group:
            self.consumer_group_members.discard(inner.member_id)
            return
        if isinstance(inner, ConsumerGroupStateChanged) and inner.group_id == self.group:
            self.group_epoch = inner.group_epoch
            return
        if not self.view.apply(inner):
            return
        if isinstance(inner, MemberAdded):
            # Added while handling a consumer's JoinGroup: that consumer's member id.
            self._name(inner.member_id, self.origin or self._by_client_id(inner.client_id))
        elif isinstance(inner, GroupLoaded):
            for m in inner.members:
                self._name(m.member_id, self._by_client_id(m.client_id))

    def _name(self, member_id: Optional[str], name: Optional[str]) -> None:
        if member_id and name and member_id not in self.names:
            self.names[member_id] = name

    def _by_client_id(self, client_id: str) -> Optional[str]:
        """The one consumer with this ``client.id`` (``None`` if none or several)."""
        found = [c.name for c in self.clients.values() if c.client_id is not None and c.client_id == client_id]
        return found[0] if len(found) == 1 else None
