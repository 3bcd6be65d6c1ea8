"""Semaphore, BoundedSemaphore, semaphore() and metaphore (also under eventlib.coros)."""

import pytest

import eventlib
from eventlib import coros
from eventlib.semaphore import (
    BoundedSemaphore,
    Semaphore,
    SemaphoreStatistics,
    metaphore,
    semaphore,
)


def _spawn_acquirers(sem, count, log, **acquire_kwargs):
    """Spawn ``count`` procs that acquire ``sem`` and log (index, result, time)."""

    def acquirer(index):
        log.append((index, sem.acquire(**acquire_kwargs), eventlib.get_hub().clock()))

    procs = [eventlib.spawn(acquirer, index) for index in range(count)]
    eventlib.sleep(0)  # let them park
    return procs


def test_classic_names_are_the_same_classes():
    """coros exposes the same semaphore classes as eventlib.semaphore."""
    assert coros.Semaphore is Semaphore is eventlib.Semaphore
    assert coros.BoundedSemaphore is BoundedSemaphore is eventlib.BoundedSemaphore
    assert coros.semaphore is semaphore
    assert coros.metaphore is metaphore


# -- Semaphore -----------------------------------------------------------------


def test_semaphore_starts_with_zero_permits_by_default():
    """Semaphore() has counter 0 and is locked (classic default)."""
    sem = Semaphore()
    assert sem.counter == 0
    assert sem.locked()
    assert not sem.bounded()


def test_negative_count_is_a_value_error():
    """A negative initial count is a ValueError."""
    with pytest.raises(ValueError, match=r"Semaphore count must be an int >= 0, got -1"):
        Semaphore(-1)


@pytest.mark.parametrize("count", [1.5, "2", True, None])
def test_count_that_is_not_an_int_is_a_type_error(count):
    """A count that is not an int (a bool is not a count) is a TypeError naming it."""
    with pytest.raises(TypeError, match=r"Semaphore count must be an int >= 0, got .* \("):
        Semaphore(count)


@pytest.mark.parametrize("timeout", ["1", -1])
def test_acquire_rejects_a_bad_timeout(virtual_clock, timeout):
    """acquire(timeout=...) takes None or seconds >= 0, and says so."""
    with pytest.raises((TypeError, ValueError), match=r"Semaphore\.acquire\(\) timeout"):
        Semaphore(0).acquire(timeout=timeout)


def test_acquire_and_release_count_permits(virtual_clock):
    """acquire() takes a permit and returns True; release() gives one back."""
    sem = Semaphore(2)
    assert sem.acquire() is True
    assert sem.acquire() is True
    assert sem.counter == 0
    assert sem.locked()
    assert sem.release() is True
    assert sem.counter == 1
    assert not sem.locked()
    assert virtual_clock.now() == 0


def test_release_beyond_the_initial_count_is_allowed():
    """An unbounded Semaphore's counter grows past its initial value."""
    sem = Semaphore(1)
    sem.release()
    sem.release()
    assert sem.counter == 3


def test_acquire_blocks_until_release(virtual_clock):
    """acquire() with no permit parks until another proc releases."""
    sem = Semaphore(0)
    eventlib.spawn(lambda: (eventlib.sleep(3), sem.release()))
    assert sem.acquire() is True
    assert virtual_clock.now() == 3
    assert sem.counter == 0


def test_permits_are_handed_out_in_arrival_order(virtual_clock):
    """Waiters get released permits in the order they started waiting."""
    sem = Semaphore(0)
    log = []
    procs = _spawn_acquirers(sem, 3, log)
    for _ in range(3):
        eventlib.sleep(1)
        sem.release()
    eventlib.waitall(procs)
    assert log == [(0, True, 1), (1, True, 2), (2, True, 3)]
    assert sem.counter == 0


def test_release_hands_the_permit_to_a_waiter_not_a_newcomer(virtual_clock):
    """A permit released while a proc waits goes to that proc, not to a later acquire()."""
    sem = Semaphore(0)
    log = []
    procs = _spawn_acquirers(sem, 1, log)
    sem.release()
    assert sem.acquire(blocking=False) is False
    eventlib.waitall(procs)
    assert log == [(0, True, 0)]


def test_release_does_not_switch(virtual_clock):
    """release() to a waiter keeps the releasing proc running."""
    sem = Semaphore(0)
    order = []
    eventlib.spawn(lambda: (sem.acquire(), order.append("acquired")))
    eventlib.sleep(0)
    sem.release()
    order.append("releaser continues")
    eventlib.sleep(0)
    assert order == ["releaser continues", "acquired"]


@pytest.mark.parametrize(
    "acquire",
    [
        pytest.param(lambda sem: sem.acquire(blocking=False), id="blocking=False"),
        pytest.param(lambda sem: sem.acquire(False), id="positional-False"),
        pytest.param(lambda sem: sem.acquire(timeout=0), id="timeout=0"),
    ],
)
def test_non_blocking_acquire_without_permit_returns_false(virtual_clock, acquire):
    """A non-blocking acquire with no permit returns False at once."""
    sem = Semaphore(0)
    assert acquire(sem) is False
    assert virtual_clock.now() == 0
    assert sem.statistics().waiters == 0


def test_non_blocking_acquire_with_permit_returns_true():
    """acquire(blocking=False) takes a free permit."""
    sem = Semaphore(1)
    assert sem.acquire(blocking=False) is True
    assert sem.counter == 0


def test_acquire_with_timeout_returns_false_after_timeout(virtual_clock):
    """acquire(timeout=t) returns False after t seconds if no permit came, and stops waiting."""
    sem = Semaphore(0)
    assert sem.acquire(timeout=4) is False
    assert virtual_clock.now() == 4
    assert sem.statistics().waiters == 0
    sem.release()
    assert sem.counter == 1


def test_acquire_with_timeout_returns_true_when_released_in_time(virtual_clock):
    """acquire(timeout=t) returns True if a permit comes before t."""
    sem = Semaphore(0)
    eventlib.spawn(lambda: (eventlib.sleep(1), sem.release()))
    assert sem.acquire(timeout=4) is True
    assert virtual_clock.now() == 1
    eventlib.sleep(10)  # the timeout does not fire later
    assert sem.counter == 0


def test_permit_handed_to_a_killed_waiter_is_passed_on(virtual_clock, in_main_loop):
    """A waiter killed after a permit was handed to it (before it ran) passes the permit on."""
    sem = Semaphore(0)
    log = []
    first, second = _spawn_acquirers(sem, 2, log)

    def release_then_kill():
        sem.release()
        first.throw(eventlib.ProcExit)

    in_main_loop(release_then_kill)
    eventlib.waitall([first, second], trap_errors=True)
    assert first.exit_reason is eventlib.ExitReason.KILLED
    assert log == [(1, True, 0)]
    assert sem.counter == 0


def test_permit_handed_to_a_killed_waiter_returns_to_the_counter(virtual_clock, in_main_loop):
    """With nobody else waiting, the permit of a killed waiter goes back to the counter."""
    sem = Semaphore(0)
    (waiter,) = _spawn_acquirers(sem, 1, [])

    def release_then_kill():
        sem.release()
        waiter.throw(eventlib.ProcExit)

    in_main_loop(release_then_kill)
    eventlib.sleep(0)
    assert waiter.dead
    assert sem.counter == 1


def test_permit_arriving_as_acquire_times_out_is_not_lost(virtual_clock):
    """A permit released in the instant an acquire times out is either taken or kept."""
    sem = Semaphore(0)
    log = []
    procs = _spawn_acquirers(sem, 1, log, timeout=5)
    eventlib.schedule_call_global(5, sem.release)
    eventlib.waitall(procs)
    ((_, acquired, _),) = log
    assert sem.counter == (0 if acquired else 1)


def test_killed_waiter_is_forgotten(virtual_clock):
    """A proc killed while waiting in acquire() no longer counts as a waiter."""
    sem = Semaphore(0)
    waiter = eventlib.spawn(sem.acquire)
    eventlib.sleep(0)
    waiter.kill()
    assert sem.statistics().waiters == 0
    sem.release()
    assert sem.counter == 1


def test_context_manager_acquires_and_releases(virtual_clock):
    """with sem: holds a permit inside the block and gives it back after."""
    sem = Semaphore(1)
    with sem as entered:
        assert entered is sem
        assert sem.counter == 0
    assert sem.counter == 1


def test_context_manager_releases_on_exception(virtual_clock):
    """The permit is given back when the block raises; the exception propagates."""
    sem = Semaphore(1)
    with pytest.raises(ZeroDivisionError), sem:
        1 / 0  # noqa: B018 - the point is the exception
    assert sem.counter == 1


def test_context_manager_serialises_procs(virtual_clock):
    """Semaphore(1) as a context manager lets one proc at a time into the block."""
    sem = Semaphore(1)
    inside = []
    peak = []

    def worker():
        with sem:
            inside.append(1)
            peak.append(len(inside))
            eventlib.sleep(1)
            inside.pop()

    eventlib.waitall([eventlib.spawn(worker) for _ in range(4)])
    assert max(peak) == 1
    assert virtual_clock.now() == 4


def test_statistics_reports_counter_and_waiters(virtual_clock):
    """statistics() is a frozen snapshot of the counter and the number of waiters."""
    sem = Semaphore(0)
    _spawn_acquirers(sem, 2, [])
    stats = sem.statistics()
    assert stats == SemaphoreStatistics(counter=0, waiters=2)
    with pytest.raises(AttributeError):
        stats.counter = 5  # type: ignore[misc]
    sem.release()
    sem.release()
    sem.release()
    assert sem.statistics() == SemaphoreStatistics(counter=1, waiters=0)
    eventlib.sleep(0)


# -- BoundedSemaphore ----------------------------------------------------------


def test_bounded_count_above_limit_is_a_value_error():
    """BoundedSemaphore(count, limit) with count > limit raises the classic ValueError."""
    with pytest.raises(ValueError, match=r"^'count' cannot be more than 'limit'$"):
        BoundedSemaphore(3, 2)


def test_bounded_limit_defaults_to_count():
    """BoundedSemaphore(n) is bounded at n."""
    sem = BoundedSemaphore(2)
    assert sem.counter == 2
    assert sem.bounded()
    assert sem.release(blocking=False) is False


def test_bounded_acquire_and_release_within_limit(virtual_clock):
    """Between 0 and limit, acquire/release just move the counter."""
    sem = BoundedSemaphore(1, 3)
    assert sem.release() is True
    assert sem.counter == 2
    assert sem.acquire() is True
    assert sem.acquire() is True
    assert sem.counter == 0
    assert sem.locked()
    assert not sem.bounded()


def test_bounded_acquire_blocks_at_zero(virtual_clock):
    """acquire() on a BoundedSemaphore at 0 parks until a release."""
    sem = BoundedSemaphore(0, 1)
    eventlib.spawn(lambda: (eventlib.sleep(2), sem.release()))
    assert sem.acquire() is True
    assert virtual_clock.now() == 2


def test_bounded_non_blocking_acquire_at_zero_returns_false(virtual_clock):
    """acquire(blocking=False) at 0 returns False."""
    sem = BoundedSemaphore(0, 1)
    assert sem.acquire(blocking=False) is False
    assert sem.acquire(timeout=1) is False
    assert virtual_clock.now() == 1


def test_bounded_release_blocks_at_limit_until_an_acquire(virtual_clock):
    """release() at the limit parks (classic) until an acquire makes room."""
    sem = BoundedSemaphore(2, 2)
    done = []
    releaser = eventlib.spawn(lambda: done.append((sem.release(), virtual_clock.now())))
    eventlib.sleep(5)
    assert done == []
    assert sem.acquire() is True
    releaser.wait()
    assert done == [(True, 5)]
    assert sem.counter == 2


def test_bounded_non_blocking_release_at_limit_returns_false(virtual_clock):
    """release(blocking=False) at the limit returns False and changes nothing."""
    sem = BoundedSemaphore(1, 1)
    assert sem.release(blocking=False) is False
    assert sem.release(False) is False
    assert sem.counter == 1
    assert virtual_clock.now() == 0


def test_bounded_release_with_timeout_at_limit_returns_false(virtual_clock):
    """release(timeout=t) at the limit returns False after t seconds."""
    sem = BoundedSemaphore(1, 1)
    assert sem.release(timeout=2) is False
    assert virtual_clock.now() == 2
    assert sem.counter == 1


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [(0, 0, 0), (0, 2, -2), (1, 2, 0), (2, 2, 2), (3, 5, 1)],
)
def test_bounded_balance_is_lower_minus_upper_counter(count, limit, expected):
    """balance is lower.counter - upper.counter, i.e. count - (limit - count)."""
    assert BoundedSemaphore(count, limit).balance == expected


def test_bounded_balance_follows_acquire_and_release(virtual_clock):
    """balance moves by 2 with each acquire/release."""
    sem = BoundedSemaphore(1, 2)
    assert sem.balance == 0
    sem.release()
    assert sem.balance == 2
    sem.acquire()
    sem.acquire()
    assert sem.balance == -2


def test_bounded_context_manager(virtual_clock):
    """with BoundedSemaphore: takes a permit in the block and gives it back after."""
    sem = BoundedSemaphore(1, 1)
    with sem as entered:
        assert entered is sem
        assert sem.counter == 0
    assert sem.counter == 1


def test_bounded_statistics_counts_both_kinds_of_waiter(virtual_clock):
    """statistics() of a BoundedSemaphore counts waiting acquirers and waiting releasers."""
    empty = BoundedSemaphore(0, 1)
    _spawn_acquirers(empty, 2, [])
    assert empty.statistics() == SemaphoreStatistics(counter=0, waiters=2)
    full = BoundedSemaphore(1, 1)
    eventlib.spawn(full.release)
    eventlib.sleep(0)
    assert full.statistics() == SemaphoreStatistics(counter=1, waiters=1)
    empty.release()
    empty.release()
    full.acquire()
    eventlib.sleep(0)


# -- semaphore() ---------------------------------------------------------------


def test_semaphore_factory_without_limit_makes_a_semaphore():
    """semaphore(count) is a plain Semaphore; semaphore() has count 0."""
    sem = semaphore(3)
    assert type(sem) is Semaphore
    assert sem.counter == 3
    assert semaphore().counter == 0


def test_semaphore_factory_with_limit_makes_a_bounded_semaphore():
    """semaphore(count, limit) is a BoundedSemaphore."""
    sem = semaphore(1, 3)
    assert isinstance(sem, BoundedSemaphore)
    assert sem.counter == 1
    assert sem.balance == -1


# -- metaphore -----------------------------------------------------------------


def test_metaphore_at_zero_does_not_block(virtual_clock):
    """A fresh metaphore has counter 0 and wait() returns at once."""
    meta = metaphore()
    assert meta.counter == 0
    meta.wait()
    assert virtual_clock.now() == 0


def test_metaphore_wait_blocks_until_counter_returns_to_zero(virtual_clock):
    """After inc(), wait() parks until as many dec() bring the counter back to 0."""
    meta = metaphore()
    meta.inc()
    meta.inc()
    assert meta.counter == 2

    def finish(delay):
        eventlib.sleep(delay)
        meta.dec()

    eventlib.spawn(finish, 3)
    eventlib.spawn(finish, 7)
    meta.wait()
    assert virtual_clock.now() == 7
    assert meta.counter == 0


def test_metaphore_inc_and_dec_by_amounts(virtual_clock):
    """inc(by)/dec(by) move the counter by the given amounts."""
    meta = metaphore()
    meta.inc(5)
    meta.dec(2)
    assert meta.counter == 3
    eventlib.spawn(meta.dec, 3)
    meta.wait()
    assert meta.counter == 0


def test_metaphore_dec_is_clamped_at_zero(virtual_clock):
    """dec() below zero leaves the counter at 0 and the next inc() blocks wait() again."""
    meta = metaphore()
    meta.inc()
    meta.dec(5)
    assert meta.counter == 0
    meta.wait()
    meta.dec()
    assert meta.counter == 0
    meta.inc()
    with pytest.raises(eventlib.TimeoutError):
        eventlib.with_timeout(1, meta.wait)


def test_metaphore_wakes_every_waiter(virtual_clock):
    """All procs waiting on a metaphore resume when it reaches zero."""
    meta = metaphore()
    meta.inc()
    woken = []
    procs = [eventlib.spawn(lambda n=n: (meta.wait(), woken.append(n))) for n in range(3)]
    eventlib.sleep(1)
    assert woken == []
    meta.dec()
    eventlib.waitall(procs)
    assert sorted(woken) == [0, 1, 2]


@pytest.mark.parametrize("method", ["inc", "dec"])
def test_metaphore_negative_amount_is_a_value_error(method):
    """inc()/dec() with a negative amount is a ValueError."""
    with pytest.raises(ValueError, match=rf"metaphore\.{method}\(\) amount must be an int >= 0"):
        getattr(metaphore(), method)(-1)
