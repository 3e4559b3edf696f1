"""The ``kafkalab`` command: ``kafkalab serve`` runs a Kafka-protocol cluster over kafkalab's coordinator;
``kafkalab tap`` records a real cluster's group traffic; ``kafkalab conform`` checks a recording.

Real Kafka clients (confluent-kafka, kafka-python, aiokafka, the Java client, kcat, ...) connect
to it like to any Kafka cluster; group coordination is kafkalab's :class:`~kafkalab.Coordinator`,
and topics live in memory (nothing is written to disk). It listens on 127.0.0.1 only, unless
``--host`` says otherwise. Stop it with Ctrl-C.

Examples::

    kafkalab serve                                   # one broker on 127.0.0.1:9092
    kafkalab serve --brokers 3 --topic orders:6      # brokers on 9092-9094, topic "orders" with 6 partitions
    kafkalab serve --group-initial-rebalance-delay-ms 0 --group-min-session-timeout-ms 1000 -v
    kafkalab serve --group-max-size 5 --offsets-topic-num-partitions 10
    kafkalab serve --group-consumer-min-session-timeout-ms 6000 --group-consumer-session-timeout-ms 6000

Every broker config of the group coordinator (:class:`~kafkalab.config.CoordinatorConfig`, and the
``group.consumer.*`` configs of consumer groups, :class:`~kafkalab.modern.ConsumerGroupConfig`) is
an option named after Kafka's config (``group.max.size`` is ``--group-max-size``,
``group.consumer.session.timeout.ms`` is ``--group-consumer-session-timeout-ms``; lists are
comma-separated: ``--group-consumer-assignors range,uniform``); a value out of Kafka's range is
refused with a message naming the option (exit code 2).

``kafkalab tap`` is a proxy in front of any Kafka cluster reachable over plaintext: clients
connect to it instead of the cluster, and it records their group requests and the answers as JSON
lines (``docs/tap.md``). ``kafkalab conform`` replays such a recording into kafkalab's coordinator
and lists every answer that differs from the real broker's (exit status 0 when none differ)::

    kafkalab tap --upstream 127.0.0.1:9092 --port 19092 --out trace.jsonl -v
    kafkalab conform trace.jsonl --group-initial-rebalance-delay-ms 3000
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import socket
import sys
from typing import Optional, Sequence

from . import doctor
from .config import CoordinatorConfig
from .wire import Server
from .errors import ConfigError
from .modern.config import ConsumerGroupConfig
from .tap import Tap, TraceFileError, conform
from .tap.proxy import parse_address

__all__ = ["main"]

_QUIET_EVENTS = ("RequestReceived", "ResponseSent", "TimerFired",
                 # the coordinator's bookkeeping records (kafkalab.trace): shown from -vv on
                 "MemberUpdated", "PendingMemberAdded", "AssignmentChanged", "GroupRecordWritten")

#: What each CoordinatorConfig field is, for ``kafkalab serve --help`` (the option is the field
#: name with dashes; the Kafka config is the field name with dots, except where noted).
_CONFIG_HELP = {
    "group_min_session_timeout_ms": "group.min.session.timeout.ms: the smallest session.timeout.ms a consumer "
                                    "may ask for",
    "group_max_session_timeout_ms": "group.max.session.timeout.ms: the largest session.timeout.ms a consumer "
                                    "may ask for",
    "group_initial_rebalance_delay_ms": "group.initial.rebalance.delay.ms: how long a new group waits for more "
                                        "members",
    "group_max_size": "group.max.size: the most members a group may have",
    "offsets_topic_num_partitions": "offsets.topic.num.partitions: partitions of __consumer_offsets (which "
                                    "broker coordinates a group)",
    "offsets_retention_minutes": "offsets.retention.minutes: how long the committed offsets of a group "
                                 "without members are kept",
    "offsets_retention_check_interval_ms": "offsets.retention.check.interval.ms: how often expired offsets are "
                                           "removed",
    "offset_metadata_max_bytes": "offset.metadata.max.bytes: the longest metadata string of a committed offset",
    "new_member_join_timeout_ms": "not a Kafka config (Kafka fixes it at 5 minutes): how long a new member's "
                                  "JoinGroup may wait before it is removed",
}


#: The same for the ``group.consumer.*`` configs (:class:`~kafkalab.modern.ConsumerGroupConfig`).
_CONSUMER_HELP = {
    "group_consumer_session_timeout_ms": "group.consumer.session.timeout.ms: a consumer-protocol member's session "
                                         "timeout (the broker decides it)",
    "group_consumer_min_session_timeout_ms": "group.consumer.min.session.timeout.ms",
    "group_consumer_max_session_timeout_ms": "group.consumer.max.session.timeout.ms",
    "group_consumer_heartbeat_interval_ms": "group.consumer.heartbeat.interval.ms: how often consumer-protocol "
                                            "members heartbeat (the broker tells them)",
    "group_consumer_min_heartbeat_interval_ms": "group.consumer.min.heartbeat.interval.ms",
    "group_consumer_max_heartbeat_interval_ms": "group.consumer.max.heartbeat.interval.ms",
    "group_consumer_max_size": "group.consumer.max.size: the most members a consumer group may have",
    "group_consumer_assignors": "group.consumer.assignors: the server-side assignors (comma-separated; the first "
                                "is the default)",
    "group_consumer_migration_policy": "group.consumer.migration.policy: bidirectional, upgrade, downgrade or "
                                       "disabled",
    "group_coordinator_rebalance_protocols": "group.coordinator.rebalance.protocols: classic, or classic,consumer "
                                             "(comma-separated)",
}

_ALWAYS_SHOWN = ("group_initial_rebalance_delay_ms", "group_min_session_timeout_ms")


def _coordinator_fields() -> list[dataclasses.Field]:
    """The CoordinatorConfig fields that are options of their own (``consumer`` has its own)."""
    return [f for f in dataclasses.fields(CoordinatorConfig) if f.name != "consumer"]


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _consumer_type(default: object):
    return int if isinstance(default, int) else _comma_list if isinstance(default, tuple) else str


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _kafka_name(field: str) -> str:
    return field.replace("_", ".") if field != "new_member_join_timeout_ms" else "new-member join timeout (ms)"


def _config_from_args(args: argparse.Namespace) -> CoordinatorConfig:
    """The CoordinatorConfig the options ask for.

    Raises:
        ConfigError: a value is out of range; the message names the option.
    """
    values = {f.name: getattr(args, f.name) for f in _coordinator_fields()}
    consumer = {f.name: getattr(args, f.name) for f in dataclasses.fields(ConsumerGroupConfig)}
    try:
        return CoordinatorConfig(**values, consumer=ConsumerGroupConfig(**consumer))
    except ConfigError as exc:
        message = str(exc).replace("ConsumerGroupConfig: ", "")
        fields = _coordinator_fields() + list(dataclasses.fields(ConsumerGroupConfig))
        for f in sorted(fields, key=lambda f: -len(f.name)):
            for owner in ("CoordinatorConfig", "ConsumerGroupConfig"):
                message = message.replace(f"{owner}.{f.name}", _option(f.name))
            message = message.replace(f.name, _option(f.name))
        raise ConfigError(message) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _topic(text: str) -> tuple[str, int]:
    name, sep, count = text.rpartition(":")
    if not sep:
        return text, 1
    try:
        partitions = int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a topic is NAME or NAME:PARTITIONS, got {text!r}") from None
    if not name or partitions < 1:
        raise argparse.ArgumentTypeError(f"a topic is NAME or NAME:PARTITIONS (PARTITIONS >= 1), got {text!r}")
    return name, partitions


def build_parser() -> argparse.ArgumentParser:
    defaults = CoordinatorConfig()
    parser = argparse.ArgumentParser(prog="kafkalab", description="kafkalab: Kafka's consumer-group protocol, "
                                     "faithful and readable.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run a Kafka-protocol cluster over kafkalab's coordinator",
        description="Run a Kafka wire-protocol cluster in memory whose group coordinators are kafkalab's. "
                    "Real Kafka clients connect to it with bootstrap.servers=HOST:PORT.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback: this machine only)")
    serve.add_argument("--port", type=_positive, default=9092, help="first broker's port; broker i uses PORT+i "
                       "(0: any free ports)")
    serve.add_argument("--brokers", type=int, default=1, help="number of brokers (each coordinates its share of "
                       "the groups)")
    serve.add_argument("--advertised-host", default=None, help="host name given to clients (default: --host)")
    configs = serve.add_argument_group("group coordinator configs (Kafka's broker configs, with Kafka's defaults)")
    for f in _coordinator_fields():
        configs.add_argument(_option(f.name), dest=f.name, type=int, default=getattr(defaults, f.name),
                             metavar="N", help=_CONFIG_HELP[f.name])
    consumer = serve.add_argument_group("consumer group configs (KIP-848, group.protocol=consumer; Kafka's "
                                        "defaults)")
    for f in dataclasses.fields(ConsumerGroupConfig):
        default = getattr(defaults.consumer, f.name)
        kind = _consumer_type(default)
        consumer.add_argument(_option(f.name), dest=f.name, type=kind,
                              default=",".join(default) if kind is _comma_list else default,
                              metavar="N" if kind is int else "LIST" if kind is _comma_list else "NAME",
                              help=_CONSUMER_HELP[f.name])
    serve.add_argument("--num-partitions", type=int, default=1, metavar="N",
                       help="num.partitions: partitions of a topic created by a Metadata request")
    serve.add_argument("--topic", type=_topic, action="append", default=[], metavar="NAME[:PARTITIONS]",
                       help="create a topic at start (repeatable)")
    serve.add_argument("--no-auto-create-topics", action="store_true",
                       help="refuse to create topics that clients ask metadata for (auto.create.topics.enable=false)")
    serve.add_argument("--max-frame-bytes", type=_positive, default=100 * 1024 * 1024,
                       help="largest request accepted (socket.request.max.bytes); larger ones close the connection")
    serve.add_argument("-v", "--verbose", action="count", default=0,
                       help="print group events (-v: state changes, members, leaders; -vv: every group request "
                       "and answer too; -vvv: every request of any API)")
    tap = sub.add_parser(
        "tap", help="record a real Kafka cluster's group traffic through a proxy",
        description="Listen on 127.0.0.1 in front of a Kafka cluster reachable over plaintext (no TLS), forward "
                    "every byte, keep clients behind the proxy by rewriting the broker addresses in Metadata, "
                    "FindCoordinator and DescribeCluster answers, and record the group requests and answers "
                    "as JSON lines.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    tap.add_argument("--upstream", required=True, metavar="HOST:PORT", help="the cluster's bootstrap broker")
    tap.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback: this machine only)")
    tap.add_argument("--port", type=_positive, default=19092, help="port for the bootstrap broker (0: any free "
                     "port); the other brokers get free ports as the metadata names them")
    tap.add_argument("--out", default=None, metavar="FILE", help="write the trace here (JSON lines)")
    tap.add_argument("--all-apis", action="store_true", help="also record a header-only line for every frame of "
                     "the other APIs (Produce, Fetch, Metadata, ...)")
    tap.add_argument("--max-frame-bytes", type=_positive, default=100 * 1024 * 1024,
                     help="larger frames (either way) close their connection")
    tap.add_argument("-v", "--verbose", action="count", default=0,
                     help="print each recorded request and answer (-v), and connections too (-vv)")
    check = sub.add_parser(
        "conform", help="replay a tap trace into kafkalab's coordinator and report differing answers",
        description="Replay the group requests of a trace written by `kafkalab tap` into kafkalab's coordinator, "
                    "at the observed times, and list every answer that differs from the real broker's (error "
                    "code, generation, leader, members, assignment, offsets, how long a join or sync was held). "
                    "Exit status: 0 when none differ, 1 when some do, 2 when the trace cannot be read. Pass the "
                    "real broker's group configs; the defaults are Apache Kafka's.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    check.add_argument("trace", help="a trace file written by kafkalab tap --out")
    check.add_argument("--group", default=None, help="replay only this group (default: every group)")
    check.add_argument("--group-initial-rebalance-delay-ms", type=_positive,
                       default=defaults.group_initial_rebalance_delay_ms,
                       help="the real broker's group.initial.rebalance.delay.ms")
    check.add_argument("--group-min-session-timeout-ms", type=_positive, default=defaults.group_min_session_timeout_ms,
                       help="the real broker's group.min.session.timeout.ms")
    check.add_argument("--group-max-session-timeout-ms", type=_positive, default=defaults.group_max_session_timeout_ms,
                       help="the real broker's group.max.session.timeout.ms")
    check.add_argument("--time-tolerance-ms", type=_positive, default=1000,
                       help="how much longer or shorter a JoinGroup or SyncGroup may be held")
    check.add_argument("--limit", type=_positive, default=200, help="list at most this many differences (0: all)")
    doctor_parser = sub.add_parser(
        "doctor", help="check this set-up (Python, packages, JupyterLab, widgets, diagrams) and say what to fix",
        description="Check that this Python can run the course: packages, JupyterLab settings, widgets, "
                    "diagrams, plots, the simulator, and the optional real Kafka clients. Exit 0 when every "
                    "required check passes, 1 otherwise.")
    doctor.add_arguments(doctor_parser)
    return parser


def _printer(verbosity: int):
    def show(node_id: int, event) -> None:
        if verbosity < 2 and type(event).__name__ in _QUIET_EVENTS:
            return
        print(f"[broker {node_id} {event.at / 1000:9.3f}s] {event.describe()}", flush=True)
    return show


async def _serve(args: argparse.Namespace, config: CoordinatorConfig) -> None:
    server = Server(args.host, args.port, brokers=args.brokers, advertised_host=args.advertised_host,
                    config=config, topics=dict(args.topic), auto_create_topics=not args.no_auto_create_topics,
                    num_partitions=args.num_partitions, max_frame_bytes=args.max_frame_bytes, trace=True,
                    trace_limit=100_000)
    if args.verbose:
        server.add_listener(_printer(args.verbose))
    await server.start_async()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:  # stop cleanly on Ctrl-C and on kill (also where SIGINT is ignored, as in a background job)
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.stop_async()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on Windows
            pass
    ports = server.ports
    where = f"{server.advertised_host}:{ports[0]}" if len(ports) == 1 else \
        f"{server.advertised_host}:{ports[0]}-{ports[-1]}"
    print(f"kafkalab: {len(ports)} broker{'s' if len(ports) > 1 else ''} on {where}; "
          f"bootstrap.servers={server.bootstrap_servers}", flush=True)
    shown = [(f.name, getattr(config, f.name)) for f in _coordinator_fields()
             if f.name in _ALWAYS_SHOWN or getattr(config, f.name) != f.default]
    defaults = ConsumerGroupConfig()
    shown += [(f.name, getattr(config.consumer, f.name)) for f in dataclasses.fields(ConsumerGroupConfig)
              if getattr(config.consumer, f.name) != getattr(defaults, f.name)]
    settings = ", ".join(f"{_kafka_name(name)}={','.join(value) if isinstance(value, tuple) else value}"
                         for name, value in shown)
    print(f"  {settings}; topics: {', '.join(f'{n}:{p}' for n, p in args.topic) or 'none yet'}. Ctrl-C stops.",
          flush=True)
    await server.serve_forever()
    print("kafkalab: stopped", flush=True)


async def _tap(args: argparse.Namespace) -> None:
    tap = Tap(args.upstream, host=args.host, port=args.port, out=args.out, keep=False, trace_all=args.all_apis,
              max_frame_bytes=args.max_frame_bytes)
    if args.verbose:
        def show(record) -> None:
            if record.kind in ("request", "response", "error") or args.verbose >= 2:
                print(record.describe(), flush=True)
        tap.add_listener(show)
    await tap.start_async()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(tap.stop_async()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on Windows
            pass
    print(f"kafkalab tap: {tap.bootstrap_servers} -> {tap.upstream}; clients use bootstrap.servers="
          f"{tap.bootstrap_servers}; trace: {args.out or 'not saved (no --out)'}. Ctrl-C stops.", flush=True)
    if not _reachable(tap.upstream_host, tap.upstream_port):
        print(f"kafkalab tap: warning: {tap.upstream} does not answer yet; each client connection is closed until "
              "it does", file=sys.stderr, flush=True)
    await tap.serve_forever()
    print("kafkalab tap: stopped", flush=True)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def _conform(args: argparse.Namespace) -> int:
    try:
        report = conform(args.trace, group=args.group, time_tolerance_ms=args.time_tolerance_ms,
                         group_initial_rebalance_delay_ms=args.group_initial_rebalance_delay_ms,
                         group_min_session_timeout_ms=args.group_min_session_timeout_ms,
                         group_max_session_timeout_ms=args.group_max_session_timeout_ms)
    except TraceFileError as exc:
        print(f"kafkalab conform: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, ValueError) as exc:
        print(f"kafkalab conform: {exc}", file=sys.stderr)
        return 2
    print(report.table(limit=args.limit or None))
    return 0 if report.ok else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        return doctor.run(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "conform":
        return _conform(args)
    if args.command == "tap":
        try:
            parse_address(args.upstream)
            asyncio.run(_tap(args))
        except KeyboardInterrupt:
            print("kafkalab tap: stopped", flush=True)
        except OSError as exc:
            print(f"kafkalab tap: cannot listen on {args.host}:{args.port} or write {args.out}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"kafkalab tap: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "serve" and args.verbose >= 3:
        logging.getLogger("kafkalab.wire").setLevel(logging.DEBUG)
    if args.command == "serve":
        if args.brokers < 1:
            print("kafkalab serve: --brokers must be at least 1", file=sys.stderr)
            return 2
        if args.num_partitions < 1:
            print(f"kafkalab serve: --num-partitions must be at least 1, got {args.num_partitions}", file=sys.stderr)
            return 2
        try:
            config = _config_from_args(args)
        except ConfigError as exc:
            print(f"kafkalab serve: {exc}", file=sys.stderr)
            return 2
        try:
            asyncio.run(_serve(args, config))
        except KeyboardInterrupt:
            print("kafkalab: stopped", flush=True)
        except OSError as exc:
            print(f"kafkalab serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        except ValueError as exc:  # a bad port, config value or topic (ConfigError is a ValueError)
            print(f"kafkalab serve: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
