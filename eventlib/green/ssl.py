"""Green ``ssl``: TLS on green sockets, handshake included; a drop-in for the stdlib module.

``SSLContext.wrap_socket`` (and the classic module-level :func:`wrap_socket`)
return :class:`GreenSSLSocket` objects whose handshake, reads and writes park
the green thread. ``create_default_context`` and the private helpers the
stdlib clients call (``_create_default_https_context``,
``_create_stdlib_context``, ``_create_unverified_context``) return green
contexts with the stdlib's settings. Every other name is the stdlib's own object.

A stdlib (non-green) ``ssl.SSLContext`` handed to green code still makes
stdlib, blocking SSL sockets; convert it with :func:`green_context`.

Example::

    from eventlib.green import socket, ssl

    context = ssl.create_default_context()
    with socket.create_connection((host, 443)) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            tls.sendall(b"HEAD / HTTP/1.0\\r\\n\\r\\n")
"""

import ssl as _stdlib_ssl
from ssl import *  # noqa: F403 - a drop-in for the stdlib module

from eventlib.green._ssl import (  # type: ignore[assignment] # the green versions win
    GreenSSLContext,
    GreenSSLSocket,
    create_default_context,
    create_unverified_context,
    get_server_certificate,
    green_context,
    wrap_socket,
)

SSLContext = GreenSSLContext  # type: ignore[misc]
SSLSocket = GreenSSLSocket  # type: ignore[misc]

# Private names the stdlib clients (http.client, urllib, smtplib, ftplib) call.
_create_default_https_context = create_default_context
_create_unverified_context = create_unverified_context
_create_stdlib_context = create_unverified_context

__all__ = [
    "GreenSSLContext",
    "GreenSSLSocket",
    "SSLContext",
    "SSLSocket",
    "create_default_context",
    "get_server_certificate",
    "green_context",
    "wrap_socket",
]
__all__ += [name for name in dir(_stdlib_ssl) if not name.startswith("_") and name not in __all__]
