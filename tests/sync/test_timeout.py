"""Timeout, with_timeout and exc_after."""

import builtins
import math

import pytest

import eventlib
from eventlib import hub
from eventlib.timeout import Timeout, TimeoutError, exc_after, with_timeout


def test_timeout_error_is_the_builtin_timeout_error_subclass():
    """eventlib.TimeoutError subclasses the builtin TimeoutError and is one class everywhere."""
    assert issubclass(TimeoutError, builtins.TimeoutError)
    assert TimeoutError is not builtins.TimeoutError
    assert eventlib.TimeoutError is TimeoutError is hub.TimeoutError


def test_timeout_raises_timeout_error_naming_the_timeout(virtual_clock):
    """A Timeout that fires raises eventlib.TimeoutError whose .timeout is that Timeout."""
    with pytest.raises(TimeoutError) as caught, Timeout(2) as timeout:
        eventlib.sleep(10)
    assert caught.value.timeout is timeout
    assert isinstance(caught.value, builtins.TimeoutError)
    assert timeout.expired
    assert not timeout.pending
    assert virtual_clock.now() == 2


def test_block_finishing_in_time_is_not_interrupted(virtual_clock):
    """A block that ends before the deadline runs to the end and is never interrupted later."""
    with Timeout(5) as timeout:
        assert timeout.pending
        eventlib.sleep(1)
    assert not timeout.expired
    assert not timeout.pending
    eventlib.sleep(10)
    assert virtual_clock.now() == 11


def test_custom_exception_class_is_raised(virtual_clock):
    """Timeout(seconds, SomeError) raises a new SomeError when it fires."""
    with pytest.raises(KeyError), Timeout(1, KeyError):
        eventlib.sleep(5)


def test_custom_exception_instance_is_raised_as_is(virtual_clock):
    """Timeout(seconds, instance) raises that very instance."""
    error = ValueError("too slow")
    with pytest.raises(ValueError, match="too slow") as caught, Timeout(1, error):
        eventlib.sleep(5)
    assert caught.value is error


@pytest.mark.parametrize("exception", [42, "boom", object()])
def test_invalid_exception_is_a_type_error_at_once(exception):
    """Timeout with an exception that is not None, False, a class or an instance fails when made."""
    with pytest.raises(TypeError, match="Timeout exception"):
        Timeout(1, exception)


def test_silent_timeout_leaves_the_block(virtual_clock):
    """Timeout(seconds, False) ends the with block quietly and sets expired."""
    reached = []
    with Timeout(3, False) as timeout:
        eventlib.sleep(10)
        reached.append("end of block")
    assert reached == []
    assert timeout.expired
    assert virtual_clock.now() == 3


def test_cancel_inside_the_block_disarms_the_timeout(virtual_clock):
    """cancel() in the block: the timeout never fires."""
    with Timeout(1) as timeout:
        timeout.cancel()
        eventlib.sleep(5)
    assert not timeout.expired
    assert virtual_clock.now() == 5


def test_cancel_is_idempotent_and_safe_before_start():
    """cancel() on a never-started or already-cancelled Timeout does nothing."""
    timeout = Timeout(1)
    timeout.cancel()
    timeout.cancel()
    assert not timeout.pending


def test_seconds_none_never_fires(virtual_clock):
    """Timeout(None) is disabled: the block may take any time."""
    with Timeout(None) as timeout:
        assert not timeout.pending
        eventlib.sleep(1e6)
    assert not timeout.expired


def test_zero_seconds_fires_at_the_next_block(virtual_clock):
    """Timeout(0) interrupts the first blocking call without letting time pass."""
    with pytest.raises(TimeoutError), Timeout(0):
        eventlib.sleep(1)
    assert virtual_clock.now() == 0


@pytest.mark.parametrize("seconds", [-1, math.nan])
def test_bad_seconds_is_a_value_error(seconds):
    """A negative or NaN delay is a ValueError."""
    with pytest.raises(ValueError, match="Timeout seconds must be a number of seconds >= 0"):
        Timeout(seconds)


@pytest.mark.parametrize("seconds", ["5", True, [1]])
def test_seconds_that_are_not_a_number_are_a_type_error(seconds):
    """Timeout("5") is a TypeError naming the argument, not a bare comparison error."""
    with pytest.raises(TypeError, match=r"Timeout seconds must be None \(no limit\) or a number"):
        Timeout(seconds)


def test_start_twice_is_a_runtime_error(virtual_clock):
    """start() on a pending Timeout raises RuntimeError."""
    timeout = Timeout.start_new(5)
    try:
        assert timeout.pending
        with pytest.raises(RuntimeError, match="already started"):
            timeout.start()
    finally:
        timeout.cancel()


def test_a_timeout_can_be_restarted_after_it_fired(virtual_clock):
    """A Timeout that fired can be started again and fires again."""
    timeout = Timeout(1)
    for _ in range(2):
        with pytest.raises(TimeoutError), timeout:
            eventlib.sleep(5)
    assert virtual_clock.now() == 2


def test_start_new_returns_a_started_timeout(virtual_clock):
    """Timeout.start_new(seconds) arms a Timeout for the caller."""
    timeout = Timeout.start_new(2, False)
    with pytest.raises(BaseException, match="silent") as caught:
        eventlib.sleep(5)
    assert timeout.expired
    assert type(caught.value).__name__ == "_SilentTimeout"
    assert virtual_clock.now() == 2


def test_timeout_started_in_main_loop_never_fires(virtual_clock, in_main_loop):
    """A Timeout started from MAIN_LOOP (which cannot block) is inert."""
    timeout = in_main_loop(Timeout(0).start)
    assert not timeout.pending
    eventlib.sleep(1)
    assert not timeout.expired


def test_timeout_does_not_swallow_the_blocks_exceptions(virtual_clock):
    """An exception raised in the block passes through every kind of Timeout."""
    for exception in (None, False, KeyError):
        with pytest.raises(ZeroDivisionError), Timeout(5, exception):
            1 / 0  # noqa: B018 - the point is the exception


def test_timeout_does_not_swallow_a_foreign_timeout_error(virtual_clock):
    """A TimeoutError raised by other code passes through a silent Timeout."""
    with pytest.raises(TimeoutError) as caught, Timeout(5, False):
        raise TimeoutError("someone else's")
    assert caught.value.timeout is None


# -- nesting -------------------------------------------------------------------


@pytest.mark.parametrize("outer_exception", [None, False, KeyError])
def test_nested_inner_fires_first_with_its_own_error(virtual_clock, outer_exception):
    """When the inner Timeout fires first, its error (not the outer's) reaches the code."""
    with Timeout(5, outer_exception) as outer:
        with pytest.raises(TimeoutError) as caught, Timeout(1) as inner:
            eventlib.sleep(10)
        assert caught.value.timeout is inner
        assert not outer.expired
        assert outer.pending
    assert virtual_clock.now() == 1


def test_nested_inner_silent_fires_first_and_outer_still_fires(virtual_clock):
    """A silent inner Timeout leaves its block; the outer one later fires on its own."""
    trace = []
    with pytest.raises(TimeoutError) as caught, Timeout(5) as outer:
        with Timeout(1, False) as inner:
            eventlib.sleep(10)
        trace.append(("after inner", virtual_clock.now()))
        eventlib.sleep(10)
    assert trace == [("after inner", 1)]
    assert inner.expired
    assert caught.value.timeout is outer
    assert virtual_clock.now() == 5


@pytest.mark.parametrize("inner_exception", [None, False, KeyError])
def test_nested_outer_fires_first_and_passes_through_the_inner(virtual_clock, inner_exception):
    """When the outer Timeout fires first, the inner block does not swallow its error."""
    trace = []
    with pytest.raises(TimeoutError) as caught, Timeout(1) as outer:
        with Timeout(5, inner_exception) as inner:
            eventlib.sleep(10)
        trace.append("after inner")
    assert trace == []
    assert caught.value.timeout is outer
    assert not inner.expired
    assert not inner.pending
    assert virtual_clock.now() == 1


def test_nested_silent_outer_fires_first_through_a_silent_inner(virtual_clock):
    """A silent outer Timeout ends its own block even through a silent inner one."""
    trace = []
    with Timeout(1, False) as outer:
        with Timeout(5, False) as inner:
            eventlib.sleep(10)
        trace.append("after inner")
    trace.append("after outer")
    assert trace == ["after outer"]
    assert outer.expired
    assert not inner.expired
    eventlib.sleep(10)  # the cancelled inner timeout never fires


def test_nested_same_exception_instance_is_attributed_to_the_firing_timeout(virtual_clock):
    """Two Timeouts raising TimeoutError: each error names its own Timeout."""
    with Timeout(3) as outer:
        for _ in range(2):
            with pytest.raises(TimeoutError) as caught, Timeout(1) as inner:
                eventlib.sleep(10)
            assert caught.value.timeout is inner
        with pytest.raises(TimeoutError) as caught:
            eventlib.sleep(10)
        assert caught.value.timeout is outer


# -- procs and reused greenlets --------------------------------------------------


def test_timeout_of_a_finished_proc_does_not_fire_into_the_next_proc(virtual_clock):
    """A Timeout left armed by a proc that returned never hits the proc run next on its greenlet."""

    def leave_timeout_armed():
        Timeout.start_new(1)

    first = eventlib.spawn(leave_timeout_armed)
    first.wait()
    second = eventlib.spawn(eventlib.sleep, 5)
    eventlib.sleep(0)
    assert second.greenlet is first.greenlet, "expected the idle greenlet to be reused"
    assert second.wait() is None
    assert virtual_clock.now() == 5


def test_exc_after_of_a_finished_proc_does_not_fire_into_the_next_proc(virtual_clock):
    """exc_after() armed by a proc that returned never hits the proc run next on its greenlet."""
    first = eventlib.spawn(exc_after, 1, ValueError)
    first.wait()
    second = eventlib.spawn(eventlib.sleep, 5)
    eventlib.sleep(0)
    assert second.greenlet is first.greenlet, "expected the idle greenlet to be reused"
    assert second.wait() is None


def test_timeout_in_another_proc_interrupts_only_that_proc(virtual_clock, hub_errors):
    """A Timeout armed in one proc interrupts that proc, not the one that spawned it."""
    hub_errors.expect(TimeoutError)

    def slow():
        with Timeout(1):
            eventlib.sleep(10)

    proc = eventlib.spawn(slow)
    with pytest.raises(TimeoutError):
        proc.wait()
    eventlib.sleep(5)
    assert virtual_clock.now() == 6


def test_block_left_in_the_turn_its_timeout_is_due_does_not_crash(virtual_clock):
    """A block resumed in the same reactor turn its Timeout is due leaves it without an error."""
    outcome = []

    def body():
        try:
            with Timeout(1):
                eventlib.sleep(0.5)  # due in the same reactor turn as the timeout (below)
        except BaseException as error:
            outcome.append(repr(error))
        else:
            outcome.append("left the block")

    proc = eventlib.spawn(body)
    eventlib.sleep(0)
    virtual_clock.reactor.set_time(2)  # the next turn finds both timers due
    proc.wait()
    assert outcome == ["left the block"]


# -- with_timeout ----------------------------------------------------------------


def test_with_timeout_returns_the_result_and_forwards_arguments(virtual_clock):
    """with_timeout(seconds, f, *args, **kwargs) returns f(*args, **kwargs)."""

    def add(a, b, *, c):
        eventlib.sleep(1)
        return a + b + c

    assert with_timeout(5, add, 1, 2, c=3) == 6
    eventlib.sleep(10)  # its timer was cancelled


def test_with_timeout_raises_timeout_error(virtual_clock):
    """with_timeout raises TimeoutError when the function takes too long."""
    with pytest.raises(TimeoutError) as caught:
        with_timeout(2, eventlib.sleep, 10)
    assert isinstance(caught.value.timeout, Timeout)
    assert virtual_clock.now() == 2


def test_with_timeout_returns_timeout_value(virtual_clock):
    """with_timeout(..., timeout_value=v) returns v on timeout; f never sees the keyword."""
    seen = []

    def slow(**kwargs):
        seen.append(kwargs)
        eventlib.sleep(10)

    assert with_timeout(1, slow, timeout_value="late") == "late"
    assert seen == [{}]


def test_with_timeout_returns_a_none_timeout_value(virtual_clock):
    """timeout_value=None is a value like any other: None is returned on timeout."""
    assert with_timeout(1, eventlib.sleep, 10, timeout_value=None) is None
    assert virtual_clock.now() == 1


def test_with_timeout_passes_foreign_timeout_errors_through(virtual_clock):
    """A TimeoutError that is not with_timeout's own propagates even with timeout_value."""

    def inner_timeout():
        with Timeout(1):
            eventlib.sleep(10)

    with pytest.raises(TimeoutError) as caught:
        with_timeout(5, inner_timeout, timeout_value="never")
    assert caught.value.timeout is not None
    assert virtual_clock.now() == 1

    def raises_timeout_error():
        raise TimeoutError("not mine")

    with pytest.raises(TimeoutError, match="not mine"):
        with_timeout(5, raises_timeout_error, timeout_value="never")


def test_with_timeout_passes_other_exceptions_through(virtual_clock):
    """An exception from the function propagates and the timer is cancelled."""
    with pytest.raises(ZeroDivisionError):
        with_timeout(1, lambda: 1 / 0)
    eventlib.sleep(5)


def test_with_timeout_none_never_times_out(virtual_clock):
    """with_timeout(None, f) waits as long as f takes."""
    with_timeout(None, eventlib.sleep, 1e5)
    assert virtual_clock.now() == 1e5


# -- exc_after -----------------------------------------------------------------


def test_exc_after_throws_timeout_error_by_default(virtual_clock):
    """exc_after(seconds) throws eventlib.TimeoutError into the caller after seconds."""
    timer = exc_after(2)
    with pytest.raises(TimeoutError):
        eventlib.sleep(10)
    assert virtual_clock.now() == 2
    assert timer.called


@pytest.mark.parametrize(
    ("throw_args", "expected"),
    [
        pytest.param((ValueError,), ValueError, id="class"),
        pytest.param((ValueError("x"),), ValueError, id="instance"),
        pytest.param((KeyError, "k"), KeyError, id="class-and-value"),
    ],
)
def test_exc_after_throws_the_given_exception(virtual_clock, throw_args, expected):
    """exc_after(seconds, *throw_args) throws like greenlet.throw(*throw_args)."""
    exc_after(1, *throw_args)
    with pytest.raises(expected):
        eventlib.sleep(10)


def test_exc_after_cancelled_never_fires(virtual_clock):
    """cancel() on the timer exc_after returned stops it."""
    timer = exc_after(1, ValueError)
    eventlib.sleep(0.5)
    timer.cancel()
    eventlib.sleep(5)
    assert timer.cancelled
    assert virtual_clock.now() == 5.5


def test_repr_shows_state(virtual_clock):
    """repr() says idle, pending or expired."""
    timeout = Timeout(1, False)
    assert "idle" in repr(timeout)
    with timeout:
        assert "pending" in repr(timeout)
        eventlib.sleep(2)
    assert "expired" in repr(timeout)
