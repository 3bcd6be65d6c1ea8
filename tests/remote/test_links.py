"""Remote links are two-way, as Erlang's link/1 across nodes (tests in two OS processes)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

import eventlib
from eventlib.mailbox import Actor
from eventlib.proc import LinkedFailed, Proc, spawn
from eventlib.remote import Node, RemoteExited, RemoteRef

from .conftest import node_options, unique


@pytest.fixture
def node(real_reactor, nats_server):
    node = Node(unique("local"), nats_server.url, **node_options()).start()
    yield node
    node.stop()


class Trapping(Actor):
    """Puts the remote exits it traps on ``notices``."""

    def __init__(self, notices: eventlib.Queue) -> None:
        self.notices = notices

    def handle(self, message: Any) -> Any:
        self.notices.put(message)


def until(condition: Callable[[], Any], what: str, limit: float = 5) -> Any:
    """Poll ``condition`` (a remote query) until it is true; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} not within {limit} s"
        eventlib.sleep(0.02)
    return result


def linked_proc(ref: RemoteRef, end: str, name: str) -> Proc:
    """A proc named ``name`` that links ``ref`` and then ends: "return", "raise" or "unlink"."""

    def body() -> None:
        ref.link()
        if end == "unlink":
            ref.unlink()
            raise ValueError("after unlinking")
        if end == "raise":
            raise ValueError("the local end failed")

    proc = Proc(name=name)
    proc.run(body)
    return proc


def spawn_remote(node: Node, peer_name: str, name: str, *, trap: bool = False) -> RemoteRef:
    """A new Linkable actor exported by the peer (its ref comes back in the reply)."""
    ref = node.ref(peer_name, "factory").call(["spawn", name, trap], timeout=5)
    assert isinstance(ref, RemoteRef)
    return ref


@pytest.mark.parametrize(("end", "reason"), [("raise", "error"), ("kill", "killed")])
def test_abnormal_exit_of_a_linked_proc_kills_the_remote_actor(
    node, start_peer, hub_errors, end, reason
):
    """The remote actor dies of LinkedFailed carrying RemoteExited(this node, the proc, reason)."""
    hub_errors.expect(ValueError)
    peer = start_peer()
    victim = spawn_remote(node, peer.name, "victim")
    notices = eventlib.Queue()
    victim.monitor(notices)
    if end == "raise":
        linked_proc(victim, "raise", "linker")
    else:
        proc = Proc(name="linker")
        proc.run(lambda: (victim.link(), eventlib.sleep(30)))
        eventlib.sleep(0)
        proc.kill()
    assert notices.get(timeout=5).reason == "error"
    factory = node.ref(peer.name, "factory")
    assert factory.call(["exit", "victim"], timeout=5) == [
        "error",
        "LinkedFailed",
        node.name,
        "linker",
        reason,
    ]


def test_normal_exit_of_a_linked_proc_does_not_kill_the_remote_actor(node, start_peer, hub_errors):
    """A proc that returns leaves its remote linked actor running; a later failure still kills."""
    hub_errors.expect(ValueError)
    peer = start_peer()
    victim = spawn_remote(node, peer.name, "victim")
    linked_proc(victim, "return", "returns").wait()
    assert victim.call("notices", timeout=5) == []
    linked_proc(victim, "raise", "fails")  # its signal comes after the normal one, in order
    factory = node.ref(peer.name, "factory")
    record = until(lambda: factory.call(["exit", "victim"], timeout=5), "the victim's exit")
    assert record[3:] == ["fails", "error"]


def test_trapping_remote_actor_gets_exits_as_messages_and_lives(node, start_peer, hub_errors):
    """An actor exported with trap_exits gets RemoteExited messages (normal too) and lives."""
    hub_errors.expect(ValueError)
    peer = start_peer()
    trap = spawn_remote(node, peer.name, "trap", trap=True)
    linked_proc(trap, "return", "returns").wait()
    linked_proc(trap, "raise", "fails")
    notices = until(lambda: len(got := trap.call("notices", timeout=5)) == 2 and got, "2 notices")
    assert notices == [[node.name, "returns", "normal"], [node.name, "fails", "error"]]


def test_unlink_stops_the_signal_to_the_remote_actor(node, start_peer, hub_errors):
    """After unlink, the proc's failure does not reach the remote actor."""
    hub_errors.expect(ValueError)
    peer = start_peer()
    trap = spawn_remote(node, peer.name, "trap", trap=True)
    linked_proc(trap, "unlink", "unlinked")
    linked_proc(trap, "raise", "linked")  # in order after the unlinked one's messages
    notices = until(lambda: trap.call("notices", timeout=5), "a notice")
    assert notices == [[node.name, "linked", "error"]]


def test_unlink_stops_the_remote_exit_reaching_the_proc(node, start_peer, hub_errors):
    """After unlink, the remote actor's exit is not thrown into the proc."""
    hub_errors.expect(ValueError)
    peer = start_peer()
    victim = spawn_remote(node, peer.name, "victim")
    unlinked = eventlib.Event()

    def body() -> None:
        victim.link()
        victim.unlink()
        unlinked.send()
        eventlib.sleep(30)

    proc = spawn(body)
    unlinked.wait(timeout=5)
    notices = eventlib.Queue()
    victim.monitor(notices)  # after the link: it would fire after the proc heard
    linked_proc(victim, "raise", "killer")
    assert notices.get(timeout=5).reason == "error"
    eventlib.sleep(0)
    assert not proc.dead
    proc.kill()


@pytest.mark.parametrize("trap", [False, True], ids=["dies", "traps"])
def test_sigkilled_node_of_a_linked_proc_gives_the_local_actor_noconnection(
    node, start_peer, hub_errors, trap
):
    """A local actor linked from a proc of a SIGKILLed node gets noconnection."""
    hub_errors.expect(LinkedFailed)
    peer = start_peer()
    notices = eventlib.Queue()
    actor = Trapping(notices).start()
    node.export("home", actor, trap_exits=trap)
    node.ref(peer.name, "factory").call(["link", actor, "remote-linker"], timeout=5)
    until(lambda: node.statistics().links_in == 1, "the link")
    peer.kill()
    if trap:
        notice = notices.get(timeout=5)
        assert not actor.dead
    else:
        with pytest.raises(LinkedFailed) as info:
            actor.wait(timeout=5)
        notice = info.value.value
    assert isinstance(notice, RemoteExited)
    assert (notice.node, notice.actor) == (peer.name, "remote-linker")
    assert notice.reason == "noconnection"
    assert node.statistics().links_in == 0


def test_lost_connection_gives_both_ends_of_links_noconnection(
    real_reactor, own_nats_server, start_peer, hub_errors
):
    """The NATS server goes away: local procs and actors linked either way get noconnection."""
    hub_errors.expect(LinkedFailed)
    node = Node(unique("local"), own_nats_server.url, **node_options(reconnect_wait=0.1)).start()
    try:
        peer = start_peer(server=own_nats_server)
        victim = spawn_remote(node, peer.name, "victim")
        notices = eventlib.Queue()
        node.export("home", Trapping(notices).start(), trap_exits=True)
        node.ref(peer.name, "factory").call(["link", node.ref(node.name, "home"), "p"], timeout=5)
        linker = Proc(name="linker")
        linker.run(lambda: (victim.link(), eventlib.sleep(30)))
        stats = node.statistics
        until(lambda: (stats().links_in, stats().links_out) == (1, 1), "the links both ways")
        own_nats_server.stop()
        with pytest.raises(LinkedFailed) as info:
            linker.wait(timeout=5)
        assert info.value.value.reason == "noconnection"
        assert notices.get(timeout=5).reason == "noconnection"
        own_nats_server.start()
        factory = node.ref(peer.name, "factory")
        record = until(lambda: _try(factory.call, ["exit", "victim"]), "the peer's victim", 15)
        assert record == ["error", "LinkedFailed", node.name, "linker", "noconnection"]
    finally:
        node.stop()


def _try(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, or None while the nodes are not back on the server."""
    try:
        return function(*args, timeout=1)
    except Exception:  # NotConnected, ActorNotRunning until both are back
        return None


def test_a_link_to_an_actor_nobody_exports_fails_the_linker_with_noproc(node, start_peer):
    """Linking to a name the peer does not export: the linker hears noproc, as in Erlang."""
    peer = start_peer()
    ref = node.ref(peer.name, "nobody-exports-this")
    failures = eventlib.Queue()

    def linker() -> None:
        ref.link()
        try:
            eventlib.sleep(30)
        except LinkedFailed as failure:
            failures.put(failure)

    spawn(linker)
    failure = failures.get(timeout=5)
    assert failure.typ is RemoteExited
    assert (failure.value.actor, failure.value.reason) == ("nobody-exports-this", "noproc")


def test_a_link_arriving_after_its_actor_exited_is_answered_with_noproc(node, monkeypatch):
    """A link for an actor that exited before its export was dropped: noproc, nothing kept."""
    published: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        node, "_publish_soon", lambda subject, data: published.append((subject, json.loads(data)))
    )
    ghost = Trapping.spawn(eventlib.Queue())
    ghost.kill()
    assert ghost.dead
    node._exports["ghost"] = ghost  # the race: its exit notice has not dropped the export yet
    node._links.on_message(json.dumps(["link", "elsewhere", "i1", 7, "ghost", "p"]).encode())
    assert published == [(f"eventlib.exit.{node.name}.ghost", ["noproc"])]
    assert node._links.counts() == (0, 0)
