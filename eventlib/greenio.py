"""The classic ``eventlib.greenio`` names: ``GreenSocket`` and its helpers.

``GreenSocket`` is :class:`eventlib.green.socket.GreenSocket` that also
accepts, as the original did, an existing stdlib socket to wrap::

    from eventlib.greenio import GreenSocket
    from eventlib.util import tcp_socket

    sock = GreenSocket(tcp_socket())
    sock.settimeout(5)
    sock.connect(("127.0.0.1", 8080))

Python 3 difference: the wrapped socket is taken over (``detach()``), so the
stdlib object given is closed as far as it is concerned and only the green
socket uses the descriptor.
"""

from __future__ import annotations

import socket as _stdlib_socket
from typing import Any

from eventlib.green.socket import GreenSocket as _GreenSocket
from eventlib.green.socket import fromfd, socketpair

__all__ = ["GreenSocket", "fromfd", "socketpair"]


class GreenSocket(_GreenSocket):
    """A green socket: ``GreenSocket(family, type, proto)``, or ``GreenSocket(stdlib_socket)``.

    Raises:
        TypeError: a socket to wrap was given together with other arguments.
    """

    __slots__ = ()

    def __init__(self, family_or_realsock: Any = _stdlib_socket.AF_INET, *args: Any) -> None:
        if isinstance(family_or_realsock, _stdlib_socket.socket):
            if args:
                raise TypeError(
                    "GreenSocket(sock) wraps an existing socket and takes no other argument; "
                    f"got {args!r} as well"
                )
            real = family_or_realsock
            timeout = real.gettimeout()
            family, type_, proto = real.family, real.type, real.proto
            super().__init__(family, type_, proto, real.detach())
            self.settimeout(timeout)
            return
        super().__init__(family_or_realsock, *args)
