"""Max calls/s with 0 failed calls: eventlib's SIP UAS example vs sipp's own UAS.

Both servers run in their own process on 127.0.0.1 and are driven by
``sipp -sn uac`` at increasing rates (``-r``), each step bounded in time. A
step passes when sipp reports every call successful, none failed, and the
step took at most ``--slack`` times its nominal length plus a second (the
server kept up with the rate); a failed step is tried once more. The score
is the best *achieved* rate (calls completed / wall time of the step) among
the passing steps; the server's CPU time per call at that step is reported
too (on a machine with few cores the load generator, not the server, may
set the ceiling).

Run: ``python benchmarks/bench_sip.py [--step-seconds 3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATES = [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 6000, 8000, 10000, 12000]
_COUNT = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


def free_udp_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_eventlib_uas() -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--port", "0", "--quiet",
         "--max-sessions", "100000", "--crash-rate", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    match = re.search(r"udp=(\d+)", line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the UAS did not start: {line!r}")
    return process, int(match[1])


def start_sipp_uas(sipp: str, scratch: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_udp_port()
    process = subprocess.Popen(
        [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin", "-timeout", "900s"],
        cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return process, port


def step(
    sipp: str, port: int, rate: int, seconds: float, scratch: str
) -> tuple[bool, str, float, float]:
    calls = int(rate * seconds)
    limit = int(seconds * 4 + 10)
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-r", str(rate),
        "-m", str(calls), "-nostdin", "-timeout", f"{limit}s", "-timeout_error",
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=limit + 10)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    elapsed = time.perf_counter() - started
    counts = dict(_COUNT.findall(output.decode(errors="replace")))
    ok_calls = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    achieved = ok_calls / elapsed if elapsed > 0 else 0.0
    passed = process.returncode == 0 and failed == 0 and ok_calls == calls
    return (
        passed,
        (
            f"rate {rate:6d}: {ok_calls}/{calls} ok, {failed} failed, {elapsed:5.2f} s "
            f"({achieved:7.0f} calls/s achieved)"
        ),
        elapsed,
        achieved,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ramp(
    name: str, sipp: str, server: subprocess.Popen[bytes], port: int, options: argparse.Namespace
) -> tuple[float, float | None]:
    """Ramp the rate; return the best achieved rate (calls completed / wall time) of the steps
    with 0 failures, and the server's CPU time per call (µs) at that step."""
    best, cpu_per_call = 0.0, None
    for rate in RATES:
        for _attempt in range(2):  # one retry: a single lost datagram must not end the ramp
            before = cpu_seconds(server.pid)
            passed, line, elapsed, achieved = step(
                sipp, port, rate, options.step_seconds, options.scratch
            )
            used = cpu_seconds(server.pid) - before
            kept_up = elapsed <= options.step_seconds * options.slack + 1.0
            print(f"  {name:10} {line}{'' if kept_up else '  (fell behind)'}", flush=True)
            if passed and kept_up:
                break
            time.sleep(1.0)
        if not (passed and kept_up):
            break
        if achieved > best:
            best, cpu_per_call = achieved, used / (rate * options.step_seconds) * 1e6
        time.sleep(0.5)
    return best, cpu_per_call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write results here (run_all.py's format)")
    parser.add_argument("--step-seconds", type=float, default=3.0, help="length of each step")
    parser.add_argument("--slack", type=float, default=1.25, help="allowed step overrun factor")
    parser.add_argument("--n", type=int, help="ignored (run_all.py --quick passes it)")
    parser.add_argument("--repeat", type=int, help="ignored (run_all.py --quick passes it)")
    add_workers_option(parser)
    args = parser.parse_args()
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed (apt-get install -y sip-tester)", file=sys.stderr)
        return 2
    if args.workers:
        return bench_workers(sipp, args)
    results: dict[str, float] = {}
    cpu: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, start in (
            ("eventlib", start_eventlib_uas),
            ("sipp uas", lambda: start_sipp_uas(sipp, scratch)),
        ):
            process, port = start()
            try:
                print(f"{name} UAS on 127.0.0.1:{port}", flush=True)
                args.scratch = scratch
                results[name], cpu[name] = ramp(name, sipp, process, port, args)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
    ours, theirs = results["eventlib"], results["sipp uas"]
    ratio = ours / theirs if theirs else float("nan")
    print(
        f"\nmax calls/s with 0 failures: eventlib UAS {ours:.0f}, sipp UAS {theirs:.0f}, "
        f"ratio {ratio:.2f} (target: eventlib >= 2000)"
    )
    print(
        "server CPU per call at that rate: "
        + ", ".join(f"{name} {_us(value)}" for name, value in cpu.items())
    )
    if args.json:
        entries = [
            {
                "library": name,
                "results": {
                    "max calls/s": round(results[name]),
                    "server CPU per call": None if cpu[name] is None else round(cpu[name], 1),
                },
            }
            for name in ("eventlib", "sipp uas")
        ]
        args.json.write_text(
            json.dumps(
                {
                    "units": {
                        "max calls/s": "calls/s (higher is better)",
                        "server CPU per call": "µs (lower is better)",
                    },
                    "libraries": entries,
                },
                indent=2,
            )
        )
    return 0


# -- --workers 1,2: the UAS on a pool of N worker processes (eventlib.workers) ------------


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        help="instead: the UAS on N worker processes for each N given (e.g. 1,2)",
    )


def start_pool_uas(workers: int) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--workers", str(workers), "--port", "0",
         "--quiet", "--max-sessions", "100000", "--crash-rate", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    match = re.search(r"udp=(\d+)", line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the worker pool did not start: {line!r}")
    return process, int(match[1])


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` and of its live children (the workers), so far."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def workers_step(
    sipp: str, port: int, rate: int, seconds: float, scratch: str
) -> tuple[bool, str, float, float]:
    """One step with a socket per call (``-t un``): the kernel spreads calls over the workers."""
    calls = int(rate * seconds)
    limit = int(seconds * 4 + 10)
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-t", "un",
        "-max_socket", "512", "-r", str(rate), "-m", str(calls), "-nostdin",
        "-timeout", f"{limit}s", "-timeout_error",
    ]  # fmt: skip
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=scratch, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit + 10,
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    counts = dict(_COUNT.findall(completed.stdout.decode(errors="replace")))
    ok_calls = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    achieved = ok_calls / elapsed if elapsed > 0 else 0.0
    passed = completed.returncode == 0 and failed == 0 and ok_calls == calls
    line = (
        f"rate {rate:6d}: {ok_calls}/{calls} ok, {failed} failed, {elapsed:5.2f} s "
        f"({achieved:7.0f} calls/s achieved)"
    )
    return passed, line, elapsed, achieved


def ramp_pool(
    sipp: str, process: subprocess.Popen[bytes], port: int, workers: int,
    *, args: argparse.Namespace, scratch: str,
) -> tuple[float, float | None]:  # fmt: skip
    """``ramp`` for a pool: best achieved rate with 0 failures, and CPU per call (µs) there."""
    best, cpu_per_call = 0.0, None
    for rate in RATES:
        for _attempt in range(2):
            before = tree_cpu_seconds(process.pid)
            passed, line, elapsed, achieved = workers_step(
                sipp, port, rate, args.step_seconds, scratch
            )
            used = tree_cpu_seconds(process.pid) - before
            kept_up = elapsed <= args.step_seconds * args.slack + 1.0
            print(f"  N={workers} {line}{'' if kept_up else '  (fell behind)'}", flush=True)
            if passed and kept_up:
                break
            time.sleep(1.0)
        if not (passed and kept_up):
            break
        if achieved > best:
            best, cpu_per_call = achieved, used / (rate * args.step_seconds) * 1e6
        time.sleep(0.5)
    return best, cpu_per_call


def bench_workers(sipp: str, args: argparse.Namespace) -> int:
    """Ramp each pool size like the main benchmark; print calls/s, CPU per call, the ratio."""
    best: dict[int, float] = {}
    cpu: dict[int, float | None] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for workers in args.workers:
            process, port = start_pool_uas(workers)
            print(f"{workers} worker(s) on 127.0.0.1:{port}", flush=True)
            try:
                best[workers], cpu[workers] = ramp_pool(
                    sipp, process, port, workers, args=args, scratch=scratch
                )
            finally:
                process.terminate()  # a graceful stop: the pool drains, then exits
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
    print(f"\nmax calls/s with 0 failures ({os.cpu_count()} cores, shared with sipp):")
    for workers in args.workers:
        print(
            f"  N={workers}: {best[workers]:.0f} calls/s, "
            f"server CPU per call {_us(cpu[workers])} (parent and workers)"
        )
    if best.get(1):
        for workers in args.workers:
            if workers != 1:
                print(f"  ratio N={workers}/N=1: {best[workers] / best[1]:.2f} (goal >= 1.6 for N=2"
                      " where sipp has a core of its own)")  # fmt: skip
    return 0


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} µs"


if __name__ == "__main__":
    sys.exit(main())
