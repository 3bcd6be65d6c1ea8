"""The greenlets procs run in, reused one proc after another.

This module stays pure Python in the compiled build (eventlib/_build.py): a
parked greenlet must have a Python frame at the bottom of its stack, or
greenlet takes it for one running in another thread and refuses to give it a
fresh ``gr_context`` for its next proc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812

if TYPE_CHECKING:
    from eventlib.hub import Hub
    from eventlib.proc._proc import Proc

__all__: list[str] = []

# Finished procs leave their greenlet here for the next proc to reuse: creating
# a greenlet costs several microseconds (a fresh C stack and frame chunk).
_MAX_IDLE_WORKERS = 256


_Job = tuple["Proc", tuple[Any, ...], dict[str, Any]]


class _Worker(Greenlet):
    """A greenlet that runs procs one after another; ``proc`` is the one it runs now."""

    __slots__ = ("proc",)
    proc: Proc | None


def _worker_main(proc: Proc, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    worker = cast("_Worker", getcurrent())
    hub = proc._hub
    job: _Job | None = (proc, args, kwargs)
    del proc, args, kwargs  # hold no references while idle
    while job is not None:
        job[0]._body(job[1], job[2])
        worker.proc = None
        job = None
        job = _park(worker, hub)


def _park(worker: _Worker, hub: Hub) -> _Job | None:
    """Wait in the idle list for the next proc to run; None means: end this greenlet."""
    idle = hub._idle_workers
    loop = hub.greenlet
    if len(idle) >= _MAX_IDLE_WORKERS or worker.parent is not loop or hub._closed:
        return None
    idle.append(worker)
    try:
        return cast("_Job", loop.switch())
    except GreenletExit:
        return None  # the hub is being torn down
    finally:
        if worker.proc is None and worker in idle:
            idle.remove(worker)
