"""The twisted_* examples run end to end on loopback, each in its own interpreter."""

import pathlib
import signal
import subprocess
import sys

import pytest
from twisted.internet import threads
from twisted.web import resource, server

import eventlib
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import GreenClientCreator
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = b"<html>\r\ngreen pages\r\n</html>\r\n"

pytestmark = pytest.mark.eventlib(time_limit=30)


class Example:
    """``python -m examples.NAME ARGS`` in a subprocess, read without blocking the hub."""

    def __init__(self, name, *args):
        self.process = subprocess.Popen(
            [sys.executable, "-W", "error", "-m", f"examples.{name}", *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def readline(self):
        with eventlib.Timeout(20):
            return block_on(threads.deferToThread(self.process.stdout.readline)).rstrip("\n")

    def listening_port(self):
        """The port from the example's first line ('... listening on 127.0.0.1:PORT')."""
        return int(self.readline().rsplit(":", 1)[1])

    def finish(self, sig=None):
        """Send ``sig`` (if any), wait for the exit; return (exit status, stdout rest, stderr)."""
        if sig is not None:
            self.process.send_signal(sig)
        out, err = block_on(threads.deferToThread(self.process.communicate, timeout=20))
        return self.process.returncode, out, err

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def run_example(real_reactor):
    started = []

    def start(name, *args):
        example = Example(name, *args)
        started.append(example)
        return example

    yield start
    for example in started:
        example.kill()


class Page(resource.Resource):
    isLeaf = True  # noqa: N815 - Twisted's name

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/html")
        return PAGE


@pytest.fixture
def web_server(real_reactor):
    """A twisted.web server on 127.0.0.1 serving PAGE at every path."""
    site = server.Site(Page())
    site.noisy = False
    port = real_reactor.listenTCP(0, site, interface="127.0.0.1")
    yield port.getHost().port
    block_on(port.stopListening())


def test_twisted_client_fetches_page_whole_and_by_lines(run_example, web_server):
    """The client example prints the response from read() and then line by line."""
    status, out, err = run_example("twisted_client", "127.0.0.1", web_server).finish()
    assert status == 0, err
    whole, _, lines = out.partition("--- line by line ---")
    assert "HTTP/1.0 200 OK" in whole
    assert PAGE.decode() in whole.replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    assert "b'green pages'" in lines
    assert "  0 b'HTTP/1.0 200 OK'" in lines


def test_twisted_http_proxy_fetches_through_green_thread(run_example, web_server):
    """A request sent to the proxy comes back with the origin server's page."""
    proxy = run_example("twisted_http_proxy", "--port", 0)
    port = proxy.listening_port()
    conn = GreenClientCreator().connectTCP("127.0.0.1", port, timeout=5)
    conn.write(b"GET http://127.0.0.1:%d/index.html HTTP/1.0\r\n\r\n" % web_server)
    response = conn.read()
    assert response.startswith(b"HTTP/1.0 200 OK")
    assert response.endswith(PAGE)
    assert proxy.readline().startswith(f"GET http://127.0.0.1:{web_server}/index.html: 200")
    status, _, err = proxy.finish(signal.SIGINT)
    assert status == 0, err


def test_twisted_http_proxy_answers_bad_gateway(run_example):
    """A page the proxy cannot fetch is answered with 502 Bad Gateway."""
    proxy = run_example("twisted_http_proxy", "--port", 0)
    port = proxy.listening_port()
    conn = GreenClientCreator().connectTCP("127.0.0.1", port, timeout=5)
    conn.write(b"GET http://127.0.0.1:1/ HTTP/1.0\r\n\r\n")
    assert conn.read().startswith(b"HTTP/1.0 502 Bad Gateway")
    status, _, err = proxy.finish(signal.SIGINT)
    assert status == 0, err


def test_twisted_server_relays_chat_lines(run_example):
    """A line one participant sends reaches the other participant."""
    chat = run_example("twisted_server", "--port", 0)
    port = chat.listening_port()
    creator = GreenClientCreator(None, LineOnlyReceiverTransport)
    alice = creator.connectTCP("127.0.0.1", port, timeout=5)
    assert alice.readline().startswith(b"Welcome! There are 0 participants")
    bob = creator.connectTCP("127.0.0.1", port, timeout=5)
    assert bob.readline().startswith(b"Welcome! There are 1 participants")
    alice_port = alice.getHost().port
    alice.sendline(b"hi bob")
    assert bob.readline() == b"from 127.0.0.1:%d: hi bob" % alice_port
    alice.loseConnection()
    bob.loseConnection()
    status, out, err = chat.finish(signal.SIGINT)
    assert status == 0, err
    assert f"received from 127.0.0.1:{alice_port}: hi bob" in out


def test_twisted_portforward_relays_both_ways(run_example, echo_server):
    """Data sent through the forwarder reaches the echo server and comes back, in full."""
    host, port = echo_server.address
    forwarder = run_example("twisted_portforward", 0, host, port)
    local_port = forwarder.listening_port()
    conn = GreenClientCreator().connectTCP("127.0.0.1", local_port, timeout=5)
    payload = bytes(range(256)) * 4096  # 1 MiB: more than any one buffer on the way
    sender = eventlib.spawn(conn.write, payload)
    assert conn.read(len(payload)) == payload
    sender.wait()
    conn.loseConnection()
    assert forwarder.readline().startswith("accepted connection from 127.0.0.1")
    assert forwarder.readline().endswith(
        f"{len(payload)} bytes sent, {len(payload)} bytes received"
    )
    status, _, err = forwarder.finish(signal.SIGINT)
    assert status == 0, err


def test_twisted_srvconnector_connects_to_server_named_by_srv_record(
    run_example, serve, dns_server
):
    """The example finds the line server through an SRV record served on loopback."""

    def answer(conn):
        conn.sendline(b"you said " + conn.readline())
        conn.loseConnection()

    server = serve(answer, LineOnlyReceiverTransport)
    dns_server.add_srv("_chat._tcp.example.test", server.address[1])
    example = run_example(
        "twisted_srvconnector",
        "chat",
        "example.test",
        "--dns-server",
        f"127.0.0.1:{dns_server.port}",
        "--send",
        "ping",
    )
    status, out, err = example.finish()
    assert status == 0, err
    assert out.splitlines() == [
        f"resolved _chat._tcp.example.test --> 127.0.0.1:{server.address[1]}",
        "sending: ping",
        "received: you said ping",
    ]
