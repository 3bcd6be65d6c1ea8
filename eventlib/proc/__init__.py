"""Linkable procs: spawn, links, waitall, killall (also the classic ``eventlib.proc``).

A :class:`Proc` is a green thread whose outcome others can wait for or be
notified of. ``p.link(listener)`` notifies ``listener`` when ``p`` finishes:

* a proc or greenlet gets :class:`LinkedCompleted`, :class:`LinkedFailed` or
  :class:`LinkedKilled` thrown in;
* an object with ``send``/``send_exception`` (an Event, a Queue) gets the
  value or the exception;
* a callable is called with ``p``.

``link_value`` fires only on return and ``link_exception`` only on failure.
Links fire from MAIN_LOOP, once each; a listener that raises is reported to
the hub's error hook and the others still run.
"""

import eventlib.proc._atexit  # noqa: F401 - registers the exit-time report
from eventlib.proc._exceptions import (
    ExitReason,
    LinkedCompleted,
    LinkedExited,
    LinkedFailed,
    LinkedKilled,
    ProcError,
    ProcExit,
    getLinkedFailed,
)
from eventlib.proc._group import (
    Pool,
    RunningProcSet,
    Waiter,
    kill,
    killall,
    spawn_link,
    spawn_link_exception,
    spawn_link_value,
    trap_errors,
    waitall,
    wrap_errors,
)
from eventlib.proc._proc import Proc, current_proc, spawn, spawn_after, spawn_greenlet
from eventlib.proc._source import Link, Source

__all__ = [
    "ExitReason",
    "Link",
    "LinkedCompleted",
    "LinkedExited",
    "LinkedFailed",
    "LinkedKilled",
    "Pool",
    "Proc",
    "ProcError",
    "ProcExit",
    "RunningProcSet",
    "Source",
    "Waiter",
    "current_proc",
    "getLinkedFailed",
    "kill",
    "killall",
    "spawn",
    "spawn_after",
    "spawn_greenlet",
    "spawn_link",
    "spawn_link_exception",
    "spawn_link_value",
    "trap_errors",
    "waitall",
    "wrap_errors",
]
