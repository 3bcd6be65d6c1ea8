import pytest

import eventlib
from eventlib.hub import get_hub, schedule_call_global, schedule_call_local


def test_global_timer_fires_after_delay(virtual_clock):
    """schedule_call_global runs the callback after the delay, in virtual time."""
    fired = []
    schedule_call_global(5, lambda: fired.append(virtual_clock.now()))
    eventlib.sleep(10)
    assert fired == [5.0]


def test_timer_passes_args_and_kwargs(virtual_clock):
    """Timer callbacks get the positional and keyword arguments given."""
    got = []
    schedule_call_global(1, lambda *a, **kw: got.append((a, kw)), 1, 2, x=3)
    eventlib.sleep(2)
    assert got == [((1, 2), {"x": 3})]


def test_cancelled_timer_does_not_fire(virtual_clock):
    """cancel() before the deadline stops the call, and is idempotent."""
    fired = []
    timer = schedule_call_global(1, fired.append, 1)
    timer.cancel()
    timer.cancel()
    eventlib.sleep(2)
    assert fired == []
    assert timer.cancelled
    assert not timer.pending


def test_timers_fire_in_deadline_order(virtual_clock):
    """Timers fire in deadline order whatever the scheduling order."""
    order = []
    for delay in (3, 1, 2, 0.5):
        schedule_call_global(delay, order.append, delay)
    eventlib.sleep(4)
    assert order == [0.5, 1, 2, 3]


def test_zero_delay_timers_run_in_fifo_order(virtual_clock):
    """Zero-delay timers run on the next turn in the order scheduled."""
    order = []
    for n in range(5):
        schedule_call_global(0, order.append, n)
    assert order == []
    eventlib.sleep(0)
    assert order == [0, 1, 2, 3, 4]


def test_zero_delay_wakeups_cost_no_delayed_call(virtual_clock):
    """Many zero-delay wake-ups in one turn add no Twisted DelayedCall each."""
    reactor = get_hub().reactor
    before = len(reactor.getDelayedCalls())
    for _ in range(1000):
        schedule_call_global(0, lambda: None)
    eventlib.spawn(lambda: None)
    assert len(reactor.getDelayedCalls()) <= before + 1


def test_local_timer_skipped_after_its_proc_died(virtual_clock):
    """A local timer does not fire once the proc that scheduled it has finished."""
    fired = []

    def schedule_and_exit():
        schedule_call_local(1, fired.append, "late")

    eventlib.spawn(schedule_and_exit).wait()
    eventlib.sleep(2)
    assert fired == []


def test_local_timer_fires_while_its_proc_lives(virtual_clock):
    """A local timer fires while the proc that scheduled it is alive."""
    fired = []
    schedule_call_local(1, fired.append, "on time")
    eventlib.sleep(2)
    assert fired == ["on time"]


def test_global_timer_fires_after_its_proc_died(virtual_clock):
    """A global timer fires even after the proc that scheduled it has finished."""
    fired = []
    eventlib.spawn(lambda: schedule_call_global(1, fired.append, "still")).wait()
    eventlib.sleep(2)
    assert fired == ["still"]


@pytest.mark.parametrize("delay", [-1, float("nan")])
def test_bad_delay_raises_value_error(virtual_clock, delay):
    """A negative or NaN delay is rejected with ValueError."""
    with pytest.raises(ValueError, match="timer delay must be a number of seconds >= 0"):
        schedule_call_global(delay, lambda: None)


@pytest.mark.parametrize("delay", [None, "1", True])
def test_delay_that_is_not_a_number_raises_type_error(virtual_clock, delay):
    """A missing, string or bool delay is a TypeError naming the delay."""
    with pytest.raises(
        TypeError, match=r"timer delay must be a number of seconds \(int or float\)"
    ):
        schedule_call_global(delay, lambda: None)


def test_raising_timer_is_reported_and_loop_goes_on(virtual_clock, hub_errors):
    """A timer callback that raises goes to the error hook; later timers still fire."""
    hub_errors.expect(KeyError)
    fired = []
    schedule_call_global(1, lambda: {}["missing"])
    schedule_call_global(2, fired.append, "after")
    eventlib.sleep(3)
    assert fired == ["after"]
    assert [type(e.exception) for e in hub_errors.errors] == [KeyError]


def test_timer_repr_says_state(virtual_clock):
    """A timer's repr tells local/global and its state."""
    timer = schedule_call_local(1, print)
    assert "local pending" in repr(timer)
    timer.cancel()
    assert "cancelled" in repr(timer)


@pytest.mark.parametrize(
    ("seconds", "error"), [("1", TypeError), (None, TypeError), (-1, ValueError)]
)
def test_sleep_rejects_a_bad_duration(virtual_clock, seconds, error):
    """sleep("1") is an error naming sleep() and what it takes, not a bare comparison error."""
    with pytest.raises(error, match=r"sleep\(\) seconds must be a number of seconds"):
        eventlib.sleep(seconds)


def test_virtual_clock_advance_rejects_a_string(virtual_clock):
    """advance("1") names advance() and what it takes."""
    with pytest.raises(TypeError, match=r"VirtualClock\.advance\(\) seconds must be a number"):
        virtual_clock.advance("1")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"autojump_threshold": -1}, ValueError), ({"real_time_limit": "30"}, TypeError)],
)
def test_virtual_clock_reactor_rejects_bad_arguments(kwargs, error):
    """VirtualClockReactor checks its durations before building anything."""
    from eventlib.hub import VirtualClockReactor

    with pytest.raises(error, match="VirtualClockReactor"):
        VirtualClockReactor(**kwargs)
