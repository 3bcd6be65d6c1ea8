"""block_on, deferToGreenThread and callInGreenThread: Deferreds and green threads together."""

import subprocess
import sys
import textwrap
import threading
import traceback

import pytest
from greenlet import getcurrent
from twisted.internet import defer, threads
from twisted.python.failure import Failure

import eventlib
from eventlib.hub import BlockingInMainLoopError, get_hub
from eventlib.proc import ProcExit
from eventlib.twistedutil import block_on, callInGreenThread, deferToGreenThread


def fail_here():
    raise ValueError("raised in fail_here")


def frame_names(exc):
    return [frame.name for frame in traceback.extract_tb(exc.__traceback__)]


# -- block_on -------------------------------------------------------------------------


def test_block_on_returns_result_of_deferred_fired_later(virtual_clock):
    """block_on parks the proc until the Deferred fires, then returns its result."""
    d = defer.Deferred()
    eventlib.spawn_after(5, d.callback, "late")
    assert block_on(d) == "late"
    assert virtual_clock.now() == 5


def test_block_on_fired_deferred_returns_without_switching(virtual_clock):
    """A Deferred that already fired answers at once: no other proc runs meanwhile."""
    ran = []
    eventlib.spawn(ran.append, "other")
    assert block_on(defer.succeed("now")) == "now"
    assert ran == []


def test_block_on_passes_result_down_the_chain(virtual_clock):
    """The result stays in the chain: a second block_on and later callbacks get it too."""
    d = defer.Deferred()
    eventlib.spawn_after(1, d.callback, 42)
    assert block_on(d) == 42
    assert block_on(d) == 42
    seen = []
    d.addCallback(seen.append)
    assert seen == [42]


def test_block_on_raises_failure_with_original_traceback(virtual_clock):
    """A failure is raised as its exception, with the frames where it was raised."""
    d = defer.Deferred()

    def errback_later():
        try:
            fail_here()
        except ValueError:
            d.errback(Failure())

    eventlib.spawn_after(1, errback_later)
    with pytest.raises(ValueError, match="raised in fail_here") as info:
        block_on(d)
    assert "fail_here" in frame_names(info.value)


def test_block_on_already_failed_deferred_raises(virtual_clock):
    """A Deferred that already failed raises at once."""
    with pytest.raises(ZeroDivisionError):
        block_on(defer.fail(Failure(ZeroDivisionError("boom"))))


def test_block_on_cleaned_failure_keeps_original_traceback_as_note(virtual_clock):
    """When the traceback object was dropped (Failure.cleanFailure), its text becomes a note."""
    try:
        fail_here()
    except ValueError:
        failure = Failure()
    failure.cleanFailure()
    d = defer.fail(failure)
    with pytest.raises(ValueError) as info:
        block_on(d)
    assert any("fail_here" in note for note in info.value.__notes__)


def test_block_on_consumes_the_failure(virtual_clock):
    """After block_on raised a failure, the chain goes on with None (no unhandled error)."""
    d = defer.fail(Failure(KeyError("k")))
    with pytest.raises(KeyError):
        block_on(d)
    seen = []
    d.addBoth(seen.append)
    assert seen == [None]


def test_block_on_abandoned_leaves_failure_in_chain(virtual_clock):
    """If the waiting proc gave up (timeout), a later failure stays for other errbacks."""
    d = defer.Deferred()
    with pytest.raises(eventlib.TimeoutError), eventlib.Timeout(1):
        block_on(d)
    d.errback(Failure(KeyError("late")))
    seen = []
    d.addErrback(seen.append)
    assert seen[0].check(KeyError)


def test_block_on_timeout_interrupts_wait(virtual_clock):
    """A Timeout around block_on raises TimeoutError when the Deferred is too slow."""
    with pytest.raises(eventlib.TimeoutError), eventlib.Timeout(2):
        block_on(defer.Deferred())
    assert virtual_clock.now() == 2


def test_block_on_in_main_loop_raises(virtual_clock, in_main_loop):
    """From MAIN_LOOP, block_on on an unfired Deferred raises BlockingInMainLoopError."""
    with pytest.raises(BlockingInMainLoopError, match="block_on"):
        in_main_loop(block_on, defer.Deferred())


def test_block_on_in_main_loop_raises_assertion_error(virtual_clock, in_main_loop):
    """The classic error class still catches it: it is an AssertionError."""
    with pytest.raises(AssertionError):
        in_main_loop(block_on, defer.Deferred())


def test_block_on_in_main_loop_returns_fired_result(virtual_clock, in_main_loop):
    """From MAIN_LOOP, a fired Deferred's result is returned (nothing to wait for)."""
    assert in_main_loop(block_on, defer.succeed("ready")) == "ready"


def test_block_on_in_main_loop_on_paused_deferred_raises(virtual_clock, in_main_loop):
    """A fired Deferred paused on another one cannot be waited for from MAIN_LOOP either."""
    inner = defer.Deferred()
    outer = defer.succeed(None)
    outer.addCallback(lambda _: inner)
    with pytest.raises(BlockingInMainLoopError):
        in_main_loop(block_on, outer)
    inner.callback("done")
    assert block_on(outer) == "done"


def test_block_on_defer_to_thread_runs_blocking_code_in_thread(real_reactor):
    """block_on(deferToThread(f)) waits for f in a pool thread while procs keep running."""
    released = threading.Event()

    def blocking():
        assert released.wait(10), "the green thread never ran while the thread blocked"
        return threading.current_thread().name

    eventlib.spawn(released.set)
    name = block_on(threads.deferToThread(blocking))
    assert name != threading.current_thread().name


def test_block_on_defer_to_thread_failure_keeps_traceback(real_reactor):
    """An exception raised in the pool thread is re-raised with its traceback."""
    with pytest.raises(ValueError) as info:
        block_on(threads.deferToThread(fail_here))
    assert "fail_here" in frame_names(info.value)


def test_implicit_mode_exits_after_block_on_defer_to_thread():
    """A run-mode-2 program that used the reactor's thread pool exits when main returns."""
    source = """
        import time
        from twisted.internet import threads
        from eventlib.twistedutil import block_on
        print(block_on(threads.deferToThread(lambda: (time.sleep(0.01), 42)[1])))
    """
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (completed.returncode, completed.stdout) == (0, "42\n"), completed.stderr


def run_daemon_check(source):
    """Run ``source``, then report whether every thread but the main one is a daemon."""
    check = """
        import os, threading
        others = [t for t in threading.enumerate() if t is not threading.main_thread()]
        print(all(t.daemon for t in others))
        os._exit(0)  # a hang at exit is what is checked; don't wait for it
    """
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source) + textwrap.dedent(check)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.split()[-1] == "True"


def test_thread_pool_threads_started_by_block_on_are_daemons():
    """In run mode 2 the pool threads that block_on waits for cannot block the exit."""
    assert run_daemon_check(
        """
        from twisted.internet import threads
        from eventlib.twistedutil import block_on
        block_on(threads.deferToThread(lambda: 42))
        """
    )


def test_thread_pool_threads_started_while_reactor_ran_are_daemons():
    """A pool thread started after the hub started the reactor cannot block the exit either."""
    assert run_daemon_check(
        """
        import eventlib
        from twisted.internet import threads
        from eventlib.twistedutil import block_on
        eventlib.sleep(0.01)  # the reactor runs from here on
        d = threads.deferToThread(lambda: 42)
        block_on(d)
        """
    )


# -- deferToGreenThread -----------------------------------------------------------


def test_defer_to_green_thread_fires_with_result(virtual_clock):
    """The Deferred fires with the function's return value."""

    def slow_add(a, b=0):
        eventlib.sleep(3)
        return a + b

    assert block_on(deferToGreenThread(slow_add, 1, b=2)) == 3


def test_defer_to_green_thread_runs_in_a_new_proc(virtual_clock):
    """The function runs in a proc of its own, not in the caller."""
    proc = block_on(deferToGreenThread(eventlib.current_proc))
    assert proc is not None
    assert proc is not eventlib.current_proc()


def test_defer_to_green_thread_errbacks_with_exception_and_traceback(virtual_clock):
    """A raising function makes the Deferred fail with its exception and frames."""
    d = deferToGreenThread(fail_here)
    with pytest.raises(ValueError) as info:
        block_on(d)
    assert "fail_here" in frame_names(info.value)


def test_defer_to_green_thread_failure_is_not_a_hub_error(virtual_clock, hub_errors):
    """The failure goes to the Deferred, not to the hub's error hook."""
    d = deferToGreenThread(fail_here)
    failures = []
    d.addErrback(failures.append)
    eventlib.sleep(0)
    assert failures[0].check(ValueError)
    assert hub_errors.errors == []


def test_defer_to_green_thread_is_safe_from_reactor_callback(virtual_clock, in_main_loop):
    """Called from MAIN_LOOP (a Twisted callback), it returns a Deferred at once."""

    def blocking():
        eventlib.sleep(1)
        return getcurrent() is not get_hub().greenlet

    d = in_main_loop(deferToGreenThread, blocking)
    assert block_on(d) is True


def test_defer_to_green_thread_cancel_kills_the_proc(virtual_clock):
    """Cancelling the Deferred kills the proc and errbacks with CancelledError."""
    cleaned = eventlib.Event()

    def forever():
        try:
            eventlib.sleep(3600)
        finally:
            cleaned.send("cleaned up")

    d = deferToGreenThread(forever)
    eventlib.sleep(0)
    d.cancel()
    with pytest.raises(defer.CancelledError):
        block_on(d)
    assert cleaned.wait() == "cleaned up"


def test_defer_to_green_thread_killed_proc_errbacks_with_proc_exit(virtual_clock):
    """A proc killed from outside makes the Deferred fail with ProcExit."""
    d = deferToGreenThread(eventlib.sleep, 3600)
    eventlib.sleep(0)
    eventlib.killall(list(get_hub().procs.values()))
    with pytest.raises(ProcExit):
        block_on(d)


# -- callInGreenThread ------------------------------------------------------------


def test_call_in_green_thread_runs_function_with_arguments(virtual_clock):
    """callInGreenThread(f, *args, **kwargs) calls f in a new green thread."""
    done = eventlib.Event()

    def record(a, b=None):
        done.send((a, b, getcurrent()))

    greenlet = callInGreenThread(record, 1, b=2)
    assert done.wait() == (1, 2, greenlet)


def test_call_in_green_thread_does_not_switch(virtual_clock):
    """The caller keeps running: the green thread starts on the next hub turn."""
    ran = []
    callInGreenThread(ran.append, "started")
    assert ran == []
    eventlib.sleep(0)
    assert ran == ["started"]
