"""The log lines Kafka clients and the broker write about a group, as one table shared by writers and readers.

How it works
------------
Each :class:`Template` (:mod:`.templates`) is one log statement of a real client or of the
broker's group coordinator: the Java consumer's (``org.apache.kafka.clients.consumer.internals``)
INFO/WARN/ERROR lines, librdkafka's ``debug=cgrp`` lines, ``GroupMetadataManager``'s.  Its
``text`` is the message with ``{field}`` placeholders, so the same entry serves both directions:

* a **writer** (the simulation, :mod:`kafkalab.sim.logs`) renders a message with :func:`format`
  and the line around it with :func:`java_line` / :func:`librdkafka_line` / :func:`broker_line`
  (:mod:`.lines`);
* the **reader** (:mod:`kafkalab.tracelog`) splits a line into its parts with :func:`parse_line`
  (:mod:`.lines`) and finds the template whose text matches the message with :func:`match`.

Fields have one spelling each (:data:`FIELDS`): a Java ``Generation`` (``Generation{generationId=1,
memberId='c1-...', protocol='range'}``), a list of ``TopicPartition`` (``orders-0, orders-1``), an
``Assignment`` (``Assignment(partitions=[orders-0])``), a ``Node`` (``127.0.0.1:9092 (id: 2147483647
rack: null)``), librdkafka's quoted group id, ... with a formatter and a parser for each
(:func:`java_generation` / :func:`parse_java_generation`, ...; :mod:`.spellings`, with the error
texts).  Where each line comes from in Kafka's and librdkafka's sources: :mod:`.templates`.
"""

from .lines import (
    LogLine,
    MalformedLine,
    broker_context,
    broker_line,
    java_context,
    java_line,
    librdkafka_line,
    log4j_timestamp,
    parse_broker_line,
    parse_line,
    parse_timestamp,
)
from .spellings import (
    JAVA_ERROR_MESSAGES,
    LIBRDKAFKA_ERRORS,
    error_from_java_message,
    error_from_librdkafka,
    java_assignment,
    java_assignments,
    java_generation,
    java_node,
    java_optional,
    java_partitions,
    parse_java_assignment,
    parse_java_assignments,
    parse_java_generation,
    parse_java_node,
    parse_java_partitions,
)
from .templates import (
    BROKER,
    BROKER_LOGGER,
    CLASSIC_GROUP_LOGGER,
    FIELDS,
    JAVA,
    JAVA_APP_INFO_LOGGER,
    JAVA_COORDINATOR_LOGGER,
    JAVA_LISTENER_LOGGER,
    LIBRDKAFKA,
    TEMPLATES,
    Template,
    format,
    match,
)

__all__ = [
    "Template", "JAVA", "LIBRDKAFKA", "TEMPLATES", "FIELDS", "LogLine", "match", "parse_line",
    "parse_timestamp", "java_line", "librdkafka_line", "java_generation", "parse_java_generation",
    "java_partitions", "parse_java_partitions", "java_assignment", "parse_java_assignment",
    "java_assignments", "parse_java_assignments", "java_node", "parse_java_node", "java_optional",
    "JAVA_ERROR_MESSAGES", "LIBRDKAFKA_ERRORS", "error_from_java_message", "error_from_librdkafka",
    "java_context", "JAVA_COORDINATOR_LOGGER", "JAVA_LISTENER_LOGGER", "format",
    "BROKER", "BROKER_LOGGER", "CLASSIC_GROUP_LOGGER", "broker_context", "broker_line", "parse_broker_line",
    "log4j_timestamp", "MalformedLine", "JAVA_APP_INFO_LOGGER",
]
