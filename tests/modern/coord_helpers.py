"""A harness driving one :class:`~kafkalab.Coordinator` with consumer groups by member *name*
(docs/consumer-protocol.md §2, §7).

* ``CoordHarness`` sends ConsumerGroupHeartbeats as a member (member id = name) and keeps each
  name's epoch and assignment; ``send`` goes through ``Coordinator.handle``; ``advance_to`` fires
  every timer at its own deadline through ``on_timer``.
* ``ClassicClient`` is a classic consumer (JoinGroup / SyncGroup / Heartbeat / LeaveGroup with the
  ConsumerProtocol bytes a Java consumer sends).
"""

from __future__ import annotations

from typing import Any, Optional

from kafkalab import Coordinator, CoordinatorConfig
from kafkalab.consumer_protocol import decode_assignment, encode_assignment, encode_subscription
from kafkalab.errors import ErrorCode
from kafkalab.messages import (
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
    ConsumerGroupHeartbeatTopicPartitions,
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    LeaveGroupRequest,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from kafkalab.modern import MetadataImage

E = ErrorCode
SESSION = 45_000  # group.consumer.session.timeout.ms


class CoordHarness:
    """One Coordinator, consumer-protocol members addressed by name (member id = name)."""

    def __init__(self, topics: Optional[dict[str, int]] = None, *, coordinator: Optional[Coordinator] = None,
                 group_id: str = "g", **config: Any) -> None:
        self.image = MetadataImage.of(topics if topics is not None else {"foo": 6})
        self.coord = coordinator or Coordinator(CoordinatorConfig(**config), metadata=self.image)
        self.group_id = group_id
        self.now = 0
        self.epochs: dict[str, int] = {}
        self.assigned: dict[str, dict[str, tuple[int, ...]]] = {}

    def send(self, request: Any, origin: Any = "x") -> Any:
        replies = self.coord.handle(request, origin, self.now)
        assert len(replies) == 1, replies
        return replies[0].response

    def cghb(self, name: str, epoch: int, *, owned: Any = None, **fields: Any) -> ConsumerGroupHeartbeatResponse:
        fields.setdefault("group_id", self.group_id)
        resp = self.send(ConsumerGroupHeartbeatRequest(member_id=name, member_epoch=epoch, topic_partitions=owned,
                                                       **fields), name)
        if resp.error_code is E.NONE:
            self.epochs[name] = resp.member_epoch
            if resp.assignment is not None:
                self.assigned[name] = {t.topic_id: t.partitions for t in resp.assignment.topic_partitions}
        return resp

    def join(self, name: str, topics: tuple[str, ...] = ("foo",), **fields: Any) -> ConsumerGroupHeartbeatResponse:
        fields.setdefault("rebalance_timeout_ms", 30_000)
        return self.cghb(name, 0, owned=(), subscribed_topic_names=topics, **fields)

    def heartbeat(self, name: str, **fields: Any) -> ConsumerGroupHeartbeatResponse:
        owned = tuple(ConsumerGroupHeartbeatTopicPartitions(t, ps) for t, ps in sorted(self.assigned.get(name, {}).items()))
        return self.cghb(name, self.epochs[name], owned=owned, **fields)

    def leave(self, name: str) -> ConsumerGroupHeartbeatResponse:
        return self.cghb(name, -1)

    def advance_to(self, t: int) -> list:
        replies = []
        while (d := self.coord.next_deadline()) is not None and d <= t:
            self.now = max(self.now, d)
            replies += self.coord.on_timer(self.now)
        self.now = max(self.now, t)
        return replies

    @property
    def group(self):
        return self.coord.consumer_groups.groups[self.group_id]

    def state(self, group_id: Optional[str] = None) -> str:
        return self.coord.describe(group_id or self.group_id)["state"]


def classic_join(h: CoordHarness, group_id: str, member_id: str = "", **fields: Any) -> Any:
    return h.send(JoinGroupRequest(group_id=group_id, member_id=member_id, session_timeout_ms=10_000,
                                   protocols=(JoinGroupRequestProtocol("range", b""),), **fields), "c")


def classic_member(h: CoordHarness, group_id: str) -> str:
    """A classic member joins ``group_id`` (v3: no MEMBER_ID_REQUIRED); after the initial delay
    the group is CompletingRebalance.  Returns its member id."""
    assert h.coord.handle(JoinGroupRequest(group_id=group_id, session_timeout_ms=10_000, api_version=3,
                                           protocols=(JoinGroupRequestProtocol("range", b""),)), "c", h.now) == []
    (reply,) = [r for r in h.advance_to(h.now + 3_000) if r.origin == "c"]
    assert reply.response.error_code is E.NONE
    return reply.response.member_id


def commit(group_id: str, member_id: str, epoch: int, version: int = 9, **fields: Any) -> OffsetCommitRequest:
    return OffsetCommitRequest(group_id=group_id, member_id=member_id, generation_id=epoch, api_version=version,
                               topics=(OffsetCommitRequestTopic("foo", (OffsetCommitRequestPartition(0, 42),)),),
                               **fields)


def fetch(group_id: str, member_id: Optional[str] = None, epoch: int = -1, version: int = 9) -> OffsetFetchRequest:
    return OffsetFetchRequest(group_id=group_id, member_id=member_id, member_epoch=epoch, api_version=version,
                              topics=(OffsetFetchRequestTopic("foo", (0,)),))


class ClassicClient:
    """A classic consumer of ``h``'s coordinator: subscribes to ``topics`` with the ConsumerProtocol
    (v3), reports what it owns in each JoinGroup, and keeps its member id and generation."""

    def __init__(self, h: CoordHarness, name: str, topics: tuple[str, ...] = ("foo",), *, group_id: str = "g",
                 protocol: str = "range", session_timeout_ms: int = 10_000, rebalance_timeout_ms: int = 30_000,
                 instance_id: Optional[str] = None) -> None:
        self.h, self.name, self.topics, self.group_id, self.protocol = h, name, topics, group_id, protocol
        self.session_timeout_ms, self.rebalance_timeout_ms = session_timeout_ms, rebalance_timeout_ms
        self.instance_id = instance_id
        self.member_id = ""
        self.generation = -1
        self.owned: list[tuple[str, int]] = []

    def subscription(self) -> bytes:
        return encode_subscription(list(self.topics), None, self.owned, self.generation, None, version=3)

    def join(self, version: int = 5) -> Any:
        """JoinGroup (v5: an unknown member gets MEMBER_ID_REQUIRED first, then joins with it)."""
        req = JoinGroupRequest(group_id=self.group_id, member_id=self.member_id, group_instance_id=self.instance_id,
                               session_timeout_ms=self.session_timeout_ms, rebalance_timeout_ms=self.rebalance_timeout_ms,
                               protocols=(JoinGroupRequestProtocol(self.protocol, self.subscription()),),
                               api_version=version, client_id=self.name)
        replies = [r for r in self.h.coord.handle(req, self.name, self.h.now) if r.origin == self.name]
        if not replies:
            return None  # parked (a classic group)
        resp = replies[0].response
        if resp.error_code is E.MEMBER_ID_REQUIRED:
            self.member_id = resp.member_id
            return self.join(version)
        if resp.error_code is E.NONE:
            self.member_id, self.generation = resp.member_id, resp.generation_id
        return resp

    def sync(self, assignments: Optional[dict[str, list[tuple[str, int]]]] = None, **fields: Any) -> Any:
        req = SyncGroupRequest(group_id=self.group_id, generation_id=self.generation, member_id=self.member_id,
                               group_instance_id=self.instance_id, assignments=tuple(
                                   SyncGroupRequestAssignment(m, encode_assignment(tps))
                                   for m, tps in (assignments or {}).items()), **fields)
        replies = [r for r in self.h.coord.handle(req, self.name, self.h.now) if r.origin == self.name]
        if not replies:
            return None
        resp = replies[0].response
        if resp.error_code is E.NONE:
            self.owned = list(decode_assignment(resp.assignment).assigned_partitions)
        return resp

    def heartbeat(self) -> ErrorCode:
        return self.h.send(HeartbeatRequest(group_id=self.group_id, generation_id=self.generation,
                                            member_id=self.member_id, group_instance_id=self.instance_id),
                           self.name).error_code

    def leave(self) -> Any:
        """LeaveGroup; the client then forgets its member id, as the Java consumer does."""
        resp = self.h.send(LeaveGroupRequest(group_id=self.group_id, members=(
            MemberIdentity(self.member_id, self.instance_id),)), self.name)
        self.member_id, self.generation, self.owned = "", -1, []
        return resp


def catch_up(c: ClassicClient, rounds: int = 4) -> None:
    """The classic client rejoins and syncs (giving up what it was told to revoke) until its
    generation is the consumer group's epoch, as a Java consumer does after REBALANCE_IN_PROGRESS."""
    for _ in range(rounds):
        if c.generation == c.h.coord.consumer_groups.groups[c.group_id].group_epoch:
            return
        assert c.join().error_code is E.NONE
        assert c.sync(protocol_type="consumer", protocol_name=c.protocol).error_code is E.NONE
    raise AssertionError(f"{c.name} never caught up")


def classic_group(h: CoordHarness, *clients: ClassicClient, partitions: int = 6) -> None:
    """``clients`` form a Stable classic group: they join, the first leads and gives each a range
    of ``foo``'s partitions in SyncGroup."""
    for c in clients:
        assert c.join() is None or c.member_id
    group = h.coord.groups[clients[0].group_id]
    while group.state.value == "PreparingRebalance":  # the initial rebalance delay (extended by newcomers)
        h.advance_to(h.coord.next_deadline())
    for c in clients:
        c.generation = h.coord.groups[c.group_id].generation_id
        c.member_id = c.member_id or next(m for m in h.coord.groups[c.group_id].members
                                          if h.coord.groups[c.group_id].members[m].client_id == c.name)
    share = {c.member_id: [("foo", p) for p in range(partitions) if p % len(clients) == i]
             for i, c in enumerate(clients)}
    for c in reversed(clients):  # followers first: the leader's SyncGroup answers them all
        c.sync(share if c is clients[0] else None)
    for c in clients:
        c.owned = share[c.member_id]
    assert h.coord.groups[clients[0].group_id].state.value == "Stable"
