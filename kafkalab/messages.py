"""Requests and responses of the group APIs, as frozen dataclasses.

Names follow Kafka's message schemas (``clients/src/main/resources/common/message/*.json``) with
field names in snake_case; durations end in ``_ms``.  Messages are version-agnostic: one class
serves every version, and each request carries the ``api_version`` it was sent with because the
coordinator's behaviour depends on it (MEMBER_ID_REQUIRED from JoinGroup v4, ``skip_assignment``
from v9, batched LeaveGroup from v3, ...).  Fields a version lacks keep their default.

Two fields that Kafka carries in the request *header* rather than the body live on the requests
that need them: ``client_id`` and ``client_host`` (JoinGroup), because the coordinator stores them
on the member.

Every message checks its field types when it is built, so a request object with a wrong type
raises a clear ``TypeError`` before it can reach a group (lists are accepted and frozen into
tuples).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Optional

from .errors import ErrorCode

__all__ = [
    "Message", "Request", "Response",
    "FindCoordinatorRequest", "FindCoordinatorResponse", "FindCoordinatorEntry",
    "JoinGroupRequest", "JoinGroupRequestProtocol", "JoinGroupResponse", "JoinGroupResponseMember",
    "SyncGroupRequest", "SyncGroupRequestAssignment", "SyncGroupResponse",
    "HeartbeatRequest", "HeartbeatResponse",
    "LeaveGroupRequest", "MemberIdentity", "LeaveGroupResponse", "MemberResponse",
    "OffsetCommitRequest", "OffsetCommitRequestTopic", "OffsetCommitRequestPartition",
    "OffsetCommitResponse", "OffsetCommitResponseTopic", "OffsetCommitResponsePartition",
    "OffsetFetchRequest", "OffsetFetchRequestTopic",
    "OffsetFetchResponse", "OffsetFetchResponseTopic", "OffsetFetchResponsePartition",
    "DescribeGroupsRequest", "DescribeGroupsResponse", "DescribedGroup", "DescribedGroupMember",
    "ListGroupsRequest", "ListGroupsResponse", "ListedGroup",
    "ConsumerGroupHeartbeatRequest", "ConsumerGroupHeartbeatResponse",
    "ConsumerGroupHeartbeatTopicPartitions", "ConsumerGroupHeartbeatAssignment",
    "ConsumerGroupDescribeRequest", "ConsumerGroupDescribeResponse", "ConsumerGroupDescribedGroup",
    "ConsumerGroupDescribeMember", "ConsumerGroupDescribeAssignment", "ConsumerGroupDescribeTopicPartitions",
    "API_VERSIONS",
]

#: Version ranges modelled for each request (Kafka 4.0's ranges for the group APIs).
API_VERSIONS: dict[str, tuple[int, int]] = {
    "FindCoordinator": (0, 6),
    "JoinGroup": (0, 9),
    "SyncGroup": (0, 5),
    "Heartbeat": (0, 4),
    "LeaveGroup": (0, 5),
    "OffsetCommit": (2, 9),
    "OffsetFetch": (1, 9),
    "DescribeGroups": (0, 5),
    "ListGroups": (0, 5),
    "ConsumerGroupHeartbeat": (0, 1),
    "ConsumerGroupDescribe": (0, 1),
}

def _describe(tp: object) -> str:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join("None" if a is type(None) else _describe(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is tuple:
        return f"a tuple of {_describe(typing.get_args(tp)[0])}"
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _compile(cls_name: str, name: str, tp: Any) -> Callable[[Any], Any]:
    """Build a checker for field ``name`` of annotation ``tp``: value -> value (lists become
    tuples, ints become ErrorCode where the field is one), or TypeError naming the field."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(tp))
        inner = [_compile(cls_name, name, a) for a in args]

        def check_union(value: Any) -> Any:
            if value is None and nullable:
                return None
            for fn in inner:
                try:
                    return fn(value)
                except TypeError:
                    pass
            raise TypeError(f"{cls_name}.{name} must be {_describe(tp)}, got {type(value).__name__} {value!r}")
        return check_union
    if origin is tuple:
        item = _compile(cls_name, f"{name}[]", typing.get_args(tp)[0])

        def check_tuple(value: Any) -> Any:
            if not isinstance(value, (tuple, list)):
                raise TypeError(
                    f"{cls_name}.{name} must be a tuple (or list), got {type(value).__name__} {value!r}")
            return tuple(item(v) for v in value)
        return check_tuple
    if tp is int or tp is ErrorCode:
        what = "an int" if tp is int else "an ErrorCode"

        def check_int(value: Any) -> Any:
            if value.__class__ is int:
                return ErrorCode.lookup(value) if tp is ErrorCode else value
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{cls_name}.{name} must be {what}, got {type(value).__name__} {value!r}")
            return ErrorCode.lookup(value) if tp is ErrorCode else value
        return check_int
    if tp is bytes:
        def check_bytes(value: Any) -> Any:
            if value.__class__ is bytes:
                return value
            if isinstance(value, (bytearray, memoryview)):
                return bytes(value)
            raise TypeError(f"{cls_name}.{name} must be bytes, got {type(value).__name__} {value!r}")
        return check_bytes

    def check_type(value: Any) -> Any:
        if not isinstance(value, tp):
            raise TypeError(f"{cls_name}.{name} must be {tp.__name__}, got {type(value).__name__} {value!r}")
        return value
    return check_type


_CHECKERS: dict[type, list[tuple[str, Callable[[Any], Any]]]] = {}


@dataclass(frozen=True)
class Message:
    """Base of every message: validates and freezes field values after construction."""

    def __post_init__(self) -> None:
        cls = type(self)
        checkers = _CHECKERS.get(cls)
        if checkers is None:
            hints = typing.get_type_hints(cls)
            checkers = [(f.name, _compile(cls.__name__, f.name, hints[f.name])) for f in dataclasses.fields(cls)]
            _CHECKERS[cls] = checkers
        for name, check in checkers:
            value = getattr(self, name)
            checked = check(value)
            if checked is not value:
                object.__setattr__(self, name, checked)


@dataclass(frozen=True)
class Request(Message):
    """A request; ``api_version`` is checked against the modelled range of its API."""

    API: ClassVar[str] = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = API_VERSIONS[self.API]
        version = getattr(self, "api_version")
        if not lo <= version <= hi:
            raise ValueError(
                f"{type(self).__name__}.api_version={version} is outside the modelled range "
                f"{lo}..{hi} of {self.API}; pick a version in that range"
            )


@dataclass(frozen=True)
class Response(Message):
    """A response."""


# ---------------------------------------------------------------- FindCoordinator (key 10)

@dataclass(frozen=True)
class FindCoordinatorRequest(Request):
    """v0-3 carry one ``key``; v4+ (KIP-699) carry ``coordinator_keys``. Key type 0 = group,
    1 = transaction, 2 = share (v6)."""

    API: ClassVar[str] = "FindCoordinator"
    api_version: int = 2
    key: str = ""
    key_type: int = 0
    coordinator_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class FindCoordinatorEntry(Response):
    """One entry of a batched (v4+) FindCoordinator answer (Kafka's
    ``FindCoordinatorResponse.Coordinator``; renamed so it never shadows ``kafkalab.Coordinator``)."""

    key: str
    node_id: int
    host: str
    port: int
    error_code: ErrorCode = ErrorCode.NONE
    error_message: Optional[str] = None


@dataclass(frozen=True)
class FindCoordinatorResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    error_message: Optional[str] = None
    node_id: int = -1
    host: str = ""
    port: int = -1
    coordinators: tuple[FindCoordinatorEntry, ...] = ()
    throttle_time_ms: int = 0


# ---------------------------------------------------------------- JoinGroup (key 11)

@dataclass(frozen=True)
class JoinGroupRequestProtocol(Message):
    """One (assignor name, subscription metadata) pair, in the member's preference order."""

    name: str
    metadata: bytes = b""


@dataclass(frozen=True)
class JoinGroupRequest(Request):
    API: ClassVar[str] = "JoinGroup"
    group_id: str = ""
    session_timeout_ms: int = 45000
    rebalance_timeout_ms: int = 300000
    member_id: str = ""
    group_instance_id: Optional[str] = None
    protocol_type: str = "consumer"
    protocols: tuple[JoinGroupRequestProtocol, ...] = ()
    reason: Optional[str] = None
    api_version: int = 5
    client_id: str = "consumer"
    client_host: str = "/127.0.0.1"


@dataclass(frozen=True)
class JoinGroupResponseMember(Message):
    member_id: str
    group_instance_id: Optional[str] = None
    metadata: bytes = b""


@dataclass(frozen=True)
class JoinGroupResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    generation_id: int = -1
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None
    leader: str = ""
    skip_assignment: bool = False
    member_id: str = ""
    members: tuple[JoinGroupResponseMember, ...] = ()


# ---------------------------------------------------------------- SyncGroup (key 14)

@dataclass(frozen=True)
class SyncGroupRequestAssignment(Message):
    member_id: str
    assignment: bytes = b""


@dataclass(frozen=True)
class SyncGroupRequest(Request):
    API: ClassVar[str] = "SyncGroup"
    group_id: str = ""
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: Optional[str] = None
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None
    assignments: tuple[SyncGroupRequestAssignment, ...] = ()
    api_version: int = 3


@dataclass(frozen=True)
class SyncGroupResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    protocol_type: Optional[str] = None
    protocol_name: Optional[str] = None
    assignment: bytes = b""


# ---------------------------------------------------------------- Heartbeat (key 12)

@dataclass(frozen=True)
class HeartbeatRequest(Request):
    API: ClassVar[str] = "Heartbeat"
    group_id: str = ""
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: Optional[str] = None
    api_version: int = 3


@dataclass(frozen=True)
class HeartbeatResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE


# ---------------------------------------------------------------- LeaveGroup (key 13)

@dataclass(frozen=True)
class MemberIdentity(Message):
    member_id: str = ""
    group_instance_id: Optional[str] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class LeaveGroupRequest(Request):
    """v0-2 name one ``member_id``; v3+ (KIP-345) list ``members`` (batch leave, by instance id)."""

    API: ClassVar[str] = "LeaveGroup"
    group_id: str = ""
    member_id: str = ""
    members: tuple[MemberIdentity, ...] = ()
    api_version: int = 3


@dataclass(frozen=True)
class MemberResponse(Message):
    member_id: str
    group_instance_id: Optional[str] = None
    error_code: ErrorCode = ErrorCode.NONE


@dataclass(frozen=True)
class LeaveGroupResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    members: tuple[MemberResponse, ...] = ()


# ---------------------------------------------------------------- OffsetCommit (key 8)

@dataclass(frozen=True)
class OffsetCommitRequestPartition(Message):
    partition_index: int
    committed_offset: int
    committed_leader_epoch: int = -1
    committed_metadata: Optional[str] = ""


@dataclass(frozen=True)
class OffsetCommitRequestTopic(Message):
    name: str
    partitions: tuple[OffsetCommitRequestPartition, ...] = ()


@dataclass(frozen=True)
class OffsetCommitRequest(Request):
    """``generation_id`` is Kafka's ``generation_id_or_member_epoch`` (renamed in v9)."""

    API: ClassVar[str] = "OffsetCommit"
    group_id: str = ""
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: Optional[str] = None
    retention_time_ms: int = -1
    topics: tuple[OffsetCommitRequestTopic, ...] = ()
    api_version: int = 8


@dataclass(frozen=True)
class OffsetCommitResponsePartition(Message):
    partition_index: int
    error_code: ErrorCode = ErrorCode.NONE


@dataclass(frozen=True)
class OffsetCommitResponseTopic(Message):
    name: str
    partitions: tuple[OffsetCommitResponsePartition, ...] = ()


@dataclass(frozen=True)
class OffsetCommitResponse(Response):
    topics: tuple[OffsetCommitResponseTopic, ...] = ()


# ---------------------------------------------------------------- OffsetFetch (key 9)

@dataclass(frozen=True)
class OffsetFetchRequestTopic(Message):
    name: str
    partition_indexes: tuple[int, ...] = ()


@dataclass(frozen=True)
class OffsetFetchRequest(Request):
    """``topics=None`` asks for every committed offset of the group (v2+).  ``member_id`` and
    ``member_epoch`` (v9+, KIP-848) let a consumer-protocol member fetch as itself; ``None`` and
    -1 are an admin's (or a classic client's) fetch."""

    API: ClassVar[str] = "OffsetFetch"
    group_id: str = ""
    topics: Optional[tuple[OffsetFetchRequestTopic, ...]] = None
    require_stable: bool = False
    api_version: int = 7
    member_id: Optional[str] = None
    member_epoch: int = -1


@dataclass(frozen=True)
class OffsetFetchResponsePartition(Message):
    partition_index: int
    committed_offset: int = -1
    committed_leader_epoch: int = -1
    metadata: Optional[str] = ""
    error_code: ErrorCode = ErrorCode.NONE


@dataclass(frozen=True)
class OffsetFetchResponseTopic(Message):
    name: str
    partitions: tuple[OffsetFetchResponsePartition, ...] = ()


@dataclass(frozen=True)
class OffsetFetchResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    topics: tuple[OffsetFetchResponseTopic, ...] = ()


# ---------------------------------------------------------------- DescribeGroups (key 15)

@dataclass(frozen=True)
class DescribeGroupsRequest(Request):
    API: ClassVar[str] = "DescribeGroups"
    groups: tuple[str, ...] = ()
    include_authorized_operations: bool = False
    api_version: int = 5


@dataclass(frozen=True)
class DescribedGroupMember(Message):
    member_id: str
    group_instance_id: Optional[str] = None
    client_id: str = ""
    client_host: str = ""
    member_metadata: bytes = b""
    member_assignment: bytes = b""


@dataclass(frozen=True)
class DescribedGroup(Message):
    error_code: ErrorCode = ErrorCode.NONE
    group_id: str = ""
    group_state: str = ""
    protocol_type: str = ""
    protocol_data: str = ""
    members: tuple[DescribedGroupMember, ...] = ()


@dataclass(frozen=True)
class DescribeGroupsResponse(Response):
    groups: tuple[DescribedGroup, ...] = ()


# ---------------------------------------------------------------- ListGroups (key 16)

@dataclass(frozen=True)
class ListGroupsRequest(Request):
    """``states_filter`` (v4+) and ``types_filter`` (v5+) narrow the answer; empty means all."""

    API: ClassVar[str] = "ListGroups"
    states_filter: tuple[str, ...] = ()
    types_filter: tuple[str, ...] = ()
    api_version: int = 4


@dataclass(frozen=True)
class ListedGroup(Message):
    group_id: str
    protocol_type: str = ""
    group_state: str = ""
    group_type: str = "classic"


@dataclass(frozen=True)
class ListGroupsResponse(Response):
    error_code: ErrorCode = ErrorCode.NONE
    groups: tuple[ListedGroup, ...] = ()


# ---------------------------------------------------------------- ConsumerGroupHeartbeat (key 68)
#
# KIP-848's one request of the consumer protocol: join (member_epoch 0), heartbeat and acknowledge
# (> 0), leave (-1) or leave temporarily as a static member (-2).  Topics travel by topic id only
# (Kafka's 16-byte Uuid, written here in Kafka's 22-character base64 form, see
# kafkalab.modern.metadata).  ``None`` means "not sent / unchanged since the last heartbeat".


@dataclass(frozen=True)
class ConsumerGroupHeartbeatTopicPartitions(Message):
    """Kafka's ``TopicPartitions`` struct of both the request and the response."""

    topic_id: str
    partitions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConsumerGroupHeartbeatRequest(Request):
    """v0 (Kafka 3.7+): the coordinator generates the member id of a join with ``member_id=""``;
    v1 (KIP-1082, Kafka 4.0): the client generates it and may send ``subscribed_topic_regex``.

    ``client_id`` and ``client_host`` come from the request header in Kafka (see module docstring).

    Raises:
        ValueError: ``subscribed_topic_regex`` is set on a v0 request (the field does not exist
            there), or ``api_version`` is outside 0..1.
    """

    API: ClassVar[str] = "ConsumerGroupHeartbeat"
    group_id: str = ""
    member_id: str = ""
    member_epoch: int = 0
    instance_id: Optional[str] = None
    rack_id: Optional[str] = None
    rebalance_timeout_ms: int = -1
    subscribed_topic_names: Optional[tuple[str, ...]] = None
    subscribed_topic_regex: Optional[str] = None
    server_assignor: Optional[str] = None
    topic_partitions: Optional[tuple[ConsumerGroupHeartbeatTopicPartitions, ...]] = None
    api_version: int = 1
    client_id: str = "consumer"
    client_host: str = "/127.0.0.1"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.api_version < 1 and self.subscribed_topic_regex is not None:
            raise ValueError(
                "ConsumerGroupHeartbeatRequest.subscribed_topic_regex needs api_version >= 1 "
                "(the field does not exist in v0); send it with api_version=1"
            )


@dataclass(frozen=True)
class ConsumerGroupHeartbeatAssignment(Message):
    """The partitions the member may use now (never those pending revocation)."""

    topic_partitions: tuple[ConsumerGroupHeartbeatTopicPartitions, ...] = ()

    def as_dict(self) -> dict[str, frozenset[int]]:
        """``{topic_id: frozenset(partitions)}``, topics without partitions left out."""
        return {t.topic_id: frozenset(t.partitions) for t in self.topic_partitions if t.partitions}


@dataclass(frozen=True)
class ConsumerGroupHeartbeatResponse(Response):
    """``assignment=None`` means "unchanged since the last one" (not "empty")."""

    error_code: ErrorCode = ErrorCode.NONE
    error_message: Optional[str] = None
    member_id: Optional[str] = None
    member_epoch: int = 0
    heartbeat_interval_ms: int = 0
    assignment: Optional[ConsumerGroupHeartbeatAssignment] = None
    throttle_time_ms: int = 0


# ---------------------------------------------------------------- ConsumerGroupDescribe (key 69)

@dataclass(frozen=True)
class ConsumerGroupDescribeRequest(Request):
    """v1 (KIP-1099) only adds ``member_type`` to the response."""

    API: ClassVar[str] = "ConsumerGroupDescribe"
    group_ids: tuple[str, ...] = ()
    include_authorized_operations: bool = False
    api_version: int = 1


@dataclass(frozen=True)
class ConsumerGroupDescribeTopicPartitions(Message):
    topic_id: str
    topic_name: str
    partitions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConsumerGroupDescribeAssignment(Message):
    topic_partitions: tuple[ConsumerGroupDescribeTopicPartitions, ...] = ()


@dataclass(frozen=True)
class ConsumerGroupDescribeMember(Message):
    """``member_type`` (v1+): 1 consumer protocol, 0 classic protocol, -1 unknown (v0)."""

    member_id: str
    instance_id: Optional[str] = None
    rack_id: Optional[str] = None
    member_epoch: int = 0
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: tuple[str, ...] = ()
    subscribed_topic_regex: Optional[str] = None
    assignment: ConsumerGroupDescribeAssignment = field(default_factory=ConsumerGroupDescribeAssignment)
    target_assignment: ConsumerGroupDescribeAssignment = field(default_factory=ConsumerGroupDescribeAssignment)
    member_type: int = -1


@dataclass(frozen=True)
class ConsumerGroupDescribedGroup(Message):
    """One group of a ConsumerGroupDescribe answer (Kafka's ``DescribedGroup``; renamed so it
    never shadows the classic DescribeGroups' :class:`DescribedGroup`)."""

    error_code: ErrorCode = ErrorCode.NONE
    error_message: Optional[str] = None
    group_id: str = ""
    group_state: str = ""
    group_epoch: int = 0
    assignment_epoch: int = 0
    assignor_name: str = ""
    members: tuple[ConsumerGroupDescribeMember, ...] = ()
    authorized_operations: int = -2147483648


@dataclass(frozen=True)
class ConsumerGroupDescribeResponse(Response):
    groups: tuple[ConsumerGroupDescribedGroup, ...] = ()
    throttle_time_ms: int = 0
