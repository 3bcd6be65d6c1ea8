"""Green ``subprocess``: ``Popen`` whose pipes, ``wait()`` and ``communicate()`` are green.

``call``, ``check_call``, ``check_output``, ``run``, ``getoutput`` and
``getstatusoutput`` use the green ``Popen``. Every other name is the stdlib's
own object (``PIPE``, ``TimeoutExpired``, ``CalledProcessError``...).

Example::

    from eventlib.green import subprocess

    out = subprocess.run(["ls"], capture_output=True, timeout=5).stdout
"""

import subprocess as _stdlib_subprocess
from subprocess import *  # noqa: F403 - a drop-in for the stdlib module

from eventlib.green._subprocess import (  # type: ignore[assignment, no-redef] # green wins
    Popen,
    call,
    check_call,
    check_output,
    getoutput,
    getstatusoutput,
    run,
)

__all__ = [
    "Popen",
    "call",
    "check_call",
    "check_output",
    "getoutput",
    "getstatusoutput",
    "run",
]
__all__ += [name for name in _stdlib_subprocess.__all__ if name not in __all__]
