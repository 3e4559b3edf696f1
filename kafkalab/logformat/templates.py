"""The table of log statements: each a :class:`Template`, one per line a client or the broker writes.

How it works
------------
A :class:`Template` is one log statement: its ``key`` (the name the writer and the reader share),
the client (``"java"``, ``"librdkafka"``, ``"broker"``), its logger or facility and level, and its
``text``, the message with ``{field}`` placeholders.  Each placeholder matches what :data:`FIELDS`
says the field looks like (numbers for the counted ones), so :meth:`Template.match` reads the fields
back out of a message as written; :meth:`Template.format` fills them in.  :data:`JAVA`,
:data:`LIBRDKAFKA` and :data:`BROKER` are the three tables, :data:`TEMPLATES` the same by client
and key; :func:`format` and :func:`match` look a template up.  Each entry's ``source`` names the
file and line of the client that writes it.

Where the lines come from (facts from the clients' sources; the sentences are theirs):

* Java, Apache Kafka 3.9 / 4.0 (``clients/src/main/java/org/apache/kafka/clients/consumer/internals``):
  ``AbstractCoordinator.java`` - "(Re-)joining group" (sendJoinGroupRequest, l. 605), "Successfully
  joined group with generation {}" (JoinGroupResponseHandler, l. 666), "JoinGroup failed: {} Need to
  re-join the group. Sent generation was {}" (l. 683), "JoinGroup failed due to non-fatal error:
  REBALANCE_IN_PROGRESS, ..." (l. 736), "Successfully synced group in generation {}" (l. 843),
  "SyncGroup failed: The group began another rebalance. Need to re-join the group. Sent generation
  was {}" (l. 867), "SyncGroup failed: {} Need to re-join the group. Sent generation was {}"
  (l. 878), "Discovered group coordinator {}" (l. 937), "Group coordinator {} is unavailable or
  invalid due to cause: {}. isDisconnected: {}. Rediscovery will be attempted." (l. 1000),
  "Resetting generation {}due to: {}" (l. 1056), "Request joining group due to: {}" (l. 1103),
  "consumer poll timeout has expired. This means ..." (handlePollTimeoutExpiry, l. 1148), "Member {}
  sending LeaveGroup request to coordinator {} due to {}" (maybeLeaveGroup, l. 1174), "Attempt to
  heartbeat with {} and group instance id {} failed due to {}, resetting generation" (l. 1267);
  ``ConsumerCoordinator.java`` - "Notifying assignor about the new {}" (l. 324), "Finished
  assignment for group at generation {}: {}" (l. 664), "Giving away all assigned partitions as lost
  since generation/memberID has been reset,indicating that consumer is in old state or no longer
  part of the group" (l. 778); ``ConsumerRebalanceListenerInvoker.java`` - "Adding newly assigned
  partitions: {}" (l. 58), "Revoke previously assigned partitions {}" (l. 80), "Lost previously
  assigned partitions {}" (l. 106); ``common/utils/AppInfoParser.java`` - "App info {} for {}
  unregistered" (l. 89, when the consumer is closed).  Kafka 2.x logged "Attempt to heartbeat
  failed since group is rebalancing" for a heartbeat answered REBALANCE_IN_PROGRESS; KAFKA-12352
  (Kafka 3.0) replaced it with "Request joining group due to: group is already rebalancing".
  Every line of a consumer carries its ``LogContext`` prefix ``[Consumer clientId=c1, groupId=g] ``
  (``[Consumer instanceId=i1, clientId=c1, groupId=g] `` for a static member; ConsumerUtils.java
  l. 114-123).  The logger of the coordinator's lines is ``ConsumerCoordinator`` (AbstractCoordinator
  logs with ``this.getClass()``).  Kafka's own log4j layout is ``[%d] %p %m (%c)%n``.
* librdkafka 2.x (``src/rdkafka_cgrp.c`` unless noted): "Joining group \\"%s\\" with %d subscribed
  topic(s) and member id \\"%s\\"", "JoinGroup response: GenerationId %d, Protocol %s, LeaderId
  %s%s, my MemberId %s, member metadata count %d: %s", "SyncGroup response: %s (%d bytes of
  MemberState data)", "Group \\"%s\\" heartbeat error response in state %s (join-state %s, %d
  partition(s) assigned): %s", "Application maximum poll interval (%dms) exceeded by %dms (adjust
  max.poll.interval.ms for long-running message processing): leaving group" (MAXPOLL, a warning,
  so it is logged without ``debug``), "Group \\"%s\\": delegating %s of %d partition(s) to application
  on queue %s: %s", "Group \\"%s\\": leave (in state %s)", "LeaveGroup response received in state
  %s"; ``src/rdkafka.c``: "Closing consumer", "Consumer closed".  librdkafka writes each line as
  ``%<syslog level>|<unix seconds>.<ms>|<FACILITY>|<client.id>#consumer-<n>| [thrd:<thread>]:
  <message>`` on stderr, or hands ``<FACILITY> [<name>] [thrd:...]: <message>`` to a Python
  ``logger`` (confluent-kafka).  Error texts are librdkafka's ``rd_kafka_err2str`` descriptions
  (``src/rdkafka.c``, :data:`.spellings.LIBRDKAFKA_ERRORS`).
* The broker's group coordinator (:data:`BROKER`), Apache Kafka 3.9/4.0
  (``group-coordinator/src/main/java/org/apache/kafka/coordinator/group/``):
  ``GroupMetadataManager.java`` - "Dynamic member with unknown member id joins group {} in {} state.
  Created a new member id {} and requesting the member to rejoin with this id." (l. 4254), "Pending
  dynamic member with id {} joins group {} in {} state. Adding to the group now." (l. 4324), "Static
  member with groupInstanceId={} and unknown member id joins group {} in {} state. Replacing
  previously mapped member {} ..." / "... Created a new member id {} for this member and added to
  the group." (l. 4208, 4221), "Preparing to rebalance group {} in state {} with old generation {}
  (reason: {})." (l. 4816; the state is printed after the transition, so it always reads
  PreparingRebalance; the reason is the coordinator's sentence with the client's KIP-800 reason,
  ``JoinGroupRequest.joinReason``: "not provided" when the JoinGroup carried none), "Group {}
  removed dynamic members who haven't joined: {}" (l. 4483), "Group {} could not complete rebalance
  because no members rejoined." (l. 4493, ERROR), "Group {} with generation {} is now empty."
  (l. 4507), "Stabilized group {} generation {} with {} members." (l. 4526), "Pending member {} in
  group {} has been removed after session timeout expiration." (l. 4601), "Member {} in group {}
  has failed, removing it from the group." (l. 4610), "Static member which joins during Stable stage
  and doesn't affect the selected protocol will not trigger a rebalance." (l. 5132), "Assignment
  received from leader {} for group {} for generation {}. The group has {} members, {} of which are
  static." (l. 5285), "[Group {}] Pending member {} has left group through explicit `LeaveGroup`
  request; client reason: {}" (l. 5848), "[Group {}] Member {} has left group through explicit
  `LeaveGroup` request; client reason: {}" (l. 5926), "Loaded classic group {} with {} members."
  (l. 3830), "[GroupId={}] Unloading group metadata for generation {}." (l. 3872);
  ``classic/ClassicGroup.java`` - "Request memberId={} for static member with groupInstanceId={} is
  fenced by existing memberId={} during operation {}" (l. 801; an OffsetCommit's operation is printed
  "txn-offset-commit" and a TxnOffsetCommit's "offset-commit", as ``validateOffsetCommit`` (l. 842)
  has them swapped).  Every line carries the coordinator
  shard's ``LogContext`` prefix ``[GroupCoordinator id=<broker> topic=__consumer_offsets
  partition=<n>] `` (``GroupCoordinatorService`` l. 178, ``CoordinatorRuntime`` l. 597) and is
  written in the broker's log4j layout ``[%d] %p %m (%c)%n`` (``config/log4j.properties``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

JAVA_COORDINATOR_LOGGER = "org.apache.kafka.clients.consumer.internals.ConsumerCoordinator"
JAVA_LISTENER_LOGGER = "org.apache.kafka.clients.consumer.internals.ConsumerRebalanceListenerInvoker"
JAVA_APP_INFO_LOGGER = "org.apache.kafka.common.utils.AppInfoParser"

#: How each field is spelled in a message: field name -> regular expression (no groups).
FIELDS: dict[str, str] = {
    # Java
    "generation": r"Generation\{generationId=-?\d+, memberId='[^']*', protocol='[^']*'\}",
    "partitions": r"(?:[^\s,]+-\d+(?:, [^\s,]+-\d+)*)?",
    "assignment": r"Assignment\(partitions=\[[^\]]*\](?:, userDataSize=\d+)?\)",
    "assignments": r"\{.*\}",
    "coordinator": r"\S+:\d+ \(id: -?\d+ rack: [^)]*\)",
    "instance_id": r"Optional(?:\.empty|\[[^\]]*\])",
    "error": r"[A-Z_]+",
    "error_message": r".+?",
    "member_id": r"\S*",
    "reason": r".*",
    "cause": r".*?",
    "is_disconnected": r"true|false",
    "client_id": r"\S+",
    # librdkafka
    "group": r"[^\"]*",
    "broker": r"\S+",
    "rd_error": r".*",
    "me": r"(?: \(me\))?",
    "protocol": r"\S*",
    "leader_id": r"\S*",
    "action": r"assign|revoke",
    "queue": r"\S+",
    "state": r"[a-z-]+",
    "join_state": r"[a-z-]+",
    "host": r"[^\s:]+|\[[^\]]+\]",
    "op": r"[A-Z_]+",
    "assignor": r"[^\"]+",
    "old": r"[^\"]*",
    "new": r"[^\"]*",
    "and_member_id": r"(?:and member id )?",
    "error_name": r"[A-Z_]+",
    "elapsed": r"[\d.]+",
    "old_state": r"[a-z-]+",
    "new_state": r"[a-z-]+",
    "change": r"added to|removed from",
    # broker
    "group_id": r"\S+",
    "group_state": r"[A-Za-z]+",
    "member_list": r"\[[^\]]*\]",
    "group_instance_id": r"\S+",
    "existing_member_id": r"\S+",
    "operation": r"[a-z-]+",
}
_INT = r"-?\d+"
_INT_FIELDS = {"generation_id", "member_count", "count", "topic_count", "ms", "exceeded_ms", "bytes", "node_id",
               "port", "old_id", "new_id", "assigned",
               "static_count"}


@dataclass(frozen=True)
class Template:
    """One log statement of a client.

    Attributes:
        key: a stable name (``"joined"``) shared by the writer and the reader.
        client: ``"java"`` or ``"librdkafka"``.
        logger: the Java logger (class name) or librdkafka's facility (``"JOINGROUP"``).
        level: the level it is logged at (``"INFO"``, ``"WARN"``; librdkafka: ``"7"`` debug, ``"4"``
            warning).
        text: the message, with ``{field}`` placeholders spelled as :data:`FIELDS` says.
        source: where the client writes it.
    """

    key: str
    client: str
    logger: str
    level: str
    text: str
    source: str
    _regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", _compile(self.text))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.text))

    def format(self, **values: object) -> str:
        """The message with ``values`` filled in (already spelled: use :func:`.spellings.java_generation` etc.)."""
        missing = sorted(set(self.fields) - set(values))
        if missing:
            raise ValueError(f"template {self.key!r} needs {missing}")
        return self.text.format(**values)

    def match(self, message: str) -> Optional[dict[str, str]]:
        """The fields of ``message`` (as written) if it is this template's, else None."""
        m = self._regex.match(message)
        return m.groupdict() if m else None


def _compile(text: str) -> re.Pattern:
    out = []
    pos = 0
    for m in re.finditer(r"\{(\w+)\}", text):
        out.append(re.escape(text[pos:m.start()]))
        name = m.group(1)
        pattern = _INT if name in _INT_FIELDS else FIELDS.get(name, r".*?")
        out.append(f"(?P<{name}>{pattern})")
        pos = m.end()
    out.append(re.escape(text[pos:]))
    return re.compile("^" + "".join(out) + r"\s*$")


_KAFKA = "Apache Kafka 3.9/4.0 clients/.../consumer/internals/"
_RD = "librdkafka 2.x src/rdkafka_cgrp.c"

#: The Java consumer's lines (INFO unless said otherwise).
JAVA: tuple[Template, ...] = (
    Template("discovered", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Discovered group coordinator {coordinator}",
             _KAFKA + "AbstractCoordinator.java:937"),
    Template("coordinator_unknown", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Group coordinator {coordinator} is unavailable or invalid due to cause: {cause}. "
             "isDisconnected: {is_disconnected}. Rediscovery will be attempted.",
             _KAFKA + "AbstractCoordinator.java:1000"),
    Template("joining", "java", JAVA_COORDINATOR_LOGGER, "INFO", "(Re-)joining group",
             _KAFKA + "AbstractCoordinator.java:605"),
    Template("joined", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Successfully joined group with generation {generation}",
             _KAFKA + "AbstractCoordinator.java:666"),
    Template("join_failed_rejoin", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "JoinGroup failed: {error_message} Need to re-join the group. Sent generation was {generation}",
             _KAFKA + "AbstractCoordinator.java:683"),
    Template("join_failed_coordinator", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "JoinGroup failed: {error_message} Marking coordinator unknown. Sent generation was {generation}",
             _KAFKA + "AbstractCoordinator.java:695"),
    Template("join_failed_rebalancing", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "JoinGroup failed due to non-fatal error: REBALANCE_IN_PROGRESS, which could indicate a replication "
             "timeout on the broker. Will retry.", _KAFKA + "AbstractCoordinator.java:736"),
    Template("join_failed_loading", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "JoinGroup failed: Coordinator {coordinator} is loading the group.", _KAFKA + "AbstractCoordinator.java:679"),
    Template("join_failed_fenced", "java", JAVA_COORDINATOR_LOGGER, "ERROR",
             "JoinGroup failed: The group instance id {instance_id} has been fenced by another instance. "
             "Sent generation was {generation}", _KAFKA + "AbstractCoordinator.java:701"),
    Template("sync_failed_fenced", "java", JAVA_COORDINATOR_LOGGER, "ERROR",
             "SyncGroup failed: The group instance id {instance_id} has been fenced by another instance. "
             "Sent generation was {generation}", _KAFKA + "AbstractCoordinator.java:873"),
    Template("heartbeat_coordinator", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Attempt to heartbeat failed since coordinator {coordinator} is either not started or not valid",
             _KAFKA + "AbstractCoordinator.java:1247"),
    Template("commit_fenced", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "OffsetCommit failed with {generation} due to group instance id {instance_id} fenced",
             _KAFKA + "ConsumerCoordinator.java:1357"),
    Template("heartbeat_stale", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Attempt to heartbeat with stale {generation} and group instance id {instance_id} failed due to "
             "{error}, ignoring the error", _KAFKA + "AbstractCoordinator.java:1274"),
    Template("join_failed_fatal", "java", JAVA_COORDINATOR_LOGGER, "ERROR",
             "JoinGroup failed due to fatal error: {error_message}", _KAFKA + "AbstractCoordinator.java:710"),
    Template("finished_assignment", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Finished assignment for group at generation {generation_id}: {assignments}",
             _KAFKA + "ConsumerCoordinator.java:664"),
    Template("synced", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Successfully synced group in generation {generation}",
             _KAFKA + "AbstractCoordinator.java:843"),
    Template("sync_failed_rebalancing", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "SyncGroup failed: The group began another rebalance. Need to re-join the group. "
             "Sent generation was {generation}", _KAFKA + "AbstractCoordinator.java:867"),
    Template("sync_failed_rejoin", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "SyncGroup failed: {error_message} Need to re-join the group. Sent generation was {generation}",
             _KAFKA + "AbstractCoordinator.java:878"),
    Template("sync_failed_coordinator", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "SyncGroup failed: {error_message} Marking coordinator unknown. Sent generation was {generation}",
             _KAFKA + "AbstractCoordinator.java:888"),
    Template("notifying_assignor", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Notifying assignor about the new {assignment}",
             _KAFKA + "ConsumerCoordinator.java:324"),
    Template("adding", "java", JAVA_LISTENER_LOGGER, "INFO", "Adding newly assigned partitions: {partitions}",
             _KAFKA + "ConsumerRebalanceListenerInvoker.java:58"),
    Template("revoking", "java", JAVA_LISTENER_LOGGER, "INFO", "Revoke previously assigned partitions {partitions}",
             _KAFKA + "ConsumerRebalanceListenerInvoker.java:80"),
    Template("losing", "java", JAVA_LISTENER_LOGGER, "INFO", "Lost previously assigned partitions {partitions}",
             _KAFKA + "ConsumerRebalanceListenerInvoker.java:106"),
    Template("request_rejoin", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Request joining group due to: {reason}",
             _KAFKA + "AbstractCoordinator.java:1103"),
    Template("heartbeat_rebalancing_2x", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Attempt to heartbeat failed since group is rebalancing",
             "Apache Kafka 2.x AbstractCoordinator.java (removed by KAFKA-12352 in 3.0)"),
    Template("heartbeat_failed", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Attempt to heartbeat with {generation} and group instance id {instance_id} failed due to {error}, "
             "resetting generation", _KAFKA + "AbstractCoordinator.java:1267"),
    Template("resetting", "java", JAVA_COORDINATOR_LOGGER, "INFO", "Resetting generation {and_member_id}due to: {reason}",
             _KAFKA + "AbstractCoordinator.java:1056"),
    Template("poll_timeout", "java", JAVA_COORDINATOR_LOGGER, "WARN",
             "consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer "
             "than the configured max.poll.interval.ms, which typically implies that the poll loop is spending too "
             "much time processing messages. You can address this either by increasing max.poll.interval.ms or by "
             "reducing the maximum size of batches returned in poll() with max.poll.records.",
             _KAFKA + "AbstractCoordinator.java:1148"),
    Template("leaving", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Member {member_id} sending LeaveGroup request to coordinator {coordinator} due to {reason}",
             _KAFKA + "AbstractCoordinator.java:1174"),
    Template("giving_away_lost", "java", JAVA_COORDINATOR_LOGGER, "INFO",
             "Giving away all assigned partitions as lost since generation/memberID has been reset,indicating that "
             "consumer is in old state or no longer part of the group", _KAFKA + "ConsumerCoordinator.java:778"),
    Template("unregistered", "java", JAVA_APP_INFO_LOGGER, "INFO", "App info kafka.consumer for {client_id} unregistered",
             "Apache Kafka common/utils/AppInfoParser.java:89"),
)

#: librdkafka's lines (debug level 7 with ``debug=cgrp`` unless said otherwise).
LIBRDKAFKA: tuple[Template, ...] = (
    Template("coordinator_query", "librdkafka", "CGRPQUERY", "7",
             "{broker}: Group \"{group}\": querying for coordinator: {reason}", _RD + " rd_kafka_cgrp_coord_query"),
    Template("coordinator_is", "librdkafka", "CGRPCOORD", "7",
             "{broker}: Group \"{group}\" coordinator is {host}:{port} id {node_id}",
             _RD + " rd_kafka_cgrp_handle_FindCoordinator"),
    Template("coordinator_error", "librdkafka", "CGRPCOORD", "7",
             "{broker}: Group \"{group}\" FindCoordinator response error: {error_name}: {rd_error}",
             _RD + " rd_kafka_cgrp_handle_FindCoordinator"),
    Template("joining", "librdkafka", "JOIN", "7",
             "{broker}: Joining group \"{group}\" with {topic_count} subscribed topic(s) and member id \"{member_id}\"",
             _RD + " rd_kafka_cgrp_join"),
    Template("join_response", "librdkafka", "JOINGROUP", "7",
             "JoinGroup response: GenerationId {generation_id}, Protocol {protocol}, LeaderId {leader_id}{me}, "
             "my MemberId {member_id}, member metadata count {member_count}: {rd_error}",
             _RD + " rd_kafka_cgrp_handle_JoinGroup"),
    Template("leader_plan", "librdkafka", "ASSIGN", "7",
             "Group \"{group}\" {assignor} assignment for {member_count} member(s) finished in {elapsed}ms:",
             "librdkafka 2.x src/rdkafka_assignor.c rd_kafka_assignor_run"),
    Template("leader_plan_member", "librdkafka", "ASSIGN", "7",
             " Member \"{member_id}\"{me} assigned {count} partition(s):",
             "librdkafka 2.x src/rdkafka_assignor.c rd_kafka_assignor_run"),
    Template("subscription_member", "librdkafka", "ASSIGN", "7",
             " Member \"{member_id}\"{me} with {count} owned partition(s) and {topic_count} subscribed topic(s):",
             "librdkafka 2.x src/rdkafka_assignor.c rd_kafka_assignor_run"),
    Template("assignor_run", "librdkafka", "ASSIGNOR", "7",
             "Group \"{group}\": \"{assignor}\" assignor run for {member_count} member(s)",
             _RD + " rd_kafka_cgrp_assignor_run"),
    Template("join_state", "librdkafka", "CGRPJOINSTATE", "7",
             "Group \"{group}\" changed join state {old_state} -> {new_state} (state {state})",
             _RD + " rd_kafka_cgrp_set_join_state"),
    Template("sync_response", "librdkafka", "SYNCGROUP", "7",
             "SyncGroup response: {rd_error} ({bytes} bytes of MemberState data)", _RD + " rd_kafka_cgrp_handle_SyncGroup"),
    Template("partition_list", "librdkafka", "ASSIGNMENT", "7", "List with {count} partition(s):",
             "librdkafka 2.x src/rdkafka_partition.c rd_kafka_topic_partition_list_log"),
    Template("delegating", "librdkafka", "ASSIGN", "7",
             "Group \"{group}\": delegating {action} of {count} partition(s) to application on queue {queue}: {reason}",
             _RD + " rd_kafka_rebalance_op"),
    Template("delegating_incremental", "librdkafka", "ASSIGN", "7",
             "Group \"{group}\": delegating incremental {action} of {count} partition(s) to application on queue "
             "{queue}: {reason}", _RD + " rd_kafka_rebalance_op_incr"),
    Template("received_op", "librdkafka", "CGRPOP", "7",
             "Group \"{group}\" received op {op} in state {state} (join-state {join_state})",
             _RD + " rd_kafka_cgrp_op_serve"),
    Template("group_assignment_set", "librdkafka", "ASSIGNMENT", "7",
             "Group \"{group}\": setting group assignment to {count} partition(s)", _RD + " rd_kafka_cgrp_group_assignment_set"),
    Template("group_assignment_cleared", "librdkafka", "ASSIGNMENT", "7", "Group \"{group}\": clearing group assignment",
             _RD + " rd_kafka_cgrp_group_assignment_set"),
    Template("group_assignment_modified", "librdkafka", "ASSIGNMENT", "7",
             "Group \"{group}\": {count} partition(s) being {change} group assignment of {assigned} partition(s)",
             _RD + " rd_kafka_cgrp_group_assignment_modify"),
    Template("heartbeat", "librdkafka", "HEARTBEAT", "7",
             "{broker}: Heartbeat for group \"{group}\" generation id {generation_id}", _RD + " rd_kafka_cgrp_heartbeat"),
    Template("heartbeat_error", "librdkafka", "HEARTBEAT", "7",
             "Group \"{group}\" heartbeat error response in state {state} (join-state {join_state}, {count} "
             "partition(s) assigned): {rd_error}", _RD + " rd_kafka_cgrp_handle_Heartbeat"),
    Template("max_poll", "librdkafka", "MAXPOLL", "4",
             "Application maximum poll interval ({ms}ms) exceeded by {exceeded_ms}ms (adjust max.poll.interval.ms "
             "for long-running message processing): leaving group", _RD + " rd_kafka_cgrp_max_poll_interval_check_tmr_cb"),
    Template("member_id", "librdkafka", "MEMBERID", "7", "Group \"{group}\": updating member id \"{old}\" -> \"{new}\"",
             _RD + " rd_kafka_cgrp_set_member_id"),
    Template("lost", "librdkafka", "LOST", "7",
             "Group \"{group}\": current assignment of {count} partition(s) lost: {reason}",
             _RD + " rd_kafka_cgrp_assignment_set_lost"),
    Template("not_lost", "librdkafka", "LOST", "7",
             "Group \"{group}\": current assignment no longer considered lost: {reason}",
             _RD + " rd_kafka_cgrp_assignment_clear_lost"),
    Template("leave", "librdkafka", "LEAVE", "7", "Group \"{group}\": leave (in state {state})", _RD + " rd_kafka_cgrp_leave"),
    Template("leave_response", "librdkafka", "LEAVEGROUP", "7", "LeaveGroup response received in state {state}",
             _RD + " rd_kafka_cgrp_handle_LeaveGroup"),
    Template("leave_error", "librdkafka", "LEAVEGROUP", "7", "LeaveGroup response error in state {state}: {rd_error}",
             _RD + " rd_kafka_cgrp_handle_LeaveGroup"),
    Template("closing", "librdkafka", "CLOSE", "7", "Closing consumer", "librdkafka 2.x src/rdkafka.c rd_kafka_consumer_close"),
    Template("closed", "librdkafka", "CLOSE", "7", "Consumer closed", "librdkafka 2.x src/rdkafka.c rd_kafka_consumer_close"),
)

BROKER_LOGGER = "org.apache.kafka.coordinator.group.GroupMetadataManager"
CLASSIC_GROUP_LOGGER = "org.apache.kafka.coordinator.group.classic.ClassicGroup"
_GC = "Apache Kafka 3.9/4.0 group-coordinator/.../coordinator/group/"
_GMM = _GC + "GroupMetadataManager.java:"

#: The broker's group coordinator lines about classic groups (INFO unless said otherwise).
BROKER: tuple[Template, ...] = (
    Template("member_id_required", "broker", BROKER_LOGGER, "INFO",
             "Dynamic member with unknown member id joins group {group_id} in {group_state} state. Created a new "
             "member id {member_id} and requesting the member to rejoin with this id.", _GMM + "4254"),
    Template("dynamic_member_added", "broker", BROKER_LOGGER, "INFO",
             "Dynamic member with unknown member id joins group {group_id} in state {group_state}. Created a new "
             "member id {member_id} and added the member to the group.", _GMM + "4274"),
    Template("pending_member_added", "broker", BROKER_LOGGER, "INFO",
             "Pending dynamic member with id {member_id} joins group {group_id} in {group_state} state. Adding to "
             "the group now.", _GMM + "4324"),
    Template("static_member_replaced", "broker", BROKER_LOGGER, "INFO",
             "Static member with groupInstanceId={group_instance_id} and unknown member id joins group {group_id} "
             "in {group_state} state. Replacing previously mapped member {member_id} with this groupInstanceId.",
             _GMM + "4208"),
    Template("static_member_added", "broker", BROKER_LOGGER, "INFO",
             "Static member with groupInstanceId={group_instance_id} and unknown member id joins group {group_id} "
             "in {group_state} state. Created a new member id {member_id} for this member and added to the group.",
             _GMM + "4221"),
    Template("static_member_no_rebalance", "broker", BROKER_LOGGER, "INFO",
             "Static member which joins during Stable stage and doesn't affect the selected protocol will not "
             "trigger a rebalance.", _GMM + "5132"),
    Template("preparing_rebalance", "broker", BROKER_LOGGER, "INFO",
             "Preparing to rebalance group {group_id} in state {group_state} with old generation {generation_id} "
             "(reason: {reason}).", _GMM + "4816"),
    Template("removed_not_rejoined", "broker", BROKER_LOGGER, "INFO",
             "Group {group_id} removed dynamic members who haven't joined: {member_list}", _GMM + "4483"),
    Template("no_member_rejoined", "broker", BROKER_LOGGER, "ERROR",
             "Group {group_id} could not complete rebalance because no members rejoined.", _GMM + "4493"),
    Template("now_empty", "broker", BROKER_LOGGER, "INFO",
             "Group {group_id} with generation {generation_id} is now empty.", _GMM + "4507"),
    Template("stabilized", "broker", BROKER_LOGGER, "INFO",
             "Stabilized group {group_id} generation {generation_id} with {member_count} members.", _GMM + "4526"),
    Template("pending_member_expired", "broker", BROKER_LOGGER, "INFO",
             "Pending member {member_id} in group {group_id} has been removed after session timeout expiration.",
             _GMM + "4601"),
    Template("member_failed", "broker", BROKER_LOGGER, "INFO",
             "Member {member_id} in group {group_id} has failed, removing it from the group.", _GMM + "4610"),
    Template("assignment_received", "broker", BROKER_LOGGER, "INFO",
             "Assignment received from leader {member_id} for group {group_id} for generation {generation_id}. "
             "The group has {member_count} members, {static_count} of which are static.", _GMM + "5285"),
    Template("pending_member_left", "broker", BROKER_LOGGER, "INFO",
             "[Group {group_id}] Pending member {member_id} has left group through explicit `LeaveGroup` request; "
             "client reason: {reason}", _GMM + "5848"),
    Template("member_left", "broker", BROKER_LOGGER, "INFO",
             "[Group {group_id}] Member {member_id} has left group through explicit `LeaveGroup` request; "
             "client reason: {reason}", _GMM + "5926"),
    Template("static_member_fenced", "broker", CLASSIC_GROUP_LOGGER, "INFO",
             "Request memberId={member_id} for static member with groupInstanceId={group_instance_id} is fenced by "
             "existing memberId={existing_member_id} during operation {operation}", _GC + "classic/ClassicGroup.java:801"),
    Template("group_loaded", "broker", BROKER_LOGGER, "INFO",
             "Loaded classic group {group_id} with {member_count} members.", _GMM + "3830"),
    Template("group_unloading", "broker", BROKER_LOGGER, "INFO",
             "[GroupId={group_id}] Unloading group metadata for generation {generation_id}.", _GMM + "3872"),
)

TEMPLATES: dict[str, dict[str, Template]] = {
    "java": {t.key: t for t in JAVA},
    "librdkafka": {t.key: t for t in LIBRDKAFKA},
    "broker": {t.key: t for t in BROKER},
}


def format(client: str, key: str, **values: object) -> str:  # noqa: A001 - the writer's entry point
    """The message of template ``key`` of ``client`` (``"java"``/``"librdkafka"``/``"broker"``) with ``values``.

    This is the writer's half of the table; turning an *event* into the lines a client would log
    for it is the writer's job (the simulated consumers), not this module's.
    """
    try:
        template = TEMPLATES[client][key]
    except KeyError:
        raise ValueError(f"no template {key!r} for client {client!r}; known: {sorted(TEMPLATES.get(client, {}))}") from None
    return template.format(**values)


def match(client: str, message: str, logger: Optional[str] = None) -> Optional[tuple[Template, dict[str, str]]]:
    """The template of ``client`` whose text ``message`` is, with its fields (as written), or None.

    ``logger`` (the Java logger or librdkafka facility), when given, must be the template's too.
    """
    for template in TEMPLATES[client].values():
        if logger is not None and template.logger != logger:
            continue
        values = template.match(message)
        if values is not None:
            return template, values
    return None
