"""The lifecycle event vocabulary: one function per event, one place for field names.

Every event carries the proc's ``proc_id``, ``proc_name``, ``parent_id`` and,
when it runs under a supervisor, ``sup_path``. Callers test
``STATE.enabled`` first; these functions assume the answer was yes, except
:func:`report_error`, which always logs.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from eventlib.log._config import get_logger

__all__ = [
    "ProcLike",
    "link_fired",
    "proc_exited",
    "proc_fields",
    "proc_spawned",
    "report_error",
]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ProcLike(Protocol):
    """What the log needs to know of a proc."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def supervisor_path(self) -> str | None: ...


def proc_fields(proc: ProcLike) -> dict[str, Any]:
    """The identifying fields that every event about ``proc`` carries."""
    fields: dict[str, Any] = {
        "proc_id": proc.id,
        "proc_name": proc.name,
        "parent_id": proc.parent_id,
    }
    if proc.supervisor_path is not None:
        fields["sup_path"] = proc.supervisor_path
    return fields


# A lazy proxy: it follows structlog.configure() made after import.
_logger = get_logger()


def proc_spawned(proc: ProcLike, function: object) -> None:
    _logger.debug("proc.spawned", function=_describe(function), **proc_fields(proc))


def proc_exited(proc: ProcLike, reason: str, runtime: float, error: BaseException | None) -> None:
    fields = proc_fields(proc)
    if error is not None:
        fields["error"] = repr(error)
    _logger.debug("proc.exited", reason=reason, runtime=round(runtime, 6), **fields)


def link_fired(source: ProcLike, listener: object, kind: str) -> None:
    _logger.debug("link.fired", listener=_describe(listener), outcome=kind, **proc_fields(source))


def report_error(context: object, exc_info: ExcInfo, **fields: Any) -> None:
    """Log an error nobody else will see: a crashed proc, a failing listener or timer."""
    event = fields.pop("event", "hub.error")
    if _has_proc_fields(context):
        fields.update(proc_fields(context))  # type: ignore[arg-type]
    else:
        fields["context"] = _describe(context)
    _logger.error(event, exc_info=exc_info, **fields)


def _has_proc_fields(obj: object) -> bool:
    return all(hasattr(obj, name) for name in ("id", "name", "parent_id", "supervisor_path"))


def _describe(obj: object) -> str:
    name = getattr(obj, "__qualname__", None)
    if isinstance(name, str):
        module = getattr(obj, "__module__", None)
        return f"{module}.{name}" if module else name
    return repr(obj)
