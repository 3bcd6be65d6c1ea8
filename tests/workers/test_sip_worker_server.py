"""WorkerSipServer: the SIP UAS of one worker (drain modes, BYEs of a dead predecessor)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from eventlib.green import socket
from eventlib.workers import StopRequest
from examples.sip_uas import Config
from examples.sip_uas.workers import WorkerSipServer


@contextlib.contextmanager
def _server(index: int = 0) -> Iterator[WorkerSipServer]:
    server = WorkerSipServer(Config(udp_port=0), index).start()
    try:
        yield server
    finally:
        server.stop()


def _request(method: str, call_id: str, to_tag: str | None = None) -> bytes:
    to = "<sip:uas@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (
        f"{method} sip:uas@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKworker1\r\n"
        "From: <sip:uac@127.0.0.1>;tag=abc\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: 2 {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _answers(port: int, data: bytes, timeout: float = 1.0) -> list[int]:
    """Status codes of the answers to one datagram within ``timeout``."""
    codes = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(data, ("127.0.0.1", port))
        sock.settimeout(timeout)
        with contextlib.suppress(TimeoutError):
            while True:
                codes.append(int(sock.recvfrom(65535)[0].split(b" ", 2)[1]))
    return codes


def test_a_bye_for_a_dialog_of_the_slots_previous_process_gets_200(real_reactor):
    """The To tag names this slot but another pid: that call died with its worker; 200."""
    with _server(index=1) as server:
        tag = f"w1.{os.getpid() + 1:x}.5"
        assert _answers(server.udp_port, _request("BYE", "gone@x", tag)) == [200]
        assert server.orphan_byes == 1


def test_a_bye_for_an_unknown_dialog_of_another_slot_still_gets_481(real_reactor):
    """Another slot's tag, or one of this very process, is an unknown dialog: 481."""
    with _server(index=1) as server:
        own = f"w1.{os.getpid():x}.99"
        for tag in ("w0.abc.1", own, "random"):
            assert _answers(server.udp_port, _request("BYE", f"x-{tag}@x", tag)) == [481]
        assert server.orphan_byes == 0


def test_a_stopping_worker_answers_new_invites_with_503(real_reactor):
    """Draining to stop: new calls are refused with 503 Retry-After."""
    with _server() as server:
        server.draining = StopRequest(5.0, restarting=False)
        assert _answers(server.udp_port, _request("INVITE", "new@x")) == [503]
        assert server.stats.rejected == 1


def test_a_worker_draining_for_a_rolling_restart_leaves_new_udp_invites_unanswered(
    real_reactor,
):
    """Draining for a successor: a new UDP INVITE gets no answer (its retransmission will)."""
    with _server() as server:
        server.draining = StopRequest(5.0, restarting=True)
        assert _answers(server.udp_port, _request("INVITE", "new@x"), timeout=0.5) == []
        assert server.stats.dropped == 1
        assert server.calls == {}
