"""The benchmark's floor, benchmarks/sip_bare_twisted.py, answers sipp's calls as the UAS does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from siphelpers import requires_sipp, sipp_command
from sipp_results import finish_sipp

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [requires_sipp]


def test_the_bare_twisted_uas_of_bench_sip_completes_sipps_calls(tmp_path):
    """bench_sip compares the example with it: it must complete every call sipp makes."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "sip_bare_twisted.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        version = process.stdout.readline().decode()
        match = re.fullmatch(r"udp=(\d+)\n", process.stdout.readline().decode())
        assert match is not None, version
        command = sipp_command(
            "-sn", "uac", f"127.0.0.1:{match[1]}", "-i", "127.0.0.1", "-m", "50", "-r", "50",
            seconds=20,
        )  # fmt: skip
        # The standard library's subprocess: this test runs no hub (siphelpers' is green).
        sipp = subprocess.Popen(
            command, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        run = finish_sipp(sipp, 30)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert run.counts == (0, 50, 0), run.output
    assert "bare UAS" in version
    assert process.returncode == 0, errors.decode()
