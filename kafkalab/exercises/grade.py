"""The instructors' grader: a folder of submitted exercise notebooks in, a CSV of scores out.

How it works
------------
For every submitted notebook (``SUBMISSIONS/alice/02-joining.ipynb`` or
``SUBMISSIONS/alice__02-joining.ipynb``; the learner is the sub-folder or the part before ``__``):

1. The notebook is read; invalid JSON scores 0 on that notebook's exercises, with the reason.
2. A child process executes it top to bottom in a **fresh kernel** (cells tagged ``check`` are
   skipped), with a time limit per cell and one for the whole notebook (the process group is
   killed when it is exceeded, so an infinite loop costs only that notebook), then reads each
   exercise's answer variable out of the kernel as JSON.
3. **Value** answers are checked here, in the grader, by :mod:`kafkalab.exercises` itself, so a
   learner who redefines ``check`` (or anything else) in the notebook gains nothing.  **Code**
   answers (a function or class) are taken from the cell that defines them and exercised by the
   checker in another fresh process with a time limit.
4. One CSV row per (learner, exercise): points, max points, status and the reason; plus a
   ``summary.md``.  Nothing is written outside the output folder; kernels run with the output
   folder's ``work/`` as their working directory and home.  No network is used.

Run learners' notebooks only on a machine (or container) you are happy to run their code on:
the grader limits time, not what the code may do.

Usage: ``kafkalab-grade SUBMISSIONS --out RESULTS [--jobs 2] [--cell-timeout 60] [--timeout 300]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

MARK = "KAFKALAB-ANSWERS "


@dataclass
class Row:
    learner: str
    notebook: str
    exercise_id: str
    points: float
    max_points: float
    status: str
    reason: str


def _exercises():
    from . import EXERCISES

    return EXERCISES


def notebook_kind(path: Path, nb: Optional[dict] = None) -> Optional[str]:
    """Which exercise notebook this is ("02-joining"), from its metadata or its file name."""
    if nb is not None:
        kind = (nb.get("metadata") or {}).get("kafkalab", {}).get("notebook")
        if isinstance(kind, str):
            return kind
    names = {ex.notebook for ex in _exercises().values()}
    for name in sorted(names, key=len, reverse=True):
        if name in path.name:
            return name
    m = re.search(r"(\d\d)-", path.name)
    if m:
        for name in names:
            if name.startswith(m.group(1) + "-"):
                return name
    return None


def learner_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    if len(rel.parts) > 1:
        return rel.parts[0]
    return path.stem.split("__", 1)[0] if "__" in path.stem else path.stem


# ---------------------------------------------------------------------------- child: run one notebook

def _run_notebook_child(path: str, workdir: str, names: list[str], cell_timeout: int) -> None:
    """Executed in a child process: run the notebook, print the answers as one JSON line."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    keep = [c for c in nb.cells if "check" not in c.get("metadata", {}).get("tags", [])]
    dump = (
        "import json as _kl_json\n"
        "_kl_out = {}\n"
        f"for _kl_name in {names!r}:\n"
        "    if _kl_name not in globals():\n"
        "        _kl_out[_kl_name] = {'missing': True}\n"
        "        continue\n"
        "    _kl_v = globals()[_kl_name]\n"
        "    if _kl_v is Ellipsis:\n"
        "        _kl_out[_kl_name] = {'unanswered': True}\n"
        "        continue\n"
        "    try:\n"
        "        _kl_out[_kl_name] = {'json': _kl_json.loads(_kl_json.dumps(_kl_v, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else repr(o)))}\n"
        "    except Exception as _kl_e:\n"
        "        _kl_out[_kl_name] = {'error': repr(_kl_e)[:200]}\n"
        f"print({MARK!r} + _kl_json.dumps(_kl_out))\n"
    )
    nb.cells = keep + [nbformat.v4.new_code_cell(dump)]
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": workdir}})
    errors: list[str] = []
    try:
        client.execute()
    except Exception as exc:  # a dead kernel or a timeout that interrupt could not stop
        errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    answers = {}
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "") if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(MARK):
                answers = json.loads(line[len(MARK):])
    cell_errors = []
    for cell in nb.cells[:-1]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                cell_errors.append(f"{out.get('ename')}: {str(out.get('evalue'))[:120]}")
    print(MARK + json.dumps({"answers": answers, "errors": errors, "cell_errors": cell_errors}))


def _run_code_child(source: str, exercise_id: str, name: str) -> None:
    """Executed in a child process: define the learner's code in a fresh namespace and check it."""
    from . import evaluate

    ns: dict[str, Any] = {"__name__": "__learner__"}
    try:
        exec(compile(source, "<answer cell>", "exec"), ns)  # noqa: S102 - grading runs learner code
    except NotImplementedError:
        print(MARK + json.dumps({"status": "unanswered", "points": 0, "message": "not answered yet"}))
        return
    except BaseException as exc:  # noqa: BLE001
        print(MARK + json.dumps({"status": "invalid", "points": 0,
                                 "message": f"the answer cell fails: {type(exc).__name__}: {str(exc)[:150]}"}))
        return
    if name not in ns:
        print(MARK + json.dumps({"status": "invalid", "points": 0, "message": f"the cell does not define {name}"}))
        return
    v = evaluate(exercise_id, ns[name])
    print(MARK + json.dumps({"status": v.status.value, "points": v.points, "message": v.message}))


def _spawn(args: list[str], timeout: float, cwd: Path, env: dict) -> tuple[Optional[dict], str]:
    """Run ``python -m kafkalab.exercises.grade --child ...``; kill its process group on timeout."""
    proc = subprocess.Popen([sys.executable, "-m", "kafkalab.exercises.grade", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return None, f"time limit of {timeout:.0f} s exceeded"
    for line in reversed(out.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):]), ""
    return None, f"the grading process failed: {(err or out).strip()[-200:]}"


# ---------------------------------------------------------------------------- grading

def _defining_cell(nb: dict, name: str) -> Optional[str]:
    """The source of the last code cell that defines ``name`` (def, class or assignment)."""
    found = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        try:
            tree = ast.parse(src)
        except SyntaxError:
            if re.search(rf"\b(def|class)\s+{re.escape(name)}\b", src):
                found = src
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                found = src
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found = src
    return found


def grade_notebook(path: Path, learner: str, work: Path, *, cell_timeout: int, timeout: int) -> list[Row]:
    from . import evaluate

    exercises = _exercises()
    try:
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        if not isinstance(nb, dict) or "cells" not in nb:
            raise ValueError("no cells")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        kind = notebook_kind(path)
        reason = f"not a readable notebook ({type(exc).__name__}: {str(exc)[:80]})"
        targets = [e for e in exercises.values() if e.notebook == kind]
        if not targets:
            return [Row(learner, path.name, "*", 0, 0, "invalid", reason + "; notebook not recognised")]
        return [Row(learner, kind, e.id, 0, e.points, "invalid", reason) for e in targets]
    kind = notebook_kind(path, nb)
    targets = sorted((e for e in exercises.values() if e.notebook == kind), key=lambda e: e.id)
    if not targets:
        return [Row(learner, path.name, "*", 0, 0, "invalid", "not one of the course's exercise notebooks")]
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(work), "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    rows: list[Row] = []
    value_targets = [e for e in targets if e.answer == "value"]
    result: Optional[dict] = None
    run_problem = ""
    if value_targets:
        try:
            import nbformat

            nbformat.reads(raw, as_version=4)
            copy = work / "submission.ipynb"
            copy.write_text(raw, encoding="utf-8")
            result, run_problem = _spawn(["--child-notebook", str(copy), str(work), str(cell_timeout),
                                          json.dumps([e.name for e in value_targets])], timeout, work, env)
        except Exception as exc:  # nbformat could not parse it as a notebook
            run_problem = f"not a valid notebook ({type(exc).__name__}: {str(exc)[:100]})"
    answers = (result or {}).get("answers", {})
    for e in targets:
        if e.answer == "code":
            source = _defining_cell(nb, e.name)
            if source is None:
                rows.append(Row(learner, kind, e.id, 0, e.points, "missing", f"no cell defines {e.name} (deleted?)"))
                continue
            res, problem = _spawn(["--child-code", e.id, e.name], cell_timeout, work, {**env, "KAFKALAB_SOURCE": source})
            if res is None:
                rows.append(Row(learner, kind, e.id, 0, e.points, "error", problem))
            else:
                rows.append(Row(learner, kind, e.id, float(res["points"]), e.points, res["status"], res["message"]))
            continue
        got = answers.get(e.name)
        if got is None:
            reason = run_problem or "the answer variable was never defined (a cell failed or was deleted)"
            rows.append(Row(learner, kind, e.id, 0, e.points, "missing", reason))
        elif got.get("missing"):
            rows.append(Row(learner, kind, e.id, 0, e.points, "missing",
                            f"{e.name} is not defined after running the notebook (deleted or failing cell?)"))
        elif got.get("unanswered"):
            rows.append(Row(learner, kind, e.id, 0, e.points, "unanswered", "not answered yet"))
        elif "error" in got:
            rows.append(Row(learner, kind, e.id, 0, e.points, "invalid", f"answer could not be read: {got['error']}"))
        else:
            v = evaluate(e.id, got["json"])
            rows.append(Row(learner, kind, e.id, v.points, e.points, v.status.value, v.message))
    return rows


def grade(submissions: Path, out: Path, *, jobs: int = 2, cell_timeout: int = 60, timeout: int = 300) -> list[Row]:
    """Grade every notebook under ``submissions``; write ``grades.csv`` and ``summary.md`` to ``out``."""
    files = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    out.mkdir(parents=True, exist_ok=True)
    work_root = Path(tempfile.mkdtemp(prefix="work-", dir=out))
    t0 = time.perf_counter()

    def one(i_path):
        i, path = i_path
        learner = learner_of(path, submissions)
        try:
            return grade_notebook(path, learner, work_root / f"{i:04d}", cell_timeout=cell_timeout, timeout=timeout)
        except Exception as exc:  # never lose the other learners' scores
            return [Row(learner, path.name, "*", 0, 0, "error", f"grader error: {type(exc).__name__}: {exc}")]

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = [r for rs in pool.map(one, enumerate(files)) for r in rs]
    elapsed = time.perf_counter() - t0
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["learner", "notebook", "exercise_id", "points", "max_points", "status", "reason"])
        for r in sorted(rows, key=lambda r: (r.learner, r.exercise_id)):
            w.writerow([r.learner, r.notebook, r.exercise_id, f"{r.points:g}", f"{r.max_points:g}", r.status, r.reason])
    (out / "summary.md").write_text(_summary(rows, len(files), elapsed), encoding="utf-8")
    _remove_tree(work_root)
    return rows


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _summary(rows: list[Row], n_files: int, elapsed: float) -> str:
    learners: dict[str, list[Row]] = {}
    for r in rows:
        learners.setdefault(r.learner, []).append(r)
    lines = [f"# Grades", "", f"{n_files} notebook(s) from {len(learners)} learner(s) graded in {elapsed:.1f} s.", "",
             "| learner | points | max | correct | unanswered | problems |", "|---|---|---|---|---|---|"]
    for learner, rs in sorted(learners.items()):
        pts = sum(r.points for r in rs)
        mx = sum(r.max_points for r in rs)
        lines.append(f"| {learner} | {pts:g} | {mx:g} | {sum(r.status == 'correct' for r in rs)} | "
                     f"{sum(r.status == 'unanswered' for r in rs)} | "
                     f"{sum(r.status in ('invalid', 'missing', 'error') for r in rs)} |")
    per_ex: dict[str, list[Row]] = {}
    for r in rows:
        per_ex.setdefault(r.exercise_id, []).append(r)
    lines += ["", "| exercise | correct / graded |", "|---|---|"]
    for ex, rs in sorted(per_ex.items()):
        lines.append(f"| {ex} | {sum(r.status == 'correct' for r in rs)} / {len(rs)} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child-notebook":
        _, path, workdir, cell_timeout, names = argv
        _run_notebook_child(path, workdir, json.loads(names), int(cell_timeout))
        return 0
    if argv and argv[0] == "--child-code":
        _, exercise_id, name = argv
        _run_code_child(os.environ.get("KAFKALAB_SOURCE", ""), exercise_id, name)
        return 0
    ap = argparse.ArgumentParser(prog="kafkalab-grade", description="Grade submitted kafkalab exercise notebooks.")
    ap.add_argument("submissions", type=Path, help="folder of submitted notebooks (LEARNER/NN-*.ipynb or LEARNER__NN-*.ipynb)")
    ap.add_argument("--out", type=Path, required=True, help="output folder for grades.csv and summary.md")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    ap.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (default 60)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per notebook (default 300)")
    args = ap.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder; give the folder that holds the submitted notebooks",
              file=sys.stderr)
        return 2
    out = args.out.resolve()
    if out == args.submissions.resolve() or args.submissions.resolve() in out.parents:
        print("error: choose an output folder outside the submissions folder", file=sys.stderr)
        return 2
    rows = grade(args.submissions, out, jobs=args.jobs, cell_timeout=args.cell_timeout, timeout=args.timeout)
    total = sum(r.points for r in rows)
    print(f"graded {len({r.learner for r in rows})} learner(s), {len(rows)} row(s), {total:g} point(s) in all; "
          f"see {out / 'grades.csv'} and {out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
