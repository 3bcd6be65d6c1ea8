"""One call, one actor: the INVITE server transaction and dialog as sequential green code.

A :class:`Call` is the routing state the listener keeps for a Call-ID: the
initial INVITE, where replies go, and the mailbox every later request for
that Call-ID is put into. It outlives the session that serves it, so a
session restarted by its supervisor finds the call, and the requests that
arrived meanwhile, where its predecessor left them.

:class:`SessionActor` runs RFC 3261's server side of one call: 180 Ringing
(100 Trying before it only if the 180 is 200 ms late: :meth:`Call.trying`),
200 OK with SDP retransmitted with Timer G doubling from T1 to T2 until the
ACK (Timer H = 64*T1 ends the wait), then BYE → 200 OK. A CANCEL before the
200 gets a 200 and the INVITE a 487; an offer with no codec the UAS takes
gets 488. The 180 and 200 copy the INVITE's Record-Route (RFC 3261
§12.1.1); replies go back the way each request came.
Each step is a ``mailbox.receive(timeout=...)``: no callbacks, no state
machine table. The session leaves the call's ``outcome`` for the server's
``call.ended`` line.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from eventlib import Proc, TimeoutError, get_hub
from eventlib.hub import Timer
from eventlib.mailbox import Mailbox
from eventlib.supervisor import exit_reason
from examples.sip_uas import sdp
from examples.sip_uas.message import Request, build_response

if TYPE_CHECKING:
    from examples.sip_uas.server import SipServer

__all__ = ["Call", "Endpoint", "InjectedCrash", "SessionActor", "TryingTimer"]

log = structlog.get_logger("sip_uas")

_ACK = b"ACK"
_BYE = b"BYE"
_CANCEL = b"CANCEL"
_INVITE = b"INVITE"
_OPTIONS = b"OPTIONS"

TRYING_DELAY = 0.2
"""100 Trying goes out only if no response to the INVITE has gone out by then (§17.2.1)."""


class InjectedCrash(RuntimeError):
    """Raised by a session told to crash (``X-Crash: 1`` or the crash rate)."""


class Endpoint(Protocol):
    """Where replies leave: a UDP port or one TCP connection."""

    reliable: bool
    contact: bytes

    def send(self, data: bytes, peer: Any) -> None: ...


class Call:
    """The listener's record of one Call-ID; it survives restarts of its session."""

    __slots__ = (
        "call_id",
        "crash",
        "endpoint",
        "incarnation",
        "invite",
        "mailbox",
        "outcome",
        "peer",
        "responded",
        "session",
        "started",
        "to_tag",
        "tried",
        "trying_armed",
    )

    def __init__(
        self,
        invite: Request,
        endpoint: Endpoint,
        peer: Any,
        to_tag: bytes,
        mailbox_capacity: int,
        *,
        crash: bool = False,
    ) -> None:
        assert invite.call_id is not None
        self.call_id: bytes = invite.call_id
        self.invite = invite
        self.endpoint = endpoint
        self.peer = peer
        self.to_tag = to_tag
        self.mailbox = Mailbox(mailbox_capacity)
        self.crash = crash
        self.incarnation = 0
        self.session: SessionActor | None = None
        self.started = 0.0
        """When the INVITE arrived (hub clock)."""
        self.outcome = "failed"
        """How the call ended: completed, cancelled, timer_h, expired, not_acceptable, lost..."""
        self.responded = False
        """Whether the session sent a provisional (180) or final response to the INVITE."""
        self.tried = False
        """Whether 100 Trying went out."""
        self.trying_armed = False
        """Whether a 100 Trying is due at 200 ms (see :class:`TryingTimer`)."""

    def send(self, data: bytes) -> None:
        self.endpoint.send(data, self.peer)

    # -- 100 Trying (RFC 3261 §17.2.1) --------------------------------------
    #
    # The INVITE server transaction sends 100 Trying only when the TU will not
    # answer within 200 ms (§8.2.6.1 leaves it to the UAS). The listener arms
    # it for 200 ms after the INVITE arrived (the server's :class:`TryingTimer`),
    # so that a session slow to start is covered too, and the session disarms it
    # when it sends its 180 (or a final response): the call costs one datagram
    # less. The arming belongs to the call, so it survives a session's restart
    # and ends with the call (:meth:`SipServer.forget` disarms it). Until a
    # session answers, the listener answers retransmitted INVITEs with 100 Trying.

    def trying(self) -> None:
        """Send 100 Trying now, unless the session has answered (it answers from then on).

        Called by the timer, and by the listener for an INVITE retransmission that
        arrives before any response: the server transaction must answer it.
        """
        self.cancel_trying()
        if not self.responded:
            self.tried = True
            self.send(build_response(self.invite, 100))

    def cancel_trying(self) -> None:
        """Drop the pending 100 Trying, if any (a response went out, or the call ended)."""
        self.trying_armed = False

    def respond(self, data: bytes) -> None:
        """Send the session's first provisional or final response: no 100 after it."""
        self.responded = True
        self.trying_armed = False
        self.send(data)

    def __repr__(self) -> str:
        return f"<Call {self.call_id.decode(errors='replace')} incarnation={self.incarnation}>"


class TryingTimer:
    """The 100 Trying of every call not answered 200 ms after its INVITE, on one hub timer.

    A hub timer per call, set at the start of its session and cancelled by
    its 180 in the same run, cost more than the rest of the call's 100 Trying
    logic. Here each armed call waits in a queue sorted by its deadline (200 ms
    after its INVITE arrived), and one hub timer, for the earliest, serves
    them all, with those due within the next 10 ms. The listener arms calls
    as their INVITEs arrive, so each joins at the end of the queue: no heap
    is needed, and no comparison of deadlines but one. A call answered or
    ended meanwhile is disarmed and stays queued until its deadline: the
    queue holds at most 200 ms of arrivals.
    """

    __slots__ = ("_due", "_queue", "_timer")

    _GRAIN = 0.01
    """Calls due within this much of a firing get their 100 with it, up to 10 ms early: at
    any call rate the hub timer fires at most every 10 ms (not once per call), and a 100
    sent at 190 ms is as good as one at 200 (§17.2.1 only asks for it by 200 ms)."""

    def __init__(self) -> None:
        self._queue: deque[tuple[float, Call]] = deque()
        self._timer: Timer | None = None
        self._due = 0.0
        """The deadline the timer is set for."""

    def arm(self, call: Call) -> None:
        """Send 100 Trying 200 ms after ``call``'s INVITE arrived unless a response goes first."""
        if call.responded:
            return
        call.trying_armed = True
        deadline = call.started + TRYING_DELAY
        queue = self._queue
        if not queue or queue[-1][0] <= deadline:
            queue.append((deadline, call))
        else:  # armed out of arrival order (not by the listener): keep the queue sorted
            queue.insert(bisect_right(queue, deadline, key=itemgetter(0)), (deadline, call))
        timer = self._timer
        if timer is None or deadline < self._due:
            if timer is not None:
                timer.cancel()
            self._set(deadline)

    def _set(self, deadline: float) -> None:
        hub = get_hub()
        self._due = deadline
        self._timer = hub.schedule_call_global(max(deadline - hub.clock(), 0.0), self._fire)

    def _fire(self) -> None:
        self._timer = None
        queue = self._queue
        now = get_hub().clock() + self._GRAIN
        while queue and queue[0][0] <= now:
            call = queue.popleft()[1]
            if call.trying_armed:
                call.trying()
        if queue:
            self._set(queue[0][0])

    def stop(self) -> None:
        """Disarm every call and cancel the timer (the server is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for _, call in self._queue:
            call.trying_armed = False
        self._queue.clear()

    def __len__(self) -> int:
        """Calls queued, armed or not (each leaves at its deadline)."""
        return len(self._queue)


class SessionActor:
    """The actor serving one :class:`Call`: its proc runs :meth:`run` to the end of the call.

    Its mailbox is the call's (``actor.mailbox``); ``actor.proc`` is what the
    supervisor watches.
    """

    __slots__ = ("call", "proc", "server")

    def __init__(self, server: SipServer, call: Call) -> None:
        self.server = server
        self.call = call
        self.proc: Proc | None = None

    @property
    def mailbox(self) -> Mailbox:
        return self.call.mailbox

    def start(self) -> SessionActor:
        proc = self.proc = Proc(name="sip-session")
        proc.run(self.run)
        proc.link(self._exited)
        return self

    # -- the call, step by step ------------------------------------------

    def run(self) -> None:
        """Serve the call from its INVITE to its BYE (or CANCEL, or Timer H)."""
        call = self.call
        config = self.server.config
        invite = call.invite
        resumed = call.incarnation > 0  # restarted: the crash was injected already
        call.incarnation += 1
        if not resumed and call.crash:  # before any response: the 100 timer still runs
            raise InjectedCrash(f"crash injected into call {call.call_id.decode()!r}")
        server = self.server
        if invite.body:
            body = sdp.answer(invite.body, server.address, server.rtp_port)
            if body is None:  # no codec in the offer is one we take (RFC 3264 §6.1)
                server.stats.not_acceptable += 1
                call.outcome = "not_acceptable"
                self._send_final(build_response(invite, 488, to_tag=call.to_tag), first=True)
                return
        else:  # no offer in the INVITE: ours goes in the 200, the answer in the ACK
            body = sdp.offer(server.address, server.rtp_port)
        routes = tuple((b"Record-Route", route) for route in invite.record_routes)
        contact = ((b"Contact", call.endpoint.contact),)
        ringing = build_response(invite, 180, to_tag=call.to_tag, headers=routes + contact)
        call.respond(ringing)  # from a restarted session: again, as for a retransmission
        if config.ring_seconds > 0 and self._ring(ringing, config.ring_seconds):
            return  # cancelled
        ok = build_response(
            invite,
            200,
            to_tag=call.to_tag,
            headers=(*routes, *contact, (b"Content-Type", b"application/sdp")),
            body=body,
        )
        outcome = self._send_final(ok)
        if outcome == _ACK:
            self._confirmed(ok)
        elif not outcome:
            call.outcome = "timer_h"

    def _ring(self, ringing: bytes, seconds: float) -> bool:
        """Ring for ``seconds``; True if a CANCEL ended the call (487 sent and ACKed)."""
        call = self.call
        clock = get_hub().clock
        deadline = clock() + seconds
        receive = call.mailbox.receive
        while (left := deadline - clock()) > 0:
            try:
                request = receive(None, left)
            except TimeoutError:
                break
            method = request.method
            if method == _CANCEL:
                request.reply(build_response(request, 200, to_tag=call.to_tag))
                self.server.stats.cancelled += 1
                call.outcome = "cancelled"
                self._send_final(build_response(call.invite, 487, to_tag=call.to_tag))
                return True
            if method == _INVITE:
                call.send(ringing)  # a retransmitted INVITE gets the last response again
            else:
                self._out_of_order(request)
        return False

    def _send_final(self, final: bytes, *, first: bool = False) -> bytes:
        """Send a final response until ACKed (Timer G); return ACK, BYE or b"" (Timer H).

        ``first``: no response went before it (no 100 Trying after it either)."""
        call = self.call
        server = self.server
        config = server.config
        clock = get_hub().clock
        receive = call.mailbox.receive
        reliable = call.endpoint.reliable
        t2 = config.t2
        interval = config.t1
        deadline = clock() + 64 * config.t1  # Timer H
        invite_cseq = call.invite.cseq
        if first:
            call.respond(final)
        else:
            call.send(final)
        while True:
            left = deadline - clock()
            if left <= 0:
                server.stats.timer_h += 1
                log.info("session.timer_h", call_id=call.call_id.decode(errors="replace"))
                return b""
            try:
                request = receive(None, left if reliable or interval > left else interval)
            except TimeoutError:
                if not reliable and clock() < deadline:
                    call.send(final)  # Timer G
                    server.stats.retransmissions += 1
                    interval = min(2 * interval, t2)
                continue
            method = request.method
            if method == _ACK:
                return _ACK
            if method == _INVITE and request.cseq == invite_cseq:
                call.send(final)
            elif method == _BYE:  # the ACK was lost, the BYE was not: the call ends
                self._bye(request)
                return _BYE
            elif method == _CANCEL:
                request.reply(build_response(request, 200, to_tag=call.to_tag))  # too late
            else:
                self._out_of_order(request)

    def _confirmed(self, ok: bytes) -> None:
        """The dialog is up: wait for BYE; answer retransmissions and stray requests."""
        call = self.call
        receive = call.mailbox.receive
        timeout = self.server.config.session_timeout
        invite_cseq = call.invite.cseq
        while True:
            try:
                request = receive(None, timeout)
            except TimeoutError:
                self.server.stats.expired += 1
                call.outcome = "expired"
                log.info("session.expired", call_id=call.call_id.decode(errors="replace"))
                return
            method = request.method
            if method == _BYE:
                self._bye(request)
                return
            if method == _ACK:
                continue  # a retransmitted ACK
            if method == _INVITE and request.cseq == invite_cseq:
                call.send(ok)  # our 200 crossed its retransmission
            else:
                self._out_of_order(request)

    def _bye(self, bye: Request) -> None:
        response = build_response(bye, 200, to_tag=self.call.to_tag)
        bye.reply(response)
        self.call.outcome = "completed"
        self.server.call_ended(self.call, response)

    def _out_of_order(self, request: Request) -> None:
        method = request.method
        if method == _ACK:
            return
        if method == _OPTIONS:
            code = 200
        elif method == _INVITE:
            code = 500  # a re-INVITE while the first is pending (RFC 3261 §14.2)
        else:
            code = 501
        request.reply(build_response(request, code, to_tag=self.call.to_tag))

    # -- exit --------------------------------------------------------------

    def _exited(self, proc: Proc) -> None:
        """Link listener: forget the call unless the supervisor will restart the session."""
        reason = exit_reason(proc)
        call = self.call
        if reason in ("error", "killed"):  # transient: the supervisor restarts it
            server = self.server
            server.stats.crashes += 1
            error = proc.exc_info()[1]
            log.error(
                "session.crashed",
                sup_path=proc.supervisor_path,
                proc_id=proc.id,
                call_id=call.call_id.decode(errors="replace"),
                incarnation=call.incarnation,
                error=repr(error),
            )
            return
        self.server.forget(call)

    def __repr__(self) -> str:
        state = "new" if self.proc is None else f"proc={self.proc.id}"
        return f"<SessionActor {self.call.call_id.decode(errors='replace')} {state}>"
