"""Classic eventlib.proc behaviours that code written for the original relies on."""

import pytest

from eventlib import api, coros, proc


def test_kill_of_an_unstarted_proc_then_unlink_raises_nothing(virtual_clock):
    """p.link(); p.kill(); p.unlink() raises nothing for a proc that has not started."""
    p = proc.spawn(api.sleep, 10)
    p.link()
    p.kill()
    p.unlink()
    api.sleep(0)
    assert p.dead


def test_kill_of_an_unstarted_proc_fires_the_callers_link_at_its_next_switch(virtual_clock):
    """The caller's own link to an unstarted proc it kills fires at its next switch."""
    p = proc.spawn(api.sleep, 10)
    p.link()
    p.kill()
    with pytest.raises(proc.LinkedKilled):
        api.sleep(0)


def test_kill_of_an_unstarted_proc_never_runs_it(virtual_clock):
    """Killing a proc before it starts means its function never runs."""
    ran = []
    p = proc.spawn(ran.append, 1)
    p.kill()
    api.sleep(0)
    assert ran == []
    with pytest.raises(proc.ProcExit):
        p.wait()


def test_kill_of_a_started_proc_then_unlink_raises_nothing(virtual_clock):
    """The same sequence on a proc that has started raises nothing either."""
    p = proc.spawn(api.sleep, 10)
    api.sleep(0)
    p.link()
    p.kill()
    p.unlink()
    api.sleep(0)
    assert p.dead


def test_kill_of_an_unstarted_proc_from_main_loop_notifies_links_on_the_next_turn(virtual_clock):
    """Killed from MAIN_LOOP (a Twisted callback), an unstarted proc's links still fire."""
    done = coros.event()
    p = proc.Proc()
    api.get_hub().schedule_soon(p.kill)  # runs before the start that run() queues
    p.run(api.sleep, 10)
    p.link(done)
    with pytest.raises(proc.ProcExit), api.timeout(1):
        done.wait()
    assert p.greenlet is None
