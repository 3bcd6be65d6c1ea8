"""Shared test configuration: eventlib's own pytest plugin provides the green fixtures."""

import pytest
from greenlet import getcurrent

import eventlib
from eventlib.hub import Waiter

pytest_plugins = ["pytester"]


# The sync and mailbox tests use this one; tests/proc and tests/twistedutil have their own.
@pytest.fixture
def in_main_loop():
    """A function that runs ``f(*args)`` from MAIN_LOOP (a hub timer) and returns its outcome.

    The call returns what ``f`` returned or raises what ``f`` raised, in the test's proc.
    """

    def run(function, *args, **kwargs):
        hub = eventlib.get_hub()
        waiter = Waiter(hub)

        def call():
            if getcurrent() is not hub.greenlet:
                waiter.throw(AssertionError("in_main_loop: not called from MAIN_LOOP"))
                return
            try:
                result = function(*args, **kwargs)
            except BaseException as exc:
                waiter.throw(exc)
            else:
                waiter.switch(result)

        hub.schedule_call_global(0, call)
        return waiter.get()

    return run
