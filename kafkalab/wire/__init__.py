"""Kafka's wire protocol over kafkalab's coordinator: real Kafka clients against the same core.

* :mod:`kafkalab.wire.codec` -- bytes <-> requests and responses, sans-IO (built on kio);
* :mod:`kafkalab.wire.records` -- record batches as a broker stores them (header patching, checks);
* :mod:`kafkalab.wire.topics` -- topics and their partition logs, in memory;
* :mod:`kafkalab.wire.broker` -- :class:`WireCluster`, the brokers' logic, sans-IO: topics,
  ApiVersions, Metadata, and every group request handed to a :class:`~kafkalab.Coordinator` of the
  core's :class:`~kafkalab.brokers.Brokers` (which also moves a group's coordinator between brokers);
* :mod:`kafkalab.wire.data` -- its partition data plane: Produce, Fetch and its waits, ListOffsets,
  InitProducerId;
* :mod:`kafkalab.wire.admin` -- its controller: CreateTopics, CreatePartitions, DeleteTopics;
* :mod:`kafkalab.wire.server` -- :class:`Server`, the asyncio adapter (sockets, clock, timer).

``kafkalab serve`` runs a :class:`Server` from the shell; in Python::

    from kafkalab.wire import Server
    with Server(group_initial_rebalance_delay_ms=0, topics={"t": 6}) as server:
        server.bootstrap_servers
"""

from __future__ import annotations

from .broker import Origin, WireCluster
from .codec import API_VERSIONS, Codec, Malformed, RequestHeader
from .server import DEFAULT_PORT, Server

__all__ = ["Server", "WireCluster", "Codec", "RequestHeader", "Malformed", "Origin", "API_VERSIONS", "DEFAULT_PORT"]
