"""Instructions per operation of the core hot paths, counted with valgrind's callgrind.

Wall-clock numbers on a shared machine are noisy; instruction counts repeat
within about 1% whatever the load. Each workload runs twice under callgrind
(N and 2N iterations, hash seed fixed) and the difference divided by N is
the cost of one iteration, start-up and imports cancelled out.

    python benchmarks/count_instructions.py [--n 2000] [workload ...]

Workloads: call (Actor.call, default 5 s timeout), call-none (timeout=None),
pingpong (Queue round trip from the main greenlet), pingpong-procs (the
bench_core shape: two procs).

It counts the eventlib of the tree it sits in: run the compiled tree's copy
(``make compiled``; ``python build/compiled/tree/benchmarks/count_instructions.py``)
to count the compiled build. The first line says which build it counted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("call", "call-none", "pingpong", "pingpong-procs")


def run_workload(kind: str, n: int) -> None:
    """Run ``n`` iterations of ``kind`` (in the process callgrind watches)."""
    sys.path.insert(0, str(REPO_ROOT))  # measure this checkout
    import eventlib  # noqa: PLC0415
    from eventlib.mailbox import Actor  # noqa: PLC0415

    class Echo(Actor):
        def handle(self, message: object) -> object:
            return message

    if kind in ("call", "call-none"):
        timeout = None if kind == "call-none" else 5
        echo = Echo.spawn()
        echo.call(0)
        for i in range(n):
            echo.call(i, timeout)
        echo.stop()
    elif kind == "pingpong":
        requests: eventlib.Queue = eventlib.Queue()
        replies: eventlib.Queue = eventlib.Queue()

        def server() -> None:
            while True:
                replies.put(requests.get())

        proc = eventlib.spawn(server)
        for i in range(n):
            requests.put(i)
            replies.get()
        proc.kill()
    elif kind == "pingpong-procs":
        q1: eventlib.Queue = eventlib.Queue()
        q2: eventlib.Queue = eventlib.Queue()

        def pinger() -> None:
            for i in range(n):
                q1.put(i)
                q2.get()

        def ponger() -> None:
            for _ in range(n):
                q2.put(q1.get())

        ping, pong = eventlib.spawn(pinger), eventlib.spawn(ponger)
        ping.wait()
        pong.wait()
    else:
        raise SystemExit(f"unknown workload {kind!r}; choose from {', '.join(WORKLOADS)}")


def instructions(kind: str, n: int) -> int:
    """Total instructions of one run of ``kind`` with ``n`` iterations."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/out",
                sys.executable,
                __file__,
                "--worker",
                kind,
                "--n",
                str(n),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
        )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{result.stderr}")
    return int(found.group(1))


_BUILD_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
import eventlib
compiled = eventlib.compiled_modules()
print(f"compiled build ({len(compiled)} modules)" if compiled else "pure Python")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_workload(args.worker, args.n)
        return
    build = subprocess.run(
        [sys.executable, "-c", _BUILD_PROBE, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"eventlib at {REPO_ROOT}: {build}")
    for kind in args.workloads:
        per_iteration = (instructions(kind, 2 * args.n) - instructions(kind, args.n)) / args.n
        print(f"{kind:16} {per_iteration:10,.0f} instructions per iteration")


if __name__ == "__main__":
    main()
