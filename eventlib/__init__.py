"""eventlib: networked code in plain synchronous style on top of Twisted.

Green threads (procs) run over Twisted's reactor; a call that looks blocking
parks the green thread and lets the reactor run the others. Procs can be
linked Erlang-style, so a failure is never silent.

Example::

    import eventlib

    def worker(n):
        eventlib.sleep(0.1)
        return n * 2

    procs = [eventlib.spawn(worker, n) for n in range(3)]
    print(eventlib.waitall(procs))   # [0, 2, 4]
"""

from greenlet import GreenletExit, getcurrent

from eventlib import debug  # noqa: F401 - turns the block detector on if EVENTLIB_BLOCK_DETECTOR is set
from eventlib._build import compiled_modules
from eventlib.hub import (
    BlockingInMainLoopError,
    get_hub,
    install_reactor,
    schedule_call_global,
    schedule_call_local,
    sleep,
    trampoline,
)
from eventlib.proc import (
    ExitReason,
    LinkedCompleted,
    LinkedExited,
    LinkedFailed,
    LinkedKilled,
    Proc,
    ProcExit,
    RunningProcSet,
    current_proc,
    kill,
    killall,
    spawn,
    spawn_after,
    spawn_link,
    spawn_link_exception,
    spawn_link_value,
    waitall,
)
from eventlib.signals import run, serve_forever
from eventlib.sync import (
    BoundedSemaphore,
    Channel,
    Event,
    Queue,
    Semaphore,
    Timeout,
    TimeoutError,
    with_timeout,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BlockingInMainLoopError",
    "BoundedSemaphore",
    "Channel",
    "Event",
    "ExitReason",
    "GreenletExit",
    "LinkedCompleted",
    "LinkedExited",
    "LinkedFailed",
    "LinkedKilled",
    "Proc",
    "ProcExit",
    "Queue",
    "RunningProcSet",
    "Semaphore",
    "Timeout",
    "TimeoutError",
    "compiled_modules",
    "current_proc",
    "get_hub",
    "getcurrent",
    "install_reactor",
    "kill",
    "killall",
    "run",
    "schedule_call_global",
    "schedule_call_local",
    "serve_forever",
    "sleep",
    "spawn",
    "spawn_after",
    "spawn_link",
    "spawn_link_exception",
    "spawn_link_value",
    "trampoline",
    "waitall",
    "with_timeout",
]
