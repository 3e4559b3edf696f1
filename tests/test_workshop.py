"""docs/workshop.md: its timings table is the one scripts/workshop_table.py generates from the
notebooks (their own time estimates, exercises and read-through rule), and its session plans add
up and name real notebooks and exercises."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from kafkalab.exercises import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "workshop.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _load_script():
    spec = importlib.util.spec_from_file_location("workshop_table", ROOT / "scripts" / "workshop_table.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


table = _load_script()


def test_the_timings_table_is_generated_from_the_notebooks_and_not_stale():
    doc = DOC.read_text(encoding="utf-8")
    assert table.render(doc) == doc, "docs/workshop.md's table is stale: run scripts/workshop_table.py --write"
    assert table.main(["--check"]) == 0


def test_the_table_shows_each_notebooks_own_estimate():
    doc = DOC.read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        minutes = int(re.search(r"\*\*Time:\*\* about (\d+) minutes", nb.cells[0].source).group(1))
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{path.stem}` "))
        assert row.split(" | ")[1] == f"{minutes} min", row


def test_the_estimate_is_read_from_the_notebook_and_a_missing_one_is_an_error():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.cells[0].source = re.sub(r"about \d+ minutes", "about 42 minutes", nb.cells[0].source)
    assert table.own_estimate(nb, "x") == 42
    nb.cells[0].source = nb.cells[0].source.replace("**Time:**", "Time")
    with pytest.raises(ValueError, match="no time estimate"):
        table.own_estimate(nb, "x")


def test_every_stored_run_time_is_of_an_existing_notebook():
    stored = json.loads((ROOT / "docs" / "workshop-timings.json").read_text(encoding="utf-8"))
    assert set(stored["seconds"]) <= {p.stem for p in NOTEBOOKS}
    assert all(s > 0 for s in stored["seconds"].values())


def _plans() -> dict[int, list[list[str]]]:
    doc = DOC.read_text(encoding="utf-8")
    plans = {}
    for m in re.finditer(r"<!-- plan: (\d+) -->\n(.*?)<!-- plan: end -->", doc, re.S):
        rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in m.group(2).strip().splitlines()]
        plans[int(m.group(1))] = rows[2:]  # without the header and the --- line
    return plans


@pytest.mark.parametrize("length", [90, 180])
def test_a_plan_adds_up_and_names_real_notebooks_and_exercises(length):
    rows = _plans()[length]
    notebooks = {p.stem for p in NOTEBOOKS}
    clock = 0
    for start, what, exercises, minutes in rows:
        hours, mins = start.split(":")
        assert int(hours) * 60 + int(mins) == clock, f"{start}: expected {clock // 60}:{clock % 60:02d}"
        clock += int(minutes)
        named = set(re.findall(r"`(\d\d-[a-z-]+)`", what))
        assert named <= notebooks, named - notebooks
        for ex_id in filter(None, (e.strip() for e in exercises.split(","))):
            assert ex_id in EXERCISES, ex_id
            assert EXERCISES[ex_id].notebook in named, f"{ex_id} is not from {named}"
    assert clock == length
    assert any("**Pause**" in what or "**Break**" in what for _, what, _, _ in rows)
