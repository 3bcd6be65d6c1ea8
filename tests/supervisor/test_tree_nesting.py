"""Supervisors under supervisors: escalation, nested shutdown, paths (OTP §3, §4, DESIGN.md)."""

import math

import pytest
from supervisor_helpers import Crash, Lab, join, settle

from eventlib.hub import get_hub
from eventlib.proc import current_proc
from eventlib.supervisor import (
    ChildSpec,
    Killed,
    RestartIntensityExceeded,
    Supervisor,
    exit_reason,
)


def inner_spec(lab: Lab, restart: str = "permanent", **inner_flags) -> ChildSpec:
    """A child supervisor 'inner' with one worker 'w' (intensity 0 unless told otherwise)."""
    inner_flags.setdefault("max_restarts", 0)

    def start():
        return Supervisor([lab.spec("w")], name="inner", **inner_flags)

    return ChildSpec("inner", start, type="supervisor", restart=restart)


def test_child_supervisor_exceeding_intensity_exits_with_reason_shutdown(
    virtual_clock, hub_errors, lab
):
    """OTP §3: a child supervisor past its intensity exits with reason shutdown."""
    hub_errors.expect(Crash)
    parent = Supervisor([inner_spec(lab, restart="transient")], name="root")
    inner = parent.which_child("inner").proc
    lab.exit("w", "error")
    assert exit_reason(inner) == "shutdown"
    assert isinstance(inner.exc_info()[1], RestartIntensityExceeded)
    parent.stop()


def test_permanent_parent_restarts_a_child_supervisor_that_gave_up(virtual_clock, hub_errors, lab):
    """OTP §1/§3: escalation: a permanent child supervisor that gave up is restarted."""
    hub_errors.expect(Crash)
    parent = Supervisor([inner_spec(lab)], name="root")
    first = parent.which_child("inner").proc
    lab.exit("w", "error")
    second = parent.which_child("inner").proc
    assert second is not first
    assert not second.dead
    assert lab.starts_of("w") == 2  # the new child supervisor started a fresh worker
    assert parent.which_child("inner").restarts == 1
    parent.stop()


def test_transient_parent_does_not_restart_a_child_supervisor_that_gave_up(
    virtual_clock, hub_errors, lab
):
    """OTP §1/§3: a transient child supervisor exiting shutdown is not restarted."""
    hub_errors.expect(Crash)
    parent = Supervisor([inner_spec(lab, restart="transient"), lab.spec("p")], name="root")
    lab.exit("w", "error")
    assert parent.which_child("inner").proc is None
    assert not parent.dead
    assert not lab.proc("p").dead
    assert parent.total_restarts == 0
    parent.stop()


def test_temporary_child_supervisor_that_gave_up_is_forgotten(virtual_clock, hub_errors, lab):
    """OTP §1: a temporary child supervisor that exits is removed from its parent."""
    hub_errors.expect(Crash)
    parent = Supervisor([inner_spec(lab, restart="temporary"), lab.spec("p")])
    lab.exit("w", "error")
    assert [row.id for row in parent.which_children()] == ["p"]
    parent.stop()


def test_escalation_climbs_until_a_supervisor_copes(virtual_clock, hub_errors, lab):
    """OTP §3: each level applies its own intensity: a parent at intensity 0 gives up too."""
    hub_errors.expect(Crash)
    root = Supervisor([inner_spec(lab)], max_restarts=0, name="root")
    lab.exit("w", "error")
    join(root)
    assert exit_reason(root) == "shutdown"
    assert isinstance(root.exc_info()[1], RestartIntensityExceeded)
    assert root.exc_info()[1].child_id == "inner"
    settle()
    assert set(get_hub().procs.values()) == {current_proc()}


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_escalated_child_supervisor_restarts_its_group(virtual_clock, hub_errors, lab, strategy):
    """OTP §2/§3: a child supervisor giving up is a dead child like any other for its parent."""
    hub_errors.expect(Crash)
    root = Supervisor([inner_spec(lab), lab.spec("after")], strategy=strategy)
    lab.exit("w", "error")
    assert lab.seen_by("after") == ["shutdown"]
    assert lab.starts_of("after") == 2
    root.stop()


def test_parent_waits_for_a_child_supervisor_to_stop_its_children(virtual_clock, lab):
    """OTP §4: a supervisor child (shutdown infinity) is waited for while it stops its children."""
    lab.linger["w"] = 4  # within its 5 s grace
    root = Supervisor([lab.spec("before"), inner_spec(lab)])
    root.stop()
    assert [(t, cid) for t, cid, _ in lab.seen] == [(0.0, "w"), (4.0, "before")]


def test_brutally_killed_child_supervisor_takes_its_children_down_at_once(virtual_clock, lab):
    """OTP §4: brutal_kill of a supervisor child kills it; its children die with it, no grace."""
    lab.linger["w"] = math.inf

    def start():
        return Supervisor([lab.spec("w", shutdown=100)], name="inner")

    root = Supervisor([ChildSpec("inner", start, type="supervisor", shutdown="brutal_kill")])
    inner = root.which_child("inner").proc
    root.stop()
    assert exit_reason(inner) == "killed"
    assert lab.seen == [(0.0, "w", "killed")]


def test_stopping_the_root_stops_the_whole_tree(virtual_clock, lab):
    """OTP §4: shutting the root down stops every supervisor and worker below it."""

    def middle():
        return Supervisor([lab.spec("x"), inner_spec(lab)], name="middle")

    root = Supervisor(
        [lab.spec("top"), ChildSpec("middle", middle, type="supervisor")], name="root"
    )
    assert len(get_hub().procs) == 1 + 1 + 1 + 1 + 1 + 1 + 1  # body, root, top, middle, x, inner, w
    root.stop()
    assert [cid for _, cid, _ in lab.seen] == ["w", "x", "top"]
    assert set(get_hub().procs.values()) == {current_proc()}


def test_child_supervisor_path_names_its_place_in_the_tree(virtual_clock, lab):
    """DESIGN.md: a child supervisor's path is parent path / child id, and its children's too."""
    root = Supervisor([inner_spec(lab)], name="root")
    inner = root.which_child("inner").proc
    assert root.path == "root"
    assert inner.path == "root/inner"
    assert lab.proc("w").supervisor_path == "root/inner/w"
    root.stop()


def test_killed_root_leaves_no_proc_of_the_tree(virtual_clock, lab):
    """OTP §4: a brutally killed root takes the whole tree down (links), nothing is orphaned."""
    lab.linger.update(w=math.inf, p=math.inf)
    root = Supervisor([lab.spec("p"), inner_spec(lab)], name="root")
    root.kill(Killed())
    join(root)
    settle()
    assert set(get_hub().procs.values()) == {current_proc()}
