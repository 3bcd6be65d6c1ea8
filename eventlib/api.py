"""The classic ``eventlib.api`` names, kept for code written against the original library.

New code can use the same functions from :mod:`eventlib`. Differences from
the original: only the Twisted hub exists, and the silent-timeout marker is a
BaseException (Python 3).
"""

from __future__ import annotations

import importlib
import linecache
import sys
from types import FrameType, ModuleType, TracebackType
from typing import Any

from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812

from eventlib.hub import (
    Hub,
    Timer,
    Waiter,
    check_not_main_loop,
    get_fileno,
    get_hub,
    peek_hub,
    set_hub,
    sleep,
    trampoline,
)
from eventlib.proc import kill
from eventlib.proc import spawn_after as _spawn_proc_after
from eventlib.sync import Timeout, TimeoutError, exc_after, with_timeout

__all__ = [
    "FakeTimer",
    "Greenlet",
    "GreenletExit",
    "Spew",
    "TimeoutError",
    "call_after",
    "call_after_global",
    "call_after_local",
    "connect_tcp",
    "exc_after",
    "get_default_hub",
    "get_fileno",
    "get_hub",
    "getcurrent",
    "kill",
    "named",
    "select",
    "sleep",
    "spawn",
    "spawn_after",
    "spew",
    "ssl_listener",
    "switch",
    "tcp_listener",
    "tcp_server",
    "timeout",
    "trampoline",
    "unspew",
    "use_hub",
    "with_timeout",
]


def switch(coro: Greenlet, result: Any = None, exc: Any = None) -> Any:
    """``coro.throw(*exc)`` if ``exc`` is given, else ``coro.switch(result)``."""
    if exc is not None:
        return coro.throw(*(exc if isinstance(exc, tuple) else (exc,)))
    return coro.switch(result)


def spawn(function: Any, *args: Any, **kwargs: Any) -> Greenlet:
    """Run ``function(*args, **kwargs)`` in a new raw greenlet from the next hub turn.

    The caller keeps running; the greenlet starts even if the caller has
    exited by then. An exception it does not catch is logged by the hub.
    Use :func:`eventlib.spawn` for a linkable :class:`~eventlib.proc.Proc`.
    """
    hub = get_hub()
    greenlet = Greenlet(function, parent=hub.greenlet)
    hub.schedule_soon(_start_raw, greenlet, args, kwargs)
    return greenlet


def _start_raw(greenlet: Greenlet, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if not greenlet.dead:
        greenlet.switch(*args, **kwargs)


def spawn_after(seconds: float, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Start ``function`` in a new proc after ``seconds``; killing it before then cancels it."""
    return _spawn_proc_after(seconds, function, *args, **kwargs)


def _run_in_new_greenlet(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _start_raw(Greenlet(function, parent=get_hub().greenlet), args, kwargs)


def call_after_global(seconds: float, function: Any, *args: Any, **kwargs: Any) -> Timer:
    """Run ``function`` in a fresh greenlet after ``seconds``, even if the caller died."""
    return get_hub().schedule_call_global(seconds, _run_in_new_greenlet, function, args, kwargs)


def call_after_local(seconds: float, function: Any, *args: Any, **kwargs: Any) -> Timer:
    """Like :func:`call_after_global`, skipped if the calling greenlet has died by then."""
    return get_hub().schedule_call_local(seconds, _run_in_new_greenlet, function, args, kwargs)


call_after = call_after_local


class FakeTimer:
    """The timer of a disabled timeout: ``cancel()`` does nothing."""

    def cancel(self) -> None:
        pass


class timeout:
    """Classic timeout context manager: ``with timeout(seconds, *throw_args) as timer:``.

    No ``throw_args``: raise a TimeoutError. ``(None,)``: silently leave the
    block. Otherwise raise those (class, instance or ``(type, value, tb)``).
    ``seconds=None`` disables it. ``__enter__`` returns the timer, whose
    ``cancel()`` disarms it; ``__exit__`` swallows only its own silent marker.
    """

    def __init__(self, seconds: float | None, *throw_args: Any) -> None:
        self.seconds = seconds
        if throw_args == (None,):
            exception: Any = False
        elif not throw_args:
            exception = TimeoutError()
        else:
            from eventlib.hub import exception_from_throw_args  # noqa: PLC0415

            exception = exception_from_throw_args(throw_args)
        self._timeout = Timeout(seconds, exception)

    def __enter__(self) -> Timeout | FakeTimer:
        if self.seconds is None:
            return FakeTimer()
        return self._timeout.start()

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return self._timeout.__exit__(typ, value, tb)


def get_default_hub() -> type[Hub]:
    """The hub class used by default: the Twisted hub, the only one eventlib has."""
    return Hub


def use_hub(mod: Any = None) -> None:
    """Forget this thread's hub so that the next use creates a fresh one.

    ``mod`` may be None, ``"twistedr"``, or the :class:`Hub` class; eventlib has
    only the Twisted hub, so anything else is an error.
    """
    if mod not in (None, "twistedr", "twisted", Hub):
        raise ValueError(f"eventlib has only the Twisted hub; use_hub({mod!r}) is not possible")
    previous = peek_hub()
    if previous is not None:
        previous.close()
    set_hub(None)


class _SelectSlot:
    """Routes one direction of one descriptor into select()'s shared Waiter."""

    __slots__ = ("objects", "readable", "waiter")

    def __init__(self, waiter: Waiter, objects: list[Any], *, readable: bool) -> None:
        self.waiter = waiter
        self.objects = objects  # [read object, write object, error object] of the descriptor
        self.readable = readable

    def _ready(self, index: int) -> None:
        self.waiter.switch_now((index, self.objects[index]))

    def switch_now(self, _fileno: int) -> None:
        if not self.readable:
            self._ready(1)
        else:
            self._ready(0 if self.objects[0] is not None else 2)

    def throw(self, _error: BaseException) -> None:
        # A lost descriptor is ready (the next operation on it raises): in the error
        # list if it is there, else in its own list. May run outside MAIN_LOOP.
        own_list = 0 if self.readable else 1
        index = 2 if self.objects[2] is not None else own_list
        self.waiter.switch((index, self.objects[index]))


def select(
    read_list: list[Any],
    write_list: list[Any],
    error_list: list[Any],
    timeout: float | None = None,
) -> tuple[list[Any], list[Any], list[Any]]:
    """Wait until the FIRST descriptor is ready; return it in the matching list.

    Returns ``([r], [], [])``, ``([], [w], [])`` or ``([], [], [e])``, where
    ``e`` is reported when the reactor finds that descriptor readable, closed
    or failing (Twisted has no separate exceptional-condition wait; a
    descriptor also in ``read_list`` is reported there when readable);
    ``([], [], [])`` on timeout. A descriptor may appear in several lists.
    """
    hub = get_hub()
    check_not_main_loop(hub, "select()")
    # One wait per descriptor and direction, however many lists name it (as the classic did).
    wanted: dict[int, list[Any]] = {}
    for index, fds in enumerate((read_list, write_list, error_list)):
        for fd in fds:
            objects = wanted.setdefault(get_fileno(fd), [None, None, None])
            if objects[index] is None:
                objects[index] = fd
    waiter = Waiter(hub)
    registered: list[tuple[int, _SelectSlot]] = []
    try:
        for fileno, objects in wanted.items():
            if objects[0] is not None or objects[2] is not None:
                slot = _SelectSlot(waiter, objects, readable=True)
                hub.wait_fd(fileno, read=True, write=False, waiter=slot)
                registered.append((fileno, slot))
            if objects[1] is not None:
                slot = _SelectSlot(waiter, objects, readable=False)
                hub.wait_fd(fileno, read=False, write=True, waiter=slot)
                registered.append((fileno, slot))
        with Timeout(timeout, False):
            index, fd = waiter.get()
            result: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
            result[index].append(fd)
            return result
        return ([], [], [])
    finally:
        for fileno, slot in registered:
            hub.unwait_fd(fileno, slot)


def named(name: str) -> Any:
    """Import an object by dotted name: ``named("os.path.join")``.

    Raises:
        ImportError: no module on the way can be imported.
        AttributeError: the last names are not attributes of the module.
    """
    parts = name.split(".")
    module: ModuleType | None = None
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            if cut == 1:
                raise
            continue
        obj: Any = module
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)  # pragma: no cover - the loop always returns or raises


class Spew:
    """A ``sys.settrace`` hook printing each executed line (for debugging)."""

    def __init__(self, trace_names: Any = None, show_values: bool = True) -> None:
        self.trace_names = trace_names
        self.show_values = show_values

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            module = frame.f_globals.get("__name__", "?")
            if self.trace_names is None or module in self.trace_names:
                filename = frame.f_code.co_filename
                line = linecache.getline(filename, frame.f_lineno).rstrip()
                sys.stdout.write(f"{module}:{frame.f_lineno}: {line}\n")
                if self.show_values:
                    for name, value in frame.f_locals.items():
                        if name in line:
                            sys.stdout.write(f"\t{name}={value!r}\n")
        return self


def spew(trace_names: Any = None, show_values: bool = False) -> None:
    """Print every line executed from now on (``unspew()`` stops it)."""
    sys.settrace(Spew(trace_names, show_values))


def unspew() -> None:
    """Stop :func:`spew`."""
    sys.settrace(None)


def _family_of(address: Any) -> int:
    import socket as stdlib_socket  # noqa: PLC0415

    if isinstance(address, str | bytes):
        return stdlib_socket.AF_UNIX
    return stdlib_socket.AF_INET6 if ":" in str(address[0]) else stdlib_socket.AF_INET


def tcp_listener(address: Any, backlog: int = 50) -> Any:
    """A green socket bound to ``address`` (``(host, port)``) and listening."""
    import socket as stdlib_socket  # noqa: PLC0415

    from eventlib.green import socket as green_socket  # noqa: PLC0415

    sock = green_socket.socket(_family_of(address), stdlib_socket.SOCK_STREAM)
    try:
        sock.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def ssl_listener(address: Any, certificate: str, private_key: str) -> Any:
    """A listening green TLS socket (``is_secure`` is True); handshakes happen on accept."""
    from eventlib.green import ssl as green_ssl  # noqa: PLC0415

    context = green_ssl.SSLContext(green_ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, private_key)
    listener: Any = context.wrap_socket(tcp_listener(address), server_side=True)
    listener.is_secure = True  # the classic marker of a TLS listener
    return listener


def connect_tcp(address: Any, localaddr: Any = None) -> Any:
    """A green socket connected to ``address``, bound first to ``localaddr`` if given."""
    import socket as stdlib_socket  # noqa: PLC0415

    from eventlib.green import socket as green_socket  # noqa: PLC0415

    sock = green_socket.socket(_family_of(address), stdlib_socket.SOCK_STREAM)
    try:
        if localaddr is not None:
            sock.bind(localaddr)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def tcp_server(listensocket: Any, server: Any, *args: Any, **kwargs: Any) -> None:
    """Accept forever, running ``server((conn, addr), *args, **kwargs)`` in a new greenlet each.

    Closing the listener (from another green thread or a timer) ends the loop
    quietly, whatever error the interrupted ``accept`` raised (EBADF from a
    green socket); so does a broken pipe (EPIPE). Other socket errors
    propagate. The listener is closed when the loop ends.
    """
    import errno  # noqa: PLC0415

    try:
        while True:
            client = listensocket.accept()
            spawn(server, client, *args, **kwargs)
    except OSError as exc:
        if exc.errno != errno.EPIPE and not _is_closed(listensocket):
            raise
    finally:
        listensocket.close()


def _is_closed(sock: Any) -> bool:
    try:
        return bool(sock.fileno() < 0)
    except OSError:
        return True
