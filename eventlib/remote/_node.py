"""Node: one process's presence in a NATS cluster; it serves exported actors and calls remote ones.

Subjects (``<node>`` and ``<actor>`` are names; both are single NATS subject tokens):

* ``eventlib.actor.<node>.<actor>``: casts (no reply subject) and calls (a reply subject).
  Nobody subscribes when the actor is not exported, so a call gets the server's
  "no responders" status at once.
* ``eventlib.exit.<node>.<actor>``: the owner's notice that an exported actor exited.
* ``eventlib.link.<node>``: links of other nodes' procs to this node's actors (``_links``).
* ``eventlib.hb.<node>``: heartbeats; ``eventlib.ping.<node>``: liveness probe of a node name.

A node subscribes to the heartbeats and exit notices of the nodes it watches
only: those it monitors or links to, those whose procs link to its actors, and
those it called lately (``_CALL_LINGER`` heartbeat intervals). Traffic then
grows with the links, not with the square of the cluster's size.
* ``$SYS.ACCOUNT.<account>.DISCONNECT``: the server's notice that a connection closed.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any, Self, TypeVar

import attrs
from greenlet import getcurrent

from eventlib.hub import TimeoutError, check_not_main_loop, get_hub
from eventlib.log import get_logger
from eventlib.mailbox import (
    Actor,
    ActorDied,
    ActorNotRunning,
    CallFailed,
    MailboxClosed,
    MailboxFull,
    NameNotRegistered,
)
from eventlib.mailbox._actor import _CALL, _CAST
from eventlib.proc import ExitReason, Link, Proc, Source, current_proc, killall, spawn
from eventlib.remote._codec import Codec, default_codec
from eventlib.remote._errors import (
    CodecError,
    NodeDown,
    NodeNameTaken,
    NotConnected,
    RemoteError,
    RemoteExited,
    RemoteHandlerError,
)
from eventlib.remote._links import LinkTable
from eventlib.remote._ref import RemoteRef
from eventlib.remote._registry import NameRegistry
from eventlib.remote._wire import (
    CODEC_FAILED,
    DIED,
    HANDLER_FAILED,
    MAILBOX_FULL,
    NO_RESPONDERS,
    NOT_RUNNING,
    OK,
    PROBE_HEADER,
    RemoteReply,
    check_name,
    import_nats,
    json_bytes,
    loop_of_reactor,
)
from eventlib.sync import Event, Timeout

__all__ = ["Node", "NodeStatistics"]

T = TypeVar("T")

# A node called within this many heartbeat intervals stays watched (its
# heartbeats fail calls to it when it hangs), without a SUB/UNSUB per call.
_CALL_LINGER = 10

_log = get_logger()


@attrs.frozen
class NodeStatistics:
    """A snapshot of a node (:meth:`Node.statistics`).

    Attributes:
        connected: whether the node is connected to NATS now.
        exports: the number of actors it exports.
        pending_calls: its calls waiting for a reply.
        watched_nodes: the other nodes whose heartbeats it checks.
        heartbeats_received: heartbeats of other nodes it received since it started.
        links_out: links of its procs to remote actors (two-way ones).
        links_in: links of other nodes' procs to its exported actors.
    """

    connected: bool
    exports: int
    pending_calls: int
    watched_nodes: int
    heartbeats_received: int
    links_out: int
    links_in: int


@attrs.define(eq=False)
class _PendingCall:
    event: Event
    ref: RemoteRef


class Node:
    """This process's node in a NATS cluster, under a name unique in the cluster.

    It serves the actors it exports, calls remote ones through :class:`RemoteRef`,
    publishes heartbeats, reconnects by itself, and watches other nodes: the
    server's disconnect events (when its system account exports them to the
    node's account) and missed heartbeats both mark a node down, which fails
    calls waiting for it and fires monitors and links with reason
    ``noconnection``. A cluster-wide registry of names lives in a NATS
    JetStream key-value bucket.

    Runs on Twisted's asyncio reactor. :meth:`start` returns the node with its
    ``proc`` running, so a supervisor can own it (``ChildSpec(id, node.start)``):
    the proc fails when the connection is closed for good, and a restart
    connects again and serves the same exports.

    Example::

        node = Node("billing", "nats://127.0.0.1:4222").start()
        node.export("ledger", Ledger.spawn())
        total = node.ref("frontend", "cart").call({"op": "total"}, timeout=2)

    Args:
        name: the node's name (letters, digits, ``_``, ``-``).
        servers: NATS server URL(s).
        codec: how messages cross the wire (default: msgpack).
        heartbeat_interval: seconds between heartbeats.
        heartbeat_misses: heartbeats missed before a node is declared down.
        reconnect_wait: seconds between reconnection attempts.
        connect_timeout: seconds to wait for the first connection.
        events_account: the NATS account (the one the node's user is in) whose
            ``$SYS.ACCOUNT.<account>.DISCONNECT`` events to watch; the server's
            system account must export them to it. None: heartbeats only.
        names_bucket: the JetStream key-value bucket of the cluster-wide registry.
        nodes_bucket: the bucket that keeps node names unique.
        connect_options: more ``nats.connect()`` options (user, password, tls...).
    """

    def __init__(
        self,
        name: str,
        servers: str | list[str] = "nats://127.0.0.1:4222",
        *,
        codec: Codec | None = None,
        heartbeat_interval: float = 1.0,
        heartbeat_misses: int = 3,
        reconnect_wait: float = 0.5,
        connect_timeout: float = 2.0,
        events_account: str | None = None,
        names_bucket: str = "eventlib_names",
        nodes_bucket: str = "eventlib_nodes",
        **connect_options: Any,
    ) -> None:
        self.name = check_name("node", name)
        if heartbeat_interval <= 0 or heartbeat_misses < 1:
            raise ValueError(
                f"heartbeat_interval must be > 0 and heartbeat_misses >= 1, got "
                f"{heartbeat_interval} and {heartbeat_misses}"
            )
        self.servers = servers
        self.codec: Codec = codec if codec is not None else default_codec()
        with_refs = getattr(self.codec, "with_refs", None)
        # what crosses the wire: the codec, carrying refs of this node when it can
        self._codec: Codec = with_refs(_RefWire(self)) if with_refs is not None else self.codec
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_misses = heartbeat_misses
        self.reconnect_wait = reconnect_wait
        self.connect_timeout = connect_timeout
        self.events_account = events_account
        self.names_bucket = names_bucket
        self.nodes_bucket = nodes_bucket
        self.connect_options = connect_options
        self.proc: Proc | None = None
        self.incarnation = ""
        self._nc: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exports: dict[str, Actor] = {}
        self._exported_as: dict[int, str] = {}  # id(actor): its first export name
        self._trapping: set[str] = set()  # exports that get remote exits as messages
        self._links = LinkTable(self)
        self._export_subs: dict[str, Any] = {}
        self._export_links: dict[str, Any] = {}
        self._calls: dict[str, _PendingCall] = {}
        self._next_token = 0
        self._inbox = ""
        self._sources: dict[tuple[str, str | None], Source] = {}
        self._seen: dict[str, tuple[str, float, float]] = {}  # node: incarnation, seen, deadline
        self._watched: dict[str, list[Any]] = {}  # node: its heartbeat and exit subscriptions
        self._called: dict[str, int] = {}  # node: the tick of the last call to it
        self._tick = 0  # heartbeat intervals since the start
        self._heartbeats = 0  # heartbeats received
        self._registry = NameRegistry(self.name, names_bucket, self._await, self._client)
        self._kv_nodes: Any = None
        self._node_revision = 0
        self._connected = False
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._helpers: set[Proc] = set()
        self._wake = Event()  # set by stop(): the node proc's loop ends

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        """Connect, claim the node name, serve the exports; returns self with ``proc`` running.

        Blocks the calling proc until connected.

        Raises:
            NodeNameTaken: a live node uses this name.
            RemoteError: not on the asyncio reactor.
            OSError / nats errors: no server could be reached in ``connect_timeout``.
        """
        if self.proc is not None and not self.proc.dead:
            raise RemoteError(f"node {self.name!r} is running already")
        check_not_main_loop(get_hub(), "Node.start() connects and waits")
        nats = import_nats()
        self._loop = loop_of_reactor()
        self._stopping = False
        self._wake = Event()
        self.incarnation = os.urandom(8).hex()
        self._inbox = f"_INBOX.eventlib.{self.name}.{self.incarnation}."
        nc = nats.NATS()
        try:
            self._await(
                nc.connect(
                    self.servers,
                    name=f"eventlib:{self.name}",
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=self.reconnect_wait,
                    connect_timeout=self.connect_timeout,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    closed_cb=self._on_closed,
                    error_cb=self._on_error,
                    **self.connect_options,
                )
            )
            self._nc = nc
            self._connected = True
            self._claim_node_name()
            self._await(nc.subscribe(self._inbox + "*", cb=self._on_reply))
            self._watched = {}
            self._called = {}
            own_exits = f"eventlib.exit.{self.name}.*"  # refs to this node's own actors
            self._await(nc.subscribe(own_exits, cb=self._on_exit_notice))
            self._await(nc.subscribe(f"eventlib.link.{self.name}", cb=self._on_link_message))
            if self.events_account is not None:
                subject = f"$SYS.ACCOUNT.{self.events_account}.DISCONNECT"
                self._await(nc.subscribe(subject, cb=self._on_disconnect_event))
            for name, actor in list(self._exports.items()):
                self._serve_export(name, actor)
            self._await(nc.flush())
        except BaseException:
            self._connected = False
            self._nc = None
            with Timeout(2, False):
                self._await(nc.close())
            raise
        proc = Proc(name=f"node {self.name}")
        self.proc = proc
        proc.run(self._run)
        proc.link(self._proc_exited)
        return self

    def stop(self) -> None:
        """Release this node's names, close the connection and end its proc (reason normal)."""
        proc = self.proc
        if proc is None or proc.dead or self._stopping:
            return
        self._stopping = True
        nc = self._nc
        if self._connected:
            for name in list(self._registry.held):
                self._registry.release(name)
            with Timeout(2, False):
                self._await(self._kv_nodes.delete(self.name, last=self._node_revision))
        self._go_offline(NotConnected(self.name, "the node was stopped"))
        killall(list(self._helpers))
        with Timeout(2, False):
            self._await(nc.close())
        self._nc = None
        if not self._wake.ready():
            self._wake.send()
        if current_proc() is not proc:
            proc.wait()

    def _run(self) -> None:
        """The node proc: heartbeats out, missed heartbeats in, until stopped or failed."""
        while not self._stopping:
            with Timeout(self.heartbeat_interval, False):
                self._wake.wait()
            if self._connected and not self._stopping:
                self._publish_soon(
                    f"eventlib.hb.{self.name}",
                    json_bytes([self.incarnation, self.heartbeat_interval]),
                )
                self._check_heartbeats()
                self._tick += 1
                self._drop_watches()

    def _proc_exited(self, _proc: Proc) -> None:
        """However the node proc ended (stopped, failed, killed), the node is offline."""
        if self._stopping:
            return  # stop() is closing the connection in order
        killall(list(self._helpers))
        self._go_offline(NotConnected(self.name, "its node proc exited"))
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            self._task(nc.close())

    def _claim_node_name(self) -> None:
        nats = import_nats()
        js = self._nc.jetstream()
        self._kv_nodes = self._bucket(js, self.nodes_bucket)
        self._registry.open(self._bucket(js, self.names_bucket), self.incarnation)
        ping = f"eventlib.ping.{self.name}"
        self._await(self._nc.subscribe(ping, cb=self._on_ping))
        value = self.incarnation.encode()
        try:
            self._node_revision = self._await(self._kv_nodes.create(self.name, value))
        except nats.js.errors.KeyWrongLastSequenceError:
            self._take_over_node_name(value)

    def _take_over_node_name(self, value: bytes) -> None:
        nats = import_nats()
        entry = self._await(self._kv_nodes.get(self.name))
        if self._node_alive(self.name):
            raise NodeNameTaken(self.name)
        try:  # the holder is gone: take the name over, unless someone else just did
            self._node_revision = self._await(
                self._kv_nodes.update(self.name, value, last=entry.revision)
            )
        except nats.js.errors.KeyWrongLastSequenceError:
            raise NodeNameTaken(self.name) from None

    def _bucket(self, js: Any, bucket: str) -> Any:
        nats = import_nats()
        try:
            return self._await(js.key_value(bucket))
        except nats.js.errors.BucketNotFoundError:
            return self._await(js.create_key_value(bucket=bucket, history=1))

    def _node_alive(self, node: str) -> bool:
        """Whether a node other than this one answers to the name ``node``."""
        nats = import_nats()
        try:
            answer = self._await(
                self._nc.request(f"eventlib.ping.{node}", self.incarnation.encode(), timeout=1)
            )
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return False
        return bool(answer.data != self.incarnation.encode())

    async def _on_ping(self, msg: Any) -> None:
        if msg.reply and msg.data != self.incarnation.encode():
            await self._nc.publish(msg.reply, self.incarnation.encode())

    # -- connection events (asyncio callbacks, in MAIN_LOOP) ----------------

    async def _on_disconnected(self) -> None:
        if self._connected and not self._stopping:
            _log.warning("remote.disconnected", node=self.name)
            self._go_offline(NotConnected(self.name, "the connection was lost; reconnecting"))

    async def _on_reconnected(self) -> None:
        if self._stopping:
            return
        _log.info("remote.reconnected", node=self.name)
        self._connected = True
        self._seen.clear()
        self._spawn(self._registry.reassert)

    async def _on_closed(self) -> None:
        proc = self.proc
        self._connected = False
        if not self._stopping and proc is not None and not proc.dead:
            proc.throw(NotConnected(self.name, "the connection was closed for good"))

    async def _on_error(self, error: Exception) -> None:
        _log.info("remote.connection_error", node=self.name, error=repr(error))

    def _go_offline(self, error: NotConnected) -> None:
        """Fail what waits for the network: calls, and links (noconnection, as in OTP)."""
        self._connected = False
        for call in list(self._calls.values()):
            if not call.event.ready():
                call.event.send_exception(error)
        for key in list(self._sources):
            self._fire(key, "noconnection")
        self._links.offline()
        self._seen.clear()
        self._called.clear()

    # -- exports -----------------------------------------------------------

    def export(self, name: str, actor: Actor, *, trap_exits: bool = False) -> RemoteRef:
        """Serve ``actor`` to other nodes as ``name``; returns its ref.

        The export ends when the actor exits: its monitors and links on other
        nodes fire with the actor's exit reason, and calls get
        ActorNotRunning. Once exported, the actor can be sent inside messages
        (it travels as this ref).

        Procs on other nodes that link to it are linked both ways: when one
        exits abnormally (or its node goes down: ``noconnection``), the actor's
        proc gets :class:`LinkedFailed` carrying a :class:`RemoteExited` thrown
        in, as from a local link; a normal exit is ignored.

        Args:
            trap_exits: instead, put every linked remote proc's exit (normal
                included) in the actor's mailbox as a :class:`RemoteExited`
                message for :meth:`Actor.handle`, as Erlang's ``trap_exit``.

        Raises:
            ValueError: a bad name, or the name is exported already.
            ActorNotRunning: the actor is not running.
        """
        check_name("actor", name)
        if not isinstance(actor, Actor):
            raise TypeError(f"export() takes an Actor, got {actor!r}")
        if name in self._exports:
            raise ValueError(f"{name!r} is exported already on node {self.name!r}: unexport it")
        actor._running_proc()
        self._exports[name] = actor
        self._exported_as.setdefault(id(actor), name)
        if trap_exits:
            self._trapping.add(name)
        self._export_links[name] = actor.link(lambda proc: self._export_exited(name, actor, proc))
        if self._connected:
            self._serve_export(name, actor)
        return RemoteRef(self, self.name, name)

    def unexport(self, name: str) -> None:
        """Stop serving ``name`` (the actor keeps running; remote monitors see reason normal)."""
        actor = self._exports.pop(name, None)
        if actor is None:
            raise ValueError(f"{name!r} is not exported on node {self.name!r}")
        link = self._export_links.pop(name)
        link.cancel()
        self._forget_export(name, actor)
        self._end_export(name, "normal")

    def exported(self) -> list[str]:
        """The names this node exports."""
        return sorted(self._exports)

    def _serve_export(self, name: str, actor: Actor) -> None:
        async def on_message(msg: Any) -> None:
            self._deliver(name, actor, msg)

        sub = self._nc.subscribe(f"eventlib.actor.{self.name}.{name}", cb=on_message)
        if getcurrent() is not get_hub().greenlet:
            self._export_subs[name] = self._await(sub)
            self._await(self._nc.flush())
        else:
            self._task(self._subscribed(name, sub))

    async def _subscribed(self, name: str, subscribing: Any) -> None:
        self._export_subs[name] = await subscribing

    def _deliver(self, name: str, actor: Actor, msg: Any) -> None:
        reply_to = msg.reply
        if msg.headers and msg.headers.get(PROBE_HEADER):
            if reply_to:
                self._publish_soon(reply_to, bytes((OK,)) + self.codec.encode(None))
            return
        try:
            message = self._codec.decode(msg.data)
        except CodecError as error:
            _log.warning("remote.undecodable", node=self.name, actor=name, error=str(error))
            if reply_to:
                self._publish_soon(reply_to, bytes((CODEC_FAILED,)) + json_bytes([str(error)]))
            return
        self._enqueue(name, actor, message, reply_to)

    def _enqueue(self, name: str, actor: Actor, message: Any, reply_to: str) -> None:
        try:
            if not reply_to:
                actor.mailbox.put((_CAST, message, None))
                return
            reply = RemoteReply(actor, reply_to, self._codec, self._publish_soon)
            actor._pending.add(reply)  # type: ignore[arg-type]
            try:
                actor.mailbox.put((_CALL, message, reply))
            except BaseException:
                reply.finish()
                raise
        except MailboxClosed:
            if reply_to:
                self._publish_soon(reply_to, bytes((NOT_RUNNING,)) + json_bytes(["exited"]))
        except MailboxFull as error:
            _log.warning("remote.mailbox_full", node=self.name, actor=name)
            if reply_to:
                self._publish_soon(reply_to, bytes((MAILBOX_FULL,)) + json_bytes([error.capacity]))

    def _export_exited(self, name: str, actor: Actor, proc: Proc) -> None:
        if self._exports.get(name) is not actor:
            return
        del self._exports[name]
        self._export_links.pop(name, None)
        self._forget_export(name, actor)
        self._end_export(name, (proc.exit_reason or ExitReason.KILLED).value)

    def _forget_export(self, name: str, actor: Actor) -> None:
        self._trapping.discard(name)
        self._links.export_gone(name)
        if self._exported_as.get(id(actor)) == name:
            del self._exported_as[id(actor)]
            for other, exported in self._exports.items():
                if exported is actor:  # still exported under another name: refs use that one
                    self._exported_as[id(actor)] = other
                    break

    def _end_export(self, name: str, reason: str) -> None:
        sub = self._export_subs.pop(name, None)
        if sub is not None and self._connected:
            self._task(sub.unsubscribe())
        self._publish_soon(f"eventlib.exit.{self.name}.{name}", json_bytes([reason]))
        if self._connected and any(export == name for export, _ in self._registry.held.values()):
            self._spawn(self._registry.release_export, name)

    # -- calls -------------------------------------------------------------

    def ref(self, node: str, actor: str) -> RemoteRef:
        """A reference to the actor exported as ``actor`` on ``node`` (no network traffic)."""
        return RemoteRef(self, check_name("node", node), check_name("actor", actor))

    def _client(self) -> Any:
        if not self._connected or self._nc is None:
            proc = self.proc
            detail = (
                "it was never started or has stopped"
                if proc is None or proc.dead
                else "the connection is lost; it is reconnecting"
            )
            raise NotConnected(self.name, detail)
        return self._nc

    def _encode(self, message: Any) -> bytes:
        try:
            return self._codec.encode(message)
        except CodecError:
            raise
        except (TypeError, ValueError) as exc:
            raise CodecError(f"{self.codec.name} cannot encode {message!r}: {exc}") from None

    def _call(self, ref: RemoteRef, message: Any, timeout: float | None) -> Any:
        check_not_main_loop(get_hub(), "RemoteRef.call() waits for the reply")
        nc = self._client()
        payload = self._encode(message)
        node = ref.node
        self._called[node] = self._tick
        if node not in self._watched:
            self._watch(node)
        self._next_token += 1
        token = str(self._next_token)
        pending = _PendingCall(Event(), ref)
        self._calls[token] = pending
        try:
            self._task(nc.publish(ref.subject, payload, reply=self._inbox + token))
            try:
                data: bytes = pending.event.wait(timeout)
            except TimeoutError:
                _log.warning("call.timed_out", actor=repr(ref), timeout=timeout)
                raise
        finally:
            del self._calls[token]
        return self._reply_value(ref, data)

    def _reply_value(self, ref: RemoteRef, data: bytes) -> Any:
        status, body = data[0], data[1:]
        if status == OK:
            return self._codec.decode(body)
        detail = json.loads(body)
        if status == HANDLER_FAILED:
            raise CallFailed(ref, RemoteHandlerError(detail[0], detail[1], ref.node, ref.actor))
        if status == DIED:
            raise ActorDied(ref, detail[0], None)
        if status == NOT_RUNNING:
            raise ActorNotRunning(f"{ref!r} is not running ({detail[0]})")
        if status == CODEC_FAILED:
            raise CodecError(f"node {ref.node!r} could not carry {detail[0]}")
        if status == MAILBOX_FULL:
            raise MailboxFull(detail[0])
        raise RemoteError(f"unknown reply status {status} from {ref!r}")

    async def _on_reply(self, msg: Any) -> None:
        pending = self._calls.get(msg.subject[len(self._inbox) :])
        if pending is None or pending.event.ready():
            return  # the caller gave up (timed out) or was failed already
        headers = msg.headers
        if headers and headers.get("Status") == NO_RESPONDERS and not msg.data:
            pending.event.send_exception(
                ActorNotRunning(
                    f"{pending.ref!r}: nothing is exported under that name there "
                    "(never exported, exited, or its node is down)"
                )
            )
            return
        pending.event.send(msg.data)

    def _cast(self, ref: RemoteRef, message: Any) -> None:
        nc = self._client()
        self._task(nc.publish(ref.subject, self._encode(message)))

    def _publish_soon(self, subject: str, payload: bytes, reply: str = "") -> None:
        nc = self._nc
        if nc is None or not self._connected:
            return
        self._task(nc.publish(subject, payload, reply=reply))

    def _await(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Wait for an asyncio coroutine from a proc; a waiter that gives up cancels it."""
        assert self._loop is not None
        done = Event()
        task = self._loop.create_task(coroutine)

        def settle(task: asyncio.Task[T]) -> None:
            if task.cancelled():
                done.send_exception(asyncio.CancelledError())
            elif (error := task.exception()) is not None:
                done.send_exception(error)
            else:
                done.send(task.result())

        task.add_done_callback(settle)
        try:
            return done.wait()  # type: ignore[no-any-return]
        finally:
            if not task.done():
                task.cancel()

    def _spawn(self, function: Callable[..., Any], *args: Any) -> None:
        """Run node housekeeping in a proc of its own, killed when the node stops."""
        proc = spawn(function, *args)
        self._helpers.add(proc)
        proc.link(self._helpers.discard)

    def _task(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.warning("remote.send_failed", node=self.name, error=repr(task.exception()))

    # -- monitors, links and node-down detection ----------------------------

    def _source_for(self, node: str, actor: str | None) -> Source:
        key = (node, actor)
        source = self._sources.get(key)
        if source is None:
            name = f"{actor!r} on node {node!r}" if actor is not None else f"node {node!r}"
            source = self._sources[key] = Source(name=name)
            if not self._connected:
                self._fire(key, "noconnection")
            else:
                self._watch(node)
                self._task(self._probe(key))
        return source

    def _monitor(self, node: str, actor: str | None, listener: Any) -> Link:
        deliver = getattr(listener, "put", None) or listener
        if not callable(deliver):
            raise TypeError(f"a monitor's listener is a callable or a queue, got {listener!r}")

        def notify(source: Source) -> None:
            notice = source.exc_info()[1] if source.has_exception() else source.value
            deliver(notice)

        return self._source_for(node, actor).link(notify)

    def monitor_node(self, node: str, listener: Callable[[RemoteExited], Any] | Any) -> Link:
        """Call ``listener(notice)`` (or ``.put``) when ``node`` goes down (reason noconnection)."""
        return self._monitor(check_name("node", node), None, listener)

    async def _probe(self, key: tuple[str, str | None]) -> None:
        node, actor = key
        nats = import_nats()
        subject = f"eventlib.ping.{node}" if actor is None else f"eventlib.actor.{node}.{actor}"
        try:
            await self._nc.request(subject, b"", timeout=2, headers={PROBE_HEADER: "1"})
        except nats.errors.NoRespondersError:
            self._fire(key, "noproc" if actor is not None else "noconnection")
            if self._seen.get(node, ("?",))[0] == "":
                del self._seen[node]  # never heard of: no node to declare down later
        except Exception as error:
            _log.info("remote.probe_failed", target=subject, error=repr(error))

    def _fire(self, key: tuple[str, str | None], reason: str) -> None:
        source = self._sources.pop(key, None)
        if source is None or source.ready():
            return
        node, actor = key
        if actor is not None:
            self._links.remote_end_gone((node, actor))
        notice = RemoteExited(node, actor or "", reason)
        if reason == "normal":
            source.send(notice)
        else:
            source.send_exception(notice)

    async def _on_exit_notice(self, msg: Any) -> None:
        _prefix, _exit, node, actor = msg.subject.split(".")
        if (node, actor) in self._sources:
            self._fire((node, actor), json.loads(msg.data)[0])

    async def _on_heartbeat(self, msg: Any) -> None:
        node = msg.subject.rsplit(".", 1)[1]
        if node not in self._watched:
            return  # unwatched since the subscription was made
        self._heartbeats += 1
        incarnation, interval = json.loads(msg.data)
        previous = self._seen.get(node)
        if previous is not None and previous[0] and previous[0] != incarnation:
            self._node_down(node, "restarted", incarnation)  # a new incarnation: the old died
        now = time.monotonic()
        self._seen[node] = (incarnation, now, now + interval * (self.heartbeat_misses + 0.5))

    def _watch(self, node: str) -> None:
        """Watch ``node``: its heartbeats (missing ones count from now) and exit notices."""
        if node == self.name:
            return
        self._seen.setdefault(node, ("", time.monotonic(), self._deadline()))
        if node not in self._watched and self._connected:
            subscriptions: list[Any] = []
            self._watched[node] = subscriptions
            # SUBs go out before anything published after this call (one connection, in order)
            nc, subs = self._nc, subscriptions
            self._task(self._subscribe(nc, subs, f"eventlib.hb.{node}", self._on_heartbeat))
            self._task(self._subscribe(nc, subs, f"eventlib.exit.{node}.*", self._on_exit_notice))

    async def _subscribe(self, nc: Any, into: list[Any], subject: str, callback: Any) -> None:
        subscription = await nc.subscribe(subject, cb=callback)
        into.append(subscription)
        if not any(subs is into for subs in self._watched.values()):
            await subscription.unsubscribe()  # unwatched meanwhile

    def _drop_watches(self) -> None:
        """Stop watching the nodes nothing here depends on any more (each heartbeat interval)."""
        tick = self._tick
        for node, last in list(self._called.items()):
            if tick - last > _CALL_LINGER:
                del self._called[node]
        wanted = {node for node, _actor in self._sources}
        wanted.update(self._called, self._links.origins())
        wanted.update(call.ref.node for call in self._calls.values())
        for node in [node for node in self._watched if node not in wanted]:
            self._seen.pop(node, None)
            for subscription in self._watched.pop(node):
                self._task(subscription.unsubscribe())

    async def _on_link_message(self, msg: Any) -> None:
        self._links.on_message(msg.data)

    def _deadline(self) -> float:
        return time.monotonic() + self.heartbeat_interval * (self.heartbeat_misses + 0.5)

    def _check_heartbeats(self) -> None:
        now = time.monotonic()
        for node, (_incarnation, _seen, deadline) in list(self._seen.items()):
            if now > deadline:
                self._node_down(node, "missed heartbeats")

    async def _on_disconnect_event(self, msg: Any) -> None:
        client = json.loads(msg.data).get("client", {})
        name = client.get("name", "")
        if name.startswith("eventlib:") and name[9:] != self.name:
            self._node_down(name[9:], "the server reported its disconnection")

    def _node_down(self, node: str, why: str, alive: str | None = None) -> None:
        """``node`` is gone: fail calls waiting for it, fire its links, free its names.

        ``alive``: the incarnation of ``node`` that replaced the dead one, if known.
        """
        if node == self.name:
            return
        _log.warning("remote.node_down", node=node, why=why, observer=self.name)
        self._seen.pop(node, None)
        self._called.pop(node, None)
        for call in list(self._calls.values()):
            if call.ref.node == node and not call.event.ready():
                call.event.send_exception(NodeDown(node, f"({why}) while a call waited for it"))
        for key in [key for key in self._sources if key[0] == node]:
            self._fire(key, "noconnection")
        self._links.node_down(node, alive)
        if self._connected:
            self._spawn(self._registry.release_names_of, node)

    # -- the cluster-wide registry (eventlib.remote._registry) --------------

    def register(self, name: str, actor: str | Actor) -> None:
        """Register ``name`` cluster-wide for an actor this node exports.

        The name is released when the actor exits, when this node stops, and
        when it goes down (the nodes that see it go release it, and a later
        registration finds its holder gone and takes it over).

        Raises:
            NameTaken: a live actor holds the name.
            ValueError: the actor is not exported by this node.
            NotConnected: this node has no connection to NATS right now.
        """
        check_name("registered", name)
        export = self._export_name(actor)
        self._client()
        self._registry.register(name, export)

    def whereis(self, name: str) -> RemoteRef:
        """The actor registered as ``name`` anywhere in the cluster.

        Raises:
            NameNotRegistered: no actor holds the name.
            NotConnected: this node has no connection to NATS right now.
        """
        check_name("registered", name)
        self._client()
        node, actor = self._registry.whereis(name)
        return RemoteRef(self, node, actor)

    def unregister(self, name: str) -> None:
        """Release a name this node registered.

        Raises:
            NameNotRegistered: this node holds no such name.
        """
        if name not in self._registry.held:
            raise NameNotRegistered(name)
        self._client()
        self._registry.release(name)

    def registered(self) -> list[str]:
        """Every name registered in the cluster."""
        self._client()
        return sorted(self._registry.entries())

    def _export_name(self, actor: str | Actor) -> str:
        if isinstance(actor, str):
            if actor in self._exports:
                return actor
        else:
            for name, exported in self._exports.items():
                if exported is actor:
                    return name
        raise ValueError(
            f"{actor!r} is not exported by node {self.name!r}: export(name, actor) it first"
        )

    def statistics(self) -> NodeStatistics:
        """A snapshot of this node: connection, exports, calls, watched nodes, links."""
        links_out, links_in = self._links.counts()
        return NodeStatistics(
            connected=self._connected,
            exports=len(self._exports),
            pending_calls=len(self._calls),
            watched_nodes=len(self._watched),
            heartbeats_received=self._heartbeats,
            links_out=links_out,
            links_in=links_in,
        )

    def __repr__(self) -> str:
        state = "connected" if self._connected else "offline"
        return f"<Node {self.name!r} {state}>"


class _RefWire:
    """A node's side of carrying refs in messages (see ``Codec.with_refs``)."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    def ref_to_wire(self, value: Any) -> tuple[str, str] | None:
        if isinstance(value, RemoteRef):
            return (value.node, value.actor)
        if isinstance(value, Actor):
            node = self._node
            name = node._exported_as.get(id(value))
            if name is None or node._exports.get(name) is not value:
                raise CodecError(
                    f"{value!r} is not exported by node {node.name!r}, so it cannot be sent "
                    "to another node: node.export(name, actor) it first (it then travels as "
                    "its RemoteRef)"
                )
            return (node.name, name)
        return None

    def ref_from_wire(self, node: str, actor: str) -> RemoteRef:
        try:
            return RemoteRef(self._node, check_name("node", node), check_name("actor", actor))
        except ValueError as error:
            raise CodecError(f"a ref that arrived is invalid: {error}") from None
