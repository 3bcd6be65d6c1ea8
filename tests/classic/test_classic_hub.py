"""The hub's classic introspection: get_readers, get_writers, get_excs, get_timers_count."""

import socket

from eventlib import api


def test_get_readers_lists_a_descriptor_a_green_thread_waits_to_read(real_reactor):
    """A trampoline read wait shows up in get_readers() and leaves it when done."""
    a, b = socket.socketpair()
    hub = api.get_hub()
    try:
        fileno = a.fileno()
        waiter = api.spawn(api.trampoline, fileno, read=True, timeout=5)
        api.sleep(0)
        during = [d.fileno() for d in hub.get_readers()]
        b.send(b"x")
        while not waiter.dead:
            api.sleep(0.01)
        after = [d.fileno() for d in hub.get_readers()]
    finally:
        a.close()
        b.close()
    assert fileno in during
    assert fileno not in after


def test_get_readers_leaves_out_the_reactors_waker(real_reactor):
    """The reactor's own waker is not a reader anyone waits on, so it is not listed."""
    hub = api.get_hub()
    waker = getattr(hub.reactor, "waker", None)
    assert waker is None or waker not in hub.get_readers()


def test_get_writers_lists_a_descriptor_a_green_thread_waits_to_write(real_reactor):
    """A trampoline write wait shows up in get_writers()."""
    a, b = socket.socketpair()
    hub = api.get_hub()
    try:
        a.setblocking(False)
        while True:  # fill the send buffer, so the write wait really waits
            try:
                a.send(b"x" * 65536)
            except BlockingIOError:
                break
        waiter = api.spawn(api.trampoline, a.fileno(), write=True, timeout=5)
        api.sleep(0)
        writers = [d.fileno() for d in hub.get_writers()]
        api.kill(waiter)
    finally:
        fileno = a.fileno()
        a.close()
        b.close()
    assert fileno in writers


def test_get_excs_is_empty(virtual_clock):
    """Twisted has no exceptional-condition waits: get_excs() is an empty list."""
    assert api.get_hub().get_excs() == []


def test_get_timers_count_counts_pending_timers(virtual_clock):
    """Each pending timer adds one to get_timers_count(); a cancelled one goes away."""
    hub = api.get_hub()
    before = hub.get_timers_count()
    timers = [api.call_after_global(10 + n, lambda: None) for n in range(3)]
    during = hub.get_timers_count()
    for timer in timers:
        timer.cancel()
    assert during == before + 3
    assert hub.get_timers_count() == before


def test_get_timers_count_counts_zero_delay_calls(virtual_clock):
    """A zero-delay call waiting for the next turn is counted too."""
    hub = api.get_hub()
    before = hub.get_timers_count()
    api.call_after_global(0, lambda: None)
    assert hub.get_timers_count() == before + 1
