"""api.tcp_server: how its accept loop ends."""

import errno

import pytest

from eventlib import api, proc


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
