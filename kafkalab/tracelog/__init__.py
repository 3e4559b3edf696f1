"""Real clients' logs read into the trace the player shows (see :mod:`kafkalab.tracelog.reader`).

``read_log`` is also importable from :mod:`kafkalab.trace`.  The log lines themselves - what each
client writes, with the Kafka and librdkafka source of each - are the table in
:mod:`kafkalab.logformat`, shared with the writers.  The files are read into records by
:mod:`.records`; each consumer's records become events in :mod:`.librdkafka` or :mod:`.java`, on
what they share in :mod:`.consumer`.
"""

from .java import DEFAULT_MAX_POLL_INTERVAL_MS
from .reader import FORMATS, read_log
from .records import LogFormatError

__all__ = ["read_log", "LogFormatError", "FORMATS", "DEFAULT_MAX_POLL_INTERVAL_MS"]
