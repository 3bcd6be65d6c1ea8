"""What a supervisor keeps of each child, and the rows it reports about them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from eventlib.proc import ExitReason, Proc
from eventlib.supervisor._errors import Killed, Shutdown
from eventlib.supervisor._spec import ChildSpec, ChildType

__all__ = [
    "RESTARTING",
    "ChildCounts",
    "ChildInfo",
    "SupervisorStatistics",
    "exit_reason",
]

# A child whose automatic restart failed and is being retried (OTP's `restarting`).
RESTARTING = "restarting"

# Kill without grace still waits for the child's handlers; past this, it is abandoned.
_KILL_WAIT = 5.0


def exit_reason(proc: Proc) -> str:
    """A finished proc's exit reason in OTP terms: normal, shutdown, killed or error."""
    if proc.exit_reason is ExitReason.NORMAL:
        return "normal"
    return reason_of(proc, proc.exc_info()[1])


def reason_of(proc: Proc, error: BaseException | None) -> str:
    if proc.exit_reason is ExitReason.NORMAL:
        return "normal"
    if isinstance(error, Killed):
        return "killed"
    if proc.exit_reason is ExitReason.KILLED or isinstance(error, Shutdown):
        return "shutdown"
    return "error"


@attrs.frozen
class ChildInfo:
    """One row of :meth:`Supervisor.which_children` (OTP's ``{Id, Child, Type, Modules}``)."""

    id: Any
    proc: Proc | str | None
    """The running proc, ``"restarting"``, or None when not running."""
    type: ChildType
    restarts: int


@attrs.frozen
class ChildCounts:
    """:meth:`Supervisor.count_children` (OTP's specs / active / supervisors / workers)."""

    specs: int
    active: int
    supervisors: int
    workers: int


@attrs.frozen
class SupervisorStatistics:
    """A snapshot for tests and the observer."""

    children: int
    active: int
    restarts_in_window: int
    total_restarts: int


@attrs.define(eq=False)
class Child:
    spec: ChildSpec
    proc: Proc | None = None
    handle: Any = None
    restarting: bool = False
    restarts: int = 0
    consecutive: int = 0
    started_at: float = 0.0
    order: int = 0
    pending_group: list[Child] | None = None
    """The group a delayed (back-off) restart will resume."""
    args: tuple[Any, ...] = attrs.field(
        default=attrs.Factory(lambda child: child.spec.args, takes_self=True)
    )
    """What start is called with: the spec's args, plus start_child's in a DynamicSupervisor
    (kept here so the shared template is not copied for every child)."""

    @property
    def id(self) -> Any:
        return self.spec.id


start_order = itertools.count()
"""Every child record's place in start order, across supervisors."""


class Children:
    """Children in start order, with O(1) append, removal and membership.

    A DynamicSupervisor may hold tens of thousands of children that come and
    go (one per call); a list made every exit O(n).
    """

    __slots__ = ("_order",)

    def __init__(self) -> None:
        self._order: dict[Child, None] = {}

    def append(self, child: Child) -> None:
        self._order[child] = None

    def remove(self, child: Child) -> None:
        try:
            del self._order[child]
        except KeyError:
            raise ValueError(f"{child!r} is not a child here") from None

    def clear(self) -> None:
        self._order.clear()

    def index(self, child: Child) -> int:
        return list(self._order).index(child)

    def __getitem__(self, index: slice) -> list[Child]:
        return list(self._order)[index]

    def __contains__(self, child: object) -> bool:
        return child in self._order

    def __iter__(self) -> Iterator[Child]:
        return iter(self._order)

    def __reversed__(self) -> Iterator[Child]:
        return reversed(self._order)

    def __len__(self) -> int:
        return len(self._order)
