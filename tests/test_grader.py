"""The instructors' grader on a correct, a partly correct, a tampered, a broken and a never-ending submission."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import nbformat
import pytest

from kafkalab.exercises import EXERCISES
from kafkalab.exercises.grade import grade, main
from kafkalab.exercises.sandbox import probe

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01-groups-and-coordinator"
IDS = sorted(e.id for e in EXERCISES.values() if e.notebook == NOTEBOOK)


def _exercise_nb():
    return nbformat.read(ROOT / "exercises" / f"{NOTEBOOK}.ipynb", as_version=4)


def _answer(nb, name, value_source):
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(f"{name} = ...") or (
                cell.cell_type == "code" and f"\n{name} = ..." in cell.source):
            cell.source = cell.source.replace(f"{name} = ...  # YOUR ANSWER HERE", f"{name} = {value_source}")
            return
    raise AssertionError(f"no stub for {name}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    iso = probe()
    if not iso.available:  # the grader runs learners' code only in its sandbox (bubblewrap)
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"the grader's sandbox cannot run here: {iso.problem}")
        pytest.skip(f"the grader's sandbox cannot run here: {iso.problem}")
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("results")
    # correct: the solution notebook itself
    sol = nbformat.read(ROOT / "solutions" / f"{NOTEBOOK}.ipynb", as_version=4)
    (subs / "ada").mkdir()
    nbformat.write(sol, subs / "ada" / f"{NOTEBOOK}.ipynb")
    # partly correct: 01.2 right, 01.1 wrong (Python's abs idea), 01.3 left unanswered
    part = _exercise_nb()
    _answer(part, "min_value_partition", "0")
    _answer(part, "payments_partition", "abs(java_string_hashcode('payments')) % 49")
    nbformat.write(part, subs / f"bob__{NOTEBOOK}.ipynb")
    # tampered: redefines check() to always say correct, answers wrong
    tam = _exercise_nb()
    tam.cells.insert(1, nbformat.v4.new_code_cell("def check(*a, **k):\n    print('✓ correct')\n"
                                                  "import kafkalab.exercises as kx\nkx.evaluate = lambda *a: None"))
    _answer(tam, "payments_partition", "1")
    _answer(tam, "min_value_partition", "48")
    nbformat.write(tam, subs / f"cyd__{NOTEBOOK}.ipynb")
    # broken: truncated JSON
    text = (ROOT / "solutions" / f"{NOTEBOOK}.ipynb").read_text()
    (subs / f"dan__{NOTEBOOK}.ipynb").write_text(text[: len(text) // 2])
    # never terminating: an infinite loop before the last answer, plus a deleted answer cell
    loop = _exercise_nb()
    _answer(loop, "min_value_partition", "0")
    for i, cell in enumerate(loop.cells):
        if "coordinator_and_leader = ..." in cell.source:
            loop.cells[i] = nbformat.v4.new_code_cell("while True:\n    try:\n        pass\n    except BaseException:\n        pass")
    loop.cells = [c for c in loop.cells if "payments_partition = ..." not in c.source]
    nbformat.write(loop, subs / f"eve__{NOTEBOOK}.ipynb")
    rows = grade(subs, out, jobs=2, cell_timeout=5, timeout=25)
    with open(out / "grades.csv", newline="") as f:
        table = list(csv.DictReader(f))
    return rows, table, out, subs


def _by(table, learner):
    return {r["exercise_id"]: r for r in table if r["learner"] == learner}


def test_correct_submission_scores_full_points(graded):
    _, table, _, _ = graded
    ada = _by(table, "ada")
    assert sorted(ada) == IDS
    assert all(r["status"] == "correct" and r["points"] == r["max_points"] for r in ada.values())


def test_partly_correct_submission(graded):
    bob = _by(graded[1], "bob")
    assert bob["01.2"]["status"] == "correct" and bob["01.2"]["points"] == "1"
    assert bob["01.1"]["status"] == "wrong" and bob["01.1"]["points"] == "0"
    assert bob["01.3"]["status"] == "unanswered"


def test_tampered_check_function_gains_nothing(graded):
    cyd = _by(graded[1], "cyd")
    assert cyd["01.1"]["status"] == "wrong" and cyd["01.2"]["status"] == "wrong"
    assert "Python's abs" in cyd["01.2"]["reason"]
    assert all(r["points"] == "0" for r in cyd.values())


def test_broken_notebook_scores_zero_with_a_reason(graded):
    dan = _by(graded[1], "dan")
    assert sorted(dan) == IDS
    assert all(r["points"] == "0" and "not a readable notebook" in r["reason"] for r in dan.values())


def test_never_terminating_submission_keeps_what_ran_before(graded):
    eve = _by(graded[1], "eve")
    assert eve["01.2"]["status"] == "correct"
    assert eve["01.1"]["status"] == "missing"           # its cell was deleted
    assert eve["01.3"]["points"] == "0" and eve["01.3"]["status"] in ("missing", "error")


def test_outputs_stay_in_the_output_folder(graded):
    _, _, out, subs = graded
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "summary.md"]
    summary = (out / "summary.md").read_text()
    assert "| ada | 3 | 3 |" in summary and "5 notebook(s) from 5 learner(s)" in summary
    # instructors see what each exercise works on: its kind, recall or transfer, and its pain points
    assert "| 01.3 | diagnose, transfer | coordinator versus leader; which broker coordinates a group |" in summary


def test_cli_refuses_a_missing_folder_and_an_output_inside_the_submissions(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "subs").mkdir()
    assert main([str(tmp_path / "subs"), "--out", str(tmp_path / "subs" / "o")]) == 2
