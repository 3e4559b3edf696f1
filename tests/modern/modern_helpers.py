"""A harness driving one :class:`~kafkalab.modern.ConsumerGroupManager` by member *name*.

Tests read as scripts::

    h = Harness({"foo": 6})
    h.join("a")                               # epoch 1, a owns foo-0..5
    h.join("b")                               # epoch 2, b waits (UNRELEASED)
    r = h.heartbeat("a")                      # a must revoke three partitions first
    assert h.owned("a") == {"foo": [...]}

* Member ids are the names (v1 clients generate their own id); ``instance_id=`` makes a member
  static.  The harness keeps each name's *client view*: its last epoch and the partitions its last
  Assignment gave it (what a Java consumer owns after its callbacks ran).
* ``heartbeat(name)`` sends the client's epoch and owned partitions (an acknowledgement);
  ``owned=None`` omits TopicPartitions, ``owned={...}`` reports something else.
* ``advance(ms)`` / ``advance_to(t)`` fire every timer at its own deadline and return the fired
  keys; ``h.trace`` holds every event the manager emitted.
* Topics are named in tests and sent by id: ``h.tid("foo")``; ``h.tps({"foo": [0, 1]})``.

Two small assignors stand in for the server-side assignors (written in another branch) through the
plug-in interface (``name`` + ``assign(group_spec, describer)``): ``StickyAssignor`` ("uniform")
keeps what each member had up to a fair share, ``RangeAssignor`` ("range") recomputes contiguous
ranges and so moves partitions around.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterable, Mapping, Optional

from kafkalab.errors import ErrorCode
from kafkalab.messages import (
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse,
    ConsumerGroupHeartbeatTopicPartitions,
)
from kafkalab.modern import ConsumerGroupConfig, ConsumerGroupManager, MetadataImage
from kafkalab.modern import events as ev
from kafkalab.modern.group import fold
from kafkalab.modern.target import PartitionAssignorError
from kafkalab.modern.timers import is_consumer_timer
from kafkalab.timers import TimerTable

E = ErrorCode
_UNSET: Any = object()


# ---------------------------------------------------------------------------- stand-in assignors

class RangeAssignor:
    """Per topic, its subscribers in member-id order get contiguous ranges (not sticky)."""

    def __init__(self, name: str = "range") -> None:
        self.name = name
        self.calls: list[Any] = []

    def assign(self, group_spec, describer):
        self.calls.append(group_spec)
        members = {m: set() for m in group_spec.member_ids}
        out: dict[str, dict[str, set[int]]] = {m: {} for m in members}
        topics = sorted({t for m in members for t in group_spec.member_subscription(m).subscribed_topic_ids})
        for t in topics:
            n = describer.num_partitions(t)
            if n < 0:
                raise PartitionAssignorError(f"Topic {t} not found")
            subs = sorted(m for m in members if t in group_spec.member_subscription(m).subscribed_topic_ids)
            q, extra = divmod(n, len(subs))
            start = 0
            for i, m in enumerate(subs):
                size = q + (1 if i < extra else 0)
                if size:
                    out[m][t] = set(range(start, start + size))
                start += size
        return SimpleNamespace(members={m: SimpleNamespace(partitions=a) for m, a in out.items()})


class StickyAssignor:
    """Per topic: keep each subscriber's previous partitions up to its fair share, then hand the
    rest to the least loaded subscribers (ties: member id)."""

    def __init__(self, name: str = "uniform") -> None:
        self.name = name
        self.calls: list[Any] = []

    def assign(self, group_spec, describer):
        self.calls.append(group_spec)
        members = list(group_spec.member_ids)
        out: dict[str, dict[str, set[int]]] = {m: {} for m in members}
        load = {m: 0 for m in members}
        topics = sorted({t for m in members for t in group_spec.member_subscription(m).subscribed_topic_ids})
        for t in topics:
            n = describer.num_partitions(t)
            if n < 0:
                raise PartitionAssignorError(f"Topic {t} not found")
            subs = sorted(m for m in members if t in group_spec.member_subscription(m).subscribed_topic_ids)
            quota = -(-n // len(subs))
            taken: set[int] = set()
            for m in subs:
                prev = sorted(p for p in group_spec.member_subscription(m).partitions.get(t, ()) if p < n)
                keep = [p for p in prev if p not in taken][:quota]
                if keep:
                    out[m][t] = set(keep)
                    taken.update(keep)
                    load[m] += len(keep)
            for p in range(n):
                if p in taken:
                    continue
                m = min(subs, key=lambda x: (len(out[x].get(t, ())), load[x], x))
                out[m].setdefault(t, set()).add(p)
                load[m] += 1
        return SimpleNamespace(members={m: SimpleNamespace(partitions=a) for m, a in out.items()})


class FailingAssignor:
    def __init__(self, name: str = "failing") -> None:
        self.name = name

    def assign(self, group_spec, describer):
        raise PartitionAssignorError("no way")


# ---------------------------------------------------------------------------- harness

class Harness:
    """One manager, one group (``group_id``), members addressed by name (see module docstring)."""

    def __init__(self, topics: Optional[Mapping[str, int]] = None, *, group_id: str = "g",
                 assignors: Optional[Iterable[Any]] = None, rebalance_timeout_ms: int = 30_000,
                 start: int = 0, classic_groups: Any = None, **config: Any) -> None:
        # Stand-ins by default; names ("uniform", "range") select kafkalab.modern.assignor's.
        self.assignors = list(assignors) if assignors is not None else [StickyAssignor(), RangeAssignor()]
        cfg = {k if k.startswith("group_") else f"group_consumer_{k}": v for k, v in config.items()}
        self.config = ConsumerGroupConfig(group_consumer_assignors=tuple(self.assignors), **cfg)
        self.timers = TimerTable()
        self.trace: list[Any] = []
        self.image = MetadataImage.of(dict(topics if topics is not None else {"foo": 6}))
        self.mgr = ConsumerGroupManager(self.config, timers=self.timers, emit=self.trace.append,
                                        metadata=self.image, classic_groups=classic_groups)
        self.group_id = group_id
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.now = start
        self.ids: dict[str, str] = {}            # name -> member id
        self.epochs: dict[str, int] = {}         # name -> the client's epoch
        self.assigned: dict[str, dict[str, frozenset[int]]] = {}  # name -> client's partitions (by id)
        self.instance_ids: dict[str, str] = {}
        self.responses: list[tuple[str, ConsumerGroupHeartbeatResponse]] = []

    # ------------------------------------------------------------------ topics

    def tid(self, topic: str) -> str:
        t = self.mgr.metadata.topic(topic)
        assert t is not None, f"no topic {topic}"
        return t.topic_id

    def name_of(self, topic_id: str) -> str:
        t = self.mgr.metadata.topic_by_id(topic_id)
        return t.name if t is not None else topic_id

    def tps(self, partitions: Mapping[str, Iterable[int]]) -> tuple[ConsumerGroupHeartbeatTopicPartitions, ...]:
        """``{"foo": [0, 1]}`` -> TopicPartitions by topic id."""
        return tuple(ConsumerGroupHeartbeatTopicPartitions(self.tid(t), tuple(sorted(ps)))
                     for t, ps in sorted(partitions.items()))

    def by_name(self, a: Mapping[str, Iterable[int]]) -> dict[str, list[int]]:
        """An assignment by topic id -> by topic name, sorted (topics without partitions dropped)."""
        return {self.name_of(t): sorted(ps) for t, ps in sorted(a.items(), key=lambda kv: self.name_of(kv[0])) if ps}

    def set_metadata(self, image: MetadataImage) -> None:
        self.mgr.on_metadata_update(image, self.now)

    def create_topic(self, topic: str, partitions: int) -> None:
        self.set_metadata(self.mgr.metadata.with_topic(topic, partitions))

    def delete_topic(self, topic: str) -> None:
        self.set_metadata(self.mgr.metadata.without_topic(topic))

    # ------------------------------------------------------------------ time

    def advance_to(self, t: int) -> list[tuple]:
        """Fire every timer due up to ``t``, each at its own deadline; return the fired keys."""
        fired = []
        while True:
            deadline = self.timers.next_deadline()
            if deadline is None or deadline > t:
                break
            self.now = max(self.now, deadline)
            timer = self.timers.pop_next_due(self.now)
            assert is_consumer_timer(timer.key)
            fired.append(timer.key)
            self.mgr.on_timer(timer.key, timer.payload, self.now)
        self.now = max(self.now, t)
        return fired

    def advance(self, ms: int) -> list[tuple]:
        return self.advance_to(self.now + ms)

    # ------------------------------------------------------------------ requests

    def send(self, request: ConsumerGroupHeartbeatRequest, name: Optional[str] = None) -> ConsumerGroupHeartbeatResponse:
        resp = self.mgr.consumer_group_heartbeat(request, self.now)
        if name is not None:
            self.responses.append((name, resp))
            if resp.error_code is E.NONE:
                if resp.member_id:
                    self.ids[name] = resp.member_id
                self.epochs[name] = resp.member_epoch
                if resp.assignment is not None:
                    self.assigned[name] = resp.assignment.as_dict()
            elif resp.error_code in (E.FENCED_MEMBER_EPOCH, E.UNKNOWN_MEMBER_ID):
                self.assigned[name] = {}
        return resp

    def join(self, name: str, topics: Optional[Iterable[str]] = ("foo",), *, regex: Optional[str] = None,
             instance_id: Any = _UNSET, member_id: Optional[str] = None, assignor: Optional[str] = None,
             rack_id: Optional[str] = None, rebalance_timeout_ms: Optional[int] = None, version: int = 1,
             **fields: Any) -> ConsumerGroupHeartbeatResponse:
        """Join (epoch 0) as ``name`` with a full request (``topics=None`` sends no names)."""
        if instance_id is not _UNSET:
            self.instance_ids[name] = instance_id
        mid = member_id if member_id is not None else self.ids.get(name, name)
        self.assigned[name] = {}
        req = ConsumerGroupHeartbeatRequest(
            group_id=fields.pop("group_id", self.group_id), member_id=mid, member_epoch=0,
            instance_id=self.instance_ids.get(name), rack_id=rack_id,
            rebalance_timeout_ms=self.rebalance_timeout_ms if rebalance_timeout_ms is None else rebalance_timeout_ms,
            subscribed_topic_names=None if topics is None else tuple(topics), subscribed_topic_regex=regex,
            server_assignor=assignor, topic_partitions=(), api_version=version,
            client_id=fields.pop("client_id", name), **fields)
        return self.send(req, name)

    def heartbeat(self, name: str, *, owned: Any = _UNSET, epoch: Optional[int] = None, full: bool = False,
                  topics: Any = _UNSET, **fields: Any) -> ConsumerGroupHeartbeatResponse:
        """Heartbeat as ``name`` with its epoch, acknowledging what it owns (``owned=None`` omits
        TopicPartitions; a mapping by topic *name* reports that instead)."""
        if owned is _UNSET:
            tp = tuple(ConsumerGroupHeartbeatTopicPartitions(t, tuple(sorted(ps)))
                       for t, ps in sorted(self.assigned.get(name, {}).items()))
        elif owned is None:
            tp = None
        else:
            tp = self.tps(owned)
        if topics is _UNSET:
            names = None
        else:
            names = tuple(topics)
        if full:
            fields.setdefault("rebalance_timeout_ms", self.rebalance_timeout_ms)
            if names is None and "subscribed_topic_regex" not in fields:
                names = tuple(sorted(self.member(name).subscribed_topic_names))
        req = ConsumerGroupHeartbeatRequest(
            group_id=fields.pop("group_id", self.group_id), member_id=fields.pop("member_id", self.ids.get(name, name)),
            member_epoch=self.epochs.get(name, 0) if epoch is None else epoch,
            instance_id=fields.pop("instance_id", self.instance_ids.get(name)), subscribed_topic_names=names,
            topic_partitions=tp, client_id=fields.pop("client_id", name), **fields)
        return self.send(req, name)

    def leave(self, name: str, epoch: Optional[int] = None, **fields: Any) -> ConsumerGroupHeartbeatResponse:
        """-1 (dynamic) or -2 (static) unless ``epoch`` is given."""
        iid = fields.pop("instance_id", self.instance_ids.get(name))
        if epoch is None:
            epoch = -2 if iid is not None else -1
        req = ConsumerGroupHeartbeatRequest(
            group_id=fields.pop("group_id", self.group_id), member_id=fields.pop("member_id", self.ids.get(name, name)),
            member_epoch=epoch, instance_id=iid, client_id=fields.pop("client_id", name), **fields)
        resp = self.send(req, None)
        self.responses.append((name, resp))
        if resp.error_code is E.NONE:
            self.assigned[name] = {}
        return resp

    def settle(self, *names: str, rounds: int = 10) -> None:
        """Let ``names`` (default: every member) heartbeat with acknowledgements until nothing changes."""
        for _ in range(rounds):
            before = self.group.snapshot()
            for n in names or [self.name_of_member(m) for m in list(self.group.members)]:
                self.heartbeat(n)
            if self.group.snapshot() == before:
                return

    # ------------------------------------------------------------------ views

    @property
    def group(self):
        return self.mgr.groups[self.group_id]

    @property
    def state(self) -> str:
        g = self.mgr.groups.get(self.group_id)
        return g.state.value if g is not None else "(none)"

    def name_of_member(self, member_id: str) -> str:
        for n, mid in self.ids.items():
            if mid == member_id:
                return n
        return member_id

    def member(self, name: str):
        return self.group.members[self.ids.get(name, name)]

    def owned(self, name: str) -> dict[str, list[int]]:
        """What ``name``'s client owns (from its last Assignment), by topic name."""
        return self.by_name(self.assigned.get(name, {}))

    def target(self, name: str) -> dict[str, list[int]]:
        return self.by_name(self.group.target_assignment.get(self.ids.get(name, name), {}))

    def records(self, kind: type = ev.GroupRecord) -> list[Any]:
        return [e for e in self.trace if isinstance(e, kind)]

    def check(self) -> None:
        """Invariants that must hold after any call: one owner per partition, the ownership map
        matches the members, folding the trace rebuilds every group."""
        for g in self.mgr.groups.values():
            seen: dict[tuple[str, int], str] = {}
            for m in g.members.values():
                for tp in m.owned():
                    assert tp not in seen, f"{tp} owned by {seen[tp]} and {m.member_id}"
                    seen[tp] = m.member_id
            assert {tp: g.members[mid].member_epoch for tp, mid in seen.items()} == g.partition_epochs()
        rebuilt = fold(self.trace)
        assert set(rebuilt) == set(self.mgr.groups)
        for gid, g in self.mgr.groups.items():
            assert rebuilt[gid].snapshot() == g.snapshot()
