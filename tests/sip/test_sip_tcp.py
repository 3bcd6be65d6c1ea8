"""TCP connections: deadlines for silent and stalled peers, and the cap per source address.

The deadlines run on the virtual clock against an in-memory connection; one
test checks the same over a real loopback socket.
"""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from siphelpers import request, running_server
from twisted.internet.address import IPv4Address

import eventlib
from examples.sip_uas import SipServer

pytestmark = pytest.mark.eventlib(time_limit=60)


class FakeConnection:
    """What SipServer.serve_tcp reads: recv() blocks until the test feeds bytes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 40000) -> None:
        self.peer = IPv4Address("TCP", host, port)
        self.incoming: eventlib.Queue = eventlib.Queue()
        self.written: list[bytes] = []
        self.closed_at: float | None = None

    def getPeer(self) -> IPv4Address:
        return self.peer

    def getHost(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 5060)

    def recv(self) -> bytes:
        data: bytes = self.incoming.get()
        return data

    def feed(self, data: bytes) -> None:
        self.incoming.put(data)

    def write(self, data: bytes, wait: bool = True) -> None:
        self.written.append(data)

    def loseConnection(self, wait: bool = True) -> None:
        if self.closed_at is None:
            self.closed_at = eventlib.get_hub().clock()


def _serve(server: SipServer, conn: FakeConnection) -> Any:
    return eventlib.spawn(server.serve_tcp, conn)


def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(virtual_clock):
    """Connect and stay silent: closed exactly tcp_idle_timeout later, with a log line."""
    server = SipServer(udp_port=None, tcp_idle_timeout=30.0).start()
    conn = FakeConnection()
    try:
        start = virtual_clock.now()
        with structlog.testing.capture_logs() as logs:
            _serve(server, conn).wait()
        assert conn.closed_at == start + 30.0
        assert server.stats.tcp_timeouts == 1
        [entry] = [e for e in logs if e["event"] == "sip.tcp_timeout"]
        assert entry["waited"] == "idle"
    finally:
        server.stop()


def test_a_message_trickled_too_slowly_is_cut_off_by_the_message_timeout(virtual_clock):
    """One byte a second keeps the connection busy but not alive: closed 10 s after byte one."""
    server = SipServer(udp_port=None, tcp_message_timeout=10.0, tcp_idle_timeout=30.0).start()
    conn = FakeConnection()
    data = request("OPTIONS", cseq="1 OPTIONS")
    try:
        proc = _serve(server, conn)
        start = virtual_clock.now()
        for byte in data[:40]:
            conn.feed(bytes([byte]))
            eventlib.sleep(1.0)
            if proc.dead:
                break
        proc.wait()
        assert conn.closed_at == start + 10.0
        assert conn.written == []
        assert server.stats.tcp_timeouts == 1
    finally:
        server.stop()


def test_complete_messages_reset_the_deadlines(virtual_clock):
    """An OPTIONS every 20 s (under the 30 s idle timeout) keeps the connection open."""
    server = SipServer(udp_port=None, tcp_idle_timeout=30.0).start()
    conn = FakeConnection()
    try:
        proc = _serve(server, conn)
        for n in range(5):
            conn.feed(request("OPTIONS", cseq=f"{n + 1} OPTIONS"))
            eventlib.sleep(20.0)
        assert conn.closed_at is None
        assert len(conn.written) == 5
        proc.wait()
        assert server.stats.tcp_timeouts == 1
    finally:
        server.stop()


def test_a_call_in_progress_keeps_its_quiet_connection_open(virtual_clock):
    """No idle close while the connection's own call is up; closed once it has ended."""
    server = SipServer(udp_port=None, tcp_idle_timeout=5.0, session_timeout=300.0).start()
    conn = FakeConnection()
    try:
        proc = _serve(server, conn)
        conn.feed(request())
        eventlib.sleep(0.1)
        conn.feed(request("ACK", cseq="1 ACK"))
        eventlib.sleep(60.0)  # twelve idle timeouts with the call up
        assert conn.closed_at is None
        conn.feed(request("BYE", cseq="2 BYE"))
        assert server.wait_idle(1)
        ended = virtual_clock.now()
        proc.wait()
        assert conn.closed_at is not None
        assert ended < conn.closed_at <= ended + 10.0
        assert server.stats.completed == 1
    finally:
        server.stop()


def test_connections_past_the_cap_per_source_are_closed_at_once(virtual_clock):
    """With max_tcp_per_ip=2, a third connection from one address is refused; others are not."""
    server = SipServer(udp_port=None, max_tcp_per_ip=2, tcp_idle_timeout=30.0).start()
    first, second, third = (FakeConnection(port=40000 + n) for n in range(3))
    elsewhere = FakeConnection(host="127.0.0.2")
    try:
        procs = [_serve(server, conn) for conn in (first, second)]
        eventlib.sleep(1.0)
        with structlog.testing.capture_logs() as logs:
            _serve(server, third).wait()
        assert third.closed_at == virtual_clock.now()
        assert server.stats.tcp_refused == 1
        assert [e["event"] for e in logs] == ["sip.tcp_refused"]
        other = _serve(server, elsewhere)
        eventlib.sleep(1.0)
        assert elsewhere.closed_at is None
        for proc in [*procs, other]:
            proc.wait()
        again = FakeConnection(port=40009)
        proc = _serve(server, again)
        eventlib.sleep(1.0)
        assert again.closed_at is None  # the slots were given back
        proc.wait()
        assert server.stats.tcp_refused == 1
    finally:
        server.stop()


def test_a_silent_real_tcp_client_is_disconnected(real_reactor):
    """Over loopback, a client that connects and sends nothing sees the close."""
    from eventlib.green import socket

    with running_server(udp_port=None, tcp_port=0, tcp_idle_timeout=0.3) as server:
        with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=5) as conn:
            assert conn.recv(100) == b""
        assert server.stats.tcp_timeouts == 1
