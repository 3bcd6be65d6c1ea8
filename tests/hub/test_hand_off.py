"""Hand-offs: a parking green thread wakes the next waiter itself, not through MAIN_LOOP."""

import itertools
import time
from types import SimpleNamespace

import greenlet
import pytest

import eventlib
from eventlib import proc
from eventlib.hub import Waiter, _hub, get_hub
from eventlib.hub._waiter import HANDOFF_LIMIT
from eventlib.sync import Event, Queue


@pytest.fixture
def switches_into_main_loop():
    """A list that gets one entry per greenlet switch (or throw) into MAIN_LOOP."""
    seen: list[str] = []
    loop = get_hub().greenlet

    def trace(event, args):
        if args[1] is loop:
            seen.append(event)

    previous = greenlet.settrace(trace)
    try:
        yield seen
    finally:
        greenlet.settrace(previous)


def ping_pong(rounds: int) -> None:
    """Two procs pass a number back and forth ``rounds`` times through two queues."""
    pings: Queue = Queue()
    pongs: Queue = Queue()

    def server() -> None:
        for _ in range(rounds):
            pongs.put(pings.get() + 1)

    def client() -> int:
        total = 0
        for _ in range(rounds):
            pings.put(total)
            total = pongs.get()
        return total

    proc.spawn(server)
    assert proc.spawn(client).wait() == rounds


def test_ping_pong_between_procs_skips_main_loop_between_hand_offs(
    virtual_clock, switches_into_main_loop
):
    """Between two procs waking each other, MAIN_LOOP runs once per HANDOFF_LIMIT hand-offs."""
    rounds = 20 * HANDOFF_LIMIT
    ping_pong(rounds)
    parks = 2 * rounds
    # Without hand-offs every park would switch into MAIN_LOOP (2 * rounds switches).
    lowest, highest = parks // (HANDOFF_LIMIT + 1), parks // HANDOFF_LIMIT + 8
    assert lowest <= len(switches_into_main_loop) <= highest


def test_a_hand_off_keeps_the_ready_queue_order(virtual_clock):
    """A job MAIN_LOOP queued before a wake-up runs before it: hand-offs take only the head."""
    hub = get_hub()
    order: list[str] = []
    first, second = Waiter(hub), Waiter(hub)

    def wait_on(waiter: Waiter, name: str) -> None:
        order.append(f"{name} got {waiter.get()}")

    proc.spawn(wait_on, first, "a")
    proc.spawn(wait_on, second, "b")
    eventlib.sleep(0)  # both park
    first.switch(1)
    hub.schedule_soon(order.append, "job")
    second.switch(2)
    eventlib.sleep(0)
    assert order == ["a got 1", "job", "b got 2"]


def test_a_hand_off_drops_a_delivery_whose_green_thread_stopped_waiting(virtual_clock):
    """A delivery left behind by a throw is skipped by the next park, and stays unclaimed."""
    waiter = Waiter(get_hub())
    later = Event()
    seen: list[object] = []

    def victim() -> None:
        try:
            waiter.get()
        except KeyError:
            seen.append("thrown")
        seen.append(later.wait())  # parks with the stale delivery at the head of the queue

    p = proc.spawn(victim)
    eventlib.sleep(0)
    p.throw(KeyError)  # queued first: resumes the victim before its delivery runs
    waiter.switch("late value")
    eventlib.sleep(0)
    assert seen == ["thrown"]
    assert waiter.unclaimed  # the value is not lost: its owner can see it was never taken
    later.send(5)
    p.wait()
    assert seen == ["thrown", 5]


def test_procs_waking_each_other_forever_do_not_starve_the_reactor(virtual_clock, monkeypatch):
    """Hand-offs count against MAIN_LOOP's budget: the reactor runs after one budget of jobs."""
    # A clock on which every look finds the drain budget spent: MAIN_LOOP gives the
    # reactor control at its first look, after _DRAIN_CHECK_EVERY jobs, hand-offs included.
    # It goes on from the real clock: the running drain took its start time from that one.
    ticks = itertools.count(time.perf_counter() + 1)
    monkeypatch.setattr(_hub, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    reactor = get_hub().reactor
    stop: list[bool] = []
    pings: Queue = Queue()
    pongs: Queue = Queue()

    def bounce(inbox: Queue, outbox: Queue) -> int:
        count = 0
        while not stop:
            outbox.put(inbox.get())
            count += 1
        return count

    server = proc.spawn(bounce, pings, pongs)
    client = proc.spawn(bounce, pongs, pings)
    pings.put(0)
    reactor.callLater(0, stop.append, True)  # runs only when MAIN_LOOP hands the reactor control
    bounces = client.wait()
    assert HANDOFF_LIMIT < bounces <= _hub._DRAIN_CHECK_EVERY + HANDOFF_LIMIT
    pings.put(0)  # the server may be waiting for one more
    pongs.put(0)
    server.wait()
