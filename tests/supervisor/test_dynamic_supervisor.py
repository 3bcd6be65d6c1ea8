"""DynamicSupervisor: OTP's simple_one_for_one (OTP_SUPERVISOR.md §2, §5, §6)."""

import math

import pytest
from supervisor_helpers import Crash, Lab, StartFailed, now, settle

import eventlib
from eventlib.supervisor import (
    ChildNotFound,
    ChildSpec,
    DynamicSupervisor,
    InvalidChildSpec,
    StartChildError,
    Supervisor,
    SupervisorError,
    exit_reason,
)


def dyn(lab: Lab, **kwargs) -> DynamicSupervisor:
    template = {k: kwargs.pop(k) for k in ("restart", "shutdown", "args") if k in kwargs}
    return DynamicSupervisor(lab.spec("session", **template), **kwargs)


def test_no_child_is_started_at_init(virtual_clock, lab):
    """OTP §2: simple_one_for_one starts no child at init."""
    sup = dyn(lab)
    assert lab.starts == []
    assert sup.which_children() == []
    sup.stop()


def test_start_child_appends_extra_args_to_the_template_args(virtual_clock, lab):
    """OTP §2: start_child(Sup, Extra) calls the start fn with template args ++ Extra."""
    sup = dyn(lab, args=("tmpl",))
    proc = sup.start_child("x", 1)
    assert lab.args[proc] == ("tmpl", "x", 1)
    sup.stop()


def test_each_child_is_restarted_alone_with_its_own_args(virtual_clock, hub_errors, lab):
    """OTP §2: a dead dynamic child is restarted one_for_one with its stored args."""
    hub_errors.expect(Crash)
    sup = dyn(lab, max_restarts=10)
    first = sup.start_child(1)
    second = sup.start_child(2)
    lab.exit_proc(first, "error")
    newest = lab.proc("session")
    assert lab.args[newest] == (1,)
    assert not second.dead
    assert {row.proc for row in sup.which_children()} == {newest, second}
    sup.stop()


@pytest.mark.parametrize("reason", ["normal", "shutdown"])
def test_transient_child_that_ends_cleanly_is_forgotten(virtual_clock, lab, reason):
    """OTP §1/§2: a dynamic transient child ending cleanly is not restarted and not kept."""
    sup = dyn(lab, restart="transient")
    proc = sup.start_child()
    lab.exit_proc(proc, reason)
    assert sup.which_children() == []
    assert lab.starts_of("session") == 1
    sup.stop()


@pytest.mark.parametrize("reason", ["normal", "error", "killed"])
def test_temporary_child_is_forgotten_whatever_its_reason(virtual_clock, hub_errors, lab, reason):
    """OTP §1/§2: a dynamic temporary child is never restarted and leaves nothing behind."""
    hub_errors.expect(Crash)
    sup = dyn(lab, restart="temporary")
    proc = sup.start_child()
    lab.exit_proc(proc, reason)
    assert sup.which_children() == []
    assert sup.count_children().workers == 0
    sup.stop()


def test_start_child_ignored_stores_nothing(virtual_clock, lab):
    """OTP §6: simple start_child returning ignore gives {ok, undefined}; nothing is stored."""
    sup = dyn(lab)
    lab.start_plan["session"] = ["ignore"]
    assert sup.start_child() is None
    assert sup.which_children() == []
    sup.stop()


def test_start_child_failure_is_reported_and_stores_nothing(virtual_clock, lab):
    """OTP §6: simple start_child failing gives {error, X}; nothing is stored."""
    sup = dyn(lab)
    lab.start_plan["session"] = ["fail"]
    with pytest.raises(StartChildError) as caught:
        sup.start_child()
    assert isinstance(caught.value.cause, StartFailed)
    assert sup.which_children() == []
    sup.stop()


def test_terminate_child_by_proc(virtual_clock, lab):
    """OTP §6: simple terminate_child takes the child's pid; the child is forgotten."""
    sup = dyn(lab)
    proc = sup.start_child()
    other = sup.start_child()
    sup.terminate_child(proc)
    assert exit_reason(proc) == "shutdown"
    assert [row.proc for row in sup.which_children()] == [other]
    sup.stop()


def test_terminate_child_by_handle(virtual_clock):
    """OTP §6: what start returned (an object with .proc) names the child as its pid does."""

    class Handle:
        def __init__(self):
            self.proc = eventlib.spawn(eventlib.sleep, 99)

    sup = DynamicSupervisor(ChildSpec("h", Handle))
    handle = sup.start_child()
    sup.terminate_child(handle)
    assert handle.proc.dead
    assert sup.which_children() == []
    sup.stop()


def test_terminate_child_of_a_dead_unknown_proc_is_ok(virtual_clock):
    """OTP §6: simple terminate_child of a dead pid that isn't known is ok."""
    sup = DynamicSupervisor(ChildSpec("t", lambda: eventlib.spawn(eventlib.sleep, 9)))
    stranger = eventlib.spawn(lambda: None)
    stranger.wait()
    sup.terminate_child(stranger)
    sup.stop()


def test_terminate_child_of_a_live_proc_not_ours_is_not_found(virtual_clock):
    """OTP §6: simple terminate_child of a live pid that is not a child gives not_found."""
    sup = DynamicSupervisor(ChildSpec("t", lambda: eventlib.spawn(eventlib.sleep, 9)))
    stranger = eventlib.spawn(eventlib.sleep, 9)
    with pytest.raises(ChildNotFound):
        sup.terminate_child(stranger)
    assert not stranger.dead
    stranger.kill()
    sup.stop()


def test_terminate_child_by_id_is_refused_as_simple_one_for_one(virtual_clock, lab):
    """OTP §6: simple terminate_child with an id gives {error, simple_one_for_one}."""
    sup = dyn(lab)
    sup.start_child()
    with pytest.raises(SupervisorError, match="simple_one_for_one") as caught:
        sup.terminate_child("session")
    assert not isinstance(caught.value, ChildNotFound)
    sup.stop()


@pytest.mark.parametrize("method", ["restart_child", "delete_child"])
def test_restart_and_delete_child_are_refused_as_simple_one_for_one(virtual_clock, lab, method):
    """OTP §6: restart_child / delete_child on simple give {error, simple_one_for_one}."""
    sup = dyn(lab)
    proc = sup.start_child()
    with pytest.raises(SupervisorError, match="simple_one_for_one"):
        getattr(sup, method)(proc)
    sup.stop()


def test_which_children_has_no_ids_and_lists_newest_first(virtual_clock, lab):
    """OTP §6: simple which_children rows have id undefined, newest started first."""
    sup = dyn(lab)
    procs = [sup.start_child(n) for n in range(3)]
    rows = sup.which_children()
    assert [row.id for row in rows] == [None] * 3
    assert [row.proc for row in rows] == procs[::-1]
    sup.stop()


def test_count_children_counts_one_spec_and_every_dynamic_child(virtual_clock, lab):
    """OTP §6: simple count_children: specs 1, workers = dynamic children, active the live ones."""
    sup = dyn(lab)
    for n in range(4):
        sup.start_child(n)
    counts = sup.count_children()
    assert (counts.specs, counts.active, counts.workers, counts.supervisors) == (1, 4, 4, 0)
    sup.stop()


def test_count_children_does_not_count_a_restarting_child_as_active(virtual_clock, hub_errors, lab):
    """OTP §6: simple count_children active = dynamic children minus those restarting."""
    hub_errors.expect(Crash)
    sup = dyn(lab, max_restarts=1000)
    sup.start_child()
    victim = sup.start_child()
    lab.start_plan["session"] = ["fail"] * 1000
    lab.exit_proc(victim, "error", wait=False)
    while "restarting" not in [row.proc for row in sup.which_children()]:
        eventlib.sleep(0)
    counts = sup.count_children()
    assert (counts.active, counts.workers) == (1, 2)
    sup.kill()


def test_count_children_of_supervisor_template_counts_supervisors(virtual_clock):
    """OTP §6: simple count_children counts the dynamic children by the template's type."""
    sup = DynamicSupervisor(ChildSpec("s", Supervisor, type="supervisor"))
    sup.start_child()
    sup.start_child()
    counts = sup.count_children()
    assert (counts.supervisors, counts.workers) == (2, 0)
    sup.stop()


def test_get_childspec_of_a_child_proc_is_the_template(virtual_clock, lab):
    """OTP §6: simple get_childspec(Pid) gives the template; an unknown one not_found."""
    sup = dyn(lab)
    proc = sup.start_child()
    assert sup.get_childspec(proc) is sup.template
    with pytest.raises(ChildNotFound):
        sup.get_childspec("session")
    sup.stop()


def test_which_child_of_a_child_proc_is_its_row(virtual_clock, lab):
    """OTP §6 (which_child): a dynamic child is named by its proc; its row has no id."""
    sup = dyn(lab)
    proc = sup.start_child()
    row = sup.which_child(proc)
    assert (row.id, row.proc, row.restarts) == (None, proc, 0)
    with pytest.raises(ChildNotFound):
        sup.which_child("session")
    sup.stop()


def test_dynamic_children_count_toward_intensity(virtual_clock, hub_errors, lab):
    """OTP §3: restarts of dynamic children count against the supervisor's intensity."""
    hub_errors.expect(Crash)
    sup = dyn(lab, max_restarts=1)
    first, second = sup.start_child(), sup.start_child()
    lab.exit_proc(first, "error")
    lab.exit_proc(second, "error")
    assert sup.dead
    assert exit_reason(sup) == "shutdown"
    assert all(proc.dead for proc in lab.procs["session"])


def test_shutdown_sends_every_child_shutdown_at_once(virtual_clock, lab):
    """OTP §2: on shutdown all dynamic children get the exit signal at once."""
    lab.linger["session"] = 1
    sup = dyn(lab, shutdown=10)
    for n in range(5):
        sup.start_child(n)
    sup.stop()
    assert [(t, what) for t, _, what in lab.seen] == [(0.0, "shutdown")] * 5
    assert now() == 1.0  # all stopped together, not one after another


def test_shutdown_uses_one_grace_timer_then_kills_the_rest(virtual_clock, lab):
    """OTP §2: a single timer of the template's shutdown, then every child still alive is killed."""
    lab.linger["session"] = math.inf
    sup = dyn(lab, shutdown=3)
    for n in range(4):
        sup.start_child(n)
    sup.stop()
    assert now() == 3.0
    assert sorted(lab.seen) == [(0.0, "session", "shutdown")] * 4 + [(3.0, "session", "killed")] * 4


def test_brutal_kill_template_kills_every_child_at_once(virtual_clock, lab):
    """OTP §2/§4: a brutal_kill template kills every dynamic child at once."""
    lab.linger["session"] = math.inf
    sup = dyn(lab, shutdown="brutal_kill")
    for n in range(3):
        sup.start_child(n)
    sup.stop()
    assert lab.seen == [(0.0, "session", "killed")] * 3


def test_max_children_refuses_one_child_too_many(virtual_clock, lab):
    """Elixir DynamicSupervisor: start_child past max_children fails; the others are kept."""
    sup = dyn(lab, max_children=2)
    sup.start_child()
    sup.start_child()
    with pytest.raises(SupervisorError, match="max_children"):
        sup.start_child()
    assert lab.starts_of("session") == 2
    sup.stop()


def test_max_children_frees_a_slot_when_a_child_ends(virtual_clock, lab):
    """Elixir DynamicSupervisor: a child that ended frees its max_children slot."""
    sup = dyn(lab, restart="temporary", max_children=1)
    proc = sup.start_child()
    lab.exit_proc(proc, "normal")
    sup.start_child()
    assert lab.starts_of("session") == 2
    sup.stop()


def test_significant_template_is_rejected(virtual_clock, lab):
    """OTP §5: simple_one_for_one with significant children is a bad_combination."""
    with pytest.raises(InvalidChildSpec) as caught:
        DynamicSupervisor(lab.spec("s", restart="transient", significant=True))
    assert caught.value.reason == "bad_combination"


def test_auto_shutdown_is_not_a_dynamic_supervisor_flag(virtual_clock, lab):
    """OTP §5: auto_shutdown with simple_one_for_one is rejected (the recommended reading)."""
    with pytest.raises(TypeError):
        DynamicSupervisor(lab.spec("s"), auto_shutdown="any_significant")


def test_dynamic_supervisor_stop_leaves_nothing_running(virtual_clock, lab):
    """OTP §4: after the dynamic supervisor stops, none of its children runs."""
    sup = dyn(lab)
    for n in range(10):
        sup.start_child(n)
    sup.stop()
    settle()
    assert all(proc.dead for proc in lab.procs["session"])
    assert sup.count_children().workers == 0
