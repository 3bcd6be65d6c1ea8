"""Classic eventlib.coros behaviours that code written for the original relies on."""

import pytest

from eventlib import api, coros, proc


def test_bounded_semaphore_limit_zero_release_meets_a_waiting_acquire(virtual_clock):
    """semaphore(0, 0): a proc waiting in acquire() lets release() through (a rendezvous)."""
    sem = coros.semaphore(0, 0)
    acquirer = proc.spawn(sem.acquire)
    api.sleep(0)
    with api.timeout(1):
        assert sem.release() is True
        assert acquirer.wait() is True


def test_bounded_semaphore_limit_zero_acquire_meets_a_waiting_release(virtual_clock):
    """semaphore(0, 0): a proc waiting in release() lets acquire() through."""
    sem = coros.semaphore(0, 0)
    releaser = proc.spawn(sem.release)
    api.sleep(0)
    with api.timeout(1):
        assert sem.acquire() is True
        assert releaser.wait() is True


def test_bounded_semaphore_balance_is_negative_while_acquirers_wait(virtual_clock):
    """balance counts waiting acquirers as negative, as the original's did."""
    sem = coros.semaphore(0, 2)
    waiters = [proc.spawn(sem.acquire) for _ in range(2)]
    api.sleep(0)
    balance = sem.balance
    proc.killall(waiters, wait=True)
    assert balance == -4
    assert sem.balance == -2


def test_bounded_semaphore_acquire_timed_out_leaves_the_counters_as_they_were(virtual_clock):
    """An acquire that times out takes nothing and leaves room for exactly limit releases."""
    sem = coros.semaphore(0, 1)
    with api.timeout(1, None):
        sem.acquire()
    assert (sem.counter, sem.balance) == (0, -1)
    assert sem.release(blocking=False) is True
    assert sem.release(blocking=False) is False


def test_bounded_semaphore_acquire_killed_while_waiting_gives_its_room_back(virtual_clock):
    """A killed acquirer takes its room back: a later release at the limit waits again."""
    sem = coros.semaphore(0, 0)
    acquirer = proc.spawn(sem.acquire)
    api.sleep(0)
    acquirer.kill()
    assert sem.release(blocking=False) is False
    assert sem.balance == 0


def test_bounded_semaphore_non_blocking_release_at_limit_returns_false(virtual_clock):
    """release(blocking=False) at the limit with nobody waiting returns False at once."""
    sem = coros.semaphore(1, 1)
    assert sem.release(blocking=False) is False
    assert sem.counter == 1


@pytest.mark.parametrize("blocking", [True, False])
def test_bounded_semaphore_acquire_with_a_free_permit_returns_true(virtual_clock, blocking):
    """acquire() with a permit free takes it without waiting."""
    sem = coros.semaphore(1, 2)
    assert sem.acquire(blocking) is True
    assert (sem.counter, sem.balance) == (0, -2)


def test_bounded_semaphore_balance_through_waits_on_both_sides(virtual_clock):
    """balance after an acquire that waited for a release, then a release that waited (-3, 3)."""
    sem = coros.BoundedSemaphore(2, limit=3)
    assert [sem.acquire(), sem.acquire()] == [True, True]
    api.spawn(sem.release)
    assert sem.acquire() is True
    assert sem.balance == -3
    for _ in range(3):
        sem.release()
    api.spawn(sem.acquire)
    assert sem.release() is True
    assert sem.balance == 3


def _receive_or_time_out(q, outcome):
    """Wait on ``q`` under an exc_after(0); send what it got, or 'timed out', to ``outcome``."""
    api.exc_after(0, RuntimeError())
    try:
        outcome.send(q.wait())
    except RuntimeError:
        outcome.send("timed out")


def test_queue_item_sent_to_a_waiter_that_times_out_goes_to_the_next_waiter(virtual_clock):
    """Two waiters, the first times out as the item arrives: the second gets the item."""
    q = coros.queue()
    dying, waiting = coros.event(), coros.event()
    api.spawn(_receive_or_time_out, q, dying)
    api.spawn(lambda: waiting.send(q.wait()))
    api.sleep(0)
    q.send("hi")
    assert (dying.wait(), waiting.wait()) == ("timed out", "hi")


def test_queue_item_sent_to_two_waiters_that_time_out_stays_queued(virtual_clock):
    """Both waiters time out as the item arrives: it stays in the queue for the next wait()."""
    q = coros.queue()
    first, second = coros.event(), coros.event()
    api.spawn(_receive_or_time_out, q, first)
    api.spawn(_receive_or_time_out, q, second)
    api.sleep(0)
    q.send("sent")
    assert (first.wait(), second.wait()) == ("timed out", "timed out")
    assert q.wait() == "sent"
