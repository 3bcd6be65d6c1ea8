"""Optional restart back-off (DESIGN.md "Supervision trees"): off by default, OTP unchanged."""

from supervisor_helpers import Crash, now, settle

import eventlib
from eventlib.hub import get_hub
from eventlib.supervisor import Backoff, Supervisor


def test_restarts_are_immediate_without_backoff(virtual_clock, hub_errors, lab):
    """OTP §2: with back-off off (the default) a restart happens at once."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")])
    lab.exit("a", "error")
    assert [t for t, _ in lab.starts] == [0.0, 0.0]
    sup.stop()


def test_backoff_delays_the_restart(virtual_clock, hub_errors, lab):
    """DESIGN.md: with back-off the first restart waits ``initial`` seconds."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], backoff=Backoff(initial=0.5), max_restarts=10)
    lab.exit("a", "error")
    assert sup.which_child("a").proc == "restarting"
    eventlib.sleep(1)
    assert [t for t, _ in lab.starts] == [0.0, 0.5]
    sup.stop()


def test_backoff_grows_with_consecutive_restarts(virtual_clock, hub_errors, lab):
    """DESIGN.md: consecutive restarts wait initial * factor ** n, capped at maximum."""
    hub_errors.expect(Crash)
    sup = Supervisor(
        [lab.spec("a")], backoff=Backoff(initial=1, factor=2, maximum=3), max_restarts=100
    )
    delays = []
    for _ in range(4):
        started, crashed = lab.starts_of("a"), now()
        lab.exit("a", "error", wait=False)
        while lab.starts_of("a") == started:
            eventlib.sleep(0.25)
        delays.append(lab.starts[-1][0] - crashed)
    assert delays == [1, 2, 3, 3]
    sup.stop()


def test_backoff_restarts_the_whole_one_for_all_group(virtual_clock, hub_errors, lab):
    """OTP §2 with back-off: the delayed restart still restarts every child of the group."""
    hub_errors.expect(Crash)
    specs = [lab.spec(cid) for cid in "abc"]
    sup = Supervisor(specs, strategy="one_for_all", backoff=Backoff(initial=1), max_restarts=10)
    lab.exit("b", "error")
    eventlib.sleep(2)
    assert [lab.starts_of(cid) for cid in "abc"] == [2, 2, 2]
    assert all(not lab.proc(cid).dead for cid in "abc")
    sup.stop()


def test_pending_backoff_timer_is_cancelled_when_the_supervisor_stops(
    virtual_clock, hub_errors, lab
):
    """DESIGN.md: a supervisor that stops leaves no back-off timer behind."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], backoff=Backoff(initial=100, maximum=100), max_restarts=10)
    lab.exit("a", "error")
    sup.stop()
    settle()
    hub = get_hub()
    assert hub.get_timers_count() - hub.ready_count == 0  # no timer left, zero-delay work aside
    assert now() == 0.0
