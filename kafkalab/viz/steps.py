"""Turn a world's trace into the player's steps: one meaningful event each, explained.

How it works
------------
``world.trace`` interleaves the simulation's events (messages sent, delivered and dropped; client
state changes; rebalance callbacks; consumers starting, pausing and stopping) with each broker's
coordinator trace, wrapped in ``CoordinatorEvent``.  :func:`build_steps` walks it once, feeding
every event to a :class:`~kafkalab.viz.snapshots.Snapshot` - the core's
:class:`~kafkalab.trace.GroupView` of the group (the coordinator's own records, folded) plus each
consumer as its events' fields tell it - and cuts the trace into steps.

A step starts at a **primary** event - a message delivered, a message dropped, a group state
change, a coordinator timer firing, a rebalance callback, a consumer stopping, a client state
change, a change of the cluster's topics, or a note (a consumer's :class:`~kafkalab.sim.events.ConsumerNote`, or a coordinator's
decision such as :class:`~kafkalab.trace.JoinPhaseExtended`) that is not the immediate reaction to
the previous step - and covers every event up to the next one (the coordinator's bookkeeping, the
replies it sends, the client's reaction).  Its snapshot is taken at the end of that range, so it is
cheap: no re-simulation.  Each step's sentence comes from :class:`~kafkalab.viz.explain.Explainer`.

Routine traffic can be hidden: ``heartbeats=False`` and ``offsets=False`` drop heartbeat and
offset exchanges that were answered without error.  Exchanges that carried an error stay, because
a Heartbeat answered REBALANCE_IN_PROGRESS is how a Stable member learns that it must rejoin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from ..sim.events import (
    ClientStateChanged,
    ConsumerNote,
    CoordinatorEvent,
    ConsumerStopped,
    MessageDelivered,
    MessageDropped,
    PartitionsAssigned,
    PartitionsRevoked,
    TopicChanged,
)
from ..classic.state import GroupState, Trigger
from ..modern.events import ConsumerGroupStateChanged, TargetAssignmentComputed
from ..modern.state import ConsumerGroupState
from ..trace import GroupRemoved, InitialRebalanceDelayEnded, JoinPhaseExtended, StateChanged, TimerFired
from .explain import Explainer
from .snapshots import MemberRow, Snapshot
from .tracetools import (
    HEARTBEAT_APIS,
    OFFSET_APIS,
    consumer_groups,
    error_code,
    events_of,
    exchange_key,
    first_group,
    is_broker,
    is_response,
    routine_exchanges,
    short_member_id,
    unwrap,
)

__all__ = [
    "Step", "MemberRow", "build_steps", "events_of", "unwrap", "is_broker", "is_response",
    "error_code", "exchange_key", "routine_exchanges", "consumer_groups", "short_member_id",
    "HEARTBEAT_APIS", "OFFSET_APIS",
]

TopicPartition = tuple[str, int]

#: The coordinator's events that are a step of their own when they are not the reaction to one.
COORDINATOR_NOTES = (JoinPhaseExtended, InitialRebalanceDelayEnded, GroupRemoved)


@dataclass(frozen=True)
class Step:
    """One step of the player.

    Attributes:
        index: the step's number (0-based).
        kind: ``request``, ``response``, ``dropped``, ``group-state``, ``timer``, ``callback``,
            ``stopped``, ``client-state``, ``note`` or ``metadata`` (an administrator changed a topic).
        at: virtual time (ms).
        event: the primary event (unwrapped from ``CoordinatorEvent``).
        event_index: its index in the trace; ``end_index``: the last trace index the step covers.
        actor: who acted (a consumer name, ``broker-N`` or ``coordinator``).
        sentence: what happened and why, in one plain sentence.
        group_state, generation, leader, protocol: the group as its coordinator had it at the end of
            the step (leader is a consumer name when known, else a member id).  For a consumer
            group (KIP-848) ``group_state`` is a :class:`~kafkalab.modern.state.ConsumerGroupState`,
            ``generation`` the group epoch, ``assignment_epoch`` the target assignment epoch, and
            there is no leader; ``protocol`` is the server-side assignor of the last target.
        members: one :class:`MemberRow` per consumer of the group.
        message_index: the trace index of the delivered/dropped message to highlight, if any.
        transition: ``(old state, trigger)`` for a group state change, else None.
        client_log: the trace is a client's log (:func:`kafkalab.tracelog.read_log`): it has no
            coordinator events, so ``group_state`` is unknown and the generation, leader and members
            are the consumers' own view.
        real_clients: the trace is a wire run of real clients (``build_steps(real_clients=True)``):
            what a consumer group's member owns is what the coordinator recorded, not its callbacks.
    """

    index: int
    kind: str
    at: int
    event: Any
    event_index: int
    end_index: int
    actor: str
    sentence: str
    group: Optional[str]
    group_state: Optional[Union[GroupState, ConsumerGroupState]]
    generation: int
    leader: Optional[str]
    protocol: Optional[str]
    members: tuple[MemberRow, ...]
    message_index: Optional[int] = None
    transition: Optional[tuple[Optional[GroupState], Trigger]] = None
    client_log: bool = False
    assignment_epoch: Optional[int] = None
    real_clients: bool = False

    @property
    def consumer_group(self) -> bool:
        """True for a consumer group (KIP-848): epochs instead of generations, no leader."""
        return self.assignment_epoch is not None

    def member(self, name: str) -> MemberRow:
        for row in self.members:
            if row.name == name:
                return row
        raise KeyError(f"no consumer {name!r} at step {self.index}; members: {[r.name for r in self.members]}")

    @property
    def assignments(self) -> dict[str, list[TopicPartition]]:
        """``{consumer: sorted partitions}``, comparable with ``world.assignments(group)``: consumers
        that stopped (or, for real clients, left) are not listed."""
        return {r.name: sorted(r.assignment) for r in self.members
                if r.state not in ("crashed", "closed", "failed", "left")}

    @property
    def state_text(self) -> str:
        if self.group_state is None and self.client_log:
            return "(not in a client log)"
        return self.group_state.value if self.group_state else "(no group yet)"


def build_steps(world_or_events: Any, group: Optional[str] = None, *, heartbeats: bool = False,
                offsets: bool = False, notes: bool = True, real_clients: bool = False) -> list[Step]:
    """Cut a trace into the player's steps.

    Args:
        world_or_events: a :class:`~kafkalab.sim.World` (its ``trace``, consumers and config) or a
            list of trace events.
        group: the group to follow (default: the first one in the trace).  Events of other groups
            are folded into the surrounding steps.
        heartbeats: show heartbeat exchanges that were answered NONE as steps (errors always show).
        offsets: show OffsetCommit/OffsetFetch exchanges that were answered NONE as steps.
        notes: make consumer and coordinator notes that are not a reaction to the previous step
            steps of their own (e.g. "c1: started").
        real_clients: the trace is a run of real clients told from the broker's side
            (:func:`kafkalab.viz.wiretrace.wire_steps`): it has none of the consumers' own events, so
            a consumer group's member rows show the partitions the coordinator assigned and a client
            state inferred from the member's heartbeats, and a leave (epoch -1 or -2) is a step.

    Returns:
        The steps in trace order; ``steps[k].index == k``.  An empty trace gives ``[]``.
    """
    events, world = events_of(world_or_events)
    groups = consumer_groups(events, world)
    if group is None:
        group = first_group(events, groups)
    consumers = [n for n, g in groups.items() if g == group]
    hidden_apis = set()
    if not heartbeats:
        hidden_apis |= HEARTBEAT_APIS
    if not offsets:
        hidden_apis |= OFFSET_APIS
    routine = routine_exchanges(events, hidden_apis, leaves=real_clients)
    snap = Snapshot(group, consumers, world, real_clients=real_clients)
    client_log = bool(events) and world is None and not any(isinstance(e, CoordinatorEvent) for e in events)
    explain = Explainer(events, snap, client_log=client_log)
    mine = set(consumers)

    steps: list[Step] = []
    pending: Optional[dict] = None  # the open step: fields, filled when it closes
    assignor: Optional[str] = None  # a consumer group's: the assignor of its last target

    def close(end: int) -> None:
        nonlocal pending
        if pending is None:
            return
        p = pending
        pending = None
        sentence = p.pop("explain")(end)
        protocol = snap.view.protocol_name if snap.consumer_group is None else assignor
        steps.append(Step(index=len(steps), end_index=end, sentence=sentence, group=group,
                          group_state=snap.state, generation=snap.generation, leader=snap.leader,
                          protocol=protocol, members=snap.rows(), client_log=client_log,
                          assignment_epoch=snap.assignment_epoch, real_clients=real_clients, **p))

    for i, e in enumerate(events):
        inner, broker = unwrap(e)
        primary: Optional[dict] = None
        cur_actor = pending["actor"] if pending else None
        cur_at = pending["at"] if pending else None

        if isinstance(e, MessageDelivered):
            consumer = e.dst if is_broker(e.src) else e.src
            if consumer in mine and exchange_key(e) not in routine:
                if is_broker(e.dst):
                    primary = dict(kind="request", actor=e.dst, message_index=i,
                                   explain=lambda end, i=i, e=e: explain.request(i, e))
                else:
                    primary = dict(kind="response", actor=e.dst, message_index=i,
                                   explain=lambda end, i=i, e=e: explain.response(i, end, e))
        elif isinstance(e, MessageDropped):
            consumer = e.dst if is_broker(e.src) else e.src
            if consumer in mine and exchange_key(e) not in routine:
                primary = dict(kind="dropped", actor=e.src, message_index=i,
                               explain=lambda end, e=e: explain.dropped(e))
        elif broker is not None:
            if isinstance(inner, StateChanged) and inner.group_id == group:
                primary = dict(kind="group-state", actor="coordinator",
                               transition=(inner.old, inner.trigger),
                               explain=lambda end, i=i, x=inner: explain.group_state(i, x))
            elif isinstance(inner, ConsumerGroupStateChanged) and inner.group_id == group:
                primary = dict(kind="group-state", actor="coordinator",
                               transition=(inner.old, inner.trigger),
                               explain=lambda end, i=i, x=inner: explain.consumer_group_state(i, x))
            elif isinstance(inner, TargetAssignmentComputed) and inner.group_id == group:
                assignor = inner.assignor
            elif isinstance(inner, TimerFired) and inner.group_id == group:
                before = len(snap.view.members)
                primary = dict(kind="timer", actor="coordinator",
                               explain=lambda end, i=i, x=inner, n=before: explain.timer(i, x, n))
            elif (isinstance(inner, COORDINATOR_NOTES) and inner.group_id == group and notes
                  and not (cur_actor in ("coordinator", f"broker-{broker}") and cur_at == inner.at)):
                primary = dict(kind="note", actor="coordinator",
                               explain=lambda end, x=inner: explain.coordinator_note(x))
        elif isinstance(e, (PartitionsAssigned, PartitionsRevoked)) and e.consumer in mine:
            primary = dict(kind="callback", actor=e.consumer, explain=lambda end, i=i, e=e: explain.callback(i, e))
        elif isinstance(e, ConsumerStopped) and e.consumer in mine:
            primary = dict(kind="stopped", actor=e.consumer, explain=lambda end, i=i, e=e: explain.stopped(i, e))
        elif isinstance(e, ClientStateChanged) and e.consumer in mine:
            if not (cur_actor == e.consumer and cur_at == e.at):
                primary = dict(kind="client-state", actor=e.consumer,
                               explain=lambda end, e=e: explain.client_state(e))
        elif isinstance(e, TopicChanged):
            primary = dict(kind="metadata", actor="cluster", explain=lambda end, e=e: explain.topic_changed(e))
        elif isinstance(e, ConsumerNote) and e.consumer in mine and notes:
            if not (cur_actor == e.consumer and cur_at == e.at):
                primary = dict(kind="note", actor=e.consumer, explain=lambda end, e=e: explain.consumer_note(e))

        if primary is not None:
            close(i - 1)
            pending = dict(at=e.at, event=inner, event_index=i, message_index=primary.pop("message_index", None),
                           transition=primary.pop("transition", None), **primary)
        snap.apply(e)
    close(len(events) - 1)
    return steps
