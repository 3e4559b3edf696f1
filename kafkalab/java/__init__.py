"""The Java semantics Kafka's results depend on, reproduced in Python.

Several answers of a Kafka cluster are deterministic only *given the Java runtime*: which
``__consumer_offsets`` partition (and so which broker) coordinates a group, the order in which a
consumer group leader's assignor visits members, which protocol wins a tie in the coordinator's
vote, which topics and partitions the KIP-848 uniform assignor visits first. This package is the
one place kafkalab reproduces those pieces of Java, used by :mod:`kafkalab.cluster`, the classic
group's protocol vote, the client-side assignors (:mod:`kafkalab.assignors`) and the server-side
ones (:mod:`kafkalab.modern.assignor`):

* :mod:`kafkalab.java.values` -- ``String.hashCode`` (signed and unsigned), ``String.compareTo``,
  Kafka's ``Utils.abs``, ``TopicPartition.hashCode`` and ``Uuid.hashCode``;
* :mod:`kafkalab.java.hashmap` -- the iteration order of ``java.util.HashMap`` / ``HashSet``,
  however they are built: :class:`HashSet` (``put``/``add``, ``remove``, ``iterator().next()``),
  :func:`hash_map_order` (a ``new HashMap<>()`` filled by ``put``, growing as it fills),
  :func:`hash_set_order` (``new HashSet<>(collection)``, sized for the collection) and
  :class:`TopicPartitionHashSet`.

Everything here is pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from kafkalab.java.hashmap import (
    HashSet,
    TopicPartitionHashSet,
    collection_capacity,
    hash_map_order,
    hash_set_order,
    spread,
    table_size_for,
)
from kafkalab.java.values import (
    INT32_MAX,
    INT32_MIN,
    string_compare_key,
    string_hash_code,
    string_hash_code_unsigned,
    topic_partition_hash_code,
    utils_abs,
    uuid_hash_code,
)

__all__ = [
    "INT32_MIN", "INT32_MAX",
    "string_hash_code", "string_hash_code_unsigned", "utils_abs", "string_compare_key",
    "topic_partition_hash_code", "uuid_hash_code",
    "HashSet", "TopicPartitionHashSet", "hash_map_order", "hash_set_order",
    "spread", "table_size_for", "collection_capacity",
]
