"""Which modules this install of eventlib runs compiled.

eventlib is pure Python and installs anywhere. An optional build compiles the
modules every switch, wait and message goes through with Cython into
extension modules (``EVENTLIB_COMPILE=1 pip install eventlib --no-binary
eventlib``, see docs/run-modes.md); their Python sources ship beside them and
behave the same. :func:`compiled_modules` says which ones this process runs
compiled, so a benchmark or a bug report can name the build it ran.
"""

from __future__ import annotations

import importlib
import importlib.machinery

__all__ = ["COMPILABLE_MODULES", "compiled_modules"]

#: The modules the optional compiled build compiles: the hub's loop, timers,
#: calls and waiters, the synchronisation primitives, mailboxes and actors,
#: procs and their links. (Not eventlib.proc._worker: see its docstring.)
COMPILABLE_MODULES: tuple[str, ...] = (
    "eventlib.hub._calls",
    "eventlib.hub._checks",
    "eventlib.hub._hub",
    "eventlib.hub._state",
    "eventlib.hub._timer",
    "eventlib.hub._waiter",
    "eventlib.mailbox._actor",
    "eventlib.mailbox._mailbox",
    "eventlib.proc._proc",
    "eventlib.proc._source",
    "eventlib.sync._event",
    "eventlib.sync._queue",
    "eventlib.sync._semaphore",
    "eventlib.sync._timeout",
)


def compiled_modules() -> tuple[str, ...]:
    """The modules of :data:`COMPILABLE_MODULES` this process runs as compiled extensions.

    Empty for the pure Python package. Example::

        import eventlib
        build = "compiled" if eventlib.compiled_modules() else "pure Python"
    """
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return tuple(
        name
        for name in COMPILABLE_MODULES
        if str(getattr(importlib.import_module(name), "__file__", "")).endswith(suffixes)
    )
