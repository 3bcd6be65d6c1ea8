"""The SIP example on 2 workers: in-dialog requests and CANCELs reach the worker that owns
the call, whichever worker the kernel gives them to."""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import eventlib
from eventlib.green import socket, subprocess
from eventlib.mailbox import Actor, ActorNotRunning
from eventlib.remote import Node, NotConnected
from examples.sip_uas.server import Config
from examples.sip_uas.workers import WorkerSipServer, start_pool, totals

from .conftest import free_port

pytestmark = pytest.mark.eventlib(time_limit=90)

CALLS = 24
SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).with_name("scenarios")
requires_sipp = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) is not installed")
_TO_TAG = re.compile(rb"^To:.*;tag=([^;\r\n]+)", re.MULTILINE | re.IGNORECASE)
_CALL_ID = re.compile(rb"^Call-ID: *([^\r\n]+)", re.MULTILINE | re.IGNORECASE)
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


def _code(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _udp_socket() -> Any:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _transaction(
    sock, data: bytes, server_port: int, deadline: float, until: int = 200
) -> bytes | None:
    """Send ``data`` until a response with a code >= ``until`` arrives (retransmitting every
    0.5 s, as T1); that response, or None at ``deadline``."""
    while time.monotonic() < deadline:
        sock.sendto(data, ("127.0.0.1", server_port))
        sock.settimeout(0.5)
        try:
            while True:
                reply = sock.recv(65535)
                if _code(reply) >= until:
                    return reply
        except TimeoutError:
            continue
    return None


def _settled_totals(pool: Any, key: str, count: int) -> dict[str, int]:
    """The workers' totals once their heartbeats show ``count`` calls ``key`` and every
    forward received (each worker's counters arrive with its own heartbeat)."""
    with eventlib.Timeout(10):
        while True:
            counts = totals(pool)
            forwarded = counts.get("forwarded", 0)
            if counts.get(key, 0) >= count and counts.get("forwarded_in", 0) == forwarded:
                return counts
            eventlib.sleep(0.1)


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
        counts = _settled_totals(pool, "completed", CALLS)
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
        counts = _settled_totals(pool, "completed", calls)
        # All BYEs come from one port, so one worker; the INVITEs' ports are hashed over both:
        # about half the calls are the other worker's (none of 40: odds 2**-40).
        assert 0 < counts["forwarded"] < calls
        assert counts["completed"] == calls
    finally:
        pool.stop()
        shared.close()


# -- CANCEL: no To tag yet, so the worker that got it asks the others for its Call-ID -------


def _cancel_from_another_port(server_port: int, call_id: str) -> str:
    """INVITE from one socket; once it rings, CANCEL from another; the ACK of the final
    response from the first. The CANCEL's and the INVITE's final statuses, as text."""
    deadline = time.monotonic() + 10
    with _udp_socket() as caller, _udp_socket() as canceller:
        port = caller.getsockname()[1]
        invite = _request("INVITE", call_id, 1, port)
        ringing = _transaction(caller, invite, server_port, deadline, until=180)
        if ringing is None or _code(ringing) != 180:
            return f"INVITE: {ringing!r}"
        cancel = _request("CANCEL", call_id, 1, canceller.getsockname()[1])  # the INVITE's branch
        cancelled = _transaction(canceller, cancel, server_port, deadline)
        if cancelled is None or _code(cancelled) != 200:
            return f"CANCEL: {cancelled!r}"
        caller.settimeout(max(deadline - time.monotonic(), 0.1))
        try:
            final = caller.recv(65535)
            while _code(final) < 200:
                final = caller.recv(65535)
        except TimeoutError:
            return "200, the INVITE got no final response"
        tag = _TO_TAG.search(final).group(1)
        caller.sendto(_request("ACK", call_id, 1, port, tag), ("127.0.0.1", server_port))
    return f"200 {_code(final)}"


def test_cancel_from_another_port_reaches_the_worker_ringing_its_invite(real_reactor, nats_server):
    """A CANCEL hashed to the other worker is taken by the worker that has its INVITE: the
    CANCEL gets 200, the INVITE 487."""
    config = Config(host="127.0.0.1", udp_port=0, ring_seconds=20.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        port = shared.udp_port
        callers = [
            eventlib.spawn(_cancel_from_another_port, port, f"cancel-{n}@test")
            for n in range(CALLS)
        ]
        assert [caller.wait() for caller in callers] == ["200 487"] * CALLS
        counts = _settled_totals(pool, "cancelled", CALLS)
        assert counts["cancelled"] == CALLS
        # Each CANCEL's new port is hashed to either worker: about half reach the other one.
        assert counts["forwarded"] > 0
        assert counts["lookups"] >= counts["forwarded"]
    finally:
        pool.stop()
        shared.close()


def test_cancel_for_a_call_no_worker_has_gets_481(real_reactor, nats_server):
    """Whichever worker gets it asks the other, which has no such call either: 481."""
    config = Config(host="127.0.0.1", udp_port=0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        deadline = time.monotonic() + 10
        codes = []
        for n in range(8):  # from new ports: both workers get some
            with _udp_socket() as sock:
                cancel = _request("CANCEL", f"nobody-{n}@test", 1, sock.getsockname()[1])
                reply = _transaction(sock, cancel, shared.udp_port, deadline)
                codes.append(reply and _code(reply))
        assert codes == [481] * 8
        with eventlib.Timeout(10):
            while totals(pool).get("lookups", 0) < 8:
                eventlib.sleep(0.1)
        assert totals(pool)["forwarded"] == 0
    finally:
        pool.stop()
        shared.close()


class _HeldDialogs(Actor):
    """Worker 1's ``dialogs`` as a test sees it: answers "no such call" once released."""

    def __init__(self, release: eventlib.Event) -> None:
        self.release = release

    def handle(self, message: Any) -> bool:
        self.release.wait()
        return False


@contextlib.contextmanager
def _worker_0_and_a_held_worker_1(url: str, **options: Any) -> Any:
    """Worker 0 of a pool of 2, in this process; worker 1 answers lookups once released."""
    release = eventlib.Event()
    server = WorkerSipServer(Config(udp_port=0), 0, **options).start()
    other = None
    try:
        server.join_cluster(url, 2)
        other = Node("sip-w1", url, heartbeat_interval=0.5).start()
        other.export("dialogs", _HeldDialogs.spawn(release))
        yield server, release
    finally:
        if not release.ready():
            release.send(None)
        if other is not None:
            other.stop()
        if server.node is not None:
            server.node.stop()
        server.stop()


def _wait_until(condition: Any) -> None:
    with eventlib.Timeout(10):
        while not condition():
            eventlib.sleep(0.02)


def _answers(sock: Any, timeout: float) -> list[tuple[int, bytes]]:
    """(status, Call-ID) of every datagram that arrives within ``timeout``."""
    answers = []
    sock.settimeout(timeout)
    with contextlib.suppress(TimeoutError):
        while True:
            reply = sock.recv(65535)
            answers.append((_code(reply), _CALL_ID.search(reply).group(1)))
    return answers


def test_cancels_beyond_max_lookups_are_dropped_and_retransmissions_join_theirs(
    real_reactor, own_nats_server
):
    """Lookups run one per Call-ID, at most max_lookups at once: a third CANCEL is dropped, a
    retransmission starts none; the two get 481 once the other worker answers."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url, max_lookups=2, lookup_timeout=10) as (
        server,
        release,
    ):
        with _udp_socket() as sock:
            port = sock.getsockname()[1]
            for call_id in ("one@test", "two@test", "three@test", "one@test"):
                sock.sendto(_request("CANCEL", call_id, 1, port), ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.stats.received == 4)
            assert (server.lookups, server.lookups_dropped) == (2, 1)
            assert _answers(sock, 0.2) == []
            release.send(None)
            assert sorted(_answers(sock, 1.0)) == [(481, b"one@test"), (481, b"two@test")]


def test_a_cancel_whose_lookup_times_out_is_dropped_not_refused(real_reactor, own_nats_server):
    """A worker that does not answer in time may have the call: no 481, the CANCEL is dropped
    (its retransmission asks again)."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url, lookup_timeout=0.2) as (server, _):
        with _udp_socket() as sock:
            cancel = _request("CANCEL", "slow@test", 1, sock.getsockname()[1])
            sock.sendto(cancel, ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.lookups_dropped == 1)
            assert _answers(sock, 0.2) == []
            sock.sendto(cancel, ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.lookups == 2)


@requires_sipp
def test_sipp_cancels_from_another_port_fail_no_call_on_2_workers(
    real_reactor, nats_server, tmp_path
):
    """sipp in twin mode CANCELs each ringing INVITE from a second instance's port: every
    CANCEL gets 200 and every INVITE 487; the CANCELs that reached the other worker were
    looked up and taken by the worker ringing the call."""
    calls = 40
    config = Config(host="127.0.0.1", udp_port=0, ring_seconds=30.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        caller, canceller = _twin_sipps(
            ("cancel_caller.xml", "cancel_canceller.xml"), shared.udp_port, calls, tmp_path
        )
        assert caller[:3] == (0, calls, 0), caller[3]
        assert canceller[:3] == (0, calls, 0), canceller[3]
        counts = _settled_totals(pool, "cancelled", calls)
        # All CANCELs come from one port, so one worker; the INVITEs' ports are hashed over both.
        assert 0 < counts["forwarded"] < calls
        assert counts["cancelled"] == calls
    finally:
        pool.stop()
        shared.close()


def test_a_cancel_while_disconnected_from_nats_is_dropped_not_refused(
    real_reactor, own_nats_server
):
    """Without NATS no worker can say it has not the call: no 481, the CANCEL is dropped."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url) as (server, _):
        own_nats_server.stop()
        probe = server.node.ref("sip-w-none", "dialogs")
        with eventlib.Timeout(10):
            while True:  # until the node knows its connection is gone
                try:
                    probe.call(None, timeout=1)
                except NotConnected:
                    break
                except ActorNotRunning:
                    eventlib.sleep(0.02)
        with _udp_socket() as sock:
            cancel = _request("CANCEL", "offline@test", 1, sock.getsockname()[1])
            sock.sendto(cancel, ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.lookups_dropped == 1)
            assert _answers(sock, 0.2) == []
