"""Two-way links between local procs and remote actors (Erlang's ``link/1`` across nodes).

A proc on node A that links a :class:`RemoteRef` of actor X on node B hears
when X exits or B goes down (through the ref's source on A), and X hears when
the proc exits: A tells B on ``eventlib.link.<B>``, in JSON:

* ``["link", A, A's incarnation, link id, X, the proc's name]``
* ``["unlink", A, link id]``
* ``["exit", A, link id, reason]``: the proc exited (normal, error or killed).

Messages from one node to another arrive in the order sent, so an ``exit``
never overtakes its ``link``. B gives an abnormal exit to X as
:class:`~eventlib.proc.LinkedFailed` carrying a :class:`RemoteExited`, thrown
into X's proc, as a local link to a proc would; a normal exit is dropped. An
actor exported with ``trap_exits=True`` gets every exit (normal included) as
a :class:`RemoteExited` message in its mailbox instead, like Erlang's
``{'EXIT', Pid, Reason}``. When B finds A down, or B loses its own connection,
X gets reason ``noconnection``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
from greenlet import getcurrent

from eventlib.hub import get_hub
from eventlib.log import get_logger
from eventlib.mailbox import Actor, MailboxClosed, MailboxFull
from eventlib.mailbox._actor import _CAST
from eventlib.proc import ExitReason, Link, LinkedFailed, Proc
from eventlib.remote._errors import RemoteExited
from eventlib.remote._wire import json_bytes

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventlib.remote._node import Node
    from eventlib.remote._ref import RemoteRef

__all__ = ["LinkTable"]

_log = get_logger()


@attrs.define(eq=False)
class _OutLink:
    """A local proc linked to a remote actor: its id on the wire, and the watcher of its exit."""

    id: int
    watcher: Callable[[Proc], None]


@attrs.define(eq=False)
class _InLink:
    """A remote proc linked to an actor this node exports."""

    export: str
    actor: Actor
    node: str
    incarnation: str
    proc_name: str


class LinkTable:
    """Both ends of one node's remote links.

    Args:
        node: the node whose links these are.
    """

    def __init__(self, node: Node) -> None:
        self._node = node
        self._next_id = 0
        self._out: dict[tuple[str, str], dict[Proc, _OutLink]] = {}  # (node, actor): procs
        self._in: dict[str, dict[int, _InLink]] = {}  # remote node: its links here, by id

    # -- this node's procs, linked to remote actors ------------------------

    def link(self, ref: RemoteRef, listener: Any) -> Link:
        """Link ``listener`` to ``ref``'s actor; two-way when the listener is a proc."""
        node = self._node
        source = node._source_for(ref.node, ref.actor)
        link = source.link(listener)
        proc = link.listener
        if source.ready() or not isinstance(proc, Proc) or proc.dead:
            return link  # fired already, or no proc to stand for the local end: one-way
        key = (ref.node, ref.actor)
        procs = self._out.setdefault(key, {})
        if proc in procs:
            return link
        self._next_id += 1
        link_id = self._next_id

        def watcher(exited: Proc) -> None:
            self._local_exited(key, exited)

        procs[proc] = _OutLink(link_id, watcher)
        proc.link(watcher)
        node._publish_soon(
            f"eventlib.link.{ref.node}",
            json_bytes(["link", node.name, node.incarnation, link_id, ref.actor, str(proc.name)]),
        )
        return link

    def unlink(self, ref: RemoteRef, listener: Any) -> None:
        """Undo :meth:`link` at both ends (silent if not linked)."""
        node = self._node
        key = (ref.node, ref.actor)
        target = getcurrent() if listener is None else listener
        source = node._sources.get(key)
        if source is not None:
            source.unlink(target)
        proc = target if isinstance(target, Proc) else getattr(target, "proc", None)
        procs = self._out.get(key)
        record = None if procs is None or proc is None else procs.pop(proc, None)
        if record is None:
            return
        if not procs:
            del self._out[key]
        assert proc is not None
        proc.unlink(record.watcher)
        node._publish_soon(
            f"eventlib.link.{ref.node}", json_bytes(["unlink", node.name, record.id])
        )

    def _local_exited(self, key: tuple[str, str], proc: Proc) -> None:
        procs = self._out.get(key)
        record = None if procs is None else procs.pop(proc, None)
        if record is None:
            return  # unlinked, or its remote end went first
        if not procs:
            del self._out[key]
        node = self._node
        source = node._sources.get(key)
        if source is not None:
            source.unlink(proc)
        reason = (proc.exit_reason or ExitReason.KILLED).value
        node._publish_soon(
            f"eventlib.link.{key[0]}", json_bytes(["exit", node.name, record.id, reason])
        )

    def remote_end_gone(self, key: tuple[str, str]) -> None:
        """The remote actor ``key`` exited or became unreachable: its links are over."""
        for proc, record in self._out.pop(key, {}).items():
            proc.unlink(record.watcher)

    # -- remote procs, linked to this node's actors ------------------------

    def on_message(self, data: bytes) -> None:
        """A link, unlink or exit from another node (MAIN_LOOP)."""
        try:
            self._handle(*json.loads(data))
        except (ValueError, TypeError, IndexError) as error:
            _log.warning("remote.bad_link_message", node=self._node.name, error=repr(error))

    def _handle(self, kind: str, origin: str, *rest: Any) -> None:
        if kind == "link":
            incarnation, link_id, export, proc_name = rest
            self._linked(origin, incarnation, int(link_id), export, str(proc_name))
        elif kind in ("unlink", "exit"):
            links = self._in.get(origin, {})
            link = links.pop(int(rest[0]), None)
            if not links:
                self._in.pop(origin, None)
            if link is not None and kind == "exit":
                self._signal(link, str(rest[1]))
        else:
            raise ValueError(f"unknown kind {kind!r}")

    def _linked(self, origin: str, incarnation: str, link_id: int, export: str, name: str) -> None:
        node = self._node
        actor = node._exports.get(export)
        if actor is None or actor.dead:
            # it exited before the link arrived: the linker hears noproc, as in Erlang
            node._publish_soon(f"eventlib.exit.{node.name}.{export}", json_bytes(["noproc"]))
            return
        self._in.setdefault(origin, {})[link_id] = _InLink(export, actor, origin, incarnation, name)
        node._watch(origin)

    def export_gone(self, export: str) -> None:
        """The actor exported as ``export`` exited or was unexported: its links are over."""
        for origin in list(self._in):
            links = self._in[origin]
            for link_id in [i for i, link in links.items() if link.export == export]:
                del links[link_id]
            if not links:
                del self._in[origin]

    def node_down(self, origin: str, alive: str | None = None) -> None:
        """``origin`` is down: its procs' links here fire with ``noconnection``.

        Args:
            alive: the incarnation of ``origin`` known to be running (it restarted):
                its links stay.
        """
        links = self._in.pop(origin, None)
        if not links:
            return
        kept = {i: link for i, link in links.items() if link.incarnation == alive}
        if kept:
            self._in[origin] = kept
        for link_id, link in links.items():
            if link_id not in kept:
                self._signal(link, "noconnection")

    def offline(self) -> None:
        """This node lost its connection: every remote proc's link fires with ``noconnection``."""
        links = [link for by_id in self._in.values() for link in by_id.values()]
        self._in.clear()
        for link in links:
            self._signal(link, "noconnection")

    def _signal(self, link: _InLink, reason: str) -> None:
        """Give the exit of a remote linked proc to the local actor, as a local link would."""
        actor = link.actor
        proc = actor.proc
        if proc is None or proc.dead or self._node._exports.get(link.export) is not actor:
            return
        notice = RemoteExited(link.node, link.proc_name, reason)
        if link.export in self._node._trapping:
            try:
                actor.mailbox.put((_CAST, notice, None))
            except (MailboxClosed, MailboxFull) as error:
                _log.warning(
                    "remote.exit_signal_lost", actor=link.export, reason=reason, error=repr(error)
                )
        elif reason != "normal":
            signal = LinkedFailed(f"{link.proc_name} on node {link.node}", RemoteExited, notice)
            get_hub().schedule_soon(proc.throw, signal)

    def counts(self) -> tuple[int, int]:
        """``(out, in)``: this node's procs linked out, other nodes' procs linked here."""
        return (
            sum(len(procs) for procs in self._out.values()),
            sum(len(links) for links in self._in.values()),
        )

    def origins(self) -> set[str]:
        """The nodes whose procs link to this node's actors."""
        return set(self._in)
