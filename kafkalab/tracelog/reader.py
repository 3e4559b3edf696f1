"""Read a real client's log into the trace the player shows: step through an incident from your own consumers.

(:mod:`kafkalab.tracelog` re-exports :func:`read_log`, :data:`FORMATS`, :class:`LogFormatError` and
:data:`~kafkalab.tracelog.java.DEFAULT_MAX_POLL_INTERVAL_MS`; :mod:`kafkalab.trace` re-exports
:func:`read_log` and :class:`LogFormatError`.)

How it works
------------
:func:`read_log` takes librdkafka logs captured with ``debug=cgrp`` (confluent-kafka, the C/C++
client, ...) and Java consumer logs at INFO (the lines of ``ConsumerCoordinator`` and
``ConsumerRebalanceListenerInvoker``), one file per consumer or several consumers in one file, and
returns the events :class:`kafkalab.viz.Player` steps through - the same event types the
simulated consumers record (:mod:`kafkalab.sim.events`):

* the group requests and answers the log shows, as a ``MessageSent`` and a ``MessageDelivered``
  each (FindCoordinator, JoinGroup, SyncGroup, LeaveGroup, and the heartbeats that were answered
  with an error: a client does not log a heartbeat answered without one);
* :class:`~kafkalab.sim.events.ClientStateChanged` with the member id, generation and reason
  (UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, as the Java client names them);
* the rebalance callbacks (:class:`~kafkalab.sim.events.PartitionsAssigned`,
  :class:`~kafkalab.sim.events.PartitionsRevoked`, ``lost=True`` for onPartitionsLost), at the
  time the application ran them;
* notes: :class:`~kafkalab.sim.events.PollTimeoutExpired`, :class:`~kafkalab.sim.events.RejoinRequested`,
  :class:`~kafkalab.sim.events.AssignmentPerformed` (the leader ran the assignor),
  :class:`~kafkalab.sim.events.ConsumerClosing`, :class:`~kafkalab.sim.events.CoordinatorUnknown`,
  :class:`~kafkalab.sim.events.ConsumerStarted` (Java, from its "ConsumerConfig values" block),
  and :class:`~kafkalab.sim.events.ConsumerStopped` when the consumer closed.

Each consumer is named by its ``client.id`` (``c1#consumer-1`` in librdkafka's lines, ``clientId=c1``
in Java's), so give every consumer its own ``client.id``.  Times are milliseconds since the first
line read (across all files), taken from the lines' own timestamps; files are merged by time.

Every line is split by :func:`kafkalab.logformat.parse_line` and matched against the templates
table of :mod:`kafkalab.logformat`, the one the simulated consumers write the same lines from
(:mod:`kafkalab.sim.logs`).  A line of neither client, or a client line no template knows, is skipped; a line that
starts like a client's line but cannot be read raises :class:`LogFormatError` with its file and
line number (a cut-off *last* line, as a log being written ends, is skipped).

The files are read into records by :mod:`.records`; :func:`read_log` groups the records by
consumer, hands each consumer's to its client's reader (:mod:`.librdkafka`, :mod:`.java`; what they
share is :mod:`.consumer`) and merges the events they write by time.

What a client log cannot show: the coordinator's side (the group's state, who else is a member).
The player then shows each consumer as its own log tells it; read the broker's view from
``kafkalab serve`` (:func:`kafkalab.viz.wire_events`) when the run was against kafkalab.
"""

from __future__ import annotations

import heapq
import re
from typing import Union

from .java import JavaConsumer
from .librdkafka import RdConsumer
from .records import LogFormatError, Record, Source, read_file, sources

__all__ = ["read_log", "FORMATS"]

FORMATS = ("auto", "librdkafka", "java")


def read_log(source: Union[Source, list, tuple], format: str = "auto") -> list:  # noqa: A002 - the option's name
    """Read client logs into player events.

    Args:
        source: a path to a log file, a list of paths (one consumer per file, merged by time), an
            open text file, or the log's lines (a list of strings, or one string with newlines).
        format: ``"librdkafka"``, ``"java"`` or ``"auto"`` (each file's first client line decides).

    Returns:
        The events, in time order: ``Player(read_log(...))`` steps through them.

    Raises:
        LogFormatError: a file is missing or has no client lines, or a line cannot be read (its
            file and line number are in the message).
        ValueError: an unknown ``format``.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not {format!r}")
    files = sources(source)
    records: list[Record] = []
    for index, (label, lines) in enumerate(files):
        records.extend(read_file(index, label, lines, format))
    if not records:
        raise LogFormatError("no lines to read")
    records.sort(key=lambda r: (r.ts, r.file, r.number))
    t0 = records[0].ts
    by_consumer: dict[tuple, list[Record]] = {}
    for r in records:
        by_consumer.setdefault(_key(r), []).append(r)
    names = _names(by_consumer)
    streams = []
    for order, (key, recs) in enumerate(by_consumer.items()):
        cls = RdConsumer if key[0] == "librdkafka" else JavaConsumer
        consumer = cls(names[key], recs, t0)
        consumer.run()
        streams.append([(at, order, seq, e) for seq, (at, e) in enumerate(consumer.out)])
    for stream in streams:
        stream.sort(key=lambda x: (x[0], x[2]))
    return [e for _, _, _, e in heapq.merge(*streams, key=lambda x: (x[0], x[1], x[2]))]


def _key(r: Record) -> tuple:
    line = r.line
    if line.client == "librdkafka":
        return ("librdkafka", r.file, line.name)
    return ("java", line.name)


def _client_id(key: tuple) -> str:
    if key[0] == "librdkafka":
        name = key[2] or "rdkafka"
        return re.sub(r"#(consumer|producer)-\d+$", "", name) or name
    return key[1] or "consumer"


def _names(by_consumer: dict) -> dict[tuple, str]:
    """Consumers by ``client.id``; handles that share one get their handle name or file number."""
    counts: dict[str, int] = {}
    for key in by_consumer:
        counts[_client_id(key)] = counts.get(_client_id(key), 0) + 1
    names: dict[tuple, str] = {}
    for key in by_consumer:
        name = _client_id(key)
        if counts[name] > 1:
            name = f"{key[2]}@{key[1] + 1}" if key[0] == "librdkafka" else name
        names[key] = name
    return names
