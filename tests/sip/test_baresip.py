"""The UAS against a real softphone: Debian's baresip, headless, over loopback UDP and TCP."""

from __future__ import annotations

import pytest
import structlog
from baresiphelpers import Baresip, requires_baresip
from siphelpers import running_server

import eventlib

pytestmark = [requires_baresip, pytest.mark.eventlib(time_limit=60)]


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_baresip_calls_and_hangs_up(real_reactor, tmp_path, transport):
    """baresip dials, the call is established, baresip hangs up: one completed call."""
    phone = Baresip(tmp_path / "baresip")
    with running_server(tcp_port=0) as server:
        try:
            phone.connect()
            if transport == "udp":
                uri = f"sip:uas@127.0.0.1:{server.udp_port}"
            else:
                uri = f"sip:uas@127.0.0.1:{server.tcp_port};transport=tcp"
            with structlog.testing.capture_logs() as logs:
                phone.command("dial", uri)
                phone.wait_event("CALL_ESTABLISHED")
                phone.command("hangup")
                phone.wait_event("CALL_CLOSED")
                assert server.wait_idle(5)
        finally:
            phone.close()
    [ended] = [entry for entry in logs if entry["event"] == "call.ended"]
    assert ended["outcome"] == "completed"
    assert server.stats.completed == 1
    assert server.stats.malformed == 0


def test_baresip_offering_only_pcma_gets_pcma_in_the_answer(real_reactor, tmp_path):
    """A PCMA-only offer is answered with PCMA, and baresip sets its encoder to it."""
    answers: list[bytes] = []

    def keep_200(data: bytes, _peer: object) -> bool:
        if data.startswith(b"SIP/2.0 200") and b"application/sdp" in data:
            answers.append(data)
        return True

    phone = Baresip(tmp_path / "baresip", codecs="pcma")
    with running_server() as server:
        server.send_filter = keep_200
        try:
            phone.connect()
            phone.command("dial", f"sip:uas@127.0.0.1:{server.udp_port}")
            phone.wait_event("CALL_ESTABLISHED")
            phone.command("hangup")
            phone.wait_event("CALL_CLOSED")
            assert server.wait_idle(5)
            output = phone.output()
        finally:
            phone.close()
    assert answers
    assert b"m=audio 9 RTP/AVP 8\r\n" in answers[0]
    assert b";rport=%d;received=127.0.0.1" % phone.sip_port in answers[0]
    assert "Set audio encoder: PCMA" in output


def test_baresip_hears_the_rtp_echo(real_reactor, tmp_path):
    """With rtp_echo the answer names a live RTP port: baresip's audio comes back to it."""
    phone = Baresip(tmp_path / "baresip")
    with running_server(rtp_echo=True) as server:
        try:
            phone.connect()
            phone.command("dial", f"sip:uas@127.0.0.1:{server.udp_port}")
            phone.wait_event("CALL_ESTABLISHED")
            for _ in range(100):
                if server.stats.rtp_echoed >= 10:
                    break
                eventlib.sleep(0.05)
            phone.command("hangup")
            phone.wait_event("CALL_CLOSED")
            assert server.wait_idle(5)
        finally:
            phone.close()
    assert server.stats.rtp_echoed >= 10


def test_baresip_options_ping_gets_200_with_capabilities(real_reactor, tmp_path):
    """baresip's OPTIONS gets a tagged 200 listing Allow/Accept/Supported."""
    sent: list[bytes] = []

    def keep(data: bytes, _peer: object) -> bool:
        sent.append(data)
        return True

    phone = Baresip(tmp_path / "baresip")
    with running_server() as server:
        server.send_filter = keep
        try:
            phone.connect()
            phone.command("options", f"sip:uas@127.0.0.1:{server.udp_port}")
            for _ in range(100):
                if sent:
                    break
                eventlib.sleep(0.05)
        finally:
            phone.close()
    [ok] = sent
    assert ok.startswith(b"SIP/2.0 200 ")
    assert b"\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n" in ok
    assert b"\r\nAccept: application/sdp\r\n" in ok
    assert b";tag=" in ok.split(b"\r\nTo: ", 1)[1].split(b"\r\n", 1)[0]
