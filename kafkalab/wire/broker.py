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
  brokers, the topics (with deterministic topic ids for v10+, :func:`~kafkalab.wire.topics.topic_id_for`)
  and ``__consumer_offsets``, whose partition leaders are the group coordinators; ListOffsets
  behaves as Kafka's does for a cluster with no replication to wait for.
* **Admin APIs** answer as Kafka's KRaft controller does (``ControllerApis`` and
  ``ReplicationControlManager``), with its checks, error codes and messages: CreateTopics,
  CreatePartitions (a topic only grows: INVALID_PARTITIONS otherwise) and DeleteTopics (by name
  or, v6+, by id; an unknown one gets UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID). A request
  whose ``timeout`` is 0 or negative has missed the controller's deadline: REQUEST_TIMED_OUT for
  every topic, nothing changed. A deleted topic is gone at once: Metadata, Produce, Fetch and
  ListOffsets answer for it as for a topic that never existed, parked Fetches return, and the
  coordinators drop the committed offsets of its partitions (Kafka's ``onPartitionsDeleted``). InitProducerId hands out producer ids for idempotent
  producers (Produce then checks their sequence numbers as Kafka does); there are no transactions.

Every entry point returns :class:`~kafkalab.Reply` objects. ``origin`` is an :class:`Origin`
(connection, correlation id, api version); the coordinators see the same origins, so their trace
says which connection sent what. A Produce with ``acks=0`` gets :data:`NO_RESPONSE` (or
:data:`CLOSE_CONNECTION` when it failed: Kafka then closes the connection so that the client
refreshes its metadata).
"""

from __future__ import annotations

import heapq
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
from ..java import hash_map_order
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
from .topics import (
    LEADER_EPOCH,
    PartitionLog,
    Topic,
    check_new_partitions,
    check_new_topic,
    placement,
    topic_id_for,
    valid_topic_name,
)

__all__ = ["Origin", "NoResponse", "NO_RESPONSE", "CLOSE_CONNECTION", "WireCluster"]

_MS = timedelta(milliseconds=1)
_ZERO_UUID = uuid.UUID(int=0)
_NO_AUTHORIZED_OPERATIONS = -(2**31)
_INTERNAL_TOPIC_MESSAGE = ("kafkalab cannot {verb} the internal topic {name}: its partitions are what "
                           "assigns groups to their coordinators")
# Kafka's default messages (Errors.java), which ApiError(error) carries.
_UNKNOWN_TOPIC_MESSAGE = "This server does not host this topic-partition."
_UNKNOWN_TOPIC_ID_MESSAGE = "This server does not host this topic ID."


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
        seed: seeds the member ids, so runs repeat exactly (topic ids are derived from the topic
            names: :func:`~kafkalab.wire.topics.topic_id_for`).
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
        self.topics: dict[str, Topic] = {}
        self._topics_by_id: dict[uuid.UUID, Topic] = {}
        #: How many times each topic name was created (its id changes with every re-creation).
        self._incarnations: dict[str, int] = {}
        self._parked: list[_ParkedFetch] = []
        self._seq = 0
        self._next_producer_id = 1000
        self._now = 0
        self._out: list[Reply] = []
        self._add_topic(OFFSETS_TOPIC, [self.cluster.replicas_of(p)
                                        for p in range(self.config.offsets_topic_num_partitions)], internal=True)

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

    def _placement(self, num_partitions: int, replication_factor: int) -> list[tuple[int, ...]]:
        return placement([b.node_id for b in self.cluster.live_brokers], num_partitions, replication_factor)

    def _check_new_topic(self, name: str, num_partitions: int, replication_factor: int) -> tuple[ErrorCode, Optional[str]]:
        return check_new_topic(name, num_partitions, replication_factor, exists=name in self.topics,
                               max_partitions=self.max_partitions, live_brokers=len(self.cluster.live_brokers))

    def _add_topic(self, name: str, replicas: list[tuple[int, ...]], *, internal: bool = False) -> Topic:
        incarnation = self._incarnations[name] = self._incarnations.get(name, -1) + 1
        tid = topic_id_for(name, incarnation)
        if tid in self._topics_by_id:  # pragma: no cover - a uuid5 collision
            raise RuntimeError(f"topic id {tid} of {name!r} is taken by {self._topics_by_id[tid].name!r}")
        topic = Topic(name, tid, [PartitionLog() for _ in replicas], replicas, is_internal=internal)
        self.topics[name] = topic
        self._topics_by_id[topic.topic_id] = topic
        return topic

    def _remove_topic(self, topic: Topic) -> None:
        """Delete a topic: it is gone for every API at once; parked Fetches of it return (Kafka
        completes a DelayedFetch whose partition went away) and the coordinators drop the
        committed offsets of its partitions (``GroupCoordinator.onPartitionsDeleted``)."""
        del self.topics[topic.name]
        del self._topics_by_id[topic.topic_id]
        partitions = [(topic.name, p) for p in range(topic.num_partitions)]
        for coordinator in self.coordinators.values():
            self._out.extend(coordinator.on_partitions_deleted(partitions, self._now))
        self._wake_fetches()

    def _grow_topic(self, topic: Topic, count: int, assignments: Optional[list[list[int]]]) -> None:
        start = topic.num_partitions
        if assignments is None:
            new = self._placement(count, topic.replication_factor)[start:]
        else:
            new = [tuple(a) for a in assignments]
        topic.replicas.extend(new)
        topic.partitions.extend(PartitionLog() for _ in new)

    def _check_growth(self, topic: Optional[Topic], name: str, count: int,
                      assignments: Optional[list[list[int]]]) -> tuple[ErrorCode, Optional[str]]:
        if topic is None:
            # ReplicationControlManager throws UnknownTopicOrPartitionException(): no message.
            return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None
        if topic.is_internal:
            return ErrorCode.INVALID_REQUEST, _INTERNAL_TOPIC_MESSAGE.format(verb="add partitions to", name=name)
        return check_new_partitions(name, topic.num_partitions, count, assignments,
                                    replication_factor=topic.replication_factor,
                                    known_brokers={b.node_id for b in self.cluster.brokers},
                                    max_partitions=self.max_partitions)

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

    def create_partitions(self, name: str, count: int) -> Topic:
        """Grow topic ``name`` to ``count`` partitions (as CreatePartitions would); return it.

        Raises:
            ValueError: no such topic, or ``count`` is not larger than its partition count (the
                message is Kafka's).
        """
        topic = self.topics.get(name)
        error, message = self._check_growth(topic, name, count, None)
        if error is not ErrorCode.NONE:
            raise ValueError(f"{error.name}: {message or f'no topic {name!r}'}")
        self._grow_topic(topic, count, None)
        return topic

    def delete_topic(self, name: str, now: int) -> list[Reply]:
        """Delete topic ``name`` (as DeleteTopics would); return the replies it caused (parked
        Fetches of the topic answered).

        Raises:
            ValueError: no such topic, or ``__consumer_offsets``.
        """
        topic = self.topics.get(name)
        if topic is None:
            raise ValueError(f"UNKNOWN_TOPIC_OR_PARTITION: no topic {name!r}")
        if topic.is_internal:
            raise ValueError("INVALID_REQUEST: " + _INTERNAL_TOPIC_MESSAGE.format(verb="delete", name=name))
        self._begin(now)
        self._remove_topic(topic)
        return self._end()

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

    # ------------------------------------------------------------ CreatePartitions

    def _create_partitions(self, node_id: int, header: RequestHeader, request: Any, origin: Any) -> None:
        """``ControllerApis.createPartitions`` and ``ReplicationControlManager.createPartitions``."""
        cls = kio.index.load_response_schema(37, header.api_version)
        names = [t.name for t in request.topics]
        seen: set[str] = set()
        duplicates = [n for n in names if n in seen or seen.add(n)]
        # Kafka collects the names in HashSets: the answer lists them in those sets' order.
        results = [{"name": n, "error_code": ErrorCode.INVALID_REQUEST, "error_message": "Duplicate topic name."}
                   for n in hash_map_order(dict.fromkeys(duplicates))]
        duplicated = set(duplicates)
        valid = [n for n in hash_map_order(dict.fromkeys(names)) if n not in duplicated]
        if valid and request.timeout // _MS <= 0:
            # The controller's deadline (now + timeout) passed before it ran: the whole request
            # fails with a TimeoutException (CreatePartitionsRequest.getErrorResponse).
            self._send(origin, build(cls, throttle_time=0, results=[
                {"name": n, "error_code": ErrorCode.REQUEST_TIMED_OUT, "error_message": None} for n in names]))
            return
        by_name = {t.name: t for t in reversed(request.topics)}  # Kafka's find(): the first entry
        for name in valid:
            t = by_name[name]
            assignments = None if t.assignments is None else [list(a.broker_ids) for a in t.assignments]
            topic = self.topics.get(name)
            error, message = self._check_growth(topic, name, t.count, assignments)
            if error is ErrorCode.NONE and not request.validate_only:
                self._grow_topic(topic, t.count, assignments)
            results.append({"name": name, "error_code": error, "error_message": message})
        self._send(origin, build(cls, throttle_time=0, results=results))

    # ------------------------------------------------------------ DeleteTopics

    def _delete_topics(self, node_id: int, header: RequestHeader, request: Any, origin: Any) -> None:
        """``ControllerApis.deleteTopics`` and ``ReplicationControlManager.deleteTopics``.

        The answers come in the order Kafka computes them; Kafka then shuffles them (so that their
        positions reveal nothing), which kafkalab does not.
        """
        v = header.api_version
        cls = kio.index.load_response_schema(20, v)
        if v >= 6:
            entries = [(t.name, t.topic_id or _ZERO_UUID) for t in request.topics]
        else:
            entries = [(n, _ZERO_UUID) for n in request.topic_names]
        results: list[dict] = []

        def answer(name: Optional[str], tid: uuid.UUID, error: ErrorCode, message: Optional[str]) -> None:
            results.append({"name": name, "topic_id": tid, "error_code": error, "error_message": message})

        names: dict[str, None] = {}
        duplicate_names: dict[str, None] = {}
        ids: dict[uuid.UUID, None] = {}
        duplicate_ids: dict[uuid.UUID, None] = {}
        for name, tid in entries:
            if name is None and tid == _ZERO_UUID:
                answer(None, _ZERO_UUID, ErrorCode.INVALID_REQUEST, "Neither topic name nor id were specified.")
            elif name is not None and tid != _ZERO_UUID:
                answer(name, tid, ErrorCode.INVALID_REQUEST, "You may not specify both topic name and topic id.")
            else:
                key, seen, dups = (name, names, duplicate_names) if name is not None else (tid, ids, duplicate_ids)
                if key in dups or key in seen:
                    dups[key] = None
                    seen.pop(key, None)
                else:
                    seen[key] = None
        for name in duplicate_names:
            answer(name, _ZERO_UUID, ErrorCode.INVALID_REQUEST, "Duplicate topic name.")
        for tid in duplicate_ids:
            answer(None, tid, ErrorCode.INVALID_REQUEST, "Duplicate topic id.")
        if (names or ids) and request.timeout // _MS <= 0:
            # The controller's deadline passed before it looked the topics up: every topic of
            # the request gets REQUEST_TIMED_OUT (DeleteTopicsRequest.getErrorResponse).
            self._send(origin, build(cls, throttle_time=0, responses=[
                {"name": name, "topic_id": tid, "error_code": ErrorCode.REQUEST_TIMED_OUT, "error_message": None}
                for name, tid in entries]))
            return
        to_delete: dict[uuid.UUID, Topic] = {}
        for tid in ids:
            topic = self._topics_by_id.get(tid)
            if topic is None:
                answer(None, tid, ErrorCode.UNKNOWN_TOPIC_ID, _UNKNOWN_TOPIC_ID_MESSAGE)
            else:
                to_delete[tid] = topic
        for name in names:
            topic = self.topics.get(name)
            if topic is None:
                answer(name, _ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, _UNKNOWN_TOPIC_MESSAGE)
            elif topic.topic_id in duplicate_ids or topic.topic_id in to_delete:
                duplicate_ids[topic.topic_id] = None
                to_delete.pop(topic.topic_id, None)
                answer(name, topic.topic_id, ErrorCode.INVALID_REQUEST,
                       "The provided topic name maps to an ID that was already supplied.")
            else:
                to_delete[topic.topic_id] = topic
        for tid, topic in to_delete.items():
            if topic.is_internal:
                answer(topic.name, tid, ErrorCode.INVALID_REQUEST,
                       _INTERNAL_TOPIC_MESSAGE.format(verb="delete", name=topic.name))
                continue
            self._remove_topic(topic)
            answer(topic.name, tid, ErrorCode.NONE, None)
        self._send(origin, build(cls, throttle_time=0, responses=results))

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
        20: _delete_topics,
        22: _init_producer_id,
        37: _create_partitions,
    }
