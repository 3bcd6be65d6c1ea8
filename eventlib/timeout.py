"""Timeouts for green threads: :class:`Timeout`, :func:`with_timeout`, :func:`exc_after`."""

from eventlib._timeout import Timeout, TimeoutError, exc_after, with_timeout

__all__ = ["Timeout", "TimeoutError", "exc_after", "with_timeout"]
