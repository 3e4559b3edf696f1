"""Real clients' logs read into the trace the player shows (see :mod:`kafkalab.tracelog.reader`).

``read_log`` is also importable from :mod:`kafkalab.trace`.  The log lines themselves - what each
client writes, with the Kafka and librdkafka source of each - are the table in
:mod:`kafkalab.logformat`, shared with the writers.
"""

from .reader import DEFAULT_MAX_POLL_INTERVAL_MS, FORMATS, LogFormatError, read_log

__all__ = ["read_log", "LogFormatError", "FORMATS", "DEFAULT_MAX_POLL_INTERVAL_MS"]
