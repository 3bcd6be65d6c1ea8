"""Synchronisation between green threads: events, queues, semaphores and timeouts.

The layer above the hub: everything here parks the calling proc and lets the
reactor run the others, and raises :class:`~eventlib.hub.BlockingInMainLoopError`
at once when called from MAIN_LOOP (a Twisted callback), where nothing can park.

- :class:`Event`: a one-shot result (or exception) that any number of procs wait for.
- :class:`Queue`: a FIFO, bounded or not; :class:`Channel`: a queue of size 0 (rendezvous).
- :class:`Semaphore`, :class:`BoundedSemaphore`: counters that block at zero.
- :class:`Timeout`, :func:`with_timeout`, :func:`exc_after`: interrupt a blocking call.

The same names are exported by :mod:`eventlib`; the classic spellings
(``coros.event``, ``coros.queue``, ...) live in :mod:`eventlib.coros`.
"""

from eventlib.sync._event import NOT_USED, Event, EventStatistics
from eventlib.sync._queue import Channel, Empty, Full, Queue, QueueStatistics
from eventlib.sync._semaphore import (
    BoundedSemaphore,
    Semaphore,
    SemaphoreStatistics,
    metaphore,
    semaphore,
)
from eventlib.sync._timeout import Timeout, TimeoutError, exc_after, with_timeout

__all__ = [
    "NOT_USED",
    "BoundedSemaphore",
    "Channel",
    "Empty",
    "Event",
    "EventStatistics",
    "Full",
    "Queue",
    "QueueStatistics",
    "Semaphore",
    "SemaphoreStatistics",
    "Timeout",
    "TimeoutError",
    "exc_after",
    "metaphore",
    "semaphore",
    "with_timeout",
]
