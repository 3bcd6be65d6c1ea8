"""Green transports: a connected Twisted transport used from green threads.

A Twisted protocol (:class:`Protocol`) runs in MAIN_LOOP and never blocks:
it feeds what arrives into its green transport, which procs read from and
write to with blocking-looking calls. Flow control goes both ways through
Twisted's producer/consumer API:

* writing: the green transport registers a streaming producer with the
  Twisted transport. Twisted pauses it when its write buffer grows past
  ``bufferSize`` (the high-water mark) and resumes it once the buffer is
  flushed; ``write()`` blocks in between, so a writer facing a slow reader
  holds at most the high-water mark plus one write in memory. On TCP the
  kernel's own buffer of data not sent yet is bounded too
  (``notsent_lowat``), instead of growing to megabytes.
* reading: data that no proc has read yet is buffered up to
  ``read_high_water`` bytes; past that the Twisted transport stops reading
  from its socket until a proc catches up (the kernel's buffers then push
  back on the peer).
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Callable
from types import EllipsisType
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

# At most this much written and not sent yet waits in the kernel (TCP_NOTSENT_LOWAT): see
# GreenTransportBase. None on platforms without the option.
_DEFAULT_NOTSENT_LOWAT = 128 * 1024
_TCP_NOTSENT_LOWAT: int | None = getattr(socket, "TCP_NOTSENT_LOWAT", None)
_MAX_SOCKET_OPTION = 2**31 - 1

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

    # The hub may read for this protocol outside Twisted's logging context (see
    # eventlib.hub.QUIET_READS): dataReceived only buffers and queues wake-ups.
    eventlib_quiet_reads = True

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
        # The hot path: Twisted calls the stream's method directly.
        self.dataReceived = recepient._stream.got_data  # type: ignore[method-assign]


@implementer(IPushProducer)
class _WriteProducer:
    """Registered with the Twisted transport, which pauses it while its write buffer is full."""

    __slots__ = ("_stream",)

    def __init__(self, stream: _Stream) -> None:
        self._stream = stream

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._stream.write_paused = True

    def resumeProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._stream.writing_resumed()

    def stopProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self._stream.writing_stopped()


class _Stream:
    """The buffers, waiters and flow control of one green transport, and its hot paths.

    Kept apart from the transport because the transport's ``__getattr__`` (the
    pass-through to the Twisted transport) puts every attribute access on its
    instances on CPython's slow path; here they stay specialised. The Twisted
    protocol feeds :meth:`got_data` directly, and the transport binds
    ``read``/``recv``/``readline``/``write`` to these methods at construction.
    """

    __slots__ = (
        "buffered",
        "direct_send",
        "hub",
        "items",
        "lost",
        "name",
        "offset",
        "producer",
        "read_error",
        "read_error_raised",
        "read_high_water",
        "readers",
        "reading_paused",
        "transport",
        "user_pauses",
        "write_closed",
        "write_paused",
        "writers",
    )

    def __init__(self, name: str, read_high_water: int) -> None:
        self.name = name  # the transport's class name, for error messages
        self.read_high_water = read_high_water
        self.hub = get_hub()
        self.transport: Any = None
        self.direct_send = False
        self.items: deque[Any] = deque()
        self.buffered = 0
        # How much of the first buffered chunk was read already: a read(n) copies
        # the n bytes it returns, never the rest of the chunk.
        self.offset = 0
        self.read_error: BaseException | None = None
        self.read_error_raised = False
        self.lost: BaseException | None = None
        # Why this side closed its writing (data written after it would be dropped).
        self.write_closed: str | None = None
        self.readers: list[Waiter] = []
        self.writers: list[Waiter] = []
        self.write_paused = False
        self.producer: _WriteProducer | None = None
        self.user_pauses = 0
        self.reading_paused = False

    # -- from the Twisted protocol (MAIN_LOOP) -----------------------------

    def got_data(self, data: Any) -> None:
        self.items.append(data)
        self.buffered += len(data)
        readers = self.readers
        if readers:
            while readers:
                readers.pop().switch()
        elif self.buffered > self.read_high_water and not self.reading_paused:
            self.set_reading(on=False)

    def end_reading(self, error: BaseException) -> None:
        if self.read_error is None:
            self.read_error = error
            _wake(self.readers)

    def connection_lost(self, error: BaseException) -> None:
        self.lost = error
        self.producer = None  # Twisted unregistered it
        self.write_paused = False
        self.end_reading(error)
        _wake(self.writers)

    def writing_resumed(self) -> None:
        self.write_paused = False
        _wake(self.writers)
        if self.producer is not None and getattr(self.transport, "disconnecting", False):
            # transport.loseConnection() was called directly: Twisted closes only
            # once no paused producer is registered.
            self.unregister_producer()

    def writing_stopped(self) -> None:
        self.producer = None
        self.write_paused = False
        _wake(self.writers)

    # -- flow control ------------------------------------------------------

    def set_reading(self, *, on: bool) -> None:
        if self.lost is not None or self.read_error is not None:
            return  # nothing more will be read: leave the transport alone
        self.reading_paused = not on
        if on:
            self.transport.resumeProducing()
        else:
            self.transport.pauseProducing()

    def taken(self, size: int) -> None:
        """``size`` bytes were read: maybe let the transport read again."""
        self.buffered -= size
        if self.reading_paused:
            self.resume_reading_if_drained()

    def resume_reading_if_drained(self) -> None:
        if not self.user_pauses and self.buffered <= self.read_high_water // 2:
            self.set_reading(on=True)

    def wait_readable(self, what: str) -> None:
        """Park until data arrives or the read side ends."""
        waiter = Waiter(self.hub)
        self.readers.append(waiter)
        if self.reading_paused and not self.user_pauses:
            self.set_reading(on=True)  # the reader wants more than the high-water mark
        try:
            waiter.get()
        except BaseException as error:
            if not waiter.ready:  # killed, timed out, or called from MAIN_LOOP
                self.readers.remove(waiter)
            if isinstance(error, BlockingInMainLoopError):
                raise BlockingInMainLoopError(
                    f"{self.name}.{what}() with no data received"
                ) from None
            raise

    def end_of_stream(self) -> bytes:
        """What a read at the end of the stream returns: b'' after a clean close.

        An unclean close (reset, abort, TLS error) raises its error once; then b''.
        """
        error = self.read_error
        if error is None or isinstance(error, ConnectionDone) or self.read_error_raised:
            return b""
        self.read_error_raised = True
        raise error.with_traceback(None)

    # -- reading -----------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        """See GreenTransport.read."""
        while (size < 0 or self.buffered < size) and self.read_error is None:
            self.wait_readable("read")
        if self.read_error is not None and (size < 0 or self.buffered < size):
            if not self.buffered:
                return self.end_of_stream()
            if not isinstance(self.read_error, ConnectionDone) and not self.read_error_raised:
                self.end_of_stream()  # raises; the data stays buffered
        return self.take(size)

    def recv(self, buflen: int | None = None) -> bytes:
        """See GreenTransport.recv."""
        items = self.items
        while not items:
            if self.read_error is not None:
                return self.end_of_stream()
            self.wait_readable("recv")
        if buflen is None and len(items) == 1 and not self.offset:  # the common case, cheap
            data: bytes = items.popleft()
            self.buffered -= len(data)
            if self.reading_paused:
                self.resume_reading_if_drained()
            return data
        return self.take(buflen)

    def recv_chunk(self) -> bytes:
        """See UnbufferedTransport.recv."""
        items = self.items
        while not items:
            if self.read_error is not None:
                return self.end_of_stream()
            self.wait_readable("recv")
        data: bytes = items.popleft()
        self.buffered -= len(data)
        if self.reading_paused:
            self.resume_reading_if_drained()
        return data

    def readline(self) -> bytes:
        """See LineOnlyReceiverTransport.readline."""
        items = self.items
        while not items:
            error = self.read_error
            if error is not None:
                raise error.with_traceback(None)
            self.wait_readable("readline")
        line: bytes = items.popleft()
        self.taken(len(line))
        return line

    def take(self, size: int | None) -> bytes:
        """Remove and return the first ``size`` buffered bytes (all of them if None or < 0)."""
        items = self.items
        if not items or size == 0:
            return b""
        offset = self.offset
        if size is None or size < 0 or size >= self.buffered:
            size = self.buffered
        first = items[0]
        end = offset + size
        if end <= len(first):  # within the first chunk: one copy of what is returned
            data: bytes = first[offset:end]  # the chunk itself when it is read whole
            if end == len(first):
                items.popleft()
                end = 0
            self.offset = end
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
                    self.offset = needed
                    break
            else:
                self.offset = 0
            data = b"".join(parts)
        self.taken(size)
        return data

    # -- writing -----------------------------------------------------------

    def write(self, data: bytes, wait: bool = True) -> None:
        """See GreenTransportBase.write."""
        lost = self.lost
        if lost is not None:
            raise lost.with_traceback(None)
        if self.write_closed is not None:
            # Twisted would drop the data silently.
            raise ConnectionDone(
                f"cannot write: {self.write_closed} already closed the writing side"
            )
        transport = self.transport
        if transport is None:
            transport = self.connected_transport()  # raises
        if wait and self.write_paused and getcurrent() is self.hub.greenlet:
            raise BlockingInMainLoopError("GreenTransport.write() on a full transport buffer")
        if self.direct_send and type(data) is bytes:
            _send_now(transport, data)
        else:
            transport.write(data)
        if wait and self.write_paused and getcurrent() is not self.hub.greenlet:
            self.wait_writable()

    def connected_transport(self) -> Any:
        if self.transport is None:
            raise GreenTransportError(
                f"{self.name} is not connected yet: get one from GreenClientCreator or SpawnFactory"
            )
        return self.transport

    def wait_writable(self) -> None:
        hub = self.hub
        while self.write_paused and self.lost is None:
            waiter = Waiter(hub)
            self.writers.append(waiter)
            try:
                waiter.get()
            finally:
                if not waiter.ready:
                    self.writers.remove(waiter)
        lost = self.lost
        if lost is not None:
            raise lost.with_traceback(None)

    # -- closing -----------------------------------------------------------

    def unregister_producer(self) -> None:
        if self.producer is not None:
            self.producer = None
            self.transport.unregisterProducer()
        if self.write_paused:
            self.write_paused = False
            _wake(self.writers)

    def close_transport(self, why: str) -> None:
        self.write_closed = self.write_closed or why
        self.unregister_producer()
        self.transport.loseConnection()


def _wake(waiters: list[Waiter]) -> None:
    while waiters:
        waiters.pop().switch()


class _ReadHighWater:
    """``read_high_water``: the connection's live value; on the class, its default.

    Assigning it on a transport takes effect at the next chunk received or
    read. A subclass may still set a plain number as a class attribute:
    ``GreenTransportBase.__init_subclass__`` turns it into this descriptor.
    """

    __slots__ = ("default",)

    def __init__(self, default: int) -> None:
        self.default = default

    def __get__(self, transport: GreenTransportBase | None, owner: Any = None) -> int:
        return self.default if transport is None else transport._stream.read_high_water

    def __set__(self, transport: GreenTransportBase, value: int) -> None:
        transport._stream.read_high_water = check_count(value, "read_high_water", minimum=1)


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
        notsent_lowat: on TCP, TLS over TCP included, how many written bytes
            the kernel may hold before they are sent (the socket's
            ``TCP_NOTSENT_LOWAT``, where the platform has it; default
            128 KiB); past that, writes wait in
            the transport, under its flow control. Without a limit (None)
            the kernel takes megabytes from a fast writer, and streaming
            through a deep socket buffer costs the kernel about a third more
            CPU per byte (measured on Linux loopback). Bytes sent but not
            acknowledged yet are not counted: the network stays busy.
    """

    protocol_class: Any = Protocol
    transportBufferSize: int | None = None  # noqa: N815 - the classic name
    read_high_water = _ReadHighWater(_DEFAULT_READ_HIGH_WATER)
    half_close: bool = False
    notsent_lowat: int | None = _DEFAULT_NOTSENT_LOWAT
    transport: Any
    """The Twisted transport, once connected."""

    def __init__(
        self,
        transportBufferSize: int | None = None,  # noqa: N803 - the classic name
        *,
        read_high_water: int | None = None,
        half_close: bool | None = None,
        notsent_lowat: int | EllipsisType | None = ...,
    ) -> None:
        if transportBufferSize is not None:
            self.transportBufferSize = check_count(
                transportBufferSize, "transportBufferSize", minimum=1
            )
        cls = type(self)
        high_water = (
            cls.read_high_water
            if read_high_water is None
            else check_count(read_high_water, "read_high_water", minimum=1)
        )
        if half_close is not None:
            self.half_close = half_close
        if notsent_lowat is not ...:
            self.notsent_lowat = _check_notsent_lowat(notsent_lowat)
        stream = self._stream = _Stream(cls.__name__, high_water)
        # The hot methods, found in the instance dict: no trip through __getattr__'s
        # slow path and no delegating frame. A subclass's own override is left alone.
        for name in _FAST_METHODS:
            stream_method = _DELEGATED.get(getattr(cls, name, None))
            if stream_method is not None:
                self.__dict__[name] = getattr(stream, stream_method)
        self._handshaking = False
        self._connection = Event()  # the transport, or why connecting failed
        self._disconnected_event = Event()  # the reason (an exception) as a value
        self._on_connect: Callable[[], Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        default = cls.__dict__.get("read_high_water")
        if default is not None and not isinstance(default, _ReadHighWater):
            # A subclass's plain number: keep the attribute live on its instances too.
            check_count(default, f"{cls.__name__}.read_high_water", minimum=1)
            cls.read_high_water = _ReadHighWater(default)
        if "notsent_lowat" in cls.__dict__:
            _check_notsent_lowat(cls.__dict__["notsent_lowat"], f"{cls.__name__}.notsent_lowat")

    def build_protocol(self) -> Any:
        """A new Twisted protocol feeding this transport."""
        protocol = self.protocol_class(self)
        self._protocol = protocol
        return protocol

    # -- from the Twisted protocol (MAIN_LOOP) -----------------------------

    def _got_transport(self, transport: Any) -> None:
        self.transport = transport
        stream = self._stream
        stream.transport = transport
        stream.direct_send = type(transport) in _DIRECT_SEND_TYPES
        if self.notsent_lowat is not None:
            tcp = _tcp_under(transport)
            if tcp is not None:
                _limit_unsent(tcp.socket, self.notsent_lowat)
        if self.transportBufferSize is not None:
            transport.bufferSize = self.transportBufferSize
        producer = stream.producer = _WriteProducer(stream)
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

    def _read_connection_lost(self) -> None:
        """The peer finished sending (half-close): end of the read side."""
        self._stream.end_reading(ConnectionDone())
        if not self.half_close:
            self._stream.close_transport(
                "closing the connection when the peer finished sending (half_close is off)"
            )

    def _connectionLost(self, reason: Failure) -> None:  # noqa: N802 - the classic name
        error = reason.value
        assert error is not None
        self._stream.connection_lost(error)
        self._handshaking = False
        self._connection_failed(error)
        if not self._disconnected_event.ready():
            self._disconnected_event.send(error)

    # -- flow control ------------------------------------------------------

    def pauseProducing(self) -> None:  # noqa: N802 - the classic name
        """Stop reading from the connection until :meth:`resumeProducing` (calls nest)."""
        stream = self._stream
        stream.user_pauses += 1
        if not stream.reading_paused and stream.transport is not None:
            stream.set_reading(on=False)

    def resumeProducing(self) -> None:  # noqa: N802 - the classic name
        """Undo one :meth:`pauseProducing`."""
        stream = self._stream
        if stream.user_pauses:
            stream.user_pauses -= 1
        if (
            not stream.user_pauses
            and stream.reading_paused
            and (stream.readers or stream.buffered <= stream.read_high_water)
        ):
            stream.set_reading(on=True)

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
        self._stream.write(data, wait)

    # -- closing -----------------------------------------------------------

    def loseConnection(self, wait: bool = True) -> None:  # noqa: N802 - the classic name
        """Close the connection once what was written is sent; by default wait until closed.

        Raises:
            BlockingInMainLoopError: ``wait`` and still open, in MAIN_LOOP.
        """
        stream = self._stream
        if stream.transport is None:
            return
        if stream.lost is None:
            stream.close_transport("loseConnection()")
            if wait:
                self._disconnected_event.wait()

    def loseWriteConnection(self) -> None:  # noqa: N802 - Twisted's name
        """Half-close: tell the peer we finished sending (TCP FIN); reading goes on."""
        stream = self._stream
        transport = stream.connected_transport()
        stream.write_closed = stream.write_closed or "loseWriteConnection()"
        stream.unregister_producer()
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
        stream = self._stream
        return TransportStatistics(
            connected=stream.transport is not None and stream.lost is None,
            buffered=stream.buffered,
            reading_paused=stream.reading_paused,
            writing_paused=stream.write_paused,
            readers=len(stream.readers),
            writers=len(stream.writers),
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
        stream = self._stream
        transport = stream.transport
        if transport is None:
            state = "connecting"
        elif stream.lost is not None:
            state = f"closed ({type(stream.lost).__name__})"
        else:
            state = f"connected to {transport.getPeer()}"
        return f"<{type(self).__name__} {state}>"


def _check_notsent_lowat(value: Any, what: str = "notsent_lowat") -> int | None:
    limit = check_count(value, what, minimum=0, allow_none=True)
    if limit is not None and limit > _MAX_SOCKET_OPTION:
        raise ValueError(f"{what} must be at most {_MAX_SOCKET_OPTION}, got {limit}")
    return limit


def _tcp_under(transport: Any) -> Any:
    """The TCP connection a transport is, or runs over (TLS over TCP); None for others."""
    for _layer in range(3):  # TCP, TLS over TCP, a wrapper over that: deeper is not TCP's
        if type(transport) in _DIRECT_SEND_TYPES:
            return transport
        transport = getattr(transport, "transport", None)
    return None


def _limit_unsent(sock: socket.socket, limit: int) -> None:
    """Let the kernel hold at most ``limit`` bytes written on ``sock`` and not sent yet."""
    if _TCP_NOTSENT_LOWAT is None:
        return  # not on this platform: the kernel's own limit stays
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_NOTSENT_LOWAT, limit)
    except OSError:  # a kernel without it, or a socket already closed: nothing to bound
        pass


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
        return self._stream.recv_chunk()

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

    def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes, or everything until the peer closes if ``size`` < 0.

        Returns fewer bytes only at the end of the stream, and b'' after it.
        An unclean close (reset, abort) raises its error at the point of the
        stream where it happened, once; data received before it is kept for
        the next calls, never dropped.
        """
        return self._stream.read(size)

    def recv(self, buflen: int | None = None) -> bytes:
        """Receive what is buffered (at most ``buflen`` bytes); wait if nothing is.

        Returns b'' once the peer closed cleanly and everything was read. An
        unclean close raises its error once, after the data received before it.
        """
        return self._stream.recv(buflen)

    def __iter__(self) -> GreenTransport:
        return self

    def __next__(self) -> bytes:
        data = self.recv()
        if not data:
            raise StopIteration
        return data


# The public methods a transport binds to its stream's (see GreenTransportBase.__init__),
# and which stream method each of these definitions stands for.
_FAST_METHODS = ("read", "readline", "recv", "write")
_DELEGATED: dict[Any, str] = {
    GreenTransportBase.write: "write",
    UnbufferedTransport.recv: "recv_chunk",
    GreenTransport.read: "read",
    GreenTransport.recv: "recv",
}
