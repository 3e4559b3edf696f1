"""What an nbgrader test cell runs: kafkalab's check, turned into pass or fail.

nbgrader's autograder gives a test cell its points when the cell runs without an error, and 0
when it raises.  The test cells that ``kafkalab-exercises --nbgrader`` writes call
:func:`assert_correct`, which runs the same checker as a ``check(...)`` cell and the
``kafkalab-grade`` grader (:func:`kafkalab.exercises.evaluate`), prints its ✓ line when the answer
is right, and otherwise raises :class:`AssertionError` carrying the check's message and hint.

Unlike ``kafkalab-grade``, which reads answers out of the learner's kernel and checks them in its
own process, nbgrader runs this in the learner's kernel, next to the learner's code.
"""

from __future__ import annotations

from typing import Any

from .core import evaluate, format_verdict

__all__ = ["assert_correct"]


def assert_correct(exercise_id: str, answer: Any = Ellipsis) -> None:
    """Print ``✓ ...`` when ``answer`` is right; otherwise raise AssertionError with the check's
    message (what kind of answer was expected, and a hint)."""
    verdict = evaluate(exercise_id, answer)
    text = format_verdict(exercise_id, verdict)
    if not verdict.ok:
        raise AssertionError(text)
    print(text)
