"""kafkalab: Apache Kafka's classic consumer-group protocol, faithful, deterministic and readable.

The core (:class:`Coordinator`, :mod:`kafkalab.messages`, :mod:`kafkalab.classic.state`) is pure: no
sockets, threads or clocks.  :mod:`kafkalab.sim` runs simulated Kafka consumers against it on a
virtual clock; the course notebooks draw what happened from its trace.
"""

from .classic.state import TRANSITIONS, GroupState, Trigger
from .config import CoordinatorConfig
from .coordinator import Coordinator, Reply
from .errors import ConfigError, ErrorCode, IllegalTransition
from .grouplog import GroupLog

__all__ = [
    "Coordinator", "CoordinatorConfig", "GroupLog", "Reply",
    "ErrorCode", "ConfigError", "IllegalTransition",
    "GroupState", "Trigger", "TRANSITIONS",
]
