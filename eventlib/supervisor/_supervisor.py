"""Supervisor and DynamicSupervisor: procs that start, watch and restart children (OTP rules)."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
from greenlet import getcurrent

from eventlib._event import Event
from eventlib._queue import Queue
from eventlib._timeout import Timeout
from eventlib.hub import get_hub
from eventlib.log import STATE as _LOG
from eventlib.log import get_logger
from eventlib.proc import ExitReason, Proc, Source, current_proc
from eventlib.supervisor._errors import (
    AlreadyPresent,
    AlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InvalidChildSpec,
    Killed,
    RestartIntensityExceeded,
    Shutdown,
    StartChildError,
    SupervisorError,
    SupervisorNotRunning,
    SupervisorStartError,
)
from eventlib.supervisor._spec import (
    BRUTAL_KILL,
    INFINITY,
    AutoShutdown,
    Backoff,
    ChildSpec,
    ChildType,
    Restart,
    Strategy,
    check_childspec,
    check_childspecs,
    check_flags,
)

__all__ = [
    "RESTARTING",
    "ChildCounts",
    "ChildInfo",
    "DynamicSupervisor",
    "Supervisor",
    "SupervisorStatistics",
    "exit_reason",
]

_log = get_logger()

# A child whose automatic restart failed and is being retried (OTP's `restarting`).
RESTARTING = "restarting"

# Kill without grace still waits for the child's handlers; past this, it is abandoned.
_KILL_WAIT = 5.0


def exit_reason(proc: Proc) -> str:
    """A finished proc's exit reason in OTP terms: normal, shutdown, killed or error."""
    if proc.exit_reason is ExitReason.NORMAL:
        return "normal"
    return _reason_of(proc, proc.exc_info()[1])


def _reason_of(proc: Proc, error: BaseException | None) -> str:
    if proc.exit_reason is ExitReason.NORMAL:
        return "normal"
    if isinstance(error, Killed):
        return "killed"
    if proc.exit_reason is ExitReason.KILLED or isinstance(error, Shutdown):
        return "shutdown"
    return "error"


@attrs.frozen
class ChildInfo:
    """One row of :meth:`Supervisor.which_children` (OTP's ``{Id, Child, Type, Modules}``)."""

    id: Any
    proc: Proc | str | None
    """The running proc, ``"restarting"``, or None when not running."""
    type: ChildType
    restarts: int


@attrs.frozen
class ChildCounts:
    """:meth:`Supervisor.count_children` (OTP's specs / active / supervisors / workers)."""

    specs: int
    active: int
    supervisors: int
    workers: int


@attrs.frozen
class SupervisorStatistics:
    """A snapshot for tests and the observer."""

    children: int
    active: int
    restarts_in_window: int
    total_restarts: int


@attrs.define(eq=False)
class _Child:
    spec: ChildSpec
    proc: Proc | None = None
    handle: Any = None
    restarting: bool = False
    restarts: int = 0
    consecutive: int = 0
    started_at: float = 0.0
    order: int = 0
    pending_group: list[_Child] | None = None
    """The group a delayed (back-off) restart will resume."""

    @property
    def id(self) -> Any:
        return self.spec.id


_start_order = itertools.count()


class _Children:
    """Children in start order, with O(1) append, removal and membership.

    A DynamicSupervisor may hold tens of thousands of children that come and
    go (one per call); a list made every exit O(n).
    """

    __slots__ = ("_order",)

    def __init__(self) -> None:
        self._order: dict[_Child, None] = {}

    def append(self, child: _Child) -> None:
        self._order[child] = None

    def remove(self, child: _Child) -> None:
        try:
            del self._order[child]
        except KeyError:
            raise ValueError(f"{child!r} is not a child here") from None

    def clear(self) -> None:
        self._order.clear()

    def index(self, child: _Child) -> int:
        return list(self._order).index(child)

    def __getitem__(self, index: slice) -> list[_Child]:
        return list(self._order)[index]

    def __contains__(self, child: object) -> bool:
        return child in self._order

    def __iter__(self) -> Iterator[_Child]:
        return iter(self._order)

    def __reversed__(self) -> Iterator[_Child]:
        return reversed(self._order)

    def __len__(self) -> int:
        return len(self._order)


class Supervisor(Proc):
    """A proc that starts children in order and restarts them by OTP's rules.

    Args:
        children: child specs, started in this order.
        strategy: ``one_for_one`` (default), ``one_for_all`` or ``rest_for_one``.
        max_restarts: restarts allowed within ``max_seconds`` (OTP default 1 in 5 s);
            one more and the supervisor terminates its children and exits with
            :class:`RestartIntensityExceeded` (exit reason *shutdown*). The window
            uses the hub's clock in (float) seconds, where OTP uses whole seconds.
        max_seconds: the sliding window of the intensity, in seconds.
        auto_shutdown: ``never`` (default), ``any_significant`` or ``all_significant``:
            when a significant child ends for good, the supervisor shuts down (exit
            reason *shutdown*).
        name: the supervisor's name in logs and trees.
        backoff: optional :class:`Backoff` delaying restarts; off by default.

    Constructed from a green thread, it returns once every child has started,
    and raises :class:`SupervisorStartError` if one failed (the others are then
    terminated and the supervisor exits with reason *shutdown*, as OTP's
    ``{shutdown, {failed_to_start_child, ...}}``). From MAIN_LOOP it starts in
    the background.

    Stopping it (``stop()``, exit reason *normal*; ``Shutdown``/``ProcExit``,
    *shutdown*) stops the children one at a time in reverse start order, each
    by its shutdown spec. Killing it with :class:`Killed` kills every child at
    once, as OTP's links do when a supervisor is killed: children never outlive
    their supervisor.

    Example::

        sup = Supervisor([
            ChildSpec("db", start=lambda: spawn(db_loop)),
            ChildSpec("web", start=lambda: spawn(web_loop), restart="transient"),
        ], strategy="rest_for_one", max_restarts=3, max_seconds=10)
        print(sup.format_tree())
    """

    _dynamic = False

    def __init__(
        self,
        children: Iterable[ChildSpec] = (),
        *,
        strategy: Strategy | str = Strategy.ONE_FOR_ONE,
        max_restarts: int = 1,
        max_seconds: float = 5,
        auto_shutdown: AutoShutdown | str = AutoShutdown.NEVER,
        name: str | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(name)
        self.strategy, self.max_restarts, self.max_seconds, self.auto_shutdown = check_flags(
            strategy, max_restarts, max_seconds, auto_shutdown
        )
        self.backoff = backoff
        specs = list(children)
        self._check_specs(specs)
        self._children = _Children()  # in start order
        self._by_id: dict[Any, _Child] = {}
        self._by_proc: dict[int, _Child] = {}
        self._restart_times: collections.deque[float] = collections.deque()
        self.total_restarts = 0
        self._inbox: Queue = Queue()
        self._ready = Event()
        self._starting_id: Any = None
        self._retry_timers: dict[int, Any] = {}  # id(child) -> back-off timer
        parent = current_proc()
        self._path = self._derive_path(parent)
        self.run(self._main, specs)
        if getcurrent() is not get_hub().greenlet:
            self._ready.wait()

    # -- identity ----------------------------------------------------------

    def _derive_path(self, parent: Proc | None) -> str:
        own = self._name if self._name is not None else f"sup-{self.id}"
        if isinstance(parent, Supervisor) and parent._starting_id is not None:
            return f"{parent.path}/{parent._starting_id}"
        return str(own)

    @property
    def path(self) -> str:
        """This supervisor's place in the tree: ``root/child/...``."""
        return self._path

    # -- validation --------------------------------------------------------

    def _check_specs(self, specs: list[ChildSpec]) -> None:
        check_childspecs(specs, self.auto_shutdown)

    def _check_spec(self, spec: ChildSpec) -> None:
        check_childspec(spec, self.auto_shutdown)

    # -- the supervisor's own loop ----------------------------------------

    def _main(self, specs: list[ChildSpec]) -> None:
        start_error: BaseException | None = None
        try:
            try:
                self._init_children(specs)
            except SupervisorStartError as exc:
                start_error = exc
                # OTP exits with {shutdown, {failed_to_start_child, Id, Reason}}: a shutdown,
                # not a crash; the caller of the constructor gets the error itself.
                raise Shutdown(exc) from exc
            except BaseException as exc:
                # Stopped or killed while starting: the caller gets an error, never the
                # GreenletExit itself (that would kill the caller, say a parent supervisor).
                start_error = exc
                if not isinstance(exc, Exception):
                    start_error = SupervisorNotRunning(
                        f"supervisor {self.path!r} exited while starting: {exc!r}"
                    )
                raise
            self._ready.send(None)
            self._serve()
        except Killed:
            # A brutally killed OTP supervisor takes its linked children down at once.
            self._kill_all()
            raise
        finally:
            try:
                self._cancel_retries()
                self._terminate_all()
            finally:
                if not self._ready.ready():  # the constructor returns once children are gone
                    self._ready.send_exception(
                        start_error or SupervisorNotRunning(f"supervisor {self.path!r} exited")
                    )
                self._refuse_pending_requests()
            if _LOG.enabled:
                _log.debug("supervisor.shutdown", sup_path=self.path, proc_id=self.id)

    def _refuse_pending_requests(self) -> None:
        """Answer the API requests still queued when the supervisor exits: it is gone."""
        inbox = self._inbox
        while inbox:
            message = inbox.get_nowait()
            if message[0] == "call":
                message[3].send_exception(SupervisorNotRunning(f"supervisor {self.path!r} exited"))

    def _init_children(self, specs: list[ChildSpec]) -> None:
        for spec in specs:
            child = _Child(spec=spec, order=next(_start_order))
            try:
                self._start_child_proc(child)
            except StartChildError as exc:
                self._terminate_all()
                raise SupervisorStartError(spec.id, exc.cause) from exc.cause
            if child.proc is not None or spec.restart is not Restart.TEMPORARY:
                self._add(child)

    def _serve(self) -> None:
        inbox = self._inbox
        while True:
            message = inbox.get()
            kind = message[0]
            if kind == "exit":
                self._on_exit(message[1])
            elif kind == "call":
                _, method, args, reply = message
                try:
                    result = method(*args)
                except SupervisorError as exc:
                    reply.send_exception(exc)
                except BaseException:
                    # Killed in the middle of the request: its caller must not wait forever.
                    reply.send_exception(
                        SupervisorNotRunning(f"supervisor {self.path!r} exited during the call")
                    )
                    raise
                else:
                    reply.send(result)
            elif kind == "retry":
                self._retry(message[1])
            elif kind == "stop":
                return

    # -- bookkeeping -------------------------------------------------------

    def _add(self, child: _Child) -> None:
        self._children.append(child)
        self._by_id[child.id] = child

    def _remove(self, child: _Child) -> None:
        self._children.remove(child)
        self._by_id.pop(child.id, None)

    def _child_exit_listener(self, proc: Proc) -> None:
        self._inbox.put(("exit", proc))

    def _start_child_proc(self, child: _Child) -> None:
        """Run the child's start function; raise StartChildError if it fails."""
        spec = child.spec
        self._starting_id = spec.id
        try:
            handle = spec.start(*spec.args)
        except Exception as exc:
            raise StartChildError(spec.id, exc) from exc
        finally:
            self._starting_id = None
        child.restarting = False
        if handle is None:  # OTP `ignore`
            child.proc = child.handle = None
            return
        proc = handle if isinstance(handle, Proc) else getattr(handle, "proc", None)
        if not isinstance(proc, Proc):
            raise StartChildError(
                spec.id,
                TypeError(
                    f"start returned {handle!r}; expected a Proc, an object with .proc, or None"
                ),
            )
        child.proc = proc
        child.handle = handle
        child.started_at = get_hub().clock()
        if proc.supervisor_path is None:
            proc.supervisor_path = f"{self.path}/{spec.id}"
        self._by_proc[proc.id] = child
        proc.link(self._child_exit_listener)
        if _LOG.enabled:
            _log.debug("child.started", sup_path=self.path, child_id=spec.id, proc_id=proc.id)

    def _on_exit(self, proc: Proc) -> None:
        child = self._by_proc.pop(proc.id, None)
        if child is None or child.proc is not proc:
            return  # stale: the supervisor terminated it itself
        child.proc = None
        error = None if proc.exit_reason is ExitReason.NORMAL else proc.exc_info()[1]
        reason = _reason_of(proc, error)
        spec = child.spec
        restart = spec.restart is Restart.PERMANENT or (
            spec.restart is Restart.TRANSIENT and reason in ("error", "killed")
        )
        if _LOG.enabled:
            log = _log.warning if reason in ("error", "killed") else _log.info
            log(
                "child.exited",
                sup_path=self.path,
                child_id=spec.id,
                proc_id=proc.id,
                reason=reason,
                error=error,
                restart=restart,
            )
        if spec.restart is Restart.TEMPORARY:
            self._forget(child)
        if not restart:
            if spec.significant:
                self._significant_ended()
            return
        self._add_restart(child)  # raises RestartIntensityExceeded past the limit
        self._apply_strategy(child)

    def _forget(self, child: _Child) -> None:
        if child in self._children:
            self._remove(child)

    def _significant_ended(self) -> None:
        """A significant child ended for good: maybe shut down (OTP auto_shutdown).

        all_significant waits for the last one; a child being restarted still counts
        as active, as OTP counts any pid that is not ``undefined``.
        """
        if self.auto_shutdown is AutoShutdown.NEVER:
            return
        if self.auto_shutdown is AutoShutdown.ALL_SIGNIFICANT and any(
            other.spec.significant and (other.proc is not None or other.restarting)
            for other in self._children
        ):
            return
        if _LOG.enabled:
            _log.info("supervisor.auto_shutdown", sup_path=self.path, proc_id=self.id)
        raise Shutdown  # OTP stops with reason `shutdown` at once

    def _add_restart(self, child: _Child) -> None:
        """Count a restart; past the intensity, give up by raising (see OTP add_restart)."""
        now = get_hub().clock()
        times = self._restart_times
        while times and times[0] < now - self.max_seconds:
            times.popleft()
        times.append(now)
        self.total_restarts += 1
        if len(times) <= self.max_restarts:
            return
        _log.error(
            "supervisor.intensity_exceeded",
            sup_path=self.path,
            child_id=child.id,
            max_restarts=self.max_restarts,
            max_seconds=self.max_seconds,
        )
        if child.spec.restart is Restart.TEMPORARY:
            self._forget(child)
        child.restarting = False
        raise RestartIntensityExceeded(self.path, child.id, self.max_restarts, self.max_seconds)

    # -- strategies --------------------------------------------------------

    def _apply_strategy(self, child: _Child) -> None:
        if self.strategy is Strategy.ONE_FOR_ONE or self._dynamic:
            group = [child]
        elif self.strategy is Strategy.ONE_FOR_ALL:
            group = list(self._children)
        else:  # rest_for_one
            group = (
                self._children[self._children.index(child) :]
                if child in self._children
                else [child]
            )
        for other in reversed(group):
            if other is not child and other.proc is not None:
                self._terminate(other)
                if other.spec.restart is Restart.TEMPORARY:
                    self._forget(other)
        self._restart_group(
            [c for c in group if c is child or c.spec.restart is not Restart.TEMPORARY], child
        )

    def _restart_group(
        self, group: list[_Child], trigger: _Child, *, delayed: bool = False
    ) -> None:
        """Start the stopped children of ``group`` in order; stop at the first failure.

        ``trigger`` is the child whose exit (or failed start) caused the restart; with a
        back-off, its consecutive restarts decide the delay, and it shows `restarting`.
        """
        if self.backoff is not None and not delayed:
            delay = self._backoff_delay(trigger)
            if delay > 0:
                trigger.restarting = True
                trigger.pending_group = group
                self._schedule_retry(trigger, delay)
                return
        for child in group:
            if child.proc is not None:
                continue
            try:
                self._start_child_proc(child)
            except StartChildError as exc:
                _log.error(
                    "child.start_failed",
                    sup_path=self.path,
                    child_id=child.id,
                    error=repr(exc.cause),
                )
                child.restarting = True  # OTP `restarting`: retried, each retry counted
                self._schedule_retry(child, 0)
                return
            child.restarts += 1
            if _LOG.enabled:
                _log.info(
                    "child.restarted",
                    sup_path=self.path,
                    child_id=child.id,
                    proc_id=None if child.proc is None else child.proc.id,
                    restarts=child.restarts,
                )

    def _backoff_delay(self, child: _Child) -> float:
        assert self.backoff is not None
        now = get_hub().clock()
        if now - child.started_at >= self.backoff.reset_after:
            child.consecutive = 0
        child.consecutive += 1
        return self.backoff.delay(child.consecutive)

    def _schedule_retry(self, child: _Child, delay: float) -> None:
        """Post ourselves a retry (OTP try_again) after ``delay``, through the hub.

        Going through the hub lets other procs (API callers, a parent shutting us
        down) run between two attempts, as OTP's message loop does.
        """
        hub = get_hub()
        if delay <= 0:
            hub.schedule_soon(self._inbox.put, ("retry", child))
            return
        self._retry_timers[id(child)] = hub.schedule_call_global(delay, self._retry_due, child)

    def _retry_due(self, child: _Child) -> None:
        self._retry_timers.pop(id(child), None)
        if not self.dead:
            self._inbox.put(("retry", child))

    def _cancel_retries(self) -> None:
        timers, self._retry_timers = self._retry_timers, {}
        for timer in timers.values():
            timer.cancel()

    def _retry(self, child: _Child) -> None:
        if not child.restarting or child.proc is not None:
            return  # cancelled (terminate_child) or already running
        if not self._dynamic and child not in self._children:
            return
        group, child.pending_group = child.pending_group, None
        if group is not None:  # a back-off delay ended: resume the group, not a new failure
            alive = set(map(id, self._children))
            group = [c for c in group if c is child or id(c) in alive]
            self._restart_group(group, child, delayed=True)
            return
        # The child stays `restarting` until its start succeeds (OTP try_again).
        self._add_restart(child)  # each retry counts
        self._apply_strategy(child)

    # -- terminating -------------------------------------------------------

    def _terminate(self, child: _Child) -> None:
        """Stop ``child`` by its shutdown spec and wait for it (a monitor, not the link)."""
        proc = child.proc
        child.restarting = False
        child.pending_group = None
        if proc is None:
            return
        child.proc = None
        self._by_proc.pop(proc.id, None)
        proc.unlink(self._child_exit_listener)
        try:
            stop_child(proc, child.spec.shutdown)
        except BaseException:
            proc.throw(Killed())  # interrupted (we are being killed): never leave it running
            raise

    def _terminate_all(self) -> None:
        """Stop every child, one at a time, in reverse start order (OTP terminate)."""
        try:
            for child in reversed(list(self._children)):
                if child.proc is not None:
                    self._terminate(child)
                child.restarting = False
                child.pending_group = None
                if child.spec.restart is Restart.TEMPORARY:
                    self._forget(child)
        except BaseException:
            self._kill_all(wait=False)  # interrupted: the rest die without grace
            raise

    def _detach_all(self) -> list[Proc]:
        """Forget every live child proc (temporary specs too); return the procs."""
        procs = []
        for child in list(self._children):
            proc = child.proc
            child.restarting = False
            child.pending_group = None
            if proc is not None:
                child.proc = None
                self._by_proc.pop(proc.id, None)
                proc.unlink(self._child_exit_listener)
                procs.append(proc)
            if child.spec.restart is Restart.TEMPORARY and not self._dynamic:
                self._forget(child)
        if self._dynamic:
            self._children.clear()  # a dynamic child leaves no spec behind
        return procs

    def _kill_all(self, *, wait: bool = True) -> None:
        """Kill every child at once, as OTP's links do when a supervisor is killed."""
        procs = self._detach_all()
        for proc in procs:
            proc.throw(Killed())
        if wait:
            _await_all(procs, _KILL_WAIT)

    # -- API (runs in the supervisor's proc) -------------------------------

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        if current_proc() is self:
            return method(*args)
        if self.dead:
            raise SupervisorNotRunning(f"supervisor {self.path!r} is not running")
        reply = Event()

        def supervisor_died(_proc: Proc) -> None:
            if not reply.ready():
                reply.send_exception(SupervisorNotRunning(f"supervisor {self.path!r} exited"))

        self.link(supervisor_died)
        try:
            self._inbox.put(("call", method, args, reply))
            return reply.wait()
        finally:
            self.unlink(supervisor_died)

    def _request(self, method: Callable[..., Any], *args: Any) -> Source:
        """Queue an API call without waiting; the Source gets its outcome. Safe from anywhere."""
        reply = Source(f"{self.path} request")
        if self.dead:
            reply.send_exception(SupervisorNotRunning(f"supervisor {self.path!r} is not running"))
        else:
            self._inbox.put(("call", method, args, reply))
        return reply

    def start_child(self, spec: ChildSpec) -> Any:
        """Add and start a child; return what its start function returned (None if ignored).

        Raises:
            AlreadyStarted, AlreadyPresent, InvalidChildSpec, StartChildError.
        """
        self._check_spec(spec)
        return self._call(self._do_start_child, spec)

    def start_child_nowait(self, spec: ChildSpec) -> Source:
        """Like :meth:`start_child`, but never blocks: safe from MAIN_LOOP (a Twisted callback).

        Returns:
            a Source that gets what the start function returned, or the error
            :meth:`start_child` would raise: ``wait()`` for it in a proc, or
            ``link()`` a callback to it from Twisted code.
        """
        self._check_spec(spec)
        return self._request(self._do_start_child, spec)

    def _do_start_child(self, spec: ChildSpec) -> Any:
        existing = self._by_id.get(spec.id)
        if existing is not None:
            if existing.proc is not None:
                raise AlreadyStarted(spec.id, existing.proc)
            raise AlreadyPresent(spec.id)
        child = _Child(spec=spec, order=next(_start_order))
        self._start_child_proc(child)
        if child.proc is not None or spec.restart is not Restart.TEMPORARY:
            self._add(child)
        return child.handle

    def terminate_child(self, child_id: Any) -> None:
        """Stop a child (by its shutdown spec); its spec stays unless temporary. Idempotent."""
        self._call(self._do_terminate_child, child_id)

    def _do_terminate_child(self, child_id: Any) -> None:
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        self._terminate(child)
        if child.spec.restart is Restart.TEMPORARY:
            self._forget(child)

    def restart_child(self, child_id: Any) -> Any:
        """Start a stopped child again (does not count toward intensity)."""
        return self._call(self._do_restart_child, child_id)

    def _stopped_child(self, child_id: Any) -> _Child:
        """The child ``child_id`` if it is stopped (OTP: restart/delete need that)."""
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        if child.restarting:
            raise ChildRestarting(child_id)
        if child.proc is not None:
            raise ChildRunning(child_id)
        return child

    def _do_restart_child(self, child_id: Any) -> Any:
        child = self._stopped_child(child_id)
        self._start_child_proc(child)
        return child.handle

    def delete_child(self, child_id: Any) -> None:
        """Forget a stopped child's spec."""
        self._call(self._do_delete_child, child_id)

    def _do_delete_child(self, child_id: Any) -> None:
        self._remove(self._stopped_child(child_id))

    def get_childspec(self, child_id: Any) -> ChildSpec:
        """The spec of a child. Raises ChildNotFound."""
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        return child.spec

    def which_child(self, child_id: Any) -> ChildInfo:
        """The :meth:`which_children` row of one child (newest OTP's ``which_child``).

        Raises:
            ChildNotFound: no child with this id.
        """
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        return self._info(child)

    def stop(self, timeout: float | None = None) -> None:
        """Shut down: children terminated in reverse start order, then the supervisor exits."""
        if self.dead:
            return
        self._inbox.put(("stop",))
        self.wait(timeout)

    # -- introspection (safe from anywhere) --------------------------------

    def which_children(self) -> list[ChildInfo]:
        """Children newest-started first (OTP order)."""
        return [self._info(child) for child in reversed(self._children)]

    def _info(self, child: _Child) -> ChildInfo:
        state: Proc | str | None = RESTARTING if child.restarting else child.proc
        return ChildInfo(
            None if self._dynamic else child.id, state, child.spec.type, child.restarts
        )

    def count_children(self) -> ChildCounts:
        children = self._children
        supervisors = sum(1 for c in children if c.spec.type is ChildType.SUPERVISOR)
        return ChildCounts(
            specs=len(children),
            active=sum(1 for c in children if c.proc is not None and not c.proc.dead),
            supervisors=supervisors,
            workers=len(children) - supervisors,
        )

    def statistics(self) -> SupervisorStatistics:
        now = get_hub().clock()
        in_window = sum(1 for t in self._restart_times if t >= now - self.max_seconds)
        counts = self.count_children()
        return SupervisorStatistics(
            children=counts.specs,
            active=counts.active,
            restarts_in_window=in_window,
            total_restarts=self.total_restarts,
        )

    def format_tree(self, indent: str = "") -> str:
        """A printable tree of this supervisor and every supervisor below it.

        One line per supervisor (path, kind, strategy, proc id, state, restarts it
        made) and per child (id, type, restart type, proc id or state, restarts);
        a running child supervisor's own children follow its line, indented.
        """
        if not self.dead:
            state = "running"
        else:
            state = self.exit_reason.value if self.exit_reason is not None else "finished"
        strategy = "simple_one_for_one" if self._dynamic else self.strategy.value
        header = (
            f"{indent}{self.path} [{type(self).__name__} {strategy} proc={self.id} "
            f"{state} restarts={self.total_restarts}]"
        )
        lines = [header]
        self._format_children(lines, indent + "  ")
        return "\n".join(lines)

    def _format_children(self, lines: list[str], indent: str) -> None:
        for child in self._children:
            proc = child.proc
            if child.restarting:
                where = RESTARTING
            elif proc is None:
                where = "stopped"
            else:
                where = f"proc={proc.id} {'running' if not proc.dead else 'exited'}"
            label = child.id if not self._dynamic else f"{child.id}{list(child.spec.args)!r}"
            # A child supervisor also shows the restarts it made among its own children.
            made = f" made={proc.total_restarts}" if isinstance(proc, Supervisor) else ""
            lines.append(
                f"{indent}{label} [{child.spec.type.value} {child.spec.restart.value} "
                f"{where} restarts={child.restarts}{made}]"
            )
            if isinstance(proc, Supervisor) and not proc.dead:
                proc._format_children(lines, indent + "  ")

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.path!r} proc={self.id} children={len(self._children)}>"
        )


def stop_child(proc: Proc, shutdown: Any) -> None:
    """Stop ``proc`` the OTP way: ``Shutdown``, a grace period, then ``Killed``."""
    if proc.dead:
        return
    if shutdown is BRUTAL_KILL:
        _kill_and_wait(proc)
        return
    grace = None if shutdown is INFINITY else float(shutdown)
    proc.kill(Shutdown())
    if not _await_exit(proc, grace):
        _kill_and_wait(proc)


def _kill_and_wait(proc: Proc) -> None:
    proc.kill(Killed())
    if not _await_exit(proc, _KILL_WAIT):
        _log.error("child.kill_ignored", proc_id=proc.id, waited=_KILL_WAIT)


def _await_exit(proc: Proc, timeout: float | None) -> bool:
    """Wait until ``proc`` has finished (whatever its outcome); False on timeout."""
    if proc.dead:
        return True
    done = Event()

    def finished(_proc: Proc) -> None:
        if not done.ready():
            done.send(None)

    proc.link(finished)
    try:
        with Timeout(timeout, False):
            done.wait()
    finally:
        proc.unlink(finished)
    return proc.dead


def _await_all(procs: list[Proc], timeout: float | None) -> None:
    """Wait until every proc has finished, or ``timeout`` (one timer for all) passed."""
    with Timeout(timeout, False):
        for proc in procs:
            _await_exit(proc, None)
    for proc in procs:
        if not proc.dead:
            _log.error("child.kill_ignored", proc_id=proc.id, waited=timeout)


class DynamicSupervisor(Supervisor):
    """Many children of one spec, started on demand (OTP ``simple_one_for_one``).

    Args:
        spec: the template; ``start_child(*args)`` calls ``spec.start(*spec.args, *args)``.
        max_children: refuse ``start_child`` past this many live children (None: no cap).

    Each child is restarted alone (one_for_one) with its own arguments; on
    shutdown every child gets ``Shutdown`` at once, then one grace period of
    the template's shutdown, then ``Killed``. Children have no ids: the API
    takes a child's proc (or what its start returned); ``terminate_child`` with
    anything else, ``restart_child`` and ``delete_child`` raise SupervisorError
    (OTP's ``{error, simple_one_for_one}``). auto_shutdown and significant
    children are refused (OTP's newest test suite does the same).
    """

    _dynamic = True

    def __init__(
        self,
        spec: ChildSpec,
        *,
        max_restarts: int = 1,
        max_seconds: float = 5,
        max_children: int | None = None,
        name: str | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        if spec.significant:
            raise InvalidChildSpec("bad_combination", [("dynamic", True), ("significant", True)])
        self.template = spec
        self.max_children = max_children
        super().__init__(
            (), max_restarts=max_restarts, max_seconds=max_seconds, name=name, backoff=backoff
        )

    def start_child(self, *args: Any) -> Any:
        """Start a child with ``args`` appended to the template's; return what start returned.

        Raises:
            StartChildError: the start function failed.
            SupervisorError: ``max_children`` live children already.
        """
        return self._call(self._do_start_dynamic, args)

    def start_child_nowait(self, *args: Any) -> Source:
        """Like :meth:`start_child`, but never blocks: safe from MAIN_LOOP (a Twisted callback).

        For a server that starts one child per request from a protocol callback::

            def datagramReceived(self, data, address):
                started = sessions.start_child_nowait(data, address)
                started.link_exception(lambda source: self.refuse(address))

        Returns:
            a Source that gets what the start function returned, or the error.
        """
        return self._request(self._do_start_dynamic, args)

    def _do_start_dynamic(self, args: tuple[Any, ...]) -> Any:
        if self.max_children is not None and len(self._children) >= self.max_children:
            raise SupervisorError(f"{self.path}: max_children ({self.max_children}) reached")
        spec = attrs.evolve(self.template, args=(*self.template.args, *args))
        child = _Child(spec=spec, order=next(_start_order))
        self._start_child_proc(child)
        if child.proc is not None:
            self._children.append(child)
        return child.handle

    def _add(self, child: _Child) -> None:
        self._children.append(child)

    def _remove(self, child: _Child) -> None:
        self._children.remove(child)

    def terminate_child(self, proc: Any) -> None:
        """Stop the child running ``proc`` (a Proc or the object start returned)."""
        self._call(self._do_terminate_dynamic, proc)

    def _do_terminate_dynamic(self, target: Any) -> None:
        proc = target if isinstance(target, Proc) else getattr(target, "proc", None)
        if not isinstance(proc, Proc):
            raise _simple_one_for_one("terminate_child", target)
        child = self._by_proc.get(proc.id)
        if child is None:
            if proc.dead:
                return  # OTP: a dead pid that isn't known is ok
            raise ChildNotFound(target)
        self._terminate(child)
        self._forget(child)

    def restart_child(self, child_id: Any) -> Any:
        raise _simple_one_for_one("restart_child", child_id)

    def delete_child(self, child_id: Any) -> None:
        raise _simple_one_for_one("delete_child", child_id)

    def which_child(self, child_id: Any) -> ChildInfo:
        """The row of the child running ``child_id`` (a Proc or what start returned)."""
        proc = child_id if isinstance(child_id, Proc) else getattr(child_id, "proc", None)
        child = self._by_proc.get(proc.id) if isinstance(proc, Proc) else None
        if child is None:
            raise ChildNotFound(child_id)
        return self._info(child)

    def get_childspec(self, child_id: Any) -> ChildSpec:
        """The template (OTP: any pid of a simple_one_for_one supervisor gives it)."""
        proc = child_id if isinstance(child_id, Proc) else getattr(child_id, "proc", None)
        if not isinstance(proc, Proc) or proc.id not in self._by_proc:
            raise ChildNotFound(child_id)
        return self.template

    def _on_exit(self, proc: Proc) -> None:
        child = self._by_proc.get(proc.id)
        super()._on_exit(proc)
        if child is not None and child.proc is None and not child.restarting:
            self._forget(child)  # not restarted: a dynamic child leaves no spec behind

    def count_children(self) -> ChildCounts:
        children = self._children
        supervisors = len(children) if self.template.type is ChildType.SUPERVISOR else 0
        return ChildCounts(
            specs=1,
            active=sum(1 for c in children if c.proc is not None and not c.restarting),
            supervisors=supervisors,
            workers=len(children) - supervisors,
        )

    def _terminate_all(self) -> None:
        """All children get Shutdown at once, one grace period, then Killed (OTP)."""
        procs = self._detach_all()
        try:
            shutdown = self.template.shutdown
            if shutdown is not BRUTAL_KILL:
                for proc in procs:
                    proc.throw(Shutdown())
                grace = None if shutdown is INFINITY else float(shutdown)  # type: ignore[arg-type]
                with Timeout(grace, False):
                    for proc in procs:
                        _await_exit(proc, None)
        except BaseException:
            for proc in procs:
                proc.throw(Killed())  # interrupted: the rest die without grace
            raise
        for proc in procs:
            proc.throw(Killed())
        _await_all(procs, _KILL_WAIT)


def _simple_one_for_one(operation: str, target: Any) -> SupervisorError:
    return SupervisorError(
        f"{operation}({target!r}): a DynamicSupervisor's children have no ids, only procs "
        "(OTP simple_one_for_one)"
    )
