"""Queues between green threads (an alias of :mod:`eventlib.sync` kept for old imports)."""

from eventlib.sync import Channel, Empty, Full, Queue, QueueStatistics

__all__ = ["Channel", "Empty", "Full", "Queue", "QueueStatistics"]
