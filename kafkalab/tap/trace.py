"""The tap's trace: one :class:`TapRecord` per request, response, connection event or problem,
saved as JSON lines (the format is documented in ``docs/tap.md``).

A saved trace replays offline: :func:`load_trace` gives back the same records, with the group
APIs' :mod:`kafkalab.messages` objects rebuilt, so :func:`kafkalab.tap.tap_events` (the player)
and :func:`kafkalab.tap.conform` work on a file exactly as on a live :class:`~kafkalab.tap.Tap`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Optional, Union

from .. import messages as m
from ..errors import ErrorCode
from ..wire.codec import OffsetFetchBatch, OffsetFetchBatchResponse

__all__ = ["TapRecord", "FORMAT", "FORMAT_VERSION", "message_to_json", "message_from_json",
           "record_to_json", "record_from_json", "save_trace", "load_trace", "TraceFileError"]

FORMAT = "kafkalab-tap"
FORMAT_VERSION = 1

#: What a record is: a client's request, the broker's response, a connection opened or closed, a
#: listener created for a broker the metadata named, or a problem the tap saw.
KINDS = ("request", "response", "connection", "broker", "error")


class TraceFileError(ValueError):
    """A trace file that cannot be read (the message names the line and what is wrong)."""


@dataclass
class TapRecord:
    """One line of the trace.

    Attributes:
        kind: ``request``, ``response``, ``connection``, ``broker`` or ``error``.
        t: milliseconds since the tap started (when the tap read the frame's last byte).
        conn: the client connection's number (1, 2, ...); requests and responses pair up by
            ``(conn, correlation_id)``.
        broker: the upstream broker the connection goes to, ``host:port``.
        node_id: that broker's node id, once a Metadata response has named it.
        client_id: the request header's ``client.id`` (responses repeat their request's).
        api_key, api, version, correlation_id: from the request header.
        size: the frame's size in bytes (without the 4-byte size prefix).
        message: the decoded :mod:`kafkalab.messages` object (group APIs kafkalab models).
        fields: kio's decoded fields as plain values, for a traced API kafkalab has no message
            for (KIP-848's, or a version outside kafkalab's modelled range).
        text: what happened (connection and error records; a rewrite's old and new addresses).
        listen: the tap's own address for ``broker`` (broker records).
    """

    kind: str
    t: float
    conn: Optional[int] = None
    broker: Optional[str] = None
    node_id: Optional[int] = None
    client_id: Optional[str] = None
    api_key: Optional[int] = None
    api: Optional[str] = None
    version: Optional[int] = None
    correlation_id: Optional[int] = None
    size: Optional[int] = None
    message: Any = None
    fields: Optional[dict] = None
    text: Optional[str] = None
    listen: Optional[str] = None

    def describe(self) -> str:
        """One plain line: ``  3.012 s  #4 c1 -> JoinGroup v5`` (``->`` a request, ``<-`` its answer)."""
        head = f"{self.t / 1000:9.3f} s  #{self.conn}" if self.conn is not None else f"{self.t / 1000:9.3f} s"
        if self.kind in ("request", "response"):
            arrow = "->" if self.kind == "request" else "<-"
            tail = ""
            code = getattr(self.message, "error_code", None)
            if code is not None:
                tail = f" {code.name if isinstance(code, ErrorCode) else code}"
            elif isinstance(self.fields, dict) and "error_code" in self.fields:
                tail = f" error {self.fields['error_code']}"
            return f"{head} {self.client_id or '?'} {arrow} {self.api} v{self.version}{tail} (broker {self.broker})"
        return f"{head} {self.kind}: {self.text or ''}"


# ---------------------------------------------------------------- messages <-> JSON

_MESSAGES: dict[str, type] = {
    name: getattr(m, name) for name in m.__all__
    if isinstance(getattr(m, name), type) and issubclass(getattr(m, name), m.Message)
}
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _value_to_json(value: Any) -> Any:
    if isinstance(value, ErrorCode):
        return value.name
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, m.Message):
        return {f.name: _value_to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_value_to_json(v) for v in value]
    return value


def message_to_json(message: Any) -> dict:
    """A kafkalab message (or an OffsetFetch v8+ batch) as a JSON-ready dict with its ``type``.

    Error codes are written by name (``"MEMBER_ID_REQUIRED"``; a code kafkalab does not know
    stays an int), bytes as base64 text, tuples as lists.
    """
    if isinstance(message, OffsetFetchBatch):
        return {"type": "OffsetFetchBatch", "requests": [message_to_json(r) for r in message.requests]}
    if isinstance(message, OffsetFetchBatchResponse):
        return {"type": "OffsetFetchBatchResponse",
                "groups": [{"group_id": g, "response": message_to_json(r)} for g, r in message.groups]}
    if not isinstance(message, m.Message):
        raise TypeError(f"not a kafkalab message: {type(message).__name__}")
    return {"type": type(message).__name__, **_value_to_json(message)}


def _value_from_json(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value_from_json(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_value_from_json(item, v) for v in value)
    if tp is ErrorCode:
        return ErrorCode[value] if isinstance(value, str) else ErrorCode.lookup(int(value))
    if tp is bytes:
        return base64.b64decode(value, validate=True)
    if isinstance(tp, type) and issubclass(tp, m.Message):
        return _build(tp, value)
    return value


def _build(cls: type, data: dict) -> Any:
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names - {"type"}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    return cls(**{k: _value_from_json(hints[k], v) for k, v in data.items() if k != "type"})


def message_from_json(data: dict) -> Any:
    """The inverse of :func:`message_to_json`.

    Raises:
        ValueError: an unknown ``type``, unknown fields or values of the wrong kind.
    """
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError(f"a message must be a JSON object with a \"type\", got {data!r:.80}")
    kind = data["type"]
    try:
        if kind == "OffsetFetchBatch":
            return OffsetFetchBatch(tuple(message_from_json(r) for r in data["requests"]))
        if kind == "OffsetFetchBatchResponse":
            return OffsetFetchBatchResponse(tuple(
                (g["group_id"], message_from_json(g["response"])) for g in data["groups"]))
        cls = _MESSAGES.get(kind)
        if cls is None:
            raise ValueError(f"unknown message type {kind!r}")
        return _build(cls, data)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ValueError(f"bad {kind} message: {exc}") from exc


# ---------------------------------------------------------------- records <-> JSON lines

_RECORD_FIELDS = [f.name for f in dataclasses.fields(TapRecord)]


def record_to_json(record: TapRecord) -> dict:
    """A record as a JSON-ready dict; fields that are ``None`` are left out."""
    out: dict[str, Any] = {}
    for name in _RECORD_FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        if name == "message":
            value = message_to_json(value)
        elif name == "t":
            value = round(value, 3)
        out[name] = value
    return out


def record_from_json(data: dict) -> TapRecord:
    """The inverse of :func:`record_to_json`.

    Raises:
        ValueError: not a record (no ``kind``/``t``, unknown keys, a bad message).
    """
    if not isinstance(data, dict):
        raise ValueError(f"a record must be a JSON object, got {type(data).__name__}")
    unknown = set(data) - set(_RECORD_FIELDS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if data.get("kind") not in KINDS:
        raise ValueError(f"\"kind\" must be one of {', '.join(KINDS)}, got {data.get('kind')!r}")
    if not isinstance(data.get("t"), (int, float)) or isinstance(data.get("t"), bool):
        raise ValueError(f"\"t\" must be a number of milliseconds, got {data.get('t')!r}")
    values = dict(data)
    if "message" in values:
        values["message"] = message_from_json(values["message"])
    return TapRecord(**values)


def header_json(upstream: str, listen: str, started: str) -> dict:
    """The first line of a trace file."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "upstream": upstream, "listen": listen, "started": started}


def save_trace(records: Iterable[TapRecord], path: Union[str, Path, IO[str]], *,
               upstream: str = "", listen: str = "", started: str = "") -> None:
    """Write ``records`` as a trace file (a header line, then one JSON object per record)."""
    lines = [json.dumps(header_json(upstream, listen, started))]
    lines += [json.dumps(record_to_json(r), separators=(",", ":")) for r in records]
    text = "\n".join(lines) + "\n"
    if hasattr(path, "write"):
        path.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


def load_trace(source: Union[str, Path, IO[str], Iterable[TapRecord]]) -> list[TapRecord]:
    """Read a trace file written by the tap (or :func:`save_trace`); a list of records passes through.

    Raises:
        TraceFileError: the file is missing, is not a kafkalab tap trace, or a line is not a
            record; the message names the line.
    """
    if isinstance(source, (list, tuple)):
        return list(source)
    if hasattr(source, "read"):
        text, name = source.read(), getattr(source, "name", "the trace")
    else:
        name = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise TraceFileError(f"cannot read {name}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise TraceFileError(f"{name} is not a text file; a tap trace is JSON lines (see docs/tap.md)") from None
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFileError(f"{name} line {n} is not JSON ({exc.msg}); a tap trace is JSON lines "
                                 "(see docs/tap.md)") from None
        if isinstance(data, dict) and "format" in data:
            if data["format"] != FORMAT:
                raise TraceFileError(f"{name} is a {data['format']!r} file, not a kafkalab tap trace")
            if data.get("version") != FORMAT_VERSION:
                raise TraceFileError(f"{name} is tap trace format version {data.get('version')}; this "
                                     f"kafkalab reads version {FORMAT_VERSION}")
            continue
        try:
            records.append(record_from_json(data))
        except ValueError as exc:
            raise TraceFileError(f"{name} line {n}: {exc}") from None
    return records
