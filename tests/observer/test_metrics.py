"""The web view's metrics: exact spawn and exit counts, restart rates, reactor lag."""

import pytest

import eventlib
from eventlib.hub import get_hub
from eventlib.observer._metrics import CountingProcs, Metrics
from eventlib.supervisor import ChildSpec, Supervisor


@pytest.fixture
def metrics(virtual_clock):
    metrics = Metrics(get_hub(), interval=1.0)
    metrics.start()
    yield metrics
    metrics.stop()


def test_short_lived_procs_are_counted(metrics):
    """Procs that start and end between two samples still count as spawns and exits."""
    eventlib.sleep(1.5)  # one sample before
    for _ in range(20):
        eventlib.spawn(lambda: None)
    eventlib.sleep(0.01)
    eventlib.sleep(1)
    assert metrics.samples[-1].spawns == 20
    assert metrics.samples[-1].exits["normal"] == 20


def test_exits_are_counted_by_reason(metrics, hub_errors):
    """Exits are counted as normal, killed or error."""
    hub_errors.expect(ValueError)
    sleeper = eventlib.spawn(eventlib.sleep, 100)
    eventlib.spawn(lambda: None)

    def fail():
        raise ValueError("on purpose")

    failing = eventlib.spawn(fail)
    eventlib.sleep(0)
    sleeper.kill()
    eventlib.sleep(1.5)
    reasons = ("normal", "killed", "error")
    total = {reason: sum(s.exits[reason] for s in metrics.samples) for reason in reasons}
    assert total == {"normal": 1, "killed": 1, "error": 1}
    assert failing.dead


def test_restarts_per_second_follow_the_supervisors(metrics, hub_errors):
    """A supervisor's restarts show up in the sample of the second they happened in."""
    hub_errors.expect(RuntimeError)
    sup = Supervisor([ChildSpec("w", start=lambda: eventlib.spawn(eventlib.sleep, 100))])
    eventlib.sleep(1.5)
    [row] = sup.which_children()
    row.proc.kill(RuntimeError("crash"))
    eventlib.sleep(1)
    assert [s.restarts for s in metrics.samples] == [0, 1]
    sup.stop()


def test_stop_gives_the_hub_a_plain_dict_back(virtual_clock):
    """Stopping the metrics restores the hub's ordinary proc table, with the same procs."""
    hub = get_hub()
    proc = eventlib.spawn(eventlib.sleep, 100)
    metrics = Metrics(hub)
    metrics.start()
    assert isinstance(hub.procs, CountingProcs)
    metrics.stop()
    assert type(hub.procs) is dict
    assert hub.procs[proc.id] is proc
    proc.kill()


def test_lag_is_the_sampler_timer_lateness(metrics):
    """On the virtual clock the sampler is never late, so the lag is exactly zero."""
    eventlib.sleep(3.5)
    assert [s.lag for s in metrics.samples] == [0.0, 0.0, 0.0]


def test_samples_are_bounded(virtual_clock):
    """Only the last ``keep`` samples are kept."""
    metrics = Metrics(get_hub(), interval=1.0, keep=5)
    metrics.start()
    eventlib.sleep(20.5)
    metrics.stop()
    assert len(metrics.samples) == 5


def test_a_blocked_reactor_shows_as_lag_and_a_blocking_episode(real_reactor):
    """A proc that holds the reactor shows up as lag and, with the block detector on, an episode."""
    import time

    import eventlib.debug

    metrics = Metrics(get_hub(), interval=0.3)
    eventlib.debug.enable_block_detector(threshold=0.1)
    metrics.start()
    try:
        eventlib.sleep(0.4)
        eventlib.spawn(time.sleep, 0.7).wait()  # holds the reactor for more than two intervals
        eventlib.sleep(0.7)
    finally:
        metrics.stop()
        eventlib.debug.disable_block_detector()
    assert max(s.lag for s in metrics.samples) >= 0.3
    assert sum(s.blocks for s in metrics.samples) == 1
