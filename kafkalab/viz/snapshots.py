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

A consumer group (KIP-848) is folded by the core's own replay: every record the coordinator wrote
(:class:`kafkalab.modern.events.GroupRecord`) goes to a :class:`kafkalab.modern.group.ConsumerGroup`
(``consumer_group``), and its state is the one the coordinator recorded in its last
:class:`~kafkalab.modern.events.ConsumerGroupStateChanged`.  Each member row then carries the member
epoch, the member's reconciliation state and the partitions pending revocation, as recorded.

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
    MessageDelivered,
    MessageSent,
    PartitionsAssigned,
    PartitionsRevoked,
    StopKind,
    SubscriptionChange,
    SubscriptionChanged,
    format_partitions,
)
from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse
from ..modern import events as mev

from ..modern.group import ConsumerGroup, IllegalState
from ..modern.state import ConsumerGroupState
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

    In a consumer group (KIP-848) ``member_epoch`` is the member's epoch, ``member_state`` its
    reconciliation state (``STABLE``, ``UNREVOKED_PARTITIONS``, ``UNRELEASED_PARTITIONS``) and
    ``pending_revocation`` the partitions it must still revoke, all as the coordinator recorded them
    (None and ``()`` while the coordinator has no such member, and in classic groups).
    """

    name: str
    member_id: str
    instance_id: Optional[str]
    state: str
    generation: int
    assignment: tuple[TopicPartition, ...]
    in_group: bool
    leader: bool
    member_epoch: Optional[int] = None
    member_state: Optional[str] = None
    pending_revocation: tuple[TopicPartition, ...] = ()

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

    def __init__(self, group: Optional[str], consumers: Sequence[str], world: Any = None, *,
                 real_clients: bool = False) -> None:
        self.group = group
        #: Real clients seen from the broker (a wire run): no consumer events, see :meth:`_heartbeat`.
        self.real_clients = real_clients
        self.view = GroupView(group)
        self.clients: dict[str, ClientView] = {}
        self.names: dict[str, str] = {}  # member id -> consumer name
        self.origin: Optional[str] = None  # the consumer whose request the coordinator handles
        self.initial_delay_ms: Optional[int] = None
        self.coordinator_seen = False  # False for a client's log: no coordinator events (yet)
        self.client_generation = -1  # the highest generation a consumer's JoinGroup answer gave
        self.client_leaders: dict[int, str] = {}  # generation -> the consumer told it leads it
        #: The consumer group (KIP-848) replayed from the coordinator's records, if the group is one.
        self.consumer_group: Optional[ConsumerGroup] = None
        self.consumer_group_state: Optional[ConsumerGroupState] = None
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
    def state(self) -> Optional[Any]:
        """The classic group's :class:`GroupState`, or a consumer group's :class:`ConsumerGroupState`."""
        if self.consumer_group is not None:
            return self.consumer_group_state
        return self.view.state

    @property
    def assignment_epoch(self) -> Optional[int]:
        """A consumer group's target assignment epoch (None for a classic group)."""
        return self.consumer_group.assignment_epoch if self.consumer_group is not None else None

    def topic_name(self, topic_id: str) -> str:
        """The name of a topic id from the consumer group's subscription metadata (the id if unknown)."""
        if self.consumer_group is not None:
            for t in self.consumer_group.subscription_metadata.values():
                if t.topic_id == topic_id:
                    return t.name
        return topic_id

    def named(self, assignment: Any) -> tuple[TopicPartition, ...]:
        """``{topic_id: partitions}`` (a record's or a response's) as sorted ``(topic name, partition)``."""
        return tuple(sorted((self.topic_name(t), p) for t, ps in dict(assignment).items() for p in ps))

    @property
    def generation(self) -> int:
        """The classic group's generation; a consumer group's group epoch."""
        if self.consumer_group is not None:
            return self.consumer_group.group_epoch
        if not self.coordinator_seen:
            return max(self.client_generation, 0)
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
        if self.consumer_group is not None:
            return self._consumer_rows()
        member_names = {self.name_of(m) for m in self.view.members}
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

    def _consumer_rows(self) -> tuple[MemberRow, ...]:
        assert self.consumer_group is not None
        members = {self.name_of(mid): m for mid, m in self.consumer_group.members.items()}
        out = []
        for c in self.clients.values():
            m = members.get(c.name)
            owned = tuple(sorted(c.owned))
            if self.real_clients:  # no callbacks seen: what the coordinator records the member holding
                owned = tuple(sorted(set(self.named(m.assigned_partitions))
                                     | set(self.named(m.partitions_pending_revocation)))) if m is not None else ()
            out.append(MemberRow(
                name=c.name, member_id=c.member_id, instance_id=c.instance_id,
                state=c.stopped.value if c.stopped else c.state, generation=c.generation,
                assignment=owned, in_group=m is not None, leader=False,
                member_epoch=m.member_epoch if m is not None else None,
                member_state=m.state.name if m is not None else None,
                pending_revocation=self.named(m.partitions_pending_revocation) if m is not None else ()))
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
        elif isinstance(e, MessageDelivered):
            if self.real_clients and isinstance(e.message, (ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse)):
                self._heartbeat(e)
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

    def _heartbeat(self, e: MessageDelivered) -> None:
        """A real client's state, inferred from its ConsumerGroupHeartbeats (its own is not visible):
        JOINING once it sent epoch 0; RECONCILING once an answer brought an assignment; ACKNOWLEDGING
        once it then reported its owned partitions; STABLE when that report is answered with no new
        assignment; LEAVING / left for epoch -1 or -2; FENCED or FATAL on an error answer (the Java
        client's MemberState names, ``docs/consumer-protocol.md §8``)."""
        m = e.message
        if isinstance(m, ConsumerGroupHeartbeatRequest):
            c = self.client(e.src)
            if m.member_id:
                c.member_id = m.member_id
            if m.member_epoch == 0:
                c.state = "JOINING"
            elif m.member_epoch < 0:
                c.state = "LEAVING"
            elif c.state == "RECONCILING" and m.topic_partitions is not None:
                c.state = "ACKNOWLEDGING"
            return
        if e.dst not in self.clients:
            return
        c = self.client(e.dst)
        if m.member_id:
            c.member_id = m.member_id
        if m.error_code != ErrorCode.NONE:
            c.state = "FENCED" if m.error_code in (ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID) else "FATAL"
        elif m.member_epoch < 0:
            c.state = "left"
        elif m.assignment is not None:
            c.state = "RECONCILING"
        elif c.state == "ACKNOWLEDGING":
            c.state = "STABLE"

    def _apply_coordinator(self, inner: Any) -> None:
        if isinstance(inner, RequestReceived):
            name = who(inner.origin)
            self.origin = name if name in self.clients else None
            return
        if isinstance(inner, mev.GroupRecord):
            if inner.group_id == self.group:
                self._apply_record(inner)
            return
        if isinstance(inner, mev.ConsumerGroupStateChanged) and inner.group_id == self.group:
            self.consumer_group_state = inner.new
            return
        if not self.view.apply(inner):
            return
        if isinstance(inner, MemberAdded):
            # Added while handling a consumer's JoinGroup: that consumer's member id.
            self._name(inner.member_id, self.origin or self._by_client_id(inner.client_id))
        elif isinstance(inner, GroupLoaded):
            for m in inner.members:
                self._name(m.member_id, self._by_client_id(m.client_id))

    def _apply_record(self, record: Any) -> None:
        """Replay one of the consumer group's records (the core's replay, no rule of ours)."""
        if isinstance(record, mev.ConsumerGroupDeleted):
            self.consumer_group, self.consumer_group_state = None, None
            return
        if self.consumer_group is None:
            self.consumer_group = ConsumerGroup(record.group_id)
        try:
            self.consumer_group.replay(record)
        except IllegalState:
            return  # a trace that starts mid-way (a member created before it): show what can be shown
        if isinstance(record, mev.MemberSubscriptionUpdated):
            self._name(record.member_id, self.origin or self._by_client_id(record.client_id))

    def _name(self, member_id: Optional[str], name: Optional[str]) -> None:
        if member_id and name and member_id not in self.names:
            self.names[member_id] = name

    def _by_client_id(self, client_id: str) -> Optional[str]:
        """The one consumer with this ``client.id`` (``None`` if none or several)."""
        found = [c.name for c in self.clients.values() if c.client_id is not None and c.client_id == client_id]
        return found[0] if len(found) == 1 else None
