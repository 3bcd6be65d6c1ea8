"""Structured lifecycle logs for procs, links and supervisors (structlog).

Lifecycle events are off by default and cost one attribute test when off.
Turn them on with :func:`enable_lifecycle_logs` (or ``EVENTLIB_LIFECYCLE_LOGS=1``)
and configure structlog as usual to choose where they go::

    import structlog
    import eventlib.log

    structlog.configure(processors=[structlog.dev.ConsoleRenderer()])
    eventlib.log.enable_lifecycle_logs()

``enable_lifecycle_logs(by_level=True)`` lets the standard library's
``eventlib`` logger level decide instead, and :func:`add_proc_context` adds the
current proc's id, name and supervisor path to a program's own events.

Errors (crashed procs, failing listeners) are logged at error level whether
lifecycle events are on or not.
"""

from eventlib.log._config import (
    LOGGER_NAME,
    STATE,
    disable_lifecycle_logs,
    enable_lifecycle_logs,
    get_logger,
)
from eventlib.log._events import report_error
from eventlib.log._processors import add_proc_context

__all__ = [
    "LOGGER_NAME",
    "STATE",
    "add_proc_context",
    "disable_lifecycle_logs",
    "enable_lifecycle_logs",
    "get_logger",
    "report_error",
]
