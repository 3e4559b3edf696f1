"""Server-side regular expressions of consumer groups (KIP-848 ``SubscribedTopicRegex``).

How it works
------------
Kafka 4.0 compiles a member's ``SubscribedTopicRegex`` with RE2/J (``com.google.re2j.Pattern``, the
syntax of the Java client's ``SubscriptionPattern``) and resolves it by **full match** against every
topic name of the metadata image.  kafkalab uses Python's :mod:`re` with ``fullmatch``, and makes
it refuse what RE2 refuses: look-arounds and back-references.  Syntax errors carry RE2/J's
description for the common mistakes (``missing closing ]``, ...) so the error message matches
Kafka's ``"SubscribedTopicRegex `[` is not a valid regular expression: missing closing ]."``;
rarer errors keep Python's wording (a documented difference).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

__all__ = ["regex_error", "resolve"]

# Python's re error text -> RE2/J's ErrorCode description.
_RE2_DESCRIPTIONS = (
    ("unterminated character set", "missing closing ]"),
    ("missing ), unterminated subpattern", "missing closing )"),
    ("unbalanced parenthesis", "unexpected )"),
    ("nothing to repeat", "missing argument to repetition operator"),
    ("multiple repeat", "invalid nested repetition operator"),
    ("bad escape (end of pattern)", "trailing backslash at end of expression"),
    ("bad character range", "invalid character class range"),
    ("bad escape", "invalid escape sequence"),
    ("min repeat greater than max repeat", "invalid repeat count"),
)

# Constructs Python accepts and RE2 does not (RE2 has no look-around and no back-references).
_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\(\?P=|\\[1-9]")


def regex_error(regex: str) -> Optional[str]:
    """Why ``regex`` is not a valid RE2 expression, as Kafka describes it, or None if it is valid.

    Args:
        regex: the member's ``SubscribedTopicRegex``.

    Returns:
        The description Kafka puts after ``"is not a valid regular expression: "``, or None.
    """
    try:
        re.compile(regex)
    except re.error as err:
        msg = err.msg
        for python, re2 in _RE2_DESCRIPTIONS:
            if msg.startswith(python):
                return re2
        return msg
    found = _UNSUPPORTED.search(regex)
    if found is not None:
        token = found.group(0)
        if token.startswith("\\"):
            return "invalid escape sequence"
        return "invalid or unsupported Perl syntax"
    return None


def resolve(regex: str, topic_names: Iterable[str]) -> frozenset[str]:
    """The topics whose whole name matches ``regex`` (Kafka's ``matcher(topic).matches()``).

    An invalid regex matches nothing (Kafka logs and ignores it; it cannot get here because
    the heartbeat validates it first).
    """
    if regex_error(regex) is not None:
        return frozenset()
    pattern = re.compile(regex)
    return frozenset(name for name in topic_names if pattern.fullmatch(name))
