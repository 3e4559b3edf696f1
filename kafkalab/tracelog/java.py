"""The Java consumer's INFO log read into player events.

How it works
------------
:class:`JavaConsumer` is a :class:`~.consumer.Consumer` with one handler per Java template
(:data:`kafkalab.logformat.JAVA`): the lines of ``ConsumerCoordinator`` (AbstractCoordinator logs
as its subclass), ``ConsumerRebalanceListenerInvoker`` and ``AppInfoParser``.  The Java client logs
what it concluded rather than each request, so a request and its answer are written from the line
that tells the outcome ("Successfully joined group with generation ...", "JoinGroup failed: ...",
"Request joining group due to: ...", ...); an error is read from its ``Errors.message()`` text or
its name.
What one line leaves out is read from a later one: the leader's members from its "Finished
assignment" line, the assignment from "Notifying assignor about the new Assignment(...)", a close
from the LeaveGroup "the consumer is being closed" that follows the revocation.

The consumer's "ConsumerConfig values" block gives its ``client.id``, ``group.instance.id``,
session timeout, assignors and ``max.poll.interval.ms`` (the poll-timeout warning does not say the
value; without the block it is :data:`DEFAULT_MAX_POLL_INTERVAL_MS`).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import logformat as lf
from ..errors import ErrorCode
from ..messages import FindCoordinatorRequest, FindCoordinatorResponse
from ..sim import events as ev
from .consumer import UNJOINED, Consumer
from .records import LogFormatError, Record

#: ``max.poll.interval.ms``'s default; the Java poll-timeout warning does not say the value, so it
#: is read from the consumer's "ConsumerConfig values" block and falls back to this.
DEFAULT_MAX_POLL_INTERVAL_MS = 300_000

_COMMIT_ERROR = re.compile(r"^encountered (\w+) from OFFSET_COMMIT response$")


class JavaConsumer(Consumer):
    """The Java consumer's INFO lines (AbstractCoordinator's MemberState: UNJOINED,
    PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE)."""

    client = "java"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.max_poll_interval_ms = DEFAULT_MAX_POLL_INTERVAL_MS

    def run(self) -> None:
        for r in self.records:
            if r.line.instance_id:
                self.instance_id = r.line.instance_id
                break
        super().run()

    def matched(self, r: Record) -> Optional[tuple[lf.Template, dict]]:
        if r.config is not None:
            return None
        return lf.match(self.client, r.line.message)

    def ahead(self, i: int, keys: tuple[str, ...], stop: tuple[str, ...]) -> Optional[tuple[int, dict]]:
        """The next record after ``i`` matching one of ``keys``, unless one of ``stop`` comes first."""
        for j in range(i + 1, len(self.records)):
            found = self.matched(self.records[j])
            if found is None:
                continue
            if found[0].key in keys:
                return j, found[1]
            if found[0].key in stop:
                return None
        return None

    def on_discovered(self, i: int, r: Record, v: dict) -> None:
        host, port, node = lf.parse_java_node(v["coordinator"])
        at = self.at(r)
        coordinator = f"broker-{node}"
        # The Java log names the coordinator but not the broker that answered FindCoordinator.
        self.request(at, coordinator, FindCoordinatorRequest(key=self.group or "", key_type=0), "find")
        self.answer(at, "find", FindCoordinatorResponse(node_id=node, host=host, port=port))
        self.coordinator = coordinator

    def on_coordinator_unknown(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        cause = v["cause"]
        if v["is_disconnected"] == "true":
            reason = ev.CoordinatorUnknownReason.DISCONNECTED
        elif cause.startswith("session timed out"):
            reason = ev.CoordinatorUnknownReason.SESSION_TIMED_OUT
        elif cause.startswith("error response"):
            reason = None  # the error answer is on a line of its own
        else:
            reason = ev.CoordinatorUnknownReason.REQUEST_TIMED_OUT
        if reason is not None:
            self.emit(at, ev.CoordinatorUnknown(at, self.name, reason, None, self.coordinator))
        self.coordinator = None

    def on_joining(self, i: int, r: Record, v: dict) -> None:
        self.join_request(self.at(r))

    def on_request_rejoin(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        reason = v["reason"]
        if reason.startswith("need to re-join with the given member-id: "):
            member_id = reason.split(": ", 1)[1].strip()
            self.join_answered(at, ErrorCode.MEMBER_ID_REQUIRED, -1, None, "", member_id, ())
        elif reason == "group is already rebalancing":
            self.heartbeat_failed(at, at, self.generation, ErrorCode.REBALANCE_IN_PROGRESS)
        elif reason.startswith("need to revoke partitions"):
            self.emit(at, ev.RejoinRequested(at, self.name, ev.RejoinReason.PARTITIONS_REVOKED))

    def on_heartbeat_rebalancing_2x(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.heartbeat_failed(at, at, self.generation, ErrorCode.REBALANCE_IN_PROGRESS)

    def on_joined(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        generation, member_id, protocol = lf.parse_java_generation(v["generation"])
        finished = self.ahead(i, ("finished_assignment",), stop=("joining", "joined", "synced"))
        members: tuple = ()
        leader_id = ""
        if finished is not None:
            leader_id = member_id
            try:
                members = tuple(lf.parse_java_assignments(finished[1]["assignments"]))
            except ValueError:
                members = ()
        self.join_answered(at, ErrorCode.NONE, generation, protocol, leader_id, member_id, members)
        if not self.leader:
            self.sync_request(at, None)

    def on_finished_assignment(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        try:
            plan = lf.parse_java_assignments(v["assignments"])
        except ValueError as e:
            raise LogFormatError(str(e), r.label, r.number) from None
        self.emit(at, ev.AssignmentPerformed(at, self.name, self.protocol or "?", len(plan), int(v["generation_id"])))
        self.sync_request(at, plan)

    def _join_failed(self, r: Record, code: Optional[ErrorCode]) -> None:
        if code is not None:
            self.join_answered(self.at(r), code, -1, None, "", self.member_id, ())

    def on_join_failed_rejoin(self, i: int, r: Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_join_failed_coordinator(self, i: int, r: Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_join_failed_rebalancing(self, i: int, r: Record, v: dict) -> None:
        self._join_failed(r, ErrorCode.REBALANCE_IN_PROGRESS)

    def on_join_failed_fatal(self, i: int, r: Record, v: dict) -> None:
        self._join_failed(r, lf.error_from_java_message(v["error_message"]))

    def on_synced(self, i: int, r: Record, v: dict) -> None:
        nxt = self.ahead(i, ("notifying_assignor",), stop=("joining", "joined", "synced"))
        partitions = lf.parse_java_assignment(nxt[1]["assignment"]) if nxt is not None else None
        self.sync_answered(self.at(r), ErrorCode.NONE, partitions)

    def on_sync_failed_rebalancing(self, i: int, r: Record, v: dict) -> None:
        self.sync_answered(self.at(r), ErrorCode.REBALANCE_IN_PROGRESS, None)

    def on_sync_failed_rejoin(self, i: int, r: Record, v: dict) -> None:
        code = lf.error_from_java_message(v["error_message"])
        if code is not None:
            self.sync_answered(self.at(r), code, None)

    def on_sync_failed_coordinator(self, i: int, r: Record, v: dict) -> None:
        self.on_sync_failed_rejoin(i, r, v)

    def on_adding(self, i: int, r: Record, v: dict) -> None:
        self.assigned(self.at(r), lf.parse_java_partitions(v["partitions"]))

    def on_revoking(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        if not self.closing:
            leave = self.ahead(i, ("leaving",), stop=("joining", "adding", "revoking", "losing"))
            if leave is not None and leave[1]["reason"] == "the consumer is being closed":
                self.closing = True
                self.emit(at, ev.ConsumerClosing(at, self.name))
        self.revoked(at, lf.parse_java_partitions(v["partitions"]))

    def on_losing(self, i: int, r: Record, v: dict) -> None:
        self.revoked(self.at(r), lf.parse_java_partitions(v["partitions"]), lost=True)

    def on_heartbeat_failed(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        generation, _, _ = lf.parse_java_generation(v["generation"])
        try:
            code = ErrorCode[v["error"]]
        except KeyError:
            return
        self.heartbeat_failed(at, at, generation, code)

    def on_poll_timeout(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        self.emit(at, ev.PollTimeoutExpired(at, self.name, self.max_poll_interval_ms))
        self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT

    def on_leaving(self, i: int, r: Record, v: dict) -> None:
        at = self.at(r)
        if v["reason"] == "the consumer is being closed" and not self.closing:
            self.closing = True
            self.emit(at, ev.ConsumerClosing(at, self.name))
        elif v["reason"].startswith("consumer poll timeout has expired"):
            self.leave_reason = ev.ClientStateReason.POLL_TIMEOUT
        self.leave_request(at, v["member_id"])

    def on_resetting(self, i: int, r: Record, v: dict) -> None:
        commit = _COMMIT_ERROR.match(v["reason"])
        if commit is not None and commit.group(1) in ErrorCode.__members__:
            # An OffsetCommit answer said the member or generation is gone (resetGenerationOnResponseError).
            at = self.at(r)
            if v["and_member_id"]:
                self.member_id = ""
            self.generation = -1
            self.set_state(at, UNJOINED, ev.ClientStateReason.OFFSET_COMMIT_ERROR, ErrorCode[commit.group(1)])
            return
        if v["reason"] != "consumer pro-actively leaving the group":
            return
        if self.leave_reason is not None:
            at = self.at(r)
            self.member_id, self.generation = "", -1
            self.set_state(at, UNJOINED, self.leave_reason)
            self.leave_reason = None

    def on_unregistered(self, i: int, r: Record, v: dict) -> None:
        self.stopped(self.at(r))

    def on_config(self, r: Record) -> None:
        c = r.config
        strategies = c.get("partition.assignment.strategy", "")
        cooperative = bool(strategies) and all("Cooperative" in s for s in re.findall(r"[\w.$]+Assignor", strategies))
        at = self.at(r)
        try:
            session = int(c.get("session.timeout.ms", "45000"))
            self.max_poll_interval_ms = int(c.get("max.poll.interval.ms", str(DEFAULT_MAX_POLL_INTERVAL_MS)))
        except ValueError as e:
            raise LogFormatError(f"a ConsumerConfig value is not a number: {e}", r.label, r.number) from None
        self.instance_id = c.get("group.instance.id") or self.instance_id
        if self.instance_id == "null":
            self.instance_id = None
        self.emit(at, ev.ConsumerStarted(at, self.name, False, c.get("client.id", self.name), self.instance_id,
                                         session, self.max_poll_interval_ms,
                                         "COOPERATIVE" if cooperative else "EAGER"))
