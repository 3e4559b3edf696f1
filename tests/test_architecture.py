"""docs/architecture.md shows the code as it is: its diagram and its JoinGroup path are what
scripts/architecture.py generates now, and the layering the page describes holds (the core never
imports an adapter, and its imports have no cycle)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("architecture", ROOT / "scripts" / "architecture.py")
assert _spec is not None and _spec.loader is not None
arch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arch)

FIX = "run .venv/bin/python scripts/architecture.py and commit docs/architecture.*"


def test_the_committed_diagram_is_drawn_from_the_current_imports():
    assert arch.DOT_PATH.read_text(encoding="utf-8") == arch.dot_source(), FIX


def test_the_committed_svg_was_rendered_from_that_diagram():
    assert arch.svg_stamp(arch.dot_source()) in arch.SVG_PATH.read_text(encoding="utf-8"), FIX


def test_the_joingroup_path_on_the_page_is_the_path_the_code_takes():
    doc = arch.DOC_PATH.read_text(encoding="utf-8")
    path = arch.joingroup_path()
    assert arch.doc_with_path(doc, path) == doc, FIX
    # It runs from the service through the classic handlers to the reply.
    first, *_ = path.splitlines()
    assert first.split() == ["Coordinator.handle", "coordinator.py"]
    names = [line.split()[0] for line in path.splitlines() if line.strip() and "function definitions" not in line]
    for step in ["Coordinator.precheck", "handle_join_group", "add_member_and_rebalance", "complete_join",
                 "answer_join", "Runtime.send"]:
        assert step in names
    assert names[-1] == "Runtime.send"


def test_the_core_never_imports_an_adapter():
    assert arch.core_imports_of_adapters(arch.import_graph()) == []


def test_the_core_imports_have_no_cycle():
    assert arch.core_cycles(arch.import_graph()) == []


def test_the_checks_see_a_core_module_importing_an_adapter_and_a_cycle(tmp_path):
    """The two layering checks on a small made-up package: relative and absolute imports, imports
    under ``if``/``try`` count, imports inside functions do not."""
    pkg = tmp_path / "kafkalab"
    for name, body in {
        "__init__.py": "from .coordinator import Coordinator\n",
        "coordinator.py": "from . import timers\nfrom .classic.join import handle\n",
        "timers.py": "try:\n    import kafkalab.sim.world\nexcept ImportError:\n    pass\n",
        "classic/__init__.py": "",
        "classic/join.py": "from ..coordinator import Coordinator\n\ndef f():\n    from ..viz import steps\n",
        "sim/__init__.py": "", "sim/world.py": "from ..coordinator import Coordinator\n",
        "viz/__init__.py": "", "viz/steps.py": "",
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(body)
    graph = arch.import_graph(pkg)
    assert graph["kafkalab.coordinator"] == {"kafkalab.timers", "kafkalab.classic.join"}
    assert graph["kafkalab.classic.join"] == {"kafkalab.coordinator"}        # not viz: inside a function
    assert arch.core_imports_of_adapters(graph) == [("kafkalab.timers", "kafkalab.sim.world")]
    assert arch.core_cycles(graph) == [["kafkalab.coordinator", "kafkalab.classic.join", "kafkalab.coordinator"]]
