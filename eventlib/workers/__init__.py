"""Worker processes: OS processes as supervised children, sharing the parent's sockets.

The parent opens its listening sockets once (:class:`SharedSockets`: one per
worker on one address, SO_REUSEPORT) and runs a :class:`WorkerPool`, a
:class:`~eventlib.supervisor.Supervisor` whose children each own one worker
process. Worker ``i`` is handed socket ``i``; since the parent keeps every
socket open, a restarted worker gets its predecessor's socket back, with the
clients the kernel hashed to it and what they sent meanwhile. The worker
program uses :class:`Worker` to adopt its sockets, say it is ready, answer
the heartbeat and stop when asked.
"""

from eventlib.workers._child import (
    StopRequest,
    Worker,
    add_worker_field,
    current_worker_index,
)
from eventlib.workers._errors import (
    NotAWorker,
    WorkerError,
    WorkerExited,
    WorkerStartError,
    WorkerUnresponsive,
    describe_status,
)
from eventlib.workers._parent import WorkerPool, WorkerProc, python_command
from eventlib.workers._sockets import SharedSockets

__all__ = [
    "NotAWorker",
    "SharedSockets",
    "StopRequest",
    "Worker",
    "WorkerError",
    "WorkerExited",
    "WorkerPool",
    "WorkerProc",
    "WorkerStartError",
    "WorkerUnresponsive",
    "add_worker_field",
    "current_worker_index",
    "describe_status",
    "python_command",
]
