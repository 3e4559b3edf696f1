"""librdkafka's ``debug=cgrp`` log read into player events.

How it works
------------
:class:`RdConsumer` is a :class:`~.consumer.Consumer` with one handler per librdkafka template
(:data:`kafkalab.logformat.LIBRDKAFKA`), matched by facility and message.  librdkafka logs its join
states (init, wait-join, wait-metadata, wait-sync, wait-assign-call, steady, ...), its JoinGroup,
SyncGroup and LeaveGroup answers, heartbeats answered with an error and the rebalance ops it hands
the application; what a line does not say is read from the lines around it:

* the partitions of an assignment from the "List with N partition(s):" lines that follow it;
* the leader's plan from the ``ASSIGN`` lines after its assignor ran, and the group's members
  from the subscriptions it lists after its JoinGroup answer;
* which partitions a rebalance callback got: a delegated assign or revoke is applied when the
  application's op is received, from the last SyncGroup assignment and the partitions owned;
* brokers by node id (``127.0.0.1:9092/0`` is ``broker-0``; a bootstrap address by the id it
  turned out to have).

A JoinGroup or SyncGroup whose answer is a local error (``Local: ...``) was never answered: the
consumer lost its coordinator.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import logformat as lf
from ..errors import ErrorCode
from ..messages import FindCoordinatorRequest, FindCoordinatorResponse, LeaveGroupResponse
from ..sim import events as ev
from .consumer import UNJOINED, Consumer
from .records import Record

_ITEM = re.compile(r"^\s+(?P<topic>\S+) \[(?P<partition>-?\d+)\]")
_BROKER = re.compile(r"^(?P<addr>\S+?)/(?P<id>\d+|bootstrap)$")


class RdConsumer(Consumer):
    """librdkafka's ``debug=cgrp`` lines (its join states: init, wait-join, wait-metadata, wait-sync,
    wait-assign-call, steady, wait-unassign-call, ...)."""

    client = "librdkafka"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.addresses: dict[str, int] = {}
        self.queries: dict[str, int] = {}
        self.heartbeat_sent: Optional[tuple[int, int]] = None
        self.plan: Optional[dict] = None
        self.sync_assignment: tuple = ()
        self.group_assignment: tuple = ()
        self.lost = False
        self.delegated: Optional[tuple[str, tuple, bool]] = None
        self.last_member_id = ""

    def matched(self, r: Record) -> Optional[tuple[lf.Template, dict]]:
        return lf.match(self.client, r.line.message, r.line.logger)

    def broker_name(self, prefix: str) -> str:
        """``127.0.0.1:9092/0`` -> ``broker-0``; a bootstrap address by the id it turned out to have."""
        m = _BROKER.match(prefix)
        if not m:
            return prefix
        if m.group("id") != "bootstrap":
            self.addresses.setdefault(m.group("addr"), int(m.group("id")))
            return f"broker-{m.group('id')}"
        node = self.addresses.get(m.group("addr"))
        return f"broker-{node}" if node is not None else f"broker-{m.group('addr')}"

    def items(self, i: int, facility: str) -> tuple:
        """The partitions listed by the lines of ``facility`` that follow record ``i``."""
        out = []
        for r in self.records[i + 1:]:
            if r.line.logger != facility:
                break
            m = _ITEM.match(r.line.message)
            if not m:
                break
            out.append((m.group("topic"), int(m.group("partition"))))
        return tuple(out)

    def next_list(self, i: int, facility: str, stop: tuple[str, ...] = ()) -> Optional[tuple]:
        """The partitions of the next "List with N partition(s):" of ``facility`` after record ``i``."""
        for j in range(i + 1, min(i + 40, len(self.records))):
            r = self.records[j]
            if r.line.logger == facility and r.line.message.startswith("List with "):
                return self.items(j, facility)
            if r.line.logger in stop:
                return None
        return None

    # -- coordinator

    def on_coordinator_query(self, i: int, r: Record, v: dict) -> None:
        self.queries[v["broker"]] = self.at(r)

    def on_coordinator_is(self, i: int, r: Record, v: dict) -> None:
        node = int(v["node_id"])
        self.addresses[f"{v['host']}:{v['port']}"] = node
        coordinator = f"broker-{node}"
        if coordinator == self.coordinator:
            return  # librdkafka asks again now and then; only a change is news
        at = self.at(r)
        asked = self.broker_name(v["broker"])
        self.request(self.queries.get(v["broker"], at), asked,
                     FindCoordinatorRequest(key=self.group or v["group"], key_type=0), "find")
        self.answer(at, "find", FindCoordinatorResponse(node_id=node, host=v["host"], port=int(v["port"])))
        self.coordinator = coordinator

    # -- join and sync

    def on_joining(self, i: int, r: Record, v: dict) -> None:
        self.member_id = v["member_id"]
        if self.coordinator is None:
            self.coordinator = self.broker_name(v["broker"])
        self.join_request(self.at(r))

    def on_join_response(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        if code is None:  # a local error: the request failed without an answer
            self.pending.pop("join", None)
            self.set_state(at, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
            return
        members: tuple = ()
        if code is ErrorCode.NONE and v["me"]:
            members = self.subscribers(i) or ("",) * int(v["member_count"])
        self.join_answered(at, code, int(v["generation_id"]), v["protocol"] or None, v["leader_id"], v["member_id"],
                           members)

    def subscribers(self, i: int) -> tuple:
        """The member ids the leader lists when it runs the assignor after JoinGroup answer ``i``."""
        out = []
        for r in self.records[i + 1:i + 400]:
            if r.line.logger == "JOINGROUP" and r.line.message.startswith("JoinGroup response"):
                break
            found = lf.TEMPLATES["librdkafka"]["subscription_member"].match(r.line.message)
            if found and r.line.logger == "ASSIGN":
                out.append(found["member_id"])
            elif r.line.logger == "ASSIGNOR":
                break
        return tuple(out)

    def on_leader_plan(self, i: int, r: Record, v: dict) -> None:
        plan: dict[str, list] = {}
        member_line = lf.TEMPLATES["librdkafka"]["leader_plan_member"]
        for j in range(i + 1, len(self.records)):
            rec = self.records[j]
            if rec.line.logger != "ASSIGN":
                break
            found = member_line.match(rec.line.message)
            if found:
                plan[found["member_id"]] = list(self.items(j, "ASSIGN"))
            elif not _ITEM.match(rec.line.message):
                break
        self.plan = plan

    def on_assignor_run(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.AssignmentPerformed(at, self.name, v["assignor"], int(v["member_count"]), self.generation))

    def on_join_state(self, i: int, r: Record, v: dict) -> None:
        if v["new_state"] == "wait-sync":
            self.sync_request(self.at(r), self.plan if self.leader else None)
            self.plan = None

    def on_sync_response(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        if code is None:
            self.pending.pop("sync", None)
            self.set_state(at, UNJOINED, ev.ClientStateReason.COORDINATOR_LOST)
            return
        partitions = self.next_list(i, "ASSIGNMENT", stop=("JOINGROUP", "SYNCGROUP")) if code is ErrorCode.NONE else None
        if partitions is not None:
            self.sync_assignment = partitions
        self.sync_answered(at, code, partitions if partitions is not None else ())

    # -- the application's rebalance callbacks

    def on_group_assignment_set(self, i: int, r: Record, v: dict) -> None:
        listed = self.next_list(i, "GRPASSIGNMENT")
        self.group_assignment = listed if listed is not None else self.sync_assignment

    def on_group_assignment_cleared(self, i: int, r: Record, v: dict) -> None:
        self.group_assignment = ()

    def on_lost(self, i: int, r: Record, v: dict) -> None:
        self.lost = True

    def on_not_lost(self, i: int, r: Record, v: dict) -> None:
        self.lost = False

    def on_delegating(self, i: int, r: Record, v: dict) -> None:
        if v["action"] == "assign":
            parts = self.sync_assignment
        else:
            parts = self.group_assignment or tuple(sorted(self.owned))
        self.delegated = (v["action"], tuple(parts), self.lost)

    def on_delegating_incremental(self, i: int, r: Record, v: dict) -> None:
        count = int(v["count"])
        owned = set(self.owned)
        if v["action"] == "assign":
            parts = tuple(sorted(set(self.sync_assignment) - owned))
        else:
            moving = tuple(sorted(owned - set(self.sync_assignment)))
            parts = moving if len(moving) == count else tuple(sorted(owned))
        self.delegated = (v["action"], parts, self.lost)

    def on_received_op(self, i: int, r: Record, v: dict) -> None:
        if "ASSIGN" not in v["op"] or self.delegated is None:
            return
        action, parts, lost = self.delegated
        self.delegated = None
        at = self.at(r)
        if action == "assign":
            self.assigned(at, parts)
        else:
            self.revoked(at, parts, lost)

    # -- heartbeats, the poll timeout, leaving

    def on_heartbeat(self, i: int, r: Record, v: dict) -> None:
        self.heartbeat_sent = (self.at(r), int(v["generation_id"]))

    def on_heartbeat_error(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        code = lf.error_from_librdkafka(v["rd_error"])
        sent_at, generation = self.heartbeat_sent or (at, self.generation)
        self.heartbeat_sent = None
        if code is None:
            if "transport" in v["rd_error"].lower():
                self.emit(at, ev.CoordinatorUnknown(at, self.name, ev.CoordinatorUnknownReason.DISCONNECTED,
                                                    "heartbeat", self.coordinator))
            return
        self.heartbeat_failed(sent_at, at, generation, code)

    def on_max_poll(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.PollTimeoutExpired(at, self.name, int(v["ms"])))
        self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT

    def on_member_id(self, i: int, r: Record, v: dict) -> None:
        old, new = v["old"], v["new"]
        if old not in ("", "(not-set)"):
            self.last_member_id = old
        self.member_id = "" if new == "(not-set)" else new

    def on_leave(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.leave_request(at, self.member_id or self.last_member_id)
        if self.leave_reason is not None:
            self.member_id, self.generation = "", -1
            self.set_state(at, UNJOINED, self.leave_reason)
            self.leave_reason = None

    def on_leave_response(self, i: int, r: Record, v: dict) -> None:
        if "leave" in self.pending:
            self.answer(self.at(r), "leave", LeaveGroupResponse(error_code=ErrorCode.NONE))

    def on_leave_error(self, i: int, r: Record, v: dict) -> None:
        code = lf.error_from_librdkafka(v["rd_error"])
        if "leave" in self.pending and code is not None:
            self.answer(self.at(r), "leave", LeaveGroupResponse(error_code=code))

    def on_closing(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.closing = True
        self.emit(at, ev.ConsumerClosing(at, self.name))

    def on_closed(self, i: int, r: Record, v: dict) -> None:
        self.stopped(self.at(r))
