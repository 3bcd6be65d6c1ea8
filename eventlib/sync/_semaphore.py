"""Semaphores: counted permits handed out in arrival order."""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import Any

import attrs

from eventlib.hub import Waiter, check_count, check_not_main_loop, check_timeout, get_hub
from eventlib.sync._event import Event, wait_with_timeout

__all__ = [
    "BoundedSemaphore",
    "Semaphore",
    "SemaphoreStatistics",
    "metaphore",
    "semaphore",
]


@attrs.frozen
class SemaphoreStatistics:
    """A snapshot of a :class:`Semaphore`."""

    counter: int
    waiters: int


class Semaphore:
    """A counter of permits: ``acquire`` takes one (waiting if none), ``release`` returns one.

    Waiters get permits in arrival order; a waiter interrupted before it
    resumed gives its permit back. Usable as a context manager.

    Args:
        count: the initial number of permits (0, as in the classic API, by default).
    """

    __slots__ = ("_waiters", "counter")

    def __init__(self, count: int = 0) -> None:
        self.counter: int = check_count(count, "Semaphore count", minimum=0)
        self._waiters: deque[Waiter] = deque()

    def locked(self) -> bool:
        """True if an acquire would block."""
        return self.counter <= 0

    def bounded(self) -> bool:
        return False

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a permit; False if ``blocking`` is false (or ``timeout`` passed) and none is free.

        Raises:
            BlockingInMainLoopError: no permit is free and the caller is MAIN_LOOP.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        if timeout is not None:
            check_timeout(timeout, "Semaphore.acquire() timeout")
        if self.counter > 0:
            self.counter -= 1
            return True
        if not blocking or timeout == 0:
            return False
        hub = get_hub()
        check_not_main_loop(hub, "Semaphore.acquire()")
        waiter = Waiter(hub)
        self._waiters.append(waiter)
        try:
            got = wait_with_timeout(waiter, timeout, (None,))
        except BaseException:
            if waiter.unclaimed:
                self.release()  # handed a permit we never took: pass it on
            raise
        finally:
            if not waiter.ready:
                self._waiters.remove(waiter)
        if got is None:  # timed out
            if waiter.unclaimed:
                self.release()
            return False
        return True

    def release(self, blocking: bool = True) -> bool:  # noqa: ARG002 - classic signature
        """Return a permit, handing it to the oldest waiter if there is one."""
        waiters = self._waiters
        if waiters:
            waiters.popleft().switch(True)
        else:
            self.counter += 1
        return True

    def statistics(self) -> SemaphoreStatistics:
        return SemaphoreStatistics(counter=self.counter, waiters=len(self._waiters))

    def __enter__(self) -> Semaphore:
        self.acquire()
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} counter={self.counter} waiters={len(self._waiters)}>"


class BoundedSemaphore:
    """A semaphore whose count stays between 0 and ``limit``.

    ``acquire`` waits at 0; ``release`` *waits* at ``limit`` until someone
    acquires (classic eventlib semantics; ``release(blocking=False)`` returns
    False instead). A waiting ``acquire`` makes room first, so with ``limit``
    0 an acquire and a release meet (a rendezvous); ``balance`` (``lower``
    minus ``upper``) is negative while acquirers wait.

    Args:
        count: the initial number of permits.
        limit: the maximum number of permits; ``count`` by default.
    """

    __slots__ = ("lower", "upper")

    def __init__(self, count: int, limit: int | None = None) -> None:
        check_count(count, "BoundedSemaphore count", minimum=0)
        if limit is None:
            limit = count
        check_count(limit, "BoundedSemaphore limit", minimum=0)
        if count > limit:
            raise ValueError("'count' cannot be more than 'limit'")  # the classic message
        self.lower = Semaphore(count)
        self.upper = Semaphore(limit - count)

    @property
    def counter(self) -> int:
        return self.lower.counter

    @property
    def balance(self) -> int:
        return self.lower.counter - self.upper.counter

    def locked(self) -> bool:
        return self.lower.locked()

    def bounded(self) -> bool:
        return self.upper.locked()

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        lower, upper = self.lower, self.upper
        if lower.counter > 0 or not blocking or (timeout is not None and timeout <= 0):
            if not lower.acquire(False):
                return False
            upper.release()
            return True
        check_not_main_loop(get_hub(), "BoundedSemaphore.acquire()")
        # Make room before waiting, in the classic order: a release waiting at the limit
        # (limit 0: a rendezvous) goes through now and hands us its permit, instead of
        # both waiting forever. While we wait, balance counts us as negative.
        upper.release()
        try:
            got = lower.acquire(True, timeout)
        except BaseException:
            upper.counter -= 1  # take the room back; owed if a release already used it
            raise
        if not got:
            upper.counter -= 1
        return got

    def release(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not self.upper.acquire(blocking, timeout):
            return False
        self.lower.release()
        return True

    def statistics(self) -> SemaphoreStatistics:
        return SemaphoreStatistics(
            counter=self.lower.counter,
            waiters=len(self.lower._waiters) + len(self.upper._waiters),
        )

    def __enter__(self) -> BoundedSemaphore:
        self.acquire()
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<BoundedSemaphore counter={self.counter} balance={self.balance}>"


def semaphore(count: int = 0, limit: int | None = None) -> Semaphore | BoundedSemaphore:
    """A :class:`Semaphore`, or a :class:`BoundedSemaphore` when ``limit`` is given."""
    if limit is None:
        return Semaphore(count)
    return BoundedSemaphore(count, limit)


class metaphore:
    """A counter you can wait to reach zero: ``inc``/``dec`` and ``wait``.

    Example::

        pending = metaphore()
        for job in jobs:
            pending.inc()
            spawn(run_then_dec, job, pending)
        pending.wait()  # returns when every job called pending.dec()
    """

    __slots__ = ("counter", "event")

    def __init__(self) -> None:
        self.counter = 0
        self.event = Event()
        self.event.send()

    def inc(self, by: int = 1) -> None:
        check_count(by, "metaphore.inc() amount", minimum=0)
        if self.counter == 0 and by > 0 and self.event.ready():
            self.event.reset()
        self.counter += by

    def dec(self, by: int = 1) -> None:
        check_count(by, "metaphore.dec() amount", minimum=0)
        self.counter = max(0, self.counter - by)
        if self.counter == 0 and not self.event.ready():
            self.event.send()

    def wait(self) -> Any:
        """Wait until the counter is zero."""
        return self.event.wait()
