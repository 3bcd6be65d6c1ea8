"""Starting procs: spawn, Proc.spawn / run, spawn_after, spawn_greenlet, spawn_link*."""

import pytest
from greenlet import getcurrent
from greenlet import greenlet as Greenlet  # noqa: N812 - the class, as in eventlib

from eventlib import proc
from eventlib.hub import get_hub, sleep
from eventlib.proc import (
    ExitReason,
    LinkedCompleted,
    LinkedFailed,
    LinkedKilled,
    Proc,
    ProcExit,
)


def test_spawn_starts_on_next_hub_turn(virtual_clock):
    """The caller keeps running after spawn; the proc runs once the caller yields."""
    order = []
    proc.spawn(order.append, "child")
    order.append("caller")
    assert order == ["caller"]
    sleep(0)
    assert order == ["caller", "child"]


def test_spawn_passes_args_and_kwargs(virtual_clock):
    """spawn(f, *args, **kwargs) calls f(*args, **kwargs) and wait() returns its value."""
    p = proc.spawn(lambda a, b, *, c: (a, b, c), 1, 2, c=3)
    assert p.wait() == (1, 2, 3)


def test_spawn_returns_a_proc(virtual_clock):
    """spawn returns a Proc whose greenlet is set only once it has started."""
    p = proc.spawn(sleep, 1)
    assert isinstance(p, Proc)
    assert p.greenlet is None
    sleep(0)
    assert isinstance(p.greenlet, Greenlet)


def test_proc_spawn_classmethod_starts_a_proc(virtual_clock):
    """Proc.spawn is Proc() followed by run()."""
    p = Proc.spawn(lambda x: x * 2, 21)
    assert isinstance(p, Proc)
    assert p.wait() == 42


def test_proc_run_starts_an_unstarted_proc(virtual_clock):
    """Proc().run(f, ...) starts f on the next turn."""
    p = Proc()
    p.run(lambda x: x + 1, 1)
    assert p.wait() == 2


def test_proc_run_twice_raises_assertion_error(virtual_clock):
    """A proc runs one function only: a second run() raises AssertionError."""
    p = Proc()
    p.run(lambda: None)
    with pytest.raises(AssertionError, match="already started"):
        p.run(lambda: None)


def test_run_after_spawn_raises_assertion_error(virtual_clock):
    """run() on a proc made by spawn() raises AssertionError, even after it finished."""
    p = proc.spawn(lambda: None)
    p.wait()
    with pytest.raises(AssertionError):
        p.run(lambda: None)


def test_run_rejects_a_non_callable(virtual_clock):
    """run() with something that is not callable raises TypeError at once."""
    with pytest.raises(TypeError, match="callable"):
        Proc().run(42)


def test_spawn_from_main_loop_is_safe(virtual_clock, in_main_loop):
    """spawn may be called from MAIN_LOOP (a Twisted callback); the proc runs normally."""
    p = in_main_loop(proc.spawn, lambda: "from the loop")
    assert p.wait() == "from the loop"


def test_spawn_after_starts_after_the_delay(virtual_clock):
    """spawn_after(5, f) runs f five seconds later."""
    start = virtual_clock.now()
    p = proc.spawn_after(5, virtual_clock.now)
    assert p.wait() - start == 5


def test_spawn_after_passes_args_and_kwargs(virtual_clock):
    """spawn_after passes positional and keyword arguments."""
    p = proc.spawn_after(1, lambda a, *, b: a + b, 1, b=2)
    assert p.wait() == 3


def test_spawn_after_killed_before_start_never_runs(virtual_clock):
    """Killing a spawn_after proc before its delay cancels the start: f never runs."""
    ran = []
    p = proc.spawn_after(5, ran.append, "ran")
    p.kill()
    sleep(10)
    assert ran == []


def test_spawn_after_killed_before_start_ends_killed(virtual_clock):
    """A spawn_after proc killed before its start is dead, KILLED, and wait() raises ProcExit."""
    p = proc.spawn_after(5, lambda: None)
    p.kill()
    assert p.dead
    assert p.exit_reason is ExitReason.KILLED
    with pytest.raises(ProcExit):
        p.wait()


def test_spawn_greenlet_returns_a_raw_greenlet_started_next_turn(virtual_clock):
    """spawn_greenlet(f, *args) returns a raw greenlet, parented to MAIN_LOOP, run next turn."""
    seen = []
    g = proc.spawn_greenlet(lambda a, b: seen.append((a, b, getcurrent())), 1, 2)
    assert type(g) is Greenlet
    assert g.parent is get_hub().greenlet
    assert seen == []
    sleep(0)
    assert seen == [(1, 2, g)]
    assert g.dead


def test_spawn_greenlet_is_not_a_proc(virtual_clock):
    """A spawn_greenlet greenlet runs outside any proc: current_proc() is None in it."""
    seen = []
    proc.spawn_greenlet(lambda: seen.append(proc.current_proc()))
    sleep(0)
    assert seen == [None]


def test_spawn_link_throws_linked_completed_into_caller(virtual_clock):
    """spawn_link links the caller: a return throws LinkedCompleted into it."""
    p = proc.spawn_link(lambda: 1)
    with pytest.raises(LinkedCompleted) as info:
        sleep(10)
    assert info.value.name == p.name


def test_spawn_link_throws_linked_failed_into_caller(virtual_clock, hub_errors):
    """spawn_link: an exception in the proc throws LinkedFailed (typ, value) into the caller."""
    hub_errors.expect(ValueError)
    error = ValueError("boom")

    def fail():
        raise error

    proc.spawn_link(fail)
    with pytest.raises(LinkedFailed) as info:
        sleep(10)
    assert type(info.value) is LinkedFailed
    assert info.value.typ is ValueError
    assert info.value.value is error


def test_spawn_link_throws_linked_killed_into_caller(virtual_clock):
    """spawn_link: killing the proc throws LinkedKilled into the caller."""
    p = proc.spawn_link(sleep, 100)
    sleep(0)
    p.kill()
    with pytest.raises(LinkedKilled) as info:
        sleep(10)
    assert info.value.typ is ProcExit


def test_spawn_link_value_throws_on_return(virtual_clock):
    """spawn_link_value: a return throws LinkedCompleted into the caller."""
    proc.spawn_link_value(lambda: 1)
    with pytest.raises(LinkedCompleted):
        sleep(10)


def test_spawn_link_value_ignores_failure(virtual_clock, hub_errors):
    """spawn_link_value: an exception in the proc is not thrown into the caller."""
    hub_errors.expect(ValueError)
    p = proc.spawn_link_value(int, "x")
    sleep(10)
    assert p.exit_reason is ExitReason.ERROR


def test_spawn_link_exception_throws_on_failure(virtual_clock, hub_errors):
    """spawn_link_exception: an exception in the proc throws LinkedFailed into the caller."""
    hub_errors.expect(ValueError)
    proc.spawn_link_exception(int, "x")
    with pytest.raises(LinkedFailed) as info:
        sleep(10)
    assert info.value.typ is ValueError


def test_spawn_link_exception_throws_linked_killed_on_kill(virtual_clock):
    """spawn_link_exception: a kill is a failure too, thrown as LinkedKilled."""
    p = proc.spawn_link_exception(sleep, 100)
    sleep(0)
    p.kill()
    with pytest.raises(LinkedKilled):
        sleep(10)


def test_spawn_link_exception_ignores_return(virtual_clock):
    """spawn_link_exception: a return is not thrown into the caller."""
    p = proc.spawn_link_exception(lambda: 1)
    sleep(10)
    assert p.value == 1


def test_spawn_link_functions_pass_arguments(virtual_clock):
    """spawn_link, spawn_link_value and spawn_link_exception pass *args and **kwargs."""
    f = lambda a, *, b: a + b  # noqa: E731
    p = proc.spawn_link_exception(f, 3, b=4)
    assert p.wait() == 7
    for spawn_linked in (proc.spawn_link, proc.spawn_link_value):
        p = spawn_linked(f, 1, b=2)
        with pytest.raises(LinkedCompleted):
            sleep(10)
        assert p.value == 3
