"""Actor calls that cannot work are refused before anything is sent (issue 11)."""

import pytest

import eventlib
from eventlib.hub import BlockingInMainLoopError
from eventlib.mailbox import Actor, ActorDied


class Recorder(Actor):
    capacity: int | None = None

    def __init__(self):
        self.handled = []

    def handle(self, message):
        if message == "stall":
            eventlib.sleep(100)
        self.handled.append(message)
        return message


class BoundedRecorder(Recorder):
    capacity = 1


def test_call_from_main_loop_is_refused_before_the_message_is_sent(virtual_clock, in_main_loop):
    """A call from MAIN_LOOP raises at once and the actor never handles the message."""
    actor = Recorder.spawn()
    with pytest.raises(BlockingInMainLoopError, match=r"Actor\.call\(\)"):
        in_main_loop(actor.call, "work")
    eventlib.sleep(1)
    assert actor.handled == []
    assert len(actor.mailbox) == 0
    actor.stop()


def test_stop_from_main_loop_is_refused_and_the_actor_keeps_running(virtual_clock, in_main_loop):
    """A stop from MAIN_LOOP raises at once and the actor goes on serving."""
    actor = Recorder.spawn()
    with pytest.raises(BlockingInMainLoopError, match=r"Actor\.stop\(\)"):
        in_main_loop(actor.stop)
    eventlib.sleep(1)
    assert not actor.dead
    assert actor.call("still here") == "still here"
    actor.stop()


def test_call_timeout_covers_waiting_for_room_in_a_full_mailbox(virtual_clock):
    """call(timeout=1) on a full mailbox of a stalled actor times out after 1 s, undelivered."""
    actor = BoundedRecorder.spawn()
    actor.cast("stall")
    eventlib.sleep(0)
    actor.cast("queued")
    start = virtual_clock.now()
    with pytest.raises(TimeoutError):
        actor.call("late", timeout=1)
    assert virtual_clock.now() - start == 1
    eventlib.sleep(200)
    assert actor.handled == ["stall", "queued"]
    actor.stop()


def test_stop_timeout_covers_waiting_for_room_in_a_full_mailbox(virtual_clock):
    """stop(timeout=1) on a full mailbox of a stalled actor gives up after 1 s."""
    actor = BoundedRecorder.spawn()
    actor.cast("stall")
    eventlib.sleep(0)
    actor.cast("queued")
    start = virtual_clock.now()
    with pytest.raises(TimeoutError):
        actor.stop(timeout=1)
    assert virtual_clock.now() - start == 1
    assert not actor.dead
    actor.kill()


def test_actor_capacity_true_is_refused_at_start(virtual_clock):
    """An Actor class with capacity = True fails at start: a bool is not a capacity."""

    class Flagged(Recorder):
        capacity = True

    with pytest.raises(TypeError, match="Mailbox capacity must be None or an int >= 1, got True"):
        Flagged.spawn()


@pytest.mark.parametrize(("timeout", "error"), [("5", TypeError), (-1, ValueError)])
def test_call_rejects_a_bad_timeout_before_sending(virtual_clock, timeout, error):
    """call(timeout=...) is checked before the message is sent."""
    actor = Recorder.spawn()
    with pytest.raises(error, match=r"Actor\.call\(\) timeout must be"):
        actor.call("work", timeout=timeout)
    eventlib.sleep(1)
    assert actor.handled == []
    actor.stop()


def test_caller_waiting_for_room_gets_actor_died_when_the_actor_dies(virtual_clock, hub_errors):
    """A call blocked on a full mailbox fails with ActorDied at once when the actor is killed."""
    actor = BoundedRecorder.spawn()
    actor.cast("stall")
    eventlib.sleep(0)
    actor.cast("queued")
    caller = eventlib.spawn(actor.call, "late", None)
    eventlib.sleep(1)
    start = virtual_clock.now()
    actor.kill()
    with pytest.raises(ActorDied):
        caller.wait()
    assert virtual_clock.now() == start
