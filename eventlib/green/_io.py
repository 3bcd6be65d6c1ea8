"""Shared pieces of the green modules: descriptor waits with deadlines, stdlib errors."""

from __future__ import annotations

import errno
import os

from greenlet import getcurrent

from eventlib.hub import Waiter, check_not_main_loop, get_hub, peek_hub

__all__ = ["closed_error", "deadline_after", "notify_closed", "release_fd", "wait_fd"]


def closed_error() -> OSError:
    """The error the stdlib gives for I/O on a closed descriptor (EBADF)."""
    return OSError(errno.EBADF, os.strerror(errno.EBADF))


def notify_closed(fileno: int) -> None:
    """Wake the green threads waiting on ``fileno`` with EBADF before it is closed."""
    if fileno < 0:
        return
    hub = peek_hub()
    if hub is not None:
        hub.notify_fd_closed(fileno, closed_error())


def release_fd(fileno: int) -> None:
    """Drop the reactor registration kept for ``fileno`` (before it is given away or closed)."""
    if fileno < 0:
        return
    hub = peek_hub()
    if hub is not None:
        hub.release_fd(fileno)


def deadline_after(timeout: float | None) -> float | None:
    """The hub-clock time ``timeout`` seconds from now (None: no deadline)."""
    if timeout is None:
        return None
    return get_hub().clock() + timeout


def wait_fd(
    fileno: int,
    *,
    read: bool,
    deadline: float | None,
    timeout_exc: BaseException | None = None,
    keep: bool = False,
) -> None:
    """Park until ``fileno`` is readable (``read``) or writable, or ``deadline`` passes.

    Like :func:`eventlib.hub.trampoline`, with a deadline on the hub's clock,
    and a hang-up or error that the reactor sees on the descriptor (a refused
    connect, a reset peer) counts as ready: the caller's next system call
    reports the real error, as it would with the stdlib. With ``keep``, a read
    registration stays with the reactor after the wait (see ``Hub.wait_fd``).

    Raises:
        TimeoutError: the deadline passed: ``timeout_exc``, by default the
            builtin ``TimeoutError("timed out")`` that the stdlib raises (``socket.timeout``).
        OSError: the descriptor was closed while waiting (EBADF).
        BlockingInMainLoopError: called from MAIN_LOOP.
    """
    hub = get_hub()
    if getcurrent() is hub.greenlet:
        check_not_main_loop(hub, "a green I/O call that has to wait")  # raises
    remaining = 0.0
    if deadline is not None:
        if timeout_exc is None:
            timeout_exc = TimeoutError("timed out")
        remaining = deadline - hub.clock()
        if remaining <= 0:
            raise timeout_exc
    waiter = Waiter(hub)
    hub.wait_fd(fileno, read=read, write=not read, waiter=waiter, keep=keep)
    timer = None
    try:
        if deadline is not None:
            timer = hub.schedule_call_global(remaining, waiter.throw_now, timeout_exc)
        waiter.get()
    finally:
        hub.unwait_fd(fileno, waiter)
        if timer is not None:
            timer.cancel()
