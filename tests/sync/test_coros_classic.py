"""The classic eventlib.coros module: names, execute() and Actor."""

import pytest

import eventlib
from eventlib import coros, pool
from eventlib.event import NOT_USED


@pytest.mark.parametrize(
    ("classic", "modern"),
    [
        ("event", eventlib.Event),
        ("Event", eventlib.Event),
        ("queue", eventlib.Queue),
        ("Queue", eventlib.Queue),
        ("Channel", eventlib.Channel),
        ("Semaphore", eventlib.Semaphore),
        ("BoundedSemaphore", eventlib.BoundedSemaphore),
        ("CoroutinePool", pool.Pool),
        ("NOT_USED", NOT_USED),
    ],
)
def test_classic_name_is_the_modern_object(classic, modern):
    """coros.<name> is the modern object itself, not a second implementation."""
    assert getattr(coros, classic) is modern


def test_cancelled_is_a_runtime_error():
    """coros.Cancelled subclasses RuntimeError."""
    assert issubclass(coros.Cancelled, RuntimeError)


def test_every_exported_name_exists():
    """Every name in coros.__all__ is defined."""
    for name in coros.__all__:
        assert hasattr(coros, name), name


# -- execute -------------------------------------------------------------------


def test_execute_returns_an_event_with_the_result(virtual_clock):
    """execute(f, *a, **kw) runs f in a new proc and sends its result to the returned event."""

    def work(a, b, *, c):
        eventlib.sleep(2)
        return (a, b, c)

    event = coros.execute(work, 1, 2, c=3)
    assert isinstance(event, eventlib.Event)
    assert event.wait() == (1, 2, 3)
    assert virtual_clock.now() == 2


def test_execute_does_not_run_the_function_before_the_caller_yields(virtual_clock):
    """execute() returns before the function starts; it runs once the caller yields."""
    ran = []
    event = coros.execute(ran.append, "ran")
    assert ran == []
    assert not event.ready()
    event.wait()
    assert ran == ["ran"]


def test_execute_sends_a_failure_to_the_event(virtual_clock, hub_errors):
    """If the function raises, the event raises that exception (and the crash is reported)."""
    hub_errors.expect(ValueError)

    def fail():
        raise ValueError("bad input")

    event = coros.execute(fail)
    with pytest.raises(ValueError, match="bad input"):
        event.wait()
    assert event.has_exception()
    assert [type(error.exception) for error in hub_errors.errors] == [ValueError]


# -- Actor ---------------------------------------------------------------------


class Recorder(coros.Actor):
    """An actor that records each message, taking a virtual second per message."""

    def __init__(self, concurrency=1):
        self.received_messages = []
        self.active = 0
        self.peak = 0
        self.done = eventlib.Queue()
        super().__init__(concurrency)

    def received(self, message):
        self.active += 1
        self.peak = max(self.peak, self.active)
        eventlib.sleep(1)
        self.received_messages.append(message)
        self.active -= 1
        self.done.put(message)


def test_actor_receives_cast_messages_in_order(virtual_clock):
    """Messages cast to an Actor reach received() in the order they were cast."""
    actor = Recorder()
    for n in range(5):
        actor.cast(n)
    for _ in range(5):
        actor.done.get()
    assert actor.received_messages == [0, 1, 2, 3, 4]


def test_actor_with_concurrency_one_handles_one_message_at_a_time(virtual_clock):
    """Actor(concurrency=1) runs received() for one message at a time."""
    actor = Recorder(concurrency=1)
    for n in range(4):
        actor.cast(n)
    for _ in range(4):
        actor.done.get()
    assert actor.peak == 1
    assert virtual_clock.now() == 4


def test_actor_concurrency_bounds_parallel_messages(virtual_clock):
    """Actor(concurrency=n) handles up to n messages at once, never more."""
    actor = Recorder(concurrency=2)
    for n in range(6):
        actor.cast(n)
    for _ in range(6):
        actor.done.get()
    assert actor.peak == 2
    assert virtual_clock.now() == 3
    assert sorted(actor.received_messages) == list(range(6))


def test_actor_cast_does_not_block_or_switch(virtual_clock):
    """cast() returns at once without running the actor."""
    actor = Recorder()
    actor.cast("m")
    assert actor.received_messages == []
    assert virtual_clock.now() == 0
    actor.done.get()


def test_actor_cast_works_from_main_loop(virtual_clock, in_main_loop):
    """cast() is safe from MAIN_LOOP (a Twisted callback)."""
    actor = Recorder()
    in_main_loop(actor.cast, "from the reactor")
    assert actor.done.get() == "from the reactor"


def test_actor_runs_its_mailbox_in_its_own_proc(virtual_clock):
    """The actor's mailbox loop is a proc (the classic _killer) that can be killed."""
    actor = Recorder()
    assert isinstance(actor._killer, eventlib.Proc)
    eventlib.sleep(0)
    actor._killer.kill()
    assert actor._killer.dead
    actor.cast("ignored")
    eventlib.sleep(5)
    assert actor.received_messages == []


def test_actor_without_received_reports_not_implemented(virtual_clock, hub_errors):
    """The base Actor.received() raises NotImplementedError, reported to the hub."""
    hub_errors.expect(NotImplementedError)
    actor = coros.Actor()
    actor.cast("anything")
    eventlib.sleep(1)
    assert [type(error.exception) for error in hub_errors.errors] == [NotImplementedError]
