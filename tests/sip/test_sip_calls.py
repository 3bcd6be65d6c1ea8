"""Per call: one ``call.ended`` log line, and every per-call structure back to its baseline."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from siphelpers import Recorder, request

import eventlib
from examples.sip_uas import InjectedCrash, SipServer
from examples.sip_uas import sdp as sdp_module
from examples.sip_uas.message import (
    _NAMES,
    _NAMES_LIMIT,
    _VERDICTS,
    _VERDICTS_LIMIT,
)

pytestmark = pytest.mark.eventlib(time_limit=60)

PEER = ("127.0.0.1", 5999)
G722_SDP = (
    "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 9\r\n"
)
SDP_TYPE = "Content-Type: application/sdp\r\n"


def _completed(server: SipServer, sink: Recorder, call_id: str, extra: str = "") -> None:
    server.handle(request(call_id=call_id, extra=extra), sink, PEER)
    eventlib.sleep(0.1)
    server.handle(request("ACK", call_id=call_id, cseq="1 ACK"), sink, PEER)
    eventlib.sleep(2.0)
    server.handle(request("BYE", call_id=call_id, cseq="2 BYE"), sink, PEER)


def _cancelled(server: SipServer, sink: Recorder, call_id: str) -> None:
    server.handle(request(call_id=call_id), sink, PEER)
    eventlib.sleep(0.1)
    server.handle(request("CANCEL", call_id=call_id, cseq="1 CANCEL"), sink, PEER)
    eventlib.sleep(0.1)
    server.handle(request("ACK", call_id=call_id, cseq="1 ACK"), sink, PEER)


def _unanswered(server: SipServer, sink: Recorder, call_id: str) -> None:
    server.handle(request(call_id=call_id), sink, PEER)


def _not_acceptable(server: SipServer, sink: Recorder, call_id: str) -> None:
    server.handle(request(call_id=call_id, extra=SDP_TYPE, body=G722_SDP), sink, PEER)
    eventlib.sleep(0.1)
    server.handle(request("ACK", call_id=call_id, cseq="1 ACK"), sink, PEER)


def _crashed_then_completed(server: SipServer, sink: Recorder, call_id: str) -> None:
    _completed(server, sink, call_id, extra="X-Crash: 1\r\n")


SCENARIOS = {
    "completed": (_completed, {"ring_seconds": 0.0}),
    "cancelled": (_cancelled, {"ring_seconds": 5.0}),
    "timer_h": (_unanswered, {}),
    "not_acceptable": (_not_acceptable, {}),
}


@pytest.mark.parametrize("outcome", list(SCENARIOS))
def test_an_ended_call_logs_one_info_line_with_its_outcome(virtual_clock, outcome):
    """Each call that ends logs call.ended once, at info, with Call-ID, outcome and duration."""
    scenario, config = SCENARIOS[outcome]
    server = SipServer(udp_port=None, t1=0.5, **config).start()
    sink = Recorder()
    try:
        with structlog.testing.capture_logs() as logs:
            start = virtual_clock.now()
            scenario(server, sink, "logged@127.0.0.1")
            assert server.wait_idle(60)
            elapsed = virtual_clock.now() - start
    finally:
        server.stop()
    [line] = [entry for entry in logs if entry["event"] == "call.ended"]
    assert line["log_level"] == "info"
    assert line["call_id"] == "logged@127.0.0.1"
    assert line["outcome"] == outcome
    assert line["restarts"] == 0
    assert 0 <= line["duration"] <= elapsed


def test_the_line_counts_the_restarts_of_the_calls_session(virtual_clock, hub_errors):
    """A call whose first session crashed logs restarts=1 and outcome completed."""
    hub_errors.expect(InjectedCrash)
    server = SipServer(udp_port=None).start()
    sink = Recorder()
    try:
        with structlog.testing.capture_logs() as logs:
            _crashed_then_completed(server, sink, "crashy@127.0.0.1")
            assert server.wait_idle(5)
    finally:
        server.stop()
    [line] = [entry for entry in logs if entry["event"] == "call.ended"]
    assert (line["outcome"], line["restarts"]) == ("completed", 1)
    assert line["duration"] == pytest.approx(2.1, abs=0.05)


def _footprint(server: SipServer) -> dict[str, Any]:
    """Everything the server keeps per call, per connection or per peer-chosen value."""
    sessions = server.sessions
    assert sessions is not None
    counts = sessions.count_children()
    return {
        "calls": len(server.calls),
        "ended": len(server._ended) + len(server._ended_old),
        "ended_timer": server._ended_timer is not None,
        "session_children": (counts.specs, counts.active),
        "tcp_per_ip": len(server._tcp_per_ip),
        "idle_waiters": len(server._idle),
        "delayed_calls": len(eventlib.get_hub().reactor.getDelayedCalls()),
    }


def test_every_per_call_structure_returns_to_baseline_after_the_timers(virtual_clock, hub_errors):
    """300 calls of every kind at once; after Timer H and the ended-call cache, nothing is left."""
    hub_errors.expect(InjectedCrash)
    server = SipServer(udp_port=None, t1=0.5, ring_seconds=1.0).start()
    sink = Recorder()
    try:
        eventlib.sleep(0)
        baseline = _footprint(server)
        scenarios = [_completed, _cancelled, _unanswered, _not_acceptable, _crashed_then_completed]
        procs = [
            eventlib.spawn(scenarios[n % len(scenarios)], server, sink, f"soak-{n}@127.0.0.1")
            for n in range(300)
        ]
        eventlib.waitall(procs)
        during = _footprint(server)
        assert server.wait_idle(64 * 0.5 + 5)
        eventlib.sleep(2 * 64 * 0.5 + 1)  # the ended-call cache ages out in two steps
        after = _footprint(server)
    finally:
        server.stop()
    assert during["calls"] > 0
    assert during["ended"] > 0
    assert after == baseline, (baseline, during, after)
    assert server.stats.completed == 120
    assert len(sdp_module._CACHE) <= sdp_module._CACHE_LIMIT
    assert len(_NAMES) <= _NAMES_LIMIT
    assert len(_VERDICTS) <= _VERDICTS_LIMIT


def test_completed_calls_leave_nothing_for_the_garbage_collector(virtual_clock):
    """A call ended by BYE is freed by reference counting: no cycle holds its Call or session."""
    import gc

    from examples.sip_uas import Call, SessionActor

    server = SipServer(udp_port=None, t1=0.5).start()
    sink = Recorder()
    try:
        _completed(server, sink, "warm-up@127.0.0.1")
        assert server.wait_idle(5)
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for n in range(5):
                _completed(server, sink, f"no-cycle-{n}@127.0.0.1")
            assert server.wait_idle(5)
            eventlib.sleep(1)  # past the 100 Trying deadlines, which hold their calls
            gc.collect()
            left = [type(o).__name__ for o in gc.garbage if isinstance(o, (Call, SessionActor))]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert left == []
        assert server.stats.completed == 6
    finally:
        server.stop()


def test_with_cached_loggers_the_per_call_line_skips_structlogs_lazy_proxy(
    virtual_clock, monkeypatch
):
    """When structlog caches loggers on first use (the example's configuration), the server
    takes its logger once at start: each call.ended line goes out without the lazy proxy."""
    from examples.sip_uas import server as server_module

    consulted: list[str] = []

    class Proxy:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def bind(self, **values: Any) -> Any:
            consulted.append("bind")
            return self.inner.bind(**values)

        def __getattr__(self, name: str) -> Any:
            consulted.append(name)
            return getattr(self.inner, name)

    saved = structlog.get_config()
    capture = structlog.testing.LogCapture()
    structlog.configure(processors=[capture], cache_logger_on_first_use=True)
    monkeypatch.setattr(server_module, "log", Proxy(structlog.get_logger("sip_uas.test")))
    try:
        server = SipServer(udp_port=None, t1=0.5).start()
        sink = Recorder()
        try:
            for n in range(3):
                _completed(server, sink, f"cached-{n}@127.0.0.1")
            assert server.wait_idle(5)
        finally:
            server.stop()
    finally:
        structlog.configure(**saved)
    ended = [entry["call_id"] for entry in capture.entries if entry["event"] == "call.ended"]
    assert ended == [f"cached-{n}@127.0.0.1" for n in range(3)]
    assert consulted.count("info") <= 1  # sip_uas.listening, at start; none per call
    assert consulted[0] == "bind"
