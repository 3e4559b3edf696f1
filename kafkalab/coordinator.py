"""One broker's group coordinator, sans-IO: requests and time in, responses out.

How it works
------------
:class:`Coordinator` is kafkalab's ``GroupCoordinatorService`` together with the shard plumbing
under it.  It never reads a clock and never touches a socket: every entry point receives ``now``
(virtual milliseconds) and returns the :class:`~kafkalab.runtime.Reply` objects it caused.  A
JoinGroup or SyncGroup that Kafka would *park* is remembered with its ``origin`` and answered by a
later call (the last member's JoinGroup, the leader's SyncGroup, or :meth:`Coordinator.on_timer`).

A request goes through three steps, all visible in :meth:`Coordinator.handle`:

1. **prechecks**, one path for every group request (:meth:`Coordinator.precheck`): the service's
   own checks (coordinator active, group id, the request's own bounds) and then the runtime's
   (this broker leads the group's ``__consumer_offsets`` partition and is not loading it).  Where
   Kafka's APIs differ (JoinGroup also checks the session timeout, OffsetCommit/OffsetFetch accept
   an empty group id, a Heartbeat is answered NONE while loading) the difference is a field of the
   API's :class:`Route`, not a copy of the checks;
2. **routing** by request type (:data:`ROUTES`) to the handler of the group's protocol:
   :mod:`kafkalab.classic` (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) or
   :mod:`kafkalab.offsets` (OffsetCommit, OffsetFetch) for classic groups, the
   :class:`~kafkalab.modern.ConsumerGroupManager` for ConsumerGroupHeartbeat, and
   :mod:`kafkalab.modern.service` for any of them sent to a consumer group's id (one namespace of
   group ids: an id is classic or consumer); DescribeGroups, ConsumerGroupDescribe and ListGroups
   are answered here, one group at a time;
3. the handler works on the :class:`~kafkalab.runtime.Runtime` (groups, consumer groups, offsets,
   log, timers, trace) and sends its replies through it.

Timers are keyed data (:mod:`kafkalab.timers`); :meth:`Coordinator.on_timer` dispatches each one
on its key's type (a consumer group's timer goes to the manager).  Topic changes reach the
consumer groups through :meth:`Coordinator.on_metadata_update` (Kafka's ``onNewMetadataImage``).  Partition leadership changes arrive through :meth:`load_partition`,
:meth:`finish_loading` and :meth:`unload_partition`.  Group records (classic and consumer) go to a
:class:`~kafkalab.grouplog.GroupLog`, which several coordinators can share; that is how a group
survives a coordinator failover.  Writes complete at once, unless a test or lesson injects a
failure with :meth:`Coordinator.inject_write_error`.

Where Kafka leaves a choice to hash-map order (which member becomes leader, protocol vote ties)
kafkalab picks a documented deterministic rule; every such difference is in ``docs/differences.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, assert_never

from . import offsets
from . import trace as tr
from .classic.common import answer_join, answer_sync, join_error, schedule_heartbeat
from .classic.group import Group
from .classic.heartbeat import handle_heartbeat
from .classic.join import handle_join_group
from .classic.leave import handle_leave_group
from .classic.lifecycle import delete_group, load_group, on_loaded, unload_group
from .classic.rebalance import expire_heartbeat, expire_join, expire_pending_sync
from .classic.state import GroupState
from .classic.sync import handle_sync_group
from .cluster import partition_for_group
from .config import CoordinatorConfig
from .errors import ErrorCode
from .grouplog import GroupLog, group_from_record
from .messages import (
    ConsumerGroupDescribedGroup,
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse,
    ConsumerGroupHeartbeatRequest,
    DescribedGroup,
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    LeaveGroupRequest,
    LeaveGroupResponse,
    ListGroupsRequest,
    ListGroupsResponse,
    OffsetCommitRequest,
    OffsetFetchRequest,
    OffsetFetchResponse,
    Request,
    Response,
    SyncGroupRequest,
    SyncGroupResponse,
)
from .modern import service as cg
from .modern.manager import ConsumerGroupManager
from .modern.metadata import MetadataImage
from .modern.state import ConsumerGroupState
from .runtime import Reply, Runtime
from .timers import HeartbeatTimer, JoinTimer, OffsetsExpiryTimer, SyncTimer, Timer, TimerKey, TimerTable

__all__ = ["Coordinator", "Reply", "Prechecks", "Route", "ROUTES"]

S = GroupState

#: What a failed precheck answers: ``(request, error, raised_by_runtime) -> response``.
#: ``raised_by_runtime`` is True for NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS, which Kafka's
#: runtime raises, and False for the service's own checks.
ErrorResponse = Callable[[Any, ErrorCode, bool], Response]


@dataclass(frozen=True)
class Prechecks:
    """Where one API's prechecks differ from the others' (see :meth:`Coordinator.precheck`).

    Attributes:
        group_id_required: an empty group id is INVALID_GROUP_ID (OffsetCommit and OffsetFetch
            accept it "for backwards compatibility", as Kafka does: only null is invalid there).
        validate: a check of the request itself that Kafka's service makes before the runtime's
            (JoinGroup's session timeout bounds), so it wins over NOT_COORDINATOR.
    """

    group_id_required: bool = True
    validate: Optional[Callable[[CoordinatorConfig, Any], Optional[ErrorCode]]] = None


@dataclass(frozen=True)
class Route:
    """How the service takes one group API (one of Kafka's ``GroupCoordinatorService`` methods).

    Attributes:
        handler: the shard's handler, ``handler(rt, request, origin)``.
        error_response: the answer a failed precheck gets.
        prechecks: how this API's prechecks differ from the default.
    """

    handler: Callable[[Runtime, Any, Any], None]
    error_response: ErrorResponse
    prechecks: Prechecks = Prechecks()


def _session_timeout_in_bounds(config: CoordinatorConfig, req: JoinGroupRequest) -> Optional[ErrorCode]:
    if config.group_min_session_timeout_ms <= req.session_timeout_ms <= config.group_max_session_timeout_ms:
        return None
    return ErrorCode.INVALID_SESSION_TIMEOUT


def _join_group_error(req: JoinGroupRequest, code: ErrorCode, raised_by_runtime: bool) -> Response:
    # The service's errors carry the request's member id; the runtime's come back without it
    # (Kafka's handleOperationException).
    return join_error(req.api_version, code, "" if raised_by_runtime else req.member_id)


def _heartbeat_error(req: HeartbeatRequest, code: ErrorCode, raised_by_runtime: bool) -> Response:
    # Kafka answers heartbeats blindly while the group's partition is loading.
    return HeartbeatResponse(error_code=ErrorCode.NONE if code is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS else code)


#: The group APIs that concern one group, by request type.  (DescribeGroups and ListGroups, which
#: concern many, are answered by the service itself: :meth:`Coordinator.handle`.)
ROUTES: dict[type[Request], Route] = {
    JoinGroupRequest: Route(handle_join_group, _join_group_error, Prechecks(validate=_session_timeout_in_bounds)),
    SyncGroupRequest: Route(handle_sync_group, lambda req, code, _: SyncGroupResponse(error_code=code)),
    HeartbeatRequest: Route(handle_heartbeat, _heartbeat_error),
    LeaveGroupRequest: Route(handle_leave_group, lambda req, code, _: LeaveGroupResponse(error_code=code)),
    OffsetCommitRequest: Route(offsets.commit_offset, lambda req, code, _: offsets.commit_error_response(req, code),
                               Prechecks(group_id_required=False)),
    OffsetFetchRequest: Route(offsets.fetch_offsets, lambda req, code, _: OffsetFetchResponse(error_code=code),
                              Prechecks(group_id_required=False)),
    # Kafka checks the group id inside the manager (INVALID_REQUEST "GroupId can't be empty."),
    # after the runtime's checks; KafkaApis refuses it first when the protocol is not enabled.
    ConsumerGroupHeartbeatRequest: Route(cg.handle_consumer_group_heartbeat, cg.heartbeat_error,
                                         Prechecks(group_id_required=False, validate=cg.protocol_enabled)),
}

#: The prechecks of DescribeGroups (for each group id) and ListGroups (for the whole broker).
_MANY_GROUPS = Prechecks(group_id_required=False)


def _error_response(request: Request, route: Optional[Route], code: ErrorCode) -> Response:
    """``request``'s response carrying ``code`` wherever it has an error code."""
    if route is not None:
        return route.error_response(request, code, False)
    if isinstance(request, DescribeGroupsRequest):
        return DescribeGroupsResponse(groups=tuple(DescribedGroup(error_code=code, group_id=g) for g in request.groups))
    if isinstance(request, ConsumerGroupDescribeRequest):
        return ConsumerGroupDescribeResponse(groups=tuple(
            ConsumerGroupDescribedGroup(error_code=code, group_id=g) for g in request.group_ids))
    return ListGroupsResponse(error_code=code)


def _group_of(key: TimerKey) -> Optional[str]:
    """The group a timer belongs to (None for the broker-wide offsets retention check)."""
    if isinstance(key, tuple):
        return key[1]  # a consumer group's timer: (kind, group_id, ...)
    return key.group_id


class Coordinator:
    """One broker's group coordinator.

    Args:
        config: broker configs (Kafka's defaults when omitted).
        member_id_seed: seed of the random UUIDs in generated member ids, so runs repeat exactly.
        new_member_id: optional ``f(prefix) -> member id`` replacing Kafka's
            ``prefix + "-" + UUID`` (the prefix is the client id, or the group instance id).
        log: a shared :class:`GroupLog` (one per cluster); a private one when omitted.
        owned_partitions: the ``__consumer_offsets`` partitions this broker leads; ``None`` means
            all of them (a one-broker cluster).  Requests for other groups get NOT_COORDINATOR.
        trace: keep a trace of every event (``coordinator.trace``).
        metadata: the topics the consumer groups see (a :class:`~kafkalab.modern.MetadataImage`;
            none when omitted); later changes arrive through :meth:`on_metadata_update`.

    Raises:
        TypeError: ``config`` is not a :class:`CoordinatorConfig`.
    """

    def __init__(
        self,
        config: CoordinatorConfig | None = None,
        *,
        member_id_seed: int = 0,
        new_member_id: Callable[[str], str] | None = None,
        log: GroupLog | None = None,
        owned_partitions: set[int] | None = None,
        trace: bool = True,
        metadata: MetadataImage | None = None,
    ) -> None:
        if config is None:
            config = CoordinatorConfig()
        if not isinstance(config, CoordinatorConfig):
            raise TypeError(f"config must be a CoordinatorConfig, got {type(config).__name__}")
        self.config = config
        self.runtime = Runtime(config, log if log is not None else GroupLog(config.offsets_topic_num_partitions),
                               tracing=trace, member_id_seed=member_id_seed, new_member_id=new_member_id)
        rt = self.runtime
        #: The consumer groups (KIP-848): Kafka's GroupMetadataManager, consumer part.  It shares the
        #: timer table and the trace, and writes its records to the shared log.
        self.consumer_groups = rt.consumer_groups = ConsumerGroupManager(
            config.consumer, timers=rt.timers, emit=cg.persisting_emit(rt), metadata=metadata,
            classic_groups=cg.RuntimeClassicGroups(rt), member_id_seed=member_id_seed)
        self.consumer_groups.classic_group_max_size = config.group_max_size
        self.owned_partitions = None if owned_partitions is None else set(owned_partitions)
        self.loading_partitions: set[int] = set()
        #: False models a coordinator that is shutting down: every request gets COORDINATOR_NOT_AVAILABLE.
        self.active = True
        self._partition_cache: dict[str, int] = {}

    # ------------------------------------------------------------------ what the runtime holds

    @property
    def groups(self) -> dict[str, Group]:
        """The groups this broker coordinates, by group id."""
        return self.runtime.groups

    @property
    def log(self) -> GroupLog:
        """The ``__consumer_offsets`` log this coordinator writes to and loads from."""
        return self.runtime.log

    @property
    def timers(self) -> TimerTable:
        """The scheduled timers (:mod:`kafkalab.timers`)."""
        return self.runtime.timers

    @property
    def trace(self) -> list[tr.TraceEvent]:
        """Every event so far (:mod:`kafkalab.trace`), when tracing."""
        return self.runtime.trace

    # ------------------------------------------------------------------ public entry points

    def handle(self, request: Request, origin: Any, now: int) -> list[Reply]:
        """Handle one request at virtual time ``now``; return every reply it caused.

        Protocol problems come back as responses with Kafka's error codes.

        Raises:
            TypeError: ``request`` is not a kafkalab group request.
        """
        route = ROUTES.get(type(request))
        if route is None and not isinstance(request, (DescribeGroupsRequest, ListGroupsRequest,
                                                      ConsumerGroupDescribeRequest)):
            raise TypeError(
                f"Coordinator.handle expects a kafkalab.messages request, got {type(request).__name__}"
            )
        rt = self.runtime
        rt.start(now)
        group_id = getattr(request, "group_id", None)
        rt.emit(tr.RequestReceived(now, origin, group_id, request))
        try:
            match request:
                case DescribeGroupsRequest():
                    self._describe_groups(request, origin)
                case ListGroupsRequest():
                    self._list_groups(request, origin)
                case ConsumerGroupDescribeRequest():
                    cg.describe_consumer_groups(rt, request, origin, self._precheck_one)
                case _:
                    assert route is not None
                    error = self.precheck(group_id, route.prechecks, request)
                    if error is None:
                        handler = route.handler
                        if group_id in self.consumer_groups.groups:
                            handler = cg.CLASSIC_HANDLERS.get(type(request), handler)
                        handler(rt, request, origin)
                    else:
                        rt.send(origin, group_id, route.error_response(request, *error))
        except Exception as exc:  # a bug in kafkalab: answer and rebuild, never wedge the group
            self._recover(exc, group_id, (request, origin, route))
        return rt.finish()

    def on_timer(self, now: int) -> list[Reply]:
        """Fire every timer due at ``now`` (ties in schedule order); return the replies caused."""
        rt = self.runtime
        rt.start(now)
        while True:
            timer = rt.timers.pop_next_due(now)
            if timer is None:
                break
            if not isinstance(timer.key, tuple):  # the manager's records say what its timers did
                rt.emit(tr.TimerFired.for_key(now, timer.key))
            try:
                self._fire(timer)
            except Exception as exc:  # a bug in kafkalab: answer and rebuild, never wedge the group
                self._recover(exc, _group_of(timer.key))
        return rt.finish()

    def next_deadline(self) -> int | None:
        """When :meth:`on_timer` next has something to do, or ``None``."""
        return self.runtime.timers.next_deadline()

    def describe(self, group_id: str) -> dict:
        """A plain snapshot of a group for notebooks and tests (``{"state": "Dead"}`` if absent):
        a consumer group's is :meth:`ConsumerGroupManager.describe
        <kafkalab.modern.ConsumerGroupManager.describe>` (``"group_type": "consumer"``, epochs,
        target, each member's reconciliation state)."""
        consumer = self.consumer_groups.describe(group_id)
        if consumer is not None:
            return consumer
        group = self.runtime.groups.get(group_id)
        if group is None:
            return {"group_id": group_id, "state": "Dead", "generation_id": -1, "members": []}
        return group.describe()

    def on_metadata_update(self, image: MetadataImage, now: int) -> list[Reply]:
        """The cluster's topics changed (Kafka's ``onNewMetadataImage``): the consumer groups
        subscribed to a changed or deleted topic recompute their subscription at their next
        heartbeat (docs/consumer-protocol.md §3.1).

        Raises:
            TypeError: ``image`` is not a :class:`~kafkalab.modern.MetadataImage`.
        """
        rt = self.runtime
        rt.start(now)
        self.consumer_groups.on_metadata_update(image, now)
        return rt.finish()

    def inject_write_error(self, error: ErrorCode, count: int = 1) -> None:
        """Make the next ``count`` group-record writes fail with the storage error ``error``
        (e.g. NOT_LEADER_OR_FOLLOWER), as a broken ``__consumer_offsets`` append would."""
        self.runtime.inject_write_error(error, count)

    def on_partitions_deleted(self, partitions: Iterable[tuple[str, int]], now: int) -> list[Reply]:
        """Topics were deleted: drop every committed offset of these ``(topic, partition)`` pairs
        in the groups this coordinator owns (Kafka's ``GroupCoordinator.onPartitionsDeleted``,
        which writes an offset tombstone for each), so a topic created again with the same name
        starts without them."""
        rt = self.runtime
        rt.start(now)
        offsets.delete_partitions(rt, set(partitions), [gid for gid in rt.offsets if self.owns(gid)])
        return rt.finish()

    # ------------------------------------------------------------------ prechecks

    def partition_of(self, group_id: str) -> int:
        """The ``__consumer_offsets`` partition of ``group_id``."""
        p = self._partition_cache.get(group_id)
        if p is None:
            p = self._partition_cache[group_id] = partition_for_group(
                group_id, self.config.offsets_topic_num_partitions)
        return p

    def owns(self, group_id: str) -> bool:
        """Whether this broker leads the partition of ``group_id``."""
        return self.owned_partitions is None or self.partition_of(group_id) in self.owned_partitions

    def _precheck_one(self, group_id: str) -> Optional[ErrorCode]:
        """The prechecks of one group id of a request about many groups (a required group id)."""
        error = self.precheck(group_id, Prechecks(), None)
        return None if error is None else error[0]

    def serves(self, group_id: str) -> bool:
        """Whether this coordinator owns ``group_id``'s partition and has loaded it."""
        return self.owns(group_id) and self.partition_of(group_id) not in self.loading_partitions

    def precheck(self, group_id: Optional[str], prechecks: Prechecks, request: Any) -> Optional[tuple[ErrorCode, bool]]:
        """The checks before a request reaches its group, in Kafka's order.

        First the service's own (``GroupCoordinatorService``): the coordinator is active, the
        group id is not empty (where the API requires it), the route's own check of the request.
        Then the runtime's: this broker leads the group's partition (NOT_COORDINATOR) and has
        loaded it (COORDINATOR_LOAD_IN_PROGRESS).

        Args:
            group_id: the request's group, or ``None`` for the whole broker (ListGroups: any
                partition still loading fails it).
            prechecks: the API's differences (:class:`Prechecks`).
            request: the request (for the API's own check).

        Returns:
            ``None`` when the request may go on, else ``(error, raised_by_runtime)``.
        """
        if not self.active:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, False
        if prechecks.group_id_required and not group_id:
            return ErrorCode.INVALID_GROUP_ID, False
        if prechecks.validate is not None:
            error = prechecks.validate(self.config, request)
            if error is not None:
                return error, False
        if group_id is None:
            # Kafka reads every partition; one still loading fails the whole request.
            loading = bool(self.loading_partitions)
        else:
            if not self.owns(group_id):
                return ErrorCode.NOT_COORDINATOR, True
            loading = self.partition_of(group_id) in self.loading_partitions
        if loading:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, True
        return None

    # ------------------------------------------------------------------ DescribeGroups / ListGroups

    def _describe_groups(self, req: DescribeGroupsRequest, origin: Any) -> None:
        out = []
        for gid in req.groups:
            error = self.precheck(gid, _MANY_GROUPS, req)
            if error is not None:
                out.append(DescribedGroup(error_code=error[0], group_id=gid))
                continue
            group = self.runtime.groups.get(gid)
            if group is None or group.state is S.DEAD:
                out.append(DescribedGroup(group_id=gid, group_state=S.DEAD.value))
            else:
                out.append(group.described(req.api_version))
        self.runtime.send(origin, None, DescribeGroupsResponse(groups=tuple(out)))

    def _list_groups(self, req: ListGroupsRequest, origin: Any) -> None:
        rt = self.runtime
        error = self.precheck(None, _MANY_GROUPS, req)
        if error is not None:
            return rt.send(origin, None, ListGroupsResponse(error_code=error[0]))
        # Kafka lower-cases and trims the state names, and lower-cases the type names.
        states = {s.lower().strip() for s in req.states_filter} if req.api_version >= 4 else set()
        types = {t.lower() for t in req.types_filter} if req.api_version >= 5 else set()
        listed = []
        for gid in sorted(rt.groups):
            group = rt.groups[gid]
            if group.state is S.DEAD or not self.owns(gid):
                continue
            if states and group.state is not None and group.state.value.lower() not in states:
                continue
            if types and "classic" not in types:
                continue
            listed.append(group.listed())
        listed += [g for g in self.consumer_groups.list_groups(states, types) if self.owns(g.group_id)]
        rt.send(origin, None, ListGroupsResponse(groups=tuple(sorted(listed, key=lambda g: g.group_id))))

    # ------------------------------------------------------------------ internal errors

    def _recover(self, exc: Exception, group_id: Optional[str],
                 failed: Optional[tuple[Request, Any, Optional[Route]]] = None) -> None:
        """An exception inside a handler or a timer (a bug in kafkalab; Kafka's runtime answers
        the request UNKNOWN_SERVER_ERROR). kafkalab keeps every group alive (docs/differences.md):
        the failing request gets UNKNOWN_SERVER_ERROR, the group's parked JoinGroup and SyncGroup
        requests NOT_COORDINATOR (so their clients look the coordinator up again and rejoin), and
        the group is rebuilt from its last record, as a coordinator failover would rebuild it."""
        rt = self.runtime
        rt.emit(tr.InternalError(rt.now, group_id, f"{type(exc).__name__}: {exc}"))
        answered = rt.answered_origins()
        if failed is not None:
            request, origin, route = failed
            if origin not in answered:
                answered.add(origin)
                rt.send(origin, group_id, _error_response(request, route, ErrorCode.UNKNOWN_SERVER_ERROR))
        if group_id is not None and group_id in self.consumer_groups.groups:
            return cg.reload_group(rt, group_id)
        group = rt.groups.pop(group_id, None) if group_id is not None else None
        if group is None:
            return
        for member in group.members.values():
            join, sync = member.awaiting_join, member.awaiting_sync
            if join is not None and join.origin in answered:
                member.awaiting_join = None
            if sync is not None and sync.origin in answered:
                member.awaiting_sync = None
            if member.awaiting_join is not None:
                answer_join(rt, group, member, join_error(
                    member.awaiting_join.api_version, ErrorCode.NOT_COORDINATOR, member.member_id))
            answer_sync(rt, group, member, SyncGroupResponse(error_code=ErrorCode.NOT_COORDINATOR))
        rt.cancel_group_timers(group.group_id)
        rt.emit(tr.GroupRemoved(rt.now, group.group_id, tr.GroupRemovalReason.INTERNAL_ERROR))
        record = rt.log.groups.get(group.group_id)
        if record is not None or group.group_id in rt.log.offsets:
            reloaded = group_from_record(group.group_id, record)
            offsets.load_offsets(rt, group.group_id)
            rt.groups[group.group_id] = reloaded
            load_group(rt, reloaded, record)
            for member in reloaded.members.values():
                schedule_heartbeat(rt, reloaded, member)
        else:
            rt.offsets.pop(group.group_id, None)
        self._maybe_arm_offsets_expiry()

    # ------------------------------------------------------------------ timers

    def _fire(self, timer: Timer) -> None:
        rt = self.runtime
        match timer.key:
            case HeartbeatTimer(group_id, member_id):
                expire_heartbeat(rt, group_id, member_id)
            case JoinTimer(group_id):
                expire_join(rt, group_id, timer.payload)
            case SyncTimer(group_id):
                expire_pending_sync(rt, group_id, timer.payload)
            case OffsetsExpiryTimer():
                self._cleanup_group_metadata()
            case tuple():
                self.consumer_groups.on_timer(timer.key, timer.payload, rt.now)
            case _:
                assert_never(timer.key)

    def _cleanup_group_metadata(self) -> None:
        """Kafka's ``cleanupGroupMetadata`` (every ``offsets.retention.check.interval.ms``):
        expire offsets, then delete every Empty group left without offsets."""
        rt = self.runtime
        for gid in list(rt.groups):
            group = rt.groups[gid]
            if group.state is S.DEAD or not self.owns(gid) or self.partition_of(gid) in self.loading_partitions:
                continue
            all_expired = offsets.cleanup_expired_offsets(rt, group)
            if all_expired and group.state is S.EMPTY:
                offsets.delete_all_offsets(rt, gid)
                delete_group(rt, gid)
        cg.cleanup_consumer_groups(rt, self.serves)
        self._maybe_arm_offsets_expiry()

    def _maybe_arm_offsets_expiry(self) -> None:
        rt = self.runtime
        if any(offsets.has_committed_offsets(rt, gid) or g.state is S.EMPTY for gid, g in rt.groups.items()) \
                or any(offsets.has_committed_offsets(rt, gid) or g.state is ConsumerGroupState.EMPTY
                       for gid, g in self.consumer_groups.groups.items()):
            rt.ensure_offsets_expiry_timer()

    # ------------------------------------------------------------------ partition leadership

    def unload_partition(self, partition: int, now: int) -> list[Reply]:
        """This broker lost leadership of ``partition``: its groups go Dead and are dropped;
        parked requests are answered NOT_COORDINATOR so the clients rediscover the coordinator."""
        rt = self.runtime
        rt.start(now)
        if self.owned_partitions is not None:
            self.owned_partitions.discard(partition)
        else:
            self.owned_partitions = set(range(self.config.offsets_topic_num_partitions)) - {partition}
        self.loading_partitions.discard(partition)
        for group_id in [g for g in rt.groups if self.partition_of(g) == partition]:
            group = rt.groups.pop(group_id)
            rt.offsets.pop(group_id, None)
            unload_group(rt, group)
        for group_id in [g for g in self.consumer_groups.groups if self.partition_of(g) == partition]:
            cg.unload_group(rt, group_id)
        return rt.finish()

    def load_partition(self, partition: int, now: int, *, loading: bool = False) -> list[Reply]:
        """This broker became leader of ``partition``: read its groups back from the log.

        A group record with members loads as Stable (the rebalance state is not persisted) and
        every member gets a fresh session timer; one without members loads as Empty.  A consumer
        group is rebuilt by replaying its records; its members' session timers start when the
        partition has loaded (Kafka's ``onLoaded``).
        With ``loading=True`` the partition stays in the loading state (requests get
        COORDINATOR_LOAD_IN_PROGRESS) until :meth:`finish_loading`.
        """
        rt = self.runtime
        rt.start(now)
        if self.owned_partitions is not None:
            self.owned_partitions.add(partition)
        for group_id in rt.log.group_ids(partition):
            if group_id in rt.log.consumer_groups:  # Kafka replays the consumer group's records
                cg.load_group(rt, group_id)
                continue
            record = rt.log.groups.get(group_id)
            group = group_from_record(group_id, record)
            offsets.load_offsets(rt, group_id)
            rt.groups[group_id] = group
            load_group(rt, group, record)
        if loading:
            self.loading_partitions.add(partition)
        else:
            self._on_loaded(partition)
        return rt.finish()

    def finish_loading(self, partition: int, now: int | None = None) -> list[Reply]:
        """The partition finished loading: its groups are served and, as in Kafka's
        ``onLoaded``, every loaded member's session timer starts now."""
        rt = self.runtime
        rt.start(rt.now if now is None else now)
        if partition in self.loading_partitions:
            self.loading_partitions.discard(partition)
            self._on_loaded(partition)
        return rt.finish()

    def _on_loaded(self, partition: int) -> None:
        for group_id, group in self.runtime.groups.items():
            if self.partition_of(group_id) == partition:
                on_loaded(self.runtime, group)
        for group_id in self.consumer_groups.groups:
            if self.partition_of(group_id) == partition:
                self.consumer_groups.on_loaded(group_id, self.runtime.now)
        self._maybe_arm_offsets_expiry()
