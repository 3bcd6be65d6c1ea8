"""GreenSocket: a stdlib socket whose blocking calls park the green thread.

The descriptor is always non-blocking at the OS level; the timeout the user
sets (None: blocking, 0: non-blocking, > 0: a deadline) is kept by the green
socket. An operation that would block waits for the descriptor with
:func:`eventlib.hub.trampoline` and retries, so only the calling green thread
waits while the reactor serves everyone else. Host names in addresses are
resolved with :mod:`eventlib.green._resolver`, never by the C socket code
(which would block the reactor).
"""

from __future__ import annotations

import _socket
import errno
import os
import socket as _stdlib_socket
from collections.abc import Callable
from typing import Any

from eventlib.green._io import closed_error, deadline_after, notify_closed, release_fd, wait_fd
from eventlib.green._resolver import getaddrinfo, is_numeric_host

__all__ = [
    "GreenSocket",
    "create_connection",
    "create_server",
    "fromfd",
    "socketpair",
]

_ss = _socket.socket
_c_recv = _ss.recv
_c_recv_into = _ss.recv_into
_c_send = _ss.send
_c_fileno = _ss.fileno
_c_family = _ss.family.__get__

_INET_FAMILIES = (_stdlib_socket.AF_INET, _stdlib_socket.AF_INET6)
# connect_ex() results that mean "in progress, wait until writable".
_CONNECT_PENDING = (errno.EINPROGRESS, errno.EALREADY)
_GLOBAL_DEFAULT_TIMEOUT: Any = _stdlib_socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
# The stdlib functions, taken before monkey_patch() can replace them.
_std_socketpair = _stdlib_socket.socketpair
_std_create_server = _stdlib_socket.create_server


class GreenSocket(_stdlib_socket.socket):
    """``socket.socket`` with green blocking calls; a drop-in for the stdlib class.

    Every stdlib method works; the ones that can block (``accept``,
    ``connect``, ``recv*``, ``send*``, ``sendfile``) park only the calling
    green thread, honour the socket's timeout (raising ``socket.timeout``,
    the builtin TimeoutError, like the stdlib) and, called from MAIN_LOOP,
    raise :class:`eventlib.hub.BlockingInMainLoopError` instead of blocking.
    Closing a socket wakes the green threads waiting on it with the error the
    stdlib gives for a closed socket (EBADF).

    Example::

        with GreenSocket(AF_INET, SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"ping")
            reply = sock.recv(4)
    """

    __slots__ = ("_green_timeout",)

    def __init__(
        self,
        family: int = -1,
        type: int = -1,  # noqa: A002 - the stdlib's parameter name
        proto: int = -1,
        fileno: int | None = None,
    ) -> None:
        super().__init__(family, type, proto, fileno)
        # The C level holds the default timeout now; keep it green, go non-blocking.
        self._green_timeout: float | None = _ss.gettimeout(self)
        _ss.settimeout(self, 0.0)

    # -- timeouts ------------------------------------------------------------

    def settimeout(self, value: float | None) -> None:
        """Set the timeout of blocking calls: None blocks, 0 never waits, > 0 is a deadline."""
        if value is None or (type(value) in (int, float) and value >= 0):
            if _c_fileno(self) < 0:
                raise closed_error()
            self._green_timeout = None if value is None else float(value)
            return
        # Anything else: let the C code accept it (a Decimal) or raise the stdlib's error.
        _ss.settimeout(self, value)
        self._green_timeout = _ss.gettimeout(self)
        _ss.settimeout(self, 0.0)

    def gettimeout(self) -> float | None:
        return self._green_timeout

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if flag else 0.0)

    def getblocking(self) -> bool:
        return self._green_timeout != 0.0

    @property
    def timeout(self) -> float | None:
        """The socket's timeout (as ``gettimeout()``)."""
        return self._green_timeout

    # -- waiting -------------------------------------------------------------

    def _retry(self, method: Callable[..., Any], read: bool, args: tuple[Any, ...]) -> Any:
        """Wait for the descriptor and retry ``method`` until it stops raising EAGAIN."""
        timeout = self._green_timeout
        deadline = None if timeout is None else deadline_after(timeout)
        fileno = _c_fileno(self)
        while True:
            # A read registration stays with the reactor while the socket lives:
            # the next wait on a busy connection then costs no system call.
            wait_fd(fileno, read=read, deadline=deadline, keep=read)
            try:
                return method(self, *args)
            except BlockingIOError:
                pass

    def _io(self, method: Callable[..., Any], read: bool, args: tuple[Any, ...]) -> Any:
        try:
            return method(self, *args)
        except BlockingIOError:
            if self._green_timeout == 0.0:
                raise
        return self._retry(method, read, args)

    # -- addresses -----------------------------------------------------------

    def _resolve(self, address: Any) -> Any:
        """``address`` with a host name replaced by its address (the C code would block)."""
        if type(address) is not tuple or len(address) < 2:
            return address
        host = address[0]
        if (
            not isinstance(host, str)
            or host in ("", "<broadcast>")
            or _c_family(self) not in _INET_FAMILIES
            or is_numeric_host(host)
        ):
            return address
        infos = getaddrinfo(host, None, _c_family(self))
        return (infos[0][4][0], *address[1:])

    # -- connections -----------------------------------------------------------

    def accept(self) -> tuple[GreenSocket, Any]:
        """Wait for a connection; return ``(GreenSocket, address)``."""
        fd, address = self._io(_ss._accept, True, ())  # type: ignore[attr-defined]
        return GreenSocket(self.family, self.type, self.proto, fileno=fd), address

    def bind(self, address: Any) -> None:
        _ss.bind(self, self._resolve(address))

    def connect(self, address: Any) -> None:
        """Connect to ``address``, waiting up to the socket's timeout."""
        address = self._resolve(address)
        if self._green_timeout == 0.0:
            _ss.connect(self, address)
            return
        error = self._connect(address, None)
        if error:
            raise OSError(error, os.strerror(error))

    def connect_ex(self, address: Any) -> int:
        """Like :meth:`connect`, but return the error number (EAGAIN on timeout)."""
        address = self._resolve(address)
        if self._green_timeout == 0.0:
            return _ss.connect_ex(self, address)
        timed_out = TimeoutError("timed out")
        try:
            return self._connect(address, timed_out)
        except TimeoutError as exc:
            if exc is not timed_out:
                raise  # someone else's timeout (an eventlib.Timeout around the call)
            return errno.EWOULDBLOCK  # what the stdlib's connect_ex returns on timeout

    def _connect(self, address: Any, timed_out: TimeoutError | None) -> int:
        error: int = _ss.connect_ex(self, address)
        if error == 0:
            return 0
        deadline = deadline_after(self._green_timeout)
        fileno = _c_fileno(self)
        while error == errno.EAGAIN:  # no room to start connecting (AF_UNIX backlog full)
            wait_fd(fileno, read=False, deadline=deadline, timeout_exc=timed_out)
            error = _ss.connect_ex(self, address)
        if error not in _CONNECT_PENDING:
            return error
        wait_fd(fileno, read=False, deadline=deadline, timeout_exc=timed_out)
        return int(_ss.getsockopt(self, _stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_ERROR))

    # -- receiving ---------------------------------------------------------------

    def recv(self, *args: Any) -> bytes:
        try:
            return _c_recv(self, *args)
        except BlockingIOError:
            if self._green_timeout == 0.0:
                raise
        return self._retry(_c_recv, True, args)  # type: ignore[no-any-return]

    def recv_into(self, *args: Any) -> int:
        try:
            return _c_recv_into(self, *args)
        except BlockingIOError:
            if self._green_timeout == 0.0:
                raise
        return self._retry(_c_recv_into, True, args)  # type: ignore[no-any-return]

    def recvfrom(self, *args: Any) -> tuple[bytes, Any]:
        return self._io(_ss.recvfrom, True, args)  # type: ignore[no-any-return]

    def recvfrom_into(self, *args: Any) -> tuple[int, Any]:
        return self._io(_ss.recvfrom_into, True, args)  # type: ignore[no-any-return]

    def recvmsg(self, *args: Any) -> tuple[bytes, list[Any], int, Any]:
        return self._io(_ss.recvmsg, True, args)  # type: ignore[no-any-return]

    def recvmsg_into(self, *args: Any) -> tuple[int, list[Any], int, Any]:
        return self._io(_ss.recvmsg_into, True, args)  # type: ignore[no-any-return]

    # -- sending -------------------------------------------------------------------

    def send(self, *args: Any) -> int:
        try:
            return _c_send(self, *args)
        except BlockingIOError:
            if self._green_timeout == 0.0:
                raise
        return self._retry(_c_send, False, args)  # type: ignore[no-any-return]

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``; the timeout bounds the whole call, as in the stdlib."""
        timeout = self._green_timeout
        if timeout == 0.0:
            _ss.sendall(self, data, flags)  # non-blocking: the stdlib's behaviour exactly
            return
        sent = 0
        if type(data) is bytes:  # the common case: all of it goes at once, no views needed
            sent = _c_send_or_zero(self, data, flags)
            if sent == len(data):
                return
        deadline = deadline_after(timeout)
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            if type(data) is not bytes:  # bytes were tried above
                sent = _c_send_or_zero(self, octets, flags)
            fileno = _c_fileno(self)
            while sent < total:
                wait_fd(fileno, read=False, deadline=deadline)
                sent += _c_send_or_zero(self, octets[sent:], flags)

    def sendto(self, data: Any, *args: Any) -> int:
        if args:
            args = (*args[:-1], self._resolve(args[-1]))
        return self._io(_ss.sendto, False, (data, *args))  # type: ignore[no-any-return]

    def sendmsg(self, *args: Any) -> int:
        if len(args) >= 4:
            args = (*args[:3], self._resolve(args[3]), *args[4:])
        return self._io(_ss.sendmsg, False, args)  # type: ignore[no-any-return]

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send a file with green ``send`` calls (``os.sendfile`` would need a blocking socket)."""
        return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined, no-any-return]

    # -- closing -------------------------------------------------------------------

    def _real_close(self, _ss: Any = _ss) -> None:
        # Wake whoever waits on the descriptor and drop its registration before it
        # goes (and its number may be reused).
        notify_closed(_c_fileno(self))
        _ss.close(self)

    def detach(self) -> int:
        """Give the descriptor away, dropping the reactor registration this socket kept."""
        release_fd(_c_fileno(self))
        return super().detach()

    def __del__(self, _ss_del: Any = _ss.__del__) -> None:  # type: ignore[attr-defined]
        # Collected unclosed: drop the kept registration while the descriptor is
        # still open, then let the stdlib warn (ResourceWarning) and close it.
        release_fd(_c_fileno(self))
        _ss_del(self)


def _c_send_or_zero(sock: GreenSocket, data: bytes | memoryview, flags: int) -> int:
    try:
        return _c_send(sock, data, flags)
    except BlockingIOError:
        return 0


def _from_stdlib(sock: _stdlib_socket.socket) -> GreenSocket:
    """Turn a stdlib socket into a GreenSocket on the same descriptor (keeping its timeout)."""
    timeout = sock.gettimeout()
    green = GreenSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    green.settimeout(timeout)
    return green


def socketpair(
    family: int | None = None,
    type: int = _stdlib_socket.SOCK_STREAM,  # noqa: A002 - the stdlib's parameter name
    proto: int = 0,
) -> tuple[GreenSocket, GreenSocket]:
    """``socket.socketpair`` returning green sockets."""
    a, b = _std_socketpair(family, type, proto)
    return _from_stdlib(a), _from_stdlib(b)


def fromfd(fd: Any, family: int, type: int, proto: int = 0) -> GreenSocket:  # noqa: A002
    """A green socket on a duplicate of ``fd`` (``socket.fromfd``)."""
    return GreenSocket(family, type, proto, os.dup(_get_fd(fd)))


def _get_fd(fd: Any) -> int:
    return fd if isinstance(fd, int) else int(fd.fileno())


def create_connection(
    address: tuple[str, int],
    timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
    source_address: Any = None,
    *,
    all_errors: bool = False,
) -> GreenSocket:
    """Connect to ``(host, port)``, trying each resolved address in turn (green resolution).

    Raises:
        OSError: every address failed: the first error, or an ExceptionGroup of
            all of them when ``all_errors`` is true (as in the stdlib).
    """
    host, port = address
    errors: list[OSError] = []
    for info in getaddrinfo(host, port, 0, _stdlib_socket.SOCK_STREAM):
        try:
            return _connect_one(info, timeout, source_address)
        except OSError as exc:
            errors.append(exc)
    if not errors:
        raise OSError("getaddrinfo returns an empty list")
    try:
        if all_errors:
            raise ExceptionGroup("create_connection failed", errors)
        raise errors[0]
    finally:
        errors = []  # no reference cycle through the tracebacks


def _connect_one(info: tuple[Any, ...], timeout: Any, source_address: Any) -> GreenSocket:
    family, type_, proto, _name, sockaddr = info
    sock = GreenSocket(family, type_, proto)
    try:
        if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
            sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def create_server(
    address: tuple[str, int],
    *,
    family: int = _stdlib_socket.AF_INET,
    backlog: int | None = None,
    reuse_port: bool = False,
    dualstack_ipv6: bool = False,
) -> GreenSocket:
    """``socket.create_server`` returning a green socket (a host name is resolved green)."""
    host = address[0]
    if isinstance(host, str) and host and not is_numeric_host(host):
        address = (getaddrinfo(host, None, family)[0][4][0], *address[1:])
    sock = _std_create_server(
        address,
        family=family,
        backlog=backlog,
        reuse_port=reuse_port,
        dualstack_ipv6=dualstack_ipv6,
    )
    return _from_stdlib(sock)
