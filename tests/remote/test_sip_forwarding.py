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
from sipp_results import SippRun, finish_sipp

import eventlib
from eventlib.green import socket, subprocess
from eventlib.mailbox import Actor, ActorNotRunning
from eventlib.remote import Node, NotConnected
from examples.sip_uas.message import build_response, parse_message
from examples.sip_uas.server import Config
from examples.sip_uas.session import Call
from examples.sip_uas.workers import (
    RELAY_ACTORS,
    WorkerSipServer,
    relay_actor,
    start_pool,
    totals,
)

from .conftest import free_port

pytestmark = pytest.mark.eventlib(time_limit=90)

CALLS = 24
SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).with_name("scenarios")
requires_sipp = pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) is not installed")
_TO_TAG = re.compile(rb"^To:.*;tag=([^;\r\n]+)", re.MULTILINE | re.IGNORECASE)
_CALL_ID = re.compile(rb"^Call-ID: *([^\r\n]+)", re.MULTILINE | re.IGNORECASE)


def _request(
    method: str, call_id: str, cseq: int, port: int, to_tag: bytes = b"", *, transport: str = "UDP"
) -> bytes:
    to = "<sip:uas@127.0.0.1>" + (f";tag={to_tag.decode()}" if to_tag else "")
    branch = f"z9hG4bK-{call_id.partition('@')[0]}-{cseq}"
    return (
        f"{method} sip:uas@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 127.0.0.1:{port};branch={branch}\r\n"
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


# -- TCP: the request is relayed to the owner, its answers come back on its connection -----


_CONTENT_LENGTH = re.compile(rb"^Content-Length: *(\d+)", re.MULTILINE | re.IGNORECASE)


class _TcpClient:
    """A SIP client's TCP connection: requests out, responses in, cut by Content-Length."""

    def __init__(self, server_port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server_port), timeout=10)
        self.port = int(self.sock.getsockname()[1])
        self.buffer = b""

    def __enter__(self) -> _TcpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()

    def request(self, method: str, call_id: str, cseq: int, to_tag: bytes = b"") -> None:
        self.sock.sendall(_request(method, call_id, cseq, self.port, to_tag, transport="TCP"))

    def response(self, timeout: float) -> bytes | None:
        """The next response, or None if none is complete within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = _CONTENT_LENGTH.search(self.buffer, 0, end + 2)
                total = end + 4 + (int(length.group(1)) if length else 0)
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total], self.buffer[total:]
                    return message
            try:
                chunk = self.sock.recv(65535)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def final(self, timeout: float = 10, until: int = 200) -> bytes | None:
        """The next response with a code >= ``until``; None if none comes in time."""
        deadline = time.monotonic() + timeout
        while (reply := self.response(max(deadline - time.monotonic(), 0.01))) is not None:
            if _code(reply) >= until:
                return reply
        return None


def _tcp_call_with_bye_on_another_connection(server_port: int, call_id: str) -> str:
    """INVITE and ACK over one TCP connection; an OPTIONS in the dialog, then the BYE, over
    another. Their final statuses, as text."""
    with _TcpClient(server_port) as caller:
        caller.request("INVITE", call_id, 1)
        ok = caller.final()
        if ok is None or _code(ok) != 200:
            return f"INVITE: {ok!r}"
        tag = _TO_TAG.search(ok).group(1)
        caller.request("ACK", call_id, 1, tag)
        with _TcpClient(server_port) as other:
            other.request("OPTIONS", call_id, 2, tag)
            options = other.final()
            other.request("BYE", call_id, 3, tag)
            bye = other.final()
    return " ".join(str(reply and _code(reply)) for reply in (options, bye))


def test_in_dialog_requests_over_another_tcp_connection_are_answered_on_that_connection(
    real_reactor, nats_server
):
    """In-dialog requests (OPTIONS, BYE) whose connection the other worker accepted are
    relayed to the owner, and its answers come back over their connection: no call fails."""
    config = Config(host="127.0.0.1", udp_port=None, tcp_port=0, ring_seconds=0.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        port = shared.tcp_port
        callers = [
            eventlib.spawn(_tcp_call_with_bye_on_another_connection, port, f"tcp-{n}@test")
            for n in range(CALLS)
        ]
        assert [caller.wait() for caller in callers] == ["200 200"] * CALLS
        counts = _settled_totals(pool, "completed", CALLS)
        # The kernel hashes each new connection to one of 2 listening sockets: about half
        # the second connections reach the worker without the call (none of 24: 2**-24).
        assert counts["forwarded"] > 0
        assert counts["relays_failed"] == 0
        assert counts["completed"] == CALLS
    finally:
        pool.stop()
        shared.close()


def _tcp_cancel_on_another_connection(server_port: int, call_id: str) -> str:
    """INVITE over one TCP connection; once it rings, CANCEL over another; the ACK of the
    final response over the first. The CANCEL's and the INVITE's final statuses, as text."""
    with _TcpClient(server_port) as caller:
        caller.request("INVITE", call_id, 1)
        ringing = caller.final(until=180)
        if ringing is None or _code(ringing) != 180:
            return f"INVITE: {ringing!r}"
        with _TcpClient(server_port) as canceller:
            canceller.request("CANCEL", call_id, 1)  # the INVITE's branch: same call, CSeq
            cancelled = canceller.final()
        if cancelled is None or _code(cancelled) != 200:
            return f"CANCEL: {cancelled!r}"
        final = caller.final()
        if final is None:
            return "200, the INVITE got no final response"
        caller.request("ACK", call_id, 1, _TO_TAG.search(final).group(1))
    return f"200 {_code(final)}"


def test_cancel_over_another_tcp_connection_is_answered_on_that_connection(
    real_reactor, nats_server
):
    """A CANCEL whose connection the other worker accepted is looked up and taken by the
    worker ringing its INVITE: its 200 comes back on the CANCEL's connection, the 487 on the
    INVITE's."""
    config = Config(host="127.0.0.1", udp_port=None, tcp_port=0, ring_seconds=20.0)
    pool, shared = start_pool(2, config, quiet=True, heartbeat_interval=0.3, nats=nats_server.url)
    try:
        port = shared.tcp_port
        callers = [
            eventlib.spawn(_tcp_cancel_on_another_connection, port, f"tcp-cancel-{n}@test")
            for n in range(CALLS)
        ]
        assert [caller.wait() for caller in callers] == ["200 487"] * CALLS
        counts = _settled_totals(pool, "cancelled", CALLS)
        assert counts["cancelled"] == CALLS
        assert counts["forwarded"] > 0
        assert counts["relays_failed"] == 0
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


def _twin_sipps(
    pair: tuple[str, str], server_port: int, calls: int, cwd: Path, transport: str = "udp"
) -> tuple[SippRun, SippRun]:
    """Run a 3PCC pair: the second scenario's sipp listens for the twin link, the first places
    ``calls`` calls (a socket each, over UDP or TCP: the kernel spreads them over the workers)
    and hands each call to it; its one socket sends the other half of every call. Both sipps'
    results."""
    caller, other = pair
    twin_port = free_port()
    letter = transport[0]  # sipp's -t: u1/un for UDP, t1/tn for TCP
    local_port = _free_udp_port() if transport == "udp" else free_port()
    other_sipp = _sipp(
        other, server_port, twin_port, cwd, "-t", f"{letter}1", "-p", str(local_port),
        "-m", str(calls),
    )  # fmt: skip
    try:
        with eventlib.Timeout(10):
            while not _listening(twin_port):
                assert other_sipp.poll() is None, finish_sipp(other_sipp, 1).output
                eventlib.sleep(0.02)
        caller_sipp = _sipp(
            caller, server_port, twin_port, cwd, "-t", f"{letter}n", "-r", "20", "-m", str(calls)
        )
        caller_result = finish_sipp(caller_sipp, 60)
    finally:
        other_result = finish_sipp(other_sipp, 10)  # it exits when its twin has ended
    return caller_result, other_result


def _pool_on(transport: str, nats_url: str, **config: Any) -> tuple[Any, Any, int]:
    """2 workers serving ``transport`` only, with NATS: the pool, its sockets and its port."""
    udp = transport == "udp"
    pool, shared = start_pool(
        2,
        Config(
            host="127.0.0.1", udp_port=0 if udp else None, tcp_port=None if udp else 0, **config
        ),
        quiet=True,
        heartbeat_interval=0.3,
        nats=nats_url,
    )
    return pool, shared, shared.udp_port if udp else shared.tcp_port


@requires_sipp
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_sipp_byes_from_another_port_fail_no_call_on_2_workers(
    real_reactor, nats_server, tmp_path, transport
):
    """sipp in twin mode sends each BYE from a second instance's socket (over TCP: its
    connection): 0 failed calls, and the BYEs that reached the other worker were forwarded to
    the owner (over TCP: relayed, answered on their connection)."""
    calls = 40
    pool, shared, port = _pool_on(transport, nats_server.url, ring_seconds=0.0)
    try:
        caller, hangup = _twin_sipps(
            ("bye_caller.xml", "bye_hangup.xml"), port, calls, tmp_path, transport
        )
        assert caller.counts == (0, calls, 0), caller.output
        assert hangup.counts == (0, calls, 0), hangup.output
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
    """Worker 1's ``dialogs`` as a test sees it: answers "no such call" once released (to a
    relay: ``answers``, none by default)."""

    def __init__(self, release: eventlib.Event, answers: list[bytes]) -> None:
        self.release = release
        self.answers = answers
        self.messages: list[Any] = []

    def handle(self, message: Any) -> bool | list[bytes]:
        self.messages.append(message)
        self.release.wait()
        return self.answers if message[0] == "relay" else False


@contextlib.contextmanager
def _worker_0_and_a_held_worker_1(
    url: str, tcp: bool = False, answers: tuple[bytes, ...] = (), **options: Any
) -> Any:
    """Worker 0 of a pool of 2, in this process; worker 1 answers lookups once released, and
    relays with ``answers``."""
    release = eventlib.Event()
    config = Config(udp_port=0, tcp_port=0 if tcp else None)
    server = WorkerSipServer(config, 0, **options).start()
    other = None
    try:
        server.join_cluster(url, 2)
        other = Node("sip-w1", url, heartbeat_interval=0.5).start()
        held = _HeldDialogs.spawn(release, list(answers))
        for name in ("dialogs", *RELAY_ACTORS):
            other.export(name, held)
        yield server, release, held
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
        _,
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
    with _worker_0_and_a_held_worker_1(own_nats_server.url, lookup_timeout=0.2) as (server, _, _):
        with _udp_socket() as sock:
            cancel = _request("CANCEL", "slow@test", 1, sock.getsockname()[1])
            sock.sendto(cancel, ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.lookups_dropped == 1)
            assert _answers(sock, 0.2) == []
            sock.sendto(cancel, ("127.0.0.1", server.udp_port))
            _wait_until(lambda: server.lookups == 2)


@requires_sipp
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_sipp_cancels_from_another_port_fail_no_call_on_2_workers(
    real_reactor, nats_server, tmp_path, transport
):
    """sipp in twin mode CANCELs each ringing INVITE from a second instance's socket (over
    TCP: its connection): every CANCEL gets 200 and every INVITE 487; the CANCELs that
    reached the other worker were looked up and taken by the worker ringing the call."""
    calls = 40
    pool, shared, port = _pool_on(transport, nats_server.url, ring_seconds=30.0)
    try:
        caller, canceller = _twin_sipps(
            ("cancel_caller.xml", "cancel_canceller.xml"), port, calls, tmp_path, transport
        )
        assert caller.counts == (0, calls, 0), caller.output
        assert canceller.counts == (0, calls, 0), canceller.output
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
    with _worker_0_and_a_held_worker_1(own_nats_server.url) as (server, _, _):
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


# -- TCP relays in this process: worker 0 relays to a worker 1 that the test holds ----------


def _retry_after(reply: bytes | None) -> tuple[int, bytes] | None:
    """(status, Retry-After value) of a response; None for no response."""
    if reply is None:
        return None
    match = re.search(rb"^Retry-After: *([^\r\n]*)", reply, re.MULTILINE | re.IGNORECASE)
    return _code(reply), match.group(1) if match else b""


def test_a_tcp_request_whose_owner_does_not_answer_in_time_gets_500_retry_after(
    real_reactor, own_nats_server
):
    """The client does not retransmit over TCP: no answer from the owner within
    relay_timeout is a 500 with Retry-After on the request's connection, not silence."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url, tcp=True, relay_timeout=0.3) as (
        server,
        _,
        held,
    ):
        with _TcpClient(server.tcp_port) as client:
            started = time.monotonic()
            client.request("BYE", "slow-owner@test", 2, b"w1.abc.1")
            reply = client.final(timeout=5)
            assert _retry_after(reply) == (500, b"1")
            assert time.monotonic() - started >= 0.3
            _wait_until(lambda: held.messages)
            assert [message[0] for message in held.messages] == ["relay"]
            assert (server.forwarded, server.relays_failed) == (1, 1)


def test_tcp_requests_beyond_max_relays_get_500_at_once(real_reactor, own_nats_server):
    """With max_relays relays waiting for their owner, one more TCP request is refused at
    once; a relay whose owner returns no final answer gets 500 too."""
    with _worker_0_and_a_held_worker_1(
        own_nats_server.url, tcp=True, max_relays=1, relay_timeout=10
    ) as (server, release, _):
        with _TcpClient(server.tcp_port) as first, _TcpClient(server.tcp_port) as second:
            first.request("BYE", "first@test", 2, b"w1.abc.1")
            _wait_until(lambda: server.forwarded == 1)
            second.request("BYE", "second@test", 2, b"w1.abc.2")
            assert _retry_after(second.final(timeout=5)) == (500, b"1")
            assert first.response(0.2) is None  # still waiting for the held owner
            release.send(None)
            assert _retry_after(first.final(timeout=5)) == (500, b"1")
            assert (server.forwarded, server.relays_failed) == (1, 2)


def test_the_owners_answers_go_out_in_order_on_the_connection_and_a_final_one_ends_it(
    real_reactor, own_nats_server
):
    """A provisional and a final answer from the owner are written in that order on the
    request's connection, and nothing after them (no 500)."""
    bye = parse_message(_request("BYE", "answered@test", 2, 5060, b"w1.abc.1", transport="TCP"))
    answers = (build_response(bye, 100), build_response(bye, 200))
    with _worker_0_and_a_held_worker_1(own_nats_server.url, tcp=True, answers=answers) as (
        server,
        release,
        _,
    ):
        release.send(None)
        with _TcpClient(server.tcp_port) as client:
            client.request("BYE", "answered@test", 2, b"w1.abc.1")
            replies = [client.response(5), client.response(5)]
            assert [reply and _code(reply) for reply in replies] == [100, 200]
            assert client.response(0.3) is None
            assert (server.forwarded, server.relays_failed) == (1, 0)


def test_an_ack_over_tcp_for_another_workers_dialog_is_sent_on_without_waiting(
    real_reactor, own_nats_server
):
    """An ACK gets no answer: it is cast to the owner (wait 0) and nothing is written back."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url, tcp=True) as (server, _, held):
        with _TcpClient(server.tcp_port) as client:
            client.request("ACK", "ack@test", 1, b"w1.abc.1")
            _wait_until(lambda: held.messages)
            kind, _data, _host, port, wait = held.messages[0]
            assert (kind, port, wait) == ("relay", client.port, 0.0)
            assert client.response(0.2) is None
            assert (server.forwarded, server.relays_failed) == (1, 0)


def test_a_tcp_cancel_whose_lookup_times_out_gets_500_retry_after(real_reactor, own_nats_server):
    """A worker that does not answer a TCP CANCEL's lookup in time may have the call: no 481,
    and no silence either (nothing is resent over TCP): 500 with Retry-After."""
    with _worker_0_and_a_held_worker_1(own_nats_server.url, tcp=True, lookup_timeout=0.2) as (
        server,
        _,
        held,
    ):
        with _TcpClient(server.tcp_port) as client:
            client.request("CANCEL", "slow-cancel@test", 1)
            assert _retry_after(client.final(timeout=5)) == (500, b"1")
            _wait_until(lambda: held.messages)
            assert held.messages[0][0] == "cancel"
            assert held.messages[0][-1] == pytest.approx(0.1)  # the owner's wait: half of it
            assert (server.lookups_dropped, server.relays_failed) == (1, 1)


def test_a_session_slow_to_answer_holds_back_no_relay_of_a_call_in_another_relay_actor(
    real_reactor, own_nats_server
):
    """Worker 1 waits for a session that never answers one relayed BYE; a BYE for a call
    whose Call-ID picks another relay actor is answered meanwhile."""
    slow, quick = (
        "mute@test",
        next(
            call_id
            for call_id in (f"quick-{n}@test" for n in range(100))
            if relay_actor(call_id.encode()) != relay_actor(b"mute@test")
        ),
    )
    url = own_nats_server.url
    receiver = WorkerSipServer(Config(udp_port=None, tcp_port=0), 0, relay_timeout=10).start()
    owner = WorkerSipServer(Config(udp_port=None), 1)
    try:
        receiver.join_cluster(url, 2)
        owner.join_cluster(url, 2)
        invite = parse_message(_request("INVITE", slow, 1, 5060))
        # A call with no session reading its mailbox: nothing will answer its BYE.
        owner.calls[slow.encode()] = Call(invite, None, ("127.0.0.1", 5060), b"w1.1.1", 4)
        with _TcpClient(receiver.tcp_port) as first, _TcpClient(receiver.tcp_port) as second:
            first.request("BYE", slow, 2, b"w1.1.1")
            _wait_until(lambda: owner.forwarded_in == 1)  # the owner waits for the session
            started = time.monotonic()
            second.request("BYE", quick, 2, b"w1.1.2")  # a dialog of slot 1's previous process
            assert _code(second.final(timeout=10)) == 200
            assert time.monotonic() - started < 4  # the slow one is held for 5 s
            assert _retry_after(first.final(timeout=10)) == (500, b"1")
    finally:
        for server in (receiver, owner):
            if server.node is not None:
                server.node.stop()
            server.stop()


def test_the_owner_returns_the_answers_it_has_when_its_wait_ends(real_reactor):
    """A relayed request its session does not answer within ``wait``: the owner's reply
    comes then, with no answers, rather than holding its dialogs actor longer."""
    server = WorkerSipServer(Config(udp_port=None), 1)
    invite = parse_message(_request("INVITE", "mute@test", 1, 5060))
    # A call with no session reading its mailbox: nothing will answer the BYE.
    server.calls[b"mute@test"] = Call(invite, None, ("127.0.0.1", 5060), b"w1.1.1", 4)
    started = time.monotonic()
    bye = _request("BYE", "mute@test", 2, 5060, b"w1.1.1", transport="TCP")
    assert server.take_relayed(bye, ("127.0.0.1", 5060), 0.2) == []
    assert 0.2 <= time.monotonic() - started < 10
    assert server.forwarded_in == 1


def test_the_owner_returns_an_answer_made_at_once_without_waiting(real_reactor):
    """A relayed BYE for a dialog of the slot's previous process is answered 200 at once, and
    the reply carries it without waiting for more."""
    server = WorkerSipServer(Config(udp_port=None), 1)
    started = time.monotonic()
    bye = _request("BYE", "gone@test", 2, 5060, b"w1.1.1", transport="TCP")
    answers = server.take_relayed(bye, ("127.0.0.1", 5060), 30.0)
    assert [_code(answer) for answer in answers] == [200]
    assert time.monotonic() - started < 10
    assert server.orphan_byes == 1
