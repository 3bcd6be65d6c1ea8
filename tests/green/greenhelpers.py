"""Helpers of the green-module tests: loopback addresses, a reactor heartbeat, stdlib comparison."""

import contextlib
import socket as stdlib_socket
import time

import pytest
from twisted.protocols.policies import WrappingFactory

from eventlib.hub import schedule_call_global, sleep


def _has_ipv6_loopback():
    try:
        with stdlib_socket.socket(stdlib_socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _has_ipv6_loopback()

FAMILIES = [
    pytest.param(stdlib_socket.AF_INET, id="v4"),
    pytest.param(
        stdlib_socket.AF_INET6,
        id="v6",
        marks=pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 loopback on this machine"),
    ),
]

LOOPBACK = {stdlib_socket.AF_INET: "127.0.0.1", stdlib_socket.AF_INET6: "::1"}


class Heartbeat:
    """A repeating hub timer whose ticks show the reactor kept turning."""

    def __init__(self, interval=0.005):
        self.interval = interval
        self.ticks = []
        self._timer = None

    def start(self):
        self._timer = schedule_call_global(self.interval, self._tick)

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self):
        self.ticks.append(time.monotonic())
        self._timer = schedule_call_global(self.interval, self._tick)

    def wait_for_ticks(self, count=20, timeout=10.0):
        """Park the calling proc until the timer has fired ``count`` more times.

        Counts ticks instead of measuring gaps: a reactor blocked by the code under test
        cannot fire them at all, however slowly a loaded machine schedules this process.
        """
        target = len(self.ticks) + count
        deadline = time.monotonic() + timeout
        while len(self.ticks) < target:
            fired = count - (target - len(self.ticks))
            assert time.monotonic() < deadline, f"the timer fired {fired} of {count} times"
            sleep(self.interval)


def outcome(function, *args):
    """What calling ``function(*args)`` did: ("ok", result) or (exception type, errno)."""
    try:
        result = function(*args)
    except Exception as exc:
        return type(exc), getattr(exc, "errno", None)
    return "ok", result


@contextlib.contextmanager
def twisted_server(reactor, factory):
    """Serve ``factory`` on 127.0.0.1 in this reactor; yield the port number.

    On exit (in the test's proc) the listening port and every connection are
    closed and waited for, so no socket outlives the test.
    """
    wrapping = WrappingFactory(factory)
    port = reactor.listenTCP(0, wrapping, interface="127.0.0.1")
    try:
        yield port.getHost().port
    finally:
        stopped = port.stopListening()
        for protocol in list(wrapping.protocols):
            protocol.transport.abortConnection()
        done = []
        stopped.addBoth(done.append)
        # Each close takes a reactor turn or two; bounded so a bug fails instead of hanging.
        for _ in range(2000):
            if done and not wrapping.protocols:
                break
            sleep(0.001)
        assert done, "the Twisted port did not stop listening"
        assert not wrapping.protocols, "Twisted connections did not close"
