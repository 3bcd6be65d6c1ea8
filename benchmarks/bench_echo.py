# Each worker imports only the library it measures, hence the imports inside functions;
# the Twisted protocols use Twisted's method names and signatures.
# ruff: noqa: PLC0415, N802, ARG002
"""TCP echo benchmark: eventlib's GreenTransport against a plain Twisted Protocol and peers.

Two benchmarks over one loopback TCP connection, client and echo server in the same
process and event loop (best of ``--repeat`` runs, after a small warm-up run):

* ``round-trip``: the client sends a 64-byte message and waits for its echo, ``--n``
  times; reported in round trips per second.
* ``throughput``: the client streams ``--mib`` MiB in 64 KiB writes while it reads the
  echo back; reported in MiB per second (of payload echoed).

Libraries, each in its own subprocess (reactors and hubs do not mix), printing one JSON
line. The subprocesses run ``--rounds`` times, taking turns, and each library keeps its
best rates: a burst of load from elsewhere on the machine then hits every library alike.

* ``eventlib``: ``SpawnFactory`` echo handler (``recv()``/``write()``), client through
  ``GreenClientCreator``; ``GreenTransport`` on both ends, in plain sequential code.
* ``twisted``: plain Twisted Protocols (``dataReceived`` → ``transport.write``), the client
  driven by callbacks and a streaming producer. The reference: target >= 0.95x of it.
* ``asyncio`` and ``asyncio+uvloop``: asyncio streams (``reader.read``/``writer.write``).
* ``gevent``: ``StreamServer`` and gevent sockets.

    python benchmarks/bench_echo.py [--n 20000] [--mib 128] [--repeat 3] [--rounds 3]
                                    [--only eventlib,twisted] [--json results.json]
    python benchmarks/bench_echo.py --instructions [--rounds 2] [--only eventlib,twisted]

``--instructions`` counts instead of timing: each worker runs under valgrind's callgrind
at two sizes of each benchmark, and the difference gives the instructions executed per
round trip and per MiB echoed. The count is the same however loaded the machine is, but it
covers user space only: the kernel's share (system calls, copying through the socket
buffers: about half of the throughput case's CPU time) is not in it. And a copy in user
space counts about one instruction per byte (``rep movsb``) though the CPU does it far
faster: plain Twisted's two joins of its write buffers are about 2 M of its 4 M per MiB.

The exit status is 1 if a worker failed (a missed target is a result, not a failure).
"""

import argparse
import gc
import json
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import harness  # benchmarks/harness.py, beside this script

LIBRARIES = ("eventlib", "twisted", "asyncio", "asyncio+uvloop", "gevent")
BENCHMARKS = ("round-trip", "throughput")
UNITS = {"round-trip": "round trips/s", "throughput": "MiB/s"}
REFERENCE = "twisted"
TARGET = 0.95  # eventlib / twisted, higher is better (issue 15)
MESSAGE = b"m" * 64
CHUNK = b"c" * 65536
WARMUP = {"round-trip": 200, "throughput": 1}
REPO_ROOT = Path(__file__).resolve().parent.parent


def _rates(run, n, mib, repeat):
    """Best rates of ``run(benchmark, amount)`` (which returns the bytes it got back)."""
    amounts = {"round-trip": n, "throughput": mib}
    expected = {"round-trip": n * len(MESSAGE), "throughput": mib * 1024 * 1024}
    rates = {}
    for bench in BENCHMARKS:
        warmup = WARMUP[bench]
        got = run(bench, warmup)
        if got != expected[bench] // amounts[bench] * warmup:
            raise AssertionError(f"{bench} warm-up echoed {got} bytes")
        runs = []
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            got = run(bench, amounts[bench])
            runs.append(amounts[bench] / (time.perf_counter() - start))
            if got != expected[bench]:
                raise AssertionError(f"{bench} echoed {got} of {expected[bench]} bytes")
        rates[bench] = max(runs)
        harness.record_runs(bench, runs)
    return rates


def _nodelay(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# --- workers ---------------------------------------------------------------------------


def worker_eventlib(n, mib, repeat):
    sys.path.insert(0, str(REPO_ROOT))  # measure this checkout, not an installed copy
    import eventlib
    from eventlib.twistedutil.protocol import GreenClientCreator, SpawnFactory

    def echo(conn):
        conn.setTcpNoDelay(True)
        while data := conn.recv():
            conn.write(data)
        conn.loseConnection()

    creator = GreenClientCreator()
    port = creator.reactor.listenTCP(0, SpawnFactory(echo), interface="127.0.0.1")
    address = port.getHost()

    def run(bench, amount):
        conn = creator.connectTCP(address.host, address.port)
        conn.setTcpNoDelay(True)
        got = 0
        if bench == "round-trip":
            for _ in range(amount):
                conn.write(MESSAGE)
                expected = got + len(MESSAGE)
                while got < expected:
                    got += len(conn.recv())
        else:
            total = amount * 1024 * 1024

            def send():
                for _ in range(total // len(CHUNK)):
                    conn.write(CHUNK)

            sender = eventlib.spawn(send)
            while got < total:
                got += len(conn.recv())
            sender.wait()
        conn.loseConnection()
        return got

    return _rates(run, n, mib, repeat)


def worker_twisted(n, mib, repeat):
    from twisted.internet import defer, protocol, task
    from twisted.internet.interfaces import IPushProducer
    from zope.interface import implementer

    class Echo(protocol.Protocol):
        def connectionMade(self):
            self.transport.setTcpNoDelay(True)

        def dataReceived(self, data):
            self.transport.write(data)

    class PingPong(protocol.Protocol):
        def __init__(self, count, done):
            self.remaining, self.done, self.got, self.pending = count, done, 0, 0

        def connectionMade(self):
            self.transport.setTcpNoDelay(True)
            self.transport.write(MESSAGE)

        def dataReceived(self, data):
            self.got += len(data)
            self.pending += len(data)
            if self.pending < len(MESSAGE):
                return
            self.pending -= len(MESSAGE)
            self.remaining -= 1
            if self.remaining:
                self.transport.write(MESSAGE)
            else:
                self.transport.loseConnection()

        def connectionLost(self, reason):
            self.done.callback(self.got)

    @implementer(IPushProducer)
    class Bulk(protocol.Protocol):
        def __init__(self, total, done):
            self.total, self.done, self.sent, self.got, self.paused = total, done, 0, 0, False

        def connectionMade(self):
            self.transport.setTcpNoDelay(True)
            self.transport.registerProducer(self, True)
            self.resumeProducing()

        def resumeProducing(self):
            self.paused = False
            while not self.paused and self.sent < self.total:
                self.sent += len(CHUNK)
                self.transport.write(CHUNK)  # may call pauseProducing()
            if self.sent >= self.total and self.transport.producer is self:
                self.transport.unregisterProducer()

        def pauseProducing(self):
            self.paused = True

        def stopProducing(self):
            self.paused = True

        def dataReceived(self, data):
            self.got += len(data)
            if self.got >= self.total:
                self.transport.loseConnection()

        def connectionLost(self, reason):
            self.done.callback(self.got)

    results = {}

    @defer.inlineCallbacks
    def measure(reactor):
        port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1")
        address = port.getHost()

        def run(bench, amount):
            done = defer.Deferred()
            if bench == "round-trip":
                client = PingPong(amount, done)
            else:
                client = Bulk(amount * 1024 * 1024, done)
            creator = protocol.ClientCreator(reactor, lambda: client)
            creator.connectTCP(address.host, address.port)
            return done

        # The same measurement as _rates(), written with inlineCallbacks: nothing may block.
        amounts = {"round-trip": n, "throughput": mib}
        expected = {"round-trip": n * len(MESSAGE), "throughput": mib * 1024 * 1024}
        for bench in BENCHMARKS:
            got = yield run(bench, WARMUP[bench])
            if got != expected[bench] // amounts[bench] * WARMUP[bench]:
                raise AssertionError(f"{bench} warm-up echoed {got} bytes")
            runs = []
            for _ in range(repeat):
                gc.collect()
                start = time.perf_counter()
                got = yield run(bench, amounts[bench])
                runs.append(amounts[bench] / (time.perf_counter() - start))
                if got != expected[bench]:
                    raise AssertionError(f"{bench} echoed {got} of {expected[bench]} bytes")
            results[bench] = max(runs)
            harness.record_runs(bench, runs)
        yield port.stopListening()

    try:
        task.react(measure)
    except SystemExit as exit_:
        if exit_.code:
            raise
    return results


def _asyncio_rates(n, mib, repeat, loop_factory=None):
    import asyncio

    async def echo(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def run(bench, amount, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        _nodelay(writer.get_extra_info("socket"))
        got = 0
        if bench == "round-trip":
            for _ in range(amount):
                writer.write(MESSAGE)
                expected = got + len(MESSAGE)
                while got < expected:
                    got += len(await reader.read(65536))
        else:
            total = amount * 1024 * 1024

            async def send():
                for _ in range(total // len(CHUNK)):
                    writer.write(CHUNK)
                    await writer.drain()

            sender = asyncio.create_task(send())
            while got < total:
                got += len(await reader.read(65536))
            await sender
        writer.close()
        await writer.wait_closed()
        return got

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        server = runner.run(asyncio.start_server(echo, "127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        rates = _rates(lambda bench, amount: runner.run(run(bench, amount, port)), n, mib, repeat)
        server.close()
        runner.run(server.wait_closed())
    return rates


def worker_asyncio(n, mib, repeat):
    return _asyncio_rates(n, mib, repeat)


def worker_asyncio_uvloop(n, mib, repeat):
    import uvloop

    return _asyncio_rates(n, mib, repeat, uvloop.new_event_loop)


def worker_gevent(n, mib, repeat):
    import gevent
    import gevent.server
    import gevent.socket

    def echo(sock, _address):
        _nodelay(sock)
        while data := sock.recv(65536):
            sock.sendall(data)
        sock.close()

    server = gevent.server.StreamServer(("127.0.0.1", 0), echo)
    server.start()

    def run(bench, amount):
        conn = gevent.socket.create_connection(("127.0.0.1", server.server_port))
        _nodelay(conn)
        got = 0
        if bench == "round-trip":
            for _ in range(amount):
                conn.sendall(MESSAGE)
                expected = got + len(MESSAGE)
                while got < expected:
                    got += len(conn.recv(65536))
        else:
            total = amount * 1024 * 1024

            def send():
                for _ in range(total // len(CHUNK)):
                    conn.sendall(CHUNK)

            sender = gevent.spawn(send)
            while got < total:
                got += len(conn.recv(65536))
            sender.get()
        conn.close()
        return got

    try:
        return _rates(run, n, mib, repeat)
    finally:
        server.stop()


WORKERS = {
    "eventlib": worker_eventlib,
    "twisted": worker_twisted,
    "asyncio": worker_asyncio,
    "asyncio+uvloop": worker_asyncio_uvloop,
    "gevent": worker_gevent,
}


def run_worker(lib, n, mib, repeat):
    harness.run_worker(WORKERS, lib, n, mib, repeat)


# --- parent ----------------------------------------------------------------------------


def spawn_worker(lib, n, mib, repeat):
    return harness.spawn_worker(__file__, lib, {"--n": n, "--mib": mib, "--repeat": repeat})


# The sizes --instructions compares: (round trips, MiB) of a base run, and how much more
# of one benchmark each of the two other runs does.
COUNT_BASE = (1000, 4)
COUNT_MORE = {"round-trip": (4000, 0), "throughput": (0, 16)}


def callgrind_total(lib, n, mib):
    """User-space instructions of one worker run of ``lib`` (warm-ups and 1 run of each)."""
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    cmd += [__file__, "--worker", lib, "--n", str(n), "--mib", str(mib), "--repeat", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found or '"results"' not in proc.stdout:
        return None
    return int(found.group(1))


def count_instructions(libs, rounds):
    """Print the instructions per round trip and per MiB of each library (min-max of rounds)."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    counts = {lib: {bench: [] for bench in BENCHMARKS} for lib in libs}
    for _ in range(rounds):
        for lib in libs:
            base = callgrind_total(lib, *COUNT_BASE)
            for bench, (more_n, more_mib) in COUNT_MORE.items():
                more = callgrind_total(lib, COUNT_BASE[0] + more_n, COUNT_BASE[1] + more_mib)
                if base is not None and more is not None:
                    counts[lib][bench].append((more - base) / (more_n or more_mib))
    per = {"round-trip": "per round trip", "throughput": "per MiB"}
    print(
        f"bench_echo --instructions: user-space instructions (callgrind), min-max of {rounds} "
        f"round(s); round trips {COUNT_BASE[0]} vs {COUNT_BASE[0] + COUNT_MORE['round-trip'][0]}"
        f", MiB {COUNT_BASE[1]} vs {COUNT_BASE[1] + COUNT_MORE['throughput'][1]}; "
        "lower is better"
    )
    print(f"{'benchmark':<11} {'library':<18} {'min':>12} {'max':>12} {'unit':<15} /twisted")
    for bench in BENCHMARKS:
        reference = counts.get(REFERENCE, {}).get(bench)
        for lib in libs:
            values = counts[lib][bench]
            if not values:
                print(f"{bench:<11} {lib:<18} ERROR: a worker failed under valgrind")
                continue
            ratio = f"{min(values) / min(reference):.2f}" if reference else "n/a"
            print(
                f"{bench:<11} {lib:<18} {min(values):>12,.0f} {max(values):>12,.0f} "
                f"{per[bench]:<15} {ratio:>8}"
            )


def best_of(first, second):
    """Merge two reports of one library: the best rate of each benchmark (errors win)."""
    if "results" not in first or "results" not in second:
        return first if "results" not in first else second
    results = {b: max(first["results"][b], second["results"][b]) for b in first["results"]}
    return first | {"results": results, "ranges": harness.merge_ranges(first, second)}


def report(reports, n, mib, repeat):
    """Print the table and the target; return the target's outcomes."""
    results = {r["library"]: r["results"] for r in reports if "results" in r}

    def ratio(lib, peer, bench):
        if lib in results and peer in results:
            return results[lib][bench] / results[peer][bench]
        return None

    print(
        f"bench_echo: round-trip {n} x {len(MESSAGE)} B, throughput {mib} MiB in "
        f"{len(CHUNK) // 1024} KiB writes, best of {repeat} (spread: worst/best), "
        f"Python {platform.python_version()}"
    )
    print(
        f"{'benchmark':<11} {'library':<18} {'rate':>12} {'unit':<14} {'spread':>6} "
        "/twisted  eventlib/lib"
    )
    for bench in BENCHMARKS:
        for r in reports:
            lib = r["library"]
            if lib in results:
                vs_twisted = ratio(lib, REFERENCE, bench)
                eventlib_vs = ratio("eventlib", lib, bench)
                shown = [("n/a" if x is None else f"{x:.2f}") for x in (vs_twisted, eventlib_vs)]
                spread = harness.spread(r, bench) or float("nan")
                print(
                    f"{bench:<11} {lib:<18} {results[lib][bench]:>12,.1f} {UNITS[bench]:<14} "
                    f"{spread:>6.2f} {shown[0]:>8}  {shown[1]:>12}"
                )
            elif "skipped" in r:
                print(f"{bench:<11} {lib:<18} skipped ({r['skipped']})")
            else:
                print(f"{bench:<11} {lib:<18} ERROR: {r['error']}")
    versions = ", ".join(f"{r['library']} {r['version']}" for r in reports if "version" in r)
    print(f"versions: {versions}")
    print(f"target: eventlib >= {TARGET}x plain Twisted (higher is better)")
    targets = []
    for bench in BENCHMARKS:
        rat = ratio("eventlib", REFERENCE, bench)
        shown = "n/a" if rat is None else f"{rat:.2f}"
        status = "n/a" if rat is None else "PASS" if float(shown) >= TARGET else "MISS"
        print(f"  {bench:<11} eventlib/twisted {shown:>6} >= {TARGET}  {status}")
        targets.append({"benchmark": bench, "ratio": rat, "limit": TARGET, "status": status})
    return targets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="round trips per run")
    parser.add_argument("--mib", type=int, default=128, help="MiB streamed per throughput run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per benchmark; best wins")
    parser.add_argument("--rounds", type=int, default=3, help="worker runs per library, in turns")
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(LIBRARIES)}")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count user-space instructions (valgrind) instead of timing",
    )
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.n, args.mib, args.repeat, args.rounds) < 1:
        parser.error("--n, --mib, --repeat and --rounds must be positive")
    if args.worker:
        run_worker(args.worker, args.n, args.mib, args.repeat)
        return
    libs = harness.select_libraries(parser, args.only, LIBRARIES)
    if args.instructions:
        count_instructions(libs, args.rounds)
        return
    libs = harness.with_compiled(libs)  # and eventlib's optional compiled build (make compiled)
    reports = {lib: spawn_worker(lib, args.n, args.mib, args.repeat) for lib in libs}
    for _ in range(args.rounds - 1):
        for lib in libs:
            reports[lib] = best_of(reports[lib], spawn_worker(lib, args.n, args.mib, args.repeat))
    targets = report(list(reports.values()), args.n, args.mib, args.repeat * args.rounds)
    if args.json:
        payload = {"n": args.n, "mib": args.mib, "repeat": args.repeat, "rounds": args.rounds}
        payload |= {"python": platform.python_version(), "targets": targets}
        payload["libraries"] = list(reports.values())
        payload["units"] = {bench: f"{UNITS[bench]} (higher is better)" for bench in BENCHMARKS}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    if any("error" in r for r in reports.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
