"""Worker: the worker process's side (environment, log field, errors)."""

from __future__ import annotations

import pytest

from eventlib.workers import NotAWorker, Worker, _child, add_worker_field, current_worker_index


def test_from_environ_outside_a_pool_raises_not_a_worker():
    """A program run by hand gets NotAWorker saying how to start it."""
    with pytest.raises(NotAWorker, match="not started by a WorkerPool"):
        Worker.from_environ({})


def test_from_environ_with_a_malformed_variable_raises_not_a_worker():
    """A garbled EVENTLIB_WORKER is reported with its value."""
    with pytest.raises(NotAWorker, match="malformed"):
        Worker.from_environ({"EVENTLIB_WORKER": '{"index": 0}'})


def test_add_worker_field_tags_events_in_a_worker_only(monkeypatch):
    """The processor adds worker=<index> in a worker and leaves the parent's events alone."""
    assert current_worker_index() is None
    assert add_worker_field(None, "info", {"event": "x"}) == {"event": "x"}
    monkeypatch.setattr(_child._STATE, "index", 3)
    assert current_worker_index() == 3
    assert add_worker_field(None, "info", {"event": "x"}) == {"event": "x", "worker": 3}
