"""The grader's fork server and kernel: learner processes forked from a pre-imported template are
still each in a fresh sandbox of their own, hold nothing of the template or the grader, cannot
change what the next one starts from, and cannot take the template down; the kernel keeps what a
Jupyter kernel does that grading depends on.

The sandbox tests need bubblewrap (skipped where it cannot run, except in CI); the kernel tests
run the runner without a sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from kafkalab.exercises.forkserver import ForkServer
from kafkalab.exercises.grade import grade
from kafkalab.exercises.rpc import Channel, ChannelError, decode, encode
from kafkalab.exercises.sandbox import Limits, Sandbox, probe, sandbox_env

ROOT = Path(__file__).resolve().parent.parent
NB01 = "01-groups-and-coordinator"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
LIMITS = Limits(memory_mb=512, cpu_seconds=30, tasks=48, scratch_mb=16)


@pytest.fixture(scope="module")
def isolation():
    iso = probe()
    if not iso.available:
        message = f"the sandbox cannot run here: {iso.problem}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return iso


@pytest.fixture(scope="module")
def server(isolation):
    srv = ForkServer.start(sandbox_env())
    yield srv
    srv.close()


@pytest.fixture
def box(isolation, server):
    return Sandbox(LIMITS, isolation, spawner=server)


class Worker:
    """A code-answer process (``runner code``) forked by the fork server, driven like the judge does."""

    def __init__(self, box: Sandbox, source: str) -> None:
        self.running = box.start(["code"])
        assert self.running.worker is not None, "the process was not forked from the template"
        self.running.stderr.close()
        self.channel = Channel(self.running.stdout.fileno(), self.running.stdin.fileno())
        deadline = time.monotonic() + 60
        self.channel.send({"op": "define", "source": source, "name": "probe"}, deadline)
        assert "ok" in self.channel.recv(deadline)

    def call(self, *args):
        deadline = time.monotonic() + 60
        self.channel.send({"op": "call", "target": 0, "method": None, "args": encode(list(args)),
                           "kwargs": encode({})}, deadline)
        reply = self.channel.recv(deadline)
        assert "ok" in reply, reply
        return decode(reply["ok"])

    def stop(self) -> None:
        self.running.stop()


INSPECT = """
import os, pathlib

def probe(op, path=""):
    if op == "ns":
        return {n: os.readlink(f"/proc/self/ns/{n}") for n in ("user", "mnt", "net", "pid", "ipc", "uts")}
    if op == "write":
        pathlib.Path(path).write_text("mine")
        return True
    if op == "exists":
        return os.path.exists(path)
    if op == "fds":
        found = {}
        for fd in os.listdir("/proc/self/fd"):
            try:
                found[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:  # listdir's own descriptor, closed by now
                pass
        return found
    if op == "status":
        return {k: v.strip() for k, v in (line.split(":", 1) for line in open("/proc/self/status"))
                if k.startswith("Cap") or k == "NoNewPrivs"}
    if op == "processes":
        found = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    found[int(d)] = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\\0", b" ").decode()
                except OSError:
                    pass
        return {"ppid": os.getppid(), "pids": found}
    if op == "tamper":
        import kafkalab, kafkalab.exercises.core as core
        kafkalab._tampered = True
        core.EXERCISES.pop("05.3")
        return True
    if op == "tampered":
        import kafkalab, kafkalab.exercises.core as core
        return [hasattr(kafkalab, "_tampered"), "05.3" in core.EXERCISES]
    if op == "crash":
        import signal
        os.kill(os.getpid(), signal.SIGSEGV)
    if op == "kill-group":
        import signal
        os.kill(0, signal.SIGKILL)
    raise ValueError(op)
"""


def _own_ns(pid: int | str = "self") -> dict[str, str]:
    return {n: os.readlink(f"/proc/{pid}/ns/{n}") for n in ("user", "mnt", "net", "pid", "ipc", "uts")}


def test_each_forked_worker_is_in_fresh_namespaces_of_its_own(box, server):
    a, b = Worker(box, INSPECT), Worker(box, INSPECT)
    try:
        ns_a, ns_b = a.call("ns"), b.call("ns")
        marker = f"/tmp/kafkalab-forkserver-test-{uuid.uuid4().hex}"
        assert a.call("write", marker) and a.call("exists", marker)
        assert not b.call("exists", marker)  # a private /tmp each
    finally:
        a.stop()
        b.stop()
    assert not os.path.exists(marker)  # nor the template's or the grader's /tmp
    grader, template = _own_ns(), _own_ns(server.pid)
    for name in ns_a:
        assert ns_a[name] != ns_b[name], name
        assert ns_a[name] not in (grader[name], template[name]), name


def test_a_worker_holds_no_descriptor_privilege_or_view_of_the_template(box, server):
    w = Worker(box, INSPECT)
    try:
        fds = w.call("fds")
        status = w.call("status")
        seen = w.call("processes")
    finally:
        w.stop()
    # stdin, and a copy of stdout for the replies (pipes to the judge); stdout and stderr are /dev/null
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert fds[1] == fds[2] == "/dev/null" and fds[0].startswith("pipe:") and fds[3].startswith("pipe:"), fds
    assert status["NoNewPrivs"] == "1"
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[cap], 16) == 0, (cap, status[cap])
    # it sees its sandbox's processes only: bubblewrap's init, the waiting shell, itself (a copy of the
    # template, whose command line it keeps); its parent, the template and the grader are outside
    assert seen["ppid"] == 0
    assert sorted(seen["pids"]) == [1, 2, 3], seen["pids"]
    assert seen["pids"][1].startswith("/usr/bin/bwrap") or "bwrap" in seen["pids"][1]
    assert seen["pids"][2].startswith("/bin/sh -c printf x")
    assert "pytest" not in " ".join(seen["pids"].values())


NOTEBOOK_CELLS = [
    "import os\n"
    "fds = {}\n"
    "for fd in os.listdir('/proc/self/fd'):\n"
    "    try:\n"
    "        fds[fd] = os.readlink(f'/proc/self/fd/{fd}')\n"
    "    except OSError:\n"
    "        pass",
    "ns = {n: os.readlink(f'/proc/self/ns/{n}') for n in ('user', 'mnt', 'net', 'pid', 'ipc', 'uts')}\n"
    "status = {k: v.strip() for k, v in (l.split(':', 1) for l in open('/proc/self/status'))\n"
    "          if k.startswith('Cap') or k == 'NoNewPrivs'}",
    "open('helper_module.py', 'w').write('X = 5')  # a kernel imports from its working folder\n"
    "import helper_module\n"
    "imported = helper_module.X",
]


def test_a_notebooks_kernel_forked_from_the_template_holds_only_its_own_pipes(box, server):
    running = box.start(["notebook"])
    assert running.worker is not None
    request = {"notebook": "{}", "cells": [[i + 1, src] for i, src in enumerate(NOTEBOOK_CELLS)],
               "names": ["fds", "ns", "status", "imported"], "cell_timeout": 30, "budget": 60}
    out, _, rc, problem = running.exchange(json.dumps(request).encode(), time.monotonic() + 60, 1 << 20, 1 << 16)
    assert rc == 0 and problem == ""
    answers = json.loads(out.splitlines()[-1])["answers"]
    fds = answers["fds"]["json"]
    # the kernel process: /dev/null for stdin, stdout and stderr; a pipe each way to its runner
    assert sorted(fds, key=int) == ["0", "1", "2", "3", "4"], fds
    assert fds["0"] == fds["1"] == fds["2"] == "/dev/null" and fds["3"].startswith("pipe:") and fds["4"].startswith("pipe:")
    template = _own_ns(server.pid)
    assert all(answers["ns"]["json"][n] != template[n] for n in template)
    status = answers["status"]["json"]
    assert status["NoNewPrivs"] == "1" and all(int(status[c], 16) == 0 for c in ("CapPrm", "CapEff", "CapBnd"))
    assert answers["imported"] == {"json": 5}


def test_learner_code_cannot_change_what_the_next_worker_starts_from(box, server):
    a = Worker(box, INSPECT)
    try:
        assert a.call("tamper") is True
        assert a.call("tampered") == [True, False]
    finally:
        a.stop()
    b = Worker(box, INSPECT)
    try:
        assert b.call("tampered") == [False, True]
    finally:
        b.stop()
    assert server.alive()


@pytest.mark.parametrize("how", ["crash", "kill-group"])
def test_a_dying_worker_does_not_take_the_template_down(box, server, how):
    w = Worker(box, INSPECT)
    with pytest.raises(ChannelError):
        w.call(how)
    status = w.running.worker.wait(time.monotonic() + 10)
    w.stop()
    if how == "crash":
        assert status == 128 + signal.SIGSEGV
    assert server.alive()
    again = Worker(box, INSPECT)
    try:
        assert again.call("exists", "/tmp") is True
    finally:
        again.stop()


MEMORY = """
import os, signal, time

def probe(children, mib):
    pids = []
    for _ in range(children):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            data = b"x" * (mib << 20)  # every page written, so every page counts
            os.write(w, b"1")
            time.sleep(60)
            os._exit(0)
        os.close(w)
        os.read(r, 1)  # it holds its memory now, or it was killed
        pids.append(pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    # the children still holding their memory at the end die of our SIGTERM; the others were killed before
    return sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == -signal.SIGTERM for pid in pids)
"""


def test_a_sandboxs_processes_together_are_held_to_the_memory_limit(isolation, server):
    if not isolation.memory_cgroup_parent:
        message = "no writable memory cgroup here (not root, or no memory controller): only RLIMIT_DATA per process"
        if IN_CI and os.geteuid() == 0:
            pytest.fail(message)
        pytest.skip(message)
    box = Sandbox(Limits(memory_mb=256, cpu_seconds=30, tasks=48, scratch_mb=16), isolation, spawner=server)
    w = Worker(box, MEMORY)
    try:
        held = w.call(3, 150)  # 150 MiB each is under RLIMIT_DATA (256 MiB), two together are not
    finally:
        w.stop()
    assert held == 1


def test_the_grader_forks_from_the_template_and_grades_as_a_fresh_start_does(isolation, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    sol = nbformat.read(ROOT / "solutions" / f"{NB01}.ipynb", as_version=4)
    nbformat.write(sol, subs / f"ada__{NB01}.ipynb")
    part = nbformat.read(ROOT / "exercises" / f"{NB01}.ipynb", as_version=4)
    for cell in part.cells:
        cell.source = cell.source.replace("min_value_partition = ...  # YOUR ANSWER HERE", "min_value_partition = 48")
    part.cells.insert(2, nbformat.v4.new_code_cell("raise ValueError('a failing cell')"))
    nbformat.write(part, subs / f"bob__{NB01}.ipynb")
    tables = {}
    for fork_server in (True, False):
        out = tmp_path / f"out-{fork_server}"
        grade(subs, out, cell_timeout=20, timeout=60, limits=LIMITS, fork_server=fork_server, log=lambda m: None)
        with open(out / "grades.csv", newline="", encoding="utf-8") as f:
            tables[fork_server] = list(csv.DictReader(f))
        summary = (out / "summary.md").read_text()
        assert ("forked from a pre-imported template" in summary) == fork_server
    assert tables[True] == tables[False]
    bob = {r["exercise_id"]: r for r in tables[True] if r["learner"] == "bob"}
    assert bob["01.2"]["status"] == "wrong" and bob["01.1"]["status"] == "unanswered"


def test_a_progress_line_is_shown_when_asked(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"ann__{NB01}.ipynb").write_bytes(b"")  # invalid: graded without running anything
    (subs / f"ben__{NB01}.ipynb").write_bytes(b"")
    grade(subs, tmp_path / "out", sandbox=False, progress=True, log=lambda m: None)
    err = capsys.readouterr().err
    assert "graded 2/2 notebooks" in err and err.endswith("\n")
    grade(subs, tmp_path / "out2", sandbox=False, progress=False, log=lambda m: None)
    assert "graded" not in capsys.readouterr().err


# ---------------------------------------------------------------------------- the kernel (no sandbox)

def _run(tmp_path: Path, cells: list[str], names: list[str], cell_timeout: float = 20) -> dict:
    request = {"notebook": "{}", "cells": [[i + 1, src] for i, src in enumerate(cells)], "names": names,
               "cell_timeout": cell_timeout, "budget": 120}
    limits = json.dumps({"memory_mb": 1024, "cpu_seconds": 120, "tasks": 64, "scratch_mb": 64, "nproc": False})
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kafkalab.exercises.runner", "notebook", limits],
                          input=json.dumps(request).encode(), capture_output=True, env=env, cwd=tmp_path, timeout=300)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_kernel_runs_cells_as_a_jupyter_kernel_does(tmp_path):
    result = _run(tmp_path, [
        "a = 1",
        "b = 1 / 0",
        "def broken(:\n    pass",
        "%time c = 2\n!true",
        "import asyncio\nawait asyncio.sleep(0)\nd = get_ipython() is not None and __name__ == '__main__'",
        "e = input('name? ')",
        "class Bad:\n    def __repr__(self):\n        raise RuntimeError('no repr')\nBad()",
        "f = [float('nan'), float('inf'), (1, 2), {1: 'x'}, {3}]",
        "import sys\nsys.exit(3)",
        "exit()",
        "g = ...",
    ], ["a", "b", "c", "d", "e", "f", "g"])
    answers = result["answers"]
    assert answers["a"] == {"json": 1} and answers["b"] == {"missing": True}
    assert answers["c"] == {"json": 2} and answers["d"] == {"json": True}
    assert answers["f"] == {"json": ["nan", "inf", [1, 2], {"1": "x"}, [3]]}
    assert answers["g"] == {"unanswered": True}
    assert result["problems"] == []
    errors = result["cell_errors"]
    assert re.fullmatch(r"cell 3: SyntaxError: invalid syntax \(\d+\.py, line 1\)", errors[1])  # ipykernel's cell name
    assert errors[:1] + errors[2:] == [
        "cell 2: ZeroDivisionError: division by zero",
        "cell 6: StdinNotImplementedError: raw_input was called, but this frontend does not support input requests.",
        "cell 7: NoneType: None",  # an error while showing a cell's result fails the cell, as in ipykernel
        "cell 9: SystemExit: 3",
    ]


def test_the_kernel_interrupts_a_cell_at_its_time_limit_and_goes_on(tmp_path):
    result = _run(tmp_path, ["a = 1", "while True:\n    pass", "b = 2"], ["a", "b"], cell_timeout=2)
    assert result["answers"] == {"a": {"json": 1}, "b": {"json": 2}}
    assert result["cell_errors"] == ["cell 2 was stopped after 2 s (time limit)", "cell 2: KeyboardInterrupt: "]
    assert result["problems"] == []


def test_a_cell_that_ignores_the_interrupt_ends_the_notebook(tmp_path):
    result = _run(tmp_path, ["a = 1", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                             "b = 2"], ["a", "b"], cell_timeout=1)
    assert result["answers"] == {}
    assert result["problems"] == ["cell 2 ran past its time limit (1 s) and could not be interrupted"]


def test_ignoring_the_interrupt_in_one_cell_does_not_outlive_that_cell(tmp_path):
    result = _run(tmp_path, ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", "while True:\n    pass",
                             "b = 2"], ["b"], cell_timeout=1)
    assert result["answers"] == {"b": {"json": 2}}
    assert result["cell_errors"][0] == "cell 2 was stopped after 1 s (time limit)"


@pytest.mark.parametrize("ending", ["import os\nos._exit(0)", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"])
def test_a_kernel_that_dies_is_reported(tmp_path, ending):
    result = _run(tmp_path, ["a = 1", ending, "b = 2"], ["a", "b"])
    assert result["answers"] == {}
    assert result["problems"] == ["the kernel died in cell 2 (memory or CPU limit, or the code ended it)"]
