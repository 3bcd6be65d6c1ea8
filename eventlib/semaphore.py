"""Semaphores for green threads."""

from eventlib._semaphore import (
    BoundedSemaphore,
    Semaphore,
    SemaphoreStatistics,
    metaphore,
    semaphore,
)

__all__ = ["BoundedSemaphore", "Semaphore", "SemaphoreStatistics", "metaphore", "semaphore"]
