"""Module-level blocking calls of the hub layer: sleep, trampoline, timers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventlib.hub._checks import check_duration, check_timeout
from eventlib.hub._errors import TimeoutError
from eventlib.hub._hub import check_not_main_loop
from eventlib.hub._state import get_hub
from eventlib.hub._waiter import Waiter

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventlib.hub._timer import Timer

__all__ = [
    "get_fileno",
    "schedule_call_global",
    "schedule_call_local",
    "sleep",
    "trampoline",
]


def sleep(seconds: float = 0) -> None:
    """Park the current green thread for ``seconds``; ``sleep(0)`` yields one turn.

    Raises:
        BlockingInMainLoopError: called from MAIN_LOOP.
        TypeError: ``seconds`` is not a number (a str, a bool...).
        ValueError: ``seconds`` is negative or NaN.
    """
    check_duration(seconds, "sleep() seconds")
    hub = get_hub()
    check_not_main_loop(hub, "sleep()")
    waiter = Waiter(hub)
    if seconds == 0:
        hub.schedule_soon(waiter.switch_now)
        waiter.get()
        return
    timer = hub.schedule_call_global(seconds, waiter.switch_now)
    try:
        waiter.get()
    finally:
        timer.cancel()


def schedule_call_global(
    seconds: float, function: Callable[..., Any], *args: Any, **kw: Any
) -> Timer:
    """Call ``function`` from MAIN_LOOP after ``seconds`` (see ``Hub.schedule_call_global``)."""
    return get_hub().schedule_call_global(seconds, function, *args, **kw)


def schedule_call_local(
    seconds: float, function: Callable[..., Any], *args: Any, **kw: Any
) -> Timer:
    """Like :func:`schedule_call_global`, skipped once the calling greenlet has died."""
    return get_hub().schedule_call_local(seconds, function, *args, **kw)


def get_fileno(obj: Any) -> int:
    """The file descriptor number of ``obj`` (an int or anything with ``fileno()``)."""
    if isinstance(obj, int):
        fileno = obj
    else:
        method = getattr(obj, "fileno", None)
        if method is None:
            raise TypeError(f"expected a file descriptor or an object with fileno(), got {obj!r}")
        fileno = method()
        if not isinstance(fileno, int):
            raise TypeError(f"{obj!r}.fileno() returned {fileno!r}, not an int")
    if fileno < 0:
        raise ValueError(f"file descriptor cannot be negative: {fileno}")
    return fileno


def trampoline(
    fd: Any,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
    timeout_exc: Any = None,
) -> int:
    """Park until ``fd`` is readable (``read``) or writable (``write``).

    Args:
        fd: a file descriptor number or an object with ``fileno()``.
        read: wait for readability.
        write: wait for writability (with ``read``, whichever comes first).
        timeout: give up after this many seconds.
        timeout_exc: what to raise on timeout: an exception class or instance;
            ``eventlib.TimeoutError`` by default.

    Returns:
        the file descriptor number.

    Raises:
        BlockingInMainLoopError: called from MAIN_LOOP.
        OSError: the descriptor was closed or failed while waiting
            (``errno.EPIPE`` unless the reactor said more).
        RuntimeError: another green thread already waits on the same
            descriptor in the same direction.
    """
    if not (read or write):
        raise ValueError("trampoline() needs read=True, write=True or both")
    check_timeout(timeout, "trampoline() timeout")
    fileno = get_fileno(fd)
    hub = get_hub()
    check_not_main_loop(hub, "trampoline()")
    waiter = Waiter(hub)
    hub.wait_fd(fileno, read=read, write=write, waiter=waiter)
    timer = None
    if timeout is not None:
        if timeout_exc is None:
            timeout_exc = TimeoutError("timed out waiting for file descriptor")
        timer = hub.schedule_call_global(timeout, waiter.throw_now, timeout_exc)
    try:
        return waiter.get()  # type: ignore[no-any-return]
    finally:
        hub.unwait_fd(fileno, waiter)
        if timer is not None:
            timer.cancel()
