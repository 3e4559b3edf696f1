"""Simulated Kafka consumers and a deterministic world to run them in (see :mod:`.world`); and
:mod:`.byhand`, a coordinator driven by hand, request by request, as the notebooks do."""

from .async_client import AsyncSimConsumer
from .consumer import COMPLETING_REBALANCE, PREPARING_REBALANCE, STABLE, UNJOINED, ConsumerConfig, SimConsumer
from .events import GroupMembershipOperation
from .world import SimulationError, World

__all__ = ["World", "SimConsumer", "AsyncSimConsumer", "ConsumerConfig", "SimulationError", "GroupMembershipOperation",
           "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE"]
