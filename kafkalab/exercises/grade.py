"""The instructors' grader: a folder of submitted exercise notebooks in, a CSV of scores out.

How it works
------------
For every submitted notebook (``SUBMISSIONS/alice/02-joining.ipynb`` or
``SUBMISSIONS/alice__02-joining.ipynb``; the learner is the sub-folder or the part before ``__``):

1. The grader reads the file itself (at most ``--max-notebook-mb``) and checks its shape: a file
   that is not a notebook, or a notebook with wrong types, scores 0 on each of that notebook's
   exercises, with a one-line reason.  Two files of one learner for the same notebook are graded
   once (the newer one), with a warning naming both.
2. **Value** answers: the notebook's code cells (not the ``check`` cells) run top to bottom in a
   fresh kernel (IPython, in a process of its own) inside a sandbox (:mod:`.sandbox`,
   :mod:`.runner`), with a time limit per cell and one for the whole notebook; then each answer
   variable's value is read out of the kernel as JSON data.
3. **Code** answers (a function or class): the grader takes the source of the cell that defines
   it from the notebook file and defines it in another fresh sandboxed process.
4. The verdicts are computed by :mod:`.judge`, a separate process that never runs learner code:
   kafkalab's checkers on the values, and on stand-ins whose calls go to the code answer's
   process as data.  Nothing a learner's process prints decides a score, and points never exceed
   an exercise's maximum.
5. One CSV row per (learner, exercise): points, max points, status and a one-line reason; plus a
   ``summary.md`` (what was isolated and how, warnings, totals), with everything escaped.

Every wait has a deadline: a notebook takes at most ``--timeout`` seconds to run plus
``--cell-timeout`` seconds per exercise to check; when a sandbox is stopped, every process in
it goes too.  Without bubblewrap the grader refuses to run learners' code unless ``--no-sandbox``
is given.

Speed: the learner processes and the judges are forked from one pre-imported template process
per run (:mod:`.forkserver`) instead of starting Python each time; every learner process still
gets a sandbox of its own.  ``--progress`` (the default on a terminal) shows a progress line.

Usage: ``kafkalab-grade SUBMISSIONS --out RESULTS [--jobs 2] [--cell-timeout 60] [--timeout 300]
[--memory-mb 1024] [--cpu-seconds S] [--tasks 128] [--max-notebook-mb 20] [--no-sandbox]
[--progress | --no-progress]``
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from .core import Exercise
from .forkserver import ForkServer, ForkServerError
from .processes import start_judge, start_plain
from .rpc import loads, DataError, one_line, pick
from .sandbox import Limits, Probe, Sandbox, package_dir, probe, sandbox_env

STATUSES = ("correct", "wrong", "unanswered", "invalid", "missing", "error")


class SandboxUnavailable(RuntimeError):
    """Learners' code cannot be sandboxed here and ``--no-sandbox`` was not given."""


@dataclass
class Row:
    learner: str
    notebook: str
    exercise_id: str
    points: float
    max_points: float
    status: str
    reason: str


def _exercises() -> dict[str, Exercise]:
    from . import EXERCISES as registered  # importing the package registers every exercise

    return registered


def _notebook_names() -> set[str]:
    return {ex.notebook for ex in _exercises().values()}


def notebook_kind(path: Path, nb: Optional[dict] = None) -> Optional[str]:
    """Which exercise notebook this is ("02-joining"), from its metadata or its file name."""
    names = _notebook_names()
    if isinstance(nb, dict):
        meta = nb.get("metadata")
        kl = meta.get("kafkalab") if isinstance(meta, dict) else None
        kind = kl.get("notebook") if isinstance(kl, dict) else None
        if isinstance(kind, str) and kind in names:
            return kind
    for name in sorted(names, key=len, reverse=True):
        if name in path.name:
            return name
    m = re.search(r"(\d\d)-", path.name)
    if m:
        for name in sorted(names):
            if name.startswith(m.group(1) + "-"):
                return name
    return None


def learner_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    if len(rel.parts) > 1:
        return rel.parts[0]
    return path.stem.split("__", 1)[0] if "__" in path.stem else path.stem


# ---------------------------------------------------------------------------- reading a submission

@dataclass
class Submission:
    path: Path
    learner: str
    kind: Optional[str]
    raw: str = ""
    #: (number of the cell in the notebook, source, is a check cell) of every code cell, in order
    code_cells: list[tuple[int, str, bool]] = field(default_factory=list)
    problem: str = ""


def _source(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return "".join(value)
    return None


def _shape_problem(nb: Any) -> tuple[str, list[tuple[int, str, bool]]]:
    """Why ``nb`` is not a notebook this grader can run ('' when it is), and its code cells."""
    if not isinstance(nb, dict):
        return f"the JSON is a {type(nb).__name__}, not a notebook (an object with cells)", []
    version = nb.get("nbformat", 4)
    if not isinstance(version, int) or isinstance(version, bool):
        return "its nbformat field is not a number", []
    if version < 4:
        return f"notebook format {version} is too old (open and save it in Jupyter)", []
    meta = nb.get("metadata", {})
    if not isinstance(meta, dict):
        return "its metadata is not an object", []
    if "kafkalab" in meta and not isinstance(meta["kafkalab"], dict):
        return "its metadata.kafkalab is not an object", []
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return "it has no list of cells", []
    code: list[tuple[int, str, bool]] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            return f"cell {number} is not an object", []
        kind = cell.get("cell_type")
        if not isinstance(kind, str):
            return f"cell {number} has no cell_type", []
        source = _source(cell.get("source", ""))
        if source is None:
            return f"cell {number}'s source is not text", []
        cmeta = cell.get("metadata", {})
        tags = cmeta.get("tags", []) if isinstance(cmeta, dict) else None
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return f"cell {number}'s metadata or tags have the wrong type", []
        if kind == "code":
            code.append((number, source, "check" in tags))
    return "", code


def read_submission(path: Path, learner: str, max_bytes: int, root: Optional[Path] = None) -> Submission:
    """Read and check one file; never raises (a problem is recorded on the submission)."""
    sub = Submission(path, learner, notebook_kind(path))
    try:
        if path.is_symlink() or (root is not None and root.resolve() not in path.resolve().parents):
            sub.problem = "the submission is a symbolic link (not graded: submit the notebook file itself)"
            return sub
        size = path.stat().st_size
        if size == 0:
            sub.problem = "the file is empty (0 bytes)"
            return sub
        if size > max_bytes:
            sub.problem = (f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a "
                           "notebook (clear its outputs, or raise --max-notebook-mb)")
            return sub
        data = path.read_bytes()[: max_bytes + 1]
    except OSError as exc:
        sub.problem = f"the file cannot be read ({type(exc).__name__})"
        return sub
    try:
        sub.raw = data.decode("utf-8")
    except UnicodeDecodeError:
        sub.problem = "not a notebook: the file is not UTF-8 text"
        return sub
    try:
        nb = loads(sub.raw)
    except DataError:
        sub.problem = "not a readable notebook: the file is not valid JSON (truncated or not a notebook?)"
        return sub
    sub.kind = notebook_kind(path, nb)
    problem, code = _shape_problem(nb)
    if problem:
        sub.problem = f"not a valid notebook: {problem}"
        return sub
    sub.code_cells = code
    return sub


def _defining_cell(cells: list[tuple[int, str, bool]], name: str) -> Optional[str]:
    """The source of the last code cell that defines ``name`` (def, class or assignment)."""
    found = None
    for _, src, _ in cells:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            if re.search(rf"\b(def|class)\s+{re.escape(name)}\b", src):
                found = src
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = src
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found = src
    return found


# ---------------------------------------------------------------------------- grading one notebook

@dataclass
class Settings:
    cell_timeout: float
    timeout: float
    limits: Limits
    isolation: Probe
    max_bytes: int
    fallback_dir: Optional[Path] = None
    #: the fork server the learner processes and judges are forked from (None: each starts fresh)
    spawner: Optional[ForkServer] = None


def _row(learner: str, notebook: str, ex: Exercise, status: str, reason: str, points: float = 0.0) -> Row:
    """A row whose points are within [0, max] and whose status and reason are what we print."""
    try:
        pts = float(points)
    except (TypeError, ValueError):
        pts = 0.0
    if pts != pts:  # NaN
        pts = 0.0
    status = status if status in STATUSES else "error"
    if status != "correct":
        pts = 0.0
    return Row(learner, notebook, ex.id, max(0.0, min(pts, float(ex.points))), float(ex.points), status,
               one_line(reason, 300))


def _run_notebook(box: Sandbox, sub: Submission, names: list[str], s: Settings) -> tuple[dict, str, str]:
    """Run the notebook in a sandbox; return (answers, why-nothing problem, first cell error)."""
    request = {"notebook": sub.raw, "cells": [[n, src] for n, src, check in sub.code_cells if not check],
               "names": names, "cell_timeout": s.cell_timeout, "budget": s.timeout}
    running = box.start(["notebook"])
    out, err, rc, problem = running.exchange(json.dumps(request).encode(), time.monotonic() + s.timeout,
                                             out_cap=16 * 1024 * 1024, err_cap=64 * 1024)
    result = None
    for line in reversed(out.splitlines()):
        try:
            candidate = loads(line)
        except DataError:
            continue
        if isinstance(candidate, dict) and isinstance(candidate.get("answers"), dict):
            result = candidate
            break
    if problem == "time limit":
        problem = f"time limit of {s.timeout:.0f} s for the notebook exceeded"
    elif problem:
        problem = f"the notebook's process was stopped: {problem}"
    elif result is None:
        tail = one_line(err.decode(errors="replace")[-300:], 150)
        problem = f"the notebook's process failed (exit status {rc}){': ' + tail if tail else ''}"
    if result is None:
        return {}, problem, ""
    problems = [one_line(p, 200) for p in pick(result, "problems", list, [])[:5]]
    errors = [one_line(e, 200) for e in pick(result, "cell_errors", list, [])[:5]]
    first_error = errors[0] if errors else ""
    return result["answers"], problem or (problems[0] if problems else ""), first_error


def _limit_hint(text: str, limits: Limits) -> str:
    if any(w in text for w in ("MemoryError", "kernel died", "memory", "BlockingIOError", "Resource temporarily")):
        return f" (limits: {limits.describe()})"
    return ""


def _judge(sub: Submission, values: dict, code: dict, s: Settings) -> tuple[dict, str]:
    """Verdicts from the judge process, or ({}, why not)."""
    if not values and not code:
        return {}, ""
    budget = s.cell_timeout * (len(values) + len(code)) + 30
    request = {"values": values, "code": code, "check_timeout": s.cell_timeout, "limits": asdict(s.limits),
               "isolation": asdict(s.isolation), "fallback_dir": str(s.fallback_dir) if s.fallback_dir else None,
               "judge_cpu_seconds": int(budget) + 10}
    running = None
    if s.spawner is not None and not s.spawner.broken:
        try:
            running = start_judge(s.spawner)
        except (ForkServerError, OSError):
            running = None
    if running is None:
        running = start_plain([sys.executable, "-m", "kafkalab.exercises.judge"], Path.cwd(), {})
    out, err, rc, problem = running.exchange(json.dumps(request).encode(), time.monotonic() + budget,
                                             out_cap=4 * 1024 * 1024, err_cap=64 * 1024)
    try:
        verdicts = pick(loads(out.strip().splitlines()[-1]) if out.strip() else None, "verdicts", dict)
    except DataError:
        verdicts = None
    if verdicts is None:
        why = problem or f"exit status {rc}: {one_line(err.decode(errors='replace')[-300:], 150)}"
        return {}, f"the checks could not run ({why})"
    return verdicts, ""


def grade_notebook(sub: Submission, s: Settings) -> list[Row]:
    exercises = _exercises()
    learner, kind = sub.learner, sub.kind
    targets = sorted((e for e in exercises.values() if e.notebook == kind), key=lambda e: e.id)
    if not targets:
        reason = sub.problem + "; " if sub.problem else ""
        return [Row(learner, one_line(sub.path.name, 120), "*", 0, 0, "invalid",
                    reason + "not one of the course's exercise notebooks (name it NN-*.ipynb as handed out)")]
    if sub.problem:
        return [_row(learner, kind, e, "invalid", sub.problem) for e in targets]
    box = Sandbox(s.limits, s.isolation, fallback_dir=s.fallback_dir, spawner=s.spawner)
    rows: dict[str, Row] = {}
    values: dict[str, Any] = {}
    code: dict[str, str] = {}
    value_targets = [e for e in targets if e.answer == "value"]
    answers, run_problem, first_error = ({}, "", "")
    if value_targets:
        answers, run_problem, first_error = _run_notebook(box, sub, [e.name for e in value_targets], s)
    cause = run_problem or (f"first failing cell: {first_error}" if first_error else "")
    hint = _limit_hint(cause, s.limits)
    for e in targets:
        if e.answer == "code":
            source = _defining_cell(sub.code_cells, e.name)
            if source is None:
                rows[e.id] = _row(learner, kind, e, "missing", f"no cell defines {e.name} (deleted?)")
            else:
                code[e.id] = source
            continue
        got = answers.get(e.name)
        if not isinstance(got, dict):
            reason = run_problem or ("the answer variable was never defined (a cell failed or was deleted)"
                                     + (f"; {cause}" if cause else ""))
            rows[e.id] = _row(learner, kind, e, "missing", reason + hint)
        elif got.get("missing") is True:
            rows[e.id] = _row(learner, kind, e, "missing", f"{e.name} is not defined after running the notebook "
                              "(deleted or failing cell?)" + (f"; {cause}" if cause else "") + hint)
        elif got.get("unanswered") is True:
            rows[e.id] = _row(learner, kind, e, "unanswered", "not answered yet")
        elif "json" in got:
            values[e.id] = got["json"]
        else:
            rows[e.id] = _row(learner, kind, e, "invalid", f"answer could not be read: {got.get('error')}")
    verdicts, judge_problem = _judge(sub, values, code, s)
    for e in targets:
        if e.id in rows:
            continue
        v = verdicts.get(e.id)
        if not isinstance(v, dict):
            rows[e.id] = _row(learner, kind, e, "error", judge_problem or "the check gave no verdict")
            continue
        rows[e.id] = _row(learner, kind, e, pick(v, "status", str, "error"), pick(v, "message", str, ""),
                          pick(v, "points", (int, float), 0.0))
    return [rows[e.id] for e in targets]


# ---------------------------------------------------------------------------- a whole folder

def _dedupe(subs: list[Submission], warn: Callable[[str], None]) -> list[Submission]:
    """One submission per (learner, notebook): the most recently modified one."""
    by_key: dict[tuple[str, str], list[Submission]] = {}
    out: list[Submission] = []
    for sub in subs:
        if sub.kind is None:
            out.append(sub)
        else:
            by_key.setdefault((sub.learner, sub.kind), []).append(sub)
    for (learner, kind), group in by_key.items():
        def mtime(s: Submission) -> float:
            try:
                return s.path.stat().st_mtime
            except OSError:
                return 0.0
        chosen = sorted(group, key=lambda s: (-mtime(s), str(s.path)))[0]
        out.append(chosen)
        for other in group:
            if other is not chosen:
                warn(f"learner {learner!r} submitted notebook {kind} twice: {chosen.path} and {other.path}; "
                     f"graded {chosen.path} (the newer) only")
    return sorted(out, key=lambda s: str(s.path))


def check_isolation(sandbox: bool) -> Probe:
    """What isolates learner code here; raises :class:`SandboxUnavailable` when it is missing and
    ``sandbox`` is true."""
    if not sandbox:
        return Probe(False, "--no-sandbox was given")
    iso = probe()
    if not iso.available:
        raise SandboxUnavailable(
            f"learners' code cannot be sandboxed here: {iso.problem}. Install bubblewrap (Linux), or pass "
            "--no-sandbox to run learners' code with your own rights (only on a machine or container you are "
            "happy to run it on)")
    return iso


def start_fork_server(iso: Probe, limits: Limits) -> tuple[Optional[ForkServer], str]:
    """The fork server's template, checked by forking a trial process into a sandbox; or (None,
    why not), in which case every learner process and judge starts fresh (slower, as safe)."""
    try:
        server = ForkServer.start(sandbox_env())
    except ForkServerError as exc:
        return None, str(exc)
    if iso.available:
        box = Sandbox(limits, iso, spawner=server)
        try:
            running = box.start(["--probe"])
            joined = running.worker is not None
            out, err, _, problem = running.exchange(b"", time.monotonic() + 60, 1 << 12, 1 << 12)
        except OSError as exc:
            joined, out, err, problem = False, b"", str(exc).encode(), ""
        if not joined or out.strip() != b"ok":
            server.close()
            detail = one_line(err.decode(errors="replace")[-300:] or problem or "no answer", 200)
            return None, f"a process forked from the template cannot join a sandbox here ({detail})"
    return server, ""


class Progress:
    """``graded 37/300 notebooks in 12 s, about 85 s left`` on one line of ``stream``, redrawn."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled and total > 0
        self.done, self.start, self.shown = 0, time.monotonic(), 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if not self.enabled or (now - self.shown < 0.25 and self.done < self.total):
            return
        self.shown = now
        spent = now - self.start
        left = spent / self.done * (self.total - self.done)
        eta = f", about {left:.0f} s left" if self.done < self.total else ""
        self.stream.write(f"\rgraded {self.done}/{self.total} notebooks in {spent:.0f} s{eta}\033[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def grade(submissions: Path, out: Path, *, jobs: int = 2, cell_timeout: float = 60, timeout: float = 300,
          sandbox: bool = True, limits: Optional[Limits] = None, max_notebook_mb: float = 20,
          log: Optional[Callable[[str], None]] = None, progress: Optional[bool] = None,
          fork_server: bool = True) -> list[Row]:
    """Grade every notebook under ``submissions``; write ``grades.csv`` and ``summary.md`` to ``out``.

    ``sandbox=False`` runs learners' code without isolation (``--no-sandbox``); with the default,
    :class:`SandboxUnavailable` is raised where bubblewrap cannot run.  ``progress`` shows a
    progress line on stderr (default: when stderr is a terminal).  ``fork_server=False`` starts
    every learner process and judge fresh instead of forking them from a pre-imported template."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    iso = check_isolation(sandbox)
    limits = limits or Limits(cpu_seconds=int(max(timeout, 1)))
    warnings: list[str] = []
    if not iso.available:
        warnings.append("NO SANDBOX (--no-sandbox): learners' code ran with the grader's rights; it could read "
                        "and change any file the grader can")
    elif not iso.tasks_by:
        warnings.append("the number of processes per notebook is not limited (running as root without a "
                        "writable pids cgroup); a fork bomb is stopped only by the time limit")
    for w in warnings:
        log(f"warning: {w}")
    hidden = [submissions, out] + [p for p in (package_dir().parent / "solutions",) if p.is_dir()]
    try:  # refuses when a folder to hide is inside what learners' code may read
        Sandbox(limits, iso, hidden=tuple(hidden))
    except ValueError as exc:
        raise SandboxUnavailable(str(exc)) from None

    def warn(msg: str) -> None:
        warnings.append(msg)
        log(f"warning: {msg}")

    files = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                   and (p.is_file() or p.is_symlink()))
    out.mkdir(parents=True, exist_ok=True)
    fallback = Path(tempfile.mkdtemp(prefix="work-", dir=out)) if not iso.available else None
    settings = Settings(cell_timeout, timeout, limits, iso, int(max_notebook_mb * 1e6), fallback)
    t0 = time.perf_counter()
    subs = _dedupe([read_submission(p, learner_of(p, submissions), settings.max_bytes, submissions) for p in files],
                   warn)
    starts = "each learner process and judge started fresh"
    if fork_server and any(sub.kind and not sub.problem for sub in subs):
        settings.spawner, why = start_fork_server(iso, limits)
        if settings.spawner is not None:
            starts = "learner processes and judges forked from a pre-imported template (fork server)"
        else:
            warn(f"the fork server is unavailable, so every learner process starts fresh (slower): {why}")

    def one(sub: Submission) -> list[Row]:
        try:
            return grade_notebook(sub, settings)
        except Exception as exc:  # never lose the other learners' scores
            return [Row(sub.learner, one_line(sub.path.name, 120), "*", 0, 0, "error",
                        one_line(f"grader error: {type(exc).__name__}: {exc}", 300))]

    bar = Progress(len(subs), sys.stderr, sys.stderr.isatty() if progress is None else progress)
    results: list[list[Row]] = [[] for _ in subs]
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(one, sub): i for i, sub in enumerate(subs)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.step()
    finally:
        bar.close()
        if settings.spawner is not None:
            settings.spawner.close()
        if fallback is not None:
            shutil.rmtree(fallback, ignore_errors=True)
    rows = [r for rs in results for r in rs]
    elapsed = time.perf_counter() - t0
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["learner", "notebook", "exercise_id", "points", "max_points", "status", "reason"])
        for r in sorted(rows, key=lambda r: (r.learner, r.exercise_id)):
            w.writerow([_cell(r.learner), _cell(r.notebook), r.exercise_id, f"{r.points:g}", f"{r.max_points:g}",
                        r.status, _cell(r.reason)])
    (out / "summary.md").write_text(_summary(rows, len(subs), elapsed, iso, limits, warnings, starts),
                                    encoding="utf-8")
    return rows


def _cell(text: str) -> str:
    """A CSV field a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#:])")


def md(text: Any, limit: int = 120) -> str:
    """``text`` as inert Markdown on one line: no table breaks, links, emphasis or HTML."""
    s = one_line(text, limit)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _summary(rows: list[Row], n_files: int, elapsed: float, iso: Probe, limits: Limits, warnings: list[str],
             starts: str = "") -> str:
    learners: dict[str, list[Row]] = {}
    for r in rows:
        learners.setdefault(r.learner, []).append(r)
    if iso.available:
        isolation = f"Sandbox: {iso.describe()}; limits: {limits.describe()}." + (f" Processes: {starts}." if starts else "")
    else:
        isolation = "**Sandbox: none** (`--no-sandbox`): learners' code ran with the grader's rights."
    lines = ["# Grades", "", f"{n_files} notebook(s) from {len(learners)} learner(s) graded in {elapsed:.1f} s.", "",
             isolation, ""]
    if warnings:
        lines += ["## Warnings", ""] + [f"- {md(w, 400)}" for w in warnings] + [""]
    lines += ["| learner | points | max | correct | unanswered | problems |", "|---|---|---|---|---|---|"]
    for learner, rs in sorted(learners.items()):
        pts = sum(r.points for r in rs)
        mx = sum(r.max_points for r in rs)
        lines.append(f"| {md(learner)} | {pts:g} | {mx:g} | {sum(r.status == 'correct' for r in rs)} | "
                     f"{sum(r.status == 'unanswered' for r in rs)} | "
                     f"{sum(r.status in ('invalid', 'missing', 'error') for r in rs)} |")
    per_ex: dict[str, list[Row]] = {}
    for r in rows:
        per_ex.setdefault(r.exercise_id, []).append(r)
    lines += ["", "| exercise | kind | pain points | correct / graded |", "|---|---|---|---|"]
    for ex, rs in sorted(per_ex.items()):
        known = _exercises().get(ex)
        kind = f"{known.kind}, {known.level}" if known else ""
        pain = "; ".join(known.pain_points) if known else ""
        lines.append(f"| {ex} | {md(kind)} | {md(pain)} | {sum(r.status == 'correct' for r in rs)} / {len(rs)} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="kafkalab-grade", description="Grade submitted kafkalab exercise notebooks.")
    ap.add_argument("submissions", type=Path, help="folder of submitted notebooks (LEARNER/NN-*.ipynb or LEARNER__NN-*.ipynb)")
    ap.add_argument("--out", type=Path, required=True, help="output folder for grades.csv and summary.md")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    ap.add_argument("--cell-timeout", type=float, default=60, help="seconds per cell and per check (default 60)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per notebook (default 300)")
    ap.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                    help=f"memory per learner process, MiB (default {Limits.memory_mb})")
    ap.add_argument("--cpu-seconds", type=int, default=None,
                    help="CPU seconds per learner process (default: the --timeout)")
    ap.add_argument("--tasks", type=int, default=Limits.tasks,
                    help=f"processes and threads per notebook (default {Limits.tasks})")
    ap.add_argument("--max-notebook-mb", type=float, default=20, help="largest notebook file read, MB (default 20)")
    ap.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="show a progress line on stderr (default: when stderr is a terminal)")
    ap.add_argument("--no-sandbox", action="store_true",
                    help="run learners' code without a sandbox (only where bubblewrap is unavailable, on a machine "
                         "you are happy to run their code on)")
    args = ap.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder; give the folder that holds the submitted notebooks",
              file=sys.stderr)
        return 2
    out = args.out.resolve()
    if out == args.submissions.resolve() or args.submissions.resolve() in out.parents:
        print("error: choose an output folder outside the submissions folder", file=sys.stderr)
        return 2
    cpu = args.cpu_seconds if args.cpu_seconds is not None else int(max(args.timeout, 1))
    if min(args.jobs, args.cell_timeout, args.timeout, args.memory_mb, cpu, args.tasks, args.max_notebook_mb) <= 0:
        print("error: --jobs, --cell-timeout, --timeout, --memory-mb, --cpu-seconds, --tasks and --max-notebook-mb "
              "must be positive", file=sys.stderr)
        return 2
    limits = Limits(memory_mb=args.memory_mb, cpu_seconds=cpu, tasks=args.tasks)
    try:
        iso = check_isolation(not args.no_sandbox)
        print(f"sandbox: {iso.describe()}; limits: {limits.describe()}", file=sys.stderr)
        rows = grade(args.submissions, out, jobs=args.jobs, cell_timeout=args.cell_timeout, timeout=args.timeout,
                     sandbox=not args.no_sandbox, limits=limits, max_notebook_mb=args.max_notebook_mb,
                     progress=args.progress)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = sum(r.points for r in rows)
    print(f"graded {len({r.learner for r in rows})} learner(s), {len(rows)} row(s), {total:g} point(s) in all; "
          f"see {out / 'grades.csv'} and {out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
