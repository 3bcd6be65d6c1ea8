"""start_child / terminate_child / restart_child / delete_child / get_childspec (OTP §6)."""

import pytest
from supervisor_helpers import Crash, Lab, StartFailed, settle

import eventlib
from eventlib.supervisor import (
    AlreadyPresent,
    AlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    ChildSpec,
    InvalidChildSpec,
    StartChildError,
    Supervisor,
    SupervisorNotRunning,
)


class Handle:
    """What an Actor-like start returns: an object with ``.proc``."""

    def __init__(self, proc):
        self.proc = proc


def restarting(sup: Supervisor, lab: Lab, child_id: str) -> None:
    """Put ``child_id`` in the restarting state: its restart fails and is retried later."""
    lab.start_plan[child_id] = ["fail"] * 1000
    lab.exit(child_id, "error", wait=False)
    while sup.which_child(child_id).proc != "restarting":
        eventlib.sleep(0)


# -- start_child ------------------------------------------------------------


def test_start_child_returns_what_start_returned(virtual_clock, lab):
    """OTP §6: start_child returns {ok, Pid}: here the running proc."""
    sup = Supervisor()
    proc = sup.start_child(lab.spec("a"))
    assert proc is lab.proc("a")
    assert sup.which_child("a").proc is proc
    sup.stop()


def test_start_child_returns_the_handle_with_a_proc(virtual_clock):
    """OTP §6: start returning {ok, Pid, Info}: the object with .proc is returned as is."""
    sup = Supervisor()
    handle = sup.start_child(ChildSpec("h", lambda: Handle(eventlib.spawn(eventlib.sleep, 99))))
    assert isinstance(handle, Handle)
    assert sup.which_child("h").proc is handle.proc
    sup.stop()


def test_start_child_appends_at_the_end_of_start_order(virtual_clock, lab):
    """OTP §6: a child added by start_child goes at the end of the start order."""
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    sup.start_child(lab.spec("c"))
    assert [row.id for row in sup.which_children()] == ["c", "b", "a"]
    sup.stop()


def test_start_child_of_a_running_id_is_already_started(virtual_clock, lab):
    """OTP §6: an id that exists and runs gives {error, {already_started, Pid}}."""
    sup = Supervisor([lab.spec("a")])
    with pytest.raises(AlreadyStarted) as caught:
        sup.start_child(lab.spec("a"))
    assert caught.value.proc is lab.proc("a")
    assert lab.starts_of("a") == 1
    sup.stop()


def test_start_child_of_a_stopped_id_is_already_present(virtual_clock, lab):
    """OTP §6: an id that exists and does not run gives {error, already_present}."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    with pytest.raises(AlreadyPresent):
        sup.start_child(lab.spec("a"))
    assert lab.starts_of("a") == 1
    sup.stop()


def test_start_child_of_a_restarting_id_is_already_present(virtual_clock, hub_errors, lab):
    """OTP §6: a restarting child has no pid, so its id is already_present."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=1000)
    restarting(sup, lab, "a")
    with pytest.raises(AlreadyPresent):
        sup.start_child(lab.spec("a"))
    sup.terminate_child("a")
    sup.stop()


def test_start_child_rejects_what_is_not_a_child_spec(virtual_clock):
    """OTP §6: an invalid spec gives {error, Reason}; nothing is started."""
    sup = Supervisor()
    with pytest.raises(InvalidChildSpec):
        sup.start_child({"id": "a"})
    assert sup.which_children() == []
    sup.stop()


def test_start_child_rejects_significant_under_auto_shutdown_never(virtual_clock, lab):
    """OTP §5: start_child checks significant against the supervisor's auto_shutdown."""
    sup = Supervisor()
    with pytest.raises(InvalidChildSpec) as caught:
        sup.start_child(lab.spec("a", restart="transient", significant=True))
    assert caught.value.reason == "bad_combination"
    assert lab.starts == []
    sup.stop()


def test_start_child_ignored_keeps_the_spec_without_a_proc(virtual_clock, lab):
    """OTP §6: start returning ignore gives {ok, undefined}; the spec is kept, pid undefined."""
    sup = Supervisor()
    lab.start_plan["a"] = ["ignore"]
    assert sup.start_child(lab.spec("a")) is None
    assert sup.which_child("a").proc is None
    sup.stop()


def test_start_child_ignored_temporary_is_not_kept(virtual_clock, lab):
    """OTP §6: a temporary child whose start returns ignore is not kept."""
    sup = Supervisor()
    lab.start_plan["a"] = ["ignore"]
    assert sup.start_child(lab.spec("a", restart="temporary")) is None
    assert sup.which_children() == []
    sup.stop()


def test_start_child_failure_discards_the_spec(virtual_clock, lab):
    """OTP §6: a start fn that fails gives {error, {X, ChildSpec}}; the spec is discarded."""
    sup = Supervisor()
    lab.start_plan["a"] = ["fail"]
    with pytest.raises(StartChildError) as caught:
        sup.start_child(lab.spec("a"))
    assert isinstance(caught.value.cause, StartFailed)
    assert caught.value.child_id == "a"
    assert sup.which_children() == []
    sup.stop()


def test_start_child_returning_garbage_is_a_start_error(virtual_clock, lab):
    """OTP §6: a start fn returning garbage is an error; the spec is discarded."""
    sup = Supervisor()
    lab.start_plan["a"] = ["garbage"]
    with pytest.raises(StartChildError) as caught:
        sup.start_child(lab.spec("a"))
    assert isinstance(caught.value.cause, TypeError)
    assert sup.which_children() == []
    sup.stop()


# -- terminate_child --------------------------------------------------------


def test_terminate_child_keeps_the_spec_without_a_proc(virtual_clock, lab):
    """OTP §6: terminate_child stops the child; the spec stays with pid undefined."""
    sup = Supervisor([lab.spec("a")])
    proc = lab.proc("a")
    sup.terminate_child("a")
    assert proc.dead
    assert sup.which_child("a").proc is None
    assert sup.get_childspec("a").id == "a"
    sup.stop()


def test_terminate_child_of_a_temporary_child_removes_its_spec(virtual_clock, lab):
    """OTP §1/§6: a temporary child terminated by the API loses its spec."""
    sup = Supervisor([lab.spec("a", restart="temporary")])
    sup.terminate_child("a")
    assert sup.which_children() == []
    sup.stop()


def test_terminate_child_twice_is_ok(virtual_clock, lab):
    """OTP §6: terminating an already stopped child is ok again (idempotent)."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    sup.terminate_child("a")
    assert sup.which_child("a").proc is None
    sup.stop()


def test_terminate_child_of_an_unknown_id_is_not_found(virtual_clock):
    """OTP §6: terminate_child of an unknown id gives {error, not_found}."""
    sup = Supervisor()
    with pytest.raises(ChildNotFound):
        sup.terminate_child("nobody")
    sup.stop()


def test_terminate_child_with_a_proc_is_not_found(virtual_clock, lab):
    """OTP §6: passing a pid to a non-simple supervisor gives {error, not_found}."""
    sup = Supervisor([lab.spec("a")])
    with pytest.raises(ChildNotFound):
        sup.terminate_child(lab.proc("a"))
    assert not lab.proc("a").dead
    sup.stop()


def test_terminate_child_of_a_restarting_child_cancels_the_restart(virtual_clock, hub_errors, lab):
    """OTP §6/§7: terminate_child of a restarting child is ok; it becomes undefined."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=1000)
    restarting(sup, lab, "a")
    calls = lab.calls["a"]
    sup.terminate_child("a")
    assert sup.which_child("a").proc is None
    eventlib.sleep(1)
    assert lab.calls["a"] == calls  # no retry after the cancel
    sup.stop()


def test_terminate_child_is_not_a_restart(virtual_clock, lab):
    """OTP §6: API termination never counts as a restart."""
    sup = Supervisor([lab.spec("a")], max_restarts=0)
    sup.terminate_child("a")
    sup.restart_child("a")
    sup.terminate_child("a")
    assert not sup.dead
    assert sup.total_restarts == 0
    sup.stop()


def test_terminated_child_is_not_restarted(virtual_clock, lab):
    """OTP §6: a permanent child stopped through the API stays stopped."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    settle()
    assert lab.starts_of("a") == 1
    sup.stop()


# -- restart_child ----------------------------------------------------------


def test_restart_child_starts_a_stopped_child_again(virtual_clock, lab):
    """OTP §6: restart_child of an undefined pid returns {ok, Pid}."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    proc = sup.restart_child("a")
    assert proc is lab.proc("a")
    assert lab.starts_of("a") == 2
    assert sup.which_child("a").proc is proc
    sup.stop()


def test_restart_child_of_a_running_child_is_running(virtual_clock, lab):
    """OTP §6: restart_child of a running child gives {error, running}."""
    sup = Supervisor([lab.spec("a")])
    with pytest.raises(ChildRunning):
        sup.restart_child("a")
    sup.stop()


def test_restart_child_of_a_restarting_child_is_restarting(virtual_clock, hub_errors, lab):
    """OTP §6: restart_child of a restarting child gives {error, restarting}."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=1000)
    restarting(sup, lab, "a")
    with pytest.raises(ChildRestarting):
        sup.restart_child("a")
    sup.terminate_child("a")
    sup.stop()


def test_restart_child_of_an_unknown_id_is_not_found(virtual_clock):
    """OTP §6: restart_child of an unknown id gives {error, not_found}."""
    sup = Supervisor()
    with pytest.raises(ChildNotFound):
        sup.restart_child("nobody")
    sup.stop()


def test_restart_child_ignored_leaves_the_child_undefined(virtual_clock, lab):
    """OTP §6: restart_child when start returns ignore gives {ok, undefined}."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    lab.start_plan["a"] = ["ignore"]
    assert sup.restart_child("a") is None
    assert sup.which_child("a").proc is None
    sup.stop()


def test_restart_child_failure_leaves_the_child_undefined(virtual_clock, lab):
    """OTP §6: restart_child whose start fails gives {error, Reason}; pid stays undefined."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    lab.start_plan["a"] = ["fail"]
    with pytest.raises(StartChildError):
        sup.restart_child("a")
    assert sup.which_child("a").proc is None
    assert sup.get_childspec("a").id == "a"
    sup.stop()


def test_restart_child_does_not_count_toward_intensity(virtual_clock, lab):
    """OTP §6: restart_child does not count toward the restart intensity."""
    sup = Supervisor([lab.spec("a")], max_restarts=0)
    for _ in range(3):
        sup.terminate_child("a")
        sup.restart_child("a")
    assert not sup.dead
    assert sup.statistics().restarts_in_window == 0
    sup.stop()


# -- delete_child -----------------------------------------------------------


def test_delete_child_removes_a_stopped_childs_spec(virtual_clock, lab):
    """OTP §6: delete_child of a stopped child is ok and removes its spec."""
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    sup.terminate_child("a")
    sup.delete_child("a")
    assert [row.id for row in sup.which_children()] == ["b"]
    with pytest.raises(ChildNotFound):
        sup.get_childspec("a")
    sup.stop()


def test_deleted_id_can_be_started_again(virtual_clock, lab):
    """OTP §6: after delete_child the id is free for start_child."""
    sup = Supervisor([lab.spec("a")])
    sup.terminate_child("a")
    sup.delete_child("a")
    assert sup.start_child(lab.spec("a")) is lab.proc("a")
    sup.stop()


def test_delete_child_of_a_running_child_is_running(virtual_clock, lab):
    """OTP §6: delete_child of a running child gives {error, running}."""
    sup = Supervisor([lab.spec("a")])
    with pytest.raises(ChildRunning):
        sup.delete_child("a")
    sup.stop()


def test_delete_child_of_a_restarting_child_is_restarting(virtual_clock, hub_errors, lab):
    """OTP §6: delete_child of a restarting child gives {error, restarting}."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=1000)
    restarting(sup, lab, "a")
    with pytest.raises(ChildRestarting):
        sup.delete_child("a")
    sup.terminate_child("a")
    sup.stop()


def test_delete_child_of_an_unknown_id_is_not_found(virtual_clock):
    """OTP §6: delete_child of an unknown id gives {error, not_found}."""
    sup = Supervisor()
    with pytest.raises(ChildNotFound):
        sup.delete_child("nobody")
    sup.stop()


# -- get_childspec / which_child --------------------------------------------


def test_get_childspec_returns_the_full_spec(virtual_clock, lab):
    """OTP §6: get_childspec(Id) gives {ok, the full spec}."""
    spec = lab.spec("a", restart="transient", shutdown=7)
    sup = Supervisor([spec])
    assert sup.get_childspec("a") == spec
    sup.stop()


def test_get_childspec_of_an_unknown_id_is_not_found(virtual_clock):
    """OTP §6: get_childspec of an unknown id gives {error, not_found}."""
    sup = Supervisor()
    with pytest.raises(ChildNotFound):
        sup.get_childspec("nobody")
    sup.stop()


def test_which_child_returns_one_row(virtual_clock, lab):
    """OTP §6 (newest OTP): which_child(Id) gives the child's which_children tuple."""
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    row = sup.which_child("a")
    assert (row.id, row.proc, row.type.value) == ("a", lab.proc("a"), "worker")
    with pytest.raises(ChildNotFound):
        sup.which_child("nobody")
    sup.stop()


# -- a supervisor that is gone ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "arg"),
    [
        ("terminate_child", "a"),
        ("restart_child", "a"),
        ("delete_child", "a"),
    ],
)
def test_api_call_on_a_dead_supervisor_fails_clearly(virtual_clock, lab, method, arg):
    """OTP (a call to a dead gen_server exits): a dead supervisor raises SupervisorNotRunning."""
    sup = Supervisor([lab.spec("a")])
    sup.stop()
    with pytest.raises(SupervisorNotRunning):
        getattr(sup, method)(arg)


def test_start_child_on_a_dead_supervisor_fails_clearly(virtual_clock, lab):
    """OTP (gen_server:call to a dead process exits): start_child raises SupervisorNotRunning."""
    sup = Supervisor()
    sup.stop()
    with pytest.raises(SupervisorNotRunning):
        sup.start_child(lab.spec("a"))
    assert lab.starts == []
