"""eventlib.green.threading: green locks, conditions, events, semaphores, locals and threads."""

import threading as stdlib_threading

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import threading

N = 100


# --- Lock -------------------------------------------------------------------------------


def test_lock_excludes_other_green_threads(virtual_clock):
    """Only one green thread at a time runs inside the lock."""
    lock = threading.Lock()
    inside = []

    def worker(i):
        with lock:
            inside.append(i)
            assert len(inside) == 1
            eventlib.sleep(1)
            inside.remove(i)

    eventlib.waitall([eventlib.spawn(worker, i) for i in range(5)])
    assert virtual_clock.now() == 5


def test_lock_acquire_non_blocking_fails_when_locked(virtual_clock):
    """acquire(False) on a held lock returns False at once."""
    lock = threading.Lock()
    assert lock.acquire()
    assert lock.acquire(False) is False
    assert lock.locked()


def test_lock_acquire_times_out(virtual_clock):
    """acquire(timeout=t) gives up after t seconds and returns False."""
    lock = threading.Lock()
    lock.acquire()
    start = virtual_clock.now()
    assert lock.acquire(timeout=2) is False
    assert virtual_clock.now() - start == 2


def test_lock_released_by_another_green_thread(virtual_clock):
    """A Lock (unlike an RLock) may be released by any green thread."""
    lock = threading.Lock()
    lock.acquire()
    eventlib.spawn_after(1, lock.release)
    assert lock.acquire(timeout=5)


@pytest.mark.parametrize(
    "call",
    [
        lambda lock: lock.release(),
        lambda lock: lock.acquire(False, 1),
        lambda lock: lock.acquire(True, -2),
    ],
    ids=["release-unlocked", "timeout-non-blocking", "negative-timeout"],
)
def test_lock_misuse_raises_like_stdlib(virtual_clock, call):
    """Releasing an unlocked lock and bad acquire arguments raise the stdlib's errors."""
    assert outcome(call, threading.Lock()) == outcome(call, stdlib_threading.Lock())


def test_hundred_green_threads_contend_without_blocking_reactor(real_reactor, heartbeat):
    """N procs take turns holding a lock; the timer keeps firing while they wait for it."""
    lock = threading.Lock()
    order = []

    def worker(i):
        # The 10 s timeout fails, rather than hangs, an acquire that blocked the reactor.
        assert lock.acquire(timeout=10), "the lock was never let go"
        try:
            eventlib.sleep(0.001)
            order.append(i)
        finally:
            lock.release()

    lock.acquire()  # held by the test: every worker waits in acquire
    try:
        workers = [eventlib.spawn(worker, i) for i in range(N)]
        heartbeat.wait_for_ticks(20)
        assert not [w for w in workers if w.ready()], "a worker got the lock while it was held"
    finally:
        lock.release()
    eventlib.waitall(workers)
    assert sorted(order) == list(range(N))


# --- RLock ------------------------------------------------------------------------------


def test_rlock_is_reentrant(virtual_clock):
    """The holder may acquire an RLock again; it is free after as many releases."""
    lock = threading.RLock()
    with lock, lock:
        assert not eventlib.spawn(lock.acquire, False).wait()
    assert eventlib.spawn(lock.acquire, False).wait()


def test_rlock_release_by_non_owner_raises(virtual_clock, hub_errors):
    """Releasing an RLock held by another green thread raises RuntimeError."""
    hub_errors.expect(RuntimeError)
    lock = threading.RLock()
    lock.acquire()
    with pytest.raises(RuntimeError):
        eventlib.spawn(lock.release).wait()


def test_rlock_release_unacquired_raises_like_stdlib(virtual_clock):
    """Releasing a free RLock raises the stdlib's error."""
    call = lambda lock: lock.release()  # noqa: E731
    assert outcome(call, threading.RLock()) == outcome(call, stdlib_threading.RLock())


# --- Condition --------------------------------------------------------------------------


def test_condition_notify_wakes_one_waiter(virtual_clock):
    """notify() wakes exactly one waiting green thread."""
    cond = threading.Condition()
    woken = []

    def waiter(i):
        with cond:
            if cond.wait(timeout=10):
                woken.append(i)

    procs = [eventlib.spawn(waiter, i) for i in range(3)]
    eventlib.sleep(1)
    with cond:
        cond.notify()
    eventlib.waitall(procs)
    assert woken == [0]


def test_condition_notify_all_wakes_everyone(real_reactor, heartbeat):
    """notify_all() wakes all N waiters while the reactor keeps running."""
    cond = threading.Condition(threading.Lock())
    woken = []

    def waiter(i):
        with cond:
            # The 10 s timeout fails, rather than hangs, a wait that blocked the reactor.
            assert cond.wait(10), "notify_all never came"
            woken.append(i)

    procs = [eventlib.spawn(waiter, i) for i in range(N)]
    heartbeat.wait_for_ticks(20)
    assert not [p for p in procs if p.ready()], "a waiter woke before notify_all"
    with cond:
        cond.notify_all()
    eventlib.waitall(procs)
    assert sorted(woken) == list(range(N))


def test_condition_wait_times_out(virtual_clock):
    """wait(timeout) returns False after the timeout, holding the lock again."""
    cond = threading.Condition()
    with cond:
        assert cond.wait(3) is False
        assert cond._is_owned()
    assert virtual_clock.now() == 3


def test_condition_wait_for_predicate(virtual_clock):
    """wait_for returns once the predicate holds after a notify."""
    cond = threading.Condition()
    items = []

    def producer():
        eventlib.sleep(1)
        with cond:
            items.append(1)
            cond.notify()

    eventlib.spawn(producer)
    with cond:
        assert cond.wait_for(lambda: items, timeout=10) == [1]


@pytest.mark.parametrize(
    "call", [lambda c: c.wait(1), lambda c: c.notify()], ids=["wait", "notify"]
)
def test_condition_without_lock_raises_like_stdlib(virtual_clock, call):
    """wait/notify without holding the lock raise the stdlib's RuntimeError."""
    assert outcome(call, threading.Condition()) == outcome(call, stdlib_threading.Condition())


# --- Semaphore / Event ------------------------------------------------------------------


def test_semaphore_limits_concurrency(virtual_clock):
    """A Semaphore(2) lets two green threads in at a time."""
    sem = threading.Semaphore(2)
    peak = []
    inside = []

    def worker():
        with sem:
            inside.append(1)
            peak.append(len(inside))
            eventlib.sleep(1)
            inside.pop()

    eventlib.waitall([eventlib.spawn(worker) for _ in range(6)])
    assert max(peak) == 2
    assert virtual_clock.now() == 3


def test_semaphore_acquire_times_out(virtual_clock):
    """acquire(timeout=t) on an empty semaphore returns False after t."""
    assert threading.Semaphore(0).acquire(timeout=1) is False
    assert virtual_clock.now() == 1


def test_semaphore_negative_timeout_gives_up_at_once_like_stdlib(virtual_clock):
    """acquire(timeout=-1) returns False at once, as the stdlib's does."""
    assert stdlib_threading.Semaphore(0).acquire(timeout=-1) is False
    assert threading.Semaphore(0).acquire(timeout=-1) is False
    assert virtual_clock.now() == 0


@pytest.mark.parametrize(
    ("factory", "stdlib_factory", "call"),
    [
        (threading.BoundedSemaphore, stdlib_threading.BoundedSemaphore, lambda s: s.release()),
        (threading.Semaphore, stdlib_threading.Semaphore, lambda s: s.acquire(False, 1)),
        (threading.Semaphore, stdlib_threading.Semaphore, lambda s: s.release(0)),
        (lambda: threading.Semaphore(-1), lambda: stdlib_threading.Semaphore(-1), lambda s: s),
    ],
    ids=["bounded-over-release", "timeout-non-blocking", "release-zero", "negative-value"],
)
def test_semaphore_misuse_raises_like_stdlib(virtual_clock, factory, stdlib_factory, call):
    """Semaphore misuse raises the stdlib's exception types."""
    green = outcome(lambda: call(factory()))
    plain = outcome(lambda: call(stdlib_factory()))
    assert green[0] == plain[0]


def test_event_wakes_all_waiters(virtual_clock):
    """set() wakes every green thread waiting on the event."""
    event = threading.Event()
    procs = [eventlib.spawn(event.wait) for _ in range(5)]
    eventlib.spawn_after(1, event.set)
    assert eventlib.waitall(procs) == [True] * 5
    assert event.is_set()


def test_event_wait_times_out(virtual_clock):
    """wait(timeout) on an unset event returns False after the timeout."""
    event = threading.Event()
    assert event.wait(2) is False
    assert virtual_clock.now() == 2
    event.set()
    event.clear()
    assert not event.is_set()


# --- local / Thread ---------------------------------------------------------------------


def test_local_values_are_per_green_thread(virtual_clock):
    """Each green thread sees its own attributes of a local."""
    data = threading.local()
    data.value = "main"

    def worker(i):
        assert not hasattr(data, "value")
        data.value = i
        eventlib.sleep(1)
        return data.value

    assert eventlib.waitall([eventlib.spawn(worker, i) for i in range(10)]) == list(range(10))
    assert data.value == "main"


def test_local_does_not_leak_into_a_reused_greenlet(virtual_clock):
    """A proc that runs on a recycled greenlet starts with fresh locals."""
    data = threading.local()

    def first():
        data.value = 1

    eventlib.spawn(first).wait()
    assert eventlib.spawn(lambda: getattr(data, "value", None)).wait() is None


def test_local_subclass_init_runs_per_green_thread(virtual_clock):
    """A local subclass's __init__ sets up each green thread's values."""

    class Counter(threading.local):
        def __init__(self, start):
            self.count = start

    counter = Counter(5)
    counter.count += 1

    def worker():
        counter.count += 10
        return counter.count

    assert eventlib.spawn(worker).wait() == 15
    assert counter.count == 6


def test_thread_runs_target_in_a_proc(virtual_clock):
    """start() runs the target green; join() waits for it."""
    results = []
    thread = threading.Thread(target=results.append, args=(7,), name="worker")
    assert not thread.is_alive()
    thread.start()
    assert thread.is_alive()
    thread.join()
    assert results == [7]
    assert not thread.is_alive()
    assert thread.name == "worker"


def test_thread_join_times_out(virtual_clock):
    """join(timeout) returns after the timeout with the thread still alive."""
    thread = threading.Thread(target=eventlib.sleep, args=(10,))
    thread.start()
    thread.join(1)
    assert thread.is_alive()
    thread.join()
    assert virtual_clock.now() == 10


def test_current_thread_inside_a_green_thread(virtual_clock):
    """current_thread() inside a green Thread is that Thread."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(threading.current_thread()))
    thread.start()
    thread.join()
    assert seen == [thread]
    assert threading.current_thread() is stdlib_threading.current_thread()


def test_get_ident_differs_between_green_threads(virtual_clock):
    """get_ident() is distinct for concurrently running green threads."""

    def ident():
        eventlib.sleep(1)
        return threading.get_ident()

    idents = eventlib.waitall([eventlib.spawn(ident) for _ in range(5)])
    assert len(set(idents)) == 5


@pytest.mark.parametrize(
    "call",
    [lambda t: (t.start(), t.start()), lambda t: t.join()],
    ids=["start-twice", "join-before-start"],
)
def test_thread_misuse_raises_like_stdlib(virtual_clock, call):
    """Starting twice or joining an unstarted thread raise the stdlib's RuntimeError."""
    green = outcome(call, threading.Thread(target=lambda: None))
    plain_thread = stdlib_threading.Thread(target=lambda: None)
    plain = outcome(call, plain_thread)
    if plain_thread.ident is not None:
        plain_thread.join()
    assert green == plain
