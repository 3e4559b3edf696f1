"""Show what real Kafka clients did: a :mod:`kafkalab.wire` run in the shape the player reads.

The wire server's coordinators trace what they received and answered
(:class:`~kafkalab.trace.RequestReceived` / :class:`~kafkalab.trace.ResponseSent`, with an
``Origin(connection, correlation_id, api_version)``).  :func:`wire_events` turns those traces into
the simulated world's event shape - a :class:`~kafkalab.sim.events.MessageDelivered` per request
and per answer, each coordinator event wrapped in a
:class:`~kafkalab.sim.events.CoordinatorEvent` - so :class:`~kafkalab.viz.Player`, the sequence
diagram and the plots work on real clients exactly as on simulated ones.  Clients are named by
the ``client.id`` they sent in JoinGroup or ConsumerGroupHeartbeat (set a distinct ``client.id``
per consumer to tell them apart), and each coordinator event's ``origin`` becomes ``(client name,
correlation id)`` as in the simulated world.  Only the coordinator's side is known: there are no
client-side states or callbacks.

:func:`wire_steps` tells a classic group's run itself; a consumer group's (KIP-848) goes to the
simulation's :func:`~kafkalab.viz.steps.build_steps` with ``real_clients=True``, so its steps and
sentences are the ones the simulated consumer-protocol runs get.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..consumer_protocol import decode_assignment
from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, JoinGroupRequest
from ..modern import events as mev
from ..sim import events as ev
from ..trace import GroupView, MemberAdded, MemberRemoved, RequestReceived, ResponseSent, StateChanged
from ..trace import TimerFired, TimerKind, api_name
from .steps import MemberRow, Step, build_steps, short_member_id


def wire_events(source: Any) -> list:
    """Events for :class:`~kafkalab.viz.Player` from a wire ``Server`` (or its ``traces`` dict
    ``{broker id: [coordinator events]}``), in time order."""
    traces: Mapping[int, list] = source.traces if hasattr(source, "traces") else source
    merged = sorted(((e.at, node, i, e) for node, events in traces.items() for i, e in enumerate(events)),
                    key=lambda x: (x[0], x[1], x[2]))
    # Name clients by the client.id of their JoinGroup; later requests (on any connection) are
    # recognised by the member id the coordinator handed out.
    by_conn: dict[Any, str] = {}
    by_member: dict[str, str] = {}
    for _, _, _, e in merged:
        if isinstance(e, RequestReceived) and isinstance(e.request, (JoinGroupRequest, ConsumerGroupHeartbeatRequest)):
            name = by_conn.setdefault(_connection(e.origin), e.request.client_id or "client")
            if isinstance(e.request, ConsumerGroupHeartbeatRequest) and e.request.member_id:
                by_member.setdefault(e.request.member_id, name)  # KIP-1082: the client made its member id
        elif isinstance(e, ResponseSent) and (type(e.response).__name__ == "JoinGroupResponse"
                                              or isinstance(e.response, ConsumerGroupHeartbeatResponse)):
            name = by_conn.get(_connection(e.origin))
            if name and e.response.member_id:
                by_member.setdefault(e.response.member_id, name)
    unnamed: dict[Any, str] = {}
    correlation: dict[tuple, int] = {}
    out: list = []
    for at, node, _, e in merged:
        broker = f"broker-{node}"
        if not isinstance(e, (RequestReceived, ResponseSent)):
            out.append(ev.CoordinatorEvent(at, node, e))
            continue
        conn = _connection(e.origin)
        key = (conn if isinstance(conn, (str, int)) else id(conn), getattr(e.origin, "correlation_id", 0))
        corr = correlation.setdefault(key, len(correlation) + 1)
        if isinstance(e, RequestReceived):
            name = (by_member.get(getattr(e.request, "member_id", "") or "") or by_conn.get(conn)
                    or unnamed.setdefault(conn, f"client-{len(unnamed) + 1}"))
            correlation[("name", corr)] = name
            out.append(ev.MessageSent(at, name, broker, e.request, corr))
            out.append(ev.MessageDelivered(at, name, broker, e.request, corr, at))
            # The origin as the simulated world's coordinators record it: (client name, correlation id).
            out.append(ev.CoordinatorEvent(at, node, replace(e, origin=(name, corr))))
        else:
            # As in the simulated world, the coordinator's record of its answer comes before the answer.
            name = correlation.get(("name", corr)) or by_conn.get(conn) or unnamed.setdefault(
                conn, f"client-{len(unnamed) + 1}")
            out.append(ev.CoordinatorEvent(at, node, replace(e, origin=(name, corr))))
            out.append(ev.MessageSent(at, broker, name, e.response, corr))
            out.append(ev.MessageDelivered(at, broker, name, e.response, corr, at))
    return out


def _connection(origin: Any) -> Any:
    return getattr(origin, "connection", origin)


# ---------------------------------------------------------------------------- player steps

_REASONS = {
    ErrorCode.REBALANCE_IN_PROGRESS: "the group is rebalancing, so the member must send JoinGroup again",
    ErrorCode.UNKNOWN_MEMBER_ID: "the coordinator does not know this member id (removed, or never joined)",
    ErrorCode.ILLEGAL_GENERATION: "the request carries a generation that is no longer the group's",
    ErrorCode.FENCED_INSTANCE_ID: "another process now holds this group.instance.id",
    ErrorCode.NOT_COORDINATOR: "this broker is not (or no longer) the group's coordinator",
    ErrorCode.COORDINATOR_NOT_AVAILABLE: "the coordinator is not available",
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL: "the member shares no assignor with the group",
}


def wire_steps(source: Any, group: str, *, heartbeats: bool = False) -> tuple[list, list]:
    """Player steps for a wire run, told from the coordinator's side (what it received, answered
    and did).  Returns ``(steps, events)``; use ``Player(steps, trace=events)``.

    A consumer group (the coordinator recorded consumer-group records for ``group``) is told by
    :func:`~kafkalab.viz.steps.build_steps` (``real_clients=True``): ConsumerGroupHeartbeat steps
    with their epochs, the group's state changes, and member rows as the coordinator recorded them.
    The rest of this docstring is about classic groups.

    The group (state, generation, leader, assignor, who is a member) is the coordinator's own, folded
    from its records by :class:`~kafkalab.trace.GroupView`.  Client states in the members table are
    inferred from each client's messages (a JoinGroup sent: PREPARING_REBALANCE; answered:
    COMPLETING_REBALANCE; SyncGroup answered: STABLE), since a real client's own state is not
    visible to the broker.
    """
    events = wire_events(source)
    if any(isinstance(e, ev.CoordinatorEvent) and isinstance(e.event, mev.GroupRecord) and e.event.group_id == group
           for e in events):
        # A consumer group (KIP-848): the simulation's steps and sentences read the same records.
        return build_steps(events, group, heartbeats=heartbeats, real_clients=True), events
    steps: list = []
    view = GroupView(group)
    names: dict[str, str] = {}          # member id -> client name
    rows: dict[str, dict] = {}          # client name -> row fields

    def row(name: str) -> dict:
        return rows.setdefault(name, {"member_id": "", "state": "UNJOINED", "generation": -1, "assignment": ()})

    def add(kind: str, i: int, e: Any, actor: str, sentence: str, transition=None) -> None:
        in_group = {names.get(m, m) for m in view.members}
        leader = names.get(view.leader_id or "", view.leader_id)
        members = tuple(MemberRow(n, r["member_id"], None, r["state"], r["generation"], tuple(r["assignment"]),
                                  n in in_group, n in in_group and leader == n) for n, r in sorted(rows.items()))
        generation = view.generation_id if view.state is not None else 0
        steps.append(Step(len(steps), kind, e.at, e, i, i, actor, sentence, group, view.state, generation,
                          leader, view.protocol_name, members, i if kind in ("request", "response") else None,
                          transition))

    for i, e in enumerate(events):
        if isinstance(e, ev.CoordinatorEvent):
            c = e.event
            view.apply(c)
            if getattr(c, "group_id", None) != group:
                continue
            if isinstance(c, StateChanged):
                add("group-state", i, c, "coordinator", c.describe(), (c.old, c.trigger))
            elif isinstance(c, MemberAdded):
                name = names.get(c.member_id, c.member_id)
                row(name).update(member_id=c.member_id)
                add("note", i, c, "coordinator", f"The coordinator added {name} ({short_member_id(c.member_id)}) "
                    "to the group.")
            elif isinstance(c, MemberRemoved):
                name = names.get(c.member_id, c.member_id)
                if name in rows:
                    rows[name].update(assignment=())
                add("note", i, c, "coordinator", f"The coordinator removed {name}: {c.why}.")
            elif isinstance(c, TimerFired) and c.kind in (TimerKind.JOIN, TimerKind.SYNC):
                add("timer", i, c, "coordinator", c.describe().capitalize() + ".")
            continue
        if not isinstance(e, ev.MessageDelivered) or getattr(e.message, "group_id", group) != group:
            continue
        api = api_name(e.message)
        if api in ("OffsetCommit", "OffsetFetch", "DescribeGroups", "ListGroups", "FindCoordinator"):
            continue
        response = type(e.message).__name__.endswith("Response")
        code = getattr(e.message, "error_code", None)
        code_name = code.name if code is not None and hasattr(code, "name") else ""
        if api == "Heartbeat" and not heartbeats and (not response or code == ErrorCode.NONE):
            continue
        if not response:
            name, m = e.src, e.message
            if api == "JoinGroup":
                row(name)["state"] = "PREPARING_REBALANCE"
                who = f"its member id {short_member_id(m.member_id)}" if m.member_id else "no member id yet"
                sentence = f"{name} sent JoinGroup v{m.api_version} with {who}."
            elif api == "SyncGroup":
                sentence = (f"The leader {name} sent SyncGroup with the assignment of {len(m.assignments)} member(s)."
                            if m.assignments else f"{name} sent SyncGroup with no assignment: it waits for the leader's.")
            elif api == "LeaveGroup":
                sentence = (f"{name} sent LeaveGroup (a dynamic member leaving, e.g. its consumer was closed): the "
                            "coordinator removes it at once instead of waiting for its session to time out.")
            else:
                sentence = f"{name} sent {api}."
            add("request", i, e, name, sentence)
            continue
        name, m = e.dst, e.message
        if api == "JoinGroup":
            if code == ErrorCode.MEMBER_ID_REQUIRED:
                names[m.member_id] = name
                row(name).update(member_id=m.member_id, state="UNJOINED")
                sentence = (f"The coordinator answered {name} MEMBER_ID_REQUIRED with the member id "
                            f"{short_member_id(m.member_id)}: since JoinGroup v4 (KIP-394) a new member sends "
                            "JoinGroup again with that id; until then it is pending, not a member.")
            elif code == ErrorCode.NONE:
                names[m.member_id] = name
                role = "leader" if m.leader == m.member_id else "follower"
                row(name).update(member_id=m.member_id, state="COMPLETING_REBALANCE", generation=m.generation_id)
                extra = (f" and got all {len(m.members)} members' subscriptions to run the {m.protocol_name} assignor"
                         if role == "leader" and m.members else "")
                sentence = f"{name} is the {role} of generation {m.generation_id}{extra}."
            else:
                row(name)["state"] = "UNJOINED"
                sentence = f"{name}'s JoinGroup was answered {code_name}: {_REASONS.get(code, 'see the error code')}."
        elif api == "SyncGroup" and code == ErrorCode.NONE:
            parts = decode_assignment(m.assignment).assigned_partitions if m.assignment else ()
            row(name).update(state="STABLE", assignment=tuple(sorted(parts)))
            sentence = (f"{name} received its assignment for generation {row(name)['generation']}: "
                        f"{ev.format_partitions(parts)}.")
        elif api == "LeaveGroup" and code == ErrorCode.NONE:
            # The member's row ends: it left (a closed consumer, or one past max.poll.interval.ms).
            gone = [names.get(mr.member_id, mr.member_id) for mr in m.members
                    if mr.error_code == ErrorCode.NONE] if m.members else [name]
            for n in gone:
                row(n).update(state="left", generation=-1, assignment=())
            sentence = f"The coordinator answered {name}'s {api} {code_name or 'NONE'}."
        elif code is not None and code != ErrorCode.NONE:
            if code == ErrorCode.REBALANCE_IN_PROGRESS:
                row(name)["state"] = "STABLE" if api == "Heartbeat" else "UNJOINED"
            sentence = f"{name}'s {api} was answered {code_name}: {_REASONS.get(code, 'see the error code')}."
            if api == "Heartbeat" and code == ErrorCode.REBALANCE_IN_PROGRESS:
                sentence = (f"{name}'s heartbeat was answered REBALANCE_IN_PROGRESS: that is how a member learns the "
                            "group is rebalancing; it must send JoinGroup again.")
        else:
            sentence = f"The coordinator answered {name}'s {api} {code_name or 'NONE'}."
        add("response", i, e, name, sentence)
    return steps, events
