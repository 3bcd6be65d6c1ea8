"""Child specs and supervisor flags, validated the way OTP validates them."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

import attrs

from eventlib.hub import check_duration
from eventlib.supervisor._errors import InvalidChildSpec, InvalidSupervisorFlags

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "AutoShutdown",
    "Backoff",
    "ChildSpec",
    "ChildType",
    "Restart",
    "Strategy",
    "check_childspec",
    "check_childspecs",
]


class Restart(enum.Enum):
    """When a child that ended by itself is restarted."""

    PERMANENT = "permanent"
    """Always."""
    TRANSIENT = "transient"
    """Only after an abnormal exit (an error, or killed not by its supervisor)."""
    TEMPORARY = "temporary"
    """Never; its spec is forgotten once it ends."""


class Strategy(enum.Enum):
    ONE_FOR_ONE = "one_for_one"
    ONE_FOR_ALL = "one_for_all"
    REST_FOR_ONE = "rest_for_one"


class AutoShutdown(enum.Enum):
    NEVER = "never"
    ANY_SIGNIFICANT = "any_significant"
    ALL_SIGNIFICANT = "all_significant"


class ChildType(enum.Enum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class _ShutdownKind(enum.Enum):
    BRUTAL_KILL = "brutal_kill"
    INFINITY = "infinity"


BRUTAL_KILL = _ShutdownKind.BRUTAL_KILL
"""Kill the child at once, with no grace period."""
INFINITY = _ShutdownKind.INFINITY
"""Wait for the child to stop however long it takes (the default for supervisors)."""

_DEFAULT_WORKER_SHUTDOWN = 5.0


def _enum_value(enum_type: type[enum.Enum], value: Any, reason: str, error: type[Exception]) -> Any:
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        raise error(reason, value) from None


def _restart(value: Any) -> Restart:
    return _enum_value(Restart, value, "invalid_restart_type", InvalidChildSpec)  # type: ignore[no-any-return]


def _child_type(value: Any) -> ChildType:
    return _enum_value(ChildType, value, "invalid_child_type", InvalidChildSpec)  # type: ignore[no-any-return]


def _shutdown(value: Any) -> float | _ShutdownKind | None:
    if value is None or isinstance(value, _ShutdownKind):
        return value
    if value in ("brutal_kill", "infinity"):
        return _ShutdownKind(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidChildSpec("invalid_shutdown", value)
    if math.isinf(value):
        return INFINITY
    return float(value)


def _args(value: Any) -> tuple[Any, ...]:
    # A str is iterable too: tuple("xy") would quietly pass start two characters.
    if not isinstance(value, tuple | list):
        raise InvalidChildSpec("invalid_args", value)
    return tuple(value)


@attrs.frozen
class ChildSpec:
    """How a supervisor starts, restarts and stops one child.

    Attributes:
        id: the child's name under its supervisor (any hashable but None).
        start: a callable returning a running Proc, an object with a ``proc``
            attribute (an Actor, a Supervisor is itself a Proc), or None to be
            ignored (OTP's ``ignore``). It runs in the supervisor's proc.
        restart: ``permanent`` (default), ``transient`` or ``temporary``.
        shutdown: seconds of grace before the child is killed, ``BRUTAL_KILL``
            or ``INFINITY``; by default 5 s for workers, INFINITY for supervisors.
        type: ``worker`` (default) or ``supervisor``.
        significant: its own exit may shut the supervisor down (auto_shutdown).
        args: a tuple (or list) of arguments passed to ``start``; a DynamicSupervisor's
            ``start_child(*more)`` appends to them.

    Raises:
        InvalidChildSpec: a field breaks OTP's rules; ``reason`` names the rule.
    """

    id: Any
    # Optional only so that a missing one is OTP's `missing_start`, not a TypeError.
    start: Callable[..., Any] = None  # type: ignore[assignment]
    restart: Restart = attrs.field(default=Restart.PERMANENT, converter=_restart)
    shutdown: float | _ShutdownKind | None = attrs.field(default=None, converter=_shutdown)
    type: ChildType = attrs.field(default=ChildType.WORKER, converter=_child_type)
    significant: bool = False
    args: tuple[Any, ...] = attrs.field(default=(), converter=_args)

    def __attrs_post_init__(self) -> None:
        if self.id is None:
            raise InvalidChildSpec("missing_id")
        try:
            hash(self.id)
        except TypeError:
            raise InvalidChildSpec("invalid_id", self.id) from None
        if self.start is None:
            raise InvalidChildSpec("missing_start")
        if not callable(self.start):
            raise InvalidChildSpec("invalid_mfa", self.start)
        if not isinstance(self.significant, bool):
            raise InvalidChildSpec("invalid_significant", self.significant)
        if self.significant and self.restart is Restart.PERMANENT:
            raise InvalidChildSpec(
                "bad_combination", [("restart", "permanent"), ("significant", True)]
            )
        if self.shutdown is None:
            default = INFINITY if self.type is ChildType.SUPERVISOR else _DEFAULT_WORKER_SHUTDOWN
            object.__setattr__(self, "shutdown", default)


def _seconds(name: str, *, positive: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        check_duration(value, f"Backoff {name}")
        if positive and value == 0:
            raise ValueError(f"Backoff {name} must be a number of seconds > 0, got {value!r}")

    return check


def _factor(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Backoff factor must be a number >= 1, got {value!r}")
    if not value >= 1:
        raise ValueError(
            f"Backoff factor must be a number >= 1 (each delay at least the previous one), "
            f"got {value!r}"
        )


@attrs.frozen
class Backoff:
    """Optional delay before restarts: ``initial * factor ** n`` capped at ``maximum``.

    ``n`` counts the child's consecutive restarts; it resets once the child
    has run for ``reset_after`` seconds. Off unless given to a supervisor.

    Raises:
        TypeError: a field is not a number.
        ValueError: a field is out of range (seconds < 0, factor < 1, maximum < initial).
    """

    initial: float = attrs.field(default=0.1, validator=_seconds("initial"))
    factor: float = attrs.field(default=2.0, validator=_factor)
    maximum: float = attrs.field(default=10.0, validator=_seconds("maximum"))
    reset_after: float = attrs.field(default=30.0, validator=_seconds("reset_after", positive=True))

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise ValueError(
                f"Backoff maximum ({self.maximum!r}) must be >= initial ({self.initial!r}), "
                f"else every delay is the maximum: raise it too, "
                f"e.g. Backoff(initial={self.initial!r}, maximum={self.initial!r})"
            )

    def delay(self, consecutive: int) -> float:
        return float(min(self.maximum, self.initial * self.factor ** max(0, consecutive - 1)))


def check_flags(
    strategy: Any, max_restarts: Any, max_seconds: Any, auto_shutdown: Any, backoff: Any = None
) -> tuple[Strategy, int, float, AutoShutdown]:
    """Validate supervisor flags (OTP ``supervisor_data`` errors, and eventlib's backoff)."""
    if backoff is not None and not isinstance(backoff, Backoff):
        raise InvalidSupervisorFlags("invalid_backoff", backoff)
    strategy = _enum_value(Strategy, strategy, "invalid_strategy", InvalidSupervisorFlags)
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
        raise InvalidSupervisorFlags("invalid_intensity", max_restarts)
    if (
        isinstance(max_seconds, bool)
        or not isinstance(max_seconds, int | float)
        or not max_seconds > 0
    ):
        raise InvalidSupervisorFlags("invalid_period", max_seconds)
    auto_shutdown = _enum_value(
        AutoShutdown, auto_shutdown, "invalid_auto_shutdown", InvalidSupervisorFlags
    )
    return strategy, max_restarts, float(max_seconds), auto_shutdown


def check_childspec(spec: Any, auto_shutdown: AutoShutdown) -> None:
    """Check one spec against a supervisor's flags (a ChildSpec checks itself on creation)."""
    if not isinstance(spec, ChildSpec):
        raise InvalidChildSpec("not_a_child_spec", spec)
    if spec.significant and auto_shutdown is AutoShutdown.NEVER:
        raise InvalidChildSpec(
            "bad_combination", [("auto_shutdown", "never"), ("significant", True)]
        )


def check_childspecs(specs: Any, auto_shutdown: AutoShutdown | str = AutoShutdown.NEVER) -> None:
    """Check child specs as a supervisor with ``auto_shutdown`` would (OTP check_childspecs/2).

    Raises:
        InvalidChildSpec: a spec is invalid here, or two share an id
            (``reason`` ``duplicate_child_name``).
        InvalidSupervisorFlags: ``auto_shutdown`` is not a valid value.
    """
    flag: AutoShutdown = _enum_value(
        AutoShutdown, auto_shutdown, "invalid_auto_shutdown", InvalidSupervisorFlags
    )
    seen: set[Any] = set()
    for spec in specs:
        check_childspec(spec, flag)
        if spec.id in seen:
            raise InvalidChildSpec("duplicate_child_name", spec.id)
        seen.add(spec.id)
