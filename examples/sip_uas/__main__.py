"""Run the SIP UAS: ``python -m examples.sip_uas [--port 5060] [--workers N] [--demo]``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any, TextIO

import structlog

import eventlib
from eventlib import observer
from eventlib.workers import add_worker_field
from examples.sip_uas.server import Config, SipServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.sip_uas", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or ::1")
    parser.add_argument("--port", type=int, default=5060, help="UDP port (0: any)")
    parser.add_argument("--tcp-port", type=int, default=None, help="also listen on TCP")
    parser.add_argument("--max-sessions", type=int, default=10_000)
    parser.add_argument("--t1", type=float, default=0.5, help="RFC 3261 T1 in seconds")
    parser.add_argument("--crash-rate", type=float, default=None, help="fraction of calls to crash")
    parser.add_argument(
        "--rtp-echo", action="store_true", help="answer calls with an RTP port that echoes audio"
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    parser.add_argument(
        "--nats",
        default=None,
        metavar="URL",
        help=(
            "with --workers: forward in-dialog requests and CANCELs to the worker"
            " that owns the call, over this NATS server"
        ),
    )
    parser.add_argument("--demo", action="store_true", help="drive the UAS with sipp and show it")
    parser.add_argument("--seconds", type=float, default=6.0, help="demo length")
    parser.add_argument("--rate", type=int, default=200, help="demo calls per second")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="run N supervised worker processes sharing the ports (default: one process)",
    )
    parser.add_argument(
        "--drain", type=float, default=5.0, help="seconds a stopping worker lets calls finish"
    )
    return parser.parse_args(argv)


def configure_logging(level: int, stream: TextIO | None = None) -> None:
    """Console lines at ``level`` and above to ``stream`` (stderr); others cost one call."""
    stream = stream or sys.stderr
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            add_worker_field,  # worker=<i> on every event of a worker process
            structlog.processors.TimeStamper(fmt="%H:%M:%S"),
            structlog.dev.ConsoleRenderer(colors=stream.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(stream),  # one write per line: workers share it
        cache_logger_on_first_use=True,
    )


def _config(args: argparse.Namespace) -> Config:
    changes: dict[str, Any] = {}
    if args.crash_rate is not None:
        changes["crash_rate"] = args.crash_rate
    return Config(
        host=args.host,
        udp_port=args.port,
        tcp_port=args.tcp_port,
        max_sessions=args.max_sessions,
        t1=args.t1,
        rtp_echo=args.rtp_echo,
        **changes,
    )


def serve(args: argparse.Namespace) -> None:
    server = SipServer(_config(args)).start()
    stop = eventlib.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: eventlib.get_hub().reactor.callFromThread(stop.send))
    # The bound ports on stdout, for a parent process to read: only once a signal can stop us.
    print(f"listening udp={server.udp_port} tcp={server.tcp_port}", flush=True)
    stop.wait()
    server.stop()
    print(server.format_tree(), flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.workers is not None and args.workers < 1:
        sys.exit(f"--workers must be 1 or more, not {args.workers}")
    configure_logging(logging.WARNING if args.quiet else logging.INFO)
    if args.demo:
        # The live dashboard of the demo's supervision tree: a one-time login link on stderr.
        observer.serve(web=True)
    if args.workers is not None:
        from examples.sip_uas import workers  # noqa: PLC0415 - only a pool needs it

        if args.demo:
            sys.exit(workers.run_pool_demo(args))
        sys.exit(workers.serve_pool(args, _config(args)))
    if args.demo:
        from examples.sip_uas.demo import run_demo  # noqa: PLC0415 - only the demo needs sipp

        sys.exit(run_demo(args))
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    serve(args)


if __name__ == "__main__":
    main()
