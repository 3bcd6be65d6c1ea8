"""Mailbox: a FIFO of messages for one receiving proc, with selective receive."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import attrs
from greenlet import getcurrent

from eventlib.hub import TimeoutError, Waiter, check_count, check_timeout, get_hub
from eventlib.log import get_logger
from eventlib.mailbox._errors import MailboxClosed, MailboxFull
from eventlib.sync._event import wait_with_timeout

__all__ = ["Mailbox", "MailboxStatistics"]

_log = get_logger()

Match = Callable[[Any], bool]


@attrs.frozen
class MailboxStatistics:
    """A snapshot of a :class:`Mailbox`."""

    depth: int
    capacity: int | None
    blocked_senders: int
    receiver_waiting: bool
    closed: bool


class Mailbox:
    """Messages for one receiver, kept in arrival order.

    Unbounded by default. With a ``capacity``, a full mailbox gives
    back-pressure: a green sender waits for room, and a sender in MAIN_LOOP
    (which cannot wait) gets :class:`MailboxFull`. Nothing is dropped
    silently: sending to a closed mailbox raises :class:`MailboxClosed`.

    ``receive(match)`` takes the first message ``match`` accepts and leaves
    the others where they are (Erlang's selective receive)::

        box = Mailbox()
        box.put(("log", "x"))
        box.put(("reply", 42))
        assert box.receive(lambda m: m[0] == "reply") == ("reply", 42)
        assert box.receive() == ("log", "x")
    """

    __slots__ = ("_closed", "_match", "_messages", "_receiver", "_senders", "capacity")

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = check_count(capacity, "Mailbox capacity", minimum=1, allow_none=True)
        self._messages: deque[Any] = deque()
        self._receiver: Waiter | None = None
        self._match: Match | None = None
        self._senders: deque[tuple[Waiter, Any]] = deque()
        self._closed = False

    def __len__(self) -> int:
        return len(self._messages)

    @property
    def closed(self) -> bool:
        return self._closed

    def statistics(self) -> MailboxStatistics:
        return MailboxStatistics(
            depth=len(self._messages),
            capacity=self.capacity,
            blocked_senders=len(self._senders),
            receiver_waiting=self._receiver is not None,
            closed=self._closed,
        )

    # -- sending -----------------------------------------------------------

    def put(self, message: Any, timeout: float | None = None) -> None:
        """Deliver ``message``; on a full bounded mailbox, wait for room (up to ``timeout``).

        Raises:
            MailboxClosed: the owner has exited.
            MailboxFull: full, and the caller is MAIN_LOOP or the timeout passed.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        if timeout is not None:
            check_timeout(timeout, "Mailbox.put() timeout")
        if self._closed:
            raise MailboxClosed("the mailbox's owner has exited; the message was not delivered")
        capacity = self.capacity
        if capacity is None or len(self._messages) < capacity:
            self._append(message)
            return
        hub = get_hub()
        if getcurrent() is hub.greenlet or timeout == 0:
            _log.warning("mailbox.full", capacity=capacity)
            raise MailboxFull(capacity)
        waiter = Waiter(hub)
        entry = (waiter, message)
        self._senders.append(entry)
        try:
            wait_with_timeout(waiter, timeout, (MailboxFull(capacity),))
        except MailboxFull:
            if waiter.unclaimed:
                return  # room came just as the timeout fired: it was delivered
            _log.warning("mailbox.full", capacity=capacity, waited=timeout)
            raise
        finally:
            if not waiter.ready:
                self._senders.remove(entry)

    send = put

    def _append(self, message: Any) -> None:
        self._messages.append(message)
        receiver = self._receiver
        if receiver is not None:
            match = self._match
            if match is None or _matches(match, message):
                self._receiver = None
                receiver.switch()

    def _admit_sender(self) -> None:
        senders = self._senders
        if senders and (self.capacity is None or len(self._messages) < self.capacity):
            waiter, message = senders.popleft()
            self._append(message)
            waiter.switch(True)

    # -- receiving ---------------------------------------------------------

    def receive(self, match: Match | None = None, timeout: float | None = None) -> Any:
        """Take the first message ``match`` accepts (any message if None), waiting if needed.

        Raises:
            TimeoutError: no matching message within ``timeout``.
            RuntimeError: another green thread is already receiving.
            BlockingInMainLoopError: nothing matches and the caller is MAIN_LOOP.
            TypeError, ValueError: ``match`` is not callable, or ``timeout`` is not None
                or a number of seconds >= 0.
        """
        if match is not None and not callable(match):
            raise TypeError(
                f"receive() match must be None or a callable taking a message and returning "
                f"true to take it, got {match!r}"
            )
        if timeout is not None:
            check_timeout(timeout, "receive() timeout")
        messages = self._messages
        if match is None:  # the hot path, with _take inlined
            while True:
                if messages:
                    message = messages.popleft()
                    if self._senders:
                        self._admit_sender()
                    return message
                self._wait_for_message(None, timeout)
        scanned = 0
        while True:
            found, scanned = self._take(match, scanned)
            if found is not _NOTHING:
                return found
            self._wait_for_message(match, timeout)

    def _wait_for_message(self, match: Match | None, timeout: float | None) -> None:
        """Park the receiver until a message ``match`` may accept arrives, or time out."""
        if self._receiver is not None:
            raise RuntimeError("a mailbox has one receiver; another green thread is receiving")
        if timeout == 0:
            raise TimeoutError("no matching message in the mailbox (timeout=0)")
        waiter = Waiter(get_hub())
        self._receiver = waiter
        self._match = match
        try:
            if timeout is None:
                waiter.get()
            else:
                wait_with_timeout(waiter, timeout, ())
        finally:
            if self._receiver is waiter:
                self._receiver = None
            self._match = None

    def _take(self, match: Match | None, start: int) -> tuple[Any, int]:
        messages = self._messages
        if not messages:
            return _NOTHING, 0
        if match is None:
            message = messages.popleft()
            self._admit_sender()
            return message, 0
        for index in range(start, len(messages)):
            message = messages[index]
            if match(message):
                del messages[index]
                self._admit_sender()
                return message, index
        return _NOTHING, len(messages)

    def receive_nowait(self, match: Match | None = None) -> Any:
        """Like :meth:`receive` with ``timeout=0``."""
        return self.receive(match, 0)

    # -- closing -----------------------------------------------------------

    def close(self) -> list[Any]:
        """Refuse further messages and return the undelivered ones.

        Senders blocked on a full mailbox get :class:`MailboxClosed`.
        """
        self._closed = True
        pending = list(self._messages)
        self._messages.clear()
        senders, self._senders = self._senders, deque()
        for waiter, message in senders:
            pending.append(message)
            waiter.throw(MailboxClosed("the mailbox's owner exited while the sender waited"))
        return pending

    def __repr__(self) -> str:
        bound = "unbounded" if self.capacity is None else f"capacity={self.capacity}"
        return f"<Mailbox {bound} depth={len(self._messages)}{' closed' if self._closed else ''}>"


class _Nothing:
    pass


_NOTHING: Any = _Nothing()


def _matches(match: Match, message: Any) -> bool:
    try:
        return bool(match(message))
    except Exception:
        return True
