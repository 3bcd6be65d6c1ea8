"""Supervisor API calls from MAIN_LOOP are refused before anything is queued (issue 11)."""

import pytest

import eventlib
from eventlib.hub import BlockingInMainLoopError
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Supervisor


def sleeper(*args):
    eventlib.sleep(100)


def outcome_in_main_loop(function, *args):
    """Call ``function(*args)`` from MAIN_LOOP (a timer callback); return what it raised."""
    outcome = eventlib.Event()

    def call():
        try:
            function(*args)
        except BaseException as exc:
            outcome.send(exc)
        else:
            outcome.send(None)

    eventlib.schedule_call_global(0, call)
    return outcome.wait()


def test_start_child_from_main_loop_starts_nothing(virtual_clock):
    """start_child from MAIN_LOOP raises, names start_child_nowait, and no child is started."""
    sup = Supervisor([])
    spec = ChildSpec("a", start=lambda: eventlib.spawn(sleeper))
    error = outcome_in_main_loop(sup.start_child, spec)
    assert isinstance(error, BlockingInMainLoopError)
    assert "start_child_nowait" in str(error)
    eventlib.sleep(1)
    assert sup.count_children().specs == 0
    sup.stop()


def test_dynamic_start_child_from_main_loop_starts_nothing(virtual_clock):
    """DynamicSupervisor.start_child from MAIN_LOOP raises and no child is started."""
    sup = DynamicSupervisor(ChildSpec("s", start=lambda: eventlib.spawn(sleeper)))
    error = outcome_in_main_loop(sup.start_child)
    assert isinstance(error, BlockingInMainLoopError)
    eventlib.sleep(1)
    assert sup.count_children().active == 0
    sup.stop()


def test_terminate_child_from_main_loop_leaves_the_child_running(virtual_clock):
    """terminate_child from MAIN_LOOP raises and the child keeps running."""
    sup = Supervisor([ChildSpec("a", start=lambda: eventlib.spawn(sleeper))])
    error = outcome_in_main_loop(sup.terminate_child, "a")
    assert isinstance(error, BlockingInMainLoopError)
    assert "Supervisor.terminate_child()" in str(error)
    eventlib.sleep(1)
    assert sup.count_children().active == 1
    sup.stop()


def test_stop_from_main_loop_leaves_the_supervisor_running(virtual_clock):
    """stop from MAIN_LOOP raises, names kill(), and the supervisor keeps running."""
    sup = Supervisor([ChildSpec("a", start=lambda: eventlib.spawn(sleeper))])
    error = outcome_in_main_loop(sup.stop)
    assert isinstance(error, BlockingInMainLoopError)
    assert "kill()" in str(error)
    eventlib.sleep(1)
    assert not sup.dead
    assert sup.count_children().active == 1
    sup.stop()


@pytest.mark.parametrize("timeout", ["soon", -1])
def test_stop_rejects_a_bad_timeout(virtual_clock, timeout):
    """Supervisor.stop(timeout=...) takes None or seconds >= 0, and says so."""
    sup = Supervisor([])
    with pytest.raises((TypeError, ValueError), match=r"Supervisor\.stop\(\) timeout"):
        sup.stop(timeout)
    sup.stop()
