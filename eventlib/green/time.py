"""Green ``time``: ``sleep()`` parks the green thread; everything else is the stdlib's.

Example::

    from eventlib.green import time

    time.sleep(0.5)  # other green threads run meanwhile
"""

import time as _stdlib_time
from time import *  # noqa: F403 - a drop-in for the stdlib module

from eventlib.green._time import sleep  # type: ignore[assignment] # the green one wins

__all__ = ["sleep"]
__all__ += [name for name in dir(_stdlib_time) if not name.startswith("_") and name != "sleep"]
