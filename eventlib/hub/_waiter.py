"""Waiter: the one way a green thread parks and is woken.

A blocking operation creates a Waiter, publishes it where the waker will find
it (an event's waiter list, a queue's getters, a reactor descriptor) and calls
:meth:`Waiter.get`, which switches to MAIN_LOOP. The waker calls
:meth:`Waiter.switch` or :meth:`Waiter.throw` from anywhere: the result is
stored at once and delivered from MAIN_LOOP on the next hub turn, so the
waker is never unscheduled. (When the waker then parks itself and that
delivery is MAIN_LOOP's next job, the waker does the job on its way out: a
hand-off, same order, two switches fewer.) If the parked greenlet was
resumed by something else first (a kill, a timeout), the delivery is dropped
and the owner of the Waiter can see that a result arrived but was never taken
(:attr:`Waiter.unclaimed`) and hand it to someone else, so nothing is lost.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812 - the class, named as greenlet's docs do

from eventlib.hub._errors import BlockingInMainLoopError, HubError

if TYPE_CHECKING:
    from collections import deque

    from eventlib.hub._hub import Hub

__all__ = ["ThrowArgs", "Waiter"]

ThrowArgs = tuple[Any, ...]

# Waiter states.
_EMPTY = 0  # nothing arrived yet
_ARRIVED = 1  # a result arrived and is waiting to be delivered or taken
_TAKEN = 2  # the result was handed to the waiting greenlet


class Waiter:
    """A one-shot slot a single greenlet waits on.

    Example::

        waiter = Waiter(hub)
        hub.schedule_call_global(1.0, waiter.switch, "done")
        assert waiter.get() == "done"
    """

    __slots__ = ("_exc", "_state", "_value", "greenlet", "hub")

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.greenlet: Greenlet | None = None
        self._state = _EMPTY
        self._value: Any = None
        self._exc: ThrowArgs | None = None

    @property
    def ready(self) -> bool:
        """True once a result arrived (taken or not)."""
        return self._state != _EMPTY

    @property
    def unclaimed(self) -> bool:
        """True if a result arrived but the waiting greenlet never took it."""
        return self._state == _ARRIVED

    @property
    def value(self) -> Any:
        """The value that arrived (None for an exception or nothing yet)."""
        return self._value

    def switch(self, value: Any = None) -> bool:
        """Resolve with ``value``; safe from anywhere. False if already resolved."""
        if self._state != _EMPTY:
            return False
        self._value = value
        self._state = _ARRIVED
        if self.greenlet is not None:
            hub = self.hub  # hub.schedule_soon(_deliver, self), inlined: the hot path
            hub._ready.append((_deliver, (self,)))
            if not hub._armed:
                hub._arm()
        return True

    def throw(self, *throw_args: Any) -> bool:
        """Resolve with an exception (greenlet.throw arguments); safe from anywhere."""
        if self._state != _EMPTY:
            return False
        self._exc = throw_args or (BaseException,)
        self._state = _ARRIVED
        if self.greenlet is not None:
            hub = self.hub  # hub.schedule_soon(_deliver, self), inlined: the hot path
            hub._ready.append((_deliver, (self,)))
            if not hub._armed:
                hub._arm()
        return True

    def switch_now(self, value: Any = None) -> None:
        """Resolve with ``value`` and resume the waiter at once. MAIN_LOOP only.

        Used by timer and reactor callbacks, which already run in MAIN_LOOP,
        to save a trip through the ready queue.
        """
        if self._state != _EMPTY:
            return
        self._value = value
        self._state = _ARRIVED
        if self.greenlet is not None:
            self._deliver()

    def throw_now(self, *throw_args: Any) -> None:
        """Resolve with an exception and resume the waiter at once. MAIN_LOOP only."""
        if self._state != _EMPTY:
            return
        self._exc = throw_args or (BaseException,)
        self._state = _ARRIVED
        if self.greenlet is not None:
            self._deliver()

    def _deliver(self) -> None:
        g = self.greenlet
        if g is None or self._state != _ARRIVED:
            return  # the waiter left (killed, timed out) or already took it
        self._state = _TAKEN
        exc = self._exc
        if exc is None:
            g.switch(self._value)
        else:
            g.throw(*exc)

    def take(self) -> Any:
        """Take an arrived result without waiting (raise it if it is an exception)."""
        self._state = _TAKEN
        exc = self._exc
        if exc is not None:
            raise_throw_args(exc)
        return self._value

    def get(self) -> Any:
        """Wait for the result; return the value or raise the exception.

        Raises:
            BlockingInMainLoopError: called from MAIN_LOOP.
        """
        state = self._state
        if state != _EMPTY:
            if state == _ARRIVED:
                return self.take()
            raise HubError("a Waiter's result can be taken once")
        hub = self.hub
        current = getcurrent()
        loop = hub.greenlet
        if current is loop:
            raise BlockingInMainLoopError
        self.greenlet = current
        try:
            parent = current.parent
            if (parent is loop or parent is None) and not loop.dead:
                # Hub.switch() when there is nothing to fix up first; or, when MAIN_LOOP's
                # next job is to wake another waiter, do that job from here.
                ready = hub._ready
                if ready and ready[0][0] is _deliver and hub._handoffs < HANDOFF_LIMIT:
                    _hand_off(hub, loop, ready)
                else:
                    loop.switch()
            else:
                hub.switch()
        finally:
            self.greenlet = None
        if self._state != _TAKEN:
            raise HubError(
                "a waiting greenlet was resumed by a raw greenlet.switch(); wake green "
                "threads through their Waiter, an event or a queue"
            )
        exc = self._exc
        if exc is not None:  # delivered by throw: already raised inside hub.switch()
            raise_throw_args(exc)
        return self._value


# Waiter.switch/throw queue this for MAIN_LOOP, with the waiter as its argument.
_deliver = Waiter._deliver

# At most this many hand-offs in a row before MAIN_LOOP runs again (see _hand_off).
HANDOFF_LIMIT = 64


def _hand_off(hub: Hub, loop: Greenlet, ready: deque[tuple[Any, Any]]) -> None:
    """Park the current greenlet by waking the next waiter in the ready queue directly.

    The job at the head of the ready queue is a waiter's delivery: MAIN_LOOP
    would take it next and switch to that waiter's greenlet. Doing it here
    saves two switches (to MAIN_LOOP and out of it) and gives the same order.
    MAIN_LOOP counts the hand-offs as jobs it ran, so its budget for polling
    I/O holds, and runs itself after ``HANDOFF_LIMIT`` of them in a row.
    """
    other: Waiter = ready.popleft()[1][0]
    hub._handoffs += 1
    # other._deliver(), inlined: a call more costs 2-3% of an Actor.call or a ping-pong.
    g = other.greenlet
    if g is None or other._state != _ARRIVED:
        loop.switch()  # MAIN_LOOP would have dropped this delivery: so does a hand-off
        return
    other._state = _TAKEN
    exc = other._exc
    if exc is None:
        g.switch(other._value)
    else:
        g.throw(*exc)


def exception_from_throw_args(throw_args: ThrowArgs) -> BaseException:
    """Build the exception instance that ``greenlet.throw(*throw_args)`` would raise."""
    typ = throw_args[0]
    value = throw_args[1] if len(throw_args) > 1 else None
    if isinstance(typ, BaseException):
        return typ
    if isinstance(value, typ):
        return value  # type: ignore[no-any-return]
    if value is None:
        return typ()  # type: ignore[no-any-return]
    if isinstance(value, tuple):
        return typ(*value)  # type: ignore[no-any-return]
    return typ(value)  # type: ignore[no-any-return]


def raise_throw_args(throw_args: ThrowArgs) -> None:
    """Raise like ``greenlet.throw(*throw_args)`` would, in the current greenlet."""
    exc = exception_from_throw_args(throw_args)
    tb: TracebackType | None = throw_args[2] if len(throw_args) > 2 else None
    if tb is not None:
        raise exc.with_traceback(tb)
    raise exc
