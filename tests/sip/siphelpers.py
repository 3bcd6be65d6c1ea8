"""Helpers for the SIP example's tests: a running UAS, sipp runs, raw UDP exchanges."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sipp_results import SippRun, finish_sipp

from eventlib.green import socket, subprocess
from examples.sip_uas import SipServer

SIPP = shutil.which("sipp")
requires_sipp = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) is not installed")


@contextlib.contextmanager
def running_server(**config: Any) -> Iterator[SipServer]:
    """A UAS on 127.0.0.1 (any free port unless told), stopped afterwards."""
    config.setdefault("udp_port", 0)
    server = SipServer(**config).start()
    try:
        yield server
    finally:
        server.stop()


def sipp_command(*args: str, seconds: int) -> list[str]:
    assert SIPP is not None
    return [SIPP, *args, "-nostdin", "-timeout", f"{seconds}s", "-timeout_error"]


def start_sipp(args: list[str], cwd: Path) -> Any:
    return subprocess.Popen(
        args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def run_sipp(args: list[str], cwd: Path, timeout: float) -> SippRun:
    return finish_sipp(start_sipp(args, cwd), timeout)


def exchange(
    port: int, data: bytes, *, timeout: float = 1.0, host: str = "127.0.0.1", replies: int = 1
) -> list[bytes]:
    """Send one datagram to the UAS and collect up to ``replies`` answers within ``timeout``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    answers: list[bytes] = []
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.sendto(data, (host, port))
        sock.settimeout(timeout)
        with contextlib.suppress(TimeoutError):
            while len(answers) < replies:
                answers.append(sock.recvfrom(65535)[0])
    return answers


def request(
    method: str = "INVITE",
    *,
    call_id: str = "test-call@127.0.0.1",
    cseq: str | None = None,
    extra: str = "",
    body: str = "",
) -> bytes:
    """A well-formed request from 127.0.0.1 (tests break it on purpose)."""
    cseq = cseq or f"1 {method}"
    return (
        f"{method} sip:uas@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKtest1\r\n"
        "From: <sip:uac@127.0.0.1>;tag=abc\r\n"
        "To: <sip:uas@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


class Recorder:
    """An in-memory endpoint: keeps every message the UAS sends, parsed."""

    contact = b"<sip:uas@127.0.0.1:5060>"

    def __init__(self, *, reliable: bool = False) -> None:
        self.reliable = reliable
        self.sent: list[Any] = []

    def send(self, data: bytes, peer: Any) -> None:
        from examples.sip_uas.message import parse_message

        self.sent.append(parse_message(data))

    @property
    def codes(self) -> list[int]:
        return [message.code for message in self.sent]

    def last(self, code: int) -> Any:
        """The last response with ``code`` sent here."""
        return [message for message in self.sent if message.code == code][-1]
