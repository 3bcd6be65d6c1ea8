"""Helpers of the classic ``eventlib.twistedutil.protocol``, kept for code that uses them.

The green transports no longer need them; they behave as they always did.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IPullProducer
from zope.interface import implementer

from eventlib.hub import raise_throw_args
from eventlib.sync import Event as _BaseEvent
from eventlib.sync import Queue

__all__ = ["Event", "Producer2Event", "ValueQueue"]


class ValueQueue(Queue):
    """A queue whose last item, once it is an exception, stays forever.

    Useful to send an end-of-stream error once and have every later ``wait()``
    raise it: after an exception, plain ``send``s are dropped, and ``wait()``
    raises a lone trailing exception without removing it.
    """

    __slots__ = ()

    def send(self, result: Any = None, exc: Any = None) -> None:
        """Queue ``result`` (dropped once the queue ends with an exception) or ``exc``."""
        if exc is not None or not self.has_error():
            super().send(result, exc)

    def wait(self) -> Any:
        """Take the next item; an exception that is the last item is raised but kept."""
        items = self._items
        if len(items) == 1 and items[0][1] is not None:
            raise_throw_args(items[0][1])
        item = self._get(True, None)
        value, exc = item
        if exc is None:
            return value
        if not self._items:  # it was the last item: keep it for the next waiter
            self._requeue_front(item)
        raise_throw_args(exc)
        return None  # unreachable: raise_throw_args raised

    def has_error(self) -> bool:
        """True if the last queued item is an exception."""
        items = self._items
        return bool(items) and items[-1][1] is not None


class Event(_BaseEvent):
    """An event that can be sent again: a send on a sent event resets it first."""

    __slots__ = ()

    def send(self, result: Any = None, exc: Any = None) -> None:
        if self.ready():
            self.reset()
        super().send(result, exc)

    def send_exception(self, *throw_args: Any) -> None:
        if self.ready():
            self.reset()
        super().send_exception(*throw_args)


@implementer(IPullProducer)
class Producer2Event:
    """A pull producer that sends ``1`` to ``event`` whenever the consumer asks for data."""

    def __init__(self, event: Any) -> None:
        self.event = event

    def resumeProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self.event.send(1)

    def stopProducing(self) -> None:  # noqa: N802 - Twisted's interface
        del self.event
