"""TLS on green sockets: every handshake, read and write parks the green thread.

:class:`GreenSSLSocket` is the stdlib's ``SSLSocket`` with the green socket
below it (``GreenSSLSocket -> ssl.SSLSocket -> GreenSocket -> socket.socket``):
the plain socket calls the stdlib SSL code makes are green, and the SSL calls
that would block (``SSLWantReadError`` / ``SSLWantWriteError`` on the
non-blocking descriptor) wait for the descriptor and retry.
"""

from __future__ import annotations

import ssl as _stdlib_ssl
from collections.abc import Callable
from typing import Any, TypeVar

from eventlib.green._io import deadline_after, wait_fd
from eventlib.green._socket import _GLOBAL_DEFAULT_TIMEOUT, GreenSocket, create_connection

__all__ = [
    "GreenSSLContext",
    "GreenSSLSocket",
    "create_default_context",
    "get_server_certificate",
    "green_context",
    "wrap_socket",
]

T = TypeVar("T")

_WantRead = _stdlib_ssl.SSLWantReadError
_WantWrite = _stdlib_ssl.SSLWantWriteError


class GreenSSLSocket(_stdlib_ssl.SSLSocket, GreenSocket):
    """``ssl.SSLSocket`` whose handshake, reads and writes park the green thread.

    Made by :meth:`GreenSSLContext.wrap_socket` (or :func:`wrap_socket`), like
    the stdlib class. Timeouts raise ``socket.timeout`` (TimeoutError) with the
    stdlib's messages; a non-blocking socket (timeout 0) raises
    ``SSLWantReadError`` / ``SSLWantWriteError`` as the stdlib does.
    """

    def _ssl_call(
        self, operation: str, function: Callable[..., T], *args: Any, timeout: Any = False
    ) -> T:
        """Call an SSL function, waiting for the descriptor while it wants to read or write."""
        if timeout is False:
            timeout = self._green_timeout
        deadline = None
        while True:
            try:
                return function(*args)
            except _WantRead:
                if timeout == 0.0:
                    raise
                read = True
            except _WantWrite:
                if timeout == 0.0:
                    raise
                read = False
            if deadline is None and timeout is not None:
                deadline = deadline_after(timeout)
            error = (
                None if deadline is None else TimeoutError(f"The {operation} operation timed out")
            )
            wait_fd(self.fileno(), read=read, deadline=deadline, timeout_exc=error)

    def do_handshake(self, block: bool = False) -> None:
        """Perform the TLS handshake (green)."""
        self._check_connected()  # type: ignore[attr-defined]
        timeout = self._green_timeout
        if timeout == 0.0 and block:
            timeout = None
        sslobj: Any = getattr(self, "_sslobj", None)
        self._ssl_call("handshake", sslobj.do_handshake, timeout=timeout)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:  # noqa: A002 - the stdlib's name
        return self._ssl_call("read", super().read, len, buffer)

    def write(self, data: Any) -> int:
        return self._ssl_call("write", super().write, data)

    def send(self, data: Any, flags: int = 0) -> int:
        return self._ssl_call("write", super().send, data, flags)

    def unwrap(self) -> Any:
        """Shut TLS down (green); the socket then carries plain data, as in the stdlib."""
        me: Any = self
        sslobj = me._sslobj
        if sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        plain = self._ssl_call("shutdown", sslobj.shutdown)
        me._sslobj = None
        return plain

    def accept(self) -> tuple[GreenSSLSocket, Any]:
        """Accept a connection and wrap it (server side) in this socket's context."""
        sock, address = GreenSocket.accept(self)
        me: Any = self
        wrapped = wrap_with_context(
            self.context,
            sock,
            server_side=True,
            do_handshake_on_connect=me.do_handshake_on_connect,
            suppress_ragged_eofs=me.suppress_ragged_eofs,
        )
        return wrapped, address


def wrap_with_context(context: _stdlib_ssl.SSLContext, sock: Any, **kwargs: Any) -> GreenSSLSocket:
    """Wrap ``sock`` in a :class:`GreenSSLSocket` under any SSLContext (stdlib ones too)."""
    return GreenSSLSocket._create(sock=sock, context=context, **kwargs)  # type: ignore[attr-defined, no-any-return]


class GreenSSLContext(_stdlib_ssl.SSLContext):
    """``ssl.SSLContext`` whose ``wrap_socket`` returns :class:`GreenSSLSocket` objects."""

    sslsocket_class = GreenSSLSocket


def green_context(context: _stdlib_ssl.SSLContext) -> GreenSSLContext:
    """Make a stdlib SSLContext green in place (same settings, green ``wrap_socket``)."""
    if not isinstance(context, GreenSSLContext):
        context.__class__ = GreenSSLContext
    return context  # type: ignore[return-value]


def create_default_context(*args: Any, **kwargs: Any) -> GreenSSLContext:
    """``ssl.create_default_context`` (the stdlib's settings) with a green ``wrap_socket``."""
    return green_context(_stdlib_ssl.create_default_context(*args, **kwargs))


def create_unverified_context(*args: Any, **kwargs: Any) -> GreenSSLContext:
    """The stdlib's ``_create_unverified_context`` with a green ``wrap_socket``."""
    unverified = _stdlib_ssl._create_unverified_context
    return green_context(unverified(*args, **kwargs))


def wrap_socket(  # noqa: PLR0917 - the classic signature
    sock: Any,
    keyfile: str | None = None,
    certfile: str | None = None,
    server_side: bool = False,
    cert_reqs: _stdlib_ssl.VerifyMode = _stdlib_ssl.CERT_NONE,
    ssl_version: int | None = None,
    ca_certs: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: str | None = None,
) -> GreenSSLSocket:
    """The classic ``ssl.wrap_socket`` (gone from Python 3.12's stdlib) on green sockets.

    ``ssl_version=None`` picks ``PROTOCOL_TLS_SERVER`` or ``PROTOCOL_TLS_CLIENT``
    (without host name checking, as the classic function did).
    """
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if ssl_version is None:
        ssl_version = (
            _stdlib_ssl.PROTOCOL_TLS_SERVER if server_side else _stdlib_ssl.PROTOCOL_TLS_CLIENT
        )
    context = GreenSSLContext(ssl_version)
    context.check_hostname = False
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return wrap_with_context(
        context,
        sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs,
    )


def get_server_certificate(
    addr: tuple[str, int],
    ssl_version: int = _stdlib_ssl.PROTOCOL_TLS_CLIENT,
    ca_certs: str | None = None,
    timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
) -> str:
    """``ssl.get_server_certificate`` over a green connection: the peer's certificate as PEM."""
    host, _port = addr
    if ca_certs is not None:
        context = create_default_context(cafile=ca_certs)
    else:
        context = create_unverified_context(ssl_version)
        context.verify_mode = _stdlib_ssl.CERT_NONE
    with (
        create_connection(addr, timeout=timeout) as sock,
        context.wrap_socket(sock, server_hostname=host) as ssock,
    ):
        der = ssock.getpeercert(True)
    assert der is not None
    return _stdlib_ssl.DER_cert_to_PEM_cert(der)
