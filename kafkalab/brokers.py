"""The brokers of one cluster, each running a group coordinator: the core the simulation and the
wire server share.

How it works
------------
Every broker of a Kafka cluster runs a group coordinator, and which one coordinates a group is
decided by the metadata: the leader of the group's ``__consumer_offsets`` partition.
:class:`Brokers` puts the core's pieces together that way, once, for both adapters
(:class:`kafkalab.sim.World` and :class:`kafkalab.wire.WireCluster`):

* :attr:`Brokers.cluster` -- a :class:`~kafkalab.cluster.Cluster`: the brokers, and the leader
  of each ``__consumer_offsets`` partition (FindCoordinator answers from it);
* :attr:`Brokers.log` -- one :class:`~kafkalab.grouplog.GroupLog`, the replicated
  ``__consumer_offsets``, shared by every broker;
* :attr:`Brokers.coordinators` -- one :class:`~kafkalab.Coordinator` per broker, owning the
  partitions its broker leads. Broker ``n`` seeds its member ids with ``seed * 1000 + n``, so a
  run repeats exactly and two brokers never hand out the same id;
* :attr:`Brokers.metadata` -- the cluster's topics as a :class:`~kafkalab.modern.MetadataImage`
  (deterministic topic ids). Every change (:meth:`Brokers.update_topics`) reaches every
  coordinator, as each Kafka broker's coordinator hears of a new metadata image
  (``onNewMetadataImage``): the consumer groups need it.

Leader changes go through here, so that the coordinators follow the metadata as Kafka's do: when
a broker's metadata says it lost an offsets partition it calls its coordinator's
``onResignation`` and when it gained one ``onElection``. Here the old leader's coordinator
unloads the partition (:meth:`~kafkalab.Coordinator.unload_partition`: its groups go Dead there,
a parked JoinGroup or SyncGroup is answered NOT_COORDINATOR, later requests get NOT_COORDINATOR
too) and the new leader's loads its groups back from the log
(:meth:`~kafkalab.Coordinator.load_partition`). Clients then find the new coordinator with
FindCoordinator and carry on with their member ids and generation.

Each leader-changing call takes ``now`` and returns the replies it caused as
:class:`BrokerReply` records, so the caller knows which broker sends each one. Everything here
is pure and deterministic: no sockets, no clock, no threads.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, NamedTuple, Optional, Union

from .cluster import Broker, Cluster, LeaderChange
from .config import CoordinatorConfig
from .coordinator import Coordinator, Reply
from .grouplog import GroupLog
from .modern.metadata import MetadataImage

__all__ = ["Brokers", "BrokerReply"]


class BrokerReply(NamedTuple):
    """A reply and the node id of the broker whose coordinator sends it."""

    node_id: int
    reply: Reply


#: Called right after each coordinator call a leader change makes, with the broker's node id and
#: that call's replies (the world records each call's trace as it happens, in call order).
OnCall = Callable[[int, list[Reply]], None]


class Brokers:
    """A cluster's brokers with one group coordinator each, over one shared ``__consumer_offsets``.

    Args:
        brokers: a broker count ``n`` (node ids ``0..n-1``) or the
            :class:`~kafkalab.cluster.Broker` records (host and port are what FindCoordinator
            answers).
        config: the coordinators' configuration (Kafka's defaults when omitted); its
            ``offsets_topic_num_partitions`` sizes ``__consumer_offsets``.
        seed: seeds the member ids (broker ``n`` uses ``seed * 1000 + n``).
        trace: keep the coordinators' traces.

    Raises:
        TypeError, ValueError: bad broker records or counts (see :class:`~kafkalab.cluster.Cluster`).
    """

    def __init__(
        self,
        brokers: Union[int, Iterable[Broker]] = 1,
        config: Optional[CoordinatorConfig] = None,
        *,
        seed: int = 0,
        trace: bool = True,
    ) -> None:
        self.config = config if config is not None else CoordinatorConfig()
        partitions = self.config.offsets_topic_num_partitions
        self.cluster = Cluster(brokers, offsets_topic_num_partitions=partitions)
        self.log = GroupLog(partitions)
        #: The cluster's topics (change them with :meth:`update_topics`).
        self.metadata = MetadataImage()
        self.coordinators: dict[int, Coordinator] = {
            b.node_id: Coordinator(
                self.config,
                member_id_seed=seed * 1000 + b.node_id,
                log=self.log,
                owned_partitions=set(self.cluster.partitions_led_by(b.node_id)),
                trace=trace,
                metadata=self.metadata,
            )
            for b in self.cluster.brokers
        }
        self._partition: dict[str, int] = {}

    # ------------------------------------------------------------ queries

    def partition_for(self, group_id: str) -> int:
        """The ``__consumer_offsets`` partition of ``group_id``."""
        p = self._partition.get(group_id)
        if p is None:
            p = self._partition[group_id] = self.cluster.partition_for(group_id)
        return p

    def coordinator_for(self, group_id: str) -> Optional[Coordinator]:
        """The coordinator of the broker leading ``group_id``'s partition now, or ``None`` if no
        broker leads it (every replica is down)."""
        leader = self.cluster.leader_of(self.partition_for(group_id))
        return None if leader is None else self.coordinators[leader]

    # ------------------------------------------------------------ topics

    def update_topics(self, partitions: Mapping[str, int], now: int,
                      on_call: Optional[OnCall] = None) -> list[BrokerReply]:
        """The cluster's topics are now ``{name: partition count}``: topics not listed were
        deleted, new ones created (a deterministic topic id, a new one for a name created again),
        others grown.  Every coordinator is given the new image
        (:meth:`~kafkalab.Coordinator.on_metadata_update`); nothing happens when nothing changed.

        Raises:
            TypeError, ValueError: an illegal topic name or count, or a topic that shrinks.
        """
        image = self.metadata
        for name in image.topic_names():
            if name not in partitions:
                image = image.without_topic(name)
        for name in sorted(partitions):
            image = image.with_topic(name, partitions[name])
        if image.version == self.metadata.version:
            return []
        self.metadata = image
        out: list[BrokerReply] = []
        for node, coordinator in self.coordinators.items():
            replies = coordinator.on_metadata_update(image, now)
            if on_call is not None:
                on_call(node, replies)
            out.extend(BrokerReply(node, r) for r in replies)
        return out

    # ------------------------------------------------------------ leader changes

    def fail_broker(self, node_id: int, now: int, on_call: Optional[OnCall] = None) -> list[BrokerReply]:
        """Stop broker ``node_id``: its coordinator stops serving (COORDINATOR_NOT_AVAILABLE) and
        its ``__consumer_offsets`` partitions move to their next live replica, whose coordinators
        load the groups from the log (coordinator failover).

        Raises:
            ValueError: unknown broker id.
        """
        changes = self.cluster.fail_broker(node_id)
        self.coordinators[node_id].active = False
        return self.apply_leader_changes(changes, now, on_call)

    def restore_broker(self, node_id: int, now: int, on_call: Optional[OnCall] = None) -> list[BrokerReply]:
        """Start broker ``node_id`` again; it leads the partitions left without a leader (see
        :meth:`kafkalab.cluster.Cluster.restore_broker`).

        Raises:
            ValueError: unknown broker id.
        """
        self.cluster.broker(node_id)  # an unknown id is refused before anything changes
        self.coordinators[node_id].active = True
        return self.apply_leader_changes(self.cluster.restore_broker(node_id), now, on_call)

    def move_coordinator(self, group_id: str, node_id: int, now: int,
                         on_call: Optional[OnCall] = None) -> list[BrokerReply]:
        """Make broker ``node_id`` the coordinator of ``group_id``: it becomes leader of the group's
        ``__consumer_offsets`` partition (a controlled leader move, as ``kafka-leader-election.sh``
        or a finished reassignment makes), so every group of that partition moves with it.

        Returns:
            The replies caused: the old coordinator answers NOT_COORDINATOR to the group's parked
            requests. Nothing happens (``[]``) when ``node_id`` already coordinates the group.

        Raises:
            ValueError: unknown or stopped broker, or one holding no replica of the partition
                (the message lists the replicas).
        """
        return self.apply_leader_changes(self.cluster.move_leader(self.partition_for(group_id), node_id), now, on_call)

    def apply_leader_changes(self, changes: Iterable[LeaderChange], now: int,
                             on_call: Optional[OnCall] = None) -> list[BrokerReply]:
        """Make the coordinators follow leader changes the cluster made: for each, the old
        leader unloads the partition, then the new leader loads it.

        Args:
            on_call: called right after each coordinator call with the node id and that call's
                replies.

        Returns:
            The replies caused, in that order.
        """
        out: list[BrokerReply] = []
        for change in changes:
            calls = []
            if change.old is not None and change.old in self.coordinators:
                calls.append((change.old, self.coordinators[change.old].unload_partition))
            if change.new is not None:
                calls.append((change.new, self.coordinators[change.new].load_partition))
            for node, call in calls:
                replies = call(change.partition, now)
                if on_call is not None:
                    on_call(node, replies)
                out.extend(BrokerReply(node, r) for r in replies)
        return out
