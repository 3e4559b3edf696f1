"""Generate ``exercises/`` from ``solutions/``: one source of truth for both.

In a solution notebook, answers sit between marker lines::

    ### BEGIN SOLUTION
    partition = 12
    ### END SOLUTION

In the exercise notebook each such region becomes a stub that runs without error:

* at the top level of a cell, every name the region assigns gets ``...`` (Ellipsis), which the
  checks read as "not answered yet": ``partition = ...  # YOUR ANSWER HERE``;
* inside a function or class body, the region becomes ``raise NotImplementedError("YOUR CODE HERE")``,
  which the checks also read as "not answered yet".

Markdown answers between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->`` become
``YOUR ANSWER HERE``.  Cells tagged ``solution-only`` are dropped.  Outputs, execution counts and
widget state are cleared.  ``--check`` exits 1 when ``exercises/`` is stale.

Usage: ``python -m kafkalab.exercises.make solutions exercises [--check]``; with ``--nbgrader OUT``
it writes an nbgrader course folder instead (:mod:`.nbgrader_export`).
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
STUB_MD = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """Unbalanced or misplaced solution markers; the message names the notebook and cell."""


def _assigned_names(code: str) -> list[str]:
    """Names assigned at the top level of ``code`` (in order, without repeats)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target: ast.AST) -> None:
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                add(elt)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in names:
            names.append(node.name)
    return names


def stub_code(source: str, where: str = "cell") -> str:
    """Replace every solution region of a code cell by its stub."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            j = i + 1
            while j < len(lines) and lines[j].strip() != END:
                if lines[j].strip() == BEGIN:
                    raise MarkerError(f"{where}: nested {BEGIN}")
                j += 1
            if j == len(lines):
                raise MarkerError(f"{where}: {BEGIN} without {END}")
            body = "\n".join(s[len(indent):] if s.startswith(indent) else s for s in lines[i + 1:j])
            if indent:
                out.append(f'{indent}raise NotImplementedError("YOUR CODE HERE")')
            else:
                names = _assigned_names(body)
                if not names:
                    raise MarkerError(f"{where}: a top-level solution region must assign the answer "
                                      "(e.g. `answer = 3`); found none")
                for name in names:
                    out.append(f"{name} = ...  # YOUR ANSWER HERE")
            i = j + 1
            continue
        if line.strip() == END:
            raise MarkerError(f"{where}: {END} without {BEGIN}")
        out.append(line)
        i += 1
    return "\n".join(out)


def stub_markdown(source: str, where: str = "cell") -> str:
    pattern = re.compile(re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END), re.S)
    out = pattern.sub(STUB_MD, source)
    if MD_BEGIN in out or MD_END in out:
        raise MarkerError(f"{where}: unbalanced markdown solution markers")
    return out


def make_exercise(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The exercise version of a solution notebook (a new object)."""
    ex = copy.deepcopy(nb)
    ex.metadata.pop("widgets", None)
    cells = []
    for n, cell in enumerate(ex.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution-only" in tags:
            continue
        where = f"{name} cell {n}"
        if cell.cell_type == "code":
            cell.source = stub_code(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = stub_markdown(cell.source, where)
        cell.get("metadata", {}).pop("execution", None)
        cells.append(cell)
    ex.cells = cells
    return ex


def _normalized(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb)


def generate(src: Path, dst: Path, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every exercise notebook; return the stale/written names."""
    dst.mkdir(parents=True, exist_ok=True) if not check else None
    changed = []
    expected_names = set()
    for path in sorted(src.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        ex = make_exercise(nb, path.name)
        target = dst / path.name
        expected_names.add(path.name)
        text = _normalized(ex)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            changed.append(path.name)
            if not check:
                target.write_text(text, encoding="utf-8")
    if dst.exists():
        extra = sorted(p.name for p in dst.glob("*.ipynb") if p.name not in expected_names)
        changed += [f"{name} (no solution notebook)" for name in extra]
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate exercise notebooks from solution notebooks.")
    ap.add_argument("solutions", type=Path)
    ap.add_argument("exercises", type=Path, nargs="?", help="where to write the exercise notebooks")
    ap.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale; write nothing")
    ap.add_argument("--nbgrader", type=Path, metavar="OUT",
                    help="instead, write an nbgrader course folder (OUT/source/<assignment>/...) from the solutions")
    args = ap.parse_args(argv)
    if args.nbgrader is not None:
        from .nbgrader_export import run  # imported here: nbgrader_export imports this module

        return run(args.solutions, args.nbgrader)
    if args.exercises is None:
        ap.error("give the folder to write the exercises to (e.g. `solutions exercises`), or --nbgrader OUT")
    if not args.solutions.is_dir():
        print(f"error: {args.solutions} is not a folder of solution notebooks", file=sys.stderr)
        return 2
    try:
        changed = generate(args.solutions, args.exercises, check=args.check)
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print("exercises/ is stale; regenerate with "
                  f"`python -m kafkalab.exercises.make {args.solutions} {args.exercises}`:\n  "
                  + "\n  ".join(changed), file=sys.stderr)
            return 1
        print("exercises/ is up to date")
        return 0
    print(f"wrote {len(changed)} notebook(s)" + (": " + ", ".join(changed) if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
