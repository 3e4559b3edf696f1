"""The consumer protocol's timers: typed keys for kafkalab's keyed timer table.

How it works
------------
Kafka's coordinator timer is keyed by strings (``"session-timeout-<group>-<member>"``,
``"rebalance-timeout-<group>-<member>"``) and its executor by ``"<group>-regex"``.  kafkalab keys
timers by tuples whose first item is a :class:`ConsumerTimer` (a ``str`` enum, so the key still
compares equal to the plain string):

* ``(SESSION_TIMEOUT, group_id, member_id)`` -- rescheduled by each successful heartbeat; fences
  the member when it fires;
* ``(REBALANCE_TIMEOUT, group_id, member_id)`` with the member epoch as payload -- scheduled when
  the member must revoke; fences it if it is still at that epoch;
* ``(REGEX_REFRESH, group_id)`` with the regexes as payload -- Kafka's asynchronous resolution of
  the group's regular expressions, run when the timer fires;
* ``(CLASSIC_JOIN_TIMEOUT, group_id, member_id)`` and ``(CLASSIC_SYNC_TIMEOUT, group_id,
  member_id)`` -- a classic member inside a consumer group must rejoin (after
  REBALANCE_IN_PROGRESS) or send SyncGroup (after its JoinGroup) within its rebalance timeout, or
  it is fenced (Kafka's ``consumerGroupJoinKey`` / ``consumerGroupSyncKey``).

The manager is given any object with ``schedule(key, deadline, payload)``, ``cancel(key)`` and
``key in timers`` (:class:`Timers`); :class:`kafkalab.timers.TimerTable` is one, shared with the
classic coordinator.  Whoever owns the table calls ``manager.on_timer(key, payload, now)`` for each
due key for which :func:`is_consumer_timer` is true.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Protocol

__all__ = ["ConsumerTimer", "Timers", "session_timeout_key", "rebalance_timeout_key",
           "regex_refresh_key", "classic_join_timeout_key", "classic_sync_timeout_key", "is_consumer_timer"]


class ConsumerTimer(str, Enum):
    """The kinds of consumer-protocol timers (the first item of their keys)."""

    SESSION_TIMEOUT = "consumer-session-timeout"
    REBALANCE_TIMEOUT = "consumer-rebalance-timeout"
    REGEX_REFRESH = "consumer-regex-refresh"
    CLASSIC_JOIN_TIMEOUT = "consumer-classic-join-timeout"
    CLASSIC_SYNC_TIMEOUT = "consumer-classic-sync-timeout"

    def __str__(self) -> str:
        return self.value


class Timers(Protocol):
    """What the manager needs from a timer table (``kafkalab.timers.TimerTable`` fits)."""

    def schedule(self, key: tuple, deadline: int, payload: Any = None) -> Any: ...

    def cancel(self, key: tuple) -> Any: ...

    def __contains__(self, key: tuple) -> bool: ...


def session_timeout_key(group_id: str, member_id: str) -> tuple:
    return (ConsumerTimer.SESSION_TIMEOUT, group_id, member_id)


def rebalance_timeout_key(group_id: str, member_id: str) -> tuple:
    return (ConsumerTimer.REBALANCE_TIMEOUT, group_id, member_id)


def regex_refresh_key(group_id: str) -> tuple:
    return (ConsumerTimer.REGEX_REFRESH, group_id)


def classic_join_timeout_key(group_id: str, member_id: str) -> tuple:
    return (ConsumerTimer.CLASSIC_JOIN_TIMEOUT, group_id, member_id)


def classic_sync_timeout_key(group_id: str, member_id: str) -> tuple:
    return (ConsumerTimer.CLASSIC_SYNC_TIMEOUT, group_id, member_id)


def is_consumer_timer(key: tuple) -> bool:
    """Whether ``key`` belongs to the consumer-group manager."""
    return bool(key) and isinstance(key[0], str) and key[0] in _KINDS


_KINDS = {k.value for k in ConsumerTimer}
