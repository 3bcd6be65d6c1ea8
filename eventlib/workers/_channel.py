"""The control channel between the parent and one worker: JSON lines over a socketpair.

Either side sends without ever blocking: a message that does not fit in the
socket buffer means the peer stopped reading, which the heartbeat treats as
silence. One green thread per side reads. The worker's end closing (EOF) is
how the parent learns the process is gone, and the parent's end closing is
how a worker learns its parent is gone.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from eventlib.green import os as green_os
from eventlib.sync import Timeout

__all__ = ["ENV_VAR", "Channel"]

ENV_VAR = "EVENTLIB_WORKER"
"""The environment variable that tells a process it is a worker, and what it was handed."""

_READ_SIZE = 65536


class _TimedOut(Exception):
    """This module's own timeout marker (never confused with a caller's Timeout)."""


class Channel:
    """One end of a control channel; owns its socket."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.broken = False
        self._buffer = b""

    @classmethod
    def from_fd(cls, fd: int) -> Channel:
        return cls(socket.socket(fileno=fd))

    def send(self, message: dict[str, Any]) -> bool:
        """Send one message at once; False if the peer is gone or not reading."""
        if self.broken:
            return False
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        try:
            sent = self.sock.send(data)
        except OSError:  # BlockingIOError (the peer stopped reading), EPIPE, closed
            sent = -1
        if sent != len(data):
            self.broken = True  # a cut message would corrupt the stream: stop using it
            return False
        return True

    def receive(self, timeout: float | None) -> list[dict[str, Any]] | None:
        """The messages that arrive within ``timeout`` ([] if none); None at end of stream."""
        if self.sock.fileno() < 0:
            return None
        expired = _TimedOut()
        try:
            with Timeout(timeout, expired):
                data = green_os.read(self.sock.fileno(), _READ_SIZE)
        except _TimedOut as exc:
            if exc is not expired:
                raise
            return []
        except OSError:
            return None  # reset or closed under us: the same as the end of the stream
        if not data:
            return None
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        messages = []
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours (a stray write to the descriptor): ignore it
            if isinstance(message, dict):
                messages.append(message)
        return messages

    def close(self) -> None:
        self.broken = True
        self.sock.close()
