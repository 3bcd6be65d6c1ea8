"""A parent program for the no-orphans tests: a pool of 2 echo workers until SIGTERM.

Prints ``pids <parent> <worker0> <worker1>`` once the workers are ready,
then waits; SIGTERM stops the pool gracefully and exits 0.
"""

from __future__ import annotations

import os
import signal

from pool_helpers import echo_command

import eventlib
from eventlib.workers import SharedSockets, WorkerPool


def main() -> None:
    shared = SharedSockets(2, "127.0.0.1", udp_port=0)
    pool = WorkerPool(echo_command(), sockets=shared, max_restarts=3, max_seconds=10)
    stop = eventlib.Event()
    reactor = eventlib.get_hub().reactor
    signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(stop.send))
    # Printed once the handler is in place: the test may signal as soon as it reads this.
    pids = " ".join(str(proc.pid) for proc in pool.workers())
    print(f"pids {os.getpid()} {pids}", flush=True)  # noqa: T201 - the test reads it
    stop.wait()
    pool.stop()
    shared.close()


if __name__ == "__main__":
    main()
