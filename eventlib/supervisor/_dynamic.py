"""DynamicSupervisor: many children of one spec, started on demand (OTP simple_one_for_one)."""

from __future__ import annotations

from typing import Any

from eventlib.proc import Proc, Source
from eventlib.supervisor._children import Child, ChildCounts, ChildInfo, start_order
from eventlib.supervisor._errors import (
    ChildNotFound,
    InvalidChildSpec,
    InvalidSupervisorFlags,
    Killed,
    Shutdown,
    SupervisorError,
)
from eventlib.supervisor._shutdown import KILL_WAIT, await_all, await_exit
from eventlib.supervisor._spec import BRUTAL_KILL, INFINITY, Backoff, ChildSpec, ChildType
from eventlib.supervisor._supervisor import Supervisor
from eventlib.sync import Timeout

__all__ = ["DynamicSupervisor"]


class DynamicSupervisor(Supervisor):
    """Many children of one spec, started on demand (OTP ``simple_one_for_one``).

    Args:
        spec: the template; ``start_child(*args)`` calls ``spec.start(*spec.args, *args)``.
        max_children: refuse ``start_child`` past this many live children (None: no cap;
            an int >= 0).

    Raises:
        InvalidSupervisorFlags: ``spec`` is not a ChildSpec, or a flag is malformed.
        InvalidChildSpec: ``spec`` is significant.

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
        if not isinstance(spec, ChildSpec):
            raise InvalidSupervisorFlags("invalid_template", spec)
        if spec.significant:
            raise InvalidChildSpec("bad_combination", [("dynamic", True), ("significant", True)])
        if max_children is not None and (
            isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 0
        ):
            raise InvalidSupervisorFlags("invalid_max_children", max_children)
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
        template = self.template
        child = Child(spec=template, order=next(start_order), args=(*template.args, *args))
        self._start_child_proc(child)
        if child.proc is not None:
            self._children.append(child)
        return child.handle

    def _add(self, child: Child) -> None:
        self._children.append(child)

    def _remove(self, child: Child) -> None:
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
                        await_exit(proc, None)
        except BaseException:
            for proc in procs:
                proc.throw(Killed())  # interrupted: the rest die without grace
            raise
        for proc in procs:
            proc.throw(Killed())
        await_all(procs, KILL_WAIT)


def _simple_one_for_one(operation: str, target: Any) -> SupervisorError:
    return SupervisorError(
        f"{operation}({target!r}): a DynamicSupervisor's children have no ids, only procs "
        "(OTP simple_one_for_one)"
    )
