"""The topic admin APIs of a :class:`~kafkalab.wire.broker.WireCluster`: CreateTopics,
CreatePartitions, DeleteTopics, as Kafka's KRaft controller answers them. Sans-IO.

How it works
------------
Each handler is a plain function ``handler(cluster, node_id, header, request, origin)``, registered
in the cluster's one handler table (``WireCluster._HANDLERS``). They do what Kafka's
``ControllerApis`` and ``ReplicationControlManager`` do, with their checks, error codes and
messages, and change the cluster's topics through its ``_add_topic``, ``_grow_topic`` and
``_remove_topic``:

* :func:`create_topics` checks every topic (name, partition count, replication factor, or an
  explicit replica assignment; :func:`~kafkalab.wire.topics.check_new_topic`), and creates it
  unless ``validate_only``;
* :func:`create_partitions` grows a topic; a topic only grows (INVALID_PARTITIONS otherwise,
  :func:`~kafkalab.wire.topics.check_new_partitions`);
* :func:`delete_topics` deletes by name or (v6+) by id; an unknown one gets
  UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID. A deleted topic is gone at once (see
  ``WireCluster._remove_topic``).

A CreatePartitions or DeleteTopics whose ``timeout`` is 0 or negative has missed the controller's
deadline: REQUEST_TIMED_OUT for every topic, nothing changed. ``__consumer_offsets`` can be neither
grown nor deleted here (its partitions are what assigns groups to their coordinators).

:func:`check_create_topic` and :func:`check_create_partitions` are the checks on the cluster as it
stands; :meth:`WireCluster.create_topic <kafkalab.wire.broker.WireCluster.create_topic>` and
:meth:`~kafkalab.wire.broker.WireCluster.create_partitions` use them too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Optional

import kio.index

from ..errors import ErrorCode
from ..java import hash_map_order
from .codec import RequestHeader, build
from .topics import Topic, check_new_partitions, check_new_topic

if TYPE_CHECKING:
    from .broker import Origin, WireCluster

__all__ = ["create_topics", "create_partitions", "delete_topics", "check_create_topic", "check_create_partitions",
           "INTERNAL_TOPIC_MESSAGE"]

_MS = timedelta(milliseconds=1)
_ZERO_UUID = uuid.UUID(int=0)
#: The answer to an attempt to grow or delete ``__consumer_offsets`` (``verb``, ``name``).
INTERNAL_TOPIC_MESSAGE = ("kafkalab cannot {verb} the internal topic {name}: its partitions are what "
                          "assigns groups to their coordinators")
# Kafka's default messages (Errors.java), which ApiError(error) carries.
_UNKNOWN_TOPIC_MESSAGE = "This server does not host this topic-partition."
_UNKNOWN_TOPIC_ID_MESSAGE = "This server does not host this topic ID."


# ---------------------------------------------------------------- the controller's checks

def check_create_topic(cluster: WireCluster, name: str, num_partitions: int,
                       replication_factor: int) -> tuple[ErrorCode, Optional[str]]:
    """Whether topic ``name`` may be created on ``cluster``: Kafka's error code and message."""
    return check_new_topic(name, num_partitions, replication_factor, exists=name in cluster.topics,
                           max_partitions=cluster.max_partitions, live_brokers=len(cluster.cluster.live_brokers))


def check_create_partitions(cluster: WireCluster, topic: Optional[Topic], name: str, count: int,
                            assignments: Optional[list[list[int]]]) -> tuple[ErrorCode, Optional[str]]:
    """Whether topic ``name`` (``topic``, None when there is none) may grow to ``count`` partitions."""
    if topic is None:
        # ReplicationControlManager throws UnknownTopicOrPartitionException(): no message.
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None
    if topic.is_internal:
        return ErrorCode.INVALID_REQUEST, INTERNAL_TOPIC_MESSAGE.format(verb="add partitions to", name=name)
    return check_new_partitions(name, topic.num_partitions, count, assignments,
                                replication_factor=topic.replication_factor,
                                known_brokers={b.node_id for b in cluster.cluster.brokers},
                                max_partitions=cluster.max_partitions)


# ---------------------------------------------------------------- CreateTopics

def create_topics(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
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
            known = {b.node_id for b in cluster.cluster.live_brokers}
            ordered = sorted(t.assignments, key=lambda a: a.partition_index)
            replicas = [tuple(a.broker_ids) for a in ordered]
            if ([a.partition_index for a in ordered] != list(range(len(ordered)))
                    or any(not r or len(set(r)) != len(r) or not set(r) <= known for r in replicas)):
                result.update(error_code=ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                              error_message="Invalid replica assignment")
                continue
            partitions, rf = len(replicas), len(replicas[0])
        else:
            partitions = cluster.num_partitions if t.num_partitions == -1 else t.num_partitions
            rf = 1 if t.replication_factor == -1 else t.replication_factor
            replicas = None
        error, message = check_create_topic(cluster, t.name, partitions, rf)
        if error is not ErrorCode.NONE:
            result.update(error_code=error, error_message=message)
            continue
        result.update(num_partitions=partitions, replication_factor=rf, configs=())
        if not request.validate_only:
            topic = cluster._add_topic(t.name, replicas or cluster._placement(partitions, rf))
            result["topic_id"] = topic.topic_id
    cls = kio.index.load_response_schema(19, header.api_version)
    cluster._send(origin, build(cls, throttle_time=0, topics=results))


# ---------------------------------------------------------------- CreatePartitions

def create_partitions(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
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
        cluster._send(origin, build(cls, throttle_time=0, results=[
            {"name": n, "error_code": ErrorCode.REQUEST_TIMED_OUT, "error_message": None} for n in names]))
        return
    by_name = {t.name: t for t in reversed(request.topics)}  # Kafka's find(): the first entry
    for name in valid:
        t = by_name[name]
        assignments = None if t.assignments is None else [list(a.broker_ids) for a in t.assignments]
        topic = cluster.topics.get(name)
        error, message = check_create_partitions(cluster, topic, name, t.count, assignments)
        if error is ErrorCode.NONE and not request.validate_only:
            cluster._grow_topic(topic, t.count, assignments)
        results.append({"name": name, "error_code": error, "error_message": message})
    cluster._send(origin, build(cls, throttle_time=0, results=results))


# ---------------------------------------------------------------- DeleteTopics

def delete_topics(cluster: WireCluster, node_id: int, header: RequestHeader, request: Any, origin: Origin) -> None:
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
        cluster._send(origin, build(cls, throttle_time=0, responses=[
            {"name": name, "topic_id": tid, "error_code": ErrorCode.REQUEST_TIMED_OUT, "error_message": None}
            for name, tid in entries]))
        return
    to_delete: dict[uuid.UUID, Topic] = {}
    for tid in ids:
        topic = cluster._topics_by_id.get(tid)
        if topic is None:
            answer(None, tid, ErrorCode.UNKNOWN_TOPIC_ID, _UNKNOWN_TOPIC_ID_MESSAGE)
        else:
            to_delete[tid] = topic
    for name in names:
        topic = cluster.topics.get(name)
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
                   INTERNAL_TOPIC_MESSAGE.format(verb="delete", name=topic.name))
            continue
        cluster._remove_topic(topic)
        answer(topic.name, tid, ErrorCode.NONE, None)
    cluster._send(origin, build(cls, throttle_time=0, responses=results))
