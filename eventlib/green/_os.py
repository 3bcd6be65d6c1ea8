"""Green ``os`` calls: read/write on pipes and waiting for child processes.

``read``/``write`` on a non-blocking descriptor wait for it on EAGAIN. On a
blocking descriptor they first wait until it is ready (a zero-timeout
``poll`` says so; regular files always are), so a pipe read never blocks the
reactor; a large write to a blocking pipe may still block once the pipe is
ready, which :func:`green_pipe` files avoid by being non-blocking.

``waitpid(pid, 0)`` waits for a pidfd (Linux >= 5.3) to become readable;
elsewhere (and for ``pid <= 0`` or other options) it polls with ``WNOHANG``
and growing green sleeps (1 ms to 50 ms).
"""

from __future__ import annotations

import errno
import io
import os as _stdlib_os
import select as _stdlib_select
from typing import Any

from eventlib.green._io import deadline_after, notify_closed, wait_fd
from eventlib.hub import sleep

__all__ = ["GreenFileIO", "green_pipe", "read", "wait", "wait_for_exit", "waitpid", "write"]

_std_read = _stdlib_os.read
_std_write = _stdlib_os.write
_std_waitpid = _stdlib_os.waitpid
_POLL_FIRST = 0.001
_POLL_MAX = 0.05


def _ready(fd: int, read: bool) -> bool:
    poller = _stdlib_select.poll()
    poller.register(fd, _stdlib_select.POLLIN if read else _stdlib_select.POLLOUT)
    return bool(poller.poll(0))


def read(fd: int, n: int) -> bytes:
    """``os.read`` that parks the green thread until ``fd`` has data (or EOF)."""
    if not isinstance(n, int) or n <= 0:
        return _std_read(fd, n)  # nothing to wait for: the stdlib's answer or error at once
    if _stdlib_os.get_blocking(fd):
        if not _ready(fd, read=True):
            wait_fd(fd, read=True, deadline=None)
        return _std_read(fd, n)
    while True:
        try:
            return _std_read(fd, n)
        except BlockingIOError:
            wait_fd(fd, read=True, deadline=None)


def write(fd: int, data: Any) -> int:
    """``os.write`` that parks the green thread until ``fd`` can take data."""
    if _stdlib_os.get_blocking(fd):
        if not _ready(fd, read=False):
            wait_fd(fd, read=False, deadline=None)
        return _std_write(fd, data)
    while True:
        try:
            return _std_write(fd, data)
        except BlockingIOError:
            wait_fd(fd, read=False, deadline=None)


def waitpid(pid: int, options: int) -> tuple[int, int]:
    """``os.waitpid`` that parks the green thread instead of blocking the reactor."""
    result = _std_waitpid(pid, options | _stdlib_os.WNOHANG)  # also: is it our child?
    if options & _stdlib_os.WNOHANG or result != (0, 0):
        return result
    if pid > 0 and options == 0 and wait_for_exit(pid, None):
        return _std_waitpid(pid, options)
    delay = _POLL_FIRST
    while True:
        result = _std_waitpid(pid, options | _stdlib_os.WNOHANG)
        if result != (0, 0):
            return result
        sleep(delay)
        delay = min(delay * 2, _POLL_MAX)


def wait() -> tuple[int, int]:
    """``os.wait`` (any child) that parks the green thread."""
    return waitpid(-1, 0)


def wait_for_exit(
    pid: int, timeout: float | None, timeout_exc: BaseException | None = None
) -> bool:
    """Park until process ``pid`` exits, through a pidfd; False if pidfds are unavailable.

    The child is not reaped. Raises ``timeout_exc`` (TimeoutError by default)
    if ``timeout`` passes first.
    """
    pidfd_open = getattr(_stdlib_os, "pidfd_open", None)
    if pidfd_open is None:
        return False
    try:
        pidfd = pidfd_open(pid)
    except OSError:
        return False  # no such process, or no pidfd support: let waitpid tell
    try:
        wait_fd(pidfd, read=True, deadline=deadline_after(timeout), timeout_exc=timeout_exc)
    finally:
        notify_closed(pidfd)
        _stdlib_os.close(pidfd)
    return True


class GreenFileIO(io.RawIOBase):
    """A raw file on a non-blocking descriptor whose reads and writes park the green thread.

    Wrap it in ``io.BufferedReader``/``BufferedWriter``/``TextIOWrapper`` as
    usual (:func:`green_pipe` does). Owns the descriptor: ``close()`` closes
    it, waking any green thread waiting on it with EBADF.
    """

    def __init__(self, fd: int, mode: str = "r") -> None:
        super().__init__()
        self._fd = fd
        self._mode = mode
        _stdlib_os.set_blocking(fd, False)

    @property
    def mode(self) -> str:
        return self._mode + "b"

    def fileno(self) -> int:
        if self._fd < 0:
            raise ValueError("I/O operation on closed file")
        return self._fd

    def readable(self) -> bool:
        return "r" in self._mode

    def writable(self) -> bool:
        return "w" in self._mode

    def readinto(self, buffer: Any) -> int:
        fd = self.fileno()
        if not self.readable():
            raise io.UnsupportedOperation("File not open for reading")
        while True:
            try:
                return _stdlib_os.readv(fd, [buffer])
            except BlockingIOError:
                wait_fd(fd, read=True, deadline=None)

    def write(self, data: Any) -> int:
        fd = self.fileno()
        if not self.writable():
            raise io.UnsupportedOperation("File not open for writing")
        while True:
            try:
                return _std_write(fd, data)
            except BlockingIOError:
                wait_fd(fd, read=False, deadline=None)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            notify_closed(fd)
            try:
                _stdlib_os.close(fd)
            except OSError as exc:
                if exc.errno != errno.EBADF:
                    raise
        super().close()


def green_pipe(
    fd: int,
    mode: str = "r",
    buffering: int = -1,
    *,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> Any:
    """A file object on ``fd`` (a pipe, a socket, a tty) with green reads and writes.

    ``mode`` is ``"r"``/``"w"`` with an optional ``"b"``, as for ``open()``;
    ``buffering=0`` (binary only) gives the raw :class:`GreenFileIO`.
    """
    binary = "b" in mode
    raw = GreenFileIO(fd, "w" if "w" in mode else "r")
    if buffering == 0:
        if not binary:
            raise ValueError("can't have unbuffered text I/O")
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 1) else buffering
    buffered: Any = io.BufferedWriter(raw, size) if raw.writable() else io.BufferedReader(raw, size)
    if binary:
        return buffered
    return io.TextIOWrapper(
        buffered,
        encoding=encoding or "utf-8",
        errors=errors,
        newline=newline,
        line_buffering=buffering == 1,
        write_through=raw.writable(),
    )
