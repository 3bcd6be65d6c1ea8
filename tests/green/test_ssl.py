"""eventlib.green.ssl: TLS on green sockets with a self-signed certificate made by the test."""

import shutil
import socket as stdlib_socket
import ssl as stdlib_ssl
import subprocess

import pytest
from greenhelpers import FAMILIES, LOOPBACK, outcome

import eventlib
from eventlib.green import socket, ssl

N = 100

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command is needed to make a test cert"
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate for localhost, 127.0.0.1 and ::1: (certfile, keyfile)."""
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(keyfile), "-out", str(certfile), "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(certfile), str(keyfile)


@pytest.fixture
def server_context(cert):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    return context


@pytest.fixture
def client_context(cert):
    return ssl.create_default_context(cafile=cert[0])


def tls_listener(family, server_context):
    sock = socket.socket(family)
    sock.bind((LOOPBACK[family], 0))
    sock.listen(128)
    return server_context.wrap_socket(sock, server_side=True)


def tls_echo(listener, count=1):
    """Accept ``count`` TLS connections one by one and echo each until EOF."""
    for _ in range(count):
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)


@pytest.mark.parametrize("family", FAMILIES)
def test_tls_echo_with_handshake(real_reactor, family, server_context, client_context):
    """A verified TLS connection (handshake included) echoes data over green sockets."""
    with tls_listener(family, server_context) as listener:
        assert isinstance(listener, ssl.GreenSSLSocket)
        proc = eventlib.spawn(tls_echo, listener)
        with (
            socket.socket(family) as raw,
            client_context.wrap_socket(raw, server_hostname=LOOPBACK[family]) as tls,
        ):
            tls.connect(listener.getsockname())
            assert tls.version() is not None
            tls.sendall(b"secret" * 10_000)
            got = b""
            while len(got) < 60_000:
                got += tls.recv(65536)
            assert got == b"secret" * 10_000
        proc.wait()


def test_accept_returns_green_tls_socket(real_reactor, server_context, client_context):
    """accept on a TLS listener returns a GreenSSLSocket that already shook hands."""
    with tls_listener(socket.AF_INET, server_context) as listener:

        def client():
            with socket.create_connection(listener.getsockname()) as raw:
                with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"hi")

        proc = eventlib.spawn(client)
        conn, _ = listener.accept()
        with conn:
            assert isinstance(conn, ssl.GreenSSLSocket)
            assert conn.recv(2) == b"hi"
        proc.wait()


def test_explicit_handshake(real_reactor, server_context, client_context):
    """do_handshake_on_connect=False leaves the handshake to an explicit green do_handshake()."""
    with tls_listener(socket.AF_INET, server_context) as listener:
        proc = eventlib.spawn(tls_echo, listener)
        with socket.create_connection(listener.getsockname()) as raw:
            tls = client_context.wrap_socket(
                raw, server_hostname="127.0.0.1", do_handshake_on_connect=False
            )
            with tls:
                assert tls.cipher() is None
                tls.do_handshake()
                assert tls.cipher() is not None
                tls.sendall(b"x")
                assert tls.recv(1) == b"x"
        proc.wait()


def test_classic_wrap_socket(real_reactor, cert):
    """The module-level wrap_socket works for both sides on green sockets."""
    with socket.socket() as plain_listener:
        plain_listener.bind(("127.0.0.1", 0))
        plain_listener.listen()
        listener = ssl.wrap_socket(plain_listener, *reversed(cert), server_side=True)
        with listener:
            proc = eventlib.spawn(tls_echo, listener)
            with socket.create_connection(listener.getsockname()) as raw:
                with ssl.wrap_socket(raw, ca_certs=cert[0], cert_reqs=ssl.CERT_REQUIRED) as tls:
                    tls.sendall(b"classic")
                    assert tls.recv(7) == b"classic"
            proc.wait()


def test_unwrap_returns_to_plain_data(real_reactor, server_context, client_context):
    """unwrap() shuts TLS down green on both sides; plain data then flows."""
    with tls_listener(socket.AF_INET, server_context) as listener:

        def server():
            conn, _ = listener.accept()
            with conn:
                plain = conn.unwrap()
                plain.sendall(b"plain")

        proc = eventlib.spawn(server)
        with socket.create_connection(listener.getsockname()) as raw:
            with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                plain = tls.unwrap()
                assert plain.recv(5) == b"plain"
        proc.wait()


def test_hundred_concurrent_handshakes_do_not_block_reactor(
    real_reactor, heartbeat, server_context, client_context
):
    """N TLS clients shake hands at once; the timer keeps firing while the server is silent."""
    with tls_listener(socket.AF_INET, server_context) as listener:

        def serve():
            procs = []
            for _ in range(N):
                conn, _ = listener.accept()
                procs.append(eventlib.spawn(echo_conn, conn))
            eventlib.waitall(procs)

        def echo_conn(conn):
            with conn:
                conn.sendall(conn.recv(16))

        def client(i):
            # The 10 s timeout fails, rather than hangs, a handshake that blocked the reactor.
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"%d" % i)
                    return tls.recv(16)

        # Nobody accepts yet: the connections wait in the backlog (128 >= N), every client
        # in its handshake, until the test starts the server.
        clients = [eventlib.spawn(client, i) for i in range(N)]
        heartbeat.wait_for_ticks(20)
        assert not [c for c in clients if c.ready()], "a handshake ended with no server"
        server_proc = eventlib.spawn(serve)
        results = eventlib.waitall(clients)
        server_proc.wait()
    assert results == [b"%d" % i for i in range(N)]


def test_handshake_times_out(real_reactor, client_context):
    """A handshake with a peer that never answers raises socket.timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with socket.socket() as raw:
            raw.settimeout(0.1)
            tls = client_context.wrap_socket(raw, server_hostname="localhost")
            with tls, pytest.raises(TimeoutError, match="handshake operation timed out"):
                tls.connect(silent.getsockname())


def test_tls_read_times_out(real_reactor, server_context, client_context):
    """recv on a TLS socket with nothing to read raises socket.timeout after the timeout."""
    with tls_listener(socket.AF_INET, server_context) as listener:
        proc = eventlib.spawn(tls_echo, listener)
        with socket.create_connection(listener.getsockname()) as raw:
            with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.settimeout(0.05)
                with pytest.raises(TimeoutError, match="read operation timed out"):
                    tls.recv(1)
        proc.wait()


def test_non_blocking_tls_read_raises_want_read(real_reactor, server_context, client_context):
    """With timeout 0, a TLS read with nothing buffered raises SSLWantReadError (stdlib rule)."""
    with tls_listener(socket.AF_INET, server_context) as listener:
        proc = eventlib.spawn(tls_echo, listener)
        with socket.create_connection(listener.getsockname()) as raw:
            with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.setblocking(False)
                with pytest.raises(ssl.SSLWantReadError):
                    tls.recv(1)
        proc.wait()


def test_bad_certificate_fails_verification(real_reactor, server_context):
    """A client that does not trust the certificate gets SSLCertVerificationError."""
    with tls_listener(socket.AF_INET, server_context) as listener:
        proc = eventlib.spawn(lambda: outcome(listener.accept))
        with socket.create_connection(listener.getsockname()) as raw:
            context = ssl.create_default_context()
            with pytest.raises(ssl.SSLCertVerificationError):
                context.wrap_socket(raw, server_hostname="localhost")
        assert proc.wait()[0] is not None


def test_default_context_keeps_stdlib_settings():
    """create_default_context is green but configured exactly as the stdlib's."""
    green, plain = ssl.create_default_context(), stdlib_ssl.create_default_context()
    assert isinstance(green, ssl.GreenSSLContext)
    assert (green.verify_mode, green.check_hostname, green.options) == (
        plain.verify_mode,
        plain.check_hostname,
        plain.options,
    )


def test_green_context_converts_stdlib_context(real_reactor):
    """green_context makes a stdlib context's wrap_socket green, keeping its settings."""
    context = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    assert ssl.green_context(context) is context
    assert context.sslsocket_class is ssl.GreenSSLSocket
    assert context.check_hostname is False


def test_wrapping_udp_socket_raises_like_stdlib():
    """Wrapping a datagram socket raises NotImplementedError, as the stdlib does."""
    context = ssl.create_default_context()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as green,
        stdlib_socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain,
    ):
        call = lambda c, s: c.wrap_socket(s, server_hostname="x")  # noqa: E731
        assert outcome(call, context, green) == outcome(
            call, stdlib_ssl.create_default_context(), plain
        )


def test_missing_server_hostname_raises_like_stdlib():
    """check_hostname without server_hostname raises the stdlib's ValueError."""
    with socket.socket() as green, stdlib_socket.socket() as plain:
        assert outcome(ssl.create_default_context().wrap_socket, green) == outcome(
            stdlib_ssl.create_default_context().wrap_socket, plain
        )


def test_classic_wrap_socket_needs_certfile_on_server_side():
    """wrap_socket(server_side=True) without a certificate raises ValueError."""
    with socket.socket() as sock, pytest.raises(ValueError, match="certfile"):
        ssl.wrap_socket(sock, server_side=True)


def test_module_keeps_stdlib_names():
    """Exceptions and constants are the stdlib's own objects."""
    assert ssl.SSLError is stdlib_ssl.SSLError
    assert ssl.CERT_REQUIRED is stdlib_ssl.CERT_REQUIRED
    assert issubclass(ssl.SSLSocket, stdlib_ssl.SSLSocket)
    assert issubclass(ssl.SSLContext, stdlib_ssl.SSLContext)
