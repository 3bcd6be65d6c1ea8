"""eventlib.pool.Pool, the classic coros.CoroutinePool."""

import pytest

import eventlib
from eventlib import coros
from eventlib.pool import Pool


def _sleeper(pool_log, seconds, tag):
    """A job that records how many jobs run at once while it runs."""
    pool_log["active"] += 1
    pool_log["peak"] = max(pool_log["peak"], pool_log["active"])
    try:
        eventlib.sleep(seconds)
    finally:
        pool_log["active"] -= 1
    return tag


def test_coroutine_pool_is_pool():
    """coros.CoroutinePool is eventlib.pool.Pool."""
    assert coros.CoroutinePool is Pool


def test_default_max_size_is_four():
    """Pool() allows four concurrent functions."""
    assert Pool().max_size == 4
    assert Pool().free() == 4


@pytest.mark.parametrize("max_size", [0, -1])
def test_max_size_below_one_is_a_value_error(max_size):
    """A pool needs max_size >= 1."""
    with pytest.raises(ValueError, match="max_size"):
        Pool(max_size=max_size)


def test_execute_returns_an_event_with_the_result(virtual_clock):
    """execute(f, *a, **kw) returns an event that fires with f's result."""
    pool = Pool(max_size=2)
    event = pool.execute(lambda a, *, b: a + b, 1, b=2)
    assert event.wait() == 3


def test_execute_sends_a_failure_to_the_event(virtual_clock, hub_errors):
    """If the function raises, the event raises it, and the slot is freed."""
    hub_errors.expect(KeyError)
    pool = Pool(max_size=1)

    def fail():
        raise KeyError("missing")

    event = pool.execute(fail)
    with pytest.raises(KeyError, match="missing"):
        event.wait()
    assert pool.free() == 1


def test_max_size_limits_concurrency(virtual_clock):
    """No more than max_size functions run at once; the rest wait for a slot."""
    pool = Pool(max_size=3)
    log = {"active": 0, "peak": 0}
    events = [pool.execute(_sleeper, log, 1, n) for n in range(10)]
    assert [event.wait() for event in events] == list(range(10))
    assert log["peak"] == 3
    assert virtual_clock.now() == 4  # ceil(10 / 3) rounds of one second


def test_execute_blocks_the_caller_while_the_pool_is_full(virtual_clock):
    """execute() on a full pool parks the caller until a slot frees."""
    pool = Pool(max_size=1)
    pool.execute(eventlib.sleep, 5)
    started = []
    caller = eventlib.spawn(lambda: (pool.execute(started.append, "go"), eventlib.sleep(0)))
    eventlib.sleep(1)
    assert pool.waiting() == 1
    assert started == []
    caller.wait()
    assert started == ["go"]
    assert virtual_clock.now() == 5
    assert pool.waiting() == 0


def test_caller_killed_while_waiting_for_a_slot_leaks_nothing(virtual_clock):
    """A caller killed while waiting in execute() neither runs its function nor holds a slot."""
    pool = Pool(max_size=1)
    first = pool.execute(eventlib.sleep, 5)
    started = []
    caller = eventlib.spawn(pool.execute, started.append, "never")
    eventlib.sleep(1)
    assert pool.waiting() == 1
    caller.kill()
    assert pool.waiting() == 0
    first.wait()
    eventlib.sleep(0)
    assert started == []
    assert pool.free() == 1


def test_free_and_current_size_track_running_functions(virtual_clock):
    """free() counts free slots and current_size running functions."""
    pool = Pool(max_size=3)
    assert (pool.free(), pool.current_size) == (3, 0)
    events = [pool.execute(eventlib.sleep, n) for n in (1, 2)]
    assert (pool.free(), pool.current_size) == (1, 2)
    events[0].wait()
    assert (pool.free(), pool.current_size) == (2, 1)
    events[1].wait()
    assert (pool.free(), pool.current_size) == (3, 0)


def test_execute_async_runs_the_function_in_a_pool_slot(virtual_clock):
    """execute_async() runs the function in a pool slot (and returns its proc, as the original)."""
    pool = Pool(max_size=2)
    done = eventlib.Event()
    assert isinstance(pool.execute_async(done.send, "async"), eventlib.Proc)
    assert pool.current_size == 1
    assert done.wait() == "async"


def test_wait_all_waits_for_every_running_function(virtual_clock, hub_errors):
    """wait_all() returns once every function in the pool finished, failures included."""
    hub_errors.expect(ZeroDivisionError)
    pool = Pool(max_size=5)
    finished = []
    for n in (3, 1, 2):
        pool.execute_async(lambda n=n: (eventlib.sleep(n), finished.append(n)))
    pool.execute_async(lambda: 1 / 0)
    pool.wait_all()
    assert sorted(finished) == [1, 2, 3]
    assert virtual_clock.now() == 3
    assert pool.current_size == 0


def test_wait_all_on_an_idle_pool_returns_at_once(virtual_clock):
    """wait_all() with nothing running does not block."""
    Pool().wait_all()
    assert virtual_clock.now() == 0


def test_killall_kills_every_running_function(virtual_clock):
    """killall() kills the running functions and frees their slots."""
    pool = Pool(max_size=3)
    events = [pool.execute(eventlib.sleep, 100) for _ in range(3)]
    eventlib.sleep(1)
    pool.killall()
    eventlib.sleep(0)
    assert pool.free() == 3
    for event in events:
        with pytest.raises(eventlib.ProcExit):
            event.wait()
    assert virtual_clock.now() == 1


def test_generate_results_yields_in_completion_order(virtual_clock):
    """generate_results(f, tuples) yields f(*args) as they finish (the original's order)."""
    pool = Pool(max_size=2)
    log = {"active": 0, "peak": 0}
    delays = [3, 1, 2, 1]

    def job(n):
        return _sleeper(log, delays[n], n * 10)

    assert list(pool.generate_results(job, [(n,) for n in range(4)])) == [10, 0, 20, 30]
    assert log["peak"] == 2


def test_execute_from_main_loop_with_a_free_slot_works(virtual_clock, in_main_loop):
    """execute() needs no wait when a slot is free, so it works from MAIN_LOOP."""
    pool = Pool(max_size=1)
    event = in_main_loop(pool.execute, lambda: "from the reactor")
    assert event.wait() == "from the reactor"
