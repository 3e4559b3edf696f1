"""The player's sentences about the consumer protocol (KIP-848): ConsumerGroupHeartbeat requests and
answers with their epochs, and a consumer group's state changes.

:class:`ConsumerProtocolSentences` is a mixin of :class:`~kafkalab.viz.explain.Explainer`; like it,
it reads event types and fields only: the request's ``member_epoch`` and ``topic_partitions``, the
response's error code, ``member_epoch`` and ``assignment`` (``None`` means "unchanged", see
``docs/consumer-protocol.md §2.4``), the coordinator's records written while it handled the request
(:class:`~kafkalab.modern.events.GroupEpochBumped`, :class:`~kafkalab.modern.events.TargetAssignmentComputed`,
:class:`~kafkalab.modern.events.MemberAssignmentUpdated`) and the recorded
:class:`~kafkalab.modern.events.ConsumerGroupStateChanged` with its :class:`~kafkalab.modern.state.Trigger`.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode
from ..modern import events as mev
from ..modern.state import ConsumerGroupState, MemberState, Trigger
from ..sim.events import MessageDelivered, format_partitions
from ..trace import ResponseSent, who
from .phrases import code_name, is_ok, sentence

__all__ = ["ConsumerProtocolSentences", "CGHB"]

CGHB = "ConsumerGroupHeartbeat"

#: What a consumer does when its ConsumerGroupHeartbeat is answered with an error
#: (``docs/consumer-protocol.md §8``: the Java client's ``onErrorResponse``).
_CGHB_ERRORS = {
    ErrorCode.FENCED_MEMBER_EPOCH: ("its epoch does not match the coordinator's, so it is fenced: it gives its "
                                    "partitions up as lost (onPartitionsLost) and joins again at epoch 0"),
    ErrorCode.UNKNOWN_MEMBER_ID: ("the coordinator no longer knows it (removed after its session or rebalance "
                                  "timeout, or it left): it gives its partitions up as lost and joins again at epoch 0"),
    ErrorCode.UNRELEASED_INSTANCE_ID: ("another member still holds its group.instance.id and has not left with "
                                       "epoch -2: the Java client treats this as fatal"),
    ErrorCode.FENCED_INSTANCE_ID: "its group.instance.id now belongs to another member id: this is fatal",
    ErrorCode.UNSUPPORTED_ASSIGNOR: "it asked for a server assignor the broker does not offer: this is fatal",
    ErrorCode.GROUP_MAX_SIZE_REACHED: "the group already has group.consumer.max.size members: this is fatal",
    ErrorCode.INVALID_REQUEST: "the request broke a validation rule: this is fatal",
    ErrorCode.GROUP_ID_NOT_FOUND: "the group is not a consumer group here: this is fatal",
}

_TRIGGER_WHY = {
    Trigger.GROUP_CREATED: "the first member takes every partition at once, so the group is Stable right away",
    Trigger.CONSUMER_GROUP_HEARTBEAT: "the state is recomputed from the group's epochs after every heartbeat",
    Trigger.STATIC_MEMBER_TEMPORARILY_LEFT: ("a static member left with epoch -2: it keeps its partitions "
                                             "(nobody else may take them) and is no longer reconciled"),
    Trigger.MEMBERS_FENCED: ("removing members raises the group epoch without computing a target: the next "
                             "heartbeat of any member computes it"),
    Trigger.REGULAR_EXPRESSIONS_RESOLVED: "a regular expression now matches other topics, so a new target is due",
}


class ConsumerProtocolSentences:
    """Sentences for ConsumerGroupHeartbeat exchanges and consumer-group state changes."""

    events: Any
    snap: Any
    burst: Any  # Explainer.burst

    def _named(self, assignment: Any) -> str:
        parts = self.snap.named(assignment)
        return format_partitions(parts) if parts else "nothing"

    def cghb_request(self, i: int, e: MessageDelivered) -> str:
        """A ConsumerGroupHeartbeat reached the coordinator: what it asked and what the coordinator did."""
        c, broker, m = e.src, e.dst, e.message
        burst = self.burst(i)
        answer = next((x for x in burst if isinstance(x, ResponseSent) and who(x.origin) == c
                       and isinstance(x.origin, tuple) and len(x.origin) > 1 and x.origin[1] == e.correlation_id), None)
        epoch = m.member_epoch
        if epoch == 0:
            what = f"{c} joins with ConsumerGroupHeartbeat epoch 0"
        elif epoch == -1:
            what = f"{c} leaves with ConsumerGroupHeartbeat epoch -1"
        elif epoch == -2:
            what = f"{c}, a static member, leaves temporarily with ConsumerGroupHeartbeat epoch -2"
        else:
            what = f"{c}'s ConsumerGroupHeartbeat at member epoch {epoch}"
        if m.topic_partitions is not None and epoch > 0:
            owned = {t.topic_id: t.partitions for t in m.topic_partitions}
            what += f" (it owns {self._named(owned)})"
        code = answer.error_code if answer is not None else None
        if code is None:
            return sentence(f"{what} reached {broker}")
        if not is_ok(code):
            return sentence(f"{what} reached {broker}, which answered {code_name(code)}")
        bits = []
        for x in burst:
            if isinstance(x, mev.GroupEpochBumped):
                bits.append(f"the group epoch went {x.old_epoch} -> {x.new_epoch} ({x.reason.value})")
            elif isinstance(x, mev.TargetAssignmentComputed):
                bits.append(f"the broker computed the target assignment for epoch {x.epoch} with {x.assignor}")
            elif isinstance(x, mev.MemberAssignmentUpdated) and self.snap.name_of(x.member_id) == c:
                bits.append(self._member_step(x))
            elif isinstance(x, mev.MemberRemoved) and self.snap.name_of(x.member_id) == c:
                bits.append(f"the coordinator removed it ({x.reason.value})")
        if not bits:
            bits.append("nothing changed for it")
        return sentence(f"{what} reached {broker}: " + "; ".join(bits))

    def _member_step(self, x: Any) -> str:
        epochs = (f"member epoch {x.previous_member_epoch} -> {x.member_epoch}"
                  if x.previous_member_epoch != x.member_epoch else f"member epoch stays {x.member_epoch}")
        if x.state is MemberState.UNREVOKED_PARTITIONS:
            return (f"{epochs}, UNREVOKED_PARTITIONS: it keeps {self._named(x.assigned)} and must first revoke "
                    f"{self._named(x.pending_revocation)} (revoke before assign)")
        if x.state is MemberState.UNRELEASED_PARTITIONS:
            return (f"{epochs}, UNRELEASED_PARTITIONS: it may use {self._named(x.assigned)} and waits for "
                    "partitions that other members still own")
        return f"{epochs}, STABLE with {self._named(x.assigned)}"

    def cghb_response(self, e: MessageDelivered, next_part: str) -> str:
        """A ConsumerGroupHeartbeat answer reached the consumer."""
        c, m = e.dst, e.message
        code = m.error_code
        if not is_ok(code):
            why = _CGHB_ERRORS.get(code, "")
            return sentence(f"{c} got ConsumerGroupHeartbeat {code_name(code)}" + (f": {why}" if why else ""))
        if m.member_epoch in (-1, -2):
            return sentence(f"{c} got the answer to its leave (epoch {m.member_epoch}){next_part}")
        if m.assignment is None:
            return sentence(f"{c} got ConsumerGroupHeartbeat NONE at member epoch {m.member_epoch}, with no "
                            f"assignment (no assignment means its assignment is unchanged){next_part}")
        given = self.snap.named(m.assignment.as_dict())
        what = f"the assignment {format_partitions(given)}" if given else "an empty assignment"
        return sentence(f"{c} got ConsumerGroupHeartbeat NONE at member epoch {m.member_epoch} with {what}: the "
                        f"complete set it may use now, so it revokes what it owns outside it, then adds what is "
                        f"new{next_part}")

    def consumer_group_state(self, i: int, inner: mev.ConsumerGroupStateChanged) -> str:
        old = inner.old.value if inner.old else "(no group)"
        head = (f"Group {inner.group_id} went {old} -> {inner.new.value} (group epoch {inner.group_epoch}, target "
                f"assignment epoch {inner.assignment_epoch})")
        if inner.new is ConsumerGroupState.RECONCILING:
            why = "some member has not reached the target assignment yet; each one gets there on its own heartbeats"
        elif inner.new is ConsumerGroupState.STABLE and inner.old is not None:
            why = "every member is STABLE at the target assignment epoch"
        elif inner.new is ConsumerGroupState.ASSIGNING:
            why = _TRIGGER_WHY[inner.trigger]
        elif inner.new is ConsumerGroupState.EMPTY:
            why = "its last member is gone"
        else:
            why = _TRIGGER_WHY[inner.trigger]
        return sentence(f"{head}: {why}")
