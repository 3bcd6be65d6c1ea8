"""Observe a running program: its supervision trees, procs, mailboxes and busiest procs.

In the program::

    import eventlib.observer
    eventlib.observer.serve()          # loopback only, random token in a private file

From a terminal (same user)::

    python -m eventlib.observer [PID]

:func:`snapshot` returns the same data as attrs objects (``.to_json()`` for JSON).
"""

from eventlib.observer._server import ObserverServer, default_state_dir, serve
from eventlib.observer._snapshot import (
    ActorInfo,
    ChildRow,
    ProcInfo,
    Snapshot,
    SupervisorInfo,
    disable_profiling,
    enable_profiling,
    snapshot,
)
from eventlib.observer._statefile import StateFileError

__all__ = [
    "ActorInfo",
    "ChildRow",
    "ObserverServer",
    "ProcInfo",
    "Snapshot",
    "StateFileError",
    "SupervisorInfo",
    "default_state_dir",
    "disable_profiling",
    "enable_profiling",
    "serve",
    "snapshot",
]
