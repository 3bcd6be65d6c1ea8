"""A tiny worker program for the pool's tests: a UDP echo that says who answered.

Every datagram gets ``b"<index> <pid> <generation> " + data`` back. Commands
(a datagram's whole payload): ``hang`` blocks the reactor for good (the
heartbeat stops), ``exit:<n>`` exits with status n, ``slow:<s>`` answers
after s seconds (running work a graceful stop must let finish).

Argument: ``crash-at-start`` exits with status 3 before it is ready;
``crash-at-start-if:<path>`` does so only once that file exists;
``ignore-stop`` never finishes draining (only SIGKILL ends it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from twisted.internet.protocol import DatagramProtocol

import eventlib
from eventlib.workers import Worker


class Echo(DatagramProtocol):
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.running: set[Any] = set()
        self.idle = eventlib.Event()
        self.idle.send(None)

    def datagramReceived(self, data: bytes, addr: Any) -> None:
        if data == b"hang":
            time.sleep(3600)  # blocks the reactor: the heartbeat goes unanswered
        if data.startswith(b"exit:"):
            os._exit(int(data[5:]))
        prefix = b"%d %d %d " % (self.worker.index, os.getpid(), self.worker.generation)
        if data.startswith(b"slow:"):
            self.running.add(addr)
            self.idle.reset()
            eventlib.spawn(self._slow, float(data[5:]), prefix + data, addr)
            return
        self.transport.write(prefix + data, addr)  # type: ignore[union-attr]

    def _slow(self, seconds: float, answer: bytes, addr: Any) -> None:
        eventlib.sleep(seconds)
        self.transport.write(answer, addr)  # type: ignore[union-attr]
        self.running.discard(addr)
        if not self.running:
            self.idle.send(None)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    worker = Worker.from_environ()
    if mode == "crash-at-start" or (
        mode.startswith("crash-at-start-if:") and Path(mode.split(":", 1)[1]).exists()
    ):
        sys.exit(3)
    echo = Echo(worker)
    worker.adopt_udp(echo)
    worker.status = lambda: {"running": len(echo.running)}
    worker.ready()
    request = worker.wait_for_stop()
    assert request is not None
    if mode == "ignore-stop":
        eventlib.sleep(3600)
    if not request.parent_gone:
        with eventlib.Timeout(request.deadline, False):
            echo.idle.wait()
    worker.close()


if __name__ == "__main__":
    main()
