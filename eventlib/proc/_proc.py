"""Proc: a green thread with an id, a name, a parent, an exit reason and links."""

from __future__ import annotations

import itertools
import sys
import time
import weakref
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812

from eventlib.hub import Hub, exception_from_throw_args, get_hub, sleep
from eventlib.hub._timer import Timer
from eventlib.log import STATE as _LOG
from eventlib.log._events import proc_exited, proc_spawned
from eventlib.proc._exceptions import ExitReason, ProcExit
from eventlib.proc._source import Source
from eventlib.proc._worker import _Worker, _worker_main
from eventlib.sync import NOT_USED

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Proc", "current_proc", "spawn", "spawn_after", "spawn_greenlet"]

_ids = itertools.count(1)


def current_proc() -> Proc | None:
    """The proc the caller runs in, or None (main greenlet, MAIN_LOOP, a raw greenlet)."""
    return getattr(getcurrent(), "proc", None)


class Proc(Source):
    """A green thread whose outcome is a :class:`Source` that others can link to or wait for.

    ``Proc.spawn(f, *args, **kwargs)`` (or :func:`spawn`) starts ``f`` on the
    next hub turn; the caller keeps running. The proc's exit reason is
    explicit: :attr:`exit_reason` is ``ExitReason.NORMAL`` (returned),
    ``ERROR`` (raised) or ``KILLED`` (GreenletExit/ProcExit), and an error is
    reported to the hub's error hook (logged) as well as to links.

    Attributes:
        id: a number unique in this process.
        parent_id: the id of the proc that spawned this one, or None.
        supervisor_path: set by a supervisor ("root/child"), else None.
    """

    __slots__ = (
        "_function",
        "_hub",
        "_parent_ref",
        "_start_timer",
        "_started_at",
        "exit_reason",
        "greenlet",
        "id",
        "parent_id",
        "supervisor_path",
    )

    def __init__(self, name: Any = None) -> None:
        super().__init__(name)
        self.id = next(_ids)
        self.greenlet: Greenlet | None = None
        self.exit_reason: ExitReason | None = None
        self.supervisor_path: str | None = None
        self._function: Callable[..., Any] | None = None
        self._hub: Hub = None  # type: ignore[assignment]
        self._started_at: float | None = None
        self._start_timer: Timer | None = None
        parent = getattr(getcurrent(), "proc", None)
        if parent is None:
            self.parent_id = None
            self._parent_ref = None
        else:
            self.parent_id = parent.id
            self._parent_ref = weakref.ref(parent)

    # -- starting ----------------------------------------------------------

    @classmethod
    def spawn(cls, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
        """Create a proc running ``function(*args, **kwargs)`` from the next hub turn."""
        proc = cls()
        proc.run(function, *args, **kwargs)
        return proc

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Start this (new) proc on ``function``; safe from anywhere.

        Raises:
            AssertionError: the proc was already started.
        """
        self._prepare(function)
        self._hub.schedule_soon(self._start, args, kwargs)

    def run_after(
        self, seconds: float, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Like :meth:`run`, but start ``seconds`` from now (killing it before then cancels it)."""
        self._prepare(function)
        self._start_timer = self._hub.schedule_call_global(seconds, self._start, args, kwargs)

    def _prepare(self, function: Callable[..., Any]) -> None:
        if self._function is not None or self._result is not NOT_USED:
            raise AssertionError(f"{self!r} was already started")
        if not callable(function):
            raise TypeError(f"a proc runs a callable, got {function!r}")
        hub = self._hub = get_hub()
        self._function = function
        hub.procs[self.id] = self
        if _LOG.enabled:
            self._started_at = time.perf_counter()
            proc_spawned(self, function)

    def _start(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._start_timer = None
        if self._result is not NOT_USED:
            return  # killed before it started
        hub = self._hub
        idle = hub._idle_workers
        worker = None
        while idle:
            worker = idle.pop()
            if not worker.dead:
                break
            worker = None
        if worker is None:
            worker = _Worker(_worker_main, hub.greenlet)
        else:
            worker.gr_context = None  # a fresh contextvars context for every proc
        worker.proc = self
        self.greenlet = worker
        worker.switch(self, args, kwargs)

    def _body(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        function = self._function
        assert function is not None
        try:
            result = function(*args, **kwargs)
        except GreenletExit as exc:
            self._finish(ExitReason.KILLED, None, (type(exc), exc, None))
        except BaseException as exc:
            exc_info = sys.exc_info()
            self._finish(ExitReason.ERROR, None, exc_info)
            self._hub.handle_error(self, exc_info)  # type: ignore[arg-type]
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        else:
            self._finish(ExitReason.NORMAL, result, None)

    def _finish(self, reason: ExitReason, result: Any, exc_info: Any) -> None:
        self.exit_reason = reason
        self._hub.procs.pop(self.id, None)
        function = self._function
        if function is not None:
            # Drop the function: it is often a method of an object that holds this proc (an
            # actor), a cycle only the garbage collector would free. Its name stays.
            if self._name is None:
                self._name = getattr(function, "__qualname__", None) or str(function)
            self._function = None
        if exc_info is None:
            self._result = result
        else:
            self._result = None
            self._exc = exc_info
        if _LOG.enabled:
            started = self._started_at
            runtime = 0.0 if started is None else time.perf_counter() - started
            proc_exited(self, reason.value, runtime, None if exc_info is None else exc_info[1])
        self._fired()

    # -- identity ----------------------------------------------------------

    @property
    def name(self) -> Any:
        """The name given, else one derived from the function (classic: ``str(function)``)."""
        name = self._name
        if name is None and self._function is not None:
            function = self._function
            return getattr(function, "__qualname__", None) or str(function)
        return name

    @name.setter
    def name(self, value: Any) -> None:
        self._name = value

    @property
    def parent(self) -> Proc | None:
        """The proc that spawned this one, if it is still referenced anywhere."""
        ref = self._parent_ref
        return None if ref is None else ref()

    @property
    def dead(self) -> bool:
        """True once finished."""
        return self._result is not NOT_USED

    def __bool__(self) -> bool:
        """True while running: started and not finished."""
        return self.greenlet is not None and self._result is NOT_USED

    # -- stopping ----------------------------------------------------------

    def throw(self, *throw_args: Any) -> None:
        """Raise ``throw_args`` in the proc now (from MAIN_LOOP) or on the next turn.

        A proc that has not started finishes at once with that exception,
        without running; a finished proc ignores it.
        """
        if self._result is not NOT_USED:
            return
        hub: Hub | None = self._hub  # None until run()
        if hub is None:  # never run (a Pool's allocate(), say): it ends before it begins
            hub = self._hub = get_hub()
        worker = self.greenlet
        if worker is None:  # not started yet: it never will
            if self._start_timer is not None:
                self._start_timer.cancel()
            exc = exception_from_throw_args(throw_args or (ProcExit,))
            exc_info = (type(exc), exc, None)
            if isinstance(exc, GreenletExit):
                self._finish(ExitReason.KILLED, None, exc_info)
            else:  # a crash, reported like one that happens while running
                self._finish(ExitReason.ERROR, None, exc_info)
                hub.handle_error(self, exc_info)
            return
        if getcurrent() is not hub.greenlet:
            hub.schedule_soon(self.throw, *throw_args)
            return
        if getattr(worker, "proc", None) is self and not worker.dead:
            worker.throw(*(throw_args or (ProcExit,)))

    def kill(self, *throw_args: Any) -> None:
        """Kill the proc: raise ``throw_args`` (default :class:`ProcExit`) in it.

        The exception is delivered on the next hub turn; unless called from
        MAIN_LOOP, the caller then yields once, so the proc has started
        handling it when ``kill`` returns. A proc that has not started yet
        finishes at once, without running; its links fire at the caller's next
        switch, as for a started proc. A no-op on a finished proc.
        """
        if self._result is not NOT_USED:
            return
        hub = self._hub or get_hub()
        in_loop = getcurrent() is hub.greenlet
        if self.greenlet is None:
            # Not started yet: finish it now, or its start (queued earlier) would run it first.
            # Its links are told one turn later, after the sleep(0) below (as for a started
            # proc), so the caller's own link fires at its next switch, not inside kill().
            links, self._links = self._links, None
            try:
                self.throw(*throw_args)
            finally:
                self._links = links
            if links:
                if in_loop:
                    hub.schedule_soon(self._notify)
                else:
                    hub.schedule_soon(hub.schedule_soon, self._notify)
        else:
            hub.schedule_soon(self.throw, *(throw_args or (ProcExit,)))
        if not in_loop:
            sleep(0)

    def __repr__(self) -> str:
        if self._result is NOT_USED:
            state = "running" if self.greenlet is not None else "starting"
        else:
            state = self.exit_reason.value if self.exit_reason else "finished"
        return f"<Proc {self.id} {self.name!r} {state}>"


def spawn(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
    """Start ``function(*args, **kwargs)`` in a new proc on the next hub turn."""
    proc = Proc()
    proc.run(function, *args, **kwargs)
    return proc


def spawn_after(seconds: float, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
    """Start ``function(*args, **kwargs)`` in a new proc after ``seconds``."""
    proc = Proc()
    proc.run_after(seconds, function, *args, **kwargs)
    return proc


def spawn_greenlet(function: Callable[..., Any], *args: Any) -> Greenlet:
    """Start ``function(*args)`` in a raw greenlet (parent MAIN_LOOP) on the next hub turn."""
    hub = get_hub()
    greenlet = Greenlet(function, parent=hub.greenlet)
    hub.schedule_soon(_start_greenlet, greenlet, args)
    return greenlet


def _start_greenlet(greenlet: Greenlet, args: tuple[Any, ...]) -> None:
    if not greenlet.dead:
        greenlet.switch(*args)
