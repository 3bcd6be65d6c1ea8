"""Helpers shared by the proc tests."""

from collections.abc import Callable
from typing import Any

import pytest
from greenlet import getcurrent

from eventlib.hub import get_hub, sleep


def _run_in_main_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` from MAIN_LOOP; return its value or raise its exception here."""
    hub = get_hub()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        assert getcurrent() is hub.greenlet
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:
            outcome.append((False, error))

    hub.schedule_soon(run)
    sleep(0)  # queued after run(): MAIN_LOOP has called it when we resume
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@pytest.fixture
def in_main_loop(virtual_clock: Any) -> Callable[..., Any]:
    """``in_main_loop(f, *args)`` runs ``f`` in MAIN_LOOP (as a Twisted callback would)."""
    return _run_in_main_loop
