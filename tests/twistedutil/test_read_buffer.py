"""GreenTransport's read buffer and reader wake-up, fed through Twisted's StringTransport."""

import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from eventlib.twistedutil.protocol import GreenTransport, UnbufferedTransport
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport


def string_connection(**kwargs):
    """A GreenTransport connected to a StringTransport; returns it and its Twisted protocol."""
    conn = GreenTransport(**kwargs)
    protocol = conn.build_protocol()
    protocol.makeConnection(StringTransport())
    return conn, protocol


def test_read_copies_only_what_it_returns(virtual_clock):
    """read(n) from a large buffered chunk allocates n bytes, not a copy of the rest."""
    conn, protocol = string_connection(read_high_water=1 << 30)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    protocol.dataReceived(chunk)
    tracemalloc.start()
    try:
        first = conn.read(16)
        second = conn.read(16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first + second == chunk[:32]
    assert peak < 64 * 1024  # re-slicing the rest would allocate about 1 MiB per read
    assert conn.statistics().buffered == len(chunk) - 32


def test_read_of_a_whole_chunk_returns_it_without_copying(virtual_clock):
    """read(n) of exactly the first buffered chunk returns that chunk itself."""
    conn, protocol = string_connection()
    chunk = b"x" * 1000
    protocol.dataReceived(chunk)
    protocol.dataReceived(b"next")
    assert conn.read(1000) is chunk
    assert conn.read(4) == b"next"


# Each step: ("read", n) -> read(n); ("recv", n) -> recv(n); ("recv", None) -> recv().
steps = st.lists(
    st.tuples(st.sampled_from(["read", "recv"]), st.none() | st.integers(0, 40)),
    max_size=30,
)


# One connection per example; the fixture only provides the hub (nothing here blocks).
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(chunks=st.lists(st.binary(min_size=1, max_size=30), min_size=1, max_size=10), steps=steps)
def test_reads_of_any_sizes_return_the_stream_in_order(virtual_clock, chunks, steps):
    """Any mix of read(n), recv(n) and recv() returns the bytes received, in order, once."""
    conn, protocol = string_connection(read_high_water=1 << 20)
    for chunk in chunks:
        protocol.dataReceived(chunk)
    stream = b"".join(chunks)
    got = b""
    for kind, size in steps:
        if len(got) == len(stream):
            break
        if kind == "read" and size is not None and size <= len(stream) - len(got):
            data = conn.read(size)
            assert len(data) == size
        elif kind == "recv":
            data = conn.recv(size)
            assert size is None or len(data) <= size
            assert data or size == 0
        else:
            continue
        got += data
        assert conn.statistics().buffered == len(stream) - len(got)
    protocol.connectionLost(Failure(ConnectionDone()))
    got += conn.read()
    assert got == stream
    assert conn.read() == b""


class LoggingTransport(GreenTransport):
    """A GreenTransport whose subclass overrides the read and write methods."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def read(self, size=-1):
        self.calls.append("read")
        return super().read(size)

    def recv(self, buflen=None):
        self.calls.append("recv")
        return super().recv(buflen)

    def write(self, data, wait=True):
        self.calls.append("write")
        super().write(data, wait)


def test_subclass_overrides_of_read_recv_and_write_are_called(virtual_clock):
    """A subclass's own read(), recv() and write() run, not the transport's fast bindings."""
    conn = LoggingTransport()
    protocol = conn.build_protocol()
    transport = StringTransport()
    protocol.makeConnection(transport)
    protocol.dataReceived(b"abcdef")
    assert conn.read(2) == b"ab"
    assert conn.recv() == b"cdef"
    conn.write(b"out")
    assert conn.calls == ["read", "recv", "write"]
    assert transport.value() == b"out"


@pytest.mark.parametrize(
    ("transport_class", "names"),
    [
        (GreenTransport, ("read", "recv", "write")),
        (UnbufferedTransport, ("recv", "write")),
        (LineOnlyReceiverTransport, ("readline", "write")),
    ],
)
def test_hot_methods_are_found_before_the_pass_through(virtual_clock, transport_class, names):
    """The read and write methods are bound on the transport itself, before __getattr__."""
    conn = transport_class()
    for name in names:
        assert name in vars(conn)


def test_read_high_water_assigned_on_a_transport_takes_effect(virtual_clock):
    """Setting read_high_water on a built transport changes when it stops reading."""
    conn, protocol = string_connection(read_high_water=1 << 20)
    conn.read_high_water = 100
    assert conn.read_high_water == 100
    protocol.dataReceived(b"x" * 101)
    assert protocol.transport.producerState == "paused"


def test_read_high_water_assignment_is_checked(virtual_clock):
    """A read_high_water that is not a positive int is refused when assigned."""
    conn, _ = string_connection()
    with pytest.raises(ValueError, match="read_high_water"):
        conn.read_high_water = 0
    with pytest.raises(TypeError, match="read_high_water"):
        conn.read_high_water = 1.5


def test_subclass_read_high_water_is_the_default_and_stays_assignable(virtual_clock):
    """A subclass's class attribute is its instances' default; they can still change it."""

    class Small(GreenTransport):
        read_high_water = 10

    conn = Small()
    protocol = conn.build_protocol()
    protocol.makeConnection(StringTransport())
    assert Small.read_high_water == 10
    assert conn.read_high_water == 10
    conn.read_high_water = 1000
    protocol.dataReceived(b"x" * 500)
    assert protocol.transport.producerState == "producing"


def test_subclass_read_high_water_that_is_not_a_count_is_refused():
    """A subclass whose read_high_water is not a positive int fails at class creation."""
    with pytest.raises(ValueError, match=r"Bad\.read_high_water"):

        class Bad(GreenTransport):
            read_high_water = 0
