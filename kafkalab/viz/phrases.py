"""Phrases the player's sentences share: what each error code means to a client, counts in words.

Everything here maps enums and numbers to words; nothing reads words back.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode

__all__ = ["sentence", "secs", "code_name", "why_error", "is_ok", "subscriptions_of", "for_members", "refusal",
           "gives"]


def secs(ms: int) -> str:
    return f"{ms / 1000:g} s"


def sentence(*parts: str) -> str:
    """Join ``parts`` into one sentence ending with a full stop."""
    text = "".join(p for p in parts if p).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


_ERROR_WHY: dict[ErrorCode, str] = {
    ErrorCode.MEMBER_ID_REQUIRED: ("since JoinGroup v4 (KIP-394) a new member must first get an id and send JoinGroup "
                           "again, so that a client retrying after a timeout cannot fill the group with unused members"),
    ErrorCode.UNKNOWN_MEMBER_ID: ("the coordinator does not know this member id (it was removed, e.g. its session "
                          "expired), so the client forgets its id and generation and joins as a new member"),
    ErrorCode.ILLEGAL_GENERATION: ("the request names an old generation: the group rebalanced without this member, "
                           "so it must rejoin (a commit from it would be a CommitFailedException)"),
    ErrorCode.REBALANCE_IN_PROGRESS: ("the group is rebalancing, so the member must send JoinGroup again "
                              "(within its rebalance timeout, max.poll.interval.ms)"),
    ErrorCode.FENCED_INSTANCE_ID: ("another process with the same group.instance.id replaced this one (KIP-345), "
                           "so this one is fenced and fails with a fatal error"),
    ErrorCode.COORDINATOR_NOT_AVAILABLE: ("the coordinator cannot serve the group right now (it is inactive, or the "
                                  "group is being unloaded), so the client marks the coordinator unknown and "
                                  "looks it up again with FindCoordinator"),
    ErrorCode.NOT_COORDINATOR: ("the group's __consumer_offsets partition is led by another broker now (coordinator "
                        "failover), so the client marks the coordinator unknown and looks it up again with "
                        "FindCoordinator"),
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS: ("the coordinator is still loading the group from __consumer_offsets, "
                                     "so the client retries after retry.backoff.ms"),
    ErrorCode.GROUP_MAX_SIZE_REACHED: "the group already has group.max.size members, so this one is refused",
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL: ("the member shares no assignor (or protocol type) with the group's "
                                    "members, so it cannot join"),
    ErrorCode.INVALID_SESSION_TIMEOUT: ("its session.timeout.ms is outside the broker's group.min/max.session.timeout.ms, "
                                "so the coordinator refuses it"),
    ErrorCode.UNKNOWN_SERVER_ERROR: "the coordinator failed (e.g. writing to __consumer_offsets failed)",
}


def code_name(code: Any) -> str:
    return code.name if hasattr(code, "name") else str(code)


def why_error(code: Any) -> str:
    """What an error code tells the client to do, or ``""``."""
    return _ERROR_WHY.get(code, "") if code is not None else ""


def is_ok(code: Any) -> bool:
    """An answer without error.  ``None`` (no answer at all) is *not* a success."""
    return code is not None and code == ErrorCode.NONE


def subscriptions_of(n: int) -> str:
    """What the leader's JoinGroup answer carries, with the right number."""
    if n == 1:
        return "only its own subscription (it is the only member)"
    if n == 2:
        return "both members' subscriptions"
    return f"all {n} members' subscriptions"


def for_members(n: int) -> str:
    if n == 1:
        return "its only member (itself)"
    if n == 2:
        return "both members"
    return f"all {n} members"


def refusal(broker: str, code: Any, verb: str = "answers") -> str:
    """Who refused and how: a broker that is not (or no longer) the coordinator is named."""
    if code == ErrorCode.NOT_COORDINATOR:
        return f"{broker} is no longer the group's coordinator and {verb} NOT_COORDINATOR"
    if code == ErrorCode.COORDINATOR_NOT_AVAILABLE:
        return f"{broker} cannot serve the group right now and {verb} COORDINATOR_NOT_AVAILABLE"
    return f"the coordinator {verb} {code_name(code)}"


def gives(n: int) -> str:
    return "it" if n == 1 else "them"
