"""WorkerPool: worker processes as supervised children sharing parent-owned sockets."""

from __future__ import annotations

import os
import signal
import socket
import sys

import pytest
import structlog
from pool_helpers import Client, client_of, echo_command, echo_pool, wait_for

from eventlib.green import subprocess
from eventlib.hub import get_hub, sleep
from eventlib.observer import snapshot
from eventlib.proc import ExitReason, spawn
from eventlib.supervisor import (
    ChildSpec,
    Killed,
    RestartIntensityExceeded,
    Supervisor,
    SupervisorStartError,
    exit_reason,
)
from eventlib.workers import (
    SharedSockets,
    WorkerExited,
    WorkerPool,
    WorkerProc,
    WorkerStartError,
    WorkerUnresponsive,
)
from eventlib.workers._channel import Channel

pytestmark = pytest.mark.eventlib(time_limit=60)


def test_each_client_sticks_to_one_worker_and_both_workers_serve(real_reactor):
    """Two workers share one UDP port; a client always reaches the same one, and both serve."""
    with echo_pool(2) as pool:
        port = pool.sockets.udp_port
        seen = set()
        for _ in range(40):
            client = Client(port)
            first = client.ask(b"a")
            second = client.ask(b"b")
            client.close()
            assert first[:3] == second[:3]
            seen.add(first[0])
        assert seen == {0, 1}


def test_a_killed_worker_is_replaced_on_the_same_socket_with_the_datagrams_that_waited(
    real_reactor, hub_errors
):
    """SIGKILL worker 0: the replacement (a new pid) answers what its clients sent meanwhile."""
    hub_errors.expect(WorkerExited)
    with echo_pool(2) as pool:
        client = client_of(pool, 0, pool.sockets.udp_port)
        old = pool.which_child("worker-0").proc
        assert isinstance(old, WorkerProc)
        os.kill(old.pid, signal.SIGKILL)
        client.send(b"sent while down")
        index, pid, generation, echoed = client.receive(timeout=15)
        assert (index, generation, echoed) == (0, 1, b"sent while down")
        assert pid != old.pid
        assert old.process.returncode == -signal.SIGKILL
        new = wait_for(lambda: pool.which_child("worker-0").proc, 5, "worker-0 back in the tree")
        assert new.pid == pid
        assert f"pid={pid}]" in pool.format_tree()
        assert pool.which_child("worker-0").restarts == 1
        error = old.exc_info()[1]
        assert isinstance(error, WorkerExited)
        assert error.returncode == -signal.SIGKILL
        assert str(error).endswith("signal SIGKILL")


def test_a_worker_that_stops_answering_its_heartbeat_is_killed_and_replaced(
    real_reactor, hub_errors
):
    """A worker whose reactor hangs misses its heartbeat: SIGKILL, then a new process."""
    hub_errors.expect(WorkerUnresponsive)
    with echo_pool(1, heartbeat_interval=0.2, heartbeat_timeout=1.0) as pool:
        old = pool.workers()[0]
        Client(pool.sockets.udp_port).send(b"hang")
        wait_for(lambda: old.dead, 15, "the hung worker's proc ends")
        error = old.exc_info()[1]
        assert isinstance(error, WorkerUnresponsive)
        assert error.pid == old.pid
        assert old.process.returncode == -signal.SIGKILL
        new = wait_for(pool.workers, 15, "a replacement")[0]
        assert new.pid != old.pid
        assert Client(pool.sockets.udp_port).ask(b"x", timeout=10)[1] == new.pid


@pytest.mark.parametrize(
    ("restart", "status", "restarted"),
    [
        ("permanent", 0, True),
        ("permanent", 5, True),
        ("transient", 0, False),
        ("transient", 5, True),
        ("temporary", 5, False),
    ],
)
def test_a_worker_exit_is_restarted_by_its_restart_type(
    real_reactor, hub_errors, restart, status, restarted
):
    """Exit status 0 is a normal exit, any other an error; the restart type decides."""
    hub_errors.expect(WorkerExited)
    with echo_pool(1, restart=restart) as pool:
        old = pool.workers()[0]
        Client(pool.sockets.udp_port).send(b"exit:%d" % status)
        wait_for(lambda: old.dead, 15, "the worker's proc ends")
        if status:
            assert isinstance(old.exc_info()[1], WorkerExited)
            assert old.exc_info()[1].returncode == status
        else:
            assert old.exit_reason is ExitReason.NORMAL
        if restarted:
            assert wait_for(pool.workers, 15, "a replacement")[0].generation == 1
        else:
            assert pool.statistics().total_restarts == 0
            assert pool.workers() == []


def test_a_worker_that_fails_at_start_fails_the_pool_start(real_reactor):
    """A worker that exits before it is ready fails the pool's start, as any child's does."""
    shared = SharedSockets(2, "127.0.0.1", udp_port=0)
    try:
        with pytest.raises(SupervisorStartError) as caught:
            WorkerPool(echo_command("crash-at-start"), sockets=shared)
    finally:
        shared.close()
    assert caught.value.child_id == "worker-0"
    assert isinstance(caught.value.cause, WorkerStartError)
    assert "exited with exit status 3 before it was ready" in str(caught.value.cause)


def test_a_worker_that_crashes_at_each_restart_exceeds_the_intensity_and_escalates(
    real_reactor, hub_errors, tmp_path
):
    """Restarts that fail at start count, as Supervisor's do; past max_restarts the pool
    exits with RestartIntensityExceeded and its own supervisor sees a shutdown."""
    hub_errors.expect(WorkerExited, RestartIntensityExceeded)
    marker = tmp_path / "crash"
    shared = SharedSockets(1, "127.0.0.1", udp_port=0)
    try:
        root = Supervisor(
            [
                ChildSpec(
                    "pool",
                    start=lambda: WorkerPool(
                        echo_command(f"crash-at-start-if:{marker}"),
                        sockets=shared,
                        max_restarts=2,
                        max_seconds=60,
                    ),
                    type="supervisor",
                    restart="transient",
                )
            ],
            name="root",
        )
        pool = root.which_child("pool").proc
        worker = pool.workers()[0]
        marker.touch()
        os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(RestartIntensityExceeded):
            pool.wait(30)
        assert pool.total_restarts == 3  # the exit and two failed starts: one too many
        assert exit_reason(pool) == "shutdown"
        # transient: the root does not restart a child that exited with reason shutdown
        wait_for(lambda: root.which_child("pool").proc is None, 5, "the root saw the exit")
        assert root.statistics().total_restarts == 0
        assert not root.dead
        assert worker.process.returncode == -signal.SIGKILL
        root.stop()
    finally:
        shared.close()


def test_stop_lets_running_work_finish_then_workers_exit_0(real_reactor):
    """A graceful stop waits for the work in progress (within drain_seconds)."""
    # The status comes with the heartbeat: several pings must fall inside the 1 s of work.
    with echo_pool(2, drain_seconds=10, heartbeat_interval=0.1, heartbeat_timeout=5) as pool:
        client = Client(pool.sockets.udp_port)
        index = client.ask(b"who")[0]
        client.send(b"slow:1.0")
        wait_for(lambda: pool.workers()[index].status.get("running"), 10, "work in progress")
        workers = pool.workers()
        pool.stop()
        assert client.receive(timeout=1)[3] == b"slow:1.0"
    assert [worker.process.returncode for worker in workers] == [0, 0]


def test_a_worker_that_does_not_stop_within_its_grace_is_killed(real_reactor):
    """Shutdown grace, then SIGKILL, as a supervisor stops any child."""
    with echo_pool(1, "ignore-stop", drain_seconds=0.2, shutdown=0.5) as pool:
        worker = pool.workers()[0]
        started = get_hub().clock()
        pool.stop()
        assert get_hub().clock() - started < 5
    assert worker.process.returncode == -signal.SIGKILL


def test_rolling_restart_replaces_every_worker_without_counting_restarts(real_reactor):
    """Each worker is drained and replaced in turn; the intensity is untouched."""
    with echo_pool(2) as pool:
        before = pool.workers()
        pool.rolling_restart()
        after = pool.workers()
        assert [worker.generation for worker in after] == [1, 1]
        assert [worker.process.returncode for worker in before] == [0, 0]
        assert pool.statistics().total_restarts == 0
        assert [pool.which_child(f"worker-{i}").proc for i in (0, 1)] == after


def test_the_parent_logs_start_exit_with_signal_and_restart(real_reactor, hub_errors):
    """worker.started, worker.exited (status or signal) and worker.restarted, each with worker=i."""
    hub_errors.expect(WorkerExited)
    with structlog.testing.capture_logs() as logs, echo_pool(1) as pool:
        old = pool.workers()[0]
        os.kill(old.pid, signal.SIGKILL)
        new = wait_for(lambda: [w for w in pool.workers() if w is not old], 15, "a new one")[0]
    events = [(e["event"], e.get("worker"), e.get("pid"), e.get("status")) for e in logs]
    assert ("worker.started", 0, old.pid, None) in events
    assert ("worker.exited", 0, old.pid, "signal SIGKILL") in events
    assert ("worker.restarted", 0, new.pid, None) in events
    assert ("worker.exited", 0, new.pid, "exit status 0") in events


def test_workers_are_children_in_the_tree_and_the_observer_snapshot(real_reactor):
    """Nested under a root, each worker is a child line with its pid, and a snapshot row."""
    shared = SharedSockets(2, "127.0.0.1", udp_port=0)
    try:
        root = Supervisor(
            [ChildSpec("workers", start=lambda: WorkerPool(echo_command(), sockets=shared),
                       type="supervisor")],
            name="app",
        )  # fmt: skip
        pool = root.which_child("workers").proc
        tree = root.format_tree()
        for worker in pool.workers():
            assert f"worker-{worker.index} [worker permanent proc={worker.id} running " in tree
            assert f"pid={worker.pid}]" in tree
        info = {sup.path: sup for sup in snapshot().supervisors}["app/workers"]
        assert [(row.id, row.proc_id) for row in info.children] == [  # start order, as the tree
            ("worker-0", pool.workers()[0].id),
            ("worker-1", pool.workers()[1].id),
        ]
        root.stop()
    finally:
        shared.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"count": 3}, "count=3 but sockets has 2"),
        ({"heartbeat_interval": 2, "heartbeat_timeout": 1}, "must exceed heartbeat_interval"),
        ({"drain_seconds": 0}, "drain_seconds must be a number of seconds > 0"),
    ],
)
def test_bad_pool_options_are_refused_at_once(real_reactor, options, message):
    """Options that cannot work raise ValueError naming the problem, before any process starts."""
    shared = SharedSockets(2, "127.0.0.1", udp_port=0)
    try:
        with pytest.raises(ValueError, match=message):
            WorkerPool(echo_command(), sockets=shared, **options)
    finally:
        shared.close()


def test_a_command_that_cannot_run_fails_the_start_with_its_os_error(real_reactor):
    """A missing executable is a start failure carrying the OSError."""
    with pytest.raises(SupervisorStartError) as caught:
        WorkerPool(["/nonexistent/worker"], 1)
    assert isinstance(caught.value.cause, FileNotFoundError)


def test_rolling_restart_leaves_a_slot_whose_temporary_worker_ended(real_reactor):
    """Only running workers are replaced; an ended temporary one is not brought back."""
    with echo_pool(2, restart="temporary") as pool:
        first, second = pool.workers()
        client_of(pool, 0, pool.sockets.udp_port).send(b"exit:0")
        wait_for(lambda: first.dead, 15, "worker 0 ends")
        wait_for(lambda: len(pool.which_children()) == 1, 5, "its spec forgotten")
        pool.rolling_restart()
        assert [(w.index, w.generation) for w in pool.workers()] == [(1, 1)]
        assert second.process.returncode == 0


def test_a_worker_stopped_right_after_its_start_is_stopped_not_leaked(real_reactor):
    """A stop queued behind a (re)start reaches a worker proc that has barely started:
    its process is still stopped and reaped."""
    with echo_pool(1) as pool:
        pool.terminate_child("worker-0")
        restarter = spawn(pool.restart_child, "worker-0")
        sleep(0)  # the restart request is queued; the stop goes right behind it
        pool.stop()
        worker = restarter.wait()
        assert isinstance(worker, WorkerProc)
        assert worker.process.returncode == 0


def test_a_worker_proc_killed_before_it_ever_ran_still_kills_its_process(real_reactor):
    """The safety net: a WorkerProc finished before it started SIGKILLs and reaps its process."""
    with echo_pool(1) as pool:
        parent_end, child_end = socket.socketpair()
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        child_end.close()
        proc = WorkerProc(pool, 7, 0, process, Channel(parent_end))
        proc.throw(Killed())  # not started yet: it finishes at once, without running
        assert proc.dead
        assert process.wait(10) == -signal.SIGKILL
