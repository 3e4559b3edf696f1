"""Exercises of notebook 12 (the consumer protocol, KIP-848).

Every expected answer is computed by running kafkalab: the simulated consumer-protocol consumers
(``group_protocol="consumer"``) or the coordinator itself, sent requests by hand.
"""

from __future__ import annotations

from typing import Any

from ..config import CoordinatorConfig
from ..coordinator import Coordinator
from ..errors import ErrorCode
from ..messages import ConsumerGroupHeartbeatRequest, OffsetFetchRequest, OffsetFetchRequestTopic
from ..modern import ConsumerGroupConfig, MetadataImage
from ..modern.assignor.api import ConsumerGroupPartitionAssignor
from ..sim import World
from .core import exercise, invalid, judge_code, right, want_error_code, want_int, wrong

NB12 = "12-consumer-protocol"
CONSUMER = {"group_protocol": "consumer"}

__all__ = ["stuck_world", "CLASSIC_CONFIG"]


# ---------------------------------------------------------------------------- 12.1

def _static_bounce_epoch_moves() -> int:
    world = World(topics={"orders": 6})
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], group_instance_id=f"orders-{i}", **CONSUMER)
    world.run_until_stable("g")
    before = world.describe("g")["group_epoch"]
    world.close("c2")
    world.run(for_ms=20_000)          # back well within the 45 s session timeout
    world.restart("c2")
    world.run_until_stable("g")
    return world.describe("g")["group_epoch"] - before


@exercise("12.1", NB12, "A static member closes and is back 20 s later: how many times does the group epoch move?",
          name="epoch_moves", kind="predict", pain=("static membership surprises",), minutes=4, transfer=False,
          hints=("What does the Java client send when a consumer with group.instance.id closes, and does the "
                 "coordinator need a new target assignment for that?",))
def _ex12_1(answer: Any):
    bad = want_int(answer, "a number of group epoch moves")
    if bad:
        return bad
    expected = _static_bounce_epoch_moves()
    if answer == expected:
        return right(f"{expected}: the static member leaves with epoch -2, keeps its partitions reserved, and the "
                     "new process takes its place with the same subscription, so no new target is needed")
    if answer == 2:
        return wrong("that is a dynamic member's restart (a leave with epoch -1, then a join); what does a member "
                     "with group.instance.id send when it closes?")
    if answer == 1:
        return wrong("which of the two events (the leave, the return) would need a new target assignment, given "
                     "that the partitions stay reserved for the instance id?")
    return wrong("count the moves of the group epoch from the close to the group being Stable again")


# ---------------------------------------------------------------------------- 12.2

def _offset_fetch_with_previous_epoch() -> ErrorCode:
    coord = Coordinator(CoordinatorConfig(), metadata=MetadataImage.of({"orders": 6}))

    def hb(member: str, epoch: int, **fields: Any) -> Any:
        [reply] = coord.handle(ConsumerGroupHeartbeatRequest(group_id="g", member_id=member, member_epoch=epoch,
                                                             **fields), member, 0)
        return reply.response

    join = dict(subscribed_topic_names=("orders",), rebalance_timeout_ms=300_000, topic_partitions=())
    hb("c1", 0, **join)
    second = hb("c2", 0, **join)               # c2 joins at the new group epoch
    assert second.error_code is ErrorCode.NONE
    request = OffsetFetchRequest(group_id="g", member_id="c2", member_epoch=second.member_epoch - 1,
                                 topics=(OffsetFetchRequestTopic("orders", (0, 1, 2)),), api_version=9)
    [reply] = coord.handle(request, "c2", 0)
    return reply.response.error_code


@exercise("12.2", NB12, "OffsetFetch with the member's previous epoch: the error?", name="fetch_error",
          kind="predict", pain=("commits failing around a rebalance", "errors answered during a rebalance"),
          minutes=4, transfer=True,
          hints=("Notebook 12 sent OffsetCommit with a wrong epoch. OffsetFetch (v9) carries a member id and a "
                 "member epoch too, and the coordinator checks them the same way.",))
def _ex12_2(answer: Any):
    code, problem = want_error_code(answer)
    if problem:
        return problem
    expected = _offset_fetch_with_previous_epoch()
    return judge_code(
        code, expected,
        f"{expected.name}: offsets are fetched and committed with the member's exact epoch; a consumer that "
        "treats it as 'no committed offset' and resets to auto.offset.reset=latest skips records",
        {"FENCED_MEMBER_EPOCH": "that is what a ConsumerGroupHeartbeat with a wrong epoch gets; offset requests "
                                "have an error of their own",
         "ILLEGAL_GENERATION": "that is the answer for a classic member; this member uses the consumer protocol",
         "NONE": "the coordinator checks the epoch of an OffsetFetch that names a member"},
        "offset requests of a consumer-protocol member are checked against its member epoch")


# ---------------------------------------------------------------------------- 12.3

def stuck_world() -> World:
    """Three consumer-protocol consumers; one of them is busy with a long batch when a fourth joins.
    The group stays Reconciling for a while: which consumer does it wait for?"""
    world = World(topics={"orders": 8}, seed=12)
    world.add_consumers(3, group="g", topics=["orders"], **CONSUMER)
    world.run_until_stable("g")
    world["c3"].stall(90_000)
    world.run(for_ms=100)
    world.consumer("c4", "g", ["orders"], **CONSUMER)
    world.run(for_ms=25_000)
    return world


@exercise("12.3", NB12, "A group stays Reconciling after a fourth consumer joins: which consumer does it wait for?",
          name="blocking_consumer", kind="diagnose", pain=("a consumer with no partitions", "rebalances nobody asked for"),
          minutes=8, transfer=True,
          hints=("world.describe(\"g\")[\"members\"] shows each member's recorded reconciliation state and its "
                 "partitions pending revocation: a newcomer can only get a partition once its old owner let it go.",
                 "Answer with a consumer name (its client_id)."))
def _ex12_3(answer: Any):
    if not isinstance(answer, str):
        return invalid("answer with a consumer name, e.g. \"c1\"")
    world = stuck_world()
    members = world.describe("g")["members"]
    holding = [m["client_id"] for m in members if m["pending_revocation"]]
    waiting = [m["client_id"] for m in members if m["state"] == "UNRELEASED_PARTITIONS"]
    if len(holding) != 1:
        raise RuntimeError(f"the scenario changed: members holding partitions back: {holding}")
    if answer.strip() == holding[0]:
        return right(f"{holding[0]} is UNREVOKED_PARTITIONS at its old epoch: its client revokes only at its next "
                     "poll(), after its long batch, and the newcomer waits UNRELEASED_PARTITIONS until then "
                     "(at most max.poll.interval.ms, the member's rebalance timeout)")
    if answer.strip() in waiting:
        return wrong("that consumer is the one waiting (UNRELEASED_PARTITIONS); whose partition is it waiting for?")
    if answer.strip() in {m["client_id"] for m in members}:
        return wrong("that member has reached the target epoch; which member is still at an older epoch?")
    return invalid(f"{answer!r} is not a member of the group; the members are {sorted(m['client_id'] for m in members)}")


# ---------------------------------------------------------------------------- 12.4

#: A classic consumer's configuration, to move to the consumer protocol in 12.4.
CLASSIC_CONFIG = {"session_timeout_ms": 10_000, "heartbeat_interval_ms": 3_000,
                  "partition_assignment_strategy": ["range"], "max_poll_interval_ms": 600_000,
                  "group_instance_id": "orders-1"}


@exercise("12.4", NB12, "Move a classic consumer's configuration to the consumer protocol",
          name="consumer_config", kind="configure", pain=("the three timeouts confused", "which assignor a group runs"),
          minutes=8, transfer=True,
          hints=("Some classic settings are the broker's business now and are refused on the client; one of them "
                 "has a client-side setting that asks the broker for the same thing.",
                 "Answer with a dict of configs for world.consumer(...), as CLASSIC_CONFIG is."))
def _ex12_4(answer: Any):
    if not isinstance(answer, dict):
        return invalid("answer with a dict of consumer configs, like CLASSIC_CONFIG")
    if str(answer.get("group_protocol", "classic")).lower() != "consumer":
        return wrong("the consumer still speaks the classic protocol: which setting chooses the protocol?")
    world = World(topics={"orders": 6})
    try:
        world.consumer("c1", "g", ["orders"], **answer)
    except ValueError as refused:
        return wrong(f"the consumer refuses this configuration: {str(refused).split(' (')[0]}")
    except TypeError as bad:
        return invalid(f"world.consumer(...) could not take it: {bad}")
    world.consumer("c2", "g", ["orders"], **{**answer, "group_instance_id": "orders-2"})
    world.run_until_stable("g")
    config = world["c1"].config
    if config.max_poll_interval_ms != CLASSIC_CONFIG["max_poll_interval_ms"]:
        return wrong("a slow batch is now treated differently: one setting the consumer protocol keeps was lost")
    if config.group_instance_id != CLASSIC_CONFIG["group_instance_id"]:
        return wrong("the consumer is no longer a static member: that setting is kept with the consumer protocol")
    if world.describe("g")["assignor"] != "range":
        return wrong(f"the broker now assigns with {world.describe('g')['assignor']}: the group used to get "
                     "contiguous blocks; how does a consumer ask the broker for an assignor?")
    return right("accepted by the client; it keeps its poll interval and instance id, and the broker assigns "
                 "with range; timeouts now come from group.consumer.* on the broker")


# ---------------------------------------------------------------------------- 12.5

def _round_robin_expected(world: World, group: str) -> dict[str, list[tuple[str, int]]]:
    members = sorted(world.describe(group)["members"], key=lambda m: m["member_id"])
    names = [m["client_id"] for m in members]
    out: dict[str, list[tuple[str, int]]] = {n: [] for n in names}
    for topic, count in sorted(world.describe(group)["subscribed_topics"].items()):
        for p in range(count):
            out[names[p % len(names)]].append((topic, p))
    return {n: sorted(ps) for n, ps in out.items()}


@exercise("12.5", NB12, "Build a server-side assignor and plug it into the coordinator", name="RoundRobinAssignor",
          kind="build", answer="code", points=2, pain=("partitions that move at every rebalance",
                                                       "which assignor a group runs"),
          minutes=20, transfer=True,
          hints=("assign(group_spec, subscribed_topic_describer) returns a GroupAssignment: one MemberAssignment per "
                 "member id, each a {topic_id: partitions} mapping; subscribed_topic_describer.num_partitions(t) "
                 "gives a topic's partition count.",
                 "Sort the member ids (group_spec.member_ids); partition p of each topic goes to the member at "
                 "position p modulo the number of members."))
def _ex12_5(cls: Any):
    if not isinstance(cls, type) or not issubclass(cls, ConsumerGroupPartitionAssignor):
        return invalid("define a class RoundRobinAssignor(ConsumerGroupPartitionAssignor) with a name and an "
                       "assign(group_spec, subscribed_topic_describer) method")
    assignor = cls()
    if getattr(assignor, "name", "") != "roundrobin":
        return wrong("the members ask for it by name with group.remote.assignor=\"roundrobin\": set name")
    config = CoordinatorConfig(consumer=ConsumerGroupConfig(group_consumer_assignors=(assignor, "uniform")))
    for topics, sizes in ((("orders",), {"orders": 7}), (("orders", "payments"), {"orders": 5, "payments": 4})):
        world = World(topics=sizes, config=config)
        world.add_consumers(3, group="g", topics=list(topics), group_remote_assignor="roundrobin", **CONSUMER)
        world.run_until_stable("g", timeout_ms=120_000)
        if world.describe("g")["assignor"] != "roundrobin":
            return wrong("the coordinator did not run your assignor")
        failed = [c for c in world.consumers.values() if c.fatal_error is not None]
        if failed:
            return wrong(f"a consumer failed with {failed[0].fatal_error.name}: did assign() raise?")
        got = world.assignments("g")
        every = sorted(tp for ps in got.values() for tp in ps)
        if every != sorted((t, p) for t, n in sizes.items() for p in range(n)):
            return wrong(f"with topics {sizes}: every partition must go to exactly one member")
        if got != _round_robin_expected(world, "g"):
            return wrong(f"with topics {sizes}: the partitions are not dealt round robin over the sorted member ids")
        world.consumer("c4", "g", list(topics), group_remote_assignor="roundrobin", **CONSUMER)
        world.run_until_stable("g", timeout_ms=120_000)
        if world.assignments("g") != _round_robin_expected(world, "g"):
            return wrong(f"with topics {sizes}, after a fourth member joined: not round robin any more")
    return right("the coordinator runs your assignor for the whole group, and the members reconcile to its targets "
                 "(round robin is not sticky: watch how much moves when c4 joins)")
