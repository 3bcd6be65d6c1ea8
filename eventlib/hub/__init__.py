"""The Twisted hub: MAIN_LOOP, switching, timers and descriptor waits.

One hub per thread (:func:`get_hub`) drives the installed Twisted reactor from
one greenlet, MAIN_LOOP. Every blocking call parks the calling greenlet by
switching to MAIN_LOOP; a blocking call made *in* MAIN_LOOP raises
:class:`BlockingInMainLoopError` at once.
"""

from eventlib.hub._calls import (
    get_fileno,
    schedule_call_global,
    schedule_call_local,
    sleep,
    trampoline,
)
from eventlib.hub._checks import check_count, check_duration, check_timeout
from eventlib.hub._errors import (
    BlockingInMainLoopError,
    DeadlockError,
    HubError,
    HubStoppedError,
    RealTimeLimitError,
    TimeoutError,
    WrongThreadError,
)
from eventlib.hub._hub import Hub, check_not_main_loop
from eventlib.hub._reactors import REACTOR_CHOICES, REACTOR_ENV, install_reactor
from eventlib.hub._state import get_hub, known_hubs, peek_hub, set_hub, use_hub
from eventlib.hub._timer import Timer, TimerStatistics
from eventlib.hub._virtual import VirtualClockReactor
from eventlib.hub._waiter import Waiter, exception_from_throw_args, raise_throw_args

__all__ = [
    "REACTOR_CHOICES",
    "REACTOR_ENV",
    "BlockingInMainLoopError",
    "DeadlockError",
    "Hub",
    "HubError",
    "HubStoppedError",
    "RealTimeLimitError",
    "TimeoutError",
    "Timer",
    "TimerStatistics",
    "VirtualClockReactor",
    "Waiter",
    "WrongThreadError",
    "check_count",
    "check_duration",
    "check_not_main_loop",
    "check_timeout",
    "exception_from_throw_args",
    "get_fileno",
    "get_hub",
    "install_reactor",
    "known_hubs",
    "peek_hub",
    "raise_throw_args",
    "schedule_call_global",
    "schedule_call_local",
    "set_hub",
    "sleep",
    "trampoline",
    "use_hub",
]
