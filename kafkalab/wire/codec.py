"""Kafka's wire format, sans-IO: bytes in, requests out; responses in, bytes out.

How it works
------------
A Kafka connection carries *frames*: an int32 size, then that many bytes. A request frame starts
with a request header (``api_key``, ``api_version``, ``correlation_id``, ``client_id``, and in
flexible versions tagged fields), then the request body. The answer is a frame with a response
header (the same ``correlation_id``) and the response body, encoded in the request's version.

:class:`Codec` is one connection's decoder and encoder. It never touches a socket:

* :meth:`Codec.feed` takes whatever bytes arrived (a whole frame, one byte, three frames and a
  half) and returns the complete requests as ``(RequestHeader, request)`` pairs, keeping the rest
  for the next call.
* :meth:`Codec.encode` turns ``(RequestHeader, response)`` into the bytes of a response frame.

The body encoding itself is `kio <https://pypi.org/project/kio/>`_'s, generated from Kafka's own
JSON message schemas. For the group APIs the codec converts between kio's objects and
:mod:`kafkalab.messages`, the version-agnostic dataclasses the :class:`~kafkalab.Coordinator`
speaks: kio's ``datetime.timedelta`` durations (``session_timeout``) become ints of milliseconds
(``session_timeout_ms``), kio's ``ErrorCode`` becomes kafkalab's, and the request header's
``client_id`` (plus the peer address as ``client_host``) goes on the JoinGroup and
ConsumerGroupHeartbeat requests (:func:`request_extras`). KIP-848's ConsumerGroupHeartbeat and
ConsumerGroupDescribe name topics by id only: kio's :class:`uuid.UUID` becomes Kafka's 22-character
text form (:func:`uuid_text`), the form kafkalab's messages and ``kafkalab.modern`` use, and back
(:func:`uuid_from_text`). The other
APIs (ApiVersions, Metadata, CreateTopics, CreatePartitions, DeleteTopics, Produce, Fetch,
ListOffsets, InitProducerId) stay kio objects; the :class:`~kafkalab.wire.broker.WireCluster`
answers them.

Two shapes exist only on the wire: OffsetFetch v8+ batches several groups in one request
(:class:`OffsetFetchBatch` in, :class:`OffsetFetchBatchResponse` out), and an ApiVersions request
of a version the codec does not know (:class:`UnsupportedApiVersions`), which Kafka answers in the
v0 format with UNSUPPORTED_VERSION so that the client can retry with an older version.

What cannot be read becomes a :class:`Malformed` item, after which the codec reads nothing more:
a frame larger than ``max_frame_bytes`` (or with a negative size), a frame too short for a
header, an API key or version that is not in :data:`API_VERSIONS`, or a body that does not decode.
A Kafka broker closes the connection in each of these cases (``SocketServer`` /
``RequestContext.parseRequest``), and so does :mod:`kafkalab.wire.server`.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import struct
import sys
import types
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import kio.index
from kio.schema.errors import ErrorCode as KioErrorCode
from kio.serial import entity_reader, entity_writer

from .. import messages as m
from ..errors import DecodeError, ErrorCode

__all__ = [
    "API_VERSIONS", "API_NAMES", "GROUP_APIS", "DEFAULT_MAX_FRAME_BYTES",
    "RequestHeader", "Malformed", "UnsupportedApiVersions", "OffsetFetchBatch", "OffsetFetchBatchResponse",
    "Codec", "decode_frame", "encode_response", "build", "to_message", "frame", "request_extras",
    "uuid_text", "uuid_from_text",
]

#: The APIs and versions kafkalab implements, and so advertises in ApiVersions (key: (min, max)).
#: The group APIs follow :data:`kafkalab.messages.API_VERSIONS`; the others are what the three
#: Python clients use (see ``docs/wire.md``), within kio's coverage (Kafka 4.0, KIP-896).
API_VERSIONS: dict[int, tuple[int, int]] = {
    0: (3, 12),    # Produce (v13 names topics by id only)
    1: (4, 17),    # Fetch (v13+ names topics by id)
    2: (1, 10),    # ListOffsets
    3: (0, 12),    # Metadata
    8: m.API_VERSIONS["OffsetCommit"],
    9: m.API_VERSIONS["OffsetFetch"],
    10: m.API_VERSIONS["FindCoordinator"],
    11: m.API_VERSIONS["JoinGroup"],
    12: m.API_VERSIONS["Heartbeat"],
    13: m.API_VERSIONS["LeaveGroup"],
    14: m.API_VERSIONS["SyncGroup"],
    15: m.API_VERSIONS["DescribeGroups"],
    16: m.API_VERSIONS["ListGroups"],
    18: (0, 4),    # ApiVersions
    19: (2, 7),    # CreateTopics
    20: (1, 6),    # DeleteTopics (v6 names topics by name or by id)
    22: (0, 5),    # InitProducerId (idempotent producers; no transactions)
    37: (0, 3),    # CreatePartitions
    68: m.API_VERSIONS["ConsumerGroupHeartbeat"],
    69: m.API_VERSIONS["ConsumerGroupDescribe"],
}

API_NAMES: dict[int, str] = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
    10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
    15: "DescribeGroups", 16: "ListGroups", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
    22: "InitProducerId", 37: "CreatePartitions", 68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe",
}

#: API key -> the kafkalab request class a group API decodes into.
GROUP_APIS: dict[int, type] = {
    8: m.OffsetCommitRequest,
    9: m.OffsetFetchRequest,
    10: m.FindCoordinatorRequest,
    11: m.JoinGroupRequest,
    12: m.HeartbeatRequest,
    13: m.LeaveGroupRequest,
    14: m.SyncGroupRequest,
    15: m.DescribeGroupsRequest,
    16: m.ListGroupsRequest,
    68: m.ConsumerGroupHeartbeatRequest,
    69: m.ConsumerGroupDescribeRequest,
}

#: Kafka's ``socket.request.max.bytes`` is 100 MiB; a larger frame closes the connection.
DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024

API_VERSIONS_KEY = 18
_REQUEST_HEADER_MIN = 8  # api_key, api_version, correlation_id


@dataclass(frozen=True)
class RequestHeader:
    """The request header fields every API shares (``client_id`` may be ``None`` on the wire)."""

    api_key: int
    api_version: int
    correlation_id: int
    client_id: Optional[str] = None

    @property
    def api_name(self) -> str:
        return API_NAMES.get(self.api_key, f"api key {self.api_key}")


@dataclass(frozen=True)
class Malformed:
    """A frame that cannot be served; the connection must be closed (after earlier answers)."""

    reason: str


@dataclass(frozen=True)
class UnsupportedApiVersions:
    """An ApiVersions request of a version this codec cannot read (v5+, or negative).

    Kafka reads no body and answers in the v0 format with UNSUPPORTED_VERSION (KIP-511).
    """

    api_version: int


@dataclass(frozen=True)
class OffsetFetchBatch:
    """OffsetFetch v8+ (KIP-709): one :class:`~kafkalab.messages.OffsetFetchRequest` per group."""

    requests: tuple[m.OffsetFetchRequest, ...]


@dataclass(frozen=True)
class OffsetFetchBatchResponse:
    """The answer to an :class:`OffsetFetchBatch`: ``(group_id, response)`` per group, in order."""

    groups: tuple[tuple[str, m.OffsetFetchResponse], ...]


# ---------------------------------------------------------------- topic ids

def uuid_text(value: uuid.UUID) -> str:
    """Kafka's text form of a ``Uuid`` (``Uuid.toString``): the 16 bytes in URL-safe base64
    without padding, 22 characters. kafkalab's messages carry topic ids in this form; kio's
    objects carry :class:`uuid.UUID`."""
    return base64.urlsafe_b64encode(value.bytes).rstrip(b"=").decode("ascii")


def uuid_from_text(text: str) -> uuid.UUID:
    """The :class:`uuid.UUID` of a topic id in Kafka's text form (``Uuid.fromString``); the
    canonical hyphenated form is accepted too.

    Raises:
        ValueError: ``text`` is neither.
    """
    if len(text) == 22:
        try:
            return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=="))
        except ValueError:
            pass
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a topic id: Kafka writes one as 22 characters of URL-safe "
                         "base64 (e.g. 'AAAAAAAAAAAAAAAAAAAAAQ')") from None


# ---------------------------------------------------------------- kio <-> plain values

_MISSING = object()
_MS = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# kio field name -> other names the value may have on a kafkalab message.
_ALIASES = {"generation_id_or_member_epoch": ("generation_id",)}


@dataclass(frozen=True)
class _Spec:
    name: str
    kind: str                     # td, err, dt, uuid, nested, nested_tuple, plain
    item: Optional[type]          # the nested kio class
    has_default: bool
    aliases: tuple[str, ...]


_SPECS: dict[type, tuple[_Spec, ...]] = {}


def _nested(tp: Any) -> tuple[Optional[str], Optional[type]]:
    """``tuple[X, ...]`` or ``X`` or ``X | None`` with X a dataclass -> (kind, X)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            kind, item = _nested(arg)
            if item is not None:
                return kind, item
        return None, None
    if origin is tuple:
        args = typing.get_args(tp)
        if args and dataclasses.is_dataclass(args[0]):
            return "nested_tuple", args[0]
        return None, None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return "nested", tp
    return None, None


def _specs(cls: type) -> tuple[_Spec, ...]:
    specs = _SPECS.get(cls)
    if specs is not None:
        return specs
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    out = []
    for f in dataclasses.fields(cls):
        kafka_type = f.metadata.get("kafka_type")
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        kind, item = _nested(hints[f.name])
        if kind is None:
            kind = {"timedelta_i32": "td", "timedelta_i64": "td", "error_code": "err",
                    "datetime_i64": "dt", "uuid": "uuid"}.get(kafka_type, "plain")
        aliases = (f.name,) + _ALIASES.get(f.name, ()) + ((f.name + "_ms",) if kind == "td" else ())
        out.append(_Spec(f.name, kind, item, has_default, aliases))
    specs = _SPECS[cls] = tuple(out)
    return specs


def _lookup(src: Any, spec: _Spec) -> Any:
    if isinstance(src, Mapping):
        for name in spec.aliases:
            if name in src:
                return src[name]
        return _MISSING
    for name in spec.aliases:
        value = getattr(src, name, _MISSING)
        if value is not _MISSING:
            return value
    return _MISSING


def _to_kio(spec: _Spec, value: Any) -> Any:
    kind = spec.kind
    if value is None:
        return None
    if kind == "td":
        return value if isinstance(value, timedelta) else timedelta(milliseconds=int(value))
    if kind == "err":
        return value if isinstance(value, KioErrorCode) else KioErrorCode(int(value))
    if kind == "nested_tuple":
        return tuple(build(spec.item, v) for v in value)
    if kind == "nested":
        return build(spec.item, value)
    if kind == "dt":
        if isinstance(value, datetime):
            return value
        return None if value < 0 else _EPOCH + timedelta(milliseconds=int(value))
    if kind == "uuid":
        return value if isinstance(value, uuid.UUID) else uuid_from_text(str(value))
    if isinstance(value, ErrorCode):
        return int(value)
    return value


def build(cls: type, src: Any = None, /, **values: Any) -> Any:
    """Build the kio dataclass ``cls`` from a mapping or an object, keeping only its fields.

    Fields the version lacks are ignored, so one description serves every version:
    ``build(MetadataResponse_v5, topics=[{"name": "t", "topic_id": ..., ...}])`` drops
    ``topic_id``, which v5 does not have. Durations may be ints of milliseconds (``throttle_time``
    or ``throttle_time_ms``), error codes ints or :class:`~kafkalab.ErrorCode`, nested structures
    mappings or objects (kafkalab messages included). A missing field takes kio's default, a
    missing duration 0.

    Raises:
        KeyError: a required field is missing (a bug in the caller).
    """
    if src is None:
        src = values
    elif values:
        raise TypeError("build() takes a source object or keyword values, not both")
    kwargs = {}
    for spec in _specs(cls):
        value = _lookup(src, spec)
        if value is _MISSING:
            if spec.has_default:
                continue
            if spec.kind == "td":
                value = 0
            else:
                raise KeyError(f"{cls.__module__}.{cls.__qualname__} needs a value for {spec.name!r}")
        kwargs[spec.name] = _to_kio(spec, value)
    return cls(**kwargs)


# kio class -> [(field, nullable, nested kio class or None, is a tuple)]
_NULL_SPECS: dict[type, list[tuple[str, bool, Optional[type], bool]]] = {}


def _null_specs(cls: type) -> list[tuple[str, bool, Optional[type], bool]]:
    specs = _NULL_SPECS.get(cls)
    if specs is None:
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        specs = []
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            nullable = typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)
            kind, item = _nested(tp)
            is_tuple = any(typing.get_origin(a) is tuple for a in (tp, *typing.get_args(tp)))
            specs.append((f.name, nullable, item, is_tuple))
        _NULL_SPECS[cls] = specs
    return specs


def check_nulls(obj: Any, path: str = "") -> None:
    """Raise DecodeError if a non-nullable field of a decoded kio object is null.

    kio reads a null array (length -1) even where the schema does not allow one; Kafka's parser
    refuses it (``non-nullable field ... was serialized as null``) and closes the connection.
    """
    for name, nullable, item, is_tuple in _null_specs(type(obj)):
        value = getattr(obj, name)
        if value is None:
            if not nullable:
                raise DecodeError(f"non-nullable field {path}{name} was serialized as null")
            continue
        if item is not None:
            for child in (value if is_tuple else (value,)):
                check_nulls(child, f"{path}{name}.")


# kafkalab message class -> [(field, kio names to try, nested kafkalab class or None)]
_MSG_FIELDS: dict[type, list[tuple[str, tuple[str, ...], Optional[type]]]] = {}


def _msg_fields(cls: type) -> list[tuple[str, tuple[str, ...], Optional[type]]]:
    fields = _MSG_FIELDS.get(cls)
    if fields is not None:
        return fields
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        names = [f.name]
        if f.name.endswith("_ms"):
            names.append(f.name[:-3])
        if f.name == "generation_id":
            names.append("generation_id_or_member_epoch")
        nested = None
        tp = hints[f.name]
        for arg in (tp, *typing.get_args(tp)):
            inner = typing.get_args(arg)[0] if typing.get_origin(arg) is tuple else arg
            if isinstance(inner, type) and issubclass(inner, m.Message):
                nested = inner
        fields.append((f.name, tuple(names), nested))
    _MSG_FIELDS[cls] = fields
    return fields


def _from_kio(value: Any, nested: Optional[type]) -> Any:
    if isinstance(value, timedelta):
        return value // _MS
    if isinstance(value, KioErrorCode):
        return ErrorCode.lookup(int(value))
    if isinstance(value, uuid.UUID):
        return uuid_text(value)
    if nested is not None and isinstance(value, tuple):
        return tuple(to_message(nested, v) for v in value)
    if nested is not None and dataclasses.is_dataclass(value):
        return to_message(nested, value)
    if isinstance(value, tuple):
        return tuple(value)
    return value


def to_message(cls: type, obj: Any, **extra: Any) -> Any:
    """Convert a kio object into the kafkalab message class ``cls`` (fields matched by name).

    ``session_timeout`` (a timedelta) fills ``session_timeout_ms``; fields the kio version lacks
    keep the kafkalab default; ``extra`` fields (``api_version``, ``client_id``) are set as given.
    kio reads Kafka's all-zero ``Uuid`` (``Uuid.ZERO_UUID``) as ``None``; it is a value, not a
    null, so it becomes ``"AAAAAAAAAAAAAAAAAAAAAA"`` (a topic id no topic has).
    """
    kwargs = {}
    uuids = _uuid_fields(type(obj))
    for name, kio_names, nested in _msg_fields(cls):
        if name in extra:
            kwargs[name] = extra[name]
            continue
        for kio_name in kio_names:
            value = getattr(obj, kio_name, _MISSING)
            if value is not _MISSING:
                kwargs[name] = ZERO_UUID_TEXT if value is None and kio_name in uuids else _from_kio(value, nested)
                break
    return cls(**kwargs)


#: Kafka's ``Uuid.ZERO_UUID`` in its text form.
ZERO_UUID_TEXT = "AAAAAAAAAAAAAAAAAAAAAA"


def _uuid_fields(cls: type) -> frozenset[str]:
    """The names of the ``uuid`` fields of kio class ``cls`` (none for anything else)."""
    if not dataclasses.is_dataclass(cls):
        return frozenset()
    return frozenset(spec.name for spec in _specs(cls) if spec.kind == "uuid")


# ---------------------------------------------------------------- frames

def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its int32 size."""
    return struct.pack(">i", len(payload)) + payload


def decode_frame(
    payload: bytes,
    *,
    client_host: str = "/127.0.0.1",
    api_versions: Mapping[int, tuple[int, int]] = API_VERSIONS,
) -> tuple[RequestHeader, Any]:
    """Decode one request frame's payload (the bytes after the size prefix).

    Returns:
        ``(header, request)``: a kafkalab message for the group APIs, an :class:`OffsetFetchBatch`
        for OffsetFetch v8+, an :class:`UnsupportedApiVersions` for an ApiVersions version we
        cannot read, otherwise kio's request object.

    Raises:
        DecodeError: too short for a header, an API key or version not in ``api_versions``, or a
            header or body that does not decode. Kafka closes the connection in each case.
    """
    if len(payload) < _REQUEST_HEADER_MIN:
        raise DecodeError(f"a {len(payload)}-byte frame is too short for a request header")
    api_key, api_version, correlation_id = struct.unpack_from(">hhi", payload)
    if api_key == API_VERSIONS_KEY and not (api_versions[API_VERSIONS_KEY][0] <= api_version
                                            <= api_versions[API_VERSIONS_KEY][1]):
        # Kafka accepts any ApiVersions version and answers an unknown one in v0 (KIP-511).
        return RequestHeader(api_key, api_version, correlation_id), UnsupportedApiVersions(api_version)
    if api_key not in api_versions:
        raise DecodeError(f"unknown or unsupported api key {api_key} (version {api_version})")
    lo, hi = api_versions[api_key]
    if not lo <= api_version <= hi:
        raise DecodeError(
            f"{API_NAMES.get(api_key, api_key)} v{api_version} is not enabled (kafkalab serves v{lo}-v{hi})")
    try:
        req_cls = kio.index.load_request_schema(api_key, api_version)
        kio_header, used = entity_reader(req_cls.__header_schema__)(payload, 0)
        body, _ = entity_reader(req_cls)(payload, used)
    except Exception as exc:  # kio raises DecodeError subclasses, ValueError, UnicodeDecodeError, ...
        raise DecodeError(f"cannot decode {API_NAMES[api_key]} v{api_version}: {type(exc).__name__}: {exc}") from exc
    try:
        check_nulls(body)
    except DecodeError as exc:
        raise DecodeError(f"cannot decode {API_NAMES[api_key]} v{api_version}: {exc}") from exc
    header = RequestHeader(api_key, api_version, correlation_id, kio_header.client_id)
    target = GROUP_APIS.get(api_key)
    if target is None:
        return header, body
    try:
        if api_key == 9 and api_version >= 8:
            return header, OffsetFetchBatch(tuple(
                to_message(m.OffsetFetchRequest, group, api_version=api_version,
                           require_stable=body.require_stable)
                for group in body.groups))
        return header, to_message(target, body, **request_extras(api_key, api_version, header.client_id, client_host))
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"{API_NAMES[api_key]} v{api_version} does not fit kafkalab's messages: {exc}") from exc


def request_extras(api_key: int, api_version: int, client_id: Optional[str], client_host: str) -> dict[str, Any]:
    """The fields of a kafkalab request that come from outside its body: the version, and for
    JoinGroup and ConsumerGroupHeartbeat the request header's ``client_id`` (``""`` when null)
    and the peer's address, which Kafka's coordinator keeps on the member."""
    extra: dict[str, Any] = {"api_version": api_version}
    if api_key in (11, 68):
        extra.update(client_id=client_id or "", client_host=client_host)
    return extra


def encode_response(header: RequestHeader, response: Any) -> bytes:
    """Encode ``response`` to ``header``'s request as a whole frame (size prefix included).

    ``response`` is a kio response object (written in its own version), a kafkalab response
    (written in ``header.api_version``) or an :class:`OffsetFetchBatchResponse`.
    """
    if getattr(response, "__type__", None) is not None and hasattr(response, "__api_key__"):
        cls = type(response)
        obj = response
    else:
        cls = kio.index.load_response_schema(header.api_key, header.api_version)
        if isinstance(response, OffsetFetchBatchResponse):
            obj = build(cls, throttle_time=0, groups=[
                {"group_id": gid, "topics": r.topics, "error_code": r.error_code} for gid, r in response.groups])
        else:
            obj = build(cls, response)
    out = io.BytesIO()
    out.write(b"\0\0\0\0")
    hdr_cls = cls.__header_schema__
    entity_writer(hdr_cls)(out, hdr_cls(correlation_id=header.correlation_id))
    entity_writer(cls)(out, obj)
    data = out.getbuffer()
    struct.pack_into(">i", data, 0, len(data) - 4)
    result = bytes(data)
    data.release()
    return result


class Codec:
    """One connection's decoder/encoder (sans-IO).

    Args:
        client_host: the peer's address as Kafka writes it (``"/127.0.0.1"``); JoinGroup requests
            carry it as ``client_host``.
        max_frame_bytes: frames larger than this are :class:`Malformed` (Kafka's
            ``socket.request.max.bytes``, 100 MiB).
        api_versions: the APIs and versions to accept (default :data:`API_VERSIONS`).
    """

    def __init__(
        self,
        *,
        client_host: str = "/127.0.0.1",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        api_versions: Mapping[int, tuple[int, int]] = API_VERSIONS,
    ) -> None:
        if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int) or max_frame_bytes < 8:
            raise ValueError(f"max_frame_bytes must be an int >= 8, got {max_frame_bytes!r}")
        self.client_host = client_host
        self.max_frame_bytes = max_frame_bytes
        self.api_versions = api_versions
        self._buf = bytearray()
        #: Set once a frame was :class:`Malformed`; the codec then ignores everything after it.
        self.broken: Optional[Malformed] = None
        self.frames_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[tuple[Optional[RequestHeader], Any]]:
        """Add received bytes; return every complete request, in order.

        A frame that cannot be served yields ``(header or None, Malformed(reason))`` as its item;
        it is the last item this codec ever returns.
        """
        if self.broken is not None:
            return []
        buf = self._buf
        buf += data
        out: list[tuple[Optional[RequestHeader], Any]] = []
        pos = 0
        n = len(buf)
        while n - pos >= 4:
            (size,) = struct.unpack_from(">i", buf, pos)
            if size < 0 or size > self.max_frame_bytes:
                why = (f"frame size {size} is negative" if size < 0 else
                       f"frame size {size} exceeds the limit of {self.max_frame_bytes} bytes")
                out.append((None, self._break(why)))
                return out
            if n - pos - 4 < size:
                break
            payload = bytes(buf[pos + 4:pos + 4 + size])
            pos += 4 + size
            try:
                item = decode_frame(payload, client_host=self.client_host, api_versions=self.api_versions)
            except DecodeError as exc:
                header = None
                if len(payload) >= _REQUEST_HEADER_MIN:
                    header = RequestHeader(*struct.unpack_from(">hhi", payload))
                out.append((header, self._break(str(exc))))
                return out
            self.frames_decoded += 1
            out.append(item)
        if pos:
            del buf[:pos]
        return out

    def _break(self, reason: str) -> Malformed:
        self.broken = Malformed(reason)
        self._buf = bytearray()
        return self.broken

    def encode(self, header: RequestHeader, response: Any) -> bytes:
        """The bytes of the response frame answering ``header``'s request."""
        return encode_response(header, response)
