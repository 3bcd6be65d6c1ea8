"""Procs spawned but never run are reported once at interpreter exit (issue 11.4)."""

import subprocess
import sys
import textwrap


def run_program(source):
    """Run ``source`` in a fresh interpreter; return its output (stdout and stderr)."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout + completed.stderr


def test_procs_left_unstarted_at_exit_are_counted_once():
    """A program that ends before the hub ran its procs gets one warning with the count."""
    output = run_program(
        """
        import eventlib
        eventlib.spawn(print, "printed")
        eventlib.spawn(print, "printed")
        eventlib.spawn_after(60, print, "printed")
        """
    )
    assert "printed" not in output
    assert output.count("procs.never_ran") == 1
    assert "count=3" in output
    assert "proc.wait()" in output


def test_no_report_when_every_proc_ran():
    """A program whose procs all ran exits without the warning."""
    output = run_program(
        """
        import eventlib
        eventlib.waitall([eventlib.spawn(print, "printed") for _ in range(3)])
        """
    )
    assert output.count("printed") == 3
    assert "procs.never_ran" not in output


def test_join_mode_without_reactor_run_is_reported():
    """In join_reactor mode, spawning and never calling reactor.run() is reported."""
    output = run_program(
        """
        from eventlib.twistedutil import join_reactor
        import eventlib
        eventlib.spawn(print, "printed")
        """
    )
    assert output.count("procs.never_ran") == 1
    assert "count=1" in output
    assert "reactor.run()" in output
