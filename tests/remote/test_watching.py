"""A node watches (hears the heartbeats of) only the nodes it depends on."""

from __future__ import annotations

import signal
import time

import pytest

import eventlib
from eventlib.mailbox import ActorNotRunning
from eventlib.remote import Node, NodeDown

from .conftest import Echo, node_options, unique


def wait_for(condition, what, limit=5.0):
    """Poll a node's statistics until ``condition()``; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {limit} s"
        eventlib.sleep(0.02)


def test_a_node_hears_only_the_heartbeats_of_nodes_it_monitors(make_node):
    """A monitor subscribes its node to the other node's heartbeats; a bystander hears none."""
    watcher, watched, bystander = make_node(), make_node(), make_node()
    watched.export("echo", Echo.spawn())
    watcher.ref(watched.name, "echo").monitor(lambda _notice: None)
    wait_for(lambda: watcher.statistics().heartbeats_received >= 3, "3 heartbeats")
    assert watcher.statistics().watched_nodes == 1
    assert bystander.statistics().heartbeats_received == 0
    assert bystander.statistics().watched_nodes == 0
    assert watched.statistics().watched_nodes == 0


def test_a_node_stops_watching_once_its_monitor_has_fired(make_node):
    """When nothing depends on a node any more (the call's linger over too), it is unwatched."""
    watcher, watched = make_node(), make_node()
    watched.export("echo", Echo.spawn())
    notices = eventlib.Queue()
    ref = watcher.ref(watched.name, "echo")
    ref.monitor(notices)
    assert watcher.statistics().watched_nodes == 1
    assert ref.call("after the monitor's probe", timeout=5)  # same subject: answered in order
    watched.unexport("echo")
    assert notices.get(timeout=5).reason == "normal"
    wait_for(lambda: watcher.statistics().watched_nodes == 0, "the unwatch")


def test_a_linked_remote_proc_makes_the_actors_node_watch_its_node(make_node):
    """The node of a linked actor watches the linking proc's node (to give noconnection)."""
    owner, linker = make_node(), make_node()
    owner.export("echo", Echo.spawn())
    ref = linker.ref(owner.name, "echo")
    done = eventlib.Event()
    eventlib.spawn(lambda: (ref.link(), done.wait()))
    wait_for(lambda: owner.statistics().links_in == 1, "the link")
    assert owner.statistics().watched_nodes == 1
    done.send()  # the proc returns: the link ends, the actor lives
    wait_for(lambda: owner.statistics().watched_nodes == 0, "the unwatch")
    assert ref.call("alive", timeout=5) == "alive"


def test_a_call_to_a_hung_node_fails_by_missed_heartbeats(real_reactor, nats_server, start_peer):
    """A caller watches the called node: SIGSTOP there fails the waiting call with NodeDown."""
    node = Node(unique("local"), nats_server.url, **node_options()).start()
    try:
        peer = start_peer()
        ref = node.ref(peer.name, "slow")
        waiting = eventlib.spawn(ref.call, 30, timeout=30)
        assert ref.call(0, timeout=5) == 0  # the slow call is queued there by now
        stopped = time.monotonic()
        peer.process.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(ActorNotRunning) as info:
                waiting.wait(timeout=5)
        finally:
            peer.process.send_signal(signal.SIGCONT)
        assert isinstance(info.value, NodeDown)
        assert time.monotonic() - stopped < 3  # 1.1 s of silence, bounded for load
    finally:
        node.stop()
