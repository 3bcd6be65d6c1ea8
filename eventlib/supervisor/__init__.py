"""Supervision trees with OTP's semantics: ChildSpec, Supervisor, DynamicSupervisor.

A supervisor is a proc that starts its children in order, watches them, and
restarts them by their restart type (permanent / transient / temporary) and
its strategy (one_for_one / one_for_all / rest_for_one), at most
``max_restarts`` times in ``max_seconds``. Past that it shuts its children
down in reverse start order and exits with :class:`RestartIntensityExceeded`,
whose exit reason is *shutdown*: its own supervisor then applies the same
rules to it, which is how failures escalate up the tree.
"""

from eventlib.supervisor._children import (
    RESTARTING,
    ChildCounts,
    ChildInfo,
    SupervisorStatistics,
    exit_reason,
)
from eventlib.supervisor._dynamic import DynamicSupervisor
from eventlib.supervisor._errors import (
    AlreadyPresent,
    AlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InvalidChildSpec,
    InvalidSupervisorFlags,
    Killed,
    RestartIntensityExceeded,
    Shutdown,
    StartChildError,
    SupervisorError,
    SupervisorNotRunning,
    SupervisorStartError,
)
from eventlib.supervisor._shutdown import stop_child
from eventlib.supervisor._spec import (
    BRUTAL_KILL,
    INFINITY,
    AutoShutdown,
    Backoff,
    ChildSpec,
    ChildType,
    Restart,
    Strategy,
    check_childspecs,
)
from eventlib.supervisor._supervisor import Supervisor

permanent = Restart.PERMANENT
transient = Restart.TRANSIENT
temporary = Restart.TEMPORARY
one_for_one = Strategy.ONE_FOR_ONE
one_for_all = Strategy.ONE_FOR_ALL
rest_for_one = Strategy.REST_FOR_ONE
brutal_kill = BRUTAL_KILL
infinity = INFINITY

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "RESTARTING",
    "AlreadyPresent",
    "AlreadyStarted",
    "AutoShutdown",
    "Backoff",
    "ChildCounts",
    "ChildInfo",
    "ChildNotFound",
    "ChildRestarting",
    "ChildRunning",
    "ChildSpec",
    "ChildType",
    "DynamicSupervisor",
    "InvalidChildSpec",
    "InvalidSupervisorFlags",
    "Killed",
    "Restart",
    "RestartIntensityExceeded",
    "Shutdown",
    "StartChildError",
    "Strategy",
    "Supervisor",
    "SupervisorError",
    "SupervisorNotRunning",
    "SupervisorStartError",
    "SupervisorStatistics",
    "brutal_kill",
    "check_childspecs",
    "exit_reason",
    "infinity",
    "one_for_all",
    "one_for_one",
    "permanent",
    "rest_for_one",
    "stop_child",
    "temporary",
    "transient",
]
