"""One proxied connection, sans-IO: bytes from either side in, bytes for the other side out.

How it works
------------
A Kafka connection carries size-prefixed frames; requests go one way, responses come back in
request order, each naming its request's correlation id. :class:`TapConnection` keeps one small
reader per direction and never holds more of a frame than it must:

* it reads only a frame's *head* - the size, and for a request the api key, api version,
  correlation id and client id; for a response the correlation id - and then decides what to do
  with the frame:

  - **pass**: forward every byte as it arrives (most frames: Produce, Fetch, ApiVersions, SASL ...);
  - **copy**: forward every byte as it arrives and keep a copy, to decode the whole frame into the
    trace when it is complete (the group APIs and their answers);
  - **hold**: keep the frame, and when it is complete decode it, rewrite its broker addresses and
    forward the re-encoded frame (Metadata, FindCoordinator and DescribeCluster responses only).

* a response is matched to its request by correlation id (a request that never gets an answer,
  such as an ``acks=0`` Produce, is forgotten once a later request is answered);
* a frame whose size is negative or larger than ``max_frame_bytes`` is never forwarded: the
  connection must be closed (:attr:`Output.close`), as a broker would;
* a request too short for a header, an API or version kio does not know, a group frame that does
  not decode: all are forwarded unchanged and noted in the trace. The broker decides about them.
* SASL: SaslAuthenticate frames are ordinary requests. After a successful SaslHandshake v0 the
  client and broker exchange *raw* tokens (size-prefixed, no header): one each way for PLAIN,
  which the tap forwards without reading before it resumes. For other mechanisms over v0 the
  exchange has no known end, so the tap forwards the rest of that connection unread (and notes it).

Nothing here touches a socket or a clock: ``now`` (milliseconds) comes with every call.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..wire.codec import DEFAULT_MAX_FRAME_BYTES
from .decode import (REWRITTEN_APIS, SASL_HANDSHAKE, TRACED_APIS, RewriteError, api_name, decode_request,
                     decode_response, rewrite_addresses, sasl_accepted, sasl_mechanism)
from .trace import TapRecord

__all__ = ["TapConnection", "Directory", "Output", "PASS", "COPY", "HOLD"]

PASS, COPY, HOLD = "pass", "copy", "hold"
_FOREVER = float("inf")
_REQUEST_HEAD = 14  # size, api key, api version, correlation id, client id length
_MAX_PENDING = 10_000


@dataclass
class Output:
    """What one call produced: chunks to write to the other side (in order), trace records, and
    ``close``, the reason the connection must now be closed (``None``: keep going)."""

    data: list = field(default_factory=list)
    records: list[TapRecord] = field(default_factory=list)
    close: Optional[str] = None


class Directory:
    """The upstream brokers the tap knows, shared by every connection of one tap.

    Args:
        open_listener: ``f(upstream "host:port") -> (host, port)``: the tap's listener for that
            broker, created on first use (the adapter binds a socket; tests pass a fake).
    """

    def __init__(self, open_listener: Callable[[str], tuple[str, int]]) -> None:
        self._open = open_listener
        #: upstream ``host:port`` -> the tap's ``(host, port)`` for it.
        self.listeners: dict[str, tuple[str, int]] = {}
        #: upstream ``host:port`` -> its node id (learned from Metadata / FindCoordinator answers).
        self.node_ids: dict[str, int] = {}

    def add(self, upstream: str, local: tuple[str, int]) -> None:
        self.listeners[upstream] = local

    def map(self, node_id: int, host: str, port: int, now: float, records: list) -> tuple[str, int]:
        """The tap's address for broker ``node_id`` at ``host:port`` (a ``broker`` record when new)."""
        upstream = f"{host}:{port}"
        local = self.listeners.get(upstream)
        fresh = local is None or self.node_ids.get(upstream) != node_id
        if local is None:
            local = self.listeners[upstream] = self._open(upstream)
        self.node_ids[upstream] = node_id
        if fresh:
            records.append(TapRecord("broker", now, broker=upstream, node_id=node_id, listen=f"{local[0]}:{local[1]}",
                                     text=f"broker {node_id} at {upstream} is reached through {local[0]}:{local[1]}"))
        return local


@dataclass
class _Pending:
    api_key: int
    version: int
    client_id: Optional[str]
    mechanism: Optional[str] = None


class _Half:
    """The reader of one direction."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.remaining = 0          # bytes of the current frame still to come (after its head)
        self.mode = PASS
        self.copy: Optional[bytearray] = None
        self.info: Any = None       # what the head said (for the frame's end)
        self.raw = 0                # frames to pass without reading a header (SASL v0 tokens)


class TapConnection:
    """One client connection through the tap to one upstream broker (sans-IO).

    Args:
        conn: this connection's number in the trace.
        broker: the upstream broker, ``host:port``.
        directory: the tap's :class:`Directory` (address rewriting and node ids).
        client_host: the client's address as Kafka writes it (``/127.0.0.1``).
        max_frame_bytes: the largest frame forwarded in either direction (Kafka's
            ``socket.request.max.bytes``, 100 MiB, by default).
        trace_all: also record a (header-only) line for every other API's frames.
    """

    def __init__(self, conn: int, broker: str, directory: Directory, *, client_host: str = "/127.0.0.1",
                 max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES, trace_all: bool = False) -> None:
        if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int) or max_frame_bytes < 8:
            raise ValueError(f"max_frame_bytes must be an int >= 8, got {max_frame_bytes!r}")
        self.conn = conn
        self.broker = broker
        self.directory = directory
        self.client_host = client_host
        self.max_frame_bytes = max_frame_bytes
        self.trace_all = trace_all
        self.client_id: Optional[str] = None
        self._pending: dict[int, _Pending] = {}
        self._up = _Half()    # client -> broker
        self._down = _Half()  # broker -> client
        self.closed: Optional[str] = None

    # ---------------------------------------------------------------- public entry points

    def from_client(self, data: bytes, now: float) -> Output:
        """Bytes the client sent; ``Output.data`` goes to the broker."""
        return self._feed(self._up, data, now, request=True)

    def from_broker(self, data: bytes, now: float) -> Output:
        """Bytes the broker sent; ``Output.data`` goes to the client."""
        return self._feed(self._down, data, now, request=False)

    @property
    def pending(self) -> int:
        """Requests forwarded and not answered yet."""
        return len(self._pending)

    # ---------------------------------------------------------------- the readers

    def _record(self, kind: str, now: float, **values: Any) -> TapRecord:
        return TapRecord(kind, now, conn=self.conn, broker=self.broker,
                         node_id=self.directory.node_ids.get(self.broker), **values)

    def _need(self, half: _Half, request: bool) -> int:
        head = half.head
        if len(head) < 4:
            return 4
        size = struct.unpack_from(">i", head)[0]
        if half.raw or size < 0:
            return 4
        if not request:
            return 4 + min(size, 4)
        want = _REQUEST_HEAD
        if len(head) >= _REQUEST_HEAD:
            n = struct.unpack_from(">h", head, 12)[0]
            if n > 0:
                want += n
        return 4 + min(size, want - 4)

    def _feed(self, half: _Half, data: bytes, now: float, *, request: bool) -> Output:
        out = Output()
        if self.closed is not None:
            return out
        n = len(data)
        if half.mode == PASS and half.remaining > n:  # the middle of a large frame: just pass it on
            half.remaining -= n
            out.data.append(data)
            return out
        view = memoryview(data)
        pos = 0
        while pos < n:
            if half.remaining:
                take = min(half.remaining, n - pos)
                chunk = view[pos:pos + take]
                if half.mode != HOLD:
                    out.data.append(chunk)
                if half.mode != PASS:
                    half.copy += chunk
                pos += take
                half.remaining -= take
                if not half.remaining:
                    self._frame_done(half, now, out, request)
                    if out.close:
                        return self._close(out)
                continue
            need = self._need(half, request)
            take = min(need - len(half.head), n - pos)
            half.head += view[pos:pos + take]
            pos += take
            if len(half.head) >= 4:
                size = struct.unpack_from(">i", half.head)[0]
                if size < 0 or size > self.max_frame_bytes:
                    side = "client" if request else "broker"
                    out.close = (f"the {side} sent a frame of {size} bytes" if size >= 0 else
                                 f"the {side} sent a negative frame size ({size})")
                    if size > self.max_frame_bytes:
                        out.close += f", over the limit of {self.max_frame_bytes} bytes"
                    out.close += "; closing this connection (the frame was not forwarded)"
                    return self._close(out, now)
            if len(half.head) < self._need(half, request):
                continue
            head = bytes(half.head)
            half.head = bytearray()
            size = struct.unpack_from(">i", head)[0]
            if half.raw:
                half.raw -= 1
                half.mode, half.info = PASS, None
            elif request:
                half.mode, half.info = self._request_head(head, size, now, out)
            else:
                half.mode, half.info = self._response_head(head, size, now, out)
            if half.mode != HOLD:
                out.data.append(head)
            half.copy = bytearray(head) if half.mode != PASS else None
            half.remaining = 4 + size - len(head)
            if not half.remaining:
                self._frame_done(half, now, out, request)
                if out.close:
                    return self._close(out)
        return out

    def _close(self, out: Output, now: Optional[float] = None) -> Output:
        self.closed = out.close
        if now is not None:
            out.records.append(self._record("error", now, client_id=self.client_id, text=out.close))
        return out

    # ---------------------------------------------------------------- heads

    def _request_head(self, head: bytes, size: int, now: float, out: Output) -> tuple[str, Any]:
        if size < 8:
            out.records.append(self._record("error", now, client_id=self.client_id, size=size, text=(
                f"the client sent a {size}-byte frame, too short for a request header; forwarded as it is")))
            return PASS, None
        api_key, version, corr = struct.unpack_from(">hhi", head, 4)
        if len(head) >= _REQUEST_HEAD:
            length = struct.unpack_from(">h", head, 12)[0]
            if length >= 0 and len(head) >= _REQUEST_HEAD + length:
                self.client_id = head[_REQUEST_HEAD:_REQUEST_HEAD + length].decode("utf-8", "replace")
        pending = self._pending.pop(corr, None)
        if pending is not None:
            out.records.append(self._record("error", now, client_id=self.client_id, correlation_id=corr, text=(
                f"the client reused correlation id {corr} before its earlier request was answered")))
        self._pending[corr] = _Pending(api_key, version, self.client_id)
        if len(self._pending) > _MAX_PENDING:  # e.g. a flood of acks=0 Produce requests, never answered
            del self._pending[next(iter(self._pending))]
        if api_key in TRACED_APIS or api_key == SASL_HANDSHAKE:
            return COPY, (api_key, version, corr, size)
        if self.trace_all:
            out.records.append(self._record("request", now, client_id=self.client_id, api_key=api_key,
                                            api=api_name(api_key), version=version, correlation_id=corr, size=size))
        return PASS, None

    def _response_head(self, head: bytes, size: int, now: float, out: Output) -> tuple[str, Any]:
        if size < 4:
            out.records.append(self._record("error", now, client_id=self.client_id, size=size, text=(
                f"the broker sent a {size}-byte frame, too short for a response header; forwarded as it is")))
            return PASS, None
        corr = struct.unpack_from(">i", head, 4)[0]
        pending = self._pending.get(corr)
        if pending is None:
            out.records.append(self._record("error", now, client_id=self.client_id, correlation_id=corr, size=size,
                                            text=f"the broker answered correlation id {corr}, which no pending "
                                                 "request has; forwarded as it is"))
            return PASS, None
        # Responses come in request order: requests before this one will never be answered.
        while True:
            key = next(iter(self._pending))
            del self._pending[key]
            if key == corr:
                break
        info = (pending, corr, size)
        if pending.api_key in REWRITTEN_APIS:
            return HOLD, info
        if pending.api_key in TRACED_APIS or pending.api_key == SASL_HANDSHAKE:
            return COPY, info
        if self.trace_all:
            out.records.append(self._record("response", now, client_id=pending.client_id, api_key=pending.api_key,
                                            api=api_name(pending.api_key), version=pending.version,
                                            correlation_id=corr, size=size))
        return PASS, None

    # ---------------------------------------------------------------- whole frames

    def _frame_done(self, half: _Half, now: float, out: Output, request: bool) -> None:
        if half.mode == PASS:
            return
        payload = bytes(half.copy[4:])
        half.copy = None
        if request:
            self._request_done(payload, half.info, now, out)
        else:
            self._response_done(payload, half.info, now, out)

    def _request_done(self, payload: bytes, info: tuple, now: float, out: Output) -> None:
        api_key, version, corr, size = info
        if api_key == SASL_HANDSHAKE:
            pending = self._pending.get(corr)
            if pending is not None:
                pending.mechanism = sasl_mechanism(payload)
            return
        base = dict(client_id=self.client_id, api_key=api_key, api=api_name(api_key), version=version,
                    correlation_id=corr, size=size)
        try:
            message, fields, _ = decode_request(payload, client_host=self.client_host)
        except ValueError as exc:
            out.records.append(self._record("error", now, **base, text=f"{exc}; forwarded as it is"))
            return
        out.records.append(self._record("request", now, **base, message=message, fields=fields))

    def _response_done(self, payload: bytes, info: tuple, now: float, out: Output) -> None:
        pending, corr, size = info
        api_key, version = pending.api_key, pending.version
        base = dict(client_id=pending.client_id, api_key=api_key, api=api_name(api_key), version=version,
                    correlation_id=corr, size=size)
        if api_key in REWRITTEN_APIS:
            brokers: list = []
            try:
                new, seen = rewrite_addresses(
                    payload, api_key, version,
                    lambda node, host, port: self.directory.map(node, host, port, now, brokers))
            except RewriteError as exc:
                out.close = f"{exc}; closing this connection so that the client cannot bypass the tap"
                out.records.append(self._record("error", now, **base, text=out.close))
                return
            out.records.extend(brokers)
            out.data.append(struct.pack(">i", len(new)) + new)
            if api_key not in TRACED_APIS and not self.trace_all:
                return
        elif api_key == SASL_HANDSHAKE:
            self._sasl_answered(pending, payload, version, now, out)
            return
        try:
            message, fields = decode_response(payload, api_key, version)
        except ValueError as exc:
            out.records.append(self._record("error", now, **base, text=f"{exc}; forwarded as it is"))
            return
        if api_key not in TRACED_APIS:
            message = fields = None  # Metadata / DescribeCluster with trace_all: the head only
        out.records.append(self._record("response", now, **base, message=message, fields=fields))

    def _sasl_answered(self, pending: _Pending, payload: bytes, version: int, now: float, out: Output) -> None:
        if version != 0 or not sasl_accepted(payload, version):
            return  # v1+: the tokens travel in SaslAuthenticate requests, which are ordinary frames
        if pending.mechanism == "PLAIN":
            self._up.raw = self._down.raw = 1
            return
        self._up.raw = self._down.raw = _FOREVER
        out.records.append(self._record("error", now, client_id=self.client_id, text=(
            f"SASL {pending.mechanism} over SaslHandshake v0 exchanges raw tokens with no known end; the rest of "
            "this connection is forwarded without being read (no trace, no address rewriting)")))
