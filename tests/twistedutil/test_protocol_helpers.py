"""The classic helpers of eventlib.twistedutil.protocol: ValueQueue, Event, Producer2Event."""

import pytest

import eventlib
import eventlib.proc
from eventlib.twistedutil.protocol import Event, Producer2Event, ValueQueue


def test_value_queue_delivers_values_in_order(virtual_clock):
    """Values come out in the order they were sent."""
    q = ValueQueue()
    q.send(1)
    q.send(2)
    assert [q.wait(), q.wait()] == [1, 2]


def test_value_queue_trailing_exception_is_sticky(virtual_clock):
    """An exception that is the last item is raised by every wait() and never removed."""
    q = ValueQueue()
    q.send("data")
    q.send_exception(EOFError("end"))
    assert q.wait() == "data"
    for _ in range(3):
        with pytest.raises(EOFError):
            q.wait()
    assert q.has_error()


def test_value_queue_drops_values_after_exception(virtual_clock):
    """Once the queue ends with an exception, plain sends are dropped."""
    q = ValueQueue()
    q.send_exception(EOFError)
    q.send("ignored")
    assert len(q) == 1
    with pytest.raises(EOFError):
        q.wait()


def test_value_queue_exception_reaches_every_waiter(virtual_clock):
    """Green threads already waiting all get the sticky exception."""
    q = ValueQueue()
    waiters = [eventlib.spawn(eventlib.proc.wrap_errors(EOFError, q.wait)) for _ in range(3)]
    eventlib.sleep(0)
    q.send_exception(EOFError("closed"))
    assert [type(result) for result in eventlib.waitall(waiters)] == [EOFError] * 3
    assert q.has_error()


def test_value_queue_later_exception_follows_values(virtual_clock):
    """An exception sent after values is raised once the values are taken."""
    q = ValueQueue()
    q.send_exception(KeyError)
    q.send_exception(ValueError)
    with pytest.raises(KeyError):
        q.wait()
    with pytest.raises(ValueError):
        q.wait()
    with pytest.raises(ValueError):
        q.wait()


def test_event_can_be_sent_again(virtual_clock):
    """The classic protocol Event resets itself on a second send."""
    event = Event()
    event.send("first")
    event.send("second")
    assert event.wait() == "second"
    event.send_exception(KeyError("k"))
    with pytest.raises(KeyError):
        event.wait()


def test_producer2event_sends_on_resume(virtual_clock):
    """Producer2Event sends 1 to its event whenever the consumer asks for data."""
    event = Event()
    producer = Producer2Event(event)
    producer.resumeProducing()
    assert event.wait() == 1
    producer.stopProducing()
    assert not hasattr(producer, "event")
