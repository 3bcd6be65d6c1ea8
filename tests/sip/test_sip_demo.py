"""The demo (``python -m examples.sip_uas --demo``) runs sipp against the UAS and exits 0."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from siphelpers import requires_sipp

ROOT = pathlib.Path(__file__).resolve().parents[2]


@requires_sipp
@pytest.mark.timeout(60)
def test_demo_drives_the_uas_with_sipp_and_prints_the_tree():
    """Two seconds at 100 calls/s with injected crashes: no failed call, tree and counts shown."""
    completed = subprocess.run(
        [sys.executable, "-m", "examples.sip_uas", "--demo", "--seconds", "2", "--rate", "100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "sipp: successful=200 failed=0 (exit 0)" in completed.stdout
    assert "sip_uas [Supervisor one_for_one" in completed.stdout
    assert "demo.progress" in completed.stderr
    assert "session.crashed" in completed.stderr
