"""wrap_errors, the deprecated trap_errors, and Pool(limit).allocate()."""

import pytest

from eventlib import proc
from eventlib.hub import sleep
from eventlib.proc import ExitReason, Pool, Proc, wrap_errors

# -- wrap_errors / trap_errors ------------------------------------------------


def test_wrap_errors_returns_the_caught_exception():
    """A listed exception is returned instead of raised."""
    result = wrap_errors(ValueError, int)("x")
    assert isinstance(result, ValueError)


def test_wrap_errors_passes_the_result_through():
    """Without an error the wrapped function's result comes back."""
    assert wrap_errors(ValueError, int)("12") == 12


def test_wrap_errors_passes_kwargs():
    """Keyword arguments reach the wrapped function."""
    assert wrap_errors(ValueError, int)("ff", base=16) == 255


def test_wrap_errors_accepts_a_tuple_of_errors():
    """errors may be a tuple of exception classes."""
    wrapped = wrap_errors((KeyError, ValueError), lambda: {}["k"])
    assert isinstance(wrapped(), KeyError)


def test_wrap_errors_lets_other_exceptions_through():
    """An exception not listed propagates."""
    with pytest.raises(KeyError):
        wrap_errors(ValueError, lambda: {}["k"])()


def test_wrap_errors_delegates_str_repr_and_attributes():
    """str, repr and attribute access go to the wrapped function."""

    def target():
        pass

    target.marker = "m"
    wrapped = wrap_errors(ValueError, target)
    assert str(wrapped) == str(target)
    assert repr(wrapped) == repr(target)
    assert wrapped.__name__ == "target"
    assert wrapped.marker == "m"
    with pytest.raises(AttributeError):
        _ = wrapped.missing


def test_wrap_errors_makes_a_proc_failure_its_value(virtual_clock):
    """A proc running wrap_errors(...) returns the error as its value (and ends NORMAL)."""
    p = proc.spawn(wrap_errors(ValueError, int), "x")
    assert isinstance(p.wait(), ValueError)
    assert p.exit_reason is ExitReason.NORMAL


def test_trap_errors_warns_and_returns_the_exception():
    """trap_errors(errors, f, *args) is deprecated and returns the caught exception."""
    with pytest.warns(DeprecationWarning, match="wrap_errors"):
        result = proc.trap_errors(ValueError, int, "x")
    assert isinstance(result, ValueError)


def test_trap_errors_returns_the_result():
    """trap_errors returns the function's result when nothing is raised."""
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert proc.trap_errors(ValueError, int, "7") == 7


# -- Pool ---------------------------------------------------------------------


def test_pool_allocate_returns_an_unstarted_proc(virtual_clock):
    """allocate() returns a new Proc that has not run; run() starts it."""
    pool = Pool(2)
    p = pool.allocate()
    assert isinstance(p, Proc)
    assert p.greenlet is None
    assert not p.dead
    p.run(lambda: "v")
    assert p.wait() == "v"


def test_pool_allocate_blocks_at_the_limit(virtual_clock):
    """With `limit` procs running, allocate() waits until one finishes."""
    pool = Pool(2)
    pool.allocate().run(sleep, 5)
    pool.allocate().run(sleep, 8)
    assert pool.free == 0
    pool.allocate()
    assert virtual_clock.now() == 5


def test_pool_slot_is_freed_when_the_proc_finishes(virtual_clock):
    """A finished proc gives its slot back."""
    pool = Pool(1)
    p = pool.allocate()
    p.run(lambda: None)
    p.wait()
    sleep(0)
    assert pool.free == 1


def test_pool_slot_is_freed_when_the_proc_fails(virtual_clock, hub_errors):
    """A failing proc gives its slot back too."""
    hub_errors.expect(ValueError)
    pool = Pool(1)
    pool.allocate().run(int, "x")
    second = pool.allocate()
    assert second.greenlet is None
    assert pool.free == 0


def test_pool_slot_is_freed_when_an_allocated_proc_is_killed_unstarted(virtual_clock):
    """Killing an allocated proc that was never run frees its slot."""
    pool = Pool(1)
    p = pool.allocate()
    p.kill()
    sleep(0)
    assert pool.free == 1


def test_pool_limit_must_be_positive():
    """Pool(0) raises ValueError."""
    with pytest.raises(ValueError):
        Pool(0)


def test_pool_runs_at_most_limit_at_once(virtual_clock):
    """However many jobs, never more than `limit` run at the same time."""
    pool = Pool(3)
    running = []
    peak = []

    def job():
        running.append(1)
        peak.append(len(running))
        sleep(1)
        running.pop()

    procs = []
    for _ in range(10):
        p = pool.allocate()
        p.run(job)
        procs.append(p)
    proc.waitall(procs)
    assert max(peak) == 3
    assert virtual_clock.now() == 4
