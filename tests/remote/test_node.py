"""A node's life: unique names, supervision, exports and the cluster-wide registry."""

from __future__ import annotations

import pytest

import eventlib
from eventlib.mailbox import ActorNotRunning, NameNotRegistered, NameTaken
from eventlib.remote import JsonCodec, Node, NodeNameTaken, NotConnected
from eventlib.supervisor import ChildSpec, Supervisor

from .conftest import Echo, node_options, unique


def test_a_second_live_node_cannot_take_a_name(make_node):
    """Node names are unique in the cluster while their node lives."""
    first = make_node()
    with pytest.raises(NodeNameTaken, match="unique"):
        make_node(first.name)


def test_the_name_of_a_killed_node_can_be_taken_at_once(make_node, start_peer):
    """A node started under the name of a SIGKILLed one takes it over."""
    peer = start_peer()
    peer.kill()
    node = make_node(peer.name)
    assert node.proc is not None
    assert not node.proc.dead


def test_invalid_names_are_refused_with_the_rule(make_node):
    """Node, actor and registered names must be single subject tokens."""
    with pytest.raises(ValueError, match="letters, digits"):
        Node("a.b")
    node = make_node()
    with pytest.raises(ValueError, match="letters, digits"):
        node.ref("peer", "a b")
    with pytest.raises(ValueError, match="letters, digits"):
        node.export("x>", Echo.spawn())


def test_exporting_a_name_twice_is_refused(make_node):
    """A name is exported once per node; unexport frees it."""
    node = make_node()
    node.export("echo", Echo.spawn())
    with pytest.raises(ValueError, match="exported already"):
        node.export("echo", Echo.spawn())
    node.unexport("echo")
    node.export("echo", Echo.spawn())


def test_calls_between_two_nodes_with_the_json_codec(make_node):
    """The codec is pluggable: two nodes speaking JSON."""
    server = make_node(codec=JsonCodec())
    client = make_node(codec=JsonCodec())
    server.export("echo", Echo.spawn())
    assert client.ref(server.name, "echo").call({"k": [1, "v"]}, timeout=5) == {"k": [1, "v"]}


def test_exited_actor_is_unexported(make_node):
    """Once an exported actor exits, calls to it get ActorNotRunning."""
    server, client = make_node(), make_node()
    actor = Echo.spawn()
    server.export("echo", actor)
    ref = client.ref(server.name, "echo")
    assert ref.call(1, timeout=5) == 1
    actor.stop()
    eventlib.sleep(0.05)  # the unsubscription travels to the server
    with pytest.raises(ActorNotRunning):
        ref.call(2, timeout=5)
    assert server.exported() == []


def test_a_stopped_node_refuses_calls_with_not_connected(make_node):
    """After stop(), a ref through the node raises NotConnected at once."""
    node = make_node()
    node.stop()
    with pytest.raises(NotConnected, match="never started or has stopped"):
        node.ref("other", "echo").call(1)


def test_node_is_a_supervised_child_restarted_when_its_connection_closes(make_node, hub_errors):
    """Closing a node's connection for good fails its proc; the supervisor restarts it."""
    hub_errors.expect(NotConnected)  # the node proc's failure, which the supervisor handles
    server = make_node()
    node = Node(unique("supervised"), server.servers, **node_options())
    supervisor = Supervisor([ChildSpec("node", node.start)], max_restarts=3, max_seconds=10)
    try:
        node.export("echo", Echo.spawn())
        first = node.proc
        ref = server.ref(node.name, "echo")
        assert ref.call(1, timeout=5) == 1
        node._await(node._nc.close())  # the connection is gone for good
        with eventlib.Timeout(5):
            while node.proc is first or node.proc is None or not node._connected:
                eventlib.sleep(0.02)
        assert supervisor.total_restarts == 1
        assert ref.call(2, timeout=5) == 2  # the restarted node serves the same exports
    finally:
        supervisor.stop()


def test_register_whereis_and_unregister_across_nodes(make_node):
    """A name registered on one node is found from another, and released by unregister."""
    owner, other = make_node(), make_node()
    owner.export("echo", Echo.spawn())
    name = unique("svc")
    owner.register(name, "echo")
    ref = other.whereis(name)
    assert ref == other.ref(owner.name, "echo")
    assert ref.call("hi", timeout=5) == "hi"
    assert name in other.registered()
    owner.unregister(name)
    with pytest.raises(NameNotRegistered):
        other.whereis(name)


def test_a_live_holder_keeps_its_name(make_node):
    """Registering a name a live actor holds raises NameTaken."""
    owner, other = make_node(), make_node()
    owner.export("echo", Echo.spawn())
    other.export("echo", Echo.spawn())
    name = unique("svc")
    owner.register(name, "echo")
    with pytest.raises(NameTaken):
        other.register(name, "echo")


def test_a_name_is_released_when_its_actor_exits(make_node):
    """An exported actor's registered names go with it."""
    owner, other = make_node(), make_node()
    actor = Echo.spawn()
    owner.export("echo", actor)
    name = unique("svc")
    owner.register(name, actor)
    actor.stop()
    with eventlib.Timeout(5):
        while name in other.registered():
            eventlib.sleep(0.02)


def test_register_needs_an_exported_actor(make_node):
    """Only exported actors can be registered cluster-wide: the error says how."""
    node = make_node()
    with pytest.raises(ValueError, match="export"):
        node.register(unique("svc"), Echo.spawn())
