"""A small HTTP proxy: a Twisted protocol that fetches each page with green code.

Run: ``python -m examples.twisted_http_proxy [--port 8888]``, then
``curl -x http://127.0.0.1:8888 http://example.test/``. Ctrl-C stops it.

Shows how to

* plug eventlib into a Twisted application (``join_reactor``, ``reactor.run()``);
* call blocking-style green code from a Twisted callback, where blocking is
  not allowed: ``deferToGreenThread`` runs it in a proc and hands back a
  Deferred, as any Twisted API would;
* write that green code with ``GreenClientCreator`` and ``GreenTransport``.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from twisted.internet.protocol import Factory
from twisted.protocols import basic

from eventlib.twistedutil import deferToGreenThread
from eventlib.twistedutil.protocol import GreenClientCreator

if TYPE_CHECKING:
    from twisted.python.failure import Failure

REQUEST_LINE = re.compile(rb"^(\w+) http://([^/:\s]+)(?::(\d+))?(/\S*)? HTTP/1\.\d$")
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization"}


def fetch(method: bytes, host: bytes, port: int, path: bytes, headers: list[bytes]) -> bytes:
    """Forward one request to the origin server and return its whole response (green code)."""
    conn = GreenClientCreator().connectTCP(host.decode(), port, timeout=10)
    kept = [h for h in headers if h.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
    head = [b"%s %s HTTP/1.0" % (method, path), *kept, b"Connection: close", b"", b""]
    conn.write(b"\r\n".join(head))
    response = conn.read()  # HTTP/1.0 with Connection: close: the origin closes when done
    print(
        f"{method.decode()} http://{host.decode()}:{port}{path.decode()}: "
        f"{response.split(b' ', 2)[1].decode()} {len(response)} bytes",
        flush=True,
    )
    return response


class ProxyProtocol(basic.LineOnlyReceiver):
    """Collects a request's head, then lets a green thread fetch the page."""

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's interface
        self.lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's interface
        if line:
            self.lines.append(line)
        elif self.lines:
            self.request_received(self.lines)
            self.lines = []

    def request_received(self, lines: list[bytes]) -> None:
        match = REQUEST_LINE.match(lines[0])
        if match is None:
            self.respond(b"HTTP/1.0 400 Bad Request\r\n\r\nonly absolute http:// URLs\r\n")
            return
        method, host, port, path = match.groups()
        # We are in a Twisted callback (MAIN_LOOP): blocking here is not allowed,
        # so the blocking-style fetch runs in a proc and reports back through a Deferred.
        d = deferToGreenThread(fetch, method, host, int(port or 80), path or b"/", lines[1:])
        d.addCallbacks(self.respond, self.failed)

    def respond(self, response: bytes) -> None:
        self.transport.write(response)
        self.transport.loseConnection()

    def failed(self, failure: Failure) -> None:
        print(f"fetch failed: {failure.getErrorMessage()}", flush=True)
        self.respond(b"HTTP/1.0 502 Bad Gateway\r\n\r\n%s\r\n" % failure.getErrorMessage().encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8888, help="port to listen on (0: any)")
    args = parser.parse_args(argv)

    from twisted.internet import reactor  # noqa: PLC0415 - after join_reactor, like any program

    from eventlib.twistedutil import join_reactor  # noqa: F401, PLC0415 - selects run mode 1

    factory: Any = Factory.forProtocol(ProxyProtocol)
    port = reactor.listenTCP(args.port, factory, interface=args.host)
    address = port.getHost()
    print(f"HTTP proxy listening on {address.host}:{address.port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
