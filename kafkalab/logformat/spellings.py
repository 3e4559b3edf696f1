"""How each field's value is written in a client's message, and read back.

How it works
------------
Each value the clients print has one spelling, with a formatter and a parser: a Java
``Generation`` (:func:`java_generation` / :func:`parse_java_generation`: ``Generation{generationId=1,
memberId='c1-...', protocol='range'}``), a list of ``TopicPartition`` (:func:`java_partitions`:
``orders-0, orders-1``), an ``Assignment`` (:func:`java_assignment`:
``Assignment(partitions=[orders-0])``) and the leader's map of them (:func:`java_assignments`), a
coordinator ``Node`` (:func:`java_node`: ``127.0.0.1:9092 (id: 2147483647 rack: null)``, the id
being ``Integer.MAX_VALUE`` minus the broker's), an ``Optional`` (:func:`java_optional`).  A parser
raises ValueError for text that is not such a value.

Errors are logged as text: the Java client prints ``Errors.message()``
(:data:`JAVA_ERROR_MESSAGES`, read back by :func:`error_from_java_message`), librdkafka its
``rd_kafka_err2str`` description (:data:`LIBRDKAFKA_ERRORS`, :func:`error_from_librdkafka`, which
gives None for a local error).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from ..errors import ErrorCode

def java_generation(generation_id: int, member_id: str, protocol: Optional[str]) -> str:
    """``AbstractCoordinator.Generation.toString()``."""
    return f"Generation{{generationId={generation_id}, memberId='{member_id}', protocol='{protocol}'}}"


_GENERATION = re.compile(r"^Generation\{generationId=(-?\d+), memberId='([^']*)', protocol='([^']*)'\}$")


def parse_java_generation(text: str) -> tuple[int, str, Optional[str]]:
    """``(generation id, member id, protocol or None)`` from :func:`java_generation`'s text."""
    m = _GENERATION.match(text)
    if not m:
        raise ValueError(f"not a Java Generation: {text!r}")
    protocol = m.group(3)
    return int(m.group(1)), m.group(2), None if protocol == "null" else protocol


def java_partitions(partitions: Iterable[tuple[str, int]]) -> str:
    """``TopicPartition.toString()`` joined by ``", "``: ``orders-0, orders-1``."""
    return ", ".join(f"{t}-{p}" for t, p in partitions)


def parse_java_partitions(text: str) -> tuple[tuple[str, int], ...]:
    """``orders-0, orders-1`` (or ``[orders-0, orders-1]``) -> ``(("orders", 0), ("orders", 1))``."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    out = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        topic, sep, number = item.rpartition("-")
        if not sep or not topic or not number.lstrip("-").isdigit():
            raise ValueError(f"not a topic-partition: {item!r}")
        out.append((topic, int(number)))
    return tuple(out)


def java_assignment(partitions: Iterable[tuple[str, int]], user_data_size: Optional[int] = None) -> str:
    """``ConsumerPartitionAssignor.Assignment.toString()``."""
    tail = "" if user_data_size is None else f", userDataSize={user_data_size}"
    return f"Assignment(partitions=[{java_partitions(partitions)}]{tail})"


_ASSIGNMENT = re.compile(r"Assignment\(partitions=\[([^\]]*)\](?:, userDataSize=\d+)?\)")


def parse_java_assignment(text: str) -> tuple[tuple[str, int], ...]:
    m = _ASSIGNMENT.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a Java Assignment: {text!r}")
    return parse_java_partitions(m.group(1))


def java_assignments(assignments: dict[str, Iterable[tuple[str, int]]]) -> str:
    """A ``Map<String, Assignment>``'s ``toString()`` (the leader's "Finished assignment" line)."""
    return "{" + ", ".join(f"{m}={java_assignment(ps)}" for m, ps in assignments.items()) + "}"


_MAP_ENTRY = re.compile(r"(\S+?)=(Assignment\(partitions=\[[^\]]*\](?:, userDataSize=\d+)?\))(?:, |\}$)")


def parse_java_assignments(text: str) -> dict[str, tuple[tuple[str, int], ...]]:
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"not a Java map of assignments: {text!r}")
    body = text[1:]
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    pos = 0
    for m in _MAP_ENTRY.finditer(body):
        if m.start() != pos:
            raise ValueError(f"not a Java map of assignments: {text!r}")
        out[m.group(1)] = parse_java_assignment(m.group(2))
        pos = m.end()
    if body[pos:] not in ("", "}"):
        raise ValueError(f"not a Java map of assignments: {text!r}")
    return out


def java_node(host: str, port: int, node_id: int, rack: Optional[str] = None) -> str:
    """``Node.toString()`` of the coordinator as the Java client names it: the connection id is
    ``Integer.MAX_VALUE - node id`` (AbstractCoordinator, FindCoordinatorResponseHandler)."""
    return f"{host}:{port} (id: {2147483647 - node_id} rack: {'null' if rack is None else rack})"


_NODE = re.compile(r"^(\S+):(\d+) \(id: (-?\d+) rack: ([^)]*)\)$")


def parse_java_node(text: str) -> tuple[str, int, int]:
    """``(host, port, broker node id)`` of a coordinator :func:`java_node`."""
    m = _NODE.match(text.strip())
    if not m:
        raise ValueError(f"not a Java Node: {text!r}")
    connection_id = int(m.group(3))
    return m.group(1), int(m.group(2)), 2147483647 - connection_id


def java_optional(value: Optional[str]) -> str:
    """``java.util.Optional.toString()``."""
    return "Optional.empty" if value is None else f"Optional[{value}]"


#: ``Errors.message()`` of the group errors the Java client logs (common/protocol/Errors.java).
JAVA_ERROR_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS: "The coordinator is loading and hence can't process requests.",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "The coordinator is not available.",
    ErrorCode.NOT_COORDINATOR: "This is not the correct coordinator.",
    ErrorCode.ILLEGAL_GENERATION: "Specified group generation id is not valid.",
    ErrorCode.UNKNOWN_MEMBER_ID: "The coordinator is not aware of this member.",
    ErrorCode.REBALANCE_IN_PROGRESS: "The group is rebalancing, so a rejoin is needed.",
    ErrorCode.MEMBER_ID_REQUIRED: ("The group member needs to have a valid member id before actually entering a "
                                   "consumer group."),
    ErrorCode.GROUP_MAX_SIZE_REACHED: "The consumer group has reached its max size.",
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL: ("The group member's supported protocols are incompatible with those of "
                                            "existing members or first group member tried to join with empty protocol "
                                            "type or empty protocol list."),
    ErrorCode.INVALID_SESSION_TIMEOUT: ("The session timeout is not within the range allowed by the broker (as "
                                        "configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."),
    ErrorCode.FENCED_INSTANCE_ID: ("The broker rejected this static consumer since another consumer with the same "
                                   "group.instance.id has registered with a different member.id."),
}


def error_from_java_message(text: str) -> Optional[ErrorCode]:
    text = text.strip()
    for code, message in JAVA_ERROR_MESSAGES.items():
        if text == message:
            return code
    return None


#: librdkafka's ``rd_kafka_err2str`` of broker errors that concern a group (src/rdkafka.c).
LIBRDKAFKA_ERRORS: dict[str, ErrorCode] = {
    "(no error)": ErrorCode.NONE,
    "Success": ErrorCode.NONE,
    "Broker: Request timed out": ErrorCode.REQUEST_TIMED_OUT,
    "Broker: Coordinator load in progress": ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    "Broker: Coordinator not available": ErrorCode.COORDINATOR_NOT_AVAILABLE,
    "Broker: Not coordinator": ErrorCode.NOT_COORDINATOR,
    "Broker: Specified group generation id is not valid": ErrorCode.ILLEGAL_GENERATION,
    "Broker: Inconsistent group protocol": ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    "Broker: Invalid group.id": ErrorCode.INVALID_GROUP_ID,
    "Broker: Unknown member": ErrorCode.UNKNOWN_MEMBER_ID,
    "Broker: Invalid session timeout": ErrorCode.INVALID_SESSION_TIMEOUT,
    "Broker: Group rebalance in progress": ErrorCode.REBALANCE_IN_PROGRESS,
    "Broker: Group authorization failed": ErrorCode.GROUP_AUTHORIZATION_FAILED,
    "Broker: API version not supported": ErrorCode.UNSUPPORTED_VERSION,
    "Broker: Group member needs a valid member ID": ErrorCode.MEMBER_ID_REQUIRED,
    "Broker: Consumer group has reached maximum size": ErrorCode.GROUP_MAX_SIZE_REACHED,
    "Broker: Static consumer fenced by other consumer with same group.instance.id": ErrorCode.FENCED_INSTANCE_ID,
}


def error_from_librdkafka(text: str) -> Optional[ErrorCode]:
    """The broker error code of a librdkafka error text; None for a local error (``Local: ...``)."""
    return LIBRDKAFKA_ERRORS.get(text.strip())
