"""eventlib.log.add_proc_context: the current proc's fields on a program's own events."""

import pytest
import structlog
from greenlet import greenlet
from structlog.testing import LogCapture

import eventlib
from eventlib.log import add_proc_context
from eventlib.supervisor import ChildSpec, Supervisor


@pytest.fixture
def captured():
    """structlog configured with add_proc_context in front of a capture, restored after."""
    previous = structlog.get_config()
    capture = LogCapture()
    structlog.configure(processors=[add_proc_context, capture])
    try:
        yield capture.entries
    finally:
        structlog.configure(**previous)


def test_event_in_a_proc_gets_its_id_and_name(virtual_clock, captured):
    """An event logged in a proc carries that proc's proc_id and proc_name."""

    def checkout():
        structlog.get_logger().info("order paid", order=17)

    proc = eventlib.Proc(name="checkout")
    proc.run(checkout)
    proc.wait()
    [entry] = captured
    assert entry["event"] == "order paid"
    assert entry["proc_id"] == proc.id
    assert entry["proc_name"] == "checkout"
    assert "sup_path" not in entry  # not supervised


def test_event_in_a_supervised_proc_gets_its_sup_path(virtual_clock, captured):
    """Under a supervisor the event also carries the proc's sup_path."""
    logged = eventlib.Event()

    def worker():
        structlog.get_logger().info("working")
        logged.send()
        eventlib.sleep(3600)

    sup = Supervisor([ChildSpec("worker", start=lambda: eventlib.spawn(worker))], name="root")
    logged.wait()
    sup.stop()
    [entry] = [e for e in captured if e["event"] == "working"]
    assert entry["sup_path"] == "root/worker"


def test_event_outside_any_proc_is_left_alone():
    """From a greenlet that is no proc, the event is returned unchanged."""
    event = {"event": "plain"}
    result = greenlet(lambda: add_proc_context(None, "info", dict(event))).switch()
    assert result == event


def test_fields_the_event_has_are_kept(virtual_clock):
    """An event that already names a proc keeps its own proc_id and proc_name."""
    event = {"event": "proc.exited", "proc_id": -1, "proc_name": "other"}
    assert add_proc_context(None, "debug", event) == {
        "event": "proc.exited",
        "proc_id": -1,
        "proc_name": "other",
    }
