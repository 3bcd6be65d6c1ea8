"""A hub belongs to one OS thread: other threads get a clear error, never a second driver.

Issue 11.2: before, a green call in a plain thread made a second hub over the
installed reactor and drove it concurrently; Queue.get() there hung.
"""

import threading

import eventlib
from eventlib.hub import VirtualClockReactor, WrongThreadError, get_hub, set_hub, use_hub
from eventlib.sync import Queue


def in_plain_thread(function, *args):
    """Run ``function(*args)`` in a new OS thread; return ("ok", result) or ("error", exc)."""
    outcome = []

    def body():
        try:
            outcome.append(("ok", function(*args)))
        except BaseException as exc:
            outcome.append(("error", exc))

    thread = threading.Thread(target=body, name="plain")
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the plain thread hung"
    return outcome[0]


def assert_names_the_ways_across(error):
    message = str(error)
    assert "thread 'plain'" in message
    assert "reactor.callFromThread" in message
    assert "blockingCallFromThread" in message
    assert "block_on" in message


def test_sleep_in_a_plain_thread_raises_at_once(real_reactor):
    """eventlib.sleep() in a plain thread raises WrongThreadError naming the ways across."""
    kind, error = in_plain_thread(eventlib.sleep, 0.01)
    assert kind == "error"
    assert isinstance(error, WrongThreadError)
    assert_names_the_ways_across(error)


def test_queue_get_in_a_plain_thread_raises_instead_of_hanging(virtual_clock):
    """Queue.get() on an empty queue from a plain thread raises; the queue is untouched."""
    queue = Queue()
    kind, error = in_plain_thread(queue.get)
    assert kind == "error"
    assert isinstance(error, WrongThreadError)
    assert queue.statistics().getters == 0
    queue.put("still works")
    assert queue.get() == "still works"


def test_spawn_in_a_plain_thread_raises_and_starts_nothing(virtual_clock):
    """eventlib.spawn() from a plain thread raises and leaves the hub's procs as they were."""
    ran = []
    before = set(get_hub().procs)
    kind, error = in_plain_thread(eventlib.spawn, ran.append, 1)
    assert kind == "error"
    assert isinstance(error, WrongThreadError)
    eventlib.sleep(1)
    assert ran == []
    assert set(get_hub().procs) == before


def test_use_hub_over_a_reactor_another_thread_runs_is_refused(real_reactor):
    """use_hub() over the installed reactor, which the main thread runs, is refused."""
    kind, error = in_plain_thread(use_hub)
    assert kind == "error"
    assert isinstance(error, WrongThreadError)
    assert "thread 'MainThread' runs" in str(error)


def test_set_hub_of_the_main_threads_hub_is_refused_in_another_thread(real_reactor):
    """Handing the main thread's hub to another thread with set_hub() is refused."""
    kind, error = in_plain_thread(set_hub, get_hub())
    assert kind == "error"
    assert isinstance(error, WrongThreadError)


def run_green_code_on_its_own_reactor():
    reactor = VirtualClockReactor(real_time_limit=10)
    hub = use_hub(reactor)
    try:
        eventlib.sleep(3600)
        return eventlib.spawn(hub.clock).wait()
    finally:
        hub.close()
        set_hub(None)
        reactor._poller.close()


def test_a_thread_with_its_own_reactor_runs_green_code(virtual_clock):
    """A thread that makes a hub over a reactor of its own runs green code there."""
    assert in_plain_thread(run_green_code_on_its_own_reactor) == ("ok", 3600)


def test_the_reactor_of_a_finished_thread_can_be_taken_over(virtual_clock):
    """Once the thread that ran a reactor has ended, another thread may use it."""
    reactor = VirtualClockReactor(real_time_limit=10)

    def claim():
        set_hub(eventlib.hub.Hub(reactor))
        set_hub(None)

    assert in_plain_thread(claim)[0] == "ok"
    assert in_plain_thread(claim)[0] == "ok"
    reactor._poller.close()
