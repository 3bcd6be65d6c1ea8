"""Fixtures of the green-module tests."""

import pytest
from greenhelpers import Heartbeat


@pytest.fixture
def heartbeat(real_reactor):
    """A running :class:`Heartbeat` on the test's hub."""
    beat = Heartbeat()
    beat.start()
    yield beat
    beat.stop()
