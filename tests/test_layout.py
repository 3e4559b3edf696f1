"""Checks on how the package is put together: which modules may use which."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# `kafkalab.assignors._x`, `from kafkalab.assignors import _x`, `from .assignors._x import ...`
PRIVATE_ASSIGNOR_IMPORT = re.compile(r"assignors(?:\.|\s+import\s+(?:\(\s*)?)_[A-Za-z]")


def _sources() -> list[Path]:
    out = []
    for folder in ("kafkalab", "tests", "benchmarks", "notebooks", "solutions", "exercises", "scripts"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".ipynb") and ".ipynb_checkpoints" not in path.parts:
                out.append(path)
    return out


def test_nothing_outside_the_assignors_package_imports_a_private_assignor_module():
    assignors = ROOT / "kafkalab" / "assignors"
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for path in _sources()
        if assignors not in path.parents and path != Path(__file__).resolve()
        for match in PRIVATE_ASSIGNOR_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "import the public module instead (e.g. kafkalab.java):\n" + "\n".join(offenders)


def test_the_private_assignor_import_pattern_catches_each_spelling():
    for text in ("from kafkalab.assignors._java import x", "import kafkalab.assignors._java",
                 "from .assignors._java import x", "from kafkalab.assignors import _java",
                 "from ..assignors import (_java)"):
        assert PRIVATE_ASSIGNOR_IMPORT.search(text), text
    for text in ("from kafkalab.assignors import assign", "from kafkalab.java import hash_map_order"):
        assert not PRIVATE_ASSIGNOR_IMPORT.search(text), text
