"""Fixtures of the Twisted-bridge tests.

``pytest --eventlib-reactor=asyncio`` (eventlib.testing's option) runs them on
Twisted's asyncio reactor instead of the platform default (epoll on Linux).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from greenlet import getcurrent

import eventlib
from eventlib.hub import Waiter, get_hub
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import GreenTransportBase, SpawnFactory


@pytest.fixture
def in_main_loop() -> Callable[..., Any]:
    """``in_main_loop(f, *args)`` calls ``f`` from MAIN_LOOP (as a Twisted callback would).

    Returns what ``f`` returned, or raises what it raised, in the calling proc.
    """

    def run(function: Callable[..., Any], *args: Any) -> Any:
        hub = get_hub()
        waiter = Waiter(hub)

        def call() -> None:
            assert getcurrent() is hub.greenlet
            try:
                result = function(*args)
            except BaseException as exc:
                waiter.throw(exc)
            else:
                waiter.switch(result)

        hub.schedule_soon(call)
        return waiter.get()

    return run


class Server:
    """A SpawnFactory listening on loopback, and the green transports it served."""

    def __init__(self, reactor: Any, factory: SpawnFactory, port: Any) -> None:
        self.reactor = reactor
        self.factory = factory
        self.port = port
        self.transports: list[GreenTransportBase] = []  # one per connection accepted
        self.connected = eventlib.Queue()  # each transport a handler was called with

    @property
    def address(self) -> tuple[str, int]:
        host = self.port.getHost()
        return host.host, host.port

    def stop(self) -> None:
        """Stop listening, kill the handlers, then close every served connection."""
        if self.port is None:
            return
        port, self.port = self.port, None
        block_on(port.stopListening())
        self.factory.killall()
        self.factory.waitall_trapping_errors()
        with eventlib.Timeout(5):
            for transport in self.transports:
                if "transport" in transport.__dict__:  # the connection was made
                    transport.loseConnection()  # returns at once if already closed


class _RecordingFactory(SpawnFactory):
    """A SpawnFactory that remembers each transport it served (to close them at the end)."""

    server: Server

    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        self.server.transports.append(protocol._recepient)
        return protocol

    def _run_handler(self, gtransport: GreenTransportBase) -> Any:
        self.server.connected.put(gtransport)
        return super()._run_handler(gtransport)

    def waitall_trapping_errors(self) -> None:
        with eventlib.Timeout(5):
            self.greenlets.waitall(trap_errors=True)


@pytest.fixture
def serve(real_reactor: Any) -> Iterator[Callable[..., Server]]:
    """``serve(handler, gtransport_class=None, *args, **kwargs)`` listens on 127.0.0.1.

    Keyword ``interface`` picks another loopback address (``"::1"``); ``listen``
    another listen method (``"listenSSL"``, ``"listenUNIX"``, with its
    ``listen_args``); ``backlog`` the listen backlog. Every
    server is stopped and every connection it served closed at the end.
    """
    servers: list[Server] = []

    def start(
        handler: Any,
        gtransport_class: Any = None,
        *args: Any,
        interface: str = "127.0.0.1",
        listen: str = "listenTCP",
        listen_args: tuple[Any, ...] = (),
        backlog: int = 50,
        **kwargs: Any,
    ) -> Server:
        factory = _RecordingFactory(handler, gtransport_class, *args, **kwargs)
        if listen == "listenUNIX":
            port = real_reactor.listenUNIX(*listen_args, factory, backlog=backlog)
        else:
            listen_method = getattr(real_reactor, listen)
            port = listen_method(0, factory, *listen_args, backlog=backlog, interface=interface)
        server = Server(real_reactor, factory, port)
        factory.server = server
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def echo(conn: Any) -> None:
    """A handler that sends back what it reads until the peer closes, then closes."""
    for chunk in conn:
        conn.write(chunk)
    conn.loseConnection()


@pytest.fixture
def echo_server(serve: Callable[..., Server]) -> Server:
    """A GreenTransport echo server on 127.0.0.1."""
    return serve(echo)


class DNSServer:
    """A twisted.names server on 127.0.0.1 (UDP) that answers SRV queries from ``records``."""

    def __init__(self, records: dict[bytes, list[tuple[int, int, int, str]]], port: int) -> None:
        self.records = records
        self.port = port

    def add_srv(self, name: str, port: int, target: str = "127.0.0.1") -> None:
        """Publish ``name`` (``_service._tcp.domain``) as ``target:port``."""
        self.records.setdefault(name.encode(), []).append((0, 0, port, target))


@pytest.fixture
def dns_server(real_reactor: Any) -> Iterator[DNSServer]:
    """A local DNS server for SRV records; nothing leaves the loopback interface."""
    from twisted.internet import defer
    from twisted.names import common, dns, error, server

    records: dict[bytes, list[tuple[int, int, int, str]]] = {}

    class SRVRecords(common.ResolverBase):
        def _lookup(self, name: bytes, cls: int, type: int, timeout: Any) -> Any:  # noqa: A002
            if type != dns.SRV or name not in records:
                return defer.fail(error.DomainError(name))
            answers = [
                dns.RRHeader(name, dns.SRV, cls, 60, dns.Record_SRV(*record, ttl=60))
                for record in records[name]
            ]
            return defer.succeed((answers, [], []))

    factory = server.DNSServerFactory(clients=[SRVRecords()])
    factory.noisy = False
    protocol = dns.DNSDatagramProtocol(factory)
    protocol.noisy = False
    port = real_reactor.listenUDP(0, protocol, interface="127.0.0.1")
    yield DNSServer(records, port.getHost().port)
    block_on(defer.maybeDeferred(port.stopListening))
