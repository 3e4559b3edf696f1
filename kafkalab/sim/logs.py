"""The log lines Kafka writes about a simulated run: the Java consumers' and the brokers' coordinators'.

How it works
------------
Nothing here decides anything: the simulated consumers and coordinators record typed events
(:mod:`kafkalab.sim.events`, :mod:`kafkalab.trace`), and this module renders each event as the log
statement(s) Kafka writes for it, from the one template table :mod:`kafkalab.logformat` (the table
:func:`kafkalab.trace.read_log` parses, so what is written here reads back).

* :func:`consumer_log` - the Java consumer's INFO/WARN lines (``ConsumerCoordinator``,
  ``ConsumerRebalanceListenerInvoker``, ``AppInfoParser``, the ``ConsumerConfig values:`` block at
  start-up), with each consumer's ``[Consumer clientId=.., groupId=..]`` prefix, in Kafka's log4j
  layout ``[%d] %p %m (%c)``.  A crashed process writes nothing more, and a paused one (a long GC
  pause) writes nothing while paused: what it handles meanwhile is logged when it resumes.
* :func:`broker_log` - the group coordinator's lines (``GroupMetadataManager``, ``ClassicGroup``),
  with the ``[GroupCoordinator id=<broker> topic=__consumer_offsets partition=<n>]`` prefix, and
  the coordinator's reasons for each rebalance, KIP-800 client reasons included.

Times are virtual milliseconds after :data:`VIRTUAL_EPOCH_MS` (2026-03-02 09:00:00 UTC), so the same
run writes the same lines every time.

What is left out: DEBUG lines; the multi-line "Updating assignment with ..." of a cooperative member;
the ``ConsumerConfig values:`` block lists the configs the simulation models, not all of them.  Where
Kafka's sentence prints a Java object the simulation has no copy of (a metadata snapshot), the
short reason the client sends to the coordinator is written instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional

from .. import logformat as lf
from .. import trace as tr
from ..classic.state import GroupState, Trigger
from ..consumer_protocol import decode_assignment
from ..errors import ErrorCode
from ..messages import (
    FindCoordinatorResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    LeaveGroupRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    SyncGroupRequest,
    SyncGroupResponse,
)
from . import events as ev
from .coordinator_client import EXCEPTION_NAMES, LEAVE_CLOSING, LEAVE_POLL_TIMEOUT, LEAVE_UNSUBSCRIBED

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["VIRTUAL_EPOCH_MS", "consumer_log", "broker_log", "timestamp", "excerpt"]

#: The wall-clock time of virtual time 0 (2026-03-02 09:00:00 UTC), in ms since the epoch.
VIRTUAL_EPOCH_MS = calendar.timegm((2026, 3, 2, 9, 0, 0)) * 1000

_CONFIG_LOGGER = "org.apache.kafka.clients.consumer.ConsumerConfig"
_APP_INFO_LOGGER = "org.apache.kafka.common.utils.AppInfoParser"
_LEFT = "consumer pro-actively leaving the group"
_API_OF = {HeartbeatRequest: "HEARTBEAT", JoinGroupRequest: "JOIN_GROUP", SyncGroupRequest: "SYNC_GROUP",
           LeaveGroupRequest: "LEAVE_GROUP", OffsetCommitRequest: "OFFSET_COMMIT", OffsetFetchRequest: "OFFSET_FETCH"}
_KIND_API = {"heartbeat": "HEARTBEAT", "join": "JOIN_GROUP", "sync": "SYNC_GROUP", "leave": "LEAVE_GROUP",
             "commit": "OFFSET_COMMIT", "commit-sync": "OFFSET_COMMIT", "fetch": "OFFSET_FETCH",
             "find": "FIND_COORDINATOR"}
_ASSIGNOR_CLASSES = {"range": "org.apache.kafka.clients.consumer.RangeAssignor",
                     "roundrobin": "org.apache.kafka.clients.consumer.RoundRobinAssignor",
                     "sticky": "org.apache.kafka.clients.consumer.StickyAssignor",
                     "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}
_COORDINATOR_ERRORS = (ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR)


def timestamp(at: int) -> str:
    """The log4j timestamp of virtual time ``at`` (ms)."""
    return lf.log4j_timestamp(VIRTUAL_EPOCH_MS + at)


def _java_message(code: Optional[ErrorCode]) -> str:
    """``Errors.message()`` of a group error (``"null"`` for an exception without one)."""
    if code is None:
        return "null"
    return lf.JAVA_ERROR_MESSAGES.get(code, code.name)


_EXCEPTION_CODES = {name: code for code, name in EXCEPTION_NAMES.items()}


def _tps(partitions: Iterable[tuple[str, int]]) -> str:
    return "[" + lf.java_partitions(partitions) + "]"


# ---------------------------------------------------------------------------- the Java consumer

@dataclass
class _Client:
    """What one consumer's log needs to remember between events (as the Java client knows it)."""

    name: str
    client_id: str
    group_id: str
    instance_id: Optional[str] = None
    coordinator: Optional[str] = None
    member_id: str = ""
    generation_id: int = -1
    protocol: Optional[str] = None
    state: str = "UNJOINED"
    sent_join: tuple = (-1, "", None)
    sent_sync: tuple = (-1, "", None)
    sent_heartbeat: tuple = (-1, "", None)
    joined_topics: tuple = ()
    topics: tuple = ()
    pattern: Optional[str] = None
    assignment: tuple = ()
    notify: bool = False
    revoked: tuple = ()
    leave_reason: Optional[str] = None
    paused_until: Optional[int] = None
    alive: bool = True
    last_corr: dict = field(default_factory=dict)
    join_response: Optional[JoinGroupResponse] = None
    processes: int = 0

    def generation(self, g: Optional[tuple] = None) -> str:
        gid, mid, proto = g if g is not None else (self.generation_id, self.member_id, self.protocol)
        return lf.java_generation(gid, mid, proto if proto is not None else "null")


class _ConsumerWriter:
    def __init__(self, world: "World", names: Optional[Iterable[str]]) -> None:
        self.world = world
        wanted = set(names) if names is not None else set(world.consumers)
        unknown = sorted(wanted - set(world.consumers))
        if unknown:
            raise ValueError(f"no consumer {unknown} in this world; consumers: {sorted(world.consumers)}")
        self.clients = {n: _Client(n, c.client_id, c.group_id, c.config.group_instance_id)
                        for n, c in world.consumers.items() if n in wanted}
        self.out: list[str] = []

    # -- writing
    def line(self, c: _Client, at: int, key: str, **values: Any) -> None:
        if not c.alive:
            return
        template = lf.TEMPLATES["java"][key]
        at = self.clamp(c, at)
        self.out.append(lf.java_line(timestamp(at), template.level, c.client_id, c.group_id,
                                     template.format(**values), template.logger, c.instance_id))

    def raw(self, c: _Client, at: int, level: str, message: str, logger: str) -> None:
        self.out.append(f"[{timestamp(self.clamp(c, at))}] {level} {message} ({logger})")

    @staticmethod
    def clamp(c: _Client, at: int) -> int:
        """A paused JVM writes nothing: what it does during a pause it does when the pause ends."""
        if c.paused_until is not None and at < c.paused_until:
            return c.paused_until
        return at

    # -- events
    def run(self) -> list[str]:
        for e in self.world.trace:
            name = getattr(e, "consumer", None)
            if isinstance(e, (ev.MessageSent, ev.MessageDelivered)):
                name = e.src if isinstance(e, ev.MessageSent) else e.dst
                if isinstance(e, ev.MessageSent) and name in self.clients:
                    self.sent(self.clients[name], e)
                elif isinstance(e, ev.MessageDelivered) and name in self.clients:
                    self.delivered(self.clients[name], e)
                continue
            if name in self.clients:
                handler = getattr(self, "on_" + type(e).__name__, None)
                if handler is not None:
                    handler(self.clients[name], e)
        return self.out

    def on_ConsumerStarted(self, c: _Client, e: ev.ConsumerStarted) -> None:
        configs = self.world.consumers[c.name].process_configs
        config = configs[min(c.processes, len(configs) - 1)]  # the configs this process started with
        c.processes += 1
        c.alive, c.paused_until = True, None
        c.instance_id = e.group_instance_id
        c.coordinator, c.member_id, c.generation_id, c.protocol, c.state = None, "", -1, None, "UNJOINED"
        c.topics, c.pattern, c.joined_topics = e.topics, e.pattern, ()
        strategies = ", ".join(f"class {_ASSIGNOR_CLASSES.get(a if isinstance(a, str) else getattr(a, 'name', ''), a)}"
                               for a in config.partition_assignment_strategy)
        values = {
            "client.id": e.client_id, "enable.auto.commit": str(config.enable_auto_commit).lower(),
            "group.id": c.group_id, "group.instance.id": e.group_instance_id or "null",
            "heartbeat.interval.ms": config.heartbeat_interval_ms, "max.poll.interval.ms": e.max_poll_interval_ms,
            "max.poll.records": config.max_poll_records, "metadata.max.age.ms": e.metadata_max_age_ms,
            "partition.assignment.strategy": f"[{strategies}]", "session.timeout.ms": e.session_timeout_ms,
            "group.protocol": config.group_protocol, "group.remote.assignor": config.group_remote_assignor or "null",
        }
        self.out.append(f"[{timestamp(e.at)}] INFO ConsumerConfig values: ")
        self.out.extend(f"\t{k} = {v}" for k, v in sorted(values.items()))
        self.out.append(f" ({_CONFIG_LOGGER})")

    def on_ConsumerPaused(self, c: _Client, e: ev.ConsumerPaused) -> None:
        c.paused_until = e.at + e.duration_ms

    def on_SubscriptionChanged(self, c: _Client, e: ev.SubscriptionChanged) -> None:
        c.topics, c.pattern = e.new, e.pattern

    def on_ConsumerStopped(self, c: _Client, e: ev.ConsumerStopped) -> None:
        if e.how is ev.StopKind.CLOSED and c.alive:
            self.raw(c, e.at, "INFO", lf.format("java", "unregistered", client_id=c.client_id), _APP_INFO_LOGGER)
        c.alive = False

    def on_PollTimeoutExpired(self, c: _Client, e: ev.PollTimeoutExpired) -> None:
        self.line(c, e.at, "poll_timeout")
        c.leave_reason = LEAVE_POLL_TIMEOUT

    def on_ConsumerClosing(self, c: _Client, e: ev.ConsumerClosing) -> None:
        c.leave_reason = LEAVE_CLOSING

    def on_CoordinatorUnknown(self, c: _Client, e: ev.CoordinatorUnknown) -> None:
        if c.coordinator is None:
            return
        if e.reason is ev.CoordinatorUnknownReason.SESSION_TIMED_OUT:
            cause, disconnected = "session timed out without receiving a heartbeat response", "false"
        elif e.reason is ev.CoordinatorUnknownReason.REQUEST_TIMED_OUT:
            api = _KIND_API.get(e.request_kind or "", "UNKNOWN")
            timeout = self.world.consumers[c.name].config.request_timeout_ms
            node = lf.parse_java_node(c.coordinator)[2]
            cause = (f"Cancelled in-flight {api} request with correlation id {c.last_corr.get(api, 0)} due to node "
                     f"{2147483647 - node} being disconnected (elapsed time since creation: {timeout}ms, elapsed "
                     f"time since send: {timeout}ms, throttle time: 0ms, request timeout: {timeout}ms)")
            disconnected = "true"
        else:
            cause, disconnected = "coordinator unavailable", "true"
        self.line(c, e.at, "coordinator_unknown", coordinator=c.coordinator, cause=cause, is_disconnected=disconnected)
        c.coordinator = None

    def on_CommitFailed(self, c: _Client, e: ev.CommitFailed) -> None:
        if e.error_code is ErrorCode.FENCED_INSTANCE_ID:
            self.line(c, e.at, "commit_fenced", generation=c.generation(),
                      instance_id=lf.java_optional(c.instance_id))

    def on_RejoinRequested(self, c: _Client, e: ev.RejoinRequested) -> None:
        r = e.reason
        if r is ev.RejoinReason.PARTITIONS_REVOKED:
            reason = f"need to revoke partitions {_tps(c.revoked)} as indicated by the current assignment and re-join"
        elif r is ev.RejoinReason.SUBSCRIPTION_CHANGED:
            reason = (f"subscription has changed from {_set(c.joined_topics)} at the beginning of the rebalance to "
                      f"{_set(c.topics)}")
        elif r is ev.RejoinReason.ASSIGNMENT_MISMATCH:
            pretty = f"Subscribe({c.pattern})" if c.pattern else f"Subscribe({','.join(c.topics)})"
            reason = (f"received assignment {_tps(c.assignment)} does not match the current subscription {pretty}; "
                      "it is likely that the subscription has changed since we joined the group, will re-join with "
                      "current subscription")
        elif r is ev.RejoinReason.REBALANCE_FAILED:
            code = _EXCEPTION_CODES.get(e.detail or "")
            reason = f"rebalance failed due to '{_java_message(code)}' ({e.detail})"
        else:
            reason = e.kafka_reason
        self.line(c, e.at, "request_rejoin", reason=reason)

    def on_PartitionsAssigned(self, c: _Client, e: ev.PartitionsAssigned) -> None:
        self.notify(c, e.at)
        self.line(c, e.at, "adding", partitions=lf.java_partitions(e.partitions))

    def on_PartitionsRevoked(self, c: _Client, e: ev.PartitionsRevoked) -> None:
        if e.lost:
            self.line(c, e.at, "giving_away_lost")
            self.line(c, e.at, "losing", partitions=lf.java_partitions(e.partitions))
            return
        self.notify(c, e.at)
        c.revoked = e.partitions
        self.line(c, e.at, "revoking", partitions=lf.java_partitions(e.partitions))

    def notify(self, c: _Client, at: int) -> None:
        """ConsumerCoordinator.onJoinComplete logs the new assignment before the callbacks run."""
        if c.notify:
            c.notify = False
            self.line(c, at, "notifying_assignor", assignment=lf.java_assignment(c.assignment))

    def reset(self, c: _Client, at: int, reason: str, member_id_too: bool, rejoin: bool = True) -> None:
        """``resetStateAndRejoin``: the "Resetting generation" line, then the rejoin request."""
        self.line(c, at, "resetting", and_member_id="and member id " if member_id_too else "", reason=reason)
        if rejoin:
            self.line(c, at, "request_rejoin", reason=reason)

    def on_ClientStateChanged(self, c: _Client, e: ev.ClientStateChanged) -> None:
        before = (c.generation_id, c.member_id, c.protocol)
        c.state, c.member_id, c.generation_id = e.new, e.member_id, e.generation_id
        if e.generation_id == -1:
            c.protocol = None
        code = e.error_code
        r = ev.ClientStateReason
        if e.reason is r.JOIN_GROUP_SENT:
            c.joined_topics = c.topics
            c.sent_join = before
            self.line(c, e.at, "joining")
        elif e.reason is r.JOIN_GROUP_ANSWERED:
            resp = c.join_response
            c.protocol = resp.protocol_name if resp is not None else None
            self.line(c, e.at, "joined", generation=c.generation())
        elif e.reason is r.JOIN_GROUP_ERROR:
            self.join_failed(c, e.at, code, before)
        elif e.reason is r.SYNC_GROUP_ANSWERED:
            self.line(c, e.at, "synced", generation=c.generation())
            c.notify = True
        elif e.reason is r.SYNC_GROUP_ERROR:
            self.sync_failed(c, e.at, code, before)
        elif e.reason is r.HEARTBEAT_ERROR and code is not None:
            self.line(c, e.at, "heartbeat_failed", generation=c.generation(c.sent_heartbeat),
                      instance_id=lf.java_optional(c.instance_id), error=code.name)
            reason = f"encountered {code.name} from HEARTBEAT response"
            # The rejoin request is a RejoinRequested of its own, except for a fenced member, which stops.
            self.reset(c, e.at, reason, code is not ErrorCode.ILLEGAL_GENERATION,
                       rejoin=code is ErrorCode.FENCED_INSTANCE_ID)
        elif e.reason is r.OFFSET_COMMIT_ERROR and code is not None:
            # resetGenerationOnResponseError; the rejoin request is a RejoinRequested of its own.
            self.reset(c, e.at, f"encountered {code.name} from OFFSET_COMMIT response",
                       code is not ErrorCode.ILLEGAL_GENERATION, rejoin=False)
        elif e.reason in (r.POLL_TIMEOUT, r.UNSUBSCRIBED):
            self.reset(c, e.at, _LEFT, True, rejoin=False)  # the RejoinRequested(LEFT_GROUP) follows
        elif e.reason is r.CLOSED:
            self.reset(c, e.at, _LEFT, True)

    def join_failed(self, c: _Client, at: int, code: Optional[ErrorCode], sent: tuple) -> None:
        generation = c.generation(c.sent_join)
        if code is ErrorCode.MEMBER_ID_REQUIRED or code is None:
            return  # DEBUG only; the rejoin request with the member id follows
        if code is ErrorCode.UNKNOWN_MEMBER_ID:
            self.line(c, at, "join_failed_rejoin", error_message=_java_message(code), generation=generation)
            if sent[1] and not c.member_id:
                self.reset(c, at, "encountered UNKNOWN_MEMBER_ID from JOIN_GROUP response", True)
        elif code is ErrorCode.REBALANCE_IN_PROGRESS:
            self.line(c, at, "join_failed_rebalancing")
        elif code in _COORDINATOR_ERRORS:
            coordinator = c.coordinator
            self.coordinator_error(c, at, code)
            if coordinator is not None:
                self.line(c, at, "join_failed_coordinator", error_message=_java_message(code), generation=generation)
        elif code is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            self.line(c, at, "join_failed_loading", coordinator=c.coordinator or "null")
        elif code is ErrorCode.FENCED_INSTANCE_ID:
            self.line(c, at, "join_failed_fenced", instance_id=lf.java_optional(c.instance_id), generation=generation)
        else:
            self.line(c, at, "join_failed_fatal", error_message=_java_message(code))

    def sync_failed(self, c: _Client, at: int, code: Optional[ErrorCode], sent: tuple) -> None:
        generation = c.generation(c.sent_sync)
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            self.line(c, at, "sync_failed_rebalancing", generation=generation)
        elif code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
            self.line(c, at, "sync_failed_rejoin", error_message=_java_message(code), generation=generation)
            self.reset(c, at, f"encountered {code.name} from SYNC_GROUP response",
                       code is ErrorCode.UNKNOWN_MEMBER_ID)
        elif code in _COORDINATOR_ERRORS:
            self.line(c, at, "sync_failed_coordinator", error_message=_java_message(code), generation=generation)
            self.coordinator_error(c, at, code)
        elif code is ErrorCode.FENCED_INSTANCE_ID:
            self.line(c, at, "sync_failed_fenced", instance_id=lf.java_optional(c.instance_id), generation=generation)

    def coordinator_error(self, c: _Client, at: int, code: ErrorCode) -> None:
        """``markCoordinatorUnknown(error)``."""
        if c.coordinator is not None:
            self.line(c, at, "coordinator_unknown", coordinator=c.coordinator, cause=f"error response {code.name}",
                      is_disconnected="false")
            c.coordinator = None

    def sent(self, c: _Client, e: ev.MessageSent) -> None:
        m = e.message
        api = _API_OF.get(type(m))
        if api is not None:
            c.last_corr[api] = e.correlation_id
        if isinstance(m, SyncGroupRequest):
            c.sent_sync = (c.generation_id, c.member_id, c.protocol)
            if m.assignments:
                plan = {a.member_id: decode_assignment(a.assignment).assigned_partitions for a in m.assignments}
                self.line(c, e.at, "finished_assignment", generation_id=m.generation_id,
                          assignments=lf.java_assignments(plan))
        elif isinstance(m, HeartbeatRequest):
            c.sent_heartbeat = (c.generation_id, c.member_id, c.protocol)
        elif isinstance(m, LeaveGroupRequest):
            member_id = m.members[0].member_id if m.members else m.member_id
            reason = (m.members[0].reason if m.members and m.members[0].reason else None) or c.leave_reason \
                or LEAVE_UNSUBSCRIBED
            self.line(c, e.at, "leaving", member_id=member_id, coordinator=c.coordinator or "null", reason=reason)
            c.leave_reason = None

    def delivered(self, c: _Client, e: ev.MessageDelivered) -> None:
        m = e.message
        if isinstance(m, FindCoordinatorResponse) and m.error_code is ErrorCode.NONE:
            c.coordinator = lf.java_node(m.host, m.port, m.node_id)
            self.line(c, e.at, "discovered", coordinator=c.coordinator)
        elif isinstance(m, JoinGroupResponse):
            c.join_response = m
        elif isinstance(m, SyncGroupResponse) and m.error_code is ErrorCode.NONE:
            c.assignment = tuple(decode_assignment(m.assignment).assigned_partitions) if m.assignment else ()
        elif isinstance(m, HeartbeatResponse) and m.error_code in _COORDINATOR_ERRORS and c.coordinator is not None:
            self.line(c, e.at, "heartbeat_coordinator", coordinator=c.coordinator)
            self.coordinator_error(c, e.at, m.error_code)


def _set(topics: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(topics)) + "]"


def consumer_log(world: "World", names: Optional[Iterable[str]] = None) -> list[str]:
    """The Java consumers' log lines for ``world``'s run so far, in time order: of the consumers
    ``names`` (default: all), as one log (a JVM running them all) - give each its own file with
    ``consumer_log(world, [name])``.

    Raises:
        ValueError: a name that is no consumer of ``world``.
    """
    if isinstance(names, str):
        names = [names]
    return _ConsumerWriter(world, names).run()


# ---------------------------------------------------------------------------- the broker

@dataclass
class _GroupLog:
    view: tr.GroupView
    join: Optional[JoinGroupRequest] = None
    leave: Optional[LeaveGroupRequest] = None
    added: Optional[tr.MemberAdded] = None
    replaced: Optional[tr.MemberRemoved] = None
    replacing: bool = False
    static_no_rebalance: bool = False
    not_rejoined: list = field(default_factory=list)
    left: list = field(default_factory=list)
    sync_expired: list = field(default_factory=list)
    expired: Optional[str] = None
    write_error: Optional[ErrorCode] = None
    last_sync_member: str = ""


def _join_reason(req: Optional[JoinGroupRequest]) -> str:
    """``JoinGroupRequest.joinReason``: the client's reason, "not provided" when it sent none."""
    return req.reason if req is not None and req.reason else "not provided"


class _BrokerWriter:
    def __init__(self, world: "World", broker: Optional[int], group: Optional[str]) -> None:
        self.world = world
        self.broker = broker
        self.group = group
        self.groups: dict[str, _GroupLog] = {}
        self.out: list[str] = []

    def run(self) -> list[str]:
        for item in self.world.trace:
            if not isinstance(item, ev.CoordinatorEvent):
                continue
            e = item.event
            gid = getattr(e, "group_id", None)
            if gid is None:
                continue
            g = self.groups.get(gid)
            if g is None:
                g = self.groups[gid] = _GroupLog(tr.GroupView(gid))
            show = (self.broker is None or item.broker == self.broker) and (self.group is None or gid == self.group)
            self.node = item.broker
            self.partition = self.world.cluster.partition_for(gid)
            self.writing = show
            if not isinstance(e, tr.MemberRemoved) or e.reason is not tr.MemberRemovalReason.NOT_REJOINED:
                self.flush_not_rejoined(g, e.at)
            handler = getattr(self, "on_" + type(e).__name__, None)
            if handler is not None:
                handler(g, e)
            g.view.apply(e)
        return self.out

    def line(self, at: int, key: str, **values: Any) -> None:
        if not self.writing:
            return
        template = lf.TEMPLATES["broker"][key]
        self.out.append(lf.broker_line(timestamp(at), template.level, self.node, self.partition,
                                       template.format(**values), template.logger))

    def state(self, g: _GroupLog) -> str:
        return g.view.state.value if g.view.state is not None else "Empty"

    def flush_not_rejoined(self, g: _GroupLog, at: int) -> None:
        if g.not_rejoined:
            self.line(at, "removed_not_rejoined", group_id=g.view.group_id, member_list=_set_list(g.not_rejoined))
            g.not_rejoined = []

    def fenced(self, g: _GroupLog, at: int, member_id: str, instance_id: Optional[str], operation: str) -> None:
        """``ClassicGroup.validateMember``: a static member's request with another member id is fenced."""
        if instance_id is None or not member_id:
            return
        existing = next((m["member_id"] for m in g.view.members.values()
                         if m["group_instance_id"] == instance_id), None)
        if existing is not None and existing != member_id:
            self.line(at, "static_member_fenced", member_id=member_id, group_instance_id=instance_id,
                      existing_member_id=existing, operation=operation)

    # -- requests
    def on_RequestReceived(self, g: _GroupLog, e: tr.RequestReceived) -> None:
        r = e.request
        if g.view.state in (None, GroupState.DEAD):
            if isinstance(r, JoinGroupRequest):
                g.join = r
            return
        if isinstance(r, JoinGroupRequest):
            g.join = r
            self.fenced(g, e.at, r.member_id, r.group_instance_id, "join-group")
        elif isinstance(r, SyncGroupRequest):
            g.last_sync_member = r.member_id
            self.fenced(g, e.at, r.member_id, r.group_instance_id, "sync-group")
            v = g.view
            if (v.state is GroupState.COMPLETING_REBALANCE and v.leader_id == r.member_id
                    and r.generation_id == v.generation_id and r.member_id in v.members):
                statics = sum(1 for m in v.members.values() if m["group_instance_id"] is not None)
                self.line(e.at, "assignment_received", member_id=r.member_id, group_id=v.group_id,
                          generation_id=v.generation_id, member_count=len(v.members), static_count=statics)
        elif isinstance(r, HeartbeatRequest):
            self.fenced(g, e.at, r.member_id, r.group_instance_id, "heartbeat")
        elif isinstance(r, OffsetCommitRequest):
            # Kafka's validateOffsetCommit names the operations the wrong way round (ClassicGroup l. 842).
            self.fenced(g, e.at, r.member_id, r.group_instance_id, "txn-offset-commit")
        elif isinstance(r, LeaveGroupRequest):
            g.leave = r
            g.left = []
            for ident in r.members:
                self.fenced(g, e.at, ident.member_id, ident.group_instance_id, "leave-group")

    # -- records
    def on_PendingMemberAdded(self, g: _GroupLog, e: tr.PendingMemberAdded) -> None:
        self.line(e.at, "member_id_required", group_id=e.group_id, group_state=self.state(g), member_id=e.member_id)

    def on_MemberAdded(self, g: _GroupLog, e: tr.MemberAdded) -> None:
        g.added = e
        if g.replacing:
            g.replacing = False
            return
        if e.member_id in g.view.pending:
            self.line(e.at, "pending_member_added", member_id=e.member_id, group_id=e.group_id,
                      group_state=self.state(g))
        elif e.group_instance_id is not None:
            self.line(e.at, "static_member_added", group_instance_id=e.group_instance_id, group_id=e.group_id,
                      group_state=self.state(g), member_id=e.member_id)
        else:
            self.line(e.at, "dynamic_member_added", group_id=e.group_id, group_state=self.state(g),
                      member_id=e.member_id)

    def on_MemberRemoved(self, g: _GroupLog, e: tr.MemberRemoved) -> None:
        R = tr.MemberRemovalReason
        gid = e.group_id
        if e.reason is R.HEARTBEAT_EXPIRATION:
            g.expired = e.member_id
            self.line(e.at, "member_failed", member_id=e.member_id, group_id=gid)
        elif e.reason is R.PENDING_MEMBER_EXPIRATION:
            self.line(e.at, "pending_member_expired", member_id=e.member_id, group_id=gid)
        elif e.reason in (R.LEAVE_GROUP, R.PENDING_MEMBER_LEFT):
            g.left.append(e.member_id)
            reason = "not provided"
            if g.leave is not None:
                for ident in g.leave.members:
                    if ident.member_id in ("", e.member_id) and ident.reason:
                        reason = ident.reason
            key = "member_left" if e.reason is R.LEAVE_GROUP else "pending_member_left"
            self.line(e.at, key, group_id=gid, member_id=e.member_id, reason=reason)
        elif e.reason is R.NOT_REJOINED:
            g.not_rejoined.append(e.member_id)
        elif e.reason is R.PENDING_SYNC_EXPIRATION:
            g.sync_expired.append(e.member_id)
        elif e.reason is R.STATIC_MEMBER_REPLACED:
            member = g.view.members.get(e.member_id, {})
            g.replaced, g.replacing = e, True
            g.static_no_rebalance = g.view.state is GroupState.STABLE
            self.line(e.at, "static_member_replaced", group_instance_id=member.get("group_instance_id"),
                      group_id=gid, group_state=self.state(g), member_id=e.member_id)

    def on_GroupRecordWritten(self, g: _GroupLog, e: tr.GroupRecordWritten) -> None:
        g.write_error = None if e.error_code is ErrorCode.NONE else e.error_code
        if g.static_no_rebalance:
            g.static_no_rebalance = False
            self.line(e.at, "static_member_no_rebalance")

    def on_JoinPhaseExtended(self, g: _GroupLog, e: tr.JoinPhaseExtended) -> None:
        self.line(e.at, "no_member_rejoined", group_id=e.group_id)

    def on_GroupLoaded(self, g: _GroupLog, e: tr.GroupLoaded) -> None:
        self.line(e.at, "group_loaded", group_id=e.group_id, member_count=len(e.members))

    def on_StateChanged(self, g: _GroupLog, e: tr.StateChanged) -> None:
        g.static_no_rebalance = False
        gid = e.group_id
        if e.new is GroupState.PREPARING_REBALANCE:
            self.line(e.at, "preparing_rebalance", group_id=gid, group_state=e.new.value,
                      generation_id=e.generation_id, reason=self.reason(g, e))
        elif e.trigger is Trigger.JOIN_COMPLETED and e.new is GroupState.COMPLETING_REBALANCE:
            self.line(e.at, "stabilized", group_id=gid, generation_id=e.generation_id,
                      member_count=len(g.view.members))
        elif e.trigger is Trigger.JOIN_COMPLETED and e.new is GroupState.EMPTY:
            self.line(e.at, "now_empty", group_id=gid, generation_id=e.generation_id)
        elif e.new is GroupState.DEAD:
            self.line(e.at, "group_unloading", group_id=gid, generation_id=e.generation_id)

    def reason(self, g: _GroupLog, e: tr.StateChanged) -> str:
        """The coordinator's sentence for why it prepares a rebalance (``GroupMetadataManager``)."""
        T = Trigger
        client = _join_reason(g.join)
        member = g.join.member_id if g.join is not None else ""
        during = e.old.value if e.old is not None else "Empty"
        if e.trigger is T.MEMBER_ADDED:
            added = g.added
            iid = added.group_instance_id if added is not None else None
            return (f"Adding new member {added.member_id if added else ''} with group instance id {iid or 'null'}; "
                    f"client reason: {client}")
        if e.trigger is T.LEADER_REJOINED:
            return f"Leader {member} re-joining group during {during}; client reason: {client}"
        if e.trigger is T.PROTOCOLS_CHANGED:
            return f"Updating metadata for member {member} during {during}; client reason: {client}"
        if e.trigger is T.STATIC_MEMBER_REPLACED:
            new = g.replaced.replaced_by if g.replaced is not None else ""
            iid = g.join.group_instance_id if g.join is not None else None
            if e.old is GroupState.STABLE:
                return (f"Group's selectedProtocol will change because static member {new} with instance id {iid} "
                        f"joined with change of protocol; client reason: {client}")
            return f"Updating metadata for static member {new} with instance id {iid}; client reason: {client}"
        if e.trigger is T.SESSION_EXPIRED:
            return f"removing member {g.expired} on heartbeat expiration."
        if e.trigger is T.MEMBER_LEFT:
            return f"explicit `LeaveGroup` request for ({', '.join(g.left)}) members."
        if e.trigger is T.PENDING_SYNC_EXPIRED:
            members, g.sync_expired = g.sync_expired, []
            return f"Removing {_set_list(members)} on pending sync request expiration"
        if e.trigger is T.ASSIGNMENT_WRITE_FAILED:
            error = g.write_error.name if g.write_error is not None else "UNKNOWN_SERVER_ERROR"
            return f"Error {error} when storing group assignmentduring SyncGroup (member: {g.last_sync_member})."
        return e.trigger.value


def _set_list(items: Iterable[str]) -> str:
    """A Java collection's ``toString()``: ``[a, b]``."""
    return "[" + ", ".join(items) + "]"


def broker_log(world: "World", broker: Optional[int] = None, group: Optional[str] = None) -> list[str]:
    """The group coordinators' log lines for ``world``'s run so far, in time order: of broker
    ``broker`` and group ``group`` (default: every broker, every group).

    Raises:
        ValueError: an unknown broker id.
    """
    if broker is not None and broker not in world.coordinators:
        raise ValueError(f"no broker {broker!r}; brokers: {sorted(world.coordinators)}")
    return _BrokerWriter(world, broker, group).run()


# ---------------------------------------------------------------------------- reading them on screen

_UUID = re.compile(r"\b([0-9a-f]{4})[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_SHORT = re.compile(r"^\[\d{4}-\d{2}-\d{2} (?P<time>[\d:,]+)\] (?P<level>[A-Z]+) (?:\[Consumer (?:instanceId=[^,]*, )?"
                    r"clientId=(?P<client>[^,]*), groupId=[^\]]*\] |\[GroupCoordinator id=(?P<broker>\d+) [^\]]*\] )?"
                    r"(?P<message>.*?)(?: \([\w.$]+\))?$")


def excerpt(lines: Iterable[str], *contains: str, limit: Optional[int] = None, width: int = 150) -> list[str]:
    """The lines that contain every one of ``contains``, shortened for reading: the time of day, the
    level, who wrote it (``c1``, ``broker-0``) and the message, member ids cut to their first four
    hex digits (``c1-e3e7``), each line cut at ``width`` characters; at most ``limit`` lines (the
    first ones).  The ``ConsumerConfig values:`` block is left out."""
    out: list[str] = []
    for line in lines:
        if line.startswith(("\t", " (")) or "ConsumerConfig values:" in line:
            continue
        if not all(c in line for c in contains):
            continue
        m = _SHORT.match(line)
        if m is None:
            continue
        who = m.group("client") or (f"broker-{m.group('broker')}" if m.group("broker") else "")
        message = _UUID.sub(r"\1", m.group("message"))
        text = f"{m.group('time')} {m.group('level'):<5} {who:<9} {message}"
        out.append(text if len(text) <= width else text[:width - 1] + "…")
        if limit is not None and len(out) >= limit:
            break
    return out
