"""The asyncio adapter: listeners, sockets and a clock around :class:`~kafkalab.tap.stream.TapConnection`.

How it works
------------
:class:`Tap` listens on 127.0.0.1 (unless told otherwise) for the upstream cluster's bootstrap
broker. Every client connection gets its own connection to the same upstream broker and a
:class:`~kafkalab.tap.stream.TapConnection`; bytes read on one side go through it and come out
on the other. When a Metadata, FindCoordinator or DescribeCluster answer names a broker the tap
has no listener for yet, the tap binds one (a free port on the same host) at once, before the
rewritten answer reaches the client, so the client's next connection lands on the tap too.

``now`` is milliseconds of ``loop.time()`` since the tap started. Every trace record goes to
:attr:`Tap.records` (unless ``keep=False``), to the ``out`` file as a JSON line, and to the
listeners of :meth:`Tap.add_listener`.

Failures stay on their connection: an unreachable upstream, a side that closes, an oversized
frame, a response the tap must rewrite but cannot decode - each closes that client connection
and its upstream connection, with an ``error`` record saying why; every other connection goes on.

TLS is not supported: the tap must read the frames, so both sides speak plaintext (SASL/PLAIN
authentication over plaintext passes through).

Use it from Python as a context manager running in a background thread::

    from kafkalab.tap import Tap

    with Tap(upstream="127.0.0.1:9092", out="trace.jsonl") as tap:
        tap.bootstrap_servers        # give this to the clients instead of the cluster's address
        ...
        tap.records                  # what passed, so far

or from a shell: ``kafkalab tap --upstream HOST:PORT`` (see :mod:`kafkalab.cli`).
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import logging
import socket
import threading
from pathlib import Path
from typing import IO, Callable, Optional, Union

from ..wire.codec import DEFAULT_MAX_FRAME_BYTES
from ..wire.loop import BackgroundLoop
from .events import tap_events
from .stream import Directory, TapConnection
from .trace import TapRecord, header_json, record_to_json, save_trace

__all__ = ["Tap", "parse_address"]

log = logging.getLogger("kafkalab.tap")


def parse_address(text: str) -> tuple[str, int]:
    """``"host:port"`` (or ``"[::1]:port"``) -> ``(host, port)``.

    Raises:
        ValueError: not ``HOST:PORT`` with a port from 1 to 65535.
    """
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(f"an address is HOST:PORT (e.g. 127.0.0.1:9092), got {text!r}")
    host, _, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"an address is HOST:PORT with a numeric port, got {text!r}") from None
    if not host or not 1 <= port <= 65535:
        raise ValueError(f"an address is HOST:PORT with a port from 1 to 65535, got {text!r}")
    return host, port


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, tap: "Tap", upstream: str) -> None:
        self.tap = tap
        self.upstream = upstream
        self.id = next(tap._ids)
        self.conn: Optional[TapConnection] = None
        self.client: Optional[asyncio.Transport] = None
        self.broker: Optional[asyncio.Transport] = None
        self.backlog: list = []
        self.closed = False

    def close(self, reason: Optional[str] = None, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.tap._pairs.discard(self)
        for transport in (self.client, self.broker):
            if transport is not None and not transport.is_closing():
                transport.abort() if abort else transport.close()  # close() flushes what was written
        if reason is not None:
            self.tap._emit([TapRecord("connection", self.tap.now(), conn=self.id, broker=self.upstream,
                                      client_id=self.conn.client_id if self.conn else None, text=reason)])


class _ClientSide(asyncio.Protocol):
    def __init__(self, tap: "Tap", upstream: str) -> None:
        self.pair = _Pair(tap, upstream)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        pair, tap = self.pair, self.pair.tap
        pair.client = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else "unknown"
        where = f"{host}:{peer[1]}" if isinstance(peer, tuple) and len(peer) > 1 else host
        pair.conn = TapConnection(pair.id, pair.upstream, tap._directory, client_host=f"/{host}",
                                  max_frame_bytes=tap.max_frame_bytes, trace_all=tap.trace_all)
        tap._pairs.add(pair)
        tap._emit([TapRecord("connection", tap.now(), conn=pair.id, broker=pair.upstream,
                             text=f"opened from {where}")])
        transport.pause_reading()  # until the upstream connection is up
        tap._loop.create_task(tap._connect(pair))

    def data_received(self, data: bytes) -> None:
        pair = self.pair
        if pair.closed:
            return
        try:
            out = pair.conn.from_client(data, pair.tap.now())
        except Exception:  # a bug in the tap: drop this connection only
            log.exception("tap connection %s failed", pair.id)
            pair.close("closed: the tap failed reading the client's bytes (a kafkalab bug, see the log)", abort=True)
            return
        if out.records:
            pair.tap._emit(out.records)
        _write(pair.broker, out.data)
        if out.close:
            pair.close(f"closed by the tap: {out.close}")

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.pair.close("closed by the client" + (f" ({exc})" if exc else ""))

    def pause_writing(self) -> None:
        if self.pair.broker is not None:
            self.pair.broker.pause_reading()

    def resume_writing(self) -> None:
        if self.pair.broker is not None and not self.pair.broker.is_closing():
            self.pair.broker.resume_reading()


class _BrokerSide(asyncio.Protocol):
    def __init__(self, pair: _Pair) -> None:
        self.pair = pair

    def data_received(self, data: bytes) -> None:
        pair = self.pair
        if pair.closed:
            return
        try:
            out = pair.conn.from_broker(data, pair.tap.now())
        except Exception:
            log.exception("tap connection %s failed", pair.id)
            pair.close("closed: the tap failed reading the broker's bytes (a kafkalab bug, see the log)", abort=True)
            return
        if out.records:
            pair.tap._emit(out.records)
        _write(pair.client, out.data)
        if out.close:
            pair.close(f"closed by the tap: {out.close}")

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.pair.close(f"closed by the broker {self.pair.upstream}" + (f" ({exc})" if exc else ""))

    def pause_writing(self) -> None:
        if self.pair.client is not None:
            self.pair.client.pause_reading()

    def resume_writing(self) -> None:
        if self.pair.client is not None and not self.pair.client.is_closing():
            self.pair.client.resume_reading()


class Tap(BackgroundLoop):
    """A proxy in front of a Kafka cluster that records its clients' group traffic.

    Args:
        upstream: the cluster's bootstrap broker, ``HOST:PORT`` (reachable over plaintext).
        host: the address the tap listens on (loopback by default: nothing else can connect).
        port: the port for the bootstrap broker (``0``: any free port); the other brokers get
            free ports as the cluster's metadata names them.
        advertised_host: the host clients are told to connect to (default: ``host``).
        out: a file (path or open text file) to write the trace to as JSON lines.
        keep: keep the records in memory (:attr:`records`); a long-running CLI tap turns it off.
        trace_all: also record one header-only line for every frame of the other APIs.
        max_frame_bytes: larger frames (either way) close their connection.
        connect_timeout: seconds to wait for the upstream broker before giving up on a connection.
    """

    service_name = "tap"

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0,
                 advertised_host: Optional[str] = None, out: Union[str, Path, IO[str], None] = None,
                 keep: bool = True, trace_all: bool = False, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 connect_timeout: float = 10.0) -> None:
        self.upstream_host, self.upstream_port = parse_address(upstream)
        self.upstream = f"{self.upstream_host}:{self.upstream_port}"
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) or a port number, got {port!r}")
        if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int) or max_frame_bytes < 8:
            raise ValueError(f"max_frame_bytes must be an int >= 8, got {max_frame_bytes!r}")
        self.host = host
        self.port = port
        self.advertised_host = advertised_host or ("127.0.0.1" if host in ("", "0.0.0.0") else
                                                   "::1" if host == "::" else host)
        self.out = out
        self.keep = keep
        self.trace_all = trace_all
        self.max_frame_bytes = max_frame_bytes
        self.connect_timeout = connect_timeout
        self.started = ""
        self._records: list[TapRecord] = []
        self._lock = threading.Lock()
        self._listeners: list[Callable[[TapRecord], None]] = []
        self._directory = Directory(self._open_listener)
        self._ids = itertools.count(1)
        self._pairs: set[_Pair] = set()
        self._servers: list[asyncio.base_events.Server] = []
        self._sockets: list[socket.socket] = []
        self._t0 = 0.0
        self._file: Optional[IO[str]] = None
        self._own_file = False

    # ================================================================ public API

    @property
    def bootstrap_servers(self) -> str:
        """The tap's address for the bootstrap broker (``bootstrap.servers`` for the clients)."""
        local = self._directory.listeners.get(self.upstream)
        if local is None:
            raise RuntimeError("the tap is not running; start it first (with Tap(...) as tap: ...)")
        return _join(*local)

    @property
    def brokers(self) -> dict[str, str]:
        """Upstream ``host:port`` -> the tap's ``host:port`` for it, for every broker seen so far."""
        return {up: _join(*local) for up, local in list(self._directory.listeners.items())}

    @property
    def records(self) -> list[TapRecord]:
        """Every record so far (a copy; safe to call while the tap runs)."""
        with self._lock:
            return list(self._records)

    @property
    def errors(self) -> list[TapRecord]:
        """The ``error`` records: frames that closed a connection, unreachable brokers, undecodable frames."""
        return [r for r in self.records if r.kind == "error"]

    def events(self) -> list:
        """The trace as the player's events (see :func:`kafkalab.tap.tap_events`)."""
        return tap_events(self.records)

    def save(self, path: Union[str, Path, IO[str]]) -> None:
        """Write the records kept so far as a trace file (JSON lines, see ``docs/tap.md``)."""
        save_trace(self.records, path, upstream=self.upstream, listen=self._listen_text(), started=self.started)

    def add_listener(self, listener: Callable[[TapRecord], None]) -> None:
        """Call ``listener(record)`` for every new record (in the tap's thread)."""
        self._listeners.append(listener)

    def now(self) -> float:
        """Milliseconds since the tap started (to the microsecond, as the trace file keeps them)."""
        return round((self._loop.time() - self._t0) * 1000.0, 3)

    @property
    def running(self) -> bool:
        return bool(self._servers)

    # ---------------------------------------------------------------- asyncio API

    async def start_async(self) -> "Tap":
        """Bind the bootstrap listener in the running loop and start (the ``kafkalab tap`` path)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        self._t0 = loop.time()
        self.started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        sock = self._bind(self.port)
        try:
            if self.out is not None:
                if hasattr(self.out, "write"):
                    self._file = self.out  # type: ignore[assignment]
                else:
                    self._file = open(self.out, "w", encoding="utf-8")
                    self._own_file = True
        except BaseException:
            sock.close()
            raise
        port = sock.getsockname()[1]
        self._directory.add(self.upstream, (self.advertised_host, port))
        if self._file is not None:
            self._file.write(json.dumps(header_json(self.upstream, self._listen_text(), self.started)) + "\n")
            self._file.flush()
        await self._serve(sock, self.upstream)
        log.info("kafkalab tap on %s for %s", self.bootstrap_servers, self.upstream)
        return self

    async def serve_forever(self) -> None:
        """Serve until :meth:`stop_async` (or cancellation)."""
        if self._stopped is None:
            await self.start_async()
        try:
            await self._stopped.wait()
        finally:
            await self.stop_async()

    async def stop_async(self) -> None:
        """Close the listeners and every connection; close the trace file."""
        if self._stopped is not None:
            self._stopped.set()
        servers, self._servers = self._servers, []
        for srv in servers:
            srv.close()
        for pair in list(self._pairs):
            pair.close("closed: the tap stopped", abort=True)
        for srv in servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 5)
            except asyncio.TimeoutError:  # pragma: no cover
                log.warning("a tap listener did not close within 5 s")
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        if self._file is not None:
            if self._own_file:
                self._file.close()
            else:
                self._file.flush()
            self._file = None

    # ================================================================ internals

    def _listen_text(self) -> str:
        local = self._directory.listeners.get(self.upstream)
        return _join(*local) if local else ""

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(_family(self.host), socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock

    async def _serve(self, sock: socket.socket, upstream: str) -> None:
        srv = await self._loop.create_server(lambda: _ClientSide(self, upstream), sock=sock)
        if self._stopped is not None and self._stopped.is_set():  # stopped meanwhile
            srv.close()
            return
        self._servers.append(srv)

    def _open_listener(self, upstream: str) -> tuple[str, int]:
        """Directory callback: bind a listener for a newly named broker, now (the client may
        connect as soon as it reads the rewritten answer; the backlog holds it until we accept)."""
        sock = self._bind(0)
        self._sockets.append(sock)
        self._loop.create_task(self._serve(sock, upstream))
        return self.advertised_host, sock.getsockname()[1]

    async def _connect(self, pair: _Pair) -> None:
        host, port = parse_address(pair.upstream)
        try:
            transport, _ = await asyncio.wait_for(
                self._loop.create_connection(lambda: _BrokerSide(pair), host, port), self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            why = "timed out" if isinstance(exc, asyncio.TimeoutError) else (exc.strerror or str(exc))
            text = f"cannot reach the upstream broker {pair.upstream} ({why}); closing the client's connection"
            self._emit([TapRecord("error", self.now(), conn=pair.id, broker=pair.upstream, text=text)])
            pair.close("closed by the tap: the upstream broker is unreachable")
            return
        if pair.closed:
            transport.close()
            return
        pair.broker = transport
        pair.client.resume_reading()

    def _emit(self, records: list[TapRecord]) -> None:
        if not records:
            return
        if self.keep:
            with self._lock:
                self._records.extend(records)
        if self._file is not None:
            for record in records:
                self._file.write(json.dumps(record_to_json(record), separators=(",", ":")) + "\n")
            self._file.flush()
        for record in records:
            if record.kind == "error":
                log.info("tap: %s", record.text)
            for listener in self._listeners:
                try:
                    listener(record)
                except Exception:  # pragma: no cover - a listener's bug is not ours
                    log.exception("tap listener failed")


def _write(transport: asyncio.Transport, chunks: list) -> None:
    if len(chunks) == 1:
        transport.write(chunks[0])
    elif chunks:
        transport.write(b"".join(chunks))


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
