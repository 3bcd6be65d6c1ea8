"""One-shot events for green threads (an alias of :mod:`eventlib.sync` kept for old imports)."""

from eventlib.sync import NOT_USED, Event, EventStatistics

__all__ = ["NOT_USED", "Event", "EventStatistics"]
