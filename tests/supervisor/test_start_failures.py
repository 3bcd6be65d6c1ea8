"""Children that fail to start: at init and during automatic restarts (OTP_SUPERVISOR.md §7)."""

import pytest
from supervisor_helpers import Crash, Lab, StartFailed, join, settle, wait_until

import eventlib
from eventlib.hub import get_hub
from eventlib.proc import current_proc
from eventlib.supervisor import (
    ChildSpec,
    RestartIntensityExceeded,
    Shutdown,
    Supervisor,
    SupervisorNotRunning,
    SupervisorStartError,
    exit_reason,
)

# -- at init ----------------------------------------------------------------


def test_child_failing_at_init_fails_the_supervisor_start(virtual_clock, lab):
    """OTP §7: a child failing at init gives {error, {shutdown, {failed_to_start_child, Id, R}}}."""
    lab.start_plan["c"] = ["fail"]
    with pytest.raises(SupervisorStartError) as caught:
        Supervisor([lab.spec(cid) for cid in "abcd"])
    assert caught.value.child_id == "c"
    assert isinstance(caught.value.cause, StartFailed)


def test_children_started_before_the_failure_are_terminated_in_reverse(virtual_clock, lab):
    """OTP §7: already-started children are terminated in reverse order."""
    lab.start_plan["c"] = ["fail"]
    with pytest.raises(SupervisorStartError):
        Supervisor([lab.spec(cid) for cid in "abcd"])
    assert [(cid, what) for _, cid, what in lab.seen] == [("b", "shutdown"), ("a", "shutdown")]
    assert lab.proc("a").dead
    assert lab.proc("b").dead


def test_children_after_the_failure_are_never_started(virtual_clock, lab):
    """OTP §7: the start stops at the failing child; no retry at init."""
    lab.start_plan["c"] = ["fail"]
    with pytest.raises(SupervisorStartError):
        Supervisor([lab.spec(cid) for cid in "abcd"])
    assert lab.calls == {"a": 1, "b": 1, "c": 1}


def test_supervisor_that_failed_to_start_exits_with_reason_shutdown(virtual_clock, lab):
    """OTP §7: the supervisor exits {shutdown, {failed_to_start_child, ...}}, not as a crash."""
    where = []

    def boom():
        where.append(current_proc())  # a start function runs in the supervisor's proc
        raise StartFailed("no")

    with pytest.raises(SupervisorStartError):
        Supervisor([lab.spec("a"), ChildSpec("b", boom)])
    [sup] = where
    join(sup)
    assert exit_reason(sup) == "shutdown"
    assert isinstance(sup.exc_info()[1].reason, SupervisorStartError)
    # hub_errors is not used: any crash reported to the hub would fail this test.


def test_supervisor_that_failed_to_start_leaves_nothing_running(virtual_clock, lab):
    """OTP §7: after a failed start neither the supervisor nor any child is left running."""
    lab.start_plan["c"] = ["fail"]
    with pytest.raises(SupervisorStartError):
        Supervisor([lab.spec(cid) for cid in "abc"])
    settle()
    assert set(get_hub().procs.values()) == {current_proc()}


def test_start_returning_garbage_at_init_fails_the_start(virtual_clock, lab):
    """OTP §7: a start fn returning garbage at init fails the supervisor start."""
    lab.start_plan["a"] = ["garbage"]
    with pytest.raises(SupervisorStartError) as caught:
        Supervisor([lab.spec("a")])
    assert isinstance(caught.value.cause, TypeError)


def test_ignore_at_init_keeps_the_spec_without_a_proc(virtual_clock, lab):
    """OTP §7: ignore at init is fine; a non-temporary child is kept with pid undefined."""
    lab.start_plan["a"] = ["ignore"]
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    assert [(row.id, row.proc) for row in sup.which_children()] == [
        ("b", lab.proc("b")),
        ("a", None),
    ]
    sup.stop()


def test_ignored_temporary_child_at_init_is_dropped(virtual_clock, lab):
    """OTP §7: a temporary child ignoring at init is dropped."""
    lab.start_plan["a"] = ["ignore"]
    sup = Supervisor([lab.spec("a", restart="temporary"), lab.spec("b")])
    assert [row.id for row in sup.which_children()] == ["b"]
    sup.stop()


def test_init_failure_does_not_involve_intensity(virtual_clock, lab):
    """OTP §7: a failure at init is not a restart: even intensity 0 just reports the failure."""
    lab.start_plan["a"] = ["fail"]
    with pytest.raises(SupervisorStartError):
        Supervisor([lab.spec("a")], max_restarts=0)
    assert lab.calls["a"] == 1


def test_child_supervisor_failing_at_init_fails_its_parents_start(virtual_clock, lab):
    """OTP §7: a child supervisor whose own start fails is a failed child start for the parent."""
    lab.start_plan["x"] = ["fail"]
    inner = ChildSpec("inner", lambda: Supervisor([lab.spec("x")]), type="supervisor")
    with pytest.raises(SupervisorStartError) as caught:
        Supervisor([lab.spec("a"), inner])
    assert caught.value.child_id == "inner"
    assert isinstance(caught.value.cause, SupervisorStartError)
    assert lab.proc("a").dead


def test_supervisor_stopped_while_starting_raises_an_error_to_its_caller(virtual_clock, lab):
    """OTP §7: start_link of a supervisor that dies during init returns an error to the caller."""
    where = []

    def slow():
        where.append(current_proc())
        eventlib.sleep(10)
        return lab.start("slow")

    eventlib.spawn_after(1, lambda: where[0].kill(Shutdown()))
    with pytest.raises(SupervisorNotRunning):
        Supervisor([lab.spec("a"), ChildSpec("slow", slow)])
    assert lab.proc("a").dead
    assert lab.starts_of("slow") == 0


# -- during an automatic restart --------------------------------------------


def crash_and_fail(sup: Supervisor, lab: Lab, child_id: str, failures: int) -> None:
    """Crash ``child_id`` and make its next ``failures`` starts fail."""
    lab.start_plan[child_id] = ["fail"] * failures
    lab.exit(child_id, "error", wait=False)


def test_failed_restart_marks_the_child_restarting(virtual_clock, hub_errors, lab):
    """OTP §7: a child whose restart fails shows 'restarting' in which_children."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=100_000)
    crash_and_fail(sup, lab, "a", 100_000)
    wait_until(lambda: lab.calls["a"] >= 2)
    assert sup.which_child("a").proc == "restarting"
    sup.terminate_child("a")
    sup.stop()


def test_restarting_child_is_not_counted_active(virtual_clock, hub_errors, lab):
    """OTP §7: a restarting child is not counted in count_children's active."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=100_000)
    crash_and_fail(sup, lab, "a", 100_000)
    wait_until(lambda: lab.calls["a"] >= 2)
    counts = sup.count_children()
    assert (counts.specs, counts.active) == (2, 1)
    sup.terminate_child("a")
    sup.stop()


def test_failed_restart_is_retried_until_it_succeeds(virtual_clock, hub_errors, lab):
    """OTP §7: the supervisor retries the start; the loop ends when a start succeeds."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=10)
    crash_and_fail(sup, lab, "a", 3)
    wait_until(lambda: lab.starts_of("a") == 2)
    settle()
    assert lab.calls["a"] == 1 + 3 + 1
    assert sup.which_child("a").proc is lab.proc("a")
    assert not lab.proc("a").dead
    sup.stop()


def test_each_retry_counts_toward_intensity(virtual_clock, hub_errors, lab):
    """OTP §3/§7: the restart and every retry call add_restart."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=10)
    crash_and_fail(sup, lab, "a", 3)
    wait_until(lambda: lab.starts_of("a") == 2)
    assert sup.statistics().restarts_in_window == 4  # the restart and 3 retries


def test_retries_past_the_intensity_stop_the_supervisor(virtual_clock, hub_errors, lab):
    """OTP §7: a child that never starts again exhausts the intensity; the Sup exits shutdown."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=3)
    crash_and_fail(sup, lab, "a", 100)
    with pytest.raises(RestartIntensityExceeded):
        sup.wait()
    assert exit_reason(sup) == "shutdown"
    assert lab.calls["a"] == 1 + 3  # the init start, then 3 counted attempts
    assert lab.proc("b").dead


def test_api_calls_are_served_between_retries(virtual_clock, hub_errors, lab):
    """OTP §7 (hanging_restart_loop): API calls interleave with the retry loop."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=100_000)
    crash_and_fail(sup, lab, "a", 100_000)
    wait_until(lambda: lab.calls["a"] >= 2)
    sup.start_child(lab.spec("b"))
    assert sup.which_child("b").proc is lab.proc("b")
    sup.terminate_child("a")
    sup.stop()


def test_supervisor_can_be_shut_down_during_a_retry_loop(virtual_clock, hub_errors, lab):
    """OTP §7 (hanging_restart_loop): a supervisor retrying a start can still be shut down."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=100_000)
    crash_and_fail(sup, lab, "a", 100_000)
    wait_until(lambda: lab.calls["a"] >= 2)
    sup.kill(Shutdown())
    join(sup)
    assert exit_reason(sup) == "shutdown"
    assert lab.seen == [(0.0, "b", "shutdown")]
    settle()
    assert set(get_hub().procs.values()) == {current_proc()}


def test_ignore_during_an_automatic_restart_leaves_the_child_undefined(
    virtual_clock, hub_errors, lab
):
    """OTP §7: start returning ignore during a restart leaves pid undefined, with no retry."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=10)
    lab.start_plan["a"] = ["ignore"]
    lab.exit("a", "error")
    eventlib.sleep(10)
    assert sup.which_child("a").proc is None
    assert lab.calls["a"] == 2
    sup.stop()


# -- a failure in the middle of a group restart -----------------------------


def abcd(lab: Lab, strategy: str) -> Supervisor:
    return Supervisor([lab.spec(cid) for cid in "abcd"], strategy=strategy, max_restarts=100)


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_group_restart_failure_marks_the_child_restarting_and_stops_there(
    virtual_clock, hub_errors, lab, strategy
):
    """OTP §2: X failing mid-group is restarting; those before run, those after stay stopped."""
    hub_errors.expect(Crash)
    sup = abcd(lab, strategy)
    lab.start_plan["c"] = ["fail", "block"]  # the retry blocks: the state can be looked at
    lab.exit("b", "error", wait=False)
    wait_until(lambda: lab.calls["c"] == 3)  # the init start, the failed one, the blocked retry
    rows = {row.id: row.proc for row in sup.which_children()}
    assert rows["b"] is lab.proc("b")
    assert not lab.proc("b").dead
    assert rows["c"] == "restarting"
    assert rows["d"] is None
    lab.block_until.send("fail")
    settle()
    sup.terminate_child("c")
    sup.stop()


def test_one_for_all_retry_restarts_everyone_again(virtual_clock, hub_errors, lab):
    """OTP §2: a one_for_all retry stops everyone again (fresh ones: shutdown), restarts all."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all")
    lab.start_plan["c"] = ["fail"]
    lab.exit("b", "error", wait=False)
    wait_until(lambda: lab.starts_of("d") == 2)
    settle()
    assert [lab.starts_of(cid) for cid in "abcd"] == [3, 3, 2, 2]
    fresh = [lab.procs["a"][1], lab.procs["b"][1]]
    assert [exit_reason(proc) for proc in fresh] == ["shutdown", "shutdown"]
    assert all(not lab.proc(cid).dead for cid in "abcd")
    sup.stop()


def test_rest_for_one_retry_restarts_only_the_failed_child_and_later_ones(
    virtual_clock, hub_errors, lab
):
    """OTP §2: a rest_for_one retry restarts X and later children; earlier ones keep new pids."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "rest_for_one")
    lab.start_plan["c"] = ["fail"]
    lab.exit("b", "error", wait=False)
    wait_until(lambda: lab.starts_of("d") == 2)
    settle()
    assert [lab.starts_of(cid) for cid in "abcd"] == [1, 2, 2, 2]
    assert not lab.procs["b"][1].dead
    sup.stop()
