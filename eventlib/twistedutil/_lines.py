"""A green transport that reads and writes lines (over Twisted's LineOnlyReceiver)."""

from __future__ import annotations

from types import EllipsisType
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol, IHandshakeListener
from twisted.protocols import basic
from zope.interface import implementer

from eventlib.twistedutil._errors import LineTooLongError
from eventlib.twistedutil._transport import _DELEGATED, GreenTransportBase, _ProtocolGlue

__all__ = ["LineOnlyReceiver", "LineOnlyReceiverTransport"]


@implementer(IHalfCloseableProtocol, IHandshakeListener)
class LineOnlyReceiver(_ProtocolGlue, basic.LineOnlyReceiver):
    """Twisted's LineOnlyReceiver feeding each line to a :class:`LineOnlyReceiverTransport`."""

    def __init__(self, recepient: LineOnlyReceiverTransport) -> None:
        self._recepient = recepient
        self.lineReceived = recepient._stream.got_data  # type: ignore[method-assign]

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802 - Twisted's interface
        recepient = self._recepient
        assert isinstance(recepient, LineOnlyReceiverTransport)
        recepient._line_too_long(self.MAX_LENGTH, len(line))


class LineOnlyReceiverTransport(GreenTransportBase):
    """A connection that reads and writes lines (``\\r\\n``-delimited by default).

    Lines are bytes without their delimiter. A line longer than
    ``max_length`` (Twisted's ``MAX_LENGTH``, 16384) closes the connection:
    the lines before it are still read, then reading raises
    :class:`LineTooLongError`.

    Example::

        conn = GreenClientCreator(reactor, LineOnlyReceiverTransport).connectTCP(host, port)
        conn.sendline(b"HELLO")
        for line in conn:          # until the peer closes cleanly
            print(line)

    Args:
        transportBufferSize: as for :class:`GreenTransportBase`.
        max_length: the longest line accepted (bytes, delimiter excluded).
        delimiter: the line delimiter (default ``b"\\r\\n"``).
        read_high_water, half_close, notsent_lowat: as for :class:`GreenTransportBase`.
    """

    protocol_class = LineOnlyReceiver

    def __init__(
        self,
        transportBufferSize: int | None = None,  # noqa: N803 - the classic name
        *,
        max_length: int | None = None,
        delimiter: bytes | None = None,
        read_high_water: int | None = None,
        half_close: bool | None = None,
        notsent_lowat: int | EllipsisType | None = ...,
    ) -> None:
        super().__init__(
            transportBufferSize,
            read_high_water=read_high_water,
            half_close=half_close,
            notsent_lowat=notsent_lowat,
        )
        self._max_length = max_length
        self._delimiter = delimiter

    def build_protocol(self) -> Any:
        protocol = super().build_protocol()
        if self._max_length is not None:
            protocol.MAX_LENGTH = self._max_length
        if self._delimiter is not None:
            protocol.delimiter = self._delimiter
        return protocol

    @property
    def delimiter(self) -> bytes:
        """The line delimiter."""
        return self._delimiter if self._delimiter is not None else LineOnlyReceiver.delimiter

    def _line_too_long(self, max_length: int, received: int) -> None:
        self._stream.end_reading(LineTooLongError(max_length, received))
        self._stream.close_transport("closing the connection")

    def readline(self) -> bytes:
        """Wait for the next line and return it, without its delimiter.

        Raises:
            ConnectionDone: the peer closed cleanly and every line was read
                (raised again by every later call).
            LineTooLongError: the peer sent a line that is too long.
            Exception: why the connection was lost otherwise (``ConnectionLost``, ...).
        """
        return self._stream.readline()

    def sendline(self, line: bytes, wait: bool = False) -> None:
        """Send ``line`` and the delimiter; with ``wait``, block while the buffer is full."""
        self.write(line + self.delimiter, wait)

    def __iter__(self) -> LineOnlyReceiverTransport:
        return self

    def __next__(self) -> bytes:
        """The next line; iteration stops when the peer closes cleanly, other errors raise."""
        try:
            return self.readline()
        except ConnectionDone:
            raise StopIteration from None


_DELEGATED[LineOnlyReceiverTransport.readline] = "readline"
