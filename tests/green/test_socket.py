"""eventlib.green.socket: TCP and UDP over IPv4/IPv6 with green waits and stdlib semantics."""

import array
import contextlib
import errno
import math
import os
import socket as stdlib_socket
import time

import pytest
from greenhelpers import FAMILIES, LOOPBACK, outcome

import eventlib
from eventlib.green import socket
from eventlib.hub import BlockingInMainLoopError, get_hub

N = 100


def listener(family, backlog=128):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((LOOPBACK[family], 0))
    sock.listen(backlog)
    return sock


def echo_once(server):
    """Accept one connection and echo everything it sends until EOF."""
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


def reader_of(sock):
    """The waiter parked reading ``sock`` (None: nobody)."""
    watch = get_hub()._fd_watches.get(sock.fileno())
    return None if watch is None else watch.reader


def polled_for_reading(reactor, fileno):
    """True if ``reactor`` polls ``fileno`` for readability."""
    return any(reader.fileno() == fileno for reader in reactor.getReaders())


def connected_pair(family):
    """A connected (client, server-side) pair of green TCP sockets."""
    with listener(family) as server:
        client = socket.socket(family, socket.SOCK_STREAM)
        client.connect(server.getsockname())
        conn, _ = server.accept()
    return client, conn


# --- the module ----------------------------------------------------------------------


def test_socket_is_a_subclass_of_the_stdlib_socket():
    """Green sockets pass isinstance checks against the stdlib class."""
    with socket.socket() as sock:
        assert isinstance(sock, stdlib_socket.socket)
        assert isinstance(sock, socket.GreenSocket)


def test_module_keeps_stdlib_names():
    """Constants and exceptions are the stdlib's own objects."""
    assert socket.AF_INET is stdlib_socket.AF_INET
    assert socket.timeout is stdlib_socket.timeout is TimeoutError
    assert socket.error is OSError
    assert socket.gaierror is stdlib_socket.gaierror
    assert socket._GLOBAL_DEFAULT_TIMEOUT is stdlib_socket._GLOBAL_DEFAULT_TIMEOUT


def test_descriptor_is_non_blocking_at_os_level():
    """The OS descriptor is non-blocking whatever timeout the user sets."""
    with socket.socket() as sock:
        sock.settimeout(None)
        assert sock.gettimeout() is None
        assert not os.get_blocking(sock.fileno())


# --- TCP -------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_tcp_echo_round_trip(real_reactor, family):
    """A client and an echo server in two procs exchange data over loopback."""
    with listener(family) as server:
        proc = eventlib.spawn(echo_once, server)
        with socket.socket(family, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
            client.sendall(b"ping")
            assert client.recv(4) == b"ping"
        proc.wait()


@pytest.mark.parametrize("family", FAMILIES)
def test_sendall_delivers_more_than_the_socket_buffer(real_reactor, family):
    """sendall of 4 MiB completes while the peer reads concurrently."""
    payload = bytes(range(256)) * (4 * 4096)
    client, conn = connected_pair(family)
    with client, conn:

        def read_all():
            chunks = []
            while sum(map(len, chunks)) < len(payload):
                chunks.append(conn.recv(65536))
            return b"".join(chunks)

        reader = eventlib.spawn(read_all)
        client.sendall(payload)
        assert reader.wait() == payload


def test_sendall_of_bytes_into_a_full_buffer_waits_then_sends_all(real_reactor):
    """sendall(bytes) whose first send finds the socket full waits and sends every byte."""
    client, conn = connected_pair(socket.AF_INET)
    with client, conn:
        client.setblocking(False)
        filled = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                filled += client.send(b"f" * 65536)
        client.setblocking(True)
        payload = bytes(range(256)) * 64

        def read_all():
            chunks = []
            while sum(map(len, chunks)) < filled + len(payload):
                chunks.append(conn.recv(65536))
            return b"".join(chunks)

        reader = eventlib.spawn(read_all)
        client.sendall(payload)
        assert reader.wait()[filled:] == payload


@pytest.mark.parametrize(
    "data",
    [bytearray(b"abcdefgh"), memoryview(b"abcdefgh"), array.array("i", [1, 2])],
    ids=["bytearray", "memoryview", "array-of-int"],
)
def test_sendall_sends_every_byte_of_any_buffer(real_reactor, data):
    """sendall of a bytes-like object that is not bytes sends all its bytes."""
    client, conn = connected_pair(socket.AF_INET)
    with client, conn:
        client.sendall(data)
        expected = bytes(memoryview(data).cast("B"))
        received = b""
        while len(received) < len(expected):
            received += conn.recv(64)
        assert received == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_recv_into_fills_buffer(real_reactor, family):
    """recv_into waits for data and writes it into the caller's buffer."""
    client, conn = connected_pair(family)
    with client, conn:
        eventlib.spawn_after(0.01, conn.sendall, b"abc")
        buf = bytearray(8)
        assert client.recv_into(buf) == 3
        assert buf[:3] == b"abc"


@pytest.mark.parametrize("family", FAMILIES)
def test_recv_returns_empty_bytes_at_eof(real_reactor, family):
    """recv returns b'' once the peer has closed."""
    client, conn = connected_pair(family)
    with client:
        eventlib.spawn_after(0.01, conn.close)
        assert client.recv(10) == b""


@pytest.mark.parametrize("family", FAMILIES)
def test_connect_ex_returns_zero_on_success(real_reactor, family):
    """connect_ex returns 0 once connected."""
    with listener(family) as server, socket.socket(family) as client:
        assert client.connect_ex(server.getsockname()) == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_connect_to_closed_port_is_refused(real_reactor, family):
    """connect to a port nobody listens on raises ConnectionRefusedError, like the stdlib."""
    with listener(family) as server:
        address = server.getsockname()
    with socket.socket(family) as client, pytest.raises(ConnectionRefusedError):
        client.connect(address)


@pytest.mark.parametrize("family", FAMILIES)
def test_connect_ex_to_closed_port_returns_econnrefused(real_reactor, family):
    """connect_ex reports a refused connection as ECONNREFUSED."""
    with listener(family) as server:
        address = server.getsockname()
    with socket.socket(family) as client:
        assert client.connect_ex(address) == errno.ECONNREFUSED


@pytest.mark.parametrize("family", FAMILIES)
def test_makefile_reads_and_writes_lines(real_reactor, family):
    """makefile('rwb') gives a buffered file that reads lines through green recv."""
    with listener(family) as server:
        proc = eventlib.spawn(echo_once, server)
        with socket.create_connection(server.getsockname()[:2], timeout=5) as client:
            with client.makefile("rwb") as stream:
                stream.write(b"one\ntwo\n")
                stream.flush()
                assert stream.readline() == b"one\n"
                assert stream.readline() == b"two\n"
        proc.wait()


@pytest.mark.parametrize("family", FAMILIES)
def test_makefile_text_mode_round_trip(real_reactor, family):
    """A text-mode makefile encodes and decodes through the green socket."""
    client, conn = connected_pair(family)
    with client, conn, client.makefile("w") as out, conn.makefile("r") as inp:
        out.write("héllo\n")
        out.flush()
        assert inp.readline() == "héllo\n"


@pytest.mark.parametrize("family", FAMILIES)
def test_shutdown_write_gives_peer_eof(real_reactor, family):
    """shutdown(SHUT_WR) makes the peer's recv return b'' while the socket stays open."""
    client, conn = connected_pair(family)
    with client, conn:
        client.shutdown(socket.SHUT_WR)
        assert conn.recv(1) == b""
        conn.sendall(b"still")
        assert client.recv(5) == b"still"


def test_context_manager_closes(real_reactor):
    """Leaving the with block closes the socket."""
    with socket.socket() as sock:
        pass
    assert sock.fileno() == -1


def test_accept_returns_green_socket(real_reactor):
    """accept returns a GreenSocket with the listener's family."""
    with listener(socket.AF_INET) as server, socket.socket() as client:
        client.connect(server.getsockname())
        conn, address = server.accept()
        with conn:
            assert isinstance(conn, socket.GreenSocket)
            assert conn.family == socket.AF_INET
            assert address == client.getsockname()


def test_sendfile_sends_a_file(real_reactor, tmp_path):
    """sendfile streams a regular file through green sends."""
    path = tmp_path / "data"
    path.write_bytes(b"x" * 100_000)
    client, conn = connected_pair(socket.AF_INET)
    with client, conn, path.open("rb") as file:
        reader = eventlib.spawn(lambda: b"".join(iter(lambda: conn.recv(65536), b"")))
        assert client.sendfile(file) == 100_000
        client.shutdown(socket.SHUT_WR)
        assert len(reader.wait()) == 100_000


def test_socketpair_is_green(real_reactor):
    """socketpair returns two connected green sockets."""
    a, b = socket.socketpair()
    with a, b:
        assert isinstance(a, socket.GreenSocket)
        eventlib.spawn_after(0.01, a.sendall, b"hi")
        assert b.recv(2) == b"hi"


def test_fromfd_duplicates_into_green_socket(real_reactor):
    """fromfd makes a green socket on a duplicate descriptor."""
    a, b = socket.socketpair()
    with a, b:
        dup = socket.fromfd(a.fileno(), a.family, a.type)
        with dup:
            assert isinstance(dup, socket.GreenSocket)
            assert dup.fileno() != a.fileno()
            dup.sendall(b"z")
            assert b.recv(1) == b"z"


def test_dup_keeps_timeout(real_reactor):
    """dup() gives a green socket with the same timeout."""
    with socket.socket() as sock:
        sock.settimeout(2.5)
        with sock.dup() as copy:
            assert isinstance(copy, socket.GreenSocket)
            assert copy.gettimeout() == 2.5


def test_create_server_is_green(real_reactor):
    """create_server returns a listening green socket."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert isinstance(server, socket.GreenSocket)
        proc = eventlib.spawn(echo_once, server)
        with socket.create_connection(server.getsockname()) as client:
            client.sendall(b"x")
            assert client.recv(1) == b"x"
        proc.wait()


def test_create_connection_resolves_localhost(real_reactor):
    """create_connection to 'localhost' resolves the name green and connects."""
    with listener(socket.AF_INET) as server:
        proc = eventlib.spawn(echo_once, server)
        with socket.create_connection(("localhost", server.getsockname()[1])) as client:
            client.sendall(b"ok")
            assert client.recv(2) == b"ok"
        proc.wait()


def test_create_connection_all_errors_raises_group(real_reactor):
    """create_connection(all_errors=True) raises an ExceptionGroup when every address fails."""
    with listener(socket.AF_INET) as server:
        port = server.getsockname()[1]
    with pytest.raises(ExceptionGroup) as info:
        socket.create_connection(("127.0.0.1", port), all_errors=True)
    assert all(isinstance(e, ConnectionRefusedError) for e in info.value.exceptions)


def test_connect_resolves_host_name(real_reactor):
    """connect(('localhost', port)) resolves without the C code's blocking lookup."""
    with listener(socket.AF_INET) as server, socket.socket() as client:
        client.connect(("localhost", server.getsockname()[1]))
        assert client.getpeername() == server.getsockname()


# --- UDP -------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_udp_ping_pong(real_reactor, family):
    """Two UDP sockets bounce a datagram back and forth ten times."""
    with (
        socket.socket(family, socket.SOCK_DGRAM) as ping,
        socket.socket(family, socket.SOCK_DGRAM) as pong,
    ):
        ping.bind((LOOPBACK[family], 0))
        pong.bind((LOOPBACK[family], 0))

        def ponger():
            for _ in range(10):
                data, address = pong.recvfrom(100)
                pong.sendto(data + b"!", address)

        proc = eventlib.spawn(ponger)
        for i in range(10):
            ping.sendto(b"%d" % i, pong.getsockname())
            data, address = ping.recvfrom(100)
            assert data == b"%d!" % i
            assert address == pong.getsockname()
        proc.wait()


@pytest.mark.parametrize("family", FAMILIES)
def test_udp_recvfrom_into(real_reactor, family):
    """recvfrom_into waits for a datagram and reports its sender."""
    with (
        socket.socket(family, socket.SOCK_DGRAM) as a,
        socket.socket(family, socket.SOCK_DGRAM) as b,
    ):
        a.bind((LOOPBACK[family], 0))
        b.bind((LOOPBACK[family], 0))
        eventlib.spawn_after(0.01, b.sendto, b"dgram", a.getsockname())
        buf = bytearray(16)
        size, address = a.recvfrom_into(buf)
        assert (bytes(buf[:size]), address) == (b"dgram", b.getsockname())


@pytest.mark.parametrize("family", FAMILIES)
def test_udp_connected_send_and_recv(real_reactor, family):
    """A connected UDP socket uses send/recv."""
    with (
        socket.socket(family, socket.SOCK_DGRAM) as a,
        socket.socket(family, socket.SOCK_DGRAM) as b,
    ):
        a.bind((LOOPBACK[family], 0))
        b.connect(a.getsockname())
        eventlib.spawn_after(0.01, b.send, b"hello")
        assert a.recv(10) == b"hello"


def test_udp_sendto_resolves_host_name(real_reactor):
    """sendto(('localhost', port)) resolves the name green."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
    ):
        a.bind(("127.0.0.1", 0))
        b.sendto(b"x", 0, ("localhost", a.getsockname()[1]))
        assert a.recv(1) == b"x"


def test_recvmsg_and_sendmsg(real_reactor):
    """recvmsg waits for data sent with sendmsg."""
    a, b = socket.socketpair()
    with a, b:
        eventlib.spawn_after(0.01, a.sendmsg, [b"ab", b"cd"])
        data, ancdata, _flags, _address = b.recvmsg(10)
        assert (data, ancdata) == (b"abcd", [])


# --- concurrency: the reactor keeps running -----------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_hundred_concurrent_tcp_clients_do_not_block_reactor(real_reactor, heartbeat, family):
    """N clients wait on green recv at once; the timer keeps firing until they are answered."""
    with listener(family, backlog=N) as server:
        conns = []

        def serve():
            for _ in range(N):
                conn = server.accept()[0]
                conns.append((conn, conn.recv(16)))

        def client(i):
            with socket.socket(family) as sock:
                sock.settimeout(10)  # fails, rather than hangs, a recv that blocked the reactor
                sock.connect(server.getsockname())
                sock.sendall(b"%d" % i)
                return sock.recv(16)

        try:
            clients = [eventlib.spawn(client, i) for i in range(N)]
            eventlib.spawn(serve).wait()  # every client has sent and now waits in recv
            heartbeat.wait_for_ticks(20)
            assert not [c for c in clients if c.ready()], "a recv returned before the answer"
            for conn, request in conns:
                conn.sendall(request)
            results = eventlib.waitall(clients)
        finally:
            for conn, _ in conns:
                conn.close()
    assert results == [b"%d" % i for i in range(N)]


def test_hundred_concurrent_udp_receivers_do_not_block_reactor(real_reactor, heartbeat):
    """N UDP sockets wait in recvfrom at once while a timer keeps firing."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(N)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        procs = [eventlib.spawn(sock.recvfrom, 10) for sock in socks]
        heartbeat.wait_for_ticks(20)
        assert not [p for p in procs if p.ready()], "a recvfrom returned before the send"
        for i, sock in enumerate(socks):
            socks[0].sendto(b"%d" % i, sock.getsockname())
        results = [data for data, _ in eventlib.waitall(procs)]
    finally:
        for sock in socks:
            sock.close()
    assert results == [b"%d" % i for i in range(N)]


# --- timeouts ---------------------------------------------------------------------------


def test_settimeout_and_gettimeout_match_stdlib():
    """Timeout values are normalised and validated like the stdlib's."""
    for value in (None, 0, 1, 2.5, True):
        with socket.socket() as green, stdlib_socket.socket() as plain:
            assert outcome(green.settimeout, value) == outcome(plain.settimeout, value)
            assert green.gettimeout() == plain.gettimeout()
            assert green.getblocking() == plain.getblocking()
            assert green.timeout == plain.timeout


@pytest.mark.parametrize("value", [-1, "x", math.nan, -0.5])
def test_bad_timeout_raises_like_stdlib(value):
    """Invalid timeouts raise the stdlib's exception types."""
    with socket.socket() as green, stdlib_socket.socket() as plain:
        assert outcome(green.settimeout, value) == outcome(plain.settimeout, value)
        assert green.gettimeout() == plain.gettimeout()


def test_setblocking_maps_to_timeouts():
    """setblocking(False) is timeout 0 and setblocking(True) is None."""
    with socket.socket() as sock:
        sock.setblocking(False)
        assert (sock.gettimeout(), sock.getblocking()) == (0.0, False)
        sock.setblocking(True)
        assert (sock.gettimeout(), sock.getblocking()) == (None, True)


def test_default_timeout_applies_to_new_sockets():
    """socket.setdefaulttimeout is honoured by green sockets."""
    socket.setdefaulttimeout(3.0)
    try:
        with socket.socket() as sock:
            assert sock.gettimeout() == 3.0
    finally:
        socket.setdefaulttimeout(None)


def _timed_out(function, *args):
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        function(*args)
    assert type(info.value) is TimeoutError  # exactly socket.timeout, as the stdlib raises
    assert str(info.value) == "timed out"
    return time.monotonic() - start


def test_accept_times_out(real_reactor):
    """accept raises socket.timeout after the socket's timeout."""
    with listener(socket.AF_INET) as server:
        server.settimeout(0.05)
        assert 0.04 <= _timed_out(server.accept) < 2


def test_connect_times_out(real_reactor):
    """connect to a listener whose backlog is full raises socket.timeout."""
    with listener(socket.AF_INET, backlog=0) as server:
        fillers = []
        try:
            # Fill the accept queue; the kernel then drops further SYNs.
            for _ in range(3):
                filler = stdlib_socket.socket()
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
                fillers.append(filler)
            with socket.socket() as client:
                client.settimeout(0.1)
                _timed_out(client.connect, server.getsockname())
        finally:
            for filler in fillers:
                filler.close()


def test_connect_ex_returns_eagain_on_timeout(real_reactor):
    """connect_ex reports a timeout as EAGAIN, like the stdlib."""
    with listener(socket.AF_INET, backlog=0) as server:
        fillers = [stdlib_socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
            with socket.socket() as client:
                client.settimeout(0.1)
                assert client.connect_ex(server.getsockname()) == errno.EAGAIN
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.recv(1),
        lambda s: s.recv_into(bytearray(1)),
        lambda s: s.recvfrom(1),
        lambda s: s.recvfrom_into(bytearray(1)),
        lambda s: s.recvmsg(1),
        lambda s: s.recvmsg_into([bytearray(1)]),
    ],
    ids=["recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into"],
)
def test_receive_calls_time_out(real_reactor, call):
    """Every receive call raises socket.timeout when nothing arrives in time."""
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(0.05)
        assert _timed_out(call, a) >= 0.04


@pytest.mark.parametrize(
    "call",
    [lambda s: s.sendall(b"x" * (16 << 20)), lambda s: [s.send(b"x" * 65536) for _ in range(1000)]],
    ids=["sendall", "send"],
)
def test_send_calls_time_out_when_peer_does_not_read(real_reactor, call):
    """send and sendall raise socket.timeout once the buffers are full and stay full."""
    client, conn = connected_pair(socket.AF_INET)
    with client, conn:
        client.settimeout(0.05)
        _timed_out(call, client)


@pytest.mark.parametrize("method", ["sendto", "sendmsg"])
def test_datagram_sends_time_out_when_receiver_is_full(real_reactor, tmp_path, method):
    """sendto/sendmsg to a unix datagram socket that nobody reads raise socket.timeout."""
    path = str(tmp_path / "dgram")
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
    ):
        receiver.bind(path)
        sender.settimeout(0.05)

        def flood():
            for _ in range(100_000):
                if method == "sendto":
                    sender.sendto(b"x" * 1024, path)
                else:
                    sender.sendmsg([b"x" * 1024], [], 0, path)

        _timed_out(flood)


def test_makefile_read_times_out(real_reactor):
    """Reading a socket file raises socket.timeout, then refuses to read again (stdlib rule)."""
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(0.05)
        with a.makefile("rb") as stream:
            _timed_out(stream.read, 1)
            with pytest.raises(OSError, match="cannot read from timed out object"):
                stream.read(1)


def test_timeout_is_total_for_sendall(real_reactor):
    """sendall's timeout bounds the whole call even while the peer drains slowly."""
    client, conn = connected_pair(socket.AF_INET)
    with client, conn:

        def trickle():
            while True:
                eventlib.sleep(0.01)
                conn.recv(4096)

        reader = eventlib.spawn(trickle)
        client.settimeout(0.2)
        elapsed = _timed_out(client.sendall, b"x" * (64 << 20))
        reader.kill()
        assert elapsed < 1.0


def test_non_blocking_recv_raises_blocking_io_error(real_reactor):
    """With timeout 0, recv raises BlockingIOError at once, like the stdlib."""
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        with pytest.raises(BlockingIOError):
            a.recv(1)


def test_non_blocking_connect_raises_blocking_io_error(real_reactor):
    """With timeout 0, connect raises BlockingIOError (EINPROGRESS) like the stdlib."""
    with listener(socket.AF_INET, backlog=0) as server:
        fillers = [stdlib_socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
            with socket.socket() as client:
                client.setblocking(False)
                with pytest.raises(BlockingIOError):
                    client.connect(server.getsockname())
        finally:
            for filler in fillers:
                filler.close()


def test_eventlib_timeout_interrupts_recv(real_reactor):
    """An eventlib.Timeout around a blocking recv interrupts it and unregisters the wait."""
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(eventlib.TimeoutError):
            with eventlib.Timeout(0.05):
                a.recv(1)
        assert reader_of(a) is None
        b.sendall(b"y")
        assert a.recv(1) == b"y"


# --- closing and bad input (compared with the stdlib) -------------------------------------


def test_close_wakes_waiting_reader_with_ebadf(real_reactor, hub_errors):
    """Closing a socket throws EBADF into the proc blocked in recv on it."""
    hub_errors.expect(OSError)
    a, b = socket.socketpair()
    with b:
        reader = eventlib.spawn(a.recv, 1)
        eventlib.sleep(0.01)
        a.close()
        with pytest.raises(OSError) as info:
            reader.wait()
        assert info.value.errno == errno.EBADF
    assert get_hub()._fd_watches == {}


def test_close_wakes_waiting_acceptor(real_reactor, hub_errors):
    """Closing a listener throws EBADF into the proc blocked in accept."""
    hub_errors.expect(OSError)
    server = listener(socket.AF_INET)
    acceptor = eventlib.spawn(server.accept)
    eventlib.sleep(0.01)
    server.close()
    with pytest.raises(OSError) as info:
        acceptor.wait()
    assert info.value.errno == errno.EBADF


CLOSED_SOCKET_CALLS = {
    "recv": lambda s: s.recv(1),
    "recv_into": lambda s: s.recv_into(bytearray(1)),
    "recvfrom": lambda s: s.recvfrom(1),
    "send": lambda s: s.send(b"x"),
    "sendall": lambda s: s.sendall(b"x"),
    "sendall-empty": lambda s: s.sendall(b""),
    "sendto": lambda s: s.sendto(b"x", ("127.0.0.1", 9)),
    "accept": lambda s: s.accept(),
    "connect": lambda s: s.connect(("127.0.0.1", 9)),
    "connect_ex": lambda s: s.connect_ex(("127.0.0.1", 9)),
    "bind": lambda s: s.bind(("127.0.0.1", 0)),
    "listen": lambda s: s.listen(),
    "shutdown": lambda s: s.shutdown(socket.SHUT_RDWR),
    "settimeout": lambda s: s.settimeout(1),
    "setblocking": lambda s: s.setblocking(True),
    "gettimeout": lambda s: s.gettimeout(),
    "fileno": lambda s: s.fileno(),
    "close-again": lambda s: s.close(),
}


@pytest.mark.parametrize("call", CLOSED_SOCKET_CALLS.values(), ids=CLOSED_SOCKET_CALLS.keys())
def test_closed_socket_behaves_like_stdlib(real_reactor, call):
    """Operations on a closed green socket raise (or return) what the stdlib's do."""
    green, plain = socket.socket(), stdlib_socket.socket()
    green.close()
    plain.close()
    assert outcome(call, green) == outcome(call, plain)


BAD_INPUT_CALLS = {
    "recv-negative": lambda s: s.recv(-1),
    "recv_into-negative": lambda s: s.recv_into(bytearray(4), -1),
    "recv_into-too-big": lambda s: s.recv_into(bytearray(4), 10),
    "recvfrom-negative": lambda s: s.recvfrom(-1),
    "send-str": lambda s: s.send("text"),
    "sendall-str": lambda s: s.sendall("text"),
    "connect-v6-address": lambda s: s.connect(("::1", 80)),
    "connect-not-a-tuple": lambda s: s.connect("127.0.0.1"),
    "connect-bad-port": lambda s: s.connect(("127.0.0.1", 70000)),
    "connect-str-port": lambda s: s.connect(("127.0.0.1", "80")),
    "bind-v6-address": lambda s: s.bind(("::1", 0)),
    "sendto-bad-address": lambda s: s.sendto(b"x", "nowhere"),
    "recv-no-args": lambda s: s.recv(),
}


@pytest.mark.parametrize("call", BAD_INPUT_CALLS.values(), ids=BAD_INPUT_CALLS.keys())
def test_bad_input_raises_like_stdlib(real_reactor, call):
    """Wrong family, negative sizes and wrong types raise the stdlib's exceptions."""
    with socket.socket() as green, stdlib_socket.socket() as plain:
        green.settimeout(1)
        plain.settimeout(1)
        assert outcome(call, green) == outcome(call, plain)


def test_wrong_family_on_ipv6_socket_raises_like_stdlib(real_reactor):
    """Connecting an IPv6 socket to an IPv4 literal fails as the stdlib does."""
    with socket.socket(socket.AF_INET6) as green, stdlib_socket.socket(socket.AF_INET6) as plain:
        call = lambda s: s.connect(("127.0.0.1", 80))  # noqa: E731
        assert outcome(call, green) == outcome(call, plain)


def test_unknown_host_raises_gaierror(real_reactor):
    """connect to a name that does not resolve raises socket.gaierror."""
    with socket.socket() as sock, pytest.raises(socket.gaierror):
        sock.connect(("no-such-host.invalid", 80))


def test_blocking_call_from_main_loop_raises(real_reactor):
    """A green recv that would block, called from a reactor callback, fails at once."""
    a, b = socket.socketpair()
    with a, b:
        seen = eventlib.Event()

        def in_main_loop():
            try:
                a.recv(1)
            except BlockingInMainLoopError as exc:
                seen.send(exc)

        get_hub().schedule_call_global(0, in_main_loop)
        assert isinstance(seen.wait(timeout=5), AssertionError)


def test_non_blocking_call_from_main_loop_works(real_reactor):
    """A green call that need not wait works from a reactor callback."""
    a, b = socket.socketpair()
    with a, b:
        b.sendall(b"q")
        got = eventlib.Event()
        get_hub().schedule_call_global(0, lambda: got.send(a.recv(1)))
        assert got.wait(timeout=5) == b"q"


# --- kept read registrations ----------------------------------------------------------------


def test_recv_keeps_read_registration_between_waits(real_reactor, monkeypatch):
    """A socket registers for reading once: later waits on it cost no addReader."""
    a, b = socket.socketpair()
    with a, b:
        eventlib.spawn_after(0.01, b.sendall, b"1")
        assert a.recv(1) == b"1"
        assert polled_for_reading(real_reactor, a.fileno())
        added = []
        monkeypatch.setattr(real_reactor, "addReader", added.append)
        eventlib.spawn_after(0.01, b.sendall, b"2")
        assert a.recv(1) == b"2"
        assert added == []


def test_close_drops_kept_read_registration(real_reactor):
    """Closing a socket removes its kept registration from the hub and the reactor."""
    a, b = socket.socketpair()
    with b:
        eventlib.spawn_after(0.01, b.sendall, b"x")
        a.recv(1)
        fileno = a.fileno()
        a.close()
        assert fileno not in get_hub()._fd_watches
        assert not polled_for_reading(real_reactor, fileno)


def test_detach_drops_kept_read_registration(real_reactor):
    """detach() gives the descriptor away without the registration the socket kept."""
    a, b = socket.socketpair()
    with b:
        eventlib.spawn_after(0.01, b.sendall, b"x")
        a.recv(1)
        fileno = a.detach()
        try:
            assert fileno not in get_hub()._fd_watches
            assert not polled_for_reading(real_reactor, fileno)
        finally:
            os.close(fileno)


def test_collected_socket_drops_kept_read_registration(real_reactor):
    """A socket collected unclosed drops its registration, then warns and closes as the stdlib."""
    a, b = socket.socketpair()
    with b:
        eventlib.spawn_after(0.01, b.sendall, b"x")
        a.recv(1)
        fileno = a.fileno()
        with pytest.warns(ResourceWarning, match="unclosed"):
            del a  # the last reference: collected at once
        assert fileno not in get_hub()._fd_watches
        assert not polled_for_reading(real_reactor, fileno)
        with pytest.raises(OSError) as info:
            os.fstat(fileno)
        assert info.value.errno == errno.EBADF


def test_reused_descriptor_number_is_polled_after_close(real_reactor):
    """A new socket given a closed socket's descriptor number is woken by the reactor."""
    a, b = socket.socketpair()
    eventlib.spawn_after(0.01, b.sendall, b"x")
    a.recv(1)
    fileno = a.fileno()
    a.close()
    b.close()
    c, d = socket.socketpair()
    with c, d:
        assert fileno in (c.fileno(), d.fileno())
        eventlib.spawn_after(0.01, c.sendall, b"c")
        eventlib.spawn_after(0.01, d.sendall, b"d")
        with eventlib.Timeout(5):
            assert (c.recv(1), d.recv(1)) == (b"d", b"c")


def test_dup_of_socket_reads_after_original_closes(real_reactor):
    """A dup() keeps working once the original, which kept a registration, is closed."""
    a, b = socket.socketpair()
    with b:
        eventlib.spawn_after(0.01, b.sendall, b"1")
        a.recv(1)
        with a.dup() as twin:
            a.close()
            eventlib.spawn_after(0.01, b.sendall, b"2")
            with eventlib.Timeout(5):
                assert twin.recv(1) == b"2"


def test_unread_data_stops_polling_until_next_wait(real_reactor):
    """Data nobody waits for drops the kept registration (no busy polling) until a recv waits."""
    a, b = socket.socketpair()
    with a, b:
        eventlib.spawn_after(0.01, b.sendall, b"1")
        a.recv(1)
        b.sendall(b"2")
        eventlib.sleep(0.05)  # reactor turns with data pending and no reader
        assert not polled_for_reading(real_reactor, a.fileno())
        assert a.recv(1) == b"2"
        eventlib.spawn_after(0.01, b.sendall, b"3")
        assert a.recv(1) == b"3"
        assert polled_for_reading(real_reactor, a.fileno())
