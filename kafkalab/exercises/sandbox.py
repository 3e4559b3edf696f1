"""Run a learner's code in a sandbox: the grader's side (what a sandbox may see, limits, clean-up).

On Linux the grader starts every learner process (a notebook's kernel, a code answer) inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, Debian package
``bubblewrap``), which uses Linux namespaces:

* **files**: a new mount namespace whose root holds only ``/usr`` (and the ``/bin``, ``/lib*``
  links), a few files of ``/etc``, the Python installation and the ``kafkalab`` package, all
  read-only, plus a private, size-limited ``/tmp`` (tmpfs) that is the home and working folder.
  The project (``solutions/``), the submissions, the results and everything else are not there;
* **no network**: a new network namespace with only its own loopback;
* **no leftovers**: a new PID namespace: when the sandbox's first process ends or the grader
  kills it, the kernel kills every process in it, including ones that started a new session or
  ignore signals (``--die-with-parent`` does the same if the grader itself dies);
* **no privileges**: a new user namespace, every capability dropped, no nested user namespaces
  (``--disable-userns`` where bwrap has it), ``no_new_privs``, no inherited environment;
* **limits** (:class:`Limits`), set inside the sandbox before any learner code runs:
  ``RLIMIT_DATA`` (memory per process), ``RLIMIT_CPU`` (CPU seconds per process), the scratch
  size, and the number of tasks (processes and threads): ``RLIMIT_NPROC``, which Linux counts per
  user namespace, or, when the grader runs as root (where Linux ignores ``RLIMIT_NPROC``), a
  child ``pids`` cgroup of the grader's own cgroup.

Starting an empty sandbox costs about 10-20 ms (bwrap, measured on the course's 2-core machine);
what costs is starting Python, kafkalab and a kernel inside it.  The boundary is a process that
takes one request on stdin and answers with data on stdout (:mod:`.runner`), so a faster start
(a pre-imported template process that forks one worker per notebook into fresh namespaces) can
replace how the runner is started without changing what crosses the boundary.

:func:`probe` says what this machine offers; :class:`Sandbox` starts processes and always
stops them (:meth:`Running.stop`).
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
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import kafkalab

INSIDE_HOME = "/tmp"
#: files of /etc a Python process may need (dynamic linker, time zone, names); the rest is hidden
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "host.conf", "mime.types", "alternatives", "fonts")


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process tree may use."""

    #: address space for data (heap, anonymous maps) per process, in MiB (RLIMIT_DATA)
    memory_mb: int = 1024
    #: CPU seconds per process (RLIMIT_CPU); wall-clock limits are separate (the grader's timeouts)
    cpu_seconds: int = 300
    #: processes and threads together in one sandbox (RLIMIT_NPROC or a pids cgroup)
    tasks: int = 128
    #: size of the private /tmp (tmpfs), in MiB; also the largest file a process may write
    scratch_mb: int = 256

    def describe(self) -> str:
        return (f"{self.memory_mb} MiB of memory and {self.cpu_seconds} s of CPU per process, "
                f"{self.tasks} processes/threads, {self.scratch_mb} MiB of scratch space")


@dataclass(frozen=True)
class Probe:
    """What this machine offers for isolating learner code."""

    available: bool
    #: why not, when not available (one line, says what to install or enable)
    problem: str = ""
    bwrap: str = ""
    version: str = ""
    disable_userns: bool = False
    #: how the number of tasks is limited: "pids cgroup", "RLIMIT_NPROC" or "" (not limited)
    tasks_by: str = ""
    #: the folder under which a pids cgroup per sandbox is created (root only)
    cgroup_parent: str = ""

    def describe(self) -> str:
        if not self.available:
            return f"no sandbox ({self.problem})"
        tasks = f"tasks limited by {self.tasks_by}" if self.tasks_by else "task count NOT limited"
        return f"bubblewrap {self.version} (no network, private files, PID namespace; {tasks})"


# ---------------------------------------------------------------------------- what this machine offers

_PROBE: Optional[Probe] = None


def probe(refresh: bool = False) -> Probe:
    """Find bubblewrap and check that it can start a sandbox here (cached)."""
    global _PROBE
    if _PROBE is None or refresh:
        _PROBE = _probe()
    return _PROBE


def _probe() -> Probe:
    if not sys.platform.startswith("linux"):
        return Probe(False, "sandboxing needs Linux (bubblewrap)")
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return Probe(False, "bubblewrap is not installed: sudo apt-get install bubblewrap")
    try:
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10).stdout
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(False, f"bwrap does not run: {exc}")
    if os.geteuid() == 0:  # Linux does not apply RLIMIT_NPROC to root: a pids cgroup instead, where possible
        parent = _pids_cgroup_parent()
        tasks_by = "pids cgroup" if parent else ""
    else:
        parent, tasks_by = "", "RLIMIT_NPROC"
    base = Probe(True, bwrap=bwrap, version=version[-1] if version else "?",
                 disable_userns="--disable-userns" in help_text, tasks_by=tasks_by, cgroup_parent=parent)
    trial = Sandbox(Limits(), base, hidden=())
    try:
        proc = trial.start(["--probe"], stdin=subprocess.DEVNULL)
        out, err, _, problem = proc.exchange(b"", time.monotonic() + 30, 1 << 12, 1 << 12)
        proc.stop()
    except OSError as exc:
        return Probe(False, f"bwrap cannot start: {exc}")
    if out.strip() != b"ok":
        detail = " ".join((err.decode(errors="replace") or problem or "no output").split())[:200]
        return Probe(False, f"bwrap cannot create a sandbox here (user namespaces disabled?): {detail}")
    return base


def _pids_cgroup_parent() -> str:
    """A writable folder of the pids controller under the grader's own cgroup (v1 or v2), or ''."""
    try:
        own = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return ""
    candidates = []
    for line in own:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        for m in mounts:
            fields = m.split()
            if " - " not in m:
                continue
            post = m.split(" - ", 1)[1]
            fstype, _, opts = (post.split() + ["", "", ""])[:3]
            root, mount_point = fields[3], fields[4]
            if controllers == "" and fstype == "cgroup2":
                candidates.append((mount_point, root, rel, "v2"))
            elif fstype == "cgroup" and "pids" in controllers.split(",") and "pids" in opts.split(","):
                candidates.append((mount_point, root, rel, "v1"))
    for mount_point, root, rel, kind in candidates:
        if not rel.startswith(root):
            continue
        folder = Path(mount_point) / rel[len(root):].lstrip("/")
        if kind == "v2":
            try:
                if "pids" not in (folder / "cgroup.subtree_control").read_text().split():
                    continue
            except OSError:
                continue
        test = folder / f"kafkalab-probe-{os.getpid()}"
        try:
            test.mkdir()
        except OSError:
            continue
        ok = (test / "pids.max").exists()
        try:
            test.rmdir()
        except OSError:
            pass
        if ok:
            return str(folder)
    return ""


# ---------------------------------------------------------------------------- starting and stopping

def _realpath(p: str) -> Path:
    return Path(os.path.realpath(p))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def package_dir() -> Path:
    return _realpath(os.path.dirname(kafkalab.__file__))


def readonly_paths() -> list[Path]:
    """What a sandbox sees of the host besides /usr: Python and the kafkalab package (read-only)."""
    wanted = [sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix, os.path.dirname(sys.executable)]
    for entry in sys.path:  # site-packages outside the prefixes (a user site, a conda env)
        if entry and ("site-packages" in entry or "dist-packages" in entry) and os.path.isdir(entry):
            wanted.append(entry)
    out: list[Path] = []
    for p in sorted({_realpath(w) for w in wanted if w} | {package_dir()}, key=lambda p: len(p.parts)):
        if p == Path("/") or _within(p, Path("/usr")) or any(_within(p, q) for q in out):
            continue
        out.append(p)
    return out


class Sandbox:
    """Starts learner processes (``python -m kafkalab.exercises.runner ARGS``) in a sandbox, or,
    when ``isolation.available`` is false (``--no-sandbox``), as plain child processes."""

    def __init__(self, limits: Limits, isolation: Probe, *, hidden: tuple[Path, ...] = (),
                 fallback_dir: Optional[Path] = None) -> None:
        self.limits, self.isolation = limits, isolation
        self.fallback_dir = fallback_dir
        self.ro = readonly_paths() if isolation.available else []
        for h in hidden:
            h = _realpath(str(h))
            for p in self.ro:
                if _within(h, p) or _within(p, h):
                    raise ValueError(f"the sandbox would show {h} (it overlaps {p}, which learner code reads); "
                                     "move it out of the Python installation and the kafkalab package")
        self._counter = 0

    @property
    def on(self) -> bool:
        return self.isolation.available

    def _limits_arg(self) -> str:
        d = asdict(self.limits)
        d["nproc"] = self.on and self.isolation.tasks_by == "RLIMIT_NPROC"
        return json.dumps(d)

    def bwrap_args(self) -> list[str]:
        iso = self.isolation
        args = [iso.bwrap, "--unshare-all", "--unshare-user", "--cap-drop", "ALL", "--die-with-parent",
                "--new-session", "--hostname", "kafkalab-sandbox"]
        if iso.disable_userns:
            args.append("--disable-userns")
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--size", str(self.limits.scratch_mb * 1024 * 1024), "--tmpfs", INSIDE_HOME]
        for p in self.ro:
            args += ["--ro-bind", str(p), str(p)]
        args += ["--chdir", INSIDE_HOME]
        return args

    def start(self, runner_args: list[str], *, stdin=subprocess.PIPE) -> "Running":
        """Start ``python -m kafkalab.exercises.runner RUNNER_ARGS LIMITS`` (stdout and stderr are pipes)."""
        self._counter += 1
        inner = [sys.executable, "-m", "kafkalab.exercises.runner", *runner_args, self._limits_arg()]
        token = secrets.token_hex(8)
        cgroup = None
        if self.on:
            env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
                   "HOME": INSIDE_HOME, "TMPDIR": INSIDE_HOME, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                   "PYTHONPATH": str(package_dir().parent), "PYTHONDONTWRITEBYTECODE": "1",
                   "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1", "KAFKALAB_SANDBOX": "bubblewrap"}
            info_r, info_w = os.pipe()
            cmd = self.bwrap_args() + ["--info-fd", str(info_w), "--", *inner]
            if self.isolation.cgroup_parent:
                cgroup = Path(self.isolation.cgroup_parent) / f"kafkalab-grade-{os.getpid()}-{self._counter}-{token[:6]}"
                try:
                    cgroup.mkdir()
                    (cgroup / "pids.max").write_text(str(self.limits.tasks))
                    cmd = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup / "cgroup.procs"), *cmd]
                except OSError:
                    _rmdir(cgroup)
                    cgroup = None
            try:
                proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, cwd="/", pass_fds=(info_w,), start_new_session=True)
            except OSError:
                os.close(info_r)
                _rmdir(cgroup)
                raise
            finally:
                os.close(info_w)
            return Running(proc, sandboxed=True, info_fd=info_r, cgroup=cgroup, token=token)
        work = self.fallback_dir / f"{self._counter:04d}-{token[:6]}" if self.fallback_dir else Path.cwd()
        work.mkdir(parents=True, exist_ok=True)
        return start_plain(inner, work, {"HOME": str(work), "TMPDIR": str(work), "MPLBACKEND": "Agg",
                                         "KAFKALAB_SANDBOX": "none"}, token, remove=work if self.fallback_dir else None)


TOKENS = "KAFKALAB_GRADE_TOKENS"


def start_plain(cmd: list[str], cwd: Path, env_extra: dict, token: str = "", *, remove: Optional[Path] = None) -> "Running":
    """Start a process without a sandbox (the judge; learner code under ``--no-sandbox``).

    It runs in a new session, and its environment carries a token (appended to its parent's), so
    :meth:`Running.stop` can find and kill what it started even after a double fork or setsid."""
    token = token or secrets.token_hex(8)
    chain = ":".join(t for t in (os.environ.get(TOKENS, ""), token) if t)
    env = {**os.environ, **env_extra, "PYTHONDONTWRITEBYTECODE": "1", TOKENS: chain}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    return Running(proc, sandboxed=False, token=token, work=remove)


def _rmdir(path: Optional[Path]) -> None:
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
    """One started learner process tree."""

    proc: subprocess.Popen
    sandboxed: bool
    info_fd: Optional[int] = None
    cgroup: Optional[Path] = None
    token: str = ""
    work: Optional[Path] = None
    inner_pid: Optional[int] = field(default=None)
    stopped: bool = False

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

    def exchange(self, data: bytes, deadline: float, out_cap: int, err_cap: int) -> tuple[bytes, bytes, Optional[int], str]:
        """Write ``data`` to stdin, read stdout and stderr until both close or ``deadline``.

        Returns (stdout, stderr, exit status or None, problem): problem is "" or says why the
        process was stopped (time limit, output over ``out_cap`` bytes).  Never waits past the
        deadline, even when a process in the tree keeps a pipe open."""
        proc = self.proc
        sel = selectors.DefaultSelector()
        out, err = bytearray(), bytearray()
        pending = memoryview(data)
        if proc.stdin is not None:
            if data:
                os.set_blocking(proc.stdin.fileno(), False)
                sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, "in")
            else:
                proc.stdin.close()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "out")
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "err")
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
                            proc.stdin.close()
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
        try:
            rc = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            return bytes(out), bytes(err), None, "time limit"
        self.stop()
        return bytes(out), bytes(err), rc, ""

    def stop(self) -> None:
        """Kill the whole process tree and wait (at most a few seconds) until it is gone.

        Only processes known to be ours are signalled: bwrap while it is not yet reaped (its
        death takes the sandbox with it: ``--die-with-parent`` kills the sandbox's first process,
        and with it the kernel kills every process of its PID namespace); without a sandbox, the
        process group while its leader is not reaped, and processes carrying our token."""
        if self.stopped:
            return
        self.stopped = True
        proc = self.proc
        running = proc.poll() is None
        inner = None
        if self.sandboxed:
            if running:  # bwrap exits only after its sandbox is empty, unless it is killed
                self._read_info(time.monotonic() + 0.5)
                inner = _identity(self.inner_pid) if self.inner_pid else None
                proc.kill()
        else:
            if running:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            for pid in _pids_with_token(self.token):
                _kill(pid)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if inner is not None:  # the PID namespace is empty once its first process is gone
            end = time.monotonic() + 5
            while time.monotonic() < end and _identity(inner[0]) == inner:
                time.sleep(0.01)
        if self.cgroup is not None:
            try:
                (self.cgroup / "cgroup.kill").write_text("1")  # cgroup v2 only; v1 relies on the PID namespace
            except OSError:
                pass
            _rmdir(self.cgroup)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        if self.info_fd is not None:
            os.close(self.info_fd)
            self.info_fd = None
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)


def _identity(pid: int) -> Optional[tuple[int, str]]:
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
