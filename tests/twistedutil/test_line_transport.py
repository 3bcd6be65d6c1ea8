"""LineOnlyReceiverTransport: reading and writing lines."""

import pytest
from twisted.internet.error import ConnectionDone, ConnectionLost

import eventlib
from eventlib.twistedutil.protocol import GreenClientCreator, GreenTransport
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport, LineTooLongError


def connect_lines(server, **kwargs):
    creator = GreenClientCreator(server.reactor, LineOnlyReceiverTransport, **kwargs)
    return creator.connectTCP(*server.address, timeout=5)


def send_raw(data):
    """A plain-bytes handler that sends ``data`` and closes."""

    def handler(conn):
        conn.write(data)
        conn.loseConnection()

    return handler


def test_readline_returns_lines_without_delimiter(serve):
    """readline() returns each line without its \\r\\n, however the bytes were split."""
    conn = connect_lines(serve(send_raw(b"first\r\nsecond\r\nthi")))
    assert conn.readline() == b"first"
    assert conn.readline() == b"second"
    with pytest.raises(ConnectionDone):
        conn.readline()  # "thi" never got its delimiter


def test_readline_after_clean_close_raises_connection_done_every_time(serve):
    """Once the peer closed cleanly and every line was read, readline() raises ConnectionDone."""
    conn = connect_lines(serve(send_raw(b"only\r\n")))
    assert conn.readline() == b"only"
    for _ in range(2):
        with pytest.raises(ConnectionDone):
            conn.readline()


def test_iteration_yields_lines_until_clean_close(serve):
    """Iterating yields every line and stops when the peer closes cleanly."""
    conn = connect_lines(serve(send_raw(b"a\r\nb\r\nc\r\n")))
    assert list(conn) == [b"a", b"b", b"c"]


def test_sendline_appends_delimiter(serve):
    """sendline(line) sends the line and the delimiter."""
    received = eventlib.Queue()
    conn = connect_lines(serve(lambda conn: received.put(conn.read())))
    conn.sendline(b"one")
    conn.sendline(b"two", wait=True)
    conn.loseConnection()
    assert received.get() == b"one\r\ntwo\r\n"


def test_custom_delimiter(serve):
    """A transport made with delimiter=b'\\n' splits and sends on \\n."""

    def reply(conn):
        conn.sendline(conn.readline().upper())
        conn.loseConnection()

    server = serve(reply, LineOnlyReceiverTransport, delimiter=b"\n")
    conn = connect_lines(server, delimiter=b"\n")
    conn.sendline(b"unix lines")
    assert list(conn) == [b"UNIX LINES"]


def test_too_long_line_raises_after_earlier_lines(serve):
    """Lines before an over-long one are read; then readline raises LineTooLongError."""
    conn = connect_lines(serve(send_raw(b"ok\r\n" + b"x" * 100 + b"\r\n")), max_length=50)
    assert conn.readline() == b"ok"
    with pytest.raises(LineTooLongError, match="longer than 50 bytes") as info:
        conn.readline()
    assert (info.value.max_length, info.value.received) == (50, 100)


def test_too_long_line_stops_iteration_with_error(serve):
    """Iteration does not end quietly on an over-long line: the error propagates."""
    conn = connect_lines(serve(send_raw(b"y" * 100)), max_length=50)
    with pytest.raises(LineTooLongError):
        list(conn)


def test_too_long_line_closes_the_connection(serve):
    """The connection is closed when a line is too long."""
    server = serve(lambda conn: conn.write(b"z" * 100))
    conn = connect_lines(server, max_length=50)
    with eventlib.Timeout(5):
        assert isinstance(conn.wait_closed(), ConnectionDone)


def test_iteration_propagates_unclean_close(serve):
    """A connection lost uncleanly ends iteration with its error."""

    def abort_after_one_line(conn):
        conn.write(b"line\r\n")
        conn.read(1)
        conn.abortConnection()

    server = serve(abort_after_one_line, GreenTransport)
    conn = connect_lines(server)
    lines = []
    with pytest.raises(ConnectionLost):
        for line in conn:
            lines.append(line)
            conn.sendline(b"!")
    assert lines == [b"line"]
