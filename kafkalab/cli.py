"""The ``kafkalab`` command: ``kafkalab serve`` runs a Kafka-protocol cluster over kafkalab's coordinator.

Real Kafka clients (confluent-kafka, kafka-python, aiokafka, the Java client, kcat, ...) connect
to it like to any Kafka cluster; group coordination is kafkalab's :class:`~kafkalab.Coordinator`,
and topics live in memory (nothing is written to disk). It listens on 127.0.0.1 only, unless
``--host`` says otherwise. Stop it with Ctrl-C.

Examples::

    kafkalab serve                                   # one broker on 127.0.0.1:9092
    kafkalab serve --brokers 3 --topic orders:6      # brokers on 9092-9094, topic "orders" with 6 partitions
    kafkalab serve --group-initial-rebalance-delay-ms 0 --group-min-session-timeout-ms 1000 -v
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Optional, Sequence

from . import doctor
from .config import CoordinatorConfig

__all__ = ["main"]

_QUIET_EVENTS = ("RequestReceived", "ResponseSent", "TimerFired")


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
    serve.add_argument("--group-initial-rebalance-delay-ms", type=_positive,
                       default=defaults.group_initial_rebalance_delay_ms,
                       help="group.initial.rebalance.delay.ms: how long a new group waits for more members")
    serve.add_argument("--group-min-session-timeout-ms", type=_positive, default=defaults.group_min_session_timeout_ms,
                       help="group.min.session.timeout.ms: the smallest session.timeout.ms a consumer may ask for")
    serve.add_argument("--group-max-session-timeout-ms", type=_positive, default=defaults.group_max_session_timeout_ms,
                       help="group.max.session.timeout.ms")
    serve.add_argument("--topic", type=_topic, action="append", default=[], metavar="NAME[:PARTITIONS]",
                       help="create a topic at start (repeatable)")
    serve.add_argument("--no-auto-create-topics", action="store_true",
                       help="refuse to create topics that clients ask metadata for (auto.create.topics.enable=false)")
    serve.add_argument("--max-frame-bytes", type=_positive, default=100 * 1024 * 1024,
                       help="largest request accepted (socket.request.max.bytes); larger ones close the connection")
    serve.add_argument("-v", "--verbose", action="count", default=0,
                       help="print group events (-v: state changes, members, leaders; -vv: every group request "
                       "and answer too; -vvv: every request of any API)")
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


async def _serve(args: argparse.Namespace) -> None:
    from .wire import Server

    config = CoordinatorConfig(
        group_initial_rebalance_delay_ms=args.group_initial_rebalance_delay_ms,
        group_min_session_timeout_ms=args.group_min_session_timeout_ms,
        group_max_session_timeout_ms=args.group_max_session_timeout_ms,
    )
    server = Server(args.host, args.port, brokers=args.brokers, advertised_host=args.advertised_host,
                    config=config, topics=dict(args.topic), auto_create_topics=not args.no_auto_create_topics,
                    max_frame_bytes=args.max_frame_bytes, trace=True, trace_limit=100_000)
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
    print(f"  group.initial.rebalance.delay.ms={config.group_initial_rebalance_delay_ms}, "
          f"group.min.session.timeout.ms={config.group_min_session_timeout_ms}; "
          f"topics: {', '.join(f'{n}:{p}' for n, p in args.topic) or 'none yet'}. Ctrl-C stops.", flush=True)
    await server.serve_forever()
    print("kafkalab: stopped", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        return doctor.run(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "serve" and args.verbose >= 3:
        logging.getLogger("kafkalab.wire").setLevel(logging.DEBUG)
    if args.command == "serve":
        if args.brokers < 1:
            print("kafkalab serve: --brokers must be at least 1", file=sys.stderr)
            return 2
        try:
            asyncio.run(_serve(args))
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
