import pytest

import eventlib
from eventlib.mailbox import (
    Actor,
    ActorDied,
    ActorError,
    ActorNotRunning,
    CallFailed,
    MailboxFull,
)


class Counter(Actor):
    def __init__(self, start=0):
        self.total = start
        self.events = []

    def on_start(self):
        self.events.append("start")

    def handle(self, message):
        if message == "boom":
            raise ValueError("boom")
        if message == "slow":
            eventlib.sleep(100)
        self.total += message
        return self.total

    def on_stop(self):
        self.events.append("stop")


def test_call_returns_the_handlers_value(virtual_clock):
    """call() waits for handle()'s return value."""
    counter = Counter.spawn(10)
    assert counter.call(5) == 15
    counter.stop()


def test_cast_does_not_wait(virtual_clock):
    """cast() returns before the message is handled; messages are handled in order."""
    counter = Counter.spawn()
    counter.cast(1)
    counter.cast(2)
    assert counter.total == 0
    assert counter.call(0) == 3
    counter.stop()


def test_hooks_run_in_order(virtual_clock):
    """on_start runs before the first message and on_stop when it stops."""
    counter = Counter.spawn()
    counter.call(1)
    counter.stop()
    assert counter.events == ["start", "stop"]
    assert counter.proc.exit_reason is eventlib.ExitReason.NORMAL


def test_stop_handles_queued_messages_first(virtual_clock):
    """A graceful stop comes after the messages already in the mailbox."""
    counter = Counter.spawn()
    for _ in range(3):
        counter.cast(1)
    counter.stop()
    assert counter.total == 3


def test_call_timeout_raises_timeout_error(virtual_clock):
    """A call with no reply in time raises TimeoutError (the actor keeps running)."""
    counter = Counter.spawn()
    with pytest.raises(eventlib.TimeoutError):
        counter.call("slow", timeout=5)
    assert virtual_clock.now() == 5
    counter.kill()


def test_handler_exception_fails_actor_and_caller(virtual_clock, hub_errors):
    """An exception in handle() fails the actor (reason error) and the caller gets CallFailed."""
    hub_errors.expect(ValueError)
    counter = Counter.spawn()
    with pytest.raises(CallFailed) as info:
        counter.call("boom")
    assert isinstance(info.value.cause, ValueError)
    eventlib.sleep(0)
    assert counter.proc.exit_reason is eventlib.ExitReason.ERROR
    assert counter.events == ["start", "stop"]


def test_call_to_dead_actor_raises_at_once(virtual_clock):
    """Calling an actor that has exited raises ActorNotRunning without waiting."""
    counter = Counter.spawn()
    counter.stop()
    with pytest.raises(ActorNotRunning):
        counter.call(1, timeout=60)
    assert virtual_clock.now() == 0
    with pytest.raises(ActorNotRunning):
        counter.cast(1)


def test_actor_dying_mid_call_fails_caller_at_once(virtual_clock):
    """A caller whose actor is killed mid-call gets ActorDied at once, not at the timeout."""
    counter = Counter.spawn()
    eventlib.spawn_after(2, counter.kill)
    with pytest.raises(ActorDied) as info:
        counter.call("slow", timeout=60)
    assert info.value.reason == "killed"
    assert virtual_clock.now() == 2


def test_queued_calls_fail_when_actor_dies(virtual_clock, hub_errors):
    """Calls still in the mailbox when the actor fails get ActorDied."""
    hub_errors.expect(ValueError, ActorDied, ActorNotRunning)
    counter = Counter.spawn()
    counter.cast("boom")
    callers = [eventlib.spawn(counter.call, 1) for _ in range(3)]
    for caller in callers:
        with pytest.raises((ActorDied, ActorNotRunning)):
            caller.wait()


def test_actor_killed_before_it_ran_fails_callers(virtual_clock, hub_errors):
    """Even an actor killed before its proc started answers its callers with ActorDied."""
    hub_errors.expect(ActorDied, ActorNotRunning)
    counter = Counter().start()
    caller = eventlib.spawn(counter.call, 1)
    counter.proc.throw()
    with pytest.raises((ActorDied, ActorNotRunning)):
        caller.wait()


def test_actor_cannot_call_itself(virtual_clock, hub_errors):
    """A handler calling its own actor raises instead of deadlocking."""
    hub_errors.expect(ActorError)

    class Selfish(Actor):
        def handle(self, message):
            return self.call(message)

    actor = Selfish.spawn()
    with pytest.raises(CallFailed) as info:
        actor.call(1)
    assert isinstance(info.value.cause, ActorError)


def test_bounded_actor_mailbox_gives_back_pressure(virtual_clock):
    """An actor with capacity makes green casters wait while its mailbox is full."""

    class Slow(Actor):
        capacity = 2

        def handle(self, message):
            eventlib.sleep(1)

    actor = Slow.spawn()
    started = virtual_clock.now()
    for n in range(5):
        actor.cast(n)
    assert virtual_clock.now() - started >= 2
    actor.stop()


def test_cast_from_main_loop_to_full_mailbox_raises(virtual_clock):
    """A cast from MAIN_LOOP to a full actor mailbox raises MailboxFull."""

    class Blocked(Actor):
        capacity = 1

        def handle(self, message):
            eventlib.sleep(100)

    actor = Blocked.spawn()
    actor.cast(1)
    eventlib.sleep(0)
    actor.cast(2)
    outcome = eventlib.Event()

    def from_main_loop():
        try:
            actor.cast(3)
        except MailboxFull as exc:
            outcome.send(exc)

    eventlib.schedule_call_global(0, from_main_loop)
    assert isinstance(outcome.wait(), MailboxFull)
    actor.kill()


def test_start_twice_is_an_error(virtual_clock):
    """An actor starts once."""
    counter = Counter.spawn()
    with pytest.raises(ActorError, match="already started"):
        counter.start()
    counter.stop()


def test_actor_is_supervisable(virtual_clock, hub_errors):
    """An actor works as a supervisor child: it is restarted after a failure."""
    from eventlib.supervisor import ChildSpec, Supervisor

    hub_errors.expect(ValueError)
    actors = []
    sup = Supervisor(
        [ChildSpec("counter", start=lambda: actors.append(Counter.spawn()) or actors[-1])],
        max_restarts=3,
    )
    [row] = sup.which_children()
    first = row.proc
    with pytest.raises(CallFailed):
        actors[0].call("boom")
    eventlib.sleep(1)
    [row] = sup.which_children()
    assert row.proc is not first
    assert row.proc is actors[1].proc
    assert row.restarts == 1
    assert actors[1].call(2) == 2
    sup.stop()
