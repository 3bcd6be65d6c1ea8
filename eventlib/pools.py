"""The classic generic resource pool: ``Pool`` of items made by ``create()``, and ``TokenPool``.

Not to be confused with :mod:`eventlib.pool` (a pool of *procs*). Here a pool
hands out reusable items (connections, say): ``get()`` takes one, making a new
one with ``create()`` while fewer than ``max_size`` exist, else waiting for
someone to ``put()`` one back.

Example::

    class Connections(Pool):
        def create(self):
            return connect_to_database()

    connections = Connections(max_size=10)
    with connections.item() as conn:
        conn.execute("SELECT 1")
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventlib.proc import spawn, waitall
from eventlib.sync import Queue

__all__ = ["AllFailed", "FanFailed", "Pool", "SomeFailed", "Token", "TokenPool"]


class FanFailed(RuntimeError):
    """:meth:`Pool.fan`: a block raised; ``args[0]`` is the list of results and exceptions."""


class SomeFailed(FanFailed):
    """:meth:`Pool.fan`: some of the blocks raised."""


class AllFailed(FanFailed):
    """:meth:`Pool.fan`: every block raised."""


class Pool:
    """Items handed out by ``get()`` and given back by ``put()``; subclass and override ``create``.

    Always give back what you take (or use :meth:`item`)::

        thing = pool.get()
        try:
            use(thing)
        finally:
            pool.put(thing)

    Args:
        min_size: items created up front.
        max_size: most items in existence at once; ``get()`` waits beyond.
            Changing it (``resize``) affects later ``get``/``put`` calls only:
            items handed out stay out, and surplus items are dropped as they
            come back.
        order_as_stack: hand out the most recently returned item first
            (default: the least recently returned, round robin).
    """

    def __init__(self, min_size: int = 0, max_size: int = 4, order_as_stack: bool = False) -> None:
        if min_size < 0 or min_size > max_size:
            raise ValueError(
                f"a pool needs 0 <= min_size <= max_size, got min_size={min_size}, "
                f"max_size={max_size}"
            )
        self.min_size = min_size
        self.max_size = max_size
        self.order_as_stack = order_as_stack
        self.current_size = 0
        self.free_items: deque[Any] = deque()
        self.channel = Queue(0)  # hands a returned item straight to a waiting get()
        for _ in range(min_size):
            self.free_items.append(self.create())
            self.current_size += 1

    def create(self) -> Any:
        """Make a new item; subclasses must override this."""
        raise NotImplementedError(
            f"{type(self).__name__} must override create() to make the pool's items"
        )

    def get(self) -> Any:
        """Take an item: a free one, else a new one (below ``max_size``), else wait for one.

        Raises:
            BlockingInMainLoopError: it would have to wait, and the caller is MAIN_LOOP.
        """
        if self.free_items:
            return self.free_items.popleft()
        if self.channel.qsize():  # handed to a get() that was interrupted before it resumed
            return self.channel.get_nowait()
        if self.current_size < self.max_size:
            created = self.create()
            self.current_size += 1
            return created
        return self.channel.get()

    def put(self, item: Any) -> None:
        """Give ``item`` back: to the oldest waiting ``get()``, else to the free items.

        An item coming back while the pool holds more than ``max_size`` (it
        was shrunk) is dropped instead.
        """
        if self.current_size > self.max_size:
            self.current_size -= 1
            return
        if self.channel.getting:
            self.channel.put(item)
        elif self.order_as_stack:
            self.free_items.appendleft(item)
        else:
            self.free_items.append(item)

    @contextmanager
    def item(self) -> Iterator[Any]:
        """``with pool.item() as thing:`` takes an item and gives it back on the way out."""
        thing = self.get()
        try:
            yield thing
        finally:
            self.put(thing)

    def resize(self, new_size: int) -> None:
        """Set ``max_size`` (see the class docstring for when it takes effect)."""
        self.max_size = new_size

    def free(self) -> int:
        """How many ``get()`` calls would not wait now."""
        return len(self.free_items) + self.channel.qsize() + self.max_size - self.current_size

    def waiting(self) -> int:
        """How many ``get()`` calls wait for an item."""
        return self.channel.getting

    def fan(self, block: Callable[[Any, Any], Any], input_list: Sequence[Any]) -> list[Any]:
        """Run ``block(item, input)`` for each input, each in a proc with its own pool item.

        Returns:
            the results, in input order.

        Raises:
            SomeFailed: some blocks raised (``args[0]``: results, exceptions in their slots).
            AllFailed: every block raised.
        """
        procs = [spawn(self._invoke, block, self.get(), value) for value in input_list]
        results = waitall(procs)
        failed = sum(isinstance(result, Exception) for result in results)
        if failed and failed == len(results):
            raise AllFailed(results)
        if failed:
            raise SomeFailed(results)
        return results

    def _invoke(self, block: Callable[[Any, Any], Any], item: Any, value: Any) -> Any:
        try:
            return block(item, value)
        except Exception as exc:
            return exc
        finally:
            self.put(item)


class Token:
    """An item of a :class:`TokenPool`: the right to use some limited resource."""


class TokenPool(Pool):
    """A pool of :class:`Token` objects: at most ``max_size`` holders at once."""

    def create(self) -> Token:
        return Token()
