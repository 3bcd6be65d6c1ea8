"""Calls and casts between two OS processes, and the errors a local Actor gives."""

from __future__ import annotations

import pytest

from eventlib.hub import TimeoutError
from eventlib.mailbox import ActorNotRunning, CallFailed
from eventlib.remote import CodecError, Node, RemoteHandlerError

from .conftest import node_options, unique


@pytest.fixture
def node(real_reactor, nats_server):
    node = Node(unique("local"), nats_server.url, **node_options()).start()
    yield node
    node.stop()


def test_call_returns_the_remote_handlers_value(node, shared_peer):
    """A call to an actor in another process returns what its handler returned."""
    assert node.ref(shared_peer.name, "echo").call({"a": [1, 2]}, timeout=5) == {"a": [1, 2]}


def test_cast_is_handled_by_the_remote_actor(node, shared_peer):
    """Casts reach the remote actor, in order."""
    ref = node.ref(shared_peer.name, "collect")
    for n in range(3):
        ref.cast(["casts", n])
    assert ref.call(["get", "casts"], timeout=5) == [0, 1, 2]


def test_remote_handler_error_is_call_failed_with_its_type_and_message(node, shared_peer):
    """A handler that raises gives CallFailed whose cause names the remote type and message."""
    with pytest.raises(CallFailed) as info:
        node.ref(shared_peer.name, "fail").call("x", timeout=5)
    cause = info.value.cause
    assert isinstance(cause, RemoteHandlerError)
    assert cause.type_name == "ValueError"
    assert cause.message == "cannot handle 'x'"


def test_call_to_an_actor_not_exported_is_actor_not_running_at_once(node, shared_peer):
    """No responders: ActorNotRunning at once, not a timeout."""
    with pytest.raises(ActorNotRunning, match="nothing is exported"):
        node.ref(shared_peer.name, "nobody").call("x", timeout=30)


def test_call_times_out_with_the_same_timeout_error(node, shared_peer):
    """A slow remote handler gives eventlib's TimeoutError after the timeout."""
    with pytest.raises(TimeoutError):
        node.ref(shared_peer.name, "slow").call(5, timeout=0.2)


def test_unencodable_message_is_a_codec_error_at_the_sender(node, shared_peer):
    """A message the codec cannot carry raises CodecError before anything is sent."""
    ref = node.ref(shared_peer.name, "collect")
    with pytest.raises(CodecError, match="cannot encode set"):
        ref.call({1, 2}, timeout=5)
    with pytest.raises(CodecError, match="cannot encode object"):
        ref.cast(object())
    assert ref.call(["get", "unencodable"], timeout=5) == []
