"""The hub's classic introspection: get_readers, get_writers, get_excs, get_timers_count."""

import socket
import subprocess
import sys
import textwrap

import pytest

from eventlib import api, coros


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


def test_add_descriptor_calls_read_with_the_descriptor_when_readable(real_reactor):
    """add_descriptor(fd, read=cb) calls cb(descriptor) from MAIN_LOOP when fd is readable."""
    hub = api.get_hub()
    a, b = socket.socketpair()
    calls = []
    ready = coros.event()

    def on_read(descriptor):
        calls.append((descriptor, api.getcurrent() is hub.greenlet))
        hub.remove_descriptor(descriptor)
        ready.send()

    fileno = a.fileno()
    try:
        descriptor = hub.add_descriptor(fileno, read=on_read)
        b.send(b"x")
        with api.timeout(5):
            ready.wait()
    finally:
        a.close()
        b.close()
    assert calls == [(descriptor, True)]
    assert descriptor.fileno() == fileno


def test_add_descriptor_calls_write_when_writable(real_reactor):
    """add_descriptor(fd, write=cb) calls cb(descriptor) when fd is writable."""
    hub = api.get_hub()
    a, b = socket.socketpair()
    ready = coros.event()

    def on_write(descriptor):
        hub.remove_descriptor(descriptor)
        ready.send(descriptor)

    try:
        descriptor = hub.add_descriptor(a.fileno(), write=on_write)
        with api.timeout(5):
            assert ready.wait() is descriptor
    finally:
        a.close()
        b.close()


def test_remove_descriptor_stops_the_callbacks(real_reactor):
    """After remove_descriptor the callbacks are not called any more, nor listed as readers."""
    hub = api.get_hub()
    a, b = socket.socketpair()
    calls = []
    try:
        descriptor = hub.add_descriptor(a.fileno(), read=calls.append)
        hub.remove_descriptor(descriptor)
        hub.remove_descriptor(descriptor)
        b.send(b"x")
        api.sleep(0.05)
        readers = [d.fileno() for d in hub.get_readers()]
        fileno = a.fileno()
    finally:
        a.close()
        b.close()
    assert calls == []
    assert fileno not in readers


def test_add_descriptor_exc_gets_the_error_when_the_descriptor_is_closed(real_reactor):
    """exc(descriptor, error) is called once when the green socket waited on is closed."""
    from eventlib.green import socket as green_socket

    hub = api.get_hub()
    a, b = green_socket.socketpair()
    errors = []
    descriptor = hub.add_descriptor(
        a.fileno(), read=lambda d: None, write=None, exc=lambda d, e: errors.append((d, e))
    )
    a.close()
    b.close()
    assert len(errors) == 1
    assert errors[0][0] is descriptor
    assert isinstance(errors[0][1], OSError)


def test_running_is_true_while_the_reactor_runs(real_reactor):
    """hub.running tells whether the reactor runs."""
    assert api.get_hub().running is True


class _RecordingReactor:
    """Just enough of a reactor to see what the hub asks of it."""

    running = False

    def __init__(self):
        self.calls = []

    def stop(self):
        self.calls.append("stop")

    def crash(self):
        self.calls.append("crash")


def test_stop_stops_the_reactor_and_abort_crashes_it():
    """hub.stop() is reactor.stop(); hub.abort() is reactor.crash()."""
    from eventlib.hub import Hub

    reactor = _RecordingReactor()
    hub = Hub(reactor)
    hub.stop()
    hub.abort()
    assert reactor.calls == ["stop", "crash"]
    assert hub.running is False


def test_schedule_call_is_schedule_call_local():
    """The classic hub's schedule_call is schedule_call_local."""
    from eventlib.hub import Hub

    assert Hub.schedule_call is Hub.schedule_call_local


@pytest.mark.parametrize("error", ["KeyboardInterrupt", "SystemExit"])
def test_a_timer_raising_keyboard_interrupt_or_system_exit_reaches_the_main_greenlet(error):
    """A timer's KeyboardInterrupt/SystemExit is not logged and swallowed: it reaches main."""
    script = textwrap.dedent(
        f"""
        from eventlib import api

        def interrupt():
            raise {error}

        api.get_hub().schedule_call_global(0.01, interrupt)
        try:
            api.sleep(5)
        except {error}:
            print("reached main")
        """
    )
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.stdout.strip() == "reached main", completed.stderr


def test_hub_says_it_uses_the_twisted_reactor():
    """Classic code checks get_hub().uses_twisted_reactor; eventlib's hub always does."""
    from eventlib.hub import Hub

    assert Hub.uses_twisted_reactor is True
