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
  child ``pids`` cgroup of the grader's own cgroup.  As root with a writable ``memory`` cgroup,
  the sandbox's processes together are also held to the memory limit (a child ``memory`` cgroup
  per sandbox: the kernel's OOM killer stops the largest process of a sandbox over it).

Starting an empty sandbox costs about 10-40 ms (bwrap, measured on the course's 2-core machine);
what costs is starting Python, kafkalab and a kernel inside it.  So, with a fork server
(:mod:`.forkserver`), the sandbox's only process is a shell waiting on a pipe, and the learner
process is forked from a pre-imported template that joins the sandbox's namespaces and cgroups
(:meth:`Sandbox.start`); without one, bubblewrap starts ``python -m kafkalab.exercises.runner``
itself.  Either way the boundary is a process that takes one request on stdin and answers with
data on stdout (:mod:`.runner`), and stopping the sandbox kills all of it.

:func:`probe` says what this machine offers; :class:`Sandbox` starts processes, each a
:class:`.processes.Running` that always stops all of it (:meth:`.processes.Running.stop`).
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import kafkalab

from .forkserver import NAMESPACES, ForkServer, ForkServerError
from .processes import Running, process_identity, remove_cgroup, start_plain

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
    #: the folder under which a memory cgroup per sandbox is created (root only), or ""
    memory_cgroup_parent: str = ""

    def describe(self) -> str:
        if not self.available:
            return f"no sandbox ({self.problem})"
        tasks = f"tasks limited by {self.tasks_by}" if self.tasks_by else "task count NOT limited"
        memory = "memory per process and per sandbox (memory cgroup)" if self.memory_cgroup_parent else \
            "memory per process"
        return f"bubblewrap {self.version} (no network, private files, PID namespace; {tasks}; {memory})"


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
    memory = ""
    if os.geteuid() == 0:  # Linux does not apply RLIMIT_NPROC to root: a pids cgroup instead, where possible
        parent = _cgroup_parent("pids", "pids.max")
        tasks_by = "pids cgroup" if parent else ""
        memory = _cgroup_parent("memory", "memory.limit_in_bytes", "memory.max")
    else:
        parent, tasks_by = "", "RLIMIT_NPROC"
    base = Probe(True, bwrap=bwrap, version=version[-1] if version else "?",
                 disable_userns="--disable-userns" in help_text, tasks_by=tasks_by, cgroup_parent=parent,
                 memory_cgroup_parent=memory)
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


def _cgroup_parent(controller: str, *limit_files: str) -> str:
    """A writable folder of ``controller`` ("pids", "memory") under the grader's own cgroup (v1
    or v2) in which a child cgroup gets one of ``limit_files``, or ''."""
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
            elif fstype == "cgroup" and controller in controllers.split(",") and controller in opts.split(","):
                candidates.append((mount_point, root, rel, "v1"))
    for mount_point, root, rel, kind in candidates:
        if not rel.startswith(root):
            continue
        folder = Path(mount_point) / rel[len(root):].lstrip("/")
        if kind == "v2":
            try:
                if controller not in (folder / "cgroup.subtree_control").read_text().split():
                    continue
            except OSError:
                continue
        test = folder / f"kafkalab-probe-{os.getpid()}"
        try:
            test.mkdir()
        except OSError:
            continue
        ok = any((test / name).exists() for name in limit_files)
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


def sandbox_env() -> dict[str, str]:
    """The whole environment of a learner process (and of the fork server's template)."""
    return {"PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
            "HOME": INSIDE_HOME, "TMPDIR": INSIDE_HOME, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYTHONPATH": str(package_dir().parent), "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1", "KAFKALAB_SANDBOX": "bubblewrap"}


#: what the sandbox's first process runs when the learner process is forked in from outside: it
#: says it is running (so bubblewrap has finished setting up the sandbox) and waits for the grader
BLOCKER = ["/bin/sh", "-c", "printf x; exec >/dev/null 2>&1; read _"]


class Sandbox:
    """Starts learner processes (``python -m kafkalab.exercises.runner ARGS``, or the same forked
    from ``spawner``'s template) in a sandbox, or, when ``isolation.available`` is false
    (``--no-sandbox``), as plain child processes."""

    def __init__(self, limits: Limits, isolation: Probe, *, hidden: tuple[Path, ...] = (),
                 fallback_dir: Optional[Path] = None, spawner: Optional[ForkServer] = None) -> None:
        self.limits, self.isolation = limits, isolation
        self.fallback_dir = fallback_dir
        self.spawner = spawner
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

    def _cgroups(self, token: str) -> list[Path]:
        """A new pids cgroup and memory cgroup for one sandbox, their limits set (root only)."""
        made = []
        iso, mib = self.isolation, 1024 * 1024
        for parent, kind in ((iso.cgroup_parent, "pids"), (iso.memory_cgroup_parent, "memory")):
            if not parent:
                continue
            cgroup = Path(parent) / f"kafkalab-grade-{os.getpid()}-{self._counter}-{token[:6]}"
            try:
                cgroup.mkdir()
                if kind == "pids":
                    (cgroup / "pids.max").write_text(str(self.limits.tasks))
                elif (cgroup / "memory.max").exists():  # cgroup v2: no swap either
                    (cgroup / "memory.max").write_text(str(self.limits.memory_mb * mib))
                    if (cgroup / "memory.swap.max").exists():
                        (cgroup / "memory.swap.max").write_text("0")
                else:  # cgroup v1: memory, then memory and swap together where swap is accounted
                    (cgroup / "memory.limit_in_bytes").write_text(str(self.limits.memory_mb * mib))
                    if (cgroup / "memory.memsw.limit_in_bytes").exists():
                        (cgroup / "memory.memsw.limit_in_bytes").write_text(str(self.limits.memory_mb * mib))
                made.append(cgroup)
            except OSError:
                remove_cgroup(cgroup)
        return made

    @staticmethod
    def _in_cgroups(cmd: list[str], cgroups: list[Path]) -> list[str]:
        """``cmd`` started by a shell that first moves itself into ``cgroups``."""
        if not cgroups:
            return cmd
        script = " && ".join(f'echo $$ > "${i}"' for i in range(len(cgroups)))
        script += " && shift" * (len(cgroups) - 1) + ' && exec "$@"'
        return ["/bin/sh", "-c", script, *(str(c / "cgroup.procs") for c in cgroups), *cmd]

    def start(self, runner_args: list[str], *, stdin=subprocess.PIPE) -> "Running":
        """Start ``runner RUNNER_ARGS LIMITS`` (stdin, stdout and stderr are pipes): forked from the
        fork server's template into a new sandbox when there is one, else started by bubblewrap."""
        self._counter += 1
        token = secrets.token_hex(8)
        if self.on and self.spawner is not None and not self.spawner.broken and stdin == subprocess.PIPE:
            try:
                return self._start_joined(runner_args, token)
            except ForkServerError:
                pass  # the template is gone: start the runner fresh, as below
        inner = [sys.executable, "-m", "kafkalab.exercises.runner", *runner_args, self._limits_arg()]
        if self.on:
            info_r, info_w = os.pipe()
            cgroups = self._cgroups(token)
            cmd = self._in_cgroups(self.bwrap_args() + ["--info-fd", str(info_w), "--", *inner], cgroups)
            try:
                proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=sandbox_env(), cwd="/", pass_fds=(info_w,), start_new_session=True)
            except OSError:
                os.close(info_r)
                for cgroup in cgroups:
                    remove_cgroup(cgroup)
                raise
            finally:
                os.close(info_w)
            return Running(proc, sandboxed=True, info_fd=info_r, cgroups=tuple(cgroups), token=token)
        work = self.fallback_dir / f"{self._counter:04d}-{token[:6]}" if self.fallback_dir else Path.cwd()
        work.mkdir(parents=True, exist_ok=True)
        return start_plain(inner, work, {"HOME": str(work), "TMPDIR": str(work), "MPLBACKEND": "Agg",
                                         "KAFKALAB_SANDBOX": "none"}, token, remove=work if self.fallback_dir else None)

    def _start_joined(self, runner_args: list[str], token: str, timeout: float = 60) -> "Running":
        """A fresh sandbox whose first process only waits, and the runner forked into it by the
        fork server (:mod:`.forkserver`)."""
        deadline = time.monotonic() + timeout
        cgroups = self._cgroups(token)
        info_r, info_w = os.pipe()
        ready_r, ready_w = os.pipe()
        hold_r, hold_w = os.pipe()
        err_r, err_w = os.pipe()
        cmd = self._in_cgroups(self.bwrap_args() + ["--info-fd", str(info_w), "--", *BLOCKER], cgroups)
        try:
            proc = subprocess.Popen(cmd, stdin=hold_r, stdout=ready_w, stderr=err_w, env=sandbox_env(), cwd="/",
                                    pass_fds=(info_w,), start_new_session=True)
        except OSError:
            for fd in (info_r, info_w, ready_r, ready_w, hold_r, hold_w, err_r, err_w):
                os.close(fd)
            for cgroup in cgroups:
                remove_cgroup(cgroup)
            raise
        for fd in (info_w, ready_w, hold_r, err_w):
            os.close(fd)
        running = Running(proc, sandboxed=True, info_fd=info_r, cgroups=tuple(cgroups), token=token, hold=hold_w)
        passed: list[int] = []  # descriptors for the worker: closed here once the template has its copies
        ours: list[int] = []  # the grader's ends of the worker's pipes: kept by ``running`` on success
        try:
            ready = _read_some(ready_r, deadline) == b"x"
            running._read_info(deadline)
            if not ready or running.inner_pid is None:
                why = " ".join(_read_some(err_r, time.monotonic() + 0.5, 2000).decode(errors="replace").split())
                raise OSError(f"the sandbox did not start: {why or 'no reason given'}")
            first = process_identity(running.inner_pid)
            ns = {}
            for name in ("user",) + NAMESPACES:
                if os.path.exists(f"/proc/{running.inner_pid}/ns/{name}"):
                    ns[name] = os.open(f"/proc/{running.inner_pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
                    passed.append(ns[name])
            if first is None or process_identity(running.inner_pid) != first:
                raise OSError("the sandbox ended before its process could start")
            theirs = {}
            for name in ("stdin", "stdout", "stderr", "status"):
                r, w = os.pipe()
                theirs[name], mine = (r, w) if name == "stdin" else (w, r)
                passed.append(theirs[name])
                ours.append(mine)
            for i, cgroup in enumerate(cgroups):
                theirs[f"cgroup.procs{i}"] = os.open(cgroup / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
                passed.append(theirs[f"cgroup.procs{i}"])
            worker = self.spawner.spawn("sandbox", {**theirs, **ns}, cwd=INSIDE_HOME,
                                        argv=[*runner_args, self._limits_arg()])
            worker.status_fd = ours[3]
            running.attach(worker, os.fdopen(ours[0], "wb", buffering=0), os.fdopen(ours[1], "rb", buffering=0),
                           os.fdopen(ours[2], "rb", buffering=0))
            ours = []
            return running
        except BaseException:
            running.stop()
            raise
        finally:
            for fd in passed + ours + [ready_r, err_r]:
                os.close(fd)


def _read_some(fd: int, deadline: float, limit: int = 1) -> bytes:
    """Up to ``limit`` bytes from ``fd``, waiting until ``deadline`` for the first."""
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    try:
        if not sel.select(max(0.0, deadline - time.monotonic())):
            return b""
        return os.read(fd, limit)
    except OSError:
        return b""
    finally:
        sel.close()
