"""Twisted's per-event log context around green transports' reads (eventlib.hub.QUIET_READS).

The hub's epoll step reads for a green transport's protocol outside Twisted's
``callWithLogger`` (it only buffers); errors and disconnections keep the
connection's context, and every other protocol keeps it for its reads.
"""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet import protocol
from twisted.python import context, log
from twisted.python.log import ILogContext

from eventlib import Event, Timeout
from eventlib.hub._hub import QUIET_READS, _epoll_iteration
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import GreenClientCreator, GreenTransport, Protocol


def log_system() -> str:
    """The ``system`` of Twisted's current log context ("-" outside any)."""
    system: str = context.get(ILogContext)["system"]
    return system


@pytest.fixture
def epoll_step(real_reactor: Any) -> Any:
    """The reactor, when the hub steps it with its own epoll step (the default on Linux)."""
    if _epoll_iteration(real_reactor) is None:
        pytest.skip(f"the hub steps {type(real_reactor).__name__} with Twisted's own doIteration")
    return real_reactor


class RecordingProtocol(Protocol):
    """A green transport's protocol that notes the log system each chunk arrives in."""

    systems: list[str]

    def __init__(self, recepient: Any) -> None:
        super().__init__(recepient)
        self.systems = []
        got_data = self.dataReceived

        def recording(data: bytes) -> None:
            self.systems.append(log_system())
            got_data(data)

        self.dataReceived = recording  # type: ignore[method-assign]


class RecordingTransport(GreenTransport):
    protocol_class = RecordingProtocol


class FailingProtocol(Protocol):
    """A green transport's protocol whose dataReceived raises (a bug it must not have)."""

    def __init__(self, recepient: Any) -> None:
        super().__init__(recepient)

        def failing(data: bytes) -> None:
            raise ValueError(f"cannot take {data!r}")

        self.dataReceived = failing  # type: ignore[method-assign]


class FailingTransport(GreenTransport):
    protocol_class = FailingProtocol


class PlainRecorder(protocol.Protocol):
    """A plain Twisted protocol that notes the log system each chunk arrives in."""

    def __init__(self, systems: list[tuple[str, str]], arrived: Event) -> None:
        self.systems = systems
        self.arrived = arrived

    def dataReceived(self, data: bytes) -> None:
        self.systems.append((log_system(), self.transport.logPrefix()))
        if not self.arrived.ready():
            self.arrived.send()


class Greeter(protocol.Protocol):
    """A plain Twisted protocol that sends ``greeting`` once connected."""

    greeting = b"hello"

    def connectionMade(self) -> None:
        self.transport.write(self.greeting)


@pytest.fixture
def listen_plain(epoll_step: Any) -> Iterator[Callable[[Callable[[], Any]], int]]:
    """``listen_plain(make_protocol)`` listens on 127.0.0.1 with plain Twisted; returns the port."""
    ports: list[Any] = []

    def listen(make: Callable[[], Any]) -> int:
        factory = protocol.Factory()
        factory.protocol = make  # type: ignore[assignment]
        port = epoll_step.listenTCP(0, factory, interface="127.0.0.1")
        ports.append(port)
        return int(port.getHost().port)

    yield listen
    for port in ports:
        block_on(port.stopListening())


def test_green_protocols_declare_quiet_reads():
    """The green transports' protocol says its dataReceived only buffers."""
    assert getattr(Protocol, QUIET_READS) is True


def test_green_transport_reads_skip_twisted_log_context(epoll_step, listen_plain):
    """A green transport's data arrives outside Twisted's per-event log context."""
    port = listen_plain(Greeter)
    conn = GreenClientCreator(epoll_step, RecordingTransport).connectTCP("127.0.0.1", port)
    assert conn.read(5) == b"hello"
    assert conn._protocol.systems == ["-"]
    conn.loseConnection()


def test_plain_protocol_reads_keep_twisted_log_context(epoll_step, listen_plain):
    """A plain Twisted protocol's data still arrives in its connection's log context."""
    systems: list[tuple[str, str]] = []
    arrived = Event()
    port = listen_plain(lambda: PlainRecorder(systems, arrived))
    conn = GreenClientCreator(epoll_step).connectTCP("127.0.0.1", port)
    conn.write(b"ping")
    with Timeout(5):
        arrived.wait()
    system, prefix = systems[0]
    assert system == prefix
    assert system != "-"
    conn.loseConnection()


def test_failing_quiet_read_is_logged_in_connection_context_and_closes(epoll_step, listen_plain):
    """An error in a quiet read is logged in the connection's log system and closes it."""
    errors: list[dict[str, Any]] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("isError"):
            errors.append(event)

    port = listen_plain(Greeter)
    log.addObserver(observe)
    try:
        conn = GreenClientCreator(epoll_step, FailingTransport).connectTCP("127.0.0.1", port)
        prefix = conn.transport.logPrefix()
        with Timeout(5):
            reason = conn.wait_closed()
    finally:
        log.removeObserver(observe)
    assert isinstance(reason, ValueError)
    assert "cannot take b'hello'" in str(reason)
    assert [event["system"] for event in errors] == [prefix]
    assert errors[0]["failure"].value is reason


class DatagramRecorder(protocol.DatagramProtocol):
    """A UDP protocol that notes the log system each datagram arrives in (quiet or not)."""

    def __init__(self, quiet: bool) -> None:
        self.eventlib_quiet_reads = quiet
        self.systems: list[str] = []
        self.arrived = Event()

    def datagramReceived(self, data: bytes, addr: Any) -> None:
        self.systems.append(log_system())
        if data == b"fail":
            raise ValueError("cannot take b'fail'")
        if not self.arrived.ready():
            self.arrived.send()


@pytest.fixture
def udp_recorder(epoll_step: Any) -> Iterator[Callable[[bool], tuple[DatagramRecorder, Any]]]:
    """``udp_recorder(quiet)``: a DatagramRecorder listening on 127.0.0.1, and its port."""
    ports: list[Any] = []

    def listen(quiet: bool) -> tuple[DatagramRecorder, Any]:
        recorder = DatagramRecorder(quiet)
        ports.append(epoll_step.listenUDP(0, recorder, interface="127.0.0.1"))
        return recorder, ports[-1]

    yield listen
    for port in ports:
        stopped = port.stopListening()  # None if already stopped
        if stopped is not None:
            block_on(stopped)


def send_datagrams(port: Any, *payloads: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for payload in payloads:
            sock.sendto(payload, ("127.0.0.1", port.getHost().port))


@pytest.mark.parametrize("quiet", [True, False])
def test_udp_reads_skip_twisted_log_context_only_when_the_protocol_says_so(udp_recorder, quiet):
    """A UDP protocol declaring quiet reads gets datagrams outside Twisted's log context."""
    recorder, port = udp_recorder(quiet)
    send_datagrams(port, b"hello")
    with Timeout(5):
        recorder.arrived.wait()
    assert recorder.systems == (["-"] if quiet else [port.logPrefix()])


def test_failing_quiet_udp_read_is_logged_and_the_port_reads_on(udp_recorder):
    """An error in a quiet datagramReceived is logged, and the next datagram still arrives."""
    errors: list[dict[str, Any]] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("isError"):
            errors.append(event)

    recorder, port = udp_recorder(True)
    log.addObserver(observe)
    try:
        send_datagrams(port, b"fail", b"next")
        with Timeout(5):
            recorder.arrived.wait()
    finally:
        log.removeObserver(observe)
    assert recorder.systems == ["-", "-"]
    assert [str(event["failure"].value) for event in errors] == ["cannot take b'fail'"]
    assert port.connected
