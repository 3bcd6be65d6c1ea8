"""SharedSockets: one SO_REUSEPORT socket per worker, all on one address."""

from __future__ import annotations

import socket

import pytest

from eventlib.workers import SharedSockets


def test_every_socket_of_a_kind_shares_one_port():
    """Port 0 picks one free port; every worker's socket is bound to it."""
    shared = SharedSockets(3, "127.0.0.1", udp_port=0, tcp_port=0)
    try:
        assert {s.getsockname()[1] for s in shared.udp} == {shared.udp_port}
        assert {s.getsockname()[1] for s in shared.tcp} == {shared.tcp_port}
        assert shared.count == 3
        assert shared.fds(2) == {"udp": shared.udp[2].fileno(), "tcp": shared.tcp[2].fileno()}
    finally:
        shared.close()


def test_ipv6_sockets_are_bound_on_the_ipv6_loopback():
    """A host with a colon is IPv6."""
    shared = SharedSockets(2, "::1", udp_port=0)
    try:
        assert shared.family == socket.AF_INET6
        assert shared.udp[1].getsockname()[:2] == ("::1", shared.udp_port)
    finally:
        shared.close()


def test_a_port_held_without_so_reuseport_is_refused_with_os_error():
    """Another socket owning the port without SO_REUSEPORT: OSError, nothing left open."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    try:
        with pytest.raises(OSError):
            SharedSockets(2, "127.0.0.1", udp_port=taken.getsockname()[1])
    finally:
        taken.close()


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [
        ((0,), {}, ValueError, "count must be an int >= 1"),
        ((True,), {}, ValueError, "count must be an int >= 1"),
        ((2,), {"udp_port": None}, ValueError, "give udp_port, tcp_port or both"),
    ],
)
def test_bad_arguments_are_refused(args, options, error, message):
    """A count below 1 or no port at all raises, naming the fix."""
    with pytest.raises(error, match=message):
        SharedSockets(*args, **options)


def test_fds_of_a_worker_that_has_no_socket_raise_index_error():
    """Asking for worker 2's sockets when there are 2 is a clear IndexError."""
    shared = SharedSockets(2, udp_port=0)
    try:
        with pytest.raises(IndexError, match="no socket for worker 2: there are 2"):
            shared.fds(2)
    finally:
        shared.close()
