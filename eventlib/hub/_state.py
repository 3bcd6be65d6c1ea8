"""The per-thread hub: the one piece of global state of the hub layer."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from eventlib.hub._hub import Hub

if TYPE_CHECKING:
    from greenlet import greenlet as Greenlet  # noqa: N812

__all__ = ["get_hub", "known_hubs", "peek_hub", "set_hub", "use_hub"]


class _ThreadState(threading.local):
    hub: Hub | None = None


_state = _ThreadState()

# Every hub made a thread's hub, for the exit-time report of procs that never ran.
_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()


def known_hubs() -> list[Hub]:
    """Every hub that has been some thread's hub and still exists."""
    return list(_hubs)


def get_hub() -> Hub:
    """This thread's hub, created on first use over the installed reactor."""
    hub = _state.hub
    if hub is None:
        hub = _state.hub = Hub()
        _hubs.add(hub)
    return hub


def peek_hub() -> Hub | None:
    """This thread's hub if one exists, without creating it."""
    return _state.hub


def set_hub(hub: Hub | None) -> Hub | None:
    """Make ``hub`` this thread's hub (None forgets it); return the previous one."""
    previous = _state.hub
    _state.hub = hub
    if hub is not None:
        _hubs.add(hub)
    return previous


def use_hub(reactor: Any = None, *, main_loop: Greenlet | None = None) -> Hub:
    """Replace this thread's hub with a new one over ``reactor`` and return it.

    The previous hub, if any, is closed. ``main_loop`` selects run mode 1 (see
    :class:`Hub`).
    """
    previous = _state.hub
    if previous is not None:
        previous.close()
    hub = _state.hub = Hub(reactor, main_loop=main_loop)
    _hubs.add(hub)
    return hub
