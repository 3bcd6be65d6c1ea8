"""The lifecycle-log switch: off, on, or by the standard library's eventlib logger level."""

import logging
import os
import subprocess
import sys

import pytest
from structlog.testing import capture_logs

import eventlib
import eventlib.log
from eventlib.log import STATE


@pytest.fixture
def eventlib_logger():
    """The stdlib ``eventlib`` logger, its level and the switch restored after the test."""
    logger = logging.getLogger("eventlib")
    level = logger.level
    try:
        yield logger
    finally:
        logger.setLevel(level)
        eventlib.log.disable_lifecycle_logs()


def _spawned(logs, proc):
    return [e for e in logs if e["event"] == "proc.spawned" and e["proc_id"] == proc.id]


def test_by_level_emits_while_logger_is_at_debug(virtual_clock, eventlib_logger):
    """By level: spawns are logged while the eventlib logger is at DEBUG, not at INFO."""
    eventlib.log.enable_lifecycle_logs(by_level=True)
    with capture_logs() as logs:
        eventlib_logger.setLevel(logging.INFO)
        quiet = eventlib.spawn(lambda: None)
        quiet.wait()
        eventlib_logger.setLevel(logging.DEBUG)
        loud = eventlib.spawn(lambda: None)
        loud.wait()
    assert _spawned(logs, quiet) == []
    assert len(_spawned(logs, loud)) == 1


def test_by_level_follows_an_inherited_level(virtual_clock, eventlib_logger):
    """By level: a DEBUG level inherited from a parent logger (here the root) counts."""
    eventlib.log.enable_lifecycle_logs(by_level=True)
    eventlib_logger.setLevel(logging.NOTSET)
    root = logging.getLogger()
    root_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        assert STATE.enabled
        root.setLevel(logging.WARNING)
        assert not STATE.enabled
    finally:
        root.setLevel(root_level)


def test_switch_on_ignores_the_level(virtual_clock, eventlib_logger):
    """enable_lifecycle_logs() without by_level emits whatever the stdlib level says."""
    eventlib_logger.setLevel(logging.CRITICAL)
    eventlib.log.enable_lifecycle_logs()
    assert STATE.enabled
    assert not STATE.by_level


def test_disable_turns_by_level_off(virtual_clock, eventlib_logger):
    """disable_lifecycle_logs() stops by-level emission even at DEBUG."""
    eventlib_logger.setLevel(logging.DEBUG)
    eventlib.log.enable_lifecycle_logs(by_level=True)
    assert STATE.enabled
    eventlib.log.disable_lifecycle_logs()
    assert not STATE.enabled
    assert not STATE.by_level


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "False False"), ("1", "True False"), ("level", "False True")],
)
def test_environment_variable_sets_the_switch(value, expected):
    """EVENTLIB_LIFECYCLE_LOGS: unset off, 1 on, level by level (logger at WARNING: off)."""
    code = "from eventlib.log import STATE; print(STATE.enabled, STATE.by_level)"
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "EVENTLIB_LIFECYCLE_LOGS": value},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.strip() == expected
