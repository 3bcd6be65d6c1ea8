"""The UAS against sipp, the reference SIP load tool, over loopback UDP and TCP."""

from __future__ import annotations

import pytest
from siphelpers import (
    requires_sipp,
    run_sipp,
    running_server,
    sipp_command,
    start_sipp,
)
from sipp_results import finish_sipp

from examples.sip_uac import run_calls
from examples.sip_uas import InjectedCrash

pytestmark = [requires_sipp, pytest.mark.eventlib(time_limit=60)]


def _uac(port: int, *extra: str, calls: int, rate: int, seconds: int) -> list[str]:
    return sipp_command(
        "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-m", str(calls),
        "-r", str(rate), *extra, seconds=seconds,
    )  # fmt: skip


def test_sipp_uac_500_calls_at_100_cps_all_succeed(real_reactor, tmp_path):
    """sipp -sn uac places 500 calls at 100 calls/s; every one succeeds."""
    with running_server() as server:
        run = run_sipp(_uac(server.udp_port, calls=500, rate=100, seconds=30), tmp_path, 40)
        assert server.wait_idle(5)
        assert (run.successful, run.failed, run.returncode) == (500, 0, 0), run.output
        assert server.stats.completed == 500
        assert server.sessions.count_children().active == 0


def test_sipp_uac_with_5_percent_crashes_keeps_every_call_and_the_tree(
    real_reactor, hub_errors, tmp_path
):
    """5% of sessions crash; each is restarted by its supervisor and all 500 calls succeed."""
    hub_errors.expect(InjectedCrash)
    with running_server(crash_rate=0.05) as server:
        root, sessions = server.root, server.sessions
        run = run_sipp(_uac(server.udp_port, calls=500, rate=100, seconds=30), tmp_path, 40)
        assert server.wait_idle(5)
        assert (run.successful, run.failed, run.returncode) == (500, 0, 0), run.output
        assert server.stats.crashes == 25
        assert sessions.total_restarts == 25
        assert server.root is root
        assert not root.dead
        assert server.sessions is sessions
        assert not sessions.dead
        assert sessions.count_children().active == 0
    crashes = [e for e in hub_errors.errors if isinstance(e.exception, InjectedCrash)]
    assert len(crashes) == 25
    assert {e.context.supervisor_path for e in crashes} == {"sip_uas/sessions/session"}


def test_sipp_uac_over_tcp_all_succeed(real_reactor, tmp_path):
    """sipp -t t1 places 100 calls over one TCP connection; every one succeeds."""
    with running_server(udp_port=None, tcp_port=0) as server:
        command = _uac(server.tcp_port, "-t", "t1", calls=100, rate=100, seconds=20)
        run = run_sipp(command, tmp_path, 30)
        assert server.wait_idle(5)
        assert (run.successful, run.failed, run.returncode) == (100, 0, 0), run.output


def test_sipp_regexp_scenario_finds_what_it_checks_in_our_200(real_reactor, tmp_path):
    """sipp's built-in regexp client checks the 200 (an ip:port, Contact, the SDP o= line)."""
    with running_server() as server:
        command = sipp_command(
            "-sn", "regexp", f"127.0.0.1:{server.udp_port}", "-i", "127.0.0.1",
            "-m", "20", "-r", "20", seconds=30,
        )  # fmt: skip
        run = run_sipp(command, tmp_path, 40)
        assert server.wait_idle(5)
        assert (run.successful, run.failed, run.returncode) == (20, 0, 0), run.output
        assert server.stats.malformed == 0


def test_sipp_uac_over_a_tcp_connection_per_call_all_succeed(real_reactor, tmp_path):
    """sipp -t tn opens one TCP connection per call; every call succeeds, every slot comes back."""
    with running_server(udp_port=None, tcp_port=0) as server:
        command = _uac(
            server.tcp_port, "-t", "tn", "-max_socket", "500", calls=100, rate=50, seconds=20
        )
        run = run_sipp(command, tmp_path, 30)
        assert server.wait_idle(5)
        assert (run.successful, run.failed, run.returncode) == (100, 0, 0), run.output
        assert server.stats.tcp_refused == 0


def test_lost_first_200_ok_is_retransmitted_and_the_call_completes(real_reactor, tmp_path):
    """The first 200 OK is dropped on the way out; Timer G resends it and sipp's call succeeds."""
    dropped: list[bytes] = []

    def lossy(data: bytes, _peer: object) -> bool:
        if data.startswith(b"SIP/2.0 200") and b"INVITE" in data and not dropped:
            dropped.append(data)
            return False
        return True

    with running_server(t1=0.1) as server:
        server.send_filter = lossy
        run = run_sipp(_uac(server.udp_port, calls=1, rate=1, seconds=10), tmp_path, 20)
        assert server.wait_idle(5)
        assert (run.successful, run.failed) == (1, 0), run.output
        assert len(dropped) == 1
        assert server.stats.retransmissions >= 1


def test_green_uac_completes_calls_against_sipp_uas(real_reactor, tmp_path):
    """Our green UAC example places 20 calls, 5 at a time, to sipp -sn uas; all complete."""
    command = sipp_command(
        "-sn", "uas", "-i", "127.0.0.1", "-p", "0", "-m", "20", seconds=20
    )  # fmt: skip
    command[command.index("-p") + 1] = str(_free_udp_port())
    port = int(command[command.index("-p") + 1])
    sipp = start_sipp(command, tmp_path)
    try:
        _wait_listening(port)
        results = run_calls(("127.0.0.1", port), 20, 5)
    finally:
        run = finish_sipp(sipp, 30)
    assert [r.outcome for r in results] == ["completed"] * 20, results
    assert (run.successful, run.failed, run.returncode) == (20, 0, 0), run.output


def _free_udp_port() -> int:
    from eventlib.green import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int) -> None:
    """Wait until sipp has bound its UDP port (an OPTIONS gets any answer, or the port is taken)."""
    import eventlib
    from eventlib.green import socket

    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return  # taken: sipp is listening
        eventlib.sleep(0.01)
    raise AssertionError(f"sipp did not bind 127.0.0.1:{port}")
