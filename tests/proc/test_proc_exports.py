"""The public names of eventlib.proc (the classic module's names included)."""

import eventlib
from eventlib import proc

CLASSIC_NAMES = [
    "LinkedCompleted",
    "LinkedExited",
    "LinkedFailed",
    "LinkedKilled",
    "Pool",
    "Proc",
    "ProcExit",
    "RunningProcSet",
    "Source",
    "Waiter",
    "getLinkedFailed",
    "killall",
    "spawn",
    "spawn_greenlet",
    "spawn_link",
    "spawn_link_exception",
    "spawn_link_value",
    "trap_errors",
    "waitall",
    "wrap_errors",
]


def test_all_is_sorted_and_every_name_exists():
    """proc.__all__ is sorted and each name in it is an attribute of the module."""
    assert proc.__all__ == sorted(proc.__all__)
    for name in proc.__all__:
        assert hasattr(proc, name), name


def test_classic_names_are_exported_separately():
    """Every classic name is in __all__; 'killall' and 'Source' are two names (upstream typo)."""
    for name in CLASSIC_NAMES:
        assert name in proc.__all__, name
    assert "killallSource" not in proc.__all__


def test_spawn_is_proc_spawn_behaviour():
    """Module spawn and Proc.spawn both build a Proc (classic: spawn = Proc.spawn)."""
    assert callable(proc.spawn)
    assert callable(proc.Proc.spawn)


def test_top_level_package_reexports_the_proc_names():
    """eventlib re-exports the everyday proc names as the same objects."""
    for name in ["Proc", "ProcExit", "spawn", "spawn_link", "waitall", "killall", "kill"]:
        assert getattr(eventlib, name) is getattr(proc, name), name
