"""One-shot events for green threads."""

from eventlib._event import NOT_USED, Event, EventStatistics

__all__ = ["NOT_USED", "Event", "EventStatistics"]
