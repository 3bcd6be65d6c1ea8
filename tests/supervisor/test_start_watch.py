"""A child's start that never returns is reported, not silent (issue 11.3)."""

from structlog.testing import capture_logs

import eventlib
from eventlib.hub import get_hub
from eventlib.supervisor import ChildSpec, Supervisor
from eventlib.supervisor._supervisor import START_WARNING_AFTER


def loop():
    while True:
        eventlib.sleep(1)


def slow_warnings(logs):
    return [entry for entry in logs if entry["event"] == "child.start_slow"]


def supervisors():
    return [p for p in get_hub().procs.values() if isinstance(p, Supervisor)]


def test_start_that_runs_the_loop_itself_is_warned_about_once(virtual_clock):
    """start=loop (the loop itself) gets one warning naming the child and the fix; no kill."""
    with capture_logs() as logs:
        constructing = eventlib.spawn(Supervisor, [ChildSpec("worker", start=loop)], name="root")
        eventlib.sleep(START_WARNING_AFTER - 0.5)
        assert slow_warnings(logs) == []
        eventlib.sleep(1)
        [warning] = slow_warnings(logs)
        eventlib.sleep(100)
    assert slow_warnings(logs) == [warning]
    assert warning["log_level"] == "warning"
    assert (warning["sup_path"], warning["child_id"]) == ("root", "worker")
    assert warning["waited"] == START_WARNING_AFTER
    assert "lambda: eventlib.spawn(loop)" in warning["fix"]
    assert not constructing.dead  # still waiting: the start is not killed
    [sup] = supervisors()
    constructing.kill()
    sup.kill()


def pending_timers(virtual_clock):
    """The hub's pending timers and any other timed call of the reactor, zero-delay ones aside."""
    hub = get_hub()
    assert hub.reactor is virtual_clock.reactor
    return hub.get_timers_count() - hub.ready_count


def test_quick_starts_are_not_warned_about_and_leave_no_timer(virtual_clock):
    """Starts that return at once give no warning and leave no timer behind them."""
    with capture_logs() as logs:
        sup = Supervisor([ChildSpec(n, start=lambda: eventlib.spawn(loop)) for n in "abc"])
        eventlib.sleep(0)
        assert pending_timers(virtual_clock) == 3  # the children's sleep(1), nothing else
        eventlib.sleep(START_WARNING_AFTER * 3)
        sup.stop()
    assert slow_warnings(logs) == []
    assert pending_timers(virtual_clock) == 0


def test_a_slow_start_after_quick_ones_is_timed_from_its_own_beginning(virtual_clock):
    """The warning delay counts from the slow start itself, not from the first start."""
    sup = Supervisor([ChildSpec("a", start=lambda: eventlib.spawn(loop))], name="root")
    eventlib.sleep(START_WARNING_AFTER - 1)
    with capture_logs() as logs:
        starting = eventlib.spawn(sup.start_child, ChildSpec("b", start=loop))
        eventlib.sleep(START_WARNING_AFTER - 0.5)
        assert slow_warnings(logs) == []
        eventlib.sleep(1)
    [warning] = slow_warnings(logs)
    assert warning["child_id"] == "b"
    starting.kill()
    sup.kill()
