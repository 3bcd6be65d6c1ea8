"""The hub's timer heap: one Twisted DelayedCall for every timer with a delay, lazy cancellation."""

import pytest

import eventlib
from eventlib.hub import Hub, VirtualClockReactor, get_hub, schedule_call_global, set_hub
from eventlib.sync import Event


def at_reactor_time(reactor, when, function):
    """Run ``function`` from a raw Twisted DelayedCall: after the hub handed the reactor control."""
    reactor.callLater(when - reactor.seconds(), function)


def test_same_deadline_timers_fire_in_scheduling_order(virtual_clock):
    """Timers sharing a deadline fire in the order they were scheduled."""
    order = []
    for n in range(20):
        schedule_call_global(1, order.append, n)
    eventlib.sleep(2)
    assert order == list(range(20))


def test_timers_fire_by_deadline_then_in_scheduling_order(virtual_clock):
    """Mixed deadlines: earliest first, and FIFO among equal deadlines."""
    order = []
    for name, delay in [("a", 2), ("b", 1), ("c", 2), ("d", 1), ("e", 3)]:
        schedule_call_global(delay, order.append, name)
    eventlib.sleep(4)
    assert order == ["b", "d", "a", "c", "e"]


def test_due_timers_fire_at_their_own_virtual_time(virtual_clock):
    """Each timer sees the virtual clock at its own deadline, even 0.1 + 0.2 apart."""
    seen = []
    eventlib.sleep(0.1)
    schedule_call_global(0.2, lambda: seen.append(virtual_clock.now()))
    schedule_call_global(7.3, lambda: seen.append(virtual_clock.now()))
    eventlib.sleep(10)
    assert seen == [0.1 + 0.2, 0.1 + 7.3]


def test_many_pending_timers_arm_a_single_delayed_call(virtual_clock):
    """A hundred pending timers are one DelayedCall in the reactor, armed for the earliest."""
    reactor = virtual_clock.reactor
    for n in range(100):
        schedule_call_global(10 + n, lambda: None)
    seen = []
    at_reactor_time(
        reactor,
        1,
        lambda: seen.append((len(reactor.getDelayedCalls()), get_hub().timer_statistics())),
    )
    eventlib.sleep(2)
    [(calls, stats)] = seen
    assert calls == 1
    assert (stats.pending, stats.armed_at) == (101, 2.0)  # the test's own sleep(2) is earliest


def test_a_timer_scheduled_and_cancelled_within_a_turn_never_reaches_the_reactor(virtual_clock):
    """Schedule-then-cancel (a timeout that did not fire) arms no DelayedCall."""
    hub = get_hub()
    before = hub.timer_statistics()
    for _ in range(100):
        hub.schedule_call_global(5, lambda: None).cancel()
    assert hub.timer_statistics() == before
    assert virtual_clock.reactor.getDelayedCalls() == []


def test_an_earlier_timer_rearms_the_delayed_call(virtual_clock):
    """A timer earlier than the armed deadline, scheduled from a Twisted callback, fires on time."""
    hub = get_hub()
    fired = []
    schedule_call_global(10, fired.append, "late")
    at_reactor_time(
        virtual_clock.reactor,
        1,
        lambda: hub.schedule_call_global(0.5, lambda: fired.append(virtual_clock.now())),
    )
    eventlib.sleep(20)
    assert fired == [1.5, "late"]


def test_cancelling_the_earliest_timer_rearms_for_the_next(virtual_clock):
    """Once the earliest timer is cancelled, the DelayedCall moves to the next live deadline."""
    hub = get_hub()
    first = schedule_call_global(1, pytest.fail, "cancelled")
    schedule_call_global(5, lambda: None)
    seen = []
    at_reactor_time(virtual_clock.reactor, 0.5, first.cancel)
    at_reactor_time(virtual_clock.reactor, 0.7, lambda: seen.append(hub.timer_statistics()))
    eventlib.sleep(6)
    [stats] = seen
    assert (stats.pending, stats.armed_at) == (2, 5.0)  # the 5 s timer and the test's sleep(6)


def test_the_last_cancel_disarms_the_delayed_call_at_the_next_turn(virtual_clock):
    """With no timer left, the hub leaves no DelayedCall in the reactor once it gets control."""
    hub = get_hub()
    timer = schedule_call_global(50, pytest.fail, "cancelled")
    seen = []
    at_reactor_time(virtual_clock.reactor, 1, timer.cancel)
    at_reactor_time(virtual_clock.reactor, 1.5, lambda: seen.append(hub.timer_statistics()))
    eventlib.sleep(2)
    [stats] = seen
    assert (stats.pending, stats.armed_at) == (1, 2.0)  # only the test's sleep(2)
    timer_left = hub.schedule_call_global(3, pytest.fail, "cancelled")
    timer_left.cancel()
    assert hub.timer_statistics().pending == 0


@pytest.mark.parametrize("keep_alive", [0, 1, 50])
def test_cancelled_timers_that_never_fire_keep_the_heap_bounded(virtual_clock, keep_alive):
    """10,000 schedule/cancel pairs beside live timers keep the heap within 2x live + 1."""
    hub = get_hub()
    alive = [hub.schedule_call_global(1000 + n, lambda: None) for n in range(keep_alive)]
    largest = 0
    for n in range(10_000):
        hub.schedule_call_global(100 + n % 7, lambda: None).cancel()
        largest = max(largest, hub.timer_statistics().heap_size)
    assert largest <= 2 * keep_alive + 1
    for timer in alive:
        timer.cancel()
    assert hub.timer_statistics().heap_size == 0


def test_cancelling_most_of_many_timers_shrinks_the_heap(virtual_clock):
    """Cancelling 900 of 1000 timers (none at the top) leaves at most twice the live ones."""
    hub = get_hub()
    timers = [hub.schedule_call_global(1 + n, lambda: None) for n in range(1000)]
    for timer in timers[100:]:
        timer.cancel()
    stats = hub.timer_statistics()
    assert stats.pending == 100
    assert stats.heap_size <= 200


def test_a_timer_scheduled_while_timers_fire_fires_at_its_own_time(virtual_clock):
    """A callback may schedule timers: one due later fires later, one due now fires next turn."""
    fired = []

    def first():
        fired.append(("first", virtual_clock.now()))
        schedule_call_global(1, lambda: fired.append(("later", virtual_clock.now())))
        schedule_call_global(0, lambda: fired.append(("soon", virtual_clock.now())))

    schedule_call_global(1, first)
    schedule_call_global(1, lambda: fired.append(("same deadline", virtual_clock.now())))
    eventlib.sleep(3)
    assert fired == [("first", 1.0), ("same deadline", 1.0), ("soon", 1.0), ("later", 2.0)]


def test_a_timer_cancelled_by_an_earlier_one_due_at_the_same_time_does_not_fire(virtual_clock):
    """Two timers due in one pass: the first cancelling the second stops it."""
    fired = []
    second = schedule_call_global(1, fired.append, "second")
    schedule_call_global(0.5, lambda: (fired.append("first"), second.cancel()))
    virtual_clock.reactor.set_time(2)  # both are due when the reactor next gets control
    eventlib.sleep(0.5)
    assert fired == ["first"]


def test_a_raising_timer_does_not_stop_the_others_due_with_it(virtual_clock, hub_errors):
    """An error in one of several due timers goes to the hook; the rest still fire."""
    hub_errors.expect(ZeroDivisionError)
    fired = []
    schedule_call_global(1, fired.append, "before")
    schedule_call_global(1, lambda: 1 / 0)
    schedule_call_global(1, fired.append, "after")
    eventlib.sleep(2)
    assert fired == ["before", "after"]
    assert [type(error.exception) for error in hub_errors.errors] == [ZeroDivisionError]


def test_timer_statistics_count_pending_timers(virtual_clock):
    """timer_statistics().pending and timer_count follow scheduling, cancelling and firing."""
    hub = get_hub()
    timers = [schedule_call_global(1 + n, lambda: None) for n in range(3)]
    assert hub.timer_count == hub.timer_statistics().pending == 3
    timers[1].cancel()
    assert hub.timer_count == 2
    eventlib.sleep(10)
    assert hub.timer_count == 0


def test_closing_the_hub_cancels_its_timers_and_its_delayed_call():
    """Hub.close() cancels pending timers and leaves no armed DelayedCall in the reactor."""
    reactor = VirtualClockReactor()
    hub = Hub(reactor)
    previous = set_hub(hub)
    try:
        late = hub.schedule_call_global(50, pytest.fail, "the hub was closed")
        woken = Event()
        reactor.callLater(1, woken.send)
        woken.wait()
        assert hub.timer_statistics().armed_at == 50
        hub.close()
        assert late.cancelled
        assert [call for call in reactor.getDelayedCalls() if call.active()] == []
        assert hub.timer_statistics().pending == 0
    finally:
        hub.close()
        set_hub(previous)
        reactor.removeAll()
        reactor._poller.close()


def test_timers_fire_in_order_on_the_real_reactor(real_reactor):
    """On the installed reactor (epoll or asyncio), timers fire by deadline then FIFO."""
    order = []
    for name, delay in [("c", 0.03), ("a", 0.01), ("b", 0.02), ("a2", 0.01)]:
        schedule_call_global(delay, order.append, name)
    eventlib.sleep(0.1)
    assert order == ["a", "a2", "b", "c"]


def test_a_timer_scheduled_from_a_twisted_callback_fires_on_the_real_reactor(real_reactor):
    """A Twisted callback (no green thread involved) can schedule a hub timer that fires."""
    fired = Event()
    real_reactor.callLater(0.01, lambda: get_hub().schedule_call_global(0.01, fired.send, "ok"))
    assert fired.wait(5) == "ok"
