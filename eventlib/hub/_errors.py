"""Exceptions of the hub layer."""

from __future__ import annotations

import builtins

__all__ = [
    "BlockingInMainLoopError",
    "DeadlockError",
    "HubError",
    "HubStoppedError",
    "RealTimeLimitError",
    "TimeoutError",
    "WrongThreadError",
]


class HubError(Exception):
    """Base class of the hub's errors."""


class BlockingInMainLoopError(HubError, AssertionError):
    """A blocking call was made from MAIN_LOOP, the greenlet that runs the reactor.

    MAIN_LOOP cannot wait for anything: every other green thread waits *through*
    it. This subclasses AssertionError because that is what the original
    eventlib raised, so code that catches it keeps working.
    """

    def __init__(self, what: str = "a blocking call") -> None:
        super().__init__(
            f"cannot block in MAIN_LOOP: {what} was called from the greenlet that runs the "
            "Twisted reactor (a Twisted callback, a link listener or a timer callback); "
            "spawn a proc to do the blocking work, or return a Deferred instead"
        )
        self.what = what


class HubStoppedError(HubError, AssertionError):
    """A blocking call was made after the hub's reactor had stopped for good.

    It subclasses AssertionError because the original raised that (``reactor is
    not running``), so classic code that catches it keeps working.
    """


class WrongThreadError(HubError, RuntimeError):
    """An OS thread tried to use a hub, or a reactor, that another OS thread runs.

    A hub and its reactor belong to one OS thread: green calls made from
    another thread would drive the reactor concurrently or wait on a hub that
    never wakes them. The message names the thread-safe ways across.
    """


class DeadlockError(HubError):
    """Every green thread is blocked and nothing (timer, I/O) can ever wake one.

    Raised only by hubs that can know it for sure: the virtual-clock hub of
    ``eventlib.testing``.
    """


class RealTimeLimitError(HubError):
    """A virtual-clock hub ran longer in real time than its limit allows (a hang)."""


class TimeoutError(builtins.TimeoutError):
    """An operation took longer than its timeout.

    Subclasses the builtin TimeoutError (and so OSError), which is what
    ``socket.timeout`` and ``asyncio.timeout`` raise, so one ``except
    TimeoutError`` catches green and non-green timeouts alike. A timeout raised
    by a :class:`eventlib.Timeout` carries it as ``.timeout``.
    """

    timeout: object = None
