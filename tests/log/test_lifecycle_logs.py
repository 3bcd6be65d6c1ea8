import pytest
from structlog.testing import capture_logs

import eventlib
import eventlib.log
from eventlib.hub import schedule_call_global


@pytest.fixture
def lifecycle_logs():
    eventlib.log.enable_lifecycle_logs()
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        eventlib.log.disable_lifecycle_logs()


def _events(logs, name):
    return [entry for entry in logs if entry["event"] == name]


def test_spawn_and_exit_are_logged_with_ids(virtual_clock, lifecycle_logs):
    """A proc's spawn and normal exit are logged with its id, name and parent."""
    parent = eventlib.current_proc()

    def work():
        eventlib.sleep(2)
        return 1

    proc = eventlib.spawn(work)
    proc.wait()
    [spawned] = [e for e in _events(lifecycle_logs, "proc.spawned") if e["proc_id"] == proc.id]
    [exited] = [e for e in _events(lifecycle_logs, "proc.exited") if e["proc_id"] == proc.id]
    assert spawned["parent_id"] == parent.id
    assert spawned["proc_name"].endswith("work")
    assert spawned["log_level"] == "debug"
    assert exited["reason"] == "normal"
    assert exited["runtime"] >= 0
    assert "error" not in exited


@pytest.mark.parametrize(
    ("body", "reason"),
    [(lambda: 1 / 0, "error"), (lambda: eventlib.sleep(10), "killed")],
)
def test_exit_reason_is_logged(virtual_clock, lifecycle_logs, hub_errors, body, reason):
    """The exit event says error or killed, with the exception."""
    hub_errors.expect(ZeroDivisionError)
    proc = eventlib.spawn(body)
    eventlib.sleep(1)
    proc.kill()
    [exited] = [e for e in _events(lifecycle_logs, "proc.exited") if e["proc_id"] == proc.id]
    assert exited["reason"] == reason
    assert exited["error"]


def test_link_fired_is_logged(virtual_clock, lifecycle_logs):
    """Delivering a link logs link.fired with the source proc and outcome."""
    proc = eventlib.spawn(lambda: 5)
    done = eventlib.Event()
    proc.link(done)
    done.wait()
    [fired] = [e for e in _events(lifecycle_logs, "link.fired") if e["proc_id"] == proc.id]
    assert fired["outcome"] == "value"
    assert "Event" in fired["listener"]


def test_nothing_is_logged_when_disabled(virtual_clock):
    """With lifecycle logs off (the default) spawn and exit log nothing."""
    with capture_logs() as logs:
        eventlib.spawn(lambda: None).wait()
    assert logs == []


def test_crash_is_logged_even_when_disabled():
    """A crashed proc is logged at error level with its id whether or not lifecycle logs are on."""
    from eventlib.hub import Hub, VirtualClockReactor, set_hub

    hub = Hub(VirtualClockReactor(real_time_limit=10))
    previous = set_hub(hub)
    try:
        with capture_logs() as logs:
            proc = eventlib.spawn(lambda: 1 / 0)
            with pytest.raises(ZeroDivisionError):
                proc.wait()
    finally:
        hub.close()
        set_hub(previous)
    [crash] = [e for e in logs if e["event"] == "proc.crashed"]
    assert crash["log_level"] == "error"
    assert crash["proc_id"] == proc.id
    assert crash["exc_info"][0] is ZeroDivisionError


def test_timer_error_is_logged_as_hub_error():
    """An error in a timer callback is logged as hub.error with the callback named."""
    from eventlib.hub import Hub, VirtualClockReactor, set_hub

    hub = Hub(VirtualClockReactor(real_time_limit=10))
    previous = set_hub(hub)
    try:
        with capture_logs() as logs:
            schedule_call_global(1, lambda: {}["x"])
            eventlib.sleep(2)
    finally:
        hub.close()
        set_hub(previous)
    [error] = [e for e in logs if e["event"] == "hub.error"]
    assert error["exc_info"][0] is KeyError
    assert "Timer" in error["context"] or "lambda" in error["context"]


def test_supervisor_path_is_included_when_set(virtual_clock, lifecycle_logs):
    """A proc with a supervisor_path carries it as sup_path in its events."""
    proc = eventlib.Proc()
    proc.supervisor_path = "root/sessions"
    proc.run(lambda: None)
    proc.wait()
    [exited] = [e for e in _events(lifecycle_logs, "proc.exited") if e["proc_id"] == proc.id]
    assert exited["sup_path"] == "root/sessions"
