"""Installing kafkalab into an environment keeps the user's own JupyterLab ``overrides.json``.

kafkalab turns JupyterLab's ``commsOverSubshells`` off (see README "Dependencies"). It ships that as
``share/jupyter/lab/settings/overrides.d/kafkalab.json``: jupyterlab_server reads every file in
``overrides.d/`` first and the user's ``overrides.json`` last, on top. So installing kafkalab adds a
file next to the user's instead of replacing it, and where both set the same key the user wins.

The test builds kafkalab's wheel once (offline: ``--no-build-isolation --no-index``), installs it
with pip into a fresh venv whose settings directory already holds a user ``overrides.json``, and
reads the settings the way JupyterLab's settings API does (``jupyterlab_server.settings_utils``:
``_get_overrides`` of the app settings directory, then ``get_settings`` for one plugin).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import _get_overrides, get_settings

ROOT = Path(__file__).resolve().parent.parent
KERNELS = "@jupyterlab/apputils-extension:kernels-settings"
THEMES = "@jupyterlab/apputils-extension:themes"
USER_OVERRIDES = '{\n  "%s": {"theme": "JupyterLab Dark"}\n}\n' % THEMES


def _run(*cmd: str | Path) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", out, ROOT)
    (built,) = out.glob("kafkalab-*.whl")
    return built


@pytest.fixture
def venv_with_user_overrides(tmp_path) -> tuple[Path, Path]:
    """A fresh venv (no pip) whose JupyterLab app settings dir holds the user's overrides.json."""
    env = tmp_path / "env"
    _run(sys.executable, "-m", "venv", "--without-pip", env)
    settings_dir = env / "share" / "jupyter" / "lab" / "settings"
    settings_dir.mkdir(parents=True)
    (settings_dir / "overrides.json").write_text(USER_OVERRIDES, encoding="utf-8")
    return env, settings_dir


def _install(wheel: Path, env: Path) -> None:
    python = env / ("Scripts" if os.name == "nt" else "bin") / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)


def _default(settings_dir: Path, plugin_id: str, key: str, user_settings_dir: Path):
    """The default that JupyterLab's settings API serves for ``plugin_id``'s ``key``."""
    overrides, error = _get_overrides(str(settings_dir))
    assert not error, f"JupyterLab could not read the overrides in {settings_dir}: {error}"
    app_dir = Path(get_app_dir())
    result, _warnings = get_settings(str(settings_dir), str(app_dir / "schemas"), str(user_settings_dir),
                                     schema_name=plugin_id, overrides=overrides, labextensions_path=[])
    return result["schema"]["properties"][key]["default"]


def test_install_keeps_the_users_overrides_and_adds_kafkalabs(wheel, venv_with_user_overrides, tmp_path):
    env, settings_dir = venv_with_user_overrides
    user_settings = tmp_path / "user-settings"
    before = _default(settings_dir, KERNELS, "commsOverSubshells", user_settings)
    assert before != "disabled", "JupyterLab's own default must differ, or this test shows nothing"

    _install(wheel, env)

    assert (settings_dir / "overrides.json").read_text(encoding="utf-8") == USER_OVERRIDES
    shipped = json.loads((ROOT / "jupyter-config" / "overrides.d" / "kafkalab.json").read_text(encoding="utf-8"))
    installed = json.loads((settings_dir / "overrides.d" / "kafkalab.json").read_text(encoding="utf-8"))
    assert installed == shipped
    assert _default(settings_dir, KERNELS, "commsOverSubshells", user_settings) == "disabled"
    assert _default(settings_dir, THEMES, "theme", user_settings) == "JupyterLab Dark"


def test_the_users_overrides_json_wins_over_kafkalabs(wheel, venv_with_user_overrides, tmp_path):
    env, settings_dir = venv_with_user_overrides
    (settings_dir / "overrides.json").write_text(json.dumps({KERNELS: {"commsOverSubshells": "perComm"}}))
    _install(wheel, env)
    assert _default(settings_dir, KERNELS, "commsOverSubshells", tmp_path / "user-settings") == "perComm"


def test_the_editable_install_of_this_environment_has_kafkalabs_override():
    """``pip install -e .`` (scripts/ensure-venv.sh) put kafkalab's file where JupyterLab reads it."""
    settings_dir = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    installed = settings_dir / "overrides.d" / "kafkalab.json"
    assert installed.is_file(), f"{installed} is missing: reinstall with pip install -e ."
    shipped = ROOT / "jupyter-config" / "overrides.d" / "kafkalab.json"
    assert json.loads(installed.read_text()) == json.loads(shipped.read_text())
