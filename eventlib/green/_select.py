"""select() over green descriptor waits."""

from __future__ import annotations

import select as _stdlib_select
from collections.abc import Iterable
from typing import Any

from eventlib.hub import Waiter, check_not_main_loop, get_fileno, get_hub

__all__ = ["select"]

_std_select = _stdlib_select.select


def select(
    rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any], timeout: float | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """``select.select`` that parks the green thread until a descriptor is ready.

    Returns every ready object, as the stdlib does (the classic
    ``eventlib.api.select`` returned only the first event). Readiness is
    checked with a zero-timeout stdlib ``select``, so the arguments are
    validated and the results built exactly as the stdlib does. The
    descriptors of ``xlist`` (exceptional conditions) are checked but not
    waited on: the reactor has no such event; they are reported whenever
    another descriptor wakes the call, or at the timeout.

    Raises:
        BlockingInMainLoopError: nothing is ready, ``timeout`` is not 0, and
            the caller is MAIN_LOOP.
        RuntimeError: another green thread already waits on one of the
            descriptors in the same direction (a green socket's ``recv``, say).
    """
    if timeout is not None:
        timeout = _check_timeout(timeout)
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    ready = _std_select(rlist, wlist, xlist, 0)  # validates the lists, as the stdlib does
    if ready[0] or ready[1] or ready[2] or timeout == 0:
        return ready
    hub = get_hub()
    check_not_main_loop(hub, "select()")
    deadline = None if timeout is None else hub.clock() + timeout
    reads = {get_fileno(obj) for obj in rlist}
    writes = {get_fileno(obj) for obj in wlist}
    while True:
        remaining = None if deadline is None else deadline - hub.clock()
        if remaining is not None and remaining <= 0:
            return _std_select(rlist, wlist, xlist, 0)
        _wait_any(hub, reads, writes, remaining)
        ready = _std_select(rlist, wlist, xlist, 0)
        if ready[0] or ready[1] or ready[2]:
            return ready


def _check_timeout(timeout: Any) -> float:
    """The timeout as a float, rejected with the stdlib's errors."""
    if not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a float or None")
    if timeout != timeout:  # noqa: PLR0124 - NaN
        raise ValueError("Invalid value NaN (not a number)")
    if timeout < 0:
        raise ValueError("timeout must be non-negative")
    return float(timeout)


def _wait_any(hub: Any, reads: set[int], writes: set[int], timeout: float | None) -> None:
    """Park until one of the descriptors is ready (or ``timeout`` passes)."""
    waiter = Waiter(hub)
    registered: list[int] = []
    timer = None
    try:
        for fileno in reads | writes:
            hub.wait_fd(fileno, read=fileno in reads, write=fileno in writes, waiter=waiter)
            registered.append(fileno)
        if timeout is not None:
            timer = hub.schedule_call_global(timeout, waiter.switch_now, None)
        waiter.get()
    finally:
        for fileno in registered:
            hub.unwait_fd(fileno, waiter)
        if timer is not None:
            timer.cancel()
