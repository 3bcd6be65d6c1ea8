"""Registry: names for procs and actors, dropped automatically when they exit."""

from __future__ import annotations

import weakref
from typing import Any

from eventlib.hub import Hub, get_hub
from eventlib.mailbox._errors import NameNotRegistered, NameTaken
from eventlib.proc import Proc

__all__ = ["Registry", "default_registry", "register", "registered", "unregister", "whereis"]


def _proc_of(target: Any) -> Proc:
    proc = target if isinstance(target, Proc) else getattr(target, "proc", None)
    if not isinstance(proc, Proc):
        raise TypeError(
            f"only procs and actors (objects with .proc) can be registered, not {target!r}"
        )
    return proc


class Registry:
    """A name → proc/actor table; an entry disappears when its proc exits.

    Example::

        registry.register("sessions", sup)
        registry.whereis("sessions").start_child(...)
    """

    def __init__(self) -> None:
        self._names: dict[str, Any] = {}

    def register(self, name: str, target: Any) -> None:
        """Give ``target`` (a Proc or Actor) the name ``name``.

        Raises:
            NameTaken: a live proc or actor holds the name.
            ValueError: the target has already exited.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a registered name is a non-empty str, got {name!r}")
        proc = _proc_of(target)
        if proc.dead:
            raise ValueError(f"cannot register {target!r}: it has already exited")
        holder = self._names.get(name)
        if holder is not None and not _proc_of(holder).dead:
            raise NameTaken(name, holder)
        self._names[name] = target
        proc.link(lambda _proc: self._drop(name, target))

    def _drop(self, name: str, target: Any) -> None:
        if self._names.get(name) is target:
            del self._names[name]

    def whereis(self, name: str) -> Any:
        """The live proc or actor registered as ``name``, or None."""
        target = self._names.get(name)
        if target is None or _proc_of(target).dead:
            return None
        return target

    def unregister(self, name: str) -> None:
        """Remove ``name``. Raises NameNotRegistered."""
        if self._names.pop(name, None) is None:
            raise NameNotRegistered(name)

    def registered(self) -> list[str]:
        """The names of live registrations, sorted."""
        return sorted(name for name in self._names if self.whereis(name) is not None)

    def __len__(self) -> int:
        return len(self.registered())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.whereis(name) is not None


_registries: weakref.WeakKeyDictionary[Hub, Registry] = weakref.WeakKeyDictionary()


def default_registry() -> Registry:
    """The registry of the current hub (one per hub, so tests with fresh hubs don't share names)."""
    hub = get_hub()
    registry = _registries.get(hub)
    if registry is None:
        registry = _registries[hub] = Registry()
    return registry


def register(name: str, target: Any) -> None:
    """Register ``target`` as ``name`` in the default registry."""
    default_registry().register(name, target)


def whereis(name: str) -> Any:
    """Look ``name`` up in the default registry (None if absent or dead)."""
    return default_registry().whereis(name)


def unregister(name: str) -> None:
    """Remove ``name`` from the default registry."""
    default_registry().unregister(name)


def registered() -> list[str]:
    """Names in the default registry."""
    return default_registry().registered()
