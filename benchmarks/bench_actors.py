"""Actor call round trip and supervisor restart rate, against pykka and a bare queue.

Each library runs in its own subprocess. Measured:

* ``call``: a request/reply round trip to an actor that returns its input —
  eventlib ``Actor.call`` vs pykka ``ThreadingActor`` ``ask`` vs a bare
  ``eventlib.Queue`` ping-pong between two procs (the floor for green actors);
* ``restart``: restarts per second of a child that crashes as soon as it
  starts, under a one_for_one eventlib ``Supervisor`` with an intensity high
  enough never to give up.

Run: ``python benchmarks/bench_actors.py [--n 20000] [--repeat 3]``.
Targets (issue 7): call >= 5x faster than pykka (<= 12 us), >= 50k restarts/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, run) -> float:
    return min(run() for _ in range(repeat))


def worker_eventlib_call(n: int, repeat: int) -> float:
    from eventlib.mailbox import Actor  # noqa: PLC0415

    class Echo(Actor):
        def handle(self, message):
            return message

    echo = Echo.spawn()
    echo.call(0)

    def run() -> float:
        started = time.perf_counter()
        for i in range(n):
            echo.call(i)
        return (time.perf_counter() - started) / n * 1e6

    result = best_of(repeat, run)
    echo.stop()
    return result


def worker_queue_pingpong(n: int, repeat: int) -> float:
    import eventlib  # noqa: PLC0415

    requests, replies = eventlib.Queue(), eventlib.Queue()

    def server():
        while True:
            replies.put(requests.get())

    proc = eventlib.spawn(server)

    def run() -> float:
        started = time.perf_counter()
        for i in range(n):
            requests.put(i)
            replies.get()
        return (time.perf_counter() - started) / n * 1e6

    result = best_of(repeat, run)
    proc.kill()
    return result


def worker_pykka_call(n: int, repeat: int) -> float:
    import pykka  # noqa: PLC0415

    class Echo(pykka.ThreadingActor):
        def on_receive(self, message):
            return message

    ref = Echo.start()
    ref.ask(0)

    def run() -> float:
        started = time.perf_counter()
        for i in range(n):
            ref.ask(i)
        return (time.perf_counter() - started) / n * 1e6

    try:
        return best_of(repeat, run)
    finally:
        ref.stop()


def worker_eventlib_restart(n: int, repeat: int) -> float:
    import logging  # noqa: PLC0415

    import structlog  # noqa: PLC0415

    import eventlib  # noqa: PLC0415
    from eventlib.supervisor import ChildSpec, Supervisor  # noqa: PLC0415

    # Crash reports are the point of logs, but printing 100k tracebacks would
    # measure the terminal: keep errors only, filtered the structlog way, and
    # give the hub an error hook that counts instead of printing.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
        cache_logger_on_first_use=True,
    )
    crashes = []
    eventlib.get_hub().error_hook = lambda context, _exc_info: crashes.append(context)

    def crash():
        raise RuntimeError("crash")

    def run() -> float:
        done = eventlib.Event()
        sup = Supervisor(
            [ChildSpec("crasher", start=lambda: eventlib.spawn(crash))],
            max_restarts=10**9,
            max_seconds=1,
        )
        started = time.perf_counter()
        while sup.total_restarts < n:
            eventlib.sleep(0.001)
        elapsed = time.perf_counter() - started
        restarts = sup.total_restarts
        sup.kill()
        done.send(None)
        return restarts / elapsed

    return max(run() for _ in range(repeat))


WORKERS = {
    "eventlib-actor-call": worker_eventlib_call,
    "eventlib-queue-pingpong": worker_queue_pingpong,
    "pykka-ask": worker_pykka_call,
    "eventlib-restarts": worker_eventlib_restart,
}


def run_worker(name: str, n: int, repeat: int) -> float | None:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--n", str(n), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        if "ModuleNotFoundError" in completed.stderr:
            return None
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"worker {name} failed")
    return float(json.loads(completed.stdout.strip().splitlines()[-1])["value"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        value = WORKERS[args.worker](args.n, args.repeat)
        print(json.dumps({"value": value}))
        return
    results = {name: run_worker(name, args.n, args.repeat) for name in WORKERS}
    if args.json:
        libraries = [
            {
                "library": "eventlib",
                "results": {
                    "actor call": results["eventlib-actor-call"],
                    "restarts": results["eventlib-restarts"],
                },
            },
            {"library": "pykka", "results": {"actor call": results["pykka-ask"]}},
            {
                "library": "eventlib Queue ping-pong (floor)",
                "results": {"actor call": results["eventlib-queue-pingpong"]},
            },
        ]
        units = {"actor call": "µs", "restarts": "restarts/s (higher is better)"}
        payload = {"n": args.n, "repeat": args.repeat, "units": units, "libraries": libraries}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"bench_actors: N={args.n}, best of {args.repeat}")
    for name in ("eventlib-actor-call", "eventlib-queue-pingpong", "pykka-ask"):
        value = results[name]
        shown = "skipped (not installed)" if value is None else f"{value:8.2f} µs per call"
        print(f"  {name:26} {shown}")
    restarts = results["eventlib-restarts"]
    print(f"  {'eventlib-restarts':26} {restarts:8.0f} restarts/s (one_for_one)")
    call, pykka = results["eventlib-actor-call"], results["pykka-ask"]
    assert call is not None
    if pykka is not None:
        ratio = pykka / call
        verdict = "PASS" if ratio >= 5 else "MISS"
        print(f"targets: pykka/eventlib call = {ratio:.1f}x (>= 5x) {verdict}")
    print(f"         call {call:.2f} µs (<= 12 µs) {'PASS' if call <= 12 else 'MISS'}")
    assert restarts is not None
    print(
        f"         restarts {restarts:.0f}/s (>= 50000) {'PASS' if restarts >= 50000 else 'MISS'}"
    )


if __name__ == "__main__":
    main()
