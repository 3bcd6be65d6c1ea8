"""What every ``bench_*.py`` shares: one library per subprocess, one JSON line back.

A benchmark script re-runs itself as ``script --worker LIB ...``; the worker
measures one library and prints one JSON line (``results``, or ``skipped``
when the library is not installed); the parent collects those lines.
"""

from __future__ import annotations

import filecmp
import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPILED_TREE = REPO_ROOT / "build" / "compiled" / "tree"
COMPILED = "eventlib compiled"
"""The library name of eventlib's optional compiled build (``make compiled``) in reports."""


def with_compiled(libraries: tuple[str, ...]) -> tuple[str, ...]:
    """``libraries`` with :data:`COMPILED` right after eventlib: both builds are measured."""
    return tuple(
        name for lib in libraries for name in ((lib, COMPILED) if lib == "eventlib" else (lib,))
    )


def has_compiled_modules(tree: Path) -> bool:
    """Whether the eventlib package in ``tree`` has compiled modules beside its sources."""
    return any((tree / "eventlib").rglob("*.so"))


def compiled_script(script: str) -> tuple[str | None, str]:
    """The compiled tree's copy of ``script``, or None and the reason it cannot run.

    ``make compiled`` builds the tree: this checkout with the modules of
    eventlib/_build.py compiled beside their sources. A tree whose Python
    sources differ from this checkout's would measure other code: it is stale.
    """
    package = COMPILED_TREE / "eventlib"
    if not package.is_dir():
        return None, "not built (make compiled)"
    if not has_compiled_modules(COMPILED_TREE):
        return None, f"no compiled modules in {COMPILED_TREE}"
    here = REPO_ROOT / "eventlib"
    for source in here.rglob("*.py"):
        copy = package / source.relative_to(here)
        if not copy.is_file() or not filecmp.cmp(source, copy, shallow=False):
            return None, f"stale: {copy} differs from the checkout (make compiled)"
    return str(COMPILED_TREE / Path(script).resolve().relative_to(REPO_ROOT)), ""


def library_version(lib: str) -> str:
    """The version of ``lib`` as the reports show it."""
    if lib == "eventlib":
        eventlib = sys.modules.get("eventlib")
        version = getattr(eventlib, "__version__", "checkout")
        compiled = len(eventlib.compiled_modules()) if eventlib is not None else 0
        build = f"compiled: {compiled} modules" if compiled else "pure Python"
        return f"{version} (Twisted {importlib.metadata.version('twisted')}; {build})"
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
    """Parent side: run ``script --worker lib`` with ``options``; return its JSON line.

    ``lib`` :data:`COMPILED` runs the eventlib worker of the compiled tree's copy
    of ``script``, or reports why it was skipped.
    """
    worker = lib
    if lib == COMPILED:
        compiled, why_not = compiled_script(script)
        if compiled is None:
            return {"library": lib, "skipped": why_not}
        script, worker = compiled, "eventlib"
    cmd = [sys.executable, *(f"-W{opt}" for opt in sys.warnoptions), script, "--worker", worker]
    for flag, value in options.items():
        cmd += [flag, str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.stderr:
        sys.stderr.write(f"[{lib} worker stderr]\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"library": lib, "error": f"worker exited with status {proc.returncode}"}
    report = dict(json.loads(lines[-1])) | {"library": lib}
    # The build asked for is the one that ran (the version names it: see library_version).
    if worker == "eventlib" and ("compiled:" in report.get("version", "")) != (lib == COMPILED):
        return {"library": lib, "error": f"ran the other build: {report.get('version')}"}
    return report


def select_libraries(parser: Any, only: str | None, known: tuple[str, ...]) -> tuple[str, ...]:
    """The libraries named by ``--only a,b`` (all of ``known`` without it)."""
    if not only:
        return known
    chosen = tuple(lib.strip() for lib in only.split(",") if lib.strip())
    if unknown := [lib for lib in chosen if lib not in known]:
        parser.error(f"unknown libraries: {', '.join(unknown)}")
    return chosen
