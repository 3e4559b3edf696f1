"""Helpers for the tap tests: kio frames, a fake upstream broker, a blocking raw client, waiting.

Nothing here is part of kafkalab. Every socket has a timeout; every wait has a deadline.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
from typing import Any, Callable, Optional

import kio.index
from kio.serial import entity_reader, entity_writer

from kafkalab.wire.codec import build

SOCKET_TIMEOUT_S = 10.0


def request_frame(api_key: int, api_version: int, correlation_id: int, *, client_id: Optional[str] = "test",
                  **values: Any) -> bytes:
    """A whole request frame (size prefix included) built by kio from ``values``."""
    cls = kio.index.load_request_schema(api_key, api_version)
    hdr = cls.__header_schema__
    out = io.BytesIO()
    entity_writer(hdr)(out, hdr(request_api_key=api_key, request_api_version=api_version,
                                correlation_id=correlation_id, client_id=client_id))
    entity_writer(cls)(out, build(cls, values))
    return struct.pack(">i", out.tell()) + out.getvalue()


def response_frame(api_key: int, api_version: int, correlation_id: int, **values: Any) -> bytes:
    """A whole response frame built by kio from ``values``."""
    cls = kio.index.load_response_schema(api_key, api_version)
    hdr = cls.__header_schema__
    out = io.BytesIO()
    entity_writer(hdr)(out, hdr(correlation_id=correlation_id))
    entity_writer(cls)(out, build(cls, values))
    return struct.pack(">i", out.tell()) + out.getvalue()


def parse_response(api_key: int, api_version: int, payload: bytes) -> tuple[int, Any]:
    """``(correlation_id, kio response)`` from a response frame's payload (after the size)."""
    cls = kio.index.load_response_schema(api_key, api_version)
    header, used = entity_reader(cls.__header_schema__)(bytes(payload), 0)
    body, _ = entity_reader(cls)(bytes(payload), used)
    return header.correlation_id, body


def frames(data: bytes) -> list[bytes]:
    """The payloads of the whole frames in ``data`` (it must end at a frame boundary)."""
    out, pos = [], 0
    while len(data) - pos >= 4:
        (size,) = struct.unpack_from(">i", data, pos)
        out.append(bytes(data[pos + 4:pos + 4 + size]))
        pos += 4 + size
    assert pos == len(data), "trailing partial frame"
    return out


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, step: float = 0.01, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


class RawClient:
    """A blocking socket for tests, with a record of every byte it sent and received."""

    def __init__(self, address: str, timeout: float = SOCKET_TIMEOUT_S) -> None:
        host, _, port = address.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sent = bytearray()
        self.received = bytearray()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += data

    def read_exactly(self, n: int) -> bytes:
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("the peer closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        data = b"".join(chunks)
        self.received += data
        return data

    def read_frame(self) -> bytes:
        size = struct.unpack(">i", self.read_exactly(4))[0]
        return self.read_exactly(size)

    def call(self, api_key: int, api_version: int, correlation_id: int, **values: Any) -> Any:
        self.send(request_frame(api_key, api_version, correlation_id, **values))
        corr, body = parse_response(api_key, api_version, self.read_frame())
        assert corr == correlation_id
        return body

    def closed_by_peer(self, timeout: float = SOCKET_TIMEOUT_S) -> bool:
        """True when the peer closes the connection (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.received += chunk
        except socket.timeout:
            return False
        except OSError:  # reset, or this socket was closed meanwhile
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FakeBroker:
    """A loopback "broker" that records every byte each connection sent it and answers each whole
    request frame with ``answer(payload) -> bytes`` (whole frames, or b"" for no answer).

    ``close_after`` closes a connection after that many requests (an upstream that hangs up).
    """

    def __init__(self, answer: Callable[[bytes], bytes], *, close_after: Optional[int] = None) -> None:
        self.answer = answer
        self.close_after = close_after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.received: list[bytearray] = []   # per connection, in accept order
        self.sent: list[bytearray] = []
        self.requests: list[int] = []         # whole request frames handled, per connection
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            received, sent = bytearray(), bytearray()
            self.received.append(received)
            self.sent.append(sent)
            self.requests.append(0)
            t = threading.Thread(target=self._serve, args=(conn, len(self.sent) - 1), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        received, sent = self.received[index], self.sent[index]
        conn.settimeout(0.2)
        buf = bytearray()
        answered = 0
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                received += chunk
                buf += chunk
                while len(buf) >= 4:
                    size = struct.unpack_from(">i", buf)[0]
                    if size < 0 or len(buf) < 4 + size:
                        break
                    payload = bytes(buf[4:4 + size])
                    del buf[:4 + size]
                    out = self.answer(payload)
                    if out:
                        conn.sendall(out)
                        sent += out
                    answered += 1
                    self.requests[index] = answered
                    if self.close_after is not None and answered >= self.close_after:
                        return

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        for t in self._threads:
            t.join(2)

    def __enter__(self) -> "FakeBroker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
