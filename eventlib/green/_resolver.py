"""Name resolution that never blocks the reactor.

Lookups that may block (DNS, ``/etc/hosts`` through NSS, reverse lookups) run
the stdlib's own functions in a small pool of worker threads
(``concurrent.futures.ThreadPoolExecutor``); the answer comes back to the
waiting green thread through ``reactor.callFromThread``. Why a thread pool:

* the answers and the errors are exactly the stdlib's (``gaierror`` codes, the
  ``AI_*`` flags, ``/etc/hosts`` and ``nsswitch.conf``). Twisted's DNS client
  (``twisted.names``) is a DNS-only resolver that knows none of that.
* not the reactor's own pool (behind ``deferToThread`` and Twisted's default
  ``GAIResolver``): its threads are not daemons and stop only when the reactor
  stops, so a program that never calls ``reactor.stop()`` (run mode 2) would hang
  at exit. The executor's idle threads end at interpreter exit.

Numeric addresses (``127.0.0.1``, ``::1``) need no lookup and are converted
inline, without a thread.
"""

from __future__ import annotations

import os
import socket as _stdlib_socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from eventlib.hub import Waiter, check_not_main_loop, get_hub

__all__ = [
    "call_in_thread",
    "getaddrinfo",
    "getfqdn",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "is_numeric_host",
]

T = TypeVar("T")

# The stdlib functions, taken before monkey_patch() can replace them.
_std_getaddrinfo = _stdlib_socket.getaddrinfo
_std_gethostbyname = _stdlib_socket.gethostbyname
_std_gethostbyname_ex = _stdlib_socket.gethostbyname_ex
_std_gethostbyaddr = _stdlib_socket.gethostbyaddr
_std_getnameinfo = _stdlib_socket.getnameinfo
_std_getfqdn = _stdlib_socket.getfqdn
_inet_pton = _stdlib_socket.inet_pton

_MAX_WORKERS = 10
_NUMERIC_NAMEINFO = _stdlib_socket.NI_NUMERICHOST | _stdlib_socket.NI_NUMERICSERV

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


class _WorkerState(threading.local):
    active = False


_worker_state = _WorkerState()


def _mark_worker() -> None:
    _worker_state.active = True


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    executor = _executor
    if executor is None:
        with _executor_lock:
            executor = _executor
            if executor is None:
                executor = _executor = ThreadPoolExecutor(
                    _MAX_WORKERS, thread_name_prefix="eventlib-resolver", initializer=_mark_worker
                )
    return executor


def _forget_executor() -> None:
    global _executor, _executor_lock
    _executor = None  # its threads do not exist in a forked child
    _executor_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_executor)


def call_in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` in a resolver thread; park the green thread until it returns.

    Called from a resolver thread itself (a stdlib function calling a
    monkey-patched one), it just calls ``function``.

    Raises:
        BlockingInMainLoopError: called from MAIN_LOOP.
    """
    if _worker_state.active:
        return function(*args)
    hub = get_hub()
    check_not_main_loop(hub, f"{getattr(function, '__name__', 'name resolution')}()")
    waiter = Waiter(hub)
    call_from_thread = hub.reactor.callFromThread

    def done(future: Future[T]) -> None:
        error = future.exception()
        if error is None:
            call_from_thread(waiter.switch, future.result())
        else:
            call_from_thread(waiter.throw, error)

    _get_executor().submit(function, *args).add_done_callback(done)
    return waiter.get()  # type: ignore[no-any-return]


def is_numeric_host(host: object) -> bool:
    """True if ``host`` needs no lookup: None, or an IPv4/IPv6 address literal."""
    if host is None:
        return True
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    for family in (_stdlib_socket.AF_INET, _stdlib_socket.AF_INET6):
        try:
            _inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


def _is_numeric_port(port: object) -> bool:
    if port is None or isinstance(port, int):
        return True
    return isinstance(port, (str, bytes)) and port.isdigit()


def getaddrinfo(  # noqa: PLR0917 - the stdlib's signature
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,  # noqa: A002 - the stdlib's parameter name
    proto: int = 0,
    flags: int = 0,
) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo`` that parks the green thread instead of blocking the reactor."""
    if (is_numeric_host(host) or flags & _stdlib_socket.AI_NUMERICHOST) and _is_numeric_port(port):
        return _std_getaddrinfo(host, port, family, type, proto, flags)
    return call_in_thread(_std_getaddrinfo, host, port, family, type, proto, flags)


def gethostbyname(hostname: str) -> str:
    """``socket.gethostbyname`` that parks the green thread instead of blocking the reactor."""
    if isinstance(hostname, str):
        try:
            _inet_pton(_stdlib_socket.AF_INET, hostname)
        except OSError:
            pass
        else:
            return _std_gethostbyname(hostname)
    return call_in_thread(_std_gethostbyname, hostname)


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """``socket.gethostbyname_ex`` run in a resolver thread."""
    return call_in_thread(_std_gethostbyname_ex, hostname)


def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """``socket.gethostbyaddr`` (a reverse lookup) run in a resolver thread."""
    return call_in_thread(_std_gethostbyaddr, ip_address)


def getnameinfo(sockaddr: tuple[Any, ...], flags: int) -> tuple[str, str]:
    """``socket.getnameinfo``; inline when both NI_NUMERICHOST and NI_NUMERICSERV are set."""
    if isinstance(flags, int) and flags & _NUMERIC_NAMEINFO == _NUMERIC_NAMEINFO:
        return _std_getnameinfo(sockaddr, flags)
    return call_in_thread(_std_getnameinfo, sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """``socket.getfqdn`` run in a resolver thread."""
    return call_in_thread(_std_getfqdn, name)
