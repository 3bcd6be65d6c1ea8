"""Connect to a service found through a DNS SRV record, then talk to it line by line.

Run: ``python -m examples.twisted_srvconnector SERVICE DOMAIN [--dns-server HOST:PORT]``,
e.g. ``python -m examples.twisted_srvconnector xmpp-client jabber.org``: it
looks up ``_SERVICE._tcp.DOMAIN``, connects to the server the record names,
sends ``--send`` as a line and prints the lines it gets back until the
server closes the connection.

Shows ``GreenClientCreator.connectSRV`` (the lookup and the connect, one
blocking call), a custom ``ConnectorClass`` and ``LineOnlyReceiverTransport``.
"""

from __future__ import annotations

import argparse
from typing import Any

from twisted.internet.error import ConnectionClosed
from twisted.names import client
from twisted.names.srvconnect import SRVConnector

from eventlib.twistedutil.protocol import GreenClientCreator
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport


class NoisySRVConnector(SRVConnector):
    """An SRVConnector that says which server the SRV records picked."""

    def pickServer(self) -> tuple[str, int]:  # noqa: N802 - Twisted's interface
        host, port = super().pickServer()
        print(
            f"resolved _{self.service}._{self.protocol}.{self.domain.decode()} --> {host}:{port}",
            flush=True,
        )
        return host, port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", help="service name, e.g. xmpp-client")
    parser.add_argument("domain")
    parser.add_argument("--dns-server", metavar="HOST:PORT", help="ask this DNS server only")
    parser.add_argument("--send", default="HELLO", help="the line to send")
    parser.add_argument("--timeout", type=float, default=10.0, help="lookup+connect timeout")
    args = parser.parse_args(argv)

    if args.dns_server:
        host, _, port = args.dns_server.rpartition(":")
        resolver: Any = client.Resolver(servers=[(host, int(port))])
        client.theResolver = resolver  # what SRVConnector's lookupService() asks

    creator = GreenClientCreator(None, LineOnlyReceiverTransport)
    conn = creator.connectSRV(
        args.service, args.domain, ConnectorClass=NoisySRVConnector, timeout=args.timeout
    )
    print(f"sending: {args.send}", flush=True)
    conn.sendline(args.send.encode())
    try:
        for line in conn:
            print(f"received: {line.decode(errors='replace')}", flush=True)
    except ConnectionClosed as exc:
        print(exc)


if __name__ == "__main__":
    main()
