"""The Twisted bridge: wait for Deferreds from green threads, run green code for Twisted.

* :func:`block_on` waits for a Deferred from a green thread.
* :func:`deferToGreenThread` runs a function in a new proc and returns a
  Deferred of its outcome (safe to call from Twisted callbacks).
* :func:`callInGreenThread` runs a function in a new green thread.
* ``import eventlib.twistedutil.join_reactor`` selects run mode 1.

Green transports, a Twisted connection used synchronously from a proc, are
exported here too; :mod:`eventlib.twistedutil.protocol` is their classic home
and has the rest of that vocabulary (``GreenInstanceFactory``, ``Protocol``, ...):

* :class:`SpawnFactory` / :class:`SimpleSpawnFactory` serve each incoming
  connection in a proc of its own, handing it a :class:`GreenTransport`.
* :class:`GreenClientCreator` connects and returns a :class:`GreenTransport`
  (or an :class:`UnbufferedTransport`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from greenlet import getcurrent
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from eventlib.hub import BlockingInMainLoopError, Waiter, get_hub
from eventlib.proc import Proc, killall, spawn_greenlet
from eventlib.twistedutil._errors import GreenTransportError, LineTooLongError
from eventlib.twistedutil._factories import GreenClientCreator, SimpleSpawnFactory, SpawnFactory
from eventlib.twistedutil._transport import (
    GreenTransport,
    TransportStatistics,
    UnbufferedTransport,
)

__all__ = [
    "GreenClientCreator",
    "GreenTransport",
    "GreenTransportError",
    "LineTooLongError",
    "SimpleSpawnFactory",
    "SpawnFactory",
    "TransportStatistics",
    "UnbufferedTransport",
    "block_on",
    "callInGreenThread",
    "deferToGreenThread",
]

T = TypeVar("T")


class _BlockOn:
    """The callbacks ``block_on`` adds to a Deferred, and whether its waiter gave up."""

    __slots__ = ("abandoned", "waiter")

    def __init__(self, waiter: Waiter) -> None:
        self.waiter = waiter
        self.abandoned = False

    def on_result(self, value: Any) -> Any:
        self.waiter.switch(value)
        return value  # passed on: a second block_on (or callback) gets it too

    def on_failure(self, failure: Failure) -> Failure | None:
        if self.abandoned:
            return failure  # nobody will raise it here: leave it to the rest of the chain
        self.waiter.throw(*_throw_args(failure))
        return None  # consumed: it is raised in the waiting green thread


def _throw_args(failure: Failure) -> tuple[type[BaseException], BaseException, Any]:
    """greenlet.throw() arguments raising the failure's exception with its original traceback."""
    error = failure.value
    assert error is not None
    traceback: TracebackType | None = failure.tb or error.__traceback__
    if traceback is None and failure.frames:
        # Twisted dropped the traceback object (cleanFailure) but kept its text.
        error.add_note(f"original traceback, kept by Twisted:\n{failure.getTraceback()}")
    return type(error), error, traceback


def block_on(deferred: Deferred[T] | Awaitable[T]) -> T:
    """Wait for ``deferred``; return its result or raise its failure (original traceback).

    ``deferred`` may also be an asyncio coroutine, Task or Future: under
    Twisted's asyncio reactor a green thread can wait for asyncio code this way
    (``block_on(reader.readline())``); it runs as a Task on the reactor's loop.

    An already-fired Deferred answers at once, without switching. The result
    is passed on down the callback chain (another ``block_on`` gets it too);
    a failure is consumed, unless the waiting green thread gave up first
    (killed, timed out): then it stays in the chain for others to handle.

    Example::

        from twisted.internet import threads
        digest = block_on(threads.deferToThread(hash_file, path))  # blocking code in a thread

    Raises:
        BlockingInMainLoopError: the Deferred has not fired and the caller is MAIN_LOOP.
    """
    hub = get_hub()
    if not isinstance(deferred, Deferred):
        deferred = _deferred_from_asyncio(hub, deferred)
    current = getcurrent()
    if not deferred.called and current is hub.greenlet:
        raise BlockingInMainLoopError("block_on() on a Deferred that has not fired")
    waiter = Waiter(hub)
    callbacks = _BlockOn(waiter)
    deferred.addCallbacks(callbacks.on_result, callbacks.on_failure)
    if not waiter.ready and current is hub.greenlet:  # fired, but paused on another Deferred
        raise BlockingInMainLoopError("block_on() on a paused Deferred")
    try:
        return waiter.get()  # type: ignore[no-any-return]
    except BaseException:
        if not waiter.ready:
            callbacks.abandoned = True
        raise


def _deferred_from_asyncio(hub: Any, awaitable: Awaitable[T]) -> Deferred[T]:
    if not (asyncio.iscoroutine(awaitable) or asyncio.isfuture(awaitable)):
        raise TypeError(
            f"block_on() takes a Deferred or an asyncio coroutine/future, got {awaitable!r}"
        )
    loop = getattr(hub.reactor, "_asyncioEventloop", None)
    if loop is None:
        if asyncio.iscoroutine(awaitable):
            awaitable.close()  # never awaited: don't leave a warning behind
        raise TypeError(
            "block_on() of an asyncio coroutine needs Twisted's asyncio reactor "
            "(twisted.internet.asyncioreactor.install() before the reactor is imported)"
        )
    return Deferred.fromFuture(asyncio.ensure_future(awaitable, loop=loop))


def deferToGreenThread(function: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:  # noqa: N802
    """Run ``function(*args, **kwargs)`` in a new proc; return a Deferred of its outcome.

    Safe from Twisted callbacks. The Deferred fires with the return value, or
    errbacks with the exception and its traceback (a killed proc errbacks with
    ProcExit). Cancelling the Deferred kills the proc.
    """
    proc = Proc(name=getattr(function, "__qualname__", None) or repr(function))

    def cancel(_deferred: Deferred[T]) -> None:
        killall([proc])  # never yields: cancel() may be called from anywhere

    deferred: Deferred[T] = Deferred(cancel)

    def run() -> None:
        try:
            result = function(*args, **kwargs)
        except BaseException:
            if not deferred.called:  # else it was cancelled
                deferred.errback(Failure())  # type: ignore[no-untyped-call]
        else:
            if not deferred.called:
                deferred.callback(result)

    proc.run(run)
    return deferred


def callInGreenThread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """Run ``function(*args, **kwargs)`` in a new green thread (classic: a raw greenlet)."""
    return spawn_greenlet(functools.partial(function, **kwargs), *args)
