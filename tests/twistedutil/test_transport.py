"""GreenTransport and UnbufferedTransport on real loopback connections."""

import fcntl
import socket
import struct
import sys

import pytest
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
)
from twisted.internet.error import TimeoutError as ConnectTimeoutError

import eventlib
from eventlib.hub import BlockingInMainLoopError, trampoline
from eventlib.twistedutil.protocol import (
    GreenClientCreator,
    GreenTransport,
    GreenTransportError,
    UnbufferedTransport,
)

TRANSPORTS = [GreenTransport, UnbufferedTransport]


def connect(server, gtransport_class=GreenTransport, *args, **kwargs):
    host, port = server.address
    creator = GreenClientCreator(server.reactor, gtransport_class, *args, **kwargs)
    return creator.connectTCP(host, port, timeout=5)


# More than a loopback socket's buffers take in one send: the rest waits in Twisted,
# well past its default high-water mark (64 KiB).
MORE_THAN_THE_SOCKET_TAKES = bytes(range(256)) * (64 * 1024)


def never_reads(conn):
    """A handler that reads nothing until the connection is gone."""
    conn.pauseProducing()
    conn.wait_closed()


def say_then_close(*parts):
    """A handler that writes each part, then closes its side cleanly."""

    def handler(conn):
        for part in parts:
            conn.write(part)
        conn.loseConnection()

    return handler


def reply_to_first_chunk(conn):
    """A handler answering ``you said X. `` then ``BYE`` (the classic test server)."""
    said = conn.recv()
    conn.write(b"you said " + said + b". ")
    conn.write(b"BYE")
    conn.loseConnection()


# -- connecting and the transport's methods -----------------------------------------


def test_connect_tcp_returns_connected_transport(echo_server):
    """connectTCP returns a transport whose peer is the server."""
    conn = connect(echo_server)
    assert conn.getPeer().port == echo_server.address[1]
    assert conn.statistics().connected
    conn.loseConnection()


def test_transport_methods_are_passed_through(echo_server):
    """Methods the green transport lacks are the Twisted transport's."""
    conn = connect(echo_server)
    assert conn.getHost() == conn.transport.getHost()
    assert conn.setTcpNoDelay == conn.transport.setTcpNoDelay
    conn.loseConnection()


def test_missing_attribute_names_both_classes(echo_server):
    """An unknown attribute raises AttributeError naming both classes."""
    conn = connect(echo_server)
    with pytest.raises(AttributeError, match=r"Neither 'GreenTransport' nor .* 'no_such_thing'"):
        _ = conn.no_such_thing
    conn.loseConnection()


def test_connect_tcp_over_ipv6_loopback(serve):
    """connectTCP works over ::1."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    server = serve(reply_to_first_chunk, interface="::1")
    conn = connect(server)
    conn.write(b"six")
    assert conn.read() == b"you said six. BYE"
    assert conn.getPeer().host == "::1"


def test_connect_refused_raises(real_reactor):
    """Connecting to a port nobody listens on raises ConnectionRefusedError."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(ConnectionRefusedError):
        GreenClientCreator(real_reactor).connectTCP("127.0.0.1", port, timeout=5)


@pytest.fixture
def unanswered_port():
    """A loopback port whose accept queue is full: SYNs to it go unanswered (Linux)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    for _ in range(3):  # backlog 0 queues one connection; the next SYNs are dropped
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(address)
        fillers.append(filler)
    yield address[1]
    for filler in fillers:
        filler.close()
    listener.close()


def test_connect_tcp_timeout_raises_timeout_error(real_reactor, unanswered_port):
    """A connect that gets no answer within ``timeout`` raises Twisted's TimeoutError."""
    start = real_reactor.seconds()
    with pytest.raises(ConnectTimeoutError):
        GreenClientCreator(real_reactor).connectTCP("127.0.0.1", unanswered_port, timeout=0.2)
    assert real_reactor.seconds() - start < 5


def test_killed_connect_leaves_no_connection_attempt(real_reactor, unanswered_port):
    """A proc killed while connecting stops the connection attempt."""
    connector = []
    original = real_reactor.connectTCP

    def recording_connect(*args, **kwargs):
        connector.append(original(*args, **kwargs))
        return connector[-1]

    creator = GreenClientCreator(real_reactor)
    creator.reactor = type("Reactor", (), {"connectTCP": staticmethod(recording_connect)})()
    proc = eventlib.spawn(creator.connectTCP, "127.0.0.1", unanswered_port, timeout=30)
    eventlib.sleep(0)
    proc.kill()
    assert connector[0].state == "disconnected"


def test_creator_defaults_to_the_hubs_reactor(real_reactor):
    """GreenClientCreator() uses the reactor the hub drives."""
    assert GreenClientCreator().reactor is real_reactor


def test_transport_buffer_size_sets_write_high_water_mark(echo_server):
    """transportBufferSize becomes the Twisted transport's bufferSize."""
    conn = connect(echo_server, GreenTransport, 1)
    assert conn.transport.bufferSize == 1
    conn.write(b"tiny buffer")
    assert conn.read(11) == b"tiny buffer"
    conn.loseConnection()


def test_write_before_connecting_raises_clear_error(real_reactor):
    """write() on a transport that was never connected says so."""
    with pytest.raises(GreenTransportError, match="not connected"):
        GreenTransport().write(b"x")


# -- reading ------------------------------------------------------------------------


def test_read_exact_sizes_then_rest_then_empty(serve):
    """read(n) returns exactly n bytes, keeps the rest, and b'' after the end."""
    conn = connect(serve(reply_to_first_chunk))
    conn.write(b"hello")
    assert conn.read(9) == b"you said "
    assert conn.read(999) == b"hello. BYE"
    assert conn.read(9) == b""
    assert conn.read(1) == b""
    assert conn.recv(9) == b""


@pytest.mark.parametrize("buffer_size", [None, 1], ids=["default-buffer", "1-byte-buffer"])
@pytest.mark.parametrize("gtransport_class", TRANSPORTS)
def test_read_returns_everything_until_clean_close(serve, gtransport_class, buffer_size):
    """read() returns all the data up to the peer's clean close, then b''."""
    conn = connect(serve(reply_to_first_chunk), gtransport_class, buffer_size)
    conn.write(b"world")
    assert conn.read() == b"you said world. BYE"
    assert conn.read() == b""
    assert conn.recv() == b""


@pytest.mark.parametrize("gtransport_class", TRANSPORTS)
def test_iteration_yields_chunks_until_clean_close(serve, gtransport_class):
    """Iterating a transport yields chunks and stops when the peer closes cleanly."""
    conn = connect(serve(reply_to_first_chunk), gtransport_class)
    conn.write(b"iterator")
    assert b"".join(conn) == b"you said iterator. BYE"


def test_recv_returns_at_most_buflen(serve):
    """recv(buflen) returns buffered data, no more than buflen bytes."""
    conn = connect(serve(say_then_close(b"0123456789")))
    assert conn.read(1) == b"0"  # the rest is buffered now, or arrives with it
    assert conn.recv(4) == b"1234"
    assert b"".join(iter(conn.recv, b"")) == b"56789"


def test_unbuffered_recv_returns_chunks_as_received(serve):
    """UnbufferedTransport.recv() returns one chunk as Twisted delivered it."""
    conn = connect(serve(say_then_close(b"one")), UnbufferedTransport)
    assert conn.recv() == b"one"
    assert conn.recv() == b""
    assert conn.recv() == b""


@pytest.mark.parametrize("gtransport_class", TRANSPORTS)
def test_data_received_before_close_is_not_dropped(serve, gtransport_class):
    """Data still buffered when the close was recorded is read first (classic quirk fixed)."""
    conn = connect(serve(say_then_close(b"last ", b"words")), gtransport_class)
    assert isinstance(conn.wait_closed(), ConnectionDone)
    assert conn.read() == b"last words"
    assert conn.read() == b""


def test_recv_after_close_with_data_buffered_returns_data(serve):
    """recv() called after the close returns the buffered data before b''."""
    conn = connect(serve(say_then_close(b"still here")))
    conn.wait_closed()
    assert conn.recv() == b"still here"
    assert conn.recv() == b""


def test_read_in_main_loop_without_data_raises(echo_server, in_main_loop):
    """A read that would block, made from MAIN_LOOP, raises BlockingInMainLoopError."""
    conn = connect(echo_server)
    with pytest.raises(BlockingInMainLoopError, match=r"GreenTransport\.read"):
        in_main_loop(conn.read, 1)
    conn.loseConnection()


# -- a peer that resets -------------------------------------------------------------


class ResettingPeer:
    """A plain socket server whose one connection is reset (RST) on demand."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.conn = None

    def accept(self):
        trampoline(self.listener, read=True, timeout=5)
        self.conn, _ = self.listener.accept()

    def send(self, data):
        self.conn.sendall(data)

    def reset(self):
        self.conn.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        self.conn.close()

    def close(self):
        if self.conn is not None and self.conn.fileno() >= 0:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def resetting_peer(real_reactor):
    peer = ResettingPeer()
    yield peer
    peer.close()


@pytest.mark.parametrize("gtransport_class", TRANSPORTS)
def test_peer_reset_mid_read_raises_in_reading_proc(
    real_reactor, resetting_peer, hub_errors, gtransport_class
):
    """A reset while a proc waits to read raises ConnectionLost in that proc, once."""
    hub_errors.expect(ConnectionLost)
    conn = GreenClientCreator(real_reactor, gtransport_class).connectTCP(
        "127.0.0.1", resetting_peer.port, timeout=5
    )
    resetting_peer.accept()
    resetting_peer.send(b"partial")
    assert conn.recv() == b"partial"
    reader = eventlib.spawn(conn.recv)
    eventlib.sleep(0)  # the reader is now parked in recv()
    resetting_peer.reset()
    with pytest.raises(ConnectionLost):
        reader.wait()
    assert conn.recv() == b""


def test_peer_reset_mid_read_keeps_data_received_before(real_reactor, resetting_peer, hub_errors):
    """read(n) raises at the reset; the bytes received before it are read next."""
    hub_errors.expect(ConnectionLost)
    conn = GreenClientCreator(real_reactor).connectTCP("127.0.0.1", resetting_peer.port, timeout=5)
    resetting_peer.accept()
    resetting_peer.send(b"0123456789")
    assert conn.read(4) == b"0123"
    reader = eventlib.spawn(conn.read, 100)
    eventlib.sleep(0)  # parked in read(100) with 6 bytes buffered
    resetting_peer.reset()
    with pytest.raises(ConnectionLost):
        reader.wait()
    assert conn.read(100) == b"456789"
    assert conn.read(100) == b""


def test_write_after_reset_raises_the_reason(real_reactor, resetting_peer):
    """Once the connection is lost, write() raises why."""
    conn = GreenClientCreator(real_reactor).connectTCP("127.0.0.1", resetting_peer.port, timeout=5)
    resetting_peer.accept()
    resetting_peer.reset()
    assert isinstance(conn.wait_closed(), ConnectionLost)
    with pytest.raises(ConnectionLost):
        conn.write(b"too late")


# -- writing and back-pressure ------------------------------------------------------


def transport_buffer(transport):
    """How many bytes a Twisted TCP transport holds unsent."""
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


class WatchedTransport(GreenTransport):
    """A GreenTransport that records its largest read buffer and when it stops reading."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.largest_buffered = 0
        self.stopped_reading = eventlib.Event()

    def build_protocol(self):
        protocol = super().build_protocol()
        got_data = protocol.dataReceived

        def watched_data_received(data):
            got_data(data)
            self.largest_buffered = max(self.largest_buffered, self.statistics().buffered)

        protocol.dataReceived = watched_data_received
        return protocol

    def _got_transport(self, transport):
        pause_producing = transport.pauseProducing

        def watched_pause_producing():
            pause_producing()
            if not self.stopped_reading.ready():
                self.stopped_reading.send()

        transport.pauseProducing = watched_pause_producing
        super()._got_transport(transport)


def test_slow_reader_blocks_writer_at_high_water_mark(serve, real_reactor):
    """Facing a reader that does not read, write() blocks and memory stays bounded both ways."""
    chunk = b"x" * 16384
    high_water = 65536
    total = 2000  # 32 MiB: far more than the kernel's socket buffers hold
    largest = []
    writer_paused = []

    def flood(conn):
        transport = conn.transport
        write = transport.write

        def measured_write(data):
            write(data)  # Twisted pauses the green transport's producer in here
            largest.append(transport_buffer(transport))
            writer_paused.append(conn.statistics().writing_paused)

        transport.write = measured_write
        for _ in range(total):
            conn.write(chunk)
        conn.loseConnection()

    server = serve(flood, GreenTransport, high_water)
    reader = GreenClientCreator(real_reactor, WatchedTransport, read_high_water=high_water)
    conn = reader.connectTCP(*server.address, timeout=5)
    with eventlib.Timeout(20):
        conn.stopped_reading.wait()  # nobody reads: the client stops reading its socket
    received = 0
    while data := conn.recv():
        received += len(data)
    assert received == total * len(chunk)
    assert any(writer_paused)
    assert max(largest) <= high_water + len(chunk)
    assert conn.largest_buffered <= high_water + 65536  # plus at most one socket read


def test_write_in_main_loop_with_room_does_not_block(echo_server, in_main_loop):
    """From MAIN_LOOP, write() with room in the buffer just writes."""
    conn = connect(echo_server)
    in_main_loop(conn.write, b"from the reactor")
    assert conn.read(16) == b"from the reactor"
    conn.loseConnection()


def test_write_in_main_loop_with_full_buffer_raises(serve, in_main_loop):
    """From MAIN_LOOP, write() on a full buffer raises instead of blocking."""
    server = serve(never_reads)
    conn = connect(server)
    conn.write(MORE_THAN_THE_SOCKET_TAKES, wait=False)
    assert conn.statistics().writing_paused
    with pytest.raises(BlockingInMainLoopError, match="full transport buffer"):
        in_main_loop(conn.write, b"more")
    conn.abortConnection()


def test_write_wait_false_never_blocks(echo_server):
    """write(data, wait=False) hands data to Twisted and returns at once."""
    conn = connect(echo_server)
    conn.write(MORE_THAN_THE_SOCKET_TAKES, wait=False)
    for _ in range(3):
        conn.write(b"abc", wait=False)
    assert conn.statistics().writing_paused
    echoed = conn.read(len(MORE_THAN_THE_SOCKET_TAKES) + 9)
    assert echoed == MORE_THAN_THE_SOCKET_TAKES + b"abcabcabc"
    conn.loseConnection()


def test_write_on_idle_connection_sends_at_once(echo_server):
    """With nothing queued, write() sends on the socket itself: Twisted keeps no buffer."""
    conn = connect(echo_server)
    conn.write(b"now")
    assert conn.transport.dataBuffer == b""
    assert conn.transport._tempDataLen == 0
    assert conn.transport not in conn.transport.reactor.getWriters()
    assert conn.read(3) == b"now"
    conn.loseConnection()


def test_writes_behind_queued_data_keep_their_order(echo_server):
    """Once Twisted holds unsent data, later writes queue behind it, in order."""
    conn = connect(echo_server)
    conn.write(MORE_THAN_THE_SOCKET_TAKES, wait=False)
    assert conn.transport._tempDataLen
    conn.write(b"tail", wait=False)
    echoed = conn.read(len(MORE_THAN_THE_SOCKET_TAKES) + 4)
    assert echoed[-4:] == b"tail"
    assert echoed == MORE_THAN_THE_SOCKET_TAKES + b"tail"
    conn.loseConnection()


# -- pausing reads ------------------------------------------------------------------


def test_pause_producing_stalls_reads(serve):
    """While paused by the user, nothing is read; resumeProducing lets the data in."""
    server = serve(say_then_close(b"held back"))
    conn = connect(server)
    conn.pauseProducing()
    server.factory.waitall_trapping_errors()  # the server sent everything and closed
    with eventlib.Timeout(0.1, False):
        conn.read(1)
        pytest.fail("read() returned while reading was paused")
    assert conn.statistics().reading_paused
    conn.resumeProducing()
    assert conn.read() == b"held back"


def test_resume_producing_without_pause_is_harmless(serve):
    """resumeProducing() with no pause in force changes nothing (the classic test)."""
    conn = connect(serve(reply_to_first_chunk))
    conn.resumeProducing()
    conn.write(b"hi")
    assert conn.read() == b"you said hi. BYE"


# -- closing ------------------------------------------------------------------------


def test_lose_connection_waits_until_closed(echo_server):
    """loseConnection() returns once the connection is closed."""
    conn = connect(echo_server)
    conn.loseConnection()
    assert not conn.statistics().connected
    assert isinstance(conn.wait_closed(), ConnectionDone)


def test_context_manager_closes_connection(echo_server):
    """Leaving a with block closes the connection."""
    with connect(echo_server) as conn:
        conn.write(b"bye")
        assert conn.read(3) == b"bye"
    assert isinstance(conn.wait_closed(), ConnectionDone)


def test_peer_half_close_closes_connection_by_default(serve):
    """When the peer finishes sending, the read side ends and the connection closes."""
    server = serve(lambda conn: None)  # leaves the connection open and idle
    conn = connect(server)
    peer = server.connected.get()
    conn.write(b"last words")
    conn.loseWriteConnection()
    assert peer.read() == b"last words"
    assert isinstance(peer.wait_closed(), ConnectionDone)
    assert isinstance(conn.wait_closed(), ConnectionDone)


def test_half_close_keeps_writing_after_peer_finished(serve):
    """With half_close, a server answers after the client finished sending."""

    closing = eventlib.Queue()

    def count_then_answer(conn):
        size = len(conn.read())
        closing.put(conn.transport.disconnecting)  # still open for writing?
        conn.write(b"got %d bytes" % size)
        conn.loseConnection()

    server = serve(count_then_answer, GreenTransport, half_close=True)
    conn = connect(server)
    conn.write(b"12345")
    conn.loseWriteConnection()
    assert conn.read() == b"got 5 bytes"
    assert not closing.get()


def test_direct_transport_lose_connection_closes(serve):
    """transport.loseConnection() called directly (not through the green transport) closes."""
    conn = connect(serve(lambda conn: conn.read()), GreenTransport, 1)
    conn.write(b"x" * 100_000, wait=False)  # the producer is paused
    conn.transport.loseConnection()
    assert isinstance(conn.wait_closed(), ConnectionDone)


def test_write_after_lose_write_connection_raises(serve):
    """write() after loseWriteConnection() raises ConnectionDone instead of dropping the data."""
    server = serve(lambda conn: None)
    conn = connect(server)
    conn.loseWriteConnection()
    with pytest.raises(ConnectionDone, match=r"loseWriteConnection\(\)"):
        conn.write(b"dropped")
    assert server.connected.get().read() == b""


def test_write_after_lose_connection_without_waiting_raises(serve):
    """write() after loseConnection(wait=False), before the close completes, raises too."""
    conn = connect(serve(lambda conn: None))
    conn.loseConnection(wait=False)
    with pytest.raises(ConnectionDone, match=r"loseConnection\(\)"):
        conn.write(b"dropped")


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"transportBufferSize": "64k"}, TypeError, "transportBufferSize"),
        ({"transportBufferSize": 0}, ValueError, "transportBufferSize"),
        ({"read_high_water": 0}, ValueError, "read_high_water"),
        ({"read_high_water": True}, TypeError, "read_high_water"),
    ],
)
def test_bad_buffer_sizes_are_refused_naming_the_argument(real_reactor, kwargs, error, name):
    """Buffer sizes are ints >= 1; anything else is refused when the transport is made."""
    with pytest.raises(error, match=rf"{name} must be an int >= 1"):
        GreenTransport(**kwargs)


# -- the kernel's buffer of unsent data ---------------------------------------------

needs_notsent_lowat = pytest.mark.skipif(
    not hasattr(socket, "TCP_NOTSENT_LOWAT"), reason="the platform has no TCP_NOTSENT_LOWAT"
)
SIOCOUTQNSD = 0x894B  # Linux: bytes written on a TCP socket and not sent yet


def unsent_limit(conn):
    return conn.transport.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT)


@needs_notsent_lowat
def test_tcp_connections_bound_the_kernels_unsent_data(echo_server):
    """Both ends of a TCP green connection let the kernel hold at most 128 KiB unsent."""
    conn = connect(echo_server)
    conn.write(b"x")
    assert conn.read(1) == b"x"
    assert unsent_limit(conn) == 128 * 1024
    assert unsent_limit(echo_server.transports[0]) == 128 * 1024
    conn.loseConnection()


@needs_notsent_lowat
def test_notsent_lowat_argument_sets_the_bound(echo_server):
    """notsent_lowat=N sets the socket's TCP_NOTSENT_LOWAT to N."""
    conn = connect(echo_server, GreenTransport, notsent_lowat=4096)
    assert unsent_limit(conn) == 4096
    conn.loseConnection()


@needs_notsent_lowat
def test_notsent_lowat_none_leaves_the_kernels_default(echo_server):
    """notsent_lowat=None leaves the socket as the kernel made it."""
    with socket.socket() as plain:
        default = plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT)
    conn = connect(echo_server, GreenTransport, notsent_lowat=None)
    assert unsent_limit(conn) == default
    conn.loseConnection()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIOCOUTQNSD is Linux's")
def test_writer_facing_a_reader_that_does_not_read_leaves_little_unsent_in_kernel(serve):
    """Past notsent_lowat, written data waits in the transport, not in the kernel."""
    server = serve(never_reads)
    conn = connect(server, GreenTransport, notsent_lowat=16384)
    conn.write(MORE_THAN_THE_SOCKET_TAKES, wait=False)
    assert conn.statistics().writing_paused
    for _ in range(5):
        eventlib.sleep(0.01)  # Twisted's doWrite gets its turns; the bound holds at every one
        unsent = struct.unpack("i", fcntl.ioctl(conn.transport.socket, SIOCOUTQNSD, b"\0" * 4))
        assert unsent[0] <= 16384 + 65536  # the bound, overshot by at most one segment
    conn.abortConnection()


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("128k", TypeError, "notsent_lowat must be None or an int >= 0"),
        (-1, ValueError, "notsent_lowat must be None .no limit. or an int >= 0"),
        (2**31, ValueError, "notsent_lowat must be at most 2147483647"),
    ],
)
def test_bad_notsent_lowat_is_refused_naming_the_argument(real_reactor, value, error, message):
    """notsent_lowat is None or an int from 0 to 2**31 - 1; anything else is refused at once."""
    with pytest.raises(error, match=message):
        GreenTransport(notsent_lowat=value)


def test_subclass_with_bad_notsent_lowat_fails_at_class_creation():
    """A subclass's notsent_lowat class attribute is checked when the class is made."""
    with pytest.raises(ValueError, match=r"Eager\.notsent_lowat must be None \(no limit\)"):

        class Eager(GreenTransport):
            notsent_lowat = -5


@needs_notsent_lowat
def test_subclass_notsent_lowat_is_its_connections_bound(echo_server):
    """A subclass's notsent_lowat class attribute sets its connections' bound."""

    class Small(GreenTransport):
        notsent_lowat = 8192

    conn = connect(echo_server, Small)
    assert unsent_limit(conn) == 8192
    conn.loseConnection()
