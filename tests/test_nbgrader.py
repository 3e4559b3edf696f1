"""The nbgrader export (``kafkalab-exercises solutions --nbgrader OUT``) and its round trip.

* Every exported notebook is valid for nbformat and for nbgrader's own metadata validator; every
  exercise has one locked, autograded test cell worth its points in kafkalab's grader; every
  solution region sits in a solution cell; every other cell is locked.
* The round trip: in a temporary course folder, ``nbgrader generate_assignment`` releases the
  assignments; three learners submit them (``correct``: the solutions' answers, ``empty``: the
  released notebooks untouched, ``mixed``: some right, some wrong, some unanswered);
  ``nbgrader autograde`` grades them, and ``kafkalab-grade`` grades the same files. The points
  per (learner, exercise) must agree. It runs on two notebooks that cover value answers and a
  3-point code answer (06.3, a class); ``KAFKALAB_NBGRADER_ALL=1`` runs all nine.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator

from kafkalab.exercises import EXERCISES
from kafkalab.exercises.autograde import assert_correct
from kafkalab.exercises.make import BEGIN, END
from kafkalab.exercises.make import main as make_main
from kafkalab.exercises.nbgrader_export import ExportError, assignment_name, exercise_of, export, to_nbgrader

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
ONE = ROOT / "solutions" / "01-groups-and-coordinator.ipynb"   # the notebook the refusal tests edit
BIN = Path(sys.executable).parent
# Value answers (an int, a tuple) and a code answer worth 3 points (06.3, a class); all nine
# notebooks take about three times as long.
ROUND_TRIP = [p.stem for p in SOLUTIONS] if os.environ.get("KAFKALAB_NBGRADER_ALL") else [
    "01-groups-and-coordinator", "06-assignors"]


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


# ---------------------------------------------------------------------------- structure of every notebook

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    written, wrote_config = export(ROOT / "solutions", out)
    assert wrote_config
    return out, written


def test_one_assignment_per_solution_notebook(course):
    out, written = course
    assert [nb.assignment for nb in written] == [assignment_name(p.stem) for p in SOLUTIONS]
    assert assignment_name("01-groups-and-coordinator") == "ps01-groups-and-coordinator"
    for nb, path in zip(written, SOLUTIONS):
        assert nb.path == out / "source" / nb.assignment / path.name
    config = (out / "nbgrader_config.py").read_text()
    assert 'c.CourseDirectory.course_id = "kafkalab"' in config.replace("'", '"')


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_exported_notebook_is_valid_and_grades_every_exercise_with_kafkalabs_points(course, path):
    out, _ = course
    nb = nbformat.read(out / "source" / assignment_name(path.stem) / path.name, as_version=4)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)  # nbgrader's own check (generate_assignment runs it too)
    kind = nb.metadata["kafkalab"]["notebook"]
    tests = {exercise_of(_meta(c)["grade_id"]): c for c in nb.cells if _meta(c).get("grade")}
    assert sorted(tests) == sorted(e.id for e in EXERCISES.values() if e.notebook == kind)
    for ex_id, cell in tests.items():
        ex = EXERCISES[ex_id]
        assert _meta(cell)["points"] == ex.points
        assert _meta(cell)["locked"] and not _meta(cell)["solution"] and cell.cell_type == "code"
        assert f'assert_correct("{ex_id}", {ex.name})' in cell.source
    for cell in nb.cells:
        assert _meta(cell), "every cell carries nbgrader metadata"
        has_region = any(line.strip() in (BEGIN, END) for line in cell.source.split("\n"))
        if has_region:
            assert _meta(cell)["solution"] and not _meta(cell)["locked"] and not _meta(cell)["grade"]
        elif not _meta(cell)["grade"]:
            assert _meta(cell)["locked"] and not _meta(cell)["solution"], cell.source[:80]
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in nb.metadata


def test_a_markdown_answer_or_a_check_of_the_wrong_name_is_refused_with_the_reason():
    nb = nbformat.read(ONE, as_version=4)
    md = nbformat.from_dict(nb)
    md.cells.append(nbformat.v4.new_markdown_cell("Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"))
    with pytest.raises(ExportError, match="markdown answer"):
        to_nbgrader(md, "md.ipynb")
    prose = nbformat.from_dict(nb)
    prose.cells.append(nbformat.v4.new_markdown_cell("Authors write answers after a `### BEGIN SOLUTION` line."))
    with pytest.raises(ExportError, match="outside a solution region"):
        to_nbgrader(prose, "prose.ipynb")
    wrong = nbformat.from_dict(nbformat.read(ONE, as_version=4))
    check = next(c for c in wrong.cells if "check" in c.metadata.get("tags", []))
    check.source = check.source.replace("payments_partition", "something_else")
    with pytest.raises(ExportError, match="checks `payments_partition`, not `something_else`"):
        to_nbgrader(wrong, "wrong.ipynb")
    gone = nbformat.from_dict(nbformat.read(ONE, as_version=4))
    gone.cells = [c for c in gone.cells if 'check("01.2"' not in c.source]
    with pytest.raises(ExportError, match=r"no check cell for exercise\(s\) 01.2"):
        to_nbgrader(gone, "gone.ipynb")


def test_cli_writes_the_course_and_keeps_an_existing_config(tmp_path, capsys):
    out = tmp_path / "course"
    assert make_main([str(ROOT / "solutions"), "--nbgrader", str(out)]) == 0
    assert f"{len(SOLUTIONS)} assignment(s)" in capsys.readouterr().out
    (out / "nbgrader_config.py").write_text("c = get_config()\n# the instructor's own\n")
    assert make_main([str(ROOT / "solutions"), "--nbgrader", str(out)]) == 0
    assert "kept the existing" in capsys.readouterr().out
    assert "the instructor's own" in (out / "nbgrader_config.py").read_text()
    assert make_main([str(tmp_path / "nope"), "--nbgrader", str(out)]) == 2
    assert "not a folder of solution notebooks" in capsys.readouterr().err


def test_assert_correct_passes_a_right_answer_and_fails_with_the_checks_message(capsys):
    assert_correct("06.2", (2, 0))
    assert "✓ 06.2 correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="06.2 not yet") as wrong:
        assert_correct("06.2", (2, 1))
    assert EXERCISES["06.2"].hints[0] in str(wrong.value)
    with pytest.raises(AssertionError, match="not answered yet"):
        assert_correct("06.2", ...)


# ---------------------------------------------------------------------------- the round trip

def _env(tmp: Path) -> dict:
    # nbgrader runs `alembic` from PATH when it creates the gradebook; the kernels must be this
    # environment's, and no user configuration may leak in.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"), "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
            "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


def _run(args: list[str], cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def _solution_body(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def _submissions(course: Path, stem: str) -> None:
    """Write the correct, empty and mixed submissions of one assignment."""
    assignment = assignment_name(stem)
    released = nbformat.read(course / "release" / assignment / f"{stem}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / assignment / f"{stem}.ipynb", as_version=4)
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}
    for learner in ("correct", "empty", "mixed"):
        nb = nbformat.from_dict(released)
        for i, cell in enumerate(c for c in nb.cells if _meta(c).get("solution")):
            gid = _meta(cell)["grade_id"]
            ex = EXERCISES[exercise_of(gid)]
            if learner == "correct" or (learner == "mixed" and i % 3 == 0):
                cell.source = _solution_body(answers[gid])
            elif learner == "mixed" and i % 3 == 1 and ex.answer == "value":
                cell.source = f"{ex.name} = None  # a wrong answer"
            # else: the released stub (nbgrader's `raise NotImplementedError()`), i.e. unanswered
        target = course / "submitted" / learner / assignment / f"{stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def test_nbgrader_and_kafkalab_grade_give_the_same_points(tmp_path):
    course = tmp_path / "course"
    export(ROOT / "solutions", course)
    for extra in set((course / "source").iterdir()) - {course / "source" / assignment_name(s) for s in ROUND_TRIP}:
        shutil.rmtree(extra)
    env = _env(tmp_path)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    _run([*nbgrader, "generate_assignment", "*"], course, env)  # every assignment in source/
    for stem in ROUND_TRIP:
        _submissions(course, stem)
    # Both graders at once: nbgrader runs one kernel at a time, kafkalab-grade two.
    kl_out = tmp_path / "kafkalab-results"
    grader = subprocess.Popen([str(BIN / "kafkalab-grade"), str(course / "submitted"), "--out", str(kl_out),
                               "--jobs", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _run([*nbgrader, "autograde", "*"], course, env)  # every submitted assignment of every learner
    finally:
        out, err = grader.communicate(timeout=600)
    assert grader.returncode == 0, f"kafkalab-grade failed:\n{out}\n{err}"

    nbgrader_points: dict[tuple[str, str], float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "kafkalab") as gb:
        for stem in ROUND_TRIP:
            for learner in ("correct", "empty", "mixed"):
                submission = gb.find_submission_notebook(stem, assignment_name(stem), learner)
                for grade in submission.grades:
                    nbgrader_points[learner, exercise_of(grade.name)] = grade.score
                    assert grade.max_score == EXERCISES[exercise_of(grade.name)].points
    with open(kl_out / "grades.csv", newline="", encoding="utf-8") as f:
        kafkalab_points = {(row["learner"], row["exercise_id"]): float(row["points"]) for row in csv.DictReader(f)}

    ids = sorted(e.id for e in EXERCISES.values() if e.notebook in ROUND_TRIP)
    expected_keys = {(learner, ex_id) for learner in ("correct", "empty", "mixed") for ex_id in ids}
    assert set(nbgrader_points) == expected_keys and set(kafkalab_points) == expected_keys
    assert nbgrader_points == kafkalab_points
    assert all(nbgrader_points["correct", i] == EXERCISES[i].points for i in ids)
    assert all(nbgrader_points["empty", i] == 0 for i in ids)
    mixed = [nbgrader_points["mixed", i] for i in ids]
    assert 0 < sum(mixed) < sum(EXERCISES[i].points for i in ids), mixed
