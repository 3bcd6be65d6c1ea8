"""Green imports of stdlib clients, and monkey patching for those who want it."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from eventlib.hub import peek_hub

__all__ = ["GREEN_MODULES", "import_patched", "is_monkey_patched", "monkey_patch"]

GREEN_MODULES = {
    "os": "eventlib.green.os",
    "select": "eventlib.green.select",
    "socket": "eventlib.green.socket",
    "ssl": "eventlib.green.ssl",
    "subprocess": "eventlib.green.subprocess",
    "threading": "eventlib.green.threading",
    "time": "eventlib.green.time",
}
"""The stdlib modules :func:`import_patched` replaces, and their green versions."""

# Modules whose green copy needs a green copy of a module they import.
_CASCADE = {
    "urllib.request": ("http.client",),
    "xmlrpc.client": ("http.client",),
}

_MISSING: Any = object()


def import_patched(
    module_name: str, *additional_modules: tuple[str, ModuleType], **substitutes: ModuleType
) -> ModuleType:
    """Import a fresh copy of ``module_name`` that sees green modules instead of the stdlib's.

    While the copy is imported, ``socket``, ``select``, ``time``, ``ssl``,
    ``threading``, ``os`` and ``subprocess`` are the ``eventlib.green``
    versions, so the copy's blocking calls park the green thread. The
    program's own ``sys.modules`` entries (the stdlib module included) are left
    as they were. ``urllib.request`` and ``xmlrpc.client`` also get a green copy
    of ``http.client``.

    Args:
        module_name: the module to import, e.g. ``"http.client"``.
        additional_modules: more ``(name, module)`` pairs to substitute.
        substitutes: more substitutes by keyword (``socket=my_socket``).

    Example::

        from eventlib.patcher import import_patched

        client = import_patched("http.client")
        connection = client.HTTPConnection("localhost", 8080, timeout=5)
    """
    modules: dict[str, ModuleType] = {
        name: importlib.import_module(green) for name, green in GREEN_MODULES.items()
    }
    for dependency in _CASCADE.get(module_name, ()):
        modules[dependency] = import_patched(dependency)
    modules.update(additional_modules)
    modules.update(substitutes)
    return _import_fresh(module_name, modules)


def _import_fresh(module_name: str, substitutes: dict[str, ModuleType]) -> ModuleType:
    # Import the stdlib copy first, so every dependency is cached unpatched and
    # only the fresh copy of module_name itself sees the substitutes.
    importlib.import_module(module_name)
    parent_name, _, child = module_name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    parent_attribute = getattr(parent, child, _MISSING) if parent is not None else _MISSING
    saved = {name: sys.modules.get(name, _MISSING) for name in (module_name, *substitutes)}
    try:
        del sys.modules[module_name]
        sys.modules.update(substitutes)
        module = importlib.import_module(module_name)
    finally:
        for name, original in saved.items():
            if original is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = original
        if parent is not None:  # the import system pointed the package at the copy
            if parent_attribute is _MISSING:
                delattr(parent, child)
            else:
                setattr(parent, child, parent_attribute)
    _point_packages_at_substitutes(module, substitutes)
    return module


def _point_packages_at_substitutes(module: ModuleType, substitutes: dict[str, ModuleType]) -> None:
    """Give ``module`` its own package objects whose submodules are the substitutes.

    ``import http.client`` binds the package ``http``, and ``http.client`` is
    then looked up on it at call time: the stdlib's ``http.client``. The copy
    gets a stand-in package whose ``client`` is the substitute.
    """
    for name, value in list(vars(module).items()):
        if not isinstance(value, ModuleType):
            continue
        children = {
            sub.rpartition(".")[2]: replacement
            for sub, replacement in substitutes.items()
            if sub.rpartition(".")[0] == value.__name__
        }
        if children:
            stand_in = ModuleType(value.__name__, value.__doc__)
            stand_in.__dict__.update(vars(value))
            stand_in.__dict__.update(children)
            setattr(module, name, stand_in)


# --- monkey patching ------------------------------------------------------------------

_patched: dict[tuple[str, str], Any] = {}


def _in_green_context() -> bool:
    """True where green calls can work: the main thread, or a thread with a hub."""
    return peek_hub() is not None or threading.current_thread() is threading.main_thread()


def _guarded(green: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    """``green`` where green calls work, ``original`` in other threads (a pool's workers)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if _in_green_context():
            return green(*args, **kwargs)
        return original(*args, **kwargs)

    call.__name__ = getattr(green, "__name__", "call")
    call.__doc__ = green.__doc__
    call.__wrapped__ = green  # type: ignore[attr-defined]
    return call


def _patch(module: ModuleType, name: str, value: Any, *, guard: bool = True) -> None:
    key = (module.__name__, name)
    original = _patched.get(key, getattr(module, name))
    if key not in _patched:
        _patched[key] = original
    if guard and callable(value) and not isinstance(value, type):
        value = _guarded(value, original)
    setattr(module, name, value)


def monkey_patch(
    *,
    socket: bool = True,
    select: bool = True,
    time: bool = True,
    ssl: bool = True,
    os: bool = False,
    subprocess: bool = False,
) -> None:
    """Make the stdlib modules green in place, for the whole program.

    Code that imported ``socket`` (``http.client``, ``urllib.request``,
    ``smtplib``, ``ftplib``, your own) then runs green without a patched
    import. ``threading`` is never patched: the name resolver and Twisted need
    real threads. Patched functions keep the stdlib behaviour in threads other
    than the main one that have no hub (a thread pool's workers). Meant for
    single-threaded programs; calling it twice is harmless.

    Args:
        socket: the socket class, ``create_connection``, name resolution.
        select: ``select.select`` (``poll``/``epoll`` stay as they are).
        time: ``time.sleep``.
        ssl: every ``SSLContext`` makes green SSL sockets.
        os: ``os.read``/``write``/``waitpid``/``wait``.
        subprocess: ``Popen`` and the functions built on it.
    """
    if socket:
        _patch_module("socket", "eventlib.green.socket", _SOCKET_NAMES)
    if select:
        _patch_module("select", "eventlib.green.select", ("select",))
    if time:
        _patch_module("time", "eventlib.green.time", ("sleep",))
    if ssl:
        from eventlib.green import _ssl  # noqa: PLC0415 - imported only when patching ssl

        stdlib_ssl = importlib.import_module("ssl")
        _patch(stdlib_ssl.SSLContext, "sslsocket_class", _ssl.GreenSSLSocket, guard=False)
    if os:
        _patch_module("os", "eventlib.green.os", ("read", "write", "waitpid", "wait"))
    if subprocess:
        _patch_module("subprocess", "eventlib.green.subprocess", _SUBPROCESS_NAMES)


_SOCKET_NAMES = (
    "create_connection",
    "create_server",
    "fromfd",
    "getaddrinfo",
    "getfqdn",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "socket",
    "socketpair",
)
_SUBPROCESS_NAMES = (
    "Popen",
    "call",
    "check_call",
    "check_output",
    "getoutput",
    "getstatusoutput",
    "run",
)


def _patch_module(name: str, green_name: str, names: tuple[str, ...]) -> None:
    stdlib_module = importlib.import_module(name)
    green_module = importlib.import_module(green_name)
    for attribute in names:
        _patch(stdlib_module, attribute, getattr(green_module, attribute))


def is_monkey_patched(module_name: str) -> bool:
    """True if :func:`monkey_patch` has patched ``module_name`` (``"socket"``, ``"ssl"``...)."""
    if module_name == "ssl":
        return ("SSLContext", "sslsocket_class") in _patched
    return any(module == module_name for module, _ in _patched)
