"""OTP's shutdown procedure for one child: ``Shutdown``, a grace period, then ``Killed``."""

from __future__ import annotations

from typing import Any

from eventlib.log import get_logger
from eventlib.proc import Proc
from eventlib.supervisor._errors import Killed, Shutdown
from eventlib.supervisor._spec import BRUTAL_KILL, INFINITY
from eventlib.sync import Event, Timeout

__all__ = ["KILL_WAIT", "await_all", "await_exit", "stop_child"]

_log = get_logger()

# Kill without grace still waits for the child's handlers; past this, it is abandoned.
KILL_WAIT = 5.0


def stop_child(proc: Proc, shutdown: Any) -> None:
    """Stop ``proc`` the OTP way: ``Shutdown``, a grace period, then ``Killed``."""
    if proc.dead:
        return
    if shutdown is BRUTAL_KILL:
        _kill_and_wait(proc)
        return
    grace = None if shutdown is INFINITY else float(shutdown)
    proc.kill(Shutdown())
    if not await_exit(proc, grace):
        _kill_and_wait(proc)


def _kill_and_wait(proc: Proc) -> None:
    proc.kill(Killed())
    if not await_exit(proc, KILL_WAIT):
        _log.error("child.kill_ignored", proc_id=proc.id, waited=KILL_WAIT)


def await_exit(proc: Proc, timeout: float | None) -> bool:
    """Wait until ``proc`` has finished (whatever its outcome); False on timeout."""
    if proc.dead:
        return True
    done = Event()

    def finished(_proc: Proc) -> None:
        if not done.ready():
            done.send(None)

    proc.link(finished)
    try:
        with Timeout(timeout, False):
            done.wait()
    finally:
        proc.unlink(finished)
    return proc.dead


def await_all(procs: list[Proc], timeout: float | None) -> None:
    """Wait until every proc has finished, or ``timeout`` (one timer for all) passed."""
    with Timeout(timeout, False):
        for proc in procs:
            await_exit(proc, None)
    for proc in procs:
        if not proc.dead:
            _log.error("child.kill_ignored", proc_id=proc.id, waited=timeout)
