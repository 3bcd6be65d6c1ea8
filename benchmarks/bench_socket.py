# Each worker imports only the library it measures, hence the imports inside functions.
# ruff: noqa: PLC0415
"""Green-socket benchmark: TCP echo over loopback, eventlib against eventlet and gevent.

An echo server (one green thread per connection: ``recv`` then ``sendall``) and its
clients run in one process on the library's green sockets. Each client sends a 64-byte
message and waits for the echo, ``N`` times in all; reported in microseconds per round
trip (best of ``--repeat`` runs timed with ``time.perf_counter``, after a warm-up run)
and as round trips per second:

* ``echo x1``: one connection, round trips one after another (latency of a green wait);
* ``echo x10``: ten connections at once, ``N / 10`` round trips each (throughput).

Each library runs in its own subprocess (hubs do not mix), which prints one JSON line.
The table shows eventlib/peer time ratios (<= 1.0: eventlib is as fast or faster).

    python benchmarks/bench_socket.py [--n 20000] [--repeat 3] [--only eventlet,gevent]
                                      [--json results.json]

The exit status is 1 if a worker failed.
"""

import argparse
import gc
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import harness  # benchmarks/harness.py, beside this script

LIBRARIES = ("eventlib", "eventlet", "gevent")
BENCHMARKS = (("echo x1", 1), ("echo x10", 10))  # (name, concurrent connections)
MESSAGE = b"m" * 64
WARMUP_N = 500
REPO_ROOT = Path(__file__).resolve().parent.parent


# --- the benchmark, written once against a library's socket module and spawn/join ---


def _echo_benchmark(socket_module, spawn, join):
    """A function ``run(n, connections) -> bytes echoed`` on the given green library."""

    def handle(conn):
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def run(n, connections):
        server = socket_module.socket(socket_module.AF_INET, socket_module.SOCK_STREAM)
        server.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(connections)
        address = server.getsockname()
        handlers = []

        def acceptor():
            for _ in range(connections):
                conn, _ = server.accept()
                handlers.append(spawn(handle, conn))

        def client(rounds):
            echoed = 0
            with socket_module.create_connection(address) as sock:
                for _ in range(rounds):
                    sock.sendall(MESSAGE)
                    got = 0
                    while got < len(MESSAGE):
                        got += len(sock.recv(4096))
                    echoed += got
            return echoed

        accepting = spawn(acceptor)
        per_client = n // connections
        clients = [spawn(client, per_client) for _ in range(connections)]
        total = sum(join(c) for c in clients)
        join(accepting)
        for handler in handlers:
            join(handler)
        server.close()
        return total

    return run


def _measure(run, n, repeat):
    """Best µs per round trip of each benchmark."""
    results = {}
    for name, connections in BENCHMARKS:
        rounds = n // connections * connections
        _check(run(min(rounds, WARMUP_N), connections), min(rounds, WARMUP_N))
        runs = []
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            echoed = run(rounds, connections)
            runs.append((time.perf_counter() - start) / rounds * 1e6)
            _check(echoed, rounds)
        results[name] = min(runs)
        harness.record_runs(name, runs)
    return results


def _check(echoed, rounds):
    if echoed != rounds * len(MESSAGE):
        raise AssertionError(f"echoed {echoed} bytes for {rounds} round trips")


# --- workers ---------------------------------------------------------------------------


def worker_eventlib(n, repeat):
    sys.path.insert(0, str(REPO_ROOT))  # measure this checkout, not an installed copy
    import eventlib
    from eventlib.green import socket

    run = _echo_benchmark(socket, eventlib.spawn, lambda p: p.wait())
    return eventlib.spawn(_measure, run, n, repeat).wait()


def worker_eventlet(n, repeat):
    with warnings.catch_warnings():
        # eventlet >= 0.36 warns on import that it is maintained in bugfix mode only.
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet
        from eventlet.green import socket

    run = _echo_benchmark(socket, eventlet.spawn, lambda gt: gt.wait())
    return _measure(run, n, repeat)


def worker_gevent(n, repeat):
    import gevent
    from gevent import socket

    run = _echo_benchmark(socket, gevent.spawn, lambda g: g.get())
    return _measure(run, n, repeat)


WORKERS = {"eventlib": worker_eventlib, "eventlet": worker_eventlet, "gevent": worker_gevent}


def run_worker(lib, n, repeat):
    harness.run_worker(WORKERS, lib, n, repeat)


# --- parent ----------------------------------------------------------------------------


def spawn_worker(lib, n, repeat):
    return harness.spawn_worker(__file__, lib, {"--n": n, "--repeat": repeat})


def report(reports, n, repeat):
    """Print the table; return the eventlib/peer ratios."""
    results = {r["library"]: r["results"] for r in reports if "results" in r}

    def ratio(peer, bench):
        if "eventlib" in results and peer in results:
            return results["eventlib"][bench] / results[peer][bench]
        return None

    print(
        f"bench_socket: N={n} round trips of {len(MESSAGE)} bytes, best of {repeat} "
        "(spread: worst/best), "
        f"Python {platform.python_version()}"
    )
    print(
        f"{'benchmark':<10} {'library':<18} {'µs/rt':>8} {'rt/s':>9} {'spread':>7}   eventlib/peer"
    )
    ratios = []
    for bench, _connections in BENCHMARKS:
        for r in reports:
            lib = r["library"]
            if lib in results:
                micros = results[lib][bench]
                rat = ratio(lib, bench)
                shown = "n/a" if rat is None else f"{rat:.2f}"
                spread = harness.spread(r, bench) or float("nan")
                print(
                    f"{bench:<10} {lib:<18} {micros:>8.2f} {1e6 / micros:>9.0f} {spread:>7.2f}"
                    f"   {shown:>6}"
                )
                if lib != "eventlib" and rat is not None:
                    ratios.append({"benchmark": bench, "peer": lib, "ratio": rat})
            elif "skipped" in r:
                print(f"{bench:<10} {lib:<18} skipped ({r['skipped']})")
            else:
                print(f"{bench:<10} {lib:<18} ERROR: {r['error']}")
    versions = ", ".join(f"{r['library']} {r['version']}" for r in reports if "version" in r)
    print(f"versions: {versions}")
    return ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="round trips per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per benchmark; best wins")
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(LIBRARIES)}")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n < max(c for _, c in BENCHMARKS) or args.repeat < 1:
        parser.error("--n must be at least 10 and --repeat positive")
    if args.worker:
        run_worker(args.worker, args.n, args.repeat)
        return
    libs = harness.select_libraries(parser, args.only, LIBRARIES)
    libs = harness.with_compiled(libs)  # and eventlib's optional compiled build (make compiled)
    reports = [spawn_worker(lib, args.n, args.repeat) for lib in libs]
    ratios = report(reports, args.n, args.repeat)
    if args.json:
        payload = {"n": args.n, "repeat": args.repeat, "python": platform.python_version()}
        payload |= {"libraries": reports, "ratios": ratios}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    if any("error" in r for r in reports):
        sys.exit(1)


if __name__ == "__main__":
    main()
