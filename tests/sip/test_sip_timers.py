"""RFC 3261 timers on the virtual clock: Timer G retransmits the 200, Timer H frees the call."""

from __future__ import annotations

import gc
import tracemalloc
from collections import Counter
from typing import Any

import pytest
from siphelpers import request

import eventlib
from examples.sip_uas import SipServer

pytestmark = pytest.mark.eventlib(time_limit=120)


class Sink:
    """An in-memory UDP endpoint: counts what the UAS sends, and when."""

    reliable = False
    contact = b"<sip:uas@127.0.0.1:5060>"

    def __init__(self) -> None:
        self.codes: Counter[int] = Counter()
        self.times: list[float] = []

    def send(self, data: bytes, peer: Any) -> None:
        code = int(data[8:11])
        self.codes[code] += 1
        if code == 200:
            self.times.append(eventlib.get_hub().clock())


def _server(**config: Any) -> SipServer:
    return SipServer(udp_port=None, **config).start()


def test_unacked_200_is_resent_with_doubling_intervals_until_timer_h(virtual_clock):
    """Without an ACK the 200 goes out at 0, T1, 3T1, 7T1, ... (capped at T2) until 64*T1."""
    server = _server(t1=0.5, t2=4.0)
    sink = Sink()
    try:
        start = virtual_clock.now()
        server.handle(request(), sink, ("127.0.0.1", 5999))
        assert server.wait_idle(60)
        offsets = [t - start for t in sink.times]
        assert offsets == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        assert virtual_clock.now() - start == 32.0
        assert server.stats.timer_h == 1
        assert server.sessions.count_children().active == 0
    finally:
        server.stop()


def test_ack_stops_the_retransmissions(virtual_clock):
    """An ACK after the first retransmission stops Timer G; BYE then ends the call."""
    server = _server(t1=0.5)
    sink = Sink()
    peer = ("127.0.0.1", 5999)
    try:
        server.handle(request(), sink, peer)
        eventlib.sleep(0.75)
        server.handle(request("ACK", cseq="1 ACK"), sink, peer)
        eventlib.sleep(10)
        assert len(sink.times) == 2
        server.handle(request("BYE", cseq="2 BYE"), sink, peer)
        assert server.wait_idle(1)
        assert server.stats.completed == 1
        server.handle(request("BYE", cseq="2 BYE"), sink, peer)  # a retransmitted BYE
        assert sink.codes[200] == 4
    finally:
        server.stop()


@pytest.mark.load
def test_flood_of_unacked_invites_is_capped_and_frees_everything(virtual_clock):
    """20,000 fresh INVITEs that never ACK: sessions capped, 503s, then back to zero and memory."""
    cap = 1000
    server = _server(t1=0.5, max_sessions=cap)
    sink = Sink()
    peer = ("127.0.0.1", 5999)
    invites = [request(call_id=f"flood-{n}@127.0.0.1") for n in range(20_000)]
    warm_up = [request(call_id=f"warm-{n}@127.0.0.1") for n in range(cap)]
    tracemalloc.start()
    try:
        for data in warm_up:  # fill every cache (idle greenlets, structlog) once first
            server.handle(data, sink, peer)
        assert server.wait_idle(60)
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        peak_sessions = 0
        for start in range(0, len(invites), 500):
            for data in invites[start : start + 500]:
                server.handle(data, sink, peer)
            eventlib.sleep(0)
            peak_sessions = max(peak_sessions, server.sessions.count_children().active)
        assert len(server.calls) == cap
        during = tracemalloc.get_traced_memory()[0]
        assert server.wait_idle(60)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        server.stop()
    assert peak_sessions <= cap
    assert server.stats.rejected == 20_000 - cap
    assert sink.codes[503] == 20_000 - cap
    assert server.stats.timer_h == 2 * cap
    assert server.calls == {}
    assert server.sessions is None or server.sessions.dead  # stopped with the server
    assert during - baseline > 1_000_000, (baseline, during)
    assert after - baseline < 200_000, (baseline, during, after)


def test_crash_storm_past_the_intensity_restarts_the_sessions_supervisor(virtual_clock, hub_errors):
    """Crashes past max_restarts take the sessions supervisor down; the root restarts it."""
    from eventlib.supervisor import RestartIntensityExceeded
    from examples.sip_uas import InjectedCrash

    hub_errors.expect(InjectedCrash, RestartIntensityExceeded)
    server = _server(max_restarts=2, max_seconds=5)
    sink = Sink()
    peer = ("127.0.0.1", 5999)
    try:
        first = server.sessions
        for n in range(3):
            crash = request(call_id=f"storm-{n}@127.0.0.1", extra="X-Crash: 1\r\n")
            server.handle(crash, sink, peer)
        assert server.wait_idle(5)
        assert server.calls == {}
        assert first.dead
        second = server.running_sessions(5)
        assert second is not None
        assert second is not first
        assert not server.root.dead
        server.handle(request(call_id="after@127.0.0.1"), sink, peer)
        eventlib.sleep(0.1)
        server.handle(request("ACK", call_id="after@127.0.0.1", cseq="1 ACK"), sink, peer)
        server.handle(request("BYE", call_id="after@127.0.0.1", cseq="2 BYE"), sink, peer)
        assert server.wait_idle(5)
        assert server.stats.completed == 1
    finally:
        server.stop()
