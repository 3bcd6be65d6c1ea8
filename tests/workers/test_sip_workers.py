"""The SIP example on a pool of workers, driven by sipp over loopback UDP."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess as blocking_subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pool_helpers import identify, process_gone, wait_for
from sipp_results import finish_sipp

from eventlib import get_hub, sleep
from eventlib.green import subprocess
from eventlib.workers import WorkerExited, WorkerProc
from examples.sip_uas import Config
from examples.sip_uas.workers import start_pool, totals

SIPP = shutil.which("sipp")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) is not installed"),
    pytest.mark.eventlib(time_limit=90),
    pytest.mark.timeout(100),
]


def _start_sipp(port: int, calls: int, rate: int, cwd: Path) -> Any:
    assert SIPP is not None
    command = [
        SIPP, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-t", "un",
        "-max_socket", "512", "-r", str(rate), "-m", str(calls), "-nostdin",
        "-timeout", "60s", "-timeout_error",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.load
def test_sipp_at_500_cps_through_2_workers_one_killed_mid_run_fails_no_call(
    real_reactor, hub_errors, tmp_path
):
    """SIGKILL of a worker mid-run: 0 failed calls, it is back within its restart bound,
    and the tree shows its new pid."""
    hub_errors.expect(WorkerExited)
    pool, shared = start_pool(2, Config(udp_port=0), heartbeat_interval=0.5, quiet=True)
    try:
        calls, rate = 2000, 500
        sipp = _start_sipp(shared.udp_port, calls, rate, tmp_path)
        wait_for(lambda: totals(pool).get("calls", 0) >= 500, 30, "calls flowing")
        old = pool.which_child("worker-0").proc
        assert isinstance(old, WorkerProc)
        killed_at = get_hub().clock()
        os.kill(old.pid, signal.SIGKILL)
        new = wait_for(
            lambda: (p := pool.which_child("worker-0").proc) is not old and p, 10, "worker-0 back"
        )
        back_after = get_hub().clock() - killed_at
        run = finish_sipp(sipp, 70)
        assert run.counts == (0, calls, 0), run.output
        assert back_after < 10  # no back-off: at once, plus its start (slow on a busy machine)
        assert isinstance(new, WorkerProc)
        assert new.generation == 1
        assert old.process.returncode == -signal.SIGKILL
        assert f"worker-0 [worker permanent proc={new.id} running restarts=1 pid={new.pid}]" in (
            pool.format_tree()
        )
    finally:
        pool.stop()
        shared.close()


def test_a_rolling_restart_under_sipp_load_fails_no_call(real_reactor, tmp_path):
    """Both workers are replaced one at a time while sipp places calls: 0 failed calls."""
    pool, shared = start_pool(2, Config(udp_port=0), heartbeat_interval=0.5, quiet=True)
    try:
        calls, rate = 1200, 200
        sipp = _start_sipp(shared.udp_port, calls, rate, tmp_path)
        wait_for(lambda: totals(pool).get("calls", 0) >= 200, 30, "calls flowing")
        before = {proc.pid for proc in pool.workers()}
        pool.rolling_restart()
        after = {proc.pid for proc in pool.workers()}
        run = finish_sipp(sipp, 70)
        assert run.counts == (0, calls, 0), run.output
        assert not before & after
        assert pool.statistics().total_restarts == 0
    finally:
        pool.stop()
        shared.close()


def test_sigterm_stops_the_sip_parent_and_its_workers_gracefully():
    """``--workers 2``: SIGTERM drains and stops both workers; the parent exits 0 with the tree."""
    process = blocking_subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--workers", "2", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=blocking_subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.match(r"listening udp=\d+ tcp=None workers=2", line), line
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "sip_uas_workers [WorkerPool one_for_one" in output
    assert output.count("stopped restarts=0") == 2, output


def test_sipp_over_tcp_through_2_workers_all_succeed(real_reactor, tmp_path):
    """The TCP sockets are shared too: sipp -t tn (a connection per call) succeeds."""
    pool, shared = start_pool(
        2, Config(udp_port=None, tcp_port=0), heartbeat_interval=0.5, quiet=True
    )
    try:
        assert SIPP is not None
        command = [
            SIPP, "-sn", "uac", f"127.0.0.1:{shared.tcp_port}", "-i", "127.0.0.1", "-t", "tn",
            "-max_socket", "100", "-r", "100", "-m", "300", "-nostdin",
            "-timeout", "60s", "-timeout_error",
        ]  # fmt: skip
        sipp = subprocess.Popen(
            command, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        run = finish_sipp(sipp, 70)
        assert run.counts == (0, 300, 0), run.output
        sleep(1.5)  # the next heartbeat answers carry the counters
        assert all(proc.status.get("completed", 0) > 0 for proc in pool.workers())
    finally:
        pool.stop()
        shared.close()


def test_the_pool_demo_kills_a_worker_and_sipp_sees_no_failed_call():
    """``--demo --workers 2`` (make demo): one worker SIGKILLed halfway, exit 0, tree shown."""
    completed = blocking_subprocess.run(
        [sys.executable, "-m", "examples.sip_uas", "--demo", "--workers", "2",
         "--seconds", "3", "--rate", "100"],
        cwd=ROOT, capture_output=True, text=True, timeout=80, check=False,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "sipp: successful=300 failed=0 (exit 0)" in completed.stdout
    assert "killing worker 0 (pid " in completed.stdout
    assert re.search(r"worker-0 \[worker permanent proc=\d+ running restarts=1 pid=\d+\]", output)
    assert "worker.restarted" in completed.stderr
    assert "demo.progress" in completed.stderr
    # The live dashboard's one-time login link (issue 17), and no line per plain completed call.
    assert re.search(r"eventlib observer: open http://127\.0\.0\.1:\d+/login\?once=\S+", output)
    assert not re.search(r"call\.ended .*outcome=completed restarts=0", output)


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            children.append(int(stat.parent.name))
    return children


def test_the_sip_parent_exits_1_when_its_workers_keep_dying():
    """Past the pool's restart intensity the parent gives up: exit status 1, no worker left."""
    process = blocking_subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--workers", "1", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=blocking_subprocess.PIPE,
        stderr=blocking_subprocess.PIPE,
        text=True,
    )
    killed: dict[int, Any] = {}
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("listening udp=")
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            for pid in set(_children_of(process.pid)) - set(killed):
                killed[pid] = identify(pid)
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        _, errors = process.communicate(timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, errors
    assert len(killed) == 6  # the first worker and 5 restarts (max_restarts=5)
    assert "sip_uas.workers_failed" in errors
    assert "reached its restart intensity (more than 5 restarts in 10.0 s" in errors
    assert all(process_gone(worker) for worker in killed.values())


def test_sighup_to_the_sip_parent_replaces_every_worker_one_at_a_time():
    """SIGHUP: a rolling restart; both workers get new pids, and SIGTERM still stops cleanly."""
    process = blocking_subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--workers", "2", "--port", "0"],
        cwd=ROOT,
        stdout=blocking_subprocess.PIPE,
        stderr=blocking_subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("listening udp=")
        before = set(_children_of(process.pid))
        assert len(before) == 2
        workers = [identify(pid) for pid in before]
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            now = set(_children_of(process.pid))
            if len(now) == 2 and not now & before:
                break
            time.sleep(0.1)
        after = set(_children_of(process.pid))
        workers += [identify(pid) for pid in after]
        process.send_signal(signal.SIGTERM)
        output, errors = process.communicate(timeout=40)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    assert len(after) == 2
    assert not after & before, errors
    assert process.returncode == 0, errors
    assert "sip_uas.rolling_restart_done" in errors
    left = [worker for worker in workers if not process_gone(worker)]
    assert not left, [(w, Path(f"/proc/{w.pid}/stat").read_text()) for w in left]
    assert output.count("stopped restarts=0") == 2, output  # restart_child is not counted
