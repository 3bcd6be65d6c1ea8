"""RunningProcSet: a set of live procs that forgets each one as it finishes."""

import pytest
from greenlet import getcurrent

from eventlib import proc
from eventlib.hub import sleep
from eventlib.proc import ExitReason, ProcExit, RunningProcSet


def test_constructor_takes_an_iterable_of_procs(virtual_clock):
    """RunningProcSet(procs) tracks those procs (the upstream AttributeError is fixed)."""
    procs = [proc.spawn(sleep, n) for n in (1, 2)]
    running = RunningProcSet(procs)
    assert len(running) == 2
    assert all(p in running for p in procs)


def test_constructor_forgets_the_initial_procs_when_they_finish(virtual_clock):
    """Procs given to the constructor are removed when they finish, like added ones."""
    procs = [proc.spawn(sleep, n) for n in (1, 2)]
    running = RunningProcSet(iter(procs))
    sleep(1.5)
    assert list(running) == [procs[1]]


def test_constructor_without_arguments_is_empty():
    """RunningProcSet() is empty."""
    assert len(RunningProcSet()) == 0
    assert list(RunningProcSet()) == []


def test_constructor_with_two_arguments_raises_type_error():
    """RunningProcSet takes at most one iterable."""
    with pytest.raises(TypeError):
        RunningProcSet([], [])


def test_spawn_adds_the_new_proc(virtual_clock):
    """RunningProcSet.spawn(f, *args, **kwargs) spawns a proc and tracks it."""
    running = RunningProcSet()
    p = running.spawn(lambda a, *, b: a + b, 1, b=2)
    assert p in running
    assert len(running) == 1
    assert p.wait() == 3


def test_finished_procs_are_forgotten(virtual_clock):
    """A proc that finished is no longer in the set."""
    running = RunningProcSet()
    short = running.spawn(sleep, 1)
    long = running.spawn(sleep, 10)
    sleep(5)
    assert short not in running
    assert long in running
    assert len(running) == 1


def test_proc_is_forgotten_as_soon_as_wait_returns(virtual_clock):
    """After p.wait() returns, p is already out of the set (no turn of delay)."""
    running = RunningProcSet()
    p = running.spawn(lambda: "v")
    p.wait()
    assert p not in running
    assert len(running) == 0
    assert list(running) == []


def test_failed_and_killed_procs_are_forgotten(virtual_clock, hub_errors):
    """Procs that raised or were killed leave the set too."""
    hub_errors.expect(ValueError)
    running = RunningProcSet()
    failing = running.spawn(int, "x")
    killed = running.spawn(sleep, 100)
    sleep(0)
    killed.kill()
    sleep(1)
    assert failing.exit_reason is ExitReason.ERROR
    assert len(running) == 0


def test_contains_accepts_the_raw_greenlet_of_a_running_proc(virtual_clock):
    """`getcurrent() in running` is true inside a tracked proc."""
    running = RunningProcSet()
    p = running.spawn(lambda: getcurrent() in running)
    assert p.wait() is True


def test_contains_is_false_for_an_untracked_greenlet(virtual_clock):
    """A greenlet that runs no tracked proc is not in the set."""
    running = RunningProcSet()
    running.spawn(sleep, 10)
    assert getcurrent() not in running


def test_contains_is_false_for_other_objects(virtual_clock):
    """Objects that are neither procs nor greenlets are not in the set."""
    running = RunningProcSet()
    running.spawn(sleep, 10)
    assert 42 not in running


def test_add_tracks_a_proc(virtual_clock):
    """add(p) tracks an existing proc until it finishes."""
    running = RunningProcSet()
    p = proc.spawn(sleep, 1)
    running.add(p)
    assert p in running
    p.wait()
    assert p not in running


def test_add_of_a_finished_proc_is_ignored(virtual_clock):
    """add(p) of a finished proc leaves the set empty."""
    running = RunningProcSet()
    p = proc.spawn(lambda: None)
    p.wait()
    running.add(p)
    assert len(running) == 0


def test_iter_yields_the_live_procs(virtual_clock):
    """Iterating yields each live proc once; the set may change while iterating."""
    running = RunningProcSet()
    procs = {running.spawn(sleep, n) for n in (1, 2, 3)}
    assert set(running) == procs
    for p in running:
        running.spawn(sleep, 5)  # no "set changed size during iteration"
        assert p in procs


def test_waitall_waits_until_the_set_is_empty(virtual_clock):
    """waitall() returns when every proc, including ones spawned meanwhile, has finished."""
    running = RunningProcSet()
    late = []
    running.spawn(lambda: (sleep(1), late.append(running.spawn(sleep, 10))))
    running.spawn(sleep, 2)
    running.waitall()
    assert len(running) == 0
    assert late[0].dead
    assert virtual_clock.now() == 11


def test_waitall_traps_errors_by_default(virtual_clock, hub_errors):
    """waitall() does not raise a proc's exception unless trap_errors=False."""
    hub_errors.expect(ValueError)
    running = RunningProcSet()
    running.spawn(int, "x")
    running.spawn(sleep, 1)
    running.waitall()
    assert len(running) == 0


def test_waitall_without_trap_errors_raises(virtual_clock, hub_errors):
    """waitall(trap_errors=False) raises the first failure."""
    hub_errors.expect(ValueError)
    running = RunningProcSet()
    running.spawn(int, "x")
    running.spawn(sleep, 100)
    with pytest.raises(ValueError):
        running.waitall(trap_errors=False)
    running.killall(wait=True)


def test_killall_kills_every_proc_in_the_set(virtual_clock):
    """killall(wait=True) kills all tracked procs and the set empties."""
    running = RunningProcSet()
    procs = [running.spawn(sleep, 100) for _ in range(3)]
    sleep(0)
    running.killall(wait=True)
    assert all(p.exit_reason is ExitReason.KILLED for p in procs)
    assert len(running) == 0


def test_killall_passes_the_exception(virtual_clock):
    """killall(SomeExit) raises SomeExit in the procs."""

    class Shutdown(ProcExit):
        pass

    running = RunningProcSet()
    p = running.spawn(sleep, 100)
    sleep(0)
    running.killall(Shutdown, wait=True)
    with pytest.raises(Shutdown):
        p.wait()


def test_a_proc_in_two_sets_leaves_both(virtual_clock):
    """A proc tracked by two sets is removed from each when it finishes."""
    first, second = RunningProcSet(), RunningProcSet()
    p = first.spawn(sleep, 1)
    second.add(p)
    sleep(2)
    assert len(first) == len(second) == 0
