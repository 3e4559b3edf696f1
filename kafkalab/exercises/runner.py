"""What runs *inside* a learner's sandbox (``python -m kafkalab.exercises.runner MODE LIMITS``).

Nothing here decides a score: it runs the learner's code and sends back data (the values of the
answer variables, what a learner's function returned), which the grader checks outside.

* ``notebook``: read ``{"notebook", "cells", "names", "cell_timeout", "budget"}`` from stdin,
  start a fresh kernel (:class:`Kernel`: a child process running IPython's ``InteractiveShell``,
  as a Jupyter kernel does, without ZeroMQ), run the cells (skipping the ``check`` cells the
  grader left out) with a time limit per cell and for the whole notebook, then read every answer
  variable out of the kernel as JSON (:func:`dump`) and write one result line.
* ``code``: serve a code answer: define the answer cell's source in a fresh namespace, then
  answer ``call``/``new``/``getattr`` requests from the grader's checker with data
  (:mod:`kafkalab.exercises.rpc`), one JSON line per request and reply.
* ``--probe``: print ``ok`` (the grader checks that a sandbox can start).

The first thing each mode does is set the resource limits it was given (:func:`apply_limits`).
The grader starts this module either fresh (``python -m``) or, usually, as a worker forked from
its pre-imported template (:mod:`.forkserver`), which calls :func:`serve`.
"""

from __future__ import annotations

import builtins
import getpass
import json
import math
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any, Optional

from .rpc import Channel, ChannelError, DataError, decode, encode, dumps

#: the largest answer value (as JSON) read out of a kernel
MAX_ANSWER = 1024 * 1024
#: kafkalab base classes a learner's class may extend, by name (the grader maps them back)
BASE_NAMES = ("Assignor",)


def apply_limits(limits: dict) -> None:
    """Resource limits for this process and everything it starts (set before learner code runs)."""
    mib = 1024 * 1024

    def cap(kind: int, value: int, hard: Optional[int] = None) -> None:
        soft_now, hard_now = resource.getrlimit(kind)
        hard = value if hard is None else hard
        if hard_now != resource.RLIM_INFINITY:
            hard = min(hard, hard_now)
        resource.setrlimit(kind, (min(value, hard), hard))

    cap(resource.RLIMIT_DATA, int(limits["memory_mb"]) * mib)
    cap(resource.RLIMIT_CPU, int(limits["cpu_seconds"]), int(limits["cpu_seconds"]) + 5)
    cap(resource.RLIMIT_FSIZE, int(limits["scratch_mb"]) * mib)
    cap(resource.RLIMIT_CORE, 0)
    if limits.get("nproc"):
        cap(resource.RLIMIT_NPROC, int(limits["tasks"]))


def _private_stdout() -> int:
    """A private copy of stdout for results; fd 1 becomes /dev/null so prints cannot mix in."""
    fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return fd


# ---------------------------------------------------------------------------- notebook mode

class _JSON:
    """A user expression's result shown as application/json (no repr to parse)."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def _repr_json_(self) -> Any:
        return self.data

    def __repr__(self) -> str:
        return json.dumps(self.data)


def _default(o: Any) -> Any:
    return sorted(o) if isinstance(o, (set, frozenset)) else repr(o)


def dump(namespace: dict, names: list[str]) -> _JSON:
    """Run in the kernel after the notebook: each answer variable's value as JSON data."""
    out: dict[str, dict] = {}
    for name in names:
        if name not in namespace:
            out[name] = {"missing": True}
            continue
        value = namespace[name]
        if value is Ellipsis:
            out[name] = {"unanswered": True}
            continue
        try:
            text = json.dumps(value, default=_default)
            if len(text) > MAX_ANSWER:
                out[name] = {"error": f"the value is larger than {MAX_ANSWER // 1024} KB as JSON"}
            else:
                out[name] = {"json": json.loads(text)}
        except Exception as exc:  # noqa: BLE001 - any failure is a reason on the learner's row
            out[name] = {"error": repr(exc)[:200]}
    return _JSON(out)


def _jsonable(value: Any) -> Any:
    """What a Jupyter kernel's reply carries for a JSON value: non-finite floats as their repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


#: what a Jupyter kernel's environment has besides its parent's (jupyter_client and ipykernel set them)
KERNEL_ENV = {"TERM": "xterm-color", "CLICOLOR": "1", "FORCE_COLOR": "1", "CLICOLOR_FORCE": "1", "PAGER": "cat",
              "GIT_PAGER": "cat", "PYDEVD_USE_FRAME_EVAL": "NO"}
#: how long an interrupted cell may take to stop before the kernel is given up (as in Jupyter's runner)
INTERRUPT_GRACE = 5.0


class Kernel:
    """A fresh kernel for one notebook: a child process (its own session and process group) that
    runs cells in IPython's ``InteractiveShell``, as ipykernel does, and answers over two pipes.

    What a Jupyter kernel does that matters here is kept: ``__name__ == "__main__"``,
    ``get_ipython()``, ``%magics`` and ``!shell`` lines, top-level ``await``, ``In``/``Out``;
    ``SIGINT`` raises ``KeyboardInterrupt`` while a cell runs and is ignored between cells (a cell
    that ignores it cannot be interrupted); ``input()`` raises ``StdinNotImplementedError``; an
    error while showing a cell's result fails the cell; each cell's error is reported by class
    name and message; the kernel's import path and environment variables.  Outputs go nowhere
    (they are not graded).  Only code that inspects the shell itself (its class, ``.kernel``)
    can tell that it is not ipykernel's."""

    def __init__(self) -> None:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(req_w)
            os.close(rep_r)
            _kernel_main(req_r, rep_w)
        os.close(req_r)
        os.close(rep_w)
        self.pid = pid
        self.channel = Channel(rep_r, req_w, max_line=16 * 1024 * 1024)
        self._status: Optional[int] = None
        self._next = 0

    def is_alive(self) -> bool:
        if self._status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid == self.pid:
                self._status = status
        return self._status is None

    def request(self, req: dict, deadline: float) -> Optional[int]:
        """Send a request; its id, or None when the kernel does not take it."""
        self._next += 1
        try:
            self.channel.send({**req, "id": self._next}, deadline)
        except ChannelError:
            return None
        return self._next

    def reply(self, msg_id: Optional[int], deadline: float) -> Optional[dict]:
        """The reply to ``msg_id``, or None at the deadline or when the kernel died."""
        if msg_id is None:
            return None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = self.channel.recv(time.monotonic() + min(left, 0.25))
            except ChannelError:
                if self.channel.eof:  # it will not answer: wait for it to end (a process closes its
                    while self.is_alive() and time.monotonic() < deadline:  # pipes before it ends)
                        time.sleep(0.005)
                    return None
                if not self.is_alive() or self.channel.overfull:
                    return None
                continue
            if isinstance(msg, dict) and msg.get("id") == msg_id:
                return msg

    def interrupt(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGINT)
        except OSError:
            pass

    def shutdown(self) -> None:
        for fd in (self.channel.read_fd, self.channel.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _no_input(prompt: str = "") -> str:
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")


def _no_getpass(prompt: str = "Password: ", stream: Any = None, **kwargs: Any) -> str:
    from IPython.core.error import StdinNotImplementedError

    raise StdinNotImplementedError("getpass was called, but this frontend does not support input requests.")


def _murmur2(data: bytes, seed: int) -> int:
    """MurmurHash2 (32 bits), which ipykernel uses to name a cell's code."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    h = (seed ^ len(data)) & mask
    end = len(data) & ~3
    for i in range(0, end, 4):
        k = (int.from_bytes(data[i:i + 4], "little") * m) & mask
        k = ((k ^ (k >> 24)) * m) & mask
        h = ((h * m) & mask) ^ k
    if len(data) > end:
        h = ((h ^ int.from_bytes(data[end:], "little")) * m) & mask
    h = ((h ^ (h >> 13)) * m) & mask
    return h ^ (h >> 15)


def _make_shell():
    import tempfile

    from IPython.core.compilerop import CachingCompiler
    from IPython.core.displayhook import DisplayHook
    from IPython.core.history import HistoryManager
    from IPython.core.interactiveshell import InteractiveShell

    class Compiler(CachingCompiler):
        """Names each cell's code as ipykernel does (error messages show the name)."""

        def get_code_name(self, raw_code, transformed_code, number):
            folder = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")
            return os.path.join(folder, f"{_murmur2(raw_code.encode('utf-8', 'surrogatepass'), 0xC70F6907)}.py")

    class Hook(DisplayHook):
        active = False

        def start_displayhook(self) -> None:
            self.active = True
            super().start_displayhook()

        def finish_displayhook(self) -> None:
            super().finish_displayhook()
            self.active = False

    class Shell(InteractiveShell):
        displayhook_class = Hook
        failed_in_displayhook = False

        def run_cell(self, *args, **kwargs):
            self.failed_in_displayhook = False
            self.displayhook.active = False
            return super().run_cell(*args, **kwargs)

        def _showtraceback(self, etype, evalue, stb):
            if self.displayhook.active:  # as ipykernel: an error showing the result fails the cell
                self.failed_in_displayhook = True

        def ask_exit(self) -> None:  # exit() and quit(): as in a kernel, they do not end it
            self.exit_now = True

        def init_history(self) -> None:  # no history database, and no thread writing it
            self.history_manager = HistoryManager(shell=self, parent=self, enabled=False)
            self.configurables.append(self.history_manager)

    return Shell.instance(compiler_class=Compiler)


def _kernel_main(req_fd: int, rep_fd: int) -> None:
    """The kernel process (never returns)."""
    code = 0
    try:
        os.setsid()  # its own process group, which an interrupt signals (as jupyter_client does)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.dup2(req_fd, 3)
        os.dup2(rep_fd, 4)
        os.closerange(5, 1 << 20)  # nothing of the runner's (its result pipe) stays open here
        for fd in (3, 4):
            os.set_inheritable(fd, False)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as ipykernel between requests
        # the import path a kernel has: not the folder `python -m` started in, but the working
        # folder ('') after the standard library (ipykernel's launcher, then IPython's init_path)
        if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
            del sys.path[0]
        if "" not in sys.path:
            sites = [i for i, p in enumerate(sys.path) if os.path.basename(p) in ("site-packages", "dist-packages")]
            sys.path.insert(sites[0] if sites else 0, "")
        os.environ.update(KERNEL_ENV, JPY_PARENT_PID=str(os.getppid()))
        channel = Channel(3, 4)
        shell = _make_shell()
        builtins.input = _no_input
        getpass.getpass = _no_getpass
        channel.send({"id": 0, "ready": True}, time.monotonic() + 60)
        while True:
            req = channel.recv(time.monotonic() + 1e9)
            msg_id = req.get("id") if isinstance(req, dict) else None
            if req.get("op") == "execute":
                reply = _execute(shell, req["code"])
            elif req.get("op") == "dump":
                reply = {"answers": _jsonable(dump(shell.user_ns, list(req["names"])).data)}
            else:
                reply = {"status": "error", "ename": "ProtocolError", "evalue": "unknown request"}
            channel.send({**reply, "id": msg_id}, time.monotonic() + 60)
    except ChannelError:
        code = 0
    except BaseException:  # noqa: BLE001 - the runner sees the kernel die
        code = 1
    finally:
        os._exit(code)


def _execute(shell, source: str) -> dict:
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)  # interruptible while it runs
    try:
        result = shell.run_cell(source, store_history=True, silent=False)
        err = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
        ok = result.success and not shell.failed_in_displayhook
    except KeyboardInterrupt as exc:  # the interrupt came just outside the learner's code
        err, ok = exc, False
    finally:
        signal.signal(signal.SIGINT, saved)
    if ok:
        return {"status": "ok"}
    try:
        evalue = str(err)
    except BaseException:  # noqa: BLE001 - a learner's exception whose str() fails
        evalue = f"<{type(err).__name__} object>"
    return {"status": "error", "ename": str(type(err).__name__), "evalue": evalue}


def run_notebook(req: dict) -> dict:
    start = time.monotonic()
    budget = float(req["budget"])
    deadline = start + budget - min(10.0, budget * 0.1)  # time to read the answers out at the end
    cell_timeout = float(req["cell_timeout"])
    home = Path(os.environ.get("HOME") or ".")
    copy = home / "submission.ipynb"
    copy.write_text(req["notebook"], encoding="utf-8")
    copy.chmod(0o444)
    problems: list[str] = []
    cell_errors: list[str] = []
    answers: dict = {}
    try:
        kernel = Kernel()
    except OSError as exc:
        return {"answers": {}, "problems": [f"the kernel did not start: {type(exc).__name__}: {str(exc)[:150]}"],
                "cell_errors": []}
    try:
        if kernel.reply(0, time.monotonic() + max(5.0, min(60.0, deadline - time.monotonic()))) is None:
            return {"answers": {}, "problems": ["the kernel did not start: it ended or did not answer"],
                    "cell_errors": []}
        usable = True
        for number, source in req["cells"]:
            left = deadline - time.monotonic()
            if left < 1:
                problems.append(f"the notebook's time limit was reached before cell {number}")
                break
            limit = min(cell_timeout, left)
            msg_id = kernel.request({"op": "execute", "code": source}, time.monotonic() + limit)
            reply = kernel.reply(msg_id, time.monotonic() + limit)
            if reply is None and kernel.is_alive():
                kernel.interrupt()
                reply = kernel.reply(msg_id, time.monotonic() + INTERRUPT_GRACE)
                if reply is None:
                    problems.append(f"cell {number} ran past its time limit ({limit:.0f} s) and could not be interrupted")
                    usable = False
                    break
                cell_errors.append(f"cell {number} was stopped after {limit:.0f} s (time limit)")
            if not kernel.is_alive():
                problems.append(f"the kernel died in cell {number} (memory or CPU limit, or the code ended it)")
                usable = False
                break
            content = reply or {}
            if content.get("status") == "error":
                cell_errors.append(f"cell {number}: {content.get('ename')}: {str(content.get('evalue'))[:150]}")
        if usable:
            left = max(5.0, start + budget - time.monotonic() - 2)
            msg_id = kernel.request({"op": "dump", "names": list(req["names"])}, time.monotonic() + left)
            reply = kernel.reply(msg_id, time.monotonic() + left)
            data = (reply or {}).get("answers")
            if isinstance(data, dict):
                answers = data
            else:
                problems.append("the answers could not be read out of the kernel")
    finally:
        kernel.shutdown()
    return {"answers": answers, "problems": problems, "cell_errors": cell_errors}


# ---------------------------------------------------------------------------- code mode

def describe(obj: Any) -> dict:
    """What the grader needs to stand in for a learner's function or class (names and data only)."""
    if isinstance(obj, type):
        base = next((c.__name__ for c in obj.__mro__
                     if c.__module__.startswith("kafkalab.") and c.__name__ in BASE_NAMES), None)
        methods: list[str] = []
        properties: list[str] = []
        data: dict[str, Any] = {}
        for cls in reversed(obj.__mro__):
            if cls is object or cls.__module__ == "builtins" or cls.__module__.startswith("kafkalab."):
                continue
            for key, value in vars(cls).items():
                if key.startswith("_"):
                    continue
                if isinstance(value, property):
                    properties.append(key)
                elif isinstance(value, (staticmethod, classmethod)) or callable(value):
                    methods.append(key)
                else:
                    try:
                        data[key] = encode(value)
                    except DataError:
                        pass
        return {"kind": "class", "name": obj.__name__, "base": base, "methods": methods,
                "properties": properties, "data": data}
    if callable(obj):
        return {"kind": "function", "name": getattr(obj, "__name__", "answer")}
    return {"kind": "value", "value": encode(obj)}


def _raised(exc: BaseException) -> dict:
    return {"raised": [type(exc).__name__, str(exc)[:300]]}


def serve_code(channel: Channel) -> None:
    answer: Any = None
    handles: dict[int, Any] = {}
    while True:
        try:
            req = channel.recv(time.monotonic() + 1e9)
        except ChannelError:
            return
        op = req.get("op") if isinstance(req, dict) else None
        try:
            if op == "define":
                ns: dict[str, Any] = {"__name__": "__learner__"}
                try:
                    exec(compile(req["source"], "<answer cell>", "exec"), ns)  # noqa: S102 - the sandbox runs learner code
                except NotImplementedError:
                    reply: dict = {"unanswered": True}
                except BaseException as exc:  # noqa: BLE001
                    reply = {"failed": f"{type(exc).__name__}: {str(exc)[:150]}"}
                else:
                    if req["name"] not in ns:
                        reply = {"undefined": True}
                    else:
                        answer = ns[req["name"]]
                        reply = {"ok": describe(answer)}
            elif op == "new":
                inst = answer(*decode(req["args"]), **decode(req["kwargs"]))
                handles[len(handles) + 1] = inst
                attrs = {}
                for key, value in getattr(inst, "__dict__", {}).items():
                    if not key.startswith("_"):
                        try:
                            attrs[key] = encode(value)
                        except DataError:
                            pass
                reply = {"ok": {"handle": len(handles), "data": attrs}}
            elif op in ("call", "getattr"):
                target = answer if req["target"] == 0 else handles[req["target"]]
                if op == "getattr":
                    reply = {"ok": encode(getattr(target, req["name"]))}
                else:
                    fn = getattr(target, req["method"]) if req.get("method") else target
                    reply = {"ok": encode(fn(*decode(req["args"]), **decode(req["kwargs"])))}
            else:
                reply = {"raised": ["ProtocolError", f"unknown request {op!r}"]}
        except BaseException as exc:  # noqa: BLE001 - the learner's exception is data for the checker
            reply = _raised(exc)
        try:
            channel.send(reply, time.monotonic() + 60)
        except ChannelError:
            return


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def serve(argv: list[str]) -> int:
    """Run one mode (``[MODE, LIMITS_JSON]``) on this process's stdin and stdout; the exit status."""
    mode, limits = argv
    apply_limits(json.loads(limits))
    out = _private_stdout()
    if mode == "--probe":
        _write_all(out, b"ok\n")
        return 0
    if mode == "notebook":
        data = sys.stdin.buffer.read()
        result = run_notebook(json.loads(data))
        _write_all(out, dumps(result))
        return 0
    if mode == "code":
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # the grader reads nothing else from this process
        os.close(devnull)
        serve_code(Channel(0, out))
        return 0
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m kafkalab.exercises.runner notebook|code|--probe LIMITS_JSON", file=sys.stderr)
        return 2
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
