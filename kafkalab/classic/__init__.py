"""The classic group protocol (Kafka's ``coordinator/group/classic`` and the classic part of its
``GroupMetadataManager``): JoinGroup, SyncGroup, Heartbeat and LeaveGroup over a group whose
leader member assigns the partitions.

* :mod:`~kafkalab.classic.state` -- the five states and every legal transition (``TRANSITIONS``);
* :mod:`~kafkalab.classic.group` -- :class:`~kafkalab.classic.group.Group` and
  :class:`~kafkalab.classic.group.Member` (Kafka's ``ClassicGroup`` and ``ClassicGroupMember``);
* one module per API: :mod:`~kafkalab.classic.join`, :mod:`~kafkalab.classic.sync`,
  :mod:`~kafkalab.classic.heartbeat`, :mod:`~kafkalab.classic.leave`;
* :mod:`~kafkalab.classic.rebalance` -- preparing and completing a rebalance, and the timers that
  end a wait; :mod:`~kafkalab.classic.lifecycle` -- loading, unloading and deleting a group;
* :mod:`~kafkalab.classic.common` -- changing a group and recording the change, answering parked
  requests.

Every handler takes the :class:`~kafkalab.runtime.Runtime` first; the service
(:class:`~kafkalab.Coordinator`) runs the prechecks and routes each request here.
"""
