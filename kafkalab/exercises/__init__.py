"""Graded exercises: checks that teach (:mod:`.core`), the exercise bank (``exNN`` modules),
the exercise generator (:mod:`.make`) and the instructors' grader (:mod:`.grade`).

In a notebook::

    from kafkalab.exercises import check, hints
    check("01.1", partition)      # prints ✓ / ✗ with a hint / "not answered yet"
"""

from .core import EXERCISES, Exercise, Status, Verdict, check, evaluate, format_verdict, hints
from . import ex00_10, ex01, ex02_04, ex05_06, ex07_09, ex11, ex12, ex13  # noqa: F401  (registers the exercises)

__all__ = ["EXERCISES", "Exercise", "Status", "Verdict", "check", "evaluate", "format_verdict", "hints"]
