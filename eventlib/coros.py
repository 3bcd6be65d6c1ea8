"""Classic synchronisation names of eventlib: event, queue, semaphores, Actor.

These are the same objects as the modern names (``coros.event`` is
:class:`eventlib.Event`, ``coros.queue`` is :class:`eventlib.Queue`); this
module only keeps the classic spelling importable.
"""

from __future__ import annotations

from typing import Any

from eventlib.pool import Pool as CoroutinePool
from eventlib.proc import spawn
from eventlib.sync import (
    NOT_USED,
    BoundedSemaphore,
    Channel,
    Event,
    Queue,
    Semaphore,
    metaphore,
    semaphore,
)

__all__ = [
    "NOT_USED",
    "Actor",
    "BoundedSemaphore",
    "Cancelled",
    "Channel",
    "CoroutinePool",
    "Event",
    "Queue",
    "Semaphore",
    "event",
    "execute",
    "metaphore",
    "queue",
    "semaphore",
]

event = Event
queue = Queue


class Cancelled(RuntimeError):
    """Classic: an operation was cancelled."""


def execute(func: Any, *args: Any, **kwargs: Any) -> Event:
    """Run ``func(*args, **kwargs)`` in a new proc; return an event with its outcome.

    Unlike the original, a failure is sent to the event (and logged) instead
    of leaving the event unfired forever.
    """
    result = Event()
    spawn(func, *args, **kwargs).link(result)
    return result


class Actor:
    """Classic actor: a mailbox served by a proc that calls :meth:`received` per message.

    Up to ``concurrency`` messages are handled at once. Subclass and override
    :meth:`received`; :meth:`cast` never blocks.
    """

    def __init__(self, concurrency: int = 1) -> None:
        self._mailbox: Queue = Queue()
        self._pool = CoroutinePool(max_size=concurrency)
        self._killer = spawn(self.run_forever)

    def run_forever(self) -> None:
        """Serve the mailbox (runs in the actor's own proc)."""
        while True:
            message = self._mailbox.get()
            self._pool.execute_async(self.received, message)

    def cast(self, message: Any) -> None:
        """Queue ``message`` for :meth:`received`; never blocks."""
        self._mailbox.put(message)

    def received(self, message: Any) -> None:
        """Handle one message; override this."""
        raise NotImplementedError(f"{type(self).__name__} must override received()")
