"""The SIP example on 2 workers: in-dialog requests reach the worker that owns the dialog."""

from __future__ import annotations

import re
import time

import pytest

import eventlib
from eventlib.green import socket
from examples.sip_uas.server import Config
from examples.sip_uas.workers import start_pool, totals

pytestmark = pytest.mark.eventlib(time_limit=90)

CALLS = 24
_TO_TAG = re.compile(rb"^To:.*;tag=([^;\r\n]+)", re.MULTILINE | re.IGNORECASE)


def _request(method: str, call_id: str, cseq: int, port: int, to_tag: bytes = b"") -> bytes:
    to = "<sip:uas@127.0.0.1>" + (f";tag={to_tag.decode()}" if to_tag else "")
    branch = f"z9hG4bK-{call_id.partition('@')[0]}-{cseq}"
    return (
        f"{method} sip:uas@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch}\r\n"
        "From: <sip:uac@127.0.0.1>;tag=uac\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _transaction(sock, data: bytes, server_port: int, deadline: float) -> bytes | None:
    """Send ``data`` until a final response arrives (retransmitting every 0.5 s, as T1)."""
    while time.monotonic() < deadline:
        sock.sendto(data, ("127.0.0.1", server_port))
        sock.settimeout(0.5)
        try:
            while True:
                reply = sock.recv(65535)
                if int(reply.split(b" ", 2)[1]) >= 200:
                    return reply
        except TimeoutError:
            continue
    return None


def _call_with_bye_from_another_port(server_port: int, call_id: str) -> str:
    """INVITE and ACK from one socket, BYE from a new one; the BYE's final status, as text."""
    deadline = time.monotonic() + 10
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as caller:
        caller.bind(("127.0.0.1", 0))
        port = caller.getsockname()[1]
        ok = _transaction(caller, _request("INVITE", call_id, 1, port), server_port, deadline)
        if ok is None or not ok.startswith(b"SIP/2.0 200"):
            return f"INVITE: {ok!r}"
        tag = _TO_TAG.search(ok).group(1)
        caller.sendto(_request("ACK", call_id, 1, port, tag), ("127.0.0.1", server_port))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hangup:
        hangup.bind(("127.0.0.1", 0))
        port = hangup.getsockname()[1]
        reply = _transaction(hangup, _request("BYE", call_id, 2, port, tag), server_port, deadline)
    return "200" if reply is not None and reply.startswith(b"SIP/2.0 200") else f"BYE: {reply!r}"


def test_bye_from_another_port_is_forwarded_to_the_owning_worker(real_reactor, nats_server):
    """BYEs hashed to the other worker are forwarded by To tag and Call-ID: no call fails."""
    config = Config(host="127.0.0.1", udp_port=0, ring_seconds=0.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        port = shared.udp_port
        callers = [
            eventlib.spawn(_call_with_bye_from_another_port, port, f"fwd-{n}@test")
            for n in range(CALLS)
        ]
        outcomes = [caller.wait() for caller in callers]
        assert outcomes == ["200"] * CALLS
        with eventlib.Timeout(10):
            while totals(pool).get("completed", 0) < CALLS:
                eventlib.sleep(0.1)
        counts = totals(pool)
        # The kernel hashes each new source port to one of 2 sockets: about half the BYEs
        # reach the worker that does not own the call (all 24 on the owner: odds 2**-24).
        assert counts["forwarded"] > 0
        assert counts["forwarded_in"] == counts["forwarded"]
    finally:
        pool.stop()
        shared.close()
