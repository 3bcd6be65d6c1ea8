"""Structured lifecycle logs for procs, links and supervisors (structlog).

Lifecycle events are off by default and cost one attribute test when off.
Turn them on with :func:`enable_lifecycle_logs` (or ``EVENTLIB_LIFECYCLE_LOGS=1``)
and configure structlog as usual to choose where they go::

    import structlog
    import eventlib.log

    structlog.configure(processors=[structlog.dev.ConsoleRenderer()])
    eventlib.log.enable_lifecycle_logs()

Errors (crashed procs, failing listeners) are logged at error level whether
lifecycle events are on or not.
"""

from eventlib.log._config import (
    STATE,
    disable_lifecycle_logs,
    enable_lifecycle_logs,
    get_logger,
)
from eventlib.log._events import report_error

__all__ = [
    "STATE",
    "disable_lifecycle_logs",
    "enable_lifecycle_logs",
    "get_logger",
    "report_error",
]
