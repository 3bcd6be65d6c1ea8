"""A node in its own OS process, for the remote tests: ``python peer.py URL NODE [NAME...]``.

It exports ``echo`` (replies with the message), ``fail`` (raises ValueError),
``slow`` (sleeps ``message`` seconds, then replies) and ``collect`` (keeps the
value of each cast ``[key, value]``; a call ``["get", key]`` returns a key's
values), registers each NAME cluster-wide for ``echo``, prints ``ready`` and
serves until killed or its stdin closes.
"""

from __future__ import annotations

import asyncio
import sys

from twisted.internet import asyncioreactor

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
asyncioreactor.install(loop)

import eventlib  # noqa: E402 - the asyncio reactor must be installed first
from eventlib.green import os as green_os  # noqa: E402
from eventlib.mailbox import Actor  # noqa: E402
from eventlib.remote import Node  # noqa: E402


class Echo(Actor):
    def handle(self, message):
        return message


class Fail(Actor):
    def handle(self, message):
        raise ValueError(f"cannot handle {message!r}")


class Slow(Actor):
    def handle(self, message):
        eventlib.sleep(message)
        return message


class Collect(Actor):
    def on_start(self):
        self.seen = {}

    def handle(self, message):
        key, value = message
        if key == "get":
            return self.seen.get(value, [])
        self.seen.setdefault(key, []).append(value)
        return None


def main() -> None:
    url, name, *names = sys.argv[1:]
    node = Node(name, url, heartbeat_interval=0.2, heartbeat_misses=5, events_account="APP")
    node.start()
    node.export("echo", Echo.spawn())
    node.export("fail", Fail.spawn())
    node.export("slow", Slow.spawn())
    node.export("collect", Collect.spawn())
    for registered in names:
        node.register(registered, "echo")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while green_os.read(sys.stdin.fileno(), 1):
        pass
    node.stop()


if __name__ == "__main__":
    main()
