"""Exercises of notebook 01: consumer groups, partitions and the group coordinator."""

from __future__ import annotations

from ..cluster import java_string_hashcode, partition_for_group
from ..sim import World
from .core import exercise, invalid, right, want_int, wrong

NB = "01-groups-and-coordinator"


@exercise("01.1", NB, "Which __consumer_offsets partition owns the group \"payments\"?", name="payments_partition",
          kind="predict", pain=("which broker coordinates a group",), minutes=5, transfer=False,
          hints=("Kafka hashes the group id with Java's String.hashCode (31·h + c over UTF-16 code units, "
                 "wrapping at 32 bits), takes Utils.abs of it and then the remainder by "
                 "offsets.topic.num.partitions (50).",))
def _ex01_1(answer):
    expected = partition_for_group("payments", 50)
    bad = want_int(answer, "a partition number")
    if bad:
        return bad
    if not 0 <= answer < 50:
        return wrong(f"{answer} is not a partition of a 50-partition topic (0..49)")
    if answer == expected:
        return right(f"\"payments\" lives in __consumer_offsets-{expected}; its leader broker is the coordinator")
    h = java_string_hashcode("payments")
    if answer == abs(hash("payments")) % 50:
        return wrong("that looks like Python's hash(), which is randomised per process; Kafka uses Java's "
                     "String.hashCode")
    if answer == (h % 50):
        return wrong("close: you took the remainder of the signed hash; Kafka takes Utils.abs first")
    return wrong("compute String.hashCode over UTF-16 code units with 32-bit wrap-around, then Utils.abs, then % 50")


@exercise("01.2", NB, "The partition of the group \"polygenelubricants\" (hashCode = Integer.MIN_VALUE)",
          name="min_value_partition", kind="predict", pain=("which broker coordinates a group",), minutes=3,
          transfer=False,
          hints=("Java's Math.abs(Integer.MIN_VALUE) is still negative; Kafka's Utils.abs has a special "
                 "case for exactly that value.",))
def _ex01_2(answer):
    assert java_string_hashcode("polygenelubricants") == -(2 ** 31)
    expected = partition_for_group("polygenelubricants", 50)
    bad = want_int(answer, "a partition number")
    if bad:
        return bad
    if answer == expected:
        return right("Utils.abs maps Integer.MIN_VALUE to 0, so the group lives in partition 0")
    if answer == abs(-(2 ** 31)) % 50:
        return wrong("that is Python's abs(-2**31) % 50; Kafka does not use Python's abs, and its Utils.abs "
                     "has a special case for this very value")
    if answer == -48:
        return wrong("that is Java's Math.abs and %: a negative partition; Kafka's Utils.abs avoids exactly this")
    return wrong("the hash is Integer.MIN_VALUE; what does Kafka's Utils.abs return for it?")


def _coordinator_vs_leader_world():
    world = World(topics={"orders": 6}, brokers=3, seed=1)
    for i, name in enumerate(["c3", "c1", "c2"]):
        world.consumer(name, "invoices", ["orders"], start_at=i * 500, partition_assignment_strategy=["range"])
    world.run_until_stable("invoices")
    return world


@exercise("01.3", NB, "Coordinator or leader? (broker id, consumer name)", name="coordinator_and_leader",
          kind="diagnose", pain=("coordinator versus leader", "which broker coordinates a group"), minutes=8,
          transfer=True,
          hints=("The coordinator is a broker: the leader of the group's __consumer_offsets partition. "
                 "The group leader is a consumer: the first member to join, which runs the assignor.",))
def _ex01_3(answer):
    world = _coordinator_vs_leader_world()
    broker = world.cluster.coordinator_for("invoices").node_id
    leader_id = world.describe("invoices")["leader_id"]
    leader = next(c.name for c in world.consumers.values() if c.member_id == leader_id)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return invalid("answer with a pair: (coordinator broker id as an int, leader consumer name as a str)")
    b, c = answer
    if isinstance(b, str) and isinstance(c, int):
        return wrong("swapped: the coordinator is a broker (an int node id), the leader a consumer (a name)")
    bad = want_int(b, "the coordinator's broker id")
    if bad:
        return bad
    if not isinstance(c, str):
        return invalid(f"the leader is a consumer name like 'c1', got {type(c).__name__} {c!r}")
    if b == broker and c == leader:
        return right(f"broker {broker} coordinates 'invoices'; consumer {leader} leads it and assigns partitions")
    if b != broker:
        return wrong(f"broker {b} is not the coordinator: find the leader of the group's __consumer_offsets "
                     "partition (world.cluster.partition_for / leader_of)")
    return wrong(f"{c} is not the leader: look at describe()['leader_id'] and match it to a consumer's member_id")
