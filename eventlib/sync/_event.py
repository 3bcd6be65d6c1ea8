"""Event: a one-shot, resettable result that many green threads can wait for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Any

import attrs
from greenlet import getcurrent

from eventlib.hub import (
    BlockingInMainLoopError,
    TimeoutError,
    Waiter,
    check_timeout,
    exception_from_throw_args,
    get_hub,
    raise_throw_args,
)
from eventlib.hub._timer import NO_KWARGS
from eventlib.hub._waiter import ThrowArgs
from eventlib.sync._timeout import Timeout

__all__ = ["NOT_USED", "Event", "EventStatistics", "wait_with_timeout"]


class _NotUsed:
    def __repr__(self) -> str:
        return "NOT_USED"


NOT_USED: Any = _NotUsed()


@attrs.frozen
class EventStatistics:
    """A snapshot of an :class:`Event`."""

    ready: bool
    waiters: int


def wait_with_timeout(waiter: Waiter, timeout: float | None, throw_args: tuple[Any, ...]) -> Any:
    """``waiter.get()`` bounded by ``timeout``, with the classic ``*throw_args`` rules.

    No ``throw_args``: raise :class:`TimeoutError`. ``(None,)``: return None.
    Anything else: raise that (class, instance or ``(type, value, tb)``).
    """
    if timeout is None:
        return waiter.get()
    if not throw_args:
        # The usual case, without the cost of a Timeout object: a timer local to
        # this green thread throws TimeoutError into it.
        # hub.schedule_call_local(timeout, _time_out, current, timeout), without its packing.
        current = getcurrent()
        timer = waiter.hub._schedule(timeout, _time_out, (current, timeout), NO_KWARGS, current)
        try:
            return waiter.get()
        finally:
            timer.cancel()
    silent = throw_args == (None,)
    if silent:
        exception: Any = False
    elif throw_args:
        exception = exception_from_throw_args(throw_args)
    else:
        exception = None
    with Timeout(timeout, exception):
        return waiter.get()
    return None  # the silent timeout fired and its with block swallowed it


def _time_out(greenlet: Any, seconds: float) -> None:
    greenlet.throw(TimeoutError(f"timed out after {seconds} seconds"))


def timeout_now(throw_args: tuple[Any, ...]) -> Any:
    """What a zero timeout does at once: return None, or raise the timeout error."""
    if throw_args == (None,):
        return None
    if throw_args:
        raise_throw_args(throw_args)
    raise TimeoutError("timed out: the result is not ready (timeout=0)")


class Event:
    """A result (value or exception) sent once and waited for by any number of green threads.

    ``send`` never blocks and never switches: waiters present at send time are
    woken on the next hub turn. After ``reset()`` the event can be sent again.
    This is also the classic ``eventlib.coros.event``.

    Example::

        done = Event()
        spawn(lambda: done.send("hello"))
        assert done.wait() == "hello"
    """

    __slots__ = ("_exc", "_result", "_waiters", "epoch")

    def __init__(self) -> None:
        self._result: Any = NOT_USED
        self._exc: ThrowArgs | None = None
        self._waiters: list[Waiter | _FutureWaiter] = []
        self.epoch = time.time()

    def ready(self) -> bool:
        """True once sent (until reset)."""
        return self._result is not NOT_USED

    def has_exception(self) -> bool:
        return self._result is not NOT_USED and self._exc is not None

    def has_result(self) -> bool:
        return self._result is not NOT_USED and self._exc is None

    def reset(self) -> None:
        """Make a sent event fresh again.

        Raises:
            AssertionError: the event was not sent.
        """
        if self._result is NOT_USED:
            raise AssertionError("Trying to re-reset() a fresh event.")
        self._result = NOT_USED
        self._exc = None
        self.epoch = time.time()

    def send(self, result: Any = None, exc: Any = None) -> None:
        """Fire the event with ``result``, or with ``exc`` (greenlet.throw arguments).

        Safe from anywhere; never switches.

        Raises:
            AssertionError: the event was already sent (and not reset).
        """
        if self._result is not NOT_USED:
            raise AssertionError("Trying to re-send() an already-triggered event.")
        self._result = result
        if exc is not None and not isinstance(exc, tuple):
            exc = (exc,)
        self._exc = exc
        waiters = self._waiters
        if waiters:
            self._waiters = []
            outcome = (result, exc)  # what waiters get even if the event is reset meanwhile
            for waiter in waiters:
                waiter.switch(outcome)

    def send_exception(self, *throw_args: Any) -> None:
        """Fire the event with an exception: ``send_exception(ValueError("x"))``."""
        if not throw_args:
            raise TypeError("send_exception() needs an exception (class, instance or exc_info)")
        self.send(None, throw_args)

    def wait(self, timeout: float | None = None, *throw_args: Any) -> Any:
        """Wait until sent; return the result or raise the exception (every time).

        Args:
            timeout: give up after this many seconds; 0 polls without blocking.
            throw_args: on timeout, raise these instead of :class:`TimeoutError`
                (``None`` alone: return None).

        Raises:
            BlockingInMainLoopError: the event is not ready and the caller is MAIN_LOOP.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        if timeout is not None:
            check_timeout(timeout, "Event.wait() timeout")
        if self._result is NOT_USED:
            if timeout == 0:
                return timeout_now(throw_args)
            hub = get_hub()
            if getcurrent() is hub.greenlet:
                raise BlockingInMainLoopError("Event.wait()")
            waiter = Waiter(hub)
            self._waiters.append(waiter)
            try:
                outcome = wait_with_timeout(waiter, timeout, throw_args)
            except BaseException:
                if not waiter.ready:
                    self._remove_waiter(waiter)
                raise
            if outcome is None:  # a silent timeout
                if not waiter.ready:
                    self._remove_waiter(waiter)
                return None
            result, exc = outcome
        else:
            result, exc = self._result, self._exc
        if exc is not None:
            raise_throw_args(exc)
        return result

    def _remove_waiter(self, waiter: Waiter | _FutureWaiter) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            pass

    def poll(self, notready: Any = None) -> Any:
        """The result if sent (raising a sent exception), else ``notready``."""
        if self._result is NOT_USED:
            return notready
        return self.wait()

    def poll_exception(self, notready: Any = None) -> Any:
        """The sent exception's throw arguments, else ``notready``."""
        if self.has_exception():
            return self._exc
        return notready

    def poll_result(self, notready: Any = None) -> Any:
        """The sent value (not an exception), else ``notready``."""
        if self.has_result():
            return self._result
        return notready

    def statistics(self) -> EventStatistics:
        return EventStatistics(ready=self.ready(), waiters=len(self._waiters))

    def __await__(self) -> Generator[Any, None, Any]:
        """``await event`` in an asyncio coroutine (under Twisted's asyncio reactor).

        The coroutine gets what :meth:`wait` would return (or raise), without
        blocking the loop.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._result is not NOT_USED:
            _settle(future, self._result, self._exc)
            return future.__await__()
        entry = _FutureWaiter(future)
        self._waiters.append(entry)
        future.add_done_callback(lambda _future: self._remove_waiter(entry))
        return future.__await__()

    def __repr__(self) -> str:
        state = "ready" if self.ready() else f"waiting({len(self._waiters)})"
        return f"<{type(self).__name__} {state} at {id(self):#x}>"


def _settle(future: asyncio.Future[Any], result: Any, exc: Any) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exception_from_throw_args(exc))


class _FutureWaiter:
    """Sits in an Event's waiter list for a coroutine: send() settles its future.

    Settling a future never switches (the coroutine resumes on a later loop
    iteration), so ``send`` still never unschedules its caller.
    """

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future

    def switch(self, outcome: tuple[Any, Any]) -> bool:
        _settle(self.future, *outcome)
        return True
