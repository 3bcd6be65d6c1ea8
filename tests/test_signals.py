"""eventlib.signals: serve_forever / run stop a program cleanly on SIGINT and SIGTERM.

Real signals go to a child Python process; each program prints "ready" from a
proc, which runs only once the main program is parked inside serve_forever(),
so the handlers are in place before the test sends anything.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import eventlib
from eventlib.hub import BlockingInMainLoopError
from eventlib.signals import serve_forever

SUPERVISED = """
import sys
import eventlib
from eventlib.supervisor import ChildSpec, Supervisor

def worker(name):
    try:
        eventlib.sleep(3600)
    finally:
        print(f"{name} stopped", flush=True)

sup = Supervisor([
    ChildSpec("first", start=lambda: eventlib.spawn(worker, "first")),
    ChildSpec("second", start=lambda: eventlib.spawn(worker, "second")),
])
eventlib.spawn(print, "ready", flush=True)
received = eventlib.serve_forever(sup)
print(f"stopped by {received.name}; supervisor dead: {sup.dead}", flush=True)
"""

RUN_MAIN = """
import eventlib

def main():
    try:
        eventlib.spawn(print, "ready", flush=True)
        eventlib.sleep(3600)
        return "finished"
    finally:
        print("main cleaned up", flush=True)

print(f"run returned {eventlib.run(main)!r}", flush=True)
"""

SLOW_SHUTDOWN = """
import eventlib
from eventlib.supervisor import ChildSpec, Supervisor

def stubborn():
    try:
        eventlib.sleep(3600)
    finally:
        print("stopping slowly", flush=True)
        eventlib.sleep(3600)

sup = Supervisor([ChildSpec("slow", start=lambda: eventlib.spawn(stubborn), shutdown=3600)])
eventlib.spawn(print, "ready", flush=True)
eventlib.serve_forever(sup)
"""

# The main thread blocks the signals, so the kernel delivers them to a thread that
# does not: nothing interrupts the main thread's poll. This is what happens, by
# chance, to a signal that lands just before the reactor goes to sleep.
SIGNALS_ELSEWHERE = """
import signal, threading
threading.Thread(target=threading.Event().wait, daemon=True).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
"""

IDLE_ELSEWHERE = (
    SIGNALS_ELSEWHERE
    + """
import eventlib

proc = eventlib.spawn(eventlib.sleep, 3600)
eventlib.spawn(print, "ready", flush=True)
print(f"stopped by {eventlib.serve_forever(proc).name}", flush=True)
"""
)

SLOW_CLEANUP_ELSEWHERE = (
    SIGNALS_ELSEWHERE
    + """
import eventlib

def main():
    try:
        eventlib.spawn(print, "ready", flush=True)
        eventlib.sleep(3600)
    finally:
        print("stopping slowly", flush=True)
        eventlib.sleep(3600)

eventlib.run(main)
"""
)

JOINED_REACTOR = """
from eventlib.twistedutil import join_reactor
from twisted.internet import reactor
import eventlib

def worker():
    try:
        eventlib.sleep(3600)
    finally:
        print("worker stopped", flush=True)

def main():
    proc = eventlib.spawn(worker)
    eventlib.spawn(print, "ready", flush=True)
    received = eventlib.serve_forever(proc)
    print(f"stopped by {received.name}", flush=True)
    reactor.stop()

eventlib.spawn(main)
reactor.run()
print("reactor stopped", flush=True)
"""


class Program:
    """A Python program in a child process, read line by line."""

    def __init__(self, source):
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def expect_line(self, expected):
        line = self.process.stdout.readline().strip()
        assert line == expected, line + self.process.stderr.read()

    def send(self, signum):
        self.process.send_signal(signum)

    def finish(self):
        try:
            out, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            pytest.fail(f"the program did not end within 30 s; stdout: {out!r}; stderr: {err!r}")
        return self.process.returncode, out, err

    def stop_cleanly(self, signum):
        """Send ``signum``; the program must exit with 0. Returns its stdout lines."""
        self.send(signum)
        code, out, err = self.finish()
        assert code == 0, err
        return out.splitlines()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def program():
    started = []

    def start(source):
        started.append(Program(source))
        return started[-1]

    yield start
    for running in started:
        running.kill()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_stops_the_tree_on_signal(program, signum):
    """SIGTERM or SIGINT stops the supervisor's children in reverse start order, then returns."""
    running = program(SUPERVISED)
    running.expect_line("ready")
    assert running.stop_cleanly(signum) == [
        "second stopped",
        "first stopped",
        f"stopped by {signum.name}; supervisor dead: True",
    ]


def test_run_kills_main_on_signal_and_returns_none(program):
    """run(main): a signal kills main, whose finally block runs, and run returns None."""
    running = program(RUN_MAIN)
    running.expect_line("ready")
    assert running.stop_cleanly(signal.SIGINT) == ["main cleaned up", "run returned None"]


def test_serve_forever_in_a_proc_under_join_reactor(program):
    """Run mode 1: serve_forever in a proc inside reactor.run() stops its target on SIGTERM."""
    running = program(JOINED_REACTOR)
    running.expect_line("ready")
    assert running.stop_cleanly(signal.SIGTERM) == [
        "worker stopped",
        "stopped by SIGTERM",
        "reactor stopped",
    ]


@pytest.mark.parametrize(
    ("source", "first"),
    [(SLOW_SHUTDOWN, signal.SIGINT), (SLOW_CLEANUP_ELSEWHERE, signal.SIGTERM)],
    ids=["main-thread", "signals-taken-by-another-thread"],
)
def test_second_sigint_during_shutdown_interrupts(program, source, first):
    """A second SIGINT while the target is stopping gets Python's KeyboardInterrupt, at once."""
    running = program(source)
    running.expect_line("ready")
    running.send(first)
    running.expect_line("stopping slowly")
    running.send(signal.SIGINT)
    code, _out, err = running.finish()
    assert code != 0
    assert "KeyboardInterrupt" in err


def test_signal_taken_by_another_thread_stops_at_once(program):
    """A signal the main thread's poll never sees still stops an idle program at once."""
    running = program(IDLE_ELSEWHERE)
    running.expect_line("ready")
    assert running.stop_cleanly(signal.SIGTERM) == ["stopped by SIGTERM"]


def _open_fds():
    return {path.name for path in Path("/proc/self/fd").iterdir()}


def _current_wakeup_fd():
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def test_wakeup_descriptor_only_while_serving(virtual_clock):
    """serve_forever sets a wake-up descriptor while it serves, then removes it and its pipe."""
    seen = []
    fds_before = _open_fds()

    def target():
        seen.append(_current_wakeup_fd())
        eventlib.sleep(1)

    assert _current_wakeup_fd() == -1
    serve_forever(eventlib.spawn(target))
    assert seen[0] != -1
    assert _current_wakeup_fd() == -1
    assert _open_fds() == fds_before


def test_wakeup_descriptor_already_set_is_left_alone(virtual_clock):
    """A wake-up descriptor someone else set (Twisted's, asyncio's) stays theirs throughout."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    seen = []
    try:
        signal.set_wakeup_fd(write_end)

        def target():
            seen.append(_current_wakeup_fd())
            eventlib.sleep(1)

        serve_forever(eventlib.spawn(target))
        assert seen == [write_end]
        assert _current_wakeup_fd() == write_end
    finally:
        signal.set_wakeup_fd(-1)
        os.close(read_end)
        os.close(write_end)


def test_serve_forever_returns_none_when_target_ends(virtual_clock):
    """A target that ends by itself makes serve_forever return None, with no signal."""
    proc = eventlib.spawn(eventlib.sleep, 5)
    assert serve_forever(proc) is None
    assert virtual_clock.now() == 5


def test_serve_forever_raises_the_target_error(virtual_clock, hub_errors):
    """A target that fails by itself makes serve_forever raise its error."""

    def fail():
        eventlib.sleep(1)
        raise ValueError("broken")

    proc = eventlib.spawn(fail)
    with pytest.raises(ValueError, match="broken"):
        serve_forever(proc)


def test_run_returns_main_result(virtual_clock):
    """run(main, *args) returns what main returned."""

    def main(a, b):
        eventlib.sleep(1)
        return a + b

    assert eventlib.run(main, 2, 3) == 5


def test_handlers_are_restored_after_return(virtual_clock):
    """serve_forever puts the previous SIGINT/SIGTERM handlers back when it returns."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    serve_forever(eventlib.spawn(eventlib.sleep, 1))
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_serve_forever_from_main_loop_raises(virtual_clock):
    """Called from a Twisted callback (MAIN_LOOP), serve_forever raises at once."""
    proc = eventlib.spawn(eventlib.sleep, 10)
    outcome = eventlib.Event()

    def callback():
        try:
            serve_forever(proc)
        except BlockingInMainLoopError as exc:
            outcome.send(exc)

    eventlib.schedule_call_global(0, callback)
    assert "serve_forever()" in str(outcome.wait())
    proc.kill()


def test_serve_forever_outside_main_thread_raises():
    """From another thread, serve_forever raises RuntimeError naming the main-thread rule."""
    errors = []

    def body():
        try:
            serve_forever(None)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(10)
    assert "main thread" in str(errors[0])
