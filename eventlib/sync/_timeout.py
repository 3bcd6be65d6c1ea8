"""Timeout: interrupt a green thread's blocking calls after a delay."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from greenlet import getcurrent

from eventlib.hub import TimeoutError, Timer, check_duration, check_timeout, get_hub

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Timeout", "TimeoutError", "exc_after", "with_timeout"]

T = TypeVar("T")


class _SilentTimeout(BaseException):
    """Thrown by a silent Timeout; only the Timeout that threw it swallows it."""

    def __init__(self, timeout: Timeout) -> None:
        super().__init__(f"silent {timeout!r}")
        self.timeout = timeout


class Timeout:
    """Raise in the current green thread if a block takes longer than ``seconds``.

    Args:
        seconds: the delay; None disables the timeout (it never fires).
        exception: what to raise: None for :class:`TimeoutError` (carrying
            this Timeout as ``.timeout``), an exception class or instance, or
            False for a *silent* timeout that just ends the ``with`` block.

    Timeouts nest: each raises its own exception, and ``__exit__`` only ever
    swallows its own silent marker, never anyone else's exception::

        with Timeout(5):                      # outer: TimeoutError after 5 s
            with Timeout(1, False) as inner:  # inner: silently leaves after 1 s
                queue.get()
            if inner.expired: ...
    """

    __slots__ = ("_exception", "_greenlet", "_proc", "_timer", "expired", "seconds")

    def __init__(self, seconds: float | None = None, exception: Any = None) -> None:
        check_timeout(seconds, "Timeout seconds")
        if not (
            exception is None
            or exception is False
            or isinstance(exception, BaseException)
            or (isinstance(exception, type) and issubclass(exception, BaseException))
        ):
            # Checked here: when the timer fires, MAIN_LOOP could only log it.
            raise TypeError(
                f"Timeout exception must be None, False, or an exception, got {exception!r}"
            )
        self.seconds = seconds
        self._exception = exception
        self._timer: Timer | None = None
        self._greenlet: Any = None
        self._proc: Any = None
        self.expired = False

    @classmethod
    def start_new(cls, seconds: float | None, exception: Any = None) -> Timeout:
        """Create and start a Timeout for the current green thread."""
        timeout = cls(seconds, exception)
        timeout.start()
        return timeout

    @property
    def pending(self) -> bool:
        """True while started and not yet fired or cancelled."""
        return self._timer is not None and self._timer.pending

    def start(self) -> Timeout:
        """Arm the timeout for the current green thread.

        Raises:
            RuntimeError: already started.
        """
        if self._timer is not None and self._timer.pending:
            raise RuntimeError(f"{self!r} is already started")
        self.expired = False
        if self.seconds is None:
            return self
        hub = get_hub()
        current = getcurrent()
        if current is hub.greenlet:
            # MAIN_LOOP cannot block, so there is never anything to interrupt.
            return self
        self._greenlet = current
        self._proc = getattr(current, "proc", None)
        self._timer = hub.schedule_call_local(self.seconds, self._fire)
        return self

    def cancel(self) -> None:
        """Disarm the timeout; a no-op if it fired or was never started."""
        timer = self._timer
        if timer is not None:
            timer.cancel()
        self._greenlet = None

    def _fire(self) -> None:
        greenlet, self._greenlet = self._greenlet, None
        if greenlet is None or greenlet.dead or getattr(greenlet, "proc", None) is not self._proc:
            return
        self.expired = True
        greenlet.throw(self.make_exception())

    def make_exception(self) -> BaseException:
        """The exception this timeout raises when it fires."""
        exception = self._exception
        if exception is False:
            return _SilentTimeout(self)
        if exception is None:
            error = TimeoutError(f"timed out after {self.seconds} seconds")
            error.timeout = self
            return error
        if isinstance(exception, BaseException):
            return exception
        if isinstance(exception, type) and issubclass(exception, BaseException):
            return exception()
        raise TypeError(
            f"Timeout exception must be None, False, or an exception, got {exception!r}"
        )

    def __enter__(self) -> Timeout:
        return self.start()

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self.cancel()
        return isinstance(value, _SilentTimeout) and value.timeout is self

    def __repr__(self) -> str:
        state = "expired" if self.expired else ("pending" if self.pending else "idle")
        return f"<Timeout {self.seconds}s {state}>"


def with_timeout(seconds: float | None, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``function(*args, **kwargs)``, interrupted after ``seconds``.

    A keyword ``timeout_value`` is taken out of ``kwargs``: when given, the
    call returns it on timeout instead of raising :class:`TimeoutError`.
    Timeouts other than this one's pass through untouched.
    """
    has_value = "timeout_value" in kwargs
    timeout_value = kwargs.pop("timeout_value", None)
    timeout = Timeout(seconds)
    timeout.start()
    try:
        return function(*args, **kwargs)
    except TimeoutError as error:
        if error.timeout is timeout and has_value:
            return timeout_value  # type: ignore[no-any-return]
        raise
    finally:
        timeout.cancel()


def exc_after(seconds: float, *throw_args: Any) -> Timer:
    """Throw ``throw_args`` (greenlet.throw style) into the current greenlet after ``seconds``.

    Returns:
        the timer; ``cancel()`` it once the guarded work is done.
    """
    check_duration(seconds, "exc_after() seconds")
    current = getcurrent()
    args = throw_args or (TimeoutError,)
    return get_hub().schedule_call_local(seconds, current.throw, *args)
