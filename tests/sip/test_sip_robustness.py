"""What peers send cannot crash the listener: malformed input, crashes, overload, CANCEL."""

from __future__ import annotations

import pytest
import structlog
from siphelpers import exchange, request, running_server, status

from examples.sip_uac import place_call
from examples.sip_uas import InjectedCrash

pytestmark = pytest.mark.eventlib(time_limit=30)

_GOOD = request("OPTIONS", call_id="corpus@127.0.0.1")


def _without(header: bytes) -> bytes:
    """A valid INVITE minus the header line that starts with ``header``."""
    return b"".join(
        line for line in request().splitlines(keepends=True) if not line.startswith(header)
    )


def _with_length(value: bytes) -> bytes:
    return request().replace(b"Content-Length: 0", b"Content-Length: " + value)


# (name, datagram, expected reply: its code, or None for a silent drop)
MALFORMED = [
    ("bad start line", _GOOD.replace(b" SIP/2.0", b" HTTP/1.1"), None),
    ("other SIP version", _GOOD.replace(b" SIP/2.0", b" SIP/3.0"), 505),
    ("no Request-URI", _GOOD.replace(b" sip:uas@127.0.0.1 SIP/2.0", b"  SIP/2.0"), 400),
    ("garbage bytes", bytes(range(256)) * 4, None),
    ("binary start line", b"\xff\xfe\x00INVITE\r\n\r\n", None),
    ("empty start line", b"\r\n\r\n\r\nVia: x\r\n\r\n", None),
    ("missing Call-ID", _without(b"Call-ID:"), 400),
    ("missing CSeq", _without(b"CSeq:"), 400),
    ("missing Via", _without(b"Via:"), 400),
    ("missing From", _without(b"From:"), 400),
    ("bad CSeq number", request(cseq="x INVITE"), 400),
    ("CSeq method mismatch", request(cseq="1 BYE"), 400),
    ("Content-Length not a number", _with_length(b"ten"), 400),
    ("Content-Length too big", _with_length(b"500"), 400),
    ("Content-Length of 4301 digits", _with_length(b"9" * 4301), 400),
    ("header without colon", request(extra="NoColonHere\r\n"), 400),
    ("oversized", request(extra="X-Pad: " + "a" * 9000 + "\r\n"), 400),
    ("malformed ACK is never answered", request("ACK", cseq="x ACK"), None),
    ("a stray response", b"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("datagram", "expected"),
    [pytest.param(data, expected, id=name) for name, data, expected in MALFORMED],
)
def test_malformed_datagram_gets_400_or_is_dropped_and_the_listener_lives(
    real_reactor, datagram, expected
):
    """A malformed datagram is answered 400 (or dropped); the listener still answers OPTIONS."""
    with running_server() as server:
        with structlog.testing.capture_logs() as logs:
            replies = exchange(server.udp_port, datagram, timeout=0.3)
        if expected is None:
            assert replies == []
        else:
            assert [status(reply) for reply in replies] == [expected]
        if not datagram.startswith(b"SIP/2.0"):
            assert server.stats.malformed == 1
            assert any(entry["event"] == "sip.malformed" for entry in logs)
        [alive] = exchange(server.udp_port, _GOOD)
        assert status(alive) == 200


def test_x_crash_header_crashes_the_session_which_restarts_and_completes(real_reactor, hub_errors):
    """X-Crash: 1 crashes the call's first session; the restarted one completes the call."""
    hub_errors.expect(InjectedCrash)
    with running_server() as server:
        with structlog.testing.capture_logs() as logs:
            result = place_call(("127.0.0.1", server.udp_port), headers=(b"X-Crash: 1",))
        assert result.outcome == "completed", result
        assert server.stats.crashes == 1
        assert server.sessions.total_restarts == 1
    [crash] = [entry for entry in logs if entry["event"] == "session.crashed"]
    assert crash["sup_path"] == "sip_uas/sessions/session"
    assert crash["call_id"] == result.call_id


def test_only_the_first_x_crash_header_counts(real_reactor, hub_errors):
    """X-Crash: 0 then X-Crash: 1 does not crash the session: the first header's value counts."""
    with running_server() as server:
        result = place_call(("127.0.0.1", server.udp_port), headers=(b"X-Crash: 0", b"X-Crash: 1"))
        assert result.outcome == "completed", result
        assert server.stats.crashes == 0
        assert server.sessions.total_restarts == 0


def test_other_calls_continue_while_one_crashes(real_reactor, hub_errors):
    """Calls placed alongside a crashing one all complete."""
    import eventlib

    hub_errors.expect(InjectedCrash)
    with running_server() as server:
        target = ("127.0.0.1", server.udp_port)
        crashing = eventlib.spawn(place_call, target, headers=(b"X-Crash: 1",), hold=0.2)
        others = [eventlib.spawn(place_call, target, hold=0.2) for _ in range(10)]
        results = [proc.wait() for proc in [crashing, *others]]
        assert [r.outcome for r in results] == ["completed"] * 11
        assert server.stats.crashes == 1


def test_invites_past_the_session_cap_get_503_with_retry_after(real_reactor):
    """With max_sessions=1 and one call up, a second INVITE gets 503 and Retry-After."""
    import eventlib

    with running_server(max_sessions=1, retry_after=7) as server:
        target = ("127.0.0.1", server.udp_port)
        first = eventlib.spawn(place_call, target, hold=0.5)
        eventlib.sleep(0.2)
        second = place_call(target)
        assert second.outcome == "rejected"
        assert second.codes == [503]
        assert first.wait().outcome == "completed"
        assert server.stats.rejected == 1


def test_503_carries_retry_after(real_reactor):
    """The 503 sent past the cap names when to retry."""
    with running_server(max_sessions=0, retry_after=7) as server:
        [reply] = exchange(server.udp_port, request())
    assert status(reply) == 503
    assert b"\r\nRetry-After: 7\r\n" in reply


def test_cancel_before_the_200_gets_200_and_the_invite_487(real_reactor):
    """A CANCEL while ringing is answered 200, the INVITE 487, and the call is freed."""
    from eventlib.green import socket

    with running_server(ring_seconds=5) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(2)
            target = ("127.0.0.1", server.udp_port)
            sock.sendto(request(), target)
            codes = [status(sock.recvfrom(4096)[0])]
            sock.sendto(request("CANCEL", cseq="1 CANCEL"), target)
            codes += [status(sock.recvfrom(4096)[0]) for _ in range(2)]
            sock.sendto(request("ACK", cseq="1 ACK"), target)
            assert server.wait_idle(2)
    assert codes == [180, 200, 487]
    assert server.stats.cancelled == 1


def test_invite_retransmission_gets_the_last_response_again(real_reactor):
    """A retransmitted INVITE while ringing is answered with the 180 again, not a new call."""
    from eventlib.green import socket

    with running_server(ring_seconds=5) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(2)
            target = ("127.0.0.1", server.udp_port)
            sock.sendto(request(), target)
            first = status(sock.recvfrom(4096)[0])
            sock.sendto(request(), target)
            again = status(sock.recvfrom(4096)[0])
        assert first == 180
        assert again == 180
        assert server.stats.calls == 1


def test_bye_for_an_unknown_call_gets_481(real_reactor):
    """A BYE for a Call-ID the UAS does not know is answered 481."""
    with running_server() as server:
        [reply] = exchange(server.udp_port, request("BYE", call_id="nobody@127.0.0.1"))
    assert status(reply) == 481


def test_calls_over_ipv6_loopback_complete(real_reactor):
    """The UAS listens on ::1 and the green UAC completes a call there."""
    with running_server(host="::1") as server:
        result = place_call(("::1", server.udp_port))
    assert result.outcome == "completed", result


@pytest.mark.parametrize("length", [b"ten", b"9" * 4301], ids=["not a number", "4301 digits"])
def test_tcp_stream_with_a_bad_content_length_gets_400_and_is_closed(real_reactor, length):
    """Over TCP a Content-Length that cannot frame the stream gets 400, then the close."""
    from eventlib.green import socket

    with running_server(udp_port=None, tcp_port=0) as server:
        with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=2) as conn:
            conn.sendall(request().replace(b"Content-Length: 0", b"Content-Length: " + length))
            data = b""
            while chunk := conn.recv(4096):
                data += chunk
        assert status(data) == 400
        assert server.stats.malformed == 1


def test_tcp_messages_split_across_reads_are_framed(real_reactor):
    """An OPTIONS sent byte by byte over TCP is reassembled and answered 200."""
    import eventlib
    from eventlib.green import socket

    with running_server(udp_port=None, tcp_port=0) as server:
        with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=2) as conn:
            for byte in _GOOD:
                conn.sendall(bytes([byte]))
                eventlib.sleep(0)
            assert status(conn.recv(4096)) == 200
