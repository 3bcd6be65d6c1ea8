"""Helpers shared by the supervisor tests: scripted children and a settle() for the hub.

A :class:`Lab` makes child specs whose procs do what the test says: exit with a given
OTP reason, linger after a Shutdown, fail or ignore their next starts. It records every
start and every Shutdown/Killed a child sees, with the virtual time, so a test can check
order and timing exactly.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from typing import Any

import eventlib
from eventlib.hub import get_hub, sleep
from eventlib.proc import Proc
from eventlib.supervisor import ChildSpec, Killed, Shutdown


class Crash(RuntimeError):
    """The error a child raises when a test makes it exit with reason `error`."""


class StartFailed(RuntimeError):
    """The error a child's start function raises when the test makes it fail."""


# The exit reasons of OTP_SUPERVISOR.md §1 as a test can cause them.
REASONS = ["normal", "shutdown", "shutdown_term", "error", "killed"]
# What eventlib.supervisor.exit_reason reports for each.
OTP_REASON = {
    "normal": "normal",
    "shutdown": "shutdown",
    "shutdown_term": "shutdown",
    "error": "error",
    "killed": "killed",
}


def settle(limit: int = 10_000) -> None:
    """Yield until no zero-delay work is left: links fired, supervisors done reacting.

    Virtual time does not move (timers are not run), so intensity windows stay exact.
    """
    hub = get_hub()
    for _ in range(limit):
        sleep(0)
        if hub.ready_count == 0:
            return
    raise AssertionError("the hub never settled")


def now() -> float:
    return get_hub().clock()


class Lab:
    """Scripted children. ``lab.spec(id, **kw)`` is a ChildSpec whose start runs ``child_body``."""

    def __init__(self) -> None:
        self.procs: dict[Any, list[Proc]] = defaultdict(list)
        self.starts: list[tuple[float, Any]] = []  # every successful start, in order
        self.calls: dict[Any, int] = defaultdict(int)  # start function calls, failed included
        self.seen: list[tuple[float, Any, str]] = []  # (time, id, "shutdown" | "killed")
        self.linger: dict[Any, float] = {}  # seconds a child runs on after a Shutdown
        self.start_plan: dict[Any, list[str]] = defaultdict(list)  # "fail" | "ignore" | "garbage"
        self.args: dict[Proc, tuple[Any, ...]] = {}
        self._orders: dict[Proc, eventlib.Event] = {}
        self.block_until = eventlib.Event()

    # -- specs -----------------------------------------------------------

    def spec(self, child_id: Any, **kwargs: Any) -> ChildSpec:
        return ChildSpec(child_id, start=functools.partial(self.start, child_id), **kwargs)

    def start(self, child_id: Any, *args: Any) -> Proc | None:
        self.calls[child_id] += 1
        plan = self.start_plan[child_id]
        step = plan.pop(0) if plan else "ok"
        if step == "block":  # wait for the test to say what this start does
            self.block_until = eventlib.Event()
            step = self.block_until.wait()
        if step == "fail":
            raise StartFailed(f"{child_id} refuses to start")
        if step == "ignore":
            return None
        if step == "garbage":
            return "not a proc"  # type: ignore[return-value]
        order = eventlib.Event()
        proc = eventlib.spawn(self._body, child_id, order)
        self._orders[proc] = order
        self.procs[child_id].append(proc)
        self.args[proc] = args
        self.starts.append((now(), child_id))
        sleep(0)  # like OTP's start_link: the child runs before its start returns
        return proc

    def _body(self, child_id: Any, order: eventlib.Event) -> Any:
        try:
            how = order.wait()
        except Shutdown:
            self.seen.append((now(), child_id, "shutdown"))
            linger = self.linger.get(child_id, 0)
            if linger == 0:
                raise
            try:
                sleep(1e9 if math.isinf(linger) else linger)
            except Killed:
                self.seen.append((now(), child_id, "killed"))
                raise
            return "stopped late"
        except Killed:
            self.seen.append((now(), child_id, "killed"))
            raise
        if how == "normal":
            return "done"
        if how == "shutdown":
            raise Shutdown
        if how == "shutdown_term":
            raise Shutdown("a term")
        if how == "error":
            raise Crash(f"{child_id} crashed")
        raise AssertionError(how)

    # -- driving ---------------------------------------------------------

    def proc(self, child_id: Any) -> Proc:
        """The newest proc started for ``child_id``."""
        return self.procs[child_id][-1]

    def exit(self, child_id: Any, reason: str, *, wait: bool = True) -> Proc:
        """Make the current proc of ``child_id`` end with ``reason`` (see REASONS)."""
        proc = self.proc(child_id)
        self.exit_proc(proc, reason, wait=wait)
        return proc

    def exit_proc(self, proc: Proc, reason: str, *, wait: bool = True) -> None:
        if reason == "killed":
            proc.kill(Killed())
        else:
            self._orders[proc].send(reason)
        if wait:
            settle()

    def starts_of(self, child_id: Any) -> int:
        return len(self.procs[child_id])

    def seen_by(self, child_id: Any) -> list[str]:
        return [what for _, cid, what in self.seen if cid == child_id]


def live_procs() -> set[Proc]:
    """The hub's live procs (the test body excluded by the caller when needed)."""
    return {proc for proc in get_hub().procs.values() if not proc.dead}


def join(proc: Proc) -> None:
    """Wait for ``proc`` to finish, whatever its outcome."""
    try:
        proc.wait()
    except BaseException as exc:
        if not proc.dead:
            raise
        del exc


def wait_until(condition: Any, limit: int = 10_000) -> None:
    """Yield (without moving virtual time) until ``condition()`` holds."""
    for _ in range(limit):
        if condition():
            return
        sleep(0)
    raise AssertionError(f"condition never held: {condition}")
