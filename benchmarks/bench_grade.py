#!/usr/bin/env python3
"""Time the instructors' grader on N submissions (default 30) on this machine.

Submissions are made from the committed notebooks: a third are solutions (every check passes,
so every checker runs), two thirds the generated exercises (unanswered), spread over the nine
exercise notebooks; each one is run in a fresh kernel as a real submission would be.  Prints the wall time, the time per submission and the
points found.  Usage: python benchmarks/bench_grade.py [--n 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    from kafkalab.exercises.grade import grade

    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        for i in range(args.n):
            src = (solutions if i % 3 == 0 else exercises)[i % len(solutions)]
            shutil.copy(src, subs / f"learner{i:02d}__{src.name}")
        t0 = time.perf_counter()
        rows = grade(subs, out, jobs=args.jobs)
        elapsed = time.perf_counter() - t0
    points = sum(r.points for r in rows)
    print(f"graded {args.n} submissions ({len(rows)} exercise rows, {points:g} points) with --jobs {args.jobs} "
          f"in {elapsed:.1f} s: {elapsed / args.n:.2f} s per submission")


if __name__ == "__main__":
    main()
