"""Twisted connections used synchronously from green threads (the classic module).

* :class:`GreenTransport` (buffered: ``read(size)``, ``recv(buflen)``) and
  :class:`UnbufferedTransport` (``recv()`` returns Twisted's chunks): a
  connected transport whose ``write()`` blocks while the transport's buffer
  is full and whose reads block until data arrives; every other transport
  method (``getPeer()``, ``getHost()``, ...) is passed through.
* :class:`GreenClientCreator` connects (TCP, TLS, UNIX, DNS SRV) and returns one.
* :class:`SpawnFactory` / :class:`SimpleSpawnFactory` serve each incoming
  connection in a proc of its own.

Example::

    def echo(conn):
        for chunk in conn:
            conn.write(chunk)

    port = reactor.listenTCP(0, SpawnFactory(echo), interface="127.0.0.1")
    conn = GreenClientCreator(reactor).connectTCP("127.0.0.1", port.getHost().port)
    conn.write(b"hello")
    assert conn.read(5) == b"hello"
"""

from eventlib.twistedutil._compat import Event, Producer2Event, ValueQueue
from eventlib.twistedutil._errors import GreenTransportError, LineTooLongError
from eventlib.twistedutil._factories import (
    GreenClientCreator,
    GreenInstanceFactory,
    SimpleSpawnFactory,
    SpawnFactory,
)
from eventlib.twistedutil._transport import (
    GreenTransport,
    GreenTransportBase,
    Protocol,
    TransportStatistics,
    UnbufferedTransport,
)

__all__ = [
    "Event",
    "GreenClientCreator",
    "GreenInstanceFactory",
    "GreenTransport",
    "GreenTransportBase",
    "GreenTransportError",
    "LineTooLongError",
    "Producer2Event",
    "Protocol",
    "SimpleSpawnFactory",
    "SpawnFactory",
    "TransportStatistics",
    "UnbufferedTransport",
    "ValueQueue",
]
