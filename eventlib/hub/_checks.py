"""Argument checks shared by every layer: a bad value is refused where it is given.

Durations follow one rule across eventlib: a number of seconds (int or float,
not bool), >= 0 and not NaN; None where the API allows "no limit". A negative
timeout is a ValueError (as for the stdlib's ``queue.Queue``), never a silent
"poll": ``timeout=0`` is the way to poll.
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

__all__ = ["check_count", "check_duration", "check_timeout"]


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_duration(value: Any, what: str) -> float:
    """Return ``value`` if it is a number of seconds >= 0; else raise naming ``what``.

    Raises:
        TypeError: not an int or float (a string, a bool, None...).
        ValueError: negative or NaN.
    """
    cls = value.__class__
    if (cls is float or cls is int) and value >= 0:  # the usual case; NaN fails >= 0
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds (int or float), got {_kind(value)}")
    if math.isnan(value) or value < 0:
        raise ValueError(
            f"{what} must be a number of seconds >= 0, got {value!r}; use 0 to not wait at all"
        )
    return value


def check_timeout(value: Any, what: str) -> float | None:
    """Like :func:`check_duration`, and None (no limit) is allowed too."""
    if value is None:
        return None
    cls = value.__class__
    if (cls is float or cls is int) and value >= 0:  # the usual case; NaN fails >= 0
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{what} must be None (no limit) or a number of seconds, got {_kind(value)}"
        )
    return check_duration(value, what)


@overload
def check_count(
    value: Any, what: str, *, minimum: int, allow_none: Literal[False] = ...
) -> int: ...
@overload
def check_count(value: Any, what: str, *, minimum: int, allow_none: bool) -> int | None: ...
def check_count(value: Any, what: str, *, minimum: int, allow_none: bool = False) -> int | None:
    """Return ``value`` if it is an int >= ``minimum`` (or None when allowed); else raise.

    A bool is not a count (``True`` would quietly mean 1).

    Raises:
        TypeError: not an int (or None when allowed).
        ValueError: below ``minimum``.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        allowed = "None or an int" if allow_none else "an int"
        raise TypeError(f"{what} must be {allowed} >= {minimum}, got {_kind(value)}")
    if value < minimum:
        allowed = f"an int >= {minimum}"
        if allow_none:
            allowed = f"None (no limit) or {allowed}"
        raise ValueError(f"{what} must be {allowed}, got {value!r}")
    return value
