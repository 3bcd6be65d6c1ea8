import socket

import pytest

import eventlib
from eventlib.hub import get_fileno, trampoline


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_trampoline_wakes_when_readable(real_reactor, pair):
    """trampoline(read=True) returns once the peer has written."""
    a, b = pair
    eventlib.spawn_after(0.01, b.send, b"x")
    assert trampoline(a, read=True, timeout=5) == a.fileno()
    assert a.recv(1) == b"x"


def test_trampoline_write_on_writable_socket(real_reactor, pair):
    """trampoline(write=True) returns at once for a socket with buffer room."""
    a, _ = pair
    trampoline(a.fileno(), write=True, timeout=5)


def test_trampoline_timeout_raises_timeout_error(real_reactor, pair):
    """With nothing to read, the timeout raises eventlib.TimeoutError."""
    a, _ = pair
    with pytest.raises(eventlib.TimeoutError):
        trampoline(a, read=True, timeout=0.01)


def test_trampoline_custom_timeout_exception(real_reactor, pair):
    """timeout_exc replaces the default timeout exception."""
    a, _ = pair
    with pytest.raises(KeyError):
        trampoline(a, read=True, timeout=0.01, timeout_exc=KeyError("slow"))


def test_second_reader_on_same_fd_raises(real_reactor, pair):
    """Two green threads waiting to read one descriptor is an error, not a hang."""
    a, b = pair
    first = eventlib.spawn(trampoline, a, read=True, timeout=5)
    eventlib.sleep(0)
    with pytest.raises(RuntimeError, match="second simultaneous read"):
        trampoline(a, read=True, timeout=5)
    b.send(b"x")
    first.wait()


def test_reader_and_writer_on_same_fd_coexist(real_reactor, pair):
    """One proc may wait to read while another waits to write on the same descriptor."""
    a, b = pair
    reader = eventlib.spawn(trampoline, a, read=True, timeout=5)
    writer = eventlib.spawn(trampoline, a, write=True, timeout=5)
    assert writer.wait() == a.fileno()
    b.send(b"x")
    assert reader.wait() == a.fileno()


def test_trampoline_needs_a_direction(real_reactor, pair):
    """Neither read nor write is a ValueError."""
    with pytest.raises(ValueError, match="read=True"):
        trampoline(pair[0])


@pytest.mark.parametrize(
    ("obj", "error"), [("x", TypeError), (-1, ValueError), (object(), TypeError)]
)
def test_get_fileno_rejects_bad_input(obj, error):
    """get_fileno rejects things that are not descriptors."""
    with pytest.raises(error):
        get_fileno(obj)


def test_killed_waiter_unregisters_descriptor(real_reactor, pair):
    """Killing a proc parked in trampoline removes its reactor registration."""
    a, _ = pair
    proc = eventlib.spawn(trampoline, a, read=True)
    eventlib.sleep(0)
    assert a.fileno() in eventlib.get_hub()._fd_watches
    proc.kill()
    assert proc.dead
    assert a.fileno() not in eventlib.get_hub()._fd_watches
