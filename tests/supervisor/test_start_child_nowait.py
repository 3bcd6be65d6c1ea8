"""start_child_nowait: starting children from MAIN_LOOP (Twisted callbacks) without blocking."""

import pytest

import eventlib
from eventlib.supervisor import (
    AlreadyStarted,
    ChildSpec,
    DynamicSupervisor,
    Supervisor,
    SupervisorNotRunning,
)


def sleeper(*args):
    eventlib.sleep(100)


def test_dynamic_start_from_main_loop(virtual_clock):
    """A Twisted callback can start dynamic children; the Source gets each proc."""
    sessions = DynamicSupervisor(ChildSpec("s", start=lambda n: eventlib.spawn(sleeper, n)))
    events = []
    for n in range(3):
        eventlib.schedule_call_global(0, lambda n=n: events.append(sessions.start_child_nowait(n)))
    eventlib.sleep(1)
    procs = [event.wait() for event in events]
    assert all(isinstance(proc, eventlib.Proc) for proc in procs)
    assert sessions.count_children().active == 3
    sessions.stop()


def test_static_start_from_main_loop_reports_errors(virtual_clock):
    """start_child_nowait's Source carries the error start_child would raise."""
    spec = ChildSpec("a", start=lambda: eventlib.spawn(sleeper))
    sup = Supervisor([spec])
    outcome = []
    eventlib.schedule_call_global(0, lambda: outcome.append(sup.start_child_nowait(spec)))
    eventlib.sleep(1)
    with pytest.raises(AlreadyStarted):
        outcome[0].wait()
    sup.stop()


def test_request_to_a_dead_supervisor_fails_at_once(virtual_clock):
    """A request to a supervisor that has exited fails without waiting."""
    sup = DynamicSupervisor(ChildSpec("s", start=lambda: eventlib.spawn(sleeper)))
    sup.stop()
    event = sup.start_child_nowait()
    assert event.ready()
    with pytest.raises(SupervisorNotRunning):
        event.wait()


def test_requests_pending_when_the_supervisor_dies_are_refused(virtual_clock):
    """The request in progress and those still queued get SupervisorNotRunning when it dies."""

    def slow_start():
        eventlib.sleep(10)  # runs in the supervisor's proc: it is busy meanwhile
        return eventlib.spawn(sleeper)

    sup = DynamicSupervisor(ChildSpec("s", start=slow_start))
    in_progress = sup.start_child_nowait()
    eventlib.sleep(1)
    queued = [sup.start_child_nowait() for _ in range(3)]
    assert not any(event.ready() for event in [in_progress, *queued])
    sup.kill()
    eventlib.sleep(0)
    for event in [in_progress, *queued]:
        with pytest.raises(SupervisorNotRunning):
            event.wait()
    assert virtual_clock.now() == 1


def test_failure_can_be_handled_by_a_callback_in_main_loop(virtual_clock, hub_errors):
    """Twisted code links a callback to the Source to hear about a failed start."""
    hub_errors.expect(ValueError)

    def bad_start():
        raise ValueError("no room")

    sessions = DynamicSupervisor(ChildSpec("s", start=bad_start))
    refused = []

    def from_twisted():
        started = sessions.start_child_nowait()
        started.link_exception(lambda source: refused.append(source.exc_info()[1]))

    eventlib.schedule_call_global(0, from_twisted)
    eventlib.sleep(1)
    [error] = refused
    assert "no room" in str(error)
    sessions.stop()
