"""A node in its own OS process, for the remote tests: ``python peer.py URL NODE [NAME...]``.

It exports ``echo`` (replies with the message), ``fail`` (raises ValueError),
``slow`` (sleeps ``message`` seconds, then replies) and ``collect`` (keeps the
value of each cast ``[key, value]``; a call ``["get", key]`` returns a key's
values), ``relay`` (a call ``[ref, message]`` calls ``ref`` with ``message`` and
returns its reply) and ``factory`` (below, for the link tests), registers each
NAME cluster-wide for ``echo``, prints ``ready`` and serves until killed or its
stdin closes.

``factory`` calls:

* ``["spawn", name, trap]``: export a new ``Linkable`` actor as ``name`` (with
  ``trap_exits=trap``) and return it (it travels as its ref).
* ``["exit", name]``: how that actor ended, ``[exit reason, exception type,
  notice node, notice actor, notice reason]``, or None while it runs.
* ``["link", ref, proc_name]``: start a proc named ``proc_name`` that links
  ``ref`` and waits for ever.

A ``Linkable`` actor answers the call ``"notices"`` with the exits it trapped,
``[node, actor, reason]`` each.
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
from eventlib.proc import Proc  # noqa: E402
from eventlib.remote import Node, RemoteExited  # noqa: E402


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


class Relay(Actor):
    def handle(self, message):
        ref, payload = message
        return ref.call(payload, timeout=5)


class Linkable(Actor):
    def on_start(self):
        self.notices = []

    def handle(self, message):
        if isinstance(message, RemoteExited):
            self.notices.append([message.node, message.actor, message.reason])
            return None
        return self.notices


class Factory(Actor):
    def __init__(self, node):
        self.node = node
        self.exits = {}

    def handle(self, message):
        if message[0] == "spawn":
            _, name, trap = message
            actor = Linkable.spawn()
            self.exits[name] = None
            actor.link(lambda proc: self.record(name, proc))
            self.node.export(name, actor, trap_exits=trap)
            return actor
        if message[0] == "exit":
            return self.exits[message[1]]
        _, ref, proc_name = message
        proc = Proc(name=proc_name)
        proc.run(self.linked, ref)
        return None

    def record(self, name, proc):
        error = proc.exc_info()[1]
        notice = getattr(error, "value", None)
        self.exits[name] = [
            proc.exit_reason.value,
            type(error).__name__,
            *([notice.node, notice.actor, notice.reason] if notice is not None else []),
        ]

    def linked(self, ref):
        ref.link()
        eventlib.sleep(3600)


def main() -> None:
    url, name, *names = sys.argv[1:]
    node = Node(name, url, heartbeat_interval=0.2, heartbeat_misses=5, events_account="APP")
    node.start()
    node.export("echo", Echo.spawn())
    node.export("fail", Fail.spawn())
    node.export("slow", Slow.spawn())
    node.export("collect", Collect.spawn())
    node.export("relay", Relay.spawn())
    node.export("factory", Factory(node).start())
    for registered in names:
        node.register(registered, "echo")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while green_os.read(sys.stdin.fileno(), 1):
        pass
    node.stop()


if __name__ == "__main__":
    main()
