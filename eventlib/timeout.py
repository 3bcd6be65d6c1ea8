"""Timeouts for green threads (an alias of :mod:`eventlib.sync` kept for old imports)."""

from eventlib.sync import Timeout, TimeoutError, exc_after, with_timeout

__all__ = ["Timeout", "TimeoutError", "exc_after", "with_timeout"]
