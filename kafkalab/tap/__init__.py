"""Watch and check a real Kafka cluster's consumer groups: a recording proxy and a conformance replay.

* :mod:`kafkalab.tap.stream` -- one proxied connection, sans-IO: frames split, requests and
  responses paired, group APIs decoded, broker addresses rewritten, every other byte passed on;
* :mod:`kafkalab.tap.decode` -- the kio decoding and re-encoding behind it;
* :mod:`kafkalab.tap.proxy` -- :class:`Tap`, the asyncio adapter (listeners on 127.0.0.1, one
  per upstream broker, created as the cluster's metadata names them);
* :mod:`kafkalab.tap.trace` -- :class:`TapRecord` and the JSON-lines trace format (``docs/tap.md``);
* :mod:`kafkalab.tap.events` -- :func:`tap_events`, a trace as the player's events;
* :mod:`kafkalab.tap.conform` -- :func:`conform`, the trace's group requests replayed into
  kafkalab's :class:`~kafkalab.Coordinator`, every differing answer reported.

``kafkalab tap`` and ``kafkalab conform`` run them from the shell; in Python::

    from kafkalab.tap import Tap, conform, tap_events

    with Tap(upstream="127.0.0.1:9092", out="trace.jsonl") as tap:
        ...                                   # clients use tap.bootstrap_servers
    print(conform("trace.jsonl").table())
"""

from __future__ import annotations

from .conform import ConformanceReport, Difference, conform
from .events import tap_events
from .proxy import Tap
from .trace import TapRecord, TraceFileError, load_trace, save_trace

__all__ = ["Tap", "TapRecord", "tap_events", "conform", "ConformanceReport", "Difference",
           "load_trace", "save_trace", "TraceFileError"]
