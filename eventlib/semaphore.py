"""Semaphores for green threads (an alias of :mod:`eventlib.sync` kept for old imports)."""

from eventlib.sync import BoundedSemaphore, Semaphore, SemaphoreStatistics, metaphore, semaphore

__all__ = ["BoundedSemaphore", "Semaphore", "SemaphoreStatistics", "metaphore", "semaphore"]
