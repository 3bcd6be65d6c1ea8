"""Exceptions of the Twisted bridge."""

from __future__ import annotations

from twisted.internet.error import ConnectionLost

__all__ = ["GreenTransportError", "LineTooLongError"]


class GreenTransportError(Exception):
    """Base class of the errors a green transport raises by itself.

    Errors of the connection (``ConnectionDone``, ``ConnectionLost``, TLS
    errors, ...) are Twisted's own, raised as Twisted reported them.
    """


class LineTooLongError(GreenTransportError, ConnectionLost):
    """The peer sent a line longer than the transport accepts; the connection was closed.

    Attributes:
        max_length: the longest line accepted (the protocol's ``MAX_LENGTH``).
        received: how many bytes of the unfinished line had arrived.
    """

    def __init__(self, max_length: int, received: int) -> None:
        super().__init__(
            f"the peer sent a line longer than {max_length} bytes ({received} bytes without a "
            "delimiter), so the connection was closed; raise the transport's max_length if such "
            "lines are legitimate"
        )
        self.max_length = max_length
        self.received = received

    def __str__(self) -> str:
        return str(self.args[0])
