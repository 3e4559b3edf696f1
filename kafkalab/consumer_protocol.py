"""Kafka's consumer protocol: the bytes inside JoinGroup metadata and SyncGroup assignments.

How it works
------------
The group coordinator treats a member's subscription (``JoinGroup.protocols[].metadata``) and
assignment (``SyncGroup.assignments[].assignment``) as opaque bytes. Only for groups of protocol
type ``"consumer"`` do clients agree on their layout: Kafka's *ConsumerProtocol*
(``clients/.../consumer/internals/ConsumerProtocol.java``), described by the message schemas
``ConsumerProtocolSubscription.json`` and ``ConsumerProtocolAssignment.json`` (versions 0-3,
never flexible). Each payload is an int16 version followed by the fields of that version, in
Kafka's classic (non-compact) encodings, all big-endian:

===================  ==========================================================================
``int16``/``int32``  2/4 bytes, signed
``string``           int16 byte length, then UTF-8 (``nullable string``: length -1 means null)
``bytes``            int32 length, then the bytes (``nullable bytes``: length -1 means null)
``[]T``              int32 element count, then the elements
===================  ==========================================================================

Subscription::

    version         int16
    topics          []string                           v0+
    user_data       nullable bytes                     v0+  (assignor data, e.g. sticky's)
    owned_partitions []{topic string, partitions []int32}  v1+  (KIP-429, cooperative rebalancing)
    generation_id   int32 (default -1)                 v2+  (KIP-792)
    rack_id         nullable string (default null)     v3+  (KIP-881, rack-aware assignment)

Assignment::

    version         int16
    assigned_partitions []{topic string, partitions []int32}  v0+
    user_data       nullable bytes                     v0+

(Assignment v1-v3 add nothing; they exist so both schemas share one version range.)

Compatibility rules, as in Kafka
--------------------------------
* **Encoding** a field the chosen version lacks drops it silently: every field added after v0 is
  ``"ignorable"`` in the schema. A version above 3 is written as v3 and a negative one is refused
  (``ConsumerProtocol.checkSubscriptionVersion`` / ``checkAssignmentVersion``).
* **Decoding** a version above 3 reads the fields we know and ignores the rest: the schemas'
  comment says future versions may only append fields. Trailing bytes are ignored for the same
  reason. A negative version, or data that ends early, raises :class:`ValueError` (Kafka's
  ``SchemaException("Buffer underflow ...")``).
* **Partition grouping.** The wire groups partitions by topic. The Java client groups them with a
  ``HashMap`` (``CollectionUtils.groupPartitionsByTopic``), so its topic order is hash order; we
  keep the first-seen topic order and the given partition order, which is deterministic and
  round-trips exactly.
* **Empty assignment.** ``decode_assignment(b"")`` gives an empty assignment (version 0, no
  partitions, no user data): the bytes a coordinator hands a member the leader assigned nothing
  to. (librdkafka reads them that way; the Java client's ``ConsumerCoordinator.onJoinComplete``
  refuses fewer than two bytes with an ``IllegalStateException``.)

Pure ``struct``; no dependency, no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterable, Optional

__all__ = [
    "CONSUMER_PROTOCOL_TYPE", "LOWEST_VERSION", "HIGHEST_VERSION",
    "ConsumerProtocolSubscription", "ConsumerProtocolAssignment",
    "encode_subscription", "decode_subscription", "encode_assignment", "decode_assignment",
]

#: The JoinGroup ``protocol_type`` of groups that use this encoding (``ConsumerProtocol.PROTOCOL_TYPE``).
CONSUMER_PROTOCOL_TYPE = "consumer"
#: Version range of both schemas in Kafka 4.0.
LOWEST_VERSION = 0
HIGHEST_VERSION = 3

_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT16_MAX = (1 << 15) - 1
_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1

TopicPartition = tuple[str, int]


# ---------------------------------------------------------------- decoded values

@dataclass(frozen=True)
class ConsumerProtocolSubscription:
    """A decoded subscription; fields a version lacks hold their schema defaults.

    Attributes:
        version: the version read from the bytes (may exceed 3; then only v3's fields were read).
        topics: subscribed topics, in wire order.
        user_data: assignor-specific bytes, or ``None`` (null on the wire).
        owned_partitions: ``(topic, partition)`` pairs in wire order (v1+; ``()`` before).
        generation_id: the generation the owned partitions are from (v2+; -1 before).
        rack_id: the member's ``client.rack`` (v3+; ``None`` before).
    """

    version: int
    topics: tuple[str, ...]
    user_data: Optional[bytes] = None
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation_id: int = -1
    rack_id: Optional[str] = None

    def encode(self, version: Optional[int] = None) -> bytes:
        """Encode again, at ``version`` (default: this subscription's own, capped at 3)."""
        return encode_subscription(
            self.topics, self.user_data, self.owned_partitions, self.generation_id, self.rack_id,
            version=self.version if version is None else version,
        )


@dataclass(frozen=True)
class ConsumerProtocolAssignment:
    """A decoded assignment.

    Attributes:
        version: the version read from the bytes (0 for an empty buffer).
        assigned_partitions: ``(topic, partition)`` pairs in wire order.
        user_data: assignor-specific bytes, or ``None`` (null on the wire).
    """

    version: int
    assigned_partitions: tuple[TopicPartition, ...] = ()
    user_data: Optional[bytes] = None

    @property
    def partitions_by_topic(self) -> dict[str, tuple[int, ...]]:
        """The partitions grouped by topic, topics in first-seen order."""
        return {t: tuple(ps) for t, ps in _group_by_topic(self.assigned_partitions, "assigned_partitions")}

    def encode(self, version: Optional[int] = None) -> bytes:
        """Encode again, at ``version`` (default: this assignment's own, capped at 3)."""
        return encode_assignment(
            self.assigned_partitions, self.user_data,
            version=self.version if version is None else version,
        )


# ---------------------------------------------------------------- writing

def _check_version(version: object, what: str) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"{what} version must be an int, got {type(version).__name__} {version!r}")
    if version < LOWEST_VERSION:
        raise ValueError(f"unsupported {what} version {version}: versions start at {LOWEST_VERSION}")
    # Kafka writes anything newer as its highest known version.
    return min(version, HIGHEST_VERSION)


def _int32(value: object, name: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"{name} must fit in a signed 32-bit int, got {value}")
    return _INT32.pack(value)


def _string(value: object, name: str, nullable: bool = False) -> bytes:
    if value is None and nullable:
        return _INT16.pack(-1)
    if not isinstance(value, str):
        kind = "a str or None" if nullable else "a str"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__} {value!r}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{name} {value!r} cannot be encoded as UTF-8: {exc.reason}") from None
    if len(data) > _INT16_MAX:
        raise ValueError(f"{name} is {len(data)} bytes of UTF-8; a Kafka string holds at most {_INT16_MAX}")
    return _INT16.pack(len(data)) + data


def _nullable_bytes(value: object, name: str) -> bytes:
    if value is None:
        return _INT32.pack(-1)
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes or None, got {type(value).__name__} {value!r}")
    data = bytes(value)
    return _INT32.pack(len(data)) + data


def _group_by_topic(pairs: Iterable[TopicPartition], name: str) -> list[tuple[str, list[int]]]:
    """Group ``(topic, partition)`` pairs by topic, topics in first-seen order."""
    if isinstance(pairs, (str, bytes)):
        raise TypeError(f"{name} must be an iterable of (topic, partition) pairs, got {type(pairs).__name__}")
    grouped: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        try:
            topic, partition = pair
        except (TypeError, ValueError):
            raise TypeError(f"{name}[{i}] must be a (topic, partition) pair, got {pair!r}") from None
        if not isinstance(topic, str):
            raise TypeError(f"{name}[{i}] topic must be a str, got {type(topic).__name__} {topic!r}")
        if isinstance(partition, bool) or not isinstance(partition, int):
            raise TypeError(f"{name}[{i}] partition must be an int, got {type(partition).__name__} {partition!r}")
        grouped.setdefault(topic, []).append(partition)
    return list(grouped.items())


def _topic_partitions(pairs: Iterable[TopicPartition], name: str) -> bytes:
    groups = _group_by_topic(pairs, name)
    out = [_INT32.pack(len(groups))]
    for topic, partitions in groups:
        out.append(_string(topic, f"{name} topic"))
        out.append(_INT32.pack(len(partitions)))
        out.extend(_int32(p, f"{name} partition of {topic!r}") for p in partitions)
    return b"".join(out)


def encode_subscription(
    topics: Iterable[str],
    user_data: Optional[bytes] = None,
    owned_partitions: Iterable[TopicPartition] = (),
    generation_id: int = -1,
    rack_id: Optional[str] = None,
    version: int = HIGHEST_VERSION,
) -> bytes:
    """Encode a consumer subscription (JoinGroup ``protocols[].metadata``).

    Args:
        topics: subscribed topic names, written in the given order.
        user_data: assignor-specific bytes, or ``None`` for null.
        owned_partitions: ``(topic, partition)`` pairs the member owns (v1+), grouped by topic
            in first-seen order.
        generation_id: the generation those partitions were assigned in (v2+).
        rack_id: the member's rack (v3+), or ``None``.
        version: schema version; fields it lacks are dropped (they are ignorable in Kafka's
            schema), a version above 3 is written as 3.

    Returns:
        The bytes, starting with the int16 version.

    Raises:
        TypeError: a value has the wrong type.
        ValueError: a negative version, an int outside int32, or a string that is too long or
            not encodable as UTF-8.
    """
    version = _check_version(version, "subscription")
    if isinstance(topics, (str, bytes)):
        raise TypeError(f"topics must be an iterable of str, got {type(topics).__name__} {topics!r}")
    topic_list = list(topics)
    out = [_INT16.pack(version), _INT32.pack(len(topic_list))]
    out.extend(_string(t, f"topics[{i}]") for i, t in enumerate(topic_list))
    out.append(_nullable_bytes(user_data, "user_data"))
    # Validate every argument whatever the version, so a bad call fails the same way at v0.
    owned = _topic_partitions(owned_partitions, "owned_partitions")
    generation = _int32(generation_id, "generation_id")
    rack = _string(rack_id, "rack_id", nullable=True)
    if version >= 1:
        out.append(owned)
    if version >= 2:
        out.append(generation)
    if version >= 3:
        out.append(rack)
    return b"".join(out)


def encode_assignment(
    partitions: Iterable[TopicPartition],
    user_data: Optional[bytes] = None,
    version: int = HIGHEST_VERSION,
) -> bytes:
    """Encode a consumer assignment (SyncGroup ``assignments[].assignment``).

    Args:
        partitions: ``(topic, partition)`` pairs, grouped by topic in first-seen topic order;
            partitions keep their given order within a topic.
        user_data: assignor-specific bytes, or ``None`` for null.
        version: schema version (all versions share one layout); above 3 is written as 3.

    Returns:
        The bytes, starting with the int16 version.

    Raises:
        TypeError: a value has the wrong type.
        ValueError: a negative version, a partition outside int32, or a bad topic string.
    """
    version = _check_version(version, "assignment")
    return b"".join([
        _INT16.pack(version),
        _topic_partitions(partitions, "partitions"),
        _nullable_bytes(user_data, "user_data"),
    ])


# ---------------------------------------------------------------- reading

class _Reader:
    """Reads Kafka's classic encodings from a buffer; running short raises ValueError."""

    def __init__(self, data: bytes, what: str) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"{what} data must be bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.pos = 0
        self.what = what

    def _take(self, n: int, field: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise ValueError(
                f"truncated consumer protocol {self.what}: {field} needs {n} bytes at offset "
                f"{self.pos}, only {len(self.data) - self.pos} left (buffer underflow)"
            )
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def int16(self, field: str) -> int:
        return _INT16.unpack(self._take(2, field))[0]

    def int32(self, field: str) -> int:
        return _INT32.unpack(self._take(4, field))[0]

    def string(self, field: str, nullable: bool = False) -> Optional[str]:
        length = self.int16(f"{field} length")
        if length < 0:
            if nullable and length == -1:
                return None
            raise ValueError(
                f"bad consumer protocol {self.what}: {field} has length {length} "
                f"({'only -1 means null' if nullable else 'the field is not nullable'})"
            )
        # Java's new String(bytes, UTF_8) replaces malformed input instead of failing.
        return self._take(length, field).decode("utf-8", "replace")

    def nullable_bytes(self, field: str) -> Optional[bytes]:
        length = self.int32(f"{field} length")
        if length == -1:
            return None
        if length < 0:
            raise ValueError(f"bad consumer protocol {self.what}: {field} has length {length}")
        return self._take(length, field)

    def count(self, field: str) -> int:
        n = self.int32(f"{field} count")
        if n < 0:
            # Non-nullable arrays: Kafka refuses a null (-1) here.
            raise ValueError(f"bad consumer protocol {self.what}: {field} has count {n} but is not nullable")
        # Every element takes at least 2 bytes; refusing early keeps a bogus count from looping.
        if n * 2 > len(self.data) - self.pos:
            raise ValueError(
                f"truncated consumer protocol {self.what}: {field} claims {n} elements but only "
                f"{len(self.data) - self.pos} bytes are left (buffer underflow)"
            )
        return n

    def topic_partitions(self, field: str) -> tuple[TopicPartition, ...]:
        pairs: list[TopicPartition] = []
        for _ in range(self.count(field)):
            topic = self.string(f"{field} topic")
            assert topic is not None
            for _ in range(self.count(f"{field} partitions of {topic!r}")):
                pairs.append((topic, self.int32(f"{field} partition of {topic!r}")))
        return tuple(pairs)

    def version(self) -> int:
        version = self.int16("version")
        if version < LOWEST_VERSION:
            raise ValueError(f"unsupported consumer protocol {self.what} version {version}")
        return version


def decode_subscription(data: bytes) -> ConsumerProtocolSubscription:
    """Decode a consumer subscription (JoinGroup ``protocols[].metadata``).

    A version above 3 is read as v3 (fields appended by later versions are ignored), and
    trailing bytes are ignored, as Kafka's ``ConsumerProtocol.deserializeSubscription`` does.

    Args:
        data: the bytes, starting with the int16 version.

    Returns:
        The subscription; fields its version lacks hold their defaults.

    Raises:
        TypeError: ``data`` is not bytes-like.
        ValueError: negative version, truncated data, or a negative length/count where the
            schema allows none.
    """
    r = _Reader(data, "subscription")
    version = r.version()
    topics = []
    for _ in range(r.count("topics")):
        topic = r.string("topics[]")
        assert topic is not None
        topics.append(topic)
    user_data = r.nullable_bytes("user_data")
    owned: tuple[TopicPartition, ...] = ()
    generation_id = -1
    rack_id = None
    if version >= 1:
        owned = r.topic_partitions("owned_partitions")
    if version >= 2:
        generation_id = r.int32("generation_id")
    if version >= 3:
        rack_id = r.string("rack_id", nullable=True)
    return ConsumerProtocolSubscription(version, tuple(topics), user_data, owned, generation_id, rack_id)


def decode_assignment(data: bytes) -> ConsumerProtocolAssignment:
    """Decode a consumer assignment (SyncGroup ``assignment``).

    ``b""`` decodes to an empty assignment (version 0); a version above 3 is read as v3; trailing
    bytes are ignored.

    Args:
        data: the bytes, starting with the int16 version (or empty).

    Returns:
        The assignment.

    Raises:
        TypeError: ``data`` is not bytes-like.
        ValueError: negative version, truncated data (including a lone byte), or a negative
            length/count where the schema allows none.
    """
    r = _Reader(data, "assignment")
    if not r.data:
        return ConsumerProtocolAssignment(0)
    version = r.version()
    partitions = r.topic_partitions("assigned_partitions")
    user_data = r.nullable_bytes("user_data")
    return ConsumerProtocolAssignment(version, partitions, user_data)
