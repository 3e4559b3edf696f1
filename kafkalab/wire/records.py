"""Record batches as a broker sees them: opaque bytes with a header it may patch.

How it works
------------
A producer sends each partition's records as one *record batch* (magic 2, Kafka 0.11+). A broker
does not re-encode it: it checks the header and the CRC, writes the partition's next offset into
``baseOffset`` and its leader epoch into ``partitionLeaderEpoch``, and appends the bytes as they
are. The CRC-32C covers bytes 21 to the end (attributes onwards), so both patched fields lie
outside it and the batch stays valid, compressed or not. A consumer's Fetch gets the stored bytes
back, starting with the batch that holds the fetch offset; the client skips records below the
offset it asked for.

Record batch v2 header (61 bytes, big-endian)::

    0 baseOffset int64        8 batchLength int32       12 partitionLeaderEpoch int32
   16 magic int8             17 crc uint32             21 attributes int16
   23 lastOffsetDelta int32  27 baseTimestamp int64    35 maxTimestamp int64
   43 producerId int64       51 producerEpoch int16    53 baseSequence int32
   57 recordsCount int32     61 records...

``batchLength`` counts the bytes after itself, so a batch is ``12 + batchLength`` bytes long. The
next offset after a batch is ``baseOffset + lastOffsetDelta + 1``.

:func:`validate_produce_records` applies the checks Kafka makes before an append
(``ProduceRequest.validateRecords`` and ``LogValidator``), with the error code each failure gets.
Everything here is pure: bytes in, values out.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Iterator, Optional

from crc32c import crc32c as _crc32c

from ..errors import ErrorCode

__all__ = [
    "HEADER_SIZE", "LOG_OVERHEAD", "MAGIC_V2", "DEFAULT_MAX_MESSAGE_BYTES",
    "Compression", "BatchHeader", "read_header", "crc32c", "validate_produce_records",
    "patch_batch", "record_timestamps",
]

#: Bytes of a v2 batch header before the first record.
HEADER_SIZE = 61
#: ``baseOffset`` + ``batchLength``: the part of a batch that ``batchLength`` does not count.
LOG_OVERHEAD = 12
MAGIC_V2 = 2
#: Kafka's ``message.max.bytes`` default: the largest batch a broker accepts (1 MiB + 12 bytes).
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

_ATTR_COMPRESSION = 0x07
_ATTR_TIMESTAMP_TYPE = 0x08
_ATTR_TRANSACTIONAL = 0x10
_ATTR_CONTROL = 0x20


class Compression:
    """Compression codec ids in the low 3 bits of ``attributes``."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4
    NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


@dataclass(frozen=True)
class BatchHeader:
    """The fields of a v2 batch header that a broker reads."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """The whole batch's length in bytes."""
        return LOG_OVERHEAD + self.batch_length

    @property
    def compression(self) -> int:
        return self.attributes & _ATTR_COMPRESSION

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & _ATTR_TRANSACTIONAL)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & _ATTR_CONTROL)

    @property
    def log_append_time(self) -> bool:
        return bool(self.attributes & _ATTR_TIMESTAMP_TYPE)


_HEADER = struct.Struct(">qiibIhiqqqhii")
assert _HEADER.size == HEADER_SIZE


def read_header(data: bytes | memoryview, offset: int = 0) -> BatchHeader:
    """Read the v2 batch header at ``offset``.

    Raises:
        ValueError: fewer than 61 bytes are left.
    """
    if len(data) - offset < HEADER_SIZE:
        raise ValueError(f"a record batch header needs {HEADER_SIZE} bytes, {len(data) - offset} are left")
    return BatchHeader(*_HEADER.unpack_from(data, offset))


# ---------------------------------------------------------------- CRC-32C (Castagnoli)

def crc32c(data: bytes | memoryview) -> int:
    """CRC-32C of ``data``, as record batches use it (Kafka's ``Crc32C``), computed by the ``crc32c`` package."""
    return _crc32c(data)


# ---------------------------------------------------------------- produce-side validation

def validate_produce_records(
    records: Optional[bytes],
    produce_version: int,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> tuple[ErrorCode, Optional[str], Optional[bytes]]:
    """Check one partition's ``records`` from a Produce request (v3+) as Kafka does before appending.

    Kafka's rules, in its order:

    * v3+ must carry **exactly one** magic-2 batch per partition (``ProduceRequest.validateRecords``):
      no batch, another magic, or a second complete batch is INVALID_RECORD.
    * Bytes after the last complete batch that do not form a whole batch are dropped silently
      (``UnifiedLog.trimInvalidBytes``); a batch shorter than its header is CORRUPT_MESSAGE.
    * zstd needs Produce v7+ (UNSUPPORTED_COMPRESSION_TYPE); a batch larger than
      ``message.max.bytes`` is MESSAGE_TOO_LARGE; a bad CRC is CORRUPT_MESSAGE.
    * ``LogValidator.validateBatch``: the record count must be positive and agree with
      ``lastOffsetDelta``; control batches may not come from clients (INVALID_RECORD).
    * Transactional batches need a transaction coordinator, which kafkalab does not have
      (INVALID_RECORD, a documented difference).

    Args:
        records: the partition's ``records`` bytes (``None`` counts as empty).
        produce_version: the Produce request's version.
        max_message_bytes: Kafka's ``message.max.bytes``.

    Returns:
        ``(ErrorCode.NONE, None, batch)`` with the one batch to append (trailing junk removed), or
        ``(error, message, None)``.
    """
    data = records or b""
    if len(data) < LOG_OVERHEAD:
        return (ErrorCode.INVALID_RECORD,
                f"Produce requests with version {produce_version} must have at least one record batch per partition",
                None)
    (batch_length,) = struct.unpack_from(">i", data, 8)
    size = LOG_OVERHEAD + batch_length
    if batch_length < HEADER_SIZE - LOG_OVERHEAD:
        return (ErrorCode.CORRUPT_MESSAGE,
                f"Record batch size {size} is less than the minimum of {HEADER_SIZE}", None)
    if size > len(data):
        # The only batch is cut short: Kafka's batch iterator sees no batch at all.
        return (ErrorCode.INVALID_RECORD,
                f"Produce requests with version {produce_version} must have at least one record batch per partition",
                None)
    if len(data) < 17 or data[16] != MAGIC_V2:
        return (ErrorCode.INVALID_RECORD,
                f"Produce requests with version {produce_version} are only allowed to contain record batches "
                f"with magic version 2", None)
    rest = len(data) - size
    if rest >= LOG_OVERHEAD:
        (next_length,) = struct.unpack_from(">i", data, size + 8)
        if 0 <= next_length and LOG_OVERHEAD + next_length <= rest:
            return (ErrorCode.INVALID_RECORD,
                    f"Produce requests with version {produce_version} are only allowed to contain exactly one "
                    f"record batch per partition", None)
    batch = bytes(data[:size]) if rest else bytes(data)
    header = read_header(batch)
    if header.compression == Compression.ZSTD and produce_version < 7:
        return (ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
                "Produce requests with version below 7 cannot carry zstd-compressed batches", None)
    if header.compression > Compression.ZSTD:
        return ErrorCode.CORRUPT_MESSAGE, f"Unknown compression type id: {header.compression}", None
    if size > max_message_bytes:
        return (ErrorCode.MESSAGE_TOO_LARGE,
                f"The record batch size {size} is larger than message.max.bytes ({max_message_bytes})", None)
    if header.crc != crc32c(memoryview(batch)[21:]):
        return ErrorCode.CORRUPT_MESSAGE, "Record batch is corrupt (CRC mismatch)", None
    if header.records_count <= 0:
        return ErrorCode.INVALID_RECORD, f"Invalid reported count for record batch: {header.records_count}", None
    if header.last_offset_delta < 0 or header.last_offset_delta + 1 != header.records_count:
        return (ErrorCode.INVALID_RECORD,
                f"Inconsistent batch offset range ({header.last_offset_delta + 1}) and record count "
                f"({header.records_count})", None)
    if header.is_control:
        return ErrorCode.INVALID_RECORD, "Control records may only be written by a transaction coordinator", None
    if header.is_transactional:
        return (ErrorCode.INVALID_RECORD,
                "kafkalab has no transaction coordinator, so it refuses transactional batches", None)
    return ErrorCode.NONE, None, batch


def patch_batch(batch: bytes, base_offset: int, leader_epoch: int = 0) -> bytes:
    """Return ``batch`` with ``baseOffset`` and ``partitionLeaderEpoch`` rewritten.

    Both fields lie before the CRC's range (bytes 21 to the end), so the CRC stays valid.
    """
    out = bytearray(batch)
    struct.pack_into(">q", out, 0, base_offset)
    struct.pack_into(">i", out, 12, leader_epoch)
    return bytes(out)


# ---------------------------------------------------------------- reading records (timestamps only)

def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint (Kafka's ``ByteUtils.readVarlong``) at ``pos``: (value, next pos)."""
    shift = 0
    raw = 0
    while True:
        if pos >= len(data):
            raise ValueError("varint runs past the end of the records")
        b = data[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint is too long")
    return (raw >> 1) ^ -(raw & 1), pos


def record_timestamps(batch: bytes) -> Optional[list[tuple[int, int]]]:
    """The ``(offset, timestamp)`` of every record in a stored (patched) batch.

    Only uncompressed and gzip batches can be read without extra libraries; for snappy, lz4 and
    zstd this returns ``None`` and callers fall back to the batch's header (``baseOffset``,
    ``maxTimestamp``). A batch with LogAppendTime stamps every record with ``maxTimestamp``.
    """
    header = read_header(batch)
    if header.log_append_time:
        return [(header.base_offset + d, header.max_timestamp) for d in range(header.records_count)]
    body = batch[HEADER_SIZE:]
    if header.compression == Compression.GZIP:
        try:
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        except zlib.error:
            return None
    elif header.compression != Compression.NONE:
        return None
    out = []
    pos = 0
    try:
        for _ in range(header.records_count):
            length, pos = _varint(body, pos)
            start = pos
            pos += 1  # attributes
            ts_delta, pos = _varint(body, pos)
            offset_delta, pos = _varint(body, pos)
            out.append((header.base_offset + offset_delta, header.base_timestamp + ts_delta))
            pos = start + length
    except ValueError:
        return None
    return out


def iter_batches(data: bytes) -> Iterator[tuple[int, BatchHeader]]:
    """Yield ``(position, header)`` for each complete batch in a concatenation of batches."""
    pos = 0
    while len(data) - pos >= HEADER_SIZE:
        header = read_header(data, pos)
        if header.batch_length < HEADER_SIZE - LOG_OVERHEAD or pos + header.size > len(data):
            return
        yield pos, header
        pos += header.size
