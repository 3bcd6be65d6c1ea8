"""The classic eventlib.api module: spawn, kill, sleep, timers, timeouts, trampoline, select, ..."""

import os
import os.path
import socket
import sys

import greenlet
import pytest
from greenlet import GreenletExit, getcurrent

import eventlib
from eventlib import api, proc
from eventlib.hub import BlockingInMainLoopError, Hub, get_hub, peek_hub, set_hub


def in_main_loop(function, *args):
    """Call ``function(*args)`` from MAIN_LOOP; return its value or raise its exception here."""
    hub = get_hub()
    outcome = []

    def run():
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:
            outcome.append((False, error))

    hub.schedule_soon(run)
    api.sleep(0)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


# -- names --------------------------------------------------------------------


def test_all_is_sorted_and_every_name_exists():
    """api.__all__ is sorted and names real attributes."""
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name


@pytest.mark.parametrize(
    "name",
    [
        "call_after",
        "exc_after",
        "getcurrent",
        "get_default_hub",
        "get_hub",
        "GreenletExit",
        "kill",
        "sleep",
        "spawn",
        "spew",
        "switch",
        "trampoline",
        "unspew",
        "use_hub",
        "with_timeout",
        "timeout",
        "Greenlet",
        "TimeoutError",
        "get_fileno",
        "select",
        "call_after_global",
        "call_after_local",
        "FakeTimer",
        "Spew",
        "named",
    ],
)
def test_classic_name_is_available(name):
    """Each public name of the classic eventlib.api is there."""
    assert hasattr(api, name)


@pytest.mark.parametrize("name", ["tcp_listener", "ssl_listener", "tcp_server", "connect_tcp"])
def test_classic_socket_helper_is_available(name):
    """The classic socket helpers of eventlib.api are there."""
    assert hasattr(api, name)


def test_greenlet_names_are_reexported():
    """Greenlet, getcurrent and GreenletExit are greenlet's own objects."""
    assert api.Greenlet is greenlet.greenlet
    assert api.getcurrent is greenlet.getcurrent
    assert api.GreenletExit is greenlet.GreenletExit


def test_timeout_error_is_eventlibs():
    """api.TimeoutError is eventlib.TimeoutError, an Exception."""
    assert api.TimeoutError is eventlib.TimeoutError
    assert issubclass(api.TimeoutError, Exception)


# -- spawn --------------------------------------------------------------------


def test_spawn_returns_a_raw_greenlet(virtual_clock):
    """api.spawn returns a plain greenlet parented to MAIN_LOOP, not a Proc."""
    g = api.spawn(lambda: None)
    assert type(g) is greenlet.greenlet
    assert g.parent is get_hub().greenlet


def test_spawn_starts_on_the_next_turn(virtual_clock):
    """The caller keeps running; the greenlet starts when the caller yields."""
    order = []
    api.spawn(order.append, "child")
    order.append("caller")
    api.sleep(0)
    assert order == ["caller", "child"]


def test_spawn_passes_args_and_kwargs(virtual_clock):
    """api.spawn(f, *args, **kwargs) calls f with them."""
    seen = []
    api.spawn(lambda a, b, *, c: seen.append((a, b, c)), 1, 2, c=3)
    api.sleep(0)
    assert seen == [(1, 2, 3)]


def test_spawn_runs_even_if_the_spawner_has_exited(virtual_clock):
    """A greenlet spawned by a proc that ends at once still runs."""
    seen = []
    spawner = proc.spawn(lambda: api.spawn(seen.append, "ran"))
    spawner.wait()
    api.sleep(0)
    assert seen == ["ran"]


def test_spawn_uncaught_exception_is_reported_to_the_hub(virtual_clock, hub_errors):
    """An exception a raw greenlet does not catch reaches the hub's error hook."""
    hub_errors.expect(KeyError)
    error = KeyError("k")

    def fail():
        raise error

    g = api.spawn(fail)
    api.sleep(0)
    assert g.dead
    assert [e.exception for e in hub_errors.errors] == [error]


def test_spawn_uncaught_exception_after_blocking_is_reported(virtual_clock, hub_errors):
    """A raw greenlet that fails after it blocked is reported too."""
    hub_errors.expect(KeyError)
    api.spawn(lambda: (api.sleep(1), {}["missing"]))
    api.sleep(2)
    assert len(hub_errors.errors) == 1
    assert isinstance(hub_errors.errors[0].exception, KeyError)


def test_spawn_after_starts_a_proc_after_the_delay(virtual_clock):
    """api.spawn_after(seconds, f) runs f in a proc after seconds."""
    p = api.spawn_after(3, virtual_clock.now)
    assert isinstance(p, proc.Proc)
    assert p.wait() == 3


# -- kill ---------------------------------------------------------------------


def test_kill_raw_greenlet_returns_after_it_handled_greenlet_exit(virtual_clock):
    """api.kill(g) throws GreenletExit and returns once g has handled it."""
    handled = []

    def victim():
        try:
            api.sleep(100)
        except GreenletExit:
            handled.append("GreenletExit")
            raise

    g = api.spawn(victim)
    api.sleep(0)
    api.kill(g)
    assert handled == ["GreenletExit"]
    assert g.dead


def test_kill_raw_greenlet_with_a_custom_exception(virtual_clock):
    """api.kill(g, exc) throws exc into g."""
    handled = []

    def victim():
        try:
            api.sleep(100)
        except KeyError as error:
            handled.append(error)

    g = api.spawn(victim)
    api.sleep(0)
    error = KeyError("k")
    api.kill(g, error)
    assert handled == [error]


def test_kill_a_dead_greenlet_is_a_noop(virtual_clock):
    """api.kill of a finished greenlet does nothing."""
    g = api.spawn(lambda: None)
    api.sleep(0)
    api.kill(g)
    assert g.dead


def test_kill_proc_returns_after_it_handled_proc_exit(virtual_clock):
    """api.kill(p) on a Proc throws ProcExit; the proc has ended when kill returns."""
    p = proc.spawn(api.sleep, 100)
    api.sleep(0)
    api.kill(p)
    assert p.exit_reason is proc.ExitReason.KILLED


def test_kill_the_greenlet_of_a_proc_kills_the_proc(virtual_clock):
    """api.kill(p.greenlet) kills the proc running on it (ProcExit)."""
    p = proc.spawn(api.sleep, 100)
    api.sleep(0)
    api.kill(p.greenlet)
    with pytest.raises(proc.ProcExit):
        p.wait()


def test_kill_from_main_loop_does_not_block(virtual_clock):
    """api.kill from MAIN_LOOP schedules the throw and returns; the victim dies next turn."""
    g = api.spawn(api.sleep, 100)
    api.sleep(0)
    in_main_loop(api.kill, g)
    api.sleep(0)
    assert g.dead


# -- sleep and switch ---------------------------------------------------------


def test_sleep_zero_yields_to_others(virtual_clock):
    """sleep(0) lets ready green threads run and returns without time passing."""
    seen = []
    api.spawn(seen.append, "other")
    api.sleep(0)
    assert seen == ["other"]
    assert virtual_clock.now() == 0


def test_sleep_default_is_zero(virtual_clock):
    """sleep() with no argument is sleep(0)."""
    seen = []
    api.spawn(seen.append, "other")
    api.sleep()
    assert seen == ["other"]


def test_sleep_waits_the_given_time(virtual_clock):
    """sleep(seconds) returns seconds later."""
    api.sleep(7.5)
    assert virtual_clock.now() == 7.5


def test_sleep_from_main_loop_raises_an_assertion_error(virtual_clock):
    """sleep() in MAIN_LOOP raises BlockingInMainLoopError, an AssertionError."""
    with pytest.raises(AssertionError) as info:
        in_main_loop(api.sleep, 1)
    assert isinstance(info.value, BlockingInMainLoopError)


def test_switch_switches_with_a_result():
    """switch(g, result) is g.switch(result)."""
    g = greenlet.greenlet(lambda x: x * 2)
    assert api.switch(g, 21) == 42


def test_switch_with_exc_throws_into_the_greenlet():
    """switch(g, exc=E) throws E into g."""

    def body():
        try:
            getcurrent().parent.switch("parked")
        except KeyError:
            return "caught"
        return "not caught"

    g = greenlet.greenlet(body)
    assert g.switch() == "parked"
    assert api.switch(g, exc=KeyError) == "caught"


def test_switch_with_an_exc_tuple_throws_it():
    """switch(g, exc=(typ, value)) throws that exception."""
    error = KeyError("k")
    caught = []

    def body():
        try:
            getcurrent().parent.switch()
        except KeyError as e:
            caught.append(e)

    g = greenlet.greenlet(body)
    g.switch()
    api.switch(g, exc=(KeyError, error))
    assert caught == [error]


# -- timers -------------------------------------------------------------------


def test_call_after_global_runs_in_a_fresh_greenlet(virtual_clock):
    """call_after_global runs the function after the delay in a new greenlet (not MAIN_LOOP)."""
    seen = []
    api.call_after_global(
        5, lambda a, *, b: seen.append((getcurrent(), a, b, virtual_clock.now())), 1, b=2
    )
    api.sleep(10)
    (where, a, b, when) = seen[0]
    assert (a, b, when) == (1, 2, 5)
    assert where is not get_hub().greenlet
    assert where is not getcurrent()
    assert getattr(where, "proc", None) is None


def test_call_after_global_runs_even_if_the_caller_died(virtual_clock):
    """call_after_global from a proc that has ended still runs."""
    seen = []
    proc.spawn(api.call_after_global, 5, seen.append, "ran").wait()
    api.sleep(10)
    assert seen == ["ran"]


def test_call_after_global_timer_can_be_cancelled(virtual_clock):
    """The returned timer's cancel() stops the call; a second cancel is harmless."""
    seen = []
    timer = api.call_after_global(5, seen.append, "ran")
    timer.cancel()
    timer.cancel()
    api.sleep(10)
    assert seen == []


def test_call_after_global_function_may_block(virtual_clock):
    """The function runs in a greenlet of its own, so it may sleep."""
    seen = []
    api.call_after_global(1, lambda: (api.sleep(1), seen.append(virtual_clock.now())))
    api.sleep(5)
    assert seen == [2]


def test_call_after_local_runs_while_the_caller_lives(virtual_clock):
    """call_after_local runs the function, in a fresh greenlet, if the caller is still alive."""
    seen = []
    api.call_after_local(5, lambda: seen.append(getcurrent()))
    api.sleep(10)
    (where,) = seen
    assert where is not getcurrent()
    assert where is not get_hub().greenlet


def test_call_after_local_is_skipped_when_the_caller_died(virtual_clock):
    """call_after_local from a proc that has ended is skipped."""
    seen = []
    proc.spawn(api.call_after_local, 5, seen.append, "ran").wait()
    api.sleep(10)
    assert seen == []


def test_call_after_local_is_skipped_when_a_raw_greenlet_caller_died(virtual_clock):
    """call_after_local from a raw greenlet that has ended is skipped."""
    seen = []
    api.spawn(api.call_after_local, 5, seen.append, "ran")
    api.sleep(10)
    assert seen == []


def test_call_after_is_call_after_local():
    """call_after is the local variant."""
    assert api.call_after is api.call_after_local


def test_exc_after_throws_into_the_caller(virtual_clock):
    """exc_after(seconds, exc) raises exc in the caller after seconds."""
    api.exc_after(5, KeyError("k"))
    with pytest.raises(KeyError):
        api.sleep(10)
    assert virtual_clock.now() == 5


def test_exc_after_accepts_a_class(virtual_clock):
    """exc_after(seconds, Class) raises an instance of Class."""
    api.exc_after(1, KeyError)
    with pytest.raises(KeyError):
        api.sleep(10)


def test_exc_after_cancelled_does_nothing(virtual_clock):
    """Cancelling the timer of exc_after stops the throw."""
    timer = api.exc_after(5, KeyError)
    timer.cancel()
    api.sleep(10)


def test_exc_after_is_skipped_when_the_caller_died(virtual_clock):
    """exc_after from a proc that ended throws nothing anywhere."""
    proc.spawn(api.exc_after, 5, KeyError).wait()
    api.sleep(10)


# -- timeout ------------------------------------------------------------------


def test_timeout_raises_timeout_error_by_default(virtual_clock):
    """with timeout(s): a block that runs longer gets TimeoutError after s."""
    with pytest.raises(api.TimeoutError), api.timeout(2):
        api.sleep(10)
    assert virtual_clock.now() == 2


def test_timeout_not_reached_raises_nothing(virtual_clock):
    """A block that ends in time is not interrupted, not then, not later."""
    with api.timeout(5):
        api.sleep(1)
    api.sleep(10)


def test_timeout_none_is_silent(virtual_clock):
    """timeout(s, None) silently leaves the block after s."""
    after = []
    with api.timeout(2, None):
        api.sleep(10)
        after.append("not reached")
    assert after == []
    assert virtual_clock.now() == 2


def test_timeout_silent_marker_is_not_an_exception(virtual_clock):
    """The silent marker is a BaseException: `except Exception` in the block does not catch it."""
    caught = []
    with api.timeout(1, None):
        try:
            api.sleep(10)
        except Exception:
            caught.append("caught")
    assert caught == []


def test_timeout_with_an_exception_class(virtual_clock):
    """timeout(s, Class) raises an instance of Class."""
    with pytest.raises(KeyError), api.timeout(1, KeyError):
        api.sleep(10)


def test_timeout_with_an_exception_instance(virtual_clock):
    """timeout(s, instance) raises that very instance."""
    error = KeyError("k")
    with pytest.raises(KeyError) as info, api.timeout(1, error):
        api.sleep(10)
    assert info.value is error


def test_timeout_with_an_exc_info_tuple(virtual_clock):
    """timeout(s, typ, value, tb) raises value."""
    error = KeyError("k")
    with pytest.raises(KeyError) as info, api.timeout(1, KeyError, error, None):
        api.sleep(10)
    assert info.value is error


def test_timeout_seconds_none_is_disabled(virtual_clock):
    """timeout(None) never fires and __enter__ returns a FakeTimer."""
    with api.timeout(None) as timer:
        assert isinstance(timer, api.FakeTimer)
        timer.cancel()
        api.sleep(100)


def test_timeout_enter_returns_a_timer_that_cancels(virtual_clock):
    """The object `with timeout(...) as t` binds has cancel(), which disarms it."""
    with api.timeout(1) as timer:
        timer.cancel()
        api.sleep(10)


def test_timeout_never_swallows_a_foreign_exception(virtual_clock):
    """An exception raised in the block passes through, even a silent timeout's."""
    with pytest.raises(KeyError), api.timeout(1, None):
        raise KeyError


def test_timeout_never_swallows_another_timeouts_silent_marker(virtual_clock):
    """An outer silent timeout firing inside an inner one ends the outer block, not the inner."""
    after_inner = []
    with api.timeout(1, None):
        with api.timeout(5, None):
            api.sleep(10)
        after_inner.append("the inner block swallowed the outer timeout")
    assert after_inner == []
    assert virtual_clock.now() == 1


def test_timeout_never_swallows_another_timeouts_error(virtual_clock):
    """An inner timeout(..., None) lets an outer TimeoutError through."""
    with pytest.raises(api.TimeoutError), api.timeout(1), api.timeout(5, None):
        api.sleep(10)


def test_timeout_from_main_loop_is_inert(virtual_clock):
    """A timeout entered in MAIN_LOOP (which cannot block) never fires."""

    def guarded():
        with api.timeout(1):
            return "done"

    assert in_main_loop(guarded) == "done"
    api.sleep(5)


# -- with_timeout -------------------------------------------------------------


def test_with_timeout_returns_the_result(virtual_clock):
    """with_timeout(s, f, *args, **kwargs) returns f's result when it is quick enough."""
    assert with_timeout_result(5, 1) == "done"


def with_timeout_result(limit, duration, **kwargs):
    return api.with_timeout(
        limit, lambda d, *, tag: (api.sleep(d), tag)[1], duration, tag="done", **kwargs
    )


def test_with_timeout_raises_timeout_error(virtual_clock):
    """with_timeout raises TimeoutError when f takes too long."""
    with pytest.raises(api.TimeoutError):
        with_timeout_result(1, 5)
    assert virtual_clock.now() == 1


def test_with_timeout_returns_timeout_value(virtual_clock):
    """With timeout_value=..., the timeout returns it instead of raising."""
    assert with_timeout_result(1, 5, timeout_value="late") == "late"


def test_with_timeout_value_none_returns_none(virtual_clock):
    """timeout_value=None returns None on timeout (it is given, so no raise)."""
    assert with_timeout_result(1, 5, timeout_value=None) is None


def test_with_timeout_lets_a_foreign_timeout_error_through(virtual_clock):
    """A TimeoutError raised by f itself is not mistaken for the timeout."""

    def f():
        raise api.TimeoutError("mine")

    with pytest.raises(api.TimeoutError, match="mine"):
        api.with_timeout(5, f, timeout_value="late")


def test_with_timeout_nested_outer_fires_first(virtual_clock):
    """The outer with_timeout's timeout passes through the inner one to the outer."""

    def inner():
        return api.with_timeout(5, api.sleep, 10, timeout_value="inner")

    assert api.with_timeout(1, inner, timeout_value="outer") == "outer"
    assert virtual_clock.now() == 1


# -- hubs ---------------------------------------------------------------------


def test_get_hub_is_a_per_thread_singleton(virtual_clock):
    """get_hub() returns the same hub every time: the one running this test."""
    assert api.get_hub() is api.get_hub()
    assert api.get_hub() is get_hub()
    assert getcurrent().parent is api.get_hub().greenlet


def test_get_default_hub_is_the_twisted_hub():
    """get_default_hub() is the Hub class (the only hub: Twisted's)."""
    assert api.get_default_hub() is Hub


class _NoReactor:
    """A stand-in reactor for hubs that are created and closed but never run."""


@pytest.mark.parametrize("mod", [None, "twistedr", Hub], ids=["none", "twistedr", "Hub"])
def test_use_hub_forgets_this_threads_hub(mod):
    """use_hub(None / 'twistedr' / Hub) closes and forgets the current hub."""
    hub = Hub(_NoReactor())
    previous = set_hub(hub)
    try:
        api.use_hub(mod)
        assert peek_hub() is None
        assert hub._closed
    finally:
        set_hub(previous)


@pytest.mark.parametrize("mod", ["poll", "selects", object()])
def test_use_hub_rejects_other_hubs(mod):
    """use_hub with another hub raises ValueError and keeps the current hub."""
    hub = Hub(_NoReactor())
    previous = set_hub(hub)
    try:
        with pytest.raises(ValueError, match="Twisted"):
            api.use_hub(mod)
        assert peek_hub() is hub
        assert not hub._closed
    finally:
        set_hub(previous)


def test_use_hub_without_a_hub_is_fine():
    """use_hub() when no hub exists does nothing."""
    previous = set_hub(None)
    try:
        api.use_hub()
        assert peek_hub() is None
    finally:
        set_hub(previous)


# -- descriptors: get_fileno, trampoline, select ------------------------------


@pytest.fixture
def socket_pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_get_fileno_of_an_int():
    """get_fileno(n) is n."""
    assert api.get_fileno(5) == 5


def test_get_fileno_of_an_object(socket_pair):
    """get_fileno(obj) is obj.fileno()."""
    a, _b = socket_pair
    assert api.get_fileno(a) == a.fileno()


@pytest.mark.parametrize("bad", ["3", None, 2.5, object()])
def test_get_fileno_of_bad_input_raises_type_error(bad):
    """Something that is neither an int nor has fileno() raises TypeError."""
    with pytest.raises(TypeError):
        api.get_fileno(bad)


def test_get_fileno_with_fileno_returning_a_non_int_raises_type_error():
    """An object whose fileno() is not an int raises TypeError."""

    class Odd:
        def fileno(self):
            return "3"

    with pytest.raises(TypeError):
        api.get_fileno(Odd())


def test_get_fileno_negative_raises_value_error():
    """A negative descriptor raises ValueError."""
    with pytest.raises(ValueError):
        api.get_fileno(-1)


def test_trampoline_read_returns_when_readable(real_reactor, socket_pair):
    """trampoline(fd, read=True) parks until data arrives."""
    a, b = socket_pair
    api.spawn(b.send, b"x")
    assert api.trampoline(a, read=True) == a.fileno()
    assert a.recv(1) == b"x"


def test_trampoline_accepts_an_int_descriptor(real_reactor, socket_pair):
    """trampoline takes a descriptor number as well as an object."""
    a, b = socket_pair
    api.spawn(b.send, b"x")
    assert api.trampoline(a.fileno(), read=True) == a.fileno()


def test_trampoline_write_returns_when_writable(real_reactor, socket_pair):
    """trampoline(fd, write=True) returns once the socket can take data."""
    a, _b = socket_pair
    assert api.trampoline(a, write=True) == a.fileno()


def test_trampoline_timeout_raises_timeout_error(real_reactor, socket_pair):
    """trampoline with a timeout raises TimeoutError when nothing happens in time."""
    a, _b = socket_pair
    with pytest.raises(api.TimeoutError):
        api.trampoline(a, read=True, timeout=0.01)


def test_trampoline_timeout_exc_is_raised(real_reactor, socket_pair):
    """trampoline(timeout_exc=E) raises E on timeout."""
    a, _b = socket_pair
    with pytest.raises(KeyError):
        api.trampoline(a, read=True, timeout=0.01, timeout_exc=KeyError("slow"))


def test_trampoline_after_timeout_can_wait_again(real_reactor, socket_pair):
    """A timed-out trampoline leaves no registration behind: the next wait works."""
    a, b = socket_pair
    with pytest.raises(api.TimeoutError):
        api.trampoline(a, read=True, timeout=0.01)
    api.spawn(b.send, b"x")
    assert api.trampoline(a, read=True) == a.fileno()


def test_second_simultaneous_reader_raises_runtime_error(real_reactor, socket_pair):
    """Two green threads reading the same descriptor at once: the second gets RuntimeError."""
    a, b = socket_pair
    first = proc.spawn(api.trampoline, a, read=True)
    api.sleep(0)
    with pytest.raises(RuntimeError, match="second simultaneous read"):
        api.trampoline(a, read=True)
    b.send(b"x")
    assert first.wait() == a.fileno()


def test_trampoline_from_main_loop_raises(virtual_clock, socket_pair):
    """trampoline() in MAIN_LOOP raises BlockingInMainLoopError (an AssertionError)."""
    a, _b = socket_pair
    with pytest.raises(AssertionError):
        in_main_loop(lambda: api.trampoline(a, read=True))


def test_trampoline_returns_on_peer_close(real_reactor, socket_pair):
    """A closed peer makes the descriptor readable (EOF): trampoline returns."""
    a, b = socket_pair
    api.spawn(b.close)
    assert api.trampoline(a, read=True) == a.fileno()
    assert a.recv(1) == b""


def test_select_returns_the_readable_descriptor(real_reactor, socket_pair):
    """select([a], [], []) returns ([a], [], []) once a is readable."""
    a, b = socket_pair
    api.spawn(b.send, b"x")
    assert api.select([a], [], []) == ([a], [], [])


def test_select_returns_the_first_ready_descriptor_only(real_reactor, socket_pair):
    """select reports the one descriptor that became ready, not the others of its list."""
    a, _b = socket_pair
    c, d = socket.socketpair()
    try:
        d.send(b"x")
        assert api.select([a, c], [], []) == ([c], [], [])
    finally:
        c.close()
        d.close()


def test_select_returns_the_writable_descriptor(real_reactor, socket_pair):
    """select([], [a], []) returns ([], [a], [])."""
    a, _b = socket_pair
    assert api.select([], [a], []) == ([], [a], [])


def test_select_puts_the_descriptor_in_the_right_list(real_reactor, socket_pair):
    """With nothing to read on a but b writable, the result names b in the write list."""
    a, b = socket_pair
    assert api.select([a], [b], []) == ([], [b], [])


def test_select_error_list_reports_a_ready_descriptor(real_reactor, socket_pair):
    """A descriptor in the error list that becomes readable is reported there."""
    a, b = socket_pair
    b.send(b"x")
    assert api.select([], [], [a]) == ([], [], [a])


def test_select_same_descriptor_in_read_and_error_lists(real_reactor, socket_pair):
    """The classic select([s], [], [s]) works: readable data is reported in the read list."""
    a, b = socket_pair
    b.send(b"x")
    assert api.select([a], [], [a], timeout=1) == ([a], [], [])


def test_select_same_descriptor_twice_in_one_list(real_reactor, socket_pair):
    """A descriptor listed twice is waited for once."""
    a, b = socket_pair
    b.send(b"x")
    assert api.select([a, a], [], [], timeout=1) == ([a], [], [])


def test_select_same_descriptor_for_read_and_write(real_reactor, socket_pair):
    """A descriptor in the read and write lists: writable first (nothing to read)."""
    a, _b = socket_pair
    assert api.select([a], [a], [], timeout=1) == ([], [a], [])


def _close_notice(fd):
    get_hub().notify_fd_closed(api.get_fileno(fd), OSError(32, "Broken pipe"))


def test_select_reports_a_closed_descriptor_in_the_error_list(real_reactor, socket_pair):
    """A descriptor closed while select waits is reported in the error list if it is there."""
    a, _b = socket_pair
    api.spawn(_close_notice, a)
    assert api.select([a], [], [a], timeout=1) == ([], [], [a])


def test_select_reports_a_closed_descriptor_in_its_own_list(real_reactor, socket_pair):
    """Without an error-list entry, a closed descriptor is reported ready in its own list."""
    a, _b = socket_pair
    api.spawn(_close_notice, a)
    assert api.select([a], [], [], timeout=1) == ([a], [], [])


def test_select_returns_the_original_objects(real_reactor, socket_pair):
    """select returns the objects it was given (ints stay ints)."""
    a, b = socket_pair
    b.send(b"x")
    assert api.select([a.fileno()], [], []) == ([a.fileno()], [], [])


def test_select_timeout_returns_three_empty_lists(real_reactor, socket_pair):
    """select with a timeout and nothing ready returns ([], [], [])."""
    a, _b = socket_pair
    assert api.select([a], [], [], timeout=0.01) == ([], [], [])


def test_select_unregisters_its_descriptors(real_reactor, socket_pair):
    """After select returned, the descriptors can be waited on again."""
    a, b = socket_pair
    assert api.select([a], [], [a], timeout=0.01) == ([], [], [])
    api.spawn(b.send, b"x")
    assert api.trampoline(a, read=True) == a.fileno()


def test_select_from_main_loop_raises(virtual_clock, socket_pair):
    """select() in MAIN_LOOP raises BlockingInMainLoopError."""
    a, _b = socket_pair
    with pytest.raises(BlockingInMainLoopError):
        in_main_loop(api.select, [a], [], [])


# -- named, spew --------------------------------------------------------------


def test_named_imports_a_module():
    """named('os') is the os module."""
    assert api.named("os") is os


def test_named_imports_an_attribute():
    """named('os.path.join') is os.path.join."""
    assert api.named("os.path.join") is os.path.join


def test_named_imports_a_nested_attribute():
    """named('eventlib.proc.Proc.spawn') walks attributes after the module."""
    assert api.named("eventlib.proc.Proc.spawn") == proc.Proc.spawn


def test_named_unknown_module_raises_import_error():
    """named('no_such_module_xyz') raises ImportError."""
    with pytest.raises(ImportError):
        api.named("no_such_module_xyz.thing")


def test_named_unknown_attribute_raises_attribute_error():
    """named('os.no_such_attribute') raises AttributeError."""
    with pytest.raises(AttributeError):
        api.named("os.no_such_attribute")


def _traced():
    marker = "spewed line"
    return marker


@pytest.fixture
def restore_trace():
    previous = sys.gettrace()
    yield
    sys.settrace(previous)


def test_spew_prints_executed_lines_until_unspew(capsys, restore_trace):
    """spew() prints each line executed, with module and line number; unspew() stops it."""
    api.spew(trace_names=[__name__])
    try:
        _traced()
    finally:
        api.unspew()
    out = capsys.readouterr().out
    assert f"{__name__}:" in out
    assert 'marker = "spewed line"' in out
    _traced()
    assert capsys.readouterr().out == ""


def test_spew_show_values_prints_the_locals(capsys, restore_trace):
    """spew(show_values=True) also prints the values of locals named on the line."""
    api.spew(trace_names=[__name__], show_values=True)
    try:
        _traced()
    finally:
        api.unspew()
    assert "marker='spewed line'" in capsys.readouterr().out


def test_spew_ignores_modules_not_named(capsys, restore_trace):
    """spew(trace_names=[...]) prints nothing for other modules."""
    api.spew(trace_names=["some.other.module"])
    try:
        _traced()
    finally:
        api.unspew()
    assert capsys.readouterr().out == ""


def test_spew_object_is_a_trace_function():
    """A Spew instance returns itself so tracing continues in the frame."""
    spew = api.Spew()
    assert spew(sys._getframe(), "call", None) is spew


def test_tcp_server_echoes_over_loopback(real_reactor):
    """tcp_listener + tcp_server + connect_tcp make a working echo service."""

    def echo(client):
        conn, _address = client
        with conn:
            conn.sendall(conn.recv(100).upper())

    listener = api.tcp_listener(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = api.spawn(api.tcp_server, listener, echo)
    results = []
    for word in (b"one", b"two"):
        with api.connect_tcp(("127.0.0.1", port)) as conn:
            conn.sendall(word)
            results.append(conn.recv(100))
    assert results == [b"ONE", b"TWO"]
    api.kill(server)
    assert listener.fileno() == -1


def test_tcp_listener_on_ipv6_loopback(real_reactor):
    """tcp_listener picks the address family from the address."""
    import socket

    with api.tcp_listener(("::1", 0)) as listener:
        assert listener.family == socket.AF_INET6


def test_connect_tcp_refused_raises(real_reactor):
    """connect_tcp to a closed port raises ConnectionRefusedError."""
    with api.tcp_listener(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        api.connect_tcp(("127.0.0.1", port))


def test_ssl_listener_serves_tls(real_reactor, tmp_path):
    """ssl_listener accepts TLS connections with the given certificate."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    listener = api.ssl_listener(("127.0.0.1", 0), str(cert), str(key))
    assert listener.is_secure
    port = listener.getsockname()[1]

    def serve_one():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(conn.recv(100) + b"!")

    server = eventlib.spawn(serve_one)
    from eventlib.green import ssl as green_ssl

    context = green_ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with context.wrap_socket(api.connect_tcp(("127.0.0.1", port))) as conn:
        conn.sendall(b"secure")
        assert conn.recv(100) == b"secure!"
    server.wait()
    listener.close()
