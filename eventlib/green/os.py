"""Green ``os``: ``read``/``write`` and ``waitpid``/``wait`` park the green thread.

``read``/``write`` wait until the descriptor is ready instead of blocking the
reactor (see :mod:`eventlib.green._os` for the rule on blocking descriptors);
``waitpid``/``wait`` wait for the child green (a pidfd where the system has
them, else polling with green sleeps). :func:`green_pipe` wraps a descriptor
(a pipe end, say) in a file object whose reads and writes are green. Every
other name is the stdlib's own object.
"""

import os as _stdlib_os
from os import *  # noqa: F403 - a drop-in for the stdlib module

from eventlib.green._os import (
    GreenFileIO,
    green_pipe,
    read,
    wait,
    waitpid,
    write,
)

path = _stdlib_os.path
environ = _stdlib_os.environ

__all__ = ["GreenFileIO", "green_pipe", "read", "wait", "waitpid", "write"]
__all__ += [name for name in _stdlib_os.__all__ if name not in __all__]
