"""Kafka's ConsumerProtocol Subscription/Assignment bytes (schemas v0-v3).

Byte layouts below are written out by hand from ``ConsumerProtocolSubscription.json`` and
``ConsumerProtocolAssignment.json``; kafka-python 3.0.12 (generated from the same schemas) is a
differential oracle when it is installed.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkalab.consumer_protocol import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)


def i16(n: int) -> bytes:
    return struct.pack(">h", n)


def i32(n: int) -> bytes:
    return struct.pack(">i", n)


def s(text: str) -> bytes:
    data = text.encode("utf-8")
    return i16(len(data)) + data


# ---------------------------------------------------------------- known layouts

def test_subscription_v0_layout():
    data = encode_subscription(["t", "u"], user_data=None, version=0)
    assert data == bytes.fromhex("0000" "00000002" "0001" "74" "0001" "75" "ffffffff")
    assert decode_subscription(data) == ConsumerProtocolSubscription(0, ("t", "u"))


def test_subscription_v3_layout():
    data = encode_subscription(["orders"], b"\x01\x02", [("orders", 0), ("orders", 2)], 7, "rack-a")
    assert data == (
        i16(3)                                         # version
        + i32(1) + s("orders")                         # topics
        + i32(2) + b"\x01\x02"                         # user_data
        + i32(1) + s("orders") + i32(2) + i32(0) + i32(2)  # owned_partitions
        + i32(7)                                       # generation_id
        + s("rack-a")                                  # rack_id
    )
    assert decode_subscription(data) == ConsumerProtocolSubscription(
        3, ("orders",), b"\x01\x02", (("orders", 0), ("orders", 2)), 7, "rack-a")


def test_subscription_null_and_empty_values():
    data = encode_subscription([], user_data=b"", rack_id=None, version=3)
    assert data == i16(3) + i32(0) + i32(0) + i32(0) + i32(-1) + i16(-1)
    sub = decode_subscription(data)
    assert sub.user_data == b"" and sub.rack_id is None and sub.generation_id == -1
    assert decode_subscription(encode_subscription([], user_data=None, rack_id="")).user_data is None
    assert decode_subscription(encode_subscription([], rack_id="")).rack_id == ""


@pytest.mark.parametrize("version, tail", [
    (0, b""),
    (1, i32(1) + s("t") + i32(1) + i32(5)),
    (2, i32(1) + s("t") + i32(1) + i32(5) + i32(9)),
    (3, i32(1) + s("t") + i32(1) + i32(5) + i32(9) + s("r")),
])
def test_each_subscription_version_writes_only_its_fields(version, tail):
    # Fields added after v0 are "ignorable" in Kafka's schema: a lower version drops them silently.
    data = encode_subscription(["t"], None, [("t", 5)], 9, "r", version=version)
    assert data == i16(version) + i32(1) + s("t") + i32(-1) + tail
    sub = decode_subscription(data)
    assert sub.owned_partitions == ((("t", 5),) if version >= 1 else ())
    assert sub.generation_id == (9 if version >= 2 else -1)
    assert sub.rack_id == ("r" if version >= 3 else None)


def test_assignment_layout_groups_by_first_seen_topic():
    data = encode_assignment([("b", 1), ("a", 0), ("b", 0)], user_data=None, version=1)
    assert data == (
        i16(1)
        + i32(2) + s("b") + i32(2) + i32(1) + i32(0) + s("a") + i32(1) + i32(0)
        + i32(-1)
    )
    a = decode_assignment(data)
    assert a == ConsumerProtocolAssignment(1, (("b", 1), ("b", 0), ("a", 0)), None)
    assert a.partitions_by_topic == {"b": (1, 0), "a": (0,)}


def test_owned_partitions_are_grouped_by_first_seen_topic_too():
    data = encode_subscription(["t"], owned_partitions=[("t", 1), ("u", 2), ("t", 3)], version=1)
    assert decode_subscription(data).owned_partitions == (("t", 1), ("t", 3), ("u", 2))


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_all_assignment_versions_share_one_layout(version):
    data = encode_assignment([("t", 0)], b"x", version=version)
    assert data == i16(version) + i32(1) + s("t") + i32(1) + i32(0) + i32(1) + b"x"


def test_non_ascii_topic_lengths_count_utf8_bytes():
    data = encode_assignment([("\u00e9t\u00e9", 0)], version=0)
    assert data[6:8] == i16(5)  # "été" is 3 characters, 5 UTF-8 bytes
    assert decode_assignment(data).assigned_partitions == (("\u00e9t\u00e9", 0),)


# ---------------------------------------------------------------- leniency

def test_empty_assignment_bytes_are_an_empty_assignment():
    assert decode_assignment(b"") == ConsumerProtocolAssignment(0, (), None)


def test_newer_versions_decode_the_fields_we_know():
    sub_v3 = encode_subscription(["t"], b"u", [("t", 1)], 4, "r")
    future = i16(7) + sub_v3[2:] + i32(12345) + s("a field from v7")
    assert decode_subscription(future) == ConsumerProtocolSubscription(7, ("t",), b"u", (("t", 1),), 4, "r")
    asg = encode_assignment([("t", 1)], b"u")
    assert decode_assignment(i16(4) + asg[2:] + b"\x00\x01") == ConsumerProtocolAssignment(4, (("t", 1),), b"u")


def test_trailing_bytes_are_tolerated():
    data = encode_subscription(["t"], version=1)
    assert decode_subscription(data + b"\xff" * 9) == decode_subscription(data)
    data = encode_assignment([("t", 3)], version=0)
    assert decode_assignment(data + b"\x00") == decode_assignment(data)


def test_encoding_above_the_highest_version_writes_v3_like_kafka():
    assert encode_subscription(["t"], version=9) == encode_subscription(["t"], version=3)
    assert encode_assignment([], version=4)[:2] == i16(3)


def test_undecodable_utf8_is_replaced_like_java_strings():
    data = i16(0) + i32(1) + i16(2) + b"\xff\xfe" + i32(-1)
    assert decode_subscription(data).topics == ("\ufffd\ufffd",)


# ---------------------------------------------------------------- errors

SAMPLE_SUB = encode_subscription(["t", "u"], b"data", [("t", 0), ("u", 1)], 3, "r1")
SAMPLE_ASG = encode_assignment([("t", 0), ("u", 1)], b"data")


@pytest.mark.parametrize("cut", range(len(SAMPLE_SUB)))
def test_every_truncated_subscription_is_a_value_error(cut):
    with pytest.raises(ValueError, match="truncated consumer protocol subscription"):
        decode_subscription(SAMPLE_SUB[:cut])


@pytest.mark.parametrize("cut", range(1, len(SAMPLE_ASG)))
def test_every_truncated_assignment_is_a_value_error(cut):
    with pytest.raises(ValueError, match="truncated consumer protocol assignment"):
        decode_assignment(SAMPLE_ASG[:cut])


@pytest.mark.parametrize("data, match", [
    (i16(-1) + i32(0) + i32(-1), "unsupported consumer protocol subscription version -1"),
    (i16(0) + i32(-1) + i32(-1), "topics has count -1 but is not nullable"),
    (i16(0) + i32(1) + i16(-1) + i32(-1), "length -1 .the field is not nullable"),
    (i16(0) + i32(0) + i32(-2), "user_data has length -2"),
    (i16(3) + i32(0) + i32(-1) + i32(0) + i32(-1) + i16(-2), "rack_id has length -2"),
    (i16(0) + i32(0x7FFFFFFF) + i32(-1), "claims 2147483647 elements"),
])
def test_malformed_subscriptions_are_value_errors(data, match):
    with pytest.raises(ValueError, match=match):
        decode_subscription(data)


def test_malformed_assignments_are_value_errors():
    with pytest.raises(ValueError, match="unsupported consumer protocol assignment version -3"):
        decode_assignment(i16(-3) + i32(0) + i32(-1))
    with pytest.raises(ValueError, match="partitions of 't' has count -1"):
        decode_assignment(i16(0) + i32(1) + s("t") + i32(-1) + i32(-1))


@given(st.binary(max_size=64))
def test_random_bytes_decode_or_raise_value_error_only(data):
    for decode in (decode_subscription, decode_assignment):
        try:
            decode(data)
        except ValueError:
            pass


@given(st.binary(max_size=48), st.integers(0, 3))
def test_garbage_after_a_valid_version_prefix_only_raises_value_error(body, version):
    for decode in (decode_subscription, decode_assignment):
        try:
            decode(i16(version) + body)
        except ValueError:
            pass


def test_encoding_argument_checks():
    with pytest.raises(TypeError, match="topics must be an iterable of str"):
        encode_subscription("orders")
    with pytest.raises(TypeError, match=r"topics\[1\] must be a str"):
        encode_subscription(["a", 1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at most 32767"):
        encode_subscription(["x" * 32768])
    with pytest.raises(ValueError, match="UTF-8"):
        encode_subscription(["\ud800"])
    with pytest.raises(ValueError, match="unsupported subscription version -1"):
        encode_subscription([], version=-1)
    with pytest.raises(ValueError, match="generation_id must fit in a signed 32-bit int"):
        encode_subscription([], generation_id=1 << 31)
    with pytest.raises(TypeError, match="user_data must be bytes or None"):
        encode_subscription([], user_data="text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"owned_partitions\[0\] must be a \(topic, partition\) pair"):
        encode_subscription([], owned_partitions=["t"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"partitions\[0\] partition must be an int"):
        encode_assignment([("t", "0")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="signed 32-bit"):
        encode_assignment([("t", -(1 << 31) - 1)])
    with pytest.raises(TypeError, match="rack_id must be a str or None"):
        encode_subscription([], rack_id=3, version=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="data must be bytes"):
        decode_assignment("0000")  # type: ignore[arg-type]


# ---------------------------------------------------------------- round trips

topic = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
int32 = st.integers(-(1 << 31), (1 << 31) - 1)
pairs = st.lists(st.tuples(topic, int32), max_size=8)
user_data = st.none() | st.binary(max_size=16)


def grouped(pairs_: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """What the wire keeps of a pair list: grouped by first-seen topic, order kept within a topic."""
    by_topic: dict[str, list[int]] = {}
    for t, p in pairs_:
        by_topic.setdefault(t, []).append(p)
    return tuple((t, p) for t, ps in by_topic.items() for p in ps)


@pytest.mark.parametrize("version", [0, 1, 2, 3])
@given(topics=st.lists(topic, max_size=6), ud=user_data, owned=pairs, generation=int32,
       rack=st.none() | topic)
def test_subscription_round_trip(version, topics, ud, owned, generation, rack):
    data = encode_subscription(topics, ud, owned, generation, rack, version=version)
    sub = decode_subscription(data)
    assert sub == ConsumerProtocolSubscription(
        version,
        tuple(topics),
        ud,
        grouped(owned) if version >= 1 else (),
        generation if version >= 2 else -1,
        rack if version >= 3 else None,
    )
    assert sub.encode() == data


@pytest.mark.parametrize("version", [0, 1, 2, 3])
@given(assigned=pairs, ud=user_data)
def test_assignment_round_trip(version, assigned, ud):
    data = encode_assignment(assigned, ud, version=version)
    asg = decode_assignment(data)
    assert asg == ConsumerProtocolAssignment(version, grouped(assigned), ud)
    assert asg.encode() == data


# ---------------------------------------------------------------- kafka-python as an oracle

# kafka-python 3.0.12 loads its JSON schemas with importlib.resources.read_text (deprecated).
kp_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning")

def _kafka_python():
    try:
        from kafka.protocol.consumer.metadata import (
            ConsumerProtocolAssignment as KpAssignment,
            ConsumerProtocolSubscription as KpSubscription,
        )
    except Exception as exc:  # noqa: BLE001 - any import failure means "oracle unavailable"
        pytest.skip(f"kafka-python's consumer protocol classes are not importable: {exc!r}")
    return KpSubscription, KpAssignment


def _kp_topic_partitions(cls, pairs_):
    by_topic: dict[str, list[int]] = {}
    for t, p in pairs_:
        by_topic.setdefault(t, []).append(p)
    return [cls.TopicPartition(topic=t, partitions=ps) for t, ps in by_topic.items()]


@kp_warnings
@pytest.mark.parametrize("version", [0, 1, 2, 3])
@given(topics=st.lists(topic, max_size=6), ud=user_data, owned=pairs, generation=int32,
       rack=st.none() | topic)
def test_subscription_bytes_equal_kafka_pythons(version, topics, ud, owned, generation, rack):
    KpSubscription, _ = _kafka_python()
    kp = KpSubscription(version=version, topics=list(topics), user_data=ud,
                        owned_partitions=_kp_topic_partitions(KpSubscription, owned),
                        generation_id=generation, rack_id=rack)
    ours = encode_subscription(topics, ud, owned, generation, rack, version=version)
    assert ours == kp.encode()
    back = KpSubscription.decode(ours)
    assert list(back.topics) == list(topics) and back.user_data == ud


@kp_warnings
@pytest.mark.parametrize("version", [0, 1, 2, 3])
@given(assigned=pairs, ud=user_data)
def test_assignment_bytes_equal_kafka_pythons(version, assigned, ud):
    _, KpAssignment = _kafka_python()
    kp = KpAssignment(version=version,
                      assigned_partitions=_kp_topic_partitions(KpAssignment, assigned), user_data=ud)
    ours = encode_assignment(assigned, ud, version=version)
    assert ours == kp.encode()
    assert decode_assignment(kp.encode()) == ConsumerProtocolAssignment(version, grouped(assigned), ud)
    assert [(tp.topic, tp.partition) for tp in KpAssignment.decode(ours).partitions()] == list(grouped(assigned))


@kp_warnings
def test_decoding_what_kafka_pythons_cooperative_sticky_member_sends():
    # The metadata kp_assign.py builds for a cooperative-sticky member: v2 with owned partitions.
    KpSubscription, _ = _kafka_python()
    md = KpSubscription(version=2, topics=["t"], user_data=b"",
                        owned_partitions=[KpSubscription.TopicPartition(topic="t", partitions=[0, 1])],
                        generation_id=3)
    assert decode_subscription(md.encode()) == ConsumerProtocolSubscription(
        2, ("t",), b"", (("t", 0), ("t", 1)), 3, None)
