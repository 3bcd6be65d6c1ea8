"""A pool of at most ``max_size`` concurrent procs (the classic ``eventlib.pool.Pool``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eventlib.proc import Proc, RunningProcSet, spawn
from eventlib.sync import Event, Semaphore

__all__ = ["Pool"]


class Pool:
    """Run functions in procs, at most ``max_size`` at a time.

    ``execute`` waits for a free slot, then returns an Event that fires with
    the function's result (or exception). ``execute_async`` is the same
    without the Event.

    Example::

        pool = Pool(max_size=10)
        events = [pool.execute(fetch, url) for url in urls]
        pages = [event.wait() for event in events]
    """

    def __init__(self, min_size: int = 0, max_size: int = 4, track_events: bool = False) -> None:  # noqa: ARG002 - classic signature
        if max_size < 1:
            raise ValueError(f"a pool needs max_size >= 1, got {max_size}")
        self.max_size = max_size
        self._slots = Semaphore(max_size)
        self._procs = RunningProcSet()

    @property
    def current_size(self) -> int:
        """How many functions run now."""
        return self.max_size - self._slots.counter

    def free(self) -> int:
        """How many more functions could start without waiting."""
        return self._slots.counter

    def waiting(self) -> int:
        """How many callers wait for a slot."""
        return len(self._slots._waiters)

    def execute(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Event:
        """Run ``function`` when a slot is free; return an Event with its outcome."""
        event = Event()
        self._launch(function, args, kwargs, event)
        return event

    def execute_async(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``function`` when a slot is free; its outcome is only logged on error."""
        self._launch(function, args, kwargs, None)

    def _launch(
        self,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        event: Event | None,
    ) -> Proc:
        self._slots.acquire()
        proc = spawn(function, *args, **kwargs)
        self._procs.add(proc)
        proc.link(self._finished)
        if event is not None:
            proc.link(event)
        return proc

    def _finished(self, _proc: Proc) -> None:
        self._slots.release()

    def wait_all(self) -> None:
        """Wait until nothing runs in the pool."""
        self._procs.waitall(trap_errors=True)

    def killall(self) -> None:
        """Kill every running function."""
        self._procs.killall(wait=True)

    def generate_results(
        self, function: Callable[..., Any], iterable: Iterable[Any]
    ) -> Iterator[Any]:
        """Yield ``function(item)`` for each item, in order, running up to max_size at once."""
        events = [self.execute(function, item) for item in iterable]
        for event in events:
            yield event.wait()
