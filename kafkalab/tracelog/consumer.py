"""One consumer's records turned into player events: what every client's log shows alike.

How it works
------------
A :class:`Consumer` walks its consumer's records (:mod:`.records`) in time order, matches each
message against the client's templates (:func:`kafkalab.logformat.match`) and calls the handler
named after the template's key (``on_joined`` for ``"joined"``).  The handlers are the client's
(:class:`.librdkafka.RdConsumer`, :class:`.java.JavaConsumer`); what they share is here: a request
and its answer written as a ``MessageSent`` and a ``MessageDelivered`` each (correlated, addressed
to the coordinator the log last named), the member's state as the Java client names it (UNJOINED,
PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE) with its member id and generation, and the
rebalance callbacks with the partitions the consumer owns.  A state change is written only when the
state, member id or generation changes.  ``out`` holds ``(time, event)`` in the order they were
emitted; times are milliseconds since the first line of the whole log.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import logformat as lf
from ..consumer_protocol import encode_assignment
from ..errors import ErrorCode
from ..messages import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    JoinGroupResponseMember,
    LeaveGroupRequest,
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
)
from ..sim import events as ev
from .records import Record

UNJOINED, PREPARING, COMPLETING, STABLE = "UNJOINED", "PREPARING_REBALANCE", "COMPLETING_REBALANCE", "STABLE"


class Consumer:
    """One consumer's records turned into events (``out``: ``(at, event)`` in emission order)."""

    client = ""

    def __init__(self, name: str, records: list[Record], t0: float) -> None:
        self.name = name
        self.records = records
        self.t0 = t0
        self.out: list[tuple[int, Any]] = []
        self.group: Optional[str] = None
        self.state = UNJOINED
        self.member_id = ""
        self.generation = -1
        self.protocol: Optional[str] = None
        self.leader = False
        self._identity = ("", -1)
        self.owned: set = set()
        self.corr = 0
        self.coordinator: Optional[str] = None
        self.pending: dict[str, tuple[int, str]] = {}
        self.closing = False
        self.leave_reason: Optional[ev.ClientStateReason] = None
        self.instance_id: Optional[str] = None

    def at(self, r: Record) -> int:
        return int(round(r.ts - self.t0))

    def emit(self, at: int, event: Any) -> None:
        self.out.append((at, event))

    def matched(self, r: Record) -> Optional[tuple[lf.Template, dict]]:
        return lf.match(self.client, r.line.message)

    def run(self) -> None:
        for i, r in enumerate(self.records):
            if self.group is None and r.line.group:
                self.group = r.line.group
            if r.config is not None:
                self.on_config(r)
                continue
            found = self.matched(r)
            if found is None:
                continue
            template, values = found
            if self.group is None and values.get("group"):
                self.group = values["group"]
            handler = getattr(self, "on_" + template.key, None)
            if handler is not None:
                handler(i, r, values)

    # -- shared helpers

    def broker(self) -> str:
        return self.coordinator or "broker-coordinator"

    def request(self, at: int, dst: str, message: Any, kind: str) -> int:
        self.corr += 1
        self.emit(at, ev.MessageSent(at, self.name, dst, message, self.corr))
        self.emit(at, ev.MessageDelivered(at, self.name, dst, message, self.corr, at))
        self.pending[kind] = (self.corr, dst)
        return self.corr

    def answer(self, at: int, kind: str, message: Any, sent_at: Optional[int] = None) -> None:
        corr, src = self.pending.pop(kind, (None, self.broker()))
        if corr is None:  # the request is not in the log (it was sent before the log starts)
            self.corr += 1
            corr = self.corr
        self.emit(at, ev.MessageSent(at, src, self.name, message, corr))
        self.emit(at, ev.MessageDelivered(at, src, self.name, message, corr, at if sent_at is None else sent_at))

    def set_state(self, at: int, new: str, reason: ev.ClientStateReason, code: Optional[ErrorCode] = None,
                  leader: bool = False) -> None:
        identity = (self.member_id, self.generation)
        if new != self.state or identity != self._identity:
            self.emit(at, ev.ClientStateChanged(at, self.name, self.state, new, reason, self.member_id,
                                                self.generation, code, leader))
            self._identity = identity
            self.state = new

    def assigned(self, at: int, partitions) -> None:
        parts = tuple(sorted(partitions))
        self.emit(at, ev.PartitionsAssigned(at, self.name, parts, self.generation))
        self.owned |= set(parts)

    def revoked(self, at: int, partitions, lost: bool = False) -> None:
        parts = tuple(sorted(partitions))
        self.emit(at, ev.PartitionsRevoked(at, self.name, parts, lost))
        self.owned -= set(parts)

    def join_request(self, at: int) -> None:
        self.set_state(at, PREPARING, ev.ClientStateReason.JOIN_GROUP_SENT)
        self.request(at, self.broker(), JoinGroupRequest(
            group_id=self.group or "", member_id=self.member_id, group_instance_id=self.instance_id,
            client_id=self.name, protocol_type="consumer"), "join")

    def join_answered(self, at: int, code: ErrorCode, generation: int, protocol: Optional[str], leader_id: str,
                      member_id: str, members: tuple) -> None:
        self.answer(at, "join", JoinGroupResponse(
            error_code=code, generation_id=generation, protocol_type="consumer" if code is ErrorCode.NONE else None,
            protocol_name=protocol, leader=leader_id, member_id=member_id,
            members=tuple(JoinGroupResponseMember(m) for m in members)))
        if code is ErrorCode.NONE:
            self.member_id, self.generation, self.protocol = member_id, generation, protocol
            self.leader = bool(leader_id) and leader_id == member_id
            self.set_state(at, COMPLETING, ev.ClientStateReason.JOIN_GROUP_ANSWERED, leader=self.leader)
            return
        if code is ErrorCode.MEMBER_ID_REQUIRED:
            self.member_id = member_id
        elif code is ErrorCode.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.JOIN_GROUP_ERROR, code)

    def sync_request(self, at: int, plan: Optional[dict]) -> None:
        assignments = tuple(SyncGroupRequestAssignment(m, encode_assignment(ps)) for m, ps in (plan or {}).items())
        self.request(at, self.broker(), SyncGroupRequest(
            group_id=self.group or "", generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.instance_id, protocol_type="consumer", protocol_name=self.protocol,
            assignments=assignments), "sync")

    def sync_answered(self, at: int, code: ErrorCode, partitions: Optional[tuple]) -> None:
        assignment = encode_assignment(partitions) if partitions is not None else b""
        self.answer(at, "sync", SyncGroupResponse(
            error_code=code, protocol_type="consumer" if code is ErrorCode.NONE else None,
            protocol_name=self.protocol if code is ErrorCode.NONE else None,
            assignment=assignment if code is ErrorCode.NONE else b""))
        if code is ErrorCode.NONE:
            self.set_state(at, STABLE, ev.ClientStateReason.SYNC_GROUP_ANSWERED)
            return
        if code is ErrorCode.UNKNOWN_MEMBER_ID:
            self.member_id, self.generation = "", -1
        elif code is ErrorCode.ILLEGAL_GENERATION:
            self.generation = -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.SYNC_GROUP_ERROR, code)

    def heartbeat_failed(self, sent_at: int, at: int, generation: int, code: ErrorCode) -> None:
        self.request(sent_at, self.broker(), HeartbeatRequest(
            group_id=self.group or "", generation_id=generation, member_id=self.member_id,
            group_instance_id=self.instance_id), "heartbeat")
        self.answer(at, "heartbeat", HeartbeatResponse(error_code=code), sent_at=sent_at)
        if code is ErrorCode.REBALANCE_IN_PROGRESS:
            if self.state == STABLE:
                self.emit(at, ev.RejoinRequested(at, self.name, ev.RejoinReason.REBALANCE_IN_PROGRESS))
            return
        if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
            self.member_id, self.generation = "", -1
        elif code is ErrorCode.ILLEGAL_GENERATION:
            self.generation = -1
        else:
            return
        self.set_state(at, UNJOINED, ev.ClientStateReason.HEARTBEAT_ERROR, code)

    def on_config(self, r: Record) -> None:
        """A Java consumer's "ConsumerConfig values" block (other clients have none)."""

    def leave_request(self, at: int, member_id: str) -> None:
        self.request(at, self.broker(), LeaveGroupRequest(group_id=self.group or "", member_id=member_id,
                                                          api_version=1), "leave")

    def stopped(self, at: int) -> None:
        self.emit(at, ev.ConsumerStopped(at, self.name, ev.StopKind.CLOSED, tuple(sorted(self.owned))))
        self.owned.clear()
        self.member_id, self.generation = "", -1
        self.set_state(at, UNJOINED, ev.ClientStateReason.CLOSED)
