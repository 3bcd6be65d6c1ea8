"""The classic eventlib.pool.Pool: re-entrant execute, track_events, wait, starmap helpers."""

import pytest

from eventlib import api, coros, proc
from eventlib.pool import Pool


def test_execute_returns_the_proc_running_the_function(virtual_clock):
    """execute() returns the Proc, as the original did: link, kill and wait work on it."""
    pool = Pool(max_size=1)
    p = pool.execute(lambda: "done")
    assert isinstance(p, proc.Proc)
    assert p.wait() == "done"


def test_execute_from_a_pool_proc_when_full_runs_the_function_instead_of_deadlocking(
    virtual_clock,
):
    """A pooled proc calling execute() on its full pool gets the function run at once."""
    pool = Pool(max_size=1)

    def outer():
        inner = pool.execute(lambda: "inner")
        return ("outer", inner.wait())

    with api.timeout(5):
        assert pool.execute(outer).wait() == ("outer", "inner")
    assert pool.free() == 1


def test_execute_from_a_pool_proc_when_full_returns_after_the_function_finished(virtual_clock):
    """The re-entrant execute() returns once the function has finished."""
    pool = Pool(max_size=1)
    order = []

    def inner():
        api.sleep(1)
        order.append("inner")

    def outer():
        pool.execute(inner)
        order.append("outer")

    pool.execute(outer).wait()
    assert order == ["inner", "outer"]


def test_execute_from_a_pool_proc_with_a_free_slot_uses_the_pool(virtual_clock):
    """With a slot free, a pooled proc's execute() starts a pooled proc as usual."""
    pool = Pool(max_size=2)
    sizes = []

    def outer():
        p = pool.execute(api.sleep, 0)
        sizes.append(pool.current_size)
        p.wait()

    pool.execute(outer).wait()
    assert sizes == [2]


def test_track_events_keeps_every_result_for_wait(virtual_clock):
    """Pool(track_events=True).wait() returns each result, in completion order."""
    pool = Pool(max_size=3, track_events=True)
    for delay in (3, 1, 2):
        pool.execute(lambda d: api.sleep(d) or d, delay)
    assert [pool.wait() for _ in range(3)] == [1, 2, 3]


def test_track_events_wait_raises_a_failure(virtual_clock, hub_errors):
    """A failed function's exception is raised by the wait() that reaches it."""
    hub_errors.expect(KeyError)
    pool = Pool(track_events=True)

    def fail():
        raise KeyError("lost")

    pool.execute(fail)
    with pytest.raises(KeyError, match="lost"):
        pool.wait()


def test_wait_without_track_events_says_how_to_fix_it(virtual_clock):
    """Pool.wait() on a pool that keeps no results raises a RuntimeError naming the fix."""
    with pytest.raises(RuntimeError, match="track_events=True"):
        Pool().wait()


def test_min_size_bigger_than_max_size_is_a_value_error():
    """min_size > max_size is refused, as in the original."""
    with pytest.raises(ValueError, match="min_size cannot be bigger than max_size"):
        Pool(min_size=5, max_size=4)


def test_execute_async_is_execute(virtual_clock):
    """execute_async also returns the proc (the original made them one method)."""
    pool = Pool()
    assert pool.execute_async(lambda: 7).wait() == 7


def test_waitall_and_wait_all_wait_for_every_function(virtual_clock):
    """waitall() (alias wait_all) returns when nothing runs in the pool."""
    pool = Pool(max_size=2)
    for delay in (1, 2, 3):
        pool.execute(api.sleep, delay)
    pool.waitall()
    assert virtual_clock.now() == 4
    assert Pool.wait_all is Pool.waitall


def test_launch_all_calls_the_function_with_each_tuple_unpacked(virtual_clock):
    """launch_all(f, iterable) runs f(*args) for each args tuple, without waiting."""
    pool = Pool()
    seen = []
    pool.launch_all(lambda a, b: seen.append(a + b), [(1, 2), (3, 4)])
    assert seen == []
    pool.waitall()
    assert seen == [3, 7]


def test_process_all_waits_for_the_functions(virtual_clock):
    """process_all(f, iterable) is launch_all then waitall."""
    pool = Pool()
    seen = []
    pool.process_all(seen.append, "DEF")
    assert seen == ["D", "E", "F"]


def test_generate_results_yields_in_completion_order(virtual_clock):
    """generate_results yields results as functions finish, not in input order."""
    pool = Pool(max_size=3)

    def job(delay):
        api.sleep(delay)
        return delay

    assert list(pool.generate_results(job, [(3,), (1,), (2,)])) == [1, 2, 3]


def test_generate_results_keeps_the_pool_full(virtual_clock):
    """generate_results launches up to max_size functions before the first result."""
    pool = Pool(max_size=2)
    running = []

    def job(n):
        running.append(pool.current_size)
        api.sleep(1)
        return n

    assert sorted(pool.generate_results(job, [(n,) for n in range(4)])) == [0, 1, 2, 3]
    assert virtual_clock.now() == 2
    assert max(running) == 2


def test_generate_results_of_nothing_yields_nothing(virtual_clock):
    """An empty iterable gives an empty generator."""
    assert list(Pool().generate_results(lambda: 1, [])) == []


def test_generate_results_raises_a_failure_at_its_turn(virtual_clock):
    """A function that raises makes the next() reaching its outcome raise it."""
    pool = Pool(max_size=1)

    def job(n):
        if n == 1:
            raise ValueError(n)
        return n

    results = pool.generate_results(job, [(0,), (1,), (2,)])
    assert next(results) == 0
    with pytest.raises(ValueError):
        next(results)


def test_generate_results_qsize_bounds_unread_results(virtual_clock):
    """With qsize, finished functions beyond that wait in their procs until results are read."""
    pool = Pool(max_size=4)
    results = pool.generate_results(lambda n: n, [(n,) for n in range(4)], qsize=1)
    assert next(results) == 0
    api.sleep(1)
    assert pool.current_size == 2
    assert list(results) == [1, 2, 3]


def test_coroutine_pool_of_coros_is_this_pool():
    """coros.CoroutinePool is eventlib.pool.Pool."""
    assert coros.CoroutinePool is Pool


def test_execute_on_a_full_pool_waits_for_a_slot_then_runs_in_order(virtual_clock):
    """Once the pool is full, execute() yields until a slot frees; functions run in call order."""
    pool = Pool(max_size=2)
    ran = []
    pool.execute(ran.append, 1).wait()
    api.sleep(0)
    assert pool.free() == 2
    pool.execute(ran.append, 2)
    pool.execute(ran.append, 3)
    assert (pool.free(), ran) == (0, [1])
    pool.execute(ran.append, 4)
    assert ran == [1, 2, 3]
    api.sleep(0)
    assert ran == [1, 2, 3, 4]
