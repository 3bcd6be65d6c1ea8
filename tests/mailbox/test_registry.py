import pytest

import eventlib
from eventlib.mailbox import (
    Actor,
    NameNotRegistered,
    NameTaken,
    Registry,
    register,
    registered,
    unregister,
    whereis,
)


def test_register_and_whereis(virtual_clock):
    """A registered proc is found by name."""
    proc = eventlib.spawn(eventlib.sleep, 10)
    register("worker", proc)
    assert whereis("worker") is proc
    assert registered() == ["worker"]
    proc.kill()


def test_name_is_dropped_when_proc_exits(virtual_clock):
    """A name disappears automatically when its proc exits."""
    proc = eventlib.spawn(eventlib.sleep, 1)
    register("brief", proc)
    proc.wait()
    eventlib.sleep(0)
    assert whereis("brief") is None
    assert "brief" not in registered()


def test_taken_name_raises(virtual_clock):
    """Registering a name held by a live proc raises NameTaken."""
    first = eventlib.spawn(eventlib.sleep, 10)
    second = eventlib.spawn(eventlib.sleep, 10)
    register("only", first)
    with pytest.raises(NameTaken) as info:
        register("only", second)
    assert info.value.holder is first
    eventlib.killall([first, second], wait=True)


def test_name_of_dead_proc_can_be_reused(virtual_clock):
    """Once the holder is dead, the name can be registered again."""
    first = eventlib.spawn(lambda: None)
    register("reused", first)
    first.wait()
    second = eventlib.spawn(eventlib.sleep, 10)
    register("reused", second)
    assert whereis("reused") is second
    second.kill()


def test_unregister(virtual_clock):
    """unregister removes a name; an unknown name raises NameNotRegistered."""
    proc = eventlib.spawn(eventlib.sleep, 10)
    register("gone", proc)
    unregister("gone")
    assert whereis("gone") is None
    with pytest.raises(NameNotRegistered):
        unregister("gone")
    proc.kill()


def test_actors_can_be_registered(virtual_clock):
    """An actor is registered and found by name, and dropped when it stops."""

    class Echo(Actor):
        def handle(self, message):
            return message

    echo = Echo.spawn()
    register("echo", echo)
    assert whereis("echo").call("hi") == "hi"
    echo.stop()
    eventlib.sleep(0)
    assert whereis("echo") is None


@pytest.mark.parametrize("target", ["not a proc", 42, None])
def test_only_procs_and_actors_register(virtual_clock, target):
    """Registering something that is not a proc or actor raises TypeError."""
    with pytest.raises(TypeError):
        Registry().register("x", target)


def test_registries_are_per_hub(virtual_clock):
    """Each hub has its own default registry, so tests don't share names."""
    from eventlib.mailbox import default_registry

    assert len(default_registry()) == 0
