"""Listening sockets the parent owns: one per worker, all on one address (SO_REUSEPORT).

The kernel hashes each client (its address and port) to one of the sockets
bound with SO_REUSEPORT. The parent keeps every socket open for the pool's
whole life, so when worker *i* dies its socket stays in the group: the hash
of each client does not change, and what arrives meanwhile waits in socket
*i*'s queue for the replacement, which is handed the same socket.
"""

from __future__ import annotations

import socket

__all__ = ["SharedSockets"]

_DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _open(host: str, port: int, kind: socket.SocketKind, receive_buffer: int) -> socket.socket:
    family = _family(host)
    sock = socket.socket(family, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if receive_buffer:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            except OSError:
                pass  # the system's limit applies
        sock.bind((host, port))
        sock.setblocking(False)  # Twisted's adopt*Port requires it (the flag is shared)
    except BaseException:
        sock.close()
        raise
    return sock


class SharedSockets:
    """``count`` UDP (and TCP) sockets bound to one address with SO_REUSEPORT.

    Args:
        count: one socket of each kind per worker.
        host: the address to bind (``127.0.0.1``, ``::1``, ``0.0.0.0``, ...).
        udp_port: UDP port (0: a free one, the same for all); None: no UDP.
        tcp_port: TCP port (0: a free one); None: no TCP.
        backlog: each TCP socket's listen backlog.
        receive_buffer: SO_RCVBUF asked for each socket (the kernel caps it), so
            datagrams that arrive while a worker restarts have room to wait.

    Raises:
        ValueError: ``count`` is below 1, or neither port is given.
        OSError: the port is taken by a socket without SO_REUSEPORT, or the
            system has no SO_REUSEPORT (then run one worker without a pool).

    Example::

        shared = SharedSockets(2, "127.0.0.1", udp_port=0)
        print(shared.udp_port)            # one port, two sockets
        shared.fds(0)                     # {"udp": 7}: what worker 0 is handed
    """

    def __init__(
        self,
        count: int,
        host: str = "127.0.0.1",
        *,
        udp_port: int | None = 0,
        tcp_port: int | None = None,
        backlog: int = 1024,
        receive_buffer: int = _DEFAULT_RECEIVE_BUFFER,
    ) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1 (one socket per worker), not {count!r}")
        if udp_port is None and tcp_port is None:
            raise ValueError("give udp_port, tcp_port or both (0 picks a free port)")
        if not hasattr(socket, "SO_REUSEPORT"):
            raise OSError("this system has no SO_REUSEPORT: worker pools need it to share a port")
        self.host = host
        self.family = _family(host)
        self.udp: list[socket.socket] = []
        self.tcp: list[socket.socket] = []
        try:
            if udp_port is not None:
                self.udp = self._group(count, udp_port, socket.SOCK_DGRAM, receive_buffer)
            if tcp_port is not None:
                self.tcp = self._group(count, tcp_port, socket.SOCK_STREAM, receive_buffer)
                for sock in self.tcp:
                    sock.listen(backlog)
        except BaseException:
            self.close()
            raise

    def _group(
        self, count: int, port: int, kind: socket.SocketKind, receive_buffer: int
    ) -> list[socket.socket]:
        group: list[socket.socket] = []
        try:
            for _ in range(count):
                sock = _open(self.host, port, kind, receive_buffer)
                group.append(sock)
                port = sock.getsockname()[1]  # the rest join the first one's port
        except BaseException:
            for sock in group:
                sock.close()
            raise
        return group

    @property
    def count(self) -> int:
        return max(len(self.udp), len(self.tcp))

    @property
    def udp_port(self) -> int | None:
        return int(self.udp[0].getsockname()[1]) if self.udp else None

    @property
    def tcp_port(self) -> int | None:
        return int(self.tcp[0].getsockname()[1]) if self.tcp else None

    def fds(self, index: int) -> dict[str, int]:
        """The descriptors handed to worker ``index``: ``{"udp": fd, "tcp": fd}`` (those open)."""
        if not 0 <= index < self.count:
            raise IndexError(f"no socket for worker {index}: there are {self.count}")
        handed = {}
        if self.udp:
            handed["udp"] = self.udp[index].fileno()
        if self.tcp:
            handed["tcp"] = self.tcp[index].fileno()
        return handed

    def close(self) -> None:
        """Close every socket (the pool does it once its workers are gone)."""
        for sock in [*self.udp, *self.tcp]:
            sock.close()

    def __repr__(self) -> str:
        return f"<SharedSockets {self.host} udp={self.udp_port} tcp={self.tcp_port} x{self.count}>"
