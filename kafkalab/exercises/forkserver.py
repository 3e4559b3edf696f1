"""The grader's fork server: learner processes start from a pre-imported template, in fresh sandboxes.

Starting Python, importing kafkalab and IPython and starting a Jupyter kernel cost about a second
per notebook; the sandbox itself (bubblewrap) costs 10-40 ms.  So the grader starts one
**template** process per run (``python -P -m kafkalab.exercises.forkserver FD``), which imports
kafkalab, the exercise checks, the runner and IPython once and then only serves requests from the
grader (and from the judges the grader started through it) over a socket: "fork a worker with
these pipes".  The template never reads a submission and never runs learner code.

**A learner process** (a notebook's runner and its in-process kernel, or a code answer's server)
is made like this, for every notebook and every code answer anew:

1. the grader starts a fresh bubblewrap sandbox exactly as before (:meth:`.Sandbox.bwrap_args`:
   new user, mount, PID, network, IPC, UTS and cgroup namespaces, read-only files, a private
   ``/tmp``), whose only process is a shell waiting on a pipe; once that shell has run (so
   bubblewrap has finished setting the sandbox up), the grader opens the sandbox's namespaces
   (``/proc/PID/ns/*``) and sends them, with the worker's stdin/stdout/stderr pipes, to the
   template;
2. the template forks a child, which closes every other file descriptor, moves itself into the
   sandbox's cgroups (tasks, memory), joins the sandbox's namespaces (:func:`join_sandbox`:
   ``setns(2)``: the user namespaces, then mount, network, IPC, UTS, PID and cgroup), so that its
   root, its files and its network are the sandbox's, drops every capability (bounding, ambient,
   effective, permitted and inheritable sets; ``no_new_privs``) and starts a new session;
3. that child forks the worker, which is then a member of the sandbox's PID namespace: the
   sandbox's teardown (the grader kills bubblewrap) kills it and everything it started, exactly as
   for a process bubblewrap had started itself; the child waits for the worker and reports its
   exit status on a pipe of its own (it never runs learner code either).

The worker sets its resource limits (:func:`.runner.apply_limits`) before it runs anything of the
learner's.  It inherits the template's memory copy-on-write (imported modules, nothing else: the
template is started with the sandbox's environment, not the grader's), so no learner can change
what the next worker starts from, and no descriptor of the template's socket survives into a
worker.

**A judge** (:mod:`.judge`) is forked the same way but joins no sandbox (it never runs learner
code); it gets its own connection to the template, through which it starts the code answers'
workers.

Linux only (``setns``, ``prctl``, ``capset``); where joining a sandbox fails, the grader starts every
learner process fresh inside bubblewrap instead (slower, same isolation).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Optional

#: the namespaces a worker joins besides the user namespaces, in this order
NAMESPACES = ("mnt", "net", "ipc", "uts", "pid", "cgroup")
#: a namespace the sandbox may share with the grader (bubblewrap's --unshare-cgroup-try)
OPTIONAL = ("cgroup",)
#: modules the template imports so that a worker starts without importing anything
PRELOAD = (
    "kafkalab", "kafkalab.exercises", "kafkalab.exercises.runner", "kafkalab.exercises.judge",
    "kafkalab.sim", "kafkalab.trace", "kafkalab.cluster", "kafkalab.assignors",
    "IPython.core.interactiveshell", "IPython.core.magics", "IPython.core.completer",
    "IPython.core.completerlib", "IPython.core.application", "IPython.core.crashhandler",
    "IPython.core.logger", "IPython.core.oinspect", "IPython.utils.generics", "IPython.utils.wildcard",
    "IPython.core.history", "IPython.core.compilerop", "bdb", "glob", "hashlib", "shutil", "tempfile", "unicodedata", "zipfile",
)
MAX_MESSAGE = 1 << 16
MAX_FDS = 32

NS_GET_PARENT = (0xB7 << 8) | 0x2  # ioctl on a user namespace file: its parent
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAP_LAST = 63
_CAP_VERSION_3 = 0x20080522


class ForkServerError(RuntimeError):
    """The template cannot be started or reached, or it could not fork a worker."""


# ---------------------------------------------------------------------------- joining a sandbox (Linux)

_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
        _LIBC.setns.argtypes = [ctypes.c_int, ctypes.c_int]
        _LIBC.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return _LIBC


def _check(result: int, what: str) -> None:
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc().prctl(option, arg, 0, 0, 0), f"prctl({option})")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> None:
    """No capabilities left in any set, and no way to gain any (what bubblewrap does for its child)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    for cap in range(CAP_LAST + 1):
        if _libc().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 and ctypes.get_errno() not in (errno.EINVAL,):
            _check(-1, f"dropping capability {cap} from the bounding set")
    _libc().prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL on kernels without ambient caps
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    _check(_libc().capset(ctypes.byref(header), data), "capset")
    prctl(PR_SET_DUMPABLE, 1)


def _ns_inode(fd: int) -> int:
    return os.fstat(fd).st_ino


def _own_ns(name: str) -> int:
    return os.stat(f"/proc/self/ns/{name}").st_ino


def user_namespace_chain(user_fd: int) -> list[int]:
    """File descriptors of the sandbox's user namespace and its ancestors below ours, outermost
    first (bubblewrap's --disable-userns nests a second user namespace in the first)."""
    own = _own_ns("user")
    chain = [user_fd]
    while len(chain) < 8:
        try:
            parent = fcntl.ioctl(chain[0], NS_GET_PARENT)
        except OSError:
            break
        if _ns_inode(parent) == own:
            os.close(parent)
            return chain
        chain.insert(0, parent)
    raise OSError(errno.EPERM, "the sandbox's user namespace is not a child of the grader's")


def join_sandbox(ns: dict[str, int]) -> None:
    """Join the sandbox whose namespace files are open in ``ns`` ("user", "mnt", ...); the caller
    must be single-threaded.  Afterwards its root and working folder are the sandbox's ``/`` and
    it has no capabilities; its children are members of the sandbox's PID namespace."""
    lib = _libc()
    own = {name: _own_ns(name) for name in ("user",) + NAMESPACES}  # before /proc is the sandbox's
    for name in ("user",) + NAMESPACES:
        if name not in ns and name not in OPTIONAL:
            raise OSError(errno.EINVAL, f"no {name} namespace given")
        if name in ns and name not in OPTIONAL and _ns_inode(ns[name]) == own[name]:
            raise OSError(errno.EINVAL, f"the {name} namespace is the grader's own, not a sandbox's")
    users = user_namespace_chain(ns["user"])
    _check(lib.setns(users[0], 0), "setns(user)")
    for name in NAMESPACES:
        if name in ns and not (name in OPTIONAL and _ns_inode(ns[name]) == own[name]):
            _check(lib.setns(ns[name], 0), f"setns({name})")
    for fd in users[1:]:
        _check(lib.setns(fd, 0), "setns(user, nested)")
    for fd in users[:-1]:
        os.close(fd)  # the parents opened by user_namespace_chain


# ---------------------------------------------------------------------------- the template process

def _exit_code(status: int) -> int:
    """A wait status as bubblewrap reports its command's: the exit code, or 128 + the signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255


def _place(fds: dict[str, int], order: list[str]) -> None:
    """Put the named descriptors at 0, 1, 2, ... in ``order`` and close every other one (the
    template's socket and selector, the namespace files, other requests' descriptors)."""
    base = max(64, max(fds.values()) + 1)
    lifted = [fcntl.fcntl(fds[name], fcntl.F_DUPFD, base) for name in order]  # out of the way of dup2
    for target, fd in enumerate(lifted):
        os.dup2(fd, target)  # the copy is inheritable, like a subprocess's stdio
    os.closerange(len(order), 1 << 20)


def _worker_child(header: dict, fds: dict[str, int], channel: Optional[int]) -> None:
    """In the forked child (never returns): set up, fork the worker, wait, report its status."""
    code = 70
    status_fd, stderr_fd = fds.get("status", -1), fds.get("stderr", -1)
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # if the template goes, so do we (and so our worker)
        for name in [n for n in fds if n.startswith("cgroup.procs")]:
            os.write(fds.pop(name), str(os.getpid()).encode())  # into the sandbox's cgroups first
        if header["kind"] == "sandbox":
            join_sandbox({name: fds.pop(name) for name in ("user",) + NAMESPACES if name in fds})
            os.chdir(header.get("cwd") or "/")
            os.environ["PWD"] = os.getcwd()  # as bubblewrap sets it for its command
            drop_privileges()
        elif header.get("token") and header.get("token_var"):
            os.environ[header["token_var"]] = header["token"]
        os.setsid()
        order = ["stdin", "stdout", "stderr", "status"]
        if channel is not None:
            fds["channel"] = channel
            order.append("channel")
        _place(fds, order)
        status_fd, stderr_fd = 3, 2
        pid = os.fork()
        if pid == 0:
            _worker(header)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # only the worker holds the grader's pipes: they close when it ends
        os.close(null)
        if channel is not None:
            os.close(4)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os.write(3, f"{_exit_code(status)}\n".encode())
        code = 0
    except BaseException:  # noqa: BLE001 - say why on the worker's stderr
        try:
            os.write(stderr_fd, f"the fork server could not start the process: {traceback.format_exc(limit=3)}"
                                .encode()[-2000:])
            os.write(status_fd, b"70\n")
        except OSError:
            pass
    finally:
        os._exit(code)


def _worker(header: dict) -> None:
    """The worker itself (never returns): a member of the sandbox's PID namespace."""
    code = 70
    try:
        os.close(3)  # the status pipe is our parent's
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if header["kind"] == "sandbox":
            os.setsid()  # a session of its own inside the sandbox, as bubblewrap's --new-session gives
            from . import runner

            code = runner.serve(header["argv"])
        else:
            from . import judge

            code = judge.main(channel_fd=4)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        try:
            os.write(2, traceback.format_exc(limit=5).encode()[-2000:])
        except OSError:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)


FD_NAMES = {"stdin", "stdout", "stderr", "status", "user", *NAMESPACES}


def _handle(msg: bytes, fds: list[int], conns: dict) -> tuple[dict, list[int]]:
    """One request: fork a worker; returns the reply and the descriptors to send with it (the
    caller closes ``fds``)."""
    try:
        header = json.loads(msg)
        names = header["fds"]
        if not (isinstance(names, list) and len(names) == len(fds)):
            raise ValueError("descriptor names do not match the descriptors sent")
        if header.get("kind") not in ("sandbox", "judge"):
            raise ValueError(f"unknown kind {header.get('kind')!r}")
        for name in names:
            if name not in FD_NAMES and not str(name).startswith("cgroup.procs"):
                raise ValueError(f"unknown descriptor {name!r}")
        named = dict(zip(names, fds))
        if not {"stdin", "stdout", "stderr", "status"} <= set(named):
            raise ValueError("stdin, stdout, stderr and status are required")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return {"error": f"bad request: {exc}"}, []
    ours = theirs = None
    try:
        if header["kind"] == "judge":
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
    except OSError as exc:
        for sock in (ours, theirs):
            if sock is not None:
                sock.close()
        return {"error": f"cannot fork: {exc}"}, []
    if pid == 0:
        _worker_child(header, named, theirs.fileno() if theirs is not None else None)
    if theirs is not None:
        theirs.close()
        conns[ours.fileno()] = ours
    try:
        pidfd = os.pidfd_open(pid)  # the grader's only handle on it (no PID that could be reused)
    except OSError as exc:  # Linux before 5.3: the grader starts its processes fresh instead
        os.kill(pid, signal.SIGKILL)
        return {"error": f"no pidfd for the process: {exc}"}, []
    return {"pid": pid}, [pidfd]


def serve(control_fd: int) -> int:
    """The template's main loop: serve the grader's connection and every judge's, until the
    grader's closes."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    gc.collect()
    gc.freeze()  # forked workers then share the imported objects' pages instead of copying them
    main = socket.socket(fileno=control_fd)
    conns: dict[int, socket.socket] = {main.fileno(): main}
    sel = selectors.DefaultSelector()
    sel.register(main, selectors.EVENT_READ)
    main.send(json.dumps({"ready": os.getpid()}).encode())
    while True:
        for sock in list(conns.values()):
            if sock.fileno() not in sel.get_map():
                sel.register(sock, selectors.EVENT_READ)
        for key, _ in sel.select(1.0):
            sock = key.fileobj
            try:
                msg, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
            except OSError:
                msg, fds = b"", []
            if not msg:
                for fd in fds:
                    os.close(fd)
                if sock is main:
                    return 0
                sel.unregister(sock)
                conns.pop(sock.fileno(), None)
                sock.close()
                continue
            try:
                reply, out = _handle(msg, fds, conns)
            finally:
                for fd in fds:
                    os.close(fd)
            try:
                socket.send_fds(sock, [json.dumps(reply).encode()], out)
            except OSError:
                pass
            for fd in out:
                os.close(fd)
        while True:  # reap the children that have ended
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


# ---------------------------------------------------------------------------- the grader's side

@dataclass
class Worker:
    """A process the template forked for us: its pidfd, and the pipe its exit status comes on."""

    pid: int
    pidfd: Optional[int]
    status_fd: Optional[int]
    status: Optional[int] = None

    def wait(self, deadline: float) -> Optional[int]:
        """The worker's exit status (as bubblewrap would report it), or None at the deadline."""
        if self.status is not None or self.status_fd is None:
            return self.status
        buf = b""
        while time.monotonic() < deadline:
            ready = _select_read(self.status_fd, deadline - time.monotonic())
            if not ready:
                break
            chunk = os.read(self.status_fd, 64)
            if not chunk:
                break
            buf += chunk
        try:
            self.status = int(buf.strip() or b"x")
        except ValueError:
            self.status = None
        return self.status

    def kill(self) -> None:
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass

    def close(self) -> None:
        for fd in (self.pidfd, self.status_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.pidfd = self.status_fd = None


def _select_read(fd: int, timeout: float) -> bool:
    sel = selectors.DefaultSelector()
    try:
        sel.register(fd, selectors.EVENT_READ)
        return bool(sel.select(max(0.0, timeout)))
    finally:
        sel.close()


class ForkServer:
    """A connection to the template: the grader's own (:meth:`start`), or a judge's (:meth:`connect`)."""

    def __init__(self, sock: socket.socket, proc: Optional[subprocess.Popen] = None, pid: int = 0) -> None:
        self.sock, self.proc, self.pid = sock, proc, pid
        self.lock = threading.Lock()
        self.broken = ""

    @classmethod
    def start(cls, env: dict[str, str], timeout: float = 120) -> "ForkServer":
        """Start the template (with ``env`` as its whole environment) and wait until it is ready."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen([sys.executable, "-P", "-m", "kafkalab.exercises.forkserver", str(theirs.fileno())],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    pass_fds=(theirs.fileno(),), env=env, cwd="/", start_new_session=True)
        except OSError as exc:
            ours.close()
            raise ForkServerError(f"the fork server did not start: {exc}") from None
        finally:
            theirs.close()
        ours.settimeout(timeout)
        try:
            hello = json.loads(ours.recv(MAX_MESSAGE) or b"null")
        except (OSError, ValueError):
            hello = None
        if not isinstance(hello, dict) or not isinstance(hello.get("ready"), int):
            proc.kill()
            proc.wait()
            ours.close()
            raise ForkServerError("the fork server did not start (no answer)")
        return cls(ours, proc, hello["ready"])

    @classmethod
    def connect(cls, fd: int) -> "ForkServer":
        return cls(socket.socket(fileno=fd))

    def spawn(self, kind: str, fds: dict[str, int], *, argv: Optional[list[str]] = None, cwd: str = "",
              token: str = "", token_var: str = "", timeout: float = 60) -> Worker:
        """Ask the template for a worker; ``fds`` (stdin, stdout, stderr, status, and for a
        sandbox its namespaces and cgroup.procs files) are sent, not closed."""
        names = list(fds)
        header = {"kind": kind, "fds": names, "argv": argv or [], "cwd": cwd, "token": token, "token_var": token_var}
        with self.lock:
            if self.broken:
                raise ForkServerError(self.broken)
            try:
                self.sock.settimeout(timeout)
                socket.send_fds(self.sock, [json.dumps(header).encode()], [fds[n] for n in names])
                msg, got, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
            except OSError as exc:
                self.broken = f"the fork server is gone ({type(exc).__name__}: {exc})"
                raise ForkServerError(self.broken) from None
        if not msg:
            self.broken = "the fork server is gone"
            raise ForkServerError(self.broken)
        try:
            reply = json.loads(msg)
        except ValueError:
            reply = {"error": "an unreadable reply"}
        if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int) or len(got) != 1:
            for fd in got:
                os.close(fd)
            raise ForkServerError(f"the fork server could not fork: {reply.get('error') if isinstance(reply, dict) else reply}")
        return Worker(reply["pid"], got[0], None)

    def alive(self) -> bool:
        return not self.broken and (self.proc is None or self.proc.poll() is None)

    def close(self) -> None:
        """Stop the template (the grader's connection) or drop a judge's connection."""
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m kafkalab.exercises.forkserver CONTROL_FD (started by the grader)", file=sys.stderr)
        return 2
    return serve(int(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
