"""Refs inside messages: a RemoteRef (or an exported Actor) crosses the wire as a working ref."""

from __future__ import annotations

import pytest

from eventlib.mailbox import Actor
from eventlib.remote import CodecError, JsonCodec, Node, RemoteRef

from .conftest import node_options, unique


@pytest.fixture
def node(real_reactor, nats_server):
    node = Node(unique("local"), nats_server.url, **node_options()).start()
    yield node
    node.stop()


class Home(Actor):
    def handle(self, message):
        return ["home", message]


def test_a_ref_sent_to_another_node_is_called_back_from_there(node, shared_peer):
    """The peer gets this node's ref in a call and calls it back on this node."""
    node.export("home", Home.spawn())
    relay = node.ref(shared_peer.name, "relay")
    assert relay.call([node.ref(node.name, "home"), "hi"], timeout=5) == ["home", "hi"]


def test_an_exported_actor_travels_as_its_ref(node, shared_peer):
    """Sending the Actor object itself works once it is exported: it arrives as its ref."""
    home = Home.spawn()
    node.export("home", home)
    relay = node.ref(shared_peer.name, "relay")
    assert relay.call([home, "direct"], timeout=5) == ["home", "direct"]


def test_a_ref_comes_back_in_a_reply_as_a_working_ref(node, shared_peer):
    """A ref echoed by the peer arrives as a RemoteRef of this node, equal and callable."""
    node.export("home", Home.spawn())
    ref = node.ref(node.name, "home")
    back = node.ref(shared_peer.name, "echo").call({"ref": ref, "refs": [ref]}, timeout=5)
    assert isinstance(back["ref"], RemoteRef)
    assert back == {"ref": ref, "refs": [ref]}
    assert back["ref"].call("again", timeout=5) == ["home", "again"]


def test_a_ref_in_a_cast_arrives_as_a_ref(node, shared_peer):
    """A cast carries refs too (here one naming a third node's actor)."""
    collect = node.ref(shared_peer.name, "collect")
    elsewhere = node.ref("elsewhere", "someone")
    collect.cast(["refs", elsewhere])
    assert collect.call(["get", "refs"], timeout=5) == [elsewhere]


def test_an_actor_not_exported_is_a_codec_error_naming_export(node, shared_peer):
    """An Actor this node does not export cannot be sent: CodecError at the sender, nothing sent."""
    collect = node.ref(shared_peer.name, "collect")
    with pytest.raises(CodecError, match=r"not exported by node .*export\(name, actor\)"):
        collect.cast(["unexported", Home.spawn()])
    assert collect.call(["get", "unexported"], timeout=5) == []


def test_an_unexported_actor_is_no_longer_sent_as_its_ref(node, shared_peer):
    """After unexport() the actor is refused again."""
    home = Home.spawn()
    node.export("home", home)
    node.unexport("home")
    with pytest.raises(CodecError, match="not exported"):
        node.ref(shared_peer.name, "echo").call(home, timeout=5)


def test_json_nodes_carry_refs_too(real_reactor, nats_server):
    """Two nodes on the JSON codec pass refs to each other."""
    first = Node(unique("json"), nats_server.url, codec=JsonCodec(), **node_options()).start()
    second = Node(unique("json"), nats_server.url, codec=JsonCodec(), **node_options()).start()
    try:
        first.export("home", Home.spawn())
        second.export("echo", _Echo.spawn())
        home = first.ref(first.name, "home")
        back = first.ref(second.name, "echo").call([home], timeout=5)
        assert back == [home]
        assert back[0].call("json", timeout=5) == ["home", "json"]
    finally:
        second.stop()
        first.stop()


class _Echo(Actor):
    def handle(self, message):
        return message
