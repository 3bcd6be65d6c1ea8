"""Link semantics: when links fire, how often, relink/unlink/cancel, errors in listeners."""

import pytest
from greenlet import getcurrent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlib import Event, proc
from eventlib.hub import get_hub, sleep
from eventlib.proc import (
    Link,
    LinkedCompleted,
    LinkedExited,
    LinkedFailed,
    LinkedKilled,
    ProcExit,
    Source,
)


class Recorder:
    """A callable listener that records every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, source):
        self.calls.append(source)


def test_link_returns_a_link_object(virtual_clock):
    """link() returns a Link naming its source and listener."""
    p = proc.spawn(lambda: None)
    listener = Recorder()
    link = p.link(listener)
    assert isinstance(link, Link)
    assert link.source is p
    assert link.listener is listener


def test_link_fires_from_main_loop(virtual_clock):
    """A listener runs in MAIN_LOOP, not in the finished proc nor in the linker."""
    where = []
    p = proc.spawn(lambda: None)
    p.link(lambda _source: where.append(getcurrent()))
    p.wait()
    sleep(0)
    assert where == [get_hub().greenlet]


def test_link_fires_on_the_turn_after_the_result(virtual_clock):
    """Sending a result never calls a listener synchronously; the next turn does."""
    source = Source()
    listener = Recorder()
    source.link(listener)
    source.send(1)
    assert listener.calls == []
    sleep(0)
    assert listener.calls == [source]


def test_link_after_exit_fires_on_next_turn(virtual_clock):
    """Linking to a finished proc schedules the notification for the next turn."""
    p = proc.spawn(lambda: 5)
    p.wait()
    listener = Recorder()
    p.link(listener)
    assert listener.calls == []
    sleep(0)
    assert listener.calls == [p]


def test_link_after_exit_fires_once(virtual_clock):
    """A link made after the proc finished fires once however long we wait."""
    p = proc.spawn(lambda: 5)
    p.wait()
    listener = Recorder()
    p.link(listener)
    sleep(0)
    sleep(10)
    assert listener.calls == [p]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("link", LinkedCompleted), ("link_value", LinkedCompleted)],
)
def test_link_after_return_raises_at_once_in_the_linking_listener(virtual_clock, method, expected):
    """Linking the caller itself to a proc that returned raises LinkedCompleted synchronously."""
    p = proc.spawn(lambda: 5)
    p.wait()
    with pytest.raises(expected):
        getattr(p, method)()


@pytest.mark.parametrize("method", ["link", "link_exception"])
def test_link_after_failure_raises_at_once_in_the_linking_listener(
    virtual_clock, hub_errors, method
):
    """Linking the caller itself to a failed proc raises LinkedFailed synchronously."""
    hub_errors.expect(ValueError)
    p = proc.spawn(int, "x")
    with pytest.raises(ValueError):
        p.wait()
    with pytest.raises(LinkedFailed) as info:
        getattr(p, method)()
    assert info.value.typ is ValueError


def test_link_after_kill_raises_linked_killed_at_once_in_the_linking_listener(virtual_clock):
    """Linking the caller itself to a killed proc raises LinkedKilled synchronously."""
    p = proc.spawn(sleep, 100)
    sleep(0)
    p.kill()
    with pytest.raises(LinkedKilled):
        p.link()


def test_link_to_getcurrent_after_exit_raises_at_once(virtual_clock):
    """link(getcurrent()) to a finished proc raises at once: the listener is the caller's proc."""
    p = proc.spawn(lambda: 5)
    p.wait()
    with pytest.raises(LinkedCompleted):
        p.link(getcurrent())


def test_link_value_after_failure_returns_none(virtual_clock, hub_errors):
    """link_value on a proc that already failed does nothing and returns None."""
    hub_errors.expect(ValueError)
    p = proc.spawn(int, "x")
    with pytest.raises(ValueError):
        p.wait()
    listener = Recorder()
    assert p.link_value(listener) is None
    assert p.link_value() is None  # not even the caller itself
    sleep(0)
    assert listener.calls == []


def test_link_exception_after_return_returns_none(virtual_clock):
    """link_exception on a proc that already returned does nothing and returns None."""
    p = proc.spawn(lambda: 1)
    p.wait()
    listener = Recorder()
    assert p.link_exception(listener) is None
    assert p.link_exception() is None
    sleep(0)
    assert listener.calls == []


def test_link_exception_does_not_fire_on_return(virtual_clock):
    """A link_exception listener stays silent when the proc returns."""
    p = proc.spawn(lambda: 1)
    listener = Recorder()
    p.link_exception(listener)
    p.wait()
    sleep(0)
    assert listener.calls == []


def test_a_value_lets_go_of_exception_listeners_at_once(virtual_clock):
    """A Source that gets a value drops its link_exception listeners on the spot (nothing
    keeps them until the next hub turn), and calls none of them; other links still fire."""
    import gc
    import weakref

    source = Source("request")
    silent, heard = Recorder(), Recorder()
    source.link_exception(silent)
    gone = weakref.ref(silent)
    del silent
    source.send(7)
    gc.collect()
    assert gone() is None
    other = Source("other")
    other.link_exception(Recorder())
    other.link_value(heard)
    other.send(8)
    sleep(0)
    assert [s.value for s in heard.calls] == [8]


def test_link_value_does_not_fire_on_failure(virtual_clock, hub_errors):
    """A link_value listener stays silent when the proc raises."""
    hub_errors.expect(ValueError)
    p = proc.spawn(int, "x")
    listener = Recorder()
    p.link_value(listener)
    with pytest.raises(ValueError):
        p.wait()
    sleep(0)
    assert listener.calls == []


def test_each_link_fires_exactly_once(virtual_clock):
    """Every listener fires once, and never again on later turns."""
    p = proc.spawn(sleep, 1)
    listeners = [Recorder() for _ in range(3)]
    for listener in listeners:
        p.link(listener)
    p.wait()
    sleep(0)
    sleep(5)
    assert [listener.calls for listener in listeners] == [[p], [p], [p]]


def test_listeners_fire_in_link_order(virtual_clock):
    """Listeners are called in the order they were linked."""
    order = []
    source = Source()
    for n in range(5):
        source.link(lambda _s, n=n: order.append(n))
    source.send(None)
    sleep(0)
    assert order == [0, 1, 2, 3, 4]


def test_relinking_the_same_listener_replaces_it(virtual_clock):
    """Linking one listener twice keeps one link: it fires once."""
    p = proc.spawn(lambda: 1)
    listener = Recorder()
    p.link(listener)
    p.link(listener)
    p.wait()
    sleep(0)
    assert listener.calls == [p]


def test_relinking_the_caller_with_spawn_link_fires_once(virtual_clock):
    """link() twice from the same proc throws one LinkedCompleted, not two."""
    p = proc.spawn_link(lambda: 1)
    p.link()
    with pytest.raises(LinkedCompleted):
        sleep(10)
    sleep(10)  # a second LinkedCompleted would be raised here


def test_unlink_removes_only_that_listener(virtual_clock):
    """unlink(listener) removes that listener; the others still fire."""
    p = proc.spawn(lambda: 1)
    kept, removed = Recorder(), Recorder()
    p.link(kept)
    p.link(removed)
    p.unlink(removed)
    p.wait()
    sleep(0)
    assert kept.calls == [p]
    assert removed.calls == []


def test_unlink_an_absent_listener_is_silent(virtual_clock):
    """unlink() of a listener that was never linked does nothing and raises nothing."""
    p = proc.spawn(lambda: 1)
    p.unlink(Recorder())
    p.unlink()
    assert p.wait() == 1


def test_unlink_after_fired_is_silent(virtual_clock):
    """unlink() of a listener that already fired does nothing."""
    p = proc.spawn(lambda: 1)
    listener = Recorder()
    p.link(listener)
    p.wait()
    sleep(0)
    p.unlink(listener)
    assert listener.calls == [p]


def test_unlink_with_no_argument_removes_the_calling_proc(virtual_clock):
    """p.link() then p.unlink() from the same proc: nothing is thrown in."""
    p = proc.spawn_link(lambda: 1)
    p.unlink()
    p.wait()
    sleep(10)
    assert p.value == 1


def test_unlink_before_its_turn_skips_the_listener(virtual_clock):
    """A listener unlinked by an earlier listener during notification is skipped."""
    source = Source()
    late = Recorder()
    source.link(lambda s: s.unlink(late))
    source.link(late)
    source.send(None)
    sleep(0)
    assert late.calls == []


def test_unlink_of_a_finished_source_before_its_turn_skips_the_listener(virtual_clock):
    """Unlinking between the result and the notification turn cancels the notification."""
    source = Source()
    listener = Recorder()
    source.link(listener)
    source.send(None)
    source.unlink(listener)
    sleep(0)
    assert listener.calls == []


def test_link_cancel_removes_the_link(virtual_clock):
    """Link.cancel() unlinks that listener."""
    p = proc.spawn(lambda: 1)
    listener = Recorder()
    link = p.link(listener)
    link.cancel()
    p.wait()
    sleep(0)
    assert listener.calls == []


def test_link_as_context_manager_unlinks_on_exit(virtual_clock):
    """`with p.link(listener):` unlinks when the block ends."""
    p = proc.spawn(sleep, 1)
    listener = Recorder()
    with p.link(listener) as link:
        assert isinstance(link, Link)
    p.wait()
    sleep(0)
    assert listener.calls == []


def test_link_as_context_manager_catches_the_linked_exit_inside(virtual_clock):
    """Inside `with p.link():` the block is interrupted by LinkedExited when p ends."""
    p = proc.spawn(sleep, 1)
    with pytest.raises(LinkedCompleted), p.link():
        sleep(10)
    assert virtual_clock.now() == 1


def test_raising_listener_is_reported_and_the_others_still_fire(virtual_clock, hub_errors):
    """An error in one listener goes to the hub's error hook; later listeners still fire."""
    hub_errors.expect(ZeroDivisionError)
    p = proc.spawn(lambda: 1)
    before, after = Recorder(), Recorder()

    def broken(_source):
        raise ZeroDivisionError

    p.link(before)
    p.link(broken)
    p.link(after)
    p.wait()
    sleep(0)
    assert before.calls == [p]
    assert after.calls == [p]
    assert len(hub_errors.errors) == 1
    error = hub_errors.errors[0]
    assert isinstance(error.exception, ZeroDivisionError)
    assert isinstance(error.context, Link)
    assert error.context.listener is broken


def test_link_with_no_listener_from_main_loop_raises_a_clear_error(virtual_clock, in_main_loop):
    """MAIN_LOOP cannot receive LinkedExited: link() with no listener from it raises ValueError."""
    p = proc.spawn(sleep, 1)
    for method in (p.link, p.link_value, p.link_exception):
        with pytest.raises(ValueError, match="MAIN_LOOP"):
            in_main_loop(method)


def test_link_with_a_listener_from_main_loop_is_safe(virtual_clock, in_main_loop):
    """link(listener) may be called from MAIN_LOOP."""
    p = proc.spawn(lambda: 1)
    listener = Recorder()
    in_main_loop(p.link, listener)
    p.wait()
    sleep(0)
    assert listener.calls == [p]


def test_link_an_unlinkable_listener_raises_type_error(virtual_clock):
    """A listener that is neither a greenlet, nor has send(), nor is callable: TypeError."""
    p = proc.spawn(lambda: 1)
    with pytest.raises(TypeError, match="Don't know how to link to"):
        p.link(42)
    with pytest.raises(TypeError):
        p.link_value(object())
    with pytest.raises(TypeError):
        p.link_exception("a string")


def test_link_with_no_listener_links_the_calling_proc(virtual_clock):
    """link() with no listener links the current proc (the test body)."""
    p = proc.spawn(lambda: 1)
    link = p.link()
    assert link.listener is proc.current_proc()
    with pytest.raises(LinkedCompleted):
        sleep(10)


def test_link_with_a_prebuilt_link_uses_it(virtual_clock):
    """link(listener, link=custom) registers the given Link object."""
    calls = []

    class Custom(Link):
        __slots__ = ()

        def __call__(self, source):
            calls.append((self.listener, source))

    source = Source()
    custom = Custom(source, "token")
    assert source.link("token", link=custom) is custom
    source.send(None)
    sleep(0)
    assert calls == [("token", source)]


def test_get_link_builds_the_link_kind_for_a_listener(virtual_clock):
    """Source.getLink(listener) returns a Link without registering it."""
    source = Source()
    listener = Recorder()
    link = source.getLink(listener)
    assert isinstance(link, Link)
    source.send(None)
    sleep(0)
    assert listener.calls == []


def test_linked_exited_carries_the_proc_name(virtual_clock):
    """The LinkedExited thrown in names the finished proc."""
    p = proc.Proc(name="worker")
    p.run(lambda: None)
    p.link()
    with pytest.raises(LinkedExited) as info:
        sleep(10)
    assert info.value.name == "worker"
    assert str(info.value) == "'worker' completed successfully"


def test_kill_of_a_linked_proc_throws_linked_killed_even_with_greenlet_exit(virtual_clock):
    """A plain GreenletExit kill counts as killed too: LinkedKilled with typ GreenletExit."""
    from greenlet import GreenletExit

    p = proc.spawn_link(sleep, 100)
    sleep(0)
    p.kill(GreenletExit)
    with pytest.raises(LinkedKilled) as info:
        sleep(10)
    assert info.value.typ is GreenletExit


def test_link_on_an_event_listener_delivers_on_the_next_turn(virtual_clock):
    """An Event linked after the proc returned gets the value on the next turn."""
    p = proc.spawn(lambda: "v")
    p.wait()
    event = Event()
    p.link(event)
    assert not event.ready()
    assert event.wait() == "v"


def test_proc_exit_is_a_greenlet_exit(virtual_clock):
    """ProcExit derives from GreenletExit, so `except Exception` does not swallow it."""
    from greenlet import GreenletExit

    assert issubclass(ProcExit, GreenletExit)
    assert not issubclass(ProcExit, Exception)


# -- property: every link fires exactly once ------------------------------------

_N_LISTENERS = 4

_operations = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["link", "link_value", "link_exception", "unlink"]),
            st.integers(0, _N_LISTENERS - 1),
        ),
        st.just(("turn", 0)),
    ),
    max_size=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=_operations,
    after=_operations,
    outcome=st.sampled_from(["value", "exception"]),
)
def test_every_link_fires_exactly_once_whatever_the_order(virtual_clock, before, after, outcome):
    """Any mix of link/unlink/turns around the result: each registered link fires once."""
    source = Source()
    listeners = [Recorder() for _ in range(_N_LISTENERS)]
    # The model: which listeners hear about a value / an exception right now.
    on_value: set[int] = set()
    on_exception: set[int] = set()
    expected = [0] * _N_LISTENERS
    fired = False

    def apply(operation, index):
        listener = listeners[index]
        if operation == "turn":
            sleep(0)
            if fired:
                heard = on_value if outcome == "value" else on_exception
                for i in heard:
                    expected[i] += 1
                on_value.clear()
                on_exception.clear()
            return
        if operation == "unlink":
            source.unlink(listener)
            on_value.discard(index)
            on_exception.discard(index)
            return
        result = getattr(source, operation)(listener)
        wants_value = operation in {"link", "link_value"}
        wants_exception = operation in {"link", "link_exception"}
        if fired:
            matches = wants_value if outcome == "value" else wants_exception
            assert (result is not None) == matches
            if matches:
                (on_value if outcome == "value" else on_exception).add(index)
            return
        if wants_value:
            on_value.add(index)
        if wants_exception:
            on_exception.add(index)

    for operation, index in before:
        apply(operation, index)
    if outcome == "value":
        source.send("v")
    else:
        source.send_exception(ValueError("e"))
    fired = True
    for operation, index in after:
        apply(operation, index)
    apply("turn", 0)
    sleep(1)  # nothing more fires later
    assert [len(listener.calls) for listener in listeners] == expected


def test_waiters_and_links_are_notified_in_registration_order(virtual_clock):
    """A link made before a wait fires before the waiter resumes (classic order)."""
    order = []
    source = Source()
    source.link(lambda s: order.append("link before"))
    waiter = proc.spawn(lambda: (source.wait(), order.append("waiter"))[1])
    sleep(0)
    source.link(lambda s: order.append("link after"))
    source.send(None)
    waiter.wait()
    assert order == ["link before", "waiter", "link after"]


def test_spawn_link_then_wait_raises_linked_completed_in_wait(virtual_clock):
    """As in the classic API, spawn_link(f).wait() raises LinkedCompleted from wait()."""
    with pytest.raises(LinkedCompleted):
        proc.spawn_link(lambda: 5).wait()
