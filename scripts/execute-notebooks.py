#!/usr/bin/env python3
"""Run notebooks top to bottom in a fresh kernel and save them with their outputs.

Course notebooks (notebooks/) and solutions (solutions/) are committed executed, so GitHub and
a first-time reader see the lesson's outputs; widget state is never saved (it breaks GitHub's
renderer), every player and widget carries a static HTML fallback instead.

Usage: .venv/bin/python scripts/execute-notebooks.py notebooks/00-start-here.ipynb [...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   store_widget_state=False).execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        path = Path(name)
        print(f"{path}: {execute(path):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
