"""The classic ``eventlib.support.greenlets``: the greenlet names, from the greenlet package.

The original looked for several greenlet implementations; Python 3 has one.
Code written as ``from eventlib.support import greenlets as greenlet`` keeps
working: ``greenlet.greenlet``, ``greenlet.getcurrent()``, ``greenlet.GreenletExit``.
"""

from greenlet import GreenletExit, getcurrent, greenlet

__all__ = ["GreenletExit", "getcurrent", "greenlet"]
