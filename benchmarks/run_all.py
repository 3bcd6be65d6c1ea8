"""Run every ``benchmarks/bench_*.py`` and write one report, ``benchmarks/RESULTS.md``.

Each benchmark runs its libraries in their own subprocesses and writes JSON
(``--json``): ``{"libraries": [{"library": name, "results": {measure: value}}],
"units": {measure: unit}}``. The report is one table: every measure, eventlib
against every peer, with the ratio eventlib / peer (for times, below 1 means
eventlib is faster), followed by the machine it ran on.

Run: ``make bench`` or ``python benchmarks/run_all.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK_ARGS = {"--n": "5000", "--repeat": "1"}


def machine_info() -> list[str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- load average (1, 5, 15 min) at the end: {load}",
        f"- python: {platform.python_implementation()} {platform.python_version()}",
        f"- platform: {platform.platform()}",
        f"- cpu: {cpu} x {os.cpu_count()}",
        f"- memory: {memory}",
    ]


def run_benchmark(script: Path, quick: bool) -> dict | None:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, str(script), "--json", str(out)]
        if quick:
            for flag, value in QUICK_ARGS.items():
                command += [flag, value]
        print(f"== {script.name}", flush=True)
        completed = subprocess.run(command, check=False, text=True, capture_output=True)
        sys.stdout.write(completed.stdout)
        if completed.returncode != 0 or not out.exists():
            sys.stderr.write(completed.stderr)
            print(f"   {script.name} failed (exit {completed.returncode})")
            return None
        return json.loads(out.read_text())


def spreads_of(entry: dict) -> dict[str, float]:
    """Worst/best of each measure of one library's entry (``spread``, or ``ranges`` low/high)."""
    if "spread" in entry:
        return {m: v for m, v in entry["spread"].items() if v is not None}
    return {m: high / low for m, (low, high) in entry.get("ranges", {}).items() if low}


def shown_spread(spreads: dict[str, float], measure: str) -> str:
    value = spreads.get(measure)
    return "-" if value is None else f"{value:.2f}"


# eventlib's builds, as the benchmarks name them: the pure Python package, and the optional
# compiled build (make compiled) that bench_core and bench_actors measure too.
BUILDS = {"eventlib": "pure", "eventlib compiled": "compiled"}


def rows_for(name: str, data: dict) -> list[str]:
    libraries = {entry["library"]: entry.get("results") or {} for entry in data["libraries"]}
    spreads = {entry["library"]: spreads_of(entry) for entry in data["libraries"]}
    units = data.get("units", {})
    rows = []
    for library, build in BUILDS.items():
        rows += build_rows(name, build, library, libraries, spreads, units)
    return rows


def build_rows(  # noqa: PLR0917 - one call site, every argument named there
    name: str,
    build: str,
    ours_name: str,
    libraries: dict[str, dict],
    spreads: dict[str, dict[str, float]],
    units: dict[str, str],
) -> list[str]:
    """The rows of one eventlib build: each measure against each peer (not another build)."""
    rows = []
    for measure, value in libraries.get(ours_name, {}).items():
        if value is None:
            continue
        unit = units.get(measure, "µs")
        ours_spread = shown_spread(spreads.get(ours_name, {}), measure)
        # The pure build against every peer; the compiled one against the outside peers and
        # the pure build (what compiling gains), not against eventlib's own floors.
        peers = [
            (peer, res.get(measure))
            for peer, res in libraries.items()
            if peer != ours_name
            and (
                peer not in BUILDS
                if build == "pure"
                else peer == "eventlib" or not peer.startswith("eventlib")
            )
        ]
        peers = [(peer, v) for peer, v in peers if v is not None]
        if not peers:
            rows.append(
                f"| {name} | {measure} | {build} | {value:.2f} {unit} | {ours_spread} "
                "| - | - | - | - |"
            )
        for peer, peer_value in peers:
            ratio = value / peer_value if peer_value else float("nan")
            cells = [
                name,
                measure,
                build,
                f"{value:.2f} {unit}",
                ours_spread,
                peer,
                f"{peer_value:.2f}",
                shown_spread(spreads.get(peer, {}), measure),
                f"{ratio:.2f}",
            ]
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N, one run (a smoke test)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows = []
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        data = run_benchmark(script, args.quick)
        if data is None:
            failed.append(script.name)
            continue
        rows += rows_for(script.stem.removeprefix("bench_"), data)
    lines = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`benchmarks/run_all.py`). Each library ran in its own",
        "subprocess; values are best-of-N, *spread* is worst / best of those N runs. For",
        "times (µs), *eventlib / peer* below 1.00 means eventlib is faster; for rates",
        "(marked higher is better), above 1.00 means eventlib does more. The machine was",
        "shared with other work (load average below): compare ratios within a run rather",
        "than absolute values across runs. *build*: eventlib as installed by default",
        "(*pure* Python) or its optional compiled build (*compiled*: `make compiled`,",
        "`EVENTLIB_COMPILE=1`; the modules of `eventlib/_build.py` compiled by Cython).",
        "",
        (
            "| benchmark | measure | build | eventlib | spread | peer | peer value | spread "
            "| eventlib / peer |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Machine",
        "",
        *machine_info(),
    ]
    if args.quick:
        lines += ["", "Quick mode (small N, one run): for smoke testing, not for comparison."]
    if failed:
        lines += ["", f"Failed: {', '.join(failed)}"]
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
