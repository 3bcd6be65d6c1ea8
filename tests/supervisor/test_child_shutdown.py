"""How a supervisor stops its children, and itself (OTP_SUPERVISOR.md §4)."""

import math

import pytest
from supervisor_helpers import Crash, join, live_procs, now, settle

import eventlib
from eventlib.hub import get_hub
from eventlib.proc import current_proc
from eventlib.supervisor import (
    DynamicSupervisor,
    Killed,
    Shutdown,
    Supervisor,
    exit_reason,
    stop_child,
)


def test_shutdown_grace_then_kill(virtual_clock, lab):
    """OTP §4: shutdown T sends shutdown, waits T, then kills a child still alive."""
    lab.linger["a"] = math.inf
    sup = Supervisor([lab.spec("a", shutdown=3)])
    sup.stop()
    assert lab.seen == [(0.0, "a", "shutdown"), (3.0, "a", "killed")]
    assert exit_reason(lab.proc("a")) == "killed"


def test_child_that_stops_within_its_grace_is_not_killed(virtual_clock, lab):
    """OTP §4: a child that exits within T after shutdown is just waited for."""
    lab.linger["a"] = 2
    sup = Supervisor([lab.spec("a", shutdown=3)])
    sup.stop()
    assert lab.seen == [(0.0, "a", "shutdown")]
    assert now() == 2.0
    assert exit_reason(lab.proc("a")) == "normal"


def test_child_that_obeys_shutdown_exits_with_reason_shutdown(virtual_clock, lab):
    """OTP §4: the expected reason of a child stopped by its supervisor is shutdown."""
    sup = Supervisor([lab.spec("a")])
    sup.stop()
    assert exit_reason(lab.proc("a")) == "shutdown"
    assert now() == 0.0


def test_default_worker_grace_is_five_seconds(virtual_clock, lab):
    """OTP §4: a worker without a shutdown value gets 5 s before it is killed."""
    lab.linger["a"] = math.inf
    sup = Supervisor([lab.spec("a")])
    sup.stop()
    assert lab.seen == [(0.0, "a", "shutdown"), (5.0, "a", "killed")]


def test_brutal_kill_kills_at_once_without_a_shutdown(virtual_clock, lab):
    """OTP §4: brutal_kill sends an unconditional kill; the child never sees shutdown."""
    lab.linger["a"] = math.inf
    sup = Supervisor([lab.spec("a", shutdown="brutal_kill")])
    sup.stop()
    assert lab.seen == [(0.0, "a", "killed")]
    assert exit_reason(lab.proc("a")) == "killed"


def test_infinity_waits_however_long_the_child_takes(virtual_clock, lab):
    """OTP §4: shutdown infinity sends shutdown and waits forever; the child is never killed."""
    lab.linger["a"] = 10_000
    sup = Supervisor([lab.spec("a", shutdown="infinity")])
    sup.stop()
    assert lab.seen == [(0.0, "a", "shutdown")]
    assert now() == 10_000.0


def test_zero_grace_kills_a_child_that_does_not_stop_at_once(virtual_clock, lab):
    """OTP §4: shutdown 0 is a valid time: shutdown, then kill without waiting."""
    lab.linger["a"] = math.inf
    sup = Supervisor([lab.spec("a", shutdown=0)])
    sup.stop()
    assert lab.seen == [(0.0, "a", "shutdown"), (0.0, "a", "killed")]


def test_children_are_stopped_in_reverse_start_order(virtual_clock, lab):
    """OTP §4: a supervisor stops its children one at a time, last started first."""
    sup = Supervisor([lab.spec(cid) for cid in "abcd"])
    sup.stop()
    assert [cid for _, cid, _ in lab.seen] == ["d", "c", "b", "a"]


def test_children_are_stopped_one_at_a_time(virtual_clock, lab):
    """OTP §4: each child's grace runs after the previous child is gone, not in parallel."""
    lab.linger.update(a=math.inf, b=1, c=math.inf)
    sup = Supervisor([lab.spec("a", shutdown=2), lab.spec("b"), lab.spec("c", shutdown=3)])
    sup.stop()
    assert lab.seen == [
        (0.0, "c", "shutdown"),
        (3.0, "c", "killed"),
        (3.0, "b", "shutdown"),
        (4.0, "a", "shutdown"),
        (6.0, "a", "killed"),
    ]


def test_child_added_with_start_child_is_stopped_first(virtual_clock, lab):
    """OTP §4/§6: a child added by start_child is last in start order, so stopped first."""
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    sup.start_child(lab.spec("z"))
    sup.stop()
    assert [cid for _, cid, _ in lab.seen] == ["z", "b", "a"]


def test_terminate_child_uses_the_childs_shutdown_spec(virtual_clock, lab):
    """OTP §4/§6: terminate_child stops the child with its own grace, then kills it."""
    lab.linger["a"] = math.inf
    sup = Supervisor([lab.spec("a", shutdown=4)])
    sup.terminate_child("a")
    assert lab.seen == [(0.0, "a", "shutdown"), (4.0, "a", "killed")]
    sup.stop()


def test_child_failing_while_stopping_counts_as_terminated(virtual_clock, hub_errors, lab):
    """OTP §4: a child exiting with another reason on shutdown is reported, and terminated."""
    hub_errors.expect(Crash)

    def stubborn():
        try:
            eventlib.sleep(100)
        except Shutdown:
            raise Crash("failed while stopping") from None

    sup = Supervisor([eventlib.supervisor.ChildSpec("s", lambda: eventlib.spawn(stubborn))])
    [row] = sup.which_children()
    sup.terminate_child("s")
    assert exit_reason(row.proc) == "error"
    assert sup.which_children()[0].proc is None
    assert [type(error.exception) for error in hub_errors.errors] == [Crash]
    sup.stop()


def test_stop_ends_the_supervisor_with_reason_normal(virtual_clock, lab):
    """OTP (gen_server:stop): stop() shuts the children down and exits normally."""
    sup = Supervisor([lab.spec("a")])
    sup.stop()
    assert exit_reason(sup) == "normal"
    assert lab.proc("a").dead


@pytest.mark.parametrize("signal", [Shutdown(), eventlib.ProcExit()], ids=["shutdown", "procexit"])
def test_supervisor_told_to_shut_down_stops_its_children_first(virtual_clock, lab, signal):
    """OTP §4: a supervisor sent shutdown terminates its children, then exits shutdown."""
    lab.linger["a"] = 1
    sup = Supervisor([lab.spec("a"), lab.spec("b")])
    sup.kill(signal)
    join(sup)
    assert exit_reason(sup) == "shutdown"
    assert [(cid, what) for _, cid, what in lab.seen] == [("b", "shutdown"), ("a", "shutdown")]
    assert lab.proc("a").dead
    assert now() == 1.0


def test_killed_supervisor_kills_its_children_at_once(virtual_clock, lab):
    """OTP §4: a brutally killed supervisor takes its children down at once (links), no grace."""
    lab.linger.update(a=math.inf, b=math.inf)
    sup = Supervisor([lab.spec("a", shutdown=10), lab.spec("b", shutdown="infinity")])
    sup.kill(Killed())
    join(sup)
    assert exit_reason(sup) == "killed"
    assert sorted(lab.seen) == [(0.0, "a", "killed"), (0.0, "b", "killed")]
    assert {exit_reason(lab.proc(cid)) for cid in "ab"} == {"killed"}


def test_supervisor_killed_during_a_grace_period_leaves_no_child_running(virtual_clock, lab):
    """OTP §4: children never outlive their supervisor, even one killed while stopping them."""
    lab.linger.update(a=math.inf, b=math.inf)
    sup = Supervisor([lab.spec("a", shutdown=10), lab.spec("b", shutdown=10)])
    sup.kill(Shutdown())
    eventlib.sleep(1)  # b is in its grace period
    sup.kill(Killed())
    join(sup)
    settle()
    assert lab.proc("a").dead
    assert lab.proc("b").dead
    assert live_procs() == {current_proc()}


def test_restarting_child_is_skipped_at_shutdown(virtual_clock, hub_errors, lab):
    """OTP §4: children marked restarting (no live process) are skipped at termination."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=100)
    lab.start_plan["b"] = ["fail"] * 1000
    lab.exit("b", "error", wait=False)
    while sup.which_child("b").proc != "restarting":
        eventlib.sleep(0)
    sup.stop()
    assert exit_reason(sup) == "normal"
    assert [cid for _, cid, _ in lab.seen] == ["a"]


def test_supervisor_shutdown_leaves_no_timer_behind(virtual_clock, lab):
    """OTP §4: the grace timers are cancelled once the children are gone."""
    before = set(virtual_clock.reactor.getDelayedCalls())
    sup = Supervisor([lab.spec(cid, shutdown=30) for cid in "abc"])
    sup.stop()
    pending = [c for c in virtual_clock.reactor.getDelayedCalls() if c.active()]
    assert set(pending) <= before


def test_stop_child_stops_a_proc_the_otp_way(virtual_clock):
    """OTP §4: stop_child(proc, T) is shutdown, T seconds of grace, then kill."""

    def ignore_shutdown():
        while True:
            try:
                eventlib.sleep(100)
            except Shutdown:
                pass

    proc = eventlib.spawn(ignore_shutdown)
    eventlib.sleep(0)
    stop_child(proc, 1.5)
    assert now() == 1.5
    assert exit_reason(proc) == "killed"


def test_dynamic_children_get_shutdown_in_parallel_with_one_grace(virtual_clock, lab):
    """OTP §2/§4: simple_one_for_one children all get shutdown at once, one timer, then kill."""
    lab.linger["d"] = math.inf
    sup = DynamicSupervisor(lab.spec("d", shutdown=2))
    for n in range(3):
        sup.start_child(n)
    sup.stop()
    assert [(t, what) for t, _, what in lab.seen] == [(0.0, "shutdown")] * 3 + [(2.0, "killed")] * 3
    assert now() == 2.0


def test_hub_is_empty_after_a_supervisor_stops(virtual_clock, lab):
    """OTP §4: after a supervisor's shutdown none of its children is left running."""
    sup = Supervisor([lab.spec(cid) for cid in "abc"])
    sup.stop()
    assert live_procs() == {current_proc()}
    assert get_hub().procs.keys() == {current_proc().id}
