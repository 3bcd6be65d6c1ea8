"""Calls that are safe from anywhere work from MAIN_LOOP and never unschedule the caller.

Each test runs its calls inside a Twisted callback: a hub timer or a
``reactor.callLater`` on the virtual clock, and ``reactor.callLater`` on the
real reactor. The callback must run to its end before any green thread it
woke gets to run.
"""

import pytest
from greenlet import getcurrent

import eventlib
from eventlib.hub import Waiter
from eventlib.queue import Queue
from eventlib.semaphore import Semaphore, metaphore


@pytest.fixture(params=["hub-timer", "virtual-reactor-callLater", "real-reactor-callLater"])
def from_callback(request):
    """A function running ``f(*args)`` in a Twisted callback (MAIN_LOOP); returns its outcome."""
    kind = request.param
    request.getfixturevalue("real_reactor" if kind.startswith("real") else "virtual_clock")

    def run(function, *args):
        hub = eventlib.get_hub()
        waiter = Waiter(hub)

        def callback():
            if getcurrent() is not hub.greenlet:
                waiter.throw(AssertionError("the callback did not run in MAIN_LOOP"))
                return
            try:
                result = function(*args)
            except BaseException as exc:
                waiter.throw(exc)
            else:
                waiter.switch(result)

        if kind == "hub-timer":
            eventlib.schedule_call_global(0, callback)
        else:
            hub.reactor.callLater(0, callback)
        return waiter.get()

    return run


def _parked(function, trace, label):
    """Spawn a proc running ``function()`` that logs (label, result) to trace; let it park."""
    proc = eventlib.spawn(lambda: trace.append((label, function())))
    eventlib.sleep(0)
    return proc


def test_event_send_from_callback_wakes_waiters_after_the_callback(from_callback):
    """Event.send() in a callback returns at once; the waiter runs after the callback ends."""
    event = eventlib.Event()
    trace = []
    waiter = _parked(event.wait, trace, "woken")

    def callback():
        event.send("value")
        trace.append("callback continues")

    from_callback(callback)
    waiter.wait()
    assert trace == ["callback continues", ("woken", "value")]


def test_event_send_exception_from_callback_raises_in_waiters(from_callback):
    """Event.send_exception() in a callback returns at once; waiters raise it later."""
    event = eventlib.Event()
    trace = []

    def wait():
        try:
            event.wait()
        except KeyError as error:
            return error.args
        return None

    waiter = _parked(wait, trace, "raised")

    def callback():
        event.send_exception(KeyError("k"))
        trace.append("callback continues")

    from_callback(callback)
    waiter.wait()
    assert trace == ["callback continues", ("raised", ("k",))]


def test_event_queries_from_callback(from_callback):
    """ready(), poll(), poll_result(), poll_exception(), has_*() answer from a callback."""
    event = eventlib.Event()

    def queries():
        return (
            event.ready(),
            event.poll("n"),
            event.poll_result("n"),
            event.poll_exception("n"),
            event.has_result(),
            event.has_exception(),
        )

    assert from_callback(queries) == (False, "n", "n", "n", False, False)
    event.send(5)
    assert from_callback(queries) == (True, 5, 5, "n", True, False)


def test_event_wait_zero_from_callback(from_callback):
    """Event.wait(0) in a callback polls: TimeoutError before send, the value after."""
    event = eventlib.Event()
    with pytest.raises(eventlib.TimeoutError):
        from_callback(event.wait, 0)
    event.send("sent")
    assert from_callback(event.wait, 0) == "sent"
    assert from_callback(event.wait) == "sent"  # ready: wait() does not block either


def test_unbounded_queue_put_from_callback_feeds_getters_after_the_callback(from_callback):
    """Queue.put() in a callback never blocks; the getter runs after the callback."""
    q = Queue()
    trace = []
    getter = _parked(q.get, trace, "got")

    def callback():
        for item in ("a", "b", "c"):
            q.put(item)
        trace.append("callback continues")

    from_callback(callback)
    getter.wait()
    assert trace == ["callback continues", ("got", "a")]
    assert [q.get_nowait(), q.get_nowait()] == ["b", "c"]


def test_queue_send_and_send_exception_from_callback(from_callback):
    """The classic queue.send() / send_exception() work from a callback."""
    q = eventlib.Queue()

    def callback():
        q.send("value")
        q.send_exception(ValueError("error"))

    from_callback(callback)
    assert q.wait() == "value"
    with pytest.raises(ValueError, match="error"):
        q.wait()


def test_bounded_queue_with_room_from_callback(from_callback):
    """A bounded queue with room accepts put() from a callback, and get() with items answers."""
    q = Queue(2)
    from_callback(q.put, 1)
    from_callback(q.put_nowait, 2)
    assert q.full()
    assert from_callback(q.get) == 1
    assert from_callback(q.get_nowait) == 2


def test_semaphore_release_from_callback_wakes_the_waiter_after(from_callback):
    """Semaphore.release() in a callback hands the permit on without switching."""
    sem = Semaphore(0)
    trace = []
    acquirer = _parked(sem.acquire, trace, "acquired")

    def callback():
        sem.release()
        trace.append("callback continues")

    from_callback(callback)
    acquirer.wait()
    assert trace == ["callback continues", ("acquired", True)]
    assert from_callback(Semaphore(1).acquire) is True  # a free permit needs no wait


def test_metaphore_dec_from_callback_wakes_the_waiter_after(from_callback):
    """metaphore.dec() to zero in a callback wakes waiters after the callback."""
    meta = metaphore()
    meta.inc()
    trace = []
    waiter = _parked(meta.wait, trace, "zero")

    def callback():
        meta.dec()
        trace.append("callback continues")

    from_callback(callback)
    waiter.wait()
    assert trace == ["callback continues", ("zero", None)]


def test_spawn_from_callback_starts_the_proc_after_the_callback(from_callback):
    """spawn() in a callback returns a Proc at once; it starts after the callback."""
    trace = []

    def callback():
        proc = eventlib.spawn(trace.append, "proc runs")
        trace.append("callback continues")
        return proc

    proc = from_callback(callback)
    proc.wait()
    assert trace == ["callback continues", "proc runs"]
