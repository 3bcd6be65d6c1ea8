"""The per-thread hub: the one piece of global state of the hub layer.

A reactor is run by one OS thread at a time, so it belongs to the thread that
first made a hub over it. The main thread gets a hub over the installed reactor
implicitly (the first green call creates it); any other thread must ask for one
with :func:`use_hub`, over a reactor of its own or over the installed reactor if
no live thread has it. A green call in a thread without a hub raises
:class:`WrongThreadError` at once instead of starting a second driver.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from eventlib.hub._errors import WrongThreadError
from eventlib.hub._hub import Hub

if TYPE_CHECKING:
    from greenlet import greenlet as Greenlet  # noqa: N812

__all__ = ["get_hub", "known_hubs", "peek_hub", "set_hub", "use_hub"]


class _ThreadState(threading.local):
    hub: Hub | None = None


_state = _ThreadState()

# Every hub made a thread's hub, for the exit-time report of procs that never ran.
_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()


# The OS thread that runs each reactor (the first to make a hub over it).
_owners: weakref.WeakKeyDictionary[Any, threading.Thread] = weakref.WeakKeyDictionary()
_owners_lock = threading.Lock()

_WAYS_ACROSS = (
    "From this thread, hand work to the reactor's thread with "
    "reactor.callFromThread(eventlib.spawn, f) (fire and forget), or wait for a green "
    "function's result with twisted.internet.threads.blockingCallFromThread(reactor, "
    "eventlib.twistedutil.deferToGreenThread, f). From a proc, run blocking code in a "
    "thread with block_on(threads.deferToThread(f))."
)


def known_hubs() -> list[Hub]:
    """Every hub that has been some thread's hub and still exists."""
    return list(_hubs)


def _claim(hub: Hub) -> None:
    """Make the calling thread the runner of ``hub``'s reactor, or raise if another live one is."""
    reactor = hub.reactor
    current = threading.current_thread()
    with _owners_lock:
        owner = _owners.get(reactor)
        if owner is None or owner is current or not owner.is_alive():
            _owners[reactor] = current
            _hubs.add(hub)
            return
    raise WrongThreadError(
        f"thread {current.name!r} cannot use a hub over the reactor that thread "
        f"{owner.name!r} runs: two threads would drive one reactor. {_WAYS_ACROSS} "
        "Or give this thread a reactor of its own: eventlib.hub.use_hub(<new reactor>)."
    )


def _no_hub_here() -> WrongThreadError:
    current = threading.current_thread()
    return WrongThreadError(
        f"thread {current.name!r} has no hub, and green calls (sleep, Queue.get, spawn...) "
        "need one: only the main thread gets one implicitly, and a hub is not shared "
        f"between threads. {_WAYS_ACROSS} Or make this thread run green code itself: "
        "eventlib.hub.use_hub() (over the installed reactor, if no other thread runs it) "
        "or use_hub(<new reactor>)."
    )


def get_hub() -> Hub:
    """This thread's hub; in the main thread, created on first use over the installed reactor.

    Raises:
        WrongThreadError: another thread, without a hub of its own (see :func:`use_hub`),
            or the installed reactor already runs in another live thread.
    """
    hub = _state.hub
    if hub is None:
        if threading.current_thread() is not threading.main_thread():
            raise _no_hub_here()
        hub = Hub()
        _claim(hub)
        _state.hub = hub
    return hub


def peek_hub() -> Hub | None:
    """This thread's hub if one exists, without creating it."""
    return _state.hub


def set_hub(hub: Hub | None) -> Hub | None:
    """Make ``hub`` this thread's hub (None forgets it); return the previous one.

    Raises:
        WrongThreadError: ``hub``'s reactor runs in another live thread.
    """
    if hub is not None:
        _claim(hub)
    previous = _state.hub
    _state.hub = hub
    return previous


def use_hub(reactor: Any = None, *, main_loop: Greenlet | None = None) -> Hub:
    """Replace this thread's hub with a new one over ``reactor`` and return it.

    The previous hub, if any, is closed. ``main_loop`` selects run mode 1 (see
    :class:`Hub`). This is how a thread other than the main one gets a hub:
    over a reactor of its own, or over the installed one if no live thread runs it.

    Raises:
        WrongThreadError: ``reactor`` (the installed one by default) runs in another
            live thread; nothing is changed.
    """
    hub = Hub(reactor, main_loop=main_loop)
    _claim(hub)
    previous = _state.hub
    if previous is not None:
        previous.close()
    _state.hub = hub
    return hub
