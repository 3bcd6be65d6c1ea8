"""Global switch and logger for eventlib's lifecycle events.

The hot paths (spawn, exit, link delivery) test one module attribute,
``STATE.enabled``, before they build an event, so a program that does not
ask for lifecycle events pays one attribute load per proc and nothing more.
Errors (a proc that crashed, a listener that raised) are always reported:
they are rare and must never be lost.
"""

from __future__ import annotations

import os
from typing import Any

import structlog

__all__ = ["STATE", "disable_lifecycle_logs", "enable_lifecycle_logs", "get_logger"]

_ENV_VAR = "EVENTLIB_LIFECYCLE_LOGS"


class _LogState:
    """Mutable switch read on the hot paths; one instance, ``STATE``."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = os.environ.get(_ENV_VAR, "").lower() in {"1", "true", "yes", "on"}


STATE = _LogState()


def enable_lifecycle_logs() -> None:
    """Emit lifecycle events (spawn, exit, link fired, ...) through structlog.

    Events are logged at debug level on the ``eventlib`` logger, so structlog's
    own configuration (level filtering, renderers, processors) decides where
    they go. The environment variable ``EVENTLIB_LIFECYCLE_LOGS=1`` turns them
    on at import time.
    """
    STATE.enabled = True


def disable_lifecycle_logs() -> None:
    """Stop emitting lifecycle events; errors are still reported."""
    STATE.enabled = False


def get_logger(**initial_values: Any) -> Any:
    """Return eventlib's structlog logger, bound to ``initial_values``."""
    return structlog.get_logger("eventlib", **initial_values)
