#!/usr/bin/env python3
"""Time the instructors' grader on N submissions (default: 30, then 300) on this machine.

Submissions are made from the committed notebooks: a third are solutions (every check passes,
so every checker runs), two thirds the generated exercises (unanswered), spread over the nine
exercise notebooks; each one is run in a fresh kernel as a real submission would be, in the
sandbox (bubblewrap) unless --no-sandbox is given, with learner processes forked from the fork
server's template unless --fresh is given.  Prints how learner code was isolated, what starting a
sandbox, a fresh runner and the fork server cost, and for each N the wall time, the seconds per
submission and the points found.
Usage: python benchmarks/bench_grade.py [--n 30 --n 300] [--jobs 2] [--no-sandbox] [--fresh] [--progress]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from kafkalab.exercises.forkserver import ForkServer
from kafkalab.exercises.grade import check_isolation, grade
from kafkalab.exercises.sandbox import Limits, Sandbox, sandbox_env

ROOT = Path(__file__).resolve().parent.parent


def start_costs(runs: int = 10) -> tuple[float, float, float, float]:
    """Seconds to run /bin/true in a sandbox; to run the runner there started fresh (Python importing
    kafkalab: it sets its limits and prints ``ok``); to start the fork server's template; and to fork
    the same runner from it into a new sandbox."""
    box = Sandbox(Limits(), check_isolation(True))

    def probe(b: Sandbox) -> None:
        running = b.start(["--probe"])
        running.exchange(b"", time.monotonic() + 30, 1 << 12, 1 << 12)

    t0 = time.perf_counter()
    for _ in range(runs):
        subprocess.run([*box.bwrap_args(), "--", "/bin/true"], check=True, env={"PATH": "/usr/bin:/bin"})
    bare = (time.perf_counter() - t0) / runs
    t0 = time.perf_counter()
    for _ in range(runs):
        probe(box)
    fresh = (time.perf_counter() - t0) / runs
    t0 = time.perf_counter()
    server = ForkServer.start(sandbox_env())
    template = time.perf_counter() - t0
    try:
        box.spawner = server
        t0 = time.perf_counter()
        for _ in range(runs):
            probe(box)
        forked = (time.perf_counter() - t0) / runs
    finally:
        server.close()
    return bare, fresh, template, forked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="number of submissions (repeat for several runs; "
                    "default: 30 and 300)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-sandbox", action="store_true", help="run the submissions without the sandbox")
    ap.add_argument("--fresh", action="store_true", help="start every learner process and judge fresh (no fork server)")
    ap.add_argument("--progress", action="store_true", help="show the grader's progress line")
    args = ap.parse_args()
    sizes = args.n or [30, 300]
    iso = check_isolation(not args.no_sandbox)
    print(f"isolation: {iso.describe()}")
    if iso.available:
        bare, fresh, template, forked = start_costs()
        print(f"starting a sandbox: {bare * 1000:.0f} ms for bwrap and /bin/true; {fresh * 1000:.0f} ms for bwrap and "
              f"the runner started fresh (Python, importing kafkalab); {forked * 1000:.0f} ms for bwrap and the runner "
              f"forked from the fork server's template (which takes {template:.2f} s to start, once per run)")

    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    how = f"--jobs {args.jobs} {'without' if args.no_sandbox else 'with'} the sandbox, " + \
        ("each process started fresh" if args.fresh else "forked from the fork server")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            subs, out = Path(tmp) / "subs", Path(tmp) / "out"
            subs.mkdir()
            for i in range(n):
                src = (solutions if i % 3 == 0 else exercises)[i % len(solutions)]
                shutil.copy(src, subs / f"learner{i:03d}__{src.name}")
            t0 = time.perf_counter()
            rows = grade(subs, out, jobs=args.jobs, sandbox=not args.no_sandbox, log=lambda msg: None,
                         progress=args.progress, fork_server=not args.fresh)
            elapsed = time.perf_counter() - t0
        points = sum(r.points for r in rows)
        print(f"graded {n} submissions ({len(rows)} exercise rows, {points:g} points) with {how} in {elapsed:.1f} s: "
              f"{elapsed / n:.2f} s per submission", flush=True)


if __name__ == "__main__":
    main()
