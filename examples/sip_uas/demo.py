"""The flagship demo: the UAS under sipp's load, with crashes, shown live.

Run: ``make demo`` (or ``python -m examples.sip_uas --demo [--seconds 6] [--rate 200]``).

It starts the UAS on 127.0.0.1, has ``sipp -sn uac`` place calls at a steady
rate for a few seconds while 2% of the sessions crash on purpose, and prints
a line every half second: calls/s, active sessions, completed calls,
failures, crashes and restarts (a ``rich`` table instead when rich is
installed). At the end it prints the supervision tree and sipp's own counts;
the exit status is 0 when sipp saw no failed call. Of the per-call
``call.ended`` lines it shows the calls that did not simply complete (a
crashed session restarted, a timeout).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import MutableMapping
from typing import Any

import structlog

import eventlib
from eventlib.green import subprocess
from eventlib.hub import get_hub
from examples.sip_uas.server import Config, SipServer
from examples.sip_uas.session import InjectedCrash

log = structlog.get_logger("sip_uas.demo")

_COUNTS = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


def _quiet_injected_crashes() -> None:
    """Injected crashes are logged once, as session.crashed; keep tracebacks for real ones."""
    hub = get_hub()
    default = hub.error_hook

    def hook(context: object, exc_info: Any) -> None:
        if not isinstance(exc_info[1], InjectedCrash):
            default(context, exc_info)

    hub.error_hook = hook


def _drop_plain_completions(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: completed calls that never crashed are in the progress line."""
    if event.get("event") == "call.ended" and (event["outcome"], event["restarts"]) == (
        "completed",
        0,
    ):
        raise structlog.DropEvent
    return event


class _Display:
    """A status line per tick: structlog console lines, or a rich table when rich is there."""

    def __init__(self, server: SipServer) -> None:
        self.server = server
        self.started = time.monotonic()
        self.last_calls = 0
        self.last_time = self.started
        self.live: Any = None
        try:
            from rich.live import Live  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415

            self.live = Live(self._table({}), refresh_per_second=4)
            self.live.start()
        except ImportError:
            self.live = None

    def row(self) -> dict[str, Any]:
        server, stats = self.server, self.server.stats
        now = time.monotonic()
        rate = (stats.calls - self.last_calls) / max(now - self.last_time, 1e-6)
        self.last_calls, self.last_time = stats.calls, now
        sessions = server.sessions
        return {
            "t": f"{now - self.started:4.1f}s",
            "calls/s": round(rate),
            "active": len(server.calls),
            "calls": stats.calls,
            "completed": stats.completed,
            "failed": stats.timer_h + stats.expired,
            "crashes": stats.crashes,
            "restarts": 0 if sessions is None else sessions.total_restarts,
            "rejected": stats.rejected,
            "malformed": stats.malformed,
        }

    def _table(self, row: dict[str, Any]) -> Any:
        from rich.table import Table  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415

        table = Table(title="eventlib sip_uas under sipp -sn uac")
        for key in row or {"t": ""}:
            table.add_column(key, justify="right")
        if row:
            table.add_row(*(str(value) for value in row.values()))
        return table

    def tick(self) -> None:
        row = self.row()
        if self.live is not None:
            self.live.update(self._table(row))
        else:
            log.info("demo.progress", **row)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def run_demo(args: argparse.Namespace) -> int:
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed: apt-get install -y sip-tester", file=sys.stderr)
        return 2
    _quiet_injected_crashes()
    structlog.configure(processors=[_drop_plain_completions, *structlog.get_config()["processors"]])
    crash_rate = 0.02 if args.crash_rate is None else args.crash_rate
    server = SipServer(
        Config(host="127.0.0.1", udp_port=0, t1=args.t1, crash_rate=crash_rate)
    ).start()
    calls = max(1, int(args.rate * args.seconds))
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{server.udp_port}", "-i", "127.0.0.1",
        "-r", str(args.rate), "-m", str(calls), "-nostdin",
        "-timeout", f"{int(args.seconds) + 30}s", "-timeout_error",
    ]  # fmt: skip
    print(f"$ {' '.join(command)}", flush=True)
    display = _Display(server)
    with tempfile.TemporaryDirectory() as scratch:
        process = subprocess.Popen(
            command, cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            output_proc = eventlib.spawn(process.communicate)
            tree_shown = False
            while not output_proc.dead:
                eventlib.sleep(0.5)
                display.tick()
                if not tree_shown and time.monotonic() - display.started > args.seconds / 2:
                    tree_shown = True
                    _print_tree("mid-run", server.format_tree(), limit=6)
            output, _ = output_proc.wait()
        finally:
            display.close()
            if process.returncode is None:
                process.kill()
                process.communicate()
    server.wait_idle(10)
    display.tick()
    _print_tree("at the end", server.format_tree())
    sessions = server.sessions
    if sessions is not None:
        print(f"sessions supervisor: {sessions.statistics()}", flush=True)
    server.stop()
    counts = dict(_COUNTS.findall(output.decode(errors="replace")))
    successful = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    stats = server.stats
    print(
        f"\nsipp: successful={successful} failed={failed} (exit {process.returncode})\n"
        f"uas:  calls={stats.calls} completed={stats.completed} crashes={stats.crashes} "
        f"retransmissions={stats.retransmissions} timer_h={stats.timer_h}",
        flush=True,
    )
    return 0 if failed == 0 and successful == calls else 1


def _print_tree(title: str, tree: str, limit: int | None = None) -> None:
    lines = tree.splitlines()
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"  ... {len(lines) - limit} more sessions"]
    print(f"\nsupervision tree ({title}):", flush=True)
    for line in lines:
        print(f"  {line}", flush=True)
    print(flush=True)
