"""FindCoordinator, request and response: its shapes across versions 0-6 and its error answers.

How it works
------------
A client asks any broker "who coordinates this key?". The broker looks the key up in its metadata
(``KafkaApis.getCoordinator``: hash the key to a partition of an internal topic, answer that
partition's leader) and wraps the answer in the shape of the request's version
(``KafkaApis.handleFindCoordinatorRequest``). This module is the wrapping; the lookup is
:class:`kafkalab.cluster.Cluster`'s, passed in as a function, and
:meth:`kafkalab.cluster.Cluster.handle_find_coordinator` joins the two.

Everything here is pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Callable, Optional

from .errors import ErrorCode
from .messages import FindCoordinatorEntry, FindCoordinatorRequest, FindCoordinatorResponse

__all__ = ["KeyType", "Node", "handle_find_coordinator"]


class KeyType(IntEnum):
    """FindCoordinator ``key_type`` (Kafka's ``FindCoordinatorRequest.CoordinatorType``)."""

    GROUP = 0
    TRANSACTION = 1
    SHARE = 2  # KIP-932, FindCoordinator v6+


_KEY_TYPES = frozenset(int(k) for k in KeyType)

#: ``(node_id, host, port)`` of the coordinator, as the response carries it.
Node = tuple[int, str, int]

# Node.noNode() in Kafka: what an error answer puts in node_id/host/port.
_NO_NODE: Node = (-1, "", -1)

# Errors.message() in Kafka: the exception's default message, or the enum name for NONE (which
# has no exception). This is why a real broker's successful FindCoordinator v1-v3 answer carries
# error_message "NONE".
_ERROR_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.NONE: "NONE",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "The coordinator is not available.",
    ErrorCode.INVALID_REQUEST: (
        "This most likely occurs because of a request being malformed by the client library or "
        "the message was sent to an incompatible broker. See the broker logs for more details."
    ),
}


def handle_find_coordinator(
    request: FindCoordinatorRequest,
    get_coordinator: Callable[[int, str], tuple[ErrorCode, Optional[Node]]],
) -> FindCoordinatorResponse:
    """Answer a FindCoordinator request as ``KafkaApis.handleFindCoordinatorRequest`` does.

    * v0-v3 look up ``request.key`` and answer in the top-level fields. v1+ carry an
      ``error_message``: Kafka's ``Errors.message()``, which is the literal ``"NONE"`` on
      success. An error answer has node id -1, host ``""``, port -1 (``Node.noNode()``).
    * v4+ (KIP-699) look up every key in ``request.coordinator_keys`` and answer one
      :class:`~kafkalab.messages.FindCoordinatorEntry` per key, in request order (duplicates kept).
      Per-key errors carry no message, as in Kafka; only a whole-request failure (an unknown
      key type) fills in the message of every entry, and then nothing is looked up.

    Args:
        request: the request; its ``api_version`` selects the single or batched form.
        get_coordinator: ``KafkaApis.getCoordinator`` for one key: ``(key_type, key)`` to
            ``(error, node)``, ``node`` being ``None`` on an error.

    Returns:
        The response.

    Raises:
        TypeError: ``request`` is not a FindCoordinatorRequest.
        ValueError: the request cannot exist on the wire at its version (``coordinator_keys``
            below v4, ``key`` at v4+, or a ``key_type`` at v0, which has no such field).
    """
    if not isinstance(request, FindCoordinatorRequest):
        raise TypeError(
            f"handle_find_coordinator needs a FindCoordinatorRequest, got {type(request).__name__}"
        )
    version = request.api_version
    if version < 4:
        if request.coordinator_keys:
            raise ValueError(
                f"FindCoordinator v{version} carries one key in `key`; `coordinator_keys` "
                f"exists from v4 (KIP-699)"
            )
        if version == 0 and request.key_type != KeyType.GROUP:
            raise ValueError(
                "FindCoordinator v0 has no key_type field (it always looks up a group); "
                "use v1+ for other key types"
            )
        error, node = get_coordinator(request.key_type, request.key)
        node_id, host, port = node or _NO_NODE
        return FindCoordinatorResponse(
            error_code=error,
            error_message=_ERROR_MESSAGES.get(error) if version >= 1 else None,
            node_id=node_id,
            host=host,
            port=port,
        )

    if request.key:
        raise ValueError(
            f"FindCoordinator v{version} carries its keys in `coordinator_keys`; `key` exists "
            f"only in v0-v3"
        )
    if request.key_type not in _KEY_TYPES:
        # CoordinatorType.forId throws InvalidRequestException: the whole request fails and
        # getErrorResponse gives every key INVALID_REQUEST with the error's message.
        entries = [
            FindCoordinatorEntry(key=k, node_id=_NO_NODE[0], host=_NO_NODE[1], port=_NO_NODE[2],
                                 error_code=ErrorCode.INVALID_REQUEST,
                                 error_message=_ERROR_MESSAGES[ErrorCode.INVALID_REQUEST])
            for k in request.coordinator_keys
        ]
        return FindCoordinatorResponse(coordinators=tuple(entries))
    entries = []
    for key in request.coordinator_keys:
        error, node = get_coordinator(request.key_type, key)
        node_id, host, port = node or _NO_NODE
        entries.append(FindCoordinatorEntry(key=key, node_id=node_id, host=host, port=port, error_code=error))
    return FindCoordinatorResponse(coordinators=tuple(entries))
