"""Timers returned by ``Hub.schedule_call_global`` / ``schedule_call_local``."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from greenlet import greenlet as Greenlet  # noqa: N812

    from eventlib.hub._hub import Hub

__all__ = ["NO_KWARGS", "Timer", "TimerStatistics"]

# The keyword arguments of a timer that has none (or no longer needs them): one shared,
# read-only mapping instead of a new dict per timer.
NO_KWARGS: Mapping[str, Any] = MappingProxyType({})

_PENDING = 0
_CALLED = 1
_CANCELLED = 2


@attrs.frozen
class TimerStatistics:
    """A snapshot of a hub's timers with a delay (see ``Hub.timer_statistics``).

    Attributes:
        pending: timers waiting to fire (cancelled ones not counted).
        heap_size: entries of the hub's heap, cancelled ones not yet dropped included.
        armed_at: the deadline of the one Twisted DelayedCall the hub has armed
            (reactor time, ``Hub.clock()``), or None when none is armed.
    """

    pending: int
    heap_size: int
    armed_at: float | None


class Timer:
    """A call scheduled on the hub; :meth:`cancel` stops it if it has not run.

    A *local* timer has an owner greenlet and is skipped once that greenlet is
    dead. Zero-delay timers live in the hub's ready queue; longer ones in the
    hub's timer heap, which keeps a single Twisted DelayedCall for the earliest
    of them, so neither costs a DelayedCall of its own.
    """

    __slots__ = (
        "_args",
        "_function",
        "_heap_hub",
        "_kwargs",
        "_owner",
        "_owner_proc",
        "_state",
        "seconds",
    )

    def __init__(
        self,
        seconds: float,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        owner: Greenlet | None,
    ) -> None:
        self.seconds = seconds
        self._function: Callable[..., Any] | None = function
        self._args = args
        self._kwargs = kwargs
        self._owner = owner
        # Proc greenlets are reused: the timer belongs to the proc running now.
        self._owner_proc = None if owner is None else getattr(owner, "proc", None)
        self._state = _PENDING
        # The hub whose heap holds this timer as a live entry (None once due or cancelled).
        self._heap_hub: Hub | None = None

    @property
    def pending(self) -> bool:
        """True until the timer runs or is cancelled."""
        return self._state == _PENDING

    @property
    def called(self) -> bool:
        """True once the timer ran (or was skipped because its owner died)."""
        return self._state == _CALLED

    @property
    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def cancel(self) -> None:
        """Stop the timer; a no-op if it already ran or was cancelled."""
        if self._state != _PENDING:
            return
        self._state = _CANCELLED
        hub = self._heap_hub
        if hub is not None:
            self._heap_hub = None
            hub._forget_timer(self)
        self._release()

    def _release(self) -> None:
        self._function = None
        self._args = ()
        self._kwargs = NO_KWARGS
        self._owner = None
        self._owner_proc = None

    def _fire(self) -> None:
        if self._state != _PENDING:
            return
        self._state = _CALLED
        function, args, kwargs = self._function, self._args, self._kwargs
        owner, owner_proc = self._owner, self._owner_proc
        self._release()
        if owner is not None and (owner.dead or getattr(owner, "proc", None) is not owner_proc):
            return  # a local timer whose greenlet (or proc) has ended
        assert function is not None
        function(*args, **kwargs)

    def __repr__(self) -> str:
        state = ("pending", "called", "cancelled")[self._state]
        kind = "local" if self._owner is not None else "global"
        return f"<Timer {kind} {state} in {self.seconds}s {self._function!r}>"
