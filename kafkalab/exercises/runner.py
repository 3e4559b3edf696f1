"""What runs *inside* a learner's sandbox (``python -m kafkalab.exercises.runner MODE LIMITS``).

Nothing here decides a score: it runs the learner's code and sends back data (the values of the
answer variables, what a learner's function returned), which the grader checks outside.

* ``notebook``: read ``{"notebook", "cells", "names", "cell_timeout", "budget"}`` from stdin,
  start a fresh Jupyter kernel, run the cells (skipping the ``check`` cells the grader left out)
  with a time limit per cell and for the whole notebook, then read every answer variable out of
  the kernel as JSON (:func:`dump`) and write one result line.
* ``code``: serve a code answer: define the answer cell's source in a fresh namespace, then
  answer ``call``/``new``/``getattr`` requests from the grader's checker with data
  (:mod:`kafkalab.exercises.rpc`), one JSON line per request and reply.
* ``--probe``: print ``ok`` (the grader checks that a sandbox can start).

The first thing each mode does is set the resource limits it was given (:func:`apply_limits`).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty
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


def _wait_reply(km, kc, msg_id: str, deadline: float) -> Optional[dict]:
    """The shell reply to ``msg_id``, or None at the deadline or when the kernel died."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            msg = kc.get_shell_msg(timeout=min(left, 0.5))
        except Empty:
            if not km.is_alive():
                return None
            continue
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


def _drain(kc) -> None:
    try:
        while True:
            kc.get_iopub_msg(timeout=0)
    except Empty:
        pass


def run_notebook(req: dict) -> dict:
    from jupyter_client import KernelManager  # heavy; only inside the notebook sandbox

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
    km = KernelManager(kernel_name="python3")
    try:
        km.start_kernel(cwd=str(home), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=max(5.0, min(60.0, deadline - time.monotonic())))
    except Exception as exc:  # noqa: BLE001
        return {"answers": {}, "problems": [f"the kernel did not start: {type(exc).__name__}: {str(exc)[:150]}"],
                "cell_errors": []}
    usable = True
    for number, source in req["cells"]:
        left = deadline - time.monotonic()
        if left < 1:
            problems.append(f"the notebook's time limit was reached before cell {number}")
            break
        limit = min(cell_timeout, left)
        msg_id = kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        reply = _wait_reply(km, kc, msg_id, time.monotonic() + limit)
        _drain(kc)
        if reply is None and km.is_alive():
            km.interrupt_kernel()
            reply = _wait_reply(km, kc, msg_id, time.monotonic() + 5)
            if reply is None:
                problems.append(f"cell {number} ran past its time limit ({limit:.0f} s) and could not be interrupted")
                usable = False
                break
            cell_errors.append(f"cell {number} was stopped after {limit:.0f} s (time limit)")
        if not km.is_alive():
            problems.append(f"the kernel died in cell {number} (memory or CPU limit, or the code ended it)")
            usable = False
            break
        content = reply.get("content", {}) if reply else {}
        if content.get("status") == "error":
            cell_errors.append(f"cell {number}: {content.get('ename')}: {str(content.get('evalue'))[:150]}")
    if usable:
        expr = f"__import__('kafkalab.exercises.runner', fromlist=['dump']).dump(globals(), {list(req['names'])!r})"
        msg_id = kc.execute("", silent=True, store_history=False, allow_stdin=False, user_expressions={"a": expr})
        reply = _wait_reply(km, kc, msg_id, time.monotonic() + max(5.0, start + budget - time.monotonic() - 2))
        result = (((reply or {}).get("content") or {}).get("user_expressions") or {}).get("a") or {}
        data = (result.get("data") or {}).get("application/json") if result.get("status") == "ok" else None
        if isinstance(data, dict):
            answers = data
        else:
            problems.append("the answers could not be read out of the kernel"
                            + (f" ({result.get('ename')}: {str(result.get('evalue'))[:100]})" if result.get("ename") else ""))
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - the sandbox is torn down anyway
        pass
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


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m kafkalab.exercises.runner notebook|code|--probe LIMITS_JSON", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
