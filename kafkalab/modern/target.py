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

Only the spec of a member whose input changed is rebuilt (Kafka's ``TargetAssignmentBuilder`` also
builds only the updated members' specs): the group names the members whose subscription, rack,
instance id or stored target changed since the last computation
(:meth:`~kafkalab.modern.group.ConsumerGroup.take_changed_specs`); everything is rebuilt when the
metadata image or a resolved regular expression changed.  The inverted target is the group's
(kept as records are replayed); the describer is rebuilt when the subscription metadata changed.
A member whose new target is the very mapping it was given (the built-in assignors hand back an
unchanged target as is) is unchanged without a comparison.

The assignor is a plug-in (Kafka's ``ConsumerGroupPartitionAssignor``): an object with a ``name``
and ``assign(group_spec, subscribed_topic_describer)`` returning an object whose ``members`` maps
member ids to objects with ``partitions`` (``{topic_id: partitions}``).  :func:`get_assignor` turns
a configured name into such an object through :mod:`kafkalab.modern.assignor`.
"""

from __future__ import annotations

import bisect
from itertools import compress
from operator import attrgetter, is_not, not_, or_

from types import MappingProxyType
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
    SubscriptionType,
)
from .assignor.topic_id import Uuid, as_topic_id

__all__ = ["get_assignor", "assignor_name", "TargetAssignmentResult", "build_target_assignment",
           "subscribed_topic_ids", "PartitionAssignorError"]


_AS_ASSIGNMENT = attrgetter("_as_assignment")


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
    """What :func:`build_target_assignment` computed: the records and the new targets.

    Attributes:
        records: the records to write.
        targets: the new target of every member whose target was compared (at least every
            member whose target changed); :meth:`target` answers for any member.
    """

    __slots__ = ("records", "targets", "_stored")

    def __init__(self, records: list[ev.GroupRecord], targets: dict[str, Assignment],
                 stored: Optional[Mapping[str, Assignment]] = None) -> None:
        self.records = records
        self.targets = targets
        self._stored = stored if stored is not None else {}

    def target(self, member_id: str) -> Assignment:
        """The member's new target (its stored one when unchanged; empty when it has none)."""
        new = self.targets.get(member_id)
        return new if new is not None else self._stored.get(member_id, {})


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
    uid = updated_member.member_id
    previous_id: Optional[str] = None
    if updated_member.instance_id is not None:
        previous_id = group.static_members.get(updated_member.instance_id)
        if previous_id == uid:
            previous_id = None

    cache = _cache_of(group, image)
    stored = group.target_assignment
    order = group.sorted_member_ids()
    if previous_id is not None and previous_id in group.members:
        del order[bisect.bisect_left(order, previous_id)]
    if uid not in group.members:
        bisect.insort(order, uid)
    previous = stored.get(previous_id if previous_id is not None else uid, {})
    updated_spec = cache.spec(group, updated_member, previous, image)
    cached = cache.specs
    saved = cached.get(uid)
    cached[uid] = updated_spec
    try:
        specs = dict(zip(order, map(cached.__getitem__, order)))
    finally:
        if saved is None:
            del cached[uid]
        else:
            cached[uid] = saved

    inverted: dict[Uuid, Mapping[int, str]] = {
        as_topic_id(t): owners for t, owners in group.inverted_target_view().items()}
    spec = GroupSpec._trusted(specs, SubscriptionType[subscription_type], inverted)
    try:
        result = assignor.assign(spec, cache.describer(subscription_metadata))
    except PartitionAssignorError as err:
        raise AssignorFailed(f"Failed to compute a new target assignment for epoch {group_epoch}: {err}") from None

    records: list[ev.GroupRecord] = []
    out_members = result.members
    # A member with a stored target that the assignor handed back as given (the very mapping)
    # keeps it; the others are compared, in member order.
    targets: dict[str, Assignment] = {}
    visit: Any = order
    if type(out_members) is MappingProxyType and len(out_members) == len(order):
        # (a member missing from the result is not handed back: it is visited)
        handed_back = map(is_not, map(out_members.get, order), map(_AS_ASSIGNMENT, specs.values()))
        if stored.keys() == group.members.keys():  # only uid may lack a stored target
            visit = compress(order, handed_back)
            if previous_id is not None or uid not in stored:
                visit = sorted(set(visit) | {uid})
        else:
            visit = compress(order, map(or_, handed_back, map(not_, map(stored.__contains__, order))))
            if previous_id is not None:
                visit = sorted(set(visit) | {uid})
    for member_id in visit:
        out = out_members.get(member_id)
        old = stored.get(member_id)
        if (out is not None and old is not None and out.partitions is specs[member_id].partitions
                and (member_id != uid or previous_id is None)):
            continue
        new = normalize(out.partitions) if out is not None else {}
        targets[member_id] = new
        if old is None or old != new:
            records.append(ev.TargetAssignmentUpdated(now, gid, member_id, freeze(new)))
    records.append(ev.TargetAssignmentComputed(now, gid, group_epoch, assignor_name(assignor)))
    return TargetAssignmentResult(records, targets, stored)


class _SpecCache:
    """Soft state of one group between target computations (see the module docstring)."""

    __slots__ = ("image", "regex_version", "specs", "topic_ids", "metadata", "_describer")

    def __init__(self, image: MetadataImage, regex_version: int) -> None:
        self.image = image
        self.regex_version = regex_version
        #: member id -> its spec, built from the group's data.
        self.specs: dict[str, MemberSubscriptionAndAssignment] = {}
        #: (topic names, regex) -> the subscribed topic ids in ``Uuid.compareTo`` order.
        self.topic_ids: dict[tuple[frozenset[str], str], tuple[Uuid, ...]] = {}
        self.metadata: Optional[tuple[TopicImage, ...]] = None
        self._describer: Optional[SubscribedTopicDescriberImpl] = None

    def spec(self, group: ConsumerGroup, m: ConsumerGroupMember, target: Assignment,
             image: MetadataImage) -> MemberSubscriptionAndAssignment:
        """``m``'s spec with ``target`` as its previous target (what
        ``MemberSubscriptionAndAssignment(subscribed_topic_ids(...), sorted target, rack_id=...,
        instance_id=...)`` builds, without re-checking the coordinator's own data)."""
        key = (m.subscribed_topic_names, m.subscribed_topic_regex)
        ids = self.topic_ids.get(key)
        if ids is None:
            ids = self.topic_ids[key] = tuple(sorted(
                map(as_topic_id, subscribed_topic_ids(group, m, image)), key=Uuid.compare_key.fget))
        partitions = MappingProxyType({
            as_topic_id(t): ps if type(ps) is frozenset else frozenset(ps)
            for t, ps in sorted(target.items()) if ps})
        return MemberSubscriptionAndAssignment._from_coordinator(ids, partitions, m.rack_id, m.instance_id)

    def describer(self, subscription_metadata: Mapping[str, TopicImage]) -> SubscribedTopicDescriberImpl:
        """The describer of ``subscription_metadata`` (rebuilt only when it changed)."""
        topics = tuple(subscription_metadata.values())
        if self._describer is None or topics != self.metadata:
            by_id = {t.topic_id: t for t in topics}
            self._describer = SubscribedTopicDescriberImpl(
                {t: meta.num_partitions for t, meta in by_id.items()},
                {(t, p): racks for t, meta in by_id.items() for p, racks in enumerate(meta.partition_racks) if racks})
            self.metadata = topics
        return self._describer


def _cache_of(group: ConsumerGroup, image: MetadataImage) -> _SpecCache:
    """The group's spec cache, with the spec of every member whose input changed rebuilt."""
    changed, regex_version = group.take_changed_specs()
    cache = group.target_builder_cache
    if not isinstance(cache, _SpecCache) or cache.image is not image or cache.regex_version != regex_version:
        old = cache if isinstance(cache, _SpecCache) else None
        cache = group.target_builder_cache = _SpecCache(image, regex_version)
        if old is not None and old.image is image:
            cache.metadata, cache._describer = old.metadata, old._describer
        changed = set(group.members)
    stored, specs = group.target_assignment, cache.specs
    for member_id in changed:
        m = group.members.get(member_id)
        if m is None:
            specs.pop(member_id, None)
        else:
            specs[member_id] = cache.spec(group, m, stored.get(member_id, {}), image)
    return cache
