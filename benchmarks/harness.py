"""What every ``bench_*.py`` shares: one library per subprocess, one JSON line back.

A benchmark script re-runs itself as ``script --worker LIB ...``; the worker
measures one library and prints one JSON line (``results``, or ``skipped``
when the library is not installed); the parent collects those lines.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from typing import Any


def library_version(lib: str) -> str:
    """The version of ``lib`` as the reports show it."""
    if lib == "eventlib":
        version = getattr(sys.modules.get("eventlib"), "__version__", "checkout")
        return f"{version} (Twisted {importlib.metadata.version('twisted')})"
    if lib in ("asyncio", "twisted-asyncio"):
        return platform.python_version()
    return importlib.metadata.version(lib.removeprefix("asyncio+"))


RANGES: dict[str, list[float]] = {}
"""Worker side: the lowest and highest value each measure took over its runs."""


def record_runs(measure: str, values: list[float]) -> None:
    """Worker side: remember the range of ``values`` (one per run) of ``measure``."""
    RANGES[measure] = [min(values), max(values)]


def merge_ranges(first: dict[str, Any], second: dict[str, Any]) -> dict[str, list[float]]:
    """The ranges of two reports of one library, taken together."""
    a, b = first.get("ranges", {}), second.get("ranges", {})
    return {m: [min(a[m][0], b[m][0]), max(a[m][1], b[m][1])] for m in a if m in b}


def spread(report: dict[str, Any], measure: str) -> float | None:
    """Worst over best of ``measure``'s runs in ``report`` (1.00: every run alike)."""
    low_high = report.get("ranges", {}).get(measure)
    return None if not low_high else low_high[1] / low_high[0]


def run_worker(workers: dict[str, Callable[..., Any]], lib: str, *args: Any) -> None:
    """Worker side: measure ``lib`` and print its one JSON line."""
    try:
        results = workers[lib](*args)
    except ModuleNotFoundError as exc:
        print(json.dumps({"library": lib, "skipped": f"not installed: {exc.name}"}))
        return
    line = {"library": lib, "version": library_version(lib), "results": results}
    print(json.dumps(line | {"ranges": RANGES}))


def spawn_worker(script: str, lib: str, options: dict[str, Any]) -> dict[str, Any]:
    """Parent side: run ``script --worker lib`` with ``options``; return its JSON line."""
    cmd = [sys.executable, *(f"-W{opt}" for opt in sys.warnoptions), script, "--worker", lib]
    for flag, value in options.items():
        cmd += [flag, str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.stderr:
        sys.stderr.write(f"[{lib} worker stderr]\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"library": lib, "error": f"worker exited with status {proc.returncode}"}
    return dict(json.loads(lines[-1]))


def select_libraries(parser: Any, only: str | None, known: tuple[str, ...]) -> tuple[str, ...]:
    """The libraries named by ``--only a,b`` (all of ``known`` without it)."""
    if not only:
        return known
    chosen = tuple(lib.strip() for lib in only.split(",") if lib.strip())
    if unknown := [lib for lib in chosen if lib not in known]:
        parser.error(f"unknown libraries: {', '.join(unknown)}")
    return chosen
