"""Exceptions of the supervisor layer; each carries what the caller needs to act on it."""

from __future__ import annotations

from collections.abc import Callable
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


def _given(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _start_problem(start: Any) -> str:
    # Proc and Actor are recognised by shape: this module sits below the layers that define them.
    if hasattr(start, "exit_reason") and hasattr(start, "link"):
        return (
            "start must be a callable that returns a Proc; got a Proc, already running. "
            "Pass what starts it instead, e.g. start=lambda: eventlib.spawn(loop), so the "
            "supervisor can start it again"
        )
    if hasattr(start, "mailbox") or hasattr(type(start), "handle"):
        return (
            f"start must be a callable that returns a Proc or an Actor; got an instance "
            f"{start!r}. Pass the class's spawn instead, e.g. start={type(start).__name__}.spawn"
        )
    return (
        f"start must be a callable that returns a Proc (or an Actor, or None to be "
        f"ignored); got {_given(start)}. Use e.g. start=lambda: eventlib.spawn(loop)"
    )


def _combination_problem(detail: Any) -> str:
    first = detail[0] if isinstance(detail, list) and detail else None
    if first == ("restart", "permanent"):
        return (
            "a significant child cannot be permanent: it is always restarted, so it never "
            "ends for good; use restart='transient' or 'temporary', or significant=False"
        )
    if first == ("auto_shutdown", "never"):
        return (
            "a significant child needs a supervisor with auto_shutdown='any_significant' or "
            "'all_significant'; this one has auto_shutdown='never'. Set one of those, or "
            "significant=False"
        )
    if first == ("dynamic", True):
        return (
            "a DynamicSupervisor takes no significant children (it has no auto_shutdown); "
            "use significant=False"
        )
    return f"these settings cannot be combined: {detail!r}"


_CHILD_SPEC_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "missing_id": lambda _: (
        "id is missing (None); give each child a name unique under its supervisor, "
        "e.g. ChildSpec('worker', start=...)"
    ),
    "invalid_id": lambda d: f"id must be hashable (a str, int, tuple...); got {_given(d)}",
    "missing_start": lambda _: (
        "start is missing; give a callable that returns a Proc, "
        "e.g. start=lambda: eventlib.spawn(loop)"
    ),
    "invalid_mfa": _start_problem,
    "invalid_restart_type": lambda d: (
        f"restart must be 'permanent', 'transient' or 'temporary' (or a Restart); got {d!r}"
    ),
    "invalid_child_type": lambda d: (
        f"type must be 'worker' or 'supervisor' (or a ChildType); got {d!r}"
    ),
    "invalid_shutdown": lambda d: (
        "shutdown must be a number of seconds >= 0, BRUTAL_KILL ('brutal_kill') or "
        f"INFINITY ('infinity'); got {_given(d)}"
    ),
    "invalid_significant": lambda d: f"significant must be True or False; got {_given(d)}",
    "invalid_args": lambda d: (
        f"args must be a tuple (or list) of arguments for start; got {_given(d)}. "
        "For one argument write args=(value,)"
    ),
    "bad_combination": _combination_problem,
    "not_a_child_spec": lambda d: (
        f"children must be ChildSpec instances; got {_given(d)}. "
        "Build each with ChildSpec(id, start=...)"
    ),
    "duplicate_child_name": lambda d: (
        f"two children have the id {d!r}; ids must be unique under one supervisor"
    ),
}


class InvalidChildSpec(SupervisorError, ValueError):
    """A child spec is malformed.

    Its message says what was wrong, what is allowed and how to fix it.

    Attributes:
        reason: OTP's error atom for the rule broken (``invalid_mfa``,
            ``bad_combination``, ``invalid_restart_type``...).
        detail: the offending value (for ``bad_combination``, OTP's list of settings).
    """

    def __init__(self, reason: str, detail: Any = None) -> None:
        problem = _CHILD_SPEC_PROBLEMS.get(reason)
        text = problem(detail) if problem is not None else f"{reason} ({detail!r})"
        super().__init__(f"invalid child spec: {text}")
        self.reason = reason
        self.detail = detail


_FLAG_PROBLEMS: dict[str, Callable[[Any], str]] = {
    "invalid_strategy": lambda v: (
        f"strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one' (or a Strategy); "
        f"got {v!r}. For many children of one spec use DynamicSupervisor"
    ),
    "invalid_intensity": lambda v: f"max_restarts must be an int >= 0; got {_given(v)}",
    "invalid_period": lambda v: f"max_seconds must be a number of seconds > 0; got {_given(v)}",
    "invalid_auto_shutdown": lambda v: (
        "auto_shutdown must be 'never', 'any_significant' or 'all_significant' "
        f"(or an AutoShutdown); got {v!r}"
    ),
    "invalid_backoff": lambda v: (
        f"backoff must be None or a Backoff; got {_given(v)}. "
        "Use e.g. backoff=Backoff(initial=5) for a first delay of 5 s"
    ),
    "invalid_max_children": lambda v: (
        f"max_children must be None (no limit) or an int >= 0; got {_given(v)}"
    ),
    "invalid_template": lambda v: (
        f"a DynamicSupervisor's spec must be a ChildSpec (its template); got {_given(v)}"
    ),
    "invalid_children": lambda v: (
        f"children must be an iterable of ChildSpec; got {_given(v)}"
        + (". Wrap one spec in a list: [spec]" if type(v).__name__ == "ChildSpec" else "")
    ),
}


class InvalidSupervisorFlags(SupervisorError, ValueError):
    """A supervisor's arguments are malformed (strategy, intensity, period, auto_shutdown...).

    Its message says what was wrong, what is allowed and how to fix it.

    Attributes:
        reason: OTP's error atom (``invalid_strategy``, ``invalid_intensity``...).
        value: the offending value.
    """

    def __init__(self, reason: str, value: Any) -> None:
        problem = _FLAG_PROBLEMS.get(reason)
        text = problem(value) if problem is not None else f"{reason} {value!r}"
        super().__init__(f"invalid supervisor flags: {text}")
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
