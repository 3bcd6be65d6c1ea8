"""Who a proc is: id, name, parent, current_proc(), the hub's table of live procs."""

import functools
import gc
import weakref

from greenlet import greenlet as Greenlet  # noqa: N812 - the class, as in eventlib

from eventlib import proc
from eventlib.hub import get_hub, sleep
from eventlib.proc import Proc


def test_ids_are_unique_and_increasing(virtual_clock):
    """Each proc gets a new id, larger than the previous one's."""
    ids = [proc.spawn(lambda: None).id for _ in range(20)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 20


def test_explicit_name(virtual_clock):
    """Proc(name=...) keeps that name."""
    p = Proc(name="session-7")
    p.run(lambda: None)
    assert p.name == "session-7"


def test_name_can_be_set(virtual_clock):
    """proc.name is writable."""
    p = proc.spawn(lambda: None)
    p.name = "renamed"
    assert p.name == "renamed"


def worker():
    """A module-level function for the naming tests."""


def test_name_derived_from_the_function(virtual_clock):
    """Without a name, a proc is named after its function's qualified name."""
    assert proc.spawn(worker).name == "worker"

    class Service:
        def serve(self):
            pass

    assert proc.spawn(Service().serve).name.endswith("Service.serve")


def test_name_of_a_callable_without_qualname_is_its_str(virtual_clock):
    """A callable without __qualname__ (a partial) is named str(callable)."""
    f = functools.partial(worker)
    assert proc.spawn(f).name == str(f)


def test_a_finished_proc_keeps_the_name_derived_from_its_function(virtual_clock):
    """The name derived from the function outlives the proc's run."""

    class Service:
        def serve(self):
            pass

    p = proc.spawn(Service().serve)
    p.wait()
    assert p.name.endswith("Service.serve")
    assert "Service.serve" in repr(p)


def test_a_finished_proc_lets_the_object_that_holds_it_go_without_the_collector(virtual_clock):
    """An actor-like object whose method a proc runs, and which holds that proc, is freed by
    reference counting once the proc ends: the proc drops its function."""

    class Owner:
        def __init__(self):
            self.proc = Proc(name="owned")
            self.proc.run(self.serve)

        def serve(self):
            pass

    gc.disable()
    try:
        owner = Owner()
        owner.proc.wait()
        sleep(0)  # the links fire
        gone = weakref.ref(owner)
        del owner
        assert gone() is None
    finally:
        gc.enable()


def test_name_of_an_unstarted_proc_is_none():
    """Proc() with no name and no function yet has name None."""
    assert Proc().name is None


def test_parent_is_the_spawning_proc(virtual_clock):
    """A proc spawned from a proc has it as parent; parent_id is its id."""
    me = proc.current_proc()
    child = proc.spawn(lambda: None)
    assert child.parent is me
    assert child.parent_id == me.id


def test_grandchild_parent_chain(virtual_clock):
    """parent follows the spawning chain."""
    child = proc.spawn(lambda: proc.spawn(lambda: None))
    grandchild = child.wait()
    assert grandchild.parent is child
    assert child.parent is proc.current_proc()


def test_parent_is_none_from_the_main_greenlet():
    """A proc created in the main greenlet (no proc) has no parent."""
    p = Proc()
    assert p.parent is None
    assert p.parent_id is None


def test_parent_is_none_when_spawned_from_main_loop(virtual_clock, in_main_loop):
    """A proc spawned from MAIN_LOOP (a Twisted callback) has no parent."""
    p = in_main_loop(proc.spawn, lambda: None)
    assert p.parent is None
    assert p.parent_id is None


def test_parent_is_none_when_spawned_from_a_raw_greenlet(virtual_clock):
    """A proc spawned from a raw greenlet has no parent."""
    spawned = []
    proc.spawn_greenlet(lambda: spawned.append(proc.spawn(lambda: None)))
    sleep(0)
    assert spawned[0].parent is None


def test_current_proc_inside_a_proc(virtual_clock):
    """current_proc() in a proc returns that proc."""
    p = proc.spawn(proc.current_proc)
    assert p.wait() is p


def test_current_proc_in_the_test_body_is_its_proc(virtual_clock):
    """The test body runs as a proc, so current_proc() is a Proc."""
    assert isinstance(proc.current_proc(), Proc)


def test_current_proc_in_main_loop_is_none(virtual_clock, in_main_loop):
    """current_proc() in MAIN_LOOP is None."""
    assert in_main_loop(proc.current_proc) is None


def test_current_proc_in_a_raw_greenlet_is_none(virtual_clock):
    """current_proc() in a raw greenlet is None."""
    seen = []
    proc.spawn_greenlet(lambda: seen.append(proc.current_proc()))
    sleep(0)
    assert seen == [None]


def test_current_proc_outside_any_hub_is_none():
    """current_proc() in the main greenlet is None."""
    assert proc.current_proc() is None


def test_proc_greenlet_is_the_greenlet_it_runs_in(virtual_clock):
    """proc.greenlet is the greenlet that runs the function."""
    from greenlet import getcurrent

    p = proc.spawn(getcurrent)
    assert p.wait() is p.greenlet
    assert isinstance(p.greenlet, Greenlet)


def test_hub_procs_holds_live_procs_only(virtual_clock):
    """hub.procs maps the id of every live proc to it and forgets it when it ends."""
    p = proc.spawn(sleep, 1)
    assert get_hub().procs[p.id] is p
    p.wait()
    assert p.id not in get_hub().procs
