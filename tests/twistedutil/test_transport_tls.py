"""Green transports over TLS (Twisted's TLSMemoryBIOProtocol, pyOpenSSL)."""

import datetime as dt
import socket

import pytest

pytest.importorskip("OpenSSL", reason="TLS needs pyOpenSSL (Twisted's tls extra)")
pytest.importorskip("service_identity", reason="TLS needs service_identity (Twisted's tls extra)")

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from twisted.internet import ssl
from twisted.internet.error import TimeoutError as ConnectTimeoutError

import eventlib
from eventlib.twistedutil.protocol import GreenClientCreator
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport

# Twisted's own TLS code still hands pyOpenSSL X509/PKey objects over; newer pyOpenSSL warns.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing pyOpenSSL .* objects is deprecated:DeprecationWarning"
)


def self_signed(name="localhost"):
    """A PEM key and certificate for ``name`` (a small EC key: quick to make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def certificate():
    return self_signed()


@pytest.fixture
def server_options(certificate):
    key_pem, cert_pem = certificate
    return ssl.PrivateCertificate.loadPEM(key_pem + cert_pem).options()


@pytest.fixture
def client_options(certificate):
    return ssl.optionsForClientTLS("localhost", trustRoot=ssl.Certificate.loadPEM(certificate[1]))


def test_connect_ssl_round_trip(serve, server_options, client_options, real_reactor):
    """connectSSL returns a transport that reads and writes through TLS."""

    def shout(conn):
        conn.write(conn.recv().upper())
        conn.loseConnection()

    server = serve(shout, listen="listenSSL", listen_args=(server_options,))
    creator = GreenClientCreator(real_reactor)
    conn = creator.connectSSL(*server.address, client_options, timeout=5)
    conn.write(b"secret")
    assert conn.read() == b"SECRET"


def test_lines_over_tls(serve, server_options, client_options, real_reactor):
    """A LineOnlyReceiverTransport works over TLS."""

    def greet(conn):
        conn.sendline(b"hello " + conn.readline())
        conn.loseConnection()

    server = serve(
        greet, LineOnlyReceiverTransport, listen="listenSSL", listen_args=(server_options,)
    )
    creator = GreenClientCreator(real_reactor, LineOnlyReceiverTransport)
    conn = creator.connectSSL(*server.address, client_options, timeout=5)
    conn.sendline(b"tls")
    assert list(conn) == [b"hello tls"]


def test_untrusted_certificate_fails_connect_and_never_reaches_handler(
    serve, server_options, real_reactor
):
    """A failed handshake raises from connectSSL; the server's handler is never called."""
    called = []
    server = serve(called.append, listen="listenSSL", listen_args=(server_options,))
    stranger = ssl.Certificate.loadPEM(self_signed()[1])
    options = ssl.optionsForClientTLS("localhost", trustRoot=stranger)
    with pytest.raises(SSL.Error):
        GreenClientCreator(real_reactor).connectSSL(*server.address, options, timeout=5)
    assert called == []
    assert len(server.factory.greenlets) == 0


def test_handshake_that_never_completes_times_out(serve, client_options, real_reactor):
    """connectSSL to a server that never answers the handshake raises TimeoutError."""
    server = serve(lambda conn: conn.wait_closed())  # plain TCP: never answers the ClientHello
    start = real_reactor.seconds()
    with pytest.raises(ConnectTimeoutError):
        GreenClientCreator(real_reactor).connectSSL(*server.address, client_options, timeout=0.2)
    assert real_reactor.seconds() - start < 5
    served = server.connected.get()
    with eventlib.Timeout(5):
        served.wait_closed()  # the abandoned connection was closed


@pytest.mark.skipif(
    not hasattr(socket, "TCP_NOTSENT_LOWAT"), reason="the platform has no TCP_NOTSENT_LOWAT"
)
def test_tls_connections_bound_the_kernels_unsent_data(
    serve, server_options, client_options, real_reactor
):
    """The TCP socket under a TLS green connection holds at most 128 KiB unsent, as plain TCP."""
    limits = []

    def record(conn):
        limits.append(unsent_limit(conn))
        conn.write(conn.recv())
        conn.loseConnection()

    server = serve(record, listen="listenSSL", listen_args=(server_options,))
    conn = GreenClientCreator(real_reactor).connectSSL(*server.address, client_options, timeout=5)
    conn.write(b"x")
    assert conn.read(1) == b"x"  # the server has recorded its side; both are still open
    assert limits == [unsent_limit(conn)] == [128 * 1024]
    conn.loseConnection()


def unsent_limit(conn):
    """The TCP_NOTSENT_LOWAT of the TCP socket under a TLS green connection."""
    tcp = conn.transport.transport  # TLSMemoryBIOProtocol over the TCP connection
    return tcp.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT)
