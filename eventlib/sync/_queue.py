"""Queue and Channel: FIFO hand-off between green threads, bounded or not."""

from __future__ import annotations

import itertools
import queue as stdlib_queue
from collections import deque
from typing import Any

import attrs
from greenlet import getcurrent

from eventlib.hub import (
    BlockingInMainLoopError,
    Waiter,
    check_count,
    check_not_main_loop,
    check_timeout,
    get_hub,
    raise_throw_args,
)
from eventlib.hub._waiter import ThrowArgs
from eventlib.sync._event import wait_with_timeout

__all__ = ["Channel", "Empty", "Full", "Queue", "QueueStatistics"]

Empty = stdlib_queue.Empty
Full = stdlib_queue.Full

# What the queue holds: (value, None) or (None, throw_args).
_Item = tuple[Any, "ThrowArgs | None"]


@attrs.frozen
class QueueStatistics:
    """A snapshot of a :class:`Queue`."""

    size: int
    maxsize: int | None
    getters: int
    putters: int


class Queue:
    """A FIFO queue of values (and exceptions) between green threads.

    ``Queue()`` is unbounded: ``put`` never blocks and is safe from anywhere.
    ``Queue(n)`` holds at most ``n`` items: a green ``put`` on a full queue
    blocks until there is room, and one made from MAIN_LOOP raises
    :class:`BlockingInMainLoopError` at once. ``Queue(0)`` is a rendezvous:
    every put waits for a getter.

    Items go to waiting getters in the order the getters arrived, and a getter
    interrupted (timeout, kill) before it resumed hands its item on to the
    next one, so nothing is lost or reordered. This is also the classic
    ``eventlib.coros.queue`` (``send`` / ``send_exception`` / ``wait``).

    Args:
        maxsize: the capacity (an int >= 0), or None for unbounded. ``max_size``
            is the classic spelling of the same argument.

    Raises:
        TypeError, ValueError: ``maxsize`` is not None or an int >= 0 (a bool is not).
    """

    __slots__ = ("_getters", "_handed", "_items", "_putters", "maxsize")

    def __init__(self, maxsize: int | None = None, *, max_size: int | None = None) -> None:
        if max_size is not None:
            if maxsize is not None:
                raise TypeError("give maxsize or max_size, not both")
            maxsize = max_size
        self.maxsize = check_count(maxsize, "Queue maxsize", minimum=0, allow_none=True)
        self._items: deque[_Item] = deque()
        self._getters: deque[Waiter] = deque()
        # Getters handed an item (in a one-slot list) that have not resumed yet, oldest first.
        self._handed: deque[Waiter] = deque()
        self._putters: deque[tuple[Waiter, _Item]] = deque()

    # -- sizes -------------------------------------------------------------

    def qsize(self) -> int:
        """How many items the queue holds (never more than maxsize, as in the stdlib)."""
        return len(self._items)

    def __len__(self) -> int:
        """Pending items (classic): those held plus those offered by blocked putters."""
        return len(self._items) + len(self._putters)

    def __bool__(self) -> bool:
        """True if items are pending, as ``ready()`` (classic)."""
        return bool(self._items) or bool(self._putters)

    def ready(self) -> bool:
        """True if a get would not block (classic)."""
        return bool(self._items) or bool(self._putters)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return self.maxsize is not None and len(self._items) >= self.maxsize

    @property
    def getting(self) -> int:
        """How many green threads wait in get()."""
        return len(self._getters)

    @property
    def putting(self) -> int:
        """How many green threads wait in put()."""
        return len(self._putters)

    def statistics(self) -> QueueStatistics:
        return QueueStatistics(
            size=len(self._items),
            maxsize=self.maxsize,
            getters=len(self._getters),
            putters=len(self._putters),
        )

    # -- putting -----------------------------------------------------------

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Add ``item`` at the end.

        Raises:
            queue.Full: the queue is full and ``block`` is false, or ``timeout`` passed.
            BlockingInMainLoopError: the queue is full and the caller is MAIN_LOOP.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        getters = self._getters
        if getters and timeout is None:  # the hot path of _put, inlined: hand it over
            waiter = getters.popleft()
            waiter.switch([(item, None)])
            self._handed.append(waiter)
            return
        self._put((item, None), block, timeout, "Queue.put()")

    def put_nowait(self, item: Any) -> None:
        self._put((item, None), False, None, "Queue.put_nowait()")

    def send(self, result: Any = None, exc: Any = None) -> None:
        """Classic put: queue ``result``, or ``exc`` to be raised by the getter."""
        if exc is not None and not isinstance(exc, tuple):
            exc = (exc,)
        self._put((result, exc), True, None, "queue.send()")

    def send_exception(self, *throw_args: Any) -> None:
        """Queue an exception; the getter that takes it raises it."""
        if not throw_args:
            raise TypeError("send_exception() needs an exception (class, instance or exc_info)")
        self._put((None, throw_args), True, None, "queue.send_exception()")

    def _put(self, item: _Item, block: bool, timeout: float | None, what: str) -> None:
        if timeout is not None:
            check_timeout(timeout, f"{what} timeout")
        if self._getters:
            self._hand_to_getter(item)
            return
        maxsize = self.maxsize
        if maxsize is None or len(self._items) < maxsize:
            self._items.append(item)
            return
        if not block or timeout == 0:
            raise Full
        hub = get_hub()
        check_not_main_loop(hub, f"{what} on a full queue")
        waiter = Waiter(hub)
        entry = (waiter, item)
        self._putters.append(entry)
        try:
            wait_with_timeout(waiter, timeout, (Full,))
        except Full:
            if not waiter.unclaimed:
                raise  # else the item went in just as the timeout fired: that is success
        finally:
            if not waiter.ready:
                self._putters.remove(entry)

    # -- getting -----------------------------------------------------------

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return the first item (raising it if it is an exception).

        Raises:
            queue.Empty: the queue is empty and ``block`` is false, or ``timeout`` passed.
            BlockingInMainLoopError: the queue is empty and the caller is MAIN_LOOP.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        value, exc = self._get(block, timeout)
        if exc is not None:
            raise_throw_args(exc)
        return value

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def wait(self) -> Any:
        """Classic get: wait for the next item; return it or raise it."""
        return self.get()

    def _get(self, block: bool, timeout: float | None) -> _Item:
        if timeout is not None:
            check_timeout(timeout, "Queue.get() timeout")
        items = self._items
        if items:
            item = items.popleft()
            if self._putters:
                self._admit_putter()
            return item
        putters = self._putters
        if putters:  # a rendezvous: take straight from the oldest putter
            waiter, item = putters.popleft()
            waiter.switch(True)
            return item
        if not block or timeout == 0:
            raise Empty
        hub = get_hub()
        if getcurrent() is hub.greenlet:
            raise BlockingInMainLoopError("Queue.get() on an empty queue")
        waiter = Waiter(hub)
        self._getters.append(waiter)
        try:
            cell = waiter.get() if timeout is None else wait_with_timeout(waiter, timeout, (Empty,))
        except BaseException:
            self._getter_left(waiter)
            raise
        handed = self._handed
        if handed[0] is waiter:
            handed.popleft()
        else:
            handed.remove(waiter)
        return cell[0]  # type: ignore[no-any-return]

    def _getter_left(self, waiter: Waiter) -> None:
        """A getter was interrupted (timeout, kill): pass on what it was handed, or forget it."""
        if waiter.unclaimed:  # an item was handed over but never taken: pass it on
            self._reclaim(waiter)
        elif not waiter.ready:
            self._getters.remove(waiter)

    def _admit_putter(self) -> None:
        maxsize = self.maxsize
        if maxsize is None or len(self._items) < maxsize:
            waiter, item = self._putters.popleft()
            self._items.append(item)
            waiter.switch(True)

    def _hand_to_getter(self, item: _Item) -> None:
        waiter = self._getters.popleft()
        waiter.switch([item])
        self._handed.append(waiter)

    def _reclaim(self, waiter: Waiter) -> None:
        """Take back the item handed to an interrupted getter, keeping FIFO order.

        Getters handed an item after this one have not resumed either (hand-overs
        are delivered in order), so each takes its predecessor's item instead
        and the last item goes to the next waiting getter or back to the front.
        """
        handed = self._handed
        index = handed.index(waiter)
        del handed[index]
        item = waiter.value[0]
        for later in itertools.islice(handed, index, None):
            cell = later.value
            cell[0], item = item, cell[0]
        self._requeue_front(item)

    def _requeue_front(self, item: _Item) -> None:
        """Put ``item`` back at the head: to the next waiting getter, else the front."""
        if self._getters:
            self._hand_to_getter(item)
        else:
            self._items.appendleft(item)

    def __repr__(self) -> str:
        bound = "unbounded" if self.maxsize is None else f"maxsize={self.maxsize}"
        return (
            f"<{type(self).__name__} {bound} size={len(self._items)} "
            f"getters={len(self._getters)} putters={len(self._putters)}>"
        )


class Channel(Queue):
    """A zero-capacity queue: ``send``/``put`` waits until a receiver takes the item."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0)

    def receive(self, block: bool = True, timeout: float | None = None) -> Any:
        """Take the next item, waiting for a sender."""
        return self.get(block, timeout)
