"""eventlib.patcher: stdlib clients (http.client, urllib.request, smtplib, ftplib) run green."""

import http
import http.client
import socket as stdlib_socket
import ssl as stdlib_ssl
import sys
import textwrap
import time

import pytest
from greenhelpers import twisted_server

import eventlib
from eventlib.green import socket as green_socket
from eventlib.green import ssl as green_ssl
from eventlib.green import subprocess as green_subprocess
from eventlib.patcher import import_patched

N = 100


@pytest.fixture
def web_port(real_reactor):
    """A twisted.web server in this process, on the test's reactor: its port.

    Used as a fixture, its teardown runs in the main greenlet, which may block.
    """
    from twisted.web import resource, server

    class Echo(resource.Resource):
        isLeaf = True  # noqa: N815 - Twisted's attribute

        def render_GET(self, request):
            request.setHeader(b"content-type", b"text/plain")
            return b"hello " + request.path

        def render_POST(self, request):
            return request.content.read()

    with twisted_server(real_reactor, server.Site(Echo())) as port:
        yield port


def test_http_client_get_against_twisted_web(web_port):
    """A patched http.client GETs from a twisted.web server running in the same reactor."""
    client = import_patched("http.client")
    connection = client.HTTPConnection("127.0.0.1", web_port, timeout=5)
    try:
        connection.request("GET", "/path")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"hello /path")
    finally:
        connection.close()


def test_http_client_post_with_keep_alive(web_port):
    """Two requests on one patched connection, the second a POST with a body."""
    client = import_patched("http.client")
    connection = client.HTTPConnection("localhost", web_port, timeout=5)
    try:
        for body in (b"one", b"two" * 10_000):
            connection.request("POST", "/", body=body)
            assert connection.getresponse().read() == body
    finally:
        connection.close()


def test_patched_http_client_uses_green_modules():
    """The patched copy sees green socket and ssl; the stdlib's copy is untouched."""
    client = import_patched("http.client")
    assert client is not http.client
    assert client.socket is green_socket
    assert client.ssl is green_ssl
    assert http.client.socket is stdlib_socket
    assert http.client.ssl is stdlib_ssl
    assert sys.modules["http.client"] is http.client
    assert http.client is sys.modules["http"].client
    assert sys.modules["socket"] is stdlib_socket


def test_hundred_concurrent_http_gets_do_not_block_reactor(real_reactor, heartbeat):
    """N patched http.client GETs wait at once; the timer keeps firing until they are answered."""
    from twisted.web import resource, server

    held = []

    class Held(resource.Resource):
        isLeaf = True  # noqa: N815 - Twisted's attribute

        def render_GET(self, request):
            held.append(request)  # answered when the test says so
            return server.NOT_DONE_YET

    client = import_patched("http.client")

    def get(port, i):
        # The 10 s timeout fails, rather than hangs, a read that blocked the reactor.
        connection = client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", f"/{i}")
            return connection.getresponse().read()
        finally:
            connection.close()

    with twisted_server(real_reactor, server.Site(Held())) as port:
        gets = [eventlib.spawn(get, port, i) for i in range(N)]
        deadline = time.monotonic() + 10
        while len(held) < N:  # every GET sent, each client now waits for its response
            assert time.monotonic() < deadline, f"{len(held)} of {N} requests arrived"
            eventlib.sleep(0.005)
        heartbeat.wait_for_ticks(20)
        assert not [g for g in gets if g.ready()], "a GET returned before its answer"
        for request in held:
            request.setHeader(b"content-type", b"text/plain")
            request.write(b"hello " + request.path)
            request.finish()
        results = eventlib.waitall(gets)
    assert results == [b"hello /%d" % i for i in range(N)]


def test_urllib_request_urlopen(web_port):
    """A patched urllib.request opens a URL served by twisted.web, with green http.client."""
    request = import_patched("urllib.request")
    assert request.http.client.socket is green_socket
    with request.urlopen(f"http://localhost:{web_port}/url", timeout=5) as response:
        assert response.read() == b"hello /url"


def test_http_client_timeout_raises_socket_timeout(real_reactor):
    """A patched http.client against a server that never answers times out as the stdlib does."""
    client = import_patched("http.client")
    with green_socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        connection = client.HTTPConnection("127.0.0.1", silent.getsockname()[1], timeout=0.1)
        try:
            with pytest.raises(TimeoutError):
                connection.request("GET", "/")
                connection.getresponse()
        finally:
            connection.close()


def _smtp_server(listener, received):
    """Just enough SMTP for smtplib.sendmail, on green sockets."""
    conn, _ = listener.accept()
    with conn, conn.makefile("rwb") as stream:

        def reply(line):
            stream.write(line + b"\r\n")
            stream.flush()

        reply(b"220 localhost test")
        while line := stream.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                reply(b"250 localhost")
            elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                reply(b"250 OK")
            elif command == b"DATA":
                reply(b"354 go ahead")
                lines = []
                while (data := stream.readline()) != b".\r\n":
                    lines.append(data)
                received.append(b"".join(lines))
                reply(b"250 queued")
            elif command == b"QUIT":
                reply(b"221 bye")
                return
            else:
                reply(b"502 not implemented")


def test_smtplib_sends_mail_to_in_process_server(real_reactor):
    """A patched smtplib talks to a green SMTP server in another proc of the same hub."""
    smtplib = import_patched("smtplib")
    received = []
    with green_socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server = eventlib.spawn(_smtp_server, listener, received)
        with smtplib.SMTP("127.0.0.1", listener.getsockname()[1], timeout=5) as smtp:
            smtp.sendmail("a@example.org", ["b@example.org"], "Subject: hi\r\n\r\nbody\r\n")
        server.wait()
    assert b"Subject: hi" in received[0]


def test_ftplib_retrieves_from_twisted_ftp_server(real_reactor, tmp_path):
    """A patched ftplib lists and downloads (passive mode) from Twisted's FTP server."""
    from twisted.cred.checkers import AllowAnonymousAccess
    from twisted.cred.portal import Portal
    from twisted.protocols.ftp import FTPFactory, FTPRealm

    (tmp_path / "file.txt").write_bytes(b"ftp data " * 1000)
    portal = Portal(FTPRealm(str(tmp_path)), [AllowAnonymousAccess()])
    ftplib = import_patched("ftplib")
    with twisted_server(real_reactor, FTPFactory(portal)) as port, ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=5)
        ftp.login()
        listing = []
        ftp.retrlines("LIST", listing.append)
        assert [line.split()[-1] for line in listing] == ["file.txt"]
        chunks = []
        ftp.retrbinary("RETR file.txt", chunks.append)
        assert b"".join(chunks) == b"ftp data " * 1000


def test_import_patched_takes_extra_substitutes():
    """Keyword substitutes replace more modules in the patched copy."""
    fake = type(sys)("fake_errno")
    copy = import_patched("http.client", errno=fake)
    assert copy.errno is fake


MONKEY_SCRIPT = textwrap.dedent(
    """
    from eventlib import patcher
    patcher.monkey_patch()
    patcher.monkey_patch()  # twice is harmless

    import socket, time, urllib.request
    import eventlib
    from eventlib.green._socket import GreenSocket
    from twisted.internet import reactor
    from twisted.web import resource, server

    class Hello(resource.Resource):
        isLeaf = True
        def render_GET(self, request):
            return b"patched"

    port = reactor.listenTCP(0, server.Site(Hello()), interface="127.0.0.1")

    def main():
        assert socket.socket is GreenSocket
        url = "http://localhost:%d/" % port.getHost().port
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
        time.sleep(0.01)
        print(body.decode(), patcher.is_monkey_patched("socket"), patcher.is_monkey_patched("ssl"))

    eventlib.spawn(main).wait()
    """
)


def test_monkey_patch_makes_urllib_green(real_reactor):
    """After monkey_patch(), plain urllib.request runs green (checked in a fresh interpreter)."""
    result = green_subprocess.run(
        [sys.executable, "-W", "error", "-c", MONKEY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["patched", "True", "True"]
