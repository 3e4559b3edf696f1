"""A small Kafka cluster behind the wire protocol, sans-IO: requests and time in, replies out.

How it works
------------
:class:`WireCluster` is what the brokers of a ``kafkalab serve`` cluster know, with no sockets
and no clock (the asyncio adapter, :mod:`kafkalab.wire.server`, passes ``now`` in milliseconds):

* **Group coordination is not reimplemented here.** The brokers are the core's
  :class:`~kafkalab.brokers.Brokers`, as in the simulation: one :class:`~kafkalab.Coordinator`
  per broker, owning the ``__consumer_offsets`` partitions its broker leads, all sharing one
  :class:`~kafkalab.grouplog.GroupLog`. FindCoordinator is :meth:`Cluster.handle_find_coordinator`;
  JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups and
  ListGroups go to the coordinator of the broker the connection is to, exactly as the
  simulation sends them (a group on another broker gets NOT_COORDINATOR from the coordinator).
  :meth:`WireCluster.move_coordinator` moves a group's partition to another broker, as a leader
  election would: the clients get NOT_COORDINATOR and find the new coordinator.
* **Topics** live in memory (:mod:`kafkalab.wire.topics`). A produced record batch is checked
  as Kafka checks it (:func:`~kafkalab.wire.records.validate_produce_records`) and stored with
  its base offset written into its header. Partition ``p`` of a topic is led by its first
  replica, broker ``p mod n``, for good; a request for a partition sent to another broker gets
  NOT_LEADER_OR_FOLLOWER, as in Kafka.
* **Fetch waits**, as Kafka's does: with less than ``min_bytes`` available it is parked until a
  produce brings enough data or ``max_wait`` expires (a timer, like the coordinator's).
* ApiVersions advertises exactly :data:`kafkalab.wire.codec.API_VERSIONS`; Metadata lists the
  brokers, the topics (with stable topic ids for v10+) and ``__consumer_offsets``, whose partition
  leaders are the group coordinators; CreateTopics and ListOffsets behave as Kafka's do for a
  cluster with no replication to wait for. InitProducerId hands out producer ids for idempotent
  producers (Produce then checks their sequence numbers as Kafka does); there are no transactions.

Every entry point returns :class:`~kafkalab.Reply` objects. ``origin`` is an :class:`Origin`
(connection, correlation id, api version); the coordinators see the same origins, so their trace
says which connection sent what. A Produce with ``acks=0`` gets :data:`NO_RESPONSE` (or
:data:`CLOSE_CONNECTION` when it failed: Kafka then closes the connection so that the client
refreshes its metadata).
"""

from __future__ import annotations

import heapq
import random
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, NamedTuple, Optional, Sequence

import kio.index

from .. import messages as m
from ..brokers import Brokers
from ..cluster import OFFSETS_TOPIC, Broker, Cluster
from ..config import CoordinatorConfig
from ..coordinator import Coordinator, Reply
from ..grouplog import GroupLog
from ..errors import ErrorCode
from ..sansio import SansIO
from .codec import (
    API_VERSIONS,
    OffsetFetchBatch,
    OffsetFetchBatchResponse,
    RequestHeader,
    UnsupportedApiVersions,
    build,
)
from .records import DEFAULT_MAX_MESSAGE_BYTES, validate_produce_records
from .topics import LEADER_EPOCH, PartitionLog, Topic, check_new_topic, placement, valid_topic_name

__all__ = ["Origin", "NoResponse", "NO_RESPONSE", "CLOSE_CONNECTION", "WireCluster"]

_MS = timedelta(milliseconds=1)
_ZERO_UUID = uuid.UUID(int=0)
_NO_AUTHORIZED_OPERATIONS = -(2**31)


class Origin(NamedTuple):
    """Where a request came from: the ``origin`` kafkalab's coordinators see from the wire."""

    connection: Any
    correlation_id: int
    api_version: int


@dataclass(frozen=True)
class NoResponse:
    """A request Kafka does not answer (Produce with ``acks=0``); ``close`` asks to close instead."""

    close: bool = False


NO_RESPONSE = NoResponse()
CLOSE_CONNECTION = NoResponse(close=True)


@dataclass
class _ParkedFetch:
    origin: Origin
    node_id: int
    header: RequestHeader
    request: Any
    deadline: int
    seq: int


# ---------------------------------------------------------------- the cluster

class WireCluster(SansIO):
    """The brokers of a kafkalab wire cluster: coordinators, topics, parked fetches.

    Args:
        brokers: the :class:`~kafkalab.cluster.Broker` records (host and port are what clients
            are told to connect to).
        config: the coordinators' configuration (Kafka's defaults when omitted).
        auto_create_topics: Kafka's ``auto.create.topics.enable`` (default true): a Metadata
            request naming an unknown topic creates it, with ``num_partitions`` partitions.
        num_partitions: Kafka's ``num.partitions`` (default 1), for auto-created topics and
            CreateTopics with ``num_partitions=-1``.
        max_message_bytes: Kafka's ``message.max.bytes``: the largest batch accepted.
        max_partitions: the most partitions one topic may have (not a Kafka limit; it keeps a
            stray CreateTopics from filling memory).
        cluster_id: what Metadata calls the cluster.
        seed: seeds the member ids and topic ids, so runs repeat exactly.
        trace: keep the coordinators' traces.
    """

    def __init__(
        self,
        brokers: Sequence[Broker],
        config: Optional[CoordinatorConfig] = None,
        *,
        auto_create_topics: bool = True,
        num_partitions: int = 1,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_partitions: int = 10_000,
        cluster_id: str = "kafkalab",
        seed: int = 0,
        trace: bool = True,
    ) -> None:
        self.config = config if config is not None else CoordinatorConfig()
        #: The core: the cluster's metadata, the shared log, one coordinator per broker.
        self.brokers = Brokers(list(brokers), self.config, seed=seed, trace=trace)
        self.auto_create_topics = auto_create_topics
        self.num_partitions = num_partitions
        self.max_message_bytes = max_message_bytes
        self.max_partitions = max_partitions
        self.cluster_id = cluster_id
        self.controller_id = self.cluster.brokers[0].node_id
        self._rng = random.Random(seed)
        self.topics: dict[str, Topic] = {}
        self._topics_by_id: dict[uuid.UUID, Topic] = {}
        self._parked: list[_ParkedFetch] = []
        self._seq = 0
        self._next_producer_id = 1000
        self._now = 0
        self._out: list[Reply] = []
        offsets = Topic(
            OFFSETS_TOPIC, self._new_topic_id(),
            [PartitionLog() for _ in range(self.config.offsets_topic_num_partitions)],
            [self.cluster.replicas_of(p) for p in range(self.config.offsets_topic_num_partitions)],
            is_internal=True,
        )
        self.topics[OFFSETS_TOPIC] = offsets
        self._topics_by_id[offsets.topic_id] = offsets

    # ------------------------------------------------------------ views

    @property
    def cluster(self) -> Cluster:
        """The cluster's metadata: the brokers, the leader of each ``__consumer_offsets`` partition."""
        return self.brokers.cluster

    @property
    def log(self) -> GroupLog:
        """The replicated ``__consumer_offsets`` every broker's coordinator reads and writes."""
        return self.brokers.log

    @property
    def coordinators(self) -> dict[int, Coordinator]:
        """Each broker's coordinator, by node id."""
        return self.brokers.coordinators

    def coordinator_for(self, group_id: str) -> Coordinator:
        """The coordinator (of the broker leading the group's ``__consumer_offsets`` partition)."""
        coordinator = self.brokers.coordinator_for(group_id)
        if coordinator is None:  # pragma: no cover - every partition has a leader here
            raise LookupError(f"no broker coordinates {group_id!r}")
        return coordinator

    def describe(self, group_id: str) -> dict:
        """The group's :meth:`Coordinator.describe` snapshot, from its coordinator."""
        return self.coordinator_for(group_id).describe(group_id)

    @property
    def trace(self) -> list:
        """Every coordinator's trace events, merged in time order (ties: broker order)."""
        return list(heapq.merge(*(c.trace for c in self.coordinators.values()), key=lambda e: e.at))

    def leader_of(self, topic: str, partition: int) -> int:
        t = self.topics[topic]
        if t.is_internal:
            leader = self.cluster.leader_of(partition)
            return -1 if leader is None else leader
        return t.leader(partition)

    def leader_epoch_of(self, topic: str, partition: int) -> int:
        """The partition's leader epoch: it moves for ``__consumer_offsets`` partitions only."""
        return self.cluster.leader_epoch_of(partition) if self.topics[topic].is_internal else LEADER_EPOCH

    # ------------------------------------------------------------ topics

    def _new_topic_id(self) -> uuid.UUID:
        while True:
            tid = uuid.UUID(int=self._rng.getrandbits(128), version=4)
            if tid not in self._topics_by_id and tid.int > 1:  # 0 and 1 are Kafka's reserved ids
                return tid

    def _placement(self, num_partitions: int, replication_factor: int) -> list[tuple[int, ...]]:
        return placement([b.node_id for b in self.cluster.live_brokers], num_partitions, replication_factor)

    def _check_new_topic(self, name: str, num_partitions: int, replication_factor: int) -> tuple[ErrorCode, Optional[str]]:
        return check_new_topic(name, num_partitions, replication_factor, exists=name in self.topics,
                               max_partitions=self.max_partitions, live_brokers=len(self.cluster.live_brokers))

    def _add_topic(self, name: str, replicas: list[tuple[int, ...]]) -> Topic:
        topic = Topic(name, self._new_topic_id(), [PartitionLog() for _ in replicas], replicas)
        self.topics[name] = topic
        self._topics_by_id[topic.topic_id] = topic
        return topic

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1) -> Topic:
        """Create a topic (as CreateTopics would); return it.

        Raises:
            ValueError: the topic exists, or the name, partition count or replication factor is
                invalid (the message is Kafka's).
        """
        error, message = self._check_new_topic(name, partitions, replication_factor)
        if error is not ErrorCode.NONE:
            raise ValueError(f"{error.name}: {message}")
        return self._add_topic(name, self._placement(partitions, replication_factor))

    # ------------------------------------------------------------ entry points

    def handle(self, node_id: int, header: RequestHeader, request: Any, origin: Origin, now: int) -> list[Reply]:
        """Serve one decoded request that arrived at broker ``node_id``; return every reply it caused.

        The replies may answer other connections too (the last JoinGroup completes everyone's,
        a Produce completes parked Fetches).
        """
        self._begin(now)
        if isinstance(request, m.FindCoordinatorRequest):
            self._send(origin, self.cluster.handle_find_coordinator(request))
        elif isinstance(request, OffsetFetchBatch):
            self._offset_fetch_batch(node_id, request, origin)
        elif isinstance(request, m.Request):
            replies = self.coordinators[node_id].handle(request, origin, now)
            if isinstance(request, m.OffsetFetchRequest) and request.api_version < 2:
                replies = [self._offset_fetch_v1(r, request) if r.origin == origin else r for r in replies]
            self._out.extend(replies)
        elif isinstance(request, UnsupportedApiVersions):
            self._send(origin, build(kio.index.load_response_schema(18, 0), error_code=ErrorCode.UNSUPPORTED_VERSION,
                                     api_keys=[{"api_key": 18, "min_version": API_VERSIONS[18][0],
                                                "max_version": API_VERSIONS[18][1]}]))
        else:
            handler = self._HANDLERS.get(header.api_key)
            if handler is None:
                raise TypeError(f"WireCluster cannot serve {header.api_name} ({type(request).__name__})")
            handler(self, node_id, header, request, origin)
        return self._end()

    def on_timer(self, now: int) -> list[Reply]:
        """Fire every coordinator timer and Fetch wait due at ``now``; return the replies."""
        self._begin(now)
        for coordinator in self.coordinators.values():
            deadline = coordinator.next_deadline()
            if deadline is not None and deadline <= now:
                self._out.extend(coordinator.on_timer(now))
        due = [p for p in self._parked if p.deadline <= now]
        if due:
            self._parked = [p for p in self._parked if p.deadline > now]
            for p in due:
                self._answer_fetch(p.node_id, p.header, p.request, p.origin, final=True)
        return self._end()

    def next_deadline(self) -> Optional[int]:
        """The earliest time :meth:`on_timer` has something to do, or None."""
        deadlines = [d for c in self.coordinators.values() if (d := c.next_deadline()) is not None]
        deadlines.extend(p.deadline for p in self._parked)
        return min(deadlines) if deadlines else None

    def move_coordinator(self, group_id: str, node_id: int, now: int) -> list[Reply]:
        """Make broker ``node_id`` the coordinator of ``group_id`` (:meth:`Brokers.move_coordinator
        <kafkalab.brokers.Brokers.move_coordinator>`): it leads the group's ``__consumer_offsets``
        partition from now on, with a new leader epoch, in FindCoordinator and Metadata answers; the
        old broker answers the partition's groups NOT_COORDINATOR, starting with their parked requests.

        Returns:
            The replies the move caused.

        Raises:
            ValueError: unknown or stopped broker, or one holding no replica of the partition.
        """
        self._begin(now)
        self._out.extend(reply for _, reply in self.brokers.move_coordinator(group_id, node_id, now))
        return self._end()

    def connection_closed(self, connection: Any) -> None:
        """Forget the parked Fetches of a closed connection (a parked JoinGroup stays, as in Kafka)."""
        self._parked = [p for p in self._parked if p.origin.connection != connection]

    # ------------------------------------------------------------ plumbing

    def _send(self, origin: Origin, response: Any) -> None:
        self._out.append(Reply(origin, response))

    # ------------------------------------------------------------ OffsetFetch shapes

    def _offset_fetch_batch(self, node_id: int, batch: OffsetFetchBatch, origin: Origin) -> None:
        coordinator = self.coordinators[node_id]
        groups = []
        for request in batch.requests:
            answer = None
            for reply in coordinator.handle(request, origin, self._now):
                if isinstance(reply.response, m.OffsetFetchResponse) and reply.origin == origin and answer is None:
                    answer = reply.response
                else:  # pragma: no cover - OffsetFetch answers only itself
                    self._out.append(reply)
            if answer is None:  # pragma: no cover
                answer = m.OffsetFetchResponse(error_code=ErrorCode.UNKNOWN_SERVER_ERROR)
            groups.append((request.group_id, answer))
        self._send(origin, OffsetFetchBatchResponse(tuple(groups)))

    @staticmethod
    def _offset_fetch_v1(reply: Reply, request: m.OffsetFetchRequest) -> Reply:
        # OffsetFetch v0-1 has no top-level error code: Kafka's getErrorResponse puts the group
        # error on every requested partition.
        response = reply.response
        if not isinstance(response, m.OffsetFetchResponse) or response.error_code == ErrorCode.NONE:
            return reply
        topics = tuple(
            m.OffsetFetchResponseTopic(t.name, tuple(
                m.OffsetFetchResponsePartition(p, -1, -1, "", response.error_code) for p in t.partition_indexes))
            for t in (request.topics or ()))
        return Reply(reply.origin, m.OffsetFetchResponse(error_code=response.error_code, topics=topics))

    # ------------------------------------------------------------ ApiVersions

    _SOFTWARE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?")

    def _api_versions(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        cls = kio.index.load_response_schema(18, header.api_version)
        if header.api_version >= 3 and not (
                self._SOFTWARE.fullmatch(request.client_software_name or "")
                and self._SOFTWARE.fullmatch(request.client_software_version or "")):
            # ApiVersionsRequest.isValid (KIP-511): Kafka answers INVALID_REQUEST, listing no APIs.
            self._send(origin, build(cls, error_code=ErrorCode.INVALID_REQUEST, api_keys=(), throttle_time=0))
            return
        keys = [{"api_key": k, "min_version": lo, "max_version": hi} for k, (lo, hi) in sorted(API_VERSIONS.items())]
        self._send(origin, build(cls, error_code=ErrorCode.NONE, api_keys=keys, throttle_time=0))

    # ------------------------------------------------------------ Metadata

    def _broker_entries(self) -> list[dict]:
        return [{"node_id": b.node_id, "host": b.host, "port": b.port, "rack": None} for b in self.cluster.live_brokers]

    def _topic_entry(self, topic: Topic) -> dict:
        partitions = []
        for p in range(topic.num_partitions):
            leader = self.leader_of(topic.name, p)
            replicas = topic.replicas[p]
            partitions.append({
                "error_code": ErrorCode.NONE if leader >= 0 else ErrorCode.LEADER_NOT_AVAILABLE,
                "partition_index": p, "leader_id": leader, "leader_epoch": self.leader_epoch_of(topic.name, p),
                "replica_nodes": replicas, "isr_nodes": replicas, "offline_replicas": (),
            })
        return {"error_code": ErrorCode.NONE, "name": topic.name, "topic_id": topic.topic_id,
                "is_internal": topic.is_internal, "partitions": partitions,
                "topic_authorized_operations": _NO_AUTHORIZED_OPERATIONS}

    @staticmethod
    def _topic_error(name: Optional[str], error: ErrorCode, topic_id: uuid.UUID = _ZERO_UUID) -> dict:
        return {"error_code": error, "name": name, "topic_id": topic_id, "is_internal": False, "partitions": (),
                "topic_authorized_operations": _NO_AUTHORIZED_OPERATIONS}

    def _metadata(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        v = header.api_version
        wanted = request.topics
        entries = []
        if wanted is None or (v == 0 and not wanted):
            entries = [self._topic_entry(t) for _, t in sorted(self.topics.items())]
        else:
            auto = self.auto_create_topics and (v < 4 or request.allow_auto_topic_creation)
            for item in wanted:
                name = item.name
                if name is None:  # v10+: by topic id
                    tid = getattr(item, "topic_id", None)
                    topic = self._topics_by_id.get(tid) if tid is not None else None
                    entries.append(self._topic_entry(topic) if topic else
                                   self._topic_error(None, ErrorCode.UNKNOWN_TOPIC_ID, tid or _ZERO_UUID))
                    continue
                topic = self.topics.get(name)
                if topic is not None:
                    entries.append(self._topic_entry(topic))
                elif not auto:
                    entries.append(self._topic_error(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
                elif valid_topic_name(name):
                    entries.append(self._topic_error(name, ErrorCode.INVALID_TOPIC_EXCEPTION))
                else:
                    # Kafka asks the controller to create it and answers LEADER_NOT_AVAILABLE;
                    # the client's next Metadata request finds the topic.
                    rf = 1
                    self._add_topic(name, self._placement(self.num_partitions, rf))
                    entries.append(self._topic_error(name, ErrorCode.LEADER_NOT_AVAILABLE))
        cls = kio.index.load_response_schema(3, v)
        self._send(origin, build(cls, throttle_time=0, brokers=self._broker_entries(), cluster_id=self.cluster_id,
                                 controller_id=self.controller_id, topics=entries,
                                 cluster_authorized_operations=_NO_AUTHORIZED_OPERATIONS,
                                 error_code=ErrorCode.NONE))

    # ------------------------------------------------------------ CreateTopics

    def _create_topics(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        names = [t.name for t in request.topics]
        duplicates = {n for n in names if names.count(n) > 1}
        results = []
        for t in request.topics:
            result = {"name": t.name, "topic_id": _ZERO_UUID, "error_code": ErrorCode.NONE, "error_message": None,
                      "num_partitions": -1, "replication_factor": -1, "configs": None}
            results.append(result)
            if t.name in duplicates:
                result.update(error_code=ErrorCode.INVALID_REQUEST,
                              error_message=f"Found multiple entries for topic {t.name} in the request")
                continue
            if t.assignments:
                if t.num_partitions != -1 or t.replication_factor != -1:
                    result.update(error_code=ErrorCode.INVALID_REQUEST,
                                  error_message="Both numPartitions or replicationFactor and replicasAssignments were set. "
                                                "Both cannot be used at the same time.")
                    continue
                known = {b.node_id for b in self.cluster.live_brokers}
                ordered = sorted(t.assignments, key=lambda a: a.partition_index)
                replicas = [tuple(a.broker_ids) for a in ordered]
                if ([a.partition_index for a in ordered] != list(range(len(ordered)))
                        or any(not r or len(set(r)) != len(r) or not set(r) <= known for r in replicas)):
                    result.update(error_code=ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                                  error_message="Invalid replica assignment")
                    continue
                partitions, rf = len(replicas), len(replicas[0])
            else:
                partitions = self.num_partitions if t.num_partitions == -1 else t.num_partitions
                rf = 1 if t.replication_factor == -1 else t.replication_factor
                replicas = None
            error, message = self._check_new_topic(t.name, partitions, rf)
            if error is not ErrorCode.NONE:
                result.update(error_code=error, error_message=message)
                continue
            result.update(num_partitions=partitions, replication_factor=rf, configs=())
            if not request.validate_only:
                topic = self._add_topic(t.name, replicas or self._placement(partitions, rf))
                result["topic_id"] = topic.topic_id
        cls = kio.index.load_response_schema(19, header.api_version)
        self._send(origin, build(cls, throttle_time=0, topics=results))

    # ------------------------------------------------------------ Produce

    def _leader_fields(self, topic: Topic, partition: int) -> dict:
        leader, epoch = self.leader_of(topic.name, partition), self.leader_epoch_of(topic.name, partition)
        return {"current_leader": {"leader_id": leader, "leader_epoch": epoch}}

    def _produce(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        v = header.api_version
        acks = request.acks
        any_error = False
        appended = False
        endpoints: set[int] = set()
        topics = []
        for td in request.topic_data:
            name = getattr(td, "name", None)
            topic = self.topics.get(name) if name is not None else None
            parts = []
            for pd in td.partition_data:
                p = pd.index
                out = {"index": p, "base_offset": -1, "log_append_time": -1, "log_start_offset": -1,
                       "record_errors": (), "error_message": None, "error_code": ErrorCode.NONE}
                parts.append(out)
                if acks not in (-1, 0, 1):
                    out["error_code"] = ErrorCode.INVALID_REQUIRED_ACKS
                elif topic is None or not 0 <= p < topic.num_partitions:
                    out["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                elif topic.is_internal:
                    out.update(error_code=ErrorCode.INVALID_TOPIC_EXCEPTION,
                               error_message=f"Cannot append to internal topic {topic.name}")
                elif topic.leader(p) != node_id:
                    out.update(error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER, **self._leader_fields(topic, p))
                    endpoints.add(topic.leader(p))
                else:
                    error, message, batch = validate_produce_records(
                        pd.records, v, max_message_bytes=self.max_message_bytes)
                    log = topic.partitions[p]
                    duplicate = None
                    if error is ErrorCode.NONE:
                        error, message, duplicate = log.check_producer(batch)
                    if error is not ErrorCode.NONE:
                        out.update(error_code=error, error_message=message)
                    elif duplicate is not None:
                        out.update(base_offset=duplicate, log_start_offset=log.log_start_offset)
                    else:
                        out.update(base_offset=log.append(batch), log_start_offset=log.log_start_offset)
                        appended = True
                any_error = any_error or out["error_code"] != ErrorCode.NONE
            topics.append({"name": name, "partition_responses": parts})
        if acks == 0:
            self._send(origin, CLOSE_CONNECTION if any_error else NO_RESPONSE)
        else:
            cls = kio.index.load_response_schema(0, v)
            self._send(origin, build(cls, responses=topics, throttle_time=0,
                                     node_endpoints=self._endpoints(endpoints)))
        if appended:
            self._wake_fetches()

    def _endpoints(self, node_ids: Iterable[int]) -> list[dict]:
        return [{"node_id": b.node_id, "host": b.host, "port": b.port, "rack": None}
                for b in self.cluster.brokers if b.node_id in set(node_ids)]

    # ------------------------------------------------------------ Fetch

    def _fetch(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        if not self._answer_fetch(node_id, header, request, origin, final=False):
            self._seq += 1
            wait = max(0, request.max_wait // _MS)
            self._parked.append(_ParkedFetch(origin, node_id, header, request, self._now + wait, self._seq))

    def _wake_fetches(self) -> None:
        if not self._parked:
            return
        parked, self._parked = self._parked, []
        for p in parked:
            if not self._answer_fetch(p.node_id, p.header, p.request, p.origin, final=False):
                self._parked.append(p)

    def _resolve(self, header: RequestHeader, topic_field: Any) -> tuple[Optional[Topic], Optional[str], Optional[uuid.UUID]]:
        if header.api_version >= 13:
            tid = topic_field.topic_id
            topic = self._topics_by_id.get(tid)
            return topic, (topic.name if topic else None), tid
        name = topic_field.topic
        topic = self.topics.get(name)
        return topic, name, (topic.topic_id if topic else _ZERO_UUID)

    def _answer_fetch(self, node_id: int, header: RequestHeader, request: Any, origin: Origin, *, final: bool) -> bool:
        """Answer the Fetch if it may be answered now (or ``final``); return whether it was."""
        v = header.api_version
        cls = kio.index.load_response_schema(1, v)
        session_id = request.session_id if v >= 7 else 0
        epoch = request.session_epoch if v >= 7 else -1
        if session_id != 0 or epoch not in (0, -1):
            # kafkalab never creates a fetch session (its answers carry session_id 0, which Kafka
            # uses for "no session"), so a client never has one to refer to.
            error = ErrorCode.FETCH_SESSION_ID_NOT_FOUND if session_id != 0 else ErrorCode.INVALID_FETCH_SESSION_EPOCH
            self._send(origin, build(cls, throttle_time=0, error_code=error, session_id=0, responses=()))
            return True
        read_committed = request.isolation_level == 1
        remaining = request.max_bytes if v >= 3 else 2**31 - 1
        total = 0
        has_error = False
        endpoints: set[int] = set()
        responses = []
        for t in request.topics:
            topic, name, tid = self._resolve(header, t)
            parts = []
            for fp in t.partitions:
                p = fp.partition
                out = {"partition_index": p, "error_code": ErrorCode.NONE, "high_watermark": -1,
                       "last_stable_offset": -1, "log_start_offset": -1,
                       "aborted_transactions": () if read_committed else None,
                       "preferred_read_replica": -1, "records": b""}
                parts.append(out)
                if topic is None or not 0 <= p < topic.num_partitions:
                    out["error_code"] = (ErrorCode.UNKNOWN_TOPIC_ID if v >= 13 and topic is None
                                         else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                    has_error = True
                    continue
                leader = self.leader_of(topic.name, p)
                if leader != node_id:
                    out.update(error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER, **self._leader_fields(topic, p))
                    endpoints.add(leader)
                    has_error = True
                    continue
                log = topic.partitions[p]
                out.update(high_watermark=log.next_offset, last_stable_offset=log.next_offset,
                           log_start_offset=log.log_start_offset)
                error = self._check_leader_epoch(topic, p, getattr(fp, "current_leader_epoch", -1))
                if error is not None:
                    out["error_code"] = error
                    has_error = True
                    continue
                offset = fp.fetch_offset
                if offset < log.log_start_offset or offset > log.next_offset:
                    out["error_code"] = ErrorCode.OFFSET_OUT_OF_RANGE
                    has_error = True
                    continue
                limit = max(0, min(fp.partition_max_bytes, remaining))
                data = log.read(offset, limit, min_one=(total == 0))
                out["records"] = data
                total += len(data)
                remaining -= len(data)
            responses.append({"topic": name, "topic_id": tid, "partitions": parts})
        wait = request.max_wait // _MS
        if not (final or has_error or total >= request.min_bytes or wait <= 0):
            return False
        self._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.NONE, session_id=0,
                                 responses=responses, node_endpoints=self._endpoints(endpoints)))
        return True

    def _check_leader_epoch(self, topic: Topic, partition: int, asked: int) -> Optional[ErrorCode]:
        """Kafka's ``Partition.checkCurrentLeaderEpoch``: a client's epoch (-1: none) must be the leader's."""
        epoch = self.leader_epoch_of(topic.name, partition)
        if asked > epoch:
            return ErrorCode.UNKNOWN_LEADER_EPOCH
        if 0 <= asked < epoch:
            return ErrorCode.FENCED_LEADER_EPOCH
        return None

    # ------------------------------------------------------------ ListOffsets

    def _list_offsets(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        v = header.api_version
        topics = []
        for t in request.topics:
            topic = self.topics.get(t.name)
            parts = []
            for lp in t.partitions:
                p = lp.partition_index
                out = {"partition_index": p, "error_code": ErrorCode.NONE, "timestamp": -1, "offset": -1,
                       "leader_epoch": -1}
                parts.append(out)
                if topic is None or not 0 <= p < topic.num_partitions:
                    out["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                    continue
                if self.leader_of(topic.name, p) != node_id:
                    out["error_code"] = ErrorCode.NOT_LEADER_OR_FOLLOWER
                    continue
                error = self._check_leader_epoch(topic, p, getattr(lp, "current_leader_epoch", -1))
                if error is not None:
                    out["error_code"] = error
                    continue
                log = topic.partitions[p]
                ts = lp.timestamp
                found: Optional[tuple[int, int]]
                if ts in (-2, -4):      # EARLIEST, EARLIEST_LOCAL (KIP-405: no tiered storage here)
                    found = (-1, log.log_start_offset)
                elif ts == -1:          # LATEST: the high watermark (= last stable offset: no transactions)
                    found = (-1, log.next_offset)
                elif ts == -3:          # MAX_TIMESTAMP (KIP-734)
                    found = log.max_timestamp()
                elif ts >= 0:
                    found = log.offset_for_timestamp(ts)
                else:                   # LATEST_TIERED (-5) and anything else: no such offset
                    found = None
                if found is not None:
                    # Every record of a partition here was written in its current leader epoch
                    # (data partitions never change leader; __consumer_offsets logs stay empty).
                    out.update(timestamp=found[0], offset=found[1], leader_epoch=self.leader_epoch_of(t.name, p))
            topics.append({"name": t.name, "partitions": parts})
        cls = kio.index.load_response_schema(2, v)
        self._send(origin, build(cls, throttle_time=0, topics=topics))

    # ------------------------------------------------------------ InitProducerId

    def _init_producer_id(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        cls = kio.index.load_response_schema(22, header.api_version)
        if request.transactional_id is not None:
            # A transactional producer needs a transaction coordinator, which kafkalab does not have.
            self._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.INVALID_REQUEST,
                                     producer_id=-1, producer_epoch=-1))
            return
        # Without a transactional id Kafka always hands out a new producer id, epoch 0.
        self._next_producer_id += 1
        self._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.NONE,
                                 producer_id=self._next_producer_id - 1, producer_epoch=0))

    _HANDLERS = {
        0: _produce,
        1: _fetch,
        2: _list_offsets,
        3: _metadata,
        18: _api_versions,
        19: _create_topics,
        22: _init_producer_id,
    }
