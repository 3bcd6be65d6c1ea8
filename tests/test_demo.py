"""The README's demo runs, echoes, survives crashes and stops by itself."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_supervised_echo_demo_survives_crashes():
    """Handlers and the acceptor crash on purpose; echoing goes on and the demo exits 0."""
    completed = subprocess.run(
        [sys.executable, "-m", "examples.supervised_echo", "--seconds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    tail = completed.stdout.rsplit("\nran ", 1)[1].splitlines()[1:]
    summary = dict(line.split() for line in tail)
    assert int(summary["echoed"]) > 10
    assert int(summary["handler_crashes"]) >= 1
    assert int(summary["acceptor_restarts"]) == 1
    assert int(summary["reconnects"]) >= 1
