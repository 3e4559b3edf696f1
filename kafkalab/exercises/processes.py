"""The grader's child processes: talking to one and stopping all of it, sandboxed or not.

How it works
------------
Every process the grader starts - a learner process in a sandbox (:class:`.sandbox.Sandbox`), a
learner process without one (``--no-sandbox``, :func:`start_plain`), a judge (:mod:`.judge`,
:func:`start_judge`) - is a :class:`Running`: its stdin, stdout and stderr, and what is needed to
stop everything it started.  :meth:`Running.exchange` writes one request and reads the answer
until both output pipes close, the deadline passes or the output grows over its cap, and never
waits past the deadline; :meth:`Running.stop` then kills the whole process tree:

* **a sandbox**: bubblewrap is killed (``--die-with-parent`` takes the sandbox's first process
  with it, and with that the kernel kills every process of the sandbox's PID namespace, forked-in
  ones too); the grader waits until that first process is gone, then empties and removes the
  sandbox's cgroups;
* **a process forked by the fork server** (:mod:`.forkserver`): the template's child that forked
  it is killed by its pidfd, and what it forked dies with it;
* **no sandbox**: the process group while its leader is not reaped, and every process whose
  environment carries the token :func:`start_plain` and :func:`start_judge` put there
  (``KAFKALAB_GRADE_TOKENS``, appended to the parent's), so what a process started after a double
  fork or ``setsid`` is found too.

Only processes known to be the grader's are signalled.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from .forkserver import ForkServer, Worker

TOKENS = "KAFKALAB_GRADE_TOKENS"


def _token_chain(token: str) -> str:
    return ":".join(t for t in (os.environ.get(TOKENS, ""), token) if t)


def start_plain(cmd: list[str], cwd: Path, env_extra: dict, token: str = "", *, remove: Optional[Path] = None) -> "Running":
    """Start a process without a sandbox (the judge; learner code under ``--no-sandbox``).

    It runs in a new session, and its environment carries a token (appended to its parent's), so
    :meth:`Running.stop` can find and kill what it started even after a double fork or setsid."""
    token = token or secrets.token_hex(8)
    env = {**os.environ, **env_extra, "PYTHONDONTWRITEBYTECODE": "1", TOKENS: _token_chain(token)}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    return Running(proc, sandboxed=False, token=token, work=remove)


def start_judge(spawner: ForkServer) -> "Running":
    """Fork a judge (:mod:`.judge`) from the fork server's template: no sandbox (it never runs
    learner code), a token like :func:`start_plain`'s, and its own connection to the template."""
    token = secrets.token_hex(8)
    pipes = {name: os.pipe() for name in ("stdin", "stdout", "stderr", "status")}
    theirs = {"stdin": pipes["stdin"][0], "stdout": pipes["stdout"][1], "stderr": pipes["stderr"][1],
              "status": pipes["status"][1]}
    ours = [pipes["stdin"][1], pipes["stdout"][0], pipes["stderr"][0], pipes["status"][0]]
    try:
        worker = spawner.spawn("judge", theirs, token=_token_chain(token), token_var=TOKENS)
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in theirs.values():
            os.close(fd)
    worker.status_fd = ours[3]
    running = Running(None, sandboxed=False, token=token)
    running.attach(worker, os.fdopen(ours[0], "wb", buffering=0), os.fdopen(ours[1], "rb", buffering=0),
                   os.fdopen(ours[2], "rb", buffering=0))
    return running


def remove_cgroup(path: Optional[Path]) -> None:
    """Remove an emptied cgroup's folder, retrying for a second while the kernel calls it busy."""
    if path is None:
        return
    for _ in range(50):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                return
            time.sleep(0.02)


@dataclass
class Running:
    """One started learner process tree (or a judge)."""

    #: bubblewrap for a sandbox, else the process itself; None for a judge forked by the fork server
    proc: Optional[subprocess.Popen]
    sandboxed: bool
    info_fd: Optional[int] = None
    cgroups: tuple[Path, ...] = ()
    token: str = ""
    work: Optional[Path] = None
    inner_pid: Optional[int] = field(default=None)
    stopped: bool = False
    #: the process forked by the fork server (its pidfd and exit status), when it was
    worker: Optional[Worker] = None
    #: the pipe the sandbox's waiting first process reads (closing it ends the sandbox)
    hold: Optional[int] = None
    stdin: Optional[IO[bytes]] = None
    stdout: Optional[IO[bytes]] = None
    stderr: Optional[IO[bytes]] = None

    def __post_init__(self) -> None:
        if self.proc is not None and self.stdout is None:
            self.stdin, self.stdout, self.stderr = self.proc.stdin, self.proc.stdout, self.proc.stderr

    def attach(self, worker: Worker, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.worker, self.stdin, self.stdout, self.stderr = worker, stdin, stdout, stderr

    def _read_info(self, deadline: float) -> None:
        """bwrap's --info-fd JSON: the PID (in our namespace) of the sandbox's first process."""
        if self.info_fd is None or self.inner_pid is not None:
            return
        buf = b""
        sel = selectors.DefaultSelector()
        sel.register(self.info_fd, selectors.EVENT_READ)
        try:
            while b"}" not in buf and time.monotonic() < deadline:
                if not sel.select(max(0.0, deadline - time.monotonic())):
                    break
                chunk = os.read(self.info_fd, 4096)
                if not chunk:
                    break
                buf += chunk
        finally:
            sel.close()
        try:
            pid = json.loads(buf.decode()).get("child-pid")
            self.inner_pid = pid if isinstance(pid, int) and pid > 1 else None
        except (ValueError, AttributeError):
            pass

    def _wait(self, deadline: float) -> tuple[Optional[int], bool]:
        """(exit status, whether it is known) once the streams are closed."""
        if self.worker is not None:
            status = self.worker.wait(deadline)
            return status, status is not None or time.monotonic() < deadline
        try:
            return self.proc.wait(timeout=max(0.1, deadline - time.monotonic())), True
        except subprocess.TimeoutExpired:
            return None, False

    def exchange(self, data: bytes, deadline: float, out_cap: int, err_cap: int) -> tuple[bytes, bytes, Optional[int], str]:
        """Write ``data`` to stdin, read stdout and stderr until both close or ``deadline``.

        Returns (stdout, stderr, exit status or None, problem): problem is "" or says why the
        process was stopped (time limit, output over ``out_cap`` bytes).  Never waits past the
        deadline, even when a process in the tree keeps a pipe open."""
        sel = selectors.DefaultSelector()
        out, err = bytearray(), bytearray()
        pending = memoryview(data)
        if self.stdin is not None:
            if data:
                os.set_blocking(self.stdin.fileno(), False)
                sel.register(self.stdin.fileno(), selectors.EVENT_WRITE, "in")
            else:
                self.stdin.close()
        sel.register(self.stdout.fileno(), selectors.EVENT_READ, "out")
        sel.register(self.stderr.fileno(), selectors.EVENT_READ, "err")
        problem = ""
        try:
            while len(sel.get_map()) > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    problem = "time limit"
                    break
                for key, _ in sel.select(left):
                    if key.data == "in":
                        try:
                            n = os.write(key.fd, pending[:65536])
                        except (BrokenPipeError, OSError):
                            n, pending = 0, pending[:0]
                        pending = pending[n:]
                        if not pending:
                            sel.unregister(key.fd)
                            self.stdin.close()
                        continue
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        sel.unregister(key.fd)
                        continue
                    buf, cap = (out, out_cap) if key.data == "out" else (err, err_cap)
                    if len(buf) < cap:
                        buf += chunk[: cap - len(buf)]
                    elif key.data == "out":
                        problem = f"more than {out_cap // (1024 * 1024) or 1} MB of output"
                        break
                if problem:
                    break
        finally:
            sel.close()
        if problem:
            self.stop()
            return bytes(out), bytes(err), None, problem
        rc, known = self._wait(deadline)
        self.stop()
        if not known:
            return bytes(out), bytes(err), None, "time limit"
        return bytes(out), bytes(err), rc, ""

    def stop(self) -> None:
        """Kill the whole process tree and wait (at most a few seconds) until it is gone.

        Only processes known to be ours are signalled: bwrap while it is not yet reaped (its
        death takes the sandbox with it: ``--die-with-parent`` kills the sandbox's first process,
        and with it the kernel kills every process of its PID namespace, forked-in ones too);
        the fork server's child that forked a process, by its pidfd (what it forked dies with
        it); without a sandbox, the process group while its leader is not reaped, and processes
        carrying our token."""
        if self.stopped:
            return
        self.stopped = True
        proc = self.proc
        if self.worker is not None and not self.sandboxed and self.worker.status is None:
            self.worker.kill()  # a judge: it dies with the template's child that waits for it
        running = proc is not None and proc.poll() is None
        inner = None
        if self.sandboxed:
            if running:  # bwrap exits only after its sandbox is empty, unless it is killed
                self._read_info(time.monotonic() + 0.5)
                inner = process_identity(self.inner_pid) if self.inner_pid else None
                proc.kill()
        else:
            if running:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            for pid in _pids_with_token(self.token):
                _kill(pid)
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if inner is not None:  # the PID namespace is empty once its first process is gone
            end = time.monotonic() + 5
            while time.monotonic() < end and process_identity(inner[0]) == inner:
                time.sleep(0.01)
        if self.worker is not None and self.sandboxed and self.worker.status is None:
            # only now: the template's child (outside the sandbox) reaps the forked process as the
            # sandbox is torn down; killed earlier, it would leave that to the system's init
            self.worker.kill()
        for cgroup in self.cgroups:
            try:
                (cgroup / "cgroup.kill").write_text("1")  # cgroup v2 only; v1 relies on the PID namespace
            except OSError:
                pass
            remove_cgroup(cgroup)
        for f in (self.stdin, self.stdout, self.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        for fd in (self.info_fd, self.hold):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.info_fd = self.hold = None
        if self.worker is not None:
            self.worker.close()
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)


def process_identity(pid: int) -> Optional[tuple[int, str]]:
    """(pid, start time) of a live, non-zombie process, else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else (pid, fields[19])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _pids_with_token(token: str) -> list[int]:
    """Processes (started without a sandbox) whose environment carries this token."""
    prefix = f"{TOKENS}=".encode()
    found = []
    for d in Path("/proc").iterdir() if os.path.isdir("/proc") else ():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(prefix) and token.encode() in item[len(prefix):].split(b":"):
                found.append(int(d.name))
    return found
