"""A TCP port forwarder: each connection to LOCAL_PORT is relayed to REMOTE_HOST:REMOTE_PORT.

Run: ``python -m examples.twisted_portforward LOCAL_PORT REMOTE_HOST REMOTE_PORT``
(``LOCAL_PORT`` 0 picks a free port). Ctrl-C stops it.

Shows green transports used in both directions: a proc per direction copies
chunks with ``recv()`` and ``write()``. ``write()`` blocks while the other
side's buffer is full, so a slow receiver slows the sender down instead of
filling the forwarder's memory.
"""

from __future__ import annotations

import argparse

import eventlib
from eventlib.twistedutil.protocol import GreenClientCreator, SpawnFactory, UnbufferedTransport


def forward(source: UnbufferedTransport, dest: UnbufferedTransport) -> int:
    """Copy chunks from ``source`` to ``dest`` until ``source`` closes; return the byte count."""
    total = 0
    try:
        while chunk := source.recv():
            dest.write(chunk)
            total += len(chunk)
    finally:
        dest.loseConnection(wait=False)
    return total


def relay(remote_host: str, remote_port: int, local: UnbufferedTransport) -> None:
    """Serve one incoming connection (runs in its own proc)."""
    client = local.getPeer()
    print(f"accepted connection from {client.host}:{client.port}", flush=True)
    creator = GreenClientCreator(None, UnbufferedTransport)
    remote = creator.connectTCP(remote_host, remote_port, timeout=10)
    up = eventlib.spawn(forward, local, remote)
    down = eventlib.spawn(forward, remote, local)
    sent, received = eventlib.waitall([up, down], trap_errors=True)
    print(
        f"closed connection from {client.host}:{client.port}: "
        f"{sent} bytes sent, {received} bytes received",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("local_port", type=int)
    parser.add_argument("remote_host")
    parser.add_argument("remote_port", type=int)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args(argv)

    from twisted.internet import reactor  # noqa: PLC0415 - after join_reactor, like any program

    from eventlib.twistedutil import join_reactor  # noqa: F401, PLC0415 - selects run mode 1

    def handler(local: UnbufferedTransport) -> None:
        relay(args.remote_host, args.remote_port, local)

    factory = SpawnFactory(handler, UnbufferedTransport)
    port = reactor.listenTCP(args.local_port, factory, interface=args.host)
    address = port.getHost()
    print(
        f"forwarding to {args.remote_host}:{args.remote_port}, "
        f"listening on {address.host}:{address.port}",
        flush=True,
    )
    reactor.run()


if __name__ == "__main__":
    main()
