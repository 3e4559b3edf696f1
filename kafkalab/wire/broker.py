"""A small Kafka cluster behind the wire protocol, sans-IO: requests and time in, replies out.

How it works
------------
:class:`WireCluster` is what the brokers of a ``kafkalab serve`` cluster know, with no sockets
and no clock (the asyncio adapter, :mod:`kafkalab.wire.server`, passes ``now`` in milliseconds).
:meth:`WireCluster.handle` looks the request's API key up in one table, ``WireCluster._HANDLERS``,
whose handlers live where Kafka's seams are:

* **The group APIs** (here) go to the core: group coordination is not reimplemented. The
  brokers are the core's :class:`~kafkalab.brokers.Brokers`, as in the simulation: one
  :class:`~kafkalab.Coordinator` per broker, owning the ``__consumer_offsets`` partitions its
  broker leads, all sharing one :class:`~kafkalab.grouplog.GroupLog`. FindCoordinator is
  :meth:`Cluster.handle_find_coordinator`;
  JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
  ListGroups and KIP-848's ConsumerGroupHeartbeat and ConsumerGroupDescribe go to the
  coordinator of the broker the connection is to, exactly as the simulation sends them (a group
  on another broker gets NOT_COORDINATOR from the coordinator).
  :meth:`WireCluster.move_coordinator` moves a group's partition to another broker, as a leader
  election would: the clients get NOT_COORDINATOR and find the new coordinator.
* **ApiVersions and Metadata** (here): ApiVersions advertises exactly
  :data:`kafkalab.wire.codec.API_VERSIONS`; Metadata lists the brokers, the topics (with
  topic ids for v10+) and ``__consumer_offsets``, whose partition leaders are the group
  coordinators.
* **Topics** live in memory (:mod:`kafkalab.wire.topics`), in the cluster. Partition ``p`` of a
  topic is led by its first replica, broker ``p mod n``, for good; a request for a partition sent
  to another broker gets NOT_LEADER_OR_FOLLOWER, as in Kafka.
* **The coordinators' metadata**: when a topic is created, grows or is deleted, the core's
  :class:`~kafkalab.modern.MetadataImage` (:attr:`WireCluster.metadata`) follows and every
  coordinator is given it (Kafka's ``onNewMetadataImage``), so consumer groups (KIP-848) see the
  topics the clients see. A topic's id is the image's
  (:func:`kafkalab.modern.metadata.topic_id_for`), so Metadata v10+, Fetch v13+ and
  ConsumerGroupHeartbeat name a topic with the same id.
* **The partition data plane** (:mod:`kafkalab.wire.data`): Produce checks a record batch as
  Kafka does and stores it; Fetch waits as Kafka's does (with less than ``min_bytes`` available
  it is parked until a produce brings enough data or ``max_wait`` expires, a timer like the
  coordinator's); ListOffsets behaves as Kafka's does for a cluster with no replication to wait
  for; InitProducerId hands out producer ids for idempotent producers (Produce then checks their
  sequence numbers as Kafka does); there are no transactions.
* **The admin APIs** (:mod:`kafkalab.wire.admin`) answer as Kafka's KRaft controller does:
  CreateTopics, CreatePartitions, DeleteTopics. A deleted topic is gone at once: Metadata,
  Produce, Fetch and ListOffsets answer for it as for a topic that never existed, parked Fetches
  return, and the coordinators drop the committed offsets of its partitions (Kafka's
  ``onPartitionsDeleted``).

The handlers of :mod:`~kafkalab.wire.data` and :mod:`~kafkalab.wire.admin` are plain functions
``handler(cluster, node_id, header, request, origin)``; they are the cluster's own code, so they
use its underscored members (``_send``, ``_add_topic``, ``_topics_by_id``, ...).

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
from typing import Any, Callable, NamedTuple, Optional, Sequence

import kio.index

from .. import messages as m
from ..brokers import Brokers
from ..cluster import OFFSETS_TOPIC, Broker, Cluster
from ..config import CoordinatorConfig
from ..coordinator import Coordinator, Reply
from ..grouplog import GroupLog
from ..modern.metadata import MetadataImage
from ..errors import ErrorCode
from ..sansio import SansIO
from . import admin, data
from .admin import INTERNAL_TOPIC_MESSAGE, check_create_partitions, check_create_topic
from .codec import (
    API_VERSIONS,
    OffsetFetchBatch,
    OffsetFetchBatchResponse,
    RequestHeader,
    UnsupportedApiVersions,
    build,
    uuid_from_text,
)
from .data import CLOSE_CONNECTION, NO_RESPONSE, FetchPurgatory, NoResponse
from .records import DEFAULT_MAX_MESSAGE_BYTES
from .topics import (
    LEADER_EPOCH,
    PartitionLog,
    Topic,
    placement,
    valid_topic_name,
)

__all__ = ["Origin", "NoResponse", "NO_RESPONSE", "CLOSE_CONNECTION", "WireCluster"]

_ZERO_UUID = uuid.UUID(int=0)
_NO_AUTHORIZED_OPERATIONS = -(2**31)


class Origin(NamedTuple):
    """Where a request came from: the ``origin`` kafkalab's coordinators see from the wire."""

    connection: Any
    correlation_id: int
    api_version: int


#: A request handler: ``handler(cluster, node_id, header, request, origin)`` sends its answers.
Handler = Callable[["WireCluster", int, RequestHeader, Any, Origin], None]


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
            names: :func:`kafkalab.modern.metadata.topic_id_for`).
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
        #: The Fetches waiting for data (:mod:`kafkalab.wire.data`).
        self._fetches = FetchPurgatory(self)
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
    def metadata(self) -> MetadataImage:
        """The topics as the coordinators see them (the core's image: names, ids, partition counts)."""
        return self.brokers.metadata

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

    def _publish(self, **changed: int) -> None:
        """The topics changed: the core's image follows (a new topic gets its id there) and every
        coordinator is given it (:meth:`Brokers.update_topics <kafkalab.brokers.Brokers.update_topics>`,
        Kafka's ``onNewMetadataImage``). ``changed`` overrides partition counts by topic name."""
        partitions = {name: t.num_partitions for name, t in self.topics.items()}
        partitions.update(changed)
        self._out.extend(r.reply for r in self.brokers.update_topics(partitions, self._now))

    def _add_topic(self, name: str, replicas: list[tuple[int, ...]], *, internal: bool = False) -> Topic:
        self._publish(**{name: len(replicas)})
        tid = uuid_from_text(self.metadata.topic(name).topic_id)
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
        self._publish()
        for coordinator in self.coordinators.values():
            self._out.extend(coordinator.on_partitions_deleted(partitions, self._now))
        self._fetches.wake()

    def _grow_topic(self, topic: Topic, count: int, assignments: Optional[list[list[int]]]) -> None:
        start = topic.num_partitions
        if assignments is None:
            new = self._placement(count, topic.replication_factor)[start:]
        else:
            new = [tuple(a) for a in assignments]
        topic.replicas.extend(new)
        topic.partitions.extend(PartitionLog() for _ in new)
        self._publish()

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1) -> Topic:
        """Create a topic (as CreateTopics would); return it.

        Raises:
            ValueError: the topic exists, or the name, partition count or replication factor is
                invalid (the message is Kafka's).
        """
        error, message = check_create_topic(self, name, partitions, replication_factor)
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
        error, message = check_create_partitions(self, topic, name, count, None)
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
            raise ValueError("INVALID_REQUEST: " + INTERNAL_TOPIC_MESSAGE.format(verb="delete", name=name))
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
        self._fetches.expire(now)
        return self._end()

    def next_deadline(self) -> Optional[int]:
        """The earliest time :meth:`on_timer` has something to do, or None."""
        deadlines = [d for c in self.coordinators.values() if (d := c.next_deadline()) is not None]
        deadlines.extend(self._fetches.deadlines())
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
        self._fetches.connection_closed(connection)

    # ------------------------------------------------------------ plumbing

    def _send(self, origin: Origin, response: Any) -> None:
        self._out.append(Reply(origin, response))

    # ------------------------------------------------------------ the group APIs

    def _to_coordinator(self, node_id: int, header: RequestHeader, request: m.Request, origin: Origin) -> None:
        """A group API: the coordinator of the broker the connection is to answers it (it answers
        NOT_COORDINATOR for a group whose ``__consumer_offsets`` partition another broker leads)."""
        self._out.extend(self.coordinators[node_id].handle(request, origin, self._now))

    def _find_coordinator(self, node_id: int, header: RequestHeader, request: m.FindCoordinatorRequest,
                          origin: Origin) -> None:
        """Any broker answers FindCoordinator, from the cluster's metadata."""
        self._send(origin, self.cluster.handle_find_coordinator(request))

    def _offset_fetch(self, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
        """OffsetFetch goes to the coordinator too, in the shape its version has: v8+ asks for a
        batch of groups; v0-1 have no top-level error code."""
        if isinstance(request, OffsetFetchBatch):
            self._offset_fetch_batch(node_id, request, origin)
            return
        replies = self.coordinators[node_id].handle(request, origin, self._now)
        if request.api_version < 2:
            replies = [self._offset_fetch_v1(r, request) if r.origin == origin else r for r in replies]
        self._out.extend(replies)

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
        if isinstance(request, UnsupportedApiVersions):
            # A version the codec cannot read (KIP-511): Kafka answers in v0, UNSUPPORTED_VERSION,
            # with the ApiVersions versions it serves.
            self._send(origin, build(kio.index.load_response_schema(18, 0), error_code=ErrorCode.UNSUPPORTED_VERSION,
                                     api_keys=[{"api_key": 18, "min_version": API_VERSIONS[18][0],
                                                "max_version": API_VERSIONS[18][1]}]))
            return
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

    # ------------------------------------------------------------ the handler table

    #: Every API the brokers serve, by API key: ``handler(cluster, node_id, header, request, origin)``.
    #: A group API goes to a coordinator of the core: adding one is adding its key here.
    _HANDLERS: dict[int, Handler] = {
        # the group APIs: the core's coordinators (FindCoordinator: the cluster's metadata)
        8: _to_coordinator,             # OffsetCommit
        9: _offset_fetch,
        10: _find_coordinator,
        11: _to_coordinator,            # JoinGroup
        12: _to_coordinator,            # Heartbeat
        13: _to_coordinator,            # LeaveGroup
        14: _to_coordinator,            # SyncGroup
        15: _to_coordinator,            # DescribeGroups
        16: _to_coordinator,            # ListGroups
        68: _to_coordinator,            # ConsumerGroupHeartbeat (KIP-848)
        69: _to_coordinator,            # ConsumerGroupDescribe (KIP-848)
        # the broker's own answers
        3: _metadata,
        18: _api_versions,
        # the partition data plane: kafkalab.wire.data
        0: data.produce,
        1: data.fetch,
        2: data.list_offsets,
        22: data.init_producer_id,
        # the controller: kafkalab.wire.admin
        19: admin.create_topics,
        20: admin.delete_topics,
        37: admin.create_partitions,
    }
