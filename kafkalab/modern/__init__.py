"""The KIP-848 consumer group protocol (``group.protocol=consumer``), Kafka's
``org.apache.kafka.coordinator.group.modern`` package.

* :mod:`.manager` -- :class:`ConsumerGroupManager`, the consumer-group part of a coordinator;
* :mod:`.heartbeat` -- the ConsumerGroupHeartbeat handler (join, heartbeat, leave, fencing);
* :mod:`.reconcile` -- revoke-before-assign reconciliation (``CurrentAssignmentBuilder``);
* :mod:`.target` -- the target assignment (``TargetAssignmentBuilder``) and the assignor plug-in;
* :mod:`.group`, :mod:`.state`, :mod:`.events` -- the group, its states, its records;
* :mod:`.metadata` -- topics by name and deterministic topic id; :mod:`.config` -- ``group.consumer.*``.
"""

from .config import ConsumerGroupConfig, GroupConfig
from .group import ConsumerGroup, ConsumerGroupMember
from .manager import ClassicGroups, ConsumerGroupManager
from .metadata import MetadataImage, TopicImage, topic_id_for
from .state import ConsumerGroupState, MemberState, Trigger, TRANSITIONS

__all__ = [
    "ConsumerGroupManager", "ClassicGroups", "ConsumerGroupConfig", "GroupConfig",
    "ConsumerGroup", "ConsumerGroupMember", "MetadataImage", "TopicImage", "topic_id_for",
    "ConsumerGroupState", "MemberState", "Trigger", "TRANSITIONS",
]
