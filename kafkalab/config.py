"""Broker-side configuration of the classic group coordinator, with Kafka's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .errors import ConfigError
from .modern.config import ConsumerGroupConfig

INT32_MAX = 2_147_483_647

#: Kafka's ``CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS``: an internal constant, not a config.
NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000


@dataclass(frozen=True)
class CoordinatorConfig:
    """Kafka's broker configs of the group coordinator (``group.min.session.timeout.ms`` becomes
    ``group_min_session_timeout_ms``), with Kafka's defaults.  ``consumer`` holds the
    ``group.consumer.*`` configs of consumer groups (:class:`~kafkalab.modern.ConsumerGroupConfig`,
    Kafka's defaults too), e.g.
    ``CoordinatorConfig(consumer=ConsumerGroupConfig(group_consumer_session_timeout_ms=50_000))``.

    Raises:
        ConfigError: a value is not an int or is outside its allowed range; the message names
            the field and the range.
    """

    group_min_session_timeout_ms: int = 6_000
    group_max_session_timeout_ms: int = 1_800_000
    group_initial_rebalance_delay_ms: int = 3_000
    group_max_size: int = INT32_MAX
    offsets_topic_num_partitions: int = 50
    offsets_retention_minutes: int = 10_080
    offsets_retention_check_interval_ms: int = 600_000
    offset_metadata_max_bytes: int = 4_096
    #: Not a Kafka config: Kafka hard-codes 5 minutes. Exposed so a lesson can shorten it.
    new_member_join_timeout_ms: int = NEW_MEMBER_JOIN_TIMEOUT_MS
    #: The ``group.consumer.*`` configs (and ``group.coordinator.rebalance.protocols``).
    consumer: ConsumerGroupConfig = field(default_factory=ConsumerGroupConfig)

    _RANGES = {
        "group_min_session_timeout_ms": (0, INT32_MAX),
        "group_max_session_timeout_ms": (0, INT32_MAX),
        "group_initial_rebalance_delay_ms": (0, INT32_MAX),
        "group_max_size": (1, INT32_MAX),
        "offsets_topic_num_partitions": (1, INT32_MAX),
        "offsets_retention_minutes": (1, INT32_MAX),
        "offsets_retention_check_interval_ms": (1, INT32_MAX),
        "offset_metadata_max_bytes": (0, INT32_MAX),
        "new_member_join_timeout_ms": (1, INT32_MAX),
    }

    def __post_init__(self) -> None:
        if not isinstance(self.consumer, ConsumerGroupConfig):
            raise ConfigError(f"CoordinatorConfig.consumer must be a kafkalab.modern.ConsumerGroupConfig, "
                              f"got {type(self.consumer).__name__}")
        for f in fields(self):
            if f.name == "consumer":
                continue
            value = getattr(self, f.name)
            lo, hi = self._RANGES[f.name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(
                    f"CoordinatorConfig.{f.name} must be an int in [{lo}, {hi}], got {value!r}"
                )
            if not lo <= value <= hi:
                raise ConfigError(
                    f"CoordinatorConfig.{f.name}={value} is out of range; allowed: {lo}..{hi}"
                )
        if self.group_min_session_timeout_ms > self.group_max_session_timeout_ms:
            raise ConfigError(
                "CoordinatorConfig.group_min_session_timeout_ms "
                f"({self.group_min_session_timeout_ms}) must not exceed "
                f"group_max_session_timeout_ms ({self.group_max_session_timeout_ms})"
            )
