"""A remote process dies: pending calls, monitors, links and the registry all hear of it."""

from __future__ import annotations

import signal
import time

import pytest

import eventlib
from eventlib.mailbox import Actor, ActorNotRunning, NameNotRegistered
from eventlib.proc import LinkedFailed, spawn
from eventlib.remote import Node, NodeDown, RemoteExited

from .conftest import node_options, unique


@pytest.fixture
def node(real_reactor, nats_server):
    node = Node(unique("local"), nats_server.url, **node_options()).start()
    yield node
    node.stop()


def test_sigkill_fails_pending_calls_with_actor_not_running(node, start_peer):
    """Callers waiting on a SIGKILLed node get NodeDown (an ActorNotRunning), not a hang."""
    peer = start_peer()
    ref = node.ref(peer.name, "slow")
    callers = [spawn(ref.call, 30, timeout=30) for _ in range(3)]
    assert ref.call(0, timeout=5) == 0  # the slow calls are queued there by now
    peer.kill()
    with eventlib.Timeout(2):
        for caller in callers:
            with pytest.raises(ActorNotRunning) as info:
                caller.wait()
            assert isinstance(info.value, NodeDown)
            assert info.value.reason == "noconnection"


def test_sigkill_fires_monitors_and_links_within_200_ms(node, start_peer):
    """Monitors get RemoteExited(noconnection) and linked procs LinkedFailed within 200 ms."""
    peer = start_peer()
    ref = node.ref(peer.name, "echo")
    notices = eventlib.Queue()
    ref.monitor(notices)
    linked = eventlib.Queue()

    def linked_proc():
        ref.link()
        linked.put("linked")
        try:
            eventlib.sleep(30)
        except LinkedFailed as error:
            linked.put(error)

    spawn(linked_proc)
    assert linked.get(timeout=5) == "linked"
    assert ref.call("up", timeout=5) == "up"
    killed = time.monotonic()
    peer.kill()
    notice = notices.get(timeout=2)
    failure = linked.get(timeout=2)
    elapsed = time.monotonic() - killed
    assert isinstance(notice, RemoteExited)
    assert (notice.node, notice.actor, notice.reason) == (peer.name, "echo", "noconnection")
    assert failure.typ is RemoteExited
    assert elapsed < 0.2


def test_sigkill_frees_the_dead_nodes_registered_names(node, start_peer):
    """Names a SIGKILLed node registered are released, and another node can take them."""
    name = unique("svc")
    peer = start_peer(name)
    assert node.whereis(name) == node.ref(peer.name, "echo")
    down = eventlib.Queue()
    node.monitor_node(peer.name, down)
    peer.kill()
    down.get(timeout=2)
    deadline = time.monotonic() + 2
    while True:
        try:
            node.whereis(name)
        except NameNotRegistered:
            break
        assert time.monotonic() < deadline, f"{name} still registered 2 s after the kill"
        eventlib.sleep(0.02)
    node.export("mine", _Echo.spawn())
    node.register(name, "mine")
    assert node.whereis(name) == node.ref(node.name, "mine")


def test_a_stopped_process_is_found_down_by_missed_heartbeats(node, start_peer):
    """SIGSTOP keeps the connection open: heartbeats alone find the node down."""
    peer = start_peer()
    ref = node.ref(peer.name, "echo")
    assert ref.call("up", timeout=5) == "up"
    notices = eventlib.Queue()
    ref.monitor(notices)
    stopped = time.monotonic()
    peer.process.send_signal(signal.SIGSTOP)
    try:
        notice = notices.get(timeout=5)
    finally:
        peer.process.send_signal(signal.SIGCONT)
    assert notice.reason == "noconnection"
    # 1.1 s without a 0.2 s heartbeat, checked every 0.2 s; bounded generously for load
    assert time.monotonic() - stopped < 3


def test_monitor_of_an_actor_that_is_not_there_fires_noproc(node, start_peer):
    """Monitoring an actor nobody exports fires at once with reason noproc."""
    peer = start_peer()
    notices = eventlib.Queue()
    node.ref(peer.name, "nobody").monitor(notices)
    assert notices.get(timeout=2).reason == "noproc"


def test_remote_actor_exit_fires_monitors_with_its_reason(node, start_peer):
    """A remote actor that fails fires its monitors with reason error, its node still up."""
    peer = start_peer()
    ref = node.ref(peer.name, "fail")
    notices = eventlib.Queue()
    ref.monitor(notices)
    with pytest.raises(Exception, match="cannot handle"):
        ref.call("x", timeout=5)
    notice = notices.get(timeout=2)
    assert (notice.actor, notice.reason) == ("fail", "error")
    assert node.ref(peer.name, "echo").call("still up", timeout=5) == "still up"


class _Echo(Actor):
    def handle(self, message):
        return message
