"""The grader against hostile submissions: forged results, reading and writing outside, the network,
hangs and leftover processes, memory and fork bombs, malformed and duplicate files, odd names.

Every learner process runs in the sandbox (:mod:`kafkalab.exercises.sandbox`, bubblewrap); where
bubblewrap cannot run, these tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from kafkalab.exercises import EXERCISES
from kafkalab.exercises import grade as grade_module
from kafkalab.exercises.grade import SandboxUnavailable, _row, grade, main, md
from kafkalab.exercises.judge import check_code
from kafkalab.exercises.sandbox import Limits, Probe, Sandbox, probe

ROOT = Path(__file__).resolve().parent.parent
NB01 = "01-groups-and-coordinator"
NB05 = "05-liveness"
IDS01 = sorted(e.id for e in EXERCISES.values() if e.notebook == NB01)
LIMITS = Limits(memory_mb=512, cpu_seconds=40, tasks=48, scratch_mb=64)
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def isolation():
    iso = probe()
    if not iso.available:
        message = f"the sandbox cannot run here: {iso.problem}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return iso


def _exercise(name):
    return nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)


def _replace(nb, startswith, source):
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(startswith):
            cell.source = source
            return nb
    raise AssertionError(f"no cell starts with {startswith!r}")


def _append(nb, source):
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def _marked(marker: str) -> list[int]:
    """PIDs of processes whose command line contains ``marker``."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found


def _kill_marked(marker: str) -> None:
    for pid in _marked(marker):  # only processes these tests started (they carry the marker)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _by(table, learner):
    return {r["exercise_id"]: r for r in table if r["learner"] == learner}


# ---------------------------------------------------------------------------- one run, many hostile learners

STEAL = """
import json, pathlib
try:
    _nb = json.loads(pathlib.Path({path!r}).read_text())
    for _c in _nb["cells"]:
        if _c["cell_type"] == "code" and "check" not in _c["metadata"].get("tags", []):
            exec("".join(_c["source"]), globals())
except Exception as _e:
    stolen = repr(_e)
"""

FORGED = {"status": "correct", "points": 1000, "message": "forged"}

REPLACE_CHECKER = """
import dataclasses
import kafkalab.exercises.core as core
core.EXERCISES["05.3"] = dataclasses.replace(core.EXERCISES["05.3"], checker=lambda fn: True, points=1000)
core.evaluate = lambda *a, **k: core.Verdict(core.Status.CORRECT, "forged", 1000.0)

def max_poll_records_for(per_record_ms):
    return 1
"""

PRINT_AND_EXIT = f"""
import json, os
print("KAFKALAB-ANSWERS " + json.dumps({FORGED!r}), flush=True)
os._exit(0)

def max_poll_records_for(per_record_ms):
    return 1
"""

FORGE_PIPES = f"""
import json, os, stat
lines = ["KAFKALAB-ANSWERS " + json.dumps({FORGED!r}), json.dumps({FORGED!r}),
         json.dumps({{"ok": {{"kind": "value", "value": 1000}}}}),
         json.dumps({{"verdicts": {{"05.3": {FORGED!r}}}}})]
for fd in [1, 2] + list(range(3, 64)):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, ("\\n".join(lines) + "\\n").encode())
    except OSError:
        pass
os._exit(0)

def max_poll_records_for(per_record_ms):
    return 1
"""


@pytest.fixture(scope="module")
def hostile(isolation, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("results")
    project_file = ROOT / f"pwned-by-grader-test-{uuid.uuid4().hex[:8]}.txt"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[bytes] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn.recv(100))
            conn.close()

    listener = threading.Thread(target=serve, daemon=True)
    listener.start()

    sol = nbformat.read(ROOT / "solutions" / f"{NB01}.ipynb", as_version=4)
    (subs / "ada").mkdir()
    peer = subs / "ada" / f"{NB01}.ipynb"
    nbformat.write(sol, peer)
    victim = subs / f"vic__{NB01}.ipynb"
    nbformat.write(_exercise(NB01), victim)
    victim_bytes = victim.read_bytes()

    nbformat.write(_replace(_exercise(NB05), "def max_poll_records_for", REPLACE_CHECKER), subs / f"fox__{NB05}.ipynb")
    nbformat.write(_replace(_exercise(NB05), "def max_poll_records_for", PRINT_AND_EXIT), subs / f"pim__{NB05}.ipynb")
    nbformat.write(_replace(_exercise(NB05), "def max_poll_records_for", FORGE_PIPES), subs / f"pip__{NB05}.ipynb")
    nbformat.write(_append(_exercise(NB01), STEAL.format(path=str(ROOT / "solutions" / f"{NB01}.ipynb"))),
                   subs / f"sol__{NB01}.ipynb")
    nbformat.write(_append(_exercise(NB01), STEAL.format(path=str(peer))), subs / f"peer__{NB01}.ipynb")
    nbformat.write(_append(_exercise(NB01), f"try:\n    open({str(ROOT / 'pyproject.toml')!r}).read()\n"
                                           "    min_value_partition = 0\nexcept OSError:\n    pass\n"
                                           "import os\nif 'KAFKALAB_TEST_SECRET' in os.environ:\n"
                                           "    payments_partition = 1"),
                   subs / f"proj__{NB01}.ipynb")
    writes = [(out / "pwned.txt", "pwned"), (victim, "{}"), (project_file, "pwned")]
    nbformat.write(_append(_exercise(NB01), "import pathlib\n" + "".join(
        f"try:\n    pathlib.Path({str(p)!r}).write_text({t!r})\nexcept OSError:\n    pass\n" for p, t in writes)),
        subs / f"wri__{NB01}.ipynb")
    nbformat.write(_append(_exercise(NB01), "import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', "
                                           f"{port}), timeout=2)\n    s.sendall(b'sandbox')\n    s.close()\n"
                                           "except OSError:\n    pass"), subs / f"net__{NB01}.ipynb")
    nbformat.write(_replace(_exercise(NB01), "min_value_partition = ...",
                            "blob = bytearray(2 * 1024 ** 3)\nmin_value_partition = 0"), subs / f"hog__{NB01}.ipynb")
    # one learner, one notebook, two files: the exercise (older) and the solution (newer)
    (subs / "dup").mkdir()
    nbformat.write(_exercise(NB01), subs / "dup" / f"{NB01}.ipynb")
    os.utime(subs / "dup" / f"{NB01}.ipynb", (time.time() - 3600,) * 2)
    nbformat.write(sol, subs / f"dup__{NB01}.ipynb")
    # malformed files, named so that the grader knows which notebook they were meant to be
    bad = {
        "zero": b"",
        "types": json.dumps({"cells": "nope", "metadata": {}, "nbformat": 4}).encode(),
        "metadata": json.dumps({"cells": [], "metadata": [], "nbformat": 4}).encode(),
        "version": json.dumps({"cells": [], "metadata": {}, "nbformat": "4"}).encode(),
        "cells": json.dumps({"cells": [5, {"cell_type": "code", "source": 7}],
                             "metadata": {"kafkalab": {"notebook": 7}}, "nbformat": 4}).encode(),
        "meta": json.dumps({"cells": [], "metadata": {"kafkalab": "01"}, "nbformat": 4}).encode(),
        "source": json.dumps({"cells": [{"cell_type": "code", "source": ["x = 1", 2], "metadata": {}}],
                              "metadata": {}, "nbformat": 4}).encode(),
        "tags": json.dumps({"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {"tags": "check"}}],
                            "metadata": {}, "nbformat": 4}).encode(),
        "list": b"[1, 2, 3]",
        "binary": bytes(range(256)) * 4,
        "deep": b"[" * 200_000,
        "huge": nbformat.writes(_append(_exercise(NB01), "# " + "x" * 2_000_000)).encode(),
    }
    for name, data in bad.items():
        (subs / f"m-{name}__{NB01}.ipynb").write_bytes(data)
    (subs / f"lnk__{NB01}.ipynb").symlink_to(ROOT / "solutions" / f"{NB01}.ipynb")  # the solutions, by a link
    # odd learner names (empty files: no kernel needed to show how names are printed)
    odd_files = ["a|b", "..", "=HYPERLINK(1)|x"]  # LEARNER__NN-...ipynb
    odd_folders = ["x\ny", "**bold** <img src=x> [l](http:e.x)"]  # LEARNER/NN-...ipynb
    for name in odd_files:
        (subs / f"{name}__{NB01}.ipynb").write_bytes(b"")
    for name in odd_folders:
        (subs / name).mkdir()
        (subs / name / f"{NB01}.ipynb").write_bytes(b"")
    odd = odd_files + odd_folders
    logged: list[str] = []
    os.environ["KAFKALAB_TEST_SECRET"] = "the grader's environment"
    try:
        rows = grade(subs, out, jobs=2, cell_timeout=10, timeout=40, limits=LIMITS, max_notebook_mb=1,
                     log=logged.append)
    finally:
        del os.environ["KAFKALAB_TEST_SECRET"]
        stop.set()
        listener.join(5)
        server.close()
        project_left = project_file.exists()
        project_file.unlink(missing_ok=True)
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    return {"rows": rows, "table": table, "out": out, "subs": subs, "accepted": accepted, "odd": odd,
            "victim": (victim, victim_bytes), "project_left": project_left, "logged": logged,
            "malformed": sorted(bad)}


def test_a_correct_submission_still_scores_full_points_in_the_sandbox(hostile):
    ada = _by(hostile["table"], "ada")
    assert sorted(ada) == IDS01
    assert all(r["status"] == "correct" and r["points"] == r["max_points"] for r in ada.values())


@pytest.mark.parametrize("learner", ["fox", "pim", "pip"])
def test_a_code_answer_cannot_forge_its_verdict(hostile, learner):
    # fox replaces the checker and evaluate(); pim prints a result line and exits; pip writes
    # forged result lines into every pipe it has, then exits
    row = _by(hostile["table"], learner)["05.3"]
    assert row["points"] == "0" and row["max_points"] == "1"
    assert row["status"] != "correct" and "forged" not in row["reason"]
    if learner == "fox":  # its function is checked for real: one record per poll is too slow
        assert row["status"] == "wrong" and "needlessly slow" in row["reason"]


def test_points_never_exceed_the_maximum(hostile):
    for r in hostile["rows"]:
        assert 0 <= r.points <= r.max_points, r
    ex = EXERCISES["05.3"]
    assert _row("x", NB05, ex, "correct", "", 1000).points == ex.points
    assert _row("x", NB05, ex, "wrong", "", 1000).points == 0
    assert _row("x", NB05, ex, "correct", "", float("nan")).points == 0
    forged = _row("x", NB05, ex, "brilliant", "a\nb|c", 5)
    assert forged.status == "error" and forged.points == 0 and "\n" not in forged.reason


def test_learner_code_cannot_read_the_solutions(hostile):
    sol = _by(hostile["table"], "sol")
    assert {r["status"] for r in sol.values()} == {"unanswered"}


def test_a_symbolic_link_is_not_graded(hostile):
    lnk = _by(hostile["table"], "lnk")
    assert sorted(lnk) == IDS01
    assert all(r["points"] == "0" and "symbolic link" in r["reason"] for r in lnk.values())


def test_learner_code_cannot_read_other_learners_submissions(hostile):
    peer = _by(hostile["table"], "peer")
    assert {r["status"] for r in peer.values()} == {"unanswered"}


def test_learner_code_cannot_read_the_project_or_the_graders_environment(hostile):
    proj = _by(hostile["table"], "proj")
    assert proj["01.2"]["status"] == "unanswered" and proj["01.1"]["status"] == "unanswered"


def test_learner_code_cannot_write_results_submissions_or_the_project(hostile):
    out = hostile["out"]
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "summary.md"]
    victim, before = hostile["victim"]
    assert victim.read_bytes() == before
    assert not hostile["project_left"]
    assert {r["status"] for r in _by(hostile["table"], "wri").values()} == {"unanswered"}


def test_learner_code_has_no_network(hostile):
    assert hostile["accepted"] == []
    assert {r["status"] for r in _by(hostile["table"], "net").values()} == {"unanswered"}


def test_a_memory_hog_is_stopped_and_the_reason_given(hostile):
    row = _by(hostile["table"], "hog")["01.2"]
    assert row["status"] == "missing" and row["points"] == "0"
    assert "MemoryError" in row["reason"] and f"{LIMITS.memory_mb} MiB" in row["reason"]


def test_malformed_files_score_zero_per_exercise_with_a_one_line_reason(hostile):
    for name in hostile["malformed"]:
        rows = _by(hostile["table"], f"m-{name}")
        assert sorted(rows) == IDS01, name
        for r in rows.values():
            assert r["points"] == "0" and r["status"] == "invalid", (name, r)
            assert r["reason"] and "\n" not in r["reason"] and len(r["reason"]) <= 300, (name, r)
    reasons = {name: _by(hostile["table"], f"m-{name}")["01.1"]["reason"] for name in hostile["malformed"]}
    assert "empty" in reasons["zero"]
    assert "over the 1 MB limit" in reasons["huge"]
    assert "not valid JSON" in reasons["deep"] and "not UTF-8" in reasons["binary"]
    assert "list of cells" in reasons["types"] and "tags" in reasons["tags"] and "source" in reasons["source"]
    assert "metadata is not" in reasons["metadata"] and "metadata.kafkalab" in reasons["meta"]
    assert not [r for r in hostile["table"] if r["exercise_id"] == "*"]


def test_duplicate_submissions_are_graded_once_with_a_warning(hostile):
    dup = [r for r in hostile["table"] if r["learner"] == "dup"]
    assert sorted(r["exercise_id"] for r in dup) == IDS01
    assert all(r["status"] == "correct" for r in dup)  # the newer file (the solution)
    warnings = [w for w in hostile["logged"] if "dup" in w]
    assert len(warnings) == 1
    assert f"dup/{NB01}.ipynb" in warnings[0] and f"dup__{NB01}.ipynb" in warnings[0]
    summary = (hostile["out"] / "summary.md").read_text()
    assert "twice" in summary and f"dup\\_\\_{NB01}" in summary


def test_odd_learner_names_are_kept_in_the_csv_and_escaped_in_the_summary(hostile):
    table = hostile["table"]
    learners = {r["learner"] for r in table}
    for name in hostile["odd"]:
        shown = "'" + name if name.startswith("=") else name  # no spreadsheet formula
        assert shown in learners, name
    summary = (hostile["out"] / "summary.md").read_text()
    assert "<img" not in summary and "**bold**" not in summary and "x\ny" not in summary
    for name in hostile["odd"]:
        assert f"| {md(name)} |" in summary, name
    head = summary.index("| learner |")
    table_lines = summary[head:].split("\n\n")[0].splitlines()
    assert len(table_lines) == 2 + len(learners)  # header, rule, one line per learner
    for line in table_lines:
        assert len(re.findall(r"(?<!\\)\|", line)) == 7, line


def test_md_escapes_what_would_render():
    assert md("a|b") == "a\\|b"
    assert md("x\ny") == "x y"
    assert md("<script>") == "&lt;script&gt;"
    assert md("[l](http://e)") == "\\[l\\](http\\://e)"
    assert md("**b** _i_ `c` ~s~ # h") == "\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\~s\\~ \\# h"


# ---------------------------------------------------------------------------- hangs and leftovers

def _leaker_source(marker: str) -> str:
    sleeper = ("import os, signal, time\n"
               "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
               "    signal.signal(s, signal.SIG_IGN)\n"
               "if os.fork():\n"
               "    os._exit(0)\n"
               "os.setsid()\n"
               "time.sleep(600)\n")
    return ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', {sleeper!r}, {marker!r}], start_new_session=True)\n")


def _bomb_source(marker: str) -> str:
    return ("import os\n"
            "children = 0\n"
            "for _ in range(300):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError:\n"
            "        break\n"
            "    if pid == 0:\n"
            f"        os.execv('/bin/sleep', ['sleep', {marker!r}])\n"
            "    children += 1\n")


@pytest.fixture(scope="module")
def hangs(isolation, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("results")
    marker = f"{600 + (uuid.uuid4().int % 1000) / 1000:.3f}"  # a sleep time no other process uses
    leak = _append(_exercise(NB01), _leaker_source(f"kafkalab-leak-{marker}"))
    nbformat.write(_replace(leak, "min_value_partition = ...", "min_value_partition = 0"), subs / f"lea__{NB01}.ipynb")
    stubborn = _exercise(NB01)
    stubborn.cells.insert(2, nbformat.v4.new_code_cell(
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\n"))
    _replace(stubborn, "min_value_partition = ...", "min_value_partition = 0")
    _append(stubborn, "signal.signal(signal.SIGINT, signal.SIG_IGN)  # in this cell, so the kernel cannot undo it\n"
                      "while True:\n    pass")
    nbformat.write(stubborn, subs / f"stu__{NB01}.ipynb")
    bomb = _exercise(NB01)
    _replace(bomb, "min_value_partition = ...", _bomb_source(marker) + "min_value_partition = 0")
    nbformat.write(bomb, subs / f"bom__{NB01}.ipynb")
    result: dict = {}

    def run():
        result["rows"] = grade(subs, out, jobs=2, cell_timeout=4, timeout=20, limits=LIMITS, log=lambda m: None)

    t0 = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(120)  # a liveness bound far above the limits given (20 s per notebook), not a speed test
    finished = not worker.is_alive()
    left = _marked(marker)
    _kill_marked(marker)
    with open(out / "grades.csv", newline="", encoding="utf-8") if finished else open(os.devnull) as f:
        table = list(csv.DictReader(f)) if finished else []
    return {"finished": finished, "left": left, "table": table, "elapsed": time.monotonic() - t0}


def test_the_grader_finishes_when_a_kernel_ignores_signals_and_never_ends(hangs):
    assert hangs["finished"], "grade() did not return"
    stu = _by(hangs["table"], "stu")
    assert sorted(stu) == IDS01 and all(r["points"] == "0" for r in stu.values())
    assert all("could not be interrupted" in r["reason"] for r in stu.values())


def test_no_process_survives_its_notebook(hangs):
    # a double-forked, setsid, signal-ignoring sleeper and a fork bomb's sleepers
    assert hangs["finished"]
    assert hangs["left"] == []
    assert _by(hangs["table"], "lea")["01.2"]["status"] == "correct"
    assert _by(hangs["table"], "bom")["01.2"]["status"] == "correct"


# ---------------------------------------------------------------------------- one sandboxed process

FORK_COUNT = """
import os, time
def max_poll_records_for(per_record_ms):
    children = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    raise ValueError(f"forked {children}")
"""

SPIN = """
def max_poll_records_for(per_record_ms):
    while True:
        pass
"""


def test_a_fork_bomb_is_bounded_by_the_task_limit(isolation):
    if not isolation.tasks_by:
        message = "running as root without a writable pids cgroup: the task count cannot be limited here"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    box = Sandbox(Limits(memory_mb=256, cpu_seconds=20, tasks=24, scratch_mb=16), isolation)
    verdict = check_code(box, "05.3", FORK_COUNT, 20)
    forked = int(re.search(r"forked (\d+)", verdict["message"]).group(1))
    assert 0 <= forked < 24 and verdict["points"] == 0


def test_the_cpu_limit_stops_a_spinning_code_answer(isolation):
    box = Sandbox(Limits(memory_mb=256, cpu_seconds=2, tasks=24, scratch_mb=16), isolation)
    verdict = check_code(box, "05.3", SPIN, 60)
    assert verdict["status"] == "error" and verdict["points"] == 0
    assert "process running this answer failed" in verdict["message"] and "2 s of CPU" in verdict["message"]


# ---------------------------------------------------------------------------- without a sandbox

def test_without_bubblewrap_the_grader_refuses_unless_told(tmp_path, monkeypatch, capsys):
    missing = Probe(False, "bubblewrap is not installed: sudo apt-get install bubblewrap")
    monkeypatch.setattr(grade_module, "probe", lambda: missing)
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    nbformat.write(nbformat.read(ROOT / "solutions" / f"{NB01}.ipynb", as_version=4), subs / "ada" / f"{NB01}.ipynb")
    with pytest.raises(SandboxUnavailable, match="--no-sandbox"):
        grade(subs, tmp_path / "out")
    assert main([str(subs), "--out", str(tmp_path / "out")]) == 2
    assert "apt-get install bubblewrap" in capsys.readouterr().err
    assert main([str(subs), "--out", str(tmp_path / "out"), "--no-sandbox", "--cell-timeout", "20"]) == 0
    assert "no sandbox" in capsys.readouterr().err
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "**Sandbox: none**" in summary and "| ada | 3 | 3 |" in summary
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grades.csv", "summary.md"]


def test_the_grader_says_how_it_isolates_learner_code(isolation, tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"ann__{NB01}.ipynb").write_bytes(b"")
    assert main([str(subs), "--out", str(tmp_path / "out")]) == 0
    assert "sandbox: bubblewrap" in capsys.readouterr().err
    assert "Sandbox: bubblewrap" in (tmp_path / "out" / "summary.md").read_text()

