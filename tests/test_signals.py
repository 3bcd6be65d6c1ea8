"""eventlib.signals: serve_forever / run stop a program cleanly on SIGINT and SIGTERM.

Real signals go to a child Python process; each program prints "ready" from a
proc, which runs only once the main program is parked inside serve_forever(),
so the handlers are in place before the test sends anything.
"""

import signal
import subprocess
import sys
import textwrap
import threading

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
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err

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
    running.send(signum)
    code, out, err = running.finish()
    assert code == 0, err
    assert out.splitlines() == [
        "second stopped",
        "first stopped",
        f"stopped by {signum.name}; supervisor dead: True",
    ]


def test_run_kills_main_on_signal_and_returns_none(program):
    """run(main): a signal kills main, whose finally block runs, and run returns None."""
    running = program(RUN_MAIN)
    running.expect_line("ready")
    running.send(signal.SIGINT)
    code, out, err = running.finish()
    assert code == 0, err
    assert out.splitlines() == ["main cleaned up", "run returned None"]


def test_serve_forever_in_a_proc_under_join_reactor(program):
    """Run mode 1: serve_forever in a proc inside reactor.run() stops its target on SIGTERM."""
    running = program(JOINED_REACTOR)
    running.expect_line("ready")
    running.send(signal.SIGTERM)
    code, out, err = running.finish()
    assert code == 0, err
    assert out.splitlines() == ["worker stopped", "stopped by SIGTERM", "reactor stopped"]


def test_second_sigint_during_shutdown_interrupts(program):
    """A second SIGINT while the tree is stopping gets Python's KeyboardInterrupt."""
    running = program(SLOW_SHUTDOWN)
    running.expect_line("ready")
    running.send(signal.SIGINT)
    running.expect_line("stopping slowly")
    running.send(signal.SIGINT)
    code, _out, err = running.finish()
    assert code != 0
    assert "KeyboardInterrupt" in err


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
