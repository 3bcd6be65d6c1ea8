"""WorkerPool: worker processes as supervised children sharing parent-owned sockets."""

from __future__ import annotations

import os
import signal

import pytest
from pool_helpers import Client, client_of, echo_pool, process_gone, wait_for

from eventlib.workers import WorkerExited, WorkerProc

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
        assert process_gone(old.pid)
        new = wait_for(lambda: pool.which_child("worker-0").proc, 5, "worker-0 back in the tree")
        assert new.pid == pid
        assert f"pid={pid}]" in pool.format_tree()
        assert pool.which_child("worker-0").restarts == 1
        error = old.exc_info()[1]
        assert isinstance(error, WorkerExited)
        assert error.returncode == -signal.SIGKILL
        assert str(error).endswith("signal SIGKILL")
