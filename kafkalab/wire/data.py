"""The partition data plane of a :class:`~kafkalab.wire.broker.WireCluster`: Produce, Fetch,
ListOffsets, InitProducerId. Sans-IO.

How it works
------------
Each handler is a plain function ``handler(cluster, node_id, header, request, origin)``, registered
in the cluster's one handler table (``WireCluster._HANDLERS``); it reads the cluster's topics and
sends its answer with the cluster's ``_send``. What Kafka's ``ReplicaManager`` and
``KafkaApis`` do for a partition, kafkalab does here for a cluster with no replication to wait
for:

* :func:`produce` checks each batch as Kafka does
  (:func:`~kafkalab.wire.records.validate_produce_records`, then the idempotent producer's
  sequence: :meth:`~kafkalab.wire.topics.PartitionLog.check_producer`) and appends it. A
  partition sent to a broker that does not lead it gets NOT_LEADER_OR_FOLLOWER with the leader.
  With ``acks=0`` there is no answer: :data:`NO_RESPONSE`, or :data:`CLOSE_CONNECTION` when a
  partition failed (Kafka then closes the connection so that the client refreshes its metadata).
* :func:`fetch` answers at once when it has ``min_bytes`` of data, an error, or no wait;
  otherwise the request waits in the :class:`FetchPurgatory` (Kafka's delayed-fetch purgatory)
  until a produce or a topic deletion lets it complete, or ``max_wait`` expires.
* :func:`list_offsets` finds an offset by timestamp or by Kafka's special timestamps (earliest,
  latest, max timestamp); :func:`init_producer_id` hands out producer ids for idempotent
  producers (there are no transactions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterable, Optional

import kio.index

from ..errors import ErrorCode
from .codec import RequestHeader, build
from .records import validate_produce_records
from .topics import Topic

if TYPE_CHECKING:
    from .broker import Origin, WireCluster

__all__ = ["NoResponse", "NO_RESPONSE", "CLOSE_CONNECTION", "FetchPurgatory", "produce", "fetch", "list_offsets",
           "init_producer_id"]

_MS = timedelta(milliseconds=1)
_ZERO_UUID = uuid.UUID(int=0)


@dataclass(frozen=True)
class NoResponse:
    """A request Kafka does not answer (Produce with ``acks=0``); ``close`` asks to close instead."""

    close: bool = False


NO_RESPONSE = NoResponse()
CLOSE_CONNECTION = NoResponse(close=True)


# ---------------------------------------------------------------- Produce

def produce(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
    v = header.api_version
    acks = request.acks
    any_error = False
    appended = False
    endpoints: set[int] = set()
    topics = []
    for td in request.topic_data:
        name = getattr(td, "name", None)
        topic = cluster.topics.get(name) if name is not None else None
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
                out.update(error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER, **_leader_fields(cluster, topic, p))
                endpoints.add(topic.leader(p))
            else:
                error, message, batch = validate_produce_records(
                    pd.records, v, max_message_bytes=cluster.max_message_bytes)
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
        cluster._send(origin, CLOSE_CONNECTION if any_error else NO_RESPONSE)
    else:
        cls = kio.index.load_response_schema(0, v)
        cluster._send(origin, build(cls, responses=topics, throttle_time=0,
                                    node_endpoints=_endpoints(cluster, endpoints)))
    if appended:
        cluster._fetches.wake()


def _leader_fields(cluster: WireCluster, topic: Topic, partition: int) -> dict:
    leader, epoch = cluster.leader_of(topic.name, partition), cluster.leader_epoch_of(topic.name, partition)
    return {"current_leader": {"leader_id": leader, "leader_epoch": epoch}}


def _endpoints(cluster: WireCluster, node_ids: Iterable[int]) -> list[dict]:
    return [{"node_id": b.node_id, "host": b.host, "port": b.port, "rack": None}
            for b in cluster.cluster.brokers if b.node_id in set(node_ids)]


# ---------------------------------------------------------------- Fetch

def fetch(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
    if not _answer_fetch(cluster, node_id, header, request, origin, final=False):
        wait = max(0, request.max_wait // _MS)
        cluster._fetches.park(origin, node_id, header, request, cluster._now + wait)


@dataclass
class _ParkedFetch:
    origin: Origin
    node_id: int
    header: RequestHeader
    request: Any
    deadline: int
    seq: int


class FetchPurgatory:
    """The Fetches waiting for data (Kafka's delayed-fetch purgatory), of one cluster.

    A parked Fetch is tried again whenever data may have come (:meth:`wake`: after a produce that
    appended, after a topic deletion) and answered as it stands at its deadline (:meth:`expire`).
    """

    def __init__(self, cluster: WireCluster) -> None:
        self.cluster = cluster
        self._parked: list[_ParkedFetch] = []
        self._seq = 0

    def park(self, origin: Origin, node_id: int, header: RequestHeader, request: Any, deadline: int) -> None:
        self._seq += 1
        self._parked.append(_ParkedFetch(origin, node_id, header, request, deadline, self._seq))

    def wake(self) -> None:
        """Answer every parked Fetch that may be answered now; the others keep waiting."""
        if not self._parked:
            return
        parked, self._parked = self._parked, []
        for p in parked:
            if not _answer_fetch(self.cluster, p.node_id, p.header, p.request, p.origin, final=False):
                self._parked.append(p)

    def expire(self, now: int) -> None:
        """Answer every parked Fetch whose ``max_wait`` is over at ``now``, with what there is."""
        due = [p for p in self._parked if p.deadline <= now]
        if due:
            self._parked = [p for p in self._parked if p.deadline > now]
            for p in due:
                _answer_fetch(self.cluster, p.node_id, p.header, p.request, p.origin, final=True)

    def deadlines(self) -> list[int]:
        """When each parked Fetch expires."""
        return [p.deadline for p in self._parked]

    def connection_closed(self, connection: Any) -> None:
        """Forget the parked Fetches of a closed connection."""
        self._parked = [p for p in self._parked if p.origin.connection != connection]


def _resolve(cluster: WireCluster, header: RequestHeader,
             topic_field: Any) -> tuple[Optional[Topic], Optional[str], Optional[uuid.UUID]]:
    if header.api_version >= 13:
        tid = topic_field.topic_id
        topic = cluster._topics_by_id.get(tid)
        return topic, (topic.name if topic else None), tid
    name = topic_field.topic
    topic = cluster.topics.get(name)
    return topic, name, (topic.topic_id if topic else _ZERO_UUID)


def _answer_fetch(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin, *,
                 final: bool) -> bool:
    """Answer the Fetch if it may be answered now (or ``final``); return whether it was."""
    v = header.api_version
    cls = kio.index.load_response_schema(1, v)
    session_id = request.session_id if v >= 7 else 0
    epoch = request.session_epoch if v >= 7 else -1
    if session_id != 0 or epoch not in (0, -1):
        # kafkalab never creates a fetch session (its answers carry session_id 0, which Kafka
        # uses for "no session"), so a client never has one to refer to.
        error = ErrorCode.FETCH_SESSION_ID_NOT_FOUND if session_id != 0 else ErrorCode.INVALID_FETCH_SESSION_EPOCH
        cluster._send(origin, build(cls, throttle_time=0, error_code=error, session_id=0, responses=()))
        return True
    read_committed = request.isolation_level == 1
    remaining = request.max_bytes if v >= 3 else 2**31 - 1
    total = 0
    has_error = False
    endpoints: set[int] = set()
    responses = []
    for t in request.topics:
        topic, name, tid = _resolve(cluster, header, t)
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
            leader = cluster.leader_of(topic.name, p)
            if leader != node_id:
                out.update(error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER, **_leader_fields(cluster, topic, p))
                endpoints.add(leader)
                has_error = True
                continue
            log = topic.partitions[p]
            out.update(high_watermark=log.next_offset, last_stable_offset=log.next_offset,
                       log_start_offset=log.log_start_offset)
            error = _check_leader_epoch(cluster, topic, p, getattr(fp, "current_leader_epoch", -1))
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
    cluster._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.NONE, session_id=0,
                                responses=responses, node_endpoints=_endpoints(cluster, endpoints)))
    return True


def _check_leader_epoch(cluster: WireCluster, topic: Topic, partition: int, asked: int) -> Optional[ErrorCode]:
    """Kafka's ``Partition.checkCurrentLeaderEpoch``: a client's epoch (-1: none) must be the leader's."""
    epoch = cluster.leader_epoch_of(topic.name, partition)
    if asked > epoch:
        return ErrorCode.UNKNOWN_LEADER_EPOCH
    if 0 <= asked < epoch:
        return ErrorCode.FENCED_LEADER_EPOCH
    return None


# ---------------------------------------------------------------- ListOffsets

def list_offsets(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
    v = header.api_version
    topics = []
    for t in request.topics:
        topic = cluster.topics.get(t.name)
        parts = []
        for lp in t.partitions:
            p = lp.partition_index
            out = {"partition_index": p, "error_code": ErrorCode.NONE, "timestamp": -1, "offset": -1,
                   "leader_epoch": -1}
            parts.append(out)
            if topic is None or not 0 <= p < topic.num_partitions:
                out["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                continue
            if cluster.leader_of(topic.name, p) != node_id:
                out["error_code"] = ErrorCode.NOT_LEADER_OR_FOLLOWER
                continue
            error = _check_leader_epoch(cluster, topic, p, getattr(lp, "current_leader_epoch", -1))
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
                out.update(timestamp=found[0], offset=found[1], leader_epoch=cluster.leader_epoch_of(t.name, p))
        topics.append({"name": t.name, "partitions": parts})
    cls = kio.index.load_response_schema(2, v)
    cluster._send(origin, build(cls, throttle_time=0, topics=topics))


# ---------------------------------------------------------------- InitProducerId

def init_producer_id(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
    cls = kio.index.load_response_schema(22, header.api_version)
    if request.transactional_id is not None:
        # A transactional producer needs a transaction coordinator, which kafkalab does not have.
        cluster._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.INVALID_REQUEST,
                                    producer_id=-1, producer_epoch=-1))
        return
    # Without a transactional id Kafka always hands out a new producer id, epoch 0.
    cluster._next_producer_id += 1
    cluster._send(origin, build(cls, throttle_time=0, error_code=ErrorCode.NONE,
                                producer_id=cluster._next_producer_id - 1, producer_epoch=0))
