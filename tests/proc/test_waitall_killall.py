"""waitall and killall."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventlib
from eventlib import proc
from eventlib.hub import sleep
from eventlib.proc import ExitReason, ProcExit, Source

_green_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class Failure(Exception):
    """The exception the failing procs of these tests raise."""


def _job(delay, value, fail=False):
    sleep(delay)
    if fail:
        raise Failure(value)
    return value


def test_waitall_returns_results_in_input_order(virtual_clock):
    """waitall returns the values in the order of the list, not the finishing order."""
    procs = [proc.spawn(_job, delay, value) for delay, value in [(3, "a"), (1, "b"), (2, "c")]]
    assert proc.waitall(procs) == ["a", "b", "c"]
    assert virtual_clock.now() == 3


@_green_settings
@given(delays=st.lists(st.integers(0, 20), max_size=8))
def test_waitall_results_in_input_order_whatever_the_finishing_order(virtual_clock, delays):
    """For any finishing order, waitall returns the i-th proc's value in slot i."""
    procs = [proc.spawn(_job, delay, index) for index, delay in enumerate(delays)]
    assert proc.waitall(procs) == list(range(len(delays)))


def test_waitall_of_nothing_is_an_empty_list(virtual_clock):
    """waitall([]) returns [] at once."""
    assert proc.waitall([]) == []


def test_waitall_raises_the_first_exception_to_arrive(virtual_clock, hub_errors):
    """The first exception in time (not in list order) is raised as soon as it arrives."""
    hub_errors.expect(Failure)
    procs = [
        proc.spawn(_job, 9, "late", fail=True),
        proc.spawn(_job, 100, "slow"),
        proc.spawn(_job, 4, "early", fail=True),
    ]
    with pytest.raises(Failure) as info:
        proc.waitall(procs)
    assert info.value.args == ("early",)
    assert virtual_clock.now() == 4
    proc.killall(procs, wait=True)


@_green_settings
@given(
    jobs=st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=8).filter(
        lambda jobs: any(fail for _, fail in jobs)
    )
)
def test_waitall_raises_at_the_first_failure_whatever_the_order(virtual_clock, hub_errors, jobs):
    """waitall raises, at the earliest failure time, an exception from a proc failing then."""
    hub_errors.expect(Failure)
    start = virtual_clock.now()
    procs = [proc.spawn(_job, delay, index, fail=fail) for index, (delay, fail) in enumerate(jobs)]
    first = min(delay for delay, fail in jobs if fail)
    try:
        with pytest.raises(Failure) as info:
            proc.waitall(procs)
        (index,) = info.value.args
        assert jobs[index] == (first, True)
        assert virtual_clock.now() - start == first
    finally:
        proc.killall(procs, wait=True)


def test_waitall_trap_errors_leaves_none_in_failed_slots(virtual_clock, hub_errors):
    """With trap_errors, failures leave None and waitall returns when all have finished."""
    hub_errors.expect(Failure)
    procs = [
        proc.spawn(_job, 1, "a"),
        proc.spawn(_job, 2, "b", fail=True),
        proc.spawn(_job, 3, "c"),
    ]
    assert proc.waitall(procs, trap_errors=True) == ["a", None, "c"]
    assert virtual_clock.now() == 3


def test_waitall_trap_errors_covers_killed_procs(virtual_clock):
    """A killed proc's slot is None with trap_errors."""
    procs = [proc.spawn(_job, 1, "a"), proc.spawn(sleep, 100)]
    sleep(0)
    procs[1].kill()
    assert proc.waitall(procs, trap_errors=True) == ["a", None]


def test_waitall_of_finished_procs_returns_at_once(virtual_clock):
    """waitall on procs that already finished returns their values."""
    procs = [proc.spawn(lambda n=n: n) for n in range(3)]
    sleep(0)
    assert all(p.dead for p in procs)
    assert proc.waitall(procs) == [0, 1, 2]


def test_waitall_with_the_same_proc_twice_fills_both_slots(virtual_clock):
    """A proc listed twice gives its value in both slots."""
    p = proc.spawn(_job, 1, "v")
    assert proc.waitall([p, p]) == ["v", "v"]


def test_waitall_accepts_sources(virtual_clock):
    """waitall works on any Source, not only on procs."""
    sources = [Source(), Source()]
    proc.spawn(lambda: (sleep(1), sources[1].send("b"), sources[0].send("a")))
    assert proc.waitall(sources) == ["a", "b"]


def test_waitall_accepts_any_iterable(virtual_clock):
    """waitall takes a generator as well as a list."""
    assert proc.waitall(proc.spawn(lambda n=n: n) for n in range(3)) == [0, 1, 2]


def test_waitall_leaves_no_links_behind(virtual_clock, hub_errors):
    """After waitall raised, its links are gone: later results go nowhere."""
    hub_errors.expect(Failure)
    slow = proc.spawn(_job, 10, "slow")
    failing = proc.spawn(_job, 1, "x", fail=True)
    with pytest.raises(Failure):
        proc.waitall([slow, failing])
    assert not slow._links


# -- killall ------------------------------------------------------------------


def test_killall_kills_every_proc(virtual_clock):
    """killall throws ProcExit into every live proc."""
    procs = [proc.spawn(sleep, 100) for _ in range(3)]
    sleep(0)
    proc.killall(procs)
    sleep(0)
    assert [p.exit_reason for p in procs] == [ExitReason.KILLED] * 3


def test_killall_without_wait_does_not_yield(virtual_clock):
    """killall() returns without switching: the procs are killed on the next turn."""
    procs = [proc.spawn(sleep, 100) for _ in range(2)]
    sleep(0)
    proc.killall(procs)
    assert not any(p.dead for p in procs)
    sleep(0)
    assert all(p.dead for p in procs)


def test_killall_wait_returns_after_the_procs_handled_it(virtual_clock):
    """killall(procs, wait=True) yields once: the procs have ended when it returns."""
    procs = [proc.spawn(sleep, 100) for _ in range(3)]
    sleep(0)
    proc.killall(procs, wait=True)
    assert all(p.dead for p in procs)


def test_killall_with_a_custom_exception(virtual_clock):
    """killall(procs, SomeExit) raises SomeExit in each."""

    class Shutdown(ProcExit):
        pass

    procs = [proc.spawn(sleep, 100) for _ in range(2)]
    sleep(0)
    proc.killall(procs, Shutdown, wait=True)
    for p in procs:
        with pytest.raises(Shutdown):
            p.wait()


def test_killall_skips_finished_procs(virtual_clock):
    """killall leaves procs that already finished untouched."""
    done = proc.spawn(lambda: "v")
    done.wait()
    running = proc.spawn(sleep, 100)
    sleep(0)
    proc.killall([done, running], wait=True)
    assert done.value == "v"
    assert running.exit_reason is ExitReason.KILLED


def test_killall_of_unstarted_procs_never_runs_them(virtual_clock):
    """killall in the turn the procs were spawned ends them before they run."""
    ran = []
    procs = [proc.spawn(ran.append, n) for n in range(3)]
    proc.killall(procs)
    sleep(1)
    assert ran == []
    assert all(p.exit_reason is ExitReason.KILLED for p in procs)


def test_killall_unknown_keyword_raises_type_error(virtual_clock):
    """killall(procs, bogus=1) raises TypeError."""
    p = proc.spawn(sleep, 100)
    with pytest.raises(TypeError, match="bogus"):
        proc.killall([p], bogus=1)


def test_killall_from_main_loop_is_safe(virtual_clock, in_main_loop):
    """killall(wait=True) from MAIN_LOOP does not block; the procs die on the next turn."""
    procs = [proc.spawn(sleep, 100) for _ in range(2)]
    sleep(0)
    in_main_loop(lambda: proc.killall(procs, wait=True))
    sleep(0)
    assert all(p.dead for p in procs)


@pytest.mark.parametrize("function", [proc.waitall, proc.killall])
def test_one_proc_instead_of_a_list_is_a_type_error(virtual_clock, function):
    """waitall(p) / killall(p) with one proc says to pass a list, and does nothing."""
    p = eventlib.spawn(eventlib.sleep, 1)
    with pytest.raises(TypeError, match=rf"{function.__name__}\(\[proc\]\)"):
        function(p)
    assert p.wait() is None


@pytest.mark.parametrize("function", [proc.waitall, proc.killall])
def test_something_that_is_not_a_proc_is_a_type_error(virtual_clock, function):
    """A list holding a non-proc is refused up front, naming the odd item."""
    p = eventlib.spawn(eventlib.sleep, 1)
    with pytest.raises(TypeError, match="got 'job' among them"):
        function([p, "job"])
    assert p.wait() is None


@pytest.mark.parametrize(("limit", "error"), [(0, ValueError), ("3", TypeError), (True, TypeError)])
def test_pool_rejects_a_bad_limit(limit, error):
    """Pool(limit) takes an int >= 1 and says so."""
    with pytest.raises(error, match="Pool limit must be an int >= 1"):
        proc.Pool(limit)
