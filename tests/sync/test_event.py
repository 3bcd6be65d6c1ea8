"""eventlib.Event (also the classic coros.event): send, wait, reset, poll, timeouts."""

import sys
import time

import pytest

import eventlib
from eventlib import coros
from eventlib.event import NOT_USED, Event, EventStatistics


def _spawn_waiters(event, count, log):
    """Spawn ``count`` procs that wait on ``event`` and log (index, outcome)."""

    def waiter(index):
        try:
            log.append((index, "value", event.wait()))
        except Exception as exc:
            log.append((index, "error", exc))

    procs = [eventlib.spawn(waiter, index) for index in range(count)]
    eventlib.sleep(0)  # let them all park on the event
    return procs


def test_classic_names_are_the_same_class():
    """coros.event and eventlib.event.Event are eventlib.Event itself."""
    assert coros.event is Event
    assert eventlib.Event is Event
    assert coros.NOT_USED is NOT_USED


def test_wait_after_send_returns_the_value(virtual_clock):
    """wait() on a sent event returns the value at once."""
    event = Event()
    event.send("hello")
    assert event.wait() == "hello"
    assert virtual_clock.now() == 0


def test_wait_blocks_until_send(virtual_clock):
    """wait() parks until another proc sends, then returns the sent value."""
    event = Event()
    eventlib.spawn(lambda: (eventlib.sleep(5), event.send(42)))
    assert event.wait() == 42
    assert virtual_clock.now() == 5


def test_send_defaults_to_none(virtual_clock):
    """send() without arguments fires the event with None."""
    event = Event()
    event.send()
    assert event.ready()
    assert event.wait() is None


def test_wait_returns_the_value_every_time(virtual_clock):
    """A sent value can be waited for any number of times."""
    event = Event()
    event.send([1])
    assert [event.wait() for _ in range(3)] == [[1], [1], [1]]


def test_one_send_wakes_every_waiter(virtual_clock):
    """All waiters parked on the event get the sent value."""
    event = Event()
    log = []
    procs = _spawn_waiters(event, 10, log)
    assert event.statistics().waiters == 10
    event.send("go")
    eventlib.waitall(procs)
    assert sorted(log) == [(index, "value", "go") for index in range(10)]
    assert event.statistics().waiters == 0


def test_waiters_are_woken_in_arrival_order(virtual_clock):
    """Waiters present at send time resume in the order they started waiting."""
    event = Event()
    log = []
    procs = _spawn_waiters(event, 5, log)
    event.send("go")
    eventlib.waitall(procs)
    assert [index for index, _, _ in log] == [0, 1, 2, 3, 4]


def test_send_exception_raises_in_every_waiter(virtual_clock):
    """send_exception() makes every parked waiter raise that exception."""
    event = Event()
    log = []
    error = ValueError("boom")
    procs = _spawn_waiters(event, 3, log)
    event.send_exception(error)
    eventlib.waitall(procs)
    assert sorted(log, key=lambda entry: entry[0]) == [
        (0, "error", error),
        (1, "error", error),
        (2, "error", error),
    ]


def test_wait_after_send_exception_raises_every_time(virtual_clock):
    """A sent exception is raised again by every later wait()."""
    event = Event()
    event.send_exception(KeyError("k"))
    for _ in range(3):
        with pytest.raises(KeyError, match="k"):
            event.wait()


def _exc_info_of(error):
    try:
        raise error
    except type(error):
        return sys.exc_info()


@pytest.mark.parametrize(
    "throw_args",
    [
        pytest.param((ValueError,), id="class"),
        pytest.param((ValueError("msg"),), id="instance"),
        pytest.param((ValueError, "msg"), id="class-and-value"),
        pytest.param(_exc_info_of(ValueError("msg")), id="exc_info"),
    ],
)
def test_send_exception_accepts_greenlet_throw_arguments(virtual_clock, throw_args):
    """send_exception() takes what greenlet.throw takes: class, instance, (type, value, tb)."""
    event = Event()
    event.send_exception(*throw_args)
    with pytest.raises(ValueError):
        event.wait()


def test_send_with_exc_argument_raises_it(virtual_clock):
    """send(exc=instance) (classic spelling, not a tuple) makes wait() raise it."""
    event = Event()
    event.send(exc=OSError("down"))
    assert event.has_exception()
    with pytest.raises(OSError, match="down"):
        event.wait()


def test_send_exception_needs_an_exception():
    """send_exception() with no arguments is a TypeError and leaves the event fresh."""
    event = Event()
    with pytest.raises(TypeError):
        event.send_exception()
    assert not event.ready()


def test_send_does_not_switch(virtual_clock):
    """The sender keeps running after send(); waiters run only when it yields."""
    event = Event()
    order = []
    eventlib.spawn(lambda: (event.wait(), order.append("waiter")))
    eventlib.sleep(0)
    event.send()
    order.append("sender continues")
    assert event.statistics().waiters == 0
    eventlib.sleep(0)
    assert order == ["sender continues", "waiter"]


def test_resend_raises_the_classic_assertion(virtual_clock):
    """Sending a sent event raises AssertionError with the classic message."""
    event = Event()
    event.send(1)
    message = r"^Trying to re-send\(\) an already-triggered event\.$"
    with pytest.raises(AssertionError, match=message):
        event.send(2)
    with pytest.raises(AssertionError, match="re-send"):
        event.send_exception(ValueError)
    assert event.wait() == 1


def test_reset_makes_the_event_fresh(virtual_clock):
    """After reset() the event is not ready and can be sent again."""
    event = Event()
    event.send(1)
    event.reset()
    assert not event.ready()
    assert event.poll("fresh") == "fresh"
    event.send(2)
    assert event.wait() == 2


def test_reset_clears_a_sent_exception(virtual_clock):
    """reset() after send_exception() forgets the exception."""
    event = Event()
    event.send_exception(ValueError)
    event.reset()
    assert not event.has_exception()
    event.send("ok")
    assert event.wait() == "ok"


def test_reset_of_a_fresh_event_raises_the_classic_assertion():
    """reset() of an event never sent raises AssertionError with the classic message."""
    event = Event()
    with pytest.raises(AssertionError, match=r"^Trying to re-reset\(\) a fresh event\.$"):
        event.reset()


def test_reset_renews_epoch():
    """reset() sets epoch to the current wall-clock time."""
    event = Event()
    event.send()
    before = time.time()
    event.reset()
    assert before <= event.epoch <= time.time()


def test_wait_after_reset_blocks_again(virtual_clock):
    """A reset event blocks waiters until it is sent again."""
    event = Event()
    event.send("old")
    event.reset()
    eventlib.spawn(lambda: (eventlib.sleep(3), event.send("new")))
    assert event.wait() == "new"
    assert virtual_clock.now() == 3


def test_waiter_woken_after_send_then_reset_gets_the_sent_value(virtual_clock):
    """A waiter parked at send time gets the value even if the event is reset before it runs."""
    event = Event()
    log = []
    procs = _spawn_waiters(event, 2, log)
    event.send("sent")
    event.reset()
    eventlib.waitall(procs)
    assert sorted(log) == [(0, "value", "sent"), (1, "value", "sent")]
    assert not event.ready()


def test_waiter_woken_after_send_exception_then_reset_raises(virtual_clock):
    """A waiter parked at send_exception time raises it even after a reset."""
    event = Event()
    log = []
    error = ValueError("x")
    procs = _spawn_waiters(event, 1, log)
    event.send_exception(error)
    event.reset()
    eventlib.waitall(procs)
    assert log == [(0, "error", error)]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        pytest.param(None, (False, False, False), id="fresh"),
        pytest.param("value", (True, True, False), id="value"),
        pytest.param("none", (True, True, False), id="none-value"),
        pytest.param("exception", (True, False, True), id="exception"),
        pytest.param("reset", (False, False, False), id="reset"),
    ],
)
def test_ready_has_result_has_exception(action, expected):
    """ready(), has_result(), has_exception() reflect what was sent."""
    event = Event()
    if action == "value":
        event.send(5)
    elif action == "none":
        event.send(None)
    elif action == "exception":
        event.send_exception(ValueError)
    elif action == "reset":
        event.send(5)
        event.reset()
    assert (event.ready(), event.has_result(), event.has_exception()) == expected


def test_poll_of_a_fresh_event_returns_notready():
    """poll() returns None, or the given notready value, before send."""
    event = Event()
    assert event.poll() is None
    assert event.poll("not yet") == "not yet"


def test_poll_returns_the_sent_value():
    """poll() returns the sent value once sent."""
    event = Event()
    event.send(7)
    assert event.poll("not yet") == 7


def test_poll_raises_the_sent_exception():
    """poll() raises a sent exception (it is wait() when ready)."""
    event = Event()
    event.send_exception(ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        event.poll()


def test_poll_result_returns_value_only():
    """poll_result() gives the value, and notready for fresh or exception events."""
    fresh, valued, failed = Event(), Event(), Event()
    valued.send(3)
    failed.send_exception(ValueError)
    assert fresh.poll_result("n") == "n"
    assert valued.poll_result("n") == 3
    assert failed.poll_result("n") == "n"
    assert failed.poll_result() is None


def test_poll_exception_returns_throw_arguments_only():
    """poll_exception() gives the exception's throw arguments, else notready."""
    fresh, valued, failed = Event(), Event(), Event()
    error = ValueError("x")
    valued.send(3)
    failed.send_exception(error)
    assert fresh.poll_exception("n") == "n"
    assert valued.poll_exception("n") == "n"
    assert failed.poll_exception("n") == (error,)
    assert fresh.poll_exception() is None


def test_wait_with_timeout_raises_timeout_error(virtual_clock):
    """wait(timeout) on an unsent event raises eventlib.TimeoutError after timeout seconds."""
    event = Event()
    with pytest.raises(eventlib.TimeoutError):
        event.wait(2.5)
    assert virtual_clock.now() == 2.5
    assert event.statistics().waiters == 0


def test_wait_with_timeout_returns_value_sent_in_time(virtual_clock):
    """wait(timeout) returns a value sent before the timeout, and the timeout never fires."""
    event = Event()
    eventlib.spawn(lambda: (eventlib.sleep(1), event.send("in time")))
    assert event.wait(5) == "in time"
    assert virtual_clock.now() == 1
    eventlib.sleep(10)  # the cancelled timeout must not fire later


def test_wait_with_timeout_woken_in_the_turn_its_timeout_is_due_returns_the_value(
    virtual_clock,
):
    """A Twisted callback sending in the reactor turn the wait's timeout is due: wait() returns."""
    event = Event()
    outcome = []

    def wait():
        try:
            outcome.append(event.wait(1))
        except BaseException as error:
            outcome.append(repr(error))

    waiter = eventlib.spawn(wait)
    eventlib.sleep(0)
    eventlib.get_hub().reactor.callLater(0.5, event.send, "sent")
    virtual_clock.reactor.set_time(2)  # the next reactor turn finds both calls due
    waiter.wait()
    assert outcome == ["sent"]


def test_wait_with_timeout_and_none_returns_none(virtual_clock):
    """wait(timeout, None) returns None on timeout instead of raising."""
    event = Event()
    assert event.wait(3, None) is None
    assert virtual_clock.now() == 3
    assert event.statistics().waiters == 0


@pytest.mark.parametrize(
    "throw_arg", [pytest.param(KeyError, id="class"), pytest.param(KeyError("t"), id="instance")]
)
def test_wait_with_timeout_raises_the_given_exception(virtual_clock, throw_arg):
    """wait(timeout, exc) raises exc (class or instance) on timeout."""
    event = Event()
    with pytest.raises(KeyError):
        event.wait(1, throw_arg)


def test_wait_zero_on_unsent_event_raises_without_blocking(virtual_clock):
    """wait(0) on an unsent event raises TimeoutError at once and leaves no waiter behind."""
    event = Event()
    with pytest.raises(eventlib.TimeoutError):
        event.wait(0)
    assert virtual_clock.now() == 0
    assert event.statistics().waiters == 0


def test_wait_zero_with_none_polls(virtual_clock):
    """wait(0, None) is poll(): None before send, the value after."""
    event = Event()
    assert event.wait(0, None) is None
    event.send("v")
    assert event.wait(0, None) == "v"
    assert event.wait(0) == "v"


def test_wait_zero_from_main_loop_does_not_block(virtual_clock, in_main_loop):
    """wait(0) from MAIN_LOOP polls: a value if sent, TimeoutError (not blocking) if not."""
    event = Event()
    with pytest.raises(eventlib.TimeoutError):
        in_main_loop(event.wait, 0)
    assert in_main_loop(event.wait, 0, None) is None
    event.send("v")
    assert in_main_loop(event.wait, 0) == "v"


def test_killed_waiter_is_forgotten(virtual_clock):
    """A waiter killed while waiting is removed from the event and the event still works."""
    event = Event()
    proc = eventlib.spawn(event.wait)
    eventlib.sleep(0)
    assert event.statistics().waiters == 1
    proc.kill()
    assert proc.dead
    assert event.statistics().waiters == 0
    event.send(1)
    assert event.wait() == 1


def test_statistics_reports_ready_and_waiters(virtual_clock):
    """statistics() is a frozen snapshot of readiness and the number of waiters."""
    event = Event()
    _spawn_waiters(event, 2, [])
    stats = event.statistics()
    assert stats == EventStatistics(ready=False, waiters=2)
    event.send()
    assert event.statistics() == EventStatistics(ready=True, waiters=0)
    assert stats.waiters == 2  # a snapshot, not a live view
    with pytest.raises(AttributeError):
        stats.waiters = 0  # type: ignore[misc]
    eventlib.sleep(0)


def test_repr_shows_state():
    """repr() says whether the event is ready or how many wait."""
    event = Event()
    assert "waiting(0)" in repr(event)
    event.send()
    assert "ready" in repr(event)
