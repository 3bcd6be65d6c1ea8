"""Supervisor lifecycle logs (issue 7): child started / exited / restarted, intensity, shutdown."""

import pytest
from structlog.testing import capture_logs
from supervisor_helpers import Crash

import eventlib.log
from eventlib.supervisor import Supervisor


@pytest.fixture
def lifecycle_logs():
    eventlib.log.enable_lifecycle_logs()
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        eventlib.log.disable_lifecycle_logs()


def events(logs, name):
    return [entry for entry in logs if entry["event"] == name]


def test_child_start_exit_and_restart_are_logged_with_the_path(
    virtual_clock, hub_errors, lab, lifecycle_logs
):
    """Issue 7: child started / exited (reason) / restarted events carry the supervisor path."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], name="root")
    lab.exit("a", "error")
    [first, second] = events(lifecycle_logs, "child.started")
    assert (first["sup_path"], first["child_id"]) == ("root", "a")
    assert second["proc_id"] == lab.proc("a").id
    [exited] = events(lifecycle_logs, "child.exited")
    assert (exited["sup_path"], exited["reason"], exited["restart"]) == ("root", "error", True)
    [restarted] = events(lifecycle_logs, "child.restarted")
    assert (restarted["child_id"], restarted["restarts"]) == ("a", 1)
    sup.stop()
    assert events(lifecycle_logs, "supervisor.shutdown")[0]["sup_path"] == "root"


def test_reaching_the_intensity_is_logged_as_an_error(virtual_clock, hub_errors, lab):
    """OTP §3: reaching the intensity is reported as an error, lifecycle logs on or off."""
    hub_errors.expect(Crash)
    with capture_logs() as logs:
        sup = Supervisor([lab.spec("a")], max_restarts=0, name="root")
        lab.exit("a", "error")
    [entry] = events(logs, "supervisor.intensity_exceeded")
    assert entry["log_level"] == "error"
    assert (entry["sup_path"], entry["child_id"], entry["max_restarts"]) == ("root", "a", 0)
    assert sup.dead


def test_auto_shutdown_is_logged(virtual_clock, lab, lifecycle_logs):
    """OTP §5: an auto-shutdown is logged with the supervisor path."""
    sup = Supervisor(
        [lab.spec("s", restart="temporary", significant=True)],
        auto_shutdown="any_significant",
        name="root",
    )
    lab.exit("s", "normal")
    assert sup.dead
    assert events(lifecycle_logs, "supervisor.auto_shutdown")[0]["sup_path"] == "root"
