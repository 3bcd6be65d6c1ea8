"""Node: one process's presence in a NATS cluster; it serves exported actors and calls remote ones.

Subjects (``<node>`` and ``<actor>`` are names; both are single NATS subject tokens):

* ``eventlib.actor.<node>.<actor>``: casts (no reply subject) and calls (a reply subject).
  Nobody subscribes when the actor is not exported, so a call gets the server's
  "no responders" status at once.
* ``eventlib.exit.<node>.<actor>``: the owner's notice that an exported actor exited.
* ``eventlib.hb.<node>``: heartbeats; ``eventlib.ping.<node>``: liveness probe of a node name.
* ``$SYS.ACCOUNT.<account>.DISCONNECT``: the server's notice that a connection closed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any, Self

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
    NameTaken,
)
from eventlib.mailbox._actor import _CALL, _CAST
from eventlib.proc import ExitReason, Link, Proc, Source, current_proc, spawn
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
from eventlib.sync import Event, Timeout
from eventlib.twistedutil import block_on

__all__ = ["Node", "RemoteRef"]

_log = get_logger()

_NAME = re.compile(r"[A-Za-z0-9_-]+")

# First byte of a reply: how the call ended on the remote node.
_OK = 0
_HANDLER_FAILED = 1
_DIED = 2
_NOT_RUNNING = 3
_CODEC_FAILED = 4
_MAILBOX_FULL = 5
_PROBE_HEADER = "Eventlib-Probe"
_NO_RESPONDERS = "503"


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid {kind} name {name!r}: use letters, digits, '_' and '-' only "
            "(it becomes a NATS subject token and a key-value key)"
        )
    return name


def _loop_of_reactor() -> asyncio.AbstractEventLoop:
    loop = getattr(get_hub().reactor, "_asyncioEventloop", None)
    if loop is None:
        raise RemoteError(
            "eventlib.remote runs on Twisted's asyncio reactor: call "
            "twisted.internet.asyncioreactor.install() before anything imports "
            "twisted.internet.reactor (pytest: --eventlib-reactor=asyncio)"
        )
    return loop  # type: ignore[no-any-return]


def _import_nats() -> Any:
    try:
        import nats  # noqa: PLC0415 - an optional dependency
        import nats.js.errors  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError("eventlib.remote needs nats-py: pip install 'eventlib[nats]'") from exc
    return nats


def _type_name(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


@attrs.define(eq=False)
class _PendingCall:
    event: Event
    ref: RemoteRef


class _RemoteReply:
    """Stands in a local actor's mailbox for a remote caller's reply Event."""

    __slots__ = ("actor", "actor_name", "done", "node", "subject")

    def __init__(self, node: Node, actor: Actor, actor_name: str, subject: str) -> None:
        self.node = node
        self.actor = actor
        self.actor_name = actor_name
        self.subject = subject
        self.done = False

    def ready(self) -> bool:
        return self.done

    def send(self, result: Any = None, exc: Any = None) -> None:
        assert exc is None
        self._finish()
        try:
            payload = bytes((_OK,)) + self.node.codec.encode(result)
        except CodecError as error:
            payload = bytes((_CODEC_FAILED,)) + _json([f"the reply: {error}"])
        self.node._publish_soon(self.subject, payload)

    def send_exception(self, *throw_args: Any) -> None:
        self._finish()
        error = throw_args[-1] if isinstance(throw_args[-1], BaseException) else throw_args[0]
        if isinstance(error, CallFailed):
            cause = error.cause
            payload = bytes((_HANDLER_FAILED,)) + _json([_type_name(cause), str(cause)])
        elif isinstance(error, ActorDied):
            payload = bytes((_DIED,)) + _json([error.reason, repr(error.error)])
        else:
            payload = bytes((_DIED,)) + _json(["error", repr(error)])
        self.node._publish_soon(self.subject, payload)

    def _finish(self) -> None:
        self.done = True
        self.actor._pending.discard(self)  # type: ignore[arg-type]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class RemoteRef:
    """An actor on some node, reached through this node; the surface of a local :class:`Actor`.

    Get one from :meth:`Node.ref` or :meth:`Node.whereis`. Equal refs name the
    same node and actor.
    """

    __slots__ = ("_via", "actor", "node", "subject")

    def __init__(self, via: Node, node: str, actor: str) -> None:
        self._via = via
        self.node = node
        self.actor = actor
        self.subject = f"eventlib.actor.{node}.{actor}"

    def call(self, message: Any, timeout: float | None = 5) -> Any:
        """Send ``message`` and wait for the remote :meth:`Actor.handle`'s return value.

        Raises:
            TimeoutError: no reply within ``timeout`` seconds (the call may still be handled).
            CallFailed: the remote handler raised; ``cause`` is a
                :class:`RemoteHandlerError` with the remote type name and message.
            ActorDied: the remote actor exited before replying.
            ActorNotRunning: no such actor is exported there (or its node is down).
            NodeDown: its node went down while the call waited.
            NotConnected: this node has no connection to NATS right now.
            CodecError: ``message`` cannot be encoded (nothing was sent).
        """
        return self._via._call(self, message, timeout)

    def cast(self, message: Any) -> None:
        """Send ``message`` without waiting: at most once, no error if it is lost on the way.

        Raises:
            NotConnected: this node has no connection to NATS right now.
            CodecError: ``message`` cannot be encoded (nothing was sent).
        """
        self._via._cast(self, message)

    def link(self, listener: Any = None) -> Link:
        """Notify ``listener`` when the remote actor exits or its node goes down.

        As :meth:`Proc.link`: a proc (default: the caller) gets ``LinkedCompleted``
        (reason normal) or ``LinkedFailed`` carrying :class:`RemoteExited` thrown in;
        an event or queue is sent the outcome; a callable is called with a source.
        The link is one-way: the remote actor does not hear of the listener's exit.
        """
        return self._via._source_for(self.node, self.actor).link(listener)

    def unlink(self, listener: Any = None) -> None:
        source = self._via._sources.get((self.node, self.actor))
        if source is not None:
            source.unlink(listener)

    def monitor(self, listener: Callable[[RemoteExited], Any] | Any) -> Link:
        """Call ``listener(notice)`` (or ``listener.put(notice)``) once the remote actor exits.

        ``notice`` is a :class:`RemoteExited` with ``reason`` normal, error,
        killed, noconnection (its node went down) or noproc (no such actor when
        the monitor was set up). It is delivered, never raised. ``cancel()`` the
        returned link to stop monitoring.
        """
        return self._via._monitor(self.node, self.actor, listener)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteRef):
            return NotImplemented
        return (self.node, self.actor) == (other.node, other.actor)

    def __hash__(self) -> int:
        return hash((self.node, self.actor))

    def __repr__(self) -> str:
        return f"<RemoteRef {self.actor!r} on {self.node!r}>"


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
        system_account: the account whose ``$SYS`` disconnect events to watch
            (the account the node's user is in), or None not to watch them.
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
        system_account: str | None = None,
        names_bucket: str = "eventlib_names",
        nodes_bucket: str = "eventlib_nodes",
        **connect_options: Any,
    ) -> None:
        self.name = _check_name("node", name)
        if heartbeat_interval <= 0 or heartbeat_misses < 1:
            raise ValueError(
                f"heartbeat_interval must be > 0 and heartbeat_misses >= 1, got "
                f"{heartbeat_interval} and {heartbeat_misses}"
            )
        self.servers = servers
        self.codec: Codec = codec if codec is not None else default_codec()
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_misses = heartbeat_misses
        self.reconnect_wait = reconnect_wait
        self.connect_timeout = connect_timeout
        self.system_account = system_account
        self.names_bucket = names_bucket
        self.nodes_bucket = nodes_bucket
        self.connect_options = connect_options
        self.proc: Proc | None = None
        self.incarnation = ""
        self._nc: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exports: dict[str, Actor] = {}
        self._export_subs: dict[str, Any] = {}
        self._export_links: dict[str, Any] = {}
        self._calls: dict[str, _PendingCall] = {}
        self._next_token = 0
        self._inbox = ""
        self._sources: dict[tuple[str, str | None], Source] = {}
        self._seen: dict[str, tuple[str, float, float]] = {}  # node: incarnation, seen, deadline
        self._names: dict[str, tuple[str, int]] = {}  # names this node holds: export, revision
        self._kv_names: Any = None
        self._kv_nodes: Any = None
        self._node_revision = 0
        self._connected = False
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()

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
        nats = _import_nats()
        self._loop = _loop_of_reactor()
        self._stopping = False
        self._wake = Event()
        self.incarnation = os.urandom(8).hex()
        self._inbox = f"_INBOX.eventlib.{self.name}.{self.incarnation}."
        nc = nats.NATS()
        try:
            block_on(
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
            block_on(nc.subscribe(self._inbox + "*", cb=self._on_reply))
            block_on(nc.subscribe("eventlib.exit.*.*", cb=self._on_exit_notice))
            block_on(nc.subscribe("eventlib.hb.*", cb=self._on_heartbeat))
            if self.system_account is not None:
                subject = f"$SYS.ACCOUNT.{self.system_account}.DISCONNECT"
                block_on(nc.subscribe(subject, cb=self._on_disconnect_event))
            for name, actor in list(self._exports.items()):
                self._serve_export(name, actor)
            block_on(nc.flush())
        except BaseException:
            self._connected = False
            self._nc = None
            with Timeout(2, False):
                block_on(nc.close())
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
            for name in list(self._names):
                self._release_name(name)
            with Timeout(2, False):
                block_on(self._kv_nodes.delete(self.name, last=self._node_revision))
        self._go_offline(NotConnected(self.name, "the node was stopped"))
        with Timeout(2, False):
            block_on(nc.close())
        if not self._wake.ready():
            self._wake.send()
        if current_proc() is not proc:
            proc.wait()

    def _run(self) -> None:
        try:
            while not self._stopping:
                with Timeout(self.heartbeat_interval, False):
                    self._wake.wait()
                if self._connected and not self._stopping:
                    self._publish_soon(
                        f"eventlib.hb.{self.name}",
                        _json([self.incarnation, self.heartbeat_interval]),
                    )
                    self._check_heartbeats()
        finally:
            if not self._stopping:
                self._go_offline(NotConnected(self.name, "its node proc exited"))
                nc, self._nc = self._nc, None
                if nc is not None and not nc.is_closed:
                    self._task(nc.close())

    def _proc_exited(self, proc: Proc) -> None:
        self._nc = None
        self._connected = False

    def _claim_node_name(self) -> None:
        nats = _import_nats()
        js = self._nc.jetstream()
        self._kv_nodes = self._bucket(js, self.nodes_bucket)
        self._kv_names = self._bucket(js, self.names_bucket)
        ping = f"eventlib.ping.{self.name}"
        block_on(self._nc.subscribe(ping, cb=self._on_ping))
        value = self.incarnation.encode()
        try:
            self._node_revision = block_on(self._kv_nodes.create(self.name, value))
            return
        except nats.js.errors.KeyWrongLastSequenceError:
            pass
        entry = block_on(self._kv_nodes.get(self.name))
        if self._node_alive(self.name):
            raise NodeNameTaken(self.name)
        try:  # the holder is gone: take the name over, unless someone else just did
            self._node_revision = block_on(
                self._kv_nodes.update(self.name, value, last=entry.revision)
            )
        except nats.js.errors.KeyWrongLastSequenceError:
            raise NodeNameTaken(self.name) from None

    def _bucket(self, js: Any, bucket: str) -> Any:
        nats = _import_nats()
        try:
            return block_on(js.key_value(bucket))
        except nats.js.errors.BucketNotFoundError:
            return block_on(js.create_key_value(bucket=bucket, history=1))

    def _node_alive(self, node: str) -> bool:
        """Whether a node other than this one answers to the name ``node``."""
        nats = _import_nats()
        try:
            answer = block_on(
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
        spawn(self._reassert_names)

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
        self._seen.clear()

    # -- exports -----------------------------------------------------------

    def export(self, name: str, actor: Actor) -> RemoteRef:
        """Serve ``actor`` to other nodes as ``name``; returns its ref.

        The export ends when the actor exits: its monitors and links on other
        nodes fire with the actor's exit reason, and calls get
        ActorNotRunning.

        Raises:
            ValueError: a bad name, or the name is exported already.
            ActorNotRunning: the actor is not running.
        """
        _check_name("actor", name)
        if not isinstance(actor, Actor):
            raise TypeError(f"export() takes an Actor, got {actor!r}")
        if name in self._exports:
            raise ValueError(f"{name!r} is exported already on node {self.name!r}: unexport it")
        actor._running_proc()
        self._exports[name] = actor
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
        self._end_export(name, "normal")

    def exported(self) -> list[str]:
        """The names this node exports."""
        return sorted(self._exports)

    def _serve_export(self, name: str, actor: Actor) -> None:
        async def on_message(msg: Any) -> None:
            self._deliver(name, actor, msg)

        sub = self._nc.subscribe(f"eventlib.actor.{self.name}.{name}", cb=on_message)
        if getcurrent() is not get_hub().greenlet:
            self._export_subs[name] = block_on(sub)
            block_on(self._nc.flush())
        else:
            self._task(self._subscribed(name, sub))

    async def _subscribed(self, name: str, subscribing: Any) -> None:
        self._export_subs[name] = await subscribing

    def _deliver(self, name: str, actor: Actor, msg: Any) -> None:
        reply_to = msg.reply
        if msg.headers and msg.headers.get(_PROBE_HEADER):
            if reply_to:
                self._publish_soon(reply_to, bytes((_OK,)) + self.codec.encode(None))
            return
        try:
            message = self.codec.decode(msg.data)
        except CodecError as error:
            _log.warning("remote.undecodable", node=self.name, actor=name, error=str(error))
            if reply_to:
                self._publish_soon(reply_to, bytes((_CODEC_FAILED,)) + _json([str(error)]))
            return
        try:
            if not reply_to:
                actor.mailbox.put((_CAST, message, None))
                return
            reply = _RemoteReply(self, actor, name, reply_to)
            actor._pending.add(reply)  # type: ignore[arg-type]
            try:
                actor.mailbox.put((_CALL, message, reply))
            except BaseException:
                reply._finish()
                raise
        except MailboxClosed:
            if reply_to:
                self._publish_soon(reply_to, bytes((_NOT_RUNNING,)) + _json(["exited"]))
        except MailboxFull as error:
            _log.warning("remote.mailbox_full", node=self.name, actor=name)
            if reply_to:
                self._publish_soon(reply_to, bytes((_MAILBOX_FULL,)) + _json([error.capacity]))

    def _export_exited(self, name: str, actor: Actor, proc: Proc) -> None:
        if self._exports.get(name) is not actor:
            return
        del self._exports[name]
        self._export_links.pop(name, None)
        self._end_export(name, (proc.exit_reason or ExitReason.KILLED).value)

    def _end_export(self, name: str, reason: str) -> None:
        sub = self._export_subs.pop(name, None)
        if sub is not None and self._connected:
            self._task(sub.unsubscribe())
        self._publish_soon(f"eventlib.exit.{self.name}.{name}", _json([reason]))
        held = [key for key, (actor, _rev) in self._names.items() if actor == name]
        if held and self._connected:
            spawn(self._release_names, held)

    # -- calls -------------------------------------------------------------

    def ref(self, node: str, actor: str) -> RemoteRef:
        """A reference to the actor exported as ``actor`` on ``node`` (no network traffic)."""
        return RemoteRef(self, _check_name("node", node), _check_name("actor", actor))

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
            return self.codec.encode(message)
        except CodecError:
            raise
        except (TypeError, ValueError) as exc:
            raise CodecError(f"{self.codec.name} cannot encode {message!r}: {exc}") from None

    def _call(self, ref: RemoteRef, message: Any, timeout: float | None) -> Any:
        check_not_main_loop(get_hub(), "RemoteRef.call() waits for the reply")
        nc = self._client()
        payload = self._encode(message)
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
        if status == _OK:
            return self.codec.decode(body)
        detail = json.loads(body)
        if status == _HANDLER_FAILED:
            raise CallFailed(ref, RemoteHandlerError(detail[0], detail[1], ref.node, ref.actor))
        if status == _DIED:
            raise ActorDied(ref, detail[0], None)
        if status == _NOT_RUNNING:
            raise ActorNotRunning(f"{ref!r} is not running ({detail[0]})")
        if status == _CODEC_FAILED:
            raise CodecError(f"node {ref.node!r} could not carry {detail[0]}")
        if status == _MAILBOX_FULL:
            raise MailboxFull(detail[0])
        raise RemoteError(f"unknown reply status {status} from {ref!r}")

    async def _on_reply(self, msg: Any) -> None:
        pending = self._calls.get(msg.subject[len(self._inbox) :])
        if pending is None or pending.event.ready():
            return  # the caller gave up (timed out) or was failed already
        headers = msg.headers
        if headers and headers.get("Status") == _NO_RESPONDERS and not msg.data:
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
                self._seen.setdefault(node, ("", time.monotonic(), self._deadline()))
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
        return self._monitor(_check_name("node", node), None, listener)

    async def _probe(self, key: tuple[str, str | None]) -> None:
        node, actor = key
        nats = _import_nats()
        subject = f"eventlib.ping.{node}" if actor is None else f"eventlib.actor.{node}.{actor}"
        try:
            await self._nc.request(subject, b"", timeout=2, headers={_PROBE_HEADER: "1"})
        except nats.errors.NoRespondersError:
            self._fire(key, "noproc" if actor is not None else "noconnection")
        except Exception as error:
            _log.info("remote.probe_failed", target=subject, error=repr(error))

    def _fire(self, key: tuple[str, str | None], reason: str) -> None:
        source = self._sources.pop(key, None)
        if source is None or source.ready():
            return
        node, actor = key
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
        if node == self.name:
            return
        incarnation, interval = json.loads(msg.data)
        previous = self._seen.get(node)
        if previous is not None and previous[0] and previous[0] != incarnation:
            self._node_down(node, "restarted")  # a new incarnation: the old one died
        now = time.monotonic()
        self._seen[node] = (incarnation, now, now + interval * (self.heartbeat_misses + 0.5))

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

    def _node_down(self, node: str, why: str) -> None:
        """``node`` is gone: fail calls waiting for it, fire its links, free its names."""
        if node == self.name:
            return
        _log.warning("remote.node_down", node=node, why=why, observer=self.name)
        self._seen.pop(node, None)
        for call in list(self._calls.values()):
            if call.ref.node == node and not call.event.ready():
                call.event.send_exception(NodeDown(node, f"({why}) while a call waited for it"))
        for key in [key for key in self._sources if key[0] == node]:
            self._fire(key, "noconnection")
        if self._connected:
            spawn(self._release_names_of, node)

    # -- the cluster-wide registry ------------------------------------------

    def register(self, name: str, actor: str | Actor) -> None:
        """Register ``name`` cluster-wide for an actor this node exports.

        The name is released when the actor exits, when this node stops or
        when it goes down (other nodes release it, or the next registration
        finds its holder gone).

        Raises:
            NameTaken: a live actor holds the name.
            ValueError: the actor is not exported by this node.
        """
        nats = _import_nats()
        _check_name("registered", name)
        export = self._export_name(actor)
        self._client()
        value = _json([self.name, export, self.incarnation])
        try:
            self._names[name] = (export, block_on(self._kv_names.create(name, value)))
            return
        except nats.js.errors.KeyWrongLastSequenceError:
            pass
        entry = block_on(self._kv_names.get(name))
        holder_node, holder_actor, _incarnation = json.loads(entry.value)
        holder = RemoteRef(self, holder_node, holder_actor)
        if self._actor_alive(holder):
            raise NameTaken(name, holder)
        try:  # the holder is gone: take the name over, unless someone else just did
            revision = block_on(self._kv_names.update(name, value, last=entry.revision))
        except nats.js.errors.KeyWrongLastSequenceError:
            raise NameTaken(name, self.whereis(name)) from None
        self._names[name] = (export, revision)

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

    def _actor_alive(self, ref: RemoteRef) -> bool:
        nats = _import_nats()
        try:
            block_on(self._nc.request(ref.subject, b"", timeout=1, headers={_PROBE_HEADER: "1"}))
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return False
        return True

    def whereis(self, name: str) -> RemoteRef:
        """The actor registered as ``name`` anywhere in the cluster.

        Raises:
            NameNotRegistered: no actor holds the name.
        """
        nats = _import_nats()
        _check_name("registered", name)
        self._client()
        try:
            entry = block_on(self._kv_names.get(name))
        except nats.js.errors.KeyNotFoundError:
            raise NameNotRegistered(name) from None
        node, actor, _incarnation = json.loads(entry.value)
        return RemoteRef(self, node, actor)

    def unregister(self, name: str) -> None:
        """Release a name this node registered.

        Raises:
            NameNotRegistered: this node holds no such name.
        """
        if name not in self._names:
            raise NameNotRegistered(name)
        self._client()
        self._release_name(name)

    def registered(self) -> list[str]:
        """Every name registered in the cluster."""
        nats = _import_nats()
        self._client()
        try:
            return sorted(block_on(self._kv_names.keys()))
        except nats.js.errors.NoKeysError:
            return []

    def _release_name(self, name: str) -> None:
        _export, revision = self._names.pop(name, ("", 0))
        try:
            block_on(self._kv_names.delete(name, last=revision))
        except Exception as error:
            _log.info("remote.release_failed", name=name, error=repr(error))

    def _release_names(self, names: list[str]) -> None:
        for name in names:
            self._release_name(name)

    def _release_names_of(self, node: str) -> None:
        """Delete the names a dead node held (each only if nobody changed it since)."""
        nats = _import_nats()
        kv = self._kv_names
        try:
            keys = block_on(kv.keys())
        except nats.js.errors.NoKeysError:
            return
        except Exception as error:
            _log.info("remote.release_failed", node=node, error=repr(error))
            return
        for key in keys:
            try:
                entry = block_on(kv.get(key))
                if json.loads(entry.value)[0] == node:
                    block_on(kv.delete(key, last=entry.revision))
            except Exception as error:
                _log.info("remote.release_failed", name=key, error=repr(error))

    def _reassert_names(self) -> None:
        """After a reconnection, take back the names other nodes released while we were away."""
        nats = _import_nats()
        for name, (export, _revision) in list(self._names.items()):
            value = _json([self.name, export, self.incarnation])
            try:
                entry = block_on(self._kv_names.get(name))
            except nats.js.errors.KeyNotFoundError:
                entry = None
            except Exception as error:
                _log.info("remote.reassert_failed", name=name, error=repr(error))
                continue
            if entry is not None and entry.value == value:
                continue
            try:
                if entry is not None:
                    raise nats.js.errors.KeyWrongLastSequenceError
                self._names[name] = (export, block_on(self._kv_names.create(name, value)))
            except nats.js.errors.KeyWrongLastSequenceError:
                _log.warning("remote.name_lost", node=self.name, name=name)
                self._names.pop(name, None)

    def __repr__(self) -> str:
        state = "connected" if self._connected else "offline"
        return f"<Node {self.name!r} {state}>"
