"""The Twisted bridge: wait for Deferreds from green threads, run green code for Twisted.

* :func:`block_on` waits for a Deferred from a green thread.
* :func:`deferToGreenThread` runs a function in a new proc and returns a
  Deferred of its outcome (safe to call from Twisted callbacks).
* :func:`callInGreenThread` runs a function in a new green thread.
* ``import eventlib.twistedutil.join_reactor`` selects run mode 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import getcurrent
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from eventlib.hub import BlockingInMainLoopError, Waiter, get_hub
from eventlib.proc import spawn, spawn_greenlet

__all__ = ["block_on", "callInGreenThread", "deferToGreenThread"]

T = TypeVar("T")


def block_on(deferred: Deferred[T]) -> T:
    """Wait for ``deferred``; return its result or raise its failure (original traceback).

    An already-fired Deferred answers at once, without switching. The result
    is passed on down the callback chain (another ``block_on`` gets it too);
    a failure is consumed.

    Raises:
        BlockingInMainLoopError: the Deferred has not fired and the caller is MAIN_LOOP.
    """
    hub = get_hub()
    if not deferred.called and getcurrent() is hub.greenlet:
        raise BlockingInMainLoopError("block_on()")
    waiter = Waiter(hub)

    def on_result(value: T) -> T:
        waiter.switch(value)
        return value

    def on_failure(failure: Failure) -> None:
        waiter.throw(failure.type, failure.value, failure.getTracebackObject())  # type: ignore[no-untyped-call]

    deferred.addCallbacks(on_result, on_failure)
    if not waiter.ready and getcurrent() is hub.greenlet:
        raise BlockingInMainLoopError("block_on()")  # paused by another Deferred
    return waiter.get()  # type: ignore[no-any-return]


def deferToGreenThread(function: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:  # noqa: N802
    """Run ``function(*args, **kwargs)`` in a new proc; return a Deferred of its outcome.

    Safe from Twisted callbacks. The Deferred fires with the return value, or
    errbacks with the exception (a killed proc errbacks with ProcExit).
    """
    deferred: Deferred[T] = Deferred()

    def run() -> None:
        try:
            result = function(*args, **kwargs)
        except BaseException:
            deferred.errback(Failure())  # type: ignore[no-untyped-call]
        else:
            deferred.callback(result)

    spawn(run)
    return deferred


def callInGreenThread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """Run ``function(*args, **kwargs)`` in a new green thread (classic: a raw greenlet)."""
    return spawn_greenlet(functools.partial(function, **kwargs), *args)
