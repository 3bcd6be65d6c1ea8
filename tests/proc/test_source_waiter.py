"""Source on its own (the link machinery) and the classic proc.Waiter."""

import sys

import pytest

import eventlib
from eventlib import Event, proc
from eventlib.event import NOT_USED
from eventlib.hub import BlockingInMainLoopError, sleep
from eventlib.proc import Source, Waiter

# -- Source -------------------------------------------------------------------


def test_source_starts_unfired():
    """A new Source is not ready, has no value (NOT_USED) and no exception."""
    source = Source("s")
    assert source.name == "s"
    assert not source.ready()
    assert not source.has_value()
    assert not source.has_exception()
    assert source.value is NOT_USED
    assert source.exc_info() == (None, None, None)


def test_source_send_sets_the_value():
    """send(v) makes the source ready with value v."""
    source = Source()
    source.send("v")
    assert source.ready()
    assert source.has_value()
    assert source.value == "v"


def test_source_send_defaults_to_none():
    """send() with no argument sends None (a value, not nothing)."""
    source = Source()
    source.send()
    assert source.has_value()
    assert source.value is None


def test_source_send_twice_raises_assertion_error():
    """A source fires once: a second send raises AssertionError 'has been fired already'."""
    source = Source()
    source.send(1)
    with pytest.raises(AssertionError, match="has been fired already"):
        source.send(2)
    assert source.value == 1


def test_source_send_exception_after_send_raises_assertion_error():
    """send_exception after send raises AssertionError too."""
    source = Source()
    source.send(1)
    with pytest.raises(AssertionError, match="has been fired already"):
        source.send_exception(ValueError)


def test_source_send_after_send_exception_raises_assertion_error():
    """send after send_exception raises AssertionError."""
    source = Source()
    source.send_exception(ValueError)
    with pytest.raises(AssertionError, match="has been fired already"):
        source.send(1)


def test_source_send_exception_needs_an_exception():
    """send_exception() with no arguments raises TypeError and leaves the source unfired."""
    source = Source()
    with pytest.raises(TypeError):
        source.send_exception()
    assert not source.ready()


def test_source_value_is_none_after_an_exception():
    """After send_exception the value is None."""
    source = Source()
    source.send_exception(ValueError("x"))
    assert source.has_exception()
    assert not source.has_value()
    assert source.value is None


def test_exc_info_of_a_class_is_class_none_none():
    """send_exception(Class) gives exc_info() == (Class, None, None)."""
    source = Source()
    source.send_exception(ValueError)
    assert source.exc_info() == (ValueError, None, None)


def test_exc_info_of_an_instance_is_type_instance_none():
    """send_exception(instance) gives (type(instance), instance, None)."""
    source = Source()
    error = ValueError("x")
    source.send_exception(error)
    assert source.exc_info() == (ValueError, error, None)


def test_exc_info_of_a_triple_is_the_triple():
    """send_exception(*sys.exc_info()) gives that (type, value, traceback) back."""
    source = Source()
    try:
        raise ValueError("x")
    except ValueError:
        info = sys.exc_info()
    source.send_exception(*info)
    assert source.exc_info() == info


def test_exc_info_of_class_and_message_builds_the_instance():
    """send_exception(Class, "msg") (greenlet.throw style) gives an instance with that message."""
    source = Source()
    source.send_exception(ValueError, "msg")
    typ, value, tb = source.exc_info()
    assert typ is ValueError
    assert isinstance(value, ValueError)
    assert value.args == ("msg",)
    assert tb is None


def test_source_wait_returns_the_value(virtual_clock):
    """wait() on a source blocks until send and returns the value."""
    source = Source()
    eventlib.spawn(lambda: (sleep(2), source.send("v")))
    assert source.wait() == "v"
    assert virtual_clock.now() == 2


@pytest.mark.parametrize(
    "throw_args",
    [(KeyError,), (KeyError("k"),), (KeyError, KeyError("k"), None)],
    ids=["class", "instance", "triple"],
)
def test_source_wait_raises_the_exception(virtual_clock, throw_args):
    """wait() raises what send_exception got, in any of its forms."""
    source = Source()
    source.send_exception(*throw_args)
    with pytest.raises(KeyError):
        source.wait()


def test_source_wait_timeout(virtual_clock):
    """wait(timeout) on an unfired source raises TimeoutError; wait(timeout, None) returns None."""
    source = Source()
    with pytest.raises(eventlib.TimeoutError):
        source.wait(1)
    assert source.wait(1, None) is None
    assert virtual_clock.now() == 2


def test_source_wait_from_main_loop_raises(virtual_clock, in_main_loop):
    """wait() from MAIN_LOOP on an unfired source raises BlockingInMainLoopError."""
    with pytest.raises(BlockingInMainLoopError):
        in_main_loop(Source().wait)


def test_source_links_to_another_source(virtual_clock):
    """A Source is a send-listener: linking one source to another forwards the value."""
    first, second = Source(), Source()
    first.link(second)
    first.send("v")
    assert second.wait() == "v"


def test_source_forwards_an_exception_to_an_event(virtual_clock):
    """A Source linked to an Event forwards its exception."""
    source = Source()
    event = Event()
    source.link(event)
    source.send_exception(KeyError("k"))
    with pytest.raises(KeyError):
        event.wait()


def test_source_send_is_safe_from_main_loop(virtual_clock, in_main_loop):
    """send() from MAIN_LOOP never blocks; the waiting proc gets the value."""
    source = Source()
    waiter = eventlib.spawn(source.wait)
    sleep(0)
    in_main_loop(source.send, "v")
    assert waiter.wait() == "v"


def test_source_repr_shows_the_state():
    """repr(source) says pending, the value, or the exception."""
    source = Source("s")
    assert "pending" in repr(source)
    source.send(5)
    assert "value=5" in repr(source)
    failed = Source("f")
    failed.send_exception(KeyError("k"))
    assert "KeyError" in repr(failed)


# -- Waiter -------------------------------------------------------------------


def test_waiter_wait_returns_what_send_sends(virtual_clock):
    """Waiter.wait() blocks until send(v) and returns v."""
    waiter = Waiter()
    eventlib.spawn(lambda: (sleep(1), waiter.send("v")))
    assert waiter.wait() == "v"
    assert virtual_clock.now() == 1


def test_waiter_send_exception_raises_in_the_waiter(virtual_clock):
    """send_exception(...) makes wait() raise it."""
    waiter = Waiter()
    eventlib.spawn(lambda: (sleep(1), waiter.send_exception(KeyError("k"))))
    with pytest.raises(KeyError):
        waiter.wait()


def test_waiter_send_with_nobody_waiting_is_dropped(virtual_clock):
    """A send with nobody waiting is lost: the next wait() waits for the next send."""
    waiter = Waiter()
    waiter.send("lost")
    waiter.send_exception(KeyError)
    eventlib.spawn(lambda: (sleep(1), waiter.send("kept")))
    assert waiter.wait() == "kept"


def test_waiter_is_reusable(virtual_clock):
    """After a wait() returned, the same Waiter can be waited on again."""
    waiter = Waiter()
    eventlib.spawn(lambda: (sleep(1), waiter.send(1), sleep(1), waiter.send(2)))
    assert [waiter.wait(), waiter.wait()] == [1, 2]


def test_waiter_allows_one_waiting_green_thread(virtual_clock):
    """A second simultaneous wait() raises RuntimeError."""
    waiter = Waiter()
    first = eventlib.spawn(waiter.wait)
    sleep(0)
    with pytest.raises(RuntimeError):
        waiter.wait()
    waiter.send("v")
    assert first.wait() == "v"


def test_waiter_send_from_main_loop(virtual_clock, in_main_loop):
    """send() from MAIN_LOOP wakes the waiting proc."""
    waiter = Waiter()
    p = eventlib.spawn(waiter.wait)
    sleep(0)
    in_main_loop(waiter.send, "v")
    assert p.wait() == "v"


def test_waiter_as_link_listener(virtual_clock):
    """A proc linked to a waiting Waiter delivers its value through send()."""
    waiter = Waiter()
    p = proc.spawn(lambda: (sleep(1), "v")[1])
    p.link(waiter)
    assert waiter.wait() == "v"


def test_waiter_wait_from_main_loop_raises(virtual_clock, in_main_loop):
    """Waiter.wait() from MAIN_LOOP raises BlockingInMainLoopError."""
    with pytest.raises(BlockingInMainLoopError):
        in_main_loop(Waiter().wait)
