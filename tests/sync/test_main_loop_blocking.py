"""Blocking synchronisation calls made from MAIN_LOOP raise BlockingInMainLoopError at once.

MAIN_LOOP runs the reactor; a call from it that would have to wait (in a Twisted
callback, a timer, a link listener) must fail at once with an AssertionError
subclass, leave no waiter behind, and let the program go on.
"""

import pytest

import eventlib
from eventlib import coros
from eventlib.pool import Pool
from eventlib.queue import Channel, Empty, Full, Queue
from eventlib.semaphore import BoundedSemaphore, Semaphore, metaphore


def _full_queue(maxsize):
    q = Queue(maxsize)
    for n in range(maxsize):
        q.put(n)
    return q


def _busy_metaphore():
    meta = metaphore()
    meta.inc()
    return meta


def _full_pool():
    pool = Pool(max_size=1)
    pool.execute(eventlib.sleep, 100)
    return pool


# name -> (make the object, call that blocks on it, how many wait on it afterwards)
BLOCKING_CALLS = {
    "Event.wait": (eventlib.Event, lambda e: e.wait(), lambda e: e.statistics().waiters),
    "Event.wait-timeout": (eventlib.Event, lambda e: e.wait(5), lambda e: e.statistics().waiters),
    "coros.event.wait": (coros.event, lambda e: e.wait(), lambda e: e.statistics().waiters),
    "Queue.get": (Queue, lambda q: q.get(), lambda q: q.getting),
    "Queue.get-timeout": (Queue, lambda q: q.get(timeout=5), lambda q: q.getting),
    "Queue.wait": (Queue, lambda q: q.wait(), lambda q: q.getting),
    "bounded-Queue.put": (lambda: _full_queue(2), lambda q: q.put("x"), lambda q: q.putting),
    "bounded-Queue.put-timeout": (
        lambda: _full_queue(1),
        lambda q: q.put("x", timeout=5),
        lambda q: q.putting,
    ),
    "bounded-Queue.send": (lambda: _full_queue(1), lambda q: q.send("x"), lambda q: q.putting),
    "bounded-Queue.send_exception": (
        lambda: _full_queue(1),
        lambda q: q.send_exception(ValueError),
        lambda q: q.putting,
    ),
    "rendezvous-Queue.put": (lambda: Queue(0), lambda q: q.put("x"), lambda q: q.putting),
    "Channel.send": (Channel, lambda c: c.send("x"), lambda c: c.putting),
    "Channel.receive": (Channel, lambda c: c.receive(), lambda c: c.getting),
    "Semaphore.acquire": (Semaphore, lambda s: s.acquire(), lambda s: s.statistics().waiters),
    "Semaphore.acquire-timeout": (
        Semaphore,
        lambda s: s.acquire(timeout=5),
        lambda s: s.statistics().waiters,
    ),
    "Semaphore-context-manager": (
        Semaphore,
        lambda s: s.__enter__(),
        lambda s: s.statistics().waiters,
    ),
    "BoundedSemaphore.acquire": (
        lambda: BoundedSemaphore(0, 1),
        lambda s: s.acquire(),
        lambda s: s.statistics().waiters,
    ),
    "BoundedSemaphore.release-at-limit": (
        lambda: BoundedSemaphore(1, 1),
        lambda s: s.release(),
        lambda s: s.statistics().waiters,
    ),
    "metaphore.wait": (_busy_metaphore, lambda m: m.wait(), lambda m: m.event.statistics().waiters),
    "Pool.execute-when-full": (_full_pool, lambda p: p.execute(len, ""), lambda p: p.waiting()),
    "sleep": (lambda: None, lambda _: eventlib.sleep(1), lambda _: 0),
    "sleep0": (lambda: None, lambda _: eventlib.sleep(0), lambda _: 0),
    "with_timeout": (
        lambda: None,
        lambda _: eventlib.with_timeout(1, eventlib.sleep, 1),
        lambda _: 0,
    ),
}


@pytest.mark.parametrize("name", sorted(BLOCKING_CALLS))
def test_blocking_call_from_main_loop_raises_at_once(virtual_clock, in_main_loop, name):
    """The call raises BlockingInMainLoopError (an AssertionError) without waiting."""
    make, call, waiting = BLOCKING_CALLS[name]
    target = make()
    with pytest.raises(eventlib.BlockingInMainLoopError) as caught:
        in_main_loop(call, target)
    assert isinstance(caught.value, AssertionError)
    assert "cannot block in MAIN_LOOP" in str(caught.value)
    assert virtual_clock.now() == 0
    assert waiting(target) == 0


@pytest.mark.parametrize(
    ("name", "call", "what"),
    [
        ("Event.wait", lambda: eventlib.Event().wait(), "Event.wait()"),
        ("Queue.get", lambda: Queue().get(), "Queue.get() on an empty queue"),
        ("Queue.put", lambda: Queue(0).put(1), "Queue.put() on a full queue"),
        ("queue.send", lambda: Queue(0).send(1), "queue.send() on a full queue"),
        ("Semaphore.acquire", lambda: Semaphore().acquire(), "Semaphore.acquire()"),
    ],
)
def test_error_names_the_blocking_call(virtual_clock, in_main_loop, name, call, what):
    """The error's .what and message name the call that would have blocked."""
    with pytest.raises(eventlib.BlockingInMainLoopError) as caught:
        in_main_loop(call)
    assert caught.value.what == what
    assert what in str(caught.value)


def test_classic_code_catching_assertion_error_still_works(virtual_clock, in_main_loop):
    """Old code that catches AssertionError around a blocking call keeps working."""

    def classic_callback():
        try:
            eventlib.Event().wait()
        except AssertionError:
            return "caught"
        return "not raised"

    assert in_main_loop(classic_callback) == "caught"


def test_primitives_still_work_after_a_refused_blocking_call(virtual_clock, in_main_loop):
    """A refused call leaves the object usable by green threads."""
    q = Queue(1)
    q.put("first")
    with pytest.raises(eventlib.BlockingInMainLoopError):
        in_main_loop(q.put, "second")
    assert q.statistics().putters == 0
    putter = eventlib.spawn(q.put, "second")
    eventlib.sleep(0)
    assert [q.get(), q.get()] == ["first", "second"]
    putter.wait()


def test_non_blocking_variants_from_main_loop_return_normally(virtual_clock, in_main_loop):
    """The same calls with blocking=False / timeout=0 answer at once from MAIN_LOOP."""
    sem = BoundedSemaphore(1, 1)
    q = _full_queue(1)
    assert in_main_loop(Semaphore().acquire, False) is False
    assert in_main_loop(sem.release, False) is False
    with pytest.raises(Full):
        in_main_loop(q.put, "x", False)
    with pytest.raises(Empty):
        in_main_loop(Queue().get, timeout=0)
