"""sleep() that parks the green thread, validating its argument as the stdlib does."""

from __future__ import annotations

from eventlib.hub import sleep as _hub_sleep

__all__ = ["sleep"]


def sleep(secs: float) -> None:
    """Park the current green thread for ``secs`` seconds (0 yields one hub turn).

    Raises:
        TypeError: ``secs`` is not a number (as ``time.sleep``).
        ValueError: ``secs`` is negative or NaN (as ``time.sleep``).
        BlockingInMainLoopError: called from MAIN_LOOP.
    """
    if not isinstance(secs, (int, float)):
        raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer")
    if secs != secs:  # noqa: PLR0124 - NaN
        raise ValueError("Invalid value NaN (not a number)")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _hub_sleep(secs)
