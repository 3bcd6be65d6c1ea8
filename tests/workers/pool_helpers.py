"""Helpers for the worker pool's tests: the echo worker, clients, and process checks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from eventlib import get_hub, sleep
from eventlib.green import socket
from eventlib.workers import SharedSockets, WorkerPool

ECHO_WORKER = str(Path(__file__).with_name("echo_worker.py"))


def echo_command(*args: str) -> list[str]:
    return [sys.executable, ECHO_WORKER, *args]


@contextlib.contextmanager
def echo_pool(count: int = 2, *args: str, **options: Any) -> Iterator[WorkerPool]:
    """A pool of echo workers on a shared UDP port of 127.0.0.1, stopped afterwards."""
    shared = SharedSockets(count, "127.0.0.1", udp_port=0)
    options.setdefault("max_restarts", 3)
    options.setdefault("max_seconds", 10)
    try:
        pool = WorkerPool(echo_command(*args), sockets=shared, **options)
        try:
            yield pool
        finally:
            pool.stop()
    finally:
        shared.close()


OPEN_CLIENTS: list[Client] = []
"""Closed after each test by the autouse fixture in conftest.py."""


class Client:
    """One UDP client socket (its own source port, so its own hash to a worker)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        OPEN_CLIENTS.append(self)

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def receive(self, timeout: float = 5.0) -> tuple[int, int, int, bytes]:
        """The next answer as (worker index, pid, generation, echoed data)."""
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65536)
        index, pid, generation, echoed = data.split(b" ", 3)
        return int(index), int(pid), int(generation), echoed

    def ask(self, data: bytes, timeout: float = 5.0) -> tuple[int, int, int, bytes]:
        self.send(data)
        return self.receive(timeout)

    def close(self) -> None:
        self.sock.close()


def client_of(pool: WorkerPool, index: int, port: int, tries: int = 200) -> Client:
    """A client whose datagrams the kernel hashes to worker ``index``."""
    for _ in range(tries):
        client = Client(port)
        if client.ask(b"who")[0] == index:
            return client
        client.close()
    raise AssertionError(f"no client hashed to worker {index} in {tries} tries")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` every 20 ms until it is true; fail after ``timeout`` seconds."""
    deadline = get_hub().clock() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if get_hub().clock() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        sleep(0.02)


@attrs.frozen
class ProcessId:
    """A process, told apart from a later one given the same pid (pids wrap around fast here)."""

    pid: int
    start: int | None


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def identify(pid: int) -> ProcessId:
    """The running process ``pid`` (its start time tells it apart from a successor)."""
    fields = _stat(pid)
    return ProcessId(pid, None if fields is None else int(fields[19]))


def process_gone(process: ProcessId) -> bool:
    """True once ``process`` has exited (a zombie nobody reaped yet counts as gone)."""
    fields = _stat(process.pid)
    return fields is None or int(fields[19]) != process.start or fields[0] in ("Z", "X")
