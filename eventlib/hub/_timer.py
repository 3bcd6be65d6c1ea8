"""Timers returned by ``Hub.schedule_call_global`` / ``schedule_call_local``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from greenlet import greenlet as Greenlet  # noqa: N812

__all__ = ["Timer"]

_PENDING = 0
_CALLED = 1
_CANCELLED = 2


class Timer:
    """A call scheduled on the hub; :meth:`cancel` stops it if it has not run.

    A *local* timer has an owner greenlet and is skipped once that greenlet is
    dead. Zero-delay timers live in the hub's ready queue and cost no Twisted
    DelayedCall; longer ones are a ``reactor.callLater``.
    """

    __slots__ = (
        "_args",
        "_delayed_call",
        "_function",
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
        kwargs: dict[str, Any],
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
        self._delayed_call: Any = None  # a twisted DelayedCall

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
        delayed = self._delayed_call
        if delayed is not None:
            self._delayed_call = None
            delayed.cancel()
        self._release()

    def _release(self) -> None:
        self._function = None
        self._args = ()
        self._kwargs = {}
        self._owner = None
        self._owner_proc = None

    def _fire(self) -> None:
        if self._state != _PENDING:
            return
        self._state = _CALLED
        self._delayed_call = None
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
