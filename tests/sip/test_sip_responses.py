"""What the UAS puts in its responses (RFC 3261 §8.2.6, §12.1.1; RFC 3581; RFC 3264), on the
virtual clock with in-memory endpoints."""

from __future__ import annotations

import contextlib
from typing import Any

import attrs
import pytest
import structlog
from hypothesis import example, given
from hypothesis import strategies as st
from siphelpers import Recorder, request, running_server

import eventlib
from eventlib.proc import Source
from examples.sip_uas import SipServer
from examples.sip_uas import server as server_module

pytestmark = pytest.mark.eventlib(time_limit=60)

PEER = ("127.0.0.1", 5999)
PCMA_ONLY = (
    "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
)
G722_ONLY = (
    "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n"
)
SDP = "Content-Type: application/sdp\r\n"


def _server(**config: Any) -> contextlib.AbstractContextManager[SipServer]:
    """A UAS without listeners (requests go straight to ``handle``), stopped afterwards."""
    return running_server(udp_port=None, **config)


def _to_tag(response: Any) -> bytes | None:
    from examples.sip_uas.message import _param

    return _param(response.to, b"tag")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(request("OPTIONS", cseq="1 OPTIONS"), 200, id="200 to OPTIONS"),
        pytest.param(request("BYE", cseq="1 BYE"), 481, id="481 to an unknown BYE"),
        pytest.param(request("INFO", cseq="1 INFO"), 501, id="501 to INFO"),
        pytest.param(request(cseq="x INVITE"), 400, id="400 to a bad CSeq"),
        pytest.param(request(extra="Require: foo\r\n"), 420, id="420 to Require: foo"),
    ],
)
def test_responses_outside_a_dialog_carry_a_to_tag(virtual_clock, data, code):
    """Every final response outside a dialog has a To tag (RFC 3261 §8.2.6.2)."""
    sink = Recorder()
    with _server() as server:
        server.handle(data, sink, PEER)
        [response] = sink.sent
        assert response.code == code
        assert _to_tag(response)


def test_503_past_the_session_cap_carries_a_to_tag(virtual_clock):
    """The 503 sent at the session cap is tagged too."""
    sink = Recorder()
    with _server(max_sessions=0) as server:
        server.handle(request(), sink, PEER)
        assert sink.codes == [503]
        assert _to_tag(sink.sent[0])


def test_options_200_lists_allow_accept_and_supported(virtual_clock):
    """The 200 to OPTIONS says which methods, bodies and extensions the UAS takes."""
    sink = Recorder()
    with _server() as server:
        server.handle(request("OPTIONS", cseq="1 OPTIONS"), sink, PEER)
        [ok] = sink.sent
        assert ok.header(b"allow") == b"INVITE, ACK, CANCEL, BYE, OPTIONS"
        assert ok.header(b"accept") == b"application/sdp"
        assert ok.header(b"supported") is not None


def test_unknown_require_gets_420_naming_the_option_in_unsupported(virtual_clock):
    """Require: 100rel, foo → 420 whose Unsupported lists both."""
    sink = Recorder()
    with _server() as server:
        server.handle(request(extra="Require: 100rel, foo\r\n"), sink, PEER)
        [refused] = sink.sent
        assert refused.code == 420
        assert refused.header(b"unsupported") == b"100rel, foo"
        assert server.stats.calls == 0


def test_record_route_is_copied_into_the_180_and_the_200(virtual_clock):
    """Both Record-Route values, in order, come back in the 180 and the 200 (§12.1.1)."""
    routes = "Record-Route: <sip:p1.example.com;lr>\r\nRecord-Route: <sip:p2.example.com;lr>\r\n"
    sink = Recorder()
    with _server() as server:
        server.handle(request(extra=routes), sink, PEER)
        eventlib.sleep(0.1)
        assert sink.codes == [180, 200]
        for response in sink.sent:
            values = [value for name, value in response.headers if name == b"record-route"]
            assert values == [b"<sip:p1.example.com;lr>", b"<sip:p2.example.com;lr>"]


@pytest.mark.parametrize(
    ("via", "peer", "expected"),
    [
        pytest.param(
            "SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bKa;rport",
            ("127.0.0.1", 40001),
            b"SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bKa;rport=40001;received=127.0.0.1",
            id="rport filled and received added",
        ),
        pytest.param(
            "SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bKa",
            ("127.0.0.1", 40001),
            b"SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bKa;received=127.0.0.1",
            id="received added for another host",
        ),
        pytest.param(
            "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa",
            ("127.0.0.1", 40001),
            b"SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa",
            id="same host without rport left alone",
        ),
        pytest.param(
            "SIP/2.0/UDP [::1]:5070;rport;branch=z9hG4bKa",
            ("::1", 40001, 0, 0),
            b"SIP/2.0/UDP [::1]:5070;rport=40001;branch=z9hG4bKa;received=::1",
            id="IPv6",
        ),
    ],
)
def test_top_via_gets_received_and_rport_from_the_source(virtual_clock, via, peer, expected):
    """The response's top Via names the request's source address and port (RFC 3581)."""
    data = request("OPTIONS", cseq="1 OPTIONS").replace(
        b"SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKtest1", via.encode()
    )
    sink = Recorder()
    with _server() as server:
        server.handle(data, sink, peer)
        [response] = sink.sent
        assert response.header(b"via") == expected


def test_every_request_but_an_ack_has_its_via_stamped(virtual_clock, monkeypatch):
    """An ACK gets no response, so its Via, never copied, is not stamped; INVITE and BYE are."""
    stamped = []
    stamp = server_module.stamp_via

    def counting_stamp(request: Any, host: str, port: int) -> None:
        stamped.append(request.method)
        stamp(request, host, port)

    monkeypatch.setattr(server_module, "stamp_via", counting_stamp)
    sink = Recorder()
    with _server() as server:
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.1)
        server.handle(request("ACK", cseq="1 ACK"), sink, PEER)
        server.handle(request("BYE", cseq="2 BYE"), sink, PEER)
        assert server.wait_idle(1)
        assert stamped == [b"INVITE", b"BYE"]
        assert server.stats.completed == 1


def test_offer_of_pcma_only_is_answered_with_pcma(virtual_clock):
    """The 200's SDP takes the codec from the offer (RFC 3264 §6.1)."""
    sink = Recorder()
    with _server() as server:
        server.handle(request(extra=SDP, body=PCMA_ONLY), sink, PEER)
        eventlib.sleep(0.1)
        ok = sink.last(200)
        assert b"m=audio 9 RTP/AVP 8\r\n" in ok.body
        assert b"a=inactive" in ok.body


def test_offer_with_no_codec_we_take_gets_488_until_acked(virtual_clock):
    """A G.722-only offer gets 488 (tagged), resent until the ACK; the call ends at once."""
    sink = Recorder()
    with _server(t1=0.5) as server:
        server.handle(request(extra=SDP, body=G722_ONLY), sink, PEER)
        eventlib.sleep(0.75)
        assert sink.codes == [488, 488]
        assert _to_tag(sink.sent[-1])
        server.handle(request("ACK", cseq="1 ACK"), sink, PEER)
        assert server.wait_idle(1)
        assert server.stats.not_acceptable == 1
        assert sink.codes == [488, 488]


def test_invite_without_an_offer_gets_an_offer_in_the_200(virtual_clock):
    """No SDP in the INVITE: the 200 carries our offer of PCMU and PCMA."""
    sink = Recorder()
    with _server() as server:
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.1)
        assert b"m=audio 9 RTP/AVP 0 8\r\n" in sink.last(200).body


def test_a_request_is_answered_on_the_endpoint_it_came_in_on(virtual_clock):
    """A BYE arriving on a second connection is answered there, not on the INVITE's."""
    first, second = Recorder(reliable=True), Recorder(reliable=True)
    with _server() as server:
        server.handle(request(), first, PEER)
        eventlib.sleep(0.1)
        server.handle(request("ACK", cseq="1 ACK"), first, PEER)
        server.handle(request("BYE", cseq="2 BYE"), second, PEER)
        assert server.wait_idle(1)
        assert first.codes == [180, 200]
        assert second.codes == [200]
        assert second.sent[0].cseq_method == b"BYE"


def test_content_length_of_4301_digits_gets_400(virtual_clock):
    """A Content-Length far past any size is a 400, not a ValueError from int()."""
    sink = Recorder()
    data = request().replace(b"Content-Length: 0", b"Content-Length: " + b"9" * 4301)
    with _server() as server:
        with structlog.testing.capture_logs() as logs:
            server.handle(data, sink, PEER)
        assert sink.codes == [400]
        [entry] = [e for e in logs if e["event"] == "sip.malformed"]
        assert "at most 9 digits" in entry["reason"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tcp_idle_timeout", -1),
        ("tcp_message_timeout", 0),
        ("max_tcp_per_ip", 0),
        ("max_tcp_per_ip", 2.5),
        ("t1", "0.5"),
        ("mailbox_capacity", True),
        ("crash_rate", 2.0),
    ],
)
def test_a_bad_config_value_is_refused_at_once_naming_the_field(field, value):
    """Config(...) raises ValueError naming the field, before any server starts."""
    from examples.sip_uas import Config

    with pytest.raises(ValueError, match=f"Config.{field} must be"):
        Config(**{field: value})


@pytest.mark.parametrize("when", ["queued", "at_once"])
def test_a_session_that_cannot_start_gets_a_tagged_500_and_one_log_line(virtual_clock, when):
    """If the supervisor cannot start the call's session: 500 with a To tag, call.ended once."""

    def refuse(call: object) -> Source:
        if when == "at_once":
            raise RuntimeError("no session today")
        started = Source()
        started.send_exception(RuntimeError("no session today"))  # as the supervisor reports it
        return started

    sink = Recorder()
    with _server() as server:
        server.sessions.start_child_nowait = refuse
        with structlog.testing.capture_logs() as logs:
            server.handle(request(), sink, PEER)
            assert server.wait_idle(1)
        assert sink.codes == [500]
        assert _to_tag(sink.sent[0])
        [line] = [entry for entry in logs if entry["event"] == "call.ended"]
        assert line["outcome"] == "start_failed"
        [failed] = [entry for entry in logs if entry["event"] == "session.start_failed"]
        assert failed["error"] == "RuntimeError('no session today')"


_VIA_PIECES = ["SIP/2.0/UDP ", "SIP/2.0/TCP ", "SIP / 2.0 / UDP ", "SIP/2.0/UDP  ", "127.0.0.1",
               "127.0.0.10", "[::1]", "::1", "h", ":5060", ";branch=z9hG4bK1", ";rport", " ",
               ";received=1.2.3.4", "\t", "/", ":", ";"]  # fmt: skip


@given(
    st.lists(st.sampled_from(_VIA_PIECES), max_size=6).map("".join),
    st.sampled_from(["127.0.0.1", "::1", "h", "127.0.0", "[::1]", "a;b", "", " h", "h:1"]),
)
@example("SIP/2.0/UDP ::1", "::1")
@example("SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-0", "127.0.0.1")
@example("SIP/2.0/UDP 127.0.0.10;branch=z9hG4bK-1-1-0", "127.0.0.1")
def test_usual_via_host_reading_agrees_with_the_pattern(via, host):
    """The Via host check's shortcut for the usual shape answers as the full pattern does."""
    value, address = via.encode(), host.encode()
    assert server_module._same_host(value, address) == server_module._same_host_by_pattern(
        value, address
    )


def test_plain_addresses_remembered_are_bounded():
    """Peers choose the source addresses: the plain-address memory is cleared at its limit."""
    for number in range(server_module._PLAIN_ADDRESSES_LIMIT + 10):
        address = b"10.0.%d.%d" % divmod(number, 256)
        assert server_module._same_host(b"SIP/2.0/UDP " + address + b":5060", address)
    assert len(server_module._PLAIN_ADDRESSES) <= server_module._PLAIN_ADDRESSES_LIMIT


class _TimedRecorder(Recorder):
    """A :class:`Recorder` that also notes when (hub clock) each response left."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def send(self, data: bytes, peer: Any) -> None:
        super().send(data, peer)
        self.times.append(eventlib.get_hub().clock())


def _slow_sessions(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make every session take ``seconds`` (virtual) before its first response."""
    from examples.sip_uas import session as session_module

    offer = session_module.sdp.offer

    def slow_offer(*args: Any) -> bytes:
        eventlib.sleep(seconds)
        return offer(*args)

    monkeypatch.setattr(session_module.sdp, "offer", slow_offer)


def test_no_100_trying_when_the_180_goes_out_at_once(virtual_clock):
    """A session that rings at once makes 100 Trying needless (§17.2.1): 180, 200, nothing else."""
    sink = Recorder()
    with _server() as server:
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.1)
        server.handle(request("ACK", cseq="1 ACK"), sink, PEER)
        eventlib.sleep(1)  # well past the 200 ms of the 100 Trying timer
        assert sink.codes == [180, 200]


def test_100_trying_goes_out_200_ms_after_the_invite_when_the_session_is_slow(
    virtual_clock, monkeypatch
):
    """A session that takes 300 ms to answer: 100 Trying at 200 ms, then its 180 and 200."""
    _slow_sessions(monkeypatch, 0.3)
    sink = _TimedRecorder()
    with _server() as server:
        start = virtual_clock.now()
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.4)
        assert sink.codes == [100, 180, 200]
        assert [round(t - start, 3) for t in sink.times] == [0.2, 0.3, 0.3]
        assert _to_tag(sink.sent[0]) is None  # a 100 carries no To tag of ours (§8.2.6.1)


def test_100_trying_goes_out_at_200_ms_when_the_session_starts_late(virtual_clock, monkeypatch):
    """The sessions supervisor starts the call's session only at 300 ms (busy), and the session
    answers at once: the 100 went out at 200 ms all the same (the transaction's timer, §17.2.1)."""
    sink = _TimedRecorder()
    with _server() as server:
        sessions = server.sessions
        start = sessions.template.start

        def late_start(call: Any) -> Any:
            eventlib.sleep(0.3)  # the supervisor's proc, busy with something else
            return start(call)

        monkeypatch.setattr(sessions, "template", attrs.evolve(sessions.template, start=late_start))
        begin = virtual_clock.now()
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.4)
        assert sink.codes == [100, 180, 200]
        assert [round(t - begin, 3) for t in sink.times] == [0.2, 0.3, 0.3]


def test_invite_retransmitted_before_any_response_gets_100_trying_at_once(
    virtual_clock, monkeypatch
):
    """A retransmission before the 180 is answered 100 Trying then, once; no new call."""
    _slow_sessions(monkeypatch, 0.3)
    sink = _TimedRecorder()
    with _server() as server:
        start = virtual_clock.now()
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.05)
        server.handle(request(), sink, PEER)
        assert sink.codes == [100]
        eventlib.sleep(0.35)
        assert sink.codes == [100, 180, 200]  # the timer's 100 was cancelled by the first
        assert [round(t - start, 3) for t in sink.times] == [0.05, 0.3, 0.3]
        assert server.stats.calls == 1


def test_invite_retransmitted_after_the_100_gets_the_100_again(virtual_clock, monkeypatch):
    """Before the 180, each retransmission gets 100 Trying again (the last provisional)."""
    _slow_sessions(monkeypatch, 0.5)
    sink = Recorder()
    with _server() as server:
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.25)
        assert sink.codes == [100]
        server.handle(request(), sink, PEER)
        assert sink.codes == [100, 100]
        eventlib.sleep(0.3)
        assert sink.codes == [100, 100, 180, 200]


def test_a_restarted_session_rings_without_100_trying(virtual_clock, hub_errors):
    """X-Crash: 1 kills the first session before any response; the next one sends the 180."""
    from examples.sip_uas import InjectedCrash

    hub_errors.expect(InjectedCrash)
    sink = Recorder()
    with _server() as server:
        server.handle(request(extra="X-Crash: 1\r\n"), sink, PEER)
        eventlib.sleep(0.5)
        assert server.stats.crashes == 1
        assert sink.codes == [180, 200]


def test_a_call_forgotten_before_its_first_response_leaves_no_100_timer(virtual_clock):
    """A call refused at once (no sessions supervisor) cancels its 100 Trying timer."""
    sink = Recorder()
    with _server() as server:
        server._sessions = None  # between two incarnations of the sessions supervisor
        server.handle(request(), sink, PEER)
        eventlib.sleep(0.5)
        assert sink.codes == [503]
        assert not server.calls


def _armed_call(timer: Any, sink: Recorder, number: int, started: float) -> Any:
    """A call whose INVITE arrived at ``started`` (hub clock), armed on ``timer``."""
    from examples.sip_uas import Call
    from examples.sip_uas.message import parse_message

    invite = parse_message(request(call_id=f"trying-{number}@127.0.0.1"))
    call = Call(invite, sink, PEER, b"tag%d" % number, 8)
    call.started = started
    timer.arm(call)
    return call


def test_the_100_tryings_of_many_calls_share_one_hub_timer(virtual_clock):
    """Calls armed 50 ms apart: one hub timer pending, and each 100 at its own 200 ms."""
    from examples.sip_uas import TryingTimer

    hub = eventlib.get_hub()
    baseline = hub.timer_count
    timer, sink = TryingTimer(), _TimedRecorder()
    start = virtual_clock.now()
    calls = []
    for number in range(3):
        calls.append(_armed_call(timer, sink, number, virtual_clock.now()))
        assert hub.timer_count == baseline + 1
        eventlib.sleep(0.05)
    eventlib.sleep(0.2)
    assert sink.codes == [100, 100, 100]
    assert [round(t - start, 3) for t in sink.times] == [0.2, 0.25, 0.3]
    assert all(call.tried for call in calls)
    assert len(timer) == 0
    assert hub.timer_count == baseline


def test_calls_due_within_10_ms_share_one_firing_of_the_hub_timer(virtual_clock):
    """50 calls 1 ms apart: each 100 between 190 and 200 ms after its INVITE, in at most
    6 firings (one per 10 ms), not one per call."""
    from examples.sip_uas import TryingTimer

    timer, sink = TryingTimer(), _TimedRecorder()
    started = []
    for number in range(50):
        started.append(virtual_clock.now())
        _armed_call(timer, sink, number, started[-1])
        eventlib.sleep(0.001)
    eventlib.sleep(0.3)
    assert sink.codes == [100] * 50
    waits = [round(sent - start, 4) for sent, start in zip(sink.times, started, strict=True)]
    assert all(0.19 <= wait <= 0.2 for wait in waits), waits
    assert len(set(sink.times)) <= 6
    assert len(timer) == 0


def test_calls_answered_or_ended_before_200_ms_get_no_100_trying(virtual_clock):
    """A call that responded, and one forgotten (disarmed), leave the queue silently."""
    from examples.sip_uas import TryingTimer

    timer, sink = TryingTimer(), Recorder()
    answered = _armed_call(timer, sink, 1, virtual_clock.now())
    ended = _armed_call(timer, sink, 2, virtual_clock.now())
    waiting = _armed_call(timer, sink, 3, virtual_clock.now())
    answered.respond(b"SIP/2.0 180 Ringing\r\n\r\n")
    ended.cancel_trying()
    eventlib.sleep(0.3)
    assert [response.code for response in sink.sent] == [180, 100]
    assert (answered.tried, ended.tried, waiting.tried) == (False, False, True)
    assert len(timer) == 0


def test_a_call_armed_with_an_earlier_deadline_gets_its_100_first(virtual_clock):
    """Arming out of deadline order moves the hub timer earlier: each 100 on time."""
    from examples.sip_uas import TryingTimer

    timer, sink = TryingTimer(), _TimedRecorder()
    now = virtual_clock.now()
    late = _armed_call(timer, sink, 1, now + 0.1)
    early = _armed_call(timer, sink, 2, now - 0.1)
    eventlib.sleep(0.35)
    assert [round(t - now, 3) for t in sink.times] == [0.1, 0.3]
    assert early.tried
    assert late.tried


def test_calls_armed_in_any_order_get_their_100s_in_deadline_order(virtual_clock):
    """Four calls armed out of order (not as the listener arms them): each 100 on time."""
    from examples.sip_uas import TryingTimer

    timer, sink = TryingTimer(), _TimedRecorder()
    now = virtual_clock.now()
    offsets = [0.1, 0.05, -0.1, 0.0, 0.05]
    calls = [_armed_call(timer, sink, n, now + offset) for n, offset in enumerate(offsets)]
    assert len(timer) == 5
    eventlib.sleep(0.4)
    assert [round(t - now, 3) for t in sink.times] == [0.1, 0.2, 0.25, 0.25, 0.3]
    assert all(call.tried for call in calls)
    assert len(timer) == 0


def test_stopping_the_trying_timer_disarms_its_calls_and_cancels_its_hub_timer(virtual_clock):
    """After stop() nothing fires: no 100, no hub timer left."""
    from examples.sip_uas import TryingTimer

    hub = eventlib.get_hub()
    baseline = hub.timer_count
    timer, sink = TryingTimer(), Recorder()
    call = _armed_call(timer, sink, 1, virtual_clock.now())
    timer.stop()
    assert hub.timer_count == baseline
    eventlib.sleep(0.3)
    assert sink.sent == []
    assert not call.trying_armed
