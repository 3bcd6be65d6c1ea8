"""Every blocking call made from MAIN_LOOP raises BlockingInMainLoopError at once."""

import socket

import pytest
from twisted.internet.defer import Deferred

import eventlib
from eventlib.hub import BlockingInMainLoopError, Waiter, get_hub, trampoline
from eventlib.twistedutil import block_on


def _in_main_loop(function):
    """Run ``function`` from MAIN_LOOP (a hub timer); return what it raised."""
    outcome = eventlib.Event()

    def run():
        try:
            function()
        except BaseException as exc:
            outcome.send(exc)
        else:
            outcome.send(None)

    eventlib.schedule_call_global(0, run)
    return outcome.wait()


BLOCKING_CALLS = {
    "sleep": lambda: eventlib.sleep(1),
    "sleep0": lambda: eventlib.sleep(0),
    "event_wait": lambda: eventlib.Event().wait(),
    "queue_get": lambda: eventlib.Queue().get(),
    "bounded_queue_put": lambda: eventlib.Queue(0).put(1),
    "proc_wait": lambda: eventlib.spawn(eventlib.sleep, 1).wait(),
    "waitall": lambda: eventlib.waitall([eventlib.spawn(eventlib.sleep, 1)]),
    "semaphore_acquire": lambda: eventlib.Semaphore(0).acquire(),
    "waiter_get": lambda: Waiter(get_hub()).get(),
    "block_on": lambda: block_on(Deferred()),
    "trampoline": lambda: _trampoline_on_fresh_socket(),  # noqa: PLW0108 - defined below
}


def _trampoline_on_fresh_socket():
    a, b = socket.socketpair()
    with a, b:
        trampoline(a, read=True)


@pytest.mark.parametrize("name", sorted(BLOCKING_CALLS))
def test_blocking_call_from_main_loop_raises(virtual_clock, name):
    """A blocking call in MAIN_LOOP raises BlockingInMainLoopError, an AssertionError."""
    error = _in_main_loop(BLOCKING_CALLS[name])
    assert isinstance(error, BlockingInMainLoopError)
    assert isinstance(error, AssertionError)
    assert "cannot block in MAIN_LOOP" in str(error)
    assert "spawn a proc" in str(error)


def test_error_names_the_call(virtual_clock):
    """The message names the blocking call that was made."""
    error = _in_main_loop(lambda: eventlib.sleep(1))
    assert "sleep()" in str(error)


def test_main_loop_keeps_running_after_the_error(virtual_clock):
    """The hub keeps scheduling normally after a refused blocking call."""
    _in_main_loop(lambda: eventlib.sleep(1))
    eventlib.sleep(5)
    assert virtual_clock.now() == 5
