"""one_for_one, one_for_all, rest_for_one (OTP_SUPERVISOR.md §2)."""

import pytest
from supervisor_helpers import Crash, Lab

from eventlib.supervisor import Supervisor, exit_reason


def abcd(lab: Lab, strategy: str, **kinds: str) -> Supervisor:
    """Four children a, b, c, d started in that order; ``kinds`` overrides restart types."""
    specs = [lab.spec(cid, restart=kinds.get(cid, "permanent")) for cid in "abcd"]
    return Supervisor(specs, strategy=strategy, max_restarts=10)


def test_one_for_one_restarts_only_the_dead_child(virtual_clock, hub_errors, lab):
    """OTP §2: one_for_one restarts only the dead child; the others keep their procs."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_one")
    lab.exit("b", "error")
    assert [lab.starts_of(cid) for cid in "abcd"] == [1, 2, 1, 1]
    assert lab.seen == []
    sup.stop()


def test_one_for_one_is_the_default_strategy(virtual_clock, hub_errors, lab):
    """OTP §2: one_for_one is the default strategy."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    lab.exit("a", "error")
    assert (lab.starts_of("a"), lab.starts_of("b")) == (2, 1)
    sup.stop()


def test_one_for_all_terminates_the_others_in_reverse_start_order(virtual_clock, hub_errors, lab):
    """OTP §2: one_for_all terminates all other children right to left."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all")
    lab.exit("b", "error")
    assert [(cid, what) for _, cid, what in lab.seen] == [
        ("d", "shutdown"),
        ("c", "shutdown"),
        ("a", "shutdown"),
    ]
    sup.stop()


def test_one_for_all_restarts_every_child_in_start_order(virtual_clock, hub_errors, lab):
    """OTP §2: one_for_all restarts all children left to right, the dead one included."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all")
    lab.starts.clear()
    lab.exit("c", "error")
    assert [cid for _, cid in lab.starts] == ["a", "b", "c", "d"]
    assert [row.proc for row in sup.which_children()] == [lab.proc(cid) for cid in "dcba"]
    sup.stop()


def test_one_for_all_bystanders_exit_with_reason_shutdown(virtual_clock, hub_errors, lab):
    """OTP §2/§4: children terminated by the strategy exit with reason shutdown."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all")
    old = {cid: lab.proc(cid) for cid in "acd"}
    lab.exit("b", "error")
    assert {cid: exit_reason(proc) for cid, proc in old.items()} == dict.fromkeys("acd", "shutdown")
    sup.stop()


def test_rest_for_one_terminates_later_children_last_first(virtual_clock, hub_errors, lab):
    """OTP §2: rest_for_one terminates the children started after the dead one, last first."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "rest_for_one")
    lab.exit("b", "error")
    assert [(cid, what) for _, cid, what in lab.seen] == [("d", "shutdown"), ("c", "shutdown")]
    sup.stop()


def test_rest_for_one_restarts_the_dead_child_and_later_ones_in_order(
    virtual_clock, hub_errors, lab
):
    """OTP §2: rest_for_one restarts the dead child and those after it, in start order."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "rest_for_one")
    lab.starts.clear()
    lab.exit("b", "error")
    assert [cid for _, cid in lab.starts] == ["b", "c", "d"]
    sup.stop()


def test_rest_for_one_leaves_earlier_children_untouched(virtual_clock, hub_errors, lab):
    """OTP §2: rest_for_one leaves the children before the dead one with the same procs."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "rest_for_one")
    a = lab.proc("a")
    lab.exit("c", "error")
    assert lab.proc("a") is a
    assert not a.dead
    assert lab.seen_by("a") == []
    assert [lab.starts_of(cid) for cid in "abcd"] == [1, 1, 2, 2]
    sup.stop()


def test_rest_for_one_with_the_last_child_dead_restarts_only_it(virtual_clock, hub_errors, lab):
    """OTP §2: rest_for_one on the last child is one_for_one for it."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "rest_for_one")
    lab.exit("d", "error")
    assert [lab.starts_of(cid) for cid in "abcd"] == [1, 1, 1, 2]
    assert lab.seen == []
    sup.stop()


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_temporary_bystander_is_terminated_and_forgotten(virtual_clock, hub_errors, lab, strategy):
    """OTP §2: a temporary bystander is terminated with the group, not restarted, spec removed."""
    hub_errors.expect(Crash)
    sup = abcd(lab, strategy, d="temporary")
    lab.exit("b", "error")
    assert lab.seen_by("d") == ["shutdown"]
    assert lab.starts_of("d") == 1
    assert [row.id for row in sup.which_children()] == ["c", "b", "a"]
    sup.stop()


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_transient_bystander_is_restarted_with_the_group(virtual_clock, hub_errors, lab, strategy):
    """OTP §2: non-temporary bystanders (transient too) are restarted with the group."""
    hub_errors.expect(Crash)
    sup = abcd(lab, strategy, d="transient")
    lab.exit("b", "error")
    assert lab.starts_of("d") == 2
    assert not lab.proc("d").dead
    sup.stop()


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_group_restart_counts_once_toward_intensity(virtual_clock, hub_errors, lab, strategy):
    """OTP §3: one exit restarting a group is one restart (add_restart is called once)."""
    hub_errors.expect(Crash)
    sup = abcd(lab, strategy)
    lab.exit("a", "error")
    assert sup.statistics().restarts_in_window == 1
    sup.stop()


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_group_restart_keeps_the_start_order(virtual_clock, hub_errors, lab, strategy):
    """OTP §2: a group restart keeps each child's place (which_children order unchanged)."""
    hub_errors.expect(Crash)
    sup = abcd(lab, strategy)
    lab.exit("b", "error")
    assert [row.id for row in sup.which_children()] == ["d", "c", "b", "a"]
    sup.stop()


def test_one_for_all_also_starts_a_child_stopped_by_terminate_child(virtual_clock, hub_errors, lab):
    """OTP §2: one_for_all restarts all non-temporary children, one stopped by the API included."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all")
    sup.terminate_child("d")
    lab.exit("a", "error")
    assert lab.starts_of("d") == 2
    assert sup.which_child("d").proc is lab.proc("d")
    sup.stop()


def test_one_for_all_with_a_temporary_dead_child_restarts_nothing(virtual_clock, hub_errors, lab):
    """OTP §1/§2: a dead temporary child is never restarted, so its group is left alone."""
    hub_errors.expect(Crash)
    sup = abcd(lab, "one_for_all", b="temporary")
    lab.exit("b", "error")
    assert [lab.starts_of(cid) for cid in "abcd"] == [1, 1, 1, 1]
    assert lab.seen == []
    sup.stop()
