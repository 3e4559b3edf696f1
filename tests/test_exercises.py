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


def test_every_exercise_says_how_long_it_takes_in_its_heading():
    assert all(isinstance(ex.minutes, int) and ex.minutes > 0 for ex in EXERCISES.values())
    for ex in EXERCISES.values():
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


def test_coverage_every_notebook_every_pain_point_and_at_least_half_transfer():
    notebooks = {}
    for ex in EXERCISES.values():
        notebooks.setdefault(ex.notebook[:2], []).append(ex.id)
    assert len(EXERCISES) >= 24
    course = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    # every notebook of the course has exercises, except the tap notebook (real clusters, issue 15)
    tap = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]-tap-*.ipynb")}
    assert sorted(notebooks) == [n for n in course if n not in tap] and "00" in notebooks and "10" in notebooks
    assert all(len(ids) >= 2 for n, ids in notebooks.items() if n not in ("00", "10"))
    transfer = [ex.id for ex in EXERCISES.values() if ex.transfer]
    assert 2 * len(transfer) >= len(EXERCISES), f"only {len(transfer)} of {len(EXERCISES)} are transfer tasks"
    assert {ex.level for ex in EXERCISES.values()} == {"recall", "transfer"}
    kinds = {ex.kind for ex in EXERCISES.values()}
    assert kinds == {"predict", "diagnose", "configure", "build", "repair"}
    covered = {p for ex in EXERCISES.values() for p in ex.pain_points}
    assert covered == set(PAIN_POINTS)


# ---------------------------------------------------------------------- no give-aways

def _solution_values() -> dict[str, object]:
    """The answer of every exercise whose solution is a plain literal (``x = 3``, ``x = ("A", 2)``)."""
    import ast

    values = {}
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            m = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            if not m or cell.source.lstrip().startswith(("def ", "class ")):
                continue
            try:
                tree = ast.parse(m[1].strip())
            except SyntaxError:
                continue
            if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
                continue
            try:
                value = ast.literal_eval(tree.body[0].value)
            except ValueError:
                continue
            name = tree.body[0].targets[0].id
            ex = next((e for e in EXERCISES.values() if e.name == name and e.notebook == path.stem), None)
            if ex is not None:
                values[ex.id] = value
    return values


def _tokens(value) -> list[str]:
    """How an answer would show in a sentence: strings as they are, numbers of 2+ digits (and ms as s)."""
    if isinstance(value, dict):
        return [str(value), str(sorted(value.values()))]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tokens(v)] if any(isinstance(v, str) for v in value) else [str(tuple(value))]
    if isinstance(value, str):
        return [value] if len(value) >= 2 else []   # "a"/"b" stand for members: too short to search for
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10:
        out = [f"{value:g}"]
        if value >= 1000 and value % 1000 == 0:
            out.append(f"{value / 1000:g} s")
        return out
    return []


def _wrong_answers(value) -> list:
    codes = ["NONE", "ILLEGAL_GENERATION", "REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "MEMBER_ID_REQUIRED",
             "INCONSISTENT_GROUP_PROTOCOL", "FENCED_INSTANCE_ID", "NOT_COORDINATOR"]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + d for d in (-2, -1, 1, 2, 7)] + [0, 1, 3, 4, 6, 45, 300, 3_000, 45_000, 300_000, 10**6]
    if isinstance(value, float):
        return [value * 2, value / 2, 0.0]
    if isinstance(value, str):
        return [c for c in codes if c != value] + ["c1", "c2", "c3", "coordinator", "heartbeat.interval.ms",
                                                   "max.poll.interval.ms", "range", "sticky", "roundrobin",
                                                   "EAGER", "COOPERATIVE", "DEFAULT", "REMAIN_IN_GROUP"]
    if isinstance(value, (tuple, list)):
        out = []
        for i, v in enumerate(value):
            for w in _wrong_answers(v)[:6]:
                out.append(type(value)(list(value[:i]) + [w] + list(value[i + 1:])))
        return out
    if isinstance(value, dict):
        return [{k: v + 1 for k, v in value.items()}, {k: 4 for k in value}, dict(value, **{next(iter(value)): 0})]
    return []


def _without_choices(text: str) -> str:
    """A hint may list every choice of a multiple-choice answer ("one of ..."): that gives nothing away."""
    return re.sub(r"(one of|Answer with)[^.]*(,| or )[^.]*", "", text)


def test_no_hint_and_no_check_message_gives_the_answer_away():
    values = _solution_values()
    assert len(values) >= 25, sorted(values)
    for ex_id, value in values.items():
        ex = EXERCISES[ex_id]
        tokens = _tokens(value)
        for token in tokens:
            pattern = re.compile(rf"(?<![\w.]){re.escape(token)}(?![\w])")
            for hint in ex.hints:
                assert not pattern.search(_without_choices(hint)), f"{ex_id}: a hint names the answer {token!r}: {hint}"
            for wrong in _wrong_answers(value):
                verdict = evaluate(ex_id, wrong)
                if verdict.status is not Status.WRONG:
                    continue
                assert not pattern.search(verdict.message), \
                    f"{ex_id}: the message for {wrong!r} names the answer {token!r}: {verdict.message}"


def test_the_exercise_table_of_the_closing_note_is_the_registry():
    """kind, recall/transfer, pain points and minutes: what the grader's summary shows."""
    rows = {ex.id: (ex.level, ex.pain_points, ex.minutes) for ex in EXERCISES.values()}
    assert all(level in ("recall", "transfer") and pain and minutes for level, pain, minutes in rows.values())
