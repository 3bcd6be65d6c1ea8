"""eventlib.green.time: sleep() parks the green thread; the rest is the stdlib's."""

import time as stdlib_time

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import time
from eventlib.hub import BlockingInMainLoopError, get_hub

N = 100


def test_sleep_advances_virtual_clock(virtual_clock):
    """sleep(3600) on the virtual clock takes an hour of virtual time and none of real time."""
    start = virtual_clock.now()
    real = stdlib_time.monotonic()
    time.sleep(3600)
    assert virtual_clock.now() - start == 3600
    assert stdlib_time.monotonic() - real < 5


def test_hundred_concurrent_sleeps_do_not_block_reactor(real_reactor, heartbeat):
    """N procs sleep at once: the timer keeps firing meanwhile, and short sleeps end together."""
    # Sleeps far longer than the wait for ticks: all still pending, then killed.
    sleepers = [eventlib.spawn(time.sleep, 10) for _ in range(N)]
    try:
        heartbeat.wait_for_ticks(20)
        assert not [s for s in sleepers if s.ready()], "a 10 s sleep ended early"
    finally:
        eventlib.killall(sleepers, wait=True)
    start = stdlib_time.monotonic()
    eventlib.waitall([eventlib.spawn(time.sleep, 0.1) for _ in range(N)])
    elapsed = stdlib_time.monotonic() - start
    assert 0.09 <= elapsed < 2  # concurrent: N sleeps in a row would take 10 s


@pytest.mark.parametrize("value", [-1, "1", None, float("nan")])
def test_bad_sleep_raises_like_stdlib(virtual_clock, value):
    """Negative or non-numeric delays raise the stdlib's exception types."""
    assert outcome(time.sleep, value)[0] == outcome(stdlib_time.sleep, value)[0]


def test_sleep_from_main_loop_raises(virtual_clock):
    """sleep() from a reactor callback fails at once."""
    seen = eventlib.Event()

    def in_main_loop():
        try:
            time.sleep(1)
        except BlockingInMainLoopError as exc:
            seen.send(exc)

    get_hub().schedule_call_global(0, in_main_loop)
    assert isinstance(seen.wait(), BlockingInMainLoopError)


def test_module_keeps_stdlib_names():
    """Everything but sleep is the stdlib's own object."""
    assert time.time is stdlib_time.time
    assert time.monotonic is stdlib_time.monotonic
    assert time.struct_time is stdlib_time.struct_time
    assert time.sleep is not stdlib_time.sleep
