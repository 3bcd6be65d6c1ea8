"""The SIP example on a pool of workers, driven by sipp over loopback UDP."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess as blocking_subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pool_helpers import process_gone, wait_for

from eventlib import get_hub
from eventlib.green import subprocess
from eventlib.workers import WorkerExited, WorkerProc
from examples.sip_uas import Config
from examples.sip_uas.workers import start_pool, totals

SIPP = shutil.which("sipp")
ROOT = Path(__file__).resolve().parents[2]
_COUNT = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)

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


def _finish_sipp(process: Any) -> tuple[int, int, str]:
    try:
        output, _ = process.communicate(timeout=70)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    text = output.decode(errors="replace")
    counts = dict(_COUNT.findall(text))
    return int(counts.get("Successful call", -1)), int(counts.get("Failed call", -1)), text[-3000:]


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
        successful, failed, output = _finish_sipp(sipp)
        assert (successful, failed) == (calls, 0), output
        assert sipp.returncode == 0, output
        assert back_after < 10  # no back-off: at once, plus its start (slow on a busy machine)
        assert isinstance(new, WorkerProc)
        assert new.generation == 1
        assert process_gone(old.pid)
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
        successful, failed, output = _finish_sipp(sipp)
        assert (successful, failed) == (calls, 0), output
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
