"""Every sync-layer timeout is checked where it is given, naming the call (issue 11.5).

The rule: None (no limit) or a number of seconds >= 0; a negative timeout is a
ValueError (as for the stdlib's queue.Queue), never a silent poll; 0 polls.
"""

import pytest

import eventlib
from eventlib.sync import Event, Queue, exc_after, with_timeout

BAD_TIMEOUTS = [
    ("soon", TypeError),
    (True, TypeError),
    (-1, ValueError),
    (float("nan"), ValueError),
]


@pytest.mark.parametrize(("timeout", "error"), BAD_TIMEOUTS)
def test_queue_get_rejects_a_bad_timeout(virtual_clock, timeout, error):
    """Queue.get(timeout=...) names itself and what is allowed, even with items ready."""
    queue = Queue()
    queue.put(1)
    with pytest.raises(error, match=r"Queue\.get\(\) timeout must be"):
        queue.get(timeout=timeout)
    assert queue.qsize() == 1


@pytest.mark.parametrize(("timeout", "error"), BAD_TIMEOUTS)
def test_queue_put_rejects_a_bad_timeout(virtual_clock, timeout, error):
    """Queue.put(timeout=...) is refused and the item is not queued."""
    queue = Queue()
    with pytest.raises(error, match=r"Queue\.put\(\) timeout must be"):
        queue.put(1, timeout=timeout)
    assert queue.qsize() == 0


@pytest.mark.parametrize(("timeout", "error"), BAD_TIMEOUTS)
def test_event_wait_rejects_a_bad_timeout(virtual_clock, timeout, error):
    """Event.wait(timeout=...) names itself and what is allowed."""
    with pytest.raises(error, match=r"Event\.wait\(\) timeout must be"):
        Event().wait(timeout)


def test_zero_timeout_still_polls(virtual_clock):
    """timeout=0 stays the way to poll: Empty / TimeoutError at once."""
    with pytest.raises(eventlib.queue.Empty):
        Queue().get(timeout=0)
    with pytest.raises(TimeoutError):
        Event().wait(0)


def test_with_timeout_rejects_a_string(virtual_clock):
    """with_timeout("5", f) is refused before f runs."""
    called = []
    with pytest.raises(TypeError, match="Timeout seconds must be"):
        with_timeout("5", called.append, 1)
    assert called == []


def test_exc_after_rejects_a_negative_delay(virtual_clock):
    """exc_after(-1) names itself instead of failing deep in the hub."""
    with pytest.raises(ValueError, match=r"exc_after\(\) seconds must be"):
        exc_after(-1)
