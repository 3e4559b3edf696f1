"""Java values whose exact bits Kafka's results depend on: hash codes, ``compareTo``, ``Utils.abs``.

* :func:`string_hash_code` -- ``String.hashCode()``: ``h = 31 * h + c`` over **UTF-16 code
  units**, as a signed int32 (:func:`string_hash_code_unsigned` gives the same bits as an
  unsigned int). A character outside the Basic Multilingual Plane (an emoji, say) is two code
  units in Java, a surrogate pair, so it takes two steps; a lone surrogate, legal in a Java
  string, takes one.
* :func:`utils_abs` -- Kafka's ``Utils.abs``: like ``Math.abs`` but mapping ``Integer.MIN_VALUE``
  to 0, where ``Math.abs`` overflows and stays negative. The coordinator's partition is
  ``utils_abs(string_hash_code(group_id)) % offsets.topic.num.partitions``
  (:func:`kafkalab.cluster.partition_for_group`).
* :func:`string_compare_key` -- a sort key that orders strings as ``String.compareTo`` does.
* :func:`topic_partition_hash_code` -- ``TopicPartition.hashCode()``.
* :func:`uuid_hash_code` -- ``Uuid.hashCode()`` of Kafka's topic ids.

Pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

__all__ = [
    "INT32_MIN", "INT32_MAX",
    "string_hash_code", "string_hash_code_unsigned", "utils_abs", "string_compare_key",
    "topic_partition_hash_code", "uuid_hash_code",
]

#: Java's ``Integer.MIN_VALUE`` and ``Integer.MAX_VALUE``.
INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1


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


def uuid_hash_code(most_significant_bits: int, least_significant_bits: int) -> int:
    """Kafka's ``Uuid.hashCode()``: the two longs XOR-ed, then the two halves of that XOR-ed.

    Args:
        most_significant_bits: the Uuid's first 64 bits (signed or unsigned; taken modulo 2**64).
        least_significant_bits: its last 64 bits, likewise.

    Returns:
        The hash as a signed 32-bit int, as Java returns it.
    """
    x = (most_significant_bits ^ least_significant_bits) & _MASK64
    h = (x >> 32) ^ (x & _MASK32)
    return h - (1 << 32) if h > INT32_MAX else h
