"""Fixtures shared by the supervisor tests (helpers live in supervisor_helpers.py)."""

from typing import Any

import pytest
from supervisor_helpers import Lab


@pytest.fixture
def lab(virtual_clock: Any) -> Lab:
    """Scripted children for the supervisor under test."""
    return Lab()
