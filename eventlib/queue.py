"""Queues between green threads: :class:`Queue` (bounded or not) and :class:`Channel`."""

from eventlib._queue import Channel, Empty, Full, Queue, QueueStatistics

__all__ = ["Channel", "Empty", "Full", "Queue", "QueueStatistics"]
