"""The simulated consumer's configuration: Kafka's consumer configs with Kafka's defaults.

Config keys are Kafka's (``session.timeout.ms`` becomes ``session_timeout_ms``); the checks are the
ones the Java client makes when it is constructed (``GroupRebalanceConfig``, ``ConsumerConfig``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from ..messages import API_VERSIONS

#: The request versions a consumer config chooses, with the API each is for.
VERSION_FIELDS = {
    "join_group_version": "JoinGroup",
    "sync_group_version": "SyncGroup",
    "heartbeat_version": "Heartbeat",
    "leave_group_version": "LeaveGroup",
    "offset_commit_version": "OffsetCommit",
    "offset_fetch_version": "OffsetFetch",
}

#: The first version of each API that carries ``group.instance.id``: the Java client's request builders
#: refuse a static member on older versions (UnsupportedVersionException).
STATIC_MEMBER_MIN_VERSIONS = {"join_group_version": 5, "sync_group_version": 3, "heartbeat_version": 3,
                              "offset_commit_version": 7}


#: The configs Kafka's ``ConsumerConfig`` refuses with ``group.protocol=consumer`` (the broker owns
#: the session, the heartbeat interval and the assignment), in Kafka's order.
CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS = ("partition_assignment_strategy", "heartbeat_interval_ms", "session_timeout_ms")


def check_group_protocol_configs(originals: dict) -> None:
    """Refuse, as Kafka's ``ConsumerConfig`` does, the configs that cannot be set with
    ``group.protocol=consumer`` (``originals``: the configs the user gave, by field name).

    Raises:
        ValueError: Kafka's ConfigException message, e.g. ``session.timeout.ms cannot be set when
            group.protocol=CONSUMER``.
    """
    protocol = originals.get("group_protocol", "classic")
    if not isinstance(protocol, str) or protocol.lower() != "consumer":
        return
    given = [name for name in CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS
             if originals.get(name) is not None and str(originals[name]).strip()]
    if given:
        raise ValueError(", ".join(n.replace("_", ".") for n in given) + " cannot be set when group.protocol=CONSUMER"
                         " (the broker decides them: set group.consumer.session.timeout.ms and friends on the "
                         "coordinator, and group_remote_assignor to pick its assignor)")


@dataclass(frozen=True)
class ConsumerConfig:
    """Kafka consumer configs (``session.timeout.ms`` -> ``session_timeout_ms``), Kafka's defaults.

    ``processing_ms`` is not a Kafka config: it is how long the application takes to process
    what one ``poll()`` returned, which is what ``max.poll.interval.ms`` guards against.  It may
    be a number or a function ``f(poll_number) -> ms``.

    With ``enable_auto_commit=False`` the simulated application runs the usual at-least-once
    loop: process the batch, ``commitSync()``, ``poll()`` again.

    The ``*_version`` fields are not configs either: they are the request versions the client
    sends, which a Java client negotiates with the broker (``ApiVersions``).  Their defaults are
    what a Kafka 4.x Java consumer and broker agree on; set older ones to simulate an older client.

    ``poll_timeout_ms`` is not a config either: it is the ``Duration`` the application passes to
    ``poll()``, which only the metrics see (a wait in ``poll()`` is that many empty polls;
    :mod:`.metrics`).  ``metrics_num_samples`` and ``metrics_sample_window_ms`` are Kafka's
    ``metrics.num.samples`` and ``metrics.sample.window.ms``.

    ``group_protocol`` is Kafka's ``group.protocol``: ``"classic"`` (default) or ``"consumer"``
    (KIP-848, :mod:`.async_client`); ``group_remote_assignor`` (``group.remote.assignor``) names the
    broker's assignor the member asks for, and is refused with the classic protocol.
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
    retry_backoff_max_ms: int = 1_000
    request_timeout_ms: int = 30_000
    metadata_max_age_ms: int = 300_000
    join_group_version: int = 9
    sync_group_version: int = 5
    heartbeat_version: int = 4
    leave_group_version: int = 5
    offset_commit_version: int = 9
    offset_fetch_version: int = 9
    processing_ms: Union[int, Callable[[int], int]] = 100
    poll_timeout_ms: int = 100
    metrics_num_samples: int = 2
    metrics_sample_window_ms: int = 30_000
    group_protocol: str = "classic"
    group_remote_assignor: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.group_protocol, str) or self.group_protocol.lower() not in ("classic", "consumer"):
            raise ValueError(f"group_protocol must be 'classic' or 'consumer' (Kafka's group.protocol), "
                             f"got {self.group_protocol!r}")
        object.__setattr__(self, "group_protocol", self.group_protocol.lower())
        if self.group_remote_assignor is not None and not isinstance(self.group_remote_assignor, str):
            raise ValueError(f"group_remote_assignor must be an assignor name such as 'uniform' or 'range', "
                             f"got {self.group_remote_assignor!r}")
        if self.group_protocol == "classic" and self.group_remote_assignor:
            # ConsumerConfig.checkGroupRemoteAssignor
            raise ValueError("group.remote.assignor cannot be set when group.protocol=CLASSIC")
        for name in ("session_timeout_ms", "heartbeat_interval_ms", "max_poll_interval_ms",
                     "auto_commit_interval_ms", "max_poll_records", "retry_backoff_ms", "retry_backoff_max_ms",
                     "request_timeout_ms", "metadata_max_age_ms", "poll_timeout_ms", "metrics_num_samples",
                     "metrics_sample_window_ms"):
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
        for name, api in VERSION_FIELDS.items():
            lo, hi = API_VERSIONS[api]
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an int in {lo}..{hi} (the {api} versions kafkalab models), "
                                 f"got {value!r}")
            if self.group_instance_id is not None and value < STATIC_MEMBER_MIN_VERSIONS.get(name, 0):
                raise ValueError(f"{name}={value} cannot carry group.instance.id (a static member needs {api} "
                                 f"v{STATIC_MEMBER_MIN_VERSIONS[name]}+, as the Java client's request builder "
                                 "insists); raise the version or drop group_instance_id")
        if not callable(self.processing_ms) and (
                isinstance(self.processing_ms, bool) or not isinstance(self.processing_ms, int) or self.processing_ms < 0):
            raise ValueError(f"processing_ms must be a non-negative int or a function, got {self.processing_ms!r}")
