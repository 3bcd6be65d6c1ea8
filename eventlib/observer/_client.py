"""The observer's client side: fetch a snapshot and render it (plain text or rich)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from eventlib.observer._statefile import (
    StateFileError,
    live_state_files,
    private_dir,
    read_state_file,
)

__all__ = ["fetch", "find_endpoint", "render_text"]


def find_endpoint(state_dir: Path, pid: int | None) -> dict[str, Any]:
    """Read the state file of process ``pid`` (or the only running one there).

    State files of programs that are no longer running are removed on the way;
    a file or directory that is not private to this user is refused.
    """
    if not state_dir.is_dir():
        raise SystemExit(f"no observer endpoints: {state_dir} does not exist")
    try:
        private_dir(state_dir, create=False)
        live = live_state_files(state_dir)
        if pid is not None:
            if pid not in live:
                raise SystemExit(f"no observer endpoint for pid {pid} in {state_dir}")
            return read_state_file(live[pid])
        if len(live) != 1:
            found = ", ".join(str(p) for p in live) or "none"
            raise SystemExit(f"give a pid: programs with an observer in {state_dir}: {found}")
        return read_state_file(next(iter(live.values())))
    except StateFileError as error:
        raise SystemExit(str(error)) from None


def fetch(
    host: str, port: int, token: str, timeout: float = 5.0, command: str = ""
) -> dict[str, Any]:
    """One snapshot from the endpoint (or, with ``command="web"``, a web login link)."""
    request = token.encode() + (b" " + command.encode() if command else b"")
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(request + b"\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    data = json.loads(b"".join(chunks))
    if "error" in data:
        raise SystemExit(f"observer refused: {data['error']}")
    return dict(data)


def render_text(data: dict[str, Any]) -> str:
    """A plain-text view of a snapshot."""
    lines = [f"eventlib observer - pid {data['pid']} - {len(data['procs'])} procs"]
    lines.append("")
    lines.append("supervision trees:")
    for sup in data["supervisors"] or []:
        kind = "DynamicSupervisor" if sup["kind"] == "dynamic" else "Supervisor"
        lines.append(
            f"  {sup['path']} [{kind} {sup['strategy']} proc={sup['proc_id']} "
            f"restarts={sup['restarts']} in-window={sup['restarts_in_window']}]"
        )
        for child in sup["children"]:
            proc = child["proc_id"] if child["proc_id"] is not None else "-"
            lines.append(
                f"    {child['label']} proc={proc} {child['state']} restarts={child['restarts']}"
            )
    if not data["supervisors"]:
        lines.append("  (none)")
    lines.append("")
    lines.append("actors (mailbox depth):")
    for actor in data["actors"] or []:
        capacity = actor["capacity"] if actor["capacity"] is not None else "unbounded"
        depth = f"{actor['mailbox_depth']}/{capacity}"
        lines.append(f"  {actor['name']} proc={actor['proc_id']} depth={depth}")
    if not data["actors"]:
        lines.append("  (none)")
    lines.append("")
    if data["profiling"]:
        lines.append("busiest procs (cpu seconds, switches):")
        lines.extend(
            f"  {proc['id']:>6} {proc['name'][:40]:40} "
            f"{proc['cpu_seconds']:10.4f} {proc['switches']:>8}"
            for proc in data["busiest"]
        )
    lines.append("")
    lines.append("procs:")
    for proc in data["procs"]:
        where = f" {proc['sup_path']}" if proc["sup_path"] else ""
        lines.append(f"  {proc['id']:>6} {proc['state']:8} {proc['name']}{where}")
    return "\n".join(lines)
