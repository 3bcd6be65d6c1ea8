"""The classic ``eventlib.util`` socket helpers: ``tcp_socket``, ``set_reuse_addr``...

Example (as written for the original)::

    from eventlib.greenio import GreenSocket
    from eventlib.util import set_reuse_addr, tcp_socket

    listener = tcp_socket()
    set_reuse_addr(listener)
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    server = GreenSocket(listener)     # accept() now parks only the calling proc
"""

from __future__ import annotations

import socket as _stdlib_socket
from typing import Any

__all__ = ["set_reuse_addr", "socket_bind_and_listen", "tcp_socket"]


def tcp_socket() -> _stdlib_socket.socket:
    """A new stdlib (not green) IPv4 TCP socket, to configure and then wrap in ``GreenSocket``."""
    return _stdlib_socket.socket(_stdlib_socket.AF_INET, _stdlib_socket.SOCK_STREAM)


def set_reuse_addr(sock: Any) -> None:
    """Turn on SO_REUSEADDR on ``sock``; a socket that refuses it is left as it is."""
    try:
        current = sock.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_REUSEADDR)
        sock.setsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_REUSEADDR, current | 1)
    except OSError:
        pass


def socket_bind_and_listen(sock: Any, addr: Any = ("", 0), backlog: int = 50) -> Any:
    """``set_reuse_addr``, ``bind(addr)`` and ``listen(backlog)`` on ``sock``; returns ``sock``."""
    set_reuse_addr(sock)
    sock.bind(addr)
    sock.listen(backlog)
    return sock
