"""The course notebooks are committed in the shape the course promises (structure, not content)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_the_course_has_notebooks_numbered_from_00():
    assert NOTEBOOKS and NOTEBOOKS[0].name.startswith("00-")
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), "notebooks must be numbered 00, 01, ... without gaps"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_executed_and_has_no_widget_state(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, "saved widget state breaks GitHub's renderer"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a course notebook runs code"
    counts = [c.execution_count for c in code]
    assert all(counts), "commit notebooks executed top to bottom (scripts/execute-notebooks.py)"
    assert counts == list(range(1, len(counts) + 1)), "executed in order, in one fresh kernel"
    for c in code:
        for out in c.outputs:
            assert out.output_type != "error", f"cell {c.source[:40]!r} failed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_goals_and_time_and_closes_with_summary_and_next(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source
    assert first.startswith("# "), "the first cell is the title"
    assert "Learning goals" in first and re.search(r"\*\*Time:\*\*", first)
    last = nb.cells[-1].source
    assert "## Summary" in last
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", last)
    assert links, "the closing cell links onwards (next notebook / exercises)"
    for link in links:
        assert (path.parent / link).resolve().exists(), f"broken link {link}"
