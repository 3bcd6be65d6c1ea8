"""The NATS server goes away mid-traffic and comes back: fail fast, then serve again."""

from __future__ import annotations

import time

import pytest

import eventlib
from eventlib.mailbox import ActorNotRunning
from eventlib.remote import Node, NotConnected

from .conftest import node_options, unique


def test_server_restart_fails_calls_fast_then_the_node_serves_again(
    real_reactor, own_nats_server, start_peer
):
    """While the server is down calls fail at once with NotConnected; afterwards they work."""
    node = Node(unique("local"), own_nats_server.url, **node_options(reconnect_wait=0.1)).start()
    try:
        peer = start_peer(server=own_nats_server)
        ref = node.ref(peer.name, "echo")
        assert ref.call(0, timeout=5) == 0
        in_flight = eventlib.spawn(ref.call, "lost?", timeout=30)
        own_nats_server.stop()
        with eventlib.Timeout(2):
            with pytest.raises(NotConnected, match="connection was lost"):
                in_flight.wait()
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(NotConnected, match="reconnecting"):
                    ref.call(1, timeout=30)
                assert time.monotonic() - started < 0.1
        own_nats_server.start()
        deadline = time.monotonic() + 15
        while True:
            try:
                assert ref.call("back", timeout=1) == "back"
                break
            except (NotConnected, ActorNotRunning):  # until both nodes are back
                assert time.monotonic() < deadline, "the nodes did not serve again in 15 s"
                eventlib.sleep(0.05)
        assert [ref.call(n, timeout=5) for n in range(3)] == [0, 1, 2]
        assert node.proc is not None
        assert not node.proc.dead
    finally:
        node.stop()
