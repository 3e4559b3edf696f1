"""The simulated consumer's configuration: Kafka's consumer configs with Kafka's defaults.

Config keys are Kafka's (``session.timeout.ms`` becomes ``session_timeout_ms``); the checks are the
ones the Java client makes when it is constructed (``GroupRebalanceConfig``, ``ConsumerConfig``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union


@dataclass(frozen=True)
class ConsumerConfig:
    """Kafka consumer configs (``session.timeout.ms`` -> ``session_timeout_ms``), Kafka's defaults.

    ``processing_ms`` is not a Kafka config: it is how long the application takes to process
    what one ``poll()`` returned, which is what ``max.poll.interval.ms`` guards against.  It may
    be a number or a function ``f(poll_number) -> ms``.

    With ``enable_auto_commit=False`` the simulated application runs the usual at-least-once
    loop: process the batch, ``commitSync()``, ``poll()`` again.
    """

    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    partition_assignment_strategy: tuple = ("range", "cooperative-sticky")
    group_instance_id: Optional[str] = None
    client_id: Optional[str] = None
    client_rack: Optional[str] = None
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000
    auto_offset_reset: str = "earliest"
    max_poll_records: int = 500
    retry_backoff_ms: int = 100
    request_timeout_ms: int = 30_000
    join_group_version: int = 5
    processing_ms: Union[int, Callable[[int], int]] = 100

    def __post_init__(self) -> None:
        for name in ("session_timeout_ms", "heartbeat_interval_ms", "max_poll_interval_ms",
                     "auto_commit_interval_ms", "max_poll_records", "retry_backoff_ms", "request_timeout_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"consumer config {name} must be a positive int of ms, got {value!r}")
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            # Kafka's GroupRebalanceConfig rule.
            raise ValueError(
                f"heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be lower than "
                f"session_timeout_ms ({self.session_timeout_ms})"
            )
        if isinstance(self.partition_assignment_strategy, (str, bytes)) or not self.partition_assignment_strategy:
            object.__setattr__(self, "partition_assignment_strategy",
                               (self.partition_assignment_strategy,) if self.partition_assignment_strategy else ())
        if not self.partition_assignment_strategy:
            raise ValueError("partition_assignment_strategy needs at least one assignor")
        object.__setattr__(self, "partition_assignment_strategy", tuple(self.partition_assignment_strategy))
        if self.auto_offset_reset not in ("earliest", "latest"):
            raise ValueError(f"auto_offset_reset must be 'earliest' or 'latest', got {self.auto_offset_reset!r}")
        if not (0 <= self.join_group_version <= 9):
            raise ValueError(f"join_group_version must be in 0..9, got {self.join_group_version}")
        if not callable(self.processing_ms) and (
                isinstance(self.processing_ms, bool) or not isinstance(self.processing_ms, int) or self.processing_ms < 0):
            raise ValueError(f"processing_ms must be a non-negative int or a function, got {self.processing_ms!r}")
