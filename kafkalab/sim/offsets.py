"""The simulated consumer's offsets: commits and committed-offset fetches (``ConsumerCoordinator``).

:class:`OffsetClient` is the part of :class:`~kafkalab.sim.consumer.SimConsumer` that sends
OffsetCommit (auto-commit, ``commitSync()``, the commit before a rebalance and on close) and
OffsetFetch (where to resume newly assigned partitions), and handles their answers as the Java
client's ``ConsumerCoordinator`` does.  A mixin, like
:class:`~kafkalab.sim.coordinator_client.ConsumerCoordinator`.
"""

from __future__ import annotations

from typing import Optional

from ..errors import ErrorCode
from ..messages import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
)
from . import events as ev
from .coordinator_client import COMPLETING_REBALANCE, COORDINATOR_ERRORS, PREPARING_REBALANCE, STABLE

TopicPartition = tuple[str, int]


class OffsetClient:
    """Commits and offset fetches of :class:`~kafkalab.sim.consumer.SimConsumer` (a mixin)."""

    def _send_offset_fetch(self, now: int, partitions) -> None:
        by_topic: dict[str, list[int]] = {}
        for t, p in partitions:
            by_topic.setdefault(t, []).append(p)
        self._send(now, "fetch", OffsetFetchRequest(
            group_id=self.group_id,
            topics=tuple(OffsetFetchRequestTopic(t, tuple(ps)) for t, ps in sorted(by_topic.items())),
            api_version=self.config.offset_fetch_version))

    def _send_commit(self, now: int, why: str, sync: bool = False) -> bool:
        offsets = {tp: off for tp, off in self.positions.items() if tp in self.owned or why != "poll"}
        if not offsets:
            return False
        if self.coordinator is None:
            self.commit_failures.append("coordinator unknown")
            self.world._record(ev.CommitFailed(now, self.name, ev.CommitFailureReason.COORDINATOR_UNKNOWN,
                                               tuple(sorted(offsets))))
            return False
        if self.state != STABLE:
            # ConsumerCoordinator fails the commit locally: the member has no stable generation.
            rebalancing = self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE)
            reason = ("RebalanceInProgressException" if rebalancing else
                      "CommitFailedException: not part of an active group (kicked out?)")
            self.commit_failures.append(reason)
            self.world._record(ev.CommitFailed(
                now, self.name,
                ev.CommitFailureReason.REBALANCE_IN_PROGRESS if rebalancing else ev.CommitFailureReason.NOT_IN_ACTIVE_GROUP,
                tuple(sorted(offsets)), "RebalanceInProgressException" if rebalancing else "CommitFailedException"))
            return False
        by_topic: dict[str, list[OffsetCommitRequestPartition]] = {}
        for (t, p), off in sorted(offsets.items()):
            by_topic.setdefault(t, []).append(OffsetCommitRequestPartition(p, off))
        self._send(now, "commit-sync" if sync else "commit", OffsetCommitRequest(
            group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
            group_instance_id=self.config.group_instance_id,
            topics=tuple(OffsetCommitRequestTopic(t, tuple(ps)) for t, ps in by_topic.items()),
            api_version=self.config.offset_commit_version))
        return True

    def commit_sync(self, now: int) -> None:
        """Commit the current positions now (as ``consumer.commitSync()``)."""
        self._send_commit(now, "manual")

    def _on_fetch(self, flight, resp, now: int) -> None:
        if resp.error_code is not ErrorCode.NONE:
            self.backoff_until = now + self.config.retry_backoff_ms
            if resp.error_code in COORDINATOR_ERRORS:
                self._coordinator_unknown(now)
            return
        for t in resp.topics:
            for p in t.partitions:
                tp = (t.name, p.partition_index)
                if tp not in self.owned:
                    continue
                if p.committed_offset >= 0:
                    self.positions[tp] = p.committed_offset
                else:
                    self.positions[tp] = 0 if self.config.auto_offset_reset == "earliest" else self.world.end_offset(tp)

    def _commit_error(self, flight, resp, now: int, exceptions: dict[str, str]) -> Optional[ErrorCode]:
        """The commit's first partition error in response order (where Java's handler stops), recorded
        as a failed commit with the exception ``exceptions`` names for it (CommitFailedException
        otherwise); None when every partition was committed."""
        code = next((p.error_code for t in resp.topics for p in t.partitions if p.error_code is not ErrorCode.NONE),
                    None)
        if code is None:
            return None
        self.commit_failures.append(code.name)
        self.world._record(ev.CommitFailed(now, self.name, ev.CommitFailureReason.ERROR_RESPONSE, tuple(sorted(
            (t.name, p.partition_index) for t in flight.request.topics for p in t.partitions)),
            exceptions.get(code.name, "CommitFailedException"), code))
        return code

    def _on_commit(self, flight, resp, now: int) -> None:
        code = self._commit_error(flight, resp, now, {"FENCED_INSTANCE_ID": "FencedInstanceIdException",
                                                      "REBALANCE_IN_PROGRESS": "RebalanceInProgressException"})
        if code is None:
            return
        if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
            if flight.generation == (self.generation_id, self.member_id):
                self._reset_generation(now, keep_member_id=code is ErrorCode.ILLEGAL_GENERATION,
                                       reason=ev.ClientStateReason.OFFSET_COMMIT_ERROR, error_code=code)
                self._request_rejoin(now, ev.RejoinReason.RESPONSE_ERROR, f"{code.name} from OFFSET_COMMIT")
        elif code is ErrorCode.REBALANCE_IN_PROGRESS:
            self._request_rejoin(now, ev.RejoinReason.COMMIT_REBALANCING)
        elif code is ErrorCode.FENCED_INSTANCE_ID:
            self._fail(now, code, "OffsetCommit")
        elif code in COORDINATOR_ERRORS:
            self._coordinator_unknown(now)

    _on_commit_sync = _on_commit
