"""Exercises: one source of truth, checks that teach, and the coverage the course promises."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from kafkalab.exercises import EXERCISES, Status, evaluate, format_verdict
from kafkalab.exercises.core import PAIN_POINTS
from kafkalab.exercises.make import MarkerError, generate, main, stub_code

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_exercises_folder_is_generated_from_solutions_and_not_stale():
    assert main([str(ROOT / "solutions"), str(ROOT / "exercises"), "--check"]) == 0


def test_staleness_is_detected(tmp_path):
    generate(ROOT / "solutions", tmp_path)
    assert generate(ROOT / "solutions", tmp_path, check=True) == []
    victim = sorted(tmp_path.glob("*.ipynb"))[0]
    victim.write_text(victim.read_text().replace("YOUR ANSWER HERE", "42"))
    assert generate(ROOT / "solutions", tmp_path, check=True) == [victim.name]


def test_stubs_keep_the_notebook_runnable():
    assert stub_code("### BEGIN SOLUTION\nx = 3\ny, z = 1, 2\n### END SOLUTION") == (
        "x = ...  # YOUR ANSWER HERE\ny = ...  # YOUR ANSWER HERE\nz = ...  # YOUR ANSWER HERE")
    assert stub_code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION") == (
        'def f():\n    raise NotImplementedError("YOUR CODE HERE")')
    with pytest.raises(MarkerError, match="without"):
        stub_code("### BEGIN SOLUTION\nx = 1")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_notebooks_hold_no_answers_and_no_outputs(path):
    ex = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
    for cell in ex.cells:
        assert "BEGIN SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in ex.metadata


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_exercise_has_its_cells_and_its_hints_folded(path):
    nb = nbformat.read(path, as_version=4)
    kind = nb.metadata.get("kafkalab", {}).get("notebook")
    ids = sorted(e.id for e in EXERCISES.values() if e.notebook == kind)
    assert ids, f"{path.name}: no registered exercises for {kind!r}"
    text = "\n".join(c.source for c in nb.cells)
    for ex_id in ids:
        ex = EXERCISES[ex_id]
        assert re.search(rf"^### {re.escape(ex_id)} ", text, re.M), f"{ex_id}: no heading"
        assert f'check("{ex_id}", {ex.name})' in text, f"{ex_id}: no check cell for {ex.name}"
        assert "<details><summary>Hint</summary>" in text
        assert ex.hints[0] in text, f"{ex_id}: its first hint is not in the notebook"


def test_a_time_estimate_is_shown_in_the_heading():
    timed = [ex for ex in EXERCISES.values() if ex.minutes is not None]
    assert len(timed) >= 7
    for ex in timed:
        text = "\n".join(c.source for c in nbformat.read(ROOT / "solutions" / f"{ex.notebook}.ipynb", as_version=4).cells)
        heading = re.search(rf"^### {re.escape(ex.id)} .*$", text, re.M).group(0)
        assert heading.endswith(f"*({ex.kind}, about {ex.minutes} minutes)*"), heading


def test_solutions_pass_every_check():
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        kind = nb.metadata["kafkalab"]["notebook"]
        for ex_id in (e.id for e in EXERCISES.values() if e.notebook == kind):
            assert f"✓ {ex_id} correct" in outputs, f"{path.name}: {ex_id} not shown correct"


def test_unanswered_wrong_type_and_unknown_ids_get_friendly_messages():
    ex_id = sorted(EXERCISES)[0]
    assert evaluate(ex_id, ...).status is Status.UNANSWERED
    v = evaluate(ex_id, object())
    assert v.status in (Status.INVALID, Status.WRONG) and "Traceback" not in v.message
    assert "no exercise" in format_verdict("99.9", evaluate("99.9", 1))


def test_every_exercise_has_a_hint_and_a_known_kind():
    for ex in EXERCISES.values():
        assert ex.hints and all(h.strip() for h in ex.hints)
        assert ex.kind in ("predict", "diagnose", "configure", "build", "repair")


def test_coverage_at_least_24_exercises_two_per_notebook_every_pain_point():
    notebooks = {}
    for ex in EXERCISES.values():
        notebooks.setdefault(ex.notebook[:2], []).append(ex.id)
    assert len(EXERCISES) >= 24
    assert sorted(notebooks) == [f"{i:02d}" for i in range(1, 10)] + ["11"]
    assert all(len(ids) >= 2 for ids in notebooks.values())
    kinds = {ex.kind for ex in EXERCISES.values()}
    assert kinds == {"predict", "diagnose", "configure", "build", "repair"}
    covered = {p for ex in EXERCISES.values() for p in ex.pain_points}
    assert covered == set(PAIN_POINTS)
