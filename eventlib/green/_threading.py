"""Green threading primitives backed by eventlib's semaphores and waiters.

They keep the ``threading`` API and its errors, but wait by parking the green
thread. Ownership (``RLock``, ``Condition``) belongs to the current greenlet.
"""

from __future__ import annotations

import contextvars
import itertools
import threading as _stdlib_threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from greenlet import getcurrent

from eventlib.hub import Waiter, check_not_main_loop, get_hub
from eventlib.proc import Proc, spawn
from eventlib.sync import Semaphore as _Semaphore
from eventlib.sync._event import wait_with_timeout

__all__ = [
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Lock",
    "RLock",
    "Semaphore",
    "Thread",
    "current_thread",
    "get_ident",
    "local",
]


def _acquire_timeout(blocking: bool, timeout: float) -> float | None:
    """The stdlib's ``acquire(blocking, timeout)`` rules; the wait in seconds (None: forever)."""
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout == -1:
        return None
    if timeout < 0:
        raise ValueError("timeout value must be a non-negative number")
    return float(timeout)


class Lock:
    """A green ``threading.Lock``: any green thread may release it."""

    __slots__ = ("__weakref__", "_semaphore")

    def __init__(self) -> None:
        self._semaphore = _Semaphore(1)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds (-1: forever); True if taken."""
        wait = _acquire_timeout(blocking, timeout)
        return self._semaphore.acquire(wait != 0.0, wait)

    def release(self) -> None:
        """Free the lock.

        Raises:
            RuntimeError: the lock is not locked.
        """
        if not self._semaphore.locked():
            raise RuntimeError("release unlocked lock")
        self._semaphore.release()

    def locked(self) -> bool:
        return self._semaphore.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object>"


class RLock:
    """A green ``threading.RLock``: re-entrant for the greenlet that holds it."""

    __slots__ = ("__weakref__", "_count", "_lock", "_owner")

    def __init__(self) -> None:
        self._lock = Lock()
        self._owner: Any = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        """Release one level of ownership.

        Raises:
            RuntimeError: the caller does not hold the lock.
        """
        if self._owner is not getcurrent():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._lock.release()

    def _is_owned(self) -> bool:
        return self._owner is getcurrent()

    def _release_save(self) -> tuple[int, Any]:
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._lock.release()
        return state

    def _acquire_restore(self, state: tuple[int, Any]) -> None:
        self._lock.acquire()
        self._count, self._owner = state

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._owner is not None else "unlocked"
        return (
            f"<{state} {type(self).__qualname__} object owner={self._owner!r} count={self._count}>"
        )


class Condition:
    """A green ``threading.Condition`` over a green :class:`RLock` (or the lock given)."""

    def __init__(self, lock: Lock | RLock | None = None) -> None:
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._waiters: deque[Waiter] = deque()

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.__exit__(typ, value, tb)

    def _is_owned(self) -> bool:
        if isinstance(self._lock, RLock):
            return self._lock._is_owned()
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def _release_save(self) -> Any:
        if isinstance(self._lock, RLock):
            return self._lock._release_save()
        self._lock.release()
        return None

    def _acquire_restore(self, state: Any) -> None:
        if isinstance(self._lock, RLock):
            self._lock._acquire_restore(state)
        else:
            self._lock.acquire()

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, wait for a notify (or the timeout), take the lock back.

        Returns:
            False if the timeout passed first.

        Raises:
            RuntimeError: the caller does not hold the lock.
        """
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        hub = get_hub()
        check_not_main_loop(hub, "Condition.wait()")
        waiter = Waiter(hub)
        self._waiters.append(waiter)
        saved = self._release_save()
        notified = False
        try:
            if timeout is None or timeout > 0:
                notified = wait_with_timeout(waiter, timeout, (None,)) is not None
            else:
                notified = waiter.ready
        finally:
            if not waiter.ready:
                self._waiters.remove(waiter)
            elif not notified and waiter.unclaimed:
                notified = True  # notified in the same turn as the timeout: keep the notify
            self._acquire_restore(saved)
        return notified

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        """Wait until ``predicate()`` is true (or the timeout passes); return its last value."""
        deadline = None if timeout is None else get_hub().clock() + timeout
        result = predicate()
        while not result:
            wait = None
            if deadline is not None:
                wait = deadline - get_hub().clock()
                if wait <= 0:
                    break
            self.wait(wait)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiting green threads.

        Raises:
            RuntimeError: the caller does not hold the lock.
        """
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters
        while waiters and n > 0:
            if waiters.popleft().switch(True):
                n -= 1

    def notify_all(self) -> None:
        self.notify(len(self._waiters))

    notifyAll = notify_all  # noqa: N815 - the stdlib's old alias

    def __repr__(self) -> str:
        return f"<Condition({self._lock!r}, {len(self._waiters)})>"


class Semaphore:
    """A green ``threading.Semaphore``."""

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._semaphore = _Semaphore(value)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a permit, waiting up to ``timeout`` (None: forever); True if taken.

        Raises:
            ValueError: a timeout with ``blocking=False``.
        """
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        if timeout is not None and timeout < 0:
            timeout = 0  # the stdlib gives up at once; eventlib's own Semaphore refuses it
        return self._semaphore.acquire(blocking, timeout)

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        for _ in range(n):
            self._semaphore.release()

    def __exit__(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    @property
    def _value(self) -> int:
        return self._semaphore.counter


class BoundedSemaphore(Semaphore):
    """A green ``threading.BoundedSemaphore``: releasing past the initial value is an error."""

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial_value = value

    def release(self, n: int = 1) -> None:
        """Return ``n`` permits.

        Raises:
            ValueError: more permits would be free than the initial value.
        """
        if n < 1:
            raise ValueError("n must be one or more")
        if self._semaphore.counter + n > self._initial_value:
            raise ValueError("Semaphore released too many times")
        super().release(n)


class Event:
    """A green ``threading.Event``: a flag green threads can wait for."""

    def __init__(self) -> None:
        self._flag = False
        self._waiters: list[Waiter] = []

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set  # noqa: N815 - the stdlib's old alias

    def set(self) -> None:
        """Set the flag and wake every waiting green thread; safe from anywhere."""
        self._flag = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.switch(True)

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the flag is set (or the timeout passes); return the flag."""
        if self._flag:
            return True
        if timeout is not None and timeout <= 0:
            return False
        hub = get_hub()
        check_not_main_loop(hub, "Event.wait()")
        waiter = Waiter(hub)
        self._waiters.append(waiter)
        try:
            return wait_with_timeout(waiter, timeout, (None,)) is not None or self._flag
        finally:
            if not waiter.ready:
                self._waiters.remove(waiter)

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} {'set' if self._flag else 'unset'}>"


_local_ids = itertools.count()


class local:
    """Green-thread-local attributes: each green thread sees its own.

    Built on a context variable: every proc (and every greenlet) runs in its
    own ``contextvars`` context, so values never leak from one green thread to
    the next, even when eventlib reuses a greenlet for a new proc.
    """

    __slots__ = ("_eventlib_local_args", "_eventlib_local_var")

    def __new__(cls, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = super().__new__(cls)
        var: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
            f"eventlib.green.threading.local-{next(_local_ids)}"
        )
        object.__setattr__(self, "_eventlib_local_var", var)
        object.__setattr__(self, "_eventlib_local_args", (args, kwargs))
        var.set({})  # the creating green thread's values; __init__ runs for it as usual
        return self

    def _eventlib_dict(self) -> dict[str, Any]:
        var: contextvars.ContextVar[dict[str, Any]] = object.__getattribute__(
            self, "_eventlib_local_var"
        )
        try:
            return var.get()
        except LookupError:
            values: dict[str, Any] = {}
            var.set(values)
            args, kwargs = object.__getattribute__(self, "_eventlib_local_args")
            init = type(self).__init__
            if init is not object.__init__:
                init(self, *args, **kwargs)  # a subclass sets up each green thread's values
            return values

    def __getattribute__(self, name: str) -> Any:
        if name in ("__class__", "_eventlib_dict") or name.startswith("_eventlib_local"):
            return object.__getattribute__(self, name)
        values = object.__getattribute__(self, "_eventlib_dict")()
        if name == "__dict__":
            return values
        if name in values:
            return values[name]
        return object.__getattribute__(self, name)  # methods and class attributes

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__" or name.startswith("_eventlib_local"):
            raise AttributeError(f"{type(self).__name__!r} object attribute {name!r} is read-only")
        object.__getattribute__(self, "_eventlib_dict")()[name] = value

    def __delattr__(self, name: str) -> None:
        values = object.__getattribute__(self, "_eventlib_dict")()
        try:
            del values[name]
        except KeyError:
            raise AttributeError(name) from None


class Thread:
    """A green ``threading.Thread``: ``start()`` runs ``run()`` in a new proc.

    An exception escaping ``run()`` ends the proc and is reported to the hub's
    error hook (logged), as any crashed proc is; ``join()`` does not raise it.
    """

    _counter = itertools.count(1)

    def __init__(
        self,
        group: None = None,
        target: Callable[..., object] | None = None,
        name: str | None = None,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        if group is not None:
            raise AssertionError("group argument must be None for now")
        self._target = target
        self._args = tuple(args)
        self._kwargs = dict(kwargs or {})
        self._name = str(name) if name is not None else f"Thread-{next(Thread._counter)}"
        self._daemonic = bool(daemon)
        self._proc: Proc | None = None

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    @property
    def daemon(self) -> bool:
        return self._daemonic

    @daemon.setter
    def daemon(self, value: bool) -> None:
        if self._proc is not None:
            raise RuntimeError("cannot set daemon status of active thread")
        self._daemonic = bool(value)

    @property
    def ident(self) -> int | None:
        return None if self._proc is None else self._proc.id

    def start(self) -> None:
        """Start ``run()`` in a new proc.

        Raises:
            RuntimeError: the thread was already started.
        """
        if self._proc is not None:
            raise RuntimeError("threads can only be started once")
        self._proc = spawn(self._bootstrap)

    def _bootstrap(self) -> None:
        _current_threads[getcurrent()] = self
        try:
            self.run()
        finally:
            _current_threads.pop(getcurrent(), None)

    def run(self) -> None:
        """Call the target; override in a subclass to do something else."""
        try:
            if self._target is not None:
                self._target(*self._args, **self._kwargs)
        finally:
            del self._target, self._args, self._kwargs  # no reference cycles

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread ends (or the timeout passes; check ``is_alive()``).

        Raises:
            RuntimeError: the thread was never started, or joins itself.
        """
        proc = self._proc
        if proc is None:
            raise RuntimeError("cannot join thread before it is started")
        if proc.greenlet is getcurrent():
            raise RuntimeError("cannot join current thread")
        if proc.ready():
            return
        done = Event()

        def listener(_source: object) -> None:
            done.set()

        proc.link(listener)
        try:
            done.wait(timeout)
        finally:
            proc.unlink(listener)

    def is_alive(self) -> bool:
        return self._proc is not None and not self._proc.ready()

    def __repr__(self) -> str:
        state = "initial" if self._proc is None else "started" if self.is_alive() else "stopped"
        return f"<{type(self).__name__}({self._name}, {state})>"


_current_threads: dict[Any, Thread] = {}


def current_thread() -> Any:
    """The green :class:`Thread` running now, or the stdlib's ``current_thread()`` outside one."""
    thread = _current_threads.get(getcurrent())
    return thread if thread is not None else _stdlib_threading.current_thread()


def get_ident() -> int:
    """An identifier of the current green thread (the greenlet's id)."""
    return id(getcurrent())
