"""Restart type x exit reason x strategy (OTP_SUPERVISOR.md §1), and exit_reason()."""

import pytest
from greenlet import GreenletExit
from supervisor_helpers import OTP_REASON, REASONS, Crash, Lab, settle

import eventlib
from eventlib.proc import ProcExit
from eventlib.supervisor import (
    Killed,
    RestartIntensityExceeded,
    Shutdown,
    Supervisor,
    exit_reason,
)

STRATEGIES = ["one_for_one", "one_for_all", "rest_for_one"]
RESTARTS = ["permanent", "transient", "temporary"]

# OTP §1: the table, restart type -> exit reasons that restart the child.
RESTARTED_BY = {
    "permanent": {"normal", "shutdown", "shutdown_term", "error", "killed"},
    "transient": {"error", "killed"},
    "temporary": set(),
}

MATRIX = [
    pytest.param((strategy, restart, reason), id=f"{strategy}-{restart}-{reason}")
    for strategy in STRATEGIES
    for restart in RESTARTS
    for reason in REASONS
]


def three_children(lab: Lab, strategy: str, restart: str) -> Supervisor:
    """a and c permanent, b the child under test, max_restarts high enough."""
    return Supervisor(
        [lab.spec("a"), lab.spec("b", restart=restart), lab.spec("c")],
        strategy=strategy,
        max_restarts=10,
    )


@pytest.mark.parametrize("case", MATRIX)
def test_child_is_restarted_exactly_as_the_otp_table_says(virtual_clock, hub_errors, lab, case):
    """OTP §1: permanent always, transient on abnormal exits, temporary never restarts."""
    strategy, restart, reason = case
    hub_errors.expect(Crash)
    sup = three_children(lab, strategy, restart)
    lab.exit("b", reason)
    restarted = reason in RESTARTED_BY[restart]
    assert lab.starts_of("b") == (2 if restarted else 1)
    rows = {row.id: row.proc for row in sup.which_children()}
    if restarted:
        assert rows["b"] is lab.proc("b")
        assert not lab.proc("b").dead
    elif restart == "transient":
        assert rows["b"] is None
    else:
        assert "b" not in rows
    sup.stop()


@pytest.mark.parametrize("case", MATRIX)
def test_only_restarts_count_toward_intensity(virtual_clock, hub_errors, lab, case):
    """OTP §1: every restart counts against intensity; clean exits not restarted do not."""
    strategy, restart, reason = case
    hub_errors.expect(Crash)
    sup = three_children(lab, strategy, restart)
    lab.exit("b", reason)
    expected = 1 if reason in RESTARTED_BY[restart] else 0
    assert sup.statistics().restarts_in_window == expected
    assert sup.total_restarts == expected
    sup.stop()


@pytest.mark.parametrize("case", MATRIX)
def test_exit_reason_is_reported_in_otp_terms(virtual_clock, hub_errors, lab, case):
    """OTP §1: the child's exit is classified normal / shutdown / {shutdown,_} / killed / error."""
    strategy, restart, reason = case
    hub_errors.expect(Crash)
    sup = three_children(lab, strategy, restart)
    first = lab.exit("b", reason)
    assert exit_reason(first) == OTP_REASON[reason]
    sup.stop()


NOT_RESTARTED = [
    pytest.param((strategy, restart, reason), id=f"{strategy}-{restart}-{reason}")
    for strategy in STRATEGIES
    for restart in ("transient", "temporary")
    for reason in REASONS
    if reason not in RESTARTED_BY[restart]
]


@pytest.mark.parametrize("case", NOT_RESTARTED)
def test_exit_that_is_not_restarted_leaves_siblings_running(virtual_clock, hub_errors, lab, case):
    """OTP §1/§2: a child that is not restarted triggers no strategy; siblings keep their procs."""
    strategy, restart, reason = case
    hub_errors.expect(Crash)
    sup = three_children(lab, strategy, restart)
    a, c = lab.proc("a"), lab.proc("c")
    lab.exit("b", reason)
    assert lab.starts_of("a") == lab.starts_of("c") == 1
    assert not a.dead
    assert not c.dead
    assert lab.seen_by("a") == lab.seen_by("c") == []
    sup.stop()


@pytest.mark.parametrize("reason", ["normal", "shutdown", "shutdown_term"])
def test_transient_child_not_restarted_keeps_its_spec_without_a_proc(virtual_clock, lab, reason):
    """OTP §1: a not-restarted transient child keeps its spec, pid undefined."""
    sup = Supervisor([lab.spec("t", restart="transient")])
    lab.exit("t", reason)
    [row] = sup.which_children()
    assert (row.id, row.proc) == ("t", None)
    assert sup.get_childspec("t").restart.value == "transient"
    sup.stop()


@pytest.mark.parametrize("reason", REASONS)
def test_temporary_child_spec_is_deleted_whenever_it_ends(virtual_clock, hub_errors, lab, reason):
    """OTP §1: a temporary child's spec is deleted when the process ends, whatever the reason."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("k"), lab.spec("t", restart="temporary")])
    lab.exit("t", reason)
    assert [row.id for row in sup.which_children()] == ["k"]
    assert sup.count_children().specs == 1
    sup.stop()


def test_permanent_child_restarts_with_the_same_id_and_spec(virtual_clock, hub_errors, lab):
    """OTP §2: a restarted child keeps its id and spec and gets a new proc."""
    hub_errors.expect(Crash)
    spec = lab.spec("p", shutdown=3)
    sup = Supervisor([spec])
    old = lab.exit("p", "error")
    assert lab.proc("p") is not old
    assert sup.get_childspec("p") is spec
    assert sup.which_children()[0].restarts == 1
    sup.stop()


def test_kill_with_proc_exit_counts_as_shutdown(virtual_clock, lab):
    """OTP §1 mapping: a child killed by ProcExit (proc.kill()) exits with reason shutdown."""
    sup = Supervisor([lab.spec("t", restart="transient")])
    proc = lab.proc("t")
    proc.kill()
    settle()
    assert exit_reason(proc) == "shutdown"
    assert lab.starts_of("t") == 1  # a transient child is not restarted after shutdown
    sup.stop()


# -- exit_reason() ----------------------------------------------------------


def finished(function):
    proc = eventlib.spawn(function)
    try:
        proc.wait()
    except BaseException:
        pass
    return proc


def raiser(exc):
    def run():
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (Shutdown(), "shutdown"),
        (Shutdown("term"), "shutdown"),
        (ProcExit(), "shutdown"),
        (GreenletExit(), "shutdown"),
        (RestartIntensityExceeded("sup", "a", 1, 5), "shutdown"),
        (Killed(), "killed"),
        (ValueError("boom"), "error"),
    ],
    ids=["shutdown", "shutdown-term", "procexit", "greenletexit", "intensity", "killed", "error"],
)
def test_exit_reason_maps_exceptions_to_otp_reasons(virtual_clock, hub_errors, exc, expected):
    """OTP mapping: shutdown / {shutdown,_} / ProcExit -> shutdown, Killed -> killed, else error."""
    hub_errors.expect(ValueError)
    assert exit_reason(finished(raiser(exc))) == expected


def test_exit_reason_of_a_returned_proc_is_normal(virtual_clock):
    """OTP mapping: a proc whose function returned exits with reason normal."""
    assert exit_reason(finished(lambda: 42)) == "normal"
