"""``python -m eventlib.observer [PID]``: a live view of a running eventlib program.

``--web`` prints a one-time login link to the program's web dashboard instead.

The program must opt in with ``eventlib.observer.serve()``. The view refreshes
every ``--interval`` seconds; ``--once`` prints one snapshot, ``--json`` the
raw data. With ``rich`` installed the view is a live terminal display.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventlib.observer._client import fetch, find_endpoint, render_text
from eventlib.observer._server import default_state_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eventlib.observer", description=__doc__)
    parser.add_argument(
        "pid", nargs="?", type=int, help="the program's pid (default: the only one)"
    )
    parser.add_argument("--host", help="endpoint host (instead of the state file)")
    parser.add_argument("--port", type=int, help="endpoint port (instead of the state file)")
    parser.add_argument("--token", help="endpoint token (instead of the state file)")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--json", action="store_true", help="print the raw snapshot as JSON")
    parser.add_argument(
        "--web",
        action="store_true",
        help="print a one-time login link to the program's web dashboard (starting it)",
    )
    parser.add_argument(
        "--count", type=int, default=None, help="stop after this many refreshes (default: never)"
    )
    args = parser.parse_args(argv)
    if args.port is not None:
        endpoint = {"host": args.host or "127.0.0.1", "port": args.port, "token": args.token or ""}
    else:
        endpoint = find_endpoint(args.state_dir or default_state_dir(), args.pid)

    def take() -> dict[str, Any]:
        return fetch(str(endpoint["host"]), int(endpoint["port"]), str(endpoint["token"]))

    if args.web:
        answer = fetch(
            str(endpoint["host"]), int(endpoint["port"]), str(endpoint["token"]), command="web"
        )
        sys.stdout.write(
            f"Open this one-time link in a browser on this machine:\n  {answer['url']}\n"
        )
        return 0
    if args.once or args.json:
        data = take()
        sys.stdout.write((json.dumps(data, indent=2) if args.json else render_text(data)) + "\n")
        return 0
    _watch(take, args.interval, args.count)
    return 0


def _watch(take: Callable[[], dict[str, Any]], interval: float, count: int | None) -> None:
    """Refresh the view every ``interval`` seconds, ``count`` times (None: forever)."""
    refreshes = itertools.count() if count is None else range(count)
    if not sys.stdout.isatty():
        # Piped or redirected: one plain snapshot after another, no terminal control codes.
        for n in refreshes:
            if n:
                time.sleep(interval)
                sys.stdout.write("\n")
            sys.stdout.write(render_text(take()) + "\n")
            sys.stdout.flush()
        return
    try:
        # rich is optional: plain text otherwise.
        from rich.live import Live  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
        from rich.text import Text  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        for n in refreshes:
            if n:
                time.sleep(interval)
            sys.stdout.write("\x1b[2J\x1b[H" + render_text(take()) + "\n")
            sys.stdout.flush()
        return
    with Live(Text(render_text(take())), refresh_per_second=4, screen=True) as live:
        for n in refreshes:
            if n:
                time.sleep(interval)
                live.update(Text(render_text(take())))


if __name__ == "__main__":
    sys.exit(main())
