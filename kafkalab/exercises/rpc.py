"""Data, never objects, between the grader and a learner's sandboxed process.

Everything that crosses the sandbox boundary is one JSON document per line, read with a deadline
and a size cap by :class:`Channel`, and turned back into Python values by :func:`decode`, which
builds only plain data (``None``, bools, numbers, strings, lists, tuples, sets, dicts) and the few
kafkalab value types a checker passes to learner code (:data:`DATA_TYPES`).  A learner's process
can therefore send wrong data, too much data, or nothing; it cannot send code, and it cannot make
the grader wait past a deadline or hold more than a capped number of bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
import select
import time
from collections.abc import Mapping, Set
from typing import Any, Optional

from ..assignors.base import RebalanceProtocol, Subscription
from ..errors import ErrorCode

#: the kafkalab value types that may cross the boundary (by class name), and nothing else
DATA_TYPES: dict[str, type] = {"Subscription": Subscription}
ENUMS: dict[str, type[enum.Enum]] = {"RebalanceProtocol": RebalanceProtocol, "ErrorCode": ErrorCode}

MAX_DEPTH = 40
#: a reply line larger than this is refused (and the process that sent it is stopped)
MAX_LINE = 8 * 1024 * 1024


class DataError(ValueError):
    """A value that cannot cross the boundary (too deep, a type that is not data, malformed)."""


class ChannelError(BaseException):
    """The other side of a :class:`Channel` failed: no reply before the deadline, closed, too
    much data, or not our protocol.  A ``BaseException`` on purpose: a checker's ``except
    Exception`` (which turns a learner's exception into feedback) must not swallow it."""


class Opaque:
    """A value the learner's code returned that is not data (shown by its ``repr``, capped)."""

    def __init__(self, text: str) -> None:
        self.text = text[:200]

    def __repr__(self) -> str:
        return self.text


# ---------------------------------------------------------------------------- codec

def encode(obj: Any, depth: int = 0) -> Any:
    """``obj`` as JSON-able data with tags for what JSON lacks (tuples, sets, non-string keys)."""
    if depth > MAX_DEPTH:
        raise DataError("the value is nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, enum.Enum):
        cls = type(obj).__name__
        if ENUMS.get(cls) is type(obj):
            return {"$enum": [cls, obj.name]}
        return {"$repr": repr(obj)[:200]}
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {"$float": repr(float(obj))}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(v, depth + 1) for v in obj]}
    if isinstance(obj, list):
        return [encode(v, depth + 1) for v in obj]
    if isinstance(obj, Set):
        return {"$set": [encode(v, depth + 1) for v in obj]}
    if isinstance(obj, Mapping):
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in obj.items()]}
    cls = type(obj).__name__
    if dataclasses.is_dataclass(obj) and DATA_TYPES.get(cls) is type(obj):
        return {"$obj": [cls, {f.name: encode(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj)}]}
    return {"$repr": repr(obj)[:200]}


def decode(data: Any, depth: int = 0) -> Any:
    """The Python value for :func:`encode`'s output; raises :class:`DataError` on anything else."""
    if depth > MAX_DEPTH:
        raise DataError("the value is nested too deeply")
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise DataError("malformed value")
    (tag, body), = data.items()
    if tag == "$tuple" and isinstance(body, list):
        return tuple(decode(v, depth + 1) for v in body)
    if tag == "$set" and isinstance(body, list):
        try:
            return {decode(v, depth + 1) for v in body}
        except TypeError as exc:
            raise DataError(f"a set of unhashable values: {exc}") from None
    if tag == "$dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise DataError("malformed mapping")
            try:
                out[decode(pair[0], depth + 1)] = decode(pair[1], depth + 1)
            except TypeError as exc:
                raise DataError(f"an unhashable key: {exc}") from None
        return out
    if tag == "$float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "$repr" and isinstance(body, str):
        return Opaque(body)
    if tag == "$enum" and isinstance(body, list) and len(body) == 2:
        cls = ENUMS.get(body[0]) if isinstance(body[0], str) else None
        if cls is None or not isinstance(body[1], str) or body[1] not in cls.__members__:
            raise DataError("unknown enum value")
        return cls[body[1]]
    if tag == "$obj" and isinstance(body, list) and len(body) == 2 and isinstance(body[1], dict):
        cls = DATA_TYPES.get(body[0]) if isinstance(body[0], str) else None
        if cls is None:
            raise DataError("a type that is not data")
        names = {f.name for f in dataclasses.fields(cls)}
        if not set(body[1]) <= names:
            raise DataError(f"unknown fields for {body[0]}")
        try:
            return cls(**{k: decode(v, depth + 1) for k, v in body[1].items()})
        except (TypeError, ValueError) as exc:
            raise DataError(f"invalid {body[0]}: {exc}") from None
    raise DataError("malformed value")


def loads(line: bytes) -> Any:
    """JSON from a line the other side sent; :class:`DataError` when it is not JSON."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:  # ValueError covers UnicodeDecodeError and huge ints
        raise DataError(f"not JSON ({type(exc).__name__})") from None


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"


# ---------------------------------------------------------------------------- a line channel

class Channel:
    """One JSON document per line over two pipe file descriptors, every wait with a deadline."""

    def __init__(self, read_fd: int, write_fd: int, max_line: int = MAX_LINE) -> None:
        self.read_fd, self.write_fd, self.max_line = read_fd, write_fd, max_line
        self._buf = bytearray()
        self._eof = False

    @property
    def eof(self) -> bool:
        """The other side closed its output (what is left in the buffer can still be read)."""
        return self._eof

    @property
    def overfull(self) -> bool:
        """More than ``max_line`` bytes are waiting without a line end: no reply can be read."""
        return len(self._buf) > self.max_line and b"\n" not in self._buf

    def send(self, obj: Any, deadline: float) -> None:
        data = memoryview(dumps(obj))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("the other side did not read in time")
            _, ready, _ = select.select([], [self.write_fd], [], left)
            if not ready:
                continue
            try:
                n = os.write(self.write_fd, data[:65536])
            except (BrokenPipeError, OSError) as exc:
                raise ChannelError(f"the other side closed its input ({type(exc).__name__})") from None
            data = data[n:]

    def recv_line(self, deadline: float) -> bytes:
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[: i + 1]
                return line
            if len(self._buf) > self.max_line:
                raise ChannelError(f"a reply larger than {self.max_line // (1024 * 1024)} MB")
            if self._eof:
                raise ChannelError("the other side closed its output")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("no reply before the deadline")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                self._eof = True
            self._buf += chunk

    def recv(self, deadline: float) -> Any:
        try:
            return loads(self.recv_line(deadline))
        except DataError as exc:
            raise ChannelError(f"an unreadable reply: {exc}") from None


def one_line(text: Any, limit: int = 200) -> str:
    """``text`` as one printable line of at most ``limit`` characters (for reasons and tables)."""
    s = " ".join(str(text).split())
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def pick(obj: Any, key: str, kind: type, default: Optional[Any] = None) -> Any:
    """``obj[key]`` when ``obj`` is a dict and the value has type ``kind``; else ``default``."""
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, kind) and not (kind is int and isinstance(v, bool)):
            return v
    return default
