"""Working with many procs: spawn_link*, waitall, killall, RunningProcSet, Pool, wrap_errors."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812

from eventlib.hub import Waiter as HubWaiter
from eventlib.hub import check_count, get_hub, sleep
from eventlib.proc._exceptions import ProcExit
from eventlib.proc._proc import Proc, spawn
from eventlib.proc._source import Source
from eventlib.sync import Queue, Semaphore

__all__ = [
    "Pool",
    "RunningProcSet",
    "Waiter",
    "kill",
    "killall",
    "spawn_link",
    "spawn_link_exception",
    "spawn_link_value",
    "trap_errors",
    "waitall",
    "wrap_errors",
]


def spawn_link(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
    """Spawn a proc linked to the caller: its outcome is thrown into the caller as LinkedExited."""
    proc = spawn(function, *args, **kwargs)
    proc.link()
    return proc


def spawn_link_value(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
    """Spawn a proc whose *return* is thrown into the caller as LinkedCompleted."""
    proc = spawn(function, *args, **kwargs)
    proc.link_value()
    return proc


def spawn_link_exception(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
    """Spawn a proc whose *failure* is thrown into the caller as LinkedFailed / LinkedKilled."""
    proc = spawn(function, *args, **kwargs)
    proc.link_exception()
    return proc


def waitall(
    procs: Iterable[Source], trap_errors: bool = False, queue: Queue | None = None
) -> list[Any]:
    """Wait for every source; return their values in the order given.

    The first exception to *arrive* (in time, not in list order) is raised at
    once, unless ``trap_errors``: then failed slots are left None and waitall
    returns when every source has finished.

    Raises:
        TypeError: ``procs`` is one proc rather than an iterable of them, or holds
            something that is not a proc or Source.
    """
    sources = _sources(procs, "waitall")
    results: list[Any] = [None] * len(sources)
    if not sources:
        return results
    if queue is None:
        queue = Queue()
    # One listener per slot: a source listed twice fills both slots (a link per listener).
    listeners = [functools.partial(_arrived, queue, index) for index in range(len(sources))]
    for source, listener in zip(sources, listeners, strict=True):
        source.link(listener)
    try:
        for _ in range(len(sources)):
            index, source = queue.get()
            if source.has_exception():
                if not trap_errors:
                    source.wait()  # raises its exception
            else:
                results[index] = source.value
    finally:
        for source, listener in zip(sources, listeners, strict=True):
            source.unlink(listener)
    return results


def _sources(procs: Any, what: str, kind: type[Source] = Source) -> list[Any]:
    if isinstance(procs, Source):
        raise TypeError(
            f"{what}() takes an iterable of procs, got one: {procs!r}; write {what}([proc])"
        )
    sources = list(procs)
    for source in sources:
        if not isinstance(source, kind):
            raise TypeError(f"{what}() takes {kind.__name__}s, got {source!r} among them")
    return sources


def _arrived(queue: Queue, index: int, source: Source) -> None:
    queue.put((index, source))


def killall(procs: Iterable[Proc], *throw_args: Any, **kwargs: Any) -> None:
    """Kill every live proc (default :class:`ProcExit`); ``wait=True`` yields once after.

    Raises:
        TypeError: an unknown keyword argument, or ``procs`` is one proc rather
            than an iterable of them.
    """
    wait = kwargs.pop("wait", False)
    if kwargs:
        raise TypeError(f"killall() got unexpected keyword arguments: {sorted(kwargs)}")
    procs = _sources(procs, "killall", Proc)
    hub = get_hub()
    args = throw_args or (ProcExit,)
    for proc in procs:
        if proc.dead:
            continue
        if proc.greenlet is None:
            proc.throw(*args)  # not started: it finishes now, without running
        else:
            hub.schedule_soon(proc.throw, *args)
    if wait and getcurrent() is not hub.greenlet:
        sleep(0)


def kill(target: Any, *throw_args: Any) -> None:
    """Kill a proc or a raw greenlet: raise ``throw_args`` in it on the next hub turn.

    The default exception is :class:`ProcExit` for a proc and GreenletExit
    for a raw greenlet. Unless called from MAIN_LOOP the caller then yields
    once, so the target has started handling it when ``kill`` returns.
    """
    proc = target if isinstance(target, Proc) else getattr(target, "proc", None)
    if proc is not None:
        proc.kill(*throw_args)
        return
    if not isinstance(target, Greenlet):
        raise TypeError(f"kill() takes a proc or a greenlet, got {target!r}")
    if target.dead:
        return
    hub = get_hub()
    hub.schedule_call_local(0, _throw_raw, target, throw_args or (GreenletExit,))
    if getcurrent() is not hub.greenlet:
        sleep(0)


def _throw_raw(target: Greenlet, throw_args: tuple[Any, ...]) -> None:
    if not target.dead:
        target.throw(*throw_args)


class RunningProcSet:
    """A set of live procs that forgets each one as it finishes.

    Args:
        *args: at most one iterable of procs to start with.
    """

    def __init__(self, *args: Iterable[Proc]) -> None:
        if len(args) > 1:
            raise TypeError("RunningProcSet() takes at most one iterable of procs")
        self.procs: set[Proc] = set()
        for proc in args[0] if args else ():
            self.add(proc)

    def _live(self) -> set[Proc]:
        # A proc's waiters wake before its links fire: drop the finished ones now.
        procs = self.procs
        finished = [proc for proc in procs if proc.dead]
        for proc in finished:
            procs.discard(proc)
        return procs

    def __len__(self) -> int:
        return len(self._live())

    def __contains__(self, item: object) -> bool:
        procs = self._live()
        if item in procs:
            return True
        if isinstance(item, Greenlet):
            return any(proc.greenlet is item for proc in procs)
        return False

    def __iter__(self) -> Iterator[Proc]:
        return iter(list(self._live()))

    def add(self, proc: Proc) -> None:
        """Track ``proc`` until it finishes."""
        if proc.dead:
            return
        self.procs.add(proc)
        proc.link(self._forget)

    def _forget(self, proc: Proc) -> None:
        self.procs.discard(proc)

    def spawn(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Proc:
        """Spawn a proc and track it."""
        proc = spawn(function, *args, **kwargs)
        self.add(proc)
        return proc

    def waitall(self, trap_errors: bool = True) -> None:
        """Wait until the set is empty (procs spawned meanwhile included)."""
        while self._live():
            waitall(list(self.procs), trap_errors=trap_errors)

    def killall(self, *throw_args: Any, **kwargs: Any) -> None:
        """Kill every proc in the set (see :func:`killall`)."""
        killall(list(self._live()), *throw_args, **kwargs)


class Pool:
    """At most ``limit`` procs at once: ``allocate()`` waits for a free slot.

    Example::

        pool = Pool(10)
        for job in jobs:
            pool.allocate().run(handle, job)   # blocks while 10 are running
    """

    def __init__(self, limit: int) -> None:
        self.limit: int = check_count(limit, "Pool limit", minimum=1)
        self.semaphore = Semaphore(limit)

    def allocate(self) -> Proc:
        """Wait for a free slot; return a new, unstarted proc that frees it when it finishes."""
        self.semaphore.acquire()
        proc = Proc()
        proc.link(self._release)
        return proc

    def _release(self, _proc: Proc) -> None:
        self.semaphore.release()

    @property
    def free(self) -> int:
        return self.semaphore.counter


def trap_errors(errors: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Deprecated: ``wrap_errors(errors, func)(*args, **kwargs)``."""
    warnings.warn(
        "trap_errors() is deprecated; use wrap_errors(errors, func)(*args, **kwargs)",
        DeprecationWarning,
        stacklevel=2,
    )
    return wrap_errors(errors, func)(*args, **kwargs)


class wrap_errors:
    """Wrap ``func`` so that the ``errors`` it raises are *returned* instead.

    Useful to make a proc's failure an ordinary value::

        proc = spawn(wrap_errors(ValueError, int), "x")
        assert isinstance(proc.wait(), ValueError)
    """

    def __init__(
        self,
        errors: type[BaseException] | tuple[type[BaseException], ...],
        func: Callable[..., Any],
    ) -> None:
        self.errors = errors
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.func(*args, **kwargs)
        except self.errors as error:
            return error

    def __str__(self) -> str:
        return str(self.func)

    def __repr__(self) -> str:
        return repr(self.func)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.func, name)


class Waiter:
    """Classic one-shot rendezvous: ``wait()`` blocks until ``send``/``send_exception``.

    A send with nobody waiting is dropped (classic semantics).
    """

    def __init__(self) -> None:
        self._waiter: HubWaiter | None = None

    def send(self, value: Any = None) -> None:
        waiter = self._waiter
        if waiter is not None:
            waiter.switch(value)

    def send_exception(self, *throw_args: Any) -> None:
        waiter = self._waiter
        if waiter is not None:
            waiter.throw(*throw_args)

    def wait(self) -> Any:
        if self._waiter is not None:
            raise RuntimeError("only one green thread can wait on a Waiter")
        waiter = self._waiter = HubWaiter(get_hub())
        try:
            return waiter.get()
        finally:
            self._waiter = None
