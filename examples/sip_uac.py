"""A SIP user agent client in plain green code: INVITE, ACK, BYE over UDP.

Run against any UAS (sipp's own, say: ``sipp -sn uas -i 127.0.0.1 -p 5070``)::

    python -m examples.sip_uac --target 127.0.0.1:5070 --calls 20 --concurrency 5

Each call is a proc with its own UDP socket from ``eventlib.green.socket``;
RFC 3261's client timers are ordinary loops: the INVITE is retransmitted
from T1 until a response (Timer A) and given up on after 64*T1 (Timer B);
the BYE likewise (Timers E and F).
"""

from __future__ import annotations

import argparse
import os
import sys

import attrs

import eventlib
from eventlib.green import socket
from examples.sip_uas.message import ParseError, Response, build_request, parse_message

__all__ = ["CallResult", "place_call", "run_calls"]

T1 = 0.5
T2 = 4.0

_SDP = (
    b"v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 6002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


@attrs.define
class CallResult:
    """How one call went: ``outcome`` is completed, cancelled, rejected or failed."""

    call_id: str
    outcome: str = "failed"
    codes: list[int] = attrs.field(factory=list)
    detail: str = ""


class _Dialog:
    """The client side of one call over one UDP socket."""

    def __init__(self, target: tuple[str, int], sock: socket.socket, headers: list[bytes]) -> None:
        self.target = target
        self.sock = sock
        host, port = sock.getsockname()[:2]
        self.local = b"%s:%d" % (_host(host), port)
        self.uri = b"sip:uas@%s:%d" % (_host(target[0]), target[1])
        self.call_id = b"%s@%s" % (os.urandom(8).hex().encode(), _host(host))
        self.from_ = b"<sip:uac@%s>;tag=%s" % (self.local, os.urandom(4).hex().encode())
        self.to = b"<%s>" % self.uri
        self.extra = [tuple(h.split(b": ", 1)) for h in headers]

    def request(self, method: bytes, cseq: int, branch: bytes, body: bytes = b"") -> bytes:
        headers = [
            (b"Via", b"SIP/2.0/UDP %s;branch=%s;rport" % (self.local, branch)),
            (b"From", self.from_),
            (b"To", self.to),
            (b"Call-ID", self.call_id),
            (b"CSeq", b"%d %s" % (cseq, method)),
            (b"Contact", b"<sip:uac@%s>" % self.local),
            (b"Max-Forwards", b"70"),
        ]
        if method == b"INVITE":
            headers.extend(self.extra)  # type: ignore[arg-type]
        if body:
            headers.append((b"Content-Type", b"application/sdp"))
        return build_request(method, self.uri, headers, body)

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def receive(self, timeout: float) -> Response | None:
        """The next response for this call within ``timeout``, else None."""
        deadline = eventlib.get_hub().clock() + timeout
        while (left := deadline - eventlib.get_hub().clock()) > 0:
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                return None
            try:
                message = parse_message(data)
            except ParseError:
                continue
            if isinstance(message, Response) and message.call_id == self.call_id:
                return message
        return None

    def transaction(
        self, data: bytes, method: bytes, result: CallResult, t1: float
    ) -> Response | None:
        """Send ``data`` until a final response to ``method`` (Timers A/B or E/F)."""
        self.send(data)
        interval = t1
        deadline = eventlib.get_hub().clock() + 64 * t1
        provisional = False
        while (left := deadline - eventlib.get_hub().clock()) > 0:
            response = self.receive(min(interval, left) if not provisional else left)
            if response is None:
                if not provisional or method != b"INVITE":
                    self.send(data)
                interval = min(2 * interval, T2)
                continue
            if response.cseq_method != method:
                continue
            result.codes.append(response.code)
            if response.code >= 200:
                return response
            provisional = True
        result.detail = f"no final response to {method.decode()}"
        return None


def _host(host: str) -> bytes:
    return (f"[{host}]" if ":" in host else host).encode()


def _branch() -> bytes:
    return b"z9hG4bK" + os.urandom(6).hex().encode()


def place_call(
    target: tuple[str, int],
    *,
    hold: float = 0.0,
    headers: tuple[bytes, ...] = (),
    t1: float = T1,
) -> CallResult:
    """Make one call to ``target``: INVITE, ACK the 200, wait ``hold`` seconds, BYE."""
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((target[0], 0))
        dialog = _Dialog(target, sock, list(headers))
        result = CallResult(call_id=dialog.call_id.decode())
        invite_branch = _branch()
        invite = dialog.request(b"INVITE", 1, invite_branch, _SDP)
        final = dialog.transaction(invite, b"INVITE", result, t1)
        if final is None:
            return result
        if final.code >= 300:
            dialog.to = final.to or dialog.to
            dialog.send(dialog.request(b"ACK", 1, invite_branch))
            result.outcome = "rejected"
            result.detail = f"{final.code} {final.reason.decode(errors='replace')}"
            return result
        dialog.to = final.to or dialog.to
        ack = dialog.request(b"ACK", 1, _branch())
        dialog.send(ack)
        if hold > 0:
            eventlib.sleep(hold)
        bye = dialog.request(b"BYE", 2, _branch())
        dialog.send(bye)
        deadline = eventlib.get_hub().clock() + 64 * t1
        interval = t1
        while (left := deadline - eventlib.get_hub().clock()) > 0:
            response = dialog.receive(min(interval, left))
            if response is None:
                dialog.send(bye)
                interval = min(2 * interval, T2)
                continue
            if response.cseq_method == b"INVITE" and response.code == 200:
                dialog.send(ack)  # our ACK was lost: the 200 came again
                continue
            if response.cseq_method == b"BYE" and response.code >= 200:
                result.codes.append(response.code)
                result.outcome = "completed" if response.code == 200 else "failed"
                return result
        result.detail = "no final response to BYE"
        return result


def run_calls(
    target: tuple[str, int], calls: int, concurrency: int, **options: object
) -> list[CallResult]:
    """Place ``calls`` calls, ``concurrency`` at a time, each in its own proc.

    Raises:
        ValueError: ``calls`` < 0 or ``concurrency`` < 1 (nothing could ever run).
    """
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 0:
        raise ValueError(f"calls must be an integer >= 0, got {calls!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(
            f"concurrency must be an integer >= 1 (calls in flight at once), got {concurrency!r}"
        )
    results: list[CallResult] = []
    pool = eventlib.Semaphore(concurrency)

    def one() -> None:
        try:
            results.append(place_call(target, **options))  # type: ignore[arg-type]
        finally:
            pool.release()

    procs = []
    for _ in range(calls):
        pool.acquire()
        procs.append(eventlib.spawn(one))
    eventlib.waitall(procs)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:5060", help="host:port of the UAS")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--hold", type=float, default=0.0, help="seconds between ACK and BYE")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        parser.error(f"--target must be host:port (e.g. 127.0.0.1:5060), got {args.target!r}")
    if args.calls < 0 or args.concurrency < 1:
        parser.error("--calls must be >= 0 and --concurrency >= 1")
    results = run_calls((host.strip("[]"), int(port)), args.calls, args.concurrency, hold=args.hold)
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    print(" ".join(f"{name}={count}" for name, count in sorted(outcomes.items())))
    return 0 if outcomes.get("completed", 0) == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
