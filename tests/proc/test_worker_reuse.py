"""Worker greenlets are reused: nothing tied to a finished proc may reach the next one."""

import contextvars

import pytest
from greenlet import getcurrent

import eventlib
from eventlib import api, proc
from eventlib.hub import schedule_call_local, sleep
from eventlib.proc import ExitReason, LinkedExited, Source


def _run_one_after_another(first, second):
    """Run ``first`` in a proc, then ``second`` in the next proc on the same greenlet."""
    p1 = proc.spawn(first)
    p1.wait()
    sleep(0)  # p1's worker has gone back to the idle list
    p2 = proc.spawn(second)
    sleep(0)
    assert p2.greenlet is p1.greenlet, "the test needs the worker greenlet to be reused"
    return p1, p2


def test_a_finished_procs_greenlet_runs_the_next_proc(virtual_clock):
    """A new proc reuses the greenlet of a proc that finished (what the hazards below rely on)."""
    _run_one_after_another(lambda: None, lambda: None)


def test_local_timer_of_a_finished_proc_does_not_fire_in_the_next(virtual_clock):
    """schedule_call_local from a finished proc is skipped, even though its greenlet lives on."""
    fired = []
    _p1, p2 = _run_one_after_another(
        lambda: schedule_call_local(5, fired.append, "timer"),
        lambda: sleep(10),
    )
    p2.wait()
    assert fired == []


def test_local_timer_of_a_live_proc_fires(virtual_clock):
    """schedule_call_local fires while its proc is still alive."""
    fired = []

    def body():
        schedule_call_local(5, fired.append, "timer")
        sleep(10)

    proc.spawn(body).wait()
    assert fired == ["timer"]


def test_exc_after_of_a_finished_proc_does_not_hit_the_next(virtual_clock):
    """exc_after from a finished proc does not throw into the proc that reuses its greenlet."""
    _p1, p2 = _run_one_after_another(
        lambda: api.exc_after(5, KeyError),
        lambda: (sleep(10), "survived")[1],
    )
    assert p2.wait() == "survived"


def test_timeout_of_a_finished_proc_does_not_hit_the_next(virtual_clock):
    """A Timeout left armed by a finished proc does not fire into the next proc."""
    _p1, p2 = _run_one_after_another(
        lambda: eventlib.Timeout(5).start(),
        lambda: (sleep(10), "survived")[1],
    )
    assert p2.wait() == "survived"


def test_call_after_local_of_a_finished_proc_is_skipped(virtual_clock):
    """api.call_after_local from a finished proc does not run, though its greenlet lives on."""
    fired = []
    _p1, p2 = _run_one_after_another(
        lambda: api.call_after_local(5, fired.append, "late"),
        lambda: sleep(10),
    )
    p2.wait()
    assert fired == []


def test_link_to_getcurrent_in_a_proc_targets_the_proc(virtual_clock):
    """source.link(getcurrent()) inside a proc links the proc, not its reusable greenlet."""
    source = Source()
    _p1, p2 = _run_one_after_another(
        lambda: source.link(getcurrent()),
        lambda: (sleep(10), "survived")[1],
    )
    source.send("v")
    assert p2.wait() == "survived"


def test_link_to_getcurrent_records_the_proc_as_listener(virtual_clock):
    """The Link made for a proc's greenlet names the proc as its listener."""
    source = Source()
    p = proc.spawn(lambda: source.link(getcurrent()))
    assert p.wait().listener is p


def test_link_to_getcurrent_delivers_to_the_live_proc(virtual_clock):
    """While the proc runs, a link to its greenlet throws LinkedExited into it."""
    source = Source()

    def body():
        source.link(getcurrent())
        try:
            sleep(10)
        except LinkedExited:
            return "notified"

    p = proc.spawn(body)
    sleep(0)
    source.send("v")
    assert p.wait() == "notified"


def test_unlink_getcurrent_in_a_proc_removes_the_proc_link(virtual_clock):
    """unlink(getcurrent()) in a proc removes what link(getcurrent()) made."""
    source = Source()

    def body():
        source.link(getcurrent())
        source.unlink(getcurrent())
        sleep(10)
        return "not notified"

    p = proc.spawn(body)
    sleep(0)
    source.send("v")
    assert p.wait() == "not notified"


def test_kill_of_a_finished_proc_does_not_hit_the_next(virtual_clock):
    """p1.kill() after p1 ended leaves the proc now running on its greenlet alone."""
    p1, p2 = _run_one_after_another(lambda: None, lambda: (sleep(10), "survived")[1])
    p1.kill()
    p1.throw(KeyError)
    assert p2.wait() == "survived"


def test_contextvars_do_not_leak_to_the_next_proc(virtual_clock):
    """A context variable set in one proc is unset in the next proc on the same greenlet."""
    var = contextvars.ContextVar("var", default="unset")
    _p1, p2 = _run_one_after_another(lambda: var.set("p1"), var.get)
    assert p2.wait() == "unset"


def test_a_spawned_proc_does_not_see_the_spawners_context(virtual_clock):
    """Each proc starts in a fresh context."""
    var = contextvars.ContextVar("var", default="unset")
    var.set("parent")
    assert proc.spawn(var.get).wait() == "unset"


def test_api_spawn_greenlet_is_never_reused(virtual_clock):
    """A raw greenlet from api.spawn ends for good; no proc ever runs on it."""
    done = eventlib.Event()
    g = api.spawn(done.send, "ran")
    assert done.wait() == "ran"
    sleep(0)
    assert g.dead
    assert not hasattr(g, "proc")
    ps = [proc.spawn(getcurrent) for _ in range(3)]
    assert g not in proc.waitall(ps)


def test_proc_spawn_greenlet_is_never_reused(virtual_clock):
    """A raw greenlet from proc.spawn_greenlet ends for good too."""
    g = proc.spawn_greenlet(lambda: None)
    sleep(0)
    assert g.dead
    assert proc.spawn(getcurrent).wait() is not g


def test_killed_proc_greenlet_is_reused_cleanly(virtual_clock):
    """After a proc was killed, the next proc on its greenlet runs normally."""

    def victim():
        sleep(100)

    p1 = proc.spawn(victim)
    sleep(0)
    p1.kill()
    assert p1.exit_reason is ExitReason.KILLED
    sleep(0)
    p2 = proc.spawn(lambda: (sleep(1), "ok")[1])
    assert p2.wait() == "ok"
    assert p2.greenlet is p1.greenlet


@pytest.mark.parametrize("outcome", ["return", "raise", "kill"])
def test_greenlet_is_reused_whatever_the_outcome(virtual_clock, hub_errors, outcome):
    """Returning, raising or being killed all hand the greenlet to the next proc."""
    hub_errors.expect(KeyError)

    def first():
        if outcome == "raise":
            raise KeyError
        sleep(100)

    p1 = proc.spawn(first if outcome != "return" else lambda: None)
    sleep(0)
    if outcome == "kill":
        p1.kill()
    sleep(0)
    assert p1.dead
    p2 = proc.spawn(lambda: None)
    p2.wait()
    assert p2.greenlet is p1.greenlet
