#!/usr/bin/env python3
"""Time the instructors' grader on N submissions (default 30) on this machine.

Submissions are made from the committed notebooks: a third are solutions (every check passes,
so every checker runs), two thirds the generated exercises (unanswered), spread over the nine
exercise notebooks; each one is run in a fresh kernel as a real submission would be, in the
sandbox (bubblewrap) unless --no-sandbox is given.  Prints how learner code was isolated, the wall
time, the time per submission and the points found, and what starting a sandbox costs.
Usage: python benchmarks/bench_grade.py [--n 30] [--jobs 2] [--no-sandbox]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from kafkalab.exercises.grade import check_isolation, grade
from kafkalab.exercises.sandbox import Limits, Sandbox

ROOT = Path(__file__).resolve().parent.parent


def sandbox_start_cost(runs: int = 10) -> tuple[float, float]:
    """Seconds to run /bin/true in a sandbox, and the runner (Python importing kafkalab) that only
    sets its limits and prints ``ok``."""
    box = Sandbox(Limits(), check_isolation(True))
    t0 = time.perf_counter()
    for _ in range(runs):
        subprocess.run([*box.bwrap_args(), "--", "/bin/true"], check=True, env={"PATH": "/usr/bin:/bin"})
    bare = (time.perf_counter() - t0) / runs
    t0 = time.perf_counter()
    for _ in range(runs):
        running = box.start(["--probe"])
        running.exchange(b"", time.monotonic() + 30, 1 << 12, 1 << 12)
    return bare, (time.perf_counter() - t0) / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-sandbox", action="store_true", help="run the submissions without the sandbox")
    args = ap.parse_args()
    iso = check_isolation(not args.no_sandbox)
    print(f"isolation: {iso.describe()}")
    if iso.available:
        bare, runner = sandbox_start_cost()
        print(f"starting a sandbox: {bare * 1000:.0f} ms for bwrap and /bin/true, {runner * 1000:.0f} ms for bwrap "
              "and the runner (Python, importing kafkalab)")

    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        for i in range(args.n):
            src = (solutions if i % 3 == 0 else exercises)[i % len(solutions)]
            shutil.copy(src, subs / f"learner{i:02d}__{src.name}")
        t0 = time.perf_counter()
        rows = grade(subs, out, jobs=args.jobs, sandbox=not args.no_sandbox, log=lambda msg: None)
        elapsed = time.perf_counter() - t0
    points = sum(r.points for r in rows)
    print(f"graded {args.n} submissions ({len(rows)} exercise rows, {points:g} points) with --jobs {args.jobs} "
          f"{'without' if args.no_sandbox else 'with'} the sandbox in {elapsed:.1f} s: "
          f"{elapsed / args.n:.2f} s per submission")


if __name__ == "__main__":
    main()
