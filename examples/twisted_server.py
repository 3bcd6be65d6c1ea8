"""A chat server: every line a participant sends goes to all the others.

Run: ``python -m examples.twisted_server [--host 127.0.0.1] [--port 8007]``, then
connect with ``telnet 127.0.0.1 8007`` from two terminals. Ctrl-C stops it.

Shows how to

* plug eventlib into a Twisted program: ``join_reactor`` makes the main
  greenlet run the reactor, and the program calls ``reactor.run()`` itself;
* serve each connection with plain sequential code in a proc of its own
  (``SpawnFactory``), reading lines with ``LineOnlyReceiverTransport``.
"""

from __future__ import annotations

import argparse

from twisted.internet.error import ConnectionDone

from eventlib.twistedutil.protocol import SpawnFactory
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport


class Chat:
    """The chat room: the connected participants."""

    def __init__(self) -> None:
        self.participants: list[LineOnlyReceiverTransport] = []

    def handler(self, conn: LineOnlyReceiverTransport) -> None:
        """Serve one participant until they leave (runs in its own proc)."""
        peer = conn.getPeer()
        name = f"{peer.host}:{peer.port}"
        print(f"new connection from {name}", flush=True)
        conn.sendline(f"Welcome! There are {len(self.participants)} participants already".encode())
        self.participants.append(conn)
        try:
            for line in conn:
                print(f"received from {name}: {line.decode(errors='replace')}", flush=True)
                for buddy in self.participants:
                    if buddy is not conn:
                        buddy.sendline(f"from {name}: ".encode() + line)
        except Exception as exc:
            print(f"{name} left: {exc}", flush=True)
        else:
            print(f"{name} left: {ConnectionDone.MESSAGE}", flush=True)
        finally:
            self.participants.remove(conn)
            conn.loseConnection(wait=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8007, help="port to listen on (0: any)")
    args = parser.parse_args(argv)

    from twisted.internet import reactor  # noqa: PLC0415 - after join_reactor, like any program

    from eventlib.twistedutil import join_reactor  # noqa: F401, PLC0415 - selects run mode 1

    chat = Chat()
    port = reactor.listenTCP(
        args.port, SpawnFactory(chat.handler, LineOnlyReceiverTransport), interface=args.host
    )
    address = port.getHost()
    print(f"chat server listening on {address.host}:{address.port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
