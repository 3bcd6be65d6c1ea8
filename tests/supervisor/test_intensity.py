"""Restart intensity: MaxR restarts in a sliding MaxT window (OTP_SUPERVISOR.md §3)."""

import pytest
from supervisor_helpers import Crash, Lab, join, now, settle

import eventlib
from eventlib.supervisor import RestartIntensityExceeded, Supervisor, exit_reason


def crash_at(lab: Lab, child_id: str, times: list[float]) -> None:
    """Crash ``child_id``'s current proc at each virtual time in ``times``."""
    for when in times:
        eventlib.sleep(when - now())
        assert now() == when
        lab.exit(child_id, "error")


def worker_sup(lab: Lab, **flags) -> Supervisor:
    return Supervisor([lab.spec("w")], **flags)


@pytest.mark.parametrize("max_restarts", [1, 2, 5])
def test_exactly_max_restarts_in_the_window_are_allowed(
    virtual_clock, hub_errors, lab, max_restarts
):
    """OTP §3: exactly MaxR restarts within MaxT are fine."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=max_restarts, max_seconds=5)
    crash_at(lab, "w", [float(i) for i in range(max_restarts)])
    assert not sup.dead
    assert lab.starts_of("w") == max_restarts + 1
    sup.stop()


@pytest.mark.parametrize("max_restarts", [1, 2, 5])
def test_one_restart_more_than_max_restarts_escalates(virtual_clock, hub_errors, lab, max_restarts):
    """OTP §3: the (MaxR+1)-th restart within MaxT makes the supervisor give up."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=max_restarts, max_seconds=5)
    crash_at(lab, "w", [float(i) for i in range(max_restarts + 1)])
    assert sup.dead
    assert lab.starts_of("w") == max_restarts + 1  # the last one was not restarted


def test_supervisor_that_gives_up_exits_with_reason_shutdown(virtual_clock, hub_errors, lab):
    """OTP §3: past the intensity the supervisor stops with reason shutdown."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=1, max_seconds=5)
    crash_at(lab, "w", [0.0, 1.0])
    assert exit_reason(sup) == "shutdown"


def test_supervisor_that_gives_up_raises_restart_intensity_exceeded(virtual_clock, hub_errors, lab):
    """OTP §3: reached_max_restart_intensity names the limit and the last child."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("w")], max_restarts=2, max_seconds=7, name="root")
    crash_at(lab, "w", [0.0, 0.0, 0.0])
    with pytest.raises(RestartIntensityExceeded) as caught:
        sup.wait()
    error = caught.value
    assert (error.supervisor, error.child_id) == ("root", "w")
    assert (error.max_restarts, error.max_seconds) == (2, 7)
    assert "restart intensity" in str(error)


def test_intensity_zero_gives_up_on_the_first_restart(virtual_clock, hub_errors, lab):
    """OTP §3: intensity 0 means the first restart attempt kills the supervisor."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=0)
    lab.exit("w", "error")
    assert sup.dead
    assert lab.starts_of("w") == 1


def test_default_intensity_is_one_restart_in_five_seconds(virtual_clock, hub_errors, lab):
    """OTP §3: the defaults (1 in 5 s) allow one restart and give up on the second."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("w")])
    crash_at(lab, "w", [0.0])
    assert not sup.dead
    crash_at(lab, "w", [4.0])
    assert sup.dead


def test_restart_exactly_at_the_window_edge_still_counts(virtual_clock, hub_errors, lab):
    """OTP §3: timestamps t >= now - period are kept: the window is inclusive at its edge."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=1, max_seconds=5)
    crash_at(lab, "w", [0.0, 5.0])
    assert sup.dead


def test_restart_just_past_the_window_edge_is_forgotten(virtual_clock, hub_errors, lab):
    """OTP §3: restarts older than the period are dropped before counting."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=1, max_seconds=5)
    crash_at(lab, "w", [0.0, 6.0])
    assert not sup.dead
    sup.stop()


def test_fractional_period_window_is_inclusive_at_its_edge(virtual_clock, hub_errors, lab):
    """OTP §3 (float seconds, documented): the edge of a 0.5 s window still counts."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=1, max_seconds=0.5)
    crash_at(lab, "w", [0.0, 0.5])
    assert sup.dead


def test_fractional_period_forgets_restarts_past_its_edge(virtual_clock, hub_errors, lab):
    """OTP §3 (float seconds, documented): a restart 0.75 s ago is outside a 0.5 s window."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=1, max_seconds=0.5)
    crash_at(lab, "w", [0.0, 0.75, 1.5])
    assert not sup.dead
    sup.stop()


def test_window_slides_rather_than_resetting(virtual_clock, hub_errors, lab):
    """OTP §3: the window slides: 2 in 5 s allows a crash every 3 s, not 3 within 5 s."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=2, max_seconds=5)
    crash_at(lab, "w", [0.0, 3.0, 6.0, 9.0, 12.0])
    assert not sup.dead
    crash_at(lab, "w", [13.0])  # 9, 12, 13 are within [8, 13]
    assert sup.dead


def test_restarts_in_window_reports_the_sliding_count(virtual_clock, hub_errors, lab):
    """OTP §3: statistics() counts the restarts still inside the window."""
    hub_errors.expect(Crash)
    sup = worker_sup(lab, max_restarts=5, max_seconds=5)
    crash_at(lab, "w", [0.0, 1.0, 2.0])
    assert sup.statistics().restarts_in_window == 3
    eventlib.sleep(4.5)  # now 6.5: only the restart at 2 is in [1.5, 6.5]
    assert sup.statistics().restarts_in_window == 1
    assert sup.statistics().total_restarts == 3
    sup.stop()


def test_restarts_of_different_children_share_one_intensity(virtual_clock, hub_errors, lab):
    """OTP §3: the intensity is the supervisor's, summed over all its children."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=1, max_seconds=5)
    lab.exit("a", "error")
    lab.exit("b", "error")
    assert sup.dead


def test_clean_exits_that_are_not_restarted_do_not_count(virtual_clock, hub_errors, lab):
    """OTP §1/§3: transient normal exits are not restarts, so intensity 0 survives them."""
    sup = Supervisor([lab.spec(cid, restart="transient") for cid in "abc"], max_restarts=0)
    for cid in "abc":
        lab.exit(cid, "normal")
    assert not sup.dead
    sup.stop()


def test_giving_up_shuts_the_other_children_down_in_reverse_order(virtual_clock, hub_errors, lab):
    """OTP §3: on exceeding, the remaining children are shut down in reverse start order."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec(cid) for cid in "abcd"], max_restarts=0)
    lab.exit("b", "error")
    assert sup.dead
    assert [(cid, what) for _, cid, what in lab.seen] == [
        ("d", "shutdown"),
        ("c", "shutdown"),
        ("a", "shutdown"),
    ]
    assert all(proc.dead for procs in lab.procs.values() for proc in procs)


def test_giving_up_uses_each_childs_shutdown_spec(virtual_clock, hub_errors, lab):
    """OTP §3/§4: the terminate phase gives each child its own grace, then kills it."""
    hub_errors.expect(Crash)
    lab.linger.update(a=100, c=100)
    specs = [lab.spec("a", shutdown=2), lab.spec("b"), lab.spec("c", shutdown="brutal_kill")]
    sup = Supervisor(specs, max_restarts=0)
    lab.exit("b", "error", wait=False)
    join(sup)
    assert sup.dead
    assert lab.seen == [(0.0, "c", "killed"), (0.0, "a", "shutdown"), (2.0, "a", "killed")]


def test_dead_child_is_not_restarted_when_the_supervisor_gives_up(virtual_clock, hub_errors, lab):
    """OTP §3: the dead child's record is cleared; it is not started again."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=0)
    lab.exit("a", "error")
    settle()
    assert sup.dead
    assert lab.starts_of("a") == 1
    assert not any(not proc.dead for procs in lab.procs.values() for proc in procs)
