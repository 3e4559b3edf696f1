"""Whole log lines: split one into its parts, or write one as the client's layout does.

How it works
------------
:func:`parse_line` reads one line of a client's log into a :class:`LogLine` (client, time, level,
who wrote it, logger or facility, message), whatever the layout around the message:

* librdkafka's stderr lines (``%7|<seconds>.<ms>|FACILITY|c1#consumer-1| [thrd:main]: message``)
  and the lines confluent-kafka hands a Python ``logger`` (``FACILITY [c1#consumer-1] [thrd:..]:
  message`` after the logger's own timestamp);
* the Java consumer's lines in any layout that starts with a timestamp and carries a level and the
  consumer's ``[Consumer clientId=.., groupId=..]`` prefix (:func:`java_context`), the logger at
  the end when the layout prints it (Kafka's ``[%d] %p %m (%c)``), plus AppInfoParser's "App info
  kafka.consumer for <client> unregistered", which has no prefix.

A line of neither client is None; one that starts like a client's but cannot be read raises
:class:`MalformedLine`.  Times are milliseconds since the epoch (:func:`parse_timestamp`: ISO 8601,
log4j's ``2026-03-01 10:00:00,123``, Unix seconds; a time without a zone is UTC).
:func:`parse_broker_line` does the same for the broker's group coordinator lines.

The writers' side: :func:`java_line`, :func:`librdkafka_line` and :func:`broker_line` write a
message in each one's layout, with :func:`log4j_timestamp` for log4j's ``%d``.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Optional

from .templates import BROKER_LOGGER, JAVA_APP_INFO_LOGGER

@dataclass(frozen=True)
class LogLine:
    """One line split into its parts.

    Attributes:
        client: ``"java"`` or ``"librdkafka"``.
        timestamp_ms: milliseconds since the Unix epoch (UTC; a time without a zone is read as UTC).
        level: ``INFO``/``WARN``/... (librdkafka: its syslog level, ``"7"`` for debug).
        name: who wrote it: the Java ``clientId``, or librdkafka's handle name (``c1#consumer-1``).
        group: the Java ``groupId`` (librdkafka's group is in its messages).
        instance_id: the Java ``instanceId`` of a static member, if any.
        logger: the Java logger (when the layout shows it) or librdkafka's facility.
        message: the message itself.
    """

    client: str
    timestamp_ms: float
    level: str
    name: Optional[str]
    group: Optional[str]
    instance_id: Optional[str]
    logger: Optional[str]
    message: str


_TS = re.compile(
    r"(?P<date>(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:[.,](?P<frac>\d{1,9}))?)(?:\s?(?P<tz>Z|UTC|[+-]\d{2}:?\d{2}))?"
)
_EPOCH = re.compile(r"(?P<secs>\d{9,11})(?:\.(?P<frac>\d{1,9}))?")


def parse_timestamp(text: str) -> Optional[float]:
    """Milliseconds since the epoch of the timestamp at the start of ``text`` (after an optional
    ``[``), or None when it does not start with one.

    Understands ISO 8601 and log4j's ``2026-03-01 10:00:00,123`` (``,`` or ``.``; ``T`` or a space;
    no zone, ``Z``, ``UTC``, ``+01:00`` or ``+0100``) and Unix seconds with a fraction (librdkafka).

    Raises:
        ValueError: it looks like a timestamp but is not a valid time (month 13, ...).
    """
    text = text.lstrip("[")
    m = _TS.match(text)
    if m:
        y, mo, d, h, mi, s = (int(m.group(k)) for k in ("y", "mo", "d", "h", "mi", "s"))
        if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1] and h <= 23 and mi <= 59 and s <= 60):
            raise ValueError(f"{m.group('date')!r} is not a valid date and time")
        frac = m.group("frac") or "0"
        ms = calendar.timegm((y, mo, d, h, mi, s)) * 1000 + int(frac.ljust(9, "0")) / 1e6
        tz = m.group("tz")
        if tz and tz not in ("Z", "UTC"):
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000
        return ms
    m = _EPOCH.match(text)
    if m and (len(text) == m.end() or not text[m.end()].isdigit()):
        frac = m.group("frac") or "0"
        return int(m.group("secs")) * 1000 + int(frac.ljust(9, "0")) / 1e6
    return None


_RD_STDERR = re.compile(
    r"^%(?P<level>\d)\|(?P<ts>[^|]*)\|(?P<fac>[A-Z0-9_]+)\|(?P<name>[^|]*)\|(?: \[thrd:(?P<thread>[^\]]*)\]:)? ?(?P<msg>.*)$")
_RD_LOGGER = re.compile(
    r"(?P<fac>[A-Z0-9_]+) \[(?P<name>[^\]\s]+#(?:consumer|producer)-\d+)\] (?:\[thrd:(?P<thread>[^\]]*)\]: )?(?P<msg>.*)$")
_JAVA_CONTEXT = re.compile(
    r"\[Consumer (?:instanceId=(?P<instance>[^,\]]*), )?clientId=(?P<client>[^,\]]*), groupId=(?P<group>[^\]]*)\] ")
_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\b")
_JAVA_LOGGER_SUFFIX = re.compile(r" \((?P<logger>(?:org\.apache\.kafka|kafka)\.[\w.$]+)\)\s*$")
_APP_INFO = re.compile(r"App info kafka\.consumer for (?P<client>\S+) unregistered")


class MalformedLine(ValueError):
    """A line that starts like a client's log line but cannot be read."""


def parse_line(line: str) -> Optional[LogLine]:
    """Split one line of a log into a :class:`LogLine`; None for a line of neither client.

    librdkafka: the stderr format (``%7|<secs>.<ms>|FAC|name| [thrd:x]: msg``) or a Python
    logger's (``<timestamp> ... FAC [name] [thrd:x]: msg``).  Java: any layout whose line starts
    with a timestamp and carries a level and the consumer's ``[Consumer clientId=.., groupId=..]``
    prefix (Kafka's ``[%d] %p %m (%c)``, logback's default, ...), plus AppInfoParser's "App info
    kafka.consumer for <client> unregistered", which has no prefix.

    Raises:
        MalformedLine: the line starts like a librdkafka line or with a timestamp followed by a
            consumer prefix, but a part of it cannot be read (a bad timestamp, a missing field).
    """
    line = line.rstrip("\r\n")
    if line.startswith("%") and len(line) > 2 and line[1].isdigit():
        m = _RD_STDERR.match(line)
        if not m:
            raise MalformedLine("a librdkafka line needs %LEVEL|SECONDS.MILLIS|FACILITY|NAME| MESSAGE")
        ts = _epoch(m.group("ts"))
        return LogLine("librdkafka", ts, m.group("level"), m.group("name"), None, None, m.group("fac"), m.group("msg"))
    m = _RD_LOGGER.search(line)
    if m:
        ts = _leading_timestamp(line)
        level = _LEVEL.search(line[:m.start()])
        return LogLine("librdkafka", ts, level.group(1) if level else "DEBUG", m.group("name"), None, None,
                       m.group("fac"), m.group("msg"))
    ctx = _JAVA_CONTEXT.search(line)
    if ctx:
        ts = _leading_timestamp(line)
        level = _LEVEL.search(line[:ctx.start()])
        message, logger = _strip_logger(line[ctx.end():])
        return LogLine("java", ts, _level_name(level.group(1)) if level else "INFO", ctx.group("client"),
                       ctx.group("group"), ctx.group("instance"), logger, message)
    app = _APP_INFO.search(line)
    if app and parse_timestamp(line) is not None:
        level = _LEVEL.search(line[:app.start()])
        message, logger = _strip_logger(line[app.start():])
        return LogLine("java", _leading_timestamp(line), _level_name(level.group(1)) if level else "INFO",
                       app.group("client"), None, None, logger or JAVA_APP_INFO_LOGGER, message)
    return None


def _level_name(level: str) -> str:
    return "WARN" if level == "WARNING" else level


def _strip_logger(rest: str) -> tuple[str, Optional[str]]:
    m = _JAVA_LOGGER_SUFFIX.search(rest)
    if m:
        return rest[:m.start()], m.group("logger")
    return rest.rstrip(), None


def _epoch(text: str) -> float:
    m = _EPOCH.fullmatch(text)
    if not m:
        raise MalformedLine(f"{text!r} is not a librdkafka timestamp (Unix seconds with milliseconds, "
                            "e.g. 1767225600.123)")
    frac = m.group("frac") or "0"
    return int(m.group("secs")) * 1000 + int(frac.ljust(9, "0")) / 1e6


def _leading_timestamp(line: str) -> float:
    try:
        ts = parse_timestamp(line)
    except ValueError as e:
        raise MalformedLine(str(e)) from None
    if ts is None:
        raise MalformedLine("the line has no timestamp at its start (configure the log layout to print "
                            "one, e.g. log4j's [%d])")
    return ts


def java_context(client_id: str, group_id: str, group_instance_id: Optional[str] = None) -> str:
    """The consumer's ``LogContext`` prefix (ConsumerUtils.createLogContext)."""
    if group_instance_id is not None:
        return f"[Consumer instanceId={group_instance_id}, clientId={client_id}, groupId={group_id}] "
    return f"[Consumer clientId={client_id}, groupId={group_id}] "


def java_line(timestamp: str, level: str, client_id: str, group_id: str, message: str, logger: str,
              group_instance_id: Optional[str] = None) -> str:
    """A line in Kafka's log4j layout ``[%d] %p %m (%c)``: ``timestamp`` as written
    (``2026-03-01 10:00:00,123``)."""
    return f"[{timestamp}] {level} {java_context(client_id, group_id, group_instance_id)}{message} ({logger})"


def librdkafka_line(timestamp_ms: int, level: str, facility: str, name: str, message: str,
                    thread: str = "main") -> str:
    """A line as librdkafka writes it to stderr."""
    return f"%{level}|{timestamp_ms // 1000}.{timestamp_ms % 1000:03d}|{facility}|{name}| [thrd:{thread}]: {message}"


def log4j_timestamp(epoch_ms: int) -> str:
    """log4j's ``%d`` (ISO8601 without a zone): ``2026-03-02 09:00:00,123`` in UTC."""
    secs, ms = divmod(int(epoch_ms), 1000)
    t = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return f"{t:%Y-%m-%d %H:%M:%S},{ms:03d}"


def broker_context(node_id: int, partition: int, topic: str = "__consumer_offsets") -> str:
    """The group coordinator shard's ``LogContext`` prefix on broker ``node_id``."""
    return f"[GroupCoordinator id={node_id} topic={topic} partition={partition}] "


def broker_line(timestamp: str, level: str, node_id: int, partition: int, message: str,
                logger: str = BROKER_LOGGER) -> str:
    """A broker line in Kafka's log4j layout ``[%d] %p %m (%c)``."""
    return f"[{timestamp}] {level} {broker_context(node_id, partition)}{message} ({logger})"


_BROKER_LINE = re.compile(
    r"^\[(?P<ts>[^\]]+)\] (?P<level>[A-Z]+) \[GroupCoordinator id=(?P<node>\d+) topic=(?P<topic>\S+) "
    r"partition=(?P<partition>\d+)\] (?P<rest>.*)$")


def parse_broker_line(line: str) -> Optional[LogLine]:
    """Split a broker's group coordinator line (:func:`broker_line`) into a :class:`LogLine`
    (``name`` is ``broker-<id>``, ``group`` the ``__consumer_offsets`` partition as text); None for
    any other line.

    Raises:
        MalformedLine: it starts like a coordinator line but its timestamp cannot be read.
    """
    m = _BROKER_LINE.match(line.rstrip("\r\n"))
    if not m:
        return None
    try:
        ts = parse_timestamp(m.group("ts"))
    except ValueError as e:
        raise MalformedLine(str(e)) from None
    if ts is None:
        raise MalformedLine(f"{m.group('ts')!r} is not a log4j timestamp")
    message, logger = _strip_logger(m.group("rest"))
    return LogLine("broker", ts, m.group("level"), f"broker-{m.group('node')}", m.group("partition"), None, logger,
                   message)
