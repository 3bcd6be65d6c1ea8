"""Making green transports: connect to a server, or serve each connection in its own proc."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.error import TimeoutError as ConnectTimeoutError
from twisted.internet.protocol import ClientFactory, Factory

from eventlib.hub import get_hub
from eventlib.proc import Proc, RunningProcSet, waitall
from eventlib.sync import Timeout
from eventlib.twistedutil._transport import GreenTransport, GreenTransportBase

if TYPE_CHECKING:
    from twisted.python.failure import Failure

__all__ = [
    "GreenClientCreator",
    "GreenInstanceFactory",
    "SimpleSpawnFactory",
    "SpawnFactory",
]

# Twisted's default connect timeout, which GreenClientCreator also applies to the
# whole connect (DNS SRV lookup and TLS handshake included).
_CONNECT_TIMEOUT = 30.0


class GreenInstanceFactory(ClientFactory):
    """A client factory for one connection: it returns a prebuilt protocol.

    A failed connection attempt is reported to ``event.send_exception(type, value, tb)``.
    """

    noisy = False

    def __init__(self, instance: Any, event: Any) -> None:
        self.instance = instance
        self.event = event

    def buildProtocol(self, addr: Any) -> Any:  # noqa: ARG002, N802 - Twisted's interface
        return self.instance

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:  # noqa: ARG002, N802
        self.event.send_exception(reason.type, reason.value, reason.tb)


class _ConnectFailed:
    """The ``event`` a GreenInstanceFactory reports to: the green transport's connect outcome."""

    __slots__ = ("send_exception",)

    def __init__(self, gtransport: GreenTransportBase) -> None:
        self.send_exception = gtransport._connection_failed


def _timeout_argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int) -> float:
    """The ``timeout`` a Twisted connect method would use, given its extra arguments."""
    if "timeout" in kwargs:
        return float(kwargs["timeout"])
    if len(args) > index:
        return float(args[index])
    return _CONNECT_TIMEOUT


class GreenClientCreator:
    """Connect to a server and return a connected green transport (like Twisted's ClientCreator).

    Args:
        reactor: the reactor to connect with (default: the hub's reactor).
        gtransport_class: the green transport to make (default :class:`GreenTransport`).
        *args: passed to ``gtransport_class``.
        **kwargs: passed to ``gtransport_class``.

    The ``connect*`` methods block the calling green thread until the
    connection is made (for TLS: until the handshake is done) and raise why
    it could not be made. They take the arguments of the reactor's method of
    the same name, minus the factory; ``timeout`` (Twisted's, 30 s by
    default) bounds the whole connect and raises Twisted's ``TimeoutError``.
    A connect interrupted by a kill or a timeout leaves no connection behind.

    Example::

        conn = GreenClientCreator(reactor).connectTCP("127.0.0.1", 8080, timeout=5)
        conn.write(b"ping\\n")
        print(conn.recv())
    """

    gtransport_class: Callable[..., GreenTransportBase] = GreenTransport

    def __init__(
        self,
        reactor: Any = None,
        gtransport_class: Callable[..., GreenTransportBase] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.reactor = reactor if reactor is not None else get_hub().reactor
        if gtransport_class is not None:
            self.gtransport_class = gtransport_class
        self.args = args
        self.kwargs = kwargs

    def _connect(self, start: Callable[[ClientFactory], Any], timeout: float) -> Any:
        gtransport = self.gtransport_class(*self.args, **self.kwargs)
        factory = GreenInstanceFactory(gtransport.build_protocol(), _ConnectFailed(gtransport))
        connector = start(factory)
        error = ConnectTimeoutError(None, f"connecting took longer than {timeout} seconds")  # type: ignore[no-untyped-call]
        try:
            with Timeout(timeout, error):
                gtransport._init_transport()
        except BaseException:
            _abandon(gtransport, connector)
            raise
        return gtransport

    def connectTCP(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """Connect over TCP (IPv4 or IPv6); args as ``reactor.connectTCP`` after the factory."""
        return self._connect(
            lambda factory: self.reactor.connectTCP(host, port, factory, *args, **kwargs),
            _timeout_argument(args, kwargs, 0),
        )

    def connectSSL(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """Connect over TLS; returns once the handshake is done. Args as ``reactor.connectSSL``."""
        return self._connect(
            lambda factory: self.reactor.connectSSL(host, port, factory, *args, **kwargs),
            _timeout_argument(args, kwargs, 1),
        )

    def connectTLS(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``reactor.connectTLS`` (reactors with that method, as in the classic API)."""
        return self._connect(
            lambda factory: self.reactor.connectTLS(host, port, factory, *args, **kwargs),
            _timeout_argument(args, kwargs, 1),
        )

    def connectUNIX(self, address: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """Connect to a UNIX socket; args as ``reactor.connectUNIX`` after the factory."""
        return self._connect(
            lambda factory: self.reactor.connectUNIX(address, factory, *args, **kwargs),
            _timeout_argument(args, kwargs, 0),
        )

    def connectSRV(self, service: str, domain: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """Connect to the server a DNS SRV lookup names (``_service._tcp.domain``).

        Keyword ``ConnectorClass`` (default ``twisted.names.srvconnect.SRVConnector``)
        makes the connector; the other arguments go to it (``protocol``,
        ``connectFuncName``, ``connectFuncArgs``, ``connectFuncKwArgs``,
        ``defaultPort``). ``timeout`` bounds lookup and connect together.
        """
        connector_class = kwargs.pop("ConnectorClass", None)
        if connector_class is None:
            from twisted.names.srvconnect import SRVConnector  # noqa: PLC0415 - twisted.names is big

            connector_class = SRVConnector
        timeout = float(kwargs.pop("timeout", _CONNECT_TIMEOUT))

        def start(factory: ClientFactory) -> Any:
            connector = connector_class(self.reactor, service, domain, factory, *args, **kwargs)
            connector.connect()
            return connector

        return self._connect(start, timeout)


def _abandon(gtransport: GreenTransportBase, connector: Any) -> None:
    """Drop a connect that nobody waits for any more (killed, timed out, failed)."""
    transport = gtransport.__dict__.get("transport")
    if transport is not None:
        if gtransport._stream.lost is None:
            transport.abortConnection()  # e.g. a TLS handshake that never finished
        return
    try:
        connector.disconnect()
    except Exception:  # noqa: S110 - already failed or stopped: nothing left to drop
        pass


class SimpleSpawnFactory(Factory):
    """A server factory that serves each connection in a new proc: ``handler(gtransport)``.

    The handler is called with a connected green transport (for TLS: once
    the handshake is done; a connection that never gets there never reaches
    the handler). ``handler`` is a callable, or an object with ``send`` (a
    queue, say) that is handed each transport; if it also has
    ``send_exception``, that gets errors setting a connection up.

    A handler that raises is reported to the hub's error hook (logged as
    ``proc.crashed`` with the proc's name: the handler's and the peer's), and
    its connection is closed. A handler that returns leaves its connection as
    it is (close it with ``loseConnection``, or hand it to someone who will).

    Args:
        handler: see above.
        gtransport_class: the green transport to make (default :class:`GreenTransport`).
        *args: passed to ``gtransport_class``.
        **kwargs: passed to ``gtransport_class``.
    """

    noisy = False
    gtransport_class: Callable[..., GreenTransportBase] = GreenTransport

    def __init__(
        self,
        handler: Any,
        gtransport_class: Callable[..., GreenTransportBase] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.handler: Callable[[Any], Any] = handler if callable(handler) else handler.send
        if hasattr(handler, "send_exception"):
            self.__dict__["exc_handler"] = handler.send_exception
        if gtransport_class is not None:
            self.gtransport_class = gtransport_class
        self.args = args
        self.kwargs = kwargs
        self._handler_name = str(getattr(self.handler, "__qualname__", None) or self.handler)

    def exc_handler(self, *throw_args: Any) -> None:
        """Where errors setting up a connection go (the handler's ``send_exception``, if any)."""

    def buildProtocol(self, addr: Any) -> Any:  # noqa: ARG002, N802 - Twisted's interface
        gtransport = self.gtransport_class(*self.args, **self.kwargs)
        protocol = gtransport.build_protocol()
        protocol.factory = self
        # The proc starts when the connection is made, so a connection that is
        # never made (a failed TLS handshake) leaves no proc waiting forever.
        gtransport._on_connect = functools.partial(self._do_spawn, gtransport, protocol)
        return protocol

    def _do_spawn(self, gtransport: GreenTransportBase, protocol: Any) -> Proc:  # noqa: ARG002
        peer = gtransport.transport.getPeer()
        host, port = getattr(peer, "host", None), getattr(peer, "port", None)
        where = f"{host}:{port}" if host is not None else getattr(peer, "name", "")
        proc = Proc(name=f"{self._handler_name} {where}")
        proc.run(self._run_handler, gtransport)
        return proc

    def _run_handler(self, gtransport: GreenTransportBase) -> Any:
        try:
            gtransport._init_transport()
        except Exception:
            self.exc_handler(*sys.exc_info())
            return None
        try:
            return self.handler(gtransport)
        except BaseException:
            gtransport.loseConnection(wait=False)  # nobody else will
            raise


class SpawnFactory(SimpleSpawnFactory):
    """A :class:`SimpleSpawnFactory` that keeps track of its handler procs.

    ``greenlets`` (also ``procs``) is the set of running handler procs.
    Stopping a listening port leaves them alone, as Twisted leaves the
    connections already accepted (a handler may even stop the port itself and
    go on serving its connection). To end them too, call :meth:`killall`.

    Example::

        def echo(conn):
            for chunk in conn:
                conn.write(chunk)

        port = reactor.listenTCP(0, SpawnFactory(echo), interface="127.0.0.1")
    """

    def __init__(
        self,
        handler: Any,
        gtransport_class: Callable[..., GreenTransportBase] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.greenlets = RunningProcSet()
        super().__init__(handler, gtransport_class, *args, **kwargs)

    @property
    def procs(self) -> RunningProcSet:
        """The running handler procs."""
        return self.greenlets

    def _do_spawn(self, gtransport: GreenTransportBase, protocol: Any) -> Proc:
        proc = super()._do_spawn(gtransport, protocol)
        self.greenlets.add(proc)
        return proc

    def waitall(self) -> list[Any]:
        """Wait for the running handlers; return their results (raise the first failure)."""
        return waitall(list(self.greenlets))

    def killall(self, *throw_args: Any, wait: bool = False) -> None:
        """Kill the running handlers (default :class:`~eventlib.proc.ProcExit`).

        Each handler's connection is closed on its way out. ``wait=True``
        yields once after, so the handlers have handled the kill when this returns.

        Example::

            block_on(port.stopListening())   # no new connections
            factory.killall(wait=True)       # and end the ones being served
        """
        self.greenlets.killall(*throw_args, wait=wait)
