"""The Twisted hub: MAIN_LOOP, the ready queue, timers and descriptor waits."""

from __future__ import annotations

import threading
import time
from collections import deque
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812
from twisted.internet.interfaces import IReadDescriptor, IWriteDescriptor
from zope.interface import implementer

from eventlib.hub._checks import check_duration
from eventlib.hub._errors import BlockingInMainLoopError, HubStoppedError
from eventlib.hub._reactors import reactor_from_env
from eventlib.hub._timer import NO_KWARGS, Timer, TimerStatistics
from eventlib.log import report_error

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from twisted.python.failure import Failure

__all__ = ["Hub", "check_not_main_loop"]

ExcInfo = tuple[type[BaseException], BaseException, "TracebackType | None"]

# Exceptions that must leave the hub's loop instead of being logged: the user
# interrupting the program, and MAIN_LOOP itself being torn down.
_PROPAGATE = (KeyboardInterrupt, SystemExit, GreenletExit)

# The ready queue yields to the reactor after this long, so I/O is polled even
# while green threads keep waking each other.
_DRAIN_BUDGET = 0.02
_DRAIN_CHECK_EVERY = 1024  # jobs between two looks at the clock

# Timer delays of these exact types are checked with one comparison (the hot path).
_PLAIN_NUMBERS = (int, float)

# The armed deadline when no DelayedCall is armed.
_NEVER = float("inf")


def _root_greenlet() -> Greenlet:
    g = getcurrent()
    while g.parent is not None:
        g = g.parent
    return g


def _default_reactor() -> Any:
    chosen = reactor_from_env()  # EVENTLIB_REACTOR, if set
    if chosen is not None:
        return chosen
    from twisted.internet import reactor  # noqa: PLC0415 - installs the default only when needed

    return reactor


class Hub:
    """The per-thread scheduler: one MAIN_LOOP greenlet running a Twisted reactor.

    Every green thread parks by switching to MAIN_LOOP and is resumed by
    MAIN_LOOP. Zero-delay work (waking a green thread, starting a proc,
    delivering links) goes into a ready queue that MAIN_LOOP drains once per
    reactor turn, so it costs no Twisted DelayedCall. One shortcut keeps that
    order: a green thread that parks while the head of the queue is another
    waiter's wake-up does that job itself (a hand-off, see ``Waiter.get``),
    which saves the two switches through MAIN_LOOP; MAIN_LOOP counts hand-offs
    as jobs it ran, and runs again after ``HANDOFF_LIMIT`` of them in a row.

    Timers with a delay live in a heap of ``(deadline, sequence, timer)``
    behind a single Twisted DelayedCall, armed for the earliest live deadline.
    The DelayedCall is brought up to date lazily, only when the hub hands
    control back to the reactor, so a timer scheduled and cancelled within one
    turn (the usual fate of a timeout) never touches the reactor; a cancelled
    timer stays in the heap as a dead entry until it reaches the top or dead
    entries outnumber live ones.

    Args:
        reactor: the Twisted reactor to run; the installed one by default.
        main_loop: an existing greenlet that will run the reactor itself (run
            mode 1, ``eventlib.twistedutil.join_reactor``). When omitted the
            hub creates MAIN_LOOP as a child of the thread's main greenlet and
            starts it on the first blocking call (run mode 2).
    """

    def __init__(self, reactor: Any = None, *, main_loop: Greenlet | None = None) -> None:
        self.reactor = reactor if reactor is not None else _default_reactor()
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._armed = False
        self._handoffs = 0  # waiters woken by a parking greenlet, not by MAIN_LOOP (_waiter.py)
        self._own_loop = False
        self._closed = False
        self._asyncio_loop = getattr(self.reactor, "_asyncioEventloop", None)
        self._fd_watches: dict[int, _FdWatch] = {}
        self.joined = main_loop is not None
        self.greenlet: Greenlet = main_loop if main_loop is not None else self._new_loop()
        self.error_hook: Callable[[object, ExcInfo], None] = _log_error
        self.procs: dict[int, Any] = {}
        """Live procs of this hub by id (maintained by eventlib.proc)."""
        self._idle_workers: list[Any] = []
        self._timers: list[tuple[float, int, Timer]] = []  # a heap; see the class docstring
        self._timer_seq = 0  # breaks deadline ties: same deadline, scheduling order
        self._live_timers = 0  # entries of the heap not cancelled
        self._timer_call: Any = None  # the armed Twisted DelayedCall, if any
        self._timer_call_at = _NEVER  # its deadline
        self._timers_dirty = False  # the armed call may not match the heap

    # -- MAIN_LOOP ---------------------------------------------------------

    def _new_loop(self) -> Greenlet:
        return Greenlet(self._run_loop, parent=_root_greenlet())

    def switch(self) -> Any:
        """Park the current greenlet and run MAIN_LOOP until someone resumes it.

        Raises:
            BlockingInMainLoopError: called from MAIN_LOOP itself.
            HubStoppedError: the reactor has stopped for good.
        """
        current = getcurrent()
        loop = self.greenlet
        if current is loop:
            raise BlockingInMainLoopError
        if loop.dead:
            loop = self._restart_loop()
        if current.parent is not loop and current.parent is not None:
            # A finished greenlet returns to its parent: make that MAIN_LOOP.
            try:
                current.parent = loop
            except ValueError:
                pass  # the parent chain would form a cycle; keep the old parent
        return loop.switch()

    def _restart_loop(self) -> Greenlet:
        if self.joined:
            raise HubStoppedError(
                "the reactor joined with join_reactor is not running: call reactor.run() "
                "and block only inside procs"
            )
        if self._closed or self._reactor_finished():
            raise HubStoppedError(
                "cannot block: the hub's reactor has stopped and cannot be restarted"
            )
        self.greenlet = self._new_loop()
        return self.greenlet

    def _reactor_finished(self) -> bool:
        reactor = self.reactor
        return bool(getattr(reactor, "_startedBefore", False)) and not getattr(
            reactor, "_started", False
        )

    def _run_loop(self) -> None:
        reactor = self.reactor
        if not getattr(reactor, "_started", False):
            _daemonize_thread_pool(reactor)
            reactor.startRunning(installSignalHandlers=False)
        while True:
            try:
                self._run_reactor(reactor)
            except GreenletExit:
                raise  # close(): let MAIN_LOOP end
            except BaseException as exc:
                # An error escaped the loop (KeyboardInterrupt in a proc, a deadlock
                # found by a virtual clock...): raise it where the program waits, and
                # carry on from here when someone blocks again. Keeping this greenlet
                # alive keeps every green thread's parent valid.
                parent = self.greenlet.parent
                if parent is None:  # pragma: no cover - MAIN_LOOP is never the root here
                    raise
                parent.throw(exc)
                continue
            if self._closed:
                return
            raise HubStoppedError("the hub's reactor was stopped (reactor.stop() was called)")

    def _run_reactor(self, reactor: Any) -> None:
        if self._asyncio_loop is not None:
            if self._ready or self._timers_dirty:
                self._arm()
            self._asyncio_loop.run_forever()
            return
        self._own_loop = True
        try:
            self._posix_loop(reactor)
        finally:
            self._own_loop = False
            self._armed = False

    def _posix_loop(self, reactor: Any) -> None:
        ready = self._ready
        iterate = _epoll_iteration(reactor) or reactor.doIteration
        while reactor._started and not self._closed:
            reactor.runUntilCurrent()
            if ready:
                self._drain()
            if self._timers_dirty:
                self._sync_timer_call()
            # reactor.stop() called by a proc takes effect in the next runUntilCurrent.
            busy = ready or reactor._justStopped or not reactor.running
            iterate(0 if busy else reactor.timeout())

    def _arm(self) -> None:
        self._armed = True
        if self._own_loop:
            return  # _posix_loop drains on every turn
        if self._asyncio_loop is not None:
            self._asyncio_loop.call_soon(self._drain_from_reactor)
        else:
            self.reactor.callLater(0, self._drain_from_reactor)

    def _drain_from_reactor(self) -> None:
        if not self._own_loop:  # else the wake-up was armed before the loop took over
            self._drain()

    def _drain(self) -> None:
        self._armed = False
        ready = self._ready
        popleft = ready.popleft
        started = time.perf_counter()
        count = 0
        check_at = _DRAIN_CHECK_EVERY
        while ready:
            function, args = popleft()
            self._handoffs = 0
            try:
                function(*args)
            except GreenletExit:
                if self._closed and self._asyncio_loop is not None:
                    # close() inside asyncio's run_forever: leave it the asyncio way.
                    self._asyncio_loop.stop()
                    return
                raise
            except _PROPAGATE:
                raise
            except BaseException as exc:
                self.handle_error(function, (type(exc), exc, exc.__traceback__))
            # The jobs run from here, and those that parking greenlets ran for it.
            count += 1 + self._handoffs
            if count >= check_at:
                if time.perf_counter() - started > _DRAIN_BUDGET:
                    break
                check_at = count + _DRAIN_CHECK_EVERY
        if ready and not self._armed:
            self._arm()
        if self._timers_dirty and not self._own_loop:
            self._sync_timer_call()  # control goes back to the reactor next

    def schedule_soon(self, function: Callable[..., Any], *args: Any) -> None:
        """Call ``function(*args)`` from MAIN_LOOP on the next turn; safe from anywhere."""
        self._ready.append((function, args))
        if not self._armed:
            self._arm()

    @property
    def ready_count(self) -> int:
        """How many zero-delay callbacks wait for the next turn."""
        return len(self._ready)

    def handle_error(self, context: object, exc_info: ExcInfo) -> None:
        """Send an error no caller can see to the hub's single error hook."""
        try:
            self.error_hook(context, exc_info)
        except _PROPAGATE:
            raise
        except BaseException as exc:
            _log_error(self.error_hook, (type(exc), exc, exc.__traceback__))
            _log_error(context, exc_info)

    # -- timers ------------------------------------------------------------

    def schedule_call_global(
        self, seconds: float, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Timer:
        """Call ``function(*args, **kwargs)`` from MAIN_LOOP after ``seconds``.

        Returns:
            a :class:`Timer` whose ``cancel()`` stops the call.
        """
        return self._schedule(seconds, function, args, kwargs or NO_KWARGS, None)

    def schedule_call_local(
        self, seconds: float, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Timer:
        """Like :meth:`schedule_call_global`, but skipped if the calling greenlet has died."""
        return self._schedule(seconds, function, args, kwargs or NO_KWARGS, getcurrent())

    schedule_call = schedule_call_local

    def _schedule(
        self,
        seconds: float,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        owner: Greenlet | None,
    ) -> Timer:
        if seconds.__class__ not in _PLAIN_NUMBERS or not seconds >= 0:  # NaN fails >= 0 too
            check_duration(seconds, "timer delay")  # raises, naming what was wrong
        timer = Timer(seconds, function, args, kwargs, owner)
        if seconds == 0:
            self.schedule_soon(timer._fire)
            return timer
        deadline = self.reactor.seconds() + seconds
        self._timer_seq = seq = self._timer_seq + 1
        heappush(self._timers, (deadline, seq, timer))
        timer._heap_hub = self
        self._live_timers += 1
        if deadline < self._timer_call_at and not self._timers_dirty:
            self._timers_changed()
        return timer

    def _timers_changed(self) -> None:
        """Bring the armed DelayedCall up to date before control goes back to the reactor."""
        self._timers_dirty = True
        if not self._own_loop and not self._armed:
            self._arm()  # a drain runs first and syncs; _posix_loop syncs on every turn

    def _forget_timer(self, timer: Timer) -> None:
        """``timer`` (a live entry of the heap) was cancelled: leave it there, dead."""
        live = self._live_timers = self._live_timers - 1
        heap = self._timers
        if not live:
            heap.clear()
            if self._timer_call is not None and not self._timers_dirty:
                self._timers_changed()  # disarm when the reactor gets control
        elif heap[0][2] is timer:
            while heap[0][2]._heap_hub is None:
                heappop(heap)
            if not self._timers_dirty:
                self._timers_changed()  # the armed call is now early: re-arm later
        elif len(heap) > 2 * live:
            # Dead entries are the majority: drop them, so timeouts that never
            # fire cannot grow the heap without bound.
            heap[:] = [entry for entry in heap if entry[2]._heap_hub is not None]
            heapify(heap)

    def _sync_timer_call(self) -> None:
        """Arm the DelayedCall for the earliest live deadline, or disarm it if there is none."""
        self._timers_dirty = False
        heap = self._timers
        while heap and heap[0][2]._heap_hub is None:
            heappop(heap)
        deadline = heap[0][0] if heap else _NEVER
        if deadline == self._timer_call_at:
            return
        call = self._timer_call
        if call is not None:
            self._timer_call = None
            if call.active():  # else someone cancelled it through the reactor
                call.cancel()
        self._timer_call_at = deadline
        if heap:
            reactor = self.reactor
            call = reactor.callLater(max(0.0, deadline - reactor.seconds()), self._fire_timers)
            # now + (deadline - now) can be one rounding off deadline; the virtual
            # clock jumps to call.time, and timers must fire at their exact time.
            # The call is not in the reactor's heap yet, so fixing it is safe.
            call.time = deadline
            self._timer_call = call

    def _fire_timers(self) -> None:
        """The DelayedCall's function: run every due timer, by deadline then in FIFO order."""
        limit = max(float(self.reactor.seconds()), self._timer_call_at)
        self._timer_call = None
        self._timer_call_at = _NEVER
        last_seq = self._timer_seq  # timers scheduled from here on wait for the next call
        heap = self._timers
        dispatch = self.dispatch
        while heap:
            deadline, seq, timer = heap[0]
            if deadline > limit or seq > last_seq:
                break
            heappop(heap)
            if timer._heap_hub is None:
                continue  # cancelled
            timer._heap_hub = None
            self._live_timers -= 1
            dispatch(timer._fire)
        self._timers_dirty = True
        if not self._own_loop:
            self._sync_timer_call()

    def _drop_timers(self) -> None:
        """Cancel every timer in the heap and disarm the DelayedCall (closing the hub)."""
        heap, self._timers = self._timers, []
        self._live_timers = 0
        for _deadline, _seq, timer in heap:
            if timer._heap_hub is not None:
                timer._heap_hub = None
                timer.cancel()
        call, self._timer_call = self._timer_call, None
        self._timer_call_at = _NEVER
        self._timers_dirty = False
        if call is not None and call.active():
            call.cancel()

    @property
    def timer_count(self) -> int:
        """How many timers with a delay wait to fire (zero-delay ones are in ``ready_count``)."""
        return self._live_timers

    def timer_statistics(self) -> TimerStatistics:
        """A snapshot of the timer heap and of the DelayedCall armed for it."""
        armed = self._timer_call_at if self._timer_call is not None else None
        return TimerStatistics(
            pending=self._live_timers, heap_size=len(self._timers), armed_at=armed
        )

    def dispatch(self, function: Callable[..., Any], *args: Any) -> None:
        """Run a reactor callback's green work: ``function(*args)`` may switch greenlets.

        Called from inside Twisted (timed calls, descriptor events). When
        MAIN_LOOP runs its own loop the work goes to the ready queue, drained
        right after the reactor step, so no greenlet switch ever happens
        inside Twisted's error handlers (which would swallow GreenletExit).
        Otherwise (run mode 1, the asyncio reactor) it runs at once.
        """
        if self._own_loop:
            self._ready.append((function, args))
            return
        try:
            function(*args)
        except GreenletExit:
            if self._closed and self._asyncio_loop is not None:
                # close() inside asyncio's run_forever: Twisted's callback runner would
                # swallow GreenletExit and the loop would run on, so stop it (again: harmless).
                self._asyncio_loop.stop()
                return
            raise
        except _PROPAGATE:
            raise
        except BaseException as exc:
            self.handle_error(function, (type(exc), exc, exc.__traceback__))

    def clock(self) -> float:
        """The reactor's notion of now, in seconds (virtual under eventlib.testing)."""
        return float(self.reactor.seconds())

    # -- descriptors -------------------------------------------------------

    def wait_fd(
        self, fileno: int, *, read: bool, write: bool, waiter: Any, keep: bool = False
    ) -> None:
        """Register ``waiter`` to be woken when ``fileno`` is readable/writable.

        Each direction of a descriptor has at most one waiter: a second
        simultaneous read (or write) wait on the same descriptor is a bug in
        the caller and raises RuntimeError.

        With ``keep``, the descriptor stays registered for reading with the
        reactor after the wait ends, so the next read wait costs no system
        call; the owner of the descriptor must call :meth:`release_fd` (or
        :meth:`notify_fd_closed`) before the descriptor is closed or given away.
        """
        watch = self._fd_watches.get(fileno)
        if watch is None:
            watch = self._fd_watches[fileno] = _FdWatch(self, fileno)
        if read and watch.reader is not None:
            raise RuntimeError(f"second simultaneous read wait on file descriptor {fileno}")
        if write and watch.writer is not None:
            raise RuntimeError(f"second simultaneous write wait on file descriptor {fileno}")
        if read:
            watch.reader = waiter
            if keep:
                watch.keep = True
            if not watch.reading:
                self.reactor.addReader(watch)
                watch.reading = True
        if write:
            watch.writer = waiter
            if not watch.writing:
                self.reactor.addWriter(watch)
                watch.writing = True

    def unwait_fd(self, fileno: int, waiter: Any) -> None:
        """Remove ``waiter`` from ``fileno``'s watch (both directions it holds)."""
        watch = self._fd_watches.get(fileno)
        if watch is None:
            return
        if watch.reader is waiter:
            watch.reader = None
            if not watch.keep:
                watch.stop_reading()
        if watch.writer is waiter:
            watch.writer = None
            watch.stop_writing()
        if watch.writer is None and not watch.reading:
            del self._fd_watches[fileno]

    def release_fd(self, fileno: int) -> None:
        """Drop the registration ``wait_fd(keep=True)`` left for ``fileno`` (no waiter is woken)."""
        watch = self._fd_watches.get(fileno)
        if watch is None or not watch.keep:
            return
        watch.keep = False
        if watch.reader is None:
            watch.stop_reading()
            if watch.writer is None:
                del self._fd_watches[fileno]

    def notify_fd_closed(self, fileno: int, error: BaseException) -> None:
        """Tell the waiters on ``fileno`` that it was closed: ``error`` is thrown in.

        Any registration with the reactor is dropped first, kept ones included.
        """
        watch = self._fd_watches.pop(fileno, None)
        if watch is not None:
            watch.close(error)

    # -- classic interface -------------------------------------------------

    uses_twisted_reactor = True
    """Classic marker: this hub runs Twisted's reactor (eventlib's only hub)."""

    def add_descriptor(
        self,
        fileno: int,
        read: Callable[[Any], Any] | None = None,
        write: Callable[[Any], Any] | None = None,
        exc: Callable[[Any, BaseException], Any] | None = None,
    ) -> ClassicDescriptor:
        """Classic: call ``read(d)`` / ``write(d)`` from MAIN_LOOP whenever ``fileno`` is ready.

        ``d`` is the returned descriptor; ``exc(d, error)`` is called once if
        the descriptor is closed under the wait. Stop with :meth:`remove_descriptor`.
        """
        descriptor = ClassicDescriptor(fileno, read, write, exc)
        if read is not None:
            self.wait_fd(fileno, read=True, write=False, waiter=descriptor._reader)
        if write is not None:
            self.wait_fd(fileno, read=False, write=True, waiter=descriptor._writer)
        return descriptor

    def remove_descriptor(self, descriptor: ClassicDescriptor) -> None:
        """Undo :meth:`add_descriptor`; harmless twice."""
        self.unwait_fd(descriptor._fileno, descriptor._reader)
        self.unwait_fd(descriptor._fileno, descriptor._writer)

    @property
    def running(self) -> bool:
        """Classic: whether the reactor runs."""
        return bool(self.reactor.running)

    def stop(self) -> None:
        """Classic: ``reactor.stop()``; a later blocking call raises HubStoppedError."""
        self.reactor.stop()

    def abort(self) -> None:
        """Classic: ``reactor.crash()``, stopping the reactor without its shutdown events."""
        self.reactor.crash()

    # -- classic introspection (for debugging) -----------------------------

    def get_readers(self) -> list[Any]:
        """The reactor's read descriptors (green waits and Twisted transports), minus its waker."""
        return self._descriptors("getReaders")

    def get_writers(self) -> list[Any]:
        """The reactor's write descriptors."""
        return self._descriptors("getWriters")

    def get_excs(self) -> list[Any]:
        """Always empty: Twisted has no separate wait for exceptional conditions."""
        return []

    def get_timers_count(self) -> int:
        """How many calls wait to run: timers, this turn's ready queue, other timed calls.

        The other timed calls are the reactor's own (Twisted's callLater), not
        counting the one the hub arms for its timers.
        """
        reactor_calls = len(self.reactor.getDelayedCalls())
        if self._timer_call is not None and self._timer_call.active():
            reactor_calls -= 1
        return self._live_timers + len(self._ready) + reactor_calls

    def _descriptors(self, method: str) -> list[Any]:
        found = list(getattr(self.reactor, method)())
        waker = getattr(self.reactor, "waker", None)
        return [descriptor for descriptor in found if descriptor is not waker]

    # -- teardown ----------------------------------------------------------

    def close(self) -> None:
        """Stop using this hub: end MAIN_LOOP (run mode 2) and drop pending work.

        Procs still alive are abandoned; kill them first (``killall``) if their
        cleanup must run. The reactor itself is left as it is.
        """
        if self._closed:
            return
        self._closed = True
        self._ready.clear()
        self._drop_timers()
        self._idle_workers.clear()
        for watch in list(self._fd_watches.values()):
            watch.close(HubStoppedError("the hub was closed"))
        self._fd_watches.clear()
        loop = self.greenlet
        if not self.joined and loop and not loop.dead and loop is not getcurrent():
            if self._asyncio_loop is not None:
                # MAIN_LOOP may be parked inside a Twisted or asyncio callback, whose error
                # handler swallows the GreenletExit below: the loop must end by itself.
                self._asyncio_loop.stop()
            try:
                loop.throw(GreenletExit)
            except HubStoppedError:
                pass


@implementer(IReadDescriptor, IWriteDescriptor)
class _FdWatch:
    """One reactor descriptor per file descriptor, fanning events out to waiters.

    ``reading``/``writing`` say whether the reactor polls the descriptor in that
    direction; ``keep`` leaves the read registration in place between waits.
    """

    __slots__ = ("_fileno", "hub", "keep", "reader", "reading", "writer", "writing")

    def __init__(self, hub: Hub, fileno: int) -> None:
        self.hub = hub
        self._fileno = fileno
        self.reader: Any = None
        self.writer: Any = None
        self.reading = False
        self.writing = False
        self.keep = False

    def fileno(self) -> int:
        return self._fileno

    def logPrefix(self) -> str:  # noqa: N802 - Twisted's interface
        return "eventlib.trampoline"

    def stop_reading(self) -> None:
        if self.reading:
            self.reading = False
            self.hub.reactor.removeReader(self)

    def stop_writing(self) -> None:
        if self.writing:
            self.writing = False
            self.hub.reactor.removeWriter(self)

    def doRead(self) -> None:  # noqa: N802 - Twisted's interface
        waiter = self.reader
        if waiter is not None:
            self.hub.dispatch(waiter.switch_now, self._fileno)
        else:
            # A kept registration and nobody reading: stop polling (the reactor is
            # level-triggered and would report it on every turn) until someone waits.
            self.stop_reading()

    def doWrite(self) -> None:  # noqa: N802 - Twisted's interface
        waiter = self.writer
        if waiter is not None:
            self.hub.dispatch(waiter.switch_now, self._fileno)

    def connectionLost(self, reason: Failure) -> None:  # noqa: N802, ARG002 - Twisted's interface
        # The reactor saw a hang-up or an error condition (a reset, a refused
        # connect): wake the waiters, so that their next system call reports the
        # real error (ECONNREFUSED, ECONNRESET, EOF) rather than a guessed one.
        # The reactor has already forgotten this descriptor.
        watches = self.hub._fd_watches
        if watches.get(self._fileno) is self:
            del watches[self._fileno]
        self.reading = self.writing = False
        dispatch = self.hub.dispatch
        for waiter in (self.reader, self.writer):
            if waiter is not None:
                dispatch(waiter.switch_now, self._fileno)
        self.reader = self.writer = None

    def close(self, error: BaseException) -> None:
        self.stop_reading()
        self.stop_writing()
        reader, writer = self.reader, self.writer
        self.reader = self.writer = None
        if reader is not None:
            reader.throw(error)
        if writer is not None:
            writer.throw(error)


QUIET_READS = "eventlib_quiet_reads"
"""A Twisted protocol class attribute: true when ``dataReceived`` (or a UDP
protocol's ``datagramReceived``) needs no Twisted logging context.

For a TCP connection or UDP port whose protocol says so, the hub's epoll step
reads outside Twisted's per-event logging context (see
:func:`_epoll_iteration`), which costs more than a small read itself. Such a
handler must not switch greenlets or raise, and what it logs through Twisted's
log has no connection ``system``; errors and disconnections still take
Twisted's path, in the connection's context.
"""


def _epoll_iteration(reactor: Any) -> Callable[[float | None], None] | None:
    """Twisted's epoll step, without its logging context where nothing logs; None elsewhere.

    Twisted runs every descriptor event inside a logging context
    (``log.callWithLogger``: the connection's ``logPrefix`` as the log
    ``system``), which costs more than the wake-up itself. The step calls
    directly a watch's ``doRead``/``doWrite`` (they only queue a wake-up and
    cannot fail), and the ``doRead`` of a TCP connection or UDP port whose
    protocol declares :data:`QUIET_READS` (see :func:`_quiet_reader`). Every
    other event (other transports, writes, hang-ups, errors) takes Twisted's
    path unchanged. None for other reactors.
    """
    if not _steps_like_epoll(reactor):
        return None
    from twisted.internet.tcp import Client, Server  # noqa: PLC0415
    from twisted.internet.udp import Port as UDPPort  # noqa: PLC0415
    from twisted.python.log import callWithLogger  # noqa: PLC0415

    poll_in, poll_out = reactor._POLL_IN, reactor._POLL_OUT
    plain = poll_in | poll_out
    twisted_step = reactor._doReadOrWrite
    quiet_read = _quiet_reader(reactor)
    # Exactly these: TLS, UNIX and multicast take Twisted's path.
    quiet_types = (Server, Client, UDPPort)

    def iterate(timeout: float | None) -> None:
        selectables = reactor._selectables
        events = reactor._poller.poll(-1 if timeout is None else timeout, len(selectables) or 1)
        for fd, event in events:
            selectable = selectables.get(fd)
            if selectable is None:
                continue  # removed by an earlier event of this step
            cls = selectable.__class__
            if cls is _FdWatch and not event & ~plain:
                if event & poll_in:
                    selectable.doRead()
                if event & poll_out:
                    selectable.doWrite()
            elif (
                event == poll_in
                and cls in quiet_types
                and getattr(selectable.protocol, QUIET_READS, False)
            ):
                quiet_read(selectable, fd, event)
            else:
                callWithLogger(selectable, twisted_step, selectable, fd, event)  # type: ignore[no-untyped-call]

    return iterate


def _steps_like_epoll(reactor: Any) -> bool:
    """``reactor`` is Twisted's epoll reactor, stepped by EPollReactor.doIteration itself."""
    try:
        from twisted.internet.epollreactor import EPollReactor  # noqa: PLC0415 - Linux only
    except ImportError:  # pragma: no cover - not Linux
        return False
    # A subclass may step its own way (the virtual clock).
    return isinstance(reactor, EPollReactor) and (
        type(reactor).doIteration is EPollReactor.doIteration
    )


def _quiet_reader(reactor: Any) -> Callable[[Any, int, int], None]:
    """A read event of a connection or UDP port whose protocol declares :data:`QUIET_READS`.

    ``doRead`` runs outside Twisted's logging context; what may log runs in
    it, as in Twisted's step: an error raised by ``doRead`` (logged, then the
    connection is closed with it) and the end of the connection. (A UDP port's
    ``doRead`` logs an error of ``datagramReceived`` itself and goes on
    reading: that error is logged without the port's log system.)
    """
    from twisted.python.failure import Failure  # noqa: PLC0415
    from twisted.python.log import callWithLogger, err  # noqa: PLC0415

    twisted_step = reactor._doReadOrWrite
    disconnect = reactor._disconnectSelectable

    def read_failed(selectable: Any, failure: Failure) -> None:
        err(failure)  # type: ignore[no-untyped-call]
        disconnect(selectable, failure.value, False)  # what Twisted's step does

    def quiet_read(selectable: Any, fd: int, event: int) -> None:
        if selectable.fileno() == -1:  # closed under the reactor: Twisted's step reports it
            callWithLogger(selectable, twisted_step, selectable, fd, event)  # type: ignore[no-untyped-call]
            return
        try:
            why = selectable.doRead()
        except BaseException:
            failure = Failure()  # type: ignore[no-untyped-call]
            callWithLogger(selectable, read_failed, selectable, failure)  # type: ignore[no-untyped-call]
            return
        if why:
            callWithLogger(selectable, disconnect, selectable, why, True)  # type: ignore[no-untyped-call]

    return quiet_read


class ClassicDescriptor:
    """What :meth:`Hub.add_descriptor` returns: its callbacks, and ``fileno()``."""

    __slots__ = ("_fileno", "_reader", "_writer", "disconnected", "error", "read", "write")

    def __init__(
        self,
        fileno: int,
        read: Callable[[Any], Any] | None,
        write: Callable[[Any], Any] | None,
        error: Callable[[Any, BaseException], Any] | None,
    ) -> None:
        self._fileno = fileno
        self.read = read
        self.write = write
        self.error = error
        self.disconnected = False
        self._reader = _ClassicCallback(self, read)
        self._writer = _ClassicCallback(self, write)

    def fileno(self) -> int:
        return self._fileno


class _ClassicCallback:
    """The hub-side waiter of one direction of a :class:`ClassicDescriptor`."""

    __slots__ = ("callback", "descriptor")

    def __init__(self, descriptor: ClassicDescriptor, callback: Any) -> None:
        self.descriptor = descriptor
        self.callback = callback

    def switch_now(self, _fileno: int) -> None:
        self.callback(self.descriptor)

    def throw(self, error: BaseException) -> None:
        descriptor = self.descriptor
        if not descriptor.disconnected:
            descriptor.disconnected = True
            if descriptor.error is not None:
                descriptor.error(descriptor, error)


def _daemon_thread(*args: Any, **kwargs: Any) -> threading.Thread:
    return threading.Thread(*args, daemon=True, **kwargs)


def _daemonize_thread_pool(reactor: Any) -> None:
    """Run mode 2 never stops the reactor, hence never its thread pool: make its
    threads daemons so that they can't keep the program from exiting."""
    get_pool = getattr(reactor, "getThreadPool", None)
    if get_pool is not None:
        get_pool().threadFactory = _daemon_thread


def _log_error(context: object, exc_info: ExcInfo) -> None:
    event = "proc.crashed" if hasattr(context, "exit_reason") else "hub.error"
    report_error(context, exc_info, event=event)


def check_not_main_loop(hub: Hub, what: str) -> None:
    """Raise BlockingInMainLoopError if called from ``hub``'s MAIN_LOOP."""
    if getcurrent() is hub.greenlet:
        raise BlockingInMainLoopError(what)
