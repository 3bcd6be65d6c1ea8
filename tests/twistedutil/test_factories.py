"""SpawnFactory, SimpleSpawnFactory and GreenClientCreator's other connect methods."""

import subprocess
import sys
import textwrap

import pytest
from twisted.internet.error import ConnectionDone

import eventlib
import eventlib.proc
from eventlib.proc import ExitReason, ProcExit
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import (
    GreenClientCreator,
    GreenTransport,
    SimpleSpawnFactory,
    UnbufferedTransport,
)


def connect(server, gtransport_class=GreenTransport):
    return GreenClientCreator(server.reactor, gtransport_class).connectTCP(
        *server.address, timeout=5
    )


def test_each_connection_is_served_by_its_own_proc(serve):
    """Every accepted connection gets a new proc running the handler."""
    procs = eventlib.Queue()

    def handler(conn):
        procs.put(eventlib.current_proc())
        conn.read()

    server = serve(handler)
    first, second = connect(server), connect(server)
    a, b = procs.get(), procs.get()
    assert a is not b
    assert {a, b} == set(server.factory.greenlets)
    first.loseConnection()
    second.loseConnection()


def test_handler_proc_is_named_after_handler_and_peer(serve):
    """The handler's proc name says which handler serves which peer."""
    names = eventlib.Queue()

    def greet(conn):
        names.put(eventlib.current_proc().name)

    server = serve(greet)
    conn = connect(server)
    handler_name = "test_handler_proc_is_named_after_handler_and_peer.<locals>.greet"
    assert names.get() == f"{handler_name} 127.0.0.1:{conn.getHost().port}"
    conn.loseConnection()


def test_handler_failure_is_reported_and_closes_connection(serve, hub_errors):
    """A handler that raises is reported to the hub's error hook; its connection is closed."""
    hub_errors.expect(ValueError)

    def broken(conn):
        conn.read(4)
        raise ValueError("handler bug")

    server = serve(broken)
    conn = connect(server)
    conn.write(b"boom")
    assert conn.read() == b""
    assert isinstance(conn.wait_closed(), ConnectionDone)
    [error] = hub_errors.errors
    assert str(error.exception) == "handler bug"
    assert error.context.exit_reason is ExitReason.ERROR
    assert "broken" in error.context.name


def test_handler_failure_is_logged_as_proc_crashed():
    """With the default error hook a handler's failure is logged, named after handler and peer."""
    source = """
        from eventlib.twistedutil.protocol import GreenClientCreator, SpawnFactory

        def broken(conn):
            conn.read(1)
            raise ValueError("handler bug")

        creator = GreenClientCreator()
        port = creator.reactor.listenTCP(0, SpawnFactory(broken), interface="127.0.0.1")
        conn = creator.connectTCP("127.0.0.1", port.getHost().port, timeout=5)
        conn.write(b"!")
        print("client got", conn.read(), "then", type(conn.wait_closed()).__name__)
    """
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout + completed.stderr
    assert "client got b'' then ConnectionDone" in output
    assert "proc.crashed" in output
    assert "proc_name='broken 127.0.0.1:" in output
    assert "ValueError: handler bug" in output


def test_handler_failure_is_raised_by_waitall(serve, hub_errors):
    """SpawnFactory.waitall() raises the first failure of the handlers it waits for."""
    hub_errors.expect(KeyError)
    started = eventlib.Queue()

    def broken(conn):
        started.put(None)
        conn.read(1)
        raise KeyError("lost key")

    server = serve(broken)
    conn = connect(server)
    started.get()
    waiting = eventlib.spawn(eventlib.proc.wrap_errors(KeyError, server.factory.waitall))
    eventlib.sleep(0)
    conn.write(b"!")
    assert isinstance(waiting.wait(), KeyError)
    conn.loseConnection()


def test_waitall_returns_handler_results(serve):
    """SpawnFactory.waitall() returns what the running handlers return."""
    started = eventlib.Queue()

    def answer(conn):
        started.put(None)
        return conn.read()

    server = serve(answer)
    conn = connect(server)
    started.get()
    waiting = eventlib.spawn(server.factory.waitall)
    conn.write(b"result")
    conn.loseConnection()
    assert waiting.wait() == [b"result"]


def test_stop_listening_leaves_handlers_and_their_connections_alone(serve):
    """Stopping the port does not touch the connections already accepted, nor their handlers."""
    started = eventlib.Queue()

    def echo_once(conn):
        started.put(eventlib.current_proc())
        conn.write(conn.recv())

    server = serve(echo_once)
    conn = connect(server)
    handler = started.get()
    block_on(server.port.stopListening())
    server.port = None
    conn.write(b"after stopListening")
    with eventlib.Timeout(5):
        assert conn.read(19) == b"after stopListening"
        assert handler.wait() is None
    conn.loseConnection()


def test_handler_may_stop_the_port_and_keep_serving(serve):
    """A handler that calls port.stopListening() goes on serving its own connection."""

    def stop_then_echo(conn):
        block_on(server.port.stopListening())
        for chunk in conn:
            conn.write(chunk)

    server = serve(stop_then_echo)
    conn = connect(server)
    conn.write(b"ping")
    with eventlib.Timeout(5):
        assert conn.read(4) == b"ping"
    server.port = None
    conn.loseConnection()


def test_killall_kills_handlers_and_closes_their_connections(serve):
    """factory.killall() kills the handlers; their connections are closed on the way out."""
    started = eventlib.Queue()

    def wait_forever(conn):
        started.put(eventlib.current_proc())
        conn.read()

    server = serve(wait_forever)
    conn = connect(server)
    handler = started.get()
    server.factory.killall(wait=True)
    with eventlib.Timeout(5):
        with pytest.raises(ProcExit):
            handler.wait()
        assert handler.exit_reason is ExitReason.KILLED
        assert isinstance(conn.wait_closed(), ConnectionDone)


def test_handler_return_leaves_connection_open(serve):
    """A handler that returns hands the connection on: it stays open."""
    server = serve(lambda conn: None)
    conn = connect(server)
    served = server.connected.get()
    server.factory.waitall()
    served.write(b"still open")
    assert conn.read(10) == b"still open"
    conn.loseConnection()


def test_handler_object_with_send_receives_each_transport(real_reactor):
    """A handler with send() (a queue) is handed each connected transport."""
    accepted = eventlib.Queue()
    port = real_reactor.listenTCP(0, SimpleSpawnFactory(accepted), interface="127.0.0.1")
    try:
        conn = GreenClientCreator(real_reactor).connectTCP(
            "127.0.0.1", port.getHost().port, timeout=5
        )
        served = accepted.get()
        served.write(b"hello from the queue's owner")
        assert conn.read(28) == b"hello from the queue's owner"
        conn.loseConnection()
        served.wait_closed()
    finally:
        block_on(port.stopListening())


def test_simple_spawn_factory_serves_with_given_transport_class(real_reactor):
    """SimpleSpawnFactory(handler, gtransport_class) serves with that transport class."""
    classes = eventlib.Queue()

    def handler(conn):
        classes.put(type(conn))
        for chunk in conn:
            conn.write(chunk)
        conn.loseConnection()

    factory = SimpleSpawnFactory(handler, UnbufferedTransport)
    port = real_reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        conn = GreenClientCreator(real_reactor).connectTCP(
            "127.0.0.1", port.getHost().port, timeout=5
        )
        conn.write(b"ping")
        assert conn.read(4) == b"ping"
        assert classes.get() is UnbufferedTransport
        conn.loseConnection()
    finally:
        block_on(port.stopListening())


def test_connect_unix_round_trip(serve, tmp_path, real_reactor):
    """connectUNIX returns a green transport over a UNIX socket."""

    def echo_once(conn):
        conn.write(conn.recv())
        conn.loseConnection()

    path = str(tmp_path / "green.sock")
    serve(echo_once, listen="listenUNIX", listen_args=(path,))
    conn = GreenClientCreator(real_reactor).connectUNIX(path, timeout=5)
    conn.write(b"over unix")
    assert conn.read() == b"over unix"


@pytest.mark.eventlib(time_limit=45)
def test_spawn_factory_echoes_on_1000_connections(serve):
    """1,000 clients connected at once, each served by its own proc, each get their echo."""
    count = 1000
    server = serve(lambda conn: [conn.write(chunk) for chunk in conn], backlog=count)
    everyone_served = eventlib.Event()

    def client(n):
        conn = connect(server, UnbufferedTransport)
        everyone_served.wait()  # every connection is open and served before anyone echoes
        message = b"message %d" % n
        conn.write(message)
        received = b""
        while len(received) < len(message):
            received += conn.recv()
        conn.loseConnection()
        return received

    clients = [eventlib.spawn(client, n) for n in range(count)]
    with eventlib.Timeout(40):
        for _ in range(count):
            server.connected.get()  # accepted, and its handler proc started
        assert len(server.factory.greenlets) == count
        everyone_served.send()
        results = eventlib.waitall(clients)
    assert results == [b"message %d" % n for n in range(count)]


@pytest.fixture
def srv_lookups(dns_server, monkeypatch):
    """Make SRV lookups ask the local DNS server only."""
    from twisted.names import client

    monkeypatch.setattr(
        client, "theResolver", client.Resolver(servers=[("127.0.0.1", dns_server.port)])
    )
    return dns_server


def test_connect_srv_connects_to_server_named_by_record(serve, srv_lookups, real_reactor):
    """connectSRV looks up _service._tcp.domain and connects to the server it names."""

    def hello(conn):
        conn.write(b"found me")
        conn.loseConnection()

    server = serve(hello)
    srv_lookups.add_srv("_green._tcp.example.test", server.address[1])
    conn = GreenClientCreator(real_reactor).connectSRV("green", "example.test", timeout=5)
    assert conn.read() == b"found me"
