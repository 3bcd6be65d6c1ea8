"""Soak: a 3-level tree with 10,000 dynamic children under random kills (issue 7).

root (Supervisor) -> sessions (DynamicSupervisor) -> 10,000 session procs, plus a worker
beside sessions. For a bounded stretch of virtual time, batches of random children end
with random OTP reasons; the tree must stay intact (every session restarted, no
escalation) and, once the root stops, leave no proc and no timer behind.
"""

import random
import time

import pytest
from supervisor_helpers import Crash, settle

import eventlib
from eventlib.hub import get_hub
from eventlib.proc import current_proc
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Killed, Shutdown, Supervisor

SESSIONS = 10_000
TICKS = 200  # every 0.05 s of virtual time: 10 s in all
KILLS_PER_TICK = 25


class Sessions:
    """The session children: each waits on its own Event, which decides how it ends."""

    def __init__(self) -> None:
        self.current: dict[int, eventlib.Proc] = {}
        self.orders: dict[eventlib.Proc, eventlib.Event] = {}
        self.starts = 0

    def start(self, n: int) -> eventlib.Proc:
        order = eventlib.Event()
        proc = eventlib.spawn(self.session, order)
        self.current[n] = proc
        self.orders[proc] = order
        self.starts += 1
        return proc

    @staticmethod
    def session(order: eventlib.Event) -> None:
        order.wait()  # no timer: a parked session costs the reactor nothing

    def end(self, n: int, how: str) -> None:
        proc = self.current[n]
        order = self.orders.pop(proc, None)
        if order is None or proc.dead:
            return
        if how == "normal":
            order.send(None)
        elif how == "error":
            order.send_exception(Crash("session crashed"))
        elif how == "shutdown":
            proc.throw(Shutdown())
        else:
            proc.throw(Killed())


@pytest.mark.load
@pytest.mark.eventlib(time_limit=60)
def test_ten_thousand_sessions_survive_random_kills_and_leave_nothing_behind(
    virtual_clock, hub_errors
):
    """OTP §1-§4 at scale: every killed session is restarted; a stopped tree leaks nothing."""
    hub_errors.expect(Crash)
    began = time.perf_counter()
    rng = random.Random(7)
    sessions = Sessions()
    worker_starts = []

    def worker():
        worker_starts.append(eventlib.spawn(eventlib.Event().wait))
        return worker_starts[-1]

    def middle():
        template = ChildSpec("session", sessions.start, shutdown=1)
        return DynamicSupervisor(template, max_restarts=SESSIONS, max_seconds=1, name="sessions")

    root = Supervisor(
        [ChildSpec("worker", worker), ChildSpec("sessions", middle, type="supervisor")],
        name="root",
        max_restarts=3,
        max_seconds=5,
    )
    middle_sup = root.which_child("sessions").proc
    for n in range(SESSIONS):
        middle_sup.start_child(n)
    assert middle_sup.count_children().active == SESSIONS

    ends = 0
    for tick in range(TICKS):
        for n in rng.sample(range(SESSIONS), KILLS_PER_TICK):
            sessions.end(n, rng.choice(["normal", "shutdown", "killed", "killed", "error"]))
            ends += 1
        if tick % 100 == 50:
            worker_starts[-1].kill(Killed())  # the root restarts its worker now and then
        eventlib.sleep(0.05)

    settle()
    # The tree is intact: same middle supervisor, every session running again.
    assert not root.dead
    assert root.which_child("sessions").proc is middle_sup
    counts = middle_sup.count_children()
    assert (counts.specs, counts.active, counts.workers) == (1, SESSIONS, SESSIONS)
    assert sessions.starts == SESSIONS + ends
    assert all(not proc.dead for proc in sessions.current.values())
    listed = {row.proc for row in middle_sup.which_children()}
    assert listed == set(sessions.current.values())
    assert middle_sup.total_restarts == ends
    assert len(worker_starts) == 1 + TICKS // 100

    root.stop()
    settle()
    assert set(get_hub().procs.values()) == {current_proc()}
    hub = get_hub()
    assert hub.get_timers_count() - hub.ready_count == 0  # no timer left, zero-delay work aside
    assert time.perf_counter() - began < 30
