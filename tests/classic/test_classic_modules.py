"""Module paths the original's Python 3 port had to carry: greenio, util, support, green HTTP."""

import http.client
import socket
import urllib.error

import greenlet
import pytest

from eventlib import api, proc


def test_the_originals_list_of_imports_works():
    """Every import in the original's own Python 3 deliverables list succeeds."""
    from eventlib import api, coros, proc  # noqa: F401
    from eventlib.api import sleep, timeout  # noqa: F401
    from eventlib.coros import event, queue  # noqa: F401
    from eventlib.green import httplib, select, socket, ssl, urllib2  # noqa: F401
    from eventlib.green.httplib import BadStatusLine  # noqa: F401
    from eventlib.green.socket import gethostbyname  # noqa: F401
    from eventlib.green.threading import RLock  # noqa: F401
    from eventlib.greenio import GreenSocket  # noqa: F401
    from eventlib.proc import ProcExit, spawn  # noqa: F401
    from eventlib.support import greenlets as greenlet  # noqa: F401
    from eventlib.twistedutil import (  # noqa: F401
        block_on,
        callInGreenThread,
        deferToGreenThread,
    )
    from eventlib.twistedutil.protocol import (  # noqa: F401
        GreenClientCreator,
        GreenTransportBase,
        SpawnFactory,
        ValueQueue,
    )
    from eventlib.util import set_reuse_addr, tcp_socket  # noqa: F401


# -- greenio and util ------------------------------------------------------------------


def _echo_server(listener):
    """Serve one connection on the green ``listener``: echo what it reads until EOF."""
    conn, _ = listener.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)


def test_green_socket_wrapping_a_tcp_socket_connects_and_talks(real_reactor):
    """GreenSocket(tcp_socket()) with settimeout/connect talks to a server in the same thread."""
    from eventlib.greenio import GreenSocket
    from eventlib.util import tcp_socket

    listener = api.tcp_listener(("127.0.0.1", 0))
    server = proc.spawn(_echo_server, listener)
    sock = GreenSocket(tcp_socket())
    sock.settimeout(5)
    sock.connect(listener.getsockname())
    sock.settimeout(None)
    sock.sendall(b"classic")
    assert sock.recv(7) == b"classic"
    sock.close()
    server.wait()
    listener.close()


def test_green_socket_wrapping_a_listening_socket_accepts_green(real_reactor):
    """A stdlib socket set up with the util helpers, wrapped in GreenSocket, accepts green."""
    from eventlib.greenio import GreenSocket
    from eventlib.util import set_reuse_addr, tcp_socket

    raw = tcp_socket()
    set_reuse_addr(raw)
    raw.bind(("127.0.0.1", 0))
    raw.listen(5)
    listener = GreenSocket(raw)
    server = proc.spawn(_echo_server, listener)
    client = api.connect_tcp(listener.getsockname())
    client.sendall(b"wrapped")
    assert client.recv(7) == b"wrapped"
    client.close()
    server.wait()
    listener.close()


def test_green_socket_takes_over_the_wrapped_socket():
    """The wrapped stdlib socket is detached: the green socket alone owns the descriptor."""
    from eventlib.greenio import GreenSocket

    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fileno = raw.fileno()
    sock = GreenSocket(raw)
    try:
        assert (raw.fileno(), sock.fileno()) == (-1, fileno)
        assert (sock.family, sock.type) == (socket.AF_INET, socket.SOCK_STREAM)
    finally:
        sock.close()


def test_green_socket_keeps_the_wrapped_sockets_timeout():
    """A timeout set on the stdlib socket before wrapping carries over."""
    from eventlib.greenio import GreenSocket

    raw = socket.socket()
    raw.settimeout(2.5)
    with GreenSocket(raw) as sock:
        assert sock.gettimeout() == 2.5


def test_green_socket_is_the_green_socket_class():
    """greenio.GreenSocket is a green.socket.GreenSocket, and builds from a family too."""
    from eventlib.green.socket import GreenSocket as Modern
    from eventlib.greenio import GreenSocket

    with GreenSocket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        assert isinstance(sock, Modern)
        assert (sock.family, sock.type) == (socket.AF_INET6, socket.SOCK_DGRAM)


def test_green_socket_wrapping_with_more_arguments_is_a_type_error():
    """GreenSocket(sock, anything) names the mistake: a wrapped socket takes no other argument."""
    from eventlib.greenio import GreenSocket

    with socket.socket() as raw, pytest.raises(TypeError, match="takes no other argument"):
        GreenSocket(raw, socket.SOCK_STREAM)


def test_tcp_socket_is_a_plain_ipv4_tcp_socket():
    """util.tcp_socket() is a stdlib (not green) AF_INET SOCK_STREAM socket."""
    from eventlib.green.socket import GreenSocket
    from eventlib.util import tcp_socket

    with tcp_socket() as sock:
        assert type(sock) is socket.socket
        assert (sock.family, sock.type) == (socket.AF_INET, socket.SOCK_STREAM)
        assert not isinstance(sock, GreenSocket)


def test_set_reuse_addr_turns_the_option_on():
    """set_reuse_addr sets SO_REUSEADDR."""
    from eventlib.util import set_reuse_addr

    with socket.socket() as sock:
        set_reuse_addr(sock)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0


def test_set_reuse_addr_ignores_a_socket_that_refuses():
    """set_reuse_addr on a closed socket does nothing and raises nothing (as the original)."""
    from eventlib.util import set_reuse_addr

    sock = socket.socket()
    sock.close()
    set_reuse_addr(sock)
    assert sock.fileno() == -1


def test_socket_bind_and_listen_returns_the_listening_socket():
    """socket_bind_and_listen binds, listens and returns the socket given."""
    from eventlib.util import socket_bind_and_listen

    with socket.socket() as sock:
        assert socket_bind_and_listen(sock, ("127.0.0.1", 0), 5) is sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1


def test_support_greenlets_are_the_greenlet_packages_names():
    """eventlib.support.greenlets has greenlet, getcurrent and GreenletExit from greenlet."""
    from eventlib.support import greenlets

    assert greenlets.greenlet is greenlet.greenlet
    assert greenlets.getcurrent is greenlet.getcurrent
    assert greenlets.GreenletExit is greenlet.GreenletExit


# -- green HTTP clients --------------------------------------------------------------------


def _http_server(listener, replies):
    """Answer one HTTP request per connection with the next reply of ``replies`` (bytes)."""
    for reply in replies:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            conn.sendall(reply)


def _ok(body):
    return b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.fixture
def http_server(real_reactor):
    """``http_server(*replies)`` -> the URL of a green server answering with those replies."""
    started = []

    def start(*replies):
        listener = api.tcp_listener(("127.0.0.1", 0))
        started.append((listener, proc.spawn(_http_server, listener, replies)))
        host, port = listener.getsockname()
        return f"http://{host}:{port}/"

    yield start
    for listener, server in started:
        server.kill()
        listener.close()


def test_httplib_connection_fetches_from_a_server_in_the_same_thread(http_server):
    """httplib.HTTPConnection works green: the server is a proc of the same thread."""
    from eventlib.green import httplib

    url = http_server(_ok(b"hello"))
    host, port = url[7:-1].split(":")
    connection = httplib.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"hello")
    connection.close()


def test_httplib_bad_status_line_is_raised_and_is_the_stdlibs(http_server):
    """A garbage status line raises httplib.BadStatusLine, which is http.client's class."""
    from eventlib.green import httplib

    url = http_server(b"garbage\r\n\r\n")
    host, port = url[7:-1].split(":")
    connection = httplib.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/")
    with pytest.raises(http.client.BadStatusLine):
        connection.getresponse()
    assert httplib.BadStatusLine is http.client.BadStatusLine
    connection.close()


def test_urllib2_urlopen_reads_a_page(http_server):
    """urllib2.urlopen(url).read() works green."""
    from eventlib.green import urllib2

    url = http_server(_ok(b"page"))
    with urllib2.urlopen(url, timeout=5) as response:
        assert response.read() == b"page"


def test_urllib2_http_error_is_urllib_errors(http_server):
    """A 404 raises urllib2.HTTPError, which is urllib.error.HTTPError."""
    from eventlib.green import urllib2

    url = http_server(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib2.urlopen(url, timeout=5)
    caught.value.close()
    assert caught.value.code == 404
    assert urllib2.HTTPError is urllib.error.HTTPError
    assert urllib2.URLError is urllib.error.URLError


def test_urllib_request_uses_the_green_http_client():
    """The green urllib.request's http.client is eventlib.green.http.client."""
    from eventlib.green.http import client
    from eventlib.green.urllib import request

    assert request.http.client is client
    assert request.http.client.HTTPConnection is client.HTTPConnection


@pytest.mark.parametrize(
    ("classic", "modern"),
    [("httplib", "http.client"), ("urllib2", "urllib.request")],
)
def test_classic_names_are_aliases_of_the_python3_modules(classic, modern):
    """Every name of the Python 3 green module is the same object under the classic name."""
    import importlib

    old = importlib.import_module(f"eventlib.green.{classic}")
    new = importlib.import_module(f"eventlib.green.{modern}")
    assert set(new.__all__) <= set(old.__all__)
    assert all(getattr(old, name) is getattr(new, name) for name in new.__all__)


def test_green_http_client_leaves_the_stdlib_module_alone():
    """Importing the green client does not make the stdlib http.client green."""
    import eventlib.green.http.client as green_client

    assert green_client.HTTPConnection is not http.client.HTTPConnection
    assert http.client.socket is socket
