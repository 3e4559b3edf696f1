"""Shared pytest setup for kafkalab's tests.

Hypothesis profiles:

* ``ci`` (loaded when the ``CI`` environment variable is set, as in ``.ci/run``): derandomized, so
  every run tries the same examples and a CI failure reproduces locally with ``CI=1``; no deadline,
  because a shared 2-core runner has noisy timings; ``print_blob`` so a failure prints the
  ``@reproduce_failure`` line; no example database, so nothing is read from or written to
  ``.hypothesis/``.
* ``dev`` (otherwise): random exploration with the example database, no deadline.

``HYPOTHESIS_PROFILE=ci`` (or ``dev``) overrides the choice.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None)
settings.register_profile("dev", deadline=None)


def _default_profile() -> str:
    ci = os.environ.get("CI", "").strip().lower()
    return "dev" if ci in ("", "0", "false", "no") else "ci"


settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _default_profile())
