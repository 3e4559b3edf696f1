"""Exercises of notebook 13 (the classic and the consumer protocol side by side, and moving a group
between them): every expected answer is what the simulation does with the scenario, played with
the core's own rules (docs/consumer-protocol.md §3.3, §4.1, §4.4, §8)."""

from __future__ import annotations

from typing import Any

from ..sim import World
from ..sim.config import ConsumerConfig
from .core import exercise, invalid, judge_code, right, want_error_code, wrong

NB13 = "13-classic-vs-consumer"
CLIENTS = ("classic eager", "consumer")


def _unowned_ms(world: World, since: int) -> dict:
    """{partition: ms without an owner from ``since`` on}, as notebook 13 measures it (imported here:
    importing kafkalab.exercises stays free of matplotlib)."""
    from ..viz.plots import ownership_gaps, ownership_intervals

    gaps = ownership_gaps(ownership_intervals(world, "g"), start=since, end=world.now)
    return {tp: sum(e - s for s, e in g) for tp, g in gaps.items()}


def _stopped_partitions(client: str) -> int:
    """Partitions of ``payments`` that had no owner at some time after c4-c6 joined."""
    cfg = {"group_protocol": "consumer" if client == "consumer" else "classic"}
    world = World(topics={"payments": 12}, produce_rate=10, seed=13)
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["payments"], start_at=(i - 1) * 1_000,
                       processing_ms=20_000 if i == 2 else 200, **cfg)
    world.run(until=40_000)
    for name in ("c4", "c5", "c6"):
        world.consumer(name, "g", ["payments"], **cfg)
    world.run(until=120_000)
    return sum(1 for ms in _unowned_ms(world, 40_000).values() if ms)


@exercise("13.1", NB13, "Three consumers join a group of three with a slow member: how many partitions stop?",
          name="stopped_partitions", kind="predict", pain=("partitions that move at every rebalance",), minutes=6,
          transfer=True,
          hints=("Which partitions does each protocol take away from their owners when the group grows? A partition "
                 "that stays with its owner keeps being processed, however slow the others are.",
                 "Answer with a dict: {\"classic eager\": number, \"consumer\": number}. For the second, work out "
                 "what a balanced assignment of twelve partitions over six members needs to move."))
def _ex13_1(answer: Any):
    if not isinstance(answer, dict) or set(answer) != set(CLIENTS) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in answer.values()):
        return invalid("answer with a dict of two whole numbers: {\"classic eager\": ..., \"consumer\": ...}")
    expected = {client: _stopped_partitions(client) for client in CLIENTS}
    if answer == expected:
        return right("eager takes every partition away from every member at the start of the rebalance, and the "
                     "slow member holds the whole group up; with the consumer protocol only the partitions that "
                     "move to the newcomers pause, and the others are processed throughout")
    if answer["classic eager"] != expected["classic eager"]:
        return wrong("the classic eager count is off: what does an eager member do with its partitions before it "
                     "rejoins, whether or not they will move?")
    if answer["consumer"] > expected["consumer"]:
        return wrong("the consumer protocol count is too high: it does not stop the world; which partitions have "
                     "to change hands for six members to be balanced?")
    return wrong("the consumer protocol count is too low: every partition the newcomers get was owned by one of "
                 "the first three, and pauses between its owner giving it up and the newcomer taking it")


#: The classic consumers' configs in exercise 13.2 (what the old deployment runs with).
OLD_CONFIGS = {"session_timeout_ms": 10_000, "heartbeat_interval_ms": 3_000, "partition_assignment_strategy": ["range"],
               "max_poll_interval_ms": 900_000}
TOPICS = ["orders", "payments"]


def _copartitioned(world: World) -> bool:
    """Every consumer owns the same partition numbers of ``orders`` and ``payments``."""
    for tps in world.assignments("g").values():
        by_topic: dict[str, set[int]] = {}
        for topic, p in tps:
            by_topic.setdefault(topic, set()).add(p)
        if by_topic.get("orders", set()) != by_topic.get("payments", set()):
            return False
    return True


def _roll(world: World, old: str, new: str, configs: dict) -> Any:
    """Replace each ``old``-named consumer by a ``new``-named one (close, 2 s, start, 10 s); the first
    consumer that fails, or None."""
    for i in (1, 2, 3):
        world.close(f"{old}{i}")
        world.run(for_ms=2_000)
        world.consumer(f"{new}{i}", "g", TOPICS, **configs)
        world.run(for_ms=10_000)
        failed = [c for c in world.consumers.values() if c.fatal_error is not None]
        if failed:
            return failed[0]
    return None


def _refusal(world: World, consumer: Any) -> str:
    """The error message of the heartbeat answer that stopped ``consumer``."""
    from ..sim import events as ev

    return next((getattr(e.message, "error_message", None) or "" for e in reversed(world.trace)
                 if isinstance(e, ev.MessageDelivered) and e.dst == consumer.name
                 and getattr(e.message, "error_code", None) == consumer.fatal_error), "")


@exercise("13.2", NB13, "Configure an online migration to group.protocol=consumer that can be rolled back",
          name="migration", kind="configure", pain=("classic to consumer protocol migration",), minutes=12,
          transfer=True,
          hints=("Two places change: the brokers decide whether a group with members may change type, and in "
                 "which direction; each consumer decides which protocol it speaks.",
                 "Start from the old consumer configs and ask of each one: who decides it with the consumer "
                 "protocol, the client or the broker? The client refuses the ones the broker decides.",
                 "The old deployment chose its assignor for a reason (each consumer joins orders and payments by "
                 "key). The consumer protocol still lets the members ask the broker for one of its assignors."))
def _ex13_2(answer: Any):
    from .. import CoordinatorConfig
    from ..modern.config import MIGRATION_POLICIES, ConsumerGroupConfig

    if not isinstance(answer, dict) or set(answer) != {"policy", "consumer"} or not isinstance(answer["consumer"], dict):
        return invalid("answer with a dict {\"policy\": a value of group.consumer.migration.policy, "
                       "\"consumer\": a dict of the new consumers' configs}")
    policy, configs = answer["policy"], answer["consumer"]
    if not isinstance(policy, str) or policy.lower() not in MIGRATION_POLICIES:
        return invalid(f"the policy is one of {', '.join(MIGRATION_POLICIES)}")
    unknown = sorted(set(configs) - set(ConsumerConfig.__dataclass_fields__))
    if unknown:
        return invalid(f"{unknown} are not consumer configs of the simulation; the names are Kafka's with _ for ., "
                       "e.g. max_poll_interval_ms")
    if str(configs.get("group_protocol", "classic")).lower() != "consumer":
        return wrong("the new consumers still run the classic protocol: which config picks the protocol?")
    if (configs.get("max_poll_interval_ms") or ConsumerConfig.max_poll_interval_ms) < OLD_CONFIGS["max_poll_interval_ms"]:
        return wrong("some batches take up to 15 minutes: with this config, who would notice a long batch, and what "
                     "would it do? That check did not move to the broker")
    world = World(topics={"orders": 6, "payments": 6}, produce_rate=10, seed=13,
                  config=CoordinatorConfig(consumer=ConsumerGroupConfig(group_consumer_migration_policy=policy)))
    for i in (1, 2, 3):
        world.consumer(f"a{i}", "g", TOPICS, start_at=(i - 1) * 1_000, **OLD_CONFIGS)
    world.run(until=20_000)
    try:
        failed = _roll(world, "a", "b", configs)
    except ValueError as e:
        return wrong(f"the new consumers do not start: {e}")
    if failed is not None:
        return wrong(f"the rolling upgrade stalls: {failed.name} stopped with {failed.fatal_error.name} "
                     f"({_refusal(world, failed)})")
    if not _copartitioned(world):
        return wrong(f"the upgrade goes through, but the consumers no longer own the same partitions of orders and "
                     f"payments: {world.assignments('g')}")
    failed = _roll(world, "b", "d", OLD_CONFIGS)
    if failed is not None:
        return wrong(f"the rollback stalls: {failed.name} stopped with {failed.fatal_error.name}")
    if world.describe("g").get("group_type") == "consumer":
        return wrong("the rollback deployed classic consumers, but the group is still a consumer group serving them "
                     "as classic members: the brokers never turned it back. In which directions may they convert "
                     "a group with members?")
    return right("the upgrade converts the group at the first new consumer and keeps orders and payments "
                 "co-partitioned (the broker's range assignor); the timeouts now come from the broker (a 10 s "
                 "session is below group.consumer.min.session.timeout.ms), the poll timeout stays on the client; "
                 "and the rollback turns the group classic again when its last consumer-protocol member leaves")


def _static_rolling_restart() -> Any:
    """Three static consumer-protocol members; the deploy tool kills c1's process and starts the
    new one at once (no close()), as a Kubernetes pod replacement does."""
    world = World(topics={"orders": 6}, seed=13)
    for i in (1, 2, 3):
        world.consumer(f"c{i}", "g", ["orders"], group_protocol="consumer", group_instance_id=f"pod-{i}",
                       start_at=(i - 1) * 1_000)
    world.run(until=20_000)
    world.restart("c1")
    world.run(for_ms=30_000)
    return world["c1"].fatal_error


@exercise("13.3", NB13, "A rolling restart of static consumer-protocol members stops at the first pod: which error?",
          name="stalled_restart_error", kind="diagnose", pain=("static membership surprises", "joins refused or given up"),
          minutes=6, transfer=True,
          hints=("Notebook 07: in the classic protocol, a second process with the same group.instance.id takes the "
                 "place over and the old one is fenced. The consumer protocol decides the other way round.",
                 "The old process was killed, so it never sent its leave heartbeat (epoch -2): as far as the "
                 "coordinator knows, the instance id still belongs to a live member."))
def _ex13_3(answer: Any):
    code, bad = want_error_code(answer)
    if bad:
        return bad
    expected = _static_rolling_restart()
    if expected is None:  # pragma: no cover - the scenario always ends in a fatal error
        return invalid("the scenario did not stall; please report this")
    return judge_code(
        code, expected,
        "the coordinator keeps the instance id for the member it knows until that member leaves with epoch -2 or "
        "its session runs out, and refuses the newcomer; the Java consumer treats that as fatal. Close the old "
        "process first (close() sends the -2 leave), or wait out the session before starting the new one",
        {"FENCED_INSTANCE_ID": "that is what the classic protocol answers the *old* process once a new one has "
                               "taken its place; here the new process is the one refused. Which error does a "
                               "newcomer get?",
         "UNKNOWN_MEMBER_ID": "the new process joins with epoch 0, as any new member; it is not unknown, its "
                              "instance id is taken",
         "FENCED_MEMBER_EPOCH": "the new process has no epoch to be fenced on yet; what stands in its way is the "
                                "old member still holding its group.instance.id",
         "GROUP_ID_NOT_FOUND": "the group is a consumer group and the new member speaks its protocol; the problem "
                               "is its group.instance.id"},
        "look at what the new c1 sent (epoch 0, its group.instance.id) and at who still held that instance id")


def _unowned_after_crash(session_ms: int) -> int:
    from .. import CoordinatorConfig
    from ..modern.config import ConsumerGroupConfig

    config = CoordinatorConfig(consumer=ConsumerGroupConfig(group_consumer_session_timeout_ms=session_ms,
                                                            group_consumer_max_session_timeout_ms=max(60_000, session_ms)))
    world = World(topics={"orders": 6}, config=config, seed=13)
    world.add_consumers(3, group="g", topics=["orders"], group_protocol="consumer", stagger_ms=1_000)
    world.run(until=20_000)
    world.crash("c2")
    world.run(until=120_000)
    return max(_unowned_ms(world, 20_000).values())


@exercise("13.4", NB13, "A consumer-protocol member crashes: which config sets how long its partitions wait?",
          name="crash_config", kind="predict", pain=("the three timeouts confused",), minutes=4, transfer=False,
          hints=("The crashed process sends nothing more: no leave heartbeat, and no more polls. Who notices, and "
                 "after how long?",
                 "Answer with a Kafka config name as it is written in Kafka, with dots."))
def _ex13_4(answer: Any):
    if not isinstance(answer, str) or "." not in answer:
        return invalid("answer with a Kafka config name with dots, e.g. \"max.poll.interval.ms\"")
    name = answer.strip()
    short, longer = _unowned_after_crash(45_000), _unowned_after_crash(60_000)
    if name == "group.consumer.session.timeout.ms" and longer - short == 15_000:
        return right("the broker removes a member that has not heartbeated for its session timeout (45 s by "
                     "default, at least group.consumer.min.session.timeout.ms); raising it by 15 s made the crashed "
                     "member's partitions wait 15 s longer in the replay")
    if name == "session.timeout.ms":
        return wrong("with group.protocol=consumer the client refuses that config: the session is decided "
                     "somewhere else now. Where?")
    if name in ("heartbeat.interval.ms", "group.consumer.heartbeat.interval.ms"):
        return wrong("the heartbeat interval only decides when the surviving members hear about the new "
                     "assignment, a few seconds at most; the long wait comes from something else")
    if name == "max.poll.interval.ms":
        return wrong("that timer runs in the consumer's own process, which has crashed: it never fires")
    return wrong("which timer, on which side, notices a member that has gone silent?")
