"""The Java semantics Kafka's results depend on, reproduced in Python.

How it works
------------
Several answers of a Kafka cluster are deterministic only *given the Java runtime*: which
``__consumer_offsets`` partition (and so which broker) coordinates a group, the order in which a
consumer group leader's assignor visits members, which protocol wins a tie in the coordinator's
vote. This module is the one place kafkalab reproduces those pieces of Java:

* :func:`string_hash_code` -- ``String.hashCode()``: ``h = 31 * h + c`` over **UTF-16 code
  units**, as a signed int32 (:func:`string_hash_code_unsigned` gives the same bits as an
  unsigned int, the form a ``HashMap`` bucket computation wants). A character outside the Basic
  Multilingual Plane (an emoji, say) is two code units in Java, a surrogate pair, so it takes two
  steps; a lone surrogate, legal in a Java string, takes one.
* :func:`utils_abs` -- Kafka's ``Utils.abs``: like ``Math.abs`` but mapping ``Integer.MIN_VALUE``
  to 0, where ``Math.abs`` overflows and stays negative. The coordinator's partition is
  ``utils_abs(string_hash_code(group_id)) % offsets.topic.num.partitions``
  (:func:`kafkalab.cluster.partition_for_group`).
* :func:`string_compare_key` -- a sort key that orders strings as ``String.compareTo`` does.
* :func:`topic_partition_hash_code` -- ``TopicPartition.hashCode()``.
* :func:`hash_map_order` and :class:`TopicPartitionHashSet` -- the iteration order of a
  ``java.util.HashMap`` / ``HashSet`` filled by ``put`` / ``add`` from ``new HashMap<>()``.

How ``java.util.HashMap`` orders its entries (OpenJDK 8+): the table starts with 16 buckets and
doubles whenever the size exceeds 0.75 x capacity; it also doubles (instead of turning a bucket
into a tree) when a bucket receives its 9th entry while the table has fewer than 64 buckets.
A key lives in bucket ``(h ^ (h >>> 16)) & (capacity - 1)``; iteration visits buckets in
ascending order and the entries of one bucket in insertion order (a resize splits a bucket
without reordering it, and removing an entry leaves the others in place). Capacity never
shrinks. Not reproduced: the order inside a bucket that Java has converted to a red-black tree
(9+ colliding keys in a table of 64+ buckets) -- this needs adversarial keys.

Everything here is pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Iterator, TypeVar

__all__ = [
    "INT32_MIN", "INT32_MAX",
    "string_hash_code", "string_hash_code_unsigned", "utils_abs", "string_compare_key",
    "topic_partition_hash_code", "hash_map_order", "TopicPartitionHashSet",
]

K = TypeVar("K", bound=Hashable)

#: Java's ``Integer.MIN_VALUE`` and ``Integer.MAX_VALUE``.
INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

_MASK32 = 0xFFFFFFFF
_DEFAULT_CAPACITY = 16  # HashMap.DEFAULT_INITIAL_CAPACITY
_LOAD_FACTOR = 0.75  # HashMap.DEFAULT_LOAD_FACTOR
_TREEIFY_THRESHOLD = 8  # a bucket with more entries than this is treeified ...
_MIN_TREEIFY_CAPACITY = 64  # ... unless the table is smaller, then the table doubles instead


# ---------------------------------------------------------------- String and Utils

def string_hash_code_unsigned(s: str) -> int:
    """Java's ``String.hashCode()``, its 32 bits read as an unsigned int.

    Args:
        s: the string.

    Returns:
        ``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 code units, modulo 2**32.

    Raises:
        TypeError: ``s`` is not a ``str``.
    """
    if not isinstance(s, str):
        raise TypeError(f"String.hashCode needs a str, got {type(s).__name__} {s!r}")
    h = 0
    if s.isascii():  # one code unit per byte: the common case, and faster
        for ch in s.encode("ascii"):
            h = (31 * h + ch) & _MASK32
        return h
    # "surrogatepass" lets lone surrogates through as the single code unit Java would see.
    data = s.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & _MASK32  # Java int arithmetic wraps
    return h


def string_hash_code(s: str) -> int:
    """Java's ``String.hashCode()``: ``h = 31 * h + c`` over UTF-16 code units, as a signed int32.

    Args:
        s: the string to hash.

    Returns:
        The hash, in ``[-2**31, 2**31 - 1]``.

    Raises:
        TypeError: ``s`` is not a ``str``.
    """
    h = string_hash_code_unsigned(s)
    return h - (1 << 32) if h > INT32_MAX else h


def utils_abs(n: int) -> int:
    """Kafka's ``Utils.abs``: the absolute value of an int32, with ``Integer.MIN_VALUE`` mapped to 0.

    Java's ``Math.abs(Integer.MIN_VALUE)`` overflows and stays negative, which would give a
    negative partition; Kafka's ``Utils.abs`` is ``n == MIN_VALUE ? 0 : Math.abs(n)``.

    Args:
        n: a signed 32-bit integer (e.g. a :func:`string_hash_code` result).

    Returns:
        ``0`` for ``-2**31``, ``abs(n)`` otherwise.

    Raises:
        TypeError: ``n`` is not an int (bools are refused).
        ValueError: ``n`` is outside the signed 32-bit range.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"Utils.abs needs an int, got {type(n).__name__} {n!r}")
    if not INT32_MIN <= n <= INT32_MAX:
        raise ValueError(f"Utils.abs takes a signed 32-bit int ({INT32_MIN}..{INT32_MAX}), got {n}")
    return 0 if n == INT32_MIN else abs(n)


def string_compare_key(s: str) -> bytes:
    """A sort key that orders strings like Java's ``String.compareTo``.

    Java compares UTF-16 code units; Python compares code points. They differ only for
    characters outside the Basic Multilingual Plane, which Java sees as surrogates
    (0xD800-0xDFFF) and therefore sorts *before* U+E000..U+FFFF. Big-endian UTF-16 bytes
    compare exactly like the code unit sequence.

    Args:
        s: the string.

    Returns:
        ``s`` encoded as UTF-16-BE (``surrogatepass`` so that lone surrogates are kept).
    """
    return s.encode("utf-16-be", "surrogatepass")


def topic_partition_hash_code(tp: tuple[str, int]) -> int:
    """Kafka's ``TopicPartition.hashCode()`` (``31 * (31 + partition) + topic.hashCode()``), unsigned.

    Args:
        tp: ``(topic, partition)``.

    Returns:
        The hash as an unsigned 32-bit int.
    """
    topic, partition = tp
    return (31 * (31 + partition) + string_hash_code_unsigned(topic)) & _MASK32


# ---------------------------------------------------------------- HashMap and HashSet order

def _bucket(h: int, capacity: int) -> int:
    # HashMap.hash(): spread the high bits down, because the table index uses only low bits.
    return (h ^ (h >> 16)) & (capacity - 1)


def hash_map_order(
    keys: Iterable[K],
    hash_fn: Callable[[Any], int] = string_hash_code_unsigned,
    *,
    initial_capacity: int = _DEFAULT_CAPACITY,
) -> list[K]:
    """The iteration order of a ``new HashMap<>()`` after ``put``-ing ``keys`` in this order.

    Kafka iterates such maps where it matters: ``ConsumerCoordinator.onLeaderElected`` puts
    every member of the JoinGroup response into a ``new HashMap<>()`` keyed by member id, and the
    sticky assignor visits members in that map's order; the classic coordinator counts protocol
    votes in a ``HashMap`` and the first maximum in its order wins.

    Args:
        keys: distinct keys in insertion order (duplicates are ignored, as ``put`` would).
        hash_fn: the key's Java ``hashCode()`` as an unsigned 32-bit int.
        initial_capacity: the ``new HashMap<>(n)`` argument (rounded up to a power of two, as
            ``HashMap.tableSizeFor`` does); 16 for ``new HashMap<>()``. Some of Kafka's tests
            build their maps with ``new HashMap<>(consumers.size())``.

    Returns:
        The keys in Java iteration order.
    """
    order: dict[K, int] = {}
    hashes: dict[K, int] = {}
    capacity = 1
    while capacity < initial_capacity:
        capacity *= 2
    bins: dict[int, int] = {}
    for key in keys:
        if key in order:
            continue
        h = hash_fn(key)
        order[key] = len(order)
        hashes[key] = h
        b = _bucket(h, capacity)
        bins[b] = bins.get(b, 0) + 1
        resized = False
        if bins[b] > _TREEIFY_THRESHOLD and capacity < _MIN_TREEIFY_CAPACITY:
            capacity *= 2  # treeifyBin() resizes small tables instead of building a tree
            resized = True
        if len(order) > int(capacity * _LOAD_FACTOR):
            capacity *= 2
            resized = True
        if resized:
            bins = {}
            for k2, h2 in hashes.items():
                b2 = _bucket(h2, capacity)
                bins[b2] = bins.get(b2, 0) + 1
    return sorted(order, key=lambda k: (_bucket(hashes[k], capacity), order[k]))


class TopicPartitionHashSet:
    """A ``java.util.HashSet<TopicPartition>`` that knows which element Java iterates first.

    ``AbstractStickyAssignor.PartitionMovements.getTheActualPartitionToBeMoved`` returns
    ``set.iterator().next()`` of such a set, so the exact element matters for the result.
    Elements remember their insertion sequence; the capacity grows as Java's does and never
    shrinks. Sets in that code are small, so :meth:`first` is a linear scan.
    """

    __slots__ = ("_seq", "_items", "_capacity", "_bins")

    def __init__(self) -> None:
        self._seq = 0
        self._items: dict[tuple[str, int], tuple[int, int]] = {}  # tp -> (hash, seq)
        self._capacity = _DEFAULT_CAPACITY
        self._bins: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, tp: object) -> bool:
        return tp in self._items

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._items)

    def add(self, tp: tuple[str, int]) -> None:
        """``HashSet.add``: append ``tp`` to its bucket, growing the table like Java."""
        if tp in self._items:
            return
        h = topic_partition_hash_code(tp)
        self._items[tp] = (h, self._seq)
        self._seq += 1
        b = _bucket(h, self._capacity)
        self._bins[b] = self._bins.get(b, 0) + 1
        resized = False
        if self._bins[b] > _TREEIFY_THRESHOLD and self._capacity < _MIN_TREEIFY_CAPACITY:
            self._capacity *= 2
            resized = True
        if len(self._items) > int(self._capacity * _LOAD_FACTOR):
            self._capacity *= 2
            resized = True
        if resized:
            self._bins = {}
            for h2, _ in self._items.values():
                b2 = _bucket(h2, self._capacity)
                self._bins[b2] = self._bins.get(b2, 0) + 1

    def discard(self, tp: tuple[str, int]) -> None:
        """``HashSet.remove``: the other elements keep their places."""
        entry = self._items.pop(tp, None)
        if entry is not None:
            b = _bucket(entry[0], self._capacity)
            self._bins[b] -= 1

    def first(self) -> tuple[str, int]:
        """``iterator().next()``: lowest bucket, then earliest insertion.

        Raises:
            KeyError: the set is empty.
        """
        if not self._items:
            raise KeyError("first() of an empty set")
        cap = self._capacity
        return min(self._items, key=lambda tp: (_bucket(self._items[tp][0], cap), self._items[tp][1]))
