import os
import subprocess
import sys
import textwrap
import time

import pytest
from structlog.testing import capture_logs

import eventlib
import eventlib.debug


@pytest.fixture
def detector(real_reactor):
    detector = eventlib.debug.enable_block_detector(threshold=0.05)
    yield detector
    eventlib.debug.disable_block_detector()


def hog_the_reactor(seconds):
    time.sleep(seconds)  # a truly blocking call: the reactor stops


def test_blocking_proc_is_reported_with_its_stack(detector):
    """A proc holding the reactor past the threshold is logged with the offending frame."""
    with capture_logs() as logs:
        eventlib.spawn(hog_the_reactor, 0.3).wait()
        eventlib.sleep(0.1)
    [event] = [entry for entry in logs if entry["event"] == "reactor.blocked"]
    assert event["log_level"] == "warning"
    assert event["held_for"] > 0.05
    assert "hog_the_reactor" in event["stack"]
    assert "time.sleep" in event["stack"] or "hog_the_reactor" in event["where"]


def test_one_warning_per_episode(detector):
    """One long block gives one warning, not one per watchdog tick."""
    with capture_logs() as logs:
        eventlib.spawn(hog_the_reactor, 0.4).wait()
        eventlib.sleep(0.1)
    assert len([e for e in logs if e["event"] == "reactor.blocked"]) == 1
    assert detector.episodes == 1


def test_end_of_a_block_reports_its_full_duration(detector):
    """When the reactor comes back, reactor.unblocked gives the whole episode's length."""
    with capture_logs() as logs:
        eventlib.spawn(hog_the_reactor, 0.5).wait()
        eventlib.sleep(0.1)
    [blocked] = [e for e in logs if e["event"] == "reactor.blocked"]
    [unblocked] = [e for e in logs if e["event"] == "reactor.unblocked"]
    assert logs.index(blocked) < logs.index(unblocked)
    assert unblocked["log_level"] == "warning"
    assert blocked["held_for"] < 0.5 <= unblocked["blocked_for"] < 5
    assert unblocked["where"] == blocked["where"]


def test_green_waits_are_not_reported(detector):
    """Procs that park (green sleep) never trigger the detector."""
    with capture_logs() as logs:
        eventlib.waitall([eventlib.spawn(eventlib.sleep, 0.05) for _ in range(10)])
        eventlib.sleep(0.3)
    assert [e for e in logs if e["event"].startswith("reactor.")] == []


def test_twisted_callback_blocking_is_reported(detector, real_reactor):
    """A plain Twisted callback that blocks the reactor is caught as well."""
    done = eventlib.Event()

    def callback():
        hog_the_reactor(0.3)
        done.send(None)

    with capture_logs() as logs:
        real_reactor.callLater(0, callback)
        done.wait()
        eventlib.sleep(0.1)
    [event] = [e for e in logs if e["event"] == "reactor.blocked"]
    assert "callback" in event["stack"]


def test_bad_threshold_is_rejected(real_reactor):
    """A threshold must be a positive number of seconds."""
    with pytest.raises(ValueError, match="threshold"):
        eventlib.debug.enable_block_detector(threshold=0)


def test_threshold_of_the_wrong_type_is_rejected(real_reactor):
    """A threshold given as a string is a TypeError naming it, not a bare comparison error."""
    with pytest.raises(TypeError, match=r"block detector threshold .* got '0\.1' \(str\)"):
        eventlib.debug.enable_block_detector(threshold="0.1")


def test_environment_variable_enables_it():
    """EVENTLIB_BLOCK_DETECTOR=<seconds> turns the detector on at import."""
    code = textwrap.dedent(
        """
        import time
        import structlog
        from structlog.testing import capture_logs
        import eventlib
        assert eventlib.debug.block_detector().threshold == 0.05
        with capture_logs() as logs:
            eventlib.spawn(time.sleep, 0.3).wait()
            eventlib.sleep(0.1)
        print(sum(1 for e in logs if e["event"] == "reactor.blocked"))
        """
    )
    env = dict(os.environ, EVENTLIB_BLOCK_DETECTOR="0.05")
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    # Only the last line: a slow import under load may be reported before capture_logs.
    assert completed.stdout.strip().splitlines()[-1] == "1"
