"""No orphans: workers end with their parent, whether it stops or is killed."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from pool_helpers import ECHO_WORKER, ProcessId, identify, process_gone, wait_for

from eventlib.green import subprocess
from eventlib.workers._channel import ENV_VAR, Channel

pytestmark = pytest.mark.eventlib(time_limit=60)

PARENT = str(Path(__file__).with_name("pool_parent.py"))


def _start_parent() -> tuple[subprocess.Popen, list[ProcessId]]:
    process = subprocess.Popen([sys.executable, PARENT], stdout=subprocess.PIPE)
    line = ""
    while not line.startswith("pids "):  # the parent's logs come first, on stdout too
        line = process.stdout.readline().decode()
        assert line, "the parent exited before its workers were ready"
    parent, *workers = (int(pid) for pid in line.split()[1:])
    assert parent == process.pid
    return process, [identify(pid) for pid in workers]


def test_sigterm_to_the_parent_stops_its_workers_and_it_exits_0(real_reactor):
    """SIGTERM: the parent stops its pool gracefully; no worker outlives it."""
    process, workers = _start_parent()
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    process.stdout.close()
    assert all(process_gone(worker) for worker in workers)


def test_sigkill_of_the_parent_leaves_no_worker_behind(real_reactor):
    """SIGKILL of the parent: every worker exits by itself within seconds."""
    process, workers = _start_parent()
    process.kill()
    assert process.wait(10) == -signal.SIGKILL
    process.stdout.close()
    wait_for(lambda: all(process_gone(worker) for worker in workers), 10, "workers gone")


def test_a_worker_whose_parent_channel_closes_exits_by_itself(real_reactor):
    """Without the death signal (its parent lives on), the channel's EOF alone ends a worker."""
    ours, theirs = socket.socketpair()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    handed = {
        "index": 0,
        "generation": 0,
        "control": theirs.fileno(),
        "sockets": {"udp": udp.fileno()},
        "family": int(socket.AF_INET),
        "parent_pid": os.getpid(),
    }
    env = {**os.environ, ENV_VAR: json.dumps(handed)}
    process = subprocess.Popen(
        [sys.executable, ECHO_WORKER], pass_fds=(theirs.fileno(), udp.fileno()), env=env
    )
    theirs.close()
    udp.close()
    channel = Channel(ours)
    assert any(m.get("op") == "ready" for m in channel.receive(15) or [])
    channel.close()
    assert process.wait(10) == 0
