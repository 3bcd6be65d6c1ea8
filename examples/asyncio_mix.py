"""Green code and asyncio code in one program, on Twisted's asyncio reactor.

* An asyncio-streams server (plain ``asyncio.start_server``) answers lines
  with their length.
* Green client procs talk to it through asyncio-streams clients, waiting on
  each coroutine with ``block_on`` as if it were a blocking call.
* An asyncio coroutine ``await``s a green proc's result.

Run: ``python -m examples.asyncio_mix``.
"""

from __future__ import annotations

import asyncio

from twisted.internet import asyncioreactor

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
asyncioreactor.install(loop)

import eventlib  # noqa: E402 - the asyncio reactor must be installed first
from eventlib.twistedutil import block_on  # noqa: E402


async def serve_lengths(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(f"{len(line.strip())}\n".encode())
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def green_client(port: int, words: list[str]) -> list[int]:
    """Plain sequential code: each block_on parks this proc, not the loop."""
    reader, writer = block_on(asyncio.open_connection("127.0.0.1", port))
    lengths = []
    for word in words:
        writer.write(word.encode() + b"\n")
        block_on(writer.drain())
        lengths.append(int(block_on(reader.readline())))
    writer.close()
    block_on(writer.wait_closed())
    return lengths


async def total_from_green(port: int) -> int:
    """A coroutine awaiting green procs."""
    procs = [eventlib.spawn(green_client, port, ["green", "and", "asyncio"]) for _ in range(3)]
    results = [await proc for proc in procs]
    return sum(sum(lengths) for lengths in results)


def main() -> None:
    server = block_on(asyncio.start_server(serve_lengths, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    print("lengths:", green_client(port, ["eventlib", "on", "asyncio"]))
    print("total from a coroutine awaiting procs:", block_on(total_from_green(port)))
    server.close()
    block_on(server.wait_closed())


if __name__ == "__main__":
    main()
