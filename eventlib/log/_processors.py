"""structlog processors for a program's own log events."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from greenlet import getcurrent

__all__ = ["add_proc_context"]


def add_proc_context(
    logger: Any,  # noqa: ARG001 - structlog's processor signature
    method_name: str,  # noqa: ARG001
    event_dict: MutableMapping[str, Any],
) -> MutableMapping[str, Any]:
    """structlog processor: add the current proc's ``proc_id``, ``proc_name`` and ``sup_path``.

    Put it in ``structlog.configure(processors=[...])`` before the renderer and
    every event logged from inside a proc says which proc logged it, as
    eventlib's own lifecycle events do. ``sup_path`` ("root/child") is added
    only for a proc that runs under a supervisor. Outside any proc (the main
    program, MAIN_LOOP, a plain greenlet or thread) nothing is added. A field
    the event already has is left as it is, so an event that names another
    proc (eventlib's ``proc.exited``, or your own ``proc_id=...``) keeps it.

    Example::

        structlog.configure(processors=[
            eventlib.log.add_proc_context,
            structlog.processors.JSONRenderer(),
        ])
        # {"event": "order paid", "order": 17, "proc_id": 42, "proc_name": "checkout"}
    """
    # The proc layer sets ``proc`` on each proc's greenlet (eventlib.current_proc() reads it
    # the same way); the log layer sits below it and must not import it.
    proc = getattr(getcurrent(), "proc", None)
    if proc is None:
        return event_dict
    event_dict.setdefault("proc_id", proc.id)
    event_dict.setdefault("proc_name", proc.name)
    if proc.supervisor_path is not None:
        event_dict.setdefault("sup_path", proc.supervisor_path)
    return event_dict
