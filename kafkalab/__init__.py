"""kafkalab: Apache Kafka's classic consumer-group protocol, faithful, deterministic and readable.

The core (:class:`Coordinator`, :mod:`kafkalab.messages`, :mod:`kafkalab.state`) is pure: no
sockets, threads or clocks.  :mod:`kafkalab.sim` runs simulated Kafka consumers against it on a
virtual clock; the course notebooks draw what happened from its trace.
"""

from .config import CoordinatorConfig
from .coordinator import Coordinator, GroupLog, Reply
from .errors import ConfigError, ErrorCode, IllegalTransition
from .state import GroupState, Trigger, TRANSITIONS

__all__ = [
    "Coordinator", "CoordinatorConfig", "GroupLog", "Reply",
    "ErrorCode", "ConfigError", "IllegalTransition",
    "GroupState", "Trigger", "TRANSITIONS",
]
