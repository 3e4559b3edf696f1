"""What a simulation must pin down (docs/classic-protocol.md §17): member ids, leader choice, protocol-vote
ties, timer ties (test_coordinator_timers.py) - and the same run twice gives the same trace."""

from __future__ import annotations

import re
import uuid

from helpers import Harness, protocols
from kafkalab import Coordinator
from kafkalab.messages import JoinGroupRequest, JoinGroupRequestProtocol


def _join(c: Coordinator, client_id: str, instance: str | None = None, now: int = 0):
    req = JoinGroupRequest(group_id="g", client_id=client_id, group_instance_id=instance, api_version=9,
                           protocols=[JoinGroupRequestProtocol("range")])
    replies = c.handle(req, client_id, now)
    return replies[0].response if replies else None


def test_member_ids_are_prefix_dash_seeded_uuid4():
    ids = [_join(Coordinator(member_id_seed=7), "consumer-g-1").member_id for _ in range(2)]
    assert ids[0] == ids[1]
    prefix, _, rest = ids[0].partition("-g-1-")
    assert prefix == "consumer" and uuid.UUID(rest).version == 4 and str(uuid.UUID(rest)) == rest
    assert _join(Coordinator(member_id_seed=8), "consumer-g-1").member_id != ids[0]
    static = Coordinator(member_id_seed=7)
    _join(static, "c", instance="instance-1")
    assert re.fullmatch(r"instance-1-[0-9a-f-]{36}", next(iter(static.groups["g"].members)))


def test_member_id_generator_can_be_injected():
    c = Coordinator(new_member_id=lambda prefix: f"{prefix}#1")
    assert _join(c, "client").member_id == "client#1"


def test_the_same_script_gives_the_same_trace():
    def run() -> list[str]:
        h = Harness(session_timeout_ms=6_000)
        h.join("a"), h.join("b", at=100), h.join("c", at=2_000)
        h.advance_to(3_000)
        h.sync("a", {"a": b"1", "b": b"2", "c": b"3"}), h.sync("b")
        h.heartbeat("a", at=5_000)
        h.advance_to(20_000)
        return [e.describe() for e in h.c.trace]

    assert run() == run()


def test_protocol_vote_ties_go_to_the_first_maximum_in_java_hashmap_order():
    """Kafka counts votes in a HashMap and keeps the first maximum of its iteration order:
    "range" (bucket 9) comes before "roundrobin" (bucket 10), whoever joined first."""
    for first, second in (("a", "b"), ("b", "a")):
        h = Harness(initial_rebalance_delay_ms=0)
        prefs = {"a": ("roundrobin", "range"), "b": ("range", "roundrobin")}
        h.join(first, protocols=protocols(*prefs[first]))
        h.join(second, protocols=protocols(*prefs[second]))
        h.complete_join()
        assert h.protocol == "range"
    h = Harness(initial_rebalance_delay_ms=0)
    h.join("a", protocols=protocols("cooperative-sticky", "sticky"))
    h.join("b", protocols=protocols("sticky", "cooperative-sticky"))
    h.complete_join()
    assert h.protocol == "sticky"  # bucket 8 before 15


def test_leader_after_the_leader_leaves_is_the_earliest_joined_member():
    h = Harness(initial_rebalance_delay_ms=0)
    h.join_and_sync("a", "b", "c", "d")
    h.leave("a")
    assert h.leader == "b"
    h.leave("c")
    assert h.leader == "b"
    h.leave("b")
    assert h.leader == "d"
