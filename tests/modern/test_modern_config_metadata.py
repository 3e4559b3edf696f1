"""group.consumer.* configs (docs/consumer-protocol.md §1.3), the metadata image and topic ids."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from kafkalab.errors import ConfigError
from kafkalab.messages import ConsumerGroupHeartbeatRequest
from kafkalab.modern import ConsumerGroupConfig, ConsumerGroupManager, GroupConfig, MetadataImage, topic_id_for
from kafkalab.modern.metadata import TOPIC_ID_NAMESPACE
from kafkalab.timers import TimerTable
from modern_helpers import Harness, RangeAssignor, StickyAssignor

STANDINS = (StickyAssignor(), RangeAssignor())


def config(**kw):
    kw.setdefault("group_consumer_assignors", STANDINS)
    return ConsumerGroupConfig(**kw)


def test_kafkas_defaults():
    """docs/consumer-protocol.md §1.3: session 45000 (45000..60000), heartbeat 5000 (5000..15000), max size
    2147483647, assignors uniform,range, migration bidirectional, protocols classic,consumer."""
    c = ConsumerGroupConfig.__dataclass_fields__
    defaults = {name: f.default for name, f in c.items()}
    assert defaults == {
        "group_consumer_session_timeout_ms": 45_000,
        "group_consumer_min_session_timeout_ms": 45_000,
        "group_consumer_max_session_timeout_ms": 60_000,
        "group_consumer_heartbeat_interval_ms": 5_000,
        "group_consumer_min_heartbeat_interval_ms": 5_000,
        "group_consumer_max_heartbeat_interval_ms": 15_000,
        "group_consumer_max_size": 2_147_483_647,
        "group_consumer_assignors": ("uniform", "range"),
        "group_consumer_migration_policy": "bidirectional",
        "group_coordinator_rebalance_protocols": ("classic", "consumer"),
    }


@pytest.mark.parametrize("kw, message", [
    (dict(group_consumer_session_timeout_ms=40_000), "session_timeout_ms must be greater than or equal to"),
    (dict(group_consumer_session_timeout_ms=61_000), "session_timeout_ms must be less than or equal to"),
    (dict(group_consumer_heartbeat_interval_ms=4_000), "heartbeat_interval_ms must be greater than or equal to"),
    (dict(group_consumer_heartbeat_interval_ms=16_000), "heartbeat_interval_ms must be less than or equal to"),
    (dict(group_consumer_min_session_timeout_ms=50_000, group_consumer_max_session_timeout_ms=49_000),
     "max_session_timeout_ms must be greater than or equal to"),
    (dict(group_consumer_min_heartbeat_interval_ms=1_000, group_consumer_heartbeat_interval_ms=45_000,
          group_consumer_max_heartbeat_interval_ms=60_000), "must be less than group_consumer_session_timeout_ms"),
    (dict(group_consumer_max_size=0), "out of range"),
    (dict(group_consumer_session_timeout_ms="45s"), "must be an int"),
    (dict(group_consumer_migration_policy="sideways"), "migration_policy must be one of"),
    (dict(group_coordinator_rebalance_protocols=("consumer",)), "must list 'classic'"),
])
def test_bounds_are_checked_as_kafka_does(kw, message):
    """docs/consumer-protocol.md §1.3: GroupCoordinatorConfig's require(...) rules, each value >= 1."""
    with pytest.raises(ConfigError, match=message):
        config(**kw)


def test_migration_policy_is_case_insensitive():
    assert config(group_consumer_migration_policy="UPGRADE").group_consumer_migration_policy == "upgrade"


def test_assignors_are_names_or_plugin_objects():
    """docs/consumer-protocol.md §1.3 / §5.1: the first assignor is the default; objects plug in by name."""
    m = ConsumerGroupManager(config(), timers=TimerTable(), emit=lambda e: None)
    assert list(m.assignors) == ["uniform", "range"] and m.default_assignor == "uniform"
    with pytest.raises(ConfigError, match="two server-side assignors"):
        ConsumerGroupManager(ConsumerGroupConfig(group_consumer_assignors=(RangeAssignor(), RangeAssignor())),
                             timers=TimerTable(), emit=lambda e: None)
    with pytest.raises(ConfigError, match="needs a str `name`"):
        ConsumerGroupManager(ConsumerGroupConfig(group_consumer_assignors=(object(),)), timers=TimerTable(),
                             emit=lambda e: None)
    with pytest.raises(ConfigError, match="non-empty tuple"):
        config(group_consumer_assignors="uniform")


def test_per_group_overrides_are_validated_against_the_broker_bounds():
    """docs/consumer-protocol.md §1.3: consumer.session.timeout.ms / consumer.heartbeat.interval.ms per
    group, within the broker's min/max, session > interval."""
    h = Harness()
    with pytest.raises(ConfigError, match="consumer_session_timeout_ms=30000 is out of range"):
        h.mgr.set_group_config("g", GroupConfig(consumer_session_timeout_ms=30_000))
    with pytest.raises(ConfigError, match="out of range"):
        h.mgr.set_group_config("g", GroupConfig(consumer_heartbeat_interval_ms=20_000))
    h.mgr.set_group_config("g", GroupConfig(consumer_session_timeout_ms=60_000))
    assert h.mgr.session_timeout_ms("g") == 60_000 and h.mgr.session_timeout_ms("other") == 45_000
    h.mgr.set_group_config("g", None)
    assert h.mgr.session_timeout_ms("g") == 45_000


def test_a_manager_rejects_misuse_with_clear_errors():
    with pytest.raises(TypeError, match="ConsumerGroupConfig"):
        ConsumerGroupManager({"x": 1}, timers=TimerTable(), emit=print)
    h = Harness()
    with pytest.raises(TypeError, match="now must be an int"):
        h.mgr.consumer_group_heartbeat(ConsumerGroupHeartbeatRequest(), 1.5)
    with pytest.raises(ValueError, match="not a consumer-group timer"):
        h.mgr.on_timer(("heartbeat", "g", "a"), None, 0)
    with pytest.raises(TypeError, match="MetadataImage"):
        h.mgr.on_metadata_update({"foo": 1}, 0)


# ---------------------------------------------------------------------------- metadata image

def test_topic_ids_are_deterministic_uuid5_in_kafkas_base64_form():
    """Topic ids: uuid5(namespace, name) written as 22 URL-safe base64 characters; documented."""
    tid = topic_id_for("orders")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", tid)
    raw = base64.urlsafe_b64decode(tid + "==")
    assert uuid.UUID(bytes=raw) == uuid.uuid5(TOPIC_ID_NAMESPACE, "orders")
    assert topic_id_for("orders") == tid != topic_id_for("orders", 1)
    assert all(not topic_id_for(f"t{i}").startswith("-") for i in range(300))


def test_a_recreated_topic_gets_a_new_id():
    """As in Kafka, a topic deleted and created again is a new topic (new id)."""
    image = MetadataImage.of({"orders": 3})
    first = image.topic("orders").topic_id
    image = image.without_topic("orders").with_topic("orders", 3)
    assert image.topic("orders").topic_id == topic_id_for("orders", 1) != first


def test_images_are_immutable_and_versioned():
    image = MetadataImage.of({"a": 1, "b": 2})
    grown = image.with_topic("a", 4)
    assert (image.topic("a").num_partitions, grown.topic("a").num_partitions) == (1, 4)
    assert grown.version == image.version + 1 and grown.with_topic("a", 4) is grown
    delta = grown.without_topic("b").with_topic("c", 1).delta(image)
    assert (delta.changed, delta.deleted, delta.created) == ({"a", "c"}, {"b"}, {"c"})
    assert image.topic_by_id(image.topic("b").topic_id).name == "b"


@pytest.mark.parametrize("call, error", [
    (lambda i: i.with_topic("a", 0), ValueError),
    (lambda i: i.with_topic("a", 1) and i.with_topic("a", 3).with_topic("a", 2), ValueError),
    (lambda i: i.with_topic("bad name", 1), ValueError),
    (lambda i: i.with_topic("..", 1), ValueError),
    (lambda i: i.with_topic(7, 1), TypeError),
    (lambda i: i.with_topic("a", 2, racks=[["r1"]]), ValueError),
    (lambda i: i.without_topic("missing"), KeyError),
])
def test_bad_metadata_changes_raise_clear_errors(call, error):
    with pytest.raises(error):
        call(MetadataImage.of({"x": 1}))


def test_racks_are_carried_to_the_assignor():
    """docs/consumer-protocol.md §5.1: partition racks travel in the describer (unused by uniform/range)."""
    seen = []

    class Peek(RangeAssignor):
        def assign(self, spec, describer):
            seen.append(describer.racks_for_partition(next(iter(spec.member_subscription("a").subscribed_topic_ids)), 0))
            return super().assign(spec, describer)

    h2 = Harness({"foo": 2}, assignors=[Peek()])
    h2.set_metadata(MetadataImage.of({"foo": 2}, racks={"foo": [["r1", "r2"], ["r2"]]}))
    h2.join("a")
    assert seen == [frozenset({"r1", "r2"})]
