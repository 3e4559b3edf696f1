"""Randomly disturbed simulated worlds shared by the trace and viz tests."""

from __future__ import annotations

import random

from kafkalab import CoordinatorConfig
from kafkalab.sim import World

GROUPS = ("g1", "g2")


def random_world(seed: int) -> World:
    """Two groups on three brokers, with a short offsets retention so empty groups get deleted."""
    config = CoordinatorConfig(offsets_retention_minutes=1, offsets_retention_check_interval_ms=20_000,
                               group_initial_rebalance_delay_ms=1_000)
    world = World(topics={"orders": 6, "pay": 3}, brokers=3, config=config, seed=seed)
    world.add_consumers(3, group="g1", topics=["orders"], session_timeout_ms=10_000,
                        partition_assignment_strategy=["range"])
    world.consumer("s1", group="g2", topics=["pay"], group_instance_id="i-1", session_timeout_ms=10_000)
    world.consumer("s2", group="g2", topics=["pay"], session_timeout_ms=10_000,
                   partition_assignment_strategy=["cooperative-sticky"])
    return world


def incident(world: World, rng: random.Random) -> None:
    name = rng.choice(sorted(world.consumers))
    consumer = world.consumers[name]
    kind = rng.choice(["crash", "close", "restart", "pause", "fail", "restore", "move", "join", "none"])
    if kind in ("crash", "close") and consumer.status in ("in_poll", "processing"):
        getattr(world, kind)(name)
    elif kind == "restart" and consumer.status in ("crashed", "closed", "failed"):
        world.restart(name)
    elif kind == "pause" and consumer.status in ("in_poll", "processing"):
        world.pause(name, rng.choice([5_000, 15_000]))
    elif kind == "fail" and len(world.cluster.live_brokers) > 1:
        world.fail_broker(rng.choice(world.cluster.live_brokers).node_id)
    elif kind == "restore":
        down = [b.node_id for b in world.cluster.brokers if not b.up]
        if down:
            world.restore_broker(rng.choice(down))
    elif kind == "move":
        live = world.cluster.live_brokers
        world.move_coordinator(rng.choice(GROUPS), rng.choice(live).node_id)
    elif kind == "join":
        group = rng.choice(GROUPS)
        world.consumer(f"n{len(world.consumers)}", group=group, topics=["orders" if group == "g1" else "pay"],
                       session_timeout_ms=10_000)
