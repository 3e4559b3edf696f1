#!/usr/bin/env python3
"""How long a learner waits in JupyterLab: open a notebook and run all its cells, in a real browser.

For each round it starts a fresh JupyterLab server (``tests/browser/lab.py``: 127.0.0.1, random
port and token, throw-away settings), launches headless Chromium (Debian's ``chromium`` through
Playwright), then times, *after the server is up*:

* open: from loading the notebook's URL until its kernel is idle (``cells_shown``: until Lab
  showed the notebook's cells; the rest is the kernel starting);
* run all: Edit > Clear Outputs of All Cells, Run > Run All Cells, until every cell has run and
  the kernel is idle;
* widgets: until no "Loading widget..." is left.

Their sum is what the target is about.  Server start-up and the browser launch are printed apart.

Usage: .venv/bin/python benchmarks/bench_lab.py [--notebook notebooks/00-start-here.ipynb] [--rounds 3]
Target: open + run all + widgets under 10 s (2 cores).
Needs Debian's chromium (``apt-get install chromium``) and playwright (the ``test`` extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.lab import (LabServer, code_cell_count, find_chromium, launch_chromium,  # noqa: E402
                         open_notebook, run_all_cells)

TARGET_S = 10.0


def one_round(notebook: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    times: dict[str, float] = {}
    with LabServer(notebook.parent, timeout=90) as lab, \
            tempfile.TemporaryDirectory(prefix="kafkalab-chromium-") as profile, sync_playwright() as pw:
        times["server_ready"] = lab.ready_s or 0.0
        t = time.perf_counter()
        context = launch_chromium(pw, profile)
        page = context.pages[0]
        times["browser_launch"] = time.perf_counter() - t
        try:
            t0 = time.perf_counter()
            marks: dict[str, float] = {}
            open_notebook(page, lab, notebook.name, timeout=90, marks=marks)
            times["open"] = time.perf_counter() - t0
            times["cells_shown"] = marks["cells_shown"]
            t = time.perf_counter()
            run_all_cells(page, lab, notebook.name, code_cell_count(notebook), timeout=90)
            times["run_all"] = time.perf_counter() - t
            t = time.perf_counter()
            page.wait_for_function("() => !document.querySelector('.jp-Notebook').innerText"
                                   ".includes('Loading widget')", timeout=30_000)
            times["widgets"] = time.perf_counter() - t
            times["open_and_run"] = time.perf_counter() - t0
        finally:
            context.close()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "00-start-here.ipynb")
    ap.add_argument("--rounds", type=int, default=3, help="fresh server + browser each round")
    args = ap.parse_args()
    if find_chromium() is None:
        print("Debian's chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    notebook = args.notebook.resolve()
    print(f"{notebook.relative_to(ROOT) if notebook.is_relative_to(ROOT) else notebook}: "
          f"{code_cell_count(notebook)} code cells; {args.rounds} round(s), each with a fresh server and browser")
    keys = ["server_ready", "browser_launch", "cells_shown", "open", "run_all", "widgets", "open_and_run"]
    rows = []
    for i in range(args.rounds):
        times = one_round(notebook)
        rows.append(times)
        print(f"round {i + 1}: " + "  ".join(f"{k} {times[k]:5.2f} s" for k in keys))
    print("median:  " + "  ".join(f"{k} {statistics.median(r[k] for r in rows):5.2f} s" for k in keys))
    best = min(r["open_and_run"] for r in rows)
    median = statistics.median(r["open_and_run"] for r in rows)
    verdict = "within" if median < TARGET_S else "OVER"
    print(f"open + run all + widgets: median {median:.2f} s, best {best:.2f} s "
          f"({verdict} the {TARGET_S:.0f} s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
