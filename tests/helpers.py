"""A test harness that drives one :class:`~kafkalab.Coordinator` by member *name*.

Tests read as scripts::

    h = Harness(session_timeout_ms=10_000, initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b")                 # group Stable, generation 1
    h.heartbeat("a", at=9_000)
    fired = h.advance_to(10_000)              # b never heartbeated
    assert [t.kind for t in fired] == [tr.TimerKind.HEARTBEAT]

* Keyword arguments naming a :class:`CoordinatorConfig` field (``group_max_size``) or one without
  its ``group_`` prefix (``initial_rebalance_delay_ms``) configure the broker (session timeouts
  10..600000 ms unless given, as in Kafka's GroupMetadataManagerTestContext); ``session_timeout_ms``,
  ``rebalance_timeout_ms``, ``join_version`` (9, as today's Java client), ``protocol_type`` and
  ``protocols`` are the defaults of the requests the harness sends.
* Member ids are deterministic: ``f"{client_id}-{n}"`` (the client id is the member's name) and
  ``f"{group_instance_id}-{n}"`` for static members, ``n`` counting every id handed out.
* Every request goes out with ``origin=name``; every reply is kept (``replies_to``, ``last``).
  The harness remembers each name's member id and generation from its JoinGroup answers.
* ``advance`` / ``advance_to`` fire every timer *at its own deadline* (a virtual clock) and return
  the ``TimerFired`` events; ``sleep`` jumps the clock first and fires late, as Kafka's
  ``MockTime.sleep`` + ``MockCoordinatorTimer.poll`` do in Kafka's own tests.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Iterable, Optional

from kafkalab import Coordinator, CoordinatorConfig, ErrorCode, GroupState, Trigger
from kafkalab import trace as tr
from kafkalab.classic.common import transition
from kafkalab import Reply
from kafkalab.grouplog import GroupLog
from kafkalab.messages import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    OffsetFetchResponse,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from kafkalab.timers import HeartbeatTimer, JoinTimer, OffsetsExpiryTimer, SyncTimer, TimerKey

E = ErrorCode
S = GroupState

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(CoordinatorConfig)}
_UNSET: Any = object()


def protocols(*names: str, metadata: bytes = b"") -> tuple[tuple[str, bytes], ...]:
    """``protocols("range", "roundrobin")`` -> ``(("range", b"range"), ("roundrobin", b"roundrobin"))``
    (each protocol's metadata is its name unless ``metadata`` is given)."""
    return tuple((n, metadata if metadata else n.encode()) for n in names)


class Harness:
    """One coordinator, one group (``group_id``), members addressed by name."""

    def __init__(
        self,
        group_id: str = "g",
        *,
        session_timeout_ms: int = 10_000,
        rebalance_timeout_ms: int = 30_000,
        join_version: int = 9,
        protocol_type: str = "consumer",
        protocols: Iterable[tuple[str, bytes]] = (("range", b"range"),),
        log: GroupLog | None = None,
        owned_partitions: set[int] | None = None,
        start: int = 0,
        **config: Any,
    ) -> None:
        # Kafka's GroupMetadataManagerTestContext allows session timeouts of 10..600000 ms.
        cfg = {"group_min_session_timeout_ms": 10, "group_max_session_timeout_ms": 600_000}
        for key, value in config.items():
            name = key if key in _CONFIG_FIELDS else f"group_{key}"
            if name not in _CONFIG_FIELDS:
                raise TypeError(f"Harness: unknown option {key!r}")
            cfg[name] = value
        self.group_id = group_id
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.join_version = join_version
        self.protocol_type = protocol_type
        self.protocols = tuple(protocols)
        self._ids = itertools.count(1)
        self.coordinator = Coordinator(
            CoordinatorConfig(**cfg),
            new_member_id=lambda prefix: f"{prefix}-{next(self._ids)}",
            log=log,
            owned_partitions=owned_partitions,
        )
        self.now = start
        self.member_ids: dict[str, str] = {}      # name -> current member id
        self.names: dict[str, str] = {}           # every member id ever seen -> name
        self.generations: dict[str, int] = {}     # name -> generation of its last good JoinGroup
        self.instance_ids: dict[str, str] = {}    # name -> group.instance.id (static members)
        self.replies: list[Reply] = []

    # ------------------------------------------------------------------ plumbing

    @property
    def c(self) -> Coordinator:
        return self.coordinator

    def _at(self, at: Optional[int]) -> None:
        if at is not None:
            self.advance_to(at)

    def _collect(self, replies: list[Reply]) -> list[Reply]:
        for r in replies:
            self.replies.append(r)
            resp = r.response
            if isinstance(resp, JoinGroupResponse) and isinstance(r.origin, str):
                if resp.error_code in (E.NONE, E.MEMBER_ID_REQUIRED) and resp.member_id:
                    self.member_ids[r.origin] = resp.member_id
                    self.names[resp.member_id] = r.origin
                if resp.error_code is E.NONE:
                    self.generations[r.origin] = resp.generation_id
        return replies

    def send(self, request: Any, origin: Any = "admin", *, at: Optional[int] = None) -> list[Reply]:
        """Send any request; return every reply it caused (to anyone)."""
        self._at(at)
        return self._collect(self.coordinator.handle(request, origin, self.now))

    def _answer(self, name: str, replies: list[Reply], kind: type) -> Any:
        """The reply of type ``kind`` to ``name`` among ``replies`` (None if still parked)."""
        mine = [r.response for r in replies if r.origin == name and isinstance(r.response, kind)]
        return mine[-1] if mine else None

    def id(self, name: str) -> str:
        """The member id the coordinator gave ``name`` ("" before its first answer)."""
        return self.member_ids.get(name, "")

    def name(self, member_id: Optional[str]) -> Optional[str]:
        """The name behind ``member_id`` (ids are ``f"{client_id or instance_id}-{n}"``)."""
        if not member_id:
            return None
        if member_id in self.names:
            return self.names[member_id]
        prefix = member_id.rsplit("-", 1)[0]
        by_instance = {i: n for n, i in self.instance_ids.items()}
        return by_instance.get(prefix, prefix)

    # ------------------------------------------------------------------ requests

    def join(
        self,
        name: str,
        *,
        version: Optional[int] = None,
        instance_id: Any = _UNSET,
        member_id: Optional[str] = None,
        new: bool = False,
        protocols: Optional[Iterable[tuple[str, bytes]]] = None,
        protocol_type: Optional[str] = None,
        session_timeout_ms: Optional[int] = None,
        rebalance_timeout_ms: Optional[int] = None,
        round_trip: bool = True,
        at: Optional[int] = None,
        **fields: Any,
    ) -> Optional[JoinGroupResponse]:
        """Send JoinGroup as ``name``; return its answer if it came back in this call.

        The member id is the one the coordinator gave ``name`` (``new=True`` or ``member_id=""``
        joins as a new member).  A v4+ dynamic member with no id does the MEMBER_ID_REQUIRED
        round trip unless ``round_trip=False``; the second answer (or None if parked) is returned.
        """
        self._at(at)
        v = self.join_version if version is None else version
        if instance_id is not _UNSET:
            if instance_id is None:
                self.instance_ids.pop(name, None)
            else:
                self.instance_ids[name] = instance_id
        mid = "" if new else (self.id(name) if member_id is None else member_id)
        req = JoinGroupRequest(
            group_id=fields.pop("group_id", self.group_id),
            session_timeout_ms=self.session_timeout_ms if session_timeout_ms is None else session_timeout_ms,
            rebalance_timeout_ms=self.rebalance_timeout_ms if rebalance_timeout_ms is None else rebalance_timeout_ms,
            member_id=mid,
            group_instance_id=self.instance_ids.get(name),
            protocol_type=self.protocol_type if protocol_type is None else protocol_type,
            protocols=[JoinGroupRequestProtocol(n, m) for n, m in (self.protocols if protocols is None else protocols)],
            api_version=v,
            client_id=fields.pop("client_id", name),
            **fields,
        )
        answer = self._answer(name, self.send(req, name), JoinGroupResponse)
        if (round_trip and answer is not None and answer.error_code is E.MEMBER_ID_REQUIRED):
            req = dataclasses.replace(req, member_id=answer.member_id)
            answer = self._answer(name, self.send(req, name), JoinGroupResponse)
        return answer

    def sync(
        self,
        name: str,
        assignments: Optional[dict[str, bytes]] = None,
        *,
        generation: Optional[int] = None,
        member_id: Optional[str] = None,
        version: int = 3,
        at: Optional[int] = None,
        **fields: Any,
    ):
        """Send SyncGroup as ``name`` (``assignments`` maps member *names* to bytes)."""
        self._at(at)
        req = SyncGroupRequest(
            group_id=fields.pop("group_id", self.group_id),
            generation_id=self.generations.get(name, -1) if generation is None else generation,
            member_id=self.id(name) if member_id is None else member_id,
            group_instance_id=fields.pop("group_instance_id", self.instance_ids.get(name)),
            assignments=[SyncGroupRequestAssignment(self.member_ids.get(n, n), a)
                         for n, a in (assignments or {}).items()],
            api_version=version,
            **fields,
        )
        return self._answer(name, self.send(req, name), SyncGroupResponse)

    def heartbeat(
        self,
        name: str,
        *,
        at: Optional[int] = None,
        generation: Optional[int] = None,
        member_id: Optional[str] = None,
        instance_id: Any = _UNSET,
        group_id: Optional[str] = None,
    ):
        """Send Heartbeat as ``name`` (at ``at`` if given); return the answer."""
        self._at(at)
        req = HeartbeatRequest(
            group_id=self.group_id if group_id is None else group_id,
            generation_id=self.generations.get(name, -1) if generation is None else generation,
            member_id=self.id(name) if member_id is None else member_id,
            group_instance_id=self.instance_ids.get(name) if instance_id is _UNSET else instance_id,
        )
        return self._answer(name, self.send(req, name), HeartbeatResponse)

    def leave(self, *names: str, version: int = 3, identities: Optional[list[MemberIdentity]] = None,
              origin: str = "admin", group_id: Optional[str] = None, at: Optional[int] = None):
        """LeaveGroup for ``names`` (each with its member id and instance id), or raw
        ``identities``; v0-2 send the first name's member id.  Returns the answer."""
        self._at(at)
        gid = self.group_id if group_id is None else group_id
        if version < 3:
            req = LeaveGroupRequest(group_id=gid, member_id=self.id(names[0]) if names else "", api_version=version)
        else:
            idents = identities if identities is not None else [
                MemberIdentity(self.id(n), self.instance_ids.get(n)) for n in names]
            req = LeaveGroupRequest(group_id=gid, members=idents, api_version=version)
        return self._answer(origin, self.send(req, origin), LeaveGroupResponse)

    def commit(
        self,
        name: Optional[str] = None,
        offsets: Optional[dict[tuple[str, int], Any]] = None,
        *,
        generation: Optional[int] = None,
        member_id: Optional[str] = None,
        instance_id: Any = _UNSET,
        version: int = 8,
        retention_time_ms: int = -1,
        group_id: Optional[str] = None,
        at: Optional[int] = None,
    ):
        """OffsetCommit as ``name`` (or as a "simple" client with generation -1 when ``name`` is
        None).  ``offsets`` maps ``(topic, partition)`` to an offset or ``(offset, metadata)``."""
        self._at(at)
        offsets = {("t", 0): 1} if offsets is None else offsets
        topics: dict[str, list] = {}
        for (topic, partition), value in offsets.items():
            offset, meta = value if isinstance(value, tuple) else (value, "")
            topics.setdefault(topic, []).append(OffsetCommitRequestPartition(partition, offset, -1, meta))
        req = OffsetCommitRequest(
            group_id=self.group_id if group_id is None else group_id,
            generation_id=(self.generations.get(name, -1) if name else -1) if generation is None else generation,
            member_id=(self.id(name) if name else "") if member_id is None else member_id,
            group_instance_id=(self.instance_ids.get(name) if name else None) if instance_id is _UNSET else instance_id,
            retention_time_ms=retention_time_ms,
            topics=[OffsetCommitRequestTopic(t, ps) for t, ps in topics.items()],
            api_version=version,
        )
        origin = name or "admin"
        return self._answer(origin, self.send(req, origin), OffsetCommitResponse)

    def fetch(self, partitions: Optional[Iterable[tuple[str, int]]] = None, *, group_id: Optional[str] = None,
              at: Optional[int] = None) -> dict[tuple[str, int], tuple[int, int, str]]:
        """OffsetFetch (all offsets when ``partitions`` is None) as a dict
        ``(topic, partition) -> (offset, leader_epoch, metadata)``; raises on a top-level error."""
        self._at(at)
        topics = None
        if partitions is not None:
            by_topic: dict[str, list[int]] = {}
            for t, p in partitions:
                by_topic.setdefault(t, []).append(p)
            topics = [OffsetFetchRequestTopic(t, ps) for t, ps in by_topic.items()]
        req = OffsetFetchRequest(group_id=self.group_id if group_id is None else group_id, topics=topics)
        resp = self._answer("admin", self.send(req, "admin"), OffsetFetchResponse)
        if resp.error_code is not E.NONE:
            raise AssertionError(f"OffsetFetch failed: {resp.error_code!r}")
        return {(t.name, p.partition_index): (p.committed_offset, p.committed_leader_epoch, p.metadata)
                for t in resp.topics for p in t.partitions}

    # ------------------------------------------------------------------ scenarios

    def complete_join(self) -> None:
        """Fire timers until the join phase is over (used when a delayed join is pending)."""
        while self.state is S.PREPARING_REBALANCE and self.c.next_deadline() is not None:
            self.advance_to(max(self.now, self.c.next_deadline()))

    def join_and_sync(self, *names: str, assignments: Optional[dict[str, bytes]] = None) -> None:
        """Every name (re)joins, the join phase completes, the leader and then the others
        sync; the group ends Stable.  Assignments default to ``name.encode()``."""
        for n in names:
            self.join(n)
        self.complete_join()
        assert self.state is S.COMPLETING_REBALANCE, self.state
        leader = self.leader
        assignments = {n: n.encode() for n in self.members} if assignments is None else assignments
        self.sync(leader, assignments)
        for n in self.members:
            if n != leader:
                self.sync(n)
        assert self.state is S.STABLE, self.state

    # ------------------------------------------------------------------ time

    def advance_to(self, t: int) -> list[tr.TimerFired]:
        """Move the clock to ``t``, firing each due timer at its own deadline; return what fired."""
        if t < self.now:
            raise ValueError(f"advance_to({t}) is in the past (now={self.now})")
        start = len(self.c.trace)
        while (d := self.c.next_deadline()) is not None and d <= t:
            self.now = max(self.now, d)
            self._collect(self.c.on_timer(self.now))
        self.now = t
        self._collect(self.c.on_timer(t))
        return [e for e in self.c.trace[start:] if isinstance(e, tr.TimerFired)]

    def advance(self, ms: int) -> list[tr.TimerFired]:
        return self.advance_to(self.now + ms)

    def sleep(self, ms: int) -> list[tr.TimerFired]:
        """Kafka-test style: jump the clock by ``ms``, then fire everything due at once."""
        start = len(self.c.trace)
        self.now += ms
        self._collect(self.c.on_timer(self.now))
        return [e for e in self.c.trace[start:] if isinstance(e, tr.TimerFired)]

    def deadline(self, kind: str, name: Optional[str] = None, *, member_id: Optional[str] = None) -> Optional[int]:
        """Deadline of the group's ``"heartbeat"`` timer of a member, its ``"join"`` or ``"sync"`` timer, or the
        coordinator's ``"offsets-expiry"`` timer (see :mod:`kafkalab.timers`)."""
        key: TimerKey
        if kind == "heartbeat":
            key = HeartbeatTimer(self.group_id, member_id if member_id is not None else self.id(name))
        elif kind == "join":
            key = JoinTimer(self.group_id)
        elif kind == "sync":
            key = SyncTimer(self.group_id)
        elif kind == "offsets-expiry":
            key = OffsetsExpiryTimer()
        else:
            raise ValueError(f"Harness.deadline: unknown timer kind {kind!r}")
        timer = self.c.timers.get(key)
        return None if timer is None else timer.deadline

    def unload(self, group_id: Optional[str] = None) -> list[Reply]:
        """This broker loses the group's ``__consumer_offsets`` partition (replies collected)."""
        return self._collect(self.c.unload_partition(self.c.partition_of(group_id or self.group_id), self.now))

    def load(self, group_id: Optional[str] = None, *, loading: bool = False) -> list[Reply]:
        """This broker becomes leader of the group's partition and reads it from the log."""
        return self._collect(self.c.load_partition(self.c.partition_of(group_id or self.group_id), self.now,
                                                   loading=loading))

    def finish_loading(self, group_id: Optional[str] = None) -> list[Reply]:
        return self._collect(self.c.finish_loading(self.c.partition_of(group_id or self.group_id), self.now))

    def make_dead(self) -> None:
        """Put the group in Dead but leave it in the coordinator, as Kafka's tests do with
        ``group.transitionTo(DEAD)`` (kafkalab drops an unloaded group, so a request can
        otherwise never meet a Dead group)."""
        transition(self.c.runtime, self.group, Trigger.UNLOADED)

    # ------------------------------------------------------------------ observations

    def replies_to(self, name: str, kind: Optional[type] = None) -> list[Any]:
        return [r.response for r in self.replies
                if r.origin == name and (kind is None or isinstance(r.response, kind))]

    def last(self, name: str, kind: Optional[type] = None) -> Any:
        got = self.replies_to(name, kind)
        return got[-1] if got else None

    def events(self, kind: type) -> list[Any]:
        return [e for e in self.c.trace if isinstance(e, kind)]

    @property
    def group(self):
        return self.c.groups.get(self.group_id)

    @property
    def state(self) -> Optional[GroupState]:
        g = self.group
        return None if g is None else g.state

    @property
    def generation(self) -> int:
        return self.group.generation_id

    @property
    def leader(self) -> Optional[str]:
        return self.name(self.group.leader_id)

    @property
    def members(self) -> list[str]:
        g = self.group
        return [] if g is None else [self.name(m) for m in g.members]

    @property
    def pending(self) -> list[str]:
        return [self.name(m) for m in self.group.pending_join_members]

    @property
    def protocol(self) -> Optional[str]:
        return self.group.protocol_name
