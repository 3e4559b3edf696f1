"""Kafka's topic ids (``org.apache.kafka.common.Uuid``), as the server-side assignors see them.

How it works
------------
:class:`Uuid` is a ``str`` subclass holding Kafka's 22-character URL-safe base64 text
(``Uuid.toString``), so it prints, compares and hashes as that text and works as a JSON key; it
also keeps the two signed 64-bit halves, which give Kafka's ``compareTo`` order
(:attr:`Uuid.compare_key`) and Java's ``hashCode`` (:meth:`Uuid.java_hash_code`, the order of
Java's hash collections over topic ids).  :func:`as_topic_id` converts text on hot paths through a
cache.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any

from kafkalab.java import uuid_hash_code

__all__ = ["Uuid", "as_topic_id"]

_UUID_TEXT = re.compile(r"[A-Za-z0-9_-]{22}(==)?")
_MASK64 = (1 << 64) - 1


def _signed64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


class Uuid(str):
    """A Kafka topic id: 128 bits, written as 22 characters of URL-safe base64 (``Uuid.toString``).

    It *is* its canonical string, so it prints, compares equal and hashes like one, and works as a
    JSON key.  ``Uuid("T1-A4s3VTwiI5CTbEp6POw")`` parses like ``Uuid.fromString`` (unused trailing
    bits are dropped, so the value is canonical).  ``<`` is ``str`` order; Kafka's ``compareTo``
    order (signed most significant long, then signed least significant long) is
    :attr:`compare_key`.
    """

    most_significant_bits: int
    least_significant_bits: int

    def __new__(cls, value: Any) -> Uuid:
        """Parse a topic id.

        Args:
            value: a :class:`Uuid`, or its 22-character URL-safe base64 text (24 with ``==``).

        Raises:
            TypeError: ``value`` is not a string.
            ValueError: not 22 base64 characters.
        """
        if type(value) is cls:
            return value
        if not isinstance(value, str):
            raise TypeError(f"a topic id must be a Uuid or its 22-character base64 text, not {value!r}")
        if not _UUID_TEXT.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a topic id: expected 22 characters of URL-safe base64 "
                "(A-Z a-z 0-9 - _), as Kafka's Uuid.toString() writes them"
            )
        try:
            raw = base64.urlsafe_b64decode(value[:22] + "==")
        except (binascii.Error, ValueError) as e:  # pragma: no cover - the regex already checked
            raise ValueError(f"{value!r} is not a topic id: {e}") from None
        return cls.from_bits(int.from_bytes(raw[:8], "big", signed=True), int.from_bytes(raw[8:], "big", signed=True))

    @classmethod
    def from_bits(cls, most_significant_bits: int, least_significant_bits: int) -> Uuid:
        """Kafka's ``new Uuid(mostSigBits, leastSigBits)``.

        Args:
            most_significant_bits: a 64-bit value (taken modulo 2**64, as Java's ``long``).
            least_significant_bits: likewise.

        Returns:
            The Uuid.
        """
        msb, lsb = _signed64(most_significant_bits), _signed64(least_significant_bits)
        raw = (msb & _MASK64).to_bytes(8, "big") + (lsb & _MASK64).to_bytes(8, "big")
        self = str.__new__(cls, base64.urlsafe_b64encode(raw).decode("ascii")[:22])
        self.most_significant_bits = msb
        self.least_significant_bits = lsb
        self._java_hash = uuid_hash_code(msb, lsb)
        return self

    def java_hash_code(self) -> int:
        """``Uuid.hashCode()`` (:func:`kafkalab.java.uuid_hash_code`), a signed 32-bit int."""
        return self._java_hash

    @property
    def compare_key(self) -> tuple[int, int]:
        """Sort key giving ``Uuid.compareTo`` order."""
        return (self.most_significant_bits, self.least_significant_bits)

    def __repr__(self) -> str:
        return f"Uuid({str.__repr__(self)})"

    def __reduce__(self):
        return (Uuid, (str(self),))


@functools.lru_cache(maxsize=1 << 16)
def _parse_topic_id(text: str) -> Uuid:
    return Uuid(text)


def as_topic_id(value: Any) -> Uuid:
    """``value`` as a :class:`Uuid` (see :class:`Uuid` for what is accepted)."""
    if type(value) is Uuid:
        return value
    if type(value) is str:
        return _parse_topic_id(value)
    return Uuid(value)
