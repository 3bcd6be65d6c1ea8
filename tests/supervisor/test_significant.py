"""Significant children and auto_shutdown (OTP_SUPERVISOR.md §5)."""

import pytest
from supervisor_helpers import Crash, Lab, join, settle, wait_until

from eventlib.supervisor import ChildSpec, Supervisor, exit_reason

AUTO = ["any_significant", "all_significant"]


def sup_with(lab: Lab, auto_shutdown: str, *specs, **flags) -> Supervisor:
    return Supervisor(list(specs), auto_shutdown=auto_shutdown, max_restarts=10, **flags)


# -- triggers ---------------------------------------------------------------


@pytest.mark.parametrize("reason", ["normal", "shutdown", "shutdown_term"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_significant_transient_ending_cleanly_shuts_the_supervisor_down(
    virtual_clock, lab, auto_shutdown, reason
):
    """OTP §5: a significant transient child ending normal/shutdown/{shutdown,_} triggers."""
    sup = sup_with(
        lab, auto_shutdown, lab.spec("w"), lab.spec("s", restart="transient", significant=True)
    )
    lab.exit("s", reason)
    assert sup.dead
    assert exit_reason(sup) == "shutdown"


@pytest.mark.parametrize("reason", ["normal", "shutdown", "error", "killed"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_significant_temporary_ending_for_any_reason_shuts_the_supervisor_down(
    virtual_clock, hub_errors, lab, auto_shutdown, reason
):
    """OTP §5: a significant temporary child ending with any reason (kill/abnormal too) triggers."""
    hub_errors.expect(Crash)
    sup = sup_with(
        lab, auto_shutdown, lab.spec("w"), lab.spec("s", restart="temporary", significant=True)
    )
    lab.exit("s", reason)
    assert sup.dead
    assert exit_reason(sup) == "shutdown"


def test_auto_shutdown_stops_the_other_children_in_reverse_order(virtual_clock, lab):
    """OTP §5: auto-shutdown stops all other children in reverse order, then the supervisor."""
    specs = [
        lab.spec("a"),
        lab.spec("s", restart="transient", significant=True),
        lab.spec("c"),
        lab.spec("d"),
    ]
    sup = sup_with(lab, "any_significant", *specs)
    lab.exit("s", "normal")
    assert sup.dead
    assert [(cid, what) for _, cid, what in lab.seen] == [
        ("d", "shutdown"),
        ("c", "shutdown"),
        ("a", "shutdown"),
    ]


def test_all_significant_waits_for_the_last_significant_child(virtual_clock, lab):
    """OTP §5: all_significant stops only when no significant child still has a live pid."""
    specs = [lab.spec(cid, restart="transient", significant=True) for cid in "xyz"]
    sup = sup_with(lab, "all_significant", lab.spec("w"), *specs)
    lab.exit("x", "normal")
    lab.exit("z", "shutdown")
    assert not sup.dead
    lab.exit("y", "normal")
    assert sup.dead
    assert exit_reason(sup) == "shutdown"


def test_all_significant_is_not_kept_alive_by_non_significant_children(virtual_clock, lab):
    """OTP §5: all_significant ignores non-significant children when looking for live ones."""
    sup = sup_with(
        lab,
        "all_significant",
        lab.spec("w"),
        lab.spec("s", restart="transient", significant=True),
        lab.spec("v"),
    )
    lab.exit("s", "normal")
    assert sup.dead


def test_all_significant_counts_a_restarting_significant_child_as_active(
    virtual_clock, hub_errors, lab
):
    """OTP §5: a significant child being restarted has a pid ({restarting, _}), so it is active."""
    hub_errors.expect(Crash)
    specs = [lab.spec(cid, restart="transient", significant=True) for cid in "xy"]
    sup = Supervisor(specs, auto_shutdown="all_significant", max_restarts=10_000)
    lab.start_plan["y"] = ["fail"] * 100_000
    lab.exit("y", "error", wait=False)
    wait_until(lambda: sup.which_child("y").proc == "restarting")
    lab.exit("x", "normal", wait=False)
    wait_until(lambda: sup.dead or sup.which_child("x").proc is None)
    assert not sup.dead
    sup.terminate_child("y")
    sup.stop()


# -- not triggers -----------------------------------------------------------


@pytest.mark.parametrize("reason", ["error", "killed"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_significant_transient_crash_is_restarted_instead(
    virtual_clock, hub_errors, lab, auto_shutdown, reason
):
    """OTP §5: a significant transient child crashing abnormally is restarted, not a trigger."""
    hub_errors.expect(Crash)
    sup = sup_with(lab, auto_shutdown, lab.spec("s", restart="transient", significant=True))
    lab.exit("s", reason)
    assert not sup.dead
    assert lab.starts_of("s") == 2
    sup.stop()


@pytest.mark.parametrize("restart", ["transient", "temporary"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_terminate_child_of_a_significant_child_is_not_a_trigger(
    virtual_clock, lab, auto_shutdown, restart
):
    """OTP §5/§6: terminating a significant child through the API never triggers auto_shutdown."""
    sup = sup_with(
        lab, auto_shutdown, lab.spec("w"), lab.spec("s", restart=restart, significant=True)
    )
    sup.terminate_child("s")
    settle()
    assert not sup.dead
    sup.stop()


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_significant_bystander_of_a_group_restart_is_not_a_trigger(
    virtual_clock, hub_errors, lab, auto_shutdown, strategy
):
    """OTP §5: significant children killed as one_for_all/rest_for_one bystanders do not trigger."""
    hub_errors.expect(Crash)
    specs = [
        lab.spec("a"),
        lab.spec("t", restart="transient", significant=True),
        lab.spec("u", restart="temporary", significant=True),
    ]
    sup = sup_with(lab, auto_shutdown, *specs, strategy=strategy)
    lab.exit("a", "error")
    assert not sup.dead
    assert lab.seen_by("t") == lab.seen_by("u") == ["shutdown"]
    sup.stop()


@pytest.mark.parametrize("restart", ["transient", "temporary"])
@pytest.mark.parametrize("auto_shutdown", AUTO)
def test_non_significant_child_ending_is_not_a_trigger(virtual_clock, lab, auto_shutdown, restart):
    """OTP §5: a non-significant child ending never triggers auto_shutdown."""
    sup = sup_with(
        lab,
        auto_shutdown,
        lab.spec("s", restart="transient", significant=True),
        lab.spec("n", restart=restart),
    )
    lab.exit("n", "normal")
    assert not sup.dead
    sup.stop()


@pytest.mark.parametrize("restart", ["transient", "temporary"])
def test_auto_shutdown_never_ignores_children_ending(virtual_clock, lab, restart):
    """OTP §5: with auto_shutdown never (the default) children ending never stop the supervisor."""
    sup = Supervisor([lab.spec("a", restart=restart), lab.spec("b")])
    lab.exit("a", "normal")
    assert not sup.dead
    sup.stop()


# -- escalation through a tree ----------------------------------------------


def auto_child_sup(lab: Lab):
    """A child supervisor that auto-shuts down when its significant child 's' ends."""

    def start():
        return Supervisor(
            [lab.spec("s", restart="transient", significant=True), lab.spec("w")],
            auto_shutdown="any_significant",
            name="inner",
        )

    return start


def test_child_supervisor_that_auto_shuts_down_exits_with_reason_shutdown(virtual_clock, lab):
    """OTP §5: a child supervisor that auto-shuts down exits with reason shutdown."""
    parent = Supervisor(
        [ChildSpec("inner", auto_child_sup(lab), type="supervisor", restart="transient")]
    )
    inner = parent.which_child("inner").proc
    lab.exit("s", "normal")
    assert exit_reason(inner) == "shutdown"
    parent.stop()


def test_significant_child_supervisor_auto_shutdown_stops_the_parent(virtual_clock, lab):
    """OTP §5: a significant child supervisor auto-shutting down stops an auto_shutdown parent."""
    spec = ChildSpec(
        "inner", auto_child_sup(lab), type="supervisor", restart="transient", significant=True
    )
    parent = Supervisor([lab.spec("p"), spec], auto_shutdown="any_significant", name="outer")
    lab.exit("s", "normal")
    join(parent)
    assert exit_reason(parent) == "shutdown"
    assert lab.proc("p").dead


def test_non_significant_child_supervisor_auto_shutdown_is_not_restarted(virtual_clock, lab):
    """OTP §5: a non-significant transient child supervisor that auto-shut down stays down."""
    spec = ChildSpec("inner", auto_child_sup(lab), type="supervisor", restart="transient")
    parent = Supervisor([lab.spec("p"), spec], auto_shutdown="any_significant")
    lab.exit("s", "normal")
    assert not parent.dead
    assert parent.which_child("inner").proc is None
    assert lab.starts_of("s") == 1
    assert not lab.proc("p").dead
    parent.stop()
