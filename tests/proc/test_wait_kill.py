"""Waiting for and killing procs; exit reasons and the state a proc reports."""

import pytest
from greenlet import GreenletExit

import eventlib
from eventlib import proc
from eventlib.hub import BlockingInMainLoopError, sleep
from eventlib.proc import ExitReason, Proc, ProcExit

# -- wait ---------------------------------------------------------------------


def test_wait_returns_the_value(virtual_clock):
    """wait() blocks until the proc returns and gives its value."""
    p = proc.spawn(lambda: (sleep(5), "v")[1])
    assert p.wait() == "v"
    assert virtual_clock.now() == 5


def test_wait_reraises_the_exception(virtual_clock, hub_errors):
    """wait() raises the very exception the proc raised."""
    hub_errors.expect(KeyError)
    error = KeyError("k")

    def fail():
        raise error

    p = proc.spawn(fail)
    with pytest.raises(KeyError) as info:
        p.wait()
    assert info.value is error


def test_wait_on_a_finished_proc_returns_at_once_every_time(virtual_clock):
    """wait() on a finished proc returns its value without blocking, as often as asked."""
    p = proc.spawn(lambda: 7)
    p.wait()
    start = virtual_clock.now()
    assert [p.wait(), p.wait(), p.wait(0)] == [7, 7, 7]
    assert virtual_clock.now() == start


def test_wait_with_timeout_raises_timeout_error(virtual_clock):
    """wait(timeout) on a proc that runs longer raises eventlib.TimeoutError after timeout."""
    p = proc.spawn(sleep, 100)
    with pytest.raises(eventlib.TimeoutError):
        p.wait(3)
    assert virtual_clock.now() == 3
    assert not p.dead


def test_wait_with_timeout_returns_the_value_in_time(virtual_clock):
    """wait(timeout) returns the value when the proc ends before the timeout."""
    p = proc.spawn(lambda: (sleep(1), "v")[1])
    assert p.wait(3) == "v"
    sleep(10)  # the timeout was cancelled: nothing is raised later


def test_wait_with_timeout_and_none_returns_none(virtual_clock):
    """wait(timeout, None) returns None when the timeout passes."""
    p = proc.spawn(sleep, 100)
    assert p.wait(3, None) is None
    assert virtual_clock.now() == 3


def test_wait_with_timeout_and_exception_raises_it(virtual_clock):
    """wait(timeout, SomeError) raises SomeError when the timeout passes."""
    p = proc.spawn(sleep, 100)
    with pytest.raises(KeyError):
        p.wait(3, KeyError)


def test_wait_zero_polls(virtual_clock):
    """wait(0) on a running proc raises TimeoutError at once without yielding."""
    p = proc.spawn(sleep, 100)
    start = virtual_clock.now()
    with pytest.raises(eventlib.TimeoutError):
        p.wait(0)
    assert p.greenlet is None  # it did not even start: wait(0) never yielded
    assert virtual_clock.now() == start


def test_wait_zero_with_none_returns_none(virtual_clock):
    """wait(0, None) on a running proc returns None."""
    p = proc.spawn(sleep, 100)
    assert p.wait(0, None) is None


def test_wait_zero_from_main_loop_polls(virtual_clock, in_main_loop):
    """wait(0) is safe from MAIN_LOOP: it raises TimeoutError instead of blocking."""
    p = proc.spawn(sleep, 100)
    with pytest.raises(eventlib.TimeoutError):
        in_main_loop(p.wait, 0)
    assert in_main_loop(p.wait, 0, None) is None


def test_wait_from_main_loop_on_a_running_proc_raises(virtual_clock, in_main_loop):
    """wait() from MAIN_LOOP on a running proc raises BlockingInMainLoopError, an AssertionError."""
    p = proc.spawn(sleep, 100)
    with pytest.raises(BlockingInMainLoopError) as info:
        in_main_loop(p.wait)
    assert isinstance(info.value, AssertionError)
    assert "MAIN_LOOP" in str(info.value)


def test_wait_from_main_loop_on_a_finished_proc_returns(virtual_clock, in_main_loop):
    """wait() from MAIN_LOOP on a finished proc returns its value (nothing to block on)."""
    p = proc.spawn(lambda: 3)
    p.wait()
    assert in_main_loop(p.wait) == 3


def test_many_waiters_all_get_the_value(virtual_clock):
    """Several procs waiting on one proc all get its value."""
    p = proc.spawn(lambda: (sleep(1), "v")[1])
    waiters = [proc.spawn(p.wait) for _ in range(3)]
    assert [w.wait() for w in waiters] == ["v", "v", "v"]


def test_wait_interrupted_by_timeout_leaves_no_waiter_behind(virtual_clock):
    """A waiter that timed out is not woken later when the proc finishes."""
    p = proc.spawn(lambda: (sleep(5), "v")[1])
    assert p.wait(1, None) is None
    assert p.wait() == "v"


# -- kill ---------------------------------------------------------------------


def test_kill_raises_proc_exit_by_default(virtual_clock):
    """kill() raises ProcExit in the proc; wait() then raises ProcExit."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill()
    with pytest.raises(ProcExit):
        p.wait()
    assert p.exit_reason is ExitReason.KILLED


def test_kill_with_a_custom_exception(virtual_clock, hub_errors):
    """kill(exc) raises exc in the proc; an ordinary exception makes it an ERROR, reported."""
    hub_errors.expect(KeyError)
    p = proc.spawn(sleep, 100)
    sleep(0)
    error = KeyError("stop")
    p.kill(error)
    with pytest.raises(KeyError) as info:
        p.wait()
    assert info.value is error
    assert p.exit_reason is ExitReason.ERROR
    assert [e.exception for e in hub_errors.errors] == [error]


def test_kill_with_greenlet_exit_is_a_kill(virtual_clock):
    """kill(GreenletExit) counts as KILLED, like ProcExit."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill(GreenletExit)
    with pytest.raises(GreenletExit):
        p.wait()
    assert p.exit_reason is ExitReason.KILLED


def test_kill_runs_the_victims_handlers(virtual_clock):
    """The killed proc's except and finally blocks run."""
    handled = []

    def victim():
        try:
            try:
                sleep(100)
            except ProcExit:
                handled.append("except")
                raise
        finally:
            handled.append("finally")

    p = proc.spawn(victim)
    sleep(0)
    p.kill()
    assert handled == ["except", "finally"]


def test_kill_returns_after_the_victim_handled_it(virtual_clock):
    """When kill() returns, the victim has already run its handler and finished."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill()
    assert p.dead


def test_victim_may_catch_the_kill_and_return(virtual_clock):
    """A proc that catches ProcExit and returns ends NORMAL with its value."""

    def stubborn():
        try:
            sleep(100)
        except ProcExit:
            return "survived"

    p = proc.spawn(stubborn)
    sleep(0)
    p.kill()
    assert p.wait() == "survived"
    assert p.exit_reason is ExitReason.NORMAL


def test_kill_of_a_dead_proc_is_a_noop(virtual_clock):
    """kill() on a finished proc changes nothing and raises nothing."""
    p = proc.spawn(lambda: 1)
    p.wait()
    p.kill()
    p.kill(KeyError)
    assert p.wait() == 1
    assert p.exit_reason is ExitReason.NORMAL


def test_kill_of_a_not_yet_started_proc_finishes_it_without_running(virtual_clock):
    """A proc killed in the turn it was spawned never runs its function."""
    ran = []
    p = proc.spawn(ran.append, 1)
    p.kill()
    assert p.dead
    sleep(10)
    assert ran == []
    assert p.exit_reason is ExitReason.KILLED
    with pytest.raises(ProcExit):
        p.wait()


def test_kill_of_a_never_run_proc_finishes_it(virtual_clock):
    """Proc() that was never run can be killed: it ends KILLED and its links fire."""
    p = Proc()
    fired = []
    p.link(fired.append)
    p.kill()
    assert p.dead
    assert p.exit_reason is ExitReason.KILLED
    sleep(0)
    assert fired == [p]
    with pytest.raises(AssertionError):
        p.run(lambda: None)


def test_self_kill_raises_proc_exit_in_the_caller(virtual_clock):
    """A proc that kills itself gets ProcExit raised inside kill() and ends KILLED."""
    reached = []

    def suicide():
        proc.current_proc().kill()
        reached.append("after kill")

    p = proc.spawn(suicide)
    with pytest.raises(ProcExit):
        p.wait()
    assert reached == []
    assert p.exit_reason is ExitReason.KILLED


def test_kill_from_main_loop_delivers_on_the_next_turn(virtual_clock, in_main_loop):
    """kill() from MAIN_LOOP does not block; the proc is killed on the next turn."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    in_main_loop(p.kill)
    sleep(0)
    assert p.exit_reason is ExitReason.KILLED


def test_kill_proc_exit_is_not_reported_to_the_hub(virtual_clock, hub_errors):
    """A kill is a normal way to end: nothing reaches the hub's error hook."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill()
    sleep(1)
    assert hub_errors.errors == []


def test_module_kill_accepts_a_proc(virtual_clock):
    """proc.kill(p) kills a proc like p.kill()."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    proc.kill(p)
    assert p.exit_reason is ExitReason.KILLED


def test_module_kill_rejects_other_objects(virtual_clock):
    """proc.kill(obj) with neither a proc nor a greenlet raises TypeError."""
    with pytest.raises(TypeError):
        proc.kill(42)


# -- throw --------------------------------------------------------------------


def test_throw_from_a_green_thread_is_delivered_on_the_next_turn(virtual_clock):
    """throw() from a proc does not switch: the victim gets the exception on the next turn."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.throw(ProcExit)
    assert not p.dead
    sleep(0)
    assert p.exit_reason is ExitReason.KILLED


def test_throw_from_main_loop_is_immediate(virtual_clock, in_main_loop):
    """throw() from MAIN_LOOP raises in the proc at once: it is dead when throw returns."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    assert in_main_loop(lambda: (p.throw(), p.dead)[1]) is True
    assert p.exit_reason is ExitReason.KILLED


def test_throw_default_is_proc_exit(virtual_clock):
    """throw() with no arguments raises ProcExit."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.throw()
    with pytest.raises(ProcExit):
        p.wait()


def test_throw_into_a_finished_proc_is_a_noop(virtual_clock):
    """throw() into a finished proc does nothing."""
    p = proc.spawn(lambda: 1)
    p.wait()
    p.throw(KeyError)
    sleep(0)
    assert p.wait() == 1


def test_throw_into_an_unstarted_proc_finishes_it_at_once(virtual_clock):
    """throw() into a proc that has not started ends it synchronously, without running."""
    ran = []
    p = proc.spawn(ran.append, 1)
    p.throw(ProcExit)
    assert p.dead
    assert p.exit_reason is ExitReason.KILLED
    sleep(0)
    assert ran == []


def test_throw_of_an_error_into_an_unstarted_proc_is_a_reported_error(virtual_clock, hub_errors):
    """throw(KeyError) into an unstarted proc ends it with ERROR, reported like any crash."""
    hub_errors.expect(KeyError)
    p = proc.spawn(lambda: None)
    error = KeyError("k")
    p.throw(error)
    assert p.exit_reason is ExitReason.ERROR
    with pytest.raises(KeyError):
        p.wait()
    assert [(e.context, e.exception) for e in hub_errors.errors] == [(p, error)]


# -- exit reasons and state ---------------------------------------------------


def _fail():
    raise KeyError("k")


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [("return", ExitReason.NORMAL), ("raise", ExitReason.ERROR), ("kill", ExitReason.KILLED)],
)
def test_exit_reason(virtual_clock, hub_errors, outcome, reason):
    """exit_reason is NORMAL on return, ERROR on an exception, KILLED on a kill."""
    hub_errors.expect(KeyError)
    p = proc.spawn({"return": lambda: 1, "raise": _fail, "kill": lambda: sleep(100)}[outcome])
    sleep(0)
    if outcome == "kill":
        p.kill()
    sleep(0)
    assert p.exit_reason is reason


def test_state_of_a_proc_before_it_starts(virtual_clock):
    """Before its start a proc is not dead, not ready, false, and has no outcome."""
    p = proc.spawn(lambda: 1)
    assert not p.dead
    assert not p.ready()
    assert not bool(p)
    assert p.exit_reason is None
    assert not p.has_value()
    assert not p.has_exception()
    assert p.exc_info() == (None, None, None)


def test_state_of_a_running_proc(virtual_clock):
    """A running proc is true, not dead, not ready."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    assert bool(p)
    assert not p.dead
    assert not p.ready()
    assert p.exit_reason is None


def test_state_of_a_proc_that_returned(virtual_clock):
    """A proc that returned is dead, ready, false, has_value, and value is its result."""
    p = proc.spawn(lambda: "v")
    p.wait()
    assert p.dead
    assert p.ready()
    assert not bool(p)
    assert p.has_value()
    assert not p.has_exception()
    assert p.value == "v"
    assert p.exc_info() == (None, None, None)


def test_a_proc_returning_none_has_a_value(virtual_clock):
    """A proc that returns None counts as having a value (None)."""
    p = proc.spawn(lambda: None)
    p.wait()
    assert p.has_value()
    assert p.value is None


def test_state_of_a_proc_that_raised(virtual_clock, hub_errors):
    """A proc that raised is dead, has_exception, value is None, exc_info is the exception."""
    hub_errors.expect(KeyError)
    p = proc.spawn(_fail)
    with pytest.raises(KeyError):
        p.wait()
    assert p.dead
    assert p.ready()
    assert not bool(p)
    assert p.has_exception()
    assert not p.has_value()
    assert p.value is None
    typ, value, tb = p.exc_info()
    assert typ is KeyError
    assert isinstance(value, KeyError)
    assert tb is not None


def test_state_of_a_killed_proc(virtual_clock):
    """A killed proc has_exception and exc_info holds the ProcExit."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill()
    assert p.has_exception()
    typ, value, _tb = p.exc_info()
    assert typ is ProcExit
    assert isinstance(value, ProcExit)


def test_crashing_proc_is_reported_once_with_the_proc_as_context(virtual_clock, hub_errors):
    """An uncaught exception reaches the hub's error hook exactly once, with the proc as context."""
    hub_errors.expect(KeyError)
    p = proc.spawn(_fail)
    with pytest.raises(KeyError):
        p.wait()
    sleep(1)
    assert len(hub_errors.errors) == 1
    assert hub_errors.errors[0].context is p
    assert isinstance(hub_errors.errors[0].exception, KeyError)


def test_crash_is_reported_even_with_a_waiter_and_a_link(virtual_clock, hub_errors):
    """Waiting on or linking to a failing proc does not stop the crash report."""
    hub_errors.expect(KeyError)
    p = proc.spawn(_fail)
    p.link(lambda _p: None)
    with pytest.raises(KeyError):
        p.wait()
    sleep(0)
    assert [error.context for error in hub_errors.errors] == [p]


def test_repr_shows_the_state(virtual_clock):
    """repr(proc) names its id, name and state."""
    p = proc.Proc(name="job")
    assert "job" in repr(p)
    p.run(sleep, 1)
    assert "starting" in repr(p)
    sleep(0)
    assert "running" in repr(p)
    p.wait()
    assert "normal" in repr(p)
    assert str(p.id) in repr(p)


@pytest.mark.parametrize(("timeout", "error"), [("1", TypeError), (-1, ValueError)])
def test_wait_rejects_a_bad_timeout(virtual_clock, timeout, error):
    """wait(timeout=...) takes None or seconds >= 0, ready or not, and says so."""
    p = eventlib.spawn(sleep, 10)
    with pytest.raises(error, match=r"wait\(\) timeout must be"):
        p.wait(timeout)
    p.kill()


def test_spawn_after_rejects_a_string_delay(virtual_clock):
    """spawn_after("1", f) is refused at once, naming the delay."""
    with pytest.raises(TypeError, match="timer delay must be a number of seconds"):
        proc.spawn_after("1", sleep, 1)
