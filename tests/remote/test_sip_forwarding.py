"""The SIP example on 2 workers: in-dialog requests reach the worker that owns the dialog."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import eventlib
from eventlib.green import socket, subprocess
from examples.sip_uas.server import Config
from examples.sip_uas.workers import start_pool, totals

from .conftest import free_port

pytestmark = pytest.mark.eventlib(time_limit=90)

CALLS = 24
SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).with_name("scenarios")
requires_sipp = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) is not installed")
_TO_TAG = re.compile(rb"^To:.*;tag=([^;\r\n]+)", re.MULTILINE | re.IGNORECASE)
_COUNT = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


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
        counts = _settled_totals(pool, CALLS)
        # The kernel hashes each new source port to one of 2 sockets: about half the BYEs
        # reach the worker that does not own the call (all 24 on the owner: odds 2**-24).
        assert counts["forwarded"] > 0
        assert counts["completed"] == CALLS
    finally:
        pool.stop()
        shared.close()


# -- sipp: BYEs from another port, with two sipp instances in 3PCC ("twin") mode ----------


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    """Whether a TCP socket listens on ``port`` (read from /proc: connecting to sipp's twin
    port would make us its twin). sipp binds its twin socket to 0.0.0.0, whatever -3pcc says."""
    wanted = f":{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted) and fields[3] == "0A":  # 0A: LISTEN
            return True
    return False


def _sipp(scenario: str, server_port: int, twin_port: int, cwd: Path, *options: str) -> Any:
    assert SIPP is not None
    command = [
        SIPP, "-sf", str(SCENARIOS / scenario), f"127.0.0.1:{server_port}", "-i", "127.0.0.1",
        "-3pcc", f"127.0.0.1:{twin_port}", "-max_socket", "512", "-nostdin", "-trace_err",
        "-timeout", "60s", "-timeout_error", *options,
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def _finish(process: Any, timeout: float) -> tuple[int, int, int, str]:
    """Wait for a sipp (killing it if it overstays): exit status, successful, failed, output."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    text = output.decode(errors="replace")
    counts = dict(_COUNT.findall(text))
    successful = int(counts.get("Successful call", -1))
    return process.returncode, successful, int(counts.get("Failed call", -1)), text[-3000:]


def _settled_totals(pool: Any, calls: int) -> dict[str, int]:
    """The workers' totals once their heartbeats show every call completed and every forward
    received (each worker's counters arrive with its own heartbeat)."""
    with eventlib.Timeout(10):
        while True:
            counts = totals(pool)
            forwarded = counts.get("forwarded", 0)
            if counts.get("completed", 0) >= calls and counts.get("forwarded_in", 0) == forwarded:
                return counts
            eventlib.sleep(0.1)


def _twin_sipps(
    pair: tuple[str, str], server_port: int, calls: int, cwd: Path
) -> tuple[tuple[int, int, int, str], tuple[int, int, int, str]]:
    """Run a 3PCC pair: the second scenario's sipp listens for the twin link, the first places
    ``calls`` calls (a socket each: the kernel spreads them over the workers) and hands each
    call to it; its one socket sends the other half of every call. Both sipps' results."""
    caller, other = pair
    twin_port = free_port()
    other_sipp = _sipp(
        other, server_port, twin_port, cwd, "-t", "u1", "-p", str(_free_udp_port()),
        "-m", str(calls),
    )  # fmt: skip
    try:
        with eventlib.Timeout(10):
            while not _listening(twin_port):
                assert other_sipp.poll() is None, _finish(other_sipp, 1)[3]
                eventlib.sleep(0.02)
        caller_sipp = _sipp(
            caller, server_port, twin_port, cwd, "-t", "un", "-r", "20", "-m", str(calls)
        )
        caller_result = _finish(caller_sipp, 60)
    finally:
        other_result = _finish(other_sipp, 10)  # it exits when its twin has ended
    return caller_result, other_result


@requires_sipp
def test_sipp_byes_from_another_port_fail_no_call_on_2_workers(real_reactor, nats_server, tmp_path):
    """sipp in twin mode sends each BYE from a second instance's port: 0 failed calls, and the
    BYEs that reached the other worker were forwarded to the owner."""
    calls = 40
    config = Config(host="127.0.0.1", udp_port=0, ring_seconds=0.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        caller, hangup = _twin_sipps(
            ("bye_caller.xml", "bye_hangup.xml"), shared.udp_port, calls, tmp_path
        )
        assert caller[:3] == (0, calls, 0), caller[3]
        assert hangup[:3] == (0, calls, 0), hangup[3]
        counts = _settled_totals(pool, calls)
        # All BYEs come from one port, so one worker; the INVITEs' ports are hashed over both:
        # about half the calls are the other worker's (none of 40: odds 2**-40).
        assert 0 < counts["forwarded"] < calls
        assert counts["completed"] == calls
    finally:
        pool.stop()
        shared.close()
