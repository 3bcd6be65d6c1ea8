"""eventlib.green.select: select() parks the green thread and answers like the stdlib."""

import math
import select as stdlib_select
import socket as stdlib_socket
import time

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import select, socket
from eventlib.hub import BlockingInMainLoopError, get_hub

N = 100


@pytest.fixture
def pair(real_reactor):
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_select_waits_until_readable(pair):
    """select returns the socket once the peer has written."""
    a, b = pair
    eventlib.spawn_after(0.02, b.sendall, b"x")
    assert select.select([a], [], [], 5) == ([a], [], [])


def test_select_returns_every_ready_object(pair):
    """All ready objects come back, in the stdlib's order and identity."""
    a, b = pair
    a.sendall(b"x")
    b.sendall(b"y")
    assert select.select([a, b], [a], [], 5) == ([a, b], [a], [])


def test_select_accepts_integer_descriptors(pair):
    """Plain file descriptor numbers work and are returned as given."""
    a, b = pair
    eventlib.spawn_after(0.01, b.sendall, b"x")
    assert select.select([a.fileno()], [], [], 5) == ([a.fileno()], [], [])


def test_select_times_out_with_empty_lists(pair):
    """With nothing ready, select returns three empty lists after the timeout."""
    a, _ = pair
    start = time.monotonic()
    assert select.select([a], [], [], 0.05) == ([], [], [])
    assert time.monotonic() - start >= 0.04


def test_select_zero_timeout_polls(pair):
    """timeout=0 returns at once."""
    a, _ = pair
    assert select.select([a], [], [], 0) == ([], [], [])


def test_select_unregisters_its_waits(pair):
    """After select returns, no descriptor wait is left registered."""
    a, b = pair
    eventlib.spawn_after(0.01, b.sendall, b"x")
    select.select([a, b], [], [], 5)
    assert get_hub()._fd_watches == {}


def test_hundred_concurrent_selects_do_not_block_reactor(real_reactor, heartbeat):
    """N procs wait in select at once; the timer keeps firing until they are let go."""
    pairs = [socket.socketpair() for _ in range(N)]
    try:
        # Nothing is readable until the test writes (the 10 s timeout fails, not hangs).
        procs = [eventlib.spawn(select.select, [a], [], [], 10) for a, _ in pairs]
        heartbeat.wait_for_ticks(20)
        assert not [p for p in procs if p.ready()], "a select returned before it was let go"
        for _, b in pairs:
            b.sendall(b"x")
        results = eventlib.waitall(procs)
        assert results == [([a], [], []) for a, _ in pairs]
    finally:
        for a, b in pairs:
            a.close()
            b.close()


def test_close_while_selecting_raises_ebadf(pair, hub_errors):
    """Closing a socket a proc is selecting on wakes it with EBADF."""
    a, _ = pair
    waiting = eventlib.spawn(select.select, [a], [], [])
    eventlib.sleep(0.01)
    a.close()
    with pytest.raises(OSError) as info:
        waiting.wait()
    assert info.value.errno == 9
    hub_errors.expect(OSError)


def test_select_from_main_loop_raises(pair):
    """A select that would wait, called from a reactor callback, fails at once."""
    a, _ = pair
    seen = eventlib.Event()

    def in_main_loop():
        try:
            select.select([a], [], [], 1)
        except BlockingInMainLoopError as exc:
            seen.send(exc)

    get_hub().schedule_call_global(0, in_main_loop)
    assert isinstance(seen.wait(timeout=5), BlockingInMainLoopError)


@pytest.mark.parametrize(
    "args",
    [
        ([], [], [], -1),
        ([], [], [], math.nan),
        ([], [], [], "1"),
        ([-1], [], [], 0),
        ([object()], [], [], 0),
        (None, [], [], 0),
    ],
    ids=["negative-timeout", "nan-timeout", "str-timeout", "negative-fd", "no-fileno", "not-list"],
)
def test_bad_input_raises_like_stdlib(real_reactor, args):
    """Bad timeouts and bad descriptors raise the stdlib's exception types."""
    assert outcome(select.select, *args) == outcome(stdlib_select.select, *args)


def test_closed_socket_raises_like_stdlib(real_reactor):
    """A closed socket in the lists raises what the stdlib raises."""
    green, plain = socket.socket(), stdlib_socket.socket()
    green.close()
    plain.close()
    assert outcome(select.select, [green], [], [], 0) == outcome(
        stdlib_select.select, [plain], [], [], 0
    )


def test_module_has_no_polling_objects():
    """poll/epoll are absent, so selectors-style code falls back to green select()."""
    assert not hasattr(select, "poll")
    assert not hasattr(select, "epoll")
    assert select.error is OSError
