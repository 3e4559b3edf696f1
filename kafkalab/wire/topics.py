"""Topics as a kafkalab broker stores them: partition logs of record batches, in memory, sans-IO.

How it works
------------
A :class:`Topic` has an id, a replica list per partition (its first replica leads) and one
:class:`PartitionLog` per partition. A partition log keeps the record batches a Produce brought,
as bytes, with the base offset written into each header (compressed batches are stored as they
came; kafkalab never decompresses them), and serves Fetch and ListOffsets from them. Every
append is committed at once (no followers to wait for), so the high watermark is the log end.
For idempotent producers it keeps Kafka's per-producer state: the epoch, the last sequence
number and the last five batches, so that a retried batch is acknowledged again but stored once
and a gap in the sequence is refused (``ProducerStateManager``).

:func:`valid_topic_name` is Kafka's ``Topic.validate``; :func:`check_new_topic` and
:func:`check_new_partitions` are the controller's checks for CreateTopics and CreatePartitions.

Topic ids
---------
Kafka draws a random ``Uuid`` for every topic it creates. kafkalab derives it instead, so that
runs repeat exactly: a :class:`Topic` gets the id of the core's metadata image
(:func:`kafkalab.modern.metadata.topic_id_for`, the one scheme: a new id for every re-creation of
a name, as in Kafka), as the :class:`uuid.UUID` kio writes
(:func:`kafkalab.wire.codec.uuid_from_text`).

Everything here is pure: no clock, no I/O.
"""

from __future__ import annotations

import bisect
import re
import uuid
from dataclasses import dataclass, field
from typing import Optional

from ..errors import ErrorCode
from .records import patch_batch, read_header, record_timestamps

__all__ = ["PartitionLog", "Topic", "valid_topic_name", "check_new_topic", "check_new_partitions", "placement",
           "LEADER_EPOCH"]

#: The leader epoch of every data partition: no leader ever changes for one here.
LEADER_EPOCH = 0

_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]+")
_MAX_TOPIC_NAME = 249

def valid_topic_name(name: Optional[str]) -> Optional[str]:
    """Why ``name`` is not a legal topic name (Kafka's ``Topic.validate``), or None if it is."""
    if not name:
        return "Topic name is illegal, it can't be empty"
    if name in (".", ".."):
        return "Topic name cannot be \".\" or \"..\""
    if len(name) > _MAX_TOPIC_NAME:
        return f"Topic name is illegal, it can't be longer than {_MAX_TOPIC_NAME} characters, topic name: {name}"
    if not _LEGAL_TOPIC.fullmatch(name):
        return (f"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, "
                "'.', '_' and '-'")
    return None


def check_new_topic(name: str, num_partitions: int, replication_factor: int, *, exists: bool,
                    max_partitions: int, live_brokers: int) -> tuple[ErrorCode, Optional[str]]:
    """Whether a topic may be created (CreateTopics, auto-creation), with Kafka's errors and messages.

    Args:
        name: the topic name.
        num_partitions, replication_factor: as asked.
        exists: a topic of that name exists already.
        max_partitions: the most partitions kafkalab lets one topic have.
        live_brokers: how many brokers are up (the most replicas a partition can have).

    Returns:
        ``(NONE, None)``, or the error and its message.
    """
    if exists:
        return ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists."
    why = valid_topic_name(name)
    if why:
        return ErrorCode.INVALID_TOPIC_EXCEPTION, why
    if num_partitions <= 0:
        return ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value."
    if num_partitions > max_partitions:
        return (ErrorCode.INVALID_PARTITIONS,
                f"kafkalab allows at most {max_partitions} partitions per topic, got {num_partitions}.")
    if replication_factor <= 0:
        return ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value."
    if replication_factor > live_brokers:
        return (ErrorCode.INVALID_REPLICATION_FACTOR,
                f"Unable to replicate the partition {replication_factor} time(s): The target replication factor "
                f"of {replication_factor} cannot be reached because only {live_brokers} broker(s) are registered.")
    return ErrorCode.NONE, None


def check_new_partitions(name: str, current: int, count: int, assignments: Optional[list[list[int]]], *,
                         replication_factor: int, known_brokers: set[int],
                         max_partitions: int) -> tuple[ErrorCode, Optional[str]]:
    """Whether topic ``name`` (``current`` partitions) may grow to ``count`` partitions, with the
    errors and messages of Kafka's controller (``ReplicationControlManager.createPartitions``).

    Args:
        name: the topic.
        current: its partition count now.
        count: the asked-for total.
        assignments: the replicas of each new partition, or None to let the broker place them.
        replication_factor: the topic's (every new partition must have that many replicas).
        known_brokers: the node ids of the registered brokers.
        max_partitions: the most partitions kafkalab lets one topic have.

    Returns:
        ``(NONE, None)``, or the error and its message.
    """
    if count == current:
        return ErrorCode.INVALID_PARTITIONS, f"Topic already has {current} partition(s)."
    if count < current:
        return (ErrorCode.INVALID_PARTITIONS,
                f"The topic {name} currently has {current} partition(s); {count} would not be an increase.")
    if count > max_partitions:
        return (ErrorCode.INVALID_PARTITIONS,
                f"kafkalab allows at most {max_partitions} partitions per topic, got {count}.")
    additional = count - current
    if assignments is not None:
        if len(assignments) != additional:
            return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"Attempted to add {additional} additional partition(s), but only {len(assignments)} "
                    "assignment(s) were specified.")
        for replicas in assignments:
            # Kafka's validateManualPartitionAssignment, in its order.
            if not replicas:
                return ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list."
            previous = None
            for broker in sorted(replicas):
                if broker not in known_brokers:
                    return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                            f"The manual partition assignment includes broker {broker}, but no such broker is registered.")
                if broker == previous:
                    return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                            f"The manual partition assignment includes the broker {broker} more than once.")
                previous = broker
            if len(replicas) != replication_factor:
                return (ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                        f"The manual partition assignment includes a partition with {len(replicas)} replica(s), but "
                        f"this is not consistent with previous partitions, which have {replication_factor} replica(s).")
    return ErrorCode.NONE, None


def placement(node_ids: list[int], num_partitions: int, replication_factor: int) -> list[tuple[int, ...]]:
    """Replicas of each partition of a new topic: partition ``p`` starts at the ``p``-th broker
    (in ``node_ids`` order) and takes the next ones, so leaders go round-robin."""
    n = len(node_ids)
    return [tuple(node_ids[(p + i) % n] for i in range(replication_factor)) for p in range(num_partitions)]


_INT32_MAX = 2**31 - 1
_DUPLICATE_WINDOW = 5  # Kafka keeps the metadata of a producer's last 5 batches per partition


def _next_sequence(seq: int, delta: int = 1) -> int:
    """Sequence numbers wrap from Integer.MAX_VALUE to 0 (``DefaultRecordBatch.incrementSequence``)."""
    return seq + delta - _INT32_MAX - 1 if seq > _INT32_MAX - delta else seq + delta


@dataclass
class _ProducerEntry:
    """An idempotent producer's state on one partition (Kafka's ``ProducerStateEntry``)."""

    epoch: int
    last_sequence: int
    recent: list[tuple[int, int, int]] = field(default_factory=list)  # (first seq, last seq, base offset)


@dataclass
class PartitionLog:
    """One partition's log: stored batches (patched bytes) and the offset each starts at."""

    batches: list[bytes] = field(default_factory=list)
    bases: list[int] = field(default_factory=list)
    max_timestamps: list[int] = field(default_factory=list)
    next_offset: int = 0        # the high watermark: every append is committed at once
    log_start_offset: int = 0
    size_bytes: int = 0
    producers: dict[int, _ProducerEntry] = field(default_factory=dict)

    def check_producer(self, batch: bytes) -> tuple[ErrorCode, Optional[str], Optional[int]]:
        """Kafka's idempotence checks (``ProducerAppendInfo.checkSequence``, ``findDuplicateBatch``).

        Returns:
            ``(NONE, None, None)`` to append; ``(NONE, None, base)`` for a duplicate of the batch
            stored at ``base`` (acknowledged again, not stored twice); or ``(error, message, None)``.
        """
        h = read_header(batch)
        if h.producer_id < 0:
            return ErrorCode.NONE, None, None
        entry = self.producers.get(h.producer_id)
        if entry is None:
            return ErrorCode.NONE, None, None  # a producer this partition has not seen: any sequence
        first, last = h.base_sequence, _next_sequence(h.base_sequence, h.last_offset_delta)
        if h.producer_epoch == entry.epoch:
            for seq_first, seq_last, base in entry.recent:
                if (seq_first, seq_last) == (first, last):
                    return ErrorCode.NONE, None, base
        if h.producer_epoch < entry.epoch:
            return (ErrorCode.INVALID_PRODUCER_EPOCH,
                    f"Epoch of producer {h.producer_id} at offset {self.next_offset} is {h.producer_epoch}, "
                    f"which is smaller than the last seen epoch {entry.epoch}", None)
        if h.producer_epoch > entry.epoch:
            if first != 0:
                return (ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                        f"Invalid sequence number for new epoch of producer {h.producer_id}: {first} (must be 0)", None)
        elif first != _next_sequence(entry.last_sequence):
            return (ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    f"Out of order sequence number for producer {h.producer_id}: {first} "
                    f"(incoming seq. number), {entry.last_sequence} (current end sequence number)", None)
        return ErrorCode.NONE, None, None

    def _remember_producer(self, batch: bytes, base: int) -> None:
        h = read_header(batch)
        if h.producer_id < 0:
            return
        last = _next_sequence(h.base_sequence, h.last_offset_delta)
        entry = self.producers.get(h.producer_id)
        if entry is None or entry.epoch != h.producer_epoch:
            entry = self.producers[h.producer_id] = _ProducerEntry(h.producer_epoch, last)
        entry.last_sequence = last
        entry.recent.append((h.base_sequence, last, base))
        del entry.recent[:-_DUPLICATE_WINDOW]

    def append(self, batch: bytes) -> int:
        """Append one validated batch; return its base offset."""
        base = self.next_offset
        stored = patch_batch(batch, base, LEADER_EPOCH)
        header = read_header(stored)
        self.batches.append(stored)
        self.bases.append(base)
        self.max_timestamps.append(header.max_timestamp)
        self.next_offset = base + header.last_offset_delta + 1
        self.size_bytes += len(stored)
        self._remember_producer(stored, base)
        return base

    def _index(self, offset: int) -> int:
        """Index of the batch holding ``offset`` (which must be in the log)."""
        return bisect.bisect_right(self.bases, offset) - 1

    def read(self, offset: int, max_bytes: int, *, min_one: bool) -> bytes:
        """Stored batches from the one holding ``offset``, at most ``max_bytes`` of them (but at
        least one batch when ``min_one``, as Kafka does so that a large batch can be consumed)."""
        if offset >= self.next_offset or offset < self.log_start_offset or not self.batches:
            return b""
        i = self._index(offset)
        out = []
        total = 0
        for batch in self.batches[i:]:
            if total + len(batch) > max_bytes and not (min_one and not out):
                break
            out.append(batch)
            total += len(batch)
        return b"".join(out)

    def offset_for_timestamp(self, target: int) -> Optional[tuple[int, int]]:
        """``(timestamp, offset)`` of the first record with a timestamp >= ``target``, or None."""
        for i, batch in enumerate(self.batches):
            if self.max_timestamps[i] < target:
                continue
            times = record_timestamps(batch)
            if times is None:  # a codec kafkalab cannot read: the batch's first offset
                return self.max_timestamps[i], self.bases[i]
            for offset, ts in times:
                if ts >= target:
                    return ts, offset
        return None

    def max_timestamp(self) -> Optional[tuple[int, int]]:
        """``(timestamp, offset)`` of the record with the largest timestamp (the first such), or None."""
        if not self.batches:
            return None
        best = max(range(len(self.batches)), key=lambda i: (self.max_timestamps[i], -i))
        ts = self.max_timestamps[best]
        times = record_timestamps(self.batches[best])
        if times:
            for offset, t in times:
                if t == ts:
                    return ts, offset
        return ts, self.bases[best]


@dataclass
class Topic:
    """A topic: its id, partition logs and replica placement (leader first)."""

    name: str
    topic_id: uuid.UUID
    partitions: list[PartitionLog]
    replicas: list[tuple[int, ...]]
    is_internal: bool = False

    @property
    def num_partitions(self) -> int:
        return len(self.partitions)

    @property
    def replication_factor(self) -> int:
        return len(self.replicas[0]) if self.replicas else 0

    def leader(self, partition: int) -> int:
        return self.replicas[partition][0]
