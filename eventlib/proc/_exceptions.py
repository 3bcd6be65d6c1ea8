"""Exceptions and exit reasons of the proc layer."""

from __future__ import annotations

import enum
from types import TracebackType
from typing import Any

from greenlet import GreenletExit

__all__ = [
    "ExitReason",
    "LinkedCompleted",
    "LinkedExited",
    "LinkedFailed",
    "LinkedKilled",
    "ProcError",
    "ProcExit",
    "getLinkedFailed",
]


class ExitReason(enum.Enum):
    """How a proc ended."""

    NORMAL = "normal"
    """Its function returned."""
    ERROR = "error"
    """Its function raised an exception."""
    KILLED = "killed"
    """It was killed: GreenletExit (ProcExit) was raised in it."""


class ProcError(Exception):
    """Base class of the proc layer's errors."""


class ProcExit(GreenletExit):
    """Thrown into a proc by ``Proc.kill()`` / ``killall()``; the proc then counts as killed.

    Derives from GreenletExit, so ``except Exception`` does not swallow it.
    """


class LinkedExited(ProcError):
    """A proc you are linked to has finished; the subclass says how.

    Attributes:
        name: the name of the proc that finished.
    """

    msg = "%r exited"

    def __init__(self, name: Any = None, msg: str | None = None) -> None:
        self.name = name
        if msg is None:
            msg = self.msg % (name,)
        super().__init__(msg)


class LinkedCompleted(LinkedExited):
    """A proc you are linked to returned normally."""

    msg = "%r completed successfully"


class LinkedFailed(LinkedExited):
    """A proc you are linked to raised an exception.

    Attributes:
        typ, value, tb: the exception it raised.
    """

    msg = "%r failed with %s"

    def __init__(
        self,
        name: Any,
        typ: type[BaseException],
        value: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        self.typ = typ
        self.value = value
        self.tb = tb
        super().__init__(name, self.msg % (name, typ.__name__))


class LinkedKilled(LinkedFailed):
    """A proc you are linked to was killed (GreenletExit / ProcExit)."""

    msg = "%r was killed with %s"


def getLinkedFailed(  # noqa: N802 - classic name
    name: Any,
    typ: type[BaseException],
    value: BaseException | None = None,
    tb: TracebackType | None = None,
) -> LinkedFailed:
    """LinkedKilled if ``typ`` is a GreenletExit, else LinkedFailed."""
    if issubclass(typ, GreenletExit):
        return LinkedKilled(name, typ, value, tb)
    return LinkedFailed(name, typ, value, tb)
