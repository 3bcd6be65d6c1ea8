"""eventlib.green.subprocess: Popen with green pipes, wait() and communicate()."""

import subprocess as stdlib_subprocess
import time

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import subprocess
from eventlib.hub import BlockingInMainLoopError, get_hub

N = 100


def test_communicate_round_trips_bytes(real_reactor):
    """communicate feeds stdin and collects stdout, green."""
    with subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        out, err = proc.communicate(b"x" * 200_000, timeout=10)
    assert (len(out), err, proc.returncode) == (200_000, None, 0)


def test_communicate_text_mode_with_stderr(real_reactor):
    """In text mode, communicate returns decoded stdout and stderr."""
    command = ["sh", "-c", "cat; echo oops >&2"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.communicate("héllo\n", timeout=10) == ("héllo\n", "oops\n")


def test_communicate_times_out_then_resumes(real_reactor):
    """After TimeoutExpired, a second communicate carries on and gets all the output."""
    command = ["sh", "-c", "echo first; sleep 0.2; echo second"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as proc:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.communicate(timeout=0.05)
        out, _ = proc.communicate(timeout=10)
    assert out == b"first\nsecond\n"


def test_wait_returns_exit_code(real_reactor):
    """wait() parks until the child exits and returns its code."""
    with subprocess.Popen(["sh", "-c", "exit 7"]) as proc:
        assert proc.wait(timeout=10) == 7
        assert proc.returncode == 7


def test_wait_times_out(real_reactor):
    """wait(timeout) raises TimeoutExpired and leaves the child running."""
    with subprocess.Popen(["sleep", "5"]) as proc:
        start = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.05)
        assert time.monotonic() - start < 2
        assert proc.poll() is None
        proc.kill()
        assert proc.wait() == -9


def test_stdout_readline_is_green(real_reactor, heartbeat):
    """Reading a child's stdout parks the proc while the reactor keeps running."""
    # The child echoes only what the test writes (and ends after 10 s, to fail, not hang).
    command = ["timeout", "10", "cat"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        reader = eventlib.spawn(proc.stdout.readline)
        try:
            heartbeat.wait_for_ticks(20)
            assert not reader.ready(), "readline returned before the child wrote"
            proc.stdin.write(b"late\n")
            proc.stdin.flush()
        finally:
            proc.stdin.close()
        assert reader.wait() == b"late\n"


def test_unbuffered_pipes_are_raw_and_green(real_reactor):
    """bufsize=0 gives raw green pipes, as the stdlib gives raw files."""
    with subprocess.Popen(
        ["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
    ) as proc:
        proc.stdin.write(b"abc")
        assert proc.stdout.read(3) == b"abc"
        proc.stdin.close()


def test_hundred_concurrent_children_do_not_block_reactor(real_reactor, heartbeat):
    """N children are waited for at once; the timer keeps firing until they are let go."""
    # Each child runs until its stdin closes (or 10 s, to fail rather than hang): the waits
    # last as long as the test wants, so a wait() that blocked the reactor stops the timer.
    procs = [subprocess.Popen(["timeout", "10", "cat"], stdin=subprocess.PIPE) for _ in range(N)]
    waits = [eventlib.spawn(p.wait, 20) for p in procs]
    try:
        heartbeat.wait_for_ticks(20)
        assert not [w for w in waits if w.ready()], "a child ended before it was let go"
    finally:
        for p in procs:
            p.stdin.close()
    assert eventlib.waitall(waits) == [0] * N


def test_run_captures_output(real_reactor):
    """run(capture_output=True) returns a CompletedProcess with both streams."""
    result = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 2"], capture_output=True)
    assert (result.returncode, result.stdout, result.stderr) == (2, b"out\n", b"err\n")


def test_run_timeout_kills_child(real_reactor):
    """run(timeout=...) kills the child and raises TimeoutExpired."""
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(["sleep", "5"], timeout=0.05)


def test_check_output_and_call(real_reactor):
    """check_output returns stdout; call returns the code; check_call raises on failure."""
    assert subprocess.check_output(["echo", "hi"], text=True) == "hi\n"
    assert subprocess.call(["sh", "-c", "exit 3"]) == 3
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.check_call(["false"])
    assert subprocess.getstatusoutput("echo yes; exit 1") == (1, "yes")


def test_wait_from_main_loop_raises(real_reactor):
    """wait() that would park, called from a reactor callback, fails at once."""
    with subprocess.Popen(["sleep", "0.2"]) as proc:
        seen = eventlib.Event()

        def in_main_loop():
            try:
                proc.wait()
            except BlockingInMainLoopError as exc:
                seen.send(exc)

        get_hub().schedule_call_global(0, in_main_loop)
        assert isinstance(seen.wait(timeout=5), BlockingInMainLoopError)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.Popen(["/no/such/program"]),
        lambda m: m.run(["true"], input=b"x", stdin=m.PIPE),
        lambda m: m.check_output(["true"], stdout=m.PIPE),
        lambda m: m.run(["true"], capture_output=True, stdout=m.PIPE),
        lambda m: m.check_call(["false"]),
    ],
    ids=["missing-program", "input-and-stdin", "stdout-in-check-output", "capture-and-stdout",
         "check-call-failure"],
)  # fmt: skip
def test_bad_input_raises_like_stdlib(real_reactor, call):
    """Bad arguments and failures raise the stdlib's exceptions."""
    assert outcome(call, subprocess) == outcome(call, stdlib_subprocess)


def test_module_keeps_stdlib_names():
    """Constants and exceptions are the stdlib's own objects."""
    assert subprocess.PIPE is stdlib_subprocess.PIPE
    assert subprocess.TimeoutExpired is stdlib_subprocess.TimeoutExpired
    assert issubclass(subprocess.Popen, stdlib_subprocess.Popen)
