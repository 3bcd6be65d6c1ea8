"""api.tcp_server: how its accept loop ends."""

import errno

import pytest

from eventlib import api, coros, proc


def test_tcp_server_ends_quietly_when_another_proc_closes_the_listener(real_reactor):
    """Closing the listening socket from another proc ends tcp_server without an error."""
    listener = api.tcp_listener(("127.0.0.1", 0))
    server = proc.spawn(api.tcp_server, listener, lambda client: None)
    api.sleep(0)
    listener.close()
    with api.timeout(5):
        assert server.wait() is None


def test_tcp_server_ends_quietly_when_a_timer_closes_the_listener(real_reactor):
    """Closing the listening socket from a timer ends tcp_server without an error."""
    listener = api.tcp_listener(("127.0.0.1", 0))
    api.call_after_global(0.01, listener.close)
    with api.timeout(5):
        assert api.tcp_server(listener, lambda client: None) is None


class _FailingListener:
    """A listening socket whose accept() fails with ``code``; records close()."""

    def __init__(self, code):
        self.code = code
        self.closed = False

    def accept(self):
        raise OSError(self.code, "simulated")

    def fileno(self):
        return -1 if self.closed else 99

    def close(self):
        self.closed = True


def test_tcp_server_ends_quietly_on_a_broken_pipe(virtual_clock):
    """EPIPE from accept ends tcp_server quietly and closes the listener."""
    listener = _FailingListener(errno.EPIPE)
    api.tcp_server(listener, lambda client: None)
    assert listener.closed


def test_tcp_server_lets_other_socket_errors_through(virtual_clock):
    """Any other socket error from accept propagates; the listener is closed all the same."""
    listener = _FailingListener(errno.EMFILE)
    with pytest.raises(OSError) as caught:
        api.tcp_server(listener, lambda client: None)
    assert caught.value.errno == errno.EMFILE
    assert listener.closed


def test_tcp_server_passes_extra_arguments_to_the_server(real_reactor):
    """tcp_server(listener, server, *args, **kw) calls server((conn, addr), *args, **kw)."""
    listener = api.tcp_listener(("127.0.0.1", 0))
    seen = []
    done = coros.event()

    def server(client, tag, *, suffix):
        conn, address = client
        with conn:
            seen.append((tag, suffix, address == conn.getpeername()))
        done.send()

    calls = proc.spawn(api.tcp_server, listener, server, "tag", suffix="!")
    with api.connect_tcp(listener.getsockname()):
        with api.timeout(5):
            done.wait()
    listener.close()
    calls.wait()
    assert seen == [("tag", "!", True)]


def test_connect_tcp_binds_to_localaddr_first(real_reactor):
    """connect_tcp(address, localaddr) connects from that local address."""
    with api.tcp_listener(("127.0.0.1", 0)) as listener:
        with api.tcp_listener(("127.0.0.1", 0)) as spare:
            local_port = spare.getsockname()[1]
        conn = api.connect_tcp(listener.getsockname(), ("127.0.0.1", local_port))
        with conn:
            assert conn.getsockname() == ("127.0.0.1", local_port)


def test_trampoline_on_a_socket_closed_under_it_raises_os_error(real_reactor):
    """Closing a green socket that a trampoline waits on raises OSError (EBADF) in the waiter."""
    from eventlib.green import socket as green_socket

    a, b = green_socket.socketpair()
    waiter = proc.spawn(api.trampoline, a, read=True)
    api.sleep(0)
    a.close()
    with pytest.raises(OSError) as caught:
        waiter.wait()
    b.close()
    assert caught.value.errno == errno.EBADF
