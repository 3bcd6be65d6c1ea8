"""Fixtures shared by the worker pool's tests (helpers live in pool_helpers.py)."""

from collections.abc import Iterator

import pytest
from pool_helpers import OPEN_CLIENTS


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Every UDP client a test opened is closed after it."""
    yield
    while OPEN_CLIENTS:
        OPEN_CLIENTS.pop().close()
