"""The asyncio adapter: sockets and a clock around :class:`~kafkalab.wire.broker.WireCluster`.

How it works
------------
:class:`Server` listens on one port per broker (consecutive ports: ``9092, 9093, ...``). Each
connection has a :class:`~kafkalab.wire.codec.Codec`; the bytes it reads go to ``Codec.feed``, and
each decoded request goes to ``WireCluster.handle(node_id, header, request, origin, now)`` with

* ``origin = Origin(connection id, correlation id, api version)``, and
* ``now`` = milliseconds of ``loop.time()`` since the server started (never going backwards).

Every :class:`~kafkalab.Reply` that comes back is encoded for the connection its origin names,
which may be another connection (the last JoinGroup answers every parked one). One
``loop.call_at`` stays armed for ``WireCluster.next_deadline()``; when it fires,
``WireCluster.on_timer(now)`` runs the coordinators' timers and ends Fetch waits.

Like a Kafka broker, the server serves **one request per connection at a time**: the next request
on a connection is taken only when the previous one has been answered (Kafka mutes the channel).
So a parked JoinGroup holds back whatever the client sent after it on that connection, and answers
go out in request order. A frame that cannot be served (:class:`~kafkalab.wire.codec.Malformed`)
closes its connection once the requests before it are answered; an exception in kafkalab's own
code (a bug) is logged, recorded in :attr:`Server.errors`, and closes that connection only. Every
other connection keeps being served.

The server makes no protocol decisions: all of them are in the sans-IO layers below it.

Use it from Python (a notebook) as a context manager that runs in a background thread::

    from kafkalab.wire import Server

    with Server(brokers=3, group_initial_rebalance_delay_ms=0, topics={"orders": 6}) as server:
        print(server.bootstrap_servers)          # "127.0.0.1:PORT,127.0.0.1:PORT+1,..."
        ...                                      # run real Kafka clients against it
        server.describe("my-group")              # the group as its coordinator sees it
        server.move_coordinator("my-group", 2)   # broker 2 coordinates the group from now on
        server.trace                             # the coordinators' trace events

or from a shell: ``kafkalab serve`` (see :mod:`kafkalab.cli`).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import itertools
import logging
import traceback
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from ..cluster import Broker
from ..config import CoordinatorConfig
from .broker import NoResponse, Origin, WireCluster
from .codec import DEFAULT_MAX_FRAME_BYTES, Codec, Malformed, RequestHeader
from .loop import BackgroundLoop

__all__ = ["Server", "DEFAULT_PORT"]

log = logging.getLogger("kafkalab.wire")

DEFAULT_PORT = 9092
_QUEUE_HIGH = 64      # requests queued on one connection before it stops reading
_QUEUE_LOW = 8
_WILDCARDS = ("", "0.0.0.0", "::")


class _Connection(asyncio.Protocol):
    """One client connection to one broker."""

    def __init__(self, server: "Server", node_id: int) -> None:
        self.server = server
        self.node_id = node_id
        self.id = next(server._connection_ids)
        #: What origins call this connection: ``"<client id>#<n>"`` once its first request came.
        self.label: Any = f"#{self.id}"
        self.transport: Optional[asyncio.Transport] = None
        self.codec: Optional[Codec] = None
        self.queue: collections.deque = collections.deque()
        self.pending: Optional[RequestHeader] = None
        self.closed = False
        self.read_paused = False
        self.write_paused = False
        self.labelled = False
        self.peer = "?"

    # ---------------------------------------------------------------- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else "unknown"
        self.peer = f"{host}:{peer[1]}" if isinstance(peer, tuple) and len(peer) > 1 else host
        self.codec = Codec(client_host=f"/{host}", max_frame_bytes=self.server.max_frame_bytes)
        self.server._connections[self.label] = self
        log.debug("connection %s from %s to broker %s", self.id, self.peer, self.node_id)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.queue.extend(self.codec.feed(data))
        if len(self.queue) >= _QUEUE_HIGH and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()
        self.server._wake(self)

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.closed = True
        self.queue.clear()
        self.server._forget(self)
        log.debug("connection %s from %s closed", self.id, self.peer)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.server._wake(self)

    # ---------------------------------------------------------------- helpers

    @property
    def ready(self) -> bool:
        return not self.closed and self.pending is None and not self.write_paused and bool(self.queue)

    def close(self, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()  # written answers are flushed first
        self.server._forget(self)


class Server(BackgroundLoop):
    """A Kafka-protocol cluster of ``brokers`` brokers on consecutive ports, over kafkalab's coordinator.

    Args:
        host: address to listen on (loopback by default; nothing else is reachable unless asked).
        port: the first broker's port; broker ``i`` listens on ``port + i``. ``0`` picks free ports.
        brokers: how many brokers (each a :class:`~kafkalab.Coordinator` leading its share of the
            ``__consumer_offsets`` partitions, so different groups get different coordinators).
        advertised_host: the host name clients are told to connect to (default: ``host``, or
            127.0.0.1 when ``host`` is a wildcard address).
        config: the coordinators' broker configuration (Kafka's defaults when omitted).
        group_initial_rebalance_delay_ms, group_min_session_timeout_ms,
        group_max_session_timeout_ms: shortcuts that override those fields of ``config``.
        topics: topics to create at start: ``{"name": partitions}`` or ``["name:partitions", ...]``.
        auto_create_topics: Kafka's ``auto.create.topics.enable``.
        num_partitions: Kafka's ``num.partitions`` (for auto-created topics).
        max_frame_bytes: the largest request frame accepted (Kafka's ``socket.request.max.bytes``,
            100 MiB); a larger one closes the connection.
        seed: seeds member ids (topic ids are derived from topic names).
        trace: keep the coordinators' traces (``server.trace``).
        trace_limit: keep only about the last ``trace_limit`` events of each coordinator (``None``:
            all of them; a long-running ``kafkalab serve`` keeps 100,000).
    """

    service_name = "server"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        brokers: int = 1,
        advertised_host: Optional[str] = None,
        config: Optional[CoordinatorConfig] = None,
        group_initial_rebalance_delay_ms: Optional[int] = None,
        group_min_session_timeout_ms: Optional[int] = None,
        group_max_session_timeout_ms: Optional[int] = None,
        topics: Union[Mapping[str, int], Iterable[str], None] = None,
        auto_create_topics: bool = True,
        num_partitions: int = 1,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        seed: int = 0,
        trace: bool = True,
        trace_limit: Optional[int] = None,
    ) -> None:
        if isinstance(brokers, bool) or not isinstance(brokers, int) or not 1 <= brokers <= 100:
            raise ValueError(f"brokers must be an int between 1 and 100, got {brokers!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535 - (brokers - 1):
            raise ValueError(f"port must be 0 (any free port) or a port with room for {brokers} brokers, got {port!r}")
        config = config if config is not None else CoordinatorConfig()
        overrides = {k: v for k, v in (
            ("group_initial_rebalance_delay_ms", group_initial_rebalance_delay_ms),
            ("group_min_session_timeout_ms", group_min_session_timeout_ms),
            ("group_max_session_timeout_ms", group_max_session_timeout_ms)) if v is not None}
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self.host = host
        self.port = port
        self.num_brokers = brokers
        self.advertised_host = advertised_host or ("127.0.0.1" if host in _WILDCARDS else host)
        self.initial_topics = _parse_topics(topics)
        self.auto_create_topics = auto_create_topics
        self.num_partitions = num_partitions
        self.max_frame_bytes = max_frame_bytes
        self.seed = seed
        self.tracing = trace
        if trace_limit is not None and (isinstance(trace_limit, bool) or not isinstance(trace_limit, int)
                                        or trace_limit < 1):
            raise ValueError(f"trace_limit must be a positive int or None, got {trace_limit!r}")
        self.trace_limit = trace_limit
        #: Internal errors (bugs): ``(connection id, api name, traceback text)``.
        self.errors: list[tuple[Any, str, str]] = []
        #: Frames that closed their connection: ``(connection id, reason)``.
        self.malformed: list[tuple[Any, str]] = []
        self.cluster: Optional[WireCluster] = None
        self.ports: list[int] = []
        self._listeners: list[Callable[[int, Any], None]] = []
        self._seen: dict[int, int] = {}
        self._connection_ids = itertools.count(1)
        self._connections: dict[Any, _Connection] = {}
        self._ready: collections.deque[_Connection] = collections.deque()
        self._queued: set[int] = set()
        self._draining = False
        self._servers: list[asyncio.base_events.Server] = []
        self._t0 = 0.0
        self._last_now = 0
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_deadline: Optional[int] = None

    # ================================================================ public API

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` of every broker, comma-separated (what clients call ``bootstrap.servers``)."""
        if not self.ports:
            raise RuntimeError("the server is not running; start it first (with Server(...) as server: ...)")
        return ",".join(f"{self.advertised_host}:{p}" for p in self.ports)

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1) -> None:
        """Create a topic (thread-safe).

        Raises:
            ValueError: it exists already, or the name or counts are invalid (Kafka's message).
        """
        self.call(lambda: self.cluster.create_topic(name, partitions, replication_factor))

    def create_partitions(self, name: str, count: int) -> None:
        """Grow topic ``name`` to ``count`` partitions (thread-safe), as CreatePartitions would.

        Raises:
            ValueError: no such topic, or ``count`` is not larger than its partition count.
        """
        self.call(lambda: self.cluster.create_partitions(name, count))

    def delete_topic(self, name: str) -> None:
        """Delete topic ``name`` (thread-safe), as DeleteTopics would.

        Raises:
            ValueError: no such topic, or ``__consumer_offsets``.
        """
        def delete() -> None:
            self._deliver(self.cluster.delete_topic(name, self.now()))
            self._drain()
        self.call(delete)

    @property
    def trace(self) -> list:
        """Every coordinator's trace events, merged in time order (a copy, thread-safe)."""
        return self.call(lambda: self.cluster.trace)

    @property
    def traces(self) -> dict[int, list]:
        """Each broker's coordinator trace (node id -> a copy of its events)."""
        return self.call(lambda: {n: list(c.trace) for n, c in self.cluster.coordinators.items()})

    def describe(self, group_id: str) -> dict:
        """The group as its coordinator sees it (:meth:`kafkalab.Coordinator.describe`), thread-safe."""
        return self.call(lambda: self.cluster.describe(group_id))

    def coordinator_id(self, group_id: str) -> int:
        """The node id of the broker coordinating ``group_id``."""
        return self.call(lambda: self.cluster.cluster.coordinator_for(group_id).node_id)

    def move_coordinator(self, group_id: str, node_id: int) -> None:
        """Make broker ``node_id`` the coordinator of ``group_id`` (thread-safe), as a leader
        election of the group's ``__consumer_offsets`` partition would
        (:meth:`WireCluster.move_coordinator <kafkalab.wire.broker.WireCluster.move_coordinator>`).

        The old broker answers the group's parked requests, and every later one, NOT_COORDINATOR;
        FindCoordinator and Metadata name the new broker, which has loaded the group from the log.
        The group's clients find it and carry on with their member ids.

        Raises:
            ValueError: unknown broker, or one holding no replica of the group's partition.
        """
        def move() -> None:
            self._deliver(self.cluster.move_coordinator(group_id, node_id, self.now()))
            self._drain()
        self.call(move)

    def add_listener(self, listener: Callable[[int, Any], None]) -> None:
        """Call ``listener(node_id, event)`` for every new trace event (in the server's thread)."""
        self._listeners.append(listener)

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn()`` in the server's event loop and return its result (or raise its exception).

        After the server stopped, ``fn()`` runs in the caller's thread, so the trace and the groups
        can still be read (``server.trace`` after the ``with`` block).
        """
        loop = self._loop
        if self.cluster is None:
            raise RuntimeError("the server has not started")
        if loop is None or loop.is_closed() or not loop.is_running():
            return fn()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
            self._drain()
        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    # ---------------------------------------------------------------- asyncio API

    async def start_async(self) -> "Server":
        """Bind the listeners in the running loop and start serving (the ``kafkalab serve`` path)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        servers, base = await self._bind(loop)
        try:
            ports = [base + i for i in range(self.num_brokers)]
            brokers = [Broker(i, self.advertised_host, p) for i, p in enumerate(ports)]
            cluster = WireCluster(brokers, self.config, auto_create_topics=self.auto_create_topics,
                                  num_partitions=self.num_partitions, seed=self.seed, trace=self.tracing)
            for name, partitions in self.initial_topics:
                cluster.create_topic(name, partitions)
        except BaseException:
            for srv in servers:
                srv.close()
            raise
        self.ports, self.cluster = ports, cluster
        self._t0 = loop.time()
        self._last_now = 0
        self._servers = servers
        for srv in servers:
            await srv.start_serving()
        log.info("kafkalab serving %s", self.bootstrap_servers)
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
        """Close the listeners and every connection."""
        if self._stopped is not None:
            self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_deadline = None
        servers, self._servers = self._servers, []
        for srv in servers:
            srv.close()
        for conn in list(self._connections.values()):
            conn.close(abort=True)
        for srv in servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 5)
            except asyncio.TimeoutError:  # pragma: no cover
                log.warning("a listener did not close within 5 s")

    async def _bind(self, loop: asyncio.AbstractEventLoop) -> tuple[list, int]:
        attempts = 20 if self.port == 0 else 1
        for attempt in range(attempts):
            servers: list = []
            try:
                first = await loop.create_server(lambda: _Connection(self, 0), self.host, self.port,
                                                 start_serving=False)
                servers.append(first)
                base = first.sockets[0].getsockname()[1]
                for i in range(1, self.num_brokers):
                    servers.append(await loop.create_server(
                        (lambda node: (lambda: _Connection(self, node)))(i), self.host, base + i, start_serving=False))
                return servers, base
            except (OSError, OverflowError):
                for srv in servers:
                    srv.close()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ================================================================ the event pump

    def now(self) -> int:
        """Milliseconds since the server started (monotonic, never going backwards)."""
        ms = int((self._loop.time() - self._t0) * 1000)
        if ms > self._last_now:
            self._last_now = ms
        return self._last_now

    def _wake(self, conn: _Connection) -> None:
        if conn.id not in self._queued:
            self._queued.add(conn.id)
            self._ready.append(conn)
        self._drain()

    def _forget(self, conn: _Connection) -> None:
        self._connections.pop(conn.label, None)
        if self.cluster is not None:
            self.cluster.connection_closed(conn.label)

    def _drain(self) -> None:
        """Serve ready connections, one request each per turn, until none is ready; re-arm the timer."""
        if self._draining:
            return
        self._draining = True
        try:
            while self._ready:
                conn = self._ready.popleft()
                self._queued.discard(conn.id)
                if conn.ready:
                    self._serve_one(conn)
                if conn.ready and conn.id not in self._queued:
                    self._queued.add(conn.id)
                    self._ready.append(conn)
        finally:
            self._draining = False
        self._publish()
        self._arm()

    def _serve_one(self, conn: _Connection) -> None:
        header, request = conn.queue.popleft()
        if conn.read_paused and len(conn.queue) <= _QUEUE_LOW:
            conn.read_paused = False
            conn.transport.resume_reading()
        if isinstance(request, Malformed):
            self.malformed.append((conn.label, request.reason))
            log.info("closing connection %s from %s: %s", conn.id, conn.peer, request.reason)
            conn.close()
            return
        if not conn.labelled:
            # Name the connection after its client, so traces read "consumer-1#7 sent JoinGroup".
            conn.labelled = True
            if header.client_id:
                self._connections.pop(conn.label, None)
                conn.label = f"{header.client_id}#{conn.id}"
                self._connections[conn.label] = conn
        conn.pending = header
        origin = Origin(conn.label, header.correlation_id, header.api_version)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("broker %s <- %s %s v%s (correlation id %s)", conn.node_id, conn.label, header.api_name,
                      header.api_version, header.correlation_id)
        try:
            replies = self.cluster.handle(conn.node_id, header, request, origin, self.now())
        except Exception:  # a bug in kafkalab: keep serving everyone else
            self._internal_error(conn, header)
            return
        self._deliver(replies)

    def _deliver(self, replies: list) -> None:
        for reply in replies:
            origin = reply.origin
            conn = self._connections.get(origin.connection)
            if conn is None or conn.closed or conn.pending is None \
                    or conn.pending.correlation_id != origin.correlation_id:
                continue  # its connection is gone: Kafka drops the response too
            header, conn.pending = conn.pending, None
            response = reply.response
            if isinstance(response, NoResponse):
                if response.close:
                    conn.close()
                    continue
            else:
                try:
                    data = conn.codec.encode(header, response)
                except Exception:
                    self._internal_error(conn, header)
                    continue
                conn.transport.write(data)
            if conn.ready and conn.id not in self._queued:
                self._queued.add(conn.id)
                self._ready.append(conn)

    def _internal_error(self, conn: _Connection, header: Optional[RequestHeader]) -> None:
        text = traceback.format_exc()
        name = header.api_name if header is not None else "?"
        self.errors.append((conn.label, name, text))
        log.error("internal error serving %s on connection %s; closing it\n%s", name, conn.label, text)
        conn.close(abort=True)

    def _arm(self) -> None:
        if self.cluster is None or self._loop is None or not self._servers:
            return
        deadline = self.cluster.next_deadline()
        if deadline == self._timer_deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is not None:
            self._timer = self._loop.call_at(self._t0 + deadline / 1000, self._fire, deadline)

    def _fire(self, deadline: int) -> None:
        self._timer = None
        self._timer_deadline = None
        # call_at may wake a hair early in float seconds; the deadline itself has come.
        self._last_now = max(self.now(), deadline)
        try:
            replies = self.cluster.on_timer(self._last_now)
        except Exception:
            text = traceback.format_exc()
            self.errors.append((None, "timer", text))
            log.error("internal error in a timer\n%s", text)
            replies = []
        self._deliver(replies)
        self._drain()

    def _publish(self) -> None:
        """Hand new trace events to the listeners; trim the traces to ``trace_limit``."""
        if self.cluster is None or (not self._listeners and self.trace_limit is None):
            return
        for node_id, coordinator in self.cluster.coordinators.items():
            seen = self._seen.get(node_id, 0)
            events = coordinator.trace
            if len(events) > seen:
                self._seen[node_id] = len(events)
                for event in events[seen:]:
                    for listener in self._listeners:
                        try:
                            listener(node_id, event)
                        except Exception:  # pragma: no cover - a listener's bug is not ours
                            log.exception("trace listener failed")
            limit = self.trace_limit
            if limit is not None and len(events) > limit + limit // 2:
                drop = len(events) - limit
                del events[:drop]  # the coordinator only ever appends to its trace
                self._seen[node_id] = len(events)


def _parse_topics(topics: Union[Mapping[str, int], Iterable[str], None]) -> list[tuple[str, int]]:
    """``{"t": 6}`` or ``["t:6", "u"]`` -> ``[("t", 6), ("u", 1)]``."""
    if topics is None:
        return []
    if isinstance(topics, Mapping):
        return [(str(k), int(v)) for k, v in topics.items()]
    if isinstance(topics, str):
        topics = [topics]
    out = []
    for spec in topics:
        name, sep, count = str(spec).rpartition(":")
        if not sep:
            name, count = str(spec), "1"
        try:
            partitions = int(count)
        except ValueError:
            raise ValueError(f"a topic is NAME or NAME:PARTITIONS, got {spec!r}") from None
        out.append((name, partitions))
    return out
