"""Heartbeat on a classic group (Kafka's ``classicGroupHeartbeat``).

After the service's checks (which answer NONE while the group's partition is still loading, as
Kafka does), a valid member of the current generation gets its session timer restarted, and
REBALANCE_IN_PROGRESS while the group prepares a rebalance: that is how a member learns it must
rejoin.
"""

from __future__ import annotations

from typing import Any

from ..errors import ErrorCode
from ..messages import HeartbeatRequest, HeartbeatResponse
from ..runtime import Runtime
from .common import schedule_heartbeat
from .state import GroupState

__all__ = ["handle_heartbeat"]

S = GroupState


def handle_heartbeat(rt: Runtime, req: HeartbeatRequest, origin: Any) -> None:
    """Kafka's ``classicGroupHeartbeat``: validate the member and generation, restart the session."""
    gid = req.group_id

    def reply(code: ErrorCode) -> None:
        rt.send(origin, gid, HeartbeatResponse(error_code=code))

    group = rt.groups.get(gid)
    if group is None:
        return reply(ErrorCode.UNKNOWN_MEMBER_ID)
    if group.state is S.DEAD:
        return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    error = group.validate_member(req.member_id, req.group_instance_id)
    if error is not None:
        return reply(error)
    if req.generation_id != group.generation_id:
        return reply(ErrorCode.ILLEGAL_GENERATION)
    if group.state is S.EMPTY:
        return reply(ErrorCode.UNKNOWN_MEMBER_ID)
    schedule_heartbeat(rt, group, group.members[req.member_id])
    if group.state is S.PREPARING_REBALANCE:
        return reply(ErrorCode.REBALANCE_IN_PROGRESS)
    return reply(ErrorCode.NONE)
