"""Export the exercises as an nbgrader course folder (``kafkalab-exercises solutions --nbgrader OUT``).

nbgrader (0.9.x, JupyterLab 4) releases and autogrades notebooks whose cells carry nbgrader
metadata.  From each ``solutions/NN-name.ipynb`` this writes
``OUT/source/psNN-name/NN-name.ipynb``, one assignment per notebook, plus
``OUT/nbgrader_config.py`` (with ``course_id``) when there is none yet:

* a code cell holding ``### BEGIN SOLUTION`` / ``### END SOLUTION`` becomes an nbgrader
  **solution cell**; the markers are nbgrader's own, so ``nbgrader generate_assignment`` replaces
  each region with nbgrader's stub (``# YOUR CODE HERE`` / ``raise NotImplementedError()``).  A
  comment above a top-level region names the variable the test cell checks;
* a check cell (tagged ``check``, ``check("01.1", answer)``) becomes an autograded **test cell**,
  locked, worth the exercise's points in kafkalab's grader, that calls
  :func:`kafkalab.exercises.autograde.assert_correct` (kafkalab's checker for that exercise);
* every other cell is a locked, read-only cell; cells tagged ``solution-only`` are dropped;
  outputs, execution counts and widget state are cleared.

kafkalab's checks grade code cells only, so a markdown solution region (``<!-- BEGIN SOLUTION -->``)
is refused with a clear error rather than turned into a manually graded cell.

Points: kafkalab's grader gives an exercise all its points (``Exercise.points``) when the check
says ✓ and 0 otherwise; an nbgrader test cell does the same (its points when it runs without an
error, else 0), so both graders agree on every exercise.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import nbformat

from .core import EXERCISES
from .make import BEGIN, END, MD_BEGIN, MD_END, MarkerError, _assigned_names, stub_code

#: nbgrader's cell metadata format (nbgrader 0.9 writes and reads version 3).
SCHEMA_VERSION = 3
#: Assignment names: ``ps`` + the notebook's stem, e.g. ``ps01-groups-and-coordinator``.
ASSIGNMENT_PREFIX = "ps"
COURSE_ID = "kafkalab"

_CHECK_CALL = re.compile(r"""^\s*check\(\s*["'](?P<id>[0-9]{2}\.[0-9]+)["']\s*,\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$""")

CONFIG_TEMPLATE = '''\
# nbgrader configuration for the kafkalab exercises, written by `kafkalab-exercises --nbgrader`.
# Run nbgrader from this folder, e.g.
#   nbgrader generate_assignment ps01-groups-and-coordinator
#   nbgrader autograde ps01-groups-and-coordinator
# The test cells import kafkalab, so the kernel that grades must have kafkalab installed.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = "."
# A check that runs the simulator can take a few seconds; none should take minutes.
c.ExecutePreprocessor.timeout = 120
'''

NOTE = """\
> **nbgrader version** (in place of the instructions above). Write each answer where it says `YOUR CODE HERE`, replacing
> `raise NotImplementedError()`, and set the variable (or define the function or class) that the
> test cell below it names. Running a test cell runs kafkalab's check: it prints ✓ when the answer
> is right, and otherwise fails with what kind of answer it expected and a hint. The autograder
> gives each exercise its points when its test cell passes."""


class ExportError(ValueError):
    """A solution notebook that cannot become an nbgrader notebook; the message says where and why."""


@dataclass(frozen=True)
class ExportedNotebook:
    assignment: str
    path: Path
    exercise_ids: tuple[str, ...]


def grade_id(prefix: str, exercise_id: str) -> str:
    """An nbgrader grade id (letters, digits, ``_`` and ``-`` only): ``("check", "01.1")`` -> ``check-01_1``."""
    return f"{prefix}-{exercise_id.replace('.', '_')}"


def exercise_of(grade_id: str) -> str:
    """The exercise id in a test cell's grade id: ``check-01_1`` -> ``01.1``."""
    return grade_id.split("-", 1)[1].replace("_", ".")


def assignment_name(stem: str) -> str:
    """``01-groups-and-coordinator`` -> ``ps01-groups-and-coordinator``."""
    return ASSIGNMENT_PREFIX + stem


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: Optional[float] = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _check_call(source: str) -> Optional[tuple[str, str]]:
    """``(exercise id, answer name)`` of a check cell's ``check("01.1", name)`` line, if any."""
    for line in source.splitlines():
        m = _CHECK_CALL.match(line)
        if m:
            return m.group("id"), m.group("name")
    return None


def _top_level_answer_names(source: str) -> list[str]:
    """Names assigned (or defined) by the solution regions at the top level of a code cell."""
    names: list[str] = []
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() == BEGIN:
            j = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == END)
            for name in _assigned_names("\n".join(lines[i + 1:j])):
                if name not in names:
                    names.append(name)
    return names


def _answer_source(source: str, checked: Optional[str]) -> str:
    """The solution cell's source for nbgrader: the cell as written, with a comment naming the
    checked variable above each top-level region (nbgrader's stub drops the region itself)."""
    if checked is None or checked not in _top_level_answer_names(source):
        return source
    out = []
    for line in source.split("\n"):
        if line.rstrip() == BEGIN:
            out.append(f"# Your answer: set `{checked}` (the test cell below checks it).")
        out.append(line)
    return "\n".join(out)


def to_nbgrader(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The nbgrader source version of a solution notebook (a new object).

    Raises:
        ExportError: unbalanced markers, a markdown solution region, a check cell that is not
            ``check("ID", name)`` for a registered exercise of this notebook, or an exercise of
            this notebook without a check cell.
    """
    kind = nb.metadata.get("kafkalab", {}).get("notebook")
    expected = sorted(e.id for e in EXERCISES.values() if e.notebook == kind)
    if not expected:
        raise ExportError(f"{name}: metadata.kafkalab.notebook is {kind!r}, which has no registered exercises")
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    kept = [c for c in out.cells if "solution-only" not in c.get("metadata", {}).get("tags", [])]

    # Which exercise each solution cell answers: the first check cell after it.
    checks: dict[int, tuple[str, str]] = {}
    for n, cell in enumerate(kept):
        if "check" in cell.get("metadata", {}).get("tags", []):
            found = _check_call(cell.source) if cell.cell_type == "code" else None
            if found is None:
                raise ExportError(f"{name} cell {n}: a cell tagged `check` must call check(\"ID\", answer)")
            ex_id, answer = found
            ex = EXERCISES.get(ex_id)
            if ex is None or ex.notebook != kind:
                raise ExportError(f"{name} cell {n}: check({ex_id!r}, ...) is not an exercise of {kind}")
            if answer != ex.name:
                raise ExportError(f"{name} cell {n}: exercise {ex_id} checks `{ex.name}`, not `{answer}`")
            if ex_id in {e for e, _ in checks.values()}:
                raise ExportError(f"{name} cell {n}: a second check cell for {ex_id}")
            checks[n] = found
    missing = sorted(set(expected) - {e for e, _ in checks.values()})
    if missing:
        raise ExportError(f"{name}: no check cell for exercise(s) {', '.join(missing)}")

    cells = []
    answers_seen: dict[str, int] = {}
    for n, cell in enumerate(kept):
        where = f"{name} cell {n}"
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if n in checks:
            ex_id, answer = checks[n]
            ex = EXERCISES[ex_id]
            cell.source = (f"# Autograded: kafkalab's check for exercise {ex_id} "
                           f"({ex.points} point{'s' if ex.points != 1 else ''}).\n"
                           "from kafkalab.exercises.autograde import assert_correct\n"
                           f'assert_correct("{ex_id}", {answer})')
            cell.metadata["nbgrader"] = _nbgrader(grade_id("check", ex_id), grade=True, locked=True, points=ex.points)
        elif cell.cell_type == "markdown" and (MD_BEGIN in cell.source or MD_END in cell.source):
            raise ExportError(f"{where}: a markdown answer ({MD_BEGIN}); kafkalab's checks grade code cells "
                              "only, so the nbgrader export has no test for it. Make it a code answer, or "
                              "move the text out of the solution markers.")
        elif cell.cell_type == "code" and any(line.strip() in (BEGIN, END) for line in cell.source.split("\n")):
            try:
                stub_code(cell.source, where)  # the same marker rules as the exercise generator
            except MarkerError as exc:
                raise ExportError(str(exc)) from None
            following = [checks[m] for m in sorted(checks) if m > n]
            ex_id, answer = following[0] if following else (None, None)
            base = grade_id("answer", ex_id) if ex_id else "answer"
            answers_seen[base] = answers_seen.get(base, 0) + 1
            gid = base if answers_seen[base] == 1 else f"{base}-{answers_seen[base]}"
            cell.source = _answer_source(cell.source, answer)
            cell.metadata["nbgrader"] = _nbgrader(gid, solution=True)
        else:
            if "BEGIN SOLUTION" in cell.source or "END SOLUTION" in cell.source:
                raise ExportError(f"{where}: it mentions BEGIN/END SOLUTION outside a solution region; nbgrader "
                                  "would take that line for a marker. Reword it.")
            cell.metadata["nbgrader"] = _nbgrader(f"cell-{n:02d}", locked=True)
        cells.append(cell)
    note = nbformat.v4.new_markdown_cell(NOTE)
    note.metadata["nbgrader"] = _nbgrader("nbgrader-note", locked=True)
    cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, note)
    out.cells = cells
    nbformat.validate(out)
    return out


def export(solutions: Path, out: Path, course_id: str = COURSE_ID) -> tuple[list[ExportedNotebook], bool]:
    """Write the nbgrader course folder ``out``; return the notebooks written and whether
    ``nbgrader_config.py`` was written (an existing one is kept)."""
    paths = sorted(solutions.glob("*.ipynb"))
    if not paths:
        raise ExportError(f"{solutions} holds no solution notebooks (*.ipynb)")
    converted = []
    for path in paths:  # convert everything before writing anything
        nb = nbformat.read(path, as_version=4)
        converted.append((path.stem, to_nbgrader(nb, path.name)))
    written = []
    for stem, nb in converted:
        assignment = assignment_name(stem)
        target = out / "source" / assignment / f"{stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        ids = tuple(exercise_of(c.metadata["nbgrader"]["grade_id"]) for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade"))
        written.append(ExportedNotebook(assignment, target, ids))
    config = out / "nbgrader_config.py"
    wrote_config = not config.exists()
    if wrote_config:
        config.write_text(CONFIG_TEMPLATE.format(course_id=course_id), encoding="utf-8")
    return written, wrote_config


def run(solutions: Path, out: Path) -> int:
    """The ``--nbgrader OUT`` option of ``kafkalab-exercises``; returns the exit code."""
    if not solutions.is_dir():
        print(f"error: {solutions} is not a folder of solution notebooks", file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"error: {out} exists and is not a folder; give a folder for the nbgrader course", file=sys.stderr)
        return 2
    try:
        written, wrote_config = export(solutions, out)
    except (ExportError, MarkerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    points = sum(EXERCISES[i].points for nb in written for i in nb.exercise_ids)
    print(f"wrote an nbgrader course in {out}: {len(written)} assignment(s), "
          f"{sum(len(nb.exercise_ids) for nb in written)} autograded test cell(s), {points} point(s)")
    for nb in written:
        print(f"  {nb.assignment}: {nb.path.relative_to(out)} ({', '.join(nb.exercise_ids)})")
    print(("wrote " if wrote_config else "kept the existing ") + str(out / "nbgrader_config.py"))
    print(f"next: cd {out} && nbgrader generate_assignment {written[0].assignment}")
    return 0
