"""Source: a one-shot result with listeners (links); the link machinery of procs."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from types import FunctionType, MethodType, TracebackType
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812

from eventlib.hub import (
    BlockingInMainLoopError,
    Hub,
    Waiter,
    check_timeout,
    exception_from_throw_args,
    get_hub,
    raise_throw_args,
)
from eventlib.log import STATE as _LOG
from eventlib.log._events import link_fired
from eventlib.proc._exceptions import LinkedCompleted, getLinkedFailed
from eventlib.sync._event import NOT_USED, timeout_now, wait_with_timeout

if TYPE_CHECKING:
    from eventlib.hub._waiter import ThrowArgs

__all__ = ["Link", "Source"]

_PROPAGATE = (KeyboardInterrupt, SystemExit, GreenletExit)

# Link kinds: a bit per outcome, both for waiters.
_VALUE = 1
_EXCEPTION = 2
_WAIT = 3


class Link:
    """A registered listener of a :class:`Source`; ``cancel()`` (or leaving ``with``) unlinks it."""

    __slots__ = ("listener", "source")

    def __init__(self, source: Source, listener: Any) -> None:
        self.source = source
        self.listener = listener

    def cancel(self) -> None:
        self.source.unlink(self.listener)

    def __enter__(self) -> Link:
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    def __call__(self, source: Source) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.listener!r} of {self.source!r}>"


class ThrowLink(Link):
    """Listener with ``throw`` (a greenlet or Proc): gets a LinkedExited subclass thrown in."""

    __slots__ = ()

    def __call__(self, source: Source) -> None:
        listener = self.listener
        if getattr(listener, "dead", False):
            return
        error: BaseException
        if source._exc is None:
            error = LinkedCompleted(source.name)
        else:
            typ, value, tb = source.exc_info()
            error = getLinkedFailed(source.name, typ, value, tb)
        if _is_current(listener):
            raise error
        listener.throw(error)


class SendLink(Link):
    """Listener with ``send``/``send_exception`` (an event, queue, Source...)."""

    __slots__ = ()

    def __call__(self, source: Source) -> None:
        exc = source._exc
        if exc is None:
            self.listener.send(source._result)
        else:
            self.listener.send_exception(*source.exc_info())


class CallLink(Link):
    """A callable listener: called with the source."""

    __slots__ = ()

    def __call__(self, source: Source) -> None:
        self.listener(source)


def make_link(source: Source, listener: Any) -> Link:
    """The link kind that fits ``listener`` (checked in this order: throw, send, callable)."""
    if _is_plain_function(listener):  # the usual case, without two failed attribute lookups
        return CallLink(source, listener)
    if hasattr(listener, "throw"):
        listener = _proc_of(listener)
        return ThrowLink(source, listener)
    if hasattr(listener, "send"):
        return SendLink(source, listener)
    if callable(listener):
        return CallLink(source, listener)
    raise TypeError(f"Don't know how to link to {listener!r}")


def default_listener(what: str) -> Any:
    """The current proc if the caller runs in one, else the current greenlet."""
    current = getcurrent()
    proc = getattr(current, "proc", None)
    if proc is not None:
        return proc
    hub = get_hub()
    if current is hub.greenlet:
        raise ValueError(
            f"{what} with no listener links MAIN_LOOP, which cannot receive LinkedExited; "
            "pass a listener (a proc, an event, a queue or a callable)"
        )
    return current


class Source:
    """A result sent once (value or exception) that listeners can link to.

    ``link_value`` listeners hear about a value, ``link_exception`` listeners
    about an exception, ``link`` listeners about both. Listeners are notified
    from MAIN_LOOP on the hub turn after the result arrives, each at most once,
    in the order they linked; an error in one goes to the hub's error hook and
    the others still run. Linking after the result arrived schedules the
    notification at once (or, when the listener is the calling green thread,
    raises the LinkedExited in it right away).

    Example::

        source = Source("job")
        done = Event()
        source.link(done)          # an Event listener gets send()/send_exception()
        source.send(42)
        assert done.wait() == 42
    """

    __slots__ = ("__weakref__", "_exc", "_links", "_name", "_result", "exception_observed")

    def __init__(self, name: Any = None) -> None:
        self._name = name
        self._result: Any = NOT_USED
        self._exc: ThrowArgs | None = None
        # Links and waiters in registration order, keyed by (listener, kind):
        # they are notified in the order they were made, as in the classic API.
        self._links: dict[tuple[Any, int], Any] | None = None
        self.exception_observed = False
        """True once wait() has raised this source's exception in someone."""

    @property
    def name(self) -> Any:
        return self._name

    @name.setter
    def name(self, value: Any) -> None:
        self._name = value

    @property
    def value(self) -> Any:
        """The value sent; ``NOT_USED`` until then and None after an exception."""
        if self._exc is not None:
            return None
        return self._result

    def ready(self) -> bool:
        """True once the result arrived."""
        return self._result is not NOT_USED

    def has_value(self) -> bool:
        return self._result is not NOT_USED and self._exc is None

    def has_exception(self) -> bool:
        return self._exc is not None

    def exc_info(self) -> tuple[Any, Any, Any]:
        """``(type, value, traceback)`` of the exception sent, else three Nones.

        Classic normalisation of the ``send_exception`` arguments: a class
        alone gives ``(cls, None, None)``, an instance ``(type, instance,
        None)``, a ``(type, value, tb)`` tuple itself.
        """
        exc = self._exc
        if exc is None:
            return (None, None, None)
        typ = exc[0]
        tb = exc[2] if len(exc) > 2 else None
        if isinstance(typ, BaseException):
            return (type(typ), typ, tb)
        value = exc[1] if len(exc) > 1 else None
        if value is not None and not isinstance(value, typ):
            value = exception_from_throw_args(exc)  # throw(ValueError, "message") style
        return (typ, value, tb)

    # -- sending -----------------------------------------------------------

    def send(self, value: Any = None) -> None:
        """Fire with ``value``.

        Raises:
            AssertionError: already fired.
        """
        if self._result is not NOT_USED:
            raise AssertionError(f"{self!r} has been fired already")
        self._result = value
        links = self._links
        if links:
            for _, kind in links:
                if kind != _EXCEPTION:
                    get_hub().schedule_soon(self._notify)
                    return
            # Only listeners of an exception (say a start_child_nowait caller's): none hears
            # of a value, so none is kept, and no hub turn is spent on them.
            self._links = None

    def send_exception(self, *throw_args: Any) -> None:
        """Fire with an exception (greenlet.throw arguments).

        Raises:
            AssertionError: already fired.
        """
        if self._result is not NOT_USED:
            raise AssertionError(f"{self!r} has been fired already")
        if not throw_args:
            raise TypeError("send_exception() needs an exception (class, instance or exc_info)")
        self._result = None
        self._exc = throw_args
        self._fired()

    def _fired(self) -> None:
        if self._links:
            get_hub().schedule_soon(self._notify)

    def _notify(self) -> None:
        links = self._links
        if not links:
            return
        outcome = _VALUE if self._exc is None else _EXCEPTION
        hub: Hub | None = None
        while links:
            key = next(iter(links))
            entry = links.pop(key)
            listener, kind = key
            if kind == _WAIT:
                entry.switch_now()
                continue
            if not kind & outcome:
                continue
            if _LOG.enabled:
                link_fired(self, listener, "value" if outcome == _VALUE else "exception")  # type: ignore[arg-type]
            try:
                entry(self)
            except _PROPAGATE:
                raise
            except BaseException as error:
                hub = hub or get_hub()
                hub.handle_error(entry, (type(error), error, error.__traceback__))

    # -- linking -----------------------------------------------------------

    def link_value(self, listener: Any = None, link: Link | None = None) -> Link | None:
        """Notify ``listener`` when a value arrives (never on an exception).

        Returns:
            the link (``cancel()`` removes it), or None if an exception already arrived.
        """
        if self._exc is not None:
            return None
        return self._link(_VALUE, listener, link, "link_value()")

    def link_exception(self, listener: Any = None, link: Link | None = None) -> Link | None:
        """Notify ``listener`` when an exception arrives (never on a value)."""
        if self._result is not NOT_USED and self._exc is None:
            return None
        return self._link(_EXCEPTION, listener, link, "link_exception()")

    def link(self, listener: Any = None, link: Link | None = None) -> Link:
        """Notify ``listener`` when the result arrives, value or exception.

        Args:
            listener: a greenlet or proc (gets LinkedCompleted / LinkedFailed /
                LinkedKilled thrown in), an object with ``send`` and
                ``send_exception`` (an event or queue), or a callable (called
                with this source). Default: the calling proc or greenlet.
            link: a prebuilt link to register instead of the default one.
        """
        if listener is None:
            listener = default_listener("link()")
        if link is None:
            link = make_link(self, listener)
        if self._result is not NOT_USED:
            return self._link(_VALUE if self._exc is None else _EXCEPTION, listener, link, "")
        # Pending: both kinds at once (what two _link calls would do, without their checks).
        listener = _proc_of(listener)
        links = self._links
        if links is None:
            links = self._links = {}
        on_value, on_exception = (listener, _VALUE), (listener, _EXCEPTION)
        links.pop(on_value, None)  # relinking replaces, and moves the link to the end
        links.pop(on_exception, None)
        links[on_value] = link
        links[on_exception] = link
        return link

    def _link(self, kind: int, listener: Any, link: Link | None, what: str) -> Link:
        if listener is None:
            listener = default_listener(what)
        if link is None:
            link = make_link(self, listener)
        listener = _proc_of(listener)
        if self._result is not NOT_USED and _is_current(listener):
            link(self)  # the caller is the listener: it hears about it right now
            return link
        links = self._links
        if links is None:
            links = self._links = {}
        key = (listener, kind)
        links.pop(key, None)  # relinking replaces, and moves the link to the end
        links[key] = link
        if self._result is not NOT_USED:
            get_hub().schedule_soon(self._notify)
        return link

    def unlink(self, listener: Any = None) -> None:
        """Remove ``listener`` (default: the calling proc or greenlet); silent if absent."""
        listener = _proc_of(getcurrent() if listener is None else listener)
        links = self._links
        if links is not None:
            links.pop((listener, _VALUE), None)
            links.pop((listener, _EXCEPTION), None)

    def getLink(self, listener: Any) -> Link:  # noqa: N802 - classic name
        """The link kind that fits ``listener``."""
        return make_link(self, listener)

    # -- waiting -----------------------------------------------------------

    def wait(self, timeout: float | None = None, *throw_args: Any) -> Any:
        """Wait for the result; return the value or raise the exception.

        Args:
            timeout: give up after this many seconds; 0 polls without blocking.
            throw_args: on timeout raise these instead of TimeoutError; ``None``
                alone makes the timeout return None.

        Raises:
            BlockingInMainLoopError: not ready, and called from MAIN_LOOP.
            TypeError, ValueError: ``timeout`` is not None or a number of seconds >= 0.
        """
        if timeout is not None:
            check_timeout(timeout, "wait() timeout")
        if self._result is NOT_USED:
            if timeout == 0:
                return timeout_now(throw_args)
            hub = get_hub()
            # Inline rather than check_not_main_loop(): format the message only on error.
            if getcurrent() is hub.greenlet:
                raise BlockingInMainLoopError(f"{type(self).__name__}.wait()")
            waiter = Waiter(hub)
            links = self._links
            if links is None:
                links = self._links = {}
            key = (waiter, _WAIT)
            links[key] = waiter
            try:
                wait_with_timeout(waiter, timeout, throw_args)
            finally:
                if not waiter.ready:
                    links.pop(key, None)
            if self._result is NOT_USED:  # a silent timeout
                return None
        if self._exc is not None:
            self.exception_observed = True
            raise_throw_args(self._exc)
        return self._result

    def __await__(self) -> Generator[Any, None, Any]:
        """``await proc`` in an asyncio coroutine (under Twisted's asyncio reactor).

        The coroutine gets the value or the exception, like :meth:`wait` in a
        proc, without blocking the loop. Cancelling the coroutine unlinks.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(source: Source) -> None:
            if future.done():
                return
            if source._exc is None:
                future.set_result(source._result)
            else:
                future.set_exception(exception_from_throw_args(source._exc))

        if self._result is not NOT_USED:
            settle(self)
        else:
            self.link(settle)
            future.add_done_callback(lambda _future: self.unlink(settle))
        return future.__await__()

    def __repr__(self) -> str:
        if self._result is NOT_USED:
            state = "pending"
        elif self._exc is None:
            state = f"value={self._result!r}"
        else:
            state = f"exception={self.exc_info()[1]!r}"
        return f"<{type(self).__name__} {self.name!r} {state}>"


def _is_plain_function(listener: Any) -> bool:
    """A function or bound method with no attributes of its own: no throw, no send."""
    function = listener.__func__ if type(listener) is MethodType else listener
    return type(function) is FunctionType and not function.__dict__


def _proc_of(listener: Any) -> Any:
    """A proc's greenlet is reused after the proc ends: link the proc, not the greenlet."""
    if isinstance(listener, Greenlet):
        proc = getattr(listener, "proc", None)
        if proc is not None:
            return proc
    return listener


def _is_current(listener: Any) -> bool:
    current = getcurrent()
    return listener is current or listener is getattr(current, "proc", None)
