"""Green transports: a connected Twisted transport used from green threads.

A Twisted protocol (:class:`Protocol`) runs in MAIN_LOOP and never blocks:
it feeds what arrives into its green transport, which procs read from and
write to with blocking-looking calls. Flow control goes both ways through
Twisted's producer/consumer API:

* writing: the green transport registers a streaming producer with the
  Twisted transport. Twisted pauses it when its write buffer grows past
  ``bufferSize`` (the high-water mark) and resumes it once the buffer is
  flushed; ``write()`` blocks in between, so a writer facing a slow reader
  holds at most the high-water mark plus one write in memory.
* reading: data that no proc has read yet is buffered up to
  ``read_high_water`` bytes; past that the Twisted transport stops reading
  from its socket until a proc catches up (the kernel's buffers then push
  back on the peer).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from greenlet import getcurrent
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IPushProducer,
    ISSLTransport,
)
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.internet.protocol import connectionDone
from twisted.internet.tcp import Client as TCPClient
from twisted.internet.tcp import Server as TCPServer
from zope.interface import implementer

from eventlib.hub import BlockingInMainLoopError, Waiter, check_count, get_hub
from eventlib.sync import Event
from eventlib.twistedutil._errors import GreenTransportError

if TYPE_CHECKING:
    from twisted.python.failure import Failure

__all__ = [
    "GreenTransport",
    "GreenTransportBase",
    "Protocol",
    "TransportStatistics",
    "UnbufferedTransport",
]

_DEFAULT_READ_HIGH_WATER = 64 * 1024

# Twisted transports whose writes may go straight to the socket (see _send_now); not
# their subclasses (UNIX sockets queue descriptors to pass along with the data).
_DIRECT_SEND_TYPES = (TCPClient, TCPServer)


@attrs.frozen
class TransportStatistics:
    """A snapshot of a green transport.

    Attributes:
        connected: the connection is up (made, and not lost yet).
        buffered: bytes (lines, for a line transport: their bytes) received and not read yet.
        reading_paused: the Twisted transport is told not to read from its socket.
        writing_paused: Twisted's write buffer is past its high-water mark.
        readers: green threads waiting to read.
        writers: green threads waiting for room to write.
    """

    connected: bool
    buffered: int
    reading_paused: bool
    writing_paused: bool
    readers: int
    writers: int


class _ProtocolGlue:
    """What every green protocol forwards to its green transport (its ``recepient``)."""

    transport: Any
    _recepient: GreenTransportBase

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's interface
        self._recepient._got_transport(self.transport)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self._recepient._connectionLost(reason)

    def readConnectionLost(self) -> None:  # noqa: N802 - IHalfCloseableProtocol
        self._recepient._read_connection_lost()

    def writeConnectionLost(self) -> None:  # noqa: N802 - IHalfCloseableProtocol
        """Our side finished writing (``loseWriteConnection``); reading goes on."""

    def handshakeCompleted(self) -> None:  # noqa: N802 - IHandshakeListener
        self._recepient._handshake_completed()


@implementer(IHalfCloseableProtocol, IHandshakeListener)
class Protocol(_ProtocolGlue, TwistedProtocol):
    """The Twisted protocol behind a green transport: forwards everything to ``recepient``."""

    def __init__(self, recepient: GreenTransportBase) -> None:
        self._recepient = recepient
        # The hot path: Twisted calls the transport's method directly.
        self.dataReceived = recepient._got_data  # type: ignore[method-assign]


@implementer(IPushProducer)
class _WriteProducer:
    """Registered with the Twisted transport, which pauses it while its write buffer is full."""

    __slots__ = ("_owner",)

    def __init__(self, owner: GreenTransportBase) -> None:
        self._owner = owner

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._owner._write_paused = True

    def resumeProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._owner._writing_resumed()

    def stopProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._owner._writing_stopped()


class GreenTransportBase:
    """A Twisted connection used from green threads: the part every green transport shares.

    Subclasses choose the Twisted protocol (``protocol_class``) and how data
    is read. Every attribute the class does not define is looked up on the
    Twisted transport, so ``getPeer()``, ``getHost()``, ``abortConnection()``,
    ``setTcpNoDelay()``... work directly; the raw transport is ``.transport``.

    Args:
        transportBufferSize: the Twisted transport's ``bufferSize``: the write
            high-water mark, and (for TCP) the most read from the socket at
            once (Twisted's default: 64 KiB).
        read_high_water: how many received bytes may wait for a reader before
            the transport stops reading from its socket (default 64 KiB).
        half_close: when the peer finishes sending (TCP FIN), keep our side
            open for writing until :meth:`loseConnection`. By default the
            connection is closed then (as Twisted does), after flushing
            whatever was written.
    """

    protocol_class: Any = Protocol
    transportBufferSize: int | None = None  # noqa: N815 - the classic name
    read_high_water: int = _DEFAULT_READ_HIGH_WATER
    half_close: bool = False
    transport: Any
    """The Twisted transport, once connected."""

    def __init__(
        self,
        transportBufferSize: int | None = None,  # noqa: N803 - the classic name
        *,
        read_high_water: int | None = None,
        half_close: bool | None = None,
    ) -> None:
        if transportBufferSize is not None:
            self.transportBufferSize = check_count(
                transportBufferSize, "transportBufferSize", minimum=1
            )
        if read_high_water is not None:
            self.read_high_water = check_count(  # type: ignore[assignment]
                read_high_water, "read_high_water", minimum=1
            )
        if half_close is not None:
            self.half_close = half_close
        self._hub = get_hub()
        self._items: deque[Any] = deque()
        self._buffered = 0
        self._read_error: BaseException | None = None
        self._read_error_raised = False
        self._lost: BaseException | None = None
        # Why this side closed its writing (data written after it would be dropped).
        self._write_closed: str | None = None
        self._readers: list[Waiter] = []
        self._writers: list[Waiter] = []
        self._write_paused = False
        self._producer: _WriteProducer | None = None
        self._user_pauses = 0
        self._reading_paused = False
        self._handshaking = False
        self._connection = Event()  # the transport, or why connecting failed
        self._disconnected_event = Event()  # the reason (an exception) as a value
        self._on_connect: Callable[[], Any] | None = None
        self._direct_send = False

    def build_protocol(self) -> Any:
        """A new Twisted protocol feeding this transport."""
        protocol = self.protocol_class(self)
        self._protocol = protocol
        return protocol

    # -- from the Twisted protocol (MAIN_LOOP) -----------------------------

    def _got_transport(self, transport: Any) -> None:
        self.transport = transport
        self._direct_send = type(transport) in _DIRECT_SEND_TYPES
        if self.transportBufferSize is not None:
            transport.bufferSize = self.transportBufferSize
        producer = self._producer = _WriteProducer(self)
        transport.registerProducer(producer, True)
        if ISSLTransport.providedBy(transport) and IHandshakeListener.providedBy(
            getattr(transport, "wrappedProtocol", None)
        ):
            self._handshaking = True  # connected once the TLS handshake succeeds
            return
        self._connection_made()

    def _handshake_completed(self) -> None:
        if self._handshaking:
            self._handshaking = False
            self._connection_made()

    def _connection_made(self) -> None:
        if not self._connection.ready():
            self._connection.send(self.transport)
        if self._on_connect is not None:
            on_connect, self._on_connect = self._on_connect, None
            on_connect()

    def _connection_failed(self, *throw_args: Any) -> None:
        if not self._connection.ready():
            self._connection.send_exception(*throw_args)

    def _got_data(self, data: Any) -> None:
        self._items.append(data)
        self._buffered += len(data)
        readers = self._readers
        if readers:
            while readers:
                readers.pop().switch()
        elif self._buffered > self.read_high_water and not self._reading_paused:
            self._set_reading(on=False)

    def _read_connection_lost(self) -> None:
        """The peer finished sending (half-close): end of the read side."""
        self._end_reading(ConnectionDone())
        if not self.half_close:
            self._close_transport(
                "closing the connection when the peer finished sending (half_close is off)"
            )

    def _end_reading(self, error: BaseException) -> None:
        if self._read_error is None:
            self._read_error = error
            self._wake(self._readers)

    def _connectionLost(self, reason: Failure) -> None:  # noqa: N802 - the classic name
        error = reason.value
        assert error is not None
        self._lost = error
        self._producer = None  # Twisted unregistered it
        self._write_paused = False
        self._end_reading(error)
        self._wake(self._writers)
        self._handshaking = False
        self._connection_failed(error)
        if not self._disconnected_event.ready():
            self._disconnected_event.send(error)

    def _writing_resumed(self) -> None:
        self._write_paused = False
        self._wake(self._writers)
        if self._producer is not None and getattr(self.transport, "disconnecting", False):
            # transport.loseConnection() was called directly: Twisted closes only
            # once no paused producer is registered.
            self._unregister_producer()

    def _writing_stopped(self) -> None:
        self._producer = None
        self._write_paused = False
        self._wake(self._writers)

    @staticmethod
    def _wake(waiters: list[Waiter]) -> None:
        while waiters:
            waiters.pop().switch()

    # -- flow control ------------------------------------------------------

    def _set_reading(self, *, on: bool) -> None:
        if self._lost is not None or self._read_error is not None:
            return  # nothing more will be read: leave the transport alone
        self._reading_paused = not on
        if on:
            self.transport.resumeProducing()
        else:
            self.transport.pauseProducing()

    def pauseProducing(self) -> None:  # noqa: N802 - the classic name
        """Stop reading from the connection until :meth:`resumeProducing` (calls nest)."""
        self._user_pauses += 1
        if not self._reading_paused and "transport" in self.__dict__:
            self._set_reading(on=False)

    def resumeProducing(self) -> None:  # noqa: N802 - the classic name
        """Undo one :meth:`pauseProducing`."""
        if self._user_pauses:
            self._user_pauses -= 1
        if (
            not self._user_pauses
            and self._reading_paused
            and (self._readers or self._buffered <= self.read_high_water)
        ):
            self._set_reading(on=True)

    def _taken(self, size: int) -> None:
        """``size`` bytes were read: maybe let the transport read again."""
        self._buffered -= size
        if self._reading_paused:
            self._resume_reading_if_drained()

    def _resume_reading_if_drained(self) -> None:
        if not self._user_pauses and self._buffered <= self.read_high_water // 2:
            self._set_reading(on=True)

    def _wait_readable(self, what: str) -> None:
        """Park until data arrives or the read side ends."""
        waiter = Waiter(self._hub)
        self._readers.append(waiter)
        if self._reading_paused and not self._user_pauses:
            self._set_reading(on=True)  # the reader wants more than the high-water mark
        try:
            waiter.get()
        except BaseException as error:
            if not waiter.ready:  # killed, timed out, or called from MAIN_LOOP
                self._readers.remove(waiter)
            if isinstance(error, BlockingInMainLoopError):
                raise BlockingInMainLoopError(
                    f"{type(self).__name__}.{what}() with no data received"
                ) from None
            raise

    def _end_of_stream(self) -> bytes:
        """What a read at the end of the stream returns: b'' after a clean close.

        An unclean close (reset, abort, TLS error) raises its error once; then b''.
        """
        error = self._read_error
        if error is None or isinstance(error, ConnectionDone) or self._read_error_raised:
            return b""
        self._read_error_raised = True
        raise error.with_traceback(None)

    # -- writing -----------------------------------------------------------

    def write(self, data: bytes, wait: bool = True) -> None:
        """Send ``data``; block while the transport's write buffer is full.

        On a TCP connection with nothing queued the data goes straight to the
        socket; whatever the socket does not take (and every write on other
        transports) goes to Twisted's buffer. If that buffer is then past its
        high-water mark (``transportBufferSize``), the call waits (``wait=True``)
        until the buffer has been flushed to the socket; so one writer never
        holds more than the high-water mark plus one write in memory.

        Raises:
            Exception: the connection's reason for closing (``ConnectionDone``,
                ``ConnectionLost``, ...) if it was lost before or while waiting.
            ConnectionDone: this side already closed its writing
                (``loseWriteConnection()``, ``loseConnection()``), which would drop the data.
            BlockingInMainLoopError: ``wait`` and the buffer is full, in MAIN_LOOP.
        """
        lost = self._lost
        if lost is not None:
            raise lost.with_traceback(None)
        if self._write_closed is not None:
            # Twisted would drop the data silently.
            raise ConnectionDone(
                f"cannot write: {self._write_closed} already closed the writing side"
            )
        try:
            transport = self.__dict__["transport"]
        except KeyError:
            transport = self._connected_transport()  # raises
        if wait and self._write_paused and getcurrent() is self._hub.greenlet:
            raise BlockingInMainLoopError("GreenTransport.write() on a full transport buffer")
        if self._direct_send and type(data) is bytes:
            _send_now(transport, data)
        else:
            transport.write(data)
        if wait and self._write_paused and getcurrent() is not self._hub.greenlet:
            self._wait_writable()

    def _connected_transport(self) -> Any:
        try:
            return self.__dict__["transport"]
        except KeyError:
            raise GreenTransportError(
                f"{type(self).__name__} is not connected yet: get one from GreenClientCreator "
                "or SpawnFactory"
            ) from None

    def _wait_writable(self) -> None:
        hub = self._hub
        while self._write_paused and self._lost is None:
            waiter = Waiter(hub)
            self._writers.append(waiter)
            try:
                waiter.get()
            finally:
                if not waiter.ready:
                    self._writers.remove(waiter)
        lost = self._lost
        if lost is not None:
            raise lost.with_traceback(None)

    # -- closing -----------------------------------------------------------

    def _unregister_producer(self) -> None:
        if self._producer is not None:
            self._producer = None
            self.transport.unregisterProducer()
        if self._write_paused:
            self._write_paused = False
            self._wake(self._writers)

    def _close_transport(self, why: str = "closing the connection") -> None:
        self._write_closed = self._write_closed or why
        self._unregister_producer()
        self.transport.loseConnection()

    def loseConnection(self, wait: bool = True) -> None:  # noqa: N802 - the classic name
        """Close the connection once what was written is sent; by default wait until closed.

        Raises:
            BlockingInMainLoopError: ``wait`` and still open, in MAIN_LOOP.
        """
        if "transport" not in self.__dict__:
            return
        if self._lost is None:
            self._close_transport("loseConnection()")
            if wait:
                self._disconnected_event.wait()

    def loseWriteConnection(self) -> None:  # noqa: N802 - Twisted's name
        """Half-close: tell the peer we finished sending (TCP FIN); reading goes on."""
        transport = self._connected_transport()
        self._write_closed = self._write_closed or "loseWriteConnection()"
        self._unregister_producer()
        transport.loseWriteConnection()

    def wait_closed(self) -> BaseException:
        """Wait until the connection is lost (either side closed it); return the reason.

        The reason is Twisted's: ``ConnectionDone`` for a clean close,
        ``ConnectionLost`` (or a subclass) otherwise. It is returned, not raised.
        """
        return self._disconnected_event.wait()  # type: ignore[no-any-return]

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.loseConnection(wait=False)

    # -- introspection -----------------------------------------------------

    def statistics(self) -> TransportStatistics:
        """A snapshot of the buffers and the flow control."""
        return TransportStatistics(
            connected="transport" in self.__dict__ and self._lost is None,
            buffered=self._buffered,
            reading_paused=self._reading_paused,
            writing_paused=self._write_paused,
            readers=len(self._readers),
            writers=len(self._writers),
        )

    def _init_transport(self) -> None:
        """Wait until connected (TLS: until the handshake is done), or raise why not."""
        self._connection.wait()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "transport":
            raise AttributeError(name)
        try:
            transport = self.__dict__["transport"]
        except KeyError:
            raise AttributeError(name) from None
        try:
            return getattr(transport, name)
        except AttributeError:
            raise AttributeError(
                f"Neither {type(self).__name__!r} nor {type(transport).__name__!r} "
                f"has attribute {name!r}"
            ) from None

    def __repr__(self) -> str:
        transport = self.__dict__.get("transport")
        if transport is None:
            state = "connecting"
        elif self._lost is not None:
            state = f"closed ({type(self._lost).__name__})"
        else:
            state = f"connected to {transport.getPeer()}"
        return f"<{type(self).__name__} {state}>"


def _send_now(transport: Any, data: bytes) -> None:
    """Write ``data`` on a Twisted TCP connection, sending at once what the socket takes.

    Twisted's ``write`` only queues: the bytes leave on a later reactor turn,
    after registering for writability, a poll and ``doWrite``. When nothing
    is queued yet, sending now keeps the order and saves all of that; what the
    socket does not take (or an error) goes through ``write`` as usual, so
    Twisted keeps doing the buffering, the flow control and the error handling.
    """
    if (
        transport._tempDataLen
        or transport.offset != len(transport.dataBuffer)
        or not transport.connected
        or transport.disconnecting
        or transport._writeDisconnecting
        or transport._writeDisconnected
    ):
        transport.write(data)
        return
    try:
        sent = transport.socket.send(data)
    except OSError:  # full (EAGAIN) or broken: Twisted's doWrite sees and handles it
        sent = 0
    if sent < len(data):
        transport.write(data[sent:])


class UnbufferedTransport(GreenTransportBase):
    """A green transport that returns data in the chunks Twisted received it in.

    Example::

        conn = GreenClientCreator(reactor, UnbufferedTransport).connectTCP("127.0.0.1", port)
        conn.write(b"hello")
        for chunk in conn:   # until the peer closes
            ...
    """

    def recv(self) -> bytes:
        """Receive one chunk, as Twisted delivered it; wait for one if none is buffered.

        Returns b'' once the peer closed cleanly (data received before the
        close is returned first). An unclean close (reset, abort) raises its
        error once; later calls return b''.
        """
        items = self._items
        while not items:
            if self._read_error is not None:
                return self._end_of_stream()
            self._wait_readable("recv")
        data: bytes = items.popleft()
        self._buffered -= len(data)
        if self._reading_paused:
            self._resume_reading_if_drained()
        return data

    def read(self) -> bytes:
        """Read until the peer closes; an unclean close raises (the data read so far is lost)."""
        chunks = []
        while chunk := self.recv():
            chunks.append(chunk)
        return b"".join(chunks)

    def __iter__(self) -> UnbufferedTransport:
        return self

    def __next__(self) -> bytes:
        data = self.recv()
        if not data:
            raise StopIteration
        return data


class GreenTransport(GreenTransportBase):
    """A green transport with a read buffer: read exactly as much as asked.

    Example::

        conn = GreenClientCreator(reactor).connectTCP("127.0.0.1", port)
        conn.write(b"GET / HTTP/1.0\\r\\n\\r\\n")
        status = conn.read(12)   # exactly 12 bytes, unless the peer closes first
        rest = conn.read()       # everything until the peer closes
    """

    def __init__(
        self,
        transportBufferSize: int | None = None,  # noqa: N803 - the classic name
        *,
        read_high_water: int | None = None,
        half_close: bool | None = None,
    ) -> None:
        super().__init__(
            transportBufferSize, read_high_water=read_high_water, half_close=half_close
        )
        # How much of the first buffered chunk was read already: a read(n) copies
        # the n bytes it returns, never the rest of the chunk.
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes, or everything until the peer closes if ``size`` < 0.

        Returns fewer bytes only at the end of the stream, and b'' after it.
        An unclean close (reset, abort) raises its error at the point of the
        stream where it happened, once; data received before it is kept for
        the next calls, never dropped.
        """
        while (size < 0 or self._buffered < size) and self._read_error is None:
            self._wait_readable("read")
        if self._read_error is not None and (size < 0 or self._buffered < size):
            if not self._buffered:
                return self._end_of_stream()
            if not isinstance(self._read_error, ConnectionDone) and not self._read_error_raised:
                self._end_of_stream()  # raises; the data stays buffered
        return self._take(size)

    def recv(self, buflen: int | None = None) -> bytes:
        """Receive what is buffered (at most ``buflen`` bytes); wait if nothing is.

        Returns b'' once the peer closed cleanly and everything was read. An
        unclean close raises its error once, after the data received before it.
        """
        items = self._items
        while not items:
            if self._read_error is not None:
                return self._end_of_stream()
            self._wait_readable("recv")
        if buflen is None and len(items) == 1 and not self._offset:  # the common case, cheap
            data: bytes = items.popleft()
            self._buffered -= len(data)
            if self._reading_paused:
                self._resume_reading_if_drained()
            return data
        return self._take(buflen)

    def _take(self, size: int | None) -> bytes:
        """Remove and return the first ``size`` buffered bytes (all of them if None or < 0)."""
        items = self._items
        if not items or size == 0:
            return b""
        offset = self._offset
        if size is None or size < 0 or size >= self._buffered:
            size = self._buffered
        first = items[0]
        end = offset + size
        if end <= len(first):  # within the first chunk: one copy of what is returned
            data: bytes = first[offset:end]  # the chunk itself when it is read whole
            if end == len(first):
                items.popleft()
                end = 0
            self._offset = end
        else:
            items.popleft()
            parts: list[Any] = [memoryview(first)[offset:] if offset else first]
            needed = end - len(first)
            while needed:
                chunk = items[0]
                if len(chunk) <= needed:
                    parts.append(items.popleft())
                    needed -= len(chunk)
                else:
                    parts.append(memoryview(chunk)[:needed])
                    self._offset = needed
                    break
            else:
                self._offset = 0
            data = b"".join(parts)
        self._taken(size)
        return data

    def __iter__(self) -> GreenTransport:
        return self

    def __next__(self) -> bytes:
        data = self.recv()
        if not data:
            raise StopIteration
        return data
