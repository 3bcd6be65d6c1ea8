"""eventlib.green.os: pipe reads/writes and waitpid that park the green thread."""

import os as stdlib_os

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import os

N = 100


@pytest.fixture
def pipe(real_reactor):
    r, w = stdlib_os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            stdlib_os.close(fd)
        except OSError:
            pass


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking-fd", "non-blocking-fd"])
def test_read_waits_for_data(pipe, blocking):
    """os.read on an empty pipe parks until the writer writes."""
    r, w = pipe
    stdlib_os.set_blocking(r, blocking)
    eventlib.spawn_after(0.02, stdlib_os.write, w, b"data")
    assert os.read(r, 10) == b"data"


def test_read_returns_empty_at_eof(pipe):
    """os.read returns b'' once the write end is closed."""
    r, w = pipe
    eventlib.spawn_after(0.01, stdlib_os.close, w)
    assert os.read(r, 10) == b""


def test_write_waits_while_pipe_is_full(pipe):
    """os.write on a full non-blocking pipe parks until the reader drains it."""
    r, w = pipe
    stdlib_os.set_blocking(w, False)
    while True:
        try:
            stdlib_os.write(w, b"x" * 65536)
        except BlockingIOError:
            break

    reader = eventlib.spawn(lambda: (eventlib.sleep(0.02), stdlib_os.read(r, 1 << 20)))
    assert os.write(w, b"more") == 4
    reader.wait()


def test_hundred_concurrent_pipe_reads_do_not_block_reactor(real_reactor, heartbeat):
    """N procs wait in os.read on N pipes; the timer keeps firing until they are let go."""
    pipes = [stdlib_os.pipe() for _ in range(N)]
    try:
        procs = [eventlib.spawn(os.read, r, 10) for r, _ in pipes]
        heartbeat.wait_for_ticks(20)
        assert not [p for p in procs if p.ready()], "a read returned before the write"
        for i, (_, w) in enumerate(pipes):
            stdlib_os.write(w, b"%d" % i)
        results = eventlib.waitall(procs)
    finally:
        for r, w in pipes:
            stdlib_os.close(r)
            stdlib_os.close(w)
    assert results == [b"%d" % i for i in range(N)]


def _spawn_child(script, stdin=None):
    actions = [] if stdin is None else [(stdlib_os.POSIX_SPAWN_DUP2, stdin, 0)]
    return stdlib_os.posix_spawn(
        "/bin/sh", ["sh", "-c", script], dict(stdlib_os.environ), file_actions=actions
    )


# A child that runs until the test closes the write end of its stdin pipe (or 10 s, to fail
# rather than hang), then exits with the given code.
_HELD = "timeout 10 cat >/dev/null; exit {}"


def test_waitpid_waits_for_child(real_reactor, heartbeat):
    """waitpid(pid, 0) parks until the child exits and returns its status."""
    r, w = stdlib_os.pipe()
    try:
        pid = _spawn_child(_HELD.format(3), stdin=r)
        waiter = eventlib.spawn(os.waitpid, pid, 0)
        heartbeat.wait_for_ticks(20)
        assert not waiter.ready(), "waitpid returned before the child was let go"
    finally:
        stdlib_os.close(r)
        stdlib_os.close(w)
    got_pid, status = waiter.wait()
    assert got_pid == pid
    assert stdlib_os.waitstatus_to_exitcode(status) == 3


def test_wait_for_any_child(real_reactor):
    """wait() (any child) parks until one exits."""
    pid = _spawn_child("exit 5")
    got_pid, status = os.wait()
    assert (got_pid, stdlib_os.waitstatus_to_exitcode(status)) == (pid, 5)


def test_waitpid_wnohang_returns_at_once(real_reactor):
    """waitpid(pid, WNOHANG) on a running child returns (0, 0) without waiting."""
    pid = _spawn_child("sleep 0.2")
    assert os.waitpid(pid, os.WNOHANG) == (0, 0)
    assert os.waitpid(pid, 0)[0] == pid


def test_hundred_concurrent_waitpids_do_not_block_reactor(real_reactor, heartbeat):
    """N procs each wait for their own child; the timer keeps firing until they are let go."""
    r, w = stdlib_os.pipe()  # every child's stdin: they all end when the test closes w
    try:
        pids = [_spawn_child(_HELD.format(0), stdin=r) for _ in range(N)]
        waits = [eventlib.spawn(os.waitpid, pid, 0) for pid in pids]
        heartbeat.wait_for_ticks(20)
        assert not [p for p in waits if p.ready()], "a child ended before it was let go"
    finally:
        stdlib_os.close(r)
        stdlib_os.close(w)
    results = eventlib.waitall(waits)
    assert [pid for pid, _ in results] == pids
    assert [stdlib_os.waitstatus_to_exitcode(status) for _, status in results] == [0] * N


def test_green_pipe_text_round_trip(pipe):
    """green_pipe files read and write text with green waits."""
    r, w = pipe
    reader, writer = os.green_pipe(r, "r"), os.green_pipe(w, "w")
    with reader, writer:
        eventlib.spawn_after(0.01, lambda: (writer.write("line\n"), writer.flush()))
        assert reader.readline() == "line\n"


def test_green_pipe_close_wakes_reader_with_ebadf(pipe, hub_errors):
    """Closing a green pipe file throws EBADF into the proc reading it."""
    hub_errors.expect(OSError, ValueError)
    r, _ = pipe
    raw = os.green_pipe(r, "rb", buffering=0)
    reader = eventlib.spawn(raw.read, 10)
    eventlib.sleep(0.01)
    raw.close()
    with pytest.raises(OSError) as info:
        reader.wait()
    assert info.value.errno == 9


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("read", (-1, 1)),
        ("write", (-1, b"x")),
        ("read", (10_000, 1)),
        ("waitpid", (1, 0)),
        ("waitpid", (999_999_999, 0)),
    ],
    ids=["read-bad-fd", "write-bad-fd", "read-closed-fd", "waitpid-not-a-child", "waitpid-no-pid"],
)
def test_bad_input_raises_like_stdlib(real_reactor, name, args):
    """Bad descriptors and non-child pids raise the stdlib's exceptions."""
    assert outcome(getattr(os, name), *args) == outcome(getattr(stdlib_os, name), *args)


def test_read_negative_size_raises_like_stdlib(pipe):
    """A negative read size raises what the stdlib raises."""
    r, _ = pipe
    assert outcome(os.read, r, -1) == outcome(stdlib_os.read, r, -1)


def test_module_keeps_stdlib_names():
    """Everything but the green calls is the stdlib's own object."""
    assert os.path is stdlib_os.path
    assert os.environ is stdlib_os.environ
    assert os.getpid is stdlib_os.getpid
    assert os.read is not stdlib_os.read
