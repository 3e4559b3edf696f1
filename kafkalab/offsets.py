"""Committed offsets: OffsetCommit, OffsetFetch and the retention check (Kafka's
``OffsetMetadataManager``).

How it works
------------
The offsets live in ``rt.offsets`` (by group id, then ``(topic, partition)``) and in the shared
log, ``rt.log.offsets``, which a coordinator reads back when it loads a partition.  After the
service's checks (:class:`~kafkalab.Coordinator`; an empty group id is allowed here, as in Kafka):

* :func:`commit_offset` validates the commit against the group
  (:meth:`Group.validate_offset_commit <kafkalab.classic.group.Group.validate_offset_commit>`),
  creating a "simple" group for a commit with generation -1, stores each partition's offset
  (or OFFSET_METADATA_TOO_LARGE), and, as in Kafka, restarts a classic member's session;
* :func:`fetch_offsets` returns the stored offsets (-1 for a partition without one);
* :func:`cleanup_expired_offsets` runs on each retention check (``OffsetsExpiryTimer``) for each
  group and says whether all of its offsets are gone, so the service can delete an Empty group.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from . import trace as tr
from .classic.common import schedule_heartbeat, transition
from .classic.group import Group
from .classic.state import GroupState, Trigger
from .errors import ErrorCode
from .grouplog import OffsetAndMetadata
from .messages import (
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
    OffsetFetchRequest,
    OffsetFetchResponse,
    OffsetFetchResponsePartition,
    OffsetFetchResponseTopic,
)
from .runtime import Runtime

__all__ = [
    "commit_offset", "commit_error_response", "fetch_offsets", "has_committed_offsets",
    "load_offsets", "cleanup_expired_offsets", "expire_offsets", "delete_all_offsets", "store_offsets",
]

S = GroupState


def commit_error_response(req: OffsetCommitRequest, code: ErrorCode) -> OffsetCommitResponse:
    """The OffsetCommit answer that gives every partition of the request the error ``code``."""
    return OffsetCommitResponse(topics=tuple(
        OffsetCommitResponseTopic(t.name, tuple(
            OffsetCommitResponsePartition(p.partition_index, code) for p in t.partitions))
        for t in req.topics))


def commit_offset(rt: Runtime, req: OffsetCommitRequest, origin: Any) -> None:
    """Kafka's ``commitOffset``: validate the commit, store each partition's offset, answer."""
    gid = req.group_id

    def reply_all(code: ErrorCode) -> None:
        rt.send(origin, gid, commit_error_response(req, code))

    group = rt.groups.get(gid)
    if group is None:
        if req.generation_id >= 0:
            return reply_all(ErrorCode.GROUP_ID_NOT_FOUND if req.api_version >= 9 else ErrorCode.ILLEGAL_GENERATION)
        # A "simple" group: created by a manual commit with generation -1.
        group = Group(gid)
        rt.groups[gid] = group
        transition(rt, group, Trigger.GROUP_CREATED)
    error = group.validate_offset_commit(req.member_id, req.group_instance_id, req.generation_id)
    if error is not None:
        return reply_all(error)
    response = store_offsets(rt, req)
    # In the classic protocol a commit keeps the member's session alive (Stable, PreparingRebalance).
    if group.state in (S.STABLE, S.PREPARING_REBALANCE) and req.member_id in group.members:
        schedule_heartbeat(rt, group, group.members[req.member_id])
    rt.ensure_offsets_expiry_timer()
    rt.send(origin, gid, response)


def store_offsets(rt: Runtime, req: OffsetCommitRequest) -> OffsetCommitResponse:
    """Store each partition's offset of a validated commit (or OFFSET_METADATA_TOO_LARGE for that
    partition), here and in the log; return the answer.  (The caller arms the retention check.)"""
    gid = req.group_id
    topics = []
    committed = rt.offsets.setdefault(gid, {})
    stored = rt.log.offsets.setdefault(gid, {})
    for t in req.topics:
        parts = []
        for p in t.partitions:
            meta = p.committed_metadata or ""
            # Kafka compares Java's String.length(): UTF-16 code units, not bytes.
            if len(meta.encode("utf-16-le", "surrogatepass")) // 2 > rt.config.offset_metadata_max_bytes:
                parts.append(OffsetCommitResponsePartition(p.partition_index, ErrorCode.OFFSET_METADATA_TOO_LARGE))
                continue
            expire = None
            if 2 <= req.api_version <= 4 and req.retention_time_ms != -1:
                expire = rt.now + req.retention_time_ms
            oam = OffsetAndMetadata(p.committed_offset, p.committed_leader_epoch, meta, rt.now, expire)
            committed[(t.name, p.partition_index)] = oam
            stored[(t.name, p.partition_index)] = oam
            parts.append(OffsetCommitResponsePartition(p.partition_index, ErrorCode.NONE))
        topics.append(OffsetCommitResponseTopic(t.name, tuple(parts)))
    return OffsetCommitResponse(topics=tuple(topics))


def fetch_offsets(rt: Runtime, req: OffsetFetchRequest, origin: Any) -> None:
    """Kafka's ``fetchOffsets`` / ``fetchAllOffsets``: the requested partitions' offsets (-1 when
    none is stored), or every stored offset when the request names no topics."""
    gid = req.group_id
    group = rt.groups.get(gid)
    exists = (group is not None and group.state is not S.DEAD) or (
        rt.consumer_groups is not None and gid in rt.consumer_groups.groups)
    offsets = rt.offsets.get(gid, {}) if exists else {}
    if req.topics is None:
        by_topic: dict[str, list[OffsetFetchResponsePartition]] = {}
        for (topic, partition), oam in sorted(offsets.items()):
            by_topic.setdefault(topic, []).append(OffsetFetchResponsePartition(
                partition, oam.committed_offset, oam.committed_leader_epoch, oam.metadata))
        topics = tuple(OffsetFetchResponseTopic(t, tuple(ps)) for t, ps in by_topic.items())
    else:
        topics = tuple(
            OffsetFetchResponseTopic(t.name, tuple(
                OffsetFetchResponsePartition(p, o.committed_offset, o.committed_leader_epoch, o.metadata)
                if (o := offsets.get((t.name, p))) is not None
                else OffsetFetchResponsePartition(p, -1, -1, "")
                for p in t.partition_indexes))
            for t in req.topics)
    rt.send(origin, gid, OffsetFetchResponse(error_code=ErrorCode.NONE, topics=topics))


def has_committed_offsets(rt: Runtime, group_id: str) -> bool:
    """Whether the group has any committed offset."""
    return bool(rt.offsets.get(group_id))


def load_offsets(rt: Runtime, group_id: str) -> None:
    """Read the group's offsets back from the log (its partition is being loaded)."""
    rt.offsets[group_id] = dict(rt.log.offsets.get(group_id, {}))


def cleanup_expired_offsets(rt: Runtime, group: Group) -> bool:
    """Kafka's ``cleanupExpiredOffsets`` for one group: delete the offsets whose retention period
    (``offsets.retention.minutes``, or a v2-v4 commit's own expire timestamp) is over.

    Returns:
        Whether the group is left with no offset that could still count, so that an Empty group
        can be deleted.
    """
    # Kafka's isSubscribedToTopic: only a Stable consumer group knows its topics here.
    subscribed = group.subscribed_topics() if group.state is S.STABLE else None
    return expire_offsets(rt, group.group_id, group.offset_expiration_base(), subscribed)


def expire_offsets(rt: Runtime, gid: str, base: Optional[Callable[[int], int]],
                   subscribed: Optional[Iterable[str]]) -> bool:
    """Delete the group's offsets whose retention period is over (see
    :func:`cleanup_expired_offsets`).

    Args:
        gid: the group.
        base: the group's ``offsetExpirationCondition`` (commit timestamp -> the time retention
            counts from), None when its offsets never expire now.
        subscribed: the topics a member subscribes to (their offsets are kept), or None.

    Returns:
        Whether no offset that could still count is left.
    """
    subscribed = set(subscribed) if subscribed is not None else None
    offsets = rt.offsets.get(gid, {})
    retention = rt.config.offsets_retention_minutes * 60_000
    now = rt.now
    all_expired = base is not None or not offsets
    expired = []
    if base is not None:
        for tp, oam in offsets.items():
            if subscribed is not None and tp[0] in subscribed:
                all_expired = False
            elif (now >= oam.expire_timestamp_ms if oam.expire_timestamp_ms is not None
                  else now - base(oam.commit_timestamp_ms) >= retention):
                expired.append(tp)  # v2-v4 commits carry their own expire timestamp
            else:
                all_expired = False
    for tp in expired:
        del offsets[tp]
        rt.log.offsets.get(gid, {}).pop(tp, None)
    return all_expired


def delete_all_offsets(rt: Runtime, group_id: str) -> None:
    """Forget the group's offsets, here and in the log (the group is being deleted)."""
    rt.offsets.pop(group_id, None)
    rt.log.offsets.pop(group_id, None)


def delete_partitions(rt: Runtime, partitions: set[tuple[str, int]], group_ids: Iterable[str]) -> None:
    """Kafka's ``onPartitionsDeleted``: the topics of ``partitions`` were deleted, so every
    committed offset of them in the given groups is dropped (Kafka writes a tombstone for each)."""
    for gid in group_ids:
        committed = rt.offsets.get(gid, {})
        gone = sorted(tp for tp in committed if tp in partitions)
        for tp in gone:
            del committed[tp]
            rt.log.offsets.get(gid, {}).pop(tp, None)
        if gone:
            rt.emit(tr.OffsetsDeleted(rt.now, gid, tuple(gone)))
