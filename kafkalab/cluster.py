"""Which broker is a group's coordinator: the FindCoordinator side of a Kafka cluster.

How it works
------------
A classic consumer group does not choose its coordinator. The broker that leads one partition
of the internal ``__consumer_offsets`` topic is the coordinator of every group that hashes to
that partition:

    partition = kafka_abs(java_string_hashcode(group_id)) % offsets.topic.num.partitions

(``GroupCoordinatorService.partitionFor``; the transaction coordinator does the same with
``transactional.id`` over ``__transaction_state``, ``TransactionStateManager.partitionFor``).
The hash is Java's ``String.hashCode()`` over UTF-16 code units, and ``kafka_abs`` is Kafka's
``Utils.abs``, which maps ``Integer.MIN_VALUE`` to 0 where ``Math.abs`` would leave it negative.
Both come from :mod:`kafkalab.java` (``string_hash_code`` and ``utils_abs``); this module names
them ``java_string_hashcode`` and ``kafka_abs``, the names the course uses.

:class:`Cluster` keeps what a broker's metadata cache knows and nothing more: the brokers
(node id, host, port, up or down), whether each internal topic exists yet, each partition's
replicas and current leader, and which ``__consumer_offsets`` partitions their new leader is
still loading. It answers:

* :meth:`Cluster.handle_find_coordinator` -- a FindCoordinator request of any version 0-6, as
  ``KafkaApis.getCoordinator`` looks keys up (the response's shapes are in
  :mod:`kafkalab.find_coordinator`);
* :meth:`Cluster.is_coordinator` -- whether a broker may serve a group's requests (the gate the
  wire and simulation layers put in front of JoinGroup, SyncGroup, Heartbeat, ...);
* failover: :meth:`Cluster.fail_broker`, :meth:`Cluster.restore_broker`,
  :meth:`Cluster.move_leader` and :meth:`Cluster.elect_preferred_leaders` each return the
  ``__consumer_offsets`` partitions whose leader changed, as :class:`LeaderChange` records, so
  the caller can load those partitions' groups on the new coordinator and unload them from the
  old one (Kafka's ``onElection`` / ``onResignation``).

Replica placement and leader election (deterministic, documented simplifications)
--------------------------------------------------------------------------------
* Brokers are ordered by node id: ``b[0] < b[1] < ... < b[n-1]``. Partition ``p`` of an internal
  topic has replicas ``[b[(p + i) % n] for i in range(replication_factor)]``; its *preferred*
  leader is the first replica, so leaders start out round-robin over the brokers by node id.
  (Kafka's ``assignReplicasToBrokers`` starts at a random broker; we start at ``b[0]``.)
* Every replica is assumed in sync. When a leader fails, the new leader is the **first live
  replica in assignment order**, which is the rule of the controller's
  ``offlinePartitionLeaderElection`` (first assigned replica that is alive and in the ISR).
  With the default replication factor of ``min(3, number of brokers)`` on three brokers this
  is simply "the next live broker by node id, wrapping around".
* A partition with no live replica has no leader (Kafka's ``NO_LEADER_ID``). When a replica
  comes back, a leaderless partition elects it. (Kafka with unclean election disabled would
  wait for the *last* ISR member; with every replica in sync the difference does not show.)
* Restoring a broker does not take leadership back from a live leader: that is the preferred
  leader election which Kafka runs every ``leader.imbalance.check.interval.seconds`` (300 s)
  when ``auto.leader.rebalance.enable`` is true. Call :meth:`Cluster.elect_preferred_leaders`
  to model it.
* A topic auto-created by FindCoordinator gets the same placement over all registered brokers,
  and each partition's first live replica as its leader. Kafka would refuse to create the offsets
  topic with fewer live brokers than ``offsets.topic.replication.factor``; we do not model that.

Loading
-------
A broker that becomes leader of an offsets partition first replays it to rebuild the groups
(``CoordinatorRuntime`` ``scheduleLoadOperation``); until that finishes, group requests to it
answer COORDINATOR_LOAD_IN_PROGRESS. FindCoordinator does not care: it already names the new
leader. With ``load_on_leader_change=True`` every leader change puts the partition in the
loading set until :meth:`Cluster.finish_loading`; :meth:`Cluster.begin_loading` does it by hand.

Everything here is pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Optional, Union

from .errors import ErrorCode
from .java import INT32_MAX, INT32_MIN
from .java import string_hash_code as java_string_hashcode
from .java import utils_abs as kafka_abs
from .find_coordinator import KeyType, handle_find_coordinator
from .messages import FindCoordinatorRequest, FindCoordinatorResponse

__all__ = [
    "OFFSETS_TOPIC", "TRANSACTION_STATE_TOPIC", "INT32_MIN", "INT32_MAX",
    "java_string_hashcode", "kafka_abs", "partition_for_group",
    "KeyType", "Broker", "LeaderChange", "Cluster",
]

#: Kafka's internal topic holding group metadata and committed offsets (``GROUP_METADATA_TOPIC_NAME``).
OFFSETS_TOPIC = "__consumer_offsets"
#: Kafka's internal topic holding transaction state (``TRANSACTION_STATE_TOPIC_NAME``).
TRANSACTION_STATE_TOPIC = "__transaction_state"

# ---------------------------------------------------------------- the partition

def _check_num_partitions(num_partitions: object, name: str = "num_partitions") -> int:
    if isinstance(num_partitions, bool) or not isinstance(num_partitions, int):
        raise TypeError(f"{name} must be an int, got {type(num_partitions).__name__} {num_partitions!r}")
    if not 1 <= num_partitions <= INT32_MAX:
        raise ValueError(f"{name} must be between 1 and {INT32_MAX}, got {num_partitions}")
    return num_partitions


def partition_for_group(group_id: str, num_partitions: int = 50) -> int:
    """The ``__consumer_offsets`` partition that owns ``group_id`` (``GroupCoordinatorService.partitionFor``).

    Group ids are not validated here, as in Kafka: the empty id hashes to 0, partition 0.

    Args:
        group_id: the group id (also works for a ``transactional.id`` over ``__transaction_state``).
        num_partitions: the topic's partition count (``offsets.topic.num.partitions``, default 50).

    Returns:
        ``kafka_abs(java_string_hashcode(group_id)) % num_partitions``.

    Raises:
        TypeError: ``group_id`` is not a str, or ``num_partitions`` is not an int.
        ValueError: ``num_partitions`` is not in ``1..2147483647``.
    """
    if not isinstance(group_id, str):
        raise TypeError(f"group_id must be a str, got {type(group_id).__name__} {group_id!r}")
    _check_num_partitions(num_partitions)
    return kafka_abs(java_string_hashcode(group_id)) % num_partitions


# ---------------------------------------------------------------- cluster records

@dataclass(frozen=True)
class Broker:
    """A broker as clients see it in metadata, plus whether it is currently up."""

    node_id: int
    host: str
    port: int
    up: bool = True

    def __post_init__(self) -> None:
        for name, tp in (("node_id", int), ("port", int)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, tp):
                raise TypeError(f"Broker.{name} must be an int, got {type(value).__name__} {value!r}")
        if not isinstance(self.host, str):
            raise TypeError(f"Broker.host must be a str, got {type(self.host).__name__} {self.host!r}")
        if not isinstance(self.up, bool):
            raise TypeError(f"Broker.up must be a bool, got {type(self.up).__name__} {self.up!r}")
        if not 0 <= self.node_id <= INT32_MAX:
            raise ValueError(f"Broker.node_id must be between 0 and {INT32_MAX}, got {self.node_id}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"Broker.port must be between 0 and 65535, got {self.port}")


@dataclass(frozen=True)
class LeaderChange:
    """One ``__consumer_offsets`` partition whose leader (and so whose groups' coordinator) changed.

    ``old`` should unload the partition's groups (Kafka's ``onResignation``: they go Dead there
    and its members get NOT_COORDINATOR); ``new`` should load them (``onElection``). ``None``
    means "no leader": the partition had none before, or has none now.
    """

    partition: int
    old: Optional[int]
    new: Optional[int]


@dataclass
class _InternalTopic:
    """An internal topic's placement: per partition, its replicas and its current leader."""

    name: str
    num_partitions: int
    exists: bool = False
    replicas: tuple[tuple[int, ...], ...] = ()
    leaders: list[Optional[int]] = field(default_factory=list)
    leader_epochs: list[int] = field(default_factory=list)


# ---------------------------------------------------------------- the cluster

class Cluster:
    """Brokers and the internal topics that decide which broker coordinates which group.

    Args:
        brokers: a broker count ``n`` (brokers ``0..n-1`` on ``localhost:9092+i``) or the
            :class:`Broker` records themselves (node ids must be unique; order does not matter).
        offsets_topic_num_partitions: ``offsets.topic.num.partitions`` (default 50). Fixed for the
            life of the cluster, as Kafka requires it never to change once the topic exists.
        transaction_state_num_partitions: ``transaction.state.log.num.partitions`` (default 50).
        replication_factor: replicas per internal-topic partition; default
            ``min(3, number of brokers)`` (Kafka's ``offsets.topic.replication.factor`` is 3).
        offsets_topic_exists: whether ``__consumer_offsets`` exists already. On a brand-new Kafka
            cluster it does not: the first FindCoordinator for a group answers
            COORDINATOR_NOT_AVAILABLE and creates it.
        transaction_state_exists: the same for ``__transaction_state``.
        load_on_leader_change: when true, every ``__consumer_offsets`` leader change puts the
            partition in the loading set (COORDINATOR_LOAD_IN_PROGRESS from
            :meth:`is_coordinator`) until :meth:`finish_loading`; when false, loading is instant.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: no brokers, duplicate node ids, or a count/factor out of range.
    """

    def __init__(
        self,
        brokers: Union[int, Iterable[Broker]] = 3,
        *,
        offsets_topic_num_partitions: int = 50,
        transaction_state_num_partitions: int = 50,
        replication_factor: Optional[int] = None,
        offsets_topic_exists: bool = True,
        transaction_state_exists: bool = True,
        load_on_leader_change: bool = False,
    ) -> None:
        if isinstance(brokers, bool):
            raise TypeError("brokers must be a broker count or an iterable of Broker, got a bool")
        if isinstance(brokers, int):
            if brokers < 1:
                raise ValueError(f"a cluster needs at least 1 broker, got brokers={brokers}")
            records = [Broker(i, "localhost", 9092 + i) for i in range(brokers)]
        else:
            records = list(brokers)
            for b in records:
                if not isinstance(b, Broker):
                    raise TypeError(f"brokers must hold Broker records, got {type(b).__name__} {b!r}")
            if not records:
                raise ValueError("a cluster needs at least 1 broker, got none")
        ids = [b.node_id for b in records]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"broker node ids must be unique, duplicated: {duplicates}")
        self._brokers: dict[int, Broker] = {b.node_id: b for b in sorted(records, key=lambda b: b.node_id)}

        n = len(self._brokers)
        if replication_factor is None:
            replication_factor = min(3, n)
        if isinstance(replication_factor, bool) or not isinstance(replication_factor, int):
            raise TypeError(f"replication_factor must be an int, got {replication_factor!r}")
        if not 1 <= replication_factor <= n:
            raise ValueError(
                f"replication_factor must be between 1 and the number of brokers ({n}), "
                f"got {replication_factor}"
            )
        for name, flag in (("offsets_topic_exists", offsets_topic_exists),
                           ("transaction_state_exists", transaction_state_exists),
                           ("load_on_leader_change", load_on_leader_change)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__} {flag!r}")
        self.replication_factor = replication_factor
        self.load_on_leader_change = load_on_leader_change
        self._offsets = _InternalTopic(
            OFFSETS_TOPIC,
            _check_num_partitions(offsets_topic_num_partitions, "offsets_topic_num_partitions"),
        )
        self._txn = _InternalTopic(
            TRANSACTION_STATE_TOPIC,
            _check_num_partitions(transaction_state_num_partitions, "transaction_state_num_partitions"),
        )
        self._loading: set[int] = set()
        if offsets_topic_exists:
            self._create(self._offsets)
        if transaction_state_exists:
            self._create(self._txn)

    # ------------------------------------------------------------ read-only views

    @property
    def brokers(self) -> tuple[Broker, ...]:
        """Every broker, ordered by node id (down ones included, with ``up=False``)."""
        return tuple(self._brokers.values())

    @property
    def live_brokers(self) -> tuple[Broker, ...]:
        """The brokers that are up, ordered by node id."""
        return tuple(b for b in self._brokers.values() if b.up)

    def broker(self, node_id: int) -> Broker:
        """The broker with ``node_id``.

        Raises:
            ValueError: no broker has that node id (the message lists the known ones).
        """
        if isinstance(node_id, bool) or not isinstance(node_id, int):
            raise TypeError(f"node_id must be an int, got {type(node_id).__name__} {node_id!r}")
        try:
            return self._brokers[node_id]
        except KeyError:
            raise ValueError(
                f"unknown broker id {node_id}; the cluster's brokers are {sorted(self._brokers)}"
            ) from None

    @property
    def offsets_topic_num_partitions(self) -> int:
        """``offsets.topic.num.partitions`` of this cluster."""
        return self._offsets.num_partitions

    @property
    def transaction_state_num_partitions(self) -> int:
        """``transaction.state.log.num.partitions`` of this cluster."""
        return self._txn.num_partitions

    @property
    def offsets_topic_exists(self) -> bool:
        """Whether ``__consumer_offsets`` has been created."""
        return self._offsets.exists

    @property
    def transaction_state_exists(self) -> bool:
        """Whether ``__transaction_state`` has been created."""
        return self._txn.exists

    @property
    def loading(self) -> frozenset[int]:
        """The ``__consumer_offsets`` partitions whose leader is still loading them."""
        return frozenset(self._loading)

    @property
    def leaders(self) -> tuple[Optional[int], ...]:
        """The leader's node id of each ``__consumer_offsets`` partition (``None``: no leader).

        Empty while the topic does not exist.
        """
        return tuple(self._offsets.leaders) if self._offsets.exists else ()

    def partition_for(self, group_id: str) -> int:
        """The ``__consumer_offsets`` partition of ``group_id`` with this cluster's partition count."""
        return partition_for_group(group_id, self._offsets.num_partitions)

    def leader_of(self, partition: int) -> Optional[int]:
        """The node id leading ``__consumer_offsets`` partition ``partition``, or ``None``.

        Raises:
            ValueError: the topic does not exist yet, or ``partition`` is out of range.
        """
        self._check_partition(partition)
        return self._offsets.leaders[partition]

    def leader_epoch_of(self, partition: int) -> int:
        """The leader epoch of ``__consumer_offsets`` partition ``partition``: 0 when the topic was
        created, one more with every leader change (what Metadata answers as ``leader_epoch``).

        Raises:
            ValueError: the topic does not exist yet, or ``partition`` is out of range.
        """
        self._check_partition(partition)
        return self._offsets.leader_epochs[partition]

    def replicas_of(self, partition: int) -> tuple[int, ...]:
        """The replicas (node ids, preferred leader first) of ``__consumer_offsets`` partition ``partition``.

        Raises:
            ValueError: the topic does not exist yet, or ``partition`` is out of range.
        """
        self._check_partition(partition)
        return self._offsets.replicas[partition]

    def partitions_led_by(self, node_id: int) -> tuple[int, ...]:
        """The ``__consumer_offsets`` partitions that broker ``node_id`` leads, ascending.

        Raises:
            ValueError: unknown broker id.
        """
        self.broker(node_id)
        if not self._offsets.exists:
            return ()
        return tuple(p for p, leader in enumerate(self._offsets.leaders) if leader == node_id)

    def coordinator_for(self, group_id: str) -> Optional[Broker]:
        """The broker coordinating ``group_id`` now, or ``None`` (topic missing or partition leaderless).

        A pure query: unlike FindCoordinator it never creates the offsets topic. A broker that is
        still loading the partition is returned all the same (FindCoordinator names it too).

        Raises:
            TypeError: ``group_id`` is not a str.
        """
        return self._leader_broker(self._offsets, group_id)

    def transaction_coordinator_for(self, transactional_id: str) -> Optional[Broker]:
        """The broker leading the ``__transaction_state`` partition of ``transactional_id``, or ``None``."""
        return self._leader_broker(self._txn, transactional_id)

    def __repr__(self) -> str:
        up = [b.node_id for b in self._brokers.values() if b.up]
        down = [b.node_id for b in self._brokers.values() if not b.up]
        return (
            f"Cluster(brokers up={up} down={down}, {OFFSETS_TOPIC}="
            f"{self._offsets.num_partitions if self._offsets.exists else 'missing'}, "
            f"loading={sorted(self._loading)})"
        )

    # ------------------------------------------------------------ the request gate

    def is_coordinator(self, broker_id: int, group_id: str) -> ErrorCode:
        """Whether broker ``broker_id`` may serve requests of ``group_id`` right now.

        The error the broker's group coordinator would answer a JoinGroup/SyncGroup/Heartbeat/...
        with before looking at the group:

        * COORDINATOR_NOT_AVAILABLE -- the broker is down (its coordinator is not active);
        * NOT_COORDINATOR -- it does not lead the group's partition (or the topic does not exist
          yet); the client rediscovers the coordinator with FindCoordinator;
        * COORDINATOR_LOAD_IN_PROGRESS -- it leads the partition but is still loading it; the
          client retries after a backoff;
        * NONE -- it is the coordinator and ready.

        Args:
            broker_id: node id of the broker receiving the request.
            group_id: the request's group id.

        Returns:
            One of the four codes above.

        Raises:
            ValueError: unknown broker id.
            TypeError: ``group_id`` is not a str.
        """
        broker = self.broker(broker_id)
        partition = self.partition_for(group_id)
        if not broker.up:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        if not self._offsets.exists or self._offsets.leaders[partition] != broker_id:
            return ErrorCode.NOT_COORDINATOR
        if partition in self._loading:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        return ErrorCode.NONE

    # ------------------------------------------------------------ FindCoordinator

    def handle_find_coordinator(self, request: FindCoordinatorRequest) -> FindCoordinatorResponse:
        """Answer a FindCoordinator request of any version 0-6 from this cluster's metadata.

        The response's shape per version is :func:`kafkalab.find_coordinator.handle_find_coordinator`'s;
        each key is looked up as ``KafkaApis.getCoordinator`` does:

        * key type 0 (group) hashes over ``__consumer_offsets``, 1 (transaction) over
          ``__transaction_state``. Key type 2 (share, KIP-932) is INVALID_REQUEST below v6, and
          also at v6 because this model has no share coordinator (Kafka answers the same when
          share groups are disabled). Any other key type is INVALID_REQUEST.
        * If the key's internal topic does not exist: COORDINATOR_NOT_AVAILABLE, and the topic is
          created once the request is answered (Kafka's broker asks the controller to auto-create
          it, so the *next* lookup finds it; later keys of the same batch still see it missing).
        * If the key's partition has no leader: COORDINATOR_NOT_AVAILABLE.

        ACLs are not modelled (GROUP_AUTHORIZATION_FAILED never happens).

        Args:
            request: the request; its ``api_version`` selects the single or batched form.

        Returns:
            The response.

        Raises:
            TypeError: ``request`` is not a FindCoordinatorRequest.
            ValueError: the request cannot exist on the wire at its version (``coordinator_keys``
                below v4, ``key`` at v4+, or a ``key_type`` at v0, which has no such field).
        """
        to_create: list[_InternalTopic] = []
        response = handle_find_coordinator(
            request, lambda key_type, key: self._get_coordinator(key_type, key, to_create))
        for topic in to_create:
            if not topic.exists:
                self._create(topic)
        return response

    def _get_coordinator(
        self, key_type: int, key: str, to_create: list[_InternalTopic]
    ) -> tuple[ErrorCode, Optional[tuple[int, str, int]]]:
        """``KafkaApis.getCoordinator`` for one key (no ACLs)."""
        if key_type == KeyType.SHARE:
            # Below v6: INVALID_REQUEST by rule. At v6: no share coordinator in this model.
            return ErrorCode.INVALID_REQUEST, None
        if key_type == KeyType.GROUP:
            topic = self._offsets
        elif key_type == KeyType.TRANSACTION:
            topic = self._txn
        else:
            return ErrorCode.INVALID_REQUEST, None
        if not topic.exists:
            if topic not in to_create:
                to_create.append(topic)
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, None
        broker = self._leader_broker(topic, key)
        if broker is None:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE, None
        return ErrorCode.NONE, (broker.node_id, broker.host, broker.port)

    # ------------------------------------------------------------ failover

    def fail_broker(self, node_id: int) -> list[LeaderChange]:
        """Take broker ``node_id`` down; its partitions elect their next live replica.

        Failing a broker that is already down changes nothing.

        Args:
            node_id: the broker to stop.

        Returns:
            The ``__consumer_offsets`` partitions whose leader changed, ascending; ``new`` is
            ``None`` for a partition left with no live replica.

        Raises:
            ValueError: unknown broker id.
        """
        broker = self.broker(node_id)
        if not broker.up:
            return []
        self._brokers[node_id] = replace(broker, up=False)
        changes: list[LeaderChange] = []
        for topic in (self._offsets, self._txn):
            if not topic.exists:
                continue
            for p, leader in enumerate(topic.leaders):
                if leader == node_id:
                    self._set_leader(topic, p, self._first_live_replica(topic, p), changes)
        return changes

    def restore_broker(self, node_id: int) -> list[LeaderChange]:
        """Bring broker ``node_id`` back up; leaderless partitions it replicates elect it.

        Partitions that have a live leader keep it (see :meth:`elect_preferred_leaders`).
        Restoring a broker that is up changes nothing.

        Args:
            node_id: the broker to start.

        Returns:
            The ``__consumer_offsets`` partitions whose leader changed (``old`` is ``None``).

        Raises:
            ValueError: unknown broker id.
        """
        broker = self.broker(node_id)
        if broker.up:
            return []
        self._brokers[node_id] = replace(broker, up=True)
        changes: list[LeaderChange] = []
        for topic in (self._offsets, self._txn):
            if not topic.exists:
                continue
            for p, leader in enumerate(topic.leaders):
                if leader is None:
                    self._set_leader(topic, p, self._first_live_replica(topic, p), changes)
        return changes

    def move_leader(self, partition: int, node_id: int) -> list[LeaderChange]:
        """Make live replica ``node_id`` the leader of ``__consumer_offsets`` partition ``partition``.

        Like ``kafka-leader-election.sh`` / a reassignment completing: the groups of that
        partition move to ``node_id``.

        Args:
            partition: the offsets partition.
            node_id: the new leader; must be up and one of the partition's replicas.

        Returns:
            ``[LeaderChange(partition, old, node_id)]``, or ``[]`` if it already leads.

        Raises:
            ValueError: topic missing, partition out of range, unknown or down broker, or a broker
                that holds no replica of the partition.
        """
        self._check_partition(partition)
        broker = self.broker(node_id)
        if not broker.up:
            raise ValueError(f"broker {node_id} is down; only a live broker can lead partition {partition}")
        replicas = self._offsets.replicas[partition]
        if node_id not in replicas:
            raise ValueError(
                f"broker {node_id} holds no replica of {OFFSETS_TOPIC}-{partition}; "
                f"its replicas are {list(replicas)}"
            )
        changes: list[LeaderChange] = []
        self._set_leader(self._offsets, partition, node_id, changes)
        return changes

    def elect_preferred_leaders(self) -> list[LeaderChange]:
        """Move every partition back to its preferred (first) replica where that one is up.

        What Kafka's controller does periodically with ``auto.leader.rebalance.enable=true``.

        Returns:
            The ``__consumer_offsets`` partitions whose leader changed, ascending.
        """
        changes: list[LeaderChange] = []
        for topic in (self._offsets, self._txn):
            if not topic.exists:
                continue
            for p, replicas in enumerate(topic.replicas):
                preferred = replicas[0]
                if self._brokers[preferred].up:
                    self._set_leader(topic, p, preferred, changes)
        return changes

    # ------------------------------------------------------------ loading

    def begin_loading(self, partition: int) -> None:
        """Mark ``__consumer_offsets`` partition ``partition`` as being loaded by its leader.

        Raises:
            ValueError: topic missing, partition out of range, or the partition has no leader.
        """
        self._check_partition(partition)
        if self._offsets.leaders[partition] is None:
            raise ValueError(f"{OFFSETS_TOPIC}-{partition} has no leader, so nothing is loading it")
        self._loading.add(partition)

    def finish_loading(self, partition: int) -> bool:
        """The leader of ``partition`` has finished loading it; its groups can be served.

        Returns:
            Whether the partition was loading (finishing a partition that is not is harmless).

        Raises:
            ValueError: topic missing or partition out of range.
        """
        self._check_partition(partition)
        was_loading = partition in self._loading
        self._loading.discard(partition)
        return was_loading

    # ------------------------------------------------------------ internals

    def _check_partition(self, partition: int) -> None:
        if isinstance(partition, bool) or not isinstance(partition, int):
            raise TypeError(f"partition must be an int, got {type(partition).__name__} {partition!r}")
        if not self._offsets.exists:
            raise ValueError(f"{OFFSETS_TOPIC} does not exist yet (a FindCoordinator creates it)")
        n = self._offsets.num_partitions
        if not 0 <= partition < n:
            raise ValueError(f"partition must be between 0 and {n - 1} ({OFFSETS_TOPIC} has {n}), got {partition}")

    def _leader_broker(self, topic: _InternalTopic, key: str) -> Optional[Broker]:
        partition = partition_for_group(key, topic.num_partitions)
        if not topic.exists:
            return None
        leader = topic.leaders[partition]
        if leader is None:
            return None
        broker = self._brokers[leader]
        # Kafka checks getAliveBrokerNode too; our election never leaves a down leader in place.
        return broker if broker.up else None

    def _create(self, topic: _InternalTopic) -> None:
        ids = list(self._brokers)
        n = len(ids)
        topic.replicas = tuple(
            tuple(ids[(p + i) % n] for i in range(self.replication_factor))
            for p in range(topic.num_partitions)
        )
        topic.leaders = [self._first_live_replica(topic, p) for p in range(topic.num_partitions)]
        topic.leader_epochs = [0] * topic.num_partitions
        topic.exists = True

    def _first_live_replica(self, topic: _InternalTopic, partition: int) -> Optional[int]:
        # offlinePartitionLeaderElection: the first assigned replica that is alive (and in the
        # ISR, which here is every replica).
        for node_id in topic.replicas[partition]:
            if self._brokers[node_id].up:
                return node_id
        return None

    def _set_leader(
        self, topic: _InternalTopic, partition: int, new: Optional[int], changes: list[LeaderChange]
    ) -> None:
        old = topic.leaders[partition]
        if old == new:
            return
        topic.leaders[partition] = new
        topic.leader_epochs[partition] += 1  # every election starts a new leader epoch (KIP-101)
        if topic is self._offsets:
            # A new leader starts from scratch: an unfinished load on the old leader is abandoned.
            self._loading.discard(partition)
            if new is not None and self.load_on_leader_change:
                self._loading.add(partition)
            changes.append(LeaderChange(partition, old, new))
