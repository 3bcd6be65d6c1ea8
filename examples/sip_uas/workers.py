"""The SIP UAS on N worker processes: ``python -m examples.sip_uas --workers N``.

The parent opens the SIP ports once (one SO_REUSEPORT socket per worker,
:class:`eventlib.workers.SharedSockets`) and runs a
:class:`eventlib.workers.WorkerPool`; worker *i* runs this module
(``python -m examples.sip_uas.workers``), adopts socket *i* and serves it
with its own :class:`SipServer` and supervision tree. The kernel sends each
client (address and port) to one socket, so each call stays with one worker.

When a worker dies, its sockets stay open in the parent: datagrams for it
wait there, and its replacement (same socket) answers them. An INVITE it
had not answered is retransmitted and served as a new call. A call whose
200 OK it had sent is over with it; the caller's BYE reaches the successor,
which knows from the To tag that its own slot's previous process made that
dialog and answers 200 OK (the call has ended, as the BYE asks) rather than
481, which would turn a finished call into a failed one.

With ``--nats URL`` each worker also joins a NATS cluster as node
``sip-w<index>`` (:mod:`eventlib.remote`) and exports a ``dialogs`` actor. An
in-dialog UDP request that reaches a worker that does not own its dialog (a
BYE from another source port, hashed by the kernel to another socket) is
forwarded, raw, with its source address: the To tag names the owning slot, and
the owner routes it by Call-ID to the call's session, which answers from the
owner's socket (the same address and port: SO_REUSEPORT). Forwarding is a
``cast``, at most once, like UDP itself: the client's retransmission covers a loss.

A CANCEL names no dialog: it matches the INVITE's server transaction (RFC 3261
§9.2), and while the INVITE rings the client knows no To tag. A CANCEL
for a Call-ID this worker does not have is looked up: the worker asks every
other slot's ``dialogs`` actor, concurrently, "do you have Call-ID X? then take
this CANCEL" (a ``call`` each, ``lookup_timeout`` bounds it). The owner routes
it to the call's session (200 OK to the CANCEL from the owner's socket, 487 to
the INVITE); if every other worker says no, the CANCEL gets 481; if one did not
answer in time (or NATS is out of reach), it is dropped and its retransmission
asks again. At most ``max_lookups`` lookups run at once, one per Call-ID (a
retransmission that arrives during its lookup is dropped); beyond that a CANCEL
is dropped too.

Over TCP the answers must go back over the connection the request came on (RFC
3261 §18.2.2), which is the receiving worker's, and a TCP client does not
retransmit. So a TCP request for another worker's call is *relayed*: the
receiving worker ``call``s the owner with the raw request and its source (one of
its :data:`RELAY_ACTORS`, chosen by Call-ID, so that a session slow to answer
holds back only the calls that share its actor); the owner routes it to the
call's session through an endpoint that keeps the responses instead of sending
them, waits (at most half of ``relay_timeout``) for the final one, and returns
them all in the reply; the receiving worker writes them on its connection. A
CANCEL over TCP is looked up as over UDP and its 200 comes back the same way
(the 487 goes to the INVITE's own connection, the owner's). An ACK is sent on
without waiting (it gets no answer). A relay whose owner gives no final answer
in time (or cannot be reached, or while ``max_relays`` relays wait here already;
or a TCP CANCEL whose lookup gets no answer) is answered ``500`` with
``Retry-After: 1``: dropping it would leave the client waiting 32 s (Timer F)
for nothing, since it does not retransmit over TCP; 408 would end the dialog
(RFC 3261 §12.2.1.2) though the owner may only be slow; 503 would tell the
client to try another server (§21.5.4), which cannot serve this dialog either;
500 with Retry-After is the "not now, later" that §14.2 gives a re-INVITE which
cannot be handled yet.

Stopping (SIGTERM or Ctrl-C to the parent): every worker stops taking calls
(new INVITEs get 503 Retry-After), lets its running calls end within
``--drain`` seconds, then exits; the parent exits last (status 1 instead if
the pool gave up because its workers kept dying). SIGHUP to the parent is a
rolling restart (:meth:`WorkerPool.rolling_restart`): one worker at a time is
drained and replaced; there new INVITEs over UDP are left unanswered instead,
so their retransmissions reach the successor.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import zlib
from typing import Any

import attrs
import structlog

import eventlib
from eventlib.green import subprocess
from eventlib.mailbox import Actor, ActorNotRunning
from eventlib.supervisor import SupervisorError
from eventlib.workers import (
    SharedSockets,
    StopRequest,
    Worker,
    WorkerExited,
    WorkerPool,
    WorkerProc,
    python_command,
)
from examples.sip_uas.message import Request, build_response
from examples.sip_uas.server import Config, SipServer

__all__ = [
    "RELAY_ACTORS",
    "WorkerSipServer",
    "relay_actor",
    "run_pool_demo",
    "serve_pool",
    "start_pool",
    "worker_main",
]

log = structlog.get_logger("sip_uas")

_PARENT_FIELDS = ("udp_port", "tcp_port")  # the parent binds these; workers get sockets
_SLOT_TAG = re.compile(rb"w(\d+)\.")
_COUNTS = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)

RELAY_ACTORS = tuple(f"relay{n}" for n in range(8))
"""The actors each worker exports besides ``dialogs`` for what waits for a session's answer
(TCP relays and lookups): an actor serves one message at a time, so a session slow to
answer holds back only the calls whose Call-ID picks the same actor."""


def relay_actor(call_id: bytes) -> str:
    """The relay actor that takes the TCP requests of this Call-ID (the same in every worker)."""
    return RELAY_ACTORS[zlib.crc32(call_id) % len(RELAY_ACTORS)]


class WorkerSipServer(SipServer):
    """The UAS of one worker: drains on request and knows its slot's earlier dialogs.

    Args:
        config: the UAS's configuration.
        index: this worker's slot in the pool.
        max_lookups: CANCELs whose owner may be looked up at once (with NATS).
        lookup_timeout: seconds a lookup waits for the other workers' answers.
        max_relays: TCP requests that may wait at once for their owner's answers.
        relay_timeout: seconds a relayed TCP request waits for its owner's answers.
    """

    def __init__(
        self,
        config: Config,
        index: int,
        *,
        max_lookups: int = 64,
        lookup_timeout: float = 1.0,
        max_relays: int = 64,
        relay_timeout: float = 2.0,
    ) -> None:
        if max_lookups < 1 or max_relays < 1 or lookup_timeout <= 0 or relay_timeout <= 0:
            raise ValueError(
                "max_lookups and max_relays must be >= 1, lookup_timeout and relay_timeout "
                f"> 0; got {max_lookups!r}, {max_relays!r}, {lookup_timeout!r} and "
                f"{relay_timeout!r}"
            )
        super().__init__(config)
        self.index = index
        self.workers = 1
        """Slots in the pool (set by join_cluster): the workers a CANCEL's lookup asks."""
        self.max_lookups = max_lookups
        self.lookup_timeout = lookup_timeout
        self.max_relays = max_relays
        self.relay_timeout = relay_timeout
        # To tags name the slot and the process: "w<index>.<pid hex>.<n>".
        self._slot_tag = b"w%d." % index
        self._tag_prefix = b"w%d.%x." % (index, os.getpid())
        self.draining: StopRequest | None = None
        self.orphan_byes = 0
        """BYEs answered for dialogs that died with this slot's previous process."""
        self.node: Any = None
        """This worker's eventlib.remote Node, when the pool runs with NATS."""
        self.forwarded = 0
        """In-dialog requests sent on to the worker that owns their dialog."""
        self.forwarded_in = 0
        """In-dialog requests other workers forwarded to this one."""
        self.lookups = 0
        """CANCELs for a Call-ID this worker did not have, whose owner it asked for."""
        self.lookups_dropped = 0
        """CANCELs whose lookup was not made (at the cap) or got no answer from some worker."""
        self.relays_failed = 0
        """TCP requests answered 500 Retry-After here: their owner gave no final answer in
        time or could not be reached, or max_relays relays (max_lookups lookups) were running."""
        self._lookups: set[bytes] = set()  # the Call-IDs being looked up
        self._relays = 0  # relayed TCP requests waiting for their owner's answers
        self._raw = b""
        self._forwarding = False

    # -- forwarding in-dialog requests to the owning worker ---------------------

    def join_cluster(self, nats_url: str, workers: int) -> None:
        """Join NATS as node ``sip-w<index>`` and take forwarded requests (call from a proc).

        Args:
            nats_url: the NATS server.
            workers: the pool's size: the slots ``0 .. workers-1`` a CANCEL's lookup asks.
        """
        from eventlib.remote import Node  # noqa: PLC0415 - only with --nats

        if workers <= self.index:
            raise ValueError(f"a pool of {workers} workers has no slot {self.index}")
        self.workers = workers
        node = Node(f"sip-w{self.index}", nats_url, heartbeat_interval=0.5)
        self.node = node.start()
        node.export("dialogs", _Dialogs.spawn(self))
        for name in RELAY_ACTORS:
            node.export(name, _Dialogs.spawn(self))

    def handle(self, data: bytes, endpoint: Any, peer: Any) -> None:
        self._raw = data  # routing is synchronous: _route below may forward these bytes
        super().handle(data, endpoint, peer)

    def _route(self, request: Request, endpoint: Any, peer: Any) -> None:
        owner = self._owner(request)
        if owner is None:
            if self._must_look_up(request):
                self._look_up(request, endpoint, peer)
            else:
                super()._route(request, endpoint, peer)
        elif endpoint.reliable and request.method != b"ACK":
            self._start_relay(owner, request, endpoint, peer)
        else:
            # UDP: the owner answers from its own socket (the same address and port).
            # An ACK over TCP gets no answer: nothing to wait for either.
            if endpoint.reliable:
                message = ["relay", self._raw, peer[0], peer[1], 0.0]
            else:
                message = ["forward", self._raw, peer[0], peer[1]]
            self.forwarded += 1
            try:
                self.node.ref(f"sip-w{owner}", "dialogs").cast(message)
            except Exception as error:  # not connected: drop it, the client retransmits
                log.warning("sip.forward_failed", owner=owner, error=repr(error))

    def _owner(self, request: Request) -> int | None:
        """The slot that owns this request's dialog, when it is another worker's."""
        if self.node is None or self._forwarding:
            return None
        tag = request.to_tag
        if tag is None or request.call_id in self.calls:
            return None
        match = _SLOT_TAG.match(tag)
        if match is None or int(match.group(1)) == self.index:
            return None
        return int(match.group(1))

    def _must_look_up(self, request: Request) -> bool:
        """A CANCEL for a call this worker does not have: another worker may."""
        return (
            request.method == b"CANCEL"
            and self.workers > 1
            and self.node is not None
            and not self._forwarding
            and request.call_id not in self.calls
        )

    def _look_up(self, request: Request, endpoint: Any, peer: Any) -> None:
        """Start asking the other workers for the CANCEL's call (never blocks: MAIN_LOOP)."""
        call_id = request.call_id
        assert call_id is not None
        running = call_id in self._lookups  # over UDP, a retransmission: the lookup answers
        if running or len(self._lookups) >= self.max_lookups:
            if not running:  # over UDP the client's retransmission asks again
                self.lookups_dropped += 1
                log.warning("sip.lookups_full", max_lookups=self.max_lookups)
            if endpoint.reliable:  # over TCP nothing is resent: say "later"
                self._retry_later(request, endpoint, peer)
            return
        self.lookups += 1
        self._lookups.add(call_id)
        eventlib.spawn(self._find_owner, request, self._raw, endpoint, peer)

    def _find_owner(self, request: Request, data: bytes, endpoint: Any, peer: Any) -> None:
        """The lookup's proc: the owner takes the CANCEL; nobody: 481; no answer: dropped
        (UDP) or 500 Retry-After (TCP)."""
        call_id = request.call_id
        assert call_id is not None
        reliable = endpoint.reliable
        # Over TCP the owner keeps its answers for the reply (at most half the wait).
        wait = self.lookup_timeout / 2 if reliable else None
        message = ["cancel", call_id, data, peer[0], peer[1], wait]
        try:
            askers = [
                eventlib.spawn(self._ask, slot, message)
                for slot in range(self.workers)
                if slot != self.index
            ]
            answers = [asker.wait() for asker in askers]
        finally:
            self._lookups.discard(call_id)
        taken = [answer for answer in answers if answer is True or isinstance(answer, list)]
        if taken:
            self.forwarded += 1
            if reliable:
                answers = taken[0] if isinstance(taken[0], list) else []
                self._answer_relayed(request, answers, endpoint, peer)
        elif None in answers:  # the owner may be the one that did not answer
            self.lookups_dropped += 1
            if reliable:
                self._retry_later(request, endpoint, peer)
        else:
            try:
                super()._route(request, endpoint, peer)  # no call anywhere: 481
            except Exception as exc:  # as in handle(): a routing bug drops one request
                self.stats.dropped += 1
                log.exception("sip.route_error", error=repr(exc), peer=repr(peer))

    def _ask(self, slot: int, message: list[Any]) -> bool | list[bytes] | None:
        """Whether worker ``slot`` had the call and took the CANCEL (over TCP: its answers
        to it); None: no answer."""
        from eventlib.remote import NodeDown, NotConnected  # noqa: PLC0415 - only with --nats

        # Over TCP the owner waits for the session's answer: in the call's relay actor.
        actor = "dialogs" if message[-1] is None else relay_actor(message[1])
        try:
            taken = self.node.ref(f"sip-w{slot}", actor).call(message, self.lookup_timeout)
        except (NotConnected, NodeDown) as error:  # no word from it: it may have the call
            log.warning("sip.lookup_failed", slot=slot, error=repr(error))
            return None
        except ActorNotRunning:  # nothing serves that slot now: its calls died with it
            return False
        except Exception as error:  # timed out, or failed there: unknown
            log.warning("sip.lookup_failed", slot=slot, error=repr(error))
            return None
        return taken if isinstance(taken, list) else bool(taken)

    # -- relaying TCP requests: the owner answers, this worker's connection carries it --

    def _start_relay(self, owner: int, request: Request, endpoint: Any, peer: Any) -> None:
        """Relay a TCP request to its owner in a proc of its own (the reader goes on)."""
        if self._relays >= self.max_relays:
            log.warning("sip.relays_full", max_relays=self.max_relays)
            self._retry_later(request, endpoint, peer)
            return
        self._relays += 1
        self.forwarded += 1
        eventlib.spawn(self._relay, owner, request, self._raw, endpoint, peer)

    def _relay(self, owner: int, request: Request, data: bytes, endpoint: Any, peer: Any) -> None:
        """The relay's proc: ``call`` the owner, write its answers on the connection."""
        # The owner waits at most half the timeout for its session: its reply, final
        # answer or not, then comes back before this call gives up.
        message = ["relay", data, peer[0], peer[1], self.relay_timeout / 2]
        assert request.call_id is not None
        ref = self.node.ref(f"sip-w{owner}", relay_actor(request.call_id))
        try:
            answers = ref.call(message, self.relay_timeout)
        except Exception as error:  # timed out, unreachable, or no worker in that slot now
            log.warning("sip.relay_failed", owner=owner, error=repr(error))
            answers = []
        finally:
            self._relays -= 1
        if not isinstance(answers, list):  # not a worker of this version: no answers
            answers = []
        self._answer_relayed(request, answers, endpoint, peer)

    def _answer_relayed(
        self, request: Request, answers: list[bytes], endpoint: Any, peer: Any
    ) -> None:
        """Write the owner's answers; none of them final: 500 Retry-After after them."""
        for answer in answers:
            endpoint.send(answer, peer)
        if not any(_is_final(answer) for answer in answers):
            self._retry_later(request, endpoint, peer)

    def _retry_later(self, request: Request, endpoint: Any, peer: Any) -> None:
        """500 with Retry-After: 1, for a TCP request this worker could not get answered."""
        self.relays_failed += 1
        endpoint.send(self._out_of_dialog(request, 500, ((b"Retry-After", b"1"),)), peer)

    # -- the owner's side ----------------------------------------------------------------

    def take_forwarded(self, data: bytes, peer: tuple[str, int], endpoint: Any = None) -> None:
        """Route a request another worker forwarded, as if this worker's socket got it.

        Args:
            endpoint: where the answers go; this worker's UDP socket by default.
        """
        self.forwarded_in += 1
        self._forwarding = True  # never forward it again: this is the owner, or nobody is
        try:
            self.handle(data, self._udp if endpoint is None else endpoint, peer)
        finally:
            self._forwarding = False

    def take_relayed(self, data: bytes, peer: tuple[str, int], wait: float) -> list[bytes]:
        """Route a request another worker got over TCP; its answers, kept for that worker.

        Waits at most ``wait`` seconds for the final answer (not at all for an ACK, or a
        request dropped here); returns the answers sent by then, in order.
        """
        capture = _Capture()
        dropped = self.stats.dropped
        self.take_forwarded(data, peer, capture)
        if wait > 0 and self.stats.dropped == dropped:
            capture.final.wait(wait, None)
        capture.open = False  # an answer after this one is too late for the reply
        return capture.answers

    def take_cancel(
        self, call_id: bytes, data: bytes, peer: tuple[str, int], wait: float | None = None
    ) -> bool | list[bytes]:
        """Route a CANCEL another worker looked up, if its call is here; whether it was.

        Args:
            wait: the CANCEL came over TCP: wait this long for its answer and return the
                answers (:meth:`take_relayed`) instead of True.
        """
        if call_id not in self.calls:
            return False
        if wait is not None:
            return self.take_relayed(data, peer, wait)
        self.take_forwarded(data, peer)
        return True

    def _new_call(self, invite: Request, endpoint: Any, peer: Any) -> None:
        request = self.draining
        if request is None:
            super()._new_call(invite, endpoint, peer)
        elif request.restarting and not endpoint.reliable:
            self.stats.dropped += 1  # its retransmission reaches the successor
        else:
            self.stats.rejected += 1
            retry = b"%d" % self.config.retry_after
            endpoint.send(self._out_of_dialog(invite, 503, ((b"Retry-After", retry),)), peer)

    def _answer_out_of_dialog(self, request: Request, endpoint: Any, peer: Any) -> None:
        tag = request.to_tag
        if (
            request.method == b"BYE"
            and tag is not None
            and tag.startswith(self._slot_tag)
            and not tag.startswith(self._tag_prefix)
        ):
            self.orphan_byes += 1
            endpoint.send(build_response(request, 200), peer)
            return
        super()._answer_out_of_dialog(request, endpoint, peer)

    def status(self) -> dict[str, Any]:
        """What the worker reports with each heartbeat: its counters and live calls."""
        counters = attrs.asdict(self.stats)
        return {
            **counters,
            "active": len(self.calls),
            "orphan_byes": self.orphan_byes,
            "forwarded": self.forwarded,
            "forwarded_in": self.forwarded_in,
            "lookups": self.lookups,
            "lookups_dropped": self.lookups_dropped,
            "relays_failed": self.relays_failed,
        }


def _is_final(response: bytes) -> bool:
    """Whether a response ("SIP/2.0 NNN ...") is final (2xx to 6xx)."""
    return response[8:9] in (b"2", b"3", b"4", b"5", b"6")


class _Capture:
    """The endpoint of a relayed request in its owner: keeps the answers, sends nothing."""

    reliable = True  # it came over TCP: nothing is retransmitted to it
    contact = b""  # a relayed request is in a dialog: no new call names it as Contact

    def __init__(self) -> None:
        self.answers: list[bytes] = []
        self.final = eventlib.Event()
        self.open = True

    def send(self, data: bytes, peer: Any) -> None:  # noqa: ARG002 - one peer
        if self.open:
            self.answers.append(data)
            if _is_final(data) and not self.final.ready():
                self.final.send(None)


class _Dialogs(Actor):
    """A worker's exported actor (``dialogs``, and each of :data:`RELAY_ACTORS`): takes
    requests for its calls from other workers.

    Messages: ``["forward", data, host, port]`` (cast: an in-dialog request over
    UDP, routed here by its To tag; answered from this worker's socket),
    ``["relay", data, host, port, wait]`` (call: the same over TCP; the reply is
    the answers, for the other worker's connection) and ``["cancel", call_id,
    data, host, port, wait]`` (call: a CANCEL; the reply says whether this worker
    had the call and took it: False, True, or over TCP, when ``wait`` is not
    None, the answers).
    """

    def __init__(self, server: WorkerSipServer) -> None:
        self.server = server

    def handle(self, message: Any) -> bool | list[bytes] | None:
        kind = message[0]
        if kind == "cancel":
            _, call_id, data, host, port, wait = message
            return self.server.take_cancel(call_id, data, (host, port), wait)
        if kind == "relay":
            _, data, host, port, wait = message
            return self.server.take_relayed(data, (host, port), wait)
        _, data, host, port = message
        self.server.take_forwarded(data, (host, port))
        return None


# -- the worker process ---------------------------------------------------------


def worker_main(argv: list[str] | None = None) -> None:
    """The worker: ``python -m examples.sip_uas.workers '<options as JSON>'``."""
    from examples.sip_uas.__main__ import configure_logging  # noqa: PLC0415 - shared setup

    options = json.loads((sys.argv[1:] if argv is None else argv)[0])
    if options.get("nats"):
        _install_asyncio_reactor()  # eventlib.remote's client is asyncio: before any reactor
    worker = Worker.from_environ()
    configure_logging(logging.WARNING if options.get("quiet") else logging.INFO)
    config = Config(udp_port=None, tcp_port=None, **options["config"])
    if config.crash_rate > 0:
        from examples.sip_uas.demo import _quiet_injected_crashes  # noqa: PLC0415

        _quiet_injected_crashes()
    if options.get("demo"):
        from examples.sip_uas.demo import _drop_plain_completions  # noqa: PLC0415

        processors = structlog.get_config()["processors"]
        structlog.configure(processors=[_drop_plain_completions, *processors])
    server = WorkerSipServer(config, worker.index)
    server.start_tree()
    if options.get("nats"):
        server.join_cluster(options["nats"], options["workers"])
    for kind, fd in worker.sockets.items():
        with socket.socket(fileno=fd) as sock:  # the server listens on a duplicate
            sock.setblocking(False)
            (server.listen_udp if kind == "udp" else server.listen_tcp)(sock)
    worker.status = server.status
    worker.ready()
    log.info(
        "sip_uas.worker_ready",
        pid=os.getpid(),
        generation=worker.generation,
        udp_port=server.udp_port,
        tcp_port=server.tcp_port,
    )
    request = worker.wait_for_stop()
    assert request is not None
    server.draining = request
    log.info("sip_uas.draining", calls=len(server.calls), deadline=request.deadline)
    if not request.parent_gone and not server.wait_idle(request.deadline):
        log.warning("sip_uas.drain_deadline", calls_left=len(server.calls))
    if server.node is not None:
        server.node.stop()
    server.stop()
    worker.close()


def _install_asyncio_reactor() -> None:
    import asyncio  # noqa: PLC0415

    from twisted.internet import asyncioreactor  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)  # type: ignore[no-untyped-call]


# -- the parent -------------------------------------------------------------------


def start_pool(
    count: int,
    config: Config,
    *,
    quiet: bool = False,
    drain_seconds: float = 5.0,
    heartbeat_interval: float = 1.0,
    nats: str | None = None,
    demo: bool = False,
) -> tuple[WorkerPool, SharedSockets]:
    """Open the shared ports and start ``count`` SIP workers on them (call from a proc).

    With ``nats`` (a NATS server URL) the workers forward in-dialog requests to
    the worker that owns the dialog. With ``demo``, workers log only the calls
    that did not simply complete (the demo's progress line counts the others).
    """
    shared = SharedSockets(count, config.host, udp_port=config.udp_port, tcp_port=config.tcp_port)
    options = {
        "config": {
            name: value
            for name, value in attrs.asdict(config).items()
            if name not in _PARENT_FIELDS
        },
        "quiet": quiet,
        "nats": nats,
        "workers": count,
        "demo": demo,
    }
    try:
        pool = WorkerPool(
            python_command("examples.sip_uas.workers", json.dumps(options)),
            sockets=shared,
            drain_seconds=drain_seconds,
            heartbeat_interval=heartbeat_interval,
            heartbeat_timeout=max(5.0, 3 * heartbeat_interval),
            max_restarts=5,
            max_seconds=10,
            name="sip_uas_workers",
        )
    except BaseException:
        shared.close()
        raise
    return pool, shared


def totals(pool: WorkerPool) -> dict[str, int]:
    """The workers' counters (from their last heartbeat answers), summed."""
    summed: dict[str, int] = {}
    for proc in pool.workers():
        for key, value in proc.status.items():
            if isinstance(value, int):
                summed[key] = summed.get(key, 0) + value
    return summed


def serve_pool(args: argparse.Namespace, config: Config) -> int:
    """``--workers N``: serve until SIGTERM/SIGINT, then stop gracefully; the exit status.

    Returns 0 after a stop by signal, 1 if the pool gave up by itself (its
    restart intensity was reached: the workers keep failing).
    """
    pool, shared = start_pool(
        args.workers, config, quiet=args.quiet, drain_seconds=args.drain, nats=args.nats
    )
    stop = eventlib.Event()

    def stop_once(*_: Any) -> None:
        if not stop.ready():
            stop.send(None)

    pool.link(stop_once)
    rolling: list[eventlib.Proc] = []

    def rolling_restart() -> None:
        if not rolling or rolling[-1].dead:  # one at a time; a second SIGHUP meanwhile waits
            rolling[:] = [eventlib.spawn(_rolling_restart, pool)]

    reactor = eventlib.get_hub().reactor
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: reactor.callFromThread(stop_once))
    signal.signal(signal.SIGHUP, lambda *_: reactor.callFromThread(rolling_restart))
    # Printed once the handlers are in place: a parent that reads it may signal at once.
    print(
        f"listening udp={shared.udp_port} tcp={shared.tcp_port} workers={args.workers}",
        flush=True,
    )
    stop.wait()
    status = 0
    if pool.dead:
        try:
            pool.wait()
        except Exception as exc:  # RestartIntensityExceeded: the workers keep failing
            log.error("sip_uas.workers_failed", error=str(exc))  # noqa: TRY400 - it says all
            status = 1
    else:
        log.info("sip_uas.stopping", workers=len(pool.workers()), drain=args.drain)
        pool.stop()
    shared.close()
    print(pool.format_tree(), flush=True)
    return status


def _rolling_restart(pool: WorkerPool) -> None:
    """SIGHUP: replace the workers one at a time (new code, new config), failing no call."""
    log.info("sip_uas.rolling_restart", workers=len(pool.workers()))
    try:
        pool.rolling_restart()
    except SupervisorError as exc:  # stopped meanwhile, or a successor failed to start
        log.warning("sip_uas.rolling_restart_failed", error=str(exc))
        return
    log.info("sip_uas.rolling_restart_done", pids=[proc.pid for proc in pool.workers()])


# -- the demo: 2 workers under sipp, one killed mid-run -----------------------------


def run_pool_demo(args: argparse.Namespace) -> int:
    """sipp places calls through N workers; one is SIGKILLed halfway; 0 failed calls."""
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed: apt-get install -y sip-tester", file=sys.stderr)
        return 2
    crash_rate = 0.02 if args.crash_rate is None else args.crash_rate
    config = Config(host="127.0.0.1", udp_port=0, t1=args.t1, crash_rate=crash_rate)
    _quiet_worker_exits()
    pool, shared = start_pool(args.workers, config, heartbeat_interval=0.5, demo=True)
    calls = max(1, int(args.rate * args.seconds))
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{shared.udp_port}", "-i", "127.0.0.1",
        "-t", "un", "-max_socket", "512",  # a socket per call: calls spread over the workers
        "-r", str(args.rate), "-m", str(calls), "-nostdin",
        "-timeout", f"{int(args.seconds) + 30}s", "-timeout_error",
    ]  # fmt: skip
    print(f"$ {' '.join(command)}", flush=True)
    started = time.monotonic()
    killed: WorkerProc | None = None
    with tempfile.TemporaryDirectory() as scratch:
        process = subprocess.Popen(
            command, cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            output_proc = eventlib.spawn(process.communicate)
            while not output_proc.dead:
                eventlib.sleep(0.5)
                log.info("demo.progress", t=f"{time.monotonic() - started:4.1f}s", **_row(pool))
                if killed is None and time.monotonic() - started > args.seconds / 2:
                    killed = pool.workers()[0]
                    print(f"\nkilling worker 0 (pid {killed.pid}) with SIGKILL\n", flush=True)
                    os.kill(killed.pid, signal.SIGKILL)
            output, _ = output_proc.wait()
        finally:
            if process.returncode is None:
                process.kill()
                process.communicate()
    eventlib.sleep(1.0)  # one more heartbeat: the counters are current
    _print_tree("at the end", pool.format_tree())
    counts = dict(_COUNTS.findall(output.decode(errors="replace")))
    successful = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    row = _row(pool)
    pool.stop()
    shared.close()
    print(
        f"\nsipp: successful={successful} failed={failed} (exit {process.returncode})\n"
        f"workers (since their last start): {row}",
        flush=True,
    )
    return 0 if failed == 0 and successful == calls else 1


def _quiet_worker_exits() -> None:
    """The kill is on purpose and worker.exited already says it: no traceback for it."""
    hub = eventlib.get_hub()
    default = hub.error_hook

    def hook(context: object, exc_info: Any) -> None:
        if not isinstance(exc_info[1], WorkerExited):
            default(context, exc_info)

    hub.error_hook = hook


def _row(pool: WorkerPool) -> dict[str, Any]:
    summed = totals(pool)
    return {
        "workers": " ".join(f"{proc.index}:{proc.pid}" for proc in pool.workers()),
        "worker_restarts": pool.total_restarts,
        "active": summed.get("active", 0),
        "calls": summed.get("calls", 0),
        "completed": summed.get("completed", 0),
        "crashes": summed.get("crashes", 0),
        "orphan_byes": summed.get("orphan_byes", 0),
    }


def _print_tree(title: str, tree: str) -> None:
    print(f"\nworker tree ({title}):", flush=True)
    for line in tree.splitlines():
        print(f"  {line}", flush=True)
    print(flush=True)


if __name__ == "__main__":
    worker_main()
