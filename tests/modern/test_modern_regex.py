"""Regular-expression subscriptions (docs/consumer-protocol.md §3.4)."""

from __future__ import annotations

import pytest

from kafkalab.errors import ErrorCode
from kafkalab.modern import events as ev
from kafkalab.modern.regex import regex_error, resolve
from kafkalab.modern.timers import regex_refresh_key
from modern_helpers import Harness

E = ErrorCode
R = ev.EpochBumpReason

TOPICS = {"orders": 2, "orders-eu": 2, "payments": 2, "topic-1": 1}


def test_an_invalid_regex_is_refused_with_kafkas_message():
    """docs/consumer-protocol.md §3.4: a regex that does not compile -> INVALID_REGULAR_EXPRESSION
    "SubscribedTopicRegex `[` is not a valid regular expression: missing closing ]."."""
    h = Harness(TOPICS)
    resp = h.join("a", topics=None, regex="[")
    assert (resp.error_code, resp.error_message) == (
        E.INVALID_REGULAR_EXPRESSION, "SubscribedTopicRegex `[` is not a valid regular expression: missing closing ].")
    assert h.mgr.groups == {}


@pytest.mark.parametrize("regex, description", [
    ("(orders", "missing closing )"),
    ("orders)", "unexpected )"),
    ("*", "missing argument to repetition operator"),
    ("a**", "invalid nested repetition operator"),
    ("orders\\", "trailing backslash at end of expression"),
    ("[z-a]", "invalid character class range"),
    ("(?=orders)", "invalid or unsupported Perl syntax"),
    ("(a)\\1", "invalid escape sequence"),
])
def test_re2_errors_and_unsupported_syntax(regex, description):
    """docs/consumer-protocol.md §3.4: Kafka compiles with RE2/J, which has no look-around and no
    back-references; the common syntax errors carry RE2/J's description."""
    assert regex_error(regex) == description
    assert regex_error("orders.*") is None


def test_a_regex_is_a_full_match():
    """docs/consumer-protocol.md §3.4: matcher(topic).matches() -- `^topic*` does not match `topic-1`."""
    names = list(TOPICS)
    assert resolve("orders.*", names) == {"orders", "orders-eu"}
    assert resolve("orders", names) == {"orders"}
    assert resolve("^topic*", names) == frozenset()
    assert resolve("^topic.*", names) == {"topic-1"}


def test_a_new_regex_joins_at_the_current_epoch_and_the_resolution_bumps_it():
    """docs/consumer-protocol.md §3.4 / §3.1: a member whose regex nobody uses joins with an empty
    assignment, no bump; the asynchronous resolution writes the regex and bumps the epoch
    (Assigning); the next heartbeat computes the target."""
    h = Harness(TOPICS)
    h.join("a", topics=("payments",))
    resp = h.join("b", topics=None, regex="orders.*")
    assert (resp.error_code, resp.member_epoch, h.owned("b"), h.group.group_epoch) == (E.NONE, 1, {}, 1)
    assert regex_refresh_key("g") in h.timers
    h.advance(0)
    resolved = h.records(ev.RegularExpressionResolved)[-1]
    assert (resolved.regex, resolved.topics) == ("orders.*", ("orders", "orders-eu"))
    assert bumps_last(h) == (2, R.REGULAR_EXPRESSIONS_RESOLVED) and h.state == "Assigning"
    h.heartbeat("b")
    assert h.owned("b") == {"orders": [0, 1], "orders-eu": [0, 1]} and h.state == "Reconciling"
    h.heartbeat("a")
    assert h.state == "Stable"
    h.check()


def bumps_last(h):
    b = h.records(ev.GroupEpochBumped)[-1]
    return b.new_epoch, b.reason


def test_joining_with_an_already_resolved_regex_bumps_at_once():
    """docs/consumer-protocol.md §3.4 / §3.1: a member subscribing to a regex already resolved for the
    group bumps the epoch and gets its share in the same heartbeat."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.advance(0)
    h.heartbeat("a")
    resp = h.join("b", topics=None, regex="orders.*")
    assert bumps_last(h)[1] is R.REGULAR_EXPRESSION_ALREADY_RESOLVED
    assert resp.member_epoch == h.group.group_epoch


def test_the_last_member_leaving_a_regex_writes_its_tombstone():
    """docs/consumer-protocol.md §3.4 / §4.2: the last member leaving a regex (leave or change) removes
    the resolved regex."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.join("b", topics=None, regex="pay.*")
    h.advance(0)  # resolves only orders.* (the running refresh took the regexes it had)
    h.advance(10_001)
    h.heartbeat("b")
    h.advance(0)
    assert set(h.group.resolved_regular_expressions) == {"orders.*", "pay.*"}
    h.leave("a")
    assert [r.regex for r in h.records(ev.RegularExpressionRemoved)] == ["orders.*"]
    assert set(h.group.resolved_regular_expressions) == {"pay.*"}
    h.heartbeat("b", subscribed_topic_regex="")
    assert [r.regex for r in h.records(ev.RegularExpressionRemoved)] == ["orders.*", "pay.*"]
    h.check()


def test_refreshes_are_batched_every_ten_seconds():
    """docs/consumer-protocol.md §3.4: a refresh is scheduled only if none is running and the last one is
    older than 10 s (REGEX_BATCH_REFRESH_INTERVAL_MS); later heartbeats pick up what waited."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.advance(1_000)  # resolved at t=1000
    h.join("b", topics=None, regex="pay.*")
    assert regex_refresh_key("g") not in h.timers and "pay.*" not in h.group.resolved_regular_expressions
    h.advance(9_000)
    h.heartbeat("b")  # t = 10000 <= 1000 + 10000: still too early
    assert regex_refresh_key("g") not in h.timers
    h.advance(1)
    h.heartbeat("b")
    assert h.timers.get(regex_refresh_key("g")).payload == ("orders.*", "pay.*")
    h.advance(0)
    assert set(h.group.resolved_regular_expressions) == {"orders.*", "pay.*"}


def test_new_topics_trigger_a_refresh_at_the_next_heartbeat():
    """docs/consumer-protocol.md §3.4: a refresh is due when topics were created since the last
    resolution; a new match bumps the epoch."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.advance(0)
    h.heartbeat("a")
    epoch = h.group.group_epoch
    h.advance(11_000)
    h.create_topic("orders-us", 3)
    h.heartbeat("a")
    h.advance(0)
    assert h.group.resolved_regular_expressions["orders.*"].topics == {"orders", "orders-eu", "orders-us"}
    assert h.group.group_epoch == epoch + 1
    h.heartbeat("a")
    assert "orders-us" in h.owned("a")


def test_a_resolution_with_the_same_topics_writes_the_record_but_does_not_bump():
    """docs/consumer-protocol.md §3.4: one record per regex still in use; the epoch moves only if a
    resolved set or the subscription metadata changed."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.advance(0)
    epoch = h.group.group_epoch
    h.advance(11_000)
    h.create_topic("unrelated", 1)
    h.heartbeat("a")
    h.advance(0)
    assert len(h.records(ev.RegularExpressionResolved)) == 2 and h.group.group_epoch == epoch


def test_names_and_regex_together_subscribe_to_the_union():
    """docs/consumer-protocol.md §3.4: the protocol allows both; the member reads the union."""
    h = Harness(TOPICS)
    h.join("a", topics=("payments",), regex="orders")
    h.advance(0)
    h.heartbeat("a")
    assert h.owned("a") == {"orders": [0, 1], "payments": [0, 1]}


def test_subscription_type_with_regexes():
    """docs/consumer-protocol.md §3.4: HOMOGENEOUS iff exactly one regex is used by all members and no
    topic is subscribed by name."""
    h = Harness(TOPICS)
    h.join("a", topics=None, regex="orders.*")
    h.join("b", topics=None, regex="orders.*")
    h.advance(0)
    h.heartbeat("a")

    def kind():
        t = h.assignors[0].calls[-1].subscription_type
        return getattr(t, "name", t)

    assert kind() == "HOMOGENEOUS"
    h.join("c", topics=("payments",))
    assert kind() == "HETEROGENEOUS"


def test_a_regex_result_for_a_group_that_no_longer_uses_it_is_ignored():
    """docs/consumer-protocol.md §3.4: regexes nobody subscribes to any more are skipped by the result."""
    h = Harness(TOPICS)
    h.join("a", topics=("payments",))
    h.join("b", topics=None, regex="orders.*")
    h.leave("b")
    h.advance(0)
    assert h.records(ev.RegularExpressionResolved) == []
    h.check()
