"""Checks that teach: the machinery behind every exercise's check cell.

An exercise is registered with :func:`exercise` and is a function ``answer -> Verdict``.  Its
expected answer is computed by running kafkalab (never stored as a literal in a notebook).  A
check cell calls :func:`check`, which prints one short message and never raises:

* right: ``✓ 01.1 correct: ...``;
* wrong: ``✗ 01.1 not yet: ...`` with what was expected *in kind* and a hint aimed at the likely
  misconception (the value itself is not revealed);
* unanswered (the exercise stub's ``...`` or ``NotImplementedError``): ``… 01.1 not answered yet``;
* wrong type: a friendly message saying what kind of value is wanted.

The grader (:mod:`kafkalab.exercises.grade`) calls the same functions from outside the learner's
kernel, so redefining ``check`` in a notebook changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import ErrorCode


class Status(enum.Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    UNANSWERED = "unanswered"
    INVALID = "invalid"


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str
    points: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is Status.CORRECT


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    title: str
    kind: str  # predict / diagnose / configure / build / repair
    pain_points: tuple[str, ...]
    points: int
    hints: tuple[str, ...]
    checker: Callable[[Any], "Verdict"]
    #: the variable (or function/class) the learner's answer cell defines
    name: str = "answer"
    #: "value": the answer is data (compared outside the kernel); "code": a function/class
    #: defined in the answer cell, exercised by the checker in a fresh process when grading.
    answer: str = "value"
    #: About how long the exercise takes a learner, in minutes (shown in its heading).
    minutes: Optional[int] = None
    #: True for a transfer task: a situation the notebook does not show, to predict, diagnose or
    #: fix; False for recall of what the notebook showed or said.
    transfer: bool = False

    @property
    def level(self) -> str:
        """``"transfer"`` or ``"recall"`` (see :attr:`transfer`)."""
        return "transfer" if self.transfer else "recall"


EXERCISES: dict[str, Exercise] = {}

KINDS = ("predict", "diagnose", "configure", "build", "repair")
PAIN_POINTS = (
    "max.poll.interval exceeded", "the three timeouts confused", "a consumer with no partitions",
    "uneven range across topics", "MEMBER_ID_REQUIRED looks like an error", "eager to cooperative migration",
    "cooperative callbacks and the second rebalance", "static membership surprises",
    "rebalance storms during deploys", "joins that take 3 s / 45 s", "commits failing around a rebalance",
    "coordinator versus leader", "new partitions or topics not consumed", "joins refused or given up",
    "errors answered during a rebalance", "which assignor a group runs", "rebalances nobody asked for",
    "partitions that move at every rebalance", "member order (consumer10 before consumer2)",
    "records processed twice", "which broker coordinates a group",
    "classic to consumer protocol migration",
)


class NotAnswered(Exception):
    """Raised inside checkers when the learner's code is still the stub."""


def exercise(id: str, notebook: str, title: str, *, name: str, kind: str, pain: tuple[str, ...],
             points: int = 1, hints: tuple[str, ...], answer: str = "value", minutes: int, transfer: bool):
    """Register a checker ``f(answer) -> Verdict | bool | str`` as exercise ``id``; ``name`` is the
    variable (or def/class) holding the learner's answer in the exercise notebook.  Every exercise
    says what it is (``kind``, and ``transfer``: a situation the notebook does not show, or recall
    of one it does), which learners' pain points it works on, and how many ``minutes`` it takes."""
    if kind not in KINDS:
        raise ValueError(f"unknown exercise kind {kind!r}")
    if not pain:
        raise ValueError(f"exercise {id} needs at least one pain point")
    for p in pain:
        if p not in PAIN_POINTS:
            raise ValueError(f"unknown pain point {p!r}")
    if not hints:
        raise ValueError(f"exercise {id} needs at least one hint")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValueError(f"exercise {id}: minutes must be a positive whole number")

    def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} registered twice")
        if answer not in ("value", "code"):
            raise ValueError(f"exercise {id}: answer must be 'value' or 'code'")
        EXERCISES[id] = Exercise(id, notebook, title, kind, tuple(pain), points, tuple(hints), fn, name, answer,
                                 minutes, bool(transfer))
        return fn
    return register


# ---------------------------------------------------------------------------- verdict helpers

def right(message: str = "") -> Verdict:
    return Verdict(Status.CORRECT, message)


def wrong(message: str) -> Verdict:
    return Verdict(Status.WRONG, message)


def invalid(message: str) -> Verdict:
    return Verdict(Status.INVALID, message)


def is_unanswered(answer: Any) -> bool:
    return answer is Ellipsis


def want_int(answer: Any, what: str) -> Optional[Verdict]:
    """None when ``answer`` is an int, else a friendly INVALID verdict."""
    if isinstance(answer, bool) or not isinstance(answer, int):
        return invalid(f"expected {what} as a whole number (an int), got {type(answer).__name__} {answer!r}")
    return None


def want_error_code(answer: Any) -> tuple[Optional[Any], Optional[Verdict]]:
    """Accept an ErrorCode, its name ("MEMBER_ID_REQUIRED") or its number; return (code, problem)."""
    if isinstance(answer, ErrorCode):
        return answer, None
    if isinstance(answer, str):
        name = answer.strip().upper().replace(" ", "_")
        if name.startswith("ERRORCODE."):
            name = name.split(".", 1)[1]
        if name in ErrorCode.__members__:
            return ErrorCode[name], None
        return None, invalid(f"{answer!r} is not a Kafka error name; write e.g. \"REBALANCE_IN_PROGRESS\" "
                             "or use kafkalab.ErrorCode.REBALANCE_IN_PROGRESS")
    if isinstance(answer, int) and not isinstance(answer, bool):
        try:
            return ErrorCode(answer), None
        except ValueError:
            return None, invalid(f"{answer} is not one of Kafka's error codes")
    return None, invalid(f"expected an error code (a name like \"ILLEGAL_GENERATION\", a number, or "
                         f"kafkalab.ErrorCode.X), got {type(answer).__name__} {answer!r}")


def judge_code(code: Any, expected: Any, right_message: str, misconceptions: dict[str, str],
               otherwise: str) -> Verdict:
    """The verdict on a predicted error code: right, a targeted message for a likely wrong code
    (keyed by its name), or a general nudge."""
    if code == expected:
        return right(right_message)
    return wrong(misconceptions.get(getattr(code, "name", ""), otherwise))


# ---------------------------------------------------------------------------- running a check

def evaluate(exercise_id: str, answer: Any) -> Verdict:
    """Run exercise ``exercise_id``'s checker on ``answer``; never raises."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        return invalid(f"there is no exercise {exercise_id!r}; known: {', '.join(sorted(EXERCISES))}")
    if is_unanswered(answer):
        return Verdict(Status.UNANSWERED, "not answered yet: replace the `...` with your answer and run the cell again")
    try:
        result = ex.checker(answer)
    except (NotAnswered, NotImplementedError):
        return Verdict(Status.UNANSWERED, "not answered yet: write the code where it says YOUR CODE HERE")
    except Exception as exc:  # a learner's code failing is feedback, not a crash
        return invalid(f"your answer raised {type(exc).__name__}: {exc}")
    if isinstance(result, Verdict):
        verdict = result
    elif result is True:
        verdict = right()
    else:
        verdict = wrong(str(result) if result else "that is not it")
    if verdict.ok:
        verdict = Verdict(Status.CORRECT, verdict.message, float(ex.points))
    return verdict


def format_verdict(exercise_id: str, verdict: Verdict) -> str:
    ex = EXERCISES.get(exercise_id)
    mark = {Status.CORRECT: "✓", Status.WRONG: "✗", Status.UNANSWERED: "…", Status.INVALID: "✗"}[verdict.status]
    head = {Status.CORRECT: "correct", Status.WRONG: "not yet", Status.UNANSWERED: "not answered yet",
            Status.INVALID: "cannot check this answer"}[verdict.status]
    text = f"{mark} {exercise_id} {head}"
    body = verdict.message
    if verdict.status is Status.UNANSWERED:
        body = ""
    if body:
        text += f": {body}"
    if verdict.status in (Status.WRONG,) and ex is not None and ex.hints and "Hint:" not in body:
        text += f"\n  Hint: {ex.hints[0]}"
    return text


def check(exercise_id: str, answer: Any = Ellipsis) -> None:
    """Check an answer and print what that says (a check cell's only job)."""
    print(format_verdict(exercise_id, evaluate(exercise_id, answer)))


def hints(exercise_id: str) -> None:
    """Print every hint of an exercise."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        print(f"there is no exercise {exercise_id!r}")
        return
    for i, h in enumerate(ex.hints, 1):
        print(f"Hint {i}: {h}")
