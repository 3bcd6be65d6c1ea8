"""Global switch and logger for eventlib's lifecycle events.

The hot paths (spawn, exit, link delivery) test one module attribute,
``STATE.enabled``, before they build an event, so a program that does not
ask for lifecycle events pays one attribute load per proc and nothing more.
Errors (a proc that crashed, a listener that raised) are always reported:
they are rare and must never be lost.

The switch has three positions: off (the default), on, and *by level*, where
``STATE.enabled`` asks the standard library's ``eventlib`` logger whether it
is enabled for DEBUG, so logging's own configuration turns the events on and
off. Only the by-level position pays for that question, through a property
on a subclass that ``STATE`` switches to.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import structlog

__all__ = [
    "LOGGER_NAME",
    "STATE",
    "disable_lifecycle_logs",
    "enable_lifecycle_logs",
    "get_logger",
]

LOGGER_NAME = "eventlib"
"""The logger name of every event eventlib logs (structlog's and the standard library's)."""

_ENV_VAR = "EVENTLIB_LIFECYCLE_LOGS"
_stdlib_logger = logging.getLogger(LOGGER_NAME)


class _LogState:
    """Mutable switch read on the hot paths; one instance, ``STATE``."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = False

    @property
    def by_level(self) -> bool:
        """True when the ``eventlib`` logger's level decides (see enable_lifecycle_logs)."""
        return False


class _ByLevelState(_LogState):
    """``STATE`` while the standard library's ``eventlib`` logger level decides."""

    __slots__ = ()

    @property
    def enabled(self) -> bool:  # type: ignore[override]  # computed in place of the stored switch
        return _stdlib_logger.isEnabledFor(logging.DEBUG)

    @property
    def by_level(self) -> bool:
        return True


STATE = _LogState()


def enable_lifecycle_logs(*, by_level: bool = False) -> None:
    """Emit lifecycle events (spawn, exit, link fired, ...) through structlog.

    Events are logged at debug level on the ``eventlib`` logger, so structlog's
    own configuration (level filtering, renderers, processors) decides where
    they go. The environment variable ``EVENTLIB_LIFECYCLE_LOGS=1`` turns them
    on at import time (``=level`` as ``by_level=True``).

    Args:
        by_level: instead of always, emit them while the standard library's
            ``eventlib`` logger is enabled for DEBUG, its level set on it or
            inherited: ``logging.getLogger("eventlib").setLevel(logging.DEBUG)``
            (or ``dictConfig``) turns them on, a higher level off, at any time.
            Each check then costs a logging level lookup instead of one
            attribute load.

    Example::

        logging.basicConfig(level=logging.INFO)  # eventlib's debug events stay off...
        eventlib.log.enable_lifecycle_logs(by_level=True)
        logging.getLogger("eventlib").setLevel(logging.DEBUG)  # ...until now
    """
    if by_level:
        STATE.__class__ = _ByLevelState
    else:
        STATE.__class__ = _LogState
        STATE.enabled = True


def disable_lifecycle_logs() -> None:
    """Stop emitting lifecycle events; errors are still reported."""
    STATE.__class__ = _LogState
    STATE.enabled = False


def get_logger(**initial_values: Any) -> Any:
    """Return eventlib's structlog logger, bound to ``initial_values``."""
    return structlog.get_logger(LOGGER_NAME, **initial_values)


def _configure_from_environment() -> None:
    value = os.environ.get(_ENV_VAR, "").lower()
    if value == "level":
        enable_lifecycle_logs(by_level=True)
    elif value in {"1", "true", "yes", "on"}:
        enable_lifecycle_logs()


_configure_from_environment()
