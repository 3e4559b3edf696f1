"""Broker and per-group configuration of consumer groups (``group.consumer.*``), with Kafka's
defaults and bounds.

How it works
------------
:class:`ConsumerGroupConfig` holds the broker configs of Kafka's ``GroupCoordinatorConfig`` that the
consumer protocol reads (``group.consumer.session.timeout.ms`` becomes
``group_consumer_session_timeout_ms``) and checks them as Kafka's constructor does (each value
``atLeast(1)``, min <= default <= max, heartbeat interval < session timeout).
:class:`GroupConfig` is Kafka's dynamic per-group override (``consumer.session.timeout.ms`` and
``consumer.heartbeat.interval.ms`` on a GROUP config resource), validated against the broker's
min/max as ``GroupConfig.validate`` does; ``ConsumerGroupManager.set_group_config`` installs one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Optional

from ..errors import ConfigError

__all__ = ["ConsumerGroupConfig", "GroupConfig", "MIGRATION_POLICIES", "REGEX_BATCH_REFRESH_INTERVAL_MS"]

INT32_MAX = 2_147_483_647

#: Values of ``group.consumer.migration.policy`` (Kafka's ``ConsumerGroupMigrationPolicy``).
MIGRATION_POLICIES = ("bidirectional", "upgrade", "downgrade", "disabled")

#: Kafka's ``GroupMetadataManager.REGEX_BATCH_REFRESH_INTERVAL_MS``: regular expressions are
#: resolved again at most every 10 s (a constant, not a config).
REGEX_BATCH_REFRESH_INTERVAL_MS = 10_000


def _check_int(owner: str, name: str, value: Any, lo: int = 1, hi: int = INT32_MAX) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{owner}.{name} must be an int in [{lo}, {hi}], got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{owner}.{name}={value} is out of range; allowed: {lo}..{hi}")


@dataclass(frozen=True)
class ConsumerGroupConfig:
    """The ``group.consumer.*`` broker configs (and ``group.coordinator.rebalance.protocols``).

    ``group_consumer_assignors`` lists assignor names (``"uniform"``, ``"range"``) or assignor
    objects; the first is the default.  Kafka 4.0 takes class names here (short names came with
    #18832, after the 4.0 branch), kafkalab takes the short names.

    Raises:
        ConfigError: a value is out of Kafka's range, or the min/default/max rules are broken;
            the message names the field.
    """

    group_consumer_session_timeout_ms: int = 45_000
    group_consumer_min_session_timeout_ms: int = 45_000
    group_consumer_max_session_timeout_ms: int = 60_000
    group_consumer_heartbeat_interval_ms: int = 5_000
    group_consumer_min_heartbeat_interval_ms: int = 5_000
    group_consumer_max_heartbeat_interval_ms: int = 15_000
    group_consumer_max_size: int = INT32_MAX
    group_consumer_assignors: tuple[Any, ...] = ("uniform", "range")
    group_consumer_migration_policy: str = "bidirectional"
    group_coordinator_rebalance_protocols: tuple[str, ...] = ("classic", "consumer")

    def __post_init__(self) -> None:
        owner = "ConsumerGroupConfig"
        for f in fields(self):
            if f.type in ("int", int):
                _check_int(owner, f.name, getattr(self, f.name))
        assignors = self.group_consumer_assignors
        if isinstance(assignors, (str, bytes)) or not isinstance(assignors, (tuple, list)) or not assignors:
            raise ConfigError(f"{owner}.group_consumer_assignors must be a non-empty tuple of assignors, "
                              f"got {assignors!r}")
        object.__setattr__(self, "group_consumer_assignors", tuple(assignors))
        policy = self.group_consumer_migration_policy
        if not isinstance(policy, str) or policy.lower() not in MIGRATION_POLICIES:
            raise ConfigError(f"{owner}.group_consumer_migration_policy must be one of "
                              f"{', '.join(MIGRATION_POLICIES)} (any case), got {policy!r}")
        object.__setattr__(self, "group_consumer_migration_policy", policy.lower())
        protocols = self.group_coordinator_rebalance_protocols
        if isinstance(protocols, str) or not all(p in ("classic", "consumer", "share", "streams") for p in protocols) \
                or "classic" not in protocols:
            raise ConfigError(f"{owner}.group_coordinator_rebalance_protocols must list 'classic' and may list "
                              f"'consumer', got {protocols!r}")
        object.__setattr__(self, "group_coordinator_rebalance_protocols", tuple(protocols))
        # GroupCoordinatorConfig's require(...) checks, in Kafka's order and with its wording.
        rules = [
            (self.group_consumer_max_heartbeat_interval_ms >= self.group_consumer_min_heartbeat_interval_ms,
             "group_consumer_max_heartbeat_interval_ms must be greater than or equal to "
             "group_consumer_min_heartbeat_interval_ms"),
            (self.group_consumer_heartbeat_interval_ms >= self.group_consumer_min_heartbeat_interval_ms,
             "group_consumer_heartbeat_interval_ms must be greater than or equal to "
             "group_consumer_min_heartbeat_interval_ms"),
            (self.group_consumer_heartbeat_interval_ms <= self.group_consumer_max_heartbeat_interval_ms,
             "group_consumer_heartbeat_interval_ms must be less than or equal to "
             "group_consumer_max_heartbeat_interval_ms"),
            (self.group_consumer_max_session_timeout_ms >= self.group_consumer_min_session_timeout_ms,
             "group_consumer_max_session_timeout_ms must be greater than or equal to "
             "group_consumer_min_session_timeout_ms"),
            (self.group_consumer_session_timeout_ms >= self.group_consumer_min_session_timeout_ms,
             "group_consumer_session_timeout_ms must be greater than or equal to "
             "group_consumer_min_session_timeout_ms"),
            (self.group_consumer_session_timeout_ms <= self.group_consumer_max_session_timeout_ms,
             "group_consumer_session_timeout_ms must be less than or equal to "
             "group_consumer_max_session_timeout_ms"),
            (self.group_consumer_heartbeat_interval_ms < self.group_consumer_session_timeout_ms,
             "group_consumer_heartbeat_interval_ms must be less than group_consumer_session_timeout_ms"),
        ]
        for ok, message in rules:
            if not ok:
                raise ConfigError(f"{owner}: {message}")

    @property
    def consumer_protocol_enabled(self) -> bool:
        """Whether ``consumer`` is in ``group.coordinator.rebalance.protocols`` (else CGHB and
        ConsumerGroupDescribe answer UNSUPPORTED_VERSION, as ``KafkaApis`` does)."""
        return "consumer" in self.group_coordinator_rebalance_protocols


@dataclass(frozen=True)
class GroupConfig:
    """Kafka's dynamic per-group configs; ``None`` = use the broker's value.

    Use :meth:`validated` to check it against a broker config.
    """

    consumer_session_timeout_ms: Optional[int] = None
    consumer_heartbeat_interval_ms: Optional[int] = None

    def validated(self, broker: ConsumerGroupConfig) -> "GroupConfig":
        """Check the overrides as Kafka's ``GroupConfig.validate`` does.

        Returns:
            ``self``.

        Raises:
            ConfigError: a value is outside the broker's min/max, or the session timeout is not
                greater than the heartbeat interval.
        """
        owner = "GroupConfig"
        session = self.consumer_session_timeout_ms
        interval = self.consumer_heartbeat_interval_ms
        if session is not None:
            _check_int(owner, "consumer_session_timeout_ms", session,
                       broker.group_consumer_min_session_timeout_ms, broker.group_consumer_max_session_timeout_ms)
        if interval is not None:
            _check_int(owner, "consumer_heartbeat_interval_ms", interval,
                       broker.group_consumer_min_heartbeat_interval_ms, broker.group_consumer_max_heartbeat_interval_ms)
        s = session if session is not None else broker.group_consumer_session_timeout_ms
        i = interval if interval is not None else broker.group_consumer_heartbeat_interval_ms
        if s <= i:
            raise ConfigError(f"{owner}: consumer_session_timeout_ms ({s}) must be greater than "
                              f"consumer_heartbeat_interval_ms ({i})")
        return self
