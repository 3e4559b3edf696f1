"""Drive one group coordinator by hand, as consumers would, and print what it answers.

The notebooks that take the protocol apart (04 SyncGroup, 07 static membership, 09 offsets) send
requests one at a time to a :class:`kafkalab.Coordinator` and read its answers.  This module is
their harness, so that a notebook cell shows the requests and the answers, not the code that
prints them:

* :class:`ByHand` - one coordinator and the consumers that talk to it, by name (``"a"``, ``"b"``):
  it remembers each one's member id and generation, builds the requests a Java consumer would send
  (``join``, ``sync``, ``heartbeat``, ``commit``, ``leave``), moves the clock (``at``: the timers
  that are due fire) and prints each request, each answer and what the coordinator did
  (``· group g: Empty -> PreparingRebalance because ...``);
* :func:`print_replies` and :func:`print_group` - for a cell that builds its requests itself and
  hands them to a ``Coordinator``: one line per answer (error code and the fields that matter),
  and the group's state and members.

Member ids are predictable (``a-1``, ``b-2``, ... by default) instead of Kafka's random UUIDs, so
the printed lines repeat from run to run.  Nothing here has a protocol rule of its own: every
answer is the coordinator's.

Example::

    broker = ByHand(session_timeout_ms=10_000, rebalance_timeout_ms=30_000)
    broker.join("a"); broker.join("a")      # MEMBER_ID_REQUIRED, then parked
    broker.at(3_000)                        # the initial delay ends: a is answered
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from ..config import CoordinatorConfig
from ..consumer_protocol import decode_assignment, encode_assignment, encode_subscription
from ..coordinator import Coordinator
from ..errors import ErrorCode
from ..messages import (
    HeartbeatRequest,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    LeaveGroupRequest,
    MemberIdentity,
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
)
from ..trace import MemberRemoved, StateChanged, TimerFired

__all__ = ["ByHand", "numbered_member_ids", "print_replies", "print_group", "reply_error"]

TopicPartition = tuple[str, int]


def numbered_member_ids() -> Callable[[str], str]:
    """A ``new_member_id`` hook for :class:`~kafkalab.Coordinator`: ``a-1``, ``b-2``, ... (the
    client id, a dash and a count), readable where Kafka uses ``<client id>-<random UUID>``."""
    counter = itertools.count(1)
    return lambda client_id: f"{client_id}-{next(counter)}"


def reply_error(response: Any) -> ErrorCode:
    """The error code an answer carries: its own, or for OffsetCommit its first partition's, and for
    LeaveGroup v3+ (one code per member) the first member's when the answer itself is NONE."""
    if type(response).__name__ == "OffsetCommitResponse":
        return response.topics[0].partitions[0].error_code
    code = getattr(response, "error_code", ErrorCode.NONE)
    if type(response).__name__ == "LeaveGroupResponse" and code == ErrorCode.NONE and response.members:
        return response.members[0].error_code
    return code


def print_replies(label: str, replies: Sequence[Any], width: int = 44) -> None:
    """One line per answer of a request sent by hand: ``label`` (the request, as the cell names it),
    who got the answer, its type and error code, and for JoinGroup the generation, member id and
    leader; ``(parked: no answer yet)`` when the request got no answer yet."""
    if not replies:
        print(f"{label:<{width}} (parked: no answer yet)")
    for r in replies:
        resp = r.response
        extra = ""
        if type(resp).__name__ == "JoinGroupResponse":
            extra = f"generation {resp.generation_id}, member id {resp.member_id!r}, leader {resp.leader!r}"
        print(f"{label:<{width}} -> {r.origin}: {type(resp).__name__} {reply_error(resp).name} {extra}")


def print_group(coordinator: Coordinator, group: str = "g", indent: int = 44) -> None:
    """The group as the coordinator has it: state, generation, and each member id with its
    ``group.instance.id``."""
    d = coordinator.describe(group)
    members = ", ".join(f"{m['member_id']} ({m['group_instance_id']})" for m in d["members"])
    print(f"{'':{indent}}    group {d['state']}, generation {d['generation_id']}, members: {members}")


class ByHand:
    """One group coordinator (of group ``group``) and the consumers that talk to it, driven by hand.

    Args:
        group: the group every request names.
        config: the coordinator's configs (default: Kafka's broker defaults).
        session_timeout_ms, rebalance_timeout_ms: what every consumer sends in ``JoinGroup``
            (``session.timeout.ms`` and ``max.poll.interval.ms``).
        protocols: the assignor names every consumer lists (``partition.assignment.strategy``).
        topics: what every consumer subscribes to (in its subscription's bytes).
        show: whether ``join``, ``sync``, ``heartbeat``, ``leave`` and ``at`` print the exchange by
            default (each takes ``show=`` too); ``commit`` prints its row unless given ``show=False``.

    Attributes:
        coordinator: the :class:`~kafkalab.Coordinator`; ``now``: the clock (ms);
        member_id, generation: each consumer's member id and generation, as its answers gave them;
        members_seen: the member list of each consumer's last successful ``JoinGroup`` answer (the
        leader's lists every member with its subscription).
    """

    def __init__(self, group: str = "g", *, config: Optional[CoordinatorConfig] = None,
                 session_timeout_ms: int = 45_000, rebalance_timeout_ms: int = 300_000,
                 protocols: Sequence[str] = ("range",), topics: Sequence[str] = ("orders",),
                 show: bool = True) -> None:
        self.group = group
        self.coordinator = Coordinator(config if config is not None else CoordinatorConfig(),
                                       new_member_id=numbered_member_ids())
        self.session_timeout_ms, self.rebalance_timeout_ms = session_timeout_ms, rebalance_timeout_ms
        self.protocols, self.topics = tuple(protocols), tuple(topics)
        self.show = show
        self.now = 0
        self.member_id: dict[str, str] = {}
        self.generation: dict[str, int] = {}
        self.members_seen: dict[str, tuple] = {}
        self._seen = 0

    # -------------------------------------------------------------- what a consumer sends

    def join(self, who: str, *, show: Optional[bool] = None, now: Optional[int] = None) -> Optional[list]:
        """``who`` sends JoinGroup with the member id it has ('' at first)."""
        req = JoinGroupRequest(group_id=self.group, member_id=self.member_id.get(who, ""), client_id=who,
                               session_timeout_ms=self.session_timeout_ms,
                               rebalance_timeout_ms=self.rebalance_timeout_ms,
                               protocols=[JoinGroupRequestProtocol(p, encode_subscription(list(self.topics)))
                                          for p in self.protocols])
        return self._send(who, req, f"JoinGroup(member_id={req.member_id!r})", show, now)

    def sync(self, who: str, plan: Optional[Mapping[str, Iterable[TopicPartition]]] = None,
             generation: Optional[int] = None, *, show: Optional[bool] = None,
             now: Optional[int] = None) -> Optional[list]:
        """``who`` sends SyncGroup for ``generation`` (default: its own) with ``plan``, the leader's
        ``{member id: [(topic, partition), ...]}`` (a follower sends none)."""
        gen = self.generation[who] if generation is None else generation
        assignments = [SyncGroupRequestAssignment(m, encode_assignment(list(tps))) for m, tps in (plan or {}).items()]
        req = SyncGroupRequest(group_id=self.group, generation_id=gen, member_id=self.member_id.get(who, who),
                               assignments=assignments)
        n = len(assignments)
        return self._send(who, req, f"SyncGroup(generation={gen}, {n} assignment{'s' if n != 1 else ''})", show, now)

    def heartbeat(self, who: str, generation: Optional[int] = None, *, show: Optional[bool] = None,
                  now: Optional[int] = None) -> Optional[list]:
        """``who`` sends Heartbeat with its generation (or ``generation``)."""
        gen = self.generation[who] if generation is None else generation
        req = HeartbeatRequest(group_id=self.group, generation_id=gen, member_id=self.member_id[who])
        return self._send(who, req, f"Heartbeat(generation={req.generation_id})", show, now)

    def leave(self, who: str, *, show: Optional[bool] = None, now: Optional[int] = None) -> Optional[list]:
        """``who`` sends LeaveGroup (v3+: one member identity)."""
        req = LeaveGroupRequest(group_id=self.group, members=(MemberIdentity(self.member_id[who]),))
        return self._send(who, req, "LeaveGroup", show, now)

    #: the header of the rows :meth:`commit` prints
    COMMIT_HEADER = f"{'group state before':<30} {'member':<12} {'group':<6} {'request':<20}  ->  answer"

    def commit(self, who: str, generation: int, offset: int, *, now: Optional[int] = None,
               group: Optional[str] = None, version: int = 8, topic: str = "orders", partition: int = 0,
               show: bool = True) -> ErrorCode:
        """``who`` commits ``offset`` of ``topic``-``partition`` naming ``generation``; returns the
        partition's error code.  ``who`` is a consumer's name, any other member id (sent as it is),
        or ``""`` for a commit from outside the group (the admin client, or ``assign()``).  Printed
        as one row under :attr:`COMMIT_HEADER`: the group's state before, who, the request, the answer."""
        group = self.group if group is None else group
        if now is not None:
            self.now = now
        before = self.coordinator.describe(group)
        request = OffsetCommitRequest(group_id=group, generation_id=generation,
                                      member_id=self.member_id.get(who, who), api_version=version,
                                      topics=(OffsetCommitRequestTopic(topic, (OffsetCommitRequestPartition(
                                          partition, offset),)),))
        code = reply_error(self.coordinator.handle(request, who or "admin", self.now)[0].response)
        self._seen = len(self.coordinator.trace)
        if show:
            state = (f"{before['state']} (gen {before['generation_id']})" if before["state"] != "Dead"
                     else "no such group")
            print(f"{state:<30} {who or '(no member)':<12} {group:<6} generation {generation:>2}, v{version}  ->  "
                  f"{code.name}")
        return code

    # -------------------------------------------------------------- time and shortcuts

    def at(self, t: int, *, show: Optional[bool] = None) -> Optional[list]:
        """Move the clock to ``t`` ms; the coordinator fires the timers that are due."""
        self.now = t
        if self.show if show is None else show:
            print(f"{t:>6} ms  (clock)")
        return self._out(self.coordinator.on_timer(t), show)

    def form(self, *names: str) -> None:
        """Quietly: each consumer joins (with the MEMBER_ID_REQUIRED round trip), then the clock runs
        to each due timer until the join phase is over; prints the group's state."""
        for n in names:
            self.join(n, show=False)
            self.join(n, show=False)
        while self.coordinator.describe(self.group)["state"] == "PreparingRebalance":
            deadline = self.coordinator.next_deadline()
            if deadline is None:
                break
            self.at(max(deadline, self.now), show=False)
        d = self.coordinator.describe(self.group)
        print(f"group {self.group}: {d['state']}, generation {d['generation_id']}, leader {d['leader_id']}")

    def describe(self) -> dict:
        """The coordinator's ``describe()`` of the group."""
        return self.coordinator.describe(self.group)

    # -------------------------------------------------------------- plumbing

    def _send(self, who: str, req: Any, text: str, show: Optional[bool], now: Optional[int]) -> Optional[list]:
        show = self.show if show is None else show
        if now is not None:
            self.now = now
        if show:
            print(f"{self.now:>6} ms  {who} -> {text}")
        replies = self.coordinator.handle(req, who, self.now)
        if show and not any(r.origin == who for r in replies):
            print("           (parked: no answer yet)")
        return self._out(replies, show)

    def _out(self, replies: list, show: Optional[bool]) -> Optional[list]:
        """Print what happened (``show``) and return None, or return the replies (not shown)."""
        show = self.show if show is None else show
        for e in self.coordinator.trace[self._seen:]:
            if show and isinstance(e, (StateChanged, TimerFired, MemberRemoved)):
                print(f"           · {e.describe()}")
        self._seen = len(self.coordinator.trace)
        for r in replies:
            resp, kind = r.response, type(r.response).__name__.replace("Response", "")
            code = reply_error(resp)
            text = f"{kind} {code.name} ({code.value})"
            if kind == "JoinGroup" and resp.member_id:
                self.member_id[r.origin] = resp.member_id
                if code == ErrorCode.NONE:
                    self.generation[r.origin] = resp.generation_id
                    self.members_seen[r.origin] = resp.members
                    text += (f", generation {resp.generation_id}, leader {resp.leader}, "
                             f"members {[m.member_id for m in resp.members]}")
                else:
                    text += f", member id {resp.member_id}"
            if kind == "SyncGroup" and code == ErrorCode.NONE:
                parts = decode_assignment(resp.assignment).assigned_partitions if resp.assignment else []
                text += f", assignment {[f'{t}-{p}' for t, p in parts]}"
            if show:
                print(f"           <- {r.origin}: {text}")
        return None if show else replies
