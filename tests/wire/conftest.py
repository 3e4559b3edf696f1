"""Fixtures for the wire tests: loopback servers that always stop, and a per-test watchdog.

* ``make_server(**kwargs)`` starts a :class:`kafkalab.wire.Server` on free loopback ports
  (``group.initial.rebalance.delay.ms`` 0 and a 1 s minimum session timeout unless given) and
  stops it after the test, checking that kafkalab raised no internal error.
* ``members`` collects a test's clients and closes them after it, before the servers stop.
* A watchdog dumps every thread's stack and ends the process if one test runs longer than
  ``WIRE_TEST_TIMEOUT_S`` (default 120 s): CI must never hang on a stuck client.
* Interop tests (real Kafka clients) are marked ``interop``; each module skips when its client
  is not installed.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from kafkalab.wire import Server  # noqa: E402

WATCHDOG_S = float(os.environ.get("WIRE_TEST_TIMEOUT_S", "120"))


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def members():
    """A list the test appends its clients to (anything with ``close()``); they are closed after
    the test, before its servers stop."""
    made: list = []
    yield made
    for member in made:
        member.close()


@pytest.fixture
def make_server():
    servers = []

    def make(**kwargs) -> Server:
        kwargs.setdefault("group_initial_rebalance_delay_ms", 0)
        kwargs.setdefault("group_min_session_timeout_ms", 1000)
        server = Server(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    for server in servers:
        assert not server.errors, "kafkalab raised internal errors:\n" + "\n".join(e[2] for e in server.errors)
