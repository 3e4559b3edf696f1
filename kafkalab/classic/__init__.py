"""The classic group protocol (Kafka's ``coordinator/group/classic``): JoinGroup, SyncGroup,
Heartbeat and LeaveGroup over a group that a leader member assigns.

* :mod:`~kafkalab.classic.state` -- the five states and every legal transition (``TRANSITIONS``);
* :mod:`~kafkalab.classic.group` -- :class:`~kafkalab.classic.group.Group` and
  :class:`~kafkalab.classic.group.Member` (Kafka's ``ClassicGroup`` and ``ClassicGroupMember``).
"""
