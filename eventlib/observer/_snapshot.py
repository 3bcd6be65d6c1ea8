"""What the observer shows: a snapshot of procs, supervisors and actors, as attrs objects."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
from greenlet import settrace

from eventlib.hub import Hub, get_hub
from eventlib.mailbox import Actor
from eventlib.mailbox._registry import _registries
from eventlib.proc import Proc
from eventlib.supervisor import RESTARTING, DynamicSupervisor, Supervisor

if TYPE_CHECKING:
    from eventlib.supervisor._children import Child

__all__ = [
    "ActorInfo",
    "ChildRow",
    "ProcInfo",
    "Snapshot",
    "SupervisorInfo",
    "disable_profiling",
    "enable_profiling",
    "snapshot",
]


@attrs.frozen
class ProcInfo:
    id: int
    name: str
    parent_id: int | None
    state: str
    sup_path: str | None
    cpu_seconds: float
    switches: int


@attrs.frozen
class ChildRow:
    """One child of a supervisor.

    ``label`` is what views show: the child id, or for a dynamic supervisor's
    children the spec id with the arguments it was started with
    (``session[42]``), as :meth:`Supervisor.format_tree` prints them.
    """

    id: Any
    label: str
    proc_id: int | None
    state: str
    restarts: int
    type: str
    restart: str


@attrs.frozen
class SupervisorInfo:
    """A supervisor; ``strategy`` is ``simple_one_for_one`` for a DynamicSupervisor."""

    path: str
    proc_id: int
    kind: str
    strategy: str
    restarts: int
    restarts_in_window: int
    children: list[ChildRow]


@attrs.frozen
class ActorInfo:
    """An actor; ``name`` is its registered name when it has one, else its proc's name."""

    name: str
    registered: str | None
    proc_id: int
    mailbox_depth: int
    capacity: int | None


@attrs.frozen
class Snapshot:
    """Everything the observer shows, at one moment."""

    pid: int
    taken_at: float
    procs: list[ProcInfo]
    supervisors: list[SupervisorInfo]
    actors: list[ActorInfo]
    busiest: list[ProcInfo]
    profiling: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ids stay ints, child ids become strings)."""
        return attrs.asdict(self, value_serializer=_json_value)


def _json_value(_instance: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


class _Profiler:
    """CPU time per proc, from greenlet's switch tracing (only while enabled)."""

    def __init__(self) -> None:
        self.cpu: dict[int, float] = {}
        self.switches: dict[int, int] = {}
        self._last = time.perf_counter()
        self._previous: Any = None

    def prune(self, live: dict[int, Any]) -> None:
        """Forget procs that are no longer in ``live`` (short-lived procs would pile up)."""
        if len(self.cpu) > len(live):
            self.cpu = {pid: cpu for pid, cpu in self.cpu.items() if pid in live}
            self.switches = {pid: n for pid, n in self.switches.items() if pid in live}

    def __call__(self, event: str, args: Any) -> None:
        if event not in ("switch", "throw"):
            return
        origin, _target = args
        now = time.perf_counter()
        proc = getattr(origin, "proc", None)
        if proc is not None:
            self.cpu[proc.id] = self.cpu.get(proc.id, 0.0) + (now - self._last)
            self.switches[proc.id] = self.switches.get(proc.id, 0) + 1
        self._last = now
        if self._previous is not None:
            self._previous(event, args)


_profiler: _Profiler | None = None


def enable_profiling() -> None:
    """Count CPU time and switches per proc (costs a little on every switch while on)."""
    global _profiler
    if _profiler is None:
        profiler = _Profiler()
        profiler._previous = settrace(profiler)
        _profiler = profiler


def disable_profiling() -> None:
    global _profiler
    if _profiler is not None:
        settrace(_profiler._previous)
        _profiler = None


def _proc_state(proc: Proc) -> str:
    if proc.dead:
        return proc.exit_reason.value if proc.exit_reason else "finished"
    return "running" if proc.greenlet is not None else "starting"


def snapshot(hub: Hub | None = None, busiest: int = 10) -> Snapshot:
    """The current procs, supervision trees, actors and busiest procs of ``hub``."""
    hub = hub or get_hub()
    profiler = _profiler
    procs = []
    supervisors = []
    actors = []
    names = registered_names(hub)
    for proc in list(hub.procs.values()):
        cpu = profiler.cpu.get(proc.id, 0.0) if profiler else 0.0
        switches = profiler.switches.get(proc.id, 0) if profiler else 0
        info = ProcInfo(
            id=proc.id,
            name=str(proc.name),
            parent_id=proc.parent_id,
            state=_proc_state(proc),
            sup_path=proc.supervisor_path,
            cpu_seconds=round(cpu, 6),
            switches=switches,
        )
        procs.append(info)
        if isinstance(proc, Supervisor):
            supervisors.append(_supervisor_info(proc))
        owner = getattr(proc._function, "__self__", None)
        if isinstance(owner, Actor) and owner.proc is proc:
            box = owner.mailbox
            registered = names.get(info.id)
            actors.append(
                ActorInfo(registered or info.name, registered, info.id, len(box), box.capacity)
            )
    procs.sort(key=lambda info: info.id)
    ranked = sorted(procs, key=lambda info: (info.cpu_seconds, info.switches), reverse=True)
    return Snapshot(
        pid=os.getpid(),
        taken_at=time.time(),
        procs=procs,
        supervisors=sorted(supervisors, key=lambda info: info.path),
        actors=actors,
        busiest=ranked[:busiest] if profiler else [],
        profiling=profiler is not None,
    )


def registered_names(hub: Hub) -> dict[int, str]:
    """Proc id -> name in the hub's default registry."""
    registry = _registries.get(hub)
    if registry is None:
        return {}
    found: dict[int, str] = {}
    for name in registry.registered():
        target = registry.whereis(name)
        proc = target if isinstance(target, Proc) else getattr(target, "proc", None)
        if isinstance(proc, Proc):
            found.setdefault(proc.id, name)
    return found


def child_rows(sup: Supervisor) -> list[ChildRow]:
    """A supervisor's children in start order (oldest first), labelled for display."""
    return rows_of(sup, sup._children)


def rows_of(sup: Supervisor, children: Iterable[Child]) -> list[ChildRow]:
    """Rows for some of ``sup``'s children."""
    rows = []
    dynamic = sup._dynamic
    for child in children:
        proc = child.proc
        if child.restarting:
            state = RESTARTING
        elif proc is None:
            state = "stopped"
        else:
            state = "running" if not proc.dead else "exited"
        spec = child.spec
        label = f"{spec.id}{list(child.args)!r}" if dynamic else str(spec.id)
        rows.append(
            ChildRow(
                id=spec.id,
                label=label,
                proc_id=proc.id if proc is not None else None,
                state=state,
                restarts=child.restarts,
                type=spec.type.value,
                restart=spec.restart.value,
            )
        )
    return rows


def strategy_name(sup: Supervisor) -> str:
    """The strategy as OTP names it: a DynamicSupervisor is ``simple_one_for_one``."""
    return "simple_one_for_one" if isinstance(sup, DynamicSupervisor) else sup.strategy.value


def _supervisor_info(sup: Supervisor) -> SupervisorInfo:
    stats = sup.statistics()
    return SupervisorInfo(
        path=sup.path,
        proc_id=sup.id,
        kind="dynamic" if isinstance(sup, DynamicSupervisor) else "static",
        strategy=strategy_name(sup),
        restarts=stats.total_restarts,
        restarts_in_window=stats.restarts_in_window,
        children=child_rows(sup),
    )
