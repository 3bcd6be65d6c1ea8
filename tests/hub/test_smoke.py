import eventlib
from eventlib.hub import DeadlockError


def test_sleep_an_hour_takes_no_real_time(virtual_clock):
    """sleep(3600) on the virtual clock returns at once with the clock 3600 s later."""
    start = virtual_clock.now()
    eventlib.sleep(3600)
    assert virtual_clock.now() - start == 3600


def test_procs_run_in_timer_order(virtual_clock):
    """Procs sleeping different times wake in time order."""
    order = []
    procs = [eventlib.spawn(lambda n=n: (eventlib.sleep(n), order.append(n))) for n in (3, 1, 2)]
    eventlib.waitall(procs)
    assert order == [1, 2, 3]


def test_crash_fails_unless_expected(virtual_clock, hub_errors):
    """A proc crash is reported to the hub; expecting it keeps the test green."""
    hub_errors.expect(ZeroDivisionError)
    p = eventlib.spawn(lambda: 1 / 0)
    try:
        p.wait()
    except ZeroDivisionError:
        pass
    assert p.exit_reason is eventlib.ExitReason.ERROR


def test_deadlock_is_detected():
    """Waiting on an event nobody will send raises DeadlockError in the waiter's hub owner."""
    from eventlib.hub import Hub, VirtualClockReactor, set_hub

    reactor = VirtualClockReactor(real_time_limit=10)
    hub = Hub(reactor)
    previous = set_hub(hub)
    try:
        event = eventlib.Event()
        try:
            event.wait()
        except DeadlockError:
            pass
        else:
            raise AssertionError("expected DeadlockError")
    finally:
        hub.close()
        set_hub(previous)


def test_real_reactor_sleep(real_reactor):
    """The real-reactor fixture really sleeps."""
    import time

    t = time.monotonic()
    eventlib.sleep(0.01)
    assert time.monotonic() - t >= 0.009
