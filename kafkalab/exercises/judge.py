"""The checks of one notebook's answers, in a process no learner code ever ran in.

The grader starts a judge per notebook (forked from its pre-imported template, :mod:`.forkserver`,
or ``python -m kafkalab.exercises.judge`` where there is none) and sends it data only: the
values the notebook's answer variables held (read out of the learner's kernel as JSON) and the
source of each code answer's cell (read out of the notebook file by the grader).  The judge
runs kafkalab's checkers and prints one line of verdicts.

* A **value** answer is checked directly: :func:`kafkalab.exercises.evaluate` on the JSON value.
* A **code** answer (a function or class) is defined in a fresh sandboxed process
  (``runner code``); the checker here gets a stand-in (:func:`stand_in`) whose every call is sent
  there as data and whose result comes back as data.  Whatever that process prints, replaces or
  fakes, the checker only sees values returned for the inputs it chose, and the verdict and
  points are computed here.

Each check has a time limit (``SIGALRM``), and the judge's memory and CPU are limited too, so a
value that sends a checker into a huge simulation costs that check only.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from . import EXERCISES, evaluate
from ..assignors.base import Assignor
from .core import Verdict
from .forkserver import ForkServer
from .rpc import Channel, ChannelError, DataError, decode, dumps, encode
from .runner import apply_limits
from .sandbox import Limits, Probe, Sandbox

#: kafkalab base classes a stand-in may extend (the runner reports them by name)
BASES: dict[str, type] = {"Assignor": Assignor}
MAX_NAMES = 200


class CheckTimeout(BaseException):
    """A check ran past its time limit (a ``BaseException`` so no checker can swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum, frame):
        raise CheckTimeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _name(value: Any) -> str:
    ok = isinstance(value, str) and value.isidentifier() and not value.startswith("_") and len(value) <= 100
    return value if ok else ""


def _learner_exception(raised: Any) -> BaseException:
    """The learner's exception, rebuilt as a plain Exception with the same class name."""
    name, message = (raised + ["", ""])[:2] if isinstance(raised, list) else ("", "")
    message = str(message)[:300]
    if name in ("NotImplementedError", "NotAnswered"):
        return NotImplementedError(message)
    cls = type(name if isinstance(name, str) and name.isidentifier() and len(name) <= 80 else "Exception",
               (Exception,), {})
    return cls(message)


class Remote:
    """The grader's end of a code answer's sandboxed process."""

    def __init__(self, channel: Channel, deadline: float) -> None:
        self.channel, self.deadline = channel, deadline

    def request(self, req: dict) -> Any:
        self.channel.send(req, self.deadline)
        reply = self.channel.recv(self.deadline)
        if isinstance(reply, dict) and len(reply) == 1:
            if "ok" in reply:
                return reply["ok"]
            if "raised" in reply:
                raise _learner_exception(reply["raised"])
        raise ChannelError("a reply that is not the grader's protocol")

    def value(self, req: dict) -> Any:
        try:
            return decode(self.request(req))
        except DataError as exc:
            raise ChannelError(f"a reply that is not data: {exc}") from None

    def call(self, target: int, method: str | None, args: tuple, kwargs: dict) -> Any:
        return self.value({"op": "call", "target": target, "method": method,
                           "args": encode(list(args)), "kwargs": encode(kwargs)})


def stand_in(remote: Remote, desc: Any) -> Any:
    """A local object that behaves like the learner's function or class by asking ``remote``."""
    if not isinstance(desc, dict):
        raise ChannelError("a description that is not the grader's protocol")
    kind = desc.get("kind")
    if kind == "function":
        def answer(*args, **kwargs):
            return remote.call(0, None, args, kwargs)
        answer.__name__ = _name(desc.get("name")) or "answer"
        return answer
    if kind == "class":
        return _stand_in_class(remote, desc)
    if kind == "value":
        try:
            return decode(desc.get("value"))
        except DataError as exc:
            raise ChannelError(f"a value that is not data: {exc}") from None
    raise ChannelError("a description that is not the grader's protocol")


def _stand_in_class(remote: Remote, desc: dict) -> type:
    base = BASES.get(desc.get("base")) if isinstance(desc.get("base"), str) else None
    ns: dict[str, Any] = {"__module__": "__learner__"}
    data = desc.get("data") if isinstance(desc.get("data"), dict) else {}
    for key, value in list(data.items())[:MAX_NAMES]:
        if _name(key):
            try:
                ns[key] = decode(value)
            except DataError:
                pass

    def forward(method: str):
        def call(self, *args, **kwargs):
            return remote.call(self._kl_handle, method, args, kwargs)
        call.__name__ = method
        return call

    def getter(attr: str):
        return property(lambda self: remote.value({"op": "getattr", "target": self._kl_handle, "name": attr}))

    for key in (desc.get("methods") if isinstance(desc.get("methods"), list) else [])[:MAX_NAMES]:
        if _name(key):
            ns[key] = forward(key)
    for key in (desc.get("properties") if isinstance(desc.get("properties"), list) else [])[:MAX_NAMES]:
        if _name(key):
            ns[key] = getter(key)

    def __init__(self, *args, **kwargs):
        made = remote.request({"op": "new", "args": encode(list(args)), "kwargs": encode(kwargs)})
        handle = made.get("handle") if isinstance(made, dict) else None
        if not isinstance(handle, int) or isinstance(handle, bool) or handle < 1:
            raise ChannelError("a reply that is not the grader's protocol")
        attrs = made.get("data") if isinstance(made.get("data"), dict) else {}
        for key, value in list(attrs.items())[:MAX_NAMES]:
            if _name(key) and not isinstance(getattr(type(self), key, None), property):
                try:
                    object.__setattr__(self, key, decode(value))
                except DataError:
                    pass
        object.__setattr__(self, "_kl_handle", handle)

    ns["__init__"] = __init__
    return type(_name(desc.get("name")) or "Answer", (base,) if base else (), ns)


# ---------------------------------------------------------------------------- checking

def _verdict(status: str, message: str, points: float = 0.0) -> dict:
    return {"status": status, "points": points, "message": message}


def _from(v: Verdict) -> dict:
    return _verdict(v.status.value, v.message, float(v.points))


def check_value(exercise_id: str, entry: Any, limit: float) -> dict:
    try:
        with time_limit(limit):
            return _from(evaluate(exercise_id, entry))
    except CheckTimeout:
        return _verdict("error", f"checking this answer took longer than {limit:.0f} s")


def check_code(box: Sandbox, exercise_id: str, source: str, limit: float) -> dict:
    ex = EXERCISES[exercise_id]
    deadline = time.monotonic() + limit
    try:
        running = box.start(["code"])
    except OSError as exc:
        return _verdict("error", f"the process running this answer could not start: {exc}")
    try:
        running.stderr.close()  # nothing of the learner's output is read
        remote = Remote(Channel(running.stdout.fileno(), running.stdin.fileno()), deadline)
        with time_limit(limit):
            remote.channel.send({"op": "define", "source": source, "name": ex.name}, deadline)
            reply = remote.channel.recv(deadline)
            if not isinstance(reply, dict):
                raise ChannelError("a reply that is not the grader's protocol")
            if reply.get("unanswered") is True:
                return _verdict("unanswered", "not answered yet")
            if "failed" in reply:
                return _verdict("invalid", f"the answer cell fails: {str(reply['failed'])[:200]}")
            if reply.get("undefined") is True:
                return _verdict("invalid", f"the cell does not define {ex.name}")
            if "ok" not in reply:
                raise ChannelError("a reply that is not the grader's protocol")
            answer = stand_in(remote, reply["ok"])
            return _from(evaluate(exercise_id, answer))
    except CheckTimeout:
        return _verdict("error", f"time limit of {limit:.0f} s exceeded")
    except ChannelError as exc:
        return _verdict("error", f"the process running this answer failed: {exc} "
                                 f"(limits: {box.limits.describe()})")
    finally:
        running.stop()


def judge(request: dict, spawner: Optional[ForkServer] = None) -> dict:
    limit = float(request["check_timeout"])
    fallback = request.get("fallback_dir")
    box = Sandbox(Limits(**request["limits"]), Probe(**request["isolation"]),
                  fallback_dir=Path(fallback) if fallback else None, spawner=spawner)
    verdicts: dict[str, dict] = {}
    for exercise_id, entry in request.get("values", {}).items():
        verdicts[exercise_id] = check_value(exercise_id, entry, limit)
    for exercise_id, source in request.get("code", {}).items():
        verdicts[exercise_id] = check_code(box, exercise_id, source, limit)
    return {"verdicts": verdicts}


def main(channel_fd: Optional[int] = None) -> int:
    """Read one request on stdin, write the verdicts on stdout; ``channel_fd`` is a connection to
    the grader's fork server (for the code answers' processes), when the judge was forked by it."""
    request = json.loads(sys.stdin.buffer.read())
    # the judge runs only kafkalab's code, but on learners' values: bounded like them, never below 1 GiB
    apply_limits({**request["limits"], "memory_mb": max(1024, int(request["limits"]["memory_mb"])),
                  "cpu_seconds": int(request["judge_cpu_seconds"]), "nproc": False})
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a checker's or the simulator's prints cannot mix into the verdicts
    spawner = ForkServer.connect(channel_fd) if channel_fd is not None else None
    data = dumps(judge(request, spawner))
    view = memoryview(data)
    while view:
        view = view[os.write(out, view):]
    return 0


if __name__ == "__main__":
    sys.exit(main())
