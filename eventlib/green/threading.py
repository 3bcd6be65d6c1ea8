"""Green ``threading``: locks, conditions, events, semaphores, locals and threads for green threads.

``Lock``, ``RLock``, ``Condition``, ``Semaphore``, ``BoundedSemaphore`` and
``Event`` wait by parking the green thread (they are built on eventlib's
semaphores and waiters); ``local`` holds one value per green thread;
``Thread`` runs its target in a new proc. ``Barrier`` and ``Timer`` are left
out (the stdlib's would block the reactor); the other stdlib names, which do
not wait, are the stdlib's own objects. Ownership and ``get_ident()`` are per
greenlet.

Example::

    from eventlib.green import threading

    lock = threading.Lock()
    with lock:
        ...  # other green threads wanting the lock park meanwhile
"""

import threading as _stdlib_threading

from eventlib.green._threading import (
    BoundedSemaphore,
    Condition,
    Event,
    Lock,
    RLock,
    Semaphore,
    Thread,
    current_thread,
    get_ident,
    local,
)

ExceptHookArgs = _stdlib_threading.ExceptHookArgs
TIMEOUT_MAX = _stdlib_threading.TIMEOUT_MAX
ThreadError = _stdlib_threading.ThreadError
active_count = _stdlib_threading.active_count
enumerate = _stdlib_threading.enumerate
excepthook = _stdlib_threading.excepthook
main_thread = _stdlib_threading.main_thread
setprofile = _stdlib_threading.setprofile
settrace = _stdlib_threading.settrace
stack_size = _stdlib_threading.stack_size

__all__ = [
    "TIMEOUT_MAX",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "ExceptHookArgs",
    "Lock",
    "RLock",
    "Semaphore",
    "Thread",
    "ThreadError",
    "active_count",
    "current_thread",
    "enumerate",
    "excepthook",
    "get_ident",
    "local",
    "main_thread",
    "setprofile",
    "settrace",
    "stack_size",
]
