"""Running an asyncio service in a background thread: what ``Server`` and ``Tap`` share.

How it works
------------
:class:`BackgroundLoop` is a mixin for a service that has an asyncio API (``start_async`` binds
its listeners in the running loop, ``stop_async`` closes them) and should also be usable from
plain code and notebooks, where no loop runs.  :meth:`BackgroundLoop.start` creates a thread with
its own event loop, runs ``start_async`` there and returns once it listens (or re-raises what
``start_async`` raised); the thread then waits on the service's ``_stopped`` event, which
:meth:`BackgroundLoop.stop` sets from the caller's thread, and runs ``stop_async`` before it ends.
``with service: ...`` does both.

The service sets ``self._loop`` and ``self._stopped`` (an :class:`asyncio.Event`) in its
``start_async`` and names itself in :attr:`BackgroundLoop.service_name` (used in the thread's name
and in error messages).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Optional, TypeVar

__all__ = ["BackgroundLoop"]

_S = TypeVar("_S", bound="BackgroundLoop")


class BackgroundLoop:
    """Mixin: ``start()`` / ``stop()`` / ``with`` over a service's ``start_async`` / ``stop_async``."""

    #: How errors and the thread name call the service ("server", "tap").
    service_name = "service"
    _thread: Optional[threading.Thread] = None
    _loop: Optional[asyncio.AbstractEventLoop] = None
    _stopped: Optional[asyncio.Event] = None

    async def start_async(self) -> Any:  # pragma: no cover - every service defines it
        raise NotImplementedError

    async def stop_async(self) -> None:  # pragma: no cover - every service defines it
        raise NotImplementedError

    def start(self: _S, timeout: float = 10.0) -> _S:
        """Start in a background thread with its own event loop; return when listening."""
        if self._thread is not None:
            raise RuntimeError(f"the {self.service_name} is already started")
        started = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            assert self._stopped is not None  # set by start_async
            try:
                loop.run_until_complete(self._stopped.wait())
            finally:
                loop.run_until_complete(self.stop_async())
                loop.close()

        self._thread = threading.Thread(target=main, name=f"kafkalab-{self.service_name}", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError(f"the {self.service_name} did not start within {timeout} s")
        if failure:
            self._thread.join(timeout)
            self._thread = None
            raise failure[0]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and listener and end the background thread."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and not loop.is_closed() and self._stopped is not None:
            try:
                loop.call_soon_threadsafe(self._stopped.set)
            except RuntimeError:  # pragma: no cover - the loop closed meanwhile
                pass
        thread.join(timeout)
        if thread.is_alive():  # pragma: no cover
            raise TimeoutError(f"the {self.service_name} thread did not stop within {timeout} s")
        self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
