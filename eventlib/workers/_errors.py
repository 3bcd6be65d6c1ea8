"""The worker layer's errors: one base class, each carrying the worker it is about."""

from __future__ import annotations

import signal

__all__ = [
    "NotAWorker",
    "WorkerError",
    "WorkerExited",
    "WorkerStartError",
    "WorkerUnresponsive",
    "describe_status",
]


def describe_status(returncode: int) -> str:
    """``"exit status 3"`` or ``"signal SIGKILL"`` for a Popen return code."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


class WorkerError(Exception):
    """Base class of the worker layer's errors."""


class WorkerExited(WorkerError):
    """A worker process ended with a non-zero status or a signal (its exit reason: error).

    Attributes:
        index: the worker's slot in its pool.
        pid: the process id it had.
        returncode: Popen's return code (negative: the signal that ended it).
    """

    def __init__(self, index: int, pid: int, returncode: int) -> None:
        self.index = index
        self.pid = pid
        self.returncode = returncode
        super().__init__(f"worker {index} (pid {pid}) exited with {describe_status(returncode)}")


class WorkerUnresponsive(WorkerError):
    """A worker stopped answering its heartbeat and was killed (its exit reason: error)."""

    def __init__(self, index: int, pid: int, silent_for: float) -> None:
        self.index = index
        self.pid = pid
        self.silent_for = silent_for
        super().__init__(
            f"worker {index} (pid {pid}) did not answer its heartbeat for {silent_for:.1f} s;"
            " it was killed with SIGKILL"
        )


class WorkerStartError(WorkerError):
    """A worker process did not report ready (it exited, or ``start_timeout`` passed)."""

    def __init__(self, index: int, pid: int, reason: str) -> None:
        self.index = index
        self.pid = pid
        self.reason = reason
        super().__init__(f"worker {index} (pid {pid}) failed to start: {reason}")


class NotAWorker(WorkerError, RuntimeError):
    """Worker-side API used in a process a WorkerPool did not start."""
