"""Supervisor: a proc that starts, watches and restarts children by OTP's rules.

This file is the restart engine and the API that runs in the supervisor's own
proc; what it keeps of each child is in ``_children``, how a child is stopped
in ``_shutdown``, what it reports in ``_introspection``, and the dynamic
(simple_one_for_one) variant in ``_dynamic``.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any

from greenlet import getcurrent

from eventlib.hub import check_not_main_loop, check_timeout, get_hub
from eventlib.log import STATE as _LOG
from eventlib.log import get_logger
from eventlib.proc import ExitReason, Proc, Source, current_proc
from eventlib.supervisor._children import (
    Child,
    ChildInfo,
    Children,
    reason_of,
    start_order,
)
from eventlib.supervisor._errors import (
    AlreadyPresent,
    AlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InvalidSupervisorFlags,
    Killed,
    RestartIntensityExceeded,
    Shutdown,
    StartChildError,
    SupervisorError,
    SupervisorNotRunning,
    SupervisorStartError,
)
from eventlib.supervisor._introspection import Introspection
from eventlib.supervisor._shutdown import KILL_WAIT, await_all, stop_child
from eventlib.supervisor._spec import (
    AutoShutdown,
    Backoff,
    ChildSpec,
    Restart,
    Strategy,
    check_childspec,
    check_childspecs,
    check_flags,
)
from eventlib.sync import Event, Queue

__all__ = ["Supervisor"]

_log = get_logger()

START_WARNING_AFTER = 5.0
"""Seconds (on the hub's clock) a child's start may run before a ``child.start_slow`` warning."""


class Supervisor(Introspection, Proc):
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
        self.strategy, self.max_restarts, self.max_seconds, self.auto_shutdown = check_flags(
            strategy, max_restarts, max_seconds, auto_shutdown, backoff
        )
        if isinstance(children, ChildSpec | str | bytes) or not isinstance(children, Iterable):
            raise InvalidSupervisorFlags("invalid_children", children)
        super().__init__(name)
        self.backoff = backoff
        specs = list(children)
        self._check_specs(specs)
        self._children = Children()  # in start order
        self._by_id: dict[Any, Child] = {}
        self._by_proc: dict[int, Child] = {}
        self._restart_times: collections.deque[float] = collections.deque()
        self.total_restarts = 0
        self._inbox: Queue = Queue()
        self._ready = Event()
        self._starting_id: Any = None
        # Watch for a start that never returns. A quick start (the rule) costs a clock read
        # and at most one ready-queue check; only a start still running at the next hub
        # turn gets a timer, cancelled when it returns.
        self._starts = 0
        self._start_began: float | None = None
        self._start_check_pending = False
        self._start_watch: Any = None
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
            child = Child(spec=spec, order=next(start_order))
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

    def _add(self, child: Child) -> None:
        self._children.append(child)
        self._by_id[child.id] = child

    def _remove(self, child: Child) -> None:
        self._children.remove(child)
        self._by_id.pop(child.id, None)

    def _child_exit_listener(self, proc: Proc) -> None:
        self._inbox.put(("exit", proc))

    def _start_child_proc(self, child: Child) -> None:
        """Run the child's start function; raise StartChildError if it fails."""
        spec = child.spec
        self._starting_id = spec.id
        self._starts += 1
        hub = get_hub()
        self._start_began = hub.clock()
        if not self._start_check_pending:
            self._start_check_pending = True
            hub.schedule_soon(self._check_start)
        try:
            handle = spec.start(*child.args)
        except Exception as exc:
            raise StartChildError(spec.id, exc) from exc
        finally:
            self._starting_id = None
            self._start_began = None
            if self._start_watch is not None:
                self._start_watch.cancel()
                self._start_watch = None
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
        child.started_at = hub.clock()
        if proc.supervisor_path is None:
            proc.supervisor_path = f"{self._path}/{spec.id}"
        self._by_proc[proc.id] = child
        proc.link(self._child_exit_listener)
        if _LOG.enabled:
            _log.debug("child.started", sup_path=self.path, child_id=spec.id, proc_id=proc.id)

    def _check_start(self) -> None:
        """Next hub turn after a start began: if it is still running, time it (MAIN_LOOP)."""
        self._start_check_pending = False
        began = self._start_began
        if began is None or self.dead or self._start_watch is not None:
            return
        hub = get_hub()
        delay = max(0.0, START_WARNING_AFTER - (hub.clock() - began))
        self._start_watch = hub.schedule_call_global(delay, self._start_slow, self._starts)

    def _start_slow(self, start: int) -> None:
        """Warn, once per start, that a child's start has not returned (from MAIN_LOOP)."""
        self._start_watch = None
        began = self._start_began
        if began is None or start != self._starts:
            return
        _log.warning(
            "child.start_slow",
            sup_path=self.path,
            child_id=self._starting_id,
            waited=round(get_hub().clock() - began, 3),
            fix=(
                "start must return a Proc without blocking, e.g. "
                "start=lambda: eventlib.spawn(loop); a start that runs the loop itself "
                "never returns, and the supervisor waits for it (it is not killed)"
            ),
        )

    def _on_exit(self, proc: Proc) -> None:
        child = self._by_proc.pop(proc.id, None)
        if child is None or child.proc is not proc:
            return  # stale: the supervisor terminated it itself
        child.proc = None
        error = None if proc.exit_reason is ExitReason.NORMAL else proc.exc_info()[1]
        reason = reason_of(proc, error)
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

    def _forget(self, child: Child) -> None:
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

    def _add_restart(self, child: Child) -> None:
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

    def _apply_strategy(self, child: Child) -> None:
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

    def _restart_group(self, group: list[Child], trigger: Child, *, delayed: bool = False) -> None:
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

    def _backoff_delay(self, child: Child) -> float:
        assert self.backoff is not None
        now = get_hub().clock()
        if now - child.started_at >= self.backoff.reset_after:
            child.consecutive = 0
        child.consecutive += 1
        return self.backoff.delay(child.consecutive)

    def _schedule_retry(self, child: Child, delay: float) -> None:
        """Post ourselves a retry (OTP try_again) after ``delay``, through the hub.

        Going through the hub lets other procs (API callers, a parent shutting us
        down) run between two attempts, as OTP's message loop does.
        """
        hub = get_hub()
        if delay <= 0:
            hub.schedule_soon(self._inbox.put, ("retry", child))
            return
        self._retry_timers[id(child)] = hub.schedule_call_global(delay, self._retry_due, child)

    def _retry_due(self, child: Child) -> None:
        self._retry_timers.pop(id(child), None)
        if not self.dead:
            self._inbox.put(("retry", child))

    def _cancel_retries(self) -> None:
        timers, self._retry_timers = self._retry_timers, {}
        for timer in timers.values():
            timer.cancel()

    def _retry(self, child: Child) -> None:
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

    def _terminate(self, child: Child) -> None:
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
            await_all(procs, KILL_WAIT)

    # -- API (runs in the supervisor's proc) -------------------------------

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        if current_proc() is self:
            return method(*args)
        if self.dead:
            raise SupervisorNotRunning(f"supervisor {self.path!r} is not running")
        # Refused before the request is queued: else it would run while the caller is told
        # it failed.
        hub = get_hub()
        if getcurrent() is hub.greenlet:
            check_not_main_loop(hub, _api_name(method))
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
            AlreadyStarted: a child with this id is running.
            AlreadyPresent: a stopped child with this id is kept (restart or delete it).
            InvalidChildSpec: the spec breaks OTP's rules.
            StartChildError: the start function failed.
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
        child = Child(spec=spec, order=next(start_order))
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

    def _stopped_child(self, child_id: Any) -> Child:
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
        check_timeout(timeout, "Supervisor.stop() timeout")
        if self.dead:
            return
        check_not_main_loop(get_hub(), "Supervisor.stop() (use kill() from a Twisted callback)")
        self._inbox.put(("stop",))
        self.wait(timeout)


def _api_name(method: Callable[..., Any]) -> str:
    """``Supervisor.start_child()`` for ``_do_start_child``, with the way out where there is one."""
    name = getattr(method, "__name__", "call").removeprefix("_do_")
    name = {"start_dynamic": "start_child", "terminate_dynamic": "terminate_child"}.get(name, name)
    if name == "start_child":
        return "Supervisor.start_child() (use start_child_nowait() from a Twisted callback)"
    return f"Supervisor.{name}()"
