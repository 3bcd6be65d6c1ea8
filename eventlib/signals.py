"""Run a program until SIGINT or SIGTERM, then stop it cleanly.

* :func:`serve_forever` blocks until one of the signals arrives (or the
  target ends by itself), then stops the target: a supervisor shuts its
  children down in reverse start order, each by its shutdown spec; an actor
  drains to ``on_stop``; a plain proc is killed, so its ``finally`` and
  ``with`` blocks run.
* :func:`run` runs ``main(*args)`` in a proc the same way and returns its result.

Both are also ``eventlib.serve_forever`` and ``eventlib.run``. The handlers are
installed only while they wait: the first signal starts the clean stop and puts
the previous handlers back, so a second Ctrl-C during a slow shutdown gets
Python's usual ``KeyboardInterrupt``.

Python runs a signal's handler only when the main thread runs Python code
again. A signal that arrives just before the reactor goes to sleep in its poll
(or in another thread) would wait there until some I/O or timer woke it, maybe
for hours. So while they wait and stop, unless a wake-up descriptor is
already set (``signal.set_wakeup_fd``: Twisted's own handlers, asyncio's
``add_signal_handler``), every signal also writes a byte to a pipe the reactor
watches, and its handler runs at once.

Example::

    import eventlib
    from eventlib.supervisor import ChildSpec, Supervisor

    sup = Supervisor([ChildSpec("web", start=lambda: eventlib.spawn(serve_http))])
    eventlib.serve_forever(sup)  # returns after SIGINT/SIGTERM, the tree stopped
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Protocol

from eventlib.hub import Hub, check_not_main_loop, get_hub
from eventlib.log import STATE as _LOG
from eventlib.log import get_logger
from eventlib.proc import ProcExit, spawn
from eventlib.sync import Event

__all__ = ["DEFAULT_SIGNALS", "Stoppable", "run", "serve_forever"]

DEFAULT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
"""The signals :func:`serve_forever` and :func:`run` stop on unless told otherwise."""

_log = get_logger()


class Stoppable(Protocol):
    """What :func:`serve_forever` needs of its target: a Proc, an Actor or a Supervisor."""

    @property
    def dead(self) -> bool: ...
    def link(self, listener: Any = None) -> Any: ...
    def unlink(self, listener: Any = None) -> None: ...
    def wait(self, timeout: float | None = None) -> Any: ...
    def kill(self) -> None: ...


def serve_forever(
    target: Stoppable, *, signals: Iterable[int] = DEFAULT_SIGNALS
) -> signal.Signals | None:
    """Block until a signal arrives or ``target`` ends; on a signal, stop ``target``.

    ``target`` is stopped by its ``stop()`` method when it has one (Supervisor,
    DynamicSupervisor, Actor), else killed with ``ProcExit``; either way this
    returns once it has finished. Call it from the main thread: from the main
    program (run mode 2) or from a proc (run mode 1, inside ``reactor.run()``).

    Args:
        target: the root of what the program runs, usually its top supervisor.
        signals: the signals that stop it (default SIGINT and SIGTERM).

    Returns:
        the signal that stopped ``target``, or None if it ended by itself.

    Raises:
        BlockingInMainLoopError: called from MAIN_LOOP (a Twisted callback).
        RuntimeError: called from a thread other than the main thread, where
            Python cannot install signal handlers.
        Exception: whatever ``target`` failed with, if it failed by itself
            (``wait()``'s error, e.g. ``RestartIntensityExceeded``).
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "serve_forever() must run in the main thread: Python delivers signals only "
            "there; run eventlib's hub in the main thread, or stop the target yourself"
        )
    hub = get_hub()
    check_not_main_loop(hub, "serve_forever()")
    outcome: Event = Event()

    def deliver(signum: int) -> None:  # in MAIN_LOOP, where sending never blocks
        if not outcome.ready():
            outcome.send(signal.Signals(signum))

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # A signal handler may interrupt any code: hand over the thread-safe way.
        hub.reactor.callFromThread(deliver, signum)

    def on_exit(_target: Any) -> None:
        if not outcome.ready():
            outcome.send(None)

    with _signals_wake_the_loop(hub):
        previous = _install(list(signals), on_signal)
        try:
            target.link(on_exit)
            try:
                received: signal.Signals | None = outcome.wait()
            finally:
                target.unlink(on_exit)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if received is None:
            target.wait()  # raises what it failed with
            return None
        if _LOG.enabled:
            _log.debug("signal.received", signal=received.name, stopping=repr(target))
        _stop(target)  # a second signal's handler must run at once too
        return received


def run(main: Callable[..., Any], *args: Any, signals: Iterable[int] = DEFAULT_SIGNALS) -> Any:
    """Run ``main(*args)`` in a proc until it returns or a signal stops it.

    On SIGINT or SIGTERM (by default) ``main`` is killed with ``ProcExit``, so
    its ``finally`` and ``with`` blocks run: stop what it started there.

    Example::

        def main():
            sup = Supervisor([...])
            try:
                sup.wait()
            finally:
                sup.stop()

        eventlib.run(main)

    Returns:
        what ``main`` returned, or None if a signal stopped it.

    Raises:
        Exception: what ``main`` raised.
        BlockingInMainLoopError, RuntimeError: as :func:`serve_forever`.
    """
    proc = spawn(main, *args)
    if serve_forever(proc, signals=signals) is not None:
        return None
    return proc.wait()


def _install(
    signals: list[int], handler: Callable[[int, FrameType | None], None]
) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    try:
        for signum in signals:
            previous[signum] = signal.signal(signum, handler)
    except BaseException:
        for signum, old in previous.items():
            signal.signal(signum, old)
        raise
    return previous


@contextmanager
def _signals_wake_the_loop(hub: Hub) -> Iterator[None]:
    """Make every signal wake the reactor, so that its Python handler runs at once.

    Python's C-level handler only notes the signal; the Python handler runs
    when the main thread next runs Python code. A signal that lands after the
    reactor's last look and before its poll, or in a thread other than the main
    one, leaves the poll asleep until its timeout. With a wake-up descriptor
    the C-level handler also writes a byte, which ends the poll. When one is
    already set, whoever set it reads it in the loop: it is left alone.
    """
    read_end, write_end = os.pipe()
    try:
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        if previous != -1:
            signal.set_wakeup_fd(previous)
            yield
            return

        def drain(_descriptor: object) -> None:
            try:
                while os.read(read_end, 512):
                    pass
            except BlockingIOError:
                pass

        descriptor = hub.add_descriptor(read_end, read=drain)
        try:
            yield
        finally:
            signal.set_wakeup_fd(-1)
            hub.remove_descriptor(descriptor)
    finally:
        os.close(read_end)
        os.close(write_end)


def _stop(target: Stoppable) -> None:
    stop = getattr(target, "stop", None)
    if callable(stop):
        stop()
        return
    target.kill()
    try:
        target.wait()
    except ProcExit:
        pass  # the kill we sent
