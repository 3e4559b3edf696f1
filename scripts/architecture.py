#!/usr/bin/env python3
"""Generate what docs/architecture.md shows from the code, so that it cannot drift.

* ``docs/architecture.dot`` and ``docs/architecture.svg``: kafkalab's layers, drawn from the
  module-level imports of ``kafkalab/`` (read with ``ast``, nothing is imported).  The core's
  modules are nodes, in one box per package (``kafkalab/``, ``kafkalab/classic/``,
  ``kafkalab/modern/``); the assignors, the log statements' table (``logformat/``) and each adapter
  (``sim/``, ``wire/``, ``viz/``, ``tap/``, ``tracelog/``, ``exercises/``, ``doctor.py``, ``cli.py``)
  are one node each.  An arrow ``a -> b`` means "a imports b"; an
  arrow is left out when a longer path already connects the two (a transitive reduction), so the
  picture shows the layers rather than every import.  The SVG carries the SHA-256 of the DOT it
  was rendered from.
* the JoinGroup path in ``docs/architecture.md`` (between the ``joingroup-path`` markers): every
  kafkalab function entered from ``Coordinator.handle`` until the JoinGroupResponse of a new
  member's second JoinGroup is sent, as a call tree (recorded with ``sys.setprofile``).

Usage:
    .venv/bin/python scripts/architecture.py            # rewrite the three outputs
    .venv/bin/python scripts/architecture.py --check    # exit 1 when one is stale

``tests/test_architecture.py`` runs the same functions and compares.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from pathlib import Path
from types import FrameType
from typing import Any, Optional

from kafkalab import Coordinator, CoordinatorConfig
from kafkalab import trace as tr
from kafkalab.messages import JoinGroupRequest, JoinGroupRequestProtocol, SyncGroupRequest, SyncGroupRequestAssignment
from kafkalab.viz.render import render_svg

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "kafkalab"
DOCS = REPO / "docs"
DOT_PATH = DOCS / "architecture.dot"
SVG_PATH = DOCS / "architecture.svg"
DOC_PATH = DOCS / "architecture.md"

#: Packages drawn as one box of modules each, with the box's label.
CORE_BOXES = {
    "kafkalab": "kafkalab/  (core: the service, runtime, log, offsets, timers, messages, trace)",
    "kafkalab.classic": "kafkalab/classic/  (the classic protocol)",
    "kafkalab.modern": "kafkalab/modern/  (the consumer protocol, KIP-848)",
}
#: Core packages drawn as one node.
CORE_NODES = {"kafkalab.assignors": "assignors/", "kafkalab.logformat": "logformat/", "kafkalab.java": "java/"}
#: The adapters, each drawn as one node: they may import the core, never the other way round.
ADAPTERS = {
    "kafkalab.sim": "sim/", "kafkalab.wire": "wire/", "kafkalab.viz": "viz/", "kafkalab.tap": "tap/",
    "kafkalab.tracelog": "tracelog/", "kafkalab.exercises": "exercises/", "kafkalab.doctor": "doctor.py",
    "kafkalab.cli": "cli.py",
}


# ---------------------------------------------------------------------------- the import graph

def module_files(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported (not those inside functions or classes)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            # ``if TYPE_CHECKING:`` imports are for the type checker only: they never run.
            test = node.test
            type_checking = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
            todo[:0] = (node.orelse if type_checking else node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo[:0] = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the kafkalab modules it imports at module level."""
    files = module_files(root)

    def known(name: str) -> Optional[str]:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                module = known(target)
                if module is not None and module != name and module.split(".")[0] == "kafkalab":
                    graph[name].add(module)
    return graph


def layer_of(module: str) -> str:
    """The node a module is drawn in: itself (core boxes), or its package's node."""
    for prefix in (*ADAPTERS, *CORE_NODES):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module


def is_core(module: str) -> bool:
    """Whether ``module`` is part of the core (it must not import an adapter)."""
    return layer_of(module) not in ADAPTERS


def core_imports_of_adapters(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The imports that break the layering: a core module importing an adapter."""
    return sorted((a, b) for a, bs in graph.items() for b in bs if is_core(a) and not is_core(b))


def core_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles among the core's modules (each as a list of modules, the first repeated last)."""
    core = {m: sorted(t for t in ts if is_core(t)) for m, ts in graph.items() if is_core(m)}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for t in core[module]:
            if state.get(t) == 1:
                cycles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path)
        path.pop()
        state[module] = 2

    for module in sorted(core):
        if module not in state:
            visit(module, [])
    return cycles


def _box_of(node: str) -> Optional[str]:
    if node in ADAPTERS or node in CORE_NODES:
        return None
    package = node.rpartition(".")[0]
    return package if package in CORE_BOXES else None


def _reduce(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Drop every edge ``a -> b`` when ``b`` is reachable from ``a`` by another path."""
    out: dict[str, set[str]] = {}
    for a, b in edges:
        out.setdefault(a, set()).add(b)

    def reachable_without(a: str, b: str) -> bool:
        seen, todo = {a}, [n for n in out.get(a, ()) if n != b]
        while todo:
            n = todo.pop()
            if n == b:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(out.get(n, ()))
        return False

    return {(a, b) for a, b in edges if not reachable_without(a, b)}


def layer_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The diagram's arrows: imports between drawn nodes, package ``__init__`` modules of the
    core boxes dissolved into what they import, then transitively reduced."""
    dissolved = {m for m in graph if m in CORE_BOXES}

    def targets(module: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if module not in dissolved:
            return {layer_of(module)}
        out: set[str] = set()
        for t in graph[module]:
            if t not in seen:
                out |= targets(t, seen | {module})
        return out

    edges = set()
    for a, bs in graph.items():
        if a in dissolved:
            continue
        for b in bs:
            for t in targets(b):
                if layer_of(a) != t:
                    edges.add((layer_of(a), t))
    return _reduce(edges)


def _label(node: str) -> str:
    if node in ADAPTERS:
        return ADAPTERS[node]
    if node in CORE_NODES:
        return CORE_NODES[node]
    return node.rpartition(".")[2] + ".py"


def dot_source(graph: Optional[dict[str, set[str]]] = None) -> str:
    """The layers diagram as DOT text (deterministic: sorted nodes and edges)."""
    graph = graph if graph is not None else import_graph()
    edges = layer_edges(graph)
    nodes = sorted({layer_of(m) for m in graph} - set(CORE_BOXES))
    lines = [
        "// Generated by scripts/architecture.py from kafkalab's imports; do not edit.",
        "digraph kafkalab {",
        '  graph [rankdir=TB, newrank=true, concentrate=true, fontname="Helvetica", fontsize=11, nodesep=0.25,'
        ' ranksep=0.45];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [color="#777777", arrowsize=0.6];',
    ]
    for i, box in enumerate(sorted(CORE_BOXES)):
        members = [n for n in nodes if _box_of(n) == box]
        if not members:
            continue
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f'    label="{CORE_BOXES[box]}"; style="rounded,filled"; fillcolor="#eef3fb"; color="#8aa4cc";')
        lines += [f'    "{n}" [label="{_label(n)}"];' for n in members]
        lines.append("  }")
    for n in nodes:
        if _box_of(n) is None:
            colour = "#fff4e0" if n in ADAPTERS else "#eef3fb"
            lines.append(f'  "{n}" [label="{_label(n)}", fillcolor="{colour}"];')
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg_of(dot: str) -> str:
    """Render ``dot`` (Graphviz's dot engine, native or wasm) and stamp it with the DOT's hash."""
    svg = render_svg(dot, engine="dot")
    stamp = f"<!-- {svg_stamp(dot)} -->\n"
    if svg.startswith("<?xml"):
        head, _, rest = svg.partition("\n")
        return f"{head}\n{stamp}{rest}"
    return stamp + svg


def svg_stamp(dot: str) -> str:
    """The comment an SVG carries to say which DOT it was rendered from."""
    return f"rendered by scripts/architecture.py from architecture.dot sha256:{hashlib.sha256(dot.encode()).hexdigest()}"


# ---------------------------------------------------------------------------- the JoinGroup path

def joingroup_path() -> str:
    """The call tree of one JoinGroup, from ``Coordinator.handle`` to its JoinGroupResponse.

    The request is a new dynamic member's second JoinGroup (v9, with the member id that its first
    one got with MEMBER_ID_REQUIRED), arriving while the group prepares a rebalance and every
    other member has rejoined: it is the last member awaited, so the join phase completes and the
    answer is sent within the same ``handle`` call.  Every kafkalab function definition entered is
    listed the first time it runs (later calls of it are left out, unless something new happens
    below them), except comprehensions and closures (part of their function), and the messages'
    own field checks (``messages.py``, ``errors.py``).
    """
    ids = iter(range(1, 1000))
    coordinator = Coordinator(CoordinatorConfig(group_initial_rebalance_delay_ms=0),
                              new_member_id=lambda prefix: f"{prefix}-{next(ids)}")
    protocols = (JoinGroupRequestProtocol("range", b""),)

    def join(name: str, member_id: str, now: int) -> list[Any]:
        return coordinator.handle(JoinGroupRequest(
            group_id="g", session_timeout_ms=10_000, rebalance_timeout_ms=30_000, member_id=member_id,
            client_id=name, protocol_type="consumer", protocols=protocols, api_version=9), name, now)

    a = join("a", "", 0)[0].response.member_id                 # MEMBER_ID_REQUIRED
    join("a", a, 0)
    coordinator.on_timer(0)                                     # the initial delay (0 ms) ends
    coordinator.handle(SyncGroupRequest(group_id="g", generation_id=1, member_id=a, api_version=5,
                                        assignments=(SyncGroupRequestAssignment(a, b""),)), "a", 0)
    b = join("b", "", 10)[0].response.member_id                 # MEMBER_ID_REQUIRED for b
    join("a", a, 20)                                            # the leader rejoins: a rebalance
    if coordinator.describe("g")["state"] != "PreparingRebalance":
        raise AssertionError("the JoinGroup path's set-up did not leave the group preparing a rebalance")

    package = str(PACKAGE) + "/"
    skipped = {str(PACKAGE / "messages.py"), str(PACKAGE / "errors.py")}
    start = len(coordinator.trace)
    root: list[Any] = ["", "", []]           # [qualname, file, children]
    stack: list[tuple[Optional[FrameType], list[Any]]] = [(None, root)]
    hidden: list[FrameType] = []              # skipped frames still running (their callees are skipped too)
    done = False

    def answered() -> bool:
        return any(isinstance(e, tr.ResponseSent) and e.origin == "b" for e in coordinator.trace[start:])

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal done
        if done:
            return
        code = frame.f_code
        if event == "call":
            if hidden or not code.co_filename.startswith(package):
                return
            if code.co_filename in skipped:
                hidden.append(frame)
                return
            if "<" in code.co_qualname:   # a comprehension, lambda or closure: part of its function
                return
            node = [code.co_qualname, str(Path(code.co_filename).relative_to(PACKAGE)), []]
            stack[-1][1][2].append(node)
            stack.append((frame, node))
        elif event == "return":
            if hidden and hidden[-1] is frame:
                hidden.pop()
            elif stack[-1][0] is frame:
                stack.pop()
                if answered():
                    done = True

    sys.setprofile(profile)
    try:
        replies = join("b", b, 30)
    finally:
        sys.setprofile(None)
    if not any(r.origin == "b" and r.response.generation_id == 2 for r in replies):
        raise AssertionError(f"the JoinGroup path's request was not answered with generation 2: {replies}")

    seen: set[tuple[str, str]] = set()

    def keep(node: list[Any]) -> bool:
        """Mark first occurrences; keep a repeated call only when something new happens below it."""
        key = (node[0], node[1])
        first = key not in seen
        seen.add(key)
        node[2] = [child for child in node[2] if keep(child)]
        node.append(first)
        return first or bool(node[2])

    root[2] = [child for child in root[2] if keep(child)]
    lines: list[str] = []

    def show(node: list[Any], depth: int) -> None:
        name = "  " * depth + node[0] + ("" if node[3] else "  (again)")
        lines.append(f"{name:<60} {node[1]}")
        for child in node[2]:
            show(child, depth + 1)

    for child in root[2]:
        show(child, 0)
    functions = {(line.split()[0], line.split()[-1]) for line in lines if "(again)" not in line}
    files = {f for _, f in functions}
    lines.append("")
    lines.append(f"{len(functions)} function definitions in {len(files)} files")
    return "\n".join(lines)


_PATH_BLOCK = re.compile(r"(<!-- joingroup-path:begin -->\n```text\n)(.*?)(```\n<!-- joingroup-path:end -->)", re.S)


def doc_with_path(doc: str, path: str) -> str:
    """``doc`` with the text between the joingroup-path markers replaced by ``path``."""
    if not _PATH_BLOCK.search(doc):
        raise SystemExit(f"{DOC_PATH}: the joingroup-path markers are missing")
    return _PATH_BLOCK.sub(lambda m: m.group(1) + path + "\n" + m.group(3), doc, count=1)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    dot = dot_source()
    doc = DOC_PATH.read_text(encoding="utf-8")
    new_doc = doc_with_path(doc, joingroup_path())
    if check:
        stale = []
        if not DOT_PATH.exists() or DOT_PATH.read_text(encoding="utf-8") != dot:
            stale.append(str(DOT_PATH.relative_to(REPO)))
        if not SVG_PATH.exists() or svg_stamp(dot) not in SVG_PATH.read_text(encoding="utf-8"):
            stale.append(str(SVG_PATH.relative_to(REPO)))
        if new_doc != doc:
            stale.append(f"{DOC_PATH.relative_to(REPO)} (the JoinGroup path)")
        if stale:
            print("stale: " + ", ".join(stale) + "; run .venv/bin/python scripts/architecture.py", file=sys.stderr)
            return 1
        print("docs/architecture.* are up to date")
        return 0
    DOT_PATH.write_text(dot, encoding="utf-8")
    SVG_PATH.write_text(svg_of(dot), encoding="utf-8")
    DOC_PATH.write_text(new_doc, encoding="utf-8")
    print(f"wrote {DOT_PATH.relative_to(REPO)}, {SVG_PATH.relative_to(REPO)} and the JoinGroup path in "
          f"{DOC_PATH.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
