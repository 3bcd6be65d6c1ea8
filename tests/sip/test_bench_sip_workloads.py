"""bench_sip's in-process workloads (``--instructions``) serve every call they count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import eventlib

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("workload", ["call", "session"])
def test_an_instructions_workload_completes_what_it_counts(workload):
    """Each workload checks its own outcome (every call completed, every session ended)
    and fails otherwise: a count of work left undone would look cheap. The workload runs
    the build this test imports (the compiled one in the compiled tree's pass)."""
    build = "compiled" if eventlib.compiled_modules() else "pure"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_sip.py"),
         "--instructions-worker", workload, "--calls", "250",
         "--build", build],
        capture_output=True, text=True, timeout=100, cwd=ROOT, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
