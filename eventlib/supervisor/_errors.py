"""Exceptions of the supervisor layer; each carries what the caller needs to act on it."""

from __future__ import annotations

from typing import Any

from eventlib.proc import ProcExit

__all__ = [
    "AlreadyPresent",
    "AlreadyStarted",
    "ChildNotFound",
    "ChildRestarting",
    "ChildRunning",
    "InvalidChildSpec",
    "InvalidSupervisorFlags",
    "Killed",
    "RestartIntensityExceeded",
    "Shutdown",
    "StartChildError",
    "SupervisorError",
    "SupervisorNotRunning",
    "SupervisorStartError",
]


class SupervisorError(Exception):
    """Base class of the supervisor layer's errors."""


class Shutdown(ProcExit):
    """Thrown into a child by its supervisor to stop it (OTP exit reason ``shutdown``).

    A child may also raise it to end with reason shutdown; ``reason`` is the
    optional term of OTP's ``{shutdown, Term}``.
    """

    def __init__(self, reason: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason


class Killed(ProcExit):
    """Thrown into a child to kill it without a grace period (OTP ``brutal_kill``)."""


class RestartIntensityExceeded(Shutdown, SupervisorError):
    """A supervisor gave up: more than ``max_restarts`` restarts in ``max_seconds``.

    The supervisor terminated its children and exited with this exception;
    as in OTP its exit reason is *shutdown*, which is what its own supervisor
    applies the restart rules to.
    """

    def __init__(
        self, supervisor: str, child_id: Any, max_restarts: int, max_seconds: float
    ) -> None:
        super().__init__("reached_max_restart_intensity")
        self.supervisor = supervisor
        self.child_id = child_id
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds

    def __str__(self) -> str:
        return (
            f"supervisor {self.supervisor!r} reached its restart intensity "
            f"(more than {self.max_restarts} restarts in {self.max_seconds} s; last child "
            f"{self.child_id!r}) and shut down"
        )


class InvalidChildSpec(SupervisorError, ValueError):
    """A child spec is malformed; ``reason`` names the rule (OTP's error atom)."""

    def __init__(self, reason: str, detail: Any = None) -> None:
        super().__init__(
            f"invalid child spec: {reason}" + ("" if detail is None else f" ({detail!r})")
        )
        self.reason = reason
        self.detail = detail


class InvalidSupervisorFlags(SupervisorError, ValueError):
    """Supervisor flags are malformed (strategy, intensity, period, auto_shutdown)."""

    def __init__(self, reason: str, value: Any) -> None:
        super().__init__(f"invalid supervisor flags: {reason} {value!r}")
        self.reason = reason
        self.value = value


class SupervisorStartError(SupervisorError):
    """A child failed to start while the supervisor started (``failed_to_start_child``)."""

    def __init__(self, child_id: Any, cause: BaseException) -> None:
        super().__init__(f"failed to start child {child_id!r}: {cause!r}")
        self.child_id = child_id
        self.cause = cause


class StartChildError(SupervisorError):
    """``start_child`` / ``restart_child``: the child's start function failed."""

    def __init__(self, child_id: Any, cause: BaseException) -> None:
        super().__init__(f"child {child_id!r} failed to start: {cause!r}")
        self.child_id = child_id
        self.cause = cause


class AlreadyStarted(SupervisorError):
    """``start_child``: a child with this id is running (OTP ``already_started``)."""

    def __init__(self, child_id: Any, proc: Any) -> None:
        super().__init__(f"child {child_id!r} is already started as {proc!r}")
        self.child_id = child_id
        self.proc = proc


class AlreadyPresent(SupervisorError):
    """``start_child``: a stopped child with this id exists (OTP ``already_present``)."""

    def __init__(self, child_id: Any) -> None:
        super().__init__(f"child {child_id!r} is already present (stopped); restart or delete it")
        self.child_id = child_id


class ChildNotFound(SupervisorError, LookupError):
    """No child with this id (or proc) under this supervisor."""

    def __init__(self, child_id: Any) -> None:
        super().__init__(f"no child {child_id!r} under this supervisor")
        self.child_id = child_id


class ChildRunning(SupervisorError):
    """The operation needs a stopped child, and it is running."""

    def __init__(self, child_id: Any) -> None:
        super().__init__(f"child {child_id!r} is running; terminate it first")
        self.child_id = child_id


class ChildRestarting(SupervisorError):
    """The operation needs a stopped child, and it is being restarted."""

    def __init__(self, child_id: Any) -> None:
        super().__init__(f"child {child_id!r} is being restarted")
        self.child_id = child_id


class SupervisorNotRunning(SupervisorError):
    """The supervisor has exited; its API can no longer change anything."""
