"""Fetch a web page twice with green transports: as one blob, then line by line.

Run: ``python -m examples.twisted_client HOST PORT [--path /]`` against any HTTP
server (``python -m http.server 8000`` will do).

Shows ``GreenClientCreator`` in the implicit run mode: no ``join_reactor``,
no ``reactor.run()``. The first blocking call starts the reactor in a
MAIN_LOOP greenlet and the program reads like blocking socket code.
"""

from __future__ import annotations

import argparse

from twisted.internet.error import ConnectionClosed

from eventlib.twistedutil.protocol import GreenClientCreator
from eventlib.twistedutil.protocols.basic import LineOnlyReceiverTransport


def request(host: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--path", default="/")
    parser.add_argument("--timeout", type=float, default=10.0, help="connect timeout (seconds)")
    args = parser.parse_args(argv)

    # A GreenTransport: write the request, read the whole response until the server closes.
    conn = GreenClientCreator().connectTCP(args.host, args.port, timeout=args.timeout)
    conn.write(request(args.host, args.path))
    response = conn.read()
    print(f"--- {len(response)} bytes in one read() ---")
    print(response.decode(errors="replace"))

    # A LineOnlyReceiverTransport: the same response, one line at a time.
    creator = GreenClientCreator(None, LineOnlyReceiverTransport)
    conn = creator.connectTCP(args.host, args.port, timeout=args.timeout)
    conn.write(request(args.host, args.path))
    print("--- line by line ---")
    try:
        for number, line in enumerate(conn):
            print(f"{number:3} {line!r}")
    except ConnectionClosed as exc:  # a line without a final delimiter, or a reset
        print(exc)


if __name__ == "__main__":
    main()
