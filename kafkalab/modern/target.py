"""Target assignment: ask the group's server-side assignor for every member's partitions.

How it works
------------
Kafka's ``TargetAssignmentBuilder.build`` (called from ``GroupMetadataManager.updateTargetAssignment``
when ``groupEpoch > targetAssignmentEpoch``, docs/consumer-protocol.md §3.2) describes the whole group to
the assignor at once:

* one ``MemberSubscriptionAndAssignment`` per member: the topic ids it subscribes to (its topic
  names plus the topics its resolved regular expression matched, restricted to topics that exist),
  its rack, instance id and **previous target** (not what it owns now).  The heartbeating member
  is taken as updated by this heartbeat; a static member replacing an old member id inherits the
  old id's target, and the old id is dropped;
* the subscription type and the stored target inverted (``isPartitionAssigned``);
* a ``SubscribedTopicDescriber`` giving each subscribed topic's partition count and racks from the
  subscription metadata (-1 for a topic it does not know, which makes the assignor fail).

The result is diffed against the stored target: a ``TargetAssignmentUpdated`` record for each member
whose target changed (always one for a member without a stored target), then
``TargetAssignmentComputed(epoch)``.  A ``PartitionAssignorError`` becomes UNKNOWN_SERVER_ERROR
"Failed to compute a new target assignment for epoch N: ...", and nothing is written.

Iteration order (Kafka uses ``HashMap`` order, its tests sorted ids): members are given in ascending
member-id order, each member's topics as a set (ordered by ``Uuid.compareTo`` by the assignor
API), and each previous target with its topics in ``Uuid.compareTo`` order.

The assignor is a plug-in (Kafka's ``ConsumerGroupPartitionAssignor``): an object with a ``name``
and ``assign(group_spec, subscribed_topic_describer)`` returning an object whose ``members`` maps
member ids to objects with ``partitions`` (``{topic_id: partitions}``).  :func:`get_assignor` turns
a configured name into such an object through :mod:`kafkalab.modern.assignor`.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..errors import ConfigError, ErrorCode
from . import events as ev
from .assignment import Assignment, freeze, normalize
from .group import ConsumerGroup, ConsumerGroupMember
from .metadata import MetadataImage, TopicImage

from .assignor import get_assignor as _registry_get_assignor
from .assignor.api import (
    GroupSpec,
    MemberSubscriptionAndAssignment,
    PartitionAssignorError,
    SubscribedTopicDescriberImpl,
)

__all__ = ["get_assignor", "assignor_name", "TargetAssignmentResult", "build_target_assignment",
           "subscribed_topic_ids", "PartitionAssignorError"]


def assignor_name(assignor: Any) -> str:
    """The name members use for ``assignor`` in ``ServerAssignor``."""
    return assignor if isinstance(assignor, str) else getattr(assignor, "name", type(assignor).__name__)


def get_assignor(name_or_object: Any) -> Any:
    """The assignor object for a configured name (``"uniform"``, ``"range"``) or object.

    Raises:
        ConfigError: an unknown name, or an object without ``name`` and ``assign``.
    """
    if isinstance(name_or_object, str):
        try:
            return _registry_get_assignor(name_or_object)
        except (KeyError, ValueError) as err:
            raise ConfigError(f"unknown server-side assignor {name_or_object!r}: {err}") from None
    if not isinstance(getattr(name_or_object, "name", None), str) or not callable(getattr(name_or_object, "assign", None)):
        raise ConfigError(f"a server-side assignor needs a str `name` and an `assign(group_spec, describer)` "
                          f"method, got {name_or_object!r}")
    return name_or_object


class TargetAssignmentResult:
    """What :func:`build_target_assignment` computed: the records and the new targets."""

    __slots__ = ("records", "targets")

    def __init__(self, records: list[ev.GroupRecord], targets: dict[str, Assignment]) -> None:
        self.records = records
        self.targets = targets


class AssignorFailed(Exception):
    """Internal: the assignor failed; ``code`` and ``message`` are the heartbeat's answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode.UNKNOWN_SERVER_ERROR
        self.message = message


def subscribed_topic_ids(group: ConsumerGroup, member: ConsumerGroupMember, image: MetadataImage) -> frozenset[str]:
    """The ids of the existing topics ``member`` subscribes to (names + resolved regex topics),
    as Kafka's ``TopicIds`` view resolves them against the image."""
    names = set(member.subscribed_topic_names)
    if member.subscribed_topic_regex:
        resolved = group.resolved_regular_expressions.get(member.subscribed_topic_regex)
        if resolved is not None:
            names |= resolved.topics
    out = set()
    for name in names:
        topic = image.topic(name)
        if topic is not None:
            out.add(topic.topic_id)
    return frozenset(out)


def build_target_assignment(
    group: ConsumerGroup,
    group_epoch: int,
    updated_member: ConsumerGroupMember,
    subscription_metadata: Mapping[str, TopicImage],
    subscription_type: str,
    image: MetadataImage,
    assignor: Any,
    now: int,
) -> TargetAssignmentResult:
    """Kafka's ``updateTargetAssignment`` + ``TargetAssignmentBuilder.build`` (see module docstring).

    Args:
        group: the group before this heartbeat.
        group_epoch: the (possibly bumped) group epoch the target is for.
        updated_member: the heartbeating member with this request's changes.
        subscription_metadata: the (possibly recomputed) subscription metadata.
        subscription_type: ``"HOMOGENEOUS"`` or ``"HETEROGENEOUS"``.
        image: the current metadata image.
        assignor: the assignor object to run.
        now: virtual time (the records' ``at``).

    Returns:
        The records to write and every member's new target.

    Raises:
        AssignorFailed: the assignor raised ``PartitionAssignorError`` (UNKNOWN_SERVER_ERROR).
    """
    gid = group.group_id
    previous_id: Optional[str] = None
    if updated_member.instance_id is not None:
        previous_id = group.static_members.get(updated_member.instance_id)
        if previous_id == updated_member.member_id:
            previous_id = None

    members: dict[str, ConsumerGroupMember] = dict(group.members)
    if previous_id is not None:
        members.pop(previous_id, None)
    members[updated_member.member_id] = updated_member

    specs = {}
    for member_id in sorted(members):
        m = members[member_id]
        previous = group.target_assignment.get(member_id, {})
        if m is updated_member and previous_id is not None:
            previous = group.target_assignment.get(previous_id, {})
        specs[member_id] = MemberSubscriptionAndAssignment(
            subscribed_topic_ids(group, m, image),
            dict(sorted(previous.items())),
            rack_id=m.rack_id, instance_id=m.instance_id)

    inverted: dict[str, dict[int, str]] = {}
    for member_id, a in group.target_assignment.items():
        for t, ps in a.items():
            for p in ps:
                inverted.setdefault(t, {})[p] = member_id
    by_id = {t.topic_id: t for t in subscription_metadata.values()}
    describer = SubscribedTopicDescriberImpl(
        {t: meta.num_partitions for t, meta in by_id.items()},
        {(t, p): racks for t, meta in by_id.items() for p, racks in enumerate(meta.partition_racks) if racks})
    spec = GroupSpec(specs, subscription_type, inverted)
    try:
        result = assignor.assign(spec, describer)
    except PartitionAssignorError as err:
        raise AssignorFailed(f"Failed to compute a new target assignment for epoch {group_epoch}: {err}") from None

    targets: dict[str, Assignment] = {}
    records: list[ev.GroupRecord] = []
    for member_id in specs:
        out = result.members.get(member_id)
        new = normalize(out.partitions) if out is not None else {}
        targets[member_id] = new
        if member_id not in group.target_assignment or group.target_assignment[member_id] != new:
            records.append(ev.TargetAssignmentUpdated(now, gid, member_id, freeze(new)))
    records.append(ev.TargetAssignmentComputed(now, gid, group_epoch, assignor_name(assignor)))
    return TargetAssignmentResult(records, targets)
