"""What the tap reads in a frame, sans-IO: group APIs decoded, broker addresses rewritten.

Two jobs, both on whole frame payloads (the bytes after the int32 size):

* :func:`decode_request` / :func:`decode_response` turn a group API frame (FindCoordinator,
  JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
  ListGroups, and KIP-848's ConsumerGroupHeartbeat and ConsumerGroupDescribe) into the
  :mod:`kafkalab.messages` object the :class:`~kafkalab.Coordinator` speaks, with
  :mod:`kafkalab.wire.codec`'s conversions (topic ids in Kafka's text form). OffsetFetch v8+
  batches groups, so it becomes the codec's :class:`~kafkalab.wire.codec.OffsetFetchBatch` /
  :class:`~kafkalab.wire.codec.OffsetFetchBatchResponse`. A frame kafkalab has no message for (a
  version outside kafkalab's modelled range) comes back as a plain dict of kio's fields instead. These functions only
  *read*: the forwarded bytes are never touched.
* :func:`rewrite_addresses` decodes a Metadata, FindCoordinator or DescribeCluster response,
  replaces every broker's ``host``/``port`` with what ``mapper(node_id, host, port)`` returns (the
  tap's own listener for that broker) and encodes it again with kio. These three are the only
  frames whose bytes the tap changes.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import io
import struct
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import kio.index
from kio.schema.index import api_key_map
from kio.serial import entity_reader, entity_writer

from .. import messages as m
from ..wire.codec import GROUP_APIS, OffsetFetchBatch, OffsetFetchBatchResponse, request_extras, to_message

__all__ = [
    "API_NAMES", "TRACED_APIS", "REWRITTEN_APIS", "SASL_HANDSHAKE", "api_name",
    "decode_request", "decode_response", "rewrite_addresses", "kio_fields", "RewriteError",
    "sasl_mechanism", "sasl_accepted",
]

#: Kafka's API names (``JoinGroup``) by key, for every API kio knows.
API_NAMES: dict[int, str] = {k: "".join(p.capitalize() for p in v.split("_")) for k, v in api_key_map.items()}

#: The APIs whose frames the tap decodes into its trace: the classic group APIs and KIP-848's.
TRACED_APIS = frozenset({8, 9, 10, 11, 12, 13, 14, 15, 16, 68, 69})
#: Responses whose broker addresses the tap rewrites: Metadata, FindCoordinator, DescribeCluster.
REWRITTEN_APIS = frozenset({3, 10, 60})
SASL_HANDSHAKE = 17

#: API key -> the kafkalab response class (``JoinGroupRequest`` answers with ``JoinGroupResponse``),
#: for every group API the wire codec maps to a kafkalab request.
_RESPONSES: dict[int, type] = {
    key: getattr(m, cls.__name__[:-len("Request")] + "Response") for key, cls in GROUP_APIS.items()
    if hasattr(m, cls.__name__[:-len("Request")] + "Response")
}


class RewriteError(Exception):
    """A Metadata/FindCoordinator/DescribeCluster response that cannot be decoded to rewrite it."""


def api_name(api_key: int) -> str:
    return API_NAMES.get(api_key, f"ApiKey{api_key}")


# ---------------------------------------------------------------- kio objects -> plain values

def kio_fields(obj: Any) -> Any:
    """A kio object as JSON-ready values: dataclasses become dicts, durations int milliseconds
    (the field keeps kio's name, e.g. ``session_timeout``), bytes base64 text, error codes ints."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: kio_fields(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [kio_fields(v) for v in obj]
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, timedelta):
        return obj // timedelta(milliseconds=1)
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


# ---------------------------------------------------------------- decoding

def _read(payload: bytes, cls: type, header_schema: type) -> tuple[Any, Any]:
    header, used = entity_reader(header_schema)(payload, 0)
    body, _ = entity_reader(cls)(payload, used)
    return header, body


def decode_request(payload: bytes, *, client_host: str = "/127.0.0.1") -> tuple[Any, Optional[dict], Optional[str]]:
    """Decode a traced request frame's payload.

    Returns:
        ``(message, fields, client_id)``: ``message`` is the kafkalab request (or an
        :class:`OffsetFetchBatch`) when kafkalab models this API and version, else ``None``, and
        then ``fields`` is kio's body as plain values.

    Raises:
        ValueError: the frame does not decode (with kio's reason).
    """
    payload = bytes(payload)
    api_key, api_version = struct.unpack_from(">hh", payload)
    try:
        cls = kio.index.load_request_schema(api_key, api_version)
        header, body = _read(payload, cls, cls.__header_schema__)
    except Exception as exc:  # kio raises many kinds (its DecodeErrors, ValueError, UnicodeDecodeError ...)
        raise ValueError(f"cannot decode {api_name(api_key)} v{api_version} request: "
                         f"{type(exc).__name__}: {exc}") from exc
    client_id = header.client_id
    target = GROUP_APIS.get(api_key)
    if target is not None:
        try:
            if api_key == 9 and api_version >= 8:
                message: Any = OffsetFetchBatch(tuple(
                    to_message(m.OffsetFetchRequest, g, api_version=api_version, require_stable=body.require_stable)
                    for g in body.groups))
            else:
                message = to_message(target, body, **request_extras(api_key, api_version, client_id, client_host))
            return message, None, client_id
        except (TypeError, ValueError):
            pass  # a version kafkalab does not model: keep kio's fields
    return None, kio_fields(body), client_id


def decode_response(payload: bytes, api_key: int, api_version: int) -> tuple[Any, Optional[dict]]:
    """Decode a traced response frame's payload (its request said ``api_key`` and ``api_version``).

    Returns ``(message, fields)`` like :func:`decode_request`.

    Raises:
        ValueError: the frame does not decode.
    """
    payload = bytes(payload)
    try:
        cls = kio.index.load_response_schema(api_key, api_version)
        _, body = _read(payload, cls, cls.__header_schema__)
    except Exception as exc:
        raise ValueError(f"cannot decode {api_name(api_key)} v{api_version} response: "
                         f"{type(exc).__name__}: {exc}") from exc
    target = _RESPONSES.get(api_key)
    if target is not None:
        try:
            if api_key == 9 and api_version >= 8:
                return OffsetFetchBatchResponse(tuple(
                    (g.group_id, to_message(m.OffsetFetchResponse, g)) for g in body.groups)), None
            return to_message(target, body), None
        except (TypeError, ValueError):
            pass
    return None, kio_fields(body)


# ---------------------------------------------------------------- rewriting

Mapper = Callable[[int, str, int], tuple[str, int]]


def rewrite_addresses(payload: bytes, api_key: int, api_version: int,
                      mapper: Mapper) -> tuple[bytes, list[tuple[int, str, int]]]:
    """Replace the broker addresses in a Metadata (3), FindCoordinator (10) or DescribeCluster (60)
    response payload.

    ``mapper(node_id, host, port)`` returns the ``(host, port)`` clients should use instead. An
    entry with an error or no broker (``node_id`` -1, FindCoordinator's answer when the
    coordinator is not available) is left as it is.

    Returns:
        ``(new payload, [(node_id, upstream host, upstream port), ...])`` for every broker seen.

    Raises:
        RewriteError: kio cannot decode (or re-encode) the response.
    """
    payload = bytes(payload)
    try:
        cls = kio.index.load_response_schema(api_key, api_version)
        header, body = _read(payload, cls, cls.__header_schema__)
    except Exception as exc:
        raise RewriteError(f"cannot decode {api_name(api_key)} v{api_version} response to rewrite its broker "
                           f"addresses: {type(exc).__name__}: {exc}") from exc
    seen: list[tuple[int, str, int]] = []

    def swap(entry: Any, id_field: str) -> Any:
        node_id = getattr(entry, id_field)
        error = getattr(entry, "error_code", 0)
        if node_id < 0 or int(error) != 0 or entry.port < 0:
            return entry
        seen.append((node_id, entry.host, entry.port))
        host, port = mapper(node_id, entry.host, entry.port)
        return dataclasses.replace(entry, host=host, port=port)

    if api_key == 3 or api_key == 60:
        id_field = "node_id" if api_key == 3 else "broker_id"
        body = dataclasses.replace(body, brokers=tuple(swap(b, id_field) for b in body.brokers))
    elif api_key == 10 and api_version >= 4:
        body = dataclasses.replace(body, coordinators=tuple(swap(c, "node_id") for c in body.coordinators))
    elif api_key == 10:
        body = swap(body, "node_id")
    else:  # pragma: no cover - callers only pass the three APIs
        raise RewriteError(f"{api_name(api_key)} responses carry no broker addresses")
    out = io.BytesIO()
    try:
        entity_writer(cls.__header_schema__)(out, header)
        entity_writer(cls)(out, body)
    except Exception as exc:  # pragma: no cover - kio re-encodes what it decoded
        raise RewriteError(f"cannot re-encode {api_name(api_key)} v{api_version}: {exc}") from exc
    return out.getvalue(), seen


def sasl_mechanism(payload: bytes) -> Optional[str]:
    """The mechanism a SaslHandshake request asks for (``None`` if it does not decode)."""
    try:
        cls = kio.index.load_request_schema(SASL_HANDSHAKE, struct.unpack_from(">h", payload, 2)[0])
        _, body = _read(bytes(payload), cls, cls.__header_schema__)
        return body.mechanism
    except Exception:
        return None


def sasl_accepted(payload: bytes, api_version: int) -> bool:
    """Whether a SaslHandshake response says the mechanism is accepted (error code 0)."""
    try:
        cls = kio.index.load_response_schema(SASL_HANDSHAKE, api_version)
        _, body = _read(bytes(payload), cls, cls.__header_schema__)
        return int(body.error_code) == 0
    except Exception:
        return False

