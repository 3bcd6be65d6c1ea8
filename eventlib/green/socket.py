"""Green ``socket``: a drop-in for the stdlib module whose blocking calls park the green thread.

``socket`` is :class:`GreenSocket`, a subclass of the stdlib class: TCP and
UDP, IPv4 and IPv6, timeouts (``socket.timeout``, the builtin TimeoutError,
like the stdlib), ``makefile``, context manager. ``getaddrinfo``,
``gethostbyname``, ``create_connection`` and the other lookups never block the
reactor: names are resolved in a small pool of worker threads running the
stdlib's own functions (so the answers and errors are the stdlib's), numeric
addresses inline. A thread pool rather than Twisted's DNS client because
``twisted.names`` knows nothing of ``/etc/hosts``, ``nsswitch.conf`` or
getaddrinfo's flags; and not the reactor's own pool because its threads keep a
program that never stops the reactor from exiting.

Every other name is the stdlib's own object.

Example::

    from eventlib.green import socket

    sock = socket.create_connection(("localhost", 8080), timeout=5)
"""

import socket as _stdlib_socket
from socket import *  # noqa: F403 - a drop-in for the stdlib module
from socket import _GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]  # used by stdlib clients

from eventlib.green._resolver import (
    getaddrinfo,
    getfqdn,
    gethostbyaddr,
    gethostbyname,
    gethostbyname_ex,
    getnameinfo,
)
from eventlib.green._socket import (  # type: ignore[assignment] # green versions win
    GreenSocket,
    create_connection,
    create_server,
    fromfd,
    socketpair,
)

socket = GreenSocket  # type: ignore[misc]

__all__ = [
    "GreenSocket",
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
]
__all__ += [name for name in _stdlib_socket.__all__ if name not in __all__]

_GLOBAL_DEFAULT_TIMEOUT = _GLOBAL_DEFAULT_TIMEOUT  # noqa: PLW0127 - re-exported for stdlib clients
