"""Supervisor and DynamicSupervisor: procs that start, watch and restart children (OTP rules)."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from greenlet import getcurrent

from eventlib._event import Event
from eventlib._queue import Queue
from eventlib._timeout import Timeout
from eventlib.hub import get_hub
from eventlib.log import STATE as _LOG
from eventlib.log import get_logger
from eventlib.proc import ExitReason, Proc, current_proc
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
    error = proc.exc_info()[1]
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

    @property
    def id(self) -> Any:
        return self.spec.id


_start_order = itertools.count()


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
        auto_shutdown: ``never`` (default), ``any_significant`` or ``all_significant``.
        name: the supervisor's name in logs and trees.
        backoff: optional :class:`Backoff` delaying restarts; off by default.

    Constructed from a green thread, it returns once every child has started,
    and raises :class:`SupervisorStartError` if one failed (the others are then
    terminated). From MAIN_LOOP it starts in the background.

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
        self._children: list[_Child] = []  # in start order
        self._by_id: dict[Any, _Child] = {}
        self._by_proc: dict[int, _Child] = {}
        self._restart_times: collections.deque[float] = collections.deque()
        self.total_restarts = 0
        self._inbox: Queue = Queue()
        self._ready = Event()
        self._starting_id: Any = None
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
        seen: set[Any] = set()
        for spec in specs:
            self._check_spec(spec)
            if spec.id in seen:
                raise InvalidChildSpec("duplicate_child_name", spec.id)
            seen.add(spec.id)

    def _check_spec(self, spec: ChildSpec) -> None:
        if not isinstance(spec, ChildSpec):
            raise InvalidChildSpec("not_a_child_spec", spec)
        if spec.significant and self.auto_shutdown is AutoShutdown.NEVER:
            raise InvalidChildSpec(
                "bad_combination", [("auto_shutdown", "never"), ("significant", True)]
            )

    # -- the supervisor's own loop ----------------------------------------

    def _main(self, specs: list[ChildSpec]) -> None:
        try:
            try:
                self._init_children(specs)
            except BaseException as exc:
                self._ready.send_exception(exc)
                raise
            self._ready.send(None)
            self._serve()
        finally:
            self._terminate_all()
            if _LOG.enabled:
                _log.debug("supervisor.shutdown", sup_path=self.path, proc_id=self.id)

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
                    reply.send(method(*args))
                except SupervisorError as exc:
                    reply.send_exception(exc)
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
        reason = exit_reason(proc)
        spec = child.spec
        restart = spec.restart is Restart.PERMANENT or (
            spec.restart is Restart.TRANSIENT and reason in ("error", "killed")
        )
        log = _log.warning if reason in ("error", "killed") else _log.info
        log(
            "child.exited",
            sup_path=self.path,
            child_id=spec.id,
            proc_id=proc.id,
            reason=reason,
            error=None if reason == "normal" else repr(proc.exc_info()[1]),
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
        if self.auto_shutdown is AutoShutdown.ANY_SIGNIFICANT or (
            self.auto_shutdown is AutoShutdown.ALL_SIGNIFICANT
            and not any(
                other.spec.significant and other.proc is not None for other in self._children
            )
        ):
            self._inbox.put(("stop",))

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
            [c for c in group if c is child or c.spec.restart is not Restart.TEMPORARY]
        )

    def _restart_group(self, group: list[_Child]) -> None:
        for index, child in enumerate(group):
            if child.proc is not None:
                continue
            if self.backoff is not None and index == 0:
                delay = self._backoff_delay(child)
                if delay > 0:
                    child.restarting = True
                    get_hub().schedule_call_global(delay, self._inbox.put, ("retry", child))
                    return
            try:
                self._start_child_proc(child)
            except StartChildError as exc:
                _log.error(
                    "child.start_failed",
                    sup_path=self.path,
                    child_id=child.id,
                    error=repr(exc.cause),
                )
                child.restarting = True
                self._inbox.put(("retry", child))
                return
            child.restarts += 1
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

    def _retry(self, child: _Child) -> None:
        if not child.restarting or child.proc is not None:
            return  # cancelled (terminate_child) or already running
        if child not in self._children and not self._dynamic:
            return
        if self.backoff is None:
            self._add_restart(child)  # each retry counts (OTP try_again)
        child.restarting = False
        if self.backoff is not None:
            try:
                self._start_child_proc(child)
            except StartChildError:
                child.restarting = True
                self._add_restart(child)
                get_hub().schedule_call_global(
                    self._backoff_delay(child), self._inbox.put, ("retry", child)
                )
                return
            child.restarts += 1
            return
        self._apply_strategy(child)

    # -- terminating -------------------------------------------------------

    def _terminate(self, child: _Child) -> None:
        """Stop ``child`` by its shutdown spec and wait for it (a monitor, not the link)."""
        proc = child.proc
        child.restarting = False
        if proc is None:
            return
        child.proc = None
        self._by_proc.pop(proc.id, None)
        proc.unlink(self._child_exit_listener)
        stop_child(proc, child.spec.shutdown)

    def _terminate_all(self) -> None:
        for child in reversed(list(self._children)):
            if child.proc is not None:
                self._terminate(child)
            child.restarting = False
            if child.spec.restart is Restart.TEMPORARY:
                self._forget(child)

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

    def start_child(self, spec: ChildSpec) -> Any:
        """Add and start a child; return what its start function returned (None if ignored).

        Raises:
            AlreadyStarted, AlreadyPresent, InvalidChildSpec, StartChildError.
        """
        self._check_spec(spec)
        return self._call(self._do_start_child, spec)

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

    def _do_restart_child(self, child_id: Any) -> Any:
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        if child.restarting:
            raise ChildRestarting(child_id)
        if child.proc is not None:
            raise ChildRunning(child_id)
        self._start_child_proc(child)
        return child.handle

    def delete_child(self, child_id: Any) -> None:
        """Forget a stopped child's spec."""
        self._call(self._do_delete_child, child_id)

    def _do_delete_child(self, child_id: Any) -> None:
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        if child.restarting:
            raise ChildRestarting(child_id)
        if child.proc is not None:
            raise ChildRunning(child_id)
        self._remove(child)

    def get_childspec(self, child_id: Any) -> ChildSpec:
        """The spec of a child. Raises ChildNotFound."""
        child = self._by_id.get(child_id)
        if child is None:
            raise ChildNotFound(child_id)
        return child.spec

    def stop(self, timeout: float | None = None) -> None:
        """Shut down: children terminated in reverse start order, then the supervisor exits."""
        if self.dead:
            return
        self._inbox.put(("stop",))
        self.wait(timeout)

    # -- introspection (safe from anywhere) --------------------------------

    def which_children(self) -> list[ChildInfo]:
        """Children newest-started first (OTP order)."""
        rows = []
        for child in reversed(self._children):
            state: Proc | str | None = RESTARTING if child.restarting else child.proc
            rows.append(ChildInfo(child.id, state, child.spec.type, child.restarts))
        return rows

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
        """A printable tree of this supervisor and every supervisor below it."""
        state = (
            "running" if not self.dead else (self.exit_reason.value if self.exit_reason else "?")
        )
        lines = [
            (
                f"{indent}{self.path} [{type(self).__name__} {self.strategy.value} "
                f"proc={self.id} {state} restarts={self.total_restarts}]"
            )
        ]
        for child in self._children:
            proc = child.proc
            if isinstance(proc, Supervisor) and not proc.dead:
                lines.append(proc.format_tree(indent + "  "))
                continue
            if child.restarting:
                where = RESTARTING
            elif proc is None:
                where = "stopped"
            else:
                where = f"proc={proc.id} {'running' if not proc.dead else 'exited'}"
            lines.append(
                f"{indent}  {child.id} [{child.spec.type.value} {child.spec.restart.value} "
                f"{where} restarts={child.restarts}]"
            )
        return "\n".join(lines)

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


class DynamicSupervisor(Supervisor):
    """Many children of one spec, started on demand (OTP ``simple_one_for_one``).

    Args:
        spec: the template; ``start_child(*args)`` calls ``spec.start(*spec.args, *args)``.
        max_children: refuse ``start_child`` past this many live children (None: no cap).

    Each child is restarted alone (one_for_one) with its own arguments; on
    shutdown every child gets ``Shutdown`` at once, then one grace period of
    the template's shutdown, then ``Killed``.
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
            raise ChildNotFound(target)
        child = self._by_proc.get(proc.id)
        if child is None:
            if proc.dead:
                return  # OTP: a dead pid that isn't known is ok
            raise ChildNotFound(target)
        self._terminate(child)
        self._forget(child)

    def restart_child(self, child_id: Any) -> Any:  # noqa: ARG002 - same signature as the base
        raise SupervisorError("a DynamicSupervisor has no child ids (OTP simple_one_for_one)")

    def delete_child(self, child_id: Any) -> None:  # noqa: ARG002 - same signature as the base
        raise SupervisorError("a DynamicSupervisor has no child ids (OTP simple_one_for_one)")

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

    def which_children(self) -> list[ChildInfo]:
        return [
            ChildInfo(None, RESTARTING if c.restarting else c.proc, c.spec.type, c.restarts)
            for c in reversed(self._children)
        ]

    def _terminate_all(self) -> None:
        """All children get Shutdown at once, one grace period, then Killed (OTP)."""
        live = [c for c in self._children if c.proc is not None]
        procs = []
        for child in live:
            proc = child.proc
            assert proc is not None
            child.proc = None
            self._by_proc.pop(proc.id, None)
            proc.unlink(self._child_exit_listener)
            procs.append(proc)
        self._children.clear()
        shutdown = self.template.shutdown
        if shutdown is BRUTAL_KILL:
            for proc in procs:
                proc.kill(Killed())
        else:
            for proc in procs:
                proc.kill(Shutdown())
            grace = None if shutdown is INFINITY else float(shutdown)  # type: ignore[arg-type]
            with Timeout(grace, False):
                for proc in procs:
                    _await_exit(proc, None)
            for proc in procs:
                if not proc.dead:
                    proc.kill(Killed())
        for proc in procs:
            if not _await_exit(proc, _KILL_WAIT):
                _log.error("child.kill_ignored", proc_id=proc.id, waited=_KILL_WAIT)
