"""A pool of at most ``max_size`` concurrent procs (the classic ``eventlib.pool.Pool``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eventlib.proc import Proc, RunningProcSet, current_proc, spawn
from eventlib.sync import Queue, Semaphore

__all__ = ["Pool"]


class Pool:
    """Run functions in procs, at most ``max_size`` at a time.

    ``execute`` waits for a free slot, then returns the :class:`~eventlib.proc.Proc`
    running the function (``wait()`` gives its result or raises its
    exception). A proc of the pool that calls ``execute`` while the pool is
    full would wait for a slot it holds itself: the function is then run at
    once outside the pool, and ``execute`` returns when it has finished.

    With ``track_events=True`` every outcome is also kept, in completion
    order, for :meth:`wait`.

    Attributes:
        sem: the semaphore of free slots.
        procs: the running procs (a :class:`~eventlib.proc.RunningProcSet`).
        results: the kept outcomes (a Queue), or None without ``track_events``.

    Example::

        pool = Pool(max_size=10)
        procs = [pool.execute(fetch, url) for url in urls]
        pages = [proc.wait() for proc in procs]
    """

    def __init__(self, min_size: int = 0, max_size: int = 4, track_events: bool = False) -> None:
        if max_size < 1:
            raise ValueError(f"a pool needs max_size >= 1, got {max_size}")
        if min_size > max_size:
            raise ValueError(f"min_size cannot be bigger than max_size ({min_size} > {max_size})")
        self.min_size = min_size
        self.max_size = max_size
        self.sem = Semaphore(max_size)
        self.procs = RunningProcSet()
        self.results: Queue | None = Queue() if track_events else None

    @property
    def current_size(self) -> int:
        """How many functions run now."""
        return len(self.procs)

    def free(self) -> int:
        """How many more functions could start without waiting."""
        return self.sem.counter

    def waiting(self) -> int:
        """How many callers wait for a slot."""
        return self.sem.statistics().waiters

    def execute(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
        """Run ``function(*args, **kwargs)`` when a slot is free; return its proc.

        Called from one of this pool's own procs while the pool is full, the
        function runs at once outside the pool and this returns once it has
        finished (instead of waiting forever for a slot the caller holds).
        """
        caller = current_proc()
        if caller is not None and self.sem.locked() and caller in self.procs:
            proc = spawn(function, *args, **kwargs)
            _wait_trapping(proc)
        else:
            self.sem.acquire()
            proc = spawn(function, *args, **kwargs)
            self.procs.add(proc)
            proc.link(self._finished)
        if self.results is not None:
            proc.link(self.results)
        return proc

    execute_async = execute

    def _finished(self, _proc: Proc) -> None:
        self.sem.release()

    def wait(self) -> Any:
        """Wait for the next outcome kept by ``track_events``; return it or raise it.

        Raises:
            RuntimeError: the pool was made without ``track_events=True``.
        """
        if self.results is None:
            raise RuntimeError("Pool.wait() needs a pool made with Pool(track_events=True)")
        return self.results.wait()

    def waitall(self) -> None:
        """Wait until nothing runs in the pool (failures are only logged)."""
        self.procs.waitall(trap_errors=True)

    wait_all = waitall

    def killall(self) -> None:
        """Kill every running function."""
        self.procs.killall(wait=True)

    def launch_all(self, function: Callable[..., Any], iterable: Iterable[Any]) -> None:
        """``execute(function, *args)`` for each ``args`` sequence of ``iterable``; don't wait."""
        for args in iterable:
            self.execute(function, *args)

    def process_all(self, function: Callable[..., Any], iterable: Iterable[Any]) -> None:
        """:meth:`launch_all`, then :meth:`waitall`."""
        self.launch_all(function, iterable)
        self.waitall()

    def generate_results(
        self, function: Callable[..., Any], iterable: Iterable[Any], qsize: int | None = None
    ) -> Iterator[Any]:
        """Yield ``function(*args)`` for each ``args`` sequence of ``iterable``, as they finish.

        Results come in completion order, not input order. The pool is kept
        as full as it can be between results; ``iterable`` may be endless or
        lazy. A function that raises makes the ``next()`` that reaches its
        outcome raise it. ``qsize`` bounds the finished results waiting to be
        taken: a function finishing beyond that waits in its proc.
        """
        outcomes = Queue(qsize)
        items = iter(iterable)
        launched = taken = 0
        exhausted = False
        while True:
            # Fill the pool first; when every launched result has been taken, launch one
            # even if the pool is full (waiting for a slot), or there is nothing to wait for.
            while not exhausted and (self.free() > 0 or taken == launched):
                try:
                    args = next(items)
                except StopIteration:
                    exhausted = True
                    break
                self.execute(_deliver, outcomes, function, args)
                launched += 1
            if taken == launched:
                return
            taken += 1
            yield outcomes.wait()


def _deliver(outcomes: Queue, function: Callable[..., Any], args: Any) -> None:
    """Run ``function(*args)`` and put its outcome in ``outcomes`` (waiting if it is full)."""
    try:
        result = function(*args)
    except Exception as exc:
        outcomes.send(exc=exc)
    else:
        outcomes.send(result)


def _wait_trapping(proc: Proc) -> None:
    try:
        proc.wait()
    except BaseException as exc:
        if exc is not proc.exc_info()[1]:
            raise  # the caller itself was interrupted
