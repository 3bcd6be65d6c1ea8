"""Actor: an object whose proc serves its mailbox; cast and call."""

from __future__ import annotations

from typing import Any, Self

from greenlet import getcurrent

from eventlib.hub import (
    BlockingInMainLoopError,
    Hub,
    TimeoutError,
    Waiter,
    check_not_main_loop,
    check_timeout,
    get_hub,
)
from eventlib.log import get_logger
from eventlib.mailbox._errors import (
    ActorDied,
    ActorError,
    ActorNotRunning,
    CallFailed,
    MailboxClosed,
    MailboxFull,
)
from eventlib.mailbox._mailbox import Mailbox
from eventlib.proc import ExitReason, Proc, current_proc
from eventlib.sync import Event
from eventlib.sync._event import timeout_now, wait_with_timeout

__all__ = ["Actor"]

_log = get_logger()

_CAST = 0
_CALL = 1
_STOP = 2


class _Reply(Waiter):
    """The reply slot of one local call: a bare Waiter, with the ``send``/``send_exception``
    that the actor's proc calls on every reply (an Event's, or a remote node's reply)."""

    __slots__ = ()

    send = Waiter.switch
    send_exception = Waiter.throw


class Actor:
    """An object with a mailbox and a proc that handles its messages one at a time.

    Subclass it and override :meth:`handle` (and optionally :meth:`on_start`,
    :meth:`on_stop`). ``cast`` sends without waiting; ``call`` waits for the
    value :meth:`handle` returns. An exception in :meth:`handle` fails the
    actor (its proc exits with reason error) and the pending caller gets
    :class:`CallFailed`. A call to a dead actor raises :class:`ActorNotRunning`
    at once, and a caller whose actor dies mid-call gets :class:`ActorDied`
    at once — both through a link, never by waiting for the timeout.

    Example::

        class Counter(Actor):
            def on_start(self):
                self.total = 0

            def handle(self, message):
                self.total += message
                return self.total

        counter = Counter.spawn()
        counter.cast(2)
        assert counter.call(3) == 5
        counter.stop()

    Class attributes:
        capacity: the mailbox capacity (None: unbounded).
    """

    capacity: int | None = None
    proc: Proc | None = None
    mailbox: Mailbox

    @classmethod
    def spawn(cls, *args: Any, **kwargs: Any) -> Self:
        """Create an actor with these constructor arguments and start it."""
        return cls(*args, **kwargs).start()

    def start(self, name: str | None = None) -> Self:
        """Start this actor's proc (once); returns self."""
        if self.proc is not None:
            raise ActorError(f"{self!r} was already started")
        self.mailbox = Mailbox(self.capacity)
        # The replies owed to callers (local ones, and eventlib.remote's) for _exited.
        self._pending: set[_Reply | Event] = set()
        proc = Proc(name=name or type(self).__qualname__)
        self.proc = proc
        proc.run(self._serve)
        # One link for all callers (cheaper than a link per call): when the proc
        # exits for any reason, even killed before it ran, pending calls fail at once.
        proc.link(self._exited)
        return self

    # -- hooks -------------------------------------------------------------

    def on_start(self) -> None:
        """Called in the actor's proc before the first message."""

    def handle(self, message: Any) -> Any:
        """Handle one message; the return value is the reply to a call."""
        raise NotImplementedError(f"{type(self).__name__} must override handle()")

    def on_stop(self) -> None:
        """Called in the actor's proc when it stops (gracefully, or failing)."""

    # -- the actor's proc --------------------------------------------------

    def _serve(self) -> None:
        mailbox = self.mailbox
        try:
            self.on_start()
            while True:
                kind, message, reply = mailbox.receive()
                if kind == _STOP:
                    reply.send(None)
                    return
                try:
                    result = self.handle(message)
                except Exception as exc:
                    # A kill (GreenletExit) is not the handler failing: _exited
                    # answers the caller with ActorDied instead.
                    if reply is not None:
                        reply.send_exception(CallFailed(self, exc))
                    raise
                if reply is not None:
                    reply.send(result)
        finally:
            try:
                self.on_stop()
            finally:
                undelivered = mailbox.close()
                if undelivered:
                    _log.warning(
                        "mailbox.undelivered",
                        actor=repr(self),
                        count=len(undelivered),
                        calls=sum(1 for m in undelivered if m[0] == _CALL),
                    )

    # -- messaging ---------------------------------------------------------

    def _running_proc(self) -> Proc:
        proc = self.proc
        if proc is None or proc.dead:
            raise ActorNotRunning(f"{self!r} is not running")
        return proc

    def cast(self, message: Any) -> None:
        """Send ``message`` for :meth:`handle`; don't wait for it to be handled.

        Raises:
            ActorNotRunning: the actor has exited (the message would be lost).
            MailboxFull: the bounded mailbox is full and the caller cannot wait.
        """
        self._running_proc()
        self.mailbox.put((_CAST, message, None))

    def call(self, message: Any, timeout: float | None = 5) -> Any:
        """Send ``message`` and wait for :meth:`handle`'s return value.

        ``timeout`` bounds the whole call: waiting for room in a full bounded
        mailbox (the message is then not delivered) and waiting for the reply.

        Raises:
            TimeoutError: no reply within ``timeout`` seconds.
            CallFailed: the handler raised (the actor has failed).
            ActorDied: the actor exited before replying.
            ActorNotRunning: the actor had already exited.
            BlockingInMainLoopError: called from MAIN_LOOP; nothing was sent.
        """
        check_timeout(timeout, "Actor.call() timeout")
        hub = get_hub()
        current = getcurrent()
        # Refused before sending: else the actor would do the work the caller was told failed.
        if current is hub.greenlet:
            raise BlockingInMainLoopError("Actor.call()")
        proc = self.proc
        if proc is None or proc.dead:
            raise ActorNotRunning(f"{self!r} is not running")
        if getattr(current, "proc", None) is proc:
            raise ActorError(f"{self!r} cannot call itself: it would wait for itself forever")
        reply = _Reply(hub)
        pending = self._pending
        pending.add(reply)
        try:
            try:
                remaining = self._send_within(hub, (_CALL, message, reply), timeout, "call")
            except MailboxClosed:
                # It exited while we waited for room: _exited answers this call with ActorDied.
                remaining = timeout
            if remaining is None:
                return reply.get()
            if remaining == 0 and not reply.ready:
                return timeout_now(())  # raises TimeoutError, as Event.wait(0) does
            return wait_with_timeout(reply, remaining, ())
        except TimeoutError:
            _log.warning("call.timed_out", actor=repr(self), timeout=timeout)
            raise
        finally:
            pending.discard(reply)

    def _send_within(
        self,
        hub: Hub,
        entry: tuple[int, Any, _Reply | Event],
        timeout: float | None,
        what: str,
    ) -> float | None:
        """Put ``entry`` in the mailbox within ``timeout``; return the time left of it."""
        mailbox = self.mailbox
        if timeout is None or mailbox.capacity is None:
            mailbox.put(entry)  # cannot wait: the whole timeout is left
            return timeout
        deadline = hub.clock() + timeout
        try:
            mailbox.put(entry, timeout)
        except MailboxFull as exc:
            raise TimeoutError(
                f"{self!r}: {what} timed out after {timeout} s waiting for room in its full "
                f"mailbox (capacity {exc.capacity}); the message was not delivered"
            ) from exc
        return max(0.0, deadline - hub.clock())

    def _exited(self, proc: Proc) -> None:
        reason = (proc.exit_reason or ExitReason.KILLED).value
        error = proc.exc_info()[1]
        for reply in list(self._pending):
            if isinstance(reply, _Reply):
                reply.throw(ActorDied(self, reason, error))  # a no-op once answered
            elif not reply.ready():
                reply.send_exception(ActorDied(self, reason, error))

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the messages already queued; wait until the proc has exited.

        ``timeout`` bounds the wait, including the wait for room in a full mailbox.

        Raises:
            TimeoutError: the actor had not exited within ``timeout`` seconds.
            BlockingInMainLoopError: called from MAIN_LOOP (nothing was sent): use
                ``kill()`` there, or stop it from a proc.
        """
        check_timeout(timeout, "Actor.stop() timeout")
        proc = self.proc
        if proc is None or proc.dead:
            return
        hub = get_hub()
        check_not_main_loop(hub, "Actor.stop()")
        if current_proc() is proc:
            try:
                self.mailbox.put((_STOP, None, Event()), 0)
            except MailboxFull:
                raise ActorError(
                    f"{self!r} cannot queue its own stop: its mailbox is full; raise "
                    "eventlib.ProcExit in handle() to stop now, or raise the capacity"
                ) from None
            return
        try:
            remaining = self._send_within(hub, (_STOP, None, Event()), timeout, "stop")
        except MailboxClosed:
            remaining = timeout  # it is exiting already: wait for that
        proc.wait(remaining)

    # -- proc-like ---------------------------------------------------------

    def link(self, listener: Any = None) -> Any:
        return self._proc().link(listener)

    def unlink(self, listener: Any = None) -> None:
        self._proc().unlink(listener)

    def wait(self, timeout: float | None = None) -> Any:
        return self._proc().wait(timeout)

    def kill(self, *throw_args: Any) -> None:
        self._proc().kill(*throw_args)

    @property
    def dead(self) -> bool:
        return self.proc is not None and self.proc.dead

    def _proc(self) -> Proc:
        if self.proc is None:
            raise ActorNotRunning(f"{self!r} was never started")
        return self.proc

    def __repr__(self) -> str:
        proc = self.proc
        state = "new" if proc is None else (f"proc={proc.id}" + (" dead" if proc.dead else ""))
        return f"<{type(self).__name__} {state}>"
